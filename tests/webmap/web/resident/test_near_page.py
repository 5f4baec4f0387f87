"""「近くの居場所」 in headless Chromium on a phone (390 × 844) with a fixed location.

Screenshots go to ``$IBASHO_SCREENSHOTS`` (default: the test's ``tmp_path``):
``near_top.png``, ``near_full.png``, ``near_map.png``, ``near_whereami.png``,
``near_english.png``, ``near_chosen.png``, ``near_no_js.png``, ``near_map_failed.png``,
``near_print.png`` (+ ``near_print.pdf``) and ``near_network_map.png``.
"""

from __future__ import annotations

import re

import conftest_near
import pytest
from browser_support import serve
from conftest_near import NAGOYA_HERE, wait_for_list, wait_for_map

# the shared fixtures of the resident page's tests (conftest_near.py, beside this file)
nagoya_app = conftest_near.nagoya_app
phone = conftest_near.phone

pytestmark = pytest.mark.browser

SELECTED_ROUTE = "#b3261e"


def _no_problems(opened) -> None:
    assert opened.errors == [] and opened.dialogs == []


def test_location_lists_places_by_walking_minutes(phone, server, screenshots) -> None:
    opened = phone(server)
    page = opened.page
    # location already allowed: the list comes at once; as of a Wednesday morning, so that
    # the day's buses have not all gone (the page passes ?at= on to the API)
    page.goto(f"{server}/near?at=2026-12-02T09:30")
    wait_for_list(page)
    cards = page.locator("#near-list .place-card")
    assert cards.count() == 5
    first = cards.nth(0).inner_text()
    assert "岩鼻長寿センター" in first and "徒歩 約3分" in first
    assert "直線距離による概算（迂回係数1.3）" in page.inner_text("#near-method")
    assert page.inner_text("#near-status") == "近い順に5か所を表示しました。"
    assert "lat=36.30685" in page.url  # the list can be reloaded, shared and printed
    font_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_px >= 18
    small = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.btn:not([hidden]), select, .lang-switch')).filter(e => e.offsetParent)
        .map(e => e.getBoundingClientRect()).filter(b => b.height < 44).length""")
    assert small == 0
    page.screenshot(path=screenshots / "near_top.png")
    page.screenshot(path=screenshots / "near_full.png", full_page=True)
    wait_for_map(page)
    assert page.locator("#near-map .near-marker").count() == 5
    cards.nth(1).locator(".btn-route").click()
    page.wait_for_timeout(800)
    strokes = page.eval_on_selector_all("#near-map .leaflet-overlay-pane path",
                                        "paths => paths.map(p => p.getAttribute('stroke'))")
    assert strokes.count(SELECTED_ROUTE) == 1
    assert "is-selected" in (cards.nth(1).get_attribute("class") or "")
    page.locator("#near-map").screenshot(path=screenshots / "near_map.png")
    # the bus box opens with the next departures
    bus = cards.nth(1).locator("details.bus-box")
    bus.locator("summary").click()
    assert re.search(r"\d\d:\d\d", bus.inner_text())
    _no_problems(opened)


def test_whereami_names_the_nearest_stop(phone, server, screenshots) -> None:
    opened = phone(server)
    page = opened.page
    page.goto(f"{server}/near")
    wait_for_list(page)
    page.click("#near-whereami")
    page.wait_for_selector("#near-whereami-text:not(:empty)")
    text = page.inner_text("#near-whereami-text")
    assert "岩鼻長寿センター前バス停の北へ約80 m" in text
    assert "（倉賀野地区）" in text and "緯度 36.30685、経度 139.05982" in text
    assert page.inner_text("#near-whereami-accuracy") == "位置の誤差は約12 m です。"
    assert page.evaluate("document.activeElement.id") == "near-whereami-heading"
    page.locator("#near-whereami-box").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -80)")
    page.screenshot(path=screenshots / "near_whereami.png")
    _no_problems(opened)


def test_english_switch(phone, server, screenshots) -> None:
    opened = phone(server, lang="en-GB")
    page = opened.page
    page.goto(f"{server}/near")
    wait_for_list(page)
    page.click("a.lang-switch")  # keeps the position
    page.wait_for_url(re.compile(r"lang=en"))
    wait_for_list(page)
    assert page.get_attribute("html", "lang") == "en"
    first = page.locator("#near-list .place-card").nth(0).inner_text()
    assert "About 3 min on foot" in first and "Senior centre" in first
    assert "detour factor 1.3" in page.inner_text("#near-method")
    page.click("#near-whereami")
    page.wait_for_selector("#near-whereami-text:not(:empty)")
    assert "north of the 岩鼻長寿センター前 bus stop" in page.inner_text("#near-whereami-text")
    page.screenshot(path=screenshots / "near_english.png")
    _no_problems(opened)


def test_choose_a_start_when_location_is_off(phone, server, screenshots) -> None:
    opened = phone(server, geolocation=None)
    page = opened.page
    page.goto(f"{server}/near")
    page.click("#near-locate")
    page.wait_for_selector("#near-status.is-error")
    assert "地区と町名・目印から探す" in page.inner_text("#near-status")
    page.select_option("#near-district", "岩鼻")
    page.wait_for_selector("#near-from:not([disabled]) optgroup", state="attached")
    page.select_option("#near-from", label="岩鼻町")
    page.click("#near-search")
    wait_for_list(page)
    assert page.inner_text("#near-origin") == "出発地：岩鼻町付近"
    assert page.url.endswith("#near-results")
    assert page.locator("#near-list .place-card").count() == 5
    page.screenshot(path=screenshots / "near_chosen.png")
    _no_problems(opened)


def test_works_without_javascript(phone, server, screenshots) -> None:
    opened = phone(server, geolocation=None, javascript=False)
    page = opened.page
    page.goto(f"{server}/near")
    assert not page.is_visible("#near-locate")  # needs JavaScript: hidden
    page.select_option("#near-district", "中居・矢中")
    page.click("#near-show-choices")
    page.select_option("#near-from", index=1)
    page.click("#near-search")
    wait_for_list(page)
    assert page.locator("#near-unlocated .unlocated-item").count() == 2
    assert page.is_visible("#near-unlocated-heading")
    page.screenshot(path=screenshots / "near_no_js.png", full_page=True)


def test_list_still_works_when_the_map_cannot_load(phone, server, screenshots) -> None:
    opened = phone(server, block=lambda url: "/vendor/leaflet/" in url)
    page = opened.page
    page.goto(f"{server}/near")
    wait_for_list(page)
    page.wait_for_selector("#near-map.is-failed")
    assert "上の一覧" in page.inner_text("#near-map")
    assert page.locator("#near-list .place-card").count() == 5
    assert any("leaflet" in url for url in opened.aborted)
    page.locator("#near-map-section").screenshot(path=screenshots / "near_map_failed.png")
    _no_problems(opened)


@pytest.mark.parametrize("path", ["/near", "/near?lang=en"])
def test_accessibility_has_no_serious_violations(phone, server, path) -> None:
    from axe_playwright_python.sync_playwright import Axe

    opened = phone(server)
    page = opened.page
    page.goto(f"{server}{path}")
    wait_for_list(page)
    wait_for_map(page)
    page.click("#near-whereami")
    page.wait_for_selector("#near-whereami-text:not(:empty)")
    page.locator("details.bus-box summary").first.click()
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v["impact"] in {"serious", "critical"}]
    assert serious == [], results.generate_report()


def test_accessibility_of_the_empty_page(phone, server) -> None:
    from axe_playwright_python.sync_playwright import Axe

    opened = phone(server, geolocation=None)
    opened.page.goto(f"{server}/near?district=%E5%B2%A9%E9%BC%BB")
    results = Axe().run(opened.page)
    serious = [v for v in results.response["violations"]
               if v["impact"] in {"serious", "critical"}]
    assert serious == [], results.generate_report()


def test_prints_the_list_on_a4(phone, server, screenshots) -> None:
    opened = phone(server)
    page = opened.page
    page.goto(f"{server}/near?lat=36.30685&lon=139.05982")
    wait_for_list(page)
    page.emulate_media(media="print")
    for hidden in ("#near-map-section", ".near-actions", "#near-choose", ".lang-switch",
                   ".btn-route"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(".place-card").first.is_visible()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # opens the bus boxes
    assert page.locator("details.bus-box[open]").count() >= 1
    pdf = page.pdf(format="A4", print_background=True)
    (screenshots / "near_print.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 4
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # pdf() ran afterprint
    page.screenshot(path=screenshots / "near_print.png", full_page=True)


@pytest.fixture(scope="module")
def nagoya_server(nagoya_app):
    yield from serve(nagoya_app)


def test_network_route_follows_the_streets(phone, nagoya_server, screenshots) -> None:
    opened = phone(nagoya_server, geolocation=NAGOYA_HERE)
    page = opened.page
    page.goto(f"{nagoya_server}/near")
    wait_for_list(page)
    wait_for_map(page)
    assert "道路に沿った道のり" in page.inner_text("#near-method")
    assert page.is_hidden("#near-map-straight")
    first = page.locator("#near-list .place-card").nth(0).inner_text()
    assert "栄サロン" in first and "道のり" in first and "電話する 052-123-4567" in first
    assert page.get_attribute("#near-list .btn-call", "href") == "tel:0521234567"
    evil = page.locator("#near-list .place-name", has_text="onerror")
    assert evil.count() == 1 and evil.locator("img").count() == 0  # shown as text
    selected = page.eval_on_selector(
        f"#near-map .leaflet-overlay-pane path[stroke='{SELECTED_ROUTE}']",
        "path => path.getAttribute('d')")
    assert selected.count("L") >= 3  # a polyline along streets, not one straight segment
    page.locator("#near-map").screenshot(path=screenshots / "near_network_map.png")
    _no_problems(opened)
