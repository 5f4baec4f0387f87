"""Approximate district polygons from points (when no official polygons exist)."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo.crs import METRIC_CRS, STORAGE_CRS, to_metric

logger = logging.getLogger(__name__)
__all__ = ["assign_nearest", "voronoi_districts"]


def assign_nearest(points: gpd.GeoDataFrame, anchors: gpd.GeoDataFrame, *, label: str,
                   metric_crs: str = METRIC_CRS) -> np.ndarray:
    """For each point, the ``label`` of the nearest anchor (measured in ``metric_crs``)."""
    points_m, anchors_m = to_metric(points, metric_crs), to_metric(anchors, metric_crs)
    tree = cKDTree(np.column_stack([anchors_m.geometry.x, anchors_m.geometry.y]))
    _, nearest = tree.query(np.column_stack([points_m.geometry.x, points_m.geometry.y]))
    return anchors[label].to_numpy()[nearest]


def voronoi_districts(
    points: gpd.GeoDataFrame,
    outline: gpd.GeoDataFrame,
    *,
    by: str,
    metric_crs: str = METRIC_CRS,
) -> gpd.GeoDataFrame:
    """
    Dissolve the Voronoi cells of labelled points into district polygons within an outline.

    Each cell is clipped to the part of the outline that holds its point, so that an exclave
    (Takasaki's 新町 part) is not claimed by cells from across the gap.

    Parameters
    ----------
    points
        Points with a district label in column ``by`` (e.g. 町丁 representative points).
    outline
        The study area's polygon(s).

    Returns
    -------
    GeoDataFrame
        One polygon per label, columns ``name`` and geometry, in ``STORAGE_CRS``, sorted by name.
    """
    points_m = to_metric(points, metric_crs)
    parts = to_metric(outline, metric_crs).explode(index_parts=False).reset_index(drop=True)
    area = shapely.union_all(parts.geometry.values)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points_m.geometry.values),
                                     extend_to=area.envelope.buffer(1000))
    cell_frame = gpd.GeoDataFrame(geometry=list(cells.geoms), crs=metric_crs)
    # Voronoi returns cells in no guaranteed order: match each cell to the point it holds.
    joined = gpd.sjoin(points_m[[by, "geometry"]], cell_frame, predicate="within")
    part_of = gpd.sjoin(points_m[["geometry"]], parts, predicate="within")["index_right"]
    pieces = []
    for point_index, cell_index in joined["index_right"].items():
        cell = cell_frame.geometry.iloc[cell_index]
        part_index = part_of.get(point_index)
        clip_to = parts.geometry.iloc[part_index] if part_index is not None else area
        pieces.append((joined.at[point_index, by], cell.intersection(clip_to)))
    frame = gpd.GeoDataFrame({"name": [p[0] for p in pieces]},
                             geometry=[p[1] for p in pieces], crs=metric_crs)
    districts = frame.dissolve(by="name", as_index=False)
    districts["geometry"] = districts.geometry.make_valid()
    logger.info("Derived %d districts from %d points", len(districts), len(points))
    return districts.to_crs(STORAGE_CRS).sort_values("name").reset_index(drop=True)
