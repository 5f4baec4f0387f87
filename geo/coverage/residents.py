"""Who is counted and where they live: age bands, and people spread over their areas.

A population layer has a count per age band (:data:`POPULATION_BASES`): ``total`` (everyone),
``age65``, ``age75`` and ``age85`` (65, 75 and 85 and over); a band the data does not give is
NaN. Analyses count one band, the *basis*: the one asked for, else 65+ when every row has
it, else the total (:func:`population_basis`).

Where people live: a point (a 町丁's representative point) is counted wholly where it lies.
A polygon (a 町丁, a mesh cell, or the part of one where people live, see
:mod:`layers.files.population`) holds its people spread evenly over its area, so a reach
that covers a third of it covers a third of its people. Analyses that measure from each
resident (what-if, siting, the network) need points: :func:`resident_pieces` cuts each
polygon into pieces of at most :data:`PIECE_M` metres square, each carrying its share of the
people at a point inside it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import to_metric
from geo.memo import FrameMemo, remembered

logger = logging.getLogger(__name__)
__all__ = ["PIECE_M", "POPULATION_BASES", "ResidentPieces", "available_bases", "living_parts",
           "population_basis", "population_within", "resident_pieces"]

#: The count columns a population layer may carry, the widest first; each age band is part
#: of the one before it.
POPULATION_BASES: tuple[str, ...] = ("total", "age65", "age75", "age85")

#: Polygons are cut into squares of this side (metres) for analyses that measure from each
#: resident: a piece's people are counted at a point inside it, at most ~35 m from where
#: they live (under a minute at an older person's pace).
PIECE_M = 50.0


def available_bases(population: gpd.GeoDataFrame | None) -> tuple[str, ...]:
    """
    The bases of :data:`POPULATION_BASES` that every row of ``population`` has.

    Examples
    --------
    >>> import pandas as pd
    >>> available_bases(pd.DataFrame({"total": [5.0, 3.0], "age65": [2.0, float("nan")]}))
    ('total',)
    """
    if population is None or len(population) == 0:
        return ()
    return tuple(c for c in POPULATION_BASES
                 if c in population.columns and population[c].notna().all())


def population_basis(population: gpd.GeoDataFrame | None, basis: str | None = None) -> str | None:
    """
    The count analyses use: ``basis`` if the data has it; by default the layer's own
    ``attrs["basis"]`` (set by its loader), else 65+ when every row has it, else the total
    (None without a population layer).

    Raises
    ------
    ValueError
        If ``basis`` is not one of :data:`POPULATION_BASES`, or some row lacks it; the
        message lists the bases the data has.
    """
    if population is None:
        return None
    available = available_bases(population)
    if basis is None:
        recorded = population.attrs.get("basis")
        if recorded in available:
            return str(recorded)
        return "age65" if "age65" in available else "total"
    if basis not in POPULATION_BASES:
        msg = (f"unknown population basis {basis!r}; use one of: "
               f"{', '.join(POPULATION_BASES)}.")
        raise ValueError(msg)
    if basis not in available:
        msg = (f"the population data has no {basis!r} count for every area; it has: "
               f"{', '.join(available) or 'none'}.")
        raise ValueError(msg)
    return basis


def population_within(area: shapely.Geometry, population_m: gpd.GeoDataFrame,
                      weights: np.ndarray) -> Any:
    """
    People of ``population_m`` (metric CRS) inside ``area``: whole points, or polygons by area.

    ``weights`` is one count per row (a float is returned), or one column per count, ``(n,
    k)`` (an array of ``k`` sums is returned: every age band from one intersection).
    """
    weights = np.asarray(weights, dtype=float)
    if len(population_m) == 0 or area is None or area.is_empty:
        return 0.0 if weights.ndim == 1 else np.zeros(weights.shape[1])
    geometries = population_m.geometry.values
    is_point = (population_m.geom_type == "Point").to_numpy()
    points = geometries[is_point]
    inside = shapely.contains_xy(area, shapely.get_x(points), shapely.get_y(points))
    total = weights[is_point][inside].sum(axis=0)
    polygons = geometries[~is_point]
    if len(polygons):
        with np.errstate(invalid="ignore", divide="ignore"):  # zero-area polygons count as 0
            shares = (shapely.area(shapely.intersection(polygons, area))
                      / shapely.area(polygons))
        shares = np.nan_to_num(shares)
        total = total + (weights[~is_point] * (shares if weights.ndim == 1
                                               else shares[:, None])).sum(axis=0)
    return float(total) if weights.ndim == 1 else total


def living_parts(units: np.ndarray, *, living: np.ndarray | None = None,
                 water: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """
    Each unit (polygon) cut to where people live: to the ``living`` polygons inside it
    (buildings, residential land), and never into ``water`` (rivers, lakes).

    A unit with no living polygon inside keeps its whole area (less water), and a unit that
    is all water keeps its own shape, so nobody is lost; the second array says which units
    fell back. Points and empty geometries are returned as they are. All in one CRS.

    Examples
    --------
    A made-up 100 × 100 unit with one house in its west half and a river along its east:

    >>> unit = shapely.box(0, 0, 100, 100)
    >>> house, river = shapely.box(10, 10, 30, 30), shapely.box(80, -10, 120, 110)
    >>> parts, fell_back = living_parts(np.array([unit, unit]), living=np.array([house]),
    ...                                 water=np.array([river]))
    >>> [round(shapely.area(p)) for p in parts], fell_back.tolist()
    ([400, 400], [False, False])
    >>> parts, fell_back = living_parts(np.array([unit]), water=np.array([river]))
    >>> round(shapely.area(parts[0])), fell_back.tolist()
    (8000, [False])
    """
    units = np.asarray(units, dtype=object)
    parts = units.copy()
    fell_back = np.zeros(len(units), dtype=bool)
    polygonal = np.flatnonzero(~(shapely.is_missing(units) | shapely.is_empty(units))
                               & (shapely.get_type_id(units) >= 3))
    if water is not None and len(water) and len(polygonal):
        water_tree = shapely.STRtree(water)
        pair_unit, pair_water = water_tree.query(units[polygonal], predicate="intersects")
        for position, members in _groups(pair_unit, pair_water):
            unit = polygonal[position]
            dry = shapely.difference(units[unit], shapely.union_all(water[members]))
            parts[unit] = dry if shapely.area(dry) > 0 else units[unit]
            fell_back[unit] = not shapely.area(dry) > 0
    if living is not None and len(living) and len(polygonal):
        living_tree = shapely.STRtree(living)
        pair_unit, pair_living = living_tree.query(parts[polygonal], predicate="intersects")
        found = np.zeros(len(polygonal), dtype=bool)
        for position, members in _groups(pair_unit, pair_living):
            unit = polygonal[position]
            inside = shapely.intersection(parts[unit], shapely.union_all(living[members]))
            if shapely.area(inside) > 0:
                parts[unit] = inside
                found[position] = True
        fell_back[polygonal[~found]] = True
    return parts, fell_back


def _groups(keys: np.ndarray, values: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``(key, values of that key)`` for each key, from two parallel arrays."""
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    if len(keys) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return [(int(keys[start]), values[start:end]) for start, end in
            zip(starts.tolist(), ends.tolist(), strict=True)]


@dataclass(frozen=True)
class ResidentPieces:
    """Population as points: whole points, and pieces of polygons with their share."""

    #: (n, 2) coordinates in the metric CRS: the point, or a point inside the piece.
    xy: np.ndarray
    #: Row position in the population layer of each piece.
    unit: np.ndarray
    #: The share of its unit's people each piece holds (1 for a point).
    share: np.ndarray

    def weights(self, counts: np.ndarray) -> np.ndarray:
        """People per piece, given one count per unit (e.g. the basis column)."""
        return np.asarray(counts, dtype=float)[self.unit] * self.share


def resident_pieces(population: gpd.GeoDataFrame, *, metric_crs: str,
                    piece_m: float = PIECE_M, memo: FrameMemo | None = None) -> ResidentPieces:
    """
    Points stay whole; each polygon is cut into squares of ``piece_m`` (a grid aligned on
    the metric CRS's origin), each piece holding the share of the polygon's area it has.

    Kept in ``memo`` per population frame (:class:`geo.memo.FrameMemo`). Rows without a
    geometry take no part; a polygon of no area is counted wholly at a point on it.

    Examples
    --------
    >>> square = gpd.GeoDataFrame({"total": [8.0]}, geometry=[shapely.box(0, 0, 100, 100)],
    ...                           crs="EPSG:6677")
    >>> pieces = resident_pieces(square, metric_crs="EPSG:6677")
    >>> len(pieces.unit), pieces.weights(square["total"]).tolist()
    (4, [2.0, 2.0, 2.0, 2.0])
    """
    if not piece_m > 0:
        msg = f"`piece_m` must be > 0, got {piece_m!r}."
        raise ValueError(msg)
    result: ResidentPieces = remembered(
        memo, (population,), (str(metric_crs), float(piece_m)),
        lambda: _cut(population, metric_crs, piece_m))
    return result


def _cut(population: gpd.GeoDataFrame, metric_crs: str, piece_m: float) -> ResidentPieces:
    geometries = to_metric(population[[population.geometry.name]], metric_crs).geometry.to_numpy()
    located = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    areas = shapely.area(geometries)
    whole = np.flatnonzero(located & ~(areas > 0))
    whole_xy = shapely.get_coordinates(shapely.point_on_surface(geometries[whole]))
    polygons = np.flatnonzero(located & (areas > 0))
    units, pieces = _pieces(geometries[polygons], piece_m)
    pieces_area = shapely.area(pieces)
    keep = pieces_area > 0
    units, pieces, pieces_area = units[keep], pieces[keep], pieces_area[keep]
    share = pieces_area / areas[polygons][units]
    pieces_xy = shapely.get_coordinates(shapely.point_on_surface(pieces))
    logger.info("Residents of %d points and %d polygons as %d pieces of ≤ %.0f m",
                len(whole), len(polygons), len(units), piece_m)
    return ResidentPieces(xy=np.vstack([whole_xy, pieces_xy]).reshape(-1, 2),
                          unit=np.concatenate([whole, polygons[units]]).astype(np.int64),
                          share=np.concatenate([np.ones(len(whole)), share]))


def _pieces(polygons: np.ndarray, piece_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(polygon position, piece) of every grid square meeting each polygon, cut to it."""
    if len(polygons) == 0:
        return np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
    bounds = shapely.bounds(polygons)
    x0 = np.floor(bounds[:, 0] / piece_m).astype(np.int64)
    y0 = np.floor(bounds[:, 1] / piece_m).astype(np.int64)
    nx = np.maximum(np.ceil(bounds[:, 2] / piece_m).astype(np.int64) - x0, 1)
    ny = np.maximum(np.ceil(bounds[:, 3] / piece_m).astype(np.int64) - y0, 1)
    counts = nx * ny
    owner = np.repeat(np.arange(len(polygons)), counts)
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    ix = x0[owner] + step % nx[owner]
    iy = y0[owner] + step // nx[owner]
    squares = shapely.box(ix * piece_m, iy * piece_m, (ix + 1) * piece_m, (iy + 1) * piece_m)
    shapely.prepare(polygons)
    inside = shapely.contains_properly(polygons[owner], squares)
    edge = np.flatnonzero(~inside & shapely.intersects(polygons[owner], squares))
    pieces = np.empty(len(owner), dtype=object)
    pieces[inside] = squares[inside]
    pieces[edge] = shapely.intersection(polygons[owner[edge]], squares[edge])
    chosen = inside.copy()
    chosen[edge] = True
    return owner[chosen], pieces[chosen]
