"""Own-price elasticity: the arc formula by hand, the paired runs, and the default market's
vendor elasticity inside the range that brackets the meta-analytic mean (Bijmolt, van
Heerde and Pieters 2005: -2.62)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from channelsim import compose
from channelsim.experiment import elasticity


def test_arc_elasticity_of_a_constant_elasticity_demand_is_exact():
    step = 0.01
    up, down = 100 * (1 + step) ** -2.5, 100 * (1 - step) ** -2.5
    assert elasticity.arc(up, down, step) == pytest.approx(-2.5, abs=1e-12)


def test_jobs_move_one_seller_s_price_level_at_a_time():
    config = compose([])
    jobs = elasticity.jobs(config, range(2), step=0.05)
    levels = {
        (j.labels["seller"], j.labels["sign"]): (
            j.config.market.vendor.price_level,
            j.config.market.direct.price_level,
        )
        for j in jobs
    }
    assert levels[("", 0)] == (1.0, 1.0)
    assert levels[("vendor", 1)] == (1.05, 1.0)
    assert levels[("vendor", -1)] == (0.95, 1.0)
    assert levels[("direct", -1)] == (1.0, 0.95)
    assert config.market.vendor.price_level == 1.0  # the config given is not changed
    assert len(jobs) == 2 * 5


def test_estimate_reads_the_window_of_each_seller_s_units():
    """Synthetic runs: the vendor's units fall 2% and rise 2% with a 1% move (elasticity
    -2 to first order), the direct seller's do not move; months before the window are
    ignored."""
    rows = []
    for seller, sign in (("", 0), ("vendor", 1), ("vendor", -1), ("direct", 1), ("direct", -1)):
        for seed in (0, 1):
            for month in range(3):
                factor = 1.0 - 0.02 * sign if seller == "vendor" else 1.0
                units = 100.0 * factor if month >= 1 else 1e6
                rows.append(
                    {
                        "seller": seller,
                        "sign": sign,
                        "seed": seed,
                        "units_vendor": units,
                        "units_direct": 50.0,
                    }
                )
    found = {e.seller: e for e in elasticity.estimate(pd.DataFrame(rows), 0.01, first_month=2)}
    expected = (math.log(0.98) - math.log(1.02)) / (math.log(1.01) - math.log(0.99))
    assert found["vendor"].mean == pytest.approx(expected)
    assert found["direct"].mean == 0.0
    assert found["vendor"].units == 100.0


def test_the_vendor_s_elasticity_in_the_two_seller_market_reaches_the_literature_s_range():
    """Six paired seeds, three years, the two-seller market the price sensitivity was set
    on: the vendor's own-price elasticity of brand demand reaches [-4, -1.5] (its 95%
    interval; its mean was -1.7 until direct delivery and stock costs raised the direct
    seller's price and left the vendor a larger, less elastic share: -1.46, a finding of
    experiments/elasticity/README.md), and the direct seller's demand, with its smaller
    share, is more elastic than the vendor's. (In the whole market the order turns and
    the vendor's interval widens.)"""
    config = compose(["market=china_pc_2002_duo", "steps=36"])
    found = {e.seller: e for e in elasticity.measure(config, range(6), progress=False)}
    assert found["vendor"].low <= -1.5 and found["vendor"].high >= -4.0
    assert found["vendor"].mean > -1.5  # the finding: remove this line when it no longer holds
    assert found["direct"].mean < found["vendor"].mean


def test_brand_elasticity_holds_the_rivals_responses_unless_the_market_s_answer_is_asked():
    config = compose(["steps=3"])  # the whole market: three adaptive rivals

    def responses(jobs) -> set[str]:
        return {s.response for job in jobs for s in job.config.market.sellers.values()}

    assert responses(elasticity.jobs(config, range(1))) == {"fixed"}
    assert responses(elasticity.jobs(config, range(1), responding=True)) == {"fixed", "adaptive"}
