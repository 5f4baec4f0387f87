"""The QR code of a printed sheet points at the configured public address, never at the Host a
request names, and the sheet cache is keyed by the checked options only.

The QR codes are read back from the rendered PNGs with zxing-cpp, as a phone would.
"""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
import zxingcpp
from PIL import Image
from served import served_app

from webmap.web.printing.views import check_public_url, sheet_cache_info

PUBLIC = "https://ibasho.example.jp/takasaki"
SHEET = "/print/sheet?district=箕郷&format=png&dpi=150&qr=1&table=0"


def qr_texts(png: bytes) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.fixture(scope="module")
def public_app(tmp_path_factory):
    """The app with ``PUBLIC_URL`` set (with a trailing slash, as people write it)."""
    from webmap.web.app import create_app

    database = tmp_path_factory.mktemp("qr-db") / "ibasho-data.gpkg"
    return create_app({"TESTING": True, "DATABASE": str(database),
                       "PUBLIC_URL": f"{PUBLIC}/"})


def test_qr_points_at_the_public_address_whatever_the_host(public_app) -> None:
    client = public_app.test_client()
    with public_app.app_context():
        before = sheet_cache_info()
    first = client.get(SHEET, headers={"Host": "evil.example"})
    assert first.status_code == 200
    assert qr_texts(first.data) == [f"{PUBLIC}/districts/{quote('箕郷')}"]
    for host in ("attacker.test", "127.0.0.1:9", "ibasho.example.jp"):
        again = client.get(f"{SHEET}&junk={host}&inline=1", headers={"Host": host})
        assert again.status_code == 200 and again.data == first.data
    with public_app.app_context():
        after = sheet_cache_info()
    assert after["renders"] - before["renders"] == 1  # one render for every host
    assert after["hits"] - before["hits"] == 3


def test_city_sheet_points_at_the_city_map(public_app) -> None:
    response = public_app.test_client().get("/print/sheet?format=png&dpi=150&qr=1&table=0",
                                            headers={"Host": "evil.example"})
    assert qr_texts(response.data) == [f"{PUBLIC}/"]


def test_without_a_public_address_there_is_no_qr_and_the_form_says_why(client) -> None:
    page = client.get("/print").get_data(as_text=True)
    assert "IBASHO_PUBLIC_URL" in page
    assert 'name="qr" value="1" disabled' in page
    response = client.get(SHEET, headers={"Host": "evil.example"})
    assert response.status_code == 200 and qr_texts(response.data) == []


def test_with_a_public_address_the_form_offers_the_qr(public_app) -> None:
    page = public_app.test_client().get("/print").get_data(as_text=True)
    assert 'name="qr" value="1">' in page and "IBASHO_PUBLIC_URL" not in page


@pytest.mark.parametrize("value", ["javascript:alert(1)", "ftp://ibasho.example.jp",
                                   "https://", "https://user:pw@ibasho.example.jp",
                                   "https://ibasho.example.jp/?next=evil", "ibasho.example.jp",
                                   "https://ibasho.example.jp/a b"])
def test_a_bad_public_address_is_refused_with_a_fix(value: str) -> None:
    with pytest.raises(ValueError, match="IBASHO_PUBLIC_URL.*e.g. https://"):
        check_public_url(value)


def test_served_qr_ignores_the_host_header(tmp_path: Path) -> None:
    database = str(tmp_path / "ibasho-data.gpkg")
    with served_app(database, env={"IBASHO_PUBLIC_URL": PUBLIC}) as base:
        request = urllib.request.Request(f"{base}{quote(SHEET, safe='/?=&')}",
                                         headers={"Host": "evil.example"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            assert qr_texts(answer.read()) == [f"{PUBLIC}/districts/{quote('箕郷')}"]
