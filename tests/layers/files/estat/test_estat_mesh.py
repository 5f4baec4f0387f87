"""地域メッシュ統計 as downloaded: cells of Takasaki, hidden counts, and every kind of bad file.

The files are written by ``tests/estat_files.py`` in e-Stat's exact layout (CP932, code row,
label row, ``*``, 秘匿処理 columns, zipped) with made-up numbers (架空の数値).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import shapely
from estat_files import (
    MESH_BANDS,
    MESH_COLUMNS_2020,
    MeshRow,
    hide,
    made_up_counts,
    mesh_text,
    takasaki_mesh_rows,
    write_mesh_zip,
    write_zip,
)

from data import get_path
from geo.mesh import mesh_bounds
from layers.config import LayerConfig, load_config
from layers.errors import LayerError
from layers.files.points import StudyExtent
from layers.files.population import load_population
from layers.study import study_outline

CONFIG = load_config(get_path("takasaki"))
EXTENT = StudyExtent(study_outline(CONFIG), metric_crs=CONFIG.metric_crs)
DETAIL = [code for code, _ in MESH_COLUMNS_2020[3:]]  # what e-Stat hides: all but the totals


def mesh_layer(path: Path, **fields: str) -> LayerConfig:
    return LayerConfig("population", path, dict(fields), {"format": "estat_mesh"})


def inside(rows: list[MeshRow]) -> np.ndarray:
    cells = shapely.box(*mesh_bounds([r.code for r in rows]).T)
    return shapely.intersects(EXTENT.outline, cells) & ~shapely.touches(EXTENT.outline, cells)


def test_takasaki_cells_with_every_band(tmp_path: Path) -> None:
    rows = takasaki_mesh_rows(digits=9)
    population, warnings = load_population(mesh_layer(write_mesh_zip(tmp_path, rows)),
                                           extent=EXTENT)
    kept = inside(rows)
    assert 0 < kept.sum() < len(rows)  # cells beyond the city are left out
    assert len(population) == kept.sum()
    in_city = [row for row, k in zip(rows, kept, strict=True) if k]
    assert population["key_code"].tolist() == [row.code for row in in_city]
    for band, column in MESH_BANDS.items():
        assert population[band].sum() == sum(row.counts[column] for row in in_city)
    assert population.attrs["bands"] == ("total", "age65", "age75", "age85")
    assert population.attrs["basis"] == "age65"
    assert population.crs == "EPSG:4326"
    assert (population.geom_type == "Polygon").all()
    assert (population.geometry.bounds.to_numpy() == mesh_bounds(population["key_code"])).all()
    assert warnings == []


def test_hidden_cells_are_spread_back_and_no_one_is_counted_twice(tmp_path: Path) -> None:
    rows = takasaki_mesh_rows(digits=10, bbox=(139.00, 36.30, 139.03, 36.33))
    truth = {band: sum(r.counts[column] for r in rows) for band, column in MESH_BANDS.items()}
    hide(rows, [0, 1], 2, DETAIL)
    hide(rows, [10], 11, DETAIL)
    assert rows[0].hidden and rows[2].htksyori == 1 and rows[2].gassan == [rows[0].code,
                                                                          rows[1].code]
    population, warnings = load_population(mesh_layer(write_mesh_zip(tmp_path, rows)))
    assert warnings == []
    for band in MESH_BANDS:
        assert population[band].sum() == pytest.approx(truth[band])  # none lost, none twice
    # the totals are e-Stat's own, cell by cell; the ages of the group are shared by total
    assert population["total"].tolist() == [r.counts["T001142001"] for r in rows]
    group = population.iloc[[0, 1, 2]]
    carried = rows[2].counts["T001142019"]
    assert group["age65"].sum() == pytest.approx(carried)
    assert group["age65"].tolist() == pytest.approx(
        (carried * group["total"] / group["total"].sum()).tolist())


def test_zeros_as_dashes_and_a_folder_of_two_squares(tmp_path: Path) -> None:
    west = takasaki_mesh_rows(digits=8, bbox=(138.80, 36.25, 138.999, 36.40))
    east = takasaki_mesh_rows(digits=8, bbox=(139.0, 36.25, 139.10, 36.40), seed=2)
    folder = tmp_path / "downloads"
    folder.mkdir()
    write_mesh_zip(folder, west, square="5438", zero_dash=True)
    write_mesh_zip(folder, east, square="5439")
    population, warnings = load_population(mesh_layer(folder), extent=EXTENT)
    assert set(population["key_code"].str[:4]) == {"5438", "5439"}
    assert warnings == []
    (folder / "madeup_tblT001142Q5438.zip").unlink()
    population, warnings = load_population(mesh_layer(folder), extent=EXTENT)
    assert [str(w) for w in warnings] == [
        "tblT001142Q5439.txt, field 'KEY_CODE': the study area reaches into the 80 km square "
        "5438, but no file has a cell there: people living there are not counted. Add the "
        "mesh file of 5438 (e.g. tbl…Q5438.zip), or use the prefecture's file."]


def test_a_hidden_cell_whose_carrier_is_in_another_file(tmp_path: Path) -> None:
    rows = takasaki_mesh_rows(digits=9, bbox=(139.00, 36.30, 139.03, 36.33))
    rows[3].htksyori, rows[3].htksaki, rows[3].hidden = 2, "543930999", set(DETAIL)
    population, warnings = load_population(mesh_layer(write_mesh_zip(tmp_path, rows)))
    assert [(w.row, w.field) for w in warnings] == [(6, c) for c in MESH_BANDS.values()][1:]
    assert "HTKSAKI names '543930999', which is not in the data" in warnings[0].problem
    assert np.isnan(population["age65"].iloc[3]) and population["total"].iloc[3] > 0
    assert population.attrs["basis"] == "total"  # the page says the total is counted


def test_columns_named_in_the_config(tmp_path: Path) -> None:
    path = write_mesh_zip(tmp_path, takasaki_mesh_rows(digits=9))
    population, _ = load_population(mesh_layer(path, total="T001142001", age65="T001142019"),
                                    extent=EXTENT)
    assert population.attrs["bands"] == ("total", "age65", "age75", "age85")  # found by label
    population, _ = load_population(mesh_layer(path, age75="T001142019"), extent=EXTENT)
    assert (population["age75"] == population["age65"]).all()


def bad_file(tmp_path: Path, edit) -> Path:
    rows = takasaki_mesh_rows(digits=9, bbox=(139.00, 36.30, 139.03, 36.33))
    lines = mesh_text(rows).decode("cp932").split("\r\n")
    data = edit(lines)
    path = tmp_path / "tblT001142Q5439.txt"
    path.write_bytes(data if isinstance(data, bytes) else "\r\n".join(data).encode("cp932"))
    return path


def cell(lines: list[str], row: int, column: str, value: str) -> list[str]:
    """``lines`` with row ``row`` (as a text editor counts) of ``column`` set to ``value``."""
    codes = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[codes.index(column)] = value
    return [*lines[:row - 1], ",".join(cells), *lines[row:]]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda lines: "\r\n".join(lines).encode("cp932")[:-40] + b"\x85\x40\r\n",
         r"tblT001142Q5439.txt, row \d+, field 'T001142\d+': the bytes 85 40 are neither "
         r"Shift_JIS"),
        (lambda lines: lines[1:], r"row 1, field 'KEY_CODE': the row of column codes"),
        (lambda lines: cell(lines, 5, "KEY_CODE", lines[4].split(",")[0][:8]),
         r"row 5, field 'KEY_CODE': '54393\d+' is a 1 km mesh code, but the other rows have "
         r"500 m codes \(9 digits\)\. A population layer is one mesh level"),
        (lambda lines: cell(lines, 4, "KEY_CODE", "5439308"),
         r"row 4, field 'KEY_CODE': '5439308' is not a mesh code of 8, 9 or 10 digits"),
        (lambda lines: cell(lines, 6, "KEY_CODE", lines[4].split(",")[0]),
         r"row 6, field 'KEY_CODE': mesh 54393\d+ is also in row 5 of tblT001142Q5439.txt"),
        (lambda lines: cell(lines, 7, "T001142019", "-12"),
         r"row 7, field 'T001142019': -12 is negative, not a count of people"),
        (lambda lines: cell(lines, 8, "T001142001", "十"),
         r"row 8, field 'T001142001': '十' is not a count of people"),
        (lambda lines: cell(lines, 9, "T001142022", "999999"),
         r"row 9, field 'T001142022': 75\+ \(999999\) is more than 65\+ \(\d+\)"),
        (lambda lines: cell(lines, 10, "HTKSYORI", "3"),
         r"row 10, field 'HTKSYORI': '3' is not 0, 1 or 2"),
        (lambda lines: [lines[0], lines[1],
                        *(f"5339{line[4:]}" for line in lines[2:] if line)],
         r"row 3, field 'KEY_CODE': none of the \d+ cells lies in the study area: the first, "
         r"5339\d+, is in the 80 km square 5339; the study area is in 5438, 5439\. Is this "
         r"the file of another prefecture\?"),
    ],
    ids=["encoding", "no-code-row", "mixed-levels", "not-a-code", "repeated", "negative",
         "not-a-number", "band-above-band", "htksyori", "outside"],
)
def test_bad_input_names_file_row_and_column(tmp_path: Path, edit, match: str) -> None:
    with pytest.raises(LayerError, match=match):
        load_population(mesh_layer(bad_file(tmp_path, edit)), extent=EXTENT)


def test_age_band_above_the_total_of_a_carrier_and_its_hidden_cells(tmp_path: Path) -> None:
    rows = [MeshRow(code=f"543930803{q}", counts=made_up_counts(20, np.random.default_rng(q)))
            for q in (1, 2)]
    hide(rows, [0], 1, DETAIL)
    rows[1].counts["T001142019"] = 41  # the two cells have 40 people
    path = tmp_path / "t.txt"
    path.write_bytes(mesh_text(rows))
    with pytest.raises(LayerError, match=r"t.txt, row 4, field 'T001142019': 65\+ \(41\) is "
                                         r"more than the total \(40\)\. \(its counts include "
                                         r"the hidden areas it carries\)"):
        load_population(mesh_layer(path))


def test_unknown_columns_and_fields(tmp_path: Path) -> None:
    path = write_mesh_zip(tmp_path, takasaki_mesh_rows(digits=9))
    with pytest.raises(LayerError, match=r"field 'T001101019': there is no column 'T001101019' "
                                         r"\(fields.age65 in the config\)\. Columns found: "
                                         r"T001142001 \(人口（総数）\)"):
        load_population(mesh_layer(path, age65="T001101019"), extent=EXTENT)
    with pytest.raises(LayerError, match=r"field 'fields.age70': fields names age70, which a "
                                         r"mesh file does not have"):
        load_population(mesh_layer(path, age70="T001142019"), extent=EXTENT)


def test_a_file_that_fails_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    path = bad_file(tmp_path, lambda lines: cell(lines, 7, "T001142019", "-12"))
    zipped = write_zip(tmp_path / "madeup_bad.zip", {"tblT001142Q5439.txt": path.read_bytes()})
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    for source in (path, zipped, tmp_path):
        with pytest.raises(LayerError, match="row 7"):
            load_population(mesh_layer(source), extent=EXTENT)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    assert after == before  # nothing written, nothing half-written


def test_a_mesh_text_without_format_says_which_format(tmp_path: Path) -> None:
    path = tmp_path / "tblT001142Q5439.txt"
    path.write_bytes(mesh_text(takasaki_mesh_rows(digits=9)[:3]))
    with pytest.raises(LayerError, match='Add format = "estat_mesh"'):
        load_population(LayerConfig("population", path, {"total": "T001142001"}))


def test_five_year_groups_are_added_up_when_the_config_lists_them(tmp_path: Path) -> None:
    """A table of five-year age groups has no 65+ column: a list in fields adds them up."""
    groups = [("T001196001", "総数"), ("T001196043", "６５～６９歳　総数"),
              ("T001196046", "７０～７４歳　総数"), ("T001196049", "７５歳以上　総数")]
    rows = [MeshRow(code=f"543930803{q}", counts={"T001196001": 30 * q, "T001196043": 4 * q,
                                                  "T001196046": 3 * q, "T001196049": 5 * q})
            for q in (1, 2, 3)]
    rows[2].counts["T001196046"] = 0  # written as '-'
    path = tmp_path / "tblT001196Q5439.txt"
    path.write_bytes(mesh_text(rows, columns=groups, zero_dash=True))
    with pytest.raises(LayerError, match=r"row 1, field 'fields.total': no column of the total "
                                         r"population.* Columns found: T001196001 \(総数\)"):
        load_population(mesh_layer(path))  # its total is labelled 総数 only: name it
    population, warnings = load_population(mesh_layer(path, total="T001196001"))
    assert population.attrs["bands"] == ("total",)
    assert [w.field for w in warnings] == ["fields.age65"]
    assert "the layer counts everyone, not older residents" in warnings[0].problem
    population, warnings = load_population(LayerConfig(
        "population", path, {"total": "T001196001",
                             "age65": ["T001196043", "T001196046", "T001196049"],
                             "age75": ["T001196049"]}, {"format": "estat_mesh"}))
    assert population["age65"].tolist() == [12, 24, 27]
    assert population["age75"].tolist() == [5, 10, 15]
    assert warnings == []
    rows[1].counts["T001196049"] = 99
    path.write_bytes(mesh_text(rows, columns=groups))
    with pytest.raises(LayerError, match=r"row 4, field 'T001196043\+T001196046\+T001196049': "
                                         r"65\+ \(113\) is more than the total \(60\)"):
        load_population(LayerConfig(
            "population", path, {"total": "T001196001",
                                 "age65": ["T001196043", "T001196046", "T001196049"],
                                 "age75": "T001196049"}, {"format": "estat_mesh"}))
