"""Partner capability, satisfaction, tiering and credit."""

from __future__ import annotations

import numpy as np


def capability(skill, knowledge, competition):
    """A partner's capability: the mean of its key-account skill, product knowledge and
    competitive knowledge (arrays or one partner's numbers)."""
    return (skill + knowledge + competition) / 3.0  # numerical: a mean of three


def learn(
    level: np.ndarray,
    spend: np.ndarray,
    half: float,
    rate: float | np.ndarray,
    forget: float,
) -> np.ndarray:
    """Training lifts a capability with diminishing returns; untrained skills fade slowly."""
    lift = rate * spend / (spend + half) * (1.0 - level)
    return np.clip(level + lift - forget * level, 0.0, 1.0)


def satisfaction(previous: np.ndarray, target: np.ndarray, speed: float) -> np.ndarray:
    """Satisfaction moves a step towards what this month's experience says."""
    return np.clip(previous + speed * (target - previous), 0.0, 1.0)


def tiers(strength: np.ndarray, active: np.ndarray, top_share: float) -> np.ndarray:
    """Tier 1 for the strongest active partners (by strength), tier 2 for the rest."""
    tier = np.full(strength.shape, 2, dtype=np.int8)
    idx = np.flatnonzero(active)
    if idx.size:
        n_top = max(1, round(top_share * idx.size))
        order = idx[np.argsort(-strength[idx], kind="stable")]
        tier[order[:n_top]] = 1
    return tier


def credit_line(capital: np.ndarray, multiple: float, reputable: np.ndarray) -> np.ndarray:
    """Credit the vendor gives a reputable partner for big projects (longer payment terms)."""
    return np.where(reputable, multiple * np.maximum(capital, 0.0), 0.0)


def default_hazard(
    base: float,
    capital: np.ndarray,
    receivable: np.ndarray,
    reference_capital: float,
    distress_weight: float,
    cushion: float,
) -> np.ndarray:
    """Monthly chance a partner fails: higher when capital is thin and debt to the vendor high.

    ``base (1 + distress_weight d + l)`` with d the share of the usual capital
    (`reference_capital`) it has lost and l its debt over its capital plus a `cushion`
    share of the usual."""
    distress = np.maximum(0.0, 1.0 - capital / max(reference_capital, 1e-9))  # numerical: > 0
    leverage = receivable / (np.maximum(capital, 0.0) + reference_capital * cushion)
    return np.clip(base * (1.0 + distress_weight * distress + leverage), 0.0, 1.0)
