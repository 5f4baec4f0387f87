"""Text from the data is never template source: the city map, the pages and the sheets show it
exactly as written, and nothing of it runs on the server.

folium/branca render each element's macros and then compile the output again as a Jinja
template (``branca.element.MacroElement.render`` wraps it in ``Element(text)``), so a place
called ``{{ 7*7 }}`` showed ``49`` and ``{{`` alone made every page a 500. These tests put
template, markup and script syntax into every text field and check that it comes out literally.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.fields.schema import TEXT_FIELDS
from webmap.maps.build import build_map
from webmap.maps.pages import render_map

#: What an attacker or a careless editor types: template, markup and script syntax.
PAYLOADS = [
    "{{ 7*7 }}",
    "{{",
    "{% for x in range(3) %}x{% endfor %}",
    "{# comment",
    "{{ cycler.__init__.__globals__.os.getpid() }}",
    "{% raw %}{{ 7*7 }}{% endraw %}",
    "${7*7} #{7*7} <%= 7*7 %>",
    "<script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "$x^2$ \\frac{1}{0}",
    "=HYPERLINK(\"http://example.invalid\")",
]
#: Fields whose text a map popup or tooltip shows as it is (category is a fixed list, and
#: district and position_source are normalised before they are shown).
SHOWN_FIELDS = ("name", "address", "schedule", "contact", "notes", "source")


def _with_place_text(study, values: dict[str, str]):
    """``study`` whose first located place has ``values`` in its text fields."""
    places = study.places.copy()
    index = places.index[places.geometry.notna()][0]
    for column, value in values.items():
        places.loc[index, column] = value
    return replace(study, places=places)


def _popups(script: str) -> list[str]:
    """Every popup and tooltip of the rendered map script, as text (HTML tags removed)."""
    texts = []
    for match in re.finditer(r"\.addData\((\{.*?\})\);\n", script):
        for feature in json.loads(match.group(1))["features"]:
            props = feature.get("properties", {})
            for key in ("popup", "tooltip"):
                if isinstance(props.get(key), str):
                    texts.append(unescape(re.sub(r"<[^>]*>", "", props[key])))
    return texts


@pytest.mark.parametrize("payload", PAYLOADS)
def test_map_shows_each_payload_literally(takasaki, coverage, payload):
    study = _with_place_text(takasaki, {field: payload for field in SHOWN_FIELDS})
    rendered = render_map(build_map(study, coverage))
    shown = "\n".join(_popups(rendered.script))
    assert payload in shown
    assert str(os.getpid()) not in re.sub(r"[0-9a-f]{32}", "", shown)


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
PIECES = st.lists(st.one_of(TEXT, st.sampled_from(PAYLOADS)), min_size=1, max_size=4).map("".join)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({field: PIECES for field in SHOWN_FIELDS}))
def test_map_shows_any_text_literally(takasaki, coverage, values):
    study = _with_place_text(takasaki, {k: v.strip() or "x" for k, v in values.items()})
    rendered = render_map(build_map(study, coverage, district=None))
    shown = "\n".join(_popups(rendered.script))
    for field in ("name", "address", "contact"):
        assert " ".join(study.places.loc[study.places.geometry.notna()].iloc[0][field]
                        .split()) in " ".join(shown.split())
    assert set(SHOWN_FIELDS) <= set(TEXT_FIELDS)


@pytest.mark.parametrize("name", ["$x^2$ {{ 7*7 }}", "$\\frac{1}{0}$", "50$ {% if %}"])
def test_print_sheet_shows_names_literally(takasaki, coverage, name):
    """matplotlib reads ``$…$`` as math unless told not to: a name is drawn as written."""
    import datetime as dt
    import io

    import pypdf

    from webmap.prints.sheet import SheetOptions, render_sheet

    study = _with_place_text(takasaki, {"name": name, "contact": name})
    place = study.places.loc[study.places.geometry.notna()].iloc[0]
    data = render_sheet(study, coverage, SheetOptions(fmt="pdf", today=dt.date(2026, 11, 28)),
                        district=place["district"])
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert name in text.replace("\n", "")


@pytest.mark.parametrize("payload", ["{{ 7*7 }}", "{{", "{% if %}</script>"])
def test_config_text_is_shown_literally(takasaki, coverage, payload):
    """The config file's title, attribution lines and district names are data too."""
    config = replace(takasaki.config, title=f"{payload} 居場所マップ",
                     attribution=(*takasaki.config.attribution, f"出典：{payload}"))
    districts = takasaki.districts.copy()
    first = districts["name"].iloc[0]
    districts.loc[districts.index[0], "name"] = f"{payload}地区"
    places = takasaki.places.copy()
    places.loc[places["district"] == first, "district"] = f"{payload}地区"
    study = replace(takasaki, config=config, districts=districts, places=places)
    page = build_map(study, coverage).get_root().render()
    text = unescape(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page))
    for shown in (f"{payload} 居場所マップ", f"出典：{payload}", f"{payload}地区"):
        assert shown in text
