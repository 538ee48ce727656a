"""Rivals that respond: an adaptive seller reviews one lever each quarter by its own
profit alone (channelsim.mechanics.response); a fixed one keeps its policy."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from channelsim import ConfigError, compose
from channelsim.experiment.run import simulate
from channelsim.mechanics import response
from channelsim.mechanics.response import Memory, review
from channelsim.model import ChannelModel

from .conftest import WHOLE_SMALL

# the whole market's three big rivals, adaptive
RIVALS = ("direct", "globalbrands", "localbrands")
ADAPTIVE = [f"market.sellers.{name}.response=adaptive" for name in RIVALS]
FIXED = [f"market.sellers.{name}.response=fixed" for name in RIVALS]
RANGES = {"markup": (0.0, 1.0), "rebate_rate": (0.0, 0.3)}


def test_a_review_keeps_a_move_that_paid_and_undoes_and_turns_one_that_did_not():
    memory = Memory(start={"markup": 0.2})
    # the first review: no quarter to compare with, the lever moves up a tenth of 0.2
    levers = review({"markup": 0.2}, memory, 100.0, 0.1, 0.5, RANGES)
    assert levers == {"markup": pytest.approx(0.22)} and memory.moved == ("markup", 0.2)
    # profit fell: the move is undone and the lever turns, then moves down
    levers = review(levers, memory, 90.0, 0.1, 0.5, RANGES)
    assert levers == {"markup": pytest.approx(0.18)} and memory.direction == {"markup": -1}
    # profit rose: the move stays, and the lever goes on down
    levers = review(levers, memory, 95.0, 0.1, 0.5, RANGES)
    assert levers == {"markup": pytest.approx(0.16)}


def test_a_review_stays_within_its_band_and_never_starts_a_programme():
    memory = Memory(start={"markup": 0.2, "rebate_rate": 0.0}, direction={"markup": -1})
    levers = {"markup": 0.1, "rebate_rate": 0.0}  # at the band's floor, 0.2 x (1 - 0.5)
    after = review(levers, memory, 100.0, 0.1, 0.5, RANGES)
    assert after == levers and memory.direction == {"markup": 1} and memory.moved is None
    after = review(after, memory, 100.0, 0.1, 0.5, RANGES)
    assert after == {"markup": pytest.approx(0.12), "rebate_rate": 0.0}


def test_a_review_after_the_seller_lost_its_partners_leaves_their_levers_alone():
    """The last move was a channel lever; the seller has no partners now, so only its
    price is reviewed: the move is neither undone nor reviewed, whatever profit did."""
    memory = Memory(start={"markup": 0.2, "rebate_rate": 0.02})
    memory.turn, memory.moved, memory.profit = 1, ("rebate_rate", 0.02), 100.0
    after = review({"markup": 0.2}, memory, 90.0, 0.1, 0.5, RANGES)
    assert after == {"markup": pytest.approx(0.22)} and memory.moved == ("markup", 0.2)
    assert "rebate_rate" not in memory.direction


def run(overrides: list[str], steps: int = 36) -> ChannelModel:
    model = ChannelModel(dataclasses.replace(compose([*WHOLE_SMALL, *overrides]), steps=steps))
    for _ in range(steps):
        model.step()
    return model


def test_fixed_rivals_keep_their_levers_and_adaptive_ones_move_them():
    # the default market's three big rivals are adaptive
    assert all(compose([]).market.sellers[name].response == "adaptive" for name in RIVALS)
    fixed = run(["scenario=history", *FIXED])
    adaptive = run(["scenario=history"])
    assert fixed.responses == []
    assert {name for _, name, _ in adaptive.responses} == set(RIVALS)
    start = compose([*WHOLE_SMALL]).market.sellers
    for name in RIVALS:
        assert fixed.market.sellers[name].policy == start[name].policy
        assert adaptive.market.sellers[name].policy != start[name].policy
    # reviews come at the quarters' close only
    assert {date[-2:] for date, _, _ in adaptive.responses} <= {"03", "06", "09", "12"}


def test_rivals_react_to_the_vendor_after_2004_and_not_before():
    history = run(["scenario=history", *ADAPTIVE], steps=48)
    traditional = run(["scenario=stay_traditional", *ADAPTIVE], steps=48)
    before = [r for r in history.responses if r[0] < "2004-01"]
    assert before == [r for r in traditional.responses if r[0] < "2004-01"]
    assert [r for r in history.responses if r[0] >= "2004-01"] != [
        r for r in traditional.responses if r[0] >= "2004-01"
    ]


def test_the_review_reads_the_sellers_own_quarterly_profit_and_levers_alone(monkeypatch):
    seen = []
    real = response.review

    def watched(levers, memory, profit, step, band, ranges):
        seen.append((dict(levers), profit))
        return real(levers, memory, profit, step, band, ranges)

    monkeypatch.setattr(response, "review", watched)
    config = compose([*WHOLE_SMALL, *FIXED, "market.sellers.direct.response=adaptive"])
    metrics, _ = simulate(dataclasses.replace(config, steps=12))
    # one review a quarter, each on the direct seller's own profit over that quarter
    quarters = metrics["profit_direct"].to_numpy().reshape(4, 3).sum(axis=1)
    assert np.allclose([profit for _, profit in seen], quarters)
    # and on its own levers: its price alone (it has no partners)
    assert all(list(levers) == ["markup"] for levers, _ in seen)


def test_the_vendor_does_not_adapt():
    with pytest.raises(ConfigError, match=r"^market.sellers.vendor.response='adaptive' is not"):
        compose(["market.sellers.vendor.response=adaptive"])
