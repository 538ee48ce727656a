"""Reports of the decision commands: an optimisation's convergence and trials, a
sensitivity analysis's ranking. Figures are built outside pyplot's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from channelsim.analysis.report import markdown_table, save_figure, write_markdown_report

VENDOR = "#c8102e"
GREY = "#888888"


def _num(value: Any, spec: str = ".4g") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    return format(value, spec)


# ---------------------------------------------------------------- optimisation


def convergence_figure(trials: pd.DataFrame, levers: list[str], kpi: str) -> Figure:
    """Each trial's value and the best so far; then the value against each lever."""
    n = 1 + len(levers)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = Figure(figsize=(4.6 * cols, 3.4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    done = trials[trials["state"] == "COMPLETE"]
    ax = axes[0]
    ax.plot(done["trial"], done["objective"], "o", ms=4, color=GREY, label="trial")
    best = trials["objective"].cummax()
    ax.step(trials["trial"], best, where="post", color=VENDOR, lw=2, label="best so far")
    failed = trials[trials["state"] != "COMPLETE"]
    if len(failed) and len(done):
        ax.plot(
            failed["trial"],
            [done["objective"].min()] * len(failed),
            "x",
            color="black",
            label="failed",
        )
    ax.set_xlabel("trial")
    ax.set_ylabel(f"objective ({kpi}, penalised)")
    ax.set_title("convergence")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    top = done.loc[done["objective"].idxmax()] if len(done) else None
    for ax, lever in zip(axes[1:], levers, strict=False):
        values = pd.to_numeric(done[lever], errors="coerce")
        ax.scatter(values, done["objective"], c=done["trial"], cmap="viridis", s=16)
        if top is not None:
            ax.plot([top[lever]], [top["objective"]], "*", ms=14, color=VENDOR)
        ax.set_xlabel(lever)
        ax.set_title(lever.split(".", 1)[1], fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("policy search: trials coloured by number, the best starred")
    fig.tight_layout()
    return fig


def write_optimize_report(out_dir: Path, trials: pd.DataFrame, summary: dict[str, Any]) -> None:
    """convergence.png, report.md and report.html for an optimisation."""
    levers = list(summary["space"])
    kpi = summary["objective"]["kpi"]
    if (trials["state"] == "COMPLETE").any():
        save_figure(convergence_figure(trials, levers, kpi), out_dir / "convergence.png")
    best = summary.get("best")
    spec = summary["objective"]
    goal = f"mean {kpi} over the final 12 months at seeds {summary['seeds']}"
    if spec["floor"] is not None:
        goal += (
            f", less {spec['penalty']:g} per unit of {spec['floor_kpi']} below {spec['floor']:g}"
        )
    space = [[k, v] for k, v in summary["space"].items()]
    ranked = trials[trials["state"] == "COMPLETE"].sort_values("objective", ascending=False)
    head = ["trial", "objective", *levers, kpi, spec["floor_kpi"]]
    head = list(dict.fromkeys(head))
    rows = [[_num(r[c]) for c in head] for _, r in ranked.head(10).iterrows()]
    lines = [
        f"# Policy optimisation: {summary['experiment']}",
        "",
        f"Objective: {goal}. Budget {summary['budget']} trials: {summary['trials_done']} done, "
        f"{summary['trials_failed']} failed. Seed {summary['seed']}.",
        "",
        "## Search space",
        "",
        markdown_table(["lever", "range"], space),
        "",
    ]
    if best is not None:
        lines += [
            f"## Best policy: trial {best['trial']}, objective {_num(best['objective'], '.6g')}",
            "",
            markdown_table(
                ["lever", "value"], [[k, _num(v, ".6g")] for k, v in best["params"].items()]
            ),
            "",
            f"As a strategy preset: `{summary['policy']}`; run it with "
            f"`channelsim run --config-dir {out_dir} strategy=best_policy`.",
            "",
            "![convergence](convergence.png)",
            "",
            "## The ten best trials",
            "",
            markdown_table(head, rows),
            "",
        ]
    else:
        lines += ["No trial finished: see `trials.csv` for the errors.", ""]
    if summary.get("error"):
        lines += [f"**The study did not finish:** {summary['error']}", ""]
    write_markdown_report(out_dir, "channelsim optimize", "\n".join(lines))


# ---------------------------------------------------------------- sensitivity

MEASURES = {
    "mu_star": "Morris mu* (mean absolute elementary effect)",
    "ST": "Sobol total-order index",
}


def sensitivity_figure(table: pd.DataFrame, conf_level: float) -> Figure:
    """One panel a KPI: each parameter's index with its interval, the most influential
    on top; the dummy in grey; Sobol's first-order index as a dot on the total."""
    kpis = list(dict.fromkeys(table["kpi"]))
    n = max(1, len(kpis))
    params = table["parameter"].nunique()
    fig = Figure(figsize=(5.2 * n, 1.2 + 0.38 * params))
    axes = fig.subplots(1, n, squeeze=False).ravel()
    for ax, kpi in zip(axes, kpis, strict=True):
        these = table[table["kpi"] == kpi].sort_values("rank")
        y = np.arange(len(these))
        est = these["estimate"].to_numpy(dtype=float)
        low = np.minimum(est, these["ci_low"].to_numpy(dtype=float))
        high = np.maximum(est, these["ci_high"].to_numpy(dtype=float))
        colours = [GREY if p == "dummy" else VENDOR for p in these["parameter"]]
        ax.barh(y, est, color=colours, alpha=0.8)
        ax.errorbar(est, y, xerr=[est - low, high - est], fmt="none", ecolor="black", capsize=3)
        if "S1" in these and these["S1"].notna().any():
            ax.plot(these["S1"], y, "o", color="white", mec="black", ms=5, label="first order S1")
            ax.legend(fontsize=8, loc="lower right")
        ax.set_yticks(y, these["parameter"], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(kpi, fontsize=10)
        ax.set_xlabel(MEASURES.get(str(these["measure"].iloc[0]), "index"), fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"sensitivity: ranked, with {conf_level:.0%} bootstrap intervals")
    fig.tight_layout()
    return fig


def write_sensitivity_report(
    out_dir: Path, table: pd.DataFrame, summary: dict[str, Any], conf_level: float
) -> None:
    """sensitivity.png, report.md and report.html for a sensitivity analysis."""
    if len(table):
        save_figure(sensitivity_figure(table, conf_level), out_dir / "sensitivity.png")
    extra = ["mu", "sigma"] if summary["method"] == "morris" else ["S1", "S1_ci_low", "S1_ci_high"]
    head = ["kpi", "rank", "parameter", "estimate", "ci_low", "ci_high", *extra]
    if summary["dummy"]:
        head.append("above_dummy")
    rows = [[_num(r[c], ".4g") for c in head] for _, r in table.iterrows()]
    measure = MEASURES["mu_star" if summary["method"] == "morris" else "ST"]
    ranges = [[k, f"[{_num(lo)}, {_num(hi)}]"] for k, (lo, hi) in summary["parameters"].items()]
    how = (
        f"{summary['method']} on the {summary['model']} model, {summary['sample_rows']} sample "
        f"rows, seed {summary['seed']}"
    )
    if summary["model"] == "channel":
        how += (
            f", {summary['seeds']} seed{'s' * (summary['seeds'] != 1)} a row"
            f"{', the same for every row' if summary['common_seeds'] else ', its own'}: "
            f"{summary['jobs']} distinct runs ({summary['ran']} run now, "
            f"{summary['skipped']} already done)"
        )
    lines = [
        f"# Sensitivity: {summary['experiment']}",
        "",
        f"{how}. Ranked by the {measure}, with {conf_level:.0%} bootstrap intervals.",
    ]
    if summary["dummy"]:
        lines += [
            "",
            "`dummy` is a parameter the model never reads. "
            + (
                "Every row runs at the same seeds, so its effect is exactly zero: a check "
                "that rows and runs are matched, not a noise floor (for that, run with "
                "sensitivity.common_seeds=false)."
                if summary.get("common_seeds", True) and summary["model"] == "channel"
                else "Its effect measures the noise of the model and the estimate: "
                "`above_dummy` marks the parameters whose interval clears the dummy's."
            ),
        ]
    lines += ["", "## Ranges", "", markdown_table(["parameter", "range"], ranges), ""]
    if len(table):
        lines += [
            "![sensitivity](sensitivity.png)",
            "",
            "## Ranking",
            "",
            markdown_table(head, rows),
            "",
        ]
    if summary.get("error"):
        lines += [f"**The analysis is incomplete:** {summary['error']}", ""]
    write_markdown_report(out_dir, "channelsim sensitivity", "\n".join(lines))
