"""A study area's layers made ready for printed sheets: projected once, cut to a view.

Every layer a sheet draws is projected into the study's metric CRS once
(:func:`prepare_layers`), so a batch of sheets does not reproject for each one; a
:class:`MapView` is the part of it one sheet's map shows, and :func:`sheet_places` the places
in it, numbered for the map and the table.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.path import Path
from pyproj import Transformer

from geo.coverage.by_distance import CoverageResult
from geo.coverage.residents import available_bases
from geo.crs import STORAGE_CRS, to_metric
from layers.analysis import Plan
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.maps.build import walk_minutes
from webmap.maps.bus_layer import bus_layer_label, bus_notes
from webmap.maps.reach_layers import merged_isochrones, method_note
from webmap.maps.style import basis_short, straight_note

if TYPE_CHECKING:
    from geo.streets.network import StreetNetwork

logger = logging.getLogger(__name__)
__all__ = ["DISTRICT_MARGIN_SHARE", "MapView", "PrintLayers", "Streets", "line_path",
           "map_view", "polygon_path", "prepare_layers", "sheet_places", "true_north_deg"]

#: Streets for the background: a walking network, or street lines in any CRS.
Streets: TypeAlias = "StreetNetwork | gpd.GeoDataFrame | gpd.GeoSeries"

#: A district sheet shows this share of the district's size around it (at least 300 m).
DISTRICT_MARGIN_SHARE = 0.08
_MIN_MARGIN_M = 300.0


@dataclass
class PrintLayers:
    """A study area's layers in its metric CRS, projected once for any number of sheets."""

    metric_crs: str
    city: shapely.Geometry
    districts: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    stops_xy: np.ndarray
    bus_routes: gpd.GeoDataFrame | None
    walking_routes: gpd.GeoDataFrame | None
    buffer: shapely.Geometry | None
    #: Every analysed radius, smallest first; the buffer drawn is ``buffer_radius_m``.
    radii_m: tuple[float, ...]
    buffer_radius_m: float
    buffer_minutes: int
    gaps: gpd.GeoDataFrame
    gap_radius_m: float
    #: Legend labels of the reach area and the gaps: the web map's own (straight-line buffers,
    #: or network isochrones and gaps when a street network is loaded).
    reach_label: str
    gap_label: str
    #: How reach was computed (直線距離による概算, or 道のり …), printed under the legend.
    method_note: str
    streets: np.ndarray | None
    rivers: gpd.GeoSeries | None
    approximate: bool
    categories: tuple[str, ...]
    #: The angle (degrees, clockwise) from grid north to true north at the study area.
    north_deg: float
    #: Which people the figures count, in words for the sheet's heading and legend
    #: (「65歳以上人口」, 「総人口（年齢別データなし）」); None without population.
    basis_words: str | None = None
    #: The minutes grid (:attr:`layers.analysis.Plan.grid`) in the metric CRS: ``band``,
    #: ``people``, geometry; None without a plan or grid.
    grid_cells: gpd.GeoDataFrame | None = None
    #: People by band per district (``district``, ``band``, ``people``) and for the city.
    grid_table: pd.DataFrame | None = None
    grid_city: pd.DataFrame | None = None
    #: How the grid's minutes were measured (道のり, or 直線距離による概算 …).
    grid_method: str = ""
    #: 「バスを使えば行ける」: the points (metric CRS) and their people, its legend label and
    #: notes (day, limits, 推定); without buses no points and the note says how to add them.
    bus_xy: np.ndarray | None = None
    bus_people: np.ndarray | None = None
    bus_label: str = ""
    bus_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapView:
    """What one sheet's map shows: the selected district (or None) and its extent in metres."""

    district: str | None
    bounds: tuple[float, float, float, float]  # (minx, miny, maxx, maxy), metric CRS

    @property
    def width_m(self) -> float:
        return self.bounds[2] - self.bounds[0]

    @property
    def height_m(self) -> float:
        return self.bounds[3] - self.bounds[1]


def prepare_layers(study: StudyArea, coverage: CoverageResult, *,
                   plan: Plan | None = None,
                   streets: Streets | None = None,
                   rivers: gpd.GeoDataFrame | None = None) -> PrintLayers:
    """
    Project every layer a sheet draws into the study's metric CRS.

    Parameters
    ----------
    plan
        With a street network, the sheet shows what the web map opens with: the middle
        network isochrone and the gaps beyond the largest threshold, instead of the
        straight-line circles.
    streets
        A :class:`geo.streets.network.StreetNetwork` or a GeoDataFrame of street lines (optional).
    rivers
        Rivers and water areas, lines or polygons (optional).
    """
    config = study.config
    crs = config.metric_crs
    districts = to_metric(study.districts[["name", "geometry"]], crs)
    radii = tuple(float(r) for r in coverage.buffers["radius_m"])
    shown = config.walking.default_radius_m if radii else 0.0
    buffers = _valid(to_metric(coverage.buffers, crs))
    selected = buffers[buffers["radius_m"] == shown]
    gap_radius = max(radii) if radii else 0.0
    gaps = _valid(to_metric(coverage.gaps, crs))
    gaps = gaps[gaps["radius_m"] == gap_radius]
    buffer = selected.geometry.iloc[0] if len(selected) else None
    minutes = walk_minutes(shown, profile=config.walking)
    reach_label = _("徒歩圏（直線{radius_m:g} m・徒歩約{minutes}分）").format(radius_m=shown,
                                                                          minutes=minutes)
    gap_label = _("空白地域（{radius_m:g} m圏外）").format(radius_m=gap_radius)
    if plan is not None and plan.network is not None:
        network = plan.network
        middle, largest = config.walking.default_minutes, max(config.minutes)
        merged = merged_isochrones(study, plan)  # block holes filled, as on the web map
        merged = merged[merged["minutes"] == middle]
        buffer = _valid(merged).geometry.union_all() if len(merged) else None
        reach_label = _("徒歩{minutes:g}分圏（道のり）").format(minutes=middle)
        if network.gaps is not None:
            gaps = _valid(to_metric(network.gaps[network.gaps["minutes"] == largest], crs))
            gap_label = _("空白地域（道のりで{minutes:g}分圏外）").format(minutes=largest)
    stops_xy = np.empty((0, 2))
    if study.stops is not None and len(study.stops):
        stops_m = to_metric(study.stops[["geometry"]], crs)
        stops_xy = shapely.get_coordinates(stops_m.geometry.values)
    centre = shapely.centroid(study.boundary.to_crs(STORAGE_CRS).union_all())
    grid = plan.grid if plan is not None else None
    basis = plan.basis if plan is not None else coverage.basis
    bus = plan.bus if plan is not None else None
    bus_rows = (np.flatnonzero((bus.kinds == "bus") & (bus.weights > 0)) if bus is not None
                else np.zeros(0, dtype=int))
    return PrintLayers(
        metric_crs=crs,
        city=shapely.union_all(to_metric(study.boundary, crs).geometry.make_valid().values),
        districts=districts,
        places=to_metric(study.places, crs),
        stops_xy=stops_xy,
        bus_routes=_lines_metric(study.bus_routes, crs),
        walking_routes=_lines_metric(study.walking_routes, crs),
        buffer=buffer,
        radii_m=tuple(sorted(radii)),
        buffer_radius_m=shown,
        buffer_minutes=minutes,
        gaps=gaps,
        gap_radius_m=gap_radius,
        reach_label=reach_label,
        gap_label=gap_label,
        method_note=method_note(study, plan),
        streets=_street_segments(streets, crs),
        rivers=None if rivers is None or rivers.empty else to_metric(rivers, crs).geometry,
        approximate=config.districts_approximate,
        categories=tuple(config.categories),
        north_deg=true_north_deg(centre.x, centre.y, crs),
        basis_words=None if basis is None else basis_short(
            basis, has_age65="age65" in available_bases(study.population)),
        grid_cells=(None if grid is None
                    else to_metric(grid.cells[["band", "people", "geometry"]], crs)),
        grid_table=None if grid is None else grid.table,
        grid_city=None if grid is None else grid.city,
        grid_method=("" if grid is None else _("道のり") if grid.method == "network"
                     else straight_note(config.walking.detour_factor)),
        bus_xy=bus.people_xy[bus_rows] if bus is not None and bus.metric_crs == crs else None,
        bus_people=bus.weights[bus_rows] if bus is not None else None,
        bus_label=bus_layer_label(bus) if bus is not None else "",
        bus_notes=tuple(bus_notes(plan)),
    )


def _valid(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with invalid polygons repaired (reprojection can make rings cross)."""
    invalid = ~frame.is_valid
    if invalid.any():
        logger.debug("Repairing %d invalid polygons before drawing", int(invalid.sum()))
        frame = frame.copy()
        frame.loc[invalid, "geometry"] = frame.geometry[invalid].make_valid()
    return frame


def _lines_metric(frame: gpd.GeoDataFrame | None, crs: str) -> gpd.GeoDataFrame | None:
    if frame is None or frame.empty:
        return None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    return to_metric(frame, crs)


def _street_segments(streets: Streets | None, crs: str) -> np.ndarray | None:
    """Street segments as an ``(n, 2, 2)`` array in ``crs`` (network or lines)."""
    if streets is None:
        return None
    if isinstance(streets, gpd.GeoDataFrame | gpd.GeoSeries):
        lines = to_metric(gpd.GeoDataFrame(geometry=streets.geometry), crs).geometry.values
        parts = shapely.get_parts(lines)
        coords, index = shapely.get_coordinates(parts, return_index=True)
        same = index[1:] == index[:-1]
        return np.stack([coords[:-1][same], coords[1:][same]], axis=1)
    if str(streets.crs) != str(crs):
        msg = f"the street network is in {streets.crs}, the sheet in {crs}."
        raise ValueError(msg)
    starts = np.column_stack([streets.x[streets.u], streets.y[streets.u]])
    ends = np.column_stack([streets.x[streets.v], streets.y[streets.v]])
    return np.stack([starts, ends], axis=1)


def true_north_deg(lon: float, lat: float, crs: str) -> float:
    """Clockwise angle from grid north to true north (the meridian convergence)."""
    to_grid = Transformer.from_crs(STORAGE_CRS, crs, always_xy=True)
    x0, y0 = to_grid.transform(lon, lat)
    x1, y1 = to_grid.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def map_view(layers: PrintLayers, district: str | None, *, width_mm: float,
             height_mm: float) -> MapView:
    """The extent of a map ``width_mm`` × ``height_mm`` showing the city or one district."""
    if district is None:
        minx, miny, maxx, maxy = shapely.bounds(layers.city)
        margin = 0.02 * max(maxx - minx, maxy - miny)
    else:
        geometry = layers.districts.geometry[layers.districts["name"] == district].union_all()
        minx, miny, maxx, maxy = shapely.bounds(geometry)
        margin = max(_MIN_MARGIN_M, DISTRICT_MARGIN_SHARE * max(maxx - minx, maxy - miny))
    minx, miny, maxx, maxy = minx - margin, miny - margin, maxx + margin, maxy + margin
    # Widen the short side so one metre is as long across as down the paper.
    metres_per_mm = max((maxx - minx) / width_mm, (maxy - miny) / height_mm)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w, half_h = metres_per_mm * width_mm / 2, metres_per_mm * height_mm / 2
    return MapView(district, (cx - half_w, cy - half_h, cx + half_w, cy + half_h))


def polygon_path(geometries: Sequence | np.ndarray) -> Path | None:
    """One compound path of every polygon (holes wound the other way, so they stay empty)."""
    geometries = np.asarray(geometries, dtype=object)
    geometries = geometries[~shapely.is_empty(geometries) & pd.notna(geometries)]
    parts = shapely.get_parts(geometries)
    parts = parts[shapely.get_type_id(parts) == 3]  # polygons only (clipping may add lines)
    if len(parts) == 0:
        return None
    rings = shapely.get_rings(shapely.orient_polygons(parts))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    codes[starts] = Path.MOVETO
    codes[np.r_[starts[1:] - 1, len(coords) - 1]] = Path.CLOSEPOLY
    return Path(coords, codes)


def line_path(geometries: Sequence | np.ndarray) -> Path | None:
    """One compound path of every line."""
    geometries = np.asarray(geometries, dtype=object)
    geometries = geometries[~shapely.is_empty(geometries) & pd.notna(geometries)]
    parts = shapely.get_parts(geometries)
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]
    if len(parts) == 0:
        return None
    coords, index = shapely.get_coordinates(parts, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    codes[np.r_[0, np.flatnonzero(np.diff(index)) + 1]] = Path.MOVETO
    return Path(coords, codes)


def sheet_places(layers: PrintLayers, view: MapView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    The located places inside the view, numbered, and the unlocated places of the sheet.

    Located places get ``x`` and ``y`` (metric CRS) and ``number``.

    On a district sheet the district's own places come first; numbers run from north to
    south in bands, west to east within a band, so that they are easy to find on the map.
    """
    places = layers.places
    located = places[places.geometry.notna() & ~places.geometry.is_empty].copy()
    located["x"], located["y"] = located.geometry.x, located.geometry.y
    minx, miny, maxx, maxy = view.bounds
    shown = located[located["x"].between(minx, maxx) & located["y"].between(miny, maxy)]
    shown = pd.DataFrame(shown.drop(columns="geometry"))
    band = np.floor((maxy - shown["y"]) / (view.height_m / 6)).astype(int)
    own = (shown["district"] == view.district) if view.district else pd.Series(
        True, index=shown.index)
    shown = shown.assign(_own=~own, _band=band).sort_values(["_own", "_band", "x"])
    shown = shown.drop(columns=["_own", "_band"])
    shown["number"] = np.arange(1, len(shown) + 1)
    unlocated = places[places.geometry.isna() | places.geometry.is_empty]
    if view.district is not None:
        unlocated = unlocated[unlocated["district"] == view.district]
    return shown, pd.DataFrame(unlocated.drop(columns="geometry"))
