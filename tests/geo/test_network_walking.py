"""Walking speed, slopes and steps; elevation from hand-made GeoTIFFs and the real Andorra SRTM."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer

from geo.streets.elevation import ElevationGrid, fill_voids, sample_elevation
from geo.streets.network import StreetNetwork
from geo.streets.reach import network_reach, walk_graph
from geo.streets.walking import PROFILES, WalkProfile, edge_minutes, slope_speed_factor
from layers.errors import LayerError
from layers.files.elevation import elevation_for_network, load_elevation
from layers.files.streets import load_streets

CRS = "EPSG:6677"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ANDORRA = SHARED / "osm" / "andorra_graphhopper.osm.pbf"
SRTM = SHARED / "dem" / "srtm3_N42E001.hgt.zip"
# Takasaki station in the plane rectangular zone IX
TAKASAKI_X, TAKASAKI_Y = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(
    139.0125, 36.3222)


def _street(n: int = 11, spacing_m: float = 100.0) -> StreetNetwork:
    """A straight street running east from Takasaki station, one node every 100 m."""
    x = TAKASAKI_X + np.arange(n) * spacing_m
    y = np.full(n, TAKASAKI_Y)
    return StreetNetwork.from_arrays(x, y, np.arange(n - 1), np.arange(1, n), crs=CRS)


def _ramp_tiff(path: Path, *, crs: str = CRS, rise_per_m: float = 0.08,
               bounds: tuple[float, float, float, float] | None = None, size: int = 60) -> Path:
    """A GeoTIFF whose height rises eastwards by ``rise_per_m`` (in ``crs`` units)."""
    if bounds is None:
        bounds = (TAKASAKI_X - 500, TAKASAKI_Y - 500, TAKASAKI_X + 1500, TAKASAKI_Y + 500)
    minx, miny, maxx, maxy = bounds
    cell_x, cell_y = (maxx - minx) / size, (maxy - miny) / size
    centres_x = minx + (np.arange(size) + 0.5) * cell_x
    heights = np.tile(100 + rise_per_m * (centres_x - minx), (size, 1)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1,
                       dtype="float32", crs=crs, nodata=-9999,
                       transform=Affine(cell_x, 0, minx, 0, -cell_y, maxy)) as out:
        out.write(heights, 1)
    return path


def test_flat_ground_gives_the_profile_speed() -> None:
    network = _street()
    minutes = edge_minutes(network, PROFILES["elderly"])
    assert not minutes.slope_aware
    assert minutes.forward == pytest.approx(100 / 60)
    assert minutes.backward == pytest.approx(minutes.forward)
    assert edge_minutes(network, PROFILES["cane"]).forward == pytest.approx(100 / 42)
    assert PROFILES["elderly"].speed_m_per_min == 60.0
    assert PROFILES["cane"].label.startswith("杖・シニアカー")


def test_tobler_variant() -> None:
    assert float(slope_speed_factor(np.array(0.0))) == 1.0
    # Tobler scaled to flat: 6·exp(-3.5·|0.1 + 0.05|) / 6·exp(-3.5·0.05)
    assert float(slope_speed_factor(np.array(0.1))) == pytest.approx(np.exp(-0.35))
    assert float(slope_speed_factor(np.array(-0.05), downhill_speedup=True)) == pytest.approx(
        np.exp(0.175))
    assert float(slope_speed_factor(np.array(-0.05))) == 1.0  # older walkers: no speed-up
    assert float(slope_speed_factor(np.array(-0.2))) < 1.0


def test_steps_cost_extra() -> None:
    network = StreetNetwork.from_arrays([0, 10], [0, 0], [0], [1], kind=["steps"], crs=CRS)
    assert edge_minutes(network, PROFILES["elderly"]).forward[0] == pytest.approx(2 * 10 / 60)
    avoid = WalkProfile("wheels", 42.0, "シニアカー", steps_factor=float("inf"))
    assert np.isinf(edge_minutes(network, avoid).forward[0])


def test_uphill_slower_than_downhill_on_a_geotiff(tmp_path: Path) -> None:
    network = _street()
    tiff = _ramp_tiff(tmp_path / "ramp.tif")
    heights = elevation_for_network(tiff, network)
    assert np.diff(heights) == pytest.approx(8.0, abs=1e-3)  # 8 % over 100 m
    minutes = edge_minutes(network, PROFILES["elderly"], elevation_m=heights)
    assert minutes.slope_aware
    flat = 100 / 60
    assert minutes.forward == pytest.approx(flat / np.exp(-3.5 * 0.08), rel=1e-4)  # uphill
    assert minutes.backward == pytest.approx(flat / min(1.0, np.exp(-3.5 * (0.03 - 0.05))),
                                             rel=1e-4)  # gentle descent: flat pace
    assert (minutes.forward > minutes.backward).all()
    # reach is directed: walking to a place at the top takes longer than to one at the bottom
    graph = walk_graph(network, PROFILES["elderly"], elevation_m=heights)
    top = gpd.GeoDataFrame(geometry=[shapely.Point(network.x[-1], network.y[-1])], crs=CRS)
    bottom = gpd.GeoDataFrame(geometry=[shapely.Point(network.x[0], network.y[0])], crs=CRS)
    to_top = network_reach(graph, top, limit_minutes=60).minutes[0]
    to_bottom = network_reach(graph, bottom, limit_minutes=60).minutes[-1]
    assert to_top > to_bottom * 1.2


def test_dem_in_another_crs_is_reprojected(tmp_path: Path) -> None:
    network = _street()
    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    west, south = to_lonlat.transform(TAKASAKI_X - 500, TAKASAKI_Y - 500)
    east, north = to_lonlat.transform(TAKASAKI_X + 1500, TAKASAKI_Y + 500)
    metres_per_degree = 1500 / (east - to_lonlat.transform(TAKASAKI_X, TAKASAKI_Y)[0])
    tiff = _ramp_tiff(tmp_path / "lonlat.tif", crs="EPSG:4326",
                      rise_per_m=0.08 * metres_per_degree, bounds=(west, south, east, north))
    heights = elevation_for_network(tiff, network)
    assert np.diff(heights) == pytest.approx(8.0, rel=0.01)


def test_dem_not_covering_the_streets_is_refused(tmp_path: Path) -> None:
    network = _street()
    half = _ramp_tiff(tmp_path / "half.tif", bounds=(TAKASAKI_X - 500, TAKASAKI_Y - 500,
                                                      TAKASAKI_X + 450, TAKASAKI_Y + 500))
    with pytest.raises(LayerError, match=r"half.tif: The DEM covers only \d+\.\d %"):
        elevation_for_network(half, network)
    far = _ramp_tiff(tmp_path / "far.tif", bounds=(0, 0, 1000, 1000))
    with pytest.raises(LayerError, match="far.tif.*does not overlap the study area"):
        elevation_for_network(far, network)


def test_dem_without_crs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=Affine(1, 0, 0, 0, -1, 4)) as out:
        out.write(np.zeros((4, 4), dtype="float32"), 1)
    with pytest.raises(LayerError, match="no CRS"):
        load_elevation(path)


def test_voids_are_filled_and_sampling_is_bilinear() -> None:
    heights = np.array([[0.0, 10.0], [np.nan, 30.0]])
    filled, n_filled = fill_voids(heights)
    assert n_filled == 1 and np.isfinite(filled).all()
    grid = ElevationGrid(np.array([[0.0, 10.0], [20.0, 30.0]]), (1, 0, 0, 0, -1, 2), CRS)
    sampled = sample_elevation(grid, np.array([0.5, 1.0, 1.5, 5.0]),
                               np.array([1.5, 1.0, 0.5, 1.0]), crs=CRS)
    assert sampled[:3] == pytest.approx([0.0, 15.0, 30.0])
    assert np.isnan(sampled[3])


@pytest.mark.skipif(not SRTM.exists(), reason="shared/ data not beside the repository")
def test_real_andorra_srtm_and_streets() -> None:
    grid = load_elevation(SRTM, bounds=(1.4, 42.4, 1.7, 42.6))
    assert np.isfinite(grid.heights_m).all()  # SRTM voids filled
    assert grid.heights_m.min() > 500 and grid.heights_m.max() < 3000
    network = load_streets(ANDORRA, area=shapely.box(1.50, 42.49, 1.56, 42.53),
                           metric_crs="EPSG:32631")
    heights = elevation_for_network(SRTM, network)
    assert 900 < np.median(heights) < 1600  # Andorra la Vella and Escaldes
    minutes = edge_minutes(network, PROFILES["elderly"], elevation_m=heights)
    slower = minutes.forward / (network.length_m / 60)
    assert np.mean(np.abs(minutes.forward - minutes.backward) > 1e-6) > 0.5
    assert slower.max() > 1.5  # steep streets take much longer than the flat pace
