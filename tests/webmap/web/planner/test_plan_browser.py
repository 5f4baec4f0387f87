"""The planner page in a real headless Chromium: the numbers change, scenarios save and compare.

Screenshots and the offline basemap: see ``browser_support``.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from browser_support import DESKTOP, PHONE, WatchedPage

from webmap.web.base import app_state

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
CITY_AFTER = ".plan-figure:first-of-type .plan-after"


@pytest.fixture(autouse=True)
def no_scenarios(app):
    store = app_state(app).scenarios
    yield
    for scenario in store.scenarios():
        store.delete(scenario["scenario_id"], user="test")


class PlanPage(WatchedPage):
    """The planner in a fresh browser context, with JavaScript errors recorded."""

    accept_dialogs = True  # "delete this scenario?" is answered yes

    def __init__(self, browser, base: str, viewport: dict[str, int]) -> None:
        super().__init__(browser, viewport)
        self.base = base

    def login(self, app, role: str = "editor") -> None:
        users = app_state(app).users
        name = f"browser-{role}"
        if users.get(name) is None:
            users.create_user(name, PASSWORD, role=role)
        self.page.goto(f"{self.base}/admin/login?next=/plan")
        self.page.fill("#name", name)
        self.page.fill("#password", PASSWORD)
        self.page.locator("form").first.locator("[type=submit]").click()
        self.page.wait_for_load_state()

    def open(self, path: str = "/plan"):
        self.page.goto(self.base + path)
        self.page.wait_for_selector(".plan-suggestion", timeout=20_000)
        self.page.wait_for_selector(".plan-place-icon", timeout=20_000)
        self.page.wait_for_function(
            "() => document.querySelectorAll('.leaflet-plan-districts-pane path').length > 0",
            timeout=20_000)
        self.page.wait_for_timeout(600)
        return self.page

    def click_visible_place(self) -> None:
        """Click an existing place's marker that is in view and not covered by another."""
        index = self.page.evaluate("""() => {
            const map = document.getElementById('plan-map').getBoundingClientRect();
            const icons = Array.from(document.querySelectorAll('.plan-place-icon'))
                .filter(icon => !icon.closest('.plan-legend'));
            return icons.findIndex(icon => {
                const box = icon.getBoundingClientRect();
                const x = box.left + box.width / 2, y = box.top + box.height / 2;
                if (x < map.left + 60 || x > map.right - 340 || y < map.top + 20
                    || y > map.bottom - 30) return false;
                const hit = document.elementFromPoint(x, y);
                return hit && hit.closest('.plan-place-icon') === icon;
            });
        }""")
        assert index >= 0, "no place marker in view"
        self.page.locator(".leaflet-marker-pane .plan-place-icon").nth(index).click()

    def city_after(self) -> str:
        return self.page.locator(CITY_AFTER).inner_text()

    def wait_change(self, before: str) -> str:
        self.page.wait_for_function(
            "([selector, before]) => document.querySelector(selector).innerText !== before",
            arg=[CITY_AFTER, before], timeout=20_000)
        self.page.wait_for_timeout(400)
        return self.city_after()


@pytest.fixture
def plan_page(browser, server):
    pages: list[PlanPage] = []

    def make(viewport: dict[str, int] = DESKTOP) -> PlanPage:
        pages.append(PlanPage(browser, server, viewport))
        return pages[-1]

    yield make
    for page in pages:
        page.close()


def wait_count(page, selector: str, count: int) -> None:
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length === n",
                           arg=[selector, count], timeout=20_000)


def percent(text: str) -> float:
    return float(text.split()[-1].rstrip("%"))


def test_planning_changes_the_numbers(plan_page, app, screenshots):
    planner = plan_page()
    page = planner.open()
    page.screenshot(path=str(screenshots / "plan_01_city.png"))
    assert page.locator(".plan-method").first.inner_text() == (
        "計算方法：直線距離による概算（迂回係数1.3）")
    assert "総人口" in page.locator("#plan-basis").inner_text()
    before = planner.city_after()
    assert page.locator(".plan-figure:first-of-type .plan-delta").inner_text() == "変わりません"

    page.locator(".plan-suggestion").first.click()  # the best suggested site
    after = planner.wait_change(before)
    assert percent(after) > percent(before)
    change = page.locator(".plan-figure:first-of-type .plan-delta").inner_text()
    site = app_state(app).maps.plan.suggestions.iloc[0]
    assert change.startswith(f"+{round(site['newly_covered']):,}人")
    assert page.locator(".plan-suggestion").first.get_attribute("aria-pressed") == "true"
    assert page.locator(".plan-change-add").count() == 1
    assert page.locator(".plan-star").count() >= 2  # on the map, and in the legend
    page.screenshot(path=str(screenshots / "plan_02_suggestion_added.png"))

    # look at the suggestion's district: its own figure appears
    page.select_option("#plan-district", site["district"])
    page.wait_for_selector(".plan-figure:nth-of-type(2)")
    assert page.locator(".plan-figure h3").nth(1).inner_text() == f"{site['district']}地区"
    assert f"district={quote(site['district'])}" in page.url
    page.wait_for_timeout(800)
    page.screenshot(path=str(screenshots / "plan_03_district.png"))

    # a point on the map, in the district's view away from the planned place
    box = page.locator("#plan-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.8)
    wait_count(page, ".plan-change-add", 2)
    assert "地図で選んだ地点" in page.locator(".plan-change-add").nth(1).inner_text()
    assert "計算" in page.locator("#plan-status").inner_text()  # ○ミリ秒で計算, no error

    # assume a place closed, then undo everything
    planner.click_visible_place()
    wait_count(page, ".plan-change-remove", 1)
    assert page.locator(".plan-place-icon.is-removed").count() >= 1
    page.screenshot(path=str(screenshots / "plan_04_closed.png"))
    page.locator("#plan-clear").click()
    wait_count(page, ".plan-change", 0)
    assert page.locator(".plan-figure:first-of-type .plan-delta").inner_text() == "変わりません"
    assert planner.errors == []


def test_save_and_compare_scenarios(plan_page, app, screenshots):
    planner = plan_page()
    planner.login(app)
    page = planner.open()
    evil = "<b>案A</b> 駅の東"
    suggestions = page.locator(".plan-suggestion")
    before = planner.city_after()
    suggestions.nth(0).click()
    before = planner.wait_change(before)
    suggestions.nth(1).click()
    planner.wait_change(before)
    page.fill("#plan-scenario-name", evil)
    page.locator("#plan-save button[type=submit]").click()
    page.wait_for_selector(".plan-scenario")
    assert page.locator("#plan-scenario-status").inner_text() == f"「{evil}」を保存しました"
    assert page.locator(".plan-scenario-name b").count() == 0  # text, never markup

    page.locator("#plan-clear").click()
    wait_count(page, ".plan-change", 0)
    planner.click_visible_place()
    wait_count(page, ".plan-change-remove", 1)
    page.fill("#plan-scenario-name", "案B 廃止のみ")
    page.locator("#plan-save button[type=submit]").click()
    wait_count(page, ".plan-scenario", 2)

    page.locator(".plan-scenario-check").nth(0).check()
    page.locator(".plan-scenario-check").nth(1).check()
    page.locator("#plan-compare").click()
    page.wait_for_selector("#plan-compare-box:not([hidden]) table")
    table = page.locator("#plan-compare-box table")
    assert evil in table.inner_text() and "案B 廃止のみ" in table.inner_text()
    assert table.locator("b").count() == 0
    page.screenshot(path=str(screenshots / "plan_05_compare.png"))
    page.locator("#plan-compare-close").click()

    # load the first scenario back: its two planned places and its numbers return
    page.locator(".plan-scenario").nth(0).locator("button", has_text="地図に表示").click()
    wait_count(page, ".plan-change-add", 2)
    page.wait_for_timeout(400)
    page.screenshot(path=str(screenshots / "plan_06_loaded.png"))
    csv_href = page.locator(".plan-scenario").nth(0).locator("a", has_text="表（CSV）")
    assert csv_href.get_attribute("href").endswith(".csv")
    page.locator(".plan-scenario").nth(1).locator("button", has_text="削除").click()
    wait_count(page, ".plan-scenario", 1)
    assert planner.errors == []


def test_phone(plan_page, screenshots):
    planner = plan_page(PHONE)
    page = planner.open()
    before = planner.city_after()
    page.locator(".plan-suggestion").first.click()
    planner.wait_change(before)
    page.locator("#plan-result").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "plan_07_phone.png"), full_page=True)
    assert planner.errors == []
