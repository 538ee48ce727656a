"""Policy optimisation: Hydra's Optuna sweeper searches declared lever ranges for the
policy with the best KPI, averaged over several seeds a trial.

A named experiment (``experiment=optimize_policy``) declares the search space in
``hydra.sweeper.params`` (``interval(lo,hi)``, ``choice(...)``, ``range(...)``), the
budget in ``hydra.sweeper.n_trials`` and the objective in ``optimize:``. Every trial
runs the model at seeds ``seed .. seed+optimize.seeds-1`` (the same seeds in every
trial, so trials differ by their levers, not their luck) into its own folder,
``trials/N``, and returns

    mean(KPI) - penalty * max(0, floor - mean(floor KPI))

since the sweeper's samplers take no constraints. The study lives in ``study.db``
(SQLite) in the output folder. The sweeper adds ``n_trials`` trials on every start, so
a rerun into the same folder is told how many are left of the budget: trials a
killed start left running are marked failed and not counted, and the sampler's seed
moves on with the study, so a resumed study does not repeat its first proposals.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from channelsim.config.compose import (
    check_overrides,
    compose,
    hydra_initialized,
    one_line,
    parse_overrides,
    quote,
    search_path,
)
from channelsim.config.schema import ChannelConfig, OptimizeSpec
from channelsim.config.validate import ConfigError, check_value, schema_rows
from channelsim.experiment.batch import Progress, pin_threads
from channelsim.experiment.io import (
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
)
from channelsim.experiment.run import config_hash, version
from channelsim.experiment.studies import (
    check_resume,
    check_section,
    experiment_of,
    folder_lock,
    override_key,
    split_overrides,
    study_config,
)
from channelsim.experiment.sweep import (
    HYDRA_DEFAULTS,
    JobSpec,
    PlannedJob,
    _watch,
    run_job,
)
from channelsim.model import METRICS

DEFAULT_EXPERIMENT = "optimize_policy"
STUDY_FILE = "study.db"
PLAN_FILE = "optimize.json"
TRIALS = "trials"
POLICY = "best_policy"
INTERRUPTED = "interrupted"


# sweeper settings channelsim sets itself, and why
OWN_SETTINGS = {
    "hydra.sweeper.direction": "channelsim maximises the objective (optimize.kpi)",
    "hydra.sweeper.sampler.seed": "the sampler's seed comes from seed, moved on with the study",
    "hydra.sweeper.max_failure_rate": "a failed trial never stops the study",
}


class TrialFailed(Exception):
    """A trial whose runs failed: the sweeper records it as a failed trial."""


@dataclass
class OptimizePlan:
    """A validated optimisation: its search space, budget, objective and folder."""

    experiment: str
    arguments: list[str]  # the task overrides every trial gets (fixed and swept)
    fixed: list[str]  # the task overrides that are not searched
    hydra_overrides: list[str]
    config_dir: str | None
    out_dir: Path
    space: dict[str, str]  # key -> the sweep's text, e.g. interval(0.0, 0.08)
    budget: int
    batch: int
    spec: OptimizeSpec
    seed: int
    launcher: str
    base: ChannelConfig

    @property
    def study_name(self) -> str:
        return self.experiment


@dataclass
class OptimizeOutcome:
    """What an optimisation left: every trial, the best one, and what this start ran."""

    trials: pd.DataFrame
    best: dict[str, Any] | None
    summary: dict[str, Any]
    out_dir: Path


def require_optuna() -> None:
    """One line, not a traceback, when the `optuna` extra is missing."""
    # optuna 2.10 (the sweeper's pin) runs on SQLAlchemy 1.4 and says so on import
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    try:
        import hydra_plugins.hydra_optuna_sweeper  # noqa: F401
        import optuna  # noqa: F401
    except ImportError:
        raise ConfigError(
            "channelsim optimize needs the optuna extra: pip install 'channelsim[optuna]'"
        ) from None


# ---------------------------------------------------------------- planning


def check_space(space: dict[str, str]) -> None:
    """Every searched key is a lever or market parameter, searched within its range."""
    rows = schema_rows()
    if not space:
        raise ConfigError("hydra.sweeper.params: the search space is empty; declare a lever")
    for key, text in space.items():
        if key not in rows or not key.startswith(("strategy.", "market.")):
            raise ConfigError(
                f"hydra.sweeper.params: {key!r} is not allowed: search strategy.* levers "
                "or market.* parameters (channelsim levers lists them)"
            )
        (o,) = parse_overrides([f"{key}={text}"])
        if not o.is_sweep_override():
            continue
        if o.is_interval_sweep():
            lo, hi = o.value().start, o.value().end
            for end in (lo, hi):
                check_value(key, end, rows[key])
            if not lo < hi:
                raise ConfigError(
                    f"{key}={text} is not allowed: the low end must be below the high"
                )
        else:
            for value in o.sweep_iterator():
                check_value(key, value, rows[key])


def check_spec(spec: OptimizeSpec) -> None:
    for name, kpi in (("optimize.kpi", spec.kpi), ("optimize.floor_kpi", spec.floor_kpi)):
        if kpi not in METRICS:
            raise ConfigError(f"{name}={kpi!r} is not allowed: one of {', '.join(METRICS)}")
    if spec.seeds < 1:
        raise ConfigError(f"optimize.seeds={spec.seeds} is not allowed: expected an integer >= 1")
    if not spec.penalty >= 0 or math.isinf(spec.penalty):
        raise ConfigError(f"optimize.penalty={spec.penalty} is not allowed: expected a number >= 0")


def _ends(space: dict[str, str]) -> list[list[str]]:
    """Overrides at the low and the high end of every searched range."""
    lows, highs = [], []
    for key, text in space.items():
        (o,) = parse_overrides([f"{key}={text}"])
        if not o.is_sweep_override():
            lows.append(f"{key}={text}")
            highs.append(f"{key}={text}")
        elif o.is_interval_sweep():
            lows.append(f"{key}={o.value().start!r}")
            highs.append(f"{key}={o.value().end!r}")
        else:
            values = list(o.sweep_string_iterator())
            lows.append(f"{key}={values[0]}")
            highs.append(f"{key}={values[-1]}")
    return [lows, highs]


def plan_optimize(overrides: list[str], config_dir: str | None = None) -> OptimizePlan:
    """Validate an optimisation without running anything.

    Raises:
        ConfigError: a bad override, lever range or objective (one line).
    """
    require_optuna()
    if config_dir:
        config_dir = str(Path(config_dir).resolve())
    hydra, experiment, own, task = split_overrides(list(overrides), "optimize")
    experiment = experiment_of(experiment, DEFAULT_EXPERIMENT, config_dir)
    name = experiment[0].split("=", 1)[1]
    for o in hydra:
        if override_key(o) in ("hydra.sweeper.storage", "hydra.sweeper.study_name"):
            raise ConfigError(
                f"{override_key(o)}: the study is the output folder's study.db; "
                "choose the folder with hydra.sweep.dir=PATH"
            )
        if override_key(o) == "hydra/sweeper":
            raise ConfigError(f"{o}: channelsim optimize runs Hydra's Optuna sweeper")
        if override_key(o) in OWN_SETTINGS:
            raise ConfigError(f"{o}: {OWN_SETTINGS[override_key(o)]}")
    chosen = {override_key(o) for o in hydra}
    hydra += [f"{g}={v}" for g, v in HYDRA_DEFAULTS.items() if g not in chosen]
    fixed = [o for o in task if not parse_overrides([o])[0].is_sweep_override()]
    check_overrides(fixed, config_dir)
    check_section(own, OptimizeSpec, "optimize")
    primary = study_config(
        hydra + experiment + own + fixed, config_dir, section="optimize", expected="optuna"
    )
    try:
        spec = OptimizeSpec(**OmegaConf.to_container(primary.optimize, resolve=True))
    except Exception as exc:
        raise ConfigError(f"optimize: {one_line(exc)}") from None
    check_spec(spec)
    sweeper = primary.hydra.sweeper
    if "seed" not in sweeper.sampler:
        sampler = primary.hydra.runtime.choices.get("hydra/sweeper/sampler")
        raise ConfigError(
            f"hydra/sweeper/sampler={sampler} is not allowed: channelsim seeds the sampler "
            "from seed; one of tpe, random, cmaes, nsgaii, motpe"
        )
    space = {str(k): str(v) for k, v in (sweeper.get("params") or {}).items()}
    for o in task:
        if parse_overrides([o])[0].is_sweep_override():
            key, _, text = o.partition("=")
            space[key] = text
    space = {k: v for k, v in space.items() if k not in {override_key(f) for f in fixed}}
    check_space(space)
    if int(sweeper.n_trials) < 1 or int(sweeper.n_jobs) < 1:
        raise ConfigError("hydra.sweeper.n_trials and hydra.sweeper.n_jobs: expected integers >= 1")
    base = compose(experiment + fixed, config_dir)
    if base.market.kind != "channel":
        raise ConfigError(
            f"market={base.market.name} is a textbook pricing market: optimisation covers the "
            "channel market"
        )
    for ends in _ends(space):
        compose(experiment + fixed + ends, config_dir)
    try:
        out_dir = Path(str(primary.hydra.sweep.dir)).resolve()
    except Exception as exc:
        raise ConfigError(f"hydra.sweep.dir: {one_line(exc)}") from None
    return OptimizePlan(
        experiment=name,
        arguments=experiment + own + task,
        fixed=experiment + fixed,
        hydra_overrides=hydra,
        config_dir=config_dir,
        out_dir=out_dir,
        space=space,
        budget=int(sweeper.n_trials),
        batch=int(sweeper.n_jobs),
        spec=spec,
        seed=base.seed,
        launcher=str(primary.hydra.runtime.choices.get("hydra/launcher", "basic")),
        base=base,
    )


# ---------------------------------------------------------------- one trial


def objective(spec: OptimizeSpec, kpi_mean: float, floor_mean: float) -> tuple[float, float]:
    """The trial's value and the penalty in it."""
    shortfall = 0.0 if spec.floor is None else max(0.0, spec.floor - floor_mean)
    penalty = spec.penalty * shortfall
    return kpi_mean - penalty, penalty


def evaluate_trial(
    number: int,
    overrides: list[str],
    config_dir: str | None,
    spec: OptimizeSpec,
    out_dir: Path,
    params: dict[str, Any],
) -> float:
    """Run one trial's seeds into `out_dir`; write its summary; return its value.

    Raises:
        TrialFailed: a run failed (its folder and the trial's summary say why).
    """
    began = time.perf_counter()
    summary: dict[str, Any] = {
        "status": "ok",
        "error": None,
        "trial": number,
        "params": params,
        "overrides": overrides,
        "version": version(),
    }
    try:
        config = compose(overrides, config_dir)
        runs = []
        for i in range(spec.seeds):
            seeded = dataclasses.replace(config, seed=config.seed + i)
            job = JobSpec(
                f"seed_{seeded.seed}",
                tuple(overrides),
                config_dir,
                str(out_dir / f"seed_{seeded.seed}"),
                seeded,
                network=False,  # many trials of several runs: no network files
            )
            runs.append(run_job(job))
        failed = [r for r in runs if r["status"] != "ok"]
        if failed:
            raise TrialFailed(f"seed {failed[0]['seed']}: {failed[0]['error']}")
        values = [r["kpis"][spec.kpi] for r in runs]
        floors = [r["kpis"][spec.floor_kpi] for r in runs]
        if any(v is None for v in values + floors):
            raise TrialFailed(f"{spec.kpi} or {spec.floor_kpi} is undefined in a run")
        kpi_mean = sum(values) / len(values)
        floor_mean = sum(floors) / len(floors)
        value, penalty = objective(spec, kpi_mean, floor_mean)
        summary.update(
            seeds=[r["seed"] for r in runs],
            config_hash=config_hash(config),
            kpi=spec.kpi,
            kpi_values=values,
            kpi_mean=kpi_mean,
            floor_kpi=spec.floor_kpi,
            floor_mean=floor_mean,
            penalty=penalty,
            objective=value,
        )
        return value
    except Exception as exc:
        message = (
            str(exc)
            if isinstance(exc, (ConfigError, TrialFailed))
            else (f"{type(exc).__name__}: {exc}".splitlines()[0])
        )
        summary.update(status="failed", error=message)
        atomic_write_text(out_dir / "error.log", traceback.format_exc())
        raise TrialFailed(message) from None
    finally:
        summary["runtime_s"] = round(time.perf_counter() - began, 4)
        atomic_write_json(out_dir / "summary.json", summary)


@dataclass(frozen=True)
class TrialTask:
    """The task function the launcher's workers call: one trial in its own folder."""

    config_dir: str | None
    spec: OptimizeSpec
    space: tuple[str, ...]

    def __call__(self, cfg: DictConfig) -> float:
        hc = HydraConfig.get()
        overrides = [o for o in hc.overrides.task if not override_key(o).startswith("optimize")]
        params = {}
        for o in parse_overrides(overrides):
            if o.get_key_element() in self.space:
                params[o.get_key_element()] = o.value()
        return evaluate_trial(
            int(hc.job.num),
            overrides,
            self.config_dir,
            self.spec,
            Path(hc.runtime.output_dir),
            params,
        )


# ---------------------------------------------------------------- the study


def _plan_record(plan: OptimizePlan) -> dict[str, Any]:
    return {
        "experiment": plan.experiment,
        "space": plan.space,
        "fixed": plan.fixed,
        "spec": dataclasses.asdict(plan.spec),
        "seed": plan.seed,
        "base_config_hash": config_hash(plan.base),
        "config_dir": plan.config_dir,
    }


def _check_same_study(plan: OptimizePlan) -> None:
    """A rerun into a folder resumes its study only for the same search and objective."""
    what = {
        "experiment": "experiment",
        "space": "search space",
        "spec": "objective (optimize.*)",
        "seed": "seed",
        "base_config_hash": "market, strategy or fixed overrides",
    }
    check_resume(plan.out_dir / PLAN_FILE, _plan_record(plan), what, "a study", plan.out_dir)


def storage_url(out_dir: Path) -> str:
    return f"sqlite:///{out_dir / STUDY_FILE}"


def open_study(plan: OptimizePlan):
    """The study in the output folder, with trials a killed start left running failed."""
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=plan.study_name,
        storage=storage_url(plan.out_dir),
        direction="maximize",
        load_if_exists=True,
    )
    storage = study._storage
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_user_attr(trial._trial_id, INTERRUPTED, True)
        storage.set_trial_state(trial._trial_id, TrialState.FAIL)
    return study


def trials_done(study) -> int:
    """Trials that count against the budget: finished, or failed by their own runs."""
    from optuna.trial import TrialState

    return sum(
        t.state == TrialState.COMPLETE
        or (t.state == TrialState.FAIL and not t.user_attrs.get(INTERRUPTED))
        for t in study.get_trials(deepcopy=False)
    )


def _launch(plan: OptimizePlan, first: int, count: int, progress: bool) -> str | None:
    """Run `count` more trials through Hydra's Optuna sweeper; its error, if it failed."""
    from hydra._internal.callbacks import Callbacks
    from hydra.core.plugins import Plugins
    from hydra.types import HydraContext

    overrides = [
        *plan.hydra_overrides,
        f"hydra.sweep.dir={quote(str(plan.out_dir))}",
        f"hydra.sweep.subdir={TRIALS}/${{hydra.job.num}}",
        f"hydra.sweeper.n_trials={count}",
        f"hydra.sweeper.storage={quote(storage_url(plan.out_dir))}",
        f"hydra.sweeper.study_name={quote(plan.study_name)}",
        "hydra.sweeper.direction=maximize",
        "hydra.sweeper.max_failure_rate=1.0",
        f"hydra.sweeper.sampler.seed={plan.seed + first}",
    ]
    composing = overrides + plan.arguments  # a multirun compose leaves the sweeps out
    task = TrialTask(plan.config_dir, plan.spec, tuple(plan.space))
    pin_threads()
    error = None
    with hydra_initialized() as hydra:
        from hydra.types import RunMode

        primary = hydra.compose_config(
            "config",
            overrides=composing + search_path(plan.config_dir),
            run_mode=RunMode.MULTIRUN,
            with_log_configuration=False,
        )
        callbacks = Callbacks(primary)
        sweeper = Plugins.instance().instantiate_sweeper(
            config=primary,
            hydra_context=HydraContext(config_loader=hydra.config_loader, callbacks=callbacks),
            task_function=task,
        )
        sweeper.sweeper.job_idx = first  # trial N runs in trials/N, across restarts
        stop = threading.Event()
        watcher = None
        if progress:
            bar = Progress(count, f"optimize ({plan.launcher})")
            jobs = [PlannedJob(f"{TRIALS}/{n}", [], {}) for n in range(first, first + count)]
            watcher = threading.Thread(
                target=_watch,
                args=(plan.out_dir, jobs, time.time() - 1.0, bar, stop),
                daemon=True,
            )
            watcher.start()
        try:
            sweeper.sweep(arguments=list(plan.arguments))
        except Exception as exc:  # the sweeper or its launcher failed as a whole
            error = f"the Optuna sweeper failed: {one_line(exc)}"
        finally:
            stop.set()
            if watcher is not None:
                watcher.join()
    return error


def run_optimize(plan: OptimizePlan, progress: bool = True, announce=None) -> OptimizeOutcome:
    """Run the study up to its budget; write its trials table, best policy and summary
    (the report and figure: `channelsim.analysis.decision.write_optimize_report`)."""
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    with folder_lock(plan.out_dir, "channelsim optimize"):
        return _run(plan, progress, announce)


def _run(plan: OptimizePlan, progress: bool, announce) -> OptimizeOutcome:
    began = time.perf_counter()
    _check_same_study(plan)
    atomic_write_json(plan.out_dir / PLAN_FILE, _plan_record(plan))
    study = open_study(plan)
    done = trials_done(study)
    left = max(0, plan.budget - done)
    first = len(study.trials)
    if announce:
        announce(
            f"optimize: {plan.experiment}, {len(plan.space)} lever{'s' * (len(plan.space) != 1)}, "
            f"budget {plan.budget} "
            f"trials ({done} done, {left} to run on {plan.launcher}, {plan.spec.seeds} seeds "
            f"each) in {plan.out_dir}"
        )
    error = _launch(plan, first, left, progress) if left else None
    study = open_study(plan)
    trials = trials_table(study, plan)
    best = best_trial(study, trials)
    summary: dict[str, Any] = {
        "status": "ok" if best is not None and error is None else "failed",
        "error": error or (None if best is not None else "no trial finished"),
        "experiment": plan.experiment,
        "seed": plan.seed,
        "seeds": list(range(plan.seed, plan.seed + plan.spec.seeds)),
        "objective": dataclasses.asdict(plan.spec),
        "space": plan.space,
        "budget": plan.budget,
        "trials": len(trials),
        "trials_done": trials_done(study),
        "trials_run_now": left,
        "trials_failed": int((trials["state"] == "FAIL").sum()),
        "best": best,
        "policy": None,
        "version": version(),
        "runtime_s": None,
    }
    atomic_write_text(plan.out_dir / "trials.csv", trials.to_csv(index=False))
    atomic_write_parquet(plan.out_dir / "trials.parquet", trials)
    if best is not None:
        try:
            summary["policy"] = str(write_policy(plan, best))
        except ConfigError as exc:  # the summary still says what happened
            summary.update(status="failed", error=f"the best policy cannot be written: {exc}")
    summary["runtime_s"] = round(time.perf_counter() - began, 3)
    atomic_write_json(plan.out_dir / "summary.json", summary)
    return OptimizeOutcome(trials, best, summary, plan.out_dir)


def trials_table(study, plan: OptimizePlan) -> pd.DataFrame:
    """One row a trial: number, state, value, the searched levers, what its runs gave."""
    keys = list(plan.space)
    rows = []
    for t in study.get_trials(deepcopy=False):
        folder = plan.out_dir / TRIALS / str(t.number)
        try:
            record = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
        error = record.get("error")
        if t.user_attrs.get(INTERRUPTED):
            error = "interrupted: the start that ran it was stopped"
        row = {"trial": t.number, "state": t.state.name, "objective": t.value}
        row.update({k: t.params.get(k) for k in keys})
        row.update(
            {
                plan.spec.kpi: record.get("kpi_mean"),
                plan.spec.floor_kpi: record.get("floor_mean"),
                "penalty": record.get("penalty"),
                "error": error,
                "folder": f"{TRIALS}/{t.number}",
            }
        )
        rows.append(row)
    columns = ["trial", "state", "objective", *keys, plan.spec.kpi, plan.spec.floor_kpi]
    columns = list(dict.fromkeys([*columns, "penalty", "error", "folder"]))
    table = pd.DataFrame(rows, columns=columns)
    table["objective"] = table["objective"].astype("float64")
    table["best_so_far"] = table["objective"].cummax()
    return table


def best_trial(study, trials: pd.DataFrame) -> dict[str, Any] | None:
    """The finished trial with the highest value, with its levers as Optuna typed them
    (an integer lever stays an integer)."""
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    best = study.best_trial
    return {
        "trial": best.number,
        "objective": float(best.value),
        "params": {k: best.params[k] for k in trials.columns if k in best.params},
        "folder": f"{TRIALS}/{best.number}",
    }


def write_policy(plan: OptimizePlan, best: dict[str, Any]) -> Path:
    """The best trial's strategy as a preset: ``strategy/best_policy.yaml`` in the folder,
    for ``channelsim run --config-dir FOLDER strategy=best_policy``."""
    levers = [f"{k}={v!r}" for k, v in best["params"].items() if k.startswith("strategy.")]
    config = compose(plan.fixed + levers, plan.config_dir)
    preset = dataclasses.asdict(config.strategy)
    preset["name"] = POLICY
    given = [o for o in plan.fixed if override_key(o) not in ("experiment", "market", "steps")]
    found_on = [f"market={config.market.name}", f"steps={config.steps}", *given]
    found_on += [f"{k}={v}" for k, v in best["params"].items() if k.startswith("market.")]
    lines = [
        f"# The best policy of {plan.experiment} (trial {best['trial']}): "
        f"{plan.spec.kpi} objective {best['objective']:.6g}",
        "# averaged over seeds "
        + ", ".join(map(str, range(plan.seed, plan.seed + plan.spec.seeds))),
        "# searched: "
        + ", ".join(
            f"{k} = {v:.6g}" if isinstance(v, float) else f"{k} = {v}"
            for k, v in best["params"].items()
        ),
        "# found on: " + " ".join(found_on),
        f"# run it:   channelsim run --config-dir {plan.out_dir} strategy={POLICY}",
    ]
    path = plan.out_dir / "strategy" / f"{POLICY}.yaml"
    atomic_write_text(path, "\n".join(lines) + "\n" + yaml.safe_dump(preset, sort_keys=False))
    return path
