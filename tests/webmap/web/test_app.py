"""The Flask app: pages, the GeoJSON API and its one error shape (as datasette tests it)."""

from __future__ import annotations

import dataclasses
import json
from html import escape
from urllib.parse import quote

import pytest
from flask import Flask
from nagoya_city import write_nagoya_config

from geo.planning.straight_line import coverage_table
from layers.analysis import plan_study_area
from webmap.web.app import create_app
from webmap.web.base import app_state
from webmap.web.public.views import register_error_handlers
from webmap.web.state import STATE_KEY


def geojson(response) -> dict:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/geo+json"
    data = json.loads(response.data)
    assert data["type"] == "FeatureCollection"
    assert all(feature["type"] == "Feature" for feature in data["features"])
    return data


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["ok"] is False
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_app_keeps_the_study_area_loaded(app, takasaki):
    state = app_state(app).maps
    assert state.study.district_names == takasaki.district_names
    assert state.city_map is not None and "L.map(" in state.city_map.script


def test_the_app_keeps_one_state_object_under_one_key(app):
    assert [key for key in app.extensions if "ibasho" in key] == [STATE_KEY]
    state = app_state(app)
    # every store is opened on the site's one database, none from another store's
    site = state.live.database
    assert (state.places, state.users, state.scenarios) == (site.places, site.users,
                                                            site.scenarios)
    assert state.scenarios.database is state.places.database is state.users.database


def test_config_from_test_config_alias(app):
    assert app.config["IBASHO_CONFIG"].endswith("ibasho.toml")
    assert app.testing


def test_places(client, takasaki):
    data = geojson(client.get("/api/places"))
    assert len(data["features"]) == len(takasaki.places)
    unlocated = [f for f in data["features"] if f["geometry"] is None]
    assert len(unlocated) == int(takasaki.places.geometry.isna().sum())
    assert {"name", "category", "position_quality"} <= set(data["features"][0]["properties"])


def test_stops_serialise_departures(client, takasaki):
    data = geojson(client.get("/api/stops"))
    assert len(data["features"]) == len(takasaki.stops)
    first = data["features"][0]["properties"]
    assert isinstance(first["departures"], list)
    assert first["departure_count"] == len(first["departures"])
    assert {"time", "destination", "weekdays", "holidays"} <= set(first["departures"][0])


def test_districts(client, takasaki):
    data = geojson(client.get("/api/districts"))
    assert [f["properties"]["name"] for f in data["features"]] == takasaki.district_names


def test_one_district(client):
    data = geojson(client.get("/api/districts/" + quote("倉淵")))
    assert len(data["features"]) == 1
    rows = data["features"][0]["properties"]["coverage"]
    assert [row["radius_m"] for row in rows] == [300.0, 500.0, 800.0]


@pytest.mark.parametrize(("query", "count"), [("", 3), ("?radius=500", 1), ("?radius=300.0", 1)])
def test_buffers(client, coverage, query, count):
    data = geojson(client.get("/api/buffers" + query))
    assert len(data["features"]) == count
    if query == "?radius=500":
        assert data["features"][0]["properties"]["radius_m"] == 500.0


def test_gaps(client, coverage):
    data = geojson(client.get("/api/gaps?radius=800"))
    expected = coverage.gaps[coverage.gaps["radius_m"] == 800.0]
    assert len(data["features"]) == len(expected)
    data = geojson(client.get("/api/gaps"))
    assert len(data["features"]) == len(coverage.gaps)
    one = geojson(client.get("/api/gaps?radius=800&district=" + quote("倉淵")))
    assert {f["properties"]["district"] for f in one["features"]} == {"倉淵"}


def test_coverage(client, takasaki, coverage):
    response = client.get("/api/coverage")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["basis"] == "total" and body["basis_label"] == "総人口"
    assert len(body["districts"]) == len(takasaki.districts) * len(takasaki.config.radii_m)
    assert len(body["city"]) == len(takasaki.config.radii_m)
    for row in body["districts"] + body["city"]:
        assert row["covered"] <= row["population"] + 1e-6
        assert row["covered"] + row["uncovered"] == pytest.approx(row["population"])
    for small, large in zip(body["city"], body["city"][1:], strict=False):
        assert small["covered"] <= large["covered"]
    assert sum(r["population"] for r in body["districts"]) == pytest.approx(
        3 * body["city"][0]["population"])


def test_health(client, takasaki):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    layers = body["layers"]
    assert layers["districts"] == len(takasaki.districts)
    assert layers["places"] == len(takasaki.places)
    assert layers["places_located"] + layers["places_unlocated"] == layers["places"]
    assert layers["stops"] == len(takasaki.stops)
    assert layers["buffers"] == len(takasaki.config.radii_m)


@pytest.mark.parametrize("path", ["/api/districts/nowhere", "/api/gaps?district=nowhere",
                                  "/api/coverage?district=nowhere"])
def test_unknown_district_is_404_listing_names(client, takasaki, path):
    body = assert_error_shape(client.get(path), 404)
    assert body["districts"] == takasaki.district_names
    assert "倉淵" in body["error"]


@pytest.mark.parametrize("query", ["?radius=400", "?radius=abc", "?radius=-1", "?radius=nan"])
@pytest.mark.parametrize("endpoint", ["/api/buffers", "/api/gaps"])
def test_bad_radius_is_400_listing_radii(client, endpoint, query):
    body = assert_error_shape(client.get(endpoint + query), 400)
    assert body["radii_m"] == [300.0, 500.0, 800.0]
    assert "300, 500, 800" in body["error"]


def test_unknown_api_route_has_the_error_shape(client):
    assert_error_shape(client.get("/api/nothing-here"), 404)


def test_wrong_method_has_the_error_shape(client):
    assert_error_shape(client.post("/api/places"), 405)


def test_city_page(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert 'class="skip-link"' in html and 'id="main"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/site.css" in html
    assert "直線距離による概算" in html
    assert "cdn.jsdelivr.net" not in html


def test_districts_page_links_every_district(client, takasaki):
    html = client.get("/districts").get_data(as_text=True)
    for name in takasaki.district_names:
        assert f'href="/districts/{quote(name)}"' in html
    assert "総人口" in html


def test_district_page(client, app):
    response = client.get("/districts/" + quote("中央・南・城南"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "中央・南・城南地区" in html
    assert "徒歩圏の集計" in html and "総人口" in html
    assert 'href="/districts"' in html
    assert "中央・南・城南" in app_state(app).maps._district_maps


def test_unknown_district_page_is_a_japanese_404(client, takasaki):
    response = client.get("/districts/" + quote("<script>x"))
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "地区はありません" in html
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    assert all(name in html for name in takasaki.district_names)
    assert "Traceback" not in html


def test_unexpected_errors_hide_the_traceback():
    bare = Flask(__name__)  # the shared app cannot get new routes after its first request
    register_error_handlers(bare)

    @bare.get("/api/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = bare.test_client().get("/api/boom")
    body = assert_error_shape(response, 500)
    assert "secret detail" not in body["error"]


def test_create_app_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("IBASHO_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(Exception, match="does not exist"):
        create_app({"TESTING": True})


# ---- planning API: isochrones, suggestions, people beyond reach, what-if ------------------


def post_what_if(client, body) -> dict:
    response = client.post("/api/what-if", json=body)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["ok"] is True
    assert data["elapsed_ms"] >= 0
    return data


def assert_change(data: dict, *, sign: int) -> None:
    """Every city and district row moved in direction ``sign`` (or stayed)."""
    rows = data["city"] + data["districts"]
    assert rows
    for row in rows:
        change = row["after"]["covered"] - row["before"]["covered"]
        assert change == pytest.approx(row["change"])
        assert sign * change >= -1e-9
        assert row["after"]["covered"] <= row["population"] + 1e-6
        assert row["after"]["covered"] + row["after"]["uncovered"] == pytest.approx(
            row["population"])
    for name in {row["district"] for row in data["districts"]}:
        assert any(abs(r["change"]) > 0 for r in data["districts"] if r["district"] == name)


@pytest.fixture(scope="module")
def nagoya_app(tmp_path_factory):
    """The app on the Nagoya study area, which has a street network."""
    config = write_nagoya_config(tmp_path_factory.mktemp("nagoya"))
    return create_app({"TESTING": True, "CONFIG": str(config)})


@pytest.fixture
def nagoya_client(nagoya_app):
    return nagoya_app.test_client()


@pytest.mark.parametrize("path", ["/api/isochrones", "/api/isochrones?minutes=10",
                                  "/api/gaps?minutes=10"])
def test_isochrones_without_a_network_say_how_to_add_one(client, path):
    body = assert_error_shape(client.get(path), 404)
    assert "ibasho streets CONFIG --osm FILE" in body["error"]
    assert body["method"] == "straight"


def test_coverage_says_straight_line(client):
    body = client.get("/api/coverage").get_json()
    assert body["method"] == "straight"
    assert body["method_note"] == "直線距離による概算（迂回係数1.3）"
    assert "network" not in body and "comparison" not in body


def test_suggestions_straight_line(client, app):
    data = geojson(client.get("/api/suggestions"))
    plan = app_state(app).maps.plan
    assert data["method"] == "straight" and data["unit"] == "metres"
    assert data["threshold"] == 500.0 and data["basis"] == "total"
    props = [f["properties"] for f in data["features"]]
    assert [p["rank"] for p in props] == list(range(1, len(plan.suggestions) + 1))
    gains = [p["gain"] for p in props]
    assert all(g > 0 for g in gains) and gains == sorted(gains, reverse=True)  # greedy
    assert all(0 < p["share_after"] <= 1 for p in props)
    assert all(f["geometry"]["type"] == "Point" for f in data["features"])
    district = props[0]["district"]
    one = geojson(client.get("/api/suggestions?district=" + quote(district)))
    assert {f["properties"]["district"] for f in one["features"]} == {district}
    assert_error_shape(client.get("/api/suggestions?district=nowhere"), 404)


def test_uncovered_by_district(client, takasaki):
    data = geojson(client.get("/api/uncovered"))
    assert data["method"] == "straight" and data["threshold"] == 500.0
    assert len(data["features"]) == len(takasaki.districts)
    for feature in data["features"]:
        share = feature["properties"]["uncovered_share"]
        assert share is None or 0 <= share <= 1
    wider = geojson(client.get("/api/uncovered?radius=800"))
    assert sum(f["properties"]["uncovered"] for f in wider["features"]) < sum(
        f["properties"]["uncovered"] for f in data["features"])
    assert_error_shape(client.get("/api/uncovered?minutes=10"), 400)
    assert_error_shape(client.get("/api/uncovered?radius=400"), 400)


def test_what_if_add_the_best_site_gains_what_siting_said(client, app):
    plan = app_state(app).maps.plan
    best = plan.suggestions.iloc[0]
    data = post_what_if(client, {"add": [best.geometry.x, best.geometry.y]})
    assert data["method"] == "straight" and data["unit"] == "metres"
    assert data["thresholds"] == [300.0, 500.0, 800.0]
    assert data["added"] == {"lonlat": [best.geometry.x, best.geometry.y],
                             "district": best["district"]}
    assert_change(data, sign=+1)
    at_500 = next(row for row in data["city"] if row["threshold"] == 500.0)
    assert at_500["change"] == pytest.approx(best["newly_covered"])
    assert best["district"] in {row["district"] for row in data["districts"]}


def test_what_if_remove_equals_recomputation(client, app, takasaki):
    data = post_what_if(client, {"remove": "p0012"})
    assert data["removed"] == {"place_id": "p0012", "name": "六郷長寿センター",
                               "district": "六郷・北部"}
    assert_change(data, sign=-1)
    assert any(row["change"] < 0 for row in data["city"])
    # the same as planning the city again without the place
    without = dataclasses.replace(takasaki,
                                  places=takasaki.places[takasaki.places["place_id"] != "p0012"])
    table, city = coverage_table(plan_study_area(without).straight, takasaki.config.radii_m)
    for row, expected in zip(data["city"], city.itertuples(), strict=True):
        assert row["after"]["covered"] == pytest.approx(expected.covered)
    expected = table.set_index(["district", "radius_m"])["covered"]
    for row in data["districts"]:
        assert row["after"]["covered"] == pytest.approx(
            expected[(row["district"], row["threshold"])])
    # districts left out of the answer are those the recomputation leaves as they were
    unchanged = set(takasaki.district_names) - {row["district"] for row in data["districts"]}
    assert unchanged
    original_table, _ = coverage_table(app_state(app).maps.plan.straight,
                                       takasaki.config.radii_m)
    original = original_table.set_index(["district", "radius_m"])["covered"]
    for name in unchanged:
        for radius_m in takasaki.config.radii_m:
            assert expected[(name, radius_m)] == pytest.approx(original[(name, radius_m)])


def test_what_if_add_and_remove_together(client):
    data = post_what_if(client, {"add": [139.0035, 36.3205], "remove": "p0012"})
    assert data["added"] and data["removed"]["place_id"] == "p0012"


@pytest.mark.parametrize("body", [
    "not json", "[1, 2]", '"p0012"', "{}", '{"add": null, "remove": null}', '{"foo": 1}',
    '{"add": [139.0, 36.3, 1]}', '{"add": "139.0,36.3"}', '{"add": [true, false]}',
    '{"add": [NaN, 36.3]}', '{"add": [0, 0]}', '{"add": [36.32, 139.01]}',
    '{"add": [140.5, 36.32]}', '{"remove": "p9999"}', '{"remove": 12}', '{"remove": ""}',
    '{"remove": "p0003"}',  # a place without a position
])
def test_what_if_bad_input_is_400(client, body):
    response = client.post("/api/what-if", data=body, content_type="application/json")
    assert_error_shape(response, 400)


def test_what_if_needs_post(client):
    assert_error_shape(client.get("/api/what-if"), 405)


def test_district_page_lists_its_suggestions(client, app):
    plan = app_state(app).maps.plan
    best = plan.suggestions.iloc[0]
    html = client.get("/districts/" + quote(best["district"])).get_data(as_text=True)
    assert "この地区の新しい居場所の候補" in html and escape(best["name"]) in html
    assert "直線距離と道のりの比較" not in html
    listing = client.get("/districts").get_data(as_text=True)
    assert "新しい居場所の候補（市全体）" in listing


def test_network_isochrones(nagoya_client):
    data = geojson(nagoya_client.get("/api/isochrones"))
    assert [f["properties"]["minutes"] for f in data["features"]] == [3.0, 5.0, 8.0]
    assert data["method"] == "network" and data["slope_aware"] is False
    covered = [f["properties"]["covered"] for f in data["features"]]
    assert covered == sorted(covered) and covered[0] > 0
    areas = [f["properties"]["area_km2"] for f in data["features"]]
    assert areas == sorted(areas)
    one = geojson(nagoya_client.get("/api/isochrones?minutes=5"))
    assert len(one["features"]) == 1
    catchment = geojson(nagoya_client.get("/api/isochrones?minutes=5&place=p0001"))
    assert len(catchment["features"]) == 1
    assert catchment["features"][0]["properties"]["place_id"] == "p0001"
    body = assert_error_shape(nagoya_client.get("/api/isochrones?minutes=4"), 400)
    assert body["minutes"] == [3.0, 5.0, 8.0]
    assert_error_shape(nagoya_client.get("/api/isochrones?place=p9999"), 400)


def test_network_coverage_and_comparison(nagoya_client):
    body = nagoya_client.get("/api/coverage").get_json()
    assert body["method"] == "network"
    assert body["method_note"] == "道のりによる計算・高齢者（毎分60 m）・平坦と仮定"
    assert body["minutes"] == [3.0, 5.0, 8.0] and body["slope_aware"] is False
    assert len(body["network"]["districts"]) == 2 * 3 and len(body["network"]["city"]) == 3
    assert len(body["comparison"]) == 2 * 3
    for row in body["comparison"]:
        assert row["radius_m"] == pytest.approx(row["minutes"] * 60)
        assert row["share_lost"] == pytest.approx(row["straight_share"] - row["network_share"])
    one = nagoya_client.get("/api/coverage?district=" + quote("栄")).get_json()
    assert {r["district"] for r in one["comparison"]} == {"栄"}
    gaps = geojson(nagoya_client.get("/api/gaps?minutes=8"))
    assert {f["properties"]["minutes"] for f in gaps["features"]} == {8.0}
    assert_error_shape(nagoya_client.get("/api/gaps?minutes=8&radius=300"), 400)
    uncovered = geojson(nagoya_client.get("/api/uncovered?minutes=3"))
    assert uncovered["method"] == "network" and uncovered["basis"] == "age65"


def test_network_suggestions_name_their_district(nagoya_client):
    data = geojson(nagoya_client.get("/api/suggestions"))
    assert data["method"] == "network" and data["threshold"] == 5.0
    assert data["unit"] == "minutes"
    assert all(f["properties"]["district"] in {"錦", "栄"} for f in data["features"])


def test_network_what_if(nagoya_app, nagoya_client):
    state = app_state(nagoya_app).maps
    site = state.plan.suggestions.iloc[0]
    added = post_what_if(nagoya_client, {"add": [site.geometry.x, site.geometry.y]})
    assert added["method"] == "network" and added["unit"] == "minutes"
    assert_change(added, sign=+1)
    at_5 = next(row for row in added["city"] if row["threshold"] == 5.0)
    assert at_5["change"] == pytest.approx(site["newly_covered"])
    removed = post_what_if(nagoya_client, {"remove": "p0001"})
    assert_change(removed, sign=-1)
    study = state.study
    without = dataclasses.replace(study, places=study.places[study.places["place_id"] != "p0001"])
    city = plan_study_area(without).network.coverage.city
    for row, expected in zip(removed["city"], city.itertuples(), strict=True):
        assert row["after"]["covered"] == pytest.approx(expected.covered)


def test_network_pages(nagoya_client):
    html = nagoya_client.get("/districts/" + quote("栄")).get_data(as_text=True)
    assert "直線距離と道のりの比較" in html and "道のりで圏内" in html
    assert "道のりによる計算・高齢者（毎分60 m）・平坦と仮定" in html
    assert "&lt;img src=x onerror=alert(7)&gt;候補" in html and "<img src=x" not in html
    listing = nagoya_client.get("/districts").get_data(as_text=True)
    assert "直線距離と道のりの比較" in listing
    assert nagoya_client.get("/api/health").get_json()["method"] == "network"


def test_network_without_population(tmp_path):
    config = write_nagoya_config(tmp_path, population=False)
    client = create_app({"TESTING": True, "CONFIG": str(config)}).test_client()
    for path in ("/", "/districts", "/districts/" + quote("栄")):
        assert client.get(path).status_code == 200
    assert len(geojson(client.get("/api/isochrones"))["features"]) == 3
    suggestions = geojson(client.get("/api/suggestions"))
    assert suggestions["features"] == [] and "population" in suggestions["note"]
    assert "network" not in client.get("/api/coverage").get_json()
    assert_error_shape(client.get("/api/uncovered"), 404)
    body = assert_error_shape(client.post("/api/what-if", json={"remove": "p0001"}), 404)
    assert "[layers.population]" in body["error"]


def test_prepare_site_seeds_the_database_and_makes_the_key_once(tmp_path, monkeypatch):
    """``ibasho serve`` calls it before its worker processes start, so they find a seeded
    database and one session key instead of racing to make them; the app then uses both."""
    from layers.store.site import SECRET_KEY_NAME
    from webmap.web.app import prepare_site

    monkeypatch.delenv("IBASHO_SECRET_KEY", raising=False)
    database = tmp_path / "site.gpkg"
    shown = prepare_site({"DATABASE": str(database)})
    assert str(database.name) in shown
    key = (tmp_path / SECRET_KEY_NAME).read_text().strip()
    assert len(key) >= 32
    prepare_site({"DATABASE": str(database)})  # a second start changes nothing
    assert (tmp_path / SECRET_KEY_NAME).read_text().strip() == key
    app = create_app({"TESTING": True, "DATABASE": str(database)})
    assert app.secret_key == key
    places = app.test_client().get("/api/places").get_json()["features"]
    assert len(places) == 76  # the embedded Takasaki places, seeded once
