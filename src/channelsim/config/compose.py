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
    SELLER_NAME,
    SELLERS,
    STUDY_KEYS,
    ChannelConfig,
    MarketConfig,
    ScenarioEvent,
    StrategyConfig,
    set_path,
)
from channelsim.config.store import register_configs
from channelsim.config.validate import (
    SELLER_KEY,
    ConfigError,
    check_value,
    closest,
    listed,
    schema_rows,
    validate,
)

CONFIG_MODULE = "channelsim.configs"
GROUPS = ("market", "strategy", "scenario", "experiment")
SELLER_GROUP = "seller"  # presets of a seller added to a market: +seller@market.sellers.NAME=P
# a seller's policy (`market.sellers.NAME.policy`): a strategy preset with its levers
POLICY = re.compile(rf"^(?:strategy@)?{re.escape(SELLERS)}\.({SELLER_NAME})\.policy$")
SELLER_ENTRY = re.compile(rf"^{re.escape(SELLERS)}\.([^.]+)$")  # a name checked by validate
# Hydra's words for a key under a seller the market does not have
NO_SELLER = re.compile(rf"Could not override '({re.escape(SELLERS)}\.([^.']+))[.']")
# sections that moved under market.sellers: market.direct.x is market.sellers.direct.x
MOVED_SELLERS = ("market.vendor.", "market.direct.")
# keys that moved, old -> new: the old key still works, with a one-line note
MOVED = {
    "market.vendor_unit_cost": "market.sellers.vendor.unit_cost",
    "market.vendor_brand_trust": "market.sellers.vendor.brand_trust",
    "market.vendor_direct_bto": "market.sellers.vendor.build_to_order",
    "market.vendor_direct_service": "market.sellers.vendor.service",
    "market.standard_config_fit": "market.sellers.vendor.partner_fit",
    "market.erp_config_fit": "market.sellers.vendor.partner_erp_fit",
    "market.am_capacity": "market.sellers.vendor.rep_capacity",
    "market.direct.markup": "market.sellers.direct.policy.markup",
    "market.direct.phone_capacity": "market.sellers.direct.policy.phone_sales",
    "market.direct.rep_growth": "market.sellers.direct.policy.hiring_limit",
    "market.direct.rep_turnover": "market.sellers.direct.policy.am_turnover",
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


def alias(key: str) -> str | None:
    """Hydra's form of a short one: `market.sellers.NAME.policy=PRESET`, a strategy preset
    at the seller's policy (None: `key` is no short form); compose_run sets it."""
    found = POLICY.match(key)
    return f"+strategy@{SELLERS}.{found.group(1)}.policy" if found else None


def moved_key(key: str) -> str:
    """A key's current name (the key itself unless it moved), with a one-line note on
    stderr the first time an old name is used in this process."""
    moved = MOVED.get(key, key)
    if moved.startswith(MOVED_SELLERS):
        moved = SELLERS + moved.removeprefix("market")
    if moved != key and key not in _NOTED:
        _NOTED.add(key)
        print(f"channelsim: note: {key} is now {moved}", file=sys.stderr)
    return alias(moved) or moved


def upgrade_overrides(overrides: Sequence[str]) -> list[str]:
    """`overrides` with every moved key under its current name."""
    out = []
    for override in overrides:
        key, sep, value = override.partition("=")
        bare = key.lstrip("+~")
        new = moved_key(bare)
        if not sep:
            out.append(key[: len(key) - len(bare)] + new)
        elif new.startswith("+strategy@"):
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
    by key (``strategy.rebate_rate``, ``market.sellers.direct.policy.markup``), and the run's
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
        package = o.package or ""
        if key == "strategy" and POLICY.match(package) and not o.is_delete():
            check_option("strategy", f"{package}={o.value()!r}", o.value(), config_dir)
            continue
        if key == SELLER_GROUP and SELLER_ENTRY.match(package) and o.is_add():
            check_option(SELLER_GROUP, f"+seller@{package}={o.value()!r}", o.value(), config_dir)
            continue
        if o.is_delete() and SELLER_ENTRY.match(key) and o.value() is None:
            continue  # ~market.sellers.NAME: a market without that seller
        if o.package is not None or o.is_add() or o.is_force_add() or o.is_delete():
            raise ConfigError(
                f"{o.input_line}: adding or deleting keys is not allowed (but a seller: "
                f"+seller@{SELLERS}.NAME=PRESET, ~{SELLERS}.NAME); set a key as key=value"
            )
        value = o.value()
        if key in GROUPS:
            check_option(key, f"{key}={value!r}", value, config_dir)
            continue
        if key not in rows:
            raise ConfigError(closest(f"unknown key {key!r}", key, keys))
        converted = check_value(key, value, rows[key])
        if key.startswith(("strategy.", "market.")) or key in RUN_KEYS:
            levers[key] = converted
    return levers


def check_option(group: str, given: str, value: Any, config_dir: str | None) -> None:
    """`value` names a preset of `group`, or a ConfigError says which do (`given`: the
    override as the user wrote it)."""
    options = group_options(group, config_dir)
    if value not in options:
        raise ConfigError(listed(f"{given} is not allowed: one of ", options))


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
        missing = NO_SELLER.search(str(exc))
        if missing:
            where, name = missing.groups()
            presets = ", ".join(group_options(SELLER_GROUP, config_dir))
            raise ConfigError(
                f"{where}: the market has no seller {name!r}; add one with "
                f"+seller@{where}=PRESET ({presets})"
            ) from None
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
    # a seller's policy preset named on the command line is set here, on a seller the
    # market has (Hydra would make a seller of any name)
    chosen, rest = {}, []
    for line in overrides:
        key, _, value = line.partition("=")
        found = POLICY.match(key.removeprefix("+"))
        if found:
            chosen[found.group(1)] = value
        else:
            rest.append(line)
    raw = _hydra_compose(rest, config_dir)
    cfg = _to_typed(raw)
    for name in chosen:
        if name not in cfg.market.sellers or name == cfg.market.focal:
            where = f"{SELLERS}.{name}.policy"
            raise ConfigError(
                f"{where} is not allowed: the focal vendor's policy is strategy.*"
                if name == cfg.market.focal
                else f"{where}: the market has no seller {name!r}; add one with "
                f"+seller@{SELLERS}.{name}=PRESET"
            )
    choices = raw.hydra.runtime.choices
    if choices.get("experiment"):
        check_experiment(choices["experiment"], config_dir)
    cfg.market.name = choices.get("market", cfg.market.name)
    cfg.strategy.name = choices.get("strategy", cfg.strategy.name)
    cfg.scenario.name = choices.get("scenario", cfg.scenario.name)
    for name, seller in cfg.market.sellers.items():
        if name != cfg.market.focal:
            preset = chosen.get(name, seller.policy.name)
            seller.policy = seller_policy(name, seller.policy, preset, given, config_dir)
    for event in cfg.scenario.events:  # a market event's keys under their current names
        event.market = {
            moved_key(f"market.{k}").removeprefix("market."): v for k, v in event.market.items()
        }
    cfg.scenario.events = [
        e for e in cfg.scenario.events if not absent_sellers(e, cfg.scenario.name, cfg.market)
    ]
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


def absent_sellers(event: ScenarioEvent, scenario: str, market: MarketConfig) -> bool:
    """Leave out what a scenario's event says of sellers the market does not have (the
    direct seller's exit in a market without it, the purchase of IBM's business in the
    two-seller market), with a one-line note on stderr the first time; True: nothing of
    the event is left."""
    absent = set()
    for key in list(event.market):
        found = SELLER_KEY.match(f"market.{key}")
        if found and found.group(1) not in market.sellers:
            absent.add(found.group(1))
            del event.market[key]
    names = [event.acquisition.get(role) for role in ("buyer", "seller")]
    if event.acquisition and any(n not in market.sellers for n in names):
        absent.update(n for n in names if n not in market.sellers)
        event.acquisition = {}
    if absent:
        note = f"scenario {scenario}: its {event.date} event left out of market {market.name}"
        if note not in _NOTED:
            _NOTED.add(note)
            missing = ", ".join(sorted(map(str, absent)))
            print(f"channelsim: note: {note}, which has no seller {missing}", file=sys.stderr)
    return bool(absent) and not (
        event.strategy or event.levers or event.market or event.acquisition
    )


def seller_policy(
    name: str,
    policy: StrategyConfig,
    preset: str,
    given: dict[str, Any],
    config_dir: str | None,
) -> StrategyConfig:
    """A seller's policy: its preset (`market.sellers.NAME.policy=PRESET`, or the name its
    market preset gives) as the vendor would have it, with the levers set on top of it (by
    the market preset, or on the command line)."""
    where = f"{SELLERS}.{name}.policy"
    check_option("strategy", f"{where}={preset!r}", preset, config_dir)
    base = StrategyConfig()
    own = {
        f.name: getattr(policy, f.name)
        for f in dataclasses.fields(StrategyConfig)
        if f.name != "name" and getattr(policy, f.name) != getattr(base, f.name)
    }
    own |= {k.removeprefix(f"{where}."): v for k, v in given.items() if k.startswith(f"{where}.")}
    return _strategy_preset(preset, own, config_dir)


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
        if key.startswith("+strategy@") or POLICY.match(key.removesuffix(".name")):
            where = key.removeprefix("+strategy@").removesuffix(".name")
            raise ConfigError(f"{where} is not set here: compose with {where}=PRESET")
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
            found = SELLER_KEY.match(key)
            if found and found.group(1) not in cfg.market.sellers:
                lead = f"{key}: the market has no seller {found.group(1)!r}; its sellers: "
                raise ConfigError(listed(lead, list(cfg.market.sellers)))
            set_path(cfg.market, name, value)
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
