"""The prefecture overview and a municipality's page in Chromium: a metric scale bar, a legend,
the A3 sheet linked; real Gunma municipalities through ``ibasho batch``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import DESKTOP, WatchedPage
from click.testing import CliRunner

from webmap.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
GUNMA = ROOT.parent / "shared" / "data" / "gunma"
#: 上野村 (bus stops and shelters), 神流町 (no bus feed)
CODES = ("10366", "10367")

pytestmark = pytest.mark.skipif(not GUNMA.is_dir(), reason="the shared Gunma data is absent")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prefecture-pages")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_gunma_configs.py"),
                    str(out / "configs"), "--data", str(GUNMA)], check=True,
                   capture_output=True)
    configs = [str(out / "configs" / code / "ibasho.toml") for code in CODES]
    result = CliRunner().invoke(main, ["batch", *configs, "--sequential", "--out",
                                       str(out / "site")])
    assert result.exit_code == 0, result.output
    return out / "site"


def test_the_overview_links_its_a3_sheet(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "印刷用の地図（A3）" in index
    assert '<a href="prefecture-A3.png">PNG</a>' in index
    assert '<a href="prefecture-A3.pdf">PDF</a>' in index
    assert (site / "prefecture-A3.png").stat().st_size > 0
    assert (site / "prefecture-A3.pdf").read_bytes().startswith(b"%PDF")


def test_the_scale_bars_are_metric_and_the_area_page_has_a_legend(
        browser, site: Path, screenshots: Path) -> None:
    watched = WatchedPage(browser, DESKTOP)
    page = watched.page
    try:
        page.goto((site / "index.html").as_uri())
        overview = page.frame_locator("iframe")
        scale = overview.locator(".leaflet-control-scale-line")
        scale.first.wait_for()
        assert scale.count() == 1  # metres only: no second line in miles or feet
        assert scale.first.inner_text().endswith(("m", "km"))
        page.screenshot(path=str(screenshots / "prefecture-overview.png"), full_page=True)

        page.goto((site / "areas" / "10366.html").as_uri())
        page.locator(".leaflet-control-scale-line").first.wait_for()
        assert page.locator(".leaflet-control-scale-line").count() == 1
        legend = page.get_by_role("region", name="凡例")
        rows = legend.locator("li").all_inner_texts()
        assert rows == ["市町村界", "公共施設から500 m圏外",
                        "公共施設（指定避難所）", "バス停（平日の便数）"]
        page.screenshot(path=str(screenshots / "prefecture-area-10366.png"))

        page.goto((site / "areas" / "10367.html").as_uri())  # no bus feed: no bus row
        rows = page.get_by_role("region", name="凡例").locator("li").all_inner_texts()
        assert "バス停（平日の便数）" not in rows and "公共施設（指定避難所）" in rows
    finally:
        watched.close()
    assert watched.errors == []
