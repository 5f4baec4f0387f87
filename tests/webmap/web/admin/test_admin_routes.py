"""Drawing walking routes on the staff pages: length, minutes, benches, versions, the map.

Runs on a GeoPackage and on PostGIS (``admin_database``).
"""

from __future__ import annotations

import json

import pytest
from admin_helpers import post_form, unique

from layers.errors import LayerError
from layers.store.routes import (
    RouteVersionConflict,
    add_walking_route,
    retire_walking_route,
    update_walking_route,
    walking_route,
)
from webmap.web.base import app_state

# about 1.8 km west to east through central Takasaki
LINE = [[139.000, 36.320], [139.010, 36.321], [139.020, 36.322]]
BENCH = [139.005, 36.3205]


def route_form(name: str, **overrides) -> dict[str, str]:
    return {"name": name, "kind": "歴史探訪", "line": json.dumps(LINE),
            "benches": json.dumps([BENCH]), **overrides}


def test_draw_a_route_and_see_length_minutes_and_rest(admin_app, editor):
    name = unique("旧中山道コース")
    response = post_form(editor, "/admin/routes/new", route_form(name))
    assert response.status_code == 302
    route_id = response.headers["Location"].rsplit("/", 1)[1]
    page = editor.get(f"/admin/routes/{route_id}").get_data(as_text=True)
    assert name in page and "歴史探訪" in page
    store = app_state(admin_app).places
    route = walking_route(store, route_id)
    assert route["benches"] == [tuple(BENCH)] and route["version"] == 1
    listing = editor.get("/admin/routes").get_data(as_text=True)
    row = listing.split(name, 1)[1].split("</tr>", 1)[0]
    assert "1,8" in row and "分" in row  # ~1.8 km, ~30 min at 60 m/min
    assert "⚠" in row and "休める場所がありません" in row  # 1.3 km without a bench
    # on the public map and in the health count
    study = app_state(admin_app).maps.study
    routes = study.walking_routes
    mine = routes[routes["name"] == name].iloc[0]
    assert mine["length_m"] == pytest.approx(1800, rel=0.05)
    assert mine["walk_minutes"] == pytest.approx(mine["length_m"] / 60)
    assert name in admin_app.test_client().get("/").get_data(as_text=True)


def test_edit_benches_with_version_check(admin_app, editor):
    name = unique("ベンチ")
    response = post_form(editor, "/admin/routes/new", route_form(name, benches="[]"))
    route_id = response.headers["Location"].rsplit("/", 1)[1]
    benches = [[139.0 + k * 0.003, 36.320 + k * 0.0003] for k in range(1, 7)]  # every ~270 m
    response = post_form(editor, f"/admin/routes/{route_id}",
                         route_form(name, benches=json.dumps(benches), version="1"))
    assert response.status_code == 302
    page = editor.get(f"/admin/routes/{route_id}").get_data(as_text=True)
    assert "⚠" not in page.split("route-summary", 1)[1].split("</dl>", 1)[0]
    response = post_form(editor, f"/admin/routes/{route_id}",
                         route_form(name, benches="[]", version="1"))
    assert response.status_code == 409
    assert "このコースは他の人が先に更新しました" in response.get_data(as_text=True)
    response = post_form(editor, f"/admin/routes/{route_id}/retire", {"version": "2"})
    assert response.status_code == 302
    assert "を廃止しました" in editor.get("/admin/routes").get_data(as_text=True)  # the flash
    assert name not in editor.get("/admin/routes").get_data(as_text=True)
    store = app_state(admin_app).places
    assert [e["action"] for e in store.audit(route_id, layer="walking_routes")] == [
        "create", "update", "retire"]


@pytest.mark.parametrize(("line", "expected"), [
    ("[]", "two or more different points"),
    ("[[139.0, 36.32]]", "two or more different points"),
    ('"not a line"', "not a list of [lon, lat] pairs"),
    ("[[135.5, 34.7], [135.6, 34.8]]", "outside"),
    ("{bad json", "is not readable"),
    ("[" * 100_000 + "]" * 100_000, "is not readable"),  # deeper than the parser recurses
    ("[" * 50, "is not readable"),
])
def test_bad_lines_are_refused(admin_app, editor, line, expected):
    response = post_form(editor, "/admin/routes/new", route_form(unique("悪い線"), line=line))
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)


def test_viewer_sees_routes_but_cannot_draw(viewer):
    assert viewer.get("/admin/routes").status_code == 200
    assert viewer.get("/admin/routes/new").status_code == 403
    assert post_form(viewer, "/admin/routes/new", route_form("x")).status_code == 403


def test_route_store_functions(admin_app):
    store = app_state(admin_app).places
    route = add_walking_route(store, {"name": unique("関数"), "line": LINE}, user="test")
    assert route["kind"] == "ウォーキングコース" and route["benches"] == []
    with pytest.raises(LayerError, match="the name is empty"):
        update_walking_route(store, route["route_id"], {"name": " "}, expected_version=1,
                             user="test")
    moved = update_walking_route(store, route["route_id"], {"line": [LINE[:2], LINE[1:]]},
                                 expected_version=1, user="test")
    assert moved["version"] == 2 and len(moved["geometry"].geoms) == 2
    with pytest.raises(RouteVersionConflict) as conflict:
        retire_walking_route(store, route["route_id"], expected_version=1, user="test")
    assert "版 1 → 2" in conflict.value.message_ja
    retire_walking_route(store, route["route_id"], expected_version=2, user="test")
    with pytest.raises(LayerError, match="retired"):
        update_walking_route(store, route["route_id"], {"name": "x"}, expected_version=3,
                             user="test")
