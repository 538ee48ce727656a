"""Shared fixtures: configs composed exactly as the CLI composes them."""

from __future__ import annotations

import pytest

from channelsim import compose

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
