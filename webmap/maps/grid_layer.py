"""The grid of walking minutes to the nearest place as a toggle layer of the web map.

Drawn from :attr:`layers.analysis.Plan.grid` (:mod:`geo.coverage.minutes_grid`): each cell where
someone of the basis lives is drawn on its own, coloured by its minutes band, with the
minutes and the people in its tooltip; cells where nobody lives are merged per band into one
faint shape, so the city's 7,500 cells cost a few features, not thousands. The legend says
which people are counted and how the minutes were measured.
"""

from __future__ import annotations

import logging
from html import escape

import geopandas as gpd
import numpy as np
import shapely

from layers.analysis import Plan
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.maps import popups
from webmap.maps.elements import map_geojson
from webmap.maps.geojson import feature_collection
from webmap.maps.panels import LegendRow, layer_name
from webmap.maps.style import GRID_STYLE, basis_heading, grid_band_labels, straight_note
from webmap.maps.symbols import area_swatch_svg

logger = logging.getLogger(__name__)
__all__ = ["grid_cells_in_view", "grid_heading", "grid_layers", "grid_tooltip"]


def grid_heading(study: StudyArea, plan: Plan) -> str:
    """The grid's title: what it shows, whose people, how measured."""
    grid = plan.grid
    assert grid is not None  # callers check
    how = (_("道のり") if grid.method == "network"
           else straight_note(study.config.walking.detour_factor))
    return _("最寄りの居場所までの徒歩分数（{basis}・{how}）").format(
        basis=basis_heading(grid.basis, has_age65=_has_age65(study)), how=how)


def _has_age65(study: StudyArea) -> bool:
    population = study.population
    return population is not None and len(population) > 0 and bool(
        "age65" in population and population["age65"].notna().all())


def grid_tooltip(cell: dict, *, basis: str | None, has_age65: bool) -> str:
    """One cell: its band and minutes, and the people of the basis living in it."""
    band = grid_band_labels()[int(cell["band"])]
    minutes = cell.get("minutes")
    walk = (_("徒歩約{minutes:.0f}分").format(minutes=minutes)
            if minutes is not None and np.isfinite(minutes) else _("20分以内に居場所なし"))
    lines = [f"<strong>{escape(band)}</strong>", escape(walk)]
    if basis is not None:
        lines.append(escape(f"{basis_heading(basis, has_age65=has_age65)} "
                            f"{popups.format_people(cell.get('people'))}"))
    return "<br>".join(lines)


def grid_cells_in_view(plan: Plan, box: shapely.Geometry | None) -> gpd.GeoDataFrame | None:
    """The grid's cells touching ``box`` (None: all), or None without a grid."""
    if plan.grid is None or plan.grid.cells.empty:
        return None
    cells = plan.grid.cells
    if box is not None:
        cells = cells[cells.intersects(box)]
    return cells


def grid_layers(study: StudyArea, plan: Plan | None, *, box: shapely.Geometry | None,
                show: bool = False) -> list:
    """
    One toggle layer (off when the map opens): the cells coloured by minutes to the nearest
    place, the people of the basis in each; one legend row per band.
    """
    if plan is None:
        return []
    cells = grid_cells_in_view(plan, box)
    if cells is None or cells.empty:
        return []
    grid = plan.grid
    assert grid is not None
    has_age65 = _has_age65(study)
    colors = GRID_STYLE["colors"]
    lived = cells[cells["people"].fillna(0) > 0]
    empty = cells[~(cells["people"].fillna(0) > 0)]
    # the cells tile the area without overlaps: a coverage union (10× faster than union_all)
    merged = [(band, shapely.coverage_union_all(empty.geometry[empty["band"] == band].to_numpy()))
              for band in sorted(empty["band"].unique())]
    merged_frame = gpd.GeoDataFrame({"band": [band for band, _ in merged]},
                                    geometry=[shape for _, shape in merged], crs=cells.crs)
    extra = [{"style": {"color": colors[band], "weight": 0, "fillColor": colors[band],
                        "fillOpacity": GRID_STYLE["empty_opacity"]},
              "tooltip": escape(grid_band_labels()[band] + "・" + _("住む人なし"))}
             for band in merged_frame["band"]]
    extra += [{"style": {"color": GRID_STYLE["color"], "weight": GRID_STYLE["weight"],
                         "fillColor": colors[int(cell["band"])],
                         "fillOpacity": GRID_STYLE["fill_opacity"]},
               "sticky": True,
               "tooltip": grid_tooltip(cell, basis=grid.basis, has_age65=has_age65)}
              for cell in lived.drop(columns="geometry").to_dict(orient="records")]
    shown = gpd.GeoDataFrame(
        {"cell": [""] * len(merged_frame) + lived["cell"].tolist(),
         "band": [*merged_frame["band"], *lived["band"]],
         "minutes": [None] * len(merged_frame) + [None if not np.isfinite(m) else round(m, 1)
                                                  for m in lived["minutes"]],
         "people": [None] * len(merged_frame) + lived["people"].round(1).tolist()},
        geometry=[*merged_frame.geometry, *lived.geometry], crs=cells.crs)
    data = feature_collection(shown, properties=["cell", "band", "minutes", "people"],
                              extra=extra)
    heading = grid_heading(study, plan)
    symbol = area_swatch_svg(fill=colors[2], stroke=GRID_STYLE["color"],
                             fill_opacity=GRID_STYLE["fill_opacity"])
    layer = map_geojson(data, name=layer_name(symbol, _("徒歩分数グリッド")), show=show,
                        pane="ibasho-shading")
    section = _("徒歩分数グリッド")
    rows = [LegendRow(section, symbol, heading)]
    rows += [LegendRow(section, area_swatch_svg(fill=color, stroke=GRID_STYLE["color"],
                                                fill_opacity=GRID_STYLE["fill_opacity"],
                                                stroke_width=1, size_px=18), label)
             for color, label in zip(colors, grid_band_labels(), strict=True)]
    logger.info("Grid layer: %d cells with people, %d merged shapes", len(lived), len(merged))
    return [(layer, rows)]
