"""Opening schedules of places, as coordinators write them, turned into dates.

Handles what Japanese newsletters write: 毎月第1水曜日・第3月曜日 10:00～12:00, 第2・第4土曜日,
毎週火曜日, 毎週月・木曜日, 毎月15日, 毎日, 平日, with times (10:00～12:00, 10時～12時) in half-
or full-width characters. Schedules that give no dates (不定期, 毎月1回, 要問合せ) parse to a
schedule with ``dates_known = False`` and a Japanese note, never to invented dates.

Examples
--------
>>> s = parse_schedule("毎月第1水曜日・第3月曜日 10:00～12:00")
>>> [o.date.isoformat() for o in next_openings(s, dt.date(2026, 11, 24), count=3)]
['2026-12-02', '2026-12-21', '2027-01-06']
>>> next_openings(s, dt.date(2026, 11, 24))[0].label
'12月2日（水）10:00～12:00'
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from dateutil import rrule

__all__ = ["Opening", "Schedule", "describe_opening", "next_openings", "parse_schedule"]

WEEKDAY_CHARS = "月火水木金土日"
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)

_TIME = re.compile(r"(\d{1,2})(?::(\d{2})|時(?:(\d{1,2})分?)?)\s*[~〜\-ー－から]+\s*"
                   r"(\d{1,2})(?::(\d{2})|時(?:(\d{1,2})分?)?)")
_NTH_WEEKDAY = re.compile(rf"((?:第?\d[・、,と]?)+)\s*([{WEEKDAY_CHARS}])曜?日?")
_WEEKLY = re.compile(rf"毎週\s*((?:[{WEEKDAY_CHARS}](?:曜日?)?[・、,と]?)+)")
_MONTH_DAY = re.compile(r"毎月\s*((?:\d{1,2}日?[・、,と]?)+)日")
_IRREGULAR = ("不定期", "随時", "要問合せ", "要問い合わせ", "未定", "検討中")


@dataclass(frozen=True)
class Opening:
    """One day a place is open, with its hours when the schedule gives them."""

    date: dt.date
    start: dt.time | None = None
    end: dt.time | None = None

    @property
    def label(self) -> str:
        return describe_opening(self)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: recurrence rules (dateutil rrules) and hours."""

    text: str
    rules: tuple[dict, ...] = ()
    start: dt.time | None = None
    end: dt.time | None = None
    #: False when the text gives no dates (不定期, 毎月1回 …): the place says when.
    dates_known: bool = False
    irregular: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def note(self) -> str:
        """A Japanese note for residents when dates cannot be given."""
        if self.dates_known:
            return ""
        if self.irregular:
            return "不定期開催：日程は連絡先にお問い合わせください"
        if self.text:
            return f"{self.text}（日程は連絡先にお問い合わせください）"
        return "日程の情報がありません"


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").replace("〜", "~").strip()


def _weekdays(text: str) -> list[int]:
    text = text.replace("曜日", "").replace("曜", "")  # the 日 of 曜日 is not Sunday
    return [WEEKDAY_CHARS.index(c) for c in text if c in WEEKDAY_CHARS]


def parse_schedule(text: str | None) -> Schedule:
    """
    Parse a schedule text into recurrence rules and hours.

    Never raises: text it cannot read gives ``dates_known = False`` (and the map shows the
    text as written).
    """
    original = (text or "").strip()
    norm = _normalise(original)
    start = end = None
    time_match = _TIME.search(norm)
    if time_match:
        h1, m1, m1b, h2, m2, m2b = time_match.groups()
        try:
            start = dt.time(int(h1), int(m1 or m1b or 0))
            end = dt.time(int(h2), int(m2 or m2b or 0))
        except ValueError:
            start = end = None
        norm = norm[:time_match.start()] + norm[time_match.end():]

    rules: list[dict] = []
    if "毎日" in norm:
        rules.append({"freq": rrule.DAILY})
    elif re.search(r"平日", norm) and not _WEEKLY.search(norm):
        rules.append({"freq": rrule.WEEKLY, "byweekday": _RRULE_DAYS[:5]})
    for match in _WEEKLY.finditer(norm):
        days = _weekdays(match.group(1))
        if days:
            rules.append({"freq": rrule.WEEKLY, "byweekday": [_RRULE_DAYS[d] for d in days]})
    if not any(r["freq"] == rrule.WEEKLY for r in rules) and "毎週" not in norm:
        for match in _NTH_WEEKDAY.finditer(norm):
            nths = [int(n) for n in re.findall(r"\d", match.group(1))]
            if not nths or "第" not in match.group(1):
                continue
            weekday = _RRULE_DAYS[WEEKDAY_CHARS.index(match.group(2))]
            rules.append({"freq": rrule.MONTHLY,
                          "byweekday": [weekday(n) for n in nths if 1 <= n <= 5]})
    for match in _MONTH_DAY.finditer(norm):
        days = [int(d) for d in re.findall(r"\d{1,2}", match.group(1)) if 1 <= int(d) <= 31]
        if days:
            rules.append({"freq": rrule.MONTHLY, "bymonthday": days})
    irregular = any(word in norm for word in _IRREGULAR)
    return Schedule(text=original, rules=tuple(rules), start=start, end=end,
                    dates_known=bool(rules), irregular=irregular and not rules)


def next_openings(schedule: Schedule, after: dt.date, *, count: int = 3,
                  within_days: int = 400) -> list[Opening]:
    """
    The next ``count`` opening days on or after ``after`` (none when dates are unknown).

    Public holidays are not skipped: schedules rarely say, so residents are told to check.
    """
    if not schedule.dates_known:
        return []
    start = dt.datetime.combine(after, dt.time())
    until = start + dt.timedelta(days=within_days)
    dates: set[dt.date] = set()
    for rule in schedule.rules:
        for n, moment in enumerate(rrule.rrule(dtstart=start, until=until, **rule), start=1):
            dates.add(moment.date())
            if n >= count:
                break
    return [Opening(day, schedule.start, schedule.end) for day in sorted(dates)[:count]]


def describe_opening(opening: Opening) -> str:
    """Japanese label: 12月2日（水）10:00～12:00."""
    day = opening.date
    text = f"{day.month}月{day.day}日（{WEEKDAY_CHARS[day.weekday()]}）"
    if opening.start is not None and opening.end is not None:
        text += f"{opening.start:%H:%M}～{opening.end:%H:%M}"
    return text
