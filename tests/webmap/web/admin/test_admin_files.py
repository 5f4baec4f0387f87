"""Uploads (preview, confirm, limits, file names) and exports on the staff pages.

Runs on a GeoPackage and on PostGIS (``admin_database``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyogrio
from admin_helpers import csrf_token, place_fields, post_form, public_place, unique

from webmap.web.base import app_state

HEADER = "name,category,address,lon,lat,position_source\n"


def upload(client, content: bytes, filename: str):
    return post_form(client, "/admin/import", {"file": (io.BytesIO(content), filename)},
                     token_from="/admin/import", content_type="multipart/form-data")


def stored_names(app) -> set[str]:
    return set(app_state(app).places.places(include_retired=True)["name"])


def test_preview_lists_every_row_problem_and_stores_nothing(admin_app, editor):
    good = unique("良い行")
    rows = (f"{good},サロン,高崎市,139.00,36.32,exact: 地図\n"
            ",居場所,高崎市,139.00,36.32,\n"
            f"{unique('種別')},喫茶店,,139.00,36.32,\n"
            f"{unique('経度')},サロン,,abc,36.32,\n"
            f"{unique('遠い')},サロン,,135.50,34.70,\n")
    before = stored_names(admin_app)
    response = upload(editor, (HEADER + rows).encode("utf-8-sig"), "場所一覧.csv")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "場所一覧.csv" in page and "何も保存していません" in page
    assert "the name is empty" in page and "unknown category 喫茶店" in page
    assert "&#39;abc&#39; is not a number" in page and "outside" in page
    for row in (3, 4, 5, 6):
        assert f"<td>{row}</td>" in page
    assert stored_names(admin_app) == before
    assert not list(Path(admin_app.config["UPLOAD_FOLDER"]).iterdir())  # a bad file is not kept


def test_preview_then_confirm_imports_every_row(admin_app, editor):
    names = [unique("取込A"), unique("取込B")]
    content = (HEADER + "".join(f"{n},サロン,高崎市,139.0{i},36.32,exact: 地図\n"
                                for i, n in enumerate(names))).encode("cp932")
    response = upload(editor, content, "excel.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "2件を取り込めます" in page and names[0] in page
    assert not (set(names) & stored_names(admin_app))  # the preview stores nothing
    response = post_form(editor, "/admin/import/confirm", {}, token_from="/admin/import")
    assert response.status_code == 302
    assert "2件を取り込みました" in editor.get(response.headers["Location"]).get_data(
        as_text=True)
    public = admin_app.test_client()
    assert all(public_place(public, name) for name in names)
    assert not list(Path(admin_app.config["UPLOAD_FOLDER"]).iterdir())
    entries = app_state(admin_app).places.audit()
    assert {e["action"] for e in entries[-2:]} == {"import"}


def test_confirm_checks_again(admin_app, editor):
    name = unique("二重")
    content = (HEADER + f"{name},サロン,,139.0,36.32,exact: 地図\n").encode()
    assert upload(editor, content, "a.csv").status_code == 200
    # someone adds a place of that name between the preview and the confirm
    assert post_form(editor, "/admin/places/new", place_fields(name)).status_code == 302
    response = post_form(editor, "/admin/import/confirm", {}, token_from="/admin/import")
    assert response.status_code == 400
    assert "is already in the store" in response.get_data(as_text=True)
    store = app_state(admin_app).places
    assert list(store.places()["name"]).count(name) == 1
    response = post_form(editor, "/admin/import/confirm", {}, token_from="/admin/import")
    assert "もう一度ファイルを選んでください" in response.get_data(as_text=True)


def test_geojson_upload(admin_app, editor):
    name = unique("GeoJSON")
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [139.0, 36.32]},
         "properties": {"name": name, "category": "居場所"}}]}
    response = upload(editor, json.dumps(data, ensure_ascii=False).encode(), "x.geojson")
    assert response.status_code == 200 and "1件を取り込めます" in response.get_data(as_text=True)
    post_form(editor, "/admin/import/cancel", {}, token_from="/admin/import")
    assert name not in stored_names(admin_app)


def test_wrong_type_is_415(admin_app, editor):
    for filename in ("places.xlsx", "places.csv.exe", "noext", "places.html"):
        response = upload(editor, b"name\nA\n", filename)
        assert response.status_code == 415, filename
        assert "取り込めるのは CSV" in response.get_data(as_text=True)


def test_too_large_is_413(admin_app, editor):
    token = csrf_token(editor, "/admin/import")
    big = b"name,category\n" + b"x" * (admin_app.config["MAX_CONTENT_LENGTH"] + 10)
    boundary = "ibasho-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + big + \
        f"\r\n--{boundary}--\r\n".encode()  # bytes: the test client keeps no temp file open
    response = editor.post("/admin/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "ファイルが大きすぎます" in page and "5 MB" in page


def test_path_traversal_names_never_become_paths(admin_app, editor, tmp_path):
    folder = Path(admin_app.config["UPLOAD_FOLDER"])
    name = unique("経路")
    content = (HEADER + f"{name},サロン,,139.0,36.32,exact: 地図\n").encode()
    for filename in ("../../../../tmp/evil.csv", "..\\..\\evil.csv", "/etc/passwd.csv",
                     "a/../../b.csv", "<img src=x onerror=alert(1)>.csv"):
        response = upload(editor, content, filename)
        assert response.status_code == 200, filename
        page = response.get_data(as_text=True)
        assert "../" not in page.split("取り込みの確認", 1)[1].split("</h2>")[0]
        assert "<img src=x" not in page
        kept = list(folder.iterdir())
        assert len(kept) == 1 and kept[0].parent == folder
        assert kept[0].name[:32].isalnum() and kept[0].suffix == ".csv"
    assert not Path("/tmp/evil.csv").exists()
    post_form(editor, "/admin/import/cancel", {}, token_from="/admin/import")
    assert not list(folder.iterdir())


def test_exports(admin_app, viewer, tmp_path):
    response = viewer.get("/admin/export/csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Japanese
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("place_id,name,category")
    public = app_state(admin_app).maps.study.places
    assert len(text.strip().splitlines()) == len(public) + 1
    geojson = viewer.get("/admin/export/geojson")
    assert len(json.loads(geojson.data)["features"]) == len(public)
    gpkg = viewer.get("/admin/export/gpkg")
    path = tmp_path / "x.gpkg"
    path.write_bytes(gpkg.data)
    assert {name for name, _ in pyogrio.list_layers(path)} >= {"places"}
    assert viewer.get("/admin/export/shp").status_code == 404
    assert "CSV（Excel用）" in viewer.get("/admin/export").get_data(as_text=True)
