"""Where one more gathering place would help most, and what adding or closing one would change.

:func:`suggest_sites` is greedy maximal coverage with the existing places fixed: it picks the
candidate that brings the most not-yet-covered people within N minutes on foot, counts them
as covered, and repeats. Greedy is within (1 - 1/e) ≈ 63 % of the best possible set and in
practice usually finds it (tests compare it with spopt's exact MCLP).

To score 100k candidates (every street node) in seconds it is lazy (CELF): a candidate's
gain can only shrink as places are added, and before any search it is bounded by the people
within a straight-line disc of ``minutes × speed`` (walking is never shorter than the straight
line); only candidates whose bound could beat the best exact gain are searched, in batches.

:func:`what_if` adds or removes one place and returns district and city coverage, reusing the
per-node times (one limited search to add; to remove, only the removed place's catchment is
searched again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from geo.coverage.on_streets import (
    NetworkCoverage,
    People,
    coverage_by_district_network,
    recount_coverage,
)
from geo.streets.network import Snapped, street_xy
from geo.streets.reach import (
    Reach,
    add_place,
    augmented_matrix,
    point_minutes,
    remove_place,
    source_rows,
    subgraph,
)

logger = logging.getLogger(__name__)
__all__ = ["SiteSuggestion", "node_candidates", "suggest_sites", "what_if"]

_BATCH = 256
#: Cells per radius of the grid of :func:`_disc_bounds`.
_DISC_CELLS = 16


def node_candidates(reach: Reach) -> Snapped:
    """Every street node as a candidate site (snapped onto one of its edges, distance 0)."""
    network = reach.graph.network
    edge = np.full(network.n_nodes, -1, dtype=np.int64)
    fraction = np.zeros(network.n_nodes)
    edge[network.v] = np.arange(network.n_edges)
    fraction[network.v] = 1.0
    edge[network.u] = np.arange(network.n_edges)
    fraction[network.u] = 0.0
    return Snapped(edge, np.where(edge >= 0, fraction, np.nan),
                   np.where(edge >= 0, 0.0, np.nan))


@dataclass(frozen=True)
class SiteSuggestion:
    """Ranked sites: ``rank``, ``candidate``, ``newly_covered``, ``district``, ``covered_total``."""

    table: pd.DataFrame
    minutes: float
    #: People already covered by the existing places.
    covered_before: float
    population: float


def suggest_sites(reach: Reach, people: People, candidates: Snapped, *, minutes: float,
                  k: int = 10, candidate_districts: np.ndarray | None = None) -> SiteSuggestion:
    """
    The ``k`` candidate sites that together bring the most people within ``minutes``.

    Parameters
    ----------
    reach
        Reach of the existing places (they stay), with a limit ≥ ``minutes``.
    people
        From :func:`geo.coverage.on_streets.people_on_streets`.
    candidates
        Snapped candidate sites (a candidate layer, or :func:`node_candidates`); those not
        snapped (edge -1) are skipped.
    minutes
        The walking threshold.
    k
        How many sites to suggest (fewer when no candidate adds anyone).
    candidate_districts
        District position of each candidate, for the table (``people.district_names``).
    """
    if not 0 < minutes <= reach.limit_minutes:
        msg = (f"`minutes` must be > 0 and ≤ the reach limit ({reach.limit_minutes}), "
               f"got {minutes!r}.")
        raise ValueError(msg)
    if k < 1:
        msg = f"`k` must be ≥ 1, got {k!r}."
        raise ValueError(msg)
    current, _ = point_minutes(reach, people.snapped)
    uncovered = (current > minutes) & (people.snapped.edge >= 0) & (people.weights > 0)
    weight = np.where(uncovered, people.weights, 0.0)
    covered_before = float(people.weights[~uncovered & (people.snapped.edge >= 0)].sum())
    entries = _PeopleEntries(reach, people)
    entries.set_tiles(minutes)
    valid = np.flatnonzero(candidates.edge >= 0)
    bound = np.full(len(candidates), -np.inf)
    bound[valid] = _disc_bounds(reach, people, candidates.take(valid), weight, minutes)
    cx, cy = street_xy(reach.graph.network, candidates)
    tile = entries.tile_of(cx, cy)
    by_tile = np.argsort(tile, kind="stable")
    tile_sorted = tile[by_tile]
    rows, total = [], covered_before
    for pick in range(k):
        stale_bound = bound.copy()  # every gain found before this pick is now only a bound
        # within a pick bounds only drop to -inf (searched), so one sort orders them all
        order, cursor = np.argsort(-bound, kind="stable"), 0
        best, best_gain = -1, 0.0
        while True:
            while cursor < len(order) - 1 and stale_bound[order[cursor]] == -np.inf:
                cursor += 1
            top = int(order[cursor])
            if (not np.isfinite(stale_bound[top]) or stale_bound[top] <= 0
                    or (best >= 0 and (best_gain > stale_bound[top]
                                       or (best_gain == stale_bound[top] and best < top)))):
                break  # nobody left to gain, or the best found beats every other bound
                # (a tie goes to the first candidate, as a plain greedy search gives it)
            # search the stale candidates of the best one's tile together, on a local graph
            lo, hi = np.searchsorted(tile_sorted, [tile[top], tile[top] + 1])
            batch = by_tile[lo:hi]
            batch = batch[stale_bound[batch] >= best_gain]
            batch = batch[np.argsort(-stale_bound[batch])[:_BATCH]]
            gains, _ = entries.gains(candidates.take(batch), weight, minutes)
            bound[batch] = gains
            stale_bound[batch] = -np.inf
            first = int(batch[gains == gains.max()].min())
            if gains.max() > best_gain or best < 0 or (gains.max() == best_gain
                                                       and first < best):
                best, best_gain = first, float(gains.max())
        if best < 0 or best_gain <= 0:
            break
        gain, covered = entries.gains(candidates.take(np.array([best])), weight, minutes)
        weight[covered] = 0.0
        total += float(gain[0])
        district = ""
        if candidate_districts is not None and candidate_districts[best] >= 0:
            district = people.district_names[candidate_districts[best]]
        rows.append({"rank": pick + 1, "candidate": best, "newly_covered": float(gain[0]),
                     "district": district, "covered_total": total})
        bound[best] = -np.inf
    table = pd.DataFrame(rows, columns=["rank", "candidate", "newly_covered", "district",
                                        "covered_total"])
    logger.info("Suggested %d sites within %g min: %s more people", len(table), minutes,
                f"{table['newly_covered'].sum():,.0f}")
    return SiteSuggestion(table, float(minutes), covered_before,
                          float(people.weights[people.snapped.edge >= 0].sum()))


def _disc_bounds(reach: Reach, people: People, candidates: Snapped, weight: np.ndarray,
                 minutes: float) -> np.ndarray:
    """
    People within a straight-line disc of ``minutes × max speed`` around each candidate.

    Counted on a grid of cells 1/16 of the radius wide: per candidate, every cell that any
    point of the disc can touch (so never fewer than the exact count), summed row by row
    from running sums; a disc, unlike a square, leaves about a third fewer candidates
    to search.
    """
    network = reach.graph.network
    radius_m = reach.graph.profile.furthest_metres(minutes)
    px, py = street_xy(network, people.snapped)
    cx, cy = street_xy(network, candidates)
    cell_m = max(radius_m / _DISC_CELLS, 1.0)
    x0, y0 = min(px.min(), cx.min()), min(py.min(), cy.min())
    n_cols = int((max(px.max(), cx.max()) - x0) / cell_m) + 1
    n_rows = int((max(py.max(), cy.max()) - y0) / cell_m) + 1
    col = np.clip(((px - x0) / cell_m).astype(np.int64), 0, n_cols - 1)
    row = np.clip(((py - y0) / cell_m).astype(np.int64), 0, n_rows - 1)
    reach_cells = int(np.ceil(radius_m / cell_m)) + 1
    padded = np.zeros((n_rows + 2 * reach_cells, n_cols + 2 * reach_cells + 1))
    padded[reach_cells:reach_cells + n_rows, reach_cells + 1:reach_cells + 1 + n_cols] = \
        np.bincount(row * n_cols + col, weights=weight,
                    minlength=n_rows * n_cols).reshape(n_rows, n_cols)
    running = padded.cumsum(axis=1)
    within = np.zeros((n_rows, n_cols))
    for dy in range(-reach_cells, reach_cells + 1):
        gap_m = max(0, abs(dy) - 1) * cell_m  # nearest two points of the cells can be
        if gap_m > radius_m:
            continue
        half = min(int(np.sqrt(radius_m ** 2 - gap_m ** 2) / cell_m) + 1, reach_cells)
        rows = running[reach_cells + dy:reach_cells + dy + n_rows]
        within += (rows[:, reach_cells + 1 + half:reach_cells + 1 + half + n_cols]
                   - rows[:, reach_cells - half:reach_cells - half + n_cols])
    c_col = np.clip(((cx - x0) / cell_m).astype(np.int64), 0, n_cols - 1)
    c_row = np.clip(((cy - y0) / cell_m).astype(np.int64), 0, n_rows - 1)
    # (running sums round: a margin keeps the bound above the exact count)
    return within[c_row, c_col] + 1e-6 + 1e-9 * float(weight.sum())


class _PeopleEntries:
    """People indexed by the street nodes they enter the network at, with the walk to each."""

    def __init__(self, reach: Reach, people: People) -> None:
        graph, network = reach.graph, reach.graph.network
        self.graph = graph
        located = np.flatnonzero(people.snapped.edge >= 0)
        edge = np.maximum(people.snapped.edge, 0)
        t = people.snapped.fraction
        access = graph.access_minutes(people.snapped)
        self.entry_u, self.entry_v = network.u[edge], network.v[edge]
        self.cost_u = np.where(people.snapped.edge >= 0,
                               access + t * graph.minutes.backward[edge], np.inf)
        self.cost_v = np.where(people.snapped.edge >= 0,
                               access + (1 - t) * graph.minutes.forward[edge], np.inf)
        edge = people.snapped.edge[located]
        self.people = people
        by_edge = np.argsort(edge, kind="stable")
        self.edge_sorted, self.edge_person = edge[by_edge], located[by_edge]

    def set_tiles(self, minutes: float) -> None:
        """Group nodes into square tiles as large as the longest walk of ``minutes``."""
        network = self.graph.network
        self.tile_m = self.radius_m(minutes) + 1.0
        self.tile_x0, self.tile_y0 = float(network.x.min()), float(network.y.min())
        self.tile_cols = int((network.x.max() - self.tile_x0) / self.tile_m) + 3
        node_tile = self.tile_of(network.x, network.y)
        self.node_by_tile = np.argsort(node_tile, kind="stable")
        self.node_tile_sorted = node_tile[self.node_by_tile]
        # people by the tile of where they meet their street (a person within reach of a
        # candidate meets it within radius_m, so in the candidate's tile or a neighbour)
        located = np.flatnonzero(self.people.snapped.edge >= 0)
        px, py = street_xy(network, self.people.snapped.take(located))
        person_tile = self.tile_of(px, py)
        order = np.argsort(person_tile, kind="stable")
        self.person_by_tile, self.person_tile_sorted = located[order], person_tile[order]

    def tile_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        col = np.floor((x - self.tile_x0) / self.tile_m).astype(np.int64)
        row = np.floor((y - self.tile_y0) / self.tile_m).astype(np.int64)
        return row * self.tile_cols + np.clip(col, 0, self.tile_cols - 1)

    def _tile_range(self, values: np.ndarray, origin: float) -> tuple[int, int]:
        """Tile rows (or columns) within one tile of ``values``."""
        return (int(np.floor((values.min() - origin) / self.tile_m)) - 1,
                int(np.floor((values.max() - origin) / self.tile_m)) + 2)

    def radius_m(self, minutes: float) -> float:
        """No walk of ``minutes`` ends farther than this in a straight line."""
        return self.graph.profile.furthest_metres(minutes)

    def gains(self, candidates: Snapped, weight: np.ndarray,
              minutes: float) -> tuple[np.ndarray, np.ndarray]:
        """Weight of people (``weight`` > 0) within ``minutes`` of each candidate, and whom
        the first candidate covers."""
        graph, network = self.graph, self.graph.network
        # every walk of ≤ minutes to a candidate stays within radius_m of it: search locally
        cx, cy = street_xy(network, candidates)
        node_parts, person_parts = [], []
        col0, col1 = self._tile_range(cx, self.tile_x0)
        for row in range(*self._tile_range(cy, self.tile_y0)):
            keys = [row * self.tile_cols + col0, row * self.tile_cols + col1]
            lo, hi = np.searchsorted(self.node_tile_sorted, keys)
            node_parts.append(self.node_by_tile[lo:hi])
            lo, hi = np.searchsorted(self.person_tile_sorted, keys)
            person_parts.append(self.person_by_tile[lo:hi])
        nodes = np.unique(np.concatenate(
            [*node_parts, network.u[candidates.edge], network.v[candidates.edge]]))
        sub = subgraph(graph, nodes)
        rows, heads, weights = source_rows(graph, candidates)
        matrix = augmented_matrix(sub, rows, np.searchsorted(nodes, heads), weights,
                                  len(candidates))
        n = len(nodes)
        times = dijkstra(matrix, directed=True, indices=np.arange(n, n + len(candidates)),
                         limit=minutes)[:, :n]
        times = np.concatenate([times, np.full((len(candidates), 1), np.inf)], axis=1)
        # people who may be reached: uncovered, meeting their street in these tiles
        person = np.sort(np.concatenate(person_parts))
        person = person[weight[person] > 0]
        enter_u, enter_v = self._local(nodes, self.entry_u[person]), self._local(
            nodes, self.entry_v[person])
        total = np.minimum(self.cost_u[person] + times[:, enter_u],
                           self.cost_v[person] + times[:, enter_v])
        covered = total <= minutes
        # people on a candidate's own street walk straight along it
        extra_c, extra_p = self._same_edge(candidates, minutes)
        if len(extra_p) and len(person):  # (no uncovered person near: nothing to add)
            column = np.searchsorted(person, extra_p)
            column = np.minimum(column, len(person) - 1)
            found = person[column] == extra_p
            covered[extra_c[found], column[found]] = True
        gains = covered @ weight[person]
        return gains, person[covered[0]]

    @staticmethod
    def _local(nodes: np.ndarray, node: np.ndarray) -> np.ndarray:
        """Position of each ``node`` in ``nodes`` (sorted); ``len(nodes)`` when absent."""
        at = np.minimum(np.searchsorted(nodes, node), len(nodes) - 1)
        return np.where(nodes[at] == node, at, len(nodes))

    def _same_edge(self, candidates: Snapped, minutes: float) -> tuple[np.ndarray, np.ndarray]:
        graph = self.graph
        first = np.searchsorted(self.edge_sorted, candidates.edge, side="left")
        last = np.searchsorted(self.edge_sorted, candidates.edge, side="right")
        count = last - first
        candidate = np.repeat(np.arange(len(candidates)), count)
        slot = np.repeat(first - np.cumsum(count) + count, count) + np.arange(len(candidate))
        person = self.edge_person[slot]
        snapped = self.people.snapped
        edge = candidates.edge[candidate]
        t_person, t_site = snapped.fraction[person], candidates.fraction[candidate]
        along = np.where(t_site >= t_person,
                         (t_site - t_person) * graph.minutes.forward[edge],
                         (t_person - t_site) * graph.minutes.backward[edge])
        total = along + graph.access_minutes(snapped.take(person)) + graph.access_minutes(
            candidates.take(candidate))
        keep = total <= minutes
        return candidate[keep], person[keep]


def what_if(reach: Reach, people: People, thresholds_minutes, *, add: Snapped | None = None,
            remove: int | None = None,
            base: NetworkCoverage | None = None) -> tuple[Reach, NetworkCoverage]:
    """
    Coverage after adding one place (``add``: one snapped point) and/or removing one (a row).

    Returns the new reach (for maps) and the new coverage per district and city; the city
    is not searched again (see the module notes). With ``base``, the coverage of ``reach``
    at the same thresholds, only the people near the nodes that changed are timed again
    (:func:`geo.coverage.on_streets.recount_coverage`): milliseconds on a city of a million.
    """
    new_reach = reach
    if remove is not None:
        new_reach = remove_place(new_reach, remove)
    if add is not None:
        new_reach = add_place(new_reach, add)
    thresholds = sorted(float(m) for m in thresholds_minutes)
    if base is None or sorted(base.city["minutes"]) != thresholds \
            or len(base.minutes) != len(people.weights):
        return new_reach, coverage_by_district_network(new_reach, people, thresholds_minutes)
    changed = np.flatnonzero((new_reach.minutes != reach.minutes)
                             | (new_reach.nearest != reach.nearest))
    edges = [reach.places.edge[[remove]] if remove is not None and 0 <= remove < len(
        reach.places) else np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if add is None else add.edge]
    return new_reach, recount_coverage(base, new_reach, people, changed, np.concatenate(edges))
