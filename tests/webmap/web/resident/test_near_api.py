"""``/near`` and its JSON API through the Flask client: Takasaki (straight line) and Nagoya
(street network)."""

from __future__ import annotations

import itertools
import json
import math
import re
from urllib.parse import quote

import conftest_near
import pytest
from conftest_near import EVIL_NAME, IWAHANA, NAGOYA_HERE

from webmap.web.base import app_state
from webmap.web.resident.index import near_index

nagoya_app = conftest_near.nagoya_app  # a shared fixture (conftest_near.py, beside this file)

HERE = f"lat={IWAHANA['latitude']}&lon={IWAHANA['longitude']}"
NAGOYA = f"lat={NAGOYA_HERE['latitude']}&lon={NAGOYA_HERE['longitude']}"
TUESDAY_9 = "at=2026-12-01T09:00"  # a weekday
LABOUR_THANKSGIVING_9 = "at=2026-11-23T09:00"  # 勤労感謝の日, a Monday holiday


def _haversine_m(a: list[float], b: list[float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


# ---- Takasaki: no street network ------------------------------------------------------


def test_nearest_places_by_straight_line_with_the_stated_detour(client, takasaki) -> None:
    body = client.get(f"/api/near?{HERE}&{TUESDAY_9}").json
    assert body["ok"] and body["method"] == "straight" and body["lang"] == "ja"
    assert "直線距離による概算（迂回係数1.3）" in body["method_note"]
    places = body["places"]
    assert len(places) == 5
    assert places[0]["name"] == "岩鼻長寿センター" and places[0]["minutes"] == 3
    assert places[0]["minutes_label"] == "徒歩 約3分"
    minutes = [p["minutes"] for p in places]
    assert minutes == sorted(minutes)
    for place in places:  # minutes = straight distance × 1.3 / 60, rounded up
        assert place["route_kind"] == "straight" and len(place["route"]) == 2
        straight_m = _haversine_m(place["route"][0], place["route"][1])
        assert abs(place["minutes"] - straight_m * 1.3 / 60) < 1.05
        assert place["distance_m"] == pytest.approx(straight_m, abs=max(2, straight_m / 200))
    assert body["district"] == "倉賀野" and body["inside"]
    located = takasaki.places.geometry.notna()
    assert {p["place_id"] for p in places} <= set(takasaki.places.loc[located, "place_id"])


def test_long_walks_offer_the_bus_with_todays_departures(client) -> None:
    body = client.get(f"/api/near?{HERE}&{TUESDAY_9}").json
    near, far = body["places"][0], body["places"][1]
    assert near["minutes"] <= 15 and near["bus"] is None
    assert far["minutes"] > 15
    bus = far["bus"]
    assert bus["available"] and bus["board"]["name"] == "岩鼻長寿センター前"
    assert bus["board"]["distance_m"] == pytest.approx(80, abs=5)
    times = [d["time"] for d in bus["board"]["departures"]]
    assert times and times == sorted(times) and times[0] >= "09:00" and len(times) <= 3
    assert "（きょう・平日）" in bus["next_label"]
    assert bus["alight"]["name"] and bus["source_label"].startswith("時刻表は")
    # on a public holiday only the departures that run on holidays are listed
    holiday = client.get(f"/api/near?{HERE}&{LABOUR_THANKSGIVING_9}").json["places"][1]["bus"]
    assert "（きょう・祝日）" in holiday["next_label"]
    for departure in holiday["board"]["departures"]:
        assert departure["label"] not in {"平日のみ", "平日"}


def test_next_opening_from_the_real_schedule(client) -> None:
    # 4区のえんがわ: 毎月第1水曜日・第3月曜日 10:00～12:00, contact with a phone number
    body = client.get(f"/api/near?lat=36.3731&lon=139.0008&{TUESDAY_9}").json
    first = body["places"][0]
    assert first["name"] == "4区のえんがわ"
    assert first["opening"]["next"] == {"date": "2026-12-02", "label": "12月2日（水）10:00～12:00",
                                        "when": "this_week", "when_label": "今週あり"}
    assert first["contact"]["phones"] == [{"number": "027-386-2270", "href": "tel:0273862270",
                                           "label": "電話する 027-386-2270"}]
    assert first["approximate"]
    after = client.get("/api/near?lat=36.3731&lon=139.0008&at=2026-12-02T12:30&lang=en").json
    assert after["places"][0]["opening"]["next"]["label"] == "Mon 21 Dec, 10:00–12:00"
    assert after["places"][0]["opening"]["next"]["when"] == "later"


def test_unlocated_places_of_the_district_are_listed_below(client, takasaki) -> None:
    # 中居・矢中 has two places without a position
    body = client.get(f"/api/near?lat=36.3211&lon=139.0436&{TUESDAY_9}").json
    assert body["district"] == "中居・矢中"
    names = [p["name"] for p in body["unlocated"]]
    expected = takasaki.places[(takasaki.places["district"] == "中居・矢中")
                               & takasaki.places.geometry.isna()]["name"].tolist()
    assert names == expected and len(names) == 2
    assert body["unlocated_heading"] == "位置未確認（中居・矢中地区）"
    assert not {p["name"] for p in body["places"]} & set(names)


def test_whereami_names_the_stop_with_distance_and_direction(client) -> None:
    body = client.get(f"/api/whereami?{HERE}").json
    assert body["stop"]["name"] == "岩鼻長寿センター前" and body["stop"]["direction"] == "北"
    assert "岩鼻長寿センター前バス停の北へ約80 m" in body["text"]
    assert body["district"] == "倉賀野" and body["town"]["name"]
    assert body["text"].startswith(f"{body['town']['name']}付近（倉賀野地区）。")
    assert "緯度 36.30685、経度 139.05982" in body["text"]
    english = client.get(f"/api/whereami?{HERE}&lang=en").json["text"]
    assert "About 80 m north of the 岩鼻長寿センター前 bus stop" in english


def test_choices_per_district(client, app) -> None:
    body = client.get(f"/api/near/choices?district={quote('岩鼻')}").json
    groups = {g["group"]: g for g in body["groups"]}
    assert groups["towns"]["label"] == "町名" and groups["stops"]["label"] == "バス停"
    towns = [c["label"] for c in groups["towns"]["choices"]]
    assert "岩鼻町" in towns and len(towns) == len(set(towns))
    index = near_index(app_state(app).maps)
    choice = index.choice(groups["stops"]["choices"][0]["value"])
    assert choice is not None and choice.district == "岩鼻"


@pytest.mark.parametrize(("query", "status", "match"), [
    ("lat=36.3", 400, "both required"),
    ("lat=abc&lon=139", 400, "numbers"),
    ("lat=95&lon=139", 400, "within"),
    ("lat=35.0&lon=135.0", 400, "outside"),
    (f"{HERE}&lang=fr", 400, "lang"),
    (f"{HERE}&n=0", 400, "1 to 10"),
    (f"{HERE}&n=x", 400, "1 to 10"),
    (f"{HERE}&at=tomorrow", 400, "ISO"),
])
def test_api_errors_have_the_one_shape(client, query, status, match) -> None:
    response = client.get(f"/api/near?{query}")
    assert response.status_code == status
    body = response.json
    assert body["ok"] is False and body["status"] == status and match in body["error"]


def test_error_shape_of_whereami_and_choices(client) -> None:
    assert client.get("/api/whereami").json["status"] == 400
    response = client.get("/api/near/choices?district=nowhere")
    assert response.status_code == 404 and "岩鼻" in response.json["districts"]
    assert client.get("/api/near?lat=35&lon=135").json["reason"] == "outside"


def test_positions_are_not_cached(client) -> None:
    assert client.get(f"/api/near?{HERE}").headers["Cache-Control"] == "no-store"


# ---- the page ----------------------------------------------------------------------------


def test_page_renders_the_list_without_javascript(client) -> None:
    html = client.get(f"/near?{HERE}&{TUESDAY_9}").get_data(as_text=True)
    assert '<html lang="ja"' in html and "近くの居場所" in html
    assert html.count('class="place-card"') == 5
    assert "徒歩 約3分" in html and "直線距離による概算（迂回係数1.3）" in html
    assert "バスも使えます：岩鼻長寿センター前" in html
    assert 'href="/near?lat=36.30685&amp;lon=139.05982&amp;lang=en"' in html


def test_page_from_a_chosen_stop_in_english(client) -> None:
    choices = client.get(f"/api/near/choices?district={quote('岩鼻')}&lang=en").json
    stop = next(g for g in choices["groups"] if g["group"] == "stops")["choices"][0]
    html = client.get(f"/near?lang=en&from={quote(stop['value'])}").get_data(as_text=True)
    assert '<html lang="en"' in html and "Gathering places near you" in html
    assert f"Starting from: the {stop['label']} bus stop" in html
    assert html.count('class="place-card"') == 5 and "min on foot" in html
    assert f'<option value="{stop["value"]}" selected>' in html
    assert "Estimated from straight-line distance (detour factor 1.3" in html


def test_page_choices_step_and_unknown_values(client) -> None:
    html = client.get(f"/near?district={quote('岩鼻')}").get_data(as_text=True)
    assert '<optgroup label="町名">' in html and "岩鼻町" in html
    assert 'class="place-card"' not in html
    html = client.get("/near?district=nowhere&from=stop:none&lang=xx").get_data(as_text=True)
    assert '<html lang="ja"' in html and 'class="place-card"' not in html
    html = client.get("/near?lat=35&lon=135").get_data(as_text=True)
    assert "範囲外" in html


def test_page_is_light(client) -> None:
    """No city GeoJSON on the first load: the bare page is small, the list ships as JSON."""
    bare = client.get("/near").get_data()
    assert len(bare) < 40_000 and b"FeatureCollection" not in bare
    with_list = client.get(f"/near?{HERE}").get_data()
    assert len(with_list) < 80_000
    api = client.get(f"/api/near?{HERE}").get_data()
    assert len(api) < 20_000


def test_every_word_of_the_page_comes_in_both_languages(client) -> None:
    for lang, other in (("ja", "en"), ("en", "ja")):
        html = client.get(f"/near?{HERE}&lang={lang}").get_data(as_text=True)
        config_json = re.search(r'id="near-config">(.*?)</script>', html, re.S).group(1)
        assert not re.search(r"\{[a-z_]+\}", html.replace(config_json, ""))  # all filled in
        config = json.loads(config_json)
        assert config["lang"] == lang
        assert f'hreflang="{other}"' in html


# ---- Nagoya: on the street network --------------------------------------------------------


@pytest.fixture(scope="module")
def nagoya(nagoya_app):
    return nagoya_app.test_client()


def test_network_minutes_and_routes(nagoya) -> None:
    body = nagoya.get(f"/api/near?{NAGOYA}&{TUESDAY_9}").json
    assert body["method"] == "network" and "道路に沿った道のり" in body["method_note"]
    assert body["detour_factor"] is None
    places = body["places"]
    assert [p["name"] for p in places][:2] == ["栄サロン", "錦の居場所"]
    assert len(places) == 4  # the unlocated one is not ranked
    speed = body["speed_m_per_min"]
    for place in places:
        route = place["route"]
        assert place["route_kind"] == "network" and len(route) > 2
        assert route[0] == [NAGOYA_HERE["latitude"], NAGOYA_HERE["longitude"]]
        assert route[-1] == [place["lat"], place["lon"]]
        length_m = sum(_haversine_m(a, b) for a, b in itertools.pairwise(route))
        assert place["distance_m"] == pytest.approx(length_m, rel=0.01)
        # minutes come from the street search: at least the route at the walking pace
        assert place["minutes"] >= length_m / speed - 0.01
        assert place["minutes"] <= math.ceil(length_m / speed * 2) + 1  # steps at most ×2
        straight_m = _haversine_m(route[0], route[-1])
        assert length_m >= straight_m - 1
    assert places[0]["opening"]["next"]["when"] == "today"
    assert places[0]["contact"]["phones"][0]["href"] == "tel:0521234567"
    assert [p["name"] for p in body["unlocated"]] == []  # 錦 has none; 栄 has one
    east = nagoya.get("/api/near?lat=35.1712&lon=136.9110").json
    assert east["district"] == "栄"
    assert [p["name"] for p in east["unlocated"]] == ["場所未定の居場所"]
    assert east["unlocated"][0]["opening"]["note"] == "日程は主催者にご確認ください"


def test_network_whereami_and_escaping(nagoya) -> None:
    where = nagoya.get(f"/api/whereami?{NAGOYA}").json
    assert where["stop"]["name"] == "栄町" and where["stop"]["direction"] == "西"
    assert where["text"].startswith("栄")
    html = nagoya.get(f"/near?{NAGOYA}").get_data(as_text=True)
    assert EVIL_NAME not in html
    assert "&lt;img src=x onerror=alert(7)&gt;サロン" in html
    config = re.search(r'id="near-config">(.*?)</script>', html, re.S).group(1)
    assert "<img" not in config and "\\u003cimg" in config
    assert "道路に沿った道のり" in html and 'id="near-map-straight" hidden' in html
