"""Bus stops from the real ぐるりん GeoJSON and from small hand-made GTFS feeds."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pyogrio
import pytest
from shapely import box

from layers.config import LayerConfig
from layers.errors import LayerError, Severity
from layers.files.stops import STOP_COLUMNS, is_gtfs, load_stops
from layers.files.timetable import HOLIDAY_NOTE, departures_on

DATA = Path(__file__).parents[3] / "data" / "takasaki"
STOPS_GEOJSON = DATA / "bus" / "gururin_stops.geojson"
BOUNDARY_GEOJSON = DATA / "boundary" / "takasaki_city.geojson"
GURURIN_FIELDS = {"timetable_html": "時刻表", "operator": "運行", "note": "備考"}

WEDNESDAY = dt.date(2026, 11, 25)
FRIDAY = dt.date(2026, 11, 27)
SATURDAY = dt.date(2026, 11, 28)
HOLIDAY_MONDAY = dt.date(2026, 11, 23)

TIMETABLE = "<table><tr><td>07</td><td>30 (高崎駅西口行き) 毎日</td></tr></table>"


def stops_layer(path: Path, fields: dict[str, str] | None = None) -> LayerConfig:
    return LayerConfig("stops", path, GURURIN_FIELDS if fields is None else fields)


def write_geojson(path: Path, features: list[tuple[dict, dict | None]], *,
                  common: dict | None = None) -> Path:
    """Write a GeoJSON file; every feature also gets ``common`` (default: 運行 and 備考)."""
    common = {"運行": "高崎市", "備考": ""} if common is None else common
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {**common, **properties}, "geometry": geometry}
        for properties, geometry in features
    ]}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


# -- the real ぐるりん file --------------------------------------------------------------------

@pytest.fixture(scope="module")
def gururin_stops():
    return load_stops(stops_layer(STOPS_GEOJSON))


def test_real_stops(gururin_stops) -> None:
    stops, warnings = gururin_stops
    assert warnings == []
    assert tuple(stops.columns) == STOP_COLUMNS
    assert len(stops) == 1187
    assert stops.crs == "EPSG:4326"
    assert (stops.geom_type == "Point").all()
    assert stops["stop_id"].is_unique and stops["stop_id"].iloc[0] == "1"
    assert stops["name"].nunique() == 757
    assert (stops["departure_count"] == stops["departures"].map(len)).all()
    assert stops["departure_count"].sum() == 15137  # 15,223 entries less 86 repeated in a cell
    assert (stops["operator"] != "").all() and (stops["note"] != "").all()
    first = stops.iloc[0]
    assert first["name"] == "高崎駅西口（４番のりば）"
    assert first["departures"][0]["time"] == "07:30"
    minx, miny, maxx, maxy = stops.total_bounds
    assert 138.6 < minx < maxx < 139.3 and 36.1 < miny < maxy < 36.6


def test_real_stops_outside_the_city_are_warnings() -> None:
    city = pyogrio.read_dataframe(BOUNDARY_GEOJSON).union_all()
    _, warnings = load_stops(stops_layer(STOPS_GEOJSON), area=city)
    # 藤岡総合病院 (and its 東 stop) is in Fujioka, ~2 km outside Takasaki: real, not an error.
    assert [w.row for w in warnings] == [665, 666]
    assert all(w.severity is Severity.WARNING and w.field == "geometry" for w in warnings)
    assert "藤岡総合病院" in warnings[1].problem


# -- hand-made vector files -------------------------------------------------------------------

def test_bad_timetable_and_missing_geometry_are_reported_together(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "stops.geojson", [
        ({"name": "A", "時刻表": TIMETABLE}, point(139.0, 36.32)),
        ({"name": "B", "時刻表": TIMETABLE}, None),
        ({"name": "C", "時刻表": TIMETABLE.replace("毎日", "毎月")}, point(139.01, 36.32)),
    ])
    with pytest.raises(LayerError) as caught:
        load_stops(stops_layer(path))
    problems = {(p.row, p.field) for p in caught.value.problems}
    assert problems == {(2, "geometry"), (3, "時刻表")}
    message = str(caught.value)
    assert "row 3, field '時刻表'" in message and "'毎月'" in message
    assert "row 2, field 'geometry'" in message


def test_missing_fields(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "stops.geojson", [({"名称": "A"}, point(139.0, 36.32))],
                         common={"備考": ""})
    with pytest.raises(LayerError, match="no field 'name'"):
        load_stops(stops_layer(path))
    fields = {**GURURIN_FIELDS, "name": "名称"}
    stops, warnings = load_stops(stops_layer(path, fields))
    assert [(w.field, w.severity) for w in warnings] == [("時刻表", Severity.WARNING),
                                                          ("運行", Severity.WARNING)]
    assert stops["departures"].iloc[0] == [] and stops["departure_count"].iloc[0] == 0
    assert list(stops["name"]) == ["A"] and list(stops["operator"]) == [""]


def test_swapped_coordinates_are_far_outside_the_area(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "stops.geojson", [
        ({"name": "A", "時刻表": TIMETABLE}, point(139.0, 36.32)),
        ({"name": "B", "時刻表": TIMETABLE}, point(36.32, 139.0 - 90)),  # lat/lon swapped
    ])
    _, warnings = load_stops(stops_layer(path), area=box(138.9, 36.2, 139.1, 36.4))
    assert [w.row for w in warnings] == [2]
    assert "km outside" in warnings[0].problem


def test_area_must_be_a_geometry(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="shapely geometry"):
        load_stops(stops_layer(STOPS_GEOJSON), area=(138.9, 36.2, 139.1, 36.4))


# -- GTFS feeds -------------------------------------------------------------------------------

GTFS_FILES = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                  "A1,高崎市,https://www.city.takasaki.gunma.jp,Asia/Tokyo\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
                 "S1,高崎駅西口,36.3219,139.0113\n"
                 "S2,市役所,36.3233,139.0035\n"
                 "S3,高崎公園前,36.3208,139.0029\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
                  "R1,A1,ぐるりん,市内循環,3\n",
    "trips.txt": "route_id,service_id,trip_id,trip_headsign\n"
                 "R1,WEEKDAY,T1,高崎駅西口行き\n"
                 "R1,WEEKEND,T2,\n"
                 "R1,TUE_THU_FRI,T3,高崎公園前\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,stop_headsign\n"
                      "T1,07:30:00,07:30:00,S1,1,\n"
                      "T1,07:40:00,07:40:00,S2,2,\n"
                      "T2,09:05:00,09:05:00,S1,1,\n"
                      "T2,,,S2,2,\n"
                      "T3,13:00:00,13:00:00,S2,1,市役所経由 高崎公園前\n"
                      "T3,13:10:00,13:10:00,S3,2,\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                    "start_date,end_date\n"
                    "WEEKDAY,1,1,1,1,1,0,0,20260401,20270331\n"
                    "WEEKEND,0,0,0,0,0,1,1,20260401,20270331\n"
                    "TUE_THU_FRI,0,1,0,1,1,0,0,20260401,20270331\n",
}


def write_feed(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def times_on(stops, stop_id: str, date: dt.date) -> list[tuple[str, str]]:
    departures = stops.set_index("stop_id").at[stop_id, "departures"]
    return [(d["time"], d["destination"]) for d in departures_on(departures, date)]


def test_gtfs_departures_per_day(tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "feed", GTFS_FILES)
    assert is_gtfs(feed)
    stops, warnings = load_stops(stops_layer(feed, {}))
    assert warnings == []
    assert tuple(stops.columns) == STOP_COLUMNS
    assert list(stops["stop_id"]) == ["S1", "S2", "S3"]
    assert list(stops["operator"]) == ["高崎市"] * 3
    assert stops.crs == "EPSG:4326"
    assert stops.geometry.iloc[0].x == pytest.approx(139.0113)  # x is longitude
    assert list(stops["departure_count"]) == [2, 2, 1]  # the untimed T2 stop is no departure

    assert times_on(stops, "S1", WEDNESDAY) == [("07:30", "高崎駅西口")]
    assert times_on(stops, "S1", SATURDAY) == [("09:05", "ぐるりん")]  # no headsign: route name
    assert times_on(stops, "S1", HOLIDAY_MONDAY) == [("09:05", "ぐるりん")]
    assert times_on(stops, "S2", WEDNESDAY) == [("07:40", "高崎駅西口")]
    assert times_on(stops, "S2", FRIDAY) == [("07:40", "高崎駅西口"),
                                             ("13:00", "市役所経由 高崎公園前")]
    assert times_on(stops, "S2", HOLIDAY_MONDAY) == []
    assert times_on(stops, "S3", SATURDAY) == []

    labels = {d["label"]: d for ds in stops["departures"] for d in ds}
    assert set(labels) == {"平日のみ", "休日のみ", "火木金"}
    assert labels["休日のみ"]["holidays"] is True and labels["平日のみ"]["holidays"] is False
    assert labels["火木金"]["weekdays"] == [1, 3, 4] and labels["火木金"]["note"] == HOLIDAY_NOTE


def test_gtfs_zip(tmp_path: Path) -> None:
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, text in GTFS_FILES.items():
            zipped.writestr(name, text)
    assert is_gtfs(archive)
    stops, _ = load_stops(stops_layer(archive, {}))
    assert stops["departure_count"].sum() == 5


def test_gtfs_calendar_dates_only(tmp_path: Path) -> None:
    files = {name: text for name, text in GTFS_FILES.items() if name != "calendar.txt"}
    files["calendar_dates.txt"] = ("service_id,date,exception_type\n"
                                   "WEEKDAY,20261124,1\nWEEKDAY,20261125,1\n"
                                   "WEEKEND,20261122,1\nWEEKEND,20261123,1\n"
                                   "TUE_THU_FRI,20261124,1\n")
    stops, _ = load_stops(stops_layer(write_feed(tmp_path / "feed", files), {}))
    departures = {d["time"]: d for ds in stops["departures"] for d in ds}
    assert departures["07:30"]["weekdays"] == [1, 2] and departures["07:30"]["holidays"] is False
    assert departures["09:05"]["weekdays"] == [6] and departures["09:05"]["holidays"] is True


def test_gtfs_without_stop_times(tmp_path: Path) -> None:
    files = {name: text for name, text in GTFS_FILES.items() if name != "stop_times.txt"}
    with pytest.raises(LayerError, match=r"stop_times\.txt") as caught:
        load_stops(stops_layer(write_feed(tmp_path / "feed", files), {}))
    assert [Path(p.path).name for p in caught.value.problems] == ["stop_times.txt"]


def test_gtfs_rows_are_csv_rows(tmp_path: Path) -> None:
    files = dict(GTFS_FILES)
    files["stops.txt"] = GTFS_FILES["stops.txt"].replace("S2,市役所,36.3233,139.0035",
                                                         "S2,市役所,,139.0035")
    files["stop_times.txt"] = GTFS_FILES["stop_times.txt"] + "T9,14:00:00,14:00:00,S1,1,\n"
    with pytest.raises(LayerError) as caught:
        load_stops(stops_layer(write_feed(tmp_path / "feed", files), {}))
    found = {(Path(p.path).name, p.row, p.field) for p in caught.value.problems}
    assert found == {("stops.txt", 3, "stop_lat"), ("stop_times.txt", 8, "trip_id")}


def test_gtfs_alighting_only_is_no_departure(tmp_path: Path) -> None:
    files = dict(GTFS_FILES)
    files["stop_times.txt"] = ("trip_id,arrival_time,departure_time,stop_id,stop_sequence,"
                               "pickup_type\n"
                               "T1,07:30:00,07:30:00,S1,1,0\n"
                               "T1,07:40:00,07:40:00,S2,2,1\n")  # 降車のみ at the terminus
    stops, _ = load_stops(stops_layer(write_feed(tmp_path / "feed", files), {}))
    assert list(stops["departure_count"]) == [1, 0, 0]
