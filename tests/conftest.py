"""Shared fixtures: the Takasaki study area, its analysis and the web app (flaskr style).

``tests/`` mirrors the packages (``tests/layers/store/`` tests ``layers/store/`` …) and is no
package itself (no ``__init__.py``, so every test module has a name of its own). The helper
modules are found on ``sys.path``: this folder's (``nagoya_city``, ``served``,
``browser_support``) as pytest puts it there, and the folders below that hold helpers of
tests elsewhere too, put there here once. The fixtures of the browser tests
(``browser_support``), of the database tests (``conftest_db``: every store test on a
GeoPackage and on PostGIS) and of the staff pages (``conftest_admin``) are registered for
every test module.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import settings

from data import get_path
from layers.study import analyse_study_area, load_study_area

# Property tests check what is true, not how fast: no per-example deadline, which a shared,
# busy machine would turn into failures that say nothing about the code.
settings.register_profile("ibasho", deadline=None)
settings.load_profile("ibasho")

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS / folder) for folder in ("layers/store", "webmap/web/admin",
                                                    "webmap/web/resident")]
pytest_plugins = ["browser_support", "conftest_db", "conftest_admin"]


@pytest.fixture(scope="session")
def takasaki():
    """The embedded Takasaki study area (loaded once per test session)."""
    return load_study_area(get_path("takasaki"))


@pytest.fixture(scope="session")
def coverage(takasaki):
    """Straight-line coverage of Takasaki (:func:`layers.study.analyse_study_area`)."""
    return analyse_study_area(takasaki)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The web app on the Takasaki data; created once, as loading takes a few seconds.

    Its database (seeded from the config's files) is a GeoPackage in a temporary folder, so
    the tests never write beside the embedded config.
    """
    from webmap.web.app import create_app

    database = tmp_path_factory.mktemp("app-db") / "ibasho-data.gpkg"
    return create_app({"TESTING": True, "DATABASE": str(database)})


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()
