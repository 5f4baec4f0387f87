"""What every browser test shares: Debian's Chromium, a live server, a screenshot folder.

Imported by the page tests (``from browser_support import …``; ``tests/`` is on the path
beside ``conftest.py``). Chromium runs headless with the flags this machine's closed network
needs; without it the tests skip locally, but fail under CI (``CI=true``), where the test
command installs it, so a broken install never passes as skipped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
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
