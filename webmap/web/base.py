"""What every blueprint shares: the app's state, the request helpers and the one error shape.

The app's state is one object (:class:`webmap.web.state.AppState`), read only through
:func:`app_state`; :func:`current_state` is the maps it serves now.

Like datasette's ``views/base.py``: the public pages and API (:mod:`webmap.web.public`), the
planner (:mod:`webmap.web.planner`), the print form (:mod:`webmap.web.printing`) and the
resident pages (:mod:`webmap.web.resident`) read the state, check their arguments and refuse
a request through these functions, so every API error has one shape::

    {"ok": false, "error": "...", "status": 404}

plus the details of the error (the valid choices when a name or radius is wrong, the
problems of a scenario that cannot be saved). ``page_message`` is the Japanese sentence of
the HTML error page and never part of the JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, NoReturn

from flask import Flask, Response, current_app, g, has_request_context, request, url_for
from werkzeug.exceptions import BadRequest, NotFound

from geo.coverage.residents import available_bases, population_basis
from layers.analysis import NetworkAnalysis
from webmap.i18n import gettext as _
from webmap.maps.pages import Urls
from webmap.maps.style import basis_heading, basis_label, straight_note
from webmap.web.http_cache import RenderGate, cached_response
from webmap.web.state import STATE_KEY, AppState, IbashoState

logger = logging.getLogger(__name__)
__all__ = ["GEOJSON_MEDIA_TYPE", "app_state", "basis_choices", "basis_fields", "basis_key",
           "check_district", "csrf_failed_text", "current_state", "data_changed", "error_text",
           "fail", "geojson_response", "json_error", "minutes_arg", "page_urls", "radius_arg",
           "render_gate", "require_network", "wants_json"]

#: The media type of the GeoJSON answers of the API.
GEOJSON_MEDIA_TYPE = "application/geo+json"


def error_text(status: int) -> tuple[str, str] | None:
    """
    The heading and message of the error page of ``status``, for the statuses of the staff
    pages and uploads (401, 403, 413, 415, 429) and a busy server (503); None for the others, whose
    pages have their own words.
    """
    texts = {
        401: (_("ログインが必要です"), _("ログインしてから開いてください。")),
        403: (_("この操作は許可されていません"),
              _("この操作をする権限がありません。管理者に相談してください。")),
        413: (_("ファイルが大きすぎます"),
              _("送れるファイルは 5 MB までです。行を分けて、いくつかのファイルにしてください。")),
        415: (_("このファイルの種類は使えません"),
              _("取り込めるのは CSV（.csv）と GeoJSON（.geojson / .json）だけです。")),
        429: (_("しばらくお待ちください"),
              _("ログインの失敗が続いたため、しばらくログインできません。")),
        503: (_("混み合っています"), _("時間をおいてから、もう一度お試しください。")),
    }
    return texts.get(status)


def csrf_failed_text() -> str:
    """The error page's message when a form's CSRF token is missing or expired."""
    return _("フォームの有効期限が切れたか、正しくない送信です。"
             "ページを読み込み直してから、もう一度送信してください。")

_NO_NETWORK = ("No street network is loaded for {name}, so walking times are straight-line "
               "estimates ({note}) and there are no isochrones. Add one with "
               "`ibasho streets CONFIG --osm FILE` (an OpenStreetMap extract such as "
               "region.osm.pbf; it sets [network] streets in the config), then restart.")


def app_state(app: Flask | None = None) -> AppState:
    """The one state object of ``app`` (default: the current app): its database, stores and
    the maps it serves."""
    return (app or current_app).extensions[STATE_KEY]


def render_gate() -> RenderGate:
    """The app's :class:`~webmap.web.http_cache.RenderGate`: printed files made at once."""
    return app_state().render_gate


def current_state() -> IbashoState:
    """
    The maps served now (what the pages and the API show), counting the people of the
    request's ``?basis=`` (``total``, ``age65``, ``age75``, ``age85``) when it names one:
    an unknown band, or one the data lacks, is a 400 listing those it has.
    """
    state = app_state().maps
    basis = request.args.get("basis", "") if has_request_context() else ""
    if not basis:
        return state
    chosen = g.get("ibasho_basis_state")
    if chosen is not None and chosen[0] is state:
        return chosen[1]
    try:
        answer = state.for_basis(basis)
    except ValueError as exc:
        bases = list(available_bases(state.study.population))
        fail(400, f"basis {basis!r}: {exc}", bases=bases,
             page_message=_("その人口区分（{basis}）はこのデータにありません。").format(
                 basis=basis))
    g.ibasho_basis_state = (state, answer)
    return answer


def basis_key() -> str:
    """What the request's basis adds to a cache key ('' for the data's default)."""
    basis = current_state().basis
    return f"@{basis}" if basis else ""


def basis_fields(state: IbashoState | None = None) -> dict[str, str | None]:
    """
    ``{"basis", "basis_label"}`` of every API answer whose numbers depend on the people
    counted: the band actually used by ``state`` (default: the request's,
    :func:`current_state`) and its Japanese label (both None without population).
    """
    basis = (state or current_state()).plan.basis
    return {"basis": basis, "basis_label": basis_label(basis) if basis else None}


def basis_choices(state: IbashoState | None = None) -> list[dict[str, Any]]:
    """
    The bands a page may count, for its chooser (``basis_chooser.html``): only those the
    data has (total, 65+, 75+, 85+), each with ``value``, ``label`` (the data's default
    marked 標準; the total alone says it stands in for want of age data) and ``selected``
    (the band the page counts now). Empty without a population layer.
    """
    state = state or current_state()
    population = state.study.population
    bases = available_bases(population)
    default = population_basis(population)
    has_age65 = "age65" in bases
    choices = []
    for basis in bases:
        label = basis_heading(basis, has_age65=has_age65)
        if basis == default and len(bases) > 1:
            label = _("{basis}（標準）").format(basis=label)
        choices.append({"value": basis, "label": label,
                        "selected": basis == state.plan.basis})
    return choices


def data_changed() -> None:
    """
    Make sure the app serves every committed change, after an edit on the staff pages
    (:meth:`webmap.web.live.LiveSite.changed`).
    """
    app_state().live.changed()


def fail(status: int, message: str, **details: Any) -> NoReturn:
    """
    Refuse the request with a 400 or 404.

    Parameters
    ----------
    status
        400 or 404.
    message
        What is wrong and what to send instead (English, for the JSON ``error``).
    **details
        Added to the JSON answer (the valid choices); ``page_message`` is the Japanese
        sentence of the HTML error page instead.

    Raises
    ------
    werkzeug.exceptions.HTTPException
        Always: a ``BadRequest`` or ``NotFound`` carrying ``details``.
    """
    error = {400: BadRequest, 404: NotFound}[status](description=message)
    error.details = details  # type: ignore[attr-defined]
    raise error


def json_error(status: int, message: str, **details: Any) -> Response:
    """
    The one JSON error answer, ``{"ok": false, "error", "status", **details}``.

    ``page_message`` (meant for the HTML error page) is left out of the JSON.
    """
    body = {"ok": False, "error": message, "status": status,
            **{key: value for key, value in details.items() if key != "page_message"}}
    response = current_app.json.response(body)
    response.status_code = status
    return response


def wants_json() -> bool:
    """Whether the request is one of the API's (``/api``, ``/api/...``), answered in JSON."""
    return request.path == "/api" or request.path.startswith("/api/")


def check_district(name: str) -> str:
    """``name`` if it is a district of the study area, else a 404 listing the districts."""
    names = current_state().study.district_names
    if name not in names:
        fail(404, f"unknown district {name!r}; valid districts: {', '.join(names)}.",
             districts=names)
    return name


def _threshold_arg(name: str, choices: list[float], *, unit: str, key: str) -> float | None:
    """The query argument ``name`` as one of ``choices``, or None when absent."""
    text = request.args.get(name)
    if text is None or text == "":
        return None
    valid = ", ".join(f"{c:g}" for c in choices)
    try:
        value = float(text)
    except ValueError:
        fail(400, f"{name} {text!r} is not a number; valid {unit}: {valid}.", **{key: choices})
    if value not in choices:
        fail(400, f"{name} {text!r} is not analysed; valid {unit}: {valid}.", **{key: choices})
    return value


def radius_arg() -> float | None:
    """The ``radius`` query argument as one of the configured radii, or None for all."""
    radii = [float(r) for r in current_state().study.config.radii_m]
    return _threshold_arg("radius", radii, unit="radii (m)", key="radii_m")


def minutes_arg() -> float | None:
    """The ``minutes`` query argument as one of the configured thresholds, or None for all."""
    minutes = [float(m) for m in current_state().study.config.minutes]
    return _threshold_arg("minutes", minutes, unit="minutes", key="minutes")


def require_network() -> NetworkAnalysis:
    """The network analysis, or a 404 that says how to load a street network."""
    state = current_state()
    if state.plan.network is None:
        config = state.study.config
        note = straight_note(config.walking.detour_factor)
        fail(404, _NO_NETWORK.format(name=config.name, note=note), method="straight")
    return state.plan.network


def page_urls() -> Urls:
    """The addresses the page templates link to."""
    return Urls(home=url_for("pages.index"), districts=url_for("pages.districts"),
                print_map=url_for("print_page.form"), plan=url_for("planner.page"),
                near=url_for("near.near_page"),
                static=lambda path: url_for("static", filename=path),
                district=lambda name: url_for("pages.district", name=name),
                guidebook=lambda name, fmt: url_for("print_page.guidebook", district=name,
                                                    format=fmt))


def geojson_response(key: str, make: Callable[[], dict]) -> Response:
    """GeoJSON made once per state, with its ETag (304 when unchanged), compressed once."""
    return cached_response(
        f"api:{key}{basis_key()}",
        lambda: json.dumps(make(), ensure_ascii=False, separators=(",", ":")),
        mimetype=GEOJSON_MEDIA_TYPE, bodies=current_state().bodies)
