"""What one phase of the month hands the next: typed records of arrays, no string keys
and no bare integer codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from channelsim.domain import Attribute


class Pick(IntEnum):
    """Who won a project at its decision: nobody yet (deferred), the direct seller, the
    vendor itself, or a covering partner. A partner in coverage slot k is picked as
    ``PARTNER + k``."""

    DEFERRED = -1
    DIRECT = 0
    VENDOR = 1
    PARTNER = 2


@dataclass
class Decisions:
    """The projects decided this month, one row per project at its decision stage.

    Offers are columns: the direct seller (``Pick.DIRECT``), the vendor itself
    (``Pick.VENDOR``) and each covering partner slot (``Pick.PARTNER + k``); a partner's
    offer is made for the seller whose products it carries (`offered_by`).
    """

    rows: np.ndarray  # the accounts deciding
    attributes: np.ndarray  # (project, offer, Attribute)
    available: np.ndarray  # (project, offer): the offer was made
    utility: np.ndarray  # (project, offer): the buying centre's score
    units: np.ndarray  # the project's units
    pick: np.ndarray  # a Pick, or PARTNER + slot
    offered_by: np.ndarray  # (project, offer): the seller (its row) behind each offer
    won_by: np.ndarray  # the seller (its row) whose offer won, Pick.DEFERRED if none
    partner_row: np.ndarray  # the reseller of each project a partner won
    partner_units: np.ndarray  # ... its units
    partner_cost: np.ndarray  # ... what the partner pays a unit
    partner_price: np.ndarray  # ... what the account pays a unit

    @property
    def own_price(self) -> np.ndarray:
        """The vendor's own offer's price on each project."""
        return self.attributes[:, Pick.VENDOR, Attribute.PRICE]

    @property
    def decided(self) -> np.ndarray:
        return self.pick != Pick.DEFERRED

    @property
    def own_won(self) -> np.ndarray:
        """The vendor took the order itself."""
        return self.pick == Pick.VENDOR

    @property
    def partner_won(self) -> np.ndarray:
        return self.pick >= Pick.PARTNER

    def bid(self, seller: int) -> np.ndarray:
        """The seller (its row) or one of its partners bid."""
        return (self.available & (self.offered_by == seller)).any(axis=1)

    def side(self, seller: int) -> np.ndarray:
        """The seller (its row) or one of its partners won."""
        return self.won_by == seller

    @property
    def vendor_side(self) -> np.ndarray:
        """The vendor or one of its partners won."""
        return self.side(Pick.VENDOR)

    @property
    def direct_side(self) -> np.ndarray:
        """The direct seller or one of its partners won."""
        return self.side(Pick.DIRECT)


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
