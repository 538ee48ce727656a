"""The month's money and units: what flowed along the channel, the ledger of who paid whom,
and each seller's profit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.records import Decisions, GrayFlows, RetailSales

if TYPE_CHECKING:
    from channelsim.model import ChannelModel


@dataclass
class Month:
    """What one month's phases found, handed on to the books and the metrics."""

    exits_before: int  # partner exits and entries counted before the month
    entries_before: int
    active_at_start: np.ndarray  # resellers in the channel when the month began
    lost: float = 0.0  # relationship strength that left with people
    decisions: Decisions | None = None
    sales: RetailSales | None = None
    gray: GrayFlows | None = None
    # the channel: units and money the vendor received through distributors or partners
    channel_units: float = 0.0
    channel_revenue: float = 0.0
    # the vendor's own route and online store, and the direct seller
    own_units: float = 0.0
    own_revenue: float = 0.0
    online_units: float = 0.0
    online_revenue: float = 0.0
    direct_units_txn: float = 0.0
    direct_units: float = 0.0
    revenue_direct: float = 0.0
    revenue_vendor: float = 0.0
    vendor_shipped: float = 0.0
    # the vendor's programme and profits, once the partners' quarter is closed
    program_cost: float = 0.0
    bad_debt: float = 0.0
    profit_vendor: float = 0.0
    profit_direct: float = 0.0


def sell_retail(model: ChannelModel, sales: RetailSales) -> None:
    """Over-the-counter units add to each reseller's month and quarter."""
    t = model.resellers
    retail = sales.retail_units
    t.units += retail
    t.revenue += retail * sales.sale_price
    t.purchases += retail * t.cost
    t.quarter_purchases += t.purchases
    t.quarter_units += t.units


def channel_flows(model: ChannelModel, month: Month) -> None:
    """Units and money along the channel to the vendor, its own sales and the direct
    seller's, this month."""
    t, s, m = model.resellers, model.strategy, model.market
    margin = m.distributor_margin if s.use_distributors else 0.0
    if s.use_distributors:
        sold_units = np.bincount(t.distributor, t.units, minlength=m.distributors)
        sold_value = np.bincount(t.distributor, t.purchases, minlength=m.distributors)
        model.distributors.pass_on(sold_units, sold_value, margin)
        month.channel_units = float(model.distributors.received.sum())
        month.channel_revenue = float(model.distributors.purchases.sum())
    else:
        model.distributors.pass_on(np.zeros(m.distributors), np.zeros(m.distributors), 0.0)
        month.channel_units = float(t.units.sum())
        month.channel_revenue = float(t.purchases.sum())
    deal, txn = month.decisions, month.sales
    units = deal.units
    own = deal.own_won
    month.own_units = float(units[own].sum())
    month.own_revenue = float((units[own] * deal.own_price[own]).sum())
    month.online_units = float(txn.online_units.sum())
    month.online_revenue = float((txn.online_units * txn.online_price).sum())
    month.direct_units_txn = float(txn.direct_units.sum())
    month.direct_units = float(units[deal.direct_won].sum()) + month.direct_units_txn
    month.revenue_direct = month.direct_units * model.direct_seller.price
    month.revenue_vendor = month.channel_revenue + month.own_revenue + month.online_revenue
    month.vendor_shipped = month.channel_units + month.own_units + month.online_units


def ledger(model: ChannelModel, month: Month) -> dict[str, float]:
    """Who paid whom and who shipped what to whom, this month (tests/test_invariants.py
    checks that each side's figures agree)."""
    t, s = model.resellers, model.strategy
    deal, txn = month.decisions, month.sales
    retail = txn.retail_units
    partner_sale_value = float(
        (deal.partner_units * deal.partner_price).sum() + (retail * txn.sale_price).sum()
    )
    distributors = model.distributors
    return {
        "accounts_paid_partners": partner_sale_value,
        "partner_revenue": float(t.revenue.sum()),
        "partners_paid": float(t.purchases.sum()),
        "distributor_revenue": float(distributors.revenue.sum())
        if s.use_distributors
        else float(t.purchases.sum()),
        "vendor_channel_revenue": month.channel_revenue,
        "distributors_paid": float(distributors.purchases.sum())
        if s.use_distributors
        else month.channel_revenue,
        "accounts_paid_vendor": month.own_revenue + month.online_revenue,
        "revenue_vendor": month.revenue_vendor,
        "units_vendor_shipped": month.vendor_shipped,
        "units_distributors_received": month.channel_units if s.use_distributors else 0.0,
        "units_distributors_shipped": float(distributors.shipped.sum()),
        "units_partners_received": float(t.units.sum()),
        "units_partners_shipped": float(deal.partner_units.sum() + retail.sum()),
        "units_accounts_received_vendor": float(
            deal.partner_units.sum() + retail.sum() + month.own_units + month.online_units
        ),
        "inventory": float(distributors.inventory.sum()),
    }


def profits(model: ChannelModel, month: Month, rebates: float) -> None:
    """The vendor's programme cost and both sellers' profit for the month."""
    m, s, a = model.market, model.strategy, model.accounts
    month.bad_debt = model.bad_debt
    program = model.vendor.program_cost(rebates)
    month.program_cost = float(sum(program.values()))
    vendor_costs = (
        m.vendor_unit_cost * month.vendor_shipped
        + month.program_cost
        + month.bad_debt
        + s.account_managers * m.am_cost
        + m.phone_cost * float(a.phone_vendor.sum())
    )
    month.profit_vendor = month.revenue_vendor - vendor_costs + month.gray.fines
    month.profit_direct = (
        month.revenue_direct - m.direct.unit_cost * month.direct_units - model.direct_seller.costs()
    )
