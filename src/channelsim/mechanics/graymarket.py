"""Gray-market diversion (串货) and channel conflict."""

from __future__ import annotations

import numpy as np


def diversion_share(
    gap: np.ndarray,
    transport: float,
    audit_probability: float,
    penalty: float,
    elasticity: float,
    cap: float,
) -> np.ndarray:
    """Share of a partner's units diverted to dearer regions or channels.

    Diversion pays when the price gap beats transport plus the expected penalty
    (audit probability times the fine); the share grows linearly with the excess.
    """
    excess = gap - transport - audit_probability * penalty
    return np.clip(elasticity * excess, 0.0, cap)


def conflict_index(
    gray_share: float, price_cv: float, complaints: float, gray_weight: float, price_weight: float
) -> float:
    """Channel conflict in [0, 1].

    ``conflict = 1 - (1 - min(1, a g)) (1 - min(1, b v)) (1 - c)`` with g the gray-market
    share of the vendor's channel units, v the coefficient of variation of the vendor's
    prices across regions and channels, and c the mean share of partners complaining of
    unfair discounts, broken promises or rival partners bidding on their deals; a and b
    are `gray_weight` and `price_weight` (`market.rules.conflict_gray`, `conflict_price`).
    Each source alone can drive conflict to 1.
    """
    g = min(1.0, gray_weight * max(gray_share, 0.0))
    v = min(1.0, price_weight * max(price_cv, 0.0))
    c = min(1.0, max(complaints, 0.0))
    return float(1.0 - (1.0 - g) * (1.0 - v) * (1.0 - c))
