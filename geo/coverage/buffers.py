"""Straight-line walking reach: buffers around points, measured in metres."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import geopandas as gpd
import shapely

from geo.crs import METRIC_CRS, STORAGE_CRS, to_metric

logger = logging.getLogger(__name__)
__all__ = ["dissolved_buffers", "walk_buffers"]

#: Segments per quarter circle: 16 keeps a 500 m buffer's area within 0.1 % of π·r².
QUAD_SEGS = 16


def walk_buffers(points: gpd.GeoDataFrame, *, distance_m: float,
                 metric_crs: str = METRIC_CRS) -> gpd.GeoDataFrame:
    """
    Buffer points by a straight-line walking distance.

    Parameters
    ----------
    points
        Points with a defined CRS (any CRS); rows without geometry are skipped.
    distance_m
        Radius in metres, > 0.
    metric_crs
        Projected CRS in metres where the buffer is drawn.

    Returns
    -------
    GeoDataFrame
        One buffer per located point, with the input's columns plus ``radius_m``, in
        ``STORAGE_CRS``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> p = gpd.GeoDataFrame(geometry=[shapely.Point(139.0, 36.32)], crs="EPSG:4326")
    >>> float(round(walk_buffers(p, distance_m=500).to_crs("EPSG:6677").area.iloc[0] / 1e6, 2))
    0.78
    """
    if distance_m <= 0:
        msg = f"`distance_m` must be > 0, got {distance_m!r}."
        raise ValueError(msg)
    located = points[points.geometry.notna() & ~points.geometry.is_empty]
    buffered = to_metric(located, metric_crs)
    buffered["geometry"] = buffered.buffer(distance_m, quad_segs=QUAD_SEGS)
    buffered["radius_m"] = float(distance_m)
    logger.debug("Buffered %d points by %.0f m", len(buffered), distance_m)
    return buffered.to_crs(STORAGE_CRS)


def dissolved_buffers(points: gpd.GeoDataFrame, *, radii_m: Sequence[float],
                      clip_to: shapely.Geometry | None = None,
                      metric_crs: str = METRIC_CRS) -> gpd.GeoDataFrame:
    """
    One dissolved reach polygon per radius, optionally clipped to an area.

    Parameters
    ----------
    points
        Points in any CRS.
    radii_m
        Radii in metres, each > 0.
    clip_to
        An area in ``metric_crs`` (e.g. the union of the districts) to clip to.

    Returns
    -------
    GeoDataFrame
        Columns ``radius_m`` and geometry, in ``metric_crs`` (callers measure areas from it).
    """
    rows = []
    for radius_m in sorted(radii_m):
        buffers = walk_buffers(points, distance_m=radius_m, metric_crs=metric_crs)
        union = shapely.union_all(to_metric(buffers, metric_crs).geometry.values)
        if clip_to is not None:
            union = shapely.intersection(union, clip_to)
        rows.append({"radius_m": float(radius_m), "geometry": union})
    logger.info("Dissolved buffers of %d points at %s m", int(points.geometry.notna().sum()),
                ", ".join(f"{r:.0f}" for r in sorted(radii_m)))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=metric_crs)
