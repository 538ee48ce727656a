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
from numpy.random.bit_generator import ISeedSequence

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
    "acquisition",  # the accounts and partners a seller buys from another
)
_NUMBER = {name: i for i, name in enumerate(MECHANISMS)}


class Streams:
    """The run's streams: `streams(mechanism, seller)` is that mechanism's generator for
    the current month (a new one each call, starting from its first number)."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self.month = 0  # the month being simulated, from 1; set by the model each step
        # the generators' states, hashed ahead for a block of months (seed_sequence_states)
        self._block_month = 0
        self._block: np.ndarray | None = None  # (month, mechanism, seller, 4 words)

    def __call__(self, mechanism: str, seller: int = 0) -> np.random.Generator:
        if not 0 <= self.seed < 2**32:  # a seed of more than one word: numpy hashes it
            return np.random.default_rng([self.seed, _NUMBER[mechanism], self.month, seller])
        block = self._block
        at = self.month - self._block_month
        if block is None or not 0 <= at < block.shape[0] or seller >= block.shape[2]:
            block = self._hash_block(seller)
            at = 0
        state = _Hashed(block[at, _NUMBER[mechanism], seller])
        return np.random.Generator(np.random.PCG64(state))

    def _hash_block(self, seller: int) -> np.ndarray:
        """The states of every mechanism's generator for BLOCK_MONTHS months from this
        one, for the sellers up to `seller` (at least BLOCK_SELLERS of them)."""
        sellers = max(seller + 1, BLOCK_SELLERS)
        shape = (BLOCK_MONTHS, len(MECHANISMS), sellers)
        month, number, row = np.indices(shape).reshape(3, -1)
        words = np.stack([np.full(month.size, self.seed), number, self.month + month, row], 1)
        self._block_month = self.month
        self._block = seed_sequence_states(words).reshape(*shape, 4)
        return self._block

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


# Numpy seeds PCG64 from SeedSequence(words).generate_state(4, uint64): a hash of the words
# (numpy/random/bit_generator.pyx; M. E. O'Neill's seed_seq_fe). Building the SeedSequence
# and hashing one stream at a time took four fifths of a stream's cost; the same hash, of
# every mechanism's words for a block of months at once, gives the same states bit for bit
# (tests/test_determinism.py compares them with numpy's).
BLOCK_MONTHS = 12
BLOCK_SELLERS = 4
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875  # SeedSequence's mixing of the words into its pool
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED  # ... and of the pool into the state
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_WORD = 0xFFFFFFFF
_POOL = 4  # SeedSequence's pool size, in 32-bit words


def seed_sequence_states(words: np.ndarray) -> np.ndarray:
    """For each row of four 32-bit `words`, ``SeedSequence(row).generate_state(4,
    np.uint64)``: the state numpy seeds a PCG64 with. The words are held in 64 bits, and
    every product is cut back to 32, as the C code's unsigned arithmetic does."""
    w = np.asarray(words, dtype=np.uint64)
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ np.uint64(hash_const)
        hash_const = (hash_const * _MULT_A) & _WORD
        value = (value * np.uint64(hash_const)) & np.uint64(_WORD)
        return value ^ (value >> np.uint64(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = (np.uint64(_MIX_L) * x - np.uint64(_MIX_R) * y) & np.uint64(_WORD)
        return result ^ (result >> np.uint64(16))

    pool = [hashmix(w[:, i]) for i in range(_POOL)]
    for source in range(_POOL):
        for target in range(_POOL):
            if source != target:
                pool[target] = mix(pool[target], hashmix(pool[source]))
    out, hash_b = [], _INIT_B
    for i in range(2 * _POOL):  # eight 32-bit words, read as four 64-bit ones
        value = pool[i % _POOL] ^ np.uint64(hash_b)
        hash_b = (hash_b * _MULT_B) & _WORD
        value = (value * np.uint64(hash_b)) & np.uint64(_WORD)
        out.append(value ^ (value >> np.uint64(16)))
    low, high = np.stack(out[0::2], axis=1), np.stack(out[1::2], axis=1)
    return low | (high << np.uint64(32))


class _Hashed(ISeedSequence):
    """A seed sequence whose state is already hashed: PCG64 takes its four words."""

    __slots__ = ("state",)

    def __init__(self, state: np.ndarray) -> None:
        self.state = state

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != _POOL or np.dtype(dtype) != np.uint64:
            raise ValueError("a hashed seed gives PCG64's four 64-bit words only")
        return self.state
