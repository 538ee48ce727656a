"""Policy optimisation: Optuna searches declared lever ranges for the policy with the
best KPI, averaged over several seeds a trial.

A named experiment (``experiment=optimize_policy``) declares everything in its
``optimize:`` section: the search space in ``params`` (``interval(lo,hi)``,
``choice(...)``, ``range(...)``), the budget in ``n_trials``, the trials run at a time in
``n_jobs``, the sampler and the objective. Every trial runs the model at seeds
``seed .. seed+optimize.seeds-1`` (the same seeds in every trial, so trials differ by
their levers, not their luck) into its own folder, ``trials/N`` (N the Optuna trial
number), and returns

    mean(KPI) - penalty * max(0, floor - mean(floor KPI))

since the samplers take no constraints.

The main process asks the sampler for ``n_jobs`` trials, runs them on as many local
worker processes (the model is pure Python, so threads would take turns) and tells
each value as it comes; then it asks again. The sampler is seeded afresh for every
such batch from ``seed`` and the number of trials already in the study, so a fresh
study is the same study from the same seed, and a resumed one does not repeat its
first proposals.

The study lives in ``study.db`` (SQLite) in the output folder, held by one start at a
time; trials a killed start left running are failed there and not counted.
``optimize.storage`` (``journal:PATH`` or an RDB URL) shares the study between
processes on one machine or several, each started with the same command: each asks,
runs and tells its own trials until the study's counted trials reach ``n_trials``,
then waits for the others' last trials, so every process ends with the whole table.
How the budget holds across processes (a trial asked beyond it is given back, a trial
whose process stopped is failed and run again) is in `channelsim.experiment.budget`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from omegaconf import OmegaConf

from channelsim.config.compose import (
    check_overrides,
    compose,
    experiment_files,
    moved_key,
    one_line,
    parse_overrides,
    quote,
    with_values,
)
from channelsim.config.schema import ChannelConfig, OptimizeSpec
from channelsim.config.validate import ConfigError, check_value, listed, schema_rows
from channelsim.experiment.batch import Progress
from channelsim.experiment.budget import ERROR, tabled, trials_done
from channelsim.experiment.io import (
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
)
from channelsim.experiment.run import config_hash, version
from channelsim.experiment.search import (
    StudyPlan,
    TrialResult,
    check_storage,
    open_study,
    require_optuna,
    search,
    shown_storage,
)
from channelsim.experiment.studies import (
    check_resume,
    check_section,
    experiment_of,
    folder_lock,
    override_key,
    split_overrides,
    study_config,
)
from channelsim.experiment.sweep import JobSpec, run_job
from channelsim.metrics import METRICS, check_sellers_metrics, is_metric
from channelsim.models import refusal

DEFAULT_EXPERIMENT = "optimize_policy"
PLAN_FILE = "optimize.json"
TRIALS = "trials"
POLICY = "best_policy"
SAMPLERS = ("tpe", "random")
OBJECTIVE_KEYS = ("kpi", "seeds", "floor_kpi", "floor", "penalty")


# where the settings of Hydra's Optuna sweeper and its launcher went
MOVED = {
    "hydra/sweeper": (
        "channelsim optimize runs Optuna itself; use optimize.params, optimize.n_trials "
        "and optimize.n_jobs"
    ),
    "hydra/sweeper/sampler": "use optimize.sampler (tpe or random)",
    "hydra.sweeper": (
        "use optimize.* (params, n_trials, n_jobs, sampler, n_startup_trials, storage)"
    ),
    "hydra.sweeper.params": (
        "use optimize.params in the experiment file, or KEY=interval(lo,hi) on the command line"
    ),
    "hydra.sweeper.n_trials": "use optimize.n_trials",
    "hydra.sweeper.n_jobs": "use optimize.n_jobs",
    "hydra.sweeper.sampler": "use optimize.sampler (tpe or random)",
    "hydra.sweeper.sampler.n_startup_trials": "use optimize.n_startup_trials",
    "hydra.sweeper.sampler.seed": "the sampler is seeded from seed",
    "hydra.sweeper.storage": "use optimize.storage",
    "hydra.sweeper.study_name": (
        "the study is named after the experiment; choose where it lives with optimize.storage"
    ),
    "hydra.sweeper.direction": "channelsim maximises the objective (optimize.kpi)",
    "hydra.sweeper.max_failure_rate": "a failed trial never stops the study",
    "hydra/launcher": (
        "use optimize.n_jobs (trials at a time on this machine); on several machines, start "
        "channelsim optimize on each with one optimize.storage"
    ),
    "hydra.launcher": "use optimize.n_jobs (trials at a time on this machine)",
}


class TrialFailed(Exception):
    """A trial whose runs failed: it is told to the study as a failed trial."""


@dataclass
class OptimizePlan(StudyPlan):
    """A validated optimisation: its search space, budget, objective, folder and study."""

    experiment: str
    fixed: list[str]  # the overrides every trial's config is composed from
    config_dir: str | None
    out_dir: Path
    space: dict[str, str]  # key -> the range's text, e.g. interval(0.0, 0.08)
    distributions: dict[str, Any]  # key -> the Optuna distribution it is searched in
    spec: OptimizeSpec
    seed: int
    base: ChannelConfig
    storage: str | None  # optimize.storage, a journal's path made absolute

    section = "optimize"  # its config section, in messages
    direction = "maximize"

    @property
    def budget(self) -> int:
        return self.spec.n_trials

    def sampler(self, seed: int) -> Any:
        return make_sampler(self.spec, seed)

    def task(self, trial: Any) -> TrialTask:
        return trial_task(self, trial)

    def runner(self) -> Callable[[TrialTask], TrialResult]:
        return run_trial

    def record(self) -> dict[str, Any]:
        return _plan_record(self)

    @property
    def same_study(self) -> dict[str, str]:
        return SAME_STUDY


@dataclass
class OptimizeOutcome:
    """What an optimisation left: every trial, the best one, and what this start ran."""

    trials: pd.DataFrame
    best: dict[str, Any] | None
    summary: dict[str, Any]
    out_dir: Path


@dataclass(frozen=True)
class TrialTask:
    """One trial as a worker process runs it: its levers on the base config."""

    number: int
    params: dict[str, Any]
    overrides: tuple[str, ...]  # the trial's config as overrides, for its summary
    base: ChannelConfig
    spec: OptimizeSpec
    out_dir: str


# ---------------------------------------------------------------- planning


def moved(key: str) -> str | None:
    """What replaced a setting of Hydra's Optuna sweeper or launcher, as one line."""
    for old in sorted(MOVED, key=len, reverse=True):
        if key == old or key.startswith((old + ".", old + "/")):
            return f"{key} is gone: {MOVED[old]}"
    return None


def refuse_sweeper_keys(hydra: list[str]) -> None:
    """Settings of the Optuna sweeper and launcher channelsim optimize once ran on."""
    for o in hydra:
        message = moved(override_key(o))
        if message:
            raise ConfigError(message)


def _sweeper_keys(node: dict[str, Any], prefix: str = "hydra.sweeper") -> Iterator[str]:
    for key, value in node.items():
        if isinstance(value, dict) and key == "sampler":
            yield from _sweeper_keys(value, f"{prefix}.{key}")
        else:
            yield f"{prefix}.{key}"


def refuse_sweeper_experiment(name: str, config_dir: str | None) -> None:
    """An experiment file written for the Optuna sweeper names what replaced its keys."""
    for path in experiment_files(name, config_dir):
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(body, dict):
            continue
        defaults = [str(d) for d in body.get("defaults") or []]
        if any("hydra/sweeper" in d for d in defaults):
            raise ConfigError(f"experiment={name} ({path}): {moved('hydra/sweeper')}")
        hydra = body.get("hydra")
        sweeper = hydra.get("sweeper") if isinstance(hydra, dict) else None
        left = next(_sweeper_keys(sweeper), None) if isinstance(sweeper, dict) else None
        if "optimize" in body and left:  # a grid sweep's hydra.sweeper.params stays
            raise ConfigError(f"experiment={name} ({path}): {moved(left)}")


def _interval(key: str, text: str, sweep: Any, row: dict[str, Any]) -> Any:
    from optuna.distributions import FloatDistribution, IntDistribution

    lo, hi = sweep.start, sweep.end
    log = "log" in sweep.tags
    if row["type"] == "int":
        if not (float(lo).is_integer() and float(hi).is_integer()):
            raise ConfigError(f"{key}={text} is not allowed: {key} takes whole numbers")
        lo, hi = int(lo), int(hi)
    for end in (lo, hi):
        check_value(key, end, row)
    if not lo < hi:
        raise ConfigError(f"{key}={text} is not allowed: the low end must be below the high")
    if log and lo <= 0:
        raise ConfigError(f"{key}={text} is not allowed: a log interval starts above 0")
    if row["type"] == "int":
        return IntDistribution(lo, hi, log=log)
    return FloatDistribution(lo, hi, log=log)


def distribution(key: str, text: str, row: dict[str, Any]) -> Any:
    """The Optuna distribution of one searched key, its values checked against the schema.

    ``range(start, stop, step)`` leaves out `stop`, as in a sweep.
    """
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    (o,) = parse_overrides([f"{key}={text}"])
    if not o.is_sweep_override():
        raise ConfigError(
            f"optimize.params: {key}={text} is not a search range: expected interval(lo,hi), "
            "choice(a,b,...) or range(start,stop,step); fixed values go in the strategy "
            "or market section"
        )
    if o.is_interval_sweep():
        return _interval(key, text, o.value(), row)
    values = [getattr(v, "text", v) for v in o.sweep_iterator()]  # quoted strings unquoted
    if not values:
        raise ConfigError(f"{key}={text} is not allowed: it has no values")
    values = [check_value(key, v, row) for v in values]
    if not o.is_range_sweep() or len(values) < 2:
        return CategoricalDistribution(values)
    step = abs(o.value().step)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return IntDistribution(min(values), max(values), step=step)
    return FloatDistribution(min(values), max(values), step=step)


def search_space(space: dict[str, str]) -> dict[str, Any]:
    """Every searched key is a lever or market parameter, searched within its range."""
    rows = schema_rows()
    if not space:
        raise ConfigError("optimize.params: the search space is empty; declare a lever")
    distributions = {}
    for key, text in space.items():
        if key not in rows or not key.startswith(("strategy.", "market.")):
            raise ConfigError(
                f"optimize.params: {key!r} is not allowed: search strategy.* levers "
                "or market.* parameters (channelsim levers lists them)"
            )
        distributions[key] = distribution(key, text, rows[key])
    return distributions


def check_spec(spec: OptimizeSpec) -> None:
    for name, kpi in (("optimize.kpi", spec.kpi), ("optimize.floor_kpi", spec.floor_kpi)):
        if not is_metric(kpi):
            raise ConfigError(listed(f"{name}={kpi!r} is not allowed: one of ", METRICS))
    for name in ("seeds", "n_trials", "n_jobs"):
        if getattr(spec, name) < 1:
            raise ConfigError(
                f"optimize.{name}={getattr(spec, name)} is not allowed: expected an integer >= 1"
            )
    if spec.n_startup_trials < 0:
        raise ConfigError(
            f"optimize.n_startup_trials={spec.n_startup_trials} is not allowed: "
            "expected an integer >= 0"
        )
    if not spec.penalty >= 0 or math.isinf(spec.penalty):
        raise ConfigError(f"optimize.penalty={spec.penalty} is not allowed: expected a number >= 0")
    if spec.sampler not in SAMPLERS:
        raise ConfigError(
            f"optimize.sampler={spec.sampler!r} is not allowed: one of {', '.join(SAMPLERS)}"
        )


def _ends(distributions: dict[str, Any]) -> list[dict[str, Any]]:
    """Values at the low and the high end of every searched range."""
    lows, highs = {}, {}
    for key, d in distributions.items():
        if hasattr(d, "choices"):
            lows[key], highs[key] = d.choices[0], d.choices[-1]
        else:
            lows[key], highs[key] = d.low, d.high
    return [lows, highs]


def plan_optimize(overrides: list[str], config_dir: str | None = None) -> OptimizePlan:
    """Validate an optimisation without running anything.

    Raises:
        ConfigError: a bad override, lever range or objective (one line).
    """
    require_optuna("optimize")
    if config_dir:
        config_dir = str(Path(config_dir).resolve())
    hydra, experiment, own, task = split_overrides(list(overrides), "optimize")
    refuse_sweeper_keys(hydra)
    experiment = experiment_of(experiment, DEFAULT_EXPERIMENT, config_dir)
    name = experiment[0].split("=", 1)[1]
    refuse_sweeper_experiment(name, config_dir)
    for o in own:
        if override_key(o).startswith("optimize.params"):
            raise ConfigError(
                f"{override_key(o)}: search another lever with KEY=interval(lo,hi) on the "
                "command line; optimize.params is declared in the experiment file"
            )
    check_section(own, OptimizeSpec, "optimize")
    searched = [o for o in task if parse_overrides([o])[0].is_sweep_override()]
    fixed = [o for o in task if o not in searched]
    check_overrides(fixed, config_dir)
    primary = study_config(hydra + experiment + own + fixed, config_dir, section="optimize")
    try:
        spec = OptimizeSpec(**OmegaConf.to_container(primary.optimize, resolve=True))
    except Exception as exc:
        raise ConfigError(f"optimize: {one_line(exc)}") from None
    if not spec.params:
        raise ConfigError(
            f"experiment={name} is not an optimisation: it declares no optimize.params "
            "(a sweep runs with channelsim sweep)"
        )
    check_spec(spec)
    storage = check_storage(spec.storage, "optimize")
    space = {moved_key(str(k)): str(v) for k, v in spec.params.items()}
    space.update(o.split("=", 1) for o in searched)
    space = {k: v for k, v in space.items() if k not in {override_key(f) for f in fixed}}
    distributions = search_space(space)
    base = compose(experiment + fixed, config_dir)
    refused = refusal(base.market, "optimize")
    if refused:
        raise ConfigError(refused)
    check_sellers_metrics(
        {"optimize.kpi": spec.kpi, "optimize.floor_kpi": spec.floor_kpi},
        list(base.market.sellers),
    )
    for values in _ends(distributions):
        with_values(base, values)
    try:
        out_dir = Path(str(primary.hydra.sweep.dir)).resolve()
    except Exception as exc:
        raise ConfigError(f"hydra.sweep.dir: {one_line(exc)}") from None
    return OptimizePlan(
        experiment=name,
        fixed=experiment + fixed,
        config_dir=config_dir,
        out_dir=out_dir,
        space=space,
        distributions=distributions,
        spec=spec,
        seed=base.seed,
        base=base,
        storage=storage,
    )


# ---------------------------------------------------------------- one trial


def objective(spec: OptimizeSpec, kpi_mean: float, floor_mean: float) -> tuple[float, float]:
    """The trial's value and the penalty in it."""
    shortfall = 0.0 if spec.floor is None else max(0.0, spec.floor - floor_mean)
    penalty = spec.penalty * shortfall
    return kpi_mean - penalty, penalty


def hydra_override(key: str, value: Any) -> str:
    """`key=value` as a Hydra override."""
    if isinstance(value, bool):
        return f"{key}={str(value).lower()}"
    if isinstance(value, str):
        return f"{key}={quote(value)}"
    return f"{key}={value!r}"


def evaluate_trial(task: TrialTask) -> float:
    """Run one trial's seeds into its folder; write its summary; return its value.

    Raises:
        TrialFailed: a run failed (its folder and the trial's summary say why).
    """
    began = time.perf_counter()
    spec, out_dir = task.spec, Path(task.out_dir)
    summary: dict[str, Any] = {
        "status": "ok",
        "error": None,
        "trial": task.number,
        "params": task.params,
        "overrides": list(task.overrides),
        "version": version(),
    }
    try:
        config = with_values(task.base, task.params)
        runs = []
        for i in range(spec.seeds):
            seeded = dataclasses.replace(config, seed=config.seed + i)
            job = JobSpec(
                f"seed_{seeded.seed}",
                task.overrides,
                None,
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
        if not math.isfinite(value):
            raise TrialFailed(f"the objective is {value}, not a finite number")
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


def run_trial(task: TrialTask) -> TrialResult:
    """A worker's job: one trial; never raises, a failure is in the result."""
    try:
        return TrialResult(task.number, evaluate_trial(task), None)
    except TrialFailed as exc:
        return TrialResult(task.number, None, str(exc))


# ---------------------------------------------------------------- the study


def _plan_record(plan: OptimizePlan) -> dict[str, Any]:
    return {
        "experiment": plan.experiment,
        "space": plan.space,
        "fixed": plan.fixed,
        "objective": objective_settings(plan.spec),
        "seed": plan.seed,
        "base_config_hash": config_hash(plan.base),
        "storage": shown_storage(plan.storage),
        "config_dir": plan.config_dir,
    }


# what makes a study: a rerun or another process with any of it changed is refused
SAME_STUDY = {
    "experiment": "experiment",
    "space": "search space",
    "objective": "objective (optimize.kpi, seeds, floor_kpi, floor, penalty)",
    "seed": "seed",
    "base_config_hash": "market, strategy or fixed overrides",
}


def objective_settings(spec: OptimizeSpec) -> dict[str, Any]:
    """The settings that make the objective (the rest may change on a resume)."""
    return {key: getattr(spec, key) for key in OBJECTIVE_KEYS}


def _check_same_study(plan: OptimizePlan) -> None:
    """A rerun into a folder resumes its study only for the same search and objective."""
    what = {**SAME_STUDY, "storage": "storage (optimize.storage)"}
    check_resume(plan.out_dir / PLAN_FILE, _plan_record(plan), what, "a study", plan.out_dir)


def make_sampler(spec: OptimizeSpec, seed: int) -> Any:
    import optuna

    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=spec.n_startup_trials)


def trial_task(plan: OptimizePlan, trial: Any) -> TrialTask:
    levers = [hydra_override(k, v) for k, v in trial.params.items()]
    return TrialTask(
        number=trial.number,
        params=dict(trial.params),
        overrides=(*plan.fixed, *levers),
        base=plan.base,
        spec=plan.spec,
        out_dir=str(plan.out_dir / TRIALS / str(trial.number)),
    )


def run_optimize(
    plan: OptimizePlan,
    progress: bool = True,
    announce: Callable[[str], object] | None = None,
) -> OptimizeOutcome:
    """Run the study up to its budget; write its trials table, best policy and summary
    (the report and figure: `channelsim.analysis.decision.write_optimize_report`).

    The folder's own study.db is held by one start at a time; a shared storage is not.
    """
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    held = nullcontext() if plan.shared else folder_lock(plan.out_dir, "channelsim optimize")
    with held:
        return _run(plan, progress, announce)


def _run(
    plan: OptimizePlan, progress: bool, announce: Callable[[str], object] | None
) -> OptimizeOutcome:
    began = time.perf_counter()
    _check_same_study(plan)
    atomic_write_json(plan.out_dir / PLAN_FILE, _plan_record(plan))
    study = open_study(plan)
    done = trials_done(study)
    left = max(0, plan.spec.n_trials - done)
    if announce:
        levers = f"{len(plan.space)} lever{'s' * (len(plan.space) != 1)}"
        where = f", study {shown_storage(plan.storage)}" if plan.shared else ""
        announce(
            f"optimize: {plan.experiment}, {levers}, budget {plan.spec.n_trials} trials "
            f"({done} done, {left} to run, {plan.spec.n_jobs} at a time, {plan.spec.seeds} "
            f"seeds each) in {plan.out_dir}{where}"
        )
    bar = Progress(left, f"optimize ({plan.spec.n_jobs} at a time)") if progress and left else None
    ran, error = search(study, plan, bar)
    if bar and bar.done < bar.total:  # other processes ran the rest: end the bar's line
        bar.total = bar.done
        bar.update(0)
    trials = trials_table(study, plan)
    best = best_trial(study, trials)
    summary: dict[str, Any] = {
        "status": "ok" if best is not None and error is None else "failed",
        "error": error or (None if best is not None else "no trial finished"),
        "experiment": plan.experiment,
        "seed": plan.seed,
        "seeds": list(range(plan.seed, plan.seed + plan.spec.seeds)),
        "objective": objective_settings(plan.spec),
        "sampler": plan.spec.sampler,
        "storage": shown_storage(plan.storage),
        "space": plan.space,
        "budget": plan.spec.n_trials,
        "trials": len(trials),
        "trials_done": trials_done(study),
        "trials_run_now": ran,
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


def trials_table(study: Any, plan: OptimizePlan) -> pd.DataFrame:
    """One row a trial (surplus ones left out): number, state, value, the searched levers,
    what its runs gave."""
    from optuna.trial import TrialState

    keys = list(plan.space)
    rows = []
    for t in tabled(study, plan.budget):
        folder = plan.out_dir / TRIALS / str(t.number)
        try:
            record = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
        error = t.user_attrs.get(ERROR)
        if t.state == TrialState.FAIL and error is None:
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


def best_trial(study: Any, trials: pd.DataFrame) -> dict[str, Any] | None:
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
    levers = [hydra_override(k, v) for k, v in best["params"].items() if k.startswith("strategy.")]
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
