"""Walking routes that staff draw and edit: versioned and audited like places.

Routes live in the ``walking_routes`` table of the places database (:mod:`layers.store.places`);
this module reads and imports them, and adds what the editor needs: add, change and retire a
route, each in one checked transaction with a version check and an audit entry (the sequence
of every feature, :class:`layers.store.features.FeatureTable`), and the benches of a route.

Benches: staff click bench points for a route; they are stored with the route as a JSON list
of ``[lon, lat]`` in ``walking_routes.benches_json`` (migration 3). The rest points of a route
are its benches and the places within :data:`geo.streets.rest_stops.REST_POINT_DISTANCE_M` of its
line (a 居場所 is somewhere to sit, too); :func:`route_rest_summary` measures the stretches between
them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import STORAGE_CRS, to_storage
from geo.streets.rest_stops import REST_POINT_DISTANCE_M, RouteRest, route_rest
from geo.streets.walking import WalkProfile
from layers.errors import LayerError, Problem
from layers.fields.schema import MAX_ITEMS, check_route_lines, text_problem
from layers.files.points import check_points_in_area
from layers.files.routes import DEFAULT_WALKING_KIND, WALKING_ROUTE_COLUMNS
from layers.store.features import (
    TIMESTAMP_COLUMNS,
    Checked,
    FeatureTable,
    VersionConflict,
    check_user,
)
from layers.store.places import PlaceStore

__all__ = [
    "LONG_STRETCH_M",
    "MAX_BENCHES",
    "ROUTE_KINDS",
    "RouteVersionConflict",
    "add_walking_route",
    "import_walking_routes",
    "measure_walking_routes",
    "retire_walking_route",
    "route_rest_summary",
    "route_table",
    "update_walking_route",
    "walking_route",
    "walking_routes",
    "walking_routes_with_benches",
]

#: Kinds offered in the route editor (any non-empty text is accepted).
ROUTE_KINDS = (DEFAULT_WALKING_KIND, "歴史探訪")

#: The most benches one route may have (from :data:`layers.fields.schema.MAX_ITEMS`).
MAX_BENCHES = MAX_ITEMS["route_benches"]

#: The most points one drawn line may have (from :data:`layers.fields.schema.MAX_ITEMS`).
MAX_LINE_POINTS = MAX_ITEMS["route_points"]

#: A stretch longer than this without a bench or place is flagged: 5 minutes at the older
#: walkers' 60 m/min, about the distance after which many want to sit down.
LONG_STRETCH_M = 300.0

class RouteVersionConflict(VersionConflict):
    """Someone else saved the route after it was read."""

    noun_ja = "このコース"
    noun_en = "Route"


def _record(store: PlaceStore, row: Mapping[str, Any]) -> dict[str, Any]:
    database = store.database
    record = {("route_id" if key == "id" else key): value for key, value in row.items()
              if key not in ("geom", "benches_json")}
    for key in TIMESTAMP_COLUMNS:
        record[key] = database.timestamp_value(record[key])
    record["version"] = int(record["version"])
    record["geometry"] = database.decode_geometry(row["geom"])
    benches = database.json_value(row["benches_json"]) or []
    record["benches"] = [(float(lon), float(lat)) for lon, lat in benches]
    return record


def route_table(store: PlaceStore) -> FeatureTable:
    """The walking routes of the places database, edited as places are (one sequence)."""
    return FeatureTable(store, table="walking_routes", id_prefix="r", noun="walking route",
                        columns=("name", "kind", "source", "benches_json"),
                        record=lambda row: _record(store, row), conflict=RouteVersionConflict,
                        retired_fix="Draw it again as a new route.")


def walking_route(store: PlaceStore, route_id: str) -> dict[str, Any]:
    """
    One route: ``route_id``, ``name``, ``kind``, ``source``, ``version``, the timestamps,
    ``geometry`` (a MultiLineString) and ``benches`` (a list of ``(lon, lat)``).

    Raises
    ------
    PlaceNotFoundError
        If no route has this id.
    """
    return route_table(store).get(route_id)


def walking_routes_with_benches(store: PlaceStore, *,
                                include_retired: bool = False) -> gpd.GeoDataFrame:
    """Every route as :func:`walking_route` gives it, as a frame in ``STORAGE_CRS``."""
    records = [_record(store, row) for row in
               route_table(store).rows(include_retired=include_retired)]
    columns = ["route_id", "name", "kind", "source", "version", *TIMESTAMP_COLUMNS, "benches"]
    frame = pd.DataFrame.from_records([{k: r[k] for k in columns} for r in records],
                                      columns=columns)
    geometries = [r["geometry"] for r in records]
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=STORAGE_CRS,
                                                          index=frame.index))


def walking_routes(store: PlaceStore, *, include_retired: bool = False) -> gpd.GeoDataFrame:
    """Walking routes: ``route_id``, ``name``, ``kind``, ``source``, ``version``, geometry."""
    routes = walking_routes_with_benches(store, include_retired=include_retired)
    return routes[["route_id", "name", "kind", "source", "version", "geometry"]].astype(
        {"version": "int64"})


def import_walking_routes(store: PlaceStore, routes: gpd.GeoDataFrame, *, user: str,
                          source: str | Path = "import") -> list[str]:
    """
    Add walking routes (as :func:`layers.files.routes.load_walking_routes` gives), all or none.

    Lines are stored as MultiLineStrings (a GPX track may have gaps); ids are ``r0001`` ….

    Raises
    ------
    LayerError
        With every route that has no name or is not a line (nothing is stored).
    """
    user = check_user(user)
    label = Path(source).name
    routes = to_storage(routes)
    lines, problems = check_route_lines(routes, label=label)
    if problems:
        raise LayerError(problems)
    kinds = routes["kind"] if "kind" in routes.columns else [""] * len(routes)
    checked: list[Checked] = [
        ({"name": str(name).strip(), "kind": str(kind or "").strip(), "source": label,
          "benches_json": None}, line)
        for name, kind, line in zip(routes["name"], kinds, lines, strict=True)]
    return route_table(store).import_all(user=user, source=label, check=lambda tx: checked)


def _check_route(store: PlaceStore, base: Mapping[str, Any], changes: Mapping[str, Any], *,
                 label: str) -> dict[str, Any]:
    """``base`` with ``changes`` (name, kind, line, benches) applied, checked all at once."""
    problems: list[Problem] = []
    unknown = sorted(set(changes) - {"name", "kind", "line", "benches"})
    for key in unknown:
        problems.append(Problem(label, "is not a field of a walking route.", field=key,
                                fix="Use: name, kind, line, benches."))
    record = {"name": str(changes.get("name", base.get("name", "")) or "").strip(),
              "kind": str(changes.get("kind", base.get("kind", "")) or "").strip()
              or DEFAULT_WALKING_KIND}
    if not record["name"]:
        problems.append(Problem(label, "the name is empty.", field="name",
                                fix="Name the route as walkers know it."))
    for field in ("name", "kind"):  # at most MAX_CHARS["walking_routes"]
        problem = text_problem(record[field], table="walking_routes", field=field, label=label)
        if problem is not None:
            problems.append(problem)
    line = base.get("geometry")
    if "line" in changes:
        line, line_problems = _line(changes["line"], store, label=label)
        problems += line_problems
    benches = list(base.get("benches", []))
    if "benches" in changes:
        benches, bench_problems = _benches(changes["benches"], store, label=label)
        problems += bench_problems
    if any(p.is_error for p in problems):
        raise LayerError(problems)
    return {**record, "geometry": line, "benches": benches}


def _line(value: Any, store: PlaceStore, *, label: str
          ) -> tuple[BaseGeometry | None, list[Problem]]:
    """A line from a shapely (Multi)LineString or a list of ``[lon, lat]``."""
    fix = "Click at least two points on the map to draw the route."
    if isinstance(value, BaseGeometry):
        line = value
    else:
        try:
            parts = _parts(value)
        except (TypeError, ValueError):
            return None, [Problem(label, "the line is not a list of [lon, lat] pairs.",
                                  field="line", fix=fix)]
        count = sum(len(part) for part in parts)
        if count > MAX_LINE_POINTS:
            return None, [Problem(label, f"the line has {count} points, more than "
                                  f"{MAX_LINE_POINTS}.", field="line", fix="Simplify it.")]
        parts = [part for part in parts if len(set(part)) >= 2]
        if not parts or not all(math.isfinite(c) for part in parts for xy in part for c in xy):
            return None, [Problem(label, "the line needs two or more different points.",
                                  field="line", fix=fix)]
        line = shapely.MultiLineString(parts)
    if line.is_empty or line.geom_type not in ("LineString", "MultiLineString"):
        return None, [Problem(label, f"the route is a {line.geom_type}, not a line.",
                              field="line", fix=fix)]
    line = shapely.force_2d(line)
    if line.geom_type == "LineString":
        line = shapely.MultiLineString([line])
    vertices = gpd.GeoSeries(shapely.points(shapely.get_coordinates(line)), crs=STORAGE_CRS)
    found = check_points_in_area(vertices, label, extent=store.extent)
    problems = [Problem(label, f"point {p.row} of the line: {p.problem}", field="line",
                        fix=p.fix, severity=p.severity) for p in found[:5]]
    return line, problems


def _parts(value: Any) -> list[list[tuple[float, float]]]:
    """``[[lon, lat], …]`` (one part) or ``[[[lon, lat], …], …]`` (parts) as parts."""
    if value is None or isinstance(value, str | bytes):
        raise TypeError(type(value).__name__)
    items = list(value)
    if items and isinstance(items[0], list | tuple) and items[0] and \
            isinstance(items[0][0], list | tuple):
        return [[(float(lon), float(lat)) for lon, lat in part] for part in items]
    return [[(float(lon), float(lat)) for lon, lat in items]]


def _benches(value: Any, store: PlaceStore, *, label: str
             ) -> tuple[list[tuple[float, float]], list[Problem]]:
    try:
        benches = [(float(lon), float(lat)) for lon, lat in (value or [])]
    except (TypeError, ValueError):
        return [], [Problem(label, "the benches are not a list of [lon, lat] pairs.",
                            field="benches", fix="Click the benches on the map again.")]
    if len(benches) > MAX_BENCHES:
        return [], [Problem(label, f"{len(benches)} benches are more than {MAX_BENCHES}.",
                            field="benches", fix="Mark only the benches along the route.")]
    if not all(math.isfinite(c) for xy in benches for c in xy):
        return [], [Problem(label, "a bench has no valid position.", field="benches",
                            fix="Click the benches on the map again.")]
    points = gpd.GeoSeries([shapely.Point(xy) for xy in benches], crs=STORAGE_CRS)
    found = check_points_in_area(points, label, extent=store.extent)
    problems = [Problem(label, f"bench {p.row}: {p.problem}", field="benches", fix=p.fix,
                        severity=p.severity) for p in found[:5]]
    return benches, problems


def _checked(store: PlaceStore, base: Mapping[str, Any], changes: Mapping[str, Any], *,
             label: str) -> tuple[Checked, dict[str, Any]]:
    """The columns and line of ``base`` with ``changes``, and the checked route."""
    route = _check_route(store, base, changes, label=label)
    benches = store.database.json_param([list(xy) for xy in route["benches"]])
    values = {"name": route["name"], "kind": route["kind"],
              "source": base.get("source") or "editor", "benches_json": benches}
    return (values, route["geometry"]), route


def add_walking_route(store: PlaceStore, fields: Mapping[str, Any], *,
                      user: str) -> dict[str, Any]:
    """
    Add a walking route drawn by staff; it gets the next free id (``r0003`` …) and version 1.

    Parameters
    ----------
    store
        The places database.
    fields
        ``name``, ``kind`` (default :data:`layers.files.routes.DEFAULT_WALKING_KIND`), ``line`` (a
        list of ``[lon, lat]``, a list of such parts, or a shapely line) and ``benches`` (a
        list of ``[lon, lat]``).
    user
        Who draws it (recorded in the audit log).

    Raises
    ------
    LayerError
        With every problem (no name, a name or kind longer than
        :data:`layers.fields.schema.MAX_CHARS` allows, fewer than two points, a point
        outside the area).
    """
    return route_table(store).add(
        user=user, check=lambda tx: _checked(store, {}, {"line": None, **fields},
                                             label="new route")[0])


def update_walking_route(store: PlaceStore, route_id: str, changes: Mapping[str, Any], *,
                         expected_version: int, user: str) -> dict[str, Any]:
    """
    Change a route's name, kind, line or benches, unless someone saved it since
    ``expected_version``.

    Raises
    ------
    RouteVersionConflict
        If the route is at another version now (nothing is stored).
    LayerError
        With every problem of the changed route, or if it is retired.
    PlaceNotFoundError
        If no route has this id.
    """
    def check(tx: Any, before: dict[str, Any]) -> Checked | None:
        checked, route = _checked(store, before, changes, label=f"route {route_id}")
        unchanged = (route["name"], route["kind"], route["benches"]) == \
            (before["name"], before["kind"], before["benches"])
        return None if unchanged and route["geometry"].equals_exact(before["geometry"], 1e-9) \
            else checked

    return route_table(store).update(route_id, expected_version=expected_version, user=user,
                                     check=check)


def retire_walking_route(store: PlaceStore, route_id: str, *, expected_version: int,
                         user: str) -> dict[str, Any]:
    """Retire a route: it leaves the map but stays in the store with its history."""
    return route_table(store).retire(route_id, expected_version=expected_version, user=user)


def measure_walking_routes(routes: gpd.GeoDataFrame, *, profile: WalkProfile,
                           metric_crs: str) -> gpd.GeoDataFrame:
    """
    Stored routes as :func:`layers.files.routes.load_walking_routes` gives them (for the maps).

    Returns
    -------
    GeoDataFrame
        :data:`layers.files.routes.WALKING_ROUTE_COLUMNS` plus ``route_id``, in ``STORAGE_CRS``.
    """
    measured = routes.copy()
    measured["length_m"] = measured.to_crs(metric_crs).length.astype(float)
    measured["walk_minutes"] = profile.minutes(measured["length_m"])
    return measured[["route_id", *WALKING_ROUTE_COLUMNS]]


def route_rest_summary(route: Mapping[str, Any], places: gpd.GeoDataFrame, *,
                       metric_crs: str, within_m: float = REST_POINT_DISTANCE_M,
                       ) -> tuple[RouteRest, list[dict[str, Any]]]:
    """
    The rest points of a route (its benches and the places near it) and its longest stretch.

    Returns
    -------
    (RouteRest, list of dict)
        The measurement, and the rest points in walking order, each with ``kind``
        (``"bench"`` or ``"place"``), ``name``, ``lon``, ``lat`` and ``at_m``.
    """
    candidates = [{"kind": "bench", "name": "", "geometry": shapely.Point(xy)}
                  for xy in route.get("benches", [])]
    located = places[places.geometry.notna()]
    candidates += [{"kind": "place", "name": str(name), "geometry": point}
                   for name, point in zip(located["name"], located.geometry, strict=True)]
    points = gpd.GeoSeries([c["geometry"] for c in candidates], crs=STORAGE_CRS)
    line = gpd.GeoSeries([route["geometry"]], crs=STORAGE_CRS).to_crs(metric_crs)
    rest = route_rest(line, points.to_crs(metric_crs), within_m=within_m)
    stops = [{"kind": candidates[i]["kind"], "name": candidates[i]["name"],
              "lon": candidates[i]["geometry"].x, "lat": candidates[i]["geometry"].y,
              "at_m": at_m} for i, at_m in zip(rest.rest_points, rest.rest_at_m, strict=True)]
    return rest, stops

