"""What the decision commands (`optimize`, `sensitivity`) share: their overrides split
by kind, the experiment's config composed as a multirun, their own settings checked,
and a rerun into a folder allowed only for the same settings."""

from __future__ import annotations

import dataclasses
import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from channelsim.config.compose import (
    check_experiment,
    hydra_initialized,
    one_line,
    parse_overrides,
    search_path,
    upgrade_overrides,
)
from channelsim.config.validate import ConfigError


def override_key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def split_overrides(
    overrides: list[str], section: str
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Hydra's own overrides, the `experiment=` one, the command's section (`optimize.*`
    or `sensitivity.*`) and the model's; malformed ones are named in one line, and a
    moved key is named by its current name."""
    overrides = upgrade_overrides(overrides)
    parse_overrides(overrides)
    hydra, experiment, own, task = [], [], [], []
    for o in overrides:
        key = override_key(o)
        if key == "hydra" or key.startswith(("hydra.", "hydra/")):
            hydra.append(o)
        elif key == "experiment":
            experiment.append(o)
        elif key == section or key.startswith(section + "."):
            own.append(o)
        else:
            task.append(o)
    if len(experiment) > 1:
        raise ConfigError("experiment: give one named experiment")
    return hydra, experiment, own, task


def study_config(overrides: list[str], config_dir: str | None, section: str) -> DictConfig:
    """The experiment's whole config as Hydra composes it for a multirun (its sweeps
    left out), with `section` typed; ConfigError in one line otherwise."""
    from hydra.types import RunMode

    with hydra_initialized() as hydra:
        try:
            primary = hydra.compose_config(
                "config",
                overrides=list(overrides) + search_path(config_dir),
                run_mode=RunMode.MULTIRUN,
                with_log_configuration=False,
            )
        except Exception as exc:
            raise ConfigError(one_line(exc)) from None
    return primary


def refuse_policy_search(primary: DictConfig, name: str) -> None:
    """An experiment that declares `optimize.params` runs with `channelsim optimize`, one
    that declares `calibrate.targets` with `channelsim calibrate`."""
    if primary.optimize.params:
        raise ConfigError(
            f"experiment={name} is a policy search (optimize.params): run it with "
            f"`channelsim optimize experiment={name}`"
        )
    if primary.calibrate.targets:
        raise ConfigError(
            f"experiment={name} is a calibration (calibrate.targets): run it with "
            f"`channelsim calibrate experiment={name}`"
        )


def check_section(overrides: list[str], schema: type, section: str) -> None:
    """The command's own keys (`optimize.seeds=2`) exist; one line naming them if not."""
    names = [f.name for f in dataclasses.fields(schema)]
    for o, parsed in zip(overrides, parse_overrides(overrides), strict=True):
        key = override_key(o)
        if parsed.is_sweep_override():
            raise ConfigError(f"{o}: {key} takes one value, not a sweep")
        if "." not in key or key.split(".")[1] not in names:
            raise ConfigError(
                f"unknown key {key!r}; {section} keys: "
                + ", ".join(f"{section}.{n}" for n in names)
            )


def experiment_of(experiment: list[str], default: str, config_dir: str | None) -> list[str]:
    """The `experiment=` override given, or the command's default; checked."""
    chosen = experiment or [f"experiment={default}"]
    check_experiment(chosen[0].split("=", 1)[1], config_dir)
    return chosen


def check_resume(
    path: Path, record: dict[str, Any], what: dict[str, str], noun: str, out_dir: Path
) -> None:
    """A rerun into a folder goes on only with the settings its record was written with."""
    if not path.exists():
        return
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is unreadable: {exc}") from None
    now = json.loads(json.dumps(record))
    for key, words in what.items():
        if before.get(key) != now.get(key):
            raise ConfigError(
                f"hydra.sweep.dir={out_dir} holds {noun} with other {words}; "
                "resume it with the same settings or choose a new folder"
            )


@contextmanager
def folder_lock(out_dir: Path, command: str) -> Iterator[None]:
    """Hold the folder for one start: a second start into it is refused in one line
    rather than marking the first one's trials as interrupted."""
    path = Path(out_dir) / ".lock"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"hydra.sweep.dir={out_dir} is in use by another {command}; wait for it "
                "or choose another folder"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
