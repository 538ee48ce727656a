"""Many runs at once: configs across local cores, with progress, into one tidy table."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import pandas as pd
from joblib import Parallel, cpu_count, delayed

from channelsim.config.schema import ChannelConfig

# one BLAS thread per worker: results must not depend on how runs are spread over cores
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


@dataclass(frozen=True)
class Job:
    """One run: its config and the labels its rows carry in the tidy table."""

    config: ChannelConfig
    labels: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    """Monthly metrics of every run that finished, and the runs that failed."""

    metrics: pd.DataFrame
    failed: list[dict[str, Any]]
    runtime_s: float


def replicate(config: ChannelConfig, seeds: Iterable[int], **labels: Any) -> list[Job]:
    """Jobs for one config at several seeds (the config itself is not changed)."""
    return [
        Job(dataclasses.replace(config, seed=int(s)), {**labels, "seed": int(s)}) for s in seeds
    ]


def _run(job: Job) -> pd.DataFrame:
    from channelsim.experiment.run import simulate

    metrics, _ = simulate(job.config)
    for i, (key, value) in enumerate(job.labels.items()):
        metrics.insert(i, key, value)
    return metrics


def _attempt(i: int, job: Job) -> tuple[int, pd.DataFrame | None, BaseException | None]:
    try:
        return i, _run(job), None
    except Exception as exc:  # recorded as a failed run; the others go on
        return i, None, exc


def pin_threads() -> None:
    """One BLAS thread per process: set before workers start, so they inherit it."""
    for var in THREAD_VARS:
        os.environ[var] = "1"


class Progress:
    """A one-line progress bar on stderr (a line every 10% when not a terminal).

    The time left is shown once `SETTLED` runs and a tenth of them have finished, from
    the pace of the runs finished since the first (whose time is mostly start-up:
    worker processes, imports).
    """

    SETTLED = 3  # runs finished before the time left is estimated (and 10% of them)

    def __init__(
        self,
        total: int,
        label: str,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.total, self.label = total, label
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.began = clock()
        self.done = 0
        self.first: tuple[float, int] | None = None  # (time, runs done) at the first update
        self.shown = -1
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def left(self, now: float) -> float | None:
        """Seconds left at the finished runs' pace, or None until enough have finished."""
        if self.first is None or self.done < max(self.SETTLED, self.total / 10):
            return None
        since, at = self.first
        if self.done <= at or now <= since:
            return None
        return (now - since) / (self.done - at) * (self.total - self.done)

    def update(self, n: int = 1) -> None:
        self.done += n
        self.total = max(self.total, self.done)  # more runs than announced: they count
        now = self.clock()
        if self.first is None:
            self.first = (now, self.done)
        left = self.left(now)
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        line = (
            f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}"
            f" runs, {now - self.began:4.0f}s elapsed"
            + (f", ~{left:3.0f}s left" if left is not None else "")
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if self.done == self.total else ""))
            self.stream.flush()
        else:
            decile = 10 * self.done // max(self.total, 1)
            if decile != self.shown:
                self.shown = decile
                print(line, file=self.stream, flush=True)


def run_jobs(
    jobs: Sequence[Job], n_jobs: int | None = None, progress: bool = True, label: str = "runs"
) -> BatchResult:
    """Run every job, in parallel on `n_jobs` processes (default: all local cores, or
    LOKY_MAX_CPU_COUNT of them where that is set).

    A job that raises is recorded in `failed` with its labels and error; the others go
    on. Rows come back in the order of `jobs`, whatever the order they finished in.
    """
    began = time.perf_counter()
    n_jobs = max(1, min(n_jobs or cpu_count(), len(jobs) or 1))
    bar = Progress(len(jobs), label) if progress else None
    frames: dict[int, pd.DataFrame] = {}
    failed: list[dict[str, Any]] = []

    def record(i: int, frame: pd.DataFrame | None, error: BaseException | None) -> None:
        if error is None:
            frames[i] = frame
        else:
            failed.append({**jobs[i].labels, "error": f"{type(error).__name__}: {error}"})
        if bar:
            bar.update()

    if n_jobs == 1:
        for i, job in enumerate(jobs):
            record(*_attempt(i, job))
    else:
        # loky workers: safe from scripts without a main guard and from notebooks
        pin_threads()
        parallel = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
        for outcome in parallel(delayed(_attempt)(i, job) for i, job in enumerate(jobs)):
            record(*outcome)
    ordered = [frames[i] for i in sorted(frames)]
    metrics = pd.concat(ordered, ignore_index=True) if ordered else pd.DataFrame()
    return BatchResult(metrics, failed, time.perf_counter() - began)
