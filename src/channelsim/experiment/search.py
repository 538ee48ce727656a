"""An Optuna study run to its budget, as `channelsim optimize` and `channelsim calibrate`
run theirs: ask a batch of trials, run them on local worker processes, tell each result
as it comes, until the study's counted trials reach the budget.

A command describes its study with a `Searched` plan: where the study lives, what is
searched, in which direction, with which sampler, and what one trial runs (a picklable
task and the top-level function that runs it in a worker). The sampler is seeded afresh
for every batch from the plan's seed and the number of trials already in the study, so
a fresh study is the same study from the same seed, and a resumed one does not repeat
its first proposals.

The study lives in ``study.db`` (SQLite) in the output folder, held by one start at a
time; trials a killed start left running are failed there and not counted. A shared
storage (``journal:PATH`` or an RDB URL) lets several processes work on one study, each
asking, running and telling its own trials until the budget is reached
(`channelsim.experiment.budget`).
"""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from channelsim.config.compose import one_line
from channelsim.config.validate import ConfigError
from channelsim.experiment.batch import Progress, pin_threads
from channelsim.experiment.budget import (
    ERROR,
    HEARTBEAT,
    OWNER,
    Watch,
    counts,
    give_back,
    heartbeat,
    interrupt,
    owner,
    within_budget,
)

STUDY_FILE = "study.db"
PLAN_ATTR = "channelsim"  # the study's user attribute holding its plan record
POLL_S = 1.0  # seconds between looks at a shared study that others' trials fill


@dataclass(frozen=True)
class TrialResult:
    """A trial's value, or why it failed; `attrs` are kept on the trial in the study."""

    number: int
    value: float | None
    error: str | None
    attrs: dict[str, Any] = field(default_factory=dict)


class Searched(Protocol):
    """What the study loop needs of a command's plan."""

    out_dir: Path
    storage: str | None  # None: study.db in out_dir
    distributions: dict[str, Any]
    seed: int

    @property
    def study_name(self) -> str: ...
    @property
    def section(self) -> str: ...  # the command's config section: optimize, calibrate
    @property
    def shared(self) -> bool: ...
    @property
    def budget(self) -> int: ...
    @property
    def n_jobs(self) -> int: ...
    @property
    def direction(self) -> str: ...  # maximize or minimize
    @property
    def same_study(self) -> dict[str, str]: ...  # record key -> what it is, in words

    def sampler(self, seed: int) -> Any: ...
    def task(self, trial: Any) -> Any: ...  # what a worker runs: picklable
    def runner(self) -> Callable[[Any], TrialResult]: ...  # a module-level function
    def record(self) -> dict[str, Any]: ...  # what makes the study (JSON)


class StudyPlan:
    """What every command's plan has alike: its study is named after its experiment,
    shared when it has a storage, and its spec says how many trials run at a time."""

    experiment: str
    storage: str | None
    spec: Any

    @property
    def study_name(self) -> str:
        return self.experiment

    @property
    def shared(self) -> bool:
        """Whether other processes may work on the study at the same time."""
        return self.storage is not None

    @property
    def n_jobs(self) -> int:
        return self.spec.n_jobs


def require_optuna(command: str) -> None:
    """One line, not a traceback, when the `optuna` extra is missing."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"channelsim {command} needs the optuna extra: pip install 'channelsim[optuna]'"
        ) from None


def check_storage(storage: str | None, section: str) -> str | None:
    """SECTION.storage as the study will open it (a journal's path made absolute)."""
    if storage is None:
        return None
    text = str(storage).strip()
    if text.startswith("journal:") and text != "journal:":
        return "journal:" + str(Path(text.removeprefix("journal:")).expanduser().resolve())
    if re.fullmatch(r"[A-Za-z][\w+.-]*://.*", text):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(text)
        except ArgumentError as exc:
            raise ConfigError(f"{section}.storage: not a database URL ({exc})") from None
        return text
    raise ConfigError(
        f"{section}.storage={storage!r} is not allowed: expected journal:PATH (a file on a "
        "shared file system), an RDB URL (sqlite:///PATH, postgresql://USER@HOST/DB) or "
        "null (study.db in the output folder)"
    )


def shown_storage(storage: str | None) -> str | None:
    """The storage as it may be printed and recorded: an RDB URL's password hidden."""
    if storage is None or storage.startswith("journal:"):
        return storage
    from sqlalchemy.engine import make_url

    return make_url(storage).render_as_string(hide_password=True)


def check_study_record(plan: Searched, study: Any) -> None:
    """A shared storage's study takes only processes with the same plan."""
    record = json.loads(json.dumps(plan.record()))
    before = study.user_attrs.get(PLAN_ATTR)
    if before is None:
        study.set_user_attr(PLAN_ATTR, record)
        return
    for key, words in plan.same_study.items():
        if before.get(key) != record.get(key):
            raise ConfigError(
                f"{plan.section}.storage={shown_storage(plan.storage)} holds a study "
                f"{plan.study_name!r} with other {words}; use the same settings or another "
                "storage"
            )


def open_storage(plan: Searched) -> Any:
    """The study's storage: study.db in the folder, a journal file or an RDB URL."""
    if plan.storage is None:
        return f"sqlite:///{plan.out_dir / STUDY_FILE}"
    if plan.storage.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        path = Path(plan.storage.removeprefix("journal:"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    return plan.storage


def open_study(plan: Searched) -> Any:
    """The study, with (on the folder's own study.db) the trials a killed start left
    running failed as interrupted.

    Raises:
        ConfigError: the storage cannot be opened, or holds another search.
    """
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    where = (
        f"{plan.section}.storage={shown_storage(plan.storage)}"
        if plan.shared
        else str(plan.out_dir / STUDY_FILE)
    )
    try:
        study = optuna.create_study(
            study_name=plan.study_name,
            storage=open_storage(plan),
            direction=plan.direction,
            load_if_exists=True,
        )
    except Exception as exc:
        raise ConfigError(f"{where}: the study cannot be opened: {one_line(exc)}") from None
    check_study_record(plan, study)
    if not plan.shared:
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            interrupt(study, trial)
    return study


def batch_seed(plan: Searched, first: int) -> int:
    """The sampler's seed for a batch asked when the study holds `first` trials; on a
    shared storage, this process's own too, so processes asking at once differ."""
    entropy = [plan.seed, first]
    if plan.shared:
        entropy.append(zlib.crc32(owner().encode()))
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def ask(study: Any, plan: Searched, count: int, first: int) -> list[Any]:
    """Up to `count` new trials; a trial beyond the budget (asked in a race with another
    process) is given back as surplus, and ends the batch."""
    study.sampler = plan.sampler(batch_seed(plan, first))
    asked = []
    for _ in range(count):
        trial = study.ask(plan.distributions)
        trial.set_user_attr(OWNER, owner())
        if plan.shared:
            trial.set_user_attr(HEARTBEAT, time.time())
        if not within_budget(study, trial, plan.budget):
            give_back(study, trial)
            break
        asked.append(trial)
    return asked


def tell(study: Any, trial: Any, result: TrialResult) -> None:
    """The trial's value (and what else it measured), or its failure with why."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    try:
        for key, value in result.attrs.items():
            trial.set_user_attr(key, value)
        if result.error is None:
            study.tell(trial, result.value)
        else:
            trial.set_user_attr(ERROR, result.error)
            study.tell(trial, state=TrialState.FAIL)
    except UpdateFinishedTrialError:
        pass  # failed as interrupted by another process meanwhile: its result is lost


def run_trials(
    tasks: list[Any], n_jobs: int, runner: Callable[[Any], TrialResult]
) -> Iterator[TrialResult]:
    """The trials' results as they finish: in this process, or on local worker processes."""
    workers = min(n_jobs, len(tasks))
    if workers <= 1:
        yield from map(runner, tasks)
        return
    from joblib import Parallel, delayed

    pin_threads()
    parallel = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(runner)(task) for task in tasks)


def run_batch(study: Any, plan: Searched, batch: list[Any], bar: Progress | None) -> None:
    """Run the asked trials, telling each as it finishes."""
    trials = {t.number: t for t in batch}
    try:
        with heartbeat(batch, plan.shared):
            tasks = [plan.task(t) for t in batch]
            for result in run_trials(tasks, plan.n_jobs, plan.runner()):
                tell(study, trials.pop(result.number), result)
                if bar:
                    bar.update()
    finally:  # the workers failed or the start was stopped: the rest were interrupted
        for trial in trials.values():
            interrupt(study, trial)


def search(study: Any, plan: Searched, bar: Progress | None) -> tuple[int, str | None]:
    """Ask, run and tell trials until the study's counted trials reach the budget, waiting
    for other processes' running trials; returns the trials run here and an error."""
    from optuna.trial import TrialState

    watch = Watch()
    ran = 0
    while True:
        trials = study.get_trials(deepcopy=False)
        if plan.shared:
            for t in watch.stale(trials):
                interrupt(study, t)
            trials = study.get_trials(deepcopy=False)
        done = sum(map(counts, trials))
        running = sum(t.state == TrialState.RUNNING for t in trials)
        if done >= plan.budget:
            return ran, None
        room = plan.budget - done - running
        batch = ask(study, plan, min(plan.n_jobs, room), len(trials)) if room > 0 else []
        if not batch:
            time.sleep(POLL_S)  # others' running trials fill the budget: wait for them
            continue
        try:
            run_batch(study, plan, batch, bar)
        except Exception as exc:  # a worker process died, or the pool could not start
            return ran, f"the trial workers failed: {one_line(exc)}"
        ran += len(batch)
