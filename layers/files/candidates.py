"""Candidate sites for a new gathering place (e.g. public buildings: 指定避難所, 集会所)."""

from __future__ import annotations

import logging

import geopandas as gpd

from geo.crs import STORAGE_CRS
from layers.config import LayerConfig
from layers.errors import LayerError, Problem
from layers.files.points import StudyExtent, read_points

logger = logging.getLogger(__name__)
__all__ = ["load_candidates"]


def load_candidates(layer: LayerConfig, *,
                    extent: StudyExtent | None = None) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load candidate sites with columns ``candidate_id``, ``name``, ``address`` and geometry.

    Rows without a position cannot be candidates and are left out with a warning.
    """
    raw, geometries, problems, _ = read_points(layer, extent=extent)
    if any(p.is_error for p in problems):
        raise LayerError(problems)
    candidates = gpd.GeoDataFrame(
        {"candidate_id": [f"c{i + 1:04d}" for i in range(len(raw))],
         "name": layer.text_column(raw, "name"),
         "address": layer.text_column(raw, "address")},
        geometry=gpd.GeoSeries(geometries, index=raw.index, crs=STORAGE_CRS),
    )
    candidates = candidates[candidates.geometry.notna()].reset_index(drop=True)
    logger.info("Loaded %d candidate sites from %s", len(candidates), layer.path.name)
    return candidates, problems
