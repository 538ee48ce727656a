"""Invariants on every step: units and money conserved along the channel, shares in [0, 1],
relationships in [0, 1], capital finite — for presets and for random valid configs."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channelsim import ChannelModel, compose
from channelsim.agents.distributor import DistributorTable
from channelsim.agents.seller import Seller
from channelsim.config.schema import ScenarioEvent
from channelsim.config.validate import POPULATION_RANGES, schema_rows, validate
from channelsim.policies import set_path
from tests.conftest import SMALL

SEGMENTS = ("key", "global", "mid", "txn")


def check_step(model: ChannelModel) -> None:
    """Each trade's two sides agree, as each party recorded its own side (books.py): the
    buyers, the resellers, the distributors and each seller keep separate books."""
    for seller in model.sellers:
        check_books(seller.name, model.ledger[seller.name])
    last = model.last
    assert last["revenue_vendor"] == pytest.approx(model.ledger["vendor"]["revenue"], rel=1e-9)
    assert last["revenue_direct"] == pytest.approx(model.ledger["direct"]["revenue"], rel=1e-9)
    # distributors' stock flows: this month's stock = last month's + received - shipped
    d = model.distributors
    previous = getattr(model, "stock_seen_by_test", None)  # last step's, on this model
    if previous is not None:
        assert d.inventory == pytest.approx(previous + d.received - d.shipped, abs=1e-6)
    model.stock_seen_by_test = d.inventory.copy()
    # shares
    # shares: of the whole market, every seller's adding up to 1 (NaN: nobody bought)
    for seg in (*SEGMENTS, "total"):
        shares = [last[f"share_{seller.name}_{seg}"] for seller in model.sellers]
        if any(math.isnan(x) for x in shares):
            assert all(math.isnan(x) for x in shares), (seg, shares)
        else:
            assert all(0.0 <= x <= 1.0 for x in shares), (seg, shares)
            assert sum(shares) == pytest.approx(1.0), (seg, shares)
    assert 0.0 <= last["conflict_index"] <= 1.0
    assert 0.0 <= last["coverage_key"] <= 1.0
    # state
    a, t = model.accounts, model.resellers
    for arr in (a.rel, a.rel_partner):
        assert np.all((arr >= 0.0) & (arr <= 1.0))
    assert np.isfinite(t.capital).all()
    assert np.isfinite(t.receivable).all() and (t.receivable >= -1e-9).all()
    check_partner_books(model)
    assert (a.opp_units[a.opp_open] > 0).all()
    for name, value in last.items():
        if not name.startswith("share_"):
            assert math.isfinite(value), name


def check_partner_books(model: ChannelModel) -> None:
    """Credit and cash: what partners owe is what falls due, and what each seller's own
    books say it is owed; a partner's cash moves only by what it made, bought on credit,
    repaid and paid its owners; an active partner has cash."""
    t = model.resellers
    close = dict(rel=1e-9, abs=1e-6)
    assert t.receivable == pytest.approx(t.due.sum(axis=1), **close)
    for seller in model.sellers:
        owed = float(t.receivable[t.seller == seller.row].sum())
        assert seller.lent == pytest.approx(owed, **close), f"{seller.name}: its loans"
    assert (t.repaid >= 0).all() and (t.drawn >= 0).all() and (t.credited >= 0).all()
    assert (t.capital[t.active] >= -1e-9).all()
    previous = getattr(model, "cash_seen_by_test", None)  # last step's, on this model
    if previous is not None:
        before, was_active = previous
        n = before.size  # rows added since (room for entrants) were not active
        flows = (t.profit, t.credited, t.repaid, t.drawn)
        moved = t.profit + t.credited - t.repaid - t.drawn
        # rounding: relative to the largest amount that moved (sums of large flows)
        scale = np.abs(before) + sum(np.abs(f[:n]) for f in flows)
        gap = np.abs(t.capital[:n] - before - moved[:n])
        assert (gap[was_active] <= 1e-9 * scale[was_active] + 1e-6).all(), (
            "a partner's cash against its profit, credit, repayments and draws"
        )
    model.cash_seen_by_test = t.capital.copy(), t.active.copy()


def check_books(name: str, led: dict[str, float]) -> None:
    """One seller's products' trades: what each party recorded of each side."""
    close = dict(rel=1e-9, abs=1e-6)
    # money: what buyers paid partners is what partners took in, and so on up the channel
    assert led["accounts_paid_partners"] == pytest.approx(led["partner_revenue"], **close), (
        "buyers' payments to partners against the partners' revenue"
    )
    assert led["partners_paid"] == pytest.approx(led["distributor_revenue"], **close), (
        "partners' payments against what their suppliers took in"
    )
    assert led["distributors_paid"] == pytest.approx(led["channel_revenue"], **close), (
        f"{name}: the channel's payments to the seller against the seller's invoices"
    )
    assert led["revenue"] == pytest.approx(
        led["channel_revenue"] + led["accounts_paid_seller"], **close
    ), f"{name}: the seller's revenue against what the channel and its buyers paid it"
    # units: shipped by each side equal received by the next
    assert led["units_partners_received"] == pytest.approx(led["units_partners_shipped"], **close)
    # the accounts took at least their partners' units (and the seller's own and online)
    took = led["units_accounts_received"]
    assert took >= led["units_partners_shipped"] * (1 - 1e-12) - 1e-9
    if led["through_distributors"]:
        assert led["units_distributors_shipped"] == pytest.approx(
            led["units_partners_received"], **close
        )
        # the seller's units went to its distributors or straight to buyers: each side
        # summed, so that no difference of two large flows loses the small one
        assert led["units_shipped"] + led["units_partners_shipped"] == pytest.approx(
            led["units_distributors_received"] + took, **close
        )
    else:
        assert led["units_shipped"] == pytest.approx(led["units_accounts_received"], **close)
    assert led["inventory"] >= -1e-9


def run_checked(overrides: list[str], months: int) -> None:
    model = ChannelModel(compose([*SMALL, *overrides, f"steps={months}"]))
    for _ in range(months):
        model.step()
        check_step(model)


@pytest.mark.parametrize("use_distributors", ["true", "false"])
def test_a_vendor_that_books_its_own_sales_twice_fails_the_invariants(
    monkeypatch, use_distributors
):
    overrides = ["strategy=direct", f"strategy.use_distributors={use_distributors}"]
    run_checked(overrides, 12)  # the books agree as the model is
    invoice = Seller.invoice_own_sales

    def twice(self, decisions):
        units, revenue = invoice(self, decisions)
        return units, 2 * revenue

    monkeypatch.setattr(Seller, "invoice_own_sales", twice)
    with pytest.raises(AssertionError, match="the seller's revenue against"):
        run_checked(overrides, 12)


def test_distributors_that_pay_half_fail_the_invariants(monkeypatch):
    run_checked(["strategy=traditional_channel"], 6)
    pass_on = DistributorTable.pass_on

    def half(self, *args):
        pass_on(self, *args)
        self.purchases[:] *= 0.5

    monkeypatch.setattr(DistributorTable, "pass_on", half)
    with pytest.raises(AssertionError, match="vendor: the channel's payments to the seller"):
        run_checked(["strategy=traditional_channel"], 6)


# partners short of cash, on long credit: they buy on credit and repay within a run
ON_CREDIT = [
    "strategy=relationship_channel",
    "strategy.credit_multiple=20",
    "strategy.payment_terms=3",
    "strategy.partner_selection_volume=0",
    "market.partner_capital=5",
]


def test_owners_draws_left_off_the_books_fail_the_invariants(monkeypatch):
    from channelsim.agents import reseller

    model = ChannelModel(compose([*SMALL, *ON_CREDIT]))
    drawn = credited = repaid = 0.0
    for _ in range(12):
        model.step()
        check_step(model)
        t = model.resellers
        drawn, credited, repaid = (
            drawn + t.drawn.sum(),
            credited + t.credited.sum(),
            repaid + t.repaid.sum(),
        )
    assert drawn > 0 and credited > 0 and repaid > 0  # every flow the books check moved
    draw = reseller.draw

    def unrecorded(model):
        draw(model)
        model.resellers.drawn[:] = 0.0

    monkeypatch.setattr(reseller, "draw", unrecorded)
    with pytest.raises(AssertionError, match="a partner's cash against"):
        run_checked(ON_CREDIT, 12)


def test_credit_the_seller_does_not_book_fails_the_invariants(monkeypatch):
    from channelsim.agents import account

    lend = account.lend

    def unbooked(model, rows, amounts):
        lend(model, rows, amounts)
        model.vendor.lent -= float(amounts.sum())

    monkeypatch.setattr(account, "lend", unbooked)
    with pytest.raises(AssertionError, match="vendor: its loans"):
        run_checked(ON_CREDIT, 12)


@pytest.mark.parametrize("scenario", ["history", "stay_traditional", "copy_direct"])
def test_invariants_every_step_of_the_scenarios(scenario):
    model = ChannelModel(compose([f"scenario={scenario}", "steps=60"]))
    for _ in range(60):
        model.step()
        check_step(model)


def test_invariants_without_distributors(small_overrides):
    model = ChannelModel(compose([*small_overrides, "strategy.use_distributors=false"]))
    for _ in range(18):
        model.step()
        check_step(model)


ROWS = {
    k: r for k, r in schema_rows().items() if k.startswith("strategy.") and k != "strategy.name"
}
CAP = {
    "strategy.training_budget": 3000.0,
    "strategy.coop_budget": 3000.0,
    "strategy.account_managers": 200,
    "strategy.partner_selection_volume": 10000.0,
    "strategy.care_cost": 10.0,
    "strategy.erp_cost": 20.0,
}


def lever_value(row):
    key = row["key"]
    if row["choices"]:
        return st.sampled_from(row["choices"])
    if row["type"] == "bool":
        return st.booleans()
    hi = CAP.get(key, row["hi"])
    if row["type"] == "int":
        return st.integers(int(row["lo"]), int(hi))
    return st.floats(row["lo"], hi, allow_nan=False)


def fmt(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(
    levers=st.fixed_dictionaries({k: lever_value(r) for k, r in ROWS.items()}),
    seed=st.integers(0, 2**32 - 1),
    market=st.fixed_dictionaries(
        {
            "market.txn_units_per_region": st.sampled_from([0.0, 100.0, 9000.0]),
            "market.partner_capital": st.floats(1.0, 500.0),
            "market.partner_fixed_cost": st.floats(0.0, 50.0),
            "market.growth": st.floats(-0.5, 1.0),
            "market.sellers.direct.consumer_reach": st.floats(0.0, 1.0),
        }
    ),
    strategy=st.sampled_from(["direct", "traditional_channel", "relationship_channel", "dual"]),
)
def test_invariants_hold_for_random_valid_levers(levers, seed, market, strategy):
    from tests.conftest import SMALL

    overrides = [*SMALL, f"strategy={strategy}", f"seed={seed}"]
    overrides += [f"{k}={fmt(v)}" for k, v in {**levers, **market}.items()]
    model = ChannelModel(compose(overrides))
    for _ in range(12):
        model.step()
        check_step(model)


# -------------------------------------------------- random valid configs, whole schema
SIZES = {  # small markets: the sizes the property test draws from
    "market.n_regions": st.integers(1, 3),
    "market.resellers_per_region": st.integers(3, 12),
    "market.distributors": st.integers(1, 4),
    "market.key_accounts_per_region": st.integers(0, 25),
    "market.mid_accounts_per_region": st.integers(0, 50),
    "market.global_accounts": st.integers(0, 6),
    "market.coverage_per_account": st.integers(1, 3),
}
FIXED = {
    "market.name",
    "market.focal",  # the vendor: the seller whose levers are strategy.*
    "market.start",
    "market.kind",
    "market.structure",
    "market.sellers.direct.policy.name",
    # what the direct seller's share leaves (they add up to 1)
    "market.sellers.vendor.partner_share",
    "strategy.name",
}
DIRECT_ROUTES = ("key_route", "global_route", "mid_route")
MARKET_ROWS = {
    key: r
    for k, r in schema_rows().items()
    for key in (
        [k.replace(".NAME.", f".{name}.") for name in ("vendor", "direct")]
        if ".NAME." in k
        else [k]
    )
    if key.startswith("market.")
    and key not in FIXED
    and key not in SIZES
    and not key.startswith("market.sellers.vendor.policy.")
}
# a third seller, or none: a direct brand, or a brand with resellers of its own
THIRD_SHARE = 0.34  # its share of the resellers: one in every region of 3 or more


def any_value(row):
    """Anything the schema allows for a key, ends of its range included."""
    if row["choices"]:
        return st.sampled_from(row["choices"])
    if row["type"] == "bool":
        return st.booleans()
    if row["type"] == "int":
        return st.integers(int(row["lo"]), int(row["hi"]))
    if row.get("length"):
        entry = st.floats(row["lo"], row["hi"], allow_nan=False)
        return st.lists(entry, min_size=row["length"], max_size=row["length"])
    return st.one_of(
        st.sampled_from([row["lo"], row["hi"]]),
        st.floats(row["lo"], row["hi"], allow_nan=False),
    )


BASES: dict[tuple[str, str], object] = {}


WHOLE = "whole"  # the whole market: the default market's five sellers
WHOLE_OTHERS = 0.7  # the resellers of its global brands, local brands and others


def base_config(strategy: str, scenario: str, third: str | None = None):
    """Composed once per strategy, scenario and third seller; values are then set as
    compose would."""
    if (strategy, scenario, third) not in BASES:
        overrides = [f"strategy={strategy}", f"scenario={scenario}"]
        if third != WHOLE:  # the two-seller market, and a third seller or none
            overrides.append("market=china_pc_2002_duo")
        if third and third != WHOLE:
            overrides.append(f"+seller@market.sellers.third={third}")
        if third == "channel_brand":
            overrides += [
                f"market.sellers.third.partner_share={THIRD_SHARE}",
                f"market.sellers.vendor.partner_share={1 - THIRD_SHARE}",
            ]
        BASES[strategy, scenario, third] = compose(overrides)
    return copy.deepcopy(BASES[strategy, scenario, third])


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(
    levers=st.fixed_dictionaries({k: any_value(r) for k, r in ROWS.items()}),
    market=st.fixed_dictionaries(
        {
            **SIZES,
            **{k: any_value(r) for k, r in MARKET_ROWS.items()},
            # shares that give each seller a reseller in every region (3 or more there)
            "market.sellers.direct.partner_share": st.sampled_from([0.0, 0.4, 0.5]),
        }
    ),
    seed=st.integers(0, 2**32 - 1),
    strategy=st.sampled_from(["direct", "traditional_channel", "relationship_channel", "dual"]),
    scenario=st.sampled_from(["none", "history", "stay_traditional", "copy_direct"]),
    third=st.sampled_from([None, "direct_brand", "channel_brand", WHOLE]),
    bought=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_invariants_hold_for_random_valid_configs(
    levers, market, seed, strategy, scenario, third, bought
):
    """Every lever and market parameter anywhere in its declared range (the direct
    seller's policy among them, with partners of its own or none), any preset and
    scenario, a small market with two sellers or three, or the whole market's five (the
    third, or the global brands, bought in part or whole by the vendor in the sixth
    month, or not), 24 months: the invariants hold at every step."""
    config = base_config(strategy, scenario, third)
    if third and bought:
        bought_from = "globalbrands" if third == WHOLE else "third"
        deal = {"buyer": "vendor", "seller": bought_from, "share": bought}
        config.scenario.events.append(ScenarioEvent(date="2002-06", acquisition=deal))
    market["market.sellers.vendor.response"] = "fixed"  # the vendor's levers are strategy.*
    if third in ("channel_brand", WHOLE):  # the others' resellers leave none to the direct's
        market["market.sellers.direct.partner_share"] = 0.0
    if third == WHOLE:  # enough resellers a region for the smallest share to get one
        market["market.resellers_per_region"] = max(market["market.resellers_per_region"], 9)
    config.seed, config.steps = seed, 24
    market["market.coverage_per_account"] = min(
        market["market.coverage_per_account"], market["market.resellers_per_region"]
    )
    taken = {"channel_brand": THIRD_SHARE, WHOLE: WHOLE_OTHERS}.get(third, 0.0)
    market["market.sellers.vendor.partner_share"] = (
        1.0 - market["market.sellers.direct.partner_share"] - taken
    )
    for least, most in POPULATION_RANGES:  # a range's ends in order
        keys = f"market.population.{least}", f"market.population.{most}"
        market[keys[0]], market[keys[1]] = sorted(market[k] for k in keys)
    if market["market.sellers.direct.partner_share"] == 0:  # without partners: its own routes only
        market.update(
            {f"market.sellers.direct.policy.{route}": "direct" for route in DIRECT_ROUTES}
        )
    for key, value in levers.items():
        name = key.split(".", 1)[1]
        for target in (config.strategy, *config.presets.values()):
            setattr(target, name, value)
        config.lever_overrides[name] = value
    for key, value in market.items():
        path = key.split(".", 1)[1]
        set_path(config.market, path, value)
        config.market_overrides[path] = value
    model = ChannelModel(validate(config))
    for _ in range(24):
        model.step()
        check_step(model)
