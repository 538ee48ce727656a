"""The month's metrics: one row of metrics.parquet (docs/ODD.md section 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents import regional_market as market_rules
from channelsim.agents.seller import COST_LEVERS
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


def share(vendor_units: float, direct_units: float) -> tuple[float, float]:
    """The vendor's and the direct seller's shares of their units (NaN when none sold)."""
    total = vendor_units + direct_units
    if total <= 0:
        return float("nan"), float("nan")
    return vendor_units / total, direct_units / total


def count_wins(model: ChannelModel, month: Month) -> np.ndarray:
    """Key-account bids and wins of both sellers over the last WIN_RATE_WINDOW months:
    vendor bids, vendor wins, direct bids, direct wins."""
    deal = month.decisions
    key_rows = model.accounts.segment[deal.rows] == Segment.KEY
    decided = deal.decided
    v, d = model.vendor.row, model.direct_seller.row
    model.win_counts.append(
        np.array(
            [
                (deal.bid(v) & key_rows & decided).sum(),
                (deal.side(v) & key_rows).sum(),
                (deal.bid(d) & key_rows & decided).sum(),
                (deal.side(d) & key_rows).sum(),
            ],
            dtype=float,
        )
    )
    return np.sum(model.win_counts, axis=0)


def month_metrics(model: ChannelModel, month: Month) -> dict[str, float]:
    """Every metric of METRICS for the month just simulated: shares and units count each
    seller's partners with it; the channel's metrics are the vendor's partners'; the gray
    market is the whole market's."""
    a, t = model.accounts, model.resellers
    deal, txn, gray = month.decisions, month.sales, month.gray
    units, retail = deal.units, txn.retail_units
    seg = a.segment[deal.rows]
    v, d = model.vendor.row, model.direct_seller.row
    vendor_side, direct_side = deal.side(v), deal.side(d)
    seg_units = {}
    for segment in Segment:
        here = seg == segment
        seg_units[segment] = share(
            float(units[here & vendor_side].sum()), float(units[here & direct_side].sum())
        )
    vendor_partners = model.vendor.partners()
    txn_vendor = float(retail[vendor_partners].sum()) + month.consumer_units[v]
    txn_direct = float(retail[model.direct_seller.partners()].sum()) + month.consumer_units[d]
    key = a.segment == Segment.KEY
    vendor_bids, vendor_wins, direct_bids, direct_wins = count_wins(model, month)
    vendor_total = float(units[vendor_side].sum()) + txn_vendor
    direct_total = float(units[direct_side].sum()) + txn_direct
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
        "share_vendor_total": share(vendor_total, direct_total)[0],
        "share_vendor_key": seg_units[Segment.KEY][0],
        "share_direct_key": seg_units[Segment.KEY][1],
        "share_vendor_global": seg_units[Segment.GLOBAL][0],
        "share_direct_global": seg_units[Segment.GLOBAL][1],
        "share_vendor_mid": seg_units[Segment.MID][0],
        "share_direct_mid": seg_units[Segment.MID][1],
        "share_vendor_txn": share(txn_vendor, txn_direct)[0],
        "share_direct_txn": share(txn_vendor, txn_direct)[1],
        "revenue_vendor": month.revenue[v],
        "profit_vendor": month.profit[v],
        "revenue_direct": month.revenue[d],
        "profit_direct": month.profit[d],
        # every partner of the vendor this month, including those that left in it
        "profit_resellers": float(
            t.profit[(month.active_at_start | t.active) & (t.seller == v)].sum()
        ),
        "active_resellers": float(active.sum()),
        "partner_satisfaction": float(t.satisfaction[active].mean()) if active.any() else 0.0,
        "relationship_vendor_key": float(vendor_rel_key.mean()) if key.any() else 0.0,
        "relationship_direct_key": float(a.rel[d, key].mean()) if key.any() else 0.0,
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
            - month.program_cost[v]
        )
        / max(month.shipped[v], 1e-9),  # numerical: > 0
        "channel_program_cost": month.program_cost[v],
        "bad_debt_vendor": month.bad_debt[v],
        "funnel_identified": float(stage_counts[Stage.IDENTIFIED]),
        "funnel_qualified": float(stage_counts[Stage.QUALIFIED]),
        "funnel_proposal": float(stage_counts[Stage.PROPOSAL]),
        "funnel_decision": float(stage_counts[Stage.DECISION]),
        "units_vendor": vendor_total,
        "units_direct": direct_total,
        "units_online": month.consumer_units[v],
        "units_channel": float(t.units[vendor_partners].sum()),
        "partner_exits": float(model.exits[v] - month.exits_before[v]),
        "partner_entries": float(model.entries[v] - month.entries_before[v]),
        "complaint_share": complaints,
        "price_dispersion": price_cv,
        "relationship_partners": float((t.relationship_partner & active).sum()),
        "tier1_resellers": float(((t.tier == 1) & active).sum()),
        "field_reps_vendor": float(model.vendor.reps),
        "field_reps_direct": float(model.direct_seller.reps),
        **{f"cost_{lever}": cost for lever, cost in month.program_items[v].items()},
        "fines_vendor": gray.fines[v],
    }
    return {name: float(value) for name, value in values.items()}
