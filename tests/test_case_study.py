"""The case's stylized facts (CASE.md section 7), each over 10 seeds and judged by 95%
confidence intervals; the same facts when each main market parameter moves 20% either
way; the public figures; the ablation of the relationship channel; the main job."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from channelsim import cli, compose
from channelsim.analysis.facts import fact_jobs, judge
from channelsim.analysis.stats import per_run
from channelsim.experiment.batch import run_jobs

# the main market parameters (experiments/case_study/README.md)
MAIN_PARAMETERS = (
    "market.resellers_per_region",
    "market.key_accounts_per_region",
    "market.key_units_per_year",
    "market.growth",
    "market.price_sensitivity",
    "market.learn_face_to_face",
    "market.relationship_decay",
    "market.direct.field_reps",
)
# a perturbed market is judged at the first seeds, and at all of them where a claim is
# not yet settled there
FIRST_SEEDS, ALL_SEEDS = range(5), range(8)


def fact_runs(seeds, overrides=()):
    batch = run_jobs(fact_jobs(seeds, overrides), progress=False)
    assert not batch.failed, batch.failed[0]
    return batch.metrics


@pytest.fixture(scope="module")
def runs():
    """Every run the facts need at seeds 0-9; the public figures read the same runs."""
    return fact_runs(range(10))


@pytest.fixture(scope="module")
def facts(runs):
    return {f.number: f for f in judge(runs)}


def explain(fact) -> str:
    return "\n".join(
        f"{'ok ' if c.holds else 'NO '} {c.text}: {c.estimate.text('.4g')}" for c in fact.claims
    )


def test_fact_1_traditional_channel_loses_key_accounts_but_holds_mid_and_transactional(facts):
    assert facts[1].holds, explain(facts[1])


def test_fact_2_relationship_channel_reverses_the_key_account_loss_within_two_years(facts):
    assert facts[2].holds, explain(facts[2])


def test_fact_3_copying_direct_sales_does_worse_than_the_relationship_channel(facts):
    assert facts[3].holds, explain(facts[3])


def test_fact_4_relationships_leave_with_people_and_customer_care_keeps_most(facts):
    assert facts[4].holds, explain(facts[4])


def test_fact_5_price_gaps_drive_conflict_and_gray_market_and_governance_reduces_them(facts):
    assert facts[5].holds, explain(facts[5])


def test_fact_6_tiering_raises_channel_performance_and_weak_partners_exit(facts):
    assert facts[6].holds, explain(facts[6])


def test_fact_7_indirect_channels_widen_coverage_but_give_up_margin(facts):
    assert facts[7].holds, explain(facts[7])


def _perturbed(key: str, factor: float) -> str:
    value = compose([])
    for part in key.split("."):
        value = getattr(value, part)
    moved = value * factor
    if isinstance(value, int):
        moved = max(1, round(moved))
    return f"{key}={moved}"


def facts_in_two_stages(overrides: list[str]):
    """The facts at FIRST_SEEDS; if any claim is not settled there, at ALL_SEEDS.

    A claim holds when its 95% interval lies on the claimed side, so a claim that holds
    at five seeds is shown by an interval of its own; only a market where some claim
    is not yet settled pays for the other three seeds, and is judged on all eight, as
    every market was before. The chance to pass is at least that of eight seeds; the
    second look makes a false pass a little likelier than one look would."""
    first = fact_runs(FIRST_SEEDS, overrides)
    found = judge(first)
    if all(f.holds for f in found):
        return found
    rest = fact_runs(ALL_SEEDS[len(FIRST_SEEDS) :], overrides)
    return judge(pd.concat([first, rest], ignore_index=True))


@pytest.mark.parametrize("factor", [0.8, 1.2])
@pytest.mark.parametrize("key", MAIN_PARAMETERS)
def test_facts_hold_when_a_main_parameter_moves_20_percent(key, factor):
    found = facts_in_two_stages([_perturbed(key, factor)])
    failing = [f for f in found if not f.holds]
    assert not failing, "\n".join(f"fact {f.number}:\n{explain(f)}" for f in failing)


def test_history_lands_near_the_public_figures(runs):
    # the vendor's share of the two firms' units: about 0.76 in 2003, 0.78 in mid-2006
    history = runs[runs["group"] == "history"]
    share_2003 = per_run(history, "share_vendor_total", "2003", ["seed"]).mean()
    share_2006 = per_run(history, "share_vendor_total", "2006-H1", ["seed"]).mean()
    assert share_2003 == pytest.approx(0.76, abs=0.05)
    assert share_2006 == pytest.approx(0.78, abs=0.05)


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    code = cli.main(["study", "--seeds", "10", f"hydra.run.dir={out}"])
    return code, out


def test_main_job_writes_the_report(main_job, capsys):
    code, out = main_job
    assert code == 0
    for name in (
        "report.md",
        "report.html",
        "runs.parquet",
        "summary.json",
        "figures/key_share.png",
        "figures/segment_shares.png",
        "figures/profits.png",
        "figures/ablation.png",
    ):
        assert (out / name).is_file(), name
    report = (out / "report.md").read_text()
    for words in (
        "key share 2003-H2",
        "key share 2005-H2",
        "key share 2006-H2",
        "vendor profit 2006",
        "partner satisfaction 2006",
        "conflict index 2006",
        "stay_traditional",
        "copy_direct",
        "without customer care",
    ):
        assert words in report
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["seeds"] == list(range(10))


def test_no_single_part_carries_the_whole_recovery_and_all_off_recovers_nothing(main_job):
    _, out = main_job
    ablation = json.loads((out / "summary.json").read_text())["ablation"]
    full = ablation["all parts"]["recovery"]
    assert full["low"] > 0
    for variant, est in ablation.items():
        if variant.startswith("without"):
            # without any one part, some recovery remains
            assert est["recovery"]["low"] > 0, variant
            assert est["carried"]["mean"] < full["mean"], variant
    nothing = ablation["all parts off"]["recovery"]
    assert nothing["low"] < 0.02 and nothing["high"] > -0.02
    assert abs(nothing["mean"]) < 0.03


def test_study_refuses_a_scenario_override(capsys):
    assert cli.main(["study", "scenario=history"]) == 2
    assert "scenario" in capsys.readouterr().err


def test_ablation_switches_parts_off_whatever_levers_the_user_set():
    from channelsim.analysis.case_study import part_off

    assert part_off("customer care", ["strategy.customer_care=true"]) == [
        "strategy.customer_care=false"
    ]
    assert part_off("ERP build-to-order", ["market.growth=0.2"]) == [
        "strategy.erp_integration=false"
    ]
