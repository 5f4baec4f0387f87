"""The participation section of a district page: a small trend chart and its data tables.

The chart is an inline SVG drawn here from numbers only (participants per month, the last
:data:`CHART_MONTHS` months recorded), with a title and a description for screen readers;
the table under it has the same figures, so nothing is shown only as a picture.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
from markupsafe import Markup

from layers.participation_figures import ParticipationFigures, share_label
from webmap.i18n import gettext as _
from webmap.maps.popups import format_people, format_share

__all__ = ["CHART_MONTHS", "participation_section", "trend_chart"]

#: The months the chart shows (the latest recorded).
CHART_MONTHS = 12

_WIDTH, _HEIGHT, _LEFT, _BOTTOM, _TOP = 560, 200, 44, 34, 14


def _count(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{int(value):,}"


def trend_chart(months: pd.DataFrame, *, title: str) -> Markup:
    """
    Participants (bars) and 65+ participants (darker part) per month as an SVG.

    ``months`` has ``month``, ``participants`` and ``participants_65``; only numbers and
    ``YYYY-MM`` texts of it are written, escaped all the same.
    """
    shown = months.sort_values("month").tail(CHART_MONTHS)
    top = max(1, int(shown["participants"].max())) if len(shown) else 1
    plot_w, plot_h = _WIDTH - _LEFT - 8, _HEIGHT - _BOTTOM - _TOP
    step = plot_w / max(len(shown), 1)
    bar = step * 0.62
    first, last = (shown["month"].iloc[0], shown["month"].iloc[-1]) if len(shown) else ("", "")
    description = _("{first}から{last}までの月ごとの参加者数。最多は{top}人。数は下の表にあります。"
                    ).format(first=first, last=last, top=f"{top:,}")
    parts = [f'<svg class="participation-chart" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
             f'role="img" aria-labelledby="pc-title pc-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="pc-title">{escape(title)}</title>',
             f'<desc id="pc-desc">{escape(description)}</desc>',
             f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_WIDTH - 8}" y2="{_TOP + plot_h}" '
             'class="axis"/>',
             f'<text x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end" class="tick">{top:,}</text>',
             f'<text x="{_LEFT - 6}" y="{_TOP + plot_h}" text-anchor="end" class="tick">0</text>']
    for index, row in enumerate(shown.itertuples()):
        x = _LEFT + index * step + (step - bar) / 2
        height = plot_h * int(row.participants) / top
        parts.append(f'<rect class="bar-all" x="{x:.1f}" y="{_TOP + plot_h - height:.1f}" '
                     f'width="{bar:.1f}" height="{height:.1f}"/>')
        if not pd.isna(row.participants_65):
            aged = plot_h * int(row.participants_65) / top
            parts.append(f'<rect class="bar-65" x="{x:.1f}" y="{_TOP + plot_h - aged:.1f}" '
                         f'width="{bar:.1f}" height="{aged:.1f}"/>')
        label = escape(str(row.month)[2:].replace("-", "/"))
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{_HEIGHT - _BOTTOM + 16}" '
                     f'text-anchor="middle" class="tick">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # safe: numbers and escaped texts only


def _rows(frame: pd.DataFrame, key: str) -> list[dict[str, str]]:
    return [{"key": str(getattr(row, key)) if key == "month" else _("{year}年度").format(
                 year=getattr(row, key)),
             "places": _count(row.places), "participants": format_people(row.participants),
             "participants_65": format_people(row.participants_65)
             if row.places_without_65 < row.places else "—",
             "without_65": _count(row.places_without_65),
             "sessions": _count(row.sessions), "share": format_share(row.share)}
            for row in frame.itertuples()]


def participation_section(figures: ParticipationFigures | None,
                          district: str) -> dict[str, Any] | None:
    """
    What ``district.html`` shows of the district's participation, or None without records.

    Keys: ``share_label`` (what the share is: 65+ or everyone), ``chart`` (SVG),
    ``month_rows`` (latest first, at most :data:`CHART_MONTHS`), ``year_rows``, and
    ``frequency_rows`` / ``activity_rows`` of the latest fiscal year.
    """
    if figures is None:
        return None
    own = figures.district(district)
    if own.months.empty:
        return None
    latest = int(own.years["fiscal_year"].max())
    bands = {}
    for name, frame, column in (("frequency_rows", own.by_frequency, "frequency"),
                                ("activity_rows", own.by_activity, "activity")):
        year = frame[frame["fiscal_year"] == latest]
        bands[name] = [{"label": str(v), "places": _count(n)}
                       for v, n in zip(year[column], year["places"], strict=True)]
    recent = own.months.sort_values("month", ascending=False).head(CHART_MONTHS)
    return {"share_label": share_label(figures.basis),
            "chart": trend_chart(own.months, title=_("{name}地区の参加者数の推移").format(
                name=district)),
            "month_rows": _rows(recent, "month"),
            "year_rows": _rows(own.years.sort_values("fiscal_year", ascending=False),
                               "fiscal_year"),
            "latest_year": _("{year}年度").format(year=latest), **bands}
