"""The pricing agents against channel theory: double marginalisation in the linear
monopoly, McGuire and Staelin's duopoly, and the thresholds of substitutability."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from channelsim import cli, compose
from channelsim.analysis import theory
from channelsim.experiment import theory as validation
from channelsim.experiment.run import kpis, simulate
from channelsim.mechanics.pricing import best_price


@pytest.fixture(scope="module")
def rows():
    return validation.table()


@pytest.fixture(scope="module")
def found():
    return validation.thresholds()


def test_every_value_of_the_table_is_within_one_percent(rows):
    prices = len(validation.K_VALUES) * len(validation.PRICE_C_VALUES)
    cases = 2 + 3 * len(validation.T_VALUES) + 2 * len(validation.C_VALUES) + 2 * prices
    assert len({r.case for r in rows}) == cases
    assert len(rows) == 171 + 2 * len(validation.C_VALUES) * 7 + 2 * prices * 7
    off = [(r.case, r.name, r.error) for r in rows if not r.error <= r.limit]
    assert off == []
    encroaching = [r for r in rows if "encroachment" in r.case]
    assert {(r.tolerance, r.zero_tolerance) for r in encroaching} == {(1e-6, 1e-9)}
    assert max(r.error for r in encroaching) < 1e-6
    zeros = [r for r in encroaching if r.closed_form == 0.0]
    assert zeros and max(r.error for r in zeros) <= 1e-9


def test_the_thresholds_found_by_bisection_on_the_model(found):
    got = {name: model for name, model, _, _ in found}
    assert got["manufacturer: DD over II"] == pytest.approx(0.7078, abs=0.01)
    assert got["channel (manufacturer + reseller): DD over II"] == pytest.approx(0.4323, abs=0.01)
    assert got["one manufacturer alone: DD over ID (DD a Nash equilibrium)"] == pytest.approx(
        0.931, abs=0.01
    )
    assert theory.failures([], found) == []


def test_the_encroachment_thresholds_found_by_bisection_on_the_model():
    found = {name: (model, root) for name, model, _, root in validation.encroachment_thresholds()}
    assert found["the manufacturer stops selling direct"][1] == pytest.approx(0.6)
    assert found["the threat stops binding"][1] == pytest.approx(5 / 6)
    assert found["the retailer gains from encroachment: from"][1] == pytest.approx(
        0.53033, abs=1e-5
    )
    assert found["the retailer gains from encroachment: to"][1] == pytest.approx(0.64645, abs=1e-5)
    for model, root in found.values():
        assert model == pytest.approx(root, abs=2e-4)  # bisection stops at 1e-4


def test_the_closed_forms_are_the_issue_of_record():
    """The formulas as published, typed in independently of the derivation in theory.py."""
    t = 0.6
    s, d = 1 - t, 4 - t - 2 * t * t
    ii, dd, id_ = (validation.duopoly(t, x) for x in ("II", "DD", "ID"))
    assert ii["price_1"] == pytest.approx(0.2857, abs=1e-4)
    assert ii["profit_manufacturer_1"] == pytest.approx(0.2041, abs=1e-4)
    assert dd["wholesale_1"] == pytest.approx(0.3881, abs=1e-4)
    assert dd["price_1"] == pytest.approx(0.5629, abs=1e-4)
    assert dd["profit_manufacturer_1"] == pytest.approx(0.1696, abs=1e-4)
    assert dd["profit_reseller_1"] == pytest.approx(0.0764, abs=1e-4)
    assert dd["profit_manufacturer_1"] == pytest.approx(
        s * (2 + t) * (2 - t * t) / ((2 - t) * d * d)
    )
    assert dd["profit_reseller_1"] == pytest.approx(s * (2 - t * t) ** 2 / ((2 - t) ** 2 * d * d))
    assert id_["profit_manufacturer_1"] == pytest.approx(
        s * (4 + t - 2 * t * t) ** 2 / (4 * (2 - t) ** 2 * (2 - t * t) ** 2)
    )
    assert id_["wholesale_2"] == pytest.approx(s * (2 + t) / (2 * (2 - t * t)))
    assert id_["profit_manufacturer_2"] == pytest.approx(s * (2 + t) / (4 * (2 - t) * (2 - t * t)))
    assert id_["profit_reseller_2"] == pytest.approx(s / (4 * (2 - t) ** 2))
    mono_i = validation.monopoly(10, 1, 2, "integrated")
    mono_d = validation.monopoly(10, 1, 2, "decentralised")
    total = mono_d["profit_manufacturer_1"] + mono_d["profit_reseller_1"]
    assert total / mono_i["profit_manufacturer_1"] == pytest.approx(0.75)  # 75% of integrated


@pytest.mark.parametrize("structure", ["II", "DD", "ID"])
def test_prices_converge_from_random_starts(structure):
    finals, firsts = [], []
    for seed in range(5):
        config = compose(["market=linear_duopoly", f"market.structure={structure}", f"seed={seed}"])
        metrics, _ = simulate(config)
        firsts.append(metrics["price_1"].iloc[0])
        finals.append(kpis(metrics, converged=True))
    assert len(set(firsts)) == 5  # five different starts
    expected = validation.duopoly(0.6, structure)
    for final in finals:
        for name, value in expected.items():
            assert final[name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_the_monopoly_converges_from_random_starts_to_double_marginalisation():
    for seed in range(5):
        metrics, _ = simulate(compose(["market=linear_monopoly", f"seed={seed}"]))
        final = kpis(metrics, converged=True)
        assert final["wholesale_1"] == pytest.approx(6.0)  # (a + b c) / 2b
        assert final["price_1"] == pytest.approx(8.0)  # (3a + b c) / 4b
        assert final["profit_manufacturer_1"] == pytest.approx(8.0)  # K^2 / 8b
        assert final["profit_reseller_1"] == pytest.approx(4.0)  # K^2 / 16b


def test_a_seller_finds_its_best_price_from_demand_it_only_observes():
    """The rule sees quantities, not a formula: on a curved demand, repeated probing
    still climbs to the profit-maximising price (exp demand: argmax (p - c) e^-p = 1 + c)."""
    price = 5.0
    for _ in range(200):
        price = best_price(lambda p: math.exp(-p), cost=0.5, current=price)
    assert price == pytest.approx(1.5, abs=1e-3)
    assert best_price(lambda p: 1.0, cost=0.3, current=0.7) == 0.7  # no signal: holds


def test_a_run_of_a_pricing_market_writes_the_contract_columns(tmp_path):
    out = tmp_path / "id"
    code = cli.main(["run", "market=linear_duopoly", "market.structure=ID", f"hydra.run.dir={out}"])
    assert code == 0
    metrics = pd.read_parquet(out / "metrics.parquet")
    names = ["price", "wholesale", "quantity", "profit_manufacturer", "profit_reseller"]
    expected = [f"{n}_{k}" for n in names for k in (1, 2)]
    assert list(metrics.columns) == ["step", "date", *expected]
    assert metrics["wholesale_1"].isna().all()  # manufacturer 1 has no reseller
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kpis"]["wholesale_1"] is None
    assert summary["kpis"]["profit_reseller_1"] == 0.0
    assert summary["kpis"]["wholesale_2"] == pytest.approx(
        validation.duopoly(0.6, "ID")["wholesale_2"]
    )
    mono = tmp_path / "mono"
    assert cli.main(["run", "market=linear_monopoly", f"hydra.run.dir={mono}"]) == 0
    columns = pd.read_parquet(mono / "metrics.parquet").columns
    assert [c for c in columns if c.endswith("_2")] == []


def test_validate_prints_the_table_and_exits_0(tmp_path, capsys):
    assert cli.main(["validate", "--out", str(tmp_path / "tv")]) == 0
    printed = capsys.readouterr().out
    assert "manufacturer: DD over II" in printed and "577 values in 78 cases" in printed
    assert "the threat stops binding" in printed and "7 thresholds" in printed
    assert (tmp_path / "tv" / "encroachment_profit.png").stat().st_size > 10_000
    assert (tmp_path / "tv" / "manufacturer_profit.png").stat().st_size > 10_000
    assert "DD t=0.6" in (tmp_path / "tv" / "report.md").read_text()


def test_validate_exits_1_when_the_model_and_the_closed_forms_disagree(monkeypatch, capsys):
    right = validation.duopoly
    monkeypatch.setattr(
        validation, "duopoly", lambda t, s: {k: v * 1.02 for k, v in right(t, s).items()}
    )
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("channelsim: validation failed:")


def test_validate_exits_1_on_a_wrong_encroachment_closed_form(monkeypatch, capsys):
    right = validation.encroachment

    def off(a, b, c, allowed=True):
        values = right(a, b, c, allowed)
        return {**values, "quantity_1": values["quantity_1"] * (1 + 1e-5)}

    monkeypatch.setattr(validation, "encroachment", off)
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "encroachment c/a=" in err[0], err


def test_structure_is_checked_against_the_market(capsys):
    assert cli.main(["run", "market.structure=II"]) == 2
    assert "applies only to market=linear_monopoly" in capsys.readouterr().err
    assert cli.main(["run", "market=linear_duopoly", "market.structure=integrated"]) == 2
    assert "expected one of II, DD, ID" in capsys.readouterr().err
    assert cli.main(["validate", "market.a=3"]) == 2


def test_the_price_paths_settle():
    metrics, _ = simulate(compose(["market=linear_duopoly", "market.structure=DD", "seed=9"]))
    tail = metrics[["price_1", "price_2", "wholesale_1", "wholesale_2"]].tail(10).to_numpy()
    assert np.ptp(tail, axis=0).max() < 1e-9


@pytest.mark.parametrize(
    "args",
    [
        ["study", "market=linear_duopoly", "--seeds", "1"],
        ["dashboard", "market.kind=linear_duopoly", "market.structure=DD"],
        ["sweep", "market=linear_duopoly", "market.structure=II,DD"],
        ["run", "market=linear_monopoly", "market.unit_cost=20"],
    ],
)
def test_where_a_pricing_market_does_not_belong_it_is_one_line(args, tmp_path, capsys):
    extra = [f"hydra.sweep.dir={tmp_path / 's'}"] if args[0] == "sweep" else []
    extra = extra or ([f"hydra.run.dir={tmp_path / 'r'}"] if args[0] in ("run", "study") else [])
    assert cli.main([*args, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("channelsim: error:"), err
    assert "pricing market" in err[0] or "market.unit_cost=20" in err[0]
    assert not (tmp_path / "s").exists() and not (tmp_path / "r").exists()


def test_a_run_too_short_to_settle_says_so(tmp_path, capsys):
    out = tmp_path / "short"
    assert cli.main(["run", "market=linear_duopoly", "steps=2", f"hydra.run.dir={out}"]) == 0
    assert "NOT converged in 2 months: raise steps" in capsys.readouterr().out
    assert json.loads((out / "summary.json").read_text())["converged"] is False
    full = tmp_path / "full"
    assert cli.main(["run", "market=linear_duopoly", f"hydra.run.dir={full}"]) == 0
    assert "(converged)" in capsys.readouterr().out
    assert json.loads((full / "summary.json").read_text())["converged"] is True
