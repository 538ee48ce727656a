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
    (``Pick.VENDOR``) and each covering partner slot (``Pick.PARTNER + k``).
    """

    rows: np.ndarray  # the accounts deciding
    attributes: np.ndarray  # (project, offer, Attribute)
    available: np.ndarray  # (project, offer): the offer was made
    utility: np.ndarray  # (project, offer): the buying centre's score
    units: np.ndarray  # the project's units
    pick: np.ndarray  # a Pick, or PARTNER + slot
    vendor_bid: np.ndarray  # the vendor or one of its partners bid
    direct_bid: np.ndarray  # the direct seller bid
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
    def direct_won(self) -> np.ndarray:
        return self.pick == Pick.DIRECT

    @property
    def own_won(self) -> np.ndarray:
        """The vendor took the order itself."""
        return self.pick == Pick.VENDOR

    @property
    def partner_won(self) -> np.ndarray:
        return self.pick >= Pick.PARTNER

    @property
    def vendor_side(self) -> np.ndarray:
        """The vendor or one of its partners won."""
        return self.pick >= Pick.VENDOR


@dataclass
class RetailSales:
    """This month's transactional sales in each region, after the gray market moved some."""

    retail_units: np.ndarray  # per reseller: units sold over the counter
    online_units: np.ndarray  # per region: the vendor's own consumer sales (online store)
    direct_units: np.ndarray  # per region: the direct seller's (phone and web)
    online_price: np.ndarray  # per region: the vendor's own consumer price
    direct_price: np.ndarray  # per region: the direct seller's
    region_price: np.ndarray  # per region: the channel's weighted retail price
    sale_price: np.ndarray | None = None  # per reseller, set by the gray market


@dataclass(frozen=True)
class GrayFlows:
    """Units moved outside the vendor's rules this month, and the fines collected."""

    gray_units: float  # diverted between regions plus online units resold in the channel
    fines: float
    online_arbitrage: float
