"""Global sensitivity analysis: Morris screening and Sobol indices (SALib) over declared
ranges of levers and market uncertainties, for chosen KPIs.

A named experiment's ``sensitivity:`` section declares the method, the KPIs and the
ranges. The sample (seeded by the top-level ``seed``) becomes the jobs of a sweep:
one job a distinct config and seed, run on local cores or a Hydra launcher into
``runs/``, skipped on a rerun when already done, and aggregated from disk. A sample
row's output is the mean of its KPI over its seeds' runs.

With ``dummy`` (the default) the sample carries one more parameter, ``dummy``, that
the model never reads: every real parameter is judged against it, and one whose
interval does not clear the dummy's cannot be told from noise. ``model: ishigami``
puts the Ishigami function in the model's place, whose Sobol indices are known, to
check the estimators.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from channelsim.config.compose import (
    check_overrides,
    compose,
    moved_key,
    one_line,
    parse_overrides,
    with_values,
)
from channelsim.config.schema import ChannelConfig, SensitivitySpec
from channelsim.config.validate import ConfigError, check_value, schema_rows
from channelsim.experiment.io import atomic_write_json, atomic_write_parquet, atomic_write_text
from channelsim.experiment.run import config_hash, version
from channelsim.experiment.studies import (
    check_resume,
    check_section,
    experiment_of,
    folder_lock,
    override_key,
    refuse_policy_search,
    split_overrides,
    study_config,
)
from channelsim.experiment.sweep import HYDRA_DEFAULTS, PlannedJob, SweepPlan, execute
from channelsim.metrics import METRICS, check_sellers_metrics, is_metric
from channelsim.models import refusal

DEFAULT_EXPERIMENT = "sensitivity_morris"
METHODS = ("morris", "sobol")
MODELS = ("channel", "ishigami")
DUMMY = "dummy"
RUNS = "runs"
PLAN_FILE = "sensitivity.json"
ISHIGAMI = (7.0, 0.1)  # a, b: Sobol's S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437


@dataclass
class SensitivityPlan:
    """A validated analysis: its sample, and the sweep that evaluates it."""

    experiment: str
    spec: SensitivitySpec
    names: list[str]  # the sampled parameters, the dummy last
    bounds: list[list[float]]
    sample: np.ndarray  # one row a sample point
    kpis: list[str]
    seed: int
    out_dir: Path
    fixed: list[str]
    config_dir: str | None
    base: ChannelConfig | None  # None for a test function
    sweep: SweepPlan | None  # the jobs that evaluate the sample on the model
    row_jobs: list[list[str]]  # the jobs of each sample row (one a seed)
    hydra_launcher: bool

    @property
    def problem(self) -> dict[str, Any]:
        return {"num_vars": len(self.names), "names": self.names, "bounds": self.bounds}


@dataclass
class SensitivityOutcome:
    """The ranked indices, the sample with its outputs, and the summary."""

    table: pd.DataFrame
    samples: pd.DataFrame
    summary: dict[str, Any]
    out_dir: Path


def require_salib() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise ConfigError(
            "channelsim sensitivity needs the sensitivity extra: "
            "pip install 'channelsim[sensitivity]'"
        ) from None


def ishigami(x: np.ndarray, a: float = ISHIGAMI[0], b: float = ISHIGAMI[1]) -> np.ndarray:
    """The Ishigami function of the first three columns of `x`."""
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


# ---------------------------------------------------------------- planning


def check_spec(spec: SensitivitySpec) -> None:
    def bad(key: str, value: Any, allowed: str) -> ConfigError:
        return ConfigError(f"sensitivity.{key}={value!r} is not allowed: expected {allowed}")

    if spec.method not in METHODS:
        raise bad("method", spec.method, "one of " + ", ".join(METHODS))
    if spec.model not in MODELS:
        raise bad("model", spec.model, "one of " + ", ".join(MODELS))
    if spec.samples < 2:
        raise bad("samples", spec.samples, "an integer >= 2")
    if spec.levels < 2 or spec.levels % 2:
        raise bad("levels", spec.levels, "an even integer >= 2")
    if spec.seeds < 1:
        raise bad("seeds", spec.seeds, "an integer >= 1")
    if spec.resamples < 10:
        raise bad("resamples", spec.resamples, "an integer >= 10")
    if not 0.5 <= spec.conf_level < 1:
        raise bad("conf_level", spec.conf_level, "a number in [0.5, 1)")
    if not spec.parameters:
        raise ConfigError("sensitivity.parameters: declare at least one range, key: [low, high]")
    spec.parameters = {moved_key(str(k)): v for k, v in spec.parameters.items()}
    if spec.model == "channel":
        if not spec.kpis:
            raise ConfigError("sensitivity.kpis: name at least one KPI")
        for kpi in spec.kpis:
            if not is_metric(kpi):
                raise bad("kpis", kpi, "KPIs among " + ", ".join(METRICS))
    elif len(spec.parameters) != 3:
        raise ConfigError(
            "sensitivity.parameters: the Ishigami function takes three parameters, "
            f"{len(spec.parameters)} given"
        )
    rows = schema_rows()
    for key, ends in spec.parameters.items():
        where = f"sensitivity.parameters.{key}"
        if key == DUMMY:
            raise ConfigError(f"{where}: the name {DUMMY!r} is kept for the dummy parameter")
        numbers = isinstance(ends, list) and all(
            isinstance(e, int | float) and not isinstance(e, bool) and math.isfinite(e)
            for e in ends
        )
        if not numbers or len(ends) != 2 or not ends[0] < ends[1]:
            raise ConfigError(f"{where}={ends!r} is not allowed: expected [low, high], low < high")
        if spec.model != "channel":
            continue
        if key not in rows or not key.startswith(("strategy.", "market.")):
            raise ConfigError(
                f"{where}: {key!r} is not allowed: vary strategy.* levers or market.* "
                "parameters (channelsim levers lists them)"
            )
        if rows[key]["type"] not in ("int", "float"):
            raise ConfigError(f"{where}: {key} is a {rows[key]['type']}: vary numbers only")
        for end in ends:
            check_value(key, _typed(end, rows[key]["type"]), rows[key])


def _typed(value: float, kind: str) -> int | float:
    return int(np.rint(value)) if kind == "int" else float(value)


def draw(
    spec: SensitivitySpec, names: list[str], bounds: list[list[float]], seed: int
) -> np.ndarray:
    """The method's sample, reproducible from `seed`."""
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    if spec.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, N=spec.samples, num_levels=spec.levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, N=spec.samples, calc_second_order=False, seed=seed)


def plan_sensitivity(overrides: list[str], config_dir: str | None = None) -> SensitivityPlan:
    """Validate an analysis and lay out its sample and jobs, without running anything.

    Raises:
        ConfigError: a bad override, range, KPI or method (one line).
    """
    require_salib()
    if config_dir:
        config_dir = str(Path(config_dir).resolve())
    hydra, experiment, own, task = split_overrides(list(overrides), "sensitivity")
    experiment = experiment_of(experiment, DEFAULT_EXPERIMENT, config_dir)
    name = experiment[0].split("=", 1)[1]
    for o in task:
        if override_key(o) == "seed" or not parse_sweep(o):
            continue
        raise ConfigError(f"{o}: declare ranges in sensitivity.parameters, not as sweeps")
    check_overrides(task, config_dir)
    check_section(own, SensitivitySpec, "sensitivity")
    for o in own:
        if override_key(o).startswith("sensitivity.parameters"):
            raise ConfigError(
                "sensitivity.parameters: declare the ranges in an experiment file (your own "
                "in DIR/experiment/NAME.yaml, with --config-dir DIR), not on the command line"
            )
    chosen = {override_key(o) for o in hydra}
    hydra_launcher = "hydra/launcher" in chosen
    hydra += [f"{g}={v}" for g, v in HYDRA_DEFAULTS.items() if g not in chosen]
    primary = study_config(hydra + experiment + own + task, config_dir, "sensitivity")
    refuse_policy_search(primary, name)
    try:
        spec = SensitivitySpec(**OmegaConf.to_container(primary.sensitivity, resolve=True))
    except Exception as exc:
        raise ConfigError(f"sensitivity: {one_line(exc)}") from None
    check_spec(spec)
    fixed = experiment + task
    for o in task:
        if override_key(o) in spec.parameters:
            raise ConfigError(
                f"{override_key(o)} is both set ({o}) and varied in sensitivity.parameters"
            )
    try:
        out_dir = Path(str(primary.hydra.sweep.dir)).resolve()
    except Exception as exc:
        raise ConfigError(f"hydra.sweep.dir: {one_line(exc)}") from None
    names = list(spec.parameters) + ([DUMMY] if spec.dummy else [])
    bounds = [[float(a), float(b)] for a, b in spec.parameters.values()]
    bounds += [[0.0, 1.0]] if spec.dummy else []
    seed = int(primary.seed)
    sample = draw(spec, names, bounds, seed)
    plan = SensitivityPlan(
        experiment=name,
        spec=spec,
        names=names,
        bounds=bounds,
        sample=sample,
        kpis=[spec.model],
        seed=seed,
        out_dir=out_dir,
        fixed=fixed,
        config_dir=config_dir,
        base=None,
        sweep=None,
        row_jobs=[],
        hydra_launcher=hydra_launcher,
    )
    if spec.model != "channel":
        return plan
    plan.base = compose(fixed, config_dir)
    refused = refusal(plan.base.market, "sensitivity")
    if refused:
        raise ConfigError(refused)
    check_sellers_metrics(
        {f"sensitivity.kpis[{i}]": kpi for i, kpi in enumerate(spec.kpis)},
        list(plan.base.market.sellers),
    )
    plan.kpis = list(spec.kpis)
    plan.sweep, plan.row_jobs = _jobs(
        spec, plan.base, sample, fixed, config_dir, out_dir, hydra, primary
    )
    return plan


def parse_sweep(override: str) -> bool:
    return parse_overrides([override])[0].is_sweep_override()


def row_seeds(spec: SensitivitySpec, base_seed: int, row: int) -> list[int]:
    """The seeds a sample row runs at: the same for every row with `common_seeds`, so
    rows differ by their parameters alone; otherwise the row's own."""
    first = base_seed if spec.common_seeds else base_seed + row * spec.seeds
    return [first + i for i in range(spec.seeds)]


def _jobs(spec, base, sample, fixed, config_dir, out_dir, hydra, primary):
    """One job a distinct config and seed; each sample row names its jobs."""
    rows = schema_rows()
    keys = list(spec.parameters)
    configs: dict[tuple, tuple[int, ChannelConfig | None, str | None]] = {}
    jobs: dict[str, PlannedJob] = {}
    row_jobs: list[list[str]] = []
    for r, point in enumerate(sample):
        values = {k: _typed(v, rows[k]["type"]) for k, v in zip(keys, point, strict=False)}
        signature = tuple(values.values())
        if signature not in configs:
            try:
                configs[signature] = (len(configs), with_values(base, values), None)
            except ConfigError as exc:
                configs[signature] = (len(configs), None, str(exc))
        u, config, error = configs[signature]
        names = []
        for s in row_seeds(spec, base.seed, r):
            name = f"{u}_{s}"
            names.append(name)
            if name in jobs:
                continue
            job = PlannedJob(
                job=name,
                overrides=[*fixed, *(f"{k}={v!r}" for k, v in values.items()), f"seed={s}"],
                values={**values, "seed": s},
                config=dataclasses.replace(config, seed=s) if config else None,
                error=error,
            )
            job.config_hash = config_hash(job.config) if job.config else None
            jobs[name] = job
        row_jobs.append(names)
    jobs = list(jobs.values())
    launcher = str(primary.hydra.runtime.choices.get("hydra/launcher", "basic"))
    sweep = SweepPlan(
        jobs=jobs,
        swept=[*keys, "seed"],
        overrides=list(fixed),
        hydra_overrides=hydra,
        config_dir=config_dir,
        sweep_dir=out_dir / RUNS,
        launcher=launcher,
        network=False,  # thousands of runs: their networks would fill the disk
    )
    return sweep, row_jobs


# ---------------------------------------------------------------- running


def _plan_record(plan: SensitivityPlan) -> dict[str, Any]:
    return {
        "experiment": plan.experiment,
        "spec": dataclasses.asdict(plan.spec),
        "seed": plan.seed,
        "base_config_hash": config_hash(plan.base) if plan.base is not None else None,
    }


def _check_same(plan: SensitivityPlan) -> None:
    what = {
        "spec": "sensitivity.* settings",
        "seed": "seed",
        "base_config_hash": "market, strategy or fixed overrides",
    }
    path = plan.out_dir / PLAN_FILE
    check_resume(path, _plan_record(plan), what, "an analysis", plan.out_dir)


def evaluate(
    plan: SensitivityPlan, n_jobs: int | None, progress: bool, announce
) -> tuple[np.ndarray, list[str], dict[str, int]]:
    """Each sample row's KPIs (rows x KPIs), the failed jobs, and what ran."""
    if plan.sweep is None:
        y = ishigami(plan.sample)[:, None]
        return y, [], {"jobs": 0, "ran": 0, "skipped": 0}
    sweep = plan.sweep
    if announce:
        announce(
            f"sensitivity: {plan.spec.method} over {len(plan.names)} parameters "
            f"({len(plan.sample)} sample rows, {len(sweep.jobs)} distinct runs)"
        )
    outcome = execute(
        sweep,
        hydra_launcher=plan.hydra_launcher,
        n_jobs=n_jobs,
        progress=progress,
        announce=announce,
    )
    table = outcome.table.set_index("job")
    ok = table["status"] == "ok"
    y = np.full((len(plan.sample), len(plan.kpis)), np.nan)
    for i, names in enumerate(plan.row_jobs):
        rows = table.loc[names]
        if rows["status"].eq("ok").all():
            y[i] = rows[plan.kpis].to_numpy(dtype=float).mean(axis=0)
    failed = table.index[~ok].tolist()
    return y, failed, {"jobs": len(sweep.jobs), "ran": outcome.ran, "skipped": outcome.skipped}


def bootstrap_seed(seed: int) -> int:
    """The bootstrap's seed, drawn from the analysis's: never 0, which SALib's Sobol
    analysis takes for no seed at all."""
    return int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]) or 1


def _indices(plan: SensitivityPlan, values: np.ndarray, boot: int) -> dict[str, Any]:
    """The method's index of each parameter for one KPI, with its interval's half width."""
    from SALib.analyze import morris, sobol

    spec = plan.spec
    common = {"num_resamples": spec.resamples, "conf_level": spec.conf_level, "seed": boot}
    if spec.method == "morris":
        res = morris.analyze(plan.problem, plan.sample, values, num_levels=spec.levels, **common)
        measure, extra = "mu_star", {"mu": res["mu"], "sigma": res["sigma"]}
    else:
        res = sobol.analyze(plan.problem, values, calc_second_order=False, **common)
        measure = "ST"
        extra = {
            "S1": res["S1"],
            "S1_ci_low": res["S1"] - res["S1_conf"],
            "S1_ci_high": res["S1"] + res["S1_conf"],
        }
    columns = {
        "parameter": plan.names,
        "measure": measure,
        "estimate": res[measure],
        "half_width": res[f"{measure}_conf"],
        **extra,
    }
    return {
        k: v if isinstance(v, str | list) else np.asarray(v, dtype=float)
        for k, v in columns.items()
    }


def analyse(plan: SensitivityPlan, y: np.ndarray) -> pd.DataFrame:
    """The ranked table: one row a KPI and parameter, rank 1 the most influential."""
    spec = plan.spec
    boot = bootstrap_seed(plan.seed)
    frames = []
    for j, kpi in enumerate(plan.kpis):
        values = y[:, j]
        if not np.isfinite(values).all():
            continue
        frame = pd.DataFrame(_indices(plan, values, boot))
        frame.insert(0, "kpi", kpi)
        frame.insert(2, "method", spec.method)
        frame["ci_low"] = frame["estimate"] - frame["half_width"]
        frame["ci_high"] = frame["estimate"] + frame["half_width"]
        frame = frame.drop(columns="half_width")
        frame = frame.sort_values("estimate", ascending=False, kind="stable")
        frame.insert(1, "rank", np.arange(1, len(frame) + 1))
        if spec.dummy:
            noise = float(frame.loc[frame["parameter"] == DUMMY, "ci_high"].iloc[0])
            frame["above_dummy"] = (frame["ci_low"] > noise) & (frame["parameter"] != DUMMY)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(
            columns=[
                "kpi",
                "rank",
                "parameter",
                "method",
                "measure",
                "estimate",
                "ci_low",
                "ci_high",
            ]
        )
    return pd.concat(frames, ignore_index=True)


def run_sensitivity(
    plan: SensitivityPlan, n_jobs: int | None = None, progress: bool = True, announce=None
) -> SensitivityOutcome:
    """Evaluate the sample (resuming), analyse it, write the tables and the summary (the
    figure and report: `channelsim.analysis.decision.write_sensitivity_report`)."""
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    with folder_lock(plan.out_dir, "channelsim sensitivity"):
        return _run(plan, n_jobs, progress, announce)


def _run(plan: SensitivityPlan, n_jobs: int | None, progress: bool, announce):
    began = time.perf_counter()
    _check_same(plan)
    atomic_write_json(plan.out_dir / PLAN_FILE, _plan_record(plan))
    y, failed, ran = evaluate(plan, n_jobs, progress, announce)
    samples = pd.DataFrame(plan.sample, columns=plan.names)
    samples.insert(0, "row", np.arange(len(samples)))
    if plan.row_jobs:
        samples.insert(1, "jobs", [" ".join(j) for j in plan.row_jobs])
    for j, kpi in enumerate(plan.kpis):
        samples[kpi] = y[:, j]
    table = analyse(plan, y)
    missing = [k for k in plan.kpis if k not in set(table["kpi"])]
    error = None
    if failed:
        error = f"{len(failed)} of {len(plan.sweep.jobs)} runs failed (first: job {failed[0]})"
    elif missing:
        error = f"undefined in some runs: {', '.join(missing)}"
    summary = {
        "status": "ok" if error is None else "failed",
        "error": error,
        "experiment": plan.experiment,
        "method": plan.spec.method,
        "model": plan.spec.model,
        "seed": plan.seed,
        "seeds": plan.spec.seeds,
        "common_seeds": plan.spec.common_seeds,
        "kpis": plan.kpis,
        "parameters": {n: b for n, b in zip(plan.names, plan.bounds, strict=True)},
        "dummy": plan.spec.dummy,
        "sample_rows": len(plan.sample),
        **ran,
        "failed_jobs": failed,
        "version": version(),
        "runtime_s": None,
    }
    atomic_write_text(plan.out_dir / "samples.csv", samples.to_csv(index=False))
    atomic_write_text(plan.out_dir / "sensitivity.csv", table.to_csv(index=False))
    atomic_write_parquet(plan.out_dir / "sensitivity.parquet", table)
    summary["runtime_s"] = round(time.perf_counter() - began, 3)
    atomic_write_json(plan.out_dir / "summary.json", summary)
    return SensitivityOutcome(table, samples, summary, plan.out_dir)
