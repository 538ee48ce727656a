"""A study's budget when several processes share it: which trials count, whether a trial
just asked is within the budget, and which running trials were interrupted.

channelsim marks Optuna's trials with user attributes: ``error`` on a trial that failed
by its own runs (it counts, with why), ``surplus`` on a trial asked beyond the budget in
a race between processes and given back at once (it never runs, does not count and is
left out of the tables), ``owner`` (host:pid) and, on a shared storage, ``heartbeat``.
A failed trial with neither ``error`` nor ``surplus`` was interrupted: it does not count,
so the budget runs its share again.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

ERROR = "error"
SURPLUS = "surplus"
OWNER = "owner"
HEARTBEAT = "heartbeat"

HEARTBEAT_S = 10.0  # seconds between a process's heartbeats on its running trials
STALE_S = 60.0  # a running trial whose heartbeat stood still this long was interrupted


def owner() -> str:
    """This process, as its trials' owner."""
    return f"{socket.gethostname()}:{os.getpid()}"


def counts(trial: Any) -> bool:
    """Whether a trial counts against the budget: finished, or failed by its own runs."""
    from optuna.trial import TrialState

    return trial.state == TrialState.COMPLETE or (
        trial.state == TrialState.FAIL and ERROR in trial.user_attrs
    )


def trials_done(study: Any) -> int:
    """Trials that count against the budget."""
    return sum(map(counts, study.get_trials(deepcopy=False)))


def within_budget(study: Any, trial: Any, budget: int) -> bool:
    """Whether `trial` is one of the study's first `budget` trials: fewer than `budget`
    trials numbered before it are counted or running.

    Trial numbers are unique and ordered across processes, so of several trials asked
    at once the lowest numbers are kept, and the kept ones add up to the budget.
    """
    from optuna.trial import TrialState

    ahead = sum(
        t.number < trial.number and (counts(t) or t.state == TrialState.RUNNING)
        for t in study.get_trials(deepcopy=False)
    )
    return ahead < budget


def tabled(study: Any, budget: int) -> list[Any]:
    """The trials a results table lists, by number: all but the surplus ones, given back
    or still to be. A trial asked beyond the budget runs until the process that asked it
    gives it back; a table written in between leaves it out as well, so processes that
    share a study write the same table. (A trial's count of counted or running trials
    before it never grows, so a trial asked within the budget stays within it.)"""
    from optuna.trial import TrialState

    kept, ahead = [], 0
    for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        running = trial.state == TrialState.RUNNING
        beyond = running and ahead >= budget
        ahead += counts(trial) or running
        if not (trial.user_attrs.get(SURPLUS) or beyond):
            kept.append(trial)
    return kept


def give_back(study: Any, trial: Any) -> None:
    """A trial asked beyond the budget: failed at once as surplus, never run."""
    from optuna.trial import TrialState

    trial.set_user_attr(SURPLUS, True)
    study.tell(trial, state=TrialState.FAIL)


def interrupt(study: Any, trial: Any) -> None:
    """Fail a running trial that will never be told: not counted against the budget."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    with suppress(UpdateFinishedTrialError):  # another process failed it first
        study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)


class Watch:
    """Running trials whose heartbeat stood still for STALE_S seconds. Each heartbeat
    value is timed on this process's own clock, so the nodes' clocks need not agree."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[Any, float]] = {}

    def stale(self, trials: list[Any]) -> list[Any]:
        from optuna.trial import TrialState

        now = time.monotonic()
        found = []
        for t in trials:
            if t.state != TrialState.RUNNING:
                continue
            beat = t.user_attrs.get(HEARTBEAT)
            last = self.seen.get(t.number)
            if last is None or last[0] != beat:
                self.seen[t.number] = (beat, now)
            elif now - last[1] > STALE_S:
                found.append(t)
        return found


@contextmanager
def heartbeat(trials: list[Any], beating: bool = True) -> Iterator[None]:
    """Renew the trials' heartbeat every HEARTBEAT_S seconds while they run."""
    if not beating:
        yield
        return
    from optuna.exceptions import UpdateFinishedTrialError

    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            for trial in trials:
                with suppress(UpdateFinishedTrialError):  # told already
                    trial.set_user_attr(HEARTBEAT, time.time())

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
