"""Importing an uploaded file of places, and exporting the places, on the staff pages.

- ``GET /admin/import``: the upload form (editor);
- ``POST /admin/import``: checks the file (:func:`layers.place_files.preview_import`) and lists
  every problem of every row; nothing is stored. A file without errors is kept, under a
  random name in the upload folder (never under the uploaded name), for
- ``POST /admin/import/confirm``: imports it, checking it all again
  (:meth:`~layers.places_store.PlaceStore.import_file`: all rows or none), and
  ``POST /admin/import/cancel``;
- ``GET /admin/export`` and ``/admin/export/<csv|geojson|gpkg>`` (viewer): CSV for Excel
  (UTF-8 with BOM), GeoJSON, GeoPackage.

Only ``.csv``, ``.geojson`` and ``.json`` are accepted (415 otherwise); the app refuses bodies
over ``MAX_CONTENT_LENGTH`` (413). Both answers have a Japanese message.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, redirect, request, session, url_for
from werkzeug.utils import secure_filename

from layers.errors import LayerError, Problem
from layers.place_files import EXPORT_FORMATS, ImportPreview
from webmap.admin_common import admin, flash_message, place_store, problem_rows, render_admin
from webmap.admin_text import ADMIN_TEXT, ERROR_TEXT
from webmap.auth import current_user, login_required
from webmap.live import data_changed
from webmap.security import upload_suffix

logger = logging.getLogger(__name__)
__all__ = ["UPLOAD_MAX_AGE_S", "upload_folder"]

#: Uploads checked but not imported are deleted after this many seconds.
UPLOAD_MAX_AGE_S = 3600

#: Rows shown in the preview of a good file.
PREVIEW_ROWS = 200

_SESSION_KEY = "pending_import"
_MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json",
                "gpkg": "application/geopackage+sqlite3"}


def upload_folder() -> Path:
    """The folder for uploads being checked (``UPLOAD_FOLDER``, else a private temp folder)."""
    folder = current_app.config.get("UPLOAD_FOLDER")
    if not folder:
        folder = tempfile.mkdtemp(prefix="ibasho-uploads-")  # mode 0700
        current_app.config["UPLOAD_FOLDER"] = folder
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _prune(folder: Path) -> None:
    cutoff = time.time() - UPLOAD_MAX_AGE_S
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _pending_path(pending: Any) -> Path | None:
    """The stored upload of the session (its name is ours: a random token and a suffix)."""
    if not isinstance(pending, dict):
        return None
    token, suffix = str(pending.get("token", "")), str(pending.get("suffix", ""))
    if len(token) != 32 or not all(c in "0123456789abcdef" for c in token) or \
            upload_suffix(f"x{suffix}") != suffix:
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


def _preview(path: Path) -> ImportPreview:
    """:meth:`PlaceStore.preview_import`, with a file GDAL or pandas cannot parse as a problem."""
    try:
        return place_store().preview_import(path)
    except (LayerError, ValueError, UnicodeError, OSError, RuntimeError) as exc:
        logger.info("Upload %s could not be read: %s", path.name, exc)
        problem = Problem(path.name, "the file cannot be read as a table of places.",
                          fix="Save it from Excel as CSV (UTF-8), or as GeoJSON, and try again.")
        return ImportPreview(path.name, None, [problem])


@admin.post("/import")
@login_required("editor")
def import_check() -> Any:
    """Check an upload and list every problem; keep a good file for the confirm step."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_admin("admin_import.html", stage="form", status=400,
                            error=ADMIN_TEXT["import_help"])
    suffix = upload_suffix(upload.filename)
    if suffix is None:
        abort(415, description=ERROR_TEXT[415]["message"])
    folder = upload_folder()
    _prune(folder)
    old = _pending_path(session.pop(_SESSION_KEY, None))
    if old is not None:
        old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    path = folder / f"{token}{suffix}"
    upload.save(path)
    name = _display_name(upload.filename)
    logger.info("%s uploaded %s (%d bytes) for import", current_user().name,
                secure_filename(name) or "upload", path.stat().st_size)
    preview = _preview(path)
    rows = problem_rows(preview.problems)
    if not preview.ok:
        path.unlink(missing_ok=True)
        return render_admin("admin_import.html", stage="errors", status=400, file_name=name,
                            problems=rows, error_count=len(preview.errors))
    session[_SESSION_KEY] = {"token": token, "suffix": suffix, "name": name}
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
                            error=ADMIN_TEXT["import_expired"])
    user = current_user()
    assert user is not None
    try:
        ids = place_store().import_file(path, user=user.name)
    except LayerError as exc:
        path.unlink(missing_ok=True)
        session.pop(_SESSION_KEY, None)
        return render_admin("admin_import.html", stage="errors", status=400,
                            file_name=pending.get("name", ""),
                            problems=problem_rows(exc.problems),
                            error_count=sum(p.is_error for p in exc.problems))
    path.unlink(missing_ok=True)
    session.pop(_SESSION_KEY, None)
    data_changed()
    flash_message(ADMIN_TEXT["imported"].format(count=len(ids)))
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
    return render_admin("admin_export.html", formats=EXPORT_FORMATS)


@admin.get("/export/<fmt>")
@login_required("viewer")
def export(fmt: str) -> Response:
    """The places as a download (written to a private temp folder, then sent)."""
    if fmt not in EXPORT_FORMATS:
        abort(404, description=f"Unknown export format {fmt!r}; use one of: "
                               f"{', '.join(EXPORT_FORMATS)}.")
    folder = Path(tempfile.mkdtemp(prefix="ibasho-export-"))
    try:
        out = place_store().export(fmt, folder / f"places.{fmt}")
        data = out.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    stamp = datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y%m%d")
    response = Response(data, content_type=_MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ibasho-places-{stamp}.{fmt}"')
    response.headers["Cache-Control"] = "no-store"
    return response
