"""Files of places: check an upload, write an export; the file work only (no store).

An upload is read with the same code as the config's places file
(:func:`layers.files.places.load_places`), so it accepts what Excel saves (UTF-8, UTF-8 with BOM,
CP932) and GeoJSON/GeoPackage, and every problem is listed (:func:`check_places_file`).
Exports are written beside their destination and renamed into place when complete
(:func:`write_places_file`); no cell of a CSV starts a formula in a spreadsheet
(:func:`spreadsheet_cell`). Moving places between these files and the store is
:mod:`layers.store.place_io`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from layers.config import LayerConfig
from layers.errors import LayerError, Problem
from layers.fields.schedule import schedule_problems
from layers.fields.schema import duplicate_name_problems, import_rows_problem
from layers.files.atomic import atomic_path
from layers.files.places import read_places, validate_places
from layers.files.points import StudyExtent

logger = logging.getLogger(__name__)
__all__ = ["EXPORT_FORMATS", "FORMULA_START", "ImportPreview", "as_sent", "check_places_file",
           "spreadsheet_cell", "write_places_file"]

#: What :func:`layers.store.place_io.export_places` writes.
EXPORT_FORMATS = ("csv", "geojson", "gpkg")

#: A cell starting with one of these is read as a formula by Excel, LibreOffice or Google
#: Sheets (CSV injection, OWASP): ``=``, ``+``, ``-``, ``@``, tab and carriage return.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """
    A CSV cell that no spreadsheet runs as a formula: text starting with one of
    :data:`FORMULA_START` gets a leading ``'``, which spreadsheets take as "this is text".

    Every CSV that ibasho writes passes its cells through this function (the places export,
    the planner's scenario table). Numbers, and text that is just a number (``-12.5``), are
    left as they are; so is other text.

    Examples
    --------
    >>> spreadsheet_cell("=1+2"), spreadsheet_cell("+81 27-321-1111")
    ("'=1+2", "'+81 27-321-1111")
    >>> spreadsheet_cell("-12.5"), spreadsheet_cell(-3), spreadsheet_cell("中央公民館")
    ('-12.5', -3, '中央公民館')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and \
            not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


@dataclass(frozen=True)
class ImportPreview:
    """What importing a file would add, and every problem found in it (nothing is stored)."""

    source: str
    #: The places read (None when the file could not be read at all).
    places: gpd.GeoDataFrame | None
    #: Every problem, errors and warnings, in row order (file-level ones first).
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        """True when the file can be imported (it may have warnings)."""
        return self.places is not None and not self.errors


def check_places_file(path: str | Path, *, fields: Mapping[str, str] | None = None,
                      name: str | None = None, extent: StudyExtent | None,
                      categories: Sequence[str], stored: Mapping[str, str],
                      today: dt.date | None = None) -> ImportPreview:
    """
    Read a file of places and list every problem in it (the file work of an import preview).

    Parameters
    ----------
    path
        The uploaded CSV (as Excel saves it) or vector file.
    fields
        Maps ibasho's names (``name``, ``category``, ``lon``, ``lat`` …) to the file's
        columns, as ``[layers.places.fields]`` in the config; unmapped names are used as is.
    name
        The file's name as its sender knows it (an upload's own name), for the messages;
        ``path`` (where the server keeps it) never appears in them. Default: ``path.name``.
    extent
        The study extent every place must lie in (None: no check).
    categories
        The allowed categories.
    stored
        The names already stored (name → place id), which a new place may not reuse.
    today
        The day schedules' periods are compared with (default: today in Japan).

    Notes
    -----
    Every schedule that is not read as dates (declined, irregular or without its hours) is
    listed as a warning with the reason (:func:`layers.fields.schedule.schedule_problems`).
    A file of more than :data:`layers.fields.schema.MAX_ITEMS` ``["import_rows"]`` rows is
    refused as a whole; every text longer than :data:`layers.fields.schema.MAX_CHARS` allows
    is listed with its row and field.
    """
    path = Path(path)
    shown = name or path.name
    layer = LayerConfig("places", path, dict(fields or {}))
    try:  # load_places without stopping at errors: the preview lists every row's problems
        places, problems = read_places(layer, extent=extent)
    except LayerError as exc:  # the file as a whole cannot be read
        return ImportPreview(shown, None, as_sent(exc.problems, path, name=shown))
    too_many = import_rows_problem(len(places), label=shown)
    if too_many is not None:
        return ImportPreview(shown, None, [too_many])
    problems += validate_places(places, layer, categories=categories,
                                towns=() if extent is None else extent.towns)
    problems += duplicate_name_problems(list(places["name"]), list(places["row"]),
                                        stored=stored, label=shown)
    problems += schedule_problems(places["schedule"], places["row"], path=path,
                                  field=layer.source_field("schedule"), today=today)
    # row by row, as the preview lists them (a row's problems stay in the order found)
    problems.sort(key=lambda p: p.row if p.row is not None else 0)
    preview = ImportPreview(shown, places, as_sent(problems, path, name=shown))
    logger.info("Checked %s: %d places, %d errors, %d warnings", shown, len(places),
                len(preview.errors), len(problems) - len(preview.errors))
    return preview


def as_sent(problems: list[Problem], path: Path, *, name: str) -> list[Problem]:
    """
    ``problems`` of the file kept at ``path`` as its sender knows it: named ``name``, and
    with no trace of ``path`` (GDAL and pandas put the path they read into their messages).

    Examples
    --------
    >>> kept = Path("/srv/uploads/0f3a.json")
    >>> [str(p) for p in as_sent([Problem(kept, f"'{kept}' is not GeoJSON.")], kept,
    ...                          name="場所.json")]
    ["場所.json: '場所.json' is not GeoJSON."]
    """
    traces = sorted({str(path), str(path.resolve()), str(path.parent), str(path.resolve().parent),
                     path.name}, key=len, reverse=True)  # the whole path before its parts

    def scrub(text: str) -> str:
        for trace in traces:
            text = text.replace(trace, name)
        return text

    return [replace(p, path=name, problem=scrub(p.problem), fix=scrub(p.fix))
            for p in problems]


def write_places_file(places: gpd.GeoDataFrame, out: Path, *, fmt: str) -> None:
    """
    Write ``places`` to ``out`` as ``csv`` or ``geojson``, atomically: into a temporary file
    beside ``out``, renamed over it when complete (a half-written file never replaces ``out``).

    The CSV is UTF-8 with BOM (so that Excel reads the Japanese), CRLF, with ``lon``/``lat``
    columns before ``position_source``, and every cell passes :func:`spreadsheet_cell`.
    """
    if fmt == "csv":
        table = pd.DataFrame(places.drop(columns="geometry"))
        located = places.geometry.notna()
        at = table.columns.get_loc("position_source")
        table.insert(at, "lat", places.geometry.y.where(located))
        table.insert(at, "lon", places.geometry.x.where(located))
        table = table.map(spreadsheet_cell)  # no cell runs as a formula in Excel
        with atomic_path(out) as tmp:
            table.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    else:
        with atomic_path(out, create=False) as tmp:  # GDAL creates the file itself
            pyogrio.write_dataframe(places, tmp, driver="GeoJSON")
