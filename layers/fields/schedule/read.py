"""Read a schedule text: normalise it, find its parts, put them together.

Examples
--------
>>> parse_schedule("第2・4金曜日 午後4:30~午後7:30").status
'read'
>>> parse_schedule("令和7年7月16日(水)", today=dt.date(2026, 1, 1)).reasons
('書かれた日付（最後は2025年7月16日）は過ぎています',)
"""

from __future__ import annotations

import datetime as dt

from layers.fields.schedule.assemble import assemble
from layers.fields.schedule.model import Schedule
from layers.fields.schedule.reading import recognise
from layers.fields.schedule.text import normalise

__all__ = ["japan_today", "parse_schedule"]

_JST = dt.timezone(dt.timedelta(hours=9), "JST")


def japan_today() -> dt.date:
    """Today in Japan (UTC+9), the day a schedule's period is compared with."""
    return dt.datetime.now(_JST).date()


def parse_schedule(text: str | None, *, today: dt.date | None = None) -> Schedule:
    """
    Read a schedule text.

    Never raises: a text that cannot be read gives ``dates_known = False`` with the
    reasons in Japanese, and the pages show the text as written.

    Parameters
    ----------
    text
        The schedule as written (any width, kanji or digits).
    today
        When given, a schedule whose period or one-off dates are all before it is declined
        as ended. Without it, such a schedule simply has no next opening.
    """
    original = (text or "").strip()
    if not original:
        return Schedule(text="", status="empty", reasons=("日程が書かれていません",))
    norm = normalise(original)
    return assemble(original, norm, recognise(norm), today=today)
