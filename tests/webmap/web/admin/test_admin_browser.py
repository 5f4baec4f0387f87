"""The staff pages in a real headless Chromium: log in, add a place by clicking the map and see
it on the public map; import a CSV with errors and see them listed; draw a walking route.

Screenshots go to ``$IBASHO_SCREENSHOTS`` (default: the test's ``tmp_path``). Basemap tile
requests are aborted (offline); any other console error (a CSP violation included) fails.
"""

from __future__ import annotations

import re

import pytest
from admin_helpers import PASSWORD
from browser_support import DESKTOP, WatchedPage, serve

from webmap.web.base import app_state

pytestmark = pytest.mark.browser

EVIL = "<script>alert(1)</script>いこいの家"


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    """The store-backed app (a GeoPackage) with an editor, served on 127.0.0.1."""
    from webmap.web.app import create_app

    folder = tmp_path_factory.mktemp("admin-browser")
    app = create_app({"TESTING": True, "DATABASE": str(folder / "ibasho-data.gpkg"),
                      "UPLOAD_FOLDER": str(folder / "uploads")})
    app_state(app).users.create_user("henshu", PASSWORD, role="editor")
    yield from serve(app)


class Session(WatchedPage):
    """A staff page with its console errors and dialogs recorded (tile failures ignored)."""

    def __init__(self, browser) -> None:
        super().__init__(browser, DESKTOP)

    def ignore(self, text: str, url: str) -> bool:
        # a form answered with its problems (400) is the page itself, not a fault
        return super().ignore(text, url) or ("status of 400" in text and url == self.page.url)

    def login(self, base: str) -> None:
        page = self.page
        page.goto(f"{base}/admin/places")
        assert "/admin/login" in page.url
        page.fill("#name", "henshu")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/admin/places$"))


@pytest.fixture
def session(browser):
    sessions: list[Session] = []

    def make() -> Session:
        sessions.append(Session(browser))
        return sessions[-1]

    yield make
    for item in sessions:
        item.context.close()


def test_add_a_place_by_clicking_the_map(session, admin_server, screenshots):
    staff = session()
    staff.login(admin_server)
    page = staff.page
    page.screenshot(path=screenshots / "admin-places.png", full_page=False)
    page.click("text=新しい居場所を追加")
    page.wait_for_selector("#pick-map[data-ready='1']")
    page.fill("#name", EVIL)
    page.select_option("#category", "サロン")
    page.fill("#schedule", "毎週水曜 10:00～12:00（予定）")  # read as it is typed
    page.wait_for_selector("#schedule-reading.schedule-declined")
    assert "「予定」" in page.locator("#schedule-reading li").first.inner_text()
    page.fill("#schedule", "毎週水曜 10:00～12:00")
    page.wait_for_selector("#schedule-reading.schedule-read")
    dates = page.locator("#schedule-reading li").all_inner_texts()
    assert len(dates) == 5 and all("（水）10:00～12:00" in d for d in dates)
    page.fill("#position_source", "exact: 地図で確認")
    box = page.locator("#pick-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lon, lat = float(page.input_value("#lon")), float(page.input_value("#lat"))
    assert 138.8 < lon < 139.2 and 36.2 < lat < 36.5
    assert page.locator("#pick-map path[stroke=\"#b71c1c\"]").count() == 1  # the marker
    page.screenshot(path=screenshots / "admin-place-form.png", full_page=True)
    page.click("button:has-text('保存する')")
    page.wait_for_url(re.compile(r".*/admin/places/p\d+$"))
    assert "を追加しました" in page.locator(".notice-ok").inner_text()
    assert page.input_value("#name") == EVIL
    page.screenshot(path=screenshots / "admin-place-saved.png", full_page=True)

    public = session()
    map_page = public.page
    map_page.goto(admin_server + "/")
    map_page.wait_for_selector(".ibasho-place-icon", timeout=20_000)
    titles = map_page.eval_on_selector_all(".ibasho-place-icon",
                                           "els => els.map(e => e.title)")
    assert EVIL in titles
    map_page.locator(".ibasho-place-icon").nth(titles.index(EVIL)).dispatch_event("click")
    title = map_page.locator(".leaflet-popup-content .ibasho-popup-title")
    title.wait_for(timeout=5_000)
    assert title.inner_text() == EVIL  # shown as text, not run
    map_page.wait_for_timeout(900)
    map_page.screenshot(path=screenshots / "public-map-new-place.png")
    assert staff.dialogs == [] and public.dialogs == []
    assert staff.errors == [] and public.errors == []


def test_import_a_csv_with_errors(session, admin_server, screenshots):
    staff = session()
    staff.login(admin_server)
    page = staff.page
    page.goto(admin_server + "/admin/import")
    csv = ("name,category,address,lon,lat\n"
           "新しいサロン,サロン,高崎市,139.01,36.32\n"
           ",居場所,,139.0,36.3\n"
           "喫茶ひだまり,喫茶店,,abc,36.3\n"
           "大阪の会,サロン,,135.5,34.7\n").encode("utf-8-sig")
    page.set_input_files("#file", files=[{"name": "居場所一覧.csv", "mimeType": "text/csv",
                                          "buffer": csv}])
    page.screenshot(path=screenshots / "admin-import-form.png")
    page.click("button:has-text('確認する')")
    page.wait_for_selector("#import-errors")
    text = page.locator("#import-errors").inner_text()
    assert "何も保存していません" in text and "居場所一覧.csv" in text
    rows = page.locator("#import-errors table.problems tbody tr")
    assert rows.count() >= 4
    cells = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert {"3", "4", "5"} <= set(cells)
    page.screenshot(path=screenshots / "admin-import-errors.png", full_page=True)
    assert staff.errors == []


def test_draw_a_walking_route(session, admin_server, screenshots):
    staff = session()
    staff.login(admin_server)
    page = staff.page
    page.goto(admin_server + "/admin/routes/new")
    page.wait_for_selector("#route-map[data-ready='1']")
    page.fill("#name", "高崎城址めぐり")
    page.select_option("#kind", "歴史探訪")
    for _ in range(4):  # from the whole city to a few streets
        page.click("#route-map .leaflet-control-zoom-in")
        page.wait_for_timeout(600)  # let the zoom animation end before the next click
    box = page.locator("#route-map").bounding_box()
    for dx, dy in [(-200, 40), (-60, 0), (80, -30), (220, -60)]:
        page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
    page.check("input[name=mode][value=bench]")
    page.mouse.click(box["x"] + box["width"] / 2 - 130, box["y"] + box["height"] / 2 + 20)
    assert "点 4・ベンチ 1" in page.locator("#draw-status").inner_text()
    page.click("button:has-text('保存する')")
    page.wait_for_url(re.compile(r".*/admin/routes/r\d+$"))
    summary = page.locator(".route-summary").inner_text()
    assert "m" in summary and "分" in summary
    page.wait_for_timeout(500)
    page.screenshot(path=screenshots / "admin-route.png", full_page=True)
    page.goto(admin_server + "/admin/routes")
    assert "高崎城址めぐり" in page.locator("table.data").inner_text()
    page.screenshot(path=screenshots / "admin-routes.png", full_page=True)
    assert staff.errors == []
