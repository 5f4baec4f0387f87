"""Districts: the derived Takasaki polygons, repair of invalid polygons, and bad files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from data import get_path
from layers.config import LayerConfig, load_config
from layers.errors import LayerError
from layers.files.districts import load_districts

CONFIG = load_config(get_path("takasaki"))
BOWTIE = shapely.Polygon([(139.0, 36.30), (139.02, 36.32), (139.02, 36.30), (139.0, 36.32)])
SQUARE = shapely.box(139.03, 36.30, 139.05, 36.32)


def test_takasaki_districts_are_the_26_councils() -> None:
    districts, problems = load_districts(CONFIG.layers["districts"])
    schools = gpd.read_file(CONFIG.directory / "districts" / "district_schools.csv")
    assert sorted(districts["name"]) == sorted(set(schools["district"]))
    assert len(districts) == 26
    assert districts["approximate"].all()
    assert districts.geometry.is_valid.all()
    assert problems == []
    # the derived districts tile the city outline: same area within 0.1 %
    outline = gpd.read_file(CONFIG.boundary).to_crs(CONFIG.metric_crs)
    assert districts.to_crs(CONFIG.metric_crs).area.sum() == pytest.approx(
        outline.area.sum(), rel=1e-3)


def test_invalid_polygon_is_repaired_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "districts.geojson"
    gpd.GeoDataFrame({"name": ["蝶", "四角"]}, geometry=[BOWTIE, SQUARE],
                     crs="EPSG:4326").to_file(path)
    districts, problems = load_districts(LayerConfig("districts", path))
    assert districts.geometry.is_valid.all()
    assert districts.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert [(p.row, p.field, p.is_error) for p in problems] == [(1, "geometry", False)]
    assert "Self-intersection" in problems[0].problem and "repaired" in problems[0].problem


def test_duplicate_and_empty_names(tmp_path: Path) -> None:
    path = tmp_path / "districts.geojson"
    gpd.GeoDataFrame({"地区名": ["八幡", "八幡", ""]}, geometry=[SQUARE, SQUARE, SQUARE],
                     crs="EPSG:4326").to_file(path)
    with pytest.raises(LayerError) as info:
        load_districts(LayerConfig("districts", path, {"name": "地区名"}))
    assert [(p.row, p.field) for p in info.value.problems] == [(2, "地区名"), (3, "地区名")]
    assert "first at row 1" in str(info.value)


def test_shapefile_without_crs_is_refused(tmp_path: Path) -> None:
    shp = tmp_path / "districts.shp"
    gpd.GeoDataFrame({"name": ["八幡"]}, geometry=[SQUARE], crs="EPSG:4326").to_file(shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(LayerError, match=r"districts.shp: the file has no coordinate reference"):
        load_districts(LayerConfig("districts", shp))


def test_zipped_shapefile_in_jgd2011_is_normalised(tmp_path: Path) -> None:
    gpd.GeoDataFrame({"name": ["八幡"]}, geometry=[SQUARE], crs="EPSG:4326").to_crs(
        "EPSG:6677").to_file(tmp_path / "d.shp", engine="pyogrio", encoding="utf-8")
    archive = tmp_path / "d.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("d.*"):
            if part != archive:
                zf.write(part, part.name)
    districts, _ = load_districts(LayerConfig("districts", archive))
    assert districts.crs == "EPSG:4326"
    assert districts.loc[0, "name"] == "八幡"
    assert districts.geometry.iloc[0].symmetric_difference(SQUARE).area < 1e-10


def test_points_are_not_districts(tmp_path: Path) -> None:
    path = tmp_path / "districts.geojson"
    gpd.GeoDataFrame({"name": ["八幡"]}, geometry=[shapely.Point(139, 36.3)],
                     crs="EPSG:4326").to_file(path)
    with pytest.raises(LayerError, match="row 1, field 'geometry': expected a polygon"):
        load_districts(LayerConfig("districts", path))
