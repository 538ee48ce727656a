"""Shared fixtures: configs composed exactly as the CLI composes them."""

from __future__ import annotations

import os

import pytest

from channelsim import compose

# On pytest-xdist's workers (make test runs two), a batch of runs takes one process: the
# workers already keep both cores busy, and a pool of its own in each would oversubscribe
# them. Tests that ask for n_jobs=2 still get two; without xdist, batches use every core.
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ["LOKY_MAX_CPU_COUNT"] = "1"

SMALL = [
    "market.n_regions=3",
    "market.resellers_per_region=12",
    "market.key_accounts_per_region=30",
    "market.mid_accounts_per_region=60",
    "market.global_accounts=8",
    "market.distributors=3",
]


@pytest.fixture
def small_overrides() -> list[str]:
    """A small market (3 regions) for fast model tests."""
    return list(SMALL)


@pytest.fixture
def default_config():
    return compose([])
