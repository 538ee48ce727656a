"""Worked answers read from a tidy table of runs: each group's mean with its 95% interval,
paired differences between groups, claims checked against those intervals, and metrics
drawn over the calendar with the case's events marked.

A table is either one row a month of a run (with `date`, as `channelsim.run_seeds` and
`channelsim.run_variants` give) or one row a run (as `channelsim.sweep` gives). Runs are
told apart by their group column and their `seed`.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from channelsim.analysis.figures import change_text
from channelsim.analysis.stats import mean_ci
from channelsim.domain import window as window_months
from channelsim.experiment.case_study import scenario_changes
from channelsim.labels import kpi_label

# a claim's sign, and what its difference's 95% interval must do for it to hold
SIGNS = {"+": "above 0", "-": "below 0", "0": "includes 0"}
CLAIM_COLUMNS = ["metric", "compare", "sign", "mean", "low", "high", "n", "holds"]
CLAIMS_PREFIX = "claims: "  # the printed line a notebook's stored output is checked by


def _names(metrics: str | Sequence[str]) -> list[str]:
    return [metrics] if isinstance(metrics, str) else list(metrics)


def _one_each(runs: pd.DataFrame, keys: list[str], what: str) -> None:
    """A ValueError if two rows share `keys`: two runs of a group at one seed would be
    averaged together without a word."""
    if keys and runs.duplicated(keys).any():
        raise ValueError(
            f"more than one {what} for one {' and '.join(keys)}: filter the table, "
            "or group it by a column that tells the runs apart"
        )


def run_values(
    runs: pd.DataFrame,
    metrics: str | Sequence[str],
    by: str | None = None,
    window: str | None = None,
    how: str = "mean",
) -> pd.DataFrame:
    """One row a run: its group (`by`), its `seed` and each metric over `window`.

    Args:
        runs: one row a month of a run (with `date`) or one row a run.
        by: the column that names a run's group; None: every run is of one group.
        window: months to read, e.g. ``2005-H2``, ``2006``, ``2004-Q1`` or
            ``2005-01..2006-12``; None: all of them. Only for tables with `date`.
        how: ``mean`` or ``sum`` of the months.

    Raises:
        ValueError: an unknown column, a window on a table without `date`, a window no
            month falls in, or two runs of a group at one seed.
    """
    metrics = _names(metrics)
    keys = [k for k in (by, "seed") if k is not None and (k != "seed" or "seed" in runs)]
    missing = [c for c in [*keys, *metrics] if c not in runs.columns]
    if missing:
        raise ValueError(f"no column {', '.join(map(repr, missing))} in the table")
    if how not in ("mean", "sum"):
        raise ValueError(f"how={how!r}: expected 'mean' or 'sum'")
    if "date" not in runs.columns:
        if window is not None:
            raise ValueError(f"window={window!r}: the table has no `date` (one row a run)")
        _one_each(runs, keys, "run")
        return runs[[*keys, *metrics]].reset_index(drop=True)
    _one_each(runs, [*keys, "date"], "month")
    inside = runs
    if window is not None:
        first, last = window_months(window)
        inside = runs[(runs["date"] >= first) & (runs["date"] <= last)]
        if inside.empty:
            raise ValueError(f"window={window!r}: no month of the runs falls in it")
    if not keys:  # one run
        values = inside[metrics].sum(min_count=1) if how == "sum" else inside[metrics].mean()
        return values.to_frame().T.reset_index(drop=True)
    grouped = inside.groupby(keys, sort=False)[metrics]
    return (grouped.sum(min_count=1) if how == "sum" else grouped.mean()).reset_index()


def estimates(
    runs: pd.DataFrame,
    metrics: str | Sequence[str],
    by: str | None = "variant",
    window: str | None = None,
    how: str = "mean",
) -> pd.DataFrame:
    """Each group's mean of each metric over its runs, with a 95% interval.

    Args:
        runs: one row a month of a run (with `date`) or one row a run, e.g. the tables
            of `channelsim.run_variants` and `channelsim.sweep`.
        metrics: a column, or several.
        by: the column that names a run's group (``variant``, ``scenario``, ``strategy``);
            None: all the runs are one group.
        window: the months a run's value is read over (e.g. ``2005-H2``); None: all.
        how: ``mean`` or ``sum`` of the window's months.

    Returns:
        One row a group and metric: the group (column `by`), ``metric``, ``mean``,
        ``low`` and ``high`` (a Student t 95% interval over the runs) and ``n``.

    Raises:
        ValueError: as `run_values`.
    """
    metrics = _names(metrics)
    values = run_values(runs, metrics, by, window, how)
    groups = values.groupby(by, sort=False) if by is not None else [(None, values)]
    rows = []
    for group, frame in groups:
        for metric in metrics:
            e = mean_ci(frame[metric])
            row = {"metric": metric, "mean": e.mean, "low": e.low, "high": e.high, "n": e.n}
            rows.append({by: group, **row} if by is not None else row)
    head = [by] if by is not None else []
    return pd.DataFrame(rows, columns=[*head, "metric", "mean", "low", "high", "n"])


def differences(
    runs: pd.DataFrame,
    metrics: str | Sequence[str],
    pairs: Sequence[tuple[Any, Any]],
    by: str = "variant",
    window: str | None = None,
    how: str = "mean",
) -> pd.DataFrame:
    """Paired differences between groups: for each pair (a, b) and metric, a's value
    less b's at each seed, then their mean with a 95% interval.

    Runs of two groups at one seed share their random draws wherever their configs
    agree, so the paired difference is far sharper than two groups' intervals compared
    by eye. Seeds that only one of the groups has are left out.

    Args:
        runs: as `estimates`, with a `seed` column.
        pairs: (a, b) values of column `by`, e.g. ``[("history", "stay_traditional")]``.
        by: the column that names a run's group.
        window, how: as `estimates`.

    Returns:
        One row a pair and metric: ``metric``, ``compare`` (``"a - b"``, with
        ``" in WINDOW"`` when a window is given), ``mean``, ``low``, ``high`` and ``n``
        (the seeds paired): the table `check_claims` reads.

    Raises:
        ValueError: a group no run has, a table without `seed`, or as `run_values`.
    """
    metrics = _names(metrics)
    if "seed" not in runs.columns:
        raise ValueError("differences pair runs by their `seed`: the table has no `seed`")
    values = run_values(runs, metrics, by, window, how).set_index([by, "seed"])
    known = list(dict.fromkeys(values.index.get_level_values(by)))
    rows = []
    for a, b in pairs:
        for group in (a, b):
            if group not in known:
                raise ValueError(f"{by}={group!r}: no such group; the runs have {known}")
        compare = f"{a} - {b}" + (f" in {window}" if window is not None else "")
        for metric in metrics:
            gap = values.loc[a, metric] - values.loc[b, metric]  # aligned by seed
            e = mean_ci(gap.dropna())
            rows.append(
                {
                    "metric": metric,
                    "compare": compare,
                    "mean": e.mean,
                    "low": e.low,
                    "high": e.high,
                    "n": e.n,
                }
            )
    return pd.DataFrame(rows, columns=["metric", "compare", "mean", "low", "high", "n"])


def claim_holds(sign: str, low: float, high: float) -> bool:
    """Whether a claim of `sign` holds on a difference's interval [low, high]: ``+``
    above 0, ``-`` below 0, ``0`` including 0. No interval (NaN) holds nothing."""
    if sign not in SIGNS:
        raise ValueError(f"sign={sign!r}: expected one of {', '.join(SIGNS)}")
    if math.isnan(low) or math.isnan(high):
        return False
    return {"+": low > 0, "-": high < 0, "0": low <= 0 <= high}[sign]


def check_claims(
    claims: Sequence[dict[str, str]], table: pd.DataFrame, *, echo: bool = True
) -> pd.DataFrame:
    """Check each claim against the 95% interval of its difference.

    Args:
        claims: one dict a claim: ``metric``, ``compare`` (as in the table) and ``sign``:
            ``+`` (the interval is above 0), ``-`` (below 0) or ``0`` (it includes 0).
        table: the differences, with ``metric``, ``compare``, ``mean``, ``low`` and
            ``high`` (and ``n``), as `differences` gives them.
        echo: also print the result as one line, ``claims: `` and a JSON list of its
            rows, which a notebook's stored output keeps for the tests to read.

    Returns:
        One row a claim: ``metric``, ``compare``, ``sign``, ``mean``, ``low``, ``high``,
        ``n`` and ``holds``. A claim whose (metric, compare) the table lacks has no
        numbers and does not hold.

    Raises:
        ValueError: a claim without one of its three keys, an unknown sign, a table
            without the columns above, or a (metric, compare) the table has twice.
    """
    needed = {"metric", "compare", "mean", "low", "high"}
    if not needed <= set(table.columns):
        raise ValueError(f"table: expected the columns {sorted(needed)}")
    if table.duplicated(["metric", "compare"]).any():
        raise ValueError("table: a (metric, compare) appears twice")
    found = table.set_index(["metric", "compare"])
    rows = []
    for claim in claims:
        absent = {"metric", "compare", "sign"} - set(claim)
        if absent:
            raise ValueError(f"claim {claim!r}: no {', '.join(sorted(absent))}")
        key = (claim["metric"], claim["compare"])
        row = found.loc[key] if key in found.index else {}
        mean, low, high = (float(row.get(k, math.nan)) for k in ("mean", "low", "high"))
        n = row.get("n", math.nan)
        rows.append(
            {
                "metric": claim["metric"],
                "compare": claim["compare"],
                "sign": claim["sign"],
                "mean": mean,
                "low": low,
                "high": high,
                "n": None if pd.isna(n) else int(n),
                "holds": claim_holds(claim["sign"], low, high),
            }
        )
    if echo:
        print(CLAIMS_PREFIX + json.dumps([_plain(row) for row in rows], ensure_ascii=False))
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A claim's row for JSON: NaN as null."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}


def _months(dates: pd.Index) -> pd.DatetimeIndex:
    return pd.to_datetime(pd.Index(dates), format="%Y-%m")


def plot_over_time(
    runs: pd.DataFrame,
    metrics: str | Sequence[str],
    by: str | None = None,
    *,
    ax: Axes | None = None,
    smooth: int = 1,
    events: bool | Sequence[tuple[str, str]] = True,
    labels: dict[str, str] | None = None,
) -> Axes:
    """Metrics month by month against the calendar: each line the mean over the seeds
    with its 95% band, the case's events marked by date.

    Args:
        runs: one row a month of a run, with `date` (``YYYY-MM``) and, for several
            runs, `seed`.
        metrics: a column, or several.
        by: a column whose groups get a line each (e.g. ``scenario``); None: one group.
        ax: the axes to draw on; None: a new figure's.
        smooth: months in a rolling mean drawn in place of the monthly values.
        events: True: the case's, as scenario `history` dates them
            (`scenario_events`: 2004-01 the relationship channel, 2004-08 the direct
            seller leaves the low end, 2005-05 the vendor buys 40% of the global brands,
            2006-01 the dual model); False: none; or a list of (``YYYY-MM``, label), such
            as another scenario's `scenario_events`. Each inside the runs' months is a
            dashed line.
        labels: a line's name in the legend, by group or metric (default: the group,
            the metric's name as the reports give it).

    Returns:
        The axes drawn on.

    Raises:
        ValueError: an unknown column, a table without `date`, or two runs of a group at
            one seed.
    """
    metrics, labels = _names(metrics), labels or {}
    missing = [c for c in ["date", *metrics, *([by] if by else [])] if c not in runs.columns]
    if missing:
        raise ValueError(f"no column {', '.join(map(repr, missing))} in the table")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.5))
    keys = [k for k in (by, "seed", "date") if k is not None and k in runs.columns]
    _one_each(runs, keys, "month")
    groups = runs.groupby(by, sort=False) if by is not None else [(None, runs)]
    for group, frame in groups:
        for metric in metrics:
            if "seed" in frame:
                wide = frame.pivot(index="date", columns="seed", values=metric)
            else:
                wide = frame.set_index("date")[[metric]]
            wide = wide.sort_index().rolling(smooth, min_periods=1).mean()
            x = _months(wide.index)
            est = [mean_ci(row) for row in wide.to_numpy(dtype=float)]  # a month a row
            mean = np.array([e.mean for e in est])
            name = labels.get(metric, kpi_label(metric))
            if group is not None:
                name = labels.get(group, str(group)) + (f": {name}" if len(metrics) > 1 else "")
            (line,) = ax.plot(x, mean, label=name)
            if wide.shape[1] > 1:
                band = {"color": line.get_color(), "alpha": 0.2, "lw": 0}
                ax.fill_between(x, [e.low for e in est], [e.high for e in est], **band)
    _mark_events(ax, runs["date"], scenario_events() if events is True else (events or ()))
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(4, 7, 10)))
    if len(metrics) == 1:
        ax.set_ylabel(labels.get(metrics[0], kpi_label(metrics[0])))
    if len(ax.get_lines()) > 1:
        ax.legend(fontsize=8)
    return ax


def scenario_events(
    scenario: str = "history",
    market: str | None = None,
    lang: str = "en",
    config_dir: str | None = None,
) -> list[tuple[str, str]]:
    """A scenario's dated changes after its first month, in words: its policy switches,
    market events and acquisitions, as `plot_over_time` marks them (its `events`).

    Args:
        scenario: a scenario preset's name (``history``, ``copy_direct``, ``us_history``
            ...).
        market: the market preset it runs in (``us_pc_1996`` for ``us_history``); None:
            the default market.
        lang: ``en``, or ``zh`` for the case's Chinese terms.
        config_dir: a folder of your own presets.

    Returns:
        (``YYYY-MM``, words) by date, e.g. ``("2004-08", "direct seller leaves the low
        end")``.

    Raises:
        ConfigError: an unknown scenario or market (one line).
    """
    return list(_events(scenario, market, lang, config_dir))


@functools.cache
def _events(
    scenario: str, market: str | None, lang: str, config_dir: str | None
) -> tuple[tuple[str, str], ...]:
    overrides = [f"market={market}"] if market else []
    changes = scenario_changes(overrides, config_dir, [scenario])[scenario]
    return tuple((date, change_text(label, lang)) for date, label in changes)


def _mark_events(ax: Axes, dates: pd.Series, events: Sequence[tuple[str, str]]) -> None:
    """A dashed line at each event's month inside the runs' months, labelled at the top."""
    first, last = dates.min(), dates.max()
    for date, label in events:
        if first < date <= last:
            x = _months([date])[0]
            ax.axvline(x, color="grey", lw=0.8, ls="--")
            ax.annotate(
                f" {label}",
                (x, 1),
                xycoords=("data", "axes fraction"),
                fontsize=7,
                color="grey",
                rotation=90,
                va="top",
            )
