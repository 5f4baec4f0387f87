"""Participation records on the staff pages: a month of each place, CSV in and out, the report.

- ``GET /admin/participation``: the records, latest month first (viewer), with the figures'
  downloads: every record as CSV and the city's yearly report (one row per place, 年度);
- ``GET/POST /admin/participation/new`` and ``/admin/participation/<id>``: the form (a POST
  needs the editor role; the version read travels with the form, a 409 shows the current
  record when someone saved in between); ``POST …/<id>/retire``;
- ``GET/POST /admin/participation/import``: a CSV is checked row by row and every problem is
  listed (nothing stored); a good file is kept under a random name until
  ``POST …/import/confirm`` stores all of its rows or none (checked again), or ``…/cancel``.

Every form carries the CSRF token, like the other staff forms.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, redirect, request, session, url_for

from layers.errors import LayerError, Problem
from layers.fields.participation import ACTIVITIES, FREQUENCIES, PARTICIPATION_FIELDS
from layers.fields.schedule import japan_today
from layers.files.participation_files import (
    REPORT_HEADERS,
    read_participation_csv,
    write_participation_csv,
    write_table_csv,
)
from layers.participation_figures import fiscal_year, place_year_rows
from layers.store.features import PlaceNotFoundError, VersionConflict
from layers.store.participation import (
    add_participation,
    import_participation,
    participation_record,
    participation_records,
    preview_participation,
    retire_participation,
    update_participation,
)
from webmap.i18n import gettext as _
from webmap.web.admin.common import (
    admin,
    check_feature_id,
    editor_name,
    flash_message,
    form_values,
    form_version,
    place_store,
    problem_rows,
    read_feature,
    render_admin,
)
from webmap.web.admin.files import sweep_uploads, upload_folder
from webmap.web.auth import current_user, has_role, login_required
from webmap.web.participation import figure_places

logger = logging.getLogger(__name__)
__all__: list[str] = []

#: Records shown on the list page (the latest; the CSV has every one).
LIST_ROWS = 500

_SESSION_KEY = "pending_participation"
_TOKYO = ZoneInfo("Asia/Tokyo")


def _place_choices() -> list[tuple[str, str]]:
    """Open places as (id, "name（id・district）") for the form's list, by name."""
    places = figure_places()
    open_ids = set(place_store().places()["place_id"])
    places = places[places["place_id"].isin(open_ids)]
    unset = _("地区未設定")
    return sorted(((p, f"{n}（{p}・{d or unset}）") for p, n, d in
                   zip(places["place_id"], places["name"], places["district"], strict=True)),
                  key=lambda item: item[1])


def _render_form(*, record_id: str | None, values: dict[str, str], version: int | None,
                 status: int = 200, **extra: Any) -> tuple[str, int]:
    retired = extra.pop("retired", False)
    return render_admin("admin_participation_form.html", status=status, record_id=record_id,
                        values=values, version=version, places=_place_choices(),
                        activities=ACTIVITIES, frequencies=FREQUENCIES, retired=retired,
                        this_month=f"{japan_today():%Y-%m}",
                        readonly=not has_role(current_user(), "editor") or retired, **extra)


def _values(record: dict[str, Any]) -> dict[str, str]:
    return {k: "" if record.get(k) is None else str(record[k]) for k in PARTICIPATION_FIELDS}


@admin.get("/participation")
@login_required("viewer")
def participation() -> Any:
    """The records, latest month first, and the downloads."""
    records = participation_records(place_store())
    names = dict(zip(*(place_store().places(include_retired=True)[c]
                       for c in ("place_id", "name")), strict=True))
    shown = records.sort_values(["month", "record_id"], ascending=False).head(LIST_ROWS)
    rows = [{**{k: ("" if v is None or v != v else v) for k, v in row.items()},
             "name": names.get(row["place_id"], "")}
            for row in shown.astype(object).to_dict("records")]
    years = sorted({fiscal_year(m) for m in records["month"]}, reverse=True)
    return render_admin("admin_participation.html", rows=rows, count=len(records),
                        years=years or [fiscal_year(f"{japan_today():%Y-%m}")])


@admin.route("/participation/new", methods=["GET", "POST"])
@login_required("editor")
def new_participation() -> Any:
    """The empty form (``?place_id=`` chosen); a good POST adds the record."""
    if request.method == "GET":
        values = dict.fromkeys(PARTICIPATION_FIELDS, "")
        values["place_id"] = request.args.get("place_id", "")[:20]
        return _render_form(record_id=None, values=values, version=None)
    values = form_values(request.form, PARTICIPATION_FIELDS)
    try:
        record = add_participation(place_store(), values, user=editor_name())
    except LayerError as exc:
        return _render_form(record_id=None, values=values, version=None, status=400,
                            problems=problem_rows(exc.problems))
    flash_message(_("{month}の記録を追加しました（{record_id}）。").format(
        month=record["month"], record_id=record["record_id"]))
    return redirect(url_for("admin.participation"))


@admin.route("/participation/<record_id>", methods=["GET", "POST"])
@login_required("viewer")
def edit_participation(record_id: str) -> Any:
    """The record in the form; a POST (editor) saves it if nobody saved in between."""
    store = place_store()
    record = read_feature(lambda feature_id: participation_record(store, feature_id), record_id,
                          prefix="m", noun="participation record")
    retired = record["retired_at"] is not None
    if request.method == "GET":
        return _render_form(record_id=record_id, values=_values(record),
                            version=record["version"], retired=retired)
    user = editor_name()
    version = form_version()
    values = form_values(request.form, PARTICIPATION_FIELDS)
    try:
        update_participation(store, record_id, values, expected_version=version, user=user)
    except VersionConflict as exc:
        current = participation_record(store, record_id)
        return _render_form(record_id=record_id, values=_values(current),
                            version=current["version"], status=409, conflict=exc.message_ja,
                            retired=current["retired_at"] is not None)
    except LayerError as exc:
        return _render_form(record_id=record_id, values=values, version=version, status=400,
                            problems=problem_rows(exc.problems), retired=retired)
    flash_message(_("保存しました。"))
    return redirect(url_for("admin.edit_participation", record_id=record_id))


@admin.post("/participation/<record_id>/retire")
@login_required("editor")
def retire_participation_record(record_id: str) -> Any:
    """Retire a record entered by mistake (it leaves the figures; its history stays)."""
    check_feature_id(record_id, prefix="m", noun="participation record")
    try:
        retire_participation(place_store(), record_id, expected_version=form_version(),
                             user=editor_name())
    except PlaceNotFoundError:
        abort(404, description=f"There is no participation record {record_id}.")
    except (VersionConflict, LayerError):
        return redirect(url_for("admin.edit_participation", record_id=record_id))
    flash_message(_("記録 {record_id} を取り消しました（履歴は残ります）。").format(
        record_id=record_id))
    return redirect(url_for("admin.participation"))


# -- CSV ---------------------------------------------------------------------------------

def _pending() -> Path | None:
    token = str(session.get(_SESSION_KEY, {}).get("token", ""))
    if len(token) != 32 or not all(c in "0123456789abcdef" for c in token):
        return None
    path = upload_folder() / f"{token}.csv"
    return path if path.is_file() else None


def _rows_of(path: Path, name: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The file's rows and every problem of them (a file that cannot be read: one)."""
    try:
        rows = read_participation_csv(path, name=name)
    except LayerError as exc:
        return [], exc.problems
    return rows, preview_participation(place_store(), rows, source=name)


@admin.route("/participation/import", methods=["GET", "POST"])
@login_required("editor")
def import_participation_file() -> Any:
    """The upload form; a POST checks the file and lists every problem (stores nothing)."""
    if request.method == "GET":
        return render_admin("admin_participation_import.html", stage="form")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_admin("admin_participation_import.html", stage="form", status=400,
                            error=_("CSVファイルを選んでください。"))
    if not upload.filename.lower().endswith(".csv"):
        abort(415, description=_("取り込めるのは CSV（.csv）だけです。"))
    folder = upload_folder()
    sweep_uploads(folder)
    old = _pending()
    if old is not None:
        old.unlink(missing_ok=True)
    session.pop(_SESSION_KEY, None)
    token = secrets.token_hex(16)
    path = folder / f"{token}.csv"
    name = Path(upload.filename.replace("\\", "/")).name[:120] or "upload.csv"
    upload.save(path)
    rows, problems = _rows_of(path, name)
    if problems or not rows:
        path.unlink(missing_ok=True)
        if not problems:
            problems = [Problem(name, "the file has no rows.",
                                fix="Add one row per place and month under the header.")]
        return render_admin("admin_participation_import.html", stage="errors", status=400,
                            file_name=name, problems=problem_rows(problems),
                            error_count=len(problems))
    session[_SESSION_KEY] = {"token": token, "name": name}
    return render_admin("admin_participation_import.html", stage="preview", file_name=name,
                        rows=rows[:200], count=len(rows))


@admin.post("/participation/import/confirm")
@login_required("editor")
def confirm_participation_import() -> Any:
    """Store every row of the checked file (checked again), or none."""
    path = _pending()
    name = str(session.get(_SESSION_KEY, {}).get("name", "upload.csv"))
    session.pop(_SESSION_KEY, None)
    if path is None:
        return render_admin("admin_participation_import.html", stage="form", status=400,
                            error=_("確認したファイルが見つかりません。もう一度選んでください。"))
    try:
        rows = read_participation_csv(path, name=name)
        ids = import_participation(place_store(), rows, user=editor_name(), source=name)
    except LayerError as exc:
        return render_admin("admin_participation_import.html", stage="errors", status=400,
                            file_name=name, problems=problem_rows(exc.problems),
                            error_count=len(exc.problems))
    finally:
        path.unlink(missing_ok=True)
    flash_message(_("{count}件の記録を取り込みました。").format(count=len(ids)))
    return redirect(url_for("admin.participation"))


@admin.post("/participation/import/cancel")
@login_required("editor")
def cancel_participation_import() -> Any:
    path = _pending()
    session.pop(_SESSION_KEY, None)
    if path is not None:
        path.unlink(missing_ok=True)
    return redirect(url_for("admin.participation"))


def _download(write: Any, filename: str) -> Response:
    folder = Path(tempfile.mkdtemp(prefix="ibasho-export-"))
    try:
        data = write(folder / "out.csv").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    response = Response(data, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@admin.get("/participation/export.csv")
@login_required("viewer")
def export_participation() -> Response:
    """Every open record as CSV for Excel (it imports back; formulas neutralised)."""
    places = place_store().places(include_retired=True)
    names = dict(zip(places["place_id"], places["name"], strict=True))
    records = participation_records(place_store())
    stamp = datetime.now(_TOKYO).strftime("%Y%m%d")
    return _download(lambda out: write_participation_csv(records, names, out),
                     f"ibasho-participation-{stamp}.csv")


@admin.get("/participation/report.csv")
@login_required("viewer")
def participation_report() -> Response:
    """The city's yearly report on 通いの場 (``?year=2026``: 年度), one row per place."""
    year_text = request.args.get("year", "")
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        abort(400, description=_("年度を数字で選んでください（例: 2026）。"))
    table = place_year_rows(participation_records(place_store()), figure_places())
    table = table[table["fiscal_year"] == int(year_text)][list(REPORT_HEADERS)]
    return _download(lambda out: write_table_csv(table, out, headers=REPORT_HEADERS),
                     f"kayoinoba-report-{year_text}.csv")
