"""Adding, editing and retiring places on the staff pages.

- ``GET/POST /admin/places/new``: the form, with a small map: a click sets the position (editor);
- ``GET /admin/places/<id>``: the place in the form (read-only for viewers);
  ``POST`` saves it (editor). The form carries the version it was read at; if someone saved
  in between, nothing is stored and the page shows :attr:`VersionConflict.message_ja` with the
  current values (409);
- ``POST /admin/places/<id>/retire``: retire it (editor; the version is checked too);
- ``POST /admin/schedule-reading``: how a schedule text is read (``{"schedule": text}``, JSON,
  the CSRF token in ``X-CSRFToken``), which the form shows as it is typed.

Every problem of a form is listed at once (400) and nothing is stored; after a change the maps
are recomputed (:func:`webmap.web.base.data_changed`) and the public map shows it.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from layers.errors import LayerError
from layers.fields.schedule import japan_today, next_openings, parse_schedule
from layers.fields.schema import MAX_CHARS
from layers.store.features import PlaceNotFoundError, VersionConflict
from webmap.i18n import gettext as _
from webmap.web.admin.common import (
    admin,
    check_feature_id,
    editor_name,
    form_values,
    form_version,
    map_settings,
    place_store,
    problem_rows,
    read_feature,
    render_admin,
    stored,
)
from webmap.web.auth import current_user, has_role, login_required
from webmap.web.base import current_state, json_error
from webmap.web.json_body import read_json_object

logger = logging.getLogger(__name__)
__all__ = ["PLACE_FORM_FIELDS", "schedule_reading_of"]

#: The fields of the place form, in order.
PLACE_FORM_FIELDS = ("name", "category", "district", "serves", "address", "schedule", "contact",
                     "notes", "capacity", "position_source", "source", "lon", "lat")

def _values(place: dict[str, Any]) -> dict[str, str]:
    """A stored place as the form shows it."""
    values = {name: str(place.get(name) or "") for name in PLACE_FORM_FIELDS}
    for name in ("lon", "lat"):
        values[name] = "" if place.get(name) is None else f"{place[name]:.6f}"
    return values


def _render_form(*, place_id: str | None, values: dict[str, str], version: int | None,
                 status: int = 200, **extra: Any) -> tuple[str, int]:
    study = current_state().study
    districts = list(study.district_names)
    if values.get("district") and values["district"] not in districts:
        districts.append(values["district"])
    store = place_store()
    retired = extra.pop("retired", False)
    return render_admin(
        "admin_place_form.html", status=status, place_id=place_id, values=values,
        version=version, categories=store.categories, districts=districts,
        map_config={**map_settings(), "places": _other_places(place_id)}, retired=retired,
        schedule_reading=schedule_reading_of(values.get("schedule", "")),
        readonly=not has_role(current_user(), "editor") or retired, **extra)


def schedule_reading_of(text: str) -> dict[str, Any]:
    """
    How ``text`` is read, for staff: ``status`` (see :data:`layers.fields.schedule.model.STATUSES`),
    ``headline`` (what residents will see) and ``lines`` (the next five dates, then the
    reasons when the text is declined or its hours are not read).
    """
    schedule = parse_schedule(text, today=japan_today())
    dates = [o.label for o in next_openings(schedule, japan_today(), count=5)]
    headline = {
        "read": _("日付として読めます。次の5回："),
        "partial": _("日付だけ読めます（時刻は表示しません）。次の5回："),
        "declined": _("日付にしません。"
                      "住民には原文と「日程は主催者にご確認ください」を表示します。"),
        "irregular": _("不定期："
                       "住民には原文と「日程は主催者にご確認ください」を表示します。"),
        "empty": _("日程が空です。住民には「日程の情報がありません」と表示します。"),
    }[schedule.status]
    if schedule.dates_known and not dates:
        headline = _("日付として読めますが、この先の開催日はありません。")
    reasons = [] if schedule.status in ("read", "empty") else list(schedule.reasons)
    return {"ok": True, "status": schedule.status, "headline": headline, "lines": dates + reasons}


_READING_USAGE = 'Send {"schedule": "毎月第2水曜日 10時～12時"}.'


@admin.post("/schedule-reading")
@login_required("viewer")
def schedule_reading() -> Response:
    """How a schedule text is read (the place form asks as it is typed); stores nothing."""
    try:
        body = read_json_object(fields={"schedule": str}, usage=_READING_USAGE)
    except HTTPException as exc:
        return json_error(exc.code or 400, exc.description or "")
    text = body.get("schedule", "")
    limit = MAX_CHARS["places"]["schedule"]
    if len(text) > limit:
        return json_error(400, _("日程は{limit}文字までです。").format(limit=limit))
    return current_app.json.response(schedule_reading_of(text))


def _other_places(place_id: str | None) -> list[list[Any]]:
    """The other located places, ``[lon, lat, name]``, drawn faintly for orientation."""
    places = current_state().study.places
    located = places[places.geometry.notna() & (places["place_id"] != place_id)]
    return [[round(p.x, 7), round(p.y, 7), str(name)]
            for p, name in zip(located.geometry, located["name"], strict=True)]


@admin.route("/places/new", methods=["GET", "POST"])
@login_required("editor")
def new_place() -> Any:
    """The empty form; a good POST adds the place and goes to its page."""
    if request.method == "GET":
        return _render_form(place_id=None, values=dict.fromkeys(PLACE_FORM_FIELDS, ""),
                            version=None)
    values = form_values(request.form, PLACE_FORM_FIELDS)
    try:
        place = place_store().add_place(values, user=editor_name())
    except LayerError as exc:
        return _render_form(place_id=None, values=values, version=None, status=400,
                            problems=problem_rows(exc.problems))
    return stored("added", "admin.edit_place", name=place["name"],
                  feature_id=place["place_id"], place_id=place["place_id"])


@admin.route("/places/<place_id>", methods=["GET", "POST"])
@login_required("viewer")
def edit_place(place_id: str) -> Any:
    """The place in the form; a POST (editor) saves it if nobody saved in between."""
    store = place_store()
    place = read_feature(store.place, place_id, prefix="p", noun="place")
    retired = place["retired_at"] is not None
    if request.method == "GET":
        return _render_form(place_id=place_id, values=_values(place), version=place["version"],
                            retired=retired)
    user = editor_name()
    version = form_version()
    values = form_values(request.form, PLACE_FORM_FIELDS)
    try:
        updated = store.update_place(place_id, values, expected_version=version, user=user)
    except VersionConflict as exc:
        return _conflict(place_id, exc, values)
    except LayerError as exc:
        return _render_form(place_id=place_id, values=values, version=version, status=400,
                            problems=problem_rows(exc.problems), retired=retired)
    return stored("saved", "admin.edit_place", changed=updated["version"] != version,
                  place_id=place_id)


def _conflict(place_id: str, exc: VersionConflict, yours: dict[str, str]) -> tuple[str, int]:
    """The form with the current values, the conflict message and the editor's own input."""
    current = place_store().place(place_id)
    logger.info("Version conflict on %s: %s", place_id, exc.message_en)
    values = _values(current)
    differing = [(name, yours.get(name, "")) for name in PLACE_FORM_FIELDS
                 if yours.get(name, "") != values[name]]
    return _render_form(place_id=place_id, values=values, version=current["version"],
                        status=409, conflict=exc.message_ja, yours=differing,
                        retired=current["retired_at"] is not None)


@admin.post("/places/<place_id>/retire")
@login_required("editor")
def retire_place(place_id: str) -> Response | tuple[str, int]:
    """Retire the place (it leaves the maps; its history stays)."""
    check_feature_id(place_id, prefix="p", noun="place")
    version = form_version()
    try:
        place = place_store().retire_place(place_id, expected_version=version,
                                           user=editor_name())
    except PlaceNotFoundError:
        abort(404, description=f"There is no place {place_id}.")
    except VersionConflict as exc:
        return _conflict(place_id, exc, {})
    except LayerError as exc:
        current = place_store().place(place_id)
        return _render_form(place_id=place_id, values=_values(current),
                            version=current["version"], status=400,
                            problems=problem_rows(exc.problems),
                            retired=current["retired_at"] is not None)
    return stored("retired", "admin.places", name=place["name"])
