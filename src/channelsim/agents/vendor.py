"""The vendor (联想): sets channel policy, prices, approvals, credit; employs account managers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.base import RowAgent
from channelsim.domain import Route, Segment
from channelsim.mechanics import partners as partner_rules
from channelsim.mechanics import pricing

if TYPE_CHECKING:
    from channelsim.agents.records import Decisions, RetailSales

LIST_PRICE = 1.0
UNFAIR_GAP = 0.05  # a discount this far below the region's mean makes every partner complain


def top_k(score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores (all when k >= n), in no particular order."""
    if k <= 0 or score.size == 0:
        return np.empty(0, dtype=np.int64)
    if k >= score.size:
        return np.arange(score.size)
    return np.argpartition(-score, k - 1)[:k]


class Vendor(RowAgent):
    """The manufacturer that sells through distributors and resellers."""

    # the vendor's own books: what it shipped and invoiced, by customer
    def invoice_own_sales(self, decisions: Decisions) -> tuple[float, float]:
        """Units shipped and money invoiced on the projects it won itself."""
        own = decisions.own_won
        units = decisions.units[own]
        return float(units.sum()), float((units * decisions.own_price[own]).sum())

    def invoice_online(self, sales: RetailSales) -> tuple[float, float]:
        """Units shipped and money invoiced by its online store."""
        units = sales.online_units
        return float(units.sum()), float((units * sales.online_price).sum())

    def invoice_distributors(self, orders: np.ndarray, price: np.ndarray) -> tuple[float, float]:
        """It ships what the distributors ordered, at its price to each."""
        return float(orders.sum()), float((orders * price).sum())

    def invoice_partners(self) -> tuple[float, float]:
        """Without distributors, partners buy from it directly: what they took, at the cost
        it charges each."""
        t = self.model.resellers
        return float(t.units.sum()), float((t.units * t.cost).sum())

    @property
    def policy(self):
        """The channel policy (strategy levers) in force."""
        return self.model.strategy

    def set_terms(self) -> None:
        """Wholesale prices, approvals and special discounts, credit lines, MAP compliance."""
        model, s, m, t = self.model, self.model.strategy, self.model.market, self.model.resellers
        rng = model.rng
        if model.month_in_quarter == 0:
            model.promo = rng.uniform(
                -m.regional_price_spread, m.regional_price_spread, m.n_regions
            )
            # Special discounts approved by a single rep are uneven and can be coerced;
            # every extra approval level narrows them; a published third-party survey
            # disciplines reps further (CASE.md section 5).
            spread = 0.04 / s.approval_levels * (0.5 if s.partner_survey else 1.0)
            t.special[:] = np.abs(rng.normal(0.0, spread, t.n))
        broken = rng.random(t.n) < 0.08 / s.approval_levels * (0.4 if s.partner_survey else 1.0)
        # a partner feels unfairly treated as far as its discount falls below its region's mean
        count = np.maximum(np.bincount(t.region[t.active], minlength=m.n_regions), 1)
        mean = np.bincount(t.region[t.active], t.special[t.active], minlength=m.n_regions) / count
        unfair = np.clip((mean[t.region] - t.special) / UNFAIR_GAP, 0.0, 1.0)
        t.complaint[:] = t.active & ((rng.random(t.n) < unfair) | broken)
        margin = m.distributor_margin if s.use_distributors else 0.0
        t.cost[:] = pricing.channel_cost(
            LIST_PRICE, s.wholesale_discount, model.promo[t.region], t.special, margin
        )
        comply = 0.97 if s.map_enforced else 0.55
        t.compliant[:] = rng.random(t.n) < comply
        floor = s.map_floor * LIST_PRICE
        # chasing a quarter target, partners pass part of the rebate on to buyers
        push = s.rebate_rate * (0.5 + 0.5 * (model.month_in_quarter == 2))
        t.retail_price[:] = pricing.retail_price(
            t.cost, np.maximum(t.markup - push, 0.0), floor, t.compliant
        )
        reputable = t.active & t.relationship_partner & (t.capital > 0)
        model.credit = partner_rules.credit_line(t.capital, s.credit_multiple, reputable)
        if s.payment_terms == 0:
            model.credit[:] = 0.0

    def assign_effort(self) -> None:
        """Account managers spread their capacity: planned owners, or habit and chance."""
        model, s, m, a = self.model, self.model.strategy, self.model.market, self.model.accounts
        rng = model.rng
        eligible = a.segment == Segment.GLOBAL
        eligible |= a.segment == Segment.KEY  # vendor AMs call on key accounts on any route
        if s.mid_route == Route.DIRECT:
            eligible |= a.segment == Segment.MID
        idx = np.flatnonzero(eligible)
        capacity = s.account_managers * m.am_capacity
        a.effort_vendor[:] = 0.0
        if s.account_planning:
            # planned: managers take the largest accounts first (size weighed 2x for key and
            # 3x for global accounts against mid)
            # up to their capacity, and keep the same accounts month to month
            score = a.size[idx] * (1.0 + a.segment[idx])
            chosen = idx[top_k(score, capacity)]
            owners = np.argsort(np.argsort(-a.size[chosen], kind="stable"), kind="stable")
            a.am[chosen] = owners % max(s.account_managers, 1)
        else:
            # by old relationships and chance (Gumbel top-k sampling without replacement)
            score = np.log(a.rel_vendor[idx] + 0.05) + rng.gumbel(size=idx.size)
            chosen = idx[top_k(score, capacity)]
            keep = a.am[chosen] >= 0
            a.am[chosen] = np.where(
                keep, a.am[chosen], rng.integers(0, max(s.account_managers, 1), chosen.size)
            )
        a.effort_vendor[chosen] = 1.0 if s.account_managers > 0 else 0.0
        enterprise = a.segment != Segment.GLOBAL
        a.phone_vendor[:] = enterprise & (rng.random(a.n) < s.phone_sales)

    def program_cost(self, rebates: float) -> dict[str, float]:
        """This month's channel programme spend by item."""
        s, model = self.model.strategy, self.model
        t, a = model.resellers, model.accounts
        accounts_cared = int(np.count_nonzero(a.segment != Segment.MID))
        return {
            "training": s.training_budget,
            "coop": s.coop_budget,
            "rebates": rebates,
            "credit": 0.01 * float(t.receivable.sum()),
            "care": s.care_cost * accounts_cared if s.customer_care else 0.0,
            "erp": s.erp_cost * int(t.active.sum()) if s.erp_integration else 0.0,
        }
