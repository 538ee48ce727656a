"""`python -m benchmarks` keeps working: its tiny plan runs every case and writes the
table and results.json, and `--against` times two versions side by side (no timing is
asserted: the machines are shared)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.against import Side, alternate, check_installations
from benchmarks.process import BenchError

ROOT = Path(__file__).resolve().parents[1]


def bench(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m benchmarks ARGS` with this interpreter, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_the_benchmark_runs_at_a_tiny_size(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["plan"] == "tiny"
    assert set(results["cases"]) == {
        "default_60",
        "default_60_figures",
        "duo_60",
        "accounts_small",
        "accounts_large",
        "accounts_large_2",
        "accounts_large_4",
        "boltzmann",
        "sweep_n_jobs_1",
        "sweep_n_jobs_2",
        "calibration",
    }
    for name, case in results["cases"].items():
        assert case["median_s"] > 0 and case["peak_mb"] > 0, name
    runs = results["cases"]["accounts_large"]["runs"]
    assert runs[0]["accounts"] == results["sizes"]["large_accounts"] == 164
    assert 0 <= runs[0]["share_vendor_key"] <= 1  # the model ran, data collection on
    sellers = {n: results["cases"][f"accounts_large_{n}"]["runs"][0] for n in (2, 4)}
    assert {n: run["accounts"] for n, run in sellers.items()} == {2: 164, 4: 164}
    assert len(results["targets"]) == 8
    calibration = results["cases"]["calibration"]
    assert calibration["runs"]["evaluations"] == 2 and calibration["evaluations_per_s"] > 0
    assert all(isinstance(t["met"], bool) for t in results["targets"])
    assert "per account-step / Boltzmann per agent-step" in done.stdout
    assert results["cases"]["sweep_n_jobs_2"]["cold_s"] > 0  # the cold call, reported too
    assert results["machine"]["cores"] >= 1


def test_the_comparison_runs_at_a_tiny_size_and_keeps_the_rest_of_the_file(tmp_path):
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"plan": "an earlier run"}))
    done = bench("--tiny", "--only-against", "--against-python", sys.executable, "--out", str(out))
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["plan"] == "an earlier run"  # --only-against replaces its key alone
    against = results["against"]
    assert set(against["cases"]) == {"default_60", "accounts_large"}
    for name, case in against["cases"].items():
        assert case["this_median_s"] > 0 and case["previous_median_s"] > 0, name
        assert case["ratio"] == pytest.approx(case["this_median_s"] / case["previous_median_s"])
        assert case["pairs"] == len(case["this_runs"]) == len(case["previous_runs"]) >= 1
        assert case["met"] == (case["ratio"] <= 1.05)
        assert case["first"] == ["this", "previous"][: case["pairs"]]
    assert against["cases"]["accounts_large"]["accounts"] == 164
    # the same interpreter was asked for, so the same installation is allowed, with a note
    assert against["same_interpreter_asked"] is True
    assert "not checking that they differ" in done.stderr
    assert against["this"]["channelsim"] == against["previous"]["channelsim"]
    assert against["this"]["commit"]  # this checkout's HEAD
    assert "default market, 6 steps" in done.stdout and "164 accounts, 6 steps" in done.stdout


def test_the_pairs_alternate_which_version_runs_first():
    assert alternate(4) == [(0, 1), (1, 0), (0, 1), (1, 0)]


def test_a_version_timed_against_itself_by_mistake_stops_the_comparison(tmp_path):
    one = {"channelsim": "/venv/site-packages/channelsim/__init__.py"}
    cases = {"default_60": {"this_runs": [one], "previous_runs": [one]}}
    built = Side(python="p", commit="abc1234", subject="s", venv=tmp_path)
    with pytest.raises(BenchError, match="against itself"):
        check_installations(cases, built, same_asked=False)
    given = Side(python="p", commit=None, subject="s")
    assert check_installations(cases, given, same_asked=True)["previous"] == one["channelsim"]
    other = {"channelsim": "/elsewhere/channelsim/__init__.py"}
    cases = {"default_60": {"this_runs": [one], "previous_runs": [other]}}
    with pytest.raises(BenchError, match="not the one in"):
        check_installations(cases, built, same_asked=False)  # not from its own venv


def one_line_error(done: subprocess.CompletedProcess) -> str:
    """The error a failed `python -m benchmarks` printed, checked to be one line."""
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_a_bad_revision_is_one_line_error():
    error = one_line_error(bench("--only-against", "--against", "no-such-revision"))
    assert "'no-such-revision' is not a git revision" in error


def test_no_checkout_and_a_failed_build_are_one_line_errors(tmp_path):
    # a copy of the benchmarks alone: first outside any checkout, then in a repository
    # whose package cannot build
    shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks")
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}
    error = one_line_error(bench("--only-against", "--against", "HEAD", cwd=tmp_path, env=env))
    assert "is not a git checkout" in error
    (tmp_path / "pyproject.toml").write_text("not [toml\n")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "broken"]):
        subprocess.run([*git, *command], check=True, env=env)
    done = bench("--only-against", "--against", "HEAD", cwd=tmp_path, env=env)
    error = one_line_error(done)
    assert "failed at installing; the log is" in error
    log = Path(error.rsplit("the log is ", 1)[1])
    assert log.is_file() and "TOML" in log.read_text()
    assert "building HEAD (" in done.stderr
