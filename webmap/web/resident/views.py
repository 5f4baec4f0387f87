"""The resident page 「近くの居場所」 (``/near``) and its small JSON API.

- ``GET /near``: the page. Mobile first, large text, Japanese first (``?lang=en`` for
  English). With ``lat``/``lon`` or a chosen start (``from=town:…|stop:…|place:…``) the list
  is rendered on the server, so it shows without JavaScript and before the map loads; the
  page's script adds the phone's location, 「いまどこ？」 and the (optional) map.
- ``GET /api/near?lat=&lon=&lang=&n=``: the ``n`` nearest places on foot with their routes,
  and the community resources nearby and serving the district (``resources``).
- ``GET /api/whereami?lat=&lon=&lang=``: where that is, in words to read out.

Both position endpoints follow one rule: a point more than :data:`OUTSIDE_LIMIT_M` outside
the study area gets 400 with ``"reason": "outside"`` (the page then asks for a district).
- ``GET /api/near/choices?district=&lang=``: the start points of a district.

Errors use the app's one JSON shape ``{"ok": false, "error": …, "status": 400}`` (see
:mod:`webmap.web.base`). ``at=`` (ISO date-time, Japan time when naive) replaces
"now" for the next openings and departures, for planning and tests.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

from babel import Locale
from flask import Blueprint, Response, current_app, render_template, request, url_for

from webmap.i18n import LOCALES, SOURCE_LOCALE, gettext_for
from webmap.web.base import current_state, fail
from webmap.web.language import request_locale
from webmap.web.resident.format import japan_now
from webmap.web.resident.index import CHOICE_GROUPS, NearIndex, near_index
from webmap.web.resident.journey import transit_model
from webmap.web.resident.places import DEFAULT_COUNT, MAX_COUNT, nearest_places
from webmap.web.resident.resources import nearby_resources
from webmap.web.resident.whereami import where_am_i

logger = logging.getLogger(__name__)
__all__ = ["OUTSIDE_LIMIT_M", "near", "script_text"]

near = Blueprint("near", __name__)

def script_text(lang: str) -> dict[str, str]:
    """The words the page's script uses (``t.*`` in ``near.js``; the rest are in the HTML)."""
    _ = gettext_for(lang)
    return {
        "address": _("住所"),
        "contact": _("連絡先"),
        "copied": _("コピーしました"),
        "found": _("近い順に{count}か所を表示しました。"),
        "locate_denied": _("現在地が使えません。"
                           "下の「地区と町名・目印から探す」で選んでください。"),
        "locate_unsupported": _("この端末では現在地が使えません。"
                                "下で地区と町名・目印を選んでください。"),
        "locating": _("現在地を調べています…"),
        "map_failed": _("地図を表示できませんでした。上の一覧をご利用ください。"),
        "network_error": _("通信できませんでした。電波のよい所で、もう一度お試しください。"),
        "next_open": _("次回"),
        "notes": _("備考"),
        "origin_here": _("現在地"),
        "outside": _("現在地は{area}の範囲外のようです。下で地区と町名・目印を選んでください。"),
        "position_approx": _("位置はおおよそです（近くのバス停の位置）"),
        "results_from": _("出発地：{origin}"),
        "schedule_as_written": _("日時（原文）：{text}"),
        "searching": _("近くの居場所を探しています…"),
        "sentence_end": _("。"),
        "serves": _("対象地域"),
        "show_route": _("道順を地図で見る"),
        "start_marker": _("出発地"),
        "whereami_accuracy": _("位置の誤差は約{accuracy} m です。"),
    }


#: What the map needs of each listed place when the list comes in the HTML.
_MAP_FIELDS = ("place_id", "rank", "name", "lat", "lon", "route", "route_kind")

#: Points farther than this outside the study area get no list (the places are too far).
OUTSIDE_LIMIT_M = 3000.0

#: Points this many degrees beyond the districts' bounds are outside without measuring
#: (0.5° is 45 km of longitude and 55 km of latitude in Japan, so more than :data:`FAR_KM`).
FAR_DEGREES = 0.5
FAR_KM = 40.0


def _index() -> NearIndex:
    """The lookup tables of the maps served now."""
    return near_index(current_state())


def _lang(*, strict: bool) -> str:
    """
    ``?lang=``: ``ja`` (default) or ``en``, as Flask-Babel selected it for this request
    (:func:`webmap.web.language.select_locale`); the API refuses others, the page falls back.
    """
    requested = request.args.get("lang")
    if strict and requested and requested not in LOCALES:
        fail(400, f"lang {requested!r} is not offered; use one of: {', '.join(LOCALES)}.",
              languages=list(LOCALES))
    return request_locale()


def _coords(*, required: bool) -> tuple[float, float] | None:
    """``?lat=&lon=`` as ``(lon, lat)``; None when both are absent and not required."""
    lat_text, lon_text = request.args.get("lat"), request.args.get("lon")
    if not lat_text and not lon_text and not required:
        return None
    example = "e.g. lat=36.3223&lon=139.0032"
    try:
        lat, lon = float(lat_text or "nan"), float(lon_text or "nan")
    except ValueError:
        fail(400, f"lat and lon must be numbers in degrees, {example}.")
    if not (math.isfinite(lat) and math.isfinite(lon)):
        fail(400, f"lat and lon are both required, in degrees, {example}.")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        fail(400, f"lat must be within ±90 and lon within ±180, {example}.")
    return lon, lat


def _count() -> int:
    text = request.args.get("n")
    if not text:
        return DEFAULT_COUNT
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        fail(400, f"n {text!r} must be a whole number from 1 to {MAX_COUNT}.")
    return int(text)


def _now() -> dt.datetime:
    text = request.args.get("at")
    if not text:
        return japan_now()
    try:
        return japan_now(dt.datetime.fromisoformat(text))
    except ValueError:
        fail(400, f"at {text!r} is not an ISO date-time, e.g. at=2026-12-02T09:30.")


def _outside_message(index: NearIndex, lon: float, lat: float) -> str | None:
    """
    Why ``(lon, lat)`` gets no answer, or None: the one rule of ``/api/near``,
    ``/api/whereami`` and the page, a point more than :data:`OUTSIDE_LIMIT_M` outside the
    study area. A point beyond :data:`FAR_DEGREES` of the districts' bounds is outside without
    being projected, as the metric CRS (one plane zone) gives meaningless or infinite
    distances so far away.
    """
    minx, miny, maxx, maxy = index.study.districts.total_bounds
    name = index.study.config.name
    if not (minx - FAR_DEGREES <= lon <= maxx + FAR_DEGREES
            and miny - FAR_DEGREES <= lat <= maxy + FAR_DEGREES):
        return (f"({lat:.5f}, {lon:.5f}) is more than {FAR_KM:.0f} km outside {name}; "
                "choose a start point there.")
    outside_m = index.outside_m(*index.project(lon, lat))
    if outside_m <= OUTSIDE_LIMIT_M:
        return None
    return (f"({lat:.5f}, {lon:.5f}) is {outside_m / 1000:.1f} km outside {name}; "
            "choose a start point there.")


def _check_outside(index: NearIndex, lon: float, lat: float) -> None:
    """400 with ``"reason": "outside"`` for a point :func:`_outside_message` refuses."""
    message = _outside_message(index, lon, lat)
    if message is not None:
        fail(400, message, reason="outside")


def _json(body: dict[str, Any]) -> Response:
    response = current_app.json.response(body)
    response.headers["Cache-Control"] = "no-store"  # a person's position: keep it nowhere
    return response


# ---- API --------------------------------------------------------------------------------


@near.get("/api/near")
def api_near() -> Response:
    """The nearest places on foot from ``lat``/``lon``, with routes and the bus option."""
    lang = _lang(strict=True)
    lon, lat = _coords(required=True)
    index = _index()
    count, now = _count(), _now()
    _check_outside(index, lon, lat)
    result = nearest_places(index, lon, lat, lang=lang, now=now, count=count,
                            transit=transit_model(current_state()))
    result["resources"] = nearby_resources(index, lon, lat, district=result["district"],
                                           lang=lang, now=now)
    return _json({"ok": True, "lang": lang, **result})


@near.get("/api/whereami")
def api_whereami() -> Response:
    """
    Where ``lat``/``lon`` is, in sentences to read out on the phone. A point more than
    :data:`OUTSIDE_LIMIT_M` outside the study area is refused as ``/api/near`` refuses it
    (400, ``"reason": "outside"``): there is no nearby stop or town to name.
    """
    lang = _lang(strict=True)
    lon, lat = _coords(required=True)
    index = _index()
    _check_outside(index, lon, lat)
    return _json({"ok": True, "lang": lang, **where_am_i(index, lon, lat, lang=lang)})


def _choice_groups(index: NearIndex, district: str | None, lang: str) -> list[dict[str, Any]]:
    if not district:
        return []
    _ = gettext_for(lang)
    labels = {"towns": _("町名"), "stops": _("バス停"), "places": _("施設")}
    groups = []
    for group in CHOICE_GROUPS:
        choices = [{"value": c.value, "label": c.label}
                   for c in index.choices.get(district, []) if c.group == group]
        if choices:
            groups.append({"group": group, "label": labels[group], "choices": choices})
    return groups


@near.get("/api/near/choices")
def api_choices() -> Response:
    """The start points (towns, stops, buildings) of ``?district=``."""
    lang = _lang(strict=True)
    index = _index()
    district = request.args.get("district", "")
    if district not in index.district_names:
        fail(404, f"unknown district {district!r}; valid districts: "
                   f"{', '.join(index.district_names)}.", districts=index.district_names)
    return _json({"ok": True, "lang": lang, "district": district,
                  "groups": _choice_groups(index, district, lang)})


# ---- the page ---------------------------------------------------------------------------


def _page_url(lang: str) -> str:
    """This page with the same start, in ``lang``."""
    args = {key: value for key, value in request.args.items()
            if key in {"lat", "lon", "district", "from", "n"} and value}
    if lang != SOURCE_LOCALE:
        args["lang"] = lang
    return url_for("near.near_page", **args)


def _page_config(index: NearIndex, lang: str, result: dict | None) -> dict[str, Any]:
    """What the page's script needs, embedded as JSON (``|tojson`` escapes it)."""
    config = index.study.config
    if result is not None:  # the list is in the HTML: the map needs only positions and routes
        result = {"origin": result["origin"],
                  "places": [{key: p[key] for key in _MAP_FIELDS} for p in result["places"]]}
    minx, miny, maxx, maxy = index.study.districts.total_bounds
    return {
        "lang": lang,
        "api": {"near": url_for("near.api_near"), "whereami": url_for("near.api_whereami"),
                "choices": url_for("near.api_choices")},
        "page": url_for("near.near_page"),
        "text": script_text(lang),
        "leaflet": {"js": url_for("static", filename="vendor/leaflet/leaflet.js"),
                    "css": url_for("static", filename="vendor/leaflet/leaflet.css")},
        "basemap": {"url": config.basemap["url"],
                    "attribution": config.basemap.get("attribution", ""),
                    "max_zoom": int(config.basemap.get("max_zoom", 18))},
        "bounds": [[float(miny), float(minx)], [float(maxy), float(maxx)]],
        "area": config.name,
        "result": result,
    }


@near.get("/near")
def near_page() -> str:
    """The resident page: location or a chosen start → the nearest places, in large text."""
    lang = _lang(strict=False)
    _ = gettext_for(lang)
    index = _index()
    district = request.args.get("district") or None
    if district not in index.district_names:
        district = None
    from_value = request.args.get("from") or ""
    origin, origin_label, message = _coords(required=False), _("現在地"), ""
    if origin is None and from_value:
        choice = index.choice(from_value)
        if choice is not None:
            lon, lat = index.lonlat([choice.x], [choice.y])
            origin = (float(lon[0]), float(lat[0]))
            origin_label = {"towns": _("{name}付近"),
                            "stops": _("{name}バス停")}.get(choice.group, "{name}").format(
                                name=choice.label)
            district = choice.district
    result = None
    if origin is not None:
        if _outside_message(index, *origin) is not None:
            message = _("現在地は{area}の範囲外のようです。下で地区と町名・目印を選んでください。"
                        ).format(area=index.study.config.name)
        else:
            now = _now()
            result = nearest_places(index, *origin, lang=lang, now=now, count=_count(),
                                    transit=transit_model(current_state()))
            result["resources"] = nearby_resources(index, *origin, district=result["district"],
                                                   lang=lang, now=now)
            result["origin_label"] = _("出発地：{origin}").format(origin=origin_label)
            district = district or result["district"]
    other = next(code for code in LOCALES if code != lang)
    return render_template(
        "near.html", lang=lang, title=_("近くの居場所"), study_title=index.study.config.title,
        other_lang=other, other_lang_url=_page_url(other),
        other_lang_name=Locale.parse(other).display_name,  # in its own language (CLDR)
        districts=index.district_names, district=district, from_value=from_value,
        groups=_choice_groups(index, district, lang), result=result, message=message,
        attribution=index.study.config.attribution, home_url=url_for("pages.index"),
        config=_page_config(index, lang, result),
        css_url=url_for("static", filename="near/near.css"),
        js_url=url_for("static", filename="near/near.js"))
