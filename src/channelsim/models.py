"""The one place that picks a model class from the market's kind."""

from __future__ import annotations

from channelsim.config.schema import ChannelConfig, MarketConfig
from channelsim.model import ChannelModel
from channelsim.pricing_model import (
    LinearDuopoly,
    LinearEncroachment,
    LinearMonopoly,
    PricingModel,
)

MODELS: dict[str, type[ChannelModel] | type[PricingModel]] = {
    kind: cls
    for cls in (ChannelModel, LinearMonopoly, LinearDuopoly, LinearEncroachment)
    for kind in cls.KINDS
}


def model_class(market: MarketConfig) -> type[ChannelModel] | type[PricingModel]:
    """The Mesa model class that simulates `market`."""
    return MODELS[market.kind]


def refusal(market: MarketConfig, command: str) -> str | None:
    """Why `command` does not take `market`, in one line, or None when it does (the
    model class of the market says)."""
    model = model_class(market)
    return None if model.supports(command) else model.refusal(command, market.name)


def build_model(config: ChannelConfig) -> ChannelModel | PricingModel:
    """A model of `config`'s market, built from the config."""
    return model_class(config.market)(config)
