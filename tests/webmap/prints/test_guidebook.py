"""The district guidebook: what it says, its PDF (A4 and the A5 booklet) and its workbook.

The resources added to Takasaki's places are made up for the tests (names end in （架空）;
see tests/layers/test_resources.py).
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from made_up_resources import with_resources
from openpyxl import load_workbook
from pypdf import PdfReader

from layers.guide import district_guide
from webmap.prints.fonts import find_japanese_font
from webmap.prints.guidebook import guidebook_figures, guidebook_pdf, missing_glyphs
from webmap.prints.guidebook_workbook import WORKBOOK_COLUMNS, guidebook_workbook
from webmap.prints.options import sheet_settings
from webmap.prints.sheet_layers import prepare_layers

#: A Saturday; the made-up walking group meets on the 2nd and 4th Thursday.
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def study(takasaki):
    return with_resources(takasaki)


@pytest.fixture(scope="module")
def guide(study):
    return district_guide(study, "箕郷", today=TODAY)


def test_every_resource_is_in_the_guide_with_when_where_and_how(guide, study):
    names = [entry.name for entry in guide.entries]
    own = study.places[study.places["district"] == "箕郷"]
    assert set(own["name"]) | set(study.resources["name"]) == set(names)
    assert [entry.number for entry in guide.entries] == list(range(1, len(names) + 1))
    by_name = {entry.name: entry for entry in guide.entries}
    walking = by_name["みさと ふれあいウォーキングの会（架空）"]
    assert walking.next_dates[0].startswith("12月10日（木）")  # 2nd Thursday of December
    shop = by_name["移動販売 とくし便 箕郷支所前（架空）"]
    assert shop.next_dates[0].startswith("12月1日（火）") and shop.stops
    area = by_name["箕郷みまもり隊（架空）"]
    assert area.kind == "area" and area.serves == ("全域",) and area.walks == ()
    # the index: every 町丁 lists the whole-district resource; 生原 lists its own group too
    towns = dict(guide.towns)
    assert all(area.number in numbers for numbers in towns.values())
    assert by_name["生原ささえあいの会（架空）"].number in towns["箕郷町生原"]
    assert by_name["生原ささえあいの会（架空）"].number not in towns["白岩町"]


def test_the_pdf_has_every_name_whole_on_one_line_and_the_sources(guide, study, coverage):
    layers = prepare_layers(study, coverage)
    pdf = guidebook_pdf(guide, layers=layers, near_url="https://ibasho.example.jp/near")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    assert round(float(reader.pages[0].mediabox.width)) == 595  # A4 portrait
    lines = [line for page in reader.pages for line in page.extract_text().splitlines()]
    text = "\n".join(lines)
    assert_names_whole(guide, lines)
    assert "町名さくいん" in text and guide.attribution[0] in text.replace("\n", "")


def assert_names_whole(guide, lines):
    """Every name, phone number, bus stop and 町名 of the guide is whole on one line."""
    for entry in guide.entries:
        whole = [entry.name, entry.contact, *(f"{stop}（徒歩{minutes}分）"
                                              for stop, minutes in entry.stops),
                 *(f"{town}から{minutes}分" for town, minutes in entry.walks)]
        for text in filter(None, whole):
            assert any(text in line for line in lines), text


def test_the_booklet_imposes_a5_pages_two_to_an_a4_landscape_side(guide):
    a4 = PdfReader(io.BytesIO(guidebook_pdf(guide)))
    booklet = PdfReader(io.BytesIO(guidebook_pdf(guide, booklet=True)))
    sides = booklet.pages
    assert len(sides) % 2 == 0
    assert [round(float(sides[0].mediabox.width)), round(float(sides[0].mediabox.height))] == \
        [842, 595]  # A4 landscape: two A5 pages
    # the outer side of the first sheet: the last page (blank or the sources) and the cover
    assert "箕郷地区" in sides[0].extract_text()
    assert len(sides) * 2 >= len(a4.pages)
    # A5 lines are shorter: still no name broken
    assert_names_whole(guide, [line for side in sides for line in
                               side.extract_text().splitlines()])


def test_the_cover_has_a_qr_code_to_near_that_reads_back(guide, study, coverage):
    zxingcpp = pytest.importorskip("zxingcpp")
    font = find_japanese_font(for_pdf=True)
    with sheet_settings(font):
        cover = next(guidebook_figures(guide, layers=prepare_layers(study, coverage),
                                       near_url="https://ibasho.example.jp/near"))
        buffer = io.BytesIO()
        cover.savefig(buffer, format="png", dpi=150)
    from PIL import Image

    image = np.asarray(Image.open(buffer).convert("L"))
    assert [code.text for code in zxingcpp.read_barcodes(image)] == \
        ["https://ibasho.example.jp/near"]


def test_the_font_has_every_glyph_of_every_district_guide(study):
    for district in study.district_names:
        assert missing_glyphs(district_guide(study, district, today=TODAY)) == set(), district


def test_the_workbook_says_the_same_and_data_never_becomes_a_formula(guide):
    book = load_workbook(io.BytesIO(guidebook_workbook(guide)))
    assert book.sheetnames == ["資源一覧", "町名さくいん", "出典"]
    sheet = book["資源一覧"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == WORKBOOK_COLUMNS
    assert [row[2] for row in rows[1:]] == [entry.name for entry in guide.entries]
    notes = {row[2]: row[-1] for row in rows[1:]}
    assert notes["移動販売 とくし便 箕郷支所前（架空）"] == "'=HYPERLINK(\"http://x\")"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert len(list(book["町名さくいん"].iter_rows())) == len(guide.towns) + 1


def test_an_unknown_district_names_the_valid_ones(study):
    with pytest.raises(KeyError, match="箕郷"):
        district_guide(study, "どこか", today=TODAY)
