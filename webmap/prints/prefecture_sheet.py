"""The A3 sheet of a prefecture batch: its municipalities coloured by one indicator.

Drawn offline from the batch GeoPackage (:mod:`layers.batch`), like the other sheets: the
municipalities' outlines in a metric CRS (UTM, estimated from the outlines), filled by five
classes of the indicator (0–20 %, … 80–100 %; grey where there is no value), each named;
the legend, the municipalities ranked by the indicator, the scale bar, the north arrow and
every 出典 line. Names from the data are drawn as text, never as markup or mathtext.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from layers.batch import read_batch
from layers.files.atomic import write_atomic
from webmap.i18n import gettext as _
from webmap.maps.prefecture import INDICATORS, indicator_label
from webmap.prints.drawing import LegendEntry, draw_scale_and_north, frame_map_axes
from webmap.prints.fonts import JapaneseFont, find_japanese_font
from webmap.prints.layout import (
    SheetLayout,
    draw_footer,
    draw_header,
    draw_legend,
    panel_axes,
    sheet_layout,
    text_width_mm,
)
from webmap.prints.options import SheetOptions, sheet_figure, sheet_settings
from webmap.prints.sheet import created_line
from webmap.prints.sheet_layers import MapView, polygon_path, true_north_deg
from webmap.prints.symbols import AreaStyle, paint

__all__ = ["CLASS_COLOURS", "prefecture_sheet_name", "render_prefecture_sheet",
           "write_prefecture_sheets"]

#: Five classes of a share, 0–20 % … 80–100 % (ColorBrewer Blues, light to dark).
CLASS_COLOURS = ("#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C")
_NO_VALUE = "#D9D9D9"
_MM_PER_PT = 25.4 / 72
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="#FFFFFF")]


def prefecture_sheet_name(fmt: str, paper: str = "A3") -> str:
    """The file a batch writes the sheet to, e.g. ``prefecture-A3.pdf``."""
    return f"prefecture-{paper}.{fmt}"


def _class_of(value: float) -> int | None:
    """The class (0–4) of a share, None without a value."""
    if value is None or math.isnan(value):
        return None
    return min(int(value * 5), 4) if value >= 0 else 0


def _style(colour: str, greyscale: bool) -> AreaStyle:
    return AreaStyle(face=paint(colour, greyscale=greyscale), face_alpha=1.0, edge="#333333",
                     linewidth_pt=0.5)


def render_prefecture_sheet(areas: gpd.GeoDataFrame, *, title: str,
                            indicator: str = "public_uncovered_share_500m",
                            attribution: Sequence[str] = (),
                            options: SheetOptions | None = None) -> bytes:
    """
    The prefecture's sheet as the bytes of a PNG, PDF or SVG file.

    Parameters
    ----------
    areas
        The batch's ``municipalities`` layer (outline, ``municipality``, ``population`` and
        the indicator's column).
    title
        The prefecture, e.g. 群馬県.
    indicator
        A key of :data:`webmap.maps.prefecture.INDICATORS`.
    attribution
        The 出典 lines, printed at the foot.
    options
        Paper, orientation, dpi, format, greys (default: A3 landscape PNG at 300 dpi).

    Raises
    ------
    ValueError
        An unknown indicator, or no municipality.
    RuntimeError
        If no Japanese font is installed.
    """
    if indicator not in INDICATORS:
        msg = f"unknown indicator {indicator!r}; use one of: {', '.join(INDICATORS)}."
        raise ValueError(msg)
    if not len(areas):
        msg = "no municipality to draw: run the batch first."
        raise ValueError(msg)
    options = options or SheetOptions(paper="A3", orientation="landscape")
    metric = areas.to_crs(areas.estimate_utm_crs())
    metric = metric.set_geometry(metric.geometry.simplify(  # below a tenth of a mm on paper
        _metres_per_mm(metric, options) / 10))
    font = find_japanese_font(for_pdf=options.fmt == "pdf")
    lines = list(dict.fromkeys(attribution))
    layout = sheet_layout(options.paper, options.orientation, footer_lines=max(len(lines), 1),
                          qr=False, table=True)
    label = indicator_label(indicator)
    with sheet_figure(layout, options, font) as fig:
        view = _view(metric, layout)
        ax = fig.add_axes(layout.map.in_figure(layout.width_mm, layout.height_mm), gid="map")
        legend = _draw_areas(ax, metric, view, indicator, layout, font, options.greyscale)
        centre = areas.to_crs(4326).union_all().centroid
        draw_scale_and_north(ax, view, width_mm=layout.map.w,
                             north_deg=true_north_deg(centre.x, centre.y, str(metric.crs)),
                             font=font.regular, bold=font.bold, scale=layout.scale)
        notes = [_("自宅から最も近い施設までの直線距離による概算です。人数は総人口です。"),
                 _("居場所の一覧がない市町村では公共施設（指定避難所）までの徒歩圏です。"
                   "公共施設は居場所ではありません。")]
        draw_legend(fig, layout, legend, notes=notes, font=font.regular, bold=font.bold,
                    greyscale=options.greyscale)
        _draw_ranking(fig, layout, areas, indicator, font)
        draw_header(fig, layout, title=f"{title}｜{label}",
                    lines=[created_line(options, view, layout),
                           _("{count}市町村・人口{people:,.0f}人").format(
                               count=len(areas), people=float(areas["population"].sum()))],
                    font=font.regular, bold=font.bold)
        draw_footer(fig, layout, lines, font=font.regular)
    buffer = io.BytesIO()
    metadata = ({"Title": title, "Creator": "ibasho"} if options.fmt in ("pdf", "svg")
                else {"Title": title, "Software": "ibasho"})
    with sheet_settings(font):
        fig.savefig(buffer, format=options.fmt, dpi=options.dpi, metadata=metadata,
                    facecolor="#FFFFFF")
    return buffer.getvalue()


def _metres_per_mm(metric: gpd.GeoDataFrame, options: SheetOptions) -> float:
    """About how many metres a millimetre of the map is on this paper (for simplifying)."""
    layout = sheet_layout(options.paper, options.orientation, footer_lines=1, qr=False)
    minx, miny, maxx, maxy = metric.total_bounds
    return max((maxx - minx) / layout.map.w, (maxy - miny) / layout.map.h)


def _view(metric: gpd.GeoDataFrame, layout: SheetLayout) -> MapView:
    """The outlines' extent with a margin, widened to the map box's shape."""
    minx, miny, maxx, maxy = metric.total_bounds
    margin = 0.03 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - margin, miny - margin, maxx + margin, maxy + margin
    per_mm = max((maxx - minx) / layout.map.w, (maxy - miny) / layout.map.h)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w, half_h = per_mm * layout.map.w / 2, per_mm * layout.map.h / 2
    return MapView(None, (cx - half_w, cy - half_h, cx + half_w, cy + half_h))


def _draw_areas(ax: Axes, metric: gpd.GeoDataFrame, view: MapView, indicator: str,
                layout: SheetLayout, font: JapaneseFont,
                greyscale: bool) -> list[LegendEntry]:
    """The municipalities filled by class and named; the legend of the classes drawn."""
    frame_map_axes(ax, view)
    classes = [_class_of(float(v)) for v in metric[indicator].astype(float)]
    section = indicator_label(indicator)
    legend = []
    for index, colour in [*enumerate(CLASS_COLOURS), (None, _NO_VALUE)]:
        chosen = [g for g, c in zip(metric.geometry, classes, strict=True) if c == index]
        path = polygon_path(chosen)
        style = _style(colour, greyscale)
        if path is not None:
            for patch in style.patch(path, zorder=2):
                ax.add_patch(patch)
        text = (_("データなし") if index is None
                else f"{index * 20}–{(index + 1) * 20} %")
        legend.append(LegendEntry(section, text, "area", area=style))
    size = 6.5 * layout.scale
    for name, geometry in zip(metric["municipality"], metric.geometry, strict=True):
        point = geometry.representative_point()
        ax.text(point.x, point.y, str(name), ha="center", va="center", fontsize=size,
                zorder=10, gid="area-name", path_effects=_HALO, **font.regular)
    return legend


def _draw_ranking(fig: Figure, layout: SheetLayout, areas: gpd.GeoDataFrame, indicator: str,
                  font: JapaneseFont) -> None:
    """The municipalities by the indicator, highest first, in as many columns as fit."""
    box = layout.table
    if box is None:
        return
    ax = panel_axes(fig, box, layout, gid="ranking")
    s = layout.scale
    ax.text(0, 0, _("市町村の順位（割合の高い順）"), ha="left", va="top", fontsize=10 * s,
            **font.bold)
    ranked = areas.assign(value=areas[indicator].astype(float)).sort_values(
        "value", ascending=False, na_position="last")
    top = 10 * s * _MM_PER_PT * 1.6
    for columns in (1, 2, 3):
        fontsize = 8.0 * s
        rows_per_column = math.ceil(len(ranked) / columns)
        row_h = fontsize * _MM_PER_PT * 1.3
        while top + (rows_per_column + 1) * row_h > box.h and fontsize > 6.5 * s:
            fontsize -= 0.25 * s
            row_h = fontsize * _MM_PER_PT * 1.3
        if top + (rows_per_column + 1) * row_h <= box.h:
            break
    column_w = box.w / columns
    gap = 3.0 * s  # between the table's columns of rows
    # (x as a share of a column, alignment): rank and name from the left, numbers right
    places = ((0.09, "right"), (0.12, "left"), (0.70, "right"), (0.96, "right"))
    headers = (_("順位"), _("市町村"), _("人口"), _("割合"))
    family = font.regular["fontfamily"][0]
    name_w = ((places[2][0] - places[1][0]) * (column_w - gap)
              - max(text_width_mm(f"{float(p):,.0f}", fontsize, family=family)
                    for p in ranked["population"]) - 1.0 * s)
    for column in range(columns):
        x0 = column * column_w
        ax.add_patch(Rectangle((x0, top), column_w - gap, row_h, facecolor="#E0E0E0",
                               edgecolor="none"))
        for (share, align), text in zip(places, headers, strict=True):
            ax.text(x0 + share * (column_w - gap), top + 0.3, text, ha=align, va="top",
                    fontsize=fontsize, **font.bold)
    for i, row in enumerate(ranked.itertuples()):
        column, line = divmod(i, rows_per_column)
        x0, y = column * column_w, top + (line + 1) * row_h
        value = float(row.value)
        name = str(row.municipality)
        while len(name) > 1 and text_width_mm(name, fontsize, family=family) > name_w:
            name = name[:-2] + "…"
        cells = ("" if math.isnan(value) else str(i + 1), name,
                 f"{float(row.population):,.0f}",
                 "—" if math.isnan(value) else f"{100 * value:.1f} %")
        for (share, align), text in zip(places, cells, strict=True):
            ax.text(x0 + share * (column_w - gap), y + 0.3, text, ha=align, va="top",
                    fontsize=fontsize, gid="ranking-cell", **font.regular)
        ax.plot([x0, x0 + column_w - gap], [y + row_h, y + row_h], color="#BDBDBD",
                linewidth=0.3)


def write_prefecture_sheets(gpkg: str | Path, out_dir: str | Path, *, title: str,
                            indicator: str = "public_uncovered_share_500m",
                            attribution: Sequence[str] = (),
                            formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """
    Write the A3 landscape sheet of a batch GeoPackage into ``out_dir``, once per format
    (:func:`prefecture_sheet_name`), each file atomically.

    Raises
    ------
    ValueError
        A GeoPackage without municipalities, or an unknown indicator.
    """
    areas = read_batch(gpkg).get("municipalities")
    if areas is None or not len(areas):
        msg = f"{gpkg} has no municipalities: run the batch first."
        raise ValueError(msg)
    written = []
    for fmt in formats:
        data = render_prefecture_sheet(
            areas, title=title, indicator=indicator, attribution=attribution,
            options=SheetOptions(paper="A3", orientation="landscape", fmt=fmt))
        path = Path(out_dir) / prefecture_sheet_name(fmt)
        write_atomic(path, data)
        written.append(path)
    return written
