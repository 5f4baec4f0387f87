"""Safety settings of the app: session key and cookies, upload limits, security headers.

- ``SECRET_KEY``: from ``IBASHO_SECRET_KEY`` (or ``test_config``), else a random key kept in
  a file beside the database (mode 0600, :func:`layers.store.site.read_or_create_secret_key`);
  never a key written in the code.
- Session cookies: HttpOnly, SameSite=Lax, and Secure unless ``TESTING`` (set
  ``IBASHO_SESSION_COOKIE_SECURE=false`` to serve staff pages over plain http on a trusted
  network; behind an https proxy keep the default).
- Sessions: a login lasts :data:`SESSION_LIFETIME` (8 hours) from the moment of the login,
  however busy it is; ``IBASHO_PERMANENT_SESSION_LIFETIME`` (seconds) sets another. The
  server checks the stored login time on every request (:mod:`webmap.web.auth`); the cookie's
  own expiry (the lifetime after the last answer) is only the browser's side.
- Uploads: at most :data:`MAX_UPLOAD_BYTES` (413 otherwise), and only
  :data:`UPLOAD_SUFFIXES` (415 otherwise), each with a Japanese message.
- Headers on every response: a Content-Security-Policy (below), ``X-Content-Type-Options:
  nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin`` and
  ``Permissions-Policy: geolocation=(self)``; on answers to https requests also
  ``Strict-Transport-Security`` (:data:`HSTS`). The ``Server`` header is sent empty (no banner).
- Behind a reverse proxy that ends TLS: ``IBASHO_PROXY_FIX=1`` (the number of proxies in
  front) trusts that many ``X-Forwarded-For/-Proto/-Host/-Port`` values (werkzeug's
  ``ProxyFix``), so the app knows the request came over https. Off by default: without it
  those headers are never trusted (the app ignores them). Set it only when every
  request comes through the proxy (bind ``ibasho serve`` to 127.0.0.1), as a client that
  reaches the app directly could otherwise claim any address or scheme.

Content-Security-Policy: the folium map pages (``/``, ``/districts/…``) are made of inline
scripts, so the site-wide policy allows ``script-src 'self' 'unsafe-inline'``; every value from
the data is escaped before it reaches those scripts (:mod:`webmap.maps.popups`), which is what keeps
them safe. The staff pages under ``/admin`` load only their own script files and get the
strict ``script-src 'self'``. Map tiles come from the config's basemap host (``img-src``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

logger = logging.getLogger(__name__)
__all__ = [
    "HSTS",
    "MAX_UPLOAD_BYTES",
    "UPLOAD_SUFFIXES",
    "configure_security",
    "content_security_policy",
    "proxy_count",
    "session_lifetime",
    "upload_suffix",
]

#: The largest request body accepted (an upload of places): 5 MB.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024

#: File types accepted for an upload of places.
UPLOAD_SUFFIXES = (".csv", ".geojson", ".json")

#: How long a staff login lasts, from the login (``PERMANENT_SESSION_LIFETIME`` sets another).
SESSION_LIFETIME = timedelta(hours=8)

#: ``Strict-Transport-Security`` of answers to https requests: browsers use https only, for a
#: year. Not ``includeSubDomains``: a council's domain may serve other sites over http.
HSTS = "max-age=31536000"

#: Paths that get the strict policy (no inline scripts).
STRICT_PREFIXES = ("/admin", "/plan")


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def session_lifetime(value: object) -> timedelta:
    """
    ``PERMANENT_SESSION_LIFETIME`` as a duration: None (not set) gives :data:`SESSION_LIFETIME`;
    a number of seconds (as ``IBASHO_PERMANENT_SESSION_LIFETIME=3600`` arrives) or a timedelta.

    Raises
    ------
    ValueError
        If ``value`` is not a positive number of seconds or duration.

    Examples
    --------
    >>> session_lifetime(None) == SESSION_LIFETIME, session_lifetime("1800").total_seconds()
    (True, 1800.0)
    """
    if value is None:
        return SESSION_LIFETIME
    lifetime = None
    try:
        if isinstance(value, timedelta):
            lifetime = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            lifetime = timedelta(seconds=value)
        elif isinstance(value, str) and value.strip().isdigit():
            lifetime = timedelta(seconds=int(value.strip()))
    except (OverflowError, ValueError):  # inf, nan, more days than timedelta holds
        lifetime = None
    if lifetime is None or lifetime <= timedelta(0):
        msg = (f"PERMANENT_SESSION_LIFETIME must be a number of seconds > 0, got {value!r}. "
               "Set e.g. IBASHO_PERMANENT_SESSION_LIFETIME=28800 for 8 hours, or unset it.")
        raise ValueError(msg)
    return lifetime


def proxy_count(value: object) -> int:
    """
    The number of trusted reverse proxies from the ``PROXY_FIX`` setting (0: trust none).

    Examples
    --------
    >>> proxy_count(None), proxy_count(True), proxy_count("2"), proxy_count(0)
    (0, 1, 2, 0)

    Raises
    ------
    ValueError
        Anything but a whole number from 0 to 5 (or true/false).
    """
    if value is None or value is False or value == "":
        return 0
    if value is True:
        return 1
    text = str(value).strip().lower()
    if text in {"true", "yes", "on"}:
        return 1
    if text in {"false", "no", "off"}:
        return 0
    if not text.isdigit() or int(text) > 5:
        msg = (f"IBASHO_PROXY_FIX={value!r} is not a number of proxies; set it to 1 behind "
               "one reverse proxy (0 or unset: no proxy headers are trusted).")
        raise ValueError(msg)
    return int(text)


def upload_suffix(filename: str | None) -> str | None:
    """
    The suffix of an uploaded file's name if it is an accepted type, else None.

    Only the suffix is taken from the name: the file is never stored under it.

    Examples
    --------
    >>> upload_suffix("場所一覧.CSV"), upload_suffix("../../etc/passwd"), upload_suffix("a.csv.exe")
    ('.csv', None, None)
    """
    if not filename:
        return None
    suffix = Path(filename.replace("\\", "/")).suffix.lower()
    return suffix if suffix in UPLOAD_SUFFIXES else None


def content_security_policy(*, strict: bool, tile_hosts: tuple[str, ...] = ()) -> str:
    """
    The Content-Security-Policy header of a page.

    Examples
    --------
    >>> "script-src 'self';" in content_security_policy(strict=True)
    True
    >>> "script-src 'self' 'unsafe-inline'" in content_security_policy(strict=False)
    True
    """
    scripts = "'self'" if strict else "'self' 'unsafe-inline'"
    images = " ".join(("'self'", "data:", "blob:", *tile_hosts))
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; "
            "font-src 'self' data:; "
            "connect-src 'self'; "
            "object-src 'none'; "
            "base-uri 'self'; "
            "form-action 'self'; "
            "frame-ancestors 'none'")


def _tile_hosts(basemap_url: str | None) -> tuple[str, ...]:
    """The scheme and host of the basemap's tiles (``{s}`` subdomains as a wildcard)."""
    if not basemap_url:
        return ()
    parts = urlsplit(basemap_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ()
    host = parts.hostname.replace("{s}", "*")
    if "{" in host:
        return ()
    port = f":{parts.port}" if parts.port else ""
    return (f"{parts.scheme}://{host}{port}",)


def configure_security(app: Flask, *, secret_key: str | None, basemap_url: str | None) -> None:
    """
    Set the session key, cookie flags, session lifetime, upload limit and trusted proxies, and
    add the headers to every response.

    Parameters
    ----------
    app
        The app; ``SECRET_KEY`` already in its config (from the environment or a test) wins.
        ``PERMANENT_SESSION_LIFETIME`` None means "not set" (:func:`session_lifetime`).
    secret_key
        The key to use otherwise (from the key file beside the database).
    basemap_url
        The tile URL template of the map, whose host ``img-src`` allows.

    Raises
    ------
    ValueError
        If ``PERMANENT_SESSION_LIFETIME`` is not a positive duration, or ``PROXY_FIX`` not a
        number of proxies.
    """
    if not app.config.get("SECRET_KEY"):
        if not secret_key:
            msg = "No SECRET_KEY: set IBASHO_SECRET_KEY or give a key file."
            raise RuntimeError(msg)
        app.config["SECRET_KEY"] = secret_key
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit
        app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_NAME"] = "ibasho_session"
    secure = app.config.get("SESSION_COOKIE_SECURE")  # None: not set (create_app's default)
    if secure is None:
        secure = not app.testing
    app.config["SESSION_COOKIE_SECURE"] = _truthy(secure)
    # None: not set (create_app's default; Flask's own default would be 31 days)
    app.config["PERMANENT_SESSION_LIFETIME"] = session_lifetime(
        app.config.get("PERMANENT_SESSION_LIFETIME"))
    if not app.config["SESSION_COOKIE_SECURE"] and not app.testing:
        logger.warning("Session cookies are sent over plain http (SESSION_COOKIE_SECURE is "
                       "off): serve the staff pages over https only on a trusted network.")
    proxies = proxy_count(app.config.get("PROXY_FIX"))
    app.config["PROXY_FIX"] = proxies
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies, x_port=proxies)
        logger.info("Trusting X-Forwarded-* of %d reverse prox%s (IBASHO_PROXY_FIX)", proxies,
                    "y" if proxies == 1 else "ies")
    strict = content_security_policy(strict=True, tile_hosts=_tile_hosts(basemap_url))
    relaxed = content_security_policy(strict=False, tile_hosts=_tile_hosts(basemap_url))

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        path = request.path
        is_strict = any(path == p or path.startswith(p + "/") for p in STRICT_PREFIXES)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", strict if is_strict else relaxed)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(self)")
        headers["Server"] = ""  # the HTTP server would name itself; this names nothing
        if is_strict:
            headers.setdefault("Cache-Control", "no-store")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response

