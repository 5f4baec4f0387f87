"""Heights from an elevation grid (DEM) at any points: bilinear sampling and void filling.

Reading the raster file is :func:`layers.files.elevation.load_elevation`'s job; this module only
does the arithmetic, in the DEM's own CRS (points are transformed to it, never the raster).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer
from scipy import ndimage

logger = logging.getLogger(__name__)
__all__ = ["ElevationGrid", "fill_voids", "sample_elevation"]


@dataclass(frozen=True)
class ElevationGrid:
    """A north-up grid of heights in metres (NaN = no data) and where it lies."""

    #: Heights, shape (rows, cols); row 0 is the top (north) edge.
    heights_m: np.ndarray
    #: Affine transform ``(a, b, c, d, e, f)``: x = a·col + b·row + c, y = d·col + e·row + f,
    #: for the top-left corner of cell (col, row), as in rasterio/GDAL.
    transform: tuple[float, float, float, float, float, float]
    #: The grid's CRS (any pyproj-readable form).
    crs: str
    #: Where the grid came from, for messages.
    source: str = ""


def fill_voids(heights_m: np.ndarray) -> tuple[np.ndarray, int]:
    """
    Fill NaN cells with the nearest valid height; returns the grid and how many were filled.

    SRTM marks voids (steep valleys, water) with -32768; loaders turn them into NaN first.
    """
    voids = ~np.isfinite(heights_m)
    n_voids = int(voids.sum())
    if n_voids == 0:
        return heights_m, 0
    if voids.all():
        msg = "The elevation grid has no valid heights at all."
        raise ValueError(msg)
    nearest = ndimage.distance_transform_edt(voids, return_distances=False, return_indices=True)
    filled = heights_m[tuple(nearest)]
    return filled, n_voids


def sample_elevation(grid: ElevationGrid, x: np.ndarray, y: np.ndarray, *,
                     crs: str | CRS) -> np.ndarray:
    """
    Heights at points by bilinear interpolation between cell centres.

    Parameters
    ----------
    grid
        The DEM.
    x, y
        Point coordinates in ``crs`` (easting/longitude first).
    crs
        The CRS of the points; they are transformed to the grid's CRS (``always_xy``).

    Returns
    -------
    ndarray
        Heights in metres; NaN where a point lies outside the grid or next to a void.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if CRS.from_user_input(crs) != CRS.from_user_input(grid.crs):
        transformer = Transformer.from_crs(crs, grid.crs, always_xy=True)
        x, y = transformer.transform(x, y)
    a, b, c, d, e, f = grid.transform
    determinant = a * e - b * d
    # cell coordinates of the points, measured from the centre of cell (0, 0)
    col = (e * (x - c) - b * (y - f)) / determinant - 0.5
    row = (-d * (x - c) + a * (y - f)) / determinant - 0.5
    n_rows, n_cols = grid.heights_m.shape
    inside = (col >= -0.5) & (col <= n_cols - 0.5) & (row >= -0.5) & (row <= n_rows - 0.5)
    col = np.clip(col, 0, n_cols - 1)
    row = np.clip(row, 0, n_rows - 1)
    col0 = np.minimum(np.floor(col).astype(np.int64), max(n_cols - 2, 0))
    row0 = np.minimum(np.floor(row).astype(np.int64), max(n_rows - 2, 0))
    col1, row1 = np.minimum(col0 + 1, n_cols - 1), np.minimum(row0 + 1, n_rows - 1)
    tc, tr = col - col0, row - row0
    h = grid.heights_m
    heights = ((1 - tr) * ((1 - tc) * h[row0, col0] + tc * h[row0, col1])
               + tr * ((1 - tc) * h[row1, col0] + tc * h[row1, col1]))
    return np.where(inside, heights, np.nan)
