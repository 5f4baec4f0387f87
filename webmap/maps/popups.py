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

from webmap.i18n import gettext as _
from webmap.maps.style import basis_label, position_note
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
    "resource_popup",
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
    return _("{count}人").format(count=f"{round(float(value)):,}")


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


def _popup_head(category: str, district: str, name: str) -> str:
    """The icon with category and district, then the name: how place and resource popups open."""
    subtitle = escape(category)
    if district:
        subtitle += "・" + escape(_("{district}地区").format(district=district))
    return (f'<p class="ibasho-popup-kind">{place_icon_svg(category, size_px=20)}'
            f"<span>{subtitle}</span></p>"
            f'<h3 class="ibasho-popup-title">{escape(name)}</h3>')


def _source_line(source: str) -> str:
    """``出典：…`` under a popup, or '' without a source."""
    if not source:
        return ""
    return '<p class="ibasho-source">' + escape(_("出典")) + f"：{escape(source)}</p>"


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
    note = position_note(quality)
    position = f'<p class="ibasho-position ibasho-position-{escape(quality)}">'
    position += ("⚠ " if quality != "exact" else "") + escape(note)
    if quality != "exact" and detail:
        position += f'<br><small>{escape(detail)}</small>'
    position += "</p>"
    return (
        '<div class="ibasho-popup">'
        + _popup_head(category, district, _text(place.get("name")))
        + _rows([(_("日時"), _text(place.get("schedule"))),
                 (_("連絡先"), _text(place.get("contact"))),
                 (_("住所"), _text(place.get("address"))),
                 (_("備考"), _text(place.get("notes")))])
        + position
        + _source_line(_text(place.get("source")))
        + "</div>"
    )


def place_tooltip(place: Mapping[str, Any]) -> str:
    """Name and category, shown on hover."""
    quality = _text(place.get("position_quality"))
    mark = _("（おおよその位置）") if quality == "approx" else ""
    return (f"<strong>{escape(_text(place.get('name')))}</strong>"
            f"<br>{escape(_text(place.get('category')))}{escape(mark)}")


def resource_popup(resource: Mapping[str, Any]) -> str:
    """
    The popup of a community resource (移動販売 stop, 認知症カフェ …): name, category,
    district, the area it serves, schedule, contact, address, notes and the source.
    """
    category = _text(resource.get("category"))
    district = _text(resource.get("district"))
    return (
        '<div class="ibasho-popup ibasho-resource-popup">'
        + _popup_head(category, district, _text(resource.get("name")))
        + _rows([(_("対象地域"), _text(resource.get("serves"))),
                 (_("日時"), _text(resource.get("schedule"))),
                 (_("連絡先"), _text(resource.get("contact"))),
                 (_("住所"), _text(resource.get("address"))),
                 (_("備考"), _text(resource.get("notes")))])
        + _source_line(_text(resource.get("source")))
        + "</div>"
    )


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
    title = escape(_("{district}地区").format(district=name))
    if approximate:
        title += '<small class="ibasho-approx-tag">' + escape(_("概略区域")) + "</small>"
    parts = [f'<div class="ibasho-popup"><h3 class="ibasho-popup-title">{title}</h3>']
    if len(rows):
        first = rows.iloc[0]
        count = _("{count}か所")
        facts = [(_("居場所・集会施設"), count.format(count=int(first["places"]))
                  + ("（" + _("うち位置未確認") + f" {int(first['places_unlocated'])}）"
                     if first["places_unlocated"] else "")),
                 (_("バス停"), count.format(count=int(first["stops"])))]
        if basis is not None:
            facts.insert(0, (basis_label(basis), format_people(first["population"])))
        parts.append(_rows(facts))
        shares = escape(_("徒歩圏内の割合"))
        if basis is not None and network_rows is not None and len(network_rows):
            items = "".join(
                "<li>" + escape(_("道のり{minutes:g}分").format(minutes=row.minutes)) + "："
                f"{escape(format_share(row.covered_share))}"
                f"（{escape(format_people(row.covered))}）</li>"
                for row in network_rows.itertuples())
            parts.append(f'<p class="ibasho-popup-sub">{shares}'
                         f"（{escape(basis_label(basis))}）</p>"
                         f'<ul class="ibasho-shares">{items}</ul>')
        if basis is not None:
            items = "".join(
                f"<li>{row.radius_m:g} m：{escape(format_share(row.covered_share))}"
                f"（{escape(format_people(row.covered))}）</li>"
                for row in rows.itertuples())
            parts.append(f'<p class="ibasho-popup-sub">{shares}'
                         f"（{escape(basis_label(basis))}）</p>"
                         f'<ul class="ibasho-shares">{items}</ul>')
    if link:
        parts.append(f'<p><a class="ibasho-link" href="{escape(link)}">'
                     + escape(_("この地区の地図と集計")) + "</a></p>")
    parts.append("</div>")
    return "".join(parts)


def gap_tooltip(gap: Mapping[str, Any], *, basis: str | None) -> str:
    """A gap: which district, how many people live there, how large it is."""
    radius_m = float(gap["radius_m"])
    gap_label = _("空白地域（{radius_m:g} m圏外）").format(radius_m=radius_m)
    lines = [f"<strong>{escape(gap_label)}</strong>",
             escape(_("{district}地区").format(district=_text(gap.get("district"))))]
    if basis is not None:
        people = format_people(gap.get("population"))
        lines.append(escape(f"{basis_label(basis)} {people}"))
    area = gap.get("area_km2")
    if area is not None and not pd.isna(area):
        lines.append(escape(_("面積") + f" {float(area):.2f} km²"))
    return "<br>".join(lines)


def isochrone_tooltip(*, minutes: float, reach_text: str | None) -> str:
    """A network isochrone: its threshold and, when known, the people within it."""
    label = _("徒歩{minutes:g}分圏（道のり）").format(minutes=minutes)
    lines = [f"<strong>{escape(label)}</strong>"]
    if reach_text:
        lines.append(escape(reach_text))
    return "<br>".join(lines)


def network_gap_tooltip(gap: Mapping[str, Any], *, basis: str | None) -> str:
    """A gap on the network: which district and how many people live beyond reach there."""
    label = _("空白地域（道のりで{minutes:g}分圏外）").format(minutes=gap["minutes"])
    lines = [f"<strong>{escape(label)}</strong>",
             escape(_("{district}地区").format(district=_text(gap.get("district"))))]
    if basis is not None:
        people = format_people(gap.get("uncovered"))
        lines.append(escape(f"{basis_label(basis)} {people}"))
    return "<br>".join(lines)


def uncovered_tooltip(district: str, *, uncovered: Any, share: Any, label: str) -> str:
    """A district of the uncovered-population choropleth: how many, and which share."""
    people = _("徒歩圏外 {people}（{share}）").format(people=format_people(uncovered),
                                                  share=format_share(share))
    name = escape(_("{district}地区").format(district=district))
    return f"<strong>{name}</strong><br>{escape(people)}<br><small>{escape(label)}</small>"


def suggestion_tooltip(site: Mapping[str, Any]) -> str:
    """A suggested site on hover: its rank and name."""
    rank = _("候補{rank}").format(rank=int(site["rank"]))
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
        gain += f"（{basis_label(basis)}）"
    return (
        '<div class="ibasho-popup ibasho-suggestion-popup">'
        f'<p class="ibasho-popup-kind">{icon}'
        + "<span>" + escape(_("候補{rank}").format(rank=rank)) + "・"
        + escape(_("新しい居場所の候補")) + "</span></p>"
        + f'<h3 class="ibasho-popup-title">{escape(_text(site.get("name")))}</h3>'
        + _rows([(_("住所"), _text(site.get("address"))),
                 (_("地区"),
                  _("{district}地区").format(district=district) if district else ""),
                 (_("新たに徒歩圏内になる人"), gain),
                 (_("加えた後の徒歩圏内の割合"), _("{share}（候補{rank}までを加えたとき）").format(
                     share=format_share(site.get("share_after")), rank=rank)),
                 (_("徒歩時間"), threshold)])
        + '<p class="ibasho-source">'
        + escape(_("候補地は候補施設の一覧から、徒歩圏外の人を最も多く加える順に選びました"))
        + "</p>"
        + "</div>"
    )


def buffer_tooltip(*, radius_m: float, minutes: int) -> str:
    """A walking-reach buffer: the radius and the estimated minutes."""
    return escape(_("徒歩圏（直線{radius_m:g} m・徒歩約{minutes}分）").format(radius_m=radius_m,
                                                                    minutes=minutes))


def population_tooltip(name: str, count: Any, *, basis: str | None) -> str:
    """One population point: the 町丁 name and its count."""
    label = basis_label(basis or "total")
    people = format_people(count)
    return f"<strong>{escape(_text(name))}</strong><br>{escape(label)} {escape(people)}"


def route_popup(route: Mapping[str, Any]) -> str:
    """A bus route: name, operator and its stops (first and last, and how many)."""
    stops = [str(stop) for stop in (route.get("stops") or [])]
    stop_text = ""
    if stops:
        stop_text = (_("{first} → {last}（{count}停留所）").format(
            first=stops[0], last=stops[-1], count=len(stops)) if len(stops) > 1 else stops[0])
    return ('<div class="ibasho-popup">'
            f'<h3 class="ibasho-popup-title">{escape(_text(route.get("name")))}</h3>'
            + _rows([(_("運行"), _text(route.get("operator"))),
                     (_("停留所"), stop_text)])
            + "</div>")


def walking_route_popup(route: Mapping[str, Any]) -> str:
    """A walking route: name, kind, length and minutes at the configured pace."""
    length = route.get("length_m")
    minutes = route.get("walk_minutes")
    return ('<div class="ibasho-popup">'
            f'<h3 class="ibasho-popup-title">{escape(_text(route.get("name")))}</h3>'
            + _rows([
                (_("種類"), _text(route.get("kind"))),
                (_("長さ"), f"{float(length) / 1000:.1f} km"
                 if length is not None and not pd.isna(length) else ""),
                (_("徒歩"), _("約{minutes}分").format(minutes=math.floor(float(minutes) + 0.5))
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
        return "<p>" + escape(_("位置未確認の居場所はありません")) + "</p>"
    items = []
    for place in places.to_dict(orient="records"):
        district = _text(place.get("district"))
        where = "・".join(part for part in (_text(place.get("category")),
                                            _("{district}地区").format(district=district)
                                            if district else "") if part)
        schedule = _text(place.get("schedule"))
        items.append(
            f"<li><strong>{escape(_text(place.get('name')))}</strong>"
            f'<span class="ibasho-unlocated-where">{escape(where)}</span>'
            + (f'<span class="ibasho-unlocated-when">{escape(schedule)}</span>' if schedule else "")
            + "</li>")
    return f'<ul class="ibasho-unlocated-list">{"".join(items)}</ul>'
