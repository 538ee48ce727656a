"""The month's metrics: one row of metrics.parquet (docs/ODD.md section 7)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents import regional_market as market_rules
from channelsim.agents.seller import COST_LEVERS
from channelsim.config.schema import DIRECT, SEGMENT_NAMES, SELLER_NAME, VENDOR
from channelsim.config.validate import ConfigError, listed
from channelsim.domain import MONTHS_PER_QUARTER, Segment, Stage
from channelsim.mechanics import graymarket, relationships
from channelsim.mechanics.partners import capability

if TYPE_CHECKING:
    from channelsim.books import Month
    from channelsim.model import ChannelModel

METRICS = (
    "share_vendor_total",
    "share_vendor_key",
    "share_direct_key",
    "share_vendor_global",
    "share_direct_global",
    "share_vendor_mid",
    "share_direct_mid",
    "share_vendor_txn",
    "share_direct_txn",
    "revenue_vendor",
    "profit_vendor",
    "revenue_direct",
    "profit_direct",
    "profit_resellers",
    "active_resellers",
    "partner_satisfaction",
    "relationship_vendor_key",
    "relationship_direct_key",
    "relationships_lost",
    "win_rate_vendor_key",
    "win_rate_direct_key",
    "opportunities_open",
    "opportunities_won_vendor",
    "opportunities_won_direct",
    "gray_market_units",
    "conflict_index",
    "coverage_key",
    "mean_partner_capability",
    "vendor_margin_per_unit",
    "channel_program_cost",
    "bad_debt_vendor",
    # beyond the contract: the funnel, units, and programme detail
    "funnel_identified",
    "funnel_qualified",
    "funnel_proposal",
    "funnel_decision",
    "units_vendor",
    "units_direct",
    "units_online",
    "units_channel",
    "partner_exits",
    "partner_entries",
    "complaint_share",
    "price_dispersion",
    "relationship_partners",
    "tier1_resellers",
    "field_reps_vendor",
    "field_reps_direct",
    # the vendor's programme cost lever by lever (they add up to channel_program_cost), and
    # the fines its partners paid it (a transfer, beside its audits' cost)
    *(f"cost_{lever}" for lever in COST_LEVERS),
    "fines_vendor",
)
WIN_RATE_WINDOW = MONTHS_PER_QUARTER  # months over which win rates are counted
# every seller's own metrics, beside those of METRICS (the vendor's and the direct
# seller's keep their names there): its shares of the whole market by segment, its
# revenue, profit and units
SELLER_METRIC = re.compile(
    rf"^(?:share_({SELLER_NAME})_(?:{'|'.join(SEGMENT_NAMES)})|"
    rf"(?:revenue|profit|units)_({SELLER_NAME}))$"
)


def seller_metrics(name: str) -> tuple[str, ...]:
    """The metrics every seller has, for the seller `name`."""
    shares = (f"share_{name}_{segment}" for segment in SEGMENT_NAMES)
    return (*shares, f"revenue_{name}", f"profit_{name}", f"units_{name}")


def metric_names(sellers: list[str]) -> tuple[str, ...]:
    """A channel market's metrics: METRICS, then the sellers' own metrics it lacks (the
    direct seller's among them, in a market without it too)."""
    extra = (name for seller in [*sellers, DIRECT] for name in seller_metrics(seller))
    return METRICS + tuple(dict.fromkeys(n for n in extra if n not in METRICS))


def nonnegative(name: str) -> bool:
    """The metric cannot fall below 0 (shares, counts, units, costs, satisfaction...):
    only profits and the vendor's margin a unit can. Its interval is bounded at 0."""
    return not name.startswith("profit_") and name != "vendor_margin_per_unit"


def is_metric(name: str) -> bool:
    """Whether `name` is a metric of METRICS or a seller's own metric (of some seller)."""
    return name in METRICS or SELLER_METRIC.match(name) is not None


def metric_seller(name: str) -> str | None:
    """The seller whose own metric `name` is, or None when it is no seller's own: of
    METRICS, only the vendor's and the direct seller's are (profit_resellers and
    units_online look like a seller's)."""
    found = SELLER_METRIC.match(name)
    seller = found and (found.group(1) or found.group(2))
    if name in METRICS and seller not in (VENDOR, DIRECT):
        return None
    return seller


def metric_sellers(columns: Iterable[str]) -> list[str]:
    """The sellers with metrics of their own among `columns` (a table of metrics), in the
    order they first come."""
    return list(dict.fromkeys(s for s in map(metric_seller, columns) if s))


def check_sellers_metrics(named: dict[str, str], sellers: list[str]) -> None:
    """Each metric `named` (by where it is named) of a seller's own is of one of `sellers`
    (the direct seller's always is: a market without it reports it at nothing).

    Raises:
        ConfigError: a seller's metric of a seller the market does not have.
    """
    for where, name in named.items():
        seller = metric_seller(name)
        if seller and seller not in sellers and seller != DIRECT:
            lead = f"{where}={name!r}: the market has no seller {seller!r}; its sellers: "
            raise ConfigError(listed(lead, sellers))


def shares(units: np.ndarray) -> np.ndarray:
    """Each seller's share of the units all sellers sold (NaN when none sold)."""
    total = units.sum()
    if total <= 0:
        return np.full(units.shape, np.nan)
    return units / total


def count_wins(model: ChannelModel, month: Month) -> np.ndarray:
    """Key-account bids and wins of the vendor and the direct seller (none in a market
    without it) over the last WIN_RATE_WINDOW months: vendor bids, vendor wins, direct
    bids, direct wins."""
    deal = month.decisions
    key_rows = model.accounts.segment[deal.rows] == Segment.KEY
    decided = deal.decided
    counts = []
    for seller in (model.vendor, model.direct_seller):
        if seller is None:
            counts += [0, 0]
            continue
        counts += [
            (deal.bid(seller.row) & key_rows & decided).sum(),
            (deal.side(seller.row) & key_rows).sum(),
        ]
    model.win_counts.append(np.array(counts, dtype=float))
    return np.sum(model.win_counts, axis=0)


def month_metrics(model: ChannelModel, month: Month) -> dict[str, float]:
    """Every metric of the model's `metric_names` for the month just simulated: shares
    are of the whole market (every seller's units, its partners' with it); the
    channel's metrics are the vendor's partners'; the gray market is the whole market's.
    In a market without the direct seller its metrics are 0 (its shares too, NaN when
    nobody bought)."""
    a, t = model.accounts, model.resellers
    deal, txn, gray = month.decisions, month.sales, month.gray
    units, retail = deal.units, txn.retail_units
    seg = a.segment[deal.rows]
    sellers = model.sellers
    sides = [deal.side(seller.row) for seller in sellers]
    # each seller's units (its partners' with it), by segment and in all
    by_segment = {
        segment.name.lower(): np.array(
            [float(units[(seg == segment) & side].sum()) for side in sides]
        )
        for segment in Segment
    }
    by_segment["txn"] = np.array(
        [float(retail[s.partners()].sum()) + month.consumer_units[s.row] for s in sellers]
    )
    enterprise = np.array([float(units[side].sum()) for side in sides])
    by_segment["total"] = enterprise + by_segment["txn"]
    share_of = {segment: shares(sold) for segment, sold in by_segment.items()}
    own = {}  # every seller's own metrics
    for s in sellers:
        i = s.row
        own |= {f"share_{s.name}_{segment}": share[i] for segment, share in share_of.items()}
        own |= {
            f"revenue_{s.name}": month.revenue[i],
            f"profit_{s.name}": month.profit[i],
            f"units_{s.name}": by_segment["total"][i],
        }
    focal = model.vendor.name
    if focal != VENDOR:  # the focal vendor's own metrics are the *_vendor metrics too
        pairs = zip(seller_metrics(focal), seller_metrics(VENDOR), strict=True)
        own |= {vendor: own[name] for name, vendor in pairs}
    if model.direct_seller is None:  # a market without the direct seller
        for segment, share in share_of.items():
            own[f"share_{DIRECT}_{segment}"] = 0.0 * share[0]  # 0, or NaN when none sold
        own |= {f"{kind}_{DIRECT}": 0.0 for kind in ("revenue", "profit", "units")}
    v, d = model.vendor.row, model.direct_seller.row if model.direct_seller else None
    vendor_side = sides[v]
    direct_side = sides[d] if d is not None else np.zeros_like(vendor_side)
    vendor_partners = model.vendor.partners()
    key = a.segment == Segment.KEY
    vendor_bids, vendor_wins, direct_bids, direct_wins = count_wins(model, month)
    # the coverage slots of the vendor's partners
    theirs = True if model.single_brand == v else t.seller[a.cover] == v
    partner_rel = a.rel_partner if theirs is True else np.where(theirs, a.rel_partner, 0.0)
    held = partner_rel[key].max(axis=1, initial=0.0)
    vendor_rel_key = relationships.noisy_or(a.rel[v, key], held)
    contact = (a.effort[v] > 0) | a.phone[v] | ((a.effort_partner > 0) & theirs).any(axis=1)
    active = t.active & (t.seller == v)
    stage_counts = np.bincount(a.opp_stage[a.opp_open], minlength=len(Stage))
    price_cv = market_rules.price_dispersion(model, txn)
    channel_sold = float(retail.sum()) + float(deal.partner_units.sum())
    gray_share = gray.gray_units / max(channel_sold, 1e-9)  # numerical: > 0
    complaints = float(t.complaint[active].mean()) if active.any() else 0.0
    values = {
        # every partner of the vendor this month, including those that left in it
        "profit_resellers": float(
            t.profit[(month.active_at_start | t.active) & (t.seller == v)].sum()
        ),
        "active_resellers": float(active.sum()),
        "partner_satisfaction": float(t.satisfaction[active].mean()) if active.any() else 0.0,
        "relationship_vendor_key": float(vendor_rel_key.mean()) if key.any() else 0.0,
        "relationship_direct_key": (
            float(a.rel[d, key].mean()) if key.any() and d is not None else 0.0
        ),
        "relationships_lost": month.lost,
        "win_rate_vendor_key": vendor_wins / vendor_bids if vendor_bids else 0.0,
        "win_rate_direct_key": direct_wins / direct_bids if direct_bids else 0.0,
        "opportunities_open": float(a.opp_open.sum()),
        "opportunities_won_vendor": float(vendor_side.sum()),
        "opportunities_won_direct": float(direct_side.sum()),
        "gray_market_units": gray.gray_units,
        "conflict_index": graymarket.conflict_index(
            gray_share,
            price_cv,
            complaints,
            model.market.rules.conflict_gray,
            model.market.rules.conflict_price,
        ),
        "coverage_key": float(contact[key].mean()) if key.any() else 0.0,
        "mean_partner_capability": float(
            capability(t.skill, t.knowledge, t.competition)[active].mean()
        )
        if active.any()
        else 0.0,
        "vendor_margin_per_unit": (
            month.revenue[v]
            - model.vendor.capabilities.unit_cost * month.shipped[v]
            - month.delivery[v]
            - month.stock_loss[v]
            - month.program_cost[v]
        )
        / max(month.shipped[v], 1e-9),  # numerical: > 0
        "channel_program_cost": month.program_cost[v],
        "bad_debt_vendor": month.bad_debt[v],
        "funnel_identified": float(stage_counts[Stage.IDENTIFIED]),
        "funnel_qualified": float(stage_counts[Stage.QUALIFIED]),
        "funnel_proposal": float(stage_counts[Stage.PROPOSAL]),
        "funnel_decision": float(stage_counts[Stage.DECISION]),
        "units_online": month.consumer_units[v],
        "units_channel": float(t.units[vendor_partners].sum()),
        "partner_exits": float(model.exits[v] - month.exits_before[v]),
        "partner_entries": float(model.entries[v] - month.entries_before[v]),
        "complaint_share": complaints,
        "price_dispersion": price_cv,
        "relationship_partners": float((t.relationship_partner & active).sum()),
        "tier1_resellers": float(((t.tier == 1) & active).sum()),
        "field_reps_vendor": float(model.vendor.reps),
        "field_reps_direct": float(model.direct_seller.reps if d is not None else 0),
        **{f"cost_{lever}": cost for lever, cost in month.program_items[v].items()},
        "fines_vendor": gray.fines[v],
    }
    values |= own
    return {name: float(values[name]) for name in model.metric_names}
