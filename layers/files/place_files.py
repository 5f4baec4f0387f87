"""Places in and out of the store as files: check an upload, seed from the config, export.

An upload is read with the same code as the config's places file
(:func:`layers.files.places.load_places`), so it accepts what Excel saves (UTF-8, UTF-8 with BOM,
CP932) and GeoJSON/GeoPackage, and every problem is listed before anything is stored.
Exports are written beside their destination and renamed into place when complete; no cell
of a CSV starts a formula in a spreadsheet (:func:`spreadsheet_cell`).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio

from layers.config import LayerConfig, StudyConfig
from layers.errors import LayerError, Problem
from layers.fields.schema import duplicate_name_problems, import_rows_problem
from layers.files.geopackage import write_geopackage
from layers.files.places import load_places, read_places, validate_places
from layers.files.points import StudyExtent

if TYPE_CHECKING:
    from layers.store.places import PlaceStore

logger = logging.getLogger(__name__)
__all__ = ["EXPORT_FORMATS", "FORMULA_START", "ImportPreview", "as_sent", "export_places",
           "preview_import", "seed_store", "spreadsheet_cell"]

#: What :func:`export_places` writes.
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


def preview_import(store: PlaceStore, path: str | Path, *,
                   fields: Mapping[str, str] | None = None,
                   name: str | None = None) -> ImportPreview:
    """
    Read an uploaded file of places and list every problem in it; store nothing.

    Parameters
    ----------
    store
        The store the places would go into (its categories, extent and names).
    path
        The uploaded CSV (as Excel saves it) or vector file.
    fields
        Maps ibasho's names (``name``, ``category``, ``lon``, ``lat`` …) to the file's
        columns, as ``[layers.places.fields]`` in the config; unmapped names are used as is.
    name
        The file's name as its sender knows it (an upload's own name), for the messages;
        ``path`` (where the server keeps it) never appears in them. Default: ``path.name``.

    Notes
    -----
    A file of more than :data:`layers.fields.schema.MAX_ITEMS` ``["import_rows"]`` rows is
    refused as a whole; every text longer than :data:`layers.fields.schema.MAX_CHARS` allows
    is listed with its row and field.
    """
    path = Path(path)
    shown = name or path.name
    layer = LayerConfig("places", path, dict(fields or {}))
    try:  # load_places without stopping at errors: the preview lists every row's problems
        places, problems = read_places(layer, extent=store.extent)
    except LayerError as exc:  # the file as a whole cannot be read
        return ImportPreview(shown, None, as_sent(exc.problems, path, name=shown))
    too_many = import_rows_problem(len(places), label=shown)
    if too_many is not None:
        return ImportPreview(shown, None, [too_many])
    problems += validate_places(places, layer, categories=store.categories)
    stored = store.places()
    problems += duplicate_name_problems(
        list(places["name"]), list(places["row"]),
        stored=dict(zip(stored["name"], stored["place_id"], strict=True)), label=shown)
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


def seed_store(store: PlaceStore, config: StudyConfig, *, user: str,
               extent: StudyExtent | None = None) -> dict[str, int]:
    """
    Import the config's places (and walking routes) into a store that has no places yet.

    Returns
    -------
    dict
        How many features were imported per layer (all 0 when the store had places).

    Raises
    ------
    LayerError
        With every problem in the config's files (nothing is stored).
    """
    from layers.files.routes import load_walking_routes

    counts = {"places": 0, "walking_routes": 0}
    if len(store.places(include_retired=True)):
        logger.info("%s already has places; nothing imported", store.database.display_name)
        return counts
    layer = config.layers["places"]
    places, _ = load_places(layer, categories=config.categories, extent=extent)
    routes_layer = config.layer("walking_routes")
    routes = None
    if routes_layer is not None:  # read before storing anything: a bad file stores nothing
        routes, _ = load_walking_routes(routes_layer, profile=config.walking,
                                        metric_crs=config.metric_crs)
    counts["places"] = len(store.import_places(places, user=user, source=layer.path.name))
    if routes is not None and routes_layer is not None:
        counts["walking_routes"] = len(store.import_walking_routes(
            routes, user=user, source=routes_layer.path.name))
    return counts


def export_places(store: PlaceStore, fmt: str, out: str | Path, *,
                  include_retired: bool = False) -> Path:
    """
    Write the store's places to a file, atomically (a half-written file never replaces ``out``).

    Parameters
    ----------
    store
        The store to export.
    fmt
        ``csv`` (UTF-8 with BOM so that Excel reads the Japanese, CRLF, ``lon``/``lat``
        columns; a text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
        gets a leading ``'`` so that no spreadsheet runs it, :func:`spreadsheet_cell`),
        ``geojson``, or ``gpkg`` (with the walking routes as a second layer).
    out
        The file to write (replaced if it exists).
    include_retired
        Also write retired places, with their ``retired_at``.

    Raises
    ------
    ValueError
        For another ``fmt`` (lists the allowed), or ``out`` being the store's own file.
    """
    if fmt not in EXPORT_FORMATS:
        msg = f"Unknown export format {fmt!r}; use one of: {', '.join(EXPORT_FORMATS)}."
        raise ValueError(msg)
    out = Path(out)
    own = getattr(store.database, "path", None)
    if own is not None and out.resolve() == Path(own).resolve():
        msg = f"Cannot export over the store itself ({out}); choose another file name."
        raise ValueError(msg)
    places = store.places(include_retired=include_retired).drop(columns="row")
    if not include_retired:
        places = places.drop(columns="retired_at")
    if fmt == "gpkg":
        routes = store.walking_routes(include_retired=include_retired)
        write_geopackage({"places": places, "walking_routes": routes if len(routes) else None},
                         out)
    else:
        for column in ("updated_at", "retired_at"):
            if column in places.columns:
                places[column] = places[column].map(
                    lambda t: "" if pd.isna(t) else t.isoformat().replace("+00:00", "Z"))
        _write_atomic(places, out, fmt=fmt)
    logger.info("Exported %d places as %s to %s", len(places), fmt, out)
    return out


def _write_atomic(places: gpd.GeoDataFrame, out: Path, *, fmt: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix,
                                        dir=out.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        if fmt == "csv":
            table = pd.DataFrame(places.drop(columns="geometry"))
            located = places.geometry.notna()
            at = table.columns.get_loc("position_source")
            table.insert(at, "lat", places.geometry.y.where(located))
            table.insert(at, "lon", places.geometry.x.where(located))
            table = table.map(spreadsheet_cell)  # no cell runs as a formula in Excel
            table.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
        else:
            tmp.unlink()  # GDAL creates the file itself
            pyogrio.write_dataframe(places, tmp, driver="GeoJSON")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
