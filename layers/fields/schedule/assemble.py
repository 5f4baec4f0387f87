"""Put the parts of a schedule together: which hours and months go with which days.

Hours go with the days written before them (「第1水曜日・第3月曜日 10:00~12:00」: both);
months go with the days they are joined to (「奇数月の第3日曜日」, 「※3月は第2木曜日」) or
with all of them; holidays, exclusions and the period hold for every clause. Whatever
cannot be put together without guessing declines the schedule, with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from itertools import pairwise

from layers.fields.schedule.model import ALL_MONTHS, Clause, Schedule, Session
from layers.fields.schedule.reading import Item

__all__ = ["assemble"]

# between a month expression and the days it holds for: 奇数月の, 3月は, 4月~9月 毎週
_MONTHS_BEFORE = re.compile(r"^\s*(?P<link>は|の|に|:)?\s*(?:毎週|毎月)?\s*$")
_CONNECTOR = re.compile(r"^\s*(?:[・,、&/]|と|及び|および)?\s*$")


def _declined(text: str, reasons: list[str], *, irregular: bool = False) -> Schedule:
    unique = tuple(dict.fromkeys(reasons))
    return Schedule(text=text, status="irregular" if irregular else "declined", reasons=unique)


_LIST_GAP = re.compile(r"^\s*(?:(?:[・,、&/()]|と|及び|および)\s*)*$")


def _residue(norm: str, items: list[Item]) -> str:
    """``norm`` with the parts that are neither days nor hours blanked (months, holidays …)."""
    chars = list(norm)
    for item in items:
        if item.kind not in ("selector", "time"):
            chars[item.start:item.end] = " " * (item.end - item.start)
    return "".join(chars)


_Hours = dict[int, tuple[Session, ...]]


def _attach_times(residue: str, selectors: list[Item], times: list[Item],
                  overrides: set[int]) -> tuple[_Hours, list[str], list[str]]:
    """
    Sessions per selector (by index), the notes of partly read hours, and reasons to decline.

    Hours go with every day written before them since the last hours, when those days are
    one list (「第1水曜日・第3月曜日 10時～」); 「毎週水曜日 ※第1水曜日は午後」 is not one.
    """
    events = sorted([(s.start, "s", i) for i, s in enumerate(selectors)]
                    + [(t.start, "t", i) for i, t in enumerate(times)])
    sessions: dict[int, tuple[Session, ...]] = {}
    notes: list[str] = []
    pending: list[int] = []
    leading: Item | None = None
    used = 0
    for _, kind, index in events:
        if kind == "s":
            pending.append(index)
            continue
        group = times[index]
        assert group.time is not None
        notes.extend(group.time.notes)
        if pending:
            if any(not _LIST_GAP.match(residue[selectors[a].end:selectors[b].start])
                   for a, b in pairwise(pending)):
                return {}, notes, ["時刻がどの日のものか分かりません"]
            for selector in pending:
                sessions[selector] = group.time.sessions
            pending, used = [], used + 1
        elif leading is None and used == 0 and not sessions:
            leading = group
        else:
            return {}, notes, ["時刻がどの日のものか分かりません"]
    if leading is not None:
        if used:
            return {}, notes, ["時刻がどの日のものか分かりません"]
        assert leading.time is not None
        for selector in pending:
            sessions[selector] = leading.time.sessions
        pending = []
    if pending and used and any(i not in overrides for i in pending):
        return {}, notes, [f"「{selectors[pending[0]].text.strip()}」の時刻が書かれていません"]
    return sessions, notes, []


def _link_months(norm: str, selectors: list[Item], months: list[Item]
                 ) -> tuple[dict[int, frozenset[int]], set[int], frozenset[int], list[str]]:
    """Months per selector, the selectors that override others, global months, reasons."""
    local: dict[int, frozenset[int]] = {}
    overrides: set[int] = set()
    global_months = ALL_MONTHS
    after_last: list[int] = []
    for item in months:
        following = [i for i, s in enumerate(selectors) if s.start >= item.end]
        preceding = [i for i, s in enumerate(selectors) if s.end <= item.start]
        if following:
            nxt = following[0]
            gap = _MONTHS_BEFORE.match(norm[item.end:selectors[nxt].start])
            if gap:
                local[nxt] = local.get(nxt, ALL_MONTHS) & item.months
                if gap.group("link") == "は":
                    overrides.add(nxt)
                continue
        if preceding:
            prev = preceding[-1]
            if re.fullmatch(r"\s*\(\s*", norm[selectors[prev].end:item.start]):
                local[prev] = local.get(prev, ALL_MONTHS) & item.months
                if prev == len(selectors) - 1 and len(selectors) > 1:
                    after_last.append(prev)
                continue
        global_months = global_months & item.months
    if after_last and len(local) == len(after_last):
        text = selectors[after_last[0]].text.strip()
        return {}, set(), ALL_MONTHS, [f"「{text}」の後の月の指定が、どの日にかかるか分かりません"]
    return local, overrides, global_months, []


def _steps_by(months: frozenset[int], step: int) -> bool:
    """True when ``months`` are one every ``step`` months (奇数月 for 2, 4・7・10・1月 for 3)."""
    return len(months) == 12 // step and all((m - 1 + step) % 12 + 1 in months for m in months)


def _interval_months(items: list[Item], global_months: frozenset[int],
                     local: dict[int, frozenset[int]], selectors: list[Item]
                     ) -> tuple[frozenset[int] | None, list[str]]:
    """The months a rule every few months (2か月に1回) holds in, or why they are not known."""
    intervals = [i for i in items if i.kind == "interval"]
    phases = [i for i in items if i.kind == "phase"]
    if not intervals:
        if phases:
            return None, [f"「{phases[0].text.strip()}」：何年からか分かりません"]
        return global_months, []
    step = intervals[0].count
    if phases:
        first = min(phases[0].months)
        return frozenset((first - 1 + k * step) % 12 + 1 for k in range(12 // step)), []
    if global_months != ALL_MONTHS and _steps_by(global_months, step):
        return global_months, []
    if selectors and all(_steps_by(local.get(i, ALL_MONTHS) & global_months, step)
                         for i in range(len(selectors))):
        return global_months, []
    return None, [f"「{intervals[0].text.strip()}」：どの月か書かれていません"]


def _check_frequency(items: list[Item], clauses: list[Clause]) -> list[str]:
    """Why a count (月2回, 2か月に1回 …) does not fit the days written, if it does not."""
    reasons = []
    for item in items:
        if item.kind == "interval" and not all((c.nth or c.monthdays) and not c.weekdays
                                               and not c.daily for c in clauses):
            reasons.append(f"「{item.text.strip()}」と日の書き方が合いません")
        if item.kind != "frequency":
            continue
        if item.per == "月":
            fits = bool(clauses) and all(not c.weekdays and not c.daily and not c.dates
                                         for c in clauses) \
                and sum(len(c.nth) + len(c.monthdays) for c in clauses) == item.count
        elif item.per == "週":
            fits = bool(clauses) and all(c.weekdays and not (c.nth or c.monthdays or c.dates)
                                         for c in clauses) \
                and sum(len(c.weekdays) for c in clauses) == item.count
        else:
            fits = bool(clauses) and all(c.dates for c in clauses) \
                and sum(len(c.dates) for c in clauses) == item.count
        if not fits:
            reasons.append(f"「{item.text.strip()}」：回数だけで、どの日か書かれていません"
                           if not clauses else f"「{item.text.strip()}」と日の書き方が合いません")
    return reasons


def _weekdays_of(clause: Clause) -> frozenset[int]:
    """The weekdays a weekly or n-th-weekday clause falls on."""
    return clause.weekdays | frozenset(day for _, day in clause.nth)


def _policy(items: list[Item], field: str) -> tuple[str, list[str]]:
    values = {getattr(i, field) for i in items if getattr(i, field)}
    if len(values) > 1:
        what = "祝日" if field == "holidays" else "年末年始"
        return "", [f"{what}の扱いが二通り書かれています"]
    return (values.pop() if values else ""), []


def assemble(text: str, norm: str, items: list[Item], *, today: dt.date | None = None) -> Schedule:
    """The :class:`Schedule` that the parts ``items`` of ``norm`` (``text`` normalised) make."""
    declines = [i for i in items if i.kind == "decline"]
    if declines:
        return _declined(text, [i.reason for i in declines],
                         irregular=any(i.irregular for i in declines))
    selectors = [i for i in items if i.kind == "selector"]
    reasons: list[str] = []
    rules = [i for i in items if i.kind in ("holidays", "exclusion", "shift_nth", "period")]
    for before, after in pairwise(selectors):
        assert before.clause is not None and after.clause is not None
        if not after.clause.weekdays or after.every:
            continue
        # a weekday without 毎週 after other days:
        # 「第1水曜日、金曜日」, 「（祝日の時は翌日の火曜日）」
        if not (before.clause.weekdays or before.clause.daily) \
                or any(before.end <= r.start and r.end <= after.start for r in rules):
            reasons.append(f"「{after.text.strip()}」が毎週か、第何週か分かりません")
    excluded_weekdays = frozenset().union(*(i.weekdays for i in items if i.kind == "exclusion"))
    if not selectors:
        counts = [i for i in items if i.kind in ("frequency", "interval")]
        if counts:
            what = counts[0].text.strip()
            return _declined(text, [f"「{what}」：回数だけで、どの日か書かれていません"])
        if not excluded_weekdays:
            return _declined(text, ["曜日や日付が書かれていません"])
        # 「日曜・祝日は休館」: every other day
        selectors = [Item("selector", len(norm), len(norm), "", clause=Clause(daily=True))]
    local, overrides, global_months, why = _link_months(
        norm, selectors, [i for i in items if i.kind == "months"])
    reasons += why
    months, why = _interval_months(items, global_months, local, selectors)
    reasons += why
    times = [i for i in items if i.kind == "time" and i.time and (i.time.sessions or i.time.notes)]
    sessions, notes, why = _attach_times(_residue(norm, items), selectors, times, overrides)
    reasons += why
    exclusions = [i for i in items if i.kind == "exclusion"]
    holiday_items = [i for i in items if i.kind in ("holidays", "exclusion")]
    holidays, why = _policy(holiday_items, "holidays")
    reasons += why
    year_end, why = _policy(holiday_items, "year_end")
    reasons += why
    if holidays in ("next_week", "next_day", "previous_day") and excluded_weekdays:
        reasons.append("休みの曜日と祝日の振替が一緒に書かれていて、どちらの話か分かりません")
    moved_to = frozenset().union(*(i.weekdays for i in items if i.kind == "holidays"))
    step = {"next_week": 0, "next_day": 1, "previous_day": -1}.get(holidays, 0)
    if moved_to and not all(frozenset((d + step) % 7 for d in _weekdays_of(c)) == moved_to
                            for s in selectors if (c := s.clause) is not None and not c.dates):
        reasons.append("祝日の振替先の曜日が、開催の曜日と合いません")
    shifts = [i for i in items if i.kind == "shift_nth"]
    if shifts:
        if holidays:
            reasons.append("祝日の扱いが二通り書かれています")
        n, weekday = shifts[0].shift_to or (0, 0)
        if all(c.nth == frozenset({(n - 1, weekday)}) for s in selectors
               if (c := s.clause) is not None and not c.dates):
            holidays = "next_week"
        else:
            reasons.append(f"「{shifts[0].text.strip()}」がどの日の振替か分かりません")
    periods = [i for i in items if i.kind == "period"]
    if len(periods) > 1:
        reasons.append("期間が二つ以上書かれています")
    if reasons or months is None:
        return _declined(text, reasons)

    override_months = frozenset().union(*(local[i] for i in overrides if i in local))
    excluded_months = frozenset().union(*(i.months for i in exclusions))
    clauses: list[Clause] = []
    inherit: list[int] = []  # overrides without their own hours: they keep the usual hours
    for index, selector in enumerate(selectors):
        assert selector.clause is not None
        clause_months = local.get(index, ALL_MONTHS) & months
        if index not in overrides:
            clause_months -= override_months
        clause_months -= excluded_months
        if not clause_months:
            continue
        clause = replace(selector.clause, months=clause_months, sessions=sessions.get(index, ()))
        if not clause.dates:
            clause = replace(clause, holidays=holidays or clause.holidays,
                             year_end=year_end or clause.year_end)
            if clause.holiday_days:
                clause = replace(clause, holidays="open")
        if index in overrides and index not in sessions:
            inherit.append(len(clauses))
        clauses.append(clause)
    if not clauses:
        return _declined(text, ["どの月にも開催日が残りません"])
    usual = {c.sessions for i, c in enumerate(clauses) if i not in inherit}
    if inherit and len(usual) == 1:
        hours = usual.pop()
        clauses = [replace(c, sessions=hours) if i in inherit else c for i, c in enumerate(clauses)]
    reasons += _check_frequency(items, clauses)
    if reasons:
        return _declined(text, reasons)
    period = periods[0] if periods else None
    schedule = Schedule(
        text=text, clauses=tuple(clauses), status="partial" if notes else "read",
        reasons=tuple(dict.fromkeys(notes)), excluded_weekdays=excluded_weekdays,
        excluded_nth=frozenset().union(*(i.nth for i in exclusions)),
        excluded_ranges=tuple(r for i in exclusions for r in i.ranges),
        valid_from=period.valid_from if period else None,
        valid_until=period.valid_until if period else None)
    return _ended(schedule, today) if today else schedule


def _ended(schedule: Schedule, today: dt.date) -> Schedule:
    """Decline a schedule whose period, or every one-off date, is before ``today``."""
    until = schedule.valid_until
    if until is not None and until < today:
        day = f"{until.year}年{until.month}月{until.day}日"
        return _declined(schedule.text, [f"期間（～{day}）は終わっています"])
    dated = [c for c in schedule.clauses if c.dates]
    over = all(d < today for c in dated for d in c.dates)
    if dated and len(dated) == len(schedule.clauses) and over:
        last = max(d for c in dated for d in c.dates)
        day = f"{last.year}年{last.month}月{last.day}日"
        return _declined(schedule.text, [f"書かれた日付（最後は{day}）は過ぎています"])
    return schedule
