"""What one phase of the month hands the next: typed records of arrays, no string keys
and no bare integer codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Pick(IntEnum):
    """Who won a project at its decision: nobody yet (deferred), or an offer's column:
    the j-th seller's own offer is column j (its row), and a partner in coverage slot k
    is column ``sellers + k``."""

    DEFERRED = -1


@dataclass
class Decisions:
    """The projects decided this month, one row per project at its decision stage.

    Offers are columns: each seller's own (its row), then each covering partner slot
    (``sellers + k``); a partner's offer is made for the seller whose products it
    carries (`offered_by`).
    """

    rows: np.ndarray  # the accounts deciding
    attributes: np.ndarray  # (project, offer, Attribute)
    available: np.ndarray  # (project, offer): the offer was made
    utility: np.ndarray  # (project, offer): the buying centre's score
    units: np.ndarray  # the project's units
    pick: np.ndarray  # the winning offer's column, Pick.DEFERRED if none
    offered_by: np.ndarray  # (project, offer): the seller (its row) behind each offer
    won_by: np.ndarray  # the seller (its row) whose offer won, Pick.DEFERRED if none
    partner_row: np.ndarray  # the reseller of each project a partner won
    partner_units: np.ndarray  # ... its units
    partner_cost: np.ndarray  # ... what the partner pays a unit
    partner_price: np.ndarray  # ... what the account pays a unit
    sellers: int  # how many sellers there are: the first partner slot's column

    @property
    def decided(self) -> np.ndarray:
        return self.pick != Pick.DEFERRED

    @property
    def partner_won(self) -> np.ndarray:
        return self.pick >= self.sellers

    def bid(self, seller: int) -> np.ndarray:
        """The seller (its row) or one of its partners bid."""
        return (self.available & (self.offered_by == seller)).any(axis=1)

    def side(self, seller: int) -> np.ndarray:
        """The seller (its row) or one of its partners won."""
        return self.won_by == seller


@dataclass
class RetailSales:
    """This month's transactional sales in each region, after the gray market moved some."""

    retail_units: np.ndarray  # per reseller: units sold over the counter
    own_units: np.ndarray  # (sellers, regions): each seller's own consumer sales (online, phone)
    own_price: np.ndarray  # (sellers, regions): ... and their price
    region_price: np.ndarray  # (sellers, regions): its partners' weighted retail price
    sale_price: np.ndarray | None = None  # per reseller, set by the gray market


@dataclass(frozen=True)
class GrayFlows:
    """Units moved outside the sellers' rules this month, and the fines collected."""

    gray_units: float  # diverted between regions plus online units resold in the channel
    fines: np.ndarray | float  # per seller (its row); one seller's own flows: a float
    online_arbitrage: float
