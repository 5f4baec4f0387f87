"""バスを使えば行ける on the served pages and API: Takasaki (ぐるりん trips rebuilt, 推定), and
Takasaki without stops and routes (the pages say how to add a timetable)."""

from __future__ import annotations

import json
from urllib.parse import quote

import numpy as np
import pytest
from takasaki_configs import takasaki_config

from layers.analysis import what_if_counts
from layers.bus_reach import KINDS
from webmap.web.app import create_app
from webmap.web.base import app_state

DISTRICT = "中央・南・城南"


@pytest.fixture(scope="module")
def maps(app):
    return app_state(app).maps


@pytest.fixture(scope="module")
def nobus_app(tmp_path_factory):
    """Takasaki without bus stops and routes: no timetable at all."""
    config = takasaki_config(tmp_path_factory.mktemp("nobus"), drop=("stops", "bus_routes"))
    return create_app({"TESTING": True, "CONFIG": str(config),
                       "DATABASE": str(tmp_path_factory.mktemp("nobus-db") / "x.gpkg")})


def _a_bus_point(maps) -> tuple[float, float]:
    """Where the most people live who get to a place only by bus (lon, lat)."""
    bus = maps.plan.bus
    target = int(np.argmax(np.where(bus.kinds == "bus", bus.weights, -1)))
    return bus.points_frame().geometry.iloc[target].coords[0]


def test_coverage_api_has_the_three_kinds_per_district(client, maps):
    body = client.get("/api/coverage").get_json()["bus"]
    assert body["available"] is True and body["estimated"] is True
    assert body["door_to_door_minutes"] == 45.0 and body["depart"] == "09:00"
    assert any(note.startswith("推定") for note in body["notes"])
    city = body["city"]
    for kind in KINDS:
        assert sum(row[kind] for row in body["districts"]) == pytest.approx(city[kind])
    assert city["walk"] + city["bus"] + city["neither"] == pytest.approx(city["population"])
    one = client.get("/api/coverage?district=" + quote(DISTRICT)).get_json()["bus"]
    assert [row["district"] for row in one["districts"]] == [DISTRICT]


def test_district_tables_show_on_foot_by_bus_neither(client, maps):
    html = client.get("/districts").get_data(as_text=True)
    table = html[html.index('class="coverage bus-table"'):]
    table = table[:table.index("</table>")]
    for heading in ("徒歩のみ", "バスで", "どちらも不可"):
        assert f"<th scope=\"col\">{heading}</th>" in table
    assert table.count("<tr>") == 1 + len(maps.study.district_names) + 1  # head, rows, city
    assert "推定：バスの便は停留所ごとの時刻表をつないで推定したものです" in html
    page = client.get("/districts/" + quote(DISTRICT)).get_data(as_text=True)
    row = maps.plan.bus.table().set_index("district").loc[DISTRICT]
    assert f"{row['bus']:,.0f}人" in page and "バスを使えば行ける（推定）" in page


def _in_page(text: str, html: str) -> bool:
    """``text`` in the page, as HTML or inside the map's script (JSON escapes)."""
    return text in html or json.dumps(text)[1:-1] in html


def test_city_map_has_the_toggle_layer_with_its_legend_and_source(client):
    html = client.get("/").get_data(as_text=True)
    assert _in_page("バスを使えば行ける（推定）", html)
    assert _in_page("徒歩のみ", html) and _in_page("どちらも不可", html)  # legend figures
    assert _in_page("停留所ごとの時刻表と経路から便を推定", html)  # the sources line


def test_what_if_counts_the_bus_when_asked(client, maps):
    lonlat = _a_bus_point(maps)
    answer = client.post("/api/what-if", json={"add": list(lonlat), "bus": True}).get_json()
    bus = answer["bus"]
    assert bus["estimated"] is True
    counts = what_if_counts(maps.study, maps.plan, add_lonlats=[lonlat], bus=True)
    for i, kind in enumerate(KINDS):
        assert bus["city"]["before"][kind] == pytest.approx(counts.bus_before[i].sum())
        assert bus["city"]["after"][kind] == pytest.approx(counts.bus_after[i].sum())
    assert bus["city"]["after"]["walk"] > bus["city"]["before"]["walk"]
    assert bus["districts"] and all(row["before"] != row["after"] for row in bus["districts"])
    plain = client.post("/api/what-if", json={"add": list(lonlat)}).get_json()
    assert plain["bus"] is None and plain["city"] == answer["city"]
    refused = client.post("/api/what-if", json={"add": list(lonlat), "bus": "yes"})
    assert refused.status_code == 400 and '"bus"' in refused.get_json()["error"]


def test_suggestions_with_the_bus(client, maps):
    body = client.get("/api/suggestions?bus=1").get_json()
    assert body["bus"] is True
    names = [feature["properties"]["name"] for feature in body["features"]]
    assert names == maps.plan.bus_suggestions["name"].tolist()
    assert client.get("/api/suggestions").get_json()["bus"] is False
    assert client.get("/api/suggestions?bus=maybe").status_code == 400


def test_planner_and_print_form_offer_the_switch(client):
    plan = client.get("/plan").get_data(as_text=True)
    assert 'id="plan-bus"' in plan and "バスで行ける人も数える" in plan
    form = client.get("/print").get_data(as_text=True)
    box = form[form.index('name="bus"') - 40:form.index('name="bus"') + 60]
    assert "disabled" not in box


def test_print_sheet_draws_the_layer_when_asked(client):
    base = "/print/sheet?district=" + quote(DISTRICT) + "&format=svg&dpi=150"
    with_bus = client.get(base + "&bus=1")
    without = client.get(base)
    assert with_bus.status_code == without.status_code == 200
    assert b'id="bus-reach' in with_bus.data and b'id="bus-reach' not in without.data


def test_without_a_timetable_every_page_works_and_says_how_to_add_one(nobus_app):
    client = nobus_app.test_client()
    for url in ("/", "/districts", "/districts/" + quote(DISTRICT), "/plan", "/print"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert _in_page("[transit]", html) and "gtfs" in html, url
    form = client.get("/print").get_data(as_text=True)
    box = form[form.index('name="bus"') - 40:form.index('name="bus"') + 60]
    assert "disabled" in box
    assert client.get("/api/coverage").get_json()["bus"]["available"] is False
    refused = client.post("/api/what-if", json={"add": [139.0, 36.33], "bus": True})
    assert refused.status_code == 404 and "[transit]" in refused.get_json()["error"]
    assert client.post("/api/what-if", json={"add": [139.0, 36.33]}).status_code == 200
    assert client.get("/api/suggestions?bus=1").status_code == 404
    assert client.get("/print/sheet?format=svg&dpi=150&bus=1").status_code == 200
