"""Planning on real streets (Nagoya) and in a straight line (Takasaki)."""

from __future__ import annotations

import pytest
from nagoya_city import write_nagoya_config  # tests/nagoya_city.py, beside conftest.py

from data import get_path
from layers.planning import plan_study_area, what_if
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
