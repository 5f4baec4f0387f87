"""The 「印刷用の地図」 page: choose a district and paper, get an A4/A3 sheet to print.

``/print`` is a form; ``/print/sheet`` renders the sheet with :func:`webmap.export.render_sheet`
(offline: no tiles) and sends it as a download, or inline for the preview. Rendered sheets are
kept in a small cache, since a council prints the same sheet for every household.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from webmap.export import (
    FORMATS,
    MEDIA_TYPES,
    ORIENTATIONS,
    PAPER_SIZES_MM,
    SUPPORTED_DPI,
    render_sheet,
)
from webmap.pages import page_context
from webmap.style import PAGE_TEXT, PRINT_PAGE_TEXT
from webmap.views import _fail, _state, _urls

logger = logging.getLogger(__name__)
__all__ = ["print_page"]

print_page = Blueprint("print_page", __name__)

#: How many rendered sheets to keep (a 300 dpi A4 PNG is about 1–2 MB).
CACHE_SIZE = 24
_cache: OrderedDict[tuple, bytes] = OrderedDict()
_cache_lock = threading.Lock()


def _choice(name: str, valid: tuple, default: Any, *, convert=str) -> Any:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value not in valid:
        message = PRINT_PAGE_TEXT["bad_option"].format(name=name, value=text,
                                                       valid=", ".join(map(str, valid)))
        _fail(400, message, page_message=message, **{name: list(valid)})
    return value


def _options() -> dict[str, Any]:
    """The sheet asked for, checked against what the export supports (400 otherwise)."""
    study = _state().study
    district = request.args.get("district") or None
    if district is not None and district not in study.district_names:
        _fail(404, f"unknown district {district!r}; valid districts: "
                   f"{', '.join(study.district_names)}.", districts=study.district_names,
              page_message=PAGE_TEXT["unknown_district"].format(name=district))
    return {
        "district": district,
        "paper": _choice("paper", tuple(PAPER_SIZES_MM), "A4"),
        "orientation": _choice("orientation", ORIENTATIONS, "portrait"),
        "fmt": _choice("format", FORMATS, "png"),
        "dpi": _choice("dpi", SUPPORTED_DPI, 300, convert=int),
        "greyscale": request.args.get("greyscale") == "1",
        # the form sends table=0 (hidden) and table=1 (checkbox) when ticked
        "with_table": "table" not in request.args or "1" in request.args.getlist("table"),
        "qr": request.args.get("qr") == "1",
    }


@print_page.get("/print")
def form() -> str:
    """The form: area, paper, orientation, format, resolution, greyscale, table, QR."""
    state = _state()
    options = _options() if request.args else None
    preview = None
    if options is not None:
        preview = url_for("print_page.sheet", **{**request.args, "format": "png", "dpi": 150,
                                                  "inline": "1"})
    return render_template(
        "print.html", urls=_urls(), print_text=PRINT_PAGE_TEXT,
        districts=state.study.district_names, papers=list(PAPER_SIZES_MM),
        orientations=ORIENTATIONS, formats=FORMATS, dpis=SUPPORTED_DPI,
        chosen=options or {}, preview=preview,
        **page_context(state.study, state.coverage, state.plan))


@print_page.get("/print/sheet")
def sheet() -> Response:
    """The sheet itself (a download, or inline with ``inline=1``)."""
    state = _state()
    options = _options()
    district, qr = options.pop("district"), options.pop("qr")
    qr_url = None
    if qr:
        qr_url = (url_for("pages.district", name=district, _external=True) if district
                  else url_for("pages.index", _external=True))
    key = (state.generation, district, qr_url, *sorted(options.items()))  # new data: new key
    with _cache_lock:
        data = _cache.get(key)
        if data is not None:
            _cache.move_to_end(key)
    if data is None:
        data = render_sheet(state.study, state.coverage, district=district, qr_url=qr_url,
                            plan=state.plan, **options)
        with _cache_lock:
            _cache[key] = data
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    area = district or state.study.config.name
    filename = f"{area}_{options['paper']}_{options['orientation']}.{options['fmt']}"
    disposition = "inline" if request.args.get("inline") == "1" else "attachment"
    quoted = urllib.parse.quote(filename)
    response = Response(data, mimetype=MEDIA_TYPES[options["fmt"]])
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"ibasho-map.{options['fmt']}\"; filename*=UTF-8''{quoted}")
    response.headers["Cache-Control"] = "private, max-age=3600"
    logger.info("Sent %s sheet of %s (%d bytes)", options["fmt"], area, len(data))
    return response

