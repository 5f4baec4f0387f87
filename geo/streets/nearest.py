"""What is near one person: directions in words, straight-line estimates and walks on streets.

Everything here works in a metric CRS (``x`` east, ``y`` north, metres). Bearings are grid
bearings, clockwise from grid north; in a Japanese plane rectangular zone grid north is within
about 1° of true north, far less than the 45° of one compass point.

The street search answers "how many minutes from *here* to each place, and by which streets":
one person is snapped to the nearest street edge, and ``scipy.sparse.csgraph.dijkstra`` runs
from both ends of that edge (with ``return_predecessors`` and a ``limit``) on the *forward*
walking graph; each place is then reached through either end of its own edge, or directly
along the edge when it shares the person's.

Examples
--------
>>> compass_index(bearing_deg(0.0, 0.0, 80.0, 80.0))  # north-east
1
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo.streets.network import Snapped, snap_points, to_csgraph
from geo.streets.reach import WalkGraph

logger = logging.getLogger(__name__)
__all__ = [
    "COMPASS_POINTS",
    "RouteStops",
    "RouteWalk",
    "StreetWalk",
    "bearing_deg",
    "compass_index",
    "connecting_routes",
    "forward_graph",
    "nearest_order",
    "polyline_length_m",
    "straight_distances_m",
    "walk_from",
]

#: Compass points used to say a direction in words (北, 北東, 東 …): 8, 45° each.
COMPASS_POINTS = 8

#: Marks a place reached along the person's own street edge (no node in between).
_DIRECT = -1
#: Marks a place not reached within the limit (or not on the network at all).
_UNREACHED = -2


def bearing_deg(from_x: float | np.ndarray, from_y: float | np.ndarray,
                to_x: float | np.ndarray, to_y: float | np.ndarray) -> float | np.ndarray:
    """
    Grid bearing from one point to another, degrees clockwise from north in ``[0, 360)``.

    Examples
    --------
    >>> [round(float(bearing_deg(0, 0, *xy))) for xy in [(0, 10), (10, 0), (0, -10), (-10, 0)]]
    [0, 90, 180, 270]
    """
    dx = np.asarray(to_x, dtype=float) - np.asarray(from_x, dtype=float)
    dy = np.asarray(to_y, dtype=float) - np.asarray(from_y, dtype=float)
    bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
    return float(bearing) if bearing.ndim == 0 else bearing


def compass_index(bearing: float, *, points: int = COMPASS_POINTS) -> int:
    """
    The compass point of a bearing: 0 = north, then clockwise (with 8 points, 2 = east).

    Raises
    ------
    ValueError
        If ``points`` is not 4, 8 or 16, or ``bearing`` is not finite.
    """
    if points not in (4, 8, 16):
        msg = f"`points` must be 4, 8 or 16, got {points!r}."
        raise ValueError(msg)
    if not np.isfinite(bearing):
        msg = f"`bearing` must be a finite number of degrees, got {bearing!r}."
        raise ValueError(msg)
    step = 360.0 / points
    return int(np.floor((float(bearing) % 360.0) / step + 0.5)) % points


def straight_distances_m(x: float, y: float, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Straight distances in metres from ``(x, y)`` to each point (NaN where a point is NaN)."""
    return np.hypot(np.asarray(xs, dtype=float) - x, np.asarray(ys, dtype=float) - y)


def nearest_order(values: np.ndarray, k: int | None = None) -> np.ndarray:
    """
    Positions of the ``k`` smallest finite values, smallest first (ties keep input order).

    Examples
    --------
    >>> nearest_order(np.array([5.0, np.nan, 1.0, np.inf, 3.0]), 2).tolist()
    [2, 4]
    """
    values = np.asarray(values, dtype=float)
    finite = np.flatnonzero(np.isfinite(values))
    order = finite[np.argsort(values[finite], kind="stable")]
    return order if k is None else order[:max(int(k), 0)]


def polyline_length_m(xy: np.ndarray) -> float:
    """Length in metres of a polyline given as an ``(n, 2)`` array of metric coordinates."""
    xy = np.asarray(xy, dtype=float)
    if len(xy) < 2:
        return 0.0
    return float(np.hypot(*np.diff(xy, axis=0).T).sum())


def forward_graph(graph: WalkGraph) -> csr_matrix:
    """The walking graph in the walker's direction (``graph.towards`` is its transpose)."""
    return to_csgraph(graph.network, graph.minutes.forward, graph.minutes.backward)


@dataclass(frozen=True)
class RouteWalk:
    """Minutes to each target and how each is reached, from one :func:`walk_from` search."""

    #: Minutes from the person to each target (``inf`` beyond the limit or off the network).
    minutes: np.ndarray
    #: Per target: the node it is entered from, -1 along the person's own edge, -2 unreached.
    via: np.ndarray


@dataclass(frozen=True, eq=False)
class StreetWalk:
    """Walking minutes from one person to every street node, with the way back to them."""

    graph: WalkGraph
    #: The person's position (metric) and where it meets the streets.
    x: float
    y: float
    snapped: Snapped
    #: The two end nodes of the person's edge and the minutes to walk to each.
    start_nodes: np.ndarray
    start_minutes: np.ndarray
    #: Minutes from the person to each node (``inf`` beyond ``limit_minutes``).
    minutes: np.ndarray
    #: Per node, which start (0 or 1) its shortest walk leaves by.
    start: np.ndarray
    #: ``dijkstra`` predecessors from each start node, shape ``(2, n_nodes)``.
    predecessors: np.ndarray
    limit_minutes: float

    def to_targets(self, targets: Snapped) -> RouteWalk:
        """
        Minutes to snapped targets (places, stops), each entered from the nearer end of its edge.

        A target on the person's own edge may be walked to directly along it.
        """
        graph, network = self.graph, self.graph.network
        n = len(targets)
        minutes = np.full(n, np.inf)
        via = np.full(n, _UNREACHED, dtype=np.int64)
        on = np.flatnonzero(targets.edge >= 0)
        if len(on) == 0 or self.snapped.edge[0] < 0:
            return RouteWalk(minutes, via)
        edge, t = targets.edge[on], targets.fraction[on]
        access = graph.access_minutes(targets.take(on))
        forward, backward = graph.minutes.forward[edge], graph.minutes.backward[edge]
        via_u = self.minutes[network.u[edge]] + t * forward + access
        via_v = self.minutes[network.v[edge]] + (1 - t) * backward + access
        best = np.minimum(via_u, via_v)
        node = np.where(via_u <= via_v, network.u[edge], network.v[edge])
        own_edge, own_t = self.snapped.edge[0], self.snapped.fraction[0]
        same = edge == own_edge
        if same.any():
            ahead = t[same] >= own_t
            direct = (np.where(ahead, (t[same] - own_t) * forward[same],
                               (own_t - t[same]) * backward[same])
                      + access[same] + self.start_access_minutes)
            shorter = direct <= best[same]
            rows = np.flatnonzero(same)[shorter]
            best[rows] = direct[shorter]
            node[rows] = _DIRECT
        reached = best <= self.limit_minutes
        minutes[on[reached]] = best[reached]
        via[on[reached]] = node[reached]
        return RouteWalk(minutes, via)

    @property
    def start_access_minutes(self) -> float:
        """Minutes of the straight walk from the person to their street."""
        return float(self.graph.access_minutes(self.snapped)[0])

    def path_nodes(self, node: int) -> list[int]:
        """Street nodes walked from the person's edge to ``node``, in walking order."""
        if not np.isfinite(self.minutes[node]):
            msg = f"node {node} is not reached within {self.limit_minutes:g} minutes."
            raise ValueError(msg)
        row = int(self.start[node])
        predecessors = self.predecessors[row]
        path = [int(node)]
        while path[-1] != self.start_nodes[row]:
            previous = int(predecessors[path[-1]])
            if previous < 0:  # pragma: no cover - dijkstra guarantees a chain to the start
                msg = f"no path back from node {node}."
                raise RuntimeError(msg)
            path.append(previous)
        return path[::-1]

    def route_xy(self, targets: Snapped, target_x: np.ndarray, target_y: np.ndarray,
                 routes: RouteWalk, index: int) -> np.ndarray:
        """
        The walk to target ``index`` as an ``(n, 2)`` metric polyline: person, their street,
        the street nodes, the target's street, the target.

        Raises
        ------
        ValueError
            If that target is not reached.
        """
        via = int(routes.via[index])
        if via == _UNREACHED:
            msg = f"target {index} is not reached within {self.limit_minutes:g} minutes."
            raise ValueError(msg)
        network = self.graph.network
        points = [(self.x, self.y), _on_edge(network, self.snapped.edge[0],
                                             self.snapped.fraction[0])]
        if via != _DIRECT:
            points += [(network.x[n], network.y[n]) for n in self.path_nodes(via)]
        points += [_on_edge(network, targets.edge[index], targets.fraction[index]),
                   (float(target_x[index]), float(target_y[index]))]
        xy = np.asarray(points, dtype=float)
        keep = np.ones(len(xy), dtype=bool)  # drop repeated vertices (a snap onto a node)
        keep[1:] = np.any(np.abs(np.diff(xy, axis=0)) > 1e-6, axis=1)
        return xy[keep]


def _on_edge(network, edge: int, fraction: float) -> tuple[float, float]:
    u, v = network.u[edge], network.v[edge]
    return (float(network.x[u] + fraction * (network.x[v] - network.x[u])),
            float(network.y[u] + fraction * (network.y[v] - network.y[u])))


def walk_from(graph: WalkGraph, x: float, y: float, *, limit_minutes: float,
              forward: csr_matrix | None = None) -> StreetWalk:
    """
    Walking minutes from one person at ``(x, y)`` to every street node, up to a limit.

    Parameters
    ----------
    graph
        From :func:`geo.streets.reach.walk_graph`.
    x, y
        The person's position in ``graph.network.crs``.
    limit_minutes
        Search no farther (> 0).
    forward
        :func:`forward_graph` of ``graph``, when the caller keeps it (made here otherwise).

    Returns
    -------
    StreetWalk
        Minutes per node and the predecessors to draw routes; all ``inf`` when the network
        has no edge.

    Raises
    ------
    ValueError
        If ``limit_minutes`` is not > 0 or the position is not finite.
    """
    if not (limit_minutes > 0 and np.isfinite(limit_minutes)):
        msg = f"`limit_minutes` must be a number > 0, got {limit_minutes!r}."
        raise ValueError(msg)
    if not (np.isfinite(x) and np.isfinite(y)):
        msg = f"the position ({x!r}, {y!r}) is not finite."
        raise ValueError(msg)
    network = graph.network
    n = network.n_nodes
    snapped = snap_points(network, np.array([x], dtype=float), np.array([y], dtype=float))
    edge = int(snapped.edge[0])
    if edge < 0:
        empty = np.full(n, np.inf)
        return StreetWalk(graph, float(x), float(y), snapped, np.array([0, 0]),
                          np.array([np.inf, np.inf]), empty, np.zeros(n, dtype=np.int8),
                          np.full((2, n), -9999), float(limit_minutes))
    access = float(graph.access_minutes(snapped)[0])
    t = float(snapped.fraction[0])
    start_nodes = np.array([network.u[edge], network.v[edge]], dtype=np.int64)
    # to u: back along the edge (v → u direction); to v: on along it
    start_minutes = np.array([t * graph.minutes.backward[edge],
                              (1 - t) * graph.minutes.forward[edge]]) + access
    matrix = forward_graph(graph) if forward is None else forward
    budget = max(float(limit_minutes) - float(np.nanmin(start_minutes)), 0.0)
    found, predecessors = dijkstra(matrix, directed=True, indices=start_nodes,
                                   return_predecessors=True, limit=budget)
    total = found + start_minutes[:, None]
    start = np.argmin(total, axis=0).astype(np.int8)
    minutes = total[start, np.arange(n)]
    minutes[~(minutes <= limit_minutes)] = np.inf
    logger.debug("Walk from (%.0f, %.0f): %d of %d nodes within %.0f min", x, y,
                 int(np.isfinite(minutes).sum()), n, limit_minutes)
    return StreetWalk(graph, float(x), float(y), snapped, start_nodes, start_minutes, minutes,
                      start, predecessors, float(limit_minutes))


class RouteStops:
    """
    The ordered stop names of bus routes, indexed by stop so that :meth:`connecting` looks
    at only the routes that call at both stops (a resident's lookup asks it for every pair
    of nearby stops).

    Examples
    --------
    >>> routes = RouteStops([["A", "B", "C"], ["C", "B", "A"], ["X", "C", "A", "X"]])
    >>> routes.connecting("A", "C"), routes.connecting("C", "A"), routes.connecting("A", "A")
    ([0, 2], [1, 2], [])
    """

    def __init__(self, routes: Sequence[Sequence[str]]) -> None:
        self.routes: list[list[str]] = [list(stops) for stops in routes]
        #: stop name -> {route position: where the route first calls there}
        self.first_call: dict[str, dict[int, int]] = {}
        #: stop name -> {route position: where the route last calls there}
        self.last_call: dict[str, dict[int, int]] = {}
        self.loops = [len(stops) > 1 and stops[0] == stops[-1] for stops in self.routes]
        for position, stops in enumerate(self.routes):
            for order, stop in enumerate(stops):
                self.first_call.setdefault(stop, {}).setdefault(position, order)
                self.last_call.setdefault(stop, {})[position] = order

    def __len__(self) -> int:
        return len(self.routes)

    def connecting(self, board: str, alight: str) -> list[int]:
        """Routes (positions) that call at ``board`` and later at ``alight``; on a loop
        (first stop = last stop) either order counts."""
        boards, alights = self.first_call.get(board), self.last_call.get(alight)
        if board == alight or not boards or not alights:
            return []
        return sorted(position for position in boards.keys() & alights.keys()
                      if self.loops[position] or alights[position] > boards[position])


def connecting_routes(routes: Sequence[Sequence[str]], board: str, alight: str) -> list[int]:
    """
    Routes (positions in ``routes``, each an ordered list of stop names) that call at
    ``board`` and later at ``alight``; on a loop (first stop = last stop) either order counts.
    For many lookups on the same routes, build one :class:`RouteStops`.

    Examples
    --------
    >>> connecting_routes([["A", "B", "C"], ["C", "B", "A"], ["X", "C", "A", "X"]], "A", "C")
    [0, 2]
    """
    return RouteStops(routes).connecting(board, alight)
