"""The month's money and units: what flowed along the channel, the ledger of who paid whom,
and each seller's profit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.distributor import distributor_price
from channelsim.agents.records import Decisions, GrayFlows, RetailSales

if TYPE_CHECKING:
    from channelsim.model import ChannelModel


@dataclass
class Month:
    """What one month's phases found, handed on to the books and the metrics.

    The buyers' and the vendor's books are kept here; the resellers' and the
    distributors' are columns of their tables (`units`, `revenue`, `purchases`;
    `received`, `shipped`, `revenue`, `purchases`). Each party records its own side of a
    trade, so the ledger's comparisons check one party against another.
    """

    exits_before: int  # partner exits and entries counted before the month
    entries_before: int
    active_at_start: np.ndarray  # resellers in the channel when the month began
    lost: float = 0.0  # relationship strength that left with people
    decisions: Decisions | None = None
    sales: RetailSales | None = None
    gray: GrayFlows | None = None
    # the buyers' books: accounts and the regions' walk-in and online buyers
    bought_from_partners: float = 0.0  # units
    paid_partners: float = 0.0
    bought_from_vendor: float = 0.0  # units, from its own route and online store
    paid_vendor: float = 0.0
    # the vendor's books: shipped and invoiced, to the channel (distributors, or partners
    # without them), on its own route and online
    channel_units: float = 0.0
    channel_revenue: float = 0.0
    own_units: float = 0.0
    own_revenue: float = 0.0
    online_units: float = 0.0
    online_revenue: float = 0.0
    # the direct seller
    direct_units_txn: float = 0.0
    direct_units: float = 0.0
    revenue_direct: float = 0.0
    # the vendor's totals, its programme and both sellers' profit
    revenue_vendor: float = 0.0
    vendor_shipped: float = 0.0
    program_cost: float = 0.0
    bad_debt: float = 0.0
    profit_vendor: float = 0.0
    profit_direct: float = 0.0


def record_account_purchases(month: Month, decisions: Decisions) -> None:
    """The accounts' books: what they took from partners and from the vendor, and paid."""
    month.bought_from_partners += float(decisions.partner_units.sum())
    month.paid_partners += float((decisions.partner_units * decisions.partner_price).sum())
    own = decisions.own_won
    month.bought_from_vendor += float(decisions.units[own].sum())
    month.paid_vendor += float((decisions.units[own] * decisions.own_price[own]).sum())


def sell_retail(model: ChannelModel, month: Month) -> None:
    """Over-the-counter units add to each reseller's month and quarter; walk-in and
    online buyers record what they took and paid."""
    t, sales = model.resellers, month.sales
    retail = sales.retail_units
    t.units += retail
    t.revenue += retail * sales.sale_price
    t.purchases += retail * t.cost
    t.quarter_purchases += t.purchases
    t.quarter_units += t.units
    month.bought_from_partners += float(retail.sum())
    month.paid_partners += float((retail * sales.sale_price).sum())
    month.bought_from_vendor += float(sales.online_units.sum())
    month.paid_vendor += float((sales.online_units * sales.online_price).sum())


def channel_flows(model: ChannelModel, month: Month) -> None:
    """Units and money along the channel to the vendor, its own sales and the direct
    seller's, this month: the distributors' and the vendor's books."""
    t, s, m = model.resellers, model.strategy, model.market
    vendor, distributors = model.vendor, model.distributors
    if s.use_distributors:
        sold_units = np.bincount(t.distributor, t.units, minlength=m.distributors)
        sold_value = np.bincount(t.distributor, t.purchases, minlength=m.distributors)
        price = distributor_price(sold_units, sold_value, m.distributor_margin)
        orders = distributors.restock_order(sold_units)
        month.channel_units, month.channel_revenue = vendor.invoice_distributors(orders, price)
        distributors.pass_on(sold_units, sold_value, orders, price)
    else:
        none = np.zeros(m.distributors)
        distributors.pass_on(none, none, distributors.restock_order(none), none)
        month.channel_units, month.channel_revenue = vendor.invoice_partners()
    deal = month.decisions
    month.own_units, month.own_revenue = vendor.invoice_own_sales(deal)
    month.online_units, month.online_revenue = vendor.invoice_online(month.sales)
    month.direct_units_txn = float(month.sales.direct_units.sum())
    month.direct_units = float(deal.units[deal.direct_won].sum()) + month.direct_units_txn
    month.revenue_direct = month.direct_units * model.direct_seller.price
    month.revenue_vendor = month.channel_revenue + month.own_revenue + month.online_revenue
    month.vendor_shipped = month.channel_units + month.own_units + month.online_units


def ledger(model: ChannelModel, month: Month) -> dict[str, float]:
    """Who paid whom and who shipped what to whom this month, each figure from the books
    of the party that recorded it (tests/test_invariants.py checks that the two sides of
    every trade agree). Without distributors, partners buy from the vendor directly."""
    t, s, d = model.resellers, model.strategy, model.distributors
    partners_paid = float(t.purchases.sum())
    return {
        "accounts_paid_partners": month.paid_partners,
        "partner_revenue": float(t.revenue.sum()),
        "partners_paid": partners_paid,
        "distributor_revenue": float(d.revenue.sum())
        if s.use_distributors
        else month.channel_revenue,
        "vendor_channel_revenue": month.channel_revenue,
        "distributors_paid": float(d.purchases.sum()) if s.use_distributors else partners_paid,
        "accounts_paid_vendor": month.paid_vendor,
        "revenue_vendor": month.revenue_vendor,
        "units_vendor_shipped": month.vendor_shipped,
        "units_distributors_received": float(d.received.sum()) if s.use_distributors else 0.0,
        "units_distributors_shipped": float(d.shipped.sum()),
        "units_partners_received": float(t.units.sum()),
        "units_partners_shipped": month.bought_from_partners,
        "units_accounts_received_vendor": month.bought_from_partners + month.bought_from_vendor,
        "inventory": float(d.inventory.sum()),
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
