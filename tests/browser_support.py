"""What every browser test shares: Debian's Chromium, a live server, a screenshot folder.

Imported by the page tests (``from browser_support import …``; ``tests/`` is on the path
beside ``conftest.py``), and registered for every test module (``pytest_plugins`` in
``tests/conftest.py``) for its fixtures: :func:`browser`, :func:`server` (the session's
``app``, served) and :func:`screenshots`.

Screenshots go to ``$IBASHO_SCREENSHOTS`` (default: the test's ``tmp_path``). Offline, the
basemap tiles cannot load: their requests are aborted and their console errors ignored
(:class:`WatchedPage`). Chromium runs headless with the flags this machine's closed network
needs; without it the tests skip locally, but fail under CI (``CI=true``), where the test
command installs it, so a broken install never passes as skipped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")

#: The window of the desktop and phone pages (CSS pixels).
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch_chromium() -> Iterator:
    """Yield a headless Chromium (a playwright Browser), closed afterwards."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium to run browser tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def serve(app) -> Iterator[str]:
    """Serve ``app`` with werkzeug on 127.0.0.1 and a free port in a thread; yield its URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def screenshot_folder(tmp_path: Path) -> Path:
    """``$IBASHO_SCREENSHOTS`` (made if missing), else the test's ``tmp_path``."""
    folder = Path(os.environ.get("IBASHO_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium, headless (see :func:`launch_chromium`), for one test module."""
    yield from launch_chromium()


@pytest.fixture(scope="module")
def server(app) -> Iterator[str]:
    """The Takasaki app (the session's ``app`` fixture) served live; its URL."""
    yield from serve(app)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the test's screenshots go (:func:`screenshot_folder`)."""
    return screenshot_folder(tmp_path)


#: Basemap tile hosts: offline, their requests are aborted and their errors expected.
TILE_HOSTS = {"cyberjapandata.gsi.go.jp"}


class WatchedPage:
    """
    A page in a fresh browser context (Japanese locale, Tokyo time) that records JavaScript
    errors and dialogs; basemap tile requests are aborted and their failures ignored.

    Subclasses narrow what counts as an error with :meth:`ignore` and answer dialogs with
    ``accept_dialogs``.
    """

    accept_dialogs = False

    def __init__(self, browser, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, locale="ja-JP",
                                           timezone_id="Asia/Tokyo")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        for host in TILE_HOSTS:
            self.page.route(f"https://{host}/**", lambda route: route.abort())
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.on("dialog", self._dialog)

    def ignore(self, text: str, url: str) -> bool:
        """Whether a console error is expected (offline tiles; subclasses add more)."""
        return urlparse(url).hostname in TILE_HOSTS

    def _console(self, message) -> None:
        url = (message.location or {}).get("url", "")
        if message.type == "error" and not self.ignore(message.text, url):
            self.errors.append(f"console: {message.text} ({url})")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        if self.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    def close(self) -> None:
        self.context.close()
