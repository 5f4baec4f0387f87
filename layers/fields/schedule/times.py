"""Hours as people write them: 10:00~12:00, 午後1時半から3時, 9~12時, 13時半~, ①10時~ ②13時~.

A group of sessions is read into :class:`~layers.fields.schedule.model.Session` values.
Hours that could be morning or afternoon (「1時半から4時」 without 午前/午後) are not guessed:
the group is read without hours and says why, so dates can still be shown.

Examples
--------
>>> [s.label for s in read_time_group("午後1時半~3時").sessions]
['13:30～15:00']
>>> [s.label for s in read_time_group("◆10時~ ◆13時~").sessions]
['10:00～', '13:00～']
>>> read_time_group("1時半から4時まで").notes
('時刻「1時半から4時まで」が午前か午後か分かりません（日付だけ表示します）',)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from layers.fields.schedule.model import Session
from layers.fields.schedule.text import SESSION_MARK

__all__ = ["TIME_GROUP", "TimeGroup", "read_time_group"]

_AM = ("午前", "朝", "AM", "am")
_PM = ("午後", "夜", "夕方", "PM", "pm")
_AP = "午前|午後|朝|夜|夕方|AM|PM|am|pm"
_ABOUT = r"(?:\s*(?:頃|ごろ|ころ))?"


def _point(name: str) -> str:
    return (rf"(?:(?P<{name}ap>{_AP})\s*)?(?:(?P<{name}h>\d{{1,2}})\s*"
            rf"(?::\s*(?P<{name}m>\d{{2}})|時\s*(?:(?P<{name}mm>\d{{1,2}})\s*分|(?P<{name}half>半))?)"
            rf"|(?P<{name}noon>正午)){_ABOUT}")


# "9~12時": a bare hour that takes its unit (and 午前/午後) from the end of the range
def _bare(name: str) -> str:
    return (rf"(?:(?P<{name}bap>{_AP})\s*)?(?P<{name}bh>\d{{1,2}})"
            rf"(?=\s*~\s*(?:(?:{_AP})\s*)?\d{{1,2}}\s*時)")


# the end of a range is not the start of the next one: 受付9:30~ 10:00~12:00
_NOT_A_START = r"(?!\s*(?:~|から))"
_PLAIN_POINT = re.sub(r"\(\?P<\w+>", "(?:", _point("x"))
_PLAIN_BARE = re.sub(r"\(\?P<\w+>", "(?:", _bare("x"))
_PLAIN_SESSION = (rf"(?:(?:受付\s*)?(?:{_PLAIN_BARE}|{_PLAIN_POINT})"
                  rf"(?:\s*(?:~|から|より)\s*(?:{_PLAIN_POINT}{_NOT_A_START})?(?:\s*まで)?|\s*(?:以降|より|から))?"
                  rf"|~\s*{_PLAIN_POINT}(?:\s*まで)?|午前中|午前|午後)")
_MARK = rf"(?:{SESSION_MARK}|\(\d\))"
#: A run of sessions: what :func:`read_time_group` reads.
TIME_GROUP = re.compile(
    rf"(?:{_MARK}\s*)?{_PLAIN_SESSION}"
    rf"(?:(?:\s*(?:[、,/・]|と|及び|および))*\s*(?:{_MARK}\s*)?{_PLAIN_SESSION})*")

_SESSION = re.compile(
    rf"(?P<reception>受付\s*)?(?:(?:{_bare('s')}|{_point('s')})"
    rf"(?:\s*(?P<rng>~|から|より)\s*(?:{_point('e')}{_NOT_A_START})?(?:\s*まで)?|\s*(?P<open>以降|より|から))?"
    rf"|~\s*(?:{_point('o')})(?:\s*まで)?|(?P<part>午前中|午前|午後))")


@dataclass(frozen=True)
class TimeGroup:
    """The sessions of one group of hours, or why its hours are not shown."""

    sessions: tuple[Session, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Point:
    hour: int
    minute: int
    ap: str  # "am", "pm", "noon" or ""

    def resolved(self, ap: str) -> tuple[int, int] | None:
        """(hour, minute) on the 24-hour clock under ``ap``; None when it cannot be told."""
        if self.ap == "noon":
            return 12, 0
        if ap == "pm":
            if self.hour == 12:
                return None  # 午後12時: noon or midnight
            return (self.hour + 12, self.minute) if self.hour < 12 else None
        if ap == "am":
            return (self.hour, self.minute) if self.hour <= 12 else None
        if self.hour >= 8:
            return self.hour, self.minute
        return None  # 1時~7時 without 午前/午後 (or the 24-hour clock): not guessed


def _ap_of(word: str | None) -> str:
    if word in _AM:
        return "am"
    if word in _PM:
        return "pm"
    return ""


def _read_point(match: re.Match[str], name: str) -> _Point | None:
    groups = match.groupdict()
    if groups.get(f"{name}noon"):
        return _Point(12, 0, "noon")
    hour = groups.get(f"{name}h") or groups.get(f"{name}bh")
    if hour is None:
        return None
    minute = groups.get(f"{name}m") or groups.get(f"{name}mm") or (
        "30" if groups.get(f"{name}half") else "0")
    half_of_day = groups.get(f"{name}ap") or groups.get(f"{name}bap")
    return _Point(int(hour), int(minute), _ap_of(half_of_day))


def _clock(value: tuple[int, int] | None) -> dt.time | None:
    if value is None:
        return None
    hour, minute = value
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return dt.time(hour, minute)


def _range(start: _Point, end: _Point) -> tuple[dt.time, dt.time] | None:
    """A start and end on the 24-hour clock, or None when 午前/午後 cannot be told."""
    start_ap, end_ap = start.ap, end.ap
    if start_ap and not end_ap:
        end_ap = "am" if start_ap == "noon" else start_ap
        if start_ap == "am" and end.hour == 12:
            end_ap = "noon-hour"
    elif end_ap and not start_ap:
        start_ap = "am" if end_ap == "noon" else end_ap
    if end_ap == "noon-hour":
        end_value: tuple[int, int] | None = (12, end.minute)
    elif start.ap == "noon" and not end.ap:
        end_value = end.resolved("pm") if end.hour < 12 else end.resolved("")
    else:
        end_value = end.resolved(end_ap)
    start_value = start.resolved(start_ap)
    if not start.ap and not end.ap and start_value and end_value is None and end.hour <= 7:
        end_value = end.resolved("pm")  # 10時~2時: the afternoon
    if not start.ap and end.ap and start_value is None:
        start_value = start.resolved(end.ap)
    begin, finish = _clock(start_value), _clock(end_value)
    if begin is None or finish is None or finish <= begin:
        return None
    return begin, finish


def _read_session(match: re.Match[str]) -> Session | str | None:
    """A session, None to skip (a reception time), or "?" when its hours cannot be told."""
    if match.group("reception"):
        return None
    if match.group("part"):
        return Session(part="am" if match.group("part").startswith("午前") else "pm")
    if match.group("oh") or match.group("onoon"):
        return "?"  # only an end: not shown
    start = _read_point(match, "s")
    if start is None:
        return "?"
    end = _read_point(match, "e")
    if end is not None:
        hours = _range(start, end)
        return Session(*hours) if hours else "?"
    begin = _clock(start.resolved(start.ap))
    return Session(begin) if begin else "?"


def read_time_group(text: str) -> TimeGroup:
    """Read a group of sessions matched by :data:`TIME_GROUP`."""
    sessions: list[Session] = []
    for match in _SESSION.finditer(text):
        session = _read_session(match)
        if session == "?":
            why = f"時刻「{text.strip()}」が午前か午後か分かりません（日付だけ表示します）"
            return TimeGroup((), (why,))
        if isinstance(session, Session) and session not in sessions:
            sessions.append(session)
    return TimeGroup(tuple(sorted(sessions, key=lambda s: (s.start or dt.time(), s.part))))
