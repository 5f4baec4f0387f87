"""Straight-line buffers: areas in metres, CRS handling."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely

from geo.coverage.buffers import dissolved_buffers, walk_buffers
from geo.crs import METRIC_CRS, to_metric


def point_at(easting: float, northing: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.Point(easting, northing)], crs=METRIC_CRS)


@pytest.mark.parametrize("radius_m", [300.0, 500.0, 800.0])
def test_buffer_area_is_pi_r_squared(radius_m: float) -> None:
    buffers = walk_buffers(point_at(-74_000, 36_000), distance_m=radius_m)
    assert buffers.crs == "EPSG:4326"
    area = to_metric(buffers).area.iloc[0]
    assert area == pytest.approx(math.pi * radius_m**2, rel=0.005)
    assert buffers["radius_m"].iloc[0] == radius_m


def test_buffer_from_lonlat_input_is_measured_in_metres() -> None:
    points = gpd.GeoDataFrame(geometry=[shapely.Point(139.0046, 36.3219)], crs="EPSG:4326")
    area = to_metric(walk_buffers(points, distance_m=500)).area.iloc[0]
    assert area == pytest.approx(math.pi * 500**2, rel=0.005)


def test_overlapping_buffers_dissolve() -> None:
    points = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.Point(600, 0)],
                              crs=METRIC_CRS)
    reach = dissolved_buffers(points, radii_m=[500, 300])
    assert reach["radius_m"].tolist() == [300.0, 500.0]
    two_discs = 2 * math.pi * 500**2
    lens = 2 * 500**2 * math.acos(300 / 500) - 300 * math.sqrt(4 * 500**2 - 600**2)
    assert reach.area.iloc[1] == pytest.approx(two_discs - lens, rel=0.005)
    assert reach.area.iloc[0] == pytest.approx(2 * math.pi * 300**2, rel=0.005)


def test_clip() -> None:
    reach = dissolved_buffers(point_at(0, 0), radii_m=[500], clip_to=shapely.box(0, -1e4, 1e4, 1e4))
    assert reach.area.iloc[0] == pytest.approx(math.pi * 500**2 / 2, rel=0.005)


def test_no_crs_and_bad_radius() -> None:
    with pytest.raises(ValueError, match="no CRS"):
        walk_buffers(gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]), distance_m=500)
    with pytest.raises(ValueError, match="must be > 0"):
        walk_buffers(point_at(0, 0), distance_m=0)
