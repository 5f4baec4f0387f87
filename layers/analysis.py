"""Planning a study area: network reach when streets are loaded, the next places, what-if.

This ties the loaded layers (:class:`layers.study.StudyArea`) to the analyses in ``geo``:
network reach and isochrones (:mod:`geo.streets.reach`, :mod:`geo.streets.isochrones`), coverage and
gaps on the network (:mod:`geo.coverage.on_streets`), greedy siting (:mod:`geo.planning.siting`),
and their straight-line counterparts (:mod:`geo.planning.straight_line`) for study areas without
streets, and the grid of walking minutes to the nearest place (:mod:`geo.coverage.minutes_grid`).
The web app and the CLI compute a :class:`Plan` once per population basis (total, 65+, 75+, 85+: the
one asked for, else 65+ when the data has it, else the total) and answer what-if questions from it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.coverage.minutes_grid import GRID_LIMIT_MINUTES, MinutesGrid, grid_layout, minutes_grid
from geo.coverage.on_streets import (
    NetworkCoverage,
    People,
    compare_straight_line,
    coverage_by_district_network,
    district_of_points,
    network_gaps,
    people_on_streets,
    recount_coverage,
)
from geo.coverage.residents import population_basis
from geo.crs import STORAGE_CRS
from geo.planning.siting import SiteSuggestion, suggest_sites
from geo.planning.straight_line import (
    StraightReach,
    coverage_table,
    covered_by_district,
    straight_reach,
    straight_sites,
    straight_what_if,
)
from geo.streets.isochrones import walk_isochrones
from geo.streets.network import StreetNetwork, snap_points
from geo.streets.reach import (
    Reach,
    WalkGraph,
    add_place,
    network_reach,
    points_xy,
    remove_place,
    walk_graph,
)
from geo.streets.walking import WalkProfile
from layers.bus_reach import BusReach, bus_missing_note, bus_what_if, council_bus_reach
from layers.study import StudyArea

logger = logging.getLogger(__name__)

#: How far beyond the districts a what-if place may be put (a place across the boundary
#: still serves the district's residents).
WHAT_IF_TOLERANCE_M = 1000.0
__all__ = ["NetworkAnalysis", "Plan", "WhatIfCounts", "plan_study_area",
           "what_if", "what_if_counts", "what_if_many"]


@dataclass
class NetworkAnalysis:
    """Walking reach on the street network, at the config's thresholds in minutes."""

    graph: WalkGraph
    reach: Reach
    #: Isochrones (STORAGE_CRS): ``minutes``, ``place`` (-1: all places merged), ``area_km2``.
    isochrones: gpd.GeoDataFrame
    #: The same reach searched to the minutes grid's 20 minutes (``reach`` if it goes so far).
    grid_reach: Reach | None = None
    people: People | None = None
    coverage: NetworkCoverage | None = None
    #: Per district and threshold, the area outside the merged isochrone.
    gaps: gpd.GeoDataFrame | None = None
    #: Straight-line and network coverage side by side.
    comparison: pd.DataFrame | None = None


@dataclass
class Plan:
    """Everything a council plans with: reach, and where one more place would help most."""

    profile: WalkProfile
    #: "network" when streets are loaded, else "straight" (直線距離による概算).
    method: str
    network: NetworkAnalysis | None
    straight: StraightReach | None
    #: Ranked sites: ``rank``, ``name``, ``address``, ``district``, ``newly_covered``,
    #: ``covered_total``, geometry (STORAGE_CRS); None without population or candidates.
    suggestions: gpd.GeoDataFrame | None
    #: The threshold the suggestions use: minutes on the network, metres in a straight line.
    suggestion_threshold: float | None
    basis: str | None
    #: The districts' union in the metric CRS (what-if checks new places against it).
    area_m: shapely.Geometry | None = None
    #: Straight-line coverage now (per district, city) at the config's radii, computed once:
    #: every what-if compares against it (:func:`geo.planning.straight_line.coverage_table`).
    straight_coverage: tuple[pd.DataFrame, pd.DataFrame] | None = None
    #: The district polygons in the metric CRS, in the districts' order (what-if names the
    #: district of each new place from them).
    district_shapes_m: np.ndarray | None = None
    #: Walking minutes from each cell of the study area to the nearest place, with the
    #: people of the basis per cell and per district and band (:mod:`geo.coverage.minutes_grid`).
    grid: MinutesGrid | None = None
    #: Who cannot walk to a place but can get there by bus (:mod:`layers.bus_reach`); None
    #: without buses or population, and then :attr:`bus_note` says why and how to add them.
    bus: BusReach | None = None
    bus_note: str | None = None
    #: The suggestions counting those who get there by bus as reached (straight line only).
    bus_suggestions: gpd.GeoDataFrame | None = None


def plan_study_area(study: StudyArea, *, basis: str | None = None,
                    today: dt.date | None = None) -> Plan:
    """
    Network reach (when streets are loaded), suggested sites for the next place, and the
    grid of walking minutes, counting the people of ``basis``.

    The suggestions use the profile's default threshold (:meth:`WalkProfile.default_threshold`:
    10 minutes of 5, 10, 15 on the network, or 500 m of 300, 500, 800 without one), the one
    the maps open on, and judge each site by the people of the basis it reaches.

    Parameters
    ----------
    study
        The loaded study area.
    basis
        ``"total"``, ``"age65"``, ``"age75"`` or ``"age85"``; None: 65+ when every area has
        it, else the total (:func:`geo.coverage.residents.population_basis`).
    today
        The bus reach travels on the first weekday from this day that is not a holiday
        (default today; :func:`layers.bus_reach.council_bus_reach`).

    Raises
    ------
    ValueError
        An unknown basis, or one the population data lacks (the message lists those it has).
    """
    config = study.config
    profile = config.walking
    basis = population_basis(study.population, basis)
    network = (_network(study, profile, streets=study.streets, basis=basis)
               if study.streets is not None else None)
    straight = None
    if study.population is not None:
        straight = straight_reach(study.places, study.population, study.districts,
                                  metric_crs=config.metric_crs, basis=basis, memo=study.memo)
    method = "network" if network is not None else "straight"
    bus = council_bus_reach(study, straight, method=method, today=today)
    suggestions, threshold, bus_suggestions = None, None, None
    has_candidates = study.candidates is not None and len(study.candidates) > 0
    if has_candidates and straight is not None:  # straight is there with the population
        if network is not None and network.people is not None and study.streets is not None:
            threshold = profile.default_threshold("network")
            x, y = points_xy(study.candidates, study.streets.crs)
            district_shapes = study.districts.to_crs(study.streets.crs).geometry.to_numpy()
            suggestion = suggest_sites(
                network.reach, network.people, snap_points(study.streets, x, y),
                minutes=threshold, k=config.suggestions,
                candidate_districts=district_of_points(x, y, district_shapes))
        else:
            threshold = profile.default_threshold("straight")
            suggestion = straight_sites(straight, study.candidates, radius_m=threshold,
                                        k=config.suggestions)
            if bus is not None:
                bus_suggestions = _suggestion_frame(study, straight_sites(
                    straight, study.candidates, radius_m=threshold, k=config.suggestions,
                    also_reached=bus.kinds == "bus"))
        suggestions = _suggestion_frame(study, suggestion)
    layout = grid_layout(study.districts, study.population, spec=config.grid,
                         metric_crs=config.metric_crs, basis=basis, memo=study.memo)
    if network is not None:
        grid = minutes_grid(layout, profile=profile, reach=network.grid_reach)
    else:
        grid = minutes_grid(layout, profile=profile, places=study.places)
    return Plan(profile=profile, method=method,
                network=network, straight=straight, suggestions=suggestions,
                suggestion_threshold=threshold, basis=basis, grid=grid,
                area_m=study.districts.to_crs(config.metric_crs).geometry.union_all(),
                district_shapes_m=study.districts.to_crs(config.metric_crs).geometry.to_numpy(),
                straight_coverage=(None if straight is None
                                   else coverage_table(straight, config.radii_m)),
                bus=bus, bus_suggestions=bus_suggestions,
                bus_note=None if bus is not None or study.population is None
                else bus_missing_note(study))


def _network(study: StudyArea, profile: WalkProfile, *, streets: StreetNetwork,
             basis: str | None) -> NetworkAnalysis:
    config = study.config
    graph = walk_graph(streets, profile, elevation_m=study.elevation_m)
    reach = network_reach(graph, study.places, limit_minutes=max(config.minutes))
    grid_reach = (reach if reach.limit_minutes >= GRID_LIMIT_MINUTES
                  else network_reach(graph, reach.places, limit_minutes=GRID_LIMIT_MINUTES))
    isochrones = walk_isochrones(reach, config.minutes)
    analysis = NetworkAnalysis(graph=graph, reach=reach, isochrones=isochrones,
                               grid_reach=grid_reach)
    if study.population is not None:
        people = people_on_streets(graph, study.population, study.districts, basis=basis,
                                   memo=study.memo)
        coverage = coverage_by_district_network(reach, people, config.minutes)
        analysis.people, analysis.coverage = people, coverage
        analysis.gaps = network_gaps(study.districts, isochrones.to_crs(config.metric_crs),
                                     coverage)
        analysis.comparison = compare_straight_line(
            coverage, study.districts, study.places, study.population,
            profile=profile, metric_crs=config.metric_crs, memo=study.memo)
    logger.info("Network reach of %d places on %d streets (%s)", len(reach.active),
                len(streets.u), "slope-aware" if reach.slope_aware else "flat")
    return analysis


def _suggestion_frame(study: StudyArea, suggestion: SiteSuggestion) -> gpd.GeoDataFrame:
    table = suggestion.table
    assert study.candidates is not None  # suggestions are made only with candidates
    chosen = study.candidates.iloc[table["candidate"].to_numpy()]
    return gpd.GeoDataFrame(
        {"rank": table["rank"].to_numpy(), "name": chosen["name"].to_numpy(),
         "address": chosen["address"].to_numpy(), "district": table["district"].to_numpy(),
         "newly_covered": table["newly_covered"].to_numpy(),
         "covered_total": table["covered_total"].to_numpy(),
         "share_after": table["covered_total"].to_numpy() / max(suggestion.population, 1e-9)},
        geometry=chosen.geometry.to_numpy(), crs=STORAGE_CRS)


def what_if(study: StudyArea, plan: Plan, *, add_lonlat: tuple[float, float] | None = None,
            remove_place_id: str | None = None) -> dict:
    """
    District and city coverage after adding a place at ``add_lonlat`` and/or removing one.

    Reuses the per-node (network) or per-resident (straight line) nearest distances, so the
    city is not recomputed. Returns ``{"method", "thresholds", "before", "after"}`` where
    ``before``/``after`` hold ``districts`` (rows per district and threshold) and ``city``.
    :func:`what_if_many` does the same for several changes at once.

    Raises
    ------
    ValueError
        Unknown place id, a point outside the study area, or no population layer.
    """
    return what_if_many(study, plan,
                        add_lonlats=[] if add_lonlat is None else [add_lonlat],
                        remove_place_ids=[] if remove_place_id is None else [remove_place_id])


def _removed_rows(study: StudyArea, place_ids: Sequence[str]) -> list[int]:
    """Rows of the places to remove (each once), checked: they exist and have a position."""
    rows = []
    ids = study.places["place_id"].to_numpy()
    for place_id in dict.fromkeys(place_ids):
        matches = np.flatnonzero(ids == place_id)
        if len(matches) == 0 or study.places.geometry.iloc[matches[0]] is None:
            msg = f"No place with a position has id {place_id!r}."
            raise ValueError(msg)
        rows.append(int(matches[0]))
    return rows


@lru_cache(maxsize=8)
def _lonlat_to_metric(metric_crs: str) -> Transformer:
    """The transformer from longitude/latitude to ``metric_crs`` (made once: making one
    takes milliseconds, using it microseconds)."""
    return Transformer.from_crs(STORAGE_CRS, metric_crs, always_xy=True)


def _added_xy(study: StudyArea, plan: Plan,
              lonlats: Sequence[tuple[float, float]]) -> np.ndarray:
    """The new places in the metric CRS, (n, 2), checked: inside (or near) the study area."""
    metric_crs = study.config.metric_crs
    if len(lonlats) == 0:
        return np.empty((0, 2))
    lon, lat = np.asarray(lonlats, dtype=float).T
    x, y = _lonlat_to_metric(str(metric_crs)).transform(lon, lat)
    area = plan.area_m
    if area is None:
        area = study.districts.to_crs(metric_crs).geometry.union_all()
    distance_m = shapely.distance(area, shapely.points(x, y))
    for lonlat, distance in zip(lonlats, distance_m, strict=True):
        if not distance <= WHAT_IF_TOLERANCE_M:  # NaN too
            msg = (f"{tuple(lonlat)} (lon, lat) is outside the study area (more than "
                   f"{WHAT_IF_TOLERANCE_M:.0f} m beyond its districts).")
            raise ValueError(msg)
    return np.column_stack([x, y])


def _districts_of(study: StudyArea, plan: Plan, xy: np.ndarray) -> list[str]:
    """The district holding each point, or the nearest one (a place across the boundary)."""
    if len(xy) == 0:
        return []
    shapes = plan.district_shapes_m
    if shapes is None:
        shapes = study.districts.to_crs(study.config.metric_crs).geometry.to_numpy()
    names = study.districts["name"].astype(str).tolist()
    return [names[int(np.argmin(shapely.distance(shapes, shapely.Point(x, y))))]
            for x, y in xy]


def _check_population(study: StudyArea) -> None:
    if study.population is None:
        msg = "What-if needs a population layer: add [layers.population] to the config."
        raise ValueError(msg)


def _network_after(study: StudyArea, plan: Plan, removed: list[int],
                   added: np.ndarray) -> NetworkCoverage:
    """Network coverage after removing the place rows ``removed`` and adding ``added``."""
    network = plan.network
    # what-if goes on the network only when _on_network(plan): streets, people, coverage
    assert network is not None and network.people is not None and network.coverage is not None
    assert study.streets is not None
    reach = network.reach
    for row in removed:
        reach = remove_place(reach, row)
    changed_edges = [network.reach.places.edge[np.asarray(removed, dtype=np.int64)]]
    if len(added):
        snapped = snap_points(study.streets, added[:, 0], added[:, 1])
        changed_edges.append(snapped.edge)
        for i in range(len(added)):
            reach = add_place(reach, snapped.take(np.array([i])))
    if reach is network.reach:
        return network.coverage
    # only the people near the nodes that changed are counted again
    changed = np.flatnonzero((reach.minutes != network.reach.minutes)
                             | (reach.nearest != network.reach.nearest))
    return recount_coverage(network.coverage, reach, network.people, changed,
                            np.concatenate(changed_edges))


def _straight_after(plan: Plan, removed: list[int], added: np.ndarray) -> StraightReach:
    """The straight-line reach after removing the place rows ``removed`` and adding ``added``."""
    changed = plan.straight
    assert changed is not None  # _check_population: the straight reach is there
    for row in removed:
        changed = straight_what_if(changed, remove=row)
    for xy in added:
        changed = straight_what_if(changed, add_xy=(float(xy[0]), float(xy[1])))
    return changed


def _on_network(plan: Plan) -> bool:
    return plan.network is not None and plan.network.people is not None


def _changes(study: StudyArea, plan: Plan, add_lonlats: Sequence[tuple[float, float]],
             remove_place_ids: Sequence[str]) -> tuple[list[int], np.ndarray]:
    """The rows of the places removed and the places added in metres, all checked."""
    _check_population(study)
    return _removed_rows(study, remove_place_ids), _added_xy(study, plan, add_lonlats)


def what_if_many(study: StudyArea, plan: Plan, *,
                 add_lonlats: Sequence[tuple[float, float]] = (),
                 remove_place_ids: Sequence[str] = ()) -> dict:
    """
    District and city coverage after several changes: places added and places removed.

    The removals are applied first, then the additions, one after another on the
    precomputed reach (:func:`geo.streets.reach.remove_place` and
    :func:`geo.streets.reach.add_place` on the network,
    :func:`geo.planning.straight_line.straight_what_if` in a straight line), so the city is never
    recomputed and the result equals planning the changed city from scratch. With no change,
    ``after`` equals ``before``. :func:`what_if_counts` gives the same numbers as arrays, without
    building tables.

    Parameters
    ----------
    study, plan
        The study area and its :class:`Plan`.
    add_lonlats
        New places as ``(lon, lat)`` in degrees; each within
        :data:`WHAT_IF_TOLERANCE_M` of the districts.
    remove_place_ids
        Existing places (``place_id``) taken away; repeats count once.

    Returns
    -------
    dict
        ``{"method", "unit", "thresholds", "before", "after"}``; ``before`` and ``after``
        hold ``districts`` (a row per district and threshold) and ``city``.

    Raises
    ------
    ValueError
        Unknown place id, a point outside the study area, or no population layer.
    """
    removed, added = _changes(study, plan, add_lonlats, remove_place_ids)
    if _on_network(plan):
        assert plan.network is not None and plan.network.coverage is not None  # _on_network
        before = plan.network.coverage
        after = _network_after(study, plan, removed, added)
        return {"method": "network", "unit": "minutes",
                "thresholds": list(study.config.minutes),
                "before": {"districts": before.table, "city": before.city},
                "after": {"districts": after.table, "city": after.city}}
    radii = study.config.radii_m
    assert plan.straight is not None  # _check_population: the straight reach is there
    changed = _straight_after(plan, removed, added)
    before_table, before_city = (plan.straight_coverage if plan.straight_coverage is not None
                                 else coverage_table(plan.straight, radii))
    after_table, after_city = ((before_table, before_city) if changed is plan.straight
                               else coverage_table(changed, radii))
    return {"method": "straight", "unit": "metres", "thresholds": list(radii),
            "before": {"districts": before_table, "city": before_city},
            "after": {"districts": after_table, "city": after_city}}


@dataclass(frozen=True)
class WhatIfCounts:
    """People within reach per district and threshold, before and after some changes."""

    #: "network" (thresholds in minutes) or "straight" (in metres).
    method: str
    unit: str
    thresholds: list[float]
    #: District names in the tables' order ('' for residents outside every district).
    districts: list[str]
    #: People of each district, ``(d,)``.
    population: np.ndarray
    #: People within each threshold of a place, ``(len(thresholds), d)``.
    covered_before: np.ndarray
    covered_after: np.ndarray
    #: The district of each added place (the nearest one for a place just outside).
    added_districts: list[str]
    #: With the bus counted (``bus=True``): people on foot only, with the bus and neither
    #: (rows in :data:`layers.bus_reach.KINDS` order), ``(3, d)`` per district, before and
    #: after; None otherwise.
    bus_before: np.ndarray | None = None
    bus_after: np.ndarray | None = None


def _bus_counts(study: StudyArea, plan: Plan, names: list[str], removed: list[int],
                added: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """People of each kind per district (in ``names``' order), before and after."""
    bus = plan.bus
    if bus is None:
        msg = f"No bus reach to count: {plan.bus_note or 'no population layer.'}"
        raise ValueError(msg)
    after_kinds = bus_what_if(study, bus, removed_rows=removed, added_xy=added)
    codes = pd.Index(names).get_indexer(bus.district.astype(str))
    inside = codes >= 0

    def count(kinds: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(codes[inside],
                                     weights=(bus.weights * (kinds == kind))[inside],
                                     minlength=len(names))
                         for kind in ("walk", "bus", "neither")])

    return count(bus.kinds), count(after_kinds)


def _network_counts(coverage: NetworkCoverage,
                    thresholds: Sequence[float]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The network table (threshold by threshold, districts in one order) as arrays."""
    table = coverage.table
    names = [str(name) for name in table["district"].iloc[:len(table) // len(thresholds)]]
    covered = table["covered"].to_numpy(dtype=float).reshape(len(thresholds), len(names))
    if not (table["district"].astype(str).to_numpy().reshape(len(thresholds), -1)
            == np.array(names, dtype=object)).all():
        msg = "The network coverage table is not ordered threshold by threshold."
        raise ValueError(msg)
    return names, table["population"].to_numpy(dtype=float)[:len(names)], covered


def what_if_counts(study: StudyArea, plan: Plan, *,
                   add_lonlats: Sequence[tuple[float, float]] = (),
                   remove_place_ids: Sequence[str] = (), bus: bool = False) -> WhatIfCounts:
    """
    The numbers of :func:`what_if_many` as arrays: people per district, and people within
    each threshold before and after the changes (the city is their sum over districts).

    ``POST /api/what-if`` answers from this: in a straight line it costs well under a
    millisecond on Takasaki (428 population points), as no table is built. With ``bus``, the
    people on foot only, with the bus and neither are counted too (the journeys routed again
    with the changed places, :func:`layers.bus_reach.bus_what_if`: about 0.05 s on Takasaki).

    Raises
    ------
    ValueError
        As :func:`what_if_many`; with ``bus``, when the plan has no bus reach (the message
        says why).
    """
    removed, added = _changes(study, plan, add_lonlats, remove_place_ids)
    if _on_network(plan):
        thresholds = [float(m) for m in study.config.minutes]
        assert plan.network is not None and plan.network.coverage is not None  # _on_network
        names, population, before = _network_counts(plan.network.coverage, thresholds)
        _, _, after = _network_counts(_network_after(study, plan, removed, added), thresholds)
        counts = WhatIfCounts("network", "minutes", thresholds, names, population, before,
                              after, _districts_of(study, plan, added))
    else:
        radii = [float(r) for r in study.config.radii_m]
        assert plan.straight is not None  # _check_population: the straight reach is there
        names, population, before = covered_by_district(plan.straight, radii)
        changed = _straight_after(plan, removed, added)
        after = before if changed is plan.straight else covered_by_district(changed, radii)[2]
        counts = WhatIfCounts("straight", "metres", radii, names, population, before, after,
                              _districts_of(study, plan, added))
    if not bus:
        return counts
    bus_before, bus_after = _bus_counts(study, plan, counts.districts, removed, added)
    return replace(counts, bus_before=bus_before, bus_after=bus_after)
