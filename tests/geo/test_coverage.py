"""Coverage per district: exact sums on hand-made cases, invariants on Takasaki."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from data import get_path
from geo.coverage.by_distance import coverage_by_district
from geo.crs import METRIC_CRS
from geo.memo import FrameMemo
from geo.streets.walking import PROFILES
from layers.study import analyse_study_area, load_study_area

ELDERLY = PROFILES["elderly"]

WEST, EAST = shapely.box(0, 0, 2000, 2000), shapely.box(2000, 0, 4000, 2000)


@pytest.fixture
def toy() -> dict:
    districts = gpd.GeoDataFrame({"name": ["西", "東"]}, geometry=[WEST, EAST], crs=METRIC_CRS)
    places = gpd.GeoDataFrame({"name": ["A", "B"], "district": ["西", "東"]},
                              geometry=[shapely.Point(1000, 1000), None], crs=METRIC_CRS)
    population = gpd.GeoDataFrame(
        {"total": [100.0, 40.0, 7.0], "age65": [30.0, 10.0, 2.0]},
        geometry=[shapely.Point(1100, 1000), shapely.Point(1900, 1900), shapely.Point(3000, 1000)],
        crs=METRIC_CRS)
    return {"districts": districts, "places": places, "population": population}


def test_hand_made_sums(toy: dict) -> None:
    result = coverage_by_district(toy["districts"], toy["places"], radii_m=[500], profile=ELDERLY,
                                  population=toy["population"], metric_crs=METRIC_CRS)
    assert result.basis == "age65"
    west = result.table.set_index("district").loc["西"]
    assert west["population"] == 40 and west["covered"] == 30 and west["uncovered"] == 10
    assert west["covered_area_km2"] == pytest.approx(math.pi * 0.25, rel=0.005)
    assert (west["places"], west["places_unlocated"]) == (1, 0)
    east = result.table.set_index("district").loc["東"]
    assert (east["covered"], east["uncovered"], east["places_unlocated"]) == (0, 2, 1)
    assert result.city["covered"].iloc[0] == 30 and result.city["population"].iloc[0] == 42
    gap_people = result.gaps.set_index("district")["population"]
    assert gap_people.to_dict() == {"西": 10, "東": 2}


def test_total_when_no_age65(toy: dict) -> None:
    population = toy["population"].drop(columns="age65")
    result = coverage_by_district(toy["districts"], toy["places"], radii_m=[500], profile=ELDERLY,
                                  population=population)
    assert result.basis == "total"
    assert result.city["covered"].iloc[0] == 100


def test_polygon_population_split_by_area(toy: dict) -> None:
    population = gpd.GeoDataFrame({"total": [400.0]}, geometry=[shapely.box(1000, 0, 3000, 2000)],
                                  crs=METRIC_CRS)
    result = coverage_by_district(toy["districts"], toy["places"], radii_m=[300], profile=ELDERLY,
                                  population=population)
    table = result.table.set_index("district")
    assert table.loc["西", "population"] == pytest.approx(200)
    disc_share = (math.pi * 300**2 / 2) / (2000 * 2000)
    assert table.loc["西", "covered"] == pytest.approx(400 * disc_share, rel=0.01)


def test_without_population(toy: dict) -> None:
    result = coverage_by_district(toy["districts"], toy["places"], radii_m=[500], profile=ELDERLY)
    assert result.basis is None
    assert np.isnan(result.city["covered"].iloc[0])


@pytest.fixture(scope="module")
def takasaki_coverage():
    study = load_study_area(get_path("takasaki"))
    return study, analyse_study_area(study)


def test_takasaki_invariants(takasaki_coverage) -> None:
    study, result = takasaki_coverage
    table = result.table
    assert len(table) == 26 * 3
    assert (table["covered"] <= table["population"]).all()
    assert np.allclose(table["covered"] + table["uncovered"], table["population"])
    # the districts hold everyone counted in the 2015 census
    assert result.city["population"].iloc[0] == pytest.approx(370_884)
    # a wider radius never covers fewer people, in any district
    wide = table.pivot(index="district", columns="radius_m", values="covered")
    assert (wide[300.0] <= wide[500.0]).all() and (wide[500.0] <= wide[800.0]).all()
    # every located place is counted in exactly one district
    assert table[table.radius_m == 500]["places"].sum() == study.places.geometry.notna().sum()
    assert result.city["stops"].iloc[0] == len(study.stops)
    # 800 m reach is a subset of the district area; gaps + covered = area
    area = table["area_km2"]
    gaps = result.gaps.set_index(["district", "radius_m"])["area_km2"]
    covered = table.set_index(["district", "radius_m"])["covered_area_km2"]
    assert np.allclose((gaps + covered).dropna().to_numpy(),
                       table.set_index(["district", "radius_m"])["area_km2"]
                       .loc[gaps.index].to_numpy(), rtol=1e-6)
    assert (table["covered_area_km2"] <= area + 1e-9).all()


def test_mixed_points_and_polygons(toy: dict) -> None:
    population = gpd.GeoDataFrame(
        {"total": [400.0, 5.0]},
        geometry=[shapely.box(1000, 0, 3000, 2000), shapely.Point(1000, 1100)], crs=METRIC_CRS)
    result = coverage_by_district(toy["districts"], toy["places"], radii_m=[300], profile=ELDERLY,
                                  population=population)
    table = result.table.set_index("district")
    disc_share = (math.pi * 300**2 / 2) / (2000 * 2000)
    assert table.loc["西", "covered"] == pytest.approx(5 + 400 * disc_share, rel=0.01)
    assert table.loc["西", "population"] == pytest.approx(205)


def test_takasaki_output_polygons_are_valid(takasaki_coverage) -> None:
    _, result = takasaki_coverage
    for frame in (result.buffers, result.stop_buffers, result.gaps):
        assert frame.geometry.is_valid.all()
        assert frame.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_a_server_analysing_again_gets_fresh_figures(toy: dict) -> None:
    """
    A server analyses again after every edit with the same district, stop and population
    frames, whose part is computed once (kept in the study's memo): the places' part must
    still be new each time, and a frame changed in place must not give the figures of before.
    """
    stops = gpd.GeoDataFrame({"name": ["停"]}, geometry=[shapely.Point(3000, 1000)],
                             crs=METRIC_CRS)
    args = {"radii_m": [500], "population": toy["population"], "stops": stops, "profile": ELDERLY,
            "metric_crs": METRIC_CRS, "memo": FrameMemo()}
    first = coverage_by_district(toy["districts"], toy["places"], **args)
    again = coverage_by_district(toy["districts"], toy["places"], **args)
    assert first.table.equals(again.table) and first.stop_buffers.equals(again.stop_buffers)
    assert again.table.set_index("district").loc["東", "stop_covered"] == 2

    moved = toy["places"].copy()
    moved.geometry = [shapely.Point(3000, 1000), None]  # the edited place, now in the east
    table = coverage_by_district(toy["districts"], moved, **args).table.set_index("district")
    assert (table.loc["西", "covered"], table.loc["東", "covered"]) == (0, 2)

    toy["population"].loc[2, "age65"] = 5.0  # changed in place (not done, but never stale)
    table = coverage_by_district(toy["districts"], moved, **args).table.set_index("district")
    assert table.loc["東", "population"] == 5 and table.loc["東", "stop_covered"] == 5
    toy["population"].attrs["basis"] = "total"
    result = coverage_by_district(toy["districts"], moved, **args)
    assert result.basis == "total" and result.table.set_index("district").loc["東",
                                                                              "population"] == 7
