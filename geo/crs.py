"""Coordinate reference systems: where layers are stored and where they are measured."""

from __future__ import annotations

import logging

import geopandas as gpd
from pyproj import CRS

logger = logging.getLogger(__name__)
__all__ = [
    "METRIC_CRS",
    "STORAGE_CRS",
    "ensure_metric",
    "ensure_metric_crs",
    "metric_crs_for",
    "to_metric",
    "to_storage",
]

#: Every layer is stored and kept in memory in WGS 84 longitude/latitude (what GeoJSON and
#: Leaflet use). JGD2011 (EPSG:6668) converts to it with a null transform, so layers in
#: JGD2011 are normalised to this on load.
STORAGE_CRS = "EPSG:4326"

#: JGD2011 / Japan Plane Rectangular CS IX, the zone for Gunma (and Tokyo). Distances, areas
#: and buffers are computed here. Other study areas set ``metric_crs`` in their config or let
#: :func:`metric_crs_for` choose a UTM zone from the data.
METRIC_CRS = "EPSG:6677"


def to_metric(gdf: gpd.GeoDataFrame, crs: str | CRS = METRIC_CRS) -> gpd.GeoDataFrame:
    """
    Return a copy of ``gdf`` in a projected, metre-based CRS.

    Parameters
    ----------
    gdf
        A GeoDataFrame with a defined CRS.
    crs
        The target CRS; must be projected with metre units.

    Raises
    ------
    ValueError
        If ``gdf`` has no CRS (we never assume one) or ``crs`` is not in metres.
    """
    if gdf.crs is None:
        msg = "The layer has no CRS; set it when loading (we never assume EPSG:4326)."
        raise ValueError(msg)
    ensure_metric_crs(crs)
    return gdf.to_crs(crs)


def to_storage(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` in :data:`STORAGE_CRS` (a copy unless it is already there)."""
    if gdf.crs is None:
        msg = "The layer has no CRS; set it when loading (we never assume EPSG:4326)."
        raise ValueError(msg)
    if CRS.from_user_input(gdf.crs) == CRS.from_user_input(STORAGE_CRS):
        return gdf
    return gdf.to_crs(STORAGE_CRS)


def ensure_metric_crs(crs: str | CRS) -> CRS:
    """Return ``crs`` as a pyproj CRS, raising ValueError unless it is projected in metres."""
    crs = CRS.from_user_input(crs)
    units = {axis.unit_name for axis in crs.axis_info}
    if not crs.is_projected or units != {"metre"}:
        msg = f"{crs.to_string()} is not a projected CRS in metres (units: {sorted(units)})."
        raise ValueError(msg)
    return crs


def ensure_metric(gdf: gpd.GeoDataFrame) -> None:
    """Raise ValueError unless ``gdf`` is in a projected, metre-based CRS."""
    if gdf.crs is None:
        msg = "The layer has no CRS; measurements need a projected CRS in metres."
        raise ValueError(msg)
    ensure_metric_crs(gdf.crs)


def metric_crs_for(gdf: gpd.GeoDataFrame) -> CRS:
    """
    Choose a metric CRS for an area: the UTM zone that contains the data's centre.

    Study areas in Japan should name their plane rectangular zone in the config instead
    (EPSG:6669–6687); this is the fallback for anywhere else.
    """
    crs = gdf.estimate_utm_crs()
    logger.info("Chose %s as the metric CRS from the data", crs.name)
    return crs
