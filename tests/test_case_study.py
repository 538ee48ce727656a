"""The case's stylized facts (CASE.md section 7), each over 10 seeds in the default (whole)
market and judged by 95% confidence intervals; the case's strategic facts (1-3) in the
two-seller market when each of its main parameters moves 20% either way; the public
figures; the ablation of the relationship channel; the main job."""

from __future__ import annotations

import dataclasses
import json
from functools import cache

import pandas as pd
import pytest

from channelsim import cli, compose
from channelsim.analysis.facts import judge
from channelsim.analysis.stats import per_run
from channelsim.config.compose import with_values
from channelsim.config.schema import get_path
from channelsim.experiment.batch import replicate, run_jobs
from channelsim.experiment.facts import FACT_GROUPS, fact_jobs

DUO = "market=china_pc_2002_duo"  # the two-seller market, perturbed
# the two-seller market's main parameters (experiments/case_study/README.md)
MAIN_PARAMETERS = (
    "market.resellers_per_region",
    "market.key_accounts_per_region",
    "market.key_units_per_year",
    "market.growth",
    "market.price_sensitivity",
    "market.learn_face_to_face",
    "market.relationship_decay",
    "market.sellers.direct.field_reps",
)
FACTORS = (0.8, 1.2)
# the facts judged in every perturbed market: the case's strategic facts (the traditional
# channel's loss, the relationship channel's recovery, copying direct sales doing worse).
# Facts 4-7 compare lever variants in the default market; in the 16 markets they need six
# times the runs and are checked on demand (experiments/case_study/README.md, "Main market
# parameters and robustness")
PERTURBED_FACTS = (1, 2, 3)
PERTURBED_GROUPS = {g for n in PERTURBED_FACTS for g in FACT_GROUPS[n]}
# a perturbed market's facts are judged at the first seeds, and a fact not yet settled
# there again at all of them
FIRST_SEEDS, ALL_SEEDS = range(3), range(8)


MARKETS = [(key, factor) for key in MAIN_PARAMETERS for factor in FACTORS]
DEFAULT = ("", 1.0)  # the default market among the perturbed ones


@pytest.fixture(scope="module")
def configs():
    """The 19 groups' configs in the default market, composed once for every seed."""
    return {job.labels["group"]: job.config for job in fact_jobs([0])}


@pytest.fixture(scope="module")
def duo_configs():
    """The 19 groups' configs in the two-seller market, for every perturbed market."""
    return {job.labels["group"]: job.config for job in fact_jobs([0], [DUO])}


@pytest.fixture(scope="module")
def first_look(configs, duo_configs):
    """One batch: the facts' runs in the default market at seeds 0-9, and every perturbed
    market's runs of PERTURBED_FACTS at FIRST_SEEDS (both cores busy to the end of the
    one batch)."""
    default = [
        job
        for group, config in configs.items()
        for job in replicate(config, range(10), group=group, market="", factor=1.0)
    ]
    perturbed = [
        j for m in MARKETS for j in market_jobs(duo_configs, *m, FIRST_SEEDS, PERTURBED_GROUPS)
    ]
    return dict(iter(batch_runs(default + perturbed)))


@pytest.fixture(scope="module")
def runs(first_look):
    """Every run the facts need at seeds 0-9; the public figures read the same runs."""
    return first_look[DEFAULT]


@pytest.fixture(scope="module")
def facts(runs):
    return {f.number: f for f in judge(runs)}


# Claims of the case the model no longer reproduces once every lever has its cost and its
# downside (experiments/case_study/README.md gives the mechanism of each). Every other
# claim must hold; these must not, in the default market, until a change of the model
# explains them again and the README says so.
AUDITS = "audits and penalties lower conflict_index"
BOTH_MARKETS = {
    AUDITS: "audits anger partners that diverted nothing as much as they deter diversion",
}
# In the whole market, where half the resellers' lines belong to firms carrying two
# brands, tiering loses the vendor channel staff: the weak lines it eliminates in shared
# firms hand their staff to the firms' other brands, not to its strongest partners.
ELIMINATED_STAFF = (
    "eliminated lines of shared firms hand their staff to the firms' other brands: the "
    "vendor's channel staff falls under tiering"
)
FINDINGS = BOTH_MARKETS | {
    "tiering raises the vendor's channel sales": ELIMINATED_STAFF,
    "tiering raises the vendor's profit, net of its cost": ELIMINATED_STAFF,
}
# In the two-seller market, where the vendor's partners are every shop and carry its brand
# alone, tiering pays; one more finding: copying
# direct sales saves the programmes' cost there, and the relationship channel's gains
# (key accounts from the direct seller alone) do not pay for it. In the whole market they
# do: the relationship channel also takes key and mid accounts from the three brands that
# stay on the traditional channel.
DUO_FINDINGS = BOTH_MARKETS | {
    "copy_direct not above history: vendor profit over 2006": (
        "the relationship channel's programmes and governance cost more than copying "
        "direct sales saves"
    ),
}


# Claims that one perturbed market no longer settles, with the mechanism (README,
# "Relationships that take time" and "Books that balance"). They are not judged there;
# every other claim is.
REVERSAL = "history: key share 2005-H2 above 2003-H2"
PERTURBED_FINDINGS = {
    ("market.learn_face_to_face", 0.8): {
        REVERSAL: "joint teams build at the face-to-face rate: 20% slower, two years bring "
        "the key share back to about its 2003-H2 level, not clearly above it",
        "stay_traditional: mid share 2006-H2 above the direct seller's": "owners' draws "
        "keep partners' cash at the usual level, so their standing with buyers no longer "
        "grows with the profit they keep: with slower face-to-face learning the "
        "traditional channel keeps only about half the mid-market by 2006",
    },
    ("market.key_units_per_year", 0.8): {
        REVERSAL: "smaller key projects leave the vendor more key accounts in 2003-H2, and "
        "relationships built over two years lift it only to about that level by 2005-H2"
    },
}


def settled(fact, market: tuple[str, float] = DEFAULT) -> bool:
    """Every claim of the fact holds but the findings (in `market`, its own too)."""
    findings = FINDINGS if market == DEFAULT else DUO_FINDINGS
    exempt = findings.keys() | PERTURBED_FINDINGS.get(market, {}).keys()
    return all(c.holds for c in fact.claims if c.text not in exempt)


def explain(fact) -> str:
    return "\n".join(
        f"{'ok ' if c.holds else 'NO '} {c.text}: {c.estimate.text('.4g')}" for c in fact.claims
    )


def test_fact_1_traditional_channel_loses_key_accounts_but_holds_mid_and_transactional(facts):
    assert settled(facts[1]), explain(facts[1])


def test_fact_2_relationship_channel_reverses_the_key_account_loss_within_two_years(facts):
    assert settled(facts[2]), explain(facts[2])


def test_fact_3_copying_direct_sales_does_worse_than_the_relationship_channel(facts):
    assert settled(facts[3]), explain(facts[3])


def test_fact_4_relationships_leave_with_people_and_customer_care_keeps_most(facts):
    assert settled(facts[4]), explain(facts[4])


def test_fact_5_price_gaps_drive_conflict_and_gray_market_and_governance_reduces_them(facts):
    assert settled(facts[5]), explain(facts[5])


def test_fact_6_tiering_raises_channel_sales(facts):
    assert settled(facts[6]), explain(facts[6])


def test_the_findings_stand_in_the_default_market(facts):
    """Each claim the model does not reproduce still fails, for the reason given."""
    claims = {c.text: c for f in facts.values() for c in f.claims}
    assert set(FINDINGS) <= set(claims)
    for text, reason in FINDINGS.items():
        assert not claims[text].holds, f"{text} holds again: {reason}?"


def test_fact_7_indirect_channels_widen_coverage_but_give_up_margin(facts):
    assert settled(facts[7]), explain(facts[7])


def test_each_fact_reads_only_its_own_groups(runs, facts):
    """FACT_GROUPS is what lets a fact be judged again on its own groups alone."""
    for number, groups in FACT_GROUPS.items():
        alone = {f.number: f for f in judge(runs[runs["group"].isin(groups)])}[number]
        assert alone == facts[number], number


@cache
def duo_config():
    return compose([DUO])


def moved(key: str, factor: float) -> float | int:
    """The two-seller market's value of `key` moved by `factor` (whole numbers stay
    whole)."""
    value = get_path(duo_config(), key)
    if isinstance(value, int):
        return max(1, round(value * factor))
    return value * factor


def market_jobs(configs, key, factor, seeds, groups=None):
    """The fact runs of one perturbed market. Its configs are the two-seller market's with
    the value set directly, which equals composing with ``key=value`` (test_sensitivity's
    test_values_set_directly_equal_composing_again) without composing 19 configs again."""
    values = {key: moved(key, factor)}
    return [
        job
        for group, config in configs.items()
        if groups is None or group in groups
        for job in replicate(
            with_values(config, values), seeds, group=group, market=key, factor=factor
        )
    ]


def batch_runs(jobs):
    batch = run_jobs(jobs, progress=False)
    assert not batch.failed, batch.failed[0]
    return batch.metrics.groupby(["market", "factor"], sort=False)


@pytest.fixture(scope="module")
def perturbed(configs, first_look):
    """PERTURBED_FACTS in each of the 16 perturbed markets, all markets in one batch a
    look.

    First look: their groups at FIRST_SEEDS. A fact holds when each claim's 95% interval
    lies on the claimed side, so a fact that holds there is shown by intervals of its
    own. A fact not settled there is judged again on its own groups (FACT_GROUPS) at all
    of ALL_SEEDS, as every market was judged before. Its chance to pass is at least that
    of eight seeds; the second look makes a false pass a little likelier than one look.
    """
    markets, first = MARKETS, first_look
    found = {m: [f for f in judge(first[m]) if f.number in PERTURBED_FACTS] for m in markets}
    again = {m: [f.number for f in found[m] if not settled(f, m)] for m in markets}
    rest = ALL_SEEDS[len(FIRST_SEEDS) :]
    second_jobs = [
        job
        for m, numbers in again.items()
        if numbers
        for job in market_jobs(configs, *m, rest, {g for n in numbers for g in FACT_GROUPS[n]})
    ]
    second = dict(iter(batch_runs(second_jobs))) if second_jobs else {}
    judged = {}
    for m in markets:
        if again[m]:
            both = {f.number: f for f in judge(pd.concat([first[m], second[m]]))}
            judged[m] = [both[f.number] if f.number in again[m] else f for f in found[m]]
        else:
            judged[m] = found[m]
    return judged


@pytest.mark.parametrize("factor", FACTORS)
@pytest.mark.parametrize("key", MAIN_PARAMETERS)
def test_the_strategic_facts_hold_when_a_main_parameter_moves_20_percent(perturbed, key, factor):
    assert [f.number for f in perturbed[(key, factor)]] == list(PERTURBED_FACTS)
    claims = {c.text for f in perturbed[(key, factor)] for c in f.claims}
    assert PERTURBED_FINDINGS.get((key, factor), {}).keys() <= claims  # findings name claims
    failing = [f for f in perturbed[(key, factor)] if not settled(f, (key, factor))]
    assert not failing, "\n".join(f"fact {f.number}:\n{explain(f)}" for f in failing)


def test_history_lands_near_the_public_figures_of_the_years_it_was_fitted_to(runs):
    # shares of the whole market in 2003: the vendor 21.3-27%, the direct seller 6.8%,
    # Founder 6.2% and Tongfang about 5.9% (CASE.md 8; calibrate_china_pc's fit targets)
    history = runs[runs["group"] == "history"]
    share = {
        seller: per_run(history, f"share_{seller}_total", "2003", ["seed"]).mean()
        for seller in ("vendor", "direct", "localbrands")
    }
    assert share["vendor"] == pytest.approx(0.24, abs=0.04)
    assert share["direct"] == pytest.approx(0.068, abs=0.025)
    assert share["localbrands"] == pytest.approx(0.121, abs=0.03)


def test_the_held_out_years_still_miss_the_public_figures_upwards(runs):
    """A finding (experiments/case_study/README.md, "The whole market"): fitted on
    2002-2003, the model puts the vendor far above its 35% of Q2 2006. Transactional buyers
    go where the shops are, and the relationship channel's training and tier support (and
    IBM's resellers) grow the vendor's shops' pull on them while the rivals, who never
    respond, stand still. It must stay visible until a change of the model explains it."""
    history = runs[runs["group"] == "history"]
    share_2006 = per_run(history, "share_vendor_total", "2006-Q2", ["seed"]).mean()
    assert share_2006 > 0.35 + 3 * 0.02, share_2006


STUDY_SEEDS = 6


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    # six seeds: the ablation's intervals clear zero with room at six (README: 10 and 20)
    code = cli.main(["study", "--seeds", str(STUDY_SEEDS), f"hydra.run.dir={out}"])
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
        "## Findings",
        "vendor key-account share, 2003-H2",
        "vendor key-account share, 2005-H2",
        "vendor key-account share, 2006-H2",
        "vendor profit, 2006 (sum)",
        "partner satisfaction, 2006",
        "conflict index, 2006",
        "## The vendor's profit by year",
        "## What else moved",
        "stay_traditional",
        "copy_direct",
        "without customer care",
    ):
        assert words in report
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["seeds"] == list(range(STUDY_SEEDS))


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
    from channelsim.experiment.case_study import part_off

    assert part_off("customer care", ["strategy.customer_care=true"]) == [
        "strategy.customer_care=false"
    ]
    assert part_off("ERP build-to-order", ["market.growth=0.2"]) == [
        "strategy.erp_integration=false"
    ]


def test_the_ablation_covers_every_lever_the_two_channels_differ_in():
    from channelsim.experiment.case_study import PARTS

    traditional = compose(["strategy=traditional_channel"]).strategy
    relationship = compose(["strategy=relationship_channel"]).strategy
    differ = {
        f.name
        for f in dataclasses.fields(traditional)
        if f.name != "name" and getattr(traditional, f.name) != getattr(relationship, f.name)
    }
    covered = [lever for levers in PARTS.values() for lever in levers]
    assert sorted(covered) == sorted(differ)
