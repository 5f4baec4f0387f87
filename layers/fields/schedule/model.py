"""What a schedule says once read: sessions, clauses, the schedule and its opening days.

A :class:`Schedule` is a set of :class:`Clause` (one kind of day each: weekly, the n-th
weekday of the month, days of the month, dates) with the months they hold in, their
hours and what happens on public holidays. Everything is plain frozen data, so that the
reading can be shown to staff as it is and tested against the text's own restrictions.

Examples
--------
>>> opening = Opening(dt.date(2026, 11, 23), (Session(dt.time(10), dt.time(11)),),
...                   holiday="勤労感謝の日")
>>> opening.label
'11月23日（月）10:00～11:00（祝日です：開催をご確認ください）'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from layers.fields.schedule.holidays_jp import YEAR_END_NAME

__all__ = [
    "ALL_MONTHS",
    "HOLIDAY_POLICIES",
    "STATUSES",
    "WEEKDAY_CHARS",
    "Clause",
    "Opening",
    "Schedule",
    "Session",
    "describe_opening",
]

#: 月 … 日, Monday first (``datetime.date.weekday()``).
WEEKDAY_CHARS = "月火水木金土日"
ALL_MONTHS: frozenset[int] = frozenset(range(1, 13))
#: What a clause does on a public holiday: shown with a note to check (``flag``), skipped
#: (``off``), shown as usual (``open``), or moved (``next_week``, ``next_day``,
#: ``previous_day``).
HOLIDAY_POLICIES = ("flag", "off", "open", "next_week", "next_day", "previous_day")
#: ``read``: dates (and hours) known; ``partial``: dates known, hours not; ``declined``: some
#: part could change the dates and is not understood; ``irregular``: no fixed days by
#: design (不定期, 随時 …); ``empty``: no text.
STATUSES = ("read", "partial", "declined", "irregular", "empty")

_HOLIDAY_CHECK = "祝日です：開催をご確認ください"
_YEAR_END_CHECK = "年末年始です：開催をご確認ください"


@dataclass(frozen=True, order=True)
class Session:
    """One sitting in a day: its start and end (either may be unknown), or just 午前/午後."""

    start: dt.time | None = None
    end: dt.time | None = None
    #: "am" or "pm" when the text gives only the half of the day (午前, 午後).
    part: str = ""

    @property
    def label(self) -> str:
        """``10:00～12:00``, ``13:30～`` or ``午後``."""
        if self.start is None:
            return {"am": "午前", "pm": "午後"}.get(self.part, "")
        return f"{self.start:%H:%M}～" + (f"{self.end:%H:%M}" if self.end is not None else "")


@dataclass(frozen=True)
class Clause:
    """One kind of opening day, with the months it holds in and its hours."""

    #: Every week on these weekdays (0 = Monday).
    weekdays: frozenset[int] = frozenset()
    #: ``(n, weekday)``: the n-th such weekday of the month, n = -1 for the last.
    nth: frozenset[tuple[int, int]] = frozenset()
    #: Days of the month, -1 for the last day (末日).
    monthdays: frozenset[int] = frozenset()
    #: One-off dates.
    dates: frozenset[dt.date] = frozenset()
    daily: bool = False
    #: Public holidays are opening days too (土日祝).
    holiday_days: bool = False
    months: frozenset[int] = ALL_MONTHS
    sessions: tuple[Session, ...] = ()
    #: One of :data:`HOLIDAY_POLICIES`.
    holidays: str = "flag"
    #: The year-end break (12/29–1/3): ``flag``, ``off`` or ``open``.
    year_end: str = "flag"


@dataclass(frozen=True)
class Opening:
    """One day a place is open, with its sessions when the schedule gives them."""

    date: dt.date
    sessions: tuple[Session, ...] = ()
    #: The holiday's name (or 年末年始) when the schedule does not say whether it is held.
    holiday: str = ""
    #: The usual day, when a public holiday moved the meeting (祝日の場合は翌週 …).
    moved_from: dt.date | None = None

    @property
    def start(self) -> dt.time | None:
        """The first session's start, if known."""
        return self.sessions[0].start if self.sessions else None

    @property
    def end(self) -> dt.time | None:
        """The last session's end, if known."""
        return self.sessions[-1].end if self.sessions else None

    @property
    def label(self) -> str:
        """Japanese label, see :func:`describe_opening`."""
        return describe_opening(self)


@dataclass(frozen=True)
class Schedule:
    """A schedule text and how it was read."""

    text: str
    clauses: tuple[Clause, ...] = ()
    #: One of :data:`STATUSES`.
    status: str = "empty"
    #: Why the text is declined or only partly read, in Japanese for staff.
    reasons: tuple[str, ...] = ()
    excluded_weekdays: frozenset[int] = frozenset()
    #: ``(n, weekday or None)``: the n-th weekday (or the n-th week) is off; n = -1: the last.
    excluded_nth: frozenset[tuple[int, int | None]] = frozenset()
    #: Yearly ranges that are off, as ``((month, day), (month, day))``.
    excluded_ranges: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dates_known(self) -> bool:
        """True when the text gives dates that can be shown (``read`` or ``partial``)."""
        return self.status in ("read", "partial")

    @property
    def irregular(self) -> bool:
        """True when the text says there are no fixed days (不定期, 随時 …)."""
        return self.status == "irregular"

    @property
    def start(self) -> dt.time | None:
        """The first clause's first start time (kept for callers of the one-time reading)."""
        for clause in self.clauses:
            if clause.sessions:
                return clause.sessions[0].start
        return None

    @property
    def end(self) -> dt.time | None:
        """The first clause's last end time."""
        for clause in self.clauses:
            if clause.sessions:
                return clause.sessions[-1].end
        return None

    @property
    def note(self) -> str:
        """A Japanese sentence for residents when no dates are shown ("" when they are)."""
        if self.dates_known:
            return ""
        if self.irregular:
            return "不定期開催です。日程は主催者にご確認ください"
        if self.text:
            return "日程は主催者にご確認ください"
        return "日程の情報がありません"


def describe_opening(opening: Opening) -> str:
    """
    Japanese label: ``12月2日（水）10:00～12:00``, with a note to check on a holiday.

    Examples
    --------
    >>> describe_opening(Opening(dt.date(2026, 12, 2), (Session(dt.time(10), dt.time(12)),)))
    '12月2日（水）10:00～12:00'
    >>> describe_opening(Opening(dt.date(2026, 12, 29), (Session(dt.time(13, 30)),),
    ...                          holiday="年末年始"))
    '12月29日（火）13:30～（年末年始です：開催をご確認ください）'
    """
    day = opening.date
    text = f"{day.month}月{day.day}日（{WEEKDAY_CHARS[day.weekday()]}）"
    text += "、".join(session.label for session in opening.sessions if session.label)
    if opening.holiday:
        check = _YEAR_END_CHECK if opening.holiday == YEAR_END_NAME else _HOLIDAY_CHECK
        text += f"（{check}）"
    return text
