"""Accounts (大客户 and mid-market): relationships, purchase projects, buying-centre choice.

The functions here run once a month over every account at once; an `Account`
agent reads and writes its own row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.base import Column, RowAgent
from channelsim.agents.records import Decisions, Pick
from channelsim.agents.reseller import lend
from channelsim.domain import MONTHS_PER_YEAR, Attribute, Segment, Stage
from channelsim.mechanics import choice, pricing, relationships

if TYPE_CHECKING:
    from channelsim.model import ChannelModel


class Account(RowAgent):
    """An enterprise buyer: a mid-market firm, a local key account or a global account."""

    size = Column("accounts")
    region = Column("accounts")
    opp_open = Column("accounts")

    @property
    def segment(self) -> Segment:
        return Segment(int(self.model.accounts.segment[self.row]))

    @property
    def incumbent(self) -> str:
        """The seller it last bought from (its name)."""
        return self.model.sellers[int(self.model.accounts.incumbent[self.row])].name

    def relationship(self, seller: int) -> float:
        """Its relationship with a seller's field force (the seller's `row`)."""
        return float(self.model.accounts.rel[seller, self.row])

    @property
    def rel_partner(self) -> np.ndarray:
        """Relationship with each covering reseller (a copy)."""
        return self.model.accounts.rel_partner[self.row].copy()


def assign_partner_effort(model: ChannelModel) -> None:
    """Resellers spread their reps over the accounts they cover, each under its seller's
    policy.

    Without account planning every covering reseller calls on its accounts as habit
    has it, in proportion to the relationship it already has; with planning only the
    planned owner of its seller's partners works a key or global account, so its effort
    is concentrated where it was assigned (CASE.md section 3). A partner stands aside
    where its seller serves the account on its own route.
    """
    a, t, m = model.accounts, model.resellers, model.market
    b = m.selling
    working = ~model.by_slot(model.served) & t.active[a.cover]
    # business resellers give most of their reps' time to accounts, shops little
    time = np.where(t.b2b, b.enterprise_time_b2b, b.enterprise_time_b2c)
    capacity = t.reps * m.partner_rep_capacity * time
    big = (a.segment != Segment.MID)[:, None]
    planning = model.partner_lever("account_planning", a.cover)
    owned = None
    if planning is not False:  # someone's partners plan key and global accounts
        slot = np.arange(a.cover.shape[1])[None, :]
        planned = big & planning
        owned = working & planned & (slot == model.by_slot(a.owner))
        working &= ~planned
        # owners serve their assigned accounts first, then spread what is left
        count = np.bincount(a.cover[owned], minlength=t.n)
        first = np.minimum(1.0, capacity / np.maximum(count, 1))
        capacity = np.maximum(capacity - count * first, 0.0)
    # the rest goes by habit: to old relationships first (a limited set of old customers)
    habit = np.where(working, a.rel_partner + b.habit_floor, 0.0)
    total = np.bincount(a.cover.ravel(), habit.ravel(), minlength=t.n)
    a.effort_partner[:] = np.minimum(
        1.0,
        capacity[a.cover] * habit / np.maximum(total[a.cover], 1e-12),  # numerical: > 0
    )
    if owned is not None:
        a.effort_partner[:] = np.where(owned, first[a.cover], a.effort_partner)
    # a deal any covering partner may take is worth less pre-sales effort (free riding)
    registration = model.partner_lever("deal_registration", a.cover)
    if registration is not True:
        a.effort_partner[:] *= np.where(big & np.logical_not(registration), b.free_riding, 1.0)


def tend_relationships(model: ChannelModel) -> float:
    """Contacts build relationships; people who leave take theirs away.

    Returns:
        relationship strength lost to departures this month, summed over accounts.
    """
    a, t, m, streams = model.accounts, model.resellers, model.market, model.streams
    # a relationship partner in a joint team with its seller's field rep
    joint = model.by_slot(model.joint) & t.relationship_partner[a.cover]
    team = joint & (model.by_slot(a.effort) > 0)
    learning = m.partners.skill_learning + t.skill[a.cover]
    rate_partner = m.learn_face_to_face * learning * np.where(team, m.partners.team_learning, 1.0)
    a.rel_partner[:] = relationships.grow(
        a.rel_partner, a.effort_partner, rate_partner, m.relationship_decay
    )
    rate = m.learn_face_to_face * a.effort + m.learn_phone * a.phone
    a.rel[:] = relationships.grow(a.rel, 1.0, rate, m.relationship_decay)
    # a joint team builds by working the account together: the relationship its members
    # hold between them (noisy-OR) and the buyer's trust in its partner as in the seller
    # grow at the team's face-to-face rate, and fade like any tie once the team stops
    rate_team = m.learn_face_to_face * m.partners.team_learning * team
    pooled = relationships.noisy_or(a.rel_partner, model.by_slot(a.rel))
    a.rel_team[:] = relationships.build(a.rel_team, pooled, rate_team, m.relationship_decay)
    a.team_trust[:] = relationships.grow(a.team_trust, 1.0, rate_team, m.relationship_decay)

    # departures: every seller's field reps, then the partners' reps
    lost = 0.0
    for seller in model.sellers:
        s, i = seller.policy, seller.row
        care = m.care_retention if s.customer_care else m.company_retention
        leaves = streams("rep_turnover", i).random(max(seller.reps, 1)) < s.am_turnover
        holder = np.clip(a.holder[i], 0, leaves.size - 1)
        leaving = (a.holder[i] >= 0) & leaves[holder]
        a.rel[i], gone = relationships.depart(a.rel[i], leaving, care)
        lost += float(gone.sum())
    # with customer care and joint teams, partner-held accounts settle at company level too
    care_partner = model.partner_lever("customer_care", a.cover)
    keep_partner = np.where(joint & care_partner, m.care_retention, m.company_retention)
    staff = streams("partner_staff_turnover").random(a.rel_partner.shape)
    staff_leaves = staff < m.partner_staff_turnover
    lost_partner = np.where(staff_leaves, a.rel_partner * (1.0 - keep_partner), 0.0)
    a.rel_partner -= lost_partner
    return lost + float(lost_partner.sum())


def open_projects(model: ChannelModel) -> None:
    """Accounts without an open project may start one (size from account size)."""
    a, b = model.accounts, model.market.buyers
    p = np.array([b.open_mid, b.open_key, b.open_global])[a.segment]
    new = ~a.opp_open & (model.streams("projects").random(a.n) < p)
    a.opp_open[new] = True
    a.opp_stage[new] = Stage.IDENTIFIED
    a.opp_age[new] = 0
    spread = b.project_spread
    size = mean_one(model.streams("project_sizes"), spread, a.n)  # one an account
    a.opp_units[new] = a.size[new] / (MONTHS_PER_YEAR * p[new]) * size[new]
    a.found[:, new] = False
    a.found_partner[new] = False
    a.registered[:, new] = -1


def discover(model: ChannelModel) -> None:
    """Sellers learn of open projects: phone sales find many, resellers hear of many,
    relationships help; with deal registration the first of a seller's partners to find
    one locks it."""
    a, t, m = model.accounts, model.resellers, model.market
    b = m.selling
    open_ = a.opp_open
    for seller in model.sellers:
        a.found[seller.row] |= seller.hear(open_)
    coop = model.partner_lever("coop_budget", a.cover)
    lead = m.partner_lead_rate * (1.0 + b.coop_lead_lift * coop / (coop + b.coop_half))
    p_slot = t.active[a.cover] * (
        1 - (1 - lead) * (1 - a.effort_partner) * (1 - b.relationship_reach * a.rel_partner)
    )
    found = open_[:, None] & (model.streams("discovery").random(a.cover.shape) < p_slot)
    single = model.single_brand
    every = np.arange(a.n)
    for seller in model.sellers:
        if not seller.has_partners():
            continue
        v, owner = seller.row, a.owner[seller.row]
        # joint teams share what either member hears
        has_owner = owner >= 0
        slot = np.maximum(owner, 0)  # the owner's slot (read only where there is one)
        owner_row = a.cover[every, slot]
        joint = model.joint[v] & has_owner & t.relationship_partner[owner_row]
        owner_found = has_owner & (found[every, slot] | a.found_partner[every, slot])
        a.found[v] |= joint & owner_found & open_
        shared = joint & a.found[v]
        found[every[shared], slot[shared]] = True
        if seller.policy.deal_registration:
            # registration covers key and global projects (small deals stay open to all)
            theirs = found if single == v else found & (t.seller[a.cover] == v)
            first = np.flatnonzero(
                (a.registered[v] < 0) & theirs.any(axis=1) & (a.segment != Segment.MID)
            )
            owner_slot = np.arange(a.cover.shape[1])[None, :] == owner[first, None]
            tie_break = 0.01 * owner_slot  # numerical: the owner wins a tie
            score = np.where(theirs[first], a.rel_partner[first] + tie_break, -1.0)
            a.registered[v, first] = np.argmax(score, axis=1)
            seller.tally["registrations"] += float(first.size)
    a.found_partner |= found


def decide(model: ChannelModel) -> Decisions:
    """Projects at the decision stage: offers are scored by the buying centre, a logit with
    'defer' picks the winner, winners ship and money moves along the channel."""
    a, t, m, streams = model.accounts, model.resellers, model.market, model.streams
    b = m.selling
    rows = np.flatnonzero(a.opp_open & (a.opp_stage == Stage.DECISION))
    nd, k = rows.size, a.cover.shape[1]
    cov = a.cover[rows]
    units = a.opp_units[rows]
    brand = t.seller[cov]  # the seller whose products each covering partner sells
    own_route = model.by_slot(model.served, rows)
    sellers = len(model.sellers)
    offers = sellers + k  # each seller's own offer, then each partner slot
    attr = np.zeros((nd, offers, len(Attribute)))
    avail = np.zeros((nd, offers), dtype=bool)

    # resellers (alone or in a joint team with their seller's field rep), each on its
    # seller's terms and with its seller's products
    cost = t.cost[cov]
    value = units[:, None] * cost
    can_finance = value <= np.maximum(t.capital[cov], 0.0) + model.credit[cov]
    heard = a.found_partner[rows] & t.active[cov] & ~own_route
    bid = heard & can_finance
    # with deal registration, key and global projects go to the registered partner only
    registrable = (a.segment[rows] != Segment.MID)[:, None]
    registration = model.partner_lever("deal_registration", cov)
    slots = np.arange(k)[None, :]
    bid &= ~(registrable & registration) | (slots == model.by_slot(a.registered, rows))
    # partners of one seller bidding against each other
    if model.single_brand is not None:
        bidders = bid.sum(axis=1)[:, None]
    else:
        bidders = (bid[:, None, :] & (brand[:, :, None] == brand[:, None, :])).sum(axis=2)
    # partners bidding against each other complain as often as their bids are contested
    bids = np.bincount(cov[bid], minlength=t.n)
    contested = np.bincount(cov[bid & (bidders > 1)], minlength=t.n)
    share = contested / np.maximum(bids, 1)
    t.complaint |= streams("contested_bids").random(t.n) < b.contested_complaint * share
    push = model.partner_lever("rebate_rate", cov) * b.rebate_pass_through
    markup = pricing.bid_markup(np.maximum(t.markup[cov] - push, 0.0), bidders)
    price = cost * (1.0 + markup)
    standing = (
        b.standing_capital
        * np.minimum(1.0, np.maximum(t.capital[cov], 0) / (2 * m.partner_capital))
        + b.standing_tier * (t.tier[cov] == 1)
        + b.standing_skill * t.skill[cov]
    )
    single = model.single_brand
    if single is not None:  # every partner sells one seller's products
        brand_trust = model.sellers[single].capabilities.brand_trust
        fit = seller_partner_fit(model.sellers[single])
    else:
        brand_trust = capability_of(model, "brand_trust")[brand]
        fit = np.array([seller_partner_fit(seller) for seller in model.sellers])[brand]
    trust = brand_trust * (1 - b.standing_trust + b.standing_trust * standing)
    knows = b.proposal_competition
    proposal = (1 - knows) * t.knowledge[cov] + knows * t.competition[cov]
    attr[:, sellers:, Attribute.PRICE] = price
    # a partner's own tie, or what its joint team has built together; its trust, raised
    # towards its seller's as far as the team has earned the buyer's
    attr[:, sellers:, Attribute.RELATIONSHIP] = np.maximum(a.rel_partner[rows], a.rel_team[rows])
    lent = a.team_trust[rows] * np.maximum(brand_trust - trust, 0.0)
    attr[:, sellers:, Attribute.TRUST] = trust + lent
    attr[:, sellers:, Attribute.FIT] = fit * (1 - b.proposal_fit + b.proposal_fit * proposal)
    attr[:, sellers:, Attribute.SERVICE] = t.service[cov]
    avail[:, sellers:] = bid

    # every seller's own offer, by one rule: its own route, or (with direct assist) taking
    # the order itself with a partner's help in special cases (global accounts, or by
    # chance a key account) where no partner could finance it
    seg_rows = a.segment[rows]
    assist = streams("direct_assist").random(a.n)
    special = (seg_rows == Segment.GLOBAL) | (
        (seg_rows == Segment.KEY) & (assist[rows] < b.direct_assist_share)
    )
    helpers = {
        seller.row: own_offer(model, seller, rows, attr, avail, special, heard, can_finance, bid)
        for seller in model.sellers
    }
    # the seller behind each offer: each seller's own, then each partner's
    offered_by = np.concatenate([np.broadcast_to(np.arange(sellers), (nd, sellers)), brand], axis=1)
    # big offers wait for their approvals: some miss this month's decision
    wait_for_approvals(model, rows, registrable[:, 0], avail, offered_by)

    buyers = m.buyers
    choice.in_house_it(attr, a.in_house[rows], buyers.in_house_ties, buyers.in_house_service)
    weights = choice.role_weights(buyers)
    utility = choice.utilities(
        a.centre[rows], attr, m.price_sensitivity, buyers.value_scale, weights
    )
    utility += buyers.incumbent_bonus * (offered_by == a.incumbent[rows, None])
    # each account's taste shocks: one for each seller's brand, one for deferring
    shocks = (a.n, len(model.sellers) + 1)
    noise, _ = streams.gumbel("choice", shocks, rows, m.choice_noise)
    pick = choice.brand_choice(utility, avail, offered_by, m.defer_utility, noise)

    deferred = pick == Pick.DEFERRED
    a.opp_age[rows[deferred]] += 1
    cancelled = rows[deferred & (a.opp_age[rows] > buyers.max_deferrals)]
    a.opp_open[cancelled] = False

    won = ~deferred
    won_by = np.where(won, offered_by[np.arange(nd), np.maximum(pick, 0)], Pick.DEFERRED)
    partner_won = pick >= sellers
    a.opp_open[rows[won]] = False
    a.incumbent[rows[won]] = won_by[won]
    for seller in model.sellers:  # a seller's own win strengthens its own tie
        mine = rows[pick == seller.row]
        a.rel[seller.row, mine] += buyers.win_tie * (1 - a.rel[seller.row, mine])
        # an order it took with a partner's help pays that partner a fee
        helped = (pick == seller.row) & (helpers[seller.row] >= 0)
        fees = m.costs.assist_fee * units[helped] * attr[helped, seller.row, Attribute.PRICE]
        np.add.at(t.profit, helpers[seller.row][helped], fees)
        seller.tally["assist_fees"] += float(fees.sum())

    slot = np.clip(pick - sellers, 0, k - 1)
    i = np.flatnonzero(partner_won)
    r = cov[i, slot[i]]
    sale_price = price[i, slot[i]]
    sale_cost = cost[i, slot[i]]
    u = units[i]
    # what its cash does not cover it buys on credit, due `payment_terms` months on
    credit_used = np.maximum(0.0, u * sale_cost - np.maximum(t.capital[r], 0.0))
    np.add.at(t.units, r, u)
    np.add.at(t.revenue, r, u * sale_price)
    np.add.at(t.purchases, r, u * sale_cost)
    lend(model, r, credit_used)
    big = a.segment[rows[i]] != Segment.MID
    np.add.at(t.key_wins, r[big], 1.0)
    a.rel_partner[rows[i], slot[i]] += buyers.win_tie * (1 - a.rel_partner[rows[i], slot[i]])

    return Decisions(
        rows=rows,
        attributes=attr,
        available=avail,
        utility=utility,
        units=units,
        pick=pick,
        offered_by=offered_by,
        won_by=won_by,
        partner_row=r,
        partner_units=u,
        partner_cost=sale_cost,
        partner_price=sale_price,
        sellers=sellers,
    )


def mean_one(rng: np.random.Generator, spread: float, size: int) -> np.ndarray:
    """Lognormal factors of mean 1 and log sd `spread`."""
    return rng.lognormal(-spread * spread / 2, spread, size)


def capability_of(model: ChannelModel, name: str) -> np.ndarray:
    """A capability of every seller, in the order of their rows."""
    return np.array([getattr(seller.capabilities, name) for seller in model.sellers])


def seller_partner_fit(seller) -> float:
    """The fit of what a seller's partners sell: built to order through its ERP when its
    policy integrates them, its standard configurations when not."""
    c = seller.capabilities
    return c.partner_erp_fit if seller.policy.erp_integration else c.partner_fit


def own_offer(
    model: ChannelModel,
    seller,
    rows: np.ndarray,
    attr: np.ndarray,
    avail: np.ndarray,
    special: np.ndarray,
    heard: np.ndarray,
    can_finance: np.ndarray,
    bid: np.ndarray,
) -> np.ndarray:
    """A seller's own offer on the projects deciding (column `seller.row`), the same for
    every seller: its price, its relationship, its brand, the fit of what it builds to
    order (through its ERP, near its partners' fit), its own service. With direct assist
    it takes an order itself where a partner heard of it but could not finance it and no
    partner bid, bringing that partner's relationship and service along.

    Returns:
        for each project, the reseller row of the partner that helps it (its closest
        that heard of the project), or -1 where it makes its offer alone."""
    a, t, i = model.accounts, model.resellers, seller.row
    c, p = seller.capabilities, seller.policy
    erp_fit = model.market.selling.erp_own_fit * c.partner_erp_fit if p.erp_integration else 0.0
    own_fit = max(c.build_to_order, erp_fit)
    partner_fit = seller_partner_fit(seller)
    avail[:, i] = model.served[i, rows] & a.found[i, rows]
    attr[:, i] = [seller.price, 0.0, c.brand_trust, own_fit, c.service]
    attr[:, i, Attribute.RELATIONSHIP] = a.rel[i, rows]
    cov = a.cover[rows]
    mine = t.seller[cov] == i  # the partners that sell its products
    alone = np.full(rows.size, -1, np.int64)
    if not (p.direct_assist and mine.any()):
        return alone
    heard = heard & mine
    assist = special & (heard & ~can_finance).any(axis=1) & ~(bid & mine).any(axis=1)
    ties = np.where(heard, a.rel_partner[rows], -1.0)
    best_partner = ties.max(axis=1, initial=0.0)
    helper = np.where(assist, cov[np.arange(rows.size), np.argmax(ties, axis=1)], alone)
    helper_service = np.where(heard, t.service[cov], 0.0).max(axis=1, initial=0.0)
    avail[:, i] |= assist
    attr[assist, i, Attribute.RELATIONSHIP] = relationships.noisy_or(
        a.rel[i, rows[assist]], best_partner[assist]
    )
    attr[assist, i, Attribute.FIT] = max(own_fit, partner_fit)
    attr[assist, i, Attribute.SERVICE] = np.maximum(c.service, helper_service[assist])
    return helper


def wait_for_approvals(
    model: ChannelModel,
    rows: np.ndarray,
    big: np.ndarray,
    avail: np.ndarray,
    offered_by: np.ndarray,
) -> None:
    """Every level above the rep's that must approve a seller's price and resources on a
    key or global deal (`big`) costs staff time and may hold the offer past this month's
    decision: the seller's offers there, its own and its partners', are ready with
    chance (1 - market.rules.approval_delay) ** (levels - 1). Held offers are not made
    this month; the buyer picks among the rest or defers. `rows`: the deciding accounts."""
    rules, n = model.market.rules, model.accounts.n
    for seller in model.sellers:
        extra = seller.policy.approval_levels - 1
        if extra <= 0:
            continue
        theirs = offered_by == seller.row
        offering = big & (avail & theirs).any(axis=1)
        seller.tally["approvals"] += float(extra * offering.sum())
        chance = model.streams("approvals", seller.row).random(n)[rows]
        ready = chance < (1.0 - rules.approval_delay) ** extra
        avail &= ~(theirs & (offering & ~ready)[:, None])


def advance_funnel(model: ChannelModel, decided: np.ndarray) -> None:
    """Open projects not decided this month may move to the next funnel stage."""
    a = model.accounts
    advance = model.market.buyers.stage_advance
    chance = model.streams("funnel").random(a.n)
    moving = a.opp_open & (a.opp_stage < Stage.DECISION) & (chance < advance)
    moving[decided] = False
    a.opp_stage[moving] += 1
