"""A GTFS / GTFS-JP feed as a bus timetable: real trips, stop times, calendars and holidays.

The feed is read with gtfs-kit; this module checks it and turns it into arrays
(:class:`layers.files.bus_timetable.BusTimetable`). What cannot be used is left out with a
warning naming the file and row, and the rest is used: stop times naming an unknown stop or
trip, trips whose times go backwards or whose service has no calendar, stops without a
position, services with no day in the study period. A feed without ``stops.txt``,
``stop_times.txt`` or ``trips.txt``, or without any calendar, cannot be used at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from geo.crs import METRIC_CRS
from geo.transit.timetable import MAX_DAY_MINUTES, Timetable
from layers.errors import LayerError, Problem
from layers.files.bus_timetable import (
    BusTimetable,
    ServiceCalendar,
    ServiceDays,
    japanese_date,
    warning,
)

logger = logging.getLogger(__name__)
__all__ = ["gtfs_minutes", "read_gtfs_timetable"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_REQUIRED = {"stops": "where the stops are", "stop_times": "when buses call at them",
             "trips": "which route and days each trip has"}


def gtfs_minutes(times: pd.Series) -> np.ndarray:
    """
    ``H:MM:SS`` texts as minutes after midnight (hours may pass 24); NaN where empty or
    not a time.

    Examples
    --------
    >>> gtfs_minutes(pd.Series(["08:35:00", "25:10:30", "", "8時"])).tolist()
    [515.0, 1510.5, nan, nan]
    """
    parts = times.astype("string").str.strip().str.extract(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
    numbers = parts.astype(float)
    return (numbers[0] * 60 + numbers[1] + numbers[2] / 60).to_numpy(dtype=float)


def read_gtfs_timetable(path: str | Path, *, metric_crs: str | CRS = METRIC_CRS,
                        period: tuple[dt.date, dt.date] | None = None) -> BusTimetable:
    """
    Read a GTFS / GTFS-JP feed (a ``.zip`` or a folder) into a bus timetable.

    Parameters
    ----------
    path
        The feed.
    metric_crs
        The projected CRS (metres) for stop positions.
    period
        The study period (first and last day): services with no day in it are reported.

    Returns
    -------
    BusTimetable
        Real trips (not estimates); ``problems`` lists what was skipped.

    Raises
    ------
    LayerError
        When the feed is missing, unreadable, or lacks stops, stop times, trips or every
        calendar.
    """
    import gtfs_kit  # slow to import; only GTFS feeds need it

    path = Path(path)
    if not path.exists():
        raise LayerError.single(path, "the GTFS feed does not exist.",
                                fix="Correct the path in the config (relative to the config).")
    try:
        feed = gtfs_kit.read_feed(path, dist_units="km")
    except Exception as exc:  # gtfs-kit raises whatever its readers raise
        raise LayerError.single(path, f"the GTFS feed cannot be read: {exc}",
                                fix="Check that it is a GTFS zip (the .txt files at the top, "
                                    "UTF-8) or a folder of them.") from None
    missing = [Problem(path / f"{table}.txt", f"the feed has no {table}.txt (or it is empty), "
                       f"so {holds} is unknown.",
                       fix=f"Export the feed again with {table}.txt.")
               for table, holds in _REQUIRED.items() if getattr(feed, table) is None]
    if feed.calendar is None and feed.calendar_dates is None:
        missing.append(Problem(path / "calendar.txt", "the feed has neither calendar.txt nor "
                               "calendar_dates.txt, so the days its buses run are unknown.",
                               fix="Export the feed again with calendar.txt."))
    if missing:
        raise LayerError(missing)
    problems: list[Problem] = []
    if feed.calendar is None or feed.calendar_dates is None:
        absent = "calendar.txt" if feed.calendar is None else "calendar_dates.txt"
        problems.append(warning(path / absent, f"the feed has no {absent}; the days come from "
                                "the other calendar file alone."))
    stop_index, stops = _stops(feed.stops, path, metric_crs, problems)
    services, service_index = _services(feed, path, period, problems)
    routes = _route_names(feed, path, problems)
    table = _stop_times(feed, path, stop_index, service_index, routes, problems)
    timetable = Timetable(
        stop_x=stops["x"], stop_y=stops["y"], stop_name=stops["name"],
        crs=str(CRS.from_user_input(metric_crs).to_string()), **table)
    for problem in problems:
        logger.debug("%s", problem)
    logger.info("Read GTFS %s: %d stops, %d trips, %d stop times, %d services (%d warnings)",
                path.name, timetable.n_stops, timetable.n_trips, timetable.n_stop_times,
                len(services), len(problems))
    return BusTimetable(timetable, ServiceCalendar(tuple(services)), path.name, False, problems)


def _stops(frame: pd.DataFrame, path: Path, metric_crs: str | CRS,
           problems: list[Problem]) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Boarding points (location_type 0) with a position, in the metric CRS."""
    kind = pd.to_numeric(frame.get("location_type", pd.Series(0, index=frame.index)),
                         errors="coerce").fillna(0)
    poles = frame[kind == 0]
    lon = pd.to_numeric(poles.get("stop_lon"), errors="coerce")
    lat = pd.to_numeric(poles.get("stop_lat"), errors="coerce")
    located = lon.between(-180, 180) & lat.between(-90, 90)
    if (~located).any():
        rows = [int(index) + 2 for index in poles.index[~located]]
        problems.append(warning(path / "stops.txt", f"{len(rows)} stops have no position "
                                f"(rows {_few(rows)}); buses calling there are routed past them.",
                                row=rows[0], field="stop_lat",
                                fix="Fill in stop_lat and stop_lon (WGS 84 degrees)."))
    poles = poles[located]
    to_metric = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    x, y = to_metric.transform(lon[located].to_numpy(float), lat[located].to_numpy(float))
    ids = poles["stop_id"].astype(str).to_numpy()
    names = poles.get("stop_name", pd.Series("", index=poles.index)).fillna("").astype(str)
    return ({stop_id: i for i, stop_id in enumerate(ids)},
            {"x": np.asarray(x, float), "y": np.asarray(y, float),
             "name": names.str.strip().to_numpy(dtype=object)})


def _date(value: Any) -> dt.date | None:
    try:
        return dt.datetime.strptime(str(value).strip(), "%Y%m%d").date()
    except ValueError:
        return None


def _services(feed: Any, path: Path, period: tuple[dt.date, dt.date] | None,
              problems: list[Problem]) -> tuple[list[ServiceDays], dict[str, int]]:
    """Every service of calendar.txt and calendar_dates.txt, and its index by service_id."""
    rows: dict[str, tuple[str, int]] = {}
    weekly: dict[str, tuple[frozenset[int], dt.date | None, dt.date | None]] = {}
    if feed.calendar is not None:
        for index, row in feed.calendar.iterrows():
            service_id, line = str(row["service_id"]), int(index) + 2
            start, end = _date(row.get("start_date")), _date(row.get("end_date"))
            if start is None or end is None:
                problems.append(warning(path / "calendar.txt", f"service {service_id!r} has "
                                        "no readable start_date/end_date; it is left out.",
                                        row=line, field="start_date",
                                        fix="Write dates as YYYYMMDD, e.g. 20250401."))
                continue
            days = frozenset(day for day, column in enumerate(_WEEKDAYS)
                             if str(row.get(column, "0")).strip() == "1")
            weekly[service_id] = (days, start, end)
            rows.setdefault(service_id, ("calendar.txt", line))
    added: dict[str, set[dt.date]] = defaultdict(set)
    removed: dict[str, set[dt.date]] = defaultdict(set)
    if feed.calendar_dates is not None:
        bad: list[int] = []
        for index, row in feed.calendar_dates.iterrows():
            service_id, day = str(row["service_id"]), _date(row.get("date"))
            kind = str(row.get("exception_type", "")).strip()
            if day is None or kind not in ("1", "2"):
                bad.append(int(index) + 2)
                continue
            (added if kind == "1" else removed)[service_id].add(day)
            rows.setdefault(service_id, ("calendar_dates.txt", int(index) + 2))
        if bad:
            problems.append(warning(path / "calendar_dates.txt", f"{len(bad)} rows have no "
                                    f"readable date or exception_type (rows {_few(bad)}); they "
                                    "are left out.", row=bad[0], field="date",
                                    fix="date is YYYYMMDD; exception_type is 1 (added) or 2 "
                                        "(removed)."))
    services: list[ServiceDays] = []
    index_of: dict[str, int] = {}
    for service_id in rows:
        days, start, end = weekly.get(service_id, (frozenset(), None, None))
        service = ServiceDays(days, None, start, end, frozenset(added[service_id]),
                              frozenset(removed[service_id]), service_id)
        index_of[service_id] = len(services)
        services.append(service)
    if period is not None:
        _report_idle(services, rows, path, period, problems)
    return services, index_of


def _report_idle(services: list[ServiceDays], rows: dict[str, tuple[str, int]], path: Path,
                 period: tuple[dt.date, dt.date], problems: list[Problem]) -> None:
    """Warn about the services with no day in the study period, naming file and row."""
    first, last = period
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    idle: dict[str, list[str]] = defaultdict(list)
    first_row: dict[str, int] = {}
    for service in services:
        if any(service.runs_on(day) for day in days):
            continue
        file, line = rows[service.label]
        span = service.period
        when = "" if span is None else f", {japanese_date(span[0])}～{japanese_date(span[1])}"
        idle[file].append(f"{service.label!r} (row {line}{when})")
        first_row.setdefault(file, line)
    everything = sum(len(listed) for listed in idle.values()) == len(services)
    for file, listed in idle.items():
        problems.append(warning(
            path / file, f"{len(listed)} services have no day in the study period "
            f"{japanese_date(first)}～{japanese_date(last)}: {_few(listed)}"
            + ("; no bus of this feed runs then." if everything else "."),
            row=first_row[file], field="service_id",
            fix="Use a feed whose calendar covers the study period"
                + ("; until then the same kind of day within the feed stands in." if everything
                   else ".")))


def _route_names(feed: Any, path: Path, problems: list[Problem]) -> dict[str, str]:
    """
    route_id → the name riders read: the operator (``agency_name``), then
    ``route_short_name`` and ``route_long_name`` (each once), e.g. 「関越交通 伊香保線」.
    """
    if feed.routes is None:
        problems.append(warning(path / "routes.txt", "the feed has no routes.txt; trips are "
                                "shown by their headsign only."))
        return {}
    agencies = _agency_names(feed.agency)
    only_agency = next(iter(agencies.values())) if len(agencies) == 1 else ""
    names: dict[str, str] = {}
    for row in feed.routes.itertuples(index=False):
        agency_id = _text(getattr(row, "agency_id", None))
        parts = [agencies.get(agency_id, only_agency) if agency_id else only_agency]
        for value in (getattr(row, "route_short_name", None),
                      getattr(row, "route_long_name", None)):
            text = _text(value)
            if text and text not in parts:
                parts.append(text)
        names[str(row.route_id)] = " ".join(part for part in parts if part)
    return names


def _agency_names(agency: pd.DataFrame | None) -> dict[str, str]:
    """agency_id → agency_name ("" for a feed's only agency without an id)."""
    if agency is None or "agency_name" not in agency.columns:
        return {}
    ids = agency["agency_id"] if "agency_id" in agency.columns else pd.Series(
        "", index=agency.index)
    return {_text(agency_id): _text(name) for agency_id, name in zip(
        ids, agency["agency_name"], strict=True) if _text(name)}


def _text(value: Any) -> str:
    """A cell as stripped text ("" when empty or missing)."""
    return "" if value is None or pd.isna(value) else str(value).strip()


def _stop_times(feed: Any, path: Path, stop_index: dict[str, int],
                service_index: dict[str, int], routes: dict[str, str],
                problems: list[Problem]) -> dict[str, np.ndarray]:
    """Stop times grouped by trip in calling order, with every unusable row reported."""
    trips = feed.trips.copy()
    trips["trip_id"] = trips["trip_id"].astype(str)
    trips["row"] = trips.index.to_numpy() + 2
    known_service = trips["service_id"].astype(str).isin(service_index)
    if (~known_service).any():
        rows = trips.loc[~known_service, "row"].tolist()
        problems.append(warning(path / "trips.txt", f"{len(rows)} trips name a service_id that "
                                f"no calendar defines (rows {_few(rows)}); they are left out.",
                                row=rows[0], field="service_id",
                                fix="Add the service to calendar.txt or calendar_dates.txt."))
    trips = trips[known_service].drop_duplicates("trip_id")
    times = feed.stop_times.copy()
    times["row"] = times.index.to_numpy() + 2
    times["trip_id"] = times["trip_id"].astype(str)
    unknown_trip = ~times["trip_id"].isin(trips["trip_id"]) & ~times["trip_id"].isin(
        feed.trips["trip_id"].astype(str))
    _report(problems, path / "stop_times.txt", times.loc[unknown_trip, "row"], "trip_id",
            "name a trip_id that is not in trips.txt; they are left out.",
            "Add the trips to trips.txt or remove those rows.")
    times = times[times["trip_id"].isin(trips["trip_id"])]
    stop = times["stop_id"].astype(str).map(stop_index)
    unknown_stop = stop.isna()
    _report(problems, path / "stop_times.txt", times.loc[unknown_stop, "row"], "stop_id",
            "name a stop_id that is not a located stop in stops.txt; the trips go on without "
            "those stops.", "Add the stops (with positions) to stops.txt or correct the ids.")
    times = times[~unknown_stop].assign(stop=stop[~unknown_stop].astype(np.int64))
    times["arrival"] = gtfs_minutes(times["arrival_time"])
    times["departure"] = gtfs_minutes(times["departure_time"])
    unreadable = ((times["arrival_time"].notna() & times["arrival"].isna())
                  | (times["departure_time"].notna() & times["departure"].isna())
                  | (times["departure"] > MAX_DAY_MINUTES))
    _report(problems, path / "stop_times.txt", times.loc[unreadable, "row"], "arrival_time",
            "have a time that is not HH:MM:SS (or is past 48:00); the trips go on without "
            "those stops.", "Write times as HH:MM:SS, e.g. 07:30:00 (25:10:00 after midnight).")
    times = times[~unreadable]
    times["arrival"] = times["arrival"].fillna(times["departure"])
    times["departure"] = times["departure"].fillna(times["arrival"])
    times["sequence"] = pd.to_numeric(times["stop_sequence"], errors="coerce")
    times = times.sort_values(["trip_id", "sequence", "row"], kind="stable")
    times = _interpolate(times, path, problems)
    times = _drop_backwards(times, path, problems)
    counts = times.groupby("trip_id", sort=False).size()
    short = counts.index[counts < 2]
    if len(short):
        problems.append(warning(path / "stop_times.txt", f"{len(short)} trips keep fewer than "
                                "two usable stop times and are left out (e.g. trip "
                                f"{short[0]!r})."))
    times = times[~times["trip_id"].isin(short)]
    trip_rows = trips.set_index("trip_id").loc[times["trip_id"].drop_duplicates()]
    lengths = times.groupby("trip_id", sort=False).size().loc[trip_rows.index].to_numpy()
    headsign = trip_rows.get("trip_headsign", pd.Series("", index=trip_rows.index))
    route = trip_rows["route_id"].astype(str).map(lambda route_id: routes.get(route_id, ""))
    return {
        "trip_start": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "stop": times["stop"].to_numpy(np.int64),
        "arrival_min": times["arrival"].to_numpy(float),
        "departure_min": times["departure"].to_numpy(float),
        "pickup": _allowed(times, "pickup_type"),
        "drop_off": _allowed(times, "drop_off_type"),
        "trip_service": trip_rows["service_id"].astype(str).map(service_index).to_numpy(np.int64),
        "trip_route": route.to_numpy(dtype=object),
        "trip_headsign": headsign.fillna("").astype(str).str.strip().str.removesuffix("行き")
        .to_numpy(dtype=object),
        "trip_estimated": np.zeros(len(trip_rows), dtype=bool),
    }


def _interpolate(times: pd.DataFrame, path: Path, problems: list[Problem]) -> pd.DataFrame:
    """Untimed stops (allowed in GTFS between timed ones) get times in equal steps between
    their timed neighbours; untimed stops at the start or end of a trip are left out."""
    untimed = times["arrival"].isna()
    if not untimed.any():
        return times
    times = times.copy()
    filled = times.groupby("trip_id", sort=False)["arrival"].transform(
        lambda values: values.interpolate(limit_area="inside"))
    times["arrival"] = filled
    times["departure"] = times["departure"].fillna(filled)
    cut = times["arrival"].isna()
    problems.append(warning(path / "stop_times.txt", f"{int(untimed.sum())} stop times have no "
                            "time; those between timed stops get times in equal steps, "
                            f"{int(cut.sum())} at the start or end of a trip are left out.",
                            row=int(times.loc[untimed, "row"].iloc[0]), field="arrival_time"))
    return times[~cut]


def _drop_backwards(times: pd.DataFrame, path: Path, problems: list[Problem]) -> pd.DataFrame:
    """Trips whose times go backwards from one stop to the next are left out, each named."""
    same_trip = times["trip_id"].eq(times["trip_id"].shift())
    backwards = (same_trip & (times["arrival"] < times["departure"].shift())) | (
        times["departure"] < times["arrival"])
    if not backwards.any():
        return times
    bad = times.loc[backwards, ["trip_id", "row"]].drop_duplicates("trip_id")
    problems.append(warning(
        path / "stop_times.txt", f"in {len(bad)} trips the times go backwards (trip "
        f"{bad['trip_id'].iloc[0]!r} at row {int(bad['row'].iloc[0])}; rows "
        f"{_few(bad['row'].astype(int).tolist())}); those trips are left out.",
        row=int(bad["row"].iloc[0]), field="arrival_time",
        fix="Each stop's arrival must not be before the previous stop's departure (check "
            "stop_sequence and the times)."))
    return times[~times["trip_id"].isin(bad["trip_id"])]


def _allowed(times: pd.DataFrame, column: str) -> np.ndarray:
    """GTFS pickup_type/drop_off_type: 1 means not allowed (2 and 3 are on request)."""
    if column not in times.columns:
        return np.ones(len(times), dtype=bool)
    return pd.to_numeric(times[column], errors="coerce").fillna(0).to_numpy() != 1


def _report(problems: list[Problem], path: Path, rows: pd.Series, field: str, what: str,
            fix: str) -> None:
    if len(rows):
        listed = rows.astype(int).tolist()
        problems.append(warning(path, f"{len(listed)} rows (rows {_few(listed)}) {what}",
                                row=listed[0], field=field, fix=fix))


def _few(rows: list[Any], limit: int = 5) -> str:
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")
