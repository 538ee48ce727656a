"""Supplier encroachment (Arya, Mittendorf and Sappington 2007): the closed forms against
a brute-force backward induction that does not use them, the model's agents against the
closed forms, the commands that take the market and those that refuse it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from channelsim import cli, compose
from channelsim.agents import encroachment as rules
from channelsim.experiment import theory as validation
from channelsim.experiment.run import SETTLED_MONTHS, kpis, simulate
from channelsim.pricing_model import LinearEncroachment

NAMES = ("wholesale_1", "quantity_1", "direct_quantity_1", "price_1")


def backward_induction(a: float, b: float, c: float, allowed: bool) -> dict:
    """The game solved stage by stage from the last, by search alone: for every retailer
    quantity on a fine grid, the manufacturer's best direct quantity by golden section
    (all at once, as arrays); for every wholesale price on a grid, the retailer's best
    quantity on its grid given that response; then the manufacturer's best wholesale
    price on its grid."""
    q = np.linspace(0.0, a / b, 20001)  # the retailer's quantities

    def direct_margin(m: np.ndarray) -> np.ndarray:
        return (a - b * (q + m) - c) * m

    lo, hi = np.zeros_like(q), np.full_like(q, a / b)
    if allowed:
        ratio = (np.sqrt(5.0) - 1.0) / 2.0
        for _ in range(80):  # stage 3: golden section, for every q at once
            x1, x2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
            left = direct_margin(x1) >= direct_margin(x2)
            hi, lo = np.where(left, x2, hi), np.where(left, lo, x1)
    response = (lo + hi) / 2.0 if allowed else np.zeros_like(q)
    price = a - b * (q + response)
    w = np.linspace(0.0, a, 2001)
    pick = np.empty(w.size, dtype=np.int64)
    for chunk in np.array_split(np.arange(w.size), 20):  # stage 2, for every w
        pick[chunk] = np.argmax((price[None, :] - w[chunk, None]) * q[None, :], axis=1)
    maker = w * q[pick] + (price[pick] - c) * response[pick]
    best = int(np.argmax(maker))  # stage 1
    i = pick[best]
    return {
        "wholesale_1": w[best],
        "quantity_1": q[i],
        "direct_quantity_1": response[i],
        "price_1": price[i],
        "profit_manufacturer_1": maker[best],
        "profit_reseller_1": (price[i] - w[best]) * q[i],
    }


@pytest.mark.parametrize("allowed", [True, False])
@pytest.mark.parametrize("share", [0.1, 0.4, 0.55, 0.62, 0.7, 0.8, 0.9])
def test_the_closed_forms_are_the_backward_induction_of_the_game(share, allowed):
    """At a = 2, b = 0.5, in every regime: selling direct (c/a < 0.6), the threat alone
    (to 5/6), neither; and both ends of the retailer's gain (0.530 to 0.646)."""
    a, b = 2.0, 0.5
    formula = validation.encroachment(a, b, share * a, allowed)
    brute = backward_induction(a, b, share * a, allowed)
    for name in (*NAMES, "profit_manufacturer_1", "profit_reseller_1"):
        # to about the grids' steps (1e-3 for w, 2e-4 for q)
        assert brute[name] == pytest.approx(formula[name], abs=2e-3), name


def sold(a: float, k: float, p_r: np.ndarray, p_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The price version's demand (the market's definition): both sell where both
    quantities come out positive; else one product alone faces q = a - p."""
    d = 1.0 - k * k
    q_r = (a * (1 - k) - p_r + k * p_m) / d
    q_m = (a * (1 - k) - p_m + k * p_r) / d
    alone_r, alone_m = q_m <= 0, q_r <= 0
    q_r2 = np.where(alone_r, np.maximum(0, a - p_r), np.where(alone_m, 0.0, q_r))
    q_m2 = np.where(alone_m & ~alone_r, np.maximum(0, a - p_m), np.where(alone_r, 0.0, q_m))
    return q_r2, q_m2


def backward_induction_prices(a: float, k: float, c: float) -> dict:
    """The price version solved by search alone: for every wholesale price and retailer
    price on grids, the manufacturer's best direct price (a grid, then golden section
    around its best, as arrays) against selling nothing; then the retailer's best price,
    then the manufacturer's best wholesale price."""
    w = np.linspace(0.0, a, 201)[:, None]
    p_r = np.linspace(0.0, a, 1001)[None, :]
    w, p_r = np.broadcast_arrays(w, p_r)

    def direct(p_m: np.ndarray) -> np.ndarray:
        q_r, q_m = sold(a, k, p_r, p_m)
        return w * q_r + (p_m - c) * q_m

    grid = np.linspace(c, a, 101)
    values = np.stack([direct(np.full(w.shape, g)) for g in grid])
    best = np.argmax(values, axis=0)
    step = (a - c) / 100
    lo, hi = c + np.maximum(best - 1, 0) * step, c + np.minimum(best + 1, 100) * step
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(60):
        x1, x2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        left = direct(x1) >= direct(x2)
        hi, lo = np.where(left, x2, hi), np.where(left, lo, x1)
    p_m = (lo + hi) / 2
    nothing = w * np.maximum(0.0, a - p_r)  # selling nothing direct
    p_m = np.where(direct(p_m) > nothing, p_m, 2 * a)  # 2a: nobody buys direct
    q_r, q_m = sold(a, k, p_r, p_m)
    retailer = (p_r - w) * q_r
    pick = np.argmax(retailer, axis=1)
    rows = np.arange(w.shape[0])
    maker = w[rows, pick] * q_r[rows, pick] + np.where(
        q_m[rows, pick] > 0, (p_m[rows, pick] - c) * q_m[rows, pick], 0.0
    )
    i = int(np.argmax(maker))
    j = pick[i]
    return {
        "wholesale_1": w[i, j],
        "price_1": p_r[i, j],
        "quantity_1": q_r[i, j],
        "direct_quantity_1": q_m[i, j],
        "profit_manufacturer_1": maker[i],
        "profit_reseller_1": retailer[i, j],
    }


@pytest.mark.parametrize("k", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("share", [0.1, 0.3, 0.5])
def test_the_price_closed_forms_are_the_backward_induction_of_the_game(k, share):
    formula = validation.encroachment_prices(1.0, k, share)
    brute = backward_induction_prices(1.0, k, share)
    for name, value in brute.items():  # to about the grids' steps (5e-3 for w)
        # the manufacturer's profit is flat at its peak: w to three steps, profit closer
        tolerance = {"wholesale_1": 0.015, "profit_manufacturer_1": 1e-3}.get(name, 6e-3)
        assert value == pytest.approx(formula[name], abs=tolerance), name


def test_the_price_agents_reach_the_closed_forms_in_a_market_of_other_units():
    config = compose(
        [
            "market=linear_encroachment",
            "market.structure=price",
            "market.a=2",
            "market.substitutability=0.6",
            "market.direct_cost=0.5",
            f"steps={SETTLED_MONTHS + 1}",
        ]
    )
    final = kpis(simulate(config)[0], converged=True)
    for name, value in validation.encroachment_prices(2.0, 0.6, 0.5).items():
        assert final[name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


@pytest.mark.parametrize("share", [0.3, 0.7, 0.9])
def test_the_agents_reach_the_closed_forms_in_a_market_of_other_units(share):
    config = compose(
        [
            "market=linear_encroachment",
            "market.a=2",
            "market.b=0.5",
            f"market.direct_cost={share * 2}",
            f"steps={SETTLED_MONTHS + 1}",
        ]
    )
    final = kpis(simulate(config)[0], converged=True)
    for name, value in validation.encroachment(2.0, 0.5, share * 2, True).items():
        assert final[name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_the_retailers_rule_anticipates_the_manufacturers_own_rule(monkeypatch):
    """The retailer learns the manufacturer's response only by asking its rule: a
    manufacturer that would answer with twice as much moves the retailer's choice."""
    model = LinearEncroachment(compose(["market=linear_encroachment"]))
    honest = model.retailer.choose_quantity(0.45)
    rule = rules.Manufacturer.direct_response
    monkeypatch.setattr(
        rules.Manufacturer, "direct_response", lambda self, w, q: 2 * rule(self, w, q)
    )
    assert model.retailer.choose_quantity(0.45) != pytest.approx(honest)


def test_without_encroachment_the_manufacturer_never_sells_direct():
    model = LinearEncroachment(
        compose(["market=linear_encroachment", "market.encroachment=false", "market.direct_cost=0"])
    )
    assert model.maker.direct_response(0.9, 0.0) == 0.0
    model.step()
    assert model.last["direct_quantity_1"] == 0.0


def test_a_run_writes_the_pricing_outputs_and_says_it_converged(tmp_path):
    out = tmp_path / "enc"
    args = [
        "run",
        "market=linear_encroachment",
        "market.structure=quantity",
        "market.direct_cost=0.65",
        f"hydra.run.dir={out}",
    ]
    assert cli.main(args) == 0
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert list(metrics.columns) == ["step", "date", *rules.METRICS]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["converged"] is True
    expected = validation.encroachment(1.0, 1.0, 0.65)  # the threat binds: q_R = a - c
    assert summary["kpis"]["quantity_1"] == pytest.approx(expected["quantity_1"], rel=1e-6)
    assert summary["kpis"]["direct_quantity_1"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("command", ["study", "sweep", "dashboard", "optimize", "sensitivity"])
def test_the_other_commands_refuse_the_market_in_one_line(command, capsys):
    # the dashboard takes market.KEY=VALUE only
    market = ["market.kind=linear_encroachment", "market.structure=quantity"]
    args = market if command == "dashboard" else ["market=linear_encroachment"]
    assert cli.main([command, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "textbook pricing market" in err[0], err


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("market.substitutability=1", "market.substitutability=1 is not allowed: expected a"),
        ("market.direct_cost=-0.1", "market.direct_cost=-0.1 is not allowed"),
        ("market.direct_cost=1", "market.direct_cost=1 is not allowed: below market.a (1)"),
        ("market.direct_cost=3", "market.direct_cost=3 is not allowed: below market.a (1)"),
    ],
)
def test_bad_values_get_one_line(override, message, capsys, tmp_path):
    args = ["run", "market=linear_encroachment", override, f"hydra.run.dir={tmp_path / 'x'}"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_the_factory_builds_the_encroachment_model_with_its_two_agents():
    from channelsim import build_model

    model = build_model(compose(["market=linear_encroachment"]))
    assert type(model) is LinearEncroachment
    assert {type(a) for a in model.agents} == {rules.Manufacturer, rules.Retailer}
