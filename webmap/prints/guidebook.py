"""The district guidebook (支え合いガイドブック): a multi-page A4 PDF, or an A5 booklet.

The cover has the district's map with every resource numbered, the QR code to the resident
page ``/near`` and what the book holds; then every resource by category (what, when with the
next dates, where, whom to ask, how to get there: walking minutes from the 町丁 and the bus
stops nearby), the index of 町名 and the 出典. The content is :class:`layers.guide.DistrictGuide`;
the workbook with the same content is :mod:`webmap.prints.guidebook_workbook`.

Japanese is set in the sheets' system font (:mod:`webmap.prints.fonts`: IPAexGothic for PDFs,
TrueType, embedded so text stays selectable). A name is never broken across lines (it is set
smaller until it fits), nor is a phone number or a run of digits (:func:`layout.wrap_text`).
A resource is never split across pages.

The booklet (``booklet=True``) sets the pages at A5 and imposes them two to an A4 landscape
sheet in booklet order (pypdf), so that the sheets printed on both sides, folded and stapled
read in order.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from geo.crs import STORAGE_CRS
from layers.guide import DistrictGuide, GuideEntry
from webmap.i18n import gettext as _
from webmap.prints.drawing import draw_map
from webmap.prints.fonts import JapaneseFont, find_japanese_font
from webmap.prints.layout import text_width_mm, wrap_text
from webmap.prints.options import sheet_settings
from webmap.prints.sheet import japanese_date, qr_matrix
from webmap.prints.sheet_layers import PrintLayers, map_view

logger = logging.getLogger(__name__)
__all__ = ["PAGE_SIZES_MM", "entry_items", "entry_lines", "guidebook_figures", "guidebook_pdf",
           "impose_booklet", "missing_glyphs"]

#: Page sizes: A4 pages, or A5 pages for the booklet.
PAGE_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}

_PT_MM = 25.4 / 72
_SPACING = 1.4
#: Type sizes (points, A4) of the text and of the notes: large enough for older readers.
_BODY_PT = 10.0
_NOTE_PT = 8.5


@dataclass
class _Line:
    """One line of a page: text at (indent, size), bold or not, with optional label."""

    text: str
    size: float
    bold: bool = False
    indent_mm: float = 0.0
    label: str = ""
    color: str = "#000000"
    bar: bool = False  # a category heading: drawn on a grey bar

    @property
    def height_mm(self) -> float:
        return self.size * _PT_MM * _SPACING + (1.2 if self.bar else 0.0)


@dataclass
class _Block:
    """Lines kept on one page; ``keep_with_next`` for a heading."""

    lines: list[_Line] = field(default_factory=list)
    keep_with_next: bool = False
    gap_mm: float = 2.0

    @property
    def height_mm(self) -> float:
        return sum(line.height_mm for line in self.lines) + self.gap_mm


@dataclass(frozen=True)
class _Page:
    width_mm: float
    height_mm: float

    @property
    def scale(self) -> float:
        return self.width_mm / 210.0

    @property
    def text_scale(self) -> float:
        """Type sizes: A5 sets them only a little smaller, for older readers."""
        return 1.0 if self.width_mm >= 200 else 0.9

    @property
    def margin_mm(self) -> float:
        return 14.0 * self.scale

    @property
    def text_width_mm(self) -> float:
        return self.width_mm - 2 * self.margin_mm

    @property
    def body_height_mm(self) -> float:  # between the running head and the folio
        return self.height_mm - 2 * self.margin_mm - 8.0 * self.scale


def _family(font: JapaneseFont) -> str:
    return font.regular["fontfamily"][0]


def _fit_name(text: str, size: float, width_mm: float, font: JapaneseFont) -> float:
    """The size at which ``text`` fits on one line (never below 60 % of ``size``)."""
    floor = 0.6 * size
    while size > floor and text_width_mm(text, size, family=_family(font)) > width_mm:
        size -= 0.5
    return size


def entry_lines(entry: GuideEntry) -> list[tuple[str, str]]:
    """
    What an entry says, as (label, text) pairs: いつ, どこ, 連絡先, 行き方, バス, 備考.

    The PDF, the workbook and the pages say the same words.
    """
    return [(label, "、".join(items)) for label, items in entry_items(entry)]


def entry_items(entry: GuideEntry) -> list[tuple[str, list[str]]]:
    """
    :func:`entry_lines` before the items of a list (dates, 町名, bus stops) are joined with
    「、」: a line of the PDF breaks between items, never inside one (a name stays whole).
    """
    pairs: list[tuple[str, list[str]]] = []
    if entry.kind == "line":
        parts = []
        if entry.length_km:
            parts.append(_("全長 約{km:g} km").format(km=entry.length_km))
        if entry.course_minutes:
            parts.append(_("歩いて約{minutes}分").format(minutes=entry.course_minutes))
        pairs.append((_("コース"), ["・".join(parts) or _("ウォーキングコース")]))
    if entry.next_dates:
        pairs.append((_("次の日程"), list(entry.next_dates)))
    if entry.schedule:
        pairs.append((_("いつ"), [entry.schedule + (f"（{entry.schedule_note}）"
                                                    if entry.schedule_note else "")]))
    where = [entry.address] if entry.address else []
    if entry.serves:
        served = [_("地区全域")] if entry.serves == ("全域",) else list(entry.serves)
        where += [_("対象：{areas}").format(areas=served[0]), *served[1:]]
    elif entry.kind == "area" and not where:
        where = [_("場所は問い合わせてください")]
    if entry.position_quality == "approx":
        if where:
            where[-1] += _("（位置はおおよそ）")
        else:
            where = [_("位置はおおよそです（住所は未登録）")]
    if where:
        pairs.append((_("どこ"), where))
    if entry.contact:
        pairs.append((_("連絡先"), [entry.contact]))
    if entry.walks:
        pairs.append((_("歩いて"), [_("{town}から{minutes}分").format(town=town, minutes=minutes)
                                   for town, minutes in entry.walks]))
    if entry.stops:
        pairs.append((_("バス停"), [_("{stop}（徒歩{minutes}分）").format(stop=stop,
                                                                     minutes=minutes)
                                   for stop, minutes in entry.stops]))
    if entry.notes:
        pairs.append((_("備考"), [" ".join(entry.notes.split())]))  # one paragraph
    return pairs


def _wrapped_items(label: str, items: Sequence[str], size: float, page: _Page,
                   font: JapaneseFont, *, label_mm: float) -> list[_Line]:
    """
    ``items`` joined with 「、」 beside ``label``: lines break between items; an item wider
    than a line (a long free text) is wrapped by :func:`layout.wrap_text`.
    """
    indent = label_mm + 4.0 * page.scale
    width = page.text_width_mm - indent
    texts: list[str] = []
    current = ""
    for i, item in enumerate(items):
        piece = item + ("、" if i + 1 < len(items) else "")
        if text_width_mm(current + piece, size, family=_family(font)) <= width:
            current += piece
            continue
        if current:
            texts.append(current)
            current = ""
        if text_width_mm(piece, size, family=_family(font)) <= width:
            current = piece
        else:
            parts = wrap_text(piece, width, size, family=_family(font))
            texts += parts[:-1]
            current = parts[-1] if parts else ""
    if current or not texts:
        texts.append(current)
    return [_Line(text, size, indent_mm=indent, label=label if i == 0 else "")
            for i, text in enumerate(texts)]


def _entry_block(entry: GuideEntry, page: _Page, font: JapaneseFont) -> _Block:
    s = page.text_scale
    title = f"{entry.number}　{entry.name}"
    size = _fit_name(title, 12.5 * s, page.text_width_mm, font)
    block = _Block([_Line(title, size, bold=True)], gap_mm=2.8 * s)
    for label, items in entry_items(entry):
        block.lines += _wrapped_items(label, items, _BODY_PT * s, page, font,
                                      label_mm=17.0 * s)
    return block


def _blocks(guide: DistrictGuide, page: _Page, font: JapaneseFont) -> list[_Block]:
    s = page.text_scale
    blocks: list[_Block] = []
    for category, entries in guide.sections:
        blocks.append(_Block([_Line(f"{category}（{len(entries)}）", 14 * s, bold=True,
                                    bar=True)], keep_with_next=True, gap_mm=1.5 * s))
        blocks += [_entry_block(entry, page, font) for entry in entries]
    blocks.append(_Block([_Line(_("町名さくいん"), 14 * s, bold=True, bar=True)],
                         keep_with_next=True, gap_mm=1.5 * s))
    blocks.append(_Block([_Line(_("町名のあとの数字は、その町から歩いて行ける（または対象地域にその町を含む）"
                                  "資源の番号です。"), _NOTE_PT * s, color="#333333")], gap_mm=1.0))
    for town, numbers in guide.towns:
        lines = _wrapped_items(town, [str(n) for n in numbers] or ["—"], _BODY_PT * s, page,
                               font, label_mm=40.0 * s)
        blocks.append(_Block(lines, gap_mm=0.6 * s))
    blocks.append(_Block([_Line(_("出典・この冊子について"), 14 * s, bold=True, bar=True)],
                         keep_with_next=True, gap_mm=1.5 * s))
    notes = [_("{date}現在の登録内容から作成しました。日程は変わることがあります。"
               "お出かけ前に連絡先へご確認ください。").format(date=japanese_date(guide.today)),
             _("歩く時間は{note}です。").format(note=guide.walking_note),
             *guide.attribution]
    lines: list[_Line] = []
    for note in notes:
        for part in wrap_text(note, page.text_width_mm, _NOTE_PT * s, family=_family(font)):
            lines.append(_Line(part, _NOTE_PT * s, color="#333333"))
    blocks.append(_Block(lines))
    return blocks


def _paginate(blocks: Sequence[_Block], height_mm: float) -> list[list[_Block]]:
    """Blocks on pages: a block never split (unless taller than a page), headings kept on."""
    pages: list[list[_Block]] = [[]]
    used = 0.0
    for i, block in enumerate(blocks):
        need = block.height_mm
        if block.keep_with_next and i + 1 < len(blocks):
            need += blocks[i + 1].height_mm
        if pages[-1] and used + need > height_mm:
            pages.append([])
            used = 0.0
        pages[-1].append(block)
        used += block.height_mm
    return pages


def _draw_lines(fig: Figure, page: _Page, blocks: Sequence[_Block], font: JapaneseFont) -> None:
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, page.width_mm)
    ax.set_ylim(page.height_mm, 0)
    ax.set_axis_off()
    x0 = page.margin_mm
    y = page.margin_mm + 8.0 * page.scale
    for block in blocks:
        for line in block.lines:
            if line.bar:
                ax.add_patch(_bar(x0, y, page.text_width_mm, line.height_mm))
            style = font.bold if line.bold else font.regular
            if line.label:
                ax.text(x0 + (1.5 if line.bar else 0), y + 0.3, line.label, fontsize=line.size,
                        va="top", ha="left", color="#1F4E79", **font.bold)
            ax.text(x0 + line.indent_mm + (1.5 * page.scale if line.bar else 0),
                    y + (0.6 if line.bar else 0.3), line.text, fontsize=line.size, va="top",
                    ha="left", color=line.color, **style)
            y += line.height_mm
        y += block.gap_mm


def _bar(x: float, y: float, width: float, height: float) -> Rectangle:
    return Rectangle((x, y), width, height - 0.4, facecolor="#DCE6F0", edgecolor="none")


def _running_head(fig: Figure, page: _Page, guide: DistrictGuide, number: int, total: int,
                  font: JapaneseFont) -> None:
    s = page.scale
    fig.text(page.margin_mm / page.width_mm, 1 - page.margin_mm / page.height_mm,
             _("{district}地区 支え合いガイドブック").format(district=guide.district),
             fontsize=8 * s, va="top", ha="left", color="#555555", **font.regular)
    fig.text(0.5, page.margin_mm * 0.6 / page.height_mm, f"{number} / {total}",
             fontsize=8 * s, ha="center", va="center", color="#555555", **font.regular)


def _cover(fig: Figure, page: _Page, guide: DistrictGuide, font: JapaneseFont, *,
           layers: PrintLayers | None, near_url: str | None) -> None:
    s, m = page.scale, page.margin_mm
    w, h = page.width_mm, page.height_mm
    fig.text(m / w, 1 - m / h, _("{district}地区").format(district=guide.district),
             fontsize=26 * s, va="top", ha="left", **font.bold)
    fig.text(m / w, 1 - (m + 13 * s) / h, _("支え合いガイドブック（地域の社会資源一覧）"),
             fontsize=15 * s, va="top", ha="left", **font.bold)
    fig.text(m / w, 1 - (m + 22 * s) / h,
             _("{title}・{date}現在").format(title=guide.title, date=japanese_date(guide.today)),
             fontsize=9 * s, va="top", ha="left", color="#333333", **font.regular)
    map_top, map_h = m + 30 * s, h * 0.6
    if layers is not None:
        ax = fig.add_axes(((m / w), 1 - (map_top + map_h) / h, page.text_width_mm / w,
                           map_h / h), gid="cover-map")
        view = map_view(layers, guide.district, width_mm=page.text_width_mm, height_mm=map_h)
        draw_map(ax, layers, view, _map_places(guide, layers.metric_crs),
                 width_mm=page.text_width_mm,
                 font=font.regular, bold=font.bold, scale=s * 0.9)
    y = map_top + map_h + 6 * s
    counts = [f"{category} {len(entries)}" for category, entries in guide.sections]
    summary = _("載っている資源：") + ("、".join(counts) if counts else _("なし"))
    qr_mm = 30 * s if near_url else 0.0
    for part in wrap_text(summary, page.text_width_mm - qr_mm - 4 * s, 9.5 * s,
                          family=_family(font)):
        fig.text(m / w, 1 - y / h, part, fontsize=9.5 * s, va="top", ha="left", **font.regular)
        y += 9.5 * s * _PT_MM * _SPACING
    fig.text(m / w, 1 - (y + 2 * s) / h, _("地図の番号は本文の番号です。"),
             fontsize=8.5 * s, va="top", ha="left", color="#333333", **font.regular)
    if near_url:
        matrix = qr_matrix(near_url)
        left = w - m - qr_mm
        top = map_top + map_h + 5 * s
        ax = fig.add_axes((left / w, 1 - (top + qr_mm) / h, qr_mm / w, qr_mm / h), gid="qr")
        ax.imshow(~matrix, cmap="gray", interpolation="nearest", vmin=0, vmax=1)
        ax.set_axis_off()
        fig.text((left + qr_mm / 2) / w, 1 - (top + qr_mm + 1.5 * s) / h,
                 _("近くの居場所（スマートフォン）"), fontsize=7.5 * s, ha="center", va="top",
                 **font.regular)


def _map_places(guide: DistrictGuide, crs: str) -> pd.DataFrame:
    """The located entries as draw_map wants them: x, y (metric), category, number …"""
    located = [e for e in guide.entries if e.lon is not None and e.kind != "line"]
    if not located:
        return pd.DataFrame({"x": [], "y": [], "category": [], "position_quality": [],
                             "number": [], "district": [], "name": []})
    points = gpd.GeoSeries.from_xy([e.lon for e in located], [e.lat for e in located],
                                   crs=STORAGE_CRS).to_crs(crs)
    return pd.DataFrame({"x": points.x.to_numpy(), "y": points.y.to_numpy(),
                         "category": [e.category for e in located],
                         "position_quality": [e.position_quality for e in located],
                         "number": np.array([e.number for e in located]),
                         "district": guide.district, "name": [e.name for e in located]})


def guidebook_figures(guide: DistrictGuide, *, layers: PrintLayers | None = None,
                      paper: str = "A4", near_url: str | None = None,
                      font: JapaneseFont | None = None) -> Iterator[Figure]:
    """
    The guidebook's pages as matplotlib figures, cover first (drawn one at a time).

    Parameters
    ----------
    guide
        What the book says (:func:`layers.guide.district_guide`).
    layers
        The study's layers projected for printing (:func:`sheet_layers.prepare_layers`),
        for the cover map; None leaves the map out.
    paper
        ``"A4"`` or ``"A5"`` (:data:`PAGE_SIZES_MM`).
    near_url
        The resident page ``/near`` for the cover's QR code; None: no QR code.
    """
    if paper not in PAGE_SIZES_MM:
        msg = f"paper {paper!r} is not supported; choose one of: {', '.join(PAGE_SIZES_MM)}."
        raise ValueError(msg)
    font = font or find_japanese_font(for_pdf=True)
    page = _Page(*PAGE_SIZES_MM[paper])
    with sheet_settings(font):
        pages = _paginate(_blocks(guide, page, font), page.body_height_mm)
        total = len(pages) + 1
        size_in = (page.width_mm / 25.4, page.height_mm / 25.4)
        cover = Figure(figsize=size_in)
        _cover(cover, page, guide, font, layers=layers, near_url=near_url)
        yield cover
        for number, blocks in enumerate(pages, start=2):
            fig = Figure(figsize=size_in)
            _draw_lines(fig, page, blocks, font)
            _running_head(fig, page, guide, number, total, font)
            yield fig


def guidebook_pdf(guide: DistrictGuide, *, layers: PrintLayers | None = None,
                  booklet: bool = False, near_url: str | None = None) -> bytes:
    """
    The guidebook as PDF bytes: A4 pages, or (``booklet``) A5 pages imposed two to an A4
    landscape sheet (:func:`impose_booklet`).
    """
    font = find_japanese_font(for_pdf=True)
    buffer = io.BytesIO()
    with sheet_settings(font), PdfPages(buffer, metadata={
            "Title": _("{district}地区 支え合いガイドブック").format(district=guide.district),
            "Creator": "ibasho"}) as pdf:
        for fig in guidebook_figures(guide, layers=layers, paper="A5" if booklet else "A4",
                                     near_url=near_url, font=font):
            pdf.savefig(fig)
    data = buffer.getvalue()
    return impose_booklet(data) if booklet else data


def impose_booklet(pdf: bytes) -> bytes:
    """
    A5 pages imposed for a folded booklet: two to an A4 landscape side, in the order that
    reads straight when the sheets are printed on both sides (flip on the short edge),
    stacked and folded. Blank pages fill the count up to a multiple of four.
    """
    from pypdf import PageObject, PdfReader, PdfWriter, Transformation

    pages = list(PdfReader(io.BytesIO(pdf)).pages)
    if not pages:
        return pdf
    width = float(pages[0].mediabox.width)
    height = float(pages[0].mediabox.height)
    while len(pages) % 4:
        pages.append(PageObject.create_blank_page(width=width, height=height))
    count = len(pages)
    side_width = 297.0 / 25.4 * 72  # A4 landscape; two A5 pages leave 1 mm to each side
    margin = max(0.0, (side_width - 2 * width) / 2)
    writer = PdfWriter()
    for sheet in range(count // 4):
        sides = ((count - 1 - 2 * sheet, 2 * sheet), (2 * sheet + 1, count - 2 - 2 * sheet))
        for left, right in sides:
            side = PageObject.create_blank_page(width=max(side_width, 2 * width), height=height)
            side.merge_transformed_page(pages[left], Transformation().translate(tx=margin))
            side.merge_transformed_page(pages[right],
                                        Transformation().translate(tx=margin + width))
            writer.add_page(side)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def missing_glyphs(guide: DistrictGuide, font: JapaneseFont | None = None) -> set[str]:
    """The characters of the guidebook's text that its font has no glyph for (none, we hope)."""
    from fontTools.ttLib import TTFont

    font = font or find_japanese_font(for_pdf=True)
    with TTFont(font.path, fontNumber=0, lazy=True) as tt:
        cmap = tt.getBestCmap()
    texts = [guide.district, guide.title, guide.walking_note, *guide.attribution]
    for entry in guide.entries:
        texts += [entry.name, entry.category, *(text for _, text in entry_lines(entry))]
    texts += [town for town, _ in guide.towns]
    return {char for text in texts for char in text
            if not char.isspace() and ord(char) not in cmap}
