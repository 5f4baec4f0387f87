"""Next-site suggestions against spopt's exact MCLP and brute force; what-if vs recomputing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest
import shapely
from spopt.locate import MCLP

from geo.coverage.on_streets import People, coverage_by_district_network, district_of_points
from geo.planning.siting import node_candidates, suggest_sites, what_if
from geo.streets.network import Snapped, snap_points
from geo.streets.reach import add_place, network_reach, point_minutes, walk_graph
from geo.streets.walking import PROFILES
from layers.files.streets import load_streets

NAGOYA = Path(__file__).resolve().parents[1] / "data" / "nagoya_sakae_josm.osm"
MINUTES = 4.0


@pytest.fixture(scope="module")
def town() -> dict:
    network = load_streets(NAGOYA, metric_crs="EPSG:6675")
    graph = walk_graph(network, PROFILES["cane"])
    rng = np.random.default_rng(5)
    minx, maxx, miny, maxy = network.x.min(), network.x.max(), network.y.min(), network.y.max()
    people_x, people_y = rng.uniform(minx, maxx, 400), rng.uniform(miny, maxy, 400)
    midx = (minx + maxx) / 2
    districts = np.array([shapely.box(minx - 1, miny - 1, midx, maxy + 1),
                          shapely.box(midx, miny - 1, maxx + 1, maxy + 1)])
    people = People(snap_points(network, people_x, people_y), rng.integers(1, 10, 400) * 1.0,
                    district_of_points(people_x, people_y, districts), ["西", "東"], "total")
    places = snap_points(network, rng.uniform(minx, maxx, 2), rng.uniform(miny, maxy, 2))
    candidates = snap_points(network, rng.uniform(minx, maxx, 30), rng.uniform(miny, maxy, 30))
    reach = network_reach(graph, places, limit_minutes=MINUTES)
    return {"network": network, "graph": graph, "people": people, "places": places,
            "candidates": candidates, "reach": reach}


def _covered(town: dict, sites: list[Snapped]) -> float:
    """People within MINUTES of the places plus ``sites``, by a full recomputation."""
    snapped = town["places"]
    for site in sites:
        snapped = Snapped(*(np.concatenate([a, b]) for a, b in zip(
            (snapped.edge, snapped.fraction, snapped.distance_m),
            (site.edge, site.fraction, site.distance_m), strict=True)))
    reach = network_reach(town["graph"], snapped, limit_minutes=MINUTES)
    minutes, _ = point_minutes(reach, town["people"].snapped)
    return float(town["people"].weights[minutes <= MINUTES].sum())


def _cost_matrix(town: dict) -> np.ndarray:
    """Minutes from every person to every facility (existing places, then candidates)."""
    facilities = [town["places"].take(np.array([i])) for i in range(len(town["places"]))]
    facilities += [town["candidates"].take(np.array([i])) for i in range(len(town["candidates"]))]
    columns = []
    for facility in facilities:
        reach = network_reach(town["graph"], facility, limit_minutes=60)
        columns.append(point_minutes(reach, town["people"].snapped)[0])
    return np.nan_to_num(np.column_stack(columns), posinf=1e6)


# spopt builds its model the PuLP 3 way and CBC comes bundled as PULP_CBC_CMD; PuLP 3.3
# announces the PuLP 4 API for both
@pytest.mark.filterwarnings("ignore:Constructing LpVariable:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")
@pytest.mark.parametrize("k", [1, 3])
def test_greedy_against_spopt_mclp(town: dict, k: int) -> None:
    suggestion = suggest_sites(town["reach"], town["people"], town["candidates"],
                               minutes=MINUTES, k=k)
    chosen = suggestion.table["candidate"].tolist()
    greedy = suggestion.table["covered_total"].iloc[-1]
    assert greedy == pytest.approx(_covered(town, [town["candidates"].take(np.array([c]))
                                                   for c in chosen]))
    costs = _cost_matrix(town)
    n_places = len(town["places"])
    fixed = np.r_[np.ones(n_places), np.zeros(len(town["candidates"]))].astype(int)
    model = MCLP.from_cost_matrix(costs, town["people"].weights, MINUTES,
                                  p_facilities=n_places + k, predefined_facilities_arr=fixed)
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    opened = np.array([v.value() > 0.5 for v in model.fac_vars])
    assert opened[:n_places].all()
    optimum = float(town["people"].weights[(costs[:, opened] <= MINUTES).any(axis=1)].sum())
    before = suggestion.covered_before
    assert before + (1 - 1 / np.e) * (optimum - before) <= greedy + 1e-9 <= optimum + 1e-6
    if k == 1:  # one site: greedy is exact
        assert greedy == pytest.approx(optimum)


def test_every_node_as_candidate_matches_brute_force(town: dict) -> None:
    reach, people = town["reach"], town["people"]
    candidates = node_candidates(reach)
    suggestion = suggest_sites(reach, people, candidates, minutes=MINUTES, k=2)
    current, _ = point_minutes(reach, people.snapped)
    base = people.weights[current <= MINUTES].sum()
    gains = []
    for node in range(town["network"].n_nodes):
        more = add_place(reach, candidates.take(np.array([node])))
        minutes, _ = point_minutes(more, people.snapped)
        gains.append(people.weights[minutes <= MINUTES].sum() - base)
    assert suggestion.table["newly_covered"].iloc[0] == pytest.approx(max(gains))
    assert suggestion.table["newly_covered"].is_monotonic_decreasing
    assert suggestion.covered_before == pytest.approx(base)


def test_suggestions_name_districts(town: dict) -> None:
    candidates = town["candidates"]
    network = town["network"]
    x = network.x[network.u[candidates.edge]]
    y = network.y[network.u[candidates.edge]]
    districts = np.array([shapely.box(x.min() - 1e4, y.min() - 1e4, x.max() + 1e4, y.max() + 1e4)])
    suggestion = suggest_sites(town["reach"], town["people"], candidates, minutes=MINUTES, k=2,
                               candidate_districts=district_of_points(x, y, districts))
    assert set(suggestion.table["district"]) == {"西"}
    with pytest.raises(ValueError, match="minutes"):
        suggest_sites(town["reach"], town["people"], candidates, minutes=0)


def test_what_if_equals_full_recomputation(town: dict) -> None:
    reach, people = town["reach"], town["people"]
    site = town["candidates"].take(np.array([4]))
    _, added = what_if(reach, people, [2, MINUTES], add=site)
    both = Snapped(*(np.concatenate([a, b]) for a, b in zip(
        (town["places"].edge, town["places"].fraction, town["places"].distance_m),
        (site.edge, site.fraction, site.distance_m), strict=True)))
    full = coverage_by_district_network(network_reach(town["graph"], both, limit_minutes=MINUTES),
                                        people, [2, MINUTES])
    pd.testing.assert_frame_equal(added.table, full.table)
    _, removed = what_if(reach, people, [MINUTES], remove=0)
    alone = network_reach(town["graph"], town["places"].take(np.array([1])), limit_minutes=MINUTES)
    expected = coverage_by_district_network(alone, people, [MINUTES])
    pd.testing.assert_frame_equal(removed.table, expected.table)
    assert removed.city["covered"].iloc[0] <= full.city["covered"].iloc[-1]
    assert (removed.table["covered"] <= removed.table["population"]).all()


def test_no_suggestion_when_nobody_is_left_to_reach(town: dict) -> None:
    """Every person already covered: an empty table, not a crash on an empty batch."""
    people = town["people"]
    reach = town["reach"]
    current, _ = point_minutes(reach, people.snapped)
    covered_only = People(people.snapped, np.where(current <= MINUTES, people.weights, 0.0),
                          people.district, people.district_names, people.basis)
    suggestion = suggest_sites(reach, covered_only, town["candidates"], minutes=MINUTES, k=3)
    assert suggestion.table.empty
