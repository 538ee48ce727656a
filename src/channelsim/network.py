"""The channel network: vendor -> distributors -> resellers -> accounts, as a networkx graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from channelsim.config.schema import DIRECT, VENDOR
from channelsim.domain import Segment

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


def node(name: str) -> str:
    """A seller's node: its name (the direct seller's is `direct_seller`)."""
    return "direct_seller" if name == DIRECT else name


def role(name: str, focal: str = VENDOR) -> str:
    """A seller node's role: `vendor` (the focal vendor), `direct_seller`, or `seller` for
    another brand."""
    return VENDOR if name == focal else "direct_seller" if name == DIRECT else "seller"


def seller_nodes(model: ChannelModel) -> list[str]:
    """Each seller's node, by its row."""
    return [node(seller.name) for seller in model.sellers]


def stocking_sellers(model: ChannelModel) -> list:
    """The sellers whose products reach their partners through the distributors."""
    return [s for s in model.sellers if s.policy.use_distributors and s.has_partners()]


def supply_sources(model: ChannelModel) -> list[str]:
    """Where each used reseller row buys: its distributor, when its seller sells through
    distributors, else its seller."""
    t = model.resellers
    through = {s.row for s in stocking_sellers(model)}
    nodes = seller_nodes(model)
    return [
        f"d{t.distributor[r]}" if int(t.seller[r]) in through else nodes[int(t.seller[r])]
        for r in range(model.resellers_used)
    ]


def channel_graph(model: ChannelModel) -> nx.DiGraph:
    """The network as it stands: nodes carry role, tier, status and current supplier; a
    reseller line its seller and its firm (the node of the firm's first line)."""
    a, t = model.accounts, model.resellers
    g = nx.DiGraph(seed=model.config.seed, date=model.date)
    nodes = seller_nodes(model)
    for seller in model.sellers:
        g.add_node(node(seller.name), role=role(seller.name, model.market.focal))
    for i in range(model.distributors.n):
        g.add_node(f"d{i}", role="distributor")
        for seller in stocking_sellers(model):
            g.add_edge(nodes[seller.row], f"d{i}", kind="supply")
    source = supply_sources(model)
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
            seller=nodes[int(t.seller[r])],
            firm=f"r{int(t.firm[r])}",
        )
        g.add_edge(source[r], f"r{r}", kind="supply")
    supplier = [seller.name for seller in model.sellers]  # by its row
    for i in range(a.n):
        g.add_node(
            f"a{i}",
            role="account",
            segment=Segment(int(a.segment[i])).name.lower(),
            region=int(a.region[i]),
            supplier=supplier[int(a.incumbent[i])],
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


# GraphML keys: (id, for, name, type) — the attributes channel_graph gives its nodes, edges
GRAPHML_KEYS = (
    ("g_seed", "graph", "seed", "long"),
    ("g_date", "graph", "date", "string"),
    ("n_role", "node", "role", "string"),
    ("n_region", "node", "region", "long"),
    ("n_tier", "node", "tier", "long"),
    ("n_active", "node", "active", "boolean"),
    ("n_b2b", "node", "b2b", "boolean"),
    ("n_partner", "node", "relationship_partner", "boolean"),
    ("n_seller", "node", "seller", "string"),
    ("n_firm", "node", "firm", "string"),
    ("n_segment", "node", "segment", "string"),
    ("n_supplier", "node", "supplier", "string"),
    ("e_kind", "edge", "kind", "string"),
    ("e_rel", "edge", "relationship", "double"),
)
_BOOL = np.array(["false", "true"])


def graphml_text(model: ChannelModel) -> str:
    """The network as it stands, as GraphML: the graph `channel_graph` builds, written
    straight from the model's columns (no networkx graph in memory, so a market of
    100,000 accounts writes in about a second)."""
    a, t = model.accounts, model.resellers
    used = model.resellers_used
    out = [
        "<?xml version='1.0' encoding='utf-8'?>",
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ]
    out += [
        f'<key id="{k}" for="{kind}" attr.name="{name}" attr.type="{typ}" />'
        for k, kind, name, typ in GRAPHML_KEYS
    ]
    out.append('<graph edgedefault="directed">')
    out.append(f'<data key="g_seed">{model.config.seed}</data>')
    out.append(f'<data key="g_date">{model.date}</data>')
    focal = model.market.focal
    out += [
        f'<node id="{node(s.name)}"><data key="n_role">{role(s.name, focal)}</data></node>'
        for s in model.sellers
    ]
    nodes = seller_nodes(model)
    n_dist = model.distributors.n
    out += [f'<node id="d{i}"><data key="n_role">distributor</data></node>' for i in range(n_dist)]
    active, b2b = _BOOL[t.active[:used].astype(int)], _BOOL[t.b2b[:used].astype(int)]
    partner = _BOOL[t.relationship_partner[:used].astype(int)]
    seller = np.array(nodes)[t.seller[:used]]
    out += [
        f'<node id="r{r}"><data key="n_role">reseller</data>'
        f'<data key="n_region">{region}</data><data key="n_tier">{tier}</data>'
        f'<data key="n_active">{act}</data><data key="n_b2b">{b}</data>'
        f'<data key="n_partner">{p}</data><data key="n_seller">{sel}</data>'
        f'<data key="n_firm">r{firm}</data></node>'
        for r, region, tier, act, b, p, sel, firm in zip(
            range(used),
            t.region[:used].tolist(),
            t.tier[:used].tolist(),
            active,
            b2b,
            partner,
            seller,
            t.firm[:used].tolist(),
            strict=True,
        )
    ]
    segment = np.array([s.name.lower() for s in Segment])[a.segment]
    supplier = np.array([seller.name for seller in model.sellers])[a.incumbent]
    out += [
        f'<node id="a{i}"><data key="n_role">account</data><data key="n_segment">{seg}</data>'
        f'<data key="n_region">{region}</data><data key="n_supplier">{sup}</data></node>'
        for i, seg, region, sup in zip(
            range(a.n), segment, a.region.tolist(), supplier, strict=True
        )
    ]
    out += [
        f'<edge source="{nodes[s.row]}" target="d{i}"><data key="e_kind">supply</data></edge>'
        for i in range(n_dist)
        for s in stocking_sellers(model)
    ]
    sources = supply_sources(model)
    out += [
        f'<edge source="{s}" target="r{r}"><data key="e_kind">supply</data></edge>'
        for r, s in enumerate(sources)
    ]
    rows, slots = np.nonzero(t.active[a.cover])
    out += [
        f'<edge source="r{r}" target="a{i}"><data key="e_kind">coverage</data>'
        f'<data key="e_rel">{rel!r}</data></edge>'
        for r, i, rel in zip(
            a.cover[rows, slots].tolist(),
            rows.tolist(),
            a.rel_partner[rows, slots].tolist(),
            strict=True,
        )
    ]
    out += ["</graph>", "</graphml>", ""]
    return "\n".join(out)
