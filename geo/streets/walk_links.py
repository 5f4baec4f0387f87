"""Short walks between two sets of points (homes, bus stops, places), as arrays of pairs.

A door-to-door journey by bus is made of walks (home → stop, stop → stop when changing, stop
→ place) and rides. :class:`WalkLinks` holds every pair within a walking limit with its
minutes at the walking profile's pace: in a straight line × the profile's detour factor
(:func:`straight_links`), or on the street network (:func:`network_links`, one limited
Dijkstra per chunk of sources).

Examples
--------
>>> from geo.streets.walking import PROFILES
>>> links = straight_links(np.array([0.0]), np.array([0.0]), np.array([300.0, 900.0]),
...                        np.array([0.0, 0.0]), profile=PROFILES["elderly"], max_minutes=10)
>>> links.target.tolist(), links.minutes.round(1).tolist()
([0], [6.5])
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.streets.network import Snapped, to_csgraph
from geo.streets.reach import WalkGraph, augmented_matrix, source_rows
from geo.streets.walking import WalkProfile

logger = logging.getLogger(__name__)
__all__ = ["WalkLinks", "nearest_target", "network_links", "straight_links", "walking_matrix"]

#: Sources searched at once on the street network (memory: chunk × nodes × 8 bytes).
NETWORK_CHUNK = 64


@dataclass(frozen=True, eq=False)
class WalkLinks:
    """Every walk from a source to a target within a limit: pairs and their minutes."""

    #: Source and target of each pair (int64 positions).
    source: np.ndarray
    target: np.ndarray
    #: Walking minutes of each pair at the profile's pace.
    minutes: np.ndarray
    n_sources: int
    n_targets: int
    #: "straight" (straight line × detour factor) or "network" (on the streets).
    method: str = "straight"

    def __post_init__(self) -> None:
        if not len(self.source) == len(self.target) == len(self.minutes):
            msg = "source, target and minutes need one value per pair."
            raise ValueError(msg)
        if len(self.source) and (self.source.min() < 0 or self.source.max() >= self.n_sources
                                 or self.target.min() < 0
                                 or self.target.max() >= self.n_targets):
            msg = "sources and targets must index the points given."
            raise ValueError(msg)

    def __len__(self) -> int:
        return len(self.source)

    def where(self, keep: np.ndarray) -> WalkLinks:
        """The pairs where ``keep`` (a mask over pairs) is True."""
        return WalkLinks(self.source[keep], self.target[keep], self.minutes[keep],
                         self.n_sources, self.n_targets, self.method)

    def to_targets(self, targets: np.ndarray) -> WalkLinks:
        """Only the pairs whose target is in the mask ``targets`` (one bool per target)."""
        return self.where(np.asarray(targets, dtype=bool)[self.target])

    def reversed(self) -> WalkLinks:
        """The same walks, from targets to sources (exact on flat ground)."""
        return WalkLinks(self.target, self.source, self.minutes, self.n_targets,
                         self.n_sources, self.method)


def straight_links(from_x: np.ndarray, from_y: np.ndarray, to_x: np.ndarray, to_y: np.ndarray,
                   *, profile: WalkProfile, max_minutes: float) -> WalkLinks:
    """
    Walks in a straight line × the profile's detour factor, up to ``max_minutes``.

    Parameters
    ----------
    from_x, from_y, to_x, to_y
        Positions in metres (one metric CRS); NaN marks a missing point (never linked).
    profile
        The walking profile: minutes are :meth:`WalkProfile.straight_minutes`.
    max_minutes
        Keep walks of at most this many minutes (> 0).
    """
    _check_limit(max_minutes)
    sources = np.column_stack([from_x, from_y]).astype(float)
    targets = np.column_stack([to_x, to_y]).astype(float)
    source_ok = np.flatnonzero(np.isfinite(sources).all(axis=1))
    target_ok = np.flatnonzero(np.isfinite(targets).all(axis=1))
    radius_m = profile.metres(float(max_minutes)) / profile.detour_factor
    if len(source_ok) == 0 or len(target_ok) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return WalkLinks(empty, empty, np.zeros(0), len(sources), len(targets), "straight")
    pairs = cKDTree(sources[source_ok]).sparse_distance_matrix(
        cKDTree(targets[target_ok]), radius_m, output_type="ndarray")
    source = source_ok[pairs["i"].astype(np.int64)]
    target = target_ok[pairs["j"].astype(np.int64)]
    minutes = np.asarray(profile.straight_minutes(pairs["v"].astype(float)))
    order = np.lexsort((target, source))
    return WalkLinks(source[order], target[order], minutes[order], len(sources),
                     len(targets), "straight")


def network_links(graph: WalkGraph, sources: Snapped, targets: Snapped, *,
                  max_minutes: float, chunk: int = NETWORK_CHUNK,
                  forward: csr_matrix | None = None) -> WalkLinks:
    """
    Walks on the street network from snapped sources to snapped targets, up to a limit.

    Each source starts from both ends of its street edge (plus its own walk to the street);
    each target is reached through either end of its edge, or straight along the edge when
    it shares the source's. Sources are searched ``chunk`` at a time by
    ``scipy.sparse.csgraph.dijkstra`` with a ``limit``.

    Parameters
    ----------
    graph
        From :func:`geo.streets.reach.walk_graph` (the profile's pace, slopes when loaded).
    sources, targets
        Points snapped with :func:`geo.streets.network.snap_points`; edge -1 is never linked.
    max_minutes
        Keep walks of at most this many minutes (> 0).
    chunk
        Sources searched at once.
    forward
        :func:`walking_matrix` of ``graph``, when the caller keeps it (made here otherwise).
    """
    _check_limit(max_minutes)
    network, minutes = graph.network, graph.minutes
    if forward is None:
        forward = walking_matrix(graph)
    n = network.n_nodes
    found_source: list[np.ndarray] = []
    found_target: list[np.ndarray] = []
    found_minutes: list[np.ndarray] = []
    target_ok = np.flatnonzero(targets.edge >= 0)
    t_edge = targets.edge[target_ok]
    t_frac = targets.fraction[target_ok]
    t_access = graph.access_minutes(targets.take(target_ok))
    # from the ends of the target's edge to the target: u → t along, v → t back
    from_u = t_frac * minutes.forward[t_edge] + t_access
    from_v = (1 - t_frac) * minutes.backward[t_edge] + t_access
    source_ok = np.flatnonzero(sources.edge >= 0)
    for first in range(0, len(source_ok), chunk):
        batch = source_ok[first:first + chunk]
        here = sources.take(batch)
        s_edge, s_frac, s_access = here.edge, here.fraction, graph.access_minutes(here)
        rows, cols, weights = source_rows(graph, here, outward=True)
        matrix = augmented_matrix(forward, rows, cols, weights, len(batch))
        reached = dijkstra(matrix, directed=True, indices=np.arange(n, n + len(batch)),
                           limit=max_minutes)[:, :n]
        total = np.minimum(reached[:, network.u[t_edge]] + from_u[None, :],
                           reached[:, network.v[t_edge]] + from_v[None, :])
        same = s_edge[:, None] == t_edge[None, :]
        if same.any():
            ahead = t_frac[None, :] >= s_frac[:, None]
            along = np.where(ahead, (t_frac[None, :] - s_frac[:, None]) * minutes.forward[t_edge],
                             (s_frac[:, None] - t_frac[None, :]) * minutes.backward[t_edge])
            direct = along + s_access[:, None] + t_access[None, :]
            total = np.where(same, np.minimum(total, direct), total)
        row, column = np.nonzero(total <= max_minutes)
        found_source.append(batch[row])
        found_target.append(target_ok[column])
        found_minutes.append(total[row, column])
    source = np.concatenate(found_source) if found_source else np.zeros(0, dtype=np.int64)
    target = np.concatenate(found_target) if found_target else np.zeros(0, dtype=np.int64)
    walk = np.concatenate(found_minutes) if found_minutes else np.zeros(0)
    logger.debug("Network walks: %d pairs within %.0f min from %d sources", len(source),
                 max_minutes, len(source_ok))
    return WalkLinks(source.astype(np.int64), target.astype(np.int64), walk.astype(float),
                     len(sources), len(targets), "network")


def walking_matrix(graph: WalkGraph) -> csr_matrix:
    """The walking graph in the walking direction (u → v at ``forward`` minutes), for
    ``scipy.sparse.csgraph``; build it once for many :func:`network_links` calls."""
    return to_csgraph(graph.network, graph.minutes.forward, graph.minutes.backward)


def nearest_target(links: WalkLinks, *, targets: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """
    Per source, the minutes to its nearest target and which one (``inf`` and -1 for none).

    ``targets`` (a mask over targets) limits the search to some of them.
    """
    if targets is not None:
        links = links.to_targets(targets)
    minutes = np.full(links.n_sources, np.inf)
    nearest = np.full(links.n_sources, -1, dtype=np.int64)
    if len(links):
        order = np.lexsort((links.target, links.minutes, links.source))
        first = np.ones(len(order), dtype=bool)
        first[1:] = links.source[order][1:] != links.source[order][:-1]
        best = order[first]
        minutes[links.source[best]] = links.minutes[best]
        nearest[links.source[best]] = links.target[best]
    return minutes, nearest


def _check_limit(max_minutes: float) -> None:
    if not (max_minutes > 0 and np.isfinite(max_minutes)):
        msg = f"`max_minutes` must be a number > 0, got {max_minutes!r}."
        raise ValueError(msg)
