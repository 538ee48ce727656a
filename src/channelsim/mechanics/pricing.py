"""Prices along the channel: wholesale, partner markups, MAP and intra-brand bidding."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def channel_cost(
    list_price: float,
    wholesale_discount: float,
    promo: np.ndarray,
    special: np.ndarray,
    distributor_margin: float,
) -> np.ndarray:
    """What a reseller pays a unit: wholesale, regional promotion, special discount, distributor.
    Discounts take at most the whole price: a reseller is never paid to take a unit."""
    return (
        list_price
        * (1.0 - wholesale_discount)
        * np.maximum(1.0 + promo - special, 0.0)
        * (1.0 + distributor_margin)
    )


def retail_price(
    cost: np.ndarray, markup: np.ndarray, floor: float, compliant: np.ndarray
) -> np.ndarray:
    """A reseller's advertised price: its markup, raised to the MAP floor where it complies."""
    own = cost * (1.0 + markup)
    return np.where(compliant, np.maximum(own, floor), own)


def bid_markup(markup: np.ndarray, bidders: np.ndarray) -> np.ndarray:
    """Partners bidding against each other for one project give up margin.

    With n partners of the same brand on a deal, each keeps about 1/n of its usual
    markup (Bertrand-like undercutting between them); deal registration keeps n at 1.
    """
    return markup / np.maximum(bidders, 1)


def best_price(
    demand: Callable[[float], float],
    cost: float,
    current: float,
    probe: float = 1e-3,  # numerical: a small step
) -> float:
    """A seller's best price from what it observes: it sells at its current price and
    probes a nearby one, takes its demand as locally linear, and sets the price that
    maximises (price - cost) x quantity on that line (never below cost).

    The seller knows nothing of the demand's form or parameters; where demand is
    linear (or when the probe is repeated to convergence) this is its best response.
    """
    q0 = demand(current)
    slope = (demand(current + probe) - q0) / probe
    if slope >= 0.0:  # no sign that a higher price loses buyers: hold the price
        return current
    # the peak of (p - cost) x (q0 + slope (p - current)): half-way, by the first-order condition
    return max(cost, 0.5 * (current + cost) - 0.5 * q0 / slope)  # numerical: the vertex


def stock_loss(yearly_fall: float, months: float, monthly_value: np.ndarray | float):
    """What a month takes from stock worth `months` months of `monthly_value` (what is
    bought or shipped a month) when component prices fall by `yearly_fall` a year: a unit
    in stock is worth what it would cost to build now, which falls each month by
    1 - (1 - yearly_fall)^(1/12)."""
    monthly = 1.0 - (1.0 - yearly_fall) ** (1.0 / 12.0)  # numerical: a month of a year
    return monthly * months * monthly_value
