"""The 「印刷用の地図」 page: a form, a preview, downloads, and clear errors."""

from __future__ import annotations

import io

import pytest
from PIL import Image


def test_form_lists_every_district(client) -> None:
    response = client.get("/print")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "印刷用の地図" in html
    sheet_form, guidebook_form = html.split('class="guidebook-form"', 1)
    assert sheet_form.count('<option value="') == 27  # the city and 26 districts
    assert guidebook_form.count('<option value="') == 26  # a guidebook is a district's
    assert "A3" in html and "白黒印刷向け" in html


def test_preview_is_a_150_dpi_png_of_the_district(client) -> None:
    response = client.get("/print?district=箕郷&paper=A4&orientation=portrait")
    html = response.get_data(as_text=True)
    assert "/print/sheet?" in html and "inline=1" in html
    sheet = client.get("/print/sheet?district=箕郷&format=png&dpi=150&inline=1")
    assert sheet.status_code == 200 and sheet.mimetype == "image/png"
    assert sheet.headers["Content-Disposition"].startswith("inline")
    assert Image.open(io.BytesIO(sheet.data)).size == (1240, 1754)  # A4 at 150 dpi


def test_download_pdf_with_table_off(client) -> None:
    response = client.get("/print/sheet?district=倉淵&format=pdf&paper=A3"
                          "&orientation=landscape&table=0&qr=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "UTF-8''" in disposition


@pytest.mark.parametrize(
    ("query", "status", "needle"),
    [
        ("district=どこか", 404, "箕郷"),
        ("dpi=600", 400, "150, 300"),
        ("paper=B5", 400, "A4, A3"),
        ("format=jpeg", 400, "png, pdf, svg"),
    ],
)
def test_bad_options_are_explained(client, query: str, status: int, needle: str) -> None:
    response = client.get(f"/print/sheet?{query}")
    assert response.status_code == status
    assert needle in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
