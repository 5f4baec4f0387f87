"""The places database: every test that takes ``store`` runs on a GeoPackage and on PostGIS."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from layers.config import StudyConfig
from layers.errors import LayerError
from layers.fields.schema import MAX_CHARS, PLACE_COLUMNS, PLACE_NUMBER_COLUMNS, TEXT_FIELDS
from layers.files.places import load_places
from layers.files.points import StudyExtent
from layers.store.database import (
    DATABASE_URL_ENV,
    DatabaseUnavailableError,
    GeoPackageDatabase,
    PostGISDatabase,
    open_database,
    store_url_from_env,
)
from layers.store.features import (
    TIMESTAMP_COLUMNS,
    FeatureTable,
    PlaceNotFoundError,
    VersionConflict,
)
from layers.store.gpkg_format import decode_gpkg_geometry, encode_gpkg_geometry
from layers.store.migrations import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    SchemaVersionError,
    migrate,
)
from layers.store.place_io import export_places, import_file, preview_import, seed_store
from layers.store.places import PlaceStore, open_store
from layers.store.routes import import_walking_routes, walking_routes

#: The version a new migration would get.
NEXT = LATEST_VERSION + 1

SALON = {"name": "テストサロン", "category": "サロン", "lon": 139.0046, "lat": 36.3219,
         "position_source": "exact:地理院地図", "schedule": "毎週火曜日 10:00"}


@pytest.fixture(scope="module")
def takasaki_places(takasaki_config: StudyConfig, takasaki_extent: StudyExtent):
    places, _ = load_places(takasaki_config.layers["places"],
                            categories=takasaki_config.categories, extent=takasaki_extent)
    return places


@pytest.fixture
def takasaki_store(store: PlaceStore, takasaki_places: gpd.GeoDataFrame) -> PlaceStore:
    store.import_places(takasaki_places, user="seed", source="places.csv")
    return store


def _in_threads(work: Callable[[int], None], count: int) -> None:
    """Run ``work(0)`` … ``work(count - 1)`` in threads at once; fail with what any raised."""
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures


def _wkt(geometries: gpd.GeoSeries) -> list[str | None]:
    return [None if g is None else g.wkt for g in geometries]


# -- schema and migrations -----------------------------------------------------------------

def test_migrate_from_empty_then_idempotent(empty_store: PlaceStore) -> None:
    assert empty_store.schema_version == 0
    assert empty_store.migrate() == [m.version for m in MIGRATIONS]
    assert empty_store.schema_version == LATEST_VERSION
    assert empty_store.migrate() == []
    assert empty_store.schema_version == LATEST_VERSION
    assert len(empty_store.places()) == 0
    assert empty_store.audit() == []


def test_the_migrated_places_table_is_the_place_schema(store: PlaceStore) -> None:
    # the migrations' DDL is history (never edited); the schema's columns must match it
    store.add_place(SALON, user="suzuki")
    with store.database.transaction(write=False) as tx:
        (row,) = tx.rows("SELECT * FROM places")
    # columns added by later migrations (ALTER TABLE) come after geom, in migration order
    first = ["fid", "id", *PLACE_COLUMNS[1:PLACE_COLUMNS.index("source") + 1], "version",
             *TIMESTAMP_COLUMNS, "geom"]
    added = [c for c in PLACE_COLUMNS if c not in first and c != "place_id"]
    assert list(row) == [*first, *PLACE_NUMBER_COLUMNS, *added]
    assert list(PLACE_NUMBER_COLUMNS) == ["capacity"]  # migration 6
    assert added == ["serves"]  # migration 7
    assert set(MAX_CHARS["places"]) == set(TEXT_FIELDS)  # a limit for every text stored


def test_unmigrated_store_says_to_migrate(empty_store: PlaceStore) -> None:
    if isinstance(empty_store.database, GeoPackageDatabase):
        empty_store.database.path.touch()  # an empty file: a database without tables
    with pytest.raises(SchemaVersionError, match=r"schema version 0.*migrate"):
        empty_store.places()


def test_failed_migration_changes_nothing(store: PlaceStore) -> None:
    def broken(database, tx) -> None:
        tx.execute(f"CREATE TABLE half_done (id {database.types['text']})")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        migrate(store.database, migrations=(*MIGRATIONS, Migration(NEXT, "broken", broken)))
    assert store.schema_version == LATEST_VERSION
    with store.database.transaction(write=False) as tx:
        assert not store.database.table_exists(tx, "half_done")


def test_next_migration_applies_once_and_old_code_refuses_newer(store: PlaceStore) -> None:
    def add_column(database, tx) -> None:
        tx.execute(f"ALTER TABLE places ADD COLUMN website {database.types['text']}")

    steps = (*MIGRATIONS, Migration(NEXT, "places.website", add_column))
    assert migrate(store.database, migrations=steps) == [NEXT]
    assert migrate(store.database, migrations=steps) == []
    assert store.schema_version == NEXT
    with pytest.raises(SchemaVersionError, match="newer than this ibasho"):
        store.migrate()
    newer = PlaceStore(store.database)
    with pytest.raises(SchemaVersionError, match="Update ibasho"):
        newer.places()


def test_a_migration_of_a_parallel_branch_fills_its_gap_later(store: PlaceStore) -> None:
    """A version left free for another branch is applied when it arrives, after later ones."""
    gap = NEXT + 1
    steps = (*MIGRATIONS, Migration(gap, "later", lambda database, tx: None))
    assert migrate(store.database, migrations=steps) == [gap]

    def add_column(database, tx):
        tx.execute(f"ALTER TABLE places ADD COLUMN parallel {database.types['text']}")

    filled = (*MIGRATIONS, Migration(NEXT, "parallel", add_column), steps[-1])
    assert migrate(store.database, migrations=filled) == [NEXT]
    assert migrate(store.database, migrations=filled) == []
    with store.database.transaction(write=False) as tx:
        assert tx.rows("SELECT parallel FROM places") == []


def test_migrations_must_be_numbered_in_order(tmp_path: Path) -> None:
    step = MIGRATIONS[0]
    with pytest.raises(ValueError, match=r"1, 2, 3 .* got \[2\]"):
        migrate(open_database(tmp_path / "x.gpkg"), migrations=(Migration(2, "x", step.apply),))


# -- importing -------------------------------------------------------------------------------

def test_import_takasaki_places(store: PlaceStore, takasaki_places: gpd.GeoDataFrame) -> None:
    ids = store.import_places(takasaki_places, user="seed", source="places.csv")
    assert len(ids) == 76
    stored = store.places()
    assert len(stored) == 76
    assert stored.geometry.isna().sum() == 10
    assert stored.crs == "EPSG:4326"
    assert list(stored.columns) == [*PLACE_COLUMNS, "row", *PLACE_NUMBER_COLUMNS, "version",
                                    "updated_at", "retired_at", "geometry"]
    assert stored["capacity"].isna().all()  # Takasaki's file has no 定員 column
    for column in PLACE_COLUMNS:  # ids too: p0001 … in file order, as load_places gives them
        assert list(stored[column]) == list(takasaki_places[column]), column
    assert _wkt(stored.geometry) == _wkt(takasaki_places.geometry)
    assert (stored["version"] == 1).all()
    audit = store.audit()
    assert len(audit) == 76
    assert {entry["action"] for entry in audit} == {"import"}
    assert audit[0]["after"]["name"] == takasaki_places["name"].iloc[0]


def test_seed_from_config_only_into_an_empty_store(store: PlaceStore,
                                                   takasaki_config: StudyConfig,
                                                   takasaki_extent: StudyExtent) -> None:
    counts = seed_store(store, takasaki_config, user="seed", extent=takasaki_extent)
    assert counts == {"places": 76, "walking_routes": 0}
    again = seed_store(store, takasaki_config, user="seed", extent=takasaki_extent)
    assert again == {"places": 0, "walking_routes": 0}
    assert len(store.places()) == 76


def test_import_with_bad_rows_stores_nothing(takasaki_store: PlaceStore,
                                             takasaki_places: gpd.GeoDataFrame) -> None:
    upload = takasaki_places.iloc[:3].copy()
    upload["name"] = ["新しいサロンA", "新しいサロンB", "新しいサロンC"]
    upload["row"] = [2, 3, 4]
    upload.loc[upload.index[1], "category"] = "カフェ"
    upload.loc[upload.index[2], "geometry"] = shapely.Point(36.32, 139.0)  # lon/lat swapped
    with pytest.raises(LayerError) as caught:
        takasaki_store.import_places(upload, user="staff", source="upload.csv")
    message = str(caught.value)
    assert "upload.csv, row 3, field 'category': unknown category カフェ" in message
    assert "upload.csv, row 4, field 'lon/lat': lon/lat look swapped" in message
    assert len(takasaki_store.places()) == 76
    assert len(takasaki_store.audit()) == 76


def test_reimporting_the_same_file_lists_every_duplicate(
        takasaki_store: PlaceStore, takasaki_places: gpd.GeoDataFrame) -> None:
    with pytest.raises(LayerError) as caught:
        takasaki_store.import_places(takasaki_places, user="staff", source="places.csv")
    assert len(caught.value.problems) == 76
    assert "row 2, field 'name'" in str(caught.value)
    assert "is already in the store as p0001" in str(caught.value)
    assert len(takasaki_store.places()) == 76


def test_import_fails_midway_stores_nothing(store: PlaceStore, takasaki_places: gpd.GeoDataFrame,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real_insert = FeatureTable.insert
    calls = []

    def failing_insert(self, tx, place_id, values, geometry, now):
        calls.append(place_id)
        if len(calls) == 40:
            raise OSError("connection lost")
        return real_insert(self, tx, place_id, values, geometry, now)

    monkeypatch.setattr(FeatureTable, "insert", failing_insert)
    with pytest.raises(OSError, match="connection lost"):
        store.import_places(takasaki_places, user="seed")
    assert len(calls) == 40
    assert len(store.places(include_retired=True)) == 0
    assert store.audit() == []


def test_preview_upload_lists_every_problem(store: PlaceStore, tmp_path: Path) -> None:
    upload = tmp_path / "upload.csv"
    upload.write_text("name,category,lon,lat\n"
                      "岩鼻サロン,サロン,139.05,36.29\n"
                      "倉賀野カフェ,カフェ,139.05,36.29\n"
                      "新町サロン,サロン,139.0,east\n", encoding="cp932")
    preview = preview_import(store, upload)
    assert not preview.ok
    assert [(p.row, p.field) for p in preview.errors] == [(3, "category"), (4, "lat")]
    with pytest.raises(LayerError, match="row 3, field 'category'"):
        import_file(store, upload, user="staff")
    assert len(store.places()) == 0

    upload.write_text("name,category,lon,lat\n岩鼻サロン,サロン,139.05,36.29\n",
                      encoding="utf-8-sig")
    assert preview_import(store, upload).ok
    assert import_file(store, upload, user="staff") == ["p0001"]
    preview = preview_import(store, upload)
    assert [str(p) for p in preview.errors] == [
        "upload.csv, row 2, field 'name': '岩鼻サロン' is already in the store as p0001. "
        "Edit p0001 instead, or tell the two apart (e.g. add the 町名)."]


def test_preview_lists_every_schedule_not_read_as_dates(store: PlaceStore, tmp_path: Path) -> None:
    upload = tmp_path / "upload.csv"  # made-up places with schedules in the styles of public lists
    upload.write_text(
        "name,category,lon,lat,schedule\n"
        "岩鼻サロン,サロン,139.05,36.29,毎月第2・4金曜日 午後1時半～3時\n"
        "倉賀野サロン,サロン,139.05,36.29,毎月第4火曜日(予定)\n"
        "新町サロン,サロン,139.05,36.29,毎週金曜日 1時半から4時まで\n"
        "八幡サロン,サロン,139.05,36.29,不定期\n"
        "寺尾サロン,サロン,139.05,36.29,令和7年7月16日(水)\n"
        "長野サロン,サロン,139.05,36.29,\n", encoding="utf-8")
    preview = preview_import(store, upload, today=dt.date(2026, 1, 1))
    assert preview.ok  # warnings only: the file can be imported
    warnings = [(p.row, p.field, p.problem) for p in preview.problems]
    assert warnings == [
        (3, "schedule", "日程「毎月第4火曜日(予定)」は日付にしません："
                        "「予定」：日程が変わることがあるため、日付を出しません"),
        (4, "schedule", "日程「毎週金曜日 1時半から4時まで」は時刻を読みません："
                        "時刻「1時半から4時まで」が午前か午後か分かりません（日付だけ表示します）"),
        (5, "schedule", "日程「不定期」は日付にしません：「不定期」：決まった日がありません"),
        (6, "schedule", "日程「令和7年7月16日(水)」は日付にしません："
                        "書かれた日付（最後は2025年7月16日）は過ぎています")]
    assert all("主催者にご確認ください" in p.fix for p in preview.problems if p.row != 4)


def test_walking_routes_round_trip(store: PlaceStore) -> None:
    routes = gpd.GeoDataFrame(
        {"name": ["烏川コース", "観音山コース"], "kind": ["ウォーキングコース", "歴史探訪"]},
        geometry=[shapely.LineString([(139.0, 36.32, 95.0), (139.01, 36.33, 102.5)]),  # GPX
                  shapely.MultiLineString([[(139.0, 36.3), (139.0, 36.31)],
                                           [(139.0, 36.32), (139.0, 36.33)]])],
        crs="EPSG:4326")
    assert import_walking_routes(store, routes, user="seed") == ["r0001", "r0002"]
    stored = walking_routes(store)
    assert list(stored["name"]) == ["烏川コース", "観音山コース"]
    assert set(stored.geom_type) == {"MultiLineString"}
    assert stored.geometry.iloc[0].equals(
        shapely.MultiLineString([[(139.0, 36.32), (139.01, 36.33)]]))
    assert not stored.has_z.any()
    assert [e["action"] for e in store.audit(layer="walking_routes")] == ["import", "import"]
    bad = routes.copy()
    bad.loc[1, "geometry"] = shapely.Point(139.0, 36.3)
    with pytest.raises(LayerError, match="row 2, field 'geometry': the route has a Point"):
        import_walking_routes(store, bad, user="seed")
    assert len(walking_routes(store)) == 2


# -- editing ---------------------------------------------------------------------------------

def test_add_update_retire_with_audit(store: PlaceStore) -> None:
    added = store.add_place(SALON, user="suzuki")
    assert (added["place_id"], added["version"], added["position_quality"]) == ("p0001", 1,
                                                                                 "exact")
    updated = store.update_place("p0001", {"notes": "送迎あり", "lon": "", "lat": ""},
                                 expected_version=1, user="tanaka")
    assert (updated["version"], updated["notes"], updated["lon"]) == (2, "送迎あり", None)
    assert updated["position_quality"] == "unknown"
    assert updated["updated_at"] >= added["updated_at"]
    retired = store.retire_place("p0001", expected_version=2, user="suzuki")
    assert retired["version"] == 3
    assert retired["retired_at"] is not None

    assert len(store.places()) == 0
    everything = store.places(include_retired=True)
    assert list(everything["place_id"]) == ["p0001"]
    assert everything["retired_at"].notna().all()

    entries = store.audit("p0001")
    assert [(e["action"], e["user"]) for e in entries] == [
        ("create", "suzuki"), ("update", "tanaka"), ("retire", "suzuki")]
    create, update, retire = entries
    assert create["before"] is None
    assert create["after"]["name"] == "テストサロン"
    assert update["before"]["notes"] == "" and update["after"]["notes"] == "送迎あり"
    assert update["before"]["lon"] == pytest.approx(139.0046) and update["after"]["lon"] is None
    assert retire["before"]["retired_at"] is None and retire["after"]["retired_at"]
    assert all(e["at"].utcoffset().total_seconds() == 0 for e in entries)

    with pytest.raises(LayerError, match="place p0001.*retired"):
        store.update_place("p0001", {"notes": "x"}, expected_version=3, user="tanaka")
    # a retired place's name is free again
    assert store.add_place(SALON, user="suzuki")["place_id"] == "p0002"


def test_heights_are_dropped(store: PlaceStore) -> None:
    fields = {key: value for key, value in SALON.items() if key not in ("lon", "lat")}
    added = store.add_place({**fields, "geometry": shapely.Point(139.0046, 36.3219, 98.0)},
                            user="suzuki")
    assert (added["lon"], added["lat"]) == (139.0046, 36.3219)
    assert not store.places().has_z.any()


def test_saving_without_changes_keeps_the_version(store: PlaceStore) -> None:
    store.add_place(SALON, user="suzuki")
    same = store.update_place("p0001", {"name": " テストサロン ", "lon": 139.0046,
                                        "lat": 36.3219}, expected_version=1, user="tanaka")
    assert same["version"] == 1
    assert len(store.audit("p0001")) == 1


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"name": "", "category": "カフェ"},
         r"field 'name': the name is empty(.|\n)*field 'category': unknown category カフェ"),
        ({**SALON, "lat": None}, r"new place, field 'lat': only one coordinate"),
        ({**SALON, "lon": "east"}, r"field 'lon': 'east' is not a number"),
        ({**SALON, "lon": 140.5, "lat": 35.6}, r"field 'lon/lat': .* outside the study area"),
        ({**SALON, "lon": 36.3219, "lat": 139.0046}, r"field 'lon/lat': lon/lat look swapped"),
        ({**SALON, "website": "x"}, r"field 'website': is not a field of a place"),
        ({**SALON, "notes": ["a"]}, r"field 'notes': must be text, got list"),
        ({**SALON, "geometry": shapely.Point(139, 36.3)}, r"both lon/lat and geometry"),
    ],
)
def test_bad_fields_are_all_reported_and_nothing_is_stored(store: PlaceStore, fields: dict,
                                                           match: str) -> None:
    with pytest.raises(LayerError, match=match):
        store.add_place(fields, user="suzuki")
    assert len(store.places(include_retired=True)) == 0
    assert store.audit() == []


def test_names_are_unique_among_open_places(store: PlaceStore) -> None:
    store.add_place(SALON, user="suzuki")
    store.add_place({**SALON, "name": "別のサロン"}, user="suzuki")
    with pytest.raises(LayerError, match="already in the store as p0001"):
        store.add_place(SALON, user="tanaka")
    with pytest.raises(LayerError, match="place p0002, field 'name'.*already .* as p0001"):
        store.update_place("p0002", {"name": "テストサロン"}, expected_version=1, user="tanaka")


def test_missing_place_and_bad_arguments(store: PlaceStore) -> None:
    with pytest.raises(PlaceNotFoundError, match="no place 'p0099'"):
        store.update_place("p0099", {"notes": "x"}, expected_version=1, user="tanaka")
    store.add_place(SALON, user="suzuki")
    with pytest.raises(TypeError, match="expected_version"):
        store.update_place("p0001", {"notes": "x"}, expected_version="1", user="tanaka")
    with pytest.raises(ValueError, match="`user` must name who"):
        store.update_place("p0001", {"notes": "x"}, expected_version=1, user=" ")


# -- concurrent edits ----------------------------------------------------------------------

def test_second_edit_from_the_same_version_is_refused(store: PlaceStore) -> None:
    store.add_place(SALON, user="suzuki")
    store.update_place("p0001", {"notes": "鈴木の変更"}, expected_version=1, user="suzuki")
    with pytest.raises(VersionConflict) as caught:
        store.update_place("p0001", {"notes": "田中の変更"}, expected_version=1, user="tanaka")
    conflict = caught.value
    assert conflict.message_ja == ("この居場所は他の人が先に更新しました（版 1 → 2）。"
                                   "画面を読み込み直してから、もう一度編集してください。")
    assert "changed by someone else first (version 1 → 2)" in str(conflict)
    assert store.place("p0001")["notes"] == "鈴木の変更"
    with pytest.raises(VersionConflict, match="版 1 → 2"):
        store.retire_place("p0001", expected_version=1, user="tanaka")


def test_concurrent_read_modify_write_loses_nothing(store: PlaceStore) -> None:
    store.add_place(SALON, user="suzuki")
    writers = 6
    start = threading.Barrier(writers, timeout=60)
    conflicts = [0] * writers

    def append_marker(index: int) -> None:
        for attempt in range(200):
            place = store.place("p0001")
            if attempt == 0:
                start.wait()  # everyone has read version 1: all but one must conflict
            try:
                store.update_place("p0001", {"notes": f"{place['notes']}[{index}]"},
                                   expected_version=place["version"], user=f"user{index}")
                return
            except VersionConflict:
                conflicts[index] += 1
        raise AssertionError(f"writer {index} never got through")

    _in_threads(append_marker, writers)
    assert sum(conflicts) >= writers - 1
    final = store.place("p0001")
    assert sorted(final["notes"].strip("[]").split("][")) == [str(i) for i in range(writers)]
    assert final["version"] == 1 + writers
    assert [e["action"] for e in store.audit("p0001")].count("update") == writers


def test_concurrent_adds_get_distinct_ids(store: PlaceStore) -> None:
    writers = 4
    start = threading.Barrier(writers, timeout=60)
    added: list[str] = []

    def add(index: int) -> None:
        start.wait()
        place = store.add_place({**SALON, "name": f"サロン{index}"}, user=f"user{index}")
        added.append(place["place_id"])

    _in_threads(add, writers)
    assert sorted(added) == [f"p{n:04d}" for n in range(1, writers + 1)]


# -- GeoPackage and PostGIS specifics --------------------------------------------------------

def test_geopackage_opens_in_gdal(tmp_path: Path, takasaki_places: gpd.GeoDataFrame,
                                  takasaki_config: StudyConfig) -> None:
    path = tmp_path / "ibasho.gpkg"
    store = open_store(path, categories=takasaki_config.categories)
    store.migrate()
    store.import_places(takasaki_places, user="seed")
    store.update_place("p0003", {"notes": "更新"}, expected_version=1, user="staff")

    layers = dict(pyogrio.list_layers(path))
    assert layers == {"places": "Point", "walking_routes": "MultiLineString",
                      "schema_version": None, "audit_log": None, "users": None,
                      "login_failures": None, "scenarios": None, "user_sessions": None,
                      "data_version": None, "participation": None}
    read = pyogrio.read_dataframe(path, layer="places")
    assert read.crs == "EPSG:4326"
    assert list(read["id"]) == list(takasaki_places["place_id"])
    assert list(read["name"]) == list(takasaki_places["name"])
    assert _wkt(read.geometry) == _wkt(takasaki_places.geometry)
    assert read.loc[2, "notes"] == "更新" and read.loc[2, "version"] == 2
    assert len(pyogrio.read_dataframe(path, layer="audit_log")) == 77
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_geometry_blobs_match_gdal(tmp_path: Path) -> None:
    path = tmp_path / "gdal.gpkg"
    shapes = [shapely.Point(139.0046, 36.3219),
              shapely.MultiLineString([[(139.0, 36.3), (139.01, 36.31)]])]
    for index, shape in enumerate(shapes):
        pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[shape], crs="EPSG:4326"), path,
                                layer=f"layer{index}")
    with sqlite3.connect(path) as connection:
        for index, shape in enumerate(shapes):
            (blob,) = connection.execute(f"SELECT geom FROM layer{index}").fetchone()
            assert decode_gpkg_geometry(blob).equals(shape)
            assert decode_gpkg_geometry(encode_gpkg_geometry(shape)).equals(shape)
    assert encode_gpkg_geometry(None) is None
    assert encode_gpkg_geometry(shapely.Point()) is None
    with pytest.raises(ValueError, match="not a GeoPackage geometry blob"):
        decode_gpkg_geometry(b"\x01\x01\x00\x00\x00")


def test_not_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "places.gpkg"
    path.write_text("name,category\n", encoding="utf-8")
    with pytest.raises(LayerError, match="places.gpkg: this is not a GeoPackage or SQLite file"):
        open_store(path).migrate()


def test_database_urls() -> None:
    assert isinstance(open_database("data/ibasho.gpkg"), GeoPackageDatabase)
    assert open_database("sqlite:///data/x.gpkg").path == Path("data/x.gpkg")
    assert open_database("sqlite:////tmp/x.gpkg").path == Path("/tmp/x.gpkg")
    assert open_database("gpkg:////tmp/x%20y.gpkg").path == Path("/tmp/x y.gpkg")
    database = open_database("postgresql+psycopg://staff:secret@db.example/ibasho")
    assert isinstance(database, PostGISDatabase)
    assert database.display_name == "postgresql://staff:***@db.example/ibasho"
    with pytest.raises(ValueError, match="Unknown database URL scheme 'mysql'.*postgresql://"):
        open_database("mysql://db/ibasho")


def test_unreachable_server_is_explained() -> None:
    pytest.importorskip("psycopg")
    store = open_store("postgresql://postgres@127.0.0.1:1/ibasho")
    with pytest.raises(DatabaseUnavailableError,
                       match=r"Cannot connect to .*127.0.0.1:1.*IBASHO_DATABASE_URL"):
        store.migrate()


def test_environment_variable_selects_postgis(postgis_url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "ibasho.gpkg"
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert store_url_from_env(default) == str(default)
    monkeypatch.setenv(DATABASE_URL_ENV, postgis_url)
    store = open_store(store_url_from_env(default))
    assert isinstance(store.database, PostGISDatabase)
    assert store.migrate() == [m.version for m in MIGRATIONS]
    store.add_place(SALON, user="suzuki")
    assert list(open_store(postgis_url).places()["name"]) == ["テストサロン"]
    assert not default.exists()


# -- exports ---------------------------------------------------------------------------------

def test_export_csv_for_excel(takasaki_store: PlaceStore, takasaki_places: gpd.GeoDataFrame,
                              tmp_path: Path) -> None:
    out = export_places(takasaki_store, "csv", tmp_path / "places.csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"place_id": str})
    assert len(table) == 76
    assert list(table["name"]) == list(takasaki_places["name"])
    located = takasaki_places.geometry.notna().to_numpy()
    assert table["lon"].isna().sum() == 10
    assert table.loc[located, "lon"].to_numpy() == pytest.approx(
        takasaki_places.geometry[located].x.to_numpy(), abs=1e-12)
    assert table.loc[located, "lat"].to_numpy() == pytest.approx(
        takasaki_places.geometry[located].y.to_numpy(), abs=1e-12)
    assert "retired_at" not in table.columns


def test_export_geojson_and_geopackage(takasaki_store: PlaceStore, tmp_path: Path) -> None:
    takasaki_store.retire_place("p0001", expected_version=1, user="staff")
    geojson = pyogrio.read_dataframe(
        export_places(takasaki_store, "geojson", tmp_path / "p.geojson"))
    assert len(geojson) == 75
    assert geojson.geometry.isna().sum() == 10
    everything = export_places(takasaki_store, "gpkg", tmp_path / "p.gpkg", include_retired=True)
    exported = pyogrio.read_dataframe(everything, layer="places")
    assert len(exported) == 76
    assert exported["retired_at"].notna().sum() == 1
    with pytest.raises(ValueError, match="use one of: csv, geojson, gpkg"):
        export_places(takasaki_store, "xlsx", tmp_path / "p.xlsx")

