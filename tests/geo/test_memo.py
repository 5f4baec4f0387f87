"""Values kept for the very frames they were computed from (:class:`geo.memo.FrameMemo`)."""

from __future__ import annotations

import copy
import pickle

import geopandas as gpd
import shapely

from geo.memo import FrameMemo, remembered


def _frame() -> gpd.GeoDataFrame:
    """Two made-up population points."""
    return gpd.GeoDataFrame({"total": [10.0, 20.0]},
                            geometry=[shapely.Point(0, 0), shapely.Point(100, 0)],
                            crs="EPSG:6677")


def test_kept_for_the_same_frames_only() -> None:
    memo, calls = FrameMemo(), []

    def compute(frame):
        calls.append(frame)
        return float(frame["total"].sum())

    population = _frame()
    for _ in range(3):
        assert remembered(memo, (population, None), ("a",), lambda: compute(population)) == 30
    assert len(calls) == 1
    twin = population.copy()  # equal, but another frame: never served another's value
    remembered(memo, (twin, None), ("a",), lambda: compute(twin))
    remembered(memo, (population, None), ("b",), lambda: compute(population))  # other params
    assert len(calls) == 3
    population.loc[0, "total"] = 15.0  # changed in place (not done, but never stale)
    assert remembered(memo, (population, None), ("a",), lambda: compute(population)) == 35
    assert len(calls) == 4


def test_without_a_memo_it_is_computed_each_time_and_copies_start_empty() -> None:
    population, calls = _frame(), []
    for _ in range(2):
        remembered(None, (population,), (), lambda: calls.append(1))
    assert len(calls) == 2
    memo = FrameMemo()
    memo.get((population,), (), lambda: 1)
    assert repr(memo) == "FrameMemo(1 kept)"
    assert repr(pickle.loads(pickle.dumps(memo))) == repr(copy.deepcopy(memo)) == \
        "FrameMemo(0 kept)"
