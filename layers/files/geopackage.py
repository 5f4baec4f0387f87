"""Write layers and results to a GeoPackage, all or nothing.

The file is written beside its destination under a temporary name and renamed into place
only when every layer is written, so an interrupted build never leaves half a GeoPackage
where the last good one was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyogrio

from layers.files.atomic import atomic_path

logger = logging.getLogger(__name__)
__all__ = ["read_geopackage_layers", "write_geopackage"]


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and dicts (e.g. bus departures) become JSON text; GeoPackage has no list type."""
    frame = frame.copy()
    for column in frame.columns:
        if column == getattr(frame, "_geometry_column_name", None):
            continue
        if frame[column].dtype == object and frame[column].map(
                lambda v: isinstance(v, list | dict | tuple)).any():
            frame[column] = frame[column].map(lambda v: json.dumps(v, ensure_ascii=False))
    return frame


def write_geopackage(layers: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """
    Write every frame as a layer of one GeoPackage, atomically.

    GeoDataFrames become spatial layers; plain DataFrames become attribute-only tables.

    Raises
    ------
    PermissionError, OSError
        If the destination folder is not writable (nothing is changed then).
    """
    path = Path(path)
    with atomic_path(path, create=False) as tmp:  # GDAL creates the file itself
        for name, frame in layers.items():
            if frame is None:
                continue
            frame = _storable(frame)
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
            logger.debug("Wrote layer %s (%d rows)", name, len(frame))
    logger.info("Wrote %d layers to %s", sum(f is not None for f in layers.values()), path)
    return path


def read_geopackage_layers(path: str | Path) -> list[str]:
    """Names of the layers in a GeoPackage."""
    return [str(name) for name, _ in pyogrio.list_layers(path)]
