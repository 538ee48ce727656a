"""`make screenshots`: the dashboard's pictures in docs/figures/, taken with the browser
tests' driver (tests/driver.py) from `channelsim dashboard` on the default market at
1400 x 900: the run view two years in, compare mode in 2005 and the strategy map. Run from
the project's folder (`python -m tests.screenshots`); the tests never call it."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect

from channelsim.experiment.io import atomic_write_bytes
from tests.driver import chromium, open_page, settle, show, step
from tests.serving import dashboard

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"


def steps_to(page: Page, steps: int, prefix: str = "") -> None:
    """Click Step until the page shows `steps` months run."""
    while int(page.get_by_test_id(f"{prefix}step").inner_text()) < steps:
        step(page, prefix=prefix)


def take(page: Page, name: str) -> Path:
    settle(page)
    page.evaluate(  # to the top of the page, whichever element scrolls it
        "document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })"
    )
    path = FIGURES / name
    atomic_write_bytes(path, page.screenshot())
    print(f"wrote {path}")
    return path


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, dashboard(Path(tmp)) as url, chromium() as web:
        page = open_page(web, url)
        steps_to(page, 30)  # history into 2004-06: the relationship channel under way
        take(page, "dashboard.png")
        show(page, "Compare")
        expect(page.get_by_test_id("left-step")).to_have_text("12", timeout=120_000)
        steps_to(page, 42, prefix="left-")  # 2005-06: the two roads apart
        take(page, "dashboard_compare.png")
        show(page, "Strategy map")
        expect(page.locator("[data-testid^=cell-]").first).to_be_visible()
        take(page, "dashboard_map.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
