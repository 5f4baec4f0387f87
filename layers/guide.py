"""What a district's guidebook (社会資源一覧・生活支援ガイドブック) says, worked out once.

:func:`district_guide` gathers every community resource of a district: its gathering places
(``config.categories``), the other resources (``config.resource_categories``: a point, or an
area with no point that serves the whole district or some 町丁) and the walking routes that
pass through it. For each it says what, when (the next dates read from the schedule by
:mod:`layers.fields.schedule`, or why none are given), where, whom to ask, and how to get
there: walking minutes from the district's 町丁 and the bus stops nearby. An index of 町名
lists, for every 町丁 of the district, the resources within walking distance of it or serving it.

The PDF, the workbook and the pages draw from the same :class:`DistrictGuide`
(:mod:`webmap.prints.guidebook`), so they never disagree.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.coverage.by_distance import assign_districts
from geo.crs import STORAGE_CRS, to_metric
from layers.fields.schedule import next_openings, parse_schedule
from layers.fields.schema import WHOLE_DISTRICT, served_areas
from layers.study import StudyArea

logger = logging.getLogger(__name__)
__all__ = ["WALKING_COURSE", "DistrictGuide", "GuideEntry", "district_guide"]

#: The category under which walking routes (lines) are listed.
WALKING_COURSE = "ウォーキングコース"

#: How many next dates an entry gives.
NEXT_DATES = 3
#: Walks from 町丁 longer than this are not listed (and not in the index).
MAX_WALK_MINUTES = 20.0
#: Bus stops within this straight-line distance of a resource are listed (nearest first).
STOP_RADIUS_M = 500.0
#: The most 町丁 and stops an entry lists.
MAX_TOWNS = 4
MAX_STOPS = 3


@dataclass(frozen=True)
class GuideEntry:
    """One resource of a guidebook, numbered in the order it is printed."""

    number: int
    name: str
    category: str
    #: ``"point"`` (a place or a stop), ``"line"`` (a walking course) or ``"area"``.
    kind: str
    schedule: str
    #: The next dates as residents read them (``12月2日（水）10:00～12:00``); empty when the
    #: schedule gives none (then :attr:`schedule_note` says why, or the text is shown).
    next_dates: tuple[str, ...]
    schedule_note: str
    address: str
    contact: str
    notes: str
    #: The 町丁 an area resource serves (「全域」: the whole district); empty for a point.
    serves: tuple[str, ...]
    #: (町丁, walking minutes), nearest first, within :data:`MAX_WALK_MINUTES`.
    walks: tuple[tuple[str, int], ...]
    #: (bus stop, walking minutes), nearest first, within :data:`STOP_RADIUS_M`.
    stops: tuple[tuple[str, int], ...]
    #: How the position is known: ``exact``, ``approx`` or ``unknown`` (lines: ``exact``).
    position_quality: str
    #: A walking course's length (km) and walking minutes; None for other entries.
    length_km: float | None = None
    course_minutes: int | None = None
    #: The point (a walking course: where it starts), ``STORAGE_CRS``; None for an area.
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class DistrictGuide:
    """Everything a district's guidebook prints, in order."""

    district: str
    title: str
    today: dt.date
    #: (category, entries) in the config's order of categories, walking courses last.
    sections: tuple[tuple[str, tuple[GuideEntry, ...]], ...]
    #: (町名, entry numbers) for every 町丁 of the district, in 五十音-ish (code point) order.
    towns: tuple[tuple[str, tuple[int, ...]], ...]
    attribution: tuple[str, ...]
    #: How minutes are estimated (e.g. 「直線距離×1.3、毎分60 m」).
    walking_note: str

    @property
    def entries(self) -> tuple[GuideEntry, ...]:
        """Every entry, in printed order."""
        return tuple(entry for _, entries in self.sections for entry in entries)


def district_guide(study: StudyArea, district: str, *, today: dt.date) -> DistrictGuide:
    """
    The guidebook of ``district``: every resource by category, the index of 町名, the 出典.

    Parameters
    ----------
    study
        The study area, its places and resources as served (e.g. from the database).
    district
        A name of ``study.districts``.
    today
        The day the next dates are counted from (Japan's date: ``japan_today()``).

    Raises
    ------
    KeyError
        If ``district`` is not a district of the study area (the message lists them).
    """
    if district not in study.district_names:
        msg = f"No district {district!r}; choose one of: {', '.join(study.district_names)}."
        raise KeyError(msg)
    config = study.config
    crs = config.metric_crs
    towns = _district_towns(study, district)
    stops = (None if study.stops is None or study.stops.empty
             else to_metric(study.stops[["name", "geometry"]], crs))
    frames = [study.places[study.places["district"] == district],
              study.resources[study.resources["district"] == district]]
    chosen = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(
        len(f) for f in frames) else study.places.iloc[:0]
    by_category: dict[str, list[GuideEntry]] = {}
    number = 0
    order = {name: i for i, name in enumerate(config.all_categories)}
    chosen = chosen.assign(_order=chosen["category"].map(order).fillna(len(order)))
    chosen = chosen.sort_values(["_order", "name"], kind="stable")
    for record in chosen.to_dict("records"):
        number += 1
        by_category.setdefault(str(record["category"]), []).append(
            _entry(number, record, study, towns, stops, today=today))
    for record in _district_routes(study, district):
        number += 1
        by_category.setdefault(WALKING_COURSE, []).append(
            _route_entry(number, record, study, towns, stops))
    sections = tuple((category, tuple(entries)) for category, entries in by_category.items())
    index: dict[str, list[int]] = {name: [] for name in sorted(towns["name"])}
    for _, entries in sections:
        for entry in entries:
            near = {name for name, _ in entry.walks} | set(entry.serves)
            for name in index:
                if name in near or WHOLE_DISTRICT in entry.serves:
                    index[name].append(entry.number)
    profile = config.walking
    walking_note = f"直線距離×{profile.detour_factor:g}を{profile.label}で歩く目安"
    return DistrictGuide(
        district=district, title=config.title, today=today, sections=sections,
        towns=tuple((name, tuple(numbers)) for name, numbers in index.items()),
        attribution=tuple(config.attribution), walking_note=walking_note)


def _district_towns(study: StudyArea, district: str) -> gpd.GeoDataFrame:
    """The 町丁 (population points with a name) of the district, in the metric CRS."""
    population = study.population
    if population is None or population.empty:
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs=study.config.metric_crs)
    named = population[population["name"].astype(str).str.strip().ne("")
                       & population.geometry.notna()][["name", "geometry"]]
    inside = assign_districts(named, study.districts, metric_crs=study.config.metric_crs)
    towns = named[inside.eq(district)].drop_duplicates("name")
    return to_metric(towns, study.config.metric_crs)


def _district_routes(study: StudyArea, district: str) -> list[dict]:
    """The walking routes that pass through the district."""
    routes = study.walking_routes
    if routes is None or routes.empty:
        return []
    outline = study.districts[study.districts["name"] == district].geometry
    crossing = routes[routes.intersects(outline.union_all())]
    return crossing.to_dict("records")


def _walks(point_m: np.ndarray | None, towns: gpd.GeoDataFrame, study: StudyArea,
           ) -> tuple[tuple[str, int], ...]:
    """(町丁, minutes) within :data:`MAX_WALK_MINUTES` of ``point_m``, nearest first."""
    if point_m is None or towns.empty:
        return ()
    xy = np.column_stack([towns.geometry.x, towns.geometry.y])
    minutes = study.config.walking.straight_minutes(np.hypot(*(xy - point_m).T))
    order = np.argsort(minutes, kind="stable")
    return tuple((str(towns["name"].iloc[i]), max(1, round(float(minutes[i]))))
                 for i in order if minutes[i] <= MAX_WALK_MINUTES)


def _stops(point_m: np.ndarray | None, stops: gpd.GeoDataFrame | None,
           study: StudyArea) -> tuple[tuple[str, int], ...]:
    """(bus stop, minutes) within :data:`STOP_RADIUS_M` of ``point_m``, nearest first."""
    if point_m is None or stops is None:
        return ()
    xy = np.column_stack([stops.geometry.x, stops.geometry.y])
    distance = np.hypot(*(xy - point_m).T)
    found: dict[str, int] = {}
    for i in np.argsort(distance, kind="stable"):
        if distance[i] > STOP_RADIUS_M or len(found) == MAX_STOPS:
            break
        name = str(stops["name"].iloc[i])
        found.setdefault(name, max(1, round(float(
            study.config.walking.straight_minutes(float(distance[i]))))))
    return tuple(found.items())


def _point_m(geometry: BaseGeometry | None, crs: str) -> np.ndarray | None:
    """A stored point (``STORAGE_CRS``) in the metric CRS, or None without one."""
    if geometry is None or geometry.is_empty:
        return None
    projected = gpd.GeoSeries([geometry], crs=STORAGE_CRS).to_crs(crs).iloc[0]
    return np.array([projected.x, projected.y])


def _entry(number: int, record: dict, study: StudyArea, towns: gpd.GeoDataFrame,
           stops: gpd.GeoDataFrame | None, *, today: dt.date) -> GuideEntry:
    schedule_text = str(record.get("schedule") or "")
    schedule = parse_schedule(schedule_text, today=today)
    openings = next_openings(schedule, today, count=NEXT_DATES)
    note = "" if openings or not schedule_text else "日程は主催者にご確認ください"
    dates = tuple(o.label + ("（祝日です：開催をご確認ください）" if o.holiday else "")
                  for o in openings)
    point_m = _point_m(record.get("geometry"), study.config.metric_crs)
    serves = served_areas(str(record.get("serves") or ""))
    return GuideEntry(
        number=number, name=str(record["name"]), category=str(record["category"]),
        kind="point" if point_m is not None else "area", schedule=schedule_text,
        next_dates=dates, schedule_note=note, address=str(record.get("address") or ""),
        contact=str(record.get("contact") or ""), notes=str(record.get("notes") or ""),
        serves=serves, walks=_walks(point_m, towns, study)[:MAX_TOWNS],
        stops=_stops(point_m, stops, study),
        position_quality=str(record.get("position_quality") or "unknown"),
        lon=None if point_m is None else float(record["geometry"].x),
        lat=None if point_m is None else float(record["geometry"].y))


def _route_entry(number: int, record: dict, study: StudyArea, towns: gpd.GeoDataFrame,
                 stops: gpd.GeoDataFrame | None) -> GuideEntry:
    """A walking course: where it starts, its length and minutes."""
    line = record["geometry"]
    start = line.geoms[0].coords[0] if line.geom_type == "MultiLineString" else line.coords[0]
    point_m = _point_m(shapely.Point(start[0], start[1]), study.config.metric_crs)
    length_m = float(record.get("length_m") or 0.0)
    minutes = record.get("walk_minutes")
    return GuideEntry(
        number=number, name=str(record["name"]), category=WALKING_COURSE, kind="line",
        schedule="", next_dates=(), schedule_note="", address="", contact="", notes="",
        serves=(), walks=_walks(point_m, towns, study)[:MAX_TOWNS],
        stops=_stops(point_m, stops, study), position_quality="exact",
        length_km=round(length_m / 1000, 1) if length_m else None,
        course_minutes=None if minutes is None or pd.isna(minutes) else round(float(minutes)),
        lon=float(start[0]), lat=float(start[1]))
