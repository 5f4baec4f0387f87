"""What every staff page (``/admin``) shares: the blueprint, the stores and the page context.

The pages themselves are in :mod:`webmap.web.admin.login` (login, lists, audit),
:mod:`webmap.web.admin.places`, :mod:`webmap.web.admin.routes` and :mod:`webmap.web.admin.files`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from layers.errors import Problem
from layers.fields.schema import MAX_CHARS
from layers.store.features import PlaceNotFoundError
from layers.store.places import PlaceStore
from layers.store.users import UserStore
from webmap.i18n import gettext as _
from webmap.web.admin.labels import action_label, field_label, role_label
from webmap.web.auth import current_user, has_role
from webmap.web.base import app_state, current_state, data_changed

logger = logging.getLogger(__name__)
__all__ = ["admin", "check_feature_id", "editor_name", "map_settings", "place_store",
           "problem_rows", "read_feature", "render_admin", "stored", "user_store"]

admin = Blueprint("admin", __name__, url_prefix="/admin")


def place_store() -> PlaceStore:
    """The places database of the app."""
    return app_state().places


def user_store() -> UserStore:
    """The staff accounts of the app."""
    return app_state().users


def map_settings() -> dict[str, Any]:
    """What the small Leaflet maps of the forms need: bounds (of the places) and the basemap."""
    study = current_state().study
    located = study.places[study.places.geometry.notna()]
    frame = located if len(located) >= 2 else study.boundary
    minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
    basemap = study.config.basemap
    return {"bounds": [[miny, minx], [maxy, maxx]],
            "tiles": basemap.get("url", ""),
            "attribution": basemap.get("attribution", ""),
            "max_zoom": int(basemap.get("max_zoom", 18))}


def problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as table rows: row, field (in Japanese), problem, fix, severity."""
    return [{"row": p.row, "field": field_label(p.field or ""),
             "field_name": p.field or "", "problem": p.problem, "fix": p.fix,
             "error": p.is_error,
             "severity": _("エラー") if p.is_error else _("注意")}
            for p in problems]


def flash_message(text: str) -> None:
    flash(text, "info")


def editor_name() -> str:
    """The name of the editor making a change (403 for a login without the editor role)."""
    user = current_user()
    if user is None or not has_role(user, "editor"):
        abort(403)
    return user.name


def check_feature_id(feature_id: str, *, prefix: str, noun: str) -> str:
    """``feature_id`` if it looks like an id of the store (``p0012``), else a 404."""
    if not re.fullmatch(rf"{prefix}\d{{1,9}}", feature_id):
        abort(404, description=f"{feature_id!r} is not a {noun} id (e.g. {prefix}0012).")
    return feature_id


_Feature = TypeVar("_Feature")


def read_feature(read: Callable[[str], _Feature], feature_id: str, *, prefix: str,
                 noun: str) -> _Feature:
    """
    The stored feature ``feature_id`` as ``read`` returns it, or a 404.

    Parameters
    ----------
    read
        Reads one feature by id from the store (raises ``PlaceNotFoundError`` for none).
    feature_id
        From the URL: checked by :func:`check_feature_id` first.
    prefix, noun
        The store's id prefix (``p``, ``r``, ``m``) and what it holds, for the 404's text.
    """
    check_feature_id(feature_id, prefix=prefix, noun=noun)
    try:
        return read(feature_id)
    except PlaceNotFoundError:
        abort(404, description=f"There is no {noun} {feature_id}.")


def stored(action: str, endpoint: str, *, name: str = "", feature_id: str = "",
           changed: bool = True, **values: str) -> Response:
    """
    The answer to a change that was stored (``action``: ``added``, ``saved`` or ``retired``
    the feature ``name``, ``feature_id``): the public maps take it (unless it ``changed``
    nothing), the staff member is told, and the page of ``endpoint`` opens.
    """
    if changed:
        data_changed()
    messages = {
        "added": _("「{name}」を追加しました（{place_id}）。公開中の地図にも反映しました。"),
        "saved": _("保存しました。公開中の地図にも反映しました。"),
        "retired": _("「{name}」を廃止しました。公開中の地図から外しました。"),
    }
    flash_message(messages[action].format(name=name, place_id=feature_id))
    return redirect(url_for(endpoint, **values))


def json_data(value: Any) -> Markup:
    """``value`` as JSON safe inside ``<script type="application/json">`` (``<`` escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # safe: <, > and & are escaped above


def render_admin(template: str, *, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a staff page with the labels of coded values, the user, the navigation and
    ``limits`` (the
    most characters of each field, :data:`layers.fields.schema.MAX_CHARS`, for ``maxlength``)."""
    user = current_user()
    nav = [(_("居場所の一覧"), url_for("admin.places")),
           (_("ウォーキングコース"), url_for("admin.routes")),
           (_("参加記録"), url_for("admin.participation"))]
    if has_role(user, "editor"):
        nav.append((_("ファイルから取り込み"), url_for("admin.import_form")))
    nav += [(_("書き出し"), url_for("admin.export_page")),
            (_("変更履歴"), url_for("admin.audit"))]
    if has_role(user, "admin"):
        nav.append((_("スタッフのアカウント"), url_for("admin.users")))
    study = current_state().study
    html = render_template(template, field_label=field_label, role_label=role_label,
                           action_label=action_label, user=user, nav=nav,
                           can_edit=has_role(user, "editor"), site_title=study.config.title,
                           json_data=json_data, limits=MAX_CHARS,
                           left_out=_left_out() if user else [], **context)
    return html, status


def _left_out() -> list[dict[str, str]]:
    """The stored rows the public maps leave out (they cannot be drawn), with edit links."""
    rows = []
    for item in app_state().live.left_out:
        endpoint, key = (("admin.edit_place", "place_id") if item.row.layer == "places"
                         else ("admin.edit_route", "route_id"))
        rows.append({"label": item.label, "name": item.row.name, "reason": item.reason,
                     "href": url_for(endpoint, **{key: item.row.feature_id})})
    return rows


def form_values(form: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The named fields of a posted form, stripped (missing ones as '')."""
    return {name: str(form.get(name, "")).strip() for name in names}


def form_version() -> int:
    """The version the edited form was loaded at (a 400 when the form lacks it)."""
    text = str(request.form.get("version", ""))
    if not text.isdigit():
        abort(400, description="The form has no version; reload the page and edit again.")
    return int(text)
