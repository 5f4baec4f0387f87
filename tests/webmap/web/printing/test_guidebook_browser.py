"""In Chromium: the district page lists an area resource and downloads its guidebook; /print
offers the guidebook. Screenshots go to ``$IBASHO_SCREENSHOTS`` (see browser_support).

The resource added here is made up (its name ends in （架空）).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from admin_helpers import unique
from browser_support import DESKTOP, WatchedPage, screenshot_folder, serve
from test_guidebook_page import add_area_resource


@pytest.fixture(scope="module")
def admin_server(admin_app):
    yield from serve(admin_app)


def test_district_page_lists_the_resource_and_downloads_the_guidebook(
        admin_server, editor, browser, tmp_path):
    name = unique("箕郷みまもり隊（架空）")
    add_area_resource(editor, name)
    watched = WatchedPage(browser, DESKTOP)
    page = watched.page
    try:
        page.goto(f"{admin_server}/districts/{quote('箕郷')}")
        section = page.locator("section[aria-labelledby=resources-heading]")
        assert name in section.inner_text()
        guidebook = page.locator("section[aria-labelledby=guidebook-heading]")
        guidebook.scroll_into_view_if_needed()
        folder = screenshot_folder(tmp_path)
        page.screenshot(path=str(folder / "district-guidebook.png"), full_page=False)
        with page.expect_download() as download:
            guidebook.get_by_role("link", name="同じ内容のExcel（xlsx）").click()
        assert download.value.suggested_filename == "箕郷_ガイドブック.xlsx"
        page.goto(f"{admin_server}/print")
        form = page.locator("section.guidebook-form")
        form.scroll_into_view_if_needed()
        page.screenshot(path=str(folder / "print-guidebook.png"), full_page=True)
        with page.expect_download() as download:
            form.get_by_role("button", name="ガイドブックを作ってダウンロード").click()
        assert download.value.suggested_filename.endswith("_ガイドブック.pdf")
        assert watched.errors == []
    finally:
        watched.close()
