"""The local what-if (a bounded search, people recounted near the change) against recomputing
everything, on random place sets over a hand-made grid and real Nagoya streets.

People and places are random points (made-up positions and weights, seeded by hypothesis).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from street_grids import NAGOYA, street_grid

from geo.coverage.on_streets import People, coverage_by_district_network, district_of_points
from geo.planning.siting import what_if
from geo.streets.network import Snapped, snap_points
from geo.streets.reach import network_reach, walk_graph
from geo.streets.walking import PROFILES
from layers.files.streets import load_streets

THRESHOLDS = (2.0, 4.0, 6.0)


@pytest.fixture(scope="module", params=["grid", "nagoya"])
def streets(request: pytest.FixtureRequest) -> tuple:
    if request.param == "grid":
        network = street_grid(12, 80.0)
        return network, walk_graph(network, PROFILES["elderly"])
    network = load_streets(NAGOYA, metric_crs="EPSG:6675")
    return network, walk_graph(network, PROFILES["cane"])


def _points(network, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return (rng.uniform(network.x.min() - 50, network.x.max() + 50, n),
            rng.uniform(network.y.min() - 50, network.y.max() + 50, n))


def _concat(a: Snapped, b: Snapped) -> Snapped:
    return Snapped(*(np.concatenate([p, q]) for p, q in zip(
        (a.edge, a.fraction, a.distance_m), (b.edge, b.fraction, b.distance_m), strict=True)))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n_places=st.integers(1, 8), on_place=st.booleans())
def test_local_what_if_equals_full_recomputation(streets: tuple, seed: int, n_places: int,
                                                  on_place: bool) -> None:
    network, graph = streets
    rng = np.random.default_rng(seed)
    places = snap_points(network, *_points(network, rng, n_places))
    px, py = _points(network, rng, 300)
    midx = float(np.median(px))
    districts = np.array([shapely.box(px.min() - 1, py.min() - 1, midx, py.max() + 1),
                          shapely.box(midx, py.min() - 1, px.max() + 1, py.max() + 1)])
    people = People(snap_points(network, px, py), rng.integers(1, 10, 300) * 1.0,
                    district_of_points(px, py, districts), ["西", "東"], "total")
    reach = network_reach(graph, places, limit_minutes=max(THRESHOLDS))
    base = coverage_by_district_network(reach, people, THRESHOLDS)
    # a new site: sometimes on the street of an existing place (people walk straight to it)
    site = snap_points(network, *_points(network, rng, 1))
    if on_place:
        site = Snapped(places.edge[:1], rng.uniform(0, 1, 1), np.array([5.0]))
    new_reach, added = what_if(reach, people, THRESHOLDS, add=site, base=base)
    full_reach = network_reach(graph, _concat(places, site), limit_minutes=max(THRESHOLDS))
    full = coverage_by_district_network(full_reach, people, THRESHOLDS)
    assert new_reach.minutes == pytest.approx(full_reach.minutes)
    pd.testing.assert_frame_equal(added.table, full.table)
    pd.testing.assert_frame_equal(added.city, full.city)
    assert added.minutes == pytest.approx(full.minutes)
    # remove each place in turn (and once with the new site added at the same time)
    for removed in range(n_places):
        edges = places.edge.copy()
        edges[removed] = -1
        fewer = Snapped(edges, places.fraction, places.distance_m)
        for also_add in (None, site):
            after_reach, after = what_if(reach, people, THRESHOLDS, remove=removed,
                                         add=also_add, base=base)
            expected_places = fewer if also_add is None else _concat(fewer, site)
            expected_reach = network_reach(graph, expected_places,
                                           limit_minutes=max(THRESHOLDS))
            expected = coverage_by_district_network(expected_reach, people, THRESHOLDS)
            assert after_reach.minutes == pytest.approx(expected_reach.minutes)
            assert removed not in set(after_reach.nearest)
            pd.testing.assert_frame_equal(after.table, expected.table)
            assert after.minutes == pytest.approx(expected.minutes)
