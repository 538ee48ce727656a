"""Random streams that keep runs at one seed comparable (common random numbers).

Each chance mechanism draws from a stream of its own, fresh each month: the generator
of (the run's seed, the mechanism, the month, the seller where each seller draws
apart). What one mechanism draws never shifts what another draws, or what it draws
itself in a later month. Within a month a mechanism draws one number for every row of
its table (every account, every reseller row, every coverage slot, every region)
whether or not the row needs one this month, and reads the rows that do: a row's
number never depends on which other rows qualify.

So two runs at the same seed that differ a little in a parameter meet the same chance
events, and differ a little in their results: a paired comparison, a policy search or a
sensitivity analysis compares the parameter, not two draws of luck. The start of a run
(the market's accounts and resellers) is drawn once, before the first month, from the
streams the run's seed spawns for it.
"""

from __future__ import annotations

import numpy as np

# Every mechanism that draws after the start, in a fixed order: a mechanism's number is
# its place here, so new ones are appended and none is ever moved.
MECHANISMS = (
    "promotions",  # the regions' price promotions, each quarter
    "rep_turnover",  # which of a seller's field reps leave
    "partner_staff_turnover",  # which partner reps covering an account leave
    "projects",  # which accounts open a purchase project
    "project_sizes",  # the size of a new project
    "discovery",  # which covering partners hear of an open project
    "hearing",  # which open projects a seller hears of
    "contested_bids",  # complaints of partners bidding against each other
    "direct_assist",  # key projects a seller takes itself with a partner's help
    "approvals",  # offers held past the decision by approval levels
    "choice",  # the buyers' taste shocks (Gumbel), one per seller and one for deferring
    "funnel",  # projects that move to the next stage
    "rep_assignment",  # unplanned accounts' draw for a rep's visits, and which rep
    "phone",  # accounts reached by phone sales
    "special_discounts",  # reps' special discounts, each quarter
    "broken_promises",  # a rep's promise not kept
    "unfair",  # a partner's complaint of an unfair discount
    "map_compliance",  # partners that keep to the minimum advertised price
    "audits",  # partners audited for diversion or MAP
    "audit_annoyance",  # audited partners that diverted nothing and are angered
    "defaults",  # partners that default on their credit
    "entry",  # regions where an entrant appears
    "entrants",  # the entrants' capabilities
    "reviews",  # a seller's quarterly review of its partners' strength
)
_NUMBER = {name: i for i, name in enumerate(MECHANISMS)}


class Streams:
    """The run's streams: `streams(mechanism, seller)` is that mechanism's generator for
    the current month (a new one each call, starting from its first number)."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self.month = 0  # the month being simulated, from 1; set by the model each step
        # a seed of one 32-bit word seeds exactly as the list of ints [seed, ...] does,
        # from an array made once: a third of the cost of building each generator
        self._words = (
            np.array([self.seed, 0, 0, 0], dtype=np.uint32) if 0 <= self.seed < 2**32 else None
        )

    def __call__(self, mechanism: str, seller: int = 0) -> np.random.Generator:
        if self._words is None:
            return np.random.default_rng([self.seed, _NUMBER[mechanism], self.month, seller])
        words = self._words.copy()
        words[1:] = _NUMBER[mechanism], self.month, seller
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))

    def gumbel(
        self,
        mechanism: str,
        shape: int | tuple[int, ...],
        rows,
        scale: float = 1.0,
        seller: int = 0,
    ) -> tuple[np.ndarray, np.random.Generator]:
        """``self(mechanism, seller).gumbel(0.0, scale, shape)[rows]``, and the generator
        after those draws, transforming only the rows read: a Gumbel draw is
        ``-scale * log(-log(1 - U))`` of the generator's next uniform U (numpy's own rule,
        which draws again for a U of exactly 0: then the generator's Gumbel is used)."""
        draws = self(mechanism, seller)
        uniform = draws.random(shape)
        if uniform.all():
            return 0.0 - scale * np.log(-np.log(1.0 - uniform[rows])), draws
        draws = self(mechanism, seller)  # a uniform of exactly 0: chance 2**-53 each
        return draws.gumbel(0.0, scale, shape)[rows], draws
