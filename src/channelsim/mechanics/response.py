"""How an adaptive seller sets its own levers: at each quarter's close it reviews one
lever by its own profit alone (a hill climb on its own books), within bounds.

The rule sees the seller's own quarterly profit and its own levers, nothing of any other
seller: `review` takes no model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# the levers an adaptive seller reviews, in turn: its price, and its partners' terms and
# programmes when it has partners
PRICE_LEVERS = ("markup",)
CHANNEL_LEVERS = ("rebate_rate", "wholesale_discount", "training_budget")


@dataclass
class Memory:
    """What an adaptive seller remembers between reviews."""

    start: dict[str, float]  # each lever's value when it began to adapt
    profit: float | None = None  # its profit in the quarter before its last move
    moved: tuple[str, float] | None = None  # the lever it moved last, and its value before
    direction: dict[str, int] = field(default_factory=dict)  # +1 up, -1 down
    turn: int = 0  # reviews so far


def review(
    levers: dict[str, float],
    memory: Memory,
    profit: float,
    step: float,
    band: float,
    ranges: dict[str, tuple[float, float]],
) -> dict[str, float]:
    """The levers after one quarterly review, from the quarter's own `profit` alone.

    The last move stays if profit rose since the quarter before it; otherwise it is undone
    and that lever's direction turns (a lever no longer among `levers`, a channel lever of
    a seller that has lost its partners, keeps its move: it is not reviewed now). Then the
    next lever in turn (of those not at 0 at the start: a seller does not start a
    programme it never ran) moves by `step` of its starting value in its direction, at
    most `band` of that value from it, and within its declared range. `memory` is updated
    in place.
    """
    levers = dict(levers)
    if memory.moved is not None and memory.profit is not None:
        name, before = memory.moved
        if profit < memory.profit and name in levers:
            levers[name] = before
            memory.direction[name] = -memory.direction.get(name, 1)
    live = [name for name in levers if memory.start.get(name, 0.0) > 0]
    memory.profit, memory.moved = profit, None
    if not live:
        return levers
    name = live[memory.turn % len(live)]
    memory.turn += 1
    start = memory.start[name]
    lo, hi = ranges[name]
    lo, hi = max(lo, start * (1 - band)), min(hi, start * (1 + band))
    moved = levers[name] + memory.direction.setdefault(name, 1) * step * start
    if not lo <= moved <= hi:  # at its bound: it turns, and tries the other way next time
        memory.direction[name] = -memory.direction[name]
        return levers
    memory.moved = (name, levers[name])
    levers[name] = moved
    return levers
