"""Approximate Bayesian computation for `channelsim calibrate` (``calibrate.method=abc``):
pyabc's ABC-SMC gives a posterior over the parameters, with the distance the ``optuna``
method minimises (the sum over fitted targets of squared z-scores, each target the mean
over the evaluation's seeds).

The priors are uniform over each parameter's range (log-uniform with ``log: true``; a
whole-number parameter is searched as a number and rounded when the model runs). Each
generation keeps ``calibrate.population`` particles whose distance is below the
generation's threshold (the median of the last one's), so the thresholds fall and the
particles close in on the values the targets allow. Sampling stops once
``calibrate.budget`` simulations (evaluations) have run, counted at the end of a
generation, so the last generation may take it a little past the budget.

Where it runs: serially in this process (``calibrate.n_jobs=1``), where a seed gives
the same posterior bit for bit; on ``n_jobs`` local processes; or on a dask distributed
cluster (``calibrate.dask=tcp://HOST:PORT``). pyabc's parallel samplers draw from
freshly seeded generators, so those posteriors are not bit-reproducible, and the
summary says so. The history is pyabc's database (``calibrate.storage``, by default
``abc.db`` in the output folder); a later run with the same plan resumes it from its
last generation (not the same, bit for bit, as a run that went through at once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from channelsim.config.schema import ChannelConfig
from channelsim.config.validate import ConfigError
from channelsim.experiment.calibrate import (
    IDENTIFIED,
    Evaluation,
    Parameter,
    Target,
    run_evaluation,
)

if TYPE_CHECKING:
    from channelsim.experiment.batch import Progress
    from channelsim.experiment.calibrate import CalibratePlan

DATABASE = "abc.db"
POSTERIOR = (0.05, 0.95)  # the posterior's 90% interval
# pyabc's loggers, quiet but for warnings: the command reports progress itself
LOGGERS = ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "History", "Population")


def require_pyabc() -> None:
    """One line, not a traceback, when the `calibrate` extra is missing."""
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise ConfigError(
            "calibrate.method=abc needs the calibrate extra: pip install 'channelsim[calibrate]'"
        ) from None


def check_database(storage: str | None, out_dir: Path) -> str:
    """pyabc's database: calibrate.storage (an RDB URL) or abc.db in the output folder."""
    if storage is None:
        return f"sqlite:///{out_dir / DATABASE}"
    if storage.startswith("journal:"):
        raise ConfigError(
            "calibrate.storage: with method=abc it is an RDB URL (sqlite:///PATH, "
            "postgresql://USER@HOST/DB), pyabc's database; a journal file is Optuna's"
        )
    return storage


def population_size(plan: CalibratePlan) -> int:
    """calibrate.population, or a fifth of the budget (10 to 200): about five
    generations."""
    if plan.spec.population:
        return plan.spec.population
    return int(min(200, max(10, plan.budget // 5)))


def sampler_text(plan: CalibratePlan) -> tuple[str, bool]:
    """How the simulations run, and whether a seed gives the same posterior."""
    if plan.spec.dask:
        return f"on the dask cluster at {plan.spec.dask} (not bit-reproducible)", False
    if plan.spec.n_jobs > 1:
        return f"on {plan.spec.n_jobs} local processes (not bit-reproducible)", False
    return "serially in one process (bit-reproducible for a seed)", True


# ---------------------------------------------------------------- the model and distance


@dataclass(frozen=True)
class Simulator:
    """pyabc's model: a particle's values (named p0, p1, ...) to the fitted targets'
    simulated means (s0, s1, ...). Picklable, for pyabc's parallel samplers."""

    base: ChannelConfig
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    seeds: tuple[int, ...]
    steps: int

    def values(self, particle: dict[str, float]) -> dict[str, Any]:
        """The config values of a particle (whole-number parameters rounded)."""
        out: dict[str, Any] = {}
        for i, p in enumerate(self.parameters):
            value = float(particle[f"p{i}"])
            out[p.key] = round(min(max(value, p.lo), p.hi)) if p.integer else value
        return out

    def __call__(self, particle: dict[str, float]) -> dict[str, float]:
        task = Evaluation(0, self.values(particle), self.base, self.targets, self.seeds, self.steps)
        result = run_evaluation(task)
        means = result.attrs.get("simulated") if result.value is not None else None
        if means is None:  # a failed evaluation: infinitely far, never accepted
            return {f"s{i}": float("nan") for i in range(len(self.targets))}
        return {f"s{i}": float(m) for i, m in enumerate(means)}


@dataclass(frozen=True)
class ZDistance:
    """The sum of squared z-scores: the loss of the optuna method (NaN: infinitely far)."""

    sds: tuple[float, ...]

    def __call__(self, x: dict[str, float], x_0: dict[str, float]) -> float:
        total = sum(((x[f"s{i}"] - x_0[f"s{i}"]) / sd) ** 2 for i, sd in enumerate(self.sds))
        return float(total) if np.isfinite(total) else float("inf")


def prior(parameters: list[Parameter]) -> Any:
    import pyabc

    rvs = {}
    for i, p in enumerate(parameters):
        if p.log:
            rvs[f"p{i}"] = pyabc.RV("loguniform", p.lo, p.hi)
        elif p.integer:  # every whole number of the range equally likely once rounded
            rvs[f"p{i}"] = pyabc.RV("uniform", p.lo - 0.5, p.hi - p.lo + 1.0)
        else:
            rvs[f"p{i}"] = pyabc.RV("uniform", p.lo, p.hi - p.lo)
    return pyabc.Distribution(**rvs)


def make_sampler(plan: CalibratePlan) -> tuple[Any, Any]:
    """pyabc's sampler, and the dask client it uses (None when it runs here)."""
    import pyabc

    if plan.spec.dask:
        from distributed import Client

        try:
            client = Client(plan.spec.dask, timeout=30)
        except Exception as exc:  # the one line the command prints
            raise ConfigError(
                f"calibrate.dask={plan.spec.dask!r}: no dask scheduler answers there ({exc})"
            ) from None
        return pyabc.sampler.DaskDistributedSampler(dask_client=client), client
    if plan.spec.n_jobs > 1:
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=plan.spec.n_jobs), None
    return pyabc.sampler.SingleCoreSampler(), None


# ---------------------------------------------------------------- the run


@dataclass
class AbcResult:
    """The posterior (every generation's particles with their weights and distances),
    the generations, the simulations run and the best values (the final posterior's
    weighted medians)."""

    particles: pd.DataFrame
    populations: pd.DataFrame
    simulations: int
    best: dict[str, Any]


def run_abc(plan: CalibratePlan, bar: Progress | None = None) -> AbcResult:
    """ABC-SMC up to the budget, resuming the database's run if it has one."""
    import pyabc

    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    fit = tuple(plan.fit)
    model = Simulator(
        plan.base, tuple(plan.parameters), fit, tuple(plan.seeds), plan.steps(plan.fit)
    )
    database = check_database(plan.storage, plan.out_dir)
    sampler, client = make_sampler(plan)
    state = np.random.get_state()  # pyabc draws from numpy's global generator
    np.random.seed(plan.seed % 2**32)
    try:
        abc = pyabc.ABCSMC(
            _counted(model, bar if client is None and plan.spec.n_jobs == 1 else None),
            prior(plan.parameters),
            ZDistance(tuple(t.sd for t in fit)),
            population_size=population_size(plan),
            sampler=sampler,
        )
        if _has_run(database):
            history = abc.load(database, 1)
        else:
            history = abc.new(database, {f"s{i}": t.value for i, t in enumerate(fit)})
        done = history.total_nr_simulations
        if bar is not None:  # what is left of the budget (a generation may run past it)
            bar.total = max(plan.budget - done, 1)
        if done < plan.budget:
            history = abc.run(max_total_nr_simulations=plan.budget)
    finally:
        np.random.set_state(state)
        if client is not None:
            client.close()
    return _result(history, plan, model)


def _counted(model: Simulator, bar: Progress | None) -> Callable[[dict], dict]:
    """The model, ticking the progress bar when it runs in this process."""
    if bar is None:
        return model

    def run(particle: dict) -> dict:
        out = model(particle)
        bar.update(1)
        return out

    return run


def _has_run(database: str) -> bool:
    if database.startswith("sqlite:///"):
        path = Path(database.removeprefix("sqlite:///"))
        if not path.is_file() or path.stat().st_size == 0:
            return False
    import pyabc

    try:
        return len(pyabc.History(database).all_runs()) > 0
    except Exception:
        return False


def _result(history: Any, plan: CalibratePlan, model: Simulator) -> AbcResult:
    frames = []
    for t in range(history.max_t + 1):
        values, weights = history.get_distribution(m=0, t=t)
        frame = pd.DataFrame(
            [model.values(row) for row in values.to_dict("records")],
            columns=[p.key for p in plan.parameters],
        )
        frame.insert(0, "generation", t)
        frame["weight"] = weights
        frames.append(frame)
    particles = pd.concat(frames, ignore_index=True)
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0][["t", "samples", "epsilon", "particles"]]
    populations = populations.rename(columns={"t": "generation", "samples": "simulations"})
    final = particles[particles["generation"] == history.max_t]
    medians = {
        p.key: _as_value(p, weighted_quantile(final[p.key], final["weight"], 0.5))
        for p in plan.parameters
    }
    best = {
        "generation": int(history.max_t),
        "particles": len(final),
        "epsilon": float(populations["epsilon"].iloc[-1]),
        "params": medians,
    }
    return AbcResult(
        particles, populations.reset_index(drop=True), int(history.total_nr_simulations), best
    )


def _as_value(p: Parameter, value: float) -> Any:
    return round(value) if p.integer else float(value)


def weighted_quantile(values: pd.Series, weights: pd.Series, q: float) -> float:
    """The `q` quantile of weighted values: the first value whose cumulative weight
    reaches `q` of the total."""
    order = np.argsort(values.to_numpy(), kind="stable")
    v, w = values.to_numpy()[order], weights.to_numpy()[order]
    cumulative = np.cumsum(w) / w.sum()
    return float(v[min(int(np.searchsorted(cumulative, q)), len(v) - 1)])


def posterior_table(result: AbcResult, plan: CalibratePlan) -> pd.DataFrame:
    """parameters.csv for abc: each parameter's posterior median (best) and 90% interval
    (low, high); identified when the interval is narrower than half its range."""
    final = result.particles[result.particles["generation"] == result.best["generation"]]
    rows = []
    for p in plan.parameters:
        low, high = (weighted_quantile(final[p.key], final["weight"], q) for q in POSTERIOR)
        rows.append(
            {
                "key": p.key,
                "lo": p.lo,
                "hi": p.hi,
                "best": result.best["params"][p.key],
                "low": low,
                "high": high,
                "identified": p.scale(high) - p.scale(low) < IDENTIFIED,
            }
        )
    return pd.DataFrame(rows, columns=["key", "lo", "hi", "best", "low", "high", "identified"])
