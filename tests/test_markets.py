"""A market's structure: each structure value a market states has a source, and the
mechanisms that set markets apart by their structure work through the model."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from channelsim import ChannelModel, compose
from channelsim.config.schema import MarketConfig, field_table
from channelsim.domain import Attribute
from channelsim.mechanics.pricing import stock_loss
from tests.conftest import SMALL

PRESETS = Path(__file__).parents[1] / "src" / "channelsim" / "configs" / "market"
SOURCE_TAGS = ("literature", "case", "public figure", "judgement", "calibrated")
ROLES = {
    re.sub(r"^market\.sellers\.NAME\.", "market.sellers.*.", r["key"]): r["role"]
    for r in field_table(MarketConfig, "market")
}
SIZES = [o for o in SMALL if o.startswith("market.")]  # a small market, fast to run
MARKETS = {
    "china": ["market=china_pc_2002", *SIZES],
}


def role(key: str) -> str | None:
    """A market key's role, a seller's keys under any name."""
    return ROLES.get(re.sub(r"^market\.sellers\.[a-z0-9]+\.", "market.sellers.*.", key))


def stated(path: Path) -> dict[str, str]:
    """Each value a market preset states, by its key (`market.x.y`), with its comment."""
    out, parents = {}, []
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^( *)([a-z_0-9]+):(.*)$", line)
        if not found or line.startswith("defaults"):
            continue
        depth = len(found.group(1)) // 2
        parents[depth:] = [found.group(2)]
        value, _, comment = found.group(3).partition("#")
        if value.strip():
            out["market." + ".".join(parents)] = comment.strip()
    return out


@pytest.mark.parametrize("preset", ["china_pc_2002", "china_pc_2002_duo"])
def test_every_structure_value_a_market_states_has_a_source(preset):
    """A structure value a market preset states carries its source in its comment: one
    of the five source tags (the sellers' capabilities, policies and starting positions
    among them); a value it does not state is the schema's, which has its own."""
    values = stated(PRESETS / f"{preset}.yaml")
    structure = {k: c for k, c in values.items() if role(k) == "structure"}
    assert len(structure) > 40
    unsourced = [k for k, c in structure.items() if not c.startswith(SOURCE_TAGS)]
    assert unsourced == []
    assert all(role(k) in ("structure", "behaviour") for k in values if ".policy." not in k)


@pytest.fixture(params=sorted(MARKETS))
def market(request):
    return MARKETS[request.param]


def test_price_protection_refunds_the_value_partners_stock_loses(market):
    """Partners hold `channel_stock` months of what they buy; it loses value as component
    prices fall, by 1 - (1 - price_fall)^(1/12) a month. Under full price protection the
    focal vendor refunds all of it (its cost_price_protection); without it, its partners
    bear it, and nothing else of their month changes."""
    runs = {}
    for share in (1.0, 0.0):
        model = ChannelModel(compose([*market, f"strategy.price_protection={share}"]))
        model.step()
        runs[share] = model
    full, none = runs[1.0], runs[0.0]
    m, t = full.market, full.resellers
    mine = full.vendor.partners()
    loss = stock_loss(m.price_fall, m.channel_stock, t.purchases[mine] * t.active[mine])
    assert loss.sum() > 0
    assert full.last["cost_price_protection"] == pytest.approx(loss.sum())
    assert none.last["cost_price_protection"] == 0.0
    assert none.resellers.purchases[mine] == pytest.approx(t.purchases[mine])
    assert t.profit[mine] - none.resellers.profit[mine] == pytest.approx(loss)
    # a month of stock at 15% a year loses about 1.3% of a month's purchases
    assert stock_loss(0.15, 1.0, 100.0) == pytest.approx(100 * (1 - 0.85 ** (1 / 12)))


def test_buyers_with_it_staff_of_their_own_lean_less_on_relationships_and_service(market):
    """An account with IT staff of its own gets at least `in_house_service` of service,
    whoever sells, and does without `in_house_ties` of every relationship: with all
    accounts so and the ties all gone, no offer brings a relationship."""
    staff = [
        "market.population.in_house_it=1",
        "market.buyers.in_house_ties=1",
        "market.buyers.in_house_service=0.9",
    ]
    model = ChannelModel(compose([*market, *staff]))
    assert model.accounts.in_house.all()
    decisions = [model.step() or model.month.decisions for _ in range(4)]
    offers = np.concatenate([d.attributes[d.available] for d in decisions])
    assert offers.shape[0] > 0
    assert (offers[:, Attribute.RELATIONSHIP] == 0).all()
    assert (offers[:, Attribute.SERVICE] >= 0.9).all()
    none = ChannelModel(compose([*market, "market.population.in_house_it=0"]))
    assert not none.accounts.in_house.any()
    decisions = [none.step() or none.month.decisions for _ in range(4)]
    offers = np.concatenate([d.attributes[d.available] for d in decisions])
    assert (offers[:, Attribute.RELATIONSHIP] > 0).any()
    assert (offers[:, Attribute.SERVICE] < 0.9).any()


def test_a_seller_pays_for_delivering_what_it_sells_itself_and_for_its_own_stock(market):
    """Every seller's own sales cost `delivery_cost` a unit to deliver, in its price and
    on its books; its own stock (the months it does not build to order) loses value as
    the channel's does, so a seller that builds everything to order loses none."""
    model = ChannelModel(compose([*market, "market.delivery_cost=0.05"]))
    model.step()
    m, month = model.market, model.month
    for seller in model.sellers:
        c, i = seller.capabilities, seller.row
        landed = c.unit_cost + 0.05
        assert seller.price == pytest.approx(landed * (1 + seller.policy.markup) * c.price_level)
        own = month.own_units[i] + month.consumer_units[i]
        assert month.delivery[i] == pytest.approx(0.05 * own)
        held = m.channel_stock * (1 - c.build_to_order)
        value = c.unit_cost * month.shipped[i]
        assert month.stock_loss[i] == pytest.approx(stock_loss(m.price_fall, held, value))
    direct = next(s for s in model.sellers if s.name == "direct")
    assert direct.capabilities.partner_share == 0 and direct.capabilities.build_to_order >= 0.9
    ordered = ChannelModel(compose([*market, f"market.sellers.{direct.name}.build_to_order=1"]))
    ordered.step()
    assert ordered.month.stock_loss[direct.row] == 0.0
    assert ordered.month.shipped[direct.row] > 0
