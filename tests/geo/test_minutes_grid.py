"""The grid of walking minutes: 250 m JIS cells over Takasaki (real data), H3 cells, people
per cell by containment and area share, minutes on a street network, and bands."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.coverage.by_distance import coverage_by_district
from geo.coverage.minutes_grid import (
    GRID_BANDS_MINUTES,
    GridSpec,
    grid_cells,
    grid_layout,
    minutes_band,
    minutes_grid,
)
from geo.mesh import mesh_codes_covering, mesh_polygons
from geo.streets.network import StreetNetwork
from geo.streets.reach import network_reach, walk_graph
from geo.streets.walking import PROFILES

MESH = GridSpec()


def outline(study) -> shapely.Geometry:
    return shapely.union_all(study.districts.geometry.make_valid().values)


def test_the_cells_covering_takasaki(takasaki) -> None:
    area = outline(takasaki)
    codes = mesh_codes_covering(area, digits=10)
    assert len(codes) == 7514  # "about 7,500 cells"
    assert len(set(codes)) == len(codes)
    cells = mesh_polygons(codes)
    shared = shapely.area(shapely.intersection(cells, area))
    assert (shared > 0).all()  # every cell shares some of the city
    assert shapely.area(shapely.difference(area, shapely.union_all(cells))) == pytest.approx(0)
    # the ring of cells just outside: none of them shares area with the city
    ring = mesh_codes_covering(shapely.union_all(cells).buffer(0.004), digits=10)
    outside = mesh_polygons(np.setdiff1d(ring, codes))
    assert (shapely.area(shapely.intersection(outside, area)) < 1e-12).all()


@pytest.fixture(scope="module")
def grid(takasaki):
    layout = grid_layout(takasaki.districts, takasaki.population, spec=MESH,
                         metric_crs=takasaki.config.metric_crs)
    return minutes_grid(layout, profile=takasaki.config.walking, places=takasaki.places)


def test_takasaki_grid_counts_everyone_once(takasaki, grid) -> None:
    """The 2015 census has totals only: the grid counts everyone, and says so."""
    assert grid.basis == "total" and grid.method == "straight"
    assert len(grid.cells) == 7514
    assert grid.cells["people"].sum() == 370_884  # every 町丁 point in one cell
    assert grid.city["people"].sum() == 370_884
    exact = coverage_by_district(takasaki.districts, takasaki.places, radii_m=[500],
                                 population=takasaki.population, profile=takasaki.config.walking,
                                 metric_crs=takasaki.config.metric_crs).table
    per_district = grid.table.groupby("district")["people"].sum()
    assert per_district.to_dict() == pytest.approx(
        exact.set_index("district")["population"].to_dict())
    shares = grid.table.groupby("district")["share"].sum()
    assert shares[per_district > 0].to_numpy() == pytest.approx(1.0)


def test_takasaki_minutes_are_the_straight_line_at_the_profiles_pace(takasaki, grid) -> None:
    profile = takasaki.config.walking
    cells_m = grid.cells.to_crs(takasaki.config.metric_crs)
    places = takasaki.places[takasaki.places.geometry.notna()].to_crs(
        takasaki.config.metric_crs)
    sample = cells_m.iloc[::97]
    distance = shapely.distance(sample.geometry.centroid.to_numpy()[:, None],
                                places.geometry.to_numpy()[None, :]).min(axis=1)
    assert sample["minutes"].to_numpy() == pytest.approx(profile.straight_minutes(distance))
    assert (grid.cells["band"] == minutes_band(grid.cells["minutes"])).all()
    # a place stands in the cell: within 5 minutes
    assert (grid.cells["band"] == 0).any() and (grid.cells["band"] == 4).any()
    # the people by band add up per band over the districts
    assert grid.table.groupby("band")["people"].sum().to_numpy() == pytest.approx(
        grid.city["people"].to_numpy())


def test_bands() -> None:
    assert GRID_BANDS_MINUTES == (5.0, 10.0, 15.0, 20.0)
    assert minutes_band(np.array([4.99, 10.0, 10.01, 15.0, 19.9, 25.0])).tolist() == \
        [0, 1, 2, 2, 3, 4]


def test_a_polygon_across_two_cells_is_split_by_area() -> None:
    """A made-up population polygon: two 250 m cells, one fully and one a quarter."""
    first, second = mesh_polygons(["5439308032", "5439308041"])
    west, south, east, north = second.bounds
    unit = shapely.union_all([first, shapely.box(west, south, (west + east) / 2,
                                                  (south + north) / 2)])
    population = gpd.GeoDataFrame({"total": [500.0], "age65": [100.0]}, geometry=[unit],
                                  crs="EPSG:4326")
    districts = gpd.GeoDataFrame({"name": ["町"]}, geometry=[unit], crs="EPSG:4326")
    places = gpd.GeoDataFrame(geometry=[first.centroid], crs="EPSG:4326")
    layout = grid_layout(districts, population, spec=MESH, metric_crs="EPSG:6677")
    grid = minutes_grid(layout, profile=PROFILES["elderly"], places=places)
    people = grid.cells.set_index("cell")["people"]
    assert grid.basis == "age65"
    assert people.to_dict() == pytest.approx({"5439308032": 80.0, "5439308041": 20.0},
                                             rel=1e-3)
    assert grid.cells.set_index("cell").loc["5439308032", "minutes"] == pytest.approx(0, abs=1e-3)


def test_h3_cells(takasaki) -> None:
    cells = grid_cells(outline(takasaki), GridSpec(kind="h3", h3_resolution=8))
    assert 400 < len(cells) < 1000  # 459 km² in cells of about 0.74 km²
    assert cells["cell"].is_unique
    layout = grid_layout(takasaki.districts, takasaki.population,
                         spec=GridSpec(kind="h3", h3_resolution=8),
                         metric_crs=takasaki.config.metric_crs)
    grid = minutes_grid(layout, profile=takasaki.config.walking, places=takasaki.places)
    # the cells hold the points whose cell's centre lies in the city; few lie beyond
    assert 0.97 * 370_884 < grid.cells["people"].sum() <= 370_884


def test_on_the_network_the_river_makes_the_walk_long() -> None:
    """Made-up streets 300 m apart with a river between and one bridge at the east end,
    placed near Takasaki so the JIS cells fall on them."""
    crs = "EPSG:6677"
    xs = np.arange(-70_000, -66_999, 100.0)  # 3 km, west to east
    n = len(xs)
    y0 = 36_000.0
    x = np.concatenate([xs, xs])
    y = np.concatenate([np.full(n, y0), np.full(n, y0 + 300)])
    south = np.column_stack([np.arange(n - 1), np.arange(1, n)])
    edges = np.vstack([south, south + n, [[n - 1, 2 * n - 1]]])
    network = StreetNetwork.from_arrays(x, y, edges[:, 0], edges[:, 1], crs=crs)
    district = gpd.GeoDataFrame({"name": ["川沿い"]},
                                geometry=[shapely.box(-70_000, y0 - 120, -67_000, y0 + 420)],
                                crs=crs)
    places = gpd.GeoDataFrame(geometry=[shapely.Point(-70_000, y0)], crs=crs)
    graph = walk_graph(network, PROFILES["elderly"])
    reach = network_reach(graph, places, limit_minutes=20)
    layout = grid_layout(district, None, spec=MESH, metric_crs=crs)
    grid = minutes_grid(layout, profile=PROFILES["elderly"], reach=reach)
    straight = minutes_grid(layout, profile=PROFILES["elderly"], places=places)
    assert grid.method == "network" and grid.basis is None
    centres = grid.cells.to_crs(crs).geometry.centroid
    walked = grid.cells["minutes"].to_numpy()
    crow = shapely.distance(centres.to_numpy(), places.geometry.iloc[0]) / 60.0
    reached = ~np.isnan(walked)
    assert (walked[reached] >= crow[reached] - 1e-9).all()  # never faster than a straight line
    north = (centres.y > y0 + 200).to_numpy() & (centres.x < -69_500).to_numpy()
    assert north.any()
    assert (grid.cells["band"].to_numpy()[north] == 4).all()  # across the river: > 20 min
    assert (straight.cells["band"].to_numpy()[north] <= 3).all()  # a straight line: not
    with pytest.raises(ValueError, match="≥ 20 minutes"):
        minutes_grid(layout, profile=PROFILES["elderly"],
                     reach=network_reach(graph, places, limit_minutes=15))
