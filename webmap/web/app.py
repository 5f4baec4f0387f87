"""The Flask app: the maps as pages and the layers as a JSON API.

The study area is loaded and analysed once, in :func:`create_app`, and kept in the app's one
state object (:class:`webmap.web.state.AppState`, read through
:func:`webmap.web.base.app_state`) with the city map already rendered; a district's map is
rendered the first time it is asked for and then kept.

The editable layers (places, walking routes) and the staff accounts live in a database
(:mod:`layers.store.site`): a GeoPackage beside the config by default
(``<config dir>/ibasho-data.gpkg``), else ``DATABASE`` in the app config or
``IBASHO_DATABASE_URL`` (PostGIS). On start it is migrated and, when empty, filled from the
config's files; the maps show what is stored in it. A change made on the staff pages
(:mod:`webmap.web.admin.login`) is drawn before it commits, and every process serving the database
draws its maps again when the data version moves (:mod:`webmap.web.live`); rows that cannot be
drawn are left out and listed on the staff pages.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from data import get_path
from layers.store.site import (
    database_location,
    open_site_database,
    read_or_create_secret_key,
    secret_key_path,
)
from layers.study import StudyArea, load_study_area
from webmap.web.auth import init_auth
from webmap.web.http_cache import (
    RENDER_WAIT_S,
    RENDERS_AT_ONCE,
    RenderGate,
    configure_http_cache,
)
from webmap.web.language import init_language
from webmap.web.live import LiveSite
from webmap.web.replay import Replay
from webmap.web.resident.index import near_index
from webmap.web.security import configure_security
from webmap.web.state import STATE_KEY, AppState, IbashoState

logger = logging.getLogger(__name__)
__all__ = ["create_app", "prepare_site"]


def _take_config_alias(app: Flask) -> None:
    """Take ``CONFIG`` (``IBASHO_CONFIG`` with the prefix stripped) as ``IBASHO_CONFIG``."""
    if "CONFIG" in app.config:
        app.config["IBASHO_CONFIG"] = str(app.config.pop("CONFIG"))


def _configured_flask(test_config: dict[str, Any] | None) -> Flask:
    """The Flask object with its settings: defaults, ``IBASHO_…`` variables, ``test_config``."""
    # "webmap": the package whose templates/ and static/ folders the app serves
    app = Flask("webmap", instance_relative_config=False)
    app.config.from_mapping(IBASHO_CONFIG=str(get_path("takasaki")), JSON_SORT_KEYS=False,
                            DATABASE=None, SESSION_COOKIE_SECURE=None,
                            PERMANENT_SESSION_LIFETIME=None, WATCH_DATABASE=None)
    app.config.from_prefixed_env("IBASHO")
    _take_config_alias(app)
    if test_config is not None:
        app.config.from_mapping(test_config)
        _take_config_alias(app)
    return app


def prepare_site(test_config: dict[str, Any] | None = None) -> str:
    """
    Make the database and the session key ready, once, before server processes start.

    Migrates the database and seeds it from the config's files when it is empty, and makes
    the session key file when there is none (:func:`create_app` does the same, and finds them
    ready). Several worker processes starting at once on a new database would otherwise each
    seed it, or each write a different key and refuse each other's sessions.

    Parameters
    ----------
    test_config
        The settings :func:`create_app` would be given.

    Returns
    -------
    str
        Where the database is, as shown to people (a password in a URL is hidden).
    """
    app = _configured_flask(test_config)
    study = load_study_area(app.config["IBASHO_CONFIG"])
    location = database_location(study.config.directory, configured=app.config["DATABASE"])
    site = open_site_database(study, location)
    if not app.config.get("SECRET_KEY"):
        read_or_create_secret_key(secret_key_path(location, study.config.directory))
    return site.places.database.display_name


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """
    Create the ibasho web app (the Flask application-factory pattern of the flaskr tutorial).

    Parameters
    ----------
    test_config
        Settings that override the defaults and the environment (tests pass
        ``{"TESTING": True}``).

    Notes
    -----
    Settings, later ones winning:

    1. ``IBASHO_CONFIG``: the study-area config file (default: the embedded Takasaki one).
    2. Environment variables starting with ``IBASHO_`` (``from_prefixed_env``); as Flask
       strips the prefix, ``IBASHO_CONFIG=/path/to/ibasho.toml`` arrives as ``CONFIG`` and
       is taken as ``IBASHO_CONFIG``.
    3. ``test_config`` (``CONFIG`` is accepted there too, as ``ibasho serve`` passes it).

    ``DATABASE`` (a GeoPackage path or a PostgreSQL URL) chooses the database;
    ``SECRET_KEY`` (``IBASHO_SECRET_KEY``) the session key, else a random key is kept in
    ``ibasho-secret.key`` beside the database; ``SESSION_COOKIE_SECURE`` defaults to on
    except under ``TESTING``; ``PERMANENT_SESSION_LIFETIME`` (seconds) to 8 hours from the
    login (:mod:`webmap.web.security`). ``PUBLIC_URL`` is the site's public address for QR codes
    on printed sheets (:mod:`webmap.web.printing.views`); ``UPLOAD_FOLDER`` where uploads wait for
    their import (:mod:`webmap.web.admin.files`). ``WATCH_DATABASE`` (``IBASHO_WATCH_DATABASE``)
    runs a thread that learns of changes made by other processes between requests (on by
    default, off under ``TESTING``, where the check on each request remains;
    :mod:`webmap.web.live`).
    ``PROXY_FIX`` (``IBASHO_PROXY_FIX``) is the number of reverse proxies whose
    ``X-Forwarded-*`` headers are trusted, none by default (:mod:`webmap.web.security`). Responses
    are compressed and cached per state (:mod:`webmap.web.http_cache`).

    Examples
    --------
    >>> app = create_app({"TESTING": True})  # doctest: +SKIP
    >>> app.test_client().get("/api/health").json["ok"]  # doctest: +SKIP
    True
    """
    app = _configured_flask(test_config)
    if app.config["WATCH_DATABASE"] is None:
        app.config["WATCH_DATABASE"] = not app.config.get("TESTING")
    app.json.ensure_ascii = False  # Japanese names stay readable in the JSON
    app.json.sort_keys = False

    base_study = load_study_area(app.config["IBASHO_CONFIG"])
    config = base_study.config
    location = database_location(config.directory, configured=app.config["DATABASE"])
    site = open_site_database(base_study, location)
    secret_key = None if app.config.get("SECRET_KEY") else \
        read_or_create_secret_key(secret_key_path(location, config.directory))
    configure_security(app, secret_key=secret_key, basemap_url=config.basemap.get("url"))
    configure_http_cache(app)

    def make_state(study: StudyArea) -> IbashoState:
        state = IbashoState.from_study(study, asset_base=f"{app.static_url_path}/vendor",
                                       district_url="/districts/{name}")
        near_index(state)  # built with the maps: a change that breaks it is rolled back
        return state

    live = LiveSite(base_study=base_study, database=site, make_state=make_state,
                    watch=app.config["WATCH_DATABASE"])
    live.start()
    app.extensions[STATE_KEY] = AppState(live=live, render_gate=RenderGate(
        int(app.config.get("RENDERS_AT_ONCE", RENDERS_AT_ONCE)),
        float(app.config.get("RENDER_WAIT_S", RENDER_WAIT_S))))
    init_auth(app)
    init_language(app)
    app.before_request(live.check_for_changes)
    # repeated public GETs of bodies made once per state skip Flask (webmap.web.replay)
    app.wsgi_app = Replay(app.wsgi_app,  # type: ignore[method-assign]
                          current_state=lambda: live.state, before=live.check_for_changes)
    if app.config["WATCH_DATABASE"]:
        live.watch()
    state = live.state

    from webmap.web.admin.login import register_admin
    from webmap.web.planner.views import planner
    from webmap.web.printing.views import print_page
    from webmap.web.public.plan_api import plan_api
    from webmap.web.public.views import api, pages, register_error_handlers
    from webmap.web.resident.views import near

    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(plan_api)
    app.register_blueprint(planner)
    app.register_blueprint(print_page)
    app.register_blueprint(near)
    register_error_handlers(app)
    register_admin(app)
    logger.info("ibasho app ready: %s, %d districts", state.study.config.name,
                len(state.study.districts))
    return app
