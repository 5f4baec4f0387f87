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
from geo.residents import population_basis
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
    #: The people counted when asked for (``?basis=age75``); None: the data's default (65+
    #: when every area has it, else the total).
    basis: str | None = None
    _district_maps: dict[str, RenderedMap] = field(default_factory=dict)
    _by_basis: dict[str, IbashoState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, config_path: str | Path, *, asset_base: str,
             district_url: str) -> IbashoState:
        """Load and analyse the study area of ``config_path`` and render the city map."""
        return cls.from_study(load_study_area(config_path), asset_base=asset_base,
                              district_url=district_url)

    @classmethod
    def from_study(cls, study: StudyArea, *, asset_base: str, district_url: str,
                   generation: int = 0, basis: str | None = None) -> IbashoState:
        """Analyse a loaded study area (counting ``basis``) and render its city map."""
        coverage = analyse_study_area(study, basis=basis)
        plan = plan_study_area(study, basis=basis)
        state = cls(study=study, coverage=coverage, plan=plan, asset_base=asset_base,
                    district_url=district_url, generation=generation, basis=basis)
        state.city_map = render_map(build_map(study, coverage, plan=plan,
                                              asset_base=asset_base,
                                              district_url=district_url, title_bar=False))
        return state

    def for_basis(self, basis: str) -> IbashoState:
        """
        This state counting the people of ``basis`` (``total``, ``age65``, ``age75``,
        ``age85``): analysed and its city map rendered on first use, then kept (a change of
        the places makes a new state, and new ones).

        Raises
        ------
        ValueError
            No population layer, an unknown band, or one the data lacks (the message lists
            the bands it has).
        """
        if self.study.population is None:
            msg = "No population layer is loaded: add [layers.population] to the config."
            raise ValueError(msg)
        chosen = population_basis(self.study.population, basis)
        if chosen == self.plan.basis:
            return self
        assert chosen is not None  # there is a population layer
        with self._lock:
            sibling = self._by_basis.get(chosen)
        if sibling is None:
            sibling = IbashoState.from_study(self.study, asset_base=self.asset_base,
                                             district_url=self.district_url,
                                             generation=self.generation, basis=chosen)
            with self._lock:
                sibling = self._by_basis.setdefault(chosen, sibling)
        return sibling

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
