"""The Flask app: the maps as pages and the layers as a JSON API.

The study area is loaded and analysed once, in :func:`create_app`, and kept on
``app.extensions["ibasho"]`` with the city map already rendered; a district's map is rendered
the first time it is asked for and then kept.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from data import get_path
from geo.coverage import CoverageResult
from layers.planning import Plan, plan_study_area
from layers.study import StudyArea, analyse_study_area, load_study_area
from webmap.build import build_map
from webmap.pages import RenderedMap, render_map

logger = logging.getLogger(__name__)
__all__ = ["IbashoState", "create_app"]


@dataclass
class IbashoState:
    """What the app loads once: the study area, its analysis and the rendered maps."""

    study: StudyArea
    coverage: CoverageResult
    #: Network reach (when streets are loaded), suggested sites, and what-if state.
    plan: Plan
    asset_base: str
    district_url: str
    city_map: RenderedMap | None = None
    _district_maps: dict[str, RenderedMap] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, config_path: str | Path, *, asset_base: str,
             district_url: str) -> IbashoState:
        """Load and analyse the study area of ``config_path`` and render the city map."""
        study = load_study_area(config_path)
        coverage = analyse_study_area(study)
        plan = plan_study_area(study)
        state = cls(study=study, coverage=coverage, plan=plan, asset_base=asset_base,
                    district_url=district_url)
        state.city_map = render_map(build_map(study, coverage, plan=plan,
                                              asset_base=asset_base,
                                              district_url=district_url, title_bar=False))
        return state

    def district_map(self, name: str) -> RenderedMap:
        """The rendered map of district ``name`` (rendered on first use, then cached)."""
        with self._lock:
            rendered = self._district_maps.get(name)
        if rendered is None:
            rendered = render_map(build_map(self.study, self.coverage, plan=self.plan,
                                            district=name,
                                            asset_base=self.asset_base,
                                            district_url=self.district_url, title_bar=False))
            with self._lock:
                rendered = self._district_maps.setdefault(name, rendered)
        return rendered


def _take_config_alias(app: Flask) -> None:
    """Take ``CONFIG`` (``IBASHO_CONFIG`` with the prefix stripped) as ``IBASHO_CONFIG``."""
    if "CONFIG" in app.config:
        app.config["IBASHO_CONFIG"] = str(app.config.pop("CONFIG"))


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

    Examples
    --------
    >>> app = create_app({"TESTING": True})  # doctest: +SKIP
    >>> app.test_client().get("/api/health").json["ok"]  # doctest: +SKIP
    True
    """
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(IBASHO_CONFIG=str(get_path("takasaki")), JSON_SORT_KEYS=False)
    app.config.from_prefixed_env("IBASHO")
    _take_config_alias(app)
    if test_config is not None:
        app.config.from_mapping(test_config)
        _take_config_alias(app)
    app.json.ensure_ascii = False  # Japanese names stay readable in the JSON
    app.json.sort_keys = False

    state = IbashoState.load(app.config["IBASHO_CONFIG"],
                             asset_base=f"{app.static_url_path}/vendor",
                             district_url="/districts/{name}")
    app.extensions["ibasho"] = state

    from webmap.plan_api import plan_api
    from webmap.near import near
    from webmap.print_views import print_page
    from webmap.views import api, pages, register_error_handlers

    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(plan_api)
    app.register_blueprint(print_page)
    app.register_blueprint(near)
    register_error_handlers(app)
    logger.info("ibasho app ready: %s, %d districts", state.study.config.name,
                len(state.study.districts))
    return app
