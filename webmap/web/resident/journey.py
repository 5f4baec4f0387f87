"""The next journey by walking and bus to a far place, in sentences for the resident page.

For each listed place farther than :data:`webmap.web.resident.bus.BUS_AFTER_MINUTES` on foot,
the page shows the next real journey on the place's next open day
(:func:`layers.transit_journey.resident_journey`), one step a line::

    9:54 出発 → 徒歩7分 → 第一病院 バス停
    10:01 発 高崎市内のコミュニティ …（高崎駅西口行き）→ 10:24 着 とりせん群馬町店前 下車
    徒歩3分 → 10:27 着 4区のえんがわ
    開始 10:00 に間に合いません

Walks are at the config's walking profile. Journeys on trips rebuilt from per-stop timetables
say 推定; what the bus data left out is said under the journey. The timetable is read once for
the study's stops and routes (its memo, so an edit of the places does not read it again), the
walks once per served state (:meth:`webmap.web.state.IbashoState.kept`).

Everything returned is plain JSON, text unescaped: Jinja escapes it in the page and the
page's script sets ``textContent``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from babel.dates import format_date

from layers.errors import LayerError
from layers.transit_journey import (
    NO_DATES,
    NO_JOURNEY,
    NO_OPENING,
    NO_POSITION,
    ResidentJourney,
    resident_journey,
)
from layers.transit_reach import ESTIMATE_NOTE, TransitModel, build_transit_model
from webmap.i18n import gettext_for
from webmap.web.state import IbashoState

logger = logging.getLogger(__name__)
__all__ = ["format_day", "journey_entry", "transit_model"]

_WEEKDAYS_JA = "月火水木金土日"


def transit_model(state: IbashoState) -> TransitModel | None:
    """
    The buses and walks of the maps ``state`` serves, loaded on first use and kept with them;
    None when the study area has no buses or its bus data cannot be used at all (logged).
    """
    return state.kept("resident.transit", lambda: _load_model(state))


def _load_model(state: IbashoState) -> TransitModel | None:
    study = state.study
    origins = study.population if study.population is not None else study.places[
        study.places.geometry.notna()]
    if origins is None or not len(origins):
        return None
    try:
        return build_transit_model(study, origins=origins)
    except LayerError as exc:
        logger.warning("The bus data cannot be used for journeys: %s",
                       "; ".join(map(str, exc.problems)))
        return None


def format_day(date: dt.date, lang: str = "ja") -> str:
    """
    A day as the page writes it.

    Examples
    --------
    >>> format_day(dt.date(2026, 12, 2)), format_day(dt.date(2026, 12, 2), "en")
    ('12月2日（水）', 'Wed 2 Dec')
    """
    if lang == "en":
        return format_date(date, "EEE d MMM", locale="en")
    return f"{date.month}月{date.day}日（{_WEEKDAYS_JA[date.weekday()]}）"


def _reason(found: ResidentJourney, lang: str) -> str:
    _ = gettext_for(lang)
    return {NO_POSITION: _("場所の位置が分からないため、経路を調べられません"),
            NO_DATES: _("開催日が分からないため、バスの時刻を調べていません"),
            NO_OPENING: _("次の開催日が見つかりません"),
            NO_JOURNEY: _("歩きとバスでは行けません（乗り換え1回まで）")}.get(found.reason,
                                                                        found.reason)


def _steps(found: ResidentJourney, lang: str) -> list[dict[str, str]]:
    """One sentence per walk or ride (``kind`` "walk" or "ride", ``text``)."""
    _ = gettext_for(lang)
    steps = []
    last = len(found.legs) - 1
    for position, leg in enumerate(found.legs):
        if leg.kind == "ride":
            values = {"start": leg.start, "end": leg.end, "stop": leg.to_name,
                      "route": leg.route or _("バス"), "headsign": leg.headsign}
            text = (_("{start} 発 {route}（{headsign}行き）→ {end} 着 {stop} 下車")
                    if leg.headsign else _("{start} 発 {route} → {end} 着 {stop} 下車")
                    ).format(**values)
        elif position == 0 and position == last:  # on foot all the way
            text = _("{start} 出発 → 徒歩{minutes}分 → {end} 着 {place}").format(
                start=leg.start, minutes=leg.minutes, end=leg.end, place=leg.to_name)
        elif position == 0:
            text = _("{start} 出発 → 徒歩{minutes}分 → {stop} バス停").format(
                start=leg.start, minutes=leg.minutes, stop=leg.to_name)
        elif position == last:
            text = _("徒歩{minutes}分 → {end} 着 {place}").format(
                minutes=leg.minutes, end=leg.end, place=leg.to_name)
        else:
            text = _("徒歩{minutes}分 → {stop} バス停で乗り換え").format(
                minutes=leg.minutes, stop=leg.to_name)
        steps.append({"kind": leg.kind, "text": text})
    return steps


def _notes(model: TransitModel, found: ResidentJourney, lang: str) -> list[str]:
    """推定, a timetable of another day, and what the bus data left out."""
    _ = gettext_for(lang)
    notes = []
    if found.estimated or ESTIMATE_NOTE in found.notes:
        notes.append(_("推定：バスの便は停留所ごとの時刻表をつないで推定したものです。"))
    day = found.day
    if day is not None and day.used != day.asked:
        notes.append(_("時刻表の期間外のため、{date}の時刻で調べました。").format(
            date=format_day(day.used, lang) + (f" {day.used.year}" if lang == "en"
                                               else f"（{day.used.year}年）")))
    if model.bus.problems:
        notes.append(_("バスのデータのうち{count}件の問題がある部分を除いて調べました。").format(
            count=len(model.bus.problems)))
    return notes


def journey_entry(model: TransitModel, lonlat: tuple[float, float], place_row: int, *,
                  now: dt.datetime, lang: str = "ja") -> dict[str, Any]:
    """
    The next journey to the place at ``place_row`` of the study, as the page shows it.

    Parameters
    ----------
    model
        From :func:`transit_model`.
    lonlat
        The resident (WGS 84).
    place_row
        The place's row in the study's places.
    now
        Japan time: journeys leave no earlier.
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    dict
        ``found``; ``heading`` (the day and the start), ``steps`` (``kind``, ``text``),
        ``verdict`` and ``on_time`` (None when the start is unknown), ``estimated`` and
        ``estimate_label`` (推定), ``notes`` and ``skipped`` (what the bus data left out,
        file and row); ``message`` says why there is no journey, or that walking all the way
        is soonest.
    """
    _ = gettext_for(lang)
    found = resident_journey(model, lonlat, place_row, now=now, now_without_dates=True)
    entry: dict[str, Any] = {
        "found": found.found, "message": "", "heading": "", "steps": [], "verdict": "",
        "on_time": found.on_time, "estimated": found.estimated,
        "estimate_label": _("推定") if found.estimated else "",
        "date": found.date.isoformat() if found.date else None,
        "notes": [], "skipped": [], "skipped_label": "",
    }
    if found.date is not None and not found.dates_known:
        entry["heading"] = _("バスで行く場合：いま出発すると（開催日は主催者にご確認ください）")
    elif found.date is not None:
        day = format_day(found.date, lang)
        entry["heading"] = (
            _("バスで行く場合：{day} 開始 {start}").format(day=day, start=found.start)
            if found.start else _("バスで行く場合：{day}").format(day=day))
    if not found.found:
        entry["message"] = _reason(found, lang)
        return entry
    if not any(leg.kind == "ride" for leg in found.legs):
        entry["message"] = _("歩いて行くのがいちばん早く着きます")
    entry["steps"] = _steps(found, lang)
    if found.on_time is not None:
        entry["verdict"] = (_("開始 {start} に間に合います") if found.on_time
                            else _("開始 {start} に間に合いません")).format(start=found.start)
    entry["notes"] = _notes(model, found, lang)
    entry["skipped"] = [str(problem) for problem in model.bus.problems]
    entry["skipped_label"] = _("除いた部分（データの詳細）") if entry["skipped"] else ""
    return entry
