"""The map layer 「地域の支え合い・資源」: community resources with a position, by category.

A resource with a point (a 移動販売 stop, a 認知症カフェ) is drawn as a small marker of its
category, one with a line (a walking course) as a line of its category's colour; an area
resource (``serves``, no position) is not drawn: it is listed on the district page. Popups
and tooltips are made and escaped in :mod:`webmap.maps.popups`, as the places' are.

The features depend on the resources only, never on the gathering places: they are kept in
the study's :class:`geo.memo.FrameMemo` under the resources' content, so redrawing the maps
after a place edit does not make them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import folium
import geopandas as gpd
import shapely
from folium.utilities import JsCode

from geo.memo import remembered
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.maps import popups
from webmap.maps.elements import map_geojson
from webmap.maps.geojson import feature_collection
from webmap.maps.panels import LegendRow, layer_name
from webmap.maps.style import RESOURCE_MARKER_SIZE_PX
from webmap.maps.symbols import category_style, place_icon_svg, places_by_category

__all__ = ["resource_features", "resource_layers"]

_COLUMNS = ["place_id", "name", "category", "district", "serves", "schedule", "contact",
            "address", "notes", "source"]


def _content_key(resources: gpd.GeoDataFrame) -> tuple:
    """What the features are made of, as a hashable key (resources are few: dozens)."""
    columns = [c for c in _COLUMNS if c in resources.columns]
    rows = resources[columns].astype(str).itertuples(index=False, name=None)
    shapes = [None if g is None else shapely.to_wkb(g) for g in resources.geometry]
    return (tuple(columns), tuple(rows), tuple(shapes))


def resource_features(resources: gpd.GeoDataFrame, categories: Sequence[str],
                      box: shapely.Geometry | None = None) -> list[tuple[str, dict]]:
    """
    The located resources touching ``box`` (all when None) as GeoJSON per category.

    Parameters
    ----------
    resources
        :attr:`layers.study.StudyArea.resources` (rows without a position are left out).
    categories
        The configured resource categories, in the order of the legend.
    box
        The map's view in ``STORAGE_CRS``, or None for the whole study area.

    Returns
    -------
    list of (str, dict)
        ``(category, FeatureCollection)`` with each feature's escaped ``popup`` and
        ``tooltip``, its ``icon`` (points) or ``style`` (lines and areas).
    """
    located = resources[resources.geometry.notna() & ~resources.geometry.is_empty]
    if box is not None:
        located = located[located.intersects(box)]
    collections = []
    for category, members in places_by_category(located, categories):
        color = category_style(category)["color"]
        extra = []
        for resource, shape in zip(members.drop(columns="geometry").to_dict(orient="records"),
                                   members.geometry, strict=True):
            tooltip = (f"<strong>{escape(str(resource.get('name') or ''))}</strong>"
                       f"<br>{escape(category)}")
            item = {"popup": popups.resource_popup(resource), "tooltip": tooltip}
            if shape.geom_type == "Point":
                item["icon"] = place_icon_svg(category, size_px=RESOURCE_MARKER_SIZE_PX)
                item["icon_size"] = RESOURCE_MARKER_SIZE_PX
            else:
                item["style"] = {"color": color, "weight": 4, "opacity": 0.85,
                                 "fillColor": color, "fillOpacity": 0.15}
                item["sticky"] = True
            extra.append(item)
        collections.append((category, feature_collection(
            members, properties=["place_id", "name", "category", "district"], extra=extra)))
    return collections


def resource_layers(study: StudyArea, *, box: shapely.Geometry | None,
                    district: str | None) -> list[tuple[folium.map.Layer, list[LegendRow]]]:
    """
    The toggle layer 「地域の支え合い・資源」 (one group, shown) with a legend row per category;
    none when no resource has a position in the view.
    """
    resources = study.resources
    if resources is None or resources.empty:
        return []
    categories = study.config.resource_categories
    collections = remembered(
        study.memo, (), ("resource features", district, tuple(categories),
                         _content_key(resources)),
        lambda: resource_features(resources, categories, box))
    if not collections:
        return []
    section = _("地域の支え合い・資源")
    symbol = place_icon_svg(collections[0][0], size_px=20)
    group = folium.FeatureGroup(name=layer_name(symbol, section), show=True)
    rows = []
    for category, data in collections:
        map_geojson(data, control=False, pane="ibasho-lines",
                    point_to_layer=JsCode("IbashoMap.placeMarker")).add_to(group)
        label = f"{category}（{len(data['features'])}）"
        rows.append(LegendRow(section, place_icon_svg(category, size_px=22), label))
    return [(group, rows)]
