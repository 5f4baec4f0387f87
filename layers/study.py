"""A whole study area: every configured layer loaded and checked, then analysed once.

This is the one place that knows which loader reads which layer; the web app and the CLI
call :func:`load_study_area` (or :func:`check_study_area`) and never read files themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.coverage.by_distance import CoverageResult, assign_districts, coverage_by_district
from geo.memo import FrameMemo
from geo.streets.network import StreetNetwork
from layers.config import StudyConfig, load_config
from layers.errors import LayerError, Problem
from layers.fields.schema import PLACE_COLUMNS, PLACE_NUMBER_COLUMNS
from layers.files.candidates import load_candidates
from layers.files.derived_districts import derived_districts, no_places
from layers.files.districts import load_districts
from layers.files.elevation import elevation_for_network
from layers.files.places import load_places, served_area_problems
from layers.files.points import StudyExtent
from layers.files.population import load_population
from layers.files.reader import read_vector
from layers.files.routes import load_bus_routes, load_walking_routes
from layers.files.stops import load_stops
from layers.files.streets import CACHE_DIR_NAME, load_streets, places_far_from_streets

logger = logging.getLogger(__name__)
__all__ = ["StudyArea", "analyse_study_area", "check_study_area", "load_study_area",
           "split_resources", "study_outline", "study_with_places"]


@dataclass
class StudyArea:
    """Every layer of one study area, in ``STORAGE_CRS``; optional layers may be None."""

    config: StudyConfig
    boundary: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame | None = None
    bus_routes: gpd.GeoDataFrame | None = None
    walking_routes: gpd.GeoDataFrame | None = None
    population: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None
    #: The walkable street network (metric CRS), when the config names an OSM file.
    streets: StreetNetwork | None = None
    #: Height of every street node in metres, when the config names an elevation raster.
    elevation_m: np.ndarray | None = None
    #: Warnings found while loading (errors raise instead).
    warnings: list[Problem] = field(default_factory=list)
    #: Community resources other than gathering places (``config.resource_categories``):
    #: the place columns, a point or none (an area resource, ``serves``); never in coverage.
    resources: gpd.GeoDataFrame = field(default_factory=no_places)
    #: What the analyses compute from the districts, stops and population alone, kept
    #: (:class:`geo.memo.FrameMemo`); copies with other places share it.
    memo: FrameMemo = field(default_factory=FrameMemo, repr=False, compare=False)

    @property
    def district_names(self) -> list[str]:
        return list(self.districts["name"])


def _steps(config: StudyConfig, extent: StudyExtent | None) -> dict[str, Callable]:
    """Loader per layer name, each returning ``(GeoDataFrame, warnings)``."""
    return {
        "districts": lambda layer: load_districts(layer),
        "places": lambda layer: load_places(layer, categories=config.all_categories,
                                            extent=extent),
        "stops": lambda layer: load_stops(layer, area=extent.outline if extent else None),
        "bus_routes": lambda layer: load_bus_routes(layer),
        "walking_routes": lambda layer: load_walking_routes(
            layer, profile=config.walking, metric_crs=config.metric_crs),
        "population": lambda layer: load_population(layer, extent=extent),
        "candidates": lambda layer: load_candidates(layer, extent=extent),
    }


def _boundary(config: StudyConfig) -> tuple[gpd.GeoDataFrame | None, StudyExtent | None]:
    if config.boundary is None:
        return None, None
    boundary = read_vector(config.boundary)
    outline = shapely.union_all(boundary.geometry.make_valid().values)
    return boundary, StudyExtent(outline, metric_crs=config.metric_crs)


def study_outline(config: StudyConfig) -> shapely.Geometry:
    """The study area's outline (EPSG:4326): the boundary, or else the districts' union."""
    _, extent = _boundary(config)
    if extent is not None:
        return extent.outline
    if config.layer("districts") is None:
        raise LayerError.single(config.path, "the study area has neither an outline nor "
                                "districts.", field="study_area.boundary",
                                fix='Add boundary = "outline.geojson" to [study_area].')
    districts, _ = load_districts(config.layers["districts"])
    return shapely.union_all(districts.geometry.values)


def check_study_area(config: StudyConfig | str | Path,
                     progress: Callable[[str, int, int], None] | None = None) -> list[Problem]:
    """
    Load every layer and return every problem found, errors and warnings, in every file.

    Unlike :func:`load_study_area` this does not stop at the first layer with errors.
    ``progress(layer_name, n_features, n_problems)`` is called after each layer.
    """
    if not isinstance(config, StudyConfig):
        try:
            config = load_config(config)
        except LayerError as exc:
            return exc.problems
    problems: list[Problem] = []
    try:
        _, extent = _boundary(config)
    except LayerError as exc:
        problems += exc.problems
        extent = None
    for name, load in _steps(config, extent).items():
        layer = config.layer(name)
        if layer is None:
            continue
        try:
            frame, layer_problems = load(layer)
            count = len(frame)
        except LayerError as exc:
            layer_problems, count = exc.problems, 0
        problems += layer_problems
        if progress is not None:
            progress(name, count, len(layer_problems))
    if config.streets is not None and not any(p.is_error for p in problems):
        try:
            study = load_study_area(config)
        except LayerError as exc:
            problems += exc.problems
        else:
            street_problems = [p for p in study.warnings if p not in problems]
            problems += street_problems
            if progress is not None and study.streets is not None:
                progress("streets", len(study.streets.u), len(street_problems))
    return problems


def load_study_area(config: StudyConfig | str | Path,
                    progress: Callable[[str, int], None] | None = None) -> StudyArea:
    """
    Load and validate every configured layer of a study area.

    Places without a district get the district their position falls in.

    Raises
    ------
    LayerError
        With all errors of all layers (each names file, row, field and a fix).
    """
    if not isinstance(config, StudyConfig):
        config = load_config(config)
    boundary, extent = _boundary(config)
    loaded: dict[str, gpd.GeoDataFrame] = {}
    warnings: list[Problem] = []
    errors: list[Problem] = []
    for name, load in _steps(config, extent).items():
        layer = config.layer(name)
        if layer is None:
            continue
        try:
            loaded[name], layer_warnings = load(layer)
        except LayerError as exc:
            errors += exc.problems
            continue
        warnings += layer_warnings
        if progress is not None:
            progress(name, len(loaded[name]))
    if any(p.is_error for p in errors):
        raise LayerError(errors + warnings)

    places = loaded.get("places", no_places())
    if "districts" in loaded:
        districts = loaded["districts"]
    else:  # the config's outline is required then (load_config checks it)
        districts = derived_districts(config, boundary, loaded.get("population"))
    if boundary is None:
        boundary = gpd.GeoDataFrame(
            geometry=[shapely.union_all(districts.geometry.values)], crs=districts.crs)
    located = places.geometry.notna()
    found = assign_districts(places, districts, metric_crs=config.metric_crs)
    places["district"] = places["district"].where(~located | places["district"].ne(""), found)
    places, resources = split_resources(places, config)
    if "population" in loaded and not resources.empty:
        warnings += served_area_problems(resources, config.layers["places"],
                                         towns=loaded["population"]["name"])
    streets, elevation_m = _streets(config, boundary, places, warnings, progress)
    return StudyArea(config=config, boundary=boundary, districts=districts, places=places,
                     resources=resources,
                     stops=loaded.get("stops"), bus_routes=loaded.get("bus_routes"),
                     walking_routes=loaded.get("walking_routes"),
                     population=loaded.get("population"), candidates=loaded.get("candidates"),
                     streets=streets, elevation_m=elevation_m, warnings=warnings)


def study_with_places(study: StudyArea, places: gpd.GeoDataFrame, *,
                      walking_routes: gpd.GeoDataFrame | None = None) -> StudyArea:
    """
    A copy of ``study`` with other places (and walking routes), e.g. those of the database.

    Places without a district get the one their position falls in, as in
    :func:`load_study_area`; the other layers are shared with ``study``, not copied.

    Parameters
    ----------
    study
        The loaded study area.
    places
        Places with :data:`layers.fields.schema.PLACE_COLUMNS` (and ``capacity`` when given;
        other columns are dropped; retired
        places must be left out by the caller), in ``STORAGE_CRS``.
    walking_routes
        Routes with :data:`layers.files.routes.WALKING_ROUTE_COLUMNS`; None keeps the study's.

    Returns
    -------
    StudyArea
        ``places`` numbered by ``row`` from 1 in the given order.
    """
    missing = [c for c in PLACE_COLUMNS if c not in places.columns]
    if missing:
        msg = f"`places` lacks the columns {missing}; give them as the store returns them."
        raise ValueError(msg)
    columns = [c for c in study.places.columns if c in (*PLACE_COLUMNS, "row")]
    kept = [c for c in PLACE_NUMBER_COLUMNS if c in places.columns]  # the capacity, if stored
    places = places[[*PLACE_COLUMNS, *kept, "geometry"]].reset_index(drop=True)
    if len(places):
        located = places.geometry.notna()
        found = assign_districts(places, study.districts, metric_crs=study.config.metric_crs)
        places["district"] = places["district"].where(~located | places["district"].ne(""),
                                                      found)
    places, resources = split_resources(places, study.config)
    places = places.reset_index(drop=True)
    places["row"] = range(1, len(places) + 1)
    places = places[[*columns, *(c for c in (*PLACE_COLUMNS, "row") if c not in columns),
                     *kept, "geometry"]]
    routes = study.walking_routes if walking_routes is None else walking_routes
    if routes is not None and routes.empty:
        routes = None  # as without a walking-route layer
    logger.info("Study area with %d places and %d walking routes", len(places),
                0 if routes is None else len(routes))
    return replace(study, places=places, resources=resources, walking_routes=routes)


def split_resources(places: gpd.GeoDataFrame,
                    config: StudyConfig) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """
    The gathering places (``config.categories``) and the other community resources.

    A resource keeps its row even without a position (an area resource: ``serves``, with its
    district, which every write path requires then).

    Returns
    -------
    (GeoDataFrame, GeoDataFrame)
        The gathering places, and the resources (index from 0, in the given order).
    """
    gathering = places["category"].isin(config.categories)
    return places[gathering], places[~gathering].reset_index(drop=True)


def _streets(config: StudyConfig, boundary: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
             warnings: list[Problem], progress: Callable[[str, int], None] | None,
             ) -> tuple[StreetNetwork | None, np.ndarray | None]:
    """The street network (cached beside the config) and node heights, when configured."""
    if config.streets is None:
        return None, None
    area = shapely.union_all(boundary.geometry.make_valid().values)
    streets = load_streets(config.streets, area=area, metric_crs=config.metric_crs,
                           cache_dir=config.directory / CACHE_DIR_NAME)
    if config.layer("places") is not None:
        warnings += places_far_from_streets(places[places.geometry.notna()], streets,
                                            path=config.layers["places"].path)
    if progress is not None:
        progress("streets", len(streets.u))
    elevation_m = None
    if config.elevation is not None:
        elevation_m = elevation_for_network(config.elevation, streets)
        if progress is not None:
            progress("elevation", len(elevation_m))
    return streets, elevation_m


def analyse_study_area(study: StudyArea, *, basis: str | None = None) -> CoverageResult:
    """
    Straight-line coverage and gaps per district with the config's radii and pace.

    ``basis`` picks the people counted (``"total"``, ``"age65"``, ``"age75"``,
    ``"age85"``); None: 65+ when every area has it, else the total.

    Raises
    ------
    ValueError
        An unknown basis, or one the population data lacks.
    """
    config = study.config
    return coverage_by_district(
        study.districts, study.places, radii_m=config.radii_m, population=study.population,
        stops=study.stops, profile=config.walking, metric_crs=config.metric_crs, basis=basis,
        memo=study.memo,
    )
