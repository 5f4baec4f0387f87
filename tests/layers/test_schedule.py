"""Schedules as coordinators write them, on the real places and on common forms."""

from __future__ import annotations

import datetime as dt

import pytest

from data import get_path
from layers.config import load_config
from layers.fields.schedule import next_openings, parse_schedule
from layers.files.places import load_places

TUESDAY = dt.date(2026, 11, 24)


def dates(text: str, count: int = 4, after: dt.date = TUESDAY) -> list[str]:
    return [o.date.isoformat() for o in next_openings(parse_schedule(text), after, count=count)]


def test_real_schedules() -> None:
    config = load_config(get_path("takasaki"))
    places, _ = load_places(config.layers["places"], categories=config.categories)
    schedules = {name: parse_schedule(text)
                 for name, text in zip(places["name"], places["schedule"], strict=True) if text}
    assert len(schedules) == 3
    engawa = schedules["4区のえんがわ"]  # 毎月第1水曜日・第3月曜日 10:00～12:00
    assert engawa.dates_known
    assert (engawa.start, engawa.end) == (dt.time(10), dt.time(12))
    assert dates("毎月第1水曜日・第3月曜日 10:00～12:00") == [
        "2026-12-02", "2026-12-21", "2027-01-06", "2027-01-18"]
    francisco = schedules["フランシスコの町の居場所"]  # 不定期（モデル開催。定期開催を検討中）
    assert not francisco.dates_known and francisco.irregular
    assert "お問い合わせ" in francisco.note
    monthly_once = schedules["個人宅カフェの居場所（寺尾）"]  # 毎月1回: no day given
    assert not monthly_once.dates_known and not monthly_once.irregular
    assert monthly_once.note.startswith("毎月1回")
    assert next_openings(monthly_once, TUESDAY) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("毎週火曜日", ["2026-11-24", "2026-12-01", "2026-12-08", "2026-12-15"]),
        ("毎週月・木曜日 13:30～15:30", ["2026-11-26", "2026-11-30", "2026-12-03", "2026-12-07"]),
        ("第2・第4土曜日", ["2026-11-28", "2026-12-12", "2026-12-26", "2027-01-09"]),
        ("毎月15日", ["2026-12-15", "2027-01-15", "2027-02-15", "2027-03-15"]),
        ("毎日 ９：００～１７：００", ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
        ("平日", ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
        ("毎月第３金曜日", ["2026-12-18", "2027-01-15", "2027-02-19", "2027-03-19"]),
    ],
)
def test_common_forms(text: str, expected: list[str]) -> None:
    assert dates(text) == expected


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("10:00～12:00", dt.time(10), dt.time(12)), ("１０：３０〜１１：４５", dt.time(10, 30),
                                                  dt.time(11, 45)),
     ("10時～12時", dt.time(10), dt.time(12)), ("13時30分～15時", dt.time(13, 30), dt.time(15))],
)
def test_times(text: str, start: dt.time, end: dt.time) -> None:
    schedule = parse_schedule("毎週水曜日 " + text)
    assert (schedule.start, schedule.end) == (start, end)


@pytest.mark.parametrize("text", ["", "要問合せ", "随時", "月2回程度"])
def test_no_dates_are_invented(text: str) -> None:
    schedule = parse_schedule(text)
    assert not schedule.dates_known
    assert next_openings(schedule, TUESDAY) == []
    assert schedule.note


def test_label() -> None:
    opening = next_openings(parse_schedule("毎月第1水曜日 10:00～12:00"), TUESDAY)[0]
    assert opening.label == "12月2日（水）10:00～12:00"
