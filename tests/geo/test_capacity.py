"""Walk-in people per place and the people a new site relieves (hand-made points; the counts
are made up for the tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from geo.planning.capacity import relieved_people, walk_in_people

COORD = st.floats(-2000, 2000, allow_nan=False)
POINTS = st.lists(st.tuples(COORD, COORD), min_size=1, max_size=30)


@given(places=POINTS, people=POINTS, radius=st.floats(10, 3000))
def test_everyone_counts_once_at_the_nearest_place_within_reach(places, people, radius):
    place_xy, people_xy = np.array(places), np.array(people)
    weights = np.arange(1, len(people) + 1, dtype=float)
    walk_in = walk_in_people(place_xy, people_xy, weights, radius_m=radius)
    distances = np.hypot(*(people_xy[:, None, :] - place_xy[None, :, :]).transpose(2, 0, 1))
    reached = distances.min(axis=1) <= radius
    assert walk_in.sum() == weights[reached].sum()
    assert (walk_in >= 0).all() and len(walk_in) == len(places)


def test_a_site_relieves_only_people_of_full_places_it_is_nearer_to():
    places = np.array([[0.0, 0.0], [2000.0, 0.0]])
    people = np.array([[300.0, 0.0], [-300.0, 0.0], [1900.0, 0.0]])
    weights = np.array([10.0, 20.0, 40.0])
    over = np.array([True, False])
    sites = np.array([[400.0, 0.0], [1800.0, 0.0], [-5000.0, 0.0]])
    relieved = relieved_people(sites, places, people, weights, over, radius_m=500)
    assert relieved.tolist() == [10.0, 0.0, 0.0]  # the second place is not full
    assert relieved_people(sites, places, people, weights, np.array([False, False]),
                           radius_m=500).tolist() == [0.0, 0.0, 0.0]
