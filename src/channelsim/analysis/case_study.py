"""The case comparison read from its runs: per scenario, each measure's mean over seeds
with its 95% confidence interval, and every seller's share of the whole market; how much
of the recovery each part of the relationship channel carries; the figures and the
report.

The runs themselves are made by `channelsim.experiment.case_study`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from channelsim.analysis.figures import (
    change_marks,
    date_axis,
    mark_changes,
    market_sellers,
    marks_legend,
    merge_marks,
    seller_colours,
    seller_term,
)
from channelsim.analysis.findings import (
    MOVED,
    SEGMENTS,
    YEARS,
    ablation_sentences,
    headline_sentences,
    measure_title,
    moved,
    moved_sentences,
    profit_by_year_sentence,
    rival_sentence,
    segment_sentence,
    seller_sentence,
    yearly_profit,
)
from channelsim.analysis.report import (
    BOUNDED,
    markdown_table,
    save_figure,
    write_markdown_report,
)
from channelsim.analysis.stats import Estimate, mean_ci, per_run
from channelsim.experiment.case_study import PARTS, SCENARIOS, scenario_changes
from channelsim.experiment.io import (
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
)
from channelsim.labels import font_rc, term
from channelsim.metrics import nonnegative

COLOURS = {"history": "#c8102e", "stay_traditional": "#555555", "copy_direct": "#0076ce"}
# the comparison's columns: metric, window, how the months of the window combine, format
MEASURES = (
    ("share_vendor_key", "2003-H2", "mean", ".3f"),
    ("share_vendor_key", "2005-H2", "mean", ".3f"),
    ("share_vendor_key", "2006-H2", "mean", ".3f"),
    ("profit_vendor", "2006", "sum", ".0f"),
    ("partner_satisfaction", "2006", "mean", ".3f"),
    ("conflict_index", "2006", "mean", ".3f"),
)


# column title, metric, window, how the months of the window combine, format
TABLE = tuple((measure_title(m, w, h), m, w, h, f) for m, w, h, f in MEASURES)
RECOVERY_WINDOW = "2005-H2"
README = "experiments/case_study/README.md"  # the study's full discussion
# the windows of every seller's share of the whole market: before the relationship
# channel, as it starts, as it has won key accounts back, and under the dual model
SELLER_WINDOWS = ("2003", "2004-Q1", "2005-H2", "2006-H2")


@dataclass
class CaseStudy:
    """What the case comparison produced."""

    runs: pd.DataFrame
    table: dict[str, dict[str, Estimate]]
    ablation: dict[str, dict[str, Estimate]]
    seeds: list[int]
    failed: list[dict] = field(default_factory=list)
    # per scenario, seller and window of SELLER_WINDOWS: the seller's share of the whole
    # market, its mean over seeds and 95% interval
    sellers: dict[str, dict[str, dict[str, Estimate]]] = field(default_factory=dict)
    out_dir: Path | None = None
    runtime_s: float = 0.0
    # per scenario, its dated changes after the start, read from its preset: (date, label)
    changes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def summarise(runs: pd.DataFrame) -> dict[str, dict[str, Estimate]]:
    """The comparison table: per scenario, each column's mean and 95% interval."""
    base = runs[runs["variant"] == "all parts"]
    out: dict[str, dict[str, Estimate]] = {}
    for scenario in SCENARIOS:
        these = base[base["scenario"] == scenario]
        out[scenario] = {
            title: mean_ci(
                per_run(these, metric, win, ["seed"], how),
                floor=0.0 if nonnegative(metric) else None,
            )
            for title, metric, win, how, _ in TABLE
        }
    return out


def summarise_sellers(runs: pd.DataFrame) -> dict[str, dict[str, dict[str, Estimate]]]:
    """Per scenario, every seller of the market and each window of SELLER_WINDOWS: the
    seller's share of the whole market's units (the months' mean), its mean over seeds
    and 95% interval."""
    base = runs[runs["variant"] == "all parts"]
    sellers = market_sellers(base)
    out: dict[str, dict[str, dict[str, Estimate]]] = {}
    for scenario in SCENARIOS:
        these = base[base["scenario"] == scenario]
        out[scenario] = {
            seller: {
                win: mean_ci(per_run(these, f"share_{seller}_total", win, ["seed"]), floor=0.0)
                for win in SELLER_WINDOWS
            }
            for seller in sellers
        }
    return out


def recovery(runs: pd.DataFrame, variant: str) -> pd.Series:
    """Per seed: key-account share in the recovery window of history (this variant) over
    that of staying traditional."""
    hist = runs[(runs["scenario"] == "history") & (runs["variant"] == variant)]
    trad = runs[(runs["scenario"] == "stay_traditional") & (runs["variant"] == "all parts")]
    a = per_run(hist, "share_vendor_key", RECOVERY_WINDOW, ["seed"])
    b = per_run(trad, "share_vendor_key", RECOVERY_WINDOW, ["seed"])
    return (a - b).dropna()


# what else a part is judged on: its effect on the vendor's profit and on conflict in 2006
ABLATION_EFFECTS = (("profit", "profit_vendor", "sum"), ("conflict", "conflict_index", "mean"))


def history_2006(runs: pd.DataFrame, variant: str, metric: str, how: str) -> pd.Series:
    """Per seed: a metric of history (this variant) over 2006."""
    hist = runs[(runs["scenario"] == "history") & (runs["variant"] == variant)]
    return per_run(hist, metric, "2006", ["seed"], how)


def summarise_ablation(runs: pd.DataFrame) -> dict[str, dict[str, Estimate]]:
    """How much of the recovery each part carries: recovery with all parts minus recovery
    without the part, paired by seed; the recovery left with all parts off; and what
    each part does to the vendor's profit and to conflict in 2006 (with it less
    without it, paired by seed), net of its cost."""
    full = recovery(runs, "all parts")
    out = {"all parts": {"recovery": mean_ci(full), "carried": mean_ci(full)}}
    whole = {name: history_2006(runs, "all parts", m, how) for name, m, how in ABLATION_EFFECTS}
    for name, _, _ in ABLATION_EFFECTS:
        out["all parts"][name] = mean_ci(whole[name] - whole[name])
    for variant in sorted(set(runs["variant"]) - {"all parts"}, key=_variant_order):
        rest = recovery(runs, variant)
        carried = (full - rest).dropna()
        out[variant] = {"recovery": mean_ci(rest), "carried": mean_ci(carried)}
        for name, metric, how in ABLATION_EFFECTS:
            without = history_2006(runs, variant, metric, how)
            out[variant][name] = mean_ci((whole[name] - without).dropna())
    return out


def _variant_order(variant: str) -> int:
    names = [f"without {p}" for p in PARTS] + ["all parts off"]
    return names.index(variant) if variant in names else len(names)


def read_study(
    runs: pd.DataFrame,
    failed: list[dict],
    seeds: list[int],
    ablation: bool = True,
    runtime_s: float = 0.0,
    changes: dict[str, list[tuple[str, str]]] | None = None,
) -> CaseStudy:
    """The comparison read from the runs of `experiment.case_study.run_scenarios` (and
    the scenarios' dated changes, of `experiment.case_study.scenario_changes`, which the
    figures mark; None: those of the package's presets); a scenario with no finished run
    leaves nothing to compare (an empty table)."""
    done = set(runs["scenario"]) if not runs.empty else set()
    comparable = not failed or set(SCENARIOS) <= done
    return CaseStudy(
        runs=runs,
        table=summarise(runs) if comparable else {},
        ablation=summarise_ablation(runs) if comparable and ablation else {},
        seeds=seeds,
        failed=failed,
        sellers=summarise_sellers(runs) if comparable else {},
        runtime_s=runtime_s,
        changes=scenario_changes() if changes is None else changes,
    )


def write_study(
    study: CaseStudy, out: Path, overrides: Sequence[str] = (), lang: str = "en"
) -> None:
    """The report of a comparison, or of its failure when nothing could be compared."""
    if study.table:
        write_report(study, out, overrides, lang)
    else:
        write_failed_report(study, out, overrides)


# ---------------------------------------------------------------------- report
def table_rows(study: CaseStudy) -> tuple[list[str], list[list[str]]]:
    """The comparison: one row a measure, one column a scenario (mean [95% interval])."""
    head = ["measure", *SCENARIOS]
    rows = [[t[0], *(study.table[s][t[0]].text(t[4]) for s in SCENARIOS)] for t in TABLE]
    return head, rows


def seller_rows(study: CaseStudy) -> tuple[list[str], list[list[str]]]:
    """Every seller's share of the whole market: one row a scenario and seller, one
    column a window of SELLER_WINDOWS (mean [95% interval])."""
    head = ["scenario", "seller", *SELLER_WINDOWS]
    rows = [
        [scenario, seller, *(by_window[win].text(".3f") for win in SELLER_WINDOWS)]
        for scenario, sellers in study.sellers.items()
        for seller, by_window in sellers.items()
    ]
    return head, rows


def ablation_rows(study: CaseStudy, effects: bool = True) -> tuple[list[str], list[list[str]]]:
    """The ablation: per variant of history, its recovery over staying traditional and
    the part of the full recovery the missing part carries (with its share); with
    `effects`, also what the part adds to the vendor's profit and to conflict in 2006."""
    head = [
        "variant of history",
        f"{RECOVERY_WINDOW} key-share recovery",
        "part it carries",
        "its profit 2006",
        "its conflict 2006",
    ]
    full = study.ablation["all parts"]["recovery"].mean
    rows = []
    for variant, est in study.ablation.items():
        carried = est["carried"]
        share = f" ({carried.mean / full:.0%})" if full and variant.startswith("without") else ""
        part = variant.startswith("without")
        rows.append(
            [
                variant,
                est["recovery"].text(".3f"),
                carried.text(".3f") + share if part else "",
                est["profit"].text(",.0f") if part and "profit" in est else "",
                est["conflict"].text(".3f") if part and "conflict" in est else "",
            ]
        )
    if not effects:  # the key-share columns alone, as a terminal prints them
        return head[:3], [row[:3] for row in rows]
    return head, rows


def _band(
    ax: plt.Axes,
    runs: pd.DataFrame,
    metric: str,
    scenario: str,
    smooth: int = 3,
    lang: str = "en",
    colour: str | None = None,
    label: str | None = None,
) -> list[str]:
    """The metric's mean over seeds in a scenario, month by month, with its 95% band; in
    the scenario's colour and name unless `colour` and `label` are given. Returns the
    months' dates (the x axis)."""
    colour = colour or COLOURS[scenario]
    these = runs[(runs["scenario"] == scenario) & (runs["variant"] == "all parts")]
    wide = these.pivot(index="step", columns="seed", values=metric)
    wide = wide.rolling(smooth, min_periods=1).mean()
    dates = these[these["seed"] == these["seed"].iloc[0]]["date"].to_numpy()
    est = [mean_ci(row) for row in wide.to_numpy()]
    x = np.arange(len(est))
    mean = np.array([e.mean for e in est])
    ax.plot(x, mean, color=colour, label=label or term(scenario, lang))
    ax.fill_between(x, [e.low for e in est], [e.high for e in est], color=colour, alpha=0.2, lw=0)
    date_axis(ax, list(dates))
    return list(dates)


def study_marks(study: CaseStudy, dates: list[str], lang: str = "en") -> list[tuple[str, str]]:
    """The scenarios' dated changes on the figures' axis, numbered by date: a change every
    scenario makes once (the case's market events), any other with its scenario's name."""
    return merge_marks(
        [
            (term(s, lang), change_marks(dates, study.changes[s], lang))
            for s in SCENARIOS
            if s in study.changes
        ]
    )


def _mark(
    study: CaseStudy,
    fig: plt.Figure,
    axes,
    dates: list[str],
    lang: str,
    panels: Sequence[str] = (),
) -> None:
    """The scenarios' changes on every panel of `fig`, numbered, named under it; with
    `panels` (a scenario a panel), a panel shows its scenario's marks alone."""
    marks = study_marks(study, dates, lang)
    for ax, scenario in zip(np.ravel(axes), panels or [None] * np.size(axes), strict=True):
        mark_changes(ax, dates, marks, _scenario_marks(study, dates, lang, marks, scenario))
    marks_legend(fig, marks, lang)


def _scenario_marks(
    study: CaseStudy, dates: list[str], lang: str, marks: list, scenario: str | None
) -> set[int] | None:
    """The numbers of the marks `scenario` makes (None: every mark's)."""
    if scenario is None:
        return None
    own = set(change_marks(dates, study.changes.get(scenario, []), lang))
    named = f"{term(scenario, lang)}: "
    return {
        number
        for number, (date, words) in enumerate(marks, 1)
        if (date, words) in own or (date, words.removeprefix(named)) in own
    }


def seller_figure(study: CaseStudy, lang: str = "en") -> plt.Figure:
    """Every seller's share of the whole market with 95% bands, a panel a scenario."""
    sellers = list(next(iter(study.sellers.values())))
    fig, axes = plt.subplots(1, len(SCENARIOS), figsize=(13, 4.2), sharey=True)
    for ax, scenario in zip(axes, SCENARIOS, strict=True):
        for seller, colour in zip(sellers, seller_colours(sellers), strict=True):
            metric, label = f"share_{seller}_total", seller_term(seller, lang)
            dates = _band(ax, study.runs, metric, scenario, lang=lang, colour=colour, label=label)
        ax.set_ylim(0, 1)
        ax.set_title(term(scenario, lang))
    _mark(study, fig, axes, dates, lang, panels=SCENARIOS)
    axes[0].set_ylabel(term("seller_share_axis", lang))
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(term("seller_band_title", lang))
    return fig


def figures(study: CaseStudy, folder: Path, lang: str = "en") -> list[Path]:
    """Key-account share by scenario with 95% bands; shares by segment; every seller's
    share of the whole market; profits; ablation."""
    with plt.rc_context(font_rc(lang)):
        return _figures(study, folder, lang)


def _figures(study: CaseStudy, folder: Path, lang: str) -> list[Path]:
    runs = study.runs
    paths = []
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for scenario in SCENARIOS:
        dates = _band(ax, runs, "share_vendor_key", scenario, lang=lang)
    ax.set_ylim(0, 1)
    _mark(study, fig, ax, dates, lang)
    ax.set_ylabel(term("key_share_axis", lang))
    ax.set_title(term("key_band_title", lang, seeds=len(study.seeds)))
    ax.legend(fontsize=8)
    paths.append(folder / "key_share.png")
    save_figure(fig, paths[-1])

    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    for ax, seg in zip(axes.ravel(), ("key", "global", "mid", "txn"), strict=True):
        for scenario in SCENARIOS:
            dates = _band(ax, runs, f"share_vendor_{seg}", scenario, smooth=6, lang=lang)
        ax.set_ylim(0, 1)
        ax.set_title(term(seg, lang))
    _mark(study, fig, axes, dates, lang)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(term("segment_band_title", lang))
    paths.append(folder / "segment_shares.png")
    save_figure(fig, paths[-1])

    if study.sellers:
        paths.append(folder / "seller_shares.png")
        save_figure(seller_figure(study, lang), paths[-1])

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for scenario in SCENARIOS:
        dates = _band(ax, runs, "profit_vendor", scenario, smooth=3, lang=lang)
    _mark(study, fig, ax, dates, lang)
    ax.set_ylabel(term("vendor_profit_axis", lang))
    ax.set_title(term("vendor_profit_title", lang))
    ax.legend(fontsize=8)
    paths.append(folder / "profits.png")
    save_figure(fig, paths[-1])

    if study.ablation:
        parts = [v for v in study.ablation if v.startswith("without")]
        est = [study.ablation[v]["carried"] for v in parts]
        fig, ax = plt.subplots(figsize=(8, 4))
        y = np.arange(len(parts))
        ax.barh(
            y,
            [e.mean for e in est],
            color="#c8102e",
            alpha=0.8,
            xerr=[[e.mean - e.low for e in est], [e.high - e.mean for e in est]],
        )
        ax.set_yticks(y, [p.removeprefix("without ") for p in parts])
        ax.axvline(0, color="black", lw=0.5)
        ax.axvline(study.ablation["all parts"]["recovery"].mean, color="grey", ls="--", lw=0.8)
        ax.set_xlabel(term("ablation_axis", lang, window=RECOVERY_WINDOW))
        ax.set_title(term("ablation_title", lang))
        paths.append(folder / "ablation.png")
        save_figure(fig, paths[-1])
    return paths


def write_failed_report(study: CaseStudy, out: Path, overrides: Sequence[str] = ()) -> None:
    """report.md and summary.json of a study whose runs failed."""
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Case comparison: failed",
        "",
        f"{len(study.failed)} runs failed; no scenario comparison could be made.",
        "",
    ]
    lines += [f"- {json.dumps(f)}" for f in study.failed]
    atomic_write_text(out / "report.md", "\n".join(lines) + "\n")
    atomic_write_json(
        out / "summary.json",
        {
            "status": "failed",
            "error": f"{len(study.failed)} runs failed: {study.failed[0]['error']}",
            "seeds": study.seeds,
            "scenarios": list(SCENARIOS),
            "overrides": list(overrides),
            "runtime_s": round(study.runtime_s, 3),
        },
    )


def readme_link(out: Path) -> str:
    """Where the study's README is: a relative link when the report sits inside the
    source tree that holds it, else its path in the project."""
    for folder in [out.resolve(), *out.resolve().parents]:
        readme = folder / README
        if readme.is_file():
            return f"[{README}]({os.path.relpath(readme, out.resolve())})"
    return f"`{README}` in the channelsim project"


def findings_section(study: CaseStudy, out: Path) -> list[str]:
    """The report's opening: its findings as sentences with their numbers and intervals."""
    runs = study.runs
    sentences = [*headline_sentences(runs), profit_by_year_sentence(runs), segment_sentence(runs)]
    if study.sellers:
        sellers = list(next(iter(study.sellers.values())))
        sentences += [seller_sentence(runs, sellers), rival_sentence(runs, sellers)]
    flagged = moved(runs)
    sentences += moved_sentences(flagged)
    sentences += ablation_sentences(study.ablation, RECOVERY_WINDOW)
    return [
        "## Findings",
        "",
        *(f"- {text}" for text in sentences),
        "",
        f"The study's README discusses them in full: {readme_link(out)}.",
        "",
    ]


def profit_rows(study: CaseStudy) -> tuple[list[str], list[list[str]]]:
    """The vendor's profit summed over each year, 2002-2006: one row a scenario."""
    by_year = yearly_profit(study.runs)
    head = ["scenario", *YEARS]
    rows = [[s, *(by_year[s][y].text(",.0f") for y in YEARS)] for s in SCENARIOS]
    return head, rows


def moved_rows(study: CaseStudy) -> tuple[list[str], list[list[str]]]:
    """Every vendor segment share more than MOVED apart between two options in a year."""
    head = ["segment", "year", "higher", "its share", "lower", "its share", "difference"]
    rows = [
        [
            SEGMENTS[m.segment],
            m.year,
            m.high,
            m.high_share.text(),
            m.low,
            m.low_share.text(),
            m.difference.text(),
        ]
        for m in moved(study.runs)
    ]
    return head, rows


def write_report(
    study: CaseStudy, out: Path, overrides: Sequence[str] = (), lang: str = "en"
) -> None:
    """report.md, report.html, figures/, runs.parquet and summary.json into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = figures(study, out / "figures", lang)
    atomic_write_parquet(out / "runs.parquet", study.runs)
    head, rows = table_rows(study)
    intro = (
        f"Scenarios `history`, `stay_traditional` and `copy_direct` on the default "
        f"market, {len(study.seeds)} seeds each (seeds {study.seeds[0]}-"
        f"{study.seeds[-1]}); each number is the mean over seeds with its 95% confidence "
        f"interval (Student t), {BOUNDED} Differences between two scenarios are paired by "
        "seed. Shares are averaged over the window's months; profit is summed over the "
        "year (list-price units)."
    )
    if overrides:
        intro += " Overrides: `" + " ".join(overrides) + "`."
    md = ["# Case comparison", "", intro, "", *findings_section(study, out)]
    md += ["## The comparison", "", markdown_table(head, rows), ""]
    p_head, p_rows = profit_rows(study)
    text = "The vendor's profit summed over each year: the options part from 2004."
    md += ["## The vendor's profit by year", "", text, "", markdown_table(p_head, p_rows), ""]
    m_head, m_rows = moved_rows(study)
    text = (
        f"Every vendor share of a segment more than {MOVED} apart between two options in a "
        "year, 2004-2006, largest first."
    )
    md += ["## What else moved", "", text, ""]
    md += [markdown_table(m_head, m_rows) if m_rows else "Nothing moved that far.", ""]
    if study.sellers:
        s_head, s_rows = seller_rows(study)
        text = (
            "Each seller's share of all units the market bought (its partners' sales with "
            "its own), averaged over the window's months; the sellers' shares add up to 1."
        )
        title = "Every seller's share of the whole market"
        md += [f"## {title}", "", text, "", markdown_table(s_head, s_rows), ""]
    if study.ablation:
        a_head, a_rows = ablation_rows(study)
        text = (
            "Starting from `history`, each part of the relationship channel is switched "
            "off in turn (its levers at the traditional channel's values). Recovery: the "
            f"vendor's key-account share in {RECOVERY_WINDOW} over `stay_traditional`'s, "
            "paired by seed. A part carries what the recovery loses without it; a negative "
            "part works against the recovery (Findings give its mechanism)."
        )
        md += ["## What carries the recovery", "", text, "", markdown_table(a_head, a_rows), ""]
    md += ["## Figures", ""]
    for path in paths:
        rel = path.relative_to(out).as_posix()
        md += [f"![{path.stem}]({rel})", ""]
    if study.failed:
        md += ["## Failed runs", ""] + [f"- `{json.dumps(f)}`" for f in study.failed] + [""]
    write_markdown_report(out, "Case comparison", "\n".join(md))
    atomic_write_json(
        out / "summary.json",
        {
            "status": "ok" if not study.failed else "failed",
            "error": None if not study.failed else f"{len(study.failed)} runs failed",
            "seeds": study.seeds,
            "scenarios": list(SCENARIOS),
            "overrides": list(overrides),
            "runtime_s": round(study.runtime_s, 3),
            "table": {
                s: {k: e.__dict__ for k, e in cols.items()} for s, cols in study.table.items()
            },
            "ablation": {
                v: {k: e.__dict__ for k, e in cols.items()} for v, cols in study.ablation.items()
            },
            "sellers": {
                scenario: {
                    seller: {win: e.__dict__ for win, e in by_window.items()}
                    for seller, by_window in sellers.items()
                }
                for scenario, sellers in study.sellers.items()
            },
        },
    )
