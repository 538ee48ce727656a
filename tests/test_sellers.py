"""One kind of seller: the vendor and the direct seller are agents of one class, run by
the same code under their own capabilities and policies, and their field forces follow
their books."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from channelsim import ConfigError, compose
from channelsim.agents import account as account_rules
from channelsim.agents.seller import Seller
from channelsim.config.schema import ScenarioEvent
from channelsim.domain import Segment
from channelsim.experiment.run import simulate
from channelsim.model import ChannelModel

from .conftest import SMALL, WHOLE_SMALL

# the direct seller's capabilities (as market/china_pc_2002_duo.yaml has them), given to
# the vendor too
CAPABILITIES = (
    "unit_cost",
    "brand_trust",
    "build_to_order",
    "service",
    "consumer_availability",
    "field_reps",
    "rep_capacity",
)
DUO = ["market=china_pc_2002_duo"]  # the two-seller market
DIRECT = {name: getattr(compose(DUO).market.direct, name) for name in CAPABILITIES}
# the sellers' rows in the two-seller market (its order of sellers), and the first partner
# slot's offer column
DIRECT_ROW, VENDOR_ROW, PARTNER = 0, 1, 2
# many key accounts, so that a run's key-account share is more than noise
BIG_KEY = ["market.key_accounts_per_region=500", "market.mid_accounts_per_region=100"]


def alike(vendor: dict, direct: dict) -> list[str]:
    """Both sellers on the direct seller's policy, with these capabilities, and the same
    starting position: each the supplier of half the accounts, with the same ties."""
    overrides = [*DUO, "strategy=direct_seller", *BIG_KEY]
    overrides += [f"market.sellers.vendor.{k}={v}" for k, v in vendor.items()]
    overrides += [f"market.sellers.direct.{k}={v}" for k, v in direct.items()]
    for seg in ("mid", "key", "global"):
        for seller in ("vendor", "direct"):
            overrides += [
                f"market.sellers.{seller}.incumbent_{seg}=0.5",
                f"market.sellers.{seller}.relationship_{seg}=0.15",
            ]
    return overrides


def key_shares(overrides: list[str], seeds: range) -> tuple[np.ndarray, np.ndarray]:
    """Per seed: the vendor's and the direct seller's key-account share over 2003-2006."""
    base = compose(overrides)
    vendor, direct = [], []
    for seed in seeds:
        metrics, _ = simulate(dataclasses.replace(base, seed=seed))
        tail = metrics.tail(48)
        vendor.append(tail["share_vendor_key"].mean())
        direct.append(tail["share_direct_key"].mean())
    return np.array(vendor), np.array(direct)


def interval(diff: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size)
    return diff.mean() - half, diff.mean() + half


def test_two_sellers_alike_in_everything_share_the_key_accounts_evenly():
    vendor, direct = key_shares(alike(DIRECT, DIRECT), range(20))
    low, high = interval(vendor - direct)
    assert low > -0.02 and high < 0.02, (low, high)


def test_swapping_the_sellers_configurations_swaps_their_results():
    """The vendor with the direct seller's build-to-order and service against one
    without, then the other way round: each takes the other's share."""
    weak = {**DIRECT, "build_to_order": 0.45, "service": 0.4}
    ahead, behind = key_shares(alike(DIRECT, weak), range(20))
    behind_swapped, ahead_swapped = key_shares(alike(weak, DIRECT), range(20))
    assert ahead.mean() - behind.mean() > 0.2  # the capabilities matter ...
    for a, b in ((ahead, ahead_swapped), (behind, behind_swapped)):
        low, high = interval(a - b)  # ... and only they: swapped, the shares swap
        assert low > -0.02 and high < 0.02, (low, high)


def test_the_vendor_copying_direct_sales_runs_the_direct_sellers_functions(monkeypatch):
    """Every step, each seller calls every method of Seller the other calls, as often:
    neither takes a path of its own."""
    calls: Counter[tuple[str, str]] = Counter()
    for name in ("assign_effort", "hear", "staff_the_force", "program_cost", "invoice_own_sales"):
        method = getattr(Seller, name)

        def spy(self, *args, _method=method, _name=name, **kwargs):
            calls[self.name, _name] += 1
            return _method(self, *args, **kwargs)

        monkeypatch.setattr(Seller, name, spy)
    offer = account_rules.own_offer

    def offer_spy(model, seller, *args):
        calls[seller.name, "own_offer"] += 1
        return offer(model, seller, *args)

    monkeypatch.setattr(account_rules, "own_offer", offer_spy)
    model = ChannelModel(compose([*SMALL, "strategy=direct", "steps=6"]))
    assert {type(s) for s in model.sellers} == {Seller}
    for _ in range(6):
        model.step()
    methods = {method for _, method in calls}
    assert len(methods) == 6
    for method in methods:
        assert calls["vendor", method] == calls["direct", method] > 0, method


# ------------------------------------------------- a direct seller given a channel
CHANNEL_SHARES = [
    "market.sellers.direct.partner_share=0.5",
    "market.sellers.vendor.partner_share=0.5",
]


def with_a_channel(overrides: list[str]) -> list[str]:
    """Both sellers on the relationship channel, with half the resellers each."""
    overrides = [o for o in overrides if not o.startswith("strategy=")]
    return [
        *overrides,
        "strategy=relationship_channel",
        "market.sellers.direct.policy=relationship_channel",
        *CHANNEL_SHARES,
    ]


def test_a_direct_seller_given_the_relationship_channel_sells_through_partners(monkeypatch):
    """Its partners win projects and sell over the counter, buy through its distributors,
    are trained on its budget and recruited as its relationship partners; its books carry
    its channel; and it runs the vendor's channel functions as often as the vendor."""
    calls: Counter[tuple[str, str]] = Counter()
    for name in ("set_terms", "program_cost", "invoice_distributors", "partners"):
        method = getattr(Seller, name)

        def spy(self, *args, _method=method, _name=name, **kwargs):
            calls[self.name, _name] += 1
            return _method(self, *args, **kwargs)

        monkeypatch.setattr(Seller, name, spy)
    model = ChannelModel(
        compose([*SMALL, "market.sellers.direct.policy=relationship_channel", *CHANNEL_SHARES])
    )
    d, t = model.direct_seller, model.resellers
    mine = t.seller == d.row
    assert mine[t.active].mean() == pytest.approx(0.5)
    partner_wins = channel_revenue = 0.0
    for _ in range(24):
        model.step()
        partner_wins += float(model.last["opportunities_won_direct"])
        channel_revenue += model.ledger["direct"]["channel_revenue"]
        assert model.ledger["direct"]["through_distributors"] == 1.0
    t = model.resellers  # the table grows as partners enter: read it again
    mine = t.seller == d.row
    assert channel_revenue > 0 and t.units[mine].sum() > 0
    assert t.key_wins[mine].sum() > 0  # its partners won key and global projects
    assert t.relationship_partner[mine].any()
    # its training budget goes to its partners, the vendor's to the vendor's
    budget = d.policy.training_budget
    assert t.training[mine].sum() == pytest.approx(budget)
    assert t.training[~mine].sum() == pytest.approx(model.vendor.policy.training_budget)
    for method in ("set_terms", "program_cost", "invoice_distributors"):
        assert calls["direct", method] == calls["vendor", method] > 0, method
    assert d.program_cost(0.0)["training_budget"] == budget
    key = model.accounts.segment != Segment.MID
    assert model.joint[d.row, key].all()  # joint teams of its reps and partners


def test_two_sellers_alike_with_channels_of_their_own_share_the_key_accounts_evenly():
    """The symmetric test again, both on the relationship channel with half the resellers
    each: a channel gives neither seller an edge of its own. (The seeds' difference has a
    standard deviation of about 0.026: at 40 seeds an edge of 0.012 fails the test.)"""
    vendor, direct = key_shares(with_a_channel(alike(DIRECT, DIRECT)), range(40))
    assert direct.mean() > 0.3  # both sell, through their partners and joint teams
    low, high = interval(vendor - direct)
    assert low > -0.02 and high < 0.02, (low, high)


def test_at_the_start_an_accounts_strongest_partner_tie_is_with_its_incumbents_partner():
    model = ChannelModel(compose([*SMALL, *with_a_channel([])]))
    a, t = model.accounts, model.resellers
    theirs = t.seller[a.cover] == a.incumbent[:, None]
    strongest = np.argmax(a.rel_partner, axis=1)
    covered = theirs.any(axis=1)
    assert covered.mean() > 0.5 and (~covered).any()
    assert theirs[covered, strongest[covered]].all()


def test_a_leaving_partners_accounts_go_to_a_partner_of_its_own_seller_first():
    from channelsim.agents import reseller as reseller_rules

    model = ChannelModel(compose([*SMALL, *with_a_channel([])]))
    a, t = model.accounts, model.resellers
    leaver = int(np.flatnonzero(t.active & (t.seller == DIRECT_ROW))[0])
    rows, slots = np.nonzero(a.cover == leaver)
    reseller_rules.retire(model, np.array([leaver]))
    heirs = a.cover[rows, slots]
    assert (heirs != leaver).all() and t.active[heirs].all()
    assert (t.seller[heirs] == DIRECT_ROW).all()  # the region has others of its seller


def test_a_dated_change_of_the_direct_sellers_policy_replans_its_partners_at_once():
    cfg = compose(
        [
            *SMALL,
            "market.sellers.direct.policy=traditional_channel",
            *CHANNEL_SHARES,
            "steps=3",
        ]
    )
    change = {"sellers.direct.policy.account_planning": True}
    event = ScenarioEvent(date="2002-02", market=change, source="test")
    cfg.scenario = dataclasses.replace(cfg.scenario, name="plan", events=[event])
    model = ChannelModel(cfg)
    model.step()
    a, t = model.accounts, model.resellers
    assert (a.owner[DIRECT_ROW] == -1).all()
    model.step()  # 2002-02: its partners are planned owners at once, not at the quarter
    key = (a.segment != Segment.MID) & (t.seller[a.cover] == DIRECT_ROW).any(axis=1)
    assert (a.owner[DIRECT_ROW, key] >= 0).all()


def months_at_quarter_end(monkeypatch) -> None:
    monkeypatch.setattr(ChannelModel, "month_in_quarter", property(lambda self: 2))


def test_the_field_force_grows_while_reps_pay_and_shrinks_when_they_do_not(monkeypatch):
    months_at_quarter_end(monkeypatch)
    model = ChannelModel(compose([*SMALL, "strategy=relationship_channel"]))
    vendor, cost = model.vendor, model.market.am_cost
    assert (vendor.reps, vendor.policy.account_managers, vendor.policy.hiring_limit) == (
        20,
        40,
        1.0,
    )
    for _ in range(3):  # twelve months' average not yet known: three months at least
        vendor.staff_the_force(20 * cost)  # each rep's margin covers its cost, exactly
    assert vendor.reps == 25  # a quarter of its yearly hiring limit: 20 * 1.0 / 4
    for _ in range(12):
        vendor.staff_the_force(0.0)  # the reps bring in nothing
    reps = vendor.reps
    assert 1 < reps < 25
    # a good month (half a year's cost of every rep) leaves the year's average below cost
    vendor.staff_the_force(reps * cost * 6)
    assert vendor.reps < reps


def test_the_field_force_stops_at_its_policys_plan_and_without_a_hiring_limit(monkeypatch):
    months_at_quarter_end(monkeypatch)
    model = ChannelModel(compose([*SMALL, "strategy=relationship_channel"]))
    vendor = model.vendor
    for _ in range(20):
        vendor.staff_the_force(1e9)
    assert vendor.reps == 40  # account_managers: what the policy plans
    model = ChannelModel(compose([*SMALL, "strategy.hiring_limit=0"]))
    for _ in range(20):
        model.vendor.staff_the_force(1e9)
    assert model.vendor.reps == 20


def test_a_seller_without_reps_hires_one_to_learn_what_a_rep_brings(monkeypatch):
    months_at_quarter_end(monkeypatch)
    model = ChannelModel(compose([*SMALL, "market.sellers.vendor.field_reps=0"]))
    vendor = model.vendor
    assert vendor.reps == 0
    for _ in range(2):
        vendor.staff_the_force(0.0)
    assert vendor.reps == 0  # three months of evidence first
    vendor.staff_the_force(0.0)
    assert vendor.reps == 1


def test_months_before_any_decision_are_no_evidence(monkeypatch):
    months_at_quarter_end(monkeypatch)
    model = ChannelModel(compose([*SMALL, "strategy=relationship_channel"]))
    vendor = model.vendor
    for _ in range(5):
        vendor.staff_the_force(0.0, evidence=False)
    assert vendor.reps == 20 and not vendor.rep_margin


def test_the_margin_a_sellers_reps_bring_in_by_hand():
    """Its own wins at its price less its unit cost, its partners' wins at what it
    receives (their cost less the distributors' margin) less its unit cost, on worked
    accounts only."""
    from channelsim.agents.records import Decisions
    from channelsim.books import rep_margin

    model = ChannelModel(compose([*SMALL, "strategy=relationship_channel"]))
    a, vendor = model.accounts, model.vendor
    rows = np.array([0, 1, 2, 3])
    a.effort[vendor.row] = 0.0
    a.effort[vendor.row, rows[:3]] = 1.0  # its reps worked the first three
    pick = np.array([VENDOR_ROW, PARTNER, DIRECT_ROW, PARTNER + 1])
    attributes = np.zeros((4, PARTNER + 3, 5))
    attributes[:, vendor.row, 0] = 0.9
    partner_won = pick >= PARTNER
    decisions = Decisions(
        rows=rows,
        attributes=attributes,
        available=np.ones((4, PARTNER + 3), bool),
        utility=np.zeros((4, PARTNER + 3)),
        units=np.array([10.0, 20.0, 30.0, 40.0]),
        pick=pick,
        offered_by=np.tile([DIRECT_ROW, VENDOR_ROW, VENDOR_ROW, VENDOR_ROW, VENDOR_ROW], (4, 1)),
        won_by=np.array([VENDOR_ROW, VENDOR_ROW, DIRECT_ROW, VENDOR_ROW]),
        partner_row=np.array([5, 6]),  # the partners that won the 2nd and 4th
        partner_units=np.array([20.0, 40.0]),
        partner_cost=np.array([0.85, 0.85]),
        partner_price=np.array([0.9, 0.9]),
        sellers=2,
    )
    assert partner_won.sum() == 2
    unit_cost, channel = vendor.capabilities.unit_cost, model.market.distributor_margin
    expected = 10 * (0.9 - unit_cost) + 20 * (0.85 / (1 + channel) - unit_cost)
    assert rep_margin(model, decisions, vendor) == pytest.approx(expected, rel=1e-12)
    assert rep_margin(model, decisions, model.direct_seller) == 0.0  # its reps worked none


@pytest.mark.parametrize("am_cost", [0.0, 1e6])
def test_a_run_hires_only_reps_that_pay(am_cost):
    """Reps that cost nothing always pay: the force grows to its plan. Reps that cost a
    fortune never do: it shrinks to one."""
    metrics, model = simulate(compose([*SMALL, f"market.am_cost={am_cost}", "steps=36"]))
    for seller in model.sellers:
        start = min(seller.capabilities.field_reps, seller.policy.account_managers)
        reps = metrics[f"field_reps_{seller.name}"]
        if am_cost == 0:
            assert reps.iloc[-1] > start and reps.is_monotonic_increasing
        else:
            assert reps.iloc[-1] == 1 and reps.is_monotonic_decreasing


def test_the_network_figure_shows_the_direct_seller_when_it_has_partners():
    from channelsim.analysis.figures import network_layout
    from channelsim.network import channel_graph

    model = ChannelModel(compose([*SMALL, *with_a_channel([])]))
    assert "direct_seller" in network_layout(model)
    graph = channel_graph(model)
    theirs = [n for n, d in graph.nodes(data=True) if d.get("seller") == "direct_seller"]
    assert theirs and all(graph.has_edge("direct_seller", f"d{i}") for i in range(3))
    assert "direct_seller" not in network_layout(ChannelModel(compose(SMALL)))


# ---------------------------------------------------------------- any number of sellers
FIFTH = [  # a brand with resellers of its own, taking a fifth of them from the vendor
    "+seller@market.sellers.acer=channel_brand",
    "market.sellers.acer.partner_share=0.25",
    "market.sellers.vendor.partner_share=0.75",
]


def test_a_seller_added_on_the_command_line_sells_and_the_shares_of_all_add_up_to_one():
    config = compose([*SMALL, *FIFTH, "+seller@market.sellers.smalldirect=direct_brand"])
    assert list(config.market.sellers) == ["direct", "vendor", "acer", "smalldirect"]
    assert config.market.sellers["acer"].policy.name == "traditional_channel"
    assert config.market.sellers["smalldirect"].policy.name == "direct_seller"
    start = ChannelModel(config).resellers  # a quarter of the resellers carry its products
    assert (start.seller[start.active] == 2).mean() == 0.25
    metrics, model = simulate(dataclasses.replace(config, steps=12))
    assert [s.name for s in model.sellers] == list(config.market.sellers)
    for segment in ("key", "global", "mid", "txn", "total"):
        columns = [f"share_{name}_{segment}" for name in config.market.sellers]
        sold = metrics[columns].dropna()
        assert len(sold) > 0 and np.allclose(sold.sum(axis=1), 1.0), segment
    assert metrics["units_acer"].sum() > 0 and metrics["share_acer_txn"].iloc[-1] > 0
    assert {"profit_acer", "revenue_smalldirect", "units_smalldirect"} <= set(metrics)


def test_a_market_without_the_direct_seller_runs_and_reports_it_at_nothing():
    config = compose([*SMALL, "~market.sellers.direct", "steps=6"])
    assert list(config.market.sellers) == ["vendor"]
    metrics, model = simulate(config)
    assert model.direct_seller is None
    sold = metrics.dropna(subset=["share_vendor_total"])
    assert (sold["share_vendor_total"] == 1.0).all() and (sold["share_direct_total"] == 0).all()
    assert (metrics[["profit_direct", "units_direct", "field_reps_direct"]] == 0).all().all()


def test_a_rival_switches_to_the_relationship_channel_from_the_command_line():
    config = compose(
        [
            "market.sellers.globalbrands.policy=relationship_channel",
            "market.sellers.globalbrands.policy.rebate_rate=0.01",
        ]
    )
    policy = config.market.sellers["globalbrands"].policy
    assert compose([]).market.sellers["globalbrands"].policy.name == "traditional_channel"
    assert (policy.name, policy.key_route, policy.rebate_rate) == (
        "relationship_channel",
        "joint_team",
        0.01,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["+seller@market.sellers.key=channel_brand"], "market.sellers.key is not allowed"),
        (["+seller@market.sellers.hp_1=channel_brand"], "lowercase letters and digits"),
        (
            ["~market.sellers.vendor"],
            "market.focal='vendor': the focal vendor is one of the market's sellers",
        ),
        (["market.sellers.hp.unit_cost=0.9"], "the market has no seller 'hp'"),
        (["+seller@market.sellers.hp=nosuch"], "is not allowed: one of channel_brand"),
        (["market.sellers.vendor.policy=dual"], "the focal vendor's policy is strategy.*"),
        (["market.sellers.hp.policy=dual"], "the market has no seller 'hp'"),
        (["+seller@market.sellers.hp=channel_brand"], "market.sellers.hp.partner_share is 0"),
    ],
)
def test_sellers_are_named_and_added_by_the_rules(overrides, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        compose(overrides)


# ---------------------------------------------------------------- acquisitions
IBM = [  # a brand with resellers of its own, as IBM's PC business was
    "+seller@market.sellers.ibm=channel_brand",
    "market.sellers.ibm.partner_share=0.5",
    "market.sellers.vendor.partner_share=0.5",
    "market.sellers.ibm.incumbent_key=0.7",
    "market.sellers.ibm.incumbent_mid=0.8",
]


def test_an_acquisition_moves_its_share_of_the_sellers_accounts_ties_partners_and_reps():
    from tests.test_invariants import check_partner_books

    model = ChannelModel(compose([*SMALL, *IBM, "strategy.payment_terms=2"]))
    for _ in range(3):
        model.step()
    a, t = model.accounts, model.resellers
    vendor, ibm = model.vendor, model.sellers[2]
    theirs = a.incumbent == ibm.row
    ties = a.rel.copy()
    partners = t.active & (t.seller == ibm.row)
    reps, availability = (vendor.reps, ibm.reps), ibm.capabilities.consumer_availability
    model.acquire("vendor", "ibm", 0.5)
    moved = theirs & (a.incumbent == vendor.row)
    assert (a.incumbent[theirs & ~moved] == ibm.row).all()  # the rest stay its own
    assert abs(moved.sum() / theirs.sum() - 0.5) < 0.08, (moved.sum(), theirs.sum())
    assert (a.rel[vendor.row, moved] == np.maximum(ties[vendor.row], ties[ibm.row])[moved]).all()
    assert (a.rel[ibm.row, moved] == 0).all() and (a.owner[ibm.row, moved] == -1).all()
    switched = partners & (t.seller == vendor.row)
    assert 0.3 < switched.sum() / partners.sum() < 0.7
    assert vendor.reps + ibm.reps == sum(reps) and ibm.reps == reps[1] - round(reps[1] * 0.5)
    assert ibm.capabilities.consumer_availability == pytest.approx(availability / 2)
    check_partner_books(model)  # what the partners owe moved to the buyer's books


def test_an_acquisition_is_a_dated_event_of_the_scenario():
    config = compose([*SMALL, *IBM, "steps=6"])
    deal = {"buyer": "vendor", "seller": "ibm", "share": 0.6}
    config.scenario.events.append(ScenarioEvent(date="2002-04", acquisition=deal, source="test"))
    model = ChannelModel(config)
    for _ in range(3):
        model.step()
    before = int((model.resellers.active & (model.resellers.seller == 2)).sum())
    model.step()
    after = int((model.resellers.active & (model.resellers.seller == 2)).sum())
    assert ("2002-04", "acquisition: vendor buys 60% of ibm") in model.changes
    assert after < 0.6 * before


@pytest.mark.parametrize(
    ("deal", "message"),
    [
        ({"buyer": "lenovo", "seller": "ibm", "share": 0.5}, "buyer='lenovo' is not a seller"),
        ({"buyer": "ibm", "seller": "ibm", "share": 0.5}, "the buyer and the seller are one"),
        ({"buyer": "vendor", "seller": "ibm", "share": 0.0}, "share=0.0 is not allowed"),
        ({"buyer": "vendor", "seller": "ibm"}, "expected the keys buyer, seller, share"),
    ],
)
def test_an_acquisition_names_two_sellers_and_a_share(deal, message):
    config = compose([*SMALL, *IBM])
    config.scenario.events.append(ScenarioEvent(date="2002-04", acquisition=deal))
    with pytest.raises(ConfigError, match=re.escape(message)):
        ChannelModel(config)


@pytest.mark.parametrize("scenario", ["history", "stay_traditional", "copy_direct"])
def test_each_scenario_of_the_case_has_the_vendor_buy_ibms_part_of_the_global_brands(scenario):
    config = compose([*WHOLE_SMALL, f"scenario={scenario}"])
    (deal,) = [e for e in config.scenario.events if e.acquisition]
    assert (deal.date, deal.acquisition) == (
        "2005-05",
        {"buyer": "vendor", "seller": "globalbrands", "share": 0.4},
    )


def test_the_purchase_of_ibm_moves_resellers_from_the_global_brands_to_the_vendor_in_may_2005():
    config = dataclasses.replace(compose([*WHOLE_SMALL, "scenario=history"]), steps=41)
    model = ChannelModel(config)
    row = {seller.name: seller.row for seller in model.sellers}
    for _ in range(40):  # to 2005-04
        model.step()
    t = model.resellers
    was = t.seller.copy(), t.active.copy()
    model.step()  # 2005-05
    assert ("2005-05", "acquisition: vendor buys 40% of globalbrands") in model.changes
    carried = was[1] & (was[0] == row["globalbrands"])
    moved = carried & (model.resellers.seller[: was[0].size] == row["vendor"])
    # about 0.4 of the global brands' resellers now carry the vendor's products
    assert 0 < moved.sum() < carried.sum()
    assert not (
        was[1]
        & (was[0] == row["vendor"])
        & (model.resellers.seller[: was[0].size] != row["vendor"])
    ).any()


def test_an_event_about_a_seller_the_market_lacks_is_left_out_with_a_note(capsys, fresh_notes):
    from channelsim.config.compose import compose_run

    duo = compose_run(["market=china_pc_2002_duo", "scenario=history"]).config
    assert not [e for e in duo.scenario.events if e.acquisition]
    assert len(duo.scenario.events) == 4  # the three policies and the direct seller's exit
    err = capsys.readouterr().err
    assert err.count("channelsim: note:") == 1
    assert (
        "scenario history: its 2005-05 event left out of market china_pc_2002_duo, which has "
        "no seller globalbrands" in err
    )
    alone = compose_run(["~market.sellers.direct", "scenario=stay_traditional"]).config
    assert [e.date for e in alone.scenario.events] == ["2002-01", "2005-05"]
