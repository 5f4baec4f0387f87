"""The planner page (/plan) and its scenarios: saving needs an editor and the CSRF token,
names are escaped, the table exports as CSV with a BOM and the map as an A4 sheet."""

from __future__ import annotations

import csv
import io
import json
import re
from html import escape
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image

import webmap
from webmap.web.base import app_state

EVIL = "<img src=x onerror=alert(1)>案"
PASSWORD = "correct horse battery"
CONFIG_SCRIPT = re.compile(r'<script type="application/json" id="plan-config">(.*?)</script>',
                           re.S)


def page_config(client, path: str = "/plan") -> dict:
    response = client.get(path)
    assert response.status_code == 200
    return json.loads(CONFIG_SCRIPT.search(response.get_data(as_text=True)).group(1))


def login(client, app, role: str) -> str:
    """Log ``client`` in with ``role``; returns the CSRF token of its session."""
    users = app_state(app).users
    name = f"plan-{role}"
    if users.get(name) is None:
        users.create_user(name, PASSWORD, role=role)
    form = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post("/admin/login", data={"name": name, "password": PASSWORD,
                                                 "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return page_config(client)["csrf_token"]


@pytest.fixture
def editor(app):
    client = app.test_client()
    client.token = login(client, app, "editor")
    return client


@pytest.fixture(autouse=True)
def no_scenarios(app):
    """Every test starts and ends without saved scenarios."""
    store = app_state(app).scenarios
    for scenario in store.scenarios():
        store.delete(scenario["scenario_id"], user="test")
    yield
    for scenario in store.scenarios():
        store.delete(scenario["scenario_id"], user="test")


def save(client, body: dict, status: int = 201) -> dict:
    response = client.post("/plan/scenarios", json=body,
                           headers={"X-CSRFToken": getattr(client, "token", "")})
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["ok"] is False and body["status"] == status and body["error"]
    return body


# ---- the page ----------------------------------------------------------------------------


def test_page(client, app):
    response = client.get("/plan")
    html = response.get_data(as_text=True)
    assert "新しい居場所の検討" in html and 'lang="ja"' in html
    # Leaflet and the page's script come from this server, never a CDN; no inline script
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(s.split("?")[0].endswith("vendor/leaflet/leaflet.js") for s in sources)
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert re.findall(r"<script(?![^>]*(?:src=|application/json))", html) == []
    config = page_config(client)
    assert config["method"] == "straight"
    assert config["method_note"] == "計算方法：直線距離による概算（迂回係数1.3）"
    assert "総人口" in config["basis_note"] and "65歳以上" in config["basis_note"]
    assert [t["value"] for t in config["thresholds"]] == [300.0, 500.0, 800.0]
    assert config["threshold"] == 500.0 and config["district"] is None
    assert config["can_edit"] is False
    state = app_state(app).maps
    assert set(config["baseline"]["districts"]) == set(state.study.district_names)
    city = config["baseline"]["city"]
    assert [row["change"] for row in city] == [0, 0, 0]
    assert all(row["before"] == row["after"] for row in city)
    assert "計画案の保存と削除には、編集者のログインが必要です。" in html


def test_page_for_a_district(client, app):
    name = app_state(app).maps.study.district_names[3]
    html = client.get("/plan?district=" + quote(name)).get_data(as_text=True)
    assert f'<option value="{name}" selected>' in html
    assert page_config(client, "/plan?district=" + quote(name))["district"] == name
    missing = client.get("/plan?district=" + quote("<b>どこ</b>"))
    assert missing.status_code == 404 and "text/html" in missing.content_type
    text = missing.get_data(as_text=True)
    assert "&lt;b&gt;どこ&lt;/b&gt;" in text and "<b>どこ</b>" not in text


def test_editors_see_the_save_form(editor):
    config = page_config(editor)
    assert config["can_edit"] is True and config["csrf_token"]
    assert 'id="plan-save"' in editor.get("/plan").get_data(as_text=True)


def test_candidates(client, app):
    data = client.get("/plan/candidates").get_json()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == len(app_state(app).maps.study.candidates)
    assert set(data["features"][0]["properties"]) == {"name", "address"}


# ---- saving needs an editor and the CSRF token --------------------------------------------


def test_saving_needs_the_csrf_token(app):
    client = app.test_client()
    login(client, app, "editor")
    body = assert_error(client.post("/plan/scenarios", json={"name": "案", "remove": ["p0012"]}),
                        400)
    assert "CSRF" in body["error"]
    body = assert_error(client.post("/plan/scenarios", json={"name": "案", "remove": ["p0012"]},
                                    headers={"X-CSRFToken": "forged"}), 400)
    assert app_state(app).scenarios.scenarios() == []


def test_saving_needs_an_editor(app, client):
    token = page_config(client)["csrf_token"]  # a visitor's session has a token too
    body = {"name": "案", "remove": ["p0012"]}
    assert_error(client.post("/plan/scenarios", json=body, headers={"X-CSRFToken": token}), 401)
    viewer = app.test_client()
    token = login(viewer, app, "viewer")
    assert_error(viewer.post("/plan/scenarios", json=body, headers={"X-CSRFToken": token}), 403)
    assert app_state(app).scenarios.scenarios() == []


def test_deleting_needs_an_editor_and_the_token(app, editor):
    saved = save(editor, {"name": "案A", "remove": ["p0012"]})["scenario"]
    url = saved["urls"]["self"]
    assert_error(editor.delete(url), 400)
    viewer = app.test_client()
    token = login(viewer, app, "viewer")
    assert_error(viewer.delete(url, headers={"X-CSRFToken": token}), 403)
    assert_error(app.test_client().delete(url, headers={"Accept": "application/json"}), 400)
    assert editor.delete(url, headers={"X-CSRFToken": editor.token}).get_json() == {
        "ok": True, "deleted": saved["scenario_id"]}
    assert_error(editor.delete(url, headers={"X-CSRFToken": editor.token}), 404)


# ---- scenarios over HTTP ------------------------------------------------------------------


def test_save_list_load(app, editor, client):
    state = app_state(app).maps
    site = state.plan.suggestions.iloc[0]
    body = {"name": "案A 駅の東", "district": site["district"], "threshold": 500,
            "add": [{"lonlat": [site.geometry.x, site.geometry.y], "label": site["name"]}],
            "remove": ["p0012"]}
    saved = save(editor, body)["scenario"]
    assert saved["scenario_id"].startswith("s") and saved["created_by"] == "plan-editor"
    assert saved["summary"] == "新設1か所・廃止1か所"
    listed = editor.get("/plan/scenarios").get_json()
    assert listed["can_edit"] is True
    assert [s["name"] for s in listed["scenarios"]] == ["案A 駅の東"]
    public = client.get("/plan/scenarios").get_json()
    assert public["can_edit"] is False and "created_by" not in public["scenarios"][0]
    loaded = client.get(saved["urls"]["self"]).get_json()
    assert loaded["scenario"]["add"] == body["add"]
    outcome = loaded["outcome"]
    assert outcome["district_name"] == site["district"]
    at_500 = next(r for r in outcome["city"] if r["threshold"] == 500.0)
    what_if = client.post("/api/what-if", json={
        "add": [body["add"][0]["lonlat"]], "remove": ["p0012"]}).get_json()
    assert at_500["after"]["covered"] == pytest.approx(
        next(r for r in what_if["city"] if r["threshold"] == 500.0)["after"]["covered"])
    assert [r["threshold"] for r in outcome["district"]] == [300.0, 500.0, 800.0]
    assert outcome["added"][0]["district"] == site["district"]
    assert outcome["removed"][0]["name"] == "六郷長寿センター"


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"name": "", "remove": ["p0012"]}, 400, "empty"),
    ({"name": "案", "add": [], "remove": []}, 400, "nothing to save"),
    ({"name": "案", "remove": ["p9999"]}, 400, "p9999"),
    ({"name": "案", "add": [{"lonlat": [140.5, 36.3]}]}, 400, "outside the study area"),
    ({"name": "案", "remove": ["p0012"], "colour": "red"}, 400, "unknown field"),
])
def test_bad_scenarios_are_refused(editor, body, status, words):
    answer = save(editor, body, status=status)
    assert answer["ok"] is False and words in answer["error"]


def test_unknown_district_is_404_json(editor):
    body = assert_error(editor.post("/plan/scenarios", json={
        "name": "案", "district": "どこ", "remove": ["p0012"]},
        headers={"X-CSRFToken": editor.token}), 404)
    assert "districts" in body and "page_message" not in body


def test_duplicate_name_is_409(editor):
    save(editor, {"name": "案A", "remove": ["p0012"]})
    answer = save(editor, {"name": "案A", "remove": ["p0013"]}, status=409)
    assert "already saved" in answer["error"]


def test_unknown_scenario(client):
    assert_error(client.get("/plan/scenarios/s9999"), 404)
    page = client.get("/plan/scenarios/s9999.csv")
    assert page.status_code == 404 and "この計画案は見つかりません" in page.get_data(as_text=True)


# ---- names are escaped; exports ----------------------------------------------------------


def test_a_malicious_name_is_escaped(editor, client):
    first = save(editor, {"name": EVIL, "remove": ["p0012"],
                          "add": [{"lonlat": [139.0035, 36.3205], "label": "<b>候補</b>"}]})
    second = save(editor, {"name": "案B", "remove": ["p0013"]})
    ids = f"{first['scenario']['scenario_id']},{second['scenario']['scenario_id']}"
    for path in (f"/plan/compare?ids={ids}", f"/plan/compare?ids={ids}&fragment=1"):
        html = client.get(path).get_data(as_text=True)
        assert escape(EVIL) in html and EVIL not in html
        assert "&lt;b&gt;候補&lt;/b&gt;" in html and "<b>候補" not in html
    # JSON carries it as text, and the page's script sets it with textContent only
    assert client.get("/plan/scenarios").get_json()["scenarios"][0]["name"] == EVIL
    scripts = "".join(path.read_text() for path in
                      (Path(webmap.__file__).parent / "static" / "plan").glob("*.js"))
    assert scripts.count(".innerHTML =") == 1  # the server-escaped comparison table


def test_compare(app, editor, client):
    state = app_state(app).maps
    site = state.plan.suggestions.iloc[0]
    a = save(editor, {"name": "案A", "district": site["district"],
                      "add": [{"lonlat": [site.geometry.x, site.geometry.y],
                               "label": site["name"]}]})["scenario"]
    b = save(editor, {"name": "案B", "remove": ["p0012"]})["scenario"]
    html = client.get(f"/plan/compare?ids={a['scenario_id']},{b['scenario_id']}"
                      ).get_data(as_text=True)
    assert "計画案の比較" in html and "案A" in html and "案B" in html
    assert "直線500 m（徒歩約11分）" in html and "市全体" in html
    assert "新設1か所・廃止0か所" in html and "六郷長寿センター" in html
    assert f"{site['district']}地区" in html  # 案A's own district
    fragment = client.get(f"/plan/compare?ids={a['scenario_id']},{b['scenario_id']}"
                          f"&district={quote('六郷・北部')}&fragment=1").get_data(as_text=True)
    assert "<html" not in fragment and "（六郷・北部）" in fragment
    assert client.get("/plan/compare").status_code == 400
    assert client.get("/plan/compare?ids=s9999").status_code == 404


def test_a_place_gone_since_saving_is_left_out(app, client):
    store = app_state(app).scenarios
    saved = store.save("古い案", {"remove": ["p0012", "p9999"]}, user="test")
    outcome = client.get(f"/plan/scenarios/{saved['scenario_id']}").get_json()["outcome"]
    assert outcome["missing"] == ["p9999"]
    assert [r["place_id"] for r in outcome["removed"]] == ["p0012"]


def test_csv_export(app, editor, client):
    site = app_state(app).maps.plan.suggestions.iloc[0]
    saved = save(editor, {"name": "=HYPERLINK(\"x\")案", "district": site["district"],
                          "add": [{"lonlat": [site.geometry.x, site.geometry.y],
                                   "label": "-候補"}],
                          "remove": ["p0012"]})["scenario"]
    response = client.get(saved["urls"]["csv"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "filename*=UTF-8''s" in response.headers["Content-Disposition"]
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["計画案", "'=HYPERLINK(\"x\")案"]  # never run as a formula
    assert rows[1] == ["計算方法", "直線距離による概算（迂回係数1.3）"]
    assert rows[2] == ["人口", "総人口"]
    header = rows.index(["範囲", "徒歩圏の目安", "人口", "徒歩圏内の人（いま）",
                         "徒歩圏内の人（この案）", "増減（人）", "割合（いま・%）",
                         "割合（この案・%）"])
    table = rows[header + 1:header + 7]
    assert [r[0] for r in table] == ["市全体"] * 3 + [f"{site['district']}地区"] * 3
    for row in table:
        assert int(row[4]) - int(row[3]) == int(row[5])
    changes = rows[header + 8:]
    assert changes[0] == ["変更", "名称", "地区", "経度", "緯度"]
    assert changes[1][:3] == ["新設（計画）", "'-候補", site["district"]]
    assert changes[2][:3] == ["廃止を想定", "六郷長寿センター", "六郷・北部"]


def test_sheet_exports(editor, client):
    saved = save(editor, {"name": EVIL, "remove": ["p0012"],
                          "add": [{"lonlat": [139.0035, 36.3205], "label": "候補"}]})["scenario"]
    png = client.get(saved["urls"]["png"])
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert Image.open(io.BytesIO(png.data)).size == (1240, 1754)  # A4 at 150 dpi
    pdf = client.get(saved["urls"]["pdf"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(saved["urls"]["png"].replace("map.png", "map.gif")).status_code == 404
    assert client.get(saved["urls"]["png"] + "?paper=B5").status_code == 400


def test_network_page(tmp_path):
    from nagoya_city import write_nagoya_config

    from webmap.web.app import create_app

    app = create_app({"TESTING": True, "CONFIG": str(write_nagoya_config(tmp_path))})
    config = page_config(app.test_client())
    assert config["method"] == "network"
    assert config["method_note"] == "計算方法：道のりによる計算・高齢者（毎分60 m）・平坦と仮定"
    assert config["basis_note"] == "人口は65歳以上人口で数えています"
    assert [t["label"] for t in config["thresholds"]] == ["道のり3分", "道のり5分", "道のり8分"]
    assert config["threshold"] == 5.0 and config["urls"]["reach"].endswith("?minutes=")
