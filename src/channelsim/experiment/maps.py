"""`channelsim map`: two market keys over a grid, several strategies of the focal vendor in
each cell at paired seeds, and in each cell the strategy that wins on a KPI.

A map's runs are a sweep's jobs (`experiment/sweep.py`): validated first, run on the
local cores or a Hydra launcher, one folder a job, resumable, a failed job on its own.
Its runs' KPI values are read from the job folders; `analysis/maps.py` makes them the
map's table and picture."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from channelsim.config.compose import compose, group_options, one_line
from channelsim.config.schema import MapPath, MapSpec, get_path
from channelsim.config.validate import ConfigError, schema_rows
from channelsim.domain import window
from channelsim.experiment.studies import (
    check_section,
    experiment_of,
    override_key,
    split_overrides,
    study_config,
)
from channelsim.experiment.sweep import (
    PlannedJob,
    SweepOutcome,
    SweepPlan,
    execute,
    plan_sweep,
    with_jobs,
)
from channelsim.metrics import is_metric

DEFAULT_EXPERIMENT = "map_china"
SPACED = re.compile(r"^\s*(range|linspace)\((.*)\)\s*$")


@dataclass
class MapPlan:
    """A checked map: its settings, the grid, the sweep that runs it, the source market's
    position on the grid."""

    name: str
    spec: MapSpec
    x_values: list[float]
    y_values: list[float]
    sweep: SweepPlan
    source: tuple[float, float]
    moved: dict[str, tuple[float, float, bool]] = field(default_factory=dict)
    market: str = ""  # the map's own market: a path's end at 0

    @property
    def out_dir(self) -> Path:
        return self.sweep.sweep_dir


@dataclass
class MapOutcome:
    """The map's runs' KPI values (one row a finished run: x, y, strategy, seed, value),
    its summary and its sweep's outcome."""

    values: pd.DataFrame
    summary: dict[str, Any]
    sweep: SweepOutcome


def grid_values(key: str, given: Any) -> list[float]:
    """A grid axis: a list of numbers, or `range(a, b[, step])`, or `linspace(lo, hi, n)`."""
    if isinstance(given, str):
        found = SPACED.match(given)
        try:
            args = [float(a) for a in found.group(2).split(",")] if found else None
        except ValueError:
            args = None
        if not found or not args:
            raise ConfigError(
                f"{key}={given!r} is not allowed: a list of numbers, range(a, b, step) or "
                "linspace(lo, hi, n)"
            )
        if found.group(1) == "linspace":
            if len(args) != 3 or args[2] < 2 or args[2] != int(args[2]):
                raise ConfigError(f"{key}={given!r}: linspace(lo, hi, n) with n >= 2")
            values = np.linspace(args[0], args[1], int(args[2])).round(10).tolist()
        else:
            values = np.arange(*args).round(10).tolist()
        given = values
    if not isinstance(given, list) or not given:
        raise ConfigError(f"{key}={given!r} is not allowed: expected at least one value")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in given):
        raise ConfigError(f"{key}={given!r} is not allowed: expected numbers")
    return [float(v) for v in given]


PATH = "path."
SELLER_KEY = re.compile(r"^market\.sellers\.([a-z0-9_]+)\.(.+)$")
GRID_KEYS = ("map.x_values", "map.y_values")


@dataclass
class Axis:
    """One axis of a map: its values and the overrides that set the market at a value."""

    name: str
    values: list[float]
    keys: dict[str, tuple[float, float, bool]]  # key: (value at 0, value at 1, whole)
    source: float

    def overrides(self, value: float) -> list[str]:
        if not self.name.startswith(PATH):
            return [f"{self.name}={value:g}"]
        moved = []
        for key, (start, end, whole) in self.keys.items():
            at = start + value * (end - start)
            moved.append(f"{key}={round(at)}" if whole else f"{key}={round(at, 6)!r}")
        return moved


def _numeric_row(key: str, name: str) -> dict[str, Any]:
    template = re.sub(r"^market\.sellers\.[a-z0-9_]+\.", "market.sellers.NAME.", name)
    row = schema_rows().get(template) if name else None
    if row is None or row["type"] not in ("int", "float") or not name.startswith("market."):
        raise ConfigError(
            f"{key}={name!r} is not allowed: a numeric market key (channelsim levers "
            "--group=market lists them)"
        )
    return row


def _check_axis(key: str, name: str, values: list[float]) -> None:
    row = _numeric_row(key, name)
    for v in values:
        if not row["lo"] <= v <= row["hi"]:
            raise ConfigError(
                f"{key}={name}: {v:g} is outside its range [{row['lo']:g}, {row['hi']:g}]"
            )
    if row["type"] == "int" and any(v != int(v) for v in values):
        raise ConfigError(f"{key}={name}: an integer key takes whole values")


def _path_axis(
    key: str, name: str, values: list[float], spec: MapSpec, base: Any, config_dir: str | None
) -> Axis:
    """A group of keys moving together from the map's market (0) to `map.path.to` (1)."""
    path, group = spec.path, name[len(PATH) :]
    if group not in path.groups:
        known = ", ".join(f"path.{g}" for g in path.groups) or "none: set map.path.groups"
        raise ConfigError(f"{key}={name!r} is not a group of map.path.groups ({known})")
    if not path.to:
        raise ConfigError(f"{key}={name}: map.path.to names the market the path leads to")
    for v in values:
        if not 0 <= v <= 1:
            raise ConfigError(
                f"{key}={name}: {v:g} is outside [0, 1] (0: the map's market, 1: {path.to})"
            )
    markets = group_options("market", config_dir)
    if path.to not in markets:
        raise ConfigError(f"map.path.to={path.to!r} is not a market ({', '.join(markets)})")
    target = compose([f"market={path.to}"], config_dir)
    if not path.groups[group]:
        raise ConfigError(f"map.path.groups.{group}: list the keys the axis moves")
    keys = {}
    for name_ in path.groups[group]:
        row = _numeric_row(f"map.path.groups.{group}", name_)
        there, seller = name_, SELLER_KEY.match(name_)
        if seller:
            there = f"market.sellers.{path.sellers.get(seller[1], seller[1])}.{seller[2]}"
        ends = []
        for market, at in ((base, name_), (target, there)):
            try:
                ends.append(float(get_path(market, at)))
            except (AttributeError, KeyError):
                raise ConfigError(
                    f"map.path.groups.{group}: {at} is not in market "
                    f"{market.market.name} (map.path.sellers pairs the sellers)"
                ) from None
        keys[name_] = (ends[0], ends[1], row["type"] == "int")
    return Axis(name, values, keys, 0.0)


def _axis(
    key: str, name: str, values: list[float], spec: MapSpec, base: Any, config_dir: str | None
) -> Axis:
    if name.startswith(PATH):
        return _path_axis(key, name, values, spec, base, config_dir)
    _check_axis(key, name, values)
    return Axis(name, values, {}, float(get_path(base, name)))


def _quoted(override: str) -> str:
    """`map.x_values=linspace(0,1,5)` as Hydra must read it: one string, not a sweep."""
    key, _, value = override.partition("=")
    if key in GRID_KEYS and SPACED.match(value):
        return f"{key}='{value.strip()}'"
    return override


def plan_map(overrides: list[str], config_dir: str | None = None) -> MapPlan:
    """Validate a map without running anything.

    Raises:
        ConfigError: a bad override or map setting (one line).
    """
    if config_dir:
        config_dir = str(Path(config_dir).resolve())
    overrides = [_quoted(o) for o in overrides]
    hydra, experiment, own, task = split_overrides(list(overrides), "map")
    experiment = experiment_of(experiment, DEFAULT_EXPERIMENT, config_dir)
    name = experiment[0].split("=", 1)[1]
    check_section(own, MapSpec, "map")
    primary = study_config(hydra + experiment + own + task, config_dir, section="map")
    try:
        container = OmegaConf.to_container(primary.map, resolve=True)
        container["path"] = MapPath(**container.get("path", {}))
        spec = MapSpec(**container)
    except Exception as exc:
        raise ConfigError(f"map: {one_line(exc)}") from None
    if spec.x == spec.y:
        raise ConfigError(f"map.y={spec.y}: the two axes are the same key")
    presets = group_options("strategy", config_dir)
    if len(spec.strategies) < 2 or any(s not in presets for s in spec.strategies):
        raise ConfigError(
            f"map.strategies={spec.strategies!r}: two or more of the strategy presets "
            f"({', '.join(presets)})"
        )
    if not is_metric(spec.kpi):
        raise ConfigError(f"map.kpi={spec.kpi!r} is not a metric of summary.json")
    try:
        window(spec.window)
    except Exception as exc:
        raise ConfigError(f"map.window={spec.window!r}: {one_line(exc)}") from None
    if spec.seeds < 2:
        raise ConfigError(f"map.seeds={spec.seeds} is not allowed: expected an integer >= 2")
    base = compose(experiment + task, config_dir)
    xs = grid_values("map.x_values", spec.x_values)
    ys = grid_values("map.y_values", spec.y_values)
    x = _axis("map.x", spec.x, xs, spec, base, config_dir)
    y = _axis("map.y", spec.y, ys, spec, base, config_dir)
    both = set(x.keys) & set(y.keys)
    if both:
        raise ConfigError(f"map.path.groups: {sorted(both)[0]} is in both axes' groups")
    given = {override_key(o) for o in task}
    for key in (*(spec.x, spec.y, "strategy", "seed"), *x.keys, *y.keys):
        if key in given:
            raise ConfigError(f"{key}: the map sets it (map.x, map.y, map.strategies, map.seeds)")
    grid = [f"strategy={','.join(spec.strategies)}", f"seed=range(0,{spec.seeds})"]
    runs = plan_sweep([*hydra, *experiment, *task, *grid], config_dir)
    jobs = []
    for xv, yv, run in itertools.product(xs, ys, runs.jobs):
        kept = [o for o in run.overrides if not o.startswith(("strategy=", "seed="))]
        moved = [o for o in run.overrides if o.startswith(("strategy=", "seed="))]
        jobs.append(
            PlannedJob(
                job=str(len(jobs)),
                overrides=[*kept, *x.overrides(xv), *y.overrides(yv), *moved],
                values={spec.x: xv, spec.y: yv, **run.values},
            )
        )
    sweep = with_jobs(runs, jobs, [spec.x, spec.y, *runs.swept])
    moved = {**x.keys, **y.keys}
    return MapPlan(name, spec, xs, ys, sweep, (x.source, y.source), moved, base.market.name)


def run_map(
    plan: MapPlan,
    *,
    hydra_launcher: bool = True,
    n_jobs: int | None = None,
    progress: bool = True,
    announce: Callable[[str], object] | None = None,
) -> MapOutcome:
    """Run the map's jobs not done yet, then read every finished job's KPI over the
    window into the map's table."""
    began = time.perf_counter()
    outcome = execute(
        plan.sweep,
        hydra_launcher=hydra_launcher,
        n_jobs=n_jobs,
        progress=progress,
        announce=announce,
    )
    values = job_values(plan, outcome.table)
    failed = outcome.table[outcome.table["status"] != "ok"]
    summary = {
        "status": "ok" if len(failed) == 0 else "failed",
        "error": None if len(failed) == 0 else f"{len(failed)} jobs failed",
        "experiment": plan.name,
        "map": {
            "x": plan.spec.x,
            "y": plan.spec.y,
            "x_values": plan.x_values,
            "y_values": plan.y_values,
            "strategies": list(plan.spec.strategies),
            "kpi": plan.spec.kpi,
            "window": plan.spec.window,
            "seeds": plan.spec.seeds,
            "path": {
                "from": plan.market,
                "to": plan.spec.path.to,
                "keys": {k: [a, b] for k, (a, b, _) in plan.moved.items()},
            }
            if plan.moved
            else None,
            "cells": cell_overrides(plan),
        },
        "source": list(plan.source),
        "jobs": len(outcome.table),
        "failed_jobs": failed["job"].tolist(),
        "runtime_s": round(time.perf_counter() - began, 3),
    }
    return MapOutcome(values, summary, outcome)


def cell_overrides(plan: MapPlan) -> list[dict[str, Any]]:
    """Each cell's market as overrides (its strategy and seed aside): what opens the cell
    in one run, e.g. on the dashboard."""
    cells: dict[tuple[float, float], list[str]] = {}
    for job in plan.sweep.jobs:
        cell = (float(job.values[plan.spec.x]), float(job.values[plan.spec.y]))
        cells.setdefault(
            cell, [o for o in job.overrides if not o.startswith(("strategy=", "seed=", "hydra."))]
        )
    return [{"x": x, "y": y, "overrides": overrides} for (x, y), overrides in cells.items()]


def job_values(plan: MapPlan, jobs: pd.DataFrame) -> pd.DataFrame:
    """One row a finished job: its cell, strategy and seed, and the KPI's mean over the
    map's window (from the job's metrics.parquet)."""
    spec, rows = plan.spec, []
    for job in jobs[jobs["status"] == "ok"].to_dict("records"):
        path = plan.out_dir / str(job["job"]) / "metrics.parquet"
        try:
            metrics = pd.read_parquet(path, columns=["date", spec.kpi])
        except Exception as exc:
            raise ConfigError(f"{path}: {one_line(exc)}") from None
        first, last = window(spec.window)
        inside = metrics.loc[(metrics["date"] >= first) & (metrics["date"] <= last), spec.kpi]
        rows.append(
            {
                "x": float(job[spec.x]),
                "y": float(job[spec.y]),
                "strategy": str(job["strategy"]),
                "seed": int(job["seed"]),
                "value": float(inside.mean()) if len(inside) else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=["x", "y", "strategy", "seed", "value"])
