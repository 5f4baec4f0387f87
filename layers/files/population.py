"""Resident population: points (町丁 representative points) or polygons, with totals and 65+.

Analyses use the 65+ count when every row has one and the total otherwise; the column they
use is recorded as ``population.attrs["basis"]`` (``"age65"`` or ``"total"``) so every label
can say which.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import STORAGE_CRS
from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.files.points import StudyExtent, read_points

logger = logging.getLogger(__name__)
__all__ = ["load_population"]


def load_population(layer: LayerConfig, *,
                    extent: StudyExtent | None = None) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load population with columns ``name``, ``key_code``, ``total``, ``age65`` and geometry.

    ``fields`` in the config maps ``total`` (required), ``age65`` (optional), ``name``,
    ``key_code``, and for CSV ``lon``/``lat``.

    Raises
    ------
    LayerError
        Missing total column, counts that are not whole numbers ≥ 0, 65+ above the total, bad
        coordinates.
    """
    path = layer.path
    raw, geometries, problems, row_offset = read_points(
        layer, extent=extent, missing_is=Severity.ERROR, allow_polygons=True,
        missing_fix="Every population row needs a position (its representative point).")
    total = _counts(raw, layer, "total", row_offset, problems, required=True)
    age65 = _counts(raw, layer, "age65", row_offset, problems, required=False)
    if total is not None and age65 is not None:
        for index in np.flatnonzero((age65 > total).to_numpy()):
            problems.append(Problem(path, f"65+ ({age65.iloc[index]:.0f}) is more than the "
                                          f"total ({total.iloc[index]:.0f}).",
                                    row=int(index) + row_offset, field=layer.source_field("age65"),
                                    fix="Check that the two columns are not swapped."))
    if any(p.is_error for p in problems):
        raise LayerError(problems)

    population = gpd.GeoDataFrame(
        {"name": layer.text_column(raw, "name"),
         "key_code": layer.text_column(raw, "key_code"), "total": total,
         "age65": age65 if age65 is not None else np.nan},
        geometry=gpd.GeoSeries(geometries, index=raw.index, crs=STORAGE_CRS),
    )
    population.attrs["basis"] = "age65" if age65 is not None and age65.notna().all() else "total"
    logger.info("Loaded %d population %s from %s: %.0f people (basis: %s)", len(population),
                "areas" if path.suffix != ".csv" else "points", path.name,
                population[population.attrs["basis"]].sum(), population.attrs["basis"])
    return population, problems


def _counts(raw: pd.DataFrame, layer: LayerConfig, canonical: str, row_offset: int,
            problems: list[Problem], *, required: bool) -> pd.Series | None:
    field = layer.source_field(canonical)
    if field not in raw.columns:
        if required:
            problems.append(Problem(layer.path, f"there is no {field!r} column.", field=field,
                                    fix=f"Map the {canonical} count in the config's fields."))
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
