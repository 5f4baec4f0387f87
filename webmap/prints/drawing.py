"""The map panel of a printed sheet: the web map's layers, drawn by matplotlib in metres.

Everything is drawn in the study area's metric CRS (``config.metric_crs``), so one data unit
is one metre on the ground and the scale bar is true. No tiles are needed: the background is
drawn from the data (the study boundary, districts, bus routes faintly, and streets and rivers
when they are given). The layers and their styles are those the web map shows when it opens
(:mod:`webmap.maps.build`): places by category, districts, bus stops, walking routes, the default
walking radius and the gaps beyond the largest radius. The layers come projected and cut by
:mod:`webmap.prints.sheet_layers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.patches import FancyBboxPatch, PathPatch, Polygon, Rectangle

from webmap.i18n import gettext as _
from webmap.maps.popups import format_people
from webmap.maps.style import (
    BACKGROUND_COLOR,
    BUS_REACH_STYLE,
    DISTRICT_STYLE,
    GRID_STYLE,
    RADIUS_COLORS,
    ROUTE_STYLE,
    WALKING_ROUTE_STYLE,
    grid_band_labels,
)
from webmap.maps.symbols import places_by_category
from webmap.prints.sheet_layers import MapView, PrintLayers, line_path, polygon_path
from webmap.prints.symbols import (
    MARKER_SIZE_PT,
    PX_TO_PT,
    AreaStyle,
    LineStyle,
    area_style,
    buffer_area_style,
    draw_place_markers,
    draw_stops,
    gap_area_style,
    paint,
)

__all__ = ["LegendEntry", "draw_map", "draw_scale_and_north", "frame_map_axes",
           "scale_bar_length_m"]

_HALO = [patheffects.withStroke(linewidth=2.6, foreground="#FFFFFF")]


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: its section, text and how its symbol is drawn."""

    section: str
    label: str
    kind: str  # "place", "area", "line" or "stop"
    category: str = ""
    approximate: bool = False
    area: AreaStyle | None = None
    line: LineStyle | None = None


def scale_bar_length_m(map_width_m: float) -> float:
    """A round length up to a fifth of the map's width: 100 m, 200 m, 500 m, 1 km …"""
    target = map_width_m / 5
    steps = [m * 10 ** k for k in range(1, 6) for m in (1, 2, 5)]
    fitting = [s for s in steps if s <= target]
    return fitting[-1] if fitting else steps[0]


class _Drawing:
    """The state of one map being drawn: axes, view, paper scale and options."""

    def __init__(self, ax: Axes, layers: PrintLayers | None, view: MapView, *, width_mm: float,
                 greyscale: bool, font: dict, bold: dict, scale: float,
                 north_deg: float | None = None) -> None:
        self.ax, self.layers, self.view = ax, layers, view
        #: Grid north to true north, clockwise (the layers' unless given).
        self.north_deg = north_deg if north_deg is not None or layers is None \
            else layers.north_deg
        self.greyscale, self.font, self.bold, self.scale = greyscale, font, bold, scale
        self.metres_per_mm = view.width_m / width_mm
        pad = 2 * self.metres_per_mm
        minx, miny, maxx, maxy = view.bounds
        self.clip_box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        self.box = shapely.box(*self.clip_box)
        self.tolerance_m = 0.08 * self.metres_per_mm  # 0.08 mm on paper: below what shows
        #: Place markers (x, y), which labels should not cover.
        self.place_xy = np.empty((0, 2))

    def clip(self, geometries, *, polygons: bool = False) -> np.ndarray:
        """Geometries cut to the view (exactly for polygons) and simplified below 0.08 mm."""
        values = np.asarray(geometries, dtype=object)
        values = values[pd.notna(values)]
        clipped = (shapely.intersection(values, self.box) if polygons
                   else shapely.clip_by_rect(values, *self.clip_box))
        return shapely.simplify(clipped[~shapely.is_empty(clipped)], self.tolerance_m)

    def add_area(self, geometries, style: AreaStyle, *, zorder: float) -> bool:
        path = polygon_path(self.clip(geometries, polygons=True))
        if path is None:
            return False
        for patch in style.patch(path, zorder=zorder):
            self.ax.add_patch(patch)
        return True

    def add_lines(self, geometries, style: LineStyle, *, zorder: float) -> bool:
        path = line_path(self.clip(geometries))
        if path is None:
            return False
        self.ax.add_patch(PathPatch(path, facecolor="none", edgecolor=style.color,
                                    linewidth=style.linewidth_pt, alpha=style.alpha,
                                    capstyle="round", joinstyle="round", zorder=zorder))
        return True


def frame_map_axes(ax: Axes, view: MapView) -> None:
    """
    Make ``ax`` a map frame: ``view``'s bounds at one scale on both axes, no ticks, a thin border.

    Parameters
    ----------
    ax
        The map's axes (metric CRS units).
    view
        What the map shows (:class:`webmap.prints.sheet_layers.MapView`).
    """
    minx, miny, maxx, maxy = view.bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.9)


def draw_map(ax: Axes, layers: PrintLayers, view: MapView, places: pd.DataFrame, *,
             width_mm: float, greyscale: bool = False, numbered: bool = True,
             font: dict | None = None, bold: dict | None = None,
             scale: float = 1.0, grid: bool = False,
             bus_reach: bool = False) -> list[LegendEntry]:
    """
    Draw the map of ``view`` on ``ax`` and return the legend of exactly what was drawn.

    Parameters
    ----------
    ax
        An empty axes; its limits are set to ``view.bounds`` (metres).
    places
        The located places to draw (:func:`webmap.prints.sheet_layers.sheet_places`): ``x``, ``y``,
        ``category``, ``position_quality`` and ``number`` (drawn beside the marker when
        ``numbered``).
    width_mm
        The axes' width on paper, for sizes given in millimetres.
    scale
        Text and symbol size factor (1 for A4, larger for A3).
    grid
        Draw the grid of walking minutes to the nearest place (``layers.grid_cells``) in
        place of the reach and the gaps, which it shows more finely; its legend gives the
        people of the basis in each minutes band in the district (or the city).
    bus_reach
        Also draw 「バスを使えば行ける」 (:attr:`PrintLayers.bus_xy`), circles sized by people.
    """
    font, bold = font or {}, bold or {}
    frame_map_axes(ax, view)
    ax.set_facecolor("#FFFFFF")
    drawing = _Drawing(ax, layers, view, width_mm=width_mm, greyscale=greyscale, font=font,
                       bold=bold, scale=scale)
    drawing.place_xy = places[["x", "y"]].to_numpy(dtype=float)
    legend: list[LegendEntry] = []
    legend += _draw_background(drawing)
    if grid and layers.grid_cells is not None:
        legend += _draw_grid(drawing)
    else:
        legend += _draw_areas(drawing)
    legend += _draw_districts(drawing)
    legend += _draw_routes_and_stops(drawing)
    if bus_reach:
        legend += _draw_bus_reach(drawing)
    legend = _draw_places(drawing, places, numbered=numbered) + legend
    _draw_scale_bar(drawing)
    _draw_north_arrow(drawing)
    return legend


def draw_scale_and_north(ax: Axes, view: MapView, *, width_mm: float, north_deg: float,
                         font: dict, bold: dict, scale: float = 1.0) -> None:
    """
    The scale bar and the north arrow of :func:`draw_map`, on a map that draws its own
    layers (the prefecture's sheet): ``ax`` shows ``view.bounds`` in metres.

    Parameters
    ----------
    north_deg
        The clockwise angle from grid north to true north
        (:func:`webmap.prints.sheet_layers.true_north_deg`).
    """
    drawing = _Drawing(ax, None, view, width_mm=width_mm, greyscale=False, font=font,
                       bold=bold, scale=scale, north_deg=north_deg)
    _draw_scale_bar(drawing)
    _draw_north_arrow(drawing)


def _draw_background(d: _Drawing) -> list[LegendEntry]:
    """Outside the study area a paper tint; rivers and streets when given."""
    outside = shapely.difference(d.box, d.layers.city)
    tint = "#EBEBEB" if d.greyscale else BACKGROUND_COLOR
    d.add_area([outside], AreaStyle(face=tint, face_alpha=1.0, edge="none", linewidth_pt=0),
               zorder=0.5)
    legend = []
    section = _("地区・交通・人口")
    if d.layers.rivers is not None:
        water = "#BDBDBD" if d.greyscale else "#A9CCE3"
        drew_area = d.add_area(d.layers.rivers.values,
                               AreaStyle(face=water, face_alpha=0.8, edge=water,
                                         linewidth_pt=0.3), zorder=1)
        line = LineStyle(color=water, linewidth_pt=1.2)
        drew_line = d.add_lines(d.layers.rivers.values, line, zorder=1)
        if drew_area or drew_line:
            legend.append(LegendEntry(section, _("河川・水面"), "line", line=line))
    if d.layers.streets is not None and len(d.layers.streets):
        segments = d.layers.streets
        minx, miny, maxx, maxy = d.clip_box
        inside = ((segments[:, :, 0].max(axis=1) >= minx) & (segments[:, :, 0].min(axis=1) <= maxx)
                  & (segments[:, :, 1].max(axis=1) >= miny)
                  & (segments[:, :, 1].min(axis=1) <= maxy))
        if inside.any():
            line = LineStyle(color="#C8C8C8", linewidth_pt=0.5 if d.metres_per_mm < 60 else 0.25)
            d.ax.add_collection(LineCollection(segments[inside], colors=line.color,
                                               linewidths=line.linewidth_pt, zorder=1.5))
            legend.append(LegendEntry(section, _("道路"), "line", line=line))
    return legend


def _draw_areas(d: _Drawing) -> list[LegendEntry]:
    """The default walking radius and the gaps beyond the largest one (as the web map opens)."""
    legend = []
    section = _("徒歩圏と空白地域")
    layers = d.layers
    if layers.buffer is not None:
        position = min(layers.radii_m.index(layers.buffer_radius_m), len(RADIUS_COLORS) - 1)
        style = buffer_area_style(RADIUS_COLORS[position], greyscale=d.greyscale)
        if d.add_area([layers.buffer], style, zorder=3):
            legend.append(LegendEntry(section, layers.reach_label, "area", area=style))
    if not layers.gaps.empty:
        style = gap_area_style(greyscale=d.greyscale)
        if d.add_area(layers.gaps.geometry.values, style, zorder=4):
            legend.append(LegendEntry(section, layers.gap_label, "area", area=style))
    return legend


def _draw_grid(d: _Drawing) -> list[LegendEntry]:
    """The minutes grid: cells coloured by band, faint where nobody of the basis lives."""
    layers = d.layers
    cells = layers.grid_cells
    assert cells is not None  # draw_map checks
    minx, miny, maxx, maxy = d.clip_box
    bounds = cells.geometry.bounds
    cells = cells[(bounds["maxx"] >= minx) & (bounds["minx"] <= maxx)
                  & (bounds["maxy"] >= miny) & (bounds["miny"] <= maxy)]
    lived = cells["people"].fillna(0).to_numpy() > 0
    band = cells["band"].to_numpy()
    people = _grid_people(layers, d.view.district)
    section = _("徒歩分数グリッド（{basis}）").format(
        basis=layers.basis_words or _("人口データなし"))
    legend = []
    for position, (color, label) in enumerate(zip(GRID_STYLE["colors"], grid_band_labels(),
                                                  strict=True)):
        face = paint(color, greyscale=d.greyscale)
        style = AreaStyle(face=face, face_alpha=GRID_STYLE["fill_opacity"],
                          edge=paint(GRID_STYLE["color"], greyscale=d.greyscale),
                          linewidth_pt=0.2)
        d.add_area(cells.geometry.to_numpy()[(band == position) & lived], style, zorder=2)
        faint = AreaStyle(face=face, face_alpha=GRID_STYLE["fill_opacity"] / 3, edge="none",
                          linewidth_pt=0)
        d.add_area(cells.geometry.to_numpy()[(band == position) & ~lived], faint, zorder=2)
        text = label if people is None else f"{label}：{format_people(people[position])}"
        legend.append(LegendEntry(section, text, "area", area=style))
    return legend


def _grid_people(layers: PrintLayers, district: str | None) -> np.ndarray | None:
    """People of the basis per minutes band in ``district`` (None: the city)."""
    if district is None:
        table = layers.grid_city
    else:
        table = (None if layers.grid_table is None
                 else layers.grid_table[layers.grid_table["district"] == district])
    if table is None or table["people"].isna().all():
        return None
    return table.sort_values("band")["people"].to_numpy(dtype=float)


def _draw_districts(d: _Drawing) -> list[LegendEntry]:
    """District outlines and names; on a district sheet the rest of the map is faded."""
    districts = d.layers.districts
    visible = districts[districts.intersects(d.box)]
    dash = DISTRICT_STYLE["dash_array_approximate"] if d.layers.approximate else None
    selected = d.view.district
    if selected is not None:
        shape = districts.geometry[districts["name"] == selected].union_all()
        fade = AreaStyle(face="#FFFFFF", face_alpha=0.55, edge="none", linewidth_pt=0)
        d.add_area([shapely.difference(d.box, shape)], fade, zorder=5)
        others = area_style(face="#FFFFFF", face_alpha=0.0, edge=DISTRICT_STYLE["other_color"],
                            linewidth_px=DISTRICT_STYLE["other_weight"], dash_px=dash,
                            greyscale=d.greyscale)
        d.add_area(visible.geometry[visible["name"] != selected].values, others, zorder=6)
        outline = area_style(face="#FFFFFF", face_alpha=0.0,
                             edge=DISTRICT_STYLE["selected_color"],
                             linewidth_px=DISTRICT_STYLE["selected_weight"], dash_px=dash,
                             greyscale=d.greyscale)
        d.add_area([shape], outline, zorder=6.5)
    else:
        outline = area_style(face="#FFFFFF", face_alpha=0.0, edge=DISTRICT_STYLE["color"],
                             linewidth_px=DISTRICT_STYLE["weight"], dash_px=dash,
                             greyscale=d.greyscale)
        d.add_area(visible.geometry.values, outline, zorder=6)
    mm_per_pt = 25.4 / 72
    for name, geometry in zip(visible["name"], visible.geometry, strict=True):
        part = shapely.intersection(geometry, shapely.box(*d.view.bounds))
        is_selected = name == selected
        size = (13 if is_selected else 8.5) * d.scale
        label_m = len(name) * size * mm_per_pt * d.metres_per_mm
        if part.is_empty or part.area < label_m * label_m / max(len(name), 1) * 1.5:
            continue  # too little of the district shows to hold its name
        text = _("{district}地区").format(district=name) if is_selected else name
        width_m = (len(text) + 0.5) * size * mm_per_pt * d.metres_per_mm
        x, y = _label_point(part, width_m, 1.4 * size * mm_per_pt * d.metres_per_mm,
                            obstacles=d.place_xy,
                            clearance_m=MARKER_SIZE_PT * d.scale * mm_per_pt / 2
                            * d.metres_per_mm)
        d.ax.text(x, y, text, ha="center", va="center", fontsize=size, zorder=14,
                  color="#000000" if is_selected or selected is None
                  else paint("#455A64", greyscale=d.greyscale),
                  path_effects=_HALO, clip_on=True, **(d.bold if is_selected else d.font))
    label = _("地区（概略区域）") if d.layers.approximate else _("地区")
    return [LegendEntry(_("地区・交通・人口"), label, "area", area=outline)]


def _label_point(area: shapely.Geometry, width_m: float, height_m: float, *,
                 obstacles: np.ndarray, clearance_m: float) -> tuple[float, float]:
    """
    Where a label of ``width_m`` × ``height_m`` covers the fewest markers inside ``area``:
    its representative point if that is clear, else the clearest of a grid of points in it.
    """
    first = shapely.point_on_surface(area)
    minx, miny, maxx, maxy = area.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 11)[1:-1], np.linspace(miny, maxy, 11)[1:-1])
    grid = shapely.points(xs.ravel(), ys.ravel())
    inside = grid[shapely.contains(area, grid)]
    candidates = np.vstack([shapely.get_coordinates(first), shapely.get_coordinates(inside)])
    if len(obstacles) == 0:
        return tuple(candidates[0])
    dx = np.abs(obstacles[None, :, 0] - candidates[:, None, 0])
    dy = np.abs(obstacles[None, :, 1] - candidates[:, None, 1])
    covered = ((dx < width_m / 2 + clearance_m) & (dy < height_m / 2 + clearance_m)).sum(axis=1)
    if covered[0] == 0:
        return tuple(candidates[0])
    centre = candidates[0]
    distance = np.hypot(*(candidates - centre).T)
    best = np.lexsort((distance, covered))[0]
    return tuple(candidates[best])


def _draw_routes_and_stops(d: _Drawing) -> list[LegendEntry]:
    legend = []
    section = _("地区・交通・人口")
    routes = d.layers.bus_routes
    if routes is not None:
        drew = False
        colors = (routes["color"] if "color" in routes else pd.Series("", index=routes.index))
        colors = colors.fillna("").astype(str).replace("", ROUTE_STYLE["fallback_color"])
        for color, group in routes.groupby(colors.values):
            line = LineStyle(color=paint(color, greyscale=d.greyscale),
                             linewidth_pt=1.1 * d.scale, alpha=0.45)
            drew |= d.add_lines(group.geometry.values, line, zorder=2)
        if drew:
            swatch = LineStyle(color=paint("#D84315", greyscale=d.greyscale),
                               linewidth_pt=1.6, alpha=0.6)
            legend.append(LegendEntry(section, _("{label}（色は路線ごと）").format(
                label=_("バス路線")), "line", line=swatch))
    walks = d.layers.walking_routes
    if walks is not None:
        line = LineStyle(color=paint(WALKING_ROUTE_STYLE["color"], greyscale=d.greyscale),
                         linewidth_pt=WALKING_ROUTE_STYLE["weight"] * PX_TO_PT,
                         alpha=WALKING_ROUTE_STYLE["opacity"],
                         dashes_pt=tuple(float(v) * PX_TO_PT for v in
                                         WALKING_ROUTE_STYLE["dash_array"].split()))
        if d.add_lines(walks.geometry.values, line, zorder=8):
            legend.append(LegendEntry(section, _("散歩コース"), "line", line=line))
    xy = d.layers.stops_xy
    minx, miny, maxx, maxy = d.view.bounds
    inside = (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy)
    if inside.any():
        size = 4.2 if d.metres_per_mm < 60 else 1.8
        draw_stops(d.ax, xy[inside, 0], xy[inside, 1], size_pt=size * d.scale,
                   greyscale=d.greyscale)
        legend.append(LegendEntry(section, _("バス停（ぐるりん等）"), "stop"))
    return legend


def _draw_bus_reach(d: _Drawing) -> list[LegendEntry]:
    """Where people live who cannot walk to a place but can get there by bus: circles with
    area by people (as on the web map), under the places."""
    xy, people = d.layers.bus_xy, d.layers.bus_people
    if xy is None or people is None or not len(xy):
        return []
    minx, miny, maxx, maxy = d.view.bounds
    inside = (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy)
    if not inside.any():
        return []
    largest = float(people.max()) if len(people) else 1.0
    low, high = 1.2 * d.scale, 5.0 * d.scale  # radius in points
    radius_pt = low + (high - low) * np.sqrt(np.clip(people[inside], 0, None) / max(largest, 1e-9))
    face = paint(BUS_REACH_STYLE["fill_color"], greyscale=d.greyscale)
    edge = paint(BUS_REACH_STYLE["color"], greyscale=d.greyscale)
    d.ax.scatter(xy[inside, 0], xy[inside, 1], s=(2 * radius_pt) ** 2, c=face, alpha=0.6,
                 edgecolors=edge, linewidths=0.5, zorder=6, gid="bus-reach")
    style = AreaStyle(face=face, face_alpha=0.6, edge=edge, linewidth_pt=0.5)
    return [LegendEntry(d.layers.bus_label, _("住む場所（円の大きさは人数）"), "area", area=style)]


def _draw_places(d: _Drawing, places: pd.DataFrame, *, numbered: bool) -> list[LegendEntry]:
    """Markers by category (in the config's order) and, if asked, their numbers."""
    if places.empty:
        return []
    size_pt = MARKER_SIZE_PT * d.scale * (1.0 if d.metres_per_mm < 60 else 0.72)
    section = _("居場所・集会施設")
    legend = []
    for category, members in places_by_category(places, d.layers.categories):
        for approximate in (False, True):
            group = members[(members["position_quality"] == "approx") == approximate]
            if len(group):
                draw_place_markers(d.ax, group["x"].to_numpy(), group["y"].to_numpy(), category,
                                   size_pt=size_pt, approximate=approximate,
                                   greyscale=d.greyscale, font=d.bold)
        legend.append(LegendEntry(section, f"{category}（{len(members)}）", "place",
                                  category=category))
    if (places["position_quality"] == "approx").any():
        legend.append(LegendEntry(section, _("おおよその位置（点線の枠）"), "place",
                                  approximate=True))
    if numbered:
        _draw_numbers(d, places, size_pt=size_pt)
    return legend


def _draw_numbers(d: _Drawing, places: pd.DataFrame, *, size_pt: float) -> None:
    """Each place's number beside its marker, where it hides no other marker or number."""
    mm_per_pt = 25.4 / 72
    fontsize = 8.5 * d.scale
    centres = np.column_stack([(places["x"] - d.view.bounds[0]) / d.metres_per_mm,
                               (places["y"] - d.view.bounds[1]) / d.metres_per_mm])
    radius = size_pt * mm_per_pt / 2
    taken = [(cx - radius, cy - radius, cx + radius, cy + radius) for cx, cy in centres]
    gap = radius + 0.4
    for (cx, cy), number in zip(centres, places["number"], strict=True):
        if pd.isna(number):
            continue
        text = str(int(number))
        width = (0.62 * len(text) + 0.5) * fontsize * mm_per_pt
        height = 1.3 * fontsize * mm_per_pt
        options = [(gap, 0, "left", "center"), (-gap, 0, "right", "center"),
                   (0, gap, "center", "bottom"), (0, -gap, "center", "top"),
                   (gap * 0.75, gap * 0.75, "left", "bottom"),
                   (-gap * 0.75, -gap * 0.75, "right", "top")]
        best, best_overlap = options[0], math.inf
        for dx, dy, ha, va in options:
            x0 = cx + dx - {"left": 0, "center": width / 2, "right": width}[ha]
            y0 = cy + dy - {"bottom": 0, "center": height / 2, "top": height}[va]
            box = (x0, y0, x0 + width, y0 + height)
            overlap = sum(_overlap(box, other) for other in taken)
            if overlap < best_overlap:
                best, best_overlap, best_box = (dx, dy, ha, va), overlap, box
            if overlap == 0:
                break
        taken.append(best_box)
        dx, dy, ha, va = best
        d.ax.annotate(text, (d.view.bounds[0] + cx * d.metres_per_mm,
                             d.view.bounds[1] + cy * d.metres_per_mm),
                      xytext=(dx / mm_per_pt, dy / mm_per_pt), textcoords="offset points",
                      ha=ha, va=va, fontsize=fontsize, color="#000000", zorder=15,
                      annotation_clip=True, gid="place-number",
                      bbox={"boxstyle": "round,pad=0.18", "facecolor": "#FFFFFF",
                            "edgecolor": "#333333", "linewidth": 0.5}, **d.bold)


def _overlap(a: tuple, b: tuple) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def _draw_scale_bar(d: _Drawing) -> None:
    """A bar of a round length in metres, in data units so that its length is exact."""
    length_m = scale_bar_length_m(d.view.width_m)
    mm = d.metres_per_mm
    x0, y0 = d.view.bounds[0] + 7 * mm, d.view.bounds[1] + 6 * mm
    height = 1.6 * mm
    fontsize = 8 * d.scale
    d.ax.add_patch(FancyBboxPatch((x0 - 3 * mm, y0 - 3 * mm), length_m + 12 * mm, 11 * mm,
                                  boxstyle=f"round,pad=0,rounding_size={1.2 * mm}",
                                  facecolor="#FFFFFF", edgecolor="#9E9E9E", linewidth=0.4,
                                  alpha=0.9, zorder=19))
    halves = 2
    for i in range(halves):
        d.ax.add_patch(Rectangle((x0 + i * length_m / halves, y0), length_m / halves, height,
                                 facecolor="#000000" if i % 2 == 0 else "#FFFFFF",
                                 edgecolor="#000000", linewidth=0.6, zorder=20))
    bar = Rectangle((x0, y0), length_m, height, facecolor="none", edgecolor="#000000",
                    linewidth=0.6, zorder=20.5, gid="scale-bar")
    d.ax.add_patch(bar)
    unit_km = length_m >= 1000
    for i in range(halves + 1):
        value = length_m * i / halves
        text = f"{value / 1000:g}" if unit_km else f"{value:g}"
        if i == halves:
            text += " km" if unit_km else " m"
        d.ax.text(x0 + value, y0 + height + 0.8 * mm, text, ha="left" if i == halves else
                  "center", va="bottom", fontsize=fontsize, zorder=21, gid="scale-label",
                  **d.font)


def _draw_north_arrow(d: _Drawing) -> None:
    """An arrow to true north (grid north turned by the meridian convergence) marked 北."""
    mm = d.metres_per_mm
    size = 11 * mm * d.scale
    cx = d.view.bounds[2] - 9 * mm * d.scale
    cy = d.view.bounds[3] - 8 * mm * d.scale - size / 2
    angle = math.radians(d.north_deg or 0.0)
    ux, uy = math.sin(angle), math.cos(angle)  # towards north
    px, py = uy, -ux  # to the right of north
    tip = (cx + ux * size / 2, cy + uy * size / 2)
    tail = (cx - ux * size / 2, cy - uy * size / 2)
    notch = (cx - ux * size * 0.22, cy - uy * size * 0.22)
    left = (tail[0] - px * size * 0.3, tail[1] - py * size * 0.3)
    right = (tail[0] + px * size * 0.3, tail[1] + py * size * 0.3)
    d.ax.add_patch(FancyBboxPatch((cx - 6 * mm * d.scale, cy - size / 2 - 2 * mm),
                                  12 * mm * d.scale, size + 9 * mm * d.scale,
                                  boxstyle=f"round,pad=0,rounding_size={1.2 * mm}",
                                  facecolor="#FFFFFF", edgecolor="#9E9E9E", linewidth=0.4,
                                  alpha=0.9, zorder=19))
    d.ax.add_patch(Polygon([tip, left, notch], closed=True, facecolor="#000000",
                           edgecolor="#000000", linewidth=0.6, zorder=20, gid="north-arrow"))
    d.ax.add_patch(Polygon([tip, notch, right], closed=True, facecolor="#FFFFFF",
                           edgecolor="#000000", linewidth=0.6, zorder=20))
    d.ax.text(tip[0] + ux * 1.2 * mm, tip[1] + uy * 1.2 * mm, _("北"),
              ha="center", va="bottom", fontsize=10 * d.scale, zorder=21, **d.bold)
