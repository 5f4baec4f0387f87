"""JIS X 0410 地域メッシュ: mesh codes to their exact cells, and points to codes, vectorised.

A code is read digit by digit: the first four name the 80 km 第1次地域区画 (two digits of
latitude × 1.5, two of longitude − 100), the next two the 10 km 第2次地域区画 (row, column
0–7), the next two the 1 km 基準地域メッシュ (row, column 0–9); each further digit picks a
quarter of the cell before it (1 south-west, 2 south-east, 3 north-west, 4 north-east): the
9th the 500 m 2分の1地域メッシュ, the 10th the 250 m 4分の1 and the 11th the 125 m 8分の1.

Every corner is counted in whole steps of the 125 m cell (3.75″ of latitude, 5.625″ of
longitude) and divided once, so a cell is exact to the last bit of a float and neighbours
share their edges exactly. The grid is drawn on the geodetic datum of the data (JGD2011 for
the 2020 census, JGD2000 for 2015), both of which ibasho stores as WGS 84 degrees (they
differ by far less than a metre in longitude/latitude).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

logger = logging.getLogger(__name__)
__all__ = ["MESH_LEVELS", "MeshCells", "invalid_mesh_codes", "mesh_bounds", "mesh_cells_covering",
           "mesh_code_at", "mesh_codes_covering", "mesh_polygons"]

#: Code length (digits) → the cell's name, as e-Stat calls the levels.
MESH_LEVELS: dict[int, str] = {4: "80 km", 6: "10 km", 8: "1 km", 9: "500 m", 10: "250 m",
                               11: "125 m"}

#: Latitude is counted in steps of 1/960° (3.75″), longitude in steps of 1/640° (5.625″).
_LAT_STEPS_PER_DEGREE = 960
_LON_STEPS_PER_DEGREE = 640
#: The size of each level's cell in those steps (the same number for latitude and longitude).
_CELL_STEPS = {4: 640, 6: 80, 8: 8, 9: 4, 10: 2, 11: 1}


def _as_text(codes: npt.ArrayLike) -> np.ndarray:
    """Codes as a 1-D array of str (integers become their digits)."""
    array = np.asarray(codes).reshape(-1)
    if array.dtype.kind in "iu":
        return array.astype(str)
    if array.dtype.kind == "O":  # e.g. a pandas string column
        return np.asarray([str(code).strip() for code in array], dtype=str)
    return np.char.strip(array.astype(str))


def _digits(codes: np.ndarray, length: int) -> np.ndarray:
    """An (n, length) array of the digits of ``length``-digit ASCII codes."""
    raw = np.frombuffer(codes.astype(f"S{length}").tobytes(), dtype=np.uint8)
    return raw.reshape(len(codes), length).astype(np.int64) - ord("0")


def invalid_mesh_codes(codes: npt.ArrayLike) -> np.ndarray:
    """
    True where a code is not a JIS X 0410 mesh code of a level in :data:`MESH_LEVELS`.

    A code must be all digits, 4, 6, 8, 9, 10 or 11 long, with rows and columns of the 10 km
    level in 0–7 and quarters in 1–4.

    Examples
    --------
    >>> invalid_mesh_codes(["5439", "543930", "54393080", "543930803", "5439308032"]).tolist()
    [False, False, False, False, False]
    >>> invalid_mesh_codes(["543980", "543930805", "54-39", "", "５４３９"]).tolist()
    [True, True, True, True, True]
    """
    text = _as_text(codes)
    invalid = np.ones(len(text), dtype=bool)
    lengths = np.char.str_len(text)
    ascii_digits = np.char.isdigit(text) & (np.char.str_len(np.char.encode(text, "utf-8"))
                                            == lengths)  # full-width digits are not codes
    for length in MESH_LEVELS:
        at = np.flatnonzero((lengths == length) & ascii_digits)
        if not len(at):
            continue
        digits = _digits(text[at], length)
        good = np.ones(len(at), dtype=bool)
        if length >= 6:
            good &= (digits[:, 4] <= 7) & (digits[:, 5] <= 7)
        for quarter in range(8, length):
            good &= (digits[:, quarter] >= 1) & (digits[:, quarter] <= 4)
        invalid[at] = ~good
    return invalid


def mesh_bounds(codes: npt.ArrayLike) -> np.ndarray:
    """
    The exact ``(west, south, east, north)`` of each mesh code's cell, in degrees.

    Parameters
    ----------
    codes
        Mesh codes as text or integers, of any levels in :data:`MESH_LEVELS` (mixed is fine).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 4)``: longitude and latitude bounds, as ``(minx, miny, maxx, maxy)``.

    Raises
    ------
    ValueError
        If a code is not a mesh code (see :func:`invalid_mesh_codes`); names the first ones.

    Examples
    --------
    A 250 m cell of central Takasaki: 80 km 5439, 10 km row 3 column 0, 1 km row 8 column 0,
    then the north-west quarter (3) and its south-east quarter (2):

    >>> mesh_bounds(["5439308032"]).round(6).tolist()
    [[139.003125, 36.320833, 139.00625, 36.322917]]
    """
    text = _as_text(codes)
    bad = np.flatnonzero(invalid_mesh_codes(text))
    if len(bad):
        shown = ", ".join(f"{text[i]!r} (item {i})" for i in bad[:5])
        msg = f"{len(bad)} codes are not JIS X 0410 mesh codes, e.g. {shown}."
        raise ValueError(msg)
    south = np.zeros(len(text), dtype=np.int64)
    west = np.zeros(len(text), dtype=np.int64)
    size = np.zeros(len(text), dtype=np.int64)
    lengths = np.char.str_len(text)
    for length, steps in _CELL_STEPS.items():
        at = np.flatnonzero(lengths == length)
        if not len(at):
            continue
        d = _digits(text[at], length)
        lat = (d[:, 0] * 10 + d[:, 1]) * 640
        lon = (100 + d[:, 2] * 10 + d[:, 3]) * 640
        if length >= 6:
            lat += d[:, 4] * 80
            lon += d[:, 5] * 80
        if length >= 8:
            lat += d[:, 6] * 8
            lon += d[:, 7] * 8
        step = 8
        for quarter in range(8, length):
            step //= 2
            q = d[:, quarter] - 1
            lat += (q // 2) * step
            lon += (q % 2) * step
        south[at], west[at], size[at] = lat, lon, steps
    return np.column_stack([west / _LON_STEPS_PER_DEGREE, south / _LAT_STEPS_PER_DEGREE,
                            (west + size) / _LON_STEPS_PER_DEGREE,
                            (south + size) / _LAT_STEPS_PER_DEGREE])


def mesh_polygons(codes: npt.ArrayLike) -> np.ndarray:
    """
    The cell of each mesh code as a shapely rectangle (lon/lat degrees), see :func:`mesh_bounds`.

    Examples
    --------
    >>> cell = mesh_polygons(["54393080"])[0]
    >>> [round(v, 4) for v in cell.bounds]
    [139.0, 36.3167, 139.0125, 36.325]
    """
    return _boxes(mesh_bounds(codes))


def _boxes(bounds: np.ndarray) -> np.ndarray:
    """Rectangles of ``(west, south, east, north)`` rows, counter-clockwise from the
    south-east corner as ``shapely.box`` draws them (rings first, then polygons: faster)."""
    west, south, east, north = bounds.T
    rings = np.stack([np.column_stack(corner) for corner in (
        (east, south), (east, north), (west, north), (west, south), (east, south))], axis=1)
    return shapely.polygons(shapely.linearrings(rings))


def mesh_code_at(lon: npt.ArrayLike, lat: npt.ArrayLike, *, digits: int) -> np.ndarray:
    """
    The code of the ``digits``-long mesh cell holding each point (lon/lat degrees).

    A point on an edge belongs to the cell to its north and east, as in JIS X 0410.

    Raises
    ------
    ValueError
        If ``digits`` is not a level of :data:`MESH_LEVELS`, or a point lies outside the
        range the codes can name (latitude 0–66.7°, longitude 100–200°).

    Examples
    --------
    >>> mesh_code_at([139.0046, 139.0046], [36.3219, 36.3219], digits=10).tolist()
    ['5439308032', '5439308032']
    >>> mesh_code_at([139.0046], [36.3219], digits=8).tolist()
    ['54393080']
    """
    if digits not in _CELL_STEPS:
        msg = f"`digits` must be one of {sorted(_CELL_STEPS)}, got {digits!r}."
        raise ValueError(msg)
    lon_array = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_array = np.atleast_1d(np.asarray(lat, dtype=float))
    # a hair of tolerance so that an edge computed in floating point falls north/east
    lat_steps = np.floor(lat_array * _LAT_STEPS_PER_DEGREE + 1e-7).astype(np.int64)
    lon_steps = np.floor((lon_array - 100) * _LON_STEPS_PER_DEGREE + 1e-7).astype(np.int64)
    if (lat_steps < 0).any() or (lat_steps >= 100 * 640).any() or (lon_steps < 0).any() \
            or (lon_steps >= 100 * 640).any():
        msg = "Some points lie outside the range of JIS X 0410 codes (lat 0–66.7°, lon 100–200°)."
        raise ValueError(msg)
    # the code as a number, digit group by digit group (the first group may start with 0 only
    # below latitude 6.7°, far south of Japan, so zero-padding the whole number is enough)
    number = (lat_steps // 640) * 100 + lon_steps // 640
    lat_rest, lon_rest = lat_steps % 640, lon_steps % 640
    if digits >= 6:
        number = number * 100 + (lat_rest // 80) * 10 + lon_rest // 80
    lat_rest, lon_rest = lat_rest % 80, lon_rest % 80
    if digits >= 8:
        number = number * 100 + (lat_rest // 8) * 10 + lon_rest // 8
    lat_rest, lon_rest = lat_rest % 8, lon_rest % 8
    step = 8
    for _ in range(8, digits):
        step //= 2
        number = number * 10 + (lat_rest // step) * 2 + (lon_rest // step) + 1
        lat_rest, lon_rest = lat_rest % step, lon_rest % step
    return np.char.zfill(number.astype(str), digits)


@dataclass(frozen=True)
class MeshCells:
    """Cells of one mesh level: their codes, rectangles and places in the level's lattice."""

    digits: int
    #: The codes (text).
    codes: np.ndarray
    #: The rectangles (shapely, longitude/latitude degrees).
    polygons: np.ndarray
    #: Row (cells north of the equator) and column (cells east of 100°E) of each cell.
    rows: np.ndarray
    cols: np.ndarray

    def locate(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> np.ndarray:
        """
        Position of the cell holding each point (-1 for points in none of these cells).

        A point on an edge belongs to the cell to its north and east (JIS X 0410), as in
        :func:`mesh_code_at`; done in integers, no text.
        """
        size = _CELL_STEPS[self.digits]
        lon_array = np.atleast_1d(np.asarray(lon, dtype=float))
        lat_array = np.atleast_1d(np.asarray(lat, dtype=float))
        result = np.full(len(lon_array), -1, dtype=np.int64)
        if len(self.rows) == 0:
            return result
        with np.errstate(invalid="ignore"):
            rows = np.floor(lat_array * _LAT_STEPS_PER_DEGREE + 1e-7) // size
            cols = np.floor((lon_array - 100) * _LON_STEPS_PER_DEGREE + 1e-7) // size
        row0, col0 = self.rows.min(), self.cols.min()
        height, width = self.rows.max() - row0 + 1, self.cols.max() - col0 + 1
        lookup = np.full((height, width), -1, dtype=np.int64)
        lookup[self.rows - row0, self.cols - col0] = np.arange(len(self.rows))
        inside = ((rows >= row0) & (rows < row0 + height) & (cols >= col0)
                  & (cols < col0 + width))
        result[inside] = lookup[(rows[inside] - row0).astype(np.int64),
                                (cols[inside] - col0).astype(np.int64)]
        return result


def mesh_cells_covering(area: shapely.Geometry, *, digits: int) -> MeshCells:
    """
    Every ``digits``-long mesh cell that shares some area with ``area`` (lon/lat degrees).

    See :func:`mesh_codes_covering`; this also gives the rectangles and each cell's place
    in the level's lattice (:meth:`MeshCells.locate`).
    """
    if digits not in _CELL_STEPS:
        msg = f"`digits` must be one of {sorted(_CELL_STEPS)}, got {digits!r}."
        raise ValueError(msg)
    size = _CELL_STEPS[digits]
    if area is None or area.is_empty:
        empty = np.zeros(0, dtype=np.int64)
        return MeshCells(digits, np.zeros(0, dtype=f"<U{digits}"), np.empty(0, dtype=object),
                         empty, empty)
    west, south, east, north = area.bounds
    # whole cells of the level, counted from the equator and from 100°E
    rows = np.arange(int(np.floor(south * _LAT_STEPS_PER_DEGREE + 1e-7)) // size,
                     int(np.ceil(north * _LAT_STEPS_PER_DEGREE)) // size + 1)
    cols = np.arange(int(np.floor((west - 100) * _LON_STEPS_PER_DEGREE + 1e-7)) // size,
                     int(np.ceil((east - 100) * _LON_STEPS_PER_DEGREE)) // size + 1)
    row_grid, col_grid = np.meshgrid(rows, cols, indexing="ij")
    width, height = size / _LON_STEPS_PER_DEGREE, size / _LAT_STEPS_PER_DEGREE
    # cells the outline passes through, and their neighbours, need their box tested; any
    # other cell lies wholly inside or wholly outside, as its centre does
    edge = shapely.get_coordinates(shapely.segmentize(shapely.boundary(area),
                                                      min(width, height) / 2))
    edge_rows = np.floor(edge[:, 1] * _LAT_STEPS_PER_DEGREE + 1e-7).astype(np.int64) // size
    edge_cols = (np.floor((edge[:, 0] - 100) * _LON_STEPS_PER_DEGREE + 1e-7).astype(np.int64)
                 // size)
    near_grid = np.zeros(row_grid.shape, dtype=bool)
    for d_row in (-1, 0, 1):
        for d_col in (-1, 0, 1):
            r, c = edge_rows - rows[0] + d_row, edge_cols - cols[0] + d_col
            fits = (r >= 0) & (r < len(rows)) & (c >= 0) & (c < len(cols))
            near_grid[r[fits], c[fits]] = True
    cell_rows, cell_cols, near_mask = row_grid.ravel(), col_grid.ravel(), near_grid.ravel()
    south_edge = cell_rows * size / _LAT_STEPS_PER_DEGREE
    west_edge = 100 + cell_cols * size / _LON_STEPS_PER_DEGREE
    shapely.prepare(area)
    sharing = np.zeros(len(cell_rows), dtype=bool)
    far = np.flatnonzero(~near_mask)
    sharing[far] = shapely.contains_xy(area, west_edge[far] + width / 2,
                                       south_edge[far] + height / 2)
    near = np.flatnonzero(near_mask)
    boxes = _boxes(np.column_stack([west_edge[near], south_edge[near],
                                    west_edge[near] + width, south_edge[near] + height]))
    sharing[near] = shapely.intersects(area, boxes) & ~shapely.touches(area, boxes)
    chosen = np.flatnonzero(sharing)
    # the centre names the cell, away from the edges floating point may blur
    codes = mesh_code_at(west_edge[chosen] + width / 2, south_edge[chosen] + height / 2,
                         digits=digits)
    polygons = _boxes(np.column_stack([west_edge[chosen], south_edge[chosen],
                                       100 + (cell_cols[chosen] + 1) * size
                                       / _LON_STEPS_PER_DEGREE,
                                       (cell_rows[chosen] + 1) * size / _LAT_STEPS_PER_DEGREE]))
    return MeshCells(digits, codes, polygons, cell_rows[chosen].astype(np.int64),
                     cell_cols[chosen].astype(np.int64))


def mesh_codes_covering(area: shapely.Geometry, *, digits: int) -> np.ndarray:
    """
    The codes of every ``digits``-long mesh cell that shares some area with ``area``.

    Parameters
    ----------
    area
        A polygon or multipolygon in longitude/latitude degrees.
    digits
        The level: 8 (1 km), 9 (500 m), 10 (250 m) or 11 (125 m); also 4 and 6.

    Returns
    -------
    numpy.ndarray
        The codes (text), south to north, then west to east; cells that only touch
        ``area`` along an edge or at a corner are left out.

    Raises
    ------
    ValueError
        If ``digits`` is not a level, or ``area`` lies outside the range codes can name.

    Examples
    --------
    The 1 km cell 54393080 and the four 250 m cells in its south-west 500 m quarter:

    >>> cell = mesh_polygons(["54393080"])[0]
    >>> len(mesh_codes_covering(cell, digits=10))
    16
    >>> mesh_codes_covering(mesh_polygons(["543930801"])[0], digits=10).tolist()
    ['5439308011', '5439308012', '5439308013', '5439308014']
    """
    return mesh_cells_covering(area, digits=digits).codes
