"""Accounts (大客户 and mid-market): relationships, purchase projects, buying-centre choice.

The functions here run once a month over every account at once; an `Account`
agent reads and writes its own row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.base import Column, RowAgent
from channelsim.agents.records import Decisions, Pick
from channelsim.agents.tables import OPEN_PROBABILITY
from channelsim.agents.vendor import LIST_PRICE
from channelsim.domain import Attribute, Route, Segment, Stage, Supplier
from channelsim.mechanics import choice, pricing, relationships

if TYPE_CHECKING:
    from channelsim.model import ChannelModel

STAGE_ADVANCE = 0.7  # monthly chance a project moves to the next funnel stage
MAX_DEFERRALS = 6  # a project deferred more often than this is cancelled
INCUMBENT_BONUS = 1.0  # utility of staying with the last supplier (switching cost)
HABIT_FLOOR = 0.1  # habit's weight on an account with no relationship yet
FREE_RIDING = 0.7  # pre-sales effort on key deals without registration, relative to with it
DIRECT_ASSIST_SHARE = 0.3  # share of key projects the vendor will take directly when asked
CONTESTED_COMPLAINT = 0.5  # chance of complaining when every bid was against a partner
ENTERPRISE_TIME_B2B = 0.8  # share of a business reseller's rep time spent on accounts
ENTERPRISE_TIME_B2C = 0.25  # share of a retail reseller's


class Account(RowAgent):
    """An enterprise buyer: a mid-market firm, a local key account or a global account."""

    size = Column("accounts")
    region = Column("accounts")
    rel_vendor = Column("accounts")
    rel_direct = Column("accounts")
    opp_open = Column("accounts")

    @property
    def segment(self) -> Segment:
        return Segment(int(self.model.accounts.segment[self.row]))

    @property
    def incumbent(self) -> Supplier:
        return Supplier(int(self.model.accounts.incumbent[self.row]))

    @property
    def rel_partner(self) -> np.ndarray:
        """Relationship with each covering reseller (a copy)."""
        return self.model.accounts.rel_partner[self.row].copy()


def served_direct(model: ChannelModel) -> np.ndarray:
    """Whether the vendor serves each account itself (its segment's route is `direct`),
    as booleans: compared every month, so not as an array of Route objects."""
    s = model.strategy
    by_segment = np.array([s.mid_route, s.key_route, s.global_route]) == Route.DIRECT
    return by_segment[model.accounts.segment]


def assign_partner_effort(model: ChannelModel) -> None:
    """Resellers spread their reps over the accounts they cover.

    Without account planning every covering reseller calls on its accounts as habit
    has it, in proportion to the relationship it already has; with planning only the
    planned owner works a key or global account, so its effort is concentrated where it
    was assigned (CASE.md section 3).
    """
    a, t, s, m = model.accounts, model.resellers, model.strategy, model.market
    working = ~model.served_direct[:, None] & t.active[a.cover]
    # business resellers give most of their reps' time to accounts, shops little
    capacity = (
        t.reps * m.partner_rep_capacity * np.where(t.b2b, ENTERPRISE_TIME_B2B, ENTERPRISE_TIME_B2C)
    )
    if s.account_planning:
        slot = np.arange(a.cover.shape[1])[None, :]
        planned = (a.segment != Segment.MID)[:, None]
        owned = working & planned & (slot == a.owner[:, None])
        working &= ~planned
        # owners serve their assigned accounts first, then spread what is left
        count = np.bincount(a.cover[owned], minlength=t.n)
        first = np.minimum(1.0, capacity / np.maximum(count, 1))
        capacity = np.maximum(capacity - count * first, 0.0)
    # the rest goes by habit: to old relationships first (a limited set of old customers)
    habit = np.where(working, a.rel_partner + HABIT_FLOOR, 0.0)
    total = np.bincount(a.cover.ravel(), habit.ravel(), minlength=t.n)
    a.effort_partner[:] = np.minimum(
        1.0, capacity[a.cover] * habit / np.maximum(total[a.cover], 1e-12)
    )
    if s.account_planning:
        a.effort_partner[:] = np.where(owned, first[a.cover], a.effort_partner)
    if not s.deal_registration:
        # a deal any covering partner may take is worth less pre-sales effort (free riding)
        big = (a.segment != Segment.MID)[:, None]
        a.effort_partner[:] *= np.where(big, FREE_RIDING, 1.0)


def tend_relationships(model: ChannelModel) -> float:
    """Contacts build relationships; people who leave take theirs away.

    Returns:
        relationship strength lost to departures this month, summed over accounts.
    """
    a, t, s, m, rng = model.accounts, model.resellers, model.strategy, model.market, model.rng
    d = m.direct
    joint = model.joint[:, None] & t.relationship_partner[a.cover]
    team = joint & (a.effort_vendor > 0)[:, None]
    rate_partner = m.learn_face_to_face * (0.6 + t.skill[a.cover]) * np.where(team, 1.25, 1.0)
    a.rel_partner[:] = relationships.grow(
        a.rel_partner, a.effort_partner, rate_partner, m.relationship_decay
    )
    vendor_rate = m.learn_face_to_face * a.effort_vendor + m.learn_phone * a.phone_vendor
    a.rel_vendor[:] = relationships.grow(a.rel_vendor, 1.0, vendor_rate, m.relationship_decay)
    direct_rate = m.learn_face_to_face * a.effort_direct + m.learn_phone * a.phone_direct
    a.rel_direct[:] = relationships.grow(a.rel_direct, 1.0, direct_rate, m.relationship_decay)

    # departures: the vendor's account managers, partner reps, the direct seller's reps
    care = m.care_retention if s.customer_care else m.company_retention
    am_leaves = rng.random(max(s.account_managers, 1)) < s.am_turnover
    holder = np.clip(a.am, 0, am_leaves.size - 1)
    leaving = (a.am >= 0) & am_leaves[holder]
    a.rel_vendor[:], lost_vendor = relationships.depart(a.rel_vendor, leaving, care)
    # with customer care and joint teams, partner-held accounts settle at company level too
    keep_partner = np.where(joint & s.customer_care, m.care_retention, m.company_retention)
    staff_leaves = rng.random(a.rel_partner.shape) < m.partner_staff_turnover
    lost_partner = np.where(staff_leaves, a.rel_partner * (1.0 - keep_partner), 0.0)
    a.rel_partner -= lost_partner
    rep_leaves = rng.random(max(model.direct_seller.field_reps, 1)) < d.rep_turnover
    holder = np.clip(a.rep, 0, rep_leaves.size - 1)
    leaving = (a.rep >= 0) & rep_leaves[holder]
    a.rel_direct[:], lost_direct = relationships.depart(a.rel_direct, leaving, m.care_retention)
    return float(lost_vendor.sum() + lost_partner.sum() + lost_direct.sum())


def open_projects(model: ChannelModel) -> None:
    """Accounts without an open project may start one (size from account size)."""
    a, rng = model.accounts, model.rng
    p = OPEN_PROBABILITY[a.segment]
    new = ~a.opp_open & (rng.random(a.n) < p)
    k = int(new.sum())
    a.opp_open[new] = True
    a.opp_stage[new] = Stage.IDENTIFIED
    a.opp_age[new] = 0
    a.opp_units[new] = a.size[new] / (12.0 * p[new]) * rng.lognormal(-0.045, 0.3, k)
    a.found_direct[new] = False
    a.found_vendor[new] = False
    a.found_partner[new] = False
    a.registered[new] = -1


def discover(model: ChannelModel) -> None:
    """Sellers learn of open projects: phone sales find many, resellers hear of many,
    relationships help; with deal registration the first partner to find one locks it."""
    a, t, s, m, rng = model.accounts, model.resellers, model.strategy, model.market, model.rng
    open_ = a.opp_open
    p_direct = 1 - (1 - 0.8 * a.phone_direct) * (1 - a.effort_direct) * (1 - 0.5 * a.rel_direct)
    a.found_direct |= open_ & (rng.random(a.n) < p_direct)
    p_vendor = 1 - (1 - 0.8 * a.phone_vendor) * (1 - 0.9 * a.effort_vendor) * (
        1 - 0.5 * a.rel_vendor
    )
    a.found_vendor |= open_ & (rng.random(a.n) < p_vendor)
    lead = m.partner_lead_rate * (1.0 + 0.5 * s.coop_budget / (s.coop_budget + 300.0))
    p_slot = t.active[a.cover] * (
        1 - (1 - lead) * (1 - a.effort_partner) * (1 - 0.5 * a.rel_partner)
    )
    found = open_[:, None] & (rng.random(a.cover.shape) < p_slot)
    # joint teams share what either member hears
    every, has_owner = np.arange(a.n), a.owner >= 0
    slot = np.maximum(a.owner, 0)  # the owner's slot (read only where there is one)
    owner_row = a.cover[every, slot]
    joint = model.joint & has_owner & t.relationship_partner[owner_row]
    owner_found = has_owner & (found[every, slot] | a.found_partner[every, slot])
    a.found_vendor |= joint & owner_found & open_
    shared = joint & a.found_vendor
    found[every[shared], slot[shared]] = True
    if s.deal_registration:
        # registration covers key and global projects (small deals stay open to all)
        first = np.flatnonzero((a.registered < 0) & found.any(axis=1) & (a.segment != Segment.MID))
        owner_slot = np.arange(a.cover.shape[1])[None, :] == a.owner[first, None]
        score = np.where(found[first], a.rel_partner[first] + 0.01 * owner_slot, -1.0)
        a.registered[first] = np.argmax(score, axis=1)
    a.found_partner |= found


def decide(model: ChannelModel) -> Decisions:
    """Projects at the decision stage: offers are scored by the buying centre, a logit with
    'defer' picks the winner, winners ship and money moves along the channel."""
    a, t, s, m, rng = model.accounts, model.resellers, model.strategy, model.market, model.rng
    d = m.direct
    rows = np.flatnonzero(a.opp_open & (a.opp_stage == Stage.DECISION))
    nd, k = rows.size, a.cover.shape[1]
    cov = a.cover[rows]
    units = a.opp_units[rows]
    own_route = model.served_direct[rows]
    joint = model.joint[rows][:, None] & t.relationship_partner[cov]
    offers = Pick.PARTNER + k  # the direct seller, the vendor, each partner slot
    attr = np.zeros((nd, offers, len(Attribute)))
    avail = np.zeros((nd, offers), dtype=bool)

    # the direct seller
    avail[:, Pick.DIRECT] = a.found_direct[rows]
    attr[:, Pick.DIRECT] = [
        model.direct_seller.price,
        0,
        d.brand_trust,
        d.build_to_order,
        d.service,
    ]
    attr[:, Pick.DIRECT, Attribute.RELATIONSHIP] = a.rel_direct[rows]

    # resellers (alone or in a joint team with the vendor's account manager)
    cost = t.cost[cov]
    value = units[:, None] * cost
    can_finance = value <= np.maximum(t.capital[cov], 0.0) + model.credit[cov]
    heard = a.found_partner[rows] & t.active[cov] & ~own_route[:, None]
    bid = heard & can_finance
    if s.deal_registration:
        registrable = (a.segment[rows] != Segment.MID)[:, None]
        bid &= ~registrable | (np.arange(k)[None, :] == a.registered[rows][:, None])
    bidders = bid.sum(axis=1)[:, None]
    # partners bidding against each other complain as often as their bids are contested
    bids = np.bincount(cov[bid], minlength=t.n)
    contested = np.bincount(cov[bid & (bidders > 1)], minlength=t.n)
    share = contested / np.maximum(bids, 1)
    t.complaint |= rng.random(t.n) < CONTESTED_COMPLAINT * share
    push = s.rebate_rate * 0.5
    markup = pricing.bid_markup(np.maximum(t.markup[cov] - push, 0.0), bidders)
    price = cost * (1.0 + markup)
    rel_vendor = a.rel_vendor[rows][:, None]
    standing = (
        0.5 * np.minimum(1.0, np.maximum(t.capital[cov], 0) / (2 * m.partner_capital))
        + 0.25 * (t.tier[cov] == 1)
        + 0.25 * t.skill[cov]
    )
    trust = m.vendor_brand_trust * (0.7 + 0.3 * standing)
    config_fit = m.erp_config_fit if s.erp_integration else m.standard_config_fit
    proposal = 0.5 * t.knowledge[cov] + 0.5 * t.competition[cov]
    attr[:, Pick.PARTNER :, Attribute.PRICE] = price
    attr[:, Pick.PARTNER :, Attribute.RELATIONSHIP] = np.where(
        joint, relationships.noisy_or(a.rel_partner[rows], rel_vendor), a.rel_partner[rows]
    )
    attr[:, Pick.PARTNER :, Attribute.TRUST] = np.where(
        joint, np.maximum(trust, m.vendor_brand_trust), trust
    )
    attr[:, Pick.PARTNER :, Attribute.FIT] = config_fit * (0.6 + 0.4 * proposal)
    attr[:, Pick.PARTNER :, Attribute.SERVICE] = t.service[cov]
    avail[:, Pick.PARTNER :] = bid

    # the vendor itself: its own route, or taking the order with a partner's help
    # in special cases (global accounts, or by chance) the vendor takes the order itself
    seg_rows = a.segment[rows]
    special = (seg_rows == Segment.GLOBAL) | (
        (seg_rows == Segment.KEY) & (rng.random(nd) < DIRECT_ASSIST_SHARE)
    )
    assist = s.direct_assist & special & (heard & ~can_finance).any(axis=1) & ~bid.any(axis=1)
    avail[:, Pick.VENDOR] = (own_route & a.found_vendor[rows]) | assist
    best_partner = np.where(heard, a.rel_partner[rows], 0.0).max(axis=1)
    helper_service = np.where(heard, t.service[cov], 0.0).max(axis=1)
    attr[:, Pick.VENDOR, Attribute.PRICE] = LIST_PRICE * (1 - s.wholesale_discount) * 1.03
    attr[:, Pick.VENDOR, Attribute.RELATIONSHIP] = np.where(
        assist, relationships.noisy_or(a.rel_vendor[rows], best_partner), a.rel_vendor[rows]
    )
    attr[:, Pick.VENDOR, Attribute.TRUST] = m.vendor_brand_trust
    own_fit = max(m.vendor_direct_bto, 0.9 * m.erp_config_fit if s.erp_integration else 0.0)
    attr[:, Pick.VENDOR, Attribute.FIT] = np.where(assist, max(own_fit, config_fit), own_fit)
    attr[:, Pick.VENDOR, Attribute.SERVICE] = np.where(
        assist, np.maximum(m.vendor_direct_service, helper_service), m.vendor_direct_service
    )

    utility = choice.utilities(a.centre[rows], attr, m.price_sensitivity)
    incumbent = a.incumbent[rows]
    utility[:, Pick.DIRECT] += INCUMBENT_BONUS * (incumbent == Supplier.DIRECT)
    utility[:, Pick.VENDOR :] += INCUMBENT_BONUS * (incumbent == Supplier.VENDOR)[:, None]
    brand = np.array([0] + [1] * (1 + k))  # the direct seller; the vendor and its partners
    pick = choice.brand_choice(utility, avail, brand, m.defer_utility, m.choice_noise, rng)

    deferred = pick == Pick.DEFERRED
    a.opp_age[rows[deferred]] += 1
    cancelled = rows[deferred & (a.opp_age[rows] > MAX_DEFERRALS)]
    a.opp_open[cancelled] = False

    won = ~deferred
    direct_won = pick == Pick.DIRECT
    own_won = pick == Pick.VENDOR
    partner_won = pick >= Pick.PARTNER
    a.opp_open[rows[won]] = False
    a.incumbent[rows[direct_won]] = Supplier.DIRECT
    a.incumbent[rows[own_won | partner_won]] = Supplier.VENDOR
    a.rel_direct[rows[direct_won]] += 0.05 * (1 - a.rel_direct[rows[direct_won]])
    a.rel_vendor[rows[own_won]] += 0.05 * (1 - a.rel_vendor[rows[own_won]])

    slot = np.clip(pick - Pick.PARTNER, 0, k - 1)
    i = np.flatnonzero(partner_won)
    r = cov[i, slot[i]]
    sale_price = price[i, slot[i]]
    sale_cost = cost[i, slot[i]]
    u = units[i]
    credit_used = np.maximum(0.0, u * sale_cost - np.maximum(t.capital[r], 0.0))
    np.add.at(t.units, r, u)
    np.add.at(t.revenue, r, u * sale_price)
    np.add.at(t.purchases, r, u * sale_cost)
    np.add.at(t.receivable, r, credit_used)
    big = a.segment[rows[i]] != Segment.MID
    np.add.at(t.key_wins, r[big], 1.0)
    a.rel_partner[rows[i], slot[i]] += 0.05 * (1 - a.rel_partner[rows[i], slot[i]])

    return Decisions(
        rows=rows,
        attributes=attr,
        available=avail,
        utility=utility,
        units=units,
        pick=pick,
        vendor_bid=avail[:, Pick.VENDOR :].any(axis=1),
        direct_bid=avail[:, Pick.DIRECT],
        partner_row=r,
        partner_units=u,
        partner_cost=sale_cost,
        partner_price=sale_price,
    )


def advance_funnel(model: ChannelModel, decided: np.ndarray) -> None:
    """Open projects not decided this month may move to the next funnel stage."""
    a, rng = model.accounts, model.rng
    moving = a.opp_open & (a.opp_stage < Stage.DECISION) & (rng.random(a.n) < STAGE_ADVANCE)
    moving[decided] = False
    a.opp_stage[moving] += 1
