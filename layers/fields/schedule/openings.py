"""The days a read schedule is open, day by day from a given date.

Every day is tested against every clause (weekday, n-th weekday, day of the month, dates,
months, exclusions, the period); public holidays and the year-end break then follow the
clause: skipped, moved, shown, or shown with a note to check.

Examples
--------
>>> from layers.fields.schedule import parse_schedule
>>> s = parse_schedule("第2・4月曜日 10時～12時（祝日の場合は翌週）")
>>> [(o.date.isoformat(), o.moved_from) for o in next_openings(s, dt.date(2027, 1, 1), count=2)]
[('2027-01-18', datetime.date(2027, 1, 11)), ('2027-01-25', None)]
"""

from __future__ import annotations

import datetime as dt

from layers.fields.schedule.holidays_jp import (
    YEAR_END_NAME,
    holiday_name,
    is_last_of_month,
    is_year_end,
    occurrence,
)
from layers.fields.schedule.model import Clause, Opening, Schedule, Session

__all__ = ["next_openings"]

_SHIFT_DAYS = {"next_week": 7, "next_day": 1, "previous_day": -1}


def _in_range(day: dt.date, first: tuple[int, int], last: tuple[int, int]) -> bool:
    key = (day.month, day.day)
    if first <= last:
        return first <= key <= last
    return key >= first or key <= last  # 12/31~1/3


def _matches(schedule: Schedule, clause: Clause, day: dt.date) -> bool:
    if schedule.valid_from and day < schedule.valid_from:
        return False
    if schedule.valid_until and day > schedule.valid_until:
        return False
    if day.month not in clause.months:
        return False
    weekday = day.weekday()
    last_day = (day + dt.timedelta(days=1)).month != day.month
    nth = occurrence(day)
    last = is_last_of_month(day)
    if not (clause.daily or weekday in clause.weekdays or day in clause.dates
            or day.day in clause.monthdays or (last_day and -1 in clause.monthdays)
            or (nth, weekday) in clause.nth or (last and (-1, weekday) in clause.nth)
            or (clause.holiday_days and holiday_name(day) is not None)):
        return False
    if weekday in schedule.excluded_weekdays:
        return False
    excluded = schedule.excluded_nth
    if {(nth, weekday), (nth, None)} & excluded:
        return False
    if last and {(-1, weekday), (-1, None)} & excluded:
        return False
    return not any(_in_range(day, first, end) for first, end in schedule.excluded_ranges)


def _check_note(clause: Clause, day: dt.date) -> str:
    """The holiday name (or 年末年始) to check on ``day``, or ""."""
    name = holiday_name(day)
    if name and clause.holidays == "flag":
        return name
    if is_year_end(day) and clause.year_end == "flag" and not (name and clause.holidays == "open"):
        return YEAR_END_NAME
    return ""


def _place(clause: Clause, day: dt.date) -> tuple[dt.date, str, dt.date | None] | None:
    """Where the opening of ``day`` under ``clause`` lands: (date, note, moved from) or None."""
    if clause.dates or (clause.holiday_days and holiday_name(day)):
        return day, "", None
    name = holiday_name(day)
    if (name and clause.holidays == "off") or (is_year_end(day) and clause.year_end == "off"):
        return None
    if name and clause.holidays in _SHIFT_DAYS:
        moved = day + dt.timedelta(days=_SHIFT_DAYS[clause.holidays])
        return moved, holiday_name(moved) or "", day
    return day, _check_note(clause, day), None


def next_openings(schedule: Schedule, after: dt.date, *, count: int = 3,
                  within_days: int = 400) -> list[Opening]:
    """
    The next ``count`` opening days on or after ``after`` (none when dates are unknown).

    Days the schedule does not say about (a public holiday, the year-end break) come with
    ``holiday`` set, for a note to check; days it says are off are left out.
    """
    if not schedule.dates_known:
        return []
    found: dict[dt.date, tuple[list[Session], str, dt.date | None]] = {}
    day = after - dt.timedelta(days=7)  # a meeting moved by a week can land after `after`
    last = after + dt.timedelta(days=within_days)
    while day <= last:
        for clause in schedule.clauses:
            if not _matches(schedule, clause, day):
                continue
            placed = _place(clause, day)
            if placed is None or placed[0] < after or placed[0] > last:
                continue
            date, note, moved_from = placed
            sessions, old_note, old_moved = found.get(date, ([], "", None))
            sessions.extend(s for s in clause.sessions if s not in sessions)
            found[date] = (sessions, old_note or note, old_moved or moved_from)
        ready = sorted(found)
        if len(ready) >= count and ready[count - 1] < day - dt.timedelta(days=8):
            break
        day += dt.timedelta(days=1)
    return [Opening(date, tuple(sorted(sessions, key=_session_order)), holiday=note,
                    moved_from=moved_from)
            for date, (sessions, note, moved_from) in sorted(found.items())[:count]]


def _session_order(session: Session) -> tuple[dt.time, str]:
    return session.start or dt.time(), session.part
