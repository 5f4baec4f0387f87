"""Properties of the schedule reading on any text: it never fails, and every date it gives
obeys every restriction it read (weekday, n-th weekday, months, holidays off, exclusions).

The restrictions are checked here with the ``holidays`` package and plain date arithmetic,
not with the reading's own matching.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from holidays import country_holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.fields.schedule import Clause, Schedule, next_openings, parse_schedule
from layers.fields.schedule.model import STATUSES

JP_HOLIDAYS = country_holidays("JP", years=range(2025, 2030))
START = dt.date(2026, 1, 1)
SHIFT_DAYS = {"next_week": 7, "next_day": 1}

ORDINALS = ["第1", "第2", "第3", "第4", "第二", "第１", "第1・3", "第2・第4", "第1~3", "最終",
            "最後の", "第2週の", "第１・第３"]
WEEKDAYS = ["月曜日", "火曜日", "水曜", "木", "金曜日", "土曜日", "日曜日", "月・木", "火・金曜日",
            "月~金", "土日"]
MONTHS = ["奇数月の", "偶数月", "4月～9月の", "（8月は休み）", "※1月・8月はお休み",
          "12月～2月は休み", "（3月は第2木曜日）", "2か月に1回（4月から）"]
HOLIDAYS = ["（祝日を除く）", "（祝日の場合は翌週）", "年末年始・祝日を除く", "（祝日も開催）",
            "※祝日の場合は翌日", "（年末年始は休み）", "（第5週は休み）", "日曜・祝日は休館"]
TIMES = ["10:00～12:00", "午後1時半～3時", "13時半～", "9～12時", "①10時～ ②13時～",
         "午前10時～正午", "1時半から4時まで", "１０：００〜１２：００", "夕方5時～7時"]
HEDGES = ["（予定）", "原則", "（変更あり）", "（変動有）", "等", "または第3日曜日", "※雨天中止"]
PERIODS = ["令和8年4月～令和9年3月", "令和8年度", "2026年7月から", "（令和8年9月で終了）"]

#: The characters schedules are made of, to make noise that looks like one.
NOISE = "第一二三四五1234５月火水木金土日曜毎週・、と～~時分半午前後正(（)）祝除休の年"

fragment = st.sampled_from(ORDINALS + WEEKDAYS + MONTHS + HOLIDAYS + TIMES + PERIODS
                           + ["毎週", "毎月", "、", "・", "と", " ", "（公民館）"])


@st.composite
def schedule_phrases(draw: st.DrawFn) -> tuple[str, bool]:
    """A phrase built the way lists write them, and whether a hedge was put in it."""
    parts = []
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(PERIODS)))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(MONTHS)))
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            parts.append("毎月" + draw(st.sampled_from(ORDINALS)) + draw(st.sampled_from(WEEKDAYS)))
        else:
            every = draw(st.sampled_from(["毎週", "", "毎"]))
            parts.append(every + draw(st.sampled_from(WEEKDAYS)))
    parts += draw(st.lists(fragment, max_size=3))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(TIMES)))
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(HOLIDAYS)))
    hedged = draw(st.booleans())
    if hedged:
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(HEDGES)))
    return " ".join(parts), hedged


def _ordinal(day: dt.date) -> int:
    return (day.day - 1) // 7 + 1


def _is_last(day: dt.date) -> bool:
    return (day + dt.timedelta(days=7)).month != day.month


def _clause_allows(schedule: Schedule, clause: Clause, day: dt.date) -> bool:
    """Every restriction of ``clause`` and ``schedule`` holds on ``day`` (checked from scratch)."""
    weekday = day.weekday()
    if day.month not in clause.months:
        return False
    if schedule.valid_from and day < schedule.valid_from:
        return False
    if schedule.valid_until and day > schedule.valid_until:
        return False
    is_holiday = day in JP_HOLIDAYS
    kinds = []
    if clause.daily:
        kinds.append(True)
    if clause.weekdays or clause.holiday_days:
        kinds.append(weekday in clause.weekdays or (clause.holiday_days and is_holiday))
    if clause.nth:
        kinds.append((_ordinal(day), weekday) in clause.nth
                     or (_is_last(day) and (-1, weekday) in clause.nth))
    if clause.monthdays:
        last_day = (day + dt.timedelta(days=1)).month != day.month
        kinds.append(day.day in clause.monthdays or (last_day and -1 in clause.monthdays))
    if clause.dates:
        kinds.append(day in clause.dates)
    if not any(kinds):
        return False
    if clause.dates:
        return True
    if weekday in schedule.excluded_weekdays:
        return False
    if {(_ordinal(day), weekday), (_ordinal(day), None)} & schedule.excluded_nth:
        return False
    if is_holiday and clause.holidays == "off" and not clause.holiday_days:
        return False
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return not (year_end and clause.year_end == "off")


def _assert_obeys(schedule: Schedule) -> None:
    for opening in next_openings(schedule, START, count=60):
        day = opening.moved_from or opening.date
        fits = [c for c in schedule.clauses if _clause_allows(schedule, c, day)]
        assert fits, (schedule.text, opening)
        if opening.moved_from is not None:
            assert day in JP_HOLIDAYS
            assert any(opening.date - day == dt.timedelta(days=SHIFT_DAYS.get(c.holidays, 0))
                       for c in fits), (schedule.text, opening)
        else:
            assert all(not (day in JP_HOLIDAYS and c.holidays in SHIFT_DAYS) for c in fits
                       if not c.dates and not c.holiday_days), (schedule.text, opening)
        sessions = {s for c in fits for s in c.sessions}
        assert set(opening.sessions) <= sessions or not opening.sessions


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_read_or_declined_never_fails(text: str) -> None:
    schedule = parse_schedule(text, today=START)
    assert schedule.status in STATUSES
    if schedule.dates_known:
        _assert_obeys(schedule)
    else:
        assert schedule.reasons and next_openings(schedule, START) == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=NOISE, max_size=30))
def test_schedule_like_noise_never_fails(text: str) -> None:
    schedule = parse_schedule(text)
    if schedule.dates_known:
        _assert_obeys(schedule)


@settings(max_examples=400, deadline=None)
@given(schedule_phrases())
def test_dates_obey_every_restriction_read(phrase: tuple[str, bool]) -> None:
    text, hedged = phrase
    schedule = parse_schedule(text, today=START)
    if hedged:
        assert not schedule.dates_known, (text, schedule)
    if schedule.dates_known:
        _assert_obeys(schedule)


@settings(max_examples=200, deadline=None)
@given(schedule_phrases())
def test_full_width_text_reads_the_same(phrase: tuple[str, bool]) -> None:
    text, _ = phrase
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and c != "~" else c for c in text)
    assert unicodedata.normalize("NFKC", wide) == unicodedata.normalize("NFKC", text)
    assert parse_schedule(wide).clauses == parse_schedule(text).clauses
