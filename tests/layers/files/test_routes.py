"""Bus routes from the real ぐるりん file; walking routes from hand-made GPX and GeoJSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pyproj import Geod

from geo.streets.walking import PROFILES, WalkProfile
from layers.config import LayerConfig
from layers.errors import LayerError, Severity
from layers.files.routes import (
    BUS_ROUTE_COLUMNS,
    DEFAULT_ROUTE_COLOR,
    DEFAULT_WALKING_KIND,
    WALKING_ROUTE_COLUMNS,
    load_bus_routes,
    load_walking_routes,
)

ROUTES_GEOJSON = (Path(__file__).parents[3] / "data" / "takasaki" / "bus"
                  / "gururin_routes.geojson")
GURURIN_ROUTE_FIELDS = {"route_stops_html": "経路", "color": "_color", "operator": "運行"}
ELDERLY = PROFILES["elderly"]

# A walk near 高崎駅 (36.32 N, 139.0 E): north, east, north-east; about 1.1 km.
WALK_LONLAT = [(139.000, 36.320), (139.000, 36.324), (139.004, 36.324), (139.006, 36.326)]


def geodesic_length_m(lonlat: list[tuple[float, float]]) -> float:
    lons, lats = zip(*lonlat, strict=True)
    return Geod(ellps="GRS80").line_length(lons, lats)


def write_gpx(path: Path, *, track: list | None = None, route: list | None = None) -> Path:
    parts = []
    if track:
        points = "".join(f'<trkpt lat="{lat}" lon="{lon}"/>' for lon, lat in track)
        parts.append(f"<trk><name>烏川散歩道</name><trkseg>{points}</trkseg></trk>")
    if route:
        points = "".join(f'<rtept lat="{lat}" lon="{lon}"/>' for lon, lat in route)
        parts.append(f"<rte><name>歴史の道</name>{points}</rte>")
    parts.append('<wpt lat="36.32" lon="139.0"><name>高崎駅</name></wpt>')
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<gpx version="1.1" creator="ibasho tests" '
                    f'xmlns="http://www.topografix.com/GPX/1/1">{"".join(parts)}</gpx>',
                    encoding="utf-8")
    return path


def write_geojson(path: Path, features: list[tuple[dict, dict | None]]) -> Path:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": properties, "geometry": geometry}
        for properties, geometry in features
    ]}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def line(lonlat: list[tuple[float, float]]) -> dict:
    return {"type": "LineString", "coordinates": [list(xy) for xy in lonlat]}


def walking_layer(path: Path, **options) -> LayerConfig:
    return LayerConfig("walking_routes", path, {}, options)


# -- bus routes -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gururin_routes():
    return load_bus_routes(LayerConfig("bus_routes", ROUTES_GEOJSON, GURURIN_ROUTE_FIELDS))


def test_real_bus_routes(gururin_routes) -> None:
    routes, warnings = gururin_routes
    assert warnings == []
    assert tuple(routes.columns) == BUS_ROUTE_COLUMNS
    assert len(routes) == 136
    assert routes.crs == "EPSG:4326"
    assert routes.geom_type.isin(["LineString", "MultiLineString"]).all()
    assert routes["route_id"].is_unique
    assert all(re.fullmatch(r"#[0-9A-F]{6}", color) for color in routes["color"])
    assert routes["color"].iloc[0] == "#FF0000"  # "#FF0000FF" in the file
    assert all(len(stops) >= 2 for stops in routes["stops"])
    assert routes["stops"].map(len).sum() == 4362
    first = routes.iloc[0]
    assert first["name"] == "高崎駅西口（９番のりば）→高崎駅西口（おりば）"
    assert first["stops"][:2] == ["高崎駅西口（９番のりば）", "モントレー・オーパ前"]
    assert first["operator"] == "高崎市内のコミュニティ"


def test_bus_route_bad_colour_and_missing_stops_are_warnings(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "routes.geojson", [
        ({"経路": "<table><tr><td>A</td></tr><tr><td>B</td></tr></table>", "_color": "red"},
         line(WALK_LONLAT)),
        ({"経路": "", "_color": "#00ff00"}, line(WALK_LONLAT)),
    ])
    routes, warnings = load_bus_routes(LayerConfig("bus_routes", path, GURURIN_ROUTE_FIELDS))
    assert list(routes["color"]) == [DEFAULT_ROUTE_COLOR, "#00FF00"]
    assert list(routes["name"]) == ["A→B", "路線2"]
    assert [(w.row, w.field) for w in warnings] == [(None, "運行"), (1, "_color"), (2, "経路")]
    assert all(w.severity is Severity.WARNING for w in warnings)


def test_bus_route_that_is_a_point(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "routes.geojson", [
        ({"経路": "", "_color": "#FF0000FF", "運行": "x"}, line(WALK_LONLAT)),
        ({"経路": "", "_color": "#FF0000FF", "運行": "x"},
         {"type": "Point", "coordinates": [139.0, 36.32]}),
    ])
    with pytest.raises(LayerError, match=r"row 2, field 'geometry': the route is a Point"):
        load_bus_routes(LayerConfig("bus_routes", path, GURURIN_ROUTE_FIELDS))


# -- walking routes ---------------------------------------------------------------------------

def test_gpx_track_length_in_metres(tmp_path: Path) -> None:
    path = write_gpx(tmp_path / "walk.gpx", track=WALK_LONLAT)
    routes, warnings = load_walking_routes(walking_layer(path), profile=ELDERLY)
    assert warnings == []
    assert tuple(routes.columns) == WALKING_ROUTE_COLUMNS
    assert routes.crs == "EPSG:4326"
    expected_m = geodesic_length_m(WALK_LONLAT)
    assert 1000 < expected_m < 1200
    walk = routes.iloc[0]
    assert walk["length_m"] == pytest.approx(expected_m, rel=0.01)
    assert walk["walk_minutes"] == pytest.approx(walk["length_m"] / 60)
    assert walk["name"] == "烏川散歩道" and walk["kind"] == DEFAULT_WALKING_KIND


def test_gpx_with_only_a_route(tmp_path: Path) -> None:
    path = write_gpx(tmp_path / "walk.gpx", route=WALK_LONLAT)
    routes, _ = load_walking_routes(walking_layer(path, kind="歴史探訪"),
                                    profile=ELDERLY)
    assert list(routes["name"]) == ["歴史の道"] and list(routes["kind"]) == ["歴史探訪"]
    assert routes["length_m"].iloc[0] == pytest.approx(geodesic_length_m(WALK_LONLAT), rel=0.01)


def test_gpx_with_only_waypoints(tmp_path: Path) -> None:
    path = write_gpx(tmp_path / "walk.gpx")
    with pytest.raises(LayerError, match="neither tracks"):
        load_walking_routes(walking_layer(path), profile=ELDERLY)


def test_geojson_walking_routes(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "walks.geojson", [
        ({"name": "烏川コース", "kind": "ウォーキングコース"}, line(WALK_LONLAT)),
        ({"name": "城址めぐり", "kind": "歴史探訪"}, {
            "type": "MultiLineString",
            "coordinates": [[list(xy) for xy in WALK_LONLAT[:2]],
                            [list(xy) for xy in WALK_LONLAT[2:]]]}),
    ])
    brisk = WalkProfile("brisk", 80.0, "毎分80 m")
    routes, _ = load_walking_routes(walking_layer(path), profile=brisk,
                                    metric_crs="EPSG:32654")  # UTM 54N also covers Takasaki
    assert list(routes["kind"]) == ["ウォーキングコース", "歴史探訪"]
    pieces_m = geodesic_length_m(WALK_LONLAT[:2]) + geodesic_length_m(WALK_LONLAT[2:])
    assert routes["length_m"].tolist() == pytest.approx(
        [geodesic_length_m(WALK_LONLAT), pieces_m], rel=0.01)
    assert (routes["walk_minutes"] == routes["length_m"] / 80.0).all()


def test_point_in_walking_routes_names_row_and_field(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "walks.geojson", [
        ({"name": "駅前"}, {"type": "Point", "coordinates": [139.0, 36.32]}),
        ({"name": "烏川コース"}, line(WALK_LONLAT)),
        ({"name": "空"}, None),
    ])
    with pytest.raises(LayerError) as caught:
        load_walking_routes(walking_layer(path), profile=ELDERLY)
    message = str(caught.value)
    assert "row 1, field 'geometry': the walking route is a Point" in message
    assert "row 3, field 'geometry'" in message
    assert [p.row for p in caught.value.problems] == [1, 3]


@pytest.mark.parametrize("speed_m_per_min", [0.0, -60.0, float("nan")])
def test_walking_speed_must_be_positive(speed_m_per_min: float) -> None:
    with pytest.raises(ValueError, match="speed_m_per_min"):  # no profile walks this slowly
        WalkProfile("x", speed_m_per_min, "x")


def test_lengths_are_never_measured_in_degrees(tmp_path: Path) -> None:
    path = write_gpx(tmp_path / "walk.gpx", track=WALK_LONLAT)
    with pytest.raises(ValueError, match="not a projected CRS in metres"):
        load_walking_routes(walking_layer(path), profile=ELDERLY,
                            metric_crs="EPSG:4326")
