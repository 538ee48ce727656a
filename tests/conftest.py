"""Shared fixtures: configs composed exactly as the CLI composes them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from channelsim import compose

# On pytest-xdist's workers (make test runs two), a batch of runs takes one process: the
# workers already keep both cores busy, and a pool of its own in each would oversubscribe
# them. Tests that ask for n_jobs=2 still get two; without xdist, batches use every core.
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ["LOKY_MAX_CPU_COUNT"] = "1"

# The test files by the time they take, longest first (per-file totals of `make test` on
# two cores). `make test` hands the files to its two workers in this order, each taking the
# next when it is done, so the last files to finish are short ones and neither worker waits
# long for the other (longest processing time first). Files not named go last, in the
# order they were collected; the order changes the suite's time only, never a result.
LONGEST_FIRST = (
    "test_launchers.py",  # first though not longest: Ray and submitit start many
    # processes, and their start-up then overlaps the stylized facts' busiest minutes
    "test_sweep.py",
    "test_levers.py",
    "test_determinism.py",
    "test_sellers.py",
    "test_benchmarks.py",
    "test_reliability.py",
    "test_wheel.py",
    "test_sensitivity.py",
    "test_notebooks.py",
    "test_optimize.py",
    "test_invariants.py",
    "test_calibrate.py",
    "test_dashboard.py",
    "test_theory.py",
    "test_abc.py",
    "test_cli.py",
    "test_config.py",
    "test_encroachment.py",
    "test_costs.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's order stays


# the two-seller market, small: the vendor and the direct seller in 3 regions
SMALL = [
    "market=china_pc_2002_duo",
    "market.n_regions=3",
    "market.resellers_per_region=12",
    "market.key_accounts_per_region=30",
    "market.mid_accounts_per_region=60",
    "market.global_accounts=8",
    "market.distributors=3",
]
# the whole market (the default's five sellers), small: SMALL's sizes, the default's
# resellers a region, so that the smallest partner share gets one in every region
WHOLE_SMALL = [o for o in SMALL if o.startswith("market.") and "resellers" not in o]


@pytest.fixture
def fresh_notes():
    """The one-line notes of composing, printed again as if for the first time."""
    import importlib

    importlib.import_module("channelsim.config.compose")._NOTED.clear()  # not the function


@pytest.fixture
def small_overrides() -> list[str]:
    """A small market (3 regions) for fast model tests."""
    return list(SMALL)


@pytest.fixture
def default_config():
    return compose([])


SCRIPT = Path(sys.executable).parent / "channelsim"  # the installed console script


def run_together(*commands: list[str], timeout: float = 300) -> list[tuple[int, str, str]]:
    """Start `channelsim` commands at once; each one's exit code, output and errors."""
    processes = [
        subprocess.Popen(
            [str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for args in commands
    ]
    try:
        outputs = [process.communicate(timeout=timeout) for process in processes]
    finally:
        for process in processes:
            process.kill()  # only one still running after the timeout
    return [(p.returncode, out, err) for p, (out, err) in zip(processes, outputs, strict=True)]
