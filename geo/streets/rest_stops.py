"""Where a walker can rest along a walking route, and the longest stretch with nowhere to sit.

A route's rest points are its benches and the places (居場所, サロン …) near the line; each is
projected onto the line, and the stretches between consecutive rest points (and the route's
start and end) are measured along the line, in metres, in a metric CRS.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import geopandas as gpd
import shapely
import shapely.ops
from shapely.geometry.base import BaseGeometry

from geo.crs import ensure_metric

logger = logging.getLogger(__name__)
__all__ = ["REST_POINT_DISTANCE_M", "RestStretch", "RouteRest", "route_rest"]

#: A bench or place farther than this from the line is not a rest point of the route.
REST_POINT_DISTANCE_M = 50.0


@dataclass(frozen=True)
class RestStretch:
    """A stretch of one part of the route without a rest point."""

    part: int
    start_m: float
    end_m: float
    #: The stretch itself as a line, in the metric CRS.
    line: BaseGeometry

    @property
    def length_m(self) -> float:
        return self.end_m - self.start_m


@dataclass(frozen=True)
class RouteRest:
    """The length of a route, its rest points and its longest stretch without one."""

    length_m: float
    #: Indices (into the given points) of the rest points on the route, in walking order.
    rest_points: list[int]
    #: Distance along the route of each of ``rest_points``.
    rest_at_m: list[float]
    longest: RestStretch | None


def _parts(line: BaseGeometry) -> list[BaseGeometry]:
    if line.geom_type == "LineString":
        return [line]
    if line.geom_type == "MultiLineString":
        return [part for part in line.geoms if not part.is_empty]
    msg = f"expected a LineString or MultiLineString, got a {line.geom_type}."
    raise ValueError(msg)


def route_rest(route_m: gpd.GeoSeries, points_m: gpd.GeoSeries, *,
               within_m: float = REST_POINT_DISTANCE_M) -> RouteRest:
    """
    The rest points along one route and its longest stretch without one.

    Parameters
    ----------
    route_m
        One (Multi)LineString in a metric CRS (a GeoSeries of length 1).
    points_m
        Candidate rest points (benches, places) in the same metric CRS; points farther than
        ``within_m`` from the line are ignored.
    within_m
        How close to the line a point must be, in metres (> 0).

    Returns
    -------
    RouteRest
        ``longest`` is None for an empty route.

    Raises
    ------
    ValueError
        If the CRSs are not metric or differ, ``within_m`` ≤ 0, or the route is not a line.

    Examples
    --------
    >>> line = gpd.GeoSeries([shapely.LineString([(0, 0), (1000, 0)])], crs="EPSG:6677")
    >>> benches = gpd.GeoSeries([shapely.Point(300, 10), shapely.Point(500, 400)],
    ...                         crs="EPSG:6677")
    >>> rest = route_rest(line, benches)
    >>> rest.length_m, rest.rest_points, rest.longest.start_m, rest.longest.length_m
    (1000.0, [0], 300.0, 700.0)
    """
    if within_m <= 0:
        msg = f"`within_m` must be > 0, got {within_m!r}."
        raise ValueError(msg)
    if len(route_m) != 1:
        msg = f"`route_m` must hold one route, got {len(route_m)}."
        raise ValueError(msg)
    ensure_metric(route_m)
    if len(points_m):
        ensure_metric(points_m)
        if points_m.crs != route_m.crs:
            msg = f"`points_m` is in {points_m.crs}, the route in {route_m.crs}; use one CRS."
            raise ValueError(msg)
    parts = _parts(route_m.iloc[0])
    length_m = float(sum(part.length for part in parts))
    rest: list[tuple[int, float, int]] = []  # (part, at_m, point index)
    for index, point in enumerate(points_m):
        if point is None or point.is_empty:
            continue
        distances = [part.distance(point) for part in parts]
        best = min(range(len(parts)), key=distances.__getitem__) if parts else None
        if best is None or distances[best] > within_m:
            continue
        rest.append((best, float(parts[best].project(point)), index))
    rest.sort()
    longest: RestStretch | None = None
    for number, part in enumerate(parts):
        stops = [0.0, *(at for p, at, _ in rest if p == number), float(part.length)]
        for start_m, end_m in itertools.pairwise(stops):
            if longest is None or end_m - start_m > longest.length_m:
                stretch = shapely.ops.substring(part, start_m, end_m)
                longest = RestStretch(number, start_m, end_m, stretch)
    logger.debug("Route of %.0f m: %d rest points, longest stretch %.0f m", length_m, len(rest),
                 0.0 if longest is None else longest.length_m)
    return RouteRest(length_m=length_m, rest_points=[i for _, _, i in rest],
                     rest_at_m=[at for _, at, _ in rest], longest=longest)
