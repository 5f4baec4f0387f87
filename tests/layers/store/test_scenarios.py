"""Saved what-if scenarios: checked, stored and read back the same on a GeoPackage and PostGIS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from layers.store.database import open_database
from layers.store.migrations import MIGRATIONS, SchemaVersionError, migrate
from layers.store.scenarios import (
    MAX_NAME_CHARS,
    MAX_SCENARIO_CHANGES,
    DuplicateScenarioError,
    ScenarioError,
    ScenarioNotFoundError,
    ScenarioStore,
    check_changes,
    check_name,
    open_scenarios,
)

CHANGES = {"add": [{"lonlat": [139.0035, 36.3205], "label": "駅前の候補"},
                   {"lonlat": [139.01, 36.33]}],
           "remove": ["p0012"], "threshold": 500}


@pytest.fixture
def scenarios(store_url: str) -> ScenarioStore:
    """A migrated, empty scenario store (GeoPackage, then PostGIS)."""
    store = open_scenarios(store_url)
    store.migrate()
    return store


def test_save_list_get_delete(scenarios):
    before = datetime.now(UTC).replace(microsecond=0)
    saved = scenarios.save("案A：駅前に2か所", CHANGES, user="tanaka", district="中央・南・城南")
    assert saved["scenario_id"] == "s0001"
    assert saved["name"] == "案A：駅前に2か所" and saved["district"] == "中央・南・城南"
    assert saved["created_by"] == "tanaka" and saved["created_at"] >= before
    assert saved["add"] == [{"lonlat": [139.0035, 36.3205], "label": "駅前の候補"},
                            {"lonlat": [139.01, 36.33], "label": ""}]
    assert saved["remove"] == ["p0012"] and saved["threshold"] == 500.0
    second = scenarios.save("案B", {"remove": ["p0001", "p0002"]}, user="sato")
    assert second["scenario_id"] == "s0002" and second["district"] == ""
    assert second["threshold"] is None and second["add"] == []
    assert [s["name"] for s in scenarios.scenarios()] == ["案A：駅前に2か所", "案B"]
    assert scenarios.scenario("s0001") == saved
    scenarios.delete("s0001", user="sato")
    assert [s["scenario_id"] for s in scenarios.scenarios()] == ["s0002"]
    with pytest.raises(ScenarioNotFoundError, match="s0001"):
        scenarios.scenario("s0001")
    with pytest.raises(ScenarioNotFoundError):
        scenarios.delete("s0001", user="sato")
    # ids are never reused while a later one exists
    assert scenarios.save("案C", {"remove": ["p0003"]}, user="sato")["scenario_id"] == "s0003"


def test_text_comes_back_as_saved(scenarios):
    name = "<script>alert('案')</script> & \"引用\""
    label = "O'Brien の家 <b>"
    saved = scenarios.save(name, {"add": [{"lonlat": [139.0, 36.3], "label": label}]},
                           user="tanaka")
    again = scenarios.scenario(saved["scenario_id"])
    assert again["name"] == name and again["add"][0]["label"] == label


def test_duplicate_name_is_refused(scenarios):
    scenarios.save("案A", {"remove": ["p0012"]}, user="tanaka")
    with pytest.raises(DuplicateScenarioError, match="already saved"):
        scenarios.save("  案A ", {"remove": ["p0013"]}, user="sato")
    assert len(scenarios.scenarios()) == 1


def test_nothing_is_stored_when_a_save_fails(scenarios):
    with pytest.raises(ScenarioError):
        scenarios.save("案A", {"add": [{"lonlat": [139.0, 99.0]}]}, user="tanaka")
    with pytest.raises(ValueError, match="user"):
        scenarios.save("案A", {"remove": ["p0012"]}, user=" ")
    assert scenarios.scenarios() == []


def test_an_old_schema_is_refused(store_url):
    database = open_database(store_url)
    migrate(database, migrations=MIGRATIONS[:1])
    with pytest.raises(SchemaVersionError, match="version 1"):
        ScenarioStore(database).scenarios()


@pytest.mark.parametrize(("name", "problem"), [
    ("", "empty"), ("   ", "empty"), (None, "text"), (12, "text"),
    ("案" * (MAX_NAME_CHARS + 1), "shorten"), ("案A\n案B", "one line"), ("案\tA", "one line"),
])
def test_bad_names(name, problem):
    with pytest.raises(ScenarioError, match=problem):
        check_name(name)


def test_name_is_stripped():
    assert check_name("  案A ") == "案A"


@pytest.mark.parametrize(("changes", "problem"), [
    ([], "object"),
    ({}, "nothing to save"),
    ({"add": [], "remove": []}, "nothing to save"),
    ({"add": [[139.0, 36.3]]}, r"add\[0\] must be an object"),
    ({"add": [{"lonlat": [36.3]}]}, r"add\[0\].lonlat"),
    ({"add": [{"lonlat": [139.0, 136.3]}]}, r"add\[0\].lonlat"),
    ({"add": [{"lonlat": [True, 36.3]}]}, r"add\[0\].lonlat"),
    ({"add": [{"lonlat": [139.0, 36.3], "label": "a\nb"}]}, "one line"),
    ({"add": "139,36"}, "add must be a list"),
    ({"remove": "p0012"}, "remove must be a list"),
    ({"remove": ["p0012", 12, "<b>"]}, "not ids"),
    ({"remove": ["p0012"], "threshold": -5}, "threshold"),
    ({"remove": ["p0012"], "colour": "red"}, "unknown field"),
    ({"remove": [f"p{i:04d}" for i in range(MAX_SCENARIO_CHANGES + 1)]}, "more than"),
])
def test_bad_changes(changes, problem):
    with pytest.raises(ScenarioError, match=problem):
        check_changes(changes)


def test_every_problem_is_listed():
    with pytest.raises(ScenarioError) as raised:
        check_changes({"add": [{"lonlat": [0, 99]}], "remove": [1], "threshold": "x"})
    assert len(raised.value.problems) == 3


def test_changes_are_normalised():
    checked = check_changes({"add": [{"lonlat": [139, 36], "label": " 候補 "}],
                             "remove": ["p0002", "p0001", "p0002"]})
    assert checked == {"version": 1, "add": [{"lonlat": [139.0, 36.0], "label": "候補"}],
                       "remove": ["p0002", "p0001"], "threshold": None}
