"""Places in a database that staff edit: checked, versioned and audited.

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

The sequence of a change is the one of every feature staff edit
(:class:`layers.store.features.FeatureTable`); walking routes are in :mod:`layers.store.routes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.crs import STORAGE_CRS, to_storage
from layers.config import DEFAULT_CATEGORIES
from layers.errors import LayerError, Problem
from layers.fields.schema import (
    PLACE_COLUMNS,
    PLACE_NUMBER_COLUMNS,
    TEXT_FIELDS,
    check_place_fields,
    duplicate_name_problems,
    import_rows_problem,
    point_of,
    position_quality,
    same_position,
)
from layers.files.points import StudyExtent
from layers.store.audit import read_audit
from layers.store.database import Database, Transaction, open_database
from layers.store.features import TIMESTAMP_COLUMNS, Checked, FeatureTable, check_user
from layers.store.migrations import MigratedStore

__all__ = ["PlaceStore", "open_store"]

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


class PlaceStore(MigratedStore):
    """
    Places in one database (walking routes too: :mod:`layers.store.routes`), with
    validation, versions and an audit log.

    Use :func:`open_store`. Every method opens its own transaction, so one store may be
    shared by the threads of a web server. Adding, changing and retiring a place is the
    sequence of :class:`~layers.store.features.FeatureTable` (:attr:`place_table`).
    """

    def __init__(self, database: Database, *, categories: Sequence[str] = DEFAULT_CATEGORIES,
                 extent: StudyExtent | None = None) -> None:
        super().__init__(database)
        self.categories = tuple(categories)
        self.extent = extent
        #: The places table: the columns of :data:`layers.fields.schema.PLACE_COLUMNS` and
        #: ``PLACE_NUMBER_COLUMNS`` (the capacity, migration 6).
        self.place_table = FeatureTable(self, table="places", id_prefix="p", noun="place",
                                        columns=(*PLACE_COLUMNS[1:], *PLACE_NUMBER_COLUMNS),
                                        record=self._record)

    # -- reading -------------------------------------------------------------------------

    def _record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        record = {("place_id" if key == "id" else key): value for key, value in row.items()
                  if key != "geom"}
        for key in TIMESTAMP_COLUMNS:
            record[key] = self.database.timestamp_value(record[key])
        record["capacity"] = None if record["capacity"] is None else int(record["capacity"])
        geometry = self.database.decode_geometry(row["geom"])
        record["lon"] = None if geometry is None else geometry.x
        record["lat"] = None if geometry is None else geometry.y
        return record

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
        return self.place_table.get(place_id)

    def places(self, *, include_retired: bool = False) -> gpd.GeoDataFrame:
        """
        The places in the order they were added, like :func:`layers.files.places.load_places`.

        Returns
        -------
        GeoDataFrame
            :data:`layers.fields.schema.PLACE_COLUMNS` and ``row`` (the 1-based position in
            this frame), plus ``capacity`` (nullable Int64), ``version``, ``updated_at`` and
            ``retired_at``; the geometry in
            ``STORAGE_CRS``, None where the position is unknown.
        """
        rows = self.place_table.rows(include_retired=include_retired)
        columns = [*PLACE_COLUMNS, "row", *PLACE_NUMBER_COLUMNS, "version", "updated_at",
                   "retired_at"]
        frame = pd.DataFrame.from_records([self._record(row) for row in rows], columns=columns)
        frame["row"] = range(1, len(frame) + 1)
        frame["capacity"] = frame["capacity"].astype("Int64")
        frame["version"] = frame["version"].astype("int64")
        for column in ("updated_at", "retired_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
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
            self.check_schema(tx)
            return read_audit(self.database, tx, layer=layer, feature_id=place_id)

    # -- editing -------------------------------------------------------------------------

    def _checked(self, tx: Transaction, base: Mapping[str, Any], changes: Mapping[str, Any],
                 *, label: str, place_id: str = "") -> tuple[dict[str, Any], BaseGeometry | None]:
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
        return _stored(record, geometry), geometry

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
        return self.place_table.add(
            user=user, check=lambda tx: self._checked(tx, {}, fields, label="new place"))

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
        def check(tx: Transaction, before: dict[str, Any]) -> Checked | None:
            position = point_of(before)
            values, geometry = self._checked(tx, {**before, "geometry": position}, changes,
                                             label=f"place {place_id}", place_id=place_id)
            unchanged = all(values[name] == before[name]
                            for name in (*TEXT_FIELDS, *PLACE_NUMBER_COLUMNS))
            return None if unchanged and same_position(geometry, position) else (values,
                                                                                 geometry)

        return self.place_table.update(place_id, expected_version=expected_version, user=user,
                                       check=check)

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
        return self.place_table.retire(place_id, expected_version=expected_version, user=user)

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
        user = check_user(user)
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
        given = [name for name in (*TEXT_FIELDS, *PLACE_NUMBER_COLUMNS)
                 if name in places.columns]
        checked: list[tuple[dict[str, Any], BaseGeometry | None]] = []
        problems: list[Problem] = []
        for row, values, geometry in zip(rows, places[given].to_dict("records"),
                                         places.geometry, strict=True):
            point = geometry if isinstance(geometry, BaseGeometry) else None
            record, point, row_problems = check_place_fields(
                {}, {**values, "geometry": point}, categories=self.categories,
                extent=self.extent, label=label, row=row)
            checked.append((record, point))
            problems += row_problems

        def check(tx: Transaction) -> list[Checked]:
            stored = {r["name"]: r["id"] for r in
                      tx.rows("SELECT id, name FROM places WHERE retired_at IS NULL")}
            found = problems + duplicate_name_problems([r["name"] for r, _ in checked], rows,
                                                       stored=stored, label=label)
            if any(p.is_error for p in found):
                raise LayerError(found)
            return [(_stored(record, point), point) for record, point in checked]

        return self.place_table.import_all(user=user, source=label, check=check)


def _stored(record: Mapping[str, Any], geometry: BaseGeometry | None) -> dict[str, Any]:
    """The columns stored of a checked place: its texts, capacity and how good its position
    is."""
    return {**record, "position_quality": position_quality(record["position_source"], geometry)}
