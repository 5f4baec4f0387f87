"""GeoJSON for the browser: rounded coordinates, lightly simplified shapes, JSON-safe values.

The map and the ``/api/`` endpoints send the same layers; this module makes them small and
serialisable (numpy numbers, NaN and lists of dicts included). Shapes are simplified in the
study area's metric CRS, never in degrees.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import STORAGE_CRS, to_metric

logger = logging.getLogger(__name__)
__all__ = [
    "COORDINATE_DECIMALS",
    "DISPLAY_TOLERANCE_M",
    "feature_collection",
    "json_value",
    "round_geometries",
    "simplify_for_display",
]

#: Decimals kept in longitudes and latitudes (1e-6° ≈ 0.1 m).
COORDINATE_DECIMALS = 6

#: Polygons are simplified by about this much before they are drawn (metres).
DISPLAY_TOLERANCE_M = 5.0


def json_value(value: Any) -> Any:
    """
    ``value`` as something :func:`json.dumps` accepts: numpy scalars become Python numbers,
    NaN and None become None, lists, tuples and dicts are converted item by item.

    Examples
    --------
    >>> json_value({"a": np.int64(3), "b": [np.float64("nan"), (1, 2)]})
    {'a': 3, 'b': [None, [1, 2]]}
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_value(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    try:
        if pd.isna(value):  # pd.NA, NaT
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def round_geometries(geometries: Iterable, *,
                     decimals: int = COORDINATE_DECIMALS) -> np.ndarray:
    """Geometries with every coordinate rounded to ``decimals`` (None stays None)."""
    values = np.asarray(list(geometries), dtype=object)
    return shapely.transform(values, lambda coords: np.round(coords, decimals))


def simplify_for_display(frame: gpd.GeoDataFrame, *, metric_crs: str,
                         tolerance_m: float = DISPLAY_TOLERANCE_M,
                         coverage: bool = False) -> gpd.GeoDataFrame:
    """
    A copy of ``frame`` with its shapes simplified by ``tolerance_m`` metres, in ``STORAGE_CRS``.

    Parameters
    ----------
    frame
        Polygons or lines with a CRS.
    metric_crs
        The CRS the tolerance is measured in.
    tolerance_m
        Simplification tolerance in metres; 0 keeps the shapes.
    coverage
        The polygons tile an area without overlaps (districts): simplify shared edges once,
        so neighbours keep meeting without slivers.
    """
    if tolerance_m <= 0 or frame.empty:
        return frame.to_crs(STORAGE_CRS)
    frame_m = to_metric(frame, metric_crs)
    geometries = frame_m.geometry.values
    if coverage:
        try:
            simplified = shapely.coverage_simplify(geometries, tolerance_m)
        except (shapely.errors.GEOSException, AttributeError, ValueError):
            logger.warning("Coverage simplification failed; simplifying polygons one by one")
            simplified = shapely.simplify(geometries, tolerance_m, preserve_topology=True)
    else:
        simplified = shapely.simplify(geometries, tolerance_m, preserve_topology=True)
    frame_m = frame_m.set_geometry(gpd.GeoSeries(simplified, index=frame_m.index,
                                                 crs=frame_m.crs))
    return frame_m.to_crs(STORAGE_CRS)


def feature_collection(frame: gpd.GeoDataFrame, *, properties: Iterable[str] | None = None,
                       extra: Iterable[Mapping[str, Any]] | None = None,
                       decimals: int = COORDINATE_DECIMALS) -> dict[str, Any]:
    """
    A GeoJSON FeatureCollection (a dict) of ``frame`` in ``STORAGE_CRS``.

    Parameters
    ----------
    frame
        Any GeoDataFrame with a CRS; rows without geometry get ``"geometry": null``.
    properties
        Columns to keep (all but the geometry by default).
    extra
        One mapping per row, merged into that feature's properties (popups, styles).
    decimals
        Decimals kept in coordinates.

    Examples
    --------
    >>> from shapely import Point
    >>> frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(139.0123456, 36.3)],
    ...                          crs="EPSG:4326")
    >>> feature_collection(frame)["features"][0]["geometry"]["coordinates"]
    (139.012346, 36.3)
    """
    if frame.crs is None:
        msg = "The layer has no CRS; set it when loading (we never assume EPSG:4326)."
        raise ValueError(msg)
    frame = frame.to_crs(STORAGE_CRS)
    columns = [c for c in (properties if properties is not None else frame.columns)
               if c != frame.geometry.name]
    geometries = round_geometries(frame.geometry.values, decimals=decimals)
    extras = list(extra) if extra is not None else [{}] * len(frame)
    if len(extras) != len(frame):
        msg = f"`extra` has {len(extras)} items for {len(frame)} rows."
        raise ValueError(msg)
    records = frame[columns].to_dict(orient="records")
    features = []
    for record, geometry, added in zip(records, geometries, extras, strict=True):
        props = {key: json_value(value) for key, value in record.items()}
        props.update({key: json_value(value) for key, value in added.items()})
        features.append({
            "type": "Feature",
            "properties": props,
            "geometry": None if geometry is None or geometry.is_empty
            else shapely.geometry.mapping(geometry),
        })
    return {"type": "FeatureCollection", "features": features}
