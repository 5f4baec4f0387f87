"""A real ``ibasho serve`` server (granian) on loopback, for tests of the served app.

Security and multi-process tests talk to the app as a browser or an attacker would: over
HTTP, to a separate process started with the same command as production (``ibasho serve``),
not through Flask's test client. Imported as ``from served import served_app`` (``tests/``
is on the path beside ``conftest.py``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from data import get_path

#: The repository root: the served process imports the code of this checkout.
ROOT = Path(__file__).resolve().parents[1]

#: How long a process may take to load and analyse Takasaki and answer /api/health.
START_SECONDS = 120


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_with_editor(folder: Path, password: str, *, name: str = "henshu") -> str:
    """A new GeoPackage in ``folder`` with one editor account; ``ibasho serve`` fills the rest."""
    from layers.store.database import open_database
    from layers.store.users import UserStore

    database = str(folder / "ibasho-data.gpkg")
    users = UserStore(open_database(database))
    users.migrate()
    users.create_user(name, password, role="editor")
    return database


@contextmanager
def served_app(database: str, *, config: str | Path | None = None,
               env: Mapping[str, str] | None = None, workers: int = 1, threads: int = 1,
               log_path: Path | None = None) -> Iterator[str]:
    """
    Run ``ibasho serve`` on ``database`` (a GeoPackage path or a PostgreSQL URL) and yield
    its base URL (``http://127.0.0.1:PORT``) once ``/api/health`` answers; stop it afterwards.

    ``workers`` is ``ibasho serve --workers``: one process unless a test is about several
    (a second worker sees an edit within the sync interval, not at once).
    ``env`` adds to the environment (``IBASHO_…`` settings). The secret key is fixed so that
    several processes on one database accept each other's session cookies, as several
    workers behind one proxy do. The server's log goes to ``log_path`` (else discarded) and
    is shown in the error when it does not start.
    """
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "IBASHO_DATABASE": database,
                   "IBASHO_SECRET_KEY": "test-secret-key-for-served-processes",
                   "IBASHO_SESSION_COOKIE_SECURE": "false", **(env or {})}
    environment.pop("IBASHO_DATABASE_URL", None)
    command = [sys.executable, "-c", "from webmap.cli.main import main; main()", "serve",
               str(config or get_path("takasaki")), "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--threads", str(threads)]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()


def _wait_until_up(process: subprocess.Popen, url: str, log_path: Path | None) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
            msg = f"ibasho serve exited with {process.returncode} before answering:\n{tail}"
            raise RuntimeError(msg)
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    msg = f"ibasho serve did not answer at {url} within {START_SECONDS} s"
    raise RuntimeError(msg)
