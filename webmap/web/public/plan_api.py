"""Planning API: network isochrones, suggested sites, people beyond reach, and what-if.

``/api/isochrones`` needs a street network (404 otherwise, saying how to add one);
``/api/suggestions`` and ``/api/uncovered`` work in both modes; ``POST /api/what-if`` adds
and/or removes places (one, or lists of them) and answers from the precomputed plan
(:func:`layers.analysis.what_if_counts`) without recomputing the city. Errors have the one JSON
shape of :mod:`webmap.web.public.views`.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np
from flask import Blueprint, Response, current_app, request

from layers.analysis import WhatIfCounts, what_if_counts
from layers.bus_reach import KINDS
from layers.capacity_load import relieving_suggestions
from webmap.maps.geojson import feature_collection
from webmap.maps.reach_layers import method_note, suggested_sites, uncovered_by_district
from webmap.web.base import (
    basis_fields,
    check_district,
    current_state,
    fail,
    geojson_response,
    minutes_arg,
    radius_arg,
    require_network,
)
from webmap.web.json_body import brief, read_json_object

logger = logging.getLogger(__name__)
__all__ = ["plan_api"]

plan_api = Blueprint("plan_api", __name__, url_prefix="/api")

_WHAT_IF_USAGE = ('Send a JSON object {"add": [lon, lat]} and/or {"remove": "<place_id>"}, '
                  'e.g. {"add": [139.01, 36.32]} or {"remove": "p0012"}; for several changes '
                  'at once, lists: {"add": [[lon, lat], ...], "remove": ["p0012", ...]}; '
                  'add "bus": true to count who gets there by bus too.')

#: At most this many changes in one what-if request (each is one search on the network).
MAX_WHAT_IF_CHANGES = 100


@plan_api.get("/isochrones")
def api_isochrones() -> Response:
    """
    Walking isochrones on the street network: all places merged, one per threshold
    (``?minutes=10`` for one; ``?place=p0001`` for one place's catchment). 404 without a
    street network, saying how to add one.
    """
    state = current_state()
    network = require_network()
    minutes = minutes_arg()
    place_id = request.args.get("place") or None
    place = -1
    if place_id is not None:
        ids = state.study.places["place_id"].tolist()
        if place_id not in ids:
            fail(400, f"unknown place {place_id!r}; see /api/places for the ids.")
        place = ids.index(place_id)

    def make() -> dict:
        isochrones = network.isochrones[network.isochrones["place"] == place]
        if minutes is not None:
            isochrones = isochrones[isochrones["minutes"] == minutes]
        isochrones = isochrones[~isochrones.geometry.is_empty]
        city = (network.coverage.city.set_index("minutes")
                if network.coverage is not None and place == -1 else None)
        extra = []
        for value in isochrones["minutes"]:
            row = city.loc[value] if city is not None and value in city.index else None
            extra.append({"place_id": place_id,
                          "covered": None if row is None else row["covered"],
                          "covered_share": None if row is None else row["covered_share"]})
        data = feature_collection(isochrones, properties=["minutes", "area_km2"], extra=extra)
        return {**data, "method": "network", "profile": state.plan.profile.label,
                "slope_aware": bool(network.reach.slope_aware),
                **basis_fields(state)}

    return geojson_response(f"isochrones:{minutes}:{place_id}", make)


@plan_api.get("/suggestions")
def api_suggestions() -> Response:
    """
    Suggested sites for a new place, best first: ``rank``, ``name``, ``address``,
    ``district``, ``gain`` (people newly within reach), ``covered_total`` and ``share_after``
    (once it and every better-ranked site open). ``?district=...`` keeps that district's.
    ``?prefer=relieve`` ranks them by the people newly within reach plus ``relieved``, the
    people of places over their capacity who would have the site nearer
    (:func:`layers.capacity_load.relieving_suggestions`).
    """
    state = current_state()
    plan = state.plan
    name = request.args.get("district")
    if name:
        check_district(name)
    bus = _bus_switch(request.args.get("bus"))
    if bus:
        _require_bus(plan)
        if plan.bus_suggestions is None and plan.suggestions is not None:
            fail(404, "Suggestions counting the bus are made in a straight line only; this "
                      "study area is analysed on the street network.")
    prefer = request.args.get("prefer", "")
    if prefer not in ("", "relieve"):
        fail(400, "prefer must be 'relieve' (sites that relieve places over their capacity "
                  "first) or absent.")

    def make() -> dict:
        sites = plan.bus_suggestions if bus else suggested_sites(state.study, plan)
        if sites is not None and prefer and not bus:
            sites = relieving_suggestions(state.study, plan, sites)
        unit = "minutes" if plan.method == "network" else "metres"
        meta = {"method": plan.method, "threshold": plan.suggestion_threshold, "unit": unit,
                **basis_fields(state), "bus": bus}
        if sites is None:
            return {"type": "FeatureCollection", "features": [], **meta,
                    "note": "No suggestions: they need a population layer and a candidates "
                            "layer ([layers.population], [layers.candidates]) in the config."}
        if name:
            sites = sites[sites["district"] == name]
        sites = sites.rename(columns={"newly_covered": "gain"})
        # ranked again, the running totals of the greedy order no longer hold
        properties = (["rank", "name", "address", "district", "gain", "relieved"] if prefer
                      else ["rank", "name", "address", "district", "gain", "covered_total",
                            "share_after"])
        return {**feature_collection(sites, properties=properties), **meta,
                "prefer": prefer or None}

    return geojson_response(f"suggestions:{name}:{bus}:{prefer}", make)


def _bus_switch(value: str | None) -> bool:
    """``?bus=1`` (or true, on, yes) counts who gets there by bus; 0, false, off or none don't."""
    if value is None or value.strip().lower() in ("", "0", "false", "off", "no"):
        return False
    if value.strip().lower() in ("1", "true", "on", "yes"):
        return True
    fail(400, f"bus={value!r}: use bus=1 (count who gets there by bus) or bus=0.")
    return False  # fail raises


def _require_bus(plan: Any) -> None:
    """404 (saying how to add a timetable) when the plan has no bus reach."""
    if plan.bus is None:
        fail(404, plan.bus_note or "No bus reach: it needs a population layer and bus "
                                   "timetables.")


def _bus_answer(counts: WhatIfCounts, plan: Any) -> dict[str, Any]:
    """People on foot only, with the bus, neither: the city, and the districts that changed."""
    assert counts.bus_before is not None and counts.bus_after is not None  # bus=True
    before, after = counts.bus_before, counts.bus_after

    def kinds(values: np.ndarray) -> dict[str, float | None]:
        return {kind: _finite(value) for kind, value in zip(KINDS, values, strict=True)}

    named = np.array([bool(name) for name in counts.districts])
    changed = np.flatnonzero(named & (np.abs(after - before) > 1e-9).any(axis=0))
    return {**plan.bus.about(), "notes": plan.bus.notes,
            "city": {"before": kinds(before.sum(axis=1)), "after": kinds(after.sum(axis=1))},
            "districts": [{"district": counts.districts[d], "before": kinds(before[:, d]),
                           "after": kinds(after[:, d])} for d in changed]}


@plan_api.get("/uncovered")
def api_uncovered() -> Response:
    """
    Per district, the residents beyond walking reach (the map's shading): ``?minutes=`` on
    the network, ``?radius=`` without one (default: the threshold the map shows).
    """
    state = current_state()
    network = state.plan.network is not None
    given, other = ("minutes", "radius") if network else ("radius", "minutes")
    if request.args.get(other):
        how = "on the network" if network else "in a straight line"
        fail(400, f"this study area is analysed {how}: use ?{given}=, not ?{other}=.")
    threshold = minutes_arg() if network else radius_arg()
    found = uncovered_by_district(state.study, state.coverage, state.plan, threshold=threshold)
    if found is None:
        fail(404, "No population layer is loaded: add [layers.population] to the config.")
    frame, method, value = found

    def make() -> dict:
        districts = state.study.districts[["name", "geometry"]].merge(
            frame, left_on="name", right_on="district", how="left").drop(columns="district")
        data = feature_collection(districts)
        return {**data, "method": method, "threshold": value,
                "unit": "minutes" if method == "network" else "metres",
                **basis_fields(state)}

    return geojson_response(f"uncovered:{method}:{value}", make)


def _lonlat(value: Any) -> tuple[float, float]:
    """``[lon, lat]`` from the what-if body, checked; a 400 otherwise."""
    numbers = (isinstance(value, list | tuple) and len(value) == 2
               and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value))
    if not numbers or not all(math.isfinite(v) for v in value):
        fail(400, f'"add" must be [lon, lat] in degrees (two numbers), got {brief(value)}. '
                   + _WHAT_IF_USAGE)
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        fail(400, f'"add" [{lon:g}, {lat:g}] is not a longitude and latitude: give '
                   "[lon, lat] in that order (GeoJSON order).")
    return lon, lat


def _finite(value: float) -> float | None:
    """A number for JSON: NaN (a district where nobody lives has no share) becomes null."""
    value = float(value)
    return value if math.isfinite(value) else None


def _compare_row(keys: dict[str, Any], threshold: float, population: float, before: float,
                 after: float) -> dict[str, Any]:
    """One row of the answer: the people within ``threshold`` before and after."""
    def state(covered: float) -> dict[str, float | None]:
        return {"covered": _finite(covered), "uncovered": _finite(population - covered),
                "covered_share": _finite(covered / population) if population > 0 else None}

    return {**keys, "threshold": float(threshold), "population": _finite(population),
            "before": state(before), "after": state(after), "change": _finite(after - before)}


def _compare(counts: WhatIfCounts) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The city rows (one per threshold) and the rows of the districts whose coverage changed
    (threshold by threshold), from the arrays of :func:`layers.analysis.what_if_counts`."""
    before, after, population = counts.covered_before, counts.covered_after, counts.population
    city = [_compare_row({}, threshold, population.sum(), before[t].sum(), after[t].sum())
            for t, threshold in enumerate(counts.thresholds)]
    named = np.array([bool(name) for name in counts.districts])
    changed = np.flatnonzero(named & (np.abs(after - before) > 1e-9).any(axis=0))
    districts = [_compare_row({"district": counts.districts[d]}, threshold, population[d],
                              before[t, d], after[t, d])
                 for t, threshold in enumerate(counts.thresholds) for d in changed]
    return city, districts


@plan_api.post("/what-if")
def api_what_if() -> Response:
    """
    District and city coverage if one place were added (``{"add": [lon, lat]}``) and/or
    removed (``{"remove": "p0012"}``), answered from the precomputed reach without
    recomputing the city. ``districts`` lists the districts whose coverage changed.

    Several changes at once are lists (``{"add": [[lon, lat], ...], "remove": ["p0012",
    ...]}``, either may be empty); ``added`` and ``removed`` are then lists too.
    """
    state = current_state()
    body = read_json_object(fields={"add": list, "remove": (str, list), "bus": bool},
                            usage=_WHAT_IF_USAGE)
    add, remove, bus = body.get("add"), body.get("remove"), bool(body.get("bus", False))
    if add is None and remove is None:
        fail(400, "Nothing to change. " + _WHAT_IF_USAGE)
    many_adds = isinstance(add, list) and (not add or isinstance(add[0], list | tuple))
    many_removes = isinstance(remove, list)
    place_ids = remove if many_removes else [] if remove is None else [remove]
    count = (len(add) if many_adds else int(add is not None)) + len(place_ids)
    if count > MAX_WHAT_IF_CHANGES:
        fail(400, f"At most {MAX_WHAT_IF_CHANGES} changes at once, got {count}.")
    lonlats = ([_lonlat(value) for value in add] if many_adds
               else [] if add is None else [_lonlat(add)])
    for place_id in place_ids:
        if not isinstance(place_id, str) or not place_id:
            fail(400, f'"remove" must be a place id such as "p0012" (or a list of them), got '
                       f"{brief(place_id)}; see /api/places for the ids.")
    if state.study.population is None:
        fail(404, "What-if needs a population layer: add [layers.population] to the config.")
    if bus:
        _require_bus(state.plan)
    started = time.perf_counter()
    try:
        counts = what_if_counts(state.study, state.plan, add_lonlats=lonlats,
                                remove_place_ids=place_ids, bus=bus)
    except ValueError as exc:
        hint = " See /api/places for the ids." if str(exc).startswith("No place") else ""
        fail(400, f"{exc}{hint}")
    city, districts = _compare(counts)
    elapsed_ms = (time.perf_counter() - started) * 1000
    added = [{"lonlat": list(lonlat), "district": district}
             for lonlat, district in zip(lonlats, counts.added_districts, strict=True)]
    places = state.study.places
    row_of = {place_id: row for row, place_id in enumerate(places["place_id"].tolist())}
    removed = [{"place_id": place_id, "name": str(places["name"].iat[row_of[place_id]]),
                "district": str(places["district"].iat[row_of[place_id]])}
               for place_id in dict.fromkeys(place_ids)]
    # the answer mirrors the question: one change as an object, a list as a list
    return current_app.json.response({
        "ok": True,
        "method": counts.method,
        "method_note": method_note(state.study, state.plan),
        "unit": counts.unit,
        "thresholds": [float(t) for t in counts.thresholds],
        **basis_fields(state),
        "added": added if many_adds else (added[0] if added else None),
        "removed": removed if many_removes else (removed[0] if removed else None),
        "city": city,
        "districts": districts,
        "bus": _bus_answer(counts, state.plan) if bus else None,
        "elapsed_ms": round(elapsed_ms, 3),
    })
