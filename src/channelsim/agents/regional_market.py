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
MAP_AUDIT_WEIGHT = 1.5  # enforced MAP adds checks to the diversion audits
RETAIL_WEIGHT_B2B = 0.3  # a business reseller's pull in retail next to a shop's 1.0


class RegionalMarket(RowAgent):
    """One of the big regions: its transactional demand and what it costs there."""

    @property
    def demand(self) -> float:
        """Transactional units this region would buy this month at reference utility."""
        return float(self.model.region_demand[self.row])

    @property
    def retail_price(self) -> float:
        """The vendor channel's average retail price in this region this month."""
        return float(self.model.region_price[self.row])


def retail_pull(t) -> np.ndarray:
    """A reseller's pull on walk-in buyers: shop or business, size (reps) and service."""
    return np.where(t.b2b, RETAIL_WEIGHT_B2B, 1.0) * t.active * (0.5 + t.service) * t.reps


def transactional(model: ChannelModel) -> RetailSales:
    """Each region's demand splits by logit over the vendor's partners' shops and each
    seller's own consumer sales (online and phone: the vendor's online store, the direct
    seller's phone and web sales, one rule for both), on price, brand, availability and
    service."""
    m, s, t = model.market, model.strategy, model.resellers
    g = m.n_regions
    years = model.years_elapsed
    demand = model.region_size * m.txn_units_per_region * (1.0 + m.growth) ** years
    active = t.active
    pull = retail_pull(t)
    presence = np.bincount(t.region, pull, minlength=g)  # shops in the region, whatever the price
    # within a region, buyers lean to the cheaper shops
    weight = pull * np.exp(-m.price_sensitivity * (t.retail_price - LIST_PRICE))
    region_weight = np.bincount(t.region, weight, minlength=g)
    price = np.bincount(t.region, weight * t.retail_price, minlength=g) / np.maximum(
        region_weight, 1e-12
    )
    price = np.where(region_weight > 0, price, LIST_PRICE)
    coop = s.coop_budget / (s.coop_budget + 300.0)
    availability = np.minimum(1.0, presence / model.initial_region_weight) * (0.8 + 0.2 * coop)
    service = np.bincount(t.region, weight * t.service, minlength=g) / np.maximum(
        region_weight, 1e-12
    )
    scale = 4.0

    def value(p, trust, avail, serv):
        # shops close to buyers matter most to transactional buyers
        return -m.price_sensitivity * (p - LIST_PRICE) + scale * (
            0.3 * trust + 0.5 * avail + 0.2 * serv
        )

    # the options: the vendor's partners' shops, then each seller's own consumer sales
    vendor, direct = model.vendor, model.direct_seller
    u = np.full((g, 3), -np.inf)
    brand = vendor.capabilities.brand_trust
    u[:, 0] = np.where(region_weight > 0, value(price, brand, availability, service), -np.inf)
    own_price = {}
    for column, seller in ((1, vendor), (2, direct)):
        c, p = seller.capabilities, seller.policy
        # online and phone sales: below its partners' shop price, or its own price
        base = price if seller.has_partners() else np.full(g, seller.price)
        own_price[seller.row] = base * (1.0 - p.online_price_gap)
        if p.online_store and c.consumer_reach > 0:
            reach = c.consumer_availability * c.consumer_reach
            u[:, column] = value(own_price[seller.row], c.brand_trust, reach, c.service)
    u = np.where(np.isfinite(u), u, -1e9)
    shares = choice.logit_shares(u, OUTSIDE_UTILITY, m.choice_noise) * (u > -1e8)
    units = demand[:, None] * shares
    model.region_demand = demand
    model.region_price = price

    # channel units go to the region's resellers by their pull
    share_in_region = weight / np.maximum(region_weight[t.region], 1e-12)
    retail_units = units[t.region, 0] * share_in_region * active
    return RetailSales(
        retail_units=retail_units,
        online_units=units[:, 1],
        direct_units=units[:, 2],
        online_price=own_price[vendor.row],
        direct_price=own_price[direct.row],
        region_price=price,
    )


def gray_market(model: ChannelModel, txn: RetailSales) -> GrayFlows:
    """Partners in cheap regions divert units to the dearest region, and gray dealers buy
    online to resell in the channel, where the gap beats transport plus expected penalty.

    Diverted units displace the local partners' sales; units in all stay the same.
    """
    m, s, t, rng = model.market, model.strategy, model.resellers, model.rng
    retail = txn.retail_units
    price = txn.region_price
    active_regions = np.bincount(t.region, retail, minlength=m.n_regions) > 0
    if not active_regions.any():
        txn.sale_price = t.retail_price.copy()
        return GrayFlows(gray_units=0.0, fines=0.0, online_arbitrage=0.0)
    dear = int(np.argmax(np.where(active_regions, price, -np.inf)))
    # enforcement adds MAP audits to the diversion audits
    audit = audit_probability(s)
    gap = (price[dear] - t.retail_price) / LIST_PRICE
    share = graymarket.diversion_share(
        gap, m.transport_cost, audit, s.diversion_penalty, m.diversion_elasticity
    )
    share = np.where(t.active & (t.region != dear), share, 0.0)
    diverted = share * retail
    victims = (t.region == dear) & t.active
    room = 0.5 * retail[victims].sum()
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
    t.diverted[:] = diverted
    t.gray_lost[:] = lost
    txn.retail_units = retail + diverted - lost
    txn.sale_price = t.retail_price + np.where(diverted > 0, 0.5 * np.maximum(gap, 0), 0.0) * (
        diverted / np.maximum(retail + diverted - lost, 1e-12)
    )
    audited = rng.random(t.n) < audit
    fines = float((diverted * audited).sum() * s.diversion_penalty * LIST_PRICE)
    t.profit -= diverted * audited * s.diversion_penalty * LIST_PRICE

    # online arbitrage: products differentiated between channels cannot be resold as-is
    arbitrage = 0.0
    online = txn.online_units.sum()
    if s.online_store and online > 0:
        online_gap = s.online_price_gap * (1.0 - s.product_differentiation)
        arb_share = float(
            graymarket.diversion_share(
                np.array(online_gap),
                m.transport_cost,
                audit,
                s.diversion_penalty,
                m.diversion_elasticity,
                cap=0.3,
            )
        )
        channel = txn.retail_units
        arbitrage = arb_share * channel.sum() * 0.5
        if arbitrage > 0:
            taken = arbitrage * channel / channel.sum()
            t.gray_lost += taken
            txn.retail_units = channel - taken
            txn.online_units = txn.online_units + arbitrage * (txn.online_units / online)
    return GrayFlows(gray_units=float(total + arbitrage), fines=fines, online_arbitrage=arbitrage)


def audit_probability(s) -> float:
    """Monthly chance a reseller is audited: diversion audits, plus MAP checks when MAP
    is enforced."""
    return min(1.0, s.audit_probability * (MAP_AUDIT_WEIGHT if s.map_enforced else 1.0))


def price_dispersion(model: ChannelModel, txn: RetailSales) -> float:
    """Coefficient of variation of the vendor's prices across partners, regions and online."""
    t = model.resellers
    w, p = txn.retail_units[t.active], t.retail_price[t.active]
    if model.strategy.online_store:
        w = np.concatenate([w, txn.online_units])
        p = np.concatenate([p, txn.online_price])
    if w.sum() <= 0:
        return 0.0
    mean = np.average(p, weights=w)
    return float(np.sqrt(np.average((p - mean) ** 2, weights=w)) / mean)
