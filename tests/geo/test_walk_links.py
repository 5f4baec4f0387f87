"""Walks between two sets of points: straight line × detour, and on a street grid."""

from __future__ import annotations

import numpy as np
import pytest

from geo.streets.network import StreetNetwork, snap_points
from geo.streets.reach import walk_graph
from geo.streets.walk_links import nearest_target, network_links, straight_links
from geo.streets.walking import PROFILES

PROFILE = PROFILES["elderly"]  # 60 m/min, detour 1.3


def grid(n: int = 6, spacing_m: float = 100.0) -> StreetNetwork:
    """An n × n street grid (hand-made), 100 m blocks."""
    index = np.arange(n * n).reshape(n, n)
    u = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    v = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    x, y = np.meshgrid(np.arange(n) * spacing_m, np.arange(n) * spacing_m)
    return StreetNetwork.from_arrays(x.ravel(), y.ravel(), u, v, crs="EPSG:6677")


def test_straight_links_keep_walks_within_the_limit():
    links = straight_links(np.array([0.0, 5000.0]), np.array([0.0, 0.0]),
                           np.array([0.0, 300.0, 600.0]), np.array([0.0, 400.0, 0.0]),
                           profile=PROFILE, max_minutes=12)
    assert list(zip(links.source.tolist(), links.target.tolist(), strict=False)) == [(0, 0), (0, 1)]
    assert links.minutes.tolist() == pytest.approx([0.0, 500 * 1.3 / 60])
    assert nearest_target(links)[1].tolist() == [0, -1]
    with pytest.raises(ValueError, match="max_minutes"):
        straight_links(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), profile=PROFILE,
                       max_minutes=0)


def test_network_links_walk_the_blocks():
    network = grid()
    graph = walk_graph(network, PROFILE)
    # (50, 0) is on the bottom street, (300, 250) on a north-south street, (420, 500) on the
    # top street; (250, 230) is inside a block, 30 m from the street y = 200
    sources = snap_points(network, np.array([50.0, 250.0]), np.array([0.0, 230.0]))
    targets = snap_points(network, np.array([300.0, 420.0, 60.0]),
                          np.array([250.0, 500.0, 0.0]))
    links = network_links(graph, sources, targets, max_minutes=30)
    found = {(int(s), int(t)): m for s, t, m in zip(links.source, links.target, links.minutes,
                                                    strict=True)}
    # (50, 0) → (300, 250): 250 m east and 250 m north along the blocks
    assert found[(0, 0)] == pytest.approx(500 / 60)
    # (50, 0) → (420, 500): 370 east + 500 north
    assert found[(0, 1)] == pytest.approx(870 / 60)
    # on the same street edge: 10 m along it
    assert found[(0, 2)] == pytest.approx(10 / 60)
    # (250, 230): 30 m to the street y = 200, 50 m along it to x = 300, 50 m north
    assert found[(1, 0)] == pytest.approx((30 + 50 + 50) / 60)
    # never shorter than the straight line at the same pace
    straight = np.hypot(*(np.array([[50.0, 0.0], [250.0, 230.0]])[links.source]
                          - np.array([[300.0, 250.0], [420.0, 500.0], [60.0, 0.0]])
                          [links.target]).T)
    assert (links.minutes >= straight / 60 - 1e-9).all()
    short = network_links(graph, sources, targets, max_minutes=5)
    assert set(zip(short.source.tolist(), short.target.tolist(), strict=False)) == {(0, 2), (1, 0)}
