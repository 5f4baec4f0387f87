"""Population: the 2015 census points, 65+ when present, and bad counts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from data import get_path
from layers.config import LayerConfig, load_config
from layers.errors import LayerError
from layers.files.population import load_population

CONFIG = load_config(get_path("takasaki"))


def test_census_2015_total() -> None:
    population, problems = load_population(CONFIG.layers["population"])
    assert len(population) == 428
    assert population["total"].sum() == 370_884  # the official 2015 count
    assert population.attrs["basis"] == "total"
    assert population["age65"].isna().all()
    assert problems == []


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> LayerConfig:
    path = tmp_path / "pop.csv"
    path.write_bytes(text.encode(encoding))
    return LayerConfig("population", path, {"total": "人口", "age65": "65歳以上"})


def test_age65_is_used_when_present(tmp_path: Path) -> None:
    layer = write(tmp_path, "name,人口,65歳以上,lon,lat\n宿横手町,323,120,139.078,36.327\n"
                            "中居町１丁目,\"1,204\",400,139.038,36.320\n", "cp932")
    population, _ = load_population(layer)
    assert population.attrs["basis"] == "age65"
    assert population["total"].tolist() == [323, 1204]
    assert population["age65"].sum() == 520


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ("A,-5,,139.0,36.3", r"row 2, field '人口': '-5' is not a count"),
        ("A,多い,,139.0,36.3", r"row 2, field '人口': '多い' is not a count"),
        ("A,,,139.0,36.3", r"row 2, field '人口': the count is empty"),
        ("A,100,200,139.0,36.3", r"row 2, field '65歳以上': 65\+ \(200\) is more than"),
        ("A,100,,,", r"row 2, field 'lon/lat': no coordinates"),
    ],
)
def test_bad_counts(tmp_path: Path, rows: str, match: str) -> None:
    with pytest.raises(LayerError, match=match):
        load_population(write(tmp_path, "name,人口,65歳以上,lon,lat\n" + rows + "\n"))


def test_polygons(tmp_path: Path) -> None:
    path = tmp_path / "pop.gpkg"
    gpd.GeoDataFrame({"total": [100, 50]},
                     geometry=[shapely.box(139, 36.3, 139.01, 36.31),
                               shapely.box(139.01, 36.3, 139.02, 36.31)],
                     crs="EPSG:6668").to_file(path)
    population, _ = load_population(LayerConfig("population", path))
    assert population.crs == "EPSG:4326"
    assert population["total"].sum() == 150
    assert population.attrs["basis"] == "total"


def test_estat_dbf_in_shift_jis(tmp_path: Path) -> None:
    """The e-Stat attribute table as shipped: CP932 without a .cpg, all of Gunma."""
    dbf = Path(__file__).parents[2] / "data" / "h27ka10_gunma_attributes.dbf"
    layer = LayerConfig("population", dbf,
                        {"total": "JINKO", "lon": "X_CODE", "lat": "Y_CODE",
                         "name": "MOJI", "key_code": "KEY_CODE"},
                        {"keep": {"CITY": "202"}})  # 202: 高崎市
    population, problems = load_population(layer)
    assert len(population) == 428
    assert population["total"].sum() == 370_884  # the same as the embedded chocho_2015.csv
    assert problems == []
    names = set(population["name"])
    assert "宿横手町" in names and "中居町１丁目" in names  # decoded, not mojibake
    assert population.crs == "EPSG:4326"


def test_dbf_keep_without_rows(tmp_path: Path) -> None:
    dbf = Path(__file__).parents[2] / "data" / "h27ka10_gunma_attributes.dbf"
    layer = LayerConfig("population", dbf, {"total": "JINKO", "lon": "X_CODE", "lat": "Y_CODE"},
                        {"keep": {"CITY": 999}})
    with pytest.raises(LayerError, match="h27ka10_gunma_attributes.dbf: no row has CITY = 999"):
        load_population(layer)


def test_keep_names_a_missing_column(tmp_path: Path) -> None:
    dbf = Path(__file__).parents[2] / "data" / "h27ka10_gunma_attributes.dbf"
    layer = LayerConfig("population", dbf, {"total": "JINKO", "lon": "X_CODE", "lat": "Y_CODE"},
                        {"keep": {"SHI": "202"}})
    with pytest.raises(LayerError, match="field 'SHI'.*Columns found: .*CITY"):
        load_population(layer)


@pytest.mark.parametrize("where", ["CITY = '202'", "1=1; DROP TABLE x", "CITY = '202' OR 1=1"])
def test_sql_text_in_the_config_is_refused_not_run(where: str) -> None:
    """A config holds data, not code: the old where = (OGR SQL) is refused with the fix."""
    dbf = Path(__file__).parents[2] / "data" / "h27ka10_gunma_attributes.dbf"
    layer = LayerConfig("population", dbf, {"total": "JINKO", "lon": "X_CODE", "lat": "Y_CODE"},
                        {"where": where})
    with pytest.raises(LayerError, match=r"keep = \{ CITY = \"202\" \}"):
        load_population(layer)


def test_every_age_band_from_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_text("name,人口,65歳以上,75歳以上,85歳以上,lon,lat\n"
                    "宿横手町,323,120,60,15,139.078,36.327\n"
                    "中居町１丁目,1204,400,180,40,139.038,36.320\n", encoding="utf-8")
    population, problems = load_population(LayerConfig(
        "population", path, {"total": "人口", "age65": "65歳以上", "age75": "75歳以上",
                             "age85": "85歳以上"}))
    assert problems == []
    assert population[["total", "age65", "age75", "age85"]].sum().tolist() == [1527, 520, 240, 55]
    assert population.attrs["bands"] == ("total", "age65", "age75", "age85")
    assert population.attrs["basis"] == "age65"


def test_the_embedded_takasaki_layer_gives_the_total_only() -> None:
    population, _ = load_population(CONFIG.layers["population"])
    assert population.attrs["bands"] == ("total",)
    assert population[["age65", "age75", "age85"]].isna().all().all()
    assert list(population.columns) == ["name", "key_code", "total", "age65", "age75", "age85",
                                        "geometry"]


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("A,100,50,60,,139.0,36.3",
         r"row 2, field '75歳以上': 75\+ \(60\) is more than 65\+ \(50\)"),
        ("A,100,50,40,45,139.0,36.3", r"row 2, field '85歳以上': 85\+ \(45\) is more than 75\+"),
        ("A,100,,40,50,139.0,36.3", r"row 2, field '85歳以上': 85\+ \(50\) is more than 75\+"),
        ("A,100,,120,,139.0,36.3", r"row 2, field '75歳以上': 75\+ \(120\) is more than the "
                                   r"total \(100\)"),
    ],
)
def test_bands_larger_than_the_band_before(tmp_path: Path, row: str, match: str) -> None:
    path = tmp_path / "pop.csv"
    path.write_text("name,人口,65歳以上,75歳以上,85歳以上,lon,lat\n" + row + "\n", encoding="utf-8")
    with pytest.raises(LayerError, match=match):
        load_population(LayerConfig("population", path, {
            "total": "人口", "age65": "65歳以上", "age75": "75歳以上", "age85": "85歳以上"}))


def test_a_band_mapped_to_a_missing_column(tmp_path: Path) -> None:
    layer = write(tmp_path, "name,人口,65歳以上,lon,lat\nA,100,20,139.0,36.3\n")
    layer = LayerConfig("population", layer.path, {**layer.fields, "age75": "75歳以上"})
    with pytest.raises(LayerError, match=r"field '75歳以上': there is no '75歳以上' column "
                                         r"\(fields.age75 in the config\)"):
        load_population(layer)


def test_unknown_format(tmp_path: Path) -> None:
    layer = write(tmp_path, "name,人口,65歳以上,lon,lat\nA,100,20,139.0,36.3\n")
    with pytest.raises(LayerError, match=r"field 'format': unknown population format 'mesh'. "
                                         r"Use one of: estat_mesh, estat_small_area"):
        load_population(LayerConfig("population", layer.path, layer.fields, {"format": "mesh"}))


@pytest.mark.parametrize(("options", "match"), [
    ({"format": "estat_mesh", "columns": {"total": "T001142001"}},
     r"field 'columns': \[layers.population\] has columns, which ibasho does not know. Map the "
     r"columns with fields = \{ total"),
    ({"table": "ages.csv"}, r"has table, which ibasho does not use without format = "
                            r"\"estat_small_area\""),
])
def test_options_that_would_be_ignored_are_refused(tmp_path: Path, options: dict,
                                                   match: str) -> None:
    layer = write(tmp_path, "name,人口,65歳以上,lon,lat\nA,100,20,139.0,36.3\n")
    with pytest.raises(LayerError, match=match):
        load_population(LayerConfig("population", layer.path, layer.fields, options))
