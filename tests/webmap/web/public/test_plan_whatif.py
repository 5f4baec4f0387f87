"""POST /api/what-if with several changes at once: the same as planning the changed city anew.

Straight line on Takasaki (the embedded data), and on the street network of the small Nagoya
study area.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from nagoya_city import write_nagoya_config

from geo.crs import STORAGE_CRS
from geo.planning.straight_line import coverage_table
from layers.analysis import plan_study_area, what_if_many
from layers.study import StudyArea
from webmap.web.app import create_app
from webmap.web.base import app_state


@pytest.fixture(scope="module")
def nagoya_app(tmp_path_factory):
    """The app on the Nagoya study area, which has a street network."""
    config = write_nagoya_config(tmp_path_factory.mktemp("nagoya-plan"))
    return create_app({"TESTING": True, "CONFIG": str(config)})


def post(client, body, status: int = 200) -> dict:
    response = client.post("/api/what-if", json=body)
    assert response.status_code == status, response.get_json()
    data = response.get_json()
    assert data["ok"] is (status == 200)
    return data


def changed_study(study: StudyArea, *, add: list[tuple[float, float]],
                  remove: list[str]) -> StudyArea:
    """``study`` with places removed and new ones added, to be planned from scratch."""
    kept = study.places[~study.places["place_id"].isin(remove)]
    new = gpd.GeoDataFrame(
        {"place_id": [f"new{i}" for i in range(len(add))], "name": "計画",
         "category": "居場所", "district": ""},
        geometry=[shapely.Point(*lonlat) for lonlat in add], crs=STORAGE_CRS)
    places = gpd.GeoDataFrame(pd.concat([kept, new], ignore_index=True), crs=STORAGE_CRS)
    # no candidates: only the coverage is compared, the suggestions are not needed
    return dataclasses.replace(study, places=places, candidates=None)


def recomputed(study: StudyArea, *, add, remove) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """District and city coverage of the changed study area, planned from scratch."""
    plan = plan_study_area(changed_study(study, add=add, remove=remove))
    if plan.network is not None:
        return plan.network.coverage.table, plan.network.coverage.city, "minutes"
    table, city = coverage_table(plan.straight, study.config.radii_m)
    return table, city, "radius_m"


def assert_matches(data: dict, study: StudyArea, *, add, remove) -> None:
    table, city, column = recomputed(study, add=add, remove=remove)
    for row, expected in zip(data["city"], city.itertuples(), strict=True):
        assert row["threshold"] == getattr(expected, column)
        assert row["after"]["covered"] == pytest.approx(expected.covered)
    expected = table.set_index(["district", column])["covered"]
    for row in data["districts"]:
        assert row["after"]["covered"] == pytest.approx(
            expected[(row["district"], row["threshold"])])
    # the districts left out are those the changes leave as they were
    listed = {row["district"] for row in data["districts"]}
    original, _, _ = recomputed(study, add=[], remove=[])
    original = original.set_index(["district", column])["covered"]
    for key in [key for key in original.index if key[0] not in listed and key[0] != ""]:
        assert expected[key] == pytest.approx(original[key])


def test_several_changes_equal_planning_anew(client, app):
    state = app_state(app).maps
    sites = state.plan.suggestions
    add = [(g.x, g.y) for g in sites.geometry.iloc[:3]]
    remove = ["p0012", "p0020"]
    data = post(client, {"add": [list(a) for a in add], "remove": remove})
    assert data["method"] == "straight"
    assert [a["lonlat"] for a in data["added"]] == [list(a) for a in add]
    assert [a["district"] for a in data["added"]] == list(sites["district"].iloc[:3])
    assert [r["place_id"] for r in data["removed"]] == remove
    assert_matches(data, state.study, add=add, remove=remove)
    assert len({row["district"] for row in data["districts"]}) < len(state.study.district_names)
    # the order of the changes does not matter
    reordered = post(client, {"add": [list(a) for a in reversed(add)],
                              "remove": list(reversed(remove))})
    assert [r["after"]["covered"] for r in reordered["city"]] == pytest.approx(
        [r["after"]["covered"] for r in data["city"]])


def test_several_adds_gain_what_siting_said(client, app):
    """The greedy ranking's running total is the coverage of its first k sites together."""
    plan = app_state(app).maps.plan
    sites = plan.suggestions.iloc[:4]
    data = post(client, {"add": [[g.x, g.y] for g in sites.geometry]})
    at = next(row for row in data["city"] if row["threshold"] == plan.suggestion_threshold)
    assert at["after"]["covered"] == pytest.approx(sites["covered_total"].iloc[-1])
    assert at["change"] == pytest.approx(sites["newly_covered"].sum())


def test_closing_and_reopening_in_the_same_place_changes_nothing(client, app):
    place = app_state(app).maps.study.places.set_index("place_id").loc["p0012"]
    data = post(client, {"add": [[place.geometry.x, place.geometry.y]], "remove": ["p0012"]})
    for row in data["city"]:
        assert row["change"] == pytest.approx(0)
        assert row["after"]["covered"] == pytest.approx(row["before"]["covered"])
    assert data["districts"] == []


def test_no_change_is_the_baseline(client, app):
    data = post(client, {"add": [], "remove": []})
    assert data["added"] == [] and data["removed"] == [] and data["districts"] == []
    assert all(row["change"] == 0 for row in data["city"])


def test_repeated_removals_count_once(client):
    once = post(client, {"remove": ["p0012"]})
    twice = post(client, {"remove": ["p0012", "p0012"]})
    assert [r["after"]["covered"] for r in twice["city"]] == [
        r["after"]["covered"] for r in once["city"]]
    assert len(twice["removed"]) == 1


def test_single_forms_still_answer_with_objects(client):
    data = post(client, {"add": [139.0035, 36.3205], "remove": "p0012"})
    assert data["added"]["district"] and data["removed"]["place_id"] == "p0012"
    data = post(client, {"add": [[139.0035, 36.3205]], "remove": "p0012"})
    assert isinstance(data["added"], list) and isinstance(data["removed"], dict)


@pytest.mark.parametrize("body", [
    {"add": [[139.0035, 36.3205], [0, 0]]},
    {"add": [[139.0035, 36.3205], "139,36"]},
    {"add": [[139.0035, 36.3205], [139.0, 36.3, 5]]},
    {"remove": ["p0012", 5]},
    {"remove": ["p0012", ""]},
    {"remove": ["p0012", "p9999"]},
    {"remove": ["p0003"]},  # no position
    {"add": [[139.0, 36.3]] * 101},
])
def test_bad_lists_are_400(client, body):
    data = post(client, body, status=400)
    assert data["status"] == 400 and data["error"]


def test_what_if_many_raises_for_a_point_outside(app):
    state = app_state(app).maps
    with pytest.raises(ValueError, match="outside the study area"):
        what_if_many(state.study, state.plan, add_lonlats=[(139.0035, 36.3205), (140.5, 36.3)])


def test_network_several_changes_equal_planning_anew(nagoya_app):
    client = nagoya_app.test_client()
    state = app_state(nagoya_app).maps
    add = [(g.x, g.y) for g in state.plan.suggestions.geometry.iloc[:2]]
    remove = ["p0001"]
    data = post(client, {"add": [list(a) for a in add], "remove": remove})
    assert data["method"] == "network" and data["unit"] == "minutes"
    assert_matches(data, state.study, add=add, remove=remove)


def test_network_closing_and_reopening_changes_nothing(nagoya_app):
    client = nagoya_app.test_client()
    place = app_state(nagoya_app).maps.study.places.set_index("place_id").loc["p0001"]
    data = post(client, {"add": [[place.geometry.x, place.geometry.y]], "remove": ["p0001"]})
    for row in data["city"]:
        assert row["after"]["covered"] == pytest.approx(row["before"]["covered"])
    assert data["districts"] == []
