"""The runs of the case comparison: history against staying traditional and copying
direct sales, at many seeds, plus an ablation of the relationship channel's parts.

What the runs mean (the table, the ablation, the report) is read from them by
`channelsim.analysis.case_study`.
"""

from __future__ import annotations

from collections.abc import Sequence

from channelsim.config.compose import compose
from channelsim.experiment.batch import BatchResult, Job, replicate, run_jobs
from channelsim.policies import Timeline

SCENARIOS = ("history", "stay_traditional", "copy_direct")
# the relationship channel's parts (CASE.md sections 3 and 5), each as the levers that make
# it: together, every lever in which the relationship channel differs from the traditional
PARTS = {
    "training": ("training_budget", "training_competition"),
    "joint teams": ("key_route", "global_route", "direct_assist"),
    "account planning": ("account_planning",),
    "deal registration": ("deal_registration",),
    "ERP build-to-order": ("erp_integration",),
    "credit for big projects": ("credit_multiple", "payment_terms"),
    "customer care": ("customer_care",),
    "more reps and co-op": ("account_managers", "coop_budget"),
    "governance": (
        "approval_levels",
        "partner_survey",
        "map_enforced",
        "audit_probability",
        "diversion_penalty",
    ),
    "tiering and recruiting": ("partner_tiering", "recruit_relationship_partners"),
}


def _fmt(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def part_off(part: str, overrides: Sequence[str] = (), config_dir: str | None = None) -> list[str]:
    """Overrides that switch a part off: its levers at the traditional channel's values
    (the preset's own, whatever strategy levers the user set)."""
    market_only = [o for o in overrides if not o.lstrip("+~").startswith("strategy")]
    traditional = compose([*market_only, "strategy=traditional_channel"], config_dir).strategy
    return [f"strategy.{lever}={_fmt(getattr(traditional, lever))}" for lever in PARTS[part]]


def ablation_variants(
    overrides: Sequence[str] = (), config_dir: str | None = None
) -> dict[str, list[str]]:
    """History with every part, without each part in turn, and with all parts off."""
    variants = {"all parts": []}
    for part in PARTS:
        variants[f"without {part}"] = part_off(part, overrides, config_dir)
    variants["all parts off"] = [o for part in PARTS for o in part_off(part, overrides, config_dir)]
    return variants


def scenario_jobs(
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    config_dir: str | None = None,
    ablation: bool = True,
) -> list[Job]:
    """The three scenarios, and the ablation variants of history, at every seed."""
    jobs: list[Job] = []
    for scenario in SCENARIOS:
        cfg = compose([*overrides, f"scenario={scenario}"], config_dir)
        jobs += replicate(cfg, seeds, scenario=scenario, variant="all parts")
    if ablation:
        for variant, extra in ablation_variants(overrides, config_dir).items():
            if variant == "all parts":
                continue
            cfg = compose([*overrides, "scenario=history", *extra], config_dir)
            jobs += replicate(cfg, seeds, scenario="history", variant=variant)
    return jobs


def scenario_changes(
    overrides: Sequence[str] = (),
    config_dir: str | None = None,
    scenarios: Sequence[str] = SCENARIOS,
) -> dict[str, list[tuple[str, str]]]:
    """Each scenario's dated changes after its first month, read from its preset: (date,
    label), the label `ChannelModel.changes` records. The figures mark them."""
    out = {}
    for scenario in scenarios:
        config = compose([*overrides, f"scenario={scenario}"], config_dir)
        out[scenario] = [
            (change.date, change.label)
            for change in Timeline(config).changes
            if change.date > config.market.start
        ]
    return out


def run_scenarios(
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    config_dir: str | None = None,
    ablation: bool = True,
    n_jobs: int | None = None,
    progress: bool = True,
) -> BatchResult:
    """Every run of the comparison, its rows labelled by `scenario`, `variant` and `seed`."""
    jobs = scenario_jobs(seeds, overrides, config_dir, ablation)
    return run_jobs(jobs, n_jobs=n_jobs, progress=progress, label="case study")
