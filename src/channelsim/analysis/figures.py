"""Figures of one run: shares by segment, profits, conflict and satisfaction."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from channelsim.analysis.report import save_figure

SEGMENTS = (
    ("key", "Key accounts"),
    ("global", "Global accounts"),
    ("mid", "Mid-market"),
    ("txn", "Transactional"),
)
VENDOR, DIRECT = "#c8102e", "#0076ce"
SMOOTH = 3  # months in the rolling mean drawn over the monthly shares


def _mark_changes(ax: plt.Axes, metrics: pd.DataFrame, changes: list[tuple[str, str]]) -> None:
    dates = list(metrics["date"])
    for date, label in changes:
        if date in dates and dates.index(date) > 0:
            x = dates.index(date)
            ax.axvline(x, color="grey", lw=0.8, ls="--")
            low, high = ax.get_ylim()
            ax.text(
                x,
                low + 0.02 * (high - low),
                f" {label}",
                fontsize=7,
                va="bottom",
                color="grey",
                rotation=90,
            )


def _date_axis(ax: plt.Axes, metrics: pd.DataFrame) -> None:
    dates = list(metrics["date"])
    ticks = [i for i, d in enumerate(dates) if d.endswith("-01")] or [0]
    ax.set_xticks(ticks, [dates[i][:4] for i in ticks])


def _lines(
    metrics: pd.DataFrame,
    path: Path,
    changes: list[tuple[str, str]],
    title: str,
    series: list[tuple[str, str, str]],
    ylabel: str = "",
    ylim: tuple[float, float] | None = None,
    zero_line: bool = False,
) -> None:
    """One panel of metrics over time: (column, label, colour) per line."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for col, label, color in series:
        ax.plot(range(len(metrics)), metrics[col], label=label, color=color)
    if zero_line:
        ax.axhline(0, color="black", lw=0.5)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _date_axis(ax, metrics)
    _mark_changes(ax, metrics, changes)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def run_figures(
    metrics: pd.DataFrame, folder: Path, changes: list[tuple[str, str]] | None = None
) -> list[Path]:
    """Write the run's figures; return their paths."""
    folder = Path(folder)
    changes = changes or []
    x = range(len(metrics))
    paths = []

    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    for ax, (seg, title) in zip(axes.ravel(), SEGMENTS, strict=True):
        for who, color, label in (
            ("vendor", VENDOR, "vendor"),
            ("direct", DIRECT, "direct seller"),
        ):
            series = metrics[f"share_{who}_{seg}"]
            ax.plot(x, series, color=color, lw=0.6, alpha=0.35)
            smooth = series.rolling(SMOOTH, min_periods=1).mean()
            ax.plot(x, smooth, color=color, label=f"{label} ({SMOOTH}-month mean)")
        ax.set_ylim(0, 1)
        ax.set_title(title)
        _date_axis(ax, metrics)
        _mark_changes(ax, metrics, changes)
    axes[0, 0].legend(loc="lower left", fontsize=8)
    fig.suptitle("Share of units bought, by segment")
    paths.append(folder / "shares.png")
    save_figure(fig, paths[-1])

    paths.append(folder / "profits.png")
    _lines(
        metrics,
        paths[-1],
        changes,
        "Profits",
        [
            ("profit_vendor", "vendor", VENDOR),
            ("profit_direct", "direct seller", DIRECT),
            ("profit_resellers", "resellers (all)", "#555555"),
        ],
        ylabel="profit a month (list-price units)",
        zero_line=True,
    )
    paths.append(folder / "conflict_satisfaction.png")
    _lines(
        metrics,
        paths[-1],
        changes,
        "Channel conflict and partner satisfaction",
        [
            ("conflict_index", "conflict index", "#b35900"),
            ("partner_satisfaction", "partner satisfaction", "#2e7d32"),
        ],
        ylim=(0, 1),
    )
    return paths
