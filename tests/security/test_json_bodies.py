"""Every JSON endpoint answers any body with its real success or a clean error, never a 500.

The JSON endpoints (every ``request`` body read in ``webmap/``): ``POST /api/what-if`` (anyone)
and ``POST /plan/scenarios`` (an editor, with the CSRF token). Both read their body through
:func:`webmap.web.json_body.read_json_object`. Hypothesis posts arbitrary bodies: random bytes,
invalid UTF-8, JSON-ish values with NaN/Infinity, huge numbers and wrong types, deeply nested
arrays; the answer is the endpoint's success or 400/413 (404 for an unknown district, 409 for
a name already used) in the one error shape ``{"ok": false, "error", "status"}``.

The resident API's two position endpoints, ``/api/near`` and ``/api/whereami``, follow one
rule for points outside the study area (checked here too).
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.store.scenarios import ScenarioStore
from webmap.web.base import app_state
from webmap.web.json_body import MAX_JSON_BYTES, MAX_JSON_DEPTH
from webmap.web.resident.views import OUTSIDE_LIMIT_M

FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

#: What each endpoint may answer besides its success: a clean refusal, never a 500.
REFUSALS = {"/api/what-if": {400, 413}, "/plan/scenarios": {400, 404, 409, 413}}
SUCCESS = {"/api/what-if": 200, "/plan/scenarios": 201}

NUMBERS = st.one_of(
    st.integers(), st.integers(min_value=10**20, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([139.01, 36.32, 0, -0.0, 1e308, 5e-324, 2**53 + 1]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=20),
                    st.sampled_from(["p0001", "p0012", "", "\ud800", "\x00", "案A",
                                     "<script>alert(1)</script>", "{{ 7*7 }}", "=1+1"]))
KEYS = st.one_of(st.sampled_from(["add", "remove", "name", "district", "threshold", "label",
                                  "lonlat", "version"]), st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)),
    max_leaves=12)


def _dumps(value) -> bytes:
    """JSON as a careless client writes it: NaN and Infinity as bare words, surrogates kept."""
    return json.dumps(value, allow_nan=True).encode("utf-8")


@st.composite
def bodies(draw) -> bytes:
    """A body of any kind: JSON-ish values, objects with the endpoints' fields, or junk."""
    kind = draw(st.sampled_from(["value", "object", "nested", "bytes", "text", "number"]))
    if kind == "value":
        return _dumps(draw(VALUES))
    if kind == "object":
        return _dumps(draw(st.dictionaries(KEYS, VALUES, max_size=5)))
    if kind == "nested":
        depth = draw(st.integers(min_value=1, max_value=200_000))
        opener = draw(st.sampled_from(["[", '{"a":', '{"add":[', '{"remove":[']))
        closer = {"[": "]", '{"a":': "}", '{"add":[': "]}", '{"remove":[': "]}"}[opener]
        return (opener * depth + "1" + closer * depth).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "text":
        return draw(st.sampled_from([
            b"", b" ", b"null", b"[]", b'"add"', b"{", b'{"add": [139.01, 36.32]', b"NaN",
            b'{"remove": "\xff\xfe"}', b'\xef\xbb\xbf{"remove": "p0001"}',
            b'{"remove": "\\ud800"}', b'{"add": [1e999, 36]}', b'{"add": [-Infinity, 36]}',
            b"{'remove': 'p0001'}", b'{"remove": "p0001",}']))
    digits = draw(st.integers(min_value=1, max_value=6000))
    return b'{"add": [' + b"9" * digits + b', 36.32], "threshold": ' + b"1" * digits + b"}"


def assert_clean(response, path: str) -> None:
    """The endpoint's success, or a refusal in the one JSON error shape."""
    assert response.status_code != 500, response.get_data(as_text=True)[:300]
    if response.status_code == SUCCESS[path]:
        assert response.get_json()["ok"] is True
        return
    assert response.status_code in REFUSALS[path], response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["ok"] is False and body["status"] == response.status_code
    assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in body["error"]


@pytest.fixture(scope="module")
def editor(app):
    """A client logged in as an editor, with its CSRF token (the planner page's way)."""
    users = app_state(app).users
    if users.get("json-fuzz-editor") is None:
        users.create_user("json-fuzz-editor", "correct horse battery", role="editor")
    client = app.test_client()
    form = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    client.post("/admin/login", data={"name": "json-fuzz-editor",
                                      "password": "correct horse battery", "csrf_token": token})
    page = client.get("/plan").get_data(as_text=True)
    config = page.split('id="plan-config">', 1)[1].split("</script>", 1)[0]
    client.token = json.loads(config)["csrf_token"]
    yield client
    store = ScenarioStore(users.database)
    for scenario in store.scenarios():
        if scenario["created_by"] == "json-fuzz-editor":
            store.delete(scenario["scenario_id"], user="test")


def post(client, path: str, data: bytes, content_type: str = "application/json"):
    return client.post(path, data=data, content_type=content_type,
                       headers={"X-CSRFToken": getattr(client, "token", "")})


@FUZZ
@given(body=bodies(), content_type=st.sampled_from(["application/json", "text/plain"]))
def test_what_if_answers_any_body_cleanly(client, body, content_type):
    assert_clean(post(client, "/api/what-if", body, content_type), "/api/what-if")


@FUZZ
@given(body=bodies())
def test_saving_a_scenario_answers_any_body_cleanly(editor, body):
    assert_clean(post(editor, "/plan/scenarios", body), "/plan/scenarios")


# ---- each problem the review found, by name ---------------------------------------------

DEEP = "[" * 30_000 + "]" * 30_000  # under the byte limit, far over any recursion limit


@pytest.mark.parametrize(("data", "words"), [
    (DEEP.encode(), "nested"),
    (('{"add": ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "}").encode(),
     "nested"),
    (b'{"add": [NaN, 36.3]}', "NaN"),
    (b'{"add": [Infinity, 36.3]}', "Infinity"),
    (b'{"add": [1e400, 36.3]}', "too large"),
    (b'{"add": [' + b"1" * 401 + b', 36.3]}', "digits"),
    (b'{"add": [' + b"1" * 5000 + b', 36.3]}', "digits"),
    (b'{"remove": "\xff"}', "UTF-8"),
    (b'{"remove": "\\udc00"}', "surrogate"),
    (b"[139.01, 36.32]", "must be a JSON object, got a list"),
    (b'"p0001"', "must be a JSON object, got text"),
    (b"", "empty"),
    (b"remove=p0001", "not JSON"),
    (b'{"add": "139.01,36.32"}', '"add" must be a list, got text'),
    (b'{"remove": 12}', '"remove" must be text or a list, got a number'),
    (b'{"remove": true}', '"remove" must be text or a list, got true or false'),
    (b'{"remove": {"id": "p0001"}}', '"remove" must be text or a list, got an object'),
    (b'{"add": [true, 36.3]}', "two numbers"),
    (b'{"remove": "p0001", "colour": "red"}', "unknown field"),
])
def test_bad_what_if_bodies_are_400(client, data, words):
    response = post(client, "/api/what-if", data)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body == {"ok": False, "error": body["error"], "status": 400}
    assert words in body["error"] and '{"add": [lon, lat]}' in body["error"]
    assert len(body["error"]) < 1000  # the value is quoted briefly, not echoed whole


def test_a_body_over_the_limit_is_413_unread(client):
    data = b'{"remove": [' + b'"p0001",' * (MAX_JSON_BYTES // 8) + b'"p0001"]}'
    response = post(client, "/api/what-if", data)
    assert response.status_code == 413
    body = response.get_json()
    assert body["ok"] is False and body["status"] == 413
    assert f"{MAX_JSON_BYTES:,} bytes" in body["error"]


def test_the_largest_real_what_if_fits(client, takasaki):
    """100 changes (the most allowed) are well within the byte limit."""
    ids = takasaki.places.loc[takasaki.places.geometry.notna(), "place_id"].tolist()[:50]
    body = {"add": [[139.0 + i / 1000, 36.32] for i in range(50)], "remove": ids}
    assert len(json.dumps(body)) < MAX_JSON_BYTES / 4
    response = client.post("/api/what-if", json=body)
    assert response.status_code == 200 and len(response.get_json()["removed"]) == 50


def test_null_fields_mean_not_given(client):
    body = client.post("/api/what-if", json={"add": None, "remove": "p0001"}).get_json()
    assert body["ok"] is True and body["added"] is None and body["removed"]["place_id"] == "p0001"


@pytest.mark.parametrize(("data", "status", "words"), [
    (DEEP.encode(), 400, "nested"),
    (b'{"name": "A", "remove": ["p0012"], "threshold": NaN}', 400, "NaN"),
    (b'{"name": "A", "remove": ["p0012"], "threshold": 1e999}', 400, "too large"),
    (b'{"name": "A", "remove": ["p0012"], "threshold": ' + b"9" * 400 + b"}", 400, "digits"),
    (b'{"name": ["A"], "remove": ["p0012"]}', 400, '"name" must be text, got a list'),
    (b'{"name": "A", "district": ["x"], "remove": ["p0012"]}', 400, '"district" must be text'),
    (b'{"name": "A", "remove": "p0012"}', 400, '"remove" must be a list, got text'),
    (b'{"name": "A", "remove": ["p0012"], "threshold": true}', 400, '"threshold" must be a'),
    (b"\x80\x81", 400, "UTF-8"),
    (b"[]", 400, "must be a JSON object"),
])
def test_bad_scenario_bodies_are_400(editor, data, status, words):
    response = post(editor, "/plan/scenarios", data)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["ok"] is False and body["status"] == status and words in body["error"]


# ---- one rule for positions outside the study area --------------------------------------

#: Around Takasaki and far away: the equator, the antipode, the poles' edges.
LATS = st.one_of(st.floats(min_value=35.9, max_value=36.8), st.floats(min_value=-90, max_value=90))
LONS = st.one_of(st.floats(min_value=138.5, max_value=139.5),
                 st.floats(min_value=-180, max_value=180))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lat=LATS, lon=LONS)
def test_near_and_whereami_agree_on_outside_points(client, lat, lon):
    query = f"lat={lat!r}&lon={lon!r}"
    near = client.get(f"/api/near?{query}")
    where = client.get(f"/api/whereami?{query}")
    assert near.status_code == where.status_code, (near.get_json(), where.get_json())
    if near.status_code == 400:
        for response in (near, where):
            body = response.get_json()
            assert body["ok"] is False and body["reason"] == "outside", body
            assert "km outside 高崎市" in body["error"]
    else:
        assert near.status_code == 200, near.get_json()
        assert where.get_json()["stop"]["distance_m"] < OUTSIDE_LIMIT_M + 10_000


@pytest.mark.parametrize(("lat", "lon"), [(36.3223, 139.0032), (36.30685, 139.05982),
                                          (36.3949, 138.7410)])
def test_points_in_the_city_are_answered_by_both(client, lat, lon):
    for path in ("/api/near", "/api/whereami"):
        response = client.get(f"{path}?lat={lat}&lon={lon}")
        assert response.status_code == 200 and response.get_json()["ok"] is True


@pytest.mark.parametrize(("lat", "lon"), [(-36.32, -41.0), (0.0, 0.0), (35.0, 135.0)])
def test_far_points_are_refused_by_both(client, lat, lon):
    """The review's case: 「いまどこ？」 no longer names a stop thousands of km away."""
    for path in ("/api/near", "/api/whereami"):
        response = client.get(f"{path}?lat={lat}&lon={lon}")
        body = response.get_json()
        assert response.status_code == 400 and body["reason"] == "outside", body
        assert "km outside 高崎市" in body["error"]
