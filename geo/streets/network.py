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
#: Candidates looked at, before the STRtree, for the few points the first look left unsure.
_SNAP_WIDER = 64
#: Points snapped at a time (bounds the memory of the candidates' arrays).
_SNAP_CHUNK = 1 << 17
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
    rows = np.concatenate([network.u, network.v])
    cols = np.concatenate([network.v, network.u])
    weights = np.concatenate([forward_minutes, backward_minutes]).astype(float)
    if reverse:
        rows, cols = cols, rows
    walkable = np.isfinite(weights)
    rows, cols, weights = rows[walkable], cols[walkable], weights[walkable]
    weights = np.maximum(weights, MIN_EDGE_MINUTES)
    n = network.n_nodes
    # per (row, col) the smallest weight: one stable sort of a combined key (seconds faster
    # than a lexsort of three keys on a million nodes), then the minimum of each run
    key = rows.astype(np.int64) * n + cols
    order = np.argsort(key, kind="stable")
    key, weights = key[order], weights[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    if len(starts):
        weights = np.minimum.reduceat(weights, starts)
    key = key[starts]
    rows, cols = key // n, key % n
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
    ten times faster than an STRtree for 100k points), queried on every core; a point whose
    nearest edge cannot be proved among its 8 nearest pieces (a piece's half-length bounds
    how much closer its edge can be) is looked at again among 64, and only if still unsure
    looked up in a shapely ``STRtree`` of the edges (built once, when first needed: on a
    city of a million nodes it takes seconds, while a second look takes milliseconds).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n_points = len(x)
    edge = np.full(n_points, -1, dtype=np.int64)
    fraction = np.full(n_points, np.nan)
    distance_m = np.full(n_points, np.nan)
    present = np.isfinite(x) & np.isfinite(y)
    if network.n_edges == 0 or not present.any():
        return Snapped(edge, fraction, distance_m)
    ax, ay = network.x[network.u], network.y[network.u]
    bx, by = network.x[network.v], network.y[network.v]
    index = _snap_index(network)
    points = np.column_stack([x[present], y[present]])
    ends = (ax, ay, bx, by)
    # in chunks: k candidates per point make arrays k times the points' size
    found_edge, found_fraction, found_distance, unsure = (np.concatenate(parts) for parts in zip(
        *(_nearest_sampled(points[start:start + _SNAP_CHUNK], index, ends, _SNAP_CANDIDATES)
          for start in range(0, len(points), _SNAP_CHUNK)), strict=True))
    if unsure.any():  # look wider around the few unsure points before building an STRtree
        again = np.flatnonzero(unsure)
        wider = _nearest_sampled(points[again], index, ends, _SNAP_WIDER)
        found_edge[again], found_fraction[again], found_distance[again] = wider[:3]
        unsure[again] = wider[3]
    if unsure.any():
        tree = network._cache.get("strtree") or network._cache.setdefault(
            "strtree", shapely.STRtree(network.edge_lines()))
        (which, exact_edge), _ = tree.query_nearest(
            shapely.points(points[unsure]), return_distance=True, all_matches=False)
        unsure_rows = np.flatnonzero(unsure)[which]
        exact_fraction, exact_distance = _segment_distance(
            points[unsure_rows], ax[exact_edge], ay[exact_edge], bx[exact_edge], by[exact_edge])
        found_edge[unsure_rows], found_fraction[unsure_rows] = exact_edge, exact_fraction
        found_distance[unsure_rows] = exact_distance
    edge[present], fraction[present] = found_edge, found_fraction
    distance_m[present] = found_distance
    logger.debug("Snapped %d points (%d via the STRtree)", len(points), int(unsure.sum()))
    return Snapped(edge, fraction, distance_m)


def _snap_index(network: StreetNetwork) -> tuple[cKDTree, np.ndarray, float]:
    """The network's k-d tree of edge pieces (:func:`_sample_index`), built once."""
    if "snap_index" not in network._cache:
        network._cache["snap_index"] = _sample_index(
            network.x[network.u], network.y[network.u], network.x[network.v],
            network.y[network.v])
    return network._cache["snap_index"]


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
    kdtree, sample_edge, max_half_m = _snap_index(network)
    found = np.asarray(kdtree.query_ball_point([x, y], radius_m + max_half_m), dtype=np.int64)
    return np.unique(sample_edge[found])


def _nearest_sampled(points: np.ndarray, index: tuple[cKDTree, np.ndarray, float],
                     ends: tuple[np.ndarray, ...], k: int,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The nearest of the edges of each point's ``k`` nearest samples: (edge, fraction,
    distance, unsure), unsure where an edge without a sample among them could be nearer."""
    kdtree, sample_edge, max_half_m = index
    ax, ay, bx, by = ends
    k = min(k, len(sample_edge))
    mid_distance, nearest_samples = kdtree.query(points, k=k, workers=-1)
    mid_distance = mid_distance.reshape(len(points), k)
    candidates = sample_edge[nearest_samples.reshape(len(points), k)]
    fractions, distances = _segment_distance(points[:, None, :], ax[candidates], ay[candidates],
                                             bx[candidates], by[candidates])
    best = np.argmin(distances, axis=1)
    rows = np.arange(len(points))
    found_distance = distances[rows, best]
    # an unseen edge is at least (its nearest sample's distance - half a piece) away
    unsure = (mid_distance[:, -1] - max_half_m < found_distance) & (k < len(sample_edge))
    return candidates[rows, best], fractions[rows, best], found_distance, unsure


def _sample_index(ax, ay, bx, by) -> tuple[cKDTree, np.ndarray, float]:
    """A k-d tree of the midpoints of edges cut into pieces of at most ``_SNAP_PIECE_M``."""
    dx, dy = bx - ax, by - ay
    length_m = np.hypot(dx, dy)
    pieces = np.maximum(1, np.ceil(length_m / _SNAP_PIECE_M)).astype(np.int64)
    sample_edge = np.repeat(np.arange(len(ax)), pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    along = (np.arange(len(sample_edge)) - first + 0.5) / np.repeat(pieces, pieces)
    samples = np.empty((len(sample_edge), 2))
    samples[:, 0] = np.repeat(ax, pieces) + along * np.repeat(dx, pieces)
    samples[:, 1] = np.repeat(ay, pieces) + along * np.repeat(dy, pieces)
    max_half_m = float((length_m / pieces).max()) / 2 if len(pieces) else 0.0
    return cKDTree(samples), sample_edge, max_half_m


def _segment_distance(points, ax, ay, bx, by):
    """Fraction along and distance to segments (a → b) from points, broadcasting."""
    px, py = points[..., 0], points[..., 1]
    dx, dy = bx - ax, by - ay
    squared = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(squared > 0, ((px - ax) * dx + (py - ay) * dy) / squared, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return t, np.hypot(px - (ax + t * dx), py - (ay + t * dy))


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
