"""Coverage per district from the network, the straight-line comparison and the gap layer."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from street_grids import CRS, river_streets

from geo.coverage.on_streets import (
    compare_straight_line,
    coverage_by_district_network,
    district_of_points,
    network_gaps,
    people_on_streets,
)
from geo.streets.isochrones import walk_isochrones
from geo.streets.reach import network_reach, walk_graph
from geo.streets.walking import PROFILES, metres_to_minutes, minutes_to_metres


@pytest.fixture
def river_town() -> dict:
    """Two streets 150 m apart with a river between and one bridge at x = 2000."""
    network = river_streets(150.0)
    districts = gpd.GeoDataFrame({"name": ["南", "北"]},
                                 geometry=[shapely.box(-100, -100, 2100, 75),
                                           shapely.box(-100, 75, 2100, 250)], crs=CRS)
    places = gpd.GeoDataFrame({"name": ["集会所"]}, geometry=[shapely.Point(0, -10)], crs=CRS)
    # 65+ residents: across the river from the place, and beside it
    population = gpd.GeoDataFrame(
        {"total": [100.0, 80.0, 50.0], "age65": [40.0, 30.0, 20.0]},
        geometry=[shapely.Point(100, 160), shapely.Point(250, 10),
                  shapely.box(550, -60, 650, -20)], crs=CRS)
    graph = walk_graph(network, PROFILES["elderly"])
    return {"graph": graph, "districts": districts, "places": places, "population": population}


def test_counts_come_from_the_network(river_town: dict) -> None:
    graph = river_town["graph"]
    reach = network_reach(graph, river_town["places"], limit_minutes=15)
    people = people_on_streets(graph, river_town["population"], river_town["districts"])
    assert people.basis == "age65"
    coverage = coverage_by_district_network(reach, people, [5, 15])
    table = coverage.table.set_index(["district", "minutes"])
    # the person across the river is 160 m away in a straight line, 4 km on foot
    assert table.loc[("北", 15.0), "covered"] == 0
    assert table.loc[("南", 5.0), "covered"] == 30  # 270 m on foot
    assert table.loc[("南", 15.0), "covered"] == 50  # the polygon counts at its centre
    assert not coverage.slope_aware
    assert coverage.minutes[1] == pytest.approx((10 + 250 + 10) / 60)
    city = coverage.city.set_index("minutes")
    assert city.loc[15.0, "population"] == 90 and city.loc[15.0, "covered_share"] == 50 / 90


def test_straight_line_side_by_side(river_town: dict) -> None:
    graph = river_town["graph"]
    reach = network_reach(graph, river_town["places"], limit_minutes=15)
    # geo.coverage.by_distance takes points or polygons, not a mix: use points here
    population = river_town["population"].copy()
    population["geometry"] = population.geometry.representative_point()
    people = people_on_streets(graph, population, river_town["districts"])
    coverage = coverage_by_district_network(reach, people, [5, 15])
    table = compare_straight_line(coverage, river_town["districts"], river_town["places"],
                                  population, profile=PROFILES["elderly"],
                                  metric_crs=CRS).set_index(["district", "minutes"])
    north = table.loc[("北", 15.0)]
    assert north["radius_m"] == 900
    assert north["straight_covered"] == 40 and north["network_covered"] == 0
    assert north["share_lost"] == 1.0


def test_gap_layer(river_town: dict) -> None:
    graph = river_town["graph"]
    reach = network_reach(graph, river_town["places"], limit_minutes=15)
    people = people_on_streets(graph, river_town["population"], river_town["districts"])
    coverage = coverage_by_district_network(reach, people, [15])
    isochrones = walk_isochrones(reach, [15])
    gaps = network_gaps(river_town["districts"], isochrones, coverage)
    assert gaps.crs == "EPSG:4326"
    north = gaps.set_index("district").loc["北"]
    assert north["uncovered"] == 40
    assert north.geometry.area == pytest.approx(
        river_town["districts"].to_crs("EPSG:4326").geometry.iloc[1].area, rel=1e-6)


def test_metres_and_minutes() -> None:
    elderly = PROFILES["elderly"]
    assert metres_to_minutes(600, elderly) == 10 and minutes_to_metres(10, elderly) == 600
    assert metres_to_minutes(420, PROFILES["cane"]) == pytest.approx(10)
    with pytest.raises(ValueError, match="distance_m"):
        metres_to_minutes(0, elderly)


@given(st.integers(0, 2**32 - 1), st.integers(1, 40), st.booleans())
@settings(max_examples=40, deadline=None)
def test_district_of_points_equals_one_polygon_test_per_point(seed: int, n_districts: int,
                                                              lattice: bool) -> None:
    """Made-up points and Voronoi districts (some points outside all, some on a border, some
    missing), and a first district overlapping the others (the first holding a point gets it);
    on a lattice, many points lie on borders and on the edges of the grid's cells (3,000
    points over 1 km: 13 × 13 cells, and the lattice has two steps a cell), and the first
    district's border runs along cell edges."""
    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(rng.uniform(0, 1000, (n_districts, 2)))
    area = shapely.box(100, 100, 900, 900)
    districts = np.array([shapely.box(*np.array([4, 4, 9, 9]) * 1000 / 13)] + [
        shapely.intersection(cell, area) for cell in shapely.get_parts(
            shapely.voronoi_polygons(seeds, extend_to=area))], dtype=object)
    if lattice:
        x, y = rng.integers(0, 27, (2, 3000)) * (1000 / 26)
    else:
        x, y = rng.uniform(0, 1000, 3000), rng.uniform(0, 1000, 3000)
    x[:20], y[:20] = 100.0, rng.uniform(100, 900, 20)  # on the area's border
    x[20:25] = np.nan
    found = district_of_points(x, y, districts)
    assert (found[20:25] == -1).all()
    points = shapely.points(x, y)
    for i, point in enumerate(points[25:], start=25):
        holders = [d for d, polygon in enumerate(districts) if polygon.contains(point)]
        if holders:
            assert found[i] == holders[0]
        else:  # outside every district: the nearest
            distances = shapely.distance(districts, point)
            assert distances[found[i]] == pytest.approx(np.nanmin(distances))
