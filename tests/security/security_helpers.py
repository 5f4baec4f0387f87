"""Helpers of the session and login-limit tests: one staff "site" seen two ways.

:class:`ClientSite` talks to the app through Flask's test client, :class:`ServedSite` over HTTP
to a real ``ibasho serve`` process (:func:`served.served_app`). Both log in through the login
form, hand back the raw session cookie, and can replay a cookie on a fresh connection, the way
someone who copied it would.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie

import requests

#: Password of every test account.
PASSWORD = "correct horse 1"

#: The app's session cookie (webmap.web.security).
COOKIE = "ibasho_session"

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def cookie_expiry(set_cookie: str) -> datetime:
    """The ``Expires`` of the session cookie in a ``Set-Cookie`` header, as aware UTC."""
    morsel = SimpleCookie(set_cookie)[COOKIE]
    return parsedate_to_datetime(morsel["expires"]).astimezone(UTC)


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


class ClientSite:
    """The app through Flask's test client."""

    kind = "client"

    def __init__(self, app) -> None:
        self.app = app

    def _client(self, cookie: str | None = None):
        client = self.app.test_client()
        if cookie is not None:
            client.set_cookie(COOKIE, cookie)
        return client

    def login(self, name: str, password: str = PASSWORD) -> tuple[str, str]:
        """Log in; the session cookie and the raw ``Set-Cookie`` header of the login."""
        client = self._client()
        page = client.get("/admin/login").get_data(as_text=True)
        response = client.post("/admin/login", data={
            "name": name, "password": password, "csrf_token": _TOKEN.search(page).group(1)})
        assert response.status_code == 302, response.status_code
        return client.get_cookie(COOKIE).value, response.headers["Set-Cookie"]

    def can_read(self, cookie: str) -> bool:
        """Whether a fresh connection with only ``cookie`` reads a staff page."""
        response = self._client(cookie).get("/admin/places")
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/admin/login")
            return False
        assert response.status_code == 200, response.status_code
        return True

    def logout(self, cookie: str) -> None:
        client = self._client(cookie)
        page = client.get("/admin/places").get_data(as_text=True)
        response = client.post("/admin/logout",
                               data={"csrf_token": _TOKEN.search(page).group(1)})
        assert response.status_code == 302


class ServedSite:
    """A served app (``ibasho serve``) over HTTP."""

    kind = "served"

    def __init__(self, url: str) -> None:
        self.url = url

    def _session(self, cookie: str | None = None) -> requests.Session:
        session = requests.Session()
        if cookie is not None:
            session.cookies.set(COOKIE, cookie, domain="127.0.0.1", path="/")
        return session

    def login(self, name: str, password: str = PASSWORD) -> tuple[str, str]:
        with self._session() as session:
            page = session.get(f"{self.url}/admin/login", timeout=30).text
            response = session.post(f"{self.url}/admin/login", timeout=30,
                                    allow_redirects=False, data={
                                        "name": name, "password": password,
                                        "csrf_token": _TOKEN.search(page).group(1)})
            assert response.status_code == 302, response.status_code
            return response.cookies[COOKIE], response.headers["Set-Cookie"]

    def can_read(self, cookie: str) -> bool:
        response = requests.get(f"{self.url}/admin/places", headers={"Cookie":
                                f"{COOKIE}={cookie}"}, allow_redirects=False, timeout=30)
        if response.status_code == 302:
            assert "/admin/login" in response.headers["Location"]
            return False
        assert response.status_code == 200, response.status_code
        return True

    def logout(self, cookie: str) -> None:
        with self._session(cookie) as session:
            page = session.get(f"{self.url}/admin/places", timeout=30).text
            response = session.post(f"{self.url}/admin/logout", allow_redirects=False,
                                    timeout=30,
                                    data={"csrf_token": _TOKEN.search(page).group(1)})
            assert response.status_code == 302
