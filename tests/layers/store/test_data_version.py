"""The data version: one row that every committed change of places or routes moves, once.

Every process serving a database compares it with the version its maps were drawn at
(:mod:`webmap.web.live`), so it must move with every committed change (edits, retirements,
imports, routes), exactly once per transaction, never for a rolled-back one, and not for
changes the maps do not draw (accounts, scenarios). Runs on a GeoPackage and on PostGIS.
"""

from __future__ import annotations

import threading

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.errors import LayerError
from layers.store.database import DATA_VERSION_CHANNEL, Transaction
from layers.store.features import VersionConflict
from layers.store.places import PlaceStore
from layers.store.routes import add_walking_route, retire_walking_route, update_walking_route
from layers.store.scenarios import ScenarioStore
from layers.store.site import SiteDatabase
from layers.store.users import UserStore

SALON = {"name": "版テストサロン", "category": "サロン", "lon": 139.0035, "lat": 36.3219,
         "position_source": "exact: 地図で確認"}
LINE = [[139.000, 36.320], [139.004, 36.322]]
FEW = settings(max_examples=40, deadline=None, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture,
                                      HealthCheck.too_slow])


def version(store: PlaceStore) -> int:
    return SiteDatabase(places=store, users=UserStore(store.database),
                        scenarios=ScenarioStore(store.database), location="").data_version()


def test_every_committed_change_moves_the_version_once(store: PlaceStore) -> None:
    start = version(store)
    place = store.add_place(SALON, user="sato")
    assert version(store) == start + 1
    store.update_place(place["place_id"], {"notes": "毎週"}, expected_version=1, user="sato")
    assert version(store) == start + 2
    store.update_place(place["place_id"], {"notes": "毎週"}, expected_version=2, user="sato")
    assert version(store) == start + 2  # saved without a change: nothing committed
    store.retire_place(place["place_id"], expected_version=2, user="sato")
    assert version(store) == start + 3
    frame = gpd.GeoDataFrame({"name": ["取込A", "取込B"], "category": ["サロン", "サロン"]},
                             geometry=[shapely.Point(139.0, 36.32), shapely.Point(139.01, 36.33)],
                             crs="EPSG:4326")
    assert len(store.import_places(frame, user="sato")) == 2
    assert version(store) == start + 4  # one import, one transaction, one step
    route = add_walking_route(store, {"name": "版コース", "line": LINE}, user="sato")
    update_walking_route(store, route["route_id"], {"name": "版コース2"}, expected_version=1,
                         user="sato")
    retire_walking_route(store, route["route_id"], expected_version=2, user="sato")
    assert version(store) == start + 7


def test_refused_changes_and_other_tables_leave_it(store: PlaceStore) -> None:
    place = store.add_place(SALON, user="sato")
    start = version(store)
    with pytest.raises(VersionConflict):
        store.update_place(place["place_id"], {"notes": "x"}, expected_version=9, user="sato")
    with pytest.raises(LayerError):
        store.add_place({**SALON, "name": "", "lat": 99}, user="sato")
    UserStore(store.database).create_user("hanako", "correct horse 1", role="editor")
    ScenarioStore(store.database).save("版の案", {"remove": ["p0001"]},
                                       user="hanako")
    assert version(store) == start


def test_a_failing_commit_check_rolls_the_change_back(store: PlaceStore) -> None:
    seen: list[int] = []
    committed: list[int] = []

    def check(tx: Transaction) -> None:
        assert tx.data_version is not None
        names = set(store.places()["name"])  # joins ``tx``: sees the uncommitted place
        seen.append(tx.data_version)
        tx.after_commit(lambda: committed.append(tx.data_version))
        if "描けない場所" in names:
            raise RuntimeError("cannot draw")

    store.database.add_commit_check(check)
    start = version(store)
    with pytest.raises(RuntimeError, match="cannot draw"):
        store.add_place({**SALON, "name": "描けない場所"}, user="sato")
    assert "描けない場所" not in set(store.places(include_retired=True)["name"])
    assert store.audit(layer="places") == [] and version(store) == start
    assert seen == [start + 1] and committed == []
    store.add_place(SALON, user="sato")
    assert seen == [start + 1, start + 1] and committed == [start + 1]
    assert version(store) == start + 1


def test_a_write_inside_a_read_is_refused(store: PlaceStore) -> None:
    with store.database.transaction(write=False), pytest.raises(RuntimeError, match="read"):
        store.add_place(SALON, user="sato")
    assert store.places().empty


def test_concurrent_changes_get_consecutive_versions(store: PlaceStore) -> None:
    start = version(store)
    errors: list[BaseException] = []

    def add(number: int) -> None:
        try:
            store.add_place({**SALON, "name": f"同時{number}", "lon": 139.0 + number / 1000},
                            user="sato")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert version(store) == start + 6
    assert len(store.places()) == 6


def test_postgis_announces_the_version_on_commit_only(postgis_url: str) -> None:
    from layers.store.places import open_store

    store = open_store(postgis_url)
    store.migrate()
    database = store.database
    with database.connect(autocommit=True) as listener:
        listener.execute(f"LISTEN {DATA_VERSION_CHANNEL}")
        start = version(store)
        with pytest.raises(LayerError):
            store.add_place({**SALON, "name": ""}, user="sato")
        store.add_place(SALON, user="sato")
        notices = [int(n.payload) for n in listener.notifies(timeout=2.0, stop_after=1)]
    assert notices == [start + 1]


OPERATIONS = st.lists(st.tuples(
    st.sampled_from(["add", "edit", "retire", "bad", "conflict", "refused"]),
    # NUL is left out: PostgreSQL refuses it in text (a validation matter, reported apart)
    st.text(st.characters(exclude_characters="\x00"), max_size=20)), min_size=1, max_size=8)

#: Databases (by id) that have the refusing check of the property test.
_REFUSING: dict[int, threading.local] = {}


def _refusing(store: PlaceStore) -> threading.local:
    """A switch that makes every commit of ``store`` fail its commit check while on."""
    if id(store.database) not in _REFUSING:
        switch = threading.local()

        def check(tx: Transaction) -> None:
            if getattr(switch, "on", False):
                raise RuntimeError("refused by the check")

        store.database.add_commit_check(check)
        _REFUSING[id(store.database)] = switch
    return _REFUSING[id(store.database)]


@FEW
@given(operations=OPERATIONS)
def test_version_counts_exactly_the_committed_changes(store: PlaceStore, operations) -> None:
    """Any mix of changes that commit, fail validation, conflict or fail a commit check."""
    refuse = _refusing(store)
    committed = 0
    start = version(store)
    audit_before = len(store.audit(layer="places"))
    for number, (operation, text) in enumerate(operations):
        open_places = store.places()
        target = open_places.iloc[-1] if len(open_places) else None
        notes = f"{text}!{number}"
        try:
            refuse.on = operation == "refused"
            if operation in ("add", "refused"):
                store.add_place({**SALON, "name": f"{text}-{number}-{start}", "notes": text},
                                user="sato")
            elif operation == "bad":
                store.add_place({**SALON, "name": f"bad{number}", "lat": 91.0}, user="sato")
            elif target is None:
                continue
            elif operation == "edit":  # unchanged notes (an example run again) commit nothing
                after = store.update_place(target["place_id"], {"notes": notes},
                                           expected_version=int(target["version"]), user="sato")
                committed -= after["version"] == target["version"]
            elif operation == "retire":
                store.retire_place(target["place_id"], expected_version=int(target["version"]),
                                   user="sato")
            else:
                store.update_place(target["place_id"], {"notes": notes},
                                   expected_version=int(target["version"]) + 5, user="sato")
            committed += operation in ("add", "edit", "retire")
        except (LayerError, VersionConflict, RuntimeError) as exc:
            assert operation in ("bad", "conflict", "refused", "add"), exc  # add: a taken name
        finally:
            refuse.on = False
        assert version(store) == start + committed
    assert len(store.audit(layer="places")) == audit_before + committed
