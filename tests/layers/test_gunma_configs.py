"""Study areas of the Gunma municipalities: generated configs, no districts, no places."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from layers.config import load_config
from layers.errors import LayerError
from layers.study import analyse_study_area, check_study_area, load_study_area

ROOT = Path(__file__).resolve().parents[2]
GUNMA = ROOT.parent / "shared" / "data" / "gunma"
CENSUS = GUNMA / "population" / "chocho_2015_gunma.csv"

pytestmark = pytest.mark.skipif(not GUNMA.is_dir(), reason="the shared Gunma data is absent")


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gunma")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_gunma_configs.py"), str(out),
                    "--data", str(GUNMA)], check=True, capture_output=True)
    return out


def test_one_config_per_municipality(configs: Path) -> None:
    paths = sorted(configs.glob("*/ibasho.toml"))
    assert len(paths) == 35
    kanna = load_config(configs / "10367" / "ibasho.toml")  # 神流町: no feed stops there
    assert kanna.name == "神流町"
    assert kanna.layer("stops") is None
    assert not kanna.places_known
    assert kanna.districts_source == "whole"


def test_a_municipality_without_districts_or_places_is_one_area(configs: Path) -> None:
    config = configs / "10366" / "ibasho.toml"  # 上野村
    assert not [p for p in check_study_area(config) if p.is_error]
    study = load_study_area(config)
    census = pd.read_csv(CENSUS, dtype={"city_code": str})
    people = census.loc[census["city_code"] == "10366", "population"].sum()
    assert study.district_names == ["上野村"]
    assert len(study.places) == 0
    assert study.population["total"].sum() == people
    assert len(study.candidates) == 24  # the 24 shelters 上野村 lists
    result = analyse_study_area(study)
    assert result.city["population"].tolist() == [people] * 3
    assert (result.city["covered"] == 0).all()  # no place known: nobody is "covered"


def test_districts_grouped_from_census_areas(configs: Path, tmp_path: Path) -> None:
    source = (configs / "10366" / "ibasho.toml").read_text(encoding="utf-8")
    config = tmp_path / "ibasho.toml"
    (tmp_path / "outline.geojson").write_bytes((configs / "10366" / "outline.geojson").read_bytes())
    config.write_text(source + '\n[districts]\nfrom_population = "name"\n', encoding="utf-8")
    study = load_study_area(config)
    census = pd.read_csv(CENSUS, dtype={"city_code": str})
    names = census.loc[census["city_code"] == "10366", "name"]
    assert sorted(study.district_names) == sorted(names.unique())
    assert study.config.districts_approximate
    result = analyse_study_area(study)
    first = result.table[result.table["radius_m"] == 300]
    # every census area's people fall in the district made from its own point
    by_name = census[census["city_code"] == "10366"].groupby("name")["population"].sum()
    assert first.set_index("district")["population"].to_dict() == by_name.to_dict()


def test_grouping_by_a_column_the_file_lacks_names_it(configs: Path, tmp_path: Path) -> None:
    source = (configs / "10366" / "ibasho.toml").read_text(encoding="utf-8")
    (tmp_path / "outline.geojson").write_bytes((configs / "10366" / "outline.geojson").read_bytes())
    config = tmp_path / "ibasho.toml"
    config.write_text(source + '\n[districts]\nfrom_population = "地区"\n', encoding="utf-8")
    with pytest.raises(LayerError, match="地区"):
        load_study_area(config)


def test_no_districts_and_no_outline_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "ibasho.toml"
    config.write_text('[study_area]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(LayerError, match="outline"):
        load_config(config)
