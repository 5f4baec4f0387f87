"""The nearest places to one point, as the resident page and ``/api/near`` show them.

Each place comes with its walking minutes (on the street network when one is loaded, else
straight line × detour factor, said so), its category, its next opening from the schedule,
its contact with tap-to-call numbers, the way there as a polyline and, for long walks, the
bus. Places without a position are not ranked; those of the resident's district are listed
after the ranked ones (位置未確認).

Everything returned is plain JSON (str, int, float, list, dict, None); text is *not*
escaped here: Jinja escapes it in the page and the page's JavaScript sets ``textContent``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from geo.streets.nearest import (
    nearest_order,
    polyline_length_m,
    straight_distances_m,
    walk_from,
)
from geo.streets.network import Snapped
from layers.fields.contact import Contact
from layers.fields.schedule import Schedule, next_openings
from layers.transit_reach import TransitModel
from webmap.i18n import gettext_for
from webmap.web.resident.bus import BUS_AFTER_MINUTES, bus_option
from webmap.web.resident.format import format_distance, format_opening, round_minutes
from webmap.web.resident.index import NearIndex
from webmap.web.resident.journey import journey_entry

__all__ = ["DEFAULT_COUNT", "MAX_COUNT", "NETWORK_LIMIT_MINUTES", "category_label", "contact_info",
           "minutes_to_targets", "nearest_places", "opening_info", "unlocated_places"]

#: Places listed by default, and at most.
DEFAULT_COUNT = 5
MAX_COUNT = 10

#: The street search stops here; places farther are listed as "more than … minutes".
NETWORK_LIMIT_MINUTES = 90.0


def category_label(category: str, lang: str) -> str:
    """
    A place's category in ``lang``: the catalogue knows the categories of
    :data:`webmap.maps.style.CATEGORY_STYLES`; others (data) stay as they are.
    """
    return gettext_for(lang)(category)


def opening_info(schedule: Schedule, now: dt.datetime, lang: str = "ja") -> dict[str, Any]:
    """
    The next opening of a place from ``now`` (Japan time), or why there is none.

    Returns
    -------
    dict
        ``next`` (None or ``{"date", "label", "when", "when_label"}``, ``when`` being
        ``"today"``, ``"this_week"`` (by Sunday) or ``"later"``; a public holiday or the
        year-end break the schedule does not speak of is said in the label), ``note`` (a
        sentence when no date is shown: ask the organiser) and ``schedule`` (the text as
        written, always shown).

    Examples
    --------
    >>> from layers.fields.schedule import parse_schedule
    >>> now = dt.datetime(2026, 11, 30, 9, 0)
    >>> info = opening_info(parse_schedule("毎月第1水曜日・第3月曜日 10:00～12:00"), now)
    >>> info["next"]["label"], info["next"]["when"], info["next"]["when_label"]
    ('12月2日（水）10:00～12:00', 'this_week', '今週あり')
    """
    _ = gettext_for(lang)
    today = now.date()
    info: dict[str, Any] = {"next": None, "note": "", "schedule": schedule.text}
    if not schedule.dates_known:
        if schedule.irregular:
            info["note"] = _("不定期開催です。日程は主催者にご確認ください")
        elif schedule.text:
            info["note"] = _("日程は主催者にご確認ください")
        else:
            info["note"] = _("日程の情報がありません")
        return info
    openings = next_openings(schedule, today, count=3)
    if openings and openings[0].date == today and openings[0].end is not None \
            and now.time() >= openings[0].end:
        openings = openings[1:]  # today's session is over
    if not openings:
        info["note"] = _("日程は主催者にご確認ください")
        return info
    opening = openings[0]
    end_of_week = today + dt.timedelta(days=6 - today.weekday())
    when = ("today" if opening.date == today
            else "this_week" if opening.date <= end_of_week else "later")
    info["next"] = {"date": opening.date.isoformat(), "label": format_opening(opening, lang),
                    "when": when,
                    "when_label": {"today": _("きょう開催"),
                                   "this_week": _("今週あり")}.get(when, "")}
    return info


def _contact(index: NearIndex, row: int, lang: str) -> dict[str, Any]:
    return contact_info(index.contacts[row], lang)


def contact_info(contact: Contact, lang: str) -> dict[str, Any]:
    """A parsed contact as the page shows it: the text, the name and tap-to-call numbers."""
    _ = gettext_for(lang)
    return {"text": contact.text, "name": contact.name,
            "phones": [{"number": phone.text, "href": phone.href,
                        "label": _("電話する {number}").format(number=phone.text)}
                       for phone in contact.phones],
            "empty_label": "" if contact.text else _("連絡先の情報がありません")}


def _place_entry(index: NearIndex, row: int, lang: str, now: dt.datetime) -> dict[str, Any]:
    places = index.places
    place = places.iloc[row]
    _ = gettext_for(lang)
    entry: dict[str, Any] = {
        "place_id": str(place["place_id"]),
        "name": str(place["name"]),
        "category": str(place["category"]),
        "category_label": category_label(str(place["category"]), lang),
        "district": str(place["district"]),
        "district_label": (_("{district}地区").format(district=place["district"])
                           if place["district"] else ""),
        "address": str(place["address"] or ""),
        "notes": str(place["notes"] or ""),
        "approximate": place["position_quality"] == "approx",
        "opening": opening_info(index.schedules[row], now, lang),
        "contact": _contact(index, row, lang),
    }
    return entry


def unlocated_places(index: NearIndex, district: str | None, *, lang: str = "ja",
                     now: dt.datetime) -> list[dict[str, Any]]:
    """The places of ``district`` without a position (listed under 位置未確認)."""
    if not district:
        return []
    places = index.places
    rows = np.flatnonzero((places["district"].to_numpy() == district)
                          & ~np.isfinite(index.place_x))
    return [_place_entry(index, int(row), lang, now) for row in rows]


def minutes_to_targets(index: NearIndex, x: float, y: float, *, target_x: np.ndarray,
                       target_y: np.ndarray, snapped: Snapped | None, limit_minutes: float
                       ) -> tuple[np.ndarray, np.ndarray, Any]:
    """
    Minutes on foot from ``(x, y)`` to every target: along the streets where they reach it.

    Parameters
    ----------
    index
        From :func:`webmap.web.resident.index.build_near_index` (its graph, profile, CRS).
    x, y
        The resident, in the index's metric CRS.
    target_x, target_y
        The targets (places or resources) in the same CRS (NaN where not located).
    snapped
        The targets snapped to the index's streets, or None (straight lines only).
    limit_minutes
        How far the street search goes.

    Returns
    -------
    tuple
        The minutes per target (straight line × detour factor where a target is off the
        streets, or without streets; ``inf`` beyond the search), which of them are such
        straight-line estimates, and the street search ``(walk, routes)`` or None.
    """
    distances = straight_distances_m(x, y, target_x, target_y)
    straight = index.profile.straight_minutes(distances)
    if index.graph is None or snapped is None:
        return straight, np.isfinite(straight), None
    walk = walk_from(index.graph, x, y, limit_minutes=limit_minutes, forward=index.forward)
    routes = walk.to_targets(snapped)
    off_network = (snapped.edge < 0) & np.isfinite(straight)
    minutes = np.where(off_network, straight, routes.minutes)
    return minutes, off_network, (walk, routes)


def nearest_places(index: NearIndex, lon: float, lat: float, *, lang: str = "ja",
                   now: dt.datetime, count: int = DEFAULT_COUNT,
                   transit: TransitModel | None = None) -> dict[str, Any]:
    """
    The ``count`` places nearest on foot to ``(lon, lat)``, with all the page shows of them.

    Parameters
    ----------
    index
        From :func:`webmap.web.resident.index.build_near_index`.
    lon, lat
        The resident (WGS 84).
    lang
        ``"ja"`` or ``"en"``.
    now
        Japan time, for the next opening and the bus departures.
    count
        How many places (1 … :data:`MAX_COUNT`).
    transit
        The buses (:func:`webmap.web.resident.journey.transit_model`): far places get the
        next journey by walking and bus on their next open day.

    Returns
    -------
    dict
        ``method`` and ``method_note``, ``district``, ``inside``, ``places`` (nearest first:
        ``minutes``, ``minutes_label``, ``distance_m``, ``route`` as ``[[lat, lon], …]``,
        ``route_kind`` "network" or "straight", ``bus`` and ``journey``
        (:func:`webmap.web.resident.journey.journey_entry`) for walks over
        :data:`webmap.web.resident.bus.BUS_AFTER_MINUTES` …) and ``unlocated``.

    Raises
    ------
    ValueError
        If ``count`` is not 1 … :data:`MAX_COUNT`.
    """
    if not 1 <= count <= MAX_COUNT:
        msg = f"`count` must be 1 … {MAX_COUNT}, got {count!r}."
        raise ValueError(msg)
    _ = gettext_for(lang)
    x, y = index.project(lon, lat)
    distances = straight_distances_m(x, y, index.place_x, index.place_y)
    minutes, straight_only, search = minutes_to_targets(
        index, x, y, target_x=index.place_x, target_y=index.place_y,
        snapped=index.place_snapped, limit_minutes=NETWORK_LIMIT_MINUTES)
    located = np.isfinite(distances)
    ranked = nearest_order(minutes, count)
    if len(ranked) < count:  # beyond the street search: nearest in a straight line
        rest = nearest_order(np.where(located & ~np.isfinite(minutes), distances, np.inf),
                             count - len(ranked))
        ranked = np.concatenate([ranked, rest]).astype(int)
    entries = []
    for rank, row in enumerate(ranked, start=1):
        row = int(row)
        entry = _place_entry(index, row, lang, now)
        kind = "network" if search is not None and not straight_only[row] else "straight"
        if kind == "network" and np.isfinite(minutes[row]):
            walk, routes = search
            xy = walk.route_xy(index.place_snapped, index.place_x, index.place_y, routes, row)
            walk_m = polyline_length_m(xy)
        else:
            kind = "straight"
            xy = np.array([[x, y], [index.place_x[row], index.place_y[row]]])
            walk_m = float(distances[row])
        lon_line, lat_line = index.lonlat(xy[:, 0], xy[:, 1])
        reached = bool(np.isfinite(minutes[row]))
        whole = round_minutes(minutes[row]) if reached else int(NETWORK_LIMIT_MINUTES)
        entry.update({
            "rank": rank,
            "lat": round(float(lat_line[-1]), 6), "lon": round(float(lon_line[-1]), 6),
            "minutes": whole if reached else None,
            "minutes_label": (_("徒歩 約{minutes}分").format(minutes=whole) if reached
                              else _("徒歩{minutes}分以上").format(minutes=whole)),
            "distance_m": round(walk_m),
            "distance_label": (_("道のり {distance}") if kind == "network"
                               else _("直線 {distance}")).format(distance=format_distance(walk_m)),
            "estimate": kind,
            "estimate_label": _("直線距離による概算") if kind == "straight" and
            index.method == "network" else "",
            "route": [[round(float(a), 6), round(float(b), 6)]
                      for a, b in zip(lat_line, lon_line, strict=True)],
            "route_kind": kind,
            "bus": None,
            "journey": None,
        })
        if not reached or minutes[row] > BUS_AFTER_MINUTES:
            entry["bus"] = bus_option(index, (x, y), (index.place_x[row], index.place_y[row]),
                                      now=now, lang=lang, place_name=entry["name"])
            if transit is not None:
                entry["journey"] = journey_entry(transit, (lon, lat), row, now=now, lang=lang)
        entries.append(entry)
    district = index.district_at(x, y)
    outside_m = index.outside_m(x, y)
    return {
        "method": index.method,
        "method_note": (
            _("道路に沿った道のりで計算しています（歩く速さ 分速{speed:g} m）。")
            if index.method == "network" else
            _("直線距離による概算（迂回係数{detour_factor:g}）です（歩く速さ 分速{speed:g} m）。")
        ).format(speed=index.profile.speed_m_per_min, detour_factor=index.profile.detour_factor),
        "speed_m_per_min": index.profile.speed_m_per_min,
        "detour_factor": index.profile.detour_factor if index.method == "straight" else None,
        "origin": {"lat": round(float(lat), 6), "lon": round(float(lon), 6)},
        "district": district,
        "inside": outside_m == 0.0,
        "outside_m": round(outside_m),
        "places": entries,
        "unlocated": unlocated_places(index, district, lang=lang, now=now),
        "unlocated_heading": (_("位置未確認（{district}地区）").format(district=district)
                              if district else ""),
        "none_label": "" if entries else _("近くに居場所が見つかりませんでした。"),
        "now": now.isoformat(timespec="minutes"),
    }
