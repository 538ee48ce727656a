"""Each seller's own-price elasticity of brand demand, measured as a market research team
would: every price of one seller (its own, its channel's, its MAP floor; its online price
follows) raised and lowered by a small step at paired seeds, its units compared.

Brand demand's elasticity holds the other sellers' prices: every seller's response rule
is set to `fixed` for the measure (docs/ODD.md 7.12), unless `responding` asks for the
market's answer, rivals' moves included.

The arc elasticity of one seed is ``(ln U+ - ln U-) / (ln(1 + step) - ln(1 - step))``,
with U the seller's units (all segments, its partners' included) over the window; the
result is the mean over seeds with its 95% interval.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelsim.config.compose import with_values
from channelsim.config.schema import ChannelConfig
from channelsim.experiment.batch import Job, replicate, run_jobs

SELLERS = ("vendor", "direct")
UNITS = {"vendor": "units_vendor", "direct": "units_direct"}
STEP = 0.01  # a 1% price change
FIRST_MONTH = 13  # the window starts after the first year, once the market has settled


@dataclass(frozen=True)
class Elasticity:
    """One seller's elasticity: the mean over seeds and its 95% interval."""

    seller: str
    mean: float
    low: float
    high: float
    seeds: int
    units: float  # its mean units a month over the window, at its own prices

    def as_row(self) -> dict[str, float | str | int]:
        return dataclasses.asdict(self)


def jobs(
    config: ChannelConfig, seeds: range, step: float = STEP, responding: bool = False
) -> list[Job]:
    """Runs at paired seeds: each seller's prices raised and lowered by `step`, and the
    market as given (with every seller's response fixed unless `responding`)."""
    if not responding:
        fixed = {f"market.sellers.{name}.response": "fixed" for name in config.market.sellers}
        config = with_values(config, fixed)
    out = replicate(config, seeds, seller="", sign=0)
    for seller in (s for s in SELLERS if s in config.market.sellers):
        for sign in (1, -1):
            capabilities = dataclasses.replace(config.market.sellers[seller])
            capabilities.price_level *= 1.0 + sign * step
            sellers = {**config.market.sellers, seller: capabilities}
            market = dataclasses.replace(config.market, sellers=sellers)
            moved = dataclasses.replace(config, market=market)
            out += replicate(moved, seeds, seller=seller, sign=sign)
    return out


def arc(up: float, down: float, step: float) -> float:
    """The arc elasticity between units `up` at (1 + step) and `down` at (1 - step)."""
    return (math.log(up) - math.log(down)) / (math.log1p(step) - math.log1p(-step))


def estimate(
    metrics: pd.DataFrame, step: float = STEP, first_month: int = FIRST_MONTH
) -> list[Elasticity]:
    """Each seller's elasticity from the runs of `jobs` (their tidy metrics, one row a run
    and month, with the labels `seller`, `sign`, `seed`)."""
    from scipy import stats  # on first use: it takes about a second to import

    window = metrics[metrics.groupby(["seller", "sign", "seed"]).cumcount() >= first_month - 1]
    out = []
    for seller in SELLERS:
        column = UNITS[seller]
        total = window.groupby(["seller", "sign", "seed"])[column].sum()
        up, down = total[seller, 1], total[seller, -1]
        values = np.array([arc(up[s], down[s], step) for s in up.index if s in down.index])
        n = values.size
        half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        base = window[window["seller"] == ""][column].mean()
        out.append(
            Elasticity(
                seller,
                float(values.mean()),
                values.mean() - half,
                values.mean() + half,
                n,
                float(base),
            )
        )
    return out


def measure(
    config: ChannelConfig,
    seeds: range = range(10),
    step: float = STEP,
    n_jobs: int | None = None,
    progress: bool = True,
    responding: bool = False,
) -> list[Elasticity]:
    """Run the paired jobs and estimate each seller's elasticity (rivals held unless
    `responding`).

    Raises:
        RuntimeError: a run failed (its error is named).
    """
    result = run_jobs(jobs(config, seeds, step, responding), n_jobs, progress, label="elasticity")
    if result.failed:
        first = result.failed[0]
        raise RuntimeError(f"{len(result.failed)} runs failed, first: {first['error']}")
    return estimate(result.metrics, step)
