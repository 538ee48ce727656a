"""Regional transactional markets (individual, home, small business) and gray-market flows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.base import RowAgent
from channelsim.agents.records import GrayFlows, RetailSales
from channelsim.agents.seller import LIST_PRICE
from channelsim.mechanics import choice, graymarket

if TYPE_CHECKING:
    from channelsim.model import ChannelModel

OUTSIDE_UTILITY = 0.0  # transactional buyers who buy neither brand this month


class RegionalMarket(RowAgent):
    """One of the big regions: its transactional demand and what it costs there."""

    @property
    def demand(self) -> float:
        """Transactional units this region would buy this month at reference utility."""
        return float(self.model.region_demand[self.row])

    @property
    def retail_price(self) -> float:
        """The vendor's partners' average retail price in this region this month."""
        return float(self.model.region_price[self.row])


def retail_pull(t, p) -> np.ndarray:
    """A reseller's pull on walk-in buyers: shop or business, size (reps) and service
    (`p`: the market's partner behaviour)."""
    kind = np.where(t.b2b, p.retail_b2b, 1.0)
    return kind * t.active * (p.retail_service_floor + t.service) * t.reps


def transactional(model: ChannelModel) -> RetailSales:
    """Each region's demand splits by logit over every seller's partners' shops and every
    seller's own consumer sales (online and phone: the vendor's online store, the direct
    seller's phone and web sales), one rule for all, on price, brand, availability and
    service."""
    m, t = model.market, model.resellers
    g = m.n_regions
    years = model.years_elapsed
    demand = model.region_size * m.txn_units_per_region * (1.0 + m.growth) ** years
    active = t.active
    pull = retail_pull(t, m.partners)
    # within a region, buyers lean to the cheaper shops
    weight = pull * np.exp(-m.price_sensitivity * (t.retail_price - LIST_PRICE))
    b = m.buyers

    def value(p, trust, avail, serv):
        # shops close to buyers matter most to transactional buyers
        return -m.price_sensitivity * (p - LIST_PRICE) + b.retail_value_scale * (
            b.retail_trust * trust + b.retail_availability * avail + b.retail_service * serv
        )

    # the options: each seller's partners' shops and its own consumer sales (the vendor's
    # first: columns 2j and 2j + 1 for the j-th seller of `order`)
    sellers = model.sellers
    order = sorted(sellers, key=lambda seller: seller is not model.vendor)
    u = np.full((g, 2 * len(sellers)), -np.inf)
    own_price = np.zeros((len(sellers), g))
    region_price = np.full((len(sellers), g), LIST_PRICE)
    region_weight = np.zeros((len(sellers), g))
    for j, seller in enumerate(order):
        c, p, i = seller.capabilities, seller.policy, seller.row
        partners = seller.has_partners()
        if partners:
            mine = t.seller == i
            # its shops in the region, whatever the price
            presence = np.bincount(t.region, pull * mine, minlength=g)
            region_weight[i] = np.bincount(t.region, weight * mine, minlength=g)
            price = np.bincount(t.region, weight * mine * t.retail_price, minlength=g) / np.maximum(
                region_weight[i],
                1e-12,  # numerical: > 0
            )
            region_price[i] = np.where(region_weight[i] > 0, price, LIST_PRICE)
            coop = p.coop_budget / (p.coop_budget + m.selling.coop_half)
            lift = m.selling.coop_availability
            availability = np.minimum(1.0, presence / model.initial_region_weight) * (
                1 - lift + lift * coop
            )
            service = np.bincount(t.region, weight * mine * t.service, minlength=g) / np.maximum(
                region_weight[i],
                1e-12,  # numerical: > 0
            )
            shops = value(region_price[i], c.brand_trust, availability, service)
            u[:, 2 * j] = np.where(region_weight[i] > 0, shops, -np.inf)
        # online and phone sales: below its partners' shop price, or its own price
        base = region_price[i] if partners else np.full(g, seller.price)
        own_price[i] = base * (1.0 - p.online_price_gap)
        if p.online_store and c.consumer_reach > 0:
            reach = c.consumer_availability * c.consumer_reach
            # products differentiated from its shops' are cut-down configurations
            cut_down = b.differentiation_appeal * p.product_differentiation
            u[:, 2 * j + 1] = value(own_price[i], c.brand_trust, reach, c.service) - cut_down
    u = np.where(np.isfinite(u), u, -1e9)  # numerical: no such option
    offered = u > -1e8  # numerical: the options there are
    shares = choice.logit_shares(u, OUTSIDE_UTILITY, m.choice_noise) * offered
    units = demand[:, None] * shares
    model.region_demand = demand
    model.region_price = region_price[model.vendor.row]

    # each seller's shop units go to its partners in the region by their pull
    shop_units = np.zeros((len(sellers), g))
    own_units = np.zeros((len(sellers), g))
    for j, seller in enumerate(order):
        shop_units[seller.row], own_units[seller.row] = units[:, 2 * j], units[:, 2 * j + 1]
    share_in_region = weight / np.maximum(
        region_weight[t.seller, t.region], 1e-12
    )  # numerical: > 0
    retail_units = shop_units[t.seller, t.region] * share_in_region * active
    return RetailSales(
        retail_units=retail_units,
        own_units=own_units,
        own_price=own_price,
        region_price=region_price,
    )


def gray_market(model: ChannelModel, txn: RetailSales) -> GrayFlows:
    """Each seller's partners in cheap regions divert units to its dearest region, and
    gray dealers buy from its online store to resell in its channel, where the gap beats
    transport plus expected penalty (its policy's audits and penalties).

    Diverted units displace the local partners' sales; units in all stay the same.
    """
    t = model.resellers
    txn.sale_price = t.retail_price.copy()
    t.diverted[:] = 0.0
    t.gray_lost[:] = 0.0
    fines = np.zeros(len(model.sellers))
    flows = []
    for seller in model.sellers:
        if seller.has_partners():
            flows.append(divert(model, txn, seller))
            fines[seller.row] = flows[-1].fines
    return GrayFlows(
        gray_units=float(sum(flow.gray_units for flow in flows)),
        fines=fines,
        online_arbitrage=float(sum(flow.online_arbitrage for flow in flows)),
    )


def divert(model: ChannelModel, txn: RetailSales, seller) -> GrayFlows:
    """One seller's gray market: diversion between regions among its partners, and
    arbitrage from its online store into its channel."""
    m, s, t, streams = model.market, seller.policy, model.resellers, model.streams
    rules = m.rules
    mine = t.seller == seller.row
    retail = txn.retail_units
    price = txn.region_price[seller.row]
    active_regions = np.bincount(t.region, retail * mine, minlength=m.n_regions) > 0
    if not active_regions.any():
        return GrayFlows(gray_units=0.0, fines=0.0, online_arbitrage=0.0)
    dear = int(np.argmax(np.where(active_regions, price, -np.inf)))
    # enforcement adds MAP audits to the diversion audits
    audit = audit_probability(s, rules)
    gap = (price[dear] - t.retail_price) / LIST_PRICE
    share = graymarket.diversion_share(
        gap,
        m.transport_cost,
        audit,
        s.diversion_penalty,
        m.diversion_elasticity,
        rules.diversion_cap,
    )
    share = np.where(mine & t.active & (t.region != dear), share, 0.0)
    diverted = share * retail
    victims = mine & (t.region == dear) & t.active
    room = rules.diversion_room * retail[victims].sum()
    total = diverted.sum()
    if total > room > 0:
        diverted *= room / total
        total = room
    elif room <= 0:
        diverted[:] = 0.0
        total = 0.0
    lost = np.zeros_like(retail)
    if total > 0:
        lost[victims] = total * retail[victims] / retail[victims].sum()
    t.diverted[mine] = diverted[mine]
    t.gray_lost[mine] = lost[mine]
    # the diverters carry the goods to the dear region at their own cost
    t.profit[mine] -= diverted[mine] * m.transport_cost * LIST_PRICE
    txn.retail_units = retail + diverted - lost
    premium = np.where(diverted > 0, rules.diversion_premium * np.maximum(gap, 0), 0.0) * (
        diverted / np.maximum(retail + diverted - lost, 1e-12)  # numerical: > 0
    )
    txn.sale_price = np.where(mine, t.retail_price + premium, txn.sale_price)
    audited = streams("audits", seller.row).random(t.n) < audit
    fines = float((diverted * audited).sum() * s.diversion_penalty * LIST_PRICE)
    t.profit -= diverted * audited * s.diversion_penalty * LIST_PRICE
    # audits cost staff (MAP checks their share) and anger partners that diverted nothing
    checked = audited & mine & t.active
    if checked.any():
        count = float(checked.sum())
        map_share = 1.0 - min(1.0, s.audit_probability) / audit
        seller.tally["audits"] += count * (1.0 - map_share)
        seller.tally["map_audits"] += count * map_share
        innocent = checked & (diverted <= 0)
        angered = streams("audit_annoyance", seller.row).random(t.n) < rules.audit_annoyance
        t.complaint |= innocent & angered

    # online arbitrage: products differentiated between channels cannot be resold as-is
    arbitrage = 0.0
    online_units = txn.own_units[seller.row]
    online = online_units.sum()
    if s.online_store and online > 0:
        online_gap = s.online_price_gap * (1.0 - s.product_differentiation)
        arb_share = float(
            graymarket.diversion_share(
                np.array(online_gap),
                m.transport_cost,
                audit,
                s.diversion_penalty,
                m.diversion_elasticity,
                rules.arbitrage_cap,
            )
        )
        channel = txn.retail_units * mine
        arbitrage = arb_share * channel.sum() * rules.arbitrage_share
        if arbitrage > 0:
            taken = arbitrage * channel / channel.sum()
            t.gray_lost += taken
            txn.retail_units = txn.retail_units - taken
            txn.own_units[seller.row] = online_units + arbitrage * (online_units / online)
    return GrayFlows(gray_units=float(total + arbitrage), fines=fines, online_arbitrage=arbitrage)


def audit_probability(s, rules) -> float:
    """Monthly chance a reseller is audited under policy `s`: diversion audits, plus MAP
    checks when MAP is enforced (`rules`: the market's rule behaviour)."""
    return min(1.0, s.audit_probability * (rules.map_audit_weight if s.map_enforced else 1.0))


def price_dispersion(model: ChannelModel, txn: RetailSales) -> float:
    """Coefficient of variation of the vendor's prices across partners, regions and online."""
    t, v = model.resellers, model.vendor.row
    mine = t.active & (t.seller == v)
    w, p = txn.retail_units[mine], t.retail_price[mine]
    if model.strategy.online_store:
        w = np.concatenate([w, txn.own_units[v]])
        p = np.concatenate([p, txn.own_price[v]])
    if w.sum() <= 1e-9:  # numerical: no units worth the name, no dispersion
        return 0.0
    mean = np.average(p, weights=w)
    if mean <= 1e-12:  # numerical: discounts took the whole price (channel_cost): given away
        return 0.0
    return float(np.sqrt(np.average((p - mean) ** 2, weights=w)) / mean)
