"""The report of a calibration: each targeted metric over time at the fresh seeds with
the targets on it, each parameter's loss profile, and the tables. Figures are built
outside pyplot's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from channelsim.analysis.decision import GREY, VENDOR, _num
from channelsim.analysis.report import markdown_table, save_figure, write_markdown_report
from channelsim.analysis.stats import t_quantile
from channelsim.domain import window
from channelsim.experiment.calibrate import (
    IDENTIFIED,
    PROFILE_BINS,
    PROFILE_RISE,
    best_text,
    profile,
)

if TYPE_CHECKING:
    from channelsim.experiment.calibrate import CalibrateOutcome, CalibratePlan

FIT, HOLDOUT = VENDOR, "#1f5fa8"


def _month(label: str) -> pd.Timestamp:
    return pd.Timestamp(f"{label}-01")


def targets_figure(fresh: pd.DataFrame, targets: pd.DataFrame) -> Figure:
    """A panel a targeted metric: its monthly mean over the fresh seeds with a 95% band,
    and each target as a bar over its window with its sd (fit filled, hold-out open)."""
    metrics = list(dict.fromkeys(targets["metric"]))
    cols = min(len(metrics), 2)
    rows = -(-len(metrics) // cols)
    fig = Figure(figsize=(6.0 * cols, 3.4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    months = fresh.groupby("date", sort=True)
    for ax, metric in zip(axes, metrics, strict=False):
        stats = months[metric].agg(["mean", "std", "count"])
        half = t_quantile(0.975, stats["count"] - 1) * stats["std"] / np.sqrt(stats["count"])
        when = [_month(d) for d in stats.index]
        ax.plot(when, stats["mean"], color=GREY, lw=1.5, label="model, fresh seeds")
        ax.fill_between(when, stats["mean"] - half, stats["mean"] + half, color=GREY, alpha=0.25)
        for _, t in targets[targets["metric"] == metric].iterrows():
            first, last = window(str(t["window"]))
            start, end = _month(first), _month(last) + pd.offsets.MonthEnd(0)
            middle = start + (end - start) / 2
            colour = FIT if t["use"] == "fit" else HOLDOUT
            ax.hlines(t["value"], start, end, color=colour, lw=2)
            ax.errorbar(
                [middle],
                [t["value"]],
                yerr=[t["sd"]],
                fmt="o",
                color=colour,
                mfc=colour if t["use"] == "fit" else "white",
                capsize=4,
                label=f"{t['use']} target",
            )
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), fontsize=8)
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    fig.suptitle("targets (± sd) against the calibrated model at fresh seeds (95% band)")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _panels(plan: CalibratePlan) -> tuple[Figure, Any]:
    """A figure with a panel a parameter, three to a row."""
    n = len(plan.parameters)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = Figure(figsize=(4.6 * cols, 3.4 * rows))
    return fig, fig.subplots(rows, cols, squeeze=False).ravel()


def _interval(ax: Any, p: Any, row: pd.Series, ylabel: str, **labels: str) -> None:
    """A parameter's interval shaded (coloured when identified), its best value, its
    scale and its title."""
    colour = VENDOR if row["identified"] else GREY
    ax.axvspan(row["low"], row["high"], color=colour, alpha=0.12, label=labels.get("interval"))
    ax.axvline(row["best"], color=VENDOR, lw=1, label=labels.get("best"))
    if p.log:
        ax.set_xscale("log")
    word = "identified" if row["identified"] else "not identified"
    ax.set_title(f"{p.key.removeprefix('market.')}: {word}", fontsize=10)
    ax.set_xlabel(p.key)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def _finish(fig: Figure, axes: Any, n: int, title: str) -> Figure:
    if n:
        axes[0].legend(fontsize=8)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def profiles_figure(trials: pd.DataFrame, plan: CalibratePlan, params: pd.DataFrame) -> Figure:
    """A panel a parameter: every evaluation's loss against its value, the profile (the
    lowest loss in each bin), the minimum + 3.84 line and the interval it leaves."""
    fig, axes = _panels(plan)
    done = trials[trials["state"] == "COMPLETE"]
    floor = done["loss"].min()
    for ax, p, (_, row) in zip(axes, plan.parameters, params.iterrows(), strict=False):
        ax.scatter(done[p.key], done["loss"], s=10, color=GREY, alpha=0.6, label="evaluation")
        table = profile(trials, p).dropna()
        ax.hlines(table["loss"], table["low"], table["high"], color=VENDOR, lw=2.5, label="profile")
        ax.axhline(floor + PROFILE_RISE, color="black", ls="--", lw=1, label="minimum + 3.84")
        ax.set_yscale("symlog", linthresh=1.0)
        _interval(ax, p, row, "loss")
    title = "loss profiles: shaded, the values within 3.84 of the minimum"
    return _finish(fig, axes, len(plan.parameters), title)


def posteriors_figure(particles: pd.DataFrame, plan: CalibratePlan, params: pd.DataFrame) -> Figure:
    """A panel a parameter: the final generation's weighted histogram over the
    parameter's range (the prior), each earlier generation's as a faint line, the
    posterior median and its 90% interval shaded."""
    fig, axes = _panels(plan)
    last = int(particles["generation"].max())
    for ax, p, (_, row) in zip(axes, plan.parameters, params.iterrows(), strict=False):
        edges = np.array([p.unscale(i / 20) for i in range(21)])
        for generation, these in particles.groupby("generation"):
            final = generation == last
            ax.hist(
                these[p.key],
                bins=edges,
                weights=these["weight"],
                density=True,
                histtype="stepfilled" if final else "step",
                color=VENDOR if final else GREY,
                alpha=0.55 if final else 0.35,
                label=f"generation {generation}" if final else None,
            )
        ax.set_xlim(p.lo, p.hi)
        _interval(ax, p, row, "posterior density", interval="90% interval", best="median")
    title = "marginal posteriors over the prior ranges: earlier generations as lines"
    return _finish(fig, axes, len(plan.parameters), title)


def write_calibrate_report(plan: CalibratePlan, outcome: CalibrateOutcome) -> None:
    """figures/targets.png, figures/profiles.png (optuna) or figures/posteriors.png (abc),
    report.md and report.html."""
    out, summary = outcome.out_dir, outcome.summary
    best = summary.get("best")
    judged = summary["status"] == "ok" and len(outcome.targets)
    abc = summary["method"] == "abc"
    shape = "posteriors" if abc else "profiles"
    if judged:
        save_figure(targets_figure(outcome.fresh, outcome.targets), out / "figures/targets.png")
        drawn = (
            posteriors_figure(outcome.trials, plan, outcome.parameters)
            if abc
            else profiles_figure(outcome.trials, plan, outcome.parameters)
        )
        save_figure(drawn, out / f"figures/{shape}.png")
    goal = (
        f"the sum over fitted targets of ((simulated - value) / sd)^2, each target the mean "
        f"over seeds {plan.seeds[0]}-{plan.seeds[-1]}"
    )
    tables = _tables(outcome) if judged else {}
    if abc:
        method = (
            f"Method: abc (ABC-SMC, pyabc), {summary['sampler'].split(', ', 1)[1]}, with the "
            f"distance {goal}. Budget {summary['budget']} simulations: "
            f"{summary['evaluations']} run, {summary['population']} particles a generation."
        )
        intervals = (
            "Each interval is the posterior's 90% interval (its weighted 5% and 95% "
            "quantiles) and best its median, in the last generation. A parameter is "
            f"identified when its interval is narrower than {IDENTIFIED:g} of its range."
        )
    else:
        method = (
            f"Method: {summary['method']} (Optuna TPE) minimising {goal}. Budget "
            f"{summary['budget']} evaluations: {summary['evaluations']} done, "
            f"{summary['evaluations_failed']} failed."
        )
        intervals = (
            f"Each interval is the profile's: the values whose best loss is within "
            f"{PROFILE_RISE} of the minimum. A parameter is identified when its interval is "
            f"narrower than {IDENTIFIED:g} of its range."
        )
    lines = [f"# Calibration: {summary['experiment']}", "", method, ""]
    if judged:
        lines += [
            f"## Best: {best_text(plan, best)}",
            "",
            intervals,
            "",
            markdown_table(*tables["parameters"]),
            "",
            _edges(plan, outcome.parameters),
            "",
            f"As a market preset: `{summary['market']}`; run it with "
            f"`channelsim run --config-dir {out} market=calibrated`.",
            "",
            f"## Targets at {len(summary['fresh_seeds'])} fresh seeds",
            "",
            markdown_table(*tables["targets"]),
            "",
            _verdict(outcome.targets),
            "",
            "![targets](figures/targets.png)",
            "",
            f"![{shape}](figures/{shape}.png)",
            "",
        ]
        if abc and outcome.populations is not None:
            lines += ["## Generations", "", markdown_table(*_generations(outcome)), ""]
    if summary.get("error"):
        lines += [f"**The calibration did not finish:** {summary['error']}", ""]
    write_markdown_report(out, "channelsim calibrate", "\n".join(lines))


def _tables(outcome: CalibrateOutcome) -> dict[str, tuple[list[str], list[list[str]]]]:
    params = [
        [
            r["key"],
            _num(r["lo"]),
            _num(r["hi"]),
            _num(r["best"]),
            _num(r["low"]),
            _num(r["high"]),
            "yes" if r["identified"] else "no",
        ]
        for _, r in outcome.parameters.iterrows()
    ]
    targets = [
        [
            r["metric"],
            r["window"],
            r["use"],
            _num(r["value"]),
            _num(r["sd"]),
            _num(r["mean"]),
            f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]",
            _num(r["z"], "+.2f"),
        ]
        for _, r in outcome.targets.iterrows()
    ]
    return {
        "parameters": (["parameter", "lo", "hi", "best", "low", "high", "identified"], params),
        "targets": (["metric", "window", "use", "value", "sd", "mean", "95% CI", "z"], targets),
    }


def _generations(outcome: CalibrateOutcome) -> tuple[list[str], list[list[str]]]:
    rows = [
        [str(int(r["generation"])), str(int(r["simulations"])), _num(r["epsilon"])]
        for _, r in outcome.populations.iterrows()
    ]
    return ["generation", "simulations", "threshold (distance)"], rows


def _edges(plan: CalibratePlan, params: pd.DataFrame) -> str:
    """Parameters whose best value lies in the first or last tenth of their range: there
    the range binds, not the data, and an interval cut off by it says little."""
    bound = [
        p.key
        for p, (_, row) in zip(plan.parameters, params.iterrows(), strict=True)
        if min(p.scale(row["best"]), 1 - p.scale(row["best"])) < 1 / PROFILE_BINS
    ]
    if not bound:
        return ""
    return (
        "At the edge of its range (the range binds, not the data; widen it to learn more): "
        + ", ".join(bound)
        + "."
    )


def _verdict(targets: pd.DataFrame) -> str:
    """Where the model misses: every target more than 2 sd off, fitted or held out."""
    missed = targets[targets["z"].abs() > 2]
    if missed.empty:
        return "Every target, fitted and held out, is within 2 sd."
    shown = "; ".join(
        f"{r['metric']} {r['window']} ({r['use']}): {r['mean']:.3g} against {r['value']:.3g}, "
        f"z = {r['z']:+.1f}"
        for _, r in missed.iterrows()
    )
    return f"The model misses (|z| > 2): {shown}."


def describe(summary: dict[str, Any]) -> list[str]:
    """The command's closing lines: each parameter and each held-out target."""
    lines = []
    for p in summary.get("parameters", []):
        word = "identified" if p["identified"] else "not identified"
        lines.append(f"  {p['key']}={_num(p['best'])} [{_num(p['low'])}, {_num(p['high'])}] {word}")
    for t in summary.get("targets", []):
        lines.append(
            f"  {t['use']:<7} {t['metric']} {t['window']}: {_num(t['mean'])} against "
            f"{_num(t['value'])} ± {_num(t['sd'])} (z {t['z']:+.2f})"
        )
    return lines
