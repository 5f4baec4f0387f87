"""Printed sheets: real renders at the stated sizes, Japanese glyphs, legend, scale, sources."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html import unescape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.text import Text
from PIL import Image

from geo.crs import STORAGE_CRS
from webmap.i18n import gettext
from webmap.maps.build import build_map
from webmap.maps.style import CATEGORY_STYLES, PRINT_HATCHES
from webmap.prints import sheet as export
from webmap.prints.drawing import scale_bar_length_m
from webmap.prints.fonts import JAPANESE_FONTS, _installed_fonts
from webmap.prints.layout import text_width_mm, wrap_text
from webmap.prints.sheet import (
    FORMATS,
    PAPER_SIZES_MM,
    SUPPORTED_DPI,
    ExportError,
    SheetOptions,
    draw_sheet,
    export_all_districts,
    export_sheet,
    find_japanese_font,
    render_sheet,
    save_sheet,
    sheet_filename,
)

#: Labels of the maps and sheets, from the app's catalogue (webmap/i18n.py).
BUFFER = gettext("徒歩圏（直線{radius_m:g} m・徒歩約{minutes}分）")
GAP = gettext("空白地域（{radius_m:g} m圏外）")

TODAY = dt.date(2026, 5, 1)
#: A district with places that have schedules and contacts, and neighbours around it.
DISTRICT = "群馬さくら"
#: Sheets the tests draw to look at: 150 dpi, dated TODAY.
SMALL = SheetOptions(dpi=150, today=TODAY)


@pytest.fixture(scope="module")
def sheet(takasaki, coverage):
    """The A4 portrait sheet of DISTRICT at 300 dpi, drawn (not yet saved)."""
    return draw_sheet(takasaki, coverage, SheetOptions(today=TODAY), district=DISTRICT)


@pytest.fixture(scope="module")
def district_png(sheet):
    return save_sheet(sheet, "png")


@pytest.fixture(scope="module")
def district_pdf(takasaki, coverage):
    return render_sheet(takasaki, coverage, SheetOptions(fmt="pdf", today=TODAY), district=DISTRICT)


@pytest.fixture(scope="module")
def empty_district(takasaki):
    """A district without any registered place (Takasaki's centre has none in the data)."""
    counts = takasaki.places["district"].value_counts()
    empty = [name for name in takasaki.district_names if counts.get(name, 0) == 0]
    if not empty:
        pytest.skip("every district has a place")
    return empty[0]


def _texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text)]


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


# --- sizes and formats ---------------------------------------------------------------------

def test_a4_300_dpi_png_is_2480_by_3508(district_png):
    image = Image.open(io.BytesIO(district_png))
    assert image.format == "PNG"
    assert image.size == (2480, 3508)


@pytest.mark.parametrize(("paper", "orientation"), [("A4", "landscape"), ("A3", "portrait"),
                                                    ("A3", "landscape")])
def test_png_sizes_at_150_dpi(takasaki, coverage, paper, orientation):
    data = render_sheet(takasaki, coverage, replace(SMALL, paper=paper, orientation=orientation),
                        district="箕郷")
    short, long = PAPER_SIZES_MM[paper]
    width, height = (short, long) if orientation == "portrait" else (long, short)
    expected = (round(width / 25.4 * 150), round(height / 25.4 * 150))
    assert Image.open(io.BytesIO(data)).size == expected


def test_pdf_is_vector_with_selectable_japanese_text(district_pdf, takasaki):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(district_pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width_pt, height_pt = float(page.mediabox.width), float(page.mediabox.height)
    assert (width_pt, height_pt) == pytest.approx((210 / 25.4 * 72, 297 / 25.4 * 72), abs=0.5)
    text = _pdf_text(district_pdf)
    assert "出典" in text
    assert "加工して作成" in text
    assert DISTRICT in text
    assert takasaki.config.title in text
    # No raster images at all, so certainly no full-page one: the map is vector.
    assert b"/Subtype /Image" not in district_pdf
    assert not page.images


def test_svg_is_vector(takasaki, coverage):
    data = render_sheet(takasaki, coverage, SheetOptions(fmt="svg", today=TODAY), district="箕郷")
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    assert root.get("width") == "595.275591pt"
    assert not [el for el in root.iter() if el.tag.endswith("image")]


# --- Japanese text -------------------------------------------------------------------------

def test_japanese_font_is_a_cjk_system_font():
    font = find_japanese_font()
    assert font.family in JAPANESE_FONTS
    assert Path(font.path).is_file()
    pdf_font = find_japanese_font(for_pdf=True)
    assert pdf_font.family in JAPANESE_FONTS
    if any(f.truetype for f in _installed_fonts()):
        assert pdf_font.truetype  # embeds cleanly in PDF


def test_every_character_on_the_sheet_has_a_glyph_unlike_notdef(sheet):
    ttlib = pytest.importorskip("fontTools.ttLib")
    from fontTools.pens.recordingPen import RecordingPen

    font = sheet.font
    path = findfont(FontProperties(family=font.family))
    characters = {c for text in _texts(sheet.figure) for c in text if not c.isspace()}
    assert {"出", "典", "居", "地", "区"} <= characters
    with ttlib.TTFont(str(path), fontNumber=getattr(path, "face_index", 0)) as tt:
        cmap = tt.getBestCmap()
        glyphs = tt.getGlyphSet()

        def outline(name: str) -> list:
            pen = RecordingPen()
            glyphs[name].draw(pen)
            return pen.value

        missing = sorted(c for c in characters if ord(c) not in cmap)
        assert not missing, f"characters without a glyph in {font.family}: {missing}"
        notdef = outline(".notdef")
        for char in "出典居場所群馬さくら地区":
            assert outline(cmap[ord(char)]) != notdef


def test_no_missing_glyph_warning(takasaki, coverage, recwarn):
    render_sheet(takasaki, coverage, SMALL, district="寺尾・城山")
    assert not [w for w in recwarn if "missing from" in str(w.message)]


def test_no_japanese_font_is_a_clear_error(monkeypatch):
    from webmap.prints import fonts as print_fonts

    find_japanese_font.cache_clear()
    monkeypatch.setattr(print_fonts, "_installed_fonts", lambda: [])
    monkeypatch.setattr(print_fonts.font_manager, "findSystemFonts", lambda: [])
    try:
        with pytest.raises(RuntimeError, match="apt-get install fonts-noto-cjk"):
            find_japanese_font()
    finally:
        find_japanese_font.cache_clear()


# --- what is on the sheet ------------------------------------------------------------------

def test_title_date_scale_and_north_arrow(sheet, takasaki):
    texts = _texts(sheet.figure)
    assert f"{DISTRICT}地区｜{takasaki.config.title}" in texts
    assert any("2026年（令和8年）5月1日作成" in t and "縮尺 約1:" in t for t in texts)
    assert gettext("北") in texts
    assert [p for p in sheet.map_axes.patches if p.get_gid() == "north-arrow"]


def test_attribution_lists_every_source(sheet, takasaki):
    lines = [t.get_text() for t in sheet.figure.findobj(lambda a: a.get_gid() == "attribution")]
    assert lines == list(takasaki.config.attribution)
    assert any("を加工して作成" in line for line in lines)


def test_legend_lists_exactly_the_layers_drawn(sheet, takasaki, coverage):
    view = sheet.view
    box = gpd.GeoSeries([shapely.box(*view.bounds)], crs=takasaki.config.metric_crs)
    box = box.to_crs(STORAGE_CRS).iloc[0]
    places = takasaki.places[takasaki.places.geometry.notna()]
    places_m = places.to_crs(takasaki.config.metric_crs)
    minx, miny, maxx, maxy = view.bounds
    inside = places_m.geometry.x.between(minx, maxx) & places_m.geometry.y.between(miny, maxy)
    counts = places[inside.to_numpy()]["category"].value_counts()
    expected = {f"{category}（{count}）" for category, count in counts.items()}
    if (places[inside.to_numpy()]["position_quality"] == "approx").any():
        expected.add(gettext("おおよその位置（点線の枠）"))
    expected.add(BUFFER.format(radius_m=500.0, minutes=11))
    expected.add(GAP.format(radius_m=800.0))
    expected.add(gettext("地区（概略区域）"))
    expected.add(gettext("{label}（色は路線ごと）").format(label=gettext("バス路線")))
    if takasaki.stops.intersects(box).any():
        expected.add(gettext("バス停（ぐるりん等）"))
    assert set(sheet.legend_labels) == expected
    assert len(sheet.legend_labels) == len(expected)
    # Layers the web map hides at first are not drawn, so not listed either.
    assert not any("人口" in label or "散歩" in label for label in sheet.legend_labels)


def test_legend_drops_a_layer_that_is_not_there(takasaki, coverage):
    study = copy.copy(takasaki)
    study.stops = None
    study.bus_routes = None
    sheet = draw_sheet(study, coverage, SMALL, district=DISTRICT)
    assert gettext("バス停（ぐるりん等）") not in sheet.legend_labels
    assert not any(gettext("バス路線") in label for label in sheet.legend_labels)


def _web_legend_labels(html: str) -> list[str]:
    """The labels of the web map's legend (passed to its script as a JSON string)."""
    start = html.index("IbashoMap.addLegend(")
    start = html.index('"', start)
    legend, _ = json.JSONDecoder().raw_decode(html[start:])
    return [unescape(label) for label in re.findall(r"<span>([^<]*)</span></li>", legend)]


def test_legend_words_and_colours_are_the_web_maps(sheet, takasaki, coverage):
    html = build_map(takasaki, coverage, district=DISTRICT).get_root().render()
    web = [re.sub(r"（\d+）$", "", label) for label in _web_legend_labels(html)]
    assert len(web) >= len(sheet.legend_labels)
    for label in sheet.legend_labels:
        name = re.sub(r"（\d+）$", "", label)  # counts differ: the web shows a wider area
        assert any(entry.startswith(name) for entry in web), name
    colours = {tuple(np.round(c[:3], 3)) for coll in sheet.map_axes.collections
               for c in coll.get_facecolor()}
    for category in sheet.places["category"].unique():
        rgb = tuple(round(int(CATEGORY_STYLES[category]["color"][i:i + 2], 16) / 255, 3)
                    for i in (1, 3, 5))
        assert rgb in colours, category


def test_scale_bar_is_true_to_the_map_scale(sheet):
    FigureCanvasAgg(sheet.figure).draw()
    ax = sheet.map_axes
    bar = next(p for p in ax.patches if p.get_gid() == "scale-bar")
    bar_px = bar.get_window_extent().width
    axes_px = ax.get_window_extent().width
    xmin, xmax = ax.get_xlim()
    metres_per_px = (xmax - xmin) / axes_px
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "scale-label"]
    value, unit = labels[-1].split()
    label_m = float(value) * (1000 if unit == "km" else 1)
    assert bar_px * metres_per_px == pytest.approx(label_m, rel=0.02)
    # The data extent is what the paper says: the map is drawn at a true scale.
    axes_mm = axes_px / sheet.dpi * 25.4
    assert axes_mm == pytest.approx(sheet.layout.map.w, rel=0.01)
    denominator = int(re.search(r"1:([\d,]+)", " ".join(_texts(sheet.figure)))[1]
                      .replace(",", ""))
    assert (xmax - xmin) / sheet.layout.map.w * 1000 == pytest.approx(denominator, rel=0.05)


@pytest.mark.parametrize(("width_m", "expected"), [(1000, 200), (4000, 500), (23000, 2000),
                                                   (60000, 10000)])
def test_scale_bar_lengths_are_round(width_m, expected):
    assert scale_bar_length_m(width_m) == expected


def test_table_lists_schedule_and_contact_with_map_numbers(sheet, takasaki):
    rows = {row.name: row for row in sheet.table_rows}
    own = takasaki.places[(takasaki.places["district"] == DISTRICT)]
    for place in own.itertuples():
        assert place.name in rows
        assert rows[place.name].schedule == (place.schedule or "")
        assert rows[place.name].contact == (place.contact or "")
    assert any(row.schedule and row.contact for row in sheet.table_rows)
    numbers = sorted(int(t.get_text()) for t in sheet.map_axes.texts
                     if t.get_gid() == "place-number")
    listed = sorted(int(row.number) for row in sheet.table_rows if row.number.isdigit())
    assert numbers == listed == list(range(1, len(listed) + 1))


def test_unlocated_places_are_listed_not_lost(takasaki, coverage):
    unlocated = takasaki.places[takasaki.places.geometry.isna()
                                & takasaki.places["district"].ne("")]
    district = unlocated["district"].iloc[0]
    sheet = draw_sheet(takasaki, coverage, SMALL, district=district)
    rows = [row for row in sheet.table_rows if row.number == "—"]
    assert {row.name for row in rows} == set(unlocated.loc[unlocated["district"] == district,
                                                           "name"])
    assert all(gettext("位置未確認") in row.note for row in rows)


def test_empty_district_still_makes_a_useful_sheet(takasaki, coverage, empty_district):
    sheet = draw_sheet(takasaki, coverage, SMALL, district=empty_district)
    messages = [t.get_text() for t in sheet.figure.findobj(
        lambda a: a.get_gid() == "empty-message")]
    assert messages == [gettext("この地区には登録された居場所がありません")]
    assert gettext("地区（概略区域）") in sheet.legend_labels
    pdf = render_sheet(takasaki, coverage, SheetOptions(fmt="pdf", today=TODAY),
                       district=empty_district)
    assert gettext("この地区には登録された居場所がありません") in _pdf_text(pdf).replace("\n", "")


def test_city_sheet_without_room_for_the_list_says_where_it_is(takasaki, coverage):
    sheet = draw_sheet(takasaki, coverage, SMALL)
    assert sheet.title == takasaki.config.title
    assert sheet.table_rows == []
    assert sheet.layout.table is None  # the map gets the room
    texts = " ".join(_texts(sheet.figure))
    assert gettext("施設の一覧は地区ごとの地図をご覧ください") in texts.replace(" ", "")
    assert not [t for t in sheet.map_axes.texts if t.get_gid() == "place-number"]


def test_greyscale_is_grey_and_hatched(takasaki, coverage):
    sheet = draw_sheet(takasaki, coverage, replace(SMALL, greyscale=True), district=DISTRICT)
    hatches = {p.get_hatch() for p in sheet.map_axes.patches}
    assert {PRINT_HATCHES["gap"], PRINT_HATCHES["buffer"]} <= hatches
    pixels = np.asarray(Image.open(io.BytesIO(save_sheet(sheet, "png"))).convert("RGB"),
                        dtype=int)
    spread = np.abs(pixels - pixels.mean(axis=2, keepdims=True)).max()
    assert spread <= 2  # R, G and B agree everywhere: nothing depends on colour


def test_qr_code_is_drawn_as_vector(takasaki, coverage):
    url = "https://example.org/districts/%E7%AE%95%E9%83%B7"
    sheet = draw_sheet(takasaki, coverage, replace(SMALL, qr_url=url), district="箕郷")
    qr_axes = [ax for ax in sheet.figure.axes if ax.get_gid() == "qr"]
    assert len(qr_axes) == 1
    modules = qr_axes[0].patches[0].get_path().vertices
    matrix = export.qr_matrix(url)
    assert len(modules) == 5 * int(matrix.sum())
    assert gettext("ウェブの地図") in _texts(sheet.figure)


def test_streets_and_rivers_join_the_background_when_given(takasaki, coverage):
    district = takasaki.districts[takasaki.districts["name"] == "箕郷"]
    centre = district.to_crs(takasaki.config.metric_crs).geometry.iloc[0].representative_point()
    crs = takasaki.config.metric_crs
    streets = gpd.GeoDataFrame(geometry=[shapely.LineString(
        [(centre.x - 500, centre.y), (centre.x + 500, centre.y)])], crs=crs)
    rivers = gpd.GeoDataFrame(geometry=[shapely.LineString(
        [(centre.x, centre.y - 800), (centre.x, centre.y + 800)])], crs=crs)
    sheet = draw_sheet(takasaki, coverage, SMALL, district="箕郷", streets=streets, rivers=rivers)
    assert {gettext("道路"), gettext("河川・水面")} <= set(sheet.legend_labels)


def test_a_street_network_draws_as_background_streets(takasaki, coverage):
    from geo.streets.network import StreetNetwork

    district = takasaki.districts[takasaki.districts["name"] == "箕郷"]
    crs = takasaki.config.metric_crs
    centre = district.to_crs(crs).geometry.iloc[0].representative_point()
    network = StreetNetwork(
        x=np.array([centre.x - 300, centre.x, centre.x + 300]),
        y=np.array([centre.y, centre.y + 200, centre.y]),
        u=np.array([0, 1], dtype=np.int64), v=np.array([1, 2], dtype=np.int64),
        length_m=np.array([360.0, 360.0]), kind=np.array(["residential", "footway"]), crs=crs)
    sheet = draw_sheet(takasaki, coverage, SMALL, district="箕郷", streets=network)
    assert gettext("道路") in sheet.legend_labels
    elsewhere = StreetNetwork(x=network.x, y=network.y, u=network.u, v=network.v,
                              length_m=network.length_m, kind=network.kind, crs="EPSG:6676")
    with pytest.raises(ValueError, match="EPSG:6676"):
        draw_sheet(takasaki, coverage, SheetOptions(dpi=150), district="箕郷", streets=elsewhere)


# --- writing files -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_export_sheet_writes_the_file(takasaki, coverage, tmp_path, fmt):
    out = export_sheet(takasaki, coverage, district="箕郷", out=tmp_path / f"m.{fmt}",
                       options=replace(SMALL, fmt=fmt))
    assert out == tmp_path / f"m.{fmt}"
    head = out.read_bytes()[:8]
    assert head.startswith({"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}[fmt])
    assert [p.name for p in tmp_path.iterdir()] == [f"m.{fmt}"]  # no temporary left


def test_a_failed_write_leaves_nothing_half_written(takasaki, coverage, tmp_path,
                                                    monkeypatch):
    out = tmp_path / "m.png"
    out.write_bytes(b"old")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.os, "replace", fail)
    with pytest.raises(ExportError, match="No space left"):
        export_sheet(takasaki, coverage, district="箕郷", out=out, options=SMALL)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"]


@pytest.mark.parametrize(("make_out", "message"), [
    (lambda tmp: tmp / "missing" / "m.png", "does not exist"),
    (lambda tmp: tmp, "it is a folder"),
    (lambda tmp: tmp / "file.txt" / "m.png", "does not exist"),
])
def test_unwritable_output_is_a_clear_error(takasaki, coverage, tmp_path, make_out, message):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ExportError, match=message):
        export_sheet(takasaki, coverage, district="箕郷", out=make_out(tmp_path),
                     options=SheetOptions(dpi=150))


def test_suffix_must_match_the_format(takasaki, coverage, tmp_path):
    with pytest.raises(ValueError, match=r"ends in \.pdf"):
        export_sheet(takasaki, coverage, out=tmp_path / "m.pdf", options=SheetOptions(fmt="png"))


# --- bad input -----------------------------------------------------------------------------

def test_unknown_district_lists_the_valid_ones(takasaki, coverage):
    with pytest.raises(ValueError, match="unknown district '東京'") as info:
        render_sheet(takasaki, coverage, district="東京")
    assert all(name in str(info.value) for name in takasaki.district_names)


@pytest.mark.parametrize(("options", "message"), [
    ({"paper": "B5"}, "paper 'B5' is not supported; choose one of: A4, A3"),
    ({"orientation": "upside"}, "choose portrait or landscape"),
    ({"dpi": 72}, "dpi 72 is not supported; choose one of: 150, 300"),
    ({"dpi": 299}, "choose one of: 150, 300"),
    ({"dpi": True}, "dpi True is not supported"),
    ({"fmt": "jpg"}, "choose one of: png, pdf, svg"),
])
def test_unsupported_options_say_what_is(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        SheetOptions(**options)


def test_supported_values_are_documented():
    assert SUPPORTED_DPI == (150, 300)
    assert set(PAPER_SIZES_MM) == {"A4", "A3"}
    doc = SheetOptions.__doc__
    assert "150 or 300" in doc and '``"A4"`` or ``"A3"``' in doc


# --- batch ---------------------------------------------------------------------------------

def test_export_all_districts_one_sheet_each(takasaki, coverage, tmp_path):
    seen = []
    paths = export_all_districts(takasaki, coverage, out_dir=tmp_path / "sheets",
                                 options=SMALL,
                                 qr_url_template="https://example.org/districts/{name}",
                                 workers=2,
                                 progress=lambda name, done, total: seen.append((name, total)))
    names = takasaki.district_names
    assert [p.name for p in paths] == [sheet_filename(n, index=i, fmt="png")
                                       for i, n in enumerate(names, start=1)]
    assert sorted(p.name for p in (tmp_path / "sheets").iterdir()) == sorted(
        p.name for p in paths)
    assert sorted(name for name, _ in seen) == sorted(names)
    assert {total for _, total in seen} == {len(names)}
    for path in paths:
        with Image.open(path) as image:
            assert image.size == (1240, 1754)


def test_sheet_filenames_are_safe():
    assert sheet_filename("北・東・西", index=3, fmt="pdf") == "03_北・東・西.pdf"
    assert sheet_filename("a/b c", index=12, fmt="png") == "12_a_b_c.png"


# --- text layout ---------------------------------------------------------------------------

def test_wrap_text_fits_and_keeps_numbers_whole():
    family = find_japanese_font().family
    text = "あんしんセンター関越中央 027-386-2270・毎月第1水曜日 10:00～12:00"
    lines = wrap_text(text, 30, 8.5, family=family)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(text_width_mm(line, 8.5, family=family) <= 30 for line in lines)
    assert any("027-386-2270" in line for line in lines)
    assert not any(line.startswith(("・", "）", "、")) for line in lines)


def test_network_sheet_shows_what_the_web_map_shows(tmp_path) -> None:
    """With streets loaded, the sheet draws the network isochrone and gaps, labelled as such."""
    from nagoya_city import MINUTES, write_nagoya_config

    from layers.analysis import plan_study_area
    from layers.study import analyse_study_area, load_study_area
    from webmap.prints.sheet import draw_sheet

    study = load_study_area(write_nagoya_config(tmp_path))
    plan = plan_study_area(study)
    sheet = draw_sheet(study, analyse_study_area(study), SheetOptions(paper="A4", dpi=150),
                       plan=plan)
    labels = sheet.legend_labels
    middle = sorted(MINUTES)[len(MINUTES) // 2]
    assert f"徒歩{middle}分圏（道のり）" in labels
    assert f"空白地域（道のりで{max(MINUTES)}分圏外）" in labels
    assert not any("直線" in label for label in labels)
