"""Trips rebuilt from per-stop timetables (``時刻表``) and routes' stop lists (``経路``).

Checked against real trips: the 関越交通 stops and routes in shared/data/gunma/bus (GeoJSON made
by mghs15/bus_stops from the GTFS-JP feed) are rebuilt and compared with the real trips of the
same feed (shared/data/gunma/bus/gtfs, CC BY 4.0). On that feed 98.9 % of the departures chained
to a next stop are chained to the right one (the next stop time of a real trip), and 0.1 % of
the departures are left over. The embedded ぐるりん data is rebuilt too, and a small made-up
case (MADE-UP NUMBERS) checks the rules one by one.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from data import get_path
from layers.config import LayerConfig, load_config
from layers.files.gtfs_timetable import read_gtfs_timetable
from layers.files.trip_rebuild import MAX_BUS_SPEED_M_PER_MIN, rebuild_trips

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "gunma" / "bus"
KANETSU = "gtfs.1001.kanetsu_kotu"


def right_links(rebuilt, real) -> tuple[int, int]:
    """(links of rebuilt trips that are consecutive stop times of a real trip, all links);
    stops are matched by position (the GeoJSON points are the feed's poles)."""
    position = {(round(x, 1), round(y, 1)): i
                for i, (x, y) in enumerate(zip(real.stop_x, real.stop_y, strict=True))}
    to_real = np.array([position[(round(x, 1), round(y, 1))]
                        for x, y in zip(rebuilt.stop_x, rebuilt.stop_y, strict=True)])
    truth = set()
    for trip in range(real.n_trips):
        stops, _, departures = real.trip_stop_times(trip)
        for i in range(len(stops) - 1):
            truth.add((stops[i], departures[i], stops[i + 1], departures[i + 1],
                       real.trip_headsign[trip]))
    right = total = 0
    for trip in range(rebuilt.n_trips):
        stops, _, departures = rebuilt.trip_stop_times(trip)
        for i in range(len(stops) - 1):
            total += 1
            right += (to_real[stops[i]], departures[i], to_real[stops[i + 1]],
                      departures[i + 1], rebuilt.trip_headsign[trip]) in truth
    return right, total


@pytest.mark.skipif(not (SHARED / "gtfs").exists(), reason="shared/ data not beside the repository")
def test_rebuilt_kanetsu_trips_match_the_real_trips(tmp_path):
    for kind in ("stops", "routes"):
        frame = gpd.read_file(SHARED / f"{kind}_gunma.geojson")
        frame[frame["feed"] == KANETSU].to_file(tmp_path / f"{kind}.geojson")
    rebuilt = rebuild_trips(
        LayerConfig("stops", tmp_path / "stops.geojson", {"timetable_html": "時刻表"}),
        LayerConfig("bus_routes", tmp_path / "routes.geojson", {"route_stops_html": "経路"}))
    real = read_gtfs_timetable(SHARED / "gtfs" / f"{KANETSU}.zip")
    counts = rebuilt.rebuild
    assert counts["departures"] == 34711  # every entry of every 時刻表, repeats included
    assert counts["chained"] + counts["left_over"] == counts["departures"]
    assert counts["left_over"] / counts["departures"] < 0.005
    right, total = right_links(rebuilt.timetable, real.timetable)
    assert total == counts["chained"] - counts["trips"]  # one link fewer than stops per trip
    assert right / total > 0.985
    assert rebuilt.estimated and rebuilt.timetable.trip_estimated.all()


def test_embedded_gururin_trips():
    config = load_config(get_path("takasaki"))
    bus = rebuild_trips(config.layers["stops"], config.layers["bus_routes"],
                        metric_crs=config.metric_crs)
    counts, table = bus.rebuild, bus.timetable
    assert counts["departures"] == 15223
    assert counts["chained"] / counts["departures"] > 0.99
    assert 0 < counts["ambiguous"] < counts["chained"]
    assert table.trip_estimated.all() and table.n_trips == counts["trips"]
    # every link: forwards in time, no faster than the fastest bus (one minute of rounding)
    same_trip = np.ones(table.n_stop_times - 1, dtype=bool)
    same_trip[table.trip_start[1:-1] - 1] = False
    gap = np.diff(table.departure_min)[same_trip]
    metres = np.hypot(np.diff(table.stop_x[table.stop]), np.diff(table.stop_y[table.stop]))
    assert (gap >= 0).all()
    assert (metres[same_trip] <= MAX_BUS_SPEED_M_PER_MIN * (gap + 1)).all()
    # each trip goes toward the destination all its departures name
    labels = collections.Counter(s.label for s in bus.calendar.services)
    assert {"平日のみ", "毎日", "休日のみ"} <= set(labels)
    left = [p for p in bus.problems if "could not be chained" in p.problem]
    assert len(left) == 1 and left[0].row is not None


def write_case(folder: Path, *, route_names: list[list[str]], timetables: dict[str, str]):
    """A made-up stops file (points 600 m apart on a line) and routes file."""
    names = list(timetables)
    stops = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name, "時刻表": html},
         "geometry": {"type": "Point", "coordinates": [139.0 + 0.0066 * i, 36.32]}}
        for i, (name, html) in enumerate(timetables.items())]}
    routes = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"経路": "<table>" + "".join(
            f"<tr><td>{n}</td></tr>" for n in stops_of) + "</table>"},
         "geometry": {"type": "LineString", "coordinates": [[139.0, 36.32], [139.02, 36.32]]}}
        for stops_of in route_names]}
    (folder / "stops.geojson").write_text(json.dumps(stops, ensure_ascii=False), "utf-8")
    (folder / "routes.geojson").write_text(json.dumps(routes, ensure_ascii=False), "utf-8")
    del names
    return (LayerConfig("stops", folder / "stops.geojson", {"timetable_html": "時刻表"}),
            LayerConfig("bus_routes", folder / "routes.geojson", {"route_stops_html": "経路"}))


def cell(*entries: str) -> str:
    """A 時刻表 table: entries 'HH:MM 行き先 曜日'."""
    rows = collections.defaultdict(list)
    for entry in entries:
        time, destination, label = entry.split()
        hour, minute = time.split(":")
        rows[hour].append(f"{minute} ({destination}行き) {label}")
    return "<table>" + "".join(f"<tr><td>{h}</td><td>{'<br>'.join(e)}</td></tr>"
                               for h, e in sorted(rows.items())) + "</table>"


def test_made_up_rules(tmp_path):
    stops, routes = write_case(tmp_path, route_names=[["駅", "中央", "病院", "終点"],
                                                      ["駅", "幻の停留所", "病院"]], timetables={
        # MADE-UP NUMBERS: one bus at 9:00 (weekdays) and one at 9:30 (weekends)
        "駅": cell("09:00 終点 平日のみ", "09:30 終点 土日祝"),
        "中央": cell("09:02 終点 平日のみ", "09:32 終点 土日祝"),
        # 病院: the weekday bus is listed before it left 中央: going backwards, the trip is cut
        "病院": cell("09:01 終点 平日のみ", "09:34 終点 土日祝"),
        "終点": cell("09:06 終点 平日のみ", "09:36 終点 土日祝", "09:50 駅 毎日"),
    })
    bus = rebuild_trips(stops, routes)
    table = bus.timetable
    trips = {tuple(table.stop_name[table.trip_stop_times(t)[0]]): table.trip_stop_times(t)[2]
             .tolist() for t in range(table.n_trips)}
    assert trips == {("駅", "中央", "病院", "終点"): [570.0, 572.0, 574.0, 576.0],
                     ("駅", "中央"): [540.0, 542.0], ("病院", "終点"): [541.0, 546.0]}
    # 9:50 toward 駅 at 終点: no route goes on from 終点, so it is left over
    assert bus.rebuild == {"departures": 9, "chained": 8, "left_over": 1, "ambiguous": 0,
                           "trips": 3, "no_plausible_time": 0}
    messages = [str(p) for p in bus.problems]
    assert any(m.startswith("routes.geojson, row 2") and "幻の停留所" in m for m in messages)
    assert any(m.startswith("stops.geojson, row 4") and "1 of 9 departures" in m
               for m in messages)
    labels = sorted(bus.calendar.services[s].label for s in table.trip_service)
    assert labels == ["土日祝", "平日のみ", "平日のみ"]


def test_made_up_implausible_speed(tmp_path):
    # MADE-UP NUMBERS: 甲 and 乙 are 5.3 km apart (stops 600 m apart on a line, 9 between)
    fillers = {f"空{i}": "" for i in range(8)}
    stops, routes = write_case(tmp_path, route_names=[["甲", "乙"]], timetables={
        "甲": cell("09:00 乙 毎日", "10:00 乙 毎日"), **fillers,
        "乙": cell("09:02 乙 毎日", "10:12 乙 毎日")})
    bus = rebuild_trips(stops, routes)
    # 5.3 km in 2 minutes is too fast; in 12 minutes it is a bus
    assert [bus.timetable.trip_stop_times(t)[2].tolist() for t in range(bus.timetable.n_trips)
            ] == [[600.0, 612.0]]
    assert bus.rebuild["left_over"] == 2 and bus.rebuild["no_plausible_time"] == 1
