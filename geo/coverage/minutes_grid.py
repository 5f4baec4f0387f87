"""A grid of walking minutes to the nearest place, with the people living in each cell.

The picture councils show at meetings: where older people live far from any place. The
study area is covered by cells (250 m JIS X 0410 mesh cells, :mod:`geo.mesh`, or H3 cells
when asked); each cell gets

- the minutes from its centre to the nearest place: on the street network when one is
  loaded (the multi-source reach of :mod:`geo.streets.reach`, searched up to
  :data:`GRID_LIMIT_MINUTES`), else the straight line × the detour factor, both at the
  walking profile's pace;
- its band: ≤ 5, ≤ 10, ≤ 15, ≤ 20 and > 20 minutes (:data:`GRID_BANDS_MINUTES`);
- its people of the chosen age band: population polygons by the share of their area in
  the cell, points wholly in the cell holding them (:mod:`geo.coverage.residents`).

The per-district summary counts people by band: each piece of a population polygon in a
cell, and each point, goes to the district holding it.

What depends only on the districts and the population (the cells, the people in them) is
computed once per frame (:func:`grid_layout`); the minutes follow the places.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.coverage.residents import population_basis
from geo.crs import STORAGE_CRS, to_metric
from geo.memo import FrameMemo, remembered
from geo.mesh import MeshCells, mesh_cells_covering
from geo.streets.network import snap_points
from geo.streets.reach import Reach, point_minutes
from geo.streets.walking import WalkProfile

logger = logging.getLogger(__name__)
__all__ = ["GRID_BANDS_MINUTES", "GRID_KINDS", "GRID_LIMIT_MINUTES", "GridLayout", "GridSpec",
           "MinutesGrid", "grid_cells", "grid_layout", "minutes_band", "minutes_grid"]

#: The upper ends of the minutes bands: ≤ 5, ≤ 10, ≤ 15, ≤ 20, then > 20.
GRID_BANDS_MINUTES: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0)

#: The network search for the grid goes this far; beyond is the last band (> 20 min).
GRID_LIMIT_MINUTES = GRID_BANDS_MINUTES[-1]

#: The kinds of cells: JIS X 0410 mesh cells, or Uber's H3 hexagons.
GRID_KINDS: tuple[str, ...] = ("mesh", "h3")


@dataclass(frozen=True)
class GridSpec:
    """Which cells: ``kind`` ``"mesh"`` (``mesh_digits`` 8, 9, 10 or 11: 1 km … 125 m) or
    ``"h3"`` (``h3_resolution`` 0–15; 9 is about 0.1 km²)."""

    kind: str = "mesh"
    mesh_digits: int = 10
    h3_resolution: int = 9

    def __post_init__(self) -> None:
        if self.kind not in GRID_KINDS:
            msg = f"`kind` must be one of {', '.join(GRID_KINDS)}, got {self.kind!r}."
            raise ValueError(msg)
        if self.mesh_digits not in (8, 9, 10, 11):
            msg = f"`mesh_digits` must be 8, 9, 10 or 11, got {self.mesh_digits!r}."
            raise ValueError(msg)
        if not 0 <= self.h3_resolution <= 15:
            msg = f"`h3_resolution` must be 0–15, got {self.h3_resolution!r}."
            raise ValueError(msg)


def minutes_band(minutes: np.ndarray) -> np.ndarray:
    """
    The band of each time: 0 for ≤ 5 min, 1 for ≤ 10, 2 for ≤ 15, 3 for ≤ 20, 4 beyond
    (and for NaN or inf: no place within the search).

    Examples
    --------
    >>> minutes_band(np.array([0.0, 5.0, 5.1, 20.0, 20.5, np.inf, np.nan])).tolist()
    [0, 0, 1, 3, 4, 4, 4]
    """
    minutes = np.asarray(minutes, dtype=float)
    band = np.searchsorted(np.asarray(GRID_BANDS_MINUTES), minutes, side="left")
    return np.where(np.isnan(minutes), len(GRID_BANDS_MINUTES), band).astype(np.int64)


def grid_cells(area: shapely.Geometry, spec: GridSpec) -> gpd.GeoDataFrame:
    """
    The cells covering ``area`` (longitude/latitude degrees): ``cell`` (the mesh code or H3
    index) and geometry (STORAGE_CRS).

    Mesh cells are those sharing some area with ``area``; H3 cells those whose centre lies
    in it (H3's own rule).

    Raises
    ------
    ImportError
        For H3 cells without the ``h3`` package (``pip install h3``).
    """
    if spec.kind == "mesh":
        return _mesh_frame(mesh_cells_covering(area, digits=spec.mesh_digits))
    try:
        import h3  # type: ignore[import-untyped]
    except ImportError as exc:  # an optional dependency
        msg = 'H3 cells need the h3 package: pip install "ibasho[h3]" (or use cells = "mesh").'
        raise ImportError(msg) from exc
    indexes = sorted(h3.geo_to_cells(area, spec.h3_resolution))
    polygons = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(index)])
                for index in indexes]
    return gpd.GeoDataFrame({"cell": indexes}, geometry=polygons, crs=STORAGE_CRS)


def _mesh_frame(mesh: MeshCells) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"cell": mesh.codes}, geometry=mesh.polygons, crs=STORAGE_CRS)


@dataclass(frozen=True)
class GridLayout:
    """The cells of a study area and the people living in them (no places needed)."""

    spec: GridSpec
    #: ``cell``, ``district`` (the one holding the cell's centre; '' outside every one),
    #: ``people``, geometry (STORAGE_CRS).
    cells: gpd.GeoDataFrame
    #: Centre of each cell in the metric CRS, (n, 2).
    centres_xy: np.ndarray
    #: People as pieces: the cell of each piece, its district (row of ``district_names``;
    #: -1 outside every district) and its people.
    piece_cell: np.ndarray
    piece_district: np.ndarray
    piece_people: np.ndarray
    district_names: list[str]
    basis: str | None
    metric_crs: str
    #: The population row of each piece and its share of that row's people (1 for points):
    #: another age band is weighed from them without cutting anything again.
    piece_row: np.ndarray | None = None
    piece_share: np.ndarray | None = None


def grid_layout(districts: gpd.GeoDataFrame, population: gpd.GeoDataFrame | None, *,
                spec: GridSpec, metric_crs: str, basis: str | None = None,
                memo: FrameMemo | None = None) -> GridLayout:
    """
    Cells over the districts' union, and the people of the basis in each (kept in ``memo``
    per districts and population frame, spec and basis; computed each time without one).

    Raises
    ------
    ValueError
        An unknown basis, or one the population lacks
        (:func:`geo.coverage.residents.population_basis`).
    """
    basis = population_basis(population, basis)
    # the cells and the pieces are the same for every age band: cut once, weighed per band
    layout: GridLayout = remembered(
        memo, (districts, population), (spec, str(metric_crs)),
        lambda: _layout(districts, population, spec, metric_crs))
    if population is None or basis is None or layout.piece_row is None:
        return layout
    assert layout.piece_share is not None  # set with piece_row
    counts = population[basis].to_numpy(dtype=float)
    piece_people = counts[layout.piece_row] * layout.piece_share
    people = np.bincount(layout.piece_cell, weights=piece_people, minlength=len(layout.cells))
    logger.info("Grid of %d %s cells: %s people (%s)", len(people), spec.kind,
                f"{people.sum():,.0f}", basis)
    return dataclasses.replace(layout, cells=layout.cells.assign(people=people),
                               piece_people=piece_people, basis=basis)


def _layout(districts: gpd.GeoDataFrame, population: gpd.GeoDataFrame | None, spec: GridSpec,
            metric_crs: str) -> GridLayout:
    """The cells and the pieces of the population in them, weighed by nobody yet."""
    outline = shapely.union_all(districts.geometry.to_crs(STORAGE_CRS).make_valid().values)
    mesh = mesh_cells_covering(outline, digits=spec.mesh_digits) if spec.kind == "mesh" else None
    cells = _mesh_frame(mesh) if mesh is not None else grid_cells(outline, spec)
    cells_m = cells.geometry.to_crs(metric_crs).to_numpy()
    centres = shapely.centroid(cells_m)
    centres_xy = shapely.get_coordinates(centres).reshape(-1, 2)
    district_shapes = districts.geometry.to_crs(metric_crs).to_numpy()
    names = [str(name) for name in districts["name"]]
    cell_district = _holding(district_shapes, centres, nearest=False)
    if population is None:
        empty = np.zeros(0, dtype=np.int64)
        cells = cells.assign(district=_names(names, cell_district), people=np.nan)
        return GridLayout(spec, cells, centres_xy, empty, empty, np.zeros(0), names, None,
                          str(metric_crs))
    units_frame = to_metric(population[[population.geometry.name]], metric_crs)
    units = units_frame.geometry.to_numpy()
    located = ~(shapely.is_missing(units) | shapely.is_empty(units))
    cell_tree = shapely.STRtree(cells_m)
    # points: wholly in the cell holding them (mesh cells located in integers)
    is_point = located & (shapely.get_type_id(units) == 0)
    point_rows = np.flatnonzero(is_point)
    lonlat = (population.geometry.to_numpy()[point_rows] if population.crs == STORAGE_CRS
              else None)
    point_rows, point_cell = _cells_of_points(cell_tree, mesh, point_rows, units[point_rows],
                                              units_frame.crs, lonlat=lonlat)
    point_district = _districts_by_cell(district_shapes, cells_m, point_cell,
                                        units[point_rows])
    # polygons: by the share of their area in each cell
    polygon_rows = np.flatnonzero(located & ~is_point & (shapely.area(units) > 0))
    pair_unit, pair_cell = cell_tree.query(units[polygon_rows], predicate="intersects")
    pieces = shapely.intersection(units[polygon_rows][pair_unit], cells_m[pair_cell])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = shapely.area(pieces) / shapely.area(units[polygon_rows][pair_unit])
    keep = share > 0
    pieces, pair_unit, pair_cell = pieces[keep], pair_unit[keep], pair_cell[keep]
    piece_district = _holding(district_shapes, shapely.centroid(pieces))
    piece_cell = np.concatenate([point_cell, pair_cell]).astype(np.int64)
    piece_row = np.concatenate([point_rows, polygon_rows[pair_unit]]).astype(np.int64)
    piece_share = np.concatenate([np.ones(len(point_rows)), share[keep]])
    piece_district = np.concatenate([point_district, piece_district])
    cells = cells.assign(district=_names(names, cell_district), people=np.nan)
    logger.info("Grid of %d %s cells: %d points and %d polygon pieces", len(cells), spec.kind,
                len(point_rows), len(pieces))
    return GridLayout(spec, cells, centres_xy, piece_cell, piece_district,
                      np.zeros(len(piece_cell)), names, None, str(metric_crs),
                      piece_row=piece_row, piece_share=piece_share)


def _cells_of_points(cell_tree: shapely.STRtree, mesh: MeshCells | None, rows: np.ndarray,
                     points_m: np.ndarray, crs: Any, *,
                     lonlat: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cell position) of the points that lie in a cell: mesh cells by the JIS rule (a
    point on an edge is in the cell to its north and east; ``lonlat``: the same points in
    degrees, when at hand), else the first cell holding it."""
    if mesh is not None:
        if lonlat is None:  # coordinates only: no geometry is made
            lon, lat = _to_lonlat(str(crs)).transform(shapely.get_x(points_m),
                                                      shapely.get_y(points_m))
        else:
            lon, lat = shapely.get_x(lonlat), shapely.get_y(lonlat)
        found = mesh.locate(lon, lat)
        return rows[found >= 0], found[found >= 0]
    found_point, found_cell = cell_tree.query(points_m, predicate="intersects")
    first = np.unique(found_point, return_index=True)[1]
    return rows[found_point[first]], found_cell[first]


@lru_cache(maxsize=8)
def _to_lonlat(crs: str) -> Transformer:
    """The transformer from ``crs`` to longitude/latitude (made once per CRS)."""
    return Transformer.from_crs(crs, STORAGE_CRS, always_xy=True)


def _districts_by_cell(district_shapes: np.ndarray, cells_m: np.ndarray, point_cell: np.ndarray,
                       points: np.ndarray) -> np.ndarray:
    """The district of each point (as :func:`_holding`): a point in a cell wholly inside one
    district is in it; only the points of cells on a boundary are tested one by one."""
    result = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(district_shapes) == 0:
        return result
    used = np.unique(point_cell)
    cell_in, district_of = shapely.STRtree(district_shapes).query(cells_m[used],
                                                                 predicate="within")
    inside = np.full(len(cells_m), -1, dtype=np.int64)
    # the first district wins, as in _holding
    order = np.lexsort((district_of, cell_in))
    cell_in, district_of = cell_in[order], district_of[order]
    first = np.unique(cell_in, return_index=True)[1]
    inside[used[cell_in[first]]] = district_of[first]
    result[:] = inside[point_cell]
    rest = np.flatnonzero(result < 0)
    result[rest] = _holding(district_shapes, points[rest])
    return result


def _holding(polygons: np.ndarray, points: np.ndarray, *, nearest: bool = True) -> np.ndarray:
    """Position of the polygon holding each point (the first one); for points outside all,
    the nearest (or -1 without ``nearest``); -1 for missing points."""
    result = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(polygons) == 0:
        return result
    x, y = shapely.get_x(points), shapely.get_y(points)
    bounds = shapely.bounds(polygons)
    for position in range(len(polygons) - 1, -1, -1):  # the first match wins
        west, south, east, north = bounds[position]
        near = np.flatnonzero((x >= west) & (x <= east) & (y >= south) & (y <= north))
        shape = polygons[position]
        shapely.prepare(shape)
        result[near[shapely.contains_xy(shape, x[near], y[near])]] = position
    outside = np.flatnonzero((result < 0) & ~np.isnan(x))
    if len(outside) and nearest:
        tree = shapely.STRtree(polygons)
        result[outside] = tree.query_nearest(points[outside], all_matches=False)[1]
    return result


def _names(names: Sequence[str], rows: np.ndarray) -> np.ndarray:
    table = np.asarray([*names, ""], dtype=object)
    return table[np.where(rows >= 0, rows, len(names))]


@dataclass(frozen=True)
class MinutesGrid:
    """Minutes to the nearest place per cell, and people by minutes band per district."""

    #: ``cell``, ``district``, ``minutes`` (NaN beyond the network search),
    #: ``band`` (0–4, see :func:`minutes_band`), ``people``, geometry (STORAGE_CRS).
    cells: gpd.GeoDataFrame
    #: ``district``, ``band``, ``max_minutes`` (inf for the last band), ``people``, ``share``
    #: (of the district's people): one row per district and band.
    table: pd.DataFrame
    #: The same for the whole study area: ``band``, ``max_minutes``, ``people``, ``share``.
    city: pd.DataFrame
    #: ``"network"`` or ``"straight"`` (直線距離による概算).
    method: str
    basis: str | None
    spec: GridSpec


def minutes_grid(layout: GridLayout, *, profile: WalkProfile,
                 places: gpd.GeoDataFrame | None = None,
                 reach: Reach | None = None) -> MinutesGrid:
    """
    Minutes from each cell's centre to the nearest place, and people by band.

    Parameters
    ----------
    layout
        From :func:`grid_layout`.
    profile
        The walking profile: its pace and detour factor give the straight-line minutes.
    places
        Points (rows without a position take no part); used without ``reach``.
    reach
        The network reach of the places (:func:`geo.streets.reach.network_reach`), searched to at
        least :data:`GRID_LIMIT_MINUTES`; each centre walks to its nearest street.

    Raises
    ------
    ValueError
        Neither ``places`` nor ``reach``, or a reach that stops short of 20 minutes.
    """
    centres = layout.centres_xy
    if reach is not None:
        if reach.limit_minutes < GRID_LIMIT_MINUTES:
            msg = (f"the reach must be searched to ≥ {GRID_LIMIT_MINUTES:g} minutes, got "
                   f"{reach.limit_minutes:g}.")
            raise ValueError(msg)
        network = reach.graph.network
        if str(network.crs) != layout.metric_crs:
            msg = f"the network's CRS {network.crs} is not the grid's {layout.metric_crs}."
            raise ValueError(msg)
        minutes, _ = point_minutes(reach, snap_points(network, centres[:, 0], centres[:, 1]))
        method = "network"
    elif places is not None:
        located = places[places.geometry.notna()]
        places_m = to_metric(located[[located.geometry.name]], layout.metric_crs)
        places_xy = shapely.get_coordinates(places_m.geometry.to_numpy()).reshape(-1, 2)
        if len(places_xy):
            distance_m = cKDTree(places_xy).query(centres)[0] if len(centres) else np.zeros(0)
        else:
            distance_m = np.full(len(centres), np.inf)
        minutes = np.asarray(profile.straight_minutes(distance_m), dtype=float)
        method = "straight"
    else:
        msg = "Give `places` (straight line) or `reach` (street network)."
        raise ValueError(msg)
    minutes = np.where(np.isfinite(minutes), minutes, np.nan)
    band = minutes_band(minutes)
    cells = layout.cells.assign(minutes=minutes, band=band)
    cells = cells[["cell", "district", "minutes", "band", "people", "geometry"]]
    table, city = _summary(layout, band)
    return MinutesGrid(cells, table, city, method, layout.basis, layout.spec)


def _summary(layout: GridLayout, band: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_bands = len(GRID_BANDS_MINUTES) + 1
    n_districts = len(layout.district_names)
    limits = np.asarray([*GRID_BANDS_MINUTES, np.inf])
    inside = layout.piece_district >= 0
    code = (layout.piece_district[inside] * n_bands + band[layout.piece_cell[inside]])
    people = np.bincount(code, weights=layout.piece_people[inside],
                         minlength=n_districts * n_bands).reshape(n_districts, n_bands)
    if layout.basis is None:
        people = np.full((n_districts, n_bands), np.nan)
    totals = people.sum(axis=1, keepdims=True)
    share = np.divide(people, totals, out=np.full(people.shape, np.nan), where=totals > 0)
    table = pd.DataFrame({"district": np.repeat(layout.district_names, n_bands),
                          "band": np.tile(np.arange(n_bands), n_districts),
                          "max_minutes": np.tile(limits, n_districts),
                          "people": people.ravel(), "share": share.ravel()})
    city_people = people.sum(axis=0)
    city_total = city_people.sum()
    city = pd.DataFrame({"band": np.arange(n_bands), "max_minutes": limits,
                         "people": city_people,
                         "share": city_people / city_total if city_total > 0 else np.nan})
    return table, city
