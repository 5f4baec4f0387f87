"""The A3 sheet of a prefecture batch, drawn from real Gunma municipalities."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from layers.batch import read_batch
from webmap.cli.batch import run_batch
from webmap.prints.options import SheetOptions
from webmap.prints.prefecture_sheet import render_prefecture_sheet, write_prefecture_sheets

ROOT = Path(__file__).resolve().parents[3]
GUNMA = ROOT.parent / "shared" / "data" / "gunma"
#: 上野村, 神流町, 川場村, 片品村
CODES = ("10366", "10367", "10444", "10443")
SOURCE = "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成"

pytestmark = pytest.mark.skipif(not GUNMA.is_dir(), reason="the shared Gunma data is absent")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gunma-sheet")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_gunma_configs.py"),
                    str(out / "configs"), "--data", str(GUNMA)], check=True,
                   capture_output=True)
    configs = [out / "configs" / code / "ibasho.toml" for code in CODES]
    # 片品村's name made awkward: it must be printed as written, never read as mathtext
    odd = configs[3].read_text(encoding="utf-8").replace('name = "片品村"',
                                                         'name = "片品村$x^2$"', 1)
    assert odd != configs[3].read_text(encoding="utf-8")
    configs[3].write_text(odd, encoding="utf-8")
    return run_batch(configs, out / "batch").geopackage


def _pdf_text(data: bytes) -> tuple[str, tuple[float, float]]:
    pypdf = pytest.importorskip("pypdf")
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    return page.extract_text(), (float(page.mediabox.width), float(page.mediabox.height))


def test_the_sheet_ranks_the_municipalities_and_says_its_sources(batch: Path) -> None:
    areas = read_batch(batch)["municipalities"]
    data = render_prefecture_sheet(areas, title="群馬県", attribution=[SOURCE, SOURCE],
                                   options=SheetOptions(paper="A3", orientation="landscape",
                                                        fmt="pdf"))
    text, (width_pt, height_pt) = _pdf_text(data)
    assert round(width_pt / 72 * 25.4) == 420 and round(height_pt / 72 * 25.4) == 297  # A3
    assert "群馬県｜公共施設から500 m圏外の人の割合" in text
    assert "4市町村" in text and "A3で印刷したとき" in text
    assert "北" in text and " km" in text  # north arrow and scale bar
    for label in ("0–20 %", "80–100 %", "データなし", "凡例", "公共施設（指定避難所）までの徒歩圏"):
        assert label in text
    assert text.count(SOURCE) == 1  # each 出典 once
    assert "片品村$x^2$" in text  # drawn as written
    ranked = areas.sort_values("public_uncovered_share_500m", ascending=False)
    ranking = text[text.index("市町村の順位"):].splitlines()
    lines = [line for line in ranking if line[:1].isdigit() and line.endswith("%")]
    assert len(lines) == 4
    for rank, (line, (name, share)) in enumerate(zip(lines, zip(
            ranked["municipality"], ranked["public_uncovered_share_500m"], strict=True),
            strict=True), start=1):
        assert line.startswith(f"{rank} {name} "), line
        assert line.endswith(f"{100 * share:.1f} %"), line


def test_the_batch_writes_png_and_pdf_at_a3(batch: Path, tmp_path: Path) -> None:
    from PIL import Image

    written = write_prefecture_sheets(batch, tmp_path, title="群馬県", attribution=[SOURCE])
    assert [p.name for p in written] == ["prefecture-A3.png", "prefecture-A3.pdf"]
    with Image.open(written[0]) as image:
        assert image.size == (4961, 3508)  # A3 landscape at 300 dpi
        colours = {colour for _count, colour in image.convert("RGB").getcolors(1 << 20)}
    # the classes of the four municipalities' shares are filled with their colours
    areas = read_batch(batch)["municipalities"]
    expected = {min(int(v * 5), 4) for v in areas["public_uncovered_share_500m"]}
    blues = [(0xEF, 0xF3, 0xFF), (0xBD, 0xD7, 0xE7), (0x6B, 0xAE, 0xD6), (0x31, 0x82, 0xBD),
             (0x08, 0x51, 0x9C)]
    assert {i for i, blue in enumerate(blues) if blue in colours} >= expected
    assert not list(tmp_path.glob(".*tmp*"))


def test_an_unknown_indicator_is_refused(batch: Path) -> None:
    with pytest.raises(ValueError, match="unknown indicator 'x'.*public_uncovered_share_500m"):
        render_prefecture_sheet(read_batch(batch)["municipalities"], title="群馬県",
                                indicator="x")
