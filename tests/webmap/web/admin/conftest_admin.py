"""Fixtures of the staff-page tests: the store-backed app on a GeoPackage and on PostGIS.

Registered for every test module by ``pytest_plugins`` in ``tests/conftest.py`` (with
``conftest_db``, whose PostGIS server it uses). ``admin_app`` is made once per
test module and backend, so tests that change places use names of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from admin_helpers import ACCOUNTS, PASSWORD, login

from webmap.web.base import app_state


def _with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def admin_database(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A GeoPackage path or an empty PostGIS database, for one module (each backend once)."""
    if request.param == "gpkg":
        yield str(tmp_path_factory.mktemp("admin-db") / "ibasho-data.gpkg")
        return
    import psycopg

    server = request.getfixturevalue("postgis_server")
    template = urlsplit(server).path.lstrip("/")
    name = f"ibasho_admin_{uuid.uuid4().hex[:12]}"
    admin_url = _with_database(server, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE {name} TEMPLATE "{template}"')
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def admin_app(admin_database: str, tmp_path_factory: pytest.TempPathFactory):
    """The app on Takasaki with its places in ``admin_database`` and three accounts."""
    from webmap.web.app import create_app

    uploads = tmp_path_factory.mktemp("uploads")
    app = create_app({"TESTING": True, "DATABASE": admin_database,
                      "UPLOAD_FOLDER": str(uploads)})
    users = app_state(app).users
    for role, name in ACCOUNTS.items():
        users.create_user(name, PASSWORD, role=role)
    return app


@pytest.fixture
def editor(admin_app):
    """A test client logged in as an editor."""
    client = admin_app.test_client()
    assert login(client, "editor").status_code == 302
    return client


@pytest.fixture
def viewer(admin_app):
    client = admin_app.test_client()
    assert login(client, "viewer").status_code == 302
    return client


@pytest.fixture
def admin_client(admin_app):
    client = admin_app.test_client()
    assert login(client, "admin").status_code == 302
    return client
