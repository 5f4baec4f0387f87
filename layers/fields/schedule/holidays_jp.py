"""Japanese public holidays, the year-end break and where a day falls in its month.

Public holidays (振替休日 and 国民の休日 included) come from the ``holidays`` package; the
year-end break (年末年始) is 29 December to 3 January, as municipal halls close.

Examples
--------
>>> holiday_name(dt.date(2026, 11, 23)), holiday_name(dt.date(2026, 9, 22))
('勤労感謝の日', '国民の休日')
>>> is_year_end(dt.date(2026, 12, 29)), is_year_end(dt.date(2027, 1, 4))
(True, False)
>>> occurrence(dt.date(2026, 12, 16)), is_last_of_month(dt.date(2026, 12, 30))
(3, True)
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from holidays import country_holidays

__all__ = [
    "YEAR_END_NAME",
    "holiday_name",
    "is_holiday",
    "is_last_of_month",
    "is_year_end",
    "occurrence",
]

#: How the year-end break (12/29–1/3) is named in labels and reasons.
YEAR_END_NAME = "年末年始"


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> dict[dt.date, str]:
    return dict(country_holidays("JP", years=year, language="ja").items())


def holiday_name(day: dt.date) -> str | None:
    """The Japanese name of the public holiday on ``day``, or None."""
    return _holidays_of(day.year).get(day)


def is_holiday(day: dt.date) -> bool:
    """True on a Japanese public holiday (including 振替休日)."""
    return holiday_name(day) is not None


def is_year_end(day: dt.date) -> bool:
    """True from 29 December to 3 January (年末年始)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def occurrence(day: dt.date) -> int:
    """Which of its weekday in the month ``day`` is: 1 for the first Wednesday, up to 5."""
    return (day.day - 1) // 7 + 1


def is_last_of_month(day: dt.date) -> bool:
    """True when ``day`` is the last of its weekday in the month (最終水曜日 …)."""
    return (day + dt.timedelta(days=7)).month != day.month
