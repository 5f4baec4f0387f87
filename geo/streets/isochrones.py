"""Walking isochrones for display: the streets reached in N minutes, widened a little, dissolved.

Polygons are built from the reached street segments (partial segments cut where the time
runs out, from each end), never from hulls, so they do not leak across rivers or railways.
They are for the map only: coverage counts come from the network (:mod:`geo.coverage.on_streets`).

Per-place polygons are *catchments*: every reached piece of street belongs to the place
nearest to it (the multi-source search already says which), so 300 places × 3 thresholds
need no per-place searches. Where two catchments meet, each place's polygon stops at the
point of equal time; a place's polygon is therefore what that place serves, not everything
within N minutes of it (which would need one search per place).

Two ways to widen and dissolve:

``method="grid"`` (default, fast)
    Rasterise the reached pieces on a grid of ``cell_m`` (default ⅔ of ``width_m``) keeping
    the smallest time and its place per cell, take the minimum over a disc of ``width_m``
    (a buffer on the grid), and polygonise each threshold's cells with GDAL (rasterio). 900
    polygons of a 107k-node city take well under a second. Outlines follow grid cells;
    thresholds nest exactly (the 10-minute cells are a subset of the 15-minute ones).
``method="vector"``
    shapely buffers of the pieces (exact, smooth, slower: seconds for a city).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from rasterio.features import shapes
from scipy import ndimage

from geo.crs import STORAGE_CRS
from geo.streets.reach import Reach

logger = logging.getLogger(__name__)
__all__ = ["DEFAULT_STREET_WIDTH_M", "reached_pieces", "walk_isochrones"]

#: How far either side of a reached street the polygon extends (the street and its frontage).
DEFAULT_STREET_WIDTH_M = 30.0

_TIME_SCALE = 1000  # grid keys hold minutes in thousandths
_OWNER_BITS = 24
_NO_KEY = np.int64(1) << np.int64(62)  # exact in float64, which ndimage uses for cval


def reached_pieces(reach: Reach, limit_minutes: float | None = None) -> dict[str, np.ndarray]:
    """
    The parts of street edges reached within ``limit_minutes`` (default: the reach limit).

    Returns
    -------
    dict
        Arrays ``edge``, ``start``/``end`` (fractions along the edge, start < end),
        ``start_minutes``/``end_minutes`` (time at each end; linear in between) and ``place``
        (the row of the place the piece belongs to).
    """
    limit = reach.limit_minutes if limit_minutes is None else float(limit_minutes)
    network, minutes = reach.graph.network, reach.graph.minutes
    forward, backward = minutes.forward, minutes.backward
    du, dv = reach.minutes[network.u], reach.minutes[network.v]
    with np.errstate(invalid="ignore", divide="ignore"):
        # from u the walk covers s·backward; from v, (1 - s)·forward
        ru = np.where(du <= limit, np.clip((limit - du) / backward, 0, 1), 0.0)
        rv = np.where(dv <= limit, np.clip((limit - dv) / forward, 0, 1), 0.0)
        meet = np.clip((forward + dv - du) / (forward + backward), 0, 1)
    ru, rv = np.nan_to_num(ru, nan=1.0), np.nan_to_num(rv, nan=1.0)  # zero-time edges
    meet = np.nan_to_num(meet, nan=0.5)
    whole = ru + rv >= 1
    u_end = np.where(whole, meet, ru)
    v_start = np.where(whole, meet, 1 - rv)
    from_u = (u_end > 0) & (du <= limit)
    from_v = (v_start < 1) & (dv <= limit)
    eu, ev = np.flatnonzero(from_u), np.flatnonzero(from_v)
    parts = [
        (eu, np.zeros(len(eu)), u_end[eu], du[eu], du[eu] + u_end[eu] * backward[eu],
         reach.nearest[network.u[eu]]),
        (ev, v_start[ev], np.ones(len(ev)), dv[ev] + (1 - v_start[ev]) * forward[ev], dv[ev],
         reach.nearest[network.v[ev]]),
    ]
    # the street a place stands on is reached from the place itself, whatever its end nodes
    active = reach.active
    if len(active):
        edge = reach.places.edge[active]
        t = reach.places.fraction[active]
        access = reach.graph.access_minutes(reach.places.take(active))
        ok = access <= limit
        edge, t, access, owner = edge[ok], t[ok], access[ok], active[ok]
        with np.errstate(invalid="ignore", divide="ignore"):
            back = np.clip(np.nan_to_num((limit - access) / forward[edge], nan=1.0), 0, t)
            ahead = np.clip(np.nan_to_num((limit - access) / backward[edge], nan=1.0), 0, 1 - t)
        parts.append((edge, t - back, t, access + back * forward[edge], access, owner))
        parts.append((edge, t, t + ahead, access, access + ahead * backward[edge], owner))
    names = ("edge", "start", "end", "start_minutes", "end_minutes", "place")
    pieces = {name: np.concatenate([part[i] for part in parts]) for i, name in enumerate(names)}
    keep = pieces["end"] > pieces["start"]
    return {name: values[keep] for name, values in pieces.items()}


def walk_isochrones(reach: Reach, thresholds_minutes: Sequence[float], *,
                    width_m: float = DEFAULT_STREET_WIDTH_M, per_place: bool = True,
                    method: str = "grid", cell_m: float | None = None,
                    crs: str | None = STORAGE_CRS) -> gpd.GeoDataFrame:
    """
    Isochrone polygons: all places merged per threshold, and each place's catchment.

    Parameters
    ----------
    reach
        From :func:`geo.streets.reach.network_reach`, with a limit ≥ the largest threshold.
    thresholds_minutes
        Minutes, each > 0 and ≤ ``reach.limit_minutes``.
    width_m
        Street-side width around reached streets (> 0).
    per_place
        Also return one polygon per place and threshold.
    method
        ``"grid"`` (fast) or ``"vector"`` (exact buffers); see the module notes.
    cell_m
        Grid cell for ``method="grid"``; default ⅔ of ``width_m``.
    crs
        Output CRS; None keeps the network's metric CRS.

    Returns
    -------
    GeoDataFrame
        Columns ``minutes``, ``place`` (row of the place; -1 for the merged polygon of all
        places), ``area_km2`` and geometry.
    """
    thresholds = sorted(float(m) for m in thresholds_minutes)
    if not thresholds or thresholds[0] <= 0 or not np.isfinite(thresholds[-1]):
        msg = f"`thresholds_minutes` must be numbers > 0, got {list(thresholds_minutes)!r}."
        raise ValueError(msg)
    if thresholds[-1] > reach.limit_minutes:
        msg = (f"The largest threshold ({thresholds[-1]} min) is beyond the reach limit "
               f"({reach.limit_minutes} min); search with limit_minutes={thresholds[-1]}.")
        raise ValueError(msg)
    if not width_m > 0:
        msg = f"`width_m` must be > 0, got {width_m!r}."
        raise ValueError(msg)
    if method not in {"grid", "vector"}:
        msg = f"`method` must be 'grid' or 'vector', got {method!r}."
        raise ValueError(msg)
    pieces = reached_pieces(reach, thresholds[-1])
    build = _grid_polygons if method == "grid" else _vector_polygons
    rows = build(reach, pieces, thresholds, width_m=width_m, per_place=per_place,
                 cell_m=cell_m or width_m * 2 / 3)
    minutes, place, geometry = (np.concatenate(column) if column else np.array([])
                                for column in zip(*rows, strict=True))
    result = gpd.GeoDataFrame({"minutes": minutes.astype(float), "place": place.astype(np.int64)},
                              geometry=gpd.GeoSeries(geometry, crs=reach.graph.network.crs))
    result["area_km2"] = shapely.area(result.geometry.values) / 1e6
    logger.info("Isochrones at %s min: %d polygons (%s, %.0f m wide)",
                ", ".join(f"{m:g}" for m in thresholds), len(result), method, width_m)
    return result if crs is None else result.to_crs(crs)


def _piece_lines(reach: Reach, pieces: dict[str, np.ndarray], limit: float) -> tuple:
    """Pieces cut at ``limit`` as LineStrings, with their places."""
    start, end = pieces["start"], pieces["end"]
    t0, t1 = pieces["start_minutes"], pieces["end_minutes"]
    inside = np.minimum(t0, t1) <= limit
    start, end, t0, t1 = start[inside], end[inside], t0[inside], t1[inside]
    with np.errstate(invalid="ignore", divide="ignore"):
        cut = np.where(t1 != t0, (limit - t0) / (t1 - t0), 1.0)
    cut = np.clip(np.nan_to_num(cut, nan=1.0), 0, 1)
    new_start = np.where(t0 <= limit, start, start + cut * (end - start))
    new_end = np.where(t1 <= limit, end, start + cut * (end - start))
    edge = pieces["edge"][inside]
    network = reach.graph.network
    ax, ay = network.x[network.u[edge]], network.y[network.u[edge]]
    dx, dy = network.x[network.v[edge]] - ax, network.y[network.v[edge]] - ay
    coords = np.stack([np.column_stack([ax + new_start * dx, ay + new_start * dy]),
                       np.column_stack([ax + new_end * dx, ay + new_end * dy])], axis=1)
    return shapely.linestrings(coords), pieces["place"][inside]


def _vector_polygons(reach, pieces, thresholds, *, width_m, per_place, cell_m):
    del cell_m  # grid only
    rows = []
    for limit in thresholds:
        lines, place = _piece_lines(reach, pieces, limit)
        merged = shapely.buffer(shapely.multilinestrings(lines), width_m, quad_segs=4)
        rows.append((np.array([limit]), np.array([-1]), np.array([merged])))
        if per_place and len(lines):
            order = np.argsort(place, kind="stable")
            owners = np.unique(place)
            groups = shapely.multilinestrings(lines[order], indices=np.searchsorted(owners,
                                                                                  place[order]))
            polygons = shapely.buffer(groups, width_m, quad_segs=4)
            rows.append((np.full(len(owners), limit), owners, polygons))
    return rows


def _grid_polygons(reach, pieces, thresholds, *, width_m, per_place, cell_m):
    network = reach.graph.network
    if len(pieces["edge"]) == 0:
        return [(np.array(thresholds), np.full(len(thresholds), -1),
                 np.array([shapely.Polygon()] * len(thresholds)))]
    # points every 0.7 cell along each piece, with the time there and the piece's place
    edge = pieces["edge"]
    ax, ay = network.x[network.u[edge]], network.y[network.u[edge]]
    dx, dy = network.x[network.v[edge]] - ax, network.y[network.v[edge]] - ay
    span = pieces["end"] - pieces["start"]
    steps = np.maximum(1, np.ceil(np.hypot(dx, dy) * span / (0.7 * cell_m))).astype(np.int64)
    which = np.repeat(np.arange(len(edge)), steps + 1)
    first = np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
    along = (np.arange(len(which)) - first) / steps[which]
    s = pieces["start"][which] + along * span[which]
    px, py = ax[which] + s * dx[which], ay[which] + s * dy[which]
    t0, t1 = pieces["start_minutes"][which], pieces["end_minutes"][which]
    minutes = t0 + along * (t1 - t0)
    owner = pieces["place"][which] + 1  # 0 = no place
    margin = width_m + 2 * cell_m
    x0, y0 = px.min() - margin, py.max() + margin
    n_cols = int((px.max() + margin - x0) / cell_m) + 1
    n_rows = int((y0 - (py.min() - margin)) / cell_m) + 1
    cell = ((y0 - py) / cell_m).astype(np.int64) * n_cols + ((px - x0) / cell_m).astype(np.int64)
    key = (np.round(minutes * _TIME_SCALE).astype(np.int64) << _OWNER_BITS) | owner
    grid = np.full(n_rows * n_cols, _NO_KEY, dtype=np.int64)
    np.minimum.at(grid, cell, key)
    radius = int(np.ceil(width_m / cell_m))
    dy_cells, dx_cells = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = (dx_cells ** 2 + dy_cells ** 2) * cell_m ** 2 <= width_m ** 2
    # a cell's smallest key within the disc = the quickest reached street nearby, and its place
    grid = ndimage.minimum_filter(grid.reshape(n_rows, n_cols), footprint=disc,
                                  mode="constant", cval=_NO_KEY)
    reached = grid < _NO_KEY
    band = np.full(grid.shape, len(thresholds), dtype=np.uint8)
    cell_minutes = (grid >> _OWNER_BITS) / _TIME_SCALE
    for k in reversed(range(len(thresholds))):
        band[reached & (cell_minutes <= thresholds[k])] = k
    cell_owner = np.where(reached, grid & ((1 << _OWNER_BITS) - 1), 0).astype(np.int32)
    transform = Affine(cell_m, 0.0, x0, 0.0, -cell_m, y0)

    def polygonise(job: tuple[int, bool]) -> tuple:
        k, by_place = job
        inside = band <= k
        values = np.where(inside, cell_owner, 0) if by_place else inside.view(np.uint8)
        polygons, labels = _polygons(shapes(values, mask=inside, transform=transform,
                                            connectivity=8))
        if not by_place:
            merged = shapely.multipolygons(polygons) if len(polygons) else shapely.Polygon()
            return np.array([thresholds[k]]), np.array([-1]), np.array([merged])
        order = np.argsort(labels, kind="stable")
        owners = np.unique(labels)
        grouped = shapely.multipolygons(polygons[order],
                                        indices=np.searchsorted(owners, labels[order]))
        return np.full(len(owners), thresholds[k]), owners - 1, grouped

    jobs = [(k, by_place) for k in range(len(thresholds)) for by_place in (False, True)
            if by_place is False or per_place]
    # (not in threads: rasterio's GDAL environment is per thread and warns from workers)
    return [polygonise(job) for job in jobs]


def _polygons(found: Iterable[tuple[dict, float]]) -> tuple[np.ndarray, np.ndarray]:
    """The polygons and values of rasterio's ``shapes``, made in one vectorised call (a
    shapely object per GeoJSON mapping took most of the time on a city of a million nodes)."""
    rings: list = []
    ring_counts, labels = [], []
    for geometry, value in found:
        coordinates = geometry["coordinates"]
        rings.extend(coordinates)
        ring_counts.append(len(coordinates))
        labels.append(int(value))
    if not rings:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    lengths = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    coords = np.array(list(itertools.chain.from_iterable(rings)), dtype=float).reshape(-1, 2)
    offsets = (np.concatenate([[0], np.cumsum(lengths)]),
               np.concatenate([[0], np.cumsum(ring_counts)]))
    polygons = shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords, offsets)
    return polygons, np.asarray(labels, dtype=np.int64)
