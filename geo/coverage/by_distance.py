"""Coverage and gaps per district: who lives within walking reach of a place, and who does not.

Population may be points (each counted wholly where it lies) or polygons (split by the share
of their area inside a reach). Analyses count the age band asked for (``basis``), by default
65+ residents when the layer has them and everyone otherwise
(:func:`geo.coverage.residents.population_basis`).

A server analyses its study area again after every edit of the places, with the same district,
stop and population frames each time; what depends on those alone (the districts in metres,
the reach of the stops and the people it covers) is computed once and kept in the caller's
:class:`geo.memo.FrameMemo` (``memo``), so only the places' part is done again. Layers are
never changed in place once loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage.buffers import dissolved_buffers
from geo.coverage.residents import POPULATION_BASES, population_basis, population_within
from geo.crs import METRIC_CRS, STORAGE_CRS, to_metric
from geo.memo import FrameMemo, remembered
from geo.streets.walking import WalkProfile

logger = logging.getLogger(__name__)
__all__ = ["CoverageResult", "assign_districts", "coverage_by_district"]


@dataclass
class CoverageResult:
    """Straight-line reach of places (and stops) and what it leaves out, per district."""

    #: Dissolved reach of all places per radius: ``radius_m``, geometry (STORAGE_CRS).
    buffers: gpd.GeoDataFrame
    #: Dissolved reach of bus stops per radius (empty without stops).
    stop_buffers: gpd.GeoDataFrame
    #: Per district and radius, the part no place reaches: ``district``, ``radius_m``,
    #: ``area_km2``, ``population``, geometry (STORAGE_CRS).
    gaps: gpd.GeoDataFrame
    #: One row per district and radius (see :func:`coverage_by_district`).
    table: pd.DataFrame
    #: The same sums for the whole study area, one row per radius.
    city: pd.DataFrame
    #: Which count the population figures are (``"total"``, ``"age65"``, ``"age75"``,
    #: ``"age85"``), or None without population.
    basis: str | None


@dataclass(frozen=True)
class _FixedLayers:
    """What coverage needs of the districts, stops and population (never of the places),
    for every count the population has at once (one intersection serves every age band)."""

    districts_m: gpd.GeoDataFrame
    study_area: shapely.Geometry
    stop_buffers_m: gpd.GeoDataFrame
    stop_buffers: gpd.GeoDataFrame
    population_m: gpd.GeoDataFrame | None
    #: The counts the population has (of :data:`geo.coverage.residents.POPULATION_BASES`) and the
    #: people of each per row, ``(n, len(bases))``.
    bases: tuple[str, ...]
    weights: np.ndarray
    #: People per district, and people within each radius of a stop per (district, radius):
    #: one value per count of ``bases`` (NaN without population).
    district_people: dict[str, np.ndarray]
    stop_covered: dict[tuple[str, float], np.ndarray]
    stop_district: pd.Series | None


def _fixed_layers(districts: gpd.GeoDataFrame, stops: gpd.GeoDataFrame | None,
                  population: gpd.GeoDataFrame | None, *, radii_m: Sequence[float],
                  metric_crs: str) -> _FixedLayers:
    districts_m = to_metric(districts[["name", "geometry"]], metric_crs)
    study_area = shapely.union_all(districts_m.geometry.values)
    has_stops = stops is not None and len(stops) > 0
    stop_buffers_m = (dissolved_buffers(stops, radii_m=radii_m, clip_to=study_area,
                                        metric_crs=metric_crs) if has_stops
                      else gpd.GeoDataFrame({"radius_m": []}, geometry=[], crs=metric_crs))
    bases = (() if population is None
             else tuple(c for c in POPULATION_BASES if c in population.columns))
    if population is not None:
        population_m = to_metric(population, metric_crs)
        weights = population_m[list(bases)].to_numpy(dtype=float).reshape(-1, len(bases))
    else:
        population_m, weights = None, np.zeros((0, 0))
    district_people: dict[str, np.ndarray] = {}
    stop_covered: dict[tuple[str, float], np.ndarray] = {}
    for name, district in zip(districts_m["name"], districts_m.geometry, strict=True):
        district_people[name] = (population_within(district, population_m, weights)
                                 if population_m is not None else np.full(1, np.nan))
        for radius_m, stop_reach in zip(stop_buffers_m["radius_m"], stop_buffers_m.geometry,
                                        strict=True):
            if population_m is not None:
                stop_covered[name, radius_m] = population_within(
                    shapely.intersection(district, stop_reach), population_m, weights)
    return _FixedLayers(
        districts_m=districts_m, study_area=study_area, stop_buffers_m=stop_buffers_m,
        stop_buffers=_valid_polygons(stop_buffers_m.to_crs(STORAGE_CRS)),
        population_m=population_m, bases=bases, weights=weights,
        district_people=district_people, stop_covered=stop_covered,
        stop_district=assign_districts(stops, districts, metric_crs=metric_crs)
        if has_stops else None)


@dataclass(frozen=True)
class _PlacesReach:
    """The places' reach per district and radius, with the people it covers for every count
    of :attr:`_FixedLayers.bases` (what a change of age band does not change)."""

    buffers_m: gpd.GeoDataFrame
    #: One per district and radius: name, radius, district area, covered area, the gap and
    #: the people covered per count (NaN without population).
    cells: list[tuple[str, float, float, float, shapely.Geometry, np.ndarray]]
    place_district: pd.Series
    located: pd.Series


def _places_reach(fixed: _FixedLayers, districts: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                  *, radii_m: Sequence[float], metric_crs: str) -> _PlacesReach:
    buffers_m = dissolved_buffers(places, radii_m=radii_m, clip_to=fixed.study_area,
                                  metric_crs=metric_crs)
    located = places.geometry.notna()
    place_district = assign_districts(places, districts, metric_crs=metric_crs)
    if "district" in places:  # unlocated places count where the file says they belong
        place_district = place_district.where(located, places["district"])
    cells = []
    for name, district in zip(fixed.districts_m["name"], fixed.districts_m.geometry,
                              strict=True):
        for radius_m, reach in zip(buffers_m["radius_m"], buffers_m.geometry, strict=True):
            covered_area = shapely.intersection(district, reach)
            gap = shapely.difference(district, reach)
            covered = (population_within(covered_area, fixed.population_m, fixed.weights)
                       if fixed.population_m is not None else np.full(1, np.nan))
            cells.append((name, radius_m, district.area, covered_area.area, gap, covered))
    return _PlacesReach(buffers_m, cells, place_district, located)


def assign_districts(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *,
                     metric_crs: str = METRIC_CRS) -> pd.Series:
    """
    The name of the district holding each located point ('' for points without geometry).

    A point just outside every district (a place across the city boundary) gets the nearest.
    """
    result = pd.Series("", index=points.index, dtype=object)
    located = points[points.geometry.notna()]
    if located.empty:
        return result
    joined = gpd.sjoin_nearest(to_metric(located[["geometry"]], metric_crs),
                               to_metric(districts[["name", "geometry"]], metric_crs), how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    result.loc[joined.index] = joined["name"].astype(str)
    return result


def coverage_by_district(
    districts: gpd.GeoDataFrame,
    places: gpd.GeoDataFrame,
    *,
    radii_m: Sequence[float],
    population: gpd.GeoDataFrame | None = None,
    stops: gpd.GeoDataFrame | None = None,
    profile: WalkProfile,
    metric_crs: str = METRIC_CRS,
    basis: str | None = None,
    memo: FrameMemo | None = None,
) -> CoverageResult:
    """
    Straight-line coverage of each district by places, at each radius.

    Parameters
    ----------
    districts
        Polygons with a ``name`` column.
    places
        Points (rows without geometry are counted as unlocated and do not reach anyone).
    radii_m
        Straight-line walking radii in metres.
    population
        Points or polygons with ``total`` (and optionally ``age65``, ``age75``, ``age85``).
    stops
        Bus stops; their reach is reported beside the places'.
    profile
        How people walk: ``walk_minutes`` is
        :meth:`geo.streets.walking.WalkProfile.straight_minutes` of each radius.
    basis
        The count to use (see :func:`geo.coverage.residents.population_basis`); None: 65+ when every
        row has it, else the total.
    memo
        Keeps what depends on ``districts``, ``stops`` and ``population`` alone, and the
        places' reach with the people it covers in every age band, for the next call with
        the same frames (another ``basis`` then costs milliseconds; None: computed each time).

    Returns
    -------
    CoverageResult
        ``table`` columns: ``district``, ``radius_m``, ``walk_minutes`` (estimated with the
        detour factor), ``area_km2``, ``covered_area_km2``, ``covered_area_share``,
        ``population``, ``covered``, ``uncovered``, ``covered_share``, ``stop_covered``,
        ``stop_covered_share``, ``places``, ``places_unlocated``, ``stops``.
    """
    basis = population_basis(population, basis)
    fixed: _FixedLayers = remembered(
        memo, (districts, stops, population), (tuple(radii_m), str(metric_crs)),
        lambda: _fixed_layers(districts, stops, population, radii_m=radii_m,
                              metric_crs=metric_crs))
    reached: _PlacesReach = remembered(
        memo, (districts, stops, population, places), (tuple(radii_m), str(metric_crs)),
        lambda: _places_reach(fixed, districts, places, radii_m=radii_m,
                              metric_crs=metric_crs))
    column = fixed.bases.index(basis) if basis in fixed.bases else 0
    buffers_m = reached.buffers_m
    has_stops = stops is not None and len(stops) > 0
    stop_district = fixed.stop_district
    located, place_district = reached.located, reached.place_district
    places_in = {name: (int(((place_district == name) & located).sum()),
                        int(((place_district == name) & ~located).sum()),
                        int((stop_district == name).sum()) if has_stops else 0)
                 for name in fixed.districts_m["name"]}

    rows, gap_rows = [], []
    for name, radius_m, area, covered_area, gap, covered_all in reached.cells:
        district_people = float(fixed.district_people[name][column])
        covered = float(covered_all[column])
        stop_covered = fixed.stop_covered.get((name, radius_m))
        rows.append({
            "district": name,
            "radius_m": radius_m,
            "walk_minutes": float(profile.straight_minutes(radius_m)),
            "area_km2": area / 1e6,
            "covered_area_km2": covered_area / 1e6,
            "population": district_people,
            "covered": covered,
            "stop_covered": np.nan if stop_covered is None else float(stop_covered[column]),
            "places": places_in[name][0],
            "places_unlocated": places_in[name][1],
            "stops": places_in[name][2],
        })
        gap_rows.append({"district": name, "radius_m": radius_m, "area_km2": gap.area / 1e6,
                         "population": district_people - covered, "geometry": gap})
    table = _with_shares(pd.DataFrame(rows))
    city = _with_shares(
        table.groupby("radius_m", as_index=False)
        .agg(walk_minutes=("walk_minutes", "first"), area_km2=("area_km2", "sum"),
             covered_area_km2=("covered_area_km2", "sum"), population=("population", "sum"),
             covered=("covered", "sum"), stop_covered=("stop_covered", "sum"),
             places=("places", "sum"), places_unlocated=("places_unlocated", "sum"),
             stops=("stops", "sum"))
    )
    if population is None:
        city[["population", "covered", "uncovered", "covered_share"]] = np.nan
    if population is None or not has_stops:
        city[["stop_covered", "stop_covered_share"]] = np.nan
    gaps = gpd.GeoDataFrame(gap_rows, geometry="geometry", crs=metric_crs)
    gaps = _valid_polygons(gaps[~gaps.geometry.is_empty].to_crs(STORAGE_CRS))
    for _, row in city.iterrows():
        logger.info("Within %.0f m of a place: %.1f %% of the area, %s", row.radius_m,
                    100 * row.covered_area_share,
                    "no population layer" if population is None
                    else f"{row.covered:,.0f} of {row.population:,.0f} people ({basis})")
    return CoverageResult(buffers=_valid_polygons(buffers_m.to_crs(STORAGE_CRS)),
                          stop_buffers=fixed.stop_buffers.copy(),
                          gaps=gaps,
                          table=table, city=city, basis=basis)


def _valid_polygons(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """
    Repair polygons that reprojection made invalid (rings that nearly touch in metres can
    cross in degrees), keeping only polygonal parts, so that fills draw as they should.
    """
    frame = frame.reset_index(drop=True)
    if len(frame):
        frame["geometry"] = frame.geometry.make_valid(method="structure", keep_collapsed=False)
    return frame


def _with_shares(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["covered_area_share"] = table["covered_area_km2"] / table["area_km2"]
    table["uncovered"] = table["population"] - table["covered"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["covered_share"] = table["covered"] / table["population"].where(
            table["population"] > 0)
        table["stop_covered_share"] = table["stop_covered"] / table["population"].where(
            table["population"] > 0)
    return table
