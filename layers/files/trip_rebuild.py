"""Bus trips rebuilt from per-stop timetables (the ぐるりん GeoJSON): estimates (推定).

The embedded bus data has, per stop, its departures (``時刻表``: minute, destination, day mark)
and, per route, its stops in order (``経路``), but no trips. A trip is rebuilt by chaining a
departure at one stop to the departure at the route's next stop that goes toward the same
destination on the same days, at a plausible time later:

- the next stop is any stop of that name (a name has one point per direction), on any route
  that goes from this stop's name to that one;
- the time must not go backwards, the bus must not go faster than
  :data:`MAX_BUS_SPEED_M_PER_MIN` in a straight line (one minute allowed for rounding), nor
  slower than :data:`MIN_BUS_SPEED_M_PER_MIN` plus :data:`MAX_WAIT_MINUTES` of waiting;
- of the candidates, the one closest to the usual time between the two stops (the median of
  the nearest candidates over the day) wins; each departure continues into at most one and
  follows at most one other (the closest pairs are chained first).

Every departure is counted: chained into a trip, left over (no plausible continuation nor
predecessor) or ambiguous (a second candidate within :data:`AMBIGUOUS_MINUTES` of the chosen
one). Trips built this way are marked as estimates (``trip_estimated``); every result that
uses them says 推定.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from geo.crs import METRIC_CRS, to_metric
from geo.transit.timetable import Timetable
from layers.config import LayerConfig
from layers.errors import Problem
from layers.files.bus_timetable import BusTimetable, ServiceCalendar, ServiceDays, warning
from layers.files.reader import read_vector
from layers.files.routes import parse_route_stops_html
from layers.files.timetable import parse_timetable_html

logger = logging.getLogger(__name__)
__all__ = [
    "AMBIGUOUS_MINUTES",
    "MAX_BUS_SPEED_M_PER_MIN",
    "MAX_WAIT_MINUTES",
    "MIN_BUS_SPEED_M_PER_MIN",
    "rebuild_trips",
]

#: Fastest straight-line speed between two stops (72 km/h); times are whole minutes, so one
#: minute more is allowed.
MAX_BUS_SPEED_M_PER_MIN = 1200.0
#: Slowest straight-line progress between two stops (6 km/h), before waiting.
MIN_BUS_SPEED_M_PER_MIN = 100.0
#: Longest wait at a stop (a timing point) on top of the slowest progress, minutes.
MAX_WAIT_MINUTES = 10.0
#: A second candidate this close (minutes) to the chosen one makes a departure ambiguous.
AMBIGUOUS_MINUTES = 1.0

_MINUTE_BITS = 12  # search key: stop << 40 | group << 12 | minute (minutes < 4096)
_STOP_SHIFT = 40


def rebuild_trips(stops_layer: LayerConfig, routes_layer: LayerConfig, *,
                  metric_crs: str | CRS = METRIC_CRS) -> BusTimetable:
    """
    Rebuild the trips of every route from per-stop timetables.

    Parameters
    ----------
    stops_layer
        Stop points with ``name`` and ``timetable_html`` (``時刻表``) fields.
    routes_layer
        Route lines with ``route_stops_html`` (``経路``: the stop names in order) and
        optionally ``name``.
    metric_crs
        The projected CRS (metres) in which distances between stops are measured.

    Returns
    -------
    BusTimetable
        Estimated trips (``estimated`` True); ``rebuild`` counts the departures chained,
        left over and ambiguous, and ``problems`` says what was skipped.

    Raises
    ------
    LayerError
        When a file cannot be read at all.
    """
    problems: list[Problem] = []
    stops = _read_stops(stops_layer, metric_crs, problems)
    routes = _read_routes(routes_layer, stops["names"], problems)
    departures = stops["departures"]
    edges, edge_routes = _edges(routes, stops)
    links = _candidate_links(edges, stops, departures)
    successor, route_of = _pattern_chains(routes, stops, departures)
    successor, ambiguous = _chain(links, successor)
    table, trip_routes = _trips(successor, route_of, departures, stops, edge_routes, links,
                                routes)
    counts = _counts(successor, ambiguous, links, len(departures["stop"]), table)
    problems += _left_over_problems(successor, departures, stops_layer, counts)
    timetable = Timetable(stop_x=stops["x"], stop_y=stops["y"], stop_name=stops["names"],
                          crs=str(CRS.from_user_input(metric_crs).to_string()),
                          trip_route=np.array(trip_routes, dtype=object), **table)
    logger.info("Rebuilt %d trips from %d departures of %s: %d chained, %d left over, "
                "%d ambiguous", timetable.n_trips, counts["departures"], stops_layer.path.name,
                counts["chained"], counts["left_over"], counts["ambiguous"])
    calendar = ServiceCalendar(tuple(stops["services"]))
    source = f"{Path(stops_layer.path).name} + {Path(routes_layer.path).name}"
    return BusTimetable(timetable, calendar, source, True, problems, counts)


def _read_stops(layer: LayerConfig, metric_crs: str | CRS,
                problems: list[Problem]) -> dict[str, Any]:
    """Stop positions (metric), names and every departure (repeats kept)."""
    path = Path(layer.path)
    frame = read_vector(path)
    name_field = layer.source_field("name")
    table_field = layer.source_field("timetable_html")
    names = (frame[name_field] if name_field in frame.columns
             else pd.Series("", index=frame.index)).fillna("").astype(str).str.strip()
    html = frame[table_field] if table_field in frame.columns else pd.Series(
        None, index=frame.index, dtype=object)
    if table_field not in frame.columns:
        problems.append(warning(path, f"there is no field {table_field!r}, so no stop has "
                                "departures and no trip can be rebuilt.", field=table_field,
                                fix=f'Map it in the config: [layers.{layer.name}.fields] '
                                    'timetable_html = "時刻表".'))
    located = frame.geometry.notna() & ~frame.geometry.is_empty
    located &= frame.geometry.geom_type.eq("Point")
    metric = to_metric(frame[located], metric_crs)
    x = np.full(len(frame), np.nan)
    y = np.full(len(frame), np.nan)
    x[located.to_numpy()] = metric.geometry.x.to_numpy()
    y[located.to_numpy()] = metric.geometry.y.to_numpy()
    services: dict[tuple[tuple[int, ...], bool, str], int] = {}
    destinations: dict[str, int] = {}
    rows: dict[str, list[int]] = defaultdict(list)
    unreadable: list[int] = []
    for position in range(len(frame)):
        if not located.iloc[position]:
            continue  # reported by load_stops; a stop without a point cannot be chained
        value = html.iloc[position]
        try:
            entries = parse_timetable_html(None if pd.isna(value) else str(value), repeats=True)
        except ValueError:
            unreadable.append(position + 1)
            continue
        for entry in entries:
            hours, minutes = entry["time"].split(":")
            key = (tuple(entry["weekdays"]), bool(entry["holidays"]), entry["label"])
            rows["stop"].append(position)
            rows["minute"].append(int(hours) * 60 + int(minutes))
            rows["service"].append(services.setdefault(key, len(services)))
            rows["destination"].append(destinations.setdefault(entry["destination"],
                                                               len(destinations)))
    if unreadable:
        problems.append(warning(path, f"{len(unreadable)} stops have a timetable that cannot "
                                f"be read (rows {_few(unreadable)}); their departures are left "
                                "out.", row=unreadable[0], field=table_field,
                                fix="Write each departure as 'MM (行き先行き) 曜日'."))
    departures = {column: np.array(rows[column], dtype=np.int64)
                  for column in ("stop", "minute", "service", "destination")}
    return {
        "x": x, "y": y, "names": names.to_numpy(dtype=object), "departures": departures,
        "services": [ServiceDays(frozenset(days), holidays, label=label)
                     for days, holidays, label in services],
        "destinations": list(destinations),
    }


def _read_routes(layer: LayerConfig, stop_names: np.ndarray,
                 problems: list[Problem]) -> list[dict[str, Any]]:
    """
    Each route's row, name and ordered stop names; names matching no stop are reported.

    A route's name is its ``name`` field when the data have one; else the operator's
    (``operator``, e.g. 運行) and the route's end stops, e.g.
    「高崎市内のコミュニティ 高崎駅西口→鳥羽町東」 (the ぐるりん GeoJSON has no line names).
    """
    path = Path(layer.path)
    frame = read_vector(path)
    stops_field = layer.source_field("route_stops_html")
    name_field = layer.source_field("name")
    operator_field = layer.source_field("operator")
    if stops_field not in frame.columns:
        problems.append(warning(path, f"there is no field {stops_field!r}, so the stops of "
                                "the routes are unknown and no trip can be rebuilt.",
                                field=stops_field,
                                fix=f'Map it in the config: [layers.{layer.name}.fields] '
                                    'route_stops_html = "経路".'))
        return []
    known = set(stop_names)
    routes = []
    for position, html in enumerate(frame[stops_field]):
        names = parse_route_stops_html(None if pd.isna(html) else str(html))
        name = _cell(frame, name_field, position) or " ".join(part for part in (
            _cell(frame, operator_field, position),
            f"{names[0]}→{names[-1]}" if names else "") if part)
        unknown = [stop for stop in names if stop not in known]
        if unknown:
            problems.append(warning(
                path, f"{len(unknown)} stop names of the route match no stop: "
                f"{_few([repr(stop) for stop in unknown])}; trips are not chained across "
                "them.", row=position + 1, field=stops_field,
                fix="Spell each name exactly as in the stops file."))
        routes.append({"row": position + 1, "name": name, "stops": names})
    return routes


def _cell(frame: pd.DataFrame, column: str, position: int) -> str:
    """The text of ``column`` at ``position`` ("" when the column or the value is missing)."""
    if column not in frame.columns:
        return ""
    value = frame[column].iloc[position]
    return "" if value is None or pd.isna(value) else str(value).strip()


def _edges(routes: list[dict[str, Any]], stops: dict[str, Any]
           ) -> tuple[dict[str, np.ndarray], list[list[int]]]:
    """Every (stop point, next stop point) a route may take, with its straight distance."""
    points: dict[str, list[int]] = defaultdict(list)
    for index, name in enumerate(stops["names"]):
        if np.isfinite(stops["x"][index]):
            points[name].append(index)
    pairs: dict[tuple[int, int], int] = {}
    edge_routes: list[list[int]] = []
    for route_index, route in enumerate(routes):
        for here, there in zip(route["stops"], route["stops"][1:], strict=False):
            for a in points.get(here, []):
                for b in points.get(there, []):
                    if a == b:
                        continue
                    edge = pairs.setdefault((a, b), len(pairs))
                    if edge == len(edge_routes):
                        edge_routes.append([])
                    if route_index not in edge_routes[edge]:
                        edge_routes[edge].append(route_index)
    ends = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)
    distance = np.hypot(stops["x"][ends[:, 1]] - stops["x"][ends[:, 0]],
                        stops["y"][ends[:, 1]] - stops["y"][ends[:, 0]])
    return {"from": ends[:, 0], "to": ends[:, 1], "distance_m": distance}, edge_routes


def _candidate_links(edges: dict[str, np.ndarray], stops: dict[str, Any],
                     departures: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every (departure, departure at a next stop) pair that could be the same bus."""
    stop, minute = departures["stop"], departures["minute"]
    group = departures["destination"] * (departures["service"].max(initial=0) + 1) \
        + departures["service"]
    key = (stop << _STOP_SHIFT) | (group << _MINUTE_BITS) | minute
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    per_stop = np.bincount(stop, minlength=len(stops["names"]))
    stop_first = np.concatenate([[0], np.cumsum(per_stop)[:-1]])
    by_stop = np.argsort(stop, kind="stable")
    # (edge, departure at its first stop) pairs
    count = per_stop[edges["from"]]
    edge = np.repeat(np.arange(len(edges["from"])), count)
    offset = np.arange(len(edge)) - np.repeat(np.cumsum(count) - count, count)
    here = by_stop[stop_first[edges["from"]][edge] + offset]
    distance = edges["distance_m"][edge]
    fastest = np.maximum(np.ceil(distance / MAX_BUS_SPEED_M_PER_MIN) - 1, 0).astype(np.int64)
    slowest = np.floor(MAX_WAIT_MINUTES + distance / MIN_BUS_SPEED_M_PER_MIN).astype(np.int64)
    base = (edges["to"][edge] << _STOP_SHIFT) | (group[here] << _MINUTE_BITS)
    low = np.searchsorted(sorted_key, base | (minute[here] + fastest))
    high = np.searchsorted(sorted_key, base | np.minimum(minute[here] + slowest,
                                                         (1 << _MINUTE_BITS) - 1), side="right")
    # the same destination and days at the next stop, but never at a plausible time
    same_group = (np.searchsorted(sorted_key, base | ((1 << _MINUTE_BITS) - 1), side="right")
                  > np.searchsorted(sorted_key, base))
    found = high - low
    pair = np.repeat(np.arange(len(edge)), found)
    position = np.arange(len(pair)) - np.repeat(np.cumsum(found) - found, found)
    there = order[low[pair] + position]
    gap = minute[there] - minute[here[pair]]
    # the usual time between the two stops: median over the day of the nearest candidate
    nearest = pd.Series(gap).groupby(pair).min()
    usual = pd.Series(nearest.to_numpy(), index=edge[nearest.index]).groupby(level=0).median()
    expected = np.zeros(len(edges["from"]))
    expected[usual.index.to_numpy()] = usual.to_numpy()
    return {
        "here": here[pair], "there": there, "edge": edge[pair], "gap": gap,
        "cost": np.abs(gap - expected[edge[pair]]),
        "implausible": np.unique(here[(found == 0) & same_group]),
    }


def _plausible(gap: np.ndarray, distance_m: np.ndarray) -> np.ndarray:
    """Whether a bus can take ``gap`` minutes for a straight distance (whole minutes)."""
    fastest = np.maximum(np.ceil(distance_m / MAX_BUS_SPEED_M_PER_MIN) - 1, 0)
    slowest = np.floor(MAX_WAIT_MINUTES + distance_m / MIN_BUS_SPEED_M_PER_MIN)
    return (gap >= fastest) & (gap <= slowest)


def _pattern_chains(routes: list[dict[str, Any]], stops: dict[str, Any],
                    departures: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[int, int]]:
    """
    Whole trips along each route's stops: per route and (destination, days), the path
    through one departure per stop, first to last, closest to the route's usual times
    between stops (Viterbi); the closest paths are kept first, a departure in one trip only,
    and the others are searched again among the departures left.

    Returns each departure's successor (-1: none) and the route of each trip's first
    departure.
    """
    n = len(departures["stop"])
    successor = np.full(n, -1, dtype=np.int64)
    route_of: dict[int, int] = {}
    used = np.zeros(n, dtype=bool)
    points: dict[str, list[int]] = defaultdict(list)
    for index, name in enumerate(stops["names"]):
        if np.isfinite(stops["x"][index]):
            points[name].append(index)
    group = departures["destination"] * (departures["service"].max(initial=0) + 1) \
        + departures["service"]
    at_point: dict[int, np.ndarray] = {int(point): rows for point, rows in pd.Series(
        np.arange(n)).groupby(departures["stop"]).apply(np.asarray).items()}
    for _ in range(4):  # departures taken by a closer trip are searched again
        found: list[tuple[float, int, int, list[int]]] = []
        for number, route in enumerate(routes):
            names = route["stops"]
            if len(names) < 2 or any(name not in points for name in names):
                continue
            layers = [np.concatenate([at_point.get(point, np.zeros(0, dtype=np.int64))
                                      for point in points[name]]) for name in names]
            layers = [rows[~used[rows]] for rows in layers]
            for wanted in np.unique(group[layers[0]]):
                chosen = [rows[group[rows] == wanted] for rows in layers]
                for cost, chain in _viterbi(chosen, departures, stops):
                    found.append((cost, int(departures["minute"][chain[0]]), number, chain))
        accepted = 0
        for _, _, number, chain in sorted(found, key=lambda item: item[:2]):
            if used[chain].any():
                continue
            used[chain] = True
            successor[chain[:-1]] = chain[1:]
            route_of[chain[0]] = number
            accepted += 1
        if not accepted:
            break
    return successor, route_of


def _viterbi(layers: list[np.ndarray], departures: dict[str, np.ndarray],
             stops: dict[str, Any]) -> list[tuple[float, list[int]]]:
    """For each departure at the first stop, the cheapest plausible path to the last stop:
    (mean minutes off the usual time per link, departures)."""
    if any(len(rows) == 0 for rows in layers):
        return []
    minute, stop = departures["minute"], departures["stop"]
    x, y = stops["x"], stops["y"]
    cost = np.where(np.eye(len(layers[0]), dtype=bool), 0.0, np.inf)
    back: list[np.ndarray] = []
    for here, there in itertools.pairwise(layers):
        gap = (minute[there][None, :] - minute[here][:, None]).astype(float)
        distance = np.hypot(x[stop[there]][None, :] - x[stop[here]][:, None],
                            y[stop[there]][None, :] - y[stop[here]][:, None])
        ok = _plausible(gap, distance) & (stop[there][None, :] != stop[here][:, None])
        if not ok.any():
            return []
        usual = float(np.median(np.where(ok, gap, np.inf).min(axis=1)[ok.any(axis=1)]))
        step = np.where(ok, np.abs(gap - usual), np.inf)
        total = cost[:, :, None] + step[None, :, :]
        back.append(total.argmin(axis=1))
        cost = total.min(axis=1)
    chains = []
    links = len(layers) - 1
    for start in np.flatnonzero(np.isfinite(cost).any(axis=1)):
        end = int(cost[start].argmin())
        path = [end]
        for pointers in reversed(back):
            path.append(int(pointers[start, path[-1]]))
        path.reverse()
        chain = [int(layers[i][j]) for i, j in enumerate(path)]
        if len(set(chain)) == len(chain):
            chains.append((float(cost[start, end]) / links, chain))
    return chains


def _chain(links: dict[str, np.ndarray], successor: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Chain the departures no whole trip took, link by link, closest pairs first; and mark
    the departures with a second candidate within :data:`AMBIGUOUS_MINUTES` of their best."""
    n_departures = len(successor)
    successor = successor.copy()
    in_trip = successor >= 0
    in_trip[successor[successor >= 0]] = True
    taken = in_trip.copy()
    head = np.arange(n_departures)  # union-find: the first departure of each chain
    order = np.lexsort((links["there"], links["gap"], links["cost"]))
    for index in order.tolist():
        here, there = int(links["here"][index]), int(links["there"][index])
        if in_trip[here] or successor[here] >= 0 or taken[there]:
            continue
        first = _find(head, here)
        if first == there:  # two stops at the same minute: A → B → A would close a loop
            continue
        successor[here] = there
        taken[there] = True
        head[there] = first
    frame = pd.DataFrame({"here": links["here"], "there": links["there"],
                          "cost": links["cost"]}).sort_values(["here", "cost"], kind="stable")
    frame = frame.drop_duplicates(["here", "there"])
    rank = frame.groupby("here").cumcount().to_numpy()
    best = frame[rank == 0].set_index("here")["cost"]
    second = frame[rank == 1].set_index("here")["cost"]
    close = second.index[(second - best.loc[second.index]).to_numpy() < AMBIGUOUS_MINUTES]
    ambiguous = np.zeros(n_departures, dtype=bool)
    ambiguous[close.to_numpy(dtype=np.int64)] = True
    ambiguous &= ~in_trip  # a whole trip along its route is not in doubt
    return successor, ambiguous & (successor >= 0)


def _find(head: np.ndarray, item: int) -> int:
    """The first departure of ``item``'s chain (with path halving)."""
    while head[item] != item:
        head[item] = head[head[item]]
        item = int(head[item])
    return item


def _trips(successor: np.ndarray, route_of: dict[int, int], departures: dict[str, np.ndarray],
           stops: dict[str, Any], edge_routes: list[list[int]], links: dict[str, np.ndarray],
           routes: list[dict[str, Any]]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Follow the chains into trips (arrays for :class:`geo.transit.timetable.Timetable`)."""
    has_predecessor = np.zeros(len(successor), dtype=bool)
    has_predecessor[successor[successor >= 0]] = True
    heads = np.flatnonzero((successor >= 0) & ~has_predecessor)
    edge_of = dict(zip(zip(links["here"].tolist(), links["there"].tolist(), strict=True),
                       links["edge"].tolist(), strict=True))
    chains: list[list[int]] = []
    names: list[str] = []
    for head in heads.tolist():
        chain, seen = [head], {head}
        while successor[chain[-1]] >= 0 and int(successor[chain[-1]]) not in seen:
            chain.append(int(successor[chain[-1]]))
            seen.add(chain[-1])
        chains.append(chain)
        if head in route_of:
            names.append(routes[route_of[head]]["name"])
            continue
        votes = Counter(route for a, b in itertools.pairwise(chain)
                        for route in edge_routes[edge_of.get((a, b), -1)]
                        if (a, b) in edge_of)
        names.append(routes[votes.most_common(1)[0][0]]["name"] if votes else "")
    flat = np.array([d for chain in chains for d in chain], dtype=np.int64)
    minutes = departures["minute"][flat].astype(float)
    heads_array = np.array([chain[0] for chain in chains], dtype=np.int64)
    destination_names = np.array(stops["destinations"], dtype=object)
    return {
        "trip_start": np.concatenate([[0], np.cumsum([len(c) for c in chains])]).astype(np.int64),
        "stop": departures["stop"][flat],
        "arrival_min": minutes, "departure_min": minutes.copy(),
        "pickup": np.ones(len(flat), dtype=bool), "drop_off": np.ones(len(flat), dtype=bool),
        "trip_service": departures["service"][heads_array],
        "trip_headsign": (destination_names[departures["destination"][heads_array]]
                          if len(chains) else np.array([], dtype=object)),
        "trip_estimated": np.ones(len(chains), dtype=bool),
    }, names


def _counts(successor: np.ndarray, ambiguous: np.ndarray, links: dict[str, np.ndarray],
            n_departures: int, table: dict[str, np.ndarray]) -> dict[str, int]:
    chained = successor >= 0
    chained[successor[successor >= 0]] = True
    implausible = np.zeros(n_departures, dtype=bool)
    implausible[links["implausible"]] = True
    return {
        "departures": int(n_departures),
        "chained": int(chained.sum()),
        "left_over": int((~chained).sum()),
        "ambiguous": int(ambiguous.sum()),
        "trips": int(len(table["trip_start"]) - 1),
        "no_plausible_time": int((implausible & ~chained).sum()),
    }


def _left_over_problems(successor: np.ndarray, departures: dict[str, np.ndarray],
                        layer: LayerConfig, counts: dict[str, int]) -> list[Problem]:
    """One warning for the departures no trip could use, naming the first stops (rows)."""
    if counts["left_over"] == 0:
        return []
    chained = successor >= 0
    chained[successor[successor >= 0]] = True
    rows = sorted({int(stop) + 1 for stop in departures["stop"][~chained]})
    share = 100 * counts["left_over"] / max(counts["departures"], 1)
    return [warning(
        Path(layer.path), f"{counts['left_over']} of {counts['departures']} departures "
        f"({share:.1f} %) could not be chained into a trip (stops at rows {_few(rows)}; "
        f"{counts['no_plausible_time']} of them had a bus toward the same destination at the "
        "next stop, but not at a plausible time); they are left out of the bus reach.",
        row=rows[0], field=layer.source_field("timetable_html"),
        fix="Check the stop names of the routes and the times; a GTFS feed gives real trips.")]


def _few(rows: list[Any], limit: int = 5) -> str:
    shown = ", ".join(map(str, rows[:limit]))
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")
