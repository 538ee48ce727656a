"""The comparison report of a sweep: each group's KPIs with 95% intervals, the best group
per KPI, and figures, rebuilt from the sweep folder alone (``channelsim report``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from channelsim.analysis.report import (
    BOUNDED,
    markdown_table,
    save_figure,
    text_table,
    write_markdown_report,
)
from channelsim.analysis.stats import mean_ci
from channelsim.experiment.io import atomic_write_text
from channelsim.experiment.sweep import collect, read_plan
from channelsim.labels import kpi_label
from channelsim.metrics import METRICS, nonnegative

# KPIs of the first table and the figures, with their number format (their names are
# the reports' shared labels, labels.kpi_label)
HEADLINE = {
    "share_vendor_key": ".3f",
    "share_vendor_total": ".3f",
    "profit_vendor": ".0f",
    "profit_resellers": ".0f",
    "partner_satisfaction": ".3f",
    "conflict_index": ".3f",
    "win_rate_vendor_key": ".3f",
    "gray_market_units": ".0f",
}
# the KPIs of the terminal's table, with short titles
CONSOLE = {
    "share_vendor_key": "vendor key share",
    "profit_vendor": "vendor profit/month",
    "partner_satisfaction": "partner satisfaction",
}
OVER_TIME = ("share_vendor_key", "profit_vendor", "partner_satisfaction", "conflict_index")
# which way is better for the vendor (+1 higher, -1 lower); KPIs not listed have no "best"
DIRECTION = {
    **{m: 1 for m in METRICS if m.startswith(("share_vendor", "win_rate_vendor"))},
    **{m: -1 for m in METRICS if m.startswith(("share_direct", "win_rate_direct"))},
    "revenue_vendor": 1,
    "profit_vendor": 1,
    "revenue_direct": -1,
    "profit_direct": -1,
    "profit_resellers": 1,
    "partner_satisfaction": 1,
    "relationship_vendor_key": 1,
    "relationship_direct_key": -1,
    "relationships_lost": -1,
    "opportunities_won_vendor": 1,
    "opportunities_won_direct": -1,
    "gray_market_units": -1,
    "conflict_index": -1,
    "coverage_key": 1,
    "mean_partner_capability": 1,
    "vendor_margin_per_unit": 1,
    "bad_debt_vendor": -1,
    "units_vendor": 1,
    "units_direct": -1,
    "partner_exits": -1,
    "complaint_share": -1,
    "price_dispersion": -1,
}
MAX_LINES = 8  # groups drawn over time; more would be unreadable
SMOOTH = 3  # months in the rolling mean of the figures over time


def group_keys(table: pd.DataFrame) -> list[str]:
    """The swept keys of a per-job table: the columns between ``job`` and ``seed``."""
    columns = list(table.columns)
    return columns[1 : columns.index("seed")]


def group_label(keys: list[str], values: tuple) -> str:
    if not keys:
        return "all jobs"
    return ", ".join(f"{k}={_text(v)}" for k, v in zip(keys, values, strict=True))


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) >= 1 else f"{value:g}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _groups(table: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(label, rows) per group, in the order the groups first appear in the sweep."""
    ok = table[table["status"] == "ok"]
    if not keys:
        return [("all jobs", ok)]
    out = []
    for values, rows in ok.groupby(keys, sort=False, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        out.append((group_label(keys, values), rows))
    return out


def group_stats(table: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """n, mean, standard deviation and 95% confidence interval of every KPI by group.

    Groups are the swept keys but the seed (`keys`, by default read off the table);
    only ok jobs count. One row a group and KPI.
    """
    keys = group_keys(table) if keys is None else keys
    rows = []
    for label, members in _groups(table, keys):
        for kpi in METRICS:
            values = members[kpi].to_numpy(dtype=float)
            est = mean_ci(values, floor=0.0 if nonnegative(kpi) else None)
            finite = values[~np.isnan(values)]
            rows.append(
                {
                    "group": label,
                    **{k: members[k].iloc[0] for k in keys},
                    "kpi": kpi,
                    "n": est.n,
                    "mean": est.mean,
                    "sd": float(finite.std(ddof=1)) if finite.size > 1 else float("nan"),
                    "ci_low": est.low,
                    "ci_high": est.high,
                }
            )
    return pd.DataFrame(
        rows, columns=["group", *keys, "kpi", "n", "mean", "sd", "ci_low", "ci_high"]
    )


def best_groups(stats: pd.DataFrame) -> pd.DataFrame:
    """For each KPI with a direction, the group with the best mean, and whether its
    interval clears the runner-up's (else the data cannot tell the two apart)."""
    rows = []
    for kpi, sign in DIRECTION.items():
        these = stats[(stats["kpi"] == kpi) & stats["mean"].notna()]
        if these.empty:
            continue
        ranked = these.sort_values("mean", ascending=sign < 0, kind="stable")
        best = ranked.iloc[0]
        clear = ""
        if len(ranked) > 1:
            second = ranked.iloc[1]
            if np.isnan(best["ci_low"]) or np.isnan(second["ci_low"]):
                clear = "n/a (one seed)"
            elif sign > 0:
                clear = "yes" if best["ci_low"] > second["ci_high"] else "no"
            else:
                clear = "yes" if best["ci_high"] < second["ci_low"] else "no"
        rows.append(
            {
                "kpi": kpi,
                "better": "higher" if sign > 0 else "lower",
                "best group": best["group"],
                "mean": best["mean"],
                "ci_low": best["ci_low"],
                "ci_high": best["ci_high"],
                "clear of the runner-up": clear,
            }
        )
    return pd.DataFrame(rows)


def _fmt(value: float, spec: str) -> str:
    return "n/a" if value is None or np.isnan(value) else format(value, spec)


def _estimate(row: pd.Series, spec: str) -> str:
    if np.isnan(row["mean"]):
        return "n/a"
    if np.isnan(row["ci_low"]):
        return f"{row['mean']:{spec}} (n=1)"
    return f"{row['mean']:{spec}} [{row['ci_low']:{spec}}, {row['ci_high']:{spec}}]"


def headline_rows(stats: pd.DataFrame, kpis: list[str] | None = None) -> tuple[list, list]:
    """A table: one row a group, the headline KPIs as mean [95% CI]."""
    kpis = kpis or list(HEADLINE)
    head = ["group", "n", *(kpi_label(k) for k in kpis)]
    rows = []
    for label, these in stats.groupby("group", sort=False):
        by_kpi = these.set_index("kpi")
        n = int(by_kpi["n"].max()) if len(by_kpi) else 0
        cells = [_estimate(by_kpi.loc[k], _spec(k)) for k in kpis]
        rows.append([label, str(n), *cells])
    return head, rows


def _spec(kpi: str, value: float = 0.0) -> str:
    if kpi in HEADLINE:
        return HEADLINE[kpi]
    size = abs(value) if value == value else 0.0
    return ".0f" if size >= 1000 else ".1f" if size >= 10 else ".3f"


def figure_by_group(stats: pd.DataFrame, path: Path) -> Path:
    """Headline KPIs by group: means with 95% intervals."""
    kpis = list(HEADLINE)
    groups = list(dict.fromkeys(stats["group"]))
    fig, axes = plt.subplots(2, 4, figsize=(15, 2.0 + 0.32 * len(groups) * 2), squeeze=False)
    y = np.arange(len(groups))
    for ax, kpi in zip(axes.ravel(), kpis, strict=True):
        these = stats[stats["kpi"] == kpi].set_index("group").reindex(groups)
        mean = these["mean"].to_numpy(dtype=float)
        low = np.where(np.isnan(these["ci_low"]), mean, these["ci_low"])
        high = np.where(np.isnan(these["ci_high"]), mean, these["ci_high"])
        ax.errorbar(
            mean, y, xerr=[mean - low, high - mean], fmt="o", color="#c8102e", capsize=3, ms=4
        )
        ax.set_yticks(y, groups if ax in axes[:, 0] else [""] * len(groups), fontsize=7)
        ax.invert_yaxis()
        ax.set_title(kpi_label(kpi), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("KPIs by group (final 12 months): mean and 95% confidence interval")
    fig.tight_layout()
    save_figure(fig, path)
    return path


def _over_time(sweep_dir: Path, table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Monthly metrics of the ok jobs, labelled by group (jobs whose file is gone skipped)."""
    frames = []
    for label, rows in _groups(table, keys):
        for job in rows["job"]:
            try:
                frame = pd.read_parquet(
                    sweep_dir / str(job) / "metrics.parquet", columns=["step", "date", *OVER_TIME]
                )
            except (OSError, ValueError):
                continue
            frame.insert(0, "group", label)
            frame.insert(1, "job", job)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def figure_over_time(monthly: pd.DataFrame, order: list[str], path: Path) -> Path:
    """Metrics over time: each group's mean over its seeds with a 95% band (3-month
    rolling means, so that the monthly noise of single deals does not hide the trend)."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), sharex=True)
    colours = plt.get_cmap("tab10")
    dates = monthly.drop_duplicates("step").set_index("step")["date"].sort_index()
    for ax, metric in zip(axes.ravel(), OVER_TIME, strict=True):
        for i, label in enumerate(order):
            these = monthly[monthly["group"] == label]
            wide = these.pivot(index="step", columns="job", values=metric)
            wide = wide.rolling(SMOOTH, min_periods=1).mean()
            est = [mean_ci(row) for row in wide.to_numpy()]
            mean = np.array([e.mean for e in est])
            colour = colours(i % 10)
            ax.plot(wide.index, mean, color=colour, lw=1.2, label=label)
            low = np.array([e.low for e in est])
            if not np.all(np.isnan(low)):
                high = np.array([e.high for e in est])
                ax.fill_between(wide.index, low, high, color=colour, alpha=0.15, lw=0)
        ax.set_title(kpi_label(metric), fontsize=10)
        ax.grid(alpha=0.3)
        if metric.startswith("share_"):
            ax.set_ylim(0, 1)
    years = [step for step, date in dates.items() if date.endswith("-01")]
    if len(years) >= 2:
        axes[1, 0].set_xticks(years, [dates[s][:4] for s in years])
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Metrics over time: mean over seeds with 95% band (3-month means)")
    fig.tight_layout()
    save_figure(fig, path)
    return path


def write_sweep_report(sweep_dir: Path, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """report.md, report.html, groups.csv and figures/ of a sweep folder; returns the
    group statistics. The per-job table is read from the job folders when not given."""
    sweep_dir = Path(sweep_dir)
    plan = read_plan(sweep_dir)
    table = collect(sweep_dir) if table is None else table
    keys = group_keys(table)
    stats = group_stats(table, keys)
    atomic_write_text(sweep_dir / "groups.csv", stats.to_csv(index=False))
    ok = table[table["status"] == "ok"]
    failed = table[table["status"] != "ok"]

    seeds = sorted({int(s) for s in table["seed"].dropna()})
    intro = (
        f"{len(table)} jobs: {len(ok)} ok, {len(failed)} failed; "
        f"{stats['group'].nunique()} groups ({', '.join(keys) or 'no swept keys'}) by "
        f"{len(seeds)} seeds. KPIs are each job's means over its final 12 months; a cell "
        "is the mean over a group's ok jobs with its 95% confidence interval (Student t), "
        f"{BOUNDED}"
    )
    sweep_line = "channelsim sweep " + " ".join(plan.get("overrides", []))
    md = ["# Sweep report", "", intro, "", f"Sweep: `{sweep_line}`", ""]

    def section(title: str, text: str, head: list[str], rows: list[list[str]]) -> None:
        md.extend([f"## {title}", "", text, "", markdown_table(head, rows), ""])

    if len(ok):
        head, rows = headline_rows(stats)
        section("Groups", "Mean [95% CI] over each group's seeds.", head, rows)
        best = best_groups(stats)
        section(
            "Best group per KPI",
            "Best for the vendor; 'clear' when its interval does not overlap the runner-up's.",
            ["KPI", "better", "best group", "mean [95% CI]", "clear of the runner-up"],
            [
                [
                    kpi_label(r["kpi"]),
                    r["better"],
                    r["best group"],
                    _estimate(r, _spec(r["kpi"], r["mean"])),
                    r["clear of the runner-up"],
                ]
                for _, r in best.iterrows()
            ],
        )
        figures = [figure_by_group(stats, sweep_dir / "figures" / "kpi_by_group.png")]
        monthly = _over_time(sweep_dir, table, keys)
        if not monthly.empty:
            order = list(dict.fromkeys(monthly["group"]))
            note = ""
            if len(order) > MAX_LINES:
                key_share = stats[stats["kpi"] == "share_vendor_key"].set_index("group")["mean"]
                order = sorted(order, key=lambda g: -np.nan_to_num(key_share.get(g, np.nan)))
                order = order[:MAX_LINES]
                note = f" (the {MAX_LINES} groups with the highest vendor key-account share)"
            path = figure_over_time(monthly, order, sweep_dir / "figures" / "over_time.png")
            figures.append(path)
        md += ["## Figures", ""]
        for path in figures:
            rel = path.relative_to(sweep_dir).as_posix()
            caption = path.stem.replace("_", " ") + (note if path.stem == "over_time" else "")
            md += [f"![{caption}]({rel})", ""]
        section(
            "Every KPI by group",
            "n, mean, standard deviation and 95% confidence interval (also in groups.csv).",
            ["group", "KPI", "n", "mean", "sd", "95% CI"],
            [
                [
                    r["group"],
                    kpi_label(r["kpi"]),
                    str(r["n"]),
                    _fmt(r["mean"], _spec(r["kpi"], r["mean"])),
                    _fmt(r["sd"], _spec(r["kpi"], r["mean"])),
                    f"[{_fmt(r['ci_low'], _spec(r['kpi'], r['mean']))}, "
                    f"{_fmt(r['ci_high'], _spec(r['kpi'], r['mean']))}]",
                ]
                for _, r in stats.iterrows()
            ],
        )
    if len(failed):
        section(
            "Failed jobs",
            "Each failed job's folder holds its summary.json (and error.log when it raised).",
            ["job", *keys, "seed", "error"],
            [
                [str(r["job"]), *(_text(r[k]) for k in keys), _text(r["seed"]), str(r["error"])]
                for _, r in failed.iterrows()
            ],
        )
    write_markdown_report(sweep_dir, "Sweep report", "\n".join(md))
    return stats


def console_table(stats: pd.DataFrame, width: int = 100) -> str:
    """The groups at a glance, for the terminal: one row a group, named in the row or,
    when the names would make the table wider than `width`, numbered and named below it
    (names wrapped to `width`)."""
    head, rows = headline_rows(stats, list(CONSOLE))
    head = [*head[:2], *CONSOLE.values()]
    table = text_table(head, rows)
    if max(len(line) for line in table.splitlines()) <= width:
        return table
    numbered = text_table(head, [[str(i), *row[1:]] for i, row in enumerate(rows, 1)])
    names = [
        textwrap.fill(f"group {i}: {row[0]}", width, subsequent_indent=" " * 4)
        for i, row in enumerate(rows, 1)
    ]
    return "\n".join([numbered, "", *names])
