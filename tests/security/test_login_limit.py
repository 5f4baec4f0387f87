"""The login limit holds however many wrong logins arrive at once (issue #9, item 4).

30 wrong logins of one account are sent in parallel to a real ``ibasho serve`` process with
8 threads, on a GeoPackage and on PostGIS. The password checks are counted without touching
the hash function, three ways that must agree: the answers (a 401 comes only from a password
check that failed; a 429 is given before any check), the server's own log (one "Failed login"
line per failed check) and the attempts recorded in the database.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from security_helpers import PASSWORD, unique
from served import served_app

from layers.store.database import open_database
from layers.store.users import UserStore
from webmap.web.admin.login import ADDRESS_FAILURE_LIMIT, LOGIN_FAILURE_LIMIT, LOGIN_WINDOW
from webmap.web.base import app_state

#: Wrong logins sent at once.
PARALLEL = 30

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_ADDRESSES = count(1)
# Any text a form can carry, with NUL, controls and SQL/HTML characters made likely.
_LOGIN_CHARACTERS = st.one_of(st.sampled_from("\x00\x1f\r\n\t '\"<>%;-=@\\"),
                              st.characters(exclude_categories=("Cs",)))


class Served:
    """A served app and where its log goes."""

    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log

    def failed_checks(self, name: str) -> int:
        """How many failed password checks of ``name`` the server logged."""
        return self.log.read_text(errors="replace").count(f"Failed login of {name!r}")


@pytest.fixture(scope="module")
def served(admin_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    log = tmp_path_factory.mktemp("served") / "serve.log"
    UserStore(open_database(admin_database)).migrate()
    with served_app(admin_database, log_path=log, workers=2, threads=4) as url:  # two processes
        yield Served(url, log)


@pytest.fixture(scope="module")
def users(admin_database: str) -> UserStore:
    store = UserStore(open_database(admin_database))
    store.migrate()
    return store


@pytest.fixture
def clean_address(users) -> Iterator[None]:
    """Forget every failed login afterwards (all tests share the address 127.0.0.1)."""
    yield
    users.prune_failures(older_than=timedelta(0))


def parallel_logins(url: str, names: list[str], password: str) -> Counter:
    """POST one login per name, all at once (each with its own session and CSRF token)."""
    sessions = [requests.Session() for _ in names]
    tokens = [_TOKEN.search(s.get(f"{url}/admin/login", timeout=60).text).group(1)
              for s in sessions]
    start = threading.Barrier(len(names))

    def post(index: int) -> int:
        start.wait()
        response = sessions[index].post(f"{url}/admin/login", allow_redirects=False,
                                        timeout=120, data={"name": names[index],
                                                           "password": password,
                                                           "csrf_token": tokens[index]})
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        statuses = Counter(pool.map(post, range(len(names))))
    for session in sessions:
        session.close()
    return statuses


def test_parallel_wrong_logins_get_at_most_the_limit_of_checks(served, users, clean_address):
    name = unique("limit")
    users.create_user(name, PASSWORD, role="editor")
    statuses = parallel_logins(served.url, [name] * PARALLEL, "not the password")
    assert statuses == {401: LOGIN_FAILURE_LIMIT, 429: PARALLEL - LOGIN_FAILURE_LIMIT}
    assert served.failed_checks(name) == LOGIN_FAILURE_LIMIT
    assert users.recent_failures(name, "127.0.0.1", window=LOGIN_WINDOW) == LOGIN_FAILURE_LIMIT
    with requests.Session() as session:  # the right password waits too
        token = _TOKEN.search(session.get(f"{served.url}/admin/login", timeout=60).text)
        response = session.post(f"{served.url}/admin/login", allow_redirects=False, timeout=60,
                                data={"name": name, "password": PASSWORD,
                                      "csrf_token": token.group(1)})
    assert response.status_code == 429
    assert "しばらくログインできません" in response.text
    assert int(response.headers["Retry-After"]) == LOGIN_WINDOW.total_seconds()


def test_parallel_wrong_logins_of_many_names_hit_the_address_limit(served, users,
                                                                   clean_address):
    names = [unique("many") for _ in range(PARALLEL)]
    statuses = parallel_logins(served.url, names, "not the password")
    assert statuses == {401: ADDRESS_FAILURE_LIMIT, 429: PARALLEL - ADDRESS_FAILURE_LIMIT}
    assert sum(served.failed_checks(name) for name in names) == ADDRESS_FAILURE_LIMIT
    assert users.recent_failures(None, "127.0.0.1", window=LOGIN_WINDOW) == \
        ADDRESS_FAILURE_LIMIT


def test_a_good_login_clears_the_failures(served, users, clean_address):
    name = unique("good")
    users.create_user(name, PASSWORD, role="viewer")
    statuses = parallel_logins(served.url, [name] * (LOGIN_FAILURE_LIMIT - 1), "wrong pw!!")
    assert statuses == {401: LOGIN_FAILURE_LIMIT - 1}
    assert parallel_logins(served.url, [name], PASSWORD) == {302: 1}
    assert users.recent_failures(name, "127.0.0.1", window=LOGIN_WINDOW) == 0


def test_reservations_are_atomic_in_the_store(users):
    """The store alone: 30 threads reserve at once, exactly the limit get through."""
    name, address = unique("store"), "192.0.2.30"
    start = threading.Barrier(PARALLEL)

    def reserve(_: int) -> bool:
        start.wait()
        return users.reserve_login_attempt(name, address, window=LOGIN_WINDOW,
                                           name_limit=LOGIN_FAILURE_LIMIT,
                                           address_limit=ADDRESS_FAILURE_LIMIT)

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        granted = list(pool.map(reserve, range(PARALLEL)))
    assert granted.count(True) == LOGIN_FAILURE_LIMIT
    assert users.recent_failures(name, address, window=LOGIN_WINDOW) == LOGIN_FAILURE_LIMIT


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(_LOGIN_CHARACTERS, max_size=300),
       password=st.text(_LOGIN_CHARACTERS, max_size=300))
@example(name="kanri\x00", password="x")  # PostgreSQL text cannot hold NUL: a 500 before
@example(name="'; DROP TABLE users; --", password="' OR '1'='1")
def test_any_login_text_is_refused_cleanly_and_counted(admin_app, name, password):
    """Names and passwords are data: never a 500, and every failure counts (NUL too)."""
    users = app_state(admin_app).users
    number = next(_ADDRESSES)
    address = f"10.77.{number // 250}.{number % 250}"
    client = admin_app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post("/admin/login", data={
        "name": name, "password": password, "csrf_token": _TOKEN.search(page).group(1)})
    assert response.status_code == 401, response.status_code
    assert "ユーザー名またはパスワードが違います" in response.get_data(as_text=True)
    assert users.recent_failures(None, address, window=LOGIN_WINDOW) == 1
