"""Walking routes that staff draw and edit: versioned and audited like places.

Routes live in the ``walking_routes`` table of the places database (:mod:`layers.store.places`);
this module adds what the editor needs: add, change and retire a route, each in one checked
transaction with a version check and an audit entry, and the benches of a route.

Benches: staff click bench points for a route; they are stored with the route as a JSON list
of ``[lon, lat]`` in ``walking_routes.benches_json`` (migration 3). The rest points of a route
are its benches and the places within :data:`geo.rest_stops.REST_POINT_DISTANCE_M` of its line
(a 居場所 is somewhere to sit, too); :func:`route_rest_summary` measures the stretches
between them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import STORAGE_CRS
from geo.rest_stops import REST_POINT_DISTANCE_M, RouteRest, route_rest
from geo.walking import WalkProfile
from layers.errors import LayerError, Problem
from layers.fields.schema import MAX_ITEMS, text_problem
from layers.files.points import check_points_in_area
from layers.files.routes import DEFAULT_WALKING_KIND, WALKING_ROUTE_COLUMNS
from layers.store.audit import record_change
from layers.store.places import PlaceNotFoundError, PlaceStore, VersionConflict

logger = logging.getLogger(__name__)
__all__ = [
    "LONG_STRETCH_M",
    "MAX_BENCHES",
    "ROUTE_KINDS",
    "RouteVersionConflict",
    "add_walking_route",
    "measure_walking_routes",
    "retire_walking_route",
    "route_rest_summary",
    "update_walking_route",
    "walking_route",
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

_COLUMNS = "id, name, kind, source, version, created_at, updated_at, retired_at, benches_json"
_TIMESTAMPS = ("created_at", "updated_at", "retired_at")


class RouteVersionConflict(VersionConflict):
    """Someone else saved the route after it was read."""

    def __init__(self, route_id: str, *, expected_version: int, current_version: int) -> None:
        super().__init__(route_id, expected_version=expected_version,
                         current_version=current_version)
        self.message_ja = (f"このコースは他の人が先に更新しました（版 {expected_version} → "
                           f"{current_version}）。画面を読み込み直してから、もう一度編集して"
                           "ください。")
        self.message_en = (f"Route {route_id} was changed by someone else first (version "
                           f"{expected_version} → {current_version}). Reload it, then edit "
                           "again.")
        self.args = (f"{self.message_ja}\n{self.message_en}",)


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _record(store: PlaceStore, row: Mapping[str, Any]) -> dict[str, Any]:
    database = store.database
    record = {("route_id" if key == "id" else key): value for key, value in row.items()
              if key not in ("geom", "benches_json")}
    for key in _TIMESTAMPS:
        record[key] = database.timestamp_value(record[key])
    record["version"] = int(record["version"])
    record["geometry"] = database.decode_geometry(row["geom"])
    benches = database.json_value(row["benches_json"]) or []
    record["benches"] = [(float(lon), float(lat)) for lon, lat in benches]
    return record


def _select(store: PlaceStore) -> str:
    return (f"SELECT {_COLUMNS}, {store.database.geometry_select('geom')} AS geom "
            "FROM walking_routes")


def _locked(store: PlaceStore, tx: Any, route_id: str, *, lock: bool = True) -> dict[str, Any]:
    lock_sql = store.database.for_update if lock else ""
    row = tx.one(f"{_select(store)} WHERE id = :id{lock_sql}", {"id": route_id})
    if row is None:
        raise PlaceNotFoundError(route_id, store.database.display_name)
    return _record(store, row)


def walking_route(store: PlaceStore, route_id: str) -> dict[str, Any]:
    """
    One route: ``route_id``, ``name``, ``kind``, ``source``, ``version``, the timestamps,
    ``geometry`` (a MultiLineString) and ``benches`` (a list of ``(lon, lat)``).

    Raises
    ------
    PlaceNotFoundError
        If no route has this id.
    """
    with store.database.transaction(write=False) as tx:
        store._check_schema(tx)
        return _locked(store, tx, route_id, lock=False)


def walking_routes_with_benches(store: PlaceStore, *,
                                include_retired: bool = False) -> gpd.GeoDataFrame:
    """Every route as :func:`walking_route` gives it, as a frame in ``STORAGE_CRS``."""
    where = "" if include_retired else " WHERE retired_at IS NULL"
    with store.database.transaction(write=False) as tx:
        store._check_schema(tx)
        rows = tx.rows(f"{_select(store)}{where} ORDER BY fid")
    records = [_record(store, row) for row in rows]
    columns = ["route_id", "name", "kind", "source", "version", "created_at", "updated_at",
               "retired_at", "benches"]
    frame = pd.DataFrame.from_records([{k: r[k] for k in columns} for r in records],
                                      columns=columns)
    geometries = [r["geometry"] for r in records]
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=STORAGE_CRS,
                                                          index=frame.index))


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


def _audit_view(record: Mapping[str, Any]) -> dict[str, Any]:
    return {**record, "benches": [list(xy) for xy in record.get("benches", [])]}


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
    if not str(user or "").strip():
        msg = f"`user` must name who makes the change, got {user!r}."
        raise ValueError(msg)
    checked = _check_route(store, {}, {"line": None, **fields}, label="new route")
    database = store.database
    with database.transaction() as tx:
        store._check_schema(tx)
        database.lock_table(tx, "walking_routes")
        (route_id,) = store._next_ids(tx, "walking_routes", "r", 1)
        now = _now()
        tx.execute("INSERT INTO walking_routes (id, name, kind, source, version, created_at, "
                   "updated_at, benches_json, geom) VALUES (:id, :name, :kind, 'editor', 1, "
                   f":now, :now, :benches, {database.geometry_param('geom')})",
                   {"id": route_id, "name": checked["name"], "kind": checked["kind"],
                    "now": database.timestamp_param(now),
                    "benches": database.json_param([list(xy) for xy in checked["benches"]]),
                    "geom": database.encode_geometry(checked["geometry"])})
        route = _locked(store, tx, route_id)
        record_change(database, tx, action="create", layer="walking_routes",
                      feature_id=route_id, before=None, after=_audit_view(route), user=user,
                      at=now)
        database.mark_changed(tx, "walking_routes")
    logger.info("%s added walking route %s (%s)", user, route_id, checked["name"])
    return route


def _current(store: PlaceStore, tx: Any, route_id: str, expected_version: int) -> dict:
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        msg = f"`expected_version` must be an int, got {type(expected_version).__name__}."
        raise TypeError(msg)
    route = _locked(store, tx, route_id)
    if route["version"] != expected_version:
        raise RouteVersionConflict(route_id, expected_version=expected_version,
                                   current_version=route["version"])
    if route["retired_at"] is not None:
        raise LayerError.single(f"route {route_id}", f"{route['name']!r} was retired; "
                                "retired routes are kept as they were.",
                                fix="Draw it again as a new route.")
    return route


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
    database = store.database
    with database.transaction() as tx:
        store._check_schema(tx)
        before = _current(store, tx, route_id, expected_version)
        checked = _check_route(store, before, changes, label=f"route {route_id}")
        if (checked["name"], checked["kind"], checked["benches"]) == \
                (before["name"], before["kind"], before["benches"]) and \
                checked["geometry"].equals_exact(before["geometry"], 1e-9):
            return before
        now = _now()
        tx.execute("UPDATE walking_routes SET name = :name, kind = :kind, "
                   f"benches_json = :benches, geom = {database.geometry_param('geom')}, "
                   "version = version + 1, updated_at = :now "
                   "WHERE id = :id AND version = :version",
                   {"id": route_id, "version": expected_version, "name": checked["name"],
                    "kind": checked["kind"], "now": database.timestamp_param(now),
                    "benches": database.json_param([list(xy) for xy in checked["benches"]]),
                    "geom": database.encode_geometry(checked["geometry"])})
        after = _locked(store, tx, route_id)
        record_change(database, tx, action="update", layer="walking_routes",
                      feature_id=route_id, before=_audit_view(before), after=_audit_view(after),
                      user=user, at=now)
        database.mark_changed(tx, "walking_routes")
    logger.info("%s updated walking route %s to version %d", user, route_id, after["version"])
    return after


def retire_walking_route(store: PlaceStore, route_id: str, *, expected_version: int,
                         user: str) -> dict[str, Any]:
    """Retire a route: it leaves the map but stays in the store with its history."""
    database = store.database
    with database.transaction() as tx:
        store._check_schema(tx)
        before = _current(store, tx, route_id, expected_version)
        now = _now()
        tx.execute("UPDATE walking_routes SET retired_at = :now, updated_at = :now, "
                   "version = version + 1 WHERE id = :id AND version = :version",
                   {"now": database.timestamp_param(now), "id": route_id,
                    "version": expected_version})
        after = _locked(store, tx, route_id)
        record_change(database, tx, action="retire", layer="walking_routes",
                      feature_id=route_id, before=_audit_view(before), after=_audit_view(after),
                      user=user, at=now)
        database.mark_changed(tx, "walking_routes")
    logger.info("%s retired walking route %s (%s)", user, route_id, before["name"])
    return after


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

