"""Importing community resources from CSV: the preview and the checks of places, ``serves``
included (GeoPackage and PostGIS). The rows are made up (names end in （架空）)."""

from __future__ import annotations

from pathlib import Path

import pytest

from layers.errors import LayerError
from layers.store.place_io import export_places, import_file, preview_import
from layers.store.places import open_store

HEADER = "name,category,district,serves,schedule,contact,lon,lat\n"


@pytest.fixture
def resource_store(store_url, takasaki_config, takasaki_extent):
    store = open_store(store_url, categories=takasaki_config.all_categories,
                       extent=takasaki_extent)
    store.migrate()
    return store


def test_area_resources_import_without_a_position_and_export_with_serves(
        resource_store, tmp_path: Path):
    upload = tmp_path / "resources.csv"
    upload.write_text(HEADER + "箕郷みまもり隊（架空）,見守り活動,箕郷,全域,毎週月曜日,"
                      "027-371-0000,,\n"
                      "とくし便 箕郷支所前（架空）,移動販売,,,毎週火曜日 10:00～10:30,,"
                      "138.9569,36.3917\n", encoding="utf-8")
    ids = import_file(resource_store, upload, user="suzuki")
    assert len(ids) == 2
    out = export_places(resource_store, "csv", tmp_path / "out.csv")
    text = out.read_text(encoding="utf-8-sig")
    assert "serves" in text.splitlines()[0] and "箕郷みまもり隊（架空）" in text


def test_an_area_resource_without_district_or_position_is_a_problem_of_its_row(
        resource_store, tmp_path: Path):
    upload = tmp_path / "resources.csv"
    upload.write_text(HEADER + "どこかの見守り（架空）,見守り活動,,全域,,,,\n"
                      + "長すぎる対象（架空）,見守り活動,箕郷," + "あ" * 501 + ",,,,\n",
                      encoding="utf-8")
    preview = preview_import(resource_store, upload)
    assert not preview.ok
    assert {(p.row, p.field) for p in preview.problems if p.is_error} == {
        (2, "district"), (3, "serves")}
    with pytest.raises(LayerError):
        import_file(resource_store, upload, user="suzuki")
    assert len(resource_store.places()) == 0  # nothing half-stored
