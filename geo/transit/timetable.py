"""Bus timetables as arrays: stops, trips with their stop times, and the trips of one day.

A :class:`Timetable` is what every source becomes (a GTFS feed, or trips rebuilt from
per-stop timetables): stops with positions in a metric CRS, and trips as ordered stop times.
Times are minutes after midnight of the service day (GTFS hours may pass 24). Which trips run
on a date is the caller's business (calendars and holidays live in ``layers``): the routing in
:mod:`geo.transit.routing` takes the timetable and a mask of the trips that run.

Examples
--------
>>> table = Timetable.from_trips(
...     stop_x=[0.0, 800.0, 1600.0], stop_y=[0.0, 0.0, 0.0], stop_name=["駅", "市役所", "病院"],
...     crs="EPSG:6677",
...     trips=[[(0, 600.0, 600.0), (1, 605.0, 605.0), (2, 611.0, 611.0)]],
...     trip_route=["城南線"], trip_headsign=["病院"], trip_service=[0])
>>> table.n_trips, table.n_stops, table.trip_stop_times(0)[1].tolist()
(1, 3, [600.0, 605.0, 611.0])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)
__all__ = [
    "MAX_DAY_CELLS",
    "MAX_DAY_MINUTES",
    "MAX_HUNDREDTHS",
    "MAX_STOPS",
    "DayTrips",
    "Timetable",
    "day_trips",
    "format_minutes",
    "hundredths",
]

#: Latest time a trip may reach, in minutes after midnight of its service day (GTFS allows
#: hours past 24 for trips that run after midnight; 48 h bounds them).
MAX_DAY_MINUTES = 48 * 60.0


def format_minutes(minutes: float) -> str:
    """
    ``HH:MM`` for minutes after midnight (seconds dropped; hours may pass 24).

    Examples
    --------
    >>> format_minutes(612.0), format_minutes(1505.5)
    ('10:12', '25:05')
    """
    whole = int(np.floor(minutes + 1e-9))
    return f"{whole // 60:02d}:{whole % 60:02d}"


@dataclass(frozen=True, eq=False)
class Timetable:
    """
    Stops and trips as arrays; the stop times of trip ``i`` are rows
    ``trip_start[i]:trip_start[i + 1]``, in the order the bus calls.
    """

    #: Stop positions in ``crs`` (metres).
    stop_x: np.ndarray
    stop_y: np.ndarray
    #: Stop names as riders read them (object array of str).
    stop_name: np.ndarray
    #: The metric CRS of the positions.
    crs: str
    #: Offsets of each trip's stop times (int64, ``n_trips + 1`` values from 0).
    trip_start: np.ndarray
    #: Stop of each stop time (int64 index into the stops).
    stop: np.ndarray
    #: Arrival and departure, minutes after midnight of the service day.
    arrival_min: np.ndarray
    departure_min: np.ndarray
    #: Whether riders may board (GTFS ``pickup_type`` ≠ 1) and alight (``drop_off_type`` ≠ 1).
    pickup: np.ndarray
    drop_off: np.ndarray
    #: Index of the service (the days a trip runs) of each trip.
    trip_service: np.ndarray
    #: Route name shown to riders, and the destination (行き先) of each trip.
    trip_route: np.ndarray
    trip_headsign: np.ndarray
    #: True for trips rebuilt from per-stop timetables (推定), False for a feed's real trips.
    trip_estimated: np.ndarray

    def __post_init__(self) -> None:
        n_stops, n_trips = len(self.stop_x), len(self.trip_start) - 1
        n_times = len(self.stop)
        if len(self.stop_y) != n_stops or len(self.stop_name) != n_stops:
            msg = "stop_x, stop_y and stop_name must have one value per stop."
            raise ValueError(msg)
        if n_trips < 0 or (n_trips >= 0 and (self.trip_start[0] != 0
                                             or self.trip_start[-1] != n_times)):
            msg = "trip_start must run from 0 to the number of stop times."
            raise ValueError(msg)
        per_time = (self.arrival_min, self.departure_min, self.pickup, self.drop_off)
        if any(len(values) != n_times for values in per_time):
            msg = "arrival_min, departure_min, pickup and drop_off need one value per stop time."
            raise ValueError(msg)
        per_trip = (self.trip_service, self.trip_route, self.trip_headsign, self.trip_estimated)
        if any(len(values) != n_trips for values in per_trip):
            msg = ("trip_service, trip_route, trip_headsign and trip_estimated need one value "
                   "per trip.")
            raise ValueError(msg)
        if n_times and (self.stop.min() < 0 or self.stop.max() >= n_stops):
            msg = "every stop time must name one of the stops."
            raise ValueError(msg)
        if n_trips and np.diff(self.trip_start).min() < 2:
            msg = "every trip needs at least two stop times."
            raise ValueError(msg)
        if not (np.isfinite(self.arrival_min).all() and np.isfinite(self.departure_min).all()):
            msg = "every stop time needs an arrival and a departure time."
            raise ValueError(msg)
        if (self.departure_min < self.arrival_min).any():
            msg = "a bus cannot leave a stop before it arrives there."
            raise ValueError(msg)
        later = np.ones(max(n_times - 1, 0), dtype=bool)
        later[self.trip_start[1:-1] - 1] = False  # a trip's last stop, then the next's first
        if (self.arrival_min[1:][later] < self.departure_min[:-1][later]).any():
            msg = "within a trip, times must not go backwards from one stop to the next."
            raise ValueError(msg)

    @classmethod
    def from_trips(
        cls,
        *,
        stop_x: Sequence[float],
        stop_y: Sequence[float],
        stop_name: Sequence[str],
        crs: str,
        trips: Sequence[Sequence[tuple[int, float, float]]],
        trip_route: Sequence[str],
        trip_headsign: Sequence[str],
        trip_service: Sequence[int],
        trip_estimated: Sequence[bool] | None = None,
    ) -> Timetable:
        """
        Build a timetable from plain lists; each trip is ``[(stop, arrival, departure), ...]``.

        Everyone may board and alight everywhere; for ``pickup``/``drop_off`` build the
        class directly.
        """
        lengths = [len(trip) for trip in trips]
        flat = [row for trip in trips for row in trip]
        n = len(flat)
        return cls(
            stop_x=np.asarray(stop_x, dtype=float), stop_y=np.asarray(stop_y, dtype=float),
            stop_name=np.asarray(list(stop_name), dtype=object), crs=crs,
            trip_start=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            stop=np.array([row[0] for row in flat], dtype=np.int64).reshape(n),
            arrival_min=np.array([row[1] for row in flat], dtype=float).reshape(n),
            departure_min=np.array([row[2] for row in flat], dtype=float).reshape(n),
            pickup=np.ones(n, dtype=bool), drop_off=np.ones(n, dtype=bool),
            trip_service=np.asarray(trip_service, dtype=np.int64),
            trip_route=np.asarray(list(trip_route), dtype=object),
            trip_headsign=np.asarray(list(trip_headsign), dtype=object),
            trip_estimated=(np.zeros(len(trips), dtype=bool) if trip_estimated is None
                            else np.asarray(trip_estimated, dtype=bool)),
        )

    @property
    def n_stops(self) -> int:
        return len(self.stop_x)

    @property
    def n_trips(self) -> int:
        return len(self.trip_start) - 1

    @property
    def n_stop_times(self) -> int:
        return len(self.stop)

    @property
    def trip_length(self) -> np.ndarray:
        """Number of stop times of each trip."""
        return np.diff(self.trip_start)

    def trip_of_stop_time(self) -> np.ndarray:
        """The trip of every stop time (int64)."""
        return np.repeat(np.arange(self.n_trips, dtype=np.int64), self.trip_length)

    def trip_stop_times(self, trip: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(stops, arrivals, departures)`` of one trip, in calling order."""
        rows = slice(int(self.trip_start[trip]), int(self.trip_start[trip + 1]))
        return self.stop[rows], self.arrival_min[rows], self.departure_min[rows]

    def padded(self, trips: np.ndarray) -> dict[str, np.ndarray]:
        """
        The stop times of ``trips`` (indices) as ``len(trips) × longest`` arrays.

        Keys ``stop`` (-1 past a trip's end), ``arrival`` and ``departure`` (``inf`` past
        the end), ``pickup`` and ``drop_off`` (False past the end) and ``row`` (the stop
        time's row in this timetable, -1 past the end).
        """
        trips = np.asarray(trips, dtype=np.int64)
        lengths = self.trip_length[trips]
        width = int(lengths.max()) if len(trips) else 0
        position = np.arange(width)
        inside = position[None, :] < lengths[:, None]
        row = np.where(inside, self.trip_start[trips][:, None] + position[None, :], -1)
        safe = np.maximum(row, 0)
        return {
            "stop": np.where(inside, self.stop[safe], -1),
            "arrival": np.where(inside, self.arrival_min[safe], np.inf),
            "departure": np.where(inside, self.departure_min[safe], np.inf),
            "pickup": inside & self.pickup[safe],
            "drop_off": inside & self.drop_off[safe],
            "row": row,
        }

    @classmethod
    def concatenate(cls, tables: Sequence[Timetable], *, service_offsets: Sequence[int]
                    ) -> Timetable:
        """
        One timetable from several (e.g. two feeds), stops and trips renumbered.

        ``service_offsets[i]`` is added to the service indices of ``tables[i]`` so that each
        feed's services stay its own.
        """
        if not tables:
            msg = "concatenate needs at least one timetable."
            raise ValueError(msg)
        if len({table.crs for table in tables}) != 1:
            msg = "the timetables must share one CRS."
            raise ValueError(msg)
        stop_offsets = np.cumsum([0] + [table.n_stops for table in tables])
        time_offsets = np.cumsum([0] + [table.n_stop_times for table in tables])
        return cls(
            stop_x=np.concatenate([table.stop_x for table in tables]),
            stop_y=np.concatenate([table.stop_y for table in tables]),
            stop_name=np.concatenate([table.stop_name for table in tables]),
            crs=tables[0].crs,
            trip_start=np.concatenate(
                [[0]] + [table.trip_start[1:] + offset
                         for table, offset in zip(tables, time_offsets, strict=False)]
            ).astype(np.int64),
            stop=np.concatenate([table.stop + offset
                                 for table, offset in zip(tables, stop_offsets, strict=False)]),
            arrival_min=np.concatenate([table.arrival_min for table in tables]),
            departure_min=np.concatenate([table.departure_min for table in tables]),
            pickup=np.concatenate([table.pickup for table in tables]),
            drop_off=np.concatenate([table.drop_off for table in tables]),
            trip_service=np.concatenate([table.trip_service + offset for table, offset
                                         in zip(tables, service_offsets, strict=True)]),
            trip_route=np.concatenate([table.trip_route for table in tables]),
            trip_headsign=np.concatenate([table.trip_headsign for table in tables]),
            trip_estimated=np.concatenate([table.trip_estimated for table in tables]),
        )


#: Latest time the routing handles, in hundredths of a minute (87 hours; 19 bits).
MAX_HUNDREDTHS = (1 << 19) - 1
#: Most stop times in one day's ``trips × longest trip`` table (the routing keeps a stop
#: time's position in 23 bits).
MAX_DAY_CELLS = (1 << 23) - 1
#: Most stops a timetable may have for routing (20 bits).
MAX_STOPS = (1 << 20) - 1


def hundredths(minutes: np.ndarray | float) -> np.ndarray:
    """
    Minutes as whole hundredths of a minute, rounded up (never a bus caught early);
    ``inf`` and times past :data:`MAX_HUNDREDTHS` become ``MAX_HUNDREDTHS + 1``.

    Examples
    --------
    >>> hundredths(np.array([10.0, 6.501, np.inf])).tolist()
    [1000, 651, 524288]
    """
    values = np.asarray(minutes, dtype=float)
    finite = np.isfinite(values)
    out = np.full(values.shape, MAX_HUNDREDTHS + 1, dtype=np.int64)
    out[finite] = np.ceil(np.round(values[finite] * 100.0, 6)).astype(np.int64)
    return np.minimum(out, MAX_HUNDREDTHS + 1)


@dataclass(frozen=True, eq=False)
class DayTrips:
    """The trips that run on one day, as ``trips × longest trip`` arrays; times in hundredths
    of a minute (:func:`hundredths`)."""

    timetable: Timetable
    #: Timetable index of each row.
    trips: np.ndarray
    #: Stop of each stop time (-1 past a trip's end).
    stop: np.ndarray
    arrival: np.ndarray
    departure: np.ndarray
    pickup: np.ndarray
    drop_off: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.stop.shape[0]), int(self.stop.shape[1])


def day_trips(timetable: Timetable, running: np.ndarray, *, from_min: float = 0.0,
              until_min: float = np.inf) -> DayTrips:
    """
    The trips that run (``running``: one bool per trip), ready for routing
    (:func:`geo.transit.routing.boarding_profile`).

    Trips that end before ``from_min`` or start after ``until_min`` are left out (they
    cannot be part of a journey in that time).

    Raises
    ------
    ValueError
        If ``running`` is not one bool per trip, or the day is too big to route (more than
        :data:`MAX_STOPS` stops or :data:`MAX_DAY_CELLS` cells).
    """
    running = np.asarray(running, dtype=bool)
    if running.shape != (timetable.n_trips,):
        msg = f"`running` needs one value per trip ({timetable.n_trips}), got {running.shape}."
        raise ValueError(msg)
    if timetable.n_stops > MAX_STOPS:
        msg = f"at most {MAX_STOPS} stops are supported, got {timetable.n_stops}."
        raise ValueError(msg)
    first = timetable.departure_min[timetable.trip_start[:-1]]
    last = timetable.arrival_min[timetable.trip_start[1:] - 1]
    keep = np.flatnonzero(running & (last >= from_min) & (first <= until_min))
    padded = timetable.padded(keep)
    size = padded["stop"].size
    if size > MAX_DAY_CELLS:
        msg = (f"{size} stop times in one day is more than {MAX_DAY_CELLS} (the trips × "
               "longest trip table); narrow the time window or split the feed.")
        raise ValueError(msg)
    return DayTrips(timetable, keep, padded["stop"], hundredths(padded["arrival"]),
                    hundredths(padded["departure"]), padded["pickup"], padded["drop_off"])
