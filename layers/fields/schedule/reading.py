"""Find every part of a schedule text: days, months, hours, holidays, periods, hedges.

:func:`recognise` applies the patterns of :mod:`layers.fields.schedule.patterns` in a fixed
order to the normalised text; each part it reads is blanked, so that no character is read
twice, and what is left must be punctuation or words that say nothing about the days
(開催, です, の …). Anything else is reported as an unreadable part: the schedule is then
declined, never read in part.

Examples
--------
>>> [item.kind for item in recognise("毎月第1水曜日・第3月曜日 10:00~12:00")]
['selector', 'selector', 'time']
>>> [item.reason for item in recognise("原則第2土曜日") if item.kind == "decline"]
['「原則」：日程が変わることがあるため、日付を出しません']
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from layers.fields.schedule import patterns as p
from layers.fields.schedule.model import Clause
from layers.fields.schedule.times import TIME_GROUP, TimeGroup, read_time_group

__all__ = ["Item", "parse_months", "read_date", "recognise"]


@dataclass(frozen=True)
class Item:
    """One part of the text, where it is (in the normalised text) and what it says."""

    kind: str  # selector, time, months, phase, interval, frequency, exclusion, holidays,
    #            shift_nth, period, decline
    start: int
    end: int
    text: str
    clause: Clause | None = None
    every: bool = False  # a weekly selector said 毎週 (or 毎)
    time: TimeGroup | None = None
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    nth: frozenset[tuple[int, int | None]] = frozenset()
    ranges: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()
    holidays: str = ""
    year_end: str = ""
    shift_to: tuple[int, int] | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    count: int = 0
    per: str = ""
    reason: str = ""
    irregular: bool = False


_Handler = Callable[[re.Match[str]], list[Item] | None]


def _item(match: re.Match[str], kind: str, **values: Any) -> Item:
    return replace(Item(kind, match.start(), match.end(), match.group(0)), **values)


def _decline(match: re.Match[str], reason: str, *, irregular: bool = False) -> list[Item]:
    return [_item(match, "decline", reason=reason, irregular=irregular)]


def _weekdays_in(text: str) -> set[int]:
    days: set[int] = set()
    for first, last in p.WEEKDAY_RANGE.findall(text):
        a, b = p.WD_CHARS.index(first), p.WD_CHARS.index(last)
        days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
    text = p.WEEKDAY_RANGE.sub("", text)
    text = re.sub(r"曜日|曜|祝祭日|祝日|祭日|振替休日|休日|祝", " ", text)
    days.update(p.WD_CHARS.index(c) for c in text if c in p.WD_CHARS)
    return days


def parse_months(text: str) -> frozenset[int]:
    """
    The months a month expression names: 4月~9月, 12月~2月, 4・6・8月, 奇数月.

    Examples
    --------
    >>> sorted(parse_months("12月~2月")), sorted(parse_months("1月・8月"))
    ([1, 2, 12], [1, 8])
    >>> len(parse_months("偶数月"))
    6
    """
    months: set[int] = set()
    if "奇数月" in text:
        months.update(range(1, 13, 2))
    if "偶数月" in text:
        months.update(range(2, 13, 2))
    for first, last in re.findall(r"(\d{1,2})\s*月?\s*(?:~|から)\s*(\d{1,2})\s*月", text):
        a, b = int(first), int(last)
        if not (1 <= a <= 12 and 1 <= b <= 12):
            return frozenset()
        months.update((a - 1 + k) % 12 + 1 for k in range((b - a) % 12 + 1))
    text = re.sub(r"(\d{1,2})\s*月?\s*(?:~|から)\s*(\d{1,2})\s*月", " ", text)
    for number in re.findall(r"\d{1,2}", text):
        if not 1 <= int(number) <= 12:
            return frozenset()
        months.add(int(number))
    return frozenset(months)


def read_date(text: str, *, year: int | None = None, month: int | None = None,
              first_day: bool = True) -> tuple[dt.date | None, str]:
    """
    The date a dated expression names (令和8年3月10日(火), 2026/5/16, 令和8年3月), or why not.

    A year-month without a day is its first day (``first_day``) or its last. ``year`` and
    ``month`` fill in what the text leaves out (a list of dates in one year).

    Examples
    --------
    >>> read_date("令和8年3月10日(火)")
    (datetime.date(2026, 3, 10), '')
    >>> read_date("令和8年3月", first_day=False)
    (datetime.date(2026, 3, 31), '')
    >>> read_date("2026年1月10日(金)")[1]
    '「2026年1月10日(金)」の曜日が合いません（土曜日です）'
    """
    match = p.YMD_PARTS.search(text)
    if match is None:
        return None, f"「{text}」の日付が読めません"
    parts = match.groupdict()
    if parts["era"]:
        number = 1 if parts["eyear"] == "元" else int(parts["eyear"])
        year = number + (2018 if parts["era"] in ("令和", "R") else 1988)
        if parts["alt"] and int(parts["alt"]) != year:
            return None, f"「{text}」の和暦と西暦が合いません"
    elif parts["year"]:
        year = int(parts["year"])
    if year is None:
        return None, f"年の書かれていない日付「{text}」は何年のものか分かりません"
    month = int(parts["month"]) if parts["month"] else month
    if month is None or not 1 <= month <= 12:
        return None, f"「{text}」の月が読めません"
    if parts["day"]:
        day = int(parts["day"])
    elif first_day:
        day = 1
    else:
        day = ((dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)).day
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None, f"「{text}」という日はありません"
    if parts["wd"] and p.WD_CHARS.index(parts["wd"]) != date.weekday():
        return None, (f"「{text}」の曜日が合いません（{p.WD_CHARS[date.weekday()]}曜日です）")
    return date, ""


def _says_nothing(match: re.Match[str]) -> list[Item]:
    """A label, a place, a particle: read, and nothing to keep."""
    return []


def _holiday_open(match: re.Match[str]) -> list[Item]:
    if match.group("all"):
        return [_item(match, "holidays", holidays="open", year_end="open")]
    if match.group("what") == "年末年始":
        return [_item(match, "holidays", year_end="open")]
    return [_item(match, "holidays", holidays="open")]


def _holiday_case(match: re.Match[str]) -> list[Item]:
    if match.group("days"):  # 土日祝の場合は前日: a move by weekday, not only for holidays
        return _decline(match, f"「{match.group(0)}」：曜日による振替には対応していません")
    year_end = match.group(0).startswith("年末年始")
    if match.group("off"):
        field = "year_end" if year_end else "holidays"
        return [_item(match, "holidays", **{field: "off"})]
    if year_end:
        return _decline(match, f"「{match.group(0)}」：年末年始の振替には対応していません")
    if match.group("on"):
        return [_item(match, "holidays", holidays="open")]
    if match.group("n"):
        return [_item(match, "shift_nth",
                      shift_to=(int(match.group("n")), p.WD_CHARS.index(match.group("wd"))))]
    policy = {"翌週": "next_week", "次週": "next_week", "翌日": "next_day",
              "前日": "previous_day"}.get(match.group("to"))
    if policy is None:
        return _decline(match, f"「{match.group(0)}」の振替先が読めません")
    weekday = match.group("towd")
    days = frozenset({p.WD_CHARS.index(weekday)}) if weekday else frozenset()
    return [_item(match, "holidays", holidays=policy, weekdays=days)]


_EXCL_PARTS = re.compile(
    r"(?P<range>(\d{1,2})\s*[/月]\s*(\d{1,2})\s*日?\s*(?:~|から)\s*(\d{1,2})\s*[/月]\s*(\d{1,2})\s*日?)"
    rf"|(?P<nth>(?:第\s*\d(?:\s*[・,、]\s*第?\s*\d)*|最終)\s*(?:週)?\s*(?:の\s*)?(?:{p.WD_AFTER_ORDINAL})?)"
    rf"|(?P<months>\d{{1,2}}[\d\s月・,、と及びおよ~から]*月|奇数月|偶数月)"
    r"|(?P<ye>年末年始)|(?P<end>年末)|(?P<begin>年始)|(?P<vague>お盆|盆|お正月|正月)"
    rf"|(?P<hol>{p.HOLIDAY_WORD})|(?P<wds>(?:[{p.WD_CHARS}](?:曜日|曜)?)+(?:\s*祝日?)?)")


def _exclusion(match: re.Match[str]) -> list[Item]:
    values: dict[str, object] = {}
    weekdays: set[int] = set()
    nth: set[tuple[int, int | None]] = set()
    ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    months: frozenset[int] = frozenset()
    for part in _EXCL_PARTS.finditer(match.group("list")):
        if part.group("range"):
            m1, d1, m2, d2 = (int(part.group(i)) for i in range(2, 6))
            if ((m1, d1), (m2, d2)) == ((12, 29), (1, 3)):
                values["year_end"] = "off"
            elif not (1 <= m1 <= 12 and 1 <= m2 <= 12 and 1 <= d1 <= 31 and 1 <= d2 <= 31):
                return _decline(match, f"「{part.group(0)}」という日はありません")
            else:
                ranges.append(((m1, d1), (m2, d2)))
        elif part.group("nth"):
            ords = _ordinals(part.group("nth"))
            if ords is None:
                return _decline(match, f"「{part.group(0)}」の第何週かが読めません")
            found = _weekdays_in(part.group("nth").split("週")[-1])
            days: set[int | None] = set(found) if found else {None}  # 第5週: any weekday
            nth.update((n, day) for n in ords for day in days)
        elif part.group("months"):
            months = months | parse_months(part.group("months"))
        elif part.group("ye"):
            values["year_end"] = "off"
        elif part.group("end"):
            ranges.append(((12, 29), (12, 31)))
        elif part.group("begin"):
            ranges.append(((1, 1), (1, 3)))
        elif part.group("vague"):
            return _decline(match, f"「{part.group(0)}」の休みがいつからいつまでか分かりません")
        elif part.group("hol"):
            values["holidays"] = "off"
        elif part.group("wds"):
            weekdays |= _weekdays_in(part.group("wds"))
            if "祝" in part.group("wds"):
                values["holidays"] = "off"
    return [_item(match, "exclusion", weekdays=frozenset(weekdays), nth=frozenset(nth),
                  ranges=tuple(ranges), months=months, **values)]


def _ordinals(text: str) -> set[int] | None:
    ords: set[int] = set()
    for low, high, single, last in p.ORDINAL_ITEM.findall(text):
        if last:
            ords.add(-1)
        elif single:
            ords.add(int(single))
        else:
            ords.update(range(int(low), int(high) + 1))
    if not ords or any(n == 0 or n > 5 for n in ords):
        return None
    return ords


def _period(match: re.Match[str]) -> list[Item]:
    groups = match.groupdict()
    start = until = None
    if groups.get("a"):
        start, why = read_date(groups["a"])
        if start is None:
            return _decline(match, why)
    if groups.get("b"):
        until, why = read_date(groups["b"], year=start.year if start else None,
                               month=start.month if start else None, first_day=False)
        if until is None:
            return _decline(match, why)
        if start and until < start:
            until = until.replace(year=until.year + 1)
    return [_item(match, "period", valid_from=start, valid_until=until)]


def _fiscal(match: re.Match[str]) -> list[Item]:
    era, number = match.group("era"), match.group("year")
    value = 1 if number == "元" else int(number)
    year = value + (2018 if era in ("令和", "R") else 1988 if era == "平成" else 0)
    if not 1900 < year < 2200:
        return _decline(match, f"「{match.group(0)}」の年が読めません")
    return [_item(match, "period", valid_from=dt.date(year, 4, 1),
                  valid_until=dt.date(year + 1, 3, 31))]


_DATE_ITEM = re.compile(
    rf"(?P<date>(?:{p.YEAR}\s*)?(?:\d{{1,2}}\s*(?:月|\.|/)\s*)?\d{{1,2}}(?:\s*日)?"
    rf"(?:\s*\(\s*[{p.WD_CHARS}](?:曜日|曜)?(?:\s*[・,]\s*祝日?)?\s*\))?)")


def _dates(match: re.Match[str]) -> list[Item]:
    dates: set[dt.date] = set()
    year = month = None
    for part in _DATE_ITEM.finditer(match.group(0)):
        text = part.group("date")
        if month is not None and re.match(r"\s*\d{1,2}\s*日", text):  # 29日(土): same month
            text = f"{month}月{text}"
        parts = p.YMD_PARTS.search(text)
        undated = parts is not None and not (parts["era"] or parts["year"])
        if parts and undated and year is not None and month is not None \
                and parts["month"] and int(parts["month"]) < month:
            year += 1  # 11月, 12月, 1月: into the next year
        date, why = read_date(text, year=year, month=month)
        if date is None:
            return _decline(match, why)
        dates.add(date)
        year, month = date.year, date.month
    clause = Clause(dates=frozenset(dates), holidays="open", year_end="open")
    return [_item(match, "selector", clause=clause)]


def _interval(match: re.Match[str]) -> list[Item]:
    if match.group("other_week"):
        return _decline(match, "「隔週」：どの週から数えるか分かりません")
    months = 2 if match.group("other_month") else int(match.group("n"))
    if months == 1:
        return [_item(match, "frequency", count=1, per="月")]
    if months == 0 or 12 % months:
        return _decline(match, f"「{match.group(0)}」：どの月か分かりません")
    return [_item(match, "interval", count=months)]


def _frequency(match: re.Match[str]) -> list[Item]:
    per = {"毎月": "月", "毎週": "週"}.get(match.group("per"), match.group("per"))
    return [_item(match, "frequency", count=int(match.group("n")), per=per)]


def _nth(match: re.Match[str]) -> list[Item]:
    ords = _ordinals(match.group("ords"))
    if ords is None:
        return _decline(match, f"「{match.group(0)}」の第何週かが読めません")
    days = _weekdays_in(match.group("wds"))
    return [_item(match, "selector",
                  clause=Clause(nth=frozenset((n, day) for n in ords for day in days)))]


def _monthly_bare_weekday(match: re.Match[str]) -> list[Item]:
    return _decline(match, f"「{match.group(0)}」：毎月の第何週か書かれていません")


def _months(match: re.Match[str]) -> list[Item]:
    months = parse_months(match.group("months"))
    if not months:
        return _decline(match, f"「{match.group(0)}」の月が読めません")
    return [_item(match, "months", months=months)]


def _phase(match: re.Match[str]) -> list[Item]:
    month = int(match.group("month"))
    if not 1 <= month <= 12:
        return _decline(match, f"「{match.group(0)}」の月が読めません")
    return [_item(match, "phase", months=frozenset({month}))]


def _monthdays(match: re.Match[str]) -> list[Item]:
    if match.group("last"):
        return [_item(match, "selector", clause=Clause(monthdays=frozenset({-1})))]
    days = {int(d) for d in re.findall(r"\d{1,2}", match.group("days"))}
    if any(not 1 <= d <= 31 for d in days):
        return _decline(match, f"「{match.group(0)}」という日はありません")
    return [_item(match, "selector", clause=Clause(monthdays=frozenset(days)))]


def _daily(match: re.Match[str]) -> list[Item]:
    if match.group("daily"):
        return [_item(match, "selector", clause=Clause(daily=True), every=True)]
    if match.group("weekdays"):  # 平日: Monday to Friday that are not public holidays
        return [_item(match, "selector", every=True,
                      clause=Clause(weekdays=frozenset(range(5)), holidays="off"))]
    return [_item(match, "selector", every=True, clause=Clause(weekdays=frozenset({5, 6})))]


def _weekly(match: re.Match[str]) -> list[Item] | None:
    days = _weekdays_in(match.group("list"))
    if not days:
        return None  # 祝日 alone is no weekly day
    holidays = bool(re.search(p.HOLIDAY_WORD, match.group("list")))
    clause = Clause(weekdays=frozenset(days), holiday_days=holidays,
                    holidays="open" if holidays else "flag")
    return [_item(match, "selector", clause=clause, every=bool(match.group("every")))]


def _time(match: re.Match[str]) -> list[Item]:
    return [_item(match, "time", time=read_time_group(match.group(0)))]


_IRREGULAR = re.compile(
    r"不定期|随時|不確定|不定|検討中|休止中|休止|休会中|応相談|要相談|調整中|決まり次第|未定|都度|臨時"
    r"|要?お?問い?合わ?せ(?:ください|下さい)?|相談")
_OR = re.compile(r"または|又は|もしくは|若しくは|いずれか|どちらか|\bor\b"
                 r"|か(?=\s*(?:第|\d|[月火水木金土日]曜))")
_HEDGE = re.compile(
    r"原則(?:として)?|予定|変更(?:あり|有り?|の場合|になる|する|となる|の可能性)?|変動(?:有り?|あり)?|程度"
    r"|基本(?:的に)?|主に|概ね|おおむね|目安|場合があります|場合あり|ことがあります|ことも|雨天|荒天|天候"
    r"|中止|延期|いつも(?:は)?|通常(?:は)?|大体|だいたい|およそ|ほぼ|など|等|ほか|その他|都合|状況"
    r"|感染|コロナ|頃|ごろ|上旬|中旬|下旬|初旬|月初|月末|夏休み|冬休み|春休み|長期休み|長期休暇"
    r"|学校休業日|連休|GW|ゴールデンウィーク|お盆|終了|休み|休館|休業|のみ|だけ")
_EDGE = "\\x00\\s()、。,・※:/"
_FILLER = re.compile(
    r"開催(?:します|しています|中|日)?|実施(?:します|しています)?|活動(?:しています)?|営業(?:します|しています)?"
    r"|開館|開所|開設|オープン|行います|行っています|しています|します|です|ます|毎週|毎月(?!曜)|西暦"
    r"|予約不要|要予約|予約制|申込制|申込不要|申し込み不要|参加自由|自由参加|どなたでも|ただし|但し|なお"
    r"|参加費\s*(?:\d+\s*円|無料)|\d+\s*円|無料|毎回|各回|受付"
    # particles only between parts already read, never inside a word (子ども食堂)
    rf"|(?:(?<=[{_EDGE}])|^)(?:にて|まで|から|より|ごと|の|に|は|で|を|と|も)(?=[{_EDGE}]|$)")


def _scan(match: re.Match[str], kind: str) -> list[Item]:
    word = match.group(0)
    if word in ("休み", "休館", "休業", "終了"):
        return _decline(match, f"「{word}」：何が{word}か読めません")
    if word in ("のみ", "だけ"):
        return _decline(match, f"「{word}」：何に限るのか読めません")
    if kind == "irregular":
        return _decline(match, f"「{word}」：決まった日がありません", irregular=True)
    if kind == "or":
        return _decline(match, f"「{word}」：どちらの日か分かりません")
    return _decline(match, f"「{word}」：日程が変わることがあるため、日付を出しません")


#: The reading, in order: each pattern sees only what the ones before it left.
_STEPS: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    (_OR, lambda m: _scan(m, "or")),  # first: 「第2か第3日曜日」 before 第3日曜日 is read
    (p.LABEL, _says_nothing),
    (p.HOLIDAY_OPEN, _holiday_open),
    (p.HOLIDAY_CASE, _holiday_case),
    (p.EXCLUSION_PREFIXED, _exclusion),
    (p.EXCLUSION, _exclusion),
    (p.PERIOD_RANGE, _period),
    (p.PERIOD_UNTIL, _period),
    (p.PERIOD_FROM, _period),
    (p.FISCAL, _fiscal),
    (p.DATES, _dates),
    (p.DAY_IN_MONTH_WITH_WEEKDAY,
     lambda m: _decline(m, f"月の書かれていない日付「{m.group(0)}」があります")),
    (p.INTERVAL, _interval),
    (p.FREQUENCY, _frequency),
    (p.NTH, _nth),
    (p.MONTHLY_BARE_WEEKDAY, _monthly_bare_weekday),
    (p.PHASE, _phase),
    (p.MONTHS, _months),
    (p.MONTHDAYS, _monthdays),
    (p.DAILY, _daily),
    (p.WEEKLY, _weekly),
    (TIME_GROUP, _time),
    (p.VENUE, _says_nothing),
    (_IRREGULAR, lambda m: _scan(m, "irregular")),
    (_HEDGE, lambda m: _scan(m, "hedge")),
    (_FILLER, _says_nothing),
)


#: What a part already read becomes: no pattern reads through it (not even as a space).
_BLANK = "\x00"


def recognise(text: str) -> list[Item]:
    """
    Every part of the normalised ``text``, in order of position; unreadable parts become
    ``decline`` items naming them.
    """
    work = text
    items: list[Item] = []
    for pattern, handler in _STEPS:
        spans: list[tuple[int, int]] = []
        for match in pattern.finditer(work):
            if match.end() == match.start() or not match.group(0).strip():
                continue
            found = handler(match)
            if found is None:
                continue
            items.extend(found)
            spans.append(match.span())
        for start, end in spans:
            work = work[:start] + _BLANK * (end - start) + work[end:]
    for run in re.finditer(rf"[^\s{_BLANK}]+", work):
        unknown = "".join(c for c in run.group(0) if c not in p.HARMLESS_CHARS)
        if unknown:
            items.append(Item("decline", run.start(), run.end(), run.group(0),
                              reason=f"読めない部分「{run.group(0)}」があります"))
    return sorted(items, key=lambda item: (item.start, item.end))
