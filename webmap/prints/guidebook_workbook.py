"""The district guidebook as an Excel workbook (xlsx), for staff who keep their lists in Excel.

Three sheets with the content of the PDF (:mod:`webmap.prints.guidebook`): 「資源一覧」 (one row
per resource, the same words as the book), 「町名さくいん」 and 「出典」. Data never becomes a
formula: every cell is written as text, and a text starting with ``=``, ``+``, ``-`` or ``@``
gets the leading ``'`` of the CSV exports (:func:`layers.files.place_files.spreadsheet_cell`),
so a list pasted elsewhere stays safe too.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from layers.files.place_files import spreadsheet_cell
from layers.guide import DistrictGuide
from webmap.i18n import gettext as _
from webmap.prints.guidebook import entry_lines
from webmap.prints.sheet import japanese_date

logger = logging.getLogger(__name__)
__all__ = ["WORKBOOK_COLUMNS", "guidebook_workbook"]

#: The columns of 「資源一覧」, in order.
WORKBOOK_COLUMNS: tuple[str, ...] = ("番号", "種別", "名前", "形", "次の日程", "いつ", "どこ",
                                     "連絡先", "歩いて", "バス停", "コース", "備考")

_KINDS = {"point": "地点", "line": "コース（線）", "area": "地域（地点なし）"}
_WIDTHS = {"番号": 6, "種別": 14, "名前": 28, "形": 14, "次の日程": 36, "いつ": 30, "どこ": 36,
           "連絡先": 22, "歩いて": 40, "バス停": 40, "コース": 20, "備考": 30}


def _write_row(sheet: Worksheet, row: int, values: Sequence[object], *,
               header: bool = False) -> None:
    """One row, every value as text that no spreadsheet reads as a formula."""
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, int) and not isinstance(value, bool):
            cell.value = value
        else:
            cell.value = spreadsheet_cell("" if value is None else str(value))
            cell.data_type = TYPE_STRING  # never a formula, whatever the text
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if header:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DCE6F0")


def guidebook_workbook(guide: DistrictGuide) -> bytes:
    """The guidebook of one district as xlsx bytes (see the module's description)."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("資源一覧")
    _write_row(sheet, 1, WORKBOOK_COLUMNS, header=True)
    row = 2
    for entry in guide.entries:
        said = dict(entry_lines(entry))
        _write_row(sheet, row, [
            entry.number, entry.category, entry.name, _KINDS.get(entry.kind, entry.kind),
            said.get(_("次の日程"), ""), said.get(_("いつ"), ""), said.get(_("どこ"), ""),
            said.get(_("連絡先"), ""), said.get(_("歩いて"), ""), said.get(_("バス停"), ""),
            said.get(_("コース"), ""), said.get(_("備考"), "")])
        row += 1
    for index, name in enumerate(WORKBOOK_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = \
            _WIDTHS[name]
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions

    towns = book.create_sheet(_("町名さくいん"))
    _write_row(towns, 1, [_("町名"), _("資源の番号")], header=True)
    for i, (town, numbers) in enumerate(guide.towns, start=2):
        _write_row(towns, i, [town, "、".join(str(n) for n in numbers)])
    towns.column_dimensions["A"].width = 24
    towns.column_dimensions["B"].width = 40

    sources = book.create_sheet(_("出典"))
    lines = [_("{district}地区 支え合いガイドブック").format(district=guide.district),
             _("{date}現在の登録内容から作成").format(date=japanese_date(guide.today)),
             _("歩く時間は{note}です。").format(note=guide.walking_note), *guide.attribution]
    for i, line in enumerate(lines, start=1):
        _write_row(sources, i, [line])
    sources.column_dimensions["A"].width = 100
    book.properties.title = lines[0]
    book.properties.creator = "ibasho"
    out = io.BytesIO()
    book.save(out)
    logger.info("Wrote the guidebook workbook of %s: %d resources", guide.district,
                len(guide.entries))
    return out.getvalue()
