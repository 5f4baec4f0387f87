"""Fixtures for the database tests: every store test runs on a GeoPackage and on PostGIS.

PostGIS is a real, throwaway server that ``scripts/postgis.sh`` installs (as root, from
Debian) and starts once per session on a free port of 127.0.0.1; each test gets a fresh
database copied from a template with PostGIS. Without PostgreSQL (and no way to install it)
the PostGIS half is skipped, except under CI (``CI=true``), where it fails: CI must run it.
``IBASHO_TEST_POSTGIS_URL`` points the tests at a server of your own instead (its
database is used as the template, so it must have PostGIS and no other connections).

Registered for every test module by ``pytest_plugins`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import shapely

from data import get_path
from layers.config import StudyConfig, load_config
from layers.files.points import StudyExtent
from layers.files.reader import read_vector
from layers.store.places import PlaceStore, open_store

logger = logging.getLogger(__name__)

POSTGIS_SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "postgis.sh"
#: How long the server may take to accept connections after ``postgis.sh start``.
READY_TIMEOUT_S = 30.0
BACKENDS = ("gpkg", "postgis")


def _unavailable(reason: str) -> None:
    """Skip the PostGIS tests, or fail them under CI, where they must run."""
    if os.environ.get("CI", "").strip().lower() in {"true", "1"}:
        pytest.fail(f"PostGIS tests cannot run: {reason} (CI=true, so this is a failure; "
                    "scripts/install.sh --test installs postgresql and postgresql-postgis).")
    pytest.skip(f"PostGIS tests skipped: {reason}")


def _with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def _wait_ready(url: str) -> None:
    import psycopg

    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as connection:
                connection.execute("SELECT postgis_version()")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's template database with PostGIS (session-wide)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is missing: pip install 'psycopg[binary]'")
    own = os.environ.get("IBASHO_TEST_POSTGIS_URL", "").strip()
    if own:
        _wait_ready(own)
        yield own
        return
    data_dir = tempfile.mkdtemp(prefix="ibasho-pg-")  # in /tmp: the postgres user reaches it
    started = time.perf_counter()
    result = subprocess.run(["bash", str(POSTGIS_SCRIPT), "start", data_dir],
                            capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        shutil.rmtree(data_dir, ignore_errors=True)
        detail = result.stderr.strip()[-2000:]
        if result.returncode == 3:
            _unavailable(detail)
        pytest.fail(f"scripts/postgis.sh start failed ({result.returncode}):\n{detail}")
    url = result.stdout.strip().splitlines()[-1]
    try:
        _wait_ready(url)
        logger.info("PostGIS server ready at %s after %.1f s", url,
                    time.perf_counter() - started)
        yield url
    finally:
        subprocess.run(["bash", str(POSTGIS_SCRIPT), "stop", data_dir], capture_output=True,
                       text=True, timeout=120, check=False)


@contextmanager
def fresh_postgis_database(server: str, *, prefix: str = "ibasho_test") -> Iterator[str]:
    """A new database copied from ``server``'s template (with PostGIS); dropped afterwards."""
    import psycopg

    template = urlsplit(server).path.lstrip("/")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_url = _with_database(server, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE {name} TEMPLATE "{template}"')
    try:
        yield _with_database(server, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def postgis_url(postgis_server: str) -> Iterator[str]:
    """A fresh, empty database with PostGIS for one test, dropped afterwards."""
    with fresh_postgis_database(postgis_server) as url:
        yield url


@pytest.fixture(scope="session")
def takasaki_config() -> StudyConfig:
    return load_config(get_path("takasaki"))


@pytest.fixture(scope="session")
def takasaki_extent(takasaki_config: StudyConfig) -> StudyExtent:
    assert takasaki_config.boundary is not None
    outline = shapely.union_all(read_vector(takasaki_config.boundary).geometry.values)
    return StudyExtent(outline, metric_crs=takasaki_config.metric_crs)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A GeoPackage path or an empty PostGIS database (the test runs once with each)."""
    if request.param == "gpkg":
        return str(tmp_path / "ibasho.gpkg")
    return request.getfixturevalue("postgis_url")


@pytest.fixture
def empty_store(store_url: str, takasaki_config: StudyConfig,
                takasaki_extent: StudyExtent) -> PlaceStore:
    """A store that is not migrated yet, with Takasaki's categories and area."""
    return open_store(store_url, categories=takasaki_config.categories, extent=takasaki_extent)


@pytest.fixture
def store(empty_store: PlaceStore) -> PlaceStore:
    """A migrated, empty store."""
    empty_store.migrate()
    return empty_store
