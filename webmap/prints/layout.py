"""The page furniture of a printed sheet: paper boxes, title, legend, place table, sources, QR.

A sheet is laid out in millimetres from the paper's lower-left corner (:class:`SheetLayout`);
the legend and the table are drawn in axes whose data units are millimetres with y going
down, so that rows stack like lines of text. Text is wrapped with the advance widths of the
Japanese font actually used, so long names and schedules never run out of their column.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path

from webmap.i18n import gettext as _
from webmap.prints.drawing import LegendEntry
from webmap.prints.symbols import (
    MARKER_SIZE_PT,
    AreaStyle,
    draw_area_swatch,
    draw_line_swatch,
    draw_place_markers,
    draw_stops,
    paint,
)

logger = logging.getLogger(__name__)
__all__ = [
    "ORIENTATIONS",
    "PAPER_SIZES_MM",
    "Box",
    "SheetLayout",
    "TableRow",
    "draw_footer",
    "draw_header",
    "draw_legend",
    "draw_table",
    "sheet_layout",
    "wrap_text",
]

#: Paper sizes (width, height) in millimetres, portrait (ISO 216).
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}

#: Orientations of a sheet.
ORIENTATIONS = ("portrait", "landscape")

_MM_PER_PT = 25.4 / 72
_LINE_SPACING = 1.35
_MIN_TABLE_PT = 6.5

#: Runs of ASCII letters, digits and signs (with single spaces inside: "500 m", "10:00-12:00",
#: "027-386-2270") stay whole; any other character is a token of its own.
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,:;~\-/+()%]*(?: [0-9A-Za-z.,:;~\-/+()%]+)*|.")
#: Characters that never begin a line (Japanese kinsoku).
_NO_LINE_START = "、。，．・）」』】〕：；？！ー～〜ぁぃぅぇぉっゃゅょァィゥェォッャュョ"


@dataclass(frozen=True)
class Box:
    """A rectangle on the paper: lower-left corner, width and height in millimetres."""

    x: float
    y: float
    w: float
    h: float

    def in_figure(self, width_mm: float, height_mm: float) -> list[float]:
        """``[left, bottom, width, height]`` as shares of the paper (``Figure.add_axes``)."""
        return [self.x / width_mm, self.y / height_mm, self.w / width_mm, self.h / height_mm]


@dataclass(frozen=True)
class SheetLayout:
    """Where everything goes on one sheet."""

    paper: str
    orientation: str
    width_mm: float
    height_mm: float
    #: Text and symbol size factor: 1 on A4, √2 on A3 (the sheet is √2 times as large).
    scale: float
    header: Box
    map: Box
    legend: Box
    table: Box | None
    footer: Box
    qr: Box | None


def sheet_layout(paper: str, orientation: str, *, footer_lines: int, qr: bool,
                 table: bool = True) -> SheetLayout:
    """
    Split a sheet into header, map, legend, table and footer.

    Portrait: the map across the page, legend and table side by side below it. Landscape:
    the map on the left, legend and table stacked on the right. Without a table the map and
    the legend share its room (``layout.table`` is then None).
    """
    short, long = PAPER_SIZES_MM[paper]
    width, height = (short, long) if orientation == "portrait" else (long, short)
    scale = short / PAPER_SIZES_MM["A4"][0]
    margin, gap = 10.0 * scale, 5.0 * scale
    footer_h = footer_lines * 7.0 * _LINE_SPACING * _MM_PER_PT * scale + 2.0 * scale
    header_h = 25.0 * scale
    inner_w = width - 2 * margin
    footer = Box(margin, margin, inner_w, footer_h)
    header = Box(margin, height - margin - header_h, inner_w, header_h)
    body_bottom = footer.y + footer_h + gap
    body_h = header.y - gap - body_bottom
    qr_box = None
    if qr:
        side = header_h - 1.0 * scale
        qr_box = Box(width - margin - side, header.y + 0.5 * scale, side, side)
    table_box = None
    if orientation == "portrait":
        map_h = body_h * (0.62 if table else 0.72)
        map_box = Box(margin, body_bottom + body_h - map_h, inner_w, map_h)
        below = map_box.y - gap - body_bottom
        legend_w = inner_w * 0.44 if table else inner_w
        legend = Box(margin, body_bottom, legend_w, below)
        if table:
            table_box = Box(margin + legend_w + gap, body_bottom, inner_w - legend_w - gap,
                            below)
    else:
        map_w = inner_w * (0.63 if table else 0.70)
        map_box = Box(margin, body_bottom, map_w, body_h)
        side_x, side_w = margin + map_w + gap, inner_w - map_w - gap
        legend_h = body_h * 0.42 if table else body_h
        legend = Box(side_x, body_bottom + body_h - legend_h, side_w, legend_h)
        if table:
            table_box = Box(side_x, body_bottom, side_w, body_h - legend_h - gap)
    return SheetLayout(paper, orientation, width, height, scale, header, map_box, legend,
                       table_box, footer, qr_box)


def panel_axes(fig: Figure, box: Box, layout: SheetLayout, *, gid: str) -> Axes:
    """An axes over ``box`` with millimetre units, y growing downwards, nothing drawn."""
    ax = fig.add_axes(box.in_figure(layout.width_mm, layout.height_mm), gid=gid)
    ax.set_xlim(0, box.w)
    ax.set_ylim(box.h, 0)
    ax.set_axis_off()
    return ax


@lru_cache(maxsize=8)
def _font_path(family: str, weight: str):
    return findfont(FontProperties(family=family, weight=weight))


#: Advance widths in em, per (font file, character).
_ADVANCES: dict[tuple[str, str], float] = {}


def text_width_mm(text: str, fontsize_pt: float, *, family: str, weight: str = "normal") -> float:
    """The width of ``text`` set in ``family`` at ``fontsize_pt``, from the font's advances."""
    path = _font_path(family, weight)
    key = str(path)
    font = None
    width_em = 0.0
    for char in text:
        advance = _ADVANCES.get((key, char))
        if advance is None:
            if font is None:
                font = get_font(path)
                font.set_size(100, 72)
            index = font.get_char_index(ord(char))
            advance = (font.load_glyph(index).linearHoriAdvance / 65536 / 100
                       if index else 1.0)
            _ADVANCES[key, char] = advance
        width_em += advance
    return width_em * fontsize_pt * _MM_PER_PT


def wrap_text(text: str, width_mm: float, fontsize_pt: float, *, family: str,
              weight: str = "normal") -> list[str]:
    """
    ``text`` broken into lines no wider than ``width_mm``.

    Japanese breaks between any two characters; runs of ASCII letters and digits (phone
    numbers, times, "500 m") are kept whole when they fit on a line of their own, and
    closing brackets and punctuation never start a line.

    Examples
    --------
    >>> wrap_text("あんしんセンター関越中央 027-386-2270", 30, 8.5,
    ...           family="Noto Sans CJK JP")  # doctest: +SKIP
    ['あんしんセンター関越', '中央 027-386-2270']
    """
    if not text:
        return []
    def width(part: str) -> float:
        return text_width_mm(part, fontsize_pt, family=family, weight=weight)

    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if width(token) > width_mm:  # a run longer than a line: split it at spaces, then anywhere
            pieces = re.findall(r"\S+ ?| ", token)
            tokens += [p for piece in pieces
                       for p in ([piece] if width(piece) <= width_mm else list(piece))]
        elif tokens and token[0] in _NO_LINE_START:
            tokens[-1] += token
        else:
            tokens.append(token)
    lines, current = [], ""
    for token in tokens:
        candidate = current + token
        if current and width(candidate.rstrip()) > width_mm:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current = candidate
    if current:
        lines.append(current.rstrip())
    return lines


def draw_header(fig: Figure, layout: SheetLayout, *, title: str, lines: Sequence[str],
                font: dict, bold: dict, qr_matrix: np.ndarray | None = None) -> None:
    """The title, the lines under it (date, scale, method) and the QR code, if any."""
    box = layout.header
    ax = panel_axes(fig, box, layout, gid="header")
    s = layout.scale
    text_w = box.w - (layout.qr.w + 3 * s if layout.qr else 0)
    title_pt = 20 * s
    while title_pt > 12 * s and text_width_mm(title, title_pt, family=font["fontfamily"][0],
                                              weight=bold.get("fontweight", "normal")) > text_w:
        title_pt -= 1
    ax.text(0, 1 * s, title, ha="left", va="top", fontsize=title_pt, gid="title", **bold)
    y = 1 * s + title_pt * _MM_PER_PT * 1.3
    for i, line in enumerate(lines):
        size = (10 if i == 0 else 8) * s
        for part in wrap_text(line, text_w, size, family=font["fontfamily"][0])[:2]:
            ax.text(0, y, part, ha="left", va="top", fontsize=size, gid="subtitle",
                    color="#000000" if i == 0 else "#333333", **font)
            y += size * _MM_PER_PT * _LINE_SPACING
    ax.plot([0, box.w], [box.h, box.h], color="#000000", linewidth=1.2 * s)
    if qr_matrix is not None and layout.qr is not None:
        _draw_qr(fig, layout, qr_matrix, font=font)


def _draw_qr(fig: Figure, layout: SheetLayout, matrix: np.ndarray, *, font: dict) -> None:
    """The QR code as vector squares (sharp at any size), with its caption to the left."""
    box = layout.qr
    ax = fig.add_axes(box.in_figure(layout.width_mm, layout.height_mm), gid="qr")
    size = matrix.shape[0]
    ax.set_xlim(0, size)
    ax.set_ylim(size, 0)
    ax.set_axis_off()
    vertices, codes = [], []
    for row, col in zip(*np.nonzero(matrix), strict=True):
        vertices += [(col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1), (col, row)]
        codes += [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    ax.add_patch(PathPatch(Path(vertices, codes), facecolor="#000000", edgecolor="none"))
    ax.text(-0.5, size - 4, _("ウェブの地図"), ha="right", va="bottom",
            fontsize=7.5 * layout.scale, **font)


def _row_height(fontsize_pt: float, lines: int) -> float:
    return max(lines, 1) * fontsize_pt * _MM_PER_PT * _LINE_SPACING


def draw_legend(fig: Figure, layout: SheetLayout, entries: Sequence[LegendEntry], *,
                notes: Sequence[str], font: dict, bold: dict, greyscale: bool) -> list[str]:
    """
    The legend of exactly ``entries`` (what the map drew), by section, then the notes.

    Returns the labels drawn, in order. Rows flow into a second column when one is too short.
    """
    box = layout.legend
    ax = panel_axes(fig, box, layout, gid="legend")
    s = layout.scale
    family = font["fontfamily"][0]
    most_columns = max(1, min(3, int(box.w // (40 * s))))
    for fontsize in (9.0 * s, 8.0 * s, 7.0 * s, 6.0 * s):
        for columns in range(1, most_columns + 1):
            placed = _flow_legend(entries, notes, box, fontsize=fontsize, columns=columns,
                                  family=family, heading_pt=11 * s)
            if placed is not None:
                break
        if placed is not None:
            break
    if placed is None:  # still too long: let the last column run on below the box
        logger.warning("The legend (%d rows) does not fit in %.0f × %.0f mm", len(entries),
                       box.w, box.h)
        fontsize = 6.0 * s
        placed = _flow_legend(entries, notes, box, fontsize=fontsize, columns=most_columns,
                              family=family, heading_pt=11 * s, force=True)
    ax.text(0, 0, _("凡例"), ha="left", va="top", fontsize=11 * s, **bold)
    labels = []
    for item in placed:
        kind, x, y, _width, payload, lines = item
        if kind == "section":
            ax.text(x, y, payload, ha="left", va="top", fontsize=fontsize,
                    color=paint("#37474F", greyscale=greyscale), **bold)
        elif kind == "note":
            for i, line in enumerate(lines):
                ax.text(x, y + i * _row_height(fontsize * 0.85, 1), line, ha="left", va="top",
                        fontsize=fontsize * 0.85, color="#333333", **font)
        else:
            _draw_legend_symbol(ax, payload, x, y, fontsize=fontsize, font=bold,
                                greyscale=greyscale)
            for i, line in enumerate(lines):
                ax.text(x + fontsize * _MM_PER_PT * 2.1, y + i * _row_height(fontsize, 1), line,
                        ha="left", va="top", fontsize=fontsize, gid="legend-label", **font)
            labels.append(payload.label)
    return labels


def _flow_legend(entries: Sequence[LegendEntry], notes: Sequence[str], box: Box, *,
                 fontsize: float, columns: int, family: str, heading_pt: float,
                 force: bool = False):
    """Positions of legend items in ``columns`` columns, or None when they do not fit."""
    top = heading_pt * _MM_PER_PT * 1.6
    column_w = (box.w - (columns - 1) * 3) / columns
    symbol_w = fontsize * _MM_PER_PT * 2.1
    items, section = [], None
    for entry in entries:
        if entry.section != section:
            section = entry.section
            items.append(("section", _row_height(fontsize, 1) + 0.8, section, [section]))
        lines = wrap_text(entry.label, column_w - symbol_w, fontsize, family=family)
        items.append(("entry", _row_height(fontsize, len(lines)) + 0.9, entry, lines))
    for note in notes:
        lines = wrap_text(note, column_w, fontsize * 0.85, family=family)
        items.append(("note", _row_height(fontsize * 0.85, len(lines)) + 0.6, note, lines))
    placed, column, y = [], 0, top
    for i, (kind, height, payload, lines) in enumerate(items):
        needed = height + (items[i + 1][1] if kind == "section" and i + 1 < len(items) else 0)
        if y + needed > box.h and y > top and (column + 1 < columns or not force):
            column += 1  # a section heading stays with its first row
            y = top
            if column >= columns:
                return None
        x = column * (column_w + 3)
        placed.append((kind, x, y, column_w, payload, lines))
        y += height
    return placed


def _draw_legend_symbol(ax: Axes, entry: LegendEntry, x: float, y: float, *, fontsize: float,
                        font: dict, greyscale: bool) -> None:
    size = fontsize * _MM_PER_PT * 1.55
    top = y + (fontsize * _MM_PER_PT * _LINE_SPACING - size) / 2
    if entry.kind == "place":
        marker_pt = min(MARKER_SIZE_PT * 0.8, fontsize * 1.9)
        if entry.category:
            draw_place_markers(ax, np.array([x + size / 2]), np.array([top + size / 2]),
                               entry.category, size_pt=marker_pt, greyscale=greyscale,
                               zorder=5, font=font)
        else:  # approximate position: the dashed outline alone
            draw_place_markers(ax, np.array([x + size / 2]), np.array([top + size / 2]),
                               "", size_pt=marker_pt, approximate=True, glyph=False,
                               greyscale=True, zorder=5)
    elif entry.kind == "stop":
        draw_stops(ax, np.array([x + size / 2]), np.array([top + size / 2]),
                   size_pt=fontsize * 0.75, greyscale=greyscale, zorder=5)
    elif entry.kind == "line" and entry.line is not None:
        draw_line_swatch(ax, x, top + size, size, -size, entry.line)
    elif entry.area is not None:
        area: AreaStyle = entry.area
        draw_area_swatch(ax, x + 0.2, top + 0.2, size - 0.4, size - 0.4, area)


@dataclass(frozen=True)
class TableRow:
    """One row of the place table."""

    number: str  # "—" for a place that is not on the map
    category: str
    name: str
    #: A small line under the name: another district, 位置未確認 (may be empty).
    note: str
    schedule: str
    contact: str
    approximate: bool = False


def draw_table(fig: Figure, layout: SheetLayout, rows: Sequence[TableRow], *, heading: str,
               font: dict, bold: dict, message: str | None = None,
               footnote: str | None = None, greyscale: bool = False) -> bool:
    """
    The table of places shown: number and marker, name, schedule and contact.

    Shrinks the text down to 6.5 pt to fit; returns False, drawing nothing, when even that
    is too long. ``message`` is printed under the heading (e.g. "no places here"),
    ``footnote`` under the table when a row is marked ※ (an approximate position).
    """
    box = layout.table
    s = layout.scale
    family = font["fontfamily"][0]
    weight = bold.get("fontweight", "normal")
    heading_top = 11 * s * _MM_PER_PT * 1.6
    message_lines = wrap_text(message, box.w, 9.5 * s, family=family) if message else []
    top = heading_top + (_row_height(9.5 * s, len(message_lines)) + 2 if message_lines else 0)
    shares = (0.115, 0.335, 0.30, 0.25)
    widths = [box.w * share for share in shares]
    lefts = np.cumsum([0, *widths[:-1]])
    marked = any(row.approximate for row in rows)
    fontsize = 8.5 * s
    while rows:
        laid_out = []
        for row in rows:
            name = row.name + ("※" if row.approximate else "")
            cells = [[row.number],
                     wrap_text(name, widths[1] - 1.2, fontsize, family=family, weight=weight),
                     wrap_text(row.schedule, widths[2] - 1.2, fontsize, family=family),
                     wrap_text(row.contact, widths[3] - 1.2, fontsize, family=family)]
            note = wrap_text(row.note, widths[1] - 1.2, fontsize * 0.82, family=family)
            height = max(_row_height(fontsize, len(cells[1]))
                         + (_row_height(fontsize * 0.82, len(note)) if note else 0),
                         _row_height(fontsize, max(len(cells[2]), len(cells[3]), 1))) + 1.2
            laid_out.append((row, cells, note, height))
        header_h = _row_height(fontsize, 1) + 1.2
        footnote_h = _row_height(fontsize * 0.85, 2) if marked and footnote else 0
        if top + header_h + sum(item[-1] for item in laid_out) + footnote_h <= box.h:
            break
        if fontsize <= _MIN_TABLE_PT * s:
            return False
        fontsize = max(fontsize - 0.5 * s, _MIN_TABLE_PT * s)
    ax = panel_axes(fig, box, layout, gid="table")
    ax.text(0, 0, heading, ha="left", va="top", fontsize=11 * s, **bold)
    for i, line in enumerate(message_lines):
        ax.text(0, heading_top + i * _row_height(9.5 * s, 1), line, ha="left", va="top",
                fontsize=9.5 * s, gid="table-message", **bold)
    if not rows:
        return True
    headers = (_("番号"), _("名称"), _("日時"), _("連絡先"))
    ax.add_patch(Rectangle((0, top), box.w, header_h, facecolor="#E0E0E0", edgecolor="none"))
    for left, text in zip(lefts, headers, strict=True):
        ax.text(left + 0.6, top + 0.6, text, ha="left", va="top", fontsize=fontsize, **bold)
    y = top + header_h
    line_h = _row_height(fontsize, 1)
    for i, (row, cells, note, height) in enumerate(laid_out):
        if i % 2 == 1:
            ax.add_patch(Rectangle((0, y), box.w, height, facecolor="#F4F4F4",
                                   edgecolor="none"))
        for column, (left, lines) in enumerate(zip(lefts, cells, strict=True)):
            style = bold if column < 2 else font
            for j, line in enumerate(lines):
                ax.text(left + 0.6, y + 0.6 + j * line_h, line, ha="left", va="top",
                        fontsize=fontsize, gid="table-cell", **style)
        icon_x = lefts[1] - 0.6 - fontsize * _MM_PER_PT * 0.75
        draw_place_markers(ax, np.array([icon_x]), np.array([y + 0.6 + line_h / 2]),
                           row.category, size_pt=fontsize * 1.45, greyscale=greyscale,
                           approximate=row.approximate, zorder=5, font=bold)
        below_name = y + 0.6 + line_h * len(cells[1])
        for j, line in enumerate(note):
            ax.text(lefts[1] + 0.6, below_name + j * _row_height(fontsize * 0.82, 1), line,
                    ha="left", va="top", fontsize=fontsize * 0.82, color="#424242",
                    gid="table-cell", **font)
        y += height
        ax.plot([0, box.w], [y, y], color="#BDBDBD", linewidth=0.4)
    if marked and footnote:
        for j, line in enumerate(wrap_text(footnote, box.w, fontsize * 0.85, family=family)):
            ax.text(0, y + 0.8 + j * _row_height(fontsize * 0.85, 1), line, ha="left",
                    va="top", fontsize=fontsize * 0.85, color="#333333", **font)
    return True


def draw_footer(fig: Figure, layout: SheetLayout, lines: Sequence[str], *, font: dict) -> None:
    """The sources (出典) of every layer drawn, one per line, small but complete."""
    box = layout.footer
    ax = panel_axes(fig, box, layout, gid="footer")
    s = layout.scale
    ax.plot([0, box.w], [0, 0], color="#9E9E9E", linewidth=0.5)
    size = 7.0 * s
    fitted = 7.0 * s
    family = font["fontfamily"][0]
    widest = max((text_width_mm(line, 1.0, family=family) for line in lines), default=0)
    if widest * fitted > box.w:
        fitted = max(5.5 * s, math.floor(box.w / widest * 10) / 10)
    for i, line in enumerate(lines):
        ax.text(0, 1.0 * s + i * size * _MM_PER_PT * _LINE_SPACING, line, ha="left", va="top",
                fontsize=fitted, color="#212121", gid="attribution", **font)
