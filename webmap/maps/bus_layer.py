"""「バスを使えば行ける」 as a toggle layer of the web map.

Drawn from :attr:`layers.analysis.Plan.bus` (:mod:`layers.bus_reach`), computed once per data
version: the resident points whose people cannot walk to any place within the threshold the
map opens on but can get to one by walk + bus within the door-to-door limit, each a circle
sized by its people of the basis, with the journey in its tooltip. The legend says the day,
the limits and, for trips rebuilt from per-stop timetables, 推定.
"""

from __future__ import annotations

import logging
from html import escape

import geopandas as gpd
import numpy as np
import shapely
from folium.utilities import JsCode

from layers.analysis import Plan
from layers.bus_reach import BusReach, leave_arrive
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.maps import popups
from webmap.maps.elements import map_geojson
from webmap.maps.geojson import feature_collection
from webmap.maps.panels import LegendRow, layer_name
from webmap.maps.style import BUS_REACH_STYLE, basis_heading
from webmap.maps.symbols import population_swatch_svg

logger = logging.getLogger(__name__)
__all__ = ["bus_layer_label", "bus_layers", "bus_notes", "bus_points", "bus_source_line"]


def bus_layer_label(bus: BusReach) -> str:
    """The layer's name: 「バスを使えば行ける」, with （推定） for rebuilt trips."""
    label = _("バスを使えば行ける")
    return label + _("（推定）") if bus.estimated else label


def bus_notes(plan: Plan | None) -> list[str]:
    """What a page says about the bus reach: its day and limits and 推定, or how to add it."""
    if plan is None:
        return []
    bus = plan.bus
    if bus is None:
        return [plan.bus_note] if plan.bus_note else []
    notes = [_("「バスを使えば行ける」：徒歩{walk:.0f}分以内に居場所がなく、徒歩＋バスで家から"
               "{door:.0f}分以内に着ける人（{when}、乗り換え1回まで）").format(
                   walk=bus.threshold_minutes, door=bus.door_to_door_minutes,
                   when=bus.when_label)]
    if bus.estimated:
        notes.append(_("推定：バスの便は停留所ごとの時刻表をつないで推定したものです"))
    return notes


def bus_source_line(plan: Plan | None) -> str | None:
    """The sources line of the bus reach: where the trips come from, 推定 when rebuilt."""
    if plan is None or plan.bus is None:
        return None
    bus = plan.bus
    how = _("停留所ごとの時刻表と経路から便を推定") if bus.estimated else _("GTFSの便")
    return _("「バスを使えば行ける」：{source}（{how}）").format(source=bus.source, how=how)


def bus_points(bus: BusReach, box: shapely.Geometry | None, *,
               kind: str = "bus") -> gpd.GeoDataFrame:
    """The points of ``kind`` with people, touching ``box`` (STORAGE_CRS; None: all), in
    STORAGE_CRS with ``index`` (the point's row), ``people``, ``district``."""
    rows = np.flatnonzero((bus.kinds == kind) & (bus.weights > 0))
    frame = gpd.GeoDataFrame(
        {"index": rows, "people": bus.weights[rows], "district": bus.district[rows]},
        geometry=gpd.points_from_xy(bus.people_xy[rows, 0], bus.people_xy[rows, 1]),
        crs=bus.metric_crs).to_crs("EPSG:4326")
    return frame if box is None else frame[frame.intersects(box)]


def _tooltip(bus: BusReach, index: int, people: float, *, has_age65: bool) -> str:
    lines = [f"<strong>{escape(_('バスを使えば行ける'))}</strong>",
             escape(_("徒歩{walk:.0f}分以内に居場所なし").format(walk=bus.threshold_minutes))]
    journey = leave_arrive(bus, index)
    if journey:
        lines.append(escape(_("バスで：{journey}").format(journey=journey)))
    if bus.basis is not None:
        lines.append(escape(f"{basis_heading(bus.basis, has_age65=has_age65)} "
                            f"{popups.format_people(people)}"))
    if bus.estimated:
        lines.append(escape(_("（推定）")))
    return "<br>".join(lines)


def bus_layers(study: StudyArea, plan: Plan | None, *, box: shapely.Geometry | None,
               show: bool = False) -> list:
    """One toggle layer (off when the map opens) and its legend rows; none without buses."""
    if plan is None or plan.bus is None:
        return []
    bus = plan.bus
    points = bus_points(bus, box)
    population = study.population
    has_age65 = bool(population is not None and "age65" in population
                     and population["age65"].notna().all())
    largest = float(bus.weights.max()) if len(bus.weights) else 0.0
    low, high = BUS_REACH_STYLE["min_radius_px"], BUS_REACH_STYLE["max_radius_px"]
    people = points["people"].to_numpy(dtype=float)
    radii = np.round(low + (high - low) * np.sqrt(people / max(largest, 1e-9)), 1)
    extra = [{"radius": float(radius),
              "tooltip": _tooltip(bus, int(index), float(count), has_age65=has_age65)}
             for index, count, radius in zip(points["index"], people, radii, strict=True)]
    style = {"color": BUS_REACH_STYLE["color"], "weight": BUS_REACH_STYLE["weight"],
             "fillColor": BUS_REACH_STYLE["fill_color"],
             "fillOpacity": BUS_REACH_STYLE["fill_opacity"]}
    data = feature_collection(points[["geometry"]], properties=[], extra=extra)
    symbol = population_swatch_svg(fill=BUS_REACH_STYLE["fill_color"],
                                   stroke=BUS_REACH_STYLE["color"],
                                   fill_opacity=BUS_REACH_STYLE["fill_opacity"])
    label = bus_layer_label(bus)
    layer = map_geojson(data, name=layer_name(symbol, label), show=show, style=style,
                        point_to_layer=JsCode("IbashoMap.populationCircle"))
    heading = _("{label}（{basis}・円の大きさは人数）").format(
        label=label, basis=basis_heading(bus.basis, has_age65=has_age65))
    city = bus.city()
    rows = [LegendRow(_("バスを使えば行ける"), symbol, heading),
            LegendRow(_("バスを使えば行ける"), "",
                      _("徒歩のみ {walk}・バスで {bus}・どちらも不可 {neither}").format(
                          walk=popups.format_people(city["walk"]),
                          bus=popups.format_people(city["bus"]),
                          neither=popups.format_people(city["neither"])))]
    logger.info("Bus reach layer: %d points", len(points))
    return [(layer, rows)]
