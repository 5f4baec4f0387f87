"""Straight-line what-if and siting: equal to recomputation, and optimal on small cases."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data import get_path
from geo.planning.straight_line import (
    coverage_table,
    straight_reach,
    straight_sites,
    straight_what_if,
)
from layers.study import load_study_area


@pytest.fixture(scope="module")
def takasaki():
    return load_study_area(get_path("takasaki"))


def test_what_if_remove_and_add_equal_recomputation(takasaki) -> None:
    study = takasaki
    reach = straight_reach(study.places, study.population, study.districts)
    located = np.flatnonzero(study.places.geometry.notna())
    for row in located[[0, 7, 30]]:
        removed = straight_what_if(reach, remove=int(row))
        full = straight_reach(study.places.drop(index=row), study.population, study.districts)
        assert np.allclose(removed.nearest_m, full.nearest_m)
        for radius in (300, 800):
            assert (coverage_table(removed, [radius])[0]["covered"].to_numpy()
                    == pytest.approx(coverage_table(full, [radius])[0]["covered"].to_numpy()))
    site = study.candidates.geometry.iloc[12]
    added_xy = tuple(gpd.GeoSeries([site], crs=4326).to_crs(reach.metric_crs).get_coordinates()
                     .iloc[0])
    added = straight_what_if(reach, add_xy=added_xy)
    more = study.places.iloc[[0]].copy()
    more["geometry"] = [site]
    full = straight_reach(gpd.pd.concat([study.places, more], ignore_index=True),
                          study.population, study.districts)
    assert np.allclose(added.nearest_m, full.nearest_m)
    city_before = coverage_table(reach, [500])[1]["covered"].iloc[0]
    assert coverage_table(added, [500])[1]["covered"].iloc[0] >= city_before


def test_direct_distances_equal_the_k_d_tree(takasaki, monkeypatch) -> None:
    """Small what-ifs measure directly; large areas use the tree: both give the same reach."""
    from geo.planning import straight_line

    study = takasaki
    direct = straight_reach(study.places, study.population, study.districts)
    monkeypatch.setattr(straight_line, "BRUTE_FORCE_PAIRS", 0)
    tree = straight_reach(study.places, study.population, study.districts)
    assert np.allclose(direct.nearest_m, tree.nearest_m)
    assert np.allclose(direct.second_m, tree.second_m)
    assert (direct.nearest == tree.nearest).mean() > 0.99  # ties may pick either place
    for row in np.flatnonzero(study.places.geometry.notna())[[0, 5]]:
        assert np.allclose(straight_what_if(direct, remove=int(row)).nearest_m,
                           straight_what_if(tree, remove=int(row)).nearest_m)


def test_coverage_table_equals_a_groupby_of_the_residents(takasaki) -> None:
    """The vectorised table against pandas' groupby of the same residents, radius by radius."""
    study = takasaki
    reach = straight_reach(study.places, study.population, study.districts)
    radii = [300.0, 500.0, 800.0]
    table, city = coverage_table(reach, radii)
    people = pd.DataFrame({"district": reach.district, "weight": reach.weights,
                           "nearest_m": reach.nearest_m})
    names = list(pd.unique(reach.district))
    assert len(names) > 20 and len(table) == len(names) * len(radii)
    for radius in radii:
        expected = (people.assign(covered=people["weight"].where(people["nearest_m"] <= radius,
                                                                 0.0))
                    .groupby("district", sort=False)[["weight", "covered"]].sum())
        rows = table[table["radius_m"] == radius]
        assert rows["district"].tolist() == names  # districts in the residents' order
        rows = rows.set_index("district")
        assert rows["population"].to_numpy() == pytest.approx(expected["weight"].to_numpy())
        assert rows["covered"].to_numpy() == pytest.approx(expected["covered"].to_numpy())
        assert (rows["uncovered"] + rows["covered"]).to_numpy() == pytest.approx(
            rows["population"].to_numpy())
        at_city = city[city["radius_m"] == radius].iloc[0]
        assert at_city["covered"] == pytest.approx(expected["covered"].sum())
        assert at_city["covered_share"] == pytest.approx(
            expected["covered"].sum() / expected["weight"].sum())
    assert (city["covered"].diff().dropna() >= 0).all()  # a larger radius covers no fewer


def test_coverage_table_of_a_district_where_nobody_lives() -> None:
    """Hand-made: two districts, one with residents, one with none (its share is NaN)."""
    reach = straight_reach(
        gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs="EPSG:6677"),
        gpd.GeoDataFrame({"total": [10.0, 5.0, 0.0]},
                         geometry=[shapely.Point(100, 0), shapely.Point(600, 0),
                                   shapely.Point(5000, 0)], crs="EPSG:6677"),
        gpd.GeoDataFrame({"name": ["近い", "遠い"]},
                         geometry=[shapely.box(-1000, -1000, 1000, 1000),
                                   shapely.box(4000, -1000, 6000, 1000)], crs="EPSG:6677"),
        metric_crs="EPSG:6677")
    table, city = coverage_table(reach, [500.0])
    assert table["district"].tolist() == ["近い", "遠い"]
    assert table["covered"].tolist() == [10.0, 0.0]
    assert table["covered_share"].iloc[0] == pytest.approx(10 / 15)
    assert np.isnan(table["covered_share"].iloc[1])
    assert city["population"].iloc[0] == 15.0 and city["covered"].iloc[0] == 10.0


def test_greedy_matches_brute_force_on_a_small_instance() -> None:
    crs = "EPSG:6677"
    rng = np.random.default_rng(7)
    people_xy = rng.uniform(0, 3000, size=(60, 2))
    population = gpd.GeoDataFrame({"total": rng.integers(1, 50, 60).astype(float)},
                                  geometry=shapely.points(people_xy), crs=crs)
    places = gpd.GeoDataFrame({"name": ["既存"]}, geometry=[shapely.Point(500, 500)], crs=crs)
    districts = gpd.GeoDataFrame({"name": ["全域"]}, geometry=[shapely.box(0, 0, 3000, 3000)],
                                 crs=crs)
    candidates = gpd.GeoDataFrame(geometry=shapely.points(rng.uniform(0, 3000, (12, 2))), crs=crs)
    reach = straight_reach(places, population, districts, metric_crs=crs)
    result = straight_sites(reach, candidates, radius_m=700, k=1)
    # best single site by brute force
    uncovered = reach.nearest_m > 700
    gains = [population["total"][uncovered & (np.hypot(*(people_xy - c).T) <= 700)].sum()
             for c in candidates.get_coordinates().to_numpy()]
    assert result.table["newly_covered"].iloc[0] == max(gains)
    # k = 3: greedy reaches at least (1 - 1/e) of the optimum over all triples
    greedy = straight_sites(reach, candidates, radius_m=700, k=3).table["newly_covered"].sum()
    xy = candidates.get_coordinates().to_numpy()
    best = 0.0
    for triple in itertools.combinations(range(len(xy)), 3):
        near = np.zeros(len(people_xy), bool)
        for c in triple:
            near |= np.hypot(*(people_xy - xy[c]).T) <= 700
        best = max(best, population["total"][uncovered & near].sum())
    assert greedy >= (1 - 1 / np.e) * best
    assert greedy <= best


def test_takasaki_suggestions(takasaki) -> None:
    study = takasaki
    reach = straight_reach(study.places, study.population, study.districts)
    suggestion = straight_sites(reach, study.candidates, radius_m=500, k=5)
    table = suggestion.table
    assert len(table) == 5
    assert (np.diff(table["newly_covered"]) <= 0).all()  # greedy gains never grow
    assert table["covered_total"].iloc[-1] == pytest.approx(
        suggestion.covered_before + table["newly_covered"].sum())
    assert set(table["district"]) <= set(study.districts["name"])
