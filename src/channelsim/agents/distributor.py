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

    def pass_on(self, sold_units: np.ndarray, sold_value: np.ndarray, margin: float) -> None:
        """Ship what resellers bought and restock to cover next month's sales.

        Args:
            sold_units: units each distributor shipped to resellers this month.
            sold_value: what resellers paid each distributor for them.
            margin: the distributor's margin on what it passes on.
        """
        if not self.stocked:
            # distributors start the first month holding their usual cover of stock
            self.inventory[:] = STOCK_COVER * sold_units
            self.stocked = True
        self.shipped[:] = sold_units
        self.revenue[:] = sold_value
        # restock: replace what left and move stock towards the cover target
        target = STOCK_COVER * sold_units
        self.received[:] = np.maximum(0.0, sold_units + target - self.inventory)
        unit_buy = np.where(
            sold_units > 0, sold_value / np.maximum(sold_units, 1e-12) / (1.0 + margin), 0.0
        )
        self.purchases[:] = self.received * unit_buy
        self.inventory[:] = self.inventory + self.received - self.shipped
