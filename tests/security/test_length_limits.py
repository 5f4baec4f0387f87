"""Length limits on every write path: one table (``MAX_CHARS``, ``MAX_ITEMS``), README equal to it.

Hypothesis puts arbitrary text, some of it past the limits, into every text field through
every write path: the staff form, a CSV upload, a GeoJSON upload, the route editor and the
planner's scenarios (GeoPackage and PostGIS). Text past a limit is refused with a message
that names the field, the limit and the length found, and nothing already stored changes;
text within the limits comes back exactly as stored (stripped, as every path strips). A real
``ibasho serve`` process refuses the reviewer's 1 MB name and 2 MB notes.
"""

from __future__ import annotations

import csv
import json
import re
import urllib.request
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from admin_helpers import PASSWORD, csrf_token, place_fields, post_form, unique
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from served import database_with_editor, served_app
from test_csv_injection import Browser

from layers.errors import LayerError
from layers.fields.schema import MAX_CHARS, MAX_ITEMS, TEXT_FIELDS
from layers.files.routes import DEFAULT_WALKING_KIND
from layers.store.database import open_database
from layers.store.place_io import import_file, preview_import
from layers.store.routes import (
    add_walking_route,
    import_walking_routes,
    update_walking_route,
    walking_route,
    walking_routes,
)
from layers.store.scenarios import ScenarioError, ScenarioStore
from layers.store.users import UserError, UserStore
from webmap.web.base import app_state

README = Path(__file__).resolve().parents[2] / "README.md"
#: Text that every path can carry (NUL is refused by its own check, below).
CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
#: Free-text fields of a place (``category`` must be one of the config's).
FREE_FIELDS = tuple(f for f in TEXT_FIELDS if f != "category")
SETTINGS = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def texts(draw, limit: int, *, over: bool | None = None) -> str:
    """Arbitrary text near ``limit`` characters: within it, or past it when ``over``."""
    if over is None:
        over = draw(st.booleans())
    length = draw(st.integers(limit + 1, 3 * limit) if over else
                  st.one_of(st.integers(0, 12), st.integers(limit - 12, limit)))
    unit = draw(st.text(CHARACTERS, min_size=1, max_size=12))
    return (unit * (length // len(unit) + 1))[:length]


@st.composite
def place_texts(draw, fields: tuple[str, ...] = FREE_FIELDS) -> dict[str, str]:
    """A text for each field; a few (maybe none) past their limits."""
    too_long = draw(st.sets(st.sampled_from(fields), max_size=2))
    values = {field: draw(texts(MAX_CHARS["places"][field], over=field in too_long))
              for field in fields}
    if values.get("serves", "").strip() and not values.get("district", "x").strip():
        values["district"] = "箕郷"  # an area served needs its district (or a position)
    return values


def over_limit(values: dict[str, str], table: str = "places") -> set[str]:
    return {f for f, v in values.items() if len(v.strip()) > MAX_CHARS[table][f]}


def assert_names_limits(problems, values: dict[str, str], table: str = "places") -> None:
    """Every field past its limit has one problem naming the limit and the length found."""
    long_ones = over_limit(values, table)
    found = {p.field: p for p in problems if "上限" in p.problem}
    assert set(found) == long_ones
    for field in long_ones:
        limit, length = MAX_CHARS[table][field], len(values[field].strip())
        assert f"{length:,}文字" in found[field].problem
        assert f"上限は{limit:,}文字" in found[field].problem
        assert f"at most {limit:,}" in found[field].problem


def snapshot(store) -> tuple:
    places = store.places(include_retired=True)
    return ([tuple(map(str, row)) for row in places.itertuples(index=False)],
            len(store.audit()))


# -- the one table and README ----------------------------------------------------------------

def test_readme_table_equals_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("| table | at most (characters, or items) |", 1)[1].split("\n\n", 1)[0]
    documented = {}
    for line in table.strip().splitlines()[1:]:
        first, limits = (cell.strip() for cell in line.strip().strip("|").split("|"))
        pairs = {name: int(n.replace(",", ""))
                 for name, n in re.findall(r"`(\w+)` ([\d,]+)", limits)}
        documented[first.strip("`")] = pairs
    assert documented == {**MAX_CHARS, "items": MAX_ITEMS}


def test_limits_cover_every_text_a_place_stores() -> None:
    assert set(MAX_CHARS["places"]) == set(TEXT_FIELDS)


# -- the store: every path goes through it ---------------------------------------------------

@SETTINGS
@given(values=place_texts())
def test_store_edit(store, values: dict[str, str]) -> None:
    place = store.add_place({"name": unique("編集"), "category": "サロン"}, user="test")
    if values["name"].strip():  # a name of its own (names are unique): six random characters
        # first, so two examples never share one (a one-character name had 16 choices)
        values = {**values, "name": unique("")[:6] + values["name"][6:]}
    before = snapshot(store)
    name_empty = not values["name"].strip()
    try:
        after = store.update_place(place["place_id"], values,
                                   expected_version=place["version"], user="test")
    except LayerError as exc:
        assert over_limit(values) or name_empty
        assert_names_limits(exc.problems, values)
        assert snapshot(store) == before  # nothing changed, nothing half-written
        return
    assert not over_limit(values) and not name_empty
    stored = store.place(place["place_id"])
    assert stored == after
    assert {f: stored[f] for f in values} == {f: v.strip() for f, v in values.items()}


def test_nul_is_refused_not_a_server_error(store) -> None:
    before = snapshot(store)
    with pytest.raises(LayerError, match="NUL") as caught:
        store.add_place({"name": "中央\x00公民館", "category": "サロン"}, user="test")
    assert [p.field for p in caught.value.problems] == ["name"]
    assert snapshot(store) == before


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_each_field_at_and_past_its_limit(store, field: str) -> None:
    limit = MAX_CHARS["places"][field]
    fields = {"name": unique("上限"), "category": "サロン"}
    if field == "serves":  # an area served needs its district (or a position)
        fields["district"] = "箕郷"
    if field != "category":
        at_limit = "あ" * limit if field != "name" else \
            fields["name"] + "あ" * (limit - len(fields["name"]))
        at = store.add_place({**fields, field: at_limit}, user="test")
        assert len(at[field]) == limit
    before = snapshot(store)
    with pytest.raises(LayerError) as caught:
        store.add_place({**fields, "name": unique("超過"), field: "い" * (limit + 1)},
                        user="test")
    message = str(caught.value)
    assert f"field {field!r}" in message and f"{limit + 1:,}文字" in message
    assert f"上限は{limit:,}文字" in message
    assert snapshot(store) == before


# -- CSV and GeoJSON uploads -----------------------------------------------------------------

def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_geojson(path: Path, rows: list[dict[str, str]]) -> Path:
    features = [{"type": "Feature", "properties": row,
                 "geometry": {"type": "Point", "coordinates": [139.0035, 36.3219]}}
                for row in rows]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


@SETTINGS
@given(values=place_texts(), kind=st.sampled_from(["csv", "geojson"]))
def test_uploads(store, tmp_path_factory, values: dict[str, str], kind: str) -> None:
    values = {**values, "name": f"{unique('取込')}{values['name']}"}
    row = {**values, "category": "サロン"}
    folder = tmp_path_factory.mktemp("upload")
    path = (write_csv(folder / "場所.csv", [{**row, "lon": "139.0035", "lat": "36.3219"}])
            if kind == "csv" else
            write_geojson(folder / "場所.geojson", [row]))
    before = snapshot(store)
    preview = preview_import(store, path)
    try:
        (place_id,) = import_file(store, path, user="test")
    except LayerError as exc:
        assert over_limit(values)
        assert not preview.ok
        assert_names_limits(exc.problems, values)
        assert all(p.row == (2 if kind == "csv" else 1) for p in exc.problems
                   if "上限" in p.problem)
        assert all(str(p.path) == path.name for p in exc.problems)
        assert snapshot(store) == before
        return
    assert not over_limit(values) and preview.ok
    stored = store.place(place_id)
    assert {f: stored[f] for f in values} == {f: v.strip() for f, v in values.items()}


def test_too_many_rows_are_refused_whole(store, tmp_path: Path) -> None:
    limit = MAX_ITEMS["import_rows"]
    rows = [{"name": f"行{i}", "category": "サロン"} for i in range(limit + 1)]
    path = write_csv(tmp_path / "多すぎ.csv", [{**row, "lon": "", "lat": ""} for row in rows])
    before = snapshot(store)
    preview = preview_import(store, path)
    assert not preview.ok and preview.places is None
    assert f"{limit + 1:,}行" in preview.errors[0].problem
    assert f"{limit:,}行まで" in preview.errors[0].problem
    with pytest.raises(LayerError, match=f"{limit + 1:,} rows; at most {limit:,}"):
        import_file(store, path, user="test")
    frame = gpd.GeoDataFrame(rows, geometry=[None] * len(rows), crs="EPSG:4326")
    with pytest.raises(LayerError, match="at once"):
        store.import_places(frame, user="test")
    assert snapshot(store) == before


# -- walking routes, scenarios, accounts -----------------------------------------------------

LINE = [[139.0035, 36.3219], [139.0061, 36.3232]]


@SETTINGS
@given(name=texts(MAX_CHARS["walking_routes"]["name"]),
       kind=texts(MAX_CHARS["walking_routes"]["kind"]))
def test_routes(store, name: str, kind: str) -> None:
    route = add_walking_route(store, {"name": unique("道"), "line": LINE}, user="test")
    values = {"name": name, "kind": kind}
    before = walking_route(store, route["route_id"])
    try:
        after = update_walking_route(store, route["route_id"], values,
                                     expected_version=route["version"], user="test")
    except LayerError as exc:
        assert over_limit(values, "walking_routes") or not name.strip()
        assert_names_limits(exc.problems, values, "walking_routes")
        assert walking_route(store, route["route_id"]) == before
        return
    assert after["name"] == name.strip() and after["kind"] == (kind.strip() or DEFAULT_WALKING_KIND)
    assert not over_limit(values, "walking_routes")


@SETTINGS
@given(name=texts(MAX_CHARS["scenarios"]["name"]), label=texts(MAX_CHARS["scenarios"]["label"]))
def test_scenarios(store_url: str, name: str, label: str) -> None:
    scenarios = ScenarioStore(open_database(store_url))
    scenarios.migrate()
    name = f"{unique('案')}{name}"
    saved_before = scenarios.scenarios()
    try:
        saved = scenarios.save(name, {"add": [{"lonlat": [139.0, 36.3], "label": label}]},
                               user="test")
    except ScenarioError as exc:
        message = str(exc)
        long_name = len(name.strip()) > MAX_CHARS["scenarios"]["name"]
        long_label = len(label) > MAX_CHARS["scenarios"]["label"]
        controls = "control characters" in message or "on one line" in message
        assert long_name or long_label or controls
        if long_name:
            assert f"{len(name.strip()):,} characters" in message
        if long_label and not long_name:
            assert f"{len(label):,} characters" in message or controls
        assert scenarios.scenarios() == saved_before
        return
    assert (saved["name"], saved["add"][0]["label"]) == (name.strip(), label.strip())
    assert scenarios.scenario(saved["scenario_id"]) == saved


def test_user_names(store) -> None:
    users = UserStore(store.database)
    limit = MAX_CHARS["users"]["name"]
    assert users.create_user("a" * limit, PASSWORD).name == "a" * limit
    with pytest.raises(UserError, match=f"{limit + 1:,} characters.*1-{limit}"):
        users.create_user("b" * (limit + 1), PASSWORD)
    assert [u.name for u in users.users()] == ["a" * limit]


# -- the web: forms and the JSON API ---------------------------------------------------------

@pytest.fixture(scope="module")
def edited_place(admin_app) -> str:
    store = app_state(admin_app).places
    return store.add_place({"name": unique("フォーム"), "category": "サロン"},
                           user="test")["place_id"]


FORM_SETTINGS = settings(SETTINGS, max_examples=15)  # each good save recomputes the maps


@FORM_SETTINGS
@given(values=place_texts(("name", "address", "schedule", "contact", "notes", "source")))
def test_place_form(admin_app, editor, edited_place: str, values: dict[str, str]) -> None:
    store = app_state(admin_app).places
    before = store.place(edited_place)
    form = {**place_fields(values["name"]), **values, "version": str(before["version"])}
    response = post_form(editor, f"/admin/places/{edited_place}", form)
    if over_limit(values) or not values["name"].strip():
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "Traceback" not in page
        assert "入力に問題があります" in page
        for field in over_limit(values):
            limit = MAX_CHARS["places"][field]
            assert f"{len(values[field].strip()):,}文字あります。上限は{limit:,}文字です" in page
        assert store.place(edited_place) == before
        return
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    stored = store.place(edited_place)
    assert {f: stored[f] for f in values} == {f: v.strip() for f, v in values.items()}


def test_scenario_api_answers_the_json_error_shape(admin_app, editor) -> None:
    token = csrf_token(editor, "/admin/places")
    limit = MAX_CHARS["scenarios"]["name"]
    response = editor.post("/plan/scenarios", json={
        "name": "案" * (limit + 1), "add": [{"lonlat": [139.0035, 36.3219]}]},
        headers={"X-CSRFToken": token})
    body = response.get_json()
    assert response.status_code == 400
    assert body["ok"] is False and body["status"] == 400
    assert f"{limit + 1} characters" in body["error"] and str(limit) in body["error"]


def test_served_app_refuses_a_megabyte_name(tmp_path: Path) -> None:
    database = database_with_editor(tmp_path, PASSWORD)
    with served_app(database, log_path=tmp_path / "serve.log") as base:
        with urllib.request.urlopen(f"{base}/", timeout=60) as answer:
            size_before = len(answer.read())
        browser = Browser(base)
        browser.post("/admin/login", {"name": "henshu", "password": PASSWORD},
                     token_from="/admin/login")
        status, page = browser.post("/admin/places/new", {  # 3 MB, within the 5 MB a body may have
            **place_fields("x" * 1_000_000), "notes": "y" * 2_000_000},
            token_from="/admin/places/new")
        text = page.decode()
        assert status == 400 and "Traceback" not in text
        assert "1,000,000文字あります。上限は100文字です" in text
        assert "2,000,000文字あります。上限は2,000文字です" in text
        with urllib.request.urlopen(f"{base}/", timeout=60) as answer:
            assert len(answer.read()) == size_before  # nothing stored, the map unchanged
    with open_database(database).transaction(write=False) as tx:
        assert tx.one("SELECT COUNT(*) AS n FROM places")["n"] == 76


def test_config_files_are_held_to_the_limits(tmp_path: Path) -> None:
    from layers.config import DEFAULT_CATEGORIES, LayerConfig
    from layers.files.places import load_places

    path = write_csv(tmp_path / "places.csv", [
        {"名称": "中央公民館", "category": "公民館", "notes": "ok", "lon": "", "lat": ""},
        {"名称": "長い備考", "category": "サロン", "notes": "あ" * 2001, "lon": "", "lat": ""}])
    with pytest.raises(LayerError) as caught:
        load_places(LayerConfig("places", path, {"name": "名称"}),
                    categories=DEFAULT_CATEGORIES)
    (problem,) = [p for p in caught.value.problems if p.is_error]
    assert (problem.row, problem.field) == (3, "notes")
    assert str(problem).startswith("places.csv, row 3, field 'notes': 2,001文字")


def test_route_import_is_held_to_the_limits(store) -> None:
    routes = gpd.GeoDataFrame(
        {"name": ["城址を歩く", "道" * 101], "kind": ["ウォーキング", "歴史探訪"]},
        geometry=[shapely.LineString(LINE)] * 2, crs="EPSG:4326")
    with pytest.raises(LayerError) as caught:
        import_walking_routes(store, routes, user="test", source="routes.geojson")
    (problem,) = caught.value.problems
    assert (problem.row, problem.field) == (2, "name") and "101文字" in problem.problem
    assert len(walking_routes(store)) == 0
