"""The textbook pricing markets, Mesa models of their own beside the channel market's:
`LinearMonopoly` (market=linear_monopoly), `LinearDuopoly` (market=linear_duopoly) and
`LinearEncroachment` (market=linear_encroachment), each a `PricingModel`
(agents/pricing_market.py and agents/encroachment.py have their agents and rules)."""

from __future__ import annotations

import copy
from functools import partial

import mesa
import numpy as np

from channelsim.agents import encroachment, encroachment_prices, pricing_market
from channelsim.agents.pricing_market import (
    Demand,
    DuopolyDemand,
    Manufacturer,
    MonopolyDemand,
    Retailer,
)
from channelsim.config.schema import ChannelConfig
from channelsim.config.validate import check_market_kind, validate
from channelsim.policies import month_index


class PricingModel(mesa.Model):
    """Manufacturers selling through their own store or an exclusive reseller, month by
    month until prices settle on the equilibrium. Its markets differ only in what buyers
    buy (`DEMAND`): build `LinearMonopoly` or `LinearDuopoly`, or let `build_model` pick.

    Args:
        config: a validated config whose market is the model's kind.
    """

    KINDS: tuple[str, ...] = ()  # the markets it simulates
    DEMAND: type[Demand]
    # the commands that take this market: one run, and the check against closed forms
    COMMANDS = frozenset({"run", "levers", "validate"})
    # a run is judged on whether its prices settled (summary.json's `converged`)
    SETTLES = True

    def __init__(self, config: ChannelConfig) -> None:
        if not self.KINDS:
            raise TypeError(
                f"{type(self).__name__} is the textbook markets' base class: build "
                "LinearMonopoly or LinearDuopoly, or channelsim.build_model(config)"
            )
        config = validate(copy.deepcopy(config))
        check_market_kind(config.market, self.KINDS, type(self).__name__)
        model_stream, _ = np.random.SeedSequence(config.seed).spawn(2)  # as the channel's
        super().__init__(rng=np.random.default_rng(model_stream))
        self.config = config
        self.market = copy.deepcopy(config.market)
        self.strategy = copy.deepcopy(config.strategy)
        self.start_index = month_index(self.market.start)
        self.changes: list[tuple[str, str]] = []
        self.pricing, self.demand = pricing_market.build(self.DEMAND, self.market, self.rng)
        self.manufacturers = [Manufacturer(self, i) for i in range(self.pricing.n)]
        self.retailers = [  # a manufacturer's own store, or its reseller
            maker if self.pricing.integrated[maker.row] else Retailer(self, maker.row)
            for maker in self.manufacturers
        ]
        self.metric_names = pricing_market.metric_names(self.pricing.n)
        self.last: dict[str, float] = dict.fromkeys(self.metric_names, 0.0)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_metric, name=name) for name in self.metric_names}
        )

    @classmethod
    def supports(cls, command: str) -> bool:
        return command in cls.COMMANDS

    @classmethod
    def refusal(cls, command: str, market_name: str) -> str:
        """Why `command` does not take this market, in one line."""
        takes = " or ".join(sorted(cls.COMMANDS - {"levers"}))
        return f"market={market_name} is a textbook pricing market: use it with {takes}"

    def step(self) -> None:
        """One month: wholesale prices, retail prices, sales and profits."""
        pricing_market.step(self)
        self.last = pricing_market.metrics(self)
        self.datacollector.collect(self)


class LinearMonopoly(PricingModel):
    """One manufacturer, buyers buying q = a - b p: double marginalisation."""

    KINDS = ("linear_monopoly",)
    DEMAND = MonopolyDemand


class LinearDuopoly(PricingModel):
    """Two manufacturers with substitutable products (McGuire and Staelin 1983)."""

    KINDS = ("linear_duopoly",)
    DEMAND = DuopolyDemand


class LinearEncroachment(PricingModel):
    """A manufacturer that sells through a retailer and may also sell direct (Arya,
    Mittendorf and Sappington 2007): each month the three stages of their game."""

    KINDS = ("linear_encroachment",)

    def __init__(self, config: ChannelConfig) -> None:
        config = validate(copy.deepcopy(config))
        check_market_kind(config.market, self.KINDS, type(self).__name__)
        model_stream, _ = np.random.SeedSequence(config.seed).spawn(2)  # as the others'
        mesa.Model.__init__(self, rng=np.random.default_rng(model_stream))
        self.config = config
        self.market = copy.deepcopy(config.market)
        self.strategy = copy.deepcopy(config.strategy)
        self.start_index = month_index(self.market.start)
        self.changes: list[tuple[str, str]] = []
        if self.market.structure == "price":
            self.demand = encroachment_prices.PriceDemand(self.market)
            self.maker = encroachment_prices.PriceManufacturer(self, 0)
            self.retailer = encroachment_prices.PriceRetailer(self, 0, self.maker)
            self.rules = encroachment_prices
        else:
            self.demand = encroachment.QuantityDemand(self.market)
            self.maker = encroachment.Manufacturer(self, 0)
            self.retailer = encroachment.Retailer(self, 0, self.maker)
            self.rules = encroachment
        self.metric_names = encroachment.METRICS
        self.last: dict[str, float] = dict.fromkeys(self.metric_names, 0.0)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(_metric, name=name) for name in self.metric_names}
        )

    def step(self) -> None:
        """One month: the wholesale price, the retailer's quantity, the direct quantity."""
        self.last = encroachment.metrics(self.rules.step(self))
        self.datacollector.collect(self)


def _metric(model: PricingModel, name: str) -> float:
    return model.last[name]
