"""Bus departures packed small enough to ship with the map, for "today's departures" popups.

A stop's departures (see :mod:`layers.files.timetable`) are grouped by destination, day mark and
note; each group carries a day mask (bit ``d`` for weekday ``d``, Monday = 0; bit 7 for
public holidays) and its times as one string (``"0730 0735 0800"``). Destinations, marks and
notes are stored once per page, HTML-escaped, in :class:`TimetableTables`. The map's
JavaScript picks today's groups in the browser, using the embedded holiday list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from typing import Any

from layers.files.timetable import HOLIDAY_NOTE, holidays_between

__all__ = ["HOLIDAY_BIT", "TimetableTables", "day_mask", "pack_departures", "timetable_config"]

#: The bit of the day mask that says a departure runs on public holidays.
HOLIDAY_BIT = 7


def day_mask(weekdays: Iterable[int], *, holidays: bool) -> int:
    """
    The days a departure runs on as bits: weekday ``d`` (Monday = 0) is bit ``d``, holidays bit 7.

    Examples
    --------
    >>> day_mask([0, 1, 2, 3, 4], holidays=False), day_mask([5, 6], holidays=True)
    (31, 224)
    """
    mask = 0
    for day in weekdays:
        mask |= 1 << int(day)
    if holidays:
        mask |= 1 << HOLIDAY_BIT
    return mask


@dataclass
class TimetableTables:
    """Destinations, day marks and notes, each stored once (HTML-escaped) for a whole page."""

    destinations: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Other text repeated across stops (operators, notes), already escaped HTML.
    texts: list[str] = field(default_factory=list)

    def index(self, table: list[str], text: str) -> int:
        """The position of ``text`` (escaped) in ``table``, appending it if new."""
        escaped = escape(text)
        try:
            return table.index(escaped)
        except ValueError:
            table.append(escaped)
            return len(table) - 1

    def text_index(self, html: str) -> int:
        """The position of an already escaped ``html`` in :attr:`texts` (-1 for '')."""
        if not html:
            return -1
        if html not in self.texts:
            self.texts.append(html)
        return self.texts.index(html)


def pack_departures(departures: Iterable[dict[str, Any]] | None,
                    tables: TimetableTables) -> list[list[Any]]:
    """
    A stop's departures as ``[destination, mark, day mask, note (-1 for none), "HHMM HHMM"]``.

    Examples
    --------
    >>> tables = TimetableTables()
    >>> pack_departures([{"time": "07:30", "destination": "高崎駅", "weekdays": [0, 1, 2, 3, 4],
    ...                   "holidays": False, "label": "平日のみ"}], tables)
    [[0, 0, 31, -1, '0730']]
    """
    groups: dict[tuple[int, int, int, int], list[str]] = {}
    for departure in departures or ():
        key = (
            tables.index(tables.destinations, str(departure.get("destination", ""))),
            tables.index(tables.labels, str(departure.get("label", ""))),
            day_mask(departure.get("weekdays", ()), holidays=bool(departure.get("holidays"))),
            tables.index(tables.notes, departure["note"]) if departure.get("note") else -1,
        )
        groups.setdefault(key, []).append(str(departure["time"]).replace(":", ""))
    return [[*key, " ".join(sorted(times))] for key, times in groups.items()]


def timetable_config(tables: TimetableTables, *, today: dt.date | None = None,
                     years_ahead: int = 3) -> dict[str, Any]:
    """
    What the map's JavaScript needs once per page: the tables and the public holidays.

    Holidays are listed from 1 January of ``today``'s year to the end of ``years_ahead``
    years later; outside that range the popups show every departure with a note.
    """
    today = today or dt.date.today()
    start, end = dt.date(today.year, 1, 1), dt.date(today.year + years_ahead, 12, 31)
    return {
        "destinations": tables.destinations,
        "labels": tables.labels,
        "notes": tables.notes,
        "texts": tables.texts,
        "holiday_note": tables.index(tables.notes, HOLIDAY_NOTE),
        "holidays": holidays_between(start, end),
        "holidays_from": start.isoformat(),
        "holidays_to": end.isoformat(),
    }
