"""Places over their capacity on Takasaki's real places and population; the capacities
given to them here are made up for the tests."""

from __future__ import annotations

import pytest

from data import get_path
from layers.analysis import plan_study_area
from layers.capacity_load import RESIDENTS_PER_SEAT, place_load, relieving_suggestions
from layers.study import load_study_area
from webmap.maps.reach_layers import suggested_sites


@pytest.fixture(scope="module")
def takasaki():
    study = load_study_area(get_path("takasaki"))
    return study, plan_study_area(study)


def test_no_capacity_no_table(takasaki):
    study, plan = takasaki
    assert place_load(study, plan) is None


def test_small_capacities_are_over_and_suggestions_prefer_relief(takasaki):
    study, plan = takasaki
    places = study.places.copy()
    located = places.geometry.notna()
    # made up: every located place seats 5, the first one 500
    places["capacity"] = [5 if ok else None for ok in located]
    places.loc[places.index[located][0], "capacity"] = 500
    places["capacity"] = places["capacity"].astype("Int64")
    study = type(study)(**{**study.__dict__, "places": places})
    load = place_load(study, plan)
    assert load is not None and len(load) == int(located.sum())
    assert (load["over_capacity"] == (load["walk_in"] / load["capacity"]
                                      > RESIDENTS_PER_SEAT)).all()
    assert load["over_capacity"].any() and not load["over_capacity"].all()
    assert load["per_seat"].is_monotonic_decreasing
    sites = relieving_suggestions(study, plan, suggested_sites(study, plan))
    assert list(sites["rank"]) == list(range(1, len(sites) + 1))
    assert (sites["relieved"] >= 0).all() and sites["relieved"].sum() > 0
    score = sites["newly_covered"] + sites["relieved"]
    assert score.is_monotonic_decreasing


def test_capacities_as_a_file_gives_them(takasaki):
    study, plan = takasaki
    places = study.places.copy()
    # made up: texts, as a places CSV with a capacity column is read
    places["capacity"] = ["5" if i % 2 else "" for i in range(len(places))]
    study = type(study)(**{**study.__dict__, "places": places})
    load = place_load(study, plan)
    located = places.geometry.notna()
    assert load is not None
    assert len(load) == sum(1 for i, ok in enumerate(located) if ok and i % 2)
    assert set(load["capacity"]) == {5}
