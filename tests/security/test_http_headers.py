"""HTTP hygiene of the served app: a real ``ibasho serve`` (waitress) process over loopback.

No ``Server`` banner; gzip/brotli with ``Content-Encoding`` and ``Vary``; the city map page
under 400 KB on the wire; ``ETag`` and 304 on revalidation; versioned static files kept for a
year; HSTS only on requests that came over https (behind a proxy the app was told to trust);
bodies over the limit refused before they are read. Sizes are asserted, never times (speed is
``scripts/bench_load.py``'s).
"""

from __future__ import annotations

import gc
import gzip
import http.client
import json
import re
import socket
from urllib.parse import quote, urlsplit

import brotli
import pytest
from served import served_app

from webmap.web.json_body import MAX_JSON_BYTES
from webmap.web.security import HSTS, MAX_UPLOAD_BYTES, proxy_count

#: A browser's Accept-Encoding (zstd left out: it is negotiated the same way).
BROWSER = "gzip, deflate, br"


def fetch(base: str, path: str, *, method: str = "GET", headers: dict | None = None,
          body: bytes | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request as sent on the wire: status, headers and the body's bytes as received."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.headers, answer.read()
    finally:
        connection.close()


def decoded(headers: http.client.HTTPMessage, data: bytes) -> bytes:
    encoding = headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "br":
        return brotli.decompress(data)
    assert encoding is None, encoding
    return data


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``ibasho serve`` on Takasaki as deployed without a proxy setting: two processes, so
    that revalidation is tested when the answers come from either."""
    database = tmp_path_factory.mktemp("served-http") / "ibasho-data.gpkg"
    log = tmp_path_factory.mktemp("served-http-log") / "serve.log"
    with served_app(str(database), log_path=log, workers=2) as url:
        yield url


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    """``ibasho serve`` told that one reverse proxy (which ends TLS) is in front."""
    database = tmp_path_factory.mktemp("served-proxy") / "ibasho-data.gpkg"
    with served_app(str(database), env={"IBASHO_PROXY_FIX": "1"}) as url:
        yield url


# ---- the banner -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/", None), ("GET", "/api/places", None), ("GET", "/static/site.css", None),
    ("GET", "/no/such/page", None), ("GET", "/api/near?lat=0&lon=0", None),
    ("POST", "/api/what-if", b'{"remove": "p0001"}'), ("POST", "/api/what-if", b"[[[["),
])
def test_no_server_banner(served, method, path, body):
    status, headers, _ = fetch(served, path, method=method, body=body,
                               headers={"Content-Type": "application/json"})
    assert status in (200, 400, 404)
    assert not headers.get("Server")
    assert "waitress" not in str(headers).lower()


# ---- compression ------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_the_city_map_is_compressed_under_400_kb(served, encoding):
    status, plain_headers, plain = fetch(served, "/")
    assert status == 200 and plain_headers.get("Content-Encoding") is None
    assert len(plain) > 1_000_000  # the folium page with every layer inline
    status, headers, wire = fetch(served, "/", headers={"Accept-Encoding": encoding})
    assert status == 200 and headers["Content-Encoding"] == encoding
    assert "accept-encoding" in headers["Vary"].lower()
    assert int(headers["Content-Length"]) == len(wire)
    assert len(wire) <= 400 * 1024, f"{len(wire) / 1024:.0f} KB on the wire"
    assert decoded(headers, wire) == plain


@pytest.mark.parametrize("path", ["/api/stops", "/api/places", "/api/coverage", "/districts",
                                  "/near", "/plan"])
def test_html_and_json_are_compressed(served, path):
    status, _, plain = fetch(served, path)
    assert status == 200
    status, headers, wire = fetch(served, path, headers={"Accept-Encoding": BROWSER})
    assert status == 200 and headers["Content-Encoding"] == "br"
    assert "accept-encoding" in headers["Vary"].lower()
    assert len(wire) < len(plain) / 2
    token = re.compile(rb'"csrf_token": ?"[^"]*"')  # /plan has one per session
    assert token.sub(b"", decoded(headers, wire)) == token.sub(b"", plain)


def test_gzip_when_brotli_is_not_accepted(served):
    status, _, plain = fetch(served, "/api/stops")
    status, headers, wire = fetch(served, "/api/stops", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(wire) == plain
    assert len(wire) < len(plain) / 10  # 2 MB of timetables
    status, headers, _ = fetch(served, "/api/stops", headers={"Accept-Encoding": "identity"})
    assert headers.get("Content-Encoding") is None


def test_the_what_if_answer_is_compressed(served):
    body = json.dumps({"remove": ["p0001", "p0012"]}).encode()
    _, _, plain = fetch(served, "/api/what-if", method="POST", body=body,
                                         headers={"Content-Type": "application/json"})
    status, headers, wire = fetch(served, "/api/what-if", method="POST", body=body,
                                  headers={"Content-Type": "application/json",
                                           "Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    answer = json.loads(gzip.decompress(wire))
    assert answer["ok"] is True and [r["place_id"] for r in answer["removed"]] == [
        "p0001", "p0012"]
    assert answer["city"] == json.loads(plain)["city"]


# ---- revalidation -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/districts", "/api/places", "/api/stops",
                                  "/api/buffers?radius=500"])
@pytest.mark.parametrize("encoding", ["br", "gzip", "identity"])
def test_etag_and_304(served, path, encoding):
    status, headers, wire = fetch(served, path, headers={"Accept-Encoding": encoding})
    assert status == 200
    etag = headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}(:(br|gzip))?"', etag), etag
    assert (etag.endswith(f':{encoding}"')) == (encoding != "identity")
    assert "no-cache" in headers["Cache-Control"]
    status, again, body = fetch(served, path, headers={"Accept-Encoding": encoding,
                                                       "If-None-Match": etag})
    assert status == 304 and body == b""
    assert again["ETag"] == etag
    status, _, body = fetch(served, path, headers={"Accept-Encoding": encoding,
                                                   "If-None-Match": '"not-this-one"'})
    assert status == 200 and body == wire


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_the_same_data_has_the_same_bytes_and_tag_in_every_process(served, behind_proxy,
                                                                   encoding):
    """The tag is a hash of the bytes, so two servers (or a restart) agree on it, and send
    the same bytes under it: map pages too (folium's random element names are numbered in
    order) and gzip too (no compression time in its header)."""
    for path in ("/", "/districts/倉賀野", "/api/places", "/api/stops", "/districts"):
        answers = [fetch(base, quote(path), headers={"Accept-Encoding": encoding})
                   for base in (served, behind_proxy)]
        assert {headers["ETag"] for _, headers, _ in answers} != set()
        assert len({headers["ETag"] for _, headers, _ in answers}) == 1, path
        assert len({wire for _, _, wire in answers}) == 1, path


def test_answers_made_per_request_have_no_tag(served):
    status, headers, _ = fetch(served, "/api/near?lat=36.3223&lon=139.0032",
                               headers={"Accept-Encoding": BROWSER})
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert headers.get("ETag") is None


# ---- static files -----------------------------------------------------------------------


def static_urls(served) -> list[str]:
    _, _, html = fetch(served, "/")
    return sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html.decode())))


def test_pages_link_versioned_static_files_kept_for_a_year(served):
    urls = static_urls(served)
    assert any("leaflet.js?v=" in u for u in urls) and any("site.css?v=" in u for u in urls)
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{16}$", url), url
        status, headers, wire = fetch(served, url, headers={"Accept-Encoding": BROWSER})
        assert status == 200, url
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        if url.split("?")[0].endswith((".js", ".css")) and len(decoded(headers, wire)) > 1000:
            assert headers["Content-Encoding"] == "br", url


def test_unversioned_or_stale_static_urls_are_revalidated(served):
    url = next(u for u in static_urls(served) if "leaflet.js" in u)
    for stale in (url.split("?")[0], url.split("?")[0] + "?v=0123456789abcdef"):
        status, headers, _ = fetch(served, stale)
        assert status == 200
        assert "immutable" not in headers["Cache-Control"]
        assert "no-cache" in headers["Cache-Control"]
        status, _, body = fetch(served, stale, headers={"If-None-Match": headers["ETag"]})
        assert status == 304 and body == b""


def test_static_files_are_compressed_once_and_closed(client):
    """In-process: the file behind a compressed static answer is closed with the answer (an
    open file is a ResourceWarning, an error here), and the bytes are the file's."""
    from webmap.maps.assets import STATIC_DIR, static_version

    url = f"/static/near/near.js?v={static_version('near/near.js')}"
    for _ in range(2):  # the second answer comes from the compression cache
        response = client.get(url, headers={"Accept-Encoding": "br"})
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.data) == (STATIC_DIR / "near/near.js").read_bytes()
        response.close()
    gc.collect()


def test_versions_change_with_the_file(served):
    """The version is the file's hash: the near page's script and Leaflet differ."""
    _, _, html = fetch(served, "/near")
    versions = dict(re.findall(r'/static/([\w/.-]+)\?v=([0-9a-f]{16})', html.decode()))
    assert versions["near/near.js"] != versions["near/near.css"]


# ---- HSTS -------------------------------------------------------------------------------


def test_no_hsts_on_plain_http(served):
    _, headers, _ = fetch(served, "/")
    assert headers.get("Strict-Transport-Security") is None


def test_proxy_headers_are_not_trusted_by_default(served):
    """Anyone can send X-Forwarded-Proto; without IBASHO_PROXY_FIX it changes nothing."""
    _, headers, _ = fetch(served, "/", headers={"X-Forwarded-Proto": "https",
                                                "X-Forwarded-Host": "evil.example"})
    assert headers.get("Strict-Transport-Security") is None


def test_hsts_behind_a_proxy_that_says_https(behind_proxy):
    _, headers, _ = fetch(behind_proxy, "/", headers={"X-Forwarded-Proto": "https"})
    assert headers["Strict-Transport-Security"] == HSTS
    _, headers, _ = fetch(behind_proxy, "/api/places", headers={"X-Forwarded-Proto": "https"})
    assert headers["Strict-Transport-Security"] == HSTS
    _, headers, _ = fetch(behind_proxy, "/", headers={"X-Forwarded-Proto": "http"})
    assert headers.get("Strict-Transport-Security") is None
    _, headers, _ = fetch(behind_proxy, "/")
    assert headers.get("Strict-Transport-Security") is None


@pytest.mark.parametrize(("value", "count"), [(None, 0), ("", 0), ("0", 0), (1, 1), ("2", 2),
                                              (True, 1), ("true", 1), ("off", 0)])
def test_proxy_fix_setting(value, count):
    assert proxy_count(value) == count


@pytest.mark.parametrize("value", ["abc", "-1", "9", "1.5", "*"])
def test_a_wrong_proxy_fix_setting_is_refused_with_the_fix(value):
    with pytest.raises(ValueError, match=r"IBASHO_PROXY_FIX=.* set it to 1 behind one"):
        proxy_count(value)


# ---- bodies over the limit --------------------------------------------------------------


def test_a_json_body_over_its_limit_is_413_in_the_error_shape(served):
    body = b'{"remove": "' + b"p" * MAX_JSON_BYTES + b'"}'
    status, _, data = fetch(served, "/api/what-if", method="POST", body=body,
                                  headers={"Content-Type": "application/json"})
    assert status == 413
    answer = json.loads(data)
    assert answer["ok"] is False and answer["status"] == 413


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(served):
    """waitress answers from the Content-Length alone (it would otherwise buffer up to 1 GB);
    the body is never sent."""
    status, headers, data = fetch(served, "/api/what-if", method="POST", headers={
        "Content-Type": "application/json",
        "Content-Length": str(MAX_UPLOAD_BYTES + 512 * 1024)})
    assert status == 413
    assert not headers.get("Server") and b"waitress" not in data
    # the server is still there
    assert fetch(served, "/api/health")[0] == 200


# ---- many clients at once ---------------------------------------------------------------


def test_more_than_a_hundred_connections_are_all_answered(served):
    """waitress's default limit (100, its listening socket included) left the last clients of
    a hundred unaccepted; ``ibasho serve`` accepts 500."""
    parts = urlsplit(served)
    clients = [socket.create_connection((parts.hostname, parts.port), timeout=30)
               for _ in range(120)]
    try:
        for client in clients:  # all open at once, each asks once and keeps the connection
            client.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        for client in clients:
            assert client.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        for client in clients:
            client.close()
