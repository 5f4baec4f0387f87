"""What staff are told about schedules before residents see them: each declined or partly
read schedule of a file of places, as a warning naming its row and the reason.

Examples
--------
>>> [p.problem for p in schedule_problems(["毎月第2土曜日", "原則第2土曜日"], [2, 3],
...                                       path="places.csv", field="schedule")]
['日程「原則第2土曜日」は日付にしません：「原則」：日程が変わることがあるため、日付を出しません']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from layers.errors import Problem, Severity
from layers.fields.schedule.read import japan_today, parse_schedule

__all__ = ["schedule_problems"]

_FIX_DECLINED = ("住民には原文と「日程は主催者にご確認ください」を表示します。"
                 "日付を出すには、「毎月第2水曜日 10時～12時（祝日を除く）」"
                 "のように決まった日だけを書いてください。")
_FIX_PARTIAL = ("日付は時刻なしで表示します。"
                "時刻は「午後1時半～3時」「13:30～15:00」のように書いてください。")


def schedule_problems(texts: Iterable[object], rows: Iterable[int], *, path: Path | str,
                      field: str, today: dt.date | None = None) -> list[Problem]:
    """
    A warning for every schedule of ``texts`` that is declined, irregular or only partly read.

    Parameters
    ----------
    texts
        The schedules as written, one per place (empty ones are skipped).
    rows
        Each place's row, as the file's problems name it.
    path, field
        The file and its schedule column, for the messages.
    today
        The day periods are compared with (default: today in Japan).
    """
    today = today or japan_today()
    problems = []
    for text, row in zip(texts, rows, strict=True):
        written = "" if text is None or text != text else str(text).strip()  # NaN: no text
        if not written:
            continue
        schedule = parse_schedule(written, today=today)
        if schedule.status == "read":
            continue
        reasons = "、".join(schedule.reasons)
        if schedule.status == "partial":
            problem, fix = f"日程「{written}」は時刻を読みません：{reasons}", _FIX_PARTIAL
        else:
            problem, fix = f"日程「{written}」は日付にしません：{reasons}", _FIX_DECLINED
        problems.append(Problem(path, problem, row=row, field=field, fix=fix,
                                severity=Severity.WARNING))
    return problems
