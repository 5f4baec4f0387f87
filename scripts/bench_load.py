"""Load check: ``ibasho serve`` (granian) under ``wrk``, beside waitress, on loopback.

Two servers of the same app are loaded in turn, in the same run (this machine is shared, so
their ratio holds where an absolute figure may not): ``ibasho serve`` as shipped (granian,
one process per core) and the peers' usual way, which was ibasho's until issue 9: waitress
with 8 threads in one process (``waitress`` comes with ``pip install -e '.[bench]'``; the
script leaves it out with a warning when missing). Each starts on 127.0.0.1 and a free
port (the embedded Takasaki data unless ``--config``; its database is a GeoPackage in a
temporary folder and the session key comes from the environment, so nothing is written beside
the config), waits for ``/api/health``, then runs ``wrk`` with ``--connections`` connections
for ``--duration`` seconds against each target, one after another on the same server:

- ``map``: ``GET /`` (the city map page, the heaviest page);
- ``places``: ``GET /api/places`` (GeoJSON);
- ``stops``: ``GET /api/stops`` (GeoJSON with the timetables, the largest API body);
- ``near``: ``GET /api/near?lat=…&lon=…`` (the resident page's lookup, made per request);
- ``what_if``: ``POST /api/what-if`` with ``{"remove": "p0001"}`` (a wrk Lua script).

Every request says ``Accept-Encoding: gzip, deflate, br`` as a browser does. For each target:
requests/s, latency p50/p90/p99 (``--latency``), errors (non-2xx/3xx responses and socket
errors: connect, read, write, timeout), which must be zero, and the bytes of one answer on the
wire (``wire_bytes``, with its ``Content-Encoding``) beside its size uncompressed
(``body_bytes``). Then whether ``ibasho serve`` meets the targets (``/api/places`` p99 ≤ 50 ms,
what-if p50 ≤ 100 ms, ``/`` ≤ 400 KB on the wire) and its requests/s as a multiple of
waitress's. The last line is ``RESULT {...}`` (JSON); the exit status is 1 when any target had
errors.

wrk is Debian's ``wrk`` package: when it is missing the script runs ``apt-get install -y wrk``
(as root; otherwise it says so and stops). Only loopback addresses are used.

Usage: python scripts/bench_load.py [--duration 30] [--connections 100] [--threads 2]
       [--servers ibasho,waitress] [--targets map,places,stops,near,what_if]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
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


#: The targets of issue 9 on a 2-core machine, checked on ``ibasho serve``.
TARGETS_MET = {
    "places p99 <= 50 ms": lambda r: r["places"]["p99_ms"] <= 50,
    "what-if p50 <= 100 ms": lambda r: r["what_if"]["p50_ms"] <= 100,
    "map page <= 400 KB on the wire": lambda r: r["map"]["wire_bytes"] <= 400 * 1024,
}


def server_command(kind: str, config: Path, port: int, args: argparse.Namespace) -> list[str]:
    """``ibasho serve`` as shipped, or the same app under waitress as ibasho served it before."""
    if kind == "ibasho":
        command = [sys.executable, "-m", "webmap.cli.main", "serve", str(config),
                   "--host", "127.0.0.1", "--port", str(port)]
        return command + (["--workers", str(args.workers)] if args.workers else [])
    code = ("from waitress import serve; from webmap.web.app import create_app; "
            f"serve(create_app({{'CONFIG': {str(config)!r}}}), host='127.0.0.1', port={port}, "
            f"threads={args.waitress_threads}, connection_limit=500, ident='')")
    return [sys.executable, "-c", code]


def load_one_server(kind: str, config: Path, names: list[str], args: argparse.Namespace) -> dict:
    """Start one server on a new database, run wrk on every target in turn, stop it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="ibasho-bench-"))
    env = {**os.environ, "IBASHO_DATABASE": str(workdir / "ibasho-data.gpkg"),
           "IBASHO_SECRET_KEY": secrets.token_hex(32), "PYTHONPATH": str(REPO)}
    env.pop("IBASHO_DATABASE_URL", None)
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(server_command(kind, config, port, args), cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=log)
    results: dict = {}
    try:
        started = time.perf_counter()
        wait_ready(f"{base}/api/health")
        time.sleep(2)  # every worker process up, not only the first
        logger.info("%s ready on %s in %.1f s", kind, base, time.perf_counter() - started)
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
            print(f"{kind:<8} {name:<8} {shown:<14} {row['requests_per_s']:>9.1f}  "
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
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=None,
                        help="Study-area config (default: the embedded Takasaki one).")
    parser.add_argument("--duration", type=int, default=30, help="Seconds per target.")
    parser.add_argument("--connections", type=int, default=100, help="Open connections.")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--workers", type=int, default=None,
                        help="ibasho serve --workers (default: its own, one per core).")
    parser.add_argument("--waitress-threads", type=int, default=8,
                        help="Threads of the waitress comparison (as ibasho served before).")
    parser.add_argument("--servers", default="ibasho,waitress",
                        help="Which servers to load, in turn: ibasho, waitress or both.")
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
    kinds = [kind.strip() for kind in args.servers.split(",") if kind.strip()]
    if not set(kinds) <= {"ibasho", "waitress"}:
        parser.error("--servers takes ibasho, waitress or both")
    if "waitress" in kinds and importlib.util.find_spec("waitress") is None:
        logger.warning("waitress is not installed (pip install -e '.[bench]'): left out")
        kinds.remove("waitress")
    if not ensure_wrk():
        return 2

    sys.path.insert(0, str(REPO))
    from data import get_path

    config = (args.config or get_path("takasaki")).resolve()
    print(f"{'server':<8} {'target':<8} {'path':<14} {'req/s':>9}  {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6}  {'on the wire':>12} {'uncompressed':>12}")
    results = {kind: load_one_server(kind, config, names, args) for kind in kinds}
    total_errors = sum(row["errors"] for rows in results.values() for row in rows.values())
    met = {}
    if "ibasho" in results and {"places", "what_if", "map"} <= set(results["ibasho"]):
        met = {target: bool(check(results["ibasho"])) for target, check in TARGETS_MET.items()}
        for target, ok in met.items():
            print(f"target {target}: {'met' if ok else 'NOT met'}")
    if {"ibasho", "waitress"} <= set(results):
        for name in names:
            ratio = (results["ibasho"][name]["requests_per_s"]
                     / max(results["waitress"][name]["requests_per_s"], 1e-9))
            print(f"{name}: ibasho serve answers {ratio:.1f}x the requests/s of waitress")
    print("RESULT " + json.dumps({"connections": args.connections, "duration_s": args.duration,
                                  "servers": results, "targets_met": met,
                                  "errors": total_errors}, ensure_ascii=False))
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
