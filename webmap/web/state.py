"""The app's state: the study area, its analysis and its rendered maps, loaded once.

:func:`webmap.web.app.create_app` keeps one :class:`IbashoState` on
``app.extensions["ibasho"]`` (a new one after each change, :mod:`webmap.web.live`); the
blueprints read it through :func:`webmap.web.base.current_state`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from geo.coverage import CoverageResult
from layers.analysis import Plan, plan_study_area
from layers.study import StudyArea, analyse_study_area, load_study_area
from webmap.maps.build import build_map
from webmap.maps.pages import RenderedMap, render_map

logger = logging.getLogger(__name__)
__all__ = ["IbashoState"]


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
    #: 0 for the first state, one more after each refresh (caches key on it).
    generation: int = 0
    #: Bodies of API answers made from this state (made once, on first request).
    api_cache: dict[str, str] = field(default_factory=dict)
    _district_maps: dict[str, RenderedMap] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, config_path: str | Path, *, asset_base: str,
             district_url: str) -> IbashoState:
        """Load and analyse the study area of ``config_path`` and render the city map."""
        return cls.from_study(load_study_area(config_path), asset_base=asset_base,
                              district_url=district_url)

    @classmethod
    def from_study(cls, study: StudyArea, *, asset_base: str, district_url: str,
                   generation: int = 0) -> IbashoState:
        """Analyse a loaded study area and render its city map."""
        coverage = analyse_study_area(study)
        plan = plan_study_area(study)
        state = cls(study=study, coverage=coverage, plan=plan, asset_base=asset_base,
                    district_url=district_url, generation=generation)
        state.city_map = render_map(build_map(study, coverage, plan=plan,
                                              asset_base=asset_base,
                                              district_url=district_url, title_bar=False))
        return state

    @property
    def district_maps_cached(self) -> int:
        """How many district maps have been rendered and kept."""
        with self._lock:
            return len(self._district_maps)

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
