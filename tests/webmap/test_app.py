"""The Flask app: pages, the GeoJSON API and its one error shape (as datasette tests it)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from flask import Flask

from webmap.app import create_app
from webmap.views import register_error_handlers


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
    state = app.extensions["ibasho"]
    assert state.study.district_names == takasaki.district_names
    assert state.city_map is not None and "L.map(" in state.city_map.script


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
    assert "中央・南・城南" in app.extensions["ibasho"]._district_maps


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
