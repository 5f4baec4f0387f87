"""Door-to-door routing (geo.transit.routing) against a brute-force time-expanded graph search.

The timetables here are made up (random stops in a 4 km square, random routes and trips, whole
minutes), as are the homes and places: MADE-UP NUMBERS, not real buses. The brute force
(tests/transit_bruteforce.py) builds a networkx graph with one node per event and the ride
count in the node, and runs Dijkstra for every departure time that matters.
"""

from __future__ import annotations

import numpy as np
import pytest
from transit_bruteforce import best_door_to_door, earliest_arrival_at_place

from geo.streets.walk_links import WalkLinks, straight_links
from geo.streets.walking import PROFILES
from geo.transit.routing import (
    TransitRules,
    boarding_profile,
    door_to_door,
    earliest_arrival,
    journey,
)
from geo.transit.timetable import Timetable, day_trips

PROFILE = PROFILES["elderly"]
WINDOW = (560.0, 620.0)


def made_up_case(seed: int):
    """A random made-up timetable: 8 stops where people live, 4 in the middle, 8 by the places;
    feeder routes (homes → middle), outbound routes (middle → places) and a few through routes,
    2–6 trips each on two services, so that many journeys need a change."""
    rng = np.random.default_rng(seed)
    home_stops = rng.uniform(0, 1200, (8, 2))
    middle_stops = rng.uniform(1100, 1500, (4, 2))
    place_stops = rng.uniform(1400, 2600, (8, 2))
    xy = np.vstack([home_stops, middle_stops, place_stops])
    homes, middle, far = np.arange(8), np.arange(8, 12), np.arange(12, 20)
    patterns = []
    for kind in ["feeder"] * 4 + ["outbound"] * 4 + ["through"] * 2:
        first = {"feeder": homes, "outbound": middle, "through": homes}[kind]
        last = {"feeder": middle, "outbound": far, "through": far}[kind]
        patterns.append(np.concatenate([rng.choice(first, rng.integers(2, 4), replace=False),
                                        rng.choice(last, rng.integers(1, 4), replace=False)]))
    trips, services = [], []
    for pattern in patterns:
        for _ in range(rng.integers(2, 7)):
            time = float(np.round(rng.uniform(545, 640)))
            rows = []
            for position, stop in enumerate(pattern):
                if position:
                    metres = np.hypot(*(xy[stop] - xy[pattern[position - 1]]))
                    time += float(np.round(metres / 200) + rng.integers(0, 2))
                dwell = float(rng.integers(0, 2))
                rows.append((int(stop), time, time + dwell))
                time += dwell
            trips.append(rows)
            services.append(int(rng.integers(0, 2)))
    table = Timetable.from_trips(
        stop_x=xy[:, 0], stop_y=xy[:, 1], stop_name=[f"停留所{i}" for i in range(20)],
        crs="EPSG:6677", trips=trips, trip_route=[f"路線{i}" for i in range(len(trips))],
        trip_headsign=["終点"] * len(trips), trip_service=services)
    # some stops where nobody may board or alight (GTFS pickup/drop_off_type 1)
    table.pickup[rng.random(table.n_stop_times) < 0.1] = False
    table.drop_off[rng.random(table.n_stop_times) < 0.1] = False
    people = rng.uniform(0, 1200, (6, 2))
    places = rng.uniform(1400, 2600, (3, 2))
    return table, people, places, rng


def hundredths(links: WalkLinks) -> WalkLinks:
    """Walks rounded to 1/100 minute, the routing's own unit, so both searches agree."""
    return WalkLinks(links.source, links.target, np.round(links.minutes, 2), links.n_sources,
                     links.n_targets)


def walks(table, homes, places, rules):
    access = hundredths(straight_links(homes[:, 0], homes[:, 1], table.stop_x, table.stop_y,
                                       profile=PROFILE, max_minutes=rules.access_minutes))
    egress = hundredths(straight_links(table.stop_x, table.stop_y, places[:, 0], places[:, 1],
                                       profile=PROFILE, max_minutes=rules.access_minutes))
    transfers = hundredths(straight_links(table.stop_x, table.stop_y, table.stop_x,
                                          table.stop_y, profile=PROFILE,
                                          max_minutes=rules.transfer_walk_minutes))
    direct = hundredths(straight_links(homes[:, 0], homes[:, 1], places[:, 0], places[:, 1],
                                       profile=PROFILE, max_minutes=200))
    return access, egress, transfers, direct


def brute_inputs(table, access, egress, transfers, direct, home):
    by_stop: dict[int, list] = {}
    for stop, place, minutes in zip(egress.source, egress.target, egress.minutes, strict=True):
        by_stop.setdefault(int(stop), []).append((int(place), float(minutes)))
    changes = {stop: [(stop, 0.0)] for stop in range(table.n_stops)}
    for a, b, minutes in zip(transfers.source, transfers.target, transfers.minutes, strict=True):
        if a != b:
            changes[int(a)].append((int(b), float(minutes)))
    to_stops = [(int(s), float(m)) for o, s, m in zip(access.source, access.target,
                                                      access.minutes, strict=True) if o == home]
    on_foot = [] if direct is None else [
        (int(p), float(m)) for o, p, m in zip(direct.source, direct.target, direct.minutes,
                                              strict=True) if o == home]
    return {"egress": by_stop, "transfers": changes, "access": to_stops, "direct": on_foot}


def case_times(seed: int):
    """The made-up case of ``seed`` routed: changes allowed or not, some places closed,
    a deadline or none, walking all the way allowed in half the cases."""
    table, homes, places, _ = made_up_case(seed)
    rules = TransitRules(access_minutes=12, transfer_walk_minutes=6, change_minutes=2,
                         max_rides=1 + seed % 2)
    access, egress, transfers, direct = walks(table, homes, places, rules)
    running = table.trip_service == 0
    open_places = np.array([True, seed % 3 != 0, True])
    arrive_by = (650.0, 700.0, 2000.0)[seed % 3]
    with_walk = direct if seed % 4 < 2 else None  # half the cases: bus journeys only
    profile = boarding_profile(day_trips(table, running), egress, rules, arrive_by_min=arrive_by,
                               transfers=transfers, places=open_places)
    times = door_to_door(profile, access, leave_from_min=WINDOW[0], leave_until_min=WINDOW[1],
                         direct=with_walk)
    return (table, homes, rules, access, egress, transfers, with_walk, running, open_places,
            arrive_by, times)


@pytest.mark.parametrize("seed", range(8))
def test_door_to_door_matches_brute_force(seed):
    (table, homes, rules, access, egress, transfers, with_walk, running, open_places,
     arrive_by, times) = case_times(seed)
    for home in range(len(homes)):
        brute = best_door_to_door(
            table, running, window=WINDOW, change_minutes=rules.change_minutes,
            max_rides=rules.max_rides, arrive_by=arrive_by, places=open_places,
            access_limit=rules.access_minutes,
            **brute_inputs(table, access, egress, transfers, with_walk, home))
        if np.isinf(brute):
            assert np.isinf(times.minutes[home])
            assert times.place[home] == -1
        else:
            assert times.minutes[home] == pytest.approx(brute, abs=1e-6)
            assert open_places[times.place[home]]
            assert times.arrive_min[home] <= arrive_by
            assert WINDOW[0] <= times.leave_min[home] <= WINDOW[1]
            assert times.rides[home] <= rules.max_rides


@pytest.mark.parametrize("seed", range(8, 12))
def test_earliest_arrival_matches_brute_force(seed):
    table, homes, places, _ = made_up_case(seed)
    rules = TransitRules(access_minutes=12, transfer_walk_minutes=6, change_minutes=2)
    access, egress, transfers, _direct = walks(table, homes, places, rules)
    running = np.ones(table.n_trips, dtype=bool)
    everywhere = np.ones(len(places), dtype=bool)
    profile = boarding_profile(day_trips(table, running), egress, rules, arrive_by_min=2000.0,
                               transfers=transfers)
    times = earliest_arrival(profile, access, leave_at_min=570.0)
    for home in range(len(homes)):
        inputs = brute_inputs(table, access, egress, transfers, None, home)
        brute = earliest_arrival_at_place(
            table, running, leave=570.0, change_minutes=2, max_rides=2, arrive_by=2000.0,
            places=everywhere, access_limit=rules.access_minutes, **inputs)
        assert times.arrive_min[home] == pytest.approx(brute, abs=1e-6)


def test_journeys_are_consistent_with_the_timetable():
    table, homes, places, _ = made_up_case(21)
    rules = TransitRules(access_minutes=15, transfer_walk_minutes=6, change_minutes=2)
    access, egress, transfers, _direct = walks(table, homes, places, rules)
    profile = boarding_profile(day_trips(table, np.ones(table.n_trips, dtype=bool)), egress,
                               rules, arrive_by_min=2000.0, transfers=transfers)
    times = door_to_door(profile, access, leave_from_min=540, leave_until_min=660)
    checked = 0
    for home in np.flatnonzero(times.place >= 0):
        trip = journey(profile, access, times, int(home))
        assert trip.minutes == pytest.approx(times.minutes[home])
        assert trip.rides == times.rides[home]
        assert next(leg.kind for leg in trip.legs) == "walk" == trip.legs[-1].kind
        for before, after in zip(trip.legs, trip.legs[1:], strict=False):
            assert after.start_min >= before.end_min - 1e-9  # waiting, never time travel
            if before.kind == "ride" and after.kind == "ride":
                assert after.start_min >= before.end_min + rules.change_minutes - 1e-9
        for leg in trip.legs:
            if leg.kind == "ride":
                stops, arrivals, departures = table.trip_stop_times(leg.trip)
                board = np.flatnonzero((stops == leg.from_stop) & (departures == leg.start_min))
                alight = np.flatnonzero((stops == leg.to_stop) & (arrivals == leg.end_min))
                assert len(board) and len(alight) and board[0] < alight[-1]
        checked += 1
    assert checked >= 3


def made_up_line():
    """Two made-up routes meeting at stop 2 (市役所): A 0→1→2, B 2→3; one place by stop 3."""
    x = [0.0, 1000.0, 2000.0, 3000.0]
    trips = [
        [(0, 600.0, 600.0), (1, 604.0, 604.0), (2, 608.0, 608.0)],  # A, arrives 10:08
        [(2, 609.0, 609.0), (3, 615.0, 615.0)],  # B leaves 1 minute later: a missed connection
        [(2, 625.0, 625.0), (3, 631.0, 631.0)],  # the next B
    ]
    return Timetable.from_trips(stop_x=x, stop_y=[0.0] * 4,
                                stop_name=["駅", "中央", "市役所", "病院前"], crs="EPSG:6677",
                                trips=trips, trip_route=["A線", "B線", "B線"],
                                trip_headsign=["市役所", "病院前", "病院前"],
                                trip_service=[0, 0, 0])


def test_a_change_and_a_missed_connection():
    table = made_up_line()
    home = WalkLinks(np.array([0]), np.array([0]), np.array([5.0]), 1, 4)
    place = WalkLinks(np.array([3]), np.array([0]), np.array([3.0]), 4, 1)
    rules = TransitRules(change_minutes=2.0)
    profile = boarding_profile(day_trips(table, np.ones(3, dtype=bool)), place, rules,
                               arrive_by_min=700.0)
    times = door_to_door(profile, home, leave_from_min=590.0, leave_until_min=600.0)
    # 10:08 at 市役所 + 2 min to change misses the 10:09 B; the 10:25 B arrives 10:31, +3 walk
    assert times.rides[0] == 2
    assert times.leave_min[0] == 595.0 and times.arrive_min[0] == 634.0
    legs = journey(profile, home, times, 0).legs
    assert [(leg.kind, leg.trip) for leg in legs] == [("walk", -1), ("ride", 0), ("ride", 2),
                                                      ("walk", -1)]
    # with no change allowed, the bus cannot get there
    one_ride = boarding_profile(day_trips(table, np.ones(3, dtype=bool)), place,
                                TransitRules(max_rides=1), arrive_by_min=700.0)
    assert np.isinf(door_to_door(one_ride, home, leave_from_min=590.0,
                                 leave_until_min=600.0).minutes[0])
    # a zero-minute change catches the 10:09
    quick = boarding_profile(day_trips(table, np.ones(3, dtype=bool)), place,
                             TransitRules(change_minutes=0.0), arrive_by_min=700.0)
    assert door_to_door(quick, home, leave_from_min=590.0,
                        leave_until_min=600.0).arrive_min[0] == 618.0
    # arriving by 10:30 is impossible once the 10:09 is missed
    late = boarding_profile(day_trips(table, np.ones(3, dtype=bool)), place, rules,
                            arrive_by_min=630.0)
    assert np.isinf(door_to_door(late, home, leave_from_min=590.0,
                                 leave_until_min=600.0).minutes[0])


def test_rules_and_inputs_are_checked():
    with pytest.raises(ValueError, match="max_rides"):
        TransitRules(max_rides=3)
    with pytest.raises(ValueError, match="access_minutes"):
        TransitRules(access_minutes=0)
    table = made_up_line()
    with pytest.raises(ValueError, match="one value per trip"):
        day_trips(table, np.ones(2, dtype=bool))
    with pytest.raises(ValueError, match="backwards"):
        Timetable.from_trips(stop_x=[0, 1], stop_y=[0, 0], stop_name=["a", "b"],
                             crs="EPSG:6677", trips=[[(0, 600.0, 600.0), (1, 590.0, 590.0)]],
                             trip_route=["r"], trip_headsign=["b"], trip_service=[0])
    with pytest.raises(ValueError, match="must index"):
        WalkLinks(np.array([3]), np.array([0]), np.array([3.0]), 3, 1)
    place = WalkLinks(np.array([2]), np.array([0]), np.array([3.0]), 3, 1)
    with pytest.raises(ValueError, match="4 stops"):
        boarding_profile(day_trips(table, np.ones(3, dtype=bool)), place, TransitRules(),
                         arrive_by_min=700.0)


def test_the_made_up_cases_need_walks_single_rides_and_changes():
    # the brute-force comparison above is only as good as the journeys it covers
    rides = []
    for seed in range(8):
        times = case_times(seed)[-1]
        rides += times.rides[np.isfinite(times.minutes)].tolist()
    assert {0, 1, 2} <= set(rides)
