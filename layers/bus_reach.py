"""The council view of walk + bus: who cannot walk to a place but can get there by bus.

For every resident point of a plan's straight-line reach (:attr:`layers.analysis.Plan.straight`:
population points, or the pieces of census cells), :func:`council_bus_reach` sorts the people
of the plan's basis into three kinds:

- ``walk``: a place within the walking threshold the maps open on (on foot only, 徒歩のみ);
- ``bus``: no place within it on foot, but one within the door-to-door limit by walk + bus
  (``[transit] door_to_door_minutes``, default 45; バスを使えば行ける);
- ``neither``: neither (どちらも不可).

The journeys are those of :mod:`layers.transit_reach` (RAPTOR, :mod:`geo.transit.routing`): leaving
home within the config's window from ``depart_at`` on the next weekday that is not a public
holiday. The buses are loaded once per stops and routes frames and the journeys routed once
per places version, both kept in the study's :class:`geo.memo.FrameMemo`, so a redraw after
an edit of the places costs the routing alone (about 0.05 s for Takasaki). Results from trips
rebuilt from per-stop timetables say 推定 (:data:`layers.transit_reach.ESTIMATE_NOTE`).

:func:`bus_what_if` answers the planner's what-if with the bus counted: the same journeys
with places added or taken away.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import STORAGE_CRS
from geo.planning.straight_line import StraightReach
from geo.transit.timetable import format_minutes
from layers.errors import LayerError
from layers.fields.schedule.holidays_jp import is_holiday
from layers.files.bus_timetable import BusTimetable, japanese_date
from layers.study import StudyArea
from layers.transit_reach import (
    ChosenTime,
    TransitModel,
    TransitReach,
    build_transit_model,
    load_bus_timetable,
    model_with_places,
    reach_classes,
    transit_reach,
)

logger = logging.getLogger(__name__)
__all__ = ["KINDS", "BusReach", "bus_day", "bus_missing_note", "bus_what_if",
           "council_bus_reach", "district_kinds", "leave_arrive", "walk_threshold_minutes"]

#: The three kinds, in the order tables show them.
KINDS = ("walk", "bus", "neither")


@dataclass(eq=False)
class BusReach:
    """Per resident point: on foot only, with the bus, or neither (see the module notes)."""

    #: ``walk`` / ``bus`` / ``neither`` per point of the straight reach.
    kinds: np.ndarray
    #: People of the basis per point, the points (metric CRS) and their district names.
    weights: np.ndarray
    people_xy: np.ndarray
    district: np.ndarray
    metric_crs: str
    basis: str | None
    #: Door-to-door minutes on foot and with the bus (``inf``: beyond the limit), and the
    #: bus journey's times (``HH:MM``, '' without one) and place row (-1 without one).
    walk_minutes: np.ndarray
    bus_minutes: np.ndarray
    leave: np.ndarray
    arrive: np.ndarray
    bus_place: np.ndarray
    #: The walking threshold (minutes, door to door) and the door-to-door limit by bus.
    threshold_minutes: float
    door_to_door_minutes: float
    #: The day travelled and the window of leaving home (minutes after midnight).
    date: dt.date
    depart_min: float
    window_minutes: float
    #: Trips rebuilt from per-stop timetables (推定), where the buses come from, notes to show
    #: (推定 first) and what was skipped in the bus data.
    estimated: bool
    source: str
    notes: list[str]
    skipped: list[str]
    #: The routing kept for :func:`bus_what_if`.
    model: TransitModel
    when: ChosenTime

    @property
    def when_label(self) -> str:
        """「12月1日（火）9:00〜10:00に家を出る」."""
        return (f"{japanese_date(self.date)} {format_minutes(self.depart_min)}〜"
                f"{format_minutes(self.depart_min + self.window_minutes)}に家を出る")

    def table(self) -> pd.DataFrame:
        """
        People per district: ``district``, ``population``, ``walk``, ``bus``, ``neither`` (in
        the order districts first appear among the points; '' for points outside all).
        """
        return district_kinds(self.kinds, self.weights, self.district)

    def city(self) -> dict[str, float]:
        """People of the whole area: ``population``, ``walk``, ``bus``, ``neither``."""
        total = {kind: float(self.weights[self.kinds == kind].sum()) for kind in KINDS}
        return {"population": float(self.weights.sum()), **total}

    def about(self) -> dict[str, object]:
        """What every exported row or answer says of how it was counted (JSON-ready)."""
        return {"basis": self.basis or "", "date": self.date.isoformat(),
                "depart": format_minutes(self.depart_min),
                "window_minutes": float(self.window_minutes),
                "walk_threshold_minutes": round(float(self.threshold_minutes), 2),
                "door_to_door_minutes": float(self.door_to_door_minutes),
                "estimated": bool(self.estimated), "source": self.source}

    def points_frame(self) -> gpd.GeoDataFrame:
        """Every resident point (STORAGE_CRS): ``kind``, ``people``, ``district``,
        ``walk_minutes``, ``bus_minutes``, ``leave``, ``arrive`` and :meth:`about`."""
        frame = gpd.GeoDataFrame(
            {"kind": self.kinds, "people": self.weights, "district": self.district.astype(str),
             "walk_minutes": np.where(np.isfinite(self.walk_minutes),
                                      np.round(self.walk_minutes, 1), np.nan),
             "bus_minutes": np.where(np.isfinite(self.bus_minutes),
                                     np.round(self.bus_minutes, 1), np.nan),
             "leave": self.leave.astype(str), "arrive": self.arrive.astype(str)},
            geometry=gpd.points_from_xy(self.people_xy[:, 0], self.people_xy[:, 1]),
            crs=self.metric_crs).to_crs(STORAGE_CRS)
        return frame.assign(**{k: v for k, v in self.about().items() if k != "source"})

    def district_frame(self) -> pd.DataFrame:
        """:meth:`table` with :meth:`about` on every row (for a GeoPackage)."""
        return self.table().assign(**{k: v for k, v in self.about().items() if k != "source"})


def district_kinds(kinds: np.ndarray, weights: np.ndarray, district: np.ndarray
                   ) -> pd.DataFrame:
    """People of each kind per district (see :meth:`BusReach.table`)."""
    names = list(dict.fromkeys(str(name) for name in district))
    codes = pd.Index(names).get_indexer(district.astype(str))
    table = pd.DataFrame({"district": names})
    table["population"] = np.bincount(codes, weights=weights, minlength=len(names))
    for kind in KINDS:
        table[kind] = np.bincount(codes, weights=weights * (kinds == kind),
                                  minlength=len(names))
    return table


def bus_day(today: dt.date) -> dt.date:
    """The first weekday (Monday to Friday) on or after ``today`` that is not a holiday."""
    day = today
    while day.weekday() >= 5 or is_holiday(day):
        day += dt.timedelta(days=1)
    return day


def walk_threshold_minutes(study: StudyArea, method: str) -> float:
    """The walking threshold the maps open on, as door-to-door minutes: the default minutes
    on the network, else the default radius walked in a straight line × the detour factor."""
    profile = study.config.walking
    if method == "network":
        return float(profile.default_minutes)
    return float(profile.straight_minutes(profile.default_radius_m))


def bus_missing_note(study: StudyArea) -> str:
    """Why there is no bus reach and how to add it (Japanese), for the pages."""
    problem = _bus_timetable(study)[1]
    how = ("設定ファイルの [transit] に gtfs = \"feed.zip\"（GTFS・GTFS-JP）を書くか、"
           "[layers.stops] と [layers.bus_routes] に停留所ごとの時刻表と経路を設定してください")
    if problem:
        return f"バスの時刻表を読めませんでした（{problem}）。{how}"
    return f"バスの時刻表が設定されていないため、「バスを使えば行ける」は表示できません。{how}"


def _bus_timetable(study: StudyArea) -> tuple[BusTimetable | None, str]:
    """The buses (kept per stops and routes frames), or None and the reason."""
    config = study.config

    def load() -> tuple[BusTimetable | None, str]:
        try:
            return load_bus_timetable(config), ""
        except LayerError as exc:
            logger.warning("No bus reach: %s", exc)
            return None, str(exc.problems[0] if exc.problems else exc)

    feeds = tuple(str(feed) for feed in config.transit.feeds)
    return study.memo.get((study.stops, study.bus_routes),
                          ("bus_timetable", str(config.path), feeds, config.metric_crs), load)


def _origins(straight: StraightReach) -> gpd.GeoDataFrame:
    xy = straight.people_xy
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                            crs=straight.metric_crs)


def _routed(study: StudyArea, straight: StraightReach, when: ChosenTime,
            bus: BusTimetable) -> tuple[TransitModel, TransitReach]:
    """The walks and journeys of every point. The walks to and between stops are measured
    once per population and stops (kept in the study's memo); the walks to the places and
    the journeys once per places version (kept too)."""
    key = (len(straight.people_xy), _config_key(study))

    def measure() -> TransitModel:
        model = build_transit_model(study, origins=_origins(straight), bus=bus)
        assert model is not None  # the buses are given
        return model

    def route() -> tuple[TransitModel, TransitReach]:
        base = study.memo.get((study.population, study.stops, study.bus_routes),
                              ("bus_walks", *key), measure)
        model = model_with_places(base, study.places)
        return model, transit_reach(model, when)

    return study.memo.get((study.places, study.population, study.stops, study.bus_routes),
                          ("bus_reach", when.date, when.start_min, *key), route)


def _config_key(study: StudyArea) -> tuple:
    """What else the journeys depend on: the rules, the walking profile, the streets."""
    config, streets = study.config, study.streets
    on_streets = None if streets is None else (streets.source, streets.n_nodes, streets.n_edges,
                                               float(np.sum(streets.length_m)))
    return (str(config.path), config.transit.rules, config.walking, config.metric_crs,
            on_streets, study.elevation_m is not None)


def council_bus_reach(study: StudyArea, straight: StraightReach | None, *, method: str,
                      today: dt.date | None = None) -> BusReach | None:
    """
    Sort every resident point into on foot only, with the bus, or neither.

    Parameters
    ----------
    study
        The loaded study area.
    straight
        The plan's straight-line reach (its points, people of the basis and districts); None
        (no population layer) gives None.
    method
        The plan's ``"network"`` or ``"straight"``: which walking threshold counts as on foot
        (:func:`walk_threshold_minutes`).
    today
        The first day the journeys may be on (default today): the next weekday that is not
        a public holiday is used (:func:`bus_day`).

    Returns
    -------
    BusReach or None
        None without buses or population (:func:`bus_missing_note` says why).
    """
    if straight is None or len(straight.people_xy) == 0:
        return None
    bus, _ = _bus_timetable(study)
    if bus is None:
        return None
    day = bus_day(today or dt.date.today())
    when = ChosenTime(day, study.config.transit.depart_at_min)
    model, reach = _routed(study, straight, when, bus)
    threshold = walk_threshold_minutes(study, method)
    kinds = reach_classes(reach, walk_minutes=threshold).to_numpy()
    points = reach.points
    rules = model.rules
    return BusReach(
        kinds=kinds, weights=straight.weights, people_xy=straight.people_xy,
        district=straight.district, metric_crs=straight.metric_crs, basis=straight.basis,
        walk_minutes=points["walk_minutes"].to_numpy(),
        bus_minutes=points["bus_minutes"].to_numpy(),
        leave=points["leave"].to_numpy(), arrive=points["arrive"].to_numpy(),
        bus_place=points["bus_place"].to_numpy(), threshold_minutes=threshold,
        door_to_door_minutes=rules.door_to_door_minutes, date=day,
        depart_min=model.depart_at_min, window_minutes=rules.window_minutes,
        estimated=bus.estimated, source=bus.source, notes=list(reach.notes),
        skipped=list(reach.skipped), model=model, when=when)


def bus_what_if(study: StudyArea, bus: BusReach, *, removed_rows: Sequence[int] = (),
                added_xy: np.ndarray | None = None) -> np.ndarray:
    """
    The kinds of every point after taking away the place rows ``removed_rows`` and adding
    places at ``added_xy`` (``(n, 2)`` in the metric CRS): the same day, rules and buses,
    routed again from the kept walks to the stops.

    Returns
    -------
    ndarray
        ``walk`` / ``bus`` / ``neither`` per point, as :attr:`BusReach.kinds`.
    """
    added = np.empty((0, 2)) if added_xy is None else np.asarray(added_xy, dtype=float)
    if not len(removed_rows) and not len(added):
        return bus.kinds
    places = study.places.copy()
    if len(removed_rows):
        geometry = places.geometry.copy()
        geometry.iloc[list(removed_rows)] = None
        places = places.set_geometry(geometry)
    if len(added):
        new = gpd.GeoDataFrame(
            {"name": ["新設（計画）"] * len(added),
             "schedule": pd.Series([None] * len(added), dtype=object)},
            geometry=gpd.points_from_xy(added[:, 0], added[:, 1]), crs=bus.metric_crs,
        ).to_crs(STORAGE_CRS)
        places = gpd.GeoDataFrame(pd.concat([places, new], ignore_index=True),
                                  geometry="geometry", crs=STORAGE_CRS)
    reach = transit_reach(model_with_places(bus.model, places), bus.when)
    return reach_classes(reach, walk_minutes=bus.threshold_minutes).to_numpy()


def leave_arrive(bus: BusReach, index: int) -> str:
    """「9:12発 → 9:40着（約28分）」 for point ``index``, '' without a bus journey."""
    if not bus.leave[index]:
        return ""
    return (f"{bus.leave[index]}発 → {bus.arrive[index]}着"
            f"（約{bus.bus_minutes[index]:.0f}分）")
