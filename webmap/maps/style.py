"""One style for every map: colours, marker shapes, glyphs, and the words for coded values.

Data only (dicts, tuples and strings), so the web map (``webmap/maps/build.py``) and a printed
A4 map (matplotlib) draw the same symbols with the same words. The words themselves are
in the app's one catalogue (:mod:`webmap.i18n`); the functions at the end only turn a coded
value (a population basis, a position quality, a day type) into its words. Marker shapes are
given as vertices on a unit circle (centre ``(0, 0)``, y up), which both SVG and
``matplotlib.path.Path`` can use, plus the nearest matplotlib marker code.

Colours are dark enough for a white glyph (contrast ≥ 4.5:1) and categories differ by
shape as well as colour, so the map still reads in greyscale and for colour-blind readers.
"""

from __future__ import annotations

import math

from webmap.i18n import N_, SOURCE_LOCALE, gettext_for
from webmap.i18n import gettext as _

__all__ = [
    "BACKGROUND_COLOR",
    "BUFFER_OPACITY",
    "BUS_REACH_STYLE",
    "CATEGORY_STYLES",
    "DEFAULT_CATEGORY_STYLE",
    "DISTRICT_STYLE",
    "GAP_STYLE",
    "GRID_STYLE",
    "ISOCHRONE_COLORS",
    "ISOCHRONE_OPACITY",
    "MARKER_SIZE_PX",
    "NETWORK_GAP_STYLE",
    "PLANNER_STYLE",
    "POPULATION_STYLE",
    "PRINT_HATCHES",
    "RADIUS_COLORS",
    "RESOURCE_MARKER_SIZE_PX",
    "RESOURCE_STYLES",
    "ROUTE_STYLE",
    "SHAPES",
    "STOP_STYLE",
    "SUGGESTION_STYLE",
    "UNCOVERED_STYLE",
    "WALKING_ROUTE_STYLE",
    "basis_heading",
    "basis_label",
    "basis_short",
    "day_type_labels",
    "grid_band_labels",
    "position_note",
    "straight_note",
]


def _regular_polygon(sides: int, *, rotation_deg: float = 90.0,
                     radius: float = 1.0) -> tuple[tuple[float, float], ...]:
    """Vertices of a regular polygon on a circle of ``radius``, the first at ``rotation_deg``."""
    return tuple(
        (round(radius * math.cos(math.radians(rotation_deg + 360.0 * i / sides)), 4),
         round(radius * math.sin(math.radians(rotation_deg + 360.0 * i / sides)), 4))
        for i in range(sides)
    )


#: Marker shapes: ``vertices`` on the unit circle (None for a circle), the matplotlib marker
#: code, and where the glyph's centre sits (``glyph_dy``, unit coordinates, y up) so that it
#: fits inside shapes that are not symmetric (a triangle's glyph sits low).
SHAPES: dict[str, dict] = {
    "circle": {"vertices": None, "mpl_marker": "o", "glyph_dy": 0.0, "scale": 0.92},
    "square": {"vertices": _regular_polygon(4, rotation_deg=45.0), "mpl_marker": "s",
               "glyph_dy": 0.0, "scale": 1.12},
    "triangle": {"vertices": _regular_polygon(3), "mpl_marker": "^", "glyph_dy": -0.22,
                 "scale": 1.3},
    "triangle_down": {"vertices": _regular_polygon(3, rotation_deg=-90.0), "mpl_marker": "v",
                      "glyph_dy": 0.22, "scale": 1.3},
    "diamond": {"vertices": _regular_polygon(4), "mpl_marker": "D", "glyph_dy": 0.0,
                "scale": 1.12},
    "pentagon": {"vertices": _regular_polygon(5), "mpl_marker": "p", "glyph_dy": -0.05,
                 "scale": 1.0},
    "hexagon": {"vertices": _regular_polygon(6), "mpl_marker": "h", "glyph_dy": 0.0,
                "scale": 0.98},
    "octagon": {"vertices": _regular_polygon(8, rotation_deg=22.5), "mpl_marker": "8",
                "glyph_dy": 0.0, "scale": 0.96},
}

#: Per place category: fill colour, marker shape (a key of :data:`SHAPES`) and one glyph. The
#: categories are msgids too (``N_``), so the resident page can name them in English.
CATEGORY_STYLES: dict[str, dict[str, str]] = {
    N_("居場所"): {"color": "#C0391B", "shape": "circle", "glyph": "居"},
    N_("サロン"): {"color": "#A23A86", "shape": "pentagon", "glyph": "サ"},
    N_("公民館"): {"color": "#1F5FA8", "shape": "square", "glyph": "公"},
    N_("町内公民館"): {"color": "#00707A", "shape": "octagon", "glyph": "町"},
    N_("集会所"): {"color": "#2E7D32", "shape": "triangle", "glyph": "集"},
    N_("長寿センター"): {"color": "#A65F00", "shape": "hexagon", "glyph": "長"},
    N_("福祉センター"): {"color": "#6A3D9A", "shape": "diamond", "glyph": "福"},
    N_("コミュニティセンター"): {"color": "#5D4037", "shape": "triangle_down", "glyph": "コ"},
}

#: Per community resource category (``config.resource_categories``), as
#: :data:`CATEGORY_STYLES`: the map layer 「地域の支え合い・資源」 draws them smaller than places
#: (:data:`RESOURCE_MARKER_SIZE_PX`); msgids too, for the resident page.
RESOURCE_STYLES: dict[str, dict[str, str]] = {
    N_("認知症カフェ"): {"color": "#AD1457", "shape": "square", "glyph": "認"},
    N_("助け合い活動"): {"color": "#EF6C00", "shape": "hexagon", "glyph": "助"},
    N_("見守り活動"): {"color": "#0277BD", "shape": "octagon", "glyph": "見"},
    N_("移動販売"): {"color": "#558B2F", "shape": "diamond", "glyph": "移"},
    N_("配食・買い物支援"): {"color": "#6D4C41", "shape": "pentagon", "glyph": "配"},
    N_("ウォーキング"): {"color": "#00838F", "shape": "triangle", "glyph": "歩"},
}

#: Resource markers on the maps (CSS pixels): smaller than places, which they must not hide.
RESOURCE_MARKER_SIZE_PX = 24

#: For a category a config adds that has no style of its own.
DEFAULT_CATEGORY_STYLE: dict[str, str] = {"color": "#455A64", "shape": "circle", "glyph": "他"}

#: Place markers: the size on screen in CSS pixels (the glyph is about half of it).
MARKER_SIZE_PX = 30

#: Map background, visible where tiles cannot load (offline): vector layers carry the map.
BACKGROUND_COLOR = "#F2EFE8"

#: Fill colours of the walking-reach buffers, smallest radius first (extra radii reuse the last).
RADIUS_COLORS: tuple[str, ...] = ("#1B7837", "#4DAC26", "#7FBF7B", "#A6DBA0", "#D9F0D3")

#: Buffer fill opacity (the map underneath must stay readable).
BUFFER_OPACITY = 0.28

#: Areas no place reaches.
GAP_STYLE: dict = {"color": "#B2182B", "fill_color": "#E4572E", "fill_opacity": 0.22,
                   "weight": 1.2, "dash_array": "3 4"}

#: District outlines; approximate districts are dashed.
DISTRICT_STYLE: dict = {
    "color": "#263238", "weight": 2.0, "dash_array_approximate": "7 5",
    "selected_color": "#000000", "selected_weight": 4.5, "selected_fill": "#FFF59D",
    "selected_fill_opacity": 0.12, "other_color": "#607D8B", "other_weight": 1.5,
}

#: Population points: circles with area proportional to the count.
POPULATION_STYLE: dict = {"color": "#4A148C", "fill_color": "#8E24AA", "fill_opacity": 0.30,
                          "weight": 1.0, "min_radius_px": 3.0, "max_radius_px": 18.0}

#: 「バスを使えば行ける」: residents who cannot walk to a place but can get there by bus
#: (teal, unlike the purple population and the blue isochrones; the same size rule).
BUS_REACH_STYLE: dict = {"color": "#00695C", "fill_color": "#26A69A", "fill_opacity": 0.55,
                         "weight": 1.2, "min_radius_px": 3.0, "max_radius_px": 18.0}

#: Bus stops and their clusters.
STOP_STYLE: dict = {"color": "#1A237E", "fill_color": "#FFFFFF", "size_px": 18,
                    "cluster_color": "#283593"}

#: Bus route lines (their own colour comes from the data; this is the casing and fallback).
ROUTE_STYLE: dict = {"weight": 3.5, "opacity": 0.85, "casing_color": "#FFFFFF",
                     "fallback_color": "#3388FF"}

#: Walking routes (散歩コース).
WALKING_ROUTE_STYLE: dict = {"color": "#6D4C41", "weight": 4.0, "dash_array": "1 7",
                             "opacity": 0.95}


#: Hatch patterns (matplotlib codes) of area layers on black-and-white printed sheets.
PRINT_HATCHES: dict[str, str] = {"buffer": "..", "gap": "////"}


# ---- planning: network reach, uncovered people, suggested sites (webmap/plan_layers.py) ----

#: Fill colours of the network isochrones (徒歩N分圏・道のり), shortest first. Blues, so they
#: never look like the green straight-line circles they are compared with.
ISOCHRONE_COLORS: tuple[str, ...] = ("#08519C", "#3182BD", "#6BAED6", "#9ECAE1", "#C6DBEF")

#: Isochrone fill opacity.
ISOCHRONE_OPACITY = 0.30

#: Areas the network does not reach: solid outline, where the straight-line gaps are dashed.
NETWORK_GAP_STYLE: dict = {"color": "#7F0000", "fill_color": "#D7301F", "fill_opacity": 0.25,
                           "weight": 1.6}

#: Districts shaded by the share of residents beyond walking reach: class limits (shares,
#: ascending) and one colour per class (ColorBrewer OrRd, readable in greyscale).
UNCOVERED_STYLE: dict = {
    "limits": (0.2, 0.4, 0.6, 0.8),
    "colors": ("#FEF0D9", "#FDCC8A", "#FC8D59", "#E34A33", "#B30000"),
    "fill_opacity": 0.55, "color": "#5D4037", "weight": 1.0,
}

#: The grid of walking minutes to the nearest place: one colour per band (≤ 5, ≤ 10, ≤ 15,
#: ≤ 20, > 20 min; ColorBrewer YlGnBu reversed, dark = far, readable in greyscale), cells
#: where nobody of the basis lives drawn as an outline only.
GRID_STYLE: dict = {
    "colors": ("#FFFFCC", "#C7E9B4", "#7FCDBB", "#2C7FB8", "#253494"),
    "fill_opacity": 0.6, "color": "#5A5A5A", "weight": 0.3, "empty_opacity": 0.08,
}

#: Suggested sites: a yellow badge with a black number (the rank), unlike any place marker.
SUGGESTION_STYLE: dict = {"fill_color": "#FFD600", "color": "#1B1B1B", "text_color": "#1B1B1B",
                          "size_px": 30, "stroke_width": 2.0}


# ---- the planner page (/plan): what-if scenarios for councils (webmap/planner.py) ----------

#: Markers of the planner map: planned (new) places, places assumed closed, candidate sites.
PLANNER_STYLE: dict = {"planned_color": "#D81B60", "planned_text": "#FFFFFF",
                       "planned_size_px": 34, "removed_color": "#757575",
                       "candidate_color": "#37474F", "candidate_fill": "#FFFFFF",
                       "reach_color": "#1B7837", "reach_opacity": 0.16,
                       "planned_reach_color": "#D81B60"}


# ---- words for coded values (the words are msgids of the catalogue, webmap/i18n.py) --------

def basis_label(basis: str) -> str:
    """
    Which count population figures are (``CoverageResult.basis``); an unknown basis as it is.

    Examples
    --------
    >>> basis_label("age65"), basis_label("total"), basis_label("households")
    ('65歳以上人口', '総人口', 'households')
    """
    return {"total": _("総人口"), "age65": _("65歳以上人口"), "age75": _("75歳以上人口"),
            "age85": _("85歳以上人口")}.get(basis, basis)


def basis_heading(basis: str | None, *, has_age65: bool) -> str:
    """
    Which people a page, legend or sheet counts, in words for a heading: the band, and why
    when it is the total only for want of age data.

    Examples
    --------
    >>> basis_heading("age75", has_age65=True)
    '75歳以上人口'
    >>> basis_heading("total", has_age65=False)
    '総人口（65歳以上の人数のデータがないため）'
    >>> basis_heading(None, has_age65=False)
    '人口データなし'
    """
    if basis is None:
        return _("人口データなし")
    if basis == "total" and not has_age65:
        return _("総人口（65歳以上の人数のデータがないため）")
    return basis_label(basis)


def basis_short(basis: str | None, *, has_age65: bool) -> str:
    """
    Which people a sheet counts, short enough for a legend heading or a sheet's subtitle.

    Examples
    --------
    >>> basis_short("age65", has_age65=True)
    '65歳以上人口'
    >>> basis_short("total", has_age65=False)
    '総人口（年齢別データなし）'
    """
    if basis is None:
        return _("人口データなし")
    if basis == "total" and not has_age65:
        return _("総人口（年齢別データなし）")
    return basis_label(basis)


def grid_band_labels() -> list[str]:
    """
    The words of the minutes grid's bands (:data:`geo.coverage.minutes_grid.GRID_BANDS_MINUTES`).

    Examples
    --------
    >>> grid_band_labels()
    ['5分以内', '5〜10分', '10〜15分', '15〜20分', '20分超']
    """
    return [_("5分以内"), _("5〜10分"), _("10〜15分"), _("15〜20分"), _("20分超")]


def position_note(quality: str) -> str:
    """
    How good a place's position is (``position_quality``); unknown values as 位置未確認.

    Examples
    --------
    >>> position_note("approx")
    '位置はおおよそ（付近のバス停の位置）'
    """
    return {"exact": _("位置は施設データ"),
            "approx": _("位置はおおよそ（付近のバス停の位置）")}.get(quality, _("位置未確認"))


def day_type_labels(*, locale: str = SOURCE_LOCALE) -> dict[str, str]:
    """
    The day types of :func:`layers.files.timetable.day_type` in words.

    Examples
    --------
    >>> day_type_labels()["saturday"], day_type_labels(locale="en")["holiday"]
    ('土曜', 'public holiday')
    """
    _ = gettext_for(locale)
    return {"weekday": _("平日"), "saturday": _("土曜"), "sunday": _("日曜"),
            "holiday": _("祝日")}


def straight_note(detour_factor: float) -> str:
    """
    The method, stated wherever straight-line numbers or buffers are shown.

    Examples
    --------
    >>> straight_note(1.3)
    '直線距離による概算（迂回係数1.3）'
    """
    return _("直線距離による概算（迂回係数{detour_factor:g}）").format(detour_factor=detour_factor)
