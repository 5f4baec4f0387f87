"""Fixtures for the resident page 「近くの居場所」: a live server, headless Chromium on a phone.

Imported by ``test_near*.py`` beside it (``from conftest_near import …``); kept out of
``tests/conftest.py`` so the other page tests are untouched. Offline: every request that does
not go to the test server (basemap tiles) is aborted. Screenshots go to
``$IBASHO_SCREENSHOTS`` (default: the test's ``tmp_path``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import nagoya_city
import pytest
from browser_support import PHONE

#: 80 m north of the 岩鼻長寿センター前 stop (Takasaki), 130 m north of 岩鼻長寿センター.
IWAHANA = {"latitude": 36.30685, "longitude": 139.05982}


@dataclass
class Phone:
    """A phone-sized page with its JavaScript errors and dialogs recorded."""

    context: Any
    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)


def open_phone(browser, base_url: str, *, geolocation: dict | None = IWAHANA,
               lang: str = "ja-JP", javascript: bool = True,
               block: Callable[[str], bool] | None = None) -> Phone:
    """
    A 390 × 844 touch context (Japan time), with location granted when ``geolocation`` is
    given; requests off ``base_url`` (tiles) and those ``block(url)`` picks are aborted.
    """
    options: dict[str, Any] = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True,
                               "has_touch": True, "locale": lang, "timezone_id": "Asia/Tokyo",
                               "java_script_enabled": javascript}
    if geolocation is not None:
        options.update(geolocation={**geolocation, "accuracy": 12},
                       permissions=["geolocation"])
    context = browser.new_context(**options)
    page = context.new_page()
    phone = Phone(context, page)
    host = urlparse(base_url).netloc

    def route(request_route) -> None:
        url = request_route.request.url
        if urlparse(url).netloc != host or (block is not None and block(url)):
            phone.aborted.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    page.route("**/*", route)

    def console(message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if url and urlparse(url).netloc != host:
            return  # aborted tiles
        if "net::ERR_FAILED" in message.text or "Failed to load resource" in message.text:
            return  # an aborted request, already listed in phone.aborted
        phone.errors.append(f"console: {message.text} ({url})")

    page.on("console", console)
    page.on("pageerror", lambda error: phone.errors.append(f"pageerror: {error}"))

    def dialog(opened) -> None:
        phone.dialogs.append(opened.message)
        opened.dismiss()

    page.on("dialog", dialog)
    return phone


@pytest.fixture
def phone(browser):
    """Factory of :class:`Phone` pages, closed after the test."""
    opened: list[Phone] = []

    def make(base_url: str, **options) -> Phone:
        opened.append(open_phone(browser, base_url, **options))
        return opened[-1]

    yield make
    for item in opened:
        item.context.close()


def wait_for_list(page, timeout_ms: int = 20_000) -> None:
    """Until the first place of the list is shown."""
    page.wait_for_selector("#near-list .place-card", state="visible", timeout=timeout_ms)


def wait_for_map(page, timeout_ms: int = 20_000) -> None:
    """Until Leaflet has drawn the routes."""
    # wait_for_selector, not wait_for_function: the site's CSP forbids eval
    page.wait_for_selector("#near-map .leaflet-overlay-pane path", state="attached",
                           timeout=timeout_ms)
    page.wait_for_timeout(400)


# ---- a study area with real streets (network mode): the streets, districts and study area
# of tests/nagoya_city.py, with places, stops and residents of its own ----------------------

#: A place name that tries to inject HTML: it must arrive as text everywhere.
EVIL_NAME = "<img src=x onerror=alert(7)>サロン"

#: name, category, lon, lat (None: unlocated), schedule, contact.
NAGOYA_PLACES = [
    ("栄サロン", "サロン", 136.9062, 35.1700, "毎週火曜日 13:30～15:30",
     "栄いきいき支援センター 052-123-4567"),
    ("錦の居場所", "居場所", 136.9055, 35.1725, "毎月第2・第4木曜日 10時～12時", ""),
    ("東の集会所", "集会所", 136.9110, 35.1685, "不定期", ""),
    (EVIL_NAME, "居場所", 136.9100, 35.1712, "", "<b>係</b> ０５２（９６１）１１１１"),
    ("場所未定の居場所", "居場所", None, None, "毎月1回", ""),
]

#: name, lon, lat of bus stops, each with a small timetable.
NAGOYA_STOPS = [
    ("栄町", 136.9080, 35.1702),
    ("錦通本町", 136.9050, 35.1712),
    ("久屋大通", 136.9118, 35.1728),
]

#: Where the phone is in the network tests: between 栄サロン and the 栄町 stop.
NAGOYA_HERE = {"latitude": 35.1703, "longitude": 136.9073}

_TIMETABLE = ("<table><tr><td>09</td><td>05 (名古屋駅行き) 毎日<br>"
              "35 (名古屋駅行き) 平日のみ</td></tr>"
              "<tr><td>13</td><td>10 (栄行き) 土日祝</td></tr></table>")


def write_nagoya_near_config(folder: Path) -> Path:
    """
    Write a small study area on the Nagoya streets (EPSG:6675, Aichi) to ``folder``: two
    districts, five places (one unlocated, one with an HTML-like name), three stops, 25 町丁
    points; return the path of its ``ibasho.toml``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    minx, miny, maxx, maxy = nagoya_city.BOUNDS
    nagoya_city.write_districts(folder)
    rows = ["name,category,lon,lat,district,schedule,contact"]
    for name, category, lon, lat, schedule, contact in NAGOYA_PLACES:
        where = "" if lon is None else f"{lon},{lat}"
        rows.append(f'"{name}",{category},{where or ","},{"栄" if lon is None else ""},'
                    f'"{schedule}","{contact}"')
    (folder / "places.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    stops = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name, "時刻表": _TIMETABLE,
                                           "備考": "試験用の時刻表"},
         "geometry": {"type": "Point", "coordinates": [lon, lat]}}
        for name, lon, lat in NAGOYA_STOPS]}
    (folder / "stops.geojson").write_text(json.dumps(stops, ensure_ascii=False),
                                          encoding="utf-8")
    rows = ["key_code,name,total,lon,lat"]
    for i in range(5):
        for j in range(5):
            lon = minx + (maxx - minx) * (i + 0.5) / 5
            lat = miny + (maxy - miny) * (j + 0.5) / 5
            rows.append(f"{i}{j},栄{i + 1}丁目{j + 1}番,{200 + 10 * i},{lon:.6f},{lat:.6f}")
    (folder / "population.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = folder / "ibasho.toml"
    config.write_text(f"""{nagoya_city.STUDY_AREA}
[walking]
minutes = [3, 5, 8]

[network]
streets = "{nagoya_city.OSM.as_posix()}"

[layers.districts]
path = "districts.geojson"

[layers.places]
path = "places.csv"

[layers.stops]
path = "stops.geojson"
fields = {{ name = "name", timetable_html = "時刻表", note = "備考" }}

[layers.population]
path = "population.csv"
fields = {{ total = "total", name = "name", key_code = "key_code" }}

[attribution]
lines = ["© OpenStreetMap contributors (ODbL)"]
""", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def nagoya_app(tmp_path_factory):
    """The app on the Nagoya study area: walking minutes on the street network."""
    from webmap.web.app import create_app

    config = write_nagoya_near_config(tmp_path_factory.mktemp("nagoya_near"))
    return create_app({"TESTING": True, "IBASHO_CONFIG": str(config)})
