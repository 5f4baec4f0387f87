"""HTML of popups, tooltips and lists, with every value from the data escaped.

Each function returns a finished HTML fragment: text from files (names, schedules, notes …)
goes through :func:`html.escape` here and nowhere else, so a place called
``<script>alert(1)</script>`` is shown as those characters. The map's JavaScript inserts
these fragments as they are and never builds HTML from raw data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import quote

import pandas as pd

from webmap.maps.style import (
    BASIS_LABELS,
    COVERAGE_LABELS,
    FIELD_LABELS,
    LAYER_LABELS,
    PLAN_TEXT,
    POSITION_NOTES,
    UI_TEXT,
)
from webmap.maps.symbols import place_icon_svg

__all__ = [
    "buffer_tooltip",
    "district_label_html",
    "district_popup",
    "district_url",
    "format_people",
    "format_share",
    "gap_tooltip",
    "isochrone_tooltip",
    "network_gap_tooltip",
    "place_popup",
    "place_tooltip",
    "population_tooltip",
    "route_popup",
    "stop_header",
    "suggestion_popup",
    "suggestion_tooltip",
    "uncovered_tooltip",
    "unlocated_list_html",
    "walking_route_popup",
]


def _text(value: Any) -> str:
    """A cell as stripped text ('' for None and NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def format_people(value: Any) -> str:
    """``12,345人``, or ``—`` when unknown."""
    if value is None or pd.isna(value):
        return "—"
    return UI_TEXT["population_unit"].format(count=f"{round(float(value)):,}")


def format_share(value: Any) -> str:
    """``45%`` (one decimal under 10 %), or ``—`` when unknown."""
    if value is None or pd.isna(value):
        return "—"
    percent = 100 * float(value)
    return f"{percent:.1f}%" if percent < 10 else f"{percent:.0f}%"


def district_url(template: str | None, name: str) -> str | None:
    """``template`` with ``{name}`` replaced by the URL-quoted district name."""
    if template is None:
        return None
    return template.replace("{name}", quote(name, safe=""))


def _rows(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
                    for label, value in pairs if value)
    return f'<dl class="ibasho-fields">{cells}</dl>' if cells else ""


def place_popup(place: Mapping[str, Any]) -> str:
    """
    The popup of a place: name, category, district, schedule, contact, address, notes,
    how good the position is (approximate positions flagged) and the source.
    """
    category = _text(place.get("category"))
    quality = _text(place.get("position_quality")) or "exact"
    district = _text(place.get("district"))
    detail = _text(place.get("position_source"))
    detail = detail.split(":", 1)[1].strip() if ":" in detail else detail
    note = POSITION_NOTES.get(quality, POSITION_NOTES["unknown"])
    position = f'<p class="ibasho-position ibasho-position-{escape(quality)}">'
    position += ("⚠ " if quality != "exact" else "") + escape(note)
    if quality != "exact" and detail:
        position += f'<br><small>{escape(detail)}</small>'
    position += "</p>"
    subtitle = escape(category)
    if district:
        subtitle += f"・{escape(district)}{escape(UI_TEXT['district_suffix'])}"
    source = _text(place.get("source"))
    return (
        '<div class="ibasho-popup">'
        f'<p class="ibasho-popup-kind">{place_icon_svg(category, size_px=20)}'
        f"<span>{subtitle}</span></p>"
        f'<h3 class="ibasho-popup-title">{escape(_text(place.get("name")))}</h3>'
        + _rows([(FIELD_LABELS[key], _text(place.get(key)))
                 for key in ("schedule", "contact", "address", "notes")])
        + position
        + (f'<p class="ibasho-source">{escape(FIELD_LABELS["source"])}：{escape(source)}</p>'
           if source else "")
        + "</div>"
    )


def place_tooltip(place: Mapping[str, Any]) -> str:
    """Name and category, shown on hover."""
    quality = _text(place.get("position_quality"))
    mark = UI_TEXT["approx_mark"] if quality == "approx" else ""
    return (f"<strong>{escape(_text(place.get('name')))}</strong>"
            f"<br>{escape(_text(place.get('category')))}{escape(mark)}")


def district_label_html(name: str) -> str:
    """The name label drawn on a district."""
    return f'<span class="ibasho-district-name">{escape(name)}</span>'


def district_popup(name: str, rows: pd.DataFrame, *, basis: str | None, approximate: bool,
                   link: str | None = None, network_rows: pd.DataFrame | None = None) -> str:
    """
    A district's summary: share of people within each walking radius, places, stops.

    ``rows`` are the district's rows of ``CoverageResult.table`` (one per radius);
    ``network_rows`` its rows of ``NetworkCoverage.table`` (one per threshold in minutes),
    shown first when the study area has a street network.
    """
    title = escape(name) + escape(UI_TEXT["district_suffix"])
    if approximate:
        title += f'<small class="ibasho-approx-tag">{escape(UI_TEXT["approximate_short"])}</small>'
    parts = [f'<div class="ibasho-popup"><h3 class="ibasho-popup-title">{title}</h3>']
    if len(rows):
        first = rows.iloc[0]
        count = UI_TEXT["count_places"]
        facts = [(COVERAGE_LABELS["places"], count.format(count=int(first["places"]))
                  + (f"（{COVERAGE_LABELS['places_unlocated']} {int(first['places_unlocated'])}）"
                     if first["places_unlocated"] else "")),
                 (COVERAGE_LABELS["stops"], count.format(count=int(first["stops"])))]
        if basis is not None:
            facts.insert(0, (BASIS_LABELS.get(basis, basis), format_people(first["population"])))
        parts.append(_rows(facts))
        if basis is not None and network_rows is not None and len(network_rows):
            items = "".join(
                f"<li>{escape(PLAN_TEXT['threshold_network'].format(minutes=row.minutes))}："
                f"{escape(format_share(row.covered_share))}"
                f"（{escape(format_people(row.covered))}）</li>"
                for row in network_rows.itertuples())
            parts.append(f'<p class="ibasho-popup-sub">{escape(COVERAGE_LABELS["covered_share"])}'
                         f"（{escape(BASIS_LABELS.get(basis, basis))}）</p>"
                         f'<ul class="ibasho-shares">{items}</ul>')
        if basis is not None:
            items = "".join(
                f"<li>{row.radius_m:g} m：{escape(format_share(row.covered_share))}"
                f"（{escape(format_people(row.covered))}）</li>"
                for row in rows.itertuples())
            parts.append(f'<p class="ibasho-popup-sub">{escape(COVERAGE_LABELS["covered_share"])}'
                         f"（{escape(BASIS_LABELS.get(basis, basis))}）</p>"
                         f'<ul class="ibasho-shares">{items}</ul>')
    if link:
        parts.append(f'<p><a class="ibasho-link" href="{escape(link)}">'
                     f"{escape(UI_TEXT['district_link'])}</a></p>")
    parts.append("</div>")
    return "".join(parts)


def gap_tooltip(gap: Mapping[str, Any], *, basis: str | None) -> str:
    """A gap: which district, how many people live there, how large it is."""
    radius_m = float(gap["radius_m"])
    lines = [f"<strong>{escape(LAYER_LABELS['gap'].format(radius_m=radius_m))}</strong>",
             escape(f"{_text(gap.get('district'))}{UI_TEXT['district_suffix']}")]
    if basis is not None:
        people = format_people(gap.get("population"))
        lines.append(escape(f"{BASIS_LABELS.get(basis, basis)} {people}"))
    area = gap.get("area_km2")
    if area is not None and not pd.isna(area):
        lines.append(escape(f"{COVERAGE_LABELS['area_km2']} {float(area):.2f} km²"))
    return "<br>".join(lines)


def isochrone_tooltip(*, minutes: float, reach_text: str | None) -> str:
    """A network isochrone: its threshold and, when known, the people within it."""
    lines = [f"<strong>{escape(PLAN_TEXT['isochrone'].format(minutes=minutes))}</strong>"]
    if reach_text:
        lines.append(escape(reach_text))
    return "<br>".join(lines)


def network_gap_tooltip(gap: Mapping[str, Any], *, basis: str | None) -> str:
    """A gap on the network: which district and how many people live beyond reach there."""
    lines = [f"<strong>{escape(PLAN_TEXT['network_gap'].format(minutes=gap['minutes']))}</strong>",
             escape(f"{_text(gap.get('district'))}{UI_TEXT['district_suffix']}")]
    if basis is not None:
        people = format_people(gap.get("uncovered"))
        lines.append(escape(f"{BASIS_LABELS.get(basis, basis)} {people}"))
    return "<br>".join(lines)


def uncovered_tooltip(district: str, *, uncovered: Any, share: Any, label: str) -> str:
    """A district of the uncovered-population choropleth: how many, and which share."""
    people = PLAN_TEXT["uncovered_people"].format(people=format_people(uncovered),
                                                  share=format_share(share))
    return (f"<strong>{escape(district)}{escape(UI_TEXT['district_suffix'])}</strong>"
            f"<br>{escape(people)}<br><small>{escape(label)}</small>")


def suggestion_tooltip(site: Mapping[str, Any]) -> str:
    """A suggested site on hover: its rank and name."""
    rank = PLAN_TEXT["rank"].format(rank=int(site["rank"]))
    return f"<strong>{escape(rank)}</strong> {escape(_text(site.get('name')))}"


def suggestion_popup(site: Mapping[str, Any], *, icon: str, threshold: str,
                     basis: str | None) -> str:
    """
    A suggested site: rank, name, address, district, the people it newly brings within
    walking reach (``+N人``) and the share covered once it and every better-ranked site open.

    ``icon`` is the site's badge (SVG made by the caller); ``threshold`` the walking reach
    the suggestions use, as text (``道のり5分``).
    """
    rank = int(site["rank"])
    district = _text(site.get("district"))
    gain = f"+{format_people(site.get('newly_covered'))}"
    if basis is not None:
        gain += f"（{BASIS_LABELS.get(basis, basis)}）"
    return (
        '<div class="ibasho-popup ibasho-suggestion-popup">'
        f'<p class="ibasho-popup-kind">{icon}'
        f"<span>{escape(PLAN_TEXT['rank'].format(rank=rank))}・"
        f"{escape(PLAN_TEXT['section'])}</span></p>"
        f'<h3 class="ibasho-popup-title">{escape(_text(site.get("name")))}</h3>'
        + _rows([(FIELD_LABELS["address"], _text(site.get("address"))),
                 (FIELD_LABELS["district"],
                  f"{district}{UI_TEXT['district_suffix']}" if district else ""),
                 (PLAN_TEXT["gain_heading"], gain),
                 (PLAN_TEXT["share_after_heading"], PLAN_TEXT["share_after_value"].format(
                     share=format_share(site.get("share_after")), rank=rank)),
                 (PLAN_TEXT["minutes"], threshold)])
        + f'<p class="ibasho-source">{escape(PLAN_TEXT["candidate_source"])}</p>'
        + "</div>"
    )


def buffer_tooltip(*, radius_m: float, minutes: int) -> str:
    """A walking-reach buffer: the radius and the estimated minutes."""
    return escape(LAYER_LABELS["buffer"].format(radius_m=radius_m, minutes=minutes))


def population_tooltip(name: str, count: Any, *, basis: str | None) -> str:
    """One population point: the 町丁 name and its count."""
    label = BASIS_LABELS.get(basis or "total", basis or "")
    people = format_people(count)
    return f"<strong>{escape(_text(name))}</strong><br>{escape(label)} {escape(people)}"


def route_popup(route: Mapping[str, Any]) -> str:
    """A bus route: name, operator and its stops (first and last, and how many)."""
    stops = [str(stop) for stop in (route.get("stops") or [])]
    stop_text = ""
    if stops:
        stop_text = (UI_TEXT["route_stops"].format(first=stops[0], last=stops[-1], count=len(stops))
                     if len(stops) > 1 else stops[0])
    return ('<div class="ibasho-popup">'
            f'<h3 class="ibasho-popup-title">{escape(_text(route.get("name")))}</h3>'
            + _rows([(FIELD_LABELS["operator"], _text(route.get("operator"))),
                     (FIELD_LABELS["stops"], stop_text)])
            + "</div>")


def walking_route_popup(route: Mapping[str, Any]) -> str:
    """A walking route: name, kind, length and minutes at the configured pace."""
    length = route.get("length_m")
    minutes = route.get("walk_minutes")
    return ('<div class="ibasho-popup">'
            f'<h3 class="ibasho-popup-title">{escape(_text(route.get("name")))}</h3>'
            + _rows([
                (FIELD_LABELS["kind"], _text(route.get("kind"))),
                (FIELD_LABELS["length"], f"{float(length) / 1000:.1f} km"
                 if length is not None and not pd.isna(length) else ""),
                (FIELD_LABELS["walk_minutes"], f"約{math.floor(float(minutes) + 0.5)}分"
                 if minutes is not None and not pd.isna(minutes) else ""),
            ])
            + "</div>")


def stop_header(stop: Mapping[str, Any]) -> dict[str, str]:
    """The escaped name, operator and note of a stop, for the JavaScript popup."""
    return {"title": escape(_text(stop.get("name"))),
            "operator": escape(_text(stop.get("operator"))),
            "note": escape(_text(stop.get("note")))}


def unlocated_list_html(places: pd.DataFrame) -> str:
    """The list of places without a position: name, category, district and schedule."""
    if places.empty:
        return f"<p>{escape(UI_TEXT['unlocated_empty'])}</p>"
    items = []
    for place in places.to_dict(orient="records"):
        district = _text(place.get("district"))
        where = "・".join(part for part in (_text(place.get("category")),
                                            f"{district}{UI_TEXT['district_suffix']}"
                                            if district else "") if part)
        schedule = _text(place.get("schedule"))
        items.append(
            f"<li><strong>{escape(_text(place.get('name')))}</strong>"
            f'<span class="ibasho-unlocated-where">{escape(where)}</span>'
            + (f'<span class="ibasho-unlocated-when">{escape(schedule)}</span>' if schedule else "")
            + "</li>")
    return f'<ul class="ibasho-unlocated-list">{"".join(items)}</ul>'
