"""One walking profile: a ``cane`` config shows one speed everywhere, one default threshold."""

from __future__ import annotations

import html
import io
import json
import re
import tomllib
from pathlib import Path

import folium
import pytest

from layers.analysis import plan_study_area
from layers.config import LayerConfig, load_config
from layers.files.routes import load_walking_routes
from layers.study import analyse_study_area, load_study_area
from webmap.i18n import gettext
from webmap.maps.build import build_map, walk_minutes
from webmap.maps.pages import page_context
from webmap.prints.sheet import SheetOptions, render_sheet

#: Labels of the maps and sheets, from the app's catalogue (webmap/i18n.py).
BUFFER = gettext("徒歩圏（直線{radius_m:g} m・徒歩約{minutes}分）")
PACE = gettext("歩く速さ 分速{speed:g} m（高齢者の目安）")

TAKASAKI = Path(__file__).resolve().parents[1] / "data" / "takasaki" / "ibasho.toml"
HERE = "lat=36.30685&lon=139.05982&at=2026-12-01T09:00"


def write_config(tmp_path: Path, **walking: object) -> Path:
    """The Takasaki config with its paths made absolute and ``[walking]`` keys replaced."""
    text = TAKASAKI.read_text(encoding="utf-8")
    base = TAKASAKI.parent
    text = re.sub(r'^(path|boundary) = "([^"]+)"',
                  lambda m: f'{m[1]} = "{(base / m[2]).as_posix()}"', text, flags=re.M)
    for key, value in walking.items():
        line = f"{key} = {value!r}".replace("'", '"')
        pattern = rf"^{key} = .*$"
        if re.search(pattern, text, flags=re.M):
            text = re.sub(pattern, line, text, count=1, flags=re.M)
        else:
            text = text.replace("[walking]\n", f"[walking]\n{line}\n", 1)
    tomllib.loads(text)
    path = tmp_path / "ibasho.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cane(tmp_path_factory):
    path = write_config(tmp_path_factory.mktemp("cane"), profile="cane",
                        radii_m=[200, 500, 800, 1000])
    study = load_study_area(path)
    return path, study, analyse_study_area(study), plan_study_area(study)


def contains(page: str, text: str) -> bool:
    """``text`` appears in the page as it is, or as JSON inside a script (``\\uXXXX``)."""
    return text in page or json.dumps(text)[1:-1] in page


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_config_builds_one_profile(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, profile="cane"))
    assert config.walking.name == "cane" and config.walking.speed_m_per_min == 42
    assert config.walking.steps_factor == 4 and config.walking.detour_factor == 1.3
    own = load_config(write_config(tmp_path, speed_m_per_min=50))
    assert own.walking.speed_m_per_min == 50 and "50" in own.walking.label


def test_cane_shows_42_on_the_city_map_and_district_page(cane) -> None:
    _, study, coverage, plan = cane
    page = build_map(study, coverage, plan=plan, asset_base="vendor").get_root().render()
    assert contains(page, PACE.format(speed=42))
    assert not contains(page, "分速60") and not contains(page, "毎分60")
    context = page_context(study, coverage, plan)
    assert context["speed"] == 42
    assert context["pace_note"] == PACE.format(speed=42)


def test_cane_shows_42_on_the_print_sheet(cane) -> None:
    _, study, coverage, _ = cane
    text = _pdf_text(render_sheet(study, coverage, SheetOptions(fmt="pdf")))
    flat = text.replace(" ", "").replace("\n", "")
    assert PACE.format(speed=42).replace(" ", "") in flat
    assert "分速60" not in flat
    # the circle shown: 800 m straight line × 1.3 / 42 m/min = 24.8 → 25 minutes
    assert BUFFER.format(radius_m=800.0, minutes=25).replace(" ", "") in flat


def test_default_threshold_is_the_same_on_map_suggestions_and_sheet(cane) -> None:
    _, study, coverage, plan = cane
    default = study.config.walking.default_radius_m
    assert default == 800
    assert plan.method == "straight" and plan.suggestion_threshold == default
    m = build_map(study, coverage, plan=plan, asset_base="vendor")
    shown = {}
    for child in m._children.values():
        if isinstance(child, folium.map.Layer) and child.control and child.overlay:
            shown[html.unescape(child.layer_name.rsplit("</span>", 1)[-1])] = child.show
    label = {r: BUFFER.format(
        radius_m=r, minutes=walk_minutes(r, profile=study.config.walking)) for r in (500, 800)}
    assert shown[label[800]] is True and shown[label[500]] is False
    text = _pdf_text(render_sheet(study, coverage, SheetOptions(fmt="pdf")))
    text = text.replace(" ", "").replace("\n", "")
    assert label[800].replace(" ", "") in text and label[500].replace(" ", "") not in text


def test_walking_routes_walk_at_the_profiles_pace(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, profile="cane"))
    route = tmp_path / "walk.geojson"
    route.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "烏川コース"},
        "geometry": {"type": "LineString",
                     "coordinates": [[139.00, 36.32], [139.01, 36.32]]}}]}), encoding="utf-8")
    routes, _ = load_walking_routes(LayerConfig("walking_routes", route), profile=config.walking,
                                    metric_crs=config.metric_crs)
    assert routes["walk_minutes"].iloc[0] == pytest.approx(routes["length_m"].iloc[0] / 42)


def test_cane_minutes_on_the_resident_page(cane) -> None:
    from webmap.web.app import create_app

    path, *_ = cane
    app = create_app({"TESTING": True, "CONFIG": str(path),
                      "DATABASE": str(path.with_name("data.gpkg"))})
    body = app.test_client().get(f"/api/near?{HERE}").json
    assert body["speed_m_per_min"] == 42
    place = body["places"][0]
    assert place["distance_m"] * 1.3 / 42 == pytest.approx(place["minutes"], abs=1)
