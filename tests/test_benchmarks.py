"""`python -m benchmarks` keeps working: its tiny plan runs every case and writes the
table and results.json (no timing is asserted: the machines are shared)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
        "accounts_small",
        "accounts_large",
        "boltzmann",
        "sweep_n_jobs_1",
        "sweep_n_jobs_2",
    }
    for name, case in results["cases"].items():
        assert case["median_s"] > 0 and case["peak_mb"] > 0, name
    runs = results["cases"]["accounts_large"]["runs"]
    assert runs[0]["accounts"] == results["sizes"]["large_accounts"] == 164
    assert 0 <= runs[0]["share_vendor_key"] <= 1  # the model ran, data collection on
    assert len(results["targets"]) == 6
    assert all(isinstance(t["met"], bool) for t in results["targets"])
    assert "per account-step / Boltzmann per agent-step" in done.stdout
    assert results["cases"]["sweep_n_jobs_2"]["cold_s"] > 0  # the cold call, reported too
    assert results["machine"]["cores"] >= 1
