"""The days buses run, and a bus timetable as routing uses it (from GTFS or rebuilt trips).

A :class:`BusTimetable` is a :class:`geo.transit.timetable.Timetable` (stops, trips, stop times as
arrays), the :class:`ServiceCalendar` that says which trips run on a date, and what was
learnt while reading it: whether its trips are estimates (推定, rebuilt from per-stop
timetables) and the problems found, each naming file and row.

Days follow two conventions. A GTFS calendar (``calendar.txt`` + ``calendar_dates.txt``)
names weekdays within a period plus dates added or removed; Japanese feeds remove public
holidays from weekday services through ``calendar_dates.txt``, so the calendar alone decides.
A ぐるりん day mark (平日のみ, 土日祝, 毎日, 火木金) has no dates: the weekday decides, except on
Japanese public holidays (the ``holidays`` package, 振替休日 included), when the mark's
holiday rule does.

Examples
--------
>>> weekdays = ServiceDays(weekdays=frozenset(range(5)), holidays=False)
>>> [weekdays.runs_on(dt.date(2026, 11, day)) for day in (20, 21, 23)]  # Fri, Sat, 勤労感謝の日
[True, False, False]
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geo.transit.timetable import Timetable
from layers.errors import Problem, Severity
from layers.files.timetable import day_type

logger = logging.getLogger(__name__)
__all__ = ["BusTimetable", "ServiceCalendar", "ServiceDays", "TimetableDay", "japanese_date",
           "warning"]


@dataclass(frozen=True)
class ServiceDays:
    """The days one service (a GTFS ``service_id`` or a day mark) runs."""

    #: Weekdays it runs on (Monday = 0) when the day is not otherwise decided.
    weekdays: frozenset[int]
    #: On Japanese public holidays: True runs, False does not, None: the weekday decides
    #: (GTFS, whose ``calendar_dates.txt`` lists the holiday exceptions itself).
    holidays: bool | None = None
    #: First and last day (GTFS ``start_date``/``end_date``); None: no limit.
    start: dt.date | None = None
    end: dt.date | None = None
    #: Dates added and removed (GTFS ``calendar_dates.txt`` exception types 1 and 2).
    added: frozenset[dt.date] = frozenset()
    removed: frozenset[dt.date] = frozenset()
    #: What riders read (平日のみ, 土日祝 …), or the feed's service_id.
    label: str = ""

    def runs_on(self, date: dt.date) -> bool:
        """Whether the service runs on ``date``."""
        if date in self.removed:
            return False
        if date in self.added:
            return True
        if (self.start is not None and date < self.start) or (
                self.end is not None and date > self.end):
            return False
        if self.holidays is not None and day_type(date) == "holiday":
            return self.holidays
        return date.weekday() in self.weekdays

    @property
    def period(self) -> tuple[dt.date, dt.date] | None:
        """First and last day it may run (None when it has no dates)."""
        firsts = [day for day in (self.start, *self.added) if day is not None]
        lasts = [day for day in (self.end, *self.added) if day is not None]
        if self.start is None and self.end is None and not self.added:
            return None
        return (min(firsts) if firsts else dt.date.min, max(lasts) if lasts else dt.date.max)


@dataclass(frozen=True)
class TimetableDay:
    """The date whose timetable answers a question about ``asked`` (often the same)."""

    asked: dt.date
    used: dt.date
    #: Japanese note when ``used`` differs from ``asked`` (the feed's period has ended …).
    note: str = ""


@dataclass(frozen=True)
class ServiceCalendar:
    """Every service of a timetable; ``Timetable.trip_service`` indexes ``services``."""

    services: tuple[ServiceDays, ...]

    def running(self, date: dt.date) -> np.ndarray:
        """One bool per service: does it run on ``date``?"""
        return np.array([service.runs_on(date) for service in self.services], dtype=bool)

    @property
    def period(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day any service runs, or None when no service has dates."""
        periods = [service.period for service in self.services]
        dated = [period for period in periods if period is not None]
        if not dated or len(dated) < len(periods):
            return None
        return min(first for first, _ in dated), max(last for _, last in dated)

    def day_for(self, date: dt.date) -> TimetableDay:
        """
        The date whose trips stand for ``date``.

        ``date`` itself when the calendar covers it; otherwise the last date in the
        calendar's period of the same kind (the same weekday, a public holiday for a public
        holiday), with a note saying so: an old feed still tells how the buses ran.
        """
        period = self.period
        if period is None or period[0] <= date <= period[1]:
            return TimetableDay(date, date)
        first, last = period
        kind = day_type(date)
        wanted_weekday = date.weekday()
        day = min(last, first + dt.timedelta(days=3660))
        while day >= first:
            same_kind = day_type(day) == kind
            if same_kind and (kind == "holiday" or day.weekday() == wanted_weekday):
                note = (f"時刻表の期間（{japanese_date(first)}～{japanese_date(last)}）外のため、"
                        f"{japanese_date(day)}の時刻で推定")
                return TimetableDay(date, day, note)
            day -= dt.timedelta(days=1)
        return TimetableDay(date, date, "時刻表の期間外です")


@dataclass(frozen=True, eq=False)
class BusTimetable:
    """A timetable ready for routing, its calendar and what was found reading it."""

    timetable: Timetable
    calendar: ServiceCalendar
    #: Where it came from (file names), for messages and pages.
    source: str
    #: True when trips were rebuilt from per-stop timetables (results are 推定).
    estimated: bool
    #: Warnings: what was skipped and why, each naming file and row.
    problems: list[Problem] = field(default_factory=list)
    #: How the trips were rebuilt (None for a feed's real trips): counts of departures.
    rebuild: dict[str, int] | None = None

    def running_trips(self, date: dt.date) -> np.ndarray:
        """One bool per trip: does it run on ``date``?"""
        return self.calendar.running(date)[self.timetable.trip_service]

    @property
    def skipped(self) -> list[str]:
        """One line per warning, to show beside results (what was left out and why)."""
        return [str(problem) for problem in self.problems]


def japanese_date(date: dt.date) -> str:
    """
    ``2019年4月23日``.

    Examples
    --------
    >>> japanese_date(dt.date(2019, 4, 23))
    '2019年4月23日'
    """
    return f"{date.year}年{date.month}月{date.day}日"


def warning(path: Path | str, problem: str, *, row: int | None = None,
            field: str | None = None, fix: str = "") -> Problem:
    """A warning about a timetable file (what was skipped is still reported)."""
    return Problem(path, problem, row=row, field=field, fix=fix, severity=Severity.WARNING)
