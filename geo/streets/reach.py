"""Walking reach on real streets: minutes from every street node and any point to the nearest place.

One multi-source Dijkstra (``scipy.sparse.csgraph.dijkstra`` with ``min_only=True`` and a
limit) answers "how far is the nearest place, and which is it" for every node at once.

Direction: times are measured *towards* the places (a resident's walk there), so the search
runs on the transposed graph. On flat ground both directions are equal; on slopes the walk
to a hilltop hall is the slow one.

Snapping: places and people are snapped to the nearest street *edge*, not node. A place at
fraction ``t`` along edge ``u → v`` is a virtual node joined to ``u`` and ``v`` by the walk
along the edge plus the straight walk from the place to the street; a person is likewise
``min(walk to u + minutes[u], walk to v + minutes[v])`` plus their own walk to the street,
or the direct walk along the edge when a place sits on the same edge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
from pyproj import CRS
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo.streets.network import (
    Snapped,
    StreetNetwork,
    edges_near,
    snap_points,
    street_xy,
    to_csgraph,
)
from geo.streets.walking import EdgeMinutes, WalkProfile, edge_minutes

logger = logging.getLogger(__name__)
__all__ = [
    "MAX_SNAP_DISTANCE_M",
    "Reach",
    "WalkGraph",
    "add_place",
    "augmented_matrix",
    "network_reach",
    "point_minutes",
    "points_xy",
    "remove_place",
    "source_rows",
    "subgraph",
    "walk_graph",
]

#: A place farther than this from every street is reported, not snapped.
MAX_SNAP_DISTANCE_M = 500.0


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """A network with walking times for one profile, ready for repeated searches."""

    network: StreetNetwork
    minutes: EdgeMinutes
    #: Transposed CSR graph (edge ``v → u`` carries the time of ``u → v``).
    towards: csr_matrix

    @property
    def profile(self) -> WalkProfile:
        return self.minutes.profile

    def access_minutes(self, snapped: Snapped) -> np.ndarray:
        """Minutes of the straight walk between each snapped point and its street (flat)."""
        return self.profile.minutes(snapped.distance_m)


def walk_graph(network: StreetNetwork, profile: WalkProfile, *,
               elevation_m: np.ndarray | None = None) -> WalkGraph:
    """Walking times for ``profile`` (slope-aware with ``elevation_m``) and the search graph."""
    minutes = edge_minutes(network, profile, elevation_m=elevation_m)
    towards = to_csgraph(network, minutes.forward, minutes.backward, reverse=True)
    return WalkGraph(network, minutes, towards)


@dataclass(frozen=True, eq=False)
class Reach:
    """Minutes from every node to the nearest place, up to a limit."""

    graph: WalkGraph
    #: Minutes from each node to its nearest place (``inf`` beyond ``limit_minutes``).
    minutes: np.ndarray
    #: Row position (in the places given) of each node's nearest place; -1 when none.
    nearest: np.ndarray
    limit_minutes: float
    #: Every place as snapped; unlocated places and those beyond ``max_snap_m`` have edge -1.
    places: Snapped
    #: Straight distance of every place from the nearest street (NaN when unlocated).
    place_distance_m: np.ndarray

    @property
    def slope_aware(self) -> bool:
        return self.graph.minutes.slope_aware

    @property
    def active(self) -> np.ndarray:
        """Row positions of the places that take part (located and near a street)."""
        return np.flatnonzero(self.places.edge >= 0)


def points_xy(points: gpd.GeoDataFrame | gpd.GeoSeries, crs: str | CRS) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    """x and y of point geometries in ``crs``; NaN for rows without a geometry."""
    if points.crs is None:
        msg = "The points have no CRS; set it when loading (we never assume EPSG:4326)."
        raise ValueError(msg)
    geometries = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geometries = geometries.to_crs(crs)
    missing = geometries.isna().to_numpy() | geometries.is_empty.to_numpy()
    x = np.full(len(geometries), np.nan)
    y = np.full(len(geometries), np.nan)
    located = geometries[~missing]
    x[~missing], y[~missing] = located.x.to_numpy(), located.y.to_numpy()
    return x, y


def network_reach(graph: WalkGraph, places: gpd.GeoDataFrame | Snapped, *, limit_minutes: float,
                  max_snap_m: float = MAX_SNAP_DISTANCE_M) -> Reach:
    """
    Minutes from every street node to the nearest place, by one multi-source search.

    Parameters
    ----------
    graph
        From :func:`walk_graph`.
    places
        Points in any CRS (rows without a geometry take no part), or already snapped.
    limit_minutes
        Search no farther (> 0); the largest threshold of interest.
    max_snap_m
        Places farther than this from every street take no part (report them with
        :func:`layers.files.streets.places_far_from_streets`).

    Returns
    -------
    Reach
        Per node minutes and nearest place; ``minutes`` is ``inf`` beyond the limit.
    """
    _check_positive(limit_minutes, "limit_minutes")
    if isinstance(places, Snapped):
        snapped = places
    else:
        snapped = snap_points(graph.network, *points_xy(places, graph.network.crs))
    distance_m = snapped.distance_m.copy()
    too_far = ~(distance_m <= max_snap_m)
    if (too_far & np.isfinite(distance_m)).any():
        logger.warning("%d places are more than %.0f m from any street and take no part",
                       int((too_far & np.isfinite(distance_m)).sum()), max_snap_m)
    edge = np.where(too_far, -1, snapped.edge)
    snapped = Snapped(edge, snapped.fraction, snapped.distance_m)
    active = np.flatnonzero(edge >= 0)
    minutes, nearest_active = _search(graph, snapped.take(active), limit_minutes)
    nearest = np.full(len(minutes), -1, dtype=np.int64)
    nearest[nearest_active >= 0] = active[nearest_active[nearest_active >= 0]]
    logger.info("Reach of %d places within %.0f min: %d of %d nodes", len(active), limit_minutes,
                int(np.isfinite(minutes).sum()), graph.network.n_nodes)
    return Reach(graph, minutes, nearest, float(limit_minutes), snapped, distance_m)


def source_rows(graph: WalkGraph, sources: Snapped, *, outward: bool = False,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Virtual start edges of snapped sources: (source, node, minutes).

    By default for the transposed graph (the walk from each end of the source's edge to the
    source, as reach to places is searched backwards); ``outward`` for the forward graph (the
    walk from the source to each end of its edge).
    """
    network, minutes = graph.network, graph.minutes
    edge, t = sources.edge, sources.fraction
    access = graph.access_minutes(sources)
    along, back = (minutes.backward, minutes.forward) if outward else \
        (minutes.forward, minutes.backward)
    # inward: from u to the source is t of u → v, from v (1 - t) of v → u; outward reversed
    to_u = t * along[edge] + access
    to_v = (1 - t) * back[edge] + access
    index = np.arange(len(edge))
    rows = np.concatenate([index, index])
    nodes = np.concatenate([network.u[edge], network.v[edge]])
    # exact: a source at a node reaches it in 0 (csgraph keeps explicit zeros of a CSR
    # matrix as edges), so no node's time is off by a rounding step of the tie-break
    weights = np.concatenate([to_u, to_v])
    walkable = np.isfinite(weights)
    return rows[walkable], nodes[walkable], weights[walkable]


def augmented_matrix(graph: csr_matrix, rows: np.ndarray, cols: np.ndarray,
                     weights: np.ndarray, n_virtual: int) -> csr_matrix:
    """``graph`` plus ``n_virtual`` new nodes whose outgoing edges are (rows, cols, weights)."""
    n = graph.shape[0]
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    keep = np.ones(len(rows), dtype=bool)  # a source on a loop edge: keep the shorter start
    keep[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, weights = rows[keep], cols[keep], weights[keep]
    counts = np.bincount(rows, minlength=n_virtual)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(counts)])
    size = n + n_virtual
    return csr_matrix((np.concatenate([graph.data, weights]),
                       np.concatenate([graph.indices, cols]).astype(graph.indices.dtype),
                       indptr.astype(graph.indptr.dtype)), shape=(size, size))


def _search(graph: WalkGraph, sources: Snapped, limit_minutes: float,
            base: csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source Dijkstra from snapped sources: (minutes per node, source position or -1)."""
    n = graph.network.n_nodes
    if len(sources) == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    rows, nodes, weights = source_rows(graph, sources)
    matrix = augmented_matrix(graph.towards if base is None else base, rows, nodes, weights,
                              len(sources))
    virtual = np.arange(n, n + len(sources))
    minutes, _, origin = dijkstra(matrix, directed=True, indices=virtual, min_only=True,
                                  limit=limit_minutes, return_predecessors=True)
    minutes, origin = minutes[:n], origin[:n]
    nearest = np.where(origin >= n, origin - n, -1).astype(np.int64)
    nearest[~np.isfinite(minutes)] = -1
    return minutes, nearest


def point_minutes(reach: Reach, points: Snapped) -> tuple[np.ndarray, np.ndarray]:
    """
    Minutes from snapped points (people, candidate sites) to their nearest place.

    Returns
    -------
    (minutes, nearest)
        ``inf`` and -1 beyond the limit or for unsnapped points.
    """
    graph, network = reach.graph, reach.graph.network
    edge = np.maximum(points.edge, 0)
    t = points.fraction
    access = graph.access_minutes(points)
    forward, backward = graph.minutes.forward[edge], graph.minutes.backward[edge]
    via_u = t * backward + reach.minutes[network.u[edge]]
    via_v = (1 - t) * forward + reach.minutes[network.v[edge]]
    minutes = np.minimum(via_u, via_v)
    nearest = np.where(via_u <= via_v, reach.nearest[network.u[edge]],
                       reach.nearest[network.v[edge]])
    # a place on the same edge: walk straight along it
    active = reach.active
    place_edge = reach.places.edge[active]
    order = np.argsort(place_edge, kind="stable")
    sorted_edges = place_edge[order]
    first = np.searchsorted(sorted_edges, edge, side="left")
    last = np.searchsorted(sorted_edges, edge, side="right")
    multiplicity = (last - first) * (points.edge >= 0)
    for level in range(int(multiplicity.max()) if len(multiplicity) else 0):
        on_edge = np.flatnonzero(multiplicity > level)
        place = active[order[first[on_edge] + level]]
        t_place = reach.places.fraction[place]
        place_access = graph.access_minutes(reach.places.take(place))
        ahead = t_place >= t[on_edge]
        direct = np.where(ahead, (t_place - t[on_edge]) * forward[on_edge],
                          (t[on_edge] - t_place) * backward[on_edge]) + place_access
        better = direct < minutes[on_edge]
        minutes[on_edge[better]] = direct[better]
        nearest[on_edge[better]] = place[better]
    minutes = minutes + access
    beyond = ~(minutes <= reach.limit_minutes) | (points.edge < 0)
    minutes[beyond] = np.inf
    nearest[beyond] = -1
    return minutes, nearest


def add_place(reach: Reach, place: Snapped) -> Reach:
    """
    Reach with one more place (appended as the last row), from a single limited search.

    ``place`` is one snapped point. Only the streets within the longest walk of the limit
    around it are searched (a walk is never shorter than the straight line), so on a city of
    a million nodes it takes milliseconds; the other nodes keep their times.
    """
    if len(place) != 1:
        msg = f"`place` must be one snapped point, got {len(place)}."
        raise ValueError(msg)
    new_index = len(reach.places)
    places = Snapped(np.concatenate([reach.places.edge, place.edge]),
                     np.concatenate([reach.places.fraction, place.fraction]),
                     np.concatenate([reach.places.distance_m, place.distance_m]))
    grown = replace(reach, places=places,
                    place_distance_m=np.concatenate([reach.place_distance_m, place.distance_m]))
    if place.edge[0] < 0:
        return grown
    graph = reach.graph
    nodes, sub = _local_graph(graph, place, reach.limit_minutes)
    rows, heads, weights = source_rows(graph, place)
    matrix = augmented_matrix(sub, rows, np.searchsorted(nodes, heads), weights, 1)
    found = dijkstra(matrix, directed=True, indices=len(nodes),
                     limit=reach.limit_minutes)[:len(nodes)]
    closer = found < reach.minutes[nodes]
    minutes, nearest = reach.minutes.copy(), reach.nearest.copy()
    minutes[nodes[closer]] = found[closer]
    nearest[nodes[closer]] = new_index
    return replace(grown, minutes=minutes, nearest=nearest)


def remove_place(reach: Reach, index: int) -> Reach:
    """
    Reach without the place at row ``index`` (it stays in the arrays, out of use).

    Only the nodes whose nearest place it was are searched again, on the streets within the
    longest walk of the limit around it (those nodes all lie there): from the other nodes
    there at their unchanged times, and from the other places on those streets.
    """
    graph = reach.graph
    if not 0 <= index < len(reach.places) or reach.places.edge[index] < 0:
        return reach
    places = replace(reach.places, edge=reach.places.edge.copy())
    places.edge[index] = -1
    region = np.flatnonzero(reach.nearest == index)
    if not len(region):
        return replace(reach, places=places)
    minutes, nearest = reach.minutes.copy(), reach.nearest.copy()
    minutes[region], nearest[region] = np.inf, -1
    nodes, sub = _local_graph(graph, reach.places.take(np.array([index])), reach.limit_minutes)
    # seeds: every other reached node nearby at its time, and other places on nearby streets
    outside = nodes[np.isfinite(minutes[nodes])]
    seed_rows = [np.arange(len(outside))]
    seed_cols = [np.searchsorted(nodes, outside)]
    seed_weights = [minutes[outside]]
    seed_owner = [nearest[outside]]
    others = np.flatnonzero(places.edge >= 0)
    network = graph.network
    ends = np.concatenate([network.u[places.edge[others]], network.v[places.edge[others]]])
    touching = np.unique(np.concatenate([others, others])[_is_in(ends, nodes)])
    if len(touching):
        rows, cols, weights = source_rows(graph, places.take(touching))
        inside = _is_in(cols, nodes)
        seed_rows.append(len(outside) + rows[inside])
        seed_cols.append(np.searchsorted(nodes, cols[inside]))
        seed_weights.append(weights[inside])
        seed_owner.append(touching)
    n_seeds = len(outside) + len(touching)
    if n_seeds:
        matrix = augmented_matrix(sub, np.concatenate(seed_rows), np.concatenate(seed_cols),
                                  np.concatenate(seed_weights), n_seeds)
        n_local = len(nodes)
        found, _, origin = dijkstra(matrix, directed=True,
                                    indices=np.arange(n_local, n_local + n_seeds), min_only=True,
                                    limit=reach.limit_minutes, return_predecessors=True)
        at = np.searchsorted(nodes, region)
        found, origin = found[at], origin[at]
        reached = np.isfinite(found) & (origin >= n_local)
        owner = np.concatenate(seed_owner).astype(np.int64)
        minutes[region[reached]] = found[reached]
        nearest[region[reached]] = owner[origin[reached] - n_local]
    return replace(reach, minutes=minutes, nearest=nearest, places=places)


def _is_in(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``sorted_values`` (sorted, not empty)."""
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values


def _local_graph(graph: WalkGraph, source: Snapped, limit_minutes: float,
                 ) -> tuple[np.ndarray, csr_matrix]:
    """
    The nodes (sorted) of the streets within the longest walk of ``limit_minutes`` around
    one snapped source, and the transposed graph among them (rows and columns in that order).
    """
    network = graph.network
    x, y = street_xy(network, source)
    edges = edges_near(network, float(x[0]), float(y[0]),
                       graph.profile.furthest_metres(limit_minutes))
    edges = np.union1d(edges, source.edge[source.edge >= 0])
    nodes = np.unique(np.concatenate([network.u[edges], network.v[edges]]))
    return nodes, subgraph(graph, nodes)


def subgraph(graph: WalkGraph, nodes: np.ndarray) -> csr_matrix:
    """
    The transposed graph among ``nodes`` (sorted, unique), rows and columns in their order.

    Reads only those nodes' rows: milliseconds for a neighbourhood of a million-node city,
    where ``towards[nodes][:, nodes]`` would pass over every node.
    """
    towards = graph.towards
    starts, stops = towards.indptr[nodes], towards.indptr[nodes + 1]
    counts = stops - starts
    slots = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    cols = towards.indices[slots]
    keep = _is_in(cols, nodes) if len(nodes) else np.zeros(0, dtype=bool)
    rows = np.repeat(np.arange(len(nodes)), counts)[keep]
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(nodes)), out=indptr[1:])
    return csr_matrix((towards.data[slots][keep], np.searchsorted(nodes, cols[keep]), indptr),
                      shape=(len(nodes), len(nodes)))


def _check_positive(value: float, name: str) -> None:
    if not (isinstance(value, int | float | np.floating | np.integer) and value > 0
            and np.isfinite(value)):
        msg = f"`{name}` must be a number > 0, got {value!r}."
        raise ValueError(msg)
