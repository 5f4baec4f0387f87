"""The bus option of a long walk: a stop near the resident, one near the place, and today's times.

Stops are picked within :data:`BUS_WALK_M` in a straight line of each end. A pair that one
route serves in that order (``geo.streets.nearest.RouteStops.connecting``) wins, the shortest total
walk first; without such a pair the nearest stop at each end is shown with a note that a change may
be needed. Departures are today's (Japan time; public holidays through
:func:`layers.files.timetable.departures_on`) from now on, from every stop of that name nearby
(stops come in pairs, one per direction, and the destination tells the rider which).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from geo.streets.nearest import (
    nearest_order,
    straight_distances_m,
)
from layers.files.timetable import day_type, departures_on
from webmap.i18n import gettext_for
from webmap.maps.style import day_type_labels
from webmap.web.resident.format import format_distance, round_minutes
from webmap.web.resident.index import NearIndex

__all__ = ["BUS_AFTER_MINUTES", "BUS_WALK_M", "bus_option", "next_departures"]

#: Offer the bus when the walk is longer than this (minutes).
BUS_AFTER_MINUTES = 15.0

#: Stops farther than this (straight line, metres) from either end are not offered.
BUS_WALK_M = 800.0

#: Stops of one name within this distance of the chosen one count as the same stop.
SAME_STOP_M = 250.0

#: Stop names looked at per end, and departures shown per stop.
_STOPS_PER_END = 4
_DEPARTURES_SHOWN = 3


def _near_stops(index: NearIndex, x: float, y: float) -> list[tuple[str, int, float]]:
    """``(name, stop row, distance_m)`` of the nearest stop of each name within reach."""
    distances = straight_distances_m(x, y, index.stop_x, index.stop_y)
    names = index.stops["name"]
    found: dict[str, tuple[str, int, float]] = {}
    for row in nearest_order(np.where(distances <= BUS_WALK_M, distances, np.inf)):
        name = str(names.iloc[row])
        if name and name not in found:
            found[name] = (name, int(row), float(distances[row]))
        if len(found) >= _STOPS_PER_END:
            break
    return list(found.values())


def next_departures(index: NearIndex, row: int, now: dt.datetime, *,
                    count: int = _DEPARTURES_SHOWN) -> list[dict[str, Any]]:
    """
    The next ``count`` departures today from stop ``row`` and its same-named twins nearby.

    ``now`` is Japan time. Each item: ``time``, ``destination``, ``label`` (the day mark)
    and ``note`` (or None).
    """
    stops = index.stops
    name = stops["name"].iloc[row]
    twins = np.flatnonzero((stops["name"].to_numpy() == name) & (straight_distances_m(
        index.stop_x[row], index.stop_y[row], index.stop_x, index.stop_y) <= SAME_STOP_M))
    today, clock = now.date(), f"{now:%H:%M}"
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for twin in twins:
        for departure in departures_on(stops["departures"].iloc[twin] or [], today):
            key = (departure["time"], departure["destination"])
            if departure["time"] >= clock and key not in seen:
                seen[key] = {"time": departure["time"], "destination": departure["destination"],
                             "label": departure.get("label", ""),
                             "note": departure.get("note")}
    return [seen[key] for key in sorted(seen)][:count]


def _end(index: NearIndex, stop: tuple[str, int, float], now: dt.datetime,
         lang: str) -> dict[str, Any]:
    name, row, distance_m = stop
    minutes = index.profile.straight_minutes(np.array([distance_m]))[0]
    _ = gettext_for(lang)
    departures = next_departures(index, row, now)
    for departure in departures:
        departure["bound"] = _("{destination}行き").format(destination=departure["destination"])
    lonlat = index.lonlat(index.stop_x[row:row + 1], index.stop_y[row:row + 1])
    return {"name": name, "distance_m": round(distance_m), "walk_minutes": round_minutes(minutes),
            "distance_label": _("約{distance}").format(distance=format_distance(distance_m)),
            "lat": round(float(lonlat[1][0]), 6), "lon": round(float(lonlat[0][0]), 6),
            "departures": departures,
            "none_today": _("きょうの発車はもうありません") if not departures else ""}


def bus_option(index: NearIndex, origin_xy: tuple[float, float],
               place_xy: tuple[float, float], *, now: dt.datetime, lang: str = "ja",
               place_name: str = "") -> dict[str, Any] | None:
    """
    Stops at both ends of a walk and their next departures today, or None without stops.

    Parameters
    ----------
    index
        The page's index (with a stops layer; None is returned without one).
    origin_xy, place_xy
        The resident and the place, in metres (``index.metric_crs``).
    now
        Japan time (:func:`webmap.web.resident.format.japan_now`).
    lang
        ``"ja"`` or ``"en"``, for the sentences.
    place_name
        The place's name, for the way back.

    Returns
    -------
    dict or None
        ``board`` and ``alight`` (name, walk, departures), ``route`` (a route that calls at
        both, or None), the sentences to show, and ``available`` False with a message when
        either end has no stop within :data:`BUS_WALK_M`.
    """
    stops = index.stops
    if stops is None or len(stops) == 0:
        return None
    _ = gettext_for(lang)
    near_origin = _near_stops(index, *origin_xy)
    near_place = _near_stops(index, *place_xy)
    if not near_origin or not near_place:
        return {"available": False, "message": _("歩いて行ける所にバス停がありません")}
    best, route = None, None
    for board in near_origin:
        for alight in near_place:
            if board[0] == alight[0]:
                continue
            routes = index.route_stops.connecting(board[0], alight[0])
            walk_m = board[2] + alight[2]
            if routes and (best is None or walk_m < best[2]):
                best, route = (board, alight, walk_m), index.route_names[routes[0]]
    if best is None:
        alight = next((s for s in near_place if s[0] != near_origin[0][0]), None)
        if alight is None:
            return {"available": False, "message": _("歩いて行ける所にバス停がありません")}
        best = (near_origin[0], alight, near_origin[0][2] + alight[2])
    board_end, alight_end = _end(index, best[0], now, lang), _end(index, best[1], now, lang)
    day = day_type_labels(locale=lang)[day_type(now.date())]
    notes = index.stop_notes
    return {
        "available": True,
        "board": board_end,
        "alight": alight_end,
        "route": route,
        "summary": _("バスも使えます：{board} → {alight}").format(
            board=board_end["name"], alight=alight_end["name"]),
        "board_label": _("乗る：{stop}（ここから徒歩 約{minutes}分・{distance}）").format(
            stop=board_end["name"], minutes=board_end["walk_minutes"],
            distance=board_end["distance_label"]),
        "alight_label": _("降りる：{stop}（居場所まで徒歩 約{minutes}分・{distance}）").format(
            stop=alight_end["name"], minutes=alight_end["walk_minutes"],
            distance=alight_end["distance_label"], place=place_name),
        "route_label": (_("乗り換えなしの路線：{route}").format(route=route) if route
                        else _("同じ路線が見つかりません。乗り換えが必要なことがあります。")),
        "next_label": _("{stop}の次の発車（きょう・{day}）").format(stop=board_end["name"],
                                                                 day=day),
        "return_label": _("帰り：{stop}の次の発車（きょう・{day}）").format(
            stop=alight_end["name"], day=day),
        "source_label": (_("時刻表は「{note}」。運休・変更があるため、事前にご確認ください。")
                         .format(note=notes[0]) if notes else ""),
    }
