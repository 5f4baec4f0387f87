"""Resident population: points (町丁 representative points), areas or mesh cells, by age band.

Every population layer has the columns ``name``, ``key_code``, ``total``, ``age65``,
``age75``, ``age85`` (:data:`layers.files.bands.COUNT_COLUMNS`; NaN where the data does not
give a band) and geometry. Where it comes from is the config's ``format``:

- none: a table with lon/lat (CSV, dBASE) or a vector file of points or polygons, whose
  ``fields`` map ``total`` (required) and any of ``age65``, ``age75``, ``age85``;
- ``"estat_mesh"``: e-Stat 地域メッシュ統計 files as downloaded
  (:func:`layers.files.estat.mesh.load_mesh_population`);
- ``"estat_small_area"``: the e-Stat 小地域 boundary zip and the age table of the same census
  (:func:`layers.files.estat.small_area.load_small_area_population`).

Analyses use the 65+ count when every row has one and the total otherwise; the column they
use is recorded as ``population.attrs["basis"]`` (``"age65"`` or ``"total"``) so every label
can say which; ``population.attrs["bands"]`` lists the count columns the data gives. An
analysis may ask for another band (:func:`geo.coverage.residents.population_basis`).

Where people live (dasymetric): a polygon's people are spread evenly over its area. Two
options of ``[layers.population]`` narrow that area, for polygons only (points stay whole):

- ``water = "rivers.gpkg"``: polygons where nobody lives (rivers, lakes) are taken out;
- ``dasymetric = "buildings.gpkg"`` (or ``{ path = "landuse.gpkg", keep = { 用途 = "住宅" } }``):
  people are spread only over these polygons (buildings, residential land) inside each unit.

Each polygon then becomes the part of it where people live
(:func:`geo.coverage.residents.living_parts`), so every analysis counts them there; a unit with no
such polygon inside keeps its whole area, with a warning naming its rows, so nobody is lost.
``population.attrs["living"]`` names the files used.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage.residents import living_parts
from geo.crs import STORAGE_CRS
from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.files.bands import AGE_BANDS, COUNT_COLUMNS, band_problems
from layers.files.estat.mesh import load_mesh_population
from layers.files.estat.small_area import load_small_area_population
from layers.files.points import StudyExtent, read_points
from layers.files.reader import keep_rows, read_vector

logger = logging.getLogger(__name__)
__all__ = ["POPULATION_FORMATS", "load_population"]

#: The values of ``format`` in ``[layers.population]`` (None: a plain table or vector file).
POPULATION_FORMATS: tuple[str, ...] = ("estat_mesh", "estat_small_area")


def load_population(layer: LayerConfig, *,
                    extent: StudyExtent | None = None) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load population with columns ``name``, ``key_code``, ``total``, the age bands, geometry.

    ``fields`` in the config maps ``total`` (required), ``age65``, ``age75``, ``age85``
    (optional), ``name``, ``key_code``, and for CSV ``lon``/``lat``; the e-Stat formats are
    described in :mod:`layers.files.estat`.

    Raises
    ------
    LayerError
        Missing total column, counts that are not whole numbers ≥ 0, an age band above the
        band before it (65+ above the total, 75+ above 65+ …), bad coordinates; for the
        e-Stat formats, also every problem of the downloaded files.
    """
    kind = layer.options.get("format")
    _check_options(layer, kind)
    if kind == "estat_mesh":
        population, problems = load_mesh_population(layer, extent=extent)
    elif kind == "estat_small_area":
        population, problems = load_small_area_population(layer, extent=extent)
    elif kind is None:
        population, problems = _load_table(layer, extent)
    else:
        raise LayerError.single(
            layer.path, f"unknown population format {kind!r}.", field="format",
            fix=f"Use one of: {', '.join(POPULATION_FORMATS)} (or leave format out for a "
                "table with lon/lat, or a vector file).")
    population, living_problems = _where_people_live(layer, population)
    problems = [*problems, *living_problems]
    bands = tuple(c for c in COUNT_COLUMNS if population[c].notna().any())
    population.attrs["bands"] = bands
    population.attrs["basis"] = ("age65" if len(population) and population["age65"].notna().all()
                                 else "total")
    logger.info("Loaded %d population %s from %s: %.0f people (basis: %s; bands: %s)",
                len(population), _kind(population), layer.path.name,
                population[population.attrs["basis"]].sum(), population.attrs["basis"],
                ", ".join(bands))
    return population, problems


def _check_options(layer: LayerConfig, kind: str | None) -> None:
    """Refuse options that would otherwise be ignored without a word (e.g. ``columns =``)."""
    known = {"format", "keep", "where", "water", "dasymetric",
             *(("table",) if kind == "estat_small_area" else ())}
    unknown = sorted(set(layer.options) - known)
    if unknown:
        raise LayerError.single(
            layer.path, f"[layers.population] has {', '.join(unknown)}, which ibasho does not "
                        + ("use without format = \"estat_small_area\"." if unknown == ["table"]
                           else "know."), field=unknown[0],
            fix="Map the columns with fields = { total = \"…\", age65 = \"…\", age75 = \"…\", "
                "age85 = \"…\" }; other keys: format, keep, water, dasymetric (and table for "
                "estat_small_area).")


def _polygon_layer(layer: LayerConfig, key: str) -> tuple[np.ndarray | None, str]:
    """The polygons of the option ``key`` (a path, or a table with ``path`` and ``keep``)."""
    option = layer.options.get(key)
    if option is None:
        return None, ""
    path = Path(option["path"] if isinstance(option, dict) else option)
    keep = option.get("keep") if isinstance(option, dict) else None
    frame = read_vector(path)
    if keep:
        frame = keep_rows(frame, keep, path)
    geometries = frame.geometry.make_valid().to_numpy()
    polygonal = shapely.get_type_id(geometries) >= 3  # polygons, multipolygons, collections
    if not polygonal.any():
        raise LayerError.single(
            path, f"{key} needs polygons, and this file has none.", field=key,
            fix="Give areas: building footprints, residential land use, rivers and lakes.")
    return geometries[polygonal], path.name


def _where_people_live(layer: LayerConfig, population: gpd.GeoDataFrame,
                       ) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Polygons cut to where people live (``dasymetric``), never into ``water``."""
    living, living_name = _polygon_layer(layer, "dasymetric")
    water, water_name = _polygon_layer(layer, "water")
    if living is None and water is None:
        return population, []
    units = population.geometry.to_numpy()
    parts, fell_back = living_parts(units, living=living, water=water)
    population = population.set_geometry(gpd.GeoSeries(parts, index=population.index,
                                                        crs=STORAGE_CRS))
    population.attrs["living"] = [name for name in (living_name, water_name) if name]
    rows = np.flatnonzero(fell_back & (population["total"].to_numpy(dtype=float) > 0))
    problems = []
    if len(rows):
        shown = ", ".join(str(population["name"].iloc[i] or i + 1) for i in rows[:10])
        more = f" and {len(rows) - 10:,} more" if len(rows) > 10 else ""
        problems.append(Problem(
            layer.path, f"{len(rows):,} areas with residents have no polygon of "
                        f"{living_name or water_name} inside them ({shown}{more}): their people "
                        "are spread over the whole area.", field="dasymetric",
            fix="Check that the dasymetric layer covers the whole study area.",
            severity=Severity.WARNING))
    logger.info("People spread over where they live (%s): %d of %d areas fell back to their "
                "whole area", ", ".join(population.attrs["living"]), len(rows), len(population))
    return population, problems


def _kind(population: gpd.GeoDataFrame) -> str:
    points = len(population) and (population.geom_type == "Point").all()
    return "points" if points else "areas"


def _starts_with_key_code(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(16).lstrip(b"\xef\xbb\xbf").upper().startswith(b"KEY_CODE")


def _load_table(layer: LayerConfig,
                extent: StudyExtent | None) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    path = layer.path
    if path.suffix.lower() == ".txt" and _starts_with_key_code(path):
        raise LayerError.single(
            path, "this is an e-Stat 統計GIS table (its first column is KEY_CODE).",
            field="format", fix='Add format = "estat_mesh" (地域メッシュ統計) or format = '
                                '"estat_small_area" (小地域, with table = "…") to '
                                "[layers.population].")
    raw, geometries, problems, row_offset = read_points(
        layer, extent=extent, missing_is=Severity.ERROR, allow_polygons=True,
        missing_fix="Every population row needs a position (its representative point).")
    counts = {"total": _counts(raw, layer, "total", row_offset, problems, required=True)}
    for band in AGE_BANDS:
        counts[band] = _counts(raw, layer, band, row_offset, problems, required=False)
    if counts["total"] is not None:
        problems += band_problems(
            {band: None if values is None else values.to_numpy() for band, values in
             counts.items()}, paths=path, rows=np.arange(len(raw)) + row_offset,
            fields={band: layer.source_field(band) for band in COUNT_COLUMNS})
    if any(p.is_error for p in problems):
        raise LayerError(problems)

    population = gpd.GeoDataFrame(
        {"name": layer.text_column(raw, "name"),
         "key_code": layer.text_column(raw, "key_code"),
         **{band: values if values is not None else np.nan for band, values in counts.items()}},
        geometry=gpd.GeoSeries(geometries, index=raw.index, crs=STORAGE_CRS),
    )
    return population, problems


def _counts(raw: pd.DataFrame, layer: LayerConfig, canonical: str, row_offset: int,
            problems: list[Problem], *, required: bool) -> pd.Series | None:
    field = layer.source_field(canonical)
    if field not in raw.columns:
        if required:
            problems.append(Problem(layer.path, f"there is no {field!r} column.", field=field,
                                    fix=f"Map the {canonical} count in the config's fields."))
        elif canonical in layer.fields:
            problems.append(Problem(layer.path, f"there is no {field!r} column (fields."
                                                f"{canonical} in the config).", field=field,
                                    fix=f"Columns found: {', '.join(map(str, raw.columns))}."))
        return None
    values = pd.to_numeric(raw[field].astype(str).str.replace(",", "").str.strip()
                           .replace({"": np.nan, "-": np.nan, "*": np.nan}), errors="coerce")
    bad = values.isna() & raw[field].astype(str).str.strip().ne("") | (values < 0)
    for index in np.flatnonzero(bad.to_numpy()):
        problems.append(Problem(layer.path, f"{raw[field].iloc[index]!r} is not a count of people.",
                                row=int(index) + row_offset, field=field,
                                fix="Write a whole number ≥ 0 (leave it empty if unknown)."))
    if required and values.isna().any():
        for index in np.flatnonzero((values.isna() & ~bad).to_numpy()):
            problems.append(Problem(layer.path, "the count is empty.",
                                    row=int(index) + row_offset, field=field,
                                    fix="Write the number of people (0 if none)."))
    return values.astype(float)
