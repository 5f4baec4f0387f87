"""Numbers, dates and sentences of the resident page in words an older reader can use.

Minutes are rounded *up* (a walk of 3.2 minutes is said as 4: better early than late);
distances to tens of metres below 1 km and to tenths of a kilometre above; dates in the
Japanese way (12月2日（水）) or in English (Wed 2 Dec). "Now" is Japan time (UTC+9).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable

from babel.dates import format_date

from layers.fields.schedule import YEAR_END_NAME, Opening, Session, describe_opening
from webmap.i18n import gettext_for

__all__ = [
    "JST",
    "format_distance",
    "format_opening",
    "japan_now",
    "join_sentences",
    "round_minutes",
]

#: Japan Standard Time (no daylight saving): "today" and "now" for schedules and buses.
JST = dt.timezone(dt.timedelta(hours=9), "JST")


def japan_now(at: dt.datetime | None = None) -> dt.datetime:
    """
    ``at`` (naive values are taken as Japan time) or the current time, in Japan time.

    Examples
    --------
    >>> japan_now(dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)).isoformat()
    '2026-11-24T10:00:00+09:00'
    """
    if at is None:
        return dt.datetime.now(JST)
    if at.tzinfo is None:
        return at.replace(tzinfo=JST)
    return at.astimezone(JST)


def round_minutes(minutes: float) -> int:
    """
    Whole minutes for a walk, rounded up, at least 1.

    Examples
    --------
    >>> round_minutes(3.2), round_minutes(0.1), round_minutes(12.0)
    (4, 1, 12)
    """
    return max(1, math.ceil(round(float(minutes), 6)))


def format_distance(distance_m: float, lang: str = "ja") -> str:
    """
    A distance to read out: ``80 m``, ``240 m``, ``1.2 km`` (``lang`` only picks the decimal).

    Examples
    --------
    >>> format_distance(83), format_distance(4), format_distance(996), format_distance(1234)
    ('80 m', '10 m', '1.0 km', '1.2 km')
    """
    metres = max(10, round(float(distance_m) / 10.0) * 10)
    if metres < 1000:
        return f"{metres} m"
    return f"{metres / 1000:.1f} km"


def format_opening(opening: Opening, lang: str = "ja") -> str:
    """
    One opening day with its hours: ``12月2日（水）10:00～12:00`` or ``Wed 2 Dec, 10:00–12:00``;
    on a public holiday or in the year-end break, with a note to check it is held.

    Examples
    --------
    >>> format_opening(Opening(dt.date(2026, 12, 2), (Session(dt.time(10), dt.time(12)),)), "en")
    'Wed 2 Dec, 10:00–12:00'
    >>> format_opening(Opening(dt.date(2026, 11, 23), (Session(dt.time(13, 30)),),
    ...                        holiday="勤労感謝の日"), "en")
    'Mon 23 Nov, from 13:30 (public holiday: please check it is held)'
    """
    if lang != "en":
        return describe_opening(opening)
    text = format_date(opening.date, "EEE d MMM", locale="en")  # CLDR's names: Wed 2 Dec
    hours = [_session_en(session) for session in opening.sessions]
    if any(hours):
        text += ", " + ", ".join(hour for hour in hours if hour)
    if opening.holiday:
        _ = gettext_for("en")
        check = (_("年末年始です：開催をご確認ください") if opening.holiday == YEAR_END_NAME
                 else _("祝日です：開催をご確認ください"))
        text += f" ({check})"
    return text


def _session_en(session: Session) -> str:
    if session.start is None:
        return {"am": "morning", "pm": "afternoon"}.get(session.part, "")
    if session.end is None:
        return f"from {session.start:%H:%M}"
    return f"{session.start:%H:%M}–{session.end:%H:%M}"


def join_sentences(parts: Iterable[str], lang: str = "ja") -> str:
    """
    Sentences to read out in one go, each ended once (。 or .).

    Examples
    --------
    >>> join_sentences(["岩鼻町付近", "緯度 36.3"]), join_sentences(["Near X", "Y."], "en")
    ('岩鼻町付近。緯度 36.3。', 'Near X. Y.')
    """
    _ = gettext_for(lang)
    # Translators: the end of a sentence
    end = _("。")
    sentences = [part if part.endswith(end) else part + end for part in parts if part]
    if not sentences:
        return ""
    # Translators: two sentences read out one after the other (English puts a space between)
    pair = _("{sentence}{next}")
    return functools.reduce(lambda text, sentence: pair.format(sentence=text, next=sentence),
                            sentences)
