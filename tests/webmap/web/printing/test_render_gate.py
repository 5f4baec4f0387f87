"""Printed files are rendered a few at a time: a busy server says so (503, Retry-After) instead
of queueing without end, and a file asked for twice while it is being made is made once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from webmap.web.base import app_state
from webmap.web.http_cache import RenderBusy, RenderCache, RenderGate


def _blocked(started: threading.Event, release: threading.Event, data: bytes = b"slow"):
    def render() -> bytes:
        started.set()
        assert release.wait(10), "the test never released the render"
        return data
    return render


def test_a_request_that_finds_no_free_slot_is_refused_then_served_once_one_frees() -> None:
    gate = RenderGate(at_once=1, wait_s=0.2)
    cache = RenderCache(4, gate)
    started, release = threading.Event(), threading.Event()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(cache.get_or_render, "A4", _blocked(started, release))
        assert started.wait(10)
        with pytest.raises(RenderBusy) as refused:
            cache.get_or_render("A3", lambda: b"other")
        assert refused.value.code == 503
        assert ("Retry-After", "1") in refused.value.get_headers()
        release.set()
        assert first.result(10) == b"slow"
    assert cache.get_or_render("A3", lambda: b"other") == b"other"
    assert cache.info() == {"hits": 0, "renders": 2, "size": 2}


def test_the_same_file_asked_for_while_it_is_made_is_made_once() -> None:
    cache = RenderCache(4, RenderGate(at_once=2, wait_s=5))
    started, release = threading.Event(), threading.Event()
    calls = []

    def render() -> bytes:
        calls.append(1)
        return _blocked(started, release, b"sheet")()

    with ThreadPoolExecutor(4) as pool:
        asked = [pool.submit(cache.get_or_render, ("箕郷", "A4"), render) for _ in range(4)]
        assert started.wait(10)
        release.set()
        assert [future.result(10) for future in asked] == [b"sheet"] * 4
    assert len(calls) == 1
    assert cache.info()["renders"] == 1 and cache.info()["hits"] == 3


def test_when_the_first_render_fails_the_waiting_request_renders_itself() -> None:
    cache = RenderCache(4, RenderGate(at_once=2, wait_s=5))
    started, release = threading.Event(), threading.Event()

    def failing() -> bytes:
        started.set()
        assert release.wait(10)
        raise RuntimeError("the sheet could not be drawn")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(cache.get_or_render, "key", failing)
        assert started.wait(10)
        second = pool.submit(cache.get_or_render, "key", lambda: b"drawn")
        release.set()
        with pytest.raises(RuntimeError, match="could not be drawn"):
            first.result(10)
        assert second.result(10) == b"drawn"
    assert cache.get_or_render("key", lambda: b"never") == b"drawn"


@pytest.mark.parametrize(("at_once", "wait_s"), [(0, 1.0), (2, -1.0), (2, float("nan"))])
def test_bad_gate_settings_are_refused(at_once: int, wait_s: float) -> None:
    with pytest.raises(ValueError, match="RENDERS_AT_ONCE"):
        RenderGate(at_once, wait_s)


def test_the_print_page_answers_503_in_japanese_while_every_slot_is_taken(app, client) -> None:
    assert client.get("/print/sheet?district=吉井&format=png&dpi=150").status_code == 200
    gate = app_state(app).render_gate  # the one the app's caches share
    wait_s, gate.wait_s = gate.wait_s, 0.2
    started = [threading.Event() for _ in range(gate.at_once)]
    release = threading.Event()
    try:
        with ThreadPoolExecutor(gate.at_once) as pool:
            holding = [pool.submit(gate.render, _blocked(event, release)) for event in started]
            assert all(event.wait(10) for event in started)
            busy = client.get("/print/sheet?district=吉井&format=pdf")
            assert busy.status_code == 503
            assert busy.headers["Retry-After"] == "1"
            page = busy.get_data(as_text=True)
            assert "混み合っています" in page and "もう一度お試しください" in page
            assert "Traceback" not in page
            kept = client.get("/print/sheet?district=吉井&format=png&dpi=150")
            assert kept.status_code == 200  # a file already made needs no slot
            release.set()
            assert [future.result(10) for future in holding] == [b"slow"] * gate.at_once
    finally:
        release.set()
        gate.wait_s = wait_s
    assert client.get("/print/sheet?district=吉井&format=pdf").status_code == 200
