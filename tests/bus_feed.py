"""A small GTFS-JP feed for the tests: MADE-UP NUMBERS (names borrowed from Takasaki).

Three routes: 城南線 runs on weekdays only (public holidays removed in calendar_dates.txt),
八幡線 every day, 片岡線 on Saturdays, Sundays and public holidays (holidays added in
calendar_dates.txt). 城南線 reaches 高崎公園前 at 9:08; the 9:09 八幡線 leaves from there one
minute later (a connection missed with a 2-minute change), the next at 9:25. Imported as
``from bus_feed import write_feed`` (``tests/`` is on the path).
"""

from __future__ import annotations

from pathlib import Path

STOPS = [  # stop_id, name, lat, lon
    ("S1", "高崎駅西口", 36.3225, 139.0000),
    ("S2", "市役所", 36.3230, 139.0080),
    ("S3", "高崎公園前", 36.3235, 139.0160),
    ("S4", "八幡", 36.3300, 139.0165),
    ("S5", "観音山", 36.3305, 139.0245),
    ("S6", "片岡", 36.3150, 139.0090),
]

#: trip_id, route_id, service_id, headsign, [(stop_id, time), ...]
TRIPS = [
    ("A1", "A", "WD", "高崎公園前", [("S1", "09:00:00"), ("S2", "09:04:00"), ("S3", "09:08:00")]),
    ("A2", "A", "WD", "高崎公園前", [("S1", "09:30:00"), ("S2", "09:34:00"), ("S3", "09:38:00")]),
    ("A3", "A", "WD", "高崎公園前", [("S1", "10:00:00"), ("S2", "10:04:00"), ("S3", "10:08:00")]),
    ("B1", "B", "DAY", "観音山", [("S3", "09:09:00"), ("S4", "09:14:00"), ("S5", "09:19:00")]),
    ("B2", "B", "DAY", "観音山", [("S3", "09:25:00"), ("S4", "09:30:00"), ("S5", "09:35:00")]),
    ("B3", "B", "DAY", "観音山", [("S3", "09:40:00"), ("S4", "09:45:00"), ("S5", "09:50:00")]),
    ("B4", "B", "DAY", "観音山", [("S3", "10:09:00"), ("S4", "10:14:00"), ("S5", "10:19:00")]),
    ("C1", "C", "HOL", "観音山", [("S1", "09:15:00"), ("S6", "09:22:00"), ("S5", "09:40:00")]),
    ("C2", "C", "HOL", "観音山", [("S1", "10:15:00"), ("S6", "10:22:00"), ("S5", "10:40:00")]),
]

#: Japanese public holidays of November 2026: 文化の日 and 勤労感謝の日.
HOLIDAYS = ("20261103", "20261123")


def write_feed(folder: Path, *, skip: tuple[str, ...] = (),
               replace: dict[str, str] | None = None) -> Path:
    """Write the feed's .txt files into ``folder``; ``skip`` leaves files out and ``replace``
    gives other contents for some (bad input)."""
    folder.mkdir(parents=True, exist_ok=True)
    stop_times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for trip_id, _, _, _, calls in TRIPS:
        stop_times += [f"{trip_id},{time},{time},{stop},{n}" for n, (stop, time)
                       in enumerate(calls, start=1)]
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
                      "X,架空バス,https://example.invalid,Asia/Tokyo\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n" + "".join(
            f"{i},{name},{lat},{lon}\n" for i, name, lat, lon in STOPS),
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
                      "A,X,,城南線,3\nB,X,,八幡線,3\nC,X,,片岡線,3\n",
        "trips.txt": "route_id,service_id,trip_id,trip_headsign\n" + "".join(
            f"{route},{service},{trip},{headsign}行き\n"
            for trip, route, service, headsign, _ in TRIPS),
        "stop_times.txt": "\n".join(stop_times) + "\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                        "start_date,end_date\n"
                        "WD,1,1,1,1,1,0,0,20260401,20270331\n"
                        "DAY,1,1,1,1,1,1,1,20260401,20270331\n"
                        "HOL,0,0,0,0,0,1,1,20260401,20270331\n",
        "calendar_dates.txt": "service_id,date,exception_type\n" + "".join(
            f"WD,{day},2\nHOL,{day},1\n" for day in HOLIDAYS),
    }
    files.update(replace or {})
    for name, text in files.items():
        if name not in skip:
            (folder / name).write_text(text, encoding="utf-8")
    return folder
