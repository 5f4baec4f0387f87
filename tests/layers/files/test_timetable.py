"""Timetable parsing on the real ぐるりん stops file, and day types with Japanese holidays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from layers.files.timetable import (
    CAUTION_NOTE,
    HOLIDAY_NOTE,
    day_type,
    departures_on,
    holidays_between,
    make_departure,
    parse_day_label,
    parse_timetable_html,
    read_html_table,
)

STOPS_GEOJSON = Path(__file__).parents[3] / "data" / "takasaki" / "bus" / "gururin_stops.geojson"

TUESDAY = dt.date(2026, 11, 24)
SUNDAY = dt.date(2026, 11, 22)
HOLIDAY_MONDAY = dt.date(2026, 11, 23)  # 勤労感謝の日
ORDINARY_MONDAY = dt.date(2026, 11, 30)
HOLIDAY_FREE_WEEK = [dt.date(2026, 11, 30) + dt.timedelta(days=n) for n in range(7)]


@pytest.fixture(scope="module")
def real_timetables() -> list[tuple[str, str]]:
    with STOPS_GEOJSON.open(encoding="utf-8") as file:
        features = json.load(file)["features"]
    return [(f["properties"]["name"], f["properties"]["時刻表"]) for f in features]


@pytest.fixture(scope="module")
def real_departures(real_timetables: list[tuple[str, str]]) -> list[list[dict]]:
    return [parse_timetable_html(html) for _, html in real_timetables]


def test_every_real_stop_parses(real_timetables, real_departures) -> None:
    assert len(real_timetables) == 1187
    assert all(departures for departures in real_departures)
    assert sum(map(len, real_departures)) == 15137  # 15,223 entries less 86 repeated in a cell
    json.dumps(real_departures, ensure_ascii=False)  # goes to the map's JavaScript as it is


def test_real_departures_are_sorted_and_well_formed(real_departures) -> None:
    for departures in real_departures:
        times = [departure["time"] for departure in departures]
        assert times == sorted(times)
        for departure in departures:
            assert len(departure["time"]) == 5 and departure["time"][2] == ":"
            assert departure["destination"] and not departure["destination"].endswith("行き")
            assert set(departure["weekdays"]) <= set(range(7))
            assert isinstance(departure["holidays"], bool)


def test_first_real_stop(real_timetables, real_departures) -> None:
    name, _ = real_timetables[0]
    assert name == "高崎駅西口（４番のりば）"
    first = real_departures[0][0]
    assert first == {"time": "07:30", "destination": "高崎駅西口", "weekdays": [0, 1, 2, 3, 4],
                     "holidays": False, "label": "平日のみ"}


def test_departures_on_weekday_sunday_and_holiday(real_departures) -> None:
    departures = real_departures[0]
    tuesday = departures_on(departures, TUESDAY)
    sunday = departures_on(departures, SUNDAY)
    holiday = departures_on(departures, HOLIDAY_MONDAY)
    monday = departures_on(departures, ORDINARY_MONDAY)

    def keys(selected: list[dict]) -> set[tuple[str, str]]:
        return {(departure["time"], departure["destination"]) for departure in selected}

    assert ("07:30", "高崎駅西口") in keys(tuesday)
    assert ("07:30", "高崎駅西口") not in keys(sunday) | keys(holiday)
    assert ("18:26", "下大島町") in keys(sunday) & keys(holiday)  # 休日のみ
    assert ("18:26", "下大島町") not in keys(tuesday) | keys(monday)
    assert keys(holiday) == keys(sunday)  # this stop has only 毎日, 平日のみ and 休日のみ
    assert keys(monday) == keys(tuesday)
    assert keys(holiday) != keys(monday)
    every_day = [d for d in departures if d["label"] == "毎日"]
    for selected in (tuesday, sunday, holiday):
        assert all(d in selected for d in every_day)


def test_tue_thu_fri_entries_only_on_those_days(real_departures) -> None:
    tue_thu_fri = [d for departures in real_departures for d in departures
                   if d["label"] == "火木金"]
    assert len(tue_thu_fri) == 670
    for date in HOLIDAY_FREE_WEEK:
        running = departures_on(tue_thu_fri, date)
        assert len(running) == (len(tue_thu_fri) if date.weekday() in (1, 3, 4) else 0), date
    assert all(d["holidays"] is False and d["note"] == HOLIDAY_NOTE for d in tue_thu_fri)


def test_caution_mark_runs_daily_with_a_note(real_departures) -> None:
    caution = [d for departures in real_departures for d in departures
               if d["label"] == "運行情報注意"]
    assert len(caution) == 48
    assert all(d["weekdays"] == list(range(7)) and d["holidays"] for d in caution)
    assert all(d["note"] == CAUTION_NOTE for d in caution)


@pytest.mark.parametrize(
    ("label", "weekdays", "runs_on_holidays", "note"),
    [
        ("毎日", [0, 1, 2, 3, 4, 5, 6], True, None),
        ("平日のみ", [0, 1, 2, 3, 4], False, None),
        ("休日のみ", [5, 6], True, None),
        ("月火水木金土", [0, 1, 2, 3, 4, 5], False, HOLIDAY_NOTE),
        ("火金", [1, 4], False, HOLIDAY_NOTE),
        ("月水木", [0, 2, 3], False, HOLIDAY_NOTE),
        ("土", [5], False, HOLIDAY_NOTE),
        ("土日祝", [5, 6], True, None),
        ("日祝", [6], True, None),
    ],
)
def test_parse_day_label(label, weekdays, runs_on_holidays, note) -> None:
    assert parse_day_label(label) == (weekdays, runs_on_holidays, note)


@pytest.mark.parametrize(
    ("html", "match"),
    [
        ("<table><tr><td>07</td><td>30 (A行き) 毎月</td></tr></table>", "unknown day mark '毎月'"),
        ("<table><tr><td>07</td><td>30 A行き 毎日</td></tr></table>", "hour 07, entry"),
        ("<table><tr><td>07</td><td>75 (A行き) 毎日</td></tr></table>", "minute 75"),
        ("<table><tr><td>朝</td><td>30 (A行き) 毎日</td></tr></table>", "hour '朝'"),
        ("<table><tr><td>07</td></tr></table>", "2 cells"),
    ],
)
def test_unreadable_entries_raise(html: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_timetable_html(html)


@pytest.mark.parametrize("html", [None, "", "   ", "<div></div>"])
def test_empty_timetable(html) -> None:
    assert parse_timetable_html(html) == []


def test_parse_sorts_and_decodes_entities() -> None:
    html = ("<table><tr><td>9</td><td>05 (A&amp;B行き) 水</td></tr>"
            "<tr><td>08</td><td>50 (Ｃ（北）行き) <span style='x'>毎日</span></td></tr></table>")
    departures = parse_timetable_html(html)
    assert [d["time"] for d in departures] == ["08:50", "09:05"]
    assert [d["destination"] for d in departures] == ["Ｃ（北）", "A&B"]
    assert read_html_table("<tr><td>a<br>b</td></tr>") == [["a\nb"]]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (dt.date(2026, 11, 23), "holiday"),  # 勤労感謝の日 (Monday)
        (dt.date(2026, 5, 6), "holiday"),  # 振替休日
        (dt.date(2026, 11, 24), "weekday"),
        (dt.date(2026, 11, 28), "saturday"),
        (dt.date(2026, 11, 29), "sunday"),
        ("2026-01-01", "holiday"),
        (dt.datetime(2026, 11, 27, 8, 0), "weekday"),
    ],
)
def test_day_type(date, expected) -> None:
    assert day_type(date) == expected


def test_day_type_rejects_other_types() -> None:
    with pytest.raises(TypeError, match=r"datetime\.date"):
        day_type(20261123)


def test_holidays_between() -> None:
    assert holidays_between("2026-11-01", "2026-11-30") == ["2026-11-03", "2026-11-23"]
    assert holidays_between(HOLIDAY_MONDAY, HOLIDAY_MONDAY) == ["2026-11-23"]
    span = holidays_between(dt.date(2026, 12, 1), dt.date(2027, 1, 31))
    assert span == ["2027-01-01", "2027-01-11"]
    with pytest.raises(ValueError, match="before"):
        holidays_between("2026-12-01", "2026-11-01")


def test_make_departure_normalises_gtfs_times() -> None:
    departure = make_departure("7:05:00", "A", weekdays=[2], holidays=False, label="水")
    assert departure["time"] == "07:05"
    after_midnight = make_departure("25:10:00", "A", weekdays=[2], holidays=False, label="水")
    assert after_midnight["time"] == "25:10"
    with pytest.raises(ValueError, match="not a time"):
        make_departure("7時", "A", weekdays=[2], holidays=False, label="水")
    with pytest.raises(ValueError, match="weekdays"):
        make_departure("07:00", "A", weekdays=[7], holidays=False, label="?")


def test_repeated_entry_in_a_cell_is_one_departure(real_departures) -> None:
    # 高崎駅西口（４番のりば）: the source lists "40 (高崎駅西口行き) 毎日" twice at 11 o'clock
    first_stop = real_departures[0]
    at_1140 = [d for d in first_stop if d["time"] == "11:40"]
    assert len(at_1140) == 1
    assert [d["time"] for d in first_stop if d["time"].startswith("11:")] == [
        "11:40", "11:45", "11:50"]
