"""Turn lon/lat columns into points, and check points against the study area.

Shared by every point layer (places, population, candidates): the checks and their messages
are the same everywhere, so a coordinator sees one style of message whatever the file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import METRIC_CRS, STORAGE_CRS
from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.files.reader import TABLE_SUFFIXES, keep_rows, read_table, read_vector

__all__ = ["StudyExtent", "check_points_in_area", "points_from_columns", "read_points"]

#: How far outside the study-area outline a point may lie and still count as inside
#: (a place just across the city boundary still serves the city's residents).
OUTSIDE_TOLERANCE_M = 1000.0


class StudyExtent:
    """The study area's outline, prepared for fast "is this point inside?" questions, and the
    names of its 町丁 (``towns``, from the population layer; empty without one)."""

    def __init__(self, outline: BaseGeometry, *, metric_crs: str = METRIC_CRS,
                 tolerance_m: float = OUTSIDE_TOLERANCE_M, towns: Iterable[str] = ()) -> None:
        outline_m = gpd.GeoSeries([outline], crs=STORAGE_CRS).to_crs(metric_crs)
        grown = outline_m.buffer(tolerance_m).to_crs(STORAGE_CRS).iloc[0]
        self.outline = outline
        self.area = grown
        self.tolerance_m = tolerance_m
        #: The 町丁 names of the population layer: what an area resource may say it serves.
        self.towns = frozenset(str(town) for town in towns if str(town))
        shapely.prepare(self.area)

    def contains_lonlat(self, lon: float, lat: float) -> bool:
        return bool(shapely.contains_xy(self.area, lon, lat))


def _parse_number(text: str) -> float | None:
    text = str(text).strip().replace("，", ".").replace("．", ".")
    if not text:
        return None
    return float(text)  # ValueError for text that is not a number


def points_from_columns(
    frame: pd.DataFrame,
    path: Path,
    *,
    lon_field: str,
    lat_field: str,
    extent: StudyExtent | None,
    row_offset: int = 2,
    missing_is: Severity = Severity.WARNING,
    missing_fix: str = "Add lon/lat (e.g. from 地理院地図) to draw it on the map.",
) -> tuple[list[BaseGeometry | None], list[Problem]]:
    """
    Build one point (or None) per row from text lon/lat columns, with every problem found.

    Checks: both fields present; numbers; within ±180/±90; lat/lon swapped (a point that
    only falls in the study area when swapped); outside the study area.

    Parameters
    ----------
    frame
        Rows as text (as :func:`layers.files.reader.read_csv` returns them).
    path
        The file, for messages.
    row_offset
        Added to the 0-based index to give the row users see (2 for a CSV with a header).
    missing_is
        Severity of a row with no coordinates at all (places keep such rows: a warning).
    """
    problems: list[Problem] = []
    geometries: list[BaseGeometry | None] = []
    for column in (lon_field, lat_field):
        if column not in frame.columns:
            problems.append(Problem(path, f"there is no {column!r} column.", field=column,
                                    fix=f"Columns found: {', '.join(map(str, frame.columns))}. "
                                        "Rename the column or map it in the config's fields."))
    if problems:
        return [None] * len(frame), problems

    for index, (lon_text, lat_text) in enumerate(zip(frame[lon_field], frame[lat_field],
                                                    strict=True)):
        row = index + row_offset
        try:
            lon, lat = _parse_number(lon_text), _parse_number(lat_text)
        except ValueError:
            bad_field = lon_field if not _is_number(lon_text) else lat_field
            bad_value = lon_text if bad_field == lon_field else lat_text
            problems.append(Problem(path, f"{bad_value!r} is not a number.", row=row,
                                    field=bad_field,
                                    fix="Write decimal degrees, e.g. lon 139.0046, lat 36.3219."))
            geometries.append(None)
            continue
        if lon is None and lat is None:
            problems.append(Problem(path, "no coordinates: kept and listed, but not on the map.",
                                    row=row, field=f"{lon_field}/{lat_field}", fix=missing_fix,
                                    severity=missing_is))
            geometries.append(None)
            continue
        if lon is None or lat is None:
            empty = lon_field if lon is None else lat_field
            problems.append(Problem(path, "only one coordinate is given.", row=row, field=empty,
                                    fix="Give both lon and lat, or neither."))
            geometries.append(None)
            continue
        problem = _check_lonlat(path, row, lon, lat, lon_field, lat_field, extent)
        if problem is not None:
            problems.append(problem)
            geometries.append(None)
            continue
        geometries.append(shapely.Point(lon, lat))
    return geometries, problems


def _is_number(text: str) -> bool:
    try:
        _parse_number(text)
    except ValueError:
        return False
    return True


def _check_lonlat(path: Path | str, row: int, lon: float, lat: float, lon_field: str,
                  lat_field: str, extent: StudyExtent | None) -> Problem | None:
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        if abs(lat) <= 180 and abs(lon) <= 90:
            pass  # may be swapped; handled below
        else:
            return Problem(path, f"({lon}, {lat}) is not a longitude/latitude.", row=row,
                           field=f"{lon_field}/{lat_field}",
                           fix="Use WGS 84 / JGD2011 decimal degrees.")
    if extent is None:
        if abs(lat) > 90:
            return Problem(path, f"latitude {lat} is beyond ±90.", row=row, field=lat_field,
                           fix=f"Are {lon_field} and {lat_field} swapped?")
        return None
    if extent.contains_lonlat(lon, lat):
        return None
    if extent.contains_lonlat(lat, lon):
        return Problem(path, f"lon/lat look swapped: ({lon}, {lat}) is outside the study area "
                             f"but ({lat}, {lon}) is inside.", row=row,
                       field=f"{lon_field}/{lat_field}",
                       fix=f"Swap the values of {lon_field!r} and {lat_field!r} in this row.")
    return Problem(path, f"({lon}, {lat}) is outside the study area "
                         f"(more than {extent.tolerance_m:.0f} m beyond its outline).", row=row,
                   field=f"{lon_field}/{lat_field}",
                   fix="Check the coordinates, or remove the row if it belongs to another city.")


def check_points_in_area(
    points: gpd.GeoSeries, path: Path | str, *, extent: StudyExtent | None, row_offset: int = 1,
    fields: Sequence[str] = ("geometry",),
) -> list[Problem]:
    """Problems for points of a vector layer: empty, not points, outside the area or swapped."""
    problems: list[Problem] = []
    for index, geometry in enumerate(points):
        row = index + row_offset
        if geometry is None or geometry.is_empty:
            problems.append(Problem(path, "the feature has no geometry.", row=row,
                                    field=fields[0], fix="Give it a point position.",
                                    severity=Severity.WARNING))
            continue
        if geometry.geom_type != "Point":
            problems.append(Problem(path, f"expected a point, got a {geometry.geom_type}.",
                                    row=row, field=fields[0], fix="Use point features."))
            continue
        problem = _check_lonlat(path, row, geometry.x, geometry.y, "x", "y", extent)
        if problem is not None:
            problems.append(problem)
    return problems


def read_points(
    layer: LayerConfig,
    *,
    extent: StudyExtent | None,
    missing_is: Severity = Severity.WARNING,
    missing_fix: str = "Add lon/lat (e.g. from 地理院地図) to draw it on the map.",
    allow_polygons: bool = False,
) -> tuple[pd.DataFrame, list[BaseGeometry | None], list[Problem], int]:
    """
    Read a point layer from a table (CSV, dBASE: lon/lat columns) or a vector file.

    Returns
    -------
    (DataFrame, list, list of Problem, int)
        The attributes, one point (or None) per row, the problems found in positions, and
        the offset that turns a 0-based index into the row users see (2 for tables, whose
        header is row 1; 1 for vector features). With ``allow_polygons``, a vector layer of
        polygons (population by area) is taken as it is.
    """
    path = layer.path
    if "where" in layer.options:
        raise LayerError.single(
            path, "the config's where = is SQL text, which ibasho no longer runs.",
            fix='Name the rows to keep as values instead, e.g. keep = { CITY = "202" }.')
    keep = layer.options.get("keep")
    if path.suffix.lower() in TABLE_SUFFIXES:
        raw = keep_rows(read_table(path), keep, path)
        geometries, problems = points_from_columns(
            raw, path, lon_field=layer.source_field("lon"), lat_field=layer.source_field("lat"),
            extent=extent, missing_is=missing_is, missing_fix=missing_fix)
        return raw, geometries, problems, 2
    vector = keep_rows(read_vector(path), keep, path)
    polygonal = allow_polygons and not (vector.geom_type == "Point").all()
    problems = [] if polygonal else check_points_in_area(vector.geometry, path, extent=extent)
    geometries = [g if g is not None and not g.is_empty else None for g in vector.geometry]
    return pd.DataFrame(vector.drop(columns="geometry")), geometries, problems, 1
