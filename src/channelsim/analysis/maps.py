"""Strategy maps: in each cell of a grid of two market keys, which of several strategies
wins on a KPI, by how much, and whether the lead is clear (a paired 95% interval over
the seeds that excludes 0)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from channelsim.analysis.report import markdown_table, save_figure, write_markdown_report
from channelsim.analysis.stats import mean_ci
from channelsim.experiment.io import atomic_write_json, atomic_write_text

NO_WINNER = "no clear winner"
COLUMNS = [
    "x",
    "y",
    "strategy",
    "mean",
    "ci_low",
    "ci_high",
    "winner",
    "margin",
    "margin_low",
    "margin_high",
]
# a strategy's colour on the map, in the order the map lists its strategies
PALETTE = ("#c8102e", "#0076ce", "#1b9e77", "#d95f02", "#7570b3", "#e6ab02")


def cell_table(values: pd.DataFrame) -> pd.DataFrame:
    """One row a cell and strategy: the strategy's mean KPI over the seeds with its 95%
    interval, and the cell's winner with its margin.

    Args:
        values: one row a run, with `x`, `y`, `strategy`, `seed` and `value` (the KPI
            over the map's window). Each strategy of a cell runs at the same seeds, so
            the margin is a paired difference.

    The winner is the strategy with the highest mean; its margin is the mean over the
    seeds of its lead over the runner-up at each seed, with a Student t interval. A cell
    whose margin interval includes 0 (or that has one seed, or one strategy) has
    `winner` "no clear winner"; its margin is still given. A cell of one strategy has no
    margin (NaN).
    """
    rows = []
    for (x, y), cell in values.groupby(["x", "y"], sort=True):
        by_seed = cell.pivot_table(index="seed", columns="strategy", values="value")
        by_seed = by_seed.dropna()  # the seeds every strategy of the cell finished
        means = by_seed.mean().sort_values(ascending=False)
        estimates = {s: mean_ci(by_seed[s]) for s in by_seed.columns}
        if len(means) >= 2:
            best, second = means.index[:2]
            margin = mean_ci(by_seed[best] - by_seed[second])
            clear = margin.n >= 2 and margin.low > 0
            winner = best if clear else NO_WINNER
        else:
            margin, winner = mean_ci([]), NO_WINNER
        lead = {"margin": margin.mean, "margin_low": margin.low, "margin_high": margin.high}
        for strategy in sorted(set(cell["strategy"])):
            e = estimates.get(strategy, mean_ci([]))
            own = {"mean": e.mean, "ci_low": e.low, "ci_high": e.high}
            rows.append({"x": x, "y": y, "strategy": strategy, **own, "winner": winner, **lead})
    return pd.DataFrame(rows, columns=COLUMNS)


def winners(table: pd.DataFrame) -> pd.DataFrame:
    """The cells alone: x, y, winner and margin (one row a cell)."""
    cells = table.drop_duplicates(["x", "y"])
    return cells[["x", "y", "winner", "margin", "margin_low", "margin_high"]].reset_index(drop=True)


def map_figure(
    table: pd.DataFrame,
    strategies: list[str],
    x_label: str,
    y_label: str,
    kpi: str,
    source: tuple[float, float] | None = None,
) -> Figure:
    """The map: each cell coloured by its winner (grey where none is clear), its shade
    the strength of the lead (the margin's lower bound over the winner's mean, capped at
    1), and the source market's position marked."""
    cells = winners(table)
    xs, ys = sorted(cells["x"].unique()), sorted(cells["y"].unique())
    colours = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(strategies)}
    means = table.set_index(["x", "y", "strategy"])["mean"]
    image = np.ones((len(ys), len(xs), 4))
    for row in cells.itertuples():
        i, j = ys.index(row.y), xs.index(row.x)
        if row.winner == NO_WINNER:
            image[i, j] = to_rgba("0.8")
            continue
        scale = abs(means[row.x, row.y, row.winner]) or 1.0
        strength = min(1.0, max(row.margin_low, 0.0) / scale)
        image[i, j] = to_rgba(colours[row.winner], 0.35 + 0.65 * strength)
    fig = Figure(figsize=(7, 5.5))
    ax = fig.subplots()
    ax.imshow(image, origin="lower", aspect="auto", extent=_extent(xs, ys))
    if source is not None:
        ax.plot(*source, marker="*", ms=16, color="black", mec="white", label="source market")
    handles = [Patch(color=colours[s], label=s) for s in strategies]
    handles.append(Patch(color="0.8", label=NO_WINNER))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(f"which strategy wins on {kpi} (darker: a clearer lead)")
    fig.tight_layout()
    return fig


def _extent(xs: list[float], ys: list[float]) -> tuple[float, float, float, float]:
    """The image's edges: each cell centred on its value (a single value spans ±0.5)."""

    def edges(values: list[float]) -> tuple[float, float]:
        step = (values[-1] - values[0]) / (len(values) - 1) if len(values) > 1 else 1.0
        return values[0] - step / 2, values[-1] + step / 2

    return (*edges(xs), *edges(ys))


def map_table(values: pd.DataFrame) -> pd.DataFrame:
    """`cell_table` of a map's runs, or an empty table of its columns when none finished."""
    return cell_table(values) if len(values) else pd.DataFrame(columns=COLUMNS)


def write_map_report(out_dir: Path, table: pd.DataFrame, summary: dict[str, Any]) -> None:
    """map.csv, map.png, report.md, report.html and summary.json, each written whole."""
    spec = summary["map"]
    atomic_write_text(out_dir / "map.csv", table.to_csv(index=False))
    body = [
        f"A map of `{spec['x']}` (x) and `{spec['y']}` (y): in each cell the strategies "
        f"{', '.join(spec['strategies'])} of the focal vendor at {spec['seeds']} paired "
        f"seeds, compared on `{spec['kpi']}` over {spec['window']}. The source market sits "
        f"at x {summary['source'][0]:g}, y {summary['source'][1]:g}."
    ]
    labels = [spec["x"], spec["y"]]
    path = spec.get("path")
    if path:
        ends = f"0: {path['from']}, 1: {path['to']}"
        labels = [f"{a} ({ends})" if a.startswith("path.") else a for a in labels]
        body.append(
            f"On an axis named path.GROUP each key of the group moves the same fraction of "
            f"the way between two markets ({ends}): "
            + "; ".join(f"{k} {a:g} to {b:g}" for k, (a, b) in path["keys"].items())
            + "."
        )
    if len(table):
        fig = map_figure(table, spec["strategies"], *labels, spec["kpi"], tuple(summary["source"]))
        save_figure(fig, out_dir / "map.png")
        cells = winners(table)
        counts = cells["winner"].value_counts()
        body.append("Cells won: " + ", ".join(f"{name} {n}" for name, n in counts.items()) + ".")
        head = ["x", "y", "winner", "margin [95% CI]"]
        rows = [
            [
                f"{r.x:g}",
                f"{r.y:g}",
                r.winner,
                f"{r.margin:.4g} [{r.margin_low:.4g}, {r.margin_high:.4g}]",
            ]
            for r in cells.itertuples()
        ]
    else:
        head, rows = ["x", "y", "winner", "margin [95% CI]"], []
        body.append("No job finished: there is no map.")
    if summary.get("failed_jobs"):
        body.append(
            f"Failed jobs, their cells compared without them: {', '.join(summary['failed_jobs'])}."
        )
    figure = ["![the map](map.png)"] if len(table) else []
    parts = ["# Strategy map", *body, *figure, markdown_table(head, rows)]
    write_markdown_report(out_dir, "Strategy map", "\n\n".join(parts))
    atomic_write_json(out_dir / "summary.json", summary)


def read_map_folder(folder: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A strategy map as `channelsim map` wrote it into `folder`: one row a cell (x, y,
    winner, margin and its interval) and the summary, whose map.cells give each cell's
    market as overrides.

    Raises:
        ValueError: the folder holds no map, or one whose summary records no cells.
    """
    try:
        table = pd.read_csv(folder / "map.csv")
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"no strategy map there (map.csv and summary.json, as channelsim map writes them): "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    spec = summary.get("map") or {}
    if "cells" not in spec:
        raise ValueError("its summary.json records no cells: run the map again (channelsim map)")
    cells = table.drop_duplicates(["x", "y"])[
        ["x", "y", "winner", "margin", "margin_low", "margin_high"]
    ]
    return cells.reset_index(drop=True), summary
