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


def tiers(
    strength: np.ndarray, active: np.ndarray, top_share: float, error: float, draw: np.ndarray
) -> np.ndarray:
    """Tier 1 for the active partners a review judges among the strongest `top_share`:
    above the strength that share exceeds, judged with a logistic error of scale `error`
    (`judged_weak`) against `draw`, one uniform a partner; tier 2 for the rest."""
    tier = np.full(strength.shape, 2, dtype=np.int8)
    if active.any():
        cutoff = np.quantile(strength[active], 1.0 - top_share)
        strong = draw < 1.0 - judged_weak(strength, cutoff, error)
        tier[active & strong] = 1
    return tier


def judged_weak(strength: np.ndarray, cutoff: float, error: float) -> np.ndarray:
    """The chance that a review with a logistic error of scale `error` judges a partner of
    this strength below the cutoff: 1/2 at it, towards 1 well below, towards 0 well above."""
    z = np.clip((strength - cutoff) / error, -700.0, 700.0)  # numerical: exp stays finite
    return 1.0 / (1.0 + np.exp(z))


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
