"""Uploaded files: messages name the upload, never the server's path; temporary files are kept
only while a preview waits, in the upload folder, and swept when abandoned.

Runs on a GeoPackage and on PostGIS (``admin_database``).
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest
from admin_helpers import login, place_fields, post_form, unique

from layers.fields.schema import MAX_ITEMS
from webmap.web.admin.files import UPLOAD_FOLDER_NAME, UPLOAD_MAX_AGE_S
from webmap.web.base import app_state

HEADER = "name,category,address,lon,lat,position_source\n"
#: Files GDAL or pandas cannot read: their errors used to carry the server's path.
UNREADABLE = [(b"hello", "地図データ.geojson"), (b"[1, 2]", "一覧.json"),
              (b"\x00\x01\x02binary", "壊れた.json"),
              (b'{"type": "FeatureCollection", "features": [', "途中まで.geojson"),
              (b'name,category\n"unclosed,x\n', "引用符.csv")]
TOKEN = re.compile(r"[0-9a-f]{32}")


def upload(client, content: bytes, filename: str):
    return post_form(client, "/admin/import", {"file": (io.BytesIO(content), filename)},
                     token_from="/admin/import", content_type="multipart/form-data")


def kept_files(app) -> list[Path]:
    return sorted(Path(app.config["UPLOAD_FOLDER"]).iterdir())


@pytest.mark.parametrize(("content", "filename"), UNREADABLE)
def test_messages_name_the_upload_not_the_server_path(admin_app, editor, content: bytes,
                                                      filename: str) -> None:
    folder = Path(admin_app.config["UPLOAD_FOLDER"])
    response = upload(editor, content, filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "何も保存していません" in page
    assert str(folder) not in page and str(folder.resolve()) not in page
    assert "/tmp" not in page and not TOKEN.search(page)  # nor the name the server gave it
    assert filename in page
    assert not kept_files(admin_app)  # a bad file is not kept


def test_confirm_messages_name_the_upload(admin_app, editor) -> None:
    name = unique("確認")
    content = (HEADER + f"{name},サロン,,139.0,36.32,exact: 地図\n").encode()
    assert upload(editor, content, "追加分.csv").status_code == 200
    assert post_form(editor, "/admin/places/new", place_fields(name)).status_code == 302
    response = post_form(editor, "/admin/import/confirm", {}, token_from="/admin/import")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "is already in the store" in page
    assert "追加分.csv" in page and not TOKEN.search(page)
    assert not kept_files(admin_app)  # the refused file is gone too


def test_too_many_rows_are_explained(admin_app, editor) -> None:
    limit = MAX_ITEMS["import_rows"]
    rows = "".join(f"{unique('行')},サロン,,,,\n" for _ in range(limit + 1))
    response = upload(editor, (HEADER + rows).encode(), "大きな一覧.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"{limit + 1:,}行あります。一度に取り込めるのは{limit:,}行までです" in page
    assert not kept_files(admin_app)


def age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_abandoned_previews_are_swept_on_upload(admin_app, editor) -> None:
    folder = Path(admin_app.config["UPLOAD_FOLDER"])
    abandoned = folder / f"{'a' * 32}.csv"  # a preview nobody confirmed, an hour ago
    abandoned.write_text("name\nold\n")
    age(abandoned, UPLOAD_MAX_AGE_S + 60)
    recent = folder / f"{'b' * 32}.geojson"  # another editor's preview, still waiting
    recent.write_text("{}")
    foreign = folder / "README.txt"  # not ours: never deleted, however old
    foreign.write_text("kept")
    age(foreign, 10 * UPLOAD_MAX_AGE_S)
    name = unique("掃除")
    content = (HEADER + f"{name},サロン,,139.0,36.32,exact: 地図\n").encode()
    assert upload(editor, content, "a.csv").status_code == 200
    left = {p.name for p in kept_files(admin_app)}
    assert abandoned.name not in left and {recent.name, foreign.name} <= left
    assert len(left) == 3  # the new preview, waiting for its confirm
    post_form(editor, "/admin/import/cancel", {}, token_from="/admin/import")
    recent.unlink()
    foreign.unlink()
    assert not kept_files(admin_app)


def test_a_new_upload_replaces_the_waiting_one(admin_app, editor) -> None:
    for _ in range(3):
        content = (HEADER + f"{unique('置換')},サロン,,139.0,36.32,exact: 地図\n").encode()
        assert upload(editor, content, "a.csv").status_code == 200
        assert len(kept_files(admin_app)) == 1
    post_form(editor, "/admin/import/cancel", {}, token_from="/admin/import")
    assert not kept_files(admin_app)


def test_default_folder_is_beside_the_database_and_swept_at_start(tmp_path: Path) -> None:
    from webmap.web.app import create_app

    database = tmp_path / "site" / "ibasho-data.gpkg"
    folder = database.parent / UPLOAD_FOLDER_NAME
    folder.mkdir(parents=True)
    crashed = folder / f"{'c' * 32}.json"  # left by a process that crashed
    crashed.write_text("{}")
    age(crashed, UPLOAD_MAX_AGE_S + 1)
    waiting = folder / f"{'d' * 32}.csv"  # another worker's preview
    waiting.write_text("name\n")
    app = create_app({"TESTING": True, "DATABASE": str(database)})
    assert Path(app.config["UPLOAD_FOLDER"]) == folder
    assert not crashed.exists() and waiting.exists()
    app_state(app).users.create_user("henshu", "correct horse 1", role="editor")
    client = app.test_client()
    login(client, "editor")
    content = (HEADER + f"{unique('既定')},サロン,,139.0,36.32,exact: 地図\n").encode()
    response = upload(client, content, "b.csv")
    assert response.status_code == 200
    assert len(list(folder.iterdir())) == 2


def test_default_folder_is_private(tmp_path: Path) -> None:
    from webmap.web.app import create_app

    database = tmp_path / "ibasho-data.gpkg"
    app = create_app({"TESTING": True, "DATABASE": str(database)})
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert folder == tmp_path / UPLOAD_FOLDER_NAME
    assert folder.stat().st_mode & 0o777 == 0o700
