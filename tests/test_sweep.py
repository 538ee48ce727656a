"""Sweeps: `channelsim sweep` on every launcher, failure isolation, resume, the tables and
the report, and `channelsim.sweep` for notebooks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

import channelsim
from channelsim import cli
from channelsim.config.validate import ConfigError
from channelsim.experiment.sweep import collect, plan_sweep
from channelsim.model import METRICS, ChannelModel

from .conftest import SMALL

SCRIPT = Path(sys.executable).parent / "channelsim"
TINY = [*SMALL, "steps=6"]
GRID = ["strategy=direct,relationship_channel", "seed=range(0,4)"]


def sweep_cli(*args: str, env: dict | None = None, timeout: float = 600):
    """The installed console script, as a user runs it."""
    return subprocess.run(
        [str(SCRIPT), "sweep", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def job_dirs(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.reset_index(drop=True)


def test_a_grid_sweep_writes_job_folders_tables_and_report(tmp_path):
    out = tmp_path / "grid"
    done = sweep_cli(*GRID, *TINY, f"hydra.sweep.dir={out}")
    assert done.returncode == 0, done.stderr
    assert len(job_dirs(out)) == 8
    table = pd.read_csv(out / "summary.csv")
    assert list(table.columns) == [
        "job",
        "strategy",
        "seed",
        "status",
        "error",
        *METRICS,
        "share_direct_total",
    ]
    assert (table["status"] == "ok").all() and table["error"].isna().all()
    assert table["job"].tolist() == list(range(8))
    # Hydra's order: the first key varies slowest
    assert table["strategy"].tolist() == ["direct"] * 4 + ["relationship_channel"] * 4
    assert table["seed"].tolist() == [0, 1, 2, 3] * 2
    for folder in job_dirs(out):
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["status"] == "ok" and summary["job"] == folder.name
        assert (folder / "metrics.parquet").is_file()
    parquet = pd.read_parquet(out / "summary.parquet")
    assert parquet["share_vendor_key"].tolist() == pytest.approx(
        table["share_vendor_key"].tolist(), rel=1e-12
    )
    report = (out / "report.md").read_text()
    assert "strategy=direct" in report and "strategy=relationship_channel" in report
    assert (out / "report.html").is_file()
    assert (out / "figures" / "kpi_by_group.png").stat().st_size > 10_000
    assert (out / "figures" / "over_time.png").stat().st_size > 10_000
    groups = pd.read_csv(out / "groups.csv")
    key = groups[(groups["kpi"] == "share_vendor_key") & (groups["strategy"] == "direct")]
    assert int(key["n"].iloc[0]) == 4
    direct = table[table["strategy"] == "direct"]["share_vendor_key"]
    assert key["mean"].iloc[0] == pytest.approx(direct.mean())
    assert key["sd"].iloc[0] == pytest.approx(direct.std(ddof=1))
    assert key["ci_low"].iloc[0] < key["mean"].iloc[0] < key["ci_high"].iloc[0]


def test_invalid_jobs_fail_alone_and_the_sweep_exits_1(tmp_path):
    out = tmp_path / "partly"
    rest = [o for o in TINY if not o.startswith("market.n_regions")]
    done = sweep_cli("market.n_regions=3,0", "seed=0,1", *rest, f"hydra.sweep.dir={out}")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("channelsim: 2 of 4 jobs failed"), done.stderr
    assert "Traceback" not in done.stderr
    table = pd.read_csv(out / "summary.csv")
    bad = table[table["market.n_regions"] == 0]
    assert (bad["status"] == "failed").all()
    assert bad["error"].str.contains("market.n_regions=0 is not allowed").all()
    assert (table[table["market.n_regions"] == 3]["status"] == "ok").all()
    for job in bad["job"]:
        summary = json.loads((out / str(job) / "summary.json").read_text())
        assert summary["status"] == "failed" and "n_regions" in summary["error"]
    report = (out / "report.md").read_text()
    assert "## Failed jobs" in report and "market.n_regions=0 is not allowed" in report


@pytest.mark.parametrize(
    "args",
    [
        ["market.n_regions=0,-1", "seed=0,1"],  # a value wrong for every job
        ["market.nosuch=1,2"],  # an unknown key
        ["strategy=direct,", "seed=0,1"],  # malformed
        ["strategy=direct,nosuch_preset"],  # one fine, one not: that is not all invalid...
    ],
)
def test_a_sweep_with_every_job_invalid_exits_2_with_one_line(tmp_path, capsys, args):
    out = tmp_path / "never"
    small = [o for o in SMALL if not o.startswith("market.n_regions")]
    code = cli.main(["sweep", *small, "steps=2", *args, f"hydra.sweep.dir={out}"])
    err = capsys.readouterr().err
    if args[0] == "strategy=direct,nosuch_preset":
        # ...so the valid job runs and the other is a failed row
        assert code == 1
        table = pd.read_csv(out / "summary.csv")
        assert table["status"].tolist() == ["ok", "failed"]
        assert "strategy='nosuch_preset' is not allowed" in table["error"].iloc[1]
        return
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_a_job_that_raises_while_running_fails_alone(tmp_path, capsys, monkeypatch):
    """Through a Hydra launcher (basic, in-process so the model can be sabotaged):
    Hydra's own exit-1-with-traceback never reaches the user."""
    original = ChannelModel.step

    def step(self):
        if self.config.seed == 1:
            raise FloatingPointError("capital overflowed")
        original(self)

    monkeypatch.setattr(ChannelModel, "step", step)
    out = tmp_path / "raising"
    code = cli.main(
        ["sweep", "seed=0,1,2", "hydra/launcher=basic", *TINY, f"hydra.sweep.dir={out}"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("channelsim: 1 of 3 jobs failed")
    table = pd.read_csv(out / "summary.csv")
    assert table["status"].tolist() == ["ok", "failed", "ok"]
    assert table["error"].iloc[1] == "FloatingPointError: capital overflowed"
    assert "FloatingPointError" in (out / "1" / "error.log").read_text()
    assert (out / "report.md").is_file()


def test_rerun_skips_finished_jobs_and_reruns_the_rest(tmp_path):
    out = tmp_path / "resume"
    args = ["seed=0,1,2,3", "hydra/launcher=basic", *TINY, f"hydra.sweep.dir={out}"]
    assert cli.main(["sweep", *args]) == 0
    first = pd.read_csv(out / "summary.csv")
    stamps = {p.name: (p / "metrics.parquet").stat().st_mtime_ns for p in job_dirs(out)}
    (out / "1" / "summary.json").unlink()  # as if killed before it finished
    (out / "2" / "summary.json").write_text('{"status": "ok", "config')  # truncated
    (out / "summary.csv").unlink()
    assert cli.main(["sweep", *args]) == 0
    again = {p.name: (p / "metrics.parquet").stat().st_mtime_ns for p in job_dirs(out)}
    assert [j for j in stamps if again[j] != stamps[j]] == ["1", "2"]
    pd.testing.assert_frame_equal(pd.read_csv(out / "summary.csv"), first)
    # a different config under the same folder name is not "done"
    changed = ["seed=0,1,2,3", "hydra/launcher=basic", *TINY, "strategy.rebate_rate=0.05"]
    assert cli.main(["sweep", *changed, f"hydra.sweep.dir={out}"]) == 0
    assert all((p / "metrics.parquet").stat().st_mtime_ns != again[p.name] for p in job_dirs(out))


def test_killed_half_way_then_rerun_runs_only_the_missing_jobs(tmp_path):
    out = tmp_path / "killed"
    args = [
        "seed=range(0,6)",
        *SMALL,
        "steps=36",
        "hydra.launcher.n_jobs=1",
        f"hydra.sweep.dir={out}",
    ]
    proc = subprocess.Popen(
        [str(SCRIPT), "sweep", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            finished = list(out.glob("*/summary.json")) if out.exists() else []
            if len(finished) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    before = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/summary.json")}
    assert 2 <= len(before) < 6
    done = sweep_cli(*args)
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} already done, {6 - len(before)} to run" in done.stdout
    after = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/summary.json")}
    assert all(after[j] == before[j] for j in before)
    uninterrupted = channelsim.sweep([*SMALL, "steps=36"], seeds=range(6), n_jobs=1, progress=False)
    pd.testing.assert_frame_equal(
        comparable(collect(out)), comparable(uninterrupted), check_dtype=False
    )


def test_serial_and_parallel_sweeps_give_identical_tables():
    overrides = ["strategy=direct,relationship_channel", *TINY]
    serial = channelsim.sweep(overrides, seeds=[3, 4], n_jobs=1, progress=False)
    parallel = channelsim.sweep(overrides, seeds=[3, 4], n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(serial, parallel)
    assert list(serial.columns[:5]) == ["job", "strategy", "seed", "status", "error"]
    assert serial["seed"].tolist() == [3, 4, 3, 4]


def test_the_api_writes_the_same_folder_as_the_command(tmp_path):
    overrides = ["strategy.rebate_rate=0,0.05", *TINY]
    table = channelsim.sweep(overrides, seeds=[0, 1], out_dir=tmp_path / "api dir", progress=False)
    assert list(table.columns[:3]) == ["job", "strategy.rebate_rate", "seed"]
    assert table["strategy.rebate_rate"].tolist() == [0, 0, 0.05, 0.05]
    assert (tmp_path / "api dir" / "report.md").is_file()
    code = cli.main(["sweep", *overrides, "seed=0,1", f"hydra.sweep.dir={tmp_path / 'cli'}"])
    assert code == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "cli" / "summary.parquet"), collect(tmp_path / "api dir")
    )
    pd.testing.assert_frame_equal(collect(tmp_path / "api dir"), table)


def test_api_errors_are_config_errors():
    with pytest.raises(ConfigError, match="seed"):
        channelsim.sweep(["seed=1,2"], seeds=[0], progress=False)
    with pytest.raises(ConfigError, match=r"market\.n_regions=0 is not allowed"):
        channelsim.sweep(["market.n_regions=0"], seeds=[0, 1], progress=False)


def test_jobs_expand_in_the_order_of_hydras_basic_sweeper():
    overrides = [
        "strategy=direct,dual",
        "strategy.rebate_rate=0,0.02,0.04",
        "steps=3",
        "seed=range(5,7)",
        "strategy=direct,traditional_channel",  # a repeated key keeps its first place
    ]
    plan = plan_sweep(overrides)
    parsed = OverridesParser.create().parse_overrides(overrides)
    expected = BasicSweeper.split_arguments(parsed, None)[0]
    assert [j.overrides for j in plan.jobs] == expected
    assert plan.swept == ["strategy", "strategy.rebate_rate", "seed"]
    assert plan.jobs[1].values == {"strategy": "direct", "strategy.rebate_rate": 0, "seed": 6}


def test_a_named_sweep_runs_its_grid(tmp_path, capsys):
    out = tmp_path / "named"
    code = cli.main(
        ["sweep", "experiment=strategy_grid", "seed=7", *TINY, f"hydra.sweep.dir={out}"]
    )
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "summary.csv")
    assert table["strategy"].tolist() == [
        "direct",
        "traditional_channel",
        "relationship_channel",
        "dual",
    ]
    assert (table["seed"] == 7).all()


def test_report_rebuilds_the_tables_and_report_from_disk(tmp_path, capsys):
    out = tmp_path / "rebuild"
    assert (
        cli.main(["sweep", "seed=0,1", "hydra/launcher=basic", *TINY, f"hydra.sweep.dir={out}"])
        == 0
    )
    table = (out / "summary.csv").read_text()
    report = (out / "report.md").read_text()
    for name in ("summary.csv", "summary.parquet", "report.md", "report.html"):
        (out / name).unlink()
    assert cli.main(["report", str(out)]) == 0
    assert (out / "summary.csv").read_text() == table
    assert (out / "report.md").read_text() == report
    assert (out / "summary.parquet").is_file() and (out / "report.html").is_file()
    capsys.readouterr()
    assert cli.main(["report", str(tmp_path)]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_named_sweeps_are_refused_by_run_and_may_not_instantiate(tmp_path, capsys):
    assert cli.main(["run", "experiment=strategy_grid"]) == 2
    assert "channelsim sweep experiment=strategy_grid" in capsys.readouterr().err
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "evil.yaml").write_text(
        "# @package _global_\nhydra:\n  callbacks:\n    x:\n      _target_: os.system\n"
    )
    out = tmp_path / "never"
    code = cli.main(
        ["sweep", "--config-dir", str(tmp_path), "experiment=evil", f"hydra.sweep.dir={out}"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "_target_" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_the_jobs_table_has_every_sellers_own_kpis():
    from channelsim.experiment.sweep import job_table

    jobs = [{"job": "0", "values": {"seed": 1}}, {"job": "1", "values": {"seed": 2}}]
    kpis = {**dict.fromkeys(METRICS, 0.5), "share_acer_total": 0.2, "share_direct_total": 0.3}
    summaries = {"0": {"status": "ok", "seed": 1, "kpis": kpis}, "1": "it failed"}
    table = job_table(jobs, ["seed"], summaries)
    assert list(table.columns)[-2:] == ["share_acer_total", "share_direct_total"]
    assert table["share_acer_total"].iloc[0] == 0.2 and pd.isna(table["share_acer_total"].iloc[1])
