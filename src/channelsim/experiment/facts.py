"""The runs the case's stylized facts (CASE.md section 7) are judged on: the three
scenarios and a few lever variants, at every seed, each group of runs labelled `group`.

The facts themselves are stated and judged by `channelsim.analysis.facts`.
"""

from __future__ import annotations

from collections.abc import Sequence

from channelsim.config.compose import compose
from channelsim.experiment.batch import BatchResult, Job, replicate, run_jobs
from channelsim.experiment.case_study import SCENARIOS

MECHANISM_STEPS = 60  # lever variants for facts 4-7 run 2002-2006 (judged on 2005-2006)

# variant name -> overrides (on top of the user's); all with scenario=none
VARIANTS = {
    # rep turnover: the vendor's account managers and the partners' reps (CASE.md 2)
    "turnover low": ["strategy.am_turnover=0.02", "strategy.customer_care=false"],
    "turnover high": [
        "strategy.am_turnover=0.25",
        "market.partner_staff_turnover=0.15",
        "strategy.customer_care=false",
    ],
    "turnover low, care": ["strategy.am_turnover=0.02", "strategy.customer_care=true"],
    "turnover high, care": [
        "strategy.am_turnover=0.25",
        "market.partner_staff_turnover=0.15",
        "strategy.customer_care=true",
    ],
    "online same price": [
        "strategy=dual",
        "strategy.product_differentiation=0",
        "strategy.online_price_gap=0",
    ],
    "online cheaper": [
        "strategy=dual",
        "strategy.product_differentiation=0",
        "strategy.online_price_gap=0.15",
    ],
    "online cheaper, differentiated": [
        "strategy=dual",
        "strategy.product_differentiation=1",
        "strategy.online_price_gap=0.15",
    ],
    "regions alike": ["strategy=traditional_channel", "market.regional_price_spread=0"],
    "regions apart": ["strategy=traditional_channel", "market.regional_price_spread=0.08"],
    "traditional": ["strategy=traditional_channel"],
    "traditional, MAP enforced": ["strategy=traditional_channel", "strategy.map_enforced=true"],
    "traditional, audits": ["strategy=traditional_channel", "strategy.audit_probability=0.5"],
    "no tiering": ["strategy.partner_tiering=false"],
    "tiering": ["strategy.partner_tiering=true"],
    "indirect routes": ["strategy=relationship_channel", "strategy.phone_sales=0"],
    "own reps alone": ["strategy=direct", "strategy.phone_sales=0"],
}


# the groups of runs each fact reads: a fact can be judged again on more seeds of its
# own groups alone
FACT_GROUPS: dict[int, tuple[str, ...]] = {
    1: ("stay_traditional",),
    2: ("history", "stay_traditional"),
    3: ("copy_direct", "history"),
    4: ("turnover low", "turnover high", "turnover low, care", "turnover high, care"),
    5: (
        "online same price",
        "online cheaper",
        "online cheaper, differentiated",
        "regions alike",
        "regions apart",
        "traditional",
        "traditional, MAP enforced",
        "traditional, audits",
    ),
    6: ("no tiering", "tiering"),
    7: ("indirect routes", "own reps alone"),
}


def fact_jobs(
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    config_dir: str | None = None,
    groups: Sequence[str] | None = None,
) -> list[Job]:
    """The scenarios (for facts 1-3) and lever variants (facts 4-7) at every seed; only
    those named in `groups` if given (`FACT_GROUPS` says which each fact reads)."""
    wanted = set(SCENARIOS) | set(VARIANTS) if groups is None else set(groups)
    unknown = wanted - set(SCENARIOS) - set(VARIANTS)
    if unknown:
        raise ValueError(f"no such group of runs: {sorted(unknown)}")
    jobs: list[Job] = []
    for scenario in SCENARIOS:
        if scenario in wanted:
            cfg = compose([*overrides, f"scenario={scenario}"], config_dir)
            jobs += replicate(cfg, seeds, group=scenario)
    for name, extra in VARIANTS.items():
        if name in wanted:
            cfg = compose([*overrides, *extra, f"steps={MECHANISM_STEPS}"], config_dir)
            jobs += replicate(cfg, seeds, group=name)
    return jobs


def run_fact_jobs(
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    config_dir: str | None = None,
    groups: Sequence[str] | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
) -> BatchResult:
    """Every run of `fact_jobs`, in one batch."""
    jobs = fact_jobs(seeds, overrides, config_dir, groups)
    return run_jobs(jobs, n_jobs=n_jobs, progress=progress, label="stylized facts")
