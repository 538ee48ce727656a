"""Sweeps: the jobs of Hydra sweep overrides, run one folder a job and aggregated from disk.

A sweep is planned before anything runs: its overrides (and a named sweep's
``hydra.sweeper.params``) expand, as Hydra's basic sweeper expands them, into one
override list a job; every job's config is composed and validated. Invalid jobs are
recorded as failed in their own folders; the valid ones not already done (an ok
``summary.json`` for the same config hash) go to a Hydra launcher: joblib on the local
cores by default, Ray or Slurm (submitit) when asked. Each job catches its own errors,
so one job never takes the others down, and the tables are built from the job folders.

The Python API runs the same job function in-process or across local cores with joblib.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.types import Override, QuotedString
from omegaconf import DictConfig, OmegaConf

from channelsim.config.compose import (
    check_experiment,
    check_overrides,
    compose,
    hydra_initialized,
    one_line,
    parse_overrides,
    quote,
    search_path,
    upgrade_overrides,
)
from channelsim.config.schema import ChannelConfig
from channelsim.config.validate import ConfigError
from channelsim.experiment.batch import Progress, pin_threads
from channelsim.experiment.io import atomic_write_json, atomic_write_parquet, atomic_write_text
from channelsim.experiment.run import check_files, config_hash, failed_summary, run
from channelsim.experiment.studies import refuse_policy_search
from channelsim.metrics import METRICS, is_metric
from channelsim.models import refusal

PLAN_FILE = "sweep.json"
# Hydra settings a sweep uses unless the command line chooses others: local cores, and
# no Hydra log lines or per-job log files (the progress bar says what is going on)
HYDRA_DEFAULTS = {
    "hydra/launcher": "joblib",
    "hydra/hydra_logging": "none",
    "hydra/job_logging": "none",
}
EXTRAS = {"ray": "ray", "ray_aws": "ray", "submitit_local": "slurm", "submitit_slurm": "slurm"}


@dataclass
class PlannedJob:
    """One job of a sweep: its folder name, overrides, swept values and validated config."""

    job: str
    overrides: list[str]
    values: dict[str, Any]
    config: ChannelConfig | None = None
    error: str | None = None
    config_hash: str | None = None


@dataclass
class SweepPlan:
    """Every job of a sweep, validated, and where and how it runs."""

    jobs: list[PlannedJob]
    swept: list[str]
    overrides: list[str]
    hydra_overrides: list[str]
    config_dir: str | None
    sweep_dir: Path
    launcher: str
    network: bool = True  # each job writes its channel.graphml

    @property
    def invalid(self) -> list[PlannedJob]:
        return [j for j in self.jobs if j.error is not None]


@dataclass(frozen=True)
class JobSpec:
    """What the job function needs: a config (or the overrides to compose it) and a folder."""

    job: str
    overrides: tuple[str, ...]
    config_dir: str | None = None
    out_dir: str | None = None
    config: ChannelConfig | None = None
    network: bool = True


@dataclass
class SweepOutcome:
    """The per-job table of a finished sweep and what happened to its jobs."""

    table: pd.DataFrame
    ran: int
    skipped: int
    runtime_s: float
    failed: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- planning


def _parse(overrides: Sequence[str]) -> list[Override]:
    return parse_overrides(list(overrides))


def _is_hydra(key: str) -> bool:
    return key == "hydra" or key.startswith(("hydra.", "hydra/"))


def _plain(value: Any) -> Any:
    """A swept value as plain data (quoted strings unquoted)."""
    if isinstance(value, QuotedString):
        return value.text
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@contextmanager
def hydra_session(
    hydra_overrides: Sequence[str], config_dir: str | None
) -> Iterator[tuple[Any, DictConfig]]:
    """Hydra initialised on channelsim's configs, with the sweep's multirun config."""
    from hydra.types import RunMode

    overrides = list(hydra_overrides) + search_path(config_dir)
    with hydra_initialized() as hydra:
        try:
            primary = hydra.compose_config(
                "config",
                overrides=overrides,
                run_mode=RunMode.MULTIRUN,
                with_log_configuration=False,
            )
        except Exception as exc:  # unknown launcher, broken YAML: one line
            raise ConfigError(_launcher_hint(one_line(exc))) from None
        yield hydra, primary


def _launcher_hint(message: str) -> str:
    for name, extra in EXTRAS.items():
        if f"hydra/launcher={name}" in message or f"'hydra/launcher/{name}'" in message:
            return f"{message} (install it with: pip install 'channelsim[{extra}]')"
    if "'hydra/sweeper/optuna'" in message:
        return (
            f"{message} (hydra/sweeper=optuna is gone: a policy search declares "
            "optimize.params and runs with channelsim optimize)"
        )
    return message


def plan_sweep(overrides: Sequence[str], config_dir: str | None = None) -> SweepPlan:
    """Expand and validate a sweep without running anything.

    Raises:
        ConfigError: a malformed override, a bad Hydra setting, or every job invalid
            (one line naming the key and what is allowed).
    """
    given = upgrade_overrides(overrides)
    if config_dir:  # workers on other hosts or in other folders find it too
        config_dir = str(Path(config_dir).resolve())
    parsed = _parse(given)
    hydra_overrides, task = [], []
    for text, o in zip(given, parsed, strict=True):
        key = o.key_or_group
        if _is_hydra(key):
            if o.is_sweep_override():
                raise ConfigError(f"{key}: Hydra's own settings cannot be swept ({text})")
            hydra_overrides.append(text)
        else:
            if key == "experiment" and o.is_sweep_override():
                raise ConfigError(f"experiment: one named sweep at a time ({text})")
            task.append(text)
    chosen = {o.key_or_group for o in parsed}
    hydra_overrides += [f"{g}={v}" for g, v in HYDRA_DEFAULTS.items() if g not in chosen]
    experiment = [t for t, o in zip(given, parsed, strict=True) if o.key_or_group == "experiment"]
    with hydra_session(hydra_overrides + experiment, config_dir) as (_, primary):
        node = primary.hydra.sweeper.get("params")
        params = OmegaConf.to_container(node, resolve=False) if node is not None else {}
        try:
            sweep_dir = Path(str(primary.hydra.sweep.dir))
        except Exception as exc:
            raise ConfigError(f"hydra.sweep.dir: {one_line(exc)}") from None
        launcher = str(primary.hydra.runtime.choices.get("hydra/launcher", "basic"))
        refuse_policy_search(primary, experiment[0].split("=", 1)[1] if experiment else "...")
    if experiment:
        check_experiment(_parse(experiment)[0].value(), config_dir)
    if not str(sweep_dir).strip():
        raise ConfigError("hydra.sweep.dir='' is not allowed: expected a folder path")
    task = upgrade_overrides([f"{k}={v}" for k, v in params.items()]) + task
    jobs, swept = _expand(_parse(task))
    plan = SweepPlan(
        jobs=[],
        swept=[],
        overrides=task,
        hydra_overrides=hydra_overrides,
        config_dir=config_dir,
        sweep_dir=sweep_dir.resolve(),
        launcher=launcher,
    )
    return with_jobs(plan, jobs, swept)


def with_jobs(plan: SweepPlan, jobs: list[PlannedJob], swept: list[str]) -> SweepPlan:
    """The plan with other jobs, validated: for a study whose jobs move several keys
    together (a map's path between two markets), which a product of overrides cannot
    express. The jobs run, resume and fail on their own as any sweep's.

    Raises:
        ConfigError: every job invalid (one line).
    """
    plan = dataclasses.replace(plan, jobs=jobs, swept=swept)
    _validate(plan)
    if jobs and len(plan.invalid) == len(jobs):
        errors = {j.error for j in jobs}
        first = jobs[0].error
        raise ConfigError(first if len(errors) == 1 else f"every job is invalid; first: {first}")
    return plan


def _expand(parsed: list[Override]) -> tuple[list[PlannedJob], list[str]]:
    """Jobs in the order of Hydra's basic sweeper (the first key varies slowest)."""
    options: dict[str, list[tuple[str, Any]]] = {}
    swept: list[str] = []
    for o in parsed:
        key = o.get_key_element()
        if o.is_sweep_override():
            if not o.is_discrete_sweep():
                raise ConfigError(
                    f"{key}: an interval sweep needs an optimising sweeper; list the values "
                    "(a,b,c) or use range(start,stop,step)"
                )
            pairs = list(
                zip(o.sweep_string_iterator(), map(_plain, o.sweep_iterator()), strict=True)
            )
            if not pairs:
                raise ConfigError(f"{key}: the sweep has no values ({o.input_line})")
            options[key] = pairs
            if key not in swept:
                swept.append(key)
        else:
            options[key] = [(o.get_value_element_as_str(), _plain(o.value()))]
            if key in swept:
                swept.remove(key)
    keys = list(options)
    jobs = []
    for i, combo in enumerate(itertools.product(*(options[k] for k in keys))):
        jobs.append(
            PlannedJob(
                job=str(i),
                overrides=[f"{k}={s}" for k, (s, _) in zip(keys, combo, strict=True)],
                values={
                    k: v for k, (_, v) in zip(keys, combo, strict=True) if k in swept or k == "seed"
                },
            )
        )
    return jobs, swept


def _validate(plan: SweepPlan) -> None:
    """Compose every job's config; jobs that differ only in their seed compose once."""
    composed: dict[tuple[str, ...], ChannelConfig | str] = {}
    for job in plan.jobs:
        rest = tuple(o for o in job.overrides if not o.startswith("seed="))
        if rest not in composed:
            try:
                composed[rest] = compose(list(rest), plan.config_dir)
            except ConfigError as exc:
                composed[rest] = str(exc)
            else:
                composed[rest] = refusal(composed[rest].market, "sweep") or composed[rest]
        base = composed[rest]
        if isinstance(base, str):
            job.error = base
            continue
        seeds = [o for o in job.overrides if o.startswith("seed=")]
        config = base
        if seeds:
            try:
                check_overrides(seeds[-1:], plan.config_dir)
            except ConfigError as exc:
                job.error = str(exc)
                continue
            config = dataclasses.replace(base, seed=int(_parse(seeds[-1:])[0].value()))
        job.config = config
        job.config_hash = config_hash(config)


# ---------------------------------------------------------------- the job


def run_job(spec: JobSpec) -> dict[str, Any]:
    """Run one job into its folder; never raises: a failure is its summary's status.

    Used by every launcher and by the Python API alike.
    """
    began = time.perf_counter()
    config = spec.config
    labels = {"job": spec.job, "overrides": list(spec.overrides)}
    try:
        if config is None:
            config = compose(list(spec.overrides), spec.config_dir)
        return run(config, spec.out_dir, labels=labels, network=spec.network).summary
    except Exception as exc:  # recorded in the job's own folder; other jobs go on
        message = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if isinstance(exc, ConfigError):
            message = str(exc)
        summary = failed_summary(config, message, round(time.perf_counter() - began, 4))
        summary.update(labels)
        if spec.out_dir is not None:
            folder = Path(spec.out_dir)
            atomic_write_text(folder / "error.log", traceback.format_exc())
            atomic_write_json(folder / "summary.json", summary)
        return summary


@dataclass(frozen=True)
class SweepTask:
    """The task function Hydra's launchers call in their workers: one job, into the
    job's output folder. Its config is the one the plan composed when it checked the
    job (`configs`, by job folder, sent to the workers with the task), or else composed
    from the job's own overrides."""

    config_dir: str | None = None
    network: bool = True
    configs: Mapping[str, ChannelConfig] = field(default_factory=dict, hash=False, compare=False)

    def __call__(self, cfg: DictConfig) -> str:
        hc = HydraConfig.get()
        out = Path(hc.runtime.output_dir)
        overrides = tuple(hc.overrides.task)
        config = self.configs.get(out.name)
        spec = JobSpec(out.name, overrides, self.config_dir, str(out), config, self.network)
        return run_job(spec)["status"]


# ---------------------------------------------------------------- running


def read_summary(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """A job's summary, or why it cannot be used (missing, truncated, not an object)."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "no summary.json: the job did not finish"
    except (OSError, ValueError) as exc:
        return None, f"summary.json is unreadable ({type(exc).__name__}: {exc})"
    if not isinstance(summary, dict) or "status" not in summary:
        return None, "summary.json is not a job summary"
    broken = check_files(path.parent, summary) if summary.get("status") == "ok" else None
    if broken:
        return None, broken
    return summary, None


def is_done(job: PlannedJob, sweep_dir: Path) -> bool:
    """The job's folder holds an ok summary for the same config."""
    summary, _ = read_summary(sweep_dir / job.job / "summary.json")
    return bool(
        summary
        and summary.get("status") == "ok"
        and job.config_hash is not None
        and summary.get("config_hash") == job.config_hash
    )


def write_plan(plan: SweepPlan) -> None:
    """sweep.json: the overrides and every job, so the tables can be rebuilt from disk."""
    atomic_write_json(
        plan.sweep_dir / PLAN_FILE,
        {
            "overrides": plan.overrides,
            "hydra_overrides": plan.hydra_overrides,
            "config_dir": plan.config_dir,
            "launcher": plan.launcher,
            "swept": plan.swept,
            "jobs": [
                {
                    "job": j.job,
                    "overrides": j.overrides,
                    "values": j.values,
                    "config_hash": j.config_hash,
                    "error": j.error,
                }
                for j in plan.jobs
            ],
        },
    )


def _record_invalid(plan: SweepPlan) -> None:
    for job in plan.invalid:
        summary = failed_summary(None, job.error or "invalid")
        summary.update(seed=job.values.get("seed"), job=job.job, overrides=job.overrides)
        atomic_write_json(plan.sweep_dir / job.job / "summary.json", summary)


def _watch(
    sweep_dir: Path, jobs: list[PlannedJob], since: float, bar: Progress, stop: threading.Event
) -> None:
    """Advance the progress bar as job summaries appear on disk (works for any launcher)."""
    seen: set[str] = set()
    while True:
        stopping = stop.wait(0.5)
        for job in jobs:
            if job.job in seen:
                continue
            try:
                if (sweep_dir / job.job / "summary.json").stat().st_mtime >= since:
                    seen.add(job.job)
                    bar.update()
            except OSError:
                pass
        if stopping:
            return


def launch(plan: SweepPlan, pending: list[PlannedJob], progress: bool = True) -> str | None:
    """Run `pending` through the plan's Hydra launcher; returns the launcher's own error,
    if it failed as a whole (a worker killed, a cluster gone), else None."""
    from hydra._internal.callbacks import Callbacks
    from hydra.core.plugins import Plugins
    from hydra.types import HydraContext

    overrides = [*plan.hydra_overrides, f"hydra.sweep.dir={quote(str(plan.sweep_dir))}"]
    overrides += [o for o in plan.overrides if o.startswith("experiment=")]
    pin_threads()
    error = None
    configs = {j.job: j.config for j in pending if j.config is not None}  # sent with the task
    with hydra_session(overrides, plan.config_dir) as (hydra, primary):
        callbacks = Callbacks(primary)
        callbacks.on_multirun_start(config=primary, config_name="config")
        launcher = Plugins.instance().instantiate_launcher(
            hydra_context=HydraContext(config_loader=hydra.config_loader, callbacks=callbacks),
            task_function=SweepTask(plan.config_dir, plan.network, configs),
            config=primary,
        )
        stop = threading.Event()
        watcher = None
        if progress:
            bar = Progress(len(pending), f"sweep ({plan.launcher})")
            watcher = threading.Thread(
                target=_watch,
                args=(plan.sweep_dir, pending, time.time() - 1.0, bar, stop),
                daemon=True,
            )
            watcher.start()
        try:
            launcher.launch(
                [[*j.overrides, f"hydra.sweep.subdir='{j.job}'"] for j in pending],
                initial_job_idx=0,
            )
        except Exception as exc:  # the launcher itself failed: its jobs say so below
            error = f"the {plan.launcher} launcher failed: {one_line(exc)}"
        finally:
            stop.set()
            if watcher is not None:
                watcher.join()
        callbacks.on_multirun_end(config=primary, config_name="config")
    return error


def _run_local(
    plan: SweepPlan, pending: list[PlannedJob], n_jobs: int | None, write: bool, progress: bool
) -> dict[str, dict[str, Any]]:
    """The API's way: the same job function in-process or on local loky workers."""
    from joblib import Parallel, delayed

    specs = [
        JobSpec(
            j.job,
            tuple(j.overrides),
            plan.config_dir,
            str(plan.sweep_dir / j.job) if write else None,
            j.config,
            plan.network,
        )
        for j in pending
    ]
    n_jobs = max(1, min(n_jobs or os.cpu_count() or 1, len(specs) or 1))
    bar = Progress(len(specs), "sweep") if progress and specs else None
    summaries: dict[str, dict[str, Any]] = {}
    if n_jobs == 1:
        outcomes = map(run_job, specs)
    else:
        pin_threads()
        parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
        outcomes = parallel(delayed(run_job)(s) for s in specs)
    for summary in outcomes:
        summaries[summary["job"]] = summary
        if bar:
            bar.update()
    return summaries


def execute(
    plan: SweepPlan,
    *,
    hydra_launcher: bool = True,
    n_jobs: int | None = None,
    write: bool = True,
    progress: bool = True,
    announce: Callable[[str], object] | None = None,
) -> SweepOutcome:
    """Run the plan's jobs that are not done yet and build the per-job table.

    With `write` (always, through a Hydra launcher) every job writes its folder under
    the sweep folder and the tables are built from those folders; otherwise the jobs
    run in memory (the API without an output folder).
    """
    began = time.perf_counter()
    valid = [j for j in plan.jobs if j.error is None]
    summaries: dict[str, dict[str, Any]] = {}
    if write:
        plan.sweep_dir.mkdir(parents=True, exist_ok=True)
        write_plan(plan)
        _record_invalid(plan)
        pending = [j for j in valid if not is_done(j, plan.sweep_dir)]
    else:
        pending = valid
    if announce:
        done = len(valid) - len(pending)
        how = plan.launcher if hydra_launcher else f"{n_jobs or os.cpu_count() or 1} local workers"
        announce(
            f"sweep: {len(plan.jobs)} jobs ({len(plan.invalid)} invalid, {done} already done, "
            f"{len(pending)} to run on {how}) in {plan.sweep_dir}"
        )
    launch_error = None
    if pending and hydra_launcher:
        launch_error = launch(plan, pending, progress)
    elif pending:
        summaries = _run_local(plan, pending, n_jobs, write, progress)
    if write:
        if launch_error:
            _record_unfinished(plan, pending, launch_error)
        table = collect(plan.sweep_dir)
    else:
        for job in plan.invalid:
            summaries[job.job] = {**failed_summary(None, job.error or "invalid"), "seed": None}
        table = job_table(plan_rows(plan), plan.swept, summaries)
    failed = table.loc[table["status"] != "ok", "job"].tolist()
    return SweepOutcome(
        table, len(pending), len(valid) - len(pending), time.perf_counter() - began, failed
    )


def _record_unfinished(plan: SweepPlan, pending: list[PlannedJob], error: str) -> None:
    """Jobs the launcher never finished say why in their own folders."""
    for job in pending:
        summary, _ = read_summary(plan.sweep_dir / job.job / "summary.json")
        if summary and summary.get("config_hash") == job.config_hash:
            continue
        record = failed_summary(job.config, error)
        record.update(job=job.job, overrides=job.overrides)
        atomic_write_json(plan.sweep_dir / job.job / "summary.json", record)


# ---------------------------------------------------------------- the tables


def plan_rows(plan: SweepPlan) -> list[dict[str, Any]]:
    return [{"job": j.job, "values": j.values} for j in plan.jobs]


def job_table(
    jobs: list[dict[str, Any]], swept: list[str], summaries: dict[str, dict[str, Any] | str]
) -> pd.DataFrame:
    """One row a job: ``job``, the swept keys, ``seed``, ``status``, ``error``, the KPIs.

    `summaries` maps a job to its summary, or to the reason it has none.
    """
    keys = [k for k in swept if k != "seed"]
    rows = []
    for job in jobs:
        summary = summaries.get(job["job"], "no summary.json: the job did not finish")
        if isinstance(summary, str):
            summary = {"status": "failed", "error": summary, "kpis": {}}
        seed = summary.get("seed")
        if seed is None:
            seed = job["values"].get("seed")
        row = {"job": job["job"]}
        row.update({k: job["values"].get(k) for k in keys})
        row.update(seed=seed, status=summary.get("status"), error=summary.get("error"))
        row.update(summary.get("kpis") or {})
        rows.append(row)
    # METRICS, then every seller's own the jobs report (the sellers a market has)
    seen = dict.fromkeys(name for row in rows for name in row if is_metric(name))
    names = [*METRICS, *(name for name in seen if name not in METRICS)]
    table = pd.DataFrame(rows, columns=["job", *keys, "seed", "status", "error", *names])
    for key in keys:
        table[key] = _column(table[key])
    table["seed"] = pd.array(
        [None if pd.isna(s) or not str(s).lstrip("-").isdigit() else int(s) for s in table["seed"]],
        dtype="Int64",
    )
    table["status"] = table["status"].astype(str)
    table["error"] = table["error"].astype(object).where(table["error"].notna(), None)
    return table.astype({name: "float64" for name in names})


def _column(values: pd.Series) -> pd.Series:
    """Numbers stay numbers; anything mixed or structured becomes text (parquet-safe)."""
    plain = [v for v in values if v is not None]
    if plain and all(isinstance(v, bool) for v in plain):
        return values.astype("boolean")
    if plain and all(isinstance(v, int | float) and not isinstance(v, bool) for v in plain):
        return pd.to_numeric(values)
    return values.map(lambda v: None if v is None else str(v)).astype(object)


def read_plan(sweep_dir: Path) -> dict[str, Any]:
    """The sweep.json of a sweep folder (ConfigError when it is not a sweep folder)."""
    path = Path(sweep_dir) / PLAN_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{sweep_dir} is not a sweep folder: it has no {PLAN_FILE} "
            "(channelsim sweep writes one)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is unreadable: {exc}") from None


def collect(sweep_dir: Path) -> pd.DataFrame:
    """The per-job table from the job folders; writes summary.csv and summary.parquet."""
    sweep_dir = Path(sweep_dir)
    plan = read_plan(sweep_dir)
    summaries: dict[str, dict[str, Any] | str] = {}
    for job in plan["jobs"]:
        summary, problem = read_summary(sweep_dir / job["job"] / "summary.json")
        summaries[job["job"]] = summary if summary is not None else str(problem)
    table = job_table(plan["jobs"], plan["swept"], summaries)
    atomic_write_text(sweep_dir / "summary.csv", table.to_csv(index=False))
    atomic_write_parquet(sweep_dir / "summary.parquet", table)
    return table
