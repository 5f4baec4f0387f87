"""バスを使えば行ける in a real headless Chromium: the city map's toggle layer and the planner's
switch, on the served Takasaki app (ぐるりん trips rebuilt, 推定). Screenshots: see
``browser_support``."""

from __future__ import annotations

import numpy as np
import pytest
from browser_support import DESKTOP, WatchedPage

from webmap.web.base import app_state

pytestmark = pytest.mark.browser

LAYER = "バスを使えば行ける（推定）"
CIRCLES = ".leaflet-ibasho-population-pane path"


@pytest.fixture
def page(browser):
    watched = WatchedPage(browser, DESKTOP)
    yield watched
    watched.close()


def test_the_city_map_toggles_the_bus_layer(page, server, screenshots, app):
    bus = app_state(app).maps.plan.bus
    drawn = int(((bus.kinds == "bus") & (bus.weights > 0)).sum())
    assert drawn > 100
    browser_page = page.page
    browser_page.goto(server + "/")
    browser_page.wait_for_selector(".ibasho-place-icon", timeout=20_000)
    assert browser_page.locator(CIRCLES).count() == 0  # off when the map opens
    toggle = browser_page.locator(".leaflet-control-layers-overlays label",
                                  has_text=LAYER).locator("input")
    toggle.check()
    browser_page.wait_for_function(
        f"document.querySelectorAll({CIRCLES!r}).length >= {drawn}", timeout=10_000)
    assert browser_page.locator(CIRCLES).count() == drawn
    legend = browser_page.locator(".ibasho-legend").inner_text()
    assert "バスを使えば行ける" in legend and "推定" in legend and "どちらも不可" in legend
    # the largest circle's tooltip tells the journey
    largest = int(np.argmax(np.where(bus.kinds == "bus", bus.weights, -1)))
    assert bus.leave[largest]
    browser_page.evaluate(f"""() => {{
        const circles = Array.from(document.querySelectorAll({CIRCLES!r}));
        const big = circles.reduce((a, b) =>
            a.getBBox().width >= b.getBBox().width ? a : b);
        big.dispatchEvent(new MouseEvent('mouseover', {{bubbles: true}}));
    }}""")
    tooltip = browser_page.locator(".leaflet-tooltip")
    tooltip.first.wait_for(timeout=5_000)
    assert "バスで：" in tooltip.first.inner_text()
    browser_page.wait_for_timeout(600)
    browser_page.screenshot(path=screenshots / "city-bus-layer.png")
    toggle.uncheck()
    assert browser_page.locator(CIRCLES).count() == 0
    assert page.errors == []


def test_the_planner_counts_the_bus_when_switched_on(page, server, screenshots):
    browser_page = page.page
    browser_page.goto(server + "/plan?district=" + "中央・南・城南")
    browser_page.wait_for_selector(".plan-suggestion", timeout=20_000)
    assert browser_page.locator("#plan-bus-figures").is_hidden()
    first_walk = browser_page.locator(".plan-suggestion-name").first.inner_text()
    browser_page.locator("#plan-bus").check()
    browser_page.wait_for_selector("#plan-bus-figures table", timeout=5_000)
    rows = browser_page.locator("#plan-bus-figures tr")
    assert rows.count() == 4  # heading, 徒歩のみ, バスで, どちらも不可
    # the note changes when the bus suggestions arrive (their own request, maybe after the
    # figures): wait for it rather than read it at once
    browser_page.wait_for_function(
        """() => document.getElementById('plan-suggestions-note').textContent
                   .includes('徒歩でもバスでも行けない人')""", timeout=10_000)
    browser_page.wait_for_function(
        """first => {
            const name = document.querySelector('.plan-suggestion-name');
            return name && name.textContent !== first;
        }""", arg=first_walk, timeout=10_000)
    before = browser_page.locator("#plan-bus-figures .plan-bus-walk td").first.inner_text()
    browser_page.locator(".plan-suggestion").first.click()
    browser_page.wait_for_function(
        "() => document.getElementById('plan-status').textContent.includes('ミリ秒')",
        timeout=15_000)
    after = browser_page.locator("#plan-bus-figures .plan-bus-walk td").first.inner_text()
    now, planned = (int(part.replace(",", "")) for part in after.split(" → "))
    assert planned > now and before.split(" → ")[0] == after.split(" → ")[0]
    browser_page.locator("#plan-bus-figures").scroll_into_view_if_needed()
    browser_page.screenshot(path=screenshots / "plan-bus-switch.png")
    assert page.errors == []
