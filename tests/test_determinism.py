"""One seed per run: the same config and seed give bit-identical metrics, in one process
or two; another seed gives other numbers."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from channelsim import compose
from channelsim.experiment.run import run, simulate

OVERRIDES = ["scenario=history", "steps=30", "seed=11"]


def test_same_seed_same_metrics_in_one_process():
    a, _ = simulate(compose(OVERRIDES))
    b, _ = simulate(compose(OVERRIDES))
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_other_seed_other_metrics():
    a, _ = simulate(compose(OVERRIDES))
    b, _ = simulate(compose([*OVERRIDES[:-1], "seed=12"]))
    assert not a["share_vendor_key"].equals(b["share_vendor_key"])


def test_same_seed_same_parquet_in_two_processes(tmp_path):
    code = (
        "import sys; from channelsim import compose, run; "
        f"run(compose({OVERRIDES!r}), sys.argv[1], figures=False)"
    )
    for name in ("one", "two"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True)
    here = run(compose(OVERRIDES), tmp_path / "here", figures=False).metrics
    one = pd.read_parquet(tmp_path / "one" / "metrics.parquet")
    two = pd.read_parquet(tmp_path / "two" / "metrics.parquet")
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pd.testing.assert_frame_equal(one, here, check_exact=True)
