"""The age band a user picks: every API answer names it (``basis``, ``basis_label``), the pages
offer only the bands the data has (city map, district pages, planner, /print), and printed
sheets name it in their heading and legend, with the minutes grid as an option.

Takasaki's real 2015 data has totals only. The age bands come from a 250 m mesh file in
e-Stat's layout with MADE-UP counts (架空の数値, ``tests/estat_files.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import WatchedPage, serve
from estat_files import takasaki_mesh_rows, write_estat_city
from matplotlib.text import Text

from layers.analysis import plan_study_area
from layers.study import analyse_study_area, load_study_area
from webmap.i18n import gettext
from webmap.maps.style import grid_band_labels
from webmap.prints.sheet import SheetOptions, draw_sheet
from webmap.web.app import create_app

DISTRICT = "中央・南・城南"
LABELS = {"total": "総人口", "age65": "65歳以上人口", "age75": "75歳以上人口",
          "age85": "85歳以上人口"}


@pytest.fixture(scope="module")
def estat_config(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("band-chooser")
    rows = takasaki_mesh_rows(digits=10, bbox=(138.99, 36.30, 139.04, 36.34), seed=5)
    return write_estat_city(folder, rows)


@pytest.fixture(scope="module")
def estat_app(estat_config, tmp_path_factory):
    database = tmp_path_factory.mktemp("band-chooser-db") / "db.gpkg"
    return create_app({"TESTING": True, "DATABASE": str(database),
                       "CONFIG": str(estat_config)})


def _band_answers(client, query: str) -> dict[str, dict]:
    """Every API answer whose numbers depend on the people counted."""
    separator = "&" if query else ""
    return {
        "coverage": client.get(f"/api/coverage?{query}").json,
        "grid": client.get(f"/api/grid?district={DISTRICT}{separator}{query}").json,
        "gaps": client.get(f"/api/gaps?radius=500{separator}{query}").json,
        "district": client.get(f"/api/districts/{DISTRICT}?{query}").json,
        "suggestions": client.get(f"/api/suggestions?{query}").json,
        "uncovered": client.get(f"/api/uncovered?{query}").json,
        "what-if": client.post(f"/api/what-if?{query}", json={"add": [139.01, 36.32]}).json,
        "health": client.get(f"/api/health?{query}").json,
    }


@pytest.mark.parametrize("basis", ["age75", "age85", "total", None])
def test_every_band_dependent_answer_names_the_band_used(estat_app, basis) -> None:
    client = estat_app.test_client()
    used = basis or "age65"  # the data's default: 65+ when it has them
    answers = _band_answers(client, f"basis={basis}" if basis else "")
    for name, body in answers.items():
        assert body["basis"] == used, name
        assert body["basis_label"] == gettext(LABELS[used]), name


def test_takasaki_answers_name_the_total(client) -> None:
    for name, body in _band_answers(client, "").items():
        assert (body["basis"], body["basis_label"]) == ("total", gettext("総人口")), name


def test_the_bands_the_data_has_are_offered_the_others_not(estat_app) -> None:
    client = estat_app.test_client()
    for url in ["/", f"/districts/{DISTRICT}", "/plan", "/print"]:
        page = client.get(f"{url}?basis=age75" if url != "/print" else "/print?basis=age75")
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        select = re.search(r'<select id="basis" name="basis">(.*?)</select>', html, re.S)
        assert select is not None, url
        assert '<label for="basis">' in html
        options = re.findall(r'<option value="(\w+)"( selected)?>([^<]*)</option>',
                             select.group(1))
        assert [value for value, _, _ in options] == ["total", "age65", "age75", "age85"]
        assert [value for value, chosen, _ in options if chosen] == ["age75"], url
        labels = dict((value, label) for value, _, label in options)
        assert labels["age65"] == gettext("{basis}（標準）").format(basis=gettext("65歳以上人口"))


def test_without_age_data_only_the_total_is_shown_and_says_why(client) -> None:
    for url in ["/", f"/districts/{DISTRICT}", "/plan", "/print"]:
        html = client.get(url).get_data(as_text=True)
        assert 'id="basis"' not in html, url  # nothing to choose
        assert gettext("総人口（65歳以上の人数のデータがないため）") in html, url


def test_the_print_form_keeps_the_band_and_offers_the_grid(estat_app) -> None:
    client = estat_app.test_client()
    html = client.get("/print?district=" + DISTRICT + "&basis=age85&grid=1").get_data(
        as_text=True)
    assert 'name="grid" value="1" checked' in html
    preview = re.search(r'<img src="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "basis=age85" in preview and "grid=1" in preview
    sheet = client.get(preview)
    assert sheet.status_code == 200 and sheet.data[:8] == b"\x89PNG\r\n\x1a\n"


def _texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text) if t.get_text()]


@pytest.mark.parametrize("basis", ["age75", "total"])
def test_sheet_names_the_band_in_heading_and_legend_and_draws_the_grid(estat_config,
                                                                       basis) -> None:
    study = load_study_area(estat_config)
    coverage = analyse_study_area(study, basis=basis)
    plan = plan_study_area(study, basis=basis)
    options = SheetOptions(dpi=150, grid=True, with_table=False)
    sheet = draw_sheet(study, coverage, options, district=DISTRICT, plan=plan)
    texts = _texts(sheet.figure)
    words = gettext(LABELS[basis])
    named = gettext("人口は{basis}").format(basis=words)
    heading = "".join(t.get_text() for t in sheet.figure.findobj(Text)
                      if t.get_gid() == "subtitle")
    assert named in heading  # under the title
    assert named in texts  # the legend's note
    section = gettext("徒歩分数グリッド（{basis}）").format(basis=words)
    assert section in texts
    rows = [label for label in sheet.legend_labels
            if label.split("：")[0] in grid_band_labels()]
    assert [row.split("：")[0] for row in rows] == grid_band_labels()
    table = plan.grid.table[plan.grid.table["district"] == DISTRICT]
    people = [int(text.split("：")[1].rstrip("人").replace(",", "")) for text in rows]
    assert people == [round(p) for p in table.sort_values("band")["people"]]
    # the reach and gaps give way to the grid
    assert gettext("空白地域（{radius_m:g} m圏外）").format(radius_m=800) not in \
        sheet.legend_labels
    sheet_without = draw_sheet(study, coverage, SheetOptions(dpi=150, with_table=False),
                               district=DISTRICT, plan=plan)
    assert not set(rows) & set(sheet_without.legend_labels)
    assert gettext("空白地域（{radius_m:g} m圏外）").format(radius_m=800) in \
        sheet_without.legend_labels


def test_sheet_without_age_data_says_so(takasaki, coverage) -> None:
    sheet = draw_sheet(takasaki, coverage, SheetOptions(dpi=150, with_table=False),
                       district=DISTRICT)
    assert gettext("人口は{basis}").format(basis=gettext("総人口（年齢別データなし）")) in \
        _texts(sheet.figure)


@pytest.fixture(scope="module")
def estat_server(estat_app):
    yield from serve(estat_app)


@pytest.mark.browser
def test_choose_a_band_with_the_keyboard(browser, estat_server, screenshots) -> None:
    watch = WatchedPage(browser, {"width": 1280, "height": 900})
    page = watch.page
    page.goto(estat_server + f"/districts/{DISTRICT}")
    page.wait_for_selector("#basis", timeout=20_000)
    assert page.locator("#basis").input_value() == "age65"
    page.get_by_role("combobox", name=gettext("数える人")).focus()  # named by its label
    page.keyboard.press("ArrowDown")  # 65+ → 75+
    assert page.locator("#basis").input_value() == "age75"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == gettext("切り替える")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("basis=age75")
    page.wait_for_selector(".leaflet-control-layers", timeout=20_000)
    body = page.locator("main").inner_text()
    assert gettext("人口は{basis}").format(basis=gettext("75歳以上人口")) in body
    assert page.locator("#basis").input_value() == "age75"
    page.locator(".basis-chooser").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "band-chooser-district.png")
    page.goto(estat_server + "/?basis=age85")
    page.wait_for_selector(".leaflet-control-layers", timeout=20_000)
    assert page.locator("#basis").input_value() == "age85"
    page.screenshot(path=screenshots / "band-chooser-city.png")
    page.goto(estat_server + "/plan?basis=age75")
    page.wait_for_selector(".plan-suggestion", timeout=20_000)
    page.select_option("#plan-district", DISTRICT)  # the chooser keeps the district shown
    assert page.locator("#basis-keep-district").input_value() == DISTRICT
    assert gettext("75歳以上人口") in page.locator("#plan-basis").inner_text()
    page.screenshot(path=screenshots / "band-chooser-plan.png")
    page.goto(estat_server + f"/print?district={DISTRICT}&basis=age75&grid=1&table=0")
    page.wait_for_function("document.querySelector('.print-preview img').complete",
                           timeout=60_000)
    assert page.evaluate("document.querySelector('.print-preview img').naturalWidth") > 0
    page.screenshot(path=screenshots / "band-chooser-print.png", full_page=True)
    assert watch.errors == []
    watch.close()
