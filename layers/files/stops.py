"""Bus stops with their departures, from a GeoJSON/GeoPackage layer or a GTFS(-JP) feed."""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS
from shapely import Point
from shapely.geometry.base import BaseGeometry

from geo.crs import METRIC_CRS, STORAGE_CRS, to_metric
from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.files.reader import keep_rows, read_vector
from layers.files.timetable import (
    HOLIDAY_NOTE,
    JP_WEEKDAY_CHARS,
    day_type,
    make_departure,
    parse_timetable_html,
)

logger = logging.getLogger(__name__)
__all__ = ["AREA_TOLERANCE_M", "STOP_COLUMNS", "is_gtfs", "load_stops"]

#: Columns of the frame :func:`load_stops` returns, in order.
STOP_COLUMNS = ("stop_id", "name", "operator", "note", "departures", "departure_count", "geometry")

#: Stops further than this outside the study area are reported (metres, in the metric CRS).
AREA_TOLERANCE_M = 1000.0

_GTFS_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def is_gtfs(path: Path) -> bool:
    """Whether ``path`` is a GTFS feed: a directory or a zip file with ``stops.txt``."""
    path = Path(path)
    if path.is_dir():
        return (path / "stops.txt").is_file()
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return any(Path(name).name == "stops.txt" for name in archive.namelist())
    return False


def load_stops(
    layer: LayerConfig,
    *,
    area: BaseGeometry | None = None,
    metric_crs: str | CRS = METRIC_CRS,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load bus stops and their departures.

    Parameters
    ----------
    layer
        The ``stops`` layer: a vector file (GeoJSON, GeoPackage ...) whose fields map onto
        ``name``, ``timetable_html`` (a ぐるりん ``時刻表`` HTML table), ``operator``, ``note``
        and optionally ``stop_id``; or a GTFS feed (a directory or ``.zip`` with ``stops.txt``).
    area
        The study area in ``STORAGE_CRS``; stops more than :data:`AREA_TOLERANCE_M` outside it
        are reported as warnings (bus lines do run into neighbouring towns). ``None`` skips this.
    metric_crs
        The CRS in which the distance to ``area`` is measured.

    Returns
    -------
    (GeoDataFrame, list of Problem)
        Columns :data:`STOP_COLUMNS` in ``STORAGE_CRS`` (``departures`` holds lists of dicts as
        made by :func:`layers.files.timetable.make_departure`), and the warnings found.

    Raises
    ------
    LayerError
        With every error found: a missing position, an unreadable timetable, a GTFS feed
        without ``stop_times.txt`` ...

    Examples
    --------
    >>> path = Path("data/takasaki/bus/gururin_stops.geojson")
    >>> stops, warnings = load_stops(LayerConfig("stops", path, {"timetable_html": "時刻表"}))
    >>> len(stops), stops.iloc[0]["departures"][0]["time"]
    (1187, '07:30')
    """
    if area is not None and not isinstance(area, BaseGeometry):
        msg = f"`area` must be a shapely geometry in {STORAGE_CRS} or None, got {type(area)}."
        raise TypeError(msg)
    path = Path(layer.path)
    if is_gtfs(path):
        stops, rows, problems = _stops_from_gtfs(path)
    else:
        stops, rows, problems = _stops_from_vector(path, layer)
    if area is not None and not stops.empty:
        problems += _check_area(stops, rows, path, area=area, metric_crs=metric_crs)
    if any(problem.is_error for problem in problems):
        raise LayerError(problems)
    for problem in problems:  # returned to the caller too, which decides how to show them
        logger.debug("%s", problem)
    logger.info("Loaded %d stops with %d departures from %s (%d warnings)", len(stops),
                int(stops["departure_count"].sum()), path.name, len(problems))
    return stops, problems


def _stops_from_vector(
    path: Path, layer: LayerConfig
) -> tuple[gpd.GeoDataFrame, list[int], list[Problem]]:
    """Read a vector stops layer; return the stops, their feature numbers and the problems."""
    frame = keep_rows(read_vector(path), layer.options.get("keep"), path)
    problems: list[Problem] = []

    def column(canonical: str, *, required: bool = False) -> pd.Series | None:
        source = layer.source_field(canonical)
        if source in frame.columns:
            return frame[source]
        if required or canonical in layer.fields:  # a mapped optional field: left empty
            problems.append(Problem(
                path, f"there is no field {source!r} (for {canonical}); the fields are "
                f"{', '.join(map(str, frame.columns.drop('geometry')))}.", field=source,
                fix=f'Rename the field, or map it in the config: [layers.{layer.name}.fields] '
                    f'{canonical} = "...".',
                severity=Severity.ERROR if required else Severity.WARNING))
        return None

    names = column("name", required=True)
    timetables = column("timetable_html")
    operators = column("operator")
    notes = column("note")
    ids = column("stop_id")
    if names is None:
        raise LayerError(problems)

    records: list[dict[str, Any]] = []
    rows: list[int] = []
    seen_ids: dict[str, int] = {}
    for position, geometry in enumerate(frame.geometry):
        row = position + 1
        name = _text(names.iloc[position])
        stop_id = (_text(ids.iloc[position]) if ids is not None else "") or str(row)
        problems += _check_point(path, row, geometry)
        if not name:
            problems.append(Problem(path, "the stop has no name.", row=row,
                                    field=layer.source_field("name"),
                                    fix="Fill in the name shown at the stop."))
        if stop_id in seen_ids:
            problems.append(Problem(path, f"stop id {stop_id!r} is also used in row "
                                    f"{seen_ids[stop_id]}.", row=row,
                                    field=layer.source_field("stop_id"),
                                    fix="Give every stop its own id."))
        seen_ids.setdefault(stop_id, row)
        departures: list[dict[str, Any]] = []
        if timetables is not None:
            try:
                departures = parse_timetable_html(_text(timetables.iloc[position]))
            except ValueError as exc:
                problems.append(Problem(
                    path, f"the timetable cannot be read: {exc}", row=row,
                    field=layer.source_field("timetable_html"),
                    fix="Write each departure as 'MM (行き先行き) 曜日' in the row of its hour, "
                        "e.g. '30 (高崎駅西口行き) 平日のみ'."))
        records.append({
            "stop_id": stop_id,
            "name": name,
            "operator": _text(operators.iloc[position]) if operators is not None else "",
            "note": _text(notes.iloc[position]) if notes is not None else "",
            "departures": departures,
            "geometry": geometry,
        })
        rows.append(row)
    return _frame(records), rows, problems


def _stops_from_gtfs(path: Path) -> tuple[gpd.GeoDataFrame, list[int], list[Problem]]:
    """Read a GTFS feed; return the stops, their rows in stops.txt and the problems."""
    import gtfs_kit  # slow to import; only GTFS layers need it

    feed = gtfs_kit.read_feed(path, dist_units="km")
    problems: list[Problem] = []
    required = {"stops": "the stop positions", "stop_times": "the departure times",
                "trips": "which service each trip runs on"}
    for table, holds in required.items():
        if getattr(feed, table) is None:
            problems.append(Problem(
                path / f"{table}.txt", f"the GTFS feed {path.name} has no {table}.txt (or it is "
                f"empty), so {holds} are unknown.",
                fix=f"Export the feed again with {table}.txt (in a .zip, put the .txt files at "
                    "the top, not in a folder)."))
    if feed.calendar is None and feed.calendar_dates is None:
        problems.append(Problem(path / "calendar.txt", f"the GTFS feed {path.name} has neither "
                                "calendar.txt nor calendar_dates.txt, so the days are unknown.",
                                fix="Export the feed again with calendar.txt."))
    if problems:
        raise LayerError(problems)

    departures, operators = _gtfs_departures(feed, path, _services(feed), problems)

    stops_table = feed.stops
    if "location_type" in stops_table.columns:  # keep stops/platforms, not stations/entrances
        stops_table = stops_table[stops_table["location_type"].fillna(0).astype(int) == 0]
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    for index, stop in stops_table.iterrows():
        row = int(index) + 2  # the header is row 1
        lon, lat = stop.get("stop_lon"), stop.get("stop_lat")
        geometry = None
        if pd.isna(lon) or pd.isna(lat):
            problems.append(Problem(path / "stops.txt", "the stop has no position.", row=row,
                                    field="stop_lat" if pd.isna(lat) else "stop_lon",
                                    fix="Fill in stop_lat and stop_lon (WGS 84 degrees)."))
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(Problem(path / "stops.txt", f"({lat}, {lon}) is not a position.",
                                    row=row, field="stop_lat",
                                    fix="stop_lat is latitude (~36 in Gunma), stop_lon is "
                                        "longitude (~139)."))
        else:
            geometry = Point(float(lon), float(lat))
        stop_id = _text(stop["stop_id"])
        stop_departures = sorted(departures.get(stop_id, []), key=lambda d: d["time"])
        records.append({
            "stop_id": stop_id,
            "name": _text(stop.get("stop_name")),
            "operator": "・".join(sorted(operators.get(stop_id, set()))),
            "note": _text(stop.get("stop_desc")),
            "departures": stop_departures,
            "geometry": geometry,
        })
        rows.append(row)
    return _frame(records), rows, problems


def _services(feed: Any) -> dict[str, tuple[list[int], bool]]:
    """``service_id -> (weekdays, runs on public holidays)`` from calendar(_dates).txt."""
    services: dict[str, tuple[list[int], bool]] = {}
    if feed.calendar is not None:
        for service in feed.calendar.itertuples(index=False):
            weekdays = [day for day, column in enumerate(_GTFS_WEEKDAYS)
                        if _flag(getattr(service, column, 0))]
            # GTFS-JP convention: 土日祝 services run on Sunday, so Sunday stands for holidays.
            services[str(service.service_id)] = (weekdays, 6 in weekdays)
    if feed.calendar_dates is not None:  # services defined only by dates
        added: dict[str, list[dt.date]] = defaultdict(list)
        for exception in feed.calendar_dates.itertuples(index=False):
            if str(exception.service_id) not in services and _flag(exception.exception_type, 1):
                added[str(exception.service_id)].append(
                    dt.datetime.strptime(str(exception.date), "%Y%m%d").date())
        for service_id, dates in added.items():
            types = {date: day_type(date) for date in dates}
            weekdays = sorted({date.weekday() for date, kind in types.items() if kind != "holiday"})
            services[service_id] = (weekdays, "holiday" in types.values())
    return services


def _gtfs_departures(
    feed: Any, path: Path, services: dict[str, tuple[list[int], bool]], problems: list[Problem]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, set[str]]]:
    """Departures and operator (agency) names per stop_id, from stop_times joined to trips,
    routes, agency and services."""
    trips = {str(trip.trip_id): trip for trip in feed.trips.itertuples(index=False)}
    agencies: dict[str, str] = {}
    if feed.agency is not None:
        agencies = {_text(getattr(agency, "agency_id", "")): _text(agency.agency_name)
                    for agency in feed.agency.itertuples(index=False)}
    only_agency = next(iter(agencies.values())) if len(agencies) == 1 else ""
    routes: dict[str, tuple[str, str]] = {}  # route_id -> (name, agency name)
    for route in [] if feed.routes is None else feed.routes.itertuples(index=False):
        routes[str(route.route_id)] = (
            _text(getattr(route, "route_short_name", ""))
            or _text(getattr(route, "route_long_name", "")),
            agencies.get(_text(getattr(route, "agency_id", "")), only_agency),
        )
    unknown_trips: list[int] = []
    unknown_services: dict[str, int] = {}
    bad_times: list[tuple[int, str]] = []
    untimed = 0
    departures: dict[str, list[dict[str, Any]]] = defaultdict(list)
    operators: dict[str, set[str]] = defaultdict(set)
    stop_times = feed.stop_times
    for index, stop_time in zip(stop_times.index, stop_times.itertuples(index=False), strict=True):
        time = _text(getattr(stop_time, "departure_time", "")) or _text(
            getattr(stop_time, "arrival_time", ""))
        if not time:  # an untimed intermediate stop: legitimate in GTFS, not a departure
            untimed += 1
            continue
        if _flag(getattr(stop_time, "pickup_type", 0), 1):  # 降車のみ: no one can board here
            continue
        trip = trips.get(str(stop_time.trip_id))
        if trip is None:
            unknown_trips.append(int(index) + 2)
            continue
        service_id = str(trip.service_id)
        if service_id not in services:
            unknown_services.setdefault(service_id, int(index) + 2)
            continue
        weekdays, runs_on_holidays = services[service_id]
        route_name, agency_name = routes.get(str(trip.route_id), ("", only_agency))
        destination = (_text(getattr(stop_time, "stop_headsign", ""))
                       or _text(getattr(trip, "trip_headsign", "")) or route_name)
        label, note = _label_for(weekdays, runs_on_holidays)
        try:
            departure = make_departure(time, destination.removesuffix("行き"), weekdays=weekdays,
                                       holidays=runs_on_holidays, label=label, note=note)
        except ValueError:
            bad_times.append((int(index) + 2, time))
            continue
        departures[str(stop_time.stop_id)].append(departure)
        if agency_name:
            operators[str(stop_time.stop_id)].add(agency_name)

    if unknown_trips:
        problems.append(Problem(path / "stop_times.txt", f"{len(unknown_trips)} rows name a "
                                "trip_id that is not in trips.txt (rows "
                                f"{_few(unknown_trips)}).", row=unknown_trips[0], field="trip_id",
                                fix="Add the trips to trips.txt or remove those rows."))
    for service_id, row in unknown_services.items():
        problems.append(Problem(path / "stop_times.txt", f"the trip's service_id {service_id!r} "
                                "is in neither calendar.txt nor calendar_dates.txt.", row=row,
                                field="trip_id",
                                fix="Add the service to calendar.txt with its weekdays."))
    if bad_times:
        problems.append(Problem(path / "stop_times.txt", f"{len(bad_times)} times cannot be "
                                f"read, e.g. {bad_times[0][1]!r} (rows "
                                f"{_few([row for row, _ in bad_times])}).", row=bad_times[0][0],
                                field="departure_time", fix="Use HH:MM:SS, e.g. 07:30:00."))
    if untimed:
        logger.info("Skipped %d untimed stop_times rows in %s", untimed, path.name)
    return departures, operators


def _label_for(weekdays: list[int], runs_on_holidays: bool) -> tuple[str, str | None]:
    """The Japanese day mark for a service, as the ぐるりん timetables write it."""
    if weekdays == [0, 1, 2, 3, 4, 5, 6]:
        return "毎日", None
    if weekdays == [0, 1, 2, 3, 4] and not runs_on_holidays:
        return "平日のみ", None
    if weekdays == [5, 6] and runs_on_holidays:
        return "休日のみ", None
    days = "".join(JP_WEEKDAY_CHARS[day] for day in weekdays)
    if runs_on_holidays:
        return f"{days}祝", None
    return days, HOLIDAY_NOTE


def _check_point(path: Path, row: int, geometry: BaseGeometry | None) -> list[Problem]:
    if geometry is None or geometry.is_empty:
        return [Problem(path, "the stop has no position.", row=row, field="geometry",
                        fix="Place the stop on the map (a Point), or delete the feature.")]
    if geometry.geom_type != "Point":
        return [Problem(path, f"the stop is a {geometry.geom_type}, not a Point.", row=row,
                        field="geometry", fix="Use one Point per stop (one per direction).")]
    return []


def _check_area(stops: gpd.GeoDataFrame, rows: list[int], path: Path, *,
                area: BaseGeometry, metric_crs: str | CRS) -> list[Problem]:
    """Warn about stops more than AREA_TOLERANCE_M outside ``area``."""
    has_point = stops.geometry.notna() & ~stops.geometry.is_empty
    if not has_point.any():
        return []
    area_m = to_metric(gpd.GeoDataFrame(geometry=[area], crs=STORAGE_CRS), metric_crs)
    stops_m = to_metric(stops[has_point], metric_crs)
    distance_m = stops_m.distance(area_m.geometry.iloc[0])
    problems = []
    for position, meters in zip(stops_m.index, distance_m, strict=True):
        if meters > AREA_TOLERANCE_M:
            problems.append(Problem(
                path, f"stop {stops.at[position, 'name']!r} is {meters / 1000:.1f} km outside "
                "the study area.", row=rows[position], field="geometry",
                fix="Check its coordinates (longitude and latitude swapped?); a line into a "
                    "neighbouring town is fine.", severity=Severity.WARNING))
    return problems


def _frame(records: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(records, columns=[*STOP_COLUMNS[:-2], "geometry"])
    frame["departure_count"] = frame["departures"].map(len).astype(int)
    return gpd.GeoDataFrame(frame[list(STOP_COLUMNS)], geometry="geometry", crs=STORAGE_CRS)


def _text(value: Any) -> str:
    """A cell as stripped text; missing values (None, NaN, pd.NA) become ''."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _flag(value: Any, expected: int = 1) -> bool:
    return not pd.isna(value) and int(value) == expected


def _few(rows: list[int], limit: int = 5) -> str:
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")
