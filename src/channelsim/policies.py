"""The channel policy in force and its timeline of dated changes."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from channelsim.config.schema import ChannelConfig, MarketConfig, StrategyConfig, set_path


def month_index(date: str) -> int:
    """Months since year 0 of a YYYY-MM date."""
    year, month = date.split("-")
    return int(year) * 12 + int(month) - 1


def month_label(index: int) -> str:
    """YYYY-MM of a month index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def policy_path(config: ChannelConfig) -> str:
    """The strategy presets in force over the run, each with the month its scenario puts
    it in force: ``traditional_channel 2002-01 → relationship_channel 2004-01 → dual
    2006-01``. A preset no scenario dates (a run without a scenario) is named alone;
    switches after the run's last month are left out."""
    start = config.market.start
    end = month_label(month_index(start) + config.steps - 1)
    dated = sorted(
        (e for e in config.scenario.events if e.strategy is not None and e.date <= end),
        key=lambda e: e.date,
    )
    before = [e for e in dated if e.date <= start]
    first = config.strategy.name + (f" {before[-1].date}" if before else "")
    return " → ".join([first, *(f"{e.strategy} {e.date}" for e in dated if e.date > start)])


@dataclass
class Change:
    """What a scenario changes at one month."""

    date: str
    strategy: str | None
    levers: dict[str, Any] = field(default_factory=dict)
    market: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    acquisition: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A short label, as `ChannelModel.changes` records it: the strategy preset it
        switches to, else the acquisition, the market event or the levers it sets
        (``policy: k=v``; levers a person sets mid-run are ``levers: k=v``)."""
        if self.strategy:
            return self.strategy
        if self.acquisition:
            deal = self.acquisition
            return f"acquisition: {deal['buyer']} buys {deal['share']:.0%} of {deal['seller']}"
        parts = [f"{k}={v}" for k, v in {**self.market, **self.levers}.items()]
        return ("event: " if self.market else "policy: ") + ", ".join(parts)


class Timeline:
    """Dated policy changes and external events, applied at the start of their month."""

    def __init__(self, config: ChannelConfig) -> None:
        self.presets = config.presets
        self.overrides = dict(config.lever_overrides)
        self.market_overrides = dict(config.market_overrides)
        self.changes = sorted(
            (
                Change(
                    e.date,
                    e.strategy,
                    dict(e.levers),
                    dict(e.market),
                    e.source,
                    dict(e.acquisition),
                )
                for e in config.scenario.events
            ),
            key=lambda c: c.date,
        )
        self.applied = 0

    def due(self, date: str) -> list[Change]:
        """Changes dated at or before `date` not yet applied (marks them applied)."""
        out = []
        while self.applied < len(self.changes) and self.changes[self.applied].date <= date:
            out.append(self.changes[self.applied])
            self.applied += 1
        return out

    def apply(
        self, date: str, strategy: StrategyConfig, market: MarketConfig
    ) -> tuple[StrategyConfig, list[Change]]:
        """The strategy in force from `date` on; external market events applied in place."""
        changes = self.due(date)
        for change in changes:
            if change.strategy is not None:
                strategy = copy.deepcopy(self.presets[change.strategy])
            for key, value in change.levers.items():
                setattr(strategy, key, value)
            for key, value in self.overrides.items():
                setattr(strategy, key, value)
            for key, value in change.market.items():
                set_path(market, key, value)
            for key, value in self.market_overrides.items():
                set_path(market, key, value)
        return strategy, changes
