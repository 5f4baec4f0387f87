"""Directions in words, straight-line estimates and walks from one person on a street grid."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from street_grids import CRS, NAGOYA, street_grid

from geo.streets.nearest import (
    bearing_deg,
    compass_index,
    connecting_routes,
    forward_graph,
    nearest_order,
    polyline_length_m,
    straight_distances_m,
    walk_from,
)
from geo.streets.network import StreetNetwork, snap_points
from geo.streets.reach import walk_graph
from geo.streets.walking import PROFILES
from layers.files.streets import load_streets


@pytest.mark.parametrize(("dx", "dy", "bearing", "point"), [
    (0, 80, 0.0, 0), (80, 80, 45.0, 1), (80, 0, 90.0, 2), (50, -50, 135.0, 3),
    (0, -80, 180.0, 4), (-60, -60, 225.0, 5), (-80, 0, 270.0, 6), (-10, 10, 315.0, 7),
    (10, 200, 2.862, 0), (-10, 200, 357.138, 0),
])
def test_bearings_and_compass_points(dx, dy, bearing, point) -> None:
    found = bearing_deg(100.0, 200.0, 100.0 + dx, 200.0 + dy)
    assert found == pytest.approx(bearing, abs=1e-3)
    assert compass_index(found) == point


def test_compass_boundaries_and_bad_input() -> None:
    assert [compass_index(b) for b in (22.4, 22.6, 337.4, 337.6, 360.0, -45.0)] == [
        0, 1, 7, 0, 0, 7]
    assert compass_index(100.0, points=4) == 1
    with pytest.raises(ValueError, match="points"):
        compass_index(10.0, points=5)
    with pytest.raises(ValueError, match="finite"):
        compass_index(float("nan"))


def test_straight_estimates() -> None:
    distances = straight_distances_m(0, 0, np.array([300.0, np.nan, 0.0]),
                                     np.array([400.0, 1.0, 60.0]))
    assert distances[0] == 500 and np.isnan(distances[1]) and distances[2] == 60
    minutes = PROFILES["elderly"].straight_minutes(distances)
    assert minutes[0] == pytest.approx(500 * 1.3 / 60)
    assert nearest_order(minutes).tolist() == [2, 0]
    assert nearest_order(minutes, 0).tolist() == []
    assert polyline_length_m(np.array([[0, 0], [30, 40], [30, 100]])) == 110
    assert polyline_length_m(np.array([[0, 0]])) == 0


def test_walk_on_a_grid_is_exact() -> None:
    network = street_grid()
    graph = walk_graph(network, PROFILES["elderly"])
    # the person stands 10 m off the street x = 100, at y = 130 (30 % along 1 → 2 ... in y)
    walk = walk_from(graph, 110.0, 130.0, limit_minutes=30)
    assert walk.snapped.distance_m[0] == pytest.approx(10.0)
    # node (300, 400) = 3 * 6 + 4: 10 m to the street, 70 m north to (100, 200), then 200 + 200
    target = 3 * 6 + 4
    assert walk.minutes[target] == pytest.approx((10 + 70 + 400) / 60)
    path = walk.path_nodes(target)
    assert path[0] == 1 * 6 + 2 and path[-1] == target
    assert len(path) == 5  # four blocks
    # a place 20 m off the street x = 500 at y = 450
    targets = snap_points(network, np.array([520.0, 110.0]), np.array([450.0, 170.0]))
    routes = walk.to_targets(targets)
    # to the street, north to (100, 200), 400 m east and 250 m north to (500, 450), off it
    expected = (10 + 70 + 400 + 250 + 20) / 60
    assert routes.minutes[0] == pytest.approx(expected)
    # the second place is on the person's own street, 40 m further north: walk straight there
    assert routes.via[1] == -1
    assert routes.minutes[1] == pytest.approx((10 + 40 + 10) / 60)
    xy = walk.route_xy(targets, np.array([520.0, 110.0]), np.array([450.0, 170.0]), routes, 0)
    assert tuple(xy[0]) == (110.0, 130.0) and tuple(xy[-1]) == (520.0, 450.0)
    assert polyline_length_m(xy) == pytest.approx(expected * 60)
    direct = walk.route_xy(targets, np.array([520.0, 110.0]), np.array([450.0, 170.0]),
                           routes, 1)
    assert polyline_length_m(direct) == pytest.approx(60.0)


def test_limit_and_unreached_targets() -> None:
    network = street_grid()
    graph = walk_graph(network, PROFILES["elderly"])
    walk = walk_from(graph, 0.0, 0.0, limit_minutes=3.5)  # 210 m
    # (0, 0), (100, 0), (0, 100), (100, 100), (200, 0), (0, 200)
    assert np.isfinite(walk.minutes).sum() == 6
    targets = snap_points(network, np.array([500.0, np.nan]), np.array([500.0, np.nan]))
    routes = walk.to_targets(targets)
    assert np.isinf(routes.minutes).all() and routes.via.tolist() == [-2, -2]
    with pytest.raises(ValueError, match="not reached"):
        walk.route_xy(targets, np.array([500.0]), np.array([500.0]), routes, 0)
    with pytest.raises(ValueError, match="limit_minutes"):
        walk_from(graph, 0.0, 0.0, limit_minutes=0)
    with pytest.raises(ValueError, match="finite"):
        walk_from(graph, np.nan, 0.0, limit_minutes=5)


def test_one_way_slopes_use_the_walkers_direction() -> None:
    # a single street 0 → 1, uphill from 0: forward (0 → 1) is slower than backward
    network = StreetNetwork.from_arrays([0.0, 600.0], [0.0, 0.0], [0], [1], crs=CRS)
    graph = walk_graph(network, PROFILES["elderly"], elevation_m=np.array([0.0, 60.0]))
    up = walk_from(graph, 0.0, 0.0, limit_minutes=60)
    down = walk_from(graph, 600.0, 0.0, limit_minutes=60)
    assert up.minutes[1] == pytest.approx(graph.minutes.forward[0])
    assert down.minutes[0] == pytest.approx(graph.minutes.backward[0])
    assert up.minutes[1] > down.minutes[0]


def test_walk_matches_networkx_on_nagoya() -> None:
    network = load_streets(NAGOYA, metric_crs="EPSG:6675")
    graph = walk_graph(network, PROFILES["elderly"])
    x0, y0 = float(network.x.mean()), float(network.y.mean())
    walk = walk_from(graph, x0, y0, limit_minutes=30, forward=forward_graph(graph))
    nx_graph = nx.DiGraph()
    edge = int(walk.snapped.edge[0])
    for u, v, forward, backward in zip(network.u, network.v, graph.minutes.forward,
                                       graph.minutes.backward, strict=True):
        for a, b, w in ((u, v, forward), (v, u, backward)):
            if not nx_graph.has_edge(a, b) or nx_graph[a][b]["weight"] > w:
                nx_graph.add_edge(int(a), int(b), weight=float(w))
    nx_graph.add_edge("me", int(network.u[edge]), weight=float(walk.start_minutes[0]))
    nx_graph.add_edge("me", int(network.v[edge]), weight=float(walk.start_minutes[1]))
    expected = nx.single_source_dijkstra_path_length(nx_graph, "me", cutoff=30)
    reached = np.flatnonzero(np.isfinite(walk.minutes))
    assert len(reached) == len(expected) - 1
    for node in reached[::7]:
        assert walk.minutes[node] == pytest.approx(expected[int(node)])
        path = walk.path_nodes(int(node))
        steps = sum(nx_graph[a][b]["weight"] for a, b in itertools.pairwise(path))
        assert walk.start_minutes[walk.start[node]] + steps == pytest.approx(walk.minutes[node])


def test_connecting_routes_respect_order_and_loops() -> None:
    routes = [["駅", "市役所", "公民館"], ["公民館", "市役所", "駅"],
              ["駅", "病院", "公民館", "駅"]]
    assert connecting_routes(routes, "駅", "公民館") == [0, 2]
    assert connecting_routes(routes, "公民館", "駅") == [1, 2]
    assert connecting_routes(routes, "市役所", "病院") == []
    assert connecting_routes(routes, "駅", "駅") == []
