"""The dashboard: its model adapter as SolaraViz uses it, and the page in a real browser
(Playwright driving Debian's chromium against `channelsim dashboard` started as a user
starts it). Every wait is bounded."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

import pandas as pd
import pytest
from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params
from playwright.sync_api import Page, expect, sync_playwright

from channelsim import ConfigError, cli
from channelsim.analysis.figures import network_figure, seller_shares_figure
from channelsim.dashboard.app import (
    DashboardModel,
    LeverChoices,
    cases,
    key_share_text,
    model_params,
    seller_names,
    total_share_text,
)
from channelsim.experiment.run import metrics_frame
from tests.conftest import SMALL
from tests.serving import START_S, dashboard

CHROMIUM = Path("/usr/bin/chromium")
MARKET = tuple(SMALL)
# the default market of five sellers, as small (the page takes market.KEY=VALUE only)
SIZES = tuple(o for o in SMALL if o.startswith("market."))
FIVE = ("market=china_pc_2002", *SIZES)
WAIT_MS = 30_000  # one page update


# ---------------------------------------------------------------- the adapter
def test_solaraviz_accepts_the_inputs_and_rebuilds_the_model_from_them():
    choices = LeverChoices()
    params = model_params(choices, "en", MARKET)
    model = DashboardModel(levers=choices, market=MARKET)
    _check_model_params(model, params)  # what SolaraViz checks against __init__
    inputs = {k: v["value"] if isinstance(v, dict) else v for k, v in params.items()}
    inputs.update(case="strategy: direct", seed=7)
    rebuilt = type(model)(**_build_model_init_kwargs(model, inputs, **REBUILD))
    assert (rebuilt.config.seed, rebuilt.config.scenario.name) == (7, "none")
    assert rebuilt.strategy.name == "direct"
    assert rebuilt.market.n_regions == 3


REBUILD = {"add_scenario_when_empty": True, "require_model_accepts_scenario": True}


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


def test_key_share_is_shown_as_the_model_holds_it():
    model = DashboardModel(market=MARKET)
    assert key_share_text(model) == "—"
    for _ in range(4):
        model.step()
    assert key_share_text(model) == f"{model.last['share_vendor_key']:.3f}"


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
        ("en", ["vendor", "direct seller", "globalbrands", "localbrands", "others"]),
        ("zh", ["厂商", "直销厂商", "globalbrands", "localbrands", "others"]),
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


# ---------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), (
        "/usr/bin/chromium is missing: `make test` run as root installs it; "
        "otherwise: apt-get install chromium (as root)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


def open_page(browser, url: str) -> Page:
    """A new tab in a new browser context (its own cookies: its own session)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    expect(page.get_by_test_id("step")).to_have_text("0", timeout=START_S * 1000)
    return page


def expect_model(page: Page, model: DashboardModel) -> None:
    """The page shows what `model` holds: its month, the vendor's key-account share and
    every seller's share of the whole market."""
    expect(page.get_by_test_id("step")).to_have_text(str(model.steps))
    expect(page.get_by_test_id("month")).to_have_text(model.date)
    expect(page.get_by_test_id("key-share")).to_have_text(key_share_text(model))
    for seller in seller_names(model):
        share = page.get_by_test_id(f"total-share-{seller}")
        expect(share).to_have_text(total_share_text(model, seller))


def test_step_switch_a_lever_and_reset_in_a_browser(browser, tmp_path):
    with dashboard(tmp_path, *SIZES) as url:
        page = open_page(browser, url)
        twin = DashboardModel(market=SIZES)  # the page's first run: history, seed 0
        expect_model(page, twin)
        expect(page.get_by_test_id("month")).to_have_text("2002-01")
        step = page.get_by_role("button", name="Step", exact=True)
        for _ in range(5):  # the first projects close in the fourth month
            step.click()
            twin.step()
            expect_model(page, twin)
        assert twin.date == "2002-05" and key_share_text(twin) != "—"

        care = page.get_by_test_id("policy-customer_care")
        expect(care).to_have_text("off")  # history starts with the traditional channel
        page.locator("label").filter(has_text=re.compile(r"^Customer care$")).click()
        expect(care).to_have_text("on")
        twin.set_levers(customer_care=True)
        for _ in range(3):
            step.click()
            twin.step()
            expect_model(page, twin)
        assert twin.strategy.customer_care

        expect(page.get_by_test_id("held")).to_have_text("Customer care on")

        other = open_page(browser, url)  # another person's tab: a run of its own
        expect(other.get_by_test_id("policy-customer_care")).to_have_text("off")
        expect(other.get_by_test_id("held")).to_have_text("—")
        other.get_by_role("button", name="Step", exact=True).click()
        expect(other.get_by_test_id("step")).to_have_text("1")
        expect(page.get_by_test_id("step")).to_have_text(str(twin.steps))
        other.context.close()

        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.get_by_test_id("step")).to_have_text("0")
        expect(page.get_by_test_id("month")).to_have_text("2002-01")
        expect(page.get_by_test_id("key-share")).to_have_text("—")
        expect(care).to_have_text("on")  # the choice carries into the new run
        expect(page.get_by_test_id("held")).to_have_text("Customer care on")

        page.get_by_role("button", name="Release my levers").click()
        expect(page.get_by_test_id("held")).to_have_text("—")
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.get_by_test_id("step")).to_have_text("0")
        expect(care).to_have_text("off")  # released: the scenario's own policy again
        page.context.close()


def test_the_page_in_chinese_shows_the_cases_terms(browser, tmp_path):
    with dashboard(tmp_path, "--lang", "zh", *SIZES) as url:
        page = open_page(browser, url)
        page.get_by_role("button", name="Step", exact=True).click()
        expect(page.get_by_test_id("step")).to_have_text("1")
        for words in ("渠道策略模拟", "厂商大客户份额", "客户关怀", "项目报备", "当前渠道政策"):
            expect(page.get_by_text(words).first).to_be_visible()
        expect(page.get_by_text("当前渠道政策 (传统渠道):")).to_be_visible()
        expect(page.get_by_text("历史路径", exact=True)).to_be_visible()  # the case picked
        expect(page.get_by_text("整体市场份额").first).to_be_visible()
        expect(page.locator("img")).to_have_count(5)  # four charts and the network
        page.context.close()
