"""The supplier-encroachment market (market=linear_encroachment), after Arya, Mittendorf and
Sappington (2007): a manufacturer sells through a retailer and may also sell direct, at a
cost a unit.

Each month runs the three stages of the game, each agent choosing by probing what the
market returns for its choices (no agent reads the demand's parameters):
1. the manufacturer sets its wholesale price, anticipating the retailer's choice and its
   own direct response;
2. the retailer sets its quantity, anticipating the manufacturer's direct response
   through the rule the manufacturer itself uses (`Manufacturer.direct_response`);
3. the manufacturer, having seen the retailer's quantity, sets its direct quantity
   (none without encroachment).
Buyers then buy, and the profits are booked. Each stage is solved exactly where its
payoff is piecewise quadratic: the agents find each piece's line by two probes, and
compare the pieces' best points by what the market returns there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from channelsim.agents.base import RowAgent
from channelsim.config.schema import MarketConfig

if TYPE_CHECKING:
    from channelsim.pricing_model import LinearEncroachment

PROBE = 1e-3  # numerical: how far an agent moves its choice to see how the market answers
GRID = 40  # numerical: wholesale prices the manufacturer tries across [0, a] before refining
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0  # numerical: the golden section
TOLERANCE = 1e-13  # numerical: the refinement stops when its bracket is this narrow (relative to a)
ROUNDING = (
    1e-12  # numerical: payoffs this close (relative) are the same: near a peak, rounding decides
)


def line(f: Callable[[float], float], x0: float, h: float) -> tuple[float, float]:
    """Value at x0 and slope of `f` from two probes (exact where `f` is linear)."""
    f0 = f(x0)
    return f0, (f(x0 + h) - f0) / h


class QuantityDemand:
    """Buyers pay P = a - b (q_R + q_M) for whatever quantity the two sellers bring."""

    def __init__(self, market: MarketConfig) -> None:
        self.a, self.b = market.a, market.b

    @staticmethod
    def scale(market: MarketConfig) -> float:
        """The price at which nobody buys: the top of the wholesale prices worth trying."""
        return market.a

    def price(self, retailer: float, direct: float) -> float:
        """The market price when the retailer brings `retailer` units and the
        manufacturer `direct` units."""
        return self.a - self.b * (retailer + direct)


@dataclass
class Outcome:
    """One month's choices and what they earned."""

    wholesale: float
    quantity: float  # the retailer's
    direct_quantity: float
    price: float  # the retailer's
    profit_manufacturer: float
    profit_reseller: float
    direct_price: float  # what a unit sold direct fetches (or would, where none is)


class Manufacturer(RowAgent):
    """It sets the wholesale price and, with encroachment, its direct quantity."""

    @property
    def cost(self) -> float:
        """What selling a unit direct costs it."""
        return self.model.market.direct_cost

    def direct_response(self, wholesale: float, retailer: float) -> float:
        """Its direct quantity once the retailer has chosen: it probes the price its own
        units would fetch, takes the line through two probes (the wholesale margin on the
        retailer's units does not move with it), and sells up to where the line's marginal
        revenue meets its cost; nothing when that is nothing, or without encroachment."""
        if not self.model.market.encroachment:
            return 0.0
        p0, slope = line(lambda m: self.model.demand.price(retailer, m), 0.0, PROBE)
        if slope >= 0.0:
            return 0.0
        return max(0.0, (p0 - self.cost) / (-2.0 * slope))

    def profit(self, wholesale: float, retailer: float, direct: float) -> float:
        price = self.model.demand.price(retailer, direct)
        return wholesale * retailer + (price - self.cost) * direct

    def choose_wholesale(self, retailer: Retailer) -> float:
        """The wholesale price that earns it most once the retailer and then it have
        responded: tried across [0, a], then refined around the two best tries."""

        def earned(w: float) -> float:
            q = retailer.choose_quantity(w)
            return self.profit(w, q, self.direct_response(w, q))

        top = QuantityDemand.scale(self.model.market)
        return maximise(earned, 0.0, top)


class Retailer(RowAgent):
    """The manufacturer's retailer: it sets its quantity, anticipating the manufacturer."""

    def __init__(self, model: LinearEncroachment, row: int, maker: Manufacturer) -> None:
        super().__init__(model, row)
        self.maker = maker

    def residual_price(self, wholesale: float, q: float) -> float:
        """The price its `q` units fetch once the manufacturer has responded to them."""
        return self.model.demand.price(q, self.maker.direct_response(wholesale, q))

    def choose_quantity(self, wholesale: float) -> float:
        """Its best quantity. The manufacturer's response falls as it sells more, and
        stops where it sells enough (the threshold, found from two probes of the
        manufacturer's rule). Below the threshold and above it, the price it fetches is a
        line, found from two probes each; it takes the best quantity of each piece and
        keeps the one that earns more (the larger quantity when they earn the same)."""
        maker = self.maker
        m0 = maker.direct_response(wholesale, 0.0)
        threshold, h = 0.0, PROBE
        if m0 > 0.0:
            while maker.direct_response(wholesale, h) <= 0.0:  # a probe past the threshold
                h /= 2.0
            fall = (m0 - maker.direct_response(wholesale, h)) / h
            threshold = m0 / fall if fall > 0.0 else math.inf
        candidates = []
        if threshold > 0.0:  # the manufacturer sells direct below the threshold
            candidates.append(min(self._best_on_line(wholesale, 0.0, h), threshold))
        if math.isfinite(threshold):  # at and above it, it does not
            candidates.append(max(self._best_on_line(wholesale, threshold, PROBE), threshold))
        earned = [(self.residual_price(wholesale, q) - wholesale) * q for q in candidates]
        best = max(range(len(candidates)), key=lambda i: (earned[i], candidates[i]))
        return candidates[best]

    def _best_on_line(self, wholesale: float, at: float, h: float) -> float:
        """The quantity that maximises (price - wholesale) x quantity on the line of
        prices through `at` and `at` + h."""
        p0, slope = line(lambda q: self.residual_price(wholesale, q), at, h)
        if slope >= 0.0:
            return at
        return max(0.0, (p0 - slope * at - wholesale) / (-2.0 * slope))


def maximise(f: Callable[[float], float], lo: float, hi: float) -> float:
    """The x in [lo, hi] at which `f` is largest, for a continuous, piecewise quadratic
    `f` with at most a few peaks: tried at GRID + 1 points, then each of the two best
    tries' brackets narrowed by golden section to TOLERANCE (on ties, the lower x), and
    a smooth peak polished by the vertex of the parabola through three nearby points.
    Of the two, the one that earns more (within rounding, the lower x)."""
    step = (hi - lo) / GRID
    xs = [lo + i * step for i in range(GRID + 1)]
    values = [f(x) for x in xs]
    order = sorted(range(len(xs)), key=lambda i: (-values[i], i))
    found = []
    for i in order[:2]:
        x = golden(f, max(lo, xs[i] - step), min(hi, xs[i] + step), (hi - lo) * TOLERANCE)
        x = polish(f, x, lo, hi, step * 1e-3)  # numerical: a finer step
        found.append((f(x), x))
    top = max(value for value, _ in found)
    return min(x for value, x in found if value >= top - ROUNDING * abs(top))


def golden(f: Callable[[float], float], lo: float, hi: float, tol: float) -> float:
    """Golden-section search for the largest `f` in [lo, hi] (ties keep the lower part)."""
    x1, x2 = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
    f1, f2 = f(x1), f(x2)
    while hi - lo > tol:
        if f1 >= f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - GOLDEN * (hi - lo)
            f1 = f(x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + GOLDEN * (hi - lo)
            f2 = f(x2)
    return x1 if f1 >= f2 else x2


def polish(f: Callable[[float], float], x: float, lo: float, hi: float, h: float) -> float:
    """The vertex of a parabola through four points 2h around x (x - h to x + 2h; else
    all left of x, else all right of it), for the first of them that lie on one parabola
    (their third difference is nil: no kink among them) and whose vertex earns no less
    than x. Exact on a quadratic piece, where near its peak `f` is too flat for its
    values to tell points closer than about 1e-8 apart; one-sided where the peak is at
    the end of its piece."""
    f0 = f(x)
    for first in (-1, -3, 0):  # numerical: a four-point stencil
        xs = [x + (first + i) * h for i in range(4)]  # numerical: a four-point stencil
        if xs[0] < lo or xs[-1] > hi:
            continue
        ys = [f(p) for p in xs]
        curvature = ys[2] - 2.0 * ys[1] + ys[0]
        third = ys[3] - 3.0 * ys[2] + 3.0 * ys[1] - ys[0]  # numerical: the third difference
        if curvature >= 0.0 or abs(third) > 1e-3 * -curvature:  # numerical: a straight enough line
            continue
        vertex = xs[1] - h * (ys[2] - ys[0]) / (2.0 * curvature)
        if lo <= vertex <= hi and f(vertex) >= f0 - ROUNDING * abs(f0):
            return vertex
    return x


def step(model: LinearEncroachment) -> Outcome:
    """One month: the wholesale price, the retailer's quantity, the direct quantity, and
    what each earned."""
    maker, retailer = model.maker, model.retailer
    w = maker.choose_wholesale(retailer)
    q = retailer.choose_quantity(w)
    m = maker.direct_response(w, q)
    price = model.demand.price(q, m)
    return Outcome(w, q, m, price, maker.profit(w, q, m), (price - w) * q, direct_price=price)


METRICS = (
    "wholesale_1",
    "quantity_1",
    "direct_quantity_1",
    "price_1",
    "direct_price_1",
    "profit_manufacturer_1",
    "profit_reseller_1",
)


def metrics(outcome: Outcome) -> dict[str, float]:
    """The month's values under their contract names."""
    return {
        "wholesale_1": outcome.wholesale,
        "quantity_1": outcome.quantity,
        "direct_quantity_1": outcome.direct_quantity,
        "price_1": outcome.price,
        "direct_price_1": outcome.direct_price,
        "profit_manufacturer_1": outcome.profit_manufacturer,
        "profit_reseller_1": outcome.profit_reseller,
    }
