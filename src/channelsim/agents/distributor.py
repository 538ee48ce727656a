"""Distributors (分销商): storage, transport and financing between vendor and resellers."""

from __future__ import annotations

import numpy as np

from channelsim.agents.base import Column, RowAgent

STOCK_COVER = 1.0  # months of sales a distributor keeps in stock


class Distributor(RowAgent):
    """Combines commercial flow and logistics (将商流和物流有机地结合起来)."""

    inventory = Column("distributors")
    shipped = Column("distributors")


class DistributorTable:
    """Stock and flows of every distributor."""

    def __init__(self, n: int) -> None:
        self.inventory = np.zeros(n)
        self.received = np.zeros(n)
        self.shipped = np.zeros(n)
        self.revenue = np.zeros(n)
        self.purchases = np.zeros(n)
        self.stocked = False

    def restock_order(self, sold_units: np.ndarray) -> np.ndarray:
        """Units each distributor orders from the vendor: what left, and the way to its
        cover of stock."""
        if not self.stocked:
            # distributors start the first month holding their usual cover of stock
            self.inventory[:] = STOCK_COVER * sold_units
            self.stocked = True
        target = STOCK_COVER * sold_units
        return np.maximum(0.0, sold_units + target - self.inventory)

    def pass_on(
        self,
        sold_units: np.ndarray,
        sold_value: np.ndarray,
        received: np.ndarray,
        price: np.ndarray,
    ) -> None:
        """The distributors' books for the month: shipped to resellers and paid by them,
        received from the vendor and paid to it at its `price` a unit.

        Args:
            sold_units: units each distributor shipped to resellers this month.
            sold_value: what resellers paid each distributor for them.
            received: units the vendor shipped against each distributor's order.
            price: what each distributor pays the vendor a unit.
        """
        self.shipped[:] = sold_units
        self.revenue[:] = sold_value
        self.received[:] = received
        self.purchases[:] = self.received * price
        self.inventory[:] = self.inventory + self.received - self.shipped


def distributor_price(sold_units: np.ndarray, sold_value: np.ndarray, margin: float) -> np.ndarray:
    """The vendor's price a unit to each distributor: what its resellers pay it, less the
    distributor's margin."""
    return np.where(
        sold_units > 0, sold_value / np.maximum(sold_units, 1e-12) / (1.0 + margin), 0.0
    )
