"""Files of participation records: read an uploaded CSV, write the exports (the file work only).

An upload is a CSV as Excel saves it (UTF-8, UTF-8 with BOM or CP932) with a header row; the
columns are named as the export names them (``place_id``, ``month``, ``participants``,
``participants_65``, ``sessions``, ``activity``, ``frequency``) or in Japanese
(:data:`JAPANESE_HEADERS`: 居場所ID, 月, 参加者数 …); other columns (the place's name in an
export) are read past. Rows are numbered as a spreadsheet shows them (the header is row 1).
Checking the rows against the store is :mod:`layers.store.participation`.

Every CSV written passes its cells through :func:`layers.files.place_files.spreadsheet_cell`,
so that no cell runs as a formula, and is written atomically.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from layers.errors import LayerError, Problem
from layers.fields.participation import PARTICIPATION_FIELDS
from layers.fields.schema import MAX_ITEMS
from layers.files.atomic import atomic_path
from layers.files.place_files import spreadsheet_cell

logger = logging.getLogger(__name__)
__all__ = ["JAPANESE_HEADERS", "REPORT_HEADERS", "read_participation_csv",
           "write_participation_csv", "write_table_csv"]

#: Japanese headers accepted for each field (the export writes the English ones).
JAPANESE_HEADERS = {"居場所ID": "place_id", "月": "month", "年月": "month",
                    "参加者数": "participants", "参加実人数": "participants",
                    "うち65歳以上": "participants_65", "65歳以上": "participants_65",
                    "開催回数": "sessions", "主な活動": "activity", "活動": "activity",
                    "開催頻度": "frequency", "頻度": "frequency"}

#: The columns of the city's yearly report on 通いの場 (one row per place), in Japanese.
REPORT_HEADERS = {"fiscal_year": "年度", "district": "地区", "name": "通いの場の名称",
                  "activity": "主な活動内容", "frequency": "開催頻度",
                  "participants": "参加実人数", "participants_65": "うち65歳以上",
                  "sessions": "開催回数（年）"}

#: The most bytes of an uploaded CSV read (the app refuses bigger bodies before).
_MAX_BYTES = 5 * 1024 * 1024


def _decode(raw: bytes, *, name: str) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LayerError.single(name, "the file is neither UTF-8 nor Shift_JIS (CP932) text.",
                            fix="Save it from Excel as 「CSV UTF-8（コンマ区切り）」.")


def read_participation_csv(path: str | Path, *, name: str | None = None
                           ) -> list[dict[str, Any]]:
    """
    The rows of an uploaded CSV of participation records, as texts, each with its ``row``.

    Parameters
    ----------
    path
        The file (where the server keeps it).
    name
        The file's name as its sender knows it, for messages (default ``path.name``).

    Raises
    ------
    LayerError
        The file cannot be read as a table (encoding, no header, a missing column, more rows
        than ``MAX_ITEMS["import_rows"]``); every row's own problems are checked later.
    """
    path = Path(path)
    shown = name or path.name
    raw = path.read_bytes()[:_MAX_BYTES + 1]
    if len(raw) > _MAX_BYTES:
        raise LayerError.single(shown, "the file is larger than 5 MB.",
                                fix="Split it and import the parts one after another.")
    try:
        return _rows(csv.reader(io.StringIO(_decode(raw, name=shown), newline="")), shown)
    except csv.Error as exc:  # e.g. a field longer than the csv module reads
        raise LayerError.single(
            shown, f"the file cannot be read as CSV ({exc}).",
            fix="Save it from Excel as 「CSV UTF-8（コンマ区切り）」.") from None


def _rows(reader: Any, shown: str) -> list[dict[str, Any]]:
    """The rows of an open CSV reader (see :func:`read_participation_csv`)."""
    header = next(reader, None)
    if not header:
        raise LayerError.single(shown, "the file is empty (no header row).",
                                fix="The first row names the columns: "
                                    f"{', '.join(PARTICIPATION_FIELDS)}.")
    columns = [JAPANESE_HEADERS.get(h.strip(), h.strip()) for h in header]
    missing = [f for f in PARTICIPATION_FIELDS if f not in columns and f != "participants_65"]
    if missing:
        raise LayerError([Problem(shown, "there is no such column.", row=1, field=f,
                                  fix=f"Add the column {f!r} (or its Japanese name).")
                          for f in missing])
    limit = MAX_ITEMS["import_rows"]
    rows: list[dict[str, Any]] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # an empty line, as Excel leaves at the end
        if len(rows) >= limit:
            raise LayerError.single(shown, f"{limit:,}行を超えています（more than {limit:,} "
                                    "rows）。", fix="ファイルを分けて取り込んでください。Split "
                                    "the file and import the parts one after another.")
        values = dict(zip(columns, cells, strict=False))
        rows.append({"row": number, **{f: values.get(f, "") for f in PARTICIPATION_FIELDS}})
    logger.info("Read %d participation rows from %s", len(rows), shown)
    return rows


def write_table_csv(table: pd.DataFrame, out: str | Path, *,
                    headers: dict[str, str] | None = None) -> Path:
    """
    Write ``table`` as a CSV for Excel (UTF-8 with BOM, CRLF), atomically; every cell passes
    :func:`~layers.files.place_files.spreadsheet_cell`; ``headers`` renames columns.
    """
    out = Path(out)
    shown = table.rename(columns=headers or {}).astype(object)
    shown = shown.where(shown.notna(), "").map(spreadsheet_cell)
    with atomic_path(out) as tmp:
        shown.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return out


def write_participation_csv(records: pd.DataFrame, names: dict[str, str],
                            out: str | Path) -> Path:
    """
    The records as a CSV that :func:`read_participation_csv` reads back: ``record_id``,
    ``place_id``, ``name`` (the place's, for people; read past on import) and the fields.
    """
    table = records[["record_id", *PARTICIPATION_FIELDS]].copy()
    table.insert(2, "name", [names.get(p, "") for p in table["place_id"]])
    return write_table_csv(table, out)

