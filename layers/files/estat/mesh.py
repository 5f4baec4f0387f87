"""地域メッシュ統計 of the census: people per 1 km, 500 m or 250 m cell, as e-Stat serves them.

The files are e-Stat 統計GIS downloads (:mod:`layers.files.estat.table`): ``tblT001142Q5439.txt``
(or its zip) for one 80 km square, or a prefecture's file, or a folder of several. Each
``KEY_CODE`` becomes its exact JIS X 0410 cell (:func:`geo.mesh.mesh_polygons`); hidden
counts are spread back (:mod:`layers.files.estat.secrecy`); the cells that reach into the study
area are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import STORAGE_CRS
from geo.mesh import MESH_LEVELS, invalid_mesh_codes, mesh_bounds, mesh_polygons
from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.files.bands import COUNT_COLUMNS, capped
from layers.files.estat.secrecy import (
    HIDDEN,
    SpreadCounts,
    gassan_mismatches,
    group_band_problems,
    spread_hidden_counts,
)
from layers.files.estat.table import column_names, read_counts
from layers.files.points import StudyExtent

logger = logging.getLogger(__name__)
__all__ = ["CENSUS_MESH_DIGITS", "load_mesh_population"]

#: The mesh levels of the census 地域メッシュ統計: 1 km, 500 m and 250 m.
CENSUS_MESH_DIGITS = (8, 9, 10)

_ONE_LEVEL_FIX = ("A population layer is one mesh level: use the files of one download "
                  "(1 km, 500 m or 250 m), not a mix.")


def _problem_rows(mask: np.ndarray, paths: np.ndarray, rows: np.ndarray,
                  message: Callable[[int], str], field: str, fix: str,
                  severity: Severity = Severity.ERROR) -> list[Problem]:
    return capped([Problem(paths[i], message(i), row=int(rows[i]), field=field, fix=fix,
                           severity=severity) for i in np.flatnonzero(mask).tolist()])


def _check_codes(codes: np.ndarray, paths: np.ndarray, rows: np.ndarray,
                 problems: list[Problem]) -> None:
    """Errors for codes that are not census mesh codes, of mixed levels, or repeated."""
    invalid = invalid_mesh_codes(codes)
    lengths = np.char.str_len(codes.astype(str))
    census = ~invalid & np.isin(lengths, CENSUS_MESH_DIGITS)
    problems += _problem_rows(
        ~census, paths, rows,
        lambda i: f"{str(codes[i])!r} is not a mesh code of 8, 9 or 10 digits.",
        "KEY_CODE", "KEY_CODE holds JIS X 0410 codes of 1 km (8 digits), 500 m (9) or 250 m "
                    "(10) cells; use the file as e-Stat serves it.")
    if not census.any():
        return
    counted = np.bincount(lengths[census])
    level = int(np.argmax(counted))
    other = census & (lengths != level)
    problems += _problem_rows(
        other, paths, rows,
        lambda i: f"{str(codes[i])!r} is a {MESH_LEVELS[int(lengths[i])]} mesh code, but the other "
                  f"rows have {MESH_LEVELS[level]} codes ({level} digits).",
        "KEY_CODE", _ONE_LEVEL_FIX)
    repeated = pd.Series(codes).duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first_row = pd.Series(np.arange(len(codes)), index=codes).groupby(level=0).first()
    problems += _problem_rows(
        repeated, paths, rows,
        lambda i: f"mesh {codes[i]} is also in row {rows[first_row[codes[i]]]} of "
                  f"{Path(paths[first_row[codes[i]]]).name}.",
        "KEY_CODE", "Each cell may come once: remove the copy of the file, or the other "
                    "file that covers the same cells.")


def _in_area(bounds: np.ndarray, extent: StudyExtent | None) -> np.ndarray:
    """True for the cells whose area reaches into the study area (touching is not enough)."""
    if extent is None:
        return np.ones(len(bounds), dtype=bool)
    outline = extent.outline
    minx, miny, maxx, maxy = outline.bounds
    near = np.flatnonzero((bounds[:, 0] < maxx) & (bounds[:, 2] > minx)
                          & (bounds[:, 1] < maxy) & (bounds[:, 3] > miny))
    inside = np.zeros(len(bounds), dtype=bool)
    if len(near):
        shapely.prepare(outline)
        cells = shapely.box(*bounds[near].T)
        inside[near] = shapely.intersects(outline, cells) & ~shapely.touches(outline, cells)
    return inside


def _primary_meshes(extent: StudyExtent) -> set[str]:
    """The 80 km squares (4-digit codes) the study area reaches into."""
    minx, miny, maxx, maxy = extent.outline.bounds
    codes = [f"{lat:02d}{lon:02d}"
             for lat in range(int(miny * 1.5), int(maxy * 1.5) + 1)
             for lon in range(int(minx) - 100, int(maxx) - 100 + 1)]
    cells = mesh_polygons(codes)
    touched = shapely.intersects(extent.outline, cells) & ~shapely.touches(extent.outline, cells)
    return {code for code, hit in zip(codes, touched, strict=True) if hit}


def load_mesh_population(layer: LayerConfig, *, extent: StudyExtent | None = None,
                         ) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load census 地域メッシュ統計 as polygons with ``total`` and the age bands it gives.

    ``layer.path`` is a ``tblT….txt`` file, its zip, or a folder of them (one mesh level).
    ``fields`` may name the column of each count (``total``, ``age65``, ``age75``,
    ``age85``); otherwise they are found by their e-Stat labels
    (:data:`layers.files.estat.table.DEFAULT_LABELS`).

    Returns
    -------
    (GeoDataFrame, list of Problem)
        One row per cell reaching into the study area: ``name`` (empty), ``key_code`` (the
        mesh code), ``total``, ``age65``, ``age75``, ``age85`` (NaN where the file has no such
        column, or a hidden value no row carries), the cell's polygon (EPSG:4326); and
        warnings.

    Raises
    ------
    LayerError
        With every error: encoding, a missing code row, unknown columns, codes that are not
        mesh codes or of mixed levels, repeated cells, counts that are not whole numbers ≥ 0,
        an age band above the total, no cell in the study area.
    """
    unknown = sorted(set(layer.fields) - set(COUNT_COLUMNS))
    if unknown:
        raise LayerError.single(
            layer.path, f"fields names {', '.join(unknown)}, which a mesh file does not have.",
            field=f"fields.{unknown[0]}",
            fix=f"A mesh layer's fields are the counts: {', '.join(COUNT_COLUMNS)}.")
    table, problems = read_counts(layer.path, layer.fields)
    frame, paths, rows = table.cells, table.paths, table.rows
    columns = column_names(table.columns)
    codes = frame["KEY_CODE"].to_numpy(dtype=str)
    secrecy = frame["HTKSYORI"].to_numpy(dtype=int)
    _check_codes(codes, paths, rows, problems)
    if any(p.is_error for p in problems):
        raise LayerError(problems)

    spread = spread_hidden_counts(codes, secrecy, frame["HTKSAKI"].to_numpy(dtype=str),
                                  table.values, table.hidden)
    problems += group_band_problems(spread.values, spread.carrier, paths=paths, rows=rows,
                                    fields=columns)
    bounds = mesh_bounds(codes)
    keep = _in_area(bounds, extent)
    if not keep.any():
        problems += _outside(codes, paths, rows, extent, len(codes))
    if any(p.is_error for p in problems):
        raise LayerError(problems)

    warnings = [p for p in problems if not p.is_error]
    warnings += _warnings(frame, codes, secrecy, spread, keep, paths, rows, columns, extent)
    kept = np.flatnonzero(keep)
    population = gpd.GeoDataFrame(
        {"name": "", "key_code": codes[kept],
         **{band: (spread.values[band][kept] if band in columns else np.nan)
            for band in COUNT_COLUMNS}},
        geometry=gpd.GeoSeries(shapely.box(*bounds[kept].T), crs=STORAGE_CRS))
    logger.info("Read %d %s cells of %s (%d in the study area): %.0f people; columns %s",
                len(codes), MESH_LEVELS[len(codes[0])], layer.path.name, len(kept),
                population["total"].sum(), columns)
    return population, warnings


def _outside(codes: np.ndarray, paths: np.ndarray, rows: np.ndarray,
             extent: StudyExtent | None, n_cells: int) -> list[Problem]:
    wanted = ", ".join(sorted(_primary_meshes(extent))) if extent is not None else "?"
    return [Problem(paths[0], f"none of the {n_cells:,} cells lies in the study area: the "
                              f"first, {codes[0]}, is in the 80 km square {codes[0][:4]}; the "
                              f"study area is in {wanted}.", row=int(rows[0]), field="KEY_CODE",
                    fix="Is this the file of another prefecture? Download the mesh files of "
                        f"the 80 km squares {wanted} (or the prefecture's file).")]


def _warnings(frame: pd.DataFrame, codes: np.ndarray, secrecy: np.ndarray, spread: SpreadCounts,
              keep: np.ndarray, paths: np.ndarray, rows: np.ndarray, columns: dict[str, str],
              extent: StudyExtent | None) -> list[Problem]:
    """What the user should know about the cells kept: counts no row carries, odd GASSAN."""
    warnings: list[Problem] = []
    for band, lost in spread.unresolved.items():
        column = columns[band]
        warnings += _problem_rows(
            lost & keep, paths, rows,
            lambda i: (f"the value is hidden ('*') but HTKSAKI names {frame['HTKSAKI'].iloc[i]!r}, "
                       "which is not in the data: this cell's count is unknown."
                       if secrecy[i] == HIDDEN else
                       "the value is hidden ('*') but HTKSYORI does not say where it went: "
                       "this cell's count is unknown."),
            column, "Add the file of the neighbouring 80 km square (or use the prefecture's "
                    "file), so that the cell carrying it is read too.", Severity.WARNING)
    wrong = np.zeros(len(codes), dtype=bool)
    wrong[gassan_mismatches(codes, secrecy, frame["GASSAN"].to_numpy(dtype=str),
                            spread.carrier)] = True
    warnings += _problem_rows(
        wrong & keep, paths, rows,
        lambda i: "another cell's GASSAN lists this cell, but its HTKSAKI names a different "
                  "carrier; ibasho follows HTKSAKI.", "HTKSAKI",
        "Check that the file is as e-Stat serves it.", Severity.WARNING)
    if extent is not None:
        have = set(pd.Series(codes).str[:4].unique())
        for square in sorted(_primary_meshes(extent) - have):
            warnings.append(Problem(
                paths[0], f"the study area reaches into the 80 km square {square}, but no file "
                          "has a cell there: people living there are not counted.",
                field="KEY_CODE", fix=f"Add the mesh file of {square} (e.g. tbl…Q{square}.zip), "
                                      "or use the prefecture's file.",
                severity=Severity.WARNING))
    return warnings
