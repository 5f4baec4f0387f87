"""Answer repeated public GETs of bodies made once per state without running Flask again.

The city map, the district pages and the GeoJSON API are made once per state and compressed
once per encoding (:mod:`webmap.web.http_cache`); what still costs time on each request is
Flask itself: the request context, the session, the URL map, the after-request functions that
negotiate the encoding and set a dozen headers (about 0.8 ms a request, against a few
microseconds to send bytes already made). Under a hundred connections that is the whole
queue.

:class:`Replay` is a WSGI middleware in front of the app. An answer Flask gave is kept, whole
(status, every header, the encoded body), when all of these hold:

- the request is a plain ``GET`` without a body, cookies, credentials or conditions
  (``If-None-Match``, ``If-Modified-Since``, ``Range``...): nobody logged in, nothing to
  revalidate;
- the body came from :func:`webmap.web.http_cache.cached_response` (it marks the request), so it
  depends on the state and the address alone;
- the answer is a 200 that sets no cookie and varies on nothing but ``Accept-Encoding``;
- the served state did not change while it was made.

The next request with the same address, query, ``Accept-Encoding``, host, scheme and proxy
headers is answered from it (with a fresh ``Date``), after the same cheap look for changes made
by other processes that Flask runs first (:meth:`webmap.web.live.LiveSite.check_for_changes`).
A kept answer is used only while the state it was made from is the one served: a change of the
data makes new maps and so new answers. At most :data:`MAX_ANSWERS` answers and
:data:`MAX_BYTES` bytes are kept, the least recently used dropped first. Every other request
goes to Flask as before.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.http import http_date

__all__ = ["MAX_ANSWERS", "MAX_BYTES", "REPLAYABLE", "Replay"]

#: The WSGI environ key :func:`webmap.web.http_cache.cached_response` sets on a request whose
#: body was made once per state.
REPLAYABLE = "ibasho.replayable"

#: At most this many answers are kept.
MAX_ANSWERS = 256

#: At most this many bytes of bodies are kept.
MAX_BYTES = 64 * 1024 * 1024

#: Request headers after which an answer is never replayed (the user is known, or the
#: request asks a question a kept answer does not answer).
_PERSONAL = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH",
             "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_RANGE",
             "HTTP_RANGE")

#: What of a request, besides its address and query, a kept answer must match.
_KEYED = ("HTTP_ACCEPT_ENCODING", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME",
          "wsgi.url_scheme", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO",
          "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX")

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    state: weakref.ref
    dated: bool


def _key(environ: dict[str, Any]) -> tuple | None:
    """What identifies a replayable request, or None when it must go to Flask."""
    if environ.get("REQUEST_METHOD") != "GET" or environ.get("CONTENT_LENGTH") not in (
            None, "", "0") or environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    if any(name in environ for name in _PERSONAL):
        return None
    return (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
            *(environ.get(name) for name in _KEYED))


def _keepable(status: str, headers: list[tuple[str, str]]) -> bool:
    """A 200 that sets no cookie and varies on the encoding alone."""
    if not status.startswith("200 "):
        return False
    for name, value in headers:
        lower = name.lower()
        if lower == "set-cookie":
            return False
        if lower == "vary" and any(part.strip().lower() != "accept-encoding"
                                   for part in value.split(",")):
            return False
    return True


class Replay:
    """
    A WSGI middleware that answers repeated public GETs from the answers Flask gave
    (see the module notes).

    Parameters
    ----------
    wsgi_app
        The app's WSGI callable (``app.wsgi_app``).
    current_state
        The state served now (an object that changes when the data does).
    before
        Run before answering from memory, as Flask runs it before each request (the look
        for changes made by other processes).
    max_answers, max_bytes
        How much is kept.
    """

    def __init__(self, wsgi_app: Callable[[dict, StartResponse], Iterable[bytes]], *,
                 current_state: Callable[[], object], before: Callable[[], None],
                 max_answers: int = MAX_ANSWERS, max_bytes: int = MAX_BYTES) -> None:
        self.wsgi_app = wsgi_app
        self._current_state = current_state
        self._before = before
        self.max_answers = max_answers
        self.max_bytes = max_bytes
        self._answers: OrderedDict[tuple, _Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._counts = {"replayed": 0, "kept": 0}

    def info(self) -> dict[str, int]:
        """``replayed`` and ``kept`` (answers stored so far), ``answers`` and ``bytes`` kept."""
        with self._lock:
            return {**self._counts, "answers": len(self._answers), "bytes": self._bytes}

    def __call__(self, environ: dict[str, Any],
                 start_response: StartResponse) -> Iterable[bytes]:
        key = _key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        self._before()
        state = self._current_state()
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                if answer.state() is state:
                    self._answers.move_to_end(key)
                    self._counts["replayed"] += 1
                else:
                    self._drop(key)
                    answer = None
        if answer is not None:
            headers = list(answer.headers)
            if answer.dated:
                headers.append(("Date", http_date()))
            start_response(answer.status, headers)
            return [answer.body]
        return self._make(key, state, environ, start_response)

    def _make(self, key: tuple, state: object, environ: dict[str, Any],
              start_response: StartResponse) -> Iterable[bytes]:
        """Let Flask answer, and keep the answer when it may be replayed."""
        seen: list[tuple[str, list[tuple[str, str]]]] = []

        def keep_status(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            seen.append((status, headers))
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, keep_status)
        if not environ.get(REPLAYABLE) or not seen or not _keepable(*seen[-1]):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if self._current_state() is state and len(body) <= self.max_bytes:
            status, headers = seen[-1]
            kept = tuple((name, value) for name, value in headers if name.lower() != "date")
            self._store(key, _Answer(status=status, headers=kept, body=body,
                                     state=weakref.ref(state),
                                     dated=len(kept) != len(headers)))
        return [body]

    def _store(self, key: tuple, answer: _Answer) -> None:
        with self._lock:
            if key in self._answers:
                self._drop(key)
            self._answers[key] = answer
            self._bytes += len(answer.body)
            self._counts["kept"] += 1
            while len(self._answers) > self.max_answers or self._bytes > self.max_bytes:
                self._drop(next(iter(self._answers)))

    def _drop(self, key: tuple) -> None:
        """Forget one answer (the lock is held)."""
        self._bytes -= len(self._answers.pop(key).body)
