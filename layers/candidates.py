"""Candidate sites for a new gathering place (e.g. public buildings: 指定避難所, 集会所)."""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd

from geo.crs import STORAGE_CRS
from layers.config import LayerConfig
from layers.errors import LayerError, Problem
from layers.points import StudyExtent, check_points_in_area, points_from_columns
from layers.reader import read_csv, read_vector

logger = logging.getLogger(__name__)
__all__ = ["load_candidates"]


def load_candidates(layer: LayerConfig, *,
                    extent: StudyExtent | None = None) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load candidate sites with columns ``candidate_id``, ``name``, ``address`` and geometry.

    Rows without a position cannot be candidates and are left out with a warning.
    """
    path = layer.path
    if path.suffix.lower() in {".csv", ".txt"}:
        raw = read_csv(path)
        geometries, problems = points_from_columns(
            raw, path, lon_field=layer.source_field("lon"), lat_field=layer.source_field("lat"),
            extent=extent)
    else:
        vector = read_vector(path)
        problems = check_points_in_area(vector.geometry, path, extent=extent)
        geometries = list(vector.geometry)
        raw = pd.DataFrame(vector.drop(columns="geometry"))
    if any(p.is_error for p in problems):
        raise LayerError(problems)

    def text(canonical: str) -> pd.Series:
        source = layer.source_field(canonical)
        if source in raw.columns:
            return raw[source].fillna("").astype(str)
        return pd.Series([""] * len(raw), index=raw.index)

    candidates = gpd.GeoDataFrame(
        {"candidate_id": [f"c{i + 1:04d}" for i in range(len(raw))], "name": text("name"),
         "address": text("address")},
        geometry=gpd.GeoSeries(geometries, index=raw.index, crs=STORAGE_CRS),
    )
    candidates = candidates[candidates.geometry.notna()].reset_index(drop=True)
    logger.info("Loaded %d candidate sites from %s", len(candidates), path.name)
    return candidates, problems
