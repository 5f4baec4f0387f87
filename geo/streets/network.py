"""The street network as arrays: nodes, straight street segments, and where points meet them.

A :class:`StreetNetwork` holds node positions in a metric CRS and one edge per straight street
segment (OSM way segment), undirected. Walking times per direction come from
:mod:`geo.streets.walking`; :func:`to_csgraph` turns them into a directed sparse graph for
``scipy.sparse.csgraph``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)
__all__ = [
    "MIN_EDGE_MINUTES",
    "Snapped",
    "StreetNetwork",
    "drop_small_components",
    "edges_near",
    "snap_points",
    "street_xy",
    "to_csgraph",
]

#: Weight given to zero-length edges and zero offsets: sparse matrices drop explicit zeros
#: (a 0 becomes "no edge"), so a street segment of length 0 would vanish from the graph.
MIN_EDGE_MINUTES = 1e-9

#: Nearest-edge candidates looked at per point before the exact STRtree fallback, and the
#: longest piece of edge one candidate stands for.
_SNAP_CANDIDATES = 8
#: Candidates looked at, before the STRtree, for the few points the first look left unsure
#: (3 % of a million people; 16 settles them all but costs half as much again as 8 for all).
_SNAP_WIDER = (16, 64)
#: Points snapped at a time (bounds the memory of the candidates' arrays; 32k keep them in
#: the cache: 15 % less time than 128k on a million people).
_SNAP_CHUNK = 1 << 15
_SNAP_PIECE_M = 50.0


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """
    Streets a pedestrian can use, as arrays in a metric CRS.

    Edge ``i`` is the straight segment from node ``u[i]`` to node ``v[i]``; walking may go
    either way (times per direction come from :func:`geo.streets.walking.edge_minutes`).
    """

    #: Node eastings and northings in metres (``crs``).
    x: np.ndarray
    y: np.ndarray
    #: Edge end nodes (int64) and length in metres (≥ the straight distance; may be 0).
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    #: OSM ``highway`` value of each edge ("footway", "steps", ...); "" when unknown.
    kind: np.ndarray
    #: The metric CRS of ``x`` and ``y``.
    crs: str
    #: Where the network came from (file name and hash), for messages and caches.
    source: str = ""
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n_edges = len(self.u)
        if not (len(self.v) == len(self.length_m) == len(self.kind) == n_edges):
            msg = "u, v, length_m and kind must have one value per edge."
            raise ValueError(msg)
        if len(self.x) != len(self.y):
            msg = "x and y must have one value per node."
            raise ValueError(msg)
        if n_edges and (min(self.u.min(), self.v.min()) < 0
                        or max(self.u.max(), self.v.max()) >= len(self.x)):
            msg = "edge end nodes must index x and y."
            raise ValueError(msg)

    @classmethod
    def from_arrays(cls, x, y, u, v, *, length_m=None, kind=None, crs: str,
                    source: str = "") -> StreetNetwork:
        """Build a network from plain sequences; lengths default to the straight distance."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        if length_m is None:
            length_m = np.hypot(x[v] - x[u], y[v] - y[u])
        if kind is None:
            kind = np.full(len(u), "", dtype="<U1")
        return cls(x, y, u, v, np.asarray(length_m, dtype=float), np.asarray(kind, dtype=str),
                   crs, source)

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def n_edges(self) -> int:
        return len(self.u)

    def edge_lines(self) -> np.ndarray:
        """Every edge as a shapely LineString (computed once)."""
        if "lines" not in self._cache:
            starts = np.column_stack([self.x[self.u], self.y[self.u]])
            ends = np.column_stack([self.x[self.v], self.y[self.v]])
            self._cache["lines"] = shapely.linestrings(np.stack([starts, ends], axis=1))
        return self._cache["lines"]

    def subset(self, edge_mask: np.ndarray) -> StreetNetwork:
        """The network made of the edges in ``edge_mask``, nodes renumbered (unused dropped)."""
        u, v = self.u[edge_mask], self.v[edge_mask]
        used = np.unique(np.concatenate([u, v]))
        renumber = np.full(self.n_nodes, -1, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        return StreetNetwork(self.x[used], self.y[used], renumber[u], renumber[v],
                             self.length_m[edge_mask], self.kind[edge_mask], self.crs, self.source)


@dataclass(frozen=True)
class Snapped:
    """Where points meet the network: the nearest edge, how far along it, how far away."""

    #: Index of the nearest edge per point (-1 when the point is missing).
    edge: np.ndarray
    #: Position along the edge from ``u`` (0) to ``v`` (1).
    fraction: np.ndarray
    #: Straight distance from the point to the edge in metres (NaN when missing).
    distance_m: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    def take(self, index: np.ndarray) -> Snapped:
        """The snapped points at ``index`` (positions or a boolean mask)."""
        return Snapped(self.edge[index], self.fraction[index], self.distance_m[index])


def to_csgraph(network: StreetNetwork, forward_minutes: np.ndarray,
               backward_minutes: np.ndarray, *, reverse: bool = False) -> csr_matrix:
    """
    The directed walking graph as a CSR matrix for ``scipy.sparse.csgraph``.

    Parameters
    ----------
    network
        The streets.
    forward_minutes, backward_minutes
        Minutes to walk each edge from ``u`` to ``v`` and from ``v`` to ``u`` (``inf`` for
        "not walkable that way").
    reverse
        Build the transposed graph (edge ``v → u`` carries the time of ``u → v``): a search
        from places on it gives the time *to* the places.

    Notes
    -----
    Parallel edges (two streets joining the same nodes) keep the shortest: sparse
    constructors would add them up. Zero times become :data:`MIN_EDGE_MINUTES`, since an
    explicit 0 in a sparse matrix reads as "no edge".
    """
    n = network.n_nodes
    weights = np.concatenate([forward_minutes, backward_minutes]).astype(float, copy=False)
    # per (row, col) one combined key (seconds faster to sort than a lexsort of three keys
    # on a million nodes), made straight from u and v: no rows and cols arrays
    key = np.empty(len(weights), dtype=np.int64)
    first_node, second_node = (network.v, network.u) if reverse else (network.u, network.v)
    np.multiply(first_node, n, out=key[:network.n_edges])
    key[:network.n_edges] += second_node
    np.multiply(second_node, n, out=key[network.n_edges:])
    key[network.n_edges:] += first_node
    walkable = np.isfinite(weights)
    if not walkable.all():
        key, weights = key[walkable], weights[walkable]
    np.maximum(weights, MIN_EDGE_MINUTES, out=weights)
    # the smallest weight of each (row, col): one stable sort, then the minimum of each run
    order = np.argsort(key, kind="stable")
    key, weights = key[order], weights[order]
    first = np.ones(len(key), dtype=bool)
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    if len(starts) < len(key):
        weights = np.minimum.reduceat(weights, starts)
        key = key[starts]
    rows, cols = np.divmod(key, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return csr_matrix((weights, cols, indptr), shape=(n, n))


def snap_points(network: StreetNetwork, x: np.ndarray, y: np.ndarray) -> Snapped:
    """
    Snap points to the nearest street edge (not the nearest node).

    Parameters
    ----------
    network
        The streets.
    x, y
        Point coordinates in ``network.crs``; NaN marks a missing point.

    Returns
    -------
    Snapped
        Per point: nearest edge, fraction along it from ``u`` and distance in metres.

    Notes
    -----
    Exact: candidates come from a k-d tree of points along the edges (one per ≤ 50 m piece;
    ten times faster than an STRtree for 100k points); a point whose nearest edge cannot be
    proved among its 8 nearest pieces (a piece's half-length bounds how much closer its edge
    can be) is looked at again among 16, then 64, and only if still unsure looked up in a
    shapely ``STRtree`` of the edges (built once, when first needed: on a city of a million
    nodes it takes seconds, while a second look takes milliseconds). The points are looked
    up in Z-order (neighbours one after another: the tree's cells and the edges they touch
    stay in the cache; the k-d tree answers a million people about four times faster), in
    chunks, the tree queried on every core.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n_points = len(x)
    edge = np.full(n_points, -1, dtype=np.int64)
    fraction = np.full(n_points, np.nan)
    distance_m = np.full(n_points, np.nan)
    present = np.isfinite(x) & np.isfinite(y)
    if network.n_edges == 0 or not present.any():
        return Snapped(edge, fraction, distance_m)
    index, ends = _snap_index(network), _edge_ends(network)
    rows = np.flatnonzero(present)
    rows = rows[_z_order(x[rows], y[rows])]
    points = np.column_stack([x[rows], y[rows]])
    found_edge, found_fraction, found_distance, unsure = _nearest_in_chunks(points, index, ends)
    for k in _SNAP_WIDER:  # look wider around the few unsure points before an STRtree
        if not unsure.any():
            break
        again = np.flatnonzero(unsure)
        wider = _nearest_sampled(points[again], index, ends, k, workers=-1)
        found_edge[again], found_fraction[again], found_distance[again] = wider[:3]
        unsure[again] = wider[3]
    if unsure.any():
        tree = network._cache.get("strtree") or network._cache.setdefault(
            "strtree", shapely.STRtree(network.edge_lines()))
        (which, exact_edge), _ = tree.query_nearest(
            shapely.points(points[unsure]), return_distance=True, all_matches=False)
        unsure_rows = np.flatnonzero(unsure)[which]
        exact_fraction, exact_squared = _fraction_and_squared(points[unsure_rows],
                                                              ends[exact_edge])
        found_edge[unsure_rows], found_fraction[unsure_rows] = exact_edge, exact_fraction
        found_distance[unsure_rows] = np.sqrt(exact_squared)
    edge[rows], fraction[rows], distance_m[rows] = found_edge, found_fraction, found_distance
    logger.debug("Snapped %d points (%d via the STRtree)", len(points), int(unsure.sum()))
    return Snapped(edge, fraction, distance_m)


@dataclass(frozen=True)
class _SnapIndex:
    """A k-d tree of points along the edges (:func:`_sample_index`)."""

    #: The tree of the pieces' midpoints, and the edge of each piece.
    kdtree: cKDTree
    sample_edge: np.ndarray
    #: Half the longest piece: an edge is at most this much nearer than its nearest piece.
    max_half_m: float


def _snap_index(network: StreetNetwork) -> _SnapIndex:
    """The network's k-d tree of edge pieces (:func:`_sample_index`), built once."""
    if "snap_index" not in network._cache:
        network._cache["snap_index"] = _SnapIndex(*_sample_index(_edge_ends(network)))
    return network._cache["snap_index"]


def _edge_ends(network: StreetNetwork) -> np.ndarray:
    """Per edge ``(ax, ay, dx, dy)``: start, and end minus start, in one row (one cache line
    per candidate instead of four). Made per snap, not kept: 60 MB on a million-node city,
    and the memory peak of a whole job comes after the snap."""
    ends = np.empty((network.n_edges, 4))
    ends[:, 0], ends[:, 1] = network.x[network.u], network.y[network.u]
    ends[:, 2] = network.x[network.v] - ends[:, 0]
    ends[:, 3] = network.y[network.v] - ends[:, 1]
    return ends


def street_xy(network: StreetNetwork, snapped: Snapped) -> tuple[np.ndarray, np.ndarray]:
    """Where snapped points meet their streets (x, y; an unsnapped point's is meaningless)."""
    edge = np.maximum(snapped.edge, 0)
    t = np.nan_to_num(snapped.fraction)
    ux, uy = network.x[network.u[edge]], network.y[network.u[edge]]
    return (ux + t * (network.x[network.v[edge]] - ux),
            uy + t * (network.y[network.v[edge]] - uy))


def edges_near(network: StreetNetwork, x: float, y: float, radius_m: float) -> np.ndarray:
    """
    Every edge passing within ``radius_m`` of (``x``, ``y``), sorted, and perhaps a few up
    to half a snap piece (≤ 25 m) farther: from the snap index, in milliseconds on a city
    of a million nodes (the index is built on first use, as :func:`snap_points` does).
    """
    if network.n_edges == 0:
        return np.zeros(0, dtype=np.int64)
    index = _snap_index(network)
    found = np.asarray(index.kdtree.query_ball_point([x, y], radius_m + index.max_half_m),
                       dtype=np.int64)
    return np.unique(index.sample_edge[found]).astype(np.int64)


def _z_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The order of points along a Z-curve (Morton code of 16 bits per axis over their
    extent): points near each other mostly come one after another."""
    if len(x) < 2:
        return np.arange(len(x))
    codes = []
    for values in (x, y):
        low, span = values.min(), np.ptp(values)
        cell = ((values - low) * (65535 / span) if span > 0 else np.zeros(len(values)))
        bits = cell.astype(np.uint64)
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            bits = (bits | (bits << np.uint64(shift))) & np.uint64(mask)
        codes.append(bits)
    return np.argsort(codes[0] | (codes[1] << np.uint64(1)), kind="stable")


def _nearest_in_chunks(points: np.ndarray, index: _SnapIndex, ends: np.ndarray,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_nearest_sampled` with :data:`_SNAP_CANDIDATES`, in chunks (k candidates per
    point: bounded memory that stays in the cache), the k-d tree queried on every core.

    The numpy part stays in this thread: chunks in a thread pool were no faster here (two
    shared cores) and each thread's malloc arena kept 35-70 MB after a million points."""
    parts = [_nearest_sampled(points[start:start + _SNAP_CHUNK], index, ends,
                              _SNAP_CANDIDATES, workers=-1)
             for start in range(0, len(points), _SNAP_CHUNK)]
    edge, fraction, distance, unsure = (np.concatenate(part) for part in zip(*parts,
                                                                              strict=True))
    return edge, fraction, distance, unsure


def _nearest_sampled(points: np.ndarray, index: _SnapIndex, ends: np.ndarray, k: int,
                     workers: int = 1,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The nearest of the edges of each point's ``k`` nearest samples: (edge, fraction,
    distance, unsure), unsure where an edge without a sample among them could be nearer."""
    n_samples = len(index.sample_edge)
    k = min(k, n_samples)
    mid_distance, nearest_samples = index.kdtree.query(points, k=k, workers=workers)
    mid_distance = mid_distance.reshape(len(points), k)
    candidates = index.sample_edge[nearest_samples.reshape(len(points), k)]
    fractions, squared = _fraction_and_squared(points[:, None, :], ends[candidates])
    best = np.argmin(squared, axis=1)
    rows = np.arange(len(points))
    found_distance = np.sqrt(squared[rows, best])
    # an unseen edge is at least (its nearest sample's distance - half a piece) away
    unsure = (mid_distance[:, -1] - index.max_half_m < found_distance) & (k < n_samples)
    return candidates[rows, best], fractions[rows, best], found_distance, unsure


def _sample_index(ends: np.ndarray) -> tuple[cKDTree, np.ndarray, float]:
    """A k-d tree of the midpoints of edges (rows ``ax, ay, dx, dy``) cut into pieces of at
    most ``_SNAP_PIECE_M``, the edge of each piece and half the longest piece.

    The tree is built unbalanced and without shrinking its cells (three times faster to
    build on a million edges; as fast to query)."""
    ax, ay, dx, dy = ends.T
    length_m = np.hypot(dx, dy)
    pieces = np.maximum(1, np.ceil(length_m / _SNAP_PIECE_M)).astype(np.int64)
    # the edge of each piece, in 32 bits when they fit (half the memory of the index's edges)
    sample_edge = np.repeat(np.arange(len(ax), dtype=np.int32 if len(ax) < 2**31 else np.int64),
                            pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    along = (np.arange(len(sample_edge)) - first + 0.5) / np.repeat(pieces, pieces)
    samples = np.empty((len(sample_edge), 2))
    samples[:, 0] = np.repeat(ax, pieces) + along * np.repeat(dx, pieces)
    samples[:, 1] = np.repeat(ay, pieces) + along * np.repeat(dy, pieces)
    max_half_m = float((length_m / pieces).max()) / 2 if len(pieces) else 0.0
    kdtree = cKDTree(samples, balanced_tree=False, compact_nodes=False)
    return kdtree, sample_edge, max_half_m


def _fraction_and_squared(points: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fraction along and squared distance to segments (rows ``ax, ay, dx, dy``) from
    points, broadcasting ``points[..., 0:2]`` against ``ends[..., 0:4]`` (in place where it
    can: on a million points times 8 candidates, the temporaries cost more than the sums)."""
    dx, dy = ends[..., 2], ends[..., 3]
    px, py = points[..., 0] - ends[..., 0], points[..., 1] - ends[..., 1]
    squared = dx * dx
    squared += dy * dy
    t = px * dx
    t += py * dy
    np.divide(t, squared, out=t, where=squared > 0)  # a zero-length edge: t = 0 already
    np.clip(t, 0.0, 1.0, out=t)
    px -= t * dx
    py -= t * dy
    px *= px
    py *= py
    px += py
    return t, px


def drop_small_components(network: StreetNetwork, *, min_length_m: float) -> StreetNetwork:
    """
    Drop connected pieces of street shorter in total than ``min_length_m`` (the largest stays).

    Isolated bits (a footway inside a park, a private yard) would trap a snapped place or
    person with almost no reach.
    """
    if network.n_edges == 0:
        return network
    n = network.n_nodes
    adjacency = csr_matrix((np.ones(network.n_edges), (network.u, network.v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=False)
    edge_label = labels[network.u]
    length_per_label = np.bincount(edge_label, weights=network.length_m, minlength=labels.max() + 1)
    keep_label = length_per_label >= min_length_m
    keep_label[np.argmax(length_per_label)] = True
    keep = keep_label[edge_label]
    if keep.all():
        return network
    logger.info("Dropped %d isolated street pieces (%d edges, %.0f m) shorter than %.0f m",
                int((~keep_label & (length_per_label > 0)).sum()), int((~keep).sum()),
                float(network.length_m[~keep].sum()), min_length_m)
    return network.subset(keep)
