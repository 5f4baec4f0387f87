"""The database that editable layers live in: a GeoPackage file by default, or PostGIS.

Both dialects run the same SQL through one small adapter, :class:`Database`. The SQL uses
``:name`` parameters and asks the adapter for the few pieces that differ: how a geometry
goes in (a GeoPackage geometry blob, or WKB through ``ST_GeomFromWKB``) and comes out, how a
row is locked for a read-modify-write, and the column types of the schema.

A GeoPackage written here is a real one (``gpkg_spatial_ref_sys``, ``gpkg_contents``,
``gpkg_geometry_columns``, GeoPackage geometry blobs) that QGIS, GDAL and pyogrio open; it
needs neither SpatiaLite nor GDAL to write, only Python's ``sqlite3``.

A change of places or routes adds one to the one row of ``data_version`` as it commits (and
PostGIS sends it on :data:`DATA_VERSION_CHANNEL`): :mod:`webmap.web.live` reads that row.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import shapely
from shapely.geometry.base import BaseGeometry

from layers.errors import LayerError
from layers.store.gpkg_format import (
    APPLICATION_ID,
    CORE_TABLES,
    SPATIAL_REF_SYS,
    STORAGE_SRID,
    USER_VERSION,
    decode_gpkg_geometry,
    encode_gpkg_geometry,
)

logger = logging.getLogger(__name__)
__all__ = [
    "DATABASE_URL_ENV",
    "DATA_VERSION_CHANNEL",
    "GEOPACKAGE_SUFFIXES",
    "MAP_TABLES",
    "Database",
    "DatabaseUnavailableError",
    "Transaction",
    "open_database",
    "store_url_from_env",
]

#: Environment variable naming the database (a ``postgresql://`` URL or a GeoPackage path).
DATABASE_URL_ENV = "IBASHO_DATABASE_URL"

#: File suffixes taken as a GeoPackage (any other suffix is accepted too, with a warning).
GEOPACKAGE_SUFFIXES = (".gpkg", ".sqlite", ".db")

#: The tables the maps are drawn from: a change to them moves the data version.
MAP_TABLES = frozenset({"places", "walking_routes"})
#: The PostgreSQL channel on which a committed change announces the new data version.
DATA_VERSION_CHANNEL = "ibasho_data_version"

_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_SQLITE_SCHEMES = ("sqlite", "gpkg")
_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class DatabaseUnavailableError(ConnectionError):
    """The database cannot be reached (server down, wrong URL, driver missing)."""


def store_url_from_env(default_path: str | Path, *,
                       environ: Mapping[str, str] | None = None) -> str:
    """
    The database to use: ``IBASHO_DATABASE_URL`` when set, else the GeoPackage ``default_path``.

    Parameters
    ----------
    default_path
        The GeoPackage used when the variable is unset or blank.
    environ
        The environment to read (``os.environ`` by default; tests pass a dict).

    Examples
    --------
    >>> store_url_from_env("ibasho.gpkg", environ={})
    'ibasho.gpkg'
    >>> store_url_from_env("ibasho.gpkg", environ={"IBASHO_DATABASE_URL": "postgresql://db/x"})
    'postgresql://db/x'
    """
    environ = os.environ if environ is None else environ
    url = environ.get(DATABASE_URL_ENV, "").strip()
    return url or str(default_path)


def open_database(url_or_path: str | Path) -> Database:
    """
    An adapter for a GeoPackage path or URL, or a PostGIS URL.

    GeoPackage URLs are written as SQLAlchemy writes SQLite ones: ``sqlite:///ibasho.gpkg`` is
    relative to the working folder, ``sqlite:////srv/ibasho.gpkg`` absolute (``gpkg://``
    alike). PostGIS: ``postgresql://user:password@host:port/database`` (``postgres://`` and
    ``postgresql+psycopg://`` too). Nothing is created or connected to until the first
    transaction.

    Examples
    --------
    >>> open_database("sqlite:////srv/ibasho.gpkg")
    GeoPackageDatabase('/srv/ibasho.gpkg')
    >>> open_database("postgresql://staff:secret@db/ibasho").display_name
    'postgresql://staff:***@db/ibasho'

    Raises
    ------
    ValueError
        For a URL scheme that is neither PostgreSQL nor SQLite/GeoPackage (lists the allowed).
    """
    if isinstance(url_or_path, Path):
        return GeoPackageDatabase(url_or_path)
    if not isinstance(url_or_path, str):
        msg = f"`url_or_path` must be a str or Path, got {type(url_or_path).__name__}."
        raise TypeError(msg)
    text = url_or_path.strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in _POSTGRES_SCHEMES:
        return PostGISDatabase(text)
    if scheme in _SQLITE_SCHEMES:  # SQLAlchemy's form: sqlite:///relative, sqlite:////absolute
        return GeoPackageDatabase(Path(unquote(text.split("://", 1)[1].removeprefix("/"))))
    if scheme:
        msg = (f"Unknown database URL scheme {scheme!r} in {_masked(text)!r}. Use a GeoPackage "
               f"path, or a URL starting with one of: "
               f"{', '.join(s + '://' for s in _POSTGRES_SCHEMES + _SQLITE_SCHEMES)}.")
        raise ValueError(msg)
    return GeoPackageDatabase(Path(text))


def _masked(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (a literal ``%`` is doubled)."""
    return _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


class Transaction:
    """One open transaction: run SQL with ``:name`` parameters, get rows as dicts."""

    def __init__(self, database: Database, cursor: Any, *, write: bool = True) -> None:
        self.database = database
        self.write = write
        self.data_version: int | None = None  # set when it changes a map table
        self._cursor = cursor
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action()`` once this transaction has committed (never if it rolls back)."""
        self._after_commit.append(action)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one statement; returns the number of rows it changed (-1 when unknown)."""
        self._log(sql)
        self._cursor.execute(self.database.prepare_sql(sql), dict(params or {}))
        return int(self._cursor.rowcount)

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a query; every row as a dict keyed by column name."""
        self._log(sql)
        self._cursor.execute(self.database.prepare_sql(sql), dict(params or {}))
        if self._cursor.description is None:
            return []
        names = [column[0] for column in self._cursor.description]
        return [dict(zip(names, row, strict=True)) for row in self._cursor.fetchall()]

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def _log(self, sql: str) -> None:  # every statement at DEBUG, like SQLAlchemy's echo
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("SQL %s: %s", self.database.dialect, " ".join(sql.split())[:200])


class Database(ABC):
    """
    What differs between the dialects; the stores above it run the same SQL on both.

    Subclasses: :class:`GeoPackageDatabase` and :class:`PostGISDatabase`.
    """

    #: ``"gpkg"`` or ``"postgis"``.
    dialect: str = ""
    #: Column types for the schema, by portable name (``{pk}``, ``{text}``, ``{point}`` …).
    types: Mapping[str, str] = {}
    #: Appended to a SELECT that will be followed by an UPDATE of the same rows.
    for_update: str = ""

    def __init__(self) -> None:
        self._open = threading.local()
        self._commit_checks: list[Callable[[Transaction], None]] = []

    @property
    @abstractmethod
    def display_name(self) -> str:
        """The file name or the URL without its password (for messages)."""

    def exists(self) -> bool:
        """Whether there is anything yet (False for a GeoPackage file not yet created)."""
        return True

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """
        A transaction that commits on success and rolls back on any exception.

        ``write=False`` is a read: it waits for no writer (and PostGIS refuses writes in it).
        In an open transaction of this thread it is that one (commit checks run at its end).
        """
        outer: Transaction | None = getattr(self._open, "tx", None)
        if outer is not None:
            if write and not outer.write:
                raise RuntimeError("A write cannot run inside a read transaction.")
            yield outer
            return
        with self.open_transaction(write=write) as tx:
            self._open.tx = tx
            try:
                yield tx
                if tx.data_version is not None:
                    for check in list(self._commit_checks):
                        check(tx)
            finally:
                self._open.tx = None
        for action in tx._after_commit:
            action()

    @abstractmethod
    def open_transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]:
        """A new transaction of this dialect (use :meth:`transaction`)."""

    def add_commit_check(self, check: Callable[[Transaction], None]) -> None:
        """Call ``check(tx)`` before a change of places or routes commits (raise: roll back)."""
        self._commit_checks.append(check)

    def prepare_sql(self, sql: str) -> str:
        """The statement in this driver's parameter style."""
        return sql

    def geometry_param(self, name: str) -> str:
        """SQL for a geometry parameter given as :meth:`encode_geometry` returns it."""
        return f":{name}"

    def geometry_select(self, column: str) -> str:
        """SQL selecting a geometry column for :meth:`decode_geometry`."""
        return column

    @abstractmethod
    def encode_geometry(self, geometry: BaseGeometry | None) -> bytes | None:
        """A geometry as the parameter :meth:`geometry_param` takes (None: SQL NULL)."""

    @abstractmethod
    def decode_geometry(self, raw: Any) -> BaseGeometry | None:
        """A value selected with :meth:`geometry_select` as a geometry (or None)."""

    def timestamp_param(self, moment: datetime | None) -> Any:
        return moment

    def timestamp_value(self, raw: Any) -> datetime | None:
        """A stored timestamp as an aware UTC datetime."""
        if raw is None:
            return None
        moment = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    def json_param(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def json_value(self, raw: Any) -> Any:
        return json.loads(raw) if isinstance(raw, str | bytes) else raw

    @abstractmethod
    def table_exists(self, tx: Transaction, table: str) -> bool:
        """Whether ``table`` exists."""

    @abstractmethod
    def prepare_schema(self, tx: Transaction) -> None:
        """Make the database ready for the first migration (GeoPackage core tables, PostGIS)."""

    @abstractmethod
    def lock_schema(self, tx: Transaction) -> None:
        """Keep two processes from migrating at once (until the transaction ends)."""

    @abstractmethod
    def lock_table(self, tx: Transaction, table: str) -> None:
        """Keep other writers off ``table`` until the transaction ends (new ids are safe)."""

    @abstractmethod
    def register_table(self, tx: Transaction, table: str, *, geometry_type: str | None,
                       description: str) -> None:
        """Declare a new table (its spatial column ``geom`` when ``geometry_type`` is given)."""

    def mark_changed(self, tx: Transaction, table: str) -> None:
        """Note that ``table`` changed; a map table moves the data version (once per tx)."""
        self.note_table_change(tx, table)
        if table not in MAP_TABLES or tx.data_version is not None:
            return
        tx.execute("UPDATE data_version SET version = version + 1, changed_at = :now "
                   "WHERE id = 1", {"now": self.timestamp_param(datetime.now(UTC))})
        tx.data_version = self.read_data_version(tx)
        self.announce(tx, tx.data_version)

    @abstractmethod
    def note_table_change(self, tx: Transaction, table: str) -> None:
        """What the dialect records of a changed table."""

    @abstractmethod
    def announce(self, tx: Transaction, version: int) -> None:
        """Tell the listening processes of ``version`` once ``tx`` commits."""

    def read_data_version(self, tx: Transaction) -> int:
        """The data version: one row, by its primary key (the places are not read)."""
        row = tx.one("SELECT version FROM data_version WHERE id = 1")
        if row is None:
            raise LookupError(f"{self.display_name} has no data_version row; migrate it.")
        return int(row["version"])


class GeoPackageDatabase(Database):
    """A GeoPackage file, written with ``sqlite3`` (one connection per transaction)."""

    dialect = "gpkg"
    types: Mapping[str, str] = {
        "pk": "INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL",
        "text": "TEXT",
        "integer": "INTEGER",
        "timestamp": "DATETIME",
        "json": "TEXT",
        "point": "POINT",
        "multilinestring": "MULTILINESTRING",
    }

    #: Seconds a writer waits for another writer's transaction before giving up.
    busy_timeout_s = 30.0

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        if self.path.suffix.lower() not in GEOPACKAGE_SUFFIXES:
            logger.warning("%s does not end in .gpkg; it is written as a GeoPackage anyway",
                           self.path)

    def __repr__(self) -> str:
        return f"GeoPackageDatabase({str(self.path)!r})"

    @property
    def display_name(self) -> str:
        return self.path.name

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def open_transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        if not write and not self.path.exists():
            raise LayerError.single(self.path, "the database file does not exist yet.",
                                    fix="Create it with PlaceStore.migrate() first.")
        if not self.path.parent.is_dir():
            raise LayerError.single(self.path, f"the folder {self.path.parent} does not exist.",
                                    fix="Create it, or point IBASHO_DATABASE_URL elsewhere.")
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_s,
                                     isolation_level=None)
        try:
            try:
                connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.DatabaseError as exc:
                raise LayerError.single(
                    self.path, f"this is not a GeoPackage or SQLite file ({exc}).",
                    fix="Point IBASHO_DATABASE_URL (or the store path) at a .gpkg file; a "
                        "missing file is created.") from None
            try:
                yield Transaction(self, connection.cursor(), write=write)
            except BaseException:
                if connection.in_transaction:  # SQLite may have rolled back by itself
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def encode_geometry(self, geometry: BaseGeometry | None) -> bytes | None:
        return encode_gpkg_geometry(geometry)

    def decode_geometry(self, raw: Any) -> BaseGeometry | None:
        return decode_gpkg_geometry(raw)

    def timestamp_param(self, moment: datetime | None) -> str | None:
        """GeoPackage DATETIME text: ``YYYY-MM-DDTHH:MM:SS.SSSZ`` in UTC."""
        if moment is None:
            return None
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
            f"{moment.microsecond // 1000:03d}Z"

    def table_exists(self, tx: Transaction, table: str) -> bool:
        return tx.one("SELECT 1 AS present FROM sqlite_master WHERE type = 'table' "
                      "AND name = :table", {"table": table}) is not None

    def prepare_schema(self, tx: Transaction) -> None:
        """The GeoPackage core: its header ids and the three required tables (idempotent)."""
        tx.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        tx.execute(f"PRAGMA user_version = {USER_VERSION}")
        for statement in CORE_TABLES:
            tx.execute(statement)
        for row in SPATIAL_REF_SYS:
            tx.execute("INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, "
                       "organization, organization_coordsys_id, definition, description) "
                       "VALUES (:srs_name, :srs_id, :organization, :organization_coordsys_id, "
                       ":definition, :description)", row)

    def lock_schema(self, tx: Transaction) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already keeps every other writer out."""

    def lock_table(self, tx: Transaction, table: str) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already keeps every other writer out."""

    def register_table(self, tx: Transaction, table: str, *, geometry_type: str | None,
                       description: str) -> None:
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change, srs_id) VALUES (:table, :data_type, :table, :description, "
            ":now, :srs_id)",
            {"table": table, "data_type": "features" if geometry_type else "attributes",
             "description": description, "now": self.timestamp_param(datetime.now(UTC)),
             "srs_id": STORAGE_SRID if geometry_type else None})
        if geometry_type:
            tx.execute("INSERT INTO gpkg_geometry_columns (table_name, column_name, "
                       "geometry_type_name, srs_id, z, m) VALUES (:table, 'geom', :type, "
                       ":srs_id, 0, 0)",
                       {"table": table, "type": geometry_type, "srs_id": STORAGE_SRID})

    def note_table_change(self, tx: Transaction, table: str) -> None:
        tx.execute("UPDATE gpkg_contents SET last_change = :now WHERE table_name = :table",
                   {"now": self.timestamp_param(datetime.now(UTC)), "table": table})

    def announce(self, tx: Transaction, version: int) -> None:
        """Nothing to send: other processes see the file change (a ``stat``)."""


class PostGISDatabase(Database):
    """A PostgreSQL database with PostGIS, through psycopg 3 (one connection per transaction)."""

    dialect = "postgis"
    types: Mapping[str, str] = {
        "pk": "integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "text": "text",
        "integer": "integer",
        "timestamp": "timestamptz",
        "json": "jsonb",
        "point": f"geometry(Point, {STORAGE_SRID})",
        "multilinestring": f"geometry(MultiLineString, {STORAGE_SRID})",
    }
    for_update = " FOR UPDATE"

    #: Seconds to wait for the server to accept a connection.
    connect_timeout_s = 10

    def __init__(self, url: str) -> None:
        super().__init__()
        # psycopg (libpq) knows postgresql:// and postgres://, not SQLAlchemy's +driver form
        self.url = re.sub(r"^postgresql\+psycopg://", "postgresql://", url)

    def __repr__(self) -> str:
        return f"PostGISDatabase({_masked(self.url)!r})"

    @property
    def display_name(self) -> str:
        return _masked(self.url)

    def connect(self, *, autocommit: bool = False) -> Any:
        """A new psycopg connection (DatabaseUnavailableError says what to check)."""
        psycopg = _import_psycopg()
        try:
            return psycopg.connect(self.url, connect_timeout=self.connect_timeout_s,
                                   autocommit=autocommit)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            msg = (f"Cannot connect to {self.display_name}: {reason}. Is the PostgreSQL server "
                   f"running, and is {DATABASE_URL_ENV} right? Unset it to use the GeoPackage "
                   "file instead.")
            raise DatabaseUnavailableError(msg) from None

    @contextmanager
    def open_transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        psycopg = _import_psycopg()
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                if not write:
                    cursor.execute("SET TRANSACTION READ ONLY")
                try:
                    yield Transaction(self, cursor, write=write)
                except BaseException:
                    with suppress(psycopg.Error):  # a broken connection: the server rolls back
                        connection.rollback()
                    raise
            connection.commit()
        finally:
            connection.close()

    def prepare_sql(self, sql: str) -> str:
        return _pyformat(sql)

    def geometry_param(self, name: str) -> str:
        return f"ST_GeomFromWKB(CAST(:{name} AS bytea), {STORAGE_SRID})"

    def geometry_select(self, column: str) -> str:
        return f"ST_AsBinary({column})"

    def encode_geometry(self, geometry: BaseGeometry | None) -> bytes | None:
        if geometry is None or geometry.is_empty:
            return None
        return shapely.to_wkb(geometry, flavor="iso")

    def decode_geometry(self, raw: Any) -> BaseGeometry | None:
        return None if raw is None else shapely.from_wkb(bytes(raw))

    def json_param(self, value: Any) -> Any:
        from psycopg.types.json import Jsonb

        return None if value is None else Jsonb(value)

    def table_exists(self, tx: Transaction, table: str) -> bool:
        row = tx.one("SELECT to_regclass(:table) IS NOT NULL AS present", {"table": table})
        return bool(row and row["present"])

    def prepare_schema(self, tx: Transaction) -> None:
        """PostGIS must be installed in the database (creating it needs a superuser)."""
        if tx.one("SELECT 1 AS present FROM pg_extension WHERE extname = 'postgis'"):
            return
        try:
            tx.execute("SAVEPOINT create_postgis")
            tx.execute("CREATE EXTENSION postgis")
        except _import_psycopg().Error as exc:
            tx.execute("ROLLBACK TO SAVEPOINT create_postgis")
            msg = (f"{self.display_name} has no PostGIS and this user cannot add it ({exc}). "
                   "Ask the database administrator to run: CREATE EXTENSION postgis;")
            raise DatabaseUnavailableError(msg) from None
        logger.info("Created the postgis extension in %s", self.display_name)

    def lock_schema(self, tx: Transaction) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(:key)", {"key": 0x1BA5_0001})

    def lock_table(self, tx: Transaction, table: str) -> None:
        tx.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")

    def register_table(self, tx: Transaction, table: str, *, geometry_type: str | None,
                       description: str) -> None:
        if geometry_type:
            tx.execute(f"CREATE INDEX {table}_geom_idx ON {table} USING GIST (geom)")
        tx.execute(f"COMMENT ON TABLE {table} IS {_sql_literal(description)}")

    def note_table_change(self, tx: Transaction, table: str) -> None:
        """Nothing to do: PostgreSQL keeps no change time per table."""

    def announce(self, tx: Transaction, version: int) -> None:
        """``NOTIFY`` :data:`DATA_VERSION_CHANNEL` with the version (sent on commit)."""
        tx.execute("SELECT pg_notify(:channel, :version)",
                   {"channel": DATA_VERSION_CHANNEL, "version": str(version)})


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        msg = ("PostGIS needs the psycopg driver: pip install 'psycopg[binary]'. Or unset "
               f"{DATABASE_URL_ENV} to use the GeoPackage file.")
        raise DatabaseUnavailableError(msg) from None
    return psycopg
