"""Staff pages under ``/admin``: login, the list of places, the audit log, the accounts.

Routes (the editing ones are in :mod:`webmap.web.admin.places`, :mod:`webmap.web.admin.routes` and
:mod:`webmap.web.admin.files`):

- ``GET/POST /admin/login`` and ``POST /admin/logout``;
- ``GET /admin/`` → ``/admin/places``: every place, filtered by name (viewer);
- ``GET /admin/audit``: every change, who, when, before and after (viewer);
- ``GET /admin/users``: the accounts (admin; accounts are made with ``ibasho users add``).

Logins are limited: after :data:`LOGIN_FAILURE_LIMIT` failures of one name from one address
within :data:`LOGIN_WINDOW` (or :data:`ADDRESS_FAILURE_LIMIT` of any names), the login answers
429 until the window has passed. Each attempt is recorded in the database (``login_failures``)
before its password is checked, in the transaction that counts the earlier ones
(:meth:`layers.store.users.UserStore.reserve_login_attempt`), so the limit holds however many
attempts arrive at once, across threads, processes and restarts; a good login deletes them.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, redirect, request, url_for
from werkzeug.wrappers import Response

from webmap.i18n import gettext as _
from webmap.web.admin.common import admin, place_store, render_admin, user_store
from webmap.web.auth import current_user, login_required, login_user, logout_user
from webmap.web.base import current_state

logger = logging.getLogger(__name__)
__all__ = ["ADDRESS_FAILURE_LIMIT", "LOGIN_FAILURE_LIMIT", "LOGIN_WINDOW", "register_admin"]

#: Failed logins of one name from one address before the login is refused (429).
LOGIN_FAILURE_LIMIT = 5

#: Failed logins of any names from one address before the login is refused (429).
ADDRESS_FAILURE_LIMIT = 20

#: How far back failed logins count.
LOGIN_WINDOW = timedelta(minutes=15)

#: Most entries shown on the audit page.
AUDIT_PAGE_SIZE = 200

_TOKYO = ZoneInfo("Asia/Tokyo")


def _safe_next(target: str | None) -> str:
    """A local path to go to after the login (never another site)."""
    default = url_for("admin.places")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return default
    return target


def _address() -> str:
    return request.remote_addr or "unknown"


@admin.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; a good login goes on to ``next``."""
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url)
        return render_admin("admin_login.html", next_url=next_url, name="")
    name = str(request.form.get("name", "")).strip()[:64]
    password = str(request.form.get("password", ""))
    users, address = user_store(), _address()
    minutes = int(LOGIN_WINDOW.total_seconds() // 60)
    if not users.reserve_login_attempt(name, address, window=LOGIN_WINDOW,
                                       name_limit=LOGIN_FAILURE_LIMIT,
                                       address_limit=ADDRESS_FAILURE_LIMIT):
        logger.warning("Login of %r from %s refused: too many failures", name, address)
        html, status = render_admin("admin_login.html", next_url=next_url, name=name,
                                    error=_("ログインの失敗が続いたため、しばらくログインできません。{minutes}分ほど待ってから、もう一度お試しください。").format(minutes=minutes),
                                    status=429)
        return Response(html, status=status, headers={"Retry-After": str(minutes * 60)},
                        mimetype="text/html")
    if login_user(name, password) is None:  # the attempt stays recorded as a failure
        logger.warning("Failed login of %r from %s", name, address)
        return render_admin("admin_login.html", next_url=next_url, name=name,
                            error=_("ユーザー名またはパスワードが違います。"), status=401)
    users.clear_failures(name, address)
    return redirect(next_url)


@admin.post("/logout")
def logout() -> Response:
    """
    End every session of the account (a POST with the CSRF token, so no other site can log
    staff out); a copy of the cookie no longer works.
    """
    logout_user()
    return redirect(url_for("admin.login"))


@admin.get("/")
@login_required("viewer")
def index() -> Response:
    return redirect(url_for("admin.places"))


@admin.get("/places")
@login_required("viewer")
def places() -> Any:
    """Every place, newest changes visible by version; ``?q=`` filters by name."""
    query = str(request.args.get("q", "")).strip()
    show_retired = request.args.get("retired") == "1"
    frame = place_store().places(include_retired=show_retired)
    if query:
        frame = frame[frame["name"].str.contains(query, case=False, regex=False)]
    public = current_state().study.places
    found = dict(zip(public["place_id"], public["district"], strict=True))
    rows = [{"place_id": r.place_id, "name": r.name, "category": r.category,
             "district": r.district, "auto_district": "" if r.district else
             found.get(r.place_id, ""), "version": int(r.version),
             "located": r.geometry is not None,
             "updated_at": r.updated_at.tz_convert(_TOKYO).strftime("%Y-%m-%d %H:%M"),
             "retired": show_retired and r.retired_at is not None and str(r.retired_at) != "NaT"}
            for r in frame.itertuples()]
    return render_admin("admin_places.html", rows=rows, query=query, show_retired=show_retired)


def _summary(record: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The fields of an audit entry's before/after worth showing, as (key, text)."""
    if not record:
        return []
    skip = {"created_at", "updated_at", "retired_at", "position_quality", "fid"}
    items = []
    for key, value in record.items():
        if key in skip or value in (None, ""):
            continue
        if key == "geometry" and isinstance(value, dict):
            value = f"{value.get('type')}"
        elif key == "benches" and isinstance(value, list):
            value = f"{len(value)}"
        items.append((key, str(value)))
    return items


@admin.get("/audit")
@login_required("viewer")
def audit() -> Any:
    """The audit log, newest first; ``?id=p0012`` for one place, route (``r…``) or
    participation record (``m…``)."""
    feature_id = str(request.args.get("id", "")).strip() or None
    layer = None
    if feature_id:
        layer = {"r": "walking_routes", "m": "participation"}.get(feature_id[:1], "places")
    entries = place_store().audit(feature_id, layer=layer)
    entries = list(reversed(entries))[:AUDIT_PAGE_SIZE]
    rows = []
    for entry in entries:
        before, after = _summary(entry["before"]), _summary(entry["after"])
        before_map, after_map = dict(before), dict(after)
        changed = {k for k in set(before_map) | set(after_map)
                   if before_map.get(k) != after_map.get(k)}
        rows.append({**entry, "at_text": entry["at"].astimezone(_TOKYO).strftime(
            "%Y-%m-%d %H:%M:%S"), "before_items": before, "after_items": after,
            "changed": changed})
    return render_admin("admin_audit.html", rows=rows, feature_id=feature_id or "")


@admin.get("/users")
@login_required("admin")
def users() -> Any:
    """The staff accounts (made and changed with ``ibasho users``)."""
    accounts = user_store().users()
    return render_admin("admin_users.html", accounts=accounts)


def register_admin(app: Flask) -> None:
    """Add the staff pages to ``app`` (after :func:`webmap.web.auth.init_auth`)."""
    from webmap.web.admin import (  # noqa: F401 (places, routes, participation: their routes)
        files,
        participation,
        places,
        routes,
    )

    app.register_blueprint(admin)
    files.init_uploads(app)
