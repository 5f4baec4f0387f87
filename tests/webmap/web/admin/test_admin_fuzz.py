"""Fuzzing the importers: broken CSV bytes and broken GeoJSON through the upload endpoint and
through ``preview_import``. Only clean problems may come back (never a 500 or a traceback),
and nothing from a rejected file is ever stored. Bounded: about 100 examples each."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from admin_helpers import csrf_token, login
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.store.place_io import preview_import
from webmap.web.base import app_state

FUZZ = settings(max_examples=100, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
HEADERS = ["name", "category", "lon", "lat", "address", "district", "position_source", "名前",
           "", "name,name"]
CELLS = st.one_of(st.text(max_size=12), st.sampled_from(
    ["居場所", "サロン", "139.0", "36.32", "abc", "1e309", "nan", "-0", '"', '""', "\r", "\n",
     ",", "；", "\x00", "=cmd|' /C calc'!A0", "<script>alert(1)</script>"]))


@st.composite
def csv_bytes(draw) -> bytes:
    """CSV-like text (broken quoting, odd encodings, random bytes spliced in)."""
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=0, max_size=6))
    rows = draw(st.lists(st.lists(CELLS, max_size=7), max_size=6))
    text = "\n".join(",".join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=40)) + data[at:]
    return data


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@st.composite
def geojson_bytes(draw) -> bytes:
    """FeatureCollections with broken parts, or any JSON, or broken JSON text."""
    kind = draw(st.sampled_from(["collection", "any", "truncated"]))
    if kind == "any":
        return json.dumps(draw(JSON_VALUES)).encode()
    geometry = draw(st.one_of(
        st.none(), JSON_VALUES,
        st.fixed_dictionaries({"type": st.sampled_from(["Point", "LineString", "Polygon",
                                                        "Nope", ""]),
                               "coordinates": st.one_of(JSON_VALUES, st.lists(
                                   st.floats(allow_nan=False, allow_infinity=False),
                                   max_size=3))})))
    properties = draw(st.one_of(st.none(), st.dictionaries(
        st.sampled_from(["name", "category", "lon", "lat", "district"]), JSON_VALUES,
        max_size=5)))
    feature = {"type": draw(st.sampled_from(["Feature", "feature", 7])),
               "geometry": geometry, "properties": properties}
    data = json.dumps({"type": "FeatureCollection",
                       "features": draw(st.lists(st.just(feature), max_size=3))}).encode()
    if kind == "truncated":
        data = data[:draw(st.integers(0, len(data)))]
    return data


def stored_count(app) -> int:
    return len(app_state(app).places.places(include_retired=True))


def test_preview_import_never_crashes(admin_app):
    store = app_state(admin_app).places
    folder = Path(tempfile.mkdtemp(prefix="ibasho-fuzz-"))
    before = stored_count(admin_app)

    @FUZZ
    @given(data=st.one_of(csv_bytes(), geojson_bytes()), suffix=st.sampled_from(
        [".csv", ".geojson", ".json"]))
    def check(data: bytes, suffix: str) -> None:
        path = folder / f"upload{suffix}"
        path.write_bytes(data)
        preview = preview_import(store, path)  # problems, never an exception
        assert preview.ok or preview.errors
        for problem in preview.problems:
            assert str(problem)

    check()
    assert stored_count(admin_app) == before


def test_upload_endpoint_answers_cleanly(admin_app):
    client = admin_app.test_client()
    login(client, "editor")
    token = csrf_token(client, "/admin/import")
    before = stored_count(admin_app)

    @FUZZ
    @given(data=st.one_of(csv_bytes(), geojson_bytes(), st.binary(max_size=300)),
           suffix=st.sampled_from([".csv", ".geojson", ".json"]))
    def check(data: bytes, suffix: str) -> None:
        response = client.post("/admin/import", data={
            "csrf_token": token, "file": (io.BytesIO(data), f"fuzz{suffix}")},
            content_type="multipart/form-data")
        page = response.get_data(as_text=True)
        assert response.status_code in (200, 400), (response.status_code, page[:500])
        assert "Traceback" not in page
        if response.status_code == 400:
            assert "何も保存していません" in page
        assert stored_count(admin_app) == before  # a preview never stores

    check()
    client.post("/admin/import/cancel", data={"csrf_token": token})
    assert not list(Path(admin_app.config["UPLOAD_FOLDER"]).iterdir())
