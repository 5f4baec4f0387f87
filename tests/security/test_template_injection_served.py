"""A real ``ibasho serve`` on a database whose places hold template, markup and script syntax:
the server starts, every page, the API, the print sheet and the built site show the text as
written, and edits keep working."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from html import unescape

import pypdf
import pytest
import requests
from served import ROOT, served_app

from layers.store.site import open_site_database

#: What staff or an imported file put in the fields of one place (shown fields of the popup).
EVIL = {
    "name": "{{ cycler.__init__.__globals__.os.getpid() }}",
    "address": "{{ 7*7 }}",
    "schedule": "{% for x in range(3) %}x{% endfor %}",
    "contact": "{{",
    "notes": "{# not closed <script>alert(1)</script>",
    "source": "{% raw %}{{ 7*7 }}",
}
#: A second place whose name alone used to stop the server from starting.
BARE = "{{ 未完"


@pytest.fixture(scope="module")
def evil_database(takasaki, tmp_path_factory):
    """A GeoPackage seeded from the Takasaki config, with two places holding ``EVIL``/``BARE``."""
    location = str(tmp_path_factory.mktemp("evil") / "ibasho-data.gpkg")
    site = open_site_database(takasaki, location)
    places = site.places.places()
    located = places[places.geometry.notna()]
    first = located.iloc[0]
    site.places.update_place(first["place_id"], EVIL, expected_version=int(first["version"]),
                             user="test")
    second = located.iloc[1]
    site.places.update_place(second["place_id"], {"name": BARE},
                             expected_version=int(second["version"]), user="test")
    site.users.create_user("henshu", "correct horse 1", role="editor")
    return location, first, second


@pytest.fixture(scope="module")
def server(evil_database, tmp_path_factory):
    location, _, _ = evil_database
    log = tmp_path_factory.mktemp("log") / "serve.log"
    with served_app(location, log_path=log) as url:
        yield url


def _text(html: str) -> str:
    """What a reader sees of an HTML/JSON body: tags dropped, entities and JSON escapes undone."""
    html = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)
    html = html.replace('\\"', '"')
    return unescape(re.sub(r"<[^>]*>", " ", html))


def test_server_starts_and_the_api_gives_every_field_as_written(server, evil_database):
    _, first, second = evil_database
    features = requests.get(f"{server}/api/places", timeout=30).json()["features"]
    by_id = {f["properties"]["place_id"]: f["properties"] for f in features}
    for field, value in EVIL.items():
        assert by_id[first["place_id"]][field] == value
    assert by_id[second["place_id"]]["name"] == BARE


@pytest.mark.parametrize("path", ["/", "/districts/{district}"])
def test_map_pages_show_the_text_literally(server, evil_database, path):
    _, first, _ = evil_database
    page = requests.get(server + path.format(district=first["district"]), timeout=60)
    assert page.status_code == 200
    shown = _text(page.text)
    for value in EVIL.values():
        assert value in shown
    assert BARE in shown


def test_resident_page_shows_the_text_literally(server, evil_database):
    _, first, _ = evil_database
    lon, lat = first.geometry.x, first.geometry.y
    page = requests.get(f"{server}/near", params={"lat": lat, "lon": lon}, timeout=30)
    assert page.status_code == 200
    assert EVIL["name"] in _text(page.text)
    near = requests.get(f"{server}/api/near", params={"lat": lat, "lon": lon}, timeout=30)
    assert EVIL["name"] in [p["name"] for p in near.json()["places"]]


def test_print_sheet_shows_the_text_literally(server, evil_database):
    _, first, _ = evil_database
    sheet = requests.get(f"{server}/print/sheet", timeout=120,
                         params={"district": first["district"], "format": "pdf"})
    assert sheet.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(sheet.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert EVIL["name"] in text


def test_edits_keep_working_on_that_database(server):
    browser = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      browser.get(f"{server}/admin/login", timeout=30).text).group(1)
    login = browser.post(f"{server}/admin/login", timeout=30, data={
        "name": "henshu", "password": "correct horse 1", "csrf_token": token})
    assert login.status_code == 200 and "/admin/login" not in login.url
    form = browser.get(f"{server}/admin/places/new", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    added = browser.post(f"{server}/admin/places/new", timeout=60, data={
        "csrf_token": token, "name": "{{ 6*7 }} の家", "category": "サロン", "district": "",
        "address": "高崎市高松町", "schedule": "{% if %}", "contact": "", "notes": "{{",
        "position_source": "exact: 地図で確認", "source": "テスト",
        "lon": "139.0035", "lat": "36.3219"})
    assert added.status_code == 200, added.text[:500]
    names = [f["properties"]["name"] for f in
             requests.get(f"{server}/api/places", timeout=30).json()["features"]]
    assert "{{ 6*7 }} の家" in names
    assert "{{ 6*7 }} の家" in _text(requests.get(f"{server}/", timeout=60).text)


def test_built_site_shows_the_text_literally(evil_database, tmp_path):
    location, _, _ = evil_database
    out = tmp_path / "site"
    subprocess.run([sys.executable, "-c", "from webmap.cli.main import main; main()", "build",
                    "data/takasaki/ibasho.toml", "--out", str(out)], cwd=ROOT, check=True,
                   env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                        "IBASHO_DATABASE": location}, capture_output=True, timeout=600)
    shown = _text((out / "index.html").read_text(encoding="utf-8"))
    for value in EVIL.values():
        assert value in shown
