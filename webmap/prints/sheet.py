"""Printed maps: one A4 or A3 sheet of the city or of a district, as PNG, PDF or SVG.

A sheet has a title and subtitle (district, date, scale), the map, a legend of exactly the
layers drawn, a scale bar in metres, a north arrow, the sources of every layer (出典) and,
optionally, a table of the places shown (schedule and contact) and a QR code linking to the
web map. It draws the web map's layers with the web map's styles (:mod:`webmap.maps.style`) and
needs no network: the background is drawn from the data.

Text is set in a Japanese system font (:mod:`webmap.prints.fonts`). PDF text stays text (fonts
embedded as Type 42, so it can be selected and searched) and PDF and SVG stay vector: no part
of a sheet is a raster image. The map is drawn by :mod:`webmap.prints.drawing`, the rest of the
page by :mod:`webmap.prints.layout`.

Examples
--------
>>> from data import get_path
>>> from layers.study import analyse_study_area, load_study_area
>>> study = load_study_area(get_path("takasaki"))  # doctest: +SKIP
>>> coverage = analyse_study_area(study)  # doctest: +SKIP
>>> export_sheet(study, coverage, district="箕郷", out=Path("minowa.pdf"),
...              options=SheetOptions(fmt="pdf"))  # doctest: +SKIP
PosixPath('minowa.pdf')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from geo.coverage.by_distance import CoverageResult
from layers.analysis import Plan
from layers.files.atomic import write_atomic
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.prints.drawing import draw_map
from webmap.prints.fonts import JapaneseFont, find_japanese_font
from webmap.prints.jobs import render_jobs
from webmap.prints.layout import (
    ORIENTATIONS,
    PAPER_SIZES_MM,
    SheetLayout,
    TableRow,
    draw_footer,
    draw_header,
    draw_legend,
    draw_table,
    sheet_layout,
)
from webmap.prints.options import (
    FORMATS,
    MEDIA_TYPES,
    SUPPORTED_DPI,
    SheetOptions,
    sheet_figure,
    sheet_settings,
)
from webmap.prints.sheet_layers import (
    MapView,
    PrintLayers,
    Streets,
    map_view,
    prepare_layers,
    sheet_places,
)

logger = logging.getLogger(__name__)
__all__ = ["FORMATS", "MEDIA_TYPES", "ORIENTATIONS", "PAPER_SIZES_MM", "SUPPORTED_DPI",
           "ExportError", "JapaneseFont", "Sheet", "SheetOptions", "created_line", "draw_sheet",
           "export_all_districts", "export_sheet", "find_japanese_font", "japanese_date",
           "qr_matrix",
           "render_sheet", "save_sheet", "scale_denominator", "sheet_filename"]


class ExportError(OSError):
    """A sheet could not be written where it was asked to go; the message says why and how."""


@dataclass
class Sheet:
    """A drawn sheet, before it is saved: the figure and what went on it."""

    figure: Figure
    layout: SheetLayout
    view: MapView
    map_axes: Axes
    title: str
    #: Legend labels in the order drawn: exactly the layers on the map.
    legend_labels: list[str]
    #: Located places drawn (with ``number``) and the table's rows (empty without a table).
    places: pd.DataFrame
    table_rows: list[TableRow]
    font: JapaneseFont
    dpi: int


def _check_district(study: StudyArea, district: str | None) -> None:
    if district is not None and district not in study.district_names:
        msg = (f"unknown district {district!r}; choose one of: "
               f"{', '.join(study.district_names)}.")
        raise ValueError(msg)


def _empty_message(study: StudyArea, shown: pd.DataFrame, district: str | None) -> str | None:
    """What to say when the sheet's district has no place on the map (None if it has)."""
    places = study.places if district is None else study.places[
        study.places["district"] == district]
    if places.empty:
        return _("この地区には登録された居場所がありません")
    own = shown if district is None else shown[shown["district"] == district]
    if own.empty:
        return _("この地区の居場所は位置が未確認のため、下の一覧だけに載せています")
    return None


def japanese_date(day: dt.date) -> str:
    """
    ``2026年（令和8年）5月1日``; the era is left out before Reiwa.

    Examples
    --------
    >>> japanese_date(dt.date(2019, 5, 1))
    '2019年（令和元年）5月1日'
    """
    if day < dt.date(2019, 5, 1):
        return _("{year}年{month}月{day}日").format(year=day.year, month=day.month, day=day.day)
    reiwa = day.year - 2018
    return _("{year}年（令和{reiwa}年）{month}月{day}日").format(
        year=day.year, reiwa=_("元") if reiwa == 1 else reiwa, month=day.month, day=day.day)


def _table_rows(shown: pd.DataFrame, unlocated: pd.DataFrame,
                district: str | None) -> list[TableRow]:
    def text(value) -> str:
        return "" if value is None or pd.isna(value) else str(value).strip()

    rows = []
    for place in shown.to_dict(orient="records"):
        other = district is not None and text(place["district"]) not in ("", district)
        rows.append(TableRow(
            number=str(int(place["number"])), category=text(place["category"]),
            name=text(place["name"]),
            note=_("{district}地区").format(district=place["district"]) if other else "",
            schedule=text(place.get("schedule")), contact=text(place.get("contact")),
            approximate=place.get("position_quality") == "approx"))
    for place in unlocated.to_dict(orient="records"):
        notes = [_("位置未確認")]
        if district is None and text(place.get("district")):
            notes.append(_("{district}地区").format(district=place["district"]))
        rows.append(TableRow(
            number="—", category=text(place["category"]), name=text(place["name"]),
            note="・".join(notes), schedule=text(place.get("schedule")),
            contact=text(place.get("contact"))))
    return rows


def _draw_place_table(fig: Figure, layout: SheetLayout, shown: pd.DataFrame,
                      unlocated: pd.DataFrame, *, district: str | None, message: str | None,
                      font: JapaneseFont,
                      greyscale: bool) -> tuple[list[TableRow], pd.DataFrame] | None:
    """
    The longest place table that fits: every place shown; else the district's own places
    (the neighbours' markers then go unnumbered). None, drawing nothing, when neither fits.

    Returns the rows drawn and the places that got a number on the map.
    """
    choices = [(shown, message)]
    if district is not None:
        own = shown[shown["district"] == district]
        if len(own) < len(shown):
            note = _("番号のない印は、となりの地区の施設です")
            choices.append((own, f"{message}。{note}" if message else note))
    for places, text in choices:
        rows = _table_rows(places, unlocated, district)
        if draw_table(fig, layout, rows, heading=_("地図の番号と居場所・集会施設"),
                      font=font.regular, bold=font.bold, message=text, greyscale=greyscale,
                      footnote="※" + _("位置はおおよそ（付近のバス停の位置）")):
            return rows, places
    return None


def qr_matrix(url: str) -> np.ndarray:
    try:
        import qrcode
    except ImportError:  # pragma: no cover - qrcode is a dependency of the export extra
        msg = "QR codes need the qrcode package: pip install qrcode."
        raise ImportError(msg) from None
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
    code.add_data(url)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def draw_sheet(study: StudyArea, coverage: CoverageResult, options: SheetOptions | None = None,
               *, district: str | None = None, layers: PrintLayers | None = None,
               streets: Streets | None = None, rivers: gpd.GeoDataFrame | None = None,
               plan: Plan | None = None) -> Sheet:
    """
    Draw one sheet (see :func:`render_sheet` for the parameters) and return it unsaved.

    ``layers`` are the study's layers projected by
    :func:`webmap.prints.sheet_layers.prepare_layers` from ``study``, ``coverage``, ``plan``,
    ``streets`` and ``rivers`` (projected here when not given; a batch of sheets projects
    them once).
    """
    options = options or SheetOptions()
    _check_district(study, district)
    config = study.config
    layers = layers or prepare_layers(study, coverage, plan=plan, streets=streets,
                                      rivers=rivers)
    font = find_japanese_font(for_pdf=options.fmt == "pdf")
    attribution = list(config.attribution)
    qr = options.qr_url is not None
    layout = sheet_layout(options.paper, options.orientation, footer_lines=len(attribution),
                          qr=qr, table=options.with_table)
    with sheet_figure(layout, options, font) as fig:
        view = map_view(layers, district, width_mm=layout.map.w, height_mm=layout.map.h)
        shown, unlocated = sheet_places(layers, view)
        message = _empty_message(study, shown, district)
        rows: list[TableRow] = []
        numbered = shown.iloc[0:0]
        notes = [layers.method_note]
        if options.grid and layers.grid_cells is not None:
            notes.append(_("徒歩分数は250 mの区画の中心から最寄りの居場所まで（{how}）").format(
                how=layers.grid_method))
        if layers.basis_words:
            notes.append(_("人口は{basis}").format(basis=layers.basis_words))
        if options.bus_reach:
            notes += list(layers.bus_notes)
        if config.districts_approximate:
            notes.append(_("地区界は概略区域です（公式の区域ではありません）"))
        drawn = (_draw_place_table(fig, layout, shown, unlocated, district=district,
                                   message=message, font=font, greyscale=options.greyscale)
                 if options.with_table else None)
        if drawn is not None:
            rows, numbered = drawn
        else:
            if options.with_table:  # the list is too long for this sheet: give its room to the map
                layout = sheet_layout(options.paper, options.orientation,
                                      footer_lines=len(attribution), qr=qr, table=False)
                view = map_view(layers, district, width_mm=layout.map.w,
                                height_mm=layout.map.h)
                shown, unlocated = sheet_places(layers, view)
                notes.insert(0, _("施設の一覧は地区ごとの地図をご覧ください") if district is None
                             else _("施設が多いため一覧は省きました（ウェブの地図をご覧ください）"))
            if len(unlocated):
                notes.insert(0, _("位置未確認の居場所 {count}件（地図には載っていません）").format(
                    count=len(unlocated)))
        shown = shown.assign(number=shown["number"].where(shown.index.isin(numbered.index)))
        ax = fig.add_axes(layout.map.in_figure(layout.width_mm, layout.height_mm), gid="map")
        legend = draw_map(ax, layers, view, shown, width_mm=layout.map.w,
                          greyscale=options.greyscale, numbered=not numbered.empty,
                          font=font.regular, bold=font.bold, scale=layout.scale,
                          grid=options.grid, bus_reach=options.bus_reach)
        if message:
            ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
                    fontsize=15 * layout.scale, zorder=30, gid="empty-message",
                    bbox={"boxstyle": "round,pad=0.6", "facecolor": "#FFFFFF",
                          "edgecolor": "#000000", "linewidth": 1.0}, **font.bold)
        labels = draw_legend(fig, layout, legend, notes=notes, font=font.regular,
                             bold=font.bold, greyscale=options.greyscale)
        title = (config.title if district is None
                 else _("{district}地区").format(district=district) + "｜" + config.title)
        pace = _("歩く速さ 分速{speed:g} m（高齢者の目安）").format(
            speed=config.walking.speed_m_per_min)
        if layers.basis_words:
            pace += "・" + _("人口は{basis}").format(basis=layers.basis_words)
        lines = [created_line(options, view, layout), pace]
        draw_header(fig, layout, title=title, lines=lines, font=font.regular, bold=font.bold,
                    qr_matrix=qr_matrix(options.qr_url) if options.qr_url else None)
        draw_footer(fig, layout, attribution, font=font.regular)
    logger.info("Drew the %s %s sheet of %s: %d places, %d legend rows", options.paper,
                options.orientation, district or config.name, len(shown), len(labels))
    return Sheet(figure=fig, layout=layout, view=view, map_axes=ax, title=title,
                 legend_labels=labels, places=shown, table_rows=rows, font=font,
                 dpi=options.dpi)


def created_line(options: SheetOptions, view: MapView, layout: SheetLayout) -> str:
    """The first line under a sheet's title: the date it was made, the scale and the paper."""
    denominator = scale_denominator(view.width_m, layout.map.w)
    return (_("{date}作成").format(date=japanese_date(options.date)) + "　"
            + _("縮尺 約1:{denominator:,}（{paper}で印刷したとき）").format(
                denominator=denominator, paper=options.paper))


def scale_denominator(width_m: float, width_mm: float) -> int:
    """The map's scale 1:n, n rounded to two significant figures (1:24,000)."""
    n = width_m / width_mm * 1000
    digits = len(str(int(n))) - 2
    return int(round(n, -digits)) if digits > 0 else round(n)


def save_sheet(sheet: Sheet, fmt: str) -> bytes:
    """The sheet encoded as ``fmt`` (PNG at the sheet's dpi, PDF or SVG)."""
    buffer = io.BytesIO()
    metadata = ({"Title": sheet.title, "Creator": "ibasho"} if fmt in ("pdf", "svg")
                else {"Title": sheet.title, "Software": "ibasho"})
    with sheet_settings(sheet.font):
        sheet.figure.savefig(buffer, format=fmt, dpi=sheet.dpi, metadata=metadata,
                             facecolor="#FFFFFF")
    return buffer.getvalue()


def render_sheet(study: StudyArea, coverage: CoverageResult,
                 options: SheetOptions | None = None, *, district: str | None = None,
                 layers: PrintLayers | None = None, streets: Streets | None = None,
                 rivers: gpd.GeoDataFrame | None = None, plan: Plan | None = None) -> bytes:
    """
    One printable sheet of the city or of a district, as the bytes of a PNG, PDF or SVG file.

    Parameters
    ----------
    study, coverage
        The study area and its analysis (:func:`layers.study.analyse_study_area`).
    options
        How it is printed: paper, orientation, dpi, format, greys, table, QR code, date
        (:class:`webmap.prints.options.SheetOptions`; its defaults when None).
    district
        A district name, or None for the whole study area.
    layers
        The layers already projected for sheets (:func:`webmap.prints.sheet_layers.prepare_layers`);
        projected from the next three when None.
    streets, rivers
        Optional background layers (a :class:`geo.streets.network.StreetNetwork` or street lines;
        river lines or water polygons).
    plan
        The study's plan (:func:`layers.analysis.plan_study_area`): with a street network the
        sheet shows the network isochrone and gaps, as the web map does.

    Raises
    ------
    ValueError
        For an unknown district (the message lists them).
    RuntimeError
        If no Japanese font is installed.
    """
    options = options or SheetOptions()
    sheet = draw_sheet(study, coverage, options, district=district, layers=layers,
                       streets=streets, rivers=rivers, plan=plan)
    return save_sheet(sheet, options.fmt)


def export_sheet(study: StudyArea, coverage: CoverageResult, *, out: Path | str,
                 options: SheetOptions | None = None, district: str | None = None,
                 streets: Streets | None = None, rivers: gpd.GeoDataFrame | None = None,
                 plan: Plan | None = None) -> Path:
    """
    Write one sheet (see :func:`render_sheet`) to ``out``, all at once or not at all.

    The file is written beside ``out`` under a temporary name and then renamed, so a failed
    export never leaves a half-written file.

    Raises
    ------
    ValueError
        For an unknown district (see :func:`render_sheet`), or when ``out`` ends in another
        format's suffix (``minowa.pdf`` with ``fmt="png"``).
    ExportError
        When ``out`` cannot be written (its folder is missing or read-only, or it is a folder).
    """
    out = Path(out)
    options = options or SheetOptions()
    if out.suffix and out.suffix.lower().lstrip(".") in FORMATS and \
            out.suffix.lower() != f".{options.fmt}":
        msg = f"{out.name} ends in {out.suffix} but the format is {options.fmt!r}; make them match."
        raise ValueError(msg)
    _check_writable(out)
    data = render_sheet(study, coverage, options, district=district, streets=streets,
                        rivers=rivers, plan=plan)
    _write_sheet(data, out)
    logger.info("Wrote %s (%.0f kB)", out, len(data) / 1024)
    return out


def _check_writable(out: Path) -> None:
    """Fail before drawing when ``out`` obviously cannot be written."""
    if out.is_dir():
        msg = (f"cannot write the sheet to {out}: it is a folder. Give a file name, "
               f"e.g. {out / 'map.png'}.")
        raise ExportError(msg)
    if not out.parent.is_dir():
        msg = (f"cannot write the sheet to {out}: the folder {out.parent} does not exist. "
               "Create it first or choose another folder.")
        raise ExportError(msg)
    if not os.access(out.parent, os.W_OK | os.X_OK):
        msg = (f"cannot write the sheet to {out}: the folder {out.parent} is not writable. "
               "Choose a folder you can write to.")
        raise ExportError(msg)


def _write_sheet(data: bytes, out: Path) -> None:
    """Write ``data`` to ``out`` all at once (:func:`layers.files.atomic.write_atomic`)."""
    try:
        write_atomic(out, data)
    except OSError as exc:
        msg = (f"cannot write the sheet to {out}: {exc.strerror or exc}. Choose a folder you "
               "can write to.")
        raise ExportError(msg) from exc


def sheet_filename(district: str, *, index: int, fmt: str) -> str:
    """``03_箕郷.png``: numbered in the study's order, characters unsafe in file names replaced."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", district).strip("._") or "district"
    return f"{index:02d}_{safe}.{fmt}"


_WORKER: dict = {}


def _init_worker(study: StudyArea, coverage: CoverageResult, layers: PrintLayers,
                 options: SheetOptions, qr_url_template: str | None) -> None:
    _WORKER.update(study=study, coverage=coverage, layers=layers, options=options,
                   qr_url_template=qr_url_template)


def _render_district(name: str, out: Path) -> Path:
    options = dataclasses.replace(
        _WORKER["options"], qr_url=_district_url(_WORKER["qr_url_template"], name))
    sheet = draw_sheet(_WORKER["study"], _WORKER["coverage"], options, district=name,
                       layers=_WORKER["layers"])
    _write_sheet(save_sheet(sheet, options.fmt), out)
    sheet.figure.clear()
    return out


def _district_url(template: str | None, name: str) -> str | None:
    from webmap.maps.popups import district_url

    return district_url(template, name)


def export_all_districts(study: StudyArea, coverage: CoverageResult, *, out_dir: Path | str,
                         options: SheetOptions | None = None,
                         qr_url_template: str | None = None, streets: Streets | None = None,
                         rivers: gpd.GeoDataFrame | None = None, plan: Plan | None = None,
                         workers: int = 1,
                         progress: Callable[[str, int, int], None] | None = None) -> list[Path]:
    """
    One sheet per district in ``out_dir`` (created if missing), named by :func:`sheet_filename`.

    Parameters
    ----------
    options
        How every sheet is printed (:class:`webmap.prints.options.SheetOptions`); its
        ``qr_url`` is replaced by each district's from ``qr_url_template``, and ``today`` is
        the same day on every sheet.
    qr_url_template
        The web page of a district with ``{name}`` for its (URL-quoted) name, e.g.
        ``https://example.org/districts/{name}``; each sheet gets its own QR code.
    workers
        Processes drawing sheets at once (2 on a 2-core machine halves the time).
    progress
        Called as ``progress(district, done, total)`` after each sheet.

    Other parameters are those of :func:`render_sheet`.

    Returns
    -------
    list of Path
        The files written, in the study's district order.

    Raises
    ------
    ValueError, ExportError
        As :func:`export_sheet`; nothing is drawn before the folder is checked.
    """
    options = options or SheetOptions()
    options = dataclasses.replace(options, today=options.date)  # one day on every sheet
    if workers < 1:
        msg = f"`workers` must be ≥ 1, got {workers!r}."
        raise ValueError(msg)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create the folder {out_dir}: {exc.strerror}. Choose another folder."
        raise ExportError(msg) from exc
    _check_writable(out_dir / "sheet")
    find_japanese_font(for_pdf=options.fmt == "pdf")  # fail early, before any process starts
    layers = prepare_layers(study, coverage, plan=plan, streets=streets, rivers=rivers)
    names = study.district_names
    jobs = {name: out_dir / sheet_filename(name, index=i, fmt=options.fmt)
            for i, name in enumerate(names, start=1)}
    render_jobs(jobs, _render_district, initializer=_init_worker,
                initargs=(study, coverage, layers, options, qr_url_template),
                reset=_WORKER.clear, workers=workers, progress=progress)
    logger.info("Wrote %d district sheets to %s", len(jobs), out_dir)
    return list(jobs.values())
