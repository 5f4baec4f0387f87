"""The JavaScript and CSS a map page needs, all local: vendored Leaflet and plugins, ours inline.

There is no CDN: folium's default links (jsdelivr, jQuery, Bootstrap, Font Awesome) are
replaced by files under ``webmap/static/vendor``, addressed through an *asset base* URL
(``/static/vendor`` when Flask serves them, ``static/vendor`` or ``../static/vendor`` in
files written to disk).

Served files are versioned: an absolute asset base (the app's) gives URLs such as
``/static/vendor/leaflet/leaflet.js?v=<hash of the file>`` (:func:`static_version`), as does
``url_for("static", ...)`` in the app (:mod:`webmap.web.http_cache`), so a browser may keep them
for a year and still gets a changed file at once. Files written to disk keep plain paths.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from functools import cache, lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)
__all__ = [
    "MAP_JS_CSS",
    "STATIC_DIR",
    "VENDOR_DIR",
    "copy_static",
    "map_css",
    "map_js",
    "static_version",
    "vendor_css",
    "vendor_js",
]

#: ``webmap/static``: the site's CSS, the map's own JS/CSS and the vendored libraries.
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

#: Leaflet 1.9.4, leaflet.markercluster 1.5.3, leaflet.fullscreen 3.0.0, locatecontrol 0.66.
VENDOR_DIR = STATIC_DIR / "vendor"

#: Per library: folium's resource names (so plugins find theirs) and paths under the base.
MAP_JS_CSS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "leaflet": {"js": [("leaflet", "leaflet/leaflet.js")],
                "css": [("leaflet_css", "leaflet/leaflet.css")]},
    "markercluster": {
        "js": [("markerclusterjs", "markercluster/leaflet.markercluster.js")],
        "css": [("markerclustercss", "markercluster/MarkerCluster.css"),
                ("markerclusterdefaultcss", "markercluster/MarkerCluster.Default.css")],
    },
    "fullscreen": {"js": [("Control.Fullscreen.js", "fullscreen/Control.FullScreen.js")],
                   "css": [("Control.FullScreen.css", "fullscreen/Control.FullScreen.css")]},
    "locatecontrol": {
        "js": [("Control_locate_min_js", "locatecontrol/L.Control.Locate.min.js")],
        "css": [("Control_locate_min_css", "locatecontrol/L.Control.Locate.min.css")],
    },
}


@lru_cache(maxsize=256)
def static_version(filename: str) -> str | None:
    """
    The version of the static file ``filename`` (a path under ``webmap/static``): the first
    16 hex digits of a BLAKE2b hash of its bytes, or None when there is no such file.

    Read once per file and process (a deployment restarts the server).

    Examples
    --------
    >>> len(static_version("site.css")), static_version("../pyproject.toml")
    (16, None)
    """
    path = (STATIC_DIR / filename).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        return None
    return hashlib.blake2b(path.read_bytes(), digest_size=8).hexdigest()


def _join(asset_base: str, path: str) -> str:
    """``asset_base/path``; versioned (``?v=``) when the base is absolute, i.e. served."""
    base = asset_base.rstrip("/")
    url = f"{base}/{path}" if base else path
    version = static_version(f"vendor/{path}") if base.startswith("/") else None
    return f"{url}?v={version}" if version else url


def vendor_js(library: str, *, asset_base: str) -> list[tuple[str, str]]:
    """``[(name, url), …]`` of a vendored library's scripts (a folium ``default_js`` list)."""
    return [(name, _join(asset_base, path)) for name, path in MAP_JS_CSS[library]["js"]]


def vendor_css(library: str, *, asset_base: str) -> list[tuple[str, str]]:
    """``[(name, url), …]`` of a vendored library's stylesheets (a folium ``default_css``)."""
    return [(name, _join(asset_base, path)) for name, path in MAP_JS_CSS[library]["css"]]


@cache
def map_js() -> str:
    """The map's own JavaScript (``static/map/ibasho-map.js``), inlined into each page."""
    return (STATIC_DIR / "map" / "ibasho-map.js").read_text(encoding="utf-8")


@cache
def map_css() -> str:
    """The map's own CSS (``static/map/ibasho-map.css``), inlined into each page."""
    return (STATIC_DIR / "map" / "ibasho-map.css").read_text(encoding="utf-8")


def copy_static(out_dir: Path) -> Path:
    """
    Copy ``webmap/static`` (vendored libraries included) to ``out_dir/static``.

    The copy is made next to the target and renamed into place, so a reader never sees
    half the files.

    Returns
    -------
    Path
        ``out_dir/static``.
    """
    target = Path(out_dir) / "static"
    staging = Path(out_dir) / ".static.tmp"
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(STATIC_DIR, staging, ignore=shutil.ignore_patterns("__pycache__"))
    old = Path(out_dir) / ".static.old"
    if target.exists():
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)
    files = sum(1 for path in target.rglob("*") if path.is_file())
    logger.info("Copied %d static files to %s", files, target)
    return target
