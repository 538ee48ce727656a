"""The month's money and units: what flowed along the channel, the ledger of who paid whom,
and each seller's profit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.distributor import distributor_price
from channelsim.agents.records import Decisions, GrayFlows, RetailSales
from channelsim.agents.seller import LIST_PRICE
from channelsim.domain import Attribute
from channelsim.mechanics.pricing import stock_loss

if TYPE_CHECKING:
    from channelsim.model import ChannelModel


@dataclass
class Month:
    """What one month's phases found, handed on to the books and the metrics.

    The buyers' and the sellers' books are kept here, one entry per seller (its `row`);
    the resellers' and the distributors' are columns of their tables (`units`,
    `revenue`, `purchases`; `received`, `shipped`, `revenue`, `purchases`). Each party
    records its own side of a trade, so the ledger's comparisons check one party against
    another.
    """

    exits_before: np.ndarray  # each seller's partner exits and entries before the month
    entries_before: np.ndarray
    active_at_start: np.ndarray  # resellers in the channel when the month began
    sellers: int  # how many sellers there are
    lost: float = 0.0  # relationship strength that left with people
    decisions: Decisions | None = None
    sales: RetailSales | None = None
    gray: GrayFlows | None = None

    def __post_init__(self) -> None:
        def books() -> np.ndarray:
            return np.zeros(self.sellers)

        # the buyers' books, by the seller whose products they bought: from its partners,
        # and from the seller itself (its own route and its own consumer sales)
        self.bought_from_partners = books()  # units
        self.paid_partners = books()
        self.bought_from_seller = books()  # units
        self.paid_seller = books()
        # each seller's books: shipped and invoiced, to its channel (distributors, or
        # partners without them), on its own route and to consumers
        self.channel_units = books()
        self.channel_revenue = books()
        self.own_units = books()
        self.own_revenue = books()
        self.consumer_units = books()
        self.consumer_revenue = books()
        # each seller's totals, its programme and its profit
        self.revenue = books()
        self.shipped = books()
        self.program_cost = books()
        self.program_items: list[dict[str, float]] = [{} for _ in range(self.sellers)]
        self.bad_debt = books()
        self.delivery = books()  # delivering its own sales to their buyers
        self.stock_loss = books()  # the value its own stock lost
        self.profit = books()


def record_account_purchases(month: Month, decisions: Decisions, brand: np.ndarray) -> None:
    """The accounts' books: what they took from each seller's partners (`brand`: the seller
    of each partner-won project's partner) and from each seller itself, and paid."""
    n = month.sellers
    month.bought_from_partners += np.bincount(brand, decisions.partner_units, minlength=n)
    paid = decisions.partner_units * decisions.partner_price
    month.paid_partners += np.bincount(brand, paid, minlength=n)
    for i in range(n):
        own = decisions.pick == i
        price = decisions.attributes[own, i, Attribute.PRICE]
        month.bought_from_seller[i] += float(decisions.units[own].sum())
        month.paid_seller[i] += float((decisions.units[own] * price).sum())


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
    for seller in model.sellers:
        i, mine = seller.row, seller.partners()
        month.bought_from_partners[i] += float(retail[mine].sum())
        month.paid_partners[i] += float((retail[mine] * sales.sale_price[mine]).sum())
        month.bought_from_seller[i] += float(sales.own_units[i].sum())
        month.paid_seller[i] += float((sales.own_units[i] * sales.own_price[i]).sum())


def channel_flows(model: ChannelModel, month: Month) -> None:
    """Units and money along each seller's channel, its own sales and its consumer sales
    this month: the distributors' and the sellers' books."""
    t, m, distributors = model.resellers, model.market, model.distributors
    deal, sales = month.decisions, month.sales
    for seller in model.sellers:
        i, mine = seller.row, seller.partners()
        if seller.policy.use_distributors and seller.has_partners():
            via = t.distributor[mine]
            sold_units = np.bincount(via, t.units[mine], minlength=m.distributors)
            sold_value = np.bincount(via, t.purchases[mine], minlength=m.distributors)
            price = distributor_price(sold_units, sold_value, m.distributor_margin)
            orders = distributors.restock_order(i, sold_units)
            month.channel_units[i], month.channel_revenue[i] = seller.invoice_distributors(
                orders, price
            )
            distributors.pass_on(i, sold_units, sold_value, orders, price)
        else:
            none = np.zeros(m.distributors)
            distributors.pass_on(i, none, none, distributors.restock_order(i, none), none)
            month.channel_units[i], month.channel_revenue[i] = seller.invoice_partners()
        month.own_units[i], month.own_revenue[i] = seller.invoice_own_sales(deal)
        month.consumer_units[i], month.consumer_revenue[i] = seller.invoice_consumers(
            sales.own_units[i], sales.own_price[i]
        )
    month.revenue[:] = month.channel_revenue + month.own_revenue + month.consumer_revenue
    month.shipped[:] = month.channel_units + month.own_units + month.consumer_units


def ledger(model: ChannelModel, month: Month) -> dict[str, dict[str, float]]:
    """Who paid whom and who shipped what to whom this month, for each seller's products,
    each figure from the books of the party that recorded it (tests/test_invariants.py
    checks that the two sides of every trade agree). Without distributors, partners buy
    from their seller directly."""
    t, d = model.resellers, model.distributors
    out = {}
    for seller in model.sellers:
        i, mine = seller.row, seller.partners()
        through = seller.policy.use_distributors and seller.has_partners()
        partners_paid = float(t.purchases[mine].sum())
        out[seller.name] = {
            "accounts_paid_partners": float(month.paid_partners[i]),
            "partner_revenue": float(t.revenue[mine].sum()),
            "partners_paid": partners_paid,
            "distributor_revenue": float(d.revenue[i].sum())
            if through
            else float(month.channel_revenue[i]),
            "channel_revenue": float(month.channel_revenue[i]),
            "distributors_paid": float(d.purchases[i].sum()) if through else partners_paid,
            "accounts_paid_seller": float(month.paid_seller[i]),
            "revenue": float(month.revenue[i]),
            "units_shipped": float(month.shipped[i]),
            "units_distributors_received": float(d.received[i].sum()) if through else 0.0,
            "units_distributors_shipped": float(d.shipped[i].sum()),
            "units_partners_received": float(t.units[mine].sum()),
            "units_partners_shipped": float(month.bought_from_partners[i]),
            "units_accounts_received": float(
                month.bought_from_partners[i] + month.bought_from_seller[i]
            ),
            "inventory": float(d.inventory[i].sum()),
            "through_distributors": float(through),
        }
    return out


def profits(model: ChannelModel, month: Month, rebates: np.ndarray) -> None:
    """Each seller's programme cost and profit for the month, by one rule: revenue less
    the unit cost of what it shipped, the delivery of what it sold itself, what its own
    stock lost as component prices fell (the months of stock it holds for what it does
    not build to order), the cost of every lever of its policy (its field force and
    phone contacts among them: `Seller.program_cost`) and bad debt on its partners'
    credit, plus the diversion fines it collected (a transfer from its partners, whose
    audits are among its costs); then each seller staffs its field force by its books."""
    m = model.market
    month.bad_debt[:] = model.bad_debt
    decided = bool(month.decisions.decided.any())
    for seller in model.sellers:
        i, c = seller.row, seller.capabilities
        items = seller.program_cost(float(rebates[i]), float(month.consumer_units[i]))
        month.program_items[i] = items
        month.program_cost[i] = float(sum(items.values()))
        own = month.own_units[i] + month.consumer_units[i]
        month.delivery[i] = m.delivery_cost * LIST_PRICE * own
        held = m.channel_stock * (1.0 - c.build_to_order)
        month.stock_loss[i] = stock_loss(m.price_fall, held, c.unit_cost * month.shipped[i])
        month.profit[i] = (
            month.revenue[i]
            - c.unit_cost * month.shipped[i]
            - month.delivery[i]
            - month.stock_loss[i]
            - month.program_cost[i]
            - month.bad_debt[i]
            + month.gray.fines[i]
        )
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
