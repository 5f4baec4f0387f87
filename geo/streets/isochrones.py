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
    (a buffer on the grid), and outline each threshold's cells (:mod:`geo.polygonize`: the
    same polygons as GDAL's polygonize with 8-connectivity, without a Python object per
    vertex), reprojected vertex by vertex as built. 9,000 polygons of a 1.3 M-node city take about
    2 s (the thresholds' passes shared with a forked worker). Outlines follow grid cells;
    thresholds nest exactly (the 10-minute cells are a subset of the 15-minute ones), and
    the catchments tile the merged polygon.
``method="vector"``
    shapely buffers of the pieces (exact, smooth, slower: seconds for a city).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from scipy import ndimage

from geo.crs import STORAGE_CRS
from geo.polygonize import framed_label_polygons, transposed
from geo.streets.reach import Reach

logger = logging.getLogger(__name__)
__all__ = ["DEFAULT_STREET_WIDTH_M", "reached_pieces", "walk_isochrones"]

#: How far either side of a reached street the polygon extends (the street and its frontage).
DEFAULT_STREET_WIDTH_M = 30.0

_TIME_SCALE = 1000  # grid keys hold minutes in thousandths
_KNOT_CELLS = 8  # isochrone vertices are reprojected exactly every 8 cells, bilinear between
_PARALLEL_CELLS = 4_000_000  # grids from this size polygonise in 2 processes by default


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
                    crs: str | None = STORAGE_CRS, workers: int | None = None,
                    ) -> gpd.GeoDataFrame:
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
    workers
        Processes that polygonise the grid (``method="grid"``): 1 runs everything here; more
        fork workers (POSIX; only from a single-threaded, non-daemonic process, else all
        runs here) that share out the thresholds' passes. Default: 2 for grids of 4 million
        cells or more (a city of about a million nodes), else 1. The polygons are the same
        whatever the number.

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
    cell_m = cell_m or width_m * 2 / 3
    if method == "grid":
        # areas from the metric vertices, which go straight to the output CRS
        rows = _grid_polygons(reach, pieces, thresholds, width_m=width_m, per_place=per_place,
                              cell_m=cell_m, crs=crs, workers=workers)
    else:
        rows = [(*row, shapely.area(row[2]) / 1e6)
                for row in _vector_polygons(reach, pieces, thresholds, width_m=width_m,
                                            per_place=per_place)]
    minutes, place, geometry, area_km2 = (np.concatenate(column) if column else np.array([])
                                          for column in zip(*rows, strict=True))
    network_crs = reach.graph.network.crs
    # grid polygons come in the output CRS already; vector ones are reprojected here
    grid_crs = crs if _reprojection(network_crs, crs) else network_crs
    result = gpd.GeoDataFrame({"minutes": minutes.astype(float), "place": place.astype(np.int64)},
                              geometry=gpd.GeoSeries(geometry, crs=grid_crs if method == "grid"
                                                     else network_crs))
    result["area_km2"] = area_km2.astype(float)
    logger.info("Isochrones at %s min: %d polygons (%s, %.0f m wide)",
                ", ".join(f"{m:g}" for m in thresholds), len(result), method, width_m)
    return result if crs is None or method == "grid" else result.to_crs(crs)


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


def _vector_polygons(reach, pieces, thresholds, *, width_m, per_place):
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


def _grid_polygons(reach, pieces, thresholds, *, width_m, per_place, cell_m, crs, workers):
    network = reach.graph.network
    if len(pieces["edge"]) == 0:
        empty = np.array([shapely.Polygon()] * len(thresholds))
        return [(np.array(thresholds), np.full(len(thresholds), -1), empty,
                 np.zeros(len(thresholds)))]
    grid, transform, owner_bits = _key_grid(network, pieces, width_m=width_m, cell_m=cell_m)
    band, cell_owner = _bands(grid, thresholds, owner_bits)
    del grid
    # the grids framed by a border of unreached cells, and transposed (for the columns' edges)
    band = np.pad(band, 1, constant_values=len(thresholds))
    cell_owner = np.pad(cell_owner, 1)
    bands, owners = (band, transposed(band)), (cell_owner, transposed(cell_owner))
    lattice_map = _lattice_map(network.crs, crs, transform, band.shape)

    def polygonise(job: tuple[int, bool]) -> tuple:
        k, by_place = job
        labels, labels_t = (np.where(b <= k, o, 0) if by_place else (b <= k).view(np.uint8)
                            for b, o in zip(bands, owners, strict=True))
        polygons, values, area_cells = framed_label_polygons(labels, labels_t, lattice_map)
        area_km2 = area_cells * abs(transform.a * transform.e) / 1e6
        if not by_place:
            merged = shapely.multipolygons(polygons) if len(values) else shapely.Polygon()
            return (np.array([thresholds[k]]), np.array([-1]), np.array([merged]),
                    np.array([area_km2.sum()]))
        order = np.argsort(values, kind="stable")
        places, group = np.unique(values[order], return_inverse=True)
        grouped = shapely.multipolygons(polygons[order], indices=group)
        return (np.full(len(places), thresholds[k]), places.astype(np.int64) - 1, grouped,
                np.bincount(group, weights=area_km2[order], minlength=len(places)))

    jobs = [(k, by_place) for k in range(len(thresholds)) for by_place in (False, True)
            if by_place is False or per_place]
    if workers is None:
        workers = 2 if bands[0].size >= _PARALLEL_CELLS else 1
    heaviest_first = jobs[::-1]  # the largest threshold's passes take longest
    done = dict(zip(heaviest_first, _run_jobs(polygonise, heaviest_first, workers), strict=True))
    return [done[job] for job in jobs]


def _key_grid(network, pieces, *, width_m: float,
              cell_m: float) -> tuple[np.ndarray, Affine, int]:
    """The grid of keys (time in thousandths of a minute, then place + 1) of the quickest
    reached street within ``width_m`` of each cell (:func:`_no_key` where none is), its
    transform and the number of place bits."""
    # points every 0.7 cell along each piece, with the time there and the piece's place
    edge = pieces["edge"]
    u, v = network.u[edge], network.v[edge]
    ax, ay = network.x[u], network.y[u]
    dx, dy = network.x[v] - ax, network.y[v] - ay
    start, span = pieces["start"], pieces["end"] - pieces["start"]
    steps = np.maximum(1, np.ceil(np.hypot(dx, dy) * span / (0.7 * cell_m))).astype(np.int64)
    counts = steps + 1
    n_points = int(counts.sum())
    along = np.arange(n_points, dtype=np.float64)
    along -= np.repeat((np.cumsum(counts) - counts).astype(np.float64), counts)
    along /= np.repeat(steps.astype(np.float64), counts)
    s = np.repeat(span, counts)
    s *= along
    s += np.repeat(start, counts)
    px = np.repeat(dx, counts)
    px *= s
    px += np.repeat(ax, counts)
    py = np.repeat(dy, counts)
    py *= s
    py += np.repeat(ay, counts)
    del s
    t0 = pieces["start_minutes"]
    minutes = np.repeat(pieces["end_minutes"] - t0, counts)
    minutes *= along
    minutes += np.repeat(t0, counts)
    del along
    margin = width_m + 2 * cell_m
    x0, y0 = px.min() - margin, py.max() + margin
    n_cols = int((px.max() + margin - x0) / cell_m) + 1
    n_rows = int((y0 - (py.min() - margin)) / cell_m) + 1
    py -= y0
    np.negative(py, out=py)
    py /= cell_m
    cell = py.astype(np.int64)
    cell *= n_cols
    px -= x0
    px /= cell_m
    cell += px.astype(np.int64)
    del px, py
    # keys (time, then place): int32 when both fit in 31 bits (half the memory traffic)
    place = pieces["place"]
    owner_bits = max(1, int(place.max() + 1).bit_length())
    minutes *= _TIME_SCALE
    np.rint(minutes, out=minutes)
    time_bits = max(1, int(minutes.max()).bit_length())
    dtype = np.int32 if time_bits + owner_bits <= 30 else np.int64
    no_key = _no_key(dtype, owner_bits)
    key: np.ndarray = minutes.astype(dtype)
    del minutes
    key <<= owner_bits
    key |= np.repeat((place + 1).astype(dtype), counts)
    flat = np.full(n_rows * n_cols, no_key, dtype=dtype)
    np.minimum.at(flat, cell, key)
    del cell, key
    grid = flat.reshape(n_rows, n_cols)
    radius = int(np.ceil(width_m / cell_m))
    dy_cells, dx_cells = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = (dx_cells ** 2 + dy_cells ** 2) * cell_m ** 2 <= width_m ** 2
    rows, cols = np.flatnonzero(disc.any(axis=1)), np.flatnonzero(disc.any(axis=0))
    disc = disc[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    # a cell's smallest key within the disc = the quickest reached street nearby, and its place
    if disc.all():  # a square: two 1-D passes give the same minimum, faster
        for axis, size in enumerate(disc.shape):
            grid = ndimage.minimum_filter1d(grid, size, axis=axis, mode="constant",
                                            cval=no_key)
    else:
        grid = ndimage.minimum_filter(grid, footprint=disc, mode="constant", cval=no_key)
    return grid, Affine(cell_m, 0.0, x0, 0.0, -cell_m, y0), owner_bits


def _reprojection(source: CRS | str | None, target: CRS | str | None) -> bool:
    """Whether polygons in ``source`` go to ``target`` (None: they stay)."""
    if target is None:
        return False
    if source is None:
        msg = "The street network has no CRS: isochrones cannot be reprojected (pass crs=None)."
        raise ValueError(msg)
    return not CRS.from_user_input(source).is_exact_same(CRS.from_user_input(target))


def _lattice_map(source: CRS | str | None, target: CRS | str | None, transform: Affine,
                 shape: tuple[int, int], step: int = _KNOT_CELLS,
                 ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The map of grid lattice vertices (row, column arrays) to ``target`` coordinates (n × 2):
    exact at knots every ``step`` cells, bilinear in between (as GDAL's approximate
    transformer; a few tenths of a millimetre off at 20 m cells), else the grid's own."""
    if not _reprojection(source, target):
        return lambda rows, cols: np.column_stack([transform.c + transform.a * cols,
                                                   transform.f + transform.e * rows])
    transformer = Transformer.from_crs(source, target, always_xy=True)
    knot_rows = np.arange(0, shape[0] + 2 * step, step)
    knot_cols = np.arange(0, shape[1] + 2 * step, step)
    grid_rows, grid_cols = np.meshgrid(knot_rows, knot_cols, indexing="ij")
    knots = transformer.transform(transform.c + transform.a * grid_cols,
                                  transform.f + transform.e * grid_rows)

    def project(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        i, j = rows // step, cols // step
        u, v = (rows - i * step) / step, (cols - j * step) / step
        out = []
        for values in knots:
            top = values[i, j] + v * (values[i, j + 1] - values[i, j])
            bottom = values[i + 1, j] + v * (values[i + 1, j + 1] - values[i + 1, j])
            out.append(top + u * (bottom - top))
        return np.column_stack(out)

    return project


def _run_jobs(run: Callable[[tuple], tuple], jobs: list[tuple], workers: int) -> list[tuple]:
    """``[run(job) for job in jobs]``, with the jobs shared out between this process and
    ``workers - 1`` forked ones (which see this process's arrays without a copy and send back
    only their results). Where forking is not safe, or a worker fails, its jobs run here."""
    workers = max(1, min(workers, len(jobs)))
    # fork only from one thread (a lock held by another thread would stay held in the
    # worker) and not from a daemonic process (a pool's or a cluster's worker)
    if workers > 1 and ("fork" not in multiprocessing.get_all_start_methods()
                        or multiprocessing.current_process().daemon
                        or threading.active_count() > 1):
        workers = 1
    if workers == 1:
        return [run(job) for job in jobs]
    shares = [jobs[i::workers] for i in range(workers)]  # jobs come heaviest first
    context = multiprocessing.get_context("fork")
    started: list[tuple[list[tuple], Any, Any]] = []
    for share in shares[1:]:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_send_results, args=(run, share, send), daemon=True)
        try:
            process.start()
        except OSError as error:  # no process to be had: these jobs run here
            send.send(("could not start", repr(error)))
            send.close()
            started.append((share, receive, None))
            continue
        send.close()
        started.append((share, receive, process))
    results = dict(zip(shares[0], (run(job) for job in shares[0]), strict=True))
    for share, receive, process in started:
        try:
            status, value = receive.recv()
        except EOFError:
            status, value = "died", None
        if process is not None:
            process.join()
        if status == "ok":
            results.update(zip(share, value, strict=True))
            continue
        logger.warning("An isochrone worker %s (%s); its %d jobs run here.",
                       status, value, len(share))
        results.update((job, run(job)) for job in share)
    return [results[job] for job in jobs]


def _send_results(run: Callable[[tuple], tuple], jobs: list[tuple], send) -> None:
    """In a forked worker: run the jobs and send back ("ok", results) or ("failed", reason)."""
    try:
        send.send(("ok", [run(job) for job in jobs]))
    except Exception as error:  # reported to the parent, which runs the jobs itself
        send.send(("failed", repr(error)))
    finally:
        send.close()


def _no_key(dtype: type, owner_bits: int) -> int:
    """The key of a cell no street reaches: above every key, no place bits set, and exact in
    float64 (the type of ndimage's ``cval``)."""
    if dtype is np.int32:
        return (np.iinfo(np.int32).max >> owner_bits) << owner_bits
    return 1 << 62


def _bands(grid: np.ndarray, thresholds: list[float],
           owner_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's band (index of the first threshold reached, ``len(thresholds)`` if none)
    and place + 1 (0 where no street is reached), from the key grid."""
    no_key = _no_key(grid.dtype.type, owner_bits)
    limits = []
    for minutes in thresholds:
        # the largest time key t with t / _TIME_SCALE <= minutes, as the float test gives it
        t = int(np.floor(minutes * _TIME_SCALE))
        while (t + 1) / _TIME_SCALE <= minutes:
            t += 1
        while t / _TIME_SCALE > minutes:
            t -= 1
        limits.append(min((t + 1) << owner_bits, no_key))
    # band = how many limits the key reaches; unreached cells (no_key) reach them all
    band = np.searchsorted(np.array(limits, dtype=grid.dtype), grid, side="right")
    cell_owner = grid & grid.dtype.type((1 << owner_bits) - 1)
    owner_type = np.uint16 if owner_bits <= 16 else np.uint32
    return band.astype(np.uint8), cell_owner.astype(owner_type)
