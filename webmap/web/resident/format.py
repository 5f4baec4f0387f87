"""Numbers, dates and sentences of the resident page in words an older reader can use.

Minutes are rounded *up* (a walk of 3.2 minutes is said as 4: better early than late);
distances to tens of metres below 1 km and to tenths of a kilometre above; dates in the
Japanese way (12月2日（水）) or in English (Wed 2 Dec). "Now" is Japan time (UTC+9).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from layers.fields.schedule import Opening, describe_opening
from webmap.web.resident.texts import MONTH_NAMES_EN, WEEKDAY_NAMES, near_text

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
    One opening day with its hours: ``12月2日（水）10:00～12:00`` or ``Wed 2 Dec, 10:00–12:00``.

    Examples
    --------
    >>> format_opening(Opening(dt.date(2026, 12, 2), dt.time(10), dt.time(12)), "en")
    'Wed 2 Dec, 10:00–12:00'
    """
    if lang != "en":
        return describe_opening(opening)
    day = opening.date
    text = f"{WEEKDAY_NAMES['en'][day.weekday()]} {day.day} {MONTH_NAMES_EN[day.month - 1]}"
    if opening.start is not None and opening.end is not None:
        text += f", {opening.start:%H:%M}–{opening.end:%H:%M}"
    return text


def join_sentences(parts: Iterable[str], lang: str = "ja") -> str:
    """
    Sentences to read out in one go, each ended once (。 or .).

    Examples
    --------
    >>> join_sentences(["岩鼻町付近", "緯度 36.3"]), join_sentences(["Near X", "Y."], "en")
    ('岩鼻町付近。緯度 36.3。', 'Near X. Y.')
    """
    text = near_text(lang)
    end = text["sentence_end"]
    return text["sentence_join"].join(
        part if part.endswith(end) else part + end for part in parts if part)
