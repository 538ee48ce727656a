"""Confidence intervals and time windows over tidy tables of runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from channelsim.domain import window


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% confidence interval (Student t over independent runs)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0

    def text(self, spec: str = ".3f") -> str:
        """``0.512 [0.498, 0.526]``"""
        if np.isnan(self.mean):
            return "n/a"
        return f"{self.mean:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"


def mean_ci(
    values: np.ndarray | pd.Series, level: float = 0.95, floor: float | None = None
) -> Estimate:
    """Mean and t-interval of independent values (NaN skipped); with `floor`, the interval
    is bounded below by it (a quantity that cannot be negative: floor 0)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    mean = float(v.mean())
    if n == 1:
        return Estimate(mean, float("nan"), float("nan"), 1)
    half = float(t_quantile(0.5 + level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    low = mean - half if floor is None else max(mean - half, floor)
    return Estimate(mean, low, mean + half, n)


def t_quantile(q: float, df: np.ndarray | pd.Series | float) -> np.ndarray | float:
    """Student t's quantile `q` at `df` degrees of freedom. SciPy's statistics load on
    first use: they take about a second, which every run's process would otherwise pay."""
    from scipy import stats

    return stats.t.ppf(q, df)


def per_run(
    runs: pd.DataFrame, metric: str, label: str, keys: list[str], how: str = "mean"
) -> pd.Series:
    """One value per run: the metric over a window (mean of the months, or their sum)."""
    first, last = window(label)
    inside = runs[(runs["date"] >= first) & (runs["date"] <= last)]
    grouped = inside.groupby(keys, sort=False)[metric]
    return grouped.sum(min_count=1) if how == "sum" else grouped.mean()


def yearly(runs: pd.DataFrame, metrics: list[str], keys: list[str] | None = None) -> pd.DataFrame:
    """Each metric's mean over each calendar year of each run, then over the runs with its
    95% interval: one row a year and metric (`year`, `metric`, `mean`, `low`, `high`, `n`).

    Args:
        runs: one row a month of a run, with its `date` (YYYY-MM) and `keys`.
        metrics: the columns to summarise.
        keys: what tells one run from another (default: `seed`).
    """
    keys = keys or ["seed"]
    year = runs["date"].str[:4].rename("year")
    per_run = runs.groupby([*(runs[k] for k in keys), year], sort=True)[metrics].mean()
    rows = []
    for y, frame in per_run.groupby(level="year", sort=True):
        for metric in metrics:
            e = mean_ci(frame[metric])
            rows.append(
                {
                    "year": y,
                    "metric": metric,
                    "mean": e.mean,
                    "low": e.low,
                    "high": e.high,
                    "n": e.n,
                }
            )
    return pd.DataFrame(rows)
