"""The app's state, in one typed object under one key of ``app.extensions``.

:func:`webmap.web.app.create_app` keeps one :class:`AppState` under
``app.extensions[STATE_KEY]``; the blueprints read it through
:func:`webmap.web.base.app_state` (and the maps served through
:func:`webmap.web.base.current_state`), never by a key of their own:

- :attr:`AppState.live` is the site's database (places and routes, staff accounts, saved
  scenarios: :class:`layers.store.site.SiteDatabase`) and the maps drawn from it,
  kept current in every process (:mod:`webmap.web.live`);
- :attr:`AppState.maps` is the :class:`IbashoState` served now: the study area, its analysis,
  the rendered maps and what the pages make from them once (the resident page's index, the
  encoded bodies, rendered sheets: :meth:`IbashoState.kept`). A change of the data draws a
  new one, swapped in with one assignment, so a request sees one whole state or the next, and
  every cache made from a state goes with it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from geo.coverage.by_distance import CoverageResult
from geo.coverage.residents import population_basis
from layers.analysis import Plan, plan_study_area
from layers.store.places import PlaceStore
from layers.store.scenarios import ScenarioStore
from layers.store.users import UserStore
from layers.study import StudyArea, analyse_study_area, load_study_area
from webmap.maps.build import build_map
from webmap.maps.pages import RenderedMap, render_map
from webmap.web.http_cache import BodyCache, RenderGate
from webmap.web.live import LiveSite

logger = logging.getLogger(__name__)
__all__ = ["STATE_KEY", "AppState", "IbashoState"]

#: The one key of ``app.extensions`` that ibasho uses.
STATE_KEY = "ibasho"

T = TypeVar("T")


@dataclass
class IbashoState:
    """
    The maps served at one data version: the study area, its analysis, the rendered maps, and
    what the pages make from them (made once, kept with them).
    """

    study: StudyArea
    coverage: CoverageResult
    #: Network reach (when streets are loaded), suggested sites, and what-if state.
    plan: Plan
    asset_base: str
    district_url: str
    city_map: RenderedMap | None = None
    #: The people counted when asked for (``?basis=age75``); None: the data's default (65+
    #: when every area has it, else the total).
    basis: str | None = None
    #: Encoded bodies of the pages and the API made from this state (:mod:`webmap.web.http_cache`).
    bodies: BodyCache = field(default_factory=BodyCache, repr=False)
    _district_maps: dict[str, RenderedMap] = field(default_factory=dict, repr=False)
    _by_basis: dict[str, IbashoState] = field(default_factory=dict, repr=False)
    _kept: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, config_path: str | Path, *, asset_base: str,
             district_url: str) -> IbashoState:
        """Load and analyse the study area of ``config_path`` and render the city map."""
        return cls.from_study(load_study_area(config_path), asset_base=asset_base,
                              district_url=district_url)

    @classmethod
    def from_study(cls, study: StudyArea, *, asset_base: str, district_url: str,
                   basis: str | None = None, render: bool = True) -> IbashoState:
        """Analyse a loaded study area (counting ``basis``) and render its city map (with
        ``render``; else on first use, :meth:`rendered_city_map`)."""
        coverage = analyse_study_area(study, basis=basis)
        plan = plan_study_area(study, basis=basis)
        state = cls(study=study, coverage=coverage, plan=plan, asset_base=asset_base,
                    district_url=district_url, basis=basis)
        if render:
            state.rendered_city_map()
        return state

    def rendered_city_map(self) -> RenderedMap:
        """The rendered city map (rendered on first use, then kept)."""
        with self._lock:
            rendered = self.city_map
        if rendered is None:
            rendered = render_map(build_map(self.study, self.coverage, plan=self.plan,
                                            asset_base=self.asset_base,
                                            district_url=self.district_url, title_bar=False))
            with self._lock:
                if self.city_map is None:
                    self.city_map = rendered
                rendered = self.city_map
        return rendered

    def for_basis(self, basis: str) -> IbashoState:
        """
        This state counting the people of ``basis`` (``total``, ``age65``, ``age75``,
        ``age85``): analysed on first use from what every band shares (the reach, kept in
        the study's memo: only the band's people are counted again), its maps rendered
        when a page asks for them, then kept (a change of the places makes a new state, and
        new ones).

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
                                             district_url=self.district_url, basis=chosen,
                                             render=False)
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

    def kept(self, name: str, make: Callable[[], T]) -> T:
        """
        ``make()``, made once for this state and kept with it (a blueprint's cache of what it
        derives from the state; ``name`` is the blueprint's, e.g. ``"planner.baseline"``).
        """
        with self._lock:
            if name in self._kept:
                return self._kept[name]
        value = make()
        with self._lock:
            return self._kept.setdefault(name, value)


@dataclass(frozen=True)
class AppState:
    """Everything a running app keeps (see the module notes)."""

    #: The site's database and the maps drawn from it, kept current.
    live: LiveSite[IbashoState]
    #: How many printed files are rendered at once (``RENDERS_AT_ONCE``, ``RENDER_WAIT_S``).
    render_gate: RenderGate = field(default_factory=RenderGate)

    @property
    def maps(self) -> IbashoState:
        """The maps served now (a new object after each change of the data)."""
        return self.live.state

    @property
    def places(self) -> PlaceStore:
        """The places (and walking routes) staff edit."""
        return self.live.database.places

    @property
    def users(self) -> UserStore:
        """The staff accounts."""
        return self.live.database.users

    @property
    def scenarios(self) -> ScenarioStore:
        """The planner's saved scenarios."""
        return self.live.database.scenarios
