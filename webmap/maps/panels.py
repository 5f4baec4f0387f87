"""HTML of the map's panels: title bar, legend, sources and the list of unlocated places.

The wording comes from :mod:`webmap.maps.style`; anything from the data or the config is
escaped here (the basemap's attribution is the one exception: the config gives it as HTML
with a link, as tile providers ask).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import pandas as pd

from webmap.i18n import gettext as _
from webmap.maps.popups import unlocated_list_html

__all__ = ["LegendRow", "layer_name", "legend_html", "sources_html", "title_html",
           "unlocated_panel_html"]


@dataclass(frozen=True)
class LegendRow:
    """One legend row: its section, symbol (SVG), text and the layer key it describes."""

    section: str
    symbol: str
    label: str
    layer_key: str | None = None


def layer_name(symbol: str, label: str) -> str:
    """A layer-control entry: the layer's symbol and its (escaped) name."""
    return f'<span class="ibasho-lc-symbol">{symbol}</span>{escape(label)}'


def title_html(title: str, *, notes: Sequence[str], approximate_note: str | None,
               heading: bool = True) -> str:
    """The title bar: the title (an ``<h1>`` on a page of its own) and the method notes."""
    tag = "h1" if heading else "p"
    parts = [f'<{tag} class="ibasho-title-text">{escape(title)}</{tag}>']
    parts += [f"<p>{escape(note)}</p>" for note in notes]
    if approximate_note:
        parts.append(f'<p class="ibasho-approx-note">{escape(approximate_note)}</p>')
    return "".join(parts)


def legend_html(rows: Sequence[LegendRow], *, notes: Sequence[str]) -> str:
    """The legend: rows grouped by section, then the notes (method, approximate areas)."""
    parts = ['<details class="ibasho-legend-details"><summary>' + escape(_("凡例"))
             + "</summary>"]
    section = None
    for row in rows:
        if row.section != section:
            if section is not None:
                parts.append("</ul>")
            section = row.section
            parts.append(f"<h2>{escape(section)}</h2><ul>")
        key = f' data-layer="{escape(row.layer_key)}"' if row.layer_key else ""
        parts.append(f'<li{key}><span class="ibasho-legend-symbol">{row.symbol}</span>'
                     f"<span>{escape(row.label)}</span></li>")
    if section is not None:
        parts.append("</ul>")
    parts += [f'<p class="ibasho-legend-note">{escape(note)}</p>' for note in notes]
    parts.append("</details>")
    return "".join(parts)


def sources_html(lines: Sequence[str]) -> str:
    """The config's attribution lines (plain text, escaped) in a collapsible list."""
    if not lines:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return ('<details class="ibasho-sources"><summary>' + escape(_("出典"))
            + f"</summary><ul>{items}</ul></details>")


def unlocated_panel_html(places: pd.DataFrame) -> str:
    """The collapsible list of places without a position, so they are not lost."""
    label = _("位置未確認の居場所") + _("（{count}件）").format(count=len(places))
    note = _("地図上の位置が分からないため、一覧で示します。")
    return (f'<details id="ibasho-unlocated"><summary>{escape(label)}</summary>'
            f'<p class="ibasho-unlocated-note">{escape(note)}</p>'
            f"{unlocated_list_html(places)}</details>")
