"""The folium map: layers, escaping, offline assets, attribution, and the static site."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from urllib.parse import quote

import folium
import geopandas as gpd
import pandas as pd
import pytest
from nagoya_city import EVIL_CANDIDATE, MINUTES, write_nagoya_config
from shapely import Point

from geo.streets.walking import PROFILES, WalkProfile
from layers.analysis import plan_study_area
from layers.study import analyse_study_area, load_study_area
from webmap.i18n import gettext
from webmap.maps.build import build_map, walk_minutes
from webmap.maps.departures import TimetableTables, day_mask, pack_departures, timetable_config
from webmap.maps.elements import script_json
from webmap.maps.reach_layers import suggestion_icon_svg
from webmap.maps.site import district_file_name, write_site
from webmap.maps.style import CATEGORY_STYLES, SHAPES, SUGGESTION_STYLE, position_note

#: Labels of the maps and sheets, from the app's catalogue (webmap/i18n.py).
BUFFER = gettext("徒歩圏（直線{radius_m:g} m・徒歩約{minutes}分）")
GAP = gettext("空白地域（{radius_m:g} m圏外）")
ISOCHRONE = gettext("徒歩{minutes:g}分圏（道のり）")
NETWORK_GAP = gettext("空白地域（道のりで{minutes:g}分圏外）")
SUGGESTIONS = gettext("新しい居場所の候補（上位{k}か所）")
UNCOVERED = gettext("徒歩圏外に住む人の割合（{basis}・{threshold}）")

MALICIOUS_NAME = "<script>alert(1)</script>"
CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com",
             "netdna.bootstrapcdn.com", "maxcdn.bootstrapcdn.com", "unpkg.com",
             "fonts.googleapis.com")


def contains(html: str, text: str) -> bool:
    """``text`` appears in the page as it is, or as JSON inside a script (``\\uXXXX``)."""
    return text in html or json.dumps(text)[1:-1] in html


@pytest.fixture(scope="module")
def city_html(takasaki, coverage):
    return build_map(takasaki, coverage, asset_base="vendor").get_root().render()


@pytest.fixture(scope="module")
def malicious_study(takasaki):
    """Takasaki plus a place whose every field tries to inject HTML or script."""
    evil = {
        "place_id": "p9999", "name": MALICIOUS_NAME, "category": "居場所",
        "district": "中央・南・城南", "address": "<b>bold</b>", "schedule": "${alert(3)}",
        "contact": "`backtick`", "notes": '<img src=x onerror="alert(2)">',
        "position_source": "approx:</script><script>alert(4)</script>",
        "source": "' onmouseover='alert(5)", "row": 999, "position_quality": "approx",
    }
    places = pd.concat([takasaki.places, gpd.GeoDataFrame(
        [evil], geometry=[Point(139.0035, 36.3205)], crs=takasaki.places.crs)],
        ignore_index=True)
    unlocated = dict(evil, place_id="p9998", name="<i>unlocated</i>", position_quality="unknown")
    places = pd.concat([places, gpd.GeoDataFrame([unlocated], geometry=[None],
                                                 crs=takasaki.places.crs)], ignore_index=True)
    return dataclasses.replace(takasaki, places=gpd.GeoDataFrame(places, crs=takasaki.places.crs))


def test_layers_are_in_the_city_map(city_html, takasaki):
    expected = [
        gettext("地区（概略区域）"), gettext("バス停（ぐるりん等）"), gettext("バス路線"),
        BUFFER.format(radius_m=300, minutes=7),
        BUFFER.format(radius_m=500, minutes=11),
        BUFFER.format(radius_m=800, minutes=17),
        GAP.format(radius_m=800),
        gettext("人口（町丁代表点・{basis}）").format(basis=gettext("総人口")),
        gettext("位置未確認の居場所"),
    ]
    for category in takasaki.places.loc[takasaki.places.geometry.notna(), "category"].unique():
        expected.append(category)
    missing = [label for label in expected if not contains(city_html, label)]
    assert not missing
    assert "L.control.layers(" in city_html
    assert "L.markerClusterGroup(" in city_html
    assert "L.control.fullscreen(" in city_html
    assert "L.control.locate(" in city_html
    assert "L.control.scale({imperial: false" in city_html
    assert '<html lang="ja">' in city_html


def test_place_markers_are_svg_div_icons_without_icon_fonts(city_html):
    assert "IbashoMap.placeMarker" in city_html
    assert "\\u003csvg" in city_html  # inline SVG, inside the script
    for icon_font in ("font-awesome", "fa fa-", "awesome-markers", "AwesomeMarkers", "glyphicon"):
        assert icon_font not in city_html


def test_no_cdn_only_vendored_assets(city_html):
    for host in CDN_HOSTS:
        assert host not in city_html
    sources = re.findall(r'<script[^>]+src="([^"]+)"', city_html)
    links = re.findall(r'<link[^>]+href="([^"]+)"', city_html)
    assert sources and links
    for url in sources + links:
        assert url.startswith("vendor/"), url
    assert "vendor/leaflet/leaflet.js" in sources
    assert "vendor/markercluster/leaflet.markercluster.js" in sources
    # the only absolute URLs are the basemap tiles and its attribution link
    urls = set(re.findall(r"https?://[^\s\"'<>\\]+", city_html))
    assert {u for u in urls if "gsi.go.jp" not in u and "w3.org" not in u} == set()


def test_attribution_and_notes(city_html, takasaki):
    config = takasaki.config
    for line in config.attribution:
        assert contains(city_html, line)
    assert contains(city_html, "地理院タイル")
    assert contains(city_html, gettext("概略区域"))
    assert contains(city_html, gettext("地区界は概略区域です（公式の区域ではありません）"))
    assert contains(city_html, "直線距離による概算（迂回係数1.3）")
    assert "dashArray" in city_html and "7 5" in city_html  # approximate districts are dashed


def test_coordinates_are_rounded_to_six_decimals(city_html):
    data = re.findall(r"\.addData\((\{.*?\})\);\n", city_html, re.S)
    assert data
    for text in data:
        assert not re.search(r"\[-?\d+\.\d{7,},", text)


def test_malicious_place_is_shown_as_text(malicious_study, coverage):
    html = build_map(malicious_study, coverage, asset_base="vendor").get_root().render()
    assert MALICIOUS_NAME not in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html and "\\u003cimg" not in html
    assert "<b>bold</b>" not in html and "<i>unlocated</i>" not in html
    # escaped for HTML, then for the script: &lt; travels as \u0026lt;
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in html
    assert "\\u0026lt;i\\u0026gt;unlocated" in html  # in the unlocated list too
    # nothing in the data can end the script element early
    assert html.count("</script>") == html.count("<script")


def test_district_map_is_highlighted_and_small(takasaki, coverage, city_html):
    html = build_map(takasaki, coverage, district="倉淵", asset_base="vendor").get_root().render()
    assert '"selected":true' in html
    assert len(html) < len(city_html)
    assert contains(html, "倉淵地区")


def test_unknown_district_lists_the_valid_ones(takasaki, coverage):
    with pytest.raises(ValueError, match="倉淵"):
        build_map(takasaki, coverage, district="どこでもない")


def test_style_categories_differ_by_shape():
    shapes = [style["shape"] for style in CATEGORY_STYLES.values()]
    assert len(set(shapes)) == len(shapes)
    assert all(shape in SHAPES for shape in shapes)
    assert all(len(style["glyph"]) == 1 for style in CATEGORY_STYLES.values())
    notes = [position_note(quality) for quality in ("exact", "approx", "unknown")]
    assert len(set(notes)) == 3 and position_note("surveyed?") == notes[-1]


def test_style_covers_every_configured_category(takasaki):
    assert set(takasaki.config.categories) <= set(CATEGORY_STYLES)


@pytest.mark.parametrize(("radius_m", "minutes"), [(300, 7), (500, 11), (800, 17)])
def test_walk_minutes_round_half_up(radius_m, minutes):
    assert walk_minutes(radius_m, profile=PROFILES["elderly"]) == minutes


def test_default_radius():
    assert WalkProfile("x", 60.0, "x", radii_m=(300.0, 500.0, 800.0)).default_radius_m == 500.0
    assert WalkProfile("x", 60.0, "x", radii_m=(200.0, 400.0, 600.0)).default_radius_m == 400.0


def test_departures_are_packed_per_destination_and_days():
    tables = TimetableTables()
    departures = [
        {"time": "07:30", "destination": "高崎駅", "weekdays": [0, 1, 2, 3, 4],
         "holidays": False, "label": "平日のみ"},
        {"time": "08:00", "destination": "高崎駅", "weekdays": [0, 1, 2, 3, 4],
         "holidays": False, "label": "平日のみ"},
        {"time": "09:00", "destination": "<b>", "weekdays": [1, 3, 4], "holidays": False,
         "label": "火木金", "note": "祝日の運行は要確認"},
    ]
    packed = pack_departures(departures, tables)
    assert packed[0] == [0, 0, 31, -1, "0730 0800"]
    assert packed[1][2] == day_mask([1, 3, 4], holidays=False) == 26
    assert tables.destinations == ["高崎駅", "&lt;b&gt;"]
    config = timetable_config(tables, today=pd.Timestamp("2026-11-24").date())
    assert "2026-11-23" in config["holidays"]
    assert config["holidays_from"] == "2026-01-01"
    assert tables.notes[config["holiday_note"]] == "祝日の運行は要確認"


def test_script_json_cannot_close_the_script():
    text = script_json({"a": "</script><script>alert('x')</script>", "b": "居場所"})
    assert "</script>" not in text and "'" not in text
    assert "居場所" in text
    assert json.loads(text)["a"].startswith("</script>")


def test_write_site(tmp_path, takasaki, coverage):
    written = write_site(takasaki, coverage, tmp_path, today=pd.Timestamp("2026-11-24").date())
    assert tmp_path / "index.html" in written
    assert len(written) == 2 + len(takasaki.districts)
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob(".*.tmp"))
    assert (tmp_path / "static" / "vendor" / "leaflet" / "leaflet.js").is_file()
    assert (tmp_path / "static" / "site.css").is_file()
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'src="static/vendor/leaflet/leaflet.js"' in index
    assert 'href="districts.html"' in index
    assert len(list((tmp_path / "districts").glob("*.html"))) == len(takasaki.districts)
    district_page = tmp_path / "districts" / district_file_name("倉淵")
    html = district_page.read_text(encoding="utf-8")
    assert 'src="../static/vendor/leaflet/leaflet.js"' in html
    assert 'href="../static/site.css"' in html
    assert "倉淵地区" in html
    assert 'href="../districts.html"' in html
    listing = (tmp_path / "districts.html").read_text(encoding="utf-8")
    assert all(f'href="districts/{quote(district_file_name(name))}"' in listing
               for name in takasaki.district_names)
    # written twice: files are replaced, not duplicated
    write_site(takasaki, coverage, tmp_path)
    assert not (tmp_path / ".static.old").exists() and not (tmp_path / ".static.tmp").exists()


# ---- planning layers: network isochrones, gaps, people beyond reach, suggested sites ------


def shown_layers(m) -> dict[str, bool]:
    """Every layer of the layer control by its (unescaped) label, and whether it starts on."""
    layers = {}
    for child in m._children.values():
        if isinstance(child, folium.map.Layer) and child.control and child.overlay:
            layers[html.unescape(child.layer_name.rsplit("</span>", 1)[-1])] = child.show
    return layers


@pytest.fixture(scope="module")
def takasaki_plan(takasaki):
    return plan_study_area(takasaki)


@pytest.fixture(scope="module")
def nagoya(tmp_path_factory):
    """The Nagoya study area with its street network: (study, coverage, plan)."""
    study = load_study_area(write_nagoya_config(tmp_path_factory.mktemp("nagoya")))
    return study, analyse_study_area(study), plan_study_area(study)


def test_straight_mode_plan_layers(takasaki, coverage, takasaki_plan):
    assert takasaki_plan.method == "straight"
    m = build_map(takasaki, coverage, plan=takasaki_plan, asset_base="vendor")
    layers = shown_layers(m)
    suggestions = SUGGESTIONS.format(k=len(takasaki_plan.suggestions))
    uncovered = UNCOVERED.format(basis=gettext("総人口"),
                                              threshold="直線500 m")
    assert layers[suggestions] is False  # the city map opens without them
    assert layers[uncovered] is False
    assert layers[BUFFER.format(radius_m=500, minutes=11)] is True
    assert layers[GAP.format(radius_m=800)] is True
    assert not any("道のり" in label for label in layers)
    html_text = m.get_root().render()
    assert contains(html_text, "直線距離による概算（迂回係数1.3）")
    assert not contains(html_text, "道のりによる計算")
    assert "IbashoMap.suggestionMarker" in html_text
    best = takasaki_plan.suggestions.iloc[0]
    assert contains(html_text, html.escape(best["name"]))
    assert contains(html_text, f"+{round(best['newly_covered']):,}人")
    # the legend has a row for every new layer
    assert contains(html_text, gettext("{label}・数字は順位").format(label=suggestions))
    assert contains(html_text, gettext("{label}：色が濃いほど高い").format(label=uncovered))


def test_district_map_shows_its_suggestions(takasaki, coverage, takasaki_plan):
    district = takasaki_plan.suggestions.iloc[0]["district"]
    m = build_map(takasaki, coverage, plan=takasaki_plan, district=district, asset_base="vendor")
    label = SUGGESTIONS.format(k=len(takasaki_plan.suggestions))
    assert shown_layers(m)[label] is True


def test_network_mode_layers(nagoya):
    study, coverage, plan = nagoya
    assert plan.method == "network"
    m = build_map(study, coverage, plan=plan, asset_base="vendor")
    layers = shown_layers(m)
    for minutes in MINUTES:
        assert layers[ISOCHRONE.format(minutes=minutes)] is (minutes == 5)
        assert layers[NETWORK_GAP.format(minutes=minutes)] is (minutes == 8)
    # the straight-line circles and gaps are there to compare, but off
    straight = [label for label in layers if label.startswith(("徒歩圏（直線", "空白地域（"))]
    straight = [label for label in straight if "道のり" not in label]
    assert len(straight) >= 3 and not any(layers[label] for label in straight)
    uncovered = UNCOVERED.format(basis=gettext("65歳以上人口"),
                                              threshold="道のり5分")
    assert layers[uncovered] is False
    assert layers[SUGGESTIONS.format(k=3)] is False
    page = m.get_root().render()
    assert contains(page, "道のりによる計算・高齢者（毎分60 m）・平坦と仮定")
    assert contains(page, "直線の徒歩圏と空白地域は直線距離による概算（迂回係数1.3）")
    district_map = build_map(study, coverage, plan=plan, district="栄", asset_base="vendor")
    assert shown_layers(district_map)[SUGGESTIONS.format(k=3)] is True


def test_network_isochrone_features(nagoya):
    study, coverage, plan = nagoya
    page = build_map(study, coverage, plan=plan, asset_base="vendor").get_root().render()
    data = [json.loads(text) for text in re.findall(r"\.addData\((\{.*?\})\);\n", page, re.S)]
    isochrones = [f for d in data for f in d["features"] if "area_km2" in f["properties"]
                  and "minutes" in f["properties"]]
    assert sorted(f["properties"]["minutes"] for f in isochrones) == [3.0, 5.0, 8.0]
    assert all(f["geometry"]["type"] in {"Polygon", "MultiPolygon"} for f in isochrones)
    ranks = sorted(f["properties"]["rank"] for d in data for f in d["features"]
                   if "rank" in f["properties"])
    assert ranks == [1, 2, 3]


def test_suggestion_names_are_escaped(nagoya, takasaki, coverage, takasaki_plan):
    study, network_coverage, plan = nagoya
    assert EVIL_CANDIDATE in set(plan.suggestions["name"])
    page = build_map(study, network_coverage, plan=plan, district="栄",
                     asset_base="vendor").get_root().render()
    assert "<img src=x" not in page
    # raw only inside JSON strings that the browser sets as text (DOM title, never HTML)
    raw = [page[max(0, m.start() - 16):m.start()]
           for m in re.finditer(re.escape("\\u003cimg src=x"), page)]
    assert raw and all(before.endswith(('"name":"', '"title":"候補2 ')) for before in raw), raw
    assert "\\u0026lt;img src=x onerror=alert(7)\\u0026gt;" in page  # popup and tooltip
    assert "<b>住所</b>" not in page and "\\u0026lt;b\\u0026gt;住所" in page
    assert page.count("</script>") == page.count("<script")
    evil = takasaki_plan.suggestions.copy()
    evil.loc[0, ["name", "address"]] = [MALICIOUS_NAME, "<b>bold</b>"]
    m = build_map(takasaki, coverage, plan=dataclasses.replace(takasaki_plan, suggestions=evil),
                  asset_base="vendor")
    page = m.get_root().render()
    assert MALICIOUS_NAME not in page and "<b>bold</b>" not in page
    assert "\\u0026lt;script\\u0026gt;alert(1)" in page


def test_suggestion_badge():
    svg = suggestion_icon_svg(7)
    assert ">7</text>" in svg and SUGGESTION_STYLE["fill_color"] in svg
    assert ">10</text>" in suggestion_icon_svg(10)


def test_write_site_with_a_network(tmp_path, nagoya):
    study, coverage, plan = nagoya
    written = write_site(study, coverage, tmp_path, plan=plan,
                         today=pd.Timestamp("2026-11-24").date())
    assert len(written) == 2 + len(study.districts)
    listing = (tmp_path / "districts.html").read_text(encoding="utf-8")
    assert gettext("直線距離と道のりの比較") in listing
    assert gettext("新しい居場所の候補（市全体）") in listing
    assert "&lt;img src=x onerror=alert(7)&gt;候補" in listing and "<img src=x" not in listing
    page = (tmp_path / "districts" / district_file_name("栄")).read_text(encoding="utf-8")
    assert gettext("直線距離と道のりの比較") in page
    assert page.count("<tr>") >= 3 + 1 + 3 + 1  # coverage + comparison tables (+ suggestions)
    assert "道のりによる計算" in page
    assert gettext("この地区の新しい居場所の候補") in page


def test_write_site_straight_mode_lists_suggestions(tmp_path, takasaki, coverage, takasaki_plan):
    write_site(takasaki, coverage, tmp_path, plan=takasaki_plan,
               today=pd.Timestamp("2026-11-24").date())
    listing = (tmp_path / "districts.html").read_text(encoding="utf-8")
    assert gettext("新しい居場所の候補（市全体）") in listing
    assert gettext("直線距離と道のりの比較") not in listing  # no network: nothing to compare
    best = takasaki_plan.suggestions.iloc[0]
    page = (tmp_path / "districts" / district_file_name(best["district"])).read_text(
        encoding="utf-8")
    assert html.escape(best["name"]) in page
    assert "直線距離による概算" in page
