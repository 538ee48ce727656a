"""Reports of the decision commands: an optimisation's convergence and trials, a
sensitivity analysis's ranking. Figures are built outside pyplot's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from channelsim.analysis.report import html_page, html_table, markdown_table, save_figure
from channelsim.experiment.io import atomic_write_text

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
    text = "\n".join(lines)
    atomic_write_text(out_dir / "report.md", text)
    body = [f"<h1>Policy optimisation: {summary['experiment']}</h1>", f"<p>Objective: {goal}.</p>"]
    body += ["<h2>Search space</h2>", html_table(["lever", "range"], space)]
    if best is not None:
        body += [
            f"<h2>Best policy: trial {best['trial']}</h2>",
            html_table(
                ["lever", "value"], [[k, _num(v, ".6g")] for k, v in best["params"].items()]
            ),
            "<img src='convergence.png' style='max-width:100%'>",
            "<h2>The ten best trials</h2>",
            html_table(head, rows),
        ]
    atomic_write_text(out_dir / "report.html", html_page("channelsim optimize", body))
