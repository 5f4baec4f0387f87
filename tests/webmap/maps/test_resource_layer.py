"""The map layer 「地域の支え合い・資源」 on the real Takasaki layers with four made-up resources
of 箕郷 (names end in （架空）, see ``tests/made_up_resources.py``): two area resources (not
drawn), a 移動販売 stop and a walking group (drawn, by category).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from made_up_resources import with_resources

from geo.crs import STORAGE_CRS
from layers.fields.schema import PLACE_COLUMNS
from layers.study import study_with_places
from webmap.maps.build import build_map
from webmap.maps.resource_layer import resource_features, resource_layers
from webmap.maps.style import RESOURCE_STYLES, SHAPES


def _contains(html: str, text: str) -> bool:
    return text in html or json.dumps(text)[1:-1] in html


@pytest.fixture(scope="module")
def study(takasaki):
    return with_resources(takasaki)


def test_each_configured_resource_category_has_its_own_symbol(study):
    assert set(study.config.resource_categories) <= set(RESOURCE_STYLES)
    shapes = [(s["shape"], s["color"]) for s in RESOURCE_STYLES.values()]
    assert len(set(shapes)) == len(shapes)
    assert all(s["shape"] in SHAPES and len(s["glyph"]) == 1 for s in RESOURCE_STYLES.values())


def test_only_located_resources_are_drawn_by_category(study):
    collections = dict(resource_features(study.resources, study.config.resource_categories))
    assert list(collections) == ["移動販売", "ウォーキング"]  # the configured order
    stop = collections["移動販売"]["features"][0]
    assert stop["properties"]["name"] == "移動販売 とくし便 箕郷支所前（架空）"
    assert "毎週火曜日 10:00～10:30" in stop["properties"]["popup"]
    assert stop["properties"]["icon"].startswith("<svg")
    # the notes are data: shown as text, never a formula or markup
    assert "=HYPERLINK(&quot;http://x&quot;)" in stop["properties"]["popup"]


def test_the_city_and_district_maps_offer_the_layer(study, coverage):
    city = build_map(study, coverage, asset_base="vendor").get_root().render()
    assert _contains(city, "地域の支え合い・資源")
    assert _contains(city, "移動販売（1）") and _contains(city, "ウォーキング（1）")
    assert not _contains(city, "箕郷みまもり隊（架空）")  # an area resource: listed, not drawn
    far = build_map(study, coverage, district="新町").get_root().render()  # 箕郷 is far away
    assert not _contains(far, "地域の支え合い・資源")
    near = build_map(study, coverage, district="箕郷").get_root().render()
    assert _contains(near, "移動販売 とくし便 箕郷支所前（架空）")


def test_a_map_without_resources_has_no_such_layer(takasaki, coverage):
    html = build_map(takasaki, coverage, district="箕郷").get_root().render()
    assert not _contains(html, "地域の支え合い・資源")


def test_markup_in_a_resource_name_stays_text(takasaki, coverage):
    hall = takasaki.places[takasaki.places["name"] == "箕郷公民館"].geometry.iloc[0]
    row = {c: "" for c in PLACE_COLUMNS} | {
        "place_id": "r900", "name": "<script>alert(1)</script>（架空）", "category": "移動販売",
        "position_quality": "exact"}
    frame = pd.concat([takasaki.places[[*PLACE_COLUMNS, "geometry"]],
                       gpd.GeoDataFrame([row], geometry=[hall], crs=STORAGE_CRS)],
                      ignore_index=True)
    study = study_with_places(takasaki, gpd.GeoDataFrame(frame, crs=STORAGE_CRS))
    html = build_map(study, coverage, district="箕郷").get_root().render()
    i = html.find("<script>alert(1)")
    assert i < 0, html[i - 300:i + 50]
    [(_, data)] = resource_features(study.resources, study.config.resource_categories)
    properties = data["features"][0]["properties"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;（架空）" in properties["popup"]
    assert properties["tooltip"].startswith("<strong>&lt;script&gt;")


def test_a_place_edit_reuses_the_resource_features(study, monkeypatch):
    """After a place edit the study has new frames; the resources' features are not made again
    as long as the resources themselves are unchanged (the real function, its calls counted)."""
    import webmap.maps.resource_layer as module

    made = []

    def counting(*args, **kwargs):
        made.append(1)
        return resource_features(*args, **kwargs)

    monkeypatch.setattr(module, "resource_features", counting)
    resource_layers(study, box=None, district="first-draw")
    frame = pd.concat([study.places[[*PLACE_COLUMNS, "geometry"]],
                       study.resources[[*PLACE_COLUMNS, "geometry"]]], ignore_index=True)
    frame.loc[0, "name"] = "名前を直した居場所"
    edited = study_with_places(study, gpd.GeoDataFrame(frame, crs=STORAGE_CRS))
    assert edited.resources is not study.resources and edited.memo is study.memo
    layers = resource_layers(edited, box=None, district="first-draw")
    assert len(made) == 1 and len(layers) == 1
    frame.loc[len(frame) - 1, "schedule"] = "毎週金曜日"  # a resource edited: drawn again
    again = study_with_places(study, gpd.GeoDataFrame(frame, crs=STORAGE_CRS))
    resource_layers(again, box=None, district="first-draw")
    assert len(made) == 2
