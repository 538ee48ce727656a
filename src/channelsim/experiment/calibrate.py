"""Calibration: `channelsim calibrate` fits market parameters to observed figures, says
which of them the figures pin down, and predicts the figures it was not fitted to.

A named calibration experiment (``experiment=calibrate_china_pc``) declares in its
``calibrate:`` section the targets (a metric's mean over a window, its observed value
and uncertainty, the source, and whether it is fitted or held out), the market
parameters with their ranges, the seeds an evaluation runs, the method and the budget.

An evaluation sets the parameters on the base config, runs the model at the seeds
``calibrate.seed ..`` (the same in every evaluation, so evaluations differ by their
parameters, not their luck) only as far as the last fitted target's window, and scores

    loss = sum over fitted targets of ((simulated - value) / sd) ** 2

It writes no files and draws no figures. With ``optuna`` the loss is minimised by
Optuna's TPE sampler (the method of simulated moments) in a study that resumes and can
be shared as ``channelsim optimize``'s; each parameter's interval is its profile: the
values whose best loss is within 3.84 (chi-square, one degree of freedom, 95%) of the
minimum. The profile is read off the evaluations, in ten bins of the parameter's range
(the lowest loss in each), outwards from the best bin to the first bin on each side that
is clearly worse; a bin no evaluation reached cannot be ruled out and counts as within.
A parameter is identified when that interval is narrower than half its range.

The result is judged at `check_seeds` fresh seeds (none of them fitted on), over every
target, held-out ones too: ``targets.csv`` gives each target's simulated mean, its
95% interval and z = (mean - value) / sd.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
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
    with_values,
)
from channelsim.config.schema import CalibrateSpec, CalibrationTarget, ChannelConfig
from channelsim.config.validate import ConfigError, check_value, listed, schema_rows
from channelsim.domain import window
from channelsim.experiment.batch import Progress
from channelsim.experiment.budget import ERROR, tabled, trials_done
from channelsim.experiment.io import atomic_write_json, atomic_write_parquet, atomic_write_text
from channelsim.experiment.run import config_hash, simulate, version
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
from channelsim.metrics import METRICS, check_sellers_metrics, is_metric
from channelsim.models import refusal

DEFAULT_EXPERIMENT = "calibrate_china_pc"
PLAN_FILE = "calibrate.json"
METHODS = ("optuna", "abc")  # the method of simulated moments; pyabc's ABC-SMC
USES = ("fit", "holdout")
PROFILE_RISE = 3.84  # the loss's rise over the minimum at a 95% profile interval
PROFILE_BINS = 10  # the profile's bins over a parameter's range
IDENTIFIED = 0.5  # identified: the interval is narrower than this share of the range
DUMMY = "dummy"  # a parameter the model never reads: what noise alone leaves open
PRESET = "calibrated"
WINDOW = re.compile(r"(\d{4})(-H[12]|-Q[1-4])?|(\d{4}-(0[1-9]|1[0-2]))\.\.(\d{4}-(0[1-9]|1[0-2]))")


# ---------------------------------------------------------------- what is fitted


@dataclass(frozen=True)
class Target:
    """A target with its window's first and last month."""

    metric: str
    window: str
    value: float
    sd: float
    source: str
    use: str
    first: str
    last: str

    @property
    def label(self) -> str:
        return f"{self.metric} {self.window}"


@dataclass(frozen=True)
class Parameter:
    """A fitted key and its range, searched on a log scale with `log`."""

    key: str
    lo: float
    hi: float
    log: bool = False
    integer: bool = False

    def scale(self, value: float) -> float:
        """Where `value` lies in the range, 0 to 1, on the scale it is searched on."""
        if self.log:
            return (math.log(value) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        return (value - self.lo) / (self.hi - self.lo)

    def unscale(self, position: float) -> float:
        if self.log:
            return math.exp(math.log(self.lo) + position * (math.log(self.hi) - math.log(self.lo)))
        return self.lo + position * (self.hi - self.lo)


def check_target(i: int, target: CalibrationTarget) -> Target:
    where = f"calibrate.targets[{i}]"
    if not is_metric(target.metric):
        raise ConfigError(listed(f"{where}.metric={target.metric!r} is not allowed: ", METRICS))
    if not WINDOW.fullmatch(str(target.window)):
        raise ConfigError(
            f"{where}.window={target.window!r} is not allowed: expected a year (2003), a half "
            "(2003-H2), a quarter (2003-Q4) or a span (2003-01..2003-12)"
        )
    first, last = window(str(target.window))
    if first > last:
        raise ConfigError(
            f"{where}.window={target.window!r} is not allowed: it ends before it begins"
        )
    if not (math.isfinite(target.value) and math.isfinite(target.sd) and target.sd > 0):
        raise ConfigError(f"{where}: value must be a number and sd a number above 0")
    if target.use not in USES:
        raise ConfigError(f"{where}.use={target.use!r} is not allowed: one of fit, holdout")
    return Target(
        target.metric,
        str(target.window),
        float(target.value),
        float(target.sd),
        str(target.source),
        target.use,
        first,
        last,
    )


def check_parameter(key: str, spec: Any) -> Parameter:
    """`[lo, hi]` or `{range: [lo, hi], log: true}` for a market key (or the dummy)."""
    where = f"calibrate.parameters.{key}"
    log = False
    if isinstance(spec, dict):
        unknown = set(spec) - {"range", "log"}
        if unknown or "range" not in spec:
            raise ConfigError(f"{where}: expected [lo, hi] or {{range: [lo, hi], log: true}}")
        log, spec = bool(spec.get("log", False)), spec["range"]
    if not (isinstance(spec, list) and len(spec) == 2):
        raise ConfigError(f"{where}={spec!r} is not allowed: expected [lo, hi]")
    lo, hi = spec
    if key == DUMMY:
        row = {"type": "float"}
    else:
        rows = schema_rows()
        if key not in rows or not key.startswith("market."):
            raise ConfigError(
                f"{where}: {key!r} is not allowed: calibrate market.* parameters "
                f"(channelsim levers lists them) or {DUMMY}, which the model never reads"
            )
        row = rows[key]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)):
        raise ConfigError(f"{where}={spec!r} is not allowed: expected two numbers")
    integer = row["type"] == "int"
    if integer:
        if not (float(lo).is_integer() and float(hi).is_integer()):
            raise ConfigError(f"{where}={spec!r} is not allowed: {key} takes whole numbers")
        lo, hi = int(lo), int(hi)
    if key != DUMMY:
        for end in (lo, hi):
            check_value(key, end, row)
    if not lo < hi:
        raise ConfigError(f"{where}={spec!r} is not allowed: the low end must be below the high")
    if log and lo <= 0:
        raise ConfigError(f"{where}={spec!r} is not allowed: a log range starts above 0")
    return Parameter(key, lo, hi, log, integer)


def distributions(parameters: list[Parameter]) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    return {
        p.key: IntDistribution(int(p.lo), int(p.hi), log=p.log)
        if p.integer
        else FloatDistribution(float(p.lo), float(p.hi), log=p.log)
        for p in parameters
    }


def months_to(start: str, last: str) -> int:
    """Months from `start` (``2002-01``) through `last`, both included."""
    y0, m0 = map(int, start.split("-"))
    y1, m1 = map(int, last.split("-"))
    return (y1 - y0) * 12 + m1 - m0 + 1


# ---------------------------------------------------------------- the plan


SAME_STUDY = {
    "experiment": "experiment",
    "method": "method",
    "targets": "targets",
    "parameters": "parameters",
    "seeds": "seeds (calibrate.seeds, calibrate.seed)",
    "base_config_hash": "market or fixed overrides",
}


@dataclass
class CalibratePlan(StudyPlan):
    """A validated calibration: its targets, parameters, method, folder and study."""

    experiment: str
    fixed: list[str]  # the overrides the base config is composed from
    config_dir: str | None
    out_dir: Path
    targets: list[Target]
    parameters: list[Parameter]
    spec: CalibrateSpec
    base: ChannelConfig
    storage: str | None
    distributions: dict[str, Any]

    section = "calibrate"  # its config section, in messages
    direction = "minimize"

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def seeds(self) -> list[int]:
        """The seeds every evaluation runs."""
        return list(range(self.spec.seed, self.spec.seed + self.spec.seeds))

    @property
    def fresh_seeds(self) -> list[int]:
        """The seeds the result is judged at: none of them fitted on."""
        first = self.spec.seed + self.spec.seeds
        return list(range(first, first + self.spec.check_seeds))

    @property
    def fit(self) -> list[Target]:
        return [t for t in self.targets if t.use == "fit"]

    def steps(self, targets: list[Target]) -> int:
        """Months a run needs to cover `targets`."""
        return months_to(self.base.market.start, max(t.last for t in targets))

    @property
    def budget(self) -> int:
        return self.spec.budget

    @property
    def same_study(self) -> dict[str, str]:
        return SAME_STUDY

    def sampler(self, seed: int) -> Any:
        """TPE: it keeps sampling the whole range while it closes in, which the profile
        intervals need (CMA-ES narrows to the optimum and would leave them unsampled)."""
        import optuna

        startup = max(5, min(20, self.budget // 4))
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True)

    def task(self, trial: Any) -> Evaluation:
        return Evaluation(
            trial.number,
            dict(trial.params),
            self.base,
            tuple(self.fit),
            tuple(self.seeds),
            self.steps(self.fit),
        )

    def runner(self) -> Callable[[Evaluation], TrialResult]:
        return run_evaluation

    def record(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment,
            "method": self.spec.method,
            "targets": [dataclasses.asdict(t) for t in self.targets],
            "parameters": [dataclasses.asdict(p) for p in self.parameters],
            "seeds": self.seeds,
            "base_config_hash": config_hash(self.base),
            "storage": shown_storage(self.storage),
            "config_dir": self.config_dir,
        }


def plan_calibrate(overrides: list[str], config_dir: str | None = None) -> CalibratePlan:
    """Validate a calibration without running anything.

    Raises:
        ConfigError: a bad override, target or parameter range (one line).
    """
    if config_dir:
        config_dir = str(Path(config_dir).resolve())
    hydra, experiment, own, task = split_overrides(list(overrides), "calibrate")
    experiment = experiment_of(experiment, DEFAULT_EXPERIMENT, config_dir)
    name = experiment[0].split("=", 1)[1]
    for o in own:
        if override_key(o).startswith(("calibrate.targets", "calibrate.parameters")):
            raise ConfigError(
                f"{override_key(o)}: targets and parameters are declared in the experiment "
                "file (a copy of it in --config-dir FOLDER/experiment/)"
            )
    check_section(own, CalibrateSpec, "calibrate")
    check_overrides(task, config_dir)
    primary = study_config(hydra + experiment + own + task, config_dir, section="calibrate")
    try:
        section = OmegaConf.to_container(primary.calibrate, resolve=True)
        targets = [CalibrationTarget(**t) for t in section.pop("targets")]
        spec = CalibrateSpec(targets=targets, **section)
    except Exception as exc:
        raise ConfigError(f"calibrate: {one_line(exc)}") from None
    if not spec.targets or not spec.parameters:
        raise ConfigError(
            f"experiment={name} is not a calibration: it declares no calibrate.targets or "
            "no calibrate.parameters"
        )
    checked = [check_target(i, t) for i, t in enumerate(spec.targets)]
    if not any(t.use == "fit" for t in checked):
        raise ConfigError("calibrate.targets: no target has use: fit")
    parameters = [check_parameter(moved_key(str(k)), v) for k, v in spec.parameters.items()]
    if spec.method not in METHODS:
        raise ConfigError(
            f"calibrate.method={spec.method!r} is not allowed: one of {', '.join(METHODS)}"
        )
    for key in ("seeds", "budget", "n_jobs", "check_seeds", "population"):
        least = {"check_seeds": 2, "population": 0}.get(key, 1)
        if getattr(spec, key) < least:
            raise ConfigError(
                f"calibrate.{key}={getattr(spec, key)} is not allowed: expected an integer "
                f">= {least}"
            )
    if spec.method == "abc":
        from channelsim.experiment.abc_smc import require_pyabc

        require_pyabc()
    else:
        require_optuna("calibrate")
        for key in ("population", "dask"):
            if getattr(spec, key):
                raise ConfigError(f"calibrate.{key} is not allowed: it is for method=abc")
    storage = check_storage(spec.storage, "calibrate")
    base = compose(experiment + task, config_dir)
    refused = refusal(base.market, "calibrate")
    if refused:
        raise ConfigError(refused)
    check_sellers_metrics(
        {f"calibrate.targets[{i}].metric": t.metric for i, t in enumerate(checked)},
        list(base.market.sellers),
    )
    for p in parameters:  # both ends of every range make a valid config
        if p.key != DUMMY:
            for end in (p.lo, p.hi):
                with_values(base, {p.key: int(end) if p.integer else end})
    try:
        out_dir = Path(str(primary.hydra.sweep.dir)).resolve()
    except Exception as exc:
        raise ConfigError(f"hydra.sweep.dir: {one_line(exc)}") from None
    plan = CalibratePlan(
        experiment=name,
        fixed=experiment + task,
        config_dir=config_dir,
        out_dir=out_dir,
        targets=checked,
        parameters=parameters,
        spec=spec,
        base=base,
        storage=storage,
        distributions={},
    )
    if plan.base.market.start > min(t.first for t in checked):
        raise ConfigError(
            f"calibrate.targets: a window begins before the market's start "
            f"({plan.base.market.start})"
        )
    if spec.method == "abc":
        from channelsim.experiment.abc_smc import check_database

        check_database(storage, out_dir)
    else:
        plan.distributions = distributions(parameters)
    return plan


# ---------------------------------------------------------------- one evaluation


@dataclass(frozen=True)
class Evaluation:
    """One evaluation as a worker runs it: parameter values on the base config."""

    number: int
    params: dict[str, Any]
    base: ChannelConfig
    targets: tuple[Target, ...]
    seeds: tuple[int, ...]
    steps: int


def with_parameters(base: ChannelConfig, params: dict[str, Any]) -> ChannelConfig:
    """The base config with the fitted values (the dummy is read by nothing)."""
    return with_values(base, {k: v for k, v in params.items() if k != DUMMY})


def simulated(
    config: ChannelConfig,
    targets: tuple[Target, ...] | list[Target],
    seeds,
    steps: int,
    keep: bool = False,
) -> tuple[np.ndarray, pd.DataFrame | None]:
    """Each target's value at each seed (targets x seeds), and with `keep` the runs'
    monthly metrics (an evaluation keeps none)."""
    values = np.empty((len(targets), len(seeds)))
    frames = []
    for j, seed in enumerate(seeds):
        metrics, _ = simulate(dataclasses.replace(config, seed=seed, steps=steps))
        dates = metrics["date"]
        for i, t in enumerate(targets):
            inside = (dates >= t.first) & (dates <= t.last)
            values[i, j] = float(metrics.loc[inside, t.metric].mean())
        if keep:
            frames.append(metrics.assign(seed=seed))
    return values, pd.concat(frames, ignore_index=True) if keep else None


def loss(means: np.ndarray, targets: tuple[Target, ...] | list[Target]) -> float:
    """The sum of squared z-scores of the fitted targets."""
    value = np.array([t.value for t in targets])
    sd = np.array([t.sd for t in targets])
    return float((((means - value) / sd) ** 2).sum())


def run_evaluation(task: Evaluation) -> TrialResult:
    """A worker's job: one evaluation's loss, with each target's simulated mean; never
    raises, a failure is in the result."""
    try:
        config = with_parameters(task.base, task.params)
        values, _ = simulated(config, task.targets, task.seeds, task.steps)
        means = values.mean(axis=1)
        value = loss(means, task.targets)
        if not math.isfinite(value):
            raise ValueError(f"the loss is {value}: a target's metric is undefined in a run")
        attrs = {"simulated": [float(m) for m in means]}
        return TrialResult(task.number, value, None, attrs)
    except Exception as exc:
        message = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
        return TrialResult(task.number, None, message.splitlines()[0])


# ---------------------------------------------------------------- what the fit says


def trials_table(study: Any, plan: CalibratePlan) -> pd.DataFrame:
    """One row an evaluation (surplus ones left out): its number, state, loss, parameter
    values and each fitted target's simulated mean."""
    from optuna.trial import TrialState

    keys = [p.key for p in plan.parameters]
    fit = plan.fit
    rows = []
    for t in tabled(study, plan.budget):
        error = t.user_attrs.get(ERROR)
        if t.state == TrialState.FAIL and error is None:
            error = "interrupted: the start that ran it was stopped"
        row = {"trial": t.number, "state": t.state.name, "loss": t.value}
        row.update({k: t.params.get(k) for k in keys})
        sims = t.user_attrs.get("simulated") or [None] * len(fit)
        row.update({f"sim {target.label}": s for target, s in zip(fit, sims, strict=True)})
        row["error"] = error
        rows.append(row)
    columns = ["trial", "state", "loss", *keys, *(f"sim {t.label}" for t in fit), "error"]
    table = pd.DataFrame(rows, columns=columns)
    table["loss"] = table["loss"].astype("float64")
    table["best_so_far"] = table["loss"].cummin()
    return table


def profile(trials: pd.DataFrame, p: Parameter) -> pd.DataFrame:
    """The parameter's loss profile from the evaluations: over each of PROFILE_BINS bins
    of its range (on its search scale), the lowest loss of any evaluation in the bin."""
    done = trials[trials["state"] == "COMPLETE"]
    position = np.clip([p.scale(v) for v in done[p.key]], 0.0, 1.0)
    which = np.minimum((position * PROFILE_BINS).astype(int), PROFILE_BINS - 1)
    best = pd.Series(done["loss"].to_numpy()).groupby(which).min()
    edges = [p.unscale(i / PROFILE_BINS) for i in range(PROFILE_BINS + 1)]
    return pd.DataFrame(
        {
            "low": edges[:-1],
            "high": edges[1:],
            "loss": [best.get(i, np.nan) for i in range(PROFILE_BINS)],
        }
    )


def profile_interval(trials: pd.DataFrame, p: Parameter) -> tuple[float, float]:
    """The bins around the best one whose profile loss is within PROFILE_RISE of the
    minimum, out to the first bin on each side that is not: a bin no evaluation sampled
    cannot be ruled out, so it counts as within."""
    table = profile(trials, p)
    loss = table["loss"].to_numpy()
    floor = np.nanmin(loss)
    within = np.isnan(loss) | (loss <= floor + PROFILE_RISE)
    best = int(np.nanargmin(loss))
    first = last = best
    while first > 0 and within[first - 1]:
        first -= 1
    while last < len(loss) - 1 and within[last + 1]:
        last += 1
    return float(table["low"].iloc[first]), float(table["high"].iloc[last])


def identified(p: Parameter, low: float, high: float) -> bool:
    return p.scale(high) - p.scale(low) < IDENTIFIED


def parameters_table(
    trials: pd.DataFrame, plan: CalibratePlan, best: dict[str, Any]
) -> pd.DataFrame:
    rows = []
    for p in plan.parameters:
        low, high = profile_interval(trials, p)
        rows.append(
            {
                "key": p.key,
                "lo": p.lo,
                "hi": p.hi,
                "best": best["params"][p.key],
                "low": low,
                "high": high,
                "identified": identified(p, low, high),
            }
        )
    return pd.DataFrame(rows, columns=["key", "lo", "hi", "best", "low", "high", "identified"])


def best_trial(study: Any) -> dict[str, Any] | None:
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    best = study.best_trial
    return {"trial": best.number, "loss": float(best.value), "params": dict(best.params)}


def targets_table(plan: CalibratePlan, values: np.ndarray) -> pd.DataFrame:
    """Every target at the fresh seeds: mean, 95% interval and z = (mean - value) / sd."""
    from scipy import stats

    rows = []
    n = values.shape[1]
    for target, row in zip(plan.targets, values, strict=True):
        mean = float(row.mean())
        half = float(stats.t.ppf(0.975, n - 1) * row.std(ddof=1) / np.sqrt(n))
        rows.append(
            {
                "metric": target.metric,
                "window": target.window,
                "use": target.use,
                "value": target.value,
                "sd": target.sd,
                "mean": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "z": (mean - target.value) / target.sd,
                "source": target.source,
            }
        )
    columns = ["metric", "window", "use", "value", "sd", "mean", "ci_low", "ci_high", "z"]
    return pd.DataFrame(rows, columns=[*columns, "source"])


def best_text(plan: CalibratePlan, best: dict[str, Any]) -> str:
    """Which values are best: optuna's best evaluation, or abc's posterior medians."""
    if plan.spec.method == "abc":
        return (
            f"the posterior medians of generation {best['generation']} ({best['particles']} "
            f"particles, threshold {best['epsilon']:.4g})"
        )
    return f"evaluation {best['trial']}, loss {best['loss']:.4g}"


def market_preset(plan: CalibratePlan, best: dict[str, Any]) -> str:
    """The fitted market as a preset of the market group: the source market with the
    fitted values, for ``--config-dir FOLDER market=calibrated``."""
    source = plan.base.market.name
    lines = [
        f"# The market {source} calibrated by channelsim calibrate experiment="
        f"{plan.experiment} ({plan.spec.method}: {best_text(plan, best)}; seeds "
        f"{plan.seeds[0]}-{plan.seeds[-1]}).",
        f"# Every value not below is {source}'s.",
        "defaults:",
        f"  - {source}",
        "  - _self_",
        "",
        f"name: {PRESET}",
    ]
    nested: dict[str, Any] = {}
    for key, value in best["params"].items():
        if key == DUMMY:
            continue
        *path, last = key.removeprefix("market.").split(".")
        node = nested
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    lines += _yaml_lines(nested, 0, plan.experiment)
    return "\n".join(lines) + "\n"


def _yaml_lines(node: dict[str, Any], depth: int, experiment: str) -> list[str]:
    out = []
    for key, value in node.items():
        pad = "  " * depth
        if isinstance(value, dict):
            out.append(f"{pad}{key}:")
            out += _yaml_lines(value, depth + 1, experiment)
        else:
            shown = repr(value) if isinstance(value, float) else str(value)
            out.append(f"{pad}{key}: {shown}  # calibrated: {experiment}")
    return out


@dataclass
class CalibrateOutcome:
    """What a calibration left: its evaluations, parameters, targets and summary."""

    trials: pd.DataFrame
    parameters: pd.DataFrame
    targets: pd.DataFrame
    summary: dict[str, Any]
    out_dir: Path
    fresh: pd.DataFrame  # the fresh seeds' monthly metrics at the best values
    populations: pd.DataFrame | None = None  # abc: its generations


def run_calibrate(
    plan: CalibratePlan,
    progress: bool = True,
    announce: Callable[[str], object] | None = None,
) -> CalibrateOutcome:
    """Run the calibration to its budget, judge the best values at fresh seeds and write
    the tables, the calibrated market and summary.json (the report and figures:
    `channelsim.analysis.calibration.write_calibrate_report`)."""
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    shared = plan.shared and plan.spec.method == "optuna"  # pyabc's run has one driver
    held = nullcontext() if shared else folder_lock(plan.out_dir, "channelsim calibrate")
    with held:
        return _run(plan, progress, announce)


@dataclass
class Fitted:
    """What a method found: its evaluations' table (abc: its particles), the best values
    (None when nothing finished), why it stopped early, its parameter table and the
    summary's entries of its own."""

    trials: pd.DataFrame
    best: dict[str, Any] | None
    error: str | None
    parameters: Callable[[], pd.DataFrame]
    summary: dict[str, Any]
    populations: pd.DataFrame | None = None


def _fit_optuna(
    plan: CalibratePlan, progress: bool, announce: Callable[[str], object] | None
) -> Fitted:
    study = open_study(plan)
    done = trials_done(study)
    left = max(0, plan.budget - done)
    if announce:
        where = f", study {shown_storage(plan.storage)}" if plan.shared else ""
        announce(
            f"calibrate: {plan.experiment} (optuna), {len(plan.parameters)} parameters, "
            f"{len(plan.fit)} fitted targets, budget {plan.budget} evaluations ({done} done, "
            f"{left} to run, {plan.n_jobs} at a time, {len(plan.seeds)} seeds each, "
            f"{plan.steps(plan.fit)} months) in {plan.out_dir}{where}"
        )
    bar = Progress(left, f"calibrate ({plan.n_jobs} at a time)") if progress and left else None
    _, error = search(study, plan, bar)
    trials = trials_table(study, plan)
    best = best_trial(study)
    atomic_write_text(plan.out_dir / "trials.csv", trials.to_csv(index=False))
    atomic_write_parquet(plan.out_dir / "trials.parquet", trials)
    return Fitted(
        trials,
        best,
        error,
        lambda: parameters_table(trials, plan, best),
        {
            "sampler": "tpe",
            "evaluations": int((trials["state"] == "COMPLETE").sum()),
            "evaluations_failed": int((trials["state"] == "FAIL").sum()),
            "storage": shown_storage(plan.storage),
        },
    )


def _fit_abc(
    plan: CalibratePlan, progress: bool, announce: Callable[[str], object] | None
) -> Fitted:
    from channelsim.experiment.abc_smc import (
        check_database,
        population_size,
        posterior_table,
        run_abc,
        sampler_text,
    )

    how, reproducible = sampler_text(plan)
    database = check_database(plan.storage, plan.out_dir)
    if announce:
        announce(
            f"calibrate: {plan.experiment} (abc, ABC-SMC), {len(plan.parameters)} parameters, "
            f"{len(plan.fit)} fitted targets, budget {plan.budget} simulations, "
            f"{population_size(plan)} particles a generation, {len(plan.seeds)} seeds each, "
            f"{plan.steps(plan.fit)} months, {how}, in {plan.out_dir}"
        )
    own = {
        "sampler": f"ABC-SMC (pyabc), {how}",
        "reproducible": reproducible,
        "population": population_size(plan),
        "storage": shown_storage(database),
    }
    bar = Progress(plan.budget, "calibrate (abc)") if progress and reproducible else None
    try:
        result = run_abc(plan, bar)
    except Exception as exc:
        atomic_write_text(plan.out_dir / "error.log", traceback.format_exc())
        own.update(evaluations=0, evaluations_failed=None)
        return Fitted(pd.DataFrame(), None, f"abc: {one_line(exc)}", pd.DataFrame, own)
    particles, populations = result.particles, result.populations
    atomic_write_text(plan.out_dir / "posterior.csv", particles.to_csv(index=False))
    atomic_write_parquet(plan.out_dir / "posterior.parquet", particles)
    atomic_write_text(plan.out_dir / "populations.csv", populations.to_csv(index=False))
    own.update(
        evaluations=result.simulations,
        evaluations_failed=None,
        generations=json.loads(populations.to_json(orient="records")),
    )
    return Fitted(
        particles,
        result.best,
        None,
        lambda: posterior_table(result, plan),
        own,
        populations,
    )


def _run(
    plan: CalibratePlan, progress: bool, announce: Callable[[str], object] | None
) -> CalibrateOutcome:
    began = time.perf_counter()
    what = {**SAME_STUDY, "storage": "storage (calibrate.storage)"}
    check_resume(plan.out_dir / PLAN_FILE, plan.record(), what, "a calibration", plan.out_dir)
    atomic_write_json(plan.out_dir / PLAN_FILE, plan.record())
    fit = _fit_abc if plan.spec.method == "abc" else _fit_optuna
    fitted = fit(plan, progress, announce)
    trials, best, error = fitted.trials, fitted.best, fitted.error
    summary: dict[str, Any] = {
        "status": "ok",
        "error": error,
        "experiment": plan.experiment,
        "method": plan.spec.method,
        "seed": plan.seed,
        "seeds": plan.seeds,
        "fresh_seeds": plan.fresh_seeds,
        "budget": plan.budget,
        **fitted.summary,
        "best": best,
        "version": version(),
    }
    parameters = pd.DataFrame()
    targets = pd.DataFrame()
    fresh = pd.DataFrame()
    if best is None or error is not None:
        summary.update(status="failed", error=error or "no evaluation finished")
    else:
        try:
            parameters = fitted.parameters()
            config = with_parameters(plan.base, best["params"])
            values, fresh = simulated(
                config, plan.targets, plan.fresh_seeds, plan.steps(plan.targets), keep=True
            )
            targets = targets_table(plan, values)
            atomic_write_text(plan.out_dir / "parameters.csv", parameters.to_csv(index=False))
            atomic_write_text(plan.out_dir / "targets.csv", targets.to_csv(index=False))
            atomic_write_parquet(plan.out_dir / "fresh_runs.parquet", fresh)
            preset = plan.out_dir / "market" / f"{PRESET}.yaml"
            atomic_write_text(preset, market_preset(plan, best))
            summary.update(
                market=str(preset),
                parameters=json.loads(parameters.to_json(orient="records")),
                targets=json.loads(targets.to_json(orient="records")),
            )
        except Exception as exc:  # the summary still says what happened
            atomic_write_text(plan.out_dir / "error.log", traceback.format_exc())
            summary.update(status="failed", error=f"the result cannot be judged: {one_line(exc)}")
    summary["runtime_s"] = round(time.perf_counter() - began, 3)
    atomic_write_json(plan.out_dir / "summary.json", summary)
    return CalibrateOutcome(
        trials, parameters, targets, summary, plan.out_dir, fresh, fitted.populations
    )
