"""`channelsim calibrate` with `calibrate.method=abc` (pyabc's ABC-SMC): a posterior and
the files it writes, the same posterior from the same seed in one process, resuming its
database, the parallel samplers (local processes, a dask cluster) saying they are not
bit-reproducible, and one-line errors. (Its parameter recovery at full size:
experiments/calibration/README.md.)"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import channelsim
from channelsim import cli
from channelsim.experiment.calibrate import DUMMY, plan_calibrate
from tests.test_calibrate import experiment_file

SETTINGS = {"method": "abc", "seeds": 1, "budget": 40, "population": 10, "check_seeds": 3}
# one cheap target
TARGET = {
    "metric": "share_vendor_total",
    "window": "2002-H1",
    "value": 0.7,
    "sd": 0.02,
    "source": "a test",
    "use": "fit",
}
SMALL = ["market.n_regions=1"]


def calibrate(folder, targets, ranges, overrides=(), **settings):
    experiment_file(folder, targets, ranges, **{**SETTINGS, "n_jobs": 1, **settings})
    return channelsim.calibrate(
        ["experiment=recover", *overrides],
        out_dir=folder / "out",
        config_dir=str(folder),
        progress=False,
    )


# the serial calibration the tests read: the direct seller's field force, which the
# vendor's share in 2002-H1 depends on, and the dummy, which nothing reads
RANGES = {"market.sellers.direct.field_reps": [6, 20], DUMMY: [0.0, 1.0]}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """One serial ABC-SMC on a small market, read by several tests."""
    folder = tmp_path_factory.mktemp("abc")
    return folder, calibrate(folder, [TARGET], RANGES, SMALL)


def test_abc_writes_a_posterior_its_generations_and_the_report(serial):
    folder, outcome = serial
    summary = outcome.summary
    assert summary["status"] == "ok", summary["error"]
    assert summary["method"] == "abc" and summary["reproducible"] is True
    assert "bit-reproducible for a seed" in summary["sampler"]
    # the budget is checked at the end of a generation: it may run a little past it
    assert 40 <= summary["evaluations"] < 40 + 3 * 10
    out = folder / "out"
    for name in (
        "posterior.csv",
        "populations.csv",
        "parameters.csv",
        "targets.csv",
        "abc.db",
        "market/calibrated.yaml",
        "figures/targets.png",
        "figures/posteriors.png",
        "report.md",
        "report.html",
    ):
        assert (out / name).is_file(), name
    posterior = pd.read_csv(out / "posterior.csv")
    generations = pd.read_csv(out / "populations.csv")
    assert list(generations["generation"]) == list(range(len(generations)))
    assert generations["epsilon"].is_monotonic_decreasing  # the thresholds fall
    last = posterior[posterior["generation"] == generations["generation"].max()]
    assert len(last) == 10 and last["weight"].sum() == pytest.approx(1.0)
    table = pd.read_csv(out / "parameters.csv").set_index("key")
    for key, (lo, hi) in RANGES.items():
        row = table.loc[key]
        assert lo <= row["low"] <= row["best"] <= row["high"] <= hi, key
        assert last[key].between(lo, hi).all(), key
    assert not table.loc[DUMMY, "identified"]  # what the targets never read stays open
    assert float(table.loc["market.sellers.direct.field_reps", "best"]).is_integer()
    report = (out / "report.md").read_text()
    assert "posterior medians of generation" in report and "90% interval" in report
    assert "## Generations" in report


def test_the_same_seed_gives_the_same_posterior_in_one_process(serial, tmp_path):
    folder, _ = serial
    again = calibrate(tmp_path, [TARGET], RANGES, SMALL)
    assert again.summary["status"] == "ok", again.summary["error"]
    for name in ("posterior.csv", "populations.csv", "parameters.csv", "targets.csv"):
        assert (tmp_path / "out" / name).read_text() == (folder / "out" / name).read_text()


def test_a_rerun_resumes_the_database_up_to_the_new_budget(tmp_path, capsys):
    experiment_file(tmp_path, [TARGET], {"market.sellers.direct.field_reps": [6, 20]}, **SETTINGS)
    args = ["--config-dir", str(tmp_path), "experiment=recover", *SMALL]
    args += ["calibrate.n_jobs=1", "calibrate.budget=12", "calibrate.population=4"]
    out = tmp_path / "out"
    assert cli.main(["calibrate", *args, f"hydra.sweep.dir={out}"]) == 0
    first = json.loads((out / "summary.json").read_text())
    generations = len(pd.read_csv(out / "populations.csv"))
    capsys.readouterr()
    more = [a.replace("budget=12", "budget=30") for a in args]
    assert cli.main(["calibrate", *more, f"hydra.sweep.dir={out}"]) == 0
    again = json.loads((out / "summary.json").read_text())
    assert again["evaluations"] >= 30 > first["evaluations"]
    assert len(pd.read_csv(out / "populations.csv")) > generations  # it went on from there


@pytest.mark.parametrize("where", ["processes", "dask"])
def test_the_parallel_samplers_run_and_say_they_are_not_bit_reproducible(tmp_path, where):
    from contextlib import nullcontext

    from distributed import LocalCluster

    cluster = (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
        if where == "dask"
        else nullcontext()
    )
    with cluster:
        how = [f"calibrate.dask={cluster.scheduler_address}"] if where == "dask" else []
        ranges = {"market.sellers.direct.field_reps": [6, 20]}
        jobs = 2 if where == "processes" else 1
        outcome = calibrate(
            tmp_path, [TARGET], ranges, [*SMALL, *how], budget=12, population=4, n_jobs=jobs
        )
    summary = outcome.summary
    assert summary["status"] == "ok", summary["error"]
    assert summary["reproducible"] is False and "not bit-reproducible" in summary["sampler"]
    assert "not bit-reproducible" in (tmp_path / "out" / "report.md").read_text()
    assert summary["evaluations"] >= 12


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        (["calibrate.storage=journal:/tmp/x.log"], "a journal file is Optuna's"),
        (["calibrate.population=-1"], "calibrate.population=-1 is not allowed"),
        (["calibrate.method=optuna", "calibrate.population=10"], "it is for method=abc"),
        (["calibrate.method=smc"], "one of optuna, abc"),
    ],
)
def test_bad_abc_settings_are_one_line(tmp_path, capsys, overrides, says):
    experiment_file(tmp_path, [TARGET], {"market.growth": [0.0, 0.2]}, method="abc")
    out = tmp_path / "out"
    args = ["--config-dir", str(tmp_path), "experiment=recover", *overrides]
    code = cli.main(["calibrate", *args, f"hydra.sweep.dir={out}"])
    err = capsys.readouterr().err
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_abc_without_pyabc_says_which_extra_to_install(tmp_path, monkeypatch):
    import sys

    experiment_file(tmp_path, [TARGET], {"market.growth": [0.0, 0.2]}, method="abc")
    monkeypatch.setitem(sys.modules, "pyabc", None)  # import pyabc raises ImportError
    with pytest.raises(channelsim.ConfigError, match=r"pip install 'channelsim\[calibrate\]'"):
        plan_calibrate(["experiment=recover"], str(tmp_path))
