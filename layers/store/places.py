"""Places and walking routes in a database that staff edit: checked, versioned and audited.

:func:`open_store` opens a GeoPackage file (the default) or PostGIS (a ``postgresql://`` URL,
e.g. from ``IBASHO_DATABASE_URL``); both run the same code. Every write is one transaction
that is checked before anything is stored:

- every field is validated first, and a :class:`~layers.errors.LayerError` lists every
  problem (file, row, field and a fix); nothing is written then. Texts and imports are held
  to :data:`layers.fields.schema.MAX_CHARS` and ``MAX_ITEMS``, whichever way they come;
- an edit names the version it started from, and if someone saved in between it fails with
  :class:`VersionConflict` (a message in Japanese and English) instead of overwriting;
- every change adds an audit entry: who, when, the action, and the place before and after;
- places are retired (``retired_at``), never deleted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.crs import STORAGE_CRS, to_storage
from layers.config import DEFAULT_CATEGORIES
from layers.errors import LayerError, Problem
from layers.fields.schema import (
    TEXT_FIELDS,
    check_place_fields,
    check_route_lines,
    duplicate_name_problems,
    import_rows_problem,
    point_of,
    position_quality,
    same_position,
)
from layers.files.places import PLACE_COLUMNS
from layers.files.points import StudyExtent
from layers.store.audit import read_audit, record_change
from layers.store.database import Database, Transaction, open_database
from layers.store.migrations import LATEST_VERSION, SchemaVersionError, current_version, migrate

logger = logging.getLogger(__name__)
__all__ = ["PlaceNotFoundError", "PlaceStore", "VersionConflict", "open_store"]

_COLUMNS = ("id, name, category, district, address, schedule, contact, notes, position_source, "
            "position_quality, source, version, created_at, updated_at, retired_at")
_ROUTE_COLUMNS = "id, name, kind, source, version, created_at, updated_at, retired_at"
_TIMESTAMPS = ("created_at", "updated_at", "retired_at")


class VersionConflict(RuntimeError):  # noqa: N818 (the name the issue uses)
    """Someone else saved the place after it was read: reload, then edit again."""

    def __init__(self, place_id: str, *, expected_version: int, current_version: int) -> None:
        self.place_id = place_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.message_ja = (f"この居場所は他の人が先に更新しました（版 {expected_version} → "
                           f"{current_version}）。画面を読み込み直してから、もう一度編集して"
                           "ください。")
        self.message_en = (f"Place {place_id} was changed by someone else first (version "
                           f"{expected_version} → {current_version}). Reload it, then edit "
                           "again.")
        super().__init__(f"{self.message_ja}\n{self.message_en}")


class PlaceNotFoundError(LookupError):
    """No place has this id (retired places are still found)."""

    def __init__(self, place_id: str, store: str) -> None:
        self.place_id = place_id
        super().__init__(f"There is no place {place_id!r} in {store}. Check the id "
                         "(e.g. p0012); retired places keep theirs.")


def open_store(url_or_path: str | Path, *, categories: Sequence[str] = DEFAULT_CATEGORIES,
               extent: StudyExtent | None = None) -> PlaceStore:
    """
    Open the places database: a GeoPackage path, or a ``postgresql://`` URL for PostGIS.

    Nothing is created until :meth:`PlaceStore.migrate`.

    Parameters
    ----------
    url_or_path
        A GeoPackage path (``sqlite:///`` and ``gpkg:///`` URLs too) or a PostgreSQL URL;
        :func:`layers.store.database.store_url_from_env` picks it from ``IBASHO_DATABASE_URL``.
    categories
        Allowed categories (the config's ``[categories] allowed``).
    extent
        The study area; a position outside it is an error.

    Examples
    --------
    >>> import tempfile
    >>> store = open_store(Path(tempfile.mkdtemp()) / "ibasho.gpkg")
    >>> store.migrate()[-1] == store.schema_version
    True
    """
    return PlaceStore(open_database(url_or_path), categories=categories, extent=extent)


def _now() -> datetime:
    """Now in UTC, to the millisecond (what a GeoPackage DATETIME keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _check_user(user: str) -> str:
    if not isinstance(user, str) or not user.strip():
        msg = f"`user` must name who makes the change (e.g. a login), got {user!r}."
        raise ValueError(msg)
    return user.strip()


class PlaceStore:
    """
    Places (and walking routes) in one database, with validation, versions and an audit log.

    Use :func:`open_store`. Every method opens its own transaction, so one store may be
    shared by the threads of a web server.
    """

    def __init__(self, database: Database, *, categories: Sequence[str] = DEFAULT_CATEGORIES,
                 extent: StudyExtent | None = None) -> None:
        self.database = database
        self.categories = tuple(categories)
        self.extent = extent
        self._schema_checked = False

    def __repr__(self) -> str:
        return f"PlaceStore({self.database!r})"

    # -- schema --------------------------------------------------------------------------

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

    def _check_schema(self, tx: Transaction) -> None:
        if self._schema_checked:
            return
        version = current_version(self.database, tx)
        if version != LATEST_VERSION:
            fix = "Update ibasho." if version > LATEST_VERSION else "Run PlaceStore.migrate()."
            msg = (f"{self.database.display_name} has schema version {version}, but this ibasho "
                   f"uses {LATEST_VERSION}. {fix}")
            raise SchemaVersionError(msg)
        self._schema_checked = True

    # -- reading -------------------------------------------------------------------------

    def _select(self, table: str = "places") -> str:
        columns = _COLUMNS if table == "places" else _ROUTE_COLUMNS
        return f"SELECT {columns}, {self.database.geometry_select('geom')} AS geom FROM {table}"

    def _record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        record = {("place_id" if key == "id" else key): value for key, value in row.items()
                  if key != "geom"}
        for key in _TIMESTAMPS:
            record[key] = self.database.timestamp_value(record[key])
        geometry = self.database.decode_geometry(row["geom"])
        record["lon"] = None if geometry is None else geometry.x
        record["lat"] = None if geometry is None else geometry.y
        return record

    def _locked_place(self, tx: Transaction, place_id: str, *,
                      lock: bool = True) -> dict[str, Any]:
        """The place; with ``lock``, no other transaction changes it until this one ends."""
        lock_sql = self.database.for_update if lock else ""
        row = tx.one(f"{self._select()} WHERE id = :id{lock_sql}", {"id": place_id})
        if row is None:
            raise PlaceNotFoundError(place_id, self.database.display_name)
        return self._record(row)

    def place(self, place_id: str) -> dict[str, Any]:
        """
        One place: ``place_id``, the text fields, ``position_quality``, ``lon`` and ``lat``
        (None without a position), ``version``, and ``created_at``, ``updated_at`` and
        ``retired_at`` (aware UTC datetimes; ``retired_at`` is None unless retired).

        Raises
        ------
        PlaceNotFoundError
            If no place has this id.
        """
        with self.database.transaction(write=False) as tx:
            self._check_schema(tx)
            return self._locked_place(tx, place_id, lock=False)

    def places(self, *, include_retired: bool = False) -> gpd.GeoDataFrame:
        """
        The places in the order they were added, like :func:`layers.files.places.load_places`.

        Returns
        -------
        GeoDataFrame
            :data:`layers.files.places.PLACE_COLUMNS` and ``row`` (the 1-based position in this
            frame), plus ``version``, ``updated_at`` and ``retired_at``; the geometry in
            ``STORAGE_CRS``, None where the position is unknown.
        """
        where = "" if include_retired else " WHERE retired_at IS NULL"
        with self.database.transaction(write=False) as tx:
            self._check_schema(tx)
            rows = tx.rows(f"{self._select()}{where} ORDER BY fid")
        columns = [*PLACE_COLUMNS, "row", "version", "updated_at", "retired_at"]
        frame = pd.DataFrame.from_records([self._record(row) for row in rows], columns=columns)
        frame["row"] = range(1, len(frame) + 1)
        frame["version"] = frame["version"].astype("int64")
        for column in ("updated_at", "retired_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        geometries = [self.database.decode_geometry(row["geom"]) for row in rows]
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=STORAGE_CRS,
                                                              index=frame.index))

    def walking_routes(self, *, include_retired: bool = False) -> gpd.GeoDataFrame:
        """Walking routes: ``route_id``, ``name``, ``kind``, ``source``, ``version``, geometry."""
        where = "" if include_retired else " WHERE retired_at IS NULL"
        with self.database.transaction(write=False) as tx:
            self._check_schema(tx)
            rows = tx.rows(f"{self._select('walking_routes')}{where} ORDER BY fid")
        frame = pd.DataFrame.from_records(rows, columns=["id", "name", "kind", "source",
                                                         "version"])
        frame = frame.rename(columns={"id": "route_id"}).astype({"version": "int64"})
        geometries = [self.database.decode_geometry(row["geom"]) for row in rows]
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=STORAGE_CRS,
                                                              index=frame.index))

    def audit(self, place_id: str | None = None, *,
              layer: str | None = None) -> list[dict[str, Any]]:
        """
        The audit log, oldest first (see :func:`layers.store.audit.read_audit` for the keys).

        Parameters
        ----------
        place_id
            Only this feature's entries (of ``layer``, ``places`` by default).
        layer
            Only this layer's entries (``places``, ``walking_routes``).
        """
        if place_id is not None and layer is None:
            layer = "places"
        with self.database.transaction(write=False) as tx:
            self._check_schema(tx)
            return read_audit(self.database, tx, layer=layer, feature_id=place_id)

    # -- editing -------------------------------------------------------------------------

    def _checked(self, tx: Transaction, base: Mapping[str, Any], changes: Mapping[str, Any],
                 *, label: str, place_id: str = "") -> tuple[dict[str, str], BaseGeometry | None]:
        """``base`` with ``changes`` applied and checked; raises with every problem."""
        record, geometry, problems = check_place_fields(
            base, changes, categories=self.categories, extent=self.extent, label=label)
        if record["name"] and not any(p.field == "name" for p in problems):  # storable
            row = tx.one("SELECT id FROM places WHERE name = :name AND retired_at IS NULL "
                         "AND id <> :id", {"name": record["name"], "id": place_id})
            if row is not None:
                problems += duplicate_name_problems([record["name"]], [None], label=label,
                                                    stored={record["name"]: str(row["id"])})
        if any(p.is_error for p in problems):
            raise LayerError(problems)
        return record, geometry

    def _next_ids(self, tx: Transaction, table: str, prefix: str, count: int) -> list[str]:
        """``count`` ids after the highest one stored (the caller holds the table lock)."""
        numbers = [int(m.group(1)) for row in tx.rows(f"SELECT id FROM {table}")
                   if (m := re.fullmatch(rf"{prefix}(\d+)", str(row["id"])))]
        start = max(numbers, default=0) + 1
        return [f"{prefix}{n:04d}" for n in range(start, start + count)]

    def _insert_place(self, tx: Transaction, place_id: str, record: Mapping[str, str],
                      geometry: BaseGeometry | None, now: datetime) -> dict[str, Any]:
        database = self.database
        tx.execute(
            "INSERT INTO places (id, name, category, district, address, schedule, contact, "
            "notes, position_source, position_quality, source, version, created_at, updated_at, "
            "geom) VALUES (:id, :name, :category, :district, :address, :schedule, :contact, "
            ":notes, :position_source, :position_quality, :source, 1, :now, :now, "
            f"{database.geometry_param('geom')})",
            {**record, "id": place_id, "now": database.timestamp_param(now),
             "position_quality": position_quality(record["position_source"], geometry),
             "geom": database.encode_geometry(geometry)})
        return self._locked_place(tx, place_id)

    def add_place(self, fields: Mapping[str, Any], *, user: str) -> dict[str, Any]:
        """
        Add a place; it gets the next free id (``p0077`` …) and version 1.

        Parameters
        ----------
        fields
            Keys from :data:`layers.fields.schema.EDITABLE_FIELDS`; ``name`` and
            ``category`` are required.
        user
            Who adds it (recorded in the audit log).

        Returns
        -------
        dict
            The place as :meth:`place` returns it.

        Raises
        ------
        LayerError
            With every problem in ``fields``, or a name already used (nothing is stored).
        """
        user = _check_user(user)
        with self.database.transaction() as tx:
            self._check_schema(tx)
            self.database.lock_table(tx, "places")
            record, geometry = self._checked(tx, {}, fields, label="new place")
            (place_id,) = self._next_ids(tx, "places", "p", 1)
            now = _now()
            place = self._insert_place(tx, place_id, record, geometry, now)
            record_change(self.database, tx, action="create", layer="places",
                          feature_id=place_id, before=None, after=place, user=user, at=now)
            self.database.mark_changed(tx, "places")
        logger.info("%s added place %s (%s)", user, place_id, record["name"])
        return place

    def update_place(self, place_id: str, changes: Mapping[str, Any], *, expected_version: int,
                     user: str) -> dict[str, Any]:
        """
        Change some fields of a place, unless someone else saved it since ``expected_version``.

        Parameters
        ----------
        place_id
            The place to change.
        changes
            Keys from :data:`layers.fields.schema.EDITABLE_FIELDS`; other fields stay as they
            are. ``lon`` and ``lat`` go together; both None (or empty) removes the position.
        expected_version
            The ``version`` of the place as the editor read it.
        user
            Who makes the change (recorded in the audit log).

        Returns
        -------
        dict
            The place after the change, its ``version`` one higher (the same place, not
            saved again, when ``changes`` change nothing).

        Raises
        ------
        VersionConflict
            If the place is at another version now (nothing is stored).
        LayerError
            With every problem of the changed place, or if it is retired (nothing is stored).
        PlaceNotFoundError
            If no place has this id.
        """
        user = _check_user(user)
        with self.database.transaction() as tx:
            self._check_schema(tx)
            before = self._current(tx, place_id, expected_version)
            base = {**before, "geometry": point_of(before)}
            record, geometry = self._checked(tx, base, changes, label=f"place {place_id}",
                                             place_id=place_id)
            if all(record[name] == before[name] for name in TEXT_FIELDS) and \
                    same_position(geometry, base["geometry"]):
                logger.info("%s saved place %s without changes", user, place_id)
                return before
            now = _now()
            count = tx.execute(
                "UPDATE places SET name = :name, category = :category, district = :district, "
                "address = :address, schedule = :schedule, contact = :contact, notes = :notes, "
                "position_source = :position_source, position_quality = :position_quality, "
                f"source = :source, geom = {self.database.geometry_param('geom')}, "
                "version = version + 1, updated_at = :now WHERE id = :id AND version = :version",
                {**record, "id": place_id, "version": expected_version,
                 "position_quality": position_quality(record["position_source"], geometry),
                 "geom": self.database.encode_geometry(geometry),
                 "now": self.database.timestamp_param(now)})
            if count != 1:  # the row lock rules this out; never overwrite regardless
                raise VersionConflict(place_id, expected_version=expected_version,
                                      current_version=expected_version + 1)
            after = self._locked_place(tx, place_id)
            record_change(self.database, tx, action="update", layer="places",
                          feature_id=place_id, before=before, after=after, user=user, at=now)
            self.database.mark_changed(tx, "places")
        logger.info("%s updated place %s to version %d", user, place_id, after["version"])
        return after

    def retire_place(self, place_id: str, *, expected_version: int, user: str) -> dict[str, Any]:
        """
        Retire a place: it leaves the map and the lists, but stays in the store with its history.

        Raises
        ------
        VersionConflict
            If the place is at another version now.
        LayerError
            If it is retired already.
        PlaceNotFoundError
            If no place has this id.
        """
        user = _check_user(user)
        with self.database.transaction() as tx:
            self._check_schema(tx)
            before = self._current(tx, place_id, expected_version)
            now = _now()
            tx.execute("UPDATE places SET retired_at = :now, updated_at = :now, "
                       "version = version + 1 WHERE id = :id AND version = :version",
                       {"now": self.database.timestamp_param(now), "id": place_id,
                        "version": expected_version})
            after = self._locked_place(tx, place_id)
            record_change(self.database, tx, action="retire", layer="places",
                          feature_id=place_id, before=before, after=after, user=user, at=now)
            self.database.mark_changed(tx, "places")
        logger.info("%s retired place %s (%s)", user, place_id, before["name"])
        return after

    def _current(self, tx: Transaction, place_id: str, expected_version: int) -> dict[str, Any]:
        """The place, locked until the transaction ends, if at ``expected_version`` and open."""
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            msg = f"`expected_version` must be an int, got {type(expected_version).__name__}."
            raise TypeError(msg)
        place = self._locked_place(tx, place_id)
        if place["version"] != expected_version:
            raise VersionConflict(place_id, expected_version=expected_version,
                                  current_version=int(place["version"]))
        if place["retired_at"] is not None:
            raise LayerError.single(
                f"place {place_id}", f"{place['name']!r} was retired on "
                f"{place['retired_at']:%Y-%m-%d}; retired places are kept as they were.",
                fix="Add it again as a new place if it has reopened.")
        return place

    # -- imports and exports -------------------------------------------------------------

    def import_places(self, places: gpd.GeoDataFrame, *, user: str,
                      source: str | Path = "import") -> list[str]:
        """
        Add every row of ``places`` as a new place, or none of them.

        Each row gets the next free id, in row order: into an empty store, the config's
        places keep the ids :func:`layers.files.places.load_places` gave them (``p0001`` …); a
        ``place_id`` column is otherwise ignored (an upload adds places, it edits none).

        Parameters
        ----------
        places
            As :func:`layers.files.places.load_places` returns them; only ``name`` is required,
            and ``row``, when present, numbers the rows in messages.
        user
            Who imports (every place gets an ``import`` audit entry).
        source
            The file the rows came from, for messages.

        Returns
        -------
        list of str
            The new places' ids, in row order.

        Raises
        ------
        LayerError
            With every problem of every row, names already in the store and texts longer
            than :data:`layers.fields.schema.MAX_CHARS` allows included, or for more rows
            than ``MAX_ITEMS["import_rows"]``; nothing is stored then.
        """
        user = _check_user(user)
        if not isinstance(places, gpd.GeoDataFrame):
            msg = f"`places` must be a GeoDataFrame, got {type(places).__name__}."
            raise TypeError(msg)
        label = Path(source).name
        too_many = import_rows_problem(len(places), label=label)
        if too_many is not None:
            raise LayerError(too_many)
        if "name" not in places.columns:
            raise LayerError.single(label, "there is no 'name' column.", field="name",
                                    fix="Every place needs a name.")
        try:
            places = to_storage(places)
        except ValueError as exc:
            raise LayerError.single(label, str(exc), fix="Set the CRS of the file.") from None
        rows = [int(r) for r in places["row"]] if "row" in places.columns else \
            list(range(1, len(places) + 1))
        given = [name for name in TEXT_FIELDS if name in places.columns]
        checked: list[tuple[dict[str, str], BaseGeometry | None]] = []
        problems: list[Problem] = []
        for row, values, geometry in zip(rows, places[given].to_dict("records"),
                                         places.geometry, strict=True):
            point = geometry if isinstance(geometry, BaseGeometry) else None
            record, point, row_problems = check_place_fields(
                {}, {**values, "geometry": point}, categories=self.categories,
                extent=self.extent, label=label, row=row)
            checked.append((record, point))
            problems += row_problems
        with self.database.transaction() as tx:
            self._check_schema(tx)
            self.database.lock_table(tx, "places")
            stored = {r["name"]: r["id"] for r in
                      tx.rows("SELECT id, name FROM places WHERE retired_at IS NULL")}
            problems += duplicate_name_problems([r["name"] for r, _ in checked], rows,
                                                stored=stored, label=label)
            if any(p.is_error for p in problems):
                raise LayerError(problems)
            ids = self._next_ids(tx, "places", "p", len(checked))
            now = _now()
            for place_id, (record, point) in zip(ids, checked, strict=True):
                place = self._insert_place(tx, place_id, record, point, now)
                record_change(self.database, tx, action="import", layer="places",
                              feature_id=place_id, before=None, after=place, user=user, at=now)
            self.database.mark_changed(tx, "places")
        logger.info("%s imported %d places from %s into %s", user, len(ids), label,
                    self.database.display_name)
        return ids

    def import_walking_routes(self, routes: gpd.GeoDataFrame, *, user: str,
                              source: str | Path = "import") -> list[str]:
        """
        Add walking routes (as :func:`layers.files.routes.load_walking_routes` gives), all or none.

        Lines are stored as MultiLineStrings (a GPX track may have gaps); ids are ``r0001`` ….

        Raises
        ------
        LayerError
            With every route that has no name or is not a line (nothing is stored).
        """
        user = _check_user(user)
        label = Path(source).name
        routes = to_storage(routes)
        lines, problems = check_route_lines(routes, label=label)
        if problems:
            raise LayerError(problems)
        kinds = routes["kind"] if "kind" in routes.columns else [""] * len(routes)
        database = self.database
        with database.transaction() as tx:
            self._check_schema(tx)
            database.lock_table(tx, "walking_routes")
            ids = self._next_ids(tx, "walking_routes", "r", len(routes))
            now = _now()
            for route_id, name, kind, line in zip(ids, routes["name"], kinds, lines, strict=True):
                record = {"name": str(name).strip(), "kind": str(kind or "").strip(),
                          "source": label}
                tx.execute("INSERT INTO walking_routes (id, name, kind, source, version, "
                           "created_at, updated_at, geom) VALUES (:id, :name, :kind, :source, 1, "
                           f":now, :now, {database.geometry_param('geom')})",
                           {**record, "id": route_id, "now": database.timestamp_param(now),
                            "geom": database.encode_geometry(line)})
                record_change(database, tx, action="import", layer="walking_routes",
                              feature_id=route_id, before=None, user=user, at=now,
                              after={"route_id": route_id, **record, "version": 1,
                                     "geometry": line})
            database.mark_changed(tx, "walking_routes")
        logger.info("%s imported %d walking routes from %s", user, len(ids), label)
        return ids
