"""Community resources besides gathering places: config, the ``serves`` field, the store
(GeoPackage and PostGIS, migration 7) and the study area that keeps them apart from coverage.

The resources here are made up for the tests (names end in （架空）); positions are those of
real Takasaki places, moved a little.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from made_up_resources import with_resources

from layers.config import DEFAULT_RESOURCE_CATEGORIES, load_config
from layers.errors import LayerError
from layers.fields.schema import WHOLE_DISTRICT, check_place_fields, served_areas
from layers.store.migrations import LATEST_VERSION
from layers.store.places import open_store


def test_resources_are_listed_apart_and_never_counted_as_places(takasaki):
    study = with_resources(takasaki)
    assert len(study.places) == len(takasaki.places)  # coverage sees the same places
    assert list(study.resources["category"]) == ["見守り活動", "助け合い活動", "移動販売",
                                                 "ウォーキング"]
    # the area resources keep their row without a position; the points get their district
    assert study.resources.geometry.isna().sum() == 2
    assert set(study.resources["district"]) == {"箕郷"}


def test_served_areas_reads_the_whole_district_and_town_lists():
    assert served_areas("全域") == served_areas("地区全域") == (WHOLE_DISTRICT,)
    assert served_areas("A町、B町・C町, A町") == ("A町", "B町", "C町")
    assert served_areas(" ") == ()


@given(st.text(max_size=60))
def test_served_areas_never_fails_and_gives_clean_names(text):
    areas = served_areas(text)
    assert all(name and name == name.strip() and "、" not in name for name in areas)
    assert len(set(areas)) == len(areas)


def test_an_area_resource_needs_a_district_or_a_position():
    categories = ("見守り活動",)
    _, _, problems = check_place_fields({}, {"name": "見守り（架空）", "category": "見守り活動",
                                             "serves": "全域"}, categories=categories,
                                        extent=None, label="form")
    assert [p.field for p in problems] == ["district"]
    _, _, problems = check_place_fields({}, {"name": "見守り（架空）", "category": "見守り活動",
                                             "serves": "全域", "district": "箕郷"},
                                        categories=categories, extent=None, label="form")
    assert problems == []


def test_config_resources_default_and_must_not_repeat_a_place_category(tmp_path,
                                                                       takasaki_config):
    assert takasaki_config.resource_categories == DEFAULT_RESOURCE_CATEGORIES
    assert takasaki_config.all_categories[:len(takasaki_config.categories)] == \
        takasaki_config.categories
    text = takasaki_config.path.read_text(encoding="utf-8").replace(
        '[categories]\n', '[categories]\nresources = ["サロン", "移動販売"]\n')
    config = tmp_path / "ibasho.toml"
    config.write_text(text, encoding="utf-8")
    for source in takasaki_config.path.parent.iterdir():
        if source.name != "ibasho.toml":
            (tmp_path / source.name).symlink_to(source)
    with pytest.raises(LayerError, match="サロン is both"):
        load_config(config)


def test_the_store_keeps_an_area_resource_and_its_serves(store_url, takasaki_config,
                                                         takasaki_extent):
    store = open_store(store_url, categories=takasaki_config.all_categories,
                       extent=takasaki_extent)
    store.migrate()
    assert store.schema_version == LATEST_VERSION == 7
    added = store.add_place({"name": "箕郷みまもり隊（架空）", "category": "見守り活動",
                             "district": "箕郷", "serves": "地区全域"}, user="suzuki")
    stored = store.place(added["place_id"])
    assert stored["serves"] == "地区全域" and stored["lon"] is None
    frame = store.places()
    assert frame.loc[frame["place_id"] == added["place_id"], "serves"].item() == "地区全域"
    with pytest.raises(LayerError, match="serves"):
        store.add_place({"name": "どこかの見守り（架空）", "category": "見守り活動",
                         "serves": "全域"}, user="suzuki")
