"""The model against channel theory, the runs: the textbook markets' closed forms
(double marginalisation; McGuire and Staelin 1983), the model's converged values beside
them, and the thresholds of substitutability at which decentralising pays, found by
bisection on the model's runs.

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
from channelsim.experiment.run import kpis, simulate

T_VALUES = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9)
STRUCTURES = ("II", "DD", "ID")
ABSOLUTE_BELOW = 1e-9  # a closed form this close to 0 is compared absolutely
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


@dataclass
class Row:
    case: str
    name: str
    model: float
    closed_form: float

    @property
    def error(self) -> float:
        """Relative error (absolute where the closed form is 0)."""
        gap = abs(self.model - self.closed_form)
        return gap if abs(self.closed_form) < ABSOLUTE_BELOW else gap / abs(self.closed_form)


def converged(config: ChannelConfig) -> dict[str, float]:
    """The model's converged values in a pricing market (None, for a missing wholesale,
    left out)."""
    metrics, _ = simulate(config)
    return {k: v for k, v in kpis(metrics, converged=True).items() if v is not None}


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
    return rows


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
    cache: dict[tuple[float, str], dict[str, float]] = {}

    def model_values(t: float, structure: str) -> dict[str, float]:
        if (t, structure) not in cache:
            config = with_market(duo, structure=structure, substitutability=t)
            cache[t, structure] = converged(config)
        return cache[t, structure]

    by_model, by_formula = _gaps(model_values), _gaps(duopoly)
    return [
        (name, bisect(by_model[name]), bisect(by_formula[name]), quoted)
        for name, quoted in THRESHOLDS.items()
    ]
