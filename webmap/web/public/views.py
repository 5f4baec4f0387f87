"""Blueprints: the pages (``/``, ``/districts``, ``/districts/<name>``) and ``/api/``.

Pages and GeoJSON bodies are made once per state and sent with an ``ETag`` (304 when the
browser has them), compressed once (:mod:`webmap.web.http_cache`).

Every API error has one shape, ``{"ok": false, "error": "...", "status": 404}`` (plus the
valid choices when a name or radius is wrong; :func:`webmap.web.base.json_error`); pages get a
Japanese error page. No traceback is ever sent.

``/api/gaps?minutes=`` and ``/api/coverage`` also answer from the network when one is
loaded; the other planning endpoints (isochrones, suggestions, what-if) are in
:mod:`webmap.web.public.plan_api`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import geopandas as gpd
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template,
    request,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from geo.coverage.minutes_grid import GRID_BANDS_MINUTES
from geo.coverage.residents import available_bases
from layers.participation_figures import CITY, share_label
from webmap.i18n import gettext as _
from webmap.maps.geojson import feature_collection, json_value
from webmap.maps.pages import district_page, districts_page, page_context
from webmap.maps.participation_section import participation_section
from webmap.maps.reach_layers import method_note
from webmap.maps.style import straight_note
from webmap.web.base import (
    app_state,
    basis_choices,
    basis_fields,
    basis_key,
    check_district,
    csrf_failed_text,
    current_state,
    error_text,
    fail,
    geojson_response,
    json_error,
    minutes_arg,
    page_urls,
    radius_arg,
    require_network,
    wants_json,
)
from webmap.web.http_cache import cached_response
from webmap.web.participation import participation_now
from webmap.web.state import IbashoState

logger = logging.getLogger(__name__)
__all__ = ["api", "pages", "register_error_handlers"]

pages = Blueprint("pages", __name__)
api = Blueprint("api", __name__, url_prefix="/api")

# ---- pages ------------------------------------------------------------------------------


def _page(key: str, state: IbashoState, render: Callable[[], str], *,
          replayable: bool = True) -> Response:
    """A page made once per state, with its ETag (304 when unchanged), compressed once."""
    return cached_response(f"page:{key}{basis_key()}", render, mimetype="text/html",
                           bodies=state.bodies, replayable=replayable)


@pages.get("/")
def index() -> Response:
    """The city map, full page, under an accessible header."""
    state = current_state()
    return _page("/", state, lambda: render_template(
        "index.html", urls=page_urls(), map=state.rendered_city_map(),
        basis_choices=basis_choices(state),
        **page_context(state.study, state.coverage, state.plan)))


@pages.get("/districts")
def districts() -> Response:
    """Every district with its coverage summary, linking to its page."""
    state = current_state()
    return _page("/districts", state, lambda: render_template(
        "districts.html", urls=page_urls(),
        **districts_page(state.study, state.coverage, state.plan),
        **page_context(state.study, state.coverage, state.plan)))


@pages.get("/districts/<name>")
def district(name: str) -> Response:
    """One district: its map, its coverage table and its places."""
    state = current_state()
    check_district(name)
    stamp, figures = participation_now()
    return _page(f"/districts/{name}#participation={stamp}", state, lambda: render_template(
        "district.html", urls=page_urls(), map=state.district_map(name),
        basis_choices=basis_choices(state),
        participation=participation_section(figures, name),
        **district_page(state.study, state.coverage, state.plan, name),
        **page_context(state.study, state.coverage, state.plan)),
        replayable=False)  # the participation section changes without new maps


# ---- API --------------------------------------------------------------------------------


def _layer(frame: gpd.GeoDataFrame | None) -> dict:
    if frame is None:
        return {"type": "FeatureCollection", "features": []}
    return feature_collection(frame)


@api.get("/places")
def api_places() -> Response:
    """All places, those without a position included (``"geometry": null``)."""
    return geojson_response("places", lambda: _layer(current_state().study.places))


@api.get("/resources")
def api_resources() -> Response:
    """
    Community resources other than gathering places (助け合い活動, 見守り活動, 移動販売 …):
    points, and areas with no point (``"geometry": null``, ``serves``: 「全域」 or the 町丁).
    """
    return geojson_response("resources", lambda: _layer(current_state().study.resources))


@api.get("/stops")
def api_stops() -> Response:
    """All bus stops with their departures."""
    return geojson_response("stops", lambda: _layer(current_state().study.stops))


@api.get("/districts")
def api_districts() -> Response:
    """The district polygons."""
    return geojson_response("districts", lambda: _layer(current_state().study.districts))


@api.get("/districts/<name>")
def api_district(name: str) -> Response:
    """One district polygon, with its coverage rows in ``properties.coverage``."""
    state = current_state()
    check_district(name)

    def make() -> dict:
        selected = state.study.districts[state.study.districts["name"] == name]
        rows = state.coverage.table[state.coverage.table["district"] == name]
        extra = [{"coverage": _records(rows.drop(columns="district")),
                  "basis": state.coverage.basis}]
        return {**feature_collection(selected, extra=extra), **basis_fields(state)}

    return geojson_response(f"district:{name}", make)


@api.get("/buffers")
def api_buffers() -> Response:
    """Walking-reach buffers of the places, one per radius (``?radius=500`` for one)."""
    radius = radius_arg()
    buffers = current_state().coverage.buffers
    if radius is not None:
        buffers = buffers[buffers["radius_m"] == radius]
    return geojson_response(f"buffers:{radius}", lambda: _layer(buffers))


@api.get("/gaps")
def api_gaps() -> Response:
    """
    Gaps per district and radius (``?radius=800``, ``?district=...``); with a street
    network, ``?minutes=10`` gives the gaps on the network instead.
    """
    if request.args.get("minutes"):
        if request.args.get("radius"):
            fail(400, "give either radius (straight line) or minutes (network), not both.")
        network = require_network()
        minutes = minutes_arg()
        name = request.args.get("district")
        if name:
            check_district(name)
        gaps = network.gaps  # None without a population layer: no gaps are counted
        if gaps is not None:
            gaps = gaps[gaps["minutes"] == minutes]
            gaps = gaps[gaps["district"] == name] if name else gaps
        return geojson_response(f"network-gaps:{minutes}:{name}",
                                lambda: {**_layer(gaps), **basis_fields()})
    radius = radius_arg()
    name = request.args.get("district")
    gaps = current_state().coverage.gaps
    if radius is not None:
        gaps = gaps[gaps["radius_m"] == radius]
    if name:
        check_district(name)
        gaps = gaps[gaps["district"] == name]
    return geojson_response(f"gaps:{radius}:{name}", lambda: {**_layer(gaps), **basis_fields()})


def _records(frame) -> list[dict[str, Any]]:
    return [json_value(row) for row in frame.to_dict(orient="records")]


@api.get("/participation")
def api_participation() -> Response:
    """
    Participation by month and 年度 for the city, or one district (``?district=``): places
    reporting, participants, 65+, sessions, the share of residents (``basis``: ``age65``
    is 通いの場への参加率, ``total`` per all residents), places by frequency and activity.
    """
    name = request.args.get("district")
    if name:
        check_district(name)
    stamp, figures = participation_now()

    def make() -> str:
        body: dict[str, Any] = {"ok": True, "district": name or CITY, "records": 0,
                                "basis": None, "share_label": None, "months": [],
                                "years": [], "by_frequency": [], "by_activity": []}
        if figures is not None:
            own = figures.district(name or CITY)
            body.update({"records": int(stamp.split(":")[0]), "basis": figures.basis,
                         "share_label": share_label(figures.basis),
                         **{key: _records(getattr(own, key).drop(columns="district"))
                            for key in ("months", "years", "by_frequency", "by_activity")}})
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    return cached_response(f"api:participation:{name}:{stamp}", make,
                           mimetype="application/json", bodies=app_state().maps.bodies,
                           replayable=False)  # records change without new maps


@api.get("/coverage")
def api_coverage() -> Response:
    """
    Coverage per district and radius (straight line), the city totals and the population
    basis; ``method`` is ``"network"`` or ``"straight"``. With a street network also
    ``network`` (per district and threshold in minutes, and the city) and ``comparison``
    (straight line and network side by side).
    """
    state = current_state()
    name = request.args.get("district")
    table = state.coverage.table
    if name:
        check_district(name)
        table = table[table["district"] == name]
    config = state.study.config
    plan = state.plan
    body: dict[str, Any] = {
        "ok": True,
        **basis_fields(state),
        "basis_note": page_context(state.study, state.coverage, plan)["basis_note"],
        "method": plan.method,
        "method_note": method_note(state.study, plan),
        "straight_note": straight_note(config.walking.detour_factor),
        "radii_m": [float(r) for r in config.radii_m],
        "speed_m_per_min": config.walking.speed_m_per_min,
        "detour_factor": config.walking.detour_factor,
        "districts": _records(table),
        "city": _records(state.coverage.city),
    }
    network = plan.network
    if network is not None:
        body["minutes"] = [float(m) for m in config.minutes]
        body["profile"] = {"name": plan.profile.name, "label": plan.profile.label,
                           "speed_m_per_min": config.walking.speed_m_per_min}
        body["slope_aware"] = bool(network.reach.slope_aware)
        if network.coverage is not None:
            rows = network.coverage.table
            comparison = network.comparison
            if name:
                rows = rows[rows["district"] == name]
                comparison = comparison[comparison["district"] == name]
            body["network"] = {"districts": _records(rows),
                               "city": _records(network.coverage.city)}
            body["comparison"] = _records(comparison)
    grid = plan.grid
    if grid is not None:
        grid_table = grid.table if not name else grid.table[grid.table["district"] == name]
        body["grid"] = {"method": grid.method, "cells": grid.spec.kind,
                        "bands_minutes": [float(m) for m in GRID_BANDS_MINUTES],
                        "districts": _records(grid_table), "city": _records(grid.city)}
    body["bus"] = _bus_body(plan, name)
    body["bases"] = list(available_bases(state.study.population))
    return current_app.json.response(body)


def _bus_body(plan: Any, name: str | None) -> dict[str, Any]:
    """People on foot only, with the bus, neither per district (or how to add buses)."""
    bus = plan.bus
    if bus is None:
        return {"available": False, "note": plan.bus_note}
    table = bus.table()
    if name:
        table = table[table["district"] == name]
    return {"available": True, **bus.about(), "notes": bus.notes,
            "districts": _records(table), "city": bus.city()}


@api.get("/grid")
def api_grid() -> Response:
    """
    The grid of walking minutes to the nearest place: one feature per cell (``cell``,
    ``district``, ``minutes``, ``band`` 0–4 for ≤ 5, ≤ 10, ≤ 15, ≤ 20, > 20 min, ``people``
    of the basis); ``?district=`` keeps the cells whose centre lies in it, ``?basis=`` picks
    the people counted.
    """
    state = current_state()
    name = request.args.get("district") or ""
    if name:
        check_district(name)
    grid = state.plan.grid
    cells = None if grid is None else grid.cells
    if cells is not None and name:
        cells = cells[cells["district"] == name]
    return geojson_response(f"grid:{name}", lambda: {**_layer(cells), **basis_fields(state)})


@api.get("/health")
def api_health() -> Response:
    """Liveness and what is loaded: the number of features per layer."""
    state = current_state()
    study = state.study

    def count(frame: gpd.GeoDataFrame | None) -> int:
        return 0 if frame is None else len(frame)

    located = int(study.places.geometry.notna().sum())
    return current_app.json.response({
        "ok": True,
        "study_area": study.config.name,
        "title": study.config.title,
        "layers": {
            "districts": count(study.districts),
            "places": count(study.places),
            "places_located": located,
            "places_unlocated": count(study.places) - located,
            "stops": count(study.stops),
            "bus_routes": count(study.bus_routes),
            "walking_routes": count(study.walking_routes),
            "population": count(study.population),
            "candidates": count(study.candidates),
            "buffers": count(state.coverage.buffers),
            "gaps": count(state.coverage.gaps),
        },
        **basis_fields(state),
        "method": state.plan.method,
        "isochrones": (0 if state.plan.network is None
                       else int((state.plan.network.isochrones["place"] == -1).sum())),
        "suggestions": (0 if state.plan.suggestions is None
                        else len(state.plan.suggestions)),
        "radii_m": [float(r) for r in study.config.radii_m],
        "warnings": len(study.warnings),
        "district_maps_cached": state.district_maps_cached,
    })


# ---- errors -----------------------------------------------------------------------------


def _error_response(status: int, message: str, details: dict[str, Any]) -> Response:
    if wants_json():
        return json_error(status, message, **details)
    texts = error_text(status)
    heading = {404: _("ページが見つかりません"), 400: _("リクエストが正しくありません")}.get(
        status, texts[0] if texts is not None
        else _("サーバーでエラーが起きました。時間をおいてもう一度お試しください。"))
    if texts is not None:
        details = {"page_message": message, **details}
    state = app_state().maps  # the maps served, whatever the request asked (it may be wrong)
    context = page_context(state.study, state.coverage, state.plan)
    html = render_template("error.html", urls=page_urls(), status=status, heading=heading,
                           message=details.get("page_message"),
                           districts=details.get("districts"), **context)
    return Response(html, status=status, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    """One JSON error shape for ``/api/*``, Japanese HTML pages elsewhere; no tracebacks."""

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException) -> Response:
        details = dict(getattr(error, "details", {}))
        if isinstance(error, CSRFError):
            error.description = f"{csrf_failed_text()} ({error.description})"
            details["page_message"] = csrf_failed_text()
        elif (error_text(error.code or 500) is not None
              and error.description == type(error).description):  # werkzeug's English default
            error.description = error_text(error.code or 500)[1]
        if ("districts" in details and not wants_json() and request.view_args
                and "name" in request.view_args):
            details["page_message"] = _(
                "「{name}」という地区はありません。次の地区から選んでください。").format(
                name=request.view_args["name"])
        response = _error_response(error.code or 500, error.description or error.name, details)
        for name, value in error.get_headers():
            if name == "Retry-After":  # 503 of a busy printer, 429 (when raised)
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        logger.exception("Unhandled error on %s", request.path)
        server_error = InternalServerError()
        return _error_response(500, server_error.description or "Internal Server Error", {})
