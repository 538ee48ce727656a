"""Range and choice checks on a composed config, and one-line error wording."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from typing import Any

from channelsim.config.schema import (
    ACQUISITION_KEYS,
    NAME,
    SEGMENT_NAMES,
    SELLER_NAME,
    SELLERS,
    STRUCTURES,
    TOP_LEVEL_RANGES,
    ChannelConfig,
    MarketConfig,
    StrategyConfig,
    allowed_text,
    field_table,
)

# market keys fixed when the market is built: a dated event cannot change them
STRUCTURAL = {
    "market.name",
    "market.start",
    "market.n_regions",
    "market.resellers_per_region",
    "market.distributors",
    "market.key_accounts_per_region",
    "market.mid_accounts_per_region",
    "market.global_accounts",
    "market.coverage_per_account",
    # the sellers' field forces and positions at the start
    *(
        f"{SELLERS}.{NAME}.{key}"
        for key in (
            "partner_share",
            "field_reps",
            "incumbent_mid",
            "incumbent_key",
            "incumbent_global",
            "relationship_mid",
            "relationship_key",
            "relationship_global",
        )
    ),
}
# a key of one seller, `market.sellers.<name>.<rest>`
SELLER_KEY = re.compile(rf"^{re.escape(SELLERS)}\.({SELLER_NAME})\.")
# ranges drawn from at the start: (least, most) keys of market.population
POPULATION_RANGES = (
    ("partner_tie_lo", "partner_tie_hi"),
    ("aptitude_lo", "aptitude_hi"),
    ("service_lo", "service_hi"),
)
DATE_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class ConfigError(ValueError):
    """A bad configuration value: one line naming the key, the value and what is allowed."""


def template(key: str) -> str:
    """A key as the schema describes it: a seller's keys under `market.sellers.NAME`."""
    return SELLER_KEY.sub(f"{SELLERS}.{NAME}.", key)


class SchemaRows(dict):
    """The schema's rows by key; a seller's key (`market.sellers.direct.unit_cost`) finds
    the row of every seller's (`market.sellers.NAME.unit_cost`)."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, template(key))

    def __getitem__(self, key: str) -> dict[str, Any]:
        return dict.__getitem__(self, template(key))

    def get(self, key: str, default: Any = None) -> Any:
        return dict.get(self, template(key), default)


def schema_rows() -> SchemaRows:
    """Every settable key (`seed`, `market.x`, `strategy.y`, ...) with its description."""
    rows = {
        key: {
            "key": key,
            "type": "int",
            "lo": lo,
            "hi": hi,
            "choices": None,
            "default": getattr(ChannelConfig(), key),
            "meaning": meaning,
        }
        for key, (lo, hi, meaning) in TOP_LEVEL_RANGES.items()
    }
    for row in field_table(MarketConfig, "market") + field_table(StrategyConfig, "strategy"):
        rows[row["key"]] = row
    return SchemaRows(rows)


# an error line's room: 100 columns less the command's "channelsim: error: "
ERROR_ROOM = 81


def listed(lead: str, names: Sequence[str], tail: str = "") -> str:
    """`lead` and as many of `names` as fit an error line, then `tail` if it still fits.

    Names left out are counted (`+3 more`); at least one name is always given."""
    names = [str(n) for n in names]
    texts = []  # from every name and the tail down to the first name alone
    for shown in range(len(names), 0, -1):
        left = len(names) - shown
        text = lead + ", ".join(names[:shown]) + (f", +{left} more" if left else "")
        texts += [text + tail, text]
    texts.append(lead + names[0] if names else lead.rstrip(": "))
    return next((t for t in texts if len(t) <= ERROR_ROOM), texts[-1])


def closest(lead: str, name: str, candidates: list[str]) -> str:
    """`lead` with 'did you mean' wording for an unknown name, in one error line (a
    seller's keys named as the seller's; the names alone where the keys are too long and
    share the unknown key's section)."""
    found = SELLER_KEY.match(name)
    if found:
        candidates = [c.replace(f".{NAME}.", f".{found.group(1)}.", 1) for c in candidates]
    near = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    if not near:
        tail = name.rsplit(".", 1)[-1]
        near = [c for c in candidates if c.rsplit(".", 1)[-1].startswith(tail[:4])][:3]
    if not near:
        near = difflib.get_close_matches(name, candidates, n=3, cutoff=0.0)
    text = listed(f"{lead}; closest valid: ", near, " (all: `channelsim levers`)")
    section = name.rpartition(".")[0] + "."
    if len(text) > ERROR_ROOM and all(n.startswith(section) for n in near):
        near = [n.removeprefix(section) for n in near]
        text = listed(f"{lead}; closest valid: ", near, " (all: `channelsim levers`)")
    return text


def check_value(key: str, value: Any, row: dict[str, Any]) -> Any:
    """Check one value against its row; return it converted to the field's type."""
    kind = row["type"]
    lead = f"{key}={value!r} is not allowed: expected "
    bad = ConfigError(
        listed(lead + "one of ", [repr(c) if c == "" else c for c in row["choices"]])
        if row["choices"]
        else lead + allowed_text(row)
    )
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if row.get("length"):
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise bad
        if len(value) != row["length"]:
            raise bad
        entry = {**row, "type": "float", "length": None}
        try:
            return [check_value(key, v, entry) for v in value]
        except ConfigError:
            raise bad from None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise bad
    elif kind == "str":
        if not isinstance(value, str):
            raise bad
        if row["choices"] and value not in row["choices"]:
            raise bad
        return value
    lo, hi = row["lo"], row["hi"]
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad
    return value


def _check_dataclass(obj: Any, prefix: str, rows: dict[str, dict[str, Any]]) -> None:
    for f in fields(obj):
        value = getattr(obj, f.name)
        key = f"{prefix}.{f.name}"
        if is_dataclass(value):
            _check_dataclass(value, key, rows)
        elif "each" in f.metadata:  # a collection by name
            for name, entry in value.items():
                _check_dataclass(entry, f"{key}.{name}", rows)
        elif key in rows:
            setattr(obj, f.name, check_value(key, value, rows[key]))


def _check_date(key: str, value: str) -> None:
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise ConfigError(f"{key}={value!r} is not allowed: expected a month as YYYY-MM")


def validate(cfg: ChannelConfig) -> ChannelConfig:
    """Check every value of a config against its declared range; raise ConfigError if not."""
    rows = schema_rows()
    for key in TOP_LEVEL_RANGES:
        setattr(cfg, key, check_value(key, getattr(cfg, key), rows[key]))
    _check_dataclass(cfg.market, "market", rows)
    _check_dataclass(cfg.strategy, "strategy", rows)
    for name, preset in cfg.presets.items():
        _check_dataclass(preset, "strategy", rows)
        preset.name = preset.name or name
    _check_date("market.start", cfg.market.start)
    m = cfg.market
    allowed = STRUCTURES.get(m.kind, ("",))
    if m.structure not in allowed:
        if m.kind == "channel":
            raise ConfigError(
                f"market.structure={m.structure!r} is not allowed here: it applies only to "
                "market=linear_monopoly, market=linear_duopoly or market=linear_encroachment"
            )
        lead = f"market.structure={m.structure!r} is not allowed: expected one of "
        raise ConfigError(listed(lead, allowed))
    if m.kind == "linear_encroachment" and m.direct_cost >= m.a:
        raise ConfigError(
            f"market.direct_cost={m.direct_cost:g} is not allowed: below market.a "
            f"({m.a:g}), the price at which nobody buys"
        )
    if m.kind == "linear_monopoly" and m.a <= m.b * m.unit_cost:
        raise ConfigError(
            f"market.unit_cost={m.unit_cost} is not allowed: below market.a / market.b "
            f"({m.a / m.b:g}), or nobody buys at any price above cost"
        )
    if m.kind == "channel":
        _check_sellers(cfg)
        _check_partner_shares(cfg)
    for least, most in POPULATION_RANGES:
        lo, hi = getattr(m.population, least), getattr(m.population, most)
        if lo > hi:
            raise ConfigError(
                f"market.population.{least}={lo:g} is not allowed: at most "
                f"market.population.{most} ({hi:g})"
            )
    if m.coverage_per_account > m.resellers_per_region:
        raise ConfigError(
            f"market.coverage_per_account={m.coverage_per_account} is not allowed: at most "
            f"market.resellers_per_region ({m.resellers_per_region})"
        )
    strategy_keys = [k for k in rows if k.startswith("strategy.")]
    market_keys = [k for k in rows if k.startswith("market.")]
    for i, event in enumerate(cfg.scenario.events):
        where = f"scenario.events[{i}]"
        _check_date(f"{where}.date", event.date)
        if event.strategy is not None and event.strategy not in cfg.presets:
            raise ConfigError(
                f"{where}.strategy={event.strategy!r} is not a resolved strategy preset "
                f"(compose the config with channelsim.compose)"
            )
        for table, known, group in (
            (event.levers, strategy_keys, "strategy"),
            (event.market, market_keys, "market"),
        ):
            for sub, value in table.items():
                key = f"{group}.{sub}"
                if key not in rows:
                    raise ConfigError(closest(f"{where}: unknown key {key!r}", key, known))
                if template(key) in STRUCTURAL:
                    raise ConfigError(
                        f"{where}: {key} is not allowed in a dated event: the "
                        "market's size and start are fixed when it is built"
                    )
                table[sub] = check_value(key, value, rows[key])
    return cfg


def _check_sellers(cfg: ChannelConfig) -> None:
    """Seller names are lowercase letters and digits, never a segment's; the vendor is
    among them; only the vendor's policy is `strategy.*`; dated events name sellers that
    are there."""
    names = list(cfg.market.sellers)
    for name in names:
        if not re.fullmatch(SELLER_NAME, name) or name in SEGMENT_NAMES:
            raise ConfigError(
                f"{SELLERS}.{name} is not allowed: a seller's name is lowercase letters and "
                f"digits, none of {', '.join(SEGMENT_NAMES)}"
            )
    focal = cfg.market.focal
    if focal not in names:
        lead = f"market.focal={focal!r}: the focal vendor is one of the market's sellers: "
        raise ConfigError(listed(lead, names))
    vendor = cfg.market.sellers[focal]
    if vendor.policy != StrategyConfig():
        raise ConfigError(
            f"{SELLERS}.{focal}.policy is not allowed: the focal vendor's policy is strategy.* "
            "(strategy=PRESET, strategy.LEVER=VALUE)"
        )
    if vendor.response != "fixed":
        raise ConfigError(
            f"{SELLERS}.{focal}.response={vendor.response!r} is not allowed: the focal "
            "vendor's levers are strategy.*, set by you and the scenario (fixed)"
        )
    for i, event in enumerate(cfg.scenario.events):
        if event.acquisition:
            _check_acquisition(f"scenario.events[{i}].acquisition", event.acquisition, names)
        for key in event.market:
            found = SELLER_KEY.match(f"market.{key}")
            if found and found.group(1) not in names:
                lead = f"scenario.events[{i}]: market.{key} names no seller of the market: "
                raise ConfigError(listed(lead, names))


def _check_acquisition(where: str, deal: dict[str, Any], names: list[str]) -> None:
    """An acquisition names its buyer and the seller it buys from, two sellers of the
    market, and the share of the seller's business it takes, in (0, 1]."""
    if sorted(deal) != sorted(ACQUISITION_KEYS):
        raise ConfigError(
            f"{where} is not allowed: expected the keys {', '.join(ACQUISITION_KEYS)}"
        )
    for role in ("buyer", "seller"):
        if deal[role] not in names:
            raise ConfigError(listed(f"{where}.{role}={deal[role]!r} is not a seller: ", names))
    if deal["buyer"] == deal["seller"]:
        raise ConfigError(f"{where}: the buyer and the seller are one ({deal['buyer']})")
    share = deal["share"]
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise ConfigError(f"{where}.share={share!r} is not allowed: expected a number in (0, 1]")
    deal["share"] = float(share)


def _check_partner_shares(cfg: ChannelConfig) -> None:
    """The resellers at the start are split between the sellers by their partner shares,
    each seller with a share gets a reseller in every region, and a seller whose policy
    (at the start or after a dated change) routes accounts through partners has some."""
    m = cfg.market
    shares = {name: seller.partner_share for name, seller in m.sellers.items()}
    if abs(sum(shares.values()) - 1.0) > 1e-9:
        given = " + ".join(f"{k} {v:g}" for k, v in shares.items())
        raise ConfigError(
            f"{SELLERS}.*.partner_share must add up to 1 ({given}): every reseller "
            "carries one seller's products"
        )
    per_region = m.resellers_per_region
    for name, share in shares.items():
        if 0 < share * per_region < 1:
            raise ConfigError(
                f"{SELLERS}.{name}.partner_share={share:g} is too small: of "
                f"market.resellers_per_region={per_region} it gives the seller none in a "
                f"region; at least 1/{per_region} ({1 / per_region:.3g})"
            )
    vendor_policies = [("strategy", cfg.strategy)] + [
        (f"scenario.events[{i}].strategy", cfg.presets[e.strategy])
        for i, e in enumerate(cfg.scenario.events)
        if e.strategy is not None and e.strategy in cfg.presets
    ]
    routing = []  # (seller, where, what): a policy or change that uses partners
    for seller, where, policy in [
        *[(m.focal, where, p) for where, p in vendor_policies],
        *[
            (name, f"{SELLERS}.{name}.policy", s.policy)
            for name, s in m.sellers.items()
            if name != m.focal
        ],
    ]:
        routes = {
            f"{seg}_route": getattr(policy, f"{seg}_route") for seg in ("key", "global", "mid")
        }
        through = [f"{key}={route}" for key, route in routes.items() if route != "direct"]
        if through:
            routing.append((seller, f"{where}={policy.name}", through[0]))
    for i, event in enumerate(cfg.scenario.events):
        where = f"scenario.events[{i}]"
        for key, value in event.levers.items():
            if key.endswith("_route") and value != "direct":
                routing.append((m.focal, f"{where}.levers", f"{key}={value}"))
        for key, value in event.market.items():
            found = SELLER_KEY.match(f"market.{key}")
            lever = key.rsplit(".policy.", 1)[-1]
            if found and ".policy." in key and lever.endswith("_route") and value != "direct":
                routing.append((found.group(1), f"{where}.market", f"{lever}={value}"))
    for seller, where, through in routing:
        if shares.get(seller, 0.0) == 0:
            raise ConfigError(
                f"{where} routes accounts through partners ({through}), but "
                f"{SELLERS}.{seller}.partner_share is 0: give it resellers, and take as "
                "many from another seller's partner_share"
            )


def check_market_kind(market: Any, kinds: tuple[str, ...], simulator: str) -> None:
    """A model class is built only on the markets it simulates (`kinds`)."""
    if market.kind not in kinds:
        raise ConfigError(
            f"market={market.name} is a {market.kind} market: {simulator} simulates "
            f"{', '.join(kinds)} (channelsim.models.build_model picks the class)"
        )
