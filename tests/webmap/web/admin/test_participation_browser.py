"""Participation in a real headless Chromium: a month recorded on the staff form (its problems
listed first), then the district page's section with its chart and table.

Every participation number here is made up for the tests (no place reported them); the
places and the population are Takasaki's real data. Screenshots go to ``$IBASHO_SCREENSHOTS``
(default: the test's ``tmp_path``).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from admin_helpers import PASSWORD
from browser_support import DESKTOP, WatchedPage, serve

from layers.fields.schedule import japan_today
from layers.store.participation import import_participation
from webmap.web.base import app_state

pytestmark = pytest.mark.browser


def _month(back: int) -> str:
    today = japan_today()
    index = today.year * 12 + today.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The store-backed app with an editor and 8 made-up months of the district's places."""
    from webmap.web.app import create_app

    folder = tmp_path_factory.mktemp("participation-browser")
    app = create_app({"TESTING": True, "DATABASE": str(folder / "ibasho-data.gpkg"),
                      "UPLOAD_FOLDER": str(folder / "uploads")})
    state = app_state(app)
    state.users.create_user("henshu", PASSWORD, role="editor")
    places = state.maps.study.places
    district = places.loc[places["district"] != "", "district"].value_counts().index[0]
    own = list(places.loc[places["district"] == district, "place_id"])[:3]
    rows = [{"place_id": place_id, "month": _month(back), "participants": 10 + 2 * n + back,
             "participants_65": 8 + n + back if n != 2 else "", "sessions": 4,
             "activity": ("体操", "茶話会", "会食")[n], "frequency": "週1回以上"}
            for back in range(2, 10) for n, place_id in enumerate(own)]
    import_participation(state.places, rows, user="seed", source="made-up.csv")
    # made up: one seat at the 町丁 with the most older residents, so that it is over capacity
    crowded = state.maps.study.population.sort_values("age65", ascending=False).iloc[0]
    point = crowded.geometry.representative_point()
    state.places.add_place({"name": "定員1のサロン", "category": "サロン", "capacity": "1",
                            "lon": point.x, "lat": point.y}, user="seed")
    state.live.changed()
    for url in serve(app):
        yield url, district, own[0]


class Staff(WatchedPage):
    def __init__(self, browser) -> None:
        super().__init__(browser, DESKTOP)

    def ignore(self, text: str, url: str) -> bool:
        return super().ignore(text, url) or ("status of 400" in text and url == self.page.url)


def test_record_a_month_then_see_the_district_section(browser, served, screenshots):
    base, district, place_id = served
    staff = Staff(browser)
    page = staff.page
    page.goto(f"{base}/admin/participation/new")
    page.fill("#name", "henshu")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/participation/new$"))
    page.select_option("#place_id", place_id)
    page.fill("#month", _month(1))
    page.fill("#participants", "20")
    page.fill("#participants_65", "25")  # more than the participants
    page.fill("#sessions", "4")
    page.select_option("#activity", "体操")
    page.select_option("#frequency", "週1回以上")
    page.click("button:has-text('保存する')")
    page.wait_for_selector(".notice-error table.problems")
    assert "参加者数20人より多い" in page.locator(".notice-error").inner_text()
    page.screenshot(path=screenshots / "admin-participation-form.png", full_page=True)
    page.fill("#participants_65", "16")
    page.click("button:has-text('保存する')")
    page.wait_for_url(re.compile(r".*/admin/participation$"))
    assert "記録を追加しました" in page.locator(".notice-ok").inner_text()
    page.screenshot(path=screenshots / "admin-participation-list.png", full_page=False)

    public = Staff(browser)
    view = public.page
    view.goto(f"{base}/districts/{quote(district)}#participation")
    section = view.locator("#participation")
    section.wait_for()
    chart = section.locator("svg[role=img]")
    assert chart.get_attribute("aria-labelledby") == "pc-title pc-desc"
    assert chart.locator("rect.bar-all").count() == 9  # 8 made-up months and the new one
    assert chart.bounding_box()["width"] > 300
    months = section.locator("table.participation-months tbody th").all_inner_texts()
    assert months[0] == _month(1) and "年度" in months[-1]
    section.scroll_into_view_if_needed()
    section.screenshot(path=screenshots / "district-participation.png")
    assert staff.errors == [] and public.errors == []
    staff.context.close()
    public.context.close()


def test_the_planner_lists_places_over_capacity(browser, served, screenshots):
    base, _, _ = served
    viewer = Staff(browser)
    page = viewer.page
    page.goto(f"{base}/plan?prefer=relieve")
    page.wait_for_selector("#plan-suggestion-list li", timeout=20_000)
    section = page.locator("section.plan-suggestions")
    assert "ふつうの順に戻す" in section.inner_text()
    capacity = page.locator("section.plan-capacity")
    assert "定員1のサロン" in capacity.inner_text()
    capacity.scroll_into_view_if_needed()
    section.screenshot(path=screenshots / "plan-suggestions-relieve.png")
    capacity.screenshot(path=screenshots / "plan-capacity.png")
    assert viewer.errors == []
    viewer.context.close()
