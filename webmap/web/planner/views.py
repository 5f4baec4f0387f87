"""The planner page for councils (``/plan``): try new places, save and compare scenarios.

A council (第2層協議体) clicks the map, a candidate site or a suggested site to plan a new
place, or an existing place to assume it closed; each change asks ``POST /api/what-if`` for
the coverage before and after (several changes at once), and the page shows them for the
district and the city (:mod:`webmap.web.public.plan_api`, :func:`layers.analysis.what_if_many`).

Routes:

- ``GET /plan`` (``?district=NAME``): the page; ``GET /plan/candidates``: candidate sites;
- ``GET /plan/scenarios``: the saved scenarios; ``POST /plan/scenarios`` saves one (an
  editor's login and the CSRF token in ``X-CSRFToken``); ``GET /plan/scenarios/<id>``: one,
  with its numbers; ``DELETE /plan/scenarios/<id>``: delete it (editor);
- ``GET /plan/compare?ids=s0001,s0002``: saved scenarios side by side (``&fragment=1`` for
  the table alone, as the page shows it);
- ``GET /plan/scenarios/<id>.csv``: its table (UTF-8 with BOM);
  ``GET /plan/scenarios/<id>/map.png`` (``.pdf``): its A4 sheet (:mod:`webmap.prints.plan_sheet`).

Scenarios are kept in the places database (:class:`layers.store.scenarios.ScenarioStore`, the
app state's :attr:`~webmap.web.state.AppState.scenarios`). JSON routes answer errors in the
API's shape ``{"ok": false, "error", "status"}``.
"""

from __future__ import annotations

import dataclasses
import logging
import urllib.parse
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException, NotFound, ServiceUnavailable

from geo.coverage.residents import available_bases
from layers.capacity_load import RESIDENTS_PER_SEAT, place_load
from layers.store.database import DatabaseUnavailableError
from layers.store.scenarios import (
    DuplicateScenarioError,
    ScenarioError,
    ScenarioNotFoundError,
    ScenarioStore,
    check_changes,
    check_name,
)
from webmap.i18n import gettext as _
from webmap.maps.bus_layer import bus_notes
from webmap.maps.geojson import feature_collection
from webmap.maps.pages import page_context
from webmap.maps.reach_layers import method_note, threshold_text
from webmap.maps.style import (
    CATEGORY_STYLES,
    DEFAULT_CATEGORY_STYLE,
    PLANNER_STYLE,
    SUGGESTION_STYLE,
    basis_label,
)
from webmap.prints.options import MEDIA_TYPES
from webmap.prints.plan_results import added_label, change_text, share_text
from webmap.prints.plan_sheet import SCENARIO_SHEET, render_scenario_sheet
from webmap.web.auth import current_user, has_role, login_required
from webmap.web.base import (
    app_state,
    basis_choices,
    current_state,
    fail,
    json_error,
    page_urls,
    render_gate,
)
from webmap.web.http_cache import RenderCache
from webmap.web.json_body import read_json_object
from webmap.web.planner.results import (
    baseline_rows,
    changes_summary,
    scenario_csv,
    scenario_outcome,
    threshold_labels,
)
from webmap.web.state import IbashoState

logger = logging.getLogger(__name__)
__all__ = ["planner"]

planner = Blueprint("planner", __name__)
#: The JSON routes (nested in ``planner``): their errors have the API's JSON shape, the
#: pages' errors the app's Japanese error page.
scenarios_api = Blueprint("json", __name__)

#: Sheet formats a scenario can be exported in.
SHEET_FORMATS = ("png", "pdf")
#: The fields of a scenario to save, and their JSON types.
_SCENARIO_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str, "district": str, "add": list, "remove": list, "threshold": int}
_SCENARIO_USAGE = ('Send a JSON object {"name": "案A", "district": "", "add": [{"lonlat": '
                   '[lon, lat], "label": "..."}], "remove": ["p0012"], "threshold": 500}.')
#: How many rendered scenario sheets to keep (per state: new data, new sheets).
SHEET_CACHE_SIZE = 12


# ---- helpers ----------------------------------------------------------------------------


def _scenarios() -> ScenarioStore:
    """The saved scenarios, in the app's database."""
    return app_state().scenarios


def _sheets(state: IbashoState) -> RenderCache:
    """The scenario sheets rendered from ``state``'s data."""
    return state.kept("planner.sheets", lambda: RenderCache(SHEET_CACHE_SIZE, render_gate()))


def _district_arg(value: str | None) -> str | None:
    """A district name from the request, checked (a Japanese 404 page otherwise)."""
    if not value:
        return None
    names = current_state().study.district_names
    if value not in names:
        fail(404, f"unknown district {value!r}; valid districts: {', '.join(names)}.",
              districts=names,
              page_message=_("「{name}」という地区はありません。次の地区から選んでください。")
              .format(name=value))
    return value


def _baseline(state: IbashoState) -> dict[str, Any]:
    """The coverage now, per threshold, for the city and every district (kept per state)."""
    return state.kept("planner.baseline", lambda: baseline_rows(state.study, state.plan))


def _outcome(scenario: dict[str, Any], district: str | None = None) -> dict[str, Any]:
    """A saved scenario's numbers from the current data (removed places no longer there are
    left out and listed in ``missing``)."""
    state = current_state()
    name = district if district is not None else (scenario["district"] or None)
    if name is not None and name not in state.study.district_names:
        name = None
    try:
        return scenario_outcome(state.study, state.plan, add=scenario["add"],
                                remove=scenario["remove"], district=name, skip_missing=True)
    except ValueError as exc:
        fail(400, f"The scenario cannot be computed on the current data: {exc}")


def _load(scenario_id: str) -> dict[str, Any]:
    try:
        return _scenarios().scenario(scenario_id)
    except ScenarioNotFoundError as exc:
        fail(404, str(exc),
             page_message=_("この計画案は見つかりません。削除された可能性があります。"))


def _scenario_json(scenario: dict[str, Any], *, with_author: bool) -> dict[str, Any]:
    scenario_id = scenario["scenario_id"]
    body = {"scenario_id": scenario_id, "name": scenario["name"],
            "district": scenario["district"], "add": scenario["add"],
            "remove": scenario["remove"], "threshold": scenario["threshold"],
            "created_at": scenario["created_at"].isoformat().replace("+00:00", "Z"),
            "summary": _("新設{added}か所・廃止{removed}か所").format(
                added=len(scenario["add"]), removed=len(scenario["remove"])),
            "urls": {"self": url_for("planner.json.get_scenario",
                                     scenario_id=scenario_id),
                     "csv": url_for("planner.scenario_table", scenario_id=scenario_id),
                     "png": url_for("planner.scenario_map", scenario_id=scenario_id,
                                    fmt="png"),
                     "pdf": url_for("planner.scenario_map", scenario_id=scenario_id,
                                    fmt="pdf")}}
    if with_author:
        body["created_by"] = scenario["created_by"]
    return body


def _attachment(data: bytes, mimetype: str, scenario: dict[str, Any], suffix: str) -> Response:
    """A download named ``s0001_案A.csv`` (RFC 5987), ``s0001.csv`` for old browsers."""
    response = Response(data, mimetype=mimetype)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in scenario["name"]).strip("_")
    name = f"{scenario['scenario_id']}_{safe or 'scenario'}.{suffix}"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{scenario['scenario_id']}.{suffix}\"; "
        f"filename*=UTF-8''{urllib.parse.quote(name)}")
    return response


@scenarios_api.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """The API's error shape, ``{"ok": false, "error", "status"}`` (plus the valid choices)."""
    message = error.description or error.name
    if isinstance(error, CSRFError):
        expired = _("画面の有効期限が切れました。"
                    "画面を読み込み直してから、もう一度お試しください。")
        message = f"{expired} ({message})"
    return json_error(error.code or 500, message, **dict(getattr(error, "details", {})))


@scenarios_api.errorhandler(DatabaseUnavailableError)
def _database_down(error: DatabaseUnavailableError) -> Response:
    logger.error("Scenario database unavailable: %s", error)
    return _http_error(ServiceUnavailable(description=str(error)))


# ---- the page ---------------------------------------------------------------------------


def _page_config(district: str | None, *, prefer: str = "") -> dict[str, Any]:
    """Everything the page's script needs, as JSON (text, thresholds, numbers now, URLs)."""
    state = current_state()
    study, plan = state.study, state.plan
    config = study.config
    thresholds = threshold_labels(study, plan)
    values = [t["value"] for t in thresholds]
    default = config.walking.default_threshold(plan.method)
    if default not in values:  # thresholds without population are still labelled
        default = values[len(values) // 2]
    user = current_user()
    csrf = generate_csrf() if "csrf" in current_app.extensions else ""
    suggestion_threshold = next((t["label"] for t in thresholds
                                 if t["value"] == plan.suggestion_threshold), "")
    return {
        "text": script_text(),
        "method": plan.method,
        "method_note": _("計算方法：{note}").format(note=method_note(study, plan)),
        "basis_note": _basis_note(plan.basis),
        "thresholds": thresholds,
        "threshold": default,
        "suggestion_threshold": suggestion_threshold,
        "district": district,
        "baseline": _baseline(state) if study.population is not None else None,
        "bus": _bus_config(plan),
        "can_edit": has_role(user, "editor"),
        "csrf_token": csrf,
        "basemap": {"url": config.basemap["url"], "attribution": config.basemap["attribution"],
                    "max_zoom": int(config.basemap.get("max_zoom", 18))},
        "bounds": list(study.districts.total_bounds),
        "style": {"planner": PLANNER_STYLE, "suggestion": SUGGESTION_STYLE,
                  "categories": CATEGORY_STYLES, "default_category": DEFAULT_CATEGORY_STYLE},
        "urls": {
            "what_if": url_for("plan_api.api_what_if", **_basis_args(state)),
            "districts": url_for("api.api_districts"),
            "places": url_for("api.api_places"),
            "suggestions": url_for("plan_api.api_suggestions", **_basis_args(state)),
            "suggestions_bus": url_for("plan_api.api_suggestions", bus=1,
                                       **_basis_args(state)),
            "candidates": url_for("planner.json.candidates"),
            "reach": (url_for("plan_api.api_isochrones") + "?minutes=" if plan.method ==
                      "network" else url_for("api.api_buffers") + "?radius="),
            "scenarios": url_for("planner.json.list_scenarios"),
            "compare": url_for("planner.compare"),
            "login": url_for("admin.login", next=request.full_path),
        },
    }


def _bus_config(plan: Any) -> dict[str, Any]:
    """The bus switch: whether it is offered, its label and notes, the numbers now."""
    bus = plan.bus
    if bus is None:
        return {"available": False, "note": plan.bus_note}
    table = bus.table().set_index("district")
    return {"available": True, "label": " ".join(bus_notes(plan)),
            "suggestions": plan.bus_suggestions is not None,
            "baseline": {"city": bus.city(),
                         "districts": {str(name): {k: float(v) for k, v in row.items()}
                                       for name, row in table.iterrows() if name}}}


def script_text() -> dict[str, str]:
    """The words of the page's scripts (``webmap/static/plan/*.js``: ``T.*``)."""
    return {
        "added": _("新設（計画）"),
        "after": _("この案"),
        "change_none": _("変わりません"),
        "change_people": _("{sign}{people}人"),
        "change_points": _("{sign}{points}ポイント"),
        "city": _("市全体"),
        "compare_hint": _("比べたい案に2つ以上チェックを入れてください"),
        "confirm_delete": _("計画案「{name}」を削除しますか？"),
        "count": _("（{count}件）"),
        "csv": _("表（CSV）"),
        "csv_population": _("人口"),
        "delete": _("削除"),
        "deleted": _("「{name}」を削除しました"),
        "elapsed": _("{ms}ミリ秒で計算"),
        "error": _("計算できませんでした：{message}"),
        "in_district": _("{district}地区"),
        "legend": _("凡例"),
        "legend_candidate": _("候補地"),
        "legend_places": _("いまの居場所（クリックで廃止を想定）"),
        "legend_planned": _("新設を計画した場所"),
        "legend_planned_reach": _("新設の場所の徒歩圏（直線）"),
        "legend_reach": _("いまの徒歩圏（{threshold}）"),
        "legend_removed": _("廃止を想定した居場所"),
        "legend_suggestion": _("おすすめの候補地（数字は順位）"),
        "load": _("地図に表示"),
        "loaded": _("「{name}」を表示しました"),
        "login_to_save": _("計画案の保存と削除には、編集者のログインが必要です。"),
        "map_point": _("地図で選んだ地点"),
        "now": _("いま"),
        "other_districts": _("ほかに変わる地区：{list}"),
        "outside": _("その地点は市の区域の外なので、計算できません"),
        "pdf": _("地図（PDF）"),
        "people_count": _("{people}人"),
        "people_range": _("{before}人 → {after}人"),
        "png": _("地図（PNG）"),
        "removed": _("廃止を想定"),
        "save_error": _("保存できませんでした：{message}"),
        "saved": _("「{name}」を保存しました"),
        "saved_by": _("{user}・{date}"),
        "suggestion_gain": _("+{people}人"),
        "suggestion_item": _("{rank}位 {name}"),
        "threshold": _("徒歩圏の目安"),
        "undo": _("取り消す"),
        "working": _("計算しています…"),
        "bus_heading": _("徒歩とバスで行ける人（いま → この案）"),
        "bus_walk": _("徒歩のみ"),
        "bus_bus": _("バスで"),
        "bus_neither": _("どちらも不可"),
        "bus_suggestions": _("徒歩でもバスでも行けない人を多く加える順"),
    }


def _basis_args(state: Any) -> dict[str, str]:
    """``{"basis": …}`` when the page counts a band asked for (``?basis=``), else nothing:
    the planner's requests then count the same people as the page."""
    return {"basis": state.basis} if state.basis else {}


def _basis_note(basis: str | None) -> str:
    if basis is None:
        return _("人口データなし")
    study = current_state().study
    has_age65 = "age65" in available_bases(study.population)
    note = _("人口は{basis}で数えています").format(basis=basis_label(basis))
    return note + (_("（65歳以上の人数のデータがないため）")
                   if basis == "total" and not has_age65 else "")


@planner.get("/plan")
def page() -> str:
    """The planner: a map and a side panel (district, threshold, changes, scenarios)."""
    state = current_state()
    district = _district_arg(request.args.get("district"))
    prefer = "relieve" if request.args.get("prefer") == "relieve" else ""
    load = state.kept("planner.capacity", lambda: place_load(state.study, state.plan))
    over = [] if load is None else [
        {"name": row.name, "district": row.district, "capacity": f"{row.capacity:,}",
         "walk_in": f"{round(row.walk_in):,}", "per_seat": f"{row.per_seat:.0f}"}
        for row in load[load["over_capacity"]].itertuples()]
    switch = {k: v for k, v in (("district", district), ("basis", request.args.get("basis")))
              if v}
    return render_template(
        "plan.html", urls=page_urls(), district=district,
        districts=state.study.district_names, plan_config=_page_config(district, prefer=prefer),
        basis_choices=basis_choices(state),
        capacity={"known": load is not None, "over": over, "prefer": prefer,
                  "per_seat": f"{RESIDENTS_PER_SEAT:g}",
                  "toggle_url": url_for("planner.page", **switch,
                                        **({} if prefer else {"prefer": "relieve"}))},
        **page_context(state.study, state.coverage, state.plan))


@scenarios_api.get("/plan/candidates")
def candidates() -> Response:
    """The candidate sites (``name``, ``address``) as GeoJSON; empty without a layer."""
    study = current_state().study
    frame = study.candidates
    if frame is None or frame.empty:
        return current_app.json.response({"type": "FeatureCollection", "features": []})
    located = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    columns = [c for c in ("name", "address") if c in located.columns]
    return current_app.json.response(feature_collection(located, properties=columns))


# ---- scenarios --------------------------------------------------------------------------


@scenarios_api.get("/plan/scenarios")
def list_scenarios() -> Response:
    """The saved scenarios, oldest first (who saved them only for a logged-in user)."""
    user = current_user()
    scenarios = [_scenario_json(s, with_author=user is not None)
                 for s in _scenarios().scenarios()]
    return current_app.json.response({"ok": True, "scenarios": scenarios,
                                      "can_edit": has_role(user, "editor")})


@scenarios_api.post("/plan/scenarios")
@login_required("editor")
def save_scenario() -> Response:
    """
    Save the changes on the page under a name: ``{"name", "district", "add": [{"lonlat",
    "label"}], "remove": [ids], "threshold"}``. 201 with the saved scenario; 400 for a bad
    name or changes (or changes the data cannot take, such as an unknown place); 409 for a
    name already used.
    """
    body = read_json_object(fields=_SCENARIO_FIELDS, usage=_SCENARIO_USAGE)
    district = _district_arg(body.get("district") or None) or ""
    changes = {key: body[key] for key in ("add", "remove", "threshold") if key in body}
    state = current_state()
    try:
        check_name(body.get("name"))
        checked = check_changes(changes)
        scenario_outcome(state.study, state.plan, add=checked["add"],
                         remove=checked["remove"])  # the data must take the changes
        saved = _scenarios().save(body.get("name"), checked, user=current_user().name,
                                  district=district)
    except ScenarioError as exc:
        status = 409 if isinstance(exc, DuplicateScenarioError) else 400
        return json_error(status, str(exc), problems=exc.problems)
    except ValueError as exc:
        fail(400, str(exc))
    response = current_app.json.response({"ok": True, "scenario": _scenario_json(
        saved, with_author=True)})
    response.status_code = 201
    return response


@scenarios_api.get("/plan/scenarios/<scenario_id>")
def get_scenario(scenario_id: str) -> Response:
    """One saved scenario with its numbers now (``?district=`` for another district)."""
    scenario = _load(scenario_id)
    outcome = _outcome(scenario, _district_arg(request.args.get("district")))
    return current_app.json.response({
        "ok": True, "scenario": _scenario_json(scenario, with_author=current_user() is not None),
        "outcome": outcome})


@scenarios_api.delete("/plan/scenarios/<scenario_id>")
@login_required("editor")
def delete_scenario(scenario_id: str) -> Response:
    """Delete a saved scenario (an editor's login and the CSRF token)."""
    try:
        _scenarios().delete(scenario_id, user=current_user().name)
    except ScenarioNotFoundError as exc:
        fail(404, str(exc))
    _sheets(current_state()).drop(lambda key: key[0] == scenario_id)
    return current_app.json.response({"ok": True, "deleted": scenario_id})


@planner.get("/plan/scenarios/<scenario_id>.csv")
def scenario_table(scenario_id: str) -> Response:
    """The scenario's table as CSV (UTF-8 with BOM, for Excel)."""
    scenario = _load(scenario_id)
    data = scenario_csv(scenario["name"], _outcome(scenario))
    return _attachment(data, "text/csv; charset=utf-8", scenario, "csv")


@planner.get("/plan/scenarios/<scenario_id>/map.<fmt>")
def scenario_map(scenario_id: str, fmt: str) -> Response:
    """The scenario's printable sheet: A4 (``?paper=A3``), PNG at 150 dpi or PDF."""
    if fmt not in SHEET_FORMATS:
        raise NotFound(description=f"no {fmt!r} export; choose one of: "
                                   f"{', '.join(SHEET_FORMATS)}.")
    try:
        options = dataclasses.replace(SCENARIO_SHEET, fmt=fmt,
                                      paper=request.args.get("paper", "A4"),
                                      orientation=request.args.get("orientation", "portrait"))
    except ValueError as exc:
        fail(400, str(exc))
    scenario = _load(scenario_id)
    state = current_state()
    data = _sheets(state).get_or_render(
        (scenario_id, scenario["created_at"], options),
        lambda: render_scenario_sheet(state.study, _outcome(scenario), name=scenario["name"],
                                      options=options))
    return _attachment(data, MEDIA_TYPES[fmt], scenario, fmt)


@planner.get("/plan/compare")
def compare() -> str:
    """Saved scenarios side by side: changes, and the share within reach per threshold for
    the city and a district (``?district=``, else each scenario's own)."""
    state = current_state()
    ids = [i for i in request.args.get("ids", "").split(",") if i.strip()]
    if not ids:
        fail(400, "Give the scenarios to compare: ?ids=s0001,s0002.",
              page_message=_("比べたい案に2つ以上チェックを入れてください"))
    district = _district_arg(request.args.get("district"))
    rows = []
    for scenario_id in dict.fromkeys(i.strip() for i in ids):
        scenario = _load(scenario_id)
        outcome = _outcome(scenario, district)
        rows.append({"scenario": scenario, "outcome": outcome,
                     "changes": [added_label(a) for a in outcome["added"]],
                     "removed": [r["name"] for r in outcome["removed"]],
                     "summary": changes_summary(outcome)})
    config = state.study.config
    thresholds = [{**t, "short": threshold_text(config, method=state.plan.method,
                                                threshold=t["value"], short=True)}
                  for t in threshold_labels(state.study, state.plan)]
    template = "plan_compare_table.html" if request.args.get("fragment") else "plan_compare.html"
    return render_template(
        template, urls=page_urls(), rows=rows, thresholds=thresholds,
        district=district, share_text=share_text, change_text=change_text,
        show_district=district is not None or any(r["outcome"]["district"] for r in rows),
        plan_basis_note=_basis_note(state.plan.basis),
        method_line=_("計算方法：{note}").format(note=method_note(state.study, state.plan)),
        **page_context(state.study, state.coverage, state.plan))


planner.register_blueprint(scenarios_api)
