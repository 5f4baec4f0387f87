"""JIS X 0410 mesh codes: exact cells, nesting, neighbours sharing edges, points back to codes."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geo.mesh import MESH_LEVELS, invalid_mesh_codes, mesh_bounds, mesh_code_at, mesh_polygons


def exact_bounds(code: str) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """The cell worked out digit by digit in exact fractions, straight from the standard."""
    south = Fraction(int(code[:2]) * 2, 3)
    west = Fraction(100 + int(code[2:4]))
    height, width = Fraction(2, 3), Fraction(1)
    if len(code) >= 6:
        height, width = height / 8, width / 8
        south, west = south + int(code[4]) * height, west + int(code[5]) * width
    if len(code) >= 8:
        height, width = height / 10, width / 10
        south, west = south + int(code[6]) * height, west + int(code[7]) * width
    for digit in code[8:]:
        height, width = height / 2, width / 2
        quarter = int(digit) - 1
        south, west = south + (quarter // 2) * height, west + (quarter % 2) * width
    return west, south, west + width, south + height


codes = st.builds(
    lambda a, b, c, d, e, f, quarters: f"{a:02d}{b:02d}{c}{d}{e}{f}" + "".join(quarters),
    st.integers(30, 68), st.integers(22, 53), st.integers(0, 7), st.integers(0, 7),
    st.integers(0, 9), st.integers(0, 9), st.lists(st.sampled_from("1234"), max_size=3))


def test_tokyo_station_cell() -> None:
    """533946114: 80 km 5339, 10 km row 4 col 6, 1 km row 1 col 1, north-east 500 m."""
    west, south, east, north = mesh_bounds(["533946114"])[0]
    assert ((south + north) / 2, (west + east) / 2) == pytest.approx((35.68125, 139.771875),
                                                                      abs=1e-12)
    assert (north - south, east - west) == pytest.approx((15 / 3600, 22.5 / 3600), abs=1e-12)


@given(code=codes)
def test_cells_are_the_standard_ones_to_the_last_bit(code: str) -> None:
    assert mesh_bounds([code])[0].tolist() == [float(v) for v in exact_bounds(code)]


@given(code=codes)
def test_four_quarters_tile_their_parent_exactly(code: str) -> None:
    if len(code) >= 11:
        return
    quarters = mesh_polygons([code + q for q in "1234"])
    parent = mesh_polygons([code])[0]
    assert shapely.union_all(quarters).equals(parent)
    assert sum(q.area for q in quarters) == pytest.approx(parent.area, rel=1e-12)
    assert shapely.intersection(quarters[0], quarters[3]).area == 0  # corners only


def test_neighbours_share_their_edges_exactly() -> None:
    # the 1 km cells 54393089 and 54393180 meet across a 10 km edge (col 9 → next col 0)
    left, right = mesh_bounds(["54393089", "54393180"])
    assert left[2] == right[0] and left[1] == right[1]
    # the 1 km cells 54393090 and 54394000 meet across a 10 km edge (row 9 → next row 0)
    below, above = mesh_bounds(["54393090", "54394000"])
    assert below[3] == above[1] and below[0] == above[0]
    # 250 m cells along a row of 1 km cells tile it without gaps or overlaps
    row = [f"5439308{col}{q}{r}" for col in range(10) for q in "12" for r in "12"]
    union = shapely.union_all(mesh_polygons(row))
    assert union.geom_type == "Polygon" and len(union.interiors) == 0


def test_levels_and_mixed_input() -> None:
    bounds = mesh_bounds(["5439", "543930", "54393080", "543930803", "5439308032",
                          "54393080321"])
    sizes = bounds[:, 3] - bounds[:, 1]
    assert sizes == pytest.approx([2 / 3, 1 / 12, 1 / 120, 1 / 240, 1 / 480, 1 / 960])
    for outer, inner in itertools.pairwise(bounds):
        assert outer[0] <= inner[0] and outer[1] <= inner[1]
        assert inner[2] <= outer[2] and inner[3] <= outer[3]
    assert sorted(MESH_LEVELS) == [4, 6, 8, 9, 10, 11]
    assert mesh_bounds([5439308032]).tolist() == mesh_bounds(["5439308032"]).tolist()


@pytest.mark.parametrize("code", ["543980", "54398000", "543930805", "5439308030", "54-3930",
                                  "５４３９", "", "54393", "5439308032111", "abcd"])
def test_invalid_codes_are_refused(code: str) -> None:
    assert invalid_mesh_codes([code]).tolist() == [True]
    with pytest.raises(ValueError, match="not JIS X 0410 mesh codes"):
        mesh_bounds(["5439", code])


@given(lon=st.floats(122.0, 154.0), lat=st.floats(20.0, 46.0),
       digits=st.sampled_from(sorted(MESH_LEVELS)))
def test_a_point_lies_in_the_cell_of_its_code(lon: float, lat: float, digits: int) -> None:
    code = mesh_code_at([lon], [lat], digits=digits)[0]
    assert len(code) == digits and not invalid_mesh_codes([code])[0]
    west, south, east, north = mesh_bounds([code])[0]
    assert west - 1e-9 <= lon <= east + 1e-9 and south - 1e-9 <= lat <= north + 1e-9


def test_cell_centres_give_back_their_codes() -> None:
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(138.5, 139.5, 2000), rng.uniform(36.0, 36.7, 2000)
    found = mesh_code_at(lon, lat, digits=10)
    bounds = mesh_bounds(found)
    centres = (bounds[:, :2] + bounds[:, 2:]) / 2
    assert (mesh_code_at(centres[:, 0], centres[:, 1], digits=10) == found).all()
    # an edge belongs to the cell north and east of it
    assert mesh_code_at([139.0], [36.0], digits=8)[0] == "54390000"


def test_out_of_range() -> None:
    with pytest.raises(ValueError, match="digits"):
        mesh_code_at([139.0], [36.0], digits=7)
    with pytest.raises(ValueError, match="outside the range"):
        mesh_code_at([2.35], [48.85], digits=8)
