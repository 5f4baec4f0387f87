"""Repeated public GETs answered from memory (``webmap.web.replay``, issue #9's load target).

A replayed answer must be exactly the answer Flask gives for that request (status, every
header but ``Date``, the body), must follow every change of the data, and must never be used
for a request that carries a cookie, credentials or a condition. Flask's own answer is had
by sending a request Replay leaves alone (one with a cookie).
"""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from admin_helpers import place_fields, post_form, unique
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webmap.web.base import app_state
from webmap.web.replay import Replay

BROWSER = {"Accept-Encoding": "gzip, deflate, br"}
PLAIN = {"Accept-Encoding": "identity"}


def _to_flask(app):
    """A client whose requests carry a cookie no part of ibasho reads: they go to Flask, as a
    logged-in browser's would."""
    client = app.test_client()
    client.set_cookie("unrelated", "1")
    return client


def _replay(app) -> Replay:
    assert isinstance(app.wsgi_app, Replay)
    return app.wsgi_app


def _without_date(response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items() if k != "Date")


@pytest.mark.parametrize("path", ["/api/places", "/api/stops", "/", "/districts",
                                  "/api/places?basis=total", "/api/buffers?radius=500"])
def test_a_replayed_answer_is_the_answer_flask_gives(client, app, path) -> None:
    first = client.get(path, headers=BROWSER)
    assert first.status_code == 200
    replayed_before = _replay(app).info()["replayed"]
    again = client.get(path, headers=BROWSER)
    assert _replay(app).info()["replayed"] == replayed_before + 1
    flask = _to_flask(app).get(path, headers=BROWSER)
    assert _replay(app).info()["replayed"] == replayed_before + 1  # the cookie went to Flask
    for answer in (again, flask):
        assert answer.status_code == 200
        assert answer.data == first.data
        assert _without_date(answer) == _without_date(first)
        assert answer.headers["Date"]
    assert first.headers.get("Content-Encoding") in {"br", "gzip"}


def test_each_encoding_is_kept_apart(client) -> None:
    for encoding in ["br", "gzip", "identity", "br", "gzip", "identity"]:
        answer = client.get("/api/places", headers={"Accept-Encoding": encoding})
        assert answer.headers.get("Content-Encoding", "identity") == encoding
        body = {"br": brotli.decompress, "gzip": gzip.decompress,
                "identity": bytes}[encoding](answer.data)
        assert json.loads(body)["type"] == "FeatureCollection"


def test_conditions_and_other_methods_go_to_flask(client, app) -> None:
    etag = client.get("/api/places", headers=BROWSER).headers["ETag"]
    replayed = _replay(app).info()["replayed"]
    assert client.get("/api/places", headers={**BROWSER, "If-None-Match": etag}).status_code == 304
    assert client.head("/api/places", headers=BROWSER).status_code == 200
    assert client.get("/api/places", headers={**BROWSER, "Range": "bytes=0-10"}).status_code in (
        200, 206)
    assert client.get("/api/places", headers={**BROWSER, "Authorization": "Basic eDp5"}
                      ).status_code == 200
    assert client.post("/api/what-if", json={"remove": "p0001"}).status_code == 200
    assert _replay(app).info()["replayed"] == replayed


def test_answers_made_per_request_are_never_kept(client, app) -> None:
    kept = _replay(app).info()["kept"]
    for _ in range(2):
        assert client.get("/api/near?lat=36.3219&lon=139.0035", headers=BROWSER).status_code == 200
        assert client.get("/api/health", headers=BROWSER).status_code == 200
        assert client.get("/api/places/nowhere", headers=BROWSER).status_code == 404
    assert _replay(app).info()["kept"] == kept


def test_an_edit_is_served_at_once_and_the_old_answer_never_again(admin_app, editor) -> None:
    public = admin_app.test_client()
    replay = _replay(admin_app)
    before = public.get("/api/places", headers=PLAIN).get_json()
    assert public.get("/api/places", headers=PLAIN).get_json() == before
    name = unique("リプレイのサロン")
    assert post_form(editor, "/admin/places/new", place_fields(name)).status_code == 302
    replayed = replay.info()["replayed"]
    after = public.get("/api/places", headers=PLAIN).get_json()
    assert replay.info()["replayed"] == replayed  # the old state's answer was not used
    names = {feature["properties"]["name"] for feature in after["features"]}
    assert name in names and len(after["features"]) == len(before["features"]) + 1
    page = public.get("/", headers=PLAIN).get_data(as_text=True)
    assert name in page
    assert app_state(admin_app).live.version == app_state(admin_app).live.database.data_version()


QUERIES = st.text(st.sampled_from("abcé=&%+;.-_0123456789"), max_size=40)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERIES, path=st.sampled_from(["/api/places", "/api/districts", "/",
                                            "/api/buffers", "/api/grid", "/api/gaps"]))
def test_any_query_replays_flasks_answer_and_memory_stays_bounded(client, app, query,
                                                                   path) -> None:
    url = f"{path}?{query}" if query else path
    first = client.get(url, headers=BROWSER)
    again = client.get(url, headers=BROWSER)
    flask = _to_flask(app).get(url, headers=BROWSER)
    assert first.status_code == again.status_code == flask.status_code
    assert first.data == again.data == flask.data
    assert _without_date(first) == _without_date(again) == _without_date(flask)
    info = _replay(app).info()
    assert info["answers"] <= _replay(app).max_answers
    assert info["bytes"] <= _replay(app).max_bytes


def test_the_least_recently_used_answers_go_first() -> None:
    calls = []

    def wsgi(environ, start_response):
        calls.append(environ["QUERY_STRING"])
        environ["ibasho.replayable"] = True
        start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Accept-Encoding")])
        return [b"x" * 10]

    state = type("State", (), {})()
    replay = Replay(wsgi, current_state=lambda: state, before=lambda: None, max_answers=3,
                    max_bytes=25)

    def get(query: str) -> bytes:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": query}
        return b"".join(replay(environ, lambda status, headers, exc_info=None: None))

    for query in ["a", "b", "c", "a", "b", "c"]:
        assert get(query) == b"x" * 10
    assert replay.info()["bytes"] <= 25 and replay.info()["answers"] <= 2
    assert calls == ["a", "b", "c", "a", "b", "c"]  # 25 bytes hold two: a, b, c evict in turn
    assert get("c") == b"x" * 10 and calls[-1] == "c" and replay.info()["replayed"] == 1


def test_answers_that_set_a_cookie_or_vary_on_more_are_not_kept() -> None:
    headers_of = {"cookie": [("Set-Cookie", "s=1")], "vary": [("Vary", "Accept-Encoding, Cookie")],
                  "plain": [("Vary", "Accept-Encoding")]}

    def wsgi(environ, start_response):
        environ["ibasho.replayable"] = True
        start_response("200 OK", headers_of[environ["PATH_INFO"].strip("/")])
        return [b"body"]

    state = object.__new__(type("State", (), {}))
    replay = Replay(wsgi, current_state=lambda: state, before=lambda: None)
    for path in ["/cookie", "/vary", "/plain"]:
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": ""}
        replay(environ, lambda status, headers, exc_info=None: None)
    assert replay.info()["answers"] == 1
