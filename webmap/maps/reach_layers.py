"""Planning layers of the web map: network isochrones and gaps, people beyond reach, new sites.

Everything here is drawn from what :func:`layers.analysis.plan_study_area` computed once: the
merged isochrones per threshold (``place == -1``), the gaps on the network, coverage per
district and the ranked suggested sites. With no street network (``plan.method ==
"straight"``) only the uncovered-population choropleth (from the straight-line analysis)
and the suggested sites are drawn, and every note says 直線距離による概算.

The threshold texts and method notes are shared with the pages and the API
(:mod:`webmap.maps.pages`, :mod:`webmap.web.public.views`).
"""

from __future__ import annotations

import itertools
import logging
import math
from html import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.utilities import JsCode

from geo.coverage.by_distance import CoverageResult, assign_districts
from geo.streets.walking import WalkProfile
from layers.analysis import Plan
from layers.config import StudyConfig
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.maps import popups
from webmap.maps.elements import map_geojson
from webmap.maps.geojson import feature_collection, simplify_for_display
from webmap.maps.panels import LegendRow, layer_name
from webmap.maps.style import (
    ISOCHRONE_COLORS,
    ISOCHRONE_OPACITY,
    NETWORK_GAP_STYLE,
    SUGGESTION_STYLE,
    UNCOVERED_STYLE,
    basis_label,
    straight_note,
)
from webmap.maps.symbols import area_swatch_svg

logger = logging.getLogger(__name__)
__all__ = [
    "BLOCK_HOLE_M2",
    "isochrone_layers",
    "method_note",
    "method_notes",
    "network_gap_layers",
    "suggested_sites",
    "suggestion_icon_svg",
    "suggestion_layers",
    "threshold_text",
    "uncovered_by_district",
    "uncovered_layers",
    "walk_minutes",
]

#: Holes up to this size inside an isochrone are filled on the map (square metres): they
#: are the insides of blocks whose every side is reached (the polygons follow the streets),
#: so nobody there is out of reach; drawn, they look like gaps. Counts are not affected.
BLOCK_HOLE_M2 = 40_000.0

_FONT = "'Noto Sans CJK JP','Noto Sans JP','Hiragino Sans','Yu Gothic',sans-serif"


def walk_minutes(radius_m: float, *, profile: WalkProfile) -> int:
    """Estimated walking minutes for a straight-line radius, rounded half up (6.5 → 7)."""
    return math.floor(float(profile.straight_minutes(radius_m)) + 0.5)


def _has_network(plan: Plan | None) -> bool:
    return plan is not None and plan.network is not None


def threshold_text(config: StudyConfig, *, method: str, threshold: float,
                   short: bool = False) -> str:
    """
    A walking threshold as people read it: ``道のり5分`` on the network, or
    ``直線500 m（徒歩約11分）`` for a straight-line radius (``直線500 m`` when ``short``).
    """
    if method == "network":
        return _("道のり{minutes:g}分").format(minutes=threshold)
    if short:
        return _("直線{radius_m:g} m").format(radius_m=threshold)
    minutes = walk_minutes(threshold, profile=config.walking)
    return _("直線{radius_m:g} m（徒歩約{minutes}分）").format(radius_m=threshold,
                                                          minutes=minutes)


def method_note(study: StudyArea, plan: Plan | None) -> str:
    """
    How walking reach was computed: ``道のりによる計算・profile・坂を考慮／平坦と仮定``
    with a street network, else ``直線距離による概算（迂回係数1.3）``.
    """
    if not _has_network(plan):
        return straight_note(study.config.walking.detour_factor)
    slope = _("坂を考慮") if plan.network.reach.slope_aware else _("平坦と仮定")
    return _("道のりによる計算・{profile}").format(profile=plan.profile.label) + "・" + slope


def method_notes(study: StudyArea, plan: Plan | None) -> list[str]:
    """The method note, and with a network also the note on the straight-line layers."""
    notes = [method_note(study, plan)]
    if _has_network(plan):
        straight = straight_note(study.config.walking.detour_factor)
        notes.append(_("直線の徒歩圏と空白地域は{note}").format(note=straight))
    config = study.config
    if config.districts_source == "whole":
        notes.append(_("地区の区域がないため、全体を一つの区域として集計しています"))
    elif config.districts_source == "census":
        notes.append(_("地区は国勢調査の小地域をまとめた概略区域です"))
    if not config.places_known:
        notes.append(_("居場所の一覧はありません（公共施設は居場所として数えていません）"))
    return notes


def _touching(frame: gpd.GeoDataFrame, box: shapely.Geometry | None) -> gpd.GeoDataFrame:
    located = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    return located if box is None else located[located.intersects(box)]


def _fill_block_holes(geometry: shapely.Geometry, *,
                      max_area_m2: float = BLOCK_HOLE_M2) -> shapely.Geometry:
    """``geometry`` (metric) with its interior rings up to ``max_area_m2`` filled."""
    polygons = []
    for polygon in shapely.get_parts(geometry):
        holes = [ring for ring in polygon.interiors
                 if shapely.Polygon(ring).area > max_area_m2]
        polygons.append(shapely.Polygon(polygon.exterior, holes))
    return shapely.union_all(polygons) if polygons else geometry


def merged_isochrones(study: StudyArea, plan: Plan) -> gpd.GeoDataFrame:
    """All places merged, one row per threshold, block holes filled, in the metric CRS."""
    isochrones = plan.network.isochrones
    merged = isochrones[(isochrones["place"] == -1) & ~isochrones.geometry.is_empty]
    merged = merged[["minutes", "area_km2", "geometry"]].to_crs(study.config.metric_crs)
    filled = [_fill_block_holes(g) for g in merged.geometry]
    return merged.set_geometry(gpd.GeoSeries(filled, index=merged.index, crs=merged.crs))


def _reach_text(plan: Plan, minutes: float) -> str | None:
    coverage = plan.network.coverage
    if coverage is None or coverage.basis is None:
        return None
    city = coverage.city.set_index("minutes")
    if minutes not in city.index:
        return None
    row = city.loc[minutes]
    return _("{basis} {people}（{share}）が圏内").format(
        basis=basis_label(coverage.basis),
        people=popups.format_people(row["covered"]),
        share=popups.format_share(row["covered_share"]))


def isochrone_layers(study: StudyArea, plan: Plan | None) -> list:
    """
    One toggled layer per threshold: everything within N minutes of a place on the streets
    (all places merged). The middle threshold is shown when the map opens.
    """
    if not _has_network(plan):
        return []
    merged = merged_isochrones(study, plan)
    if merged.empty:
        return []
    # not clipped to a district's view, like the straight-line circles
    display = simplify_for_display(merged, metric_crs=study.config.metric_crs)
    thresholds = sorted(float(m) for m in display["minutes"].unique())
    shown = study.config.walking.default_minutes
    layers = []
    for position, minutes in reversed(list(enumerate(thresholds))):
        color = ISOCHRONE_COLORS[min(position, len(ISOCHRONE_COLORS) - 1)]
        selected = display[display["minutes"] == minutes]
        style = {"color": color, "weight": 1.2, "opacity": 0.8, "fillColor": color,
                 "fillOpacity": ISOCHRONE_OPACITY}
        tooltip = popups.isochrone_tooltip(minutes=minutes,
                                           reach_text=_reach_text(plan, minutes))
        extra = [{"style": style, "sticky": True, "tooltip": tooltip}] * len(selected)
        data = feature_collection(selected, properties=["minutes", "area_km2"], extra=extra)
        label = _("徒歩{minutes:g}分圏（道のり）").format(minutes=minutes)
        symbol = area_swatch_svg(fill=color, stroke=color, fill_opacity=ISOCHRONE_OPACITY + 0.15)
        layer = map_geojson(data, name=layer_name(symbol, label), show=minutes == shown,
                            pane="ibasho-areas")
        layers.append((layer, [LegendRow(_("徒歩圏と空白地域"), symbol, label)]))
    return list(reversed(layers))


def network_gap_layers(study: StudyArea, plan: Plan | None, *,
                       box: shapely.Geometry | None) -> list:
    """
    One layer per threshold: the parts of each district beyond N minutes on the streets
    (block insides surrounded by reached streets are not drawn as gaps: see
    :data:`BLOCK_HOLE_M2`).
    """
    if not _has_network(plan) or plan.network.gaps is None or plan.network.gaps.empty:
        return []
    metric_crs = study.config.metric_crs
    gaps = _touching(plan.network.gaps, box).to_crs(metric_crs)
    merged = merged_isochrones(study, plan)
    reached = dict(zip(merged["minutes"], merged.geometry, strict=True))
    # clipped to each gap's box first: a city's isochrone is large, a district's gap is not
    shapes = [shapely.difference(gap, shapely.clip_by_rect(reached[m], *gap.bounds))
              if m in reached else gap
              for gap, m in zip(gaps.geometry, gaps["minutes"], strict=True)]
    gaps = gaps.set_geometry(gpd.GeoSeries(shapes, index=gaps.index, crs=gaps.crs))
    gaps = simplify_for_display(gaps[~gaps.geometry.is_empty], metric_crs=metric_crs)
    thresholds = sorted(float(m) for m in plan.network.gaps["minutes"].unique())
    basis = plan.network.coverage.basis if plan.network.coverage is not None else None
    style = {"color": NETWORK_GAP_STYLE["color"], "weight": NETWORK_GAP_STYLE["weight"],
             "fillColor": NETWORK_GAP_STYLE["fill_color"],
             "fillOpacity": NETWORK_GAP_STYLE["fill_opacity"]}
    symbol = area_swatch_svg(fill=NETWORK_GAP_STYLE["fill_color"],
                             stroke=NETWORK_GAP_STYLE["color"],
                             fill_opacity=NETWORK_GAP_STYLE["fill_opacity"] + 0.1)
    layers = []
    for minutes in thresholds:
        selected = gaps[gaps["minutes"] == minutes]
        if selected.empty:
            continue
        extra = [{"style": style, "sticky": True,
                  "tooltip": popups.network_gap_tooltip(gap, basis=basis)}
                 for gap in selected.drop(columns="geometry").to_dict(orient="records")]
        data = feature_collection(selected, properties=["district", "minutes", "uncovered"],
                                  extra=extra)
        label = _("空白地域（道のりで{minutes:g}分圏外）").format(minutes=minutes)
        layer = map_geojson(data, name=layer_name(symbol, label),
                            show=minutes == thresholds[-1], pane="ibasho-areas")
        layers.append((layer, [LegendRow(_("徒歩圏と空白地域"), symbol, label)]))
    return layers


def uncovered_by_district(study: StudyArea, coverage: CoverageResult, plan: Plan | None, *,
                          threshold: float | None = None,
                          ) -> tuple[pd.DataFrame, str, float] | None:
    """
    Per district, the residents beyond walking reach at one threshold.

    Without ``threshold``, the walking profile's default threshold
    (:meth:`geo.streets.walking.WalkProfile.default_threshold`): minutes on the network, else a
    straight-line radius in metres.

    Returns
    -------
    (DataFrame, str, float) or None
        ``district``, ``population``, ``covered``, ``uncovered``, ``uncovered_share``; the
        method (``"network"`` or ``"straight"``) and the threshold. None without population.

    Raises
    ------
    ValueError
        ``threshold`` is not one of the analysed thresholds (the message lists them).
    """
    if _has_network(plan) and plan.network.coverage is not None:
        method, table, column = "network", plan.network.coverage.table, "minutes"
        default = study.config.walking.default_threshold(method)
    elif coverage.basis is not None:
        method, table, column = "straight", coverage.table, "radius_m"
        default = study.config.walking.default_threshold(method)
    else:
        return None
    valid = sorted(float(v) for v in table[column].unique())
    threshold = default if threshold is None else float(threshold)
    if threshold not in valid:
        unit = "minutes" if method == "network" else "m"
        msg = (f"{threshold:g} is not an analysed threshold; valid ({unit}): "
               f"{', '.join(f'{v:g}' for v in valid)}.")
        raise ValueError(msg)
    rows = table[table[column] == threshold]
    frame = rows[["district", "population", "covered", "uncovered"]].reset_index(drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["uncovered_share"] = frame["uncovered"] / frame["population"].where(
            frame["population"] > 0)
    return frame, method, threshold


def _class_color(share: float) -> str | None:
    if share is None or not np.isfinite(share):
        return None
    position = int(np.searchsorted(UNCOVERED_STYLE["limits"], share, side="right"))
    return UNCOVERED_STYLE["colors"][position]


def _ramp_svg(colors: tuple[str, ...], *, size_px: int = 22) -> str:
    width = 20 / len(colors)
    stripes = "".join(f'<rect x="{2 + i * width:.2f}" y="2" width="{width + 0.05:.2f}" '
                      f'height="20" fill="{color}"/>' for i, color in enumerate(colors))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
            'viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
            f'{stripes}<rect x="2" y="2" width="20" height="20" fill="none" '
            f'stroke="{UNCOVERED_STYLE["color"]}" stroke-width="1"/></svg>')


def uncovered_layers(study: StudyArea, coverage: CoverageResult, plan: Plan | None, *,
                     box: shapely.Geometry | None) -> list:
    """
    The districts shaded by the share of residents beyond walking reach at the middle
    threshold (network minutes, or the default straight-line radius); off when the map opens.
    """
    found = uncovered_by_district(study, coverage, plan)
    if found is None:
        return []
    frame, method, threshold = found
    basis = (plan.network.coverage.basis if method == "network" else coverage.basis)
    label = _("徒歩圏外に住む人の割合（{basis}・{threshold}）").format(
        basis=basis_label(basis),
        threshold=threshold_text(study.config, method=method, threshold=threshold,
                                 short=True))
    districts = study.districts[["name", "geometry"]].merge(
        frame, left_on="name", right_on="district", how="left")
    districts = simplify_for_display(_touching(districts, box),
                                     metric_crs=study.config.metric_crs, coverage=True)
    extra = []
    for row in districts.drop(columns="geometry").to_dict(orient="records"):
        color = _class_color(row["uncovered_share"])
        style = {"color": UNCOVERED_STYLE["color"], "weight": UNCOVERED_STYLE["weight"],
                 "fill": color is not None, "fillColor": color or "#FFFFFF",
                 "fillOpacity": UNCOVERED_STYLE["fill_opacity"]}
        extra.append({"style": style, "sticky": True, "tooltip": popups.uncovered_tooltip(
            row["name"], uncovered=row["uncovered"], share=row["uncovered_share"],
            label=label)})
    data = feature_collection(districts, properties=["name", "population", "uncovered",
                                                     "uncovered_share"], extra=extra)
    symbol = _ramp_svg(UNCOVERED_STYLE["colors"])
    layer = map_geojson(data, name=layer_name(symbol, label), show=False,
                        pane="ibasho-shading")
    rows = [LegendRow(_("徒歩圏と空白地域"), symbol,
                      _("{label}：色が濃いほど高い").format(label=label))]
    rows += [LegendRow(_("徒歩圏と空白地域"),
                       area_swatch_svg(fill=color, stroke=UNCOVERED_STYLE["color"],
                                       fill_opacity=UNCOVERED_STYLE["fill_opacity"],
                                       stroke_width=1, size_px=18), text)
             for color, text in zip(UNCOVERED_STYLE["colors"], _class_labels(), strict=True)]
    return [(layer, rows)]


def _class_labels() -> list[str]:
    """``20%未満``, ``20〜40%`` … ``80%以上`` for :data:`UNCOVERED_STYLE` ``limits``."""
    percents = [100 * limit for limit in UNCOVERED_STYLE["limits"]]
    labels = [_("{high:g}%未満").format(high=percents[0])]
    labels += [_("{low:g}〜{high:g}%").format(low=low, high=high)
               for low, high in itertools.pairwise(percents)]
    labels.append(_("{low:g}%以上").format(low=percents[-1]))
    return labels


def suggested_sites(study: StudyArea, plan: Plan | None) -> gpd.GeoDataFrame | None:
    """
    The plan's suggested sites, each with its district: a site the analysis left without
    one (the network search does not name districts) gets the district it stands in.
    """
    if plan is None or plan.suggestions is None:
        return None
    sites = plan.suggestions
    missing = sites["district"].fillna("").astype(str) == ""
    if not missing.any():
        return sites
    sites = sites.copy()
    found = assign_districts(sites[missing], study.districts,
                             metric_crs=study.config.metric_crs)
    sites.loc[missing, "district"] = found
    return sites


def suggestion_icon_svg(rank: int, *, size_px: int | None = None) -> str:
    """A suggested site's badge: a yellow rounded square with its rank in black."""
    style = SUGGESTION_STYLE
    size = size_px or style["size_px"]
    text = escape(str(int(rank)))
    font_size = 13 if len(text) == 1 else 11 if len(text) == 2 else 8.5
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            'viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
            f'<rect x="2" y="2" width="20" height="20" rx="5" fill="{style["fill_color"]}" '
            f'stroke="{style["color"]}" stroke-width="{style["stroke_width"]:g}"/>'
            f'<text x="12" y="12" dy="0.36em" text-anchor="middle" font-size="{font_size:g}" '
            f'font-weight="700" fill="{style["text_color"]}" font-family="{_FONT}">{text}</text>'
            "</svg>")


def suggestion_layers(study: StudyArea, plan: Plan | None, *, box: shapely.Geometry | None,
                      show: bool) -> list:
    """
    The suggested sites as numbered badges (their rank), with what each would add.

    Sites outside ``box`` (a district's view) are left out; ranks stay the city's.
    """
    all_sites = suggested_sites(study, plan)
    if all_sites is None or all_sites.empty:
        return []
    sites = _touching(all_sites, box)
    if sites.empty:
        return []
    basis = plan.basis
    threshold = threshold_text(study.config, method=plan.method,
                               threshold=plan.suggestion_threshold)
    extra = []
    for site in sites.drop(columns="geometry").to_dict(orient="records"):
        rank = int(site["rank"])
        extra.append({
            "icon": suggestion_icon_svg(rank),
            "icon_size": SUGGESTION_STYLE["size_px"],
            "title": _("候補{rank}").format(rank=rank) + f" {site['name']}",
            "popup": popups.suggestion_popup(site, icon=suggestion_icon_svg(rank, size_px=20),
                                             threshold=threshold, basis=basis),
            "tooltip": popups.suggestion_tooltip(site),
        })
    data = feature_collection(sites, properties=["rank", "name", "district", "newly_covered",
                                                 "share_after"], extra=extra)
    label = _("新しい居場所の候補（上位{k}か所）").format(k=len(all_sites))
    symbol = suggestion_icon_svg(1, size_px=22)
    layer = map_geojson(data, name=layer_name(suggestion_icon_svg(1, size_px=20), label),
                        show=show, point_to_layer=JsCode("IbashoMap.suggestionMarker"))
    row = LegendRow(_("新しい居場所の候補"), symbol,
                    _("{label}・数字は順位").format(label=label))
    return [(layer, [row])]
