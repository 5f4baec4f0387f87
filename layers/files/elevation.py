"""Elevation rasters (DEM): GeoTIFF, SRTM ``.hgt`` (also inside a ``.zip``), any GDAL format.

Japan's GSI DEM (基盤地図情報 数値標高モデル, converted to GeoTIFF) and SRTM tiles both work.
Only the window around the study area is read. SRTM voids (-32768, or the file's nodata
value) are filled with the nearest valid height, and the count is logged.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np
from pyproj import CRS, Transformer

from geo.streets.elevation import ElevationGrid, fill_voids, sample_elevation
from geo.streets.network import StreetNetwork
from layers.errors import LayerError

logger = logging.getLogger(__name__)
__all__ = ["elevation_for_network", "load_elevation"]

#: SRTM's void marker, treated as no data even when the file does not declare it.
SRTM_VOID = -32768

_RASTER_SUFFIXES = (".tif", ".tiff", ".hgt", ".asc", ".img", ".vrt")


def _rasterio():
    try:
        import rasterio
    except ImportError:  # pragma: no cover - rasterio is a dependency
        msg = "Reading elevation rasters needs rasterio: pip install rasterio"
        raise ImportError(msg) from None
    return rasterio


def _gdal_path(path: Path) -> str:
    """The path GDAL opens: ``/vsizip/...`` for the one raster inside a zip file."""
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(_RASTER_SUFFIXES)]
    except zipfile.BadZipFile:
        raise LayerError.single(path, "This is not a readable zip file.",
                                fix="Unzip it and configure the raster inside.") from None
    if len(members) != 1:
        raise LayerError.single(
            path, f"The zip holds {len(members)} rasters ({', '.join(members) or 'none'}).",
            fix="Configure a zip with exactly one .tif/.hgt, or the raster itself.")
    return f"/vsizip/{path}/{members[0]}"


def load_elevation(path: str | Path, *,
                   bounds: tuple[float, float, float, float] | None = None,
                   bounds_crs: str | CRS = "EPSG:4326") -> ElevationGrid:
    """
    Read a DEM, or the part of it around ``bounds``.

    Parameters
    ----------
    path
        A GeoTIFF, ``.hgt`` or a zip holding one of them.
    bounds
        ``(minx, miny, maxx, maxy)`` of the area needed, in ``bounds_crs``; the DEM is read
        with a margin of two cells around it.

    Raises
    ------
    LayerError
        The file cannot be read, has no CRS, or does not overlap ``bounds``.
    """
    rasterio = _rasterio()
    from rasterio.windows import Window, from_bounds

    path = Path(path)
    if not path.exists():
        raise LayerError.single(path, "The elevation file does not exist.",
                                fix="Correct the path in the config.")
    try:
        dataset = rasterio.open(_gdal_path(path))
    except rasterio.errors.RasterioIOError as exc:
        raise LayerError.single(path, f"GDAL cannot read this raster: {exc}.",
                                fix="Use a GeoTIFF or an SRTM .hgt file.") from None
    with dataset:
        if dataset.crs is None:
            raise LayerError.single(
                path, "The raster has no CRS, so its position is unknown.",
                fix="Add one, e.g. gdal_edit.py -a_srs EPSG:6668 FILE (GSI DEM is JGD2011).")
        window = Window(0, 0, dataset.width, dataset.height)
        if bounds is not None:
            transformer = Transformer.from_crs(bounds_crs, dataset.crs, always_xy=True)
            needed = transformer.transform_bounds(*bounds, densify_pts=21)
            available = dataset.bounds
            if (needed[0] > available.right or needed[2] < available.left
                    or needed[1] > available.top or needed[3] < available.bottom):
                raise LayerError.single(
                    path, f"The raster (bounds {tuple(round(v, 4) for v in available)} in "
                    f"{dataset.crs.to_string()}) does not overlap the study area "
                    f"({tuple(round(v, 4) for v in needed)}).",
                    fix="Configure a DEM that covers the study area.")
            wanted = from_bounds(*needed, transform=dataset.transform)
            wanted = Window(wanted.col_off - 2, wanted.row_off - 2,
                            wanted.width + 4, wanted.height + 4).round_offsets().round_lengths()
            window = wanted.intersection(window)
        heights = dataset.read(1, window=window, masked=True).astype(float)
        a, b, c, d, e, f = tuple(dataset.transform)[:6]
        col, row = window.col_off, window.row_off  # (window_transform warns with affine 3)
        transform = (a, b, a * col + b * row + c, d, e, d * col + e * row + f)
        crs = dataset.crs.to_wkt()
    heights = heights.filled(np.nan)
    heights[heights == SRTM_VOID] = np.nan
    try:
        heights, n_filled = fill_voids(heights)
    except ValueError:
        raise LayerError.single(path, "The raster has no valid heights in the study area.",
                                fix="Check its nodata value, or use another DEM.") from None
    if n_filled:
        logger.info("Filled %d void cells of %s with the nearest height", n_filled, path.name)
    logger.info("Read elevation %s: %d × %d cells", path.name, heights.shape[1], heights.shape[0])
    return ElevationGrid(heights, transform, crs, source=str(path))


def elevation_for_network(path: str | Path, network: StreetNetwork) -> np.ndarray:
    """
    Height of every node of ``network`` from the DEM at ``path``.

    Raises
    ------
    LayerError
        When the DEM does not cover every node (it names the share covered and the bounds).
    """
    path = Path(path)
    to_lonlat = Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(network.x, network.y)
    bounds = (float(np.min(lon)), float(np.min(lat)), float(np.max(lon)), float(np.max(lat)))
    grid = load_elevation(path, bounds=bounds)
    heights = sample_elevation(grid, network.x, network.y, crs=network.crs)
    missing = ~np.isfinite(heights)
    if missing.any():
        share = 100 * (1 - missing.mean())
        raise LayerError.single(
            path, f"The DEM covers only {share:.1f} % of the street nodes "
            f"({int(missing.sum())} outside; streets span lon {bounds[0]:.4f}–{bounds[2]:.4f}, "
            f"lat {bounds[1]:.4f}–{bounds[3]:.4f}).",
            fix="Use a DEM (or a mosaic of tiles) covering the whole street network.")
    return heights
