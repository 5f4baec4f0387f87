"""`ibasho streets`: import a real OSM extract and turn network analysis on for a config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import shapely
from click.testing import CliRunner

from layers.analysis import plan_study_area
from layers.study import load_study_area
from webmap.cli.main import main

NAGOYA = Path(__file__).resolve().parents[2] / "data" / "nagoya_sakae_josm.osm"
# central Nagoya (栄/伏見), inside the extract
WEST = shapely.box(136.8990, 35.1660, 136.9030, 35.1720)
EAST = shapely.box(136.9030, 35.1660, 136.9070, 35.1720)


def make_city(tmp_path: Path) -> Path:
    gpd.GeoDataFrame({"name": ["伏見", "栄"]}, geometry=[WEST, EAST],
                     crs="EPSG:4326").to_file(tmp_path / "districts.geojson")
    (tmp_path / "places.csv").write_text(
        "name,category,lon,lat\n伏見サロン,サロン,136.9005,35.1690\n栄公民館,公民館,136.9055,35.1700\n",
        encoding="utf-8")
    (tmp_path / "population.csv").write_text(
        "name,total,lon,lat\n錦一丁目,300,136.9000,35.1700\n栄三丁目,500,136.9060,35.1670\n"
        "丸の内,200,136.9020,35.1715\n", encoding="utf-8")
    config = tmp_path / "ibasho.toml"
    config.write_text(
        '[study_area]\nname = "名古屋市中区（試験）"\nmetric_crs = "EPSG:6675"\n'
        "[walking]\nminutes = [3, 5, 8]\n"
        '[layers.districts]\npath = "districts.geojson"\n'
        '[layers.places]\npath = "places.csv"\n'
        '[layers.population]\npath = "population.csv"\n'
        '# a comment that must survive\n', encoding="utf-8")
    return config


def test_streets_turns_network_analysis_on(tmp_path: Path) -> None:
    config = make_city(tmp_path)
    assert plan_study_area(load_study_area(config)).method == "straight"
    result = CliRunner().invoke(main, ["streets", str(config), "--osm", str(NAGOYA)])
    assert result.exit_code == 0, result.output
    assert "walkable" in result.stderr and "Network analysis is on" in result.stderr
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    assert Path(raw["network"]["streets"]).resolve() == NAGOYA.resolve()
    assert "# a comment that must survive" in config.read_text(encoding="utf-8")
    assert list((tmp_path / ".ibasho-cache").glob("streets-*.npz"))
    plan = plan_study_area(load_study_area(config))
    assert plan.method == "network"
    table = plan.network.coverage.table
    assert (table["covered"] <= table["population"]).all()
    # the straight line never reaches fewer people than the real streets do
    comparison = plan.network.comparison
    assert (comparison["network_covered"] <= comparison["straight_covered"] + 1e-9).all()


def test_streets_refuses_an_extract_elsewhere(tmp_path: Path) -> None:
    config = make_city(tmp_path)
    monaco = Path(__file__).resolve().parents[2] / "data" / "monaco.osm.gz"
    result = CliRunner().invoke(main, ["streets", str(config), "--osm", str(monaco)])
    assert result.exit_code == 1
    assert "monaco.osm.gz" in result.output and "overlap" in result.output
    assert "network" not in tomllib.loads(config.read_text(encoding="utf-8"))
