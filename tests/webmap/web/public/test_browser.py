"""The pages in a real headless Chromium: layers drawn, popups, no JavaScript errors, screenshots.

Screenshots and the offline basemap: see ``browser_support``.
"""

from __future__ import annotations

import dataclasses
import threading
from urllib.parse import quote

import geopandas as gpd
import pandas as pd
import pytest
from browser_support import PHONE, WatchedPage
from nagoya_city import EVIL_CANDIDATE, write_nagoya_config
from shapely import Point

from webmap.i18n import gettext
from webmap.maps.assets import VENDOR_DIR
from webmap.maps.build import build_map
from webmap.maps.style import ISOCHRONE_COLORS, NETWORK_GAP_STYLE

#: Labels of the maps and sheets, from the app's catalogue (webmap/i18n.py).
ISOCHRONE = gettext("徒歩{minutes:g}分圏（道のり）")
NETWORK_GAP = gettext("空白地域（道のりで{minutes:g}分圏外）")
SUGGESTIONS = gettext("新しい居場所の候補（上位{k}か所）")

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 860}  # the README's screenshots
DISTRICT = "中央・南・城南"


def settle(page) -> None:
    """Wait for Leaflet's animations (cluster spreading, popup fade and pan) to finish."""
    page.wait_for_timeout(900)


class Watched(WatchedPage):
    """A map page with its JavaScript errors and dialogs recorded (tile failures ignored)."""

    def open(self, url: str):
        self.page.goto(url)
        self.page.wait_for_selector(".ibasho-place-icon", timeout=20_000)
        self.page.wait_for_function(
            "document.querySelectorAll('.leaflet-ibasho-districts-pane path').length > 0",
            timeout=20_000)
        settle(self.page)
        return self.page

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()



@pytest.fixture
def watched(browser):
    pages: list[Watched] = []

    def make(viewport: dict[str, int] = DESKTOP) -> Watched:
        pages.append(Watched(browser, viewport))
        return pages[-1]

    yield make
    for page in pages:
        page.close()


def click_visible_place(page) -> None:
    """Click a place marker that no other marker covers."""
    index = page.evaluate("""() => {
        const icons = Array.from(document.querySelectorAll('.ibasho-place-icon'));
        return icons.findIndex(icon => {
            const box = icon.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            if (x < 420 || x > window.innerWidth - 360 || y < 140) return false;
            const hit = document.elementFromPoint(x, y);
            return hit && hit.closest('.ibasho-place-icon') === icon;
        });
    }""")
    assert index >= 0, "no unobstructed place marker"
    page.locator(".ibasho-place-icon").nth(index).click()


OPEN_FIRST_STOP = """() => new Promise(resolve => {
    const groups = Object.values(window).filter(v => v instanceof L.MarkerClusterGroup);
    const stop = groups[0].getLayers()[0];
    groups[0].zoomToShowLayer(stop, () => { stop.openPopup(); resolve(true); });
})"""


def test_city_map_draws_every_layer(watched, server, screenshots, takasaki):
    watch = watched()
    page = watch.open(server + "/")
    located = int(takasaki.places.geometry.notna().sum())
    assert watch.count(".leaflet-ibasho-districts-pane path") == len(takasaki.districts)
    assert watch.count(".ibasho-district-label") == len(takasaki.districts)
    assert watch.count(".ibasho-place-icon") == located
    assert watch.count(".ibasho-stop-cluster") > 5
    assert watch.count(".leaflet-ibasho-areas-pane path") >= 2  # 500 m buffer + 800 m gaps
    assert watch.count(".leaflet-control-layers") == 1
    assert watch.count(".leaflet-control-layers-expanded") == 1  # wide screen: open
    assert page.locator(".ibasho-legend details").get_attribute("open") is not None
    assert page.locator(".leaflet-control-scale-line").count() == 1  # metric only
    assert "概略区域" in page.locator(".ibasho-legend").inner_text()
    attribution = page.locator(".leaflet-control-attribution")
    assert "地理院タイル" in attribution.inner_text()
    page.locator(".ibasho-sources summary").click()  # the config's lines, one click away
    assert "国土数値情報" in attribution.inner_text()
    page.locator(".ibasho-sources summary").click()
    page.screenshot(path=screenshots / "city-desktop.png")

    click_visible_place(page)
    popup = page.locator(".leaflet-popup-content .ibasho-popup-title")
    popup.wait_for(timeout=5_000)
    assert popup.inner_text().strip()
    settle(page)
    page.screenshot(path=screenshots / "city-place-popup.png")
    assert watch.errors == []
    assert watch.dialogs == []


def test_city_map_on_a_phone(watched, server, screenshots):
    watch = watched(PHONE)
    page = watch.open(server + "/")
    assert watch.count(".leaflet-control-layers-expanded") == 0  # collapsed behind its button
    assert page.locator(".ibasho-legend details").get_attribute("open") is None
    page.screenshot(path=screenshots / "city-phone.png")
    page.locator(".leaflet-control-layers").hover()  # a tap opens it (Leaflet expands on enter)
    assert watch.count(".leaflet-control-layers-expanded") == 1
    settle(page)
    page.screenshot(path=screenshots / "city-phone-layers.png")
    assert watch.errors == []


def test_district_page_with_todays_departures(watched, server, screenshots):
    watch = watched()
    page = watch.open(server + "/districts/" + quote(DISTRICT))
    assert watch.count(".ibasho-district-label.is-selected") == 1
    assert page.locator("h1").first.inner_text().startswith(DISTRICT)
    assert page.locator("table.coverage").first.locator("tbody tr").count() == 3
    page.screenshot(path=screenshots / "district-desktop.png")
    page.evaluate(OPEN_FIRST_STOP)
    popup = page.locator(".ibasho-stop-popup")
    popup.wait_for(timeout=5_000)
    text = popup.inner_text()
    assert "本日（" in text or "すべての発車時刻" in text
    settle(page)
    page.screenshot(path=screenshots / "district-stop-popup.png")
    page.screenshot(path=screenshots / "district-full-page.png", full_page=True)
    assert watch.errors == []


def test_districts_list_page(watched, server, screenshots, takasaki):
    watch = watched()
    page = watch.page
    page.goto(server + "/districts")
    assert page.locator("table.districts tbody tr").count() == len(takasaki.districts)
    page.locator(f"table.districts a:text-is('{DISTRICT}')").click()
    page.wait_for_selector(".ibasho-place-icon", timeout=20_000)
    assert DISTRICT in page.title()
    page.goto(server + "/districts")
    page.screenshot(path=screenshots / "districts-list.png", full_page=True)
    assert watch.errors == []


def test_malicious_place_name_is_text_in_the_browser(watched, tmp_path, screenshots, takasaki,
                                                     coverage):
    name = "<script>alert(1)</script>"
    evil = {"place_id": "p9999", "name": name, "category": "居場所", "district": DISTRICT,
            "address": "{{ 7*7 }}", "schedule": "${alert(3)}", "contact": "`x` {{",
            "notes": '<img src=x onerror="alert(2)">', "position_source": "exact:",
            "source": "", "row": 999, "position_quality": "exact"}
    places = pd.concat([takasaki.places, gpd.GeoDataFrame(
        [evil], geometry=[Point(139.0035, 36.3205)], crs=takasaki.places.crs)],
        ignore_index=True)
    study = dataclasses.replace(takasaki, places=gpd.GeoDataFrame(places,
                                                                  crs=takasaki.places.crs))
    m = build_map(study, coverage, district=DISTRICT, asset_base=VENDOR_DIR.as_uri())
    page_path = tmp_path / "malicious.html"
    m.save(str(page_path))

    watch = watched()
    page = watch.open(page_path.as_uri())
    titles = page.eval_on_selector_all(".ibasho-place-icon", "els => els.map(e => e.title)")
    assert name in titles
    marker = page.locator(".ibasho-place-icon").nth(titles.index(name))
    marker.dispatch_event("click")
    title = page.locator(".leaflet-popup-content .ibasho-popup-title")
    title.wait_for(timeout=5_000)
    assert title.inner_text() == name
    content = page.locator(".leaflet-popup-content").inner_text()
    assert '<img src=x onerror="alert(2)">' in content and "${alert(3)}" in content
    assert "{{ 7*7 }}" in content and "`x` {{" in content  # data is never template source
    assert page.locator(".leaflet-popup-content img, .leaflet-popup-content script").count() == 0
    settle(page)
    page.screenshot(path=screenshots / "malicious-popup.png")
    assert watch.dialogs == []
    assert watch.errors == []


# ---- a study area with streets: network isochrones and suggested sites ------------------


@pytest.fixture(scope="module")
def nagoya_server(tmp_path_factory):
    """The app on the Nagoya study area (real streets), served like ``server``."""
    from werkzeug.serving import make_server

    from webmap.web.app import create_app

    config = write_nagoya_config(tmp_path_factory.mktemp("nagoya"))
    app = create_app({"TESTING": True, "CONFIG": str(config)})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()


def toggle_layer(page, label: str) -> None:
    """Tick or untick the layer-control entry whose name contains ``label``."""
    page.locator(".leaflet-control-layers-overlays label", has_text=label).locator(
        "input").click()
    settle(page)


def test_network_isochrones_and_suggestions_are_drawn(watched, nagoya_server, screenshots):
    watch = watched()
    page = watch.open(nagoya_server + "/")
    shown = ISOCHRONE_COLORS[1]  # the middle threshold, 5 minutes
    assert watch.count(f'.leaflet-ibasho-areas-pane path[fill="{shown}"]') == 1
    gap = NETWORK_GAP_STYLE["fill_color"]
    assert watch.count(f'.leaflet-ibasho-areas-pane path[fill="{gap}"]') >= 1
    legend = page.locator(".ibasho-legend").inner_text()
    assert ISOCHRONE.format(minutes=5) in legend
    assert "道のりによる計算" in legend and "平坦と仮定" in legend
    assert watch.count(".ibasho-suggestion-icon") == 0  # off on the city map
    page.screenshot(path=screenshots / "network-city.png")

    toggle_layer(page, SUGGESTIONS.format(k=3))
    assert watch.count(".ibasho-suggestion-icon") == 3
    assert gettext("新しい居場所の候補") in page.locator(".ibasho-legend").inner_text()
    titles = page.eval_on_selector_all(".ibasho-suggestion-icon", "els => els.map(e => e.title)")
    assert f"候補2 {EVIL_CANDIDATE}" in titles  # the name as text, never as HTML
    page.locator(".ibasho-suggestion-icon").nth(titles.index(f"候補2 {EVIL_CANDIDATE}")).click()
    popup = page.locator(".leaflet-popup-content .ibasho-suggestion-popup")
    popup.wait_for(timeout=5_000)
    assert page.locator(".leaflet-popup-content .ibasho-popup-title").inner_text() == \
        EVIL_CANDIDATE
    text = popup.inner_text()
    assert "+" in text and "人" in text and "道のり5分" in text
    assert page.locator(".leaflet-popup-content img").count() == 0
    settle(page)
    page.screenshot(path=screenshots / "network-suggestion-popup.png")
    page.locator(".leaflet-popup-close-button").click()

    # straight line and network side by side: the 300 m circle over the 5-minute isochrone
    toggle_layer(page, "徒歩圏（直線300 m")
    toggle_layer(page, NETWORK_GAP.format(minutes=8))
    page.screenshot(path=screenshots / "network-vs-straight.png")
    toggle_layer(page, "徒歩圏外に住む人の割合")
    page.screenshot(path=screenshots / "network-uncovered.png")
    assert watch.errors == []
    assert watch.dialogs == []


def test_network_district_page(watched, nagoya_server, screenshots):
    watch = watched()
    page = watch.open(nagoya_server + "/districts/" + quote("栄"))
    assert watch.count(".ibasho-suggestion-icon") >= 1  # on by default on a district map
    assert page.locator("table.comparison tbody tr").count() == 3
    assert page.locator("table.suggestions tbody tr").count() >= 1
    page.screenshot(path=screenshots / "network-district.png")
    page.screenshot(path=screenshots / "network-district-full-page.png", full_page=True)
    assert watch.errors == []
