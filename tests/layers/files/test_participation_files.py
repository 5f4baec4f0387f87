"""Reading an uploaded CSV of participation records: any bytes give rows or a LayerError
naming the file, never another exception; cells come back as written (made-up numbers)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.errors import LayerError
from layers.fields.participation import PARTICIPATION_FIELDS
from layers.files.participation_files import read_participation_csv

HEADER = "place_id,month,participants,participants_65,sessions,activity,frequency"
SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(content=st.binary(max_size=400))
def test_any_bytes_give_rows_or_a_layer_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "up.csv"
    path.write_bytes(content)
    try:
        rows = read_participation_csv(path, name="送った.csv")
    except LayerError as exc:
        assert all(p.path == "送った.csv" for p in exc.problems)
        assert str(tmp_path) not in str(exc)
        return
    assert all(set(row) == {"row", *PARTICIPATION_FIELDS} for row in rows)


@SETTINGS
@given(cells=st.lists(st.lists(st.text(max_size=10), min_size=7, max_size=7), max_size=8))
def test_cells_come_back_as_written_with_their_rows(tmp_path: Path, cells) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER.split(","))
    writer.writerows(cells)
    path = tmp_path / "up.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8-sig", errors="surrogatepass"))
    try:
        rows = read_participation_csv(path)
    except (LayerError, UnicodeEncodeError):
        return
    kept = [c for c in cells if any(cell.strip() for cell in c)
            and "\r" not in "".join(c) and "\n" not in "".join(c)]
    if len(kept) != len(cells):
        return  # empty lines are skipped; a line break inside a cell changes the numbering
    assert [[row[f] for f in PARTICIPATION_FIELDS] for row in rows] == kept
    assert [row["row"] for row in rows] == list(range(2, 2 + len(rows)))


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "up.csv"
    path.write_text("居場所ID,月,参加者数\np0001,2026-04,12\n", encoding="utf-8")
    with pytest.raises(LayerError) as caught:
        read_participation_csv(path)
    assert {p.field for p in caught.value.problems} == {"sessions", "activity", "frequency"}


def test_a_cell_too_long_for_csv_is_a_problem_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "up.csv"
    path.write_text(HEADER + "\n\"" + "x" * 200_000 + "\",1,1,,1,体操,それ以下\n", encoding="utf-8")
    with pytest.raises(LayerError) as caught:
        read_participation_csv(path, name="長い.csv")
    assert caught.value.problems[0].path == "長い.csv"
