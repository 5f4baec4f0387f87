"""Fixtures of the staff-page tests: the store-backed app on a GeoPackage and on PostGIS.

Registered for every test module by ``pytest_plugins`` in ``tests/conftest.py`` (with
``conftest_db``, whose PostGIS server it uses). ``admin_app`` is made once per
test module and backend, so tests that change places use names of their own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from admin_helpers import ACCOUNTS, PASSWORD, login
from conftest_db import fresh_postgis_database

from webmap.web.base import app_state


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def admin_database(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A GeoPackage path or an empty PostGIS database, for one module (each backend once)."""
    if request.param == "gpkg":
        yield str(tmp_path_factory.mktemp("admin-db") / "ibasho-data.gpkg")
        return
    with fresh_postgis_database(request.getfixturevalue("postgis_server"),
                                prefix="ibasho_admin") as url:
        yield url


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


def logged_in(app, role: str):
    """A test client of ``app`` logged in as the account of ``role``."""
    client = app.test_client()
    assert login(client, role).status_code == 302
    return client


@pytest.fixture
def editor(admin_app):
    """A test client logged in as an editor."""
    return logged_in(admin_app, "editor")


@pytest.fixture
def viewer(admin_app):
    return logged_in(admin_app, "viewer")


@pytest.fixture
def admin_client(admin_app):
    return logged_in(admin_app, "admin")
