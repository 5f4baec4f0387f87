"""Staff sessions end when they should: at logout, on an account change, after 8 hours.

Issue #9, item 3. Every test runs through Flask's test client and against a real
``ibasho serve`` process on the same database (``site``), on a GeoPackage and on PostGIS
(``admin_database``). A cookie is captured as a browser holds it and replayed on a fresh
connection, as someone who copied it would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_helpers import (
    PASSWORD,
    ClientSite,
    ServedSite,
    cookie_expiry,
    hours,
    unique,
)
from served import served_app

from webmap.cli.main import main
from webmap.web.auth import SESSION_KEY
from webmap.web.base import app_state
from webmap.web.security import SESSION_LIFETIME, configure_security

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served_url(admin_app, admin_database: str,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``ibasho serve`` on the database of ``admin_app`` (one process per module and backend)."""
    log = tmp_path_factory.mktemp("served") / "serve.log"
    with served_app(admin_database, log_path=log) as url:
        yield url


@pytest.fixture(params=["client", "served"])
def site(request: pytest.FixtureRequest, admin_app) -> ClientSite | ServedSite:
    if request.param == "client":
        return ClientSite(admin_app)
    return ServedSite(request.getfixturevalue("served_url"))


@pytest.fixture
def users(admin_app):
    return app_state(admin_app).users


@pytest.fixture
def account(users) -> str:
    """A fresh editor account of this test alone."""
    name = unique("sess")
    users.create_user(name, PASSWORD, role="editor")
    return name


def age_sessions(users, name: str, *, age: timedelta) -> None:
    """Move the login time of every stored session of ``name`` ``age`` into the past."""
    moment = users.database.timestamp_param(datetime.now(UTC) - age)
    with users.database.transaction() as tx:
        changed = tx.execute("UPDATE user_sessions SET started_at = :at "
                             "WHERE user_name = :name", {"at": moment, "name": name})
    assert changed >= 1


def test_replayed_cookie_is_refused_after_logout(site, account):
    cookie, _ = site.login(account)
    assert site.can_read(cookie)
    site.logout(cookie)
    assert not site.can_read(cookie)


def test_logout_ends_every_session_of_the_account(site, users, account):
    first, _ = site.login(account)
    second, _ = site.login(account)
    bystander = unique("other")
    users.create_user(bystander, PASSWORD, role="viewer")
    theirs, _ = site.login(bystander)
    site.logout(first)
    assert not site.can_read(first) and not site.can_read(second)
    assert site.can_read(theirs)  # only the account that logged out
    again, _ = site.login(account)
    assert site.can_read(again)


@pytest.mark.parametrize("change", ["passwd", "role", "disable"])
def test_account_changes_on_the_cli_end_its_sessions(site, users, account, admin_database,
                                                     change):
    cookie, _ = site.login(account)
    bystander = unique("other")
    users.create_user(bystander, PASSWORD, role="viewer")
    theirs, _ = site.login(bystander)
    new_password = "a new password 2"
    args, stdin = {"passwd": (["passwd", account], f"{new_password}\n{new_password}\n"),
                   "role": (["role", account, "admin"], None),
                   "disable": (["disable", account], None)}[change]
    result = CliRunner().invoke(main, ["users", *args, "--database", admin_database],
                                input=stdin)
    assert result.exit_code == 0, result.output
    assert not site.can_read(cookie)
    assert site.can_read(theirs)
    if change == "passwd":
        assert site.can_read(site.login(account, new_password)[0])
    elif change == "role":
        assert site.can_read(site.login(account)[0])
        assert users.get(account).role == "admin"
    else:
        result = CliRunner().invoke(main, ["users", "enable", account, "--database",
                                           admin_database])
        assert result.exit_code == 0, result.output
        assert not site.can_read(cookie)  # enabling again does not bring old sessions back


def test_store_changes_end_sessions_at_once(users, account, admin_app):
    """The store itself ends them, so any future page that changes an account does too."""
    site = ClientSite(admin_app)
    cookie, _ = site.login(account)
    users.set_password(account, "yet another pw")
    assert not site.can_read(cookie)
    cookie, _ = site.login(account, "yet another pw")
    users.set_role(account, "viewer")
    assert not site.can_read(cookie)
    cookie, _ = site.login(account, "yet another pw")
    assert site.can_read(cookie)
    users.disable(account)
    assert not site.can_read(cookie)


def test_session_cookie_lasts_eight_hours(site, account, admin_app):
    assert admin_app.config["PERMANENT_SESSION_LIFETIME"] == SESSION_LIFETIME \
        == timedelta(hours=8)
    before = datetime.now(UTC)
    _, set_cookie = site.login(account)
    assert hours(cookie_expiry(set_cookie) - before) == pytest.approx(8, abs=0.02)


def test_session_older_than_the_lifetime_is_refused(site, users, account):
    cookie, _ = site.login(account)
    age_sessions(users, account, age=timedelta(hours=7, minutes=50))
    assert site.can_read(cookie)  # used a moment ago, logged in 7 h 50 min ago: still fine
    age_sessions(users, account, age=SESSION_LIFETIME + timedelta(minutes=1))
    assert not site.can_read(cookie)  # however recently it was used


def test_lifetime_is_configurable_and_checked():
    def configured(value: object) -> timedelta:
        app = Flask(__name__)
        app.config.update(TESTING=True, PERMANENT_SESSION_LIFETIME=value)
        configure_security(app, secret_key="k" * 40, basemap_url=None)
        return app.config["PERMANENT_SESSION_LIFETIME"]

    assert configured(None) == timedelta(hours=8)
    assert configured(3600) == timedelta(hours=1)  # IBASHO_PERMANENT_SESSION_LIFETIME=3600
    assert configured("7200") == timedelta(hours=2)
    assert configured(timedelta(minutes=30)) == timedelta(minutes=30)
    for bad in ("8h", 0, -5, True, [1], float("inf"), float("nan"), 10**30):
        with pytest.raises(ValueError, match="PERMANENT_SESSION_LIFETIME"):
            configured(bad)


def test_readme_states_the_lifetime():
    readme = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    assert f"a login lasts {hours(SESSION_LIFETIME):.0f} hours" in readme
    assert "IBASHO_PERMANENT_SESSION_LIFETIME" in readme


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.text(), st.integers(), st.none(), st.booleans(),
                       st.lists(st.text(max_size=5), max_size=3),
                       st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)))
def test_forged_session_content_never_logs_in(admin_app, value):
    """A session signed with the right key but holding anything else is a logged-out one."""
    serializer = admin_app.session_interface.get_signing_serializer(admin_app)
    cookie = serializer.dumps({SESSION_KEY: value})
    client = admin_app.test_client()
    client.set_cookie("ibasho_session", cookie)
    response = client.get("/admin/places")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")
    response = client.get("/api/places", headers={"Accept": "application/json"})
    assert response.status_code == 200  # public pages do not care
