"""A brute-force door-to-door search on a time-expanded graph (networkx), for the tests.

Independent of :mod:`geo.transit.routing`: every event (a bus leaving or reaching a stop, a walker
reaching a stop) is a node, waits, rides, walks and changes are edges, and the ride count is
part of the node, so that a change is counted. Dijkstra from home gives the earliest arrival
at a place for one departure time; the best door-to-door time over a window is the best over
every departure time that matters (each leave-just-in-time for a bus, each whole minute and
the ends of the window).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections import defaultdict

import networkx as nx
import numpy as np

from geo.transit.timetable import Timetable


def _add(graph: nx.DiGraph, a, b, weight: float) -> None:
    """An edge, or a shorter one where one exists (a DiGraph keeps one edge per pair)."""
    if not graph.has_edge(a, b) or graph[a][b]["weight"] > weight:
        graph.add_edge(a, b, weight=weight)


def time_expanded_graph(table: Timetable, running: np.ndarray, *, egress, transfers,
                        change_minutes: float, max_rides: int, arrive_by: float,
                        places: np.ndarray, access_limit: float) -> nx.DiGraph:
    """The timetable part of the graph; home edges are added per query."""
    graph = nx.DiGraph()
    at_stop: dict[tuple[int, int], set[float]] = defaultdict(set)  # (stop, rides) -> times
    departures: dict[tuple[int, int], list[tuple[float, tuple]]] = defaultdict(list)
    for trip in np.flatnonzero(running):
        stops, arrivals, departures_min = table.trip_stop_times(trip)
        rows = range(table.trip_start[trip], table.trip_start[trip + 1])
        for rides in range(max_rides):
            for i, row in enumerate(rows):
                # boarding: from the stop's wait chain onto the bus (it leaves at departure)
                if i + 1 < len(stops) and table.pickup[row]:
                    node = ("board", trip, i, rides)
                    departures[(int(stops[i]), rides)].append((departures_min[i], node))
                    _add(graph, node, ("on", trip, i + 1, rides + 1),
                         arrivals[i + 1] - departures_min[i])
        for rides in range(1, max_rides + 1):
            for i in range(1, len(stops)):
                row = rows[i]
                if i + 1 < len(stops):
                    _add(graph, ("on", trip, i, rides), ("on", trip, i + 1, rides),
                                   arrivals[i + 1] - arrivals[i])
                if table.drop_off[row]:
                    off = ("off", int(stops[i]), float(arrivals[i]), rides)
                    _add(graph, ("on", trip, i, rides), off, 0.0)
    # alighting: walk to a place (by the deadline) or change
    for node in list(graph.nodes):
        if node[0] != "off":
            continue
        _, stop, time, rides = node
        for place, walk in egress.get(stop, []):
            if places[place] and walk <= access_limit and time + walk <= arrive_by + 1e-9:
                _add(graph, node, ("place",), walk)
        if rides < max_rides:
            for other, walk in transfers.get(stop, []):
                ready = time + walk + change_minutes
                at = ("at", other, ready, rides)
                _add(graph, node, at, walk + change_minutes)
                at_stop[(other, rides)].add(ready)
    return graph, at_stop, departures


class _Searcher:
    """The time-expanded graph of one day, built once; homes are joined to it per query."""

    def __init__(self, table, running, *, egress, transfers, change_minutes, max_rides,
                 arrive_by, places, access_limit):
        self.graph, at_stop, departures = time_expanded_graph(
            table, running, egress=egress, transfers=transfers, change_minutes=change_minutes,
            max_rides=max_rides, arrive_by=arrive_by, places=places, access_limit=access_limit)
        self.places, self.arrive_by, self.access_limit = places, arrive_by, access_limit
        self.chains: dict[int, tuple[list[float], list[tuple]]] = {}
        # wait chains: every event at a stop (arrivals on foot, bus departures) in time order
        for key in set(at_stop) | set(departures):
            stop, rides = key
            events = [(t, ("at", stop, t, rides)) for t in at_stop.get(key, ())]
            events += departures.get(key, [])
            events.sort(key=lambda event: (event[0], event[1][0] != "at"))
            for (t1, a), (t2, b) in itertools.pairwise(events):
                _add(self.graph, a, b, t2 - t1)
            if rides == 0:
                self.chains[stop] = ([t for t, _ in events], [node for _, node in events])

    def earliest(self, leave, access, direct):
        """Earliest arrival at a place leaving home at ``leave`` (inf when none): home walks
        to the first event at each stop nearby (then waits along the stop's chain)."""
        graph = self.graph
        for stop, walk in access:
            if walk <= self.access_limit and stop in self.chains:
                times, nodes = self.chains[stop]
                first = bisect_left(times, leave + walk - 1e-9)
                if first < len(nodes):
                    _add(graph, ("home",), nodes[first], times[first] - leave)
        for place, walk in direct:
            if self.places[place] and leave + walk <= self.arrive_by + 1e-9:
                _add(graph, ("home",), ("place",), walk)
        try:
            if ("home",) not in graph or ("place",) not in graph:
                return np.inf
            return leave + nx.dijkstra_path_length(graph, ("home",), ("place",))
        except nx.NetworkXNoPath:
            return np.inf
        finally:
            if ("home",) in graph:
                graph.remove_node(("home",))


def earliest_arrival_at_place(table, running, *, leave, access, direct, egress, transfers,
                              change_minutes, max_rides, arrive_by, places, access_limit):
    """Earliest arrival at any place leaving home at ``leave`` (inf when none)."""
    searcher = _Searcher(table, running, egress=egress, transfers=transfers,
                         change_minutes=change_minutes, max_rides=max_rides,
                         arrive_by=arrive_by, places=places, access_limit=access_limit)
    return searcher.earliest(leave, access, direct)


def best_door_to_door(table, running, *, window, access, direct, egress, transfers,
                      change_minutes, max_rides, arrive_by, places, access_limit):
    """Shortest door-to-door minutes leaving within ``window`` = (first, last)."""
    first, last = window
    leaves = {first, last, *np.arange(np.ceil(first), last + 1e-9)}
    for trip in np.flatnonzero(running):
        stops, _, departures_min = table.trip_stop_times(trip)
        for stop, walk in access:
            for s, d in zip(stops, departures_min, strict=False):
                if s == stop and first <= d - walk <= last:
                    leaves.add(float(d - walk))
    searcher = _Searcher(table, running, egress=egress, transfers=transfers,
                         change_minutes=change_minutes, max_rides=max_rides,
                         arrive_by=arrive_by, places=places, access_limit=access_limit)
    best = np.inf
    for leave in sorted(leaves):
        best = min(best, searcher.earliest(leave, access, direct) - leave)
    return best
