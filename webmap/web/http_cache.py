"""HTTP caching and compression: ETags, revalidation, gzip/brotli made once, static files kept.

- **Bodies made once per state** (the pages ``/``, ``/districts``, ``/districts/<name>`` and
  the GeoJSON API): :func:`cached_response` keeps each body encoded with a strong ``ETag`` (a
  hash of its bytes, so every worker gives the same tag for the same data) in the
  :class:`BodyCache` of the state it is made from (:class:`webmap.web.state.IbashoState`,
  so a new state starts with none), answers ``If-None-Match`` with 304, and says
  ``Cache-Control: no-cache``: a browser keeps the body and asks again each time, so it gets
  the new map after a change made on the staff pages and a 304 otherwise.
- **Rendered files** (printed sheets, guidebooks): a :class:`RenderCache` keeps the last few
  by the options they were rendered with; at most :data:`RENDERS_AT_ONCE` are rendered at a
  time (:class:`RenderGate`), a request that waits longer than :data:`RENDER_WAIT_S` gets 503
  with ``Retry-After``, and a file asked for while it is being made is made once.
- **Compression** (Flask-Compress): HTML, JSON, GeoJSON, JavaScript and CSS of 500 bytes or
  more, in brotli, zstd, gzip or deflate as the browser accepts (``Vary: Accept-Encoding``);
  the tag of a compressed body is ``"<tag>:br"`` and so on. The bodies above are compressed
  once per encoding (:class:`CompressedBodies`, keyed by tag), every other answer per
  request.
- **Static files**: ``url_for("static", ...)`` adds ``?v=<hash of the file>``
  (:func:`webmap.maps.assets.static_version`); a request with the current hash gets
  ``Cache-Control: public, max-age=31536000, immutable``, any other ``no-cache`` with its
  ``ETag`` (revalidated). They are compressed once per file, as the bodies above.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from flask import Flask, Response, g, request
from flask_compress import Compress
from werkzeug.exceptions import ServiceUnavailable

from webmap.i18n import gettext as _
from webmap.maps.assets import static_version
from webmap.web.replay import REPLAYABLE

logger = logging.getLogger(__name__)
__all__ = [
    "COMPRESSED_CACHE_BYTES",
    "RENDERS_AT_ONCE",
    "RENDER_WAIT_S",
    "STATIC_MAX_AGE_S",
    "BodyCache",
    "CachedBody",
    "CompressedBodies",
    "RenderBusy",
    "RenderCache",
    "RenderGate",
    "cached_response",
    "configure_http_cache",
    "gzip_without_time",
]

#: How long a browser keeps a versioned static file (a year; a new version has a new URL).
STATIC_MAX_AGE_S = 365 * 24 * 3600

#: At most this many bytes of compressed bodies are kept (least recently used go first).
COMPRESSED_CACHE_BYTES = 64 * 1024 * 1024

#: At most this many encoded bodies are kept per state (pages of every district, API bodies).
MAX_CACHED_BODIES = 512


#: Files (sheets, guidebooks) rendered at the same time by one process; more requests wait.
RENDERS_AT_ONCE = 2

#: Seconds a request waits for a render slot before it is answered 503 with ``Retry-After``.
RENDER_WAIT_S = 30.0

#: Media types compressed (Flask-Compress's list, plus GeoJSON).
COMPRESSED_TYPES = ["text/html", "text/css", "text/plain", "text/javascript",
                    "application/javascript", "application/json", "application/geo+json",
                    "image/svg+xml"]

_UNCACHED = "-"  # the compression cache key of a body made per request: never stored


@dataclass(frozen=True)
class CachedBody:
    """A body made once per state: its bytes, media type and strong ETag."""

    data: bytes
    mimetype: str
    etag: str


class BodyCache:
    """The encoded bodies made from one state, by key (at most :data:`MAX_CACHED_BODIES`)."""

    def __init__(self) -> None:
        self._bodies: dict[str, CachedBody] = {}
        self._lock = threading.Lock()

    def get_or_make(self, key: str, make: Callable[[], str | bytes],
                    mimetype: str) -> CachedBody:
        """The body of ``key``, made by ``make()`` (text encoded as UTF-8) the first time."""
        with self._lock:
            if key in self._bodies:
                return self._bodies[key]
        made = make()
        data = made.encode("utf-8") if isinstance(made, str) else made
        body = CachedBody(data=data, mimetype=mimetype,
                          etag=hashlib.blake2b(data, digest_size=16).hexdigest())
        with self._lock:
            if len(self._bodies) < MAX_CACHED_BODIES:
                body = self._bodies.setdefault(key, body)
        return body


class RenderBusy(ServiceUnavailable):
    """Every render slot stayed taken while the request waited: 503 with ``Retry-After``."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(description=(
            "Printed files are being made for other people; try again in a minute."),
            retry_after=retry_after_s)
        self.details = {"page_message": _(
            "いま他の方の印刷用ファイルを作っています。1分ほどおいてから、もう一度お試しください。")}


class RenderGate:
    """
    At most ``at_once`` files rendered at the same time in this process (a sheet or a
    guidebook takes seconds of CPU); a request that finds no slot within ``wait_s`` is
    refused with :class:`RenderBusy` rather than queued without end.
    """

    def __init__(self, at_once: int = RENDERS_AT_ONCE, wait_s: float = RENDER_WAIT_S) -> None:
        if at_once < 1 or not wait_s >= 0:
            msg = f"RENDERS_AT_ONCE must be >= 1 and RENDER_WAIT_S >= 0, got {at_once}, {wait_s}."
            raise ValueError(msg)
        self.at_once, self.wait_s = at_once, float(wait_s)
        self._slots = threading.BoundedSemaphore(at_once)

    def render(self, render: Callable[[], bytes]) -> bytes:
        """``render()`` in a free slot."""
        if not self._slots.acquire(timeout=self.wait_s):
            logger.warning("No render slot free within %.0f s: refused (503)", self.wait_s)
            raise RenderBusy(max(1, round(self.wait_s)))
        try:
            return render()
        finally:
            self._slots.release()


class RenderCache:
    """
    Files rendered on request (printed sheets, guidebooks) by the options they were rendered
    with, the least recently used dropped beyond ``size``; counts hits and renders.

    Renders pass through ``gate`` (:class:`RenderGate`; shared by the caches of one app), and
    a file asked for again while it is being rendered is rendered once: the later requests
    wait for the first and get its bytes.
    """

    def __init__(self, size: int, gate: RenderGate | None = None) -> None:
        self.size = size
        self.gate = gate or RenderGate()
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._rendering: dict[Hashable, threading.Event] = {}
        self._counts = {"hits": 0, "renders": 0}
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The file of ``key``, rendered by ``render()`` (in a slot of the gate) when it is not
        kept; raises :class:`RenderBusy` when no slot came free in time."""
        while True:
            with self._lock:
                data = self._items.get(key)
                if data is not None:
                    self._items.move_to_end(key)
                    self._counts["hits"] += 1
                    return data
                started = self._rendering.get(key)
                if started is None:
                    done = self._rendering[key] = threading.Event()
                    break
            started.wait()  # the same file is being made: take it (or try anew if that failed)
        try:
            data = self.gate.render(render)
            with self._lock:
                self._counts["renders"] += 1
                self._items[key] = data
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        finally:
            with self._lock:
                del self._rendering[key]
            done.set()
        return data

    def drop(self, stale: Callable[[Hashable], bool]) -> None:
        """Forget the files whose key is ``stale`` (e.g. of a deleted scenario)."""
        with self._lock:
            for key in [key for key in self._items if stale(key)]:
                del self._items[key]

    def info(self) -> dict[str, int]:
        """``hits``, ``renders`` (misses) and ``size`` (files kept)."""
        with self._lock:
            return {**self._counts, "size": len(self._items)}


class CompressedBodies:
    """
    Flask-Compress's cache backend: compressed bodies by ``"<encoding>;<etag>"``, kept up to
    :data:`COMPRESSED_CACHE_BYTES` (least recently used dropped). Keys of bodies made per
    request (``"<encoding>;-"``) are never stored.
    """

    def __init__(self, max_bytes: int = COMPRESSED_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if key.endswith(";" + _UNCACHED):
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + _UNCACHED) or len(value) > self.max_bytes:
            return
        value = gzip_without_time(value)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return
            self._items[key] = value
            self._size += len(value)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


def gzip_without_time(data: bytes) -> bytes:
    """
    ``data`` with the time in its gzip header set to 0 (RFC 1952: "no time stamp"), if gzip.

    Flask-Compress writes the time of compression into each gzip body, so two processes (or
    one after a restart) sent different bytes under one strong ``ETag``. Other data is
    returned as it is.

    >>> import gzip
    >>> gzip_without_time(gzip.compress(b"ibasho", mtime=1_700_000_000))[4:8]
    b'\\x00\\x00\\x00\\x00'
    >>> gzip_without_time(b"plain")
    b'plain'
    """
    if data[:3] != b"\x1f\x8b\x08" or data[4:8] == b"\0\0\0\0":
        return data
    return data[:4] + b"\0\0\0\0" + data[8:]


def _same_gzip_everywhere(response: Response) -> Response:
    """The body of a gzip answer without its compression time (:func:`gzip_without_time`)."""
    if response.headers.get("Content-Encoding") == "gzip" and not response.is_streamed:
        data = response.get_data()
        fixed = gzip_without_time(data)
        if fixed is not data:
            response.set_data(fixed)
    return response


def _compression_key(_request) -> str:
    """The ETag of a body :func:`cached_response` made once, else "made per request"."""
    return g.get("ibasho_body_etag") or _UNCACHED


def cached_response(key: str, make: Callable[[], str | bytes], *, mimetype: str,
                    bodies: BodyCache, replayable: bool = True) -> Response:
    """
    The body ``make()`` gives, made once per state and ``key``, with its ``ETag`` and
    ``Cache-Control: no-cache``; 304 when the request's ``If-None-Match`` has the tag.
    Compressed once per encoding (see the module notes).

    Parameters
    ----------
    key
        Names the body within a state, e.g. ``"page:/"`` or ``"api:places"``.
    make
        Makes the body (text is encoded as UTF-8); called once per state and key.
    mimetype
        The body's media type (``text/html``, ``application/geo+json``, ...).
    bodies
        The bodies of the state it is made from
        (:attr:`webmap.web.state.IbashoState.bodies`).
    replayable
        False for a body that depends on more than the state (the participation figures,
        which change without new maps): :mod:`webmap.web.replay` never answers it again.
    """
    body = bodies.get_or_make(key, make, mimetype)
    response = Response(body.data, mimetype=body.mimetype)
    response.set_etag(body.etag)
    response.cache_control.no_cache = True
    g.ibasho_body_etag = body.etag
    if replayable:  # the same for everyone while the state is served: may be replayed
        request.environ[REPLAYABLE] = True
    return response.make_conditional(request)


def _static_files(response: Response) -> Response:
    """
    A static file: read into memory (they are small) so that it is compressed once per
    version like a cached body, not streamed through a compressor that would leave the file
    open; kept a year when asked for at its current version, revalidated otherwise.
    """
    if request.endpoint != "static" or response.status_code != 200:
        return response
    if response.is_streamed:
        response.direct_passthrough = False
        response.make_sequence()  # the file is closed when the response is
    etag, _ = response.get_etag()
    if etag:
        g.ibasho_body_etag = f"static:{etag}"
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    if version and version == static_version(filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE_S
        response.cache_control.immutable = True
    return response


def _version_static_urls(endpoint: str, values: dict) -> None:
    """``url_for("static", filename=...)`` adds ``v=<hash of the file>``."""
    if endpoint == "static" and "v" not in values:
        version = static_version(values.get("filename", ""))
        if version:
            values["v"] = version


def configure_http_cache(app: Flask) -> None:
    """
    Compression (Flask-Compress) and the static files' headers.

    Call after the other ``after_request`` functions are registered whose headers must be
    on compressed answers too (Flask runs them last-registered first).
    """
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "zstd", "gzip", "deflate"])
    app.config.setdefault("COMPRESS_STREAMS", False)  # static files are read first (above)
    app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedBodies)
    app.config.setdefault("COMPRESS_CACHE_KEY", _compression_key)
    app.after_request(_same_gzip_everywhere)  # runs after Flask-Compress's (registered next)
    Compress(app)
    app.after_request(_static_files)
    app.url_defaults(_version_static_urls)
