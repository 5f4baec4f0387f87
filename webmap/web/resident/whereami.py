"""「いまどこ？」: where a person is, in words they can read out on the phone.

``岩鼻町付近（倉賀野地区）。岩鼻長寿センター前バス停の北へ約80 m。緯度 36.30685、経度 139.05982。``

- The 町名 is the nearest 町丁 representative point of the population layer, so it is only
  approximate (付近); the district is the district polygon the point falls in.
- The direction is *from* the landmark *to* the person: 「…バス停の北へ約80 m」 means the
  person stands 80 m north of the stop.
- A second landmark is the nearest place with a surveyed position (公民館, 長寿センター …)
  within :data:`LANDMARK_M`, as people know those buildings.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geo.streets.nearest import bearing_deg, compass_index, straight_distances_m
from webmap.i18n import gettext_for
from webmap.web.resident.format import format_distance, join_sentences
from webmap.web.resident.index import NearIndex

__all__ = ["AT_LANDMARK_M", "LANDMARK_M", "TOWN_M", "compass_names", "where_am_i"]

#: Closer than this, the person is "right by" a stop or building (no direction given).
AT_LANDMARK_M = 15.0

#: 町丁 points farther than this are not named (the person is off the populated map).
TOWN_M = 1500.0

#: Buildings (places with a surveyed position) farther than this are not named.
LANDMARK_M = 600.0


def _nearest(x: float, y: float, xs: np.ndarray, ys: np.ndarray,
             mask: np.ndarray | None = None) -> tuple[int, float] | None:
    distances = straight_distances_m(x, y, xs, ys)
    if mask is not None:
        distances = np.where(mask, distances, np.nan)
    if len(distances) == 0 or not np.isfinite(distances).any():
        return None
    row = int(np.nanargmin(distances))
    return row, float(distances[row])


def compass_names(lang: str) -> tuple[str, ...]:
    """The eight compass points in ``lang``, north first, clockwise
    (:func:`geo.streets.nearest.compass_index`)."""
    _ = gettext_for(lang)
    return (_("北"), _("北東"), _("東"), _("南東"), _("南"), _("南西"), _("西"), _("北西"))


def _relative(index: NearIndex, lang: str, name: str, x: float, y: float,
              from_x: float, from_y: float, distance_m: float) -> dict[str, Any]:
    """Where the person is relative to a landmark: direction from it and distance."""
    bearing = float(bearing_deg(from_x, from_y, x, y))
    compass = compass_index(bearing)
    return {"name": name, "distance_m": round(distance_m),
            "distance_label": format_distance(distance_m, lang),
            "bearing_deg": round(bearing, 1), "direction": compass_names(lang)[compass],
            "at": distance_m < AT_LANDMARK_M}


def where_am_i(index: NearIndex, lon: float, lat: float, *, lang: str = "ja") -> dict[str, Any]:
    """
    Describe the point ``(lon, lat)``: town (付近), district, nearest stop, a building, coordinates.

    Parameters
    ----------
    index
        From :func:`webmap.web.resident.index.build_near_index`.
    lon, lat
        WGS 84.
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    dict
        ``town``, ``district``, ``stop`` and ``landmark`` (each None when unknown; ``stop``
        and ``landmark`` with ``name``, ``distance_m``, ``direction``, ``bearing_deg``),
        ``inside``, ``lat``/``lon``, ``sentences`` and ``text`` (the sentences joined, to
        read out).
    """
    _ = gettext_for(lang)
    x, y = index.project(lon, lat)
    district = index.district_at(x, y)
    town = None
    found = _nearest(x, y, index.town_x, index.town_y)
    if found is not None and index.town_names[found[0]] and found[1] <= TOWN_M:
        town = {"name": index.town_names[found[0]], "distance_m": round(found[1])}
    stop = None
    found = _nearest(x, y, index.stop_x, index.stop_y)
    if found is not None:
        row, distance_m = found
        stop = _relative(index, lang, str(index.stops["name"].iloc[row]), x, y,
                         index.stop_x[row], index.stop_y[row], distance_m)
    landmark = None
    surveyed = (index.places["position_quality"] == "exact").to_numpy()
    found = _nearest(x, y, index.place_x, index.place_y, surveyed)
    if found is not None and found[1] <= LANDMARK_M:
        row, distance_m = found
        landmark = _relative(index, lang, str(index.places["name"].iloc[row]), x, y,
                             index.place_x[row], index.place_y[row], distance_m)
    inside = index.outside_m(x, y) == 0.0
    near_town = _("{town}付近").format(town=town["name"]) if town is not None else ""
    in_district = _("{district}地区").format(district=district) if district else ""
    where = (_("{town}（{district}）").format(town=near_town, district=in_district)
             if near_town and in_district else near_town or in_district)
    sentences = [where] if where else []
    if not inside:
        sentences.append(_("{area}の範囲外").format(area=index.study.config.name))
    if stop is not None:
        words = (_("{stop}バス停のすぐそば") if stop["at"]
                 else _("{stop}バス停の{direction}へ約{distance}"))
        sentences.append(words.format(stop=stop["name"], direction=stop["direction"],
                                      distance=stop["distance_label"]))
    if landmark is not None:
        words = (_("{landmark}のすぐそば") if landmark["at"]
                 else _("{landmark}の{direction}へ約{distance}"))
        sentences.append(words.format(landmark=landmark["name"], direction=landmark["direction"],
                                      distance=landmark["distance_label"]))
    lat_text, lon_text = f"{lat:.5f}", f"{lon:.5f}"
    sentences.append(_("緯度 {lat}、経度 {lon}").format(lat=lat_text, lon=lon_text))
    return {"town": town, "district": district, "stop": stop, "landmark": landmark,
            "inside": inside, "lat": round(float(lat), 6), "lon": round(float(lon), 6),
            "sentences": sentences, "text": join_sentences(sentences, lang)}
