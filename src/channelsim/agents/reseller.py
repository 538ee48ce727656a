"""Resellers (代理商/经销商): profit, capital, capability, satisfaction, tiering, exit and entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.base import Column, RowAgent
from channelsim.agents.tables import DUE_SLOTS, draw_reseller
from channelsim.domain import PartnerStatus, Segment, Tier
from channelsim.mechanics import brands
from channelsim.mechanics import partners as rules
from channelsim.mechanics.pricing import stock_loss as lost_in_stock

if TYPE_CHECKING:
    from channelsim.model import ChannelModel


class Reseller(RowAgent):
    """A channel partner: tier 1 or 2, business (B2B) or retail (B2C)."""

    region = Column("resellers")
    firm = Column("resellers")
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

    Each seller's training budget is spread over its own partners. With tiering,
    resources follow the tier: tier-1 partners get twice the share (and relationship
    partners half as much again).
    """
    t, lever, p = model.resellers, model.partner_lever, model.market.partners
    weight = np.where(t.active, 1.0, 0.0)
    weight *= np.where(lever("partner_tiering") & (t.tier == Tier.ONE), p.tier_resources, 1.0)
    weight *= np.where(t.relationship_partner, p.relationship_partner_training, 1.0)
    total = np.maximum(seller_total(model, weight), 1e-12)  # numerical: > 0
    spend = lever("training_budget") * weight / total
    t.training[:] = spend
    experience = np.minimum(t.key_wins, p.experience_wins) * p.experience
    apt, half, forget = t.aptitude, p.training_half, p.forget
    skill = rules.learn(t.skill, spend, half, p.learn_skill * apt, forget)
    t.skill[:] = np.clip(skill + experience, 0, 1)
    t.knowledge[:] = rules.learn(t.knowledge, spend, half, p.learn_knowledge * apt, forget)
    taught = np.where(lever("training_competition"), spend, 0.0)
    t.competition[:] = rules.learn(t.competition, taught, half, p.learn_knowledge * apt, forget)
    service_rate = p.learn_service * apt
    t.service[:] = rules.learn(t.service, spend, half, service_rate, p.forget_service)


def settle(model: ChannelModel) -> None:
    """The month into the partners' cash: what it made, less what it bought on credit (paid
    when due), less what falls due now; a partner that cannot pay what is due defaults,
    as does one that fails by chance or runs out of cash (its seller's loss on what it
    leaves unpaid is booked by `retire`). Then the owners of profitable partners take
    out part of the cash their business does not need."""
    t, m, lever = model.resellers, model.market, model.partner_lever
    p = m.partners
    budget = lever("coop_budget")
    tier_one = lever("partner_tiering") & (t.tier == Tier.ONE)
    coop = budget * t.active * np.where(tier_one, p.tier_resources, 1.0)
    total = np.maximum(seller_total(model, coop), 1e-12)  # numerical: > 0
    coop = coop / total * budget * p.coop_to_partners
    fixed = t.reps * m.partner_fixed_cost
    # better terms for a partner that carries its seller's brand alone
    exclusive = lever("exclusive_partners") & t.active
    t.exclusive_paid[:] = np.where(exclusive, m.costs.exclusive_terms * t.purchases, 0.0)
    # its stock loses value as component prices fall; its seller refunds its share of that
    stock_loss = lost_in_stock(m.price_fall, m.channel_stock, t.purchases) * t.active
    t.protected[:] = lever("price_protection") * stock_loss
    t.profit += (t.revenue - t.purchases - fixed + coop - stock_loss) * t.active
    t.profit += t.exclusive_paid + t.protected
    t.capital += t.profit + t.credited
    missed = collect(model)
    hazard = rules.default_hazard(
        m.default_hazard, t.capital, t.receivable, m.partner_capital, p.distress, p.leverage_cushion
    )
    default = model.streams("defaults").random(t.n) < hazard * (t.receivable > 0)
    fails = t.active & (default | missed | (t.capital < 0))
    retire(model, np.flatnonzero(fails))
    draw(model)


def lend(model: ChannelModel, rows: np.ndarray, amounts: np.ndarray) -> None:
    """Partners `rows` buy `amounts` on credit: each falls due its seller's payment terms
    later, and the seller enters it in its own books (`Seller.lent`)."""
    t = model.resellers
    terms = np.broadcast_to(model.partner_lever("payment_terms", rows), rows.shape)
    np.add.at(t.due, (rows, (model.steps + terms) % DUE_SLOTS), amounts)
    np.add.at(t.receivable, rows, amounts)
    np.add.at(t.credited, rows, amounts)
    for seller in model.sellers:
        seller.lent += float(amounts[t.seller[rows] == seller.row].sum())


def collect(model: ChannelModel) -> np.ndarray:
    """Each partner pays its seller what falls due this month, as far as its cash goes.

    Returns:
        whether each partner left part of what fell due unpaid (it defaults).
    """
    t = model.resellers
    slot = model.steps % DUE_SLOTS
    due = t.due[:, slot].copy()
    paid = np.minimum(due, np.maximum(t.capital, 0.0))
    t.due[:, slot] = due - paid  # unpaid: still owed, written off when the partner leaves
    t.capital -= paid
    t.receivable -= paid
    t.repaid[:] = paid
    for seller in model.sellers:
        seller.lent -= float(paid[seller.partners()].sum())
    return due - paid > 1e-9 * np.maximum(due, 1.0)  # numerical: rounding is not a default


def draw(model: ChannelModel) -> None:
    """Owners' draws: after a profitable month, the owners take out `partners.owner_draw`
    of the cash above what the business keeps: `partners.reserve` times the market's
    usual capital for a partner of its staff (`partner_capital` per `partner_reps` reps)."""
    t, m = model.resellers, model.market
    p = m.partners
    keep = p.reserve * m.partner_capital * t.reps / m.partner_reps
    drawn = p.owner_draw * np.maximum(t.capital - keep, 0.0)
    t.drawn[:] = np.where(t.active & (t.profit > 0), drawn, 0.0)
    t.capital -= t.drawn


def feel(model: ChannelModel) -> None:
    """Satisfaction follows margin, support, fairness and gray-market losses."""
    t, m, lever = model.resellers, model.market, model.partner_lever
    p = m.partners
    fixed = np.maximum(t.reps * m.partner_fixed_cost, 1e-9)  # numerical: > 0
    mid = p.margin_midpoint
    margin = np.clip(mid + (1 - mid) * t.profit / (2.0 * fixed), 0.0, 1.0)
    active_partners = seller_total(model, t.active.astype(np.int64))
    coop = p.coop_to_partners * lever("coop_budget") / np.maximum(active_partners, 1)
    support = (t.training + coop) / p.support_full
    support = np.minimum(1.0, support)
    gray = np.minimum(1.0, t.gray_lost / np.maximum(t.units, 1.0))
    first = np.isnan(t.target)  # before its first quarter closes: what it expects
    completion = np.where(first, p.rebate_expected, np.minimum(t.completion, 1.0))
    rebate = completion * np.minimum(1.0, lever("rebate_rate") / p.rebate_full)
    target = (
        p.satisfaction_base
        + p.satisfaction_margin * margin
        + p.satisfaction_support * support
        + p.satisfaction_rebate * rebate
        - p.satisfaction_complaint * t.complaint
        - p.satisfaction_gray * gray
    )
    felt = rules.satisfaction(t.satisfaction, target, p.satisfaction_speed)
    t.satisfaction[:] = np.where(t.active, felt, 0.0)
    low = t.active & (t.satisfaction < p.low_satisfaction)
    t.low_months[:] = np.where(low, t.low_months + 1, 0)
    retire(model, np.flatnonzero(t.active & (t.low_months >= p.low_months)))


def close_quarter(model: ChannelModel) -> np.ndarray:
    """Rebates on quarter targets, new targets, tiering, partner selection, elimination,
    each under the policy of the partner's seller.

    Returns:
        the rebates each seller pays (one entry per seller row).
    """
    t, lever, p = model.resellers, model.partner_lever, model.market.partners
    has_target = ~np.isnan(t.target)
    met = t.active & has_target & (t.quarter_purchases >= t.target)
    rebates = np.where(met, lever("rebate_rate") * t.quarter_purchases, 0.0)
    t.profit += rebates
    t.capital += rebates
    reached = t.quarter_purchases / np.maximum(t.target, 1e-9)  # numerical: > 0
    t.completion[:] = np.where(has_target, reached, 1.0)
    t.target[:] = np.where(
        t.active, np.maximum(t.quarter_purchases, 1.0) * (1 + lever("target_growth")), np.nan
    )
    t.year_units[:] = p.volume_memory * t.year_units + t.quarter_units
    t.quarter_purchases[:] = 0.0
    t.quarter_units[:] = 0.0

    review_brands(model)
    select_partners(model)

    # tiered by target completion and strength (capability), among the seller's partners
    capability = rules.capability(t.skill, t.knowledge, t.competition)
    completion = np.minimum(t.completion, p.completion_cap)
    strength = p.strength_completion * completion + p.strength_capability * capability
    paid = np.zeros(len(model.sellers))
    for seller in model.sellers:
        mine = seller.partners()
        paid[seller.row] = float(rebates[mine].sum())
        if not seller.policy.partner_tiering:
            t.weak_quarters[mine] = 0
            continue
        # the seller's review judges its partners' strength with an error, so near a
        # cutoff a partner lands on either side by chance
        active, ranked = t.active[mine], strength[mine]
        review = model.streams("reviews", seller.row)
        top, low = review.random(t.n)[mine], review.random(t.n)[mine]
        t.tier[mine] = rules.tiers(ranked, active, p.tier1_share, p.review_error, top)
        # the weakest, two quarters running, lose the open competition
        cutoff = np.quantile(ranked[active], p.eliminate_share) if active.any() else 0.0
        judged = rules.judged_weak(ranked, cutoff, p.review_error)
        weak = active & (t.tier[mine] == Tier.TWO) & (low < judged)
        t.weak_quarters[mine] = np.where(weak, t.weak_quarters[mine] + 1, 0)
        retire(model, np.arange(t.n)[mine][t.weak_quarters[mine] >= p.eliminate_quarters])
    plan_owners(model)
    return paid


def review_brands(model: ChannelModel) -> None:
    """Firms carrying several brands (docs/ODD.md 7.13): each moves its staff towards the
    brands that treat it better (its satisfaction with each, and its ties to the accounts
    it covers for each); answers each seller that asks for exclusivity, keeping the
    seller's brand alone or dropping it; and drops a brand left with too small a share
    of its staff. A line that leaves hands its staff back to its firm (`retire`)."""
    if not model.multi_brand:
        return
    t, a, p = model.resellers, model.accounts, model.market.partners
    slots = a.cover.ravel()
    covered = np.bincount(slots, minlength=t.n)
    ties = np.bincount(slots, a.rel_partner.ravel(), minlength=t.n) / np.maximum(covered, 1)
    appeal = t.satisfaction + p.effort_ties * ties
    sensitivity, speed = p.effort_sensitivity, p.effort_speed
    t.reps[:] = brands.split_staff(t.reps, t.firm, t.active, appeal, sensitivity, speed)
    for seller in model.sellers:
        if seller.policy.exclusive_partners:
            share = brands.effort_shares(t.reps, t.firm, t.active)
            theirs = t.seller == seller.row
            drop = brands.exclusivity(share, t.firm, t.active, theirs, p.exclusive_accept)
            retire(model, np.flatnonzero(drop))
    share = brands.effort_shares(t.reps, t.firm, t.active)
    retire(model, np.flatnonzero(t.active & (share < p.drop_share)))


def select_partners(model: ChannelModel) -> None:
    """Who is a relationship partner, by its seller's policy. The case's two principles
    (发展关系型代理商的原则): annual volume above the threshold, for only then can a
    partner profit from key-account business; and, when recruiting around key accounts,
    strong key-account ties or key-account skill as well."""
    t, a, lever, p = model.resellers, model.accounts, model.partner_lever, model.market.partners
    key = a.segment != Segment.MID
    ties = np.zeros(t.n)
    np.maximum.at(ties, a.cover[key].ravel(), a.rel_partner[key].ravel())
    qualified = t.year_units >= lever("partner_selection_volume")
    strong = (ties >= p.recruit_ties) | (t.skill >= p.recruit_skill)
    qualified &= strong | ~np.asarray(lever("recruit_relationship_partners"))
    t.relationship_partner[:] = t.active & qualified


def plan_owners(model: ChannelModel) -> None:
    """Account planning: each seller that plans makes the best of its partners covering a
    key or global account its owner, relationship partners first (锁定 accounts to
    partners with ties or skill)."""
    a, t = model.accounts, model.resellers
    cov = a.cover
    single = model.single_brand
    for seller in model.sellers:
        if not (seller.policy.account_planning and seller.has_partners()):
            a.owner[seller.row] = -1
            continue
        active = t.active[cov]
        weight = model.market.partners.owner_partner_weight
        score = (a.rel_partner + t.skill[cov] + weight * t.relationship_partner[cov]) * active
        planned = a.segment != Segment.MID
        if single != seller.row:  # only its own active partners' slots
            active &= t.seller[cov] == seller.row
            planned &= active.any(axis=1)
        best = np.argmax(np.where(active, score, -1.0), axis=1)
        a.owner[seller.row] = np.where(planned, best, -1)


def seller_total(model: ChannelModel, values: np.ndarray) -> np.ndarray:
    """For each reseller row, the sum of `values` over its seller's partners."""
    t = model.resellers
    if model.single_brand is not None:
        return values.sum()
    totals = np.array([values[t.seller == seller.row].sum() for seller in model.sellers])
    return totals[t.seller]


def retire(model: ChannelModel, rows: np.ndarray) -> None:
    """Partners leave the channel. The region's strongest active partner takes on part of
    their staff (strong partners are supported); each account they covered moves to the
    strongest partner of the region not already covering it, one of the leaver's seller
    where there is one; their relationships leave with them."""
    t, a = model.resellers, model.accounts
    rows = rows[t.active[rows]]
    if rows.size == 0:
        return
    t.active[rows] = False
    t.satisfaction[rows] = 0.0
    np.add.at(model.exits, t.seller[rows], 1)
    for row in rows:  # gone from the market; the row keeps its history
        model.reseller_agents.pop(int(row)).remove()
    p = model.market.partners
    # a line of a firm that carries other brands too: its staff stays with the firm
    to_firm = np.zeros(t.n, bool)
    if model.multi_brand:
        to_firm[rows] = brands.lines(t.firm, t.active)[rows] > 0
        staff = brands.firm_total(np.where(to_firm, t.reps, 0.0), t.firm)
        t.reps += staff * brands.effort_shares(t.reps, t.firm, t.active)
    strength = np.where(t.active, t.skill + t.service + p.heir_tier * (t.tier == Tier.ONE), -np.inf)
    g, k = model.market.n_regions, a.cover.shape[1]
    ranked = strongest_by_region(strength, t.region, g, k + 1)
    single = model.single_brand
    if single is None:  # the strongest of each seller's own partners, region by region
        by_seller = np.stack(
            [
                strongest_by_region(
                    np.where(t.seller == seller.row, strength, -np.inf), t.region, g, k + 1
                )
                for seller in model.sellers
            ]
        )
    for seller in model.sellers:
        theirs = rows[t.seller[rows] == seller.row]
        if theirs.size == 0:
            continue
        # what a leaving partner still owes: its seller recovers part, the rest is lost
        owed = float(t.receivable[theirs].sum())
        model.bad_debt[seller.row] += owed * (1.0 - p.default_recovery)
        seller.lent -= owed
        # its strongest partner in the region takes on part of the staff
        own = ranked if single == seller.row else by_seller[seller.row]
        successor = own[t.region[theirs], 0]
        moved = (successor >= 0) & ~to_firm[theirs]
        np.add.at(t.reps, successor[moved], p.staff_moving * t.reps[theirs[moved]])
    t.receivable[rows] = 0.0
    t.due[rows] = 0.0
    # each orphaned slot goes to the strongest partner not already covering the account,
    # of the leaver's seller first
    for slot in range(k):
        orphan = np.flatnonzero(~t.active[a.cover[:, slot]])
        heir = np.full(orphan.size, -1)
        region = a.region[orphan]
        choices = ranked[region]
        if single is None:
            leaver = t.seller[a.cover[orphan, slot]]
            choices = np.concatenate([by_seller[leaver, region], choices], axis=1)
        for rank in range(choices.shape[1]):
            candidate = choices[:, rank]
            free = (
                (heir < 0) & (candidate >= 0) & ~(a.cover[orphan] == candidate[:, None]).any(axis=1)
            )
            heir[free] = candidate[free]
        ok = heir >= 0
        moved_rows = orphan[ok]
        a.cover[moved_rows, slot] = heir[ok]
        a.rel_partner[moved_rows, slot] = 0.0
        a.rel_team[moved_rows, slot] = 0.0
        a.team_trust[moved_rows, slot] = 0.0
        # the heir has not heard of the leaver's open projects, nor holds its registrations
        a.found_partner[moved_rows, slot] = False
        held = a.registered[:, moved_rows]
        a.registered[:, moved_rows] = np.where(held == slot, -1, held)
    if any(seller.policy.account_planning for seller in model.sellers):
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
    """New resellers enter regions where a seller's partners have thinned; an entrant
    carries the products of the seller furthest below its share there."""
    t, m, streams = model.resellers, model.market, model.streams
    shares = model.partner_shares
    active = np.stack(
        [
            np.bincount(t.region[t.active & (t.seller == s.row)], minlength=m.n_regions)
            for s in model.sellers
        ]
    )
    expected = shares[:, None] * m.resellers_per_region
    thin_for = (active < m.partners.entry_gap * expected) & (shares > 0)[:, None]
    chance = streams("entry").random(m.n_regions)
    thin = np.flatnonzero(thin_for.any(axis=0) & (chance < m.entry_rate))
    n = thin.size  # at most one a region: the month opened with that many spare rows
    if n == 0:
        return
    rows = np.arange(model.resellers_used, model.resellers_used + n)
    model.resellers_used += n
    short = 1.0 - active / np.maximum(expected, 1e-12)  # numerical: > 0
    gap = np.where(shares[:, None] > 0, short, -np.inf)
    t.seller[rows] = np.argmax(gap[:, thin], axis=0)
    model.note_brands()
    screened = np.broadcast_to(model.partner_lever("partner_tiering"), (t.n,))[rows]
    # an entrant's draws are its region's this month, whatever other regions see
    draws = streams("entrants")
    draw_reseller(t, rows, thin[:n], m, draws, entrant=True, screened=screened, among=m.n_regions)
    for row in rows:
        model.add_reseller_agent(int(row))
    np.add.at(model.entries, t.seller[rows], 1)
