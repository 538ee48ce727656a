"""Levers changed mid-run (`ChannelModel.set_levers`), as the dashboard changes them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from channelsim import ChannelModel, ConfigError, compose
from channelsim.experiment.run import metrics_frame
from tests.conftest import SMALL


def stepped(model: ChannelModel, months: int) -> ChannelModel:
    for _ in range(months):
        model.step()
    return model


def test_levers_set_before_the_first_month_equal_the_same_levers_composed():
    by_override = stepped(
        ChannelModel(compose(["scenario=history", "strategy.customer_care=true", *SMALL])), 30
    )
    live = ChannelModel(compose(["scenario=history", *SMALL]))
    live.set_levers(customer_care=True)
    stepped(live, 30)
    pd.testing.assert_frame_equal(metrics_frame(live), metrics_frame(by_override))


def test_a_lever_set_mid_run_holds_through_the_scenarios_later_policy_changes():
    model = stepped(ChannelModel(compose(["scenario=history", *SMALL])), 10)
    assert model.strategy.name == "traditional_channel"
    assert model.strategy.customer_care is False
    model.set_levers(customer_care=True, rebate_rate=0.07)
    assert model.strategy.customer_care is True
    stepped(model, 15)  # 2004-01: history switches to relationship_channel
    assert model.strategy.name == "relationship_channel"
    model.set_levers(customer_care=False)
    stepped(model, 24)  # 2006-01: history switches to dual
    assert model.strategy.name == "dual"
    assert (model.strategy.customer_care, model.strategy.rebate_rate) == (False, 0.07)
    assert ("2002-11", "levers: customer_care=True, rebate_rate=0.07") in model.changes
    assert ("2004-02", "levers: customer_care=False") in model.changes


def test_a_lever_takes_effect_from_the_next_month_and_changes_the_run():
    base = stepped(ChannelModel(compose(["strategy=traditional_channel", *SMALL])), 6)
    changed = stepped(ChannelModel(compose(["strategy=traditional_channel", *SMALL])), 6)
    changed.set_levers(customer_care=True, am_turnover=0.3)
    assert (changed.strategy.customer_care, changed.strategy.am_turnover) == (True, 0.3)
    assert changed.changes == [("2002-07", "levers: customer_care=True, am_turnover=0.3")]
    stepped(base, 12)
    stepped(changed, 12)
    lost = metrics_frame(changed)["relationships_lost"].iloc[6:]
    assert not np.allclose(lost, metrics_frame(base)["relationships_lost"].iloc[6:])


def test_changes_before_the_next_month_make_one_mark():
    model = stepped(ChannelModel(compose(["strategy=traditional_channel", *SMALL])), 3)
    for rate in (0.01, 0.03, 0.05):  # a slider dragged
        model.set_levers(rebate_rate=rate)
    model.set_levers(customer_care=True)
    assert model.changes == [("2002-04", "levers: rebate_rate=0.05, customer_care=True")]
    stepped(model, 1)
    model.set_levers(rebate_rate=0.02)
    assert model.changes[-1] == ("2002-05", "levers: rebate_rate=0.02")
    assert len(model.changes) == 2


def test_released_levers_give_way_to_the_scenarios_next_switch():
    model = stepped(ChannelModel(compose(["scenario=history", *SMALL])), 10)
    marks = list(model.changes)
    model.set_levers(deal_registration=False)  # already off: held, not marked
    assert model.held_levers == {"deal_registration": False} and model.changes == marks
    model.release_levers()
    assert model.held_levers == {}
    stepped(model, 15)  # 2004-01: relationship_channel turns deal registration on
    assert model.strategy.deal_registration is True
    held = stepped(ChannelModel(compose(["scenario=history", *SMALL])), 10)
    held.set_levers(deal_registration=False)
    stepped(held, 15)
    assert held.strategy.deal_registration is False


def test_setting_a_lever_to_its_current_value_marks_nothing():
    model = ChannelModel(compose(["strategy=relationship_channel", *SMALL]))
    model.set_levers(customer_care=True)
    assert model.changes == []


@pytest.mark.parametrize(
    ("levers", "message"),
    [
        ({"customer_cares": True}, "strategy.customer_cares is not a lever; closest valid"),
        ({"name": "direct"}, "strategy.name is not a lever"),
        ({"rebate_rate": 0.9}, "strategy.rebate_rate=0.9 is not allowed"),
        ({"customer_care": "yes"}, "strategy.customer_care='yes' is not allowed"),
    ],
)
def test_bad_levers_are_refused_in_one_line_and_change_nothing(levers, message):
    model = ChannelModel(compose(SMALL))
    before = (model.strategy.rebate_rate, model.strategy.customer_care)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as info:
        model.set_levers(**levers)
    assert "\n" not in str(info.value)
    assert (model.strategy.rebate_rate, model.strategy.customer_care) == before
    assert model.changes == []
