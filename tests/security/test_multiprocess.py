"""Two server processes on one database agree: an edit through one shows in the other (#9, 5).

Two real ``ibasho serve`` processes, A and B, on one GeoPackage and on one PostGIS database,
as two waitress or gunicorn workers (or two machines) would be. An editor adds a place through
A, renames it, and retires it; after each answer of A, B's ``/api/places``, ``/api/near``,
``/`` and ``POST /api/what-if`` must show the change (B is polled until a generous deadline,
:data:`SYNC_SECONDS`; nothing sleeps for a fixed time; how soon is measured by
``scripts/bench_sync.py``). B's requests must not read the places
table: while a test holds PostGIS's strongest lock on it, B still answers every page.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from admin_helpers import PASSWORD, place_fields
from served import served_app

from layers.store.places import open_store
from layers.store.users import UserStore

logger = logging.getLogger(__name__)

#: How long B may take to show a committed edit before the test fails. The test checks that
#: B shows every edit, not how soon: that depends on the machine's load (B draws its maps
#: again, about 1 s on an idle 2-core machine), so the deadline is generous and the seconds
#: are recorded; ``scripts/bench_sync.py`` measures them against issue #9's 2 s.
SYNC_SECONDS = float(os.environ.get("IBASHO_TEST_SYNC_SECONDS", "30.0"))

#: Where the test places stand (central Takasaki; nearer than any other place to itself).
LON, LAT = 139.0112, 36.3301

EDITOR = "doki"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    text: str
    url: str

    def json(self) -> dict:
        return json.loads(self.text)


class Browser:
    """A client of one served process, with its own cookies (as a browser keeps them)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Answer(answer.status, answer.read().decode(), answer.geturl())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), error.geturl())

    def get(self, path: str) -> Answer:
        return self.request(path)

    def post_form(self, path: str, fields: dict[str, str], *, token_from: str) -> Answer:
        token = _TOKEN.search(self.get(token_from).text)
        assert token, f"no CSRF token on {token_from}"
        body = urllib.parse.urlencode({**fields, "csrf_token": token.group(1)}).encode()
        return self.request(path, data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})

    def post_json(self, path: str, body: dict) -> Answer:
        return self.request(path, data=json.dumps(body).encode(),
                            headers={"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def two_processes(admin_database: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[tuple[str, str, str]]:
    """Processes A and B on one database (each backend once), and the database."""
    store = open_store(admin_database)
    store.migrate()
    UserStore(store.database).create_user(EDITOR, PASSWORD, role="editor")
    logs = tmp_path_factory.mktemp("served-logs")
    with served_app(admin_database, log_path=logs / "a.log") as a, \
            served_app(admin_database, log_path=logs / "b.log") as b:  # A seeds, then B starts
        yield a, b, admin_database


def _feature(b: Browser, place_id: str) -> dict | None:
    places = b.get("/api/places").json()["features"]
    return next((f for f in places if f["properties"]["place_id"] == place_id), None)


def _shows(b: Browser, place_id: str, name: str) -> list[str]:
    """What of B does not show place ``place_id`` named ``name`` yet (empty: all does)."""
    feature = _feature(b, place_id)
    if feature is None or feature["properties"]["name"] != name:
        return ["/api/places"]  # the cheapest look first; the rest once this shows it
    missing = []
    near = b.get(f"/api/near?lat={LAT}&lon={LON}").json()["places"]
    if (near[0]["place_id"], near[0]["name"]) != (place_id, name):
        missing.append("/api/near")
    if name not in b.get("/").text:
        missing.append("/")
    what_if = b.post_json("/api/what-if", {"remove": place_id})
    if what_if.status != 200 or what_if.json()["removed"]["name"] != name:
        missing.append("/api/what-if")
    return missing


def _gone(b: Browser, place_id: str, name: str) -> list[str]:
    """What of B still shows the retired place (empty: nothing does)."""
    if _feature(b, place_id) is not None:
        return ["/api/places"]
    missing = []
    near = b.get(f"/api/near?lat={LAT}&lon={LON}").json()["places"]
    if any(p["place_id"] == place_id for p in near):
        missing.append("/api/near")
    if name in b.get("/").text:
        missing.append("/")
    what_if = b.post_json("/api/what-if", {"remove": place_id})
    if what_if.status != 400 or "No place" not in what_if.json()["error"]:
        missing.append("/api/what-if")
    return missing


def _within(seconds: float, lagging: Callable[[], list[str]]) -> float:
    """
    Poll until ``lagging()`` is empty; when the look that found it so began.

    Fails when no look that began within ``seconds`` found everything shown.
    """
    started = time.monotonic()
    behind: list[str] = []
    while True:
        look = time.monotonic() - started
        if look > seconds:
            pytest.fail(f"after {look:.2f} s process B still does not show the change on "
                        f"{', '.join(behind)}")
        behind = lagging()
        if not behind:
            return look
        time.sleep(0.05)  # a pause between polls, so the poller leaves B some CPU


def test_edits_through_a_show_in_b(two_processes, record_property) -> None:
    a_url, b_url, _database = two_processes
    a, b = Browser(a_url), Browser(b_url)
    token = _TOKEN.search(a.get("/admin/login").text).group(1)
    login = a.request("/admin/login", data=urllib.parse.urlencode(
        {"name": EDITOR, "password": PASSWORD, "csrf_token": token}).encode())
    assert login.status == 200 and "/admin/places" in login.url, login.text[:500]

    name = f"同期サロン{uuid.uuid4().hex[:6]}"
    fields = place_fields(name, lon=str(LON), lat=str(LAT))
    added = a.post_form("/admin/places/new", fields, token_from="/admin/places")
    assert added.status == 200 and "/admin/places/p" in added.url, added.text[:500]
    place_id = added.url.rsplit("/", 1)[-1]
    assert _shows(a, place_id, name) == []  # A drew it before it committed
    add_s = _within(SYNC_SECONDS, lambda: _shows(b, place_id, name))

    renamed = f"改名サロン{uuid.uuid4().hex[:6]}"
    edited = a.post_form(f"/admin/places/{place_id}", {**fields, "name": renamed,
                                                      "version": "1"},
                         token_from=f"/admin/places/{place_id}")
    assert edited.status == 200 and "保存しました" in edited.text
    edit_s = _within(SYNC_SECONDS, lambda: _shows(b, place_id, renamed))

    retired = a.post_form(f"/admin/places/{place_id}/retire", {"version": "2"},
                          token_from=f"/admin/places/{place_id}")
    assert retired.status == 200 and "廃止しました" in retired.text
    retire_s = _within(SYNC_SECONDS, lambda: _gone(b, place_id, renamed))
    assert _gone(a, place_id, renamed) == []
    for label, seconds in (("add", add_s), ("edit", edit_s), ("retire", retire_s)):
        record_property(f"b_shows_{label}_s", round(seconds, 2))
        logger.warning("B showed the %s after %.2f s", label, seconds)


def test_requests_to_b_do_not_read_the_places_table(two_processes) -> None:
    """With the places table locked against every reader, B still answers every page."""
    _a_url, b_url, database = two_processes
    if "://" not in database:
        pytest.skip("a GeoPackage lock keeps out every reader; the request cost is counted "
                    "in tests/webmap/web/test_live.py")
    import psycopg

    b = Browser(b_url)
    with psycopg.connect(database) as connection:
        connection.execute("SET lock_timeout = '5s'")
        connection.execute("LOCK TABLE places IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        pages = 0
        while time.monotonic() - started < 2.5:  # past a version check (one a second)
            for path in ("/api/places", f"/api/near?lat={LAT}&lon={LON}", "/", "/districts"):
                assert b.get(path).status == 200, path
                pages += 1
            assert b.post_json("/api/what-if", {"add": [LON, LAT]}).status == 200
        blocked = connection.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
            "'places'::regclass").fetchone()[0]
        connection.rollback()
    assert pages >= 8 and blocked == 0
    login = Browser(b_url).get("/admin/login")
    assert login.status == 200  # the staff pages (which read places) work again
