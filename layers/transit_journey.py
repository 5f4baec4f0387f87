"""One resident's next journey to a place by walking and bus, leg by leg, for the /near page.

For a place whose dates are known, the journey is on its next open day that is still to
come: the shortest door-to-door journey that arrives by the start (leaving at most the
config's window before), or else the earliest arrival after it (and the answer says it is
late). Walks are at the config's walking profile; rides name the route, the destination,
the stops and the times; results from rebuilt trips say 推定.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

import numpy as np
from pyproj import Transformer

from geo.streets.network import Snapped, snap_points
from geo.streets.walk_links import WalkLinks, network_links, straight_links
from geo.transit.routing import Journey, boarding_profile, door_to_door, earliest_arrival
from geo.transit.routing import journey as journey_legs
from geo.transit.timetable import day_trips, format_minutes
from layers.fields.schedule import Opening, next_openings, parse_schedule
from layers.files.bus_timetable import TimetableDay
from layers.transit_reach import ESTIMATE_NOTE, TransitModel

logger = logging.getLogger(__name__)
__all__ = ["NO_DATES", "NO_JOURNEY", "NO_OPENING", "NO_POSITION", "JourneyLeg",
           "ResidentJourney", "resident_journey"]

#: Why there is no journey (``ResidentJourney.reason``; pages translate them by these names).
NO_POSITION = "場所の位置が分からないため、経路を調べられません"
NO_DATES = "開催日が分からないため、バスの時刻を調べていません"
NO_OPENING = "次の開催日が見つかりません"
NO_JOURNEY = "歩きとバスでは行けません（乗り換え1回まで）"


@dataclass(frozen=True)
class JourneyLeg:
    """One walk or ride, as a resident reads it."""

    #: "walk" or "ride".
    kind: str
    #: ``HH:MM`` at either end.
    start: str
    end: str
    #: Whole minutes (walks rounded up).
    minutes: int
    #: Where it starts and ends: a stop's name, the place's name, or "" for home.
    from_name: str
    to_name: str
    #: For rides: the route's name and the destination (行き先), and whether the trip was
    #: rebuilt (推定).
    route: str = ""
    headsign: str = ""
    estimated: bool = False


@dataclass(frozen=True)
class ResidentJourney:
    """The answer for one resident and one place (``legs`` empty when there is none)."""

    place: str
    #: The open day travelled on, and the place's start (``HH:MM``; "" when unknown).
    date: dt.date | None
    start: str
    leave: str
    arrive: str
    legs: tuple[JourneyLeg, ...]
    #: Arrives by the start (None when the start is unknown or there is no journey).
    on_time: bool | None
    estimated: bool
    #: Why there is no journey, and notes to show (推定, the timetable's date …), in Japanese.
    reason: str = ""
    notes: tuple[str, ...] = ()
    #: The date whose timetable was used (another day of the same kind when the feed's
    #: period does not cover ``date``: see ``notes``).
    day: TimetableDay | None = None
    #: False when the place's dates are not known and the journey leaves now (see
    #: ``now_without_dates``).
    dates_known: bool = True

    @property
    def found(self) -> bool:
        return bool(self.legs)


def resident_journey(model: TransitModel, lonlat: tuple[float, float], place_row: int, *,
                     now: dt.datetime, now_without_dates: bool = False) -> ResidentJourney:
    """
    The next journey from ``lonlat`` (WGS 84) to the place at ``place_row`` of the study.

    Parameters
    ----------
    model
        From :func:`layers.transit_reach.build_transit_model`.
    lonlat
        Where the resident is, longitude and latitude.
    place_row
        Position of the place in the study's places.
    now
        The resident's local time (Japan); journeys leave no earlier.
    now_without_dates
        For a place whose dates are not known: the earliest arrival leaving ``now`` (today,
        ``dates_known`` False in the answer) instead of declining with :data:`NO_DATES`.
    """
    if not 0 <= place_row < len(model.places):
        msg = f"`place_row` must be 0…{len(model.places) - 1}, got {place_row!r}."
        raise ValueError(msg)
    place = model.places.iloc[place_row]
    name = str(place.get("name", ""))
    empty = ResidentJourney(name, None, "", "", "", (), None, False)
    targets = np.flatnonzero(model.place_rows == place_row)
    if not len(targets):
        return _declined(empty, NO_POSITION)
    schedule = parse_schedule(place.get("schedule"))
    if not schedule.dates_known and not now_without_dates:
        return _declined(empty, NO_DATES)
    now_min = now.hour * 60.0 + now.minute + now.second / 60.0
    opening: Opening | None = None if schedule.dates_known else Opening(now.date(), ())
    start_min: float | None = None
    for candidate in next_openings(schedule, now.date(), count=3) if opening is None else ():
        begins = None if candidate.start is None else (
            candidate.start.hour * 60.0 + candidate.start.minute)
        if candidate.date > now.date() or begins is None or begins > now_min:
            opening, start_min = candidate, begins
            break
    if opening is None:
        return _declined(empty, NO_OPENING)
    today = opening.date == now.date()
    access, direct = _origin_walks(model, lonlat, targets[0])
    mask = np.zeros(len(model.place_rows), dtype=bool)
    mask[targets[0]] = True
    rules = model.rules
    day = model.bus.calendar.day_for(opening.date)
    running = model.bus.running_trips(day.used)
    found = None
    if start_min is not None:
        leave_from = max(start_min - rules.window_minutes, now_min if today else 0.0)
        if leave_from <= start_min:
            trips = day_trips(model.bus.timetable, running, from_min=leave_from,
                              until_min=start_min)
            profile = boarding_profile(trips, model.egress, rules, arrive_by_min=start_min,
                                       transfers=model.transfers, places=mask)
            times = door_to_door(profile, access, leave_from_min=leave_from,
                                 leave_until_min=start_min, direct=direct)
            found = journey_legs(profile, access, times, 0)
    if found is None:  # late, or the start is unknown: the earliest arrival from then on
        leave_at = (now_min if not schedule.dates_known
                    else model.depart_at_min if start_min is None
                    else start_min - rules.window_minutes)
        leave_at = max(leave_at, now_min) if today else leave_at
        until = leave_at + 3 * rules.door_to_door_minutes
        trips = day_trips(model.bus.timetable, running, from_min=leave_at, until_min=until)
        profile = boarding_profile(trips, model.egress, rules, arrive_by_min=until,
                                   transfers=model.transfers, places=mask)
        times = earliest_arrival(profile, access, leave_at_min=leave_at, direct=direct)
        found = journey_legs(profile, access, times, 0)
    start_text = "" if start_min is None else format_minutes(start_min)
    notes = tuple(note for note in (day.note, ESTIMATE_NOTE if model.bus.estimated else "")
                  if note)
    if found is None:
        return ResidentJourney(name, opening.date, start_text, "", "", (), None, False,
                               NO_JOURNEY, notes, day, schedule.dates_known)
    legs = _legs(model, found, name)
    estimated = any(leg.estimated for leg in legs)
    on_time = None if start_min is None else found.arrive_min <= start_min + 1e-9
    return ResidentJourney(name, opening.date, start_text, format_minutes(found.leave_min),
                           _arrive_text(found.arrive_min), legs, on_time, estimated,
                           notes=notes if estimated or day.note else (), day=day,
                           dates_known=schedule.dates_known)


def _declined(empty: ResidentJourney, reason: str) -> ResidentJourney:
    return ResidentJourney(empty.place, None, "", "", "", (), None, False, reason)


def _origin_walks(model: TransitModel, lonlat: tuple[float, float], target: int
                  ) -> tuple[WalkLinks, WalkLinks]:
    """Walks from the resident to the stops nearby and to the place (one origin)."""
    lon, lat = lonlat
    if not (math.isfinite(lon) and math.isfinite(lat)):
        msg = f"the position ({lon!r}, {lat!r}) is not finite."
        raise ValueError(msg)
    table = model.bus.timetable
    x, y = Transformer.from_crs("EPSG:4326", table.crs, always_xy=True).transform(lon, lat)
    origin_x, origin_y = np.array([x], dtype=float), np.array([y], dtype=float)
    rules = model.rules
    reach = max(rules.door_to_door_minutes, rules.window_minutes)
    if model.graph is not None:  # one search from the resident: to the stops and the place
        snapped = snap_points(model.graph.network, origin_x, origin_y)
        stops = model.snapped["stops"]
        targets = Snapped(*(np.concatenate([getattr(stops, name), getattr(
            model.snapped["places"], name)[[target]]]) for name in ("edge", "fraction",
                                                                   "distance_m")))
        walks = network_links(model.graph, snapped, targets, max_minutes=reach,
                              forward=model.matrix)
        to_stop = (walks.target < table.n_stops) & (walks.minutes <= rules.access_minutes)
        access = WalkLinks(walks.source[to_stop], walks.target[to_stop],
                           walks.minutes[to_stop], 1, table.n_stops, "network")
        to_place = walks.target == table.n_stops
        direct = WalkLinks(walks.source[to_place], np.zeros(int(to_place.sum()), np.int64),
                           walks.minutes[to_place], 1, 1, "network")
    else:
        access = straight_links(origin_x, origin_y, table.stop_x, table.stop_y,
                                profile=model.profile, max_minutes=rules.access_minutes)
        place = model.places.iloc[[int(model.place_rows[target])]].to_crs(table.crs)
        direct = straight_links(origin_x, origin_y, place.geometry.x.to_numpy(),
                                place.geometry.y.to_numpy(), profile=model.profile,
                                max_minutes=reach)
    direct = WalkLinks(direct.source, np.full(len(direct), target, dtype=np.int64),
                       direct.minutes, 1, len(model.place_rows), direct.method)
    return access, direct


def _legs(model: TransitModel, found: Journey, place_name: str) -> tuple[JourneyLeg, ...]:
    table = model.bus.timetable
    legs = []
    for leg in found.legs:
        from_name = "" if leg.from_stop < 0 else str(table.stop_name[leg.from_stop])
        to_name = place_name if leg.to_stop < 0 else str(table.stop_name[leg.to_stop])
        if leg.kind == "walk":
            legs.append(JourneyLeg("walk", format_minutes(leg.start_min),
                                   _arrive_text(leg.end_min),
                                   math.ceil(leg.minutes - 1e-9), from_name, to_name))
        else:
            legs.append(JourneyLeg("ride", format_minutes(leg.start_min),
                                   format_minutes(leg.end_min), round(leg.minutes), from_name,
                                   to_name, str(table.trip_route[leg.trip]),
                                   str(table.trip_headsign[leg.trip]),
                                   bool(table.trip_estimated[leg.trip])))
    return tuple(legs)


def _arrive_text(minutes: float) -> str:
    """An arrival on foot, rounded up to the minute (never earlier than it is)."""
    return format_minutes(math.ceil(minutes - 1e-9))
