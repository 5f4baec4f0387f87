"""Rest points along a walking route and its longest stretch without one (exact geometry)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.streets.rest_stops import route_rest
from geo.streets.walking import PROFILES

CRS = "EPSG:6677"


def line(*coords) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.LineString(coords)], crs=CRS)


def points(*coords) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.Point(c) for c in coords], crs=CRS)


def test_no_rest_points_the_whole_route_is_one_stretch():
    rest = route_rest(line((0, 0), (600, 0), (600, 400)), points())
    assert rest.length_m == pytest.approx(1000)
    assert rest.rest_points == [] and rest.longest.length_m == pytest.approx(1000)
    assert PROFILES["elderly"].minutes(rest.length_m) == pytest.approx(1000 / 60)


def test_points_within_the_distance_split_the_route_in_order():
    rest = route_rest(line((0, 0), (1000, 0)),
                      points((700, 20), (200, -30), (500, 80), (900, 0)), within_m=50)
    assert rest.rest_points == [1, 0, 3]  # (500, 80) is 80 m off the line
    assert rest.rest_at_m == pytest.approx([200, 700, 900])
    assert (rest.longest.start_m, rest.longest.end_m) == pytest.approx((200, 700))
    assert rest.longest.line.length == pytest.approx(500)


def test_multi_part_routes_measure_each_part():
    route = gpd.GeoSeries([shapely.MultiLineString([[(0, 0), (300, 0)],
                                                    [(0, 1000), (800, 1000)]])], crs=CRS)
    rest = route_rest(route, points((400, 1000)))
    assert rest.length_m == pytest.approx(1100)
    assert rest.longest.part == 1 and rest.longest.length_m == pytest.approx(400)


@pytest.mark.parametrize(("route", "pts", "match"), [
    (gpd.GeoSeries([shapely.LineString([(139, 36), (139.1, 36)])], crs="EPSG:4326"),
     points(), "geographic|metric|projected"),
    (gpd.GeoSeries([shapely.Point(0, 0)], crs=CRS), points(), "LineString"),
])
def test_bad_input(route, pts, match):
    with pytest.raises(ValueError, match=match):
        route_rest(route, pts)
    with pytest.raises(ValueError, match="within_m"):
        route_rest(line((0, 0), (1, 0)), points(), within_m=0)
