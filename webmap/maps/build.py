"""Build the folium map of a study area: the whole city, or one district zoomed and highlighted.

This is the one module that turns ``(lon, lat)`` into folium's ``[lat, lon]``. Layers are
GeoJSON (rounded to 6 decimals, polygons simplified by about 5 m) styled through
``feature.properties.style``; popups and tooltips are HTML made and escaped in
:mod:`webmap.maps.popups`. The page loads only the vendored Leaflet files under ``asset_base``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.plugins import Fullscreen, LocateControl, MarkerCluster
from folium.utilities import JsCode

from geo.coverage.by_distance import CoverageResult
from geo.crs import STORAGE_CRS, to_metric
from geo.memo import remembered
from layers.analysis import Plan
from layers.files.timetable import HOLIDAY_NOTE
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.maps import popups
from webmap.maps.assets import vendor_css, vendor_js
from webmap.maps.bus_layer import bus_layers, bus_notes, bus_source_line
from webmap.maps.departures import TimetableTables, pack_departures, timetable_config
from webmap.maps.elements import (
    IbashoFigure,
    IbashoMap,
    Legend,
    MapScript,
    Panel,
    Sources,
    TitleBar,
    map_geojson,
)
from webmap.maps.geojson import feature_collection, simplify_for_display
from webmap.maps.grid_layer import grid_layers
from webmap.maps.panels import (
    LegendRow,
    layer_name,
    legend_html,
    sources_html,
    title_html,
    unlocated_panel_html,
)
from webmap.maps.reach_layers import (
    isochrone_layers,
    method_notes,
    network_gap_layers,
    suggestion_layers,
    uncovered_layers,
    walk_minutes,
)
from webmap.maps.resource_layer import resource_layers
from webmap.maps.style import (
    BACKGROUND_COLOR,
    BUFFER_OPACITY,
    DISTRICT_STYLE,
    GAP_STYLE,
    MARKER_SIZE_PX,
    POPULATION_STYLE,
    RADIUS_COLORS,
    ROUTE_STYLE,
    STOP_STYLE,
    WALKING_ROUTE_STYLE,
    basis_label,
    day_type_labels,
)
from webmap.maps.symbols import (
    area_swatch_svg,
    line_swatch_svg,
    place_icon_svg,
    places_by_category,
    population_swatch_svg,
    stop_icon_svg,
)

logger = logging.getLogger(__name__)
__all__ = ["DISTRICT_MARGIN_M", "build_map", "walk_minutes"]

#: A district map also shows what lies this far around the district (metres).
DISTRICT_MARGIN_M = 3000.0


@dataclass
class _View:
    """What a map shows: the selected district (if any) and the box features must touch."""

    district: str | None
    box: shapely.Geometry | None  # STORAGE_CRS; None = everything
    bounds: tuple[float, float, float, float]  # (minx, miny, maxx, maxy), lon/lat

    def select(self, frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
        """Rows of ``frame`` that have a geometry touching the view."""
        if frame is None:
            return None
        located = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        if self.box is None:
            return located
        return located[located.intersects(self.box)]


def _view(study: StudyArea, district: str | None) -> _View:
    if district is None:
        return _View(None, None, tuple(study.districts.total_bounds))
    selected = study.districts[study.districts["name"] == district]
    selected_m = to_metric(selected, study.config.metric_crs)
    box_m = shapely.box(*selected_m.total_bounds).buffer(DISTRICT_MARGIN_M, join_style="mitre")
    box = gpd.GeoSeries([box_m], crs=selected_m.crs).to_crs(STORAGE_CRS).iloc[0]
    return _View(district, box, tuple(selected.total_bounds))


def build_map(
    study: StudyArea,
    coverage: CoverageResult,
    *,
    plan: Plan | None = None,
    district: str | None = None,
    asset_base: str = "/static/vendor",
    district_url: str | None = None,
    title_bar: bool = True,
    today: dt.date | None = None,
) -> folium.Map:
    """
    Build the interactive map of a study area, or of one of its districts.

    Parameters
    ----------
    study
        The loaded study area (:func:`layers.study.load_study_area`).
    coverage
        Its analysis (:func:`layers.study.analyse_study_area`).
    plan
        Its plan (:func:`layers.analysis.plan_study_area`): with a street network, the
        isochrones per threshold (the middle one shown) and the network gaps, the
        straight-line circles and gaps then switched off; in both modes the suggested sites
        (shown on district maps) and the district shading by residents beyond reach.
        None: the straight-line layers only.
    district
        A district name: zoom to it, highlight it and show only what lies around it.
    asset_base
        URL of the vendored libraries (``webmap/static/vendor``): ``/static/vendor`` under
        Flask, a relative path such as ``static/vendor`` for files on disk.
    district_url
        Link of a district's page with ``{name}`` for its name (``/districts/{name}``);
        district popups link there. None: no links.
    title_bar
        Draw the title and method note on the map (off when the page has its own header).
    today
        The date holidays are listed from (default: today); for reproducible output.

    Returns
    -------
    folium.Map
        Inside an :class:`~webmap.maps.elements.IbashoFigure`; ``m.get_root().render()`` is a
        complete page, and ``m.save(path)`` writes it.

    Raises
    ------
    ValueError
        If ``district`` is not a district of ``study`` (the message lists them).

    Examples
    --------
    >>> from data import get_path
    >>> from layers.study import analyse_study_area, load_study_area
    >>> study = load_study_area(get_path("takasaki"))  # doctest: +SKIP
    >>> m = build_map(study, analyse_study_area(study), district="倉渕")  # doctest: +SKIP
    >>> from layers.analysis import plan_study_area
    >>> m = build_map(study, analyse_study_area(study),
    ...               plan=plan_study_area(study))  # doctest: +SKIP
    """
    config = study.config
    if district is not None and district not in study.district_names:
        msg = (f"unknown district {district!r}; choose one of: "
               f"{', '.join(study.district_names)}.")
        raise ValueError(msg)
    view = _view(study, district)
    title = (config.title if district is None
             else _("{district}地区").format(district=district) + "｜" + config.title)

    # the same for every drawing of these stops: kept in the study's memo (a place edit
    # redraws the maps without packing 1,187 timetables again)
    tables, stops = remembered(study.memo, (study.stops,), ("stop features", district),
                               lambda: _stop_features(view.select(study.stops)))
    minx, miny, maxx, maxy = view.bounds
    m = IbashoMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None,
        control_scale=True, zoom_control=False, max_zoom=int(config.basemap.get("max_zoom", 18)),
        background_color=BACKGROUND_COLOR, aria_label=title + " " + _("地図"),
    )
    m.default_js = vendor_js("leaflet", asset_base=asset_base)
    m.default_css = vendor_css("leaflet", asset_base=asset_base)
    IbashoFigure(title=title).add_child(m)

    m.add_child(MapScript(_settings(tables, today=today)))
    # the district shading lies under the reach areas, which lie under lines and points
    for pane, z_index in (("ibasho-shading", 405), ("ibasho-areas", 410),
                          ("ibasho-population", 420),
                          ("ibasho-lines", 430), ("ibasho-districts", 440),
                          ("ibasho-labels", 590)):
        m.add_child(folium.map.CustomPane(pane, z_index=z_index, pointer_events=True))
    m.add_child(TitleBar(_title(study, plan, title, enabled=title_bar)))
    folium.TileLayer(
        tiles=config.basemap["url"], attr=config.basemap["attribution"],
        name=config.basemap.get("name", "basemap"),
        max_zoom=int(config.basemap.get("max_zoom", 18)), overlay=False, control=False,
    ).add_to(m)

    legend_rows: list[LegendRow] = []
    legend_layers: dict[str, folium.map.Layer] = {}
    straight_shown = plan is None or plan.network is None
    builders: list[Callable[[], list[tuple[folium.map.Layer, list[LegendRow]]]]] = [
        lambda: _place_layers(study, view),
        lambda: resource_layers(study, box=view.box, district=district),
        lambda: _district_layers(study, coverage, view, district_url=district_url, plan=plan),
        lambda: _stop_layers(stops, asset_base=asset_base),
        lambda: _bus_route_layers(_lines(view.select(study.bus_routes), study)),
        lambda: _walking_route_layers(_lines(view.select(study.walking_routes), study)),
        lambda: isochrone_layers(study, plan),
        lambda: _buffer_layers(study, coverage, view, show=straight_shown),
        lambda: network_gap_layers(study, plan, box=view.box),
        lambda: _gap_layers(study, coverage, view, show=straight_shown),
        lambda: uncovered_layers(study, coverage, plan, box=view.box),
        lambda: grid_layers(study, plan, box=view.box),
        lambda: _population_layers(study, coverage, view),
        lambda: bus_layers(study, plan, box=view.box),
        lambda: suggestion_layers(study, plan, box=view.box, show=district is not None),
    ]
    for build in builders:
        for layer, rows in build():
            layer.add_to(m)
            key = f"layer{len(legend_layers)}"
            legend_layers[key] = layer
            legend_rows += [LegendRow(r.section, r.symbol, r.label, r.layer_key or key)
                            for r in rows]

    fullscreen = Fullscreen(position="topleft", title=_("全画面表示"),
                            title_cancel=_("全画面表示を終了"), force_separate_button=True)
    fullscreen.default_js = vendor_js("fullscreen", asset_base=asset_base)
    fullscreen.default_css = vendor_css("fullscreen", asset_base=asset_base)
    m.add_child(fullscreen)
    locate = LocateControl(position="topleft", icon="ibasho-locate-icon",
                           iconLoading="ibasho-locate-icon is-loading", flyTo=True,
                           strings={"title": _("現在地を表示"),
                                    "popup": _("現在地（誤差 約{distance} m）"),
                                    "outsideMapBoundsMsg": _("現在地は地図の範囲外です")},
                           locateOptions={"maxZoom": 16})
    locate.default_js = vendor_js("locatecontrol", asset_base=asset_base)
    locate.default_css = vendor_css("locatecontrol", asset_base=asset_base)
    m.add_child(locate)
    # collapsed behind its button when the map is small (a phone, or embedded in a page)
    compact = JsCode(f"IbashoMap.isCompact({m.get_name()!r})")
    folium.LayerControl(position="topright", collapsed=compact).add_to(m)

    notes = method_notes(study, plan) + bus_notes(plan)
    if config.districts_approximate and not title_bar:
        notes.append(_("地区界は概略区域です（公式の区域ではありません）"))
    m.add_child(Legend(legend_html(legend_rows, notes=notes), legend_layers))
    unlocated = _unlocated(study, district)
    if not unlocated.empty:
        m.add_child(Panel(unlocated_panel_html(unlocated)))
    source = bus_source_line(plan)
    m.add_child(Sources(sources_html([*config.attribution, *([source] if source else [])])))
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(16, 16))
    logger.info("Built the map of %s: %d layers, %d stops", district or config.name,
                len(legend_layers), len(stops["features"]))
    return m


def _settings(tables: TimetableTables, *, today: dt.date | None) -> dict:
    return {
        "markerSize": MARKER_SIZE_PX,
        "stopIcon": stop_icon_svg(),
        "stopSize": STOP_STYLE["size_px"],
        "text": _script_text(),
        "dayLabels": day_type_labels(),
        "timetable": timetable_config(tables, today=today),
    }


def _script_text() -> dict[str, str]:
    """The words of the map's script (``webmap/static/map/ibasho-map.js``: ``text.*``)."""
    return {
        "today": _("本日（{day}）の発車時刻"),
        "all": _("すべての発車時刻（曜日の表示を確認してください）"),
        "none_today": _("本日の発車はありません"),
        "no_timetable": _("時刻表の情報がありません"),
        "next": _("次の便"),
        "bound": _("{destination}行き"),
        "holiday_caution": _("祝日の運行が不明な便は表示していません（要確認）"),
        "outdated_holidays": _("祝日の情報が古いため、すべての時刻を表示しています"),
        "source_date": _("時刻は{note}"),
        "zoom_in": _("拡大"),
        "zoom_out": _("縮小"),
        "stop_kind": _("バス停"),
    }


def _title(study: StudyArea, plan: Plan | None, title: str, *, enabled: bool) -> str:
    if not enabled:
        return ""
    config = study.config
    first, *rest = method_notes(study, plan)
    pace = _("歩く速さ 分速{speed:g} m（高齢者の目安）").format(
        speed=config.walking.speed_m_per_min)
    notes = [first + "・" + pace, *rest]
    approximate_note = _("地区界は概略区域です（公式の区域ではありません）")
    return title_html(title, notes=notes,
                      approximate_note=approximate_note if config.districts_approximate else None)


def _unlocated(study: StudyArea, district: str | None) -> gpd.GeoDataFrame:
    places = study.places[study.places.geometry.isna()]
    if district is not None:
        places = places[places["district"] == district]
    return places


def _place_layers(study: StudyArea, view: _View) -> list:
    places = view.select(study.places)
    section = _("居場所・集会施設")
    layers = []
    for category, members in places_by_category(places, study.config.categories):
        extra = [{
            "icon": place_icon_svg(category, approximate=quality == "approx"),
            "popup": popups.place_popup(place),
            "tooltip": popups.place_tooltip(place),
        } for place, quality in zip(members.to_dict(orient="records"),
                                    members["position_quality"], strict=True)]
        data = feature_collection(members, properties=["place_id", "name", "category",
                                                       "district", "position_quality"],
                                  extra=extra)
        label = f"{category}（{len(members)}）"
        layer = map_geojson(data, name=layer_name(place_icon_svg(category, size_px=20), label),
                            point_to_layer=JsCode("IbashoMap.placeMarker"))
        layers.append((layer, [LegendRow(section, place_icon_svg(category, size_px=24),
                                         label)]))
    if (places["position_quality"] == "approx").any() and layers:
        symbol = place_icon_svg("", size_px=24, approximate=True, glyph=False)
        layers[-1][1].append(LegendRow(section, symbol, _("おおよその位置（点線の枠）"),
                                       layer_key="always"))
    return layers


def _district_layers(study: StudyArea, coverage: CoverageResult, view: _View, *,
                     district_url: str | None, plan: Plan | None) -> list:
    config = study.config
    approximate = config.districts_approximate
    dash = DISTRICT_STYLE["dash_array_approximate"] if approximate else None
    districts = simplify_for_display(study.districts[["name", "geometry"]],
                                     metric_crs=config.metric_crs, coverage=True)

    def style(name: str) -> dict:
        if view.district is None:
            return {"color": DISTRICT_STYLE["color"], "weight": DISTRICT_STYLE["weight"],
                    "dashArray": dash, "fill": False}
        if name == view.district:
            return {"color": DISTRICT_STYLE["selected_color"],
                    "weight": DISTRICT_STYLE["selected_weight"], "dashArray": dash,
                    "fill": True, "fillColor": DISTRICT_STYLE["selected_fill"],
                    "fillOpacity": DISTRICT_STYLE["selected_fill_opacity"]}
        return {"color": DISTRICT_STYLE["other_color"], "weight": DISTRICT_STYLE["other_weight"],
                "dashArray": dash, "fill": False}

    outlines = feature_collection(districts, properties=["name"],
                                  extra=[{"style": style(n)} for n in districts["name"]])
    rows_by_district = dict(tuple(coverage.table.groupby("district", sort=False)))
    network = plan.network.coverage if plan is not None and plan.network is not None else None
    network_rows = ({} if network is None
                    else dict(tuple(network.table.groupby("district", sort=False))))
    points_m = to_metric(study.districts[["name", "geometry"]], config.metric_crs)
    points_m = points_m.set_geometry(points_m.representative_point())
    labels = feature_collection(points_m, properties=["name"], extra=[{
        "label": popups.district_label_html(name),
        "selected": name == view.district,
        "popup": popups.district_popup(
            name, rows_by_district.get(name, coverage.table.iloc[0:0]), basis=coverage.basis,
            approximate=approximate, link=popups.district_url(district_url, name),
            network_rows=network_rows.get(name)),
    } for name in points_m["name"]])

    label = _("地区（概略区域）") if approximate else _("地区")
    symbol = area_swatch_svg(fill="#FFFFFF", stroke=DISTRICT_STYLE["color"], fill_opacity=0.0,
                             dash="5 3" if approximate else None, stroke_width=2)
    group = folium.FeatureGroup(name=layer_name(symbol, label), show=True)
    map_geojson(outlines, control=False, interactive=False, pane="ibasho-districts").add_to(group)
    map_geojson(labels, control=False,
                point_to_layer=JsCode("IbashoMap.districtLabel")).add_to(group)
    return [(group, [LegendRow(_("地区・交通・人口"),
                               area_swatch_svg(fill="#FFFFFF", stroke=DISTRICT_STYLE["color"],
                                               fill_opacity=0.0, stroke_width=2,
                                               dash="5 3" if approximate else None),
                               label)])]


def _stop_features(stops: gpd.GeoDataFrame | None) -> tuple[TimetableTables, dict]:
    """The stops as GeoJSON with packed timetables, and the page's tables they point into
    (complete: nothing is appended to them later, so one pair may serve many pages)."""
    tables = TimetableTables()
    tables.index(tables.notes, HOLIDAY_NOTE)
    if stops is None or stops.empty:
        return tables, {"type": "FeatureCollection", "features": []}
    extra = []
    for stop in stops.drop(columns="geometry").to_dict(orient="records"):
        header = popups.stop_header(stop)
        extra.append({"t": header["title"],
                      "o": tables.text_index(header["operator"]),
                      "n": tables.text_index(header["note"]),
                      "d": pack_departures(stop["departures"], tables)})
    return tables, feature_collection(stops, properties=[], extra=extra)


def _stop_layers(stops: dict, *, asset_base: str) -> list:
    if not stops["features"]:
        return []
    label = _("バス停（ぐるりん等）")
    cluster = MarkerCluster(
        name=layer_name(stop_icon_svg(size_px=20), label), show=True,
        icon_create_function="IbashoMap.stopCluster", showCoverageOnHover=False,
        maxClusterRadius=40, disableClusteringAtZoom=14, spiderfyOnMaxZoom=True,
        chunkedLoading=True,
    )
    cluster.default_js = vendor_js("markercluster", asset_base=asset_base)
    cluster.default_css = vendor_css("markercluster", asset_base=asset_base)
    map_geojson(stops, control=False, point_to_layer=JsCode("IbashoMap.stopMarker")).add_to(cluster)
    return [(cluster, [LegendRow(_("地区・交通・人口"), stop_icon_svg(size_px=22),
                                 _("{label}・数字はまとめた数").format(label=label))])]


def _bus_route_layers(routes: gpd.GeoDataFrame | None) -> list:
    if routes is None or routes.empty:
        return []
    extra = [{
        "style": {"color": route.get("color") or ROUTE_STYLE["fallback_color"],
                  "weight": ROUTE_STYLE["weight"], "opacity": ROUTE_STYLE["opacity"]},
        "tooltip": escape(str(route.get("name", ""))),
        "popup": popups.route_popup(route),
        "sticky": True,
    } for route in routes.drop(columns="geometry").to_dict(orient="records")]
    data = feature_collection(routes, properties=["route_id", "name"], extra=extra)
    label = _("バス路線")
    symbol = line_swatch_svg(color="#D84315", weight=ROUTE_STYLE["weight"])
    layer = map_geojson(data, name=layer_name(symbol, label), show=False, pane="ibasho-lines")
    row = LegendRow(_("地区・交通・人口"), symbol,
                    _("{label}（色は路線ごと）").format(label=label))
    return [(layer, [row])]


def _walking_route_layers(routes: gpd.GeoDataFrame | None) -> list:
    if routes is None or routes.empty:
        return []
    style = {"color": WALKING_ROUTE_STYLE["color"], "weight": WALKING_ROUTE_STYLE["weight"],
             "dashArray": WALKING_ROUTE_STYLE["dash_array"], "lineCap": "round",
             "opacity": WALKING_ROUTE_STYLE["opacity"]}
    extra = [{"style": style, "popup": popups.walking_route_popup(route), "sticky": True,
              "tooltip": escape(str(route.get("name", "")))}
             for route in routes.drop(columns="geometry").to_dict(orient="records")]
    data = feature_collection(routes, properties=["name", "kind", "length_m", "walk_minutes"],
                              extra=extra)
    label = _("散歩コース")
    symbol = line_swatch_svg(color=WALKING_ROUTE_STYLE["color"], dash="1 5", weight=4)
    layer = map_geojson(data, name=layer_name(symbol, label), show=True, pane="ibasho-lines")
    return [(layer, [LegendRow(_("地区・交通・人口"), symbol, label)])]


def _lines(routes: gpd.GeoDataFrame | None, study: StudyArea) -> gpd.GeoDataFrame | None:
    if routes is None or routes.empty:
        return routes
    return simplify_for_display(routes, metric_crs=study.config.metric_crs)


def _radius_color(radii_m: list[float], radius_m: float) -> str:
    position = sorted(radii_m).index(radius_m)
    return RADIUS_COLORS[min(position, len(RADIUS_COLORS) - 1)]


def _buffer_layers(study: StudyArea, coverage: CoverageResult, view: _View, *,
                   show: bool = True) -> list:
    config = study.config
    radii = [float(r) for r in coverage.buffers["radius_m"]]
    shown = config.walking.default_radius_m
    # not clipped to the view: a cut circle at the edge of a wide screen looks like data
    buffers = simplify_for_display(coverage.buffers, metric_crs=config.metric_crs)
    layers = []
    for radius_m in sorted(radii, reverse=True):
        color = _radius_color(radii, radius_m)
        minutes = walk_minutes(radius_m, profile=config.walking)
        selected = buffers[buffers["radius_m"] == radius_m]
        style = {"color": color, "weight": 1, "opacity": 0.7, "fillColor": color,
                 "fillOpacity": BUFFER_OPACITY}
        tooltip = popups.buffer_tooltip(radius_m=radius_m, minutes=minutes)
        extra = [{"style": style, "sticky": True, "tooltip": tooltip}] * len(selected)
        label = _("徒歩圏（直線{radius_m:g} m・徒歩約{minutes}分）").format(radius_m=radius_m,
                                                                    minutes=minutes)
        symbol = area_swatch_svg(fill=color, stroke=color, fill_opacity=BUFFER_OPACITY + 0.15)
        data = feature_collection(selected, properties=["radius_m"], extra=extra)
        layer = map_geojson(data, name=layer_name(symbol, label),
                            show=show and radius_m == shown, pane="ibasho-areas")
        layers.append((layer, [LegendRow(_("徒歩圏と空白地域"), symbol, label)]))
    return list(reversed(layers))


def _gap_layers(study: StudyArea, coverage: CoverageResult, view: _View, *,
                show: bool = True) -> list:
    if coverage.gaps.empty:
        return []
    radii = sorted({float(r) for r in coverage.gaps["radius_m"]})
    gaps = coverage.gaps
    if view.box is not None:
        gaps = gaps[gaps.intersects(view.box)]
    gaps = simplify_for_display(gaps, metric_crs=study.config.metric_crs)
    style = {"color": GAP_STYLE["color"], "weight": GAP_STYLE["weight"],
             "dashArray": GAP_STYLE["dash_array"], "fillColor": GAP_STYLE["fill_color"],
             "fillOpacity": GAP_STYLE["fill_opacity"]}
    symbol = area_swatch_svg(fill=GAP_STYLE["fill_color"], stroke=GAP_STYLE["color"],
                             fill_opacity=GAP_STYLE["fill_opacity"] + 0.1, dash="3 3")
    layers = []
    for radius_m in radii:
        selected = gaps[gaps["radius_m"] == radius_m]
        extra = [{"style": style, "sticky": True,
                  "tooltip": popups.gap_tooltip(gap, basis=coverage.basis)}
                 for gap in selected.drop(columns="geometry").to_dict(orient="records")]
        data = feature_collection(selected, properties=["district", "radius_m", "population",
                                                        "area_km2"], extra=extra)
        label = _("空白地域（{radius_m:g} m圏外）").format(radius_m=radius_m)
        layer = map_geojson(data, name=layer_name(symbol, label),
                            show=show and radius_m == radii[-1], pane="ibasho-areas")
        layers.append((layer, [LegendRow(_("徒歩圏と空白地域"), symbol, label)]))
    return layers


def _population_layers(study: StudyArea, coverage: CoverageResult, view: _View) -> list:
    population = study.population
    if population is None or population.empty or coverage.basis is None:
        return []
    counts_all = population[coverage.basis].astype(float)
    largest = float(counts_all.max()) if len(counts_all) else 0.0
    points = view.select(population)
    points = points[points.geom_type == "Point"]
    if points.empty or largest <= 0:
        return []
    counts = points[coverage.basis].astype(float).fillna(0.0).to_numpy()
    low, high = POPULATION_STYLE["min_radius_px"], POPULATION_STYLE["max_radius_px"]
    radii_px = np.round(low + (high - low) * np.sqrt(np.clip(counts, 0, None) / largest), 1)
    style = {"color": POPULATION_STYLE["color"], "weight": POPULATION_STYLE["weight"],
             "fillColor": POPULATION_STYLE["fill_color"],
             "fillOpacity": POPULATION_STYLE["fill_opacity"]}
    names = points["name"] if "name" in points else [""] * len(points)
    extra = [{"radius": radius,
              "tooltip": popups.population_tooltip(name, count, basis=coverage.basis)}
             for name, count, radius in zip(names, counts, radii_px, strict=True)]
    data = feature_collection(points, properties=[], extra=extra)
    label = _("人口（町丁代表点・{basis}）").format(basis=basis_label(coverage.basis))
    symbol = population_swatch_svg(fill=POPULATION_STYLE["fill_color"],
                                   stroke=POPULATION_STYLE["color"],
                                   fill_opacity=POPULATION_STYLE["fill_opacity"] + 0.1)
    layer = map_geojson(data, name=layer_name(symbol, label), show=False, style=style,
                        point_to_layer=JsCode("IbashoMap.populationCircle"))
    return [(layer, [LegendRow(_("地区・交通・人口"), symbol,
                               _("{label}・円の大きさは人数").format(label=label))])]

