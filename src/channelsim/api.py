"""The notebook API: one run with its standard figures; one config at many seeds, several
configs at the same seeds, and a sweep, each into a tidy table; a policy search; a
sensitivity analysis; the case comparison and the stylized facts.

Each function here runs what `experiment/` makes and reads it with `analysis/`."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import pandas as pd

from channelsim.analysis.calibration import write_calibrate_report
from channelsim.analysis.case_study import CaseStudy, read_study, write_study
from channelsim.analysis.decision import write_optimize_report, write_sensitivity_report
from channelsim.analysis.facts import Fact, judge
from channelsim.analysis.figures import run_figures
from channelsim.analysis.sweep_report import write_sweep_report
from channelsim.config.compose import compose as compose_config
from channelsim.config.compose import quote
from channelsim.config.schema import ChannelConfig
from channelsim.config.validate import ConfigError
from channelsim.experiment.batch import BatchResult, Job, replicate, run_jobs
from channelsim.experiment.calibrate import CalibrateOutcome, plan_calibrate, run_calibrate
from channelsim.experiment.case_study import run_scenarios, scenario_changes
from channelsim.experiment.facts import run_fact_jobs
from channelsim.experiment.optimize import OptimizeOutcome, plan_optimize, run_optimize
from channelsim.experiment.run import RunResult
from channelsim.experiment.run import run as run_files
from channelsim.experiment.sensitivity import (
    SensitivityOutcome,
    plan_sensitivity,
    run_sensitivity,
)
from channelsim.experiment.sweep import execute, plan_sweep
from channelsim.labels import font_rc


def run(
    config: ChannelConfig,
    out_dir: str | Path | None = None,
    figures: bool = True,
    lang: str = "en",
    overrides: Sequence[str] | None = None,
) -> RunResult:
    """Run one simulation; with `out_dir`, write its result files and figures there.

    Args:
        lang: the figures' language, ``en`` or ``zh`` (the case's own terms).
        overrides: the overrides `config` was composed with, recorded in the summary as
            given (by default the config's lever and market overrides).

    Returns an object with ``.metrics`` (a DataFrame, one row a month) and ``.summary``.
    Raises whatever the model raised (the CLI catches it and writes a failed summary).
    """
    font_rc(lang)  # a missing font or language fails before the run, not after it
    labels = {"overrides": list(overrides)} if overrides is not None else None
    drawn = partial(run_figures, lang=lang) if figures else None
    return run_files(config, out_dir, drawn, labels=labels)


def run_seeds(
    overrides: Sequence[str] = (),
    seeds: Iterable[int] = range(20),
    n_jobs: int | None = None,
    *,
    config_dir: str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """One config at several seeds: every month of every run, in one tidy table.

    Args:
        overrides: Hydra overrides of one config (no sweeps), e.g.
            ``["market=us_pc_1996", "scenario=us_history", "steps=108"]``.
        seeds: the seeds to run it at.
        n_jobs: local worker processes (default: one per core; 1 runs in this process).

    Returns:
        One row a month of a run: its ``seed``, then ``step``, ``date`` and every metric.
        `channelsim.estimates` reads it with 95% intervals (e.g. by year: ``window="2005"``).

    Raises:
        ConfigError: a malformed override, or no seed.
        RuntimeError: a run failed (its seed and error).
    """
    seeds = _seed_list(seeds)
    config = compose_config(list(overrides), config_dir)
    return _finished(run_jobs(replicate(config, seeds), n_jobs, progress, label="seeds"))


def run_variants(
    variants: Mapping[str, Sequence[str]],
    seeds: Iterable[int] = range(20),
    n_jobs: int | None = None,
    *,
    config_dir: str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Several configs at the same seeds: every month of every run, in one tidy table.

    Runs of two variants at one seed share their random draws wherever their configs
    agree, so `channelsim.differences` can pair them by seed.

    Args:
        variants: each variant's name and its Hydra overrides (no sweeps), e.g.
            ``{"stay": ["scenario=stay_traditional"], "history": ["scenario=history"]}``.
        seeds: the seeds every variant runs at.
        n_jobs: local worker processes (default: one per core; 1 runs in this process).

    Returns:
        One row a month of a run: its ``variant`` and ``seed``, then ``step``, ``date``
        and every metric.

    Raises:
        ConfigError: a malformed override (before any run), no variant, or no seed.
        RuntimeError: a run failed (its variant, seed and error).
    """
    seeds = _seed_list(seeds)
    if not variants:
        raise ConfigError("variants: expected at least one variant")
    jobs: list[Job] = []
    for name, overrides in variants.items():
        config = compose_config(list(overrides), config_dir)
        jobs += replicate(config, seeds, variant=name)
    return _finished(run_jobs(jobs, n_jobs, progress, label="variants"))


def _seed_list(seeds: Iterable[int]) -> list[int]:
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ConfigError("seeds: expected at least one seed")
    return seeds


def _finished(batch: BatchResult) -> pd.DataFrame:
    """The batch's table, or a RuntimeError naming the first failed run."""
    if batch.failed:
        first = dict(batch.failed[0])
        error = first.pop("error")
        run = ", ".join(f"{key} {value}" for key, value in first.items())
        raise RuntimeError(f"{run} failed: {error}")
    return batch.metrics


def map(  # channelsim.map, as the command is channelsim map
    overrides: Sequence[str] = (),
    n_jobs: int | None = None,
    *,
    out_dir: str | Path | None = None,
    config_dir: str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """A strategy map, as `channelsim map` makes it: which of the focal vendor's strategies
    wins in each cell of a grid of two market keys.

    Args:
        overrides: Hydra overrides, e.g. ``["experiment=map_china", "map.seeds=8"]``.
        n_jobs: local worker processes (default: one per core).
        out_dir: the map's folder (job folders, map.csv, map.png, reports); a later call
            into the same folder runs only the jobs not done. Without it the map runs in
            a temporary folder, removed afterwards.
        config_dir: a folder of the user's own presets and maps (``experiment/map_*.yaml``).

    Returns:
        One row a cell and strategy: ``x``, ``y``, ``strategy``, ``mean``, ``ci_low``,
        ``ci_high``, ``winner`` (or "no clear winner"), ``margin``, ``margin_low``,
        ``margin_high``.

    Raises:
        ConfigError: a bad override or map setting.
    """
    import tempfile

    from channelsim.analysis.maps import map_table, write_map_report
    from channelsim.experiment.maps import plan_map, run_map

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(out_dir).resolve() if out_dir is not None else Path(scratch)
        given = [*overrides, f"hydra.sweep.dir={quote(str(folder))}"]
        plan = plan_map(given, config_dir)
        outcome = run_map(plan, hydra_launcher=False, n_jobs=n_jobs, progress=progress)
        table = map_table(outcome.values)
        if out_dir is not None:
            write_map_report(plan.out_dir, table, outcome.summary)
    return table


def sweep(
    overrides: Sequence[str] = (),
    seeds: Iterable[int] | None = None,
    n_jobs: int | None = None,
    *,
    out_dir: str | Path | None = None,
    config_dir: str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run a sweep and return its per-job table, as `channelsim sweep` would write it.

    Args:
        overrides: Hydra overrides, sweeps included, e.g.
            ``["strategy=direct,relationship_channel", "strategy.rebate_rate=0,0.05"]``,
            or ``["experiment=strategy_grid"]``.
        seeds: the seeds every combination runs at (or sweep ``seed`` in `overrides`).
        n_jobs: local worker processes (default: one per core; 1 runs in this process).
        out_dir: a sweep folder to write (job folders, summary tables, report); a
            later call into the same folder skips the jobs already done.
        config_dir: a folder of the user's own presets.
        progress: show a progress bar on stderr.

    Returns:
        One row a job: ``job``, each swept key, ``seed``, ``status``, ``error`` and the
        KPIs (means over the final 12 months). Failed jobs are rows with their error.

    Raises:
        ConfigError: a malformed override, or every job invalid.
    """
    overrides = list(overrides)
    if seeds is not None:
        seeds = [int(s) for s in seeds]
        if any(o.split("=", 1)[0].lstrip("+~") == "seed" for o in overrides):
            raise ConfigError("seed: give the seeds either in `seeds` or in the overrides")
        if not seeds:
            raise ConfigError("seeds: expected at least one seed")
        overrides.append("seed=" + ",".join(str(s) for s in seeds))
    if out_dir is not None:
        overrides.append(f"hydra.sweep.dir={quote(str(Path(out_dir).resolve()))}")
    plan = plan_sweep(overrides, config_dir)
    outcome = execute(
        plan, hydra_launcher=False, n_jobs=n_jobs, write=out_dir is not None, progress=progress
    )
    if out_dir is not None:
        write_sweep_report(plan.sweep_dir, outcome.table)
    return outcome.table


def optimize(
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    *,
    config_dir: str | None = None,
    progress: bool = True,
) -> OptimizeOutcome:
    """Search lever ranges for the best policy, as `channelsim optimize` does.

    Args:
        overrides: Hydra overrides: ``experiment=NAME`` (default ``optimize_policy``),
            fixed keys such as ``market.n_regions=2``, the objective's
            ``optimize.seeds=2``, the budget ``optimize.n_trials=20``, trials at a time
            ``optimize.n_jobs=4``, a shared study ``optimize.storage=journal:PATH``, or
            more levers to search, e.g. ``strategy.coop_budget=interval(0,400)``.
        out_dir: the study's folder (``study.db``, ``trials/``, tables, report); a
            later call into the same folder resumes the study up to its budget. By
            default ``multirun/DATE/TIME`` under the working directory, as the command's.
        config_dir: a folder of the user's own presets.
        progress: show a progress bar on stderr.

    Returns:
        ``.trials`` (one row a trial: its state, value, levers and KPI means), ``.best``
        (the best trial's number, value and levers), ``.summary`` and ``.out_dir``, which
        holds ``strategy/best_policy.yaml``.

    Raises:
        ConfigError: a bad override, lever range or objective (one line).
    """
    overrides = list(overrides)
    if out_dir is not None:
        overrides.append(f"hydra.sweep.dir={quote(str(Path(out_dir).resolve()))}")
    plan = plan_optimize(overrides, config_dir)
    outcome = run_optimize(plan, progress=progress)
    write_optimize_report(plan.out_dir, outcome.trials, outcome.summary)
    return outcome


def calibrate(
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    *,
    config_dir: str | None = None,
    progress: bool = True,
) -> CalibrateOutcome:
    """Fit market parameters to observed figures, as `channelsim calibrate` does.

    Args:
        overrides: Hydra overrides: ``experiment=NAME`` (default ``calibrate_china_pc``;
            the experiment file declares ``calibrate.targets`` and
            ``calibrate.parameters``), fixed keys such as ``market.n_regions=2``, and the
            calibration's own settings (``calibrate.budget=200``, ``calibrate.seeds=4``,
            ``calibrate.n_jobs=4``, ``calibrate.storage=journal:PATH``).
        out_dir: the calibration's folder; a later call into the same folder resumes
            the study up to its budget. By default ``multirun/DATE/TIME``.
        config_dir: a folder of the user's own presets and experiments.
        progress: show a progress bar on stderr.

    Returns:
        ``.trials`` (one row an evaluation: its loss, parameter values and simulated
        targets), ``.parameters`` (best value, profile interval, identified),
        ``.targets`` (every target at fresh seeds: mean, interval, z), ``.summary``,
        ``.fresh`` (the fresh seeds' monthly metrics) and ``.out_dir``, which holds
        ``market/calibrated.yaml``.

    Raises:
        ConfigError: a bad override, target or parameter range (one line).
    """
    overrides = list(overrides)
    if out_dir is not None:
        overrides.append(f"hydra.sweep.dir={quote(str(Path(out_dir).resolve()))}")
    plan = plan_calibrate(overrides, config_dir)
    outcome = run_calibrate(plan, progress=progress)
    write_calibrate_report(plan, outcome)
    return outcome


def sensitivity(
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    n_jobs: int | None = None,
    *,
    config_dir: str | None = None,
    progress: bool = True,
) -> SensitivityOutcome:
    """Morris screening or Sobol indices, as `channelsim sensitivity` computes them.

    Args:
        overrides: Hydra overrides: ``experiment=NAME`` (default ``sensitivity_morris``;
            also ``sensitivity_sobol``, ``sensitivity_ishigami``), fixed keys such as
            ``market.n_regions=2``, and the analysis's own, e.g. ``sensitivity.samples=40``
            or ``sensitivity.kpis=[profit_vendor]``.
        out_dir: the analysis's folder (``runs/``, tables, figure, report); a later call
            into the same folder runs only the runs not yet done. By default
            ``multirun/DATE/TIME`` under the working directory, as the command's.
        n_jobs: local worker processes (default: one per core).
        config_dir: a folder of the user's own presets.
        progress: show a progress bar on stderr.

    Returns:
        ``.table`` (one row a KPI and parameter: rank, estimate and its interval, and
        whether it clears the dummy's), ``.samples`` (the sample with each row's KPIs),
        ``.summary`` and ``.out_dir``.

    Raises:
        ConfigError: a bad override, range, KPI or method (one line).
    """
    overrides = list(overrides)
    if out_dir is not None:
        overrides.append(f"hydra.sweep.dir={quote(str(Path(out_dir).resolve()))}")
    plan = plan_sensitivity(overrides, config_dir)
    outcome = run_sensitivity(plan, n_jobs=n_jobs, progress=progress)
    write_sensitivity_report(plan.out_dir, outcome.table, outcome.summary, plan.spec.conf_level)
    return outcome


def run_case_study(
    out_dir: str | Path | None = None,
    seeds: int = 20,
    base_seed: int = 0,
    n_jobs: int | None = None,
    overrides: Sequence[str] = (),
    config_dir: str | None = None,
    ablation: bool = True,
    progress: bool = True,
    lang: str = "en",
) -> CaseStudy:
    """The case comparison: history, stay_traditional and copy_direct at `seeds` seeds
    from `base_seed` (and, with `ablation`, history without each part of the
    relationship channel). With `out_dir`, its report, figures and tables are written
    there (figures labelled in `lang`: ``en``, or ``zh`` for the case's Chinese terms).

    Returns the runs (``.runs``, one row a month of a run), the comparison table and the
    ablation, each a mean over seeds with its 95% confidence interval.
    """
    font_rc(lang)  # an unknown language or a missing font fails before the runs
    began = time.perf_counter()
    seed_list = list(range(base_seed, base_seed + seeds))
    batch = run_scenarios(seed_list, overrides, config_dir, ablation, n_jobs, progress)
    runtime_s = time.perf_counter() - began
    changes = scenario_changes(overrides, config_dir)
    study = read_study(batch.metrics, batch.failed, seed_list, ablation, runtime_s, changes)
    if out_dir is not None:
        write_study(study, Path(out_dir), overrides, lang)
    return study


def check_facts(
    seeds: Sequence[int] = range(10),
    overrides: Sequence[str] = (),
    n_jobs: int | None = None,
    progress: bool = False,
    config_dir: str | None = None,
) -> list[Fact]:
    """The case's seven stylized facts, each judged over `seeds` by 95% intervals.

    Raises RuntimeError if a run fails: a fact judged on fewer seeds would mislead.
    """
    batch = run_fact_jobs(seeds, overrides, config_dir, n_jobs=n_jobs, progress=progress)
    if batch.failed:
        raise RuntimeError(f"{len(batch.failed)} runs failed: {batch.failed[0]}")
    return judge(batch.metrics)
