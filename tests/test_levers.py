"""Every lever moves a named metric of metrics.parquet the expected way, over several seeds.

A lever that nudges a variable nothing reads is a defect: this table must name
every field of the strategy group. Each case runs the two-seller market for 36
months at SEEDS seeds, low and high value paired by seed, and compares the mean
of the final 24 months; the paired difference's 95% interval must exclude zero
on the expected side. (In the whole market, where the vendor holds a quarter of the
units, four seeds leave five of these effects inside the noise the other brands add:
global_route, use_distributors, map_enforced, credit_multiple and
recruit_relationship_partners.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import fields
from functools import cache

import numpy as np
import pytest
from scipy import stats

from channelsim import compose
from channelsim.config.schema import StrategyConfig
from channelsim.experiment.run import simulate

SEEDS = 4
STEPS = 36
MARKET = "market=china_pc_2002_duo"
TAIL = 24

# lever, low, high, metric, +1 if the metric rises from low to high, base overrides
CASES = [
    ("key_route", "reseller", "joint_team", "share_vendor_key", +1, []),
    # enough global accounts for their monthly share to be more than noise
    (
        "global_route",
        "joint_team",
        "direct",
        "share_vendor_global",
        -1,
        ["market.global_accounts=300"],
    ),
    ("mid_route", "reseller", "direct", "share_vendor_mid", -1, []),
    ("use_distributors", "false", "true", "share_vendor_txn", -1, []),
    ("wholesale_discount", 0.08, 0.2, "vendor_margin_per_unit", -1, []),
    ("map_floor", 0.0, 1.1, "share_vendor_txn", -1, []),
    ("map_enforced", "false", "true", "gray_market_units", -1, []),
    ("rebate_rate", 0.0, 0.08, "partner_satisfaction", +1, []),
    ("target_growth", 0.0, 0.5, "channel_program_cost", -1, []),
    ("training_budget", 0, 1000, "mean_partner_capability", +1, []),
    ("training_competition", "false", "true", "mean_partner_capability", +1, []),
    ("coop_budget", 0, 1000, "share_vendor_txn", +1, []),
    ("credit_multiple", 0, 5, "share_vendor_key", +1, []),
    # partners short of cash, each a relationship partner, buy on credit
    (
        "payment_terms",
        1,
        12,
        "bad_debt_vendor",
        +1,
        ["strategy.partner_selection_volume=0", "market.partner_capital=50"],
    ),
    ("deal_registration", "false", "true", "conflict_index", -1, []),
    ("account_planning", "false", "true", "share_vendor_key", +1, []),
    ("erp_integration", "false", "true", "share_vendor_key", +1, []),
    # its better terms lift its partners' margins (shared firms: tests/test_brands.py)
    ("exclusive_partners", "false", "true", "partner_satisfaction", +1, []),
    # its refunds keep its partners' margins whole as their stock loses value
    ("price_protection", 0.0, 1.0, "partner_satisfaction", +1, []),
    ("customer_care", "false", "true", "relationships_lost", -1, []),
    ("account_managers", 10, 120, "relationship_vendor_key", +1, []),
    ("am_turnover", 0.0, 0.2, "relationships_lost", +1, []),
    # reps that cost nothing always pay: the limit alone sets how fast the force grows (where
    # reps pay only at times, a higher limit also lets them go faster)
    ("hiring_limit", 0.0, 2.0, "field_reps_vendor", +1, ["market.am_cost=0"]),
    # its own price: fewer wins at a higher margin, and reps that pay sooner, so its key share
    # may go either way; its margin a unit rises
    ("markup", 0.05, 0.3, "vendor_margin_per_unit", +1, ["strategy=direct"]),
    ("phone_sales", 0.0, 0.5, "coverage_key", +1, ["strategy=direct"]),
    ("approval_levels", 1, 4, "conflict_index", -1, []),
    ("partner_survey", "false", "true", "conflict_index", -1, ["strategy=traditional_channel"]),
    ("partner_tiering", "false", "true", "active_resellers", -1, []),
    (
        "partner_selection_volume",
        0,
        5000,
        "relationship_partners",
        -1,
        ["strategy.recruit_relationship_partners=false"],
    ),
    # recruiting around key accounts adds ties or skill to the volume a partner needs (a
    # skill bar above most partners', so that the condition binds for more than a few)
    (
        "recruit_relationship_partners",
        "false",
        "true",
        "relationship_partners",
        -1,
        ["market.partners.recruit_skill=0.6"],
    ),
    ("direct_assist", "false", "true", "share_vendor_key", +1, ["strategy.credit_multiple=0"]),
    ("audit_probability", 0.0, 0.6, "gray_market_units", -1, ["strategy=traditional_channel"]),
    ("diversion_penalty", 0.0, 1.0, "gray_market_units", -1, ["strategy=traditional_channel"]),
    ("online_store", "false", "true", "share_vendor_txn", +1, []),
    (
        "online_price_gap",
        0.0,
        0.15,
        "gray_market_units",
        +1,
        ["strategy=dual", "strategy.product_differentiation=0"],
    ),
    (
        "product_differentiation",
        0.0,
        1.0,
        "gray_market_units",
        -1,
        ["strategy=dual", "strategy.online_price_gap=0.15"],
    ),
    ("care_cost", 0.1, 2.0, "channel_program_cost", +1, []),
    ("erp_cost", 0.1, 5.0, "channel_program_cost", +1, []),
]


@cache
def configured(overrides: tuple[str, ...]):
    """Composed once for all seeds: a run at another seed differs in `seed` alone."""
    return compose(list(overrides))


def tail_mean(overrides: tuple[str, ...], seed: int, metric: str) -> float:
    metrics, _ = simulate(dataclasses.replace(configured(overrides), seed=seed))
    return float(metrics[metric].tail(TAIL).mean())


def test_every_lever_has_a_case():
    levers = {f.name for f in fields(StrategyConfig)} - {"name"}
    assert levers == {case[0] for case in CASES}


@pytest.mark.parametrize(
    ("lever", "low", "high", "metric", "sign", "base"), CASES, ids=[c[0] for c in CASES]
)
def test_lever_moves_its_metric(lever, low, high, metric, sign, base):
    diffs = []
    for seed in range(SEEDS):
        common = (MARKET, *base, f"steps={STEPS}")
        lo = tail_mean((*common, f"strategy.{lever}={low}"), seed, metric)
        hi = tail_mean((*common, f"strategy.{lever}={high}"), seed, metric)
        diffs.append(sign * (hi - lo))
    diffs = np.array(diffs)
    half_width = stats.t.ppf(0.975, SEEDS - 1) * diffs.std(ddof=1) / np.sqrt(SEEDS)
    assert diffs.mean() - half_width > 0, (
        f"{lever} {low}->{high}: {metric} moved {sign * diffs.mean():+.4g} "
        f"(95% CI half-width {half_width:.3g}), expected {'up' if sign > 0 else 'down'}"
    )
