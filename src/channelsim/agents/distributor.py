"""Distributors (分销商): storage, transport and financing between vendor and resellers."""

from __future__ import annotations

import numpy as np

from channelsim.agents.base import RowAgent

STOCK_COVER = 1.0  # months of sales a distributor keeps in stock


class Distributor(RowAgent):
    """Combines commercial flow and logistics (将商流和物流有机地结合起来). It carries every
    seller's products that reach it; its columns add them up."""

    @property
    def inventory(self) -> float:
        return float(self.model.distributors.inventory[:, self.row].sum())

    @property
    def shipped(self) -> float:
        return float(self.model.distributors.shipped[:, self.row].sum())


class DistributorTable:
    """Stock and flows of every distributor, one row per seller whose products it carries
    (`Seller.row`), one column per distributor."""

    def __init__(self, sellers: int, n: int) -> None:
        self.n = n
        self.inventory = np.zeros((sellers, n))
        self.received = np.zeros((sellers, n))
        self.shipped = np.zeros((sellers, n))
        self.revenue = np.zeros((sellers, n))
        self.purchases = np.zeros((sellers, n))
        self.stocked = np.zeros(sellers, bool)

    def restock_order(self, seller: int, sold_units: np.ndarray) -> np.ndarray:
        """Units each distributor orders from a seller: what of its products left, and the
        way to its cover of stock."""
        inventory = self.inventory[seller]
        if not self.stocked[seller]:
            # distributors start the first month holding their usual cover of stock
            inventory[:] = STOCK_COVER * sold_units
            self.stocked[seller] = True
        target = STOCK_COVER * sold_units
        return np.maximum(0.0, sold_units + target - inventory)

    def pass_on(
        self,
        seller: int,
        sold_units: np.ndarray,
        sold_value: np.ndarray,
        received: np.ndarray,
        price: np.ndarray,
    ) -> None:
        """The distributors' books of one seller's products for the month: shipped to
        resellers and paid by them, received from the seller and paid to it at its `price`
        a unit.

        Args:
            seller: the seller's row.
            sold_units: units each distributor shipped to resellers this month.
            sold_value: what resellers paid each distributor for them.
            received: units the seller shipped against each distributor's order.
            price: what each distributor pays the seller a unit.
        """
        self.shipped[seller] = sold_units
        self.revenue[seller] = sold_value
        self.received[seller] = received
        self.purchases[seller] = received * price
        self.inventory[seller] = self.inventory[seller] + received - sold_units


def distributor_price(sold_units: np.ndarray, sold_value: np.ndarray, margin: float) -> np.ndarray:
    """The vendor's price a unit to each distributor: what its resellers pay it, less the
    distributor's margin."""
    return np.where(
        sold_units > 0,
        sold_value / np.maximum(sold_units, 1e-12) / (1.0 + margin),
        0.0,  # numerical: > 0
    )
