"""Sensitivity analysis: `channelsim sensitivity` recovers the Ishigami function's known
Sobol indices, ranks a parameter the model ignores last on the default market, resumes
its runs, and refuses bad input in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import channelsim
from channelsim import cli
from channelsim.config.compose import compose, compose_run, with_values
from channelsim.experiment.run import config_hash
from channelsim.experiment.sensitivity import ishigami

SCRIPT = Path(sys.executable).parent / "channelsim"
# the Ishigami function's indices (a = 7, b = 0.1), from its closed form
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
# the default market at a small size: two regions, two years, five trajectories
SMALL = ["market.n_regions=2", "steps=24", "sensitivity.samples=5"]
DUO = "market=china_pc_2002_duo"  # the two-seller market


def sensitivity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), "sensitivity", *args], capture_output=True, text=True, timeout=900
    )


def test_ishigami_function_is_the_textbook_one():
    x = np.array([[0.0, np.pi / 2, 1.0], [np.pi / 2, 0.0, 2.0]])
    assert ishigami(x) == pytest.approx([7.0, 1.0 + 0.1 * 16])


def test_sobol_indices_of_the_ishigami_function_are_recovered(tmp_path):
    done = sensitivity("experiment=sensitivity_ishigami", f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "sensitivity.csv").set_index("parameter")
    for name in ("x1", "x2", "x3"):
        assert table.loc[name, "estimate"] == pytest.approx(ST[name], abs=0.05)
        assert table.loc[name, "S1"] == pytest.approx(S1[name], abs=0.05)
        # the intervals are honest: they cover the true value
        assert table.loc[name, "ci_low"] - 0.01 <= ST[name] <= table.loc[name, "ci_high"] + 0.01
    assert table["rank"].to_dict() == {"x1": 1, "x2": 2, "x3": 3, "dummy": 4}
    assert table.loc["dummy", "estimate"] == pytest.approx(0.0, abs=0.01)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["seed"] == 0 and summary["method"] == "sobol"
    assert (tmp_path / "sensitivity.png").stat().st_size > 0


def test_morris_on_the_two_seller_market_scores_the_dummy_zero_and_last_and_resumes(tmp_path):
    folder = f"hydra.sweep.dir={tmp_path}"
    done = sensitivity("experiment=sensitivity_morris", DUO, *SMALL, folder)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "sensitivity.csv")
    assert set(table["kpi"]) == {"profit_vendor", "share_vendor_key", "partner_satisfaction"}
    for kpi, ranked in table.groupby("kpi"):
        ranked = ranked.sort_values("rank")
        assert ranked["parameter"].iloc[-1] == "dummy", kpi
        # at common seeds a parameter the model ignores changes no run: exactly zero,
        # which also says every sample row was matched with its own runs
        dummy = ranked["estimate"].iloc[-1]
        assert dummy == 0.0, kpi
        # every other parameter moves the KPI, but for one that has no path to it: the
        # growth of transactional demand reaches no key account in these 24 months
        moving = ranked[ranked["parameter"] != "dummy"].set_index("parameter")["estimate"]
        silent = {"market.growth"} if kpi == "share_vendor_key" else set()
        assert (moving.drop(list(silent)) > 0).all() and (moving >= 0).all(), kpi
        assert ranked["rank"].tolist() == list(range(1, 10))
        assert (ranked["ci_low"] <= ranked["estimate"]).all()
        assert (ranked["estimate"] <= ranked["ci_high"]).all()
    # the levers that move vendor profit clear the dummy's interval
    profit = table[table["kpi"] == "profit_vendor"].set_index("parameter")
    assert profit.loc["strategy.training_budget", "above_dummy"]
    # a sample row's KPI is the run of its job
    samples = pd.read_csv(tmp_path / "samples.csv")
    row = samples.iloc[7]
    run = json.loads((tmp_path / "runs" / row["jobs"] / "summary.json").read_text())
    assert run["kpis"]["profit_vendor"] == row["profit_vendor"]
    assert run["status"] == "ok" and run["seed"] == 0
    # the runs keep their metrics, not their networks (thousands of runs would fill a disk)
    job = tmp_path / "runs" / row["jobs"]
    assert (job / "metrics.parquet").exists() and not (job / "channel.graphml").exists()
    # a rerun runs nothing again and gives the same table
    again = sensitivity("experiment=sensitivity_morris", DUO, *SMALL, folder)
    assert again.returncode == 0, again.stderr
    assert "0 to run" in again.stdout
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "sensitivity.csv"), table)


def test_the_python_api_gives_the_command_s_table(tmp_path):
    args = ["experiment=sensitivity_ishigami", "sensitivity.samples=256"]
    outcome = channelsim.sensitivity(args, out_dir=tmp_path / "api", progress=False)
    assert cli.main(["sensitivity", *args, f"hydra.sweep.dir={tmp_path / 'cli'}"]) == 0
    pd.testing.assert_frame_equal(
        outcome.table, pd.read_parquet(tmp_path / "cli" / "sensitivity.parquet")
    )
    assert list(outcome.samples.columns[:2]) == ["row", "x1"]


def test_values_set_directly_equal_composing_again():
    base = ["scenario=history", "market.n_regions=2"]
    values = {
        "strategy.rebate_rate": 0.05,
        "strategy.account_managers": 30,
        "market.sellers.direct.policy.markup": 0.2,
        "market.price_sensitivity": 5,
    }
    fast = with_values(compose(base), values)
    slow = compose_run([*base, *(f"{k}={v}" for k, v in values.items())]).config
    assert fast == slow and config_hash(fast) == config_hash(slow)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sensitivity.method=fast"], "sensitivity.method='fast' is not allowed: expected one of"),
        (["sensitivity.kpis=[profit]"], "sensitivity.kpis='profit' is not allowed"),
        (["sensitivity.levels=3"], "an even integer"),
        (["sensitivity.bogus=1"], "unknown key 'sensitivity.bogus'"),
        (["sensitivity.samples=3,4"], "sensitivity.samples takes one value, not a sweep"),
        (["sensitivity.parameters={a:[0,1]}"], "declare the ranges in an experiment file"),
        (["strategy.rebate_rate=0.03"], "both set (strategy.rebate_rate=0.03) and varied"),
        (["market.growth=0,0.1"], "declare ranges in sensitivity.parameters"),
        (["experiment=optimize_policy"], "is a policy search"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, says, tmp_path, capsys):
    assert cli.main(["sensitivity", *args, f"hydra.sweep.dir={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("ranges", "says"),
    [
        ("strategy.map_enforced: [0, 1]", "strategy.map_enforced is a bool: vary numbers only"),
        ("strategy.rebate_rate: [0, 2]", "strategy.rebate_rate=2.0 is not allowed"),
        ("strategy.rebate_rate: [0.1, 0]", "expected [low, high], low < high"),
        ("strategy.rebate_rate: 0.1", "rebate_rate=0.1 is not allowed: expected [low, high]"),
        ("strategy.rebate: [0, 0.1]", "'strategy.rebate' is not allowed: vary strategy.*"),
        ("dummy: [0, 1]", "the name 'dummy' is kept for the dummy parameter"),
    ],
)
def test_bad_ranges_in_an_own_experiment_are_one_line(ranges, says, tmp_path, capsys):
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "mine.yaml").write_text(
        f"# @package _global_\nsensitivity:\n  parameters:\n    {ranges}\n"
    )
    args = ["--config-dir", str(tmp_path), "experiment=mine", f"hydra.sweep.dir={tmp_path}/o"]
    assert cli.main(["sensitivity", *args]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_rows_share_their_seeds_unless_told_otherwise():
    from channelsim.experiment.sensitivity import plan_sensitivity

    def seeds(plan):
        return [tuple(int(name.split("_")[1]) for name in names) for names in plan.row_jobs]

    common = plan_sensitivity(["experiment=sensitivity_morris", *SMALL, "sensitivity.seeds=2"])
    assert set(seeds(common)) == {(0, 1)}
    # a dummy step repeats the row before it: the same config at the same seeds, run once
    assert len(common.sweep.jobs) < 2 * len(common.sample)
    own = ["sensitivity.common_seeds=false", "sensitivity.seeds=2", "seed=10"]
    plan = plan_sensitivity(["experiment=sensitivity_morris", *SMALL, *own])
    assert seeds(plan)[:3] == [(10, 11), (12, 13), (14, 15)]
    assert len(plan.sweep.jobs) == 2 * len(plan.sample)


def test_a_hydra_launcher_runs_the_same_jobs_into_the_same_folders(tmp_path):
    args = [
        "experiment=sensitivity_morris",
        "market.n_regions=2",
        "steps=6",
        "sensitivity.samples=2",
        "sensitivity.kpis=[profit_vendor]",
    ]
    local = channelsim.sensitivity(args, out_dir=tmp_path / "local", progress=False)
    hydra = channelsim.sensitivity(
        [*args, "hydra/launcher=basic"], out_dir=tmp_path / "hydra", progress=False
    )
    assert hydra.summary["status"] == "ok"
    pd.testing.assert_frame_equal(local.table, hydra.table)
    folders = {p.name for p in (tmp_path / "local" / "runs").iterdir() if p.is_dir()}
    assert folders == {p.name for p in (tmp_path / "hydra" / "runs").iterdir() if p.is_dir()}
    assert "1_0" in folders
