"""Registers the config schema with Hydra's ConfigStore, so YAML presets are typed."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from channelsim.config.schema import RootConfig

_registered = False


def register_configs() -> None:
    """Store the schema once as `base_config`, the first entry of `config.yaml`'s defaults
    (a run's config, plus the decision commands' settings)."""
    global _registered
    if not _registered:
        ConfigStore.instance().store(name="base_config", node=RootConfig)
        _registered = True
