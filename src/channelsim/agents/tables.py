"""Struct-of-arrays state for the numerous agent types (accounts, resellers)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from channelsim.config.schema import MarketConfig, StrategyConfig
from channelsim.domain import Segment

# a purchase on credit falls due `payment_terms` months later: one slot a month, reused
# when the month comes round again, one more than the longest terms allowed
DUE_SLOTS = int(
    next(f for f in fields(StrategyConfig) if f.name == "payment_terms").metadata["hi"] + 1
)


def centre_alpha(buyers) -> dict[Segment, list[float]]:
    """Stakeholder weights of buying centres by segment (Dirichlet concentrations of
    purchasing, users, IT, executives; `market.buyers`): mid-market buyers lean on
    purchasing; key and global accounts on IT and executives."""
    return {
        Segment.MID: buyers.centre_mid,
        Segment.KEY: buyers.centre_key,
        Segment.GLOBAL: buyers.centre_global,
    }


@dataclass
class AccountTable:
    """Enterprise accounts: one row each (mid, key and global segments)."""

    segment: np.ndarray  # int8, Segment
    region: np.ndarray  # int32
    size: np.ndarray  # units a year
    centre: np.ndarray  # (n, roles) buying-centre weights
    in_house: np.ndarray  # bool: it has IT staff of its own
    cover: np.ndarray  # (n, K) reseller rows covering the account
    # per seller, one row each (`Seller.row`: the market's order of sellers), so that a
    # seller's entries lie together in memory
    rel: np.ndarray  # (sellers, n) held by the seller's field rep (and company)
    rel_partner: np.ndarray  # (n, K) held by the covering resellers' reps
    # (n, K) built by the joint team of the slot's partner and its seller's reps: the
    # relationship they hold together, and how far buyers trust the partner as the seller
    rel_team: np.ndarray
    team_trust: np.ndarray
    holder: np.ndarray  # (sellers, n) the seller's field rep holding the account, -1 none
    owner: np.ndarray  # planned owner slot in cover, -1 none
    incumbent: np.ndarray  # int8: the seller (its row) it last bought from
    effort: np.ndarray  # (sellers, n) its field reps' effort this month
    effort_partner: np.ndarray  # (n, K)
    phone: np.ndarray  # (sellers, n) bool: reached by the seller's phone sales this month
    # the open purchase project of each account (at most one)
    opp_open: np.ndarray
    opp_stage: np.ndarray
    opp_units: np.ndarray
    opp_age: np.ndarray
    found: np.ndarray  # (sellers, n) bool: the seller knows of the open project
    found_partner: np.ndarray  # (n, K)
    registered: np.ndarray  # slot holding the deal registration, -1 none

    @property
    def n(self) -> int:
        return self.segment.size


@dataclass
class ResellerTable:
    """Resellers: rows for those at the start plus room for entrants."""

    region: np.ndarray
    seller: np.ndarray  # int8: the seller whose products it sells (its `row`)
    # the reseller firm the row is a line of (its first line's row): a firm carrying
    # several brands has one row, one line, for each (mechanics.brands)
    firm: np.ndarray
    distributor: np.ndarray
    b2b: np.ndarray  # bool: business reseller (else retail, B2C)
    active: np.ndarray  # bool
    tier: np.ndarray  # int8, 1 or 2
    relationship_partner: np.ndarray  # bool: selected as relationship partner
    aptitude: np.ndarray  # absorptive capacity: how much a partner takes from training
    skill: np.ndarray  # key-account relationship-marketing skill
    knowledge: np.ndarray  # product knowledge
    competition: np.ndarray  # knowledge of the direct seller's offers
    service: np.ndarray  # after-sales service quality
    capital: np.ndarray  # its cash: the owners' money in the business
    receivable: np.ndarray  # owed to its seller for projects bought on credit
    due: np.ndarray  # (rows, DUE_SLOTS): what falls due in each month, by month mod DUE_SLOTS
    reps: np.ndarray
    markup: np.ndarray
    satisfaction: np.ndarray
    special: np.ndarray  # special discount approved for this partner this quarter
    complaint: np.ndarray  # bool: complains of unfair discounts or broken promises
    retail_price: np.ndarray
    cost: np.ndarray  # what it pays per unit this month
    compliant: np.ndarray  # bool: keeps to the MAP floor
    units: np.ndarray  # units sold this month
    revenue: np.ndarray
    purchases: np.ndarray  # value bought this month
    profit: np.ndarray
    key_wins: np.ndarray
    gray_lost: np.ndarray  # units lost to diverted goods this month
    diverted: np.ndarray  # units diverted this month
    quarter_purchases: np.ndarray
    target: np.ndarray  # this quarter's purchase target (nan: none yet)
    completion: np.ndarray  # last quarter's purchases over target
    year_units: np.ndarray  # smoothed annual units: 0.75 * last value + this quarter
    quarter_units: np.ndarray
    low_months: np.ndarray  # consecutive months of very low satisfaction
    weak_quarters: np.ndarray  # consecutive quarters in the weakest group
    training: np.ndarray  # training spend this month
    credited: np.ndarray  # bought on credit this month (paid when due)
    repaid: np.ndarray  # paid to its seller this month for what fell due
    drawn: np.ndarray  # taken out by its owners this month
    exclusive_paid: np.ndarray  # better terms its seller paid it this month for exclusivity
    protected: np.ndarray  # its seller's price protection on its stock this month

    @property
    def n(self) -> int:
        return self.region.size


def grown(t: ResellerTable, extra: int, seller: int) -> ResellerTable:
    """`t` with `extra` empty (inactive) rows after its own, marked as `seller`'s."""
    spare = empty_resellers(extra, seller)
    spare.firm += t.n
    return ResellerTable(
        **{
            f.name: np.concatenate([getattr(t, f.name), getattr(spare, f.name)])
            for f in fields(ResellerTable)
        }
    )


def empty_resellers(capacity: int, seller: int) -> ResellerTable:
    """A reseller table of `capacity` rows, all inactive, marked as carrying the
    products of `seller` (its row) until they are drawn."""
    f = np.zeros
    return ResellerTable(
        region=f(capacity, np.int32),
        seller=np.full(capacity, seller, np.int8),
        firm=np.arange(capacity),
        distributor=f(capacity, np.int32),
        b2b=f(capacity, bool),
        active=f(capacity, bool),
        tier=np.full(capacity, 2, np.int8),
        relationship_partner=f(capacity, bool),
        aptitude=np.ones(capacity),
        skill=f(capacity),
        knowledge=f(capacity),
        competition=f(capacity),
        service=f(capacity),
        capital=f(capacity),
        receivable=f(capacity),
        due=f((capacity, DUE_SLOTS)),
        reps=f(capacity),
        markup=f(capacity),
        satisfaction=f(capacity),
        special=f(capacity),
        complaint=f(capacity, bool),
        retail_price=np.ones(capacity),
        cost=np.ones(capacity),
        compliant=np.ones(capacity, bool),
        units=f(capacity),
        revenue=f(capacity),
        purchases=f(capacity),
        profit=f(capacity),
        key_wins=f(capacity),
        gray_lost=f(capacity),
        diverted=f(capacity),
        quarter_purchases=f(capacity),
        target=np.full(capacity, np.nan),
        completion=np.ones(capacity),
        year_units=f(capacity),
        quarter_units=f(capacity),
        low_months=f(capacity, np.int32),
        weak_quarters=f(capacity, np.int32),
        training=f(capacity),
        credited=f(capacity),
        repaid=f(capacity),
        drawn=f(capacity),
        exclusive_paid=f(capacity),
        protected=f(capacity),
    )


def draw_reseller(
    t: ResellerTable,
    rows: np.ndarray,
    region: np.ndarray,
    m: MarketConfig,
    rng: np.random.Generator,
    entrant: bool = False,
    screened: np.ndarray | bool = False,
    among: int | None = None,
) -> None:
    """Fill rows with freshly drawn resellers (at the start, or entering later).

    Aptitude (absorptive capacity, Cohen and Levinthal 1990) scales what a partner
    learns from training; an entrant screened in open competition is the better of
    two candidates (`screened`: each entrant's seller tiers its partners).

    `among`: each draw is made for that many candidates, one a region, and each row
    reads its region's (an entrant's capabilities are then its region's this month,
    whichever other regions see one); without it, one a row.
    """
    k, d = rows.size, m.population
    n = k if among is None else among
    pick = np.arange(k) if among is None else region

    def each(values: np.ndarray) -> np.ndarray:
        return values[pick]

    aptitude = each(rng.uniform(d.aptitude_lo, d.aptitude_hi, n))
    second = each(rng.uniform(d.aptitude_lo, d.aptitude_hi, n))
    screened = np.broadcast_to(screened, (k,))
    t.aptitude[rows] = np.where(screened, np.maximum(aptitude, second), aptitude)
    scale = d.entrant_scale if entrant else 1.0
    t.region[rows] = region
    t.firm[rows] = rows  # a firm of one line, until lines are paired (mechanics.brands)
    # its distributor: its region's or the next
    t.distributor[rows] = (region + each(rng.integers(0, 2, n))) % m.distributors
    t.b2b[rows] = each(rng.random(n)) < d.b2b_share
    t.active[rows] = True
    t.tier[rows] = 2
    t.relationship_partner[rows] = False
    a, b = d.skill_shape  # scaled to mean market.partner_skill
    skill = each(rng.beta(a, b, n)) * m.partner_skill / (a / (a + b))
    t.skill[rows] = np.clip(skill * scale, 0, 1)
    t.knowledge[rows] = np.clip(each(rng.beta(*d.knowledge_shape, n)) * scale, 0, 1)
    t.competition[rows] = np.clip(each(rng.beta(*d.competition_shape, n)) * scale, 0, 1)
    t.service[rows] = each(rng.uniform(d.service_lo, d.service_hi, n))
    spread = d.capital_spread
    capital = each(rng.lognormal(-spread * spread / 2, spread, n))
    t.capital[rows] = m.partner_capital * scale * capital
    t.receivable[rows] = 0.0
    t.due[rows] = 0.0
    reps = m.partner_reps * each(rng.lognormal(d.reps_log_mean, d.reps_spread, n))
    t.reps[rows] = np.maximum(1.0, np.round(reps))
    markup = m.partner_markup + each(rng.normal(0, d.markup_spread, n))
    t.markup[rows] = np.clip(markup, 0.0, None)
    t.satisfaction[rows] = m.partners.satisfaction_start
    t.target[rows] = np.nan
    t.completion[rows] = 1.0
    t.year_units[rows] = 0.0
    t.quarter_units[rows] = 0.0
    t.quarter_purchases[rows] = 0.0
    t.low_months[rows] = 0
    t.weak_quarters[rows] = 0
