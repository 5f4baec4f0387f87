"""Study-area configs: the Takasaki default, and clear errors for broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from data import get_path
from layers.config import ELDERLY_WALK_SPEED_M_PER_MIN, load_config
from layers.errors import LayerError


def test_takasaki_config() -> None:
    config = load_config(get_path("takasaki"))
    assert config.metric_crs == "EPSG:6677"
    assert config.radii_m == (300.0, 500.0, 800.0)
    assert config.walking.speed_m_per_min == ELDERLY_WALK_SPEED_M_PER_MIN
    assert config.districts_approximate
    assert set(config.layers) >= {"districts", "places", "stops", "bus_routes", "population"}
    assert all(layer.path.exists() for layer in config.layers.values())
    assert any("国土数値情報" in line for line in config.attribution)


def test_second_city_needs_only_a_config(tmp_path: Path) -> None:
    (tmp_path / "d.geojson").write_text('{"type":"FeatureCollection","features":[]}')
    (tmp_path / "p.csv").write_text("name\n")
    (tmp_path / "city.toml").write_text(
        '[study_area]\nname = "前橋市"\nmetric_crs = "EPSG:6677"\n'
        '[walking]\nradii_m = [400]\nspeed_m_per_min = 42\n'
        '[layers.districts]\npath = "d.geojson"\n[layers.places]\npath = "p.csv"\n',
        encoding="utf-8")
    config = load_config(tmp_path / "city.toml")
    assert (config.name, config.radii_m) == ("前橋市", (400.0,))
    assert config.walking.speed_m_per_min == 42.0
    assert config.title == "前橋市 居場所マップ"


def test_every_config_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        '[study_area]\nmetric_crs = "EPSG:4326"\n'
        '[walking]\nradii_m = [0, 500]\nspeed_m_per_min = -1\n'
        '[layers.places]\npath = "missing.csv"\n[layers.shops]\npath = "x"\n', encoding="utf-8")
    with pytest.raises(LayerError) as info:
        load_config(tmp_path / "bad.toml")
    fields = {p.field for p in info.value.problems}
    assert fields == {"study_area.metric_crs", "walking.radii_m", "walking.speed_m_per_min",
                      "layers.places.path", "layers.shops", "study_area.boundary"}
    assert "missing.csv" in str(info.value)


def test_not_toml(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text("[study_area\n", encoding="utf-8")
    with pytest.raises(LayerError, match="x.toml: This is not valid UTF-8 TOML"):
        load_config(tmp_path / "x.toml")


def test_a_layer_error_crosses_processes_with_its_problems() -> None:
    """Errors are pickled when raised in another process (``ibasho serve`` makes the database
    ready in one): the problems arrive, not only their text."""
    import pickle

    from layers.errors import LayerError, Problem

    error = LayerError([Problem("places.csv", "'東' is not a number", row=78, field="lon"),
                        Problem("places.csv", "unknown category 喫茶店", row=80,
                                field="category")])
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, LayerError)
    assert again.problems == error.problems and str(again) == str(error)
