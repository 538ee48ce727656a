"""Sellers: the vendor (联想), the direct seller (戴尔直销) and any other brand are
agents of one class.

A seller has capabilities (`market.sellers.NAME`: what it brings), a policy (a strategy
preset: the vendor's is `strategy.*`, every other seller's `market.sellers.NAME.policy`)
and its books. Every mechanism here runs the same code for every seller: its own field
force (hired and let go by its books, assigned, turned over), phone sales, its own offer,
its consumer sales, and, for a seller whose policy uses partners, the channel's terms and
programme.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.base import RowAgent
from channelsim.config.schema import StrategyConfig
from channelsim.domain import QUARTERS_PER_YEAR, Route, Segment
from channelsim.mechanics import partners as partner_rules
from channelsim.mechanics import pricing, response

if TYPE_CHECKING:
    from channelsim.agents.records import Decisions
    from channelsim.config.schema import SellerConfig

LIST_PRICE = 1.0
# the levers that cost a seller money, in the order of `Seller.program_cost`: the
# `cost_<lever>` metrics (docs/LEVERS.md says which lever's cost falls under which)
COST_LEVERS = (
    "account_managers",
    "account_planning",
    "am_turnover",
    "hiring_limit",
    "phone_sales",
    "training_budget",
    "training_competition",
    "coop_budget",
    "rebate_rate",
    "payment_terms",
    "customer_care",
    "erp_integration",
    "exclusive_partners",
    "price_protection",
    "approval_levels",
    "partner_survey",
    "audit_probability",
    "map_enforced",
    "partner_tiering",
    "recruit_relationship_partners",
    "deal_registration",
    "direct_assist",
    "online_store",
    "product_differentiation",
)
# what a seller's levers did in a month, counted for their costs (`Seller.tally`)
TALLIES = (
    "approvals",  # approval levels above the rep's, summed over its key and global offers
    "audits",  # its partners audited for diversion
    "map_audits",  # ... and, with MAP enforced, for MAP
    "registrations",  # deals registered to its partners
    "assist_fees",  # fees paid to partners that helped it take orders directly
)


@functools.cache
def lever_ranges(names: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Each named strategy lever's declared range."""
    meta = {f.name: f.metadata for f in dataclasses.fields(StrategyConfig)}
    return {name: (meta[name]["lo"], meta[name]["hi"]) for name in names}


def top_k(score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores (all when k >= n), in no particular order."""
    if k <= 0 or score.size == 0:
        return np.empty(0, dtype=np.int64)
    if k >= score.size:
        return np.arange(score.size)
    return np.argpartition(-score, k - 1)[:k]


class Seller(RowAgent):
    """A seller: the vendor, the direct seller or another brand, one class under
    different policies.

    Its `row` is its place in the market's order of sellers: its row in the accounts'
    per-seller tables and its own offer's column in a buying centre's choice.
    """

    def __init__(self, model, row: int, name: str) -> None:
        super().__init__(model, row)
        self.name = name
        self.reps = min(self.capabilities.field_reps, self.policy.account_managers)
        months = model.market.selling.margin_months
        self.rep_margin: deque[float] = deque(maxlen=months)  # the margin its reps won
        self.hires = 0  # reps hired at the last quarter's close, charged the next month
        self.tally = dict.fromkeys(TALLIES, 0.0)  # what its levers did this month
        self.lent = 0.0  # what its partners owe it for purchases on credit, by its books
        self.quarter_profit = 0.0  # its profit so far this quarter, by its books
        self.memory: response.Memory | None = None  # an adaptive seller's, once it reviews

    @property
    def capabilities(self) -> SellerConfig:
        """What it brings to the market (`market.sellers.NAME`)."""
        return self.model.market.sellers[self.name]

    @property
    def policy(self) -> StrategyConfig:
        """Its policy in force: the vendor's levers, or the seller's own preset."""
        if self.name == self.model.market.focal:
            return self.model.strategy
        return self.capabilities.policy

    @property
    def price(self) -> float:
        """Its own sales' price: unit cost and the delivery to the buyer
        (`market.delivery_cost`), plus its markup, at its price level."""
        c = self.capabilities
        landed = c.unit_cost + self.model.market.delivery_cost * LIST_PRICE
        return landed * (1.0 + self.policy.markup) * c.price_level

    @property
    def list_price(self) -> float:
        """Its list price, from which its channel's prices and its MAP floor follow."""
        return LIST_PRICE * self.capabilities.price_level

    # ------------------------------------------------------------ own field force
    def serves(self) -> np.ndarray:
        """Whether its own route serves each account (its segment's route is direct)."""
        s = self.policy
        by_segment = np.array([s.mid_route, s.key_route, s.global_route]) == Route.DIRECT
        return by_segment[self.model.accounts.segment]

    def joint(self) -> np.ndarray:
        """Whether each account is served by a joint team of its reps and a partner."""
        s = self.policy
        by_segment = np.array(
            [False, s.key_route == Route.JOINT_TEAM, s.global_route == Route.JOINT_TEAM]
        )
        return by_segment[self.model.accounts.segment]

    def assign_effort(self) -> None:
        """Its field reps spread their capacity over key and global accounts (and mid
        accounts when its mid route is direct): with account planning, the largest
        first (size weighed 2x for key and 3x for global against mid), each kept by the
        same rep month to month; without, by old relationships and chance. Its phone
        sales reach mid and key accounts."""
        model, s, a, i = self.model, self.policy, self.model.accounts, self.row
        self.reps = min(self.reps, s.account_managers)  # a policy with fewer reps: at once
        eligible = a.segment != Segment.MID
        if s.mid_route == Route.DIRECT:
            eligible |= a.segment == Segment.MID
        idx = np.flatnonzero(eligible)
        planning = model.market.costs.planning_time if s.account_planning else 0.0
        capacity = int(self.reps * self.capabilities.rep_capacity * (1.0 - planning))
        holder = a.holder[i]
        a.effort[i] = 0.0
        if s.account_planning:
            score = a.size[idx] * (1.0 + a.segment[idx])
            chosen = idx[top_k(score, capacity)]
            owners = np.argsort(np.argsort(-a.size[chosen], kind="stable"), kind="stable")
            holder[chosen] = owners % max(self.reps, 1)
        else:
            # by old relationships and chance (Gumbel top-k sampling without replacement)
            floor = model.market.selling.unplanned_floor
            # each account's draw, then each account's rep
            chance, draws = model.streams.gumbel("rep_assignment", a.n, idx, seller=i)
            rep = np.floor(draws.random(a.n) * max(self.reps, 1)).astype(np.int64)
            score = np.log(a.rel[i, idx] + floor) + chance
            chosen = idx[top_k(score, capacity)]
            keep = holder[chosen] >= 0
            holder[chosen] = np.where(keep, holder[chosen], rep[chosen])
        a.effort[i, chosen] = 1.0 if self.reps > 0 else 0.0
        enterprise = a.segment != Segment.GLOBAL
        a.phone[i] = enterprise & (model.streams("phone", i).random(a.n) < s.phone_sales)

    def hear(self, open_: np.ndarray) -> np.ndarray:
        """Which open projects it learns of this month: by phone, by its reps' visits, or
        through its relationships."""
        a, i, b = self.model.accounts, self.row, self.model.market.selling
        p = 1 - (1 - b.phone_reach * a.phone[i]) * (1 - b.rep_reach * a.effort[i]) * (
            1 - b.relationship_reach * a.rel[i]
        )
        return open_ & (self.model.streams("hearing", i).random(a.n) < p)

    def staff_the_force(self, margin: float, evidence: bool = True) -> None:
        """Its field force follows its books. Each month in which projects were decided
        (`evidence`: before the first decisions a margin of 0 says nothing of its reps) it
        records the margin its reps brought in (`books.rep_margin`). At each quarter's end,
        with three such months or more, it hires while a rep's margin over the last twelve
        of them covers a rep's cost and lets reps go when it does not, by at most a quarter
        of its yearly hiring limit (one rep at least), and never beyond what its policy
        plans (`account_managers`). A seller left without reps whose policy plans some
        hires one, to learn what a rep brings in."""
        if evidence:
            self.rep_margin.append(margin)
        plan, limit = self.policy.account_managers, self.policy.hiring_limit
        evidence_months = self.model.market.selling.staffing_evidence
        if self.model.month_in_quarter != 2 or len(self.rep_margin) < evidence_months:
            return
        if self.reps == 0:
            if plan > 0 and limit > 0:
                self.reps, self.hires = 1, 1
            return
        cost = self.model.market.am_cost
        per_rep = sum(self.rep_margin) / len(self.rep_margin) / self.reps
        step = max(1, int(self.reps * limit / QUARTERS_PER_YEAR))
        if per_rep >= cost and self.reps < plan and limit > 0:
            self.hires = min(plan, self.reps + step) - self.reps
            self.reps += self.hires
        elif per_rep < cost and self.reps > 1:
            self.reps = max(1, self.reps - step)

    # ------------------------------------------------------------ its response
    def adapt(self, profit: float) -> None:
        """An adaptive seller (`market.sellers.NAME.response`) adds the month's profit, by
        its own books, to its quarter's; at the quarter's close it reviews one of its
        levers by that profit alone (`mechanics.response.review`): its markup, and its
        partners' rebate, discount and training when it has partners."""
        if self.capabilities.response != "adaptive":
            return
        self.quarter_profit += profit
        if self.model.month_in_quarter != 2:
            return
        policy = self.policy
        names = response.PRICE_LEVERS + (response.CHANNEL_LEVERS if self.has_partners() else ())
        levers = {name: float(getattr(policy, name)) for name in names}
        if self.memory is None:
            self.memory = response.Memory(start=dict(levers))
        s = self.model.market.selling
        new = response.review(
            levers,
            self.memory,
            self.quarter_profit,
            s.response_step,
            s.response_band,
            lever_ranges(names),
        )
        self.quarter_profit = 0.0
        changed = {name: value for name, value in new.items() if value != levers[name]}
        for name, value in changed.items():
            setattr(policy, name, value)
        if changed:
            self.model.responses.append((self.model.date, self.name, changed))

    # ------------------------------------------------------------ its own books
    def invoice_own_sales(self, decisions: Decisions) -> tuple[float, float]:
        """Units shipped and money invoiced on the projects it won itself."""
        own = decisions.pick == self.row
        units = decisions.units[own]
        price = decisions.attributes[own, self.row, 0]
        return float(units.sum()), float((units * price).sum())

    def invoice_consumers(self, units: np.ndarray, price: np.ndarray) -> tuple[float, float]:
        """Units shipped and money invoiced by its own consumer sales (online, phone)."""
        return float(units.sum()), float((units * price).sum())

    def invoice_distributors(self, orders: np.ndarray, price: np.ndarray) -> tuple[float, float]:
        """It ships what the distributors ordered, at its price to each."""
        return float(orders.sum()), float((orders * price).sum())

    def invoice_partners(self) -> tuple[float, float]:
        """Without distributors, partners buy from it directly: what they took, at the cost
        it charges each."""
        t, mine = self.model.resellers, self.partners()
        return float(t.units[mine].sum()), float((t.units[mine] * t.cost[mine]).sum())

    # ------------------------------------------------------------ its channel
    def set_terms(self) -> None:
        """Its partners' wholesale prices, approvals and special discounts, credit lines and
        MAP compliance, under its policy."""
        model, s, m, t = self.model, self.policy, self.model.market, self.model.resellers
        streams, rules, i = model.streams, model.market.rules, self.row
        mine = self.partners()
        if model.month_in_quarter == 0:
            # Special discounts approved by a single rep are uneven and can be coerced;
            # every extra approval level narrows them; a published third-party survey
            # disciplines reps further (CASE.md section 5).
            survey = rules.survey_spread if s.partner_survey else 1.0
            spread = rules.special_spread / s.approval_levels * survey
            discount = streams("special_discounts", i).normal(0.0, spread, t.n)
            t.special[mine] = np.abs(discount[mine])
        survey = rules.survey_promise if s.partner_survey else 1.0
        promise = streams("broken_promises", i).random(t.n)[mine]
        broken = promise < rules.broken_promise / s.approval_levels * survey
        # a partner feels unfairly treated as far as its discount falls below the mean of
        # its seller's partners in its region
        region, active = t.region[mine], t.active[mine]
        count = np.maximum(np.bincount(region[active], minlength=m.n_regions), 1)
        special = t.special[mine]
        mean = np.bincount(region[active], special[active], minlength=m.n_regions) / count
        unfair = np.clip((mean[region] - special) / rules.unfair_gap, 0.0, 1.0)
        felt = streams("unfair", i).random(t.n)[mine]
        t.complaint[mine] = active & ((felt < unfair) | broken)
        margin = m.distributor_margin if s.use_distributors else 0.0
        t.cost[mine] = pricing.channel_cost(
            self.list_price, s.wholesale_discount, model.promo[region], special, margin
        )
        comply = rules.map_compliance_enforced if s.map_enforced else rules.map_compliance_free
        t.compliant[mine] = streams("map_compliance", i).random(t.n)[mine] < comply
        floor = s.map_floor * self.list_price
        # chasing a quarter target, partners pass part of the rebate on to buyers
        quarter_end = model.month_in_quarter == 2
        push = s.rebate_rate * (m.selling.rebate_pass_through * (1 + quarter_end))
        t.retail_price[mine] = pricing.retail_price(
            t.cost[mine], np.maximum(t.markup[mine] - push, 0.0), floor, t.compliant[mine]
        )
        capital = t.capital[mine]
        reputable = active & t.relationship_partner[mine] & (capital > 0)
        line = partner_rules.credit_line(capital, s.credit_multiple, reputable)
        # what it may still buy on credit: its line less what it already owes
        room = np.maximum(line - t.receivable[mine], 0.0)
        model.credit[mine] = room if s.payment_terms > 0 else 0.0

    def partners(self) -> slice | np.ndarray:
        """The reseller rows that carry its products (active or not): an index of the
        reseller table (every row, as a slice, when they all carry its products)."""
        if self.model.single_brand == self.row:
            return slice(None)
        return np.flatnonzero(self.model.resellers.seller == self.row)

    def has_partners(self) -> bool:
        """Whether it sells through partners: active resellers that carry its products."""
        t, single = self.model.resellers, self.model.single_brand
        if single is not None:
            return single == self.row and bool(t.active.any())
        return bool(np.any(t.active & (t.seller == self.row)))

    def program_cost(self, rebates: float, online: float = 0.0) -> dict[str, float]:
        """This month's cost of each of its levers, by the lever's name (docs/LEVERS.md):
        its field force and phone sales, the budgets its policy sets, and what its
        approvals, audits, MAP checks, tiering, screening, registrations, direct
        assistance and online store take (`rebates`: what it paid this month; `online`:
        the units it sold online and by phone). A lever it does not use costs nothing;
        the partner programmes cost nothing to a seller without partners."""
        s, model, m = self.policy, self.model, self.model.market
        c, t, a, tally = m.costs, model.resellers, model.accounts, self.tally
        mine = t.seller == self.row
        active = int((t.active & mine).sum())
        partners = active > 0
        closing = model.month_in_quarter == 2  # partners are reviewed at a quarter's close
        rep_cost = self.reps * m.am_cost
        planning = c.planning_time if s.account_planning else 0.0
        retention = max(0.0, 1.0 - s.am_turnover / c.turnover_norm) * c.retention_pay
        hires, self.hires = self.hires, 0
        training = s.training_budget if partners else 0.0
        store = s.online_store and self.capabilities.consumer_reach > 0
        return {
            "account_managers": rep_cost * (1.0 - planning),
            "account_planning": rep_cost * planning,
            "am_turnover": rep_cost * retention,
            "hiring_limit": hires * c.hire * m.am_cost,
            "phone_sales": m.phone_cost * float(a.phone[self.row].sum()),
            "training_budget": training,
            "training_competition": training * c.competition_training
            if s.training_competition
            else 0.0,
            "coop_budget": s.coop_budget if partners else 0.0,
            "rebate_rate": rebates,
            "payment_terms": m.credit_interest * self.lent,
            "customer_care": s.care_cost * int(np.count_nonzero(a.segment != Segment.MID))
            if s.customer_care
            else 0.0,
            "erp_integration": s.erp_cost * active if s.erp_integration else 0.0,
            "exclusive_partners": float(t.exclusive_paid[mine].sum()),
            "price_protection": float(t.protected[mine].sum()),
            "approval_levels": c.approval * tally["approvals"],
            "partner_survey": c.survey_fee if s.partner_survey and partners else 0.0,
            "audit_probability": c.audit * tally["audits"],
            "map_enforced": c.audit * tally["map_audits"]
            + (
                c.map_monitoring * m.n_regions
                if s.map_enforced and s.map_floor > 0 and partners
                else 0.0
            ),
            "partner_tiering": c.tiering * active if s.partner_tiering and closing else 0.0,
            "recruit_relationship_partners": c.screening * active
            if s.recruit_relationship_partners and closing
            else 0.0,
            "deal_registration": c.registration * tally["registrations"],
            "direct_assist": tally["assist_fees"],
            "online_store": c.store_fixed + c.store_order * LIST_PRICE * online if store else 0.0,
            "product_differentiation": c.differentiation
            * s.product_differentiation
            * LIST_PRICE
            * online
            if store
            else 0.0,
        }
