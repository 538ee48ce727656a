"""The channel network: vendor -> distributors -> resellers -> accounts, as a networkx graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from channelsim.domain import Segment, Supplier

if TYPE_CHECKING:
    from channelsim.model import ChannelModel


def draw_coverage(
    region: np.ndarray, reseller_region: np.ndarray, per_account: int, rng: np.random.Generator
) -> np.ndarray:
    """Pick `per_account` distinct resellers of each account's region (the coverage edges).

    Offsets from a random first reseller grow by random steps whose sum stays below
    the region's reseller count, so the picks are distinct without a per-account loop.
    """
    n_regions = int(reseller_region.max()) + 1 if reseller_region.size else 1
    members = [np.flatnonzero(reseller_region == g) for g in range(n_regions)]
    counts = np.array([m.size for m in members])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    order = np.concatenate(members)
    n_region = counts[region]
    k = per_account
    step_max = np.maximum(n_region // k, 1)
    steps = rng.integers(0, 2**31, size=(region.size, k)) % step_max[:, None] + 1
    steps[:, 0] = rng.integers(0, 2**31, size=region.size) % n_region
    offsets = np.cumsum(steps, axis=1) % n_region[:, None]
    return order[starts[region][:, None] + offsets].astype(np.int64)


def channel_graph(model: ChannelModel) -> nx.DiGraph:
    """The network as it stands: nodes carry role, tier, status and current supplier."""
    a, t = model.accounts, model.resellers
    g = nx.DiGraph(seed=model.config.seed, date=model.date)
    g.add_node("vendor", role="vendor")
    g.add_node("direct_seller", role="direct_seller")
    for i in range(model.distributors.inventory.size):
        g.add_node(f"d{i}", role="distributor")
        g.add_edge("vendor", f"d{i}", kind="supply")
    used = model.resellers_used
    for r in range(used):
        g.add_node(
            f"r{r}",
            role="reseller",
            region=int(t.region[r]),
            tier=int(t.tier[r]),
            active=bool(t.active[r]),
            b2b=bool(t.b2b[r]),
            relationship_partner=bool(t.relationship_partner[r]),
        )
        if model.strategy.use_distributors:
            g.add_edge(f"d{t.distributor[r]}", f"r{r}", kind="supply")
        else:
            g.add_edge("vendor", f"r{r}", kind="supply")
    supplier = {Supplier.NONE: "none", Supplier.VENDOR: "vendor", Supplier.DIRECT: "direct"}
    for i in range(a.n):
        g.add_node(
            f"a{i}",
            role="account",
            segment=Segment(int(a.segment[i])).name.lower(),
            region=int(a.region[i]),
            supplier=supplier[Supplier(int(a.incumbent[i]))],
        )
    rows, slots = np.nonzero(t.active[a.cover])
    g.add_edges_from(
        (
            f"r{a.cover[i, k]}",
            f"a{i}",
            {"kind": "coverage", "relationship": float(a.rel_partner[i, k])},
        )
        for i, k in zip(rows.tolist(), slots.tolist(), strict=True)
    )
    return g
