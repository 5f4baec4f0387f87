"""Planning on real streets (Nagoya) and in a straight line (Takasaki)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from nagoya_city import write_nagoya_config  # tests/nagoya_city.py, beside conftest.py

from data import get_path
from geo.coverage.by_distance import assign_districts
from layers.analysis import plan_study_area, what_if, what_if_counts, what_if_many
from layers.study import load_study_area


@pytest.fixture(scope="module")
def nagoya(tmp_path_factory):
    study = load_study_area(write_nagoya_config(tmp_path_factory.mktemp("nagoya")))
    return study, plan_study_area(study)


def test_network_suggestions_name_their_district(nagoya) -> None:
    study, plan = nagoya
    assert plan.method == "network"
    assert len(plan.suggestions) > 0
    assert set(plan.suggestions["district"]) <= set(study.districts["name"])
    assert (plan.suggestions["district"] != "").all()


def test_what_if_refuses_a_point_far_outside(nagoya) -> None:
    study, plan = nagoya
    with pytest.raises(ValueError, match="outside the study area"):
        what_if(study, plan, add_lonlat=(139.0, 36.3))  # Takasaki, 250 km away
    result = what_if(study, plan, add_lonlat=(136.9080, 35.1700))
    before, after = result["before"]["city"], result["after"]["city"]
    assert (after["covered"].to_numpy() >= before["covered"].to_numpy()).all()


def test_straight_plan_on_takasaki() -> None:
    study = load_study_area(get_path("takasaki"))
    plan = plan_study_area(study)
    assert plan.method == "straight" and plan.network is None
    assert plan.suggestion_threshold == 500.0
    assert len(plan.suggestions) == study.config.suggestions


@pytest.fixture(scope="module")
def takasaki_plan():
    study = load_study_area(get_path("takasaki"))
    return study, plan_study_area(study)


@pytest.mark.parametrize("area", ["takasaki_plan", "nagoya"])
def test_what_if_counts_are_the_tables_of_what_if_many(area, request) -> None:
    """The arrays the what-if endpoint answers from hold the numbers of the tables."""
    study, plan = request.getfixturevalue(area)
    located = study.places[study.places.geometry.notna()]
    centre = located.geometry.iloc[len(located) // 2]
    changes = {"remove_place_ids": located["place_id"].iloc[[0, -1]].tolist(),
               "add_lonlats": [(centre.x + 0.004, centre.y + 0.003), (centre.x, centre.y)]}
    tables = what_if_many(study, plan, **changes)
    counts = what_if_counts(study, plan, **changes)
    column = "minutes" if counts.method == "network" else "radius_m"
    assert counts.method == tables["method"] and counts.unit == tables["unit"]
    assert counts.thresholds == [float(t) for t in tables["thresholds"]]
    for when, covered in (("before", counts.covered_before), ("after", counts.covered_after)):
        table = tables[when]["districts"]
        for t, threshold in enumerate(counts.thresholds):
            rows = table[table[column] == threshold].set_index("district")
            rows = rows.loc[counts.districts]
            assert covered[t] == pytest.approx(rows["covered"].to_numpy())
            assert counts.population == pytest.approx(rows["population"].to_numpy())
        city = tables[when]["city"]
        assert covered.sum(axis=1) == pytest.approx(city["covered"].to_numpy())
    assert (counts.covered_after != counts.covered_before).any()
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*np.array(changes["add_lonlats"]).T),
                              crs="EPSG:4326")
    assert counts.added_districts == assign_districts(
        points, study.districts, metric_crs=study.config.metric_crs).tolist()
