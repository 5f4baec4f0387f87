"""Cell outlines: the same polygons as GDAL's polygonize (rasterio ``shapes``, 8-connectivity)
on random grids, as one shapely array."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from rasterio.features import shapes

from geo.polygonize import label_polygons

TRANSFORM = Affine(20.0, 0.0, 1000.0, 0.0, -20.0, 5000.0)  # 20 m cells, y up


def _gdal(labels: np.ndarray) -> list[tuple[int, shapely.Geometry]]:
    return [(int(value), shapely.geometry.shape(geometry))
            for geometry, value in shapes(labels.astype(np.int32), mask=labels != 0,
                                          transform=TRANSFORM, connectivity=8)]


def _key(item: tuple[int, shapely.Geometry]) -> tuple:
    value, polygon = item
    return (value, *shapely.bounds(polygon), round(polygon.area, 6))


@settings(max_examples=400, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 14), st.integers(1, 14)),
              elements=st.integers(0, 3)))
def test_the_polygons_of_every_label_equal_gdals(labels: np.ndarray) -> None:
    polygons, values = label_polygons(labels, TRANSFORM)
    ours = sorted(zip(values.tolist(), polygons, strict=True), key=_key)
    theirs = sorted(_gdal(labels), key=_key)
    assert [v for v, _ in ours] == [v for v, _ in theirs]
    for (value, mine), (_, gdal) in zip(ours, theirs, strict=True):
        assert shapely.equals(mine, gdal), (value, mine.wkt, gdal.wkt)
        assert len(mine.interiors) == len(gdal.interiors)


def test_holes_rings_and_corner_touches() -> None:
    ring = np.array([[1, 1, 1, 1, 0],
                     [1, 2, 0, 1, 0],
                     [1, 1, 1, 1, 0],
                     [0, 0, 0, 0, 1]])  # a 1 with a hole holding a 2 and a 0; a corner 1
    polygons, values = label_polygons(ring, TRANSFORM)
    by_value = {int(v): p for p, v in zip(polygons, values, strict=True)}
    assert sorted(values.tolist()) == [1, 2]  # the corner cell joins the ring (8-connected)
    assert by_value[1].area == pytest.approx(11 * 400.0)
    assert len(by_value[1].interiors) == 1 and by_value[2].area == pytest.approx(400.0)
    gdal = shapely.union_all([p for _, p in _gdal(ring)])
    assert shapely.equals(shapely.union_all(polygons), gdal)


def test_an_empty_grid_has_no_polygons_and_bad_grids_are_refused() -> None:
    polygons, values = label_polygons(np.zeros((3, 4), dtype=np.int16))
    assert len(polygons) == 0 and len(values) == 0
    for bad in (np.zeros(4, dtype=int), np.full((2, 2), 0.5), np.full((2, 2), -1)):
        with pytest.raises(ValueError, match="non-negative integers"):
            label_polygons(bad)
