"""``ibasho check`` on the buses: bad feeds are named by file and row, what can be used is used.

The feeds are the small made-up one of tests/bus_feed.py (MADE-UP NUMBERS) with one fault
each, in the Nagoya study area of tests/nagoya_city.py; the ぐるりん case is the embedded
Takasaki data with one made-up route added; the real 関越交通 GTFS-JP feed (shared/data,
CC BY 4.0) ends in 2020, so none of its services runs in the coming year.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bus_feed import write_feed
from click.testing import CliRunner
from nagoya_city import write_nagoya_config

from data import get_path
from webmap.cli.main import main

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
KANETSU = SHARED / "gunma" / "bus" / "gtfs" / "gtfs.1001.kanetsu_kotu.zip"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("IBASHO_DATABASE", str(tmp_path / "no-database-yet.gpkg"))
    monkeypatch.delenv("IBASHO_DATABASE_URL", raising=False)
    return CliRunner()


def city_with_feeds(folder: Path, *feeds: Path) -> Path:
    """The Nagoya study area with ``[transit] gtfs`` naming ``feeds``."""
    config = write_nagoya_config(folder / "city")
    listed = ", ".join(f'"{feed.as_posix()}"' for feed in feeds)
    with config.open("a", encoding="utf-8") as file:
        file.write(f"\n[transit]\ngtfs = [{listed}]\n")
    return config


def check(runner: CliRunner, config: Path):
    return runner.invoke(main, ["check", str(config)])


def test_a_feed_with_missing_files_is_an_error(runner, tmp_path):
    feed = write_feed(tmp_path / "no_stop_times", skip=("stop_times.txt",))
    result = check(runner, city_with_feeds(tmp_path, feed))
    assert result.exit_code == 1, result.output
    assert "ERROR: stop_times.txt: the feed has no stop_times.txt" in result.stdout
    assert "Export the feed again with stop_times.txt" in result.stdout


def test_a_broken_feed_among_two_is_left_out_and_the_other_used(runner, tmp_path):
    good = write_feed(tmp_path / "good")
    broken = write_feed(tmp_path / "broken", skip=("calendar.txt", "calendar_dates.txt"))
    result = check(runner, city_with_feeds(tmp_path, good, broken))
    assert result.exit_code == 0, result.output
    assert ("WARNING: calendar.txt: the feed has neither calendar.txt nor calendar_dates.txt"
            in result.stdout)
    assert "This feed is left out." in result.stdout
    assert "bus timetable        9 features" in result.stderr  # the good feed's nine trips


def test_backwards_times_and_unknown_stop_ids_name_their_rows(runner, tmp_path):
    rows = (write_feed(tmp_path / "good") / "stop_times.txt").read_text().splitlines()
    rows[2] = "A1,08:50:00,08:50:00,S2,2"  # row 3: before the 9:00 departure of row 2
    rows[5] = "A2,09:34:00,09:34:00,S99,2"  # row 6: a stop that does not exist
    feed = write_feed(tmp_path / "bad", replace={"stop_times.txt": "\n".join(rows) + "\n"})
    result = check(runner, city_with_feeds(tmp_path, feed))
    assert result.exit_code == 0, result.output  # the rest of the feed is used
    out = result.stdout
    assert "WARNING: stop_times.txt, row 3, field 'arrival_time': in 1 trips the times go " \
           "backwards (trip 'A1' at row 3" in out
    assert "WARNING: stop_times.txt, row 6, field 'stop_id': 1 rows (rows 6) name a stop_id " \
           "that is not a located stop" in out
    assert "bus timetable        8 features" in result.stderr  # A1 left out


def test_calendars_with_no_service_in_the_coming_year(runner, tmp_path):
    calendar = ("service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                "start_date,end_date\nWD,1,1,1,1,1,0,0,20190401,20200331\n"
                "DAY,1,1,1,1,1,1,1,20190401,20200331\nHOL,0,0,0,0,0,1,1,20190401,20200331\n")
    feed = write_feed(tmp_path / "old", replace={"calendar.txt": calendar,
                                                 "calendar_dates.txt": "service_id,date,"
                                                 "exception_type\n"})
    result = check(runner, city_with_feeds(tmp_path, feed))
    assert result.exit_code == 0, result.output
    assert "WARNING: calendar.txt, row 2, field 'service_id': 3 services have no day in the " \
           "study period" in result.stdout
    assert "'WD' (row 2, 2019年4月1日～2020年3月31日)" in result.stdout
    assert "no bus of this feed runs then" in result.stdout


def test_a_route_whose_stop_names_match_no_stop(runner, tmp_path):
    city = tmp_path / "takasaki"
    shutil.copytree(get_path("takasaki").parent, city)
    routes_path = city / "bus" / "gururin_routes.geojson"
    routes = json.loads(routes_path.read_text(encoding="utf-8"))
    made_up = dict(routes["features"][0])  # a made-up route through stops that do not exist
    made_up["properties"] = {**made_up["properties"], "経路": "<table><tr><td>幻の停留所</td>"
                             "</tr><tr><td>まぼろし二丁目</td></tr></table>"}
    routes["features"].append(made_up)
    routes_path.write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    result = check(runner, city / "ibasho.toml")
    assert result.exit_code == 0, result.output
    row = len(routes["features"])
    assert (f"WARNING: gururin_routes.geojson, row {row}, field '経路': 2 stop names of the "
            "route match no stop: '幻の停留所', 'まぼろし二丁目'") in result.stdout
    assert "trips rebuilt from per-stop timetables (推定): 15,223 departures" in result.stderr


@pytest.mark.skipif(not KANETSU.exists(), reason="shared/ data not beside the repository")
def test_the_real_kanetsu_feed(runner, tmp_path):
    result = check(runner, city_with_feeds(tmp_path, KANETSU))
    assert result.exit_code == 0, result.output
    assert "bus timetable     1350 features" in result.stderr
    idle = [line for line in result.stdout.splitlines() if "no day in the study period" in line]
    assert idle and idle[0].startswith("WARNING: calendar.txt, row ")
    assert "no bus of this feed runs then" in idle[0]  # the feed ended in 2020
