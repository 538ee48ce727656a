"""Resellers that carry several brands (docs/ODD.md 7.13).

A reseller firm carries one or more brands; each brand it carries is a row of the
reseller table, a *line*, with its own seller, terms, books, tier and accounts. The
firm's staff is shared by its lines: each quarter it moves its reps towards the brands
that treat it better, and it drops a brand that keeps too small a share of them.
"""

from __future__ import annotations

import numpy as np


def pair_lines(
    region: np.ndarray, b2b: np.ndarray, seller: np.ndarray, share: float, rng: np.random.Generator
) -> np.ndarray:
    """The firm of each starting line: `share` of the lines of each region and kind
    (business or retail) are paired, two lines of different brands a firm, in a random
    order; the rest are firms of one line. A firm is named by its first line's row.

    Returns:
        each line's firm (a row), the line's own row for a firm of one line.
    """
    n = region.size
    firm = np.arange(n)
    if share <= 0.0 or n < 2:
        return firm
    order = rng.permutation(n)
    group = region[order].astype(np.int64) * 2 + b2b[order]
    for key in np.unique(group):
        rows = order[group == key]
        wanted = round(share * rows.size / 2.0)
        waiting: list[int] = []
        for row in rows:
            if wanted == 0:
                break
            mate = next((w for w in waiting if seller[w] != seller[row]), None)
            if mate is None:
                waiting.append(int(row))
                continue
            waiting.remove(mate)
            firm[row] = firm[mate] = min(int(row), mate)
            wanted -= 1
    return firm


def firm_total(values: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """For each line, the sum of `values` over its firm's lines."""
    return np.bincount(firm, values, minlength=firm.size)[firm]


def lines(firm: np.ndarray, active: np.ndarray) -> np.ndarray:
    """For each line, how many active lines its firm has."""
    return firm_total(active.astype(float), firm)


def effort_shares(reps: np.ndarray, firm: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Each active line's share of its firm's staff (1 for a firm of one line; 0 for a
    line that has left)."""
    staff = np.where(active, reps, 0.0)
    total = firm_total(staff, firm)
    return np.where(active, staff / np.maximum(total, 1e-12), 0.0)  # numerical: > 0


def split_staff(
    reps: np.ndarray,
    firm: np.ndarray,
    active: np.ndarray,
    appeal: np.ndarray,
    sensitivity: float,
    speed: float,
) -> np.ndarray:
    """A firm's staff moves `speed` of the way from its present split towards a logit
    split by its lines' appeal (`exp(sensitivity * appeal)`, normalised within the
    firm). The firm's staff is unchanged; a firm of one line keeps all of it.

    Returns:
        each line's reps after the move (unchanged for lines that have left).
    """
    staff = firm_total(np.where(active, reps, 0.0), firm)
    share = effort_shares(reps, firm, active)
    pull = np.where(active, np.exp(sensitivity * appeal), 0.0)
    target = pull / np.maximum(firm_total(pull, firm), 1e-300)  # numerical: > 0
    moved = share + speed * (target - share)
    return np.where(active, staff * moved, reps)


def exclusivity(
    share: np.ndarray, firm: np.ndarray, active: np.ndarray, theirs: np.ndarray, accept: float
) -> np.ndarray:
    """Which lines leave when the seller of lines `theirs` asks its partners to carry
    only its brand: a firm that carries other brands as well keeps the seller's brand
    alone when the seller's lines hold at least `accept` of its staff, and drops it
    otherwise.

    Returns:
        a mask of the lines the firms drop.
    """
    held = firm_total(np.where(theirs & active, share, 0.0), firm)
    asked = active & (lines(firm, active) > 1) & (held > 0)
    keep_theirs = held >= accept
    return asked & np.where(keep_theirs, ~theirs, theirs)
