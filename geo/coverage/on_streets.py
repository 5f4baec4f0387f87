"""Coverage per district on real streets: who can walk to a place within N minutes, and who cannot.

People are counted from the network: each population point is snapped to its nearest street
and its time is the walk from there (:func:`geo.streets.reach.point_minutes`). Population polygons
are cut into pieces (:func:`geo.coverage.residents.resident_pieces`), each snapped and counted with
its share of the people. Figures are of the basis asked for, by default 65+ residents when the layer
has them (see :func:`geo.coverage.residents.population_basis`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage.by_distance import coverage_by_district
from geo.coverage.residents import PIECE_M, population_basis, resident_pieces
from geo.crs import STORAGE_CRS
from geo.memo import FrameMemo
from geo.streets.network import Snapped, snap_points
from geo.streets.reach import Reach, WalkGraph, point_minutes
from geo.streets.walking import WalkProfile

logger = logging.getLogger(__name__)
__all__ = [
    "NetworkCoverage",
    "People",
    "compare_straight_line",
    "coverage_by_district_network",
    "district_of_points",
    "network_gaps",
    "people_on_streets",
    "recount_coverage",
]


@dataclass(frozen=True)
class People:
    """Population points snapped to the streets, with their weights and districts."""

    snapped: Snapped
    #: People per point, of the basis (e.g. 65+ for ``"age65"``).
    weights: np.ndarray
    #: District position per point (index into ``district_names``; -1 outside every one).
    district: np.ndarray
    district_names: list[str]
    basis: str | None = None


def district_of_points(x: np.ndarray, y: np.ndarray, districts: np.ndarray) -> np.ndarray:
    """
    Position of the district polygon holding each point; the nearest for points outside all.

    Where districts overlap, the first holding a point gets it. A missing point (NaN) gets
    -1. The points are binned on a grid (about 16 a cell, at most 256 × 256 cells): a grid
    cell that lies wholly inside a district gives it all its points without a test, and only
    the points of cells on a district's border are tested (by coordinates, with the prepared
    polygon: no point geometry is made). A million people in 300 districts: a tenth of a
    second.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    districts = np.asarray(districts, dtype=object)
    result = np.full(len(x), -1, dtype=np.int64)
    valid = ~(shapely.is_missing(districts) | shapely.is_empty(districts))
    rows = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if not len(rows) or not valid.any():
        return result
    grid = _PointGrid(x[rows], y[rows])
    found = np.full(len(rows), -1, dtype=np.int64)  # in the grid's order of the points
    for position in np.flatnonzero(valid):
        polygon = districts[position]
        cells, boxes = grid.cells_and_boxes(shapely.bounds(polygon))
        if not len(cells):
            continue
        shapely.prepare(polygon)
        inside = shapely.contains_properly(polygon, boxes)
        border = ~inside & shapely.intersects(polygon, boxes)
        points = grid.points_of(cells[inside])
        found[points[found[points] < 0]] = position
        points = grid.points_of(cells[border])
        points = points[found[points] < 0]
        found[points[shapely.contains_xy(polygon, grid.x[points], grid.y[points])]] = position
    rows = rows[grid.order]
    result[rows] = found
    outside = rows[found < 0]
    if len(outside):
        tree = shapely.STRtree(districts[valid])
        _, nearest = tree.query_nearest(shapely.points(x[outside], y[outside]),
                                        all_matches=False)
        result[outside] = np.flatnonzero(valid)[nearest]
    return result


class _PointGrid:
    """Points sorted by the cell of a regular grid over them (about 16 a cell): the points
    of any set of cells, and the cells (as slightly padded boxes) under a bounding box."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.side = int(np.clip(np.sqrt(len(x) / 16), 1, 256))
        self.low = np.array([x.min(), y.min()])
        extent = np.array([x.max(), y.max()]) - self.low
        self.cell = np.where(extent > 0, extent / self.side, 1.0)
        column, row = self._cell_of(x, 0), self._cell_of(y, 1)
        key = (row * self.side + column).astype(np.uint16 if self.side <= 256 else np.int64)
        self.order = np.argsort(key, kind="stable")  # a radix sort of 16-bit keys
        self.x, self.y = x[self.order], y[self.order]
        self.starts = np.zeros(self.side * self.side + 1, dtype=np.int64)
        np.cumsum(np.bincount(key, minlength=self.side * self.side), out=self.starts[1:])

    def _cell_of(self, values: np.ndarray, axis: int) -> np.ndarray:
        cell = np.floor((values - self.low[axis]) / self.cell[axis])
        return np.clip(cell, 0, self.side - 1).astype(np.int64)

    def cells_and_boxes(self, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cells under ``bounds`` (minx, miny, maxx, maxy) and their boxes, padded by a
        thousandth of a cell (a point on a cell's edge is in the box whatever the rounding)."""
        first = np.floor((bounds[:2] - self.low) / self.cell)
        last = np.floor((bounds[2:] - self.low) / self.cell)
        if (last < 0).any() or (first > self.side - 1).any():
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
        first, last = np.clip(first, 0, self.side - 1), np.clip(last, 0, self.side - 1)
        grid_columns, grid_rows = np.meshgrid(np.arange(first[0], last[0] + 1, dtype=np.int64),
                                              np.arange(first[1], last[1] + 1, dtype=np.int64))
        columns, rows = grid_columns.ravel(), grid_rows.ravel()
        pad = self.cell / 1000
        west, south = self.low[0] + columns * self.cell[0], self.low[1] + rows * self.cell[1]
        boxes = shapely.box(west - pad[0], south - pad[1], west + self.cell[0] + pad[0],
                            south + self.cell[1] + pad[1])
        return rows * self.side + columns, boxes

    def points_of(self, cells: np.ndarray) -> np.ndarray:
        """Positions (in the grid's order) of the points in ``cells``."""
        begin, end = self.starts[cells], self.starts[cells + 1]
        counts = end - begin
        total = int(counts.sum())
        if not total:
            return np.zeros(0, dtype=np.int64)
        offsets = np.repeat(begin - (np.cumsum(counts) - counts), counts)
        return offsets + np.arange(total)


def people_on_streets(graph: WalkGraph, population: gpd.GeoDataFrame,
                      districts: gpd.GeoDataFrame, *, basis: str | None = None,
                      piece_m: float = PIECE_M, memo: FrameMemo | None = None) -> People:
    """
    Snap a population layer (points whole, polygons in pieces) to the streets.

    Done once per population layer and basis; every reach, what-if and siting reuses it.
    ``basis`` picks the count (:func:`geo.coverage.residents.population_basis`); ``memo`` keeps the
    pieces (:class:`geo.memo.FrameMemo`).
    """
    basis = population_basis(population, basis)
    assert basis is not None  # a population layer has a basis
    pieces = resident_pieces(population, metric_crs=str(graph.network.crs), piece_m=piece_m,
                             memo=memo)
    x, y = pieces.xy[:, 0], pieces.xy[:, 1]
    district_shapes = districts.to_crs(graph.network.crs).geometry.to_numpy()
    return People(snap_points(graph.network, x, y),
                  pieces.weights(population[basis].to_numpy(dtype=float)),
                  district_of_points(x, y, district_shapes), list(districts["name"]), basis)


@dataclass(frozen=True)
class NetworkCoverage:
    """Network coverage per district and for the city, at each threshold."""

    #: ``district``, ``minutes``, ``population``, ``covered``, ``uncovered``, ``covered_share``.
    table: pd.DataFrame
    #: The same for the whole study area, one row per threshold.
    city: pd.DataFrame
    #: Minutes from each population point to its nearest place (inf beyond the limit).
    minutes: np.ndarray
    #: Row of each point's nearest place (-1 none).
    nearest: np.ndarray
    basis: str | None
    #: False: flat ground was assumed (no elevation data).
    slope_aware: bool


def coverage_by_district_network(reach: Reach, people: People,
                                 thresholds_minutes: Sequence[float]) -> NetworkCoverage:
    """
    People within each threshold of a place on foot, per district and for the city.

    Parameters
    ----------
    reach
        From :func:`geo.streets.reach.network_reach`, with a limit ≥ the largest threshold.
    people
        From :func:`people_on_streets`.
    thresholds_minutes
        Minutes, each > 0.
    """
    thresholds = sorted(float(m) for m in thresholds_minutes)
    if not thresholds or thresholds[0] <= 0 or thresholds[-1] > reach.limit_minutes:
        msg = (f"`thresholds_minutes` must be > 0 and ≤ the reach limit "
               f"({reach.limit_minutes}), got {list(thresholds_minutes)!r}.")
        raise ValueError(msg)
    minutes, nearest = point_minutes(reach, people.snapped)
    table = _tabulate(minutes, people, thresholds)
    city = table.groupby("minutes", as_index=False)[["population", "covered"]].sum()
    city = _with_shares(city)
    for row in city.itertuples():
        logger.info("Within %g min on foot: %s of %s people (%.1f %%)", row.minutes,
                    f"{row.covered:,.0f}", f"{row.population:,.0f}", 100 * row.covered_share)
    return NetworkCoverage(table, city, minutes, nearest, people.basis, reach.slope_aware)


def recount_coverage(base: NetworkCoverage, reach: Reach, people: People,
                     changed_nodes: np.ndarray, changed_edges: np.ndarray) -> NetworkCoverage:
    """
    ``base`` after a change of the places that moved only ``changed_nodes``.

    Only the people entering the streets at those nodes, or on ``changed_edges``, are timed
    again, and the counts are corrected by their difference: a what-if over a million people
    in milliseconds instead of timing them all. Equal to
    :func:`coverage_by_district_network` on ``reach`` (up to rounding in the sums).

    Parameters
    ----------
    base
        Coverage of the same ``people`` before the change.
    reach
        The reach after the change.
    changed_nodes
        Nodes whose minutes or nearest place changed.
    changed_edges
        Edges of the places added or removed (a person on one may walk straight along it).
    """
    network = reach.graph.network
    moved = np.zeros(network.n_nodes, dtype=bool)
    moved[changed_nodes] = True
    edge_moved = moved[network.u] | moved[network.v]
    edge_moved[changed_edges[changed_edges >= 0]] = True
    edge = people.snapped.edge
    who = np.flatnonzero(edge_moved[np.maximum(edge, 0)] & (edge >= 0))
    minutes, nearest = base.minutes.copy(), base.nearest.copy()
    new_minutes, nearest[who] = point_minutes(reach, people.snapped.take(who))
    old_minutes = minutes[who]
    minutes[who] = new_minutes
    n_districts = len(people.district_names)
    district, weights = people.district[who], people.weights[who]
    inside = district >= 0
    table = base.table.copy()
    covered = table["covered"].to_numpy(dtype=float).copy()
    for position, limit in enumerate(sorted(base.city["minutes"])):
        gained = (new_minutes[inside] <= limit).astype(float) - (old_minutes[inside] <= limit)
        covered[position * n_districts:(position + 1) * n_districts] += np.bincount(
            district[inside], weights=weights[inside] * gained, minlength=n_districts)
    table["covered"] = covered
    table = _with_shares(table)
    city = _with_shares(table.groupby("minutes", as_index=False)[["population", "covered"]].sum())
    return NetworkCoverage(table, city, minutes, nearest, base.basis, base.slope_aware)


def _tabulate(minutes: np.ndarray, people: People, thresholds: Sequence[float]) -> pd.DataFrame:
    n_districts = len(people.district_names)
    inside = people.district >= 0
    district = people.district[inside]
    weights, minutes = people.weights[inside], minutes[inside]
    population = np.bincount(district, weights=weights, minlength=n_districts)
    frames = []
    for limit in thresholds:
        covered = np.bincount(district, weights=weights * (minutes <= limit),
                              minlength=n_districts)
        frames.append(pd.DataFrame({"district": people.district_names, "minutes": limit,
                                    "population": population, "covered": covered}))
    return _with_shares(pd.concat(frames, ignore_index=True))


def _with_shares(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["uncovered"] = table["population"] - table["covered"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["covered_share"] = table["covered"] / table["population"].where(
            table["population"] > 0)
    return table


def compare_straight_line(coverage: NetworkCoverage, districts: gpd.GeoDataFrame,
                          places: gpd.GeoDataFrame, population: gpd.GeoDataFrame, *,
                          profile: WalkProfile, metric_crs: str,
                          memo: FrameMemo | None = None) -> pd.DataFrame:
    """
    Straight-line and network coverage side by side, per district and threshold.

    The straight-line side uses circles of ``profile.metres(minutes)``
    (:func:`geo.coverage.by_distance.coverage_by_district`, with its ``memo``); the difference is
    what rivers, railways, hills and dead ends take away.

    Returns
    -------
    DataFrame
        ``district``, ``minutes``, ``radius_m``, ``population``, ``straight_covered``,
        ``straight_share``, ``network_covered``, ``network_share``, ``share_lost``.
    """
    thresholds = sorted(coverage.table["minutes"].unique())
    radii = [float(profile.metres(m)) for m in thresholds]
    straight = coverage_by_district(districts, places, radii_m=radii, population=population,
                                    profile=profile, metric_crs=metric_crs,
                                    basis=coverage.basis, memo=memo).table
    straight = straight.assign(minutes=profile.minutes(straight["radius_m"]))
    straight = straight[["district", "minutes", "radius_m", "covered", "covered_share"]].rename(
        columns={"covered": "straight_covered", "covered_share": "straight_share"})
    network = coverage.table.rename(columns={"covered": "network_covered",
                                             "covered_share": "network_share"})
    table = network[["district", "minutes", "population", "network_covered", "network_share"]]
    table = table.assign(minutes=table["minutes"].round(9))
    straight = straight.assign(minutes=straight["minutes"].round(9))
    merged = table.merge(straight, on=["district", "minutes"], how="left")
    merged["share_lost"] = merged["straight_share"] - merged["network_share"]
    return merged[["district", "minutes", "radius_m", "population", "straight_covered",
                   "straight_share", "network_covered", "network_share", "share_lost"]]


def network_gaps(districts: gpd.GeoDataFrame, isochrones: gpd.GeoDataFrame,
                 coverage: NetworkCoverage) -> gpd.GeoDataFrame:
    """
    Per district and threshold, the area outside the merged isochrone, with the people there.

    The people come from the network (``coverage``), the shape from the display polygons.
    """
    merged = isochrones[isochrones["place"] == -1]
    districts_m = districts.to_crs(isochrones.crs)
    table = coverage.table.set_index(["district", "minutes"])
    rows = []
    for minutes, reach_area in zip(merged["minutes"], merged.geometry, strict=True):
        gaps = shapely.difference(districts_m.geometry.to_numpy(), reach_area)
        for name, gap in zip(districts_m["name"], gaps, strict=True):
            uncovered = table["uncovered"].get((name, minutes), np.nan)
            rows.append({"district": name, "minutes": minutes, "uncovered": uncovered,
                         "geometry": gap})
    result = gpd.GeoDataFrame(rows, geometry="geometry", crs=isochrones.crs)
    return result[~result.geometry.is_empty].to_crs(STORAGE_CRS).reset_index(drop=True)
