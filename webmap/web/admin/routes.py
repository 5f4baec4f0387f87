"""Drawing and editing walking routes (ウォーキングコース, 歴史探訪) on the staff pages.

- ``GET /admin/routes``: every route with its length, walking minutes at the config's pace,
  its rest points and its longest stretch without one (flagged when longer than
  :data:`layers.store.routes.LONG_STRETCH_M`);
- ``GET/POST /admin/routes/new`` and ``/admin/routes/<id>``: a map on which a click adds a point
  to the line, or (in bench mode) a bench; ``POST /admin/routes/<id>/retire``.

Rest points are the benches staff click (stored with the route) and the places within
:data:`geo.streets.rest_stops.REST_POINT_DISTANCE_M` of the line. Versions are checked as for
places.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import geopandas as gpd
from flask import abort, request
from werkzeug.wrappers import Response

from geo.crs import STORAGE_CRS
from layers.errors import LayerError, Problem
from layers.store.features import PlaceNotFoundError, VersionConflict
from layers.store.routes import (
    LONG_STRETCH_M,
    ROUTE_KINDS,
    add_walking_route,
    retire_walking_route,
    route_rest_summary,
    update_walking_route,
    walking_route,
    walking_routes_with_benches,
)
from webmap.i18n import gettext as _
from webmap.web.admin.common import (
    admin,
    check_feature_id,
    editor_name,
    form_version,
    map_settings,
    place_store,
    problem_rows,
    read_feature,
    render_admin,
    stored,
)
from webmap.web.auth import current_user, has_role, login_required
from webmap.web.base import current_state

logger = logging.getLogger(__name__)
__all__: list[str] = []

def _parts(geometry: Any) -> list[list[list[float]]]:
    """A stored line as parts of ``[lon, lat]`` for the map."""
    if geometry is None:
        return []
    lines = geometry.geoms if geometry.geom_type == "MultiLineString" else [geometry]
    return [[[round(x, 7), round(y, 7)] for x, y in line.coords] for line in lines]


def _summary(route: dict[str, Any]) -> dict[str, Any]:
    """Length, minutes, rest points and the longest stretch of a stored route."""
    study = current_state().study
    config = study.config
    rest, stops = route_rest_summary(route, study.places, metric_crs=config.metric_crs)
    longest = rest.longest
    stretch = None
    if longest is not None:
        stretch_ll = gpd.GeoSeries([longest.line], crs=config.metric_crs).to_crs(
            STORAGE_CRS).iloc[0]
        stretch = [[round(x, 7), round(y, 7)] for x, y in stretch_ll.coords]
    return {"length_m": rest.length_m,
            "minutes": config.walking.minutes(rest.length_m),
            "speed": config.walking.speed_m_per_min,
            "rest": stops,
            "longest_m": 0.0 if longest is None else longest.length_m,
            "long": longest is not None and longest.length_m > LONG_STRETCH_M,
            "limit_m": LONG_STRETCH_M,
            "stretch": stretch}


def _as_parts(value: Any) -> list | None:
    """A posted line (one part or parts) as parts, for drawing it again; None if unreadable."""
    if not isinstance(value, list):
        return None
    if value and isinstance(value[0], list) and value[0] and \
            isinstance(value[0][0], int | float):
        value = [value]
    return value if all(isinstance(part, list) for part in value) else None


def _map_data(route: dict[str, Any] | None, summary: dict[str, Any] | None,
              line: list | None = None, benches: list | None = None) -> dict[str, Any]:
    places = current_state().study.places
    located = places[places.geometry.notna()]
    return {**map_settings(),
            "line": line if line is not None else _parts(route["geometry"]) if route else [],
            "benches": benches if benches is not None else
            [list(xy) for xy in route["benches"]] if route else [],
            "places": [[round(p.x, 7), round(p.y, 7), str(n)]
                       for p, n in zip(located.geometry, located["name"], strict=True)],
            "stretch": summary["stretch"] if summary else None,
            "status_text": _("点 {points}・ベンチ {benches}")}


@admin.get("/routes")
@login_required("viewer")
def routes() -> Any:
    """Every walking route with its length, minutes and rest points."""
    frame = walking_routes_with_benches(place_store())
    rows = []
    for record in frame.to_dict(orient="records"):
        summary = _summary(record)
        rows.append({**record, **summary})
    return render_admin("admin_routes.html", rows=rows)


def _render_form(*, route_id: str | None, route: dict[str, Any] | None,
                 values: dict[str, Any], status: int = 200, **extra: Any) -> tuple[str, int]:
    summary = _summary(route) if route is not None and route.get("geometry") is not None \
        else None
    benches = values.get("benches")
    data = _map_data(route, summary, line=_as_parts(values.get("line")),
                     benches=benches if isinstance(benches, list) else None)
    retired = bool(route and route.get("retired_at") is not None)
    return render_admin("admin_route_form.html", status=status, route_id=route_id,
                        values=values, summary=summary, kinds=ROUTE_KINDS, map_data=data,
                        retired=retired,
                        readonly=not has_role(current_user(), "editor") or retired, **extra)


def _posted() -> tuple[dict[str, Any], list[Problem]]:
    """The posted name, kind, line and benches (the JSON fields parsed)."""
    values: dict[str, Any] = {"name": str(request.form.get("name", "")).strip(),
                              "kind": str(request.form.get("kind", "")).strip()}
    problems = []
    for key in ("line", "benches"):
        text = str(request.form.get(key, "") or "[]")
        try:
            values[key] = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python goes
            values[key] = []
            problems.append(Problem("form", "is not readable.", field=key,
                                    fix="Reload the page and draw again."))
    return values, problems


@admin.route("/routes/new", methods=["GET", "POST"])
@login_required("editor")
def new_route() -> Any:
    """Draw a new route."""
    if request.method == "GET":
        return _render_form(route_id=None, route=None,
                            values={"name": "", "kind": ROUTE_KINDS[0]})
    values, problems = _posted()
    try:
        if problems:
            raise LayerError(problems)
        route = add_walking_route(place_store(), values, user=editor_name())
    except LayerError as exc:
        return _render_form(route_id=None, route=None, values=values, status=400,
                            problems=problem_rows(exc.problems))
    return stored("added", "admin.edit_route", name=route["name"],
                  feature_id=route["route_id"], route_id=route["route_id"])


@admin.route("/routes/<route_id>", methods=["GET", "POST"])
@login_required("viewer")
def edit_route(route_id: str) -> Any:
    """The route on the map; a POST (editor) saves it if nobody saved in between."""
    store = place_store()
    route = read_feature(lambda feature_id: walking_route(store, feature_id), route_id,
                         prefix="r", noun="route")
    current = {"name": route["name"], "kind": route["kind"], "version": route["version"]}
    if request.method == "GET":
        return _render_form(route_id=route_id, route=route, values=current)
    user = editor_name()
    version = form_version()
    values, problems = _posted()
    try:
        if problems:
            raise LayerError(problems)
        updated = update_walking_route(place_store(), route_id, values,
                                       expected_version=version, user=user)
    except VersionConflict as exc:
        return _render_form(route_id=route_id, route=route, values=current, status=409,
                            conflict=exc.message_ja)
    except LayerError as exc:
        return _render_form(route_id=route_id, route=route, status=400,
                            values={**values, "version": version},
                            problems=problem_rows(exc.problems))
    return stored("saved", "admin.edit_route", changed=updated["version"] != version,
                  route_id=route_id)


@admin.post("/routes/<route_id>/retire")
@login_required("editor")
def retire_route(route_id: str) -> Response | tuple[str, int]:
    """Retire the route (it leaves the maps; its history stays)."""
    check_feature_id(route_id, prefix="r", noun="route")
    version = form_version()
    try:
        route = retire_walking_route(place_store(), route_id, expected_version=version,
                                     user=editor_name())
    except PlaceNotFoundError:
        abort(404, description=f"There is no route {route_id}.")
    except (VersionConflict, LayerError) as exc:
        route = walking_route(place_store(), route_id)
        current = {"name": route["name"], "kind": route["kind"], "version": route["version"]}
        if isinstance(exc, VersionConflict):
            return _render_form(route_id=route_id, route=route, values=current, status=409,
                                conflict=exc.message_ja)
        return _render_form(route_id=route_id, route=route, values=current, status=400,
                            problems=problem_rows(exc.problems))
    return stored("retired", "admin.routes", name=route["name"])
