"""Build the validated, typed config from Hydra presets and command-line overrides.

The CLI, the Python API and sweeps all come through `compose`, so a config is
built one way only. Overrides are checked before Hydra sees them so that a bad
key or value gives one line naming it, never a traceback.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from hydra import compose as hydra_compose
from hydra import initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import setup_globals
from hydra.errors import HydraException
from hydra.initialize import get_gh_backup, restore_gh_from_backup
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from channelsim.config import hydra_speed
from channelsim.config.schema import (
    STUDY_KEYS,
    ChannelConfig,
    StrategyConfig,
    direct_seller_policy,
)
from channelsim.config.store import register_configs
from channelsim.config.validate import (
    ConfigError,
    check_value,
    closest,
    listed,
    schema_rows,
    validate,
)

CONFIG_MODULE = "channelsim.configs"
GROUPS = ("market", "strategy", "scenario", "experiment")
DIRECT_POLICY = "market.direct.policy"  # the direct seller's policy: a strategy preset
# keys that moved, old -> new: the old key still works, with a one-line note
MOVED = {
    "market.vendor_unit_cost": "market.vendor.unit_cost",
    "market.vendor_brand_trust": "market.vendor.brand_trust",
    "market.vendor_direct_bto": "market.vendor.build_to_order",
    "market.vendor_direct_service": "market.vendor.service",
    "market.standard_config_fit": "market.vendor.partner_fit",
    "market.erp_config_fit": "market.vendor.partner_erp_fit",
    "market.am_capacity": "market.vendor.rep_capacity",
    "market.direct.markup": "market.direct.policy.markup",
    "market.direct.phone_capacity": "market.direct.policy.phone_sales",
    "market.direct.rep_growth": "market.direct.policy.hiring_limit",
    "market.direct.rep_turnover": "market.direct.policy.am_turnover",
}
# short forms of Hydra's: `market.direct.policy=NAME` adds the direct seller's preset to
# the defaults (its default, direct_seller, is the schema's own: Hydra composes no file)
ALIASES = {
    DIRECT_POLICY: f"+strategy@{DIRECT_POLICY}",
    f"strategy@{DIRECT_POLICY}": f"+strategy@{DIRECT_POLICY}",
}
_NOTED: set[str] = set()


@dataclass
class Composed:
    """A composed run: the typed config plus the Hydra settings the CLI needs."""

    config: ChannelConfig
    run_dir: str | None = None


def group_options(group: str, config_dir: str | None = None) -> list[str]:
    """Preset names available in a config group (packaged plus the user's folder)."""
    names = {
        p.name[: -len(".yaml")]
        for p in resources.files(CONFIG_MODULE).joinpath(group).iterdir()
        if p.name.endswith(".yaml")
    }
    if config_dir:
        folder = Path(config_dir) / group
        if folder.is_dir():
            names |= {p.stem for p in folder.glob("*.yaml")}
    return sorted(names)


def _contains_target(value: Any) -> bool:
    if isinstance(value, dict):
        return "_target_" in value or any(_contains_target(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_target(v) for v in value)
    return False


def moved_key(key: str) -> str:
    """A key's current name (the key itself unless it moved), with a one-line note on
    stderr the first time an old name is used in this process."""
    if key in ALIASES:
        return ALIASES[key]
    new = MOVED.get(key)
    if new is None:
        return key
    if key not in _NOTED:
        _NOTED.add(key)
        print(f"channelsim: note: {key} is now {new}", file=sys.stderr)
    return new


def upgrade_overrides(overrides: Sequence[str]) -> list[str]:
    """`overrides` with every moved key under its current name."""
    out = []
    for override in overrides:
        key, sep, value = override.partition("=")
        bare = key.lstrip("+~")
        new = moved_key(bare)
        if not sep:
            out.append(override)
        elif bare in ALIASES:
            out.append(new + sep + value)
        else:
            out.append(key[: len(key) - len(bare)] + new + sep + value)
    return out


def parse_overrides(overrides: list[str]) -> list[Any]:
    """Hydra's parse of each override; a malformed one is named in a one-line ConfigError."""
    parser = OverridesParser.create()
    parsed = []
    for override in overrides:
        try:
            parsed += parser.parse_overrides([override])
        except HydraException as exc:
            detail = str(exc).strip().splitlines()[0]
            if override in detail:  # Hydra's text already quotes it
                raise ConfigError(f"malformed override: {detail}") from None
            raise ConfigError(f"malformed override {override!r}: {detail}") from None
    return parsed


def check_overrides(overrides: list[str], config_dir: str | None = None) -> dict[str, Any]:
    """Check overrides against the schema; return the strategy and market values they set,
    by key (``strategy.rebate_rate``, ``market.direct.policy.markup``), and the run's
    `seed` and `steps` if they set them.

    Raises ConfigError with one line naming the key and what is allowed.
    """
    parsed = parse_overrides(overrides)
    rows = schema_rows()
    keys = sorted(list(rows) + list(GROUPS))
    levers: dict[str, Any] = {}
    for o in parsed:
        key = o.key_or_group
        if key == "hydra" or key.startswith(("hydra.", "hydra/")):
            continue
        if "_target_" in key or _contains_target(o.value()):
            raise ConfigError(f"{key}: '_target_' is not allowed in channelsim's config groups")
        if o.is_sweep_override():
            raise ConfigError(
                f"{key}: a sweep ({o.input_line}) needs `channelsim sweep`, not a single run"
            )
        if key == "strategy" and o.package == DIRECT_POLICY and not o.is_delete():
            options = group_options("strategy", config_dir)
            if o.value() not in options:
                lead = f"{DIRECT_POLICY}={o.value()!r} is not allowed: one of "
                raise ConfigError(listed(lead, options))
            continue
        if o.package is not None or o.is_add() or o.is_force_add() or o.is_delete():
            raise ConfigError(
                f"{o.input_line}: adding or deleting keys is not allowed; "
                "set an existing key as key=value"
            )
        value = o.value()
        if key in GROUPS:
            options = group_options(key, config_dir)
            if value not in options:
                raise ConfigError(listed(f"{key}={value!r} is not allowed: one of ", options))
            continue
        if key not in rows:
            raise ConfigError(closest(f"unknown key {key!r}", key, keys))
        converted = check_value(key, value, rows[key])
        if key.startswith(("strategy.", "market.")) or key in RUN_KEYS:
            levers[key] = converted
    return levers


def quote(text: str) -> str:
    """`text` as a Hydra override value (quoted when it has characters Hydra would read)."""
    if re.fullmatch(r"[\w./:@+-]+", text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def search_path(config_dir: str | None) -> list[str]:
    """The override that adds the user's preset folder to Hydra's search path (if any)."""
    if not config_dir:
        return []
    folder = Path(config_dir).resolve()
    if not folder.is_dir():
        raise ConfigError(f"--config-dir {config_dir!r} is not allowed: no such folder")
    return [f"hydra.searchpath=[{quote('file://' + str(folder))}]"]


_HYDRA_LOCK = threading.RLock()


@contextmanager
def hydra_initialized() -> Iterator[Any]:
    """Hydra initialised on channelsim's packaged configs; yields its Hydra object.

    Whatever Hydra state there was before (inside a sweep's job, the job's own) is
    restored afterwards. Two costs each composition repeats are paid once a process
    (`channelsim.config.hydra_speed`).
    """
    with _HYDRA_LOCK:  # one process-wide Hydra: threads (dashboard sessions) take turns
        hydra_speed.install()
        register_configs()
        setup_globals()
        backup = get_gh_backup()
        try:
            GlobalHydra.instance().clear()
            with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
                yield GlobalHydra.instance().hydra
        finally:
            restore_gh_from_backup(backup)


def _hydra_compose(overrides: list[str], config_dir: str | None) -> DictConfig:
    all_overrides = list(overrides) + search_path(config_dir)
    try:
        with hydra_initialized():
            return hydra_compose("config", overrides=all_overrides, return_hydra_config=True)
    except Exception as exc:  # broken YAML, bad interpolation, ...: one line, not a traceback
        raise ConfigError(one_line(exc)) from None


def one_line(exc: BaseException) -> str:
    """Boil a Hydra/OmegaConf error down to one line naming the key."""
    text = " ".join(str(exc).split())
    key = getattr(exc, "full_key", None)
    text = text.split(" full_key:")[0].split(" object_type=")[0]
    return f"{key}: {text}" if key and key not in text else text


def _preset_files(config_dir: str | None) -> tuple[tuple[str, str], ...]:
    """Every YAML file a preset may be composed from, with a digest of its text: a
    preset is composed again when one of them changes (a few dozen small files)."""
    roots = [Path(str(resources.files(CONFIG_MODULE)))]
    if config_dir:
        roots.append(Path(config_dir).resolve())
    files = (p for root in roots for p in sorted(root.rglob("*.yaml")))
    return tuple((str(p), hashlib.blake2b(p.read_bytes()).hexdigest()) for p in files)


_PRESETS: dict[tuple[Any, ...], StrategyConfig] = {}
_PRESETS_KEPT = 64


def _keep(kept: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    """Keep `value` under `key`, the dict emptied first once it holds _PRESETS_KEPT."""
    if len(kept) >= _PRESETS_KEPT:
        kept.clear()
    kept[key] = value


def _strategy_preset(name: str, levers: dict[str, Any], config_dir: str | None) -> StrategyConfig:
    """The strategy preset `name` with the user's levers set; a scenario names several,
    and composing each through Hydra is most of the cost of composing a run, so the
    preset as read from its files is kept for as long as they stay as they are."""
    key = (name, config_dir, _preset_files(config_dir))
    if key not in _PRESETS:
        preset = _to_typed(_hydra_compose([f"strategy={name}"], config_dir)).strategy
        _keep(_PRESETS, key, preset)
    preset = copy.deepcopy(_PRESETS[key])
    preset.name = name
    for key, value in levers.items():
        setattr(preset, key, value)
    return preset


@functools.cache
def _schema() -> DictConfig:
    """The run config's schema as OmegaConf builds it from the dataclasses: built once (it
    is most of the cost of typing a config), and copied by every merge into it."""
    return OmegaConf.structured(ChannelConfig)


def _to_typed(raw: DictConfig) -> ChannelConfig:
    body = OmegaConf.masked_copy(raw, [k for k in raw if k != "hydra" and k not in STUDY_KEYS])
    if _contains_target(OmegaConf.to_container(body)):
        raise ConfigError("'_target_' is not allowed in channelsim's config groups")
    try:
        return OmegaConf.to_object(OmegaConf.merge(_schema(), body))
    except OmegaConfBaseException as exc:
        raise ConfigError(one_line(exc)) from None


def compose_run(overrides: list[str] | None = None, config_dir: str | None = None) -> Composed:
    """Compose, resolve the scenario's presets and validate; keep Hydra's run settings."""
    overrides = upgrade_overrides(overrides or [])
    given = check_overrides(overrides, config_dir)
    levers = {k.split(".", 1)[1]: v for k, v in given.items() if k.startswith("strategy.")}
    raw = _hydra_compose(overrides, config_dir)
    cfg = _to_typed(raw)
    choices = raw.hydra.runtime.choices
    if choices.get("experiment"):
        check_experiment(choices["experiment"], config_dir)
    cfg.market.name = choices.get("market", cfg.market.name)
    cfg.strategy.name = choices.get("strategy", cfg.strategy.name)
    cfg.scenario.name = choices.get("scenario", cfg.scenario.name)
    # the direct seller's policy: its preset as the vendor would have it, with the levers
    # set on top of it (by a market preset's `direct.policy`, or on the command line)
    direct = cfg.market.direct
    name = choices.get(f"strategy@{DIRECT_POLICY}", direct.policy.name)
    base = direct_seller_policy()
    own = {
        f.name: getattr(direct.policy, f.name)
        for f in dataclasses.fields(StrategyConfig)
        if f.name != "name" and getattr(direct.policy, f.name) != getattr(base, f.name)
    }
    prefix = f"{DIRECT_POLICY}."
    own |= {k.removeprefix(prefix): v for k, v in given.items() if k.startswith(prefix)}
    direct.policy = _strategy_preset(name, own, config_dir)
    cfg.presets = {}
    for event in cfg.scenario.events:
        if event.strategy is None or event.strategy in cfg.presets:
            continue
        if event.strategy not in group_options("strategy", config_dir):
            lead = f"scenario {cfg.scenario.name}: strategy {event.strategy!r} is not a preset: "
            raise ConfigError(listed(lead, group_options("strategy", config_dir)))
        cfg.presets[event.strategy] = _strategy_preset(event.strategy, levers, config_dir)
    cfg.lever_overrides = dict(levers)
    cfg.market_overrides = {
        k.split(".", 1)[1]: v for k, v in given.items() if k.startswith("market.")
    }
    initial = initial_strategy(cfg)
    if initial is not None:
        cfg.strategy = copy.deepcopy(cfg.presets[initial])
    validate(cfg)
    try:
        run_dir = str(raw.hydra.run.dir)
    except Exception as exc:
        raise ConfigError(one_line(exc)) from None
    if not run_dir.strip():
        raise ConfigError("hydra.run.dir='' is not allowed: expected a folder path")
    return Composed(config=cfg, run_dir=run_dir)


def experiment_files(name: str, config_dir: str | None = None) -> list[Path]:
    """The YAML files that may define the named sweep `name` (packaged, then the user's)."""
    files = [Path(str(resources.files(CONFIG_MODULE).joinpath("experiment", f"{name}.yaml")))]
    if config_dir:
        files.append(Path(config_dir) / "experiment" / f"{name}.yaml")
    return [f for f in files if f.is_file()]


def check_experiment(name: str, config_dir: str | None = None) -> None:
    """A named sweep may set channelsim keys and `hydra.sweeper.params`, never `_target_`
    (its `hydra:` section is not typed by channelsim's schema, so it is read here)."""
    for path in experiment_files(name, config_dir):
        try:
            body = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            message = f"experiment={name}: {path} cannot be read: {one_line(exc)}"
            raise ConfigError(message) from None
        if _contains_target(body):
            raise ConfigError(
                f"experiment={name}: '_target_' is not allowed in channelsim's config groups"
            )


def initial_strategy(cfg: ChannelConfig) -> str | None:
    """The preset the scenario puts in force at the first simulated month, if any."""
    start = cfg.market.start
    chosen = None
    for event in sorted(cfg.scenario.events, key=lambda e: e.date):
        if event.date <= start and event.strategy is not None:
            chosen = event.strategy
    return chosen


def with_values(config: ChannelConfig, values: dict[str, Any]) -> ChannelConfig:
    """`config` with lever and market values, and the run's `seed` and `steps`, set as
    command-line overrides would set them (levers held through the scenario's preset
    switches), checked and validated; equal to composing again with ``key=value``
    overrides, at a fraction of the cost.

    Raises:
        ConfigError: a key that is not a lever, a market parameter, `seed` or `steps`, or
        a bad value.
    """
    rows = schema_rows()
    cfg = copy.deepcopy(config)
    for key, value in values.items():
        key = moved_key(key)
        if key == f"{DIRECT_POLICY}.name":
            raise ConfigError(f"{key} is not set here: compose with {DIRECT_POLICY}=PRESET")
        section, _, name = key.partition(".")
        if key in RUN_KEYS:
            setattr(cfg, key, check_value(key, value, rows[key]))
            continue
        if key not in rows or section not in ("strategy", "market"):
            raise ConfigError(closest(f"unknown key {key!r}", key, list(rows)))
        value = check_value(key, value, rows[key])
        if section == "strategy":
            for strategy in (cfg.strategy, *cfg.presets.values()):
                setattr(strategy, name, value)
            cfg.lever_overrides[name] = value
        else:
            *path, last = name.split(".")
            node = cfg.market
            for part in path:
                node = getattr(node, part)
            setattr(node, last, value)
            cfg.market_overrides[name] = value
    validate(cfg)
    return cfg


def compose(overrides: list[str] | None = None, config_dir: str | None = None) -> ChannelConfig:
    """The validated, typed config that `channelsim run OVERRIDES` would build.

    Args:
        overrides: Hydra overrides such as ``["strategy=direct", "seed=3"]``.
        config_dir: a folder of the user's own presets (``strategy/``, ``market/``...).

    Raises:
        ConfigError: one line naming the bad key, the value and what is allowed.
    """
    overrides = upgrade_overrides(overrides or [])
    values = {k: v for k, v in check_overrides(overrides, config_dir).items() if k not in READ}
    # the strategy and market values set directly on the config the other overrides
    # compose (kept while the preset files stay as they are), and the run's seed and
    # months: Hydra composes a base once, and without values the config is a copy of it.
    # check_overrides parsed every override: each is key=value, its key as written
    rest = [line for line in overrides if line.split("=", 1)[0] not in values]
    key = (tuple(rest), config_dir, _preset_files(config_dir))
    base = _BASES.get(key, _UNKNOWN)
    if base is _UNKNOWN:
        try:
            base = compose_run(rest, config_dir).config
        except ConfigError:  # valid only with its values (partner shares, ...)
            base = None
        _keep(_BASES, key, base)
    try:
        if base is not None:
            return with_values(base, values) if values else copy.deepcopy(base)
    except ConfigError:  # a value judged with the rest of the config: the message says so
        pass
    return compose_run(overrides, config_dir).config


# configs composed without their strategy and market values, by the other overrides (None:
# not valid without them)
_BASES: dict[tuple[Any, ...], ChannelConfig | None] = {}
_UNKNOWN = object()

# values composition reads (the start decides which preset is in force at first): never
# set on a kept base
READ = frozenset({"market.start"})
# the run's own settings, set on a kept config like lever and market values
RUN_KEYS = ("seed", "steps")
