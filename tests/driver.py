"""Driving the dashboard in Chromium (Playwright, Debian's /usr/bin/chromium): the browser
tests and `make screenshots` (tests/screenshots.py) use the same steps. Every wait is
bounded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

from channelsim.dashboard.app import (
    OPENING,
    DashboardModel,
    key_share_text,
    seller_names,
    total_share_text,
)
from tests.serving import START_S

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1400, "height": 900}  # a classroom projector's page
WAIT_MS = 30_000  # one page update
expect.set_options(timeout=WAIT_MS)


@contextmanager
def chromium() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        "/usr/bin/chromium is missing: `make test` run as root installs it; "
        "otherwise: apt-get install chromium (as root)"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Browser, url: str) -> Page:
    """A new tab in a new browser context (its own cookies: its own session), once the
    page shows its first run, a year in."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    expect(page.get_by_test_id("step")).to_have_text(str(OPENING), timeout=START_S * 1000)
    expect(page.locator("img").first).to_be_visible()
    return page


def expect_model(page: Page, model: DashboardModel, prefix: str = "") -> None:
    """The page shows what `model` holds: its month, the vendor's key-account share (the
    smoothed headline) and every seller's share of the whole market."""
    expect(page.get_by_test_id(f"{prefix}step")).to_have_text(str(model.steps))
    expect(page.get_by_test_id(f"{prefix}month")).to_have_text(model.date)
    expect(page.get_by_test_id(f"{prefix}key-share")).to_have_text(key_share_text(model))
    for seller in seller_names(model):
        share = page.get_by_test_id(f"{prefix}total-share-{seller}")
        expect(share).to_have_text(total_share_text(model, seller))


def step(page: Page, *twins: DashboardModel, prefix: str = "") -> None:
    """Click Step once and wait for the month to change; the twins step with the page."""
    shown = page.get_by_test_id(f"{prefix}step")
    before = shown.inner_text()
    button = page.get_by_role("button", name="Step", exact=True)
    expect(button).to_be_enabled()
    button.click()
    expect(shown).not_to_have_text(before)
    for twin in twins:
        twin.step()


def show(page: Page, tab: str) -> None:
    """Open a view by its tab's name (Run, Compare, Strategy map or theirs in Chinese),
    once it is drawn: a click on a control being drawn anew can be lost."""
    page.get_by_role("tab", name=tab).click()
    expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
    settle(page)


def settle(page: Page) -> None:
    """Wait until every picture on the page has loaded (a screenshot shows them drawn)."""
    page.wait_for_function(
        "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)",
        timeout=WAIT_MS,
    )
