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
    deal, sales = month.decisions, month.sales
    month.own_units, month.own_revenue = vendor.invoice_own_sales(deal)
    month.online_units, month.online_revenue = vendor.invoice_consumers(
        sales.online_units, sales.online_price
    )
    direct = model.direct_seller
    units, revenue = direct.invoice_own_sales(deal)
    txn_units, txn_revenue = direct.invoice_consumers(sales.direct_units, sales.direct_price)
    month.direct_units_txn = txn_units
    month.direct_units = units + txn_units
    month.revenue_direct = revenue + txn_revenue
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
    """Each seller's programme cost and profit for the month, by one rule: revenue less
    the unit cost of what it shipped, its channel programme, bad debt, and its field
    force and phone contacts; then each seller staffs its field force by its books."""
    m = model.market
    vendor, direct = model.vendor, model.direct_seller
    month.bad_debt = model.bad_debt
    program = vendor.program_cost(rebates)
    month.program_cost = float(sum(program.values()))
    direct_program = float(sum(direct.program_cost(0.0).values()))
    month.profit_vendor = (
        month.revenue_vendor
        - m.vendor.unit_cost * month.vendor_shipped
        - month.program_cost
        - month.bad_debt
        - vendor.force_cost()
        + month.gray.fines
    )
    month.profit_direct = (
        month.revenue_direct
        - m.direct.unit_cost * month.direct_units
        - direct_program
        - direct.force_cost()
    )
    decided = bool(month.decisions.decided.any())
    for seller in model.sellers:
        seller.staff_the_force(rep_margin(model, month.decisions, seller), evidence=decided)


def rep_margin(model: ChannelModel, decisions: Decisions, seller) -> float:
    """The margin its field reps brought in this month, on the accounts they worked: its
    own wins at its price less its unit cost, and its partners' wins at what it receives
    for a unit they sell (their cost, less the distributors' margin) less its unit cost."""
    a, t = model.accounts, model.resellers
    worked = a.effort[seller.row, decisions.rows] > 0
    cost = seller.capabilities.unit_cost
    own = worked & (decisions.pick == seller.row)
    price = decisions.attributes[own, seller.row, 0]
    margin = float((decisions.units[own] * (price - cost)).sum())
    won = decisions.partner_won
    if won.any():
        # the partner that won each: `partner_row` follows the partner-won projects' order
        sold_by = t.seller[decisions.partner_row]
        theirs = worked[won] & (sold_by == seller.row)
        channel = model.market.distributor_margin if seller.policy.use_distributors else 0.0
        received = decisions.partner_cost[theirs] / (1.0 + channel)
        margin += float((decisions.partner_units[theirs] * (received - cost)).sum())
    return margin
