"""e-Stat 統計GIS text tables: encodings, the code and label rows, counts, and 秘匿処理.

The tables are written by ``tests/estat_files.py`` in e-Stat's exact layout with made-up
numbers (架空の数値).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from estat_files import MESH_COLUMNS_2020, MeshRow, made_up_counts, mesh_text, write_zip
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.errors import LayerError
from layers.files.estat.secrecy import gassan_mismatches, spread_hidden_counts
from layers.files.estat.table import band_columns, open_estat_texts, parse_counts


def rows(n: int = 4, seed: int = 0) -> list[MeshRow]:
    rng = np.random.default_rng(seed)
    return [MeshRow(code=f"543930803{q}", counts=made_up_counts(10 * q, rng))
            for q in range(1, n + 1)]


def test_cp932_as_downloaded(tmp_path: Path) -> None:
    path = tmp_path / "tblT001142Q5439.txt"
    path.write_bytes(mesh_text(rows()))
    (table,) = open_estat_texts(path)
    assert table.columns[:5] == ("KEY_CODE", "HTKSYORI", "HTKSAKI", "GASSAN", "T001142001")
    assert table.labels["T001142019"] == "６５歳以上人口　総数"  # decoded, not mojibake
    assert table.first_row == 3
    cells, lines = table.cells(["KEY_CODE", "T001142001"])
    assert cells["KEY_CODE"].tolist() == [f"543930803{q}" for q in range(1, 5)]
    assert lines.tolist() == [3, 4, 5, 6]
    chosen, problems = band_columns(table, {})
    assert chosen == {"total": ("T001142001",), "age65": ("T001142019",),
                      "age75": ("T001142022",), "age85": ("T001142025",)}
    assert problems == []


def test_utf8_with_bom_and_a_title_row_and_no_label_row(tmp_path: Path) -> None:
    text = mesh_text(rows()).decode("cp932").split("\r\n")
    path = tmp_path / "resaved.csv"
    path.write_text("\r\n".join(["令和2年国勢調査 地域メッシュ統計", text[0], *text[2:]]),
                    encoding="utf-8-sig")
    (table,) = open_estat_texts(path)
    assert table.first_row == 3 and not any(table.labels.values())
    _, lines = table.cells(["KEY_CODE"])
    assert lines.tolist() == [3, 4, 5, 6]
    _, problems = band_columns(table, {})  # without labels the columns must be named
    assert "fields = { total" in problems[0].fix
    chosen, problems = band_columns(table, {"total": "T001142001", "age65": "T001142019"})
    assert chosen == {"total": ("T001142001",), "age65": ("T001142019",)} and problems == []


def test_zip_and_folder(tmp_path: Path) -> None:
    write_zip(tmp_path / "madeup_a.zip", {"tblT001142Q5439.txt": mesh_text(rows()),
                                          "readme.pdf": b"%PDF"})
    (tmp_path / "madeup_b.txt").write_bytes(mesh_text(rows(2, seed=1)))
    tables = open_estat_texts(tmp_path)
    assert [t.path.name for t in tables] == ["tblT001142Q5439.txt", "madeup_b.txt"]
    assert tables[0].path.parent.name == "madeup_a.zip"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "the file is empty"),
        ("KEY_CODE,T001\r\n,人口\r\n5439,1\r\n".encode("utf-16"), "UTF-16"),
        (",,,,　人口（総数）\r\n5439308032,0,,,5\r\n".encode("cp932"),
         r"row 1, field 'KEY_CODE': the row of column codes .* is missing: the file starts "
         r"with 「,,,,　人口（総数）」"),
        (b"KEY_CODE,HTKSYORI,T001142001\r\n,,\x82\xa0\r\n5439308032,0,1\x82\r\n",
         r"row 3, field 'T001142001': the bytes 82 0d are neither Shift_JIS"),
        (b"KEY_CODE,T1,T1\r\n", "names T1 twice"),
    ],
)
def test_bad_files(tmp_path: Path, data: bytes, match: str) -> None:
    path = tmp_path / "tbl.txt"
    path.write_bytes(data)
    with pytest.raises(LayerError, match=match):
        open_estat_texts(path)


def test_zip_without_a_table(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="holds no table"):
        open_estat_texts(write_zip(tmp_path / "x.zip", {"a.pdf": b"%PDF"}))
    (tmp_path / "bad.zip").write_bytes(b"PK not a zip")
    with pytest.raises(LayerError, match="not a readable zip"):
        open_estat_texts(tmp_path / "bad.zip")


def test_unknown_column_suggests_the_same_column_of_this_table(tmp_path: Path) -> None:
    path = tmp_path / "tbl.txt"
    path.write_bytes(mesh_text(rows()))
    (table,) = open_estat_texts(path)
    _, problems = band_columns(table, {"total": "T001101001", "age65": "T001101019"})
    assert len(problems) == 2
    assert str(problems[1]).startswith("tbl.txt, row 1, field 'T001101019': there is no column "
                                       "'T001101019' (fields.age65 in the config).")
    assert "Did you mean 'T001142019' (６５歳以上人口　総数)?" in problems[1].fix


def test_counts() -> None:
    parsed = parse_counts(pd.Series(["12", " 0", "-", "*", "X", "1,204", "-3", "2.5", "多い", ""]),
                          paths=Path("t.txt"), rows=np.arange(3, 13), field="T001142019")
    assert parsed.values[:6].tolist() == [12.0, 0.0, 0.0, pytest.approx(np.nan, nan_ok=True),
                                          pytest.approx(np.nan, nan_ok=True), 1204.0]
    assert parsed.hidden.tolist() == [False] * 3 + [True, True] + [False] * 5
    assert [(p.row, p.problem) for p in parsed.problems] == [
        (9, "-3 is negative, not a count of people."),
        (10, "2.5 is not a whole number of people."),
        (11, "'多い' is not a count of people."),
        (12, "the value is empty.")]


def test_a_wrong_column_does_not_bury_the_other_messages() -> None:
    parsed = parse_counts(pd.Series(["1.5"] * 500), paths=Path("t.txt"), rows=np.arange(500) + 3,
                          field="T001142064")
    assert len(parsed.problems) == 21
    assert parsed.problems[-1].problem == "… and 480 more rows with the same problem (up to " \
                                          "row 502)."


@given(cells=st.lists(st.text(max_size=6), min_size=1, max_size=20))
def test_any_text_is_a_count_or_a_problem_naming_its_row(cells: list[str]) -> None:
    parsed = parse_counts(pd.Series(cells, dtype=object), paths=Path("t.txt"),
                          rows=np.arange(len(cells)) + 3, field="T001142001")
    named = {p.row for p in parsed.problems}
    assert all(p.field == "T001142001" and p.path == Path("t.txt") for p in parsed.problems)
    for index, value in enumerate(parsed.values):
        assert np.isnan(value) == (bool(parsed.hidden[index]) or index + 3 in named)
        if not np.isnan(value):
            assert value >= 0 and value == int(value)


def test_spread_keeps_every_group_sum_and_every_published_total() -> None:
    # B (3 people) and D (2) are hidden; C carries both: its 65+ of 30 covers all three
    spread = spread_hidden_counts(
        ["A", "B", "C", "D"], np.array([0, 2, 1, 2]), ["", "C", "", "C"],
        {"total": np.array([64.0, 3, 55, 2]), "age65": np.array([6.0, np.nan, 30, np.nan])},
        {"total": np.zeros(4, dtype=bool), "age65": np.array([False, True, False, True])})
    assert spread.values["total"].tolist() == [64, 3, 55, 2]
    assert spread.values["age65"].tolist() == pytest.approx([6, 1.5, 27.5, 1.0])
    assert spread.carrier.tolist() == [-1, 2, -1, 2]
    assert spread.spread["age65"].tolist() == [False, True, True, True]


def test_hidden_without_a_carrier_in_the_data_is_unknown_not_zero() -> None:
    spread = spread_hidden_counts(
        ["A", "B"], np.array([2, 0]), ["Z", ""], {"age65": np.array([np.nan, np.nan])},
        {"age65": np.array([True, True])}, weight_band="age65")
    assert np.isnan(spread.values["age65"]).all()
    assert spread.unresolved["age65"].tolist() == [True, True]


def test_carriers_hidden_in_turn_and_loops() -> None:
    spread = spread_hidden_counts(
        ["A", "B", "C", "X", "Y"], np.array([2, 2, 1, 2, 2]), ["B", "C", "", "Y", "X"],
        {"total": np.array([1.0, 1, 2, 1, 1]), "age65": np.array([np.nan, np.nan, 4, np.nan, 1])},
        {"total": np.zeros(5, dtype=bool),
         "age65": np.array([True, True, False, True, False])})
    assert spread.carrier.tolist() == [2, 2, -1, -1, -1]  # X → Y → X is a loop
    assert spread.values["age65"][:3].tolist() == [1.0, 1.0, 2.0]
    assert spread.unresolved["age65"].tolist() == [False, False, False, True, False]


def test_gassan_that_disagrees_with_htksaki() -> None:
    keys = np.array(["A", "B", "C", "D"])
    secrecy = np.array([2, 1, 1, 0])
    wrong = gassan_mismatches(keys, secrecy, np.array(["", "A;Z", "D", ""]),
                              np.array([1, -1, -1, -1]))
    assert wrong.tolist() == [3]  # C claims D, which nobody hides; Z is in another file


@settings(max_examples=60)
@given(data=st.data())
def test_no_one_is_lost_or_counted_twice(data: st.DataObject) -> None:
    """Any hiding of any cells into any carriers: band sums stay those e-Stat published."""
    n = data.draw(st.integers(2, 25))
    totals = np.array(data.draw(st.lists(st.integers(0, 500), min_size=n, max_size=n)), float)
    ages = np.floor(totals * np.array(data.draw(
        st.lists(st.floats(0, 1), min_size=n, max_size=n))))
    carrier_of = data.draw(st.lists(st.one_of(st.none(), st.integers(0, n - 1)), min_size=n,
                                    max_size=n))
    keys = [f"54393080{i:02d}" for i in range(n)]
    secrecy, targets, published = np.zeros(n, int), [""] * n, ages.copy()
    hidden = np.zeros(n, dtype=bool)
    for member, carrier in enumerate(carrier_of):
        if carrier is None or carrier == member or secrecy[carrier] == 2 or secrecy[member]:
            continue
        secrecy[member], secrecy[carrier], targets[member] = 2, 1, keys[carrier]
        hidden[member] = True
        published[carrier] += published[member]
        published[member] = np.nan
    spread = spread_hidden_counts(keys, secrecy, targets,
                                  {"total": totals, "age65": published},
                                  {"total": np.zeros(n, dtype=bool), "age65": hidden})
    assert spread.values["total"].tolist() == totals.tolist()
    assert spread.values["age65"].sum() == pytest.approx(ages.sum())
    assert not spread.unresolved["age65"].any()
    for carrier in np.unique(spread.carrier[spread.carrier >= 0]):
        group = (spread.carrier == carrier) | (np.arange(n) == carrier)
        assert spread.values["age65"][group].sum() == pytest.approx(ages[group].sum())
        if totals[group].sum() > 0:  # shared by total: no one older than the cell's people
            assert (spread.values["age65"][group] <= totals[group] + 1e-9).all()


def test_mesh_columns_are_those_of_the_real_table() -> None:
    codes = [code for code, _ in MESH_COLUMNS_2020]
    assert codes[0] == "T001142001" and codes[18] == "T001142019" and codes[24] == "T001142025"
