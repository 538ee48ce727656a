"""PricingModel: a textbook pricing market (market=linear_monopoly, market=linear_duopoly),
its own Mesa model beside the channel market's (agents/pricing_market.py has its rules)."""

from __future__ import annotations

import copy
from functools import partial

import mesa
import numpy as np

from channelsim.agents import pricing_market
from channelsim.agents.reseller import Reseller
from channelsim.agents.vendor import Vendor
from channelsim.config.schema import ChannelConfig
from channelsim.config.validate import check_market_kind, validate
from channelsim.policies import month_index


class PricingModel(mesa.Model):
    """Manufacturers (Vendor agents) selling through their own store or an exclusive
    reseller (Reseller agents), month by month until prices settle on the equilibrium.

    Args:
        config: a validated config whose market is a textbook pricing market.
    """

    KINDS = ("linear_monopoly", "linear_duopoly")  # the markets it simulates
    # the commands that take this market: one run, and the check against closed forms
    COMMANDS = frozenset({"run", "levers", "validate"})
    # a run is judged on whether its prices settled (summary.json's `converged`)
    SETTLES = True

    def __init__(self, config: ChannelConfig) -> None:
        config = validate(copy.deepcopy(config))
        check_market_kind(config.market, self.KINDS, type(self).__name__)
        model_stream, _ = np.random.SeedSequence(config.seed).spawn(2)  # as the channel's
        super().__init__(rng=np.random.default_rng(model_stream))
        self.config = config
        self.market = copy.deepcopy(config.market)
        self.strategy = copy.deepcopy(config.strategy)
        self.start_index = month_index(self.market.start)
        self.changes: list[tuple[str, str]] = []
        self.pricing, self.demand = pricing_market.build(self.market, self.rng)
        self.manufacturers = [Vendor(self, i) for i in range(self.pricing.n)]
        self.retailers = [
            vendor if self.pricing.integrated[vendor.row] else Reseller(self, vendor.row)
            for vendor in self.manufacturers
        ]
        self.metric_names = pricing_market.metric_names(self.market)
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


def _metric(model: PricingModel, name: str) -> float:
    return model.last[name]
