"""The textbook pricing markets (market=linear_monopoly, market=linear_duopoly).

Manufacturers (Vendor agents) sell through their own store (integrated) or through an
exclusive reseller (Reseller agents; decentralised). Each month:
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

from channelsim.config.schema import MarketConfig
from channelsim.mechanics.pricing import best_price

if TYPE_CHECKING:
    from channelsim.model import ChannelModel

RETAIL_TOLERANCE = 1e-13  # the retail stage has settled when no price moves more than this
RETAIL_ROUNDS = 2000  # at most this many best-response rounds when probing the retail stage


class LinearDemand:
    """What buyers buy at given retail prices (one entry a manufacturer's product)."""

    def __init__(self, market: MarketConfig) -> None:
        self.kind = market.kind
        self.a, self.b, self.t = market.a, market.b, market.substitutability

    def quantities(self, prices: np.ndarray) -> np.ndarray:
        if self.kind == "linear_monopoly":
            return np.array([self.a - self.b * prices[0]])
        own, other = prices, prices[::-1]
        return 1.0 - own / (1.0 - self.t) + self.t * other / (1.0 - self.t)


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


def build(market: MarketConfig, rng: np.random.Generator) -> tuple[PricingTable, LinearDemand]:
    """The firms of a pricing market, at random starting prices."""
    if market.kind == "linear_monopoly":
        integrated = np.array([market.structure == "integrated"])
        cost = np.array([market.unit_cost])
        scale = market.a / market.b  # the price at which nobody buys
    else:
        integrated = np.array([c == "I" for c in market.structure])
        cost = np.zeros(2)
        scale = 1.0 - market.substitutability
    n = integrated.size
    wholesale = cost + rng.uniform(0.0, 1.0, n) * (scale - cost)
    price = wholesale + rng.uniform(0.0, 1.0, n) * (scale - wholesale)
    wholesale[integrated] = np.nan
    z = np.zeros(n)
    table = PricingTable(integrated, cost, wholesale, price, z.copy(), z.copy(), z.copy())
    return table, LinearDemand(market)


def unit_costs(table: PricingTable, wholesale: np.ndarray) -> np.ndarray:
    """What each retailer pays a unit: the wholesale price, or its manufacturer's cost."""
    return np.where(table.integrated, table.cost, wholesale)


def retail_response(demand: LinearDemand, costs: np.ndarray, prices: np.ndarray, row: int) -> float:
    """Retailer `row`'s best price against the others' current prices."""

    def sold(p: float) -> float:
        trial = prices.copy()
        trial[row] = p
        return float(demand.quantities(trial)[row])

    return best_price(sold, float(costs[row]), float(prices[row]))


def retail_round(demand: LinearDemand, costs: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """Every retailer's best response to the current prices, at once."""
    return np.array([retail_response(demand, costs, prices, i) for i in range(prices.size)])


def retail_outcome(
    demand: LinearDemand, costs: np.ndarray, prices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where the retailers' own pricing settles at these unit costs: prices, quantities."""
    for _ in range(RETAIL_ROUNDS):
        new = retail_round(demand, costs, prices)
        done = np.max(np.abs(new - prices)) <= RETAIL_TOLERANCE
        prices = new
        if done:
            break
    return prices, demand.quantities(prices)


def wholesale_response(model: ChannelModel, row: int) -> float:
    """Manufacturer `row`'s best wholesale price: it probes the retail stage."""
    table, demand = model.pricing, model.demand

    def sold(w: float) -> float:
        trial = table.wholesale.copy()
        trial[row] = w
        _, quantities = retail_outcome(demand, unit_costs(table, trial), table.price)
        return float(quantities[row])

    return best_price(sold, float(table.cost[row]), float(table.wholesale[row]))


def step(model: ChannelModel) -> None:
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


def metrics(model: ChannelModel) -> dict[str, float]:
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


def metric_names(market: MarketConfig) -> tuple[str, ...]:
    firms = (1,) if market.kind == "linear_monopoly" else (1, 2)
    names = ("price", "wholesale", "quantity", "profit_manufacturer", "profit_reseller")
    return tuple(f"{name}_{k}" for name in names for k in firms)
