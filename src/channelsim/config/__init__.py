"""Typed configuration: schema, validation and composition from Hydra presets."""

from channelsim.config.compose import compose, compose_run, group_options
from channelsim.config.schema import (
    ChannelConfig,
    MarketConfig,
    ScenarioConfig,
    ScenarioEvent,
    SellerConfig,
    StrategyConfig,
)
from channelsim.config.validate import ConfigError, validate

__all__ = [
    "ChannelConfig",
    "ConfigError",
    "MarketConfig",
    "ScenarioConfig",
    "ScenarioEvent",
    "SellerConfig",
    "StrategyConfig",
    "compose",
    "compose_run",
    "group_options",
    "validate",
]
