"""Walk + bus for a whole study area (layers.transit_reach) and one resident (transit_journey).

On the embedded Takasaki data (428 町丁 points, the ぐるりん trips rebuilt from the stops'
timetables, 推定) and, for walks on real streets, on the Nagoya test area (tests/nagoya_city.py)
with a made-up feed placed there (MADE-UP NUMBERS).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

import numpy as np
import pytest
from bus_feed import write_feed
from nagoya_city import write_nagoya_config
from transit_bruteforce import best_door_to_door

from layers.config import load_config
from layers.errors import LayerError
from layers.study import load_study_area
from layers.transit_journey import resident_journey
from layers.transit_reach import (
    ESTIMATE_NOTE,
    ChosenTime,
    OpeningDays,
    build_transit_model,
    load_bus_timetable,
    reach_by_district,
    reach_classes,
    transit_reach,
)

TUESDAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def model(takasaki):
    return build_transit_model(takasaki)


@pytest.fixture(scope="module")
def chosen(model):
    return transit_reach(model, ChosenTime(TUESDAY, 9 * 60.0))


def test_every_point_gets_walk_and_bus_minutes(takasaki, model, chosen):
    points = chosen.points
    assert len(points) == len(takasaki.population) == 428
    limit = chosen.rules.door_to_door_minutes
    bus = np.isfinite(points["bus_minutes"])
    assert (points.loc[bus, "bus_minutes"] <= limit).all()
    assert (points.loc[bus, "rides"] >= 1).all() and (points.loc[~bus, "rides"] == 0).all()
    assert (points["rides"] == 2).any()
    assert (points["best_minutes"] == np.minimum(points["walk_minutes"],
                                                 points["bus_minutes"])).all()
    assert (points.loc[points["rides"] > 0, "estimated"]).all()
    assert ESTIMATE_NOTE in chosen.notes and chosen.estimated
    classes = reach_classes(chosen, walk_minutes=10.0)
    people = takasaki.population["total"].to_numpy()
    counts = {kind: int(people[classes.to_numpy() == kind].sum())
              for kind in ("walk", "bus", "neither")}
    assert sum(counts.values()) == people.sum()
    assert counts["bus"] > 0 and counts["walk"] > 0
    # places at a chosen time: the 10 without a position are named; 4区のえんがわ (第1水曜日・
    # 第3月曜日) is closed on Tuesday 1 December; every other place counts (dates unknown)
    places = chosen.places
    assert len(places) == len(takasaki.places)
    reasons = places.loc[~places["counted"], "reason"].value_counts().to_dict()
    assert reasons == {"位置が分からないため数えていません": 10,
                       "この日は開催日ではありません（次は12月2日）": 1}
    assert places.loc[~places["counted"] & (places["name"] == "4区のえんがわ")].shape[0] == 1
    assert not (chosen.points["bus_place"] == 0).any() and not (
        chosen.points["walk_place"] == 0).any()


def test_door_to_door_matches_the_brute_force_on_the_rebuilt_trips(model, chosen):
    bus = model.bus
    table = bus.timetable
    leave_from, leave_until = 9 * 60.0, 10 * 60.0
    arrive_by = leave_until + model.rules.door_to_door_minutes
    running = bus.running_trips(TUESDAY)
    first = table.departure_min[table.trip_start[:-1]]
    last = table.arrival_min[table.trip_start[1:] - 1]
    running &= (last >= leave_from) & (first <= arrive_by)
    egress, changes = {}, {s: [(s, 0.0)] for s in range(table.n_stops)}
    for s, p, m in zip(model.egress.source, model.egress.target, model.egress.minutes,
                       strict=True):
        egress.setdefault(int(s), []).append((int(p), float(m)))
    for a, b, m in zip(model.transfers.source, model.transfers.target, model.transfers.minutes,
                       strict=True):
        if a != b and m <= model.rules.transfer_walk_minutes:
            changes[int(a)].append((int(b), float(m)))
    points = chosen.points
    picked = [int(points.index.get_loc(i)) for i in (
        points[points["rides"] == 2].index[:1].tolist()
        + points[points["rides"] == 1].index[:2].tolist()
        + points[~np.isfinite(points["bus_minutes"])].index[:1].tolist())]
    for origin in picked:
        access = [(int(s), float(m)) for o, s, m in zip(
            model.access.source, model.access.target, model.access.minutes, strict=True)
            if o == origin]
        expected = best_door_to_door(  # journeys with a ride: no walking all the way
            table, running, window=(leave_from, leave_until), access=access, direct=[],
            egress=egress, transfers=changes, change_minutes=model.rules.change_minutes,
            max_rides=2, arrive_by=arrive_by, places=np.ones(len(model.place_rows), bool),
            access_limit=model.rules.access_minutes)
        if expected > model.rules.door_to_door_minutes:
            expected = np.inf
        found = points["bus_minutes"].iloc[origin]
        assert (np.isinf(found) and np.isinf(expected)) or found == pytest.approx(expected,
                                                                                  abs=0.05)


def test_opening_days_decline_places_without_dates(takasaki, model):
    reach = transit_reach(model, OpeningDays(TUESDAY))
    places = reach.places
    counted = places[places["counted"]]
    # only 4区のえんがわ (毎月第1水曜日・第3月曜日 10:00～12:00) has dates: 2 December 10:00
    assert counted["name"].tolist() == ["4区のえんがわ"]
    assert counted["date"].tolist() == [dt.date(2026, 12, 2)] and counted["start"].tolist() == [
        "10:00"]
    declined = places[~places["counted"] & takasaki.places.geometry.notna().to_numpy()]
    assert set(declined["reason"]) == {"開催日が分からないため、バスで間に合うかを調べていません"}
    reached = reach.points[np.isfinite(reach.points["bus_minutes"])]
    assert len(reached) and (reached["arrive"] <= "10:00").all()
    assert (reached["bus_place"] == counted.index[0]).all()
    assert (reached["date"] == dt.date(2026, 12, 2)).all()


def test_a_resident_journey(takasaki, model):
    people = takasaki.population.geometry
    answers = [resident_journey(model, (point.x, point.y), 0, now=dt.datetime(2026, 12, 1, 8))
               for point in people.iloc[:60]]
    found = [a for a in answers if a.found]
    assert found and all(a.date == dt.date(2026, 12, 2) and a.start == "10:00" for a in found)
    for answer in found:
        legs = answer.legs
        assert legs[0].kind == "walk" and legs[-1].kind == "walk"
        assert legs[-1].to_name == "4区のえんがわ"
        assert answer.leave == legs[0].start and answer.arrive == legs[-1].end
        for before, after in itertools.pairwise(legs):
            assert after.start >= before.end or before.kind == "walk"  # walks end ≤ the bus
        rides = [leg for leg in legs if leg.kind == "ride"]
        if rides:
            assert all(leg.route and leg.headsign and leg.estimated for leg in rides)
            assert ESTIMATE_NOTE in answer.notes
        assert answer.on_time == (answer.arrive <= "10:00")
    assert any(a.on_time for a in found) or any(a.on_time is False for a in found)
    located = takasaki.places.geometry.notna().to_numpy()
    no_dates = int(np.flatnonzero(located & takasaki.places["schedule"].eq("").to_numpy())[0])
    declined = resident_journey(model, (139.0, 36.32), no_dates,
                                now=dt.datetime(2026, 12, 1, 8))
    assert not declined.found and "開催日が分からない" in declined.reason
    unlocated = int(np.flatnonzero(~located)[0])
    nowhere = resident_journey(model, (139.0, 36.32), unlocated, now=dt.datetime(2026, 12, 1, 8))
    assert not nowhere.found and "位置が分からない" in nowhere.reason
    with pytest.raises(ValueError, match="place_row"):
        resident_journey(model, (139.0, 36.32), 999, now=dt.datetime(2026, 12, 1, 8))


def test_walks_on_real_streets_with_a_made_up_feed(tmp_path):
    # the made-up feed's three stops moved into the Nagoya extract (MADE-UP NUMBERS)
    stops = ("stop_id,stop_name,stop_lat,stop_lon\nS1,高崎駅西口,35.1690,136.9050\n"
             "S2,市役所,35.1700,136.9075\nS3,高崎公園前,35.1712,136.9100\n"
             "S4,八幡,35.1725,136.9105\nS5,観音山,35.1735,136.9115\nS6,片岡,35.1680,136.9080\n")
    feed = write_feed(tmp_path / "feed", replace={"stops.txt": stops})
    config_path = write_nagoya_config(tmp_path / "nagoya")
    with config_path.open("a", encoding="utf-8") as file:
        file.write(f'\n[transit]\ngtfs = "{feed.as_posix()}"\ndepart_at = "09:00"\n')
    study = load_study_area(config_path)
    assert study.streets is not None
    model = build_transit_model(study)
    assert model.method == "network" and not model.bus.estimated
    reach = transit_reach(model, ChosenTime(dt.date(2026, 11, 24)))
    points = reach.points
    assert np.isfinite(points["walk_minutes"]).mean() > 0.8  # a 0.75 km square
    assert (points["best_minutes"] <= points["walk_minutes"]).all()
    assert ESTIMATE_NOTE not in reach.notes and not points["estimated"].any()
    # the network walk is never shorter than the straight line at the profile's pace
    crs = model.bus.timetable.crs
    homes = model.origins.to_crs(crs).geometry
    places = study.places.to_crs(crs).geometry
    for origin, place, minutes in zip(model.direct.source, model.direct.target,
                                      model.direct.minutes, strict=True):
        metres = homes.iloc[origin].distance(places.iloc[model.place_rows[place]])
        assert minutes >= model.profile.minutes(metres) - 1e-6


def test_bad_transit_settings_and_feeds(tmp_path):
    config_path = write_nagoya_config(tmp_path / "bad")
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text + '\n[transit]\nchanges = 2\ndepart_at = "9時"\nwalk = 3\n',
                           encoding="utf-8")
    with pytest.raises(LayerError) as error:
        load_config(config_path)
    message = str(error.value)
    assert "transit.changes" in message and "transit.depart_at" in message
    assert "transit.walk" in message
    feed = write_feed(tmp_path / "feed", skip=("stop_times.txt",))
    config_path.write_text(text + f'\n[transit]\ngtfs = "{feed.as_posix()}"\n',
                           encoding="utf-8")
    with pytest.raises(LayerError, match=r"stop_times\.txt"):
        load_bus_timetable(load_config(config_path))


def test_people_per_district(takasaki, chosen):
    table = reach_by_district(chosen, takasaki.population, takasaki.districts,
                              walk_minutes=10.0, metric_crs=takasaki.config.metric_crs)
    assert list(table.index) == takasaki.district_names
    assert list(table.columns) == ["walk", "bus", "neither"]  # no 65+ counts offline
    assert table.to_numpy().sum() == takasaki.population["total"].sum()
    classes = reach_classes(chosen, walk_minutes=10.0)
    assert table["bus"].sum() == takasaki.population["total"][classes == "bus"].sum()


def test_the_buses_are_read_once_for_the_same_stops_and_routes(takasaki, model):
    # a server's copy of the study with edited places (the same stop and route frames)
    # reuses the timetable; other stops rebuild it
    edited = replace(takasaki, places=takasaki.places.iloc[:-1].copy())
    again = build_transit_model(edited)
    assert again.bus is model.bus and len(again.places) == len(takasaki.places) - 1
    fewer_stops = replace(takasaki, stops=takasaki.stops.iloc[:-1].copy())
    assert build_transit_model(fewer_stops).bus is not model.bus
