"""Places: encodings, kept rows without positions, and every kind of bad row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import shapely

from data import get_path
from layers.config import DEFAULT_CATEGORIES, LayerConfig, load_config
from layers.errors import LayerError
from layers.files.places import load_places
from layers.files.points import StudyExtent
from layers.files.reader import read_vector

CONFIG = load_config(get_path("takasaki"))
HEADER = "name,category,lon,lat,schedule,position_source\n"


@pytest.fixture(scope="module")
def extent() -> StudyExtent:
    outline = shapely.union_all(read_vector(CONFIG.boundary).geometry.values)
    return StudyExtent(outline)


def write_places(tmp_path: Path, rows: str, *, encoding: str = "utf-8") -> LayerConfig:
    path = tmp_path / "places.csv"
    path.write_bytes((HEADER + rows).encode(encoding))
    return LayerConfig("places", path)


def test_real_places_keep_rows_without_position() -> None:
    places, warnings = load_places(CONFIG.layers["places"], categories=CONFIG.categories)
    assert len(places) == 76
    assert places.geometry.isna().sum() == 10
    assert (places["position_quality"] == "unknown").sum() == 10
    assert (places["position_quality"] == "approx").sum() == 37
    assert not any(p.is_error for p in warnings)
    # each unlocated place and each approximate one is reported, with its row
    assert sum("no coordinates" in p.problem for p in warnings) == 10
    assert all(p.row is not None and p.row >= 2 for p in warnings)
    assert places.crs == "EPSG:4326"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_excel_encodings(tmp_path: Path, extent: StudyExtent, encoding: str) -> None:
    row = "岩鼻長寿センター,長寿センター,139.05,36.29,毎週火曜日,exact:x\n"
    layer = write_places(tmp_path, row, encoding=encoding)
    places, _ = load_places(layer, categories=DEFAULT_CATEGORIES, extent=extent)
    assert places.loc[0, "name"] == "岩鼻長寿センター"
    assert places.loc[0, "schedule"] == "毎週火曜日"


def test_wrong_encoding(tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    path.write_bytes(HEADER.encode() + "サロン".encode("utf-16-le") + b"\x81\xff\n")
    with pytest.raises(LayerError, match="neither UTF-8 nor Shift_JIS"):
        load_places(LayerConfig("places", path), categories=DEFAULT_CATEGORIES)


@pytest.mark.parametrize("content", ["", "\n\n", HEADER])
def test_empty_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "places.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LayerError, match="places.csv.*(empty|no rows)"):
        load_places(LayerConfig("places", path), categories=DEFAULT_CATEGORIES)


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_files_with_only_a_byte_order_mark_are_empty(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "places.csv"
    path.write_bytes(content)
    with pytest.raises(LayerError, match="places.csv.*empty"):
        load_places(LayerConfig("places", path), categories=DEFAULT_CATEGORIES)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("A,サロン,east,36.3,,", r"row 2, field 'lon': 'east' is not a number"),
        ("A,サロン,139.0,,,", r"row 2, field 'lat': only one coordinate"),
        ("A,サロン,36.33,139.01,,", r"row 2, field 'lon/lat': lon/lat look swapped.*Swap"),
        ("A,サロン,140.5,35.6,,", r"row 2, field 'lon/lat': .* outside the study area"),
        ("A,カフェ,139.0,36.33,,", r"row 2, field 'category': unknown category カフェ.*居場所"),
        (",サロン,139.0,36.33,,", r"row 2, field 'name': the name is empty"),
        ("A,サロン,999,999,,", r"row 2, field 'lon/lat'"),
    ],
)
def test_bad_rows_name_row_and_field(tmp_path: Path, extent: StudyExtent, row: str,
                                     match: str) -> None:
    layer = write_places(tmp_path, "良い場所,サロン,139.0,36.33,,\n" + row + "\n")
    with pytest.raises(LayerError) as info:
        load_places(layer, categories=DEFAULT_CATEGORIES, extent=extent)
    text = str(info.value)
    assert "places.csv" in text
    # the bad row follows one good row, so it is spreadsheet row 3
    assert re.search(match.replace("row 2", "row 3"), text), text


def test_every_problem_reported_at_once(tmp_path: Path, extent: StudyExtent) -> None:
    layer = write_places(tmp_path, (
        "A,サロン,139.0,36.33,,\n"
        "A,サロン,139.01,36.33,,\n"          # duplicate name
        "B,喫茶,139.0,36.33,,\n"              # unknown category
        "C,サロン,36.33,139.0,,\n"            # swapped
        "D,サロン,,,,\n"                      # no position: a warning only
    ))
    with pytest.raises(LayerError) as info:
        load_places(layer, categories=DEFAULT_CATEGORIES, extent=extent)
    problems = info.value.problems
    errors = sorted((p.row, p.field) for p in problems if p.is_error)
    assert errors == [(3, "name"), (4, "category"), (5, "lon/lat")]
    assert [(p.row, p.is_error) for p in problems if "no coordinates" in p.problem] == [(6, False)]
    assert "first at row 2" in str(info.value)


def test_mapped_fields_and_geojson(tmp_path: Path, extent: StudyExtent) -> None:
    path = tmp_path / "places.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"名称":"サロンA","種別":"サロン","日程":"毎週水曜日 10:00～12:00"},'
        '"geometry":{"type":"Point","coordinates":[139.0,36.33]}}]}', encoding="utf-8")
    layer = LayerConfig("places", path, {"name": "名称", "category": "種別", "schedule": "日程"})
    places, problems = load_places(layer, categories=DEFAULT_CATEGORIES, extent=extent)
    assert places.loc[0, "schedule"] == "毎週水曜日 10:00～12:00"
    assert places.loc[0, "position_quality"] == "exact"
    assert problems == []
