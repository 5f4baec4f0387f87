"""Read a layer file of any supported format into a (Geo)DataFrame, with clear errors.

CSV comes as Excel saves it: UTF-8, UTF-8 with BOM, or CP932 (Shift_JIS). Vector files
(GeoJSON, GeoPackage, Shapefile, zipped Shapefile, GPX) are read with pyogrio.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataSourceError

from geo.crs import to_storage
from layers.errors import LayerError

logger = logging.getLogger(__name__)
__all__ = ["CSV_ENCODINGS", "TABLE_SUFFIXES", "VECTOR_SUFFIXES", "decode_text", "keep_rows",
           "read_csv", "read_dbf", "read_table", "read_vector"]

#: Encodings tried for CSV, in order. UTF-8 is strict, so CP932 is only used for files that are
#: not valid UTF-8 (as Excel's 「CSV (コンマ区切り)」 saves them in Japan).
CSV_ENCODINGS = ("utf-8-sig", "cp932")

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".gpx", ".fgb")

#: Attribute tables with lon/lat columns (no geometry): CSV as Excel saves it, and dBASE
#: tables as e-Stat ships them (Shift_JIS, without a .cpg file naming the encoding).
TABLE_SUFFIXES = (".csv", ".txt", ".dbf")


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)`` for a CSV file's bytes, trying :data:`CSV_ENCODINGS`."""
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise LayerError.single(
        path,
        "the file is neither UTF-8 nor Shift_JIS (CP932) text.",
        fix="Save it from Excel as 「CSV UTF-8 (コンマ区切り)」.",
    )


def read_csv(path: Path) -> pd.DataFrame:
    """
    Read a CSV as strings (no type guessing), detecting the encoding.

    Raises
    ------
    LayerError
        If the file is empty, has only a header, or is not UTF-8/CP932 text.
    """
    data = path.read_bytes()
    text, encoding = decode_text(path, data) if data.strip() else ("", "")
    if not text.strip():  # also a file with only Excel's byte order mark
        raise LayerError.single(path, "the file is empty.", fix="Export the table again.")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except pd.errors.ParserError as exc:
        raise LayerError.single(path, f"this is not a well-formed CSV table ({exc}).",
                                fix="Check the commas and quotes of that line.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise LayerError.single(path, "the file has a header but no rows.",
                                fix="Add at least one row.")
    logger.debug("Read %s (%s): %d rows", path.name, encoding, len(frame))
    return frame


def read_vector(path: Path, *, layer: str | None = None,
                encoding: str | None = None) -> gpd.GeoDataFrame:
    """
    Read a vector file and return it in the storage CRS.

    A zipped Shapefile is read through GDAL's ``/vsizip/``. GPX files default to their
    ``tracks`` layer. ``encoding`` names the text encoding of a Shapefile's attributes that
    has no ``.cpg`` (e.g. ``"cp932"`` for e-Stat's); text that does not decode raises
    ``UnicodeDecodeError``.

    Raises
    ------
    LayerError
        If the file cannot be opened, is empty, or has no CRS.
    """
    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    if layer is None and path.suffix.lower() == ".gpx":
        layer = "tracks"
    if path.stat().st_size == 0:
        raise LayerError.single(path, "the file is empty.", fix="Export the layer again.")
    try:
        with warnings.catch_warnings(record=True) as gdal_warnings:
            # GDAL reports features it cannot read as warnings (and reads them as NULL)
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(source, layer=layer, encoding=encoding)
    except (DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise LayerError.single(path, f"cannot be read as a vector layer ({exc}).",
                                fix="Use GeoJSON, GeoPackage, Shapefile (.zip) or GPX.") from None
    for warning in gdal_warnings:
        message = str(warning.message).strip()
        if "geometry" in message.lower():
            raise LayerError.single(
                path, f"some features have a geometry that cannot be read ({message}).",
                field="geometry", fix="Give every feature a valid geometry, e.g. a Point "
                                      "with [lon, lat] coordinates, or none at all.")
        logger.info("%s: %s", path.name, message)
    if frame.empty:
        raise LayerError.single(path, "the layer has no features.", fix="Export it again.")
    if frame.crs is None:
        raise LayerError.single(
            path,
            "the file has no coordinate reference system (e.g. a Shapefile without .prj).",
            fix="Add the .prj file, or re-save it with a CRS (e.g. EPSG:6668 or EPSG:4326).",
        )
    return to_storage(frame)


def read_dbf(path: Path) -> pd.DataFrame:
    """Read a dBASE table's attributes, detecting UTF-8 or CP932 when no ``.cpg`` names it."""
    encodings: tuple[str | None, ...] = (
        (None,) if path.with_suffix(".cpg").exists() else ("utf-8", "cp932"))
    for encoding in encodings:
        try:
            frame = pyogrio.read_dataframe(path, read_geometry=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise LayerError.single(path, f"cannot be read as a dBASE table ({exc}).",
                                    fix="Check the file, or save it again as dBASE.") from None
        if frame.empty:
            raise LayerError.single(path, "the table has no rows.", fix="Export it again.")
        return pd.DataFrame(frame)
    raise LayerError.single(path, "the table is neither UTF-8 nor Shift_JIS (CP932) text.",
                            fix="Add a .cpg file naming its encoding (e.g. CP932).")


def read_table(path: Path) -> pd.DataFrame:
    """An attribute table (CSV or dBASE) with lon/lat columns; see :data:`TABLE_SUFFIXES`."""
    if path.suffix.lower() == ".dbf":
        return read_dbf(path)
    return read_csv(path)


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def keep_rows(frame: pd.DataFrame, keep: Mapping[str, Any] | None, path: Path) -> pd.DataFrame:
    """
    The rows of ``frame`` whose columns hold the values of ``keep``, renumbered from 0.

    ``keep`` is the config's ``keep = { CITY = "202" }``: column names and a value, or a list of
    values, that a row must have (compared as text, so ``202`` and ``"202"`` are the same). It
    is a plain comparison of values, never query text: a config holds data, not code.

    Raises
    ------
    LayerError
        If ``keep`` is not such a table, names a column the file lacks, or keeps no row.

    Examples
    --------
    >>> table = pd.DataFrame({"CITY": ["202", "201", "202"], "JINKO": [5, 7, 9]})
    >>> keep_rows(table, {"CITY": 202}, Path("gunma.dbf"))["JINKO"].tolist()
    [5, 9]
    """
    if not keep:
        return frame
    if not isinstance(keep, Mapping):
        raise LayerError.single(path, f"keep must be a table of column = value, got {keep!r}.",
                                fix='Write e.g. keep = { CITY = "202" } in the config.')
    mask = pd.Series(True, index=frame.index)
    for column, wanted in keep.items():
        if column not in frame.columns:
            raise LayerError.single(
                path, f"keep names the column {column!r}, which the file does not have.",
                field=column, fix=f"Columns found: {', '.join(map(str, frame.columns))}.")
        values = wanted if isinstance(wanted, list) else [wanted]
        mask &= frame[column].map(_as_text).isin({_as_text(value) for value in values})
    if not mask.any():
        described = ", ".join(f"{column} = {wanted!r}" for column, wanted in keep.items())
        raise LayerError.single(path, f"no row has {described}.",
                                fix="Check the values of keep = in the config.")
    return frame[mask].reset_index(drop=True)
