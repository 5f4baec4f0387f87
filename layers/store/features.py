"""Features that staff edit (places, walking routes): the one add / edit / retire sequence.

A :class:`FeatureTable` runs every change of one table the same way, in one transaction:

1. the change is checked (a :class:`~layers.errors.LayerError` lists every problem; nothing
   is written then);
2. an edit locks the feature and compares its version with the one the editor read
   (:class:`VersionConflict` when someone saved in between; a retired feature is kept as it
   was);
3. the row is written with the next version and read back;
4. the audit log gets who, when, the action and the feature before and after
   (:func:`layers.store.audit.record_change`), and the data version of the maps moves
   (:meth:`layers.store.database.Database.mark_changed`).

Features are retired (``retired_at``), never deleted. What differs between the tables (the
columns, how a row reads, how a change is checked) is given to the table by its store
(:mod:`layers.store.places`, :mod:`layers.store.routes`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry

from layers.errors import LayerError
from layers.store.audit import record_change
from layers.store.database import Database, Transaction
from layers.store.migrations import MigratedStore

logger = logging.getLogger(__name__)
__all__ = ["TIMESTAMP_COLUMNS", "Checked", "FeatureTable", "PlaceNotFoundError",
           "VersionConflict", "check_user", "next_ids", "utc_now"]

#: When a feature was added, last changed and retired (None while it is open).
TIMESTAMP_COLUMNS = ("created_at", "updated_at", "retired_at")

#: A checked change: the values of the table's columns, and the geometry.
Checked = tuple[Mapping[str, Any], BaseGeometry | None]


class VersionConflict(RuntimeError):  # noqa: N818 (the name the issue uses)
    """Someone else saved the feature after it was read: reload, then edit again."""

    #: What the feature is called in the messages, in Japanese and in English.
    noun_ja = "この居場所"
    noun_en = "Place"

    def __init__(self, place_id: str, *, expected_version: int, current_version: int) -> None:
        self.place_id = place_id
        self.expected_version = expected_version
        self.current_version = current_version
        self.message_ja = (f"{self.noun_ja}は他の人が先に更新しました（版 {expected_version} → "
                           f"{current_version}）。画面を読み込み直してから、もう一度編集して"
                           "ください。")
        self.message_en = (f"{self.noun_en} {place_id} was changed by someone else first "
                           f"(version {expected_version} → {current_version}). Reload it, then "
                           "edit again.")
        super().__init__(f"{self.message_ja}\n{self.message_en}")


class PlaceNotFoundError(LookupError):
    """No place (or route) has this id (retired ones are still found)."""

    def __init__(self, place_id: str, store: str) -> None:
        self.place_id = place_id
        super().__init__(f"There is no place {place_id!r} in {store}. Check the id "
                         "(e.g. p0012); retired places keep theirs.")


def utc_now() -> datetime:
    """Now in UTC, to the millisecond (what a GeoPackage DATETIME keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def check_user(user: str) -> str:
    """
    Who makes a change (recorded in the audit log), stripped; a ``ValueError`` when empty.

    Examples
    --------
    >>> check_user(" sato ")
    'sato'
    """
    if not isinstance(user, str) or not user.strip():
        msg = f"`user` must name who makes the change (e.g. a login), got {user!r}."
        raise ValueError(msg)
    return user.strip()


def next_ids(tx: Transaction, table: str, prefix: str, count: int) -> list[str]:
    """``count`` ids after the highest one of ``table`` (``p0077`` …); lock the table first."""
    numbers = [int(m.group(1)) for row in tx.rows(f"SELECT id FROM {table}")
               if (m := re.fullmatch(rf"{prefix}(\d+)", str(row["id"])))]
    start = max(numbers, default=0) + 1
    return [f"{prefix}{n:04d}" for n in range(start, start + count)]


@dataclass(frozen=True)
class FeatureTable:
    """
    One table of features that staff edit, versioned and audited (see the module notes).

    The table has ``fid``, ``id``, :attr:`columns`, ``version``, :data:`TIMESTAMP_COLUMNS`
    and ``geom``; every SQL statement of the sequence is made from these names (constants of
    the code, never user text).
    """

    #: The store whose database holds the table (its schema is checked before each use).
    store: MigratedStore
    #: The table, also the ``layer`` of its audit entries.
    table: str
    #: Ids are this letter and four digits (``p0012``).
    id_prefix: str
    #: What a feature is called in messages and the log (``place``, ``walking route``).
    noun: str
    #: The columns a change writes (besides ``id``, ``version``, the timestamps and ``geom``).
    columns: tuple[str, ...]
    #: A selected row as the feature (``version``, the timestamps and ``name`` among its keys).
    record: Callable[[Mapping[str, Any]], dict[str, Any]]
    #: Raised when the feature is at another version than the editor read.
    conflict: type[VersionConflict] = VersionConflict
    #: What to do instead of editing a retired feature.
    retired_fix: str = "Add it again as a new place if it has reopened."
    #: Whether the table has a ``geom`` column (records such as participation have none).
    spatial: bool = True

    @property
    def database(self) -> Database:
        return self.store.database

    @property
    def select(self) -> str:
        """``SELECT`` of every column of the table (add ``WHERE`` …)."""
        columns = ", ".join(("id", *self.columns, "version", *TIMESTAMP_COLUMNS))
        geom = f", {self.database.geometry_select('geom')} AS geom" if self.spatial else ""
        return f"SELECT {columns}{geom} FROM {self.table}"

    # -- reading -------------------------------------------------------------------------

    def locked(self, tx: Transaction, feature_id: str, *, lock: bool = True) -> dict[str, Any]:
        """The feature; with ``lock``, no other transaction changes it until this one ends."""
        lock_sql = self.database.for_update if lock else ""
        row = tx.one(f"{self.select} WHERE id = :id{lock_sql}", {"id": feature_id})
        if row is None:
            raise PlaceNotFoundError(feature_id, self.database.display_name)
        return self.record(row)

    def get(self, feature_id: str) -> dict[str, Any]:
        """One feature, retired or not (:class:`PlaceNotFoundError` if no feature has the id)."""
        with self.database.transaction(write=False) as tx:
            self.store.check_schema(tx)
            return self.locked(tx, feature_id, lock=False)

    def rows(self, *, include_retired: bool = False) -> list[dict[str, Any]]:
        """Every feature (the open ones by default), as selected, in the order added."""
        where = "" if include_retired else " WHERE retired_at IS NULL"
        with self.database.transaction(write=False) as tx:
            self.store.check_schema(tx)
            return tx.rows(f"{self.select}{where} ORDER BY fid")

    def current(self, tx: Transaction, feature_id: str, expected_version: int) -> dict[str, Any]:
        """The feature, locked until the transaction ends, if at ``expected_version`` and open."""
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            msg = f"`expected_version` must be an int, got {type(expected_version).__name__}."
            raise TypeError(msg)
        feature = self.locked(tx, feature_id)
        if feature["version"] != expected_version:
            raise self.conflict(feature_id, expected_version=expected_version,
                                current_version=int(feature["version"]))
        if feature["retired_at"] is not None:
            raise LayerError.single(
                f"{self.noun} {feature_id}", f"{feature['name']!r} was retired on "
                f"{feature['retired_at']:%Y-%m-%d}; retired {self.noun}s are kept as they were.",
                fix=self.retired_fix)
        return feature

    # -- writing -------------------------------------------------------------------------

    def insert(self, tx: Transaction, feature_id: str, values: Mapping[str, Any],
               geometry: BaseGeometry | None, now: datetime) -> None:
        """Write a new feature at version 1 (the caller holds the table lock)."""
        database = self.database
        names = ", ".join(self.columns)
        params = ", ".join(f":{name}" for name in self.columns)
        geom_name, geom_param = ((", geom", f", {database.geometry_param('geom')}")
                                 if self.spatial else ("", ""))
        tx.execute(f"INSERT INTO {self.table} (id, {names}, version, created_at, updated_at"
                   f"{geom_name}) VALUES (:id, {params}, 1, :now, :now{geom_param})",
                   {**{name: values[name] for name in self.columns}, "id": feature_id,
                    "now": database.timestamp_param(now),
                    **({"geom": database.encode_geometry(geometry)} if self.spatial else {})})

    def _audited(self, tx: Transaction, *, action: str, feature_id: str,
                 before: Mapping[str, Any] | None, user: str, now: datetime) -> dict[str, Any]:
        """The feature as written, recorded in the audit log."""
        after = self.locked(tx, feature_id)
        record_change(self.database, tx, action=action, layer=self.table,
                      feature_id=feature_id, before=before, after=after, user=user, at=now)
        return after

    def _add(self, *, user: str, action: str,
             check: Callable[[Transaction], list[Checked]]) -> list[tuple[str, dict[str, Any]]]:
        """Add the features ``check(tx)`` gives, all or none, with the next free ids."""
        database = self.database
        with database.transaction() as tx:
            self.store.check_schema(tx)
            database.lock_table(tx, self.table)
            checked = check(tx)
            ids = next_ids(tx, self.table, self.id_prefix, len(checked))
            now = utc_now()
            added = []
            for feature_id, (values, geometry) in zip(ids, checked, strict=True):
                self.insert(tx, feature_id, values, geometry, now)
                added.append((feature_id, self._audited(tx, action=action, feature_id=feature_id,
                                                        before=None, user=user, now=now)))
            database.mark_changed(tx, self.table)
        return added

    def add(self, *, user: str, check: Callable[[Transaction], Checked]) -> dict[str, Any]:
        """
        Add a feature: it gets the next free id and version 1.

        ``check(tx)`` gives the checked values and geometry, or raises
        :class:`~layers.errors.LayerError` with every problem (nothing is stored then).
        """
        user = check_user(user)
        ((feature_id, added),) = self._add(user=user, action="create",
                                           check=lambda tx: [check(tx)])
        logger.info("%s added %s %s (%s)", user, self.noun, feature_id, added["name"])
        return added

    def import_all(self, *, user: str, source: str,
                   check: Callable[[Transaction], list[Checked]]) -> list[str]:
        """
        Add the features of one file, all or none, each with an ``import`` audit entry.

        ``check(tx)`` gives every checked feature in file order, or raises
        :class:`~layers.errors.LayerError` with every problem of every row.
        """
        user = check_user(user)
        ids = [feature_id for feature_id, _ in self._add(user=user, action="import",
                                                          check=check)]
        logger.info("%s imported %d %ss from %s into %s", user, len(ids), self.noun, source,
                    self.database.display_name)
        return ids

    def update(self, feature_id: str, *, expected_version: int, user: str,
               check: Callable[[Transaction, dict[str, Any]], Checked | None]
               ) -> dict[str, Any]:
        """
        Change a feature, unless someone else saved it since ``expected_version``.

        ``check(tx, before)`` gives the checked values and geometry, None when they change
        nothing (the feature is then returned as it is, not saved again), or raises
        :class:`~layers.errors.LayerError`.
        """
        user = check_user(user)
        database = self.database
        with database.transaction() as tx:
            self.store.check_schema(tx)
            before = self.current(tx, feature_id, expected_version)
            checked = check(tx, before)
            if checked is None:
                logger.info("%s saved %s %s without changes", user, self.noun, feature_id)
                return before
            values, geometry = checked
            now = utc_now()
            assignments = ", ".join(f"{name} = :{name}" for name in self.columns)
            geom = f"geom = {database.geometry_param('geom')}, " if self.spatial else ""
            count = tx.execute(
                f"UPDATE {self.table} SET {assignments}, {geom}version = version + 1, "
                "updated_at = :now WHERE id = :id AND version = :version",
                {**{name: values[name] for name in self.columns}, "id": feature_id,
                 "version": expected_version, "now": database.timestamp_param(now),
                 **({"geom": database.encode_geometry(geometry)} if self.spatial else {})})
            if count != 1:  # the row lock rules this out; never overwrite regardless
                raise self.conflict(feature_id, expected_version=expected_version,
                                    current_version=expected_version + 1)
            after = self._audited(tx, action="update", feature_id=feature_id, before=before,
                                  user=user, now=now)
            database.mark_changed(tx, self.table)
        logger.info("%s updated %s %s to version %d", user, self.noun, feature_id,
                    after["version"])
        return after

    def retire(self, feature_id: str, *, expected_version: int, user: str) -> dict[str, Any]:
        """Retire a feature: it leaves the maps and lists, but stays with its history."""
        user = check_user(user)
        with self.database.transaction() as tx:
            self.store.check_schema(tx)
            before = self.current(tx, feature_id, expected_version)
            now = utc_now()
            tx.execute(f"UPDATE {self.table} SET retired_at = :now, updated_at = :now, "
                       "version = version + 1 WHERE id = :id AND version = :version",
                       {"now": self.database.timestamp_param(now), "id": feature_id,
                        "version": expected_version})
            after = self._audited(tx, action="retire", feature_id=feature_id, before=before,
                                  user=user, now=now)
            self.database.mark_changed(tx, self.table)
        logger.info("%s retired %s %s (%s)", user, self.noun, feature_id, before["name"])
        return after
