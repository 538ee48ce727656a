"""Registers the config schema with Hydra's ConfigStore, so YAML presets are typed."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from channelsim.config.schema import ChannelConfig

_registered = False


def register_configs() -> None:
    """Store the schema once as `base_config`, the first entry of `config.yaml`'s defaults."""
    global _registered
    if not _registered:
        ConfigStore.instance().store(name="base_config", node=ChannelConfig)
        _registered = True
