"""Schema versions of the places database, and the migrations that move between them.

Every change to the tables is a new :class:`Migration` appended to :data:`MIGRATIONS`, never
an edit of an old one: a database records each version it has applied in ``schema_version``,
and :func:`migrate` applies the missing ones in order, all in one transaction, so a failed
migration leaves the database exactly as it was. The SQL is written once for both dialects;
``{pk}``, ``{text}``, ``{point}`` … are the dialect's column types
(:attr:`layers.store.database.Database.types`).

Versions need not be consecutive: a version taken by a branch developed at the same time may be
missing here, and it is applied when it arrives, after later ones, so migrations developed side
by side must not depend on each other (4 is the sessions table of another branch; 5 is the
data version below; 6 is participation and capacity; 7 the area a community resource
serves).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from layers.store.database import Database, Transaction

logger = logging.getLogger(__name__)
__all__ = ["LATEST_VERSION", "MIGRATIONS", "MigratedStore", "Migration", "SchemaVersionError",
           "applied_versions", "current_version", "migrate"]


class SchemaVersionError(RuntimeError):
    """The database's schema version is not the one this ibasho reads and writes."""


@dataclass(frozen=True)
class Migration:
    """One step of the schema: version ``version`` is reached by ``apply``."""

    version: int
    description: str
    apply: Callable[[Database, Transaction], None]


def _create_tables(database: Database, tx: Transaction) -> None:
    """Version 1: places, walking routes and the audit log."""
    types = database.types
    tx.execute(f"""CREATE TABLE places (
        fid {types["pk"]},
        id {types["text"]} NOT NULL UNIQUE,
        name {types["text"]} NOT NULL,
        category {types["text"]} NOT NULL,
        district {types["text"]} NOT NULL DEFAULT '',
        address {types["text"]} NOT NULL DEFAULT '',
        schedule {types["text"]} NOT NULL DEFAULT '',
        contact {types["text"]} NOT NULL DEFAULT '',
        notes {types["text"]} NOT NULL DEFAULT '',
        position_source {types["text"]} NOT NULL DEFAULT '',
        position_quality {types["text"]} NOT NULL DEFAULT 'unknown',
        source {types["text"]} NOT NULL DEFAULT '',
        version {types["integer"]} NOT NULL DEFAULT 1,
        created_at {types["timestamp"]} NOT NULL,
        updated_at {types["timestamp"]} NOT NULL,
        retired_at {types["timestamp"]},
        geom {types["point"]})""")
    database.register_table(tx, "places", geometry_type="POINT",
                            description="居場所: gathering places for older residents")
    tx.execute(f"""CREATE TABLE walking_routes (
        fid {types["pk"]},
        id {types["text"]} NOT NULL UNIQUE,
        name {types["text"]} NOT NULL,
        kind {types["text"]} NOT NULL DEFAULT '',
        source {types["text"]} NOT NULL DEFAULT '',
        version {types["integer"]} NOT NULL DEFAULT 1,
        created_at {types["timestamp"]} NOT NULL,
        updated_at {types["timestamp"]} NOT NULL,
        retired_at {types["timestamp"]},
        geom {types["multilinestring"]})""")
    database.register_table(tx, "walking_routes", geometry_type="MULTILINESTRING",
                            description="ウォーキングコース and other walking routes")
    tx.execute(f"""CREATE TABLE audit_log (
        fid {types["pk"]},
        changed_at {types["timestamp"]} NOT NULL,
        user_name {types["text"]} NOT NULL,
        action {types["text"]} NOT NULL,
        layer {types["text"]} NOT NULL,
        feature_id {types["text"]} NOT NULL,
        before_json {types["json"]},
        after_json {types["json"]})""")
    tx.execute("CREATE INDEX audit_log_feature_idx ON audit_log (layer, feature_id)")
    database.register_table(tx, "audit_log", geometry_type=None,
                            description="Every change: who, when, before and after")


def _create_users_and_scenarios(database: Database, tx: Transaction) -> None:
    """Version 2: staff accounts, failed-login records (rate limit) and saved scenarios."""
    types = database.types
    tx.execute(f"""CREATE TABLE users (
        fid {types["pk"]},
        name {types["text"]} NOT NULL UNIQUE,
        password_hash {types["text"]} NOT NULL,
        role {types["text"]} NOT NULL,
        created_at {types["timestamp"]} NOT NULL,
        disabled_at {types["timestamp"]})""")
    database.register_table(tx, "users", geometry_type=None,
                            description="Staff accounts: viewer, editor or admin")
    tx.execute(f"""CREATE TABLE login_failures (
        fid {types["pk"]},
        name {types["text"]} NOT NULL,
        address {types["text"]} NOT NULL,
        failed_at {types["timestamp"]} NOT NULL)""")
    tx.execute("CREATE INDEX login_failures_idx ON login_failures (address, failed_at)")
    database.register_table(tx, "login_failures", geometry_type=None,
                            description="Failed logins, for the login rate limit")
    tx.execute(f"""CREATE TABLE scenarios (
        fid {types["pk"]},
        id {types["text"]} NOT NULL UNIQUE,
        name {types["text"]} NOT NULL,
        district {types["text"]} NOT NULL DEFAULT '',
        created_by {types["text"]} NOT NULL,
        created_at {types["timestamp"]} NOT NULL,
        payload_json {types["json"]} NOT NULL)""")
    database.register_table(tx, "scenarios", geometry_type=None,
                            description="What-if scenarios saved by name on the planner page")


def _add_route_benches(database: Database, tx: Transaction) -> None:
    """Version 3: the benches staff mark along a walking route (a JSON list of [lon, lat])."""
    tx.execute(f"ALTER TABLE walking_routes ADD COLUMN benches_json {database.types['json']}")


def _create_user_sessions(database: Database, tx: Transaction) -> None:
    """Version 4: server-side staff sessions (the hash of a login's token, account, start)."""
    types = database.types
    tx.execute(f"""CREATE TABLE user_sessions (
        fid {types["pk"]},
        token_hash {types["text"]} NOT NULL UNIQUE,
        user_name {types["text"]} NOT NULL,
        started_at {types["timestamp"]} NOT NULL)""")
    tx.execute("CREATE INDEX user_sessions_user_idx ON user_sessions (user_name)")
    database.register_table(tx, "user_sessions", geometry_type=None,
                            description="Staff sessions: ended at logout, on a new password "
                                        "or role, when disabled, or after their lifetime")


def _create_data_version(database: Database, tx: Transaction) -> None:
    """
    Version 5: one row counting the committed changes of the map layers (places, routes).

    :meth:`layers.store.database.Database.mark_changed` adds one in the transaction of every change,
    so every process serving the database sees that its maps are out of date by reading this
    one row (see :mod:`webmap.web.live`).
    """
    types = database.types
    tx.execute(f"""CREATE TABLE data_version (
        id {types["integer"]} NOT NULL PRIMARY KEY CHECK (id = 1),
        version {types["integer"]} NOT NULL,
        changed_at {types["timestamp"]} NOT NULL)""")
    database.register_table(tx, "data_version", geometry_type=None,
                            description="Counts the committed changes of places and routes")
    tx.execute("INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, :now)",
               {"now": database.timestamp_param(datetime.now(UTC))})


def _add_participation(database: Database, tx: Transaction) -> None:
    """
    Version 6: a place's capacity (定員, ``places.capacity``), and the participation records
    staff keep for each place and month (``participation``, :mod:`layers.fields.participation`).

    Records are versioned, audited and retired like places; at most one open record per place
    and month (checked by :mod:`layers.store.participation` in the writing transaction).
    """
    types = database.types
    tx.execute(f"ALTER TABLE places ADD COLUMN capacity {types['integer']}")
    tx.execute(f"""CREATE TABLE participation (
        fid {types["pk"]},
        id {types["text"]} NOT NULL UNIQUE,
        place_id {types["text"]} NOT NULL,
        month {types["text"]} NOT NULL,
        participants {types["integer"]} NOT NULL CHECK (participants >= 0),
        participants_65 {types["integer"]} CHECK (participants_65 >= 0),
        sessions {types["integer"]} NOT NULL CHECK (sessions >= 0),
        activity {types["text"]} NOT NULL,
        frequency {types["text"]} NOT NULL,
        version {types["integer"]} NOT NULL DEFAULT 1,
        created_at {types["timestamp"]} NOT NULL,
        updated_at {types["timestamp"]} NOT NULL,
        retired_at {types["timestamp"]})""")
    tx.execute("CREATE INDEX participation_place_month_idx ON participation (place_id, month)")
    database.register_table(tx, "participation", geometry_type=None,
                            description="通いの場の参加記録: participants per place and month")


def _add_place_serves(database: Database, tx: Transaction) -> None:
    """
    Version 7: the area a community resource serves (``places.serves``): empty for one that is
    where its point is, 「全域」 for its whole district, or the 町丁 it serves
    (:func:`layers.fields.schema.served_areas`).
    """
    tx.execute(f"ALTER TABLE places ADD COLUMN serves {database.types['text']} "
               "NOT NULL DEFAULT ''")


#: Every migration, in order; append, never edit.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "places, walking_routes and audit_log tables", _create_tables),
    Migration(2, "users, login_failures and scenarios tables", _create_users_and_scenarios),
    Migration(3, "benches of walking routes (walking_routes.benches_json)", _add_route_benches),
    Migration(4, "server-side staff sessions (user_sessions table)", _create_user_sessions),
    Migration(5, "data_version: one row counting changes of places and routes",
              _create_data_version),
    Migration(6, "places.capacity and the participation table", _add_participation),
    Migration(7, "the area a community resource serves (places.serves)", _add_place_serves),
)

#: The schema version this code reads and writes.
LATEST_VERSION = MIGRATIONS[-1].version


def current_version(database: Database, tx: Transaction) -> int:
    """The highest version applied to the database (0 for an empty one)."""
    return max(applied_versions(database, tx), default=0)


def applied_versions(database: Database, tx: Transaction) -> set[int]:
    """Every version applied to the database (empty for an empty one)."""
    if not database.table_exists(tx, "schema_version"):
        return set()
    return {int(row["version"]) for row in tx.rows("SELECT version FROM schema_version")}


def migrate(database: Database, *,
            migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """
    Bring the database up to the last of ``migrations``, all in one transaction.

    Parameters
    ----------
    database
        The database to migrate (an empty GeoPackage file is created).
    migrations
        The steps, with versions 1, 2, 3 … in increasing order; a version may be missing
        (one taken by another branch), and one that arrives later is applied then, after
        the higher ones already applied (tests pass their own).

    Returns
    -------
    list of int
        The versions applied now, in order (empty when the database was up to date).

    Raises
    ------
    SchemaVersionError
        If the database has a version newer than the last migration known here.
    ValueError
        If ``migrations`` do not start at 1 and increase.
    """
    versions = [m.version for m in migrations]
    if versions and (versions[0] != 1 or any(b <= a for a, b in pairwise(versions))):
        msg = f"Migrations must be numbered 1, 2, 3 … in increasing order; got {versions}."
        raise ValueError(msg)
    latest = versions[-1] if versions else 0
    with database.transaction() as tx:
        database.lock_schema(tx)
        database.prepare_schema(tx)
        current = current_version(database, tx)
        if current > latest:
            msg = (f"{database.display_name} has schema version {current}, newer than this "
                   f"ibasho knows ({latest}). Update ibasho; do not edit this database with "
                   "the older version.")
            raise SchemaVersionError(msg)
        if not database.table_exists(tx, "schema_version"):
            types = database.types
            tx.execute(f"""CREATE TABLE schema_version (
                version {types["integer"]} NOT NULL PRIMARY KEY,
                description {types["text"]} NOT NULL,
                applied_at {types["timestamp"]} NOT NULL)""")
            database.register_table(tx, "schema_version", geometry_type=None,
                                    description="Migrations applied to this database")
        done = applied_versions(database, tx)
        applied = []
        for migration in (m for m in migrations if m.version not in done):
            migration.apply(database, tx)
            tx.execute("INSERT INTO schema_version (version, description, applied_at) "
                       "VALUES (:version, :description, :applied_at)",
                       {"version": migration.version, "description": migration.description,
                        "applied_at": database.timestamp_param(datetime.now(UTC))})
            applied.append(migration.version)
            logger.debug("Applied migration %d: %s", migration.version, migration.description)
    if applied:
        logger.info("Migrated %s from schema version %d to %d", database.display_name,
                    current, latest)
    else:
        logger.info("%s is at schema version %d (up to date)", database.display_name, current)
    return applied


class MigratedStore:
    """
    A store over the places database: it migrates the database, and checks once that the
    database is at a schema version it reads before it reads or writes.

    Subclasses (:class:`~layers.store.places.PlaceStore`,
    :class:`~layers.store.scenarios.ScenarioStore`, :class:`~layers.store.users.UserStore`)
    call :meth:`check_schema` in their transactions.
    """

    #: The lowest schema version the store reads (the highest is :data:`LATEST_VERSION`).
    min_version = LATEST_VERSION
    #: What needs the version, for the message of a database at another one.
    purpose = "this ibasho"

    def __init__(self, database: Database) -> None:
        self.database = database
        self._schema_checked = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.database!r})"

    @property
    def schema_version(self) -> int:
        """The schema version of the database (0 before :meth:`migrate`)."""
        if not self.database.exists():
            return 0
        with self.database.transaction(write=False) as tx:
            return current_version(self.database, tx)

    def migrate(self) -> list[int]:
        """Apply the missing migrations (creating the file or tables); returns their versions."""
        applied = migrate(self.database)
        self._schema_checked = True
        return applied

    def check_schema(self, tx: Transaction) -> None:
        """Raise :class:`SchemaVersionError` unless the database is at a version read here."""
        if self._schema_checked:
            return
        version = current_version(self.database, tx)
        if not self.min_version <= version <= LATEST_VERSION:
            needed = (f"{LATEST_VERSION}" if self.min_version == LATEST_VERSION
                      else f"{self.min_version} to {LATEST_VERSION}")
            fix = ("Update ibasho." if version > LATEST_VERSION
                   else f"Run {type(self).__name__}.migrate().")
            msg = (f"{self.database.display_name} has schema version {version}, but "
                   f"{self.purpose} needs version {needed}. {fix}")
            raise SchemaVersionError(msg)
        self._schema_checked = True
