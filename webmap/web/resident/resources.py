"""The community resources the resident page lists below the gathering places.

Resources with a position (a 移動販売 stop, a 認知症カフェ, a walking group's meeting point)
within :data:`RESOURCE_LIMIT_MINUTES` on foot, nearest first, with their walking minutes
(along the streets when the page's search reached them, else straight line × detour factor,
said so) and their next date as the schedule parser reads it; then the area resources that
serve the resident's district (見守り活動, 助け合い活動 …), which have no distance.

Plain JSON like :mod:`webmap.web.resident.places`: text is escaped by Jinja and by the
page's script (``textContent``), not here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from geo.streets.nearest import nearest_order, polyline_length_m
from webmap.i18n import gettext_for
from webmap.web.resident.format import format_distance, round_minutes
from webmap.web.resident.index import NearIndex
from webmap.web.resident.places import (
    category_label,
    contact_info,
    minutes_to_targets,
    opening_info,
)

__all__ = ["RESOURCE_COUNT", "RESOURCE_LIMIT_MINUTES", "nearby_resources"]

#: At most this many located resources are listed …
RESOURCE_COUNT = 5
#: … and only those within this many minutes on foot.
RESOURCE_LIMIT_MINUTES = 30.0


def _entry(index: NearIndex, row: int, lang: str, now: dt.datetime) -> dict[str, Any]:
    resource = index.resources.iloc[row]
    _ = gettext_for(lang)
    district = str(resource["district"] or "")
    return {
        "place_id": str(resource["place_id"]),
        "name": str(resource["name"]),
        "category": str(resource["category"]),
        "category_label": category_label(str(resource["category"]), lang),
        "district_label": _("{district}地区").format(district=district) if district else "",
        "serves": str(resource.get("serves") or ""),
        "address": str(resource["address"] or ""),
        "notes": str(resource["notes"] or ""),
        "opening": opening_info(index.resource_schedules[row], now, lang),
        "contact": contact_info(index.resource_contacts[row], lang),
    }


def nearby_resources(index: NearIndex, lon: float, lat: float, *, district: str | None,
                     lang: str = "ja", now: dt.datetime) -> dict[str, Any]:
    """
    The community resources near ``(lon, lat)`` and those serving ``district``.

    Parameters
    ----------
    index
        From :func:`webmap.web.resident.index.build_near_index`.
    lon, lat
        The resident (WGS 84).
    district
        The resident's district (its area resources are listed), or None.
    lang
        ``"ja"`` or ``"en"``.
    now
        Japan time, for the next dates.

    Returns
    -------
    dict
        ``nearby`` (nearest first, at most :data:`RESOURCE_COUNT` within
        :data:`RESOURCE_LIMIT_MINUTES`: each with ``minutes``, ``minutes_label``,
        ``distance_label``, ``estimate_label``, ``opening`` and ``contact``), ``serving``
        (the district's area resources) and the section's ``heading``, ``serving_heading``
        and ``none_label``.
    """
    _ = gettext_for(lang)
    nearby = []
    if len(index.resource_x):
        x, y = index.project(lon, lat)
        minutes, straight, search = minutes_to_targets(
            index, x, y, target_x=index.resource_x, target_y=index.resource_y,
            snapped=index.resource_snapped, limit_minutes=RESOURCE_LIMIT_MINUTES)
        within = np.where(minutes <= RESOURCE_LIMIT_MINUTES, minutes, np.inf)
        for row in nearest_order(within, RESOURCE_COUNT):
            row = int(row)
            entry = _entry(index, row, lang, now)
            if search is not None and not straight[row]:
                walk, routes = search
                metres = polyline_length_m(walk.route_xy(
                    index.resource_snapped, index.resource_x, index.resource_y, routes, row))
            else:
                metres = float(np.hypot(index.resource_x[row] - x, index.resource_y[row] - y))
            whole = round_minutes(minutes[row])
            entry.update({
                "minutes": whole,
                "minutes_label": _("徒歩 約{minutes}分").format(minutes=whole),
                "distance_label": (_("直線 {distance}") if straight[row] or search is None
                                   else _("道のり {distance}")).format(
                                       distance=format_distance(metres, lang)),
                "estimate_label": (_("直線距離による概算")
                                   if straight[row] and index.method == "network" else ""),
            })
            nearby.append(entry)
    serving = []
    if district:
        located = np.isfinite(index.resource_x)
        rows = np.flatnonzero((index.resources["district"].to_numpy() == district) & ~located)
        serving = [_entry(index, int(row), lang, now) for row in rows]
    return {
        "heading": _("近くの地域の支え合い・資源"),
        "nearby": nearby,
        "none_label": ("" if nearby else
                       _("歩いて{minutes:g}分以内に、地図上の位置が分かる支え合い・資源はありません。"
                         ).format(minutes=RESOURCE_LIMIT_MINUTES)),
        "serving_heading": (_("{district}地区で活動している支え合い").format(district=district)
                            if serving else ""),
        "serving": serving,
    }
