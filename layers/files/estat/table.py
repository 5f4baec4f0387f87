"""e-Stat 統計GIS tables (``tblT….txt``) as downloaded: plain, zipped, or a folder of them.

The layout, for 地域メッシュ統計 and 小地域 alike::

    KEY_CODE,HTKSYORI,HTKSAKI,GASSAN,T001142001,T001142002,…     ← the codes of the columns
    ,,,,　人口（総数）,　人口（総数）　男,…                          ← Japanese labels
    5439308032,0,,,64,33,…
    5439308033,2,5439308034,,3,1,*,*,…                            ← hidden (秘匿) values
    5439308034,1,,5439308033,57,27,…

Shift_JIS (CP932), comma-separated, CRLF, unquoted. ``-`` means none (0) and ``*`` (``X``
in some 小地域 tables) a value hidden for privacy and counted in another area
(:mod:`layers.files.estat.secrecy`). Rows before the code row (a title, as some downloads
have) are skipped; the label row is optional. Nothing here changes a file: reading is all.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from layers.errors import LayerError, Problem, Severity
from layers.files.bands import AGE_BANDS, COUNT_COLUMNS, capped

logger = logging.getLogger(__name__)
__all__ = ["DEFAULT_LABELS", "HIDDEN_MARKS", "SECRECY_COLUMNS", "TABLE_SUFFIXES", "ZERO_MARKS",
           "CountTable", "EstatText", "ParsedCounts", "band_columns", "column_names",
           "describe_columns", "open_estat_texts", "parse_counts", "read_counts"]

#: The files a download may be: the text table itself, or e-Stat's zip around it.
TABLE_SUFFIXES = (".txt", ".csv")

#: A value hidden for privacy (秘匿): its people are counted in the area named by HTKSAKI.
HIDDEN_MARKS = frozenset({"*", "＊", "X", "x", "Ｘ"})

#: No one (該当数字なし).
ZERO_MARKS = frozenset({"-", "－", "‐"})

#: The 秘匿処理 columns: how a row is hidden, where its counts went, what was merged into it.
SECRECY_COLUMNS = ("HTKSYORI", "HTKSAKI", "GASSAN")

#: How e-Stat labels the count columns ibasho uses, compared after NFKC normalisation and
#: without spaces. Confirmed on the 2020 census files: 地域メッシュ統計「人口及び世帯」
#: (T001140 1 km, T001141 500 m, T001142 250 m: ``…001`` 人口（総数）, ``…019`` ６５歳以上人口
#: 総数, ``…022`` ７５歳以上, ``…025`` ８５歳以上) and 小地域「年齢（５歳階級、４区分）別、
#: 男女別人口」 (T001082: ``001`` 総数、年齢「不詳」含む, ``019`` 総数６５歳以上, ``020``
#: 総数７５歳以上); 2015 (T000847) labels its total 人口総数.
DEFAULT_LABELS: dict[str, tuple[str, ...]] = {
    "total": ("人口総数", "人口(総数)", "総数、年齢「不詳」含む", "総数,年齢「不詳」含む"),
    "age65": ("65歳以上人口総数", "総数65歳以上"),
    "age75": ("75歳以上人口総数", "総数75歳以上"),
    "age85": ("85歳以上人口総数", "総数85歳以上"),
}

#: How many lines may come before the code row (titles of some downloads).
_MAX_PREAMBLE_LINES = 30

_DOWNLOAD_AGAIN = ("Use the file exactly as downloaded from e-Stat (統計GIS); if it was opened "
                   "and saved in another program, download it again.")


def _normalised(label: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", label))


@dataclass(frozen=True)
class EstatText:
    """One decoded e-Stat table: its code row, its labels and where its records start."""

    #: The file, or ``zip/member`` for a table inside a zip (messages show the member's name).
    path: Path
    text: str = field(repr=False)
    #: The code row (``KEY_CODE``, ``HTKSYORI``, …, ``T001142001``, …).
    columns: tuple[str, ...]
    #: Code → its Japanese label ('' when the file has no label row).
    labels: dict[str, str]
    #: The line (1-based, as a text editor counts) of the first record.
    first_row: int

    def cells(self, columns: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
        """
        The records' ``columns`` as stripped text, and the line of each record.

        Blank lines are dropped; the lines of the others stay as in the file.
        """
        positions = [self.columns.index(c) for c in columns]
        frame = pd.read_csv(io.StringIO(self.text), header=None, skiprows=self.first_row - 1,
                            usecols=positions, dtype=str, na_filter=False,
                            skip_blank_lines=False, engine="c")
        frame = frame[positions]
        frame.columns = list(columns)
        rows = np.arange(self.first_row, self.first_row + len(frame))
        blank = np.ones(len(frame), dtype=bool)
        for column in columns:
            stripped = np.char.strip(frame[column].to_numpy(dtype=str))
            blank &= stripped == ""
            frame[column] = stripped
        if blank.any():
            frame, rows = frame[~blank].reset_index(drop=True), rows[~blank]
        return frame, rows


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LayerError.single(path, "the file is UTF-16 (「Unicode テキスト」), not the "
                                      "Shift_JIS text e-Stat publishes.", fix=_DOWNLOAD_AGAIN)
    try:
        return data.decode("utf-8-sig")  # e.g. re-saved as 「CSV UTF-8」: the same table
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        index = data.count(b",", line_start, exc.start)
        header = data.split(b"\n", 1)[0].decode("cp932", errors="replace").split(",")
        column = header[index].strip() if index < len(header) and row > 1 else None
        bad = data[exc.start:exc.start + 2].hex(" ")
        raise LayerError.single(
            path, f"the bytes {bad} are neither Shift_JIS (CP932) nor UTF-8 text: the file "
                  "has another encoding or is damaged.", row=row, field=column,
            fix=_DOWNLOAD_AGAIN) from None


def _split(line: str) -> list[str]:
    return [cell.strip().strip('"').strip() for cell in line.rstrip("\r").split(",")]


def _header(path: Path, text: str) -> EstatText:
    lines = text.split("\n", _MAX_PREAMBLE_LINES + 2)[:_MAX_PREAMBLE_LINES + 2]
    index = next((i for i, line in enumerate(lines[:_MAX_PREAMBLE_LINES + 1])
                  if _split(line)[0].lstrip("\ufeff").upper() == "KEY_CODE"), None)
    if index is None:
        first = next((line.strip() for line in lines if line.strip()), "")
        raise LayerError.single(
            path, "the row of column codes (KEY_CODE, HTKSYORI, HTKSAKI, GASSAN, T…) is "
                  f"missing: the file starts with 「{first[:60]}」.", row=1, field="KEY_CODE",
            fix="e-Stat's tables start with that row, then a row of Japanese labels. "
                + _DOWNLOAD_AGAIN)
    codes = _split(lines[index])
    codes[0] = "KEY_CODE"
    first_row = index + 2
    labels = dict.fromkeys(codes, "")
    if index + 1 < len(lines):
        label_cells = _split(lines[index + 1])
        if label_cells[0] == "":  # the label row leaves the code columns empty
            labels = {code: label_cells[i] if i < len(label_cells) else ""
                      for i, code in enumerate(codes)}
            first_row += 1
    duplicated = sorted({c for c in codes if codes.count(c) > 1 and c})
    if duplicated:
        raise LayerError.single(path, f"the code row names {', '.join(duplicated)} twice.",
                                row=index + 1, field=duplicated[0], fix=_DOWNLOAD_AGAIN)
    return EstatText(path=path, text=text, columns=tuple(codes), labels=labels,
                     first_row=first_row)


def _read_member(path: Path, archive: zipfile.ZipFile, name: str) -> EstatText:
    member = path / name
    return _header(member, _decode(member, archive.read(name)))


def open_estat_texts(path: Path) -> list[EstatText]:
    """
    Every e-Stat table at ``path``: a ``.txt``/``.csv`` file, a ``.zip`` as e-Stat serves it
    (its ``.txt``/``.csv`` members), or a folder of those (read in name order).

    Raises
    ------
    LayerError
        For an empty file, a zip without a table, an encoding that is neither Shift_JIS nor
        UTF-8 (naming the row and column of the first bad byte), or no row of codes.
    """
    if path.is_dir():
        found = sorted(p for p in path.iterdir()
                       if p.suffix.lower() in (*TABLE_SUFFIXES, ".zip") and p.is_file())
        if not found:
            raise LayerError.single(path, "the folder holds no e-Stat table (.txt, .csv or "
                                          ".zip).", fix="Put the downloaded files in it.")
        return [text for file in found for text in open_estat_texts(file)]
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = sorted(n for n in archive.namelist()
                               if Path(n).suffix.lower() in TABLE_SUFFIXES
                               and not n.endswith("/"))
                if not names:
                    raise LayerError.single(path, "the zip holds no table (.txt or .csv).",
                                            fix=_DOWNLOAD_AGAIN)
                return [_read_member(path, archive, name) for name in names]
        except zipfile.BadZipFile:
            raise LayerError.single(path, "this is not a readable zip file.",
                                    fix=_DOWNLOAD_AGAIN) from None
    data = path.read_bytes()
    if not data.strip():
        raise LayerError.single(path, "the file is empty.", fix=_DOWNLOAD_AGAIN)
    return [_header(path, _decode(path, data))]


def describe_columns(table: EstatText, limit: int = 12) -> str:
    """The table's count columns with their labels, for messages: ``T001142001 (人口（総数）)``."""
    shown = [f"{c} ({table.labels[c]})" if table.labels.get(c) else c
             for c in table.columns if c != "KEY_CODE" and c not in SECRECY_COLUMNS]
    more = f" … ({len(shown) - limit} more)" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


def _code_row(table: EstatText) -> int:
    return table.first_row - (2 if any(table.labels.values()) else 1)


def _named_columns(value: Any) -> tuple[str, ...]:
    """The column(s) a ``fields`` value names: one code, or a list whose columns are summed."""
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value)
    return (str(value).strip(),)


def band_columns(table: EstatText, fields: Mapping[str, Any], *,
                 bands: Sequence[str] = COUNT_COLUMNS,
                 ) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """
    The column(s) of each count ``bands`` the table gives: as ``fields`` names them, else by
    label.

    A band that ``fields`` names (a code, or a list of codes to add up, e.g. the five-year age
    groups of 65–69 … 95+) must be columns of the table (an error otherwise, listing the
    columns the table has). A band ``fields`` does not name is found by its e-Stat label
    (:data:`DEFAULT_LABELS`); ``total`` must be found one way or the other. A table in which
    no age band is found says so in a warning.

    Returns
    -------
    (dict, list of Problem)
        Band → column codes, and the problems found.
    """
    chosen: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    by_label = {_normalised(label): code for code, label in table.labels.items() if label}
    for band in bands:
        if band in fields:
            codes = _named_columns(fields[band])
            missing = [code for code in codes if code not in table.columns]
            if codes and not missing:
                chosen[band] = codes
            for code in missing or ([] if codes else [""]):
                prefix = re.match(r"T\d{6}", code)
                guess = [c for c in table.columns
                         if prefix and c.startswith("T") and c[7:] == code[7:]]
                hint = (f" Did you mean {guess[0]!r} ({table.labels.get(guess[0], '')})? It "
                        "is the same column of the table this file holds." if guess else "")
                problems.append(Problem(
                    table.path, f"there is no column {code!r} (fields.{band} in the config).",
                    row=_code_row(table), field=code,
                    fix=f"Columns found: {describe_columns(table)}.{hint}"))
            continue
        for label in DEFAULT_LABELS.get(band, ()):
            if label in by_label:
                chosen[band] = (by_label[label],)
                break
    if "total" in bands and "total" not in chosen and "total" not in fields:
        problems.append(Problem(
            table.path, "no column of the total population: the file has no column labelled "
                        "人口総数 or 人口（総数）.", row=_code_row(table), field="fields.total",
            fix="Name it in the config: fields = { total = \"T…001\", age65 = \"…\" }. "
                f"Columns found: {describe_columns(table)}."))
    if "total" in chosen and not any(band in chosen for band in AGE_BANDS):
        problems.append(Problem(
            table.path, "no column of 65+, 75+ or 85+ was found (by the labels ６５歳以上人口 "
                        "総数 …): the layer counts everyone, not older residents.",
            row=_code_row(table), field="fields.age65", severity=Severity.WARNING,
            fix="Name the columns in the config, e.g. fields = { age65 = \"T…019\" }; a list "
                "is added up: age65 = [\"…\", \"…\"] for five-year groups 65–69, 70–74 …. "
                f"Columns found: {describe_columns(table)}."))
    return chosen, problems


def column_names(columns: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Band → its column(s) as messages name them: ``T001196043+T001196046`` for a sum."""
    return {band: "+".join(codes) for band, codes in columns.items()}


@dataclass(frozen=True)
class CountTable:
    """The records of one or more e-Stat tables: keys, 秘匿処理 columns and counts per band."""

    #: ``KEY_CODE``, ``HTKSYORI``, ``HTKSAKI``, ``GASSAN`` ('' where the table has none) and
    #: the ``extra`` columns asked for, as text.
    cells: pd.DataFrame
    #: The file and the row of each record, for messages.
    paths: np.ndarray
    rows: np.ndarray
    #: Band → the column(s) it was read from.
    columns: dict[str, tuple[str, ...]]
    #: Band → counts (NaN where hidden), and where they were hidden (``*``).
    values: dict[str, np.ndarray]
    hidden: dict[str, np.ndarray]


def read_counts(path: Path, fields: Mapping[str, Any], *,
                extra: Sequence[str] = ()) -> tuple[CountTable, list[Problem]]:
    """
    Read every e-Stat table at ``path`` (:func:`open_estat_texts`): its counts per band.

    All tables must have the same columns for the bands (one table, perhaps in several
    files). A band read from several columns (a list in ``fields``) is their sum, hidden
    where any of them is.

    Returns
    -------
    (CountTable, list of Problem)
        The records, and the problems found in them: counts that are not whole numbers ≥ 0
        (NaN in ``values``), ``HTKSYORI`` other than 0, 1, 2 (taken as 0), warnings. The
        caller adds its own checks and raises once with every error.

    Raises
    ------
    LayerError
        When the tables cannot be read: the files' own errors (see :func:`open_estat_texts`),
        unknown columns, tables of different columns.
    """
    problems: list[Problem] = []
    chosen: dict[str, tuple[str, ...]] | None = None
    frames, paths, rows = [], [], []
    for text in open_estat_texts(path):
        columns, found = band_columns(text, fields)
        if any(p.is_error for p in found):
            problems += found
            continue
        if chosen is not None and columns != chosen:
            problems.append(Problem(
                text.path, f"this file's columns ({column_names(columns)}) are not those of the "
                           f"files before it ({column_names(chosen)}): the files hold different "
                           "tables.", field="KEY_CODE",
                fix="Use the files of one table (e.g. all 人口及び世帯 of the 2020 census)."))
            continue
        if chosen is None:
            problems += found  # the warnings, once
        chosen = columns
        wanted = list(dict.fromkeys(["KEY_CODE", *(c for c in SECRECY_COLUMNS if c in text.columns),
                                     *(c for c in extra if c in text.columns),
                                     *(c for codes in columns.values() for c in codes)]))
        frame, text_rows = text.cells(wanted)
        frames.append(frame)
        paths.append(np.full(len(frame), text.path, dtype=object))
        rows.append(text_rows)
    if any(p.is_error for p in problems) or chosen is None:
        raise LayerError(problems)
    cells = pd.concat(frames, ignore_index=True)
    for column in (*SECRECY_COLUMNS, *extra):
        if column not in cells:
            cells[column] = ""
    all_paths, all_rows = np.concatenate(paths), np.concatenate(rows)
    secrecy = cells["HTKSYORI"].to_numpy(dtype=str)
    bad = ~np.isin(secrecy, ["", "0", "1", "2"])
    problems += capped([Problem(all_paths[i], f"{str(secrecy[i])!r} is not 0, 1 or 2.",
                                row=int(all_rows[i]), field="HTKSYORI",
                                fix="HTKSYORI (秘匿処理) is 0 (not hidden), 1 (carries hidden "
                                    "areas) or 2 (hidden). " + _DOWNLOAD_AGAIN)
                        for i in np.flatnonzero(bad).tolist()])
    values: dict[str, np.ndarray] = {}
    hidden: dict[str, np.ndarray] = {}
    parsed_columns: dict[str, ParsedCounts] = {}
    for band, codes in chosen.items():
        for code in codes:
            if code not in parsed_columns:
                parsed_columns[code] = parse_counts(cells[code], paths=all_paths, rows=all_rows,
                                                    field=code)
                problems += parsed_columns[code].problems
        parts = [parsed_columns[code] for code in codes]
        values[band] = np.sum([part.values for part in parts], axis=0)
        hidden[band] = np.any([part.hidden for part in parts], axis=0)
    cells["HTKSYORI"] = np.where(bad | (secrecy == ""), "0", secrecy)
    return CountTable(cells=cells, paths=all_paths, rows=all_rows, columns=chosen,
                      values=values, hidden=hidden), problems


@dataclass(frozen=True)
class ParsedCounts:
    """A column of counts as numbers: NaN where hidden or wrong."""

    values: np.ndarray
    #: True where the value was hidden for privacy (``*``).
    hidden: np.ndarray
    #: The errors found (row and column named), at most a few per kind.
    problems: list[Problem]


def parse_counts(cells: pd.Series | np.ndarray, *, paths: Sequence[Path] | Path | np.ndarray,
                 rows: np.ndarray, field: str) -> ParsedCounts:
    """
    Read one column of e-Stat counts: whole numbers ≥ 0, ``-`` for 0, ``*`` for hidden.

    Examples
    --------
    >>> parsed = parse_counts(pd.Series(["12", "-", "*", "-3", "多い", ""]), paths=Path("t.txt"),
    ...                       rows=np.arange(3, 9), field="T001142019")
    >>> parsed.values.tolist()[:3], parsed.hidden.tolist()
    ([12.0, 0.0, nan], [False, False, True, False, False, False])
    >>> for problem in parsed.problems:
    ...     print(problem)
    t.txt, row 6, field 'T001142019': -3 is negative, not a count of people. ...
    t.txt, row 7, field 'T001142019': '多い' is not a count of people. ...
    t.txt, row 8, field 'T001142019': the value is empty. ...
    """
    text = np.char.strip(np.asarray(cells, dtype=str))
    hidden = np.isin(text, list(HIDDEN_MARKS))
    zero = np.isin(text, list(ZERO_MARKS))
    empty = text == ""
    numbers = np.full(len(text), np.nan)
    plain = np.char.isdigit(text) & (np.char.str_len(text) < 16)  # the usual case, in C
    try:
        numbers[plain] = text[plain].astype(np.int64)
    except ValueError:  # digits numpy does not read (e.g. full-width): the slow way
        numbers[plain] = pd.to_numeric(pd.Series(text[plain], dtype=object), errors="coerce")
    rest = ~plain & ~hidden & ~zero & ~empty
    if rest.any():
        numbers[rest] = pd.to_numeric(pd.Series(np.char.replace(text[rest], ",", ""),
                                                dtype=object), errors="coerce")
    numbers[zero] = 0.0
    with np.errstate(invalid="ignore"):
        negative = numbers < 0
        fraction = np.isfinite(numbers) & (numbers % 1 != 0)
    not_number = ~np.isfinite(numbers) & ~hidden & ~empty
    kinds = {
        "negative": (negative, lambda t: f"{t} is negative, not a count of people."),
        "fraction": (fraction, lambda t: f"{t} is not a whole number of people."),
        "text": (not_number, lambda t: f"{t!r} is not a count of people."),
        "empty": (empty, lambda t: "the value is empty."),
    }
    problems: list[Problem] = []
    values = numbers.copy()
    for mask, message in kinds.values():
        found = []
        for index in np.flatnonzero(mask).tolist():
            path = paths if isinstance(paths, Path) else paths[index]
            found.append(Problem(path, message(str(text[index])), row=int(rows[index]),
                                 field=field, fix="e-Stat writes whole numbers ≥ 0, '-' for "
                                                  "none and '*' for a hidden value. "
                                                  + _DOWNLOAD_AGAIN))
        problems += capped(found)
        values[mask] = np.nan
    return ParsedCounts(values=values, hidden=hidden, problems=problems)
