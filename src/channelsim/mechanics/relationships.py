"""Relationship strength between accounts and the people who sell to them."""

from __future__ import annotations

import numpy as np


def grow(r: np.ndarray, effort: np.ndarray, rate: np.ndarray | float, decay: float) -> np.ndarray:
    """One month of tending: ``r + rate * effort * (1 - r) - decay * r``, kept in [0, 1].

    Args:
        r: relationship strengths in [0, 1].
        effort: contact intensity in [0, 1] this month.
        rate: learning rate (face to face learns faster than phone; trained partners faster).
        decay: share of the relationship that fades untended each month.
    """
    return np.clip(r + rate * effort * (1.0 - r) - decay * r, 0.0, 1.0)


def build(r: np.ndarray, ceiling: np.ndarray, rate: np.ndarray | float, decay: float) -> np.ndarray:
    """One month of building a tie towards a ceiling: ``r + rate * (ceiling - r) - decay *
    r``, kept in [0, ceiling]: what a team holds together grows by working the account
    together, up to what its members hold between them, and fades like any tie.

    Args:
        r: strengths in [0, 1].
        ceiling: the most each can reach now, in [0, 1].
        rate: the month's learning rate (0 where nobody works the account together).
        decay: share that fades each month.
    """
    return np.clip(r + rate * np.maximum(ceiling - r, 0.0) - decay * r, 0.0, ceiling)


def depart(r: np.ndarray, leaving: np.ndarray, keep: float) -> tuple[np.ndarray, np.ndarray]:
    """People leave: the relationships they held fall to the part the company keeps.

    Args:
        r: relationship strengths held through the people who may leave.
        leaving: True where the person holding the relationship leaves this month.
        keep: share kept at company level (customer care keeps most of it).

    Returns:
        the new strengths and the strength lost per entry.
    """
    lost = np.where(leaving, r * (1.0 - keep), 0.0)
    return r - lost, lost


def noisy_or(*rs: np.ndarray) -> np.ndarray:
    """A team's relationship: the chance that at least one member's tie carries the account."""
    miss = np.ones_like(np.asarray(rs[0], dtype=float))
    for r in rs:
        miss = miss * (1.0 - r)
    return 1.0 - miss
