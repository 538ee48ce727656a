"""Supplier encroachment with prices (market=linear_encroachment, market.structure=price):
differentiated products, the manufacturer sets w, the retailer its price, then the
manufacturer its direct price.

Buyers' inverse demands are P_R = a - q_R - k q_M and P_M = a - q_M - k q_R (k the
substitutability); where one product sells nothing the other faces P = a - q. So as the
manufacturer raises its direct price it passes through three pieces, each linear in the
quantities: it takes every buyer (the retailer sells nothing), both sell, the retailer
takes every buyer. The retailer's price, through the manufacturer's answer, passes
through three pieces too: the manufacturer stays out, both sell, the manufacturer takes
every buyer. Each agent locates the pieces by a few probes of what the market returns,
reads each piece's lines from two probes inside it (their zeros are the pieces' ends),
and keeps the best of the pieces' best prices. No agent reads the demand's parameters.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from channelsim.agents.base import RowAgent
from channelsim.agents.encroachment import PROBE, Outcome, line, maximise
from channelsim.config.schema import MarketConfig

if TYPE_CHECKING:
    from channelsim.pricing_model import LinearEncroachment

NONE = math.inf  # the direct price of a manufacturer that sells nothing direct
TRIES = 8  # numerical: prices an agent tries across its range to find the pieces
BISECTIONS = 60  # numerical: halvings that locate a switch no line can tell


class PriceDemand:
    """What buyers take of the retailer's and the manufacturer's products at their prices."""

    def __init__(self, market: MarketConfig) -> None:
        self.a, self.k = market.a, market.substitutability

    def quantities(self, retail: float, direct: float) -> tuple[float, float]:
        """(q_R, q_M) at the retailer's price and the direct price (NONE: none direct)."""
        a, k = self.a, self.k
        if math.isinf(direct):
            return max(0.0, a - retail), 0.0
        d = 1.0 - k * k
        q_r = (a * (1.0 - k) - retail + k * direct) / d
        q_m = (a * (1.0 - k) - direct + k * retail) / d
        if q_m <= 0.0:
            return max(0.0, a - retail), 0.0
        if q_r <= 0.0:
            return 0.0, max(0.0, a - direct)
        return q_r, q_m

    def direct_reservation(self, retailer: float) -> float:
        """The price at which buyers would take a first unit direct, beside the retailer's
        `retailer` units (what the direct price is when nothing sells direct)."""
        return self.a - self.k * retailer


def inside(lo: float, hi: float, where) -> list[float]:
    """The points of TRIES + 1 even probes of [lo, hi] at which `where` holds."""
    return [x for x in (lo + (hi - lo) * i / TRIES for i in range(TRIES + 1)) if where(x)]


class PriceManufacturer(RowAgent):
    """It sets the wholesale price and, with encroachment, its direct price."""

    @property
    def cost(self) -> float:
        return self.model.market.direct_cost

    @property
    def top(self) -> float:
        """The price at which nobody buys."""
        return self.model.market.a

    def earned(self, wholesale: float, retail: float, direct: float) -> float:
        q_r, q_m = self.model.demand.quantities(retail, direct)
        return wholesale * q_r + ((direct - self.cost) * q_m if q_m > 0.0 else 0.0)

    def direct_response(self, wholesale: float, retail: float) -> float:
        """Its direct price once the retailer has set its price: the best of selling
        nothing direct, of the best price at which both sell, and of the best price at
        which it takes every buyer, each piece read from probes of the quantities."""
        if not self.model.market.encroachment or self.cost >= self.top:
            return NONE
        demand, c = self.model.demand, self.cost

        def sold(p: float) -> tuple[float, float]:
            return demand.quantities(retail, p)

        def both(p: float) -> bool:
            q_r, q_m = sold(p)
            return q_r > 0.0 and q_m > 0.0

        candidates = [NONE]
        points = inside(c, self.top, both)
        out, kink = c, self.top
        if points:  # both sell here: two probes give both lines, and their zeros the ends
            p0 = points[0]
            # probes far apart inside the piece read its lines best
            h = points[-1] - p0 if len(points) > 1 else PROBE / 64.0  # numerical: a short probe
            r0, r1 = line(lambda p: sold(p)[0], p0, h)
            m0, m1 = line(lambda p: sold(p)[1], p0, h)
            if m1 < 0.0:
                kink = p0 - m0 / m1  # where it stops selling
                out = max(c, p0 - r0 / r1) if r1 > 0.0 else c  # where the retailer starts
                # the top of wholesale * q_R + (p - c) q_M on the lines
                best = 0.5 * (p0 + c) - (m0 + wholesale * r1) / (2.0 * m1)  # numerical: the vertex
                if best < kink:  # at the kink it sells nothing: that is NONE's
                    candidates.append(max(best, out))
        if sold(c)[0] <= 0.0 < sold(c)[1]:  # at its cost it takes every buyer
            if not points:  # where the retailer starts selling: by halving
                lo, hi = c, self.top
                for _ in range(BISECTIONS):
                    mid = 0.5 * (lo + hi)  # numerical: bisection
                    lo, hi = (mid, hi) if sold(mid)[0] <= 0.0 else (lo, mid)
                out = lo
            d0, d1 = line(lambda p: sold(p)[1], c, min(PROBE, (out - c) / 2.0) or PROBE)
            if d1 < 0.0:
                candidates.append(min(max(c - d0 / (2.0 * d1), c), out))
        earned = [self.earned(wholesale, retail, p) for p in candidates]
        return candidates[max(range(len(candidates)), key=lambda i: (earned[i], candidates[i]))]

    def choose_wholesale(self, retailer: PriceRetailer) -> float:
        """The wholesale price that earns it most once the retailer and then it have
        responded."""

        def earned(w: float) -> float:
            p = retailer.choose_price(w)
            return self.earned(w, p, self.direct_response(w, p))

        return maximise(earned, 0.0, self.top)


class PriceRetailer(RowAgent):
    """The manufacturer's retailer: it sets its price, anticipating the manufacturer."""

    def __init__(self, model: LinearEncroachment, row: int, maker: PriceManufacturer) -> None:
        super().__init__(model, row)
        self.maker = maker

    def outcome(self, wholesale: float, p: float) -> tuple[float, float]:
        """(q_R, q_M) at its price `p`, once the manufacturer has answered it."""
        return self.model.demand.quantities(p, self.maker.direct_response(wholesale, p))

    def choose_price(self, wholesale: float) -> float:
        """Its best price at or above its cost. The manufacturer stays out at low prices,
        sells beside it in between, and takes every buyer at high ones; it tries a few
        prices to find the pieces, reads their lines from two near probes (the
        manufacturer's quantity's zero is where it enters; where it takes every buyer is
        found by halving), and keeps the best of: the best price where the manufacturer
        stays out, the best where both sell, and selling nothing (on a tie, the lower
        price)."""
        w, top = wholesale, self.maker.top

        def mine(p: float) -> float:
            return self.outcome(w, p)[0]

        def theirs(p: float) -> float:
            return self.outcome(w, p)[1]

        xs = [w + (top - w) * i / TRIES for i in range(TRIES + 1)]
        sold = [self.outcome(w, x) for x in xs]
        out = [x for x, (q_r, q_m) in zip(xs, sold, strict=True) if q_r > 0.0 and q_m <= 0.0]
        both = [x for x, (q_r, q_m) in zip(xs, sold, strict=True) if q_r > 0.0 and q_m > 0.0]
        candidates = [top]  # selling nothing
        enters = top  # the price from which the manufacturer sells beside it
        if both:
            p0 = both[0]
            # near probes: the manufacturer's answer is a line only piece by piece
            h = (
                min(PROBE, (both[-1] - p0) / 2.0) if len(both) > 1 else PROBE / 64.0
            )  # numerical: a short probe
            m0, m1 = line(theirs, p0, h)
            if m1 > 0.0:
                enters = max(w, p0 - m0 / m1)
            # where the manufacturer takes every buyer: above the last price both sell
            leaves = top
            after = [x for x in xs if x > both[-1]]
            if after and mine(after[0]) <= 0.0:
                lo, hi = both[-1], after[0]
                for _ in range(BISECTIONS):
                    mid = 0.5 * (lo + hi)  # numerical: bisection
                    lo, hi = (mid, hi) if mine(mid) > 0.0 else (lo, mid)
                leaves = lo
            r0, r1 = line(mine, p0, h)
            if r1 < 0.0:
                best = 0.5 * (p0 + w) - r0 / (2.0 * r1)  # numerical: the vertex
                candidates.append(min(max(best, enters), leaves))
        if out and out[0] < enters:  # the manufacturer stays out below `enters`
            p0 = out[0]
            h = min(PROBE, (enters - p0) / 2.0)
            r0, r1 = line(mine, p0, h)
            if r1 < 0.0:
                best = 0.5 * (p0 + w) - r0 / (2.0 * r1)  # numerical: the vertex
                candidates.append(min(max(best, w), enters))
        earned = [(p - w) * mine(p) for p in candidates]
        return candidates[max(range(len(candidates)), key=lambda i: (earned[i], -candidates[i]))]


def step(model: LinearEncroachment) -> Outcome:
    """One month: the wholesale price, the retailer's price, the direct price, and what
    each earned."""
    maker, retailer, demand = model.maker, model.retailer, model.demand
    w = maker.choose_wholesale(retailer)
    p_r = retailer.choose_price(w)
    p_m = maker.direct_response(w, p_r)
    q_r, q_m = demand.quantities(p_r, p_m)
    direct = demand.direct_reservation(q_r) if q_m <= 0.0 else p_m
    return Outcome(
        wholesale=w,
        quantity=q_r,
        direct_quantity=q_m,
        price=p_r,
        profit_manufacturer=maker.earned(w, p_r, p_m),
        profit_reseller=(p_r - w) * q_r,
        direct_price=direct,
    )
