"""Per-resident straight-line reach: what-if and where to open the next place, no network needed.

When a study area has no street network, walking distance is the straight line × a detour
factor (直線距離による概算). This module keeps, for every resident point (a population point,
or a piece of a population polygon: :func:`geo.coverage.residents.resident_pieces`), the distance to
its nearest and second-nearest place, so that adding or removing one place updates the coverage of
the district and the city without recomputing the city, and a greedy maximal-coverage search ranks
candidate sites. The network counterparts are :mod:`geo.streets.reach` and
:mod:`geo.planning.siting`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.coverage.residents import PIECE_M, population_basis, resident_pieces
from geo.crs import METRIC_CRS, to_metric
from geo.memo import FrameMemo, remembered
from geo.planning.siting import SiteSuggestion

logger = logging.getLogger(__name__)
__all__ = ["StraightReach", "coverage_table", "covered_by_district", "straight_reach",
           "straight_sites", "straight_what_if"]


#: Up to this many resident-place pairs, distances are computed directly rather than through
#: a k-d tree (building the tree of 400 places costs more than measuring a few residents).
BRUTE_FORCE_PAIRS = 200_000


@dataclass(frozen=True)
class StraightReach:
    """Distances from every resident point to the places, in metres (straight line)."""

    people_xy: np.ndarray          # (n, 2) metric coordinates
    weights: np.ndarray            # people per point, of the basis (e.g. 65+ for "age65")
    district: np.ndarray           # district name per point ('' outside every district)
    places_xy: np.ndarray          # (m, 2); rows of removed places are NaN
    nearest_m: np.ndarray          # distance to the nearest place (inf when none)
    nearest: np.ndarray            # row of that place (-1 when none)
    second_m: np.ndarray           # distance to the second nearest (for removals)
    basis: str | None
    metric_crs: str = METRIC_CRS
    #: Each point's district as a row of ``district_names`` (made once, for :func:`coverage_table`).
    district_codes: np.ndarray | None = None
    #: The district names in the order the points first name them.
    district_names: tuple[str, ...] | None = None


def _xy(frame: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    located = to_metric(frame[frame.geometry.notna()], crs)
    return np.column_stack([located.geometry.x, located.geometry.y])


def straight_reach(places: gpd.GeoDataFrame, population: gpd.GeoDataFrame,
                   districts: gpd.GeoDataFrame, *, metric_crs: str = METRIC_CRS,
                   basis: str | None = None, piece_m: float = PIECE_M,
                   memo: FrameMemo | None = None) -> StraightReach:
    """
    Nearest and second-nearest place of every resident point.

    Population points count whole; polygons are cut into pieces of ``piece_m``
    (:func:`geo.coverage.residents.resident_pieces`), each with its share of the people, so a reach
    covering part of a polygon covers that part of its people. Places without a position
    take no part (their row keeps NaN coordinates). ``basis`` picks the count
    (:func:`geo.coverage.residents.population_basis`); ``memo`` keeps the pieces
    (:class:`geo.memo.FrameMemo`).
    """
    basis = population_basis(population, basis)
    pieces = resident_pieces(population, metric_crs=metric_crs, piece_m=piece_m, memo=memo)
    weights = pieces.weights(population[basis].to_numpy(dtype=float))
    # the reach is the same for every age band: kept per frames, the band's weights put in
    reach: StraightReach = remembered(
        memo, (places, population, districts), (str(metric_crs), piece_m),
        lambda: _reach(places, districts, pieces.xy, metric_crs))
    return replace(reach, weights=weights, basis=basis)


def _reach(places: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, people_xy: np.ndarray,
           metric_crs: str) -> StraightReach:
    district = _districts_of_points(people_xy, districts, metric_crs)
    places_m = to_metric(places, metric_crs) if places.crs else places
    places_xy = np.full((len(places), 2), np.nan)
    located = places.geometry.notna().to_numpy()
    places_xy[located] = np.column_stack([places_m.geometry[located].x,
                                          places_m.geometry[located].y])
    nearest_m, nearest, second_m = _two_nearest(people_xy, places_xy)
    codes, names = pd.factorize(district, use_na_sentinel=False)
    return StraightReach(people_xy, np.zeros(len(people_xy)), district, places_xy, nearest_m,
                         nearest, second_m, None, metric_crs, district_codes=codes,
                         district_names=tuple(str(name) for name in names))


def _districts_of_points(people_xy: np.ndarray, districts: gpd.GeoDataFrame,
                         metric_crs: str) -> np.ndarray:
    """The name of the district holding each point (the nearest for points outside all)."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(people_xy[:, 0], people_xy[:, 1]),
                              crs=metric_crs)
    joined = gpd.sjoin_nearest(points, to_metric(districts[["name", "geometry"]], metric_crs),
                               how="left")
    return joined[~joined.index.duplicated()]["name"].fillna("").to_numpy(dtype=object)


def _two_nearest(people_xy: np.ndarray,
                 places_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    active = np.flatnonzero(~np.isnan(places_xy[:, 0]))
    n = len(people_xy)
    if len(active) == 0:
        return np.full(n, np.inf), np.full(n, -1), np.full(n, np.inf)
    k = min(2, len(active))
    if n * len(active) <= BRUTE_FORCE_PAIRS:  # a what-if's few residents: no tree to build
        gaps = people_xy[:, None, :] - places_xy[active][None, :, :]
        all_distances = np.hypot(gaps[..., 0], gaps[..., 1])
        rows = np.argsort(all_distances, axis=1, kind="stable")[:, :k]
        distances = np.take_along_axis(all_distances, rows, axis=1)
    else:
        distances, rows = cKDTree(places_xy[active]).query(people_xy, k=k)
    distances, rows = distances.reshape(n, k), rows.reshape(n, k)
    second = distances[:, 1] if k == 2 else np.full(n, np.inf)
    return distances[:, 0], active[rows[:, 0]], second


def straight_what_if(reach: StraightReach, *, add_xy: tuple[float, float] | None = None,
                     remove: int | None = None) -> StraightReach:
    """
    The reach after adding a place at ``add_xy`` (metric coordinates) and/or removing place
    row ``remove``, updating only the residents it changes.
    """
    places_xy = reach.places_xy.copy()
    nearest_m, nearest, second_m = (reach.nearest_m.copy(), reach.nearest.copy(),
                                    reach.second_m.copy())
    if remove is not None:
        if not 0 <= remove < len(places_xy) or np.isnan(places_xy[remove, 0]):
            msg = f"`remove` must be the row of a located place, got {remove!r}."
            raise ValueError(msg)
        places_xy[remove] = np.nan
        affected = np.flatnonzero(nearest == remove)
        if len(affected):
            d, r, s = _two_nearest(reach.people_xy[affected], places_xy)
            nearest_m[affected], nearest[affected], second_m[affected] = d, r, s
    if add_xy is not None:
        places_xy = np.vstack([places_xy, np.asarray(add_xy, dtype=float)[None, :]])
        d = np.hypot(*(reach.people_xy - places_xy[-1]).T)
        closer = d < nearest_m
        second_m = np.where(closer, nearest_m, np.minimum(second_m, d))
        nearest = np.where(closer, len(places_xy) - 1, nearest)
        nearest_m = np.where(closer, d, nearest_m)
    return replace(reach, places_xy=places_xy, nearest_m=nearest_m, nearest=nearest,
                   second_m=second_m)


def covered_by_district(reach: StraightReach,
                        radii_m: Sequence[float]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """
    People per district and people within each radius of a place, as arrays.

    Returns
    -------
    (list, ndarray, ndarray)
        The district names (in the order the points first name them; '' for points outside
        every district), the people of each district ``(d,)``, and the people within each
        radius ``(len(radii_m), d)``. One ``bincount`` per radius: every what-if runs this.
    """
    if reach.district_codes is not None and reach.district_names is not None:
        codes, names = reach.district_codes, list(reach.district_names)
    else:
        codes, found = pd.factorize(reach.district, use_na_sentinel=False)
        names = [str(name) for name in found]
    population = np.bincount(codes, weights=reach.weights, minlength=len(names))
    covered = np.array([
        np.bincount(codes, weights=np.where(reach.nearest_m <= radius_m, reach.weights, 0.0),
                    minlength=len(names)) for radius_m in radii_m]).reshape(len(radii_m),
                                                                             len(names))
    return names, population, covered


def coverage_table(reach: StraightReach, radii_m: Sequence[float]) -> tuple[pd.DataFrame,
                                                                             pd.DataFrame]:
    """
    People within each radius of a place, per district and for the city.

    Returns
    -------
    (DataFrame, DataFrame)
        Per district (radius by radius, districts as :func:`covered_by_district` orders them):
        ``district``, ``radius_m``, ``population``, ``covered``, ``uncovered``,
        ``covered_share``; and the same summed for the city.
    """
    names, population, covered = covered_by_district(reach, radii_m)
    n_radii, n_districts = covered.shape
    radii = np.asarray(radii_m, dtype=float)
    table = _coverage_frame({"district": names * n_radii,
                             "radius_m": np.repeat(radii, n_districts)},
                            np.tile(population, n_radii), covered.ravel())
    city = _coverage_frame({"radius_m": radii}, np.full(n_radii, population.sum()),
                           covered.sum(axis=1))
    return table, city


def _coverage_frame(keys: dict, population: np.ndarray, covered: np.ndarray) -> pd.DataFrame:
    """Rows of ``keys`` with population, covered, uncovered and the covered share (NaN when
    nobody lives there), computed in numpy and framed once."""
    share = np.divide(covered, population, out=np.full(len(covered), np.nan),
                      where=population > 0)
    return pd.DataFrame({**keys, "population": population, "covered": covered,
                         "uncovered": population - covered, "covered_share": share})


def straight_sites(reach: StraightReach, candidates: gpd.GeoDataFrame, *, radius_m: float,
                   k: int = 10, also_reached: np.ndarray | None = None) -> SiteSuggestion:
    """
    Greedy maximal coverage: the ``k`` candidate sites that together bring the most residents
    within ``radius_m`` (straight line) of a place, the existing places fixed.

    Greedy is within (1 − 1/e) of the best possible choice and, on these sizes, usually equal.
    ``also_reached`` (a boolean per resident point) counts those points as reached already
    (e.g. by bus), so the sites are chosen for the others.
    """
    if radius_m <= 0:
        msg = f"`radius_m` must be > 0, got {radius_m!r}."
        raise ValueError(msg)
    if k < 1:
        msg = f"`k` must be ≥ 1, got {k!r}."
        raise ValueError(msg)
    candidates_xy = _xy(candidates, reach.metric_crs)
    candidate_rows = np.flatnonzero(candidates.geometry.notna().to_numpy())
    uncovered = reach.nearest_m > radius_m
    if also_reached is not None:
        if len(also_reached) != len(uncovered):
            msg = (f"`also_reached` has {len(also_reached)} values for {len(uncovered)} "
                   "resident points.")
            raise ValueError(msg)
        uncovered = uncovered & ~np.asarray(also_reached, dtype=bool)
    weight = np.where(uncovered, reach.weights, 0.0)
    covered_before = float(reach.weights[~uncovered].sum())
    people_tree = cKDTree(reach.people_xy)
    reach_lists = people_tree.query_ball_point(candidates_xy, r=radius_m)
    candidate_district = pd.Series(reach.district).iloc[
        people_tree.query(candidates_xy)[1]].to_numpy() if len(reach.district) else None
    rows, total = [], covered_before
    for pick in range(k):
        gains = np.array([weight[idx].sum() if idx else 0.0 for idx in reach_lists])
        best = int(np.argmax(gains)) if len(gains) else -1
        if best < 0 or gains[best] <= 0:
            break
        weight[reach_lists[best]] = 0.0
        total += float(gains[best])
        rows.append({"rank": pick + 1, "candidate": int(candidate_rows[best]),
                     "newly_covered": float(gains[best]),
                     "district": str(candidate_district[best]) if candidate_district is not None
                     else "", "covered_total": total})
    table = pd.DataFrame(rows, columns=["rank", "candidate", "newly_covered", "district",
                                        "covered_total"])
    logger.info("Suggested %d sites within %.0f m (straight line): %s more people", len(table),
                radius_m, f"{table['newly_covered'].sum():,.0f}")
    return SiteSuggestion(table, float(radius_m), covered_before, float(reach.weights.sum()))
