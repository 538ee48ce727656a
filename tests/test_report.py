"""The case comparison's report reads its results: findings made from the numbers (a
changed result changes the sentence), the yearly profit, what else moved, the shared
KPI labels, intervals bounded at 0, event labels and HTML rendered from Markdown. The
runs here are made by hand, so every number is known."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from channelsim.analysis.case_study import (
    CaseStudy,
    read_study,
    readme_link,
    seller_figure,
    study_marks,
    write_study,
)
from channelsim.analysis.findings import (
    ablation_sentences,
    headline_sentences,
    moved,
    moved_sentences,
    profit_by_year_sentence,
    segment_sentence,
    seller_sentence,
)
from channelsim.analysis.report import markdown_html
from channelsim.analysis.stats import Estimate, mean_ci
from channelsim.experiment.case_study import scenario_changes
from channelsim.labels import kpi_label
from channelsim.metrics import METRICS, nonnegative, seller_metrics

SCENARIOS = ("history", "stay_traditional", "copy_direct")
COLUMNS = [*METRICS, *seller_metrics("others")]  # every metric, 0 unless set below
SEEDS = range(4)
DATES = [f"{y}-{m:02d}" for y in range(2002, 2007) for m in range(1, 13)]
# each scenario's level from 2004 (before it, every scenario has the first's); a seed adds
# 0.01 to every share and 10 to every month's profit, so paired differences are exact
LEVELS = {
    "history": {"key": 0.40, "global": 0.30, "mid": 0.63, "txn": 0.50, "profit": 300.0},
    "stay_traditional": {"key": 0.20, "global": 0.05, "mid": 0.60, "txn": 0.45, "profit": 100.0},
    "copy_direct": {"key": 0.15, "global": 0.20, "mid": 0.26, "txn": 0.40, "profit": 200.0},
}


def make_runs(levels=LEVELS, profit_by_year=None) -> pd.DataFrame:
    """Monthly runs of the three scenarios at four seeds; `profit_by_year` overrides a
    scenario's monthly profit in given years ({scenario: {year: profit}})."""
    rows = []
    for scenario in SCENARIOS:
        for seed in SEEDS:
            for step, date in enumerate(DATES, 1):
                own = levels[scenario] if date >= "2004-01" else levels["history"]
                profit = own["profit"]
                if profit_by_year and date[:4] in profit_by_year.get(scenario, {}):
                    profit = profit_by_year[scenario][date[:4]]
                total = 0.5 * own["key"] + 0.5 * own["txn"] + 0.01 * seed
                rows.append(
                    {
                        **dict.fromkeys(COLUMNS, 0.0),
                        "scenario": scenario,
                        "variant": "all parts",
                        "seed": seed,
                        "step": step,
                        "date": date,
                        **{
                            f"share_vendor_{s}": own[s] + 0.01 * seed
                            for s in LEVELS["history"]
                            if s != "profit"
                        },
                        "share_vendor_total": total,
                        "share_direct_total": 0.3 - 0.5 * total,
                        "share_others_total": 1 - total - (0.3 - 0.5 * total),
                        "share_direct_key": 0.5,
                        **{f"units_{s}": 100.0 for s in ("vendor", "direct", "others")},
                        "profit_vendor": profit + 10 * seed,
                        "partner_satisfaction": 0.5,
                        "conflict_index": 0.4,
                    }
                )
    return pd.DataFrame(rows)


def test_the_headline_names_the_leader_and_its_paired_lead_and_follows_a_change():
    """history's key share is 0.40 + 0.01·seed, stay_traditional's 0.20 + 0.01·seed: a
    paired lead of exactly 0.2 at every seed. Raise copy_direct's to 0.5 and it leads."""
    first = headline_sentences(make_runs())[0]
    assert first.startswith("**vendor key-account share, 2005-H2:** `history` leads with 0.415")
    assert "`stay_traditional` follows with 0.215" in first
    assert "0.200 [0.200, 0.200] behind" in first
    changed = {**LEVELS, "copy_direct": {**LEVELS["copy_direct"], "key": 0.5}}
    first = headline_sentences(make_runs(changed))[0]
    assert "`copy_direct` leads with 0.515" in first
    assert "`history` follows with 0.415" in first and "0.100 [0.100, 0.100] behind" in first


def test_a_lead_whose_interval_includes_zero_is_not_called_a_lead():
    runs = make_runs()
    noisy = runs["scenario"] == "stay_traditional"
    # stay_traditional's key share: history's own, ± 0.05 by seed (paired differences
    # -0.05, +0.05, -0.05, +0.05: mean 0, interval across 0)
    runs.loc[noisy, "share_vendor_key"] = (
        runs.loc[noisy, "share_vendor_key"]
        + 0.2
        + np.where(runs.loc[noisy, "seed"] % 2, 0.05, -0.05)
    )
    first = headline_sentences(runs)[0]
    assert "cannot be told apart" in first and "leads" not in first


def test_the_profit_sentence_says_when_the_ranking_changes_with_the_year():
    """copy_direct earns more than history in 2004 and 2005, history more in 2006."""
    text = profit_by_year_sentence(
        make_runs(profit_by_year={"copy_direct": {"2004": 500.0, "2005": 500.0}})
    )
    assert text.startswith("Until 2003 the options are the same run.")
    assert "changes with the year: `copy_direct` in 2004 (2,400 [2,400, 2,400] over" in text
    assert "`history` in 2006 (1,200 [1,200, 1,200] over `copy_direct`)" in text
    # history ahead in every year: one leader, said once
    text = profit_by_year_sentence(make_runs())
    assert "`history` earns the vendor the most profit in every later year" in text


def test_segments_and_sellers_are_read_from_the_runs():
    runs = make_runs()
    assert segment_sentence(runs).startswith("`history` has the vendor's highest share in every")
    changed = {**LEVELS, "stay_traditional": {**LEVELS["stay_traditional"], "mid": 0.9}}
    text = segment_sentence(make_runs(changed))
    assert "The ranking differs by segment in 2006" in text
    assert "`stay_traditional` leads in mid-market (0.915" in text
    # history's whole-market share is 0.45 + 0.01·seed against 0.325 + 0.01·seed: a gain
    # of 0.125, half of it (0.0625) from the direct seller, the rest from the others
    text = seller_sentence(runs, ["vendor", "direct", "others"])
    assert "gains 0.125 of the whole market's units in 2006-H2" in text
    assert "taken from `direct` (-0.06" in text and "`others` (-0.06" in text


def test_what_else_moved_flags_a_segment_share_over_a_tenth_apart():
    """copy_direct's mid-market share 0.26 against history's 0.63 (a 0.37 fall) is
    flagged; stay_traditional's 0.60 against history's 0.63 is not."""
    flagged = moved(make_runs())
    mid = [m for m in flagged if m.segment == "mid"]
    assert {(m.high, m.low) for m in mid} == {
        ("history", "copy_direct"),
        ("stay_traditional", "copy_direct"),
    }
    assert all(m.year in ("2004", "2005", "2006") for m in flagged)
    assert mid[0].difference.mean == pytest.approx(0.37)
    text = " ".join(moved_sentences(flagged))
    assert (
        "In mid-market, `copy_direct` holds 0.275 [0.254, 0.296] in 2004 against `history`'s 0.645"
        in text
    )
    closer = {**LEVELS, "copy_direct": {**LEVELS["copy_direct"], "mid": 0.55}}
    assert not [m for m in moved(make_runs(closer)) if m.segment == "mid"]


def test_a_part_that_works_against_the_recovery_gets_its_mechanism():
    def est(mean, half=0.01):
        return Estimate(mean, mean - half, mean + half, 6)

    ablation = {
        "all parts": {"recovery": est(0.14), "carried": est(0.14)},
        "without training": {
            "recovery": est(0.08),
            "carried": est(0.06),
            "profit": est(5.0),
            "conflict": est(0.0),
        },
        "without governance": {
            "recovery": est(0.22),
            "carried": est(-0.08),
            "profit": est(900.0, 50),
            "conflict": est(-0.2),
        },
        "without customer care": {
            "recovery": est(0.14),
            "carried": est(0.0),
            "profit": est(1.0),
            "conflict": est(0.0),
        },
        "all parts off": {"recovery": est(0.0, 0.0), "carried": est(0.14)},
    }
    text = ablation_sentences(ablation, "2005-H2")
    assert text[0] == (
        "The relationship channel lifts the vendor's key-account share in 2005-H2 by 0.140 "
        "[0.130, 0.150] over `stay_traditional`."
    )
    assert "training 0.060 [0.050, 0.070] (43%)" in text[1]
    against = next(t for t in text if t.startswith("Without governance"))
    assert "larger, by 0.080 [0.070, 0.090]" in against
    assert "buyers wait, defer or buy elsewhere" in against  # approval levels' downside
    assert "its 2006 profit 900 [850, 950]" in against
    assert "cannot be told from 0 at these seeds: customer care." in " ".join(text)
    # the same part carrying a share instead: no mechanism sentence for it
    ablation["without governance"]["carried"] = est(0.05)
    assert not any(
        t.startswith("Without governance") for t in ablation_sentences(ablation, "2005-H2")
    )


def test_the_report_opens_with_findings_and_shows_profit_by_year(tmp_path):
    study = read_study(make_runs(), [], list(SEEDS), ablation=False)
    (tmp_path / "experiments" / "case_study").mkdir(parents=True)
    (tmp_path / "experiments" / "case_study" / "README.md").write_text("# the study\n")
    out = tmp_path / "results" / "study"
    write_study(study, out)
    report = (out / "report.md").read_text()
    lines = report.splitlines()
    assert lines[0] == "# Case comparison" and lines[4] == "## Findings"
    assert lines[6].startswith("- **vendor key-account share, 2005-H2:** `history` leads")
    assert "[experiments/case_study/README.md](../../experiments/case_study/README.md)" in report
    assert "| scenario | 2002 | 2003 | 2004 | 2005 | 2006 |" in report
    assert "| history | 3,780 [3,533, 4,027] |" in report  # 12 months of 300 + 10·seed
    assert "## What else moved" in report and "| mid-market | 2004 | history |" in report
    assert "| vendor profit, 2006 (sum) |" in report  # the shared labels
    page = (out / "report.html").read_text()
    assert "<code>history</code>" in page and "`history`" not in page
    assert "<table>" in page and '<img src="figures/key_share.png"' in page


def test_readme_link_outside_the_source_tree_names_the_path(tmp_path):
    assert readme_link(tmp_path) == "`experiments/case_study/README.md` in the channelsim project"


def test_the_study_marks_each_change_once_and_a_scenario_s_own_with_its_name():
    study = CaseStudy(pd.DataFrame(), {}, {}, [0], changes=scenario_changes())
    assert study_marks(study, DATES) == [
        ("2004-01", "history: relationship channel"),
        ("2004-01", "copy_direct: direct sales"),
        ("2004-08", "direct seller leaves the low end"),
        ("2005-05", "vendor buys 40% of global brands"),
        ("2006-01", "history: dual model"),
    ]
    assert study_marks(study, DATES, "zh")[2] == ("2004-08", "直销厂商退出低端市场")
    assert study_marks(CaseStudy(pd.DataFrame(), {}, {}, [0]), DATES) == []
    two = {s: changes for s, changes in study.changes.items() if s != "stay_traditional"}
    assert study_marks(CaseStudy(pd.DataFrame(), {}, {}, [0], changes=two), DATES)[2:4] == [
        ("2004-08", "direct seller leaves the low end"),  # shared by the scenarios given
        ("2005-05", "vendor buys 40% of global brands"),
    ]


def test_a_scenario_s_panel_shows_its_own_marks_numbered_as_named_underneath():
    study = read_study(make_runs(), [], list(SEEDS), ablation=False)  # the presets' changes
    fig = seller_figure(study)
    shown = [[t.get_text() for t in ax.texts] for ax in fig.axes]
    assert shown == [["1", "3", "4", "5"], ["3", "4"], ["2", "3", "4"]]  # as SCENARIOS
    (legend,) = (t for t in fig.texts if t.get_text() != fig.get_suptitle())
    assert legend.get_text().splitlines() == [
        "Marked:  1  2004-01  history: relationship channel      "
        "2  2004-01  copy_direct: direct sales      3  2004-08  direct seller leaves the low end",
        "4  2005-05  vendor buys 40% of global brands      5  2006-01  history: dual model",
    ]
    plt.close(fig)


def test_intervals_of_quantities_that_cannot_be_negative_stop_at_zero():
    """Counts 0, 0 and 9: mean 3, a t-interval of 3 ± 4.30·5.20/√3 reaches -9.9; bounded
    at 0 for a count, not for a profit."""
    values = [0.0, 0.0, 9.0]
    half = 4.302652729911275 * np.std(values, ddof=1) / np.sqrt(3)
    assert mean_ci(values).low == pytest.approx(3 - half)
    assert mean_ci(values, floor=0.0).low == 0.0
    assert mean_ci(values, floor=0.0).high == pytest.approx(3 + half)
    assert nonnegative("gray_market_units") and nonnegative("share_dell_total")
    assert not nonnegative("profit_vendor") and not nonnegative("vendor_margin_per_unit")


@pytest.mark.parametrize(
    ("metric", "label"),
    [
        ("share_vendor_key", "vendor key-account share"),
        ("share_direct_mid", "direct seller mid-market share"),
        ("share_dell_total", "dell share of all units"),
        ("profit_globalbrands", "globalbrands profit / month"),
        ("gray_market_units", "gray-market units / month"),
        ("cost_customer_care", "cost of customer care / month"),
        ("funnel_proposal", "projects at proposal / month"),
    ],
)
def test_the_reports_share_one_set_of_kpi_labels(metric, label):
    assert kpi_label(metric) == label


def test_markdown_is_rendered_not_shown():
    page = markdown_html("Run `channelsim`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<code>channelsim</code>" in page and "<td>1</td>" in page and "`" not in page
