"""Benchmark the resident page 「近くの居場所」 on a slow phone connection.

Serves the app (the embedded Takasaki data unless ``--config``), opens ``/near`` in headless
Chromium as a 390 × 844 phone with location allowed, throttles the network through the
DevTools protocol (``Network.emulateNetworkConditions``; default "slow 3G": 400 kbit/s down
and up, 400 ms round trip) with the cache off, aborts basemap tiles (offline), and measures
two ways to the list:

- ``gps``: ``/near`` → the page asks for the location → ``/api/near`` → the list (JavaScript);
- ``url``: ``/near?lat=…&lon=…`` → the list is in the HTML (no script needed).

For each: bytes transferred (``encodedDataLength`` of every response, headers included) up to
the first list item and in all (after the map has loaded), and milliseconds from navigation
start to the first list item (a ``MutationObserver`` notes ``performance.now()``) and to the
map's routes. Medians of ``--runs`` runs. The last line is ``RESULT {...}`` (JSON).

Usage: python scripts/bench_near_page.py [--kbps 400] [--rtt-ms 400] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: 80 m north of the 岩鼻長寿センター前 stop, Takasaki.
HERE = (36.30685, 139.05982)
logger = logging.getLogger("bench_near_page")

OBSERVE_FIRST_ITEM = """
(() => {
  const note = () => {
    if (window.__firstItemMs === undefined && document.querySelector('#near-list .place-card')) {
      window.__firstItemMs = performance.now();
    }
    if (window.__mapMs === undefined
        && document.querySelector('#near-map .leaflet-overlay-pane path')) {
      window.__mapMs = performance.now();
    }
  };
  new MutationObserver(note).observe(document, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', note);
})();
"""


def _serve(app) -> tuple[str, object]:
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_port}", httpd


def measure(browser, url: str, host: str, *, kbps: float, rtt_ms: float,
            geolocation: tuple[float, float]) -> dict:
    """One cold load of ``url`` on a throttled connection: bytes and milliseconds."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True, locale="ja-JP", timezone_id="Asia/Tokyo",
        geolocation={"latitude": geolocation[0], "longitude": geolocation[1], "accuracy": 10},
        permissions=["geolocation"])
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if urlparse(route.request.url).netloc
               == host else route.abort())
    page.add_init_script(OBSERVE_FIRST_ITEM)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    bytes_per_s = kbps * 1000 / 8
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": rtt_ms, "downloadThroughput": bytes_per_s,
        "uploadThroughput": bytes_per_s})
    loads: list[tuple[float, int, str]] = []
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent",
           lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda event: loads.append(
        (time.perf_counter(), int(event["encodedDataLength"]), urls.get(event["requestId"], ""))))
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector("#near-list .place-card", timeout=120_000)
    first_at = time.perf_counter()
    first_ms = page.evaluate("window.__firstItemMs")
    page.wait_for_selector("#near-map .leaflet-overlay-pane path", state="attached",
                           timeout=120_000)  # not wait_for_function: the CSP forbids eval
    page.wait_for_timeout(300)
    map_ms = page.evaluate("window.__mapMs")
    result = {
        "first_item_ms": round(first_ms),
        "map_ms": round(map_ms),
        "bytes_to_first_item": sum(size for at, size, _ in loads if at <= first_at),
        "bytes_total": sum(size for _, size, _ in loads),
        "requests": len(loads),
        "by_file": {urlparse(u).path: size for _, size, u in loads},
        "wall_s": round(time.perf_counter() - started, 2),
    }
    context.close()
    return result


def _median(runs: list[dict]) -> dict:
    keys = ("first_item_ms", "map_ms", "bytes_to_first_item", "bytes_total", "requests")
    summary = {key: round(statistics.median(run[key] for run in runs)) for key in keys}
    summary["by_file"] = runs[-1]["by_file"]
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="study-area config (default: embedded Takasaki)")
    parser.add_argument("--lat", type=float, default=HERE[0], help="the phone's latitude")
    parser.add_argument("--lon", type=float, default=HERE[1], help="the phone's longitude")
    parser.add_argument("--kbps", type=float, default=400.0, help="down/up kbit/s (400)")
    parser.add_argument("--rtt-ms", type=float, default=400.0, help="round trip ms (400)")
    parser.add_argument("--runs", type=int, default=3, help="runs per way (median)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from playwright.sync_api import sync_playwright

    from webmap.web.app import create_app

    test_config = {"TESTING": True}
    if args.config:
        test_config["IBASHO_CONFIG"] = args.config
    app = create_app(test_config)
    base, httpd = _serve(app)
    host = urlparse(base).netloc
    ways = {"gps": f"{base}/near", "url": f"{base}/near?lat={args.lat}&lon={args.lon}"}
    result: dict = {"kbps": args.kbps, "rtt_ms": args.rtt_ms, "runs": args.runs}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for way, url in ways.items():
                runs = [measure(browser, url, host, kbps=args.kbps, rtt_ms=args.rtt_ms,
                                geolocation=(args.lat, args.lon)) for _ in range(args.runs)]
                summary = _median(runs)
                print(f"{way}: first list item {summary['first_item_ms']} ms, "
                      f"{summary['bytes_to_first_item'] / 1024:.1f} KiB before it; map "
                      f"{summary['map_ms']} ms, {summary['bytes_total'] / 1024:.1f} KiB in all "
                      f"({summary['requests']} requests)")
                for path, size in summary.pop("by_file").items():
                    print(f"    {size / 1024:7.1f} KiB  {path}")
                result[way] = summary
            browser.close()
    finally:
        httpd.shutdown()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
