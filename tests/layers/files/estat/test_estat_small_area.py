"""小地域: the e-Stat boundary zip joined with the age table, on the real 2015 Gunma attributes.

The boundary's attributes are the real ones of ``tests/data/h27ka10_gunma_attributes.dbf``
(keys, names, JINKO, HCODE); its polygons and the age tables are made up (架空の数値), both
written by ``tests/estat_files.py`` in e-Stat's exact layout.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from estat_files import (
    AreaRow,
    gunma_attributes,
    hide_area,
    made_up_ages,
    small_area_text,
    takasaki_age_rows,
    with_sum_rows,
    write_boundary_zip,
    write_zip,
)

from data import get_path
from layers.config import LayerConfig, load_config
from layers.errors import LayerError
from layers.files.points import StudyExtent
from layers.files.population import load_population
from layers.study import study_outline

CONFIG = load_config(get_path("takasaki"))
EXTENT = StudyExtent(study_outline(CONFIG), metric_crs=CONFIG.metric_crs)
AGE65, AGE75 = "T001082019", "T001082020"


@pytest.fixture(scope="module")
def takasaki_areas():
    return gunma_attributes("202")


def layer(boundary: Path, table: Path | None = None, **options) -> LayerConfig:
    extra = {"table": table} if table is not None else {}
    return LayerConfig("population", boundary, options.pop("fields", {}),
                       {"format": "estat_small_area", **extra, **options})


def table_zip(folder: Path, rows: list[AreaRow], name: str = "tblT001082C10202") -> Path:
    return write_zip(folder / f"madeup_{name}.zip", {f"{name}.txt": small_area_text(rows)})


def test_real_gunma_pieces_sharing_a_key_are_summed_never_duplicated(tmp_path: Path) -> None:
    records = gunma_attributes(city=None)
    assert len(records) == 2506 and records["KEY_CODE"].nunique() == 2415
    population, warnings = load_population(layer(write_boundary_zip(tmp_path, records)))
    assert len(population) == 2415 and population["key_code"].is_unique
    assert population["total"].sum() == 1_973_115  # the official 2015 count of Gunma
    assert population.attrs["bands"] == ("total",) and population.attrs["basis"] == "total"
    people = records.groupby("KEY_CODE")["JINKO"].sum()
    assert (population.set_index("key_code")["total"] == people.reindex(
        population["key_code"]).to_numpy()).all()
    edagi = population.set_index("key_code").loc["10202210010"]  # 江木町: 5 pieces, E1–E5
    assert (edagi["name"], edagi["total"]) == ("江木町", 151)
    pieces = records[records["KEY_CODE"] == "10202210010"].to_crs(6677).area.sum()
    assert population[population["key_code"] == "10202210010"].to_crs(6677).area.iloc[0] \
        == pytest.approx(pieces)
    assert warnings == []


def test_takasaki_with_its_age_table(tmp_path: Path, takasaki_areas) -> None:
    leaves = takasaki_age_rows(takasaki_areas)
    rows = with_sum_rows(leaves)
    assert rows[0].key == "10202" and rows[0].counts["T001082001"] == 370_884  # the city's sum
    population, warnings = load_population(
        layer(write_boundary_zip(tmp_path, takasaki_areas), table_zip(tmp_path, rows)),
        extent=EXTENT)
    assert warnings == []
    assert len(population) == 403
    assert population["total"].sum() == 370_884  # the sum rows are not counted again
    assert population["age65"].sum() == sum(leaf.counts[AGE65] for leaf in leaves)
    assert population["age75"].sum() == sum(leaf.counts[AGE75] for leaf in leaves)
    assert population["age85"].isna().all()  # this table stops at 75+
    assert population.attrs["bands"] == ("total", "age65", "age75")
    assert population.attrs["basis"] == "age65"
    assert "宿横手町" in set(population["name"])


def test_hidden_areas_are_spread_over_their_carrier(tmp_path: Path, takasaki_areas) -> None:
    leaves = takasaki_age_rows(takasaki_areas)
    truth = sum(leaf.counts[AGE65] for leaf in leaves)
    small = [i for i, leaf in enumerate(leaves) if 0 < leaf.counts["T001082001"] < 40]
    hide_area(leaves, small[0], small[0] + 1)
    population, warnings = load_population(
        layer(write_boundary_zip(tmp_path, takasaki_areas),
              table_zip(tmp_path, with_sum_rows(leaves))), extent=EXTENT)
    assert warnings == []
    assert population["age65"].sum() == pytest.approx(truth)
    by_key = population.set_index("key_code")
    member, carrier = leaves[small[0]], leaves[small[0] + 1]
    share = by_key.loc[member.key, "total"] / (by_key.loc[member.key, "total"]
                                              + by_key.loc[carrier.key, "total"])
    assert by_key.loc[member.key, "age65"] == pytest.approx(carrier.counts[AGE65] * share)


def test_keys_on_one_side_only_are_reported(tmp_path: Path, takasaki_areas) -> None:
    leaves = takasaki_age_rows(takasaki_areas)
    no_ages = leaves.pop(10)  # in the boundary, not in the table
    drawn = takasaki_areas[takasaki_areas["KEY_CODE"] != leaves[20].key]  # in the table only
    population, warnings = load_population(
        layer(write_boundary_zip(tmp_path, drawn), table_zip(tmp_path, with_sum_rows(leaves))))
    messages = [str(w) for w in warnings]
    assert len(messages) == 2
    assert messages[0].startswith("tblT001082C10202.txt, row ")
    assert f"KEY_CODE {leaves[20].key} ({leaves[20].name}) has no polygon in " \
           f"madeup_A002005212015DDSWC10202.zip: its {leaves[20].counts['T001082001']} people " \
           "are not on the map." in messages[0]
    assert f"KEY_CODE {no_ages.key} ({no_ages.name}) has no row in " \
           "madeup_tblT001082C10202.zip" in messages[1]
    row = population.set_index("key_code").loc[no_ages.key]
    assert row["total"] == no_ages.counts["T001082001"] and np.isnan(row["age65"])


def test_water_pieces_are_left_out_of_the_polygons(tmp_path: Path) -> None:
    land = shapely.box(139.00, 36.30, 139.01, 36.31)
    lake = shapely.box(139.01, 36.30, 139.02, 36.31)
    pond = shapely.box(139.02, 36.30, 139.03, 36.31)
    river = shapely.box(139.03, 36.30, 139.04, 36.31)
    areas = pd.DataFrame({
        "KEY_CODE": ["10202001001", "10202001001", "10202001002", "10202001003"],
        "HCODE": [8101, 8154, 8154, 8154], "MOJI": ["岸町", "岸町", "沼", "川"],
        "JINKO": [120, 0, 0, 4], "CITY": "202"})
    boundary = write_boundary_zip(tmp_path, gpd.GeoDataFrame(
        areas, geometry=[land, lake, pond, river], crs="EPSG:4612"))
    population, warnings = load_population(layer(boundary))
    by_key = population.set_index("key_code")
    assert list(by_key.index) == ["10202001001", "10202001003"]  # the empty pond is dropped
    assert by_key.loc["10202001001", "geometry"].equals(land)  # the lake is not drawn
    assert by_key.loc["10202001001", "total"] == 120
    assert [w.row for w in warnings] == [4]
    assert "has 4 people and the area has no land piece" in warnings[0].problem


def test_a_table_of_another_census_is_refused(tmp_path: Path, takasaki_areas) -> None:
    rng = np.random.default_rng(9)
    leaves = [AreaRow(key=leaf.key, level=leaf.level, city_name=leaf.city_name, name=leaf.name,
                      counts=made_up_ages(leaf.counts["T001082001"] + 7, rng))
              for leaf in takasaki_age_rows(takasaki_areas)]
    with pytest.raises(LayerError, match=r"the boundary's JINKO and the table's total differ in "
                                         r"\d+ of 403 areas: the two files seem to be of "
                                         r"different censuses"):
        load_population(layer(write_boundary_zip(tmp_path, takasaki_areas),
                              table_zip(tmp_path, with_sum_rows(leaves))))


def test_a_prefecture_boundary_kept_to_one_city_and_a_prefecture_table(tmp_path: Path) -> None:
    records = gunma_attributes(city=None)
    leaves = takasaki_age_rows(records[records["CITY"].isin(["201", "202"])])
    population, warnings = load_population(
        layer(write_boundary_zip(tmp_path, records, stem="h27ka10"),
              table_zip(tmp_path, with_sum_rows(leaves), name="tblT001082C10"),
              keep={"CITY": "202"}))
    assert len(population) == 403 and population["total"].sum() == 370_884
    assert warnings == []  # 前橋市's rows of the table are not "missing polygons"


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda rows: rows[5].counts.update({AGE65: -3}),
         r"row 8, field 'T001082019': -3 is negative"),
        (lambda rows: rows[6].counts.update({AGE75: 10**6}),
         r"row 9, field 'T001082020': 75\+ \(1000000\) is more than 65\+"),
        (lambda rows: setattr(rows[7], "htksyori", 5), r"row 10, field 'HTKSYORI': '5' is not"),
        (lambda rows: setattr(rows[8], "key", "10202-0001"),
         r"row 11, field 'KEY_CODE': '10202-0001' is not a KEY_CODE"),
    ],
    ids=["negative", "band-above-band", "htksyori", "key"],
)
def test_bad_table(tmp_path: Path, takasaki_areas, edit, match: str) -> None:
    rows = with_sum_rows(takasaki_age_rows(takasaki_areas))
    edit(rows)
    with pytest.raises(LayerError, match=match):
        load_population(layer(write_boundary_zip(tmp_path, takasaki_areas),
                              table_zip(tmp_path, rows)))


def test_unknown_fields_and_columns(tmp_path: Path, takasaki_areas) -> None:
    boundary = write_boundary_zip(tmp_path, takasaki_areas)
    with pytest.raises(LayerError, match=r"field 'KEYCODE': there is no column 'KEYCODE' "
                                         r"\(fields.key_code in the config\)"):
        load_population(layer(boundary, fields={"key_code": "KEYCODE"}))
    with pytest.raises(LayerError, match=r"fields names age100"):
        load_population(layer(boundary, fields={"age100": "T001082099"}))
    table = table_zip(tmp_path, with_sum_rows(takasaki_age_rows(takasaki_areas)))
    with pytest.raises(LayerError, match=r"there is no column 'T001083019' \(fields.age65"):
        load_population(layer(boundary, table, fields={"age65": "T001083019"}))


def test_the_boundary_is_read_as_shift_jis_from_the_zip(tmp_path: Path, takasaki_areas) -> None:
    boundary = write_boundary_zip(tmp_path, takasaki_areas)
    names = zipfile.ZipFile(boundary).namelist()
    assert sorted(names) == ["h27ka10202.dbf", "h27ka10202.prj", "h27ka10202.shp",
                             "h27ka10202.shx"]  # no .cpg, as e-Stat serves it
    population, _ = load_population(layer(boundary))
    assert {"宿横手町", "中居町１丁目"} <= set(population["name"])
