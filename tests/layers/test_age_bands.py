"""Age bands in the plan (coverage, suggestions, what-if, minutes grid) and the dasymetric
options of the population layer.

Takasaki's real 2015 data has totals only: its plans count everyone and say so. The age
bands are tested on a 250 m mesh file in e-Stat's layout with MADE-UP counts (架空の数値,
``tests/estat_files.py``); the buildings and the river of the dasymetric test are made up.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from estat_files import takasaki_mesh_rows, write_estat_city

from geo.mesh import mesh_polygons
from layers.analysis import plan_study_area, what_if_counts
from layers.config import load_config
from layers.errors import LayerError
from layers.study import analyse_study_area, load_study_area

BBOX = (138.99, 36.30, 139.04, 36.34)  # central Takasaki


def test_takasaki_has_totals_only_and_says_so(takasaki) -> None:
    plan = plan_study_area(takasaki)
    assert plan.basis == "total"
    assert plan.grid is not None and plan.grid.basis == "total"
    with pytest.raises(ValueError, match="no 'age65' count.*it has: total"):
        plan_study_area(takasaki, basis="age65")
    with pytest.raises(ValueError, match="unknown population basis 'age100'"):
        analyse_study_area(takasaki, basis="age100")


@pytest.fixture(scope="module")
def estat_study(tmp_path_factory):
    rows = takasaki_mesh_rows(digits=10, bbox=BBOX, seed=5)
    config = write_estat_city(tmp_path_factory.mktemp("bands"), rows)
    return load_study_area(config)


def test_the_plan_counts_the_band_asked_for(estat_study) -> None:
    plans = {basis: plan_study_area(estat_study, basis=basis)
             for basis in ("total", "age65", "age75", "age85")}
    assert plan_study_area(estat_study).basis == "age65"  # the default: 65+
    population = estat_study.population
    for basis, plan in plans.items():
        assert plan.basis == basis and plan.grid is not None and plan.grid.basis == basis
        assert plan.straight is not None
        assert plan.straight.weights.sum() == pytest.approx(population[basis].sum())
    covered = {basis: plan.straight_coverage[0]["covered"].to_numpy()  # type: ignore[index]
               for basis, plan in plans.items()}
    assert (covered["age85"] <= covered["age75"] + 1e-9).all()
    assert (covered["age75"] <= covered["age65"] + 1e-9).all()
    assert (covered["age65"] <= covered["total"] + 1e-9).all()
    assert covered["age75"].sum() < covered["age65"].sum()


def test_suggestions_are_judged_by_the_band(estat_study) -> None:
    """A suggested site's gain is the people of the band it brings within reach: adding it
    in a what-if gains exactly that many."""
    for basis in ("age65", "age75"):
        plan = plan_study_area(estat_study, basis=basis)
        assert plan.suggestions is not None and len(plan.suggestions)
        best = plan.suggestions.iloc[0]
        counts = what_if_counts(estat_study, plan,
                                add_lonlats=[(best.geometry.x, best.geometry.y)])
        radius = plan.suggestion_threshold
        row = counts.thresholds.index(radius)
        gain = counts.covered_after[row].sum() - counts.covered_before[row].sum()
        assert gain == pytest.approx(best["newly_covered"])
    age65 = plan_study_area(estat_study, basis="age65").suggestions
    age75 = plan_study_area(estat_study, basis="age75").suggestions
    assert age75["newly_covered"].iloc[0] < age65["newly_covered"].iloc[0]


def test_grid_people_by_band(estat_study) -> None:
    plan = plan_study_area(estat_study, basis="age75")
    grid = plan.grid
    assert grid is not None and grid.method == "straight"
    cells = estat_study.population["key_code"].tolist()
    by_cell = grid.cells.set_index("cell")["people"]
    # the population is the same 250 m mesh: each cell holds its own people (area share 1)
    assert by_cell[cells].to_numpy() == pytest.approx(
        estat_study.population["age75"].to_numpy(), rel=1e-6)
    assert grid.city["people"].sum() == pytest.approx(estat_study.population["age75"].sum())


def write_polygons(path: Path, frame: gpd.GeoDataFrame) -> str:
    frame.to_file(path)
    return path.name


def test_dasymetric_and_water(tmp_path: Path) -> None:
    """Made-up houses in every other cell, and a made-up river across the cells' west."""
    rows = takasaki_mesh_rows(digits=10, bbox=BBOX, seed=5)
    first = write_estat_city(tmp_path / "plain", rows)
    plain = load_study_area(first).population
    cells = mesh_polygons(plain["key_code"])
    centres = shapely.centroid(cells)
    houses = gpd.GeoDataFrame(
        {"kind": ["住宅", "工場"] * len(centres[::2])},
        geometry=[shapely.buffer(c, r) for c in centres[::2] for r in (0.0004, 0.0002)],
        crs="EPSG:4326")
    river = gpd.GeoDataFrame(geometry=[shapely.box(139.0, 36.29, 139.003, 36.35)],
                             crs="EPSG:4326")
    folder = tmp_path / "dasymetric"
    folder.mkdir()
    config = write_estat_city(
        folder, rows, population_options=(
            'water = "../river.gpkg"\n'
            'dasymetric = { path = "../houses.gpkg", keep = { kind = "住宅" } }'))
    write_polygons(config.parent.parent / "river.gpkg", river)
    write_polygons(config.parent.parent / "houses.gpkg", houses)
    study = load_study_area(config)
    population = study.population
    for band in ("total", "age65", "age75", "age85"):
        assert population[band].sum() == plain[band].sum()  # no one is lost
    assert population.attrs["living"] == ["houses.gpkg", "river.gpkg"]
    housed = population.geometry.iloc[::2].to_numpy()
    homes = shapely.buffer(centres[::2], 0.0004)
    in_river = shapely.intersects(homes, river.geometry.iloc[0])
    assert in_river.any() and not in_river.all()
    # a cell with a house keeps the house; one whose house is in the river, its dry strip
    assert shapely.area(shapely.difference(housed[~in_river], homes[~in_river])).max() < 1e-15
    assert np.allclose(shapely.area(housed[~in_river]), shapely.area(homes[~in_river]))
    assert shapely.area(shapely.intersection(
        population.geometry.to_numpy(), river.geometry.iloc[0])).max() < 1e-15
    warning = [p for p in study.warnings if p.field == "dasymetric"]
    assert len(warning) == 1 and "spread over the whole area" in warning[0].problem
    plan = plan_study_area(study, basis="age65")
    assert plan.grid is not None
    assert plan.grid.cells["people"].sum() == pytest.approx(population["age65"].sum())


def test_bad_grid_and_dasymetric_options(tmp_path: Path) -> None:
    rows = takasaki_mesh_rows(digits=10, bbox=BBOX, seed=5)
    config = write_estat_city(tmp_path / "a", rows, extra='[grid]\ncells = "hex"\n')
    with pytest.raises(LayerError, match=r"field 'grid.cells': unknown kind of cells 'hex'"):
        load_config(config)
    config = write_estat_city(tmp_path / "b", rows, population_options='water = "no.gpkg"')
    with pytest.raises(LayerError, match=r"layers.population.water.*'no.gpkg' does not exist"):
        load_config(config)
    config = write_estat_city(tmp_path / "c", rows,
                              population_options='dasymetric = "../points.geojson"')
    gpd.GeoDataFrame(geometry=[shapely.Point(139.0, 36.3)], crs="EPSG:4326").to_file(
        config.parent.parent / "points.geojson")
    with pytest.raises(LayerError, match="dasymetric needs polygons"):
        load_study_area(config)
