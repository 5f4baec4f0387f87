"""What the resident page 「近くの居場所」 looks things up in, made once when the app starts.

Positions of places, bus stops and 町丁 points in metres, parsed schedules and contacts, the
districts, the bus routes' stop lists, the walking graph in the walker's direction (when a
street network is loaded) and the start points residents can choose without location. A
request then only measures from one point: no layer is read, projected or parsed again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix

from geo.crs import STORAGE_CRS
from geo.streets.nearest import RouteStops, forward_graph
from geo.streets.network import Snapped, snap_points
from geo.streets.reach import WalkGraph, points_xy
from geo.streets.walking import WalkProfile
from layers.analysis import Plan
from layers.fields.contact import Contact, parse_contact
from layers.fields.schedule import Schedule, parse_schedule
from layers.study import StudyArea
from webmap.web.state import IbashoState

logger = logging.getLogger(__name__)
__all__ = ["Choice", "NearIndex", "build_near_index", "near_index"]

#: Start-point groups in the order the page lists them.
CHOICE_GROUPS: tuple[str, ...] = ("towns", "stops", "places")


@dataclass(frozen=True)
class Choice:
    """A start point a resident can pick from a list: a 町名, a bus stop or a building."""

    #: ``town:<key>``, ``stop:<stop_id>`` or ``place:<place_id>`` (the form's value).
    value: str
    label: str
    group: str
    district: str
    x: float
    y: float


@dataclass(eq=False)
class NearIndex:
    """Everything the resident page measures against, in the study area's metric CRS."""

    study: StudyArea
    #: "network" (street network loaded) or "straight" (straight line × detour factor).
    method: str
    #: How residents walk (the config's one profile): every minute shown comes from it.
    profile: WalkProfile
    metric_crs: str
    place_x: np.ndarray
    place_y: np.ndarray
    schedules: list[Schedule]
    contacts: list[Contact]
    stop_x: np.ndarray
    stop_y: np.ndarray
    town_x: np.ndarray
    town_y: np.ndarray
    town_names: list[str]
    district_names: list[str]
    district_shapes: list
    #: The study area in metres (districts merged), to tell residents they are outside.
    area: object
    #: Ordered stop names of each bus route (indexed by stop), and the routes' names.
    route_stops: RouteStops
    route_names: list[str]
    #: The stops layer's source notes (出典 of the timetables), each once, sorted.
    stop_notes: list[str]
    graph: WalkGraph | None = None
    forward: csr_matrix | None = None
    place_snapped: Snapped | None = None
    choices: dict[str, list[Choice]] = field(default_factory=dict)
    #: The community resources (:attr:`layers.study.StudyArea.resources`): positions (NaN
    #: for an area resource), parsed schedules and contacts, and where they meet the streets.
    resource_x: np.ndarray = field(default_factory=lambda: np.empty(0))
    resource_y: np.ndarray = field(default_factory=lambda: np.empty(0))
    resource_schedules: list[Schedule] = field(default_factory=list)
    resource_contacts: list[Contact] = field(default_factory=list)
    resource_snapped: Snapped | None = None
    _to_metric: Transformer | None = None
    _to_lonlat: Transformer | None = None

    @property
    def places(self) -> pd.DataFrame:
        return self.study.places

    @property
    def resources(self) -> pd.DataFrame:
        return self.study.resources

    @property
    def stops(self) -> pd.DataFrame | None:
        return self.study.stops

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """Longitude and latitude to metres in :attr:`metric_crs`."""
        x, y = self._to_metric.transform(lon, lat)
        return float(x), float(y)

    def lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metres in :attr:`metric_crs` back to longitude and latitude."""
        lon, lat = self._to_lonlat.transform(np.asarray(x, dtype=float),
                                             np.asarray(y, dtype=float))
        return np.asarray(lon), np.asarray(lat)

    def district_at(self, x: float, y: float) -> str | None:
        """The district whose polygon holds the point, or None outside every district."""
        for name, shape in zip(self.district_names, self.district_shapes, strict=True):
            if shapely.contains_xy(shape, x, y):
                return name
        return None

    def outside_m(self, x: float, y: float) -> float:
        """How far the point lies outside the study area (0 inside)."""
        return float(shapely.distance(self.area, shapely.Point(x, y)))

    def choice(self, value: str) -> Choice | None:
        """The start point with form value ``value``, or None."""
        for choices in self.choices.values():
            for choice in choices:
                if choice.value == value:
                    return choice
        return None


def _xy(frame, crs: str) -> tuple[np.ndarray, np.ndarray]:
    if frame is None or len(frame) == 0:
        return np.empty(0), np.empty(0)
    points = frame.geometry
    if not (points.geom_type.dropna() == "Point").all():
        points = points.representative_point()
    return points_xy(points, crs)


def _in_districts(x: np.ndarray, y: np.ndarray, names: list[str], shapes: list) -> np.ndarray:
    found = np.full(len(x), "", dtype=object)
    for name, shape in zip(names, shapes, strict=True):
        inside = shapely.contains_xy(shape, x, y) & (found == "")
        found[inside] = name
    return found


def _choices(index: NearIndex) -> dict[str, list[Choice]]:
    """Start points per district: towns, then stops (one per name), then located places."""
    per_district: dict[str, list[Choice]] = {name: [] for name in index.district_names}
    town_district = _in_districts(index.town_x, index.town_y, index.district_names,
                                  index.district_shapes)
    population = index.study.population
    keys = None
    if population is not None and "key_code" in population:
        codes = population["key_code"].astype(str).fillna("")
        if codes.ne("").all() and codes.is_unique:
            keys = list(codes)
    towns: dict[tuple[str, str], list[int]] = {}
    for i, name in enumerate(index.town_names):
        if town_district[i] and name:
            towns.setdefault((town_district[i], name), []).append(i)
    for (district, name), rows in towns.items():
        # a 町 split into several 町丁 points: the one nearest their middle stands for it
        rows_xy = np.column_stack([index.town_x[rows], index.town_y[rows]])
        middle = rows_xy.mean(axis=0)
        i = rows[int(np.argmin(np.hypot(*(rows_xy - middle).T)))]
        key = keys[i] if keys is not None else str(i)
        per_district[district].append(Choice(f"town:{key}", name, "towns", district,
                                             float(index.town_x[i]), float(index.town_y[i])))
    stops = index.stops
    if stops is not None and len(stops):
        stop_district = _in_districts(index.stop_x, index.stop_y, index.district_names,
                                      index.district_shapes)
        seen: set[tuple[str, str]] = set()
        for i, (stop_id, name) in enumerate(zip(stops["stop_id"], stops["name"], strict=True)):
            key = (stop_district[i], str(name))
            if not stop_district[i] or not name or key in seen:
                continue
            seen.add(key)
            per_district[stop_district[i]].append(Choice(
                f"stop:{stop_id}", str(name), "stops", stop_district[i],
                float(index.stop_x[i]), float(index.stop_y[i])))
    places = index.places
    for i, (place_id, name, district) in enumerate(
            zip(places["place_id"], places["name"], places["district"], strict=True)):
        if district in per_district and np.isfinite(index.place_x[i]):
            per_district[district].append(Choice(
                f"place:{place_id}", str(name), "places", district,
                float(index.place_x[i]), float(index.place_y[i])))
    order = {group: n for n, group in enumerate(CHOICE_GROUPS)}
    for choices in per_district.values():
        choices.sort(key=lambda c: (order[c.group], c.label))
    return per_district


def near_index(state: IbashoState) -> NearIndex:
    """
    The lookup tables of the maps ``state`` serves: built once with them and kept with them
    (:meth:`webmap.web.state.IbashoState.kept`), so a new state has its own.
    """
    return state.kept("resident.near_index",
                      lambda: build_near_index(state.study, state.plan))


def build_near_index(study: StudyArea, plan: Plan) -> NearIndex:
    """
    Make the resident page's lookup tables from a loaded study area and its plan.

    Parameters
    ----------
    study
        The loaded layers (:func:`layers.study.load_study_area`).
    plan
        Its plan (:func:`layers.analysis.plan_study_area`); with a street network,
        ``plan.network.graph`` gives the walking times and ``plan.network.reach.places``
        the places as snapped to the streets.

    Returns
    -------
    NearIndex
        Built once per app; every request reads it and never changes it.
    """
    config = study.config
    crs = config.metric_crs
    districts = study.districts.to_crs(crs)
    district_shapes = [shapely.make_valid(g) for g in districts.geometry]
    for shape in district_shapes:
        shapely.prepare(shape)
    area = shapely.union_all(district_shapes)
    shapely.prepare(area)
    place_x, place_y = _xy(study.places, crs)
    stop_x, stop_y = _xy(study.stops, crs)
    town_x, town_y = _xy(study.population, crs)
    town_names = [] if study.population is None else [
        str(n) if isinstance(n, str) else "" for n in study.population.get(
            "name", pd.Series([""] * len(study.population)))]
    routes = study.bus_routes
    route_stops = RouteStops([] if routes is None else routes["stops"])
    stop_notes = [] if study.stops is None else sorted(
        {str(n) for n in study.stops.get("note", []) if isinstance(n, str) and n})
    route_names = [] if routes is None else [  # as the journeys name them: operator, name
        " ".join(part for part in (str(operator or "").strip(), str(name)) if part)
        for operator, name in zip(routes["operator"], routes["name"], strict=True)]
    graph = forward = snapped = None
    if plan.network is not None:
        graph = plan.network.graph
        forward = forward_graph(graph)
        snapped = plan.network.reach.places
    index = NearIndex(
        study=study, method=plan.method, profile=config.walking, metric_crs=crs,
        place_x=place_x, place_y=place_y,
        schedules=[parse_schedule(s) for s in study.places["schedule"]],
        contacts=[parse_contact(c) for c in study.places["contact"]],
        stop_x=stop_x, stop_y=stop_y, town_x=town_x, town_y=town_y, town_names=town_names,
        district_names=list(districts["name"]), district_shapes=district_shapes, area=area,
        route_stops=route_stops, route_names=route_names, stop_notes=stop_notes,
        graph=graph, forward=forward,
        place_snapped=snapped,
        _to_metric=Transformer.from_crs(STORAGE_CRS, crs, always_xy=True),
        _to_lonlat=Transformer.from_crs(crs, STORAGE_CRS, always_xy=True),
    )
    index.choices = _choices(index)
    resources = study.resources
    index.resource_x, index.resource_y = _xy(resources, crs)
    index.resource_schedules = [parse_schedule(s) for s in resources["schedule"]]
    index.resource_contacts = [parse_contact(c) for c in resources["contact"]]
    if graph is not None and len(resources):
        index.resource_snapped = snap_points(graph.network, index.resource_x, index.resource_y)
    logger.info("Resident page index: %d places, %d stops, %d towns, %s walking", len(place_x),
                len(stop_x), len(town_x), index.method)
    return index
