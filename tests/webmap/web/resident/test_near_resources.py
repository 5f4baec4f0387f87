"""Community resources on 「近くの居場所」 (``/near``, ``/api/near``) and the map layer
「地域の支え合い・資源」 in a served app, on the real Takasaki layers with four made-up resources
of 箕郷 (names end in （架空）, ``tests/made_up_resources.py``).

Screenshots go to ``$IBASHO_SCREENSHOTS`` (default: the test's ``tmp_path``):
``near_resources.png`` (phone, the section under the places), ``near_resources_en.png``,
``city_map_resources.png`` and ``district_map_resources.png`` (desktop, the layer drawn).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from browser_support import DESKTOP, WatchedPage, serve
from conftest_near import open_phone, wait_for_list
from made_up_resources import made_up_resources, with_resources

from layers.analysis import plan_study_area
from webmap.web.base import app_state
from webmap.web.resident.index import build_near_index
from webmap.web.resident.resources import RESOURCE_LIMIT_MINUTES, nearby_resources

JST = dt.timezone(dt.timedelta(hours=9))
#: A Tuesday morning: the 移動販売 stop (毎週火曜日 10:00～10:30) comes today.
TUESDAY = dt.datetime(2026, 12, 1, 9, 0, tzinfo=JST)
AT = "2026-12-01T09:00"


@pytest.fixture(scope="module")
def index(takasaki):
    study = with_resources(takasaki)
    return build_near_index(study, plan_study_area(study))


@pytest.fixture(scope="module")
def hall(takasaki):
    return takasaki.places[takasaki.places["name"] == "箕郷公民館"].geometry.iloc[0]


def test_nearby_resources_nearest_first_with_minutes_and_next_date(index, hall):
    found = nearby_resources(index, hall.x, hall.y, district="箕郷", now=TUESDAY)
    nearby = found["nearby"]
    assert [r["name"] for r in nearby] == ["移動販売 とくし便 箕郷支所前（架空）",
                                           "みさと ふれあいウォーキングの会（架空）"]
    # 45 m and 111 m in a straight line × 1.3 at 40 m/min (the config's pace)
    assert [r["minutes"] for r in nearby] == [1, 3]
    assert nearby[1]["distance_label"].startswith("直線 ")
    shop = nearby[0]["opening"]
    assert shop["next"]["date"] == "2026-12-01" and shop["next"]["when_label"] == "きょう開催"
    walk = nearby[1]["opening"]["next"]
    assert walk["date"] == "2026-12-10"  # the 2nd Thursday of December
    # the area resources of the district: no distance, the area they serve
    serving = found["serving"]
    assert [r["name"] for r in serving] == ["箕郷みまもり隊（架空）", "生原ささえあいの会（架空）"]
    assert serving[1]["serves"] == "箕郷町生原、箕郷町上芝" and "minutes" not in serving[1]
    assert serving[1]["contact"]["phones"][0]["href"] == "tel:09012345678"
    assert found["serving_heading"] == "箕郷地区で活動している支え合い"


def test_far_from_every_resource_none_is_listed_and_said(index, takasaki):
    station = takasaki.districts[takasaki.districts["name"] == "新町"].representative_point()
    point = station.iloc[0]
    found = nearby_resources(index, point.x, point.y, district="新町", now=TUESDAY)
    assert found["nearby"] == [] and found["serving"] == [] and found["serving_heading"] == ""
    assert found["none_label"] == (f"歩いて{RESOURCE_LIMIT_MINUTES:g}分以内に、"
                                   "地図上の位置が分かる支え合い・資源はありません。")


def test_nearby_resources_in_english(index, hall):
    found = nearby_resources(index, hall.x, hall.y, district="箕郷", lang="en", now=TUESDAY)
    assert found["heading"] == "Community support nearby"
    assert [r["category_label"] for r in found["nearby"]] == ["Mobile shop stop", "Walking group"]
    assert found["nearby"][0]["minutes_label"] == "About 1 min on foot"
    assert found["serving_heading"] == "Community support active in 箕郷"
    assert found["serving"][0]["category_label"] == "Watch-over group"


# ---- the served app: resources added as staff would, then the page, the API and the maps ----


@pytest.fixture(scope="module")
def served(tmp_path_factory, takasaki):
    from webmap.web.app import create_app

    folder = tmp_path_factory.mktemp("near-resources")
    app = create_app({"TESTING": True, "DATABASE": str(folder / "ibasho-data.gpkg"),
                      "UPLOAD_FOLDER": str(folder / "uploads")})
    state = app_state(app)
    resources = made_up_resources(takasaki)
    for row, shape in zip(resources.drop(columns="geometry").to_dict(orient="records"),
                          resources.geometry, strict=True):
        fields = {key: value for key, value in row.items()
                  if key in {"name", "category", "district", "serves", "schedule", "contact",
                             "notes"} and value}
        if shape is not None:
            fields.update(lon=shape.x, lat=shape.y, position_source="exact:地理院地図")
        state.places.add_place(fields, user="seed")
    state.live.changed()
    return app


def test_the_page_lists_the_resources_under_the_places(served, hall):
    client = served.test_client()
    page = client.get(f"/near?lat={hall.y}&lon={hall.x}&at={AT}").get_data(
        as_text=True)
    assert page.index('id="near-list"') < page.index('id="near-resources"')
    section = page[page.index('id="near-resources"'):page.index('id="near-map-section"')]
    assert "近くの地域の支え合い・資源" in section
    assert "移動販売 とくし便 箕郷支所前（架空）" in section and "徒歩 約1分" in section
    assert "きょう開催" in section
    assert "箕郷地区で活動している支え合い" in section and "箕郷町生原、箕郷町上芝" in section
    # the notes are shown as the text they are
    assert "=HYPERLINK(&#34;http://x&#34;)" in section
    english = client.get(f"/near?lat={hall.y}&lon={hall.x}&lang=en&at={AT}").get_data(as_text=True)
    assert "Community support nearby" in english and "Mobile shop stop" in english


def test_the_api_gives_the_resources(served, hall):
    body = served.test_client().get(f"/api/near?lat={hall.y}&lon={hall.x}&at={AT}").get_json()
    resources = body["resources"]
    assert [r["category"] for r in resources["nearby"]] == ["移動販売", "ウォーキング"]
    assert [r["category"] for r in resources["serving"]] == ["見守り活動", "助け合い活動"]
    assert all(r["name"] not in {p["name"] for p in body["places"]} for r in resources["nearby"])


@pytest.mark.browser
def test_phone_shows_the_resources_and_the_maps_draw_the_layer(served, browser, hall,
                                                               screenshots):
    for base in serve(served):
        here = {"latitude": hall.y, "longitude": hall.x}
        phone = open_phone(browser, base, geolocation=here)
        page = phone.page
        page.goto(f"{base}/near?at={AT}")
        page.click("#near-locate")  # the script's list (near.js), not the server's
        wait_for_list(page)
        page.wait_for_selector("#near-resources .resource-item", state="visible")
        items = page.locator("#near-resource-list .resource-item")
        assert items.count() == 2
        assert "徒歩 約1分" in items.nth(0).inner_text()
        assert page.locator("#near-serving-list .resource-item").count() == 2
        page.locator("#near-resources").scroll_into_view_if_needed()
        page.screenshot(path=screenshots / "near_resources.png")
        page.goto(f"{base}/near?lat={hall.y}&lon={hall.x}&lang=en&at={AT}")
        page.locator("#near-resources").scroll_into_view_if_needed()
        assert "Community support nearby" in page.inner_text("#near-resources")
        page.screenshot(path=screenshots / "near_resources_en.png")
        assert phone.errors == [] and phone.dialogs == []
        phone.context.close()

        desk = WatchedPage(browser, DESKTOP)
        desk.page.goto(f"{base}/")
        desk.page.wait_for_selector(".leaflet-control-layers", state="attached")
        control = desk.page.locator(".leaflet-control-layers")
        control.hover()
        assert "地域の支え合い・資源" in control.inner_text()
        desk.page.wait_for_timeout(500)
        desk.page.screenshot(path=screenshots / "city_map_resources.png")
        desk.page.goto(f"{base}/districts/{quote('箕郷')}")
        desk.page.wait_for_selector(".ibasho-place-icon", state="attached")
        desk.page.wait_for_timeout(500)
        shop = "移動販売 とくし便 箕郷支所前（架空）"
        marker = desk.page.locator(f'.ibasho-place-icon[title="{shop}"]')
        assert marker.count() == 1
        marker.focus()  # beside 上芝集会所's marker at this zoom: opened from the keyboard
        desk.page.keyboard.press("Enter")
        desk.page.wait_for_selector(".ibasho-resource-popup", state="visible")
        assert "毎週火曜日 10:00～10:30" in desk.page.inner_text(".ibasho-resource-popup")
        desk.page.wait_for_timeout(600)  # the popup's fade-in
        desk.page.screenshot(path=screenshots / "district_map_resources.png")
        assert desk.errors == [] and desk.dialogs == []
        desk.close()
