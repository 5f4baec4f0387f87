"""Participation records: the fields of one place's month, and the checks every record passes.

Staff record, for each 居場所 and month, how many took part (実人数: each person once in the
month), how many of them were 65 or older when known, how many sessions were held, the main
activity and how often the place meets. Every write path (the staff form, a CSV import) runs
:func:`check_participation`, which lists every problem of a record with its field, in
Japanese first (staff read it) and English, and never raises for bad input.

Bounds a record must keep (:data:`PARTICIPATION_LIMITS`): counts are whole numbers, not
negative; participants at most 10× the place's capacity (定員) when one is known, and at
most :data:`PARTICIPATION_LIMITS` ``["participants"]`` without; 65+ never above the
participants; sessions at most three a day; a month neither in the future nor before 2000;
the place a known, open one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from layers.errors import Problem

__all__ = [
    "ACTIVITIES",
    "CAPACITY_FACTOR",
    "COUNT_FIELDS",
    "FREQUENCIES",
    "PARTICIPATION_FIELDS",
    "PARTICIPATION_LIMITS",
    "check_capacity",
    "check_participation",
    "parse_count",
    "parse_month",
]

#: The main activity of a place's month (the categories of the city's yearly report).
ACTIVITIES = ("体操", "会食", "茶話会", "趣味活動", "認知症予防", "その他")

#: How often the place meets (the bands of the national survey of 通いの場).
FREQUENCIES = ("週1回以上", "月2回以上", "月1回以上", "それ以下")

#: The fields of a record, as the form, the CSV and the store name them.
PARTICIPATION_FIELDS = ("place_id", "month", "participants", "participants_65", "sessions",
                        "activity", "frequency")

#: The fields that are counts (whole numbers, not negative); ``participants_65`` may be empty.
COUNT_FIELDS = ("participants", "participants_65", "sessions")

#: Participants may be at most this many times the place's capacity.
CAPACITY_FACTOR = 10

#: The largest counts accepted: participants without a capacity, sessions in a month (three
#: a day), and a place's capacity.
PARTICIPATION_LIMITS: dict[str, int] = {"participants": 5000, "sessions": 93,
                                        "capacity": 2000}

_MONTH = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?")
_FIRST_MONTH = dt.date(2000, 1, 1)
_LABELS = {"place_id": "居場所", "month": "月", "participants": "参加者数",
           "participants_65": "うち65歳以上", "sessions": "開催回数", "activity": "主な活動",
           "frequency": "開催頻度", "capacity": "定員"}


def parse_count(value: Any) -> int | str | None:
    """
    A count as given in a form or a CSV cell: an int, None when empty, or the reason it is
    not a count (a ``str``).

    Full-width digits (Ｉ M E input) and thousands separators are read; fractions, signs and
    words are not.

    Examples
    --------
    >>> parse_count("１２"), parse_count("1,200"), parse_count(" "), parse_count(7)
    (12, 1200, None, 7)
    >>> parse_count("-3")
    '負の数です（negative）'
    >>> parse_count("12.5")
    '整数ではありません（not a whole number）'
    """
    if value is None or (isinstance(value, float) and value != value):  # NaN: an empty cell
        return None
    if isinstance(value, bool):
        return "数ではありません（not a number）"
    if isinstance(value, int):
        return value if value >= 0 else "負の数です（negative）"
    if isinstance(value, float):
        if not value.is_integer():
            return "整数ではありません（not a whole number）"
        return int(value) if value >= 0 else "負の数です（negative）"
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    if not text:
        return None
    if re.fullmatch(r"\d{1,9}", text):
        return int(text)
    if re.fullmatch(r"-\s*\d+(\.\d*)?", text):
        return "負の数です（negative）"
    if re.fullmatch(r"\d+\.\d*", text):
        return int(float(text)) if float(text).is_integer() else \
            "整数ではありません（not a whole number）"
    return "数ではありません（not a number）"


def parse_month(value: Any) -> str | None:
    """
    ``YYYY-MM`` of a month written ``2026-04``, ``2026/4``, ``2026.4`` or ``2026年4月``, else None.

    Examples
    --------
    >>> parse_month("2026年4月"), parse_month("２０２６/１０"), parse_month("April")
    ('2026-04', '2026-10', None)
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _MONTH.fullmatch(text)
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    return f"{year:04d}-{month:02d}"


def _problem(label: str, field: str, problem: str, fix: str, row: int | None) -> Problem:
    return Problem(label, f"{_LABELS.get(field, field)}: {problem}", row=row, field=field,
                   fix=fix)


def check_capacity(value: Any, *, label: str, row: int | None = None
                   ) -> tuple[int | None, Problem | None]:
    """
    A place's capacity (定員): a whole number from 1 to :data:`PARTICIPATION_LIMITS`
    ``["capacity"]``, or None when empty; the problem otherwise.

    Examples
    --------
    >>> check_capacity("３０", label="form")
    (30, None)
    >>> check_capacity("", label="form")
    (None, None)
    >>> check_capacity("0", label="form")[1].field
    'capacity'
    """
    parsed = parse_count(value)
    limit = PARTICIPATION_LIMITS["capacity"]
    if isinstance(parsed, str):
        return None, _problem(label, "capacity", f"{value!r} は{parsed}。",
                              "定員は1以上の整数で書いてください（例: 30）。"
                              "Write the capacity as a whole number, e.g. 30.", row)
    if parsed is not None and not 1 <= parsed <= limit:
        return None, _problem(label, "capacity", f"{parsed:,}人は範囲外です"
                              f"（1〜{limit:,}; out of range）。",
                              f"1〜{limit:,}の人数を書くか、空欄にしてください。"
                              f"Give 1 to {limit:,} people, or leave it empty.", row)
    return parsed, None


def check_participation(
    values: Mapping[str, Any],
    *,
    places: Mapping[str, int | None],
    today: dt.date,
    label: str,
    row: int | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """
    One record checked: its values as stored, and every problem with it.

    Parameters
    ----------
    values
        Keys from :data:`PARTICIPATION_FIELDS` (texts or numbers, as posted or read).
    places
        The open places a record may name: place id → its capacity (None when unknown).
    today
        The day in Japan; a month after the current one is in the future.
    label
        Names the file or form in messages (``participation.csv``, ``form``).
    row
        The row in an imported file, for messages.

    Returns
    -------
    (dict, list of Problem)
        ``place_id``, ``month`` (``YYYY-MM``), the counts (int; ``participants_65`` None
        when not known), ``activity`` and ``frequency``; and the problems (the record is
        only stored when there are none).
    """
    problems: list[Problem] = []
    for key in sorted(str(k) for k in values if k not in PARTICIPATION_FIELDS):
        problems.append(Problem(label, "is not a field of a participation record.", row=row,
                                field=key, fix=f"Use: {', '.join(PARTICIPATION_FIELDS)}."))
    record: dict[str, Any] = {}
    place_id = unicodedata.normalize("NFKC", str(values.get("place_id") or "")).strip()
    record["place_id"] = place_id
    if not place_id:
        problems.append(_problem(label, "place_id", "空欄です（empty）。",
                                 "居場所のID（例: p0012）を書いてください。Give the place id, "
                                 "e.g. p0012.", row))
    elif place_id not in places:
        problems.append(_problem(label, "place_id", f"{place_id[:40]!r} という居場所はありません"
                                 "（no open place has this id）。",
                                 "居場所の一覧でIDを確かめてください（廃止した居場所には記録"
                                 "できません）。Check the id in the list of places.", row))
    month = parse_month(values.get("month"))
    record["month"] = month or ""
    if month is None:
        shown = str(values.get("month") or "")[:40]
        problems.append(_problem(label, "month", f"{shown!r} は月として読めません"
                                 "（not a month）。",
                                 "2026-04 のように年と月を書いてください。Write the year and "
                                 "month, e.g. 2026-04.", row))
    elif month > f"{today.year:04d}-{today.month:02d}":
        problems.append(_problem(label, "month", f"{month} はまだ来ていない月です"
                                 "（in the future）。",
                                 "終わった月か今月の記録だけを入れてください。Record past months "
                                 "or this one only.", row))
    elif month < f"{_FIRST_MONTH:%Y-%m}":
        problems.append(_problem(label, "month", f"{month} は古すぎます（before 2000）。",
                                 "年を確かめてください。Check the year.", row))
    counts: dict[str, int | None] = {}
    for name in COUNT_FIELDS:
        parsed = parse_count(values.get(name))
        if isinstance(parsed, str):
            shown = str(values.get(name))[:40]
            problems.append(_problem(label, name, f"{shown!r} は{parsed}。",
                                     "0以上の整数で書いてください（例: 12）。Write a whole "
                                     "number, 0 or more, e.g. 12.", row))
            parsed = None
        elif parsed is None and name != "participants_65":
            problems.append(_problem(label, name, "空欄です（empty）。",
                                     "人数・回数を書いてください（なければ 0）。Give the count "
                                     "(0 if none).", row))
        counts[name] = parsed
    record.update(counts)
    participants, aged, sessions = (counts["participants"], counts["participants_65"],
                                    counts["sessions"])
    capacity = places.get(place_id)
    if participants is not None:
        if capacity is not None and participants > CAPACITY_FACTOR * capacity:
            problems.append(_problem(
                label, "participants", f"{participants:,}人は定員{capacity:,}人の"
                f"{CAPACITY_FACTOR}倍を超えます（more than {CAPACITY_FACTOR}× the capacity）。",
                "実人数（1か月に同じ人は1回）を書いてください。延べ人数ではありません。Count "
                "each person once a month; or correct the place's capacity.", row))
        elif participants > PARTICIPATION_LIMITS["participants"]:
            limit = PARTICIPATION_LIMITS["participants"]
            problems.append(_problem(
                label, "participants", f"{participants:,}人は多すぎます（at most {limit:,}）。",
                "実人数（1か月に同じ人は1回）を書いてください。Count each person once a "
                "month.", row))
        if aged is not None and aged > participants:
            problems.append(_problem(
                label, "participants_65", f"{aged:,}人は参加者数{participants:,}人より多い"
                "です（more than the participants）。",
                "65歳以上は参加者の内数です。Give the 65+ among the participants.", row))
    if sessions is not None:
        if sessions > PARTICIPATION_LIMITS["sessions"]:
            problems.append(_problem(
                label, "sessions", f"{sessions:,}回は1か月には多すぎます（at most "
                f"{PARTICIPATION_LIMITS['sessions']}）。", "その月に開いた回数を書いてください。"
                "Give the sessions held that month.", row))
        elif sessions == 0 and participants:
            problems.append(_problem(
                label, "sessions", "参加者がいるのに開催回数が0です（participants but no "
                "session）。", "開いた回数を書いてください。Give the sessions held.", row))
    for name, allowed in (("activity", ACTIVITIES), ("frequency", FREQUENCIES)):
        text = unicodedata.normalize("NFKC", str(values.get(name) or "")).strip()
        # NFKC turns the full-width 1 of 週1回以上 into 1, as the allowed values are written
        record[name] = text
        if text not in allowed:
            shown = repr(text[:40]) if text else "空欄（empty）"
            problems.append(_problem(label, name, f"{shown} は選べる値ではありません"
                                     "（not one of the choices）。",
                                     f"次のどれかにしてください: {'、'.join(allowed)}。"
                                     f"Use one of: {', '.join(allowed)}.", row))
    return record, problems
