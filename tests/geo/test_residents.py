"""People counted where they live: polygons by area share in every analysis, points whole,
the basis (total, 65+, 75+, 85+), and the dasymetric cut.

The geometries and counts here are MADE UP (架空) unless a test says Takasaki.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.coverage.by_distance import coverage_by_district
from geo.coverage.on_streets import coverage_by_district_network, people_on_streets
from geo.coverage.residents import (
    available_bases,
    living_parts,
    population_basis,
    resident_pieces,
)
from geo.planning.straight_line import coverage_table, straight_reach
from geo.streets.network import StreetNetwork
from geo.streets.reach import network_reach, walk_graph
from geo.streets.walking import PROFILES

CRS = "EPSG:6677"
ELDERLY = PROFILES["elderly"]


@pytest.fixture
def long_town() -> dict:
    """A made-up 町丁 polygon 2 km long and 200 m wide, a place at its west end, and a
    made-up point of 10 people just beside the place."""
    districts = gpd.GeoDataFrame({"name": ["町"]}, geometry=[shapely.box(-100, -200, 2100, 400)],
                                 crs=CRS)
    places = gpd.GeoDataFrame({"name": ["集会所"]}, geometry=[shapely.Point(0, 100)], crs=CRS)
    population = gpd.GeoDataFrame(
        {"total": [1000.0, 10.0], "age65": [400.0, 4.0], "age75": [200.0, 2.0],
         "age85": [50.0, np.nan]},
        geometry=[shapely.box(0, 0, 2000, 200), shapely.Point(20, 100)], crs=CRS)
    return {"districts": districts, "places": places, "population": population}


def exact_share(radius_m: float) -> float:
    """The share of the made-up polygon within ``radius_m`` of the place (exact area)."""
    disc = shapely.Point(0, 100).buffer(radius_m, quad_segs=256)
    return shapely.box(0, 0, 2000, 200).intersection(disc).area / (2000 * 200)


def test_a_polygon_is_counted_by_the_share_inside_each_reach(long_town: dict) -> None:
    """Each radius covers more of the polygon: the rows of 300, 500 and 800 m differ (the
    representative point used to make the whole 町丁 in or out)."""
    radii = [300.0, 500.0, 800.0]
    reach = straight_reach(long_town["places"], long_town["population"], long_town["districts"],
                           metric_crs=CRS, basis="total")
    _, city = coverage_table(reach, radii)
    covered = city.set_index("radius_m")["covered"]
    for radius in radii:
        # pieces of 50 m: within 0.5 % of the polygon's people of its exact area share,
        # plus the 10 people of the point
        assert covered[radius] == pytest.approx(10 + 1000 * exact_share(radius), abs=5)
    assert covered[300.0] < covered[500.0] < covered[800.0]
    exact = coverage_by_district(long_town["districts"], long_town["places"], radii_m=radii,
                                 population=long_town["population"], profile=ELDERLY,
                                 metric_crs=CRS, basis="total").city.set_index("radius_m")
    assert covered.to_numpy() == pytest.approx(exact["covered"].to_numpy(), abs=5)


def test_pieces_keep_every_person_and_points_stay_whole(long_town: dict) -> None:
    pieces = resident_pieces(long_town["population"], metric_crs=CRS)
    assert np.bincount(pieces.unit, weights=pieces.share).tolist() == pytest.approx([1.0, 1.0])
    assert (pieces.unit == 1).sum() == 1  # the point is one piece, where it is
    assert pieces.xy[pieces.unit == 1].tolist() == [[20.0, 100.0]]
    assert len(pieces.unit) == 1 + 40 * 4  # 2000 × 200 m in squares of 50 m
    inside = shapely.contains_xy(shapely.box(0, 0, 2000, 200), *pieces.xy[pieces.unit == 0].T)
    assert inside.all()
    assert pieces.weights(long_town["population"]["age65"]).sum() == pytest.approx(404)


def test_pieces_of_odd_shapes_add_up_to_their_polygon() -> None:
    rng = np.random.default_rng(3)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(rng.uniform(0, 3000, (40, 2))),
                                     extend_to=shapely.box(0, 0, 3000, 3000))
    shapes = shapely.intersection(np.asarray(cells.geoms),
                                  shapely.Point(1500, 1500).buffer(1400))
    shapes = shapes[shapely.area(shapes) > 0]
    population = gpd.GeoDataFrame({"total": rng.integers(1, 500, len(shapes)).astype(float)},
                                  geometry=shapes, crs=CRS)
    pieces = resident_pieces(population, metric_crs=CRS, piece_m=37.0)
    per_unit = np.bincount(pieces.unit, weights=pieces.share, minlength=len(shapes))
    assert per_unit == pytest.approx(np.ones(len(shapes)))
    owner = shapely.contains_xy(shapes[pieces.unit], *pieces.xy.T) | shapely.intersects(
        shapes[pieces.unit], shapely.points(pieces.xy))
    assert owner.all()  # every piece's point lies in its own polygon


def test_the_basis_asked_for_else_65_else_the_total(long_town: dict) -> None:
    population = long_town["population"]
    assert available_bases(population) == ("total", "age65", "age75")  # one 85+ missing
    assert population_basis(population) == "age65"
    assert population_basis(population, "age75") == "age75"
    assert population_basis(population.drop(columns="age65")) == "total"
    assert population_basis(None) is None
    with pytest.raises(ValueError, match="no 'age85' count.*it has: total, age65, age75"):
        population_basis(population, "age85")
    with pytest.raises(ValueError, match="unknown population basis 'age70'"):
        population_basis(population, "age70")


def test_every_analysis_counts_the_basis(long_town: dict) -> None:
    args = (long_town["places"], long_town["population"], long_town["districts"])
    by_basis = {basis: coverage_table(straight_reach(*args, metric_crs=CRS, basis=basis),
                                      [500.0])[1]["covered"].iloc[0]
                for basis in ("total", "age65", "age75")}
    assert by_basis["total"] == pytest.approx(10 + 1000 * exact_share(500), abs=5)
    assert by_basis["age65"] == pytest.approx(4 + 400 * exact_share(500), abs=2)
    assert by_basis["age75"] == pytest.approx(2 + 200 * exact_share(500), abs=1)
    exact = coverage_by_district(long_town["districts"], long_town["places"], radii_m=[500],
                                 population=long_town["population"], profile=ELDERLY,
                                 metric_crs=CRS, basis="age75")
    assert exact.basis == "age75"
    assert exact.city["population"].iloc[0] == pytest.approx(202)


def test_on_the_network_a_polygon_is_counted_in_pieces(long_town: dict) -> None:
    """A made-up street along the polygon: 5 minutes (300 m) reach a share of it, not all."""
    xs = np.arange(-100, 2101, 50.0)
    network = StreetNetwork.from_arrays(xs, np.full(len(xs), 100.0), np.arange(len(xs) - 1),
                                        np.arange(1, len(xs)), crs=CRS)
    graph = walk_graph(network, ELDERLY)
    reach = network_reach(graph, long_town["places"], limit_minutes=15)
    people = people_on_streets(graph, long_town["population"], long_town["districts"],
                               basis="total")
    assert people.basis == "total"
    coverage = coverage_by_district_network(reach, people, [5, 15]).city.set_index("minutes")
    # a resident at (x, y) walks |y - 100| to the street, then x along it: within 300 m,
    # the triangle x + |y - 100| ≤ 300 of the strip (by area, measured on 50 m pieces)
    for minutes in (5.0, 15.0):
        walk_m = ELDERLY.metres(minutes)
        triangle = shapely.Polygon([(0, 100 - walk_m), (walk_m, 100), (0, 100 + walk_m)])
        share = shapely.box(0, 0, 2000, 200).intersection(triangle).area / 400_000
        assert coverage.loc[minutes, "covered"] == pytest.approx(10 + 1000 * share, rel=0.06)
    assert coverage.loc[5.0, "covered"] < coverage.loc[15.0, "covered"] < 1010


def test_dasymetric_parts_are_inside_houses_and_never_in_the_river() -> None:
    """Made-up 町丁 of 400 × 400 m with three houses, a river across its east side, and a
    second 町丁 without houses (it keeps its area, less the river, and says so)."""
    towns = np.array([shapely.box(0, 0, 400, 400), shapely.box(400, 0, 800, 400)])
    houses = np.array([shapely.box(20, 20, 60, 60), shapely.box(100, 300, 140, 340),
                       shapely.box(330, 100, 380, 150)])  # the third is half in the river
    river = np.array([shapely.box(350, -50, 450, 450)])
    parts, fell_back = living_parts(towns, living=houses, water=river)
    assert fell_back.tolist() == [False, True]
    assert shapely.area(parts[0]) == pytest.approx(1600 + 1600 + 20 * 50)
    assert shapely.area(parts[1]) == pytest.approx(350 * 400)
    assert shapely.area(shapely.intersection(parts[0], river[0])) == pytest.approx(0)
    population = gpd.GeoDataFrame({"total": [90.0, 30.0]}, geometry=parts, crs=CRS)
    pieces = resident_pieces(population, metric_crs=CRS, piece_m=25.0)
    in_river = shapely.contains_xy(river[0], *pieces.xy.T)
    assert not in_river.any()
    in_house = shapely.contains_xy(shapely.union_all(houses), *pieces.xy[pieces.unit == 0].T)
    assert in_house.all()
    assert pieces.weights(population["total"]).sum() == pytest.approx(120)
    # a town that is all river keeps its shape (no one is lost) and says it fell back
    flooded, fell_back = living_parts(np.array([shapely.box(360, 0, 440, 100)]), water=river)
    assert fell_back.tolist() == [True] and shapely.area(flooded[0]) == pytest.approx(8000)


def test_exact_share_formula_is_right() -> None:
    """The helper the tests compare with: a 300 m disc at the polygon's west end covers a
    strip of 200 m between y = 0 and 200 around its centre, x from 0."""
    half_disc_strip = exact_share(300) * 400_000
    assert 200 * 250 < half_disc_strip < math.pi * 300**2 / 2
