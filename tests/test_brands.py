"""Resellers that carry several brands (docs/ODD.md 7.13): a firm's lines share its staff,
which moves towards the brands that treat it better; a seller may ask for exclusivity."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from channelsim import compose
from channelsim.agents import reseller as reseller_rules
from channelsim.experiment.run import partners_frame
from channelsim.mechanics.brands import effort_shares, exclusivity, pair_lines, split_staff
from channelsim.model import ChannelModel

from .conftest import WHOLE_SMALL

MULTI = [*WHOLE_SMALL, "market.population.multi_brand=0.5"]


def test_a_firm_moves_its_staff_part_of_the_way_to_the_logit_split_by_appeal():
    reps = np.array([6.0, 4.0, 5.0, 3.0])
    firm = np.array([0, 0, 2, 3])
    active = np.array([True, True, True, False])
    appeal = np.array([0.5, 0.25, 0.9, 0.1])
    after = split_staff(reps, firm, active, appeal, sensitivity=4.0, speed=0.5)
    # firm 0: shares 0.6 and 0.4; the logit split of exp(2) and exp(1) gives the first
    # 1 / (1 + e^-1); half the way there, of a staff of 10
    target = 1.0 / (1.0 + math.exp(-1.0))
    first = 0.6 + 0.5 * (target - 0.6)
    assert after[:2] == pytest.approx([10 * first, 10 * (1 - first)])
    # a firm of one line keeps its staff; a line that has left is untouched
    assert after[2:] == pytest.approx([5.0, 3.0])
    assert effort_shares(after, firm, active) == pytest.approx([first, 1 - first, 1.0, 0.0])


def test_a_firm_asked_for_exclusivity_keeps_the_brand_it_gives_most_staff_to():
    firm = np.array([0, 0, 2, 2, 4, 5, 5])
    active = np.array([True, True, True, True, True, True, False])
    share = np.array([0.6, 0.4, 0.3, 0.7, 1.0, 1.0, 0.0])
    theirs = np.array([True, False, True, False, True, True, False])
    dropped = exclusivity(share, firm, active, theirs, accept=0.5)
    # firm 0 keeps the seller's brand alone; firm 2 drops it; firms of one active line stay
    assert dropped.tolist() == [False, True, True, False, False, False, False]


def test_starting_lines_are_paired_two_brands_a_firm_within_a_region_and_kind():
    rng = np.random.default_rng(3)
    region = np.repeat(np.arange(4), 20)
    b2b = rng.random(80) < 0.5
    seller = rng.integers(0, 3, 80)
    firm = pair_lines(region, b2b, seller, 0.5, np.random.default_rng(0))
    lines = np.bincount(firm, minlength=80)
    assert set(lines[firm]) == {1, 2}
    paired = np.flatnonzero(lines[firm] == 2)
    first = firm[paired]
    assert (region[paired] == region[first]).all() and (b2b[paired] == b2b[first]).all()
    mates = paired[paired != first]
    assert (seller[mates] != seller[firm[mates]]).all()
    # half the lines of each region and kind are paired, where brands allow
    for key in np.unique(region * 2 + b2b):
        group = region * 2 + b2b == key
        assert (lines[firm[group]] == 2).sum() <= 2 * round(0.5 * group.sum() / 2)
    assert paired.size >= 0.4 * 80
    assert (pair_lines(region, b2b, seller, 0.0, rng) == np.arange(80)).all()


def run(overrides: list[str], steps: int) -> ChannelModel:
    model = ChannelModel(dataclasses.replace(compose(overrides), steps=steps))
    for _ in range(steps):
        model.step()
    return model


def shared(model: ChannelModel) -> np.ndarray:
    """The active lines of firms that carry another brand too, counted here by hand."""
    t = model.resellers
    return t.active & (np.bincount(t.firm[t.active], minlength=t.n)[t.firm] > 1)


def shared_share(model: ChannelModel, name: str) -> float:
    """The mean effort share of `name`'s lines in firms that carry another brand."""
    t = model.resellers
    row = next(s.row for s in model.sellers if s.name == name)
    theirs = shared(model) & (t.seller == row)
    return float(effort_shares(t.reps, t.firm, t.active)[theirs].mean())


def test_a_brand_that_gives_partners_a_better_margin_draws_their_staff():
    discount = "market.sellers.globalbrands.policy.wholesale_discount"

    def share(seed: int, value: float) -> float:
        return shared_share(
            run([*MULTI, f"seed={seed}", f"{discount}={value}"], 24), "globalbrands"
        )

    rich = [share(seed, 0.3) for seed in range(3)]
    poor = [share(seed, 0.02) for seed in range(3)]
    assert all(r > p for r, p in zip(rich, poor, strict=True))


def test_a_line_that_leaves_hands_its_staff_back_to_its_firm():
    model = ChannelModel(compose(MULTI))
    t = model.resellers
    row = int(np.flatnonzero(t.firm != np.arange(t.n))[0])  # a firm's second line
    first = int(t.firm[row])
    staff = t.reps[row] + t.reps[first]
    reseller_rules.retire(model, np.array([row]))
    assert not t.active[row] and t.reps[first] == pytest.approx(staff)


def test_exclusivity_leaves_no_shared_firm_pays_its_terms_and_shrinks_the_network():
    free = run([*MULTI, "seed=1"], 6)
    sole = run([*MULTI, "seed=1", "strategy.exclusive_partners=true"], 6)
    t = sole.resellers
    vendor = sole.vendor.row
    assert not (shared(sole) & (t.seller == vendor)).any()
    assert ((sole.resellers.seller == vendor) & sole.resellers.active).sum() < (
        (free.resellers.seller == vendor) & free.resellers.active
    ).sum()
    # its better terms: a share of what each of its partners bought, in its costs
    paid = t.exclusive_paid[(t.seller == vendor)]
    bought = t.purchases[(t.seller == vendor) & (t.exclusive_paid > 0)]
    assert paid.sum() == pytest.approx(0.02 * bought.sum())
    assert sole.last["cost_exclusive_partners"] == pytest.approx(paid.sum())
    assert free.last["cost_exclusive_partners"] == 0.0


def test_partners_frame_lists_each_firms_brands_and_their_effort_shares():
    model = run([*MULTI, "seed=2"], 6)
    frame = partners_frame(model)
    active = frame[frame["active"]]
    assert all(sum(shares) == pytest.approx(1.0) for shares in active["effort_shares"])
    assert all(row.seller in row.brands for row in active.itertuples())
    shared = active[active["brands"].map(len) > 1]
    assert len(shared) > 0
    for row in shared.itertuples():
        assert row.effort_shares[row.brands.index(row.seller)] == pytest.approx(row.effort_share)
    assert (frame.loc[~frame["active"], "effort_share"] == 0).all()


def test_each_brand_of_a_shared_firm_is_tiered_by_its_own_seller():
    model = run([*MULTI, "seed=2"], 12)
    t = model.resellers
    tiers: dict[int, set[int]] = {}
    brands: dict[int, set[int]] = {}
    for row in np.flatnonzero(shared(model)):
        tiers.setdefault(int(t.firm[row]), set()).add(int(t.tier[row]))
        brands.setdefault(int(t.firm[row]), set()).add(int(t.seller[row]))
    # each shared firm carries two sellers' brands; some are tier 1 for one, tier 2 for the other
    assert brands and all(len(found) == 2 for found in brands.values())
    assert any(len(found) == 2 for found in tiers.values())
