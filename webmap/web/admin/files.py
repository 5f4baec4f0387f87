"""Importing an uploaded file of places, and exporting the places, on the staff pages.

- ``GET /admin/import``: the upload form (editor);
- ``POST /admin/import``: checks the file (:func:`layers.store.place_io.preview_import`)
  and lists every problem of every row; nothing is stored. A file without errors is kept, under a
  random name in the upload folder (never under the uploaded name), for
- ``POST /admin/import/confirm``: imports it, checking it all again
  (:func:`~layers.store.place_io.import_file`: all rows or none), and
  ``POST /admin/import/cancel``;
- ``GET /admin/export`` and ``/admin/export/<csv|geojson|gpkg>`` (viewer): CSV for Excel
  (UTF-8 with BOM, no cell that a spreadsheet runs as a formula), GeoJSON, GeoPackage.

Only ``.csv``, ``.geojson`` and ``.json`` are accepted (415 otherwise); the app refuses bodies
over ``MAX_CONTENT_LENGTH`` (413). Both answers have a Japanese message.

Uploaded files: the upload folder is ``UPLOAD_FOLDER`` (``IBASHO_UPLOAD_FOLDER``), else
``ibasho-uploads`` beside the GeoPackage (beside the config for PostGIS), mode 0700. A file
is kept there only under a random name, and only while its preview waits for the confirm:
it is deleted on confirm, on cancel, on a new upload of the same session, when it has
errors, and when checking it fails. Files older than :data:`UPLOAD_MAX_AGE_S` (an abandoned
preview, a crashed process) are swept when the app starts and on every upload. Messages name
the file as it was uploaded, never the path where the server keeps it.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, current_app, redirect, request, session, url_for
from werkzeug.utils import secure_filename

from layers.errors import LayerError, Problem
from layers.files.place_files import EXPORT_FORMATS, ImportPreview
from layers.store.place_io import export_places, import_file, preview_import
from layers.store.site import secret_key_path
from webmap.i18n import gettext as _
from webmap.web.admin.common import admin, flash_message, place_store, problem_rows, render_admin
from webmap.web.auth import current_user, login_required
from webmap.web.base import app_state, data_changed, error_text
from webmap.web.security import UPLOAD_SUFFIXES, upload_suffix

logger = logging.getLogger(__name__)
__all__ = ["UPLOAD_FOLDER_NAME", "UPLOAD_MAX_AGE_S", "init_uploads", "sweep_uploads",
           "upload_folder"]

#: Uploads checked but not imported are deleted after this many seconds.
UPLOAD_MAX_AGE_S = 3600

#: The default upload folder's name (beside the GeoPackage, or the config for PostGIS).
UPLOAD_FOLDER_NAME = "ibasho-uploads"

#: Rows shown in the preview of a good file.
PREVIEW_ROWS = 200

_SESSION_KEY = "pending_import"
_MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json",
                "gpkg": "application/geopackage+sqlite3"}
#: The names this module gives uploads: a random token and an accepted suffix.
_KEPT_NAME = re.compile(r"[0-9a-f]{32}(?:" + "|".join(map(re.escape, UPLOAD_SUFFIXES)) + ")")


def init_uploads(app: Flask) -> Path:
    """
    Choose ``app``'s upload folder (``UPLOAD_FOLDER``, else :data:`UPLOAD_FOLDER_NAME` beside
    the database), create it (mode 0700) and sweep what earlier processes left there.
    """
    folder = app.config.get("UPLOAD_FOLDER")
    if not folder:  # where the session key is kept: beside the GeoPackage, or the config
        live = app_state(app).live
        key_file = secret_key_path(live.database.location, live.base_study.config.directory)
        folder = str(key_file.parent / UPLOAD_FOLDER_NAME)
        app.config["UPLOAD_FOLDER"] = folder
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    swept = sweep_uploads(path)
    logger.info("Uploads are checked in %s (%d old files swept)", path, swept)
    return path


def upload_folder() -> Path:
    """The folder for uploads being checked (see :func:`init_uploads`)."""
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def sweep_uploads(folder: Path, *, max_age_s: float = UPLOAD_MAX_AGE_S) -> int:
    """
    Delete the uploads in ``folder`` older than ``max_age_s``; returns how many.

    Only files named as this module names them (a 32-hex-digit token and an accepted
    suffix) are touched, so a folder shared with other files loses none of them.
    """
    cutoff = time.time() - max_age_s
    swept = 0
    for old in folder.iterdir():
        try:
            if _KEPT_NAME.fullmatch(old.name) and old.is_file() and \
                    old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
                swept += 1
        except OSError as exc:  # another process swept it first, or it is not ours to delete
            logger.info("Could not sweep %s: %s", old.name, exc)
    return swept


def _pending_path(pending: Any) -> Path | None:
    """The stored upload of the session (its name is ours: a random token and a suffix)."""
    if not isinstance(pending, dict):
        return None
    token, suffix = str(pending.get("token", "")), str(pending.get("suffix", ""))
    if not _KEPT_NAME.fullmatch(f"{token}{suffix}"):
        return None
    path = upload_folder() / f"{token}{suffix}"
    return path if path.is_file() else None


def _display_name(filename: str) -> str:
    """The uploaded name for the page (escaped there), without any folder."""
    return Path(filename.replace("\\", "/")).name[:120] or "upload"


@admin.get("/import")
@login_required("editor")
def import_form() -> Any:
    """The upload form."""
    return render_admin("admin_import.html", stage="form")


def _preview(path: Path, name: str) -> ImportPreview:
    """:func:`~layers.store.place_io.preview_import`, with a file GDAL or pandas cannot parse
    as a problem.

    Messages name the file ``name`` (as uploaded), never ``path``.
    """
    try:
        return preview_import(place_store(), path, name=name)
    except (LayerError, ValueError, UnicodeError, OSError, RuntimeError) as exc:
        logger.info("Upload %s could not be read: %s", path.name, exc)
        problem = Problem(name, "the file cannot be read as a table of places.",
                          fix="Save it from Excel as CSV (UTF-8), or as GeoJSON, and try again.")
        return ImportPreview(name, None, [problem])


@admin.post("/import")
@login_required("editor")
def import_check() -> Any:
    """Check an upload and list every problem; keep a good file for the confirm step."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_admin("admin_import.html", stage="form", status=400,
                            error=_("CSV（Excelで保存したもの）か GeoJSON を選んでください"
                                    "（5 MB まで）。取り込む前に、すべての行を確認して問題を"
                                    "一覧にします。"))
    suffix = upload_suffix(upload.filename)
    if suffix is None:
        abort(415, description=error_text(415)[1])
    folder = upload_folder()
    sweep_uploads(folder)
    old = _pending_path(session.pop(_SESSION_KEY, None))
    if old is not None:
        old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    path = folder / f"{token}{suffix}"
    name = _display_name(upload.filename)
    kept = False
    try:  # the file stays only if its preview waits for the confirm
        upload.save(path)
        logger.info("%s uploaded %s (%d bytes) for import", current_user().name,
                    secure_filename(name) or "upload", path.stat().st_size)
        preview = _preview(path, name)
        rows = problem_rows(preview.problems)
        if not preview.ok:
            return render_admin("admin_import.html", stage="errors", status=400,
                                file_name=name, problems=rows,
                                error_count=len(preview.errors))
        session[_SESSION_KEY] = {"token": token, "suffix": suffix, "name": name}
        kept = True
    finally:
        if not kept:
            path.unlink(missing_ok=True)
    places = preview.places
    shown = [{"row": int(r.row), "name": r.name, "category": r.category,
              "district": r.district, "located": r.geometry is not None}
             for r in places.head(PREVIEW_ROWS).itertuples()]
    return render_admin("admin_import.html", stage="preview", file_name=name, problems=rows,
                        places=shown, count=len(places))


@admin.post("/import/confirm")
@login_required("editor")
def import_confirm() -> Any:
    """Import the checked file: every row, checked again, or nothing."""
    pending = session.get(_SESSION_KEY)
    path = _pending_path(pending)
    if path is None:
        session.pop(_SESSION_KEY, None)
        return render_admin("admin_import.html", stage="form", status=400,
                            error=_("確認したファイルが見つかりません。もう一度ファイルを選んでください。"))
    user = current_user()
    assert user is not None
    name = _display_name(str(pending.get("name", "")))
    try:
        ids = import_file(place_store(), path, user=user.name, name=name)
    except LayerError as exc:
        return render_admin("admin_import.html", stage="errors", status=400,
                            file_name=name, problems=problem_rows(exc.problems),
                            error_count=sum(p.is_error for p in exc.problems))
    finally:  # imported or not, the file is done with
        path.unlink(missing_ok=True)
        session.pop(_SESSION_KEY, None)
    data_changed()
    flash_message(_("{count}件を取り込みました。公開中の地図にも反映しました。").format(count=len(ids)))
    return redirect(url_for("admin.places"))


@admin.post("/import/cancel")
@login_required("editor")
def import_cancel() -> Any:
    """Forget the checked file."""
    path = _pending_path(session.pop(_SESSION_KEY, None))
    if path is not None:
        path.unlink(missing_ok=True)
    return redirect(url_for("admin.import_form"))


@admin.get("/export")
@login_required("viewer")
def export_page() -> Any:
    """Links to the three export formats."""
    labels = {"csv": _("CSV（Excel用）"), "geojson": _("GeoJSON"),
              "gpkg": _("GeoPackage（QGIS用）")}
    return render_admin("admin_export.html", formats=EXPORT_FORMATS, labels=labels)


@admin.get("/export/<fmt>")
@login_required("viewer")
def export(fmt: str) -> Response:
    """The places as a download (written to a private temp folder, then sent)."""
    if fmt not in EXPORT_FORMATS:
        abort(404, description=f"Unknown export format {fmt!r}; use one of: "
                               f"{', '.join(EXPORT_FORMATS)}.")
    folder = Path(tempfile.mkdtemp(prefix="ibasho-export-"))
    try:
        out = export_places(place_store(), fmt, folder / f"places.{fmt}")
        data = out.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    stamp = datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y%m%d")
    response = Response(data, content_type=_MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ibasho-places-{stamp}.{fmt}"')
    response.headers["Cache-Control"] = "no-store"
    return response
