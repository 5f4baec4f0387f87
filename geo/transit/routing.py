"""Door to door by walking and bus: a round-based profile search (RAPTOR), vectorised.

The question: leaving home within a time window, walking to a stop, riding, changing at most
once (walking between stops allowed) and walking on, how soon can a resident be at the
nearest place, door to door, and by which buses?

Method: RAPTOR (Delling, Pajor and Werneck, "Round-Based Public Transit Routing",
Transportation Science 49(3), 2015) works in rounds; after round k the best journeys with at
most k rides are known. Here the rounds run *backwards from the places* and in *profile
mode* (for every departure time at once, as rRAPTOR does), and each round treats every trip of
the day at once as numpy arrays (trips × stop times):

1. Alighting at any stop time and walking to the nearest place gives an arrival time at a
   place (none where alighting is not allowed, the walk is too long or the arrival is after
   ``arrive_by``). Boarding at position ``b`` of a trip, the best such arrival at a later
   position (a suffix minimum along the trip) is the arrival with one ride.
2. Those boardings, sorted by stop and departure with a suffix minimum per stop, are each
   stop's *profile*: at stop ``s`` at time ``t`` the earliest arrival with one ride left is
   one binary search away.
3. Alighting anywhere, walking to a stop nearby (or staying) and allowing the change time, the
   profiles give the arrival with a second ride; the better of walking to a place and
   changing, suffix-minimised along the trip again, is the arrival with at most two rides.
4. From home, every stop within walking distance is tried: leaving just in time for a
   boarding that departs at ``d`` after a walk of ``w`` minutes, the door-to-door time is
   ``arrival − d + w``; a range minimum (sparse table) over each stop's boardings in the
   window gives the best for all homes at once.

Times are kept in hundredths of a minute, and each candidate is one integer: its arrival in
the high bits and, in the low bits, what it came from (the stop time where the rider gets off,
or the change taken), so every minimum carries its argument and journeys can be read back.

Examples
--------
>>> from geo.transit.timetable import Timetable, day_trips
>>> from geo.streets.walk_links import WalkLinks
>>> table = Timetable.from_trips(
...     stop_x=[0.0, 3000.0], stop_y=[0.0, 0.0], stop_name=["駅", "病院"], crs="EPSG:6677",
...     trips=[[(0, 600.0, 600.0), (1, 610.0, 610.0)]], trip_route=["城南線"],
...     trip_headsign=["病院"], trip_service=[0])
>>> day = day_trips(table, np.array([True]))
>>> to_place = WalkLinks(np.array([1]), np.array([0]), np.array([4.0]), 2, 1)
>>> profile = boarding_profile(day, to_place, TransitRules(), arrive_by_min=700.0)
>>> home = WalkLinks(np.array([0]), np.array([0]), np.array([5.0]), 1, 2)
>>> times = door_to_door(profile, home, leave_from_min=590.0, leave_until_min=650.0)
>>> float(times.minutes[0]), float(times.leave_min[0]), int(times.rides[0])
(19.0, 595.0, 1)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from geo.streets.walk_links import WalkLinks, nearest_target
from geo.transit.timetable import MAX_DAY_CELLS, MAX_HUNDREDTHS, DayTrips, hundredths

logger = logging.getLogger(__name__)
__all__ = [
    "DEFAULT_ACCESS_MINUTES",
    "DEFAULT_CHANGE_MINUTES",
    "DEFAULT_DOOR_TO_DOOR_MINUTES",
    "DEFAULT_TRANSFER_WALK_MINUTES",
    "DEFAULT_WINDOW_MINUTES",
    "BoardingProfile",
    "Journey",
    "Leg",
    "TransitRules",
    "TransitTimes",
    "boarding_profile",
    "door_to_door",
    "earliest_arrival",
    "journey",
]

#: Longest walk to the first stop and from the last one, minutes at the profile's pace.
DEFAULT_ACCESS_MINUTES = 10.0
#: Longest walk between two stops when changing buses, minutes.
DEFAULT_TRANSFER_WALK_MINUTES = 5.0
#: Time allowed to change buses besides the walk (getting off, finding the stop), minutes.
DEFAULT_CHANGE_MINUTES = 2.0
#: Door-to-door limit for "can get there by bus" (the councils' 45 minutes).
DEFAULT_DOOR_TO_DOOR_MINUTES = 45.0
#: Width of the departure window, minutes: leave home at any time within it.
DEFAULT_WINDOW_MINUTES = 60.0

_TIME_SHIFT = 24  # key = time (hundredths of a minute) << 24 | kind << 23 | payload
_KIND_CHANGE = 1 << 23
_PAYLOAD = MAX_DAY_CELLS  # (1 << 23) - 1: a stop time's position in the day's table
_KEY_BITS = 43  # keys are below 2 ** 43: time < 2 ** 19 hundredths (87 hours)
_KEY_MASK = (1 << _KEY_BITS) - 1
_SEARCH_SHIFT = 20  # search key = stop << 20 | time
_MAX_TIME = MAX_HUNDREDTHS
_INF = np.iinfo(np.int64).max


@dataclass(frozen=True)
class TransitRules:
    """How a resident travels by bus: walking limits, changes and the door-to-door limit."""

    #: Longest walk to the first stop and from the last stop (minutes).
    access_minutes: float = DEFAULT_ACCESS_MINUTES
    #: Longest walk between two stops when changing (minutes).
    transfer_walk_minutes: float = DEFAULT_TRANSFER_WALK_MINUTES
    #: Time allowed for a change besides the walk (minutes, ≥ 0).
    change_minutes: float = DEFAULT_CHANGE_MINUTES
    #: Rides per journey: 1 (no change) or 2 (one change).
    max_rides: int = 2
    #: Door-to-door limit for "can get there" (minutes).
    door_to_door_minutes: float = DEFAULT_DOOR_TO_DOOR_MINUTES
    #: Width of the departure window (minutes).
    window_minutes: float = DEFAULT_WINDOW_MINUTES

    def __post_init__(self) -> None:
        for name in ("access_minutes", "door_to_door_minutes", "window_minutes"):
            value = getattr(self, name)
            if not (value > 0 and np.isfinite(value)):
                msg = f"`{name}` must be a number > 0, got {value!r}."
                raise ValueError(msg)
        for name in ("transfer_walk_minutes", "change_minutes"):
            value = getattr(self, name)
            if not (value >= 0 and np.isfinite(value)):
                msg = f"`{name}` must be a number ≥ 0, got {value!r}."
                raise ValueError(msg)
        if self.max_rides not in (1, 2):
            msg = f"`max_rides` must be 1 or 2 (at most one change), got {self.max_rides!r}."
            raise ValueError(msg)


def _after(values: np.ndarray) -> np.ndarray:
    """Per row, the minimum over the later positions (exclusive suffix minimum)."""
    out = np.full_like(values, _INF)
    if values.shape[1] > 1:
        out[:, :-1] = np.minimum.accumulate(values[:, :0:-1], axis=1)[:, ::-1]
    return out


@dataclass(frozen=True, eq=False)
class _StopProfile:
    """Boardings sorted by (stop, departure), with the best key from each one on."""

    #: Positions of the boardings given, in sorted order.
    order: np.ndarray
    #: ``stop << 20 | departure`` of each sorted boarding (ascending).
    search: np.ndarray
    #: ``stop << 43 | best key from here on`` (ascending: a suffix minimum per stop).
    grouped: np.ndarray

    @classmethod
    def build(cls, stop: np.ndarray, departure: np.ndarray, keys: np.ndarray) -> _StopProfile:
        order = np.lexsort((departure, stop))
        grouped = (stop[order] << _KEY_BITS) | keys[order]
        if len(order):
            grouped = np.minimum.accumulate(grouped[::-1])[::-1]
        return cls(order, (stop[order] << _SEARCH_SHIFT) | departure[order], grouped)

    def first_at(self, stop: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position of the first boarding at ``stop`` leaving at ``time`` or later, and
        whether there is one."""
        query = (stop << _SEARCH_SHIFT) | np.minimum(time, _MAX_TIME + 1)
        index = np.searchsorted(self.search, query)
        safe = np.minimum(index, max(len(self.search) - 1, 0))
        found = index < len(self.search)
        if len(self.search):
            found &= (self.search[safe] >> _SEARCH_SHIFT) == stop
        return safe, found

    def best_from(self, stop: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The best key among boardings at ``stop`` leaving at ``time`` or later (``_INF``
        for none), and the position of the latest boarding that gives it (-1 for none)."""
        index, found = self.first_at(stop, time)
        if not len(self.grouped):
            return np.full(len(stop), _INF), np.full(len(stop), -1, dtype=np.int64)
        value = self.grouped[index]
        # the suffix minimum is flat up to the boarding that holds it
        last = np.searchsorted(self.grouped, value, side="right") - 1
        return (np.where(found, value & _KEY_MASK, _INF),
                np.where(found, last, -1).astype(np.int64))


@dataclass(frozen=True, eq=False)
class BoardingProfile:
    """For every boarding of a day, the earliest arrival at a place (≤ ``max_rides`` rides)."""

    day: DayTrips
    rules: TransitRules
    arrive_by: int
    #: Per stop: minutes (1/100) to the nearest target place, and which place (-1: none).
    egress: np.ndarray
    egress_place: np.ndarray
    #: The places that count (a mask over the egress targets).
    places: np.ndarray
    #: Round 1 (one ride left) per stop, to look up the second ride of a change.
    last_ride: _StopProfile
    #: Changes considered: stop time left, stop walked to, walk (1/100 min), key found there.
    change_from: np.ndarray
    change_stop: np.ndarray
    change_walk: np.ndarray
    change_key: np.ndarray
    #: Every boarding (round ``max_rides``): flat stop time and key, sorted by stop/departure.
    boardings: _StopProfile
    board_flat: np.ndarray
    board_key: np.ndarray
    board_departure: np.ndarray
    #: Sparse table of ``duration << 23 | position`` over ``boardings`` (range minima).
    duration_table: np.ndarray


def boarding_profile(day: DayTrips, egress: WalkLinks, rules: TransitRules, *,
                     arrive_by_min: float, transfers: WalkLinks | None = None,
                     places: np.ndarray | None = None) -> BoardingProfile:
    """
    Earliest arrival at a place from every boarding of the day, by RAPTOR's rounds.

    Parameters
    ----------
    day
        From :func:`day_trips`.
    egress
        Walks from stops (sources) to places (targets), at most ``rules.access_minutes``.
    rules
        Change time and the number of rides.
    arrive_by_min
        Arrivals at a place after this (minutes after midnight) do not count.
    transfers
        Walks between stops (sources and targets are stops) for changes; staying at the
        same stop is always allowed. None: changes only at the same stop.
    places
        Mask over the places that count (e.g. open that day); None: all.
    """
    n_stops = day.timetable.n_stops
    if egress.n_sources != n_stops:
        msg = f"`egress` must start from the {n_stops} stops, got {egress.n_sources} sources."
        raise ValueError(msg)
    places = (np.ones(egress.n_targets, dtype=bool) if places is None
              else np.asarray(places, dtype=bool))
    if places.shape != (egress.n_targets,):
        msg = f"`places` needs one value per place ({egress.n_targets}), got {places.shape}."
        raise ValueError(msg)
    egress = egress.where(egress.minutes <= rules.access_minutes)
    egress_minutes, egress_place = nearest_target(egress, targets=places)
    egress_c = hundredths(egress_minutes)
    arrive_by = int(hundredths(arrive_by_min))
    stop, arrival, departure = day.stop, day.arrival, day.departure
    n_trips, width = day.shape
    flat = np.arange(n_trips * width, dtype=np.int64).reshape(n_trips, width)
    safe_stop = np.maximum(stop, 0)

    at_place = arrival + egress_c[safe_stop]
    ok = day.drop_off & (egress_c[safe_stop] <= _MAX_TIME) & (at_place <= arrive_by)
    walk_on = np.where(ok, (at_place << _TIME_SHIFT) | flat, _INF)
    ride = _after(walk_on)
    boards = day.pickup & (ride < _INF)
    last_ride = _StopProfile.build(stop[boards], departure[boards], ride[boards])
    board_flat = flat[boards][last_ride.order]

    empty = np.zeros(0, dtype=np.int64)
    change = (empty, empty, empty, empty)
    if rules.max_rides >= 2:
        change = _changes(day, last_ride, flat, transfers, rules)
        best_change = np.full(n_trips * width, _INF)
        np.minimum.at(best_change, change[0], (change[3] >> _TIME_SHIFT << _TIME_SHIFT)
                      | _KIND_CHANGE | np.arange(len(change[0]), dtype=np.int64))
        ride = _after(np.minimum(walk_on, best_change.reshape(n_trips, width)))
        boards = day.pickup & (ride < _INF)
        boardings = _StopProfile.build(stop[boards], departure[boards], ride[boards])
        board_flat = flat[boards][boardings.order]
    else:
        boardings = last_ride
    board_key = ride.reshape(-1)[board_flat]
    board_departure = departure.reshape(-1)[board_flat]
    duration = (board_key >> _TIME_SHIFT) - board_departure
    table = _sparse_table((duration << 23) | np.arange(len(board_flat), dtype=np.int64))
    logger.debug("Boarding profile: %d trips, %d boardings reach a place, %d changes tried",
                 n_trips, len(board_flat), len(change[0]))
    return BoardingProfile(day, rules, arrive_by, egress_c, egress_place, places, last_ride,
                           *change,
                           boardings, board_flat, board_key, board_departure, table)


def _changes(day: DayTrips, last_ride: _StopProfile, flat: np.ndarray,
             transfers: WalkLinks | None, rules: TransitRules
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (stop time left, stop walked to) change that reaches a second ride: the flat
    stop time, the stop, the walk (1/100 min) and the key of the second ride."""
    n_stops = day.timetable.n_stops
    source, target, walk = [np.arange(n_stops)], [np.arange(n_stops)], [np.zeros(n_stops)]
    if transfers is not None:
        near = transfers.minutes <= rules.transfer_walk_minutes
        near &= transfers.source != transfers.target
        source.append(transfers.source[near])
        target.append(transfers.target[near])
        walk.append(transfers.minutes[near])
    link_source, link_target = np.concatenate(source), np.concatenate(target)
    link_walk = hundredths(np.concatenate(walk))
    order = np.argsort(link_source, kind="stable")
    link_target, link_walk = link_target[order], link_walk[order]
    counts = np.bincount(link_source, minlength=n_stops)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])

    alight = day.drop_off
    left, left_stop, left_time = flat[alight], day.stop[alight], day.arrival[alight]
    per = counts[left_stop]
    which = np.repeat(np.arange(len(left)), per)
    offset = np.arange(len(which)) - np.repeat(np.cumsum(per) - per, per)
    link = starts[left_stop][which] + offset
    to_stop, walk_c = link_target[link], link_walk[link]
    ready = left_time[which] + walk_c + int(hundredths(rules.change_minutes))
    key, _ = last_ride.best_from(to_stop, ready)
    found = key < _INF
    return left[which][found], to_stop[found], walk_c[found], key[found]


def _sparse_table(values: np.ndarray) -> np.ndarray:
    """Rows ``k`` hold minima over windows of ``2 ** k`` values (``_INF`` past the end)."""
    levels = max(int(np.floor(np.log2(len(values)))) + 1 if len(values) else 1, 1)
    table = np.full((levels, len(values)), _INF)
    table[0] = values
    for level in range(1, levels):
        span = 1 << (level - 1)
        table[level, :-span] = np.minimum(table[level - 1, :-span], table[level - 1, span:])
    return table


def _range_min(table: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Minimum over ``[low, high)`` per query (``_INF`` for empty ranges)."""
    size = high - low
    out = np.full(len(low), _INF)
    some = size > 0
    level = np.floor(np.log2(np.maximum(size[some], 1))).astype(np.int64)
    out[some] = np.minimum(table[level, low[some]], table[level, high[some] - (1 << level)])
    return out


@dataclass(frozen=True, eq=False)
class TransitTimes:
    """Per origin, the best door-to-door journey found (``inf`` / -1 where none)."""

    #: Door-to-door minutes (leave home → arrive at the place).
    minutes: np.ndarray
    leave_min: np.ndarray
    arrive_min: np.ndarray
    #: The place reached (-1: none).
    place: np.ndarray
    #: Rides taken: 0 when walking all the way is best, 1 or 2.
    rides: np.ndarray
    #: The walk to the first stop (index into the access links; -1 when walking all the way).
    access_pair: np.ndarray
    #: The boarding taken (position in ``BoardingProfile.board_flat``; -1 for none).
    boarding: np.ndarray


def door_to_door(profile: BoardingProfile, access: WalkLinks, *, leave_from_min: float,
                 leave_until_min: float, direct: WalkLinks | None = None) -> TransitTimes:
    """
    The shortest door-to-door journey of every origin, leaving home within a window.

    Parameters
    ----------
    profile
        From :func:`boarding_profile`.
    access
        Walks from origins (sources) to stops (targets), at most the rules' access minutes.
    leave_from_min, leave_until_min
        The window in which to leave home (minutes after midnight).
    direct
        Walks from origins to places (the profile's places); walking all the way counts
        when it arrives by ``arrive_by``. None: bus journeys only.

    Returns
    -------
    TransitTimes
        Ties go to fewer rides.
    """
    if not leave_from_min <= leave_until_min:
        msg = f"the window ends ({leave_until_min}) before it starts ({leave_from_min})."
        raise ValueError(msg)
    access = _usable_access(profile, access)
    walk = hundredths(access.minutes)
    first, last = int(hundredths(leave_from_min)), int(hundredths(leave_until_min))
    stops = access.target.astype(np.int64)
    search = profile.boardings.search
    low = np.searchsorted(search, (stops << _SEARCH_SHIFT) | np.minimum(first + walk,
                                                                        _MAX_TIME + 1))
    high = np.searchsorted(search, (stops << _SEARCH_SHIFT) | np.minimum(last + walk,
                                                                         _MAX_TIME + 1),
                           side="right")
    best = _range_min(profile.duration_table, low, high)
    found = best < _INF
    door = np.where(found, (best >> 23) + walk, _INF)
    position = np.where(found, best & _PAYLOAD, -1)
    safe = np.maximum(position, 0)
    leave = (profile.board_departure[safe] - walk) if len(profile.board_departure) else walk
    # or leave at the end of the window and wait at the stop for a later bus
    late_key, late_position = profile.boardings.best_from(stops, last + walk)
    late_door = np.where(late_key < _INF, (late_key >> _TIME_SHIFT) - last, _INF)
    later = late_door < door
    door = np.where(later, late_door, door)
    position = np.where(later, late_position, position)
    leave = np.where(later, last, leave)
    return _per_origin(profile, access, door, position, leave, direct, leave_at=first,
                       by_arrival=False)


def earliest_arrival(profile: BoardingProfile, access: WalkLinks, *, leave_at_min: float,
                     direct: WalkLinks | None = None) -> TransitTimes:
    """
    The earliest arrival at a place of every origin, leaving home at ``leave_at_min`` or
    later (of the journeys arriving as early, the one that leaves last).
    """
    access = _usable_access(profile, access)
    walk = hundredths(access.minutes)
    start = int(hundredths(leave_at_min))
    key, position = profile.boardings.best_from(access.target.astype(np.int64), start + walk)
    found = key < _INF
    arrival = np.where(found, key >> _TIME_SHIFT, _INF)
    safe = np.maximum(position, 0)
    leave = (profile.board_departure[safe] - walk) if len(profile.board_departure) else walk
    return _per_origin(profile, access, arrival, position, leave, direct, leave_at=start,
                       by_arrival=True)


def _usable_access(profile: BoardingProfile, access: WalkLinks) -> WalkLinks:
    if access.n_targets != profile.day.timetable.n_stops:
        msg = (f"`access` must lead to the {profile.day.timetable.n_stops} stops, got "
               f"{access.n_targets} targets.")
        raise ValueError(msg)
    return access.where(access.minutes <= profile.rules.access_minutes)


def _per_origin(profile: BoardingProfile, access: WalkLinks, measure: np.ndarray,
                position: np.ndarray, leave_pair: np.ndarray, direct: WalkLinks | None, *,
                leave_at: int, by_arrival: bool) -> TransitTimes:
    """Each origin's best access pair by ``measure`` (door-to-door or arrival, 1/100 min;
    ``position`` the boarding and ``leave_pair`` the time to leave home for each pair), then
    walking all the way when it is as good."""
    n = access.n_sources
    candidate = np.where(measure < _INF, (measure << 32) | np.arange(len(measure)), _INF)
    best = np.full(n, _INF)
    np.minimum.at(best, access.source, candidate)
    has = best < _INF
    pair = np.where(has, best & 0xFFFFFFFF, -1)
    boarding = np.where(has, position[np.maximum(pair, 0)] if len(position) else -1, -1)
    safe = np.maximum(boarding, 0)
    key = profile.board_key[safe] if len(profile.board_key) else np.zeros(n, dtype=np.int64)
    arrive = np.where(has, key >> _TIME_SHIFT, _MAX_TIME + 1)
    leave = np.where(has, leave_pair[np.maximum(pair, 0)] if len(leave_pair) else 0,
                     _MAX_TIME + 1)
    place = np.full(n, -1, dtype=np.int64)  # only boardings that exist have a place (on a
    place[has] = _place_of(profile, key[has])  # day without buses there are none)
    rides = np.where(has, np.where((key & _KIND_CHANGE) > 0, 2, 1), 0)
    if direct is not None:
        if direct.n_targets != len(profile.places):
            msg = (f"`direct` must lead to the {len(profile.places)} places, got "
                   f"{direct.n_targets} targets.")
            raise ValueError(msg)
        walk_minutes, walk_place = nearest_target(direct, targets=profile.places)
        walk_c = hundredths(walk_minutes)
        walk_arrive = leave_at + walk_c
        usable = (walk_c <= _MAX_TIME) & (walk_arrive <= profile.arrive_by)
        better = usable & (~has | ((walk_arrive <= arrive) if by_arrival
                                   else (walk_c <= arrive - leave)))
        leave = np.where(better, leave_at, leave)
        arrive = np.where(better, walk_arrive, arrive)
        place = np.where(better, walk_place, place)
        rides = np.where(better, 0, rides)
        pair = np.where(better, -1, pair)
        boarding = np.where(better, -1, boarding)
    reached = place >= 0
    return TransitTimes(np.where(reached, (arrive - leave) / 100.0, np.inf),
                        np.where(reached, leave / 100.0, np.inf),
                        np.where(reached, arrive / 100.0, np.inf), place,
                        np.where(reached, rides, 0), np.where(reached, pair, -1),
                        np.where(reached, boarding, -1))


def _second_ride(profile: BoardingProfile, key: np.ndarray) -> np.ndarray:
    """The key of the ride after the change, for keys that change (others unchanged)."""
    changed = (key & _KIND_CHANGE) > 0
    if not len(profile.change_key):
        return key
    return np.where(changed, profile.change_key[np.where(changed, key & _PAYLOAD, 0)], key)


def _place_of(profile: BoardingProfile, key: np.ndarray) -> np.ndarray:
    """The place each arrival key ends at (after the change, when there is one)."""
    alight = _second_ride(profile, np.asarray(key)) & _PAYLOAD
    return profile.egress_place[np.maximum(profile.day.stop.reshape(-1)[alight], 0)]


@dataclass(frozen=True)
class Leg:
    """One part of a journey: a walk or a ride, with its times (minutes after midnight)."""

    #: "walk" or "ride".
    kind: str
    start_min: float
    end_min: float
    #: Stops at either end (-1: home at the start of the first walk, the place at the end
    #: of the last).
    from_stop: int = -1
    to_stop: int = -1
    #: The timetable trip of a ride (-1 for walks).
    trip: int = -1

    @property
    def minutes(self) -> float:
        return self.end_min - self.start_min


@dataclass(frozen=True)
class Journey:
    """A door-to-door journey: leave home, walk, ride (at most twice), walk to the place."""

    legs: tuple[Leg, ...]
    place: int
    leave_min: float
    arrive_min: float

    @property
    def minutes(self) -> float:
        return self.arrive_min - self.leave_min

    @property
    def rides(self) -> int:
        return sum(leg.kind == "ride" for leg in self.legs)


def journey(profile: BoardingProfile, access: WalkLinks, times: TransitTimes,
            origin: int) -> Journey | None:
    """
    The legs of the journey ``times`` found for ``origin`` (None when it found none).

    ``access`` must be the links given to :func:`door_to_door` or :func:`earliest_arrival`.
    """
    place = int(times.place[origin])
    if place < 0:
        return None
    leave, arrive = float(times.leave_min[origin]), float(times.arrive_min[origin])
    if times.rides[origin] == 0:
        return Journey((Leg("walk", leave, arrive),), place, leave, arrive)
    access = _usable_access(profile, access)
    pair = int(times.access_pair[origin])
    first_stop = int(access.target[pair])
    day, width = profile.day, profile.day.shape[1]
    board = int(profile.board_flat[times.boarding[origin]])
    key = int(profile.board_key[times.boarding[origin]])
    arrival = day.arrival.reshape(-1)
    stop = day.stop.reshape(-1)
    legs = [Leg("walk", leave, leave + float(hundredths(access.minutes[pair])) / 100.0, -1,
                first_stop)]
    if key & _KIND_CHANGE:
        change = key & _PAYLOAD
        alight = int(profile.change_from[change])
        legs.append(_ride(day, board, alight))
        to_stop = int(profile.change_stop[change])
        walk_end = arrival[alight] + int(profile.change_walk[change])
        if to_stop != stop[alight]:
            legs.append(Leg("walk", arrival[alight] / 100.0, walk_end / 100.0,
                            int(stop[alight]), to_stop))
        second = int(profile.change_key[change]) & _PAYLOAD
        ready = walk_end + int(hundredths(profile.rules.change_minutes))
        row, end = divmod(second, width)
        positions = np.flatnonzero((day.stop[row, :end] == to_stop) & day.pickup[row, :end]
                                   & (day.departure[row, :end] >= ready))
        board, key = row * width + int(positions[0]), int(profile.change_key[change])
    alight = key & _PAYLOAD
    legs.append(_ride(day, board, alight))
    last_stop = int(stop[alight])
    legs.append(Leg("walk", arrival[alight] / 100.0, arrive, last_stop, -1))
    return Journey(tuple(legs), place, leave, arrive)


def _ride(day: DayTrips, board: int, alight: int) -> Leg:
    width = day.shape[1]
    return Leg("ride", day.departure.reshape(-1)[board] / 100.0,
               day.arrival.reshape(-1)[alight] / 100.0, int(day.stop.reshape(-1)[board]),
               int(day.stop.reshape(-1)[alight]), int(day.trips[board // width]))
