"""Map symbols as inline SVG: place markers, the bus-stop sign and legend swatches.

Everything is drawn from :mod:`webmap.maps.style`, so the marker on the map, the swatch in the
legend and the symbol in the layer control are the same picture. No icon fonts or images:
the page must work offline.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from html import escape
from typing import TYPE_CHECKING

from webmap.maps.style import (
    CATEGORY_STYLES,
    DEFAULT_CATEGORY_STYLE,
    MARKER_SIZE_PX,
    RESOURCE_STYLES,
    SHAPES,
    STOP_STYLE,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "area_swatch_svg",
    "category_style",
    "line_swatch_svg",
    "place_icon_svg",
    "places_by_category",
    "population_swatch_svg",
    "stop_icon_svg",
]


def places_by_category(places: pd.DataFrame,
                       categories: Sequence[str]) -> Iterator[tuple[str, pd.DataFrame]]:
    """
    The places of each category, in the one order of every map's layers and legend: the
    configured ``categories`` first, then any other as found; a category without places is
    left out.
    """
    order = [*categories, *(c for c in places["category"].unique() if c not in categories)]
    for category in order:
        members = places[places["category"] == category]
        if not members.empty:
            yield category, members


_VIEW = 24.0  # the SVG viewBox is 0..24 in both directions
_HALF = _VIEW / 2


def category_style(category: str) -> dict[str, str]:
    """The colour, shape and glyph of ``category``, a place's or a resource's (a grey circle
    for unknown categories)."""
    return CATEGORY_STYLES.get(category) or RESOURCE_STYLES.get(category,
                                                                DEFAULT_CATEGORY_STYLE)


def _shape_element(shape: str, *, fill: str, stroke: str, stroke_width: float,
                   dash: str | None = None) -> str:
    spec = SHAPES.get(shape, SHAPES["circle"])
    radius = (_HALF - stroke_width) * spec["scale"]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    common = (f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width:g}" '
              f'stroke-linejoin="round"{dash_attr}')
    if spec["vertices"] is None:
        return f'<circle cx="{_HALF:g}" cy="{_HALF:g}" r="{radius:.2f}" {common}/>'
    # Unit vertices have y up; SVG has y down. Centre the shape's bounding box vertically.
    ys = [y for _, y in spec["vertices"]]
    shift = -(max(ys) + min(ys)) / 2
    points = " ".join(
        f"{_HALF + radius * x:.2f},{_HALF - radius * (y + shift):.2f}"
        for x, y in spec["vertices"]
    )
    return f'<polygon points="{points}" {common}/>'


def _glyph_y(shape: str) -> float:
    spec = SHAPES.get(shape, SHAPES["circle"])
    vertices = spec["vertices"]
    shift = 0.0
    if vertices is not None:
        ys = [y for _, y in vertices]
        shift = -(max(ys) + min(ys)) / 2
    radius = (_HALF - 1.5) * spec["scale"]
    return _HALF - radius * (spec["glyph_dy"] + shift)


def place_icon_svg(category: str, *, size_px: int = MARKER_SIZE_PX, approximate: bool = False,
                   glyph: bool = True) -> str:
    """
    The marker of a place category: its shape in its colour with a white glyph.

    Parameters
    ----------
    category
        A category of :data:`webmap.maps.style.CATEGORY_STYLES` or
        :data:`webmap.maps.style.RESOURCE_STYLES` (others get the default style).
    size_px
        Width and height on screen in CSS pixels.
    approximate
        Draw the outline dashed and a little paler: the position is only roughly known.
    glyph
        Draw the one-character glyph (small legend swatches may leave it out).

    Returns
    -------
    str
        An ``<svg>`` element (``aria-hidden``: the marker's title carries the name).
    """
    style = category_style(category)
    stroke = "#FFFFFF"
    shape = _shape_element(style["shape"], fill=style["color"], stroke=stroke,
                           stroke_width=1.5, dash="2.2 1.6" if approximate else None)
    outline = _shape_element(style["shape"], fill="none", stroke="#1B1B1B",
                             stroke_width=0.6, dash="2.2 1.6" if approximate else None)
    text = ""
    if glyph:
        text = (f'<text x="{_HALF:g}" y="{_glyph_y(style["shape"]):.2f}" dy="0.36em" '
                'text-anchor="middle" font-size="11.5" font-weight="700" fill="#FFFFFF" '
                'font-family="\'Noto Sans CJK JP\',\'Noto Sans JP\',\'Hiragino Sans\','
                f'\'Yu Gothic\',sans-serif">{escape(style["glyph"])}</text>')
    opacity = ' opacity="0.88"' if approximate else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            f'viewBox="0 0 {_VIEW:g} {_VIEW:g}" aria-hidden="true" focusable="false"{opacity}>'
            f"{shape}{outline}{text}</svg>")


def stop_icon_svg(*, size_px: int | None = None) -> str:
    """The bus-stop sign: a round plate on a short pole."""
    size = size_px or STOP_STYLE["size_px"]
    color, fill = STOP_STYLE["color"], STOP_STYLE["fill_color"]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            'viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
            f'<rect x="10.6" y="12" width="2.8" height="11" rx="1" fill="{color}"/>'
            f'<circle cx="12" cy="9" r="7.6" fill="{fill}" stroke="{color}" stroke-width="2.6"/>'
            f'<rect x="7.6" y="7.4" width="8.8" height="3.2" rx="0.8" fill="{color}"/>'
            "</svg>")


def area_swatch_svg(*, fill: str, stroke: str, fill_opacity: float, dash: str | None = None,
                    stroke_width: float = 1.5, size_px: int = 22) -> str:
    """A filled square for area layers (buffers, gaps, districts) in legends."""
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            'viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
            f'<rect x="2" y="2" width="20" height="20" rx="2" fill="{fill}" '
            f'fill-opacity="{fill_opacity:g}" stroke="{stroke}" stroke-width="{stroke_width:g}"'
            f"{dash_attr}/></svg>")


def line_swatch_svg(*, color: str, weight: float = 3.5, dash: str | None = None,
                    size_px: int = 22, casing: str | None = None) -> str:
    """A short line for line layers (bus routes, walking routes) in legends."""
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    casing_path = (f'<path d="M2 17 C8 5, 15 21, 22 8" fill="none" stroke="{casing}" '
                   f'stroke-width="{weight + 2.5:g}" stroke-linecap="round"/>' if casing else "")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            'viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
            f"{casing_path}"
            f'<path d="M2 17 C8 5, 15 21, 22 8" fill="none" stroke="{color}" '
            f'stroke-width="{weight:g}" stroke-linecap="round"{dash_attr}/></svg>')


def population_swatch_svg(*, fill: str, stroke: str, fill_opacity: float,
                          size_px: int = 22) -> str:
    """Two circles of different size: population points are sized by count."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            'viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
            f'<circle cx="14" cy="13" r="8.5" fill="{fill}" fill-opacity="{fill_opacity:g}" '
            f'stroke="{stroke}"/>'
            f'<circle cx="6" cy="18" r="3.5" fill="{fill}" fill-opacity="{fill_opacity:g}" '
            f'stroke="{stroke}"/></svg>')
