"""Run one config: simulate, then write its folder of result files."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from channelsim.config.schema import ChannelConfig
from channelsim.experiment.io import (
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
)
from channelsim.mechanics.brands import effort_shares
from channelsim.model import ChannelModel
from channelsim.models import build_model
from channelsim.network import graphml_text
from channelsim.policies import policy_path
from channelsim.pricing_model import PricingModel

KPI_WINDOW = 12  # summary KPIs: each metric averaged over the final 12 steps


@dataclass
class RunResult:
    """What one run gives: the monthly metrics, the summary, and the final model."""

    metrics: pd.DataFrame
    summary: dict[str, Any]
    model: ChannelModel
    out_dir: Path | None = None


def config_dict(config: ChannelConfig) -> dict[str, Any]:
    """The fully resolved config as plain data (no output paths, no Hydra runtime)."""
    return dataclasses.asdict(config)


def config_yaml(config: ChannelConfig) -> str:
    """The resolved config as YAML: the text OmegaConf writes for it, written by PyYAML's
    C emitter (OmegaConf takes twenty times as long, most of a default run's writing)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(
        config_dict(config),
        Dumper=dumper,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
    )


def config_hash(config: ChannelConfig) -> str:
    """A stable hash of the resolved config: the same on any machine."""
    text = json.dumps(config_dict(config), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def version() -> str:
    from channelsim import __version__

    return __version__


def simulate(config: ChannelConfig) -> tuple[pd.DataFrame, ChannelModel | PricingModel]:
    """Run the model of `config`'s market for `config.steps` months; one row of metrics a
    month."""
    model = build_model(config)
    for _ in range(config.steps):
        model.step()
    return metrics_frame(model), model


RESULT_FILES = (
    "metrics.parquet",
    "partners.parquet",
    "regions.parquet",
    "config.yaml",
    "channel.graphml",
)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_files(folder: Path, summary: dict[str, Any]) -> str | None:
    """Why the result files a summary lists are not the ones it was written with
    (missing, cut short, changed), or None when they all are."""
    for name, digest in (summary.get("files") or {}).items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if file_digest(path) != digest:
            return f"{name} does not match its summary (cut short or changed since the run)"
    return None


def metrics_frame(model: ChannelModel) -> pd.DataFrame:
    """The model's metrics so far, one row a simulated month, with `step` and `date`."""
    collected = model.datacollector.model_vars
    frame = pd.DataFrame(
        {name: np.asarray(collected[name], dtype=np.float64) for name in model.metric_names}
    )
    start = model.start_index
    frame.insert(0, "date", [_label(start + i) for i in range(len(frame))])
    frame.insert(0, "step", np.arange(1, len(frame) + 1, dtype=np.int64))
    return frame


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


SETTLED_MONTHS = 3  # a pricing market has settled when its last months agree


def has_settled(metrics: pd.DataFrame, tolerance: float = 1e-9) -> bool:
    """Whether a pricing market's values stopped moving over its last months."""
    if len(metrics) < SETTLED_MONTHS:
        return False
    tail = metrics.drop(columns=["step", "date"]).tail(SETTLED_MONTHS)
    tail = tail.dropna(axis=1, how="all").to_numpy(dtype=float)  # no integrated wholesale
    spread = np.nanmax(tail, axis=0) - np.nanmin(tail, axis=0)
    return bool(np.all(spread <= tolerance * (1.0 + np.nanmax(np.abs(tail), axis=0))))


def kpis(metrics: pd.DataFrame, converged: bool = False) -> dict[str, float | None]:
    """Each metric averaged over the final KPI_WINDOW steps (NaN months skipped); with
    `converged` (a textbook pricing market), the final value of each."""
    names = [c for c in metrics.columns if c not in ("step", "date")]
    tail = metrics.tail(1 if converged else KPI_WINDOW)
    out: dict[str, float | None] = {}
    for name in names:
        value = tail[name].mean(skipna=True)
        out[name] = None if pd.isna(value) else float(value)
    return out


def override_text(value: Any) -> str:
    """A value as an override writes it (``true``, ``null``, ``0.05``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


def config_overrides(config: ChannelConfig) -> list[str]:
    """The config's lever and market overrides as ``key=value``: what the command line
    set on top of the presets (the scenario's switches do not undo them)."""
    return [
        *(f"strategy.{k}={override_text(v)}" for k, v in config.lever_overrides.items()),
        *(f"market.{k}={override_text(v)}" for k, v in config.market_overrides.items()),
    ]


def base_summary(config: ChannelConfig) -> dict[str, Any]:
    """The fields every summary carries, ok or failed.

    `policy_path` is the presets in force over the run with their dates; `overrides`
    defaults to the config's lever and market overrides (the CLI and sweeps record the
    overrides as given, through `run`'s labels).
    """
    return {
        "status": "ok",
        "error": None,
        "seed": config.seed,
        "strategy": config.strategy.name,
        "scenario": config.scenario.name,
        "policy_path": policy_path(config),
        "overrides": config_overrides(config),
        "market": config.market.name,
        "steps": config.steps,
        "config_hash": config_hash(config),
        "version": version(),
        "runtime_s": None,
        "kpis": {},
    }


def failed_summary(
    config: ChannelConfig | None, error: str, runtime_s: float | None = None
) -> dict[str, Any]:
    """The summary of a run that did not finish."""
    summary = (
        base_summary(config)
        if config is not None
        else {
            "status": "failed",
            "error": error,
            "seed": None,
            "strategy": None,
            "scenario": None,
            "policy_path": None,
            "overrides": [],
            "market": None,
            "steps": None,
            "config_hash": None,
            "version": version(),
            "runtime_s": runtime_s,
            "kpis": {},
        }
    )
    summary.update(status="failed", error=error, runtime_s=runtime_s)
    return summary


def write_failed(
    out_dir: Path, config: ChannelConfig | None, error: str, runtime_s: float | None = None
) -> dict[str, Any]:
    """Record in the run's own folder why it failed."""
    summary = failed_summary(config, error, runtime_s)
    atomic_write_json(Path(out_dir) / "summary.json", summary)
    return summary


FigureWriter = Callable[[pd.DataFrame, Path, list[tuple[str, str]]], object]


def run(
    config: ChannelConfig,
    out_dir: str | Path | None = None,
    figures: FigureWriter | None = None,
    labels: dict[str, Any] | None = None,
    network: bool = True,
) -> RunResult:
    """Run one simulation; with `out_dir`, write its result files there atomically.

    `figures`, if given, draws the run's figures into ``out_dir/figures`` from its
    metrics (`channelsim.run` passes the standard set). `labels` are added to the
    summary (a sweep's job name and overrides, the command line's overrides). Without
    `network`, no channel.graphml.

    Files: ``metrics.parquet``, ``partners.parquet``, ``regions.parquet``, ``config.yaml``,
    ``channel.graphml``, ``figures/*.png`` and, last, ``summary.json``.

    Raises:
        Exception: whatever the model raised; callers that must not stop (the CLI,
        sweeps) catch it and write a failed summary with `write_failed`.
    """
    began = time.perf_counter()
    metrics, model = simulate(config)
    summary = base_summary(config)
    summary["kpis"] = kpis(metrics, converged=model.SETTLES)
    if model.SETTLES:
        summary["converged"] = has_settled(metrics)
    summary.update(labels or {})
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        stale = out / "summary.json"
        stale.unlink(missing_ok=True)
        atomic_write_parquet(out / "metrics.parquet", metrics)
        atomic_write_text(out / "config.yaml", config_yaml(config))
        if isinstance(model, ChannelModel):  # its partners, regions, network, figures
            atomic_write_parquet(out / "partners.parquet", partners_frame(model))
            atomic_write_parquet(out / "regions.parquet", regions_frame(model))
            if network:  # the largest file by far; the decision commands' runs skip it
                atomic_write_bytes(out / "channel.graphml", graphml_bytes(model))
            if figures:
                figures(metrics, out / "figures", model.changes)
    summary["runtime_s"] = round(time.perf_counter() - began, 4)
    if out is not None:
        # each result file's digest: a reader can tell a file changed or cut short since
        summary["files"] = {
            p.name: file_digest(p) for p in sorted(out.iterdir()) if p.name in RESULT_FILES
        }
        atomic_write_json(out / "summary.json", summary)
    return RunResult(metrics=metrics, summary=summary, model=model, out_dir=out)


def graphml_bytes(model: ChannelModel) -> bytes:
    """The channel network in GraphML."""
    return graphml_text(model).encode("utf-8")


def partners_frame(model: ChannelModel) -> pd.DataFrame:
    """Final state of every reseller line that took part: a row for each brand a reseller
    firm carried (`firm`: its first line's row), with the brands its firm carries now and
    the share of the firm's staff each has (empty once the line has left)."""
    t, n = model.resellers, model.resellers_used
    names = np.array([seller.name for seller in model.sellers])
    share = effort_shares(t.reps, t.firm, t.active)[:n]
    carried: dict[int, dict[str, float]] = {}
    active = np.flatnonzero(t.active[:n])
    for row in active[np.argsort(t.seller[active], kind="stable")]:  # in the sellers' order
        lines = carried.setdefault(int(t.firm[row]), {})
        name = str(names[t.seller[row]])
        lines[name] = lines.get(name, 0.0) + float(share[row])
    firms = [
        carried.get(int(f), {}) if a else {} for f, a in zip(t.firm[:n], t.active[:n], strict=True)
    ]
    return pd.DataFrame(
        {
            "reseller": np.arange(n),
            "seller": names[t.seller[:n]],
            "firm": t.firm[:n],
            "effort_share": share,
            "brands": [list(lines) for lines in firms],
            "effort_shares": [list(lines.values()) for lines in firms],
            "region": t.region[:n],
            "active": t.active[:n],
            "tier": t.tier[:n],
            "b2b": t.b2b[:n],
            "relationship_partner": t.relationship_partner[:n],
            "skill": t.skill[:n],
            "knowledge": t.knowledge[:n],
            "competition": t.competition[:n],
            "service": t.service[:n],
            "capital": t.capital[:n],
            "receivable": t.receivable[:n],
            "satisfaction": t.satisfaction[:n],
            "markup": t.markup[:n],
            "year_units": t.year_units[:n],
        }
    )


def regions_frame(model: ChannelModel) -> pd.DataFrame:
    """Final state of every region."""
    m, t = model.market, model.resellers
    g = m.n_regions
    return pd.DataFrame(
        {
            "region": np.arange(g),
            "transactional_demand": model.region_demand,
            "retail_price": model.region_price,
            "promotion": model.promo,
            # the vendor's partners, as the retail price is theirs
            "active_resellers": np.bincount(
                t.region[t.active & (t.seller == model.vendor.row)], minlength=g
            ),
        }
    )
