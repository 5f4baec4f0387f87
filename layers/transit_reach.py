"""Walk + bus for a study area: who can get to a place, door to door, on the day it is open.

:func:`build_transit_model` loads the buses once (a GTFS feed when the config gives one, else
the trips rebuilt from the stops' timetables, 推定) and measures every short walk once (home →
stop, stop → stop, stop → place, home → place) at the config's walking profile: on the street
network when it is loaded, else in a straight line × the detour factor.
:func:`transit_reach` then answers for every resident point at once (:mod:`geo.transit.routing`):

- :class:`ChosenTime`: leaving home within the config's window on a date (places whose dates
  are known count when they are open that day; the others count, as in the walking analysis);
- :class:`OpeningDays`: arriving at each place by its start on its next open day (from the
  parsed schedule), leaving home at most a window before. Places whose dates are not known
  are declined, with the reason.

The result has, per point, the door-to-door minutes to the nearest counted place on foot only
and with the bus, which place, the rides and the times; per place, whether it counted. Every
result from rebuilt trips says 推定. :mod:`layers.transit_journey` gives one resident's
journey with its legs.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from geo.coverage.by_distance import assign_districts
from geo.memo import remembered
from geo.streets.network import Snapped, snap_points
from geo.streets.reach import WalkGraph, points_xy, walk_graph
from geo.streets.walk_links import (
    WalkLinks,
    nearest_target,
    network_links,
    straight_links,
    walking_matrix,
)
from geo.streets.walking import WalkProfile
from geo.transit.routing import (
    TransitRules,
    TransitTimes,
    boarding_profile,
    door_to_door,
)
from geo.transit.timetable import DayTrips, day_trips, format_minutes
from layers.config import StudyConfig
from layers.errors import LayerError, Problem, Severity
from layers.fields.schedule import next_openings, parse_schedule
from layers.files.bus_timetable import BusTimetable, ServiceCalendar
from layers.files.gtfs_timetable import read_gtfs_timetable
from layers.files.stops import is_gtfs
from layers.files.trip_rebuild import rebuild_trips
from layers.study import StudyArea

logger = logging.getLogger(__name__)
__all__ = [
    "ESTIMATE_NOTE",
    "ChosenTime",
    "OpeningDays",
    "TransitModel",
    "TransitReach",
    "build_transit_model",
    "check_bus_data",
    "load_bus_timetable",
    "model_with_places",
    "reach_by_district",
    "reach_classes",
    "study_period",
    "transit_reach",
]

#: Said beside every result that uses trips rebuilt from per-stop timetables.
ESTIMATE_NOTE = "推定：バスの便は停留所ごとの時刻表をつないで推定したものです"


def load_bus_timetable(config: StudyConfig, *,
                       period: tuple[dt.date, dt.date] | None = None) -> BusTimetable | None:
    """
    The study area's buses: the config's GTFS feeds, else a GTFS stops layer, else trips
    rebuilt from the stops' ``時刻表`` along the routes' ``経路`` (estimates); None without
    stops.

    Raises
    ------
    LayerError
        When a feed cannot be used at all (missing files, no stop times, no calendar).
    """
    stops, routes = config.layer("stops"), config.layer("bus_routes")
    feeds = list(config.transit.feeds)
    if not feeds and stops is not None and is_gtfs(stops.path):
        feeds = [stops.path]
    if feeds:
        tables, unusable = [], []
        for feed in feeds:  # what can be used is used: a broken feed among several is skipped
            try:
                tables.append(read_gtfs_timetable(feed, metric_crs=config.metric_crs,
                                                  period=period))
            except LayerError as exc:
                unusable += exc.problems
        if not tables:
            raise LayerError(unusable)
        bus = tables[0] if len(tables) == 1 else _merge(tables)
        bus.problems[:0] = [replace(problem, severity=Severity.WARNING,
                                    problem=problem.problem + " This feed is left out.")
                            for problem in unusable]
        return bus
    if stops is None or routes is None:
        return None
    return rebuild_trips(stops, routes, metric_crs=config.metric_crs)


def study_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The default study period: a year from ``today`` (default: today)."""
    first = dt.date.today() if today is None else today
    return first, first + dt.timedelta(days=364)


def check_bus_data(config: StudyConfig, *, period: tuple[dt.date, dt.date] | None = None
                   ) -> tuple[BusTimetable | None, list[Problem]]:
    """
    The study area's buses as ``ibasho check`` reports them.

    Returns
    -------
    (BusTimetable or None, list of Problem)
        The timetable (None without buses, or when no feed can be used) and every problem,
        each naming file and row: errors when no feed can be used at all (missing files, no
        calendar), warnings for what was skipped (times going backwards, unknown stop ids,
        services with no day in ``period`` (default :func:`study_period`), route stop names
        matching no stop, feeds that cannot be used among several).
    """
    try:
        bus = load_bus_timetable(config, period=period or study_period())
    except LayerError as exc:
        return None, list(exc.problems)
    return bus, [] if bus is None else list(bus.problems)


def _merge(tables: list[BusTimetable]) -> BusTimetable:
    """Several feeds as one timetable (each keeps its own services)."""
    from geo.transit.timetable import Timetable

    offsets = np.cumsum([0] + [len(t.calendar.services) for t in tables])[:-1]
    merged = Timetable.concatenate([t.timetable for t in tables],
                                   service_offsets=[int(o) for o in offsets])
    services = tuple(s for t in tables for s in t.calendar.services)
    return BusTimetable(merged, ServiceCalendar(services), " + ".join(t.source for t in tables),
                        any(t.estimated for t in tables), [p for t in tables for p in t.problems])


@dataclass(eq=False)
class TransitModel:
    """The buses and every short walk of a study area, measured once."""

    bus: BusTimetable
    rules: TransitRules
    profile: WalkProfile
    #: "network" (walks on the streets) or "straight" (straight line × detour factor).
    method: str
    #: Rows of ``places`` that have a position (targets are numbered in this order).
    place_rows: np.ndarray
    #: Every place of the study (those without a position are listed, never reached).
    places: gpd.GeoDataFrame
    #: The origins (population points or cells) in the order given.
    origins: gpd.GeoDataFrame
    #: Walks: origins → stops, stops → places, stops → stops, origins → places.
    access: WalkLinks
    egress: WalkLinks
    transfers: WalkLinks
    direct: WalkLinks
    depart_at_min: float
    #: The walking graph, its matrix and the snapped stops and places, when streets are
    #: loaded.
    graph: WalkGraph | None = None
    matrix: csr_matrix | None = None
    snapped: dict[str, Snapped] = field(default_factory=dict)
    #: The trips of a day within a time span, by (date, from, until), computed once.
    cache: dict[tuple[dt.date, float, float], DayTrips] = field(default_factory=dict)


def build_transit_model(study: StudyArea, *, origins: gpd.GeoDataFrame | None = None,
                        bus: BusTimetable | None = None,
                        period: tuple[dt.date, dt.date] | None = None) -> TransitModel | None:
    """
    Load the buses and measure every walk the journeys may use; None without buses.

    Parameters
    ----------
    study
        The loaded study area (places, streets when loaded, the config's walking profile and
        ``[transit]`` rules).
    origins
        Where residents start (points or polygons, any CRS); default the population layer.
    bus
        An already loaded timetable (default :func:`load_bus_timetable`, kept in the study's
        memo for its stops and routes).
    period
        The study period: a feed's services with no day in it are reported (default the
        year from today).

    Raises
    ------
    ValueError
        Without origins (no population layer and none given).
    """
    config = study.config
    if period is None:
        period = study_period()
    if bus is None:  # kept in the study's memo: a copy with other places reads it once
        feeds = tuple(str(feed) for feed in config.transit.feeds)
        bus = remembered(study.memo, (study.stops, study.bus_routes),
                         ("bus timetable", feeds, period),
                         lambda: load_bus_timetable(config, period=period))
    if bus is None:
        return None
    origins = study.population if origins is None else origins
    if origins is None:
        msg = "no origins: give `origins` or load a population layer."
        raise ValueError(msg)
    rules, profile = config.transit.rules, config.walking
    located = study.places.geometry.notna() & ~study.places.geometry.is_empty
    place_rows = np.flatnonzero(located.to_numpy())
    table = bus.timetable
    crs = table.crs
    origin_xy = points_xy(origins.geometry.representative_point()
                          if (origins.geom_type != "Point").any() else origins, crs)
    place_xy = points_xy(study.places.iloc[place_rows], crs)
    stop_xy = (table.stop_x, table.stop_y)
    door_limit = max(rules.door_to_door_minutes, rules.window_minutes)
    if study.streets is not None:
        if study.streets.crs != crs:
            msg = f"the streets ({study.streets.crs}) and the stops ({crs}) differ in CRS."
            raise ValueError(msg)
        graph = walk_graph(study.streets, profile, elevation_m=study.elevation_m)
        snapped = {"origins": snap_points(graph.network, *origin_xy),
                   "places": snap_points(graph.network, *place_xy),
                   "stops": snap_points(graph.network, *stop_xy)}
        backwards = _backwards(graph)
        matrix = walking_matrix(graph)
        access = network_links(graph, snapped["origins"], snapped["stops"],
                               max_minutes=rules.access_minutes, forward=matrix)
        egress = network_links(backwards, snapped["places"], snapped["stops"],
                               max_minutes=rules.access_minutes).reversed()
        transfers = network_links(graph, snapped["stops"], snapped["stops"],
                                  max_minutes=max(rules.transfer_walk_minutes, 1e-6),
                                  forward=matrix)
        direct = network_links(graph, snapped["origins"], snapped["places"],
                               max_minutes=door_limit, forward=matrix)
        method = "network"
    else:
        graph, matrix, snapped = None, None, {}
        access = straight_links(*origin_xy, *stop_xy, profile=profile,
                                max_minutes=rules.access_minutes)
        egress = straight_links(*stop_xy, *place_xy, profile=profile,
                                max_minutes=rules.access_minutes)
        transfers = straight_links(*stop_xy, *stop_xy, profile=profile,
                                   max_minutes=max(rules.transfer_walk_minutes, 1e-6))
        direct = straight_links(*origin_xy, *place_xy, profile=profile, max_minutes=door_limit)
        method = "straight"
    logger.info("Transit model: %d trips, %d origins, %d places; walks (%s): %d to stops, "
                "%d from stops, %d between stops", table.n_trips, len(origins), len(place_rows),
                method, len(access), len(egress), len(transfers))
    return TransitModel(bus, rules, profile, method, place_rows, study.places, origins, access,
                        egress, transfers, direct, config.transit.depart_at_min, graph, matrix,
                        snapped)


def model_with_places(model: TransitModel, places: gpd.GeoDataFrame) -> TransitModel:
    """
    ``model`` with other places: the buses, the origins and the walks to and between stops
    are kept (and the day's trips found so far); only the walks from stops to places and from
    homes to places are measured again, as :func:`build_transit_model` measures them.

    Parameters
    ----------
    model
        From :func:`build_transit_model`.
    places
        The new places (any CRS the walks can be measured in; rows without a position are
        kept and never reached).
    """
    rules, profile = model.rules, model.profile
    located = places.geometry.notna() & ~places.geometry.is_empty
    place_rows = np.flatnonzero(located.to_numpy())
    table = model.bus.timetable
    crs = table.crs
    place_xy = points_xy(places.iloc[place_rows], crs)
    door_limit = max(rules.door_to_door_minutes, rules.window_minutes)
    snapped = dict(model.snapped)
    if model.graph is not None:
        snapped["places"] = snap_points(model.graph.network, *place_xy)
        egress = network_links(_backwards(model.graph), snapped["places"], snapped["stops"],
                               max_minutes=rules.access_minutes).reversed()
        direct = network_links(model.graph, snapped["origins"], snapped["places"],
                               max_minutes=door_limit, forward=model.matrix)
    else:
        origins = model.origins
        origin_xy = points_xy(origins.geometry.representative_point()
                              if (origins.geom_type != "Point").any() else origins, crs)
        egress = straight_links(table.stop_x, table.stop_y, *place_xy, profile=profile,
                                max_minutes=rules.access_minutes)
        direct = straight_links(*origin_xy, *place_xy, profile=profile, max_minutes=door_limit)
    return replace(model, place_rows=place_rows, places=places, egress=egress, direct=direct,
                   snapped=snapped)


def _backwards(graph: WalkGraph) -> WalkGraph:
    """The same streets walked the other way: searching from places on it gives walks to them."""
    minutes = replace(graph.minutes, forward=graph.minutes.backward,
                      backward=graph.minutes.forward)
    return replace(graph, minutes=minutes)


@dataclass(frozen=True)
class ChosenTime:
    """Leave home within the window starting at ``start_min`` on ``date``; places known to be
    closed that day do not count, places whose dates are unknown do."""

    date: dt.date
    #: Minutes after midnight; None: the config's ``depart_at``.
    start_min: float | None = None


@dataclass(frozen=True)
class OpeningDays:
    """Arrive at each place by its start on its next open day on or after ``after``."""

    after: dt.date


@dataclass(eq=False)
class TransitReach:
    """Who can get to a place by walking alone, and with the bus (per origin and place)."""

    #: One row per origin (in the origins' order): ``walk_minutes`` and ``walk_place`` (the
    #: nearest counted place on foot, door to door; ``inf`` / -1 beyond the limit);
    #: ``bus_minutes`` and ``bus_place`` (the shortest journey with at least one ride, door
    #: to door, within the limit), its ``rides`` (1 or 2; 0 for none), ``leave`` and
    #: ``arrive`` (HH:MM), ``date`` (the day travelled) and ``estimated`` (rebuilt trips);
    #: ``best_minutes``, the better of the two. Places are rows of the study's places.
    points: pd.DataFrame
    #: One row per place of the study: ``name``, ``counted``, ``date``, ``start``,
    #: ``reason`` (why it was not counted, in Japanese).
    places: pd.DataFrame
    #: Japanese notes to show beside the result (推定, a timetable date stood in …).
    notes: list[str]
    #: What was skipped in the bus data (file, row, problem).
    skipped: list[str]
    rules: TransitRules
    method: str
    estimated: bool


def transit_reach(model: TransitModel, when: ChosenTime | OpeningDays) -> TransitReach:
    """
    Door-to-door minutes from every origin to the nearest counted place, on foot and by bus.

    Parameters
    ----------
    model
        From :func:`build_transit_model`.
    when
        :class:`ChosenTime` or :class:`OpeningDays`.

    Returns
    -------
    TransitReach
    """
    rules = model.rules
    n_places = len(model.place_rows)
    notes: list[str] = []
    place_table = _place_table(model, when)
    groups: dict[tuple[dt.date, float], np.ndarray] = {}
    if isinstance(when, ChosenTime):
        start = model.depart_at_min if when.start_min is None else float(when.start_min)
        groups[(when.date, start)] = place_table["counted"].to_numpy()[model.place_rows]
        notes.append("開催日が分かる場所はその日に開く場所だけ、分からない場所はすべて数えます"
                     "（開始時刻は考慮していません）")
    else:
        counted = place_table["counted"].to_numpy()[model.place_rows]
        starts = place_table["start_min"].to_numpy()[model.place_rows]
        dates = place_table["date"].to_numpy()[model.place_rows]
        for index in np.flatnonzero(counted):
            key = (dates[index], float(starts[index]))
            groups.setdefault(key, np.zeros(n_places, dtype=bool))[index] = True
    best: TransitTimes | None = None
    best_date = np.full(len(model.origins), None, dtype=object)
    walk_minutes = np.full(len(model.origins), np.inf)
    walk_place = np.full(len(model.origins), -1, dtype=np.int64)
    for (date, start), mask in sorted(groups.items()):
        times, walk, day_note = _group_times(model, date, start, mask, arrive_by=isinstance(
            when, OpeningDays))
        if day_note and day_note not in notes:
            notes.append(day_note)
        better_walk = walk[0] < walk_minutes
        walk_minutes[better_walk] = walk[0][better_walk]
        walk_place[better_walk] = walk[1][better_walk]
        if best is None:
            best, improved = times, np.isfinite(times.minutes)
        else:
            improved = times.minutes < best.minutes
            best = _take(best, times, improved)
        best_date[improved] = date
    points = _points_frame(model, best, walk_minutes, walk_place, best_date)
    if model.bus.estimated:
        notes.insert(0, ESTIMATE_NOTE)
    if model.method == "straight":
        notes.append(f"徒歩は直線距離×{model.profile.detour_factor:g}による概算"
                     f"（{model.profile.label}）")
    return TransitReach(points, place_table.drop(columns=["start_min"]), notes,
                        model.bus.skipped, rules, model.method, model.bus.estimated)


def _place_table(model: TransitModel, when: ChosenTime | OpeningDays) -> pd.DataFrame:
    """Per place of the study: counted or not (and why), the day and the start used."""
    located = set(model.place_rows.tolist())
    table = []
    for row in range(len(model.places)):
        place = model.places.iloc[row]
        entry = {"name": str(place.get("name", "")), "counted": False, "date": None,
                 "start": "", "start_min": np.nan, "reason": ""}
        table.append(entry)
        if row not in located:
            entry["reason"] = "位置が分からないため数えていません"
            continue
        text = place.get("schedule")  # missing (NaN) in places made without the column
        schedule = parse_schedule(text if isinstance(text, str) else None)
        if isinstance(when, ChosenTime):
            start = model.depart_at_min if when.start_min is None else float(when.start_min)
            following = next_openings(schedule, when.date, count=1)
            if schedule.dates_known and (not following or following[0].date != when.date):
                after = f"（次は{following[0].date.month}月{following[0].date.day}日）" \
                    if following else ""
                entry["reason"] = f"この日は開催日ではありません{after}"
                continue
            entry.update(counted=True, date=when.date, start=format_minutes(start),
                         start_min=start)
            continue
        if not schedule.dates_known:
            entry["reason"] = "開催日が分からないため、バスで間に合うかを調べていません"
            continue
        openings = next_openings(schedule, when.after, count=1)
        if not openings:
            entry["reason"] = "次の開催日が見つかりません"
            continue
        opening = openings[0]
        if opening.start is None:  # dates without hours: leave within the chosen window
            start = model.depart_at_min + model.rules.window_minutes
            label = f"{format_minutes(start)}（開始時刻不明のため仮定）"
        else:
            start = opening.start.hour * 60.0 + opening.start.minute
            label = format_minutes(start)
        entry.update(counted=True, date=opening.date, start=label, start_min=start)
    return pd.DataFrame(table, columns=["name", "counted", "date", "start", "start_min",
                                        "reason"])


def _group_times(model: TransitModel, date: dt.date, start: float, places: np.ndarray, *,
                 arrive_by: bool) -> tuple[TransitTimes, tuple[np.ndarray, np.ndarray], str]:
    """Best journeys for one (day, time) and the places that count then."""
    rules = model.rules
    window = rules.window_minutes
    if arrive_by:  # arrive by the start, leaving at most a window before
        leave_from, leave_until, deadline = start - window, start, start
    else:  # leave within the window; arrive within the door-to-door limit after it
        leave_from, leave_until = start, start + window
        deadline = leave_until + rules.door_to_door_minutes
    day = model.bus.calendar.day_for(date)
    key = (day.used, leave_from, deadline)
    trips = model.cache.get(key)
    if trips is None:
        running = model.bus.running_trips(day.used)
        trips = day_trips(model.bus.timetable, running, from_min=leave_from, until_min=deadline)
        model.cache[key] = trips
    profile = boarding_profile(trips, model.egress, rules, arrive_by_min=deadline,
                               transfers=model.transfers, places=places)
    times = door_to_door(profile, model.access, leave_from_min=leave_from,
                         leave_until_min=leave_until)  # journeys with at least one ride
    limit = rules.door_to_door_minutes
    over = times.minutes > limit + 1e-9
    times = _take(times, _nothing(len(times.minutes)), over)
    walk = _walk_only(model, places, min(limit, window) if arrive_by else limit)
    return times, walk, day.note


def _walk_only(model: TransitModel, places: np.ndarray, limit: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Door-to-door minutes on foot to the nearest counted place (within ``limit``)."""
    return nearest_target(model.direct.where(model.direct.minutes <= limit + 1e-9),
                          targets=places)


def _nothing(n: int) -> TransitTimes:
    none = np.full(n, -1, dtype=np.int64)
    inf = np.full(n, np.inf)
    return TransitTimes(inf, inf, inf, none, np.zeros(n, dtype=np.int64), none, none)


def _take(old: TransitTimes, new: TransitTimes, where: np.ndarray) -> TransitTimes:
    """``new`` where ``where``, else ``old``, field by field."""
    return TransitTimes(*(np.where(where, getattr(new, name), getattr(old, name))
                          for name in ("minutes", "leave_min", "arrive_min", "place", "rides",
                                       "access_pair", "boarding")))


def _points_frame(model: TransitModel, best: TransitTimes | None, walk_minutes: np.ndarray,
                  walk_place: np.ndarray, dates: np.ndarray) -> pd.DataFrame:
    n = len(model.origins)
    if best is None:
        best = _nothing(n)
    rows = model.place_rows
    found = best.place >= 0
    return pd.DataFrame({
        "walk_minutes": walk_minutes,
        "walk_place": np.where(walk_place >= 0, rows[np.maximum(walk_place, 0)], -1)
        if len(rows) else walk_place,
        "bus_minutes": best.minutes,
        "bus_place": np.where(found, rows[np.maximum(best.place, 0)], -1)
        if len(rows) else best.place,
        "rides": best.rides,
        "leave": [format_minutes(m) if np.isfinite(m) else "" for m in best.leave_min],
        "arrive": [format_minutes(m) if np.isfinite(m) else "" for m in best.arrive_min],
        "date": dates,
        "best_minutes": np.minimum(walk_minutes, best.minutes),
        "estimated": found & model.bus.estimated,
    }, index=model.origins.index)


def reach_classes(reach: TransitReach, *, walk_minutes: float) -> pd.Series:
    """
    Per origin: "walk" (a place within ``walk_minutes`` on foot), "bus" (not on foot, but a
    journey with a ride within the door-to-door limit: バスを使えば行ける) or "neither".
    """
    points = reach.points
    on_foot = points["walk_minutes"] <= walk_minutes
    by_bus = points["bus_minutes"] <= reach.rules.door_to_door_minutes
    return pd.Series(np.where(on_foot, "walk", np.where(by_bus, "bus", "neither")),
                     index=points.index, name="reach")


def reach_by_district(reach: TransitReach, origins: gpd.GeoDataFrame,
                      districts: gpd.GeoDataFrame, *, walk_minutes: float,
                      metric_crs: str) -> pd.DataFrame:
    """
    People per district reaching a place on foot only, with the bus, or neither.

    Parameters
    ----------
    reach
        From :func:`transit_reach` for ``origins``.
    origins
        The origins the reach was computed for (population points or cells) with ``total``
        and, when the data has them, ``age65``.
    districts
        Districts with ``name``.
    walk_minutes
        The walking threshold (door to door) for "on foot".
    metric_crs
        Where points are matched to districts.

    Returns
    -------
    DataFrame
        One row per district (in the districts' order) and columns ``walk``, ``bus`` and
        ``neither`` per population column (``total``, and ``age65_walk`` … when every origin
        has a 65+ count).
    """
    if len(origins) != len(reach.points):
        msg = f"`origins` has {len(origins)} rows, the reach {len(reach.points)}."
        raise ValueError(msg)
    points = origins.copy()
    if (points.geom_type != "Point").any():
        points = points.set_geometry(points.geometry.representative_point())
    district = assign_districts(points, districts, metric_crs=metric_crs).to_numpy()
    kinds = reach_classes(reach, walk_minutes=walk_minutes).to_numpy()
    columns = ["total"] + (["age65"] if "age65" in origins and origins["age65"].notna().all()
                           else [])
    table = pd.DataFrame(index=pd.Index(districts["name"].astype(str), name="district"))
    for column in columns:
        people = origins[column].to_numpy(dtype=float)
        prefix = "" if column == "total" else f"{column}_"
        for kind in ("walk", "bus", "neither"):
            counts = pd.Series(people * (kinds == kind)).groupby(district).sum()
            table[f"{prefix}{kind}"] = counts.reindex(table.index, fill_value=0.0).to_numpy()
    return table
