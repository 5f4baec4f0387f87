"""An area resource says which 町丁 it serves: a name the population layer lacks is an error on
every write path (form, import), a warning when the config's own files are loaded, and the
message gives the nearest real name. The resources are made up (names end in （架空））; the
町丁 names are Takasaki's (2015 census)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from takasaki_configs import takasaki_config as write_takasaki_config

from layers.errors import LayerError
from layers.fields.schema import WHOLE_DISTRICT, served_area_problem, served_areas
from layers.files.points import StudyExtent
from layers.store.place_io import import_file, preview_import
from layers.store.places import open_store
from layers.study import load_study_area

HEADER = "name,category,district,serves,schedule,contact,lon,lat\n"
TOWNS = ("箕郷町生原", "箕郷町上芝", "中居町１丁目")


@pytest.fixture
def towns_store(store_url, takasaki_config, takasaki_extent):
    extent = StudyExtent(takasaki_extent.outline, metric_crs=takasaki_config.metric_crs,
                         towns=TOWNS)
    store = open_store(store_url, categories=takasaki_config.all_categories, extent=extent)
    store.migrate()
    return store


def test_an_import_naming_an_unknown_town_is_refused_with_the_nearest_name(
        towns_store, tmp_path: Path) -> None:
    upload = tmp_path / "resources.csv"
    upload.write_text(HEADER
                      + "生原ささえあい（架空）,助け合い活動,箕郷,箕郷町生原、中居町1丁目,,,,\n"
                      + "上芝みまもり（架空）,見守り活動,箕郷,箕郷町上柴,,,,\n", encoding="utf-8")
    preview = preview_import(towns_store, upload)
    errors = [p for p in preview.problems if p.is_error]
    assert [(p.row, p.field) for p in errors] == [(3, "serves")]
    assert "箕郷町上柴" in errors[0].problem and "「箕郷町上柴」→「箕郷町上芝」" in errors[0].fix
    with pytest.raises(LayerError):
        import_file(towns_store, upload, user="suzuki")
    assert len(towns_store.places()) == 0  # nothing half-stored


def test_the_form_refuses_an_unknown_town_and_keeps_the_stored_place(towns_store) -> None:
    place = towns_store.add_place({"name": "生原ささえあい（架空）", "category": "助け合い活動",
                                   "district": "箕郷", "serves": "箕郷町生原"}, user="suzuki")
    with pytest.raises(LayerError) as refused:
        towns_store.update_place(place["place_id"], {"serves": "箕郷町生原、どこか町"},
                                 expected_version=place["version"], user="suzuki")
    assert [(p.field, p.is_error) for p in refused.value.problems] == [("serves", True)]
    kept = towns_store.place(place["place_id"])
    assert kept["serves"] == "箕郷町生原" and kept["version"] == place["version"]
    towns_store.update_place(place["place_id"], {"serves": "地区全域"},
                             expected_version=place["version"], user="suzuki")
    assert towns_store.place(place["place_id"])["serves"] == "地区全域"


def test_the_configs_own_file_loads_with_a_warning_naming_file_row_and_field(
        tmp_path: Path) -> None:
    places = tmp_path / "resources.csv"
    places.write_text("name,category,district,serves,lon,lat\n"
                      "倉賀野ささえあい（架空）,助け合い活動,倉賀野,倉賀野町、どこか町,,\n",
                      encoding="utf-8")
    config = write_takasaki_config(tmp_path, drop=("places",), extra=(
        f'\n[layers.places]\npath = "{places}"\n'))
    study = load_study_area(config)
    found = [p for p in study.warnings if p.field == "serves"]
    assert [(Path(p.path).name, p.row, p.is_error) for p in found] == [
        ("resources.csv", 2, False)]
    assert "どこか町" in found[0].problem and "倉賀野町" not in found[0].problem
    assert len(study.resources) == 1  # loaded all the same


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*TOWNS, "中居町1丁目", "どこか町", WHOLE_DISTRICT, "地区全域",
                                 "", " "]), max_size=6),
       st.sampled_from(["、", "・", ",", ";", "，"]))
def test_a_problem_exactly_when_a_named_town_is_unknown(names: list[str], separator: str) -> None:
    serves = separator.join(names)
    problem = served_area_problem(serves, TOWNS, label="p0001")
    named = served_areas(serves)
    unknown = WHOLE_DISTRICT not in named and "どこか町" in named
    assert (problem is not None) == unknown
    if problem is not None:
        assert problem.field == "serves" and problem.is_error and "「どこか町」" in problem.problem
    assert served_area_problem(serves, (), label="p0001") is None  # nothing to check against


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_problem_or_none_never_an_exception(serves: str) -> None:
    problem = served_area_problem(serves, TOWNS, label="p0001")
    assert problem is None or problem.field == "serves"
