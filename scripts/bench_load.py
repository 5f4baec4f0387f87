"""Load check: ``ibasho serve`` (waitress) under ``wrk`` on the loopback interface.

Starts ``ibasho serve`` on 127.0.0.1 and a free port (the embedded Takasaki data unless
``--config``; its database is a GeoPackage in a temporary folder and the session key comes
from the environment, so nothing is written beside the config), waits for ``/api/health``, then
runs ``wrk`` with ``--connections`` connections for ``--duration`` seconds against each target,
one after another on the same server:

- ``map``: ``GET /`` (the city map page, the heaviest page);
- ``places``: ``GET /api/places`` (GeoJSON);
- ``stops``: ``GET /api/stops`` (GeoJSON with the timetables, the largest API body);
- ``near``: ``GET /api/near?lat=…&lon=…`` (the resident page's lookup, made per request);
- ``what_if``: ``POST /api/what-if`` with ``{"remove": "p0001"}`` (a wrk Lua script).

Every request says ``Accept-Encoding: gzip, deflate, br`` as a browser does. For each target:
requests/s, latency p50/p90/p99 (``--latency``), errors (non-2xx/3xx responses and socket
errors: connect, read, write, timeout), which must be zero, and the bytes of one answer on the
wire (``wire_bytes``, with its ``Content-Encoding``) beside its size uncompressed
(``body_bytes``). The last line is ``RESULT {...}`` (JSON); the exit status is 1 when any
target had errors.

wrk is Debian's ``wrk`` package: when it is missing the script runs ``apt-get install -y wrk``
(as root; otherwise it says so and stops). Only loopback addresses are used.

Usage: python scripts/bench_load.py [--duration 30] [--connections 100] [--threads 4]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
logger = logging.getLogger("bench_load")

#: What a browser says it can decode (zstd left out: wrk and urllib send what we tell them).
ACCEPT_ENCODING = "gzip, deflate, br"

#: The what-if body (one place removed), as the planner page sends it.
WHAT_IF_BODY = '{"remove": "p0001"}'

WHAT_IF_LUA = f"""
wrk.method = "POST"
wrk.body = '{WHAT_IF_BODY}'
wrk.headers["Content-Type"] = "application/json"
"""

#: name: (path, POST body or None). 36.3223 N, 139.0032 E is central Takasaki (高崎駅西口).
TARGETS: dict[str, tuple[str, str | None]] = {
    "map": ("/", None),
    "places": ("/api/places", None),
    "stops": ("/api/stops", None),
    "near": ("/api/near?lat=36.3223&lon=139.0032", None),
    "what_if": ("/api/what-if", WHAT_IF_BODY),
}

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_wrk() -> bool:
    """wrk on the PATH, installed from Debian when missing (as root); False when it cannot be."""
    if shutil.which("wrk"):
        return True
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        logger.error("wrk is missing: install it (apt-get install wrk) and run again.")
        return False
    logger.info("wrk is missing: apt-get install -y wrk")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False)
        subprocess.run(install, capture_output=True, check=False)
    if shutil.which("wrk") is None:
        logger.error("apt-get could not install wrk: install it by hand and run again.")
        return False
    return True


def wait_ready(url: str, *, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _decode(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    return data


def wire_size(url: str, body: str | None) -> dict:
    """One answer as a browser gets it: bytes on the wire, encoding, and bytes decoded."""
    request = urllib.request.Request(  # loopback only
        url, data=None if body is None else body.encode(),
        headers={"Accept-Encoding": ACCEPT_ENCODING, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        data = response.read()
        encoding = response.headers.get("Content-Encoding") or "identity"
    return {"wire_bytes": len(data), "encoding": encoding,
            "body_bytes": len(_decode(data, encoding))}


def milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        msg = f"cannot read the duration {text!r}"
        raise ValueError(msg)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    """Requests/s, latency percentiles and errors from ``wrk --latency`` output."""
    result: dict = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)",
                                                        output).group(1)),
                    "requests": int(re.search(r"(\d+) requests in", output).group(1))}
    for percent in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.M)
        result[f"p{percent}_ms"] = round(milliseconds(match.group(1)), 2)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", output)
    result["socket_errors"] = (dict(zip(("connect", "read", "write", "timeout"),
                                        map(int, socket_errors.groups()), strict=True))
                               if socket_errors else {"connect": 0, "read": 0, "write": 0,
                                                      "timeout": 0})
    result["errors"] = result["non_2xx"] + sum(result["socket_errors"].values())
    return result


def run_wrk(url: str, *, connections: int, threads: int, duration_s: int,
            script: Path | None, timeout_s: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency",
               f"--timeout={timeout_s}s", "-H", f"Accept-Encoding: {ACCEPT_ENCODING}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    logger.info("%s", " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, check=True,
                          timeout=duration_s + 60)
    logger.debug("%s", done.stdout)
    return parse_wrk(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=None,
                        help="Study-area config (default: the embedded Takasaki one).")
    parser.add_argument("--duration", type=int, default=30, help="Seconds per target.")
    parser.add_argument("--connections", type=int, default=100, help="Open connections.")
    parser.add_argument("--threads", type=int, default=4, help="wrk threads.")
    parser.add_argument("--server-threads", type=int, default=8,
                        help="waitress worker threads (ibasho serve --threads).")
    parser.add_argument("--timeout", type=int, default=10,
                        help="Seconds before wrk counts a request as timed out.")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help=f"Comma-separated, from: {', '.join(TARGETS)}.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    names = [name.strip() for name in args.targets.split(",") if name.strip()]
    unknown = [name for name in names if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    if not ensure_wrk():
        return 2

    sys.path.insert(0, str(REPO))
    from data import get_path

    config = (args.config or get_path("takasaki")).resolve()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="ibasho-bench-"))
    env = {**os.environ, "IBASHO_DATABASE": str(workdir / "ibasho-data.gpkg"),
           "IBASHO_SECRET_KEY": secrets.token_hex(32), "PYTHONPATH": str(REPO)}
    env.pop("IBASHO_DATABASE_URL", None)
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(  # ibasho serve: waitress
        [sys.executable, "-m", "webmap.cli.main", "serve", str(config), "--host", "127.0.0.1",
         "--port", str(port), "--threads", str(args.server_threads)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log)
    results: dict = {}
    try:
        started = time.perf_counter()
        wait_ready(f"{base}/api/health")
        logger.info("ibasho serve (waitress, %d threads) ready on %s in %.1f s",
                    args.server_threads, base, time.perf_counter() - started)
        print(f"{'target':<8} {'path':<14} {'req/s':>9}  {'p50 ms':>8} {'p99 ms':>8} "
              f"{'errors':>6}  {'on the wire':>12} {'uncompressed':>12}")
        for name in names:
            path, body = TARGETS[name]
            script = None
            if body is not None:
                script = workdir / f"{name}.lua"
                script.write_text(WHAT_IF_LUA, encoding="utf-8")
            size = wire_size(base + path, body)
            row = results[name] = {"path": path, **size, **run_wrk(
                base + path, connections=args.connections, threads=args.threads,
                duration_s=args.duration, script=script, timeout_s=args.timeout)}
            shown = path if len(path) <= 14 else path[:13] + "…"
            print(f"{name:<8} {shown:<14} {row['requests_per_s']:>9.1f}  "
                  f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['errors']:>6}  "
                  f"{row['wire_bytes'] / 1024:>9.1f} KB {row['body_bytes'] / 1024:>9.1f} KB"
                  f" ({row['encoding']})", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
    total_errors = sum(row["errors"] for row in results.values())
    print("RESULT " + json.dumps({"server": "waitress", "server_threads": args.server_threads,
                                  "connections": args.connections,
                                  "duration_s": args.duration, "targets": results,
                                  "errors": total_errors}, ensure_ascii=False))
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
