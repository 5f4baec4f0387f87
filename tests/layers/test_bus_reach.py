"""The council view of walk + bus (layers.bus_reach) on the embedded Takasaki data.

428 町丁 points (2015 census totals), the 76 places, the ぐるりん trips rebuilt from the stops'
timetables (推定). A config without stops and routes, and one with a broken feed (MADE-UP
feed of tests/bus_feed.py), show the note on how to add a timetable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from bus_feed import write_feed
from takasaki_configs import takasaki_config

from geo.planning.straight_line import straight_sites
from layers.analysis import plan_study_area, what_if_counts
from layers.bus_reach import (
    KINDS,
    bus_day,
    bus_what_if,
    council_bus_reach,
    walk_threshold_minutes,
)
from layers.study import load_study_area, study_with_places
from layers.transit_reach import ESTIMATE_NOTE

SATURDAY = dt.date(2026, 11, 21)  # the Monday after is 勤労感謝の日 (23 November)


@pytest.fixture(scope="module")
def plan(takasaki):
    return plan_study_area(takasaki, today=SATURDAY)


def test_the_day_skips_weekends_and_holidays():
    assert bus_day(SATURDAY) == dt.date(2026, 11, 24)  # Sun, then the holiday Monday
    assert bus_day(dt.date(2026, 12, 2)) == dt.date(2026, 12, 2)  # a Wednesday stays
    assert bus_day(dt.date(2026, 12, 31)) == dt.date(2026, 12, 31)  # not a public holiday


def test_every_resident_point_is_one_of_three_kinds(takasaki, plan):
    bus = plan.bus
    assert bus is not None and plan.bus_note is None
    assert bus.date == dt.date(2026, 11, 24) and bus.estimated
    assert ESTIMATE_NOTE in bus.notes
    assert "11月24日" in bus.when_label and "09:00〜10:00" in bus.when_label
    # straight line: the default radius (500 m) walked × 1.3 at 60 m/min
    assert bus.threshold_minutes == pytest.approx(500 * 1.3 / 60)
    assert bus.threshold_minutes == walk_threshold_minutes(takasaki, "straight")
    assert len(bus.kinds) == len(takasaki.population) == 428
    on_foot = bus.walk_minutes <= bus.threshold_minutes
    by_bus = bus.bus_minutes <= bus.door_to_door_minutes
    assert (bus.kinds == np.where(on_foot, "walk", np.where(by_bus, "bus", "neither"))).all()
    assert set(bus.kinds) == set(KINDS)  # Takasaki has all three
    # the bus journeys of "bus" points are real journeys within the limit, with times
    rows = np.flatnonzero(bus.kinds == "bus")
    assert (bus.bus_minutes[rows] <= 45).all() and all(bus.leave[rows]) and all(bus.arrive[rows])
    assert (bus.bus_place[rows] >= 0).all()


def test_people_per_district_add_up(takasaki, plan):
    bus = plan.bus
    table = bus.table()
    assert list(table.columns) == ["district", "population", *KINDS]
    assert set(table["district"]) <= set(takasaki.district_names) | {""}
    assert np.allclose(table[list(KINDS)].sum(axis=1), table["population"])
    city = bus.city()
    assert city["population"] == pytest.approx(takasaki.population["total"].sum())
    for kind in KINDS:
        assert table[kind].sum() == pytest.approx(city[kind])
    # the walking part agrees with the straight-line coverage at 500 m where every place
    # counts that day (only one Takasaki place has known dates, and it is not in 倉淵)
    covered = plan.straight.nearest_m <= 500
    assert (bus.kinds[covered] == "walk").mean() > 0.95
    assert not (bus.kinds[~covered] == "walk").any()
    # 倉淵 (the mountains) has no place within reach and no ぐるりん
    kurabuchi = table.set_index("district").loc["倉淵"]
    assert kurabuchi["neither"] == kurabuchi["population"] > 0


def test_the_counts_follow_the_basis(takasaki):
    with_ages = dataclasses.replace(takasaki)
    population = takasaki.population.copy()
    population["age65"] = (population["total"] * 0.3).round()  # MADE-UP share of 65+
    with_ages.population = population
    plan = plan_study_area(with_ages, basis="age65", today=SATURDAY)
    assert plan.bus.basis == "age65"
    assert plan.bus.city()["population"] == pytest.approx(population["age65"].sum())


def test_buses_loaded_once_and_routed_once_per_places(takasaki, plan):
    again = council_bus_reach(takasaki, plan.straight, method="straight", today=SATURDAY)
    assert again.model is plan.bus.model  # the same places: the routing is kept
    edited = study_with_places(takasaki, takasaki.places.copy())
    after_edit = council_bus_reach(edited, plan.straight, method="straight", today=SATURDAY)
    assert after_edit.model is not plan.bus.model  # a new places version: routed again
    assert after_edit.model.bus is plan.bus.model.bus  # the buses are not read again
    assert after_edit.model.access is plan.bus.model.access  # nor the walks to the stops
    assert after_edit.model.egress is not plan.bus.model.egress
    assert (after_edit.kinds == plan.bus.kinds).all()


def test_what_if_equals_routing_the_changed_places_afresh(takasaki, plan):
    bus = plan.bus
    # a new place where the most people live who get there only by bus
    target = int(np.argmax(np.where(bus.kinds == "bus", bus.weights, -1)))
    added_xy = bus.people_xy[[target]]
    removed = [int(bus.bus_place[np.flatnonzero(bus.kinds == "bus")[0]])]
    kinds = bus_what_if(takasaki, bus, removed_rows=removed, added_xy=added_xy)
    assert kinds[target] == "walk"
    assert (kinds != bus.kinds).sum() > 1
    # the same as a study whose places file had the change
    import geopandas as gpd
    import pandas as pd

    places = takasaki.places.copy()
    places = places.set_geometry(places.geometry.where(~places.index.isin(
        places.index[removed]), None))
    # a gathering place (a category of the config), not another kind of resource
    new = gpd.GeoDataFrame({"name": ["新設"], "category": [places["category"].iloc[0]],
                            "schedule": pd.Series([None], dtype=object)},
                           geometry=gpd.points_from_xy(
        added_xy[:, 0], added_xy[:, 1]), crs=bus.metric_crs).to_crs(places.crs)
    changed = study_with_places(takasaki, gpd.GeoDataFrame(
        pd.concat([places, new], ignore_index=True), crs=places.crs))
    afresh = council_bus_reach(changed, plan.straight, method="straight", today=SATURDAY)
    assert (afresh.kinds == kinds).all()
    assert (bus_what_if(takasaki, bus) == bus.kinds).all()  # no change, no routing


def test_what_if_counts_with_the_bus(takasaki, plan):
    bus = plan.bus
    target = int(np.argmax(np.where(bus.kinds == "bus", bus.weights, -1)))
    lon, lat = (plan.bus.points_frame().geometry.iloc[target].coords[0])
    counts = what_if_counts(takasaki, plan, add_lonlats=[(lon, lat)], bus=True)
    assert counts.bus_before.shape == counts.bus_after.shape == (3, len(counts.districts))
    assert np.allclose(counts.bus_before.sum(axis=0), counts.bus_after.sum(axis=0))
    city_before, city_after = counts.bus_before.sum(axis=1), counts.bus_after.sum(axis=1)
    assert city_after[0] >= city_before[0] + bus.weights[target] - 1e-6  # more on foot
    assert city_after[1] < city_before[1]
    plain = what_if_counts(takasaki, plan, add_lonlats=[(lon, lat)])
    assert plain.bus_before is None
    assert (plain.covered_after == counts.covered_after).all()


def test_suggestions_counting_the_bus_aim_at_those_who_cannot_go(takasaki, plan):
    walk_only = plan.suggestions
    with_bus = plan.bus_suggestions
    assert with_bus is not None and len(with_bus)
    reached = plan.bus.kinds == "bus"
    radius = plan.suggestion_threshold
    suggestion = straight_sites(plan.straight, takasaki.candidates, radius_m=radius, k=3,
                                also_reached=reached)
    first = takasaki.candidates.iloc[int(suggestion.table["candidate"].iloc[0])]
    assert first["name"] == with_bus["name"].iloc[0]
    # the first site's gain is the people within the radius reached neither way
    xy = plan.straight.people_xy
    site = takasaki.candidates.to_crs(plan.straight.metric_crs).geometry.iloc[
        int(suggestion.table["candidate"].iloc[0])]
    near = np.hypot(xy[:, 0] - site.x, xy[:, 1] - site.y) <= radius
    gain = plan.straight.weights[near & (plan.straight.nearest_m > radius) & ~reached].sum()
    assert with_bus["newly_covered"].iloc[0] == pytest.approx(gain)
    assert with_bus["newly_covered"].sum() < walk_only["newly_covered"].sum()
    with pytest.raises(ValueError, match="also_reached"):
        straight_sites(plan.straight, takasaki.candidates, radius_m=radius,
                       also_reached=reached[:5])


def test_without_a_timetable_the_plan_says_how_to_add_one(tmp_path):
    study = load_study_area(takasaki_config(tmp_path / "nobus", drop=("stops", "bus_routes")))
    assert study.stops is None
    plan = plan_study_area(study, today=SATURDAY)
    assert plan.bus is None and plan.bus_suggestions is None
    assert "[transit]" in plan.bus_note and "gtfs" in plan.bus_note
    assert plan.suggestions is not None and plan.straight is not None  # the rest works
    with pytest.raises(ValueError, match="No bus reach"):
        what_if_counts(study, plan, add_lonlats=[(139.0, 36.33)], bus=True)


def test_a_broken_feed_is_named_and_the_rest_works(tmp_path):
    feed = write_feed(tmp_path / "feed", skip=("stop_times.txt",))  # MADE-UP feed
    config = takasaki_config(tmp_path / "broken", drop=(),
                              extra=f'\n[transit]\ngtfs = "{feed.as_posix()}"\n')
    study = load_study_area(config)
    plan = plan_study_area(study, today=SATURDAY)
    assert plan.bus is None
    assert "stop_times.txt" in plan.bus_note and "読めませんでした" in plan.bus_note
    assert plan.grid is not None


def test_on_real_streets_the_walks_to_the_stops_are_kept(tmp_path):
    """Nagoya's real streets (tests/nagoya_city.py) with the MADE-UP feed moved there."""
    from nagoya_city import write_nagoya_config

    stops = ("stop_id,stop_name,stop_lat,stop_lon\nS1,高崎駅西口,35.1690,136.9050\n"
             "S2,市役所,35.1700,136.9075\nS3,高崎公園前,35.1712,136.9100\n"
             "S4,八幡,35.1725,136.9105\nS5,観音山,35.1735,136.9115\nS6,片岡,35.1680,136.9080\n")
    feed = write_feed(tmp_path / "feed", replace={"stops.txt": stops})
    config_path = write_nagoya_config(tmp_path / "nagoya")
    with config_path.open("a", encoding="utf-8") as file:
        file.write(f'\n[transit]\ngtfs = "{feed.as_posix()}"\n')
    study = load_study_area(config_path)
    plan = plan_study_area(study, today=SATURDAY)
    bus = plan.bus
    assert plan.method == "network" and bus.model.method == "network"
    assert bus.threshold_minutes == study.config.walking.default_minutes
    assert not bus.estimated and not any(note.startswith("推定") for note in bus.notes)
    on_foot = bus.walk_minutes <= bus.threshold_minutes
    assert (bus.kinds[on_foot] == "walk").all() and (bus.kinds[~on_foot] != "walk").all()
    # half the places go: routed again from the kept walks, equal to routing afresh
    located = np.flatnonzero(study.places.geometry.notna().to_numpy())
    removed = located[::2].tolist()
    kinds = bus_what_if(study, bus, removed_rows=removed)
    kept = study.places.drop(index=study.places.index[removed])
    afresh = council_bus_reach(study_with_places(study, kept), plan.straight, method="network",
                               today=SATURDAY)
    assert afresh.model.access is bus.model.access  # the walks to the stops were kept
    assert (afresh.kinds == kinds).all()
    assert (kinds == "walk").sum() < (bus.kinds == "walk").sum()
