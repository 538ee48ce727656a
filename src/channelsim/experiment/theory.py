"""The model against channel theory, the runs: the textbook markets' closed forms
(double marginalisation; McGuire and Staelin 1983; supplier encroachment, Arya,
Mittendorf and Sappington 2007), the model's converged values beside them, and the
thresholds (of substitutability at which decentralising pays; of the direct cost at
which encroachment changes its regime) found by bisection on the model's runs.

The closed forms live here, with the experiment, and nowhere in the model: the model's
agents find their prices by probing demand (agents/pricing_market.py). What is off, and
the tables and figure, are read by `channelsim.analysis.theory`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

from channelsim.config.compose import compose
from channelsim.config.schema import ChannelConfig
from channelsim.experiment.run import SETTLED_MONTHS, kpis, simulate

T_VALUES = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9)
STRUCTURES = ("II", "DD", "ID")
ABSOLUTE_BELOW = 1e-9  # a closed form this close to 0 is compared absolutely
TOLERANCE = 0.01  # relative error allowed for a value of the first markets
ENCROACHMENT_TOLERANCE = 1e-6  # ... and of the encroachment market
ENCROACHMENT_LIMITS = (ENCROACHMENT_TOLERANCE, ABSOLUTE_BELOW)  # relative; where 0, absolute
C_VALUES = tuple(round(0.05 * i, 2) for i in range(20))  # direct cost over a: 0 to 0.95
K_VALUES = (0.2, 0.5, 0.8)  # the price version's substitutability
PRICE_C_VALUES = (0.1, 0.3, 0.5)  # ... and its direct costs over a
# where decentralising pays (the closed forms' roots, to the digits the literature quotes)
THRESHOLDS = {
    "manufacturer: DD over II": 0.708,
    "channel (manufacturer + reseller): DD over II": 0.432,
    "one manufacturer alone: DD over ID (DD a Nash equilibrium)": 0.931,
}


def monopoly(a: float, b: float, c: float, structure: str) -> dict[str, float]:
    """The linear monopoly q = a - b p with unit cost c, through a store or a reseller."""
    k = a - b * c
    if structure == "integrated":
        p = (a + b * c) / (2 * b)
        return {
            "price_1": p,
            "quantity_1": a - b * p,
            "profit_manufacturer_1": k**2 / (4 * b),
            "profit_reseller_1": 0.0,
        }
    w = (a + b * c) / (2 * b)
    p = (3 * a + b * c) / (4 * b)
    return {
        "price_1": p,
        "wholesale_1": w,
        "quantity_1": a - b * p,
        "profit_manufacturer_1": k**2 / (8 * b),
        "profit_reseller_1": k**2 / (16 * b),
    }


def duopoly(t: float, structure: str) -> dict[str, float]:
    """McGuire and Staelin's duopoly, q_i = 1 - p_i/(1-t) + t p_j/(1-t), zero costs.

    Solved in normalised prices P = p/(1-t) (demand 1 - P_i + t P_j); prices and
    profits are scaled back by (1-t), quantities are as they are.
    """
    s = 1.0 - t
    out: dict[str, float] = {}
    if structure == "II":
        p = 1.0 / (2.0 - t)
        for k in (1, 2):
            out |= {
                f"price_{k}": s * p,
                f"quantity_{k}": p,
                f"profit_manufacturer_{k}": s * p * p,
                f"profit_reseller_{k}": 0.0,
            }
        return out
    if structure == "DD":
        d = 4.0 - t - 2.0 * t * t
        w = (2.0 + t) / d
        p = 2.0 * (3.0 - t * t) / ((2.0 - t) * d)
        q = p - w
        for k in (1, 2):
            out |= {
                f"price_{k}": s * p,
                f"wholesale_{k}": s * w,
                f"quantity_{k}": q,
                f"profit_manufacturer_{k}": s * w * q,
                f"profit_reseller_{k}": s * q * q,
            }
        return out
    # ID: manufacturer 1 integrated, 2 through a reseller
    w = (2.0 + t) / (2.0 * (2.0 - t * t))
    p1 = (2.0 + t + t * w) / (4.0 - t * t)
    p2 = (1.0 + w + t * p1) / 2.0
    q1, q2 = p1, p2 - w  # the retail first-order conditions
    return {
        "price_1": s * p1,
        "price_2": s * p2,
        "wholesale_2": s * w,
        "quantity_1": q1,
        "quantity_2": q2,
        "profit_manufacturer_1": s * p1 * q1,
        "profit_manufacturer_2": s * w * q2,
        "profit_reseller_1": 0.0,
        "profit_reseller_2": s * q2 * q2,
    }


def encroachment(a: float, b: float, c: float, allowed: bool = True) -> dict[str, float]:
    """Supplier encroachment with quantities (Arya, Mittendorf and Sappington 2007):
    P = a - b (q_R + q_M), production free, selling direct costs c a unit; the
    manufacturer sets w, the retailer q_R, then the manufacturer q_M >= 0.

    Backward induction (experiments/theory_validation/README.md derives it):
    - c < 3a/5: the manufacturer sells direct; w = (3a - c)/6, q_R = 2c/3b,
      q_M = (3a - 5c)/6b;
    - 3a/5 <= c < 5a/6: only the threat binds; the retailer sells (a - c)/b, just
      enough that the manufacturer sells nothing; w = (3c - a)/2;
    - c >= 5a/6, or without encroachment (`allowed` false): the benchmark, w = a/2,
      q_R = a/4b.
    """
    if not allowed or c >= 5 * a / 6:
        w, q, m = a / 2, a / (4 * b), 0.0
    elif c >= 3 * a / 5:
        w, q, m = (3 * c - a) / 2, (a - c) / b, 0.0
    else:
        w, q, m = (3 * a - c) / 6, 2 * c / (3 * b), (3 * a - 5 * c) / (6 * b)
    p = a - b * (q + m)
    return {
        "wholesale_1": w,
        "quantity_1": q,
        "direct_quantity_1": m,
        "price_1": p,
        "direct_price_1": p,
        "profit_manufacturer_1": w * q + (p - c) * m,
        "profit_reseller_1": (p - w) * q,
    }


def encroachment_prices(a: float, k: float, c: float, allowed: bool = True) -> dict[str, float]:
    """Supplier encroachment with prices: P_R = a - q_R - k q_M, P_M = a - q_M - k q_R
    (one product alone: P = a - q); the manufacturer sets w, the retailer p_R, then the
    manufacturer p_M. Backward induction (experiments/theory_validation/README.md):
    - the manufacturer's direct price where both sell: p_M = (a(1-k) + k p_R + c + k w)/2;
      it stays out while p_R <= (c + k w - a(1-k))/k;
    - the retailer's best price where both sell: (a(2 - k - k^2) + c k + 2w)/(2(2 - k^2)),
      else the price that just keeps the manufacturer out, or (a + w)/2 where that already
      does, or selling nothing;
    - the manufacturer's w: the best, by the retailer's response, of each piece's peak
      and ends: (a k^4 + a k^3 - 6a k^2 + 8a - c k^3)/(2(k^4 - 5k^2 + 8)) where it sells
      direct, (a - c)/2k where only the threat binds, a/2 where neither does, and the
      pieces' ends.
    Without encroachment (`allowed` false): w = a/2, p_R = 3a/4."""
    candidates = [a / 2]
    if allowed:
        candidates += [
            (a * k**4 + a * k**3 - 6 * a * k**2 + 8 * a - c * k**3) / (2 * (k**4 - 5 * k**2 + 8)),
            (a * k**3 - 3 * a * k**2 - 2 * a * k + 4 * a + 3 * c * k**2 - 4 * c)
            / (2 * k * (1 - k * k)),
            (2 * a - 2 * c - a * k) / k,
            (a - c) / (2 * k),
            0.0,
            a,
        ]
    outcomes = [_price_outcome(a, k, c, min(max(w, 0.0), a), allowed) for w in candidates]
    return max(outcomes, key=lambda o: o["profit_manufacturer_1"])


def _price_outcome(a: float, k: float, c: float, w: float, allowed: bool) -> dict[str, float]:
    """Everything that follows a wholesale price w in the price version: the retailer's
    best price (of its pieces' best, and selling nothing) and the manufacturer's answer."""
    d = 1 - k * k
    options = []  # (the retailer's profit, its preference on a tie, p_R, p_M, q_R, q_M)
    keep_out = (a * k - a + c + k * w) / k if k > 0 else -math.inf
    if allowed:
        p_r = (a * (2 - k - k * k) + c * k + 2 * w) / (2 * (2 - k * k))
        p_m = (a * (1 - k) + k * p_r + c + k * w) / 2
        q_r, q_m = (a * (1 - k) - p_r + k * p_m) / d, (a * (1 - k) - p_m + k * p_r) / d
        if p_r > keep_out and q_r > 0 and q_m > 0:
            options.append(((p_r - w) * q_r, 1, p_r, p_m, q_r, q_m))
        # selling nothing, the retailer leaves the buyers to the manufacturer
        options.append((0.0, 0, a, (a + c) / 2, 0.0, max(0.0, (a - c) / 2)))
    p_r = min((a + w) / 2, keep_out) if allowed else (a + w) / 2
    q_r = max(0.0, a - p_r)
    options.append(((p_r - w) * q_r, 2, p_r, a - k * q_r, q_r, 0.0))
    profit, _, p_r, p_m, q_r, q_m = max(options, key=lambda o: (o[0], o[1]))
    return {
        "wholesale_1": w,
        "quantity_1": q_r,
        "direct_quantity_1": q_m,
        "price_1": p_r,
        "direct_price_1": p_m,
        "profit_manufacturer_1": w * q_r + (p_m - c) * q_m,
        "profit_reseller_1": profit,
    }


@dataclass
class Row:
    case: str
    name: str
    model: float
    closed_form: float
    tolerance: float = TOLERANCE  # relative error allowed (absolute where the form is 0)
    zero_tolerance: float | None = None  # absolute error allowed where the form is 0

    @property
    def limit(self) -> float:
        """The error this row allows."""
        zero = abs(self.closed_form) < ABSOLUTE_BELOW and self.zero_tolerance is not None
        return self.zero_tolerance if zero else self.tolerance

    @property
    def error(self) -> float:
        """Relative error (absolute where the closed form is 0)."""
        gap = abs(self.model - self.closed_form)
        return gap if abs(self.closed_form) < ABSOLUTE_BELOW else gap / abs(self.closed_form)


# a run is a function of its config alone, so each config runs once in a process: the
# table, the thresholds' bisections and `validate` ask for some of the same markets
_CONVERGED: dict[str, dict[str, float]] = {}


def converged(config: ChannelConfig) -> dict[str, float]:
    """The model's converged values in a pricing market (None, for a missing wholesale,
    left out)."""
    key = repr(config)  # every field's value; no object's address
    if key not in _CONVERGED:
        metrics, _ = simulate(config)
        values = kpis(metrics, converged=True).items()
        _CONVERGED[key] = {k: v for k, v in values if v is not None}
    return dict(_CONVERGED[key])


def with_market(base: ChannelConfig, **market: object) -> ChannelConfig:
    config = copy.deepcopy(base)
    for key, value in market.items():
        setattr(config.market, key, value)
    return config


def table(seed: int = 0) -> list[Row]:
    """Every case: model value beside closed form, for prices, quantities and profits."""
    rows: list[Row] = []
    mono = compose(["market=linear_monopoly", f"seed={seed}"])
    m = mono.market
    for structure in ("integrated", "decentralised"):
        got = converged(with_market(mono, structure=structure))
        for name, expected in monopoly(m.a, m.b, m.unit_cost, structure).items():
            rows.append(Row(f"monopoly {structure}", name, got[name], expected))
    duo = compose(["market=linear_duopoly", f"seed={seed}"])
    for structure in STRUCTURES:
        for t in T_VALUES:
            got = converged(with_market(duo, structure=structure, substitutability=t))
            for name, expected in duopoly(t, structure).items():
                rows.append(Row(f"{structure} t={t:g}", name, got[name], expected))
    enc = encroachment_market(seed)
    m = enc.market
    for allowed in (True, False):
        for share in C_VALUES:
            c = share * m.a
            got = converged(with_market(enc, direct_cost=c, encroachment=allowed))
            case = f"{'encroachment' if allowed else 'no encroachment'} c/a={share:g}"
            for name, expected in encroachment(m.a, m.b, c, allowed).items():
                rows.append(Row(case, name, got[name], expected, *ENCROACHMENT_LIMITS))
    prices = with_market(enc, structure="price")
    for allowed in (True, False):
        for k in K_VALUES:
            for share in PRICE_C_VALUES:
                c = share * m.a
                config = with_market(prices, substitutability=k, direct_cost=c)
                got = converged(with_market(config, encroachment=allowed))
                which = "encroachment" if allowed else "no encroachment"
                case = f"{which} (prices) k={k:g} c/a={share:g}"
                for name, expected in encroachment_prices(m.a, k, c, allowed).items():
                    rows.append(Row(case, name, got[name], expected, *ENCROACHMENT_LIMITS))
    return rows


def encroachment_market(seed: int = 0) -> ChannelConfig:
    """The encroachment market with quantities, run just long enough to show it settled:
    each month its agents solve the game's three stages anew."""
    config = compose(["market=linear_encroachment", "market.structure=quantity", f"seed={seed}"])
    config.steps = SETTLED_MONTHS + 1
    return config


# ------------------------------------------------------------------ thresholds
def _gaps(values: Callable[[float, str], dict[str, float]]) -> dict[str, Callable]:
    """Each threshold's gap as a function of t (positive once decentralising pays)."""

    def manufacturer(t: float) -> float:
        return values(t, "DD")["profit_manufacturer_1"] - values(t, "II")["profit_manufacturer_1"]

    def channel(t: float) -> float:
        dd = values(t, "DD")
        return (
            dd["profit_manufacturer_1"]
            + dd["profit_reseller_1"]
            - values(t, "II")["profit_manufacturer_1"]
        )

    def alone(t: float) -> float:
        # against a rival that sells through a reseller, keeping one's own reseller (DD)
        # beats switching to a store alone (ID, the integrated firm 1)
        return values(t, "DD")["profit_manufacturer_1"] - values(t, "ID")["profit_manufacturer_1"]

    return dict(zip(THRESHOLDS, (manufacturer, channel, alone), strict=True))


def bisect(gap: Callable[[float], float], lo: float = 0.0, hi: float = 0.99) -> float:
    """The t in [lo, hi] where `gap` changes sign (to 1e-4)."""
    g_lo = gap(lo)
    if g_lo * gap(hi) > 0:
        return math.nan
    while hi - lo > 1e-4:
        mid = 0.5 * (lo + hi)
        g_mid = gap(mid)
        if (g_mid > 0) == (g_lo > 0):
            lo, g_lo = mid, g_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def thresholds(seed: int = 0) -> list[tuple[str, float, float, float]]:
    """(threshold, found by the model, from the closed forms, the literature's value)."""
    duo = compose(["market=linear_duopoly", f"seed={seed}"])

    def model_values(t: float, structure: str) -> dict[str, float]:
        return converged(with_market(duo, structure=structure, substitutability=t))

    by_model, by_formula = _gaps(model_values), _gaps(duopoly)
    return [
        (name, bisect(by_model[name]), bisect(by_formula[name]), quoted)
        for name, quoted in THRESHOLDS.items()
    ]


# where encroachment changes its regime, in c/a (the closed forms' roots)
ENCROACHMENT_THRESHOLDS = {
    "the manufacturer stops selling direct": 3 / 5,
    "the threat stops binding": 5 / 6,
    "the retailer gains from encroachment: from": 3 / (4 * math.sqrt(2)),
    "the retailer gains from encroachment: to": 1 - 1 / (2 * math.sqrt(2)),
}
# where each is sought: the bracket of c/a that holds one root of its gap
ENCROACHMENT_BRACKETS = ((0.5, 0.7), (0.7, 0.95), (0.45, 0.6), (0.6, 0.75))


def _encroachment_gaps(values: Callable[[float, bool], dict[str, float]]) -> list[Callable]:
    """Each encroachment threshold's gap as a function of c/a (its sign changes there)."""
    bench = values(0.0, False)
    small = 1e-9  # what counts as nothing, against the benchmark's values

    def direct(share: float) -> float:
        return values(share, True)["direct_quantity_1"] - small * bench["quantity_1"]

    def threat(share: float) -> float:
        gain = values(share, True)["profit_manufacturer_1"] - bench["profit_manufacturer_1"]
        return gain - small * bench["profit_manufacturer_1"]

    def retailer(share: float) -> float:
        return values(share, True)["profit_reseller_1"] - bench["profit_reseller_1"]

    return [direct, threat, retailer, retailer]


def encroachment_thresholds(seed: int = 0) -> list[tuple[str, float, float, float]]:
    """(threshold in c/a, found by bisection on the model, by bisection on the closed
    forms, the closed form's root)."""
    enc = encroachment_market(seed)
    m = enc.market

    def model_values(share: float, allowed: bool) -> dict[str, float]:
        return converged(with_market(enc, direct_cost=share * m.a, encroachment=allowed))

    def formula_values(share: float, allowed: bool) -> dict[str, float]:
        return encroachment(m.a, m.b, share * m.a, allowed)

    by_model, by_formula = _encroachment_gaps(model_values), _encroachment_gaps(formula_values)
    return [
        (name, bisect(by_model[i], *bracket), bisect(by_formula[i], *bracket), root)
        for i, ((name, root), bracket) in enumerate(
            zip(ENCROACHMENT_THRESHOLDS.items(), ENCROACHMENT_BRACKETS, strict=True)
        )
    ]
