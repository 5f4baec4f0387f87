"""Age bands and the minutes grid in the app: ``?basis=``, its 400s, headings, the grid's
toggle layer (in Chromium), the district tables and the GeoPackage.

Takasaki's real 2015 data has totals only: the pages say the total stands in for 65+, and
asking for 65+ is refused. The age bands are shown on a 250 m mesh file in e-Stat's layout
with MADE-UP counts (架空の数値, ``tests/estat_files.py``).
"""

from __future__ import annotations

import pyogrio
import pytest
from browser_support import WatchedPage, launch_chromium, serve
from click.testing import CliRunner
from estat_files import takasaki_mesh_rows, write_estat_city

from data import get_path
from webmap.cli.main import main
from webmap.i18n import gettext
from webmap.maps.style import GRID_STYLE, grid_band_labels
from webmap.web.app import create_app

DISTRICT = "中央・南・城南"
FALLBACK = gettext("総人口（65歳以上の人数のデータがないため）")
GRID = gettext("徒歩分数グリッド")


def test_takasaki_counts_the_total_and_says_so(client) -> None:
    body = client.get("/api/coverage").json
    assert body["basis"] == "total" and body["bases"] == ["total"]
    assert body["basis_note"] == gettext("人口は{basis}").format(basis=FALLBACK)
    assert body["grid"]["cells"] == "mesh"
    assert sum(row["people"] for row in body["grid"]["city"]) == pytest.approx(370_884)
    page = client.get(f"/districts/{DISTRICT}").get_data(as_text=True)
    assert FALLBACK in page
    points = gettext("人数は町丁ごとの代表点で数えています"
                     "（町丁の全員が、代表点の位置で圏内か圏外かになります）")
    assert points in page  # points stay whole
    for label in grid_band_labels():
        assert label in page
    assert FALLBACK in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("url", "basis", "has"), [
    ("/api/coverage?basis=age65", "age65", ["total"]),
    ("/api/grid?basis=age85", "age85", ["total"]),
    ("/api/suggestions?basis=age75", "age75", ["total"]),
    ("/api/coverage?basis=65", "65", ["total"]),
])
def test_a_band_the_data_lacks_is_a_400_in_the_error_shape(client, url, basis, has) -> None:
    response = client.get(url)
    assert response.status_code == 400
    body = response.json
    assert set(body) == {"ok", "error", "status", "bases"}
    assert body["ok"] is False and body["status"] == 400 and body["bases"] == has
    assert f"basis {basis!r}" in body["error"]
    page = client.get(f"/districts/{DISTRICT}?basis=age65")
    assert page.status_code == 400 and "text/html" in page.content_type


def test_grid_api(client) -> None:
    cells = client.get("/api/grid").json["features"]
    assert len(cells) == 7514
    assert {"cell", "district", "minutes", "band", "people"} <= set(cells[0]["properties"])
    district = client.get(f"/api/grid?district={DISTRICT}").json["features"]
    assert 0 < len(district) < len(cells)
    assert {c["properties"]["district"] for c in district} == {DISTRICT}
    assert client.get("/api/grid?district=どこか").status_code == 404


@pytest.fixture(scope="module")
def estat_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bands-app")
    rows = takasaki_mesh_rows(digits=10, bbox=(138.99, 36.30, 139.04, 36.34), seed=5)
    config = write_estat_city(folder, rows)
    return create_app({"TESTING": True, "DATABASE": str(folder / "db.gpkg"),
                       "CONFIG": str(config)})


def test_every_band_on_e_stat_data(estat_app) -> None:
    client = estat_app.test_client()
    default = client.get("/api/coverage").json
    assert default["basis"] == "age65"
    assert default["bases"] == ["total", "age65", "age75", "age85"]
    covered = {}
    for basis in default["bases"]:
        body = client.get(f"/api/coverage?basis={basis}").json
        assert body["basis"] == basis
        covered[basis] = sum(row["covered"] for row in body["city"])
        grid = sum(row["people"] for row in body["grid"]["city"])
        assert grid > 0
        page = client.get(f"/districts/{DISTRICT}?basis={basis}").get_data(as_text=True)
        label = {"total": "総人口", "age65": "65歳以上人口", "age75": "75歳以上人口",
                 "age85": "85歳以上人口"}[basis]
        assert gettext("人口は{basis}").format(basis=gettext(label)) in page
        assert gettext("人数は、各区域の人口を圏内に入る面積の割合で按分して数えています") in page
    assert covered["age85"] < covered["age75"] < covered["age65"] < covered["total"]
    suggestions = client.get("/api/suggestions?basis=age75").json
    assert suggestions["basis"] == "age75"
    assert client.get("/api/coverage?basis=age95").status_code == 400
    what_if = client.post("/api/what-if?basis=age75", json={"add": [139.01, 36.32]})
    assert what_if.status_code == 200 and what_if.json["basis"] == "age75"


def test_geopackage_has_the_grid(tmp_path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", str(get_path("takasaki")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    gpkg = out / "ibasho.gpkg"
    cells = pyogrio.read_dataframe(gpkg, layer="minutes_grid")
    assert len(cells) == 7514 and set(cells["basis"]) == {"total"}
    assert cells["people"].sum() == pytest.approx(370_884)
    districts = pyogrio.read_dataframe(gpkg, layer="minutes_grid_districts",
                                       read_geometry=False)
    assert districts.groupby("district")["people"].sum().sum() == pytest.approx(370_884)
    assert set(districts["method"]) == {"straight"}


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium()


@pytest.fixture(scope="module")
def server(app):
    yield from serve(app)


@pytest.mark.browser
def test_grid_toggle_layer_in_chromium(browser, server, tmp_path) -> None:
    watch = WatchedPage(browser, {"width": 1280, "height": 860})
    page = watch.page
    page.goto(server + f"/districts/{DISTRICT}")
    page.wait_for_selector(".leaflet-control-layers", timeout=20_000)
    page.wait_for_timeout(900)
    fills = "els => els.map(e => e.getAttribute('fill'))"
    before = page.eval_on_selector_all(".leaflet-ibasho-shading-pane path", fills)
    assert not set(before) & set(GRID_STYLE["colors"])  # off when the map opens
    page.locator(".leaflet-control-layers").hover()  # the district's map keeps it collapsed
    page.locator(".leaflet-control-layers-overlays label", has_text=GRID).locator(
        "input").click()
    page.wait_for_timeout(900)
    after = page.eval_on_selector_all(".leaflet-ibasho-shading-pane path", fills)
    assert len(after) > len(before)
    assert len(set(after) & set(GRID_STYLE["colors"])) >= 3  # several bands drawn
    legend = page.locator(".ibasho-legend").inner_text()
    assert FALLBACK in legend and grid_band_labels()[-1] in legend
    page.screenshot(path=tmp_path / "grid-district.png")
    assert watch.errors == []
    watch.close()
