"""Two markets, one behaviour: the US market (us_pc_1996) and China's (china_pc_2002) differ
only in their structure, each structure value a market states has a source, and the
mechanisms that set them apart work, through the model, in both."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from channelsim import ChannelModel, compose, run_seeds
from channelsim.analysis.figures import market_sellers
from channelsim.analysis.stats import mean_ci, yearly
from channelsim.config.schema import MarketConfig, field_table, get_path
from channelsim.config.validate import ConfigError
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
    "us": ["market=us_pc_1996", "scenario=us_history", *SIZES],
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


def test_the_us_and_china_agree_on_every_behaviour_key():
    """How buyers choose, how relationships build and decay and how partners act is one
    set for both markets: every behaviour key has one value in us_pc_1996 and in
    china_pc_2002."""
    us, china = compose(["market=us_pc_1996"]).market, compose([]).market
    behaviour = [k for k, r in ROLES.items() if r == "behaviour"]
    assert len(behaviour) > 100
    differ = [
        k
        for k in behaviour
        if get_path(us, k.removeprefix("market.")) != get_path(china, k.removeprefix("market."))
    ]
    assert differ == []
    # and the structure does differ: the markets are not one market twice
    assert us.sellers.keys() != china.sellers.keys()
    assert (us.price_fall, us.population.in_house_it) != (
        china.price_fall,
        china.population.in_house_it,
    )


@pytest.mark.parametrize("preset", ["us_pc_1996", "china_pc_2002", "china_pc_2002_duo"])
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


def test_the_us_market_names_compaq_its_focal_vendor():
    """The focal vendor is a market's choice: in the US it is Compaq, whose policy is
    strategy.* and whose results are the *_vendor metrics as well as its own."""
    cfg = compose(MARKETS["us"])
    model = ChannelModel(cfg)
    assert model.vendor.name == "compaq"
    assert model.vendor.policy is model.strategy
    assert model.strategy.name == "traditional_channel"
    for _ in range(6):
        model.step()
    for metric in ("share_{}_total", "share_{}_key", "profit_{}", "units_{}"):
        vendor, compaq = model.last[metric.format("vendor")], model.last[metric.format("compaq")]
        assert vendor == compaq and np.isfinite(vendor)
    # the figures and tables list it once, by its name
    sellers = market_sellers(model.datacollector.get_model_vars_dataframe())
    assert sellers == ["compaq", "dell", "gateway", "hp", "ibm", "others"]
    assert model.last["share_dell_total"] > 0
    with pytest.raises(ConfigError, match=r"market\.focal=.nosuch."):
        compose([*MARKETS["us"], "market.focal=nosuch"])


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
    direct = next(s for s in model.sellers if s.name in ("direct", "dell"))
    assert direct.capabilities.partner_share == 0 and direct.capabilities.build_to_order >= 0.9
    ordered = ChannelModel(compose([*market, f"market.sellers.{direct.name}.build_to_order=1"]))
    ordered.step()
    assert ordered.month.stock_loss[direct.row] == 0.0
    assert ordered.month.shipped[direct.row] > 0


# section 9's one figure for Dell in 2000 (Dataquest, Q3: 19.2%), and the spread it notes
# between the sources (up to about 5 points either way)
DELL_2000 = (0.142, 0.242)


@pytest.fixture(scope="module")
def us_history():
    """Compaq's history in the US market, 1996-2000, at the 20 seeds the calibration
    judged its fit at (3-22: none of them fitted on)."""
    runs = run_seeds(
        ["market=us_pc_1996", "scenario=us_history", "steps=60"], range(3, 23), 2, progress=False
    )
    runs["share_direct_sellers"] = runs["share_dell_total"] + runs["share_gateway_total"]
    return runs.groupby(["seed", runs["date"].str[:4]]).mean(numeric_only=True)


def test_in_the_us_the_direct_sellers_gain_share_from_1996_to_2000(us_history):
    """Either answer, by the market's structure alone: with China's behaviour, Dell's and
    Gateway's combined share of US units rises from 1996 to 2000 (its 95% interval over 20
    seeds above 0), as it did (CASE.md 9)."""
    direct = us_history["share_direct_sellers"].unstack()
    rise = mean_ci(direct["2000"] - direct["1996"])
    assert rise.n == 20
    assert rise.low > 0


def test_dell_s_2000_share_falls_short_of_section_9_s_figure(us_history):
    """A finding, not a fact the model reproduces (experiments/us_market/README.md): Dell
    rises from 1996, but its 2000 share sits at the floor of section 9's range for 2000
    and its 95% interval lies wholly below the figure itself, 19.2%. The walk-in market,
    where Dell is weak, grows 15% a year and the firms' purchases do not. When a change
    brings Dell to the figure, this test fails and the finding goes."""
    dell = us_history["share_dell_total"].unstack()
    share = mean_ci(dell["2000"])
    assert share.mean > dell["1996"].mean()  # it rises ...
    assert DELL_2000[0] - 0.02 < share.mean < DELL_2000[1]  # ... to about the range's floor
    assert share.high < 0.192  # ... and short of the figure


def test_yearly_summarises_each_run_s_year_then_the_runs():
    """A year's value of a run is the mean of its months; the table's mean, interval and
    count are over the runs (Student t, 95%)."""
    runs = pd.DataFrame(
        {
            "seed": [0, 0, 0, 1, 1, 1],
            "date": ["1996-01", "1996-02", "1997-01", "1996-01", "1996-02", "1997-01"],
            "share": [0.1, 0.3, 0.5, 0.3, 0.5, 0.7],
        }
    )
    table = yearly(runs, ["share"]).set_index("year")
    assert table.loc["1996", "mean"] == pytest.approx(0.3)  # runs' years 0.2 and 0.4
    assert table.loc["1997", "mean"] == pytest.approx(0.6)
    half = 12.7062047 * np.std([0.2, 0.4], ddof=1) / np.sqrt(2)  # t(0.975, 1 df)
    assert table.loc["1996", "high"] - 0.3 == pytest.approx(half)
    assert list(table["n"]) == [2, 2]
    with pytest.raises(ConfigError, match="seeds"):
        run_seeds(["market=us_pc_1996"], seeds=[])
