"""Resellers (代理商/经销商): profit, capital, capability, satisfaction, tiering, exit and entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.base import Column, RowAgent
from channelsim.agents.tables import draw_reseller
from channelsim.domain import PartnerStatus, Segment, Tier
from channelsim.mechanics import partners as rules

if TYPE_CHECKING:
    from channelsim.model import ChannelModel

TRAINING_HALF = 20.0  # monthly training spend per partner at which the lift is half its maximum
COOP_TO_PARTNERS = 0.5  # share of the co-op budget paid to partners (the rest: vendor media)
SUPPORT_FULL = 6.0  # monthly training and co-op per partner that partners count as full support
STAFF_MOVING = 0.8  # share of a leaving partner's reps (and shops) the strongest partner takes over
DEFAULT_RECOVERY = 0.4  # share of a failed partner's debt the vendor recovers
LOW_SATISFACTION = 0.2  # below this for LOW_MONTHS months in a row, a partner leaves
LOW_MONTHS = 6
ELIMINATE_QUANTILE = 0.1  # tiering: tier-2 partners among the weakest 10% two quarters running
# are eliminated
ENTRY_GAP = 0.8  # entrants come where active resellers fall below this share of the start


class Reseller(RowAgent):
    """A channel partner: tier 1 or 2, business (B2B) or retail (B2C)."""

    region = Column("resellers")
    skill = Column("resellers")
    knowledge = Column("resellers")
    competition = Column("resellers")
    service = Column("resellers")
    capital = Column("resellers")
    satisfaction = Column("resellers")
    markup = Column("resellers")

    @property
    def status(self) -> PartnerStatus:
        active = self.model.resellers.active[self.row]
        return PartnerStatus.ACTIVE if active else PartnerStatus.EXITED

    @property
    def tier(self) -> Tier:
        return Tier(int(self.model.resellers.tier[self.row]))

    @property
    def capability(self) -> float:
        """Mean of key-account skill, product knowledge and competitive knowledge."""
        return rules.capability(self.skill, self.knowledge, self.competition)


def train(model: ChannelModel) -> None:
    """Training lifts skill, product and (if taught) competitive knowledge, and service.

    With tiering, resources follow the tier: tier-1 partners get twice the share (and
    relationship partners half as much again).
    """
    t, s = model.resellers, model.strategy
    weight = np.where(t.active, 1.0, 0.0)
    if s.partner_tiering:
        weight *= np.where(t.tier == Tier.ONE, 2.0, 1.0)
    weight *= np.where(t.relationship_partner, 1.5, 1.0)
    spend = s.training_budget * weight / max(weight.sum(), 1e-12)
    t.training[:] = spend
    experience = np.minimum(t.key_wins, 5.0) * 0.004
    apt = t.aptitude
    t.skill[:] = np.clip(rules.learn(t.skill, spend, TRAINING_HALF, 0.28 * apt) + experience, 0, 1)
    t.knowledge[:] = rules.learn(t.knowledge, spend, TRAINING_HALF, 0.37 * apt)
    taught = spend if s.training_competition else np.zeros_like(spend)
    t.competition[:] = rules.learn(t.competition, taught, TRAINING_HALF, 0.37 * apt)
    t.service[:] = rules.learn(t.service, spend, TRAINING_HALF, 0.14 * apt, forget=0.002)


def settle(model: ChannelModel) -> None:
    """Profit into capital, repay credited projects, and fail (the vendor's loss on what a
    leaving partner still owes is booked by `retire`)."""
    t, s, m, rng = model.resellers, model.strategy, model.market, model.rng
    coop = (
        s.coop_budget
        * t.active
        * (np.where(t.tier == Tier.ONE, 2.0, 1.0) if s.partner_tiering else 1.0)
    )
    coop = coop / max(coop.sum(), 1e-12) * s.coop_budget * COOP_TO_PARTNERS
    fixed = t.reps * m.partner_fixed_cost
    t.profit += (t.revenue - t.purchases - fixed + coop) * t.active
    t.capital += t.profit
    repay = t.receivable / s.payment_terms if s.payment_terms > 0 else t.receivable.copy()
    t.receivable -= repay
    hazard = rules.default_hazard(m.default_hazard, t.capital, t.receivable, m.partner_capital)
    fails = t.active & ((rng.random(t.n) < hazard * (t.receivable > 0)) | (t.capital < 0))
    retire(model, np.flatnonzero(fails))


def feel(model: ChannelModel) -> None:
    """Satisfaction follows margin, support, fairness and gray-market losses."""
    t, s, m = model.resellers, model.strategy, model.market
    fixed = np.maximum(t.reps * m.partner_fixed_cost, 1e-9)
    margin = np.clip(0.5 + 0.5 * t.profit / (2.0 * fixed), 0.0, 1.0)
    coop = COOP_TO_PARTNERS * s.coop_budget / max(int(t.active.sum()), 1)
    support = (t.training + coop) / SUPPORT_FULL
    support = np.minimum(1.0, support)
    gray = np.minimum(1.0, t.gray_lost / np.maximum(t.units, 1.0))
    rebate = np.where(np.isnan(t.target), 0.5, np.minimum(t.completion, 1.0)) * min(
        1.0, s.rebate_rate / 0.03
    )
    target = 0.25 + 0.4 * margin + 0.15 * support + 0.15 * rebate - 0.25 * t.complaint - 0.4 * gray
    t.satisfaction[:] = np.where(t.active, rules.satisfaction(t.satisfaction, target), 0.0)
    low = t.active & (t.satisfaction < LOW_SATISFACTION)
    t.low_months[:] = np.where(low, t.low_months + 1, 0)
    retire(model, np.flatnonzero(t.active & (t.low_months >= LOW_MONTHS)))


def close_quarter(model: ChannelModel) -> float:
    """Rebates on quarter targets, new targets, tiering, partner selection, elimination.

    Returns:
        the rebates the vendor pays.
    """
    t, s = model.resellers, model.strategy
    has_target = ~np.isnan(t.target)
    met = t.active & has_target & (t.quarter_purchases >= t.target)
    rebates = np.where(met, s.rebate_rate * t.quarter_purchases, 0.0)
    t.profit += rebates
    t.capital += rebates
    t.completion[:] = np.where(has_target, t.quarter_purchases / np.maximum(t.target, 1e-9), 1.0)
    t.target[:] = np.where(
        t.active, np.maximum(t.quarter_purchases, 1.0) * (1 + s.target_growth), np.nan
    )
    t.year_units[:] = 0.75 * t.year_units + t.quarter_units
    t.quarter_purchases[:] = 0.0
    t.quarter_units[:] = 0.0

    select_partners(model)

    # tiered by target completion and strength (capability)
    capability = rules.capability(t.skill, t.knowledge, t.competition)
    strength = 0.5 * np.minimum(t.completion, 1.2) + 2.0 * capability
    if s.partner_tiering:
        t.tier[:] = rules.tiers(strength, t.active)
        # the weakest, two quarters running, lose the open competition
        cutoff = np.quantile(strength[t.active], ELIMINATE_QUANTILE) if t.active.any() else 0.0
        weak = t.active & (t.tier == Tier.TWO) & (strength <= cutoff)
        t.weak_quarters[:] = np.where(weak, t.weak_quarters + 1, 0)
        retire(model, np.flatnonzero(t.weak_quarters >= 2))
    else:
        t.weak_quarters[:] = 0
    plan_owners(model)
    return float(rebates.sum())


def select_partners(model: ChannelModel) -> None:
    """Who is a relationship partner (发展关系型代理商的原则): annual volume above the
    threshold, or, when recruiting, strong key-account ties or key-account skill."""
    t, s, a = model.resellers, model.strategy, model.accounts
    key = a.segment != Segment.MID
    ties = np.zeros(t.n)
    np.maximum.at(ties, a.cover[key].ravel(), a.rel_partner[key].ravel())
    qualified = t.year_units >= s.partner_selection_volume
    if s.recruit_relationship_partners:
        qualified |= (ties >= 0.5) | (t.skill >= 0.45)
    t.relationship_partner[:] = t.active & qualified


def plan_owners(model: ChannelModel) -> None:
    """Account planning: each key or global account's owner is its best covering partner,
    relationship partners first (锁定 accounts to partners with ties or skill)."""
    a, t = model.accounts, model.resellers
    if not model.strategy.account_planning:
        a.owner[:] = -1
        return
    cov = a.cover
    score = (a.rel_partner + t.skill[cov] + 2.0 * t.relationship_partner[cov]) * t.active[cov]
    score = np.where(t.active[cov], score, -1.0)
    best = np.argmax(score, axis=1)
    a.owner[:] = np.where(a.segment != Segment.MID, best, -1)


def retire(model: ChannelModel, rows: np.ndarray) -> None:
    """Partners leave the channel. The region's strongest active partner takes on part of
    their staff (strong partners are supported); each account they covered moves to the
    strongest partner of the region not already covering it; their relationships leave
    with them."""
    t, a = model.resellers, model.accounts
    rows = rows[t.active[rows]]
    if rows.size == 0:
        return
    t.active[rows] = False
    t.satisfaction[rows] = 0.0
    model.exits += rows.size
    for row in rows:  # gone from the market; the row keeps its history
        model.reseller_agents.pop(int(row)).remove()
    # whatever a leaving partner still owes for credited projects is partly lost
    model.bad_debt += float(t.receivable[rows].sum() * (1.0 - DEFAULT_RECOVERY))
    t.receivable[rows] = 0.0
    strength = np.where(t.active, t.skill + t.service + 0.5 * (t.tier == Tier.ONE), -np.inf)
    k = a.cover.shape[1]
    ranked = strongest_by_region(strength, t.region, model.market.n_regions, k + 1)
    successor = ranked[t.region[rows], 0]
    moved = successor >= 0
    np.add.at(t.reps, successor[moved], STAFF_MOVING * t.reps[rows[moved]])
    # each orphaned slot goes to the strongest partner not already covering the account
    for slot in range(k):
        orphan = np.flatnonzero(~t.active[a.cover[:, slot]])
        heir = np.full(orphan.size, -1)
        for rank in range(k + 1):
            candidate = ranked[a.region[orphan], rank]
            free = (
                (heir < 0) & (candidate >= 0) & ~(a.cover[orphan] == candidate[:, None]).any(axis=1)
            )
            heir[free] = candidate[free]
        ok = heir >= 0
        moved_rows = orphan[ok]
        a.cover[moved_rows, slot] = heir[ok]
        a.rel_partner[moved_rows, slot] = 0.0
        # the heir has not heard of the leaver's open projects, nor holds its registrations
        a.found_partner[moved_rows, slot] = False
        a.registered[moved_rows] = np.where(
            a.registered[moved_rows] == slot, -1, a.registered[moved_rows]
        )
    if model.strategy.account_planning:
        plan_owners(model)


def strongest_by_region(
    strength: np.ndarray, region: np.ndarray, n_regions: int, top: int
) -> np.ndarray:
    """(regions, top) rows of the strongest partners of each region, -1 where fewer."""
    order = np.lexsort((-strength, region))
    order = order[np.isfinite(strength[order])]
    reg = region[order]
    first = np.searchsorted(reg, np.arange(n_regions))
    rank = np.arange(order.size) - first[reg]
    out = np.full((n_regions, top), -1, dtype=np.int64)
    keep = rank < top
    out[reg[keep], rank[keep]] = order[keep]
    return out


def enter(model: ChannelModel) -> None:
    """New resellers enter regions where coverage has thinned."""
    t, m, rng = model.resellers, model.market, model.rng
    active = np.bincount(t.region[t.active], minlength=m.n_regions)
    thin = np.flatnonzero(
        (active < ENTRY_GAP * m.resellers_per_region) & (rng.random(m.n_regions) < m.entry_rate)
    )
    n = thin.size  # at most one a region: the month opened with that many spare rows
    if n == 0:
        return
    rows = np.arange(model.resellers_used, model.resellers_used + n)
    model.resellers_used += n
    draw_reseller(t, rows, thin[:n], m, rng, entrant=True, screened=model.strategy.partner_tiering)
    for row in rows:
        model.add_reseller_agent(int(row))
    model.entries += n
