"""Opening schedules of places, as coordinators write them, turned into dates.

Reads what municipal lists and newsletters write: 毎月第1水曜日・第3月曜日 10:00～12:00,
第二・第四木曜日 午後1時半～3時, 火・金, 月～金と第2土曜日, 奇数月の第3日曜日, 4月～9月の毎週
水曜日, 8月は休み, 2か月に1回（4月から）, 年末年始・祝日を除く, 祝日の場合は翌週, ※3月は第2
木曜日, 令和8年6月20日(土) and dated periods, in half- or full-width characters.

Every part of the text must be read. A part that could change the dates and is not
understood (an exception, a hedge such as 原則 or 予定, "or", an ended period) declines the
schedule for dates, with the reason for staff; residents then see the text as written.
Public holidays and the year-end break follow the text: off when it says so, otherwise
shown with a note to check.

Examples
--------
>>> s = parse_schedule("毎月第1水曜日・第3月曜日 10:00～12:00")
>>> [o.date.isoformat() for o in next_openings(s, dt.date(2026, 11, 24), count=3)]
['2026-12-02', '2026-12-21', '2027-01-06']
>>> next_openings(s, dt.date(2026, 11, 24))[0].label
'12月2日（水）10:00～12:00'
>>> parse_schedule("毎月第2土曜日（予定）").reasons
('「予定」：日程が変わることがあるため、日付を出しません',)
"""

from __future__ import annotations

import datetime as dt  # noqa: F401  (the examples above use it)

from layers.fields.schedule.holidays_jp import YEAR_END_NAME
from layers.fields.schedule.model import Clause, Opening, Schedule, Session, describe_opening
from layers.fields.schedule.openings import next_openings
from layers.fields.schedule.problems import schedule_problems
from layers.fields.schedule.read import japan_today, parse_schedule

__all__ = ["YEAR_END_NAME", "Clause", "Opening", "Schedule", "Session", "describe_opening",
           "japan_today",
           "next_openings", "parse_schedule", "schedule_problems"]
