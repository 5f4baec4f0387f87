"""Evaluate the schedule reading on a table of real-style phrases (tests/data/schedule_phrases.csv).

Usage::

    .venv/bin/python scripts/eval_schedules.py [--table tests/data/schedule_phrases.csv]
                                               [--start 2026-01-01] [--verbose]

Each row gives a phrase, its source and what it should read as over twelve months from
``--start``: ``declined``, or a compact rule that this script turns into dates itself (day by
day, with the ``holidays`` package), independently of the parser. Outcomes:

- ``read_right``: the same dates, hours and holiday notes;
- ``declined_right``: declined, and it should be (a hedge, "or", no fixed days, ended …);
- ``declined_clear``: declined although the dates were clear;
- ``wrong_dates``: a date differs (or dates were given for a phrase that should be declined);
- ``wrong_times``: the dates are right but an hour differs;
- ``time_missing``: the dates are right but hours that should be read are not;
- ``wrong_notes``: the dates and hours are right but a holiday note differs.

Targets: 0 wrong dates, 0 wrong times, at least 90 % read right or declined right, at most 5 %
of the phrases with clear dates declined. The last line is ``RESULT {json}``; the exit status
is 1 when a target is missed.

Rule syntax: clauses separated by `` | ``; in a clause, space-separated ``key=value``:
``wd=MO,TU`` (weekly), ``nth=1WE,3MO,LFR`` (n-th weekday, L = last), ``md=5,20,L`` (days of
the month), ``dates=2026-03-10,…``, ``daily``, ``holdays`` (public holidays are days too),
``months=1,3,5``, ``hol=flag|off|open|next_week|next_day``, ``ye=flag|off|open`` (12/29–1/3),
``xwd=SU``, ``xnth=5`` or ``xnth=1TU`` (excluded), ``xrange=12-31..01-03``, ``from=``,
``until=`` (ISO dates), ``time=10:00-12:00,13:00-`` or ``time=AM``/``PM``, or ``time=?``
(hours written but not to be guessed: the reading must give none).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from holidays import country_holidays

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.fields.schedule import Session, next_openings, parse_schedule  # noqa: E402

TABLE = ROOT / "tests" / "data" / "schedule_phrases.csv"
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
OUTCOMES = ("read_right", "declined_right", "declined_clear", "wrong_dates", "wrong_times",
            "time_missing", "wrong_notes")
TARGETS = {"wrong_dates": 0, "wrong_times": 0, "right_share_min": 0.90,
           "declined_clear_share_max": 0.05}


@dataclass
class ExpectedClause:
    """One clause of an expected rule, as written in the table."""

    weekdays: set[int] = field(default_factory=set)
    nth: set[tuple[int, int]] = field(default_factory=set)
    monthdays: set[int] = field(default_factory=set)
    dates: set[dt.date] = field(default_factory=set)
    daily: bool = False
    holiday_days: bool = False
    months: set[int] = field(default_factory=lambda: set(range(1, 13)))
    holidays: str = "flag"
    year_end: str = "flag"
    excluded_weekdays: set[int] = field(default_factory=set)
    excluded_nth: set[tuple[int, int | None]] = field(default_factory=set)
    excluded_ranges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    time: tuple[str, ...] = ()


def _nth(token: str) -> tuple[int, int]:
    return (-1 if token[0] == "L" else int(token[0])), DAYS.index(token[1:])


def parse_rule(rule: str) -> list[ExpectedClause]:
    """The clauses of a rule written in the table's syntax (see the module docstring)."""
    clauses = []
    for text in rule.split(" | "):
        clause = ExpectedClause()
        for part in text.split():
            key, _, value = part.partition("=")
            values = value.split(",") if value else []
            if key == "wd":
                clause.weekdays = {DAYS.index(v) for v in values}
            elif key == "nth":
                clause.nth = {_nth(v) for v in values}
            elif key == "md":
                clause.monthdays = {-1 if v == "L" else int(v) for v in values}
            elif key == "dates":
                clause.dates = {dt.date.fromisoformat(v) for v in values}
                clause.holidays = clause.year_end = "open"
            elif key == "daily":
                clause.daily = True
            elif key == "holdays":
                clause.holiday_days, clause.holidays = True, "open"
            elif key == "months":
                clause.months = {int(v) for v in values}
            elif key == "hol":
                clause.holidays = value
            elif key == "ye":
                clause.year_end = value
            elif key == "xwd":
                clause.excluded_weekdays = {DAYS.index(v) for v in values}
            elif key == "xnth":
                clause.excluded_nth = {(int(v[0]), DAYS.index(v[1:]) if v[1:] else None)
                                       for v in values}
            elif key == "xrange":
                first, last = value.split("..")
                clause.excluded_ranges.append((tuple(map(int, first.split("-"))),  # type: ignore[arg-type]
                                               tuple(map(int, last.split("-")))))
            elif key == "from":
                clause.valid_from = dt.date.fromisoformat(value)
            elif key == "until":
                clause.valid_until = dt.date.fromisoformat(value)
            elif key == "time":
                clause.time = () if value == "?" else tuple(values)
            else:
                raise ValueError(f"unknown key {key!r} in rule {rule!r}")
        clauses.append(clause)
    return clauses


class _Holidays:
    def __init__(self) -> None:
        self._table = country_holidays("JP", years=range(2024, 2030))

    def name(self, day: dt.date) -> str | None:
        return self._table.get(day)


def _year_end(day: dt.date) -> bool:
    return (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)


def _in_ranges(day: dt.date, ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
    key = (day.month, day.day)
    return any((a <= key <= b) if a <= b else (key >= a or key <= b) for a, b in ranges)


def _base_day(clause: ExpectedClause, day: dt.date, holidays: _Holidays) -> bool:
    weekday = day.weekday()
    occurrence = (day.day - 1) // 7 + 1
    last_of_weekday = (day + dt.timedelta(days=7)).month != day.month
    last_of_month = (day + dt.timedelta(days=1)).month != day.month
    hit = (clause.daily or weekday in clause.weekdays or day in clause.dates
           or (occurrence, weekday) in clause.nth
           or (last_of_weekday and (-1, weekday) in clause.nth)
           or day.day in clause.monthdays or (last_of_month and -1 in clause.monthdays)
           or (clause.holiday_days and holidays.name(day) is not None))
    if not hit or day.month not in clause.months or weekday in clause.excluded_weekdays:
        return False
    if clause.valid_from and day < clause.valid_from:
        return False
    if clause.valid_until and day > clause.valid_until:
        return False
    if {(occurrence, weekday), (occurrence, None)} & clause.excluded_nth:
        return False
    return not _in_ranges(day, clause.excluded_ranges)


Days = dict[dt.date, tuple[tuple[str, ...], bool]]


def expected_openings(rule: str, start: dt.date, end: dt.date) -> Days:
    """Date → (hour labels, holiday note shown) for ``rule`` from ``start`` to ``end``."""
    holidays = _Holidays()
    found: dict[dt.date, tuple[list[str], bool]] = {}
    for clause in parse_rule(rule):
        day = start - dt.timedelta(days=7)
        while day <= end:
            if _base_day(clause, day, holidays):
                name = holidays.name(day)
                target, note = day, False
                if clause.dates or (clause.holiday_days and name):
                    pass
                elif (name and clause.holidays == "off") or (
                        _year_end(day) and clause.year_end == "off"):
                    target = None
                elif name and clause.holidays in ("next_week", "next_day"):
                    target = day + dt.timedelta(days=7 if clause.holidays == "next_week" else 1)
                    note = holidays.name(target) is not None
                else:
                    note = bool(name and clause.holidays == "flag") or (
                        _year_end(day) and clause.year_end == "flag"
                        and not (name and clause.holidays == "open"))
                if target is not None and start <= target <= end:
                    hours, old_note = found.get(target, ([], False))
                    hours.extend(h for h in clause.time if h not in hours)
                    found[target] = (hours, old_note or note)
            day += dt.timedelta(days=1)
    return {day: (tuple(sorted(hours)), note) for day, (hours, note) in found.items()}


def _hours(session: Session) -> str:
    if session.start is None:
        return session.part.upper()  # AM, PM
    return session.label.replace("～", "-")


def read_openings(phrase: str, start: dt.date, end: dt.date) -> Days | None:
    """What the parser reads for ``phrase``: date → (hour labels, note), or None if declined."""
    schedule = parse_schedule(phrase, today=start)
    if not schedule.dates_known:
        return None
    openings = next_openings(schedule, start, count=10_000, within_days=(end - start).days)
    return {o.date: (tuple(sorted(_hours(s) for s in o.sessions)), bool(o.holiday))
            for o in openings if o.date <= end}


def judge(expected: str, start: dt.date, phrase: str) -> str:
    """The outcome of one row (one of :data:`OUTCOMES`)."""
    end = start + dt.timedelta(days=364)
    got = read_openings(phrase, start, end)
    if expected == "declined":
        return "declined_right" if got is None else "wrong_dates"
    if got is None:
        return "declined_clear"
    want = expected_openings(expected, start, end)
    if set(got) != set(want):
        return "wrong_dates"
    if any(got[d][0] != want[d][0] for d in want):
        if all(not got[d][0] for d in want):
            return "time_missing"
        return "wrong_times"
    if any(got[d][1] != want[d][1] for d in want):
        return "wrong_notes"
    return "read_right"


def load_table(path: Path = TABLE) -> list[dict[str, str]]:
    """The rows of the phrase table (phrase, source, expected)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["phrase"].strip()]
    for number, row in enumerate(rows, start=2):
        if not row["source"].strip() or not row["expected"].strip():
            raise ValueError(f"{path}: row {number}: every phrase needs a source and an "
                             "expected reading")
        if row["expected"] != "declined":
            parse_rule(row["expected"])
    return rows


def evaluate(rows: list[dict[str, str]], start: dt.date
             ) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """The summary (counts, shares, targets met) and each row's outcome."""
    outcomes = [(row["phrase"], judge(row["expected"], start, row["phrase"])) for row in rows]
    counts = Counter(outcome for _, outcome in outcomes)
    total = len(rows)
    clear = sum(1 for row in rows if row["expected"] != "declined")
    right = counts["read_right"] + counts["declined_right"]
    summary: dict[str, object] = {
        "phrases": total, "clear": clear, "should_decline": total - clear,
        **{name: counts[name] for name in OUTCOMES},
        "right_share": round(right / total, 4) if total else 0.0,
        "declined_clear_share": round(counts["declined_clear"] / clear, 4) if clear else 0.0,
    }
    summary["targets_met"] = bool(
        counts["wrong_dates"] <= TARGETS["wrong_dates"]
        and counts["wrong_times"] <= TARGETS["wrong_times"]
        and summary["right_share"] >= TARGETS["right_share_min"]  # type: ignore[operator]
        and summary["declined_clear_share"] <= TARGETS["declined_clear_share_max"])  # type: ignore[operator]
    return summary, outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE, help="the phrase table (CSV)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1),
                        help="first day of the twelve months compared (default 2026-01-01)")
    parser.add_argument("--verbose", action="store_true", help="print every row that is not right")
    args = parser.parse_args()
    summary, outcomes = evaluate(load_table(args.table), args.start)
    for name in OUTCOMES:
        print(f"{name:15} {summary[name]:4}")
    print(f"read right or declined right: {summary['right_share']:.1%} (target ≥ 90 %)")
    print(f"declined although clear: {summary['declined_clear_share']:.1%} of {summary['clear']} "
          "(target ≤ 5 %)")
    if args.verbose:
        for phrase, outcome in outcomes:
            if outcome not in ("read_right", "declined_right"):
                print(f"  {outcome:15} {phrase}")
    print("RESULT " + json.dumps(summary, ensure_ascii=False))
    return 0 if summary["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
