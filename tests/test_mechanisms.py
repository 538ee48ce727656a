"""Each mechanism in a small hand-built situation: its lever moves it the right way."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from channelsim import ChannelModel, compose
from channelsim.agents import account as account_rules
from channelsim.agents import regional_market as market_rules
from channelsim.agents import reseller as reseller_rules
from channelsim.agents.records import RetailSales
from channelsim.config.schema import ScenarioEvent
from channelsim.domain import Attribute, Segment, Stage


def model_with(overrides, small_overrides):
    return ChannelModel(compose(small_overrides + overrides))


def test_training_raises_partner_skill_and_knowledge(small_overrides):
    low = model_with(["strategy.training_budget=0"], small_overrides)
    high = model_with(["strategy.training_budget=2000"], small_overrides)
    before = high.resellers.skill.copy()
    reseller_rules.train(low)
    reseller_rules.train(high)
    active = high.resellers.active
    assert (high.resellers.skill[active] > low.resellers.skill[active]).all()
    assert (high.resellers.knowledge[active] > low.resellers.knowledge[active]).all()
    assert (high.resellers.skill[active] > before[active]).all()


def test_competitive_knowledge_only_when_taught(small_overrides):
    off = model_with(["strategy.training_competition=false"], small_overrides)
    on = model_with(["strategy.training_competition=true"], small_overrides)
    start = on.resellers.competition.copy()
    reseller_rules.train(off)
    reseller_rules.train(on)
    active = on.resellers.active
    assert (off.resellers.competition[active] <= start[active]).all()
    assert (on.resellers.competition[active] > start[active]).all()


@pytest.mark.parametrize("care", [False, True])
def test_customer_care_keeps_relationships_when_account_managers_leave(small_overrides, care):
    m = model_with(
        [
            f"strategy.customer_care={str(care).lower()}",
            "strategy.am_turnover=1.0",
            "market.partner_staff_turnover=0",
            "market.sellers.direct.policy.am_turnover=0",
            "market.relationship_decay=0",
        ],
        small_overrides,
    )
    a, v, d = m.accounts, m.vendor.row, m.direct_seller.row
    a.holder[v] = 0
    a.rel[v] = 0.8
    a.rel[d] = 0.0
    a.effort[:] = 0.0
    a.phone[:] = False
    a.effort_partner[:] = 0.0
    lost = account_rules.tend_relationships(m)
    keep = m.market.care_retention if care else m.market.company_retention
    assert a.rel[v] == pytest.approx(np.full(a.n, 0.8 * keep))
    assert lost == pytest.approx(a.n * 0.8 * (1 - keep))


def _gray_units(model):
    model.vendor.set_terms()
    t = model.resellers
    t.retail_price[:] = np.where(t.region == 0, 1.05, 0.95)  # region 0 is dear
    sales = RetailSales(
        retail_units=np.where(t.active, np.where(t.region == 0, 1000.0, 100.0), 0.0),
        own_units=np.zeros((2, 3)),
        own_price=np.ones((2, 3)),
        region_price=np.tile([1.05, 0.95, 0.95], (2, 1)),
    )
    return market_rules.gray_market(model, sales).gray_units


def test_enforcement_audits_and_penalties_lower_gray_market_units(small_overrides):
    base = [
        "strategy.audit_probability=0.1",
        "strategy.diversion_penalty=0.1",
        "market.regional_price_spread=0",
        "strategy.approval_levels=4",
    ]
    loose = _gray_units(model_with([*base, "strategy.map_enforced=false"], small_overrides))
    enforced = _gray_units(model_with([*base, "strategy.map_enforced=true"], small_overrides))
    audited = _gray_units(
        model_with(
            [*base[1:], "strategy.audit_probability=0.9", "strategy.map_enforced=false"],
            small_overrides,
        )
    )
    fined = _gray_units(
        model_with(
            [base[0], *base[2:], "strategy.diversion_penalty=1.0", "strategy.map_enforced=false"],
            small_overrides,
        )
    )
    assert loose > 0
    assert enforced < loose
    assert audited < loose
    assert fined == 0.0


def at_decision(model, units, *, capital=None, credit=None, direct=False, segments=(1,)):
    """Open a project of `units` at the decision stage for every account of `segments`,
    heard of by every covering partner (and by the direct seller if `direct`)."""
    a, t = model.accounts, model.resellers
    rows = np.flatnonzero(np.isin(a.segment, segments))
    model.vendor.set_terms()
    if capital is not None:
        t.capital[:] = capital
    if credit is not None:
        model.credit[:] = credit
    a.opp_open[:] = False
    a.opp_open[rows] = True
    a.opp_stage[rows] = Stage.DECISION
    a.opp_units[rows] = units
    a.found_partner[rows] = True
    a.found[model.direct_seller.row, rows] = direct
    a.registered[:, rows] = 0
    return account_rules.decide(model)


def _decision_case(small_overrides, registration: bool):
    m = model_with(
        [
            f"strategy.deal_registration={str(registration).lower()}",
            "strategy.key_route=reseller",
            "strategy.credit_multiple=5",
            "market.rules.approval_delay=0",  # every offer made this month
        ],
        small_overrides,
    )
    deal = at_decision(m, 50.0, capital=1e6, direct=True)  # every partner can finance it
    partner_offers = deal.available[:, deal.sellers :]
    prices = deal.attributes[:, deal.sellers :, Attribute.PRICE][partner_offers]
    return partner_offers.sum(axis=1), prices, m.resellers.complaint.mean()


def test_deal_registration_stops_partners_bidding_against_each_other(small_overrides):
    bidders_free, prices_free, complaints_free = _decision_case(small_overrides, False)
    bidders_reg, prices_reg, complaints_reg = _decision_case(small_overrides, True)
    assert (bidders_reg == 1).all()
    assert (bidders_free == 3).all()
    # rival partners cut their own margins; registered deals keep the partner's markup
    assert prices_free.mean() < prices_reg.mean()
    assert complaints_free > complaints_reg


def test_partner_cannot_take_a_project_beyond_capital_plus_credit(small_overrides):
    m = model_with(
        [
            "strategy.deal_registration=false",
            "strategy.key_route=reseller",
            "strategy.direct_assist=false",
        ],
        small_overrides,
    )
    deal = at_decision(m, 500.0, capital=1.0, credit=0.0)
    assert not deal.available[:, deal.sellers :].any()
    # with the vendor's credit for big projects, they can
    m2 = model_with(
        [
            "strategy.deal_registration=false",
            "strategy.key_route=reseller",
            "market.rules.approval_delay=0",  # every offer made this month
        ],
        small_overrides,
    )
    assert at_decision(m2, 500.0, capital=1.0, credit=1e6).available[:, deal.sellers :].all()


def test_build_to_order_fit_needs_erp(small_overrides):
    fits = {}
    for erp in (False, True):
        m = model_with([f"strategy.erp_integration={str(erp).lower()}"], small_overrides)
        deal = at_decision(m, 20.0)
        fits[erp] = deal.attributes[:, deal.sellers :, Attribute.FIT].mean()
    assert fits[True] > fits[False]


def test_phone_sales_discover_more_opportunities(small_overrides):
    found = {}
    for capacity in (0.0, 1.0):
        m = model_with(
            [
                f"market.sellers.direct.policy.phone_sales={capacity}",
                "market.sellers.direct.field_reps=0",
            ],
            small_overrides,
        )
        m.direct_seller.assign_effort()
        a = m.accounts
        d = m.direct_seller.row
        a.rel[d] = 0.0
        a.opp_open[:] = True
        a.found[d] = False
        account_rules.discover(m)
        found[capacity] = a.found[d, a.segment != Segment.GLOBAL].mean()
    assert found[1.0] > 0.7
    assert found[0.0] == 0.0


def test_incumbent_keeps_a_switching_advantage(small_overrides):
    shares = {}
    for incumbent in ("vendor", "direct"):
        m = model_with(["strategy.deal_registration=true"], small_overrides)
        m.accounts.incumbent[:] = m.vendor.row if incumbent == "vendor" else m.direct_seller.row
        deal = at_decision(m, 10.0, capital=1e6, direct=True, segments=(1, 2))
        shares[incumbent] = np.mean(deal.side(m.vendor.row))
    assert shares["vendor"] > shares["direct"]


def test_approval_levels_narrow_special_discounts(small_overrides):
    spread = {}
    for levels in (1, 4):
        m = model_with(
            [f"strategy.approval_levels={levels}", "strategy.partner_survey=false"], small_overrides
        )
        m.vendor.set_terms()
        spread[levels] = m.resellers.special[m.resellers.active].std()
    assert spread[4] < spread[1]


def test_online_store_sells_online_only_when_on(small_overrides):
    for on in (False, True):
        m = model_with([f"strategy.online_store={str(on).lower()}"], small_overrides)
        m.vendor.set_terms()
        txn = market_rules.transactional(m)
        assert (txn.own_units[m.vendor.row].sum() > 0) == on


def test_market_growth_raises_transactional_demand_each_year(small_overrides):
    m = model_with(["market.growth=0.2", "steps=25"], small_overrides)
    demand = []
    for _ in range(25):
        m.step()
        demand.append(m.region_demand.sum())
    assert demand[11] == pytest.approx(demand[0])
    assert demand[12] == pytest.approx(demand[0] * 1.2)
    assert demand[24] == pytest.approx(demand[0] * 1.44)


def test_scenario_switches_presets_at_their_dates(small_overrides):
    cfg = compose([*small_overrides, "scenario=history", "steps=49", "strategy.rebate_rate=0.07"])
    m = ChannelModel(cfg)
    seen = {}
    for _ in range(49):
        m.step()
        seen[m.date] = (m.strategy.name, m.strategy.rebate_rate)
    assert seen["2003-12"][0] == "traditional_channel"
    assert seen["2004-01"][0] == "relationship_channel"
    assert seen["2006-01"][0] == "dual"
    # command-line levers apply on top of whichever preset is in force
    assert {rate for _, rate in seen.values()} == {0.07}
    assert m.changes == [
        ("2002-01", "traditional_channel"),
        ("2004-01", "relationship_channel"),
        ("2004-08", "event: sellers.direct.consumer_reach=0.8"),
        ("2006-01", "dual"),
    ]


def test_lever_event_replans_accounts_at_once(small_overrides):
    cfg = compose([*small_overrides, "strategy=traditional_channel", "steps=3"])
    event = ScenarioEvent(date="2002-02", levers={"account_planning": True}, source="test")
    cfg.scenario = dataclasses.replace(cfg.scenario, name="plan", events=[event])
    m = ChannelModel(cfg)
    m.step()
    m.step()
    key = m.accounts.segment != Segment.MID
    assert (m.accounts.owner[m.vendor.row, key] >= 0).all()
    assert (m.accounts.owner[m.direct_seller.row] == -1).all()  # it plans no partners
    assert m.accounts.effort_partner[key].sum() > 0


def test_command_line_market_values_survive_dated_events():
    m = ChannelModel(
        compose(["scenario=history", "market.sellers.direct.consumer_reach=0", "steps=36"])
    )
    for _ in range(36):
        m.step()
    assert m.date == "2004-12"
    assert m.market.direct.consumer_reach == 0.0
    assert m.last["share_direct_txn"] == 0.0


def test_first_month_revenue_is_not_inflated_by_stocking_distributors():
    from channelsim.experiment.run import simulate

    metrics, _ = simulate(compose(["steps=3"]))
    first, second = metrics["revenue_vendor"].iloc[:2]
    assert first == pytest.approx(second, rel=0.25)


def test_discovery_registers_each_key_deal_to_one_partner(small_overrides):
    m = model_with(
        ["strategy.deal_registration=true", "market.partner_lead_rate=1.0"], small_overrides
    )
    a = m.accounts
    a.opp_open[:] = True
    a.found_partner[:] = False
    a.registered[:] = -1
    account_rules.discover(m)
    key = a.segment != Segment.MID
    heard = a.found_partner.any(axis=1)
    registered = a.registered[m.vendor.row]
    assert (registered[key & heard] >= 0).all()
    assert (registered[~key] == -1).all()
    assert (a.registered[m.direct_seller.row] == -1).all()  # it has no partners
    rows = np.flatnonzero(key & heard)
    assert a.found_partner[rows, registered[rows]].all()


def test_scenario_market_events_apply_at_their_date(small_overrides):
    cfg = compose([*small_overrides, "steps=8"])
    event = ScenarioEvent(
        date="2002-05", market={"sellers.direct.consumer_reach": 0.0}, source="test"
    )
    cfg.scenario = dataclasses.replace(cfg.scenario, name="exit", events=[event])
    m = ChannelModel(cfg)
    for _ in range(8):
        m.step()
        if m.date < "2002-05":
            assert m.market.direct.consumer_reach == 1.0
    assert m.market.direct.consumer_reach == 0.0
    assert m.last["share_direct_txn"] == 0.0


def test_exits_hand_accounts_to_partners_not_already_covering_them(small_overrides):
    m = model_with([], small_overrides)
    t, a = m.resellers, m.accounts
    region0 = np.flatnonzero(t.active & (t.region == 0))
    reseller_rules.retire(m, region0[: len(region0) // 2])
    covered = a.cover[a.region == 0]
    assert t.active[covered].all()
    assert (np.diff(np.sort(covered, axis=1), axis=1) > 0).all()


def test_a_leaving_partner_s_debt_is_partly_bad_debt(small_overrides):
    m = model_with(["strategy=relationship_channel"], small_overrides)
    t = m.resellers
    row = int(np.flatnonzero(t.active)[0])
    reseller_rules.lend(m, np.array([row]), np.array([100.0]))
    assert m.vendor.lent == 100.0
    m.bad_debt[:] = 0.0
    reseller_rules.retire(m, np.array([row]))
    lost = 100.0 * (1 - m.market.partners.default_recovery)
    assert m.bad_debt == pytest.approx([0.0, lost])  # the vendor's, whose partner it was
    assert t.receivable[row] == 0.0 and m.vendor.lent == 0.0 and t.due[row].sum() == 0.0


def test_a_purchase_on_credit_is_paid_from_cash_when_it_falls_due(small_overrides):
    """Bought on credit in month 3 on 2 months' terms: nothing is paid in months 3 and 4,
    the whole amount leaves the partner's cash in month 5; a partner short of cash then
    pays what it has and defaults on the rest."""
    m = model_with(["strategy=relationship_channel", "strategy.payment_terms=2"], small_overrides)
    t = m.resellers
    rich, poor = np.flatnonzero(t.active)[:2]
    rows = np.array([rich, poor])
    m.steps = 3
    reseller_rules.lend(m, rows, np.array([100.0, 100.0]))
    t.capital[rows] = [500.0, 30.0]
    for month in (3, 4):
        m.steps = month
        missed = reseller_rules.collect(m)
        assert t.capital[rows] == pytest.approx([500.0, 30.0]) and not missed[rows].any()
    m.steps = 5
    missed = reseller_rules.collect(m)
    assert t.repaid[rows] == pytest.approx([100.0, 30.0])
    assert t.capital[rows] == pytest.approx([400.0, 0.0])
    assert t.receivable[rows] == pytest.approx([0.0, 70.0]) and m.vendor.lent == 70.0
    assert missed[rows].tolist() == [False, True]
    m.bad_debt[:] = 0.0
    reseller_rules.retire(m, np.flatnonzero(missed))
    assert m.bad_debt[m.vendor.row] == pytest.approx(70.0 * 0.6)  # 40% recovered


def test_owners_draw_from_profitable_partners_above_what_the_business_keeps(small_overrides):
    """A partner keeps the usual capital for its staff (150 for 3 reps, 300 for 6); after a
    profitable month its owners take a tenth of the rest, after a loss nothing."""
    m = model_with(["strategy=relationship_channel"], small_overrides)
    t, p = m.resellers, m.market.partners
    rows = np.flatnonzero(t.active)[:3]
    usual = m.market.partner_capital * p.reserve / m.market.partner_reps  # a rep's share
    t.reps[rows] = [3.0, 6.0, 3.0]
    t.capital[rows] = [3 * usual + 500.0, 6 * usual + 500.0, 3 * usual + 500.0]
    t.profit[rows] = [10.0, 10.0, -10.0]  # the third lost money this month
    reseller_rules.draw(m)
    drawn = p.owner_draw * 500.0
    assert t.drawn[rows] == pytest.approx([drawn, drawn, 0.0])
    assert t.capital[rows] == pytest.approx(
        [3 * usual + 500.0 - drawn, 6 * usual + 500.0 - drawn, 3 * usual + 500.0]
    )


def test_diverters_pay_the_transport_of_what_they_divert(small_overrides):
    """Unaudited (no fines), a partner's month moves by the transport of what it diverted
    to the dear region: market.transport_cost of the list price a unit."""
    from channelsim.agents import regional_market
    from channelsim.agents.seller import LIST_PRICE

    overrides = [
        "strategy=traditional_channel",
        "strategy.audit_probability=0",
        "strategy.map_enforced=false",
        "market.regional_price_spread=0.3",
    ]
    m = model_with(overrides, small_overrides)
    m.step()
    t = m.resellers
    t.profit[:] = 0.0
    sales = regional_market.transactional(m)
    regional_market.divert(m, sales, m.vendor)
    assert t.diverted.sum() > 0  # some diverted, and only they paid
    transport = m.market.transport_cost * LIST_PRICE
    assert t.profit == pytest.approx(-t.diverted * transport)


def test_a_relationship_partner_needs_the_volume_and_when_recruiting_ties_or_skill(
    small_overrides,
):
    """The case's two principles: annual volume above the threshold, and, recruiting
    around key accounts, a strong key-account tie or key-account skill as well."""
    for recruit, expected in (("true", [True, True, False, False]), ("false", [True] * 3 + [0])):
        m = model_with(
            [
                "strategy.partner_selection_volume=1000",
                f"strategy.recruit_relationship_partners={recruit}",
            ],
            small_overrides,
        )
        t, a, p = m.resellers, m.accounts, m.market.partners
        a.rel_partner[:] = 0.0
        t.skill[:] = 0.0
        rows = np.flatnonzero(t.active)[:4]
        t.year_units[rows] = [1000.0, 1000.0, 1000.0, 999.0]
        t.skill[rows[0]] = p.recruit_skill  # skill
        key = np.flatnonzero((a.segment != Segment.MID) & (a.cover == rows[1]).any(axis=1))
        a.rel_partner[key[0], a.cover[key[0]] == rows[1]] = p.recruit_ties  # a tie
        t.skill[rows[3]] = 1.0  # skill without the volume
        reseller_rules.select_partners(m)
        assert t.relationship_partner[rows].tolist() == [bool(e) for e in expected], recruit


def test_relationships_and_trust_take_time_after_a_policy_switch(small_overrides):
    """The relationship channel from 2004-01 (history): joint teams form at once, but what
    a partner offers a buyer (its own tie, or what its team has built; the trust lent
    to it) rises month by month within the learning rule's bound, never in one step."""
    model = ChannelModel(compose([*small_overrides, "scenario=history", "steps=30"]))
    m, a = model.market, model.accounts
    team_rate = m.learn_face_to_face * m.partners.team_learning
    # the most a tie can gain in a month: the fastest partner's face-to-face learning in a
    # team and an order won, or what a team builds
    partner_rate = (
        m.learn_face_to_face * (m.partners.skill_learning + 1.0) * m.partners.team_learning
    )
    bound = max(partner_rate + m.buyers.win_tie, team_rate)
    offered, trust, cover = np.maximum(a.rel_partner, a.rel_team), a.team_trust, a.cover.copy()
    rises, teams_before = [], False
    for _ in range(30):
        model.step()
        now = np.maximum(a.rel_partner, a.rel_team)
        kept = a.cover == cover  # a slot whose partner left starts again from nothing
        rises.append(float((now - offered)[kept].max()))
        assert (a.team_trust - trust)[kept].max() <= team_rate + 1e-12
        if not teams_before and model.joint.any():  # the month the teams formed
            assert a.rel_team.max() <= team_rate + 1e-12
        teams_before = teams_before or bool(model.joint.any())
        offered, trust, cover = now, a.team_trust.copy(), a.cover.copy()
    assert max(rises) <= bound + 1e-12, max(rises)
    assert teams_before and a.team_trust.max() > 2 * team_rate  # the teams built up
