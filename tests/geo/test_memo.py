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


def test_what_every_version_uses_outlives_the_versions() -> None:
    """A server's buses are used by every version of the places: kept however many there are."""
    memo, calls = FrameMemo(), []
    stops = _frame()

    def buses():
        calls.append("buses")
        return "buses"

    memo.get((stops,), ("buses",), buses)
    for version in range(3 * FrameMemo.size):
        places = _frame()  # a new version of the places each time
        memo.get((stops,), ("buses",), buses)
        memo.get((places,), ("reach", version), lambda: None)
    assert calls == ["buses"]
    first = _frame()
    memo.get((first,), ("first",), lambda: 1)
    for version in range(FrameMemo.size):
        memo.get((_frame(),), ("other", version), lambda: None)
    assert memo.get((first,), ("first",), lambda: 2) == 2  # not used since: it went first
