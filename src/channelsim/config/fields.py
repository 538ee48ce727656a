"""A config field with what the schema says of it: its range, meaning and source, and for a
strategy lever its cost and downside."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def lever(
    default: Any,
    meaning: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[str, ...] | None = None,
    length: int | None = None,
    source: str = "",
    cost: str = "",
    downside: str = "",
    role: str = "",
) -> Any:
    """A config field with its range (or choices) and meaning kept beside it.

    `length`: a list's fixed length (each entry in [lo, hi]); `source`: where a market
    value comes from (``literature``, ``case``, ``public figure``, ``judgement`` or
    ``calibrated``, then the detail); `cost` and `downside`: what a strategy lever costs
    on its seller's books, and how it can hurt; `role`: a market key's part, ``structure``
    (what differs from one market to another: sizes, segments, costs, the sellers'
    capabilities and starting positions) or ``behaviour`` (how buyers, sellers and
    partners act: one set for every market), when its class's `ROLE` does not say."""
    meta = {
        "meaning": meaning,
        "lo": lo,
        "hi": hi,
        "choices": choices,
        "length": length,
        "source": source,
        "cost": cost,
        "downside": downside,
        "role": role,
    }
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)
