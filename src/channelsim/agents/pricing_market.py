"""The textbook pricing markets (market=linear_monopoly, market=linear_duopoly).

Manufacturers (`Manufacturer` agents) sell through their own store (integrated) or
through an exclusive reseller (`Retailer` agents; decentralised). Each month:
1. every decentralised manufacturer sets its wholesale price, anticipating the retail
   stage: it probes what the retailers' own pricing would settle at for a nearby
   wholesale price, and best-responds on what it sees;
2. every retailer (store or reseller) best-responds to the others' retail prices, at
   its unit cost (the wholesale price, or the manufacturer's cost for a store);
3. buyers buy and the profits are booked.
No agent reads the demand's parameters: they see only the quantities the market
returns for prices (`pricing.best_price`). From random starting prices the market
settles on the subgame-perfect equilibrium of the two-stage game.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from channelsim.agents.base import RowAgent
from channelsim.config.schema import MarketConfig
from channelsim.mechanics.pricing import best_price

if TYPE_CHECKING:
    from channelsim.pricing_model import PricingModel

RETAIL_TOLERANCE = (
    1e-13  # numerical: the retail stage has settled when no price moves more than this
)
RETAIL_ROUNDS = (
    2000  # numerical: at most this many best-response rounds when probing the retail stage
)


class MonopolyDemand:
    """The linear monopoly: buyers buy q = a - b p of the one product."""

    def __init__(self, market: MarketConfig) -> None:
        self.a, self.b = market.a, market.b

    @staticmethod
    def firms(market: MarketConfig) -> tuple[np.ndarray, np.ndarray, float]:
        """Whether the one manufacturer sells through its own store, its unit cost, and the
        price at which nobody buys."""
        integrated = np.array([market.structure == "integrated"])
        return integrated, np.array([market.unit_cost]), market.a / market.b

    def quantities(self, prices: np.ndarray) -> np.ndarray:
        return np.array([self.a - self.b * prices[0]])


class DuopolyDemand:
    """McGuire and Staelin's duopoly: q_i = 1 - p_i/(1-t) + t p_j/(1-t), zero costs."""

    def __init__(self, market: MarketConfig) -> None:
        self.t = market.substitutability

    @staticmethod
    def firms(market: MarketConfig) -> tuple[np.ndarray, np.ndarray, float]:
        """Which of the two manufacturers sell through their own store (`I` in the
        structure), their unit costs, and the scale of prices."""
        integrated = np.array([c == "I" for c in market.structure])
        return integrated, np.zeros(2), 1.0 - market.substitutability

    def quantities(self, prices: np.ndarray) -> np.ndarray:
        own, other = prices, prices[::-1]
        return 1.0 - own / (1.0 - self.t) + self.t * other / (1.0 - self.t)


Demand = MonopolyDemand | DuopolyDemand


@dataclass
class PricingTable:
    """One row a manufacturer and its channel: the columns the agents read and write."""

    integrated: np.ndarray  # bool: sells through its own store
    cost: np.ndarray  # the manufacturer's unit cost
    wholesale: np.ndarray  # NaN for an integrated manufacturer
    price: np.ndarray  # retail price of its product
    quantity: np.ndarray
    profit_manufacturer: np.ndarray
    profit_reseller: np.ndarray

    @property
    def n(self) -> int:
        return self.price.size


def build(
    demand: type[Demand], market: MarketConfig, rng: np.random.Generator
) -> tuple[PricingTable, Demand]:
    """The firms of a pricing market with this demand, at random starting prices."""
    integrated, cost, scale = demand.firms(market)
    n = integrated.size
    wholesale = cost + rng.uniform(0.0, 1.0, n) * (scale - cost)
    price = wholesale + rng.uniform(0.0, 1.0, n) * (scale - wholesale)
    wholesale[integrated] = np.nan
    z = np.zeros(n)
    table = PricingTable(integrated, cost, wholesale, price, z.copy(), z.copy(), z.copy())
    return table, demand(market)


class Manufacturer(RowAgent):
    """A manufacturer: it sets its wholesale price, or its own store's retail price."""

    def choose_wholesale(self) -> float:
        """The wholesale price it sets, anticipating its reseller."""
        return wholesale_response(self.model, self.row)

    def choose_price(self, costs: np.ndarray) -> float:
        """Its own store's retail price against the others' prices."""
        return retail_response(self.model.demand, costs, self.model.pricing.price, self.row)


class Retailer(RowAgent):
    """A manufacturer's exclusive reseller: it sets the retail price of its product."""

    def choose_price(self, costs: np.ndarray) -> float:
        """Its retail price against the others' prices, at its wholesale cost."""
        return retail_response(self.model.demand, costs, self.model.pricing.price, self.row)


def unit_costs(table: PricingTable, wholesale: np.ndarray) -> np.ndarray:
    """What each retailer pays a unit: the wholesale price, or its manufacturer's cost."""
    return np.where(table.integrated, table.cost, wholesale)


def retail_response(demand: Demand, costs: np.ndarray, prices: np.ndarray, row: int) -> float:
    """Retailer `row`'s best price against the others' current prices."""

    def sold(p: float) -> float:
        trial = prices.copy()
        trial[row] = p
        return float(demand.quantities(trial)[row])

    return best_price(sold, float(costs[row]), float(prices[row]))


def retail_round(demand: Demand, costs: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """Every retailer's best response to the current prices, at once."""
    return np.array([retail_response(demand, costs, prices, i) for i in range(prices.size)])


def retail_outcome(
    demand: Demand, costs: np.ndarray, prices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where the retailers' own pricing settles at these unit costs: prices, quantities."""
    for _ in range(RETAIL_ROUNDS):
        new = retail_round(demand, costs, prices)
        done = np.max(np.abs(new - prices)) <= RETAIL_TOLERANCE
        prices = new
        if done:
            break
    return prices, demand.quantities(prices)


def wholesale_response(model: PricingModel, row: int) -> float:
    """Manufacturer `row`'s best wholesale price: it probes the retail stage."""
    table, demand = model.pricing, model.demand

    def sold(w: float) -> float:
        trial = table.wholesale.copy()
        trial[row] = w
        _, quantities = retail_outcome(demand, unit_costs(table, trial), table.price)
        return float(quantities[row])

    return best_price(sold, float(table.cost[row]), float(table.wholesale[row]))


def step(model: PricingModel) -> None:
    """One month: wholesale prices, retail prices, sales and profits."""
    table, demand = model.pricing, model.demand
    wholesale = table.wholesale.copy()
    for vendor in model.manufacturers:
        if not table.integrated[vendor.row]:
            wholesale[vendor.row] = vendor.choose_wholesale()
    table.wholesale[:] = wholesale
    costs = unit_costs(table, wholesale)
    table.price[:] = [retailer.choose_price(costs) for retailer in model.retailers]
    q = demand.quantities(table.price)
    table.quantity[:] = q
    channel_margin = np.where(table.integrated, table.price - table.cost, wholesale - table.cost)
    table.profit_manufacturer[:] = channel_margin * q
    table.profit_reseller[:] = np.where(table.integrated, 0.0, (table.price - wholesale) * q)


def metrics(model: PricingModel) -> dict[str, float]:
    """The month's values under their contract names (`_1`, `_2` by manufacturer)."""
    table = model.pricing
    out = {}
    for i in range(table.n):
        k = i + 1
        out[f"price_{k}"] = float(table.price[i])
        out[f"wholesale_{k}"] = float("nan") if table.integrated[i] else float(table.wholesale[i])
        out[f"quantity_{k}"] = float(table.quantity[i])
        out[f"profit_manufacturer_{k}"] = float(table.profit_manufacturer[i])
        out[f"profit_reseller_{k}"] = float(table.profit_reseller[i])
    return out


def metric_names(n: int) -> tuple[str, ...]:
    """The metrics of a market of `n` manufacturers (`_1`, `_2` by manufacturer)."""
    names = ("price", "wholesale", "quantity", "profit_manufacturer", "profit_reseller")
    return tuple(f"{name}_{k}" for name in names for k in range(1, n + 1))
