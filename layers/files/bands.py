"""The age bands a population layer may carry, and the checks every population loader applies.

A population layer has the columns :data:`COUNT_COLUMNS`: ``total`` (everyone), then the
nested broad bands ``age65`` (65 and over), ``age75`` and ``age85``. A band the data does not
give is NaN. Every band is at most the band before it that the data gives (85+ ≤ 75+ ≤ 65+ ≤
total); a row that breaks this is an error naming file, row and column.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from layers.errors import Problem

logger = logging.getLogger(__name__)
__all__ = ["AGE_BANDS", "BAND_NAMES", "COUNT_COLUMNS", "MAX_PROBLEMS_PER_COLUMN",
           "band_problems", "bands_present", "capped"]

#: The broad age bands, oldest last; each is part of the one before it.
AGE_BANDS: tuple[str, ...] = ("age65", "age75", "age85")

#: The count columns of every population layer, in order.
COUNT_COLUMNS: tuple[str, ...] = ("total", *AGE_BANDS)

#: How messages name each count.
BAND_NAMES: dict[str, str] = {"total": "the total", "age65": "65+", "age75": "75+",
                              "age85": "85+"}

#: A file with the same problem in thousands of rows lists this many, then says how many more.
MAX_PROBLEMS_PER_COLUMN = 20


def bands_present(counts: Mapping[str, np.ndarray | None]) -> tuple[str, ...]:
    """The columns of :data:`COUNT_COLUMNS` that ``counts`` gives (not None), in order."""
    return tuple(c for c in COUNT_COLUMNS if counts.get(c) is not None)


def band_problems(counts: Mapping[str, np.ndarray | None], *,
                  paths: Path | str | Sequence[Path | str] | np.ndarray,
                  rows: Sequence[int] | np.ndarray,
                  fields: Mapping[str, str], note: Sequence[str] | None = None,
                  tolerance: float = 1e-6) -> list[Problem]:
    """
    Errors for rows whose band is larger than the band before it (or than the total).

    Parameters
    ----------
    counts
        Column name (:data:`COUNT_COLUMNS`) → one value per row (NaN: unknown); None or
        missing: the data has no such column.
    paths, rows
        The file (one for all, or one per row) and the row users see, for messages.
    fields
        Column name → the source column, for messages.
    note
        Optional words added to each row's message (e.g. the cells merged into it).
    tolerance
        Counts spread over merged cells are fractions: larger by more than this counts.

    Examples
    --------
    >>> found = band_problems({"total": np.array([10.0, 5.0]), "age65": np.array([4.0, 7.0])},
    ...                       paths="pop.csv", rows=[2, 3], fields={"age65": "65歳以上"})
    >>> found[0].row, found[0].field, found[0].problem
    (3, '65歳以上', '65+ (7) is more than the total (5).')
    """
    present = bands_present(counts)
    problems: list[Problem] = []
    for position, band in enumerate(present[1:], start=1):
        values = np.asarray(counts[band], dtype=float)
        # compare with the nearest wider band that has a value in the row
        limit = np.full(len(values), np.nan)
        wider = np.full(len(values), -1)
        for candidate in range(position - 1, -1, -1):
            open_rows = np.isnan(limit)
            limit = np.where(open_rows, np.asarray(counts[present[candidate]], dtype=float),
                             limit)
            wider = np.where(open_rows & ~np.isnan(limit), candidate, wider)
        with np.errstate(invalid="ignore"):
            over = np.flatnonzero(values > limit + tolerance)
        found = []
        for index in over.tolist():
            path = paths if isinstance(paths, str | Path) else paths[index]
            extra = f" {note[index]}" if note is not None and note[index] else ""
            name = present[wider[index]]
            found.append(Problem(
                path, f"{BAND_NAMES[band]} ({values[index]:.0f}) is more than "
                      f"{BAND_NAMES[name]} ({limit[index]:.0f}).{extra}",
                row=int(rows[index]), field=fields.get(band, band),
                fix="Check that the two columns are not swapped."
                if name == "total" else f"Check the columns of {BAND_NAMES[name]} and "
                                        f"{BAND_NAMES[band]} in the config's fields."))
        problems += capped(found)
    return problems


def capped(problems: list[Problem], limit: int = MAX_PROBLEMS_PER_COLUMN) -> list[Problem]:
    """
    The first ``limit`` problems, and one more saying how many rows had the same problem.

    For problems of one kind in one column: a wrong column chosen in the config must not bury
    the other messages under 50,000 lines.
    """
    if len(problems) <= limit:
        return problems
    first, rest = problems[:limit], problems[limit:]
    last = rest[-1]
    summary = Problem(last.path, f"… and {len(rest):,} more rows with the same problem "
                                 f"(up to row {last.row}).", field=last.field, fix=last.fix,
                      severity=last.severity)
    return [*first, summary]
