"""A scenario (計画案) on one printed sheet: its map and its table, A4 or A3, PNG or PDF.

The sheet is put together from the printed map's parts (:mod:`webmap.prints.sheet_layers`,
:mod:`webmap.prints.drawing`, :mod:`webmap.prints.layout`), so it looks like every other printed map
of :mod:`webmap.prints.sheet`, with three differences:

- the walking-reach areas and gaps are those of the scenario: the places assumed closed are
  left out and the planned ones put in (straight-line circles, as on every printed sheet);
- the planned places are drawn as stars (★, :data:`webmap.maps.style.PLANNER_STYLE`) and the
  closed ones as grey crosses where their marker was;
- beside the legend, instead of the list of places, the scenario's table: the share of
  residents within reach, いま → この案, for the city and the district, and the changes.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from geo.crs import STORAGE_CRS
from layers.study import StudyArea, analyse_study_area
from webmap.i18n import gettext as _
from webmap.maps.style import PLANNER_STYLE, straight_note
from webmap.prints.drawing import draw_map
from webmap.prints.fonts import JapaneseFont, find_japanese_font
from webmap.prints.layout import (
    SheetLayout,
    draw_footer,
    draw_header,
    draw_legend,
    panel_axes,
    sheet_layout,
    wrap_text,
)
from webmap.prints.options import SheetOptions, sheet_figure
from webmap.prints.plan_results import added_label, change_text, share_text
from webmap.prints.sheet import Sheet, created_line, save_sheet
from webmap.prints.sheet_layers import map_view, prepare_layers, sheet_places
from webmap.prints.symbols import MARKER_SIZE_PT

logger = logging.getLogger(__name__)
__all__ = ["SCENARIO_SHEET", "draw_scenario_sheet", "render_scenario_sheet"]

#: How a scenario's sheet is printed unless asked otherwise: A4 portrait PNG at 150 dpi.
SCENARIO_SHEET = SheetOptions(dpi=150)

_MM_PER_PT = 25.4 / 72


def _scenario_places(study: StudyArea, outcome: Mapping[str, Any]) -> tuple[gpd.GeoDataFrame,
                                                                             gpd.GeoDataFrame]:
    """The places kept, and those plus the planned ones (for the reach areas)."""
    removed = {item["place_id"] for item in outcome["removed"]}
    kept = study.places[~study.places["place_id"].isin(removed)]
    planned = gpd.GeoDataFrame(
        {"place_id": [f"planned{i}" for i in range(len(outcome["added"]))]},
        geometry=[shapely.Point(*item["lonlat"]) for item in outcome["added"]],
        crs=STORAGE_CRS)
    together = gpd.GeoDataFrame(pd.concat([kept, planned], ignore_index=True),
                                crs=STORAGE_CRS) if len(planned) else kept
    return kept, together


def _xy(lonlats: list[list[float]], crs: str) -> tuple[list[float], list[float]]:
    if not lonlats:
        return [], []
    points = gpd.GeoSeries([shapely.Point(*lonlat) for lonlat in lonlats],
                           crs=STORAGE_CRS).to_crs(crs)
    return list(points.x), list(points.y)


def _draw_changes(ax: Axes, study: StudyArea, outcome: Mapping[str, Any], *, crs: str,
                  size_pt: float) -> None:
    """Stars at the planned places, grey crosses over the places assumed closed."""
    style = PLANNER_STYLE
    places = study.places.set_index("place_id")
    closed = [places.loc[item["place_id"], "geometry"] for item in outcome["removed"]]
    x, y = _xy([[p.x, p.y] for p in closed if p is not None], crs)
    if x:
        ax.scatter(x, y, s=(size_pt * 0.95) ** 2, marker="o", facecolor="#FFFFFF",
                   edgecolor=style["removed_color"], linewidths=1.2, zorder=16)
        ax.scatter(x, y, s=(size_pt * 0.6) ** 2, marker="x", color=style["removed_color"],
                   linewidths=2.2, zorder=16.1)
    x, y = _xy([item["lonlat"] for item in outcome["added"]], crs)
    if x:
        ax.scatter(x, y, s=(size_pt * 1.5) ** 2, marker="*", facecolor=style["planned_color"],
                   edgecolor="#FFFFFF", linewidths=1.4, zorder=17)
        ax.scatter(x, y, s=(size_pt * 1.5) ** 2, marker="*", facecolor="none",
                   edgecolor="#1B1B1B", linewidths=0.5, zorder=17.1)


def _draw_scenario_table(fig: Figure, layout: SheetLayout, outcome: Mapping[str, Any], *,
                         font: JapaneseFont) -> None:
    """The scenario's numbers and changes in the table's room, shrunk until they fit."""
    box = layout.table
    ax = panel_axes(fig, box, layout, gid="scenario-table")
    s = layout.scale
    family = font.regular["fontfamily"][0]
    labels = {t["value"]: t["label"] for t in outcome["thresholds"]}
    areas = [(_("市全体"), outcome["city"])]
    if outcome["district"] is not None:
        areas.append((_("{district}地区").format(district=outcome["district_name"]),
                      outcome["district"]))
    blocks: list[tuple[str, bool]] = []  # (line, bold)
    for i, threshold in enumerate(outcome["thresholds"]):
        blocks.append((labels[threshold["value"]], True))
        for area, rows in areas:
            row = rows[i]
            points = (row["after"]["share"] - row["before"]["share"]
                      if row["after"]["share"] is not None and row["before"]["share"] is not None
                      else None)
            blocks.append((f"{area}　{share_text(row['before']['share'])} → "
                           f"{share_text(row['after']['share'])}　"
                           f"{change_text(row['change'], points)}", False))
    changes = [("★ " + added_label(item), False) for item in outcome["added"]]
    changes += [("× " + item["name"] + (f"（{item['district']}）" if item["district"] else ""),
                 False) for item in outcome["removed"]]
    for size in (10.0 * s, 9.0 * s, 8.0 * s, 7.0 * s, 6.5 * s):
        lines = _layout_lines(blocks, changes, box.w, size, family)
        height = sum(_MM_PER_PT * size * 1.35 * (1.15 if bold else 1) for _line, bold in lines)
        if height + 10 * s <= box.h:
            break
    else:  # too many changes: keep what fits and say how many more there are
        lines = _fit_lines(lines, box.h - 10 * s, size)
    ax.text(0, 0, _("歩いて行ける範囲に住む人（いま → この案）"), ha="left", va="top",
            fontsize=11 * s, **font.bold)
    y = 11 * s * _MM_PER_PT * 1.6
    for line, bold in lines:
        ax.text(0, y, line, ha="left", va="top", fontsize=size, color="#000000",
                **(font.bold if bold else font.regular))
        y += _MM_PER_PT * size * 1.35 * (1.15 if bold else 1)


def _layout_lines(blocks: list[tuple[str, bool]], changes: list[tuple[str, bool]],
                  width_mm: float, size: float, family: str) -> list[tuple[str, bool]]:
    lines: list[tuple[str, bool]] = []
    for line, bold in [*blocks, ("", False), (_("この案の変更"), True), *changes]:
        parts = wrap_text(line, width_mm, size, family=family) or [""]
        lines += [(part, bold) for part in parts]
    return lines


def _fit_lines(lines: list[tuple[str, bool]], height_mm: float,
               size: float) -> list[tuple[str, bool]]:
    step = _MM_PER_PT * size * 1.35 * 1.15
    keep = max(1, int(height_mm / step) - 1)
    more = len(lines) - keep
    return [*lines[:keep], (_("ほか{more}行は表（CSV）をご覧ください").format(more=more), False)]


def draw_scenario_sheet(study: StudyArea, outcome: Mapping[str, Any], *, name: str,
                        options: SheetOptions = SCENARIO_SHEET) -> Sheet:
    """
    Draw a scenario's sheet (see :func:`render_scenario_sheet`) and return it unsaved.
    """
    config = study.config
    district = outcome["district_name"]
    kept, together = _scenario_places(study, outcome)
    coverage = analyse_study_area(dataclasses.replace(study, places=together),
                                  basis=outcome.get("basis"))
    layers = prepare_layers(dataclasses.replace(study, places=kept), coverage)
    font = find_japanese_font(for_pdf=options.fmt == "pdf")
    attribution = list(config.attribution)
    layout = sheet_layout(options.paper, options.orientation, footer_lines=len(attribution),
                          qr=False, table=True)
    notes = [_("★ 新設を計画した場所"), _("× 廃止を想定した居場所"),
             straight_note(config.walking.detour_factor)]
    if outcome["method"] == "network":
        notes.append(_("計算方法：{note}").format(note=outcome["method_note"]))
    if config.districts_approximate:
        notes.append(_("地区界は概略区域です（公式の区域ではありません）"))
    if layers.basis_words:
        notes.append(_("人口は{basis}").format(basis=layers.basis_words))
    title = _("計画案「{name}」").format(name=name) + "｜" + (
        config.title if district is None else _("{district}地区").format(district=district))
    with sheet_figure(layout, options, font) as fig:
        view = map_view(layers, district, width_mm=layout.map.w, height_mm=layout.map.h)
        shown, _unlocated = sheet_places(layers, view)
        ax = fig.add_axes(layout.map.in_figure(layout.width_mm, layout.height_mm), gid="map")
        legend = draw_map(ax, layers, view, shown, width_mm=layout.map.w, numbered=False,
                          font=font.regular, bold=font.bold, scale=layout.scale,
                          grid=options.grid)
        _draw_changes(ax, study, outcome, crs=layers.metric_crs,
                      size_pt=MARKER_SIZE_PT * layout.scale)
        labels = draw_legend(fig, layout, legend, notes=notes, font=font.regular,
                             bold=font.bold, greyscale=False)
        _draw_scenario_table(fig, layout, outcome, font=font)
        basis = outcome["basis_label"] or ""
        lines = [created_line(options, view, layout),
                 _("計算方法：{note}").format(note=outcome["method_note"])
                 + ("　" + _("人口は{basis}で数えています").format(basis=basis) if basis else "")]
        draw_header(fig, layout, title=title, lines=lines, font=font.regular, bold=font.bold)
        draw_footer(fig, layout, attribution, font=font.regular)
    logger.info("Drew the scenario sheet %r: %d planned, %d closed", name,
                len(outcome["added"]), len(outcome["removed"]))
    return Sheet(figure=fig, layout=layout, view=view, map_axes=ax, title=title,
                 legend_labels=labels, places=shown, table_rows=[], font=font,
                 dpi=options.dpi)


def render_scenario_sheet(study: StudyArea, outcome: Mapping[str, Any], *, name: str,
                          options: SheetOptions = SCENARIO_SHEET) -> bytes:
    """
    A scenario's printable sheet as the bytes of a PNG, PDF or SVG file.

    Parameters
    ----------
    study
        The study area.
    outcome
        The scenario's numbers and changes (:func:`webmap.web.planner.results.scenario_outcome`);
        its ``district_name`` (or None for the city) is the area the map shows.
    name
        The scenario's name, printed in the title.
    options
        Its paper, orientation, dpi, format and date
        (:class:`webmap.prints.options.SheetOptions`; the sheet is in colour, with the
        scenario's table and no QR code). Default: :data:`SCENARIO_SHEET`.

    Raises
    ------
    RuntimeError
        If no Japanese font is installed.
    """
    sheet = draw_scenario_sheet(study, outcome, name=name, options=options)
    data = save_sheet(sheet, options.fmt)
    sheet.figure.clear()
    return data
