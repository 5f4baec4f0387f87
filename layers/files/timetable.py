"""Bus timetables: parse the ぐるりん HTML tables and pick the departures that run on a date.

A departure is a JSON-serialisable dict (it goes to the map's JavaScript as it is)::

    {"time": "07:30", "destination": "高崎駅西口", "weekdays": [0, 1, 2, 3, 4],
     "holidays": False, "label": "平日のみ"}

``weekdays`` are the days of the week it runs on (Monday = 0) when the day is not a public
holiday; ``holidays`` says whether it runs on Japanese public holidays. Day marks that list
weekdays explicitly (``火木金``) say nothing about holidays, so such departures get
``holidays: False`` and ``"note": "祝日の運行は要確認"``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from html.parser import HTMLParser
from typing import Any

from holidays import country_holidays

logger = logging.getLogger(__name__)
__all__ = [
    "CAUTION_NOTE",
    "DAY_TYPES",
    "HOLIDAY_NOTE",
    "JP_DAY_LABELS",
    "JP_WEEKDAY_CHARS",
    "day_type",
    "departures_on",
    "holidays_between",
    "make_departure",
    "parse_day_label",
    "parse_timetable_html",
    "read_html_table",
]

#: One character per weekday, Monday first, as used in marks like ``火木金``.
JP_WEEKDAY_CHARS = "月火水木金土日"

#: What :func:`day_type` returns.
DAY_TYPES: tuple[str, ...] = ("weekday", "saturday", "sunday", "holiday")

#: Added to departures whose day mark lists weekdays but says nothing about public holidays.
HOLIDAY_NOTE = "祝日の運行は要確認"

#: Added to departures marked 運行情報注意 (the operator flags a change or a suspension).
CAUTION_NOTE = "運行情報に注意（運休・時刻変更の可能性があります）"

_EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
_MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]
_WEEKEND = [5, 6]

#: Day marks with a fixed meaning: ``(weekdays, runs on public holidays, note)``. Any other mark
#: made only of the characters in :data:`JP_WEEKDAY_CHARS` (``火木金``, ``月水``) is read as
#: an explicit list of weekdays, see :func:`parse_day_label`.
JP_DAY_LABELS: dict[str, tuple[list[int], bool, str | None]] = {
    "毎日": (_EVERY_DAY, True, None),
    "平日のみ": (_MONDAY_TO_FRIDAY, False, None),
    "平日": (_MONDAY_TO_FRIDAY, False, None),
    "休日のみ": (_WEEKEND, True, None),
    "土日祝": (_WEEKEND, True, None),
    "土休日": (_WEEKEND, True, None),
    "土日祝日": (_WEEKEND, True, None),
    "運行情報注意": (_EVERY_DAY, True, CAUTION_NOTE),
}

# "30 (高崎駅西口行き) 平日のみ": minute, destination (greedy up to the last ')'), day mark.
_ENTRY = re.compile(r"^(?P<minute>\d{1,2})\s*[(（](?P<destination>.*)[)）]\s*(?P<label>.*)$")
_HH_MM = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
_JP_HOLIDAYS = country_holidays("JP")


class _TableParser(HTMLParser):
    """Collect the text of each ``<td>``/``<th>`` per ``<tr>``; ``<br>`` becomes a newline."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._close_cell()
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "tr", "table"):
            self._close_cell()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is None:
            return
        if not self.rows:  # a cell outside any <tr>
            self.rows.append([])
        text = "\n".join(line.strip() for line in "".join(self._cell).split("\n"))
        self.rows[-1].append(text.strip("\n"))
        self._cell = None


def read_html_table(html: str | None) -> list[list[str]]:
    """
    Return the cell texts of an HTML table, one list per row.

    Tags inside cells (``<span>``) are dropped, entities decoded and ``<br>`` turned into a
    newline. Empty or ``None`` input gives ``[]``.

    Examples
    --------
    >>> read_html_table("<table><tr><td>07</td><td>30 (A行き) 毎日<br>45 (B行き) 水</td></tr>")
    [['07', '30 (A行き) 毎日\\n45 (B行き) 水']]
    """
    if html is None or not str(html).strip():
        return []
    parser = _TableParser()
    parser.feed(str(html))
    parser.close()
    parser._close_cell()
    return [row for row in parser.rows if row]


def parse_day_label(label: str) -> tuple[list[int], bool, str | None]:
    """
    Read a day mark: ``(weekdays, runs on public holidays, note or None)``.

    Raises
    ------
    ValueError
        If the mark is neither in :data:`JP_DAY_LABELS` nor a list of weekday characters.

    Examples
    --------
    >>> parse_day_label("火木金")
    ([1, 3, 4], False, '祝日の運行は要確認')
    >>> parse_day_label("平日のみ")
    ([0, 1, 2, 3, 4], False, None)
    """
    label = label.strip()
    if label in JP_DAY_LABELS:
        weekdays, runs_on_holidays, note = JP_DAY_LABELS[label]
        return list(weekdays), runs_on_holidays, note
    days = label.removesuffix("祝日").removesuffix("祝")
    if days and all(char in JP_WEEKDAY_CHARS for char in days):
        weekdays = sorted({JP_WEEKDAY_CHARS.index(char) for char in days})
        if days != label:  # "土日祝": holidays are named
            return weekdays, True, None
        return weekdays, False, HOLIDAY_NOTE
    known = ", ".join(JP_DAY_LABELS)
    msg = (f"unknown day mark {label!r}; expected one of {known}, "
           f"or weekday characters from {JP_WEEKDAY_CHARS!r} such as '火木金'.")
    raise ValueError(msg)


def make_departure(
    time: str,
    destination: str,
    *,
    weekdays: list[int],
    holidays: bool,
    label: str,
    note: str | None = None,
) -> dict[str, Any]:
    """
    Build one departure dict (the shape every timetable source produces).

    ``time`` is ``H:MM``, ``HH:MM`` or ``HH:MM:SS`` (GTFS hours may exceed 23) and is
    normalised to ``HH:MM``.

    Raises
    ------
    ValueError
        If ``time`` is not a time or ``weekdays`` holds values outside 0–6.
    """
    match = _HH_MM.match(time.strip())
    if match is None or int(match.group(2)) > 59:
        msg = f"{time!r} is not a time; use HH:MM, e.g. 07:30."
        raise ValueError(msg)
    if any(day not in range(7) for day in weekdays):
        msg = f"weekdays must be in 0 (Monday) … 6 (Sunday), got {weekdays!r}."
        raise ValueError(msg)
    departure: dict[str, Any] = {
        "time": f"{int(match.group(1)):02d}:{match.group(2)}",
        "destination": destination.strip(),
        "weekdays": sorted(set(weekdays)),
        "holidays": bool(holidays),
        "label": label,
    }
    if note:
        departure["note"] = note
    return departure


def parse_timetable_html(html: str | None, *, repeats: bool = False) -> list[dict[str, Any]]:
    """
    Parse a ぐるりん timetable (one ``<tr>`` per hour) into departures sorted by time.

    Parameters
    ----------
    html
        The ``時刻表`` property of a stop: rows of ``<td>HH</td><td>entries</td>``, each
        entry like ``30 (高崎駅西口行き) 平日のみ``, entries separated by ``<br>``.
    repeats
        Keep an entry repeated in the same cell once per repetition: two buses of two routes
        that leave at the same minute toward the same destination (rebuilding trips needs
        every bus).

    Returns
    -------
    list of dict
        See the module docstring; ``[]`` for empty or ``None`` input. An entry repeated in
        the same cell (same minute, destination and mark: two routes merged by the source's
        converter) is listed once, as a rider sees one departure, unless ``repeats``.

    Raises
    ------
    ValueError
        Naming the hour and the entry that cannot be read.

    Examples
    --------
    >>> html = "<tr><td>07</td><td>30 (高崎駅西口行き) <span>平日のみ</span></td></tr>"
    >>> parse_timetable_html(html)[0]["time"], parse_timetable_html(html)[0]["weekdays"]
    ('07:30', [0, 1, 2, 3, 4])
    """
    departures: list[dict[str, Any]] = []
    for row in read_html_table(html):
        if len(row) != 2:
            msg = f"each row needs 2 cells (hour, departures), got {len(row)}: {row!r}."
            raise ValueError(msg)
        hour_text, entries = row
        if not hour_text.isdigit() or not 0 <= int(hour_text) <= 29:
            msg = f"hour {hour_text!r} is not an hour (0–29)."
            raise ValueError(msg)
        lines = [line for line in entries.split("\n") if line]
        for entry in (lines if repeats else dict.fromkeys(lines)):
            departures.append(_parse_entry(int(hour_text), entry))
    departures.sort(key=lambda departure: departure["time"])  # stable: source order kept
    return departures


def _parse_entry(hour: int, entry: str) -> dict[str, Any]:
    match = _ENTRY.match(entry.strip())
    where = f"hour {hour:02d}, entry {entry!r}"
    if match is None:
        msg = f"{where}: expected 'MM (行き先行き) 曜日', e.g. '30 (高崎駅西口行き) 平日のみ'."
        raise ValueError(msg)
    minute = int(match["minute"])
    if minute > 59:
        msg = f"{where}: minute {minute} is not 0–59."
        raise ValueError(msg)
    try:
        weekdays, runs_on_holidays, note = parse_day_label(match["label"])
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    destination = match["destination"].strip().removesuffix("行き")
    return make_departure(f"{hour:02d}:{minute:02d}", destination, weekdays=weekdays,
                          holidays=runs_on_holidays, label=match["label"].strip(), note=note)


def _as_date(date: dt.date | str) -> dt.date:
    if isinstance(date, dt.datetime):
        return date.date()
    if isinstance(date, dt.date):
        return date
    if isinstance(date, str):
        return dt.date.fromisoformat(date)
    msg = f"`date` must be a datetime.date or an ISO string, got {type(date).__name__}."
    raise TypeError(msg)


def day_type(date: dt.date | str) -> str:
    """
    Classify a date for timetables: ``"holiday"``, ``"sunday"``, ``"saturday"`` or ``"weekday"``.

    A Japanese public holiday (including 振替休日) is ``"holiday"`` whatever its weekday.
    The year-end break (12/29–1/3) is not a public holiday apart from 1 January.

    Examples
    --------
    >>> day_type("2026-11-23"), day_type("2026-11-24"), day_type("2026-11-28")
    ('holiday', 'weekday', 'saturday')
    """
    day = _as_date(date)
    if day in _JP_HOLIDAYS:
        return "holiday"
    return {5: "saturday", 6: "sunday"}.get(day.weekday(), "weekday")


def departures_on(departures: list[dict[str, Any]], date: dt.date | str) -> list[dict[str, Any]]:
    """
    The departures that run on ``date``: on public holidays those with ``holidays`` true,
    otherwise those whose ``weekdays`` contain the date's weekday.

    Examples
    --------
    >>> weekday_only = make_departure("07:30", "A", weekdays=[0, 1, 2, 3, 4], holidays=False,
    ...                               label="平日のみ")
    >>> [len(departures_on([weekday_only], day)) for day in ("2026-11-24", "2026-11-23")]
    [1, 0]
    """
    day = _as_date(date)
    if day_type(day) == "holiday":
        return [departure for departure in departures if departure["holidays"]]
    return [departure for departure in departures if day.weekday() in departure["weekdays"]]


def holidays_between(start: dt.date | str, end: dt.date | str) -> list[str]:
    """
    ISO dates of the Japanese public holidays from ``start`` to ``end``, both included.

    The map's JavaScript uses this list to pick today's departures without a server.

    Examples
    --------
    >>> holidays_between("2026-11-01", "2026-11-30")
    ['2026-11-03', '2026-11-23']
    """
    first, last = _as_date(start), _as_date(end)
    if last < first:
        msg = f"`end` ({last}) is before `start` ({first})."
        raise ValueError(msg)
    found = _JP_HOLIDAYS[first:last + dt.timedelta(days=1)]  # type: ignore[index]  # holidays slices at run time; its stubs omit it
    return sorted(day.isoformat() for day in found)
