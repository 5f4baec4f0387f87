"""The 「印刷用の地図」 page: choose a district and paper, get an A4/A3 sheet to print.

``/print`` is a form; ``/print/sheet`` renders the sheet with
:func:`webmap.prints.sheet.render_sheet` (offline: no tiles) and sends it as a download, or
inline for the preview. Rendered sheets are kept in a small cache, since a council prints the
same sheet for every household; the cache is kept with the data it was drawn from (the
state: new data, new sheets) and keyed by the checked options only (district and the
:class:`~webmap.prints.options.SheetOptions`), so nothing else in a request makes a new render.

The QR code points at the site's public address, ``PUBLIC_URL`` (``IBASHO_PUBLIC_URL``, e.g.
``https://ibasho.example.jp``), never at the ``Host`` a request names: without it the form
explains how to set it and sheets have no QR code.
"""

from __future__ import annotations

import dataclasses
import logging
import urllib.parse
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState

from layers.fields.schedule import japan_today
from webmap.i18n import gettext as _
from webmap.maps.pages import page_context
from webmap.prints.guidebook_files import render_guidebook
from webmap.prints.sheet import (
    FORMATS,
    MEDIA_TYPES,
    ORIENTATIONS,
    PAPER_SIZES_MM,
    SUPPORTED_DPI,
    SheetOptions,
    render_sheet,
)
from webmap.prints.sheet_layers import prepare_layers
from webmap.web.base import basis_choices, current_state, fail, page_urls, render_gate
from webmap.web.http_cache import RenderCache
from webmap.web.state import IbashoState

logger = logging.getLogger(__name__)
__all__ = ["CACHE_SIZE", "GUIDEBOOK_MEDIA_TYPES", "check_public_url", "print_page",
           "public_address", "sheet_cache_info"]

print_page = Blueprint("print_page", __name__)

#: How many rendered sheets to keep (a 300 dpi A4 PNG is about 1–2 MB).
CACHE_SIZE = 24


def check_public_url(value: Any) -> str | None:
    """
    The site's public address (``PUBLIC_URL``) without a trailing ``/``, or None when unset.

    Raises
    ------
    ValueError
        For anything but an ``http(s)://host[/path]`` address (no user, query or fragment).

    Examples
    --------
    >>> check_public_url("https://ibasho.example.jp/takasaki/"), check_public_url("")
    ('https://ibasho.example.jp/takasaki', None)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or \
            parts.password or parts.query or parts.fragment or any(c.isspace() for c in text):
        msg = (f"PUBLIC_URL (IBASHO_PUBLIC_URL) {text!r} is not a public web address; set it "
               "to where residents open the map, e.g. https://ibasho.example.jp, or leave it "
               "unset to print sheets without a QR code.")
        raise ValueError(msg)
    return text.rstrip("/")


def _check_config(setup: BlueprintSetupState) -> None:
    """Check ``PUBLIC_URL`` once, when the app starts (a bad one stops it with a fix)."""
    config = setup.app.config
    config["PUBLIC_URL"] = check_public_url(config.get("PUBLIC_URL"))


print_page.record_once(_check_config)


def public_address(district: str | None) -> str | None:
    """
    The public address of the city map, or of ``district``'s page: ``PUBLIC_URL`` and the
    page's path (None when ``PUBLIC_URL`` is unset). Nothing of the request goes into it.
    """
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return None
    routes = current_app.url_map.bind("public.invalid", script_name="/")
    path = routes.build("pages.district", {"name": district}) if district else \
        routes.build("pages.index", {})
    return f"{base}{path}"


def public_near_address() -> str | None:
    """The public address of the resident page ``/near`` (None when ``PUBLIC_URL`` is unset)."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return None
    routes = current_app.url_map.bind("public.invalid", script_name="/")
    return f"{base}{routes.build('near.near_page', {})}"


def _sheets(state: IbashoState) -> RenderCache:
    """The sheets rendered from ``state``'s data."""
    return state.kept("print_page.sheets", lambda: RenderCache(CACHE_SIZE, render_gate()))


def sheet_cache_info() -> dict[str, int]:
    """How the sheet cache of the current data is doing: ``hits``, ``renders`` and ``size``."""
    return _sheets(current_state()).info()


def _choice(name: str, valid: tuple, default: Any, *, convert=str) -> Any:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value not in valid:
        message = _("{name} の値 {value!r} は使えません。使える値：{valid}").format(
            name=name, value=text, valid=", ".join(map(str, valid)))
        fail(400, message, page_message=message, **{name: list(valid)})
    return value


def _district() -> str | None:
    """The district asked for (None: the city), checked (404 otherwise)."""
    study = current_state().study
    district = request.args.get("district") or None
    if district is not None and district not in study.district_names:
        fail(404, f"unknown district {district!r}; valid districts: "
                   f"{', '.join(study.district_names)}.", districts=study.district_names,
              page_message=_("「{name}」という地区はありません。次の地区から選んでください。")
              .format(name=district))
    return district


def _options(district: str | None) -> SheetOptions:
    """The sheet asked for, checked against what the export supports (400 otherwise)."""
    qr = request.args.get("qr") == "1"
    qr_url = public_address(district) if qr else None
    if qr and qr_url is None:
        logger.info("No QR code on the sheet: PUBLIC_URL (IBASHO_PUBLIC_URL) is not set")
    return SheetOptions(
        paper=_choice("paper", tuple(PAPER_SIZES_MM), "A4"),
        orientation=_choice("orientation", ORIENTATIONS, "portrait"),
        fmt=_choice("format", FORMATS, "png"),
        dpi=_choice("dpi", SUPPORTED_DPI, 300, convert=int),
        greyscale=request.args.get("greyscale") == "1",
        grid=request.args.get("grid") == "1" and current_state().plan.grid is not None,
        # the form sends table=0 (hidden) and table=1 (checkbox) when ticked
        with_table="table" not in request.args or "1" in request.args.getlist("table"),
        qr_url=qr_url, bus_reach=request.args.get("bus") == "1")


def _choice_labels() -> dict[Any, str]:
    """The words of the form's choices: orientations, formats and resolutions."""
    return {"portrait": _("縦"), "landscape": _("横"),
            "png": _("PNG画像（印刷・配布用）"), "pdf": _("PDF（文字を選択できるベクトル形式）"),
            "svg": _("SVG（編集ソフト向け）"),
            300: _("300 dpi（印刷用）"), 150: _("150 dpi（画面・メール用）")}


@print_page.get("/print")
def form() -> str:
    """The form: area, people counted, paper, orientation, format, resolution, greyscale,
    minutes grid, table, QR, bus."""
    state = current_state()
    chosen: dict[str, Any] = {}
    preview = None
    if request.args:
        district = _district()
        options = _options(district)
        chosen = {**dataclasses.asdict(options), "district": district,
                  "qr": request.args.get("qr") == "1"}
        preview = url_for("print_page.sheet", **{**request.args, "format": "png", "dpi": 150,
                                                  "inline": "1"})
    return render_template(
        "print.html", urls=page_urls(), choice_labels=_choice_labels(),
        districts=state.study.district_names, papers=list(PAPER_SIZES_MM),
        orientations=ORIENTATIONS, formats=FORMATS, dpis=SUPPORTED_DPI,
        chosen=chosen, preview=preview, basis_choices=basis_choices(state),
        qr_available=bool(current_app.config.get("PUBLIC_URL")),
        grid_available=state.plan.grid is not None,
        bus_available=state.plan.bus is not None, bus_note=state.plan.bus_note,
        guidebook_formats=list(_guidebook_labels().items()),
        **page_context(state.study, state.coverage, state.plan))


@print_page.get("/print/sheet")
def sheet() -> Response:
    """The sheet itself (a download, or inline with ``inline=1``)."""
    state = current_state()
    district = _district()
    options = _options(district)
    # the checked options only (new data: a new cache); qr_url follows from them and the config
    data = _sheets(state).get_or_render(
        (district, options), lambda: render_sheet(state.study, state.coverage, options,
                                                  district=district, plan=state.plan))
    area = district or state.study.config.name
    filename = f"{area}_{options.paper}_{options.orientation}.{options.fmt}"
    disposition = "inline" if request.args.get("inline") == "1" else "attachment"
    quoted = urllib.parse.quote(filename)
    response = Response(data, mimetype=MEDIA_TYPES[options.fmt])
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"ibasho-map.{options.fmt}\"; filename*=UTF-8''{quoted}")
    response.headers["Cache-Control"] = "private, max-age=3600"
    logger.info("Sent %s sheet of %s (%d bytes)", options.fmt, area, len(data))
    return response



#: The guidebook's forms (``format=``): A4 PDF, the A5 booklet (PDF) and the workbook.
GUIDEBOOK_MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf", "booklet": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _guidebook_labels() -> dict[str, str]:
    return {"pdf": _("A4・PDF"),
            "booklet": _("A5冊子（A4横に2ページずつ、両面印刷して二つ折り）・PDF"),
            "xlsx": _("Excel（xlsx、同じ内容）")}


@print_page.get("/print/guidebook")
def guidebook() -> Response:
    """
    A district's guidebook (``?district=…&format=pdf|booklet|xlsx``) as a download; the
    cover's QR code points at ``/near`` under ``PUBLIC_URL`` (none when it is unset).
    """
    state = current_state()
    district = _district()
    if district is None:
        fail(400, "choose a district (?district=…).", districts=state.study.district_names,
             page_message=_("地区を選んでください。"))
    kind = _choice("format", tuple(GUIDEBOOK_MEDIA_TYPES), "pdf")
    today = japan_today()
    fmt = "xlsx" if kind == "xlsx" else "pdf"

    def render() -> bytes:
        layers = state.kept("print_page.guidebook_layers",
                            lambda: prepare_layers(state.study, state.coverage,
                                                           plan=state.plan))
        return render_guidebook(state.study, district, fmt=fmt, today=today, layers=layers,
                                booklet=kind == "booklet", near_url=public_near_address())

    data = _sheets(state).get_or_render(("guidebook", district, kind, today), render)
    suffix = "_A5冊子" if kind == "booklet" else ""
    filename = f"{district}_ガイドブック{suffix}.{fmt}"
    quoted = urllib.parse.quote(filename)
    response = Response(data, mimetype=GUIDEBOOK_MEDIA_TYPES[kind])
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"ibasho-guidebook.{fmt}\"; filename*=UTF-8''{quoted}")
    response.headers["Cache-Control"] = "private, max-age=3600"
    logger.info("Sent the %s guidebook of %s (%d bytes)", kind, district, len(data))
    return response
