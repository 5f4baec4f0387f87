"""Helpers of the staff-page tests: accounts, login, CSRF tokens, forms."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

#: Password of every test account.
PASSWORD = "correct horse 1"

#: Test accounts by role.
ACCOUNTS = {"viewer": "miru", "editor": "henshu", "admin": "kanri"}

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/admin/login") -> str:
    """The CSRF token of the client's session, read from a form page."""
    response = client.get(path)
    match = _TOKEN.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on {path} ({response.status_code})"
    return match.group(1)


def login(client, role_or_name: str, *, password: str = PASSWORD):
    """Log ``client`` in as the account of a role (or a name); returns the response."""
    name = ACCOUNTS.get(role_or_name, role_or_name)
    token = csrf_token(client)
    return client.post("/admin/login", data={"name": name, "password": password,
                                             "csrf_token": token})


def post_form(client, path: str, data: dict, *, token_from: str = "/admin/places", **kwargs):
    """POST ``data`` to ``path`` with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **data},
                       **kwargs)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def place_fields(name: str, **overrides: str) -> dict[str, str]:
    """A valid place form for Takasaki (central Takasaki)."""
    return {"name": name, "category": "サロン", "district": "", "address": "高崎市高松町",
            "schedule": "毎週水曜 10:00～12:00", "contact": "", "notes": "",
            "position_source": "exact: 地図で確認", "source": "テスト", "lon": "139.0035",
            "lat": "36.3219", **overrides}


def public_place(client, name: str) -> dict | None:
    """The feature of the place called ``name`` in ``/api/places``, or None."""
    data = client.get("/api/places").get_json()
    return next((f for f in data["features"] if f["properties"]["name"] == name), None)


def place_id_of(response) -> str:
    """The place id the add form redirected to."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return Path(urlsplit(response.headers["Location"]).path).name
