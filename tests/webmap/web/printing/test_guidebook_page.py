"""The guidebook on the web: a resource added on the staff form (an area with no point) is on
the district page, in ``/api/resources`` (not in ``/api/places``) and in the guidebook that
``/print/guidebook`` sends; bad requests get clear errors.

The resources added here are made up (names end in （架空）).
"""

from __future__ import annotations

import io
from urllib.parse import quote

from admin_helpers import place_fields, place_id_of, post_form, unique
from openpyxl import load_workbook
from pypdf import PdfReader


def add_area_resource(editor, name: str) -> str:
    fields = place_fields(name, category="見守り活動", district="箕郷", serves="地区全域",
                          lon="", lat="", position_source="", address="",
                          contact="027-371-0000")
    return place_id_of(post_form(editor, "/admin/places/new", fields))


def test_an_area_resource_is_listed_served_and_printed(admin_app, editor):
    name = unique("箕郷みまもり隊（架空）")
    add_area_resource(editor, name)
    client = admin_app.test_client()
    page = client.get(f"/districts/{quote('箕郷')}").get_data(as_text=True)
    assert name in page and "対象：地区全域" in page and "地点なし（地域で活動）" in page
    assert "/print/guidebook?district=" in page  # the guidebook's links
    resources = client.get("/api/resources").get_json()
    feature = next(f for f in resources["features"] if f["properties"]["name"] == name)
    assert feature["geometry"] is None and feature["properties"]["serves"] == "地区全域"
    assert name not in client.get("/api/places").get_data(as_text=True)

    response = client.get("/print/guidebook", query_string={"district": "箕郷",
                                                            "format": "xlsx"})
    assert response.status_code == 200 and "attachment" in response.headers[
        "Content-Disposition"]
    rows = load_workbook(io.BytesIO(response.data))["資源一覧"].iter_rows(values_only=True)
    assert any(row[2] == name and "対象：地区全域" in row[6] for row in rows)

    response = client.get("/print/guidebook", query_string={"district": "箕郷"})
    assert response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert name in text
    booklet = client.get("/print/guidebook", query_string={"district": "箕郷",
                                                           "format": "booklet"})
    side = PdfReader(io.BytesIO(booklet.data)).pages[0]
    assert float(side.mediabox.width) > float(side.mediabox.height)


def test_the_print_page_offers_the_guidebook_and_bad_requests_say_why(admin_app):
    client = admin_app.test_client()
    page = client.get("/print").get_data(as_text=True)
    assert "地区の支え合いガイドブック" in page and 'value="booklet"' in page
    assert client.get("/print/guidebook", query_string={"district": "どこか"}).status_code \
        == 404
    assert client.get("/print/guidebook").status_code == 400
    response = client.get("/print/guidebook", query_string={"district": "箕郷",
                                                            "format": "docx"})
    assert response.status_code == 400 and "xlsx" in response.get_data(as_text=True)
