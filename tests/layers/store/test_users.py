"""Staff accounts and failed logins in the places database (GeoPackage and PostGIS), and the
``ibasho users`` commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from layers.store.database import open_database
from layers.store.migrations import LATEST_VERSION
from layers.store.users import Account, UserError, UserStore
from webmap.cli.main import main

PASSWORD = "correct horse 1"


@pytest.fixture
def users(store_url: str) -> UserStore:
    store = UserStore(open_database(store_url))
    store.migrate()
    return store


def test_create_and_verify(users):
    account = users.create_user("sato", PASSWORD, role="editor")
    assert isinstance(account, Account) and account.role == "editor" and account.active
    assert users.verify("sato", PASSWORD) == account
    assert users.verify("sato", PASSWORD + "x") is None
    assert users.verify("nobody", PASSWORD) is None
    assert users.verify("sato", None) is None  # type: ignore[arg-type]
    assert [a.name for a in users.users()] == ["sato"]


def test_passwords_are_hashed_with_scrypt(users):
    users.create_user("sato", PASSWORD)
    with users.database.transaction(write=False) as tx:
        stored = tx.one("SELECT password_hash FROM users WHERE name = 'sato'")["password_hash"]
    assert PASSWORD not in stored and stored.startswith("scrypt:")
    users.create_user("kato", PASSWORD)
    with users.database.transaction(write=False) as tx:
        other = tx.one("SELECT password_hash FROM users WHERE name = 'kato'")["password_hash"]
    assert other != stored  # salted


@pytest.mark.parametrize(("name", "password", "role", "match"), [
    ("", PASSWORD, "viewer", "not allowed"),
    ("../admin", PASSWORD, "viewer", "not allowed"),
    ("sato", "short", "viewer", "at least 10"),
    ("sato", PASSWORD, "owner", "Unknown role"),
])
def test_bad_accounts_are_refused(users, name, password, role, match):
    with pytest.raises(UserError, match=match):
        users.create_user(name, password, role=role)
    assert users.users() == []


def test_names_are_unique(users):
    users.create_user("sato", PASSWORD)
    with pytest.raises(UserError, match="already a user"):
        users.create_user("sato", PASSWORD + "2")


def test_disable_role_and_password(users):
    users.create_user("sato", PASSWORD)
    assert users.set_role("sato", "admin").role == "admin"
    users.set_password("sato", "another password")
    assert users.verify("sato", PASSWORD) is None
    assert users.verify("sato", "another password") is not None
    assert not users.disable("sato").active
    assert users.verify("sato", "another password") is None
    assert users.enable("sato").active
    with pytest.raises(UserError, match="no user"):
        users.set_role("nobody", "viewer")


def test_failed_logins_are_counted_in_a_window(users):
    now = datetime.now(UTC)
    for minutes in (1, 5, 20):
        users.record_failure("sato", "192.0.2.1", at=now - timedelta(minutes=minutes))
    users.record_failure("kato", "192.0.2.1", at=now)
    window = timedelta(minutes=15)
    assert users.recent_failures("sato", "192.0.2.1", window=window, now=now) == 2
    assert users.recent_failures(None, "192.0.2.1", window=window, now=now) == 3
    assert users.recent_failures("sato", "192.0.2.2", window=window, now=now) == 0
    assert users.prune_failures(older_than=window, now=now) == 1
    users.clear_failures("sato", "192.0.2.1")
    assert users.recent_failures("sato", "192.0.2.1", window=window, now=now) == 0
    assert users.recent_failures("kato", "192.0.2.1", window=window, now=now) == 1


def test_migration_3_adds_route_benches(store):
    assert store.schema_version == LATEST_VERSION >= 3
    with store.database.transaction(write=False) as tx:
        assert tx.rows("SELECT benches_json FROM walking_routes") == []


def test_cli_users_add_prompts_twice_and_lists(tmp_path):
    database = str(tmp_path / "cli.gpkg")
    runner = CliRunner()
    result = runner.invoke(main, ["users", "add", "sato", "--role", "editor", "--database",
                                  database], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Added sato (editor)" in result.output and PASSWORD not in result.output
    result = runner.invoke(main, ["users", "add", "kato", "--database", database],
                           input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and "do not match" in result.output.lower()
    result = runner.invoke(main, ["users", "add", "ito", "--database", database],
                           input="short\nshort\n")
    assert result.exit_code != 0 and "at least 10" in result.output
    result = runner.invoke(main, ["users", "add", "sato", "--database", database])
    assert result.exit_code != 0 and "already a user" in result.output
    result = runner.invoke(main, ["users", "list", "--database", database])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert [line.split()[:2] for line in lines] == [["kato", "viewer"], ["sato", "editor"]]
    result = runner.invoke(main, ["users", "disable", "kato", "--database", database])
    assert result.exit_code == 0
    assert "disabled" in runner.invoke(main, ["users", "list", "--database",
                                               database]).output
    store = UserStore(open_database(database))
    assert store.verify("sato", PASSWORD).role == "editor"


def test_reserving_an_attempt_deletes_those_past_the_window(users):
    """The attempts table holds one window's attempts, not every attempt ever made."""
    now = datetime.now(UTC)
    window = timedelta(minutes=15)
    for minutes in (20, 60, 60 * 24 * 30):
        users.record_failure("sato", "192.0.2.9", at=now - timedelta(minutes=minutes))
    users.record_failure("sato", "192.0.2.9", at=now - timedelta(minutes=1))
    assert users.reserve_login_attempt("sato", "192.0.2.9", window=window, name_limit=5,
                                       address_limit=20, now=now)
    assert users.prune_failures(older_than=window, now=now) == 0  # already gone
    assert users.recent_failures("sato", "192.0.2.9", window=window, now=now) == 2


def test_cli_users_use_the_database_that_serve_uses(tmp_path, monkeypatch):
    """`ibasho users` honours IBASHO_DATABASE as `ibasho serve` does: one database for both."""
    served = tmp_path / "served.gpkg"
    monkeypatch.setenv("IBASHO_DATABASE", str(served))
    monkeypatch.delenv("IBASHO_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["users", "add", "sato", "--role", "editor"],
                                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert UserStore(open_database(str(served))).verify("sato", PASSWORD).role == "editor"
