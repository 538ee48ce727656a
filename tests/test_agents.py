"""The model's agents are the market: who is in it at every step, entry beyond the table's
spare rows, and per-row attributes that read and write the model's tables; one model class
a kind of market, picked by one factory."""

from __future__ import annotations

import numpy as np
import pytest

from channelsim import ChannelModel, compose
from channelsim.agents import reseller as reseller_rules
from channelsim.agents.account import Account
from channelsim.agents.distributor import Distributor
from channelsim.agents.pricing_market import Manufacturer, Retailer
from channelsim.agents.regional_market import RegionalMarket
from channelsim.agents.reseller import Reseller
from channelsim.agents.seller import Seller
from channelsim.cli import SPECS
from channelsim.config.validate import ConfigError
from channelsim.domain import PartnerStatus, Segment, Tier
from channelsim.mechanics.partners import capability
from channelsim.models import build_model
from channelsim.pricing_model import LinearDuopoly, LinearMonopoly, PricingModel
from tests.conftest import SMALL


def counted(model: ChannelModel) -> dict[type, int]:
    return {kind: len(model.agents_by_type.get(kind, [])) for kind in model.agents_by_type}


def test_model_agents_are_the_active_market_at_every_step():
    """With tiering, partners are eliminated and others enter: every step, the Reseller
    agents are exactly the active rows, and every other kind is there once per entity."""
    model = ChannelModel(compose(["strategy.partner_tiering=true", "steps=60"]))
    m, t, a = model.market, model.resellers, model.accounts
    for _ in range(60):
        model.step()
        t = model.resellers
        rows = sorted(agent.row for agent in model.agents_by_type[Reseller])
        assert rows == np.flatnonzero(t.active).tolist(), model.date
        assert all(r.status == PartnerStatus.ACTIVE for r in model.agents_by_type[Reseller])
        assert counted(model) == {
            Seller: len(m.sellers),
            Distributor: m.distributors,
            RegionalMarket: m.n_regions,
            Reseller: int(t.active.sum()),
            Account: a.n,
        }
    assert model.exits.sum() > 50 and model.entries.sum() > 10  # both ways were taken


def test_entry_goes_on_when_the_spare_rows_run_out():
    model = ChannelModel(compose([*SMALL, "market.entry_rate=1", "steps=4"]))
    size = model.resellers.n
    model.resellers_used = size - 1  # as if all spare rows but one had been taken
    # region 0 loses all its partners: it is thin, and entrants come
    reseller_rules.retire(model, np.flatnonzero(model.resellers.region == 0))
    model.step()
    t = model.resellers
    assert t.n > size and model.credit.size == t.n
    new = np.arange(size - 1, model.resellers_used)
    assert new.size >= 1 and model.entries.sum() == new.size
    assert t.active[new].all() and (t.region[new] == 0).all()
    active = np.flatnonzero(t.active).tolist()
    assert sorted(a.row for a in model.agents_by_type[Reseller]) == active
    for _ in range(3):  # and the months go on with the larger table
        model.step()
    assert np.isfinite(model.resellers.capital).all()


def test_agent_attributes_read_and_write_their_rows():
    model = ChannelModel(compose([*SMALL, "steps=3"]))
    for _ in range(3):
        model.step()
    a, t = model.accounts, model.resellers
    for account in list(model.agents_by_type[Account])[::37]:
        i = account.row
        assert account.size == a.size[i] and account.region == a.region[i]
        assert [account.relationship(s.row) for s in model.sellers] == a.rel[:, i].tolist()
        assert account.opp_open == a.opp_open[i]
        assert account.segment == Segment(a.segment[i])
        assert account.incumbent == model.sellers[a.incumbent[i]].name
        assert (account.rel_partner == a.rel_partner[i]).all()
    for partner in model.agents_by_type[Reseller]:
        r = partner.row
        assert partner.tier == Tier(t.tier[r]) and partner.region == t.region[r]
        assert (partner.skill, partner.knowledge, partner.competition) == (
            t.skill[r],
            t.knowledge[r],
            t.competition[r],
        )
        assert partner.capability == capability(t.skill, t.knowledge, t.competition)[r]
        assert (partner.service, partner.capital, partner.satisfaction, partner.markup) == (
            t.service[r],
            t.capital[r],
            t.satisfaction[r],
            t.markup[r],
        )
    first = next(iter(model.agents_by_type[Account]))
    first.size = 25.0  # an attribute writes its row
    assert a.size[first.row] == 25.0


def test_one_factory_picks_the_model_class_and_each_class_says_what_it_takes():
    assert type(build_model(compose(SMALL))) is ChannelModel
    for kind, cls in (("linear_monopoly", LinearMonopoly), ("linear_duopoly", LinearDuopoly)):
        model = build_model(compose([f"market={kind}"]))
        assert type(model) is cls and isinstance(model, PricingModel)
        assert not hasattr(model, "accounts")
        assert {type(a) for a in model.agents} <= {Manufacturer, Retailer}
    for command, spec in SPECS.items():
        assert ChannelModel.supports(command)
        if "market" in spec.groups:  # the help lists the markets the model class takes
            assert spec.pricing_markets == PricingModel.supports(command), command
    assert PricingModel.refusal("sweep", "m") == (
        "market=m is a textbook pricing market: use it with run or validate"
    )


def test_a_model_class_refuses_a_market_it_does_not_simulate():
    with pytest.raises(ConfigError, match="is a linear_monopoly market: ChannelModel simulates"):
        ChannelModel(compose(["market=linear_monopoly"]))
    with pytest.raises(ConfigError, match="LinearMonopoly simulates linear_monopoly"):
        LinearMonopoly(compose(SMALL))
    with pytest.raises(ConfigError, match="LinearDuopoly simulates linear_duopoly"):
        LinearDuopoly(compose(["market=linear_monopoly"]))
    with pytest.raises(TypeError, match="build LinearMonopoly or LinearDuopoly"):
        PricingModel(compose(["market=linear_monopoly"]))
