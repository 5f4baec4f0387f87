"""The interface texts' one catalogue (webmap/i18n.py) is complete and consistent.

- ``pybabel extract`` over ``webmap/`` (``webmap/babel.cfg``) finds exactly the msgids of
  ``messages.pot`` and of every language's ``.po`` (nothing missing, nothing stale);
- every ``_()`` in the code and the templates has a literal msgid that extraction sees (a call
  inside an f-string or with a variable would be invisible to it);
- every text of the resident page (``/near``) has its English, with the same placeholders;
- the catalogue loads without a request, and a value put into a placeholder stays data.
"""

from __future__ import annotations

import ast
import re
import string
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import nodes

from webmap.i18n import (
    LOCALES,
    SOURCE_LOCALE,
    TRANSLATIONS_DIR,
    catalogue_path,
    gettext,
    placeholders,
    translations,
)
from webmap.maps.style import CATEGORY_STYLES, RESOURCE_STYLES, day_type_labels

ROOT = Path(__file__).resolve().parents[2]
WEBMAP = ROOT / "webmap"
GETTEXT_NAMES = {"_", "gettext", "N_"}

#: The resident page: its modules and templates (their texts must all be in English).
RESIDENT_FILES = [*sorted((WEBMAP / "web" / "resident").glob("*.py")),
                  WEBMAP / "templates" / "near.html", WEBMAP / "templates" / "near_card.html"]


def _msgids(path: Path) -> set[str]:
    with path.open("rb") as po_file:
        return {message.id for message in read_po(po_file) if message.id}


def _translated(locale: str) -> dict[str, str]:
    with catalogue_path(locale).open("rb") as po_file:
        return {m.id: m.string for m in read_po(po_file) if m.id and m.string and not m.fuzzy}


def _fields(text: str) -> list[tuple[str, str, str]]:
    return sorted((name, spec or "", conversion or "")
                  for _literal, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None)


def _calls_in_python(path: Path) -> list[ast.Call]:
    """Every call of ``_``/``gettext``/``N_`` in a module, f-strings included (ast sees them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES]


def _calls_in_template(path: Path) -> list[nodes.Call]:
    tree = jinja2.Environment().parse(path.read_text(encoding="utf-8"))
    return [call for call in tree.find_all(nodes.Call)
            if isinstance(call.node, nodes.Name) and call.node.name in GETTEXT_NAMES]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """The msgids ``pybabel extract`` finds, run as the README says."""
    out = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
                    "-F", "webmap/babel.cfg", "--no-location", "-o", str(out), "webmap"],
                   cwd=ROOT, check=True, capture_output=True)
    return _msgids(out)


def test_extraction_finds_exactly_the_catalogue(extracted) -> None:
    assert len(extracted) > 400  # every page, map and sheet of the app
    template = _msgids(TRANSLATIONS_DIR / "messages.pot")
    assert not extracted - template, "run scripts/update_catalogue.sh: missing from the .pot"
    assert not template - extracted, "run scripts/update_catalogue.sh: stale in the .pot"
    for locale in LOCALES:
        if locale != SOURCE_LOCALE:
            assert _msgids(catalogue_path(locale)) == template, locale


def test_every_gettext_call_has_a_literal_msgid_extraction_sees(extracted) -> None:
    found = {}
    for path in sorted(WEBMAP.rglob("*.py")):
        if path == WEBMAP / "i18n.py":  # the mechanism itself, which passes msgids on
            continue
        for call in _calls_in_python(path):
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            assert len(call.args) == 1 and isinstance(call.args[0], ast.Constant) \
                and isinstance(call.args[0].value, str), f"{where}: msgid must be a literal"
            found[call.args[0].value] = where
    for path in sorted((WEBMAP / "templates").glob("*.html")):
        for call in _calls_in_template(path):
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            assert len(call.args) == 1 and isinstance(call.args[0], nodes.Const), where
            found[call.args[0].value] = where
    invisible = {msgid: where for msgid, where in found.items() if msgid not in extracted}
    assert not invisible, f"not extracted (a call inside an f-string?): {invisible}"
    assert "" not in found  # the empty msgid is the catalogue's header


def test_the_tests_compare_with_texts_the_app_has() -> None:
    catalogue = _msgids(TRANSLATIONS_DIR / "messages.pot")
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for call in _calls_in_python(path):
            if call.args and isinstance(call.args[0], ast.Constant):
                assert call.args[0].value in catalogue, f"{path.name}:{call.lineno}"


def test_every_text_of_the_resident_page_is_in_english() -> None:
    english = _translated("en")
    needed: dict[str, str] = {}
    for path in RESIDENT_FILES:
        method = "python" if path.suffix == ".py" else "jinja2"
        for lineno, msgid, _comments, _context in extract_from_file(
                method, str(path), keywords=DEFAULT_KEYWORDS):
            needed[msgid] = f"{path.name}:{lineno}"
    # shown there, written elsewhere: day types (bus departures), the place categories and
    # the community resources' (listed under the places)
    needed.update({label: "style.day_type_labels" for label in day_type_labels().values()})
    needed.update({category: "style.CATEGORY_STYLES" for category in CATEGORY_STYLES})
    needed.update({category: "style.RESOURCE_STYLES" for category in RESOURCE_STYLES})
    assert len(needed) > 90
    missing = {msgid: where for msgid, where in needed.items() if msgid not in english}
    assert not missing, f"translate these in {catalogue_path('en')}: {missing}"


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != SOURCE_LOCALE])
def test_translations_keep_the_placeholders_and_stay_words(locale) -> None:
    for msgid, text in _translated(locale).items():
        assert placeholders(text) == placeholders(msgid), (msgid, text)
        # a placeholder is a plain name: no attribute or item lookups on the values
        assert all(re.fullmatch(r"[a-z_]+", name) for name in placeholders(text)), text
        assert _fields(text) == _fields(msgid), (msgid, text)  # same formats: {x:g}, {x!r}
        assert "<" not in text and "<" not in msgid  # words, never HTML


def test_the_catalogue_loads_without_a_request() -> None:
    """Maps and sheets are built by ``ibasho build`` and ``export``, outside any request."""
    assert gettext("近くの居場所", locale="en") == "Gathering places near you"
    assert gettext("近くの居場所") == "近くの居場所"  # Japanese is the source: no catalogue
    assert not catalogue_path(SOURCE_LOCALE).exists()
    assert gettext("凡例", locale="en") == "凡例"  # not translated: the Japanese is shown
    assert translations("en") is translations("en")  # read once
    with pytest.raises(ValueError, match="not offered"):
        gettext("凡例", locale="fr")


@given(value=st.text(max_size=40))
def test_a_value_in_a_placeholder_stays_data(value) -> None:
    """User text (a town's name) is put into the words as it is: never a template or format."""
    for locale in LOCALES:
        words = gettext("{town}付近", locale=locale).format(town=value)
        before, after = gettext("{town}付近", locale=locale).split("{town}")
        assert words == before + value + after
