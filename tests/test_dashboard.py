"""The dashboard: its runs, what it shows and the words of its figures' marks, then the
page in a real browser (Playwright driving Debian's chromium against `channelsim
dashboard` started as a user starts it; tests/driver.py): the run view, compare mode and
the map page, in English and in Chinese. Every wait is bounded."""

from __future__ import annotations

import json
import math
import re
import socket
import sys

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from channelsim import ConfigError, cli
from channelsim.analysis.figures import (
    change_marks,
    change_text,
    compare_figure,
    network_figure,
    profits_figure,
    seller_shares_figure,
)
from channelsim.analysis.maps import read_map_folder
from channelsim.dashboard.app import (
    BUILTIN_MAP,
    OPENING,
    DashboardModel,
    LeverChoices,
    Session,
    cases,
    echoes,
    key_share_text,
    open_run,
    seller_names,
    total_share_text,
    with_market,
)
from channelsim.experiment.run import metrics_frame
from tests.conftest import SMALL
from tests.driver import chromium, expect_model, open_page, show, step
from tests.serving import dashboard

MARKET = tuple(SMALL)
# the default market of five sellers, as small (the page takes market.KEY=VALUE only)
SIZES = tuple(o for o in SMALL if o.startswith("market."))
FIVE = ("market=china_pc_2002", *SIZES)


# ---------------------------------------------------------------- the runs
def test_a_run_opens_a_year_in():
    model = open_run(market=MARKET)
    assert (model.steps, model.date, OPENING) == (12, "2002-12", 12)
    plain = DashboardModel(market=MARKET)
    for _ in range(12):
        plain.step()
    pd.testing.assert_frame_equal(metrics_frame(model), metrics_frame(plain))


def test_compare_mode_steps_two_runs_at_one_seed_together():
    session = Session(market=MARKET)
    session.seed = 3
    session.reset("compare")
    left, right = session.models["left"], session.models["right"]
    assert (left.case, right.case) == ("history", "copy_direct")
    assert left.config.seed == right.config.seed == 3
    session.step("compare")
    assert left.steps == right.steps == OPENING + 1
    # until 2004 the two scenarios are the same run
    pd.testing.assert_frame_equal(metrics_frame(left), metrics_frame(right))
    assert session.models["run"].steps == OPENING  # the run view's run waits


def test_levers_set_for_one_side_change_that_side_alone():
    session = Session(market=MARKET)
    session.reset("compare")
    session.set_levers(("right",), "customer_care", True)
    assert session.models["right"].strategy.customer_care
    assert not session.models["left"].strategy.customer_care
    session.reset("compare")  # the choice carries into the side's next run
    assert session.models["right"].held_levers == {"customer_care": True}
    assert session.models["left"].held_levers == {}
    session.release(("left", "right"))
    assert session.models["right"].held_levers == {}


def test_a_map_cell_opens_its_market_under_its_winner():
    session = Session(market=MARKET)
    cell = {"x": 0.5, "y": 0.7, "overrides": ["market.population.in_house_it=0.5"]}
    session.open_cell(cell, "direct", "x=0.5, y=0.7")
    model = session.models["run"]
    assert model.config.market.population.in_house_it == 0.5
    assert (model.case, model.strategy.name, model.steps) == ("strategy: direct", "direct", 12)
    assert model.market.n_regions == 3  # the page's own sizes still apply
    session.open_cell(cell, "no clear winner", "x=0.5, y=0.7")
    assert session.models["run"].case == "strategy: direct"  # the case picked before
    session.leave_cell()
    assert session.models["run"].config.market.population.in_house_it == 0.2


def test_a_slider_snapping_a_preset_s_value_sets_nothing():
    # the direct preset's training budget, 20, between a slider's steps of 50 would snap
    assert echoes("training_budget", 20.0, 0.0) is False  # a step of 10: a real move
    assert echoes("training_budget", 20.0, 24.0) is True
    assert echoes("rebate_rate", 0.01, 0.01) and not echoes("rebate_rate", 0.01, 0.015)
    assert echoes("customer_care", True, True) and not echoes("customer_care", True, False)
    session = Session(market=MARKET)
    session.set_levers(("run",), "training_budget", 50.0)
    assert session.models["run"].held_levers == {"training_budget": 50.0}


def test_a_cell_s_keys_win_over_the_page_s():
    cell = ("market.n_regions=5", "market.growth=0.2")
    page = ("market.n_regions=3", "market.global_accounts=8")
    assert with_market(cell, page) == (*cell, "market.global_accounts=8")


def test_the_adapter_builds_what_compose_builds():
    from channelsim import ChannelModel, compose

    page = DashboardModel(case="copy_direct", seed=3, market=MARKET)
    plain = ChannelModel(compose(["scenario=copy_direct", "seed=3", *MARKET]))
    for _ in range(30):
        page.step()
        plain.step()
    pd.testing.assert_frame_equal(metrics_frame(page), metrics_frame(plain))


def test_levers_chosen_on_the_page_start_the_next_run():
    choices = LeverChoices({"customer_care": True, "rebate_rate": 0.05})
    model = DashboardModel(levers=choices, market=MARKET)
    for _ in range(30):  # through history's switch to the relationship channel
        model.step()
    assert (model.strategy.customer_care, model.strategy.rebate_rate) == (True, 0.05)


def test_the_run_stops_at_its_last_month():
    model = DashboardModel(market=(*MARKET, "market.start=2002-01"))
    while model.running:
        model.step()
    assert (model.steps, model.date) == (60, "2006-12")


def test_every_case_is_a_scenario_or_a_strategy_and_a_bad_one_is_refused():
    assert list(cases())[:3] == ["history", "stay_traditional", "copy_direct"]
    assert cases()["strategy: relationship_channel"] == "strategy: relationship_channel"
    assert cases("zh")["渠道策略: 关系型渠道"] == "strategy: relationship_channel"
    assert DashboardModel(case="模仿直销", market=MARKET).config.scenario.name == "copy_direct"
    with pytest.raises(ConfigError, match="nosuch"):
        DashboardModel(case="nosuch", market=MARKET)


def test_a_market_without_key_accounts_still_draws():
    model = DashboardModel(market=(*MARKET, "market.key_accounts_per_region=0"))
    for _ in range(3):
        model.step()
    fig = network_figure(model, model.layout)
    assert fig.axes[0].get_title().startswith("The channel network")


def test_the_headline_key_share_is_the_mean_of_the_last_three_months():
    model = DashboardModel(market=MARKET)
    assert key_share_text(model) == "—"
    for _ in range(6):
        model.step()
    months = np.asarray(model.datacollector.model_vars["share_vendor_key"], dtype=float)
    assert key_share_text(model) == f"{np.nanmean(months[-3:]):.3f}"
    assert len(months) == 6 and not math.isclose(months[-1], np.nanmean(months[-3:]))


def test_every_sellers_share_of_the_whole_market_is_shown_as_the_model_holds_it():
    model = DashboardModel(market=FIVE)
    sellers = seller_names(model)
    assert sellers == ["vendor", "direct", "globalbrands", "localbrands", "others"]
    assert [total_share_text(model, seller) for seller in sellers] == ["—"] * 5
    for _ in range(4):
        model.step()
    shares = [model.last[f"share_{seller}_total"] for seller in sellers]
    assert [total_share_text(model, seller) for seller in sellers] == [f"{x:.3f}" for x in shares]
    assert sum(shares) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("en", ["vendor", "direct seller", "global brands", "local brands", "others"]),
        ("zh", ["厂商", "直销厂商", "国际品牌", "本土品牌", "其他"]),
    ],
)
def test_the_seller_chart_names_every_seller(lang, names):
    model = DashboardModel(market=FIVE, lang=lang)
    for _ in range(3):
        model.step()
    fig = seller_shares_figure(metrics_frame(model), list(model.changes), lang, seller_names(model))
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == names


def test_the_two_seller_market_shows_its_two_sellers():
    model = DashboardModel(market=("market=china_pc_2002_duo", *FIVE[1:]))
    assert seller_names(model) == ["vendor", "direct"]
    model.step()
    fig = seller_shares_figure(metrics_frame(model), [], "en", seller_names(model))
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "vendor",
        "direct seller",
    ]


def test_without_the_viz_extra_the_command_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    assert cli.main(["dashboard"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "channelsim: error: the dashboard needs the viz extra: pip install 'channelsim[viz]' "
        "(or: make dashboard) (missing: uvicorn)"
    )


def test_a_port_in_use_is_one_line(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err and "pick another with --port N" in err


# ---------------------------------------------------------------- the marks' words
@pytest.mark.parametrize(
    ("label", "en", "zh"),
    [
        ("relationship_channel", "relationship channel", "关系型渠道"),
        (
            "levers: customer_care=True, rebate_rate=0.05",
            "you set Customer care on, Rebate rate 0.05",
            "手动设定: 客户关怀 开, 返利比例 0.05",
        ),
        (
            "event: sellers.direct.consumer_reach=0.8",
            "direct seller leaves the low end",
            "直销厂商退出低端市场",
        ),
        ("event: sellers.dell.unit_cost=0.7", "dell: unit cost 0.7", "dell: unit cost 0.7"),
        (
            "acquisition: vendor buys 40% of globalbrands",
            "vendor buys 40% of global brands",
            "厂商收购国际品牌的40%",
        ),
        ("policy: customer_care=True", "Customer care on", "客户关怀 开"),  # a scenario's
        ("my_preset", "my_preset", "my_preset"),
    ],
)
def test_a_change_is_marked_in_short_words_in_both_languages(label, en, zh):
    assert (change_text(label, "en"), change_text(label, "zh")) == (en, zh)


def test_marks_are_numbered_by_date_and_explained_under_the_figure():
    dates = ["2004-01", "2004-02", "2004-03"]
    changes = [("2004-03", "dual"), ("2004-01", "traditional_channel"), ("2004-02", "direct")]
    assert change_marks(dates, changes) == [("2004-02", "direct sales"), ("2004-03", "dual model")]
    metrics = pd.DataFrame(
        {
            "date": dates,
            **{c: [1.0, 2.0, 3.0] for c in ("profit_vendor", "profit_direct", "profit_resellers")},
        }
    )
    fig = profits_figure(metrics, changes)
    numbers = [t.get_text() for t in fig.axes[0].texts]
    assert numbers == ["1", "2"]  # horizontal, on the lines
    assert all(t.get_rotation() == 0 for t in fig.axes[0].texts)
    (legend,) = fig.texts
    assert legend.get_text() == "Marked:  1  2004-02  direct sales      2  2004-03  dual model"


def test_the_overlay_names_a_side_s_own_changes_with_the_side():
    left, right = (open_run(case, 0, None, MARKET) for case in ("history", "copy_direct"))
    for _ in range(20):  # to 2004-08
        left.step()
        right.step()
    runs = [(name, metrics_frame(m), list(m.changes)) for name, m in (("A", left), ("B", right))]
    fig = compare_figure(runs)
    assert [line.get_label() for line in fig.axes[0].get_lines()[:2]] == ["A", "B"]
    legend = fig.texts[-1]  # after the title
    assert legend.get_text() == (  # the event both runs share is marked once, unnamed
        "Marked:  1  2004-01  A: relationship channel      2  2004-01  B: direct sales      "
        "3  2004-08  direct seller leaves the low end"
    )


# ---------------------------------------------------------------- the map
def test_the_built_in_map_ships_and_every_cell_opens():
    cells, summary = read_map_folder(BUILTIN_MAP)
    spec = summary["map"]
    assert (spec["x"], spec["y"]) == (
        "market.population.in_house_it",
        "market.sellers.direct.unit_cost",
    )
    assert len(cells) == len(spec["cells"]) == 25
    assert set(cells["winner"]) <= {*spec["strategies"], "no clear winner"}
    for cell in spec["cells"][::6]:
        model = DashboardModel(market=with_market(tuple(cell["overrides"]), SIZES))
        assert model.config.market.population.in_house_it == pytest.approx(cell["x"])
        assert model.config.market.sellers["direct"].unit_cost == pytest.approx(cell["y"])


def test_a_folder_without_a_map_is_one_line(tmp_path, capsys):
    assert cli.main(["dashboard", "--map", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"channelsim: error: --map={tmp_path}: no strategy map there")
    (tmp_path / "map.csv").write_text(
        "x,y,strategy,mean,ci_low,ci_high,winner,margin,margin_low,margin_high\n"
    )
    (tmp_path / "summary.json").write_text(json.dumps({"map": {"x": "a", "y": "b"}}))
    with pytest.raises(ValueError, match="records no cells"):
        read_map_folder(tmp_path)


# ---------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def test_the_run_view_compare_mode_and_the_map_in_a_browser(browser, tmp_path):
    with dashboard(tmp_path, *SIZES) as url:
        page = open_page(browser, url)
        # the run view opens on history a year in: the numbers a student reads
        twin = open_run(market=SIZES)
        expect_model(page, twin)
        expect(page.get_by_test_id("month")).to_have_text("2002-12")
        expect(page.get_by_test_id("seed")).to_have_text("0")
        expect(page.get_by_text("Vendor's key-account share, 3-month mean")).to_be_visible()
        expect(page.get_by_text("This website runs on")).to_have_count(0)  # nothing over it
        for _ in range(3):
            step(page, twin)
            expect_model(page, twin)
        care = page.get_by_test_id("policy-customer_care")
        expect(care).to_have_text("off")  # history starts with the traditional channel
        page.locator("label").filter(has_text=re.compile(r"^Customer care$")).click()
        expect(care).to_have_text("on")
        twin.set_levers(customer_care=True)
        step(page, twin)
        expect_model(page, twin)
        expect(page.get_by_test_id("held")).to_have_text("Customer care on")

        other = open_page(browser, url)  # another person's tab: a run of its own
        expect(other.get_by_test_id("held")).to_have_text("—")
        step(other)
        expect(other.get_by_test_id("step")).to_have_text(str(OPENING + 1))
        expect(page.get_by_test_id("step")).to_have_text(str(twin.steps))
        other.context.close()

        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.get_by_test_id("step")).to_have_text(str(OPENING))
        expect(care).to_have_text("on")  # the choice carries into the new run
        page.get_by_role("button", name="Release my levers").click()
        expect(page.get_by_test_id("held")).to_have_text("—")

        # Play steps on its own until Pause; Step waits while it plays
        shown, step_button = page.get_by_test_id("step"), page.get_by_role("button", name="Step")
        page.get_by_role("button", name="Play", exact=True).click()
        expect(step_button).to_be_disabled()
        expect(shown).to_have_text(re.compile(r"^(1[5-9]|[2-6]\d)$"))  # three months on
        page.get_by_role("button", name="Pause", exact=True).click()
        expect(step_button).to_be_enabled()
        paused = int(shown.inner_text())
        step(page)
        expect(shown).to_have_text(str(paused + 1))
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(shown).to_have_text(str(OPENING))

        # compare mode: history and copy_direct at the same seed, stepping together; the
        # Step button stays the same one (the page draws the new view before the sidebar:
        # a click on a button about to be replaced would be lost)
        before = step_button.element_handle()
        show(page, "Compare")
        expect(page.get_by_text("Levers apply to:")).to_be_visible()  # the sidebar redrawn
        assert before.evaluate("button => button.isConnected")
        left, right = (open_run(case, 0, None, SIZES) for case in ("history", "copy_direct"))
        expect_model(page, left, "left-")
        expect_model(page, right, "right-")
        expect(page.get_by_test_id("right-name")).to_have_text("right: copy_direct")
        for _ in range(13):  # into 2004, where the two roads part
            step(page, left, right, prefix="left-")
        expect_model(page, left, "left-")
        expect_model(page, right, "right-")
        assert total_share_text(left, "vendor") != total_share_text(right, "vendor")
        toggle = page.get_by_role("button", name="right", exact=True)
        toggle.click()
        expect(toggle).to_have_class(re.compile(r"v-btn--active"))  # the panel shows right's
        expect(page.get_by_role("checkbox", name="Customer care")).not_to_be_checked()
        page.locator("label").filter(has_text=re.compile(r"^Customer care$")).click()
        expect(page.get_by_role("checkbox", name="Customer care")).to_be_checked()
        right.set_levers(customer_care=True)
        expect(page.get_by_test_id("right-held")).to_have_text("Customer care on")
        expect(page.get_by_test_id("left-held")).to_have_text("—")
        step(page, left, right, prefix="left-")
        expect_model(page, right, "right-")

        # the map page: a click on a cell runs its market in the run view
        show(page, "Strategy map")
        cells, summary = read_map_folder(BUILTIN_MAP)
        expect(page.locator("[data-testid^=cell-]")).to_have_count(len(cells))
        case = page.get_by_test_id("cell-0.25-0.81")
        expect(case).to_contain_text("★")
        expect(case).to_contain_text("relationship channel")
        case.click()
        expect(page.get_by_test_id("cell")).to_have_text("Market: map cell x=0.25, y=0.81")
        cell = min(summary["map"]["cells"], key=lambda c: abs(c["x"] - 0.25) + abs(c["y"] - 0.81))
        there = open_run(
            "strategy: relationship_channel", 0, None, with_market(tuple(cell["overrides"]), SIZES)
        )
        expect_model(page, there)
        page.context.close()


def test_the_page_in_chinese(browser, tmp_path):
    with dashboard(tmp_path, "--lang", "zh", *SIZES) as url:
        page = open_page(browser, url)
        twin = open_run(market=SIZES, lang="zh")
        expect_model(page, twin)
        step(page, twin)
        expect_model(page, twin)
        for words in ("渠道策略模拟", "厂商大客户份额(3个月均值)", "客户关怀", "项目报备"):
            expect(page.get_by_text(words).first).to_be_visible()
        expect(page.get_by_text("当前渠道政策 (传统渠道):")).to_be_visible()
        expect(page.get_by_text("整体市场份额").first).to_be_visible()
        show(page, "对比")
        expect(page.get_by_test_id("right-name")).to_have_text("右: 模仿直销")
        left = open_run("history", 0, None, SIZES, "zh")
        expect_model(page, left, "left-")
        show(page, "策略地图")
        expect(page.get_by_test_id("cell-0.25-0.81")).to_contain_text("关系型渠道")
        page.context.close()
