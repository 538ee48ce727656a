"""The direct seller (戴尔直销): field reps for key accounts plus high-volume phone sales."""

from __future__ import annotations

import numpy as np

from channelsim.agents.base import RowAgent
from channelsim.agents.vendor import top_k
from channelsim.domain import Segment

MAX_GROWTH_YEARS = 200  # keeps the compound growth factor finite on any run length


class DirectSeller(RowAgent):
    """Sells to accounts without intermediaries and builds to order (CASE.md section 2)."""

    @property
    def params(self):
        """Its parameters: the vendor's environment (`market.direct`)."""
        return self.model.market.direct

    @property
    def price(self) -> float:
        """Its price: unit cost plus markup."""
        d = self.params
        return d.unit_cost * (1.0 + d.markup)

    @property
    def field_reps(self) -> int:
        """Field reps this year: the sales force grows with the business, up to the
        number that works every key and global account each month (no further: over a
        long run, compound growth would otherwise hire without bound)."""
        d = self.params
        needed = -(-self.model.big_accounts // d.rep_capacity)  # ceiling
        years = self.model.years_elapsed
        grown = d.field_reps * (1.0 + d.rep_growth) ** min(years, MAX_GROWTH_YEARS)
        return min(round(grown), max(needed, d.field_reps))

    def assign_effort(self) -> None:
        """Reps go to the largest key and global accounts first; phone sales reach many."""
        model, d, a = self.model, self.params, self.model.accounts
        rng = model.rng
        idx = np.flatnonzero(a.segment != Segment.MID)
        # it identifies key accounts fast: ranks them by size, with little noise
        score = a.size[idx] * rng.lognormal(0.0, 0.2, idx.size)
        chosen = idx[top_k(score, self.field_reps * d.rep_capacity)]
        a.effort_direct[:] = 0.0
        a.effort_direct[chosen] = 1.0
        new = a.rep[chosen] < 0
        a.rep[chosen[new]] = rng.integers(0, max(self.field_reps, 1), int(new.sum()))
        a.phone_direct[:] = (a.segment != Segment.GLOBAL) & (rng.random(a.n) < d.phone_capacity)

    def costs(self) -> float:
        """Monthly cost of its field reps and phone contacts."""
        model, _d = self.model, self.params
        return self.field_reps * model.market.am_cost + model.market.phone_cost * float(
            model.accounts.phone_direct.sum()
        )
