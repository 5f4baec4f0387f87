"""Participation records in the places database: checked, versioned and audited like places.

One record is one place's month (:mod:`layers.fields.participation` has its fields and
checks). Records live in the ``participation`` table (migration 6) and every change runs the
sequence of every feature staff edit (:class:`layers.store.features.FeatureTable`): checked
first (a :class:`~layers.errors.LayerError` lists every problem by row and field; nothing is
stored then), a version check on edits, an audit entry with before and after, retired never
deleted. A place has at most one open record per month: a second one is refused with the id
of the first, to be edited instead. An import stores every row of its file, or none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from layers.errors import LayerError, Problem
from layers.fields.participation import PARTICIPATION_FIELDS, check_participation
from layers.fields.schedule import japan_today
from layers.fields.schema import import_rows_problem
from layers.store.database import Transaction
from layers.store.features import (
    TIMESTAMP_COLUMNS,
    Checked,
    FeatureTable,
    VersionConflict,
    check_user,
)
from layers.store.places import PlaceStore

__all__ = [
    "RECORD_COLUMNS",
    "ParticipationVersionConflict",
    "add_participation",
    "check_participation_rows",
    "import_participation",
    "participation_record",
    "participation_records",
    "participation_stamp",
    "participation_table",
    "preview_participation",
    "retire_participation",
    "update_participation",
]

#: The columns of :func:`participation_records`.
RECORD_COLUMNS = ("record_id", *PARTICIPATION_FIELDS, "version", "updated_at")


class ParticipationVersionConflict(VersionConflict):
    """Someone else saved the record after it was read."""

    noun_ja = "この参加記録"
    noun_en = "Participation record"


def _record(store: PlaceStore, row: Mapping[str, Any]) -> dict[str, Any]:
    record = {("record_id" if key == "id" else key): value for key, value in row.items()}
    for key in TIMESTAMP_COLUMNS:
        record[key] = store.database.timestamp_value(record[key])
    for key in ("participants", "sessions", "version"):
        record[key] = int(record[key])
    aged = record["participants_65"]
    record["participants_65"] = None if aged is None else int(aged)
    record["name"] = f"{record['place_id']} {record['month']}"  # for the log and messages
    return record


def participation_table(store: PlaceStore) -> FeatureTable:
    """The participation records of the places database (ids ``m0001`` …), without geometry."""
    return FeatureTable(store, table="participation", id_prefix="m",
                        noun="participation record", columns=PARTICIPATION_FIELDS,
                        record=lambda row: _record(store, row),
                        conflict=ParticipationVersionConflict,
                        retired_fix="Record the month again as a new record.", spatial=False)


def participation_record(store: PlaceStore, record_id: str) -> dict[str, Any]:
    """One record (retired or not): ``record_id``, the fields, ``version``, the timestamps."""
    return participation_table(store).get(record_id)


def participation_records(store: PlaceStore, *, include_retired: bool = False) -> pd.DataFrame:
    """
    Every record, in the order added, with :data:`RECORD_COLUMNS`.

    ``participants_65`` is a nullable integer (``<NA>`` where not known).
    """
    records = [_record(store, row) for row in
               participation_table(store).rows(include_retired=include_retired)]
    frame = pd.DataFrame.from_records([{k: r[k] for k in RECORD_COLUMNS} for r in records],
                                      columns=list(RECORD_COLUMNS))
    for column in ("participants", "participants_65", "sessions", "version"):
        frame[column] = frame[column].astype("Int64")
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True)
    return frame


def participation_stamp(store: PlaceStore) -> tuple[int, str]:
    """
    What changes with every change of the records: their number and latest change.

    Records are not map rows (a change does not redraw the maps); pages that show figures
    keep them under this stamp, one indexed read.
    """
    with store.database.transaction(write=False) as tx:
        store.check_schema(tx)
        row = tx.one("SELECT COUNT(*) AS n, MAX(updated_at) AS latest FROM participation")
    assert row is not None
    return int(row["n"]), str(row["latest"] or "")


def _open_places(tx: Transaction) -> dict[str, int | None]:
    """Open places: id → capacity (None when unknown)."""
    return {str(row["id"]): None if row["capacity"] is None else int(row["capacity"])
            for row in tx.rows("SELECT id, capacity FROM places WHERE retired_at IS NULL")}


def _taken(tx: Transaction, *, but: str = "") -> dict[tuple[str, str], str]:
    """(place, month) → id of the open record for it (but record ``but``)."""
    return {(str(row["place_id"]), str(row["month"])): str(row["id"]) for row in
            tx.rows("SELECT id, place_id, month FROM participation WHERE retired_at IS NULL "
                    "AND id <> :but", {"but": but})}


def _duplicate(record: Mapping[str, Any], taken: Mapping[tuple[str, str], str], *,
               label: str, row: int | None) -> Problem | None:
    key = (record["place_id"], record["month"])
    if key not in taken:
        return None
    first = taken[key]
    where = f"{first}" if first.startswith("m") else f"row {first}"
    return Problem(label, f"月: {record['place_id']} の {record['month']} の記録はすでにあります"
                          f"（{where}）（a record of this place and month exists）。", row=row,
                   field="month", fix=f"{where} を編集してください。Edit {where} instead, or "
                                      "check the month.")


def _checked(tx: Transaction, values: Mapping[str, Any], *, today: dt.date, label: str,
             but: str = "") -> dict[str, Any]:
    record, problems = check_participation(values, places=_open_places(tx), today=today,
                                           label=label)
    if not problems:
        duplicate = _duplicate(record, _taken(tx, but=but), label=label, row=None)
        if duplicate is not None:
            problems.append(duplicate)
    if problems:
        raise LayerError(problems)
    return record


def add_participation(store: PlaceStore, values: Mapping[str, Any], *, user: str,
                      today: dt.date | None = None) -> dict[str, Any]:
    """
    Add one place's month; it gets the next free id (``m0001`` …) and version 1.

    Parameters
    ----------
    store
        The places database.
    values
        Keys from :data:`layers.fields.participation.PARTICIPATION_FIELDS`.
    user
        Who records it (in the audit log).
    today
        The day in Japan (default: today); later months are refused.

    Raises
    ------
    LayerError
        With every problem of ``values``
        (:func:`~layers.fields.participation.check_participation`), or a record of the place
        and month that exists already; nothing is stored then.
    """
    day = today or japan_today()

    def check(tx: Transaction) -> Checked:
        return _checked(tx, values, today=day, label="form"), None

    return participation_table(store).add(user=user, check=check)


def update_participation(store: PlaceStore, record_id: str, changes: Mapping[str, Any], *,
                         expected_version: int, user: str,
                         today: dt.date | None = None) -> dict[str, Any]:
    """
    Change a record, unless someone else saved it since ``expected_version``.

    Raises
    ------
    ParticipationVersionConflict
        If the record is at another version now (nothing is stored).
    LayerError
        With every problem of the changed record, or if it is retired.
    PlaceNotFoundError
        If no record has this id.
    """
    day = today or japan_today()

    def check(tx: Transaction, before: dict[str, Any]) -> Checked | None:
        values = {**{k: before[k] for k in PARTICIPATION_FIELDS}, **changes}
        record = _checked(tx, values, today=day, label=f"record {record_id}", but=record_id)
        if all(record[k] == before[k] for k in PARTICIPATION_FIELDS):
            return None
        return record, None

    return participation_table(store).update(record_id, expected_version=expected_version,
                                             user=user, check=check)


def retire_participation(store: PlaceStore, record_id: str, *, expected_version: int,
                         user: str) -> dict[str, Any]:
    """Retire a record (entered by mistake): it leaves the figures but keeps its history."""
    return participation_table(store).retire(record_id, expected_version=expected_version,
                                             user=user)


def check_participation_rows(tx: Transaction, rows: Sequence[Mapping[str, Any]], *,
                             label: str, today: dt.date) -> tuple[list[dict[str, Any]],
                                                                  list[Problem]]:
    """
    Every row of a file checked against the open places and records: the records, and every
    problem (by row and field; a place's month twice in the file or already stored too).

    Each row's ``row`` key numbers it in messages (default: its position from 1).
    """
    places = _open_places(tx)
    taken: dict[tuple[str, str], str] = dict(_taken(tx))
    records, problems = [], []
    for position, values in enumerate(rows, start=1):
        row = int(values.get("row", position))
        fields = {k: v for k, v in values.items() if k != "row"}
        record, found = check_participation(fields, places=places, today=today, label=label,
                                            row=row)
        if not found and record["month"]:
            duplicate = _duplicate(record, taken, label=label, row=row)
            if duplicate is not None:
                found.append(duplicate)
            else:
                taken[(record["place_id"], record["month"])] = str(row)
        records.append(record)
        problems += found
    return records, problems


def preview_participation(store: PlaceStore, rows: Sequence[Mapping[str, Any]], *,
                          source: str, today: dt.date | None = None) -> list[Problem]:
    """Every problem importing ``rows`` would meet (:func:`check_participation_rows`); stores
    nothing. More rows than ``MAX_ITEMS["import_rows"]`` is one problem for the file."""
    too_many = import_rows_problem(len(rows), label=source)
    if too_many is not None:
        return [too_many]
    with store.database.transaction(write=False) as tx:
        store.check_schema(tx)
        return check_participation_rows(tx, rows, label=source,
                                        today=today or japan_today())[1]


def import_participation(store: PlaceStore, rows: Sequence[Mapping[str, Any]], *, user: str,
                         source: str = "import", today: dt.date | None = None) -> list[str]:
    """
    Add every row as a record, or none: each gets an ``import`` audit entry.

    Parameters
    ----------
    rows
        One mapping per row, with the fields and ``row`` (its line in the file).
    source
        The file's name as its sender knows it, for messages.

    Raises
    ------
    LayerError
        With every problem of every row, or for more rows than ``MAX_ITEMS["import_rows"]``;
        nothing is stored then.
    """
    user = check_user(user)
    day = today or japan_today()
    too_many = import_rows_problem(len(rows), label=source)
    if too_many is not None:
        raise LayerError(too_many)

    def check(tx: Transaction) -> list[Checked]:
        records, problems = check_participation_rows(tx, rows, label=source, today=day)
        if problems:
            raise LayerError(problems)
        return [(record, None) for record in records]

    return participation_table(store).import_all(user=user, source=source, check=check)
