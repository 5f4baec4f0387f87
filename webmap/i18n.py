"""
The interface texts of the whole app: one gettext catalogue, Japanese first.

Every word a page, a map, a printed sheet or a script shows goes through :func:`gettext`
(imported as ``_``) or, in templates, the ``_`` that :func:`install_gettext` gives them.

**The Japanese text is the msgid.** Japanese is the source language and the default, as
gettext, Babel and Flask-Babel expect of a source language:

- code and templates read as the page reads (``_("近くの居場所")``), so a newcomer finds a
  word by searching for what is on the screen, and ``pybabel extract`` lists every text;
- Japanese needs no catalogue of its own, so a page can never show a key instead of words;
  any text not (yet) translated falls back to the Japanese;
- the same Japanese word always has one English translation on the resident page (a test
  checks none needs two); where one ever must, ``pgettext`` gives the msgid a context.

Stable keys (``"near.title"``) were the other choice; they would need a Japanese catalogue
too, would show the key when an entry is missing, and would hide the words from the code.

**Placeholders** are ``{name}``: fill them with ``str.format`` on the translated string, with
values that are data (names, numbers). The result is plain text: templates escape it
(autoescape), scripts set it as ``textContent``, folium pages escape it, matplotlib draws it
with ``parse_math=False``. A translated string is never template source and never HTML. A
test checks that each translation has the placeholders of its msgid, and nothing else.

**The catalogue files** (under ``webmap/translations/``): ``messages.pot``, every msgid as
``pybabel extract -F webmap/babel.cfg`` finds them, and one ``<lang>/LC_MESSAGES/messages.po``
per language besides Japanese (today English, for the resident page ``/near``). The ``.po``
files are the only form kept: :func:`translations` reads one with Babel the first time its
language is needed and compiles it in memory, so there is no ``.mo`` file to build, to
commit or to find stale; a fresh clone works as it is. Maps and sheets built outside a
request (``ibasho build``, ``ibasho export``) use this module directly; inside a request,
Flask-Babel only selects the language (:mod:`webmap.web.language`).
"""

from __future__ import annotations

import functools
import io
import logging
import string
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment

logger = logging.getLogger(__name__)
__all__ = [
    "DOMAIN",
    "LOCALES",
    "N_",
    "SOURCE_LOCALE",
    "TRANSLATIONS_DIR",
    "catalogue_path",
    "gettext",
    "gettext_for",
    "install_gettext",
    "placeholders",
    "translations",
]

#: The language of the msgids, and the default of every page.
SOURCE_LOCALE = "ja"

#: Languages offered, the default first.
LOCALES: tuple[str, ...] = (SOURCE_LOCALE, "en")

#: The gettext domain (one catalogue for the whole app).
DOMAIN = "messages"

#: Where the catalogue lives: ``messages.pot`` and ``<lang>/LC_MESSAGES/messages.po``.
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def catalogue_path(locale: str) -> Path:
    """
    The ``.po`` file of ``locale`` (any of :data:`LOCALES` but the source language).

    Examples
    --------
    >>> catalogue_path("en").relative_to(TRANSLATIONS_DIR).as_posix()
    'en/LC_MESSAGES/messages.po'
    """
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        msg = f"language {locale!r} is not offered; use one of: {', '.join(LOCALES)}."
        raise ValueError(msg)


@functools.cache
def translations(locale: str = SOURCE_LOCALE) -> NullTranslations:
    """
    The translations of ``locale``, read from its ``.po`` file once and compiled in memory.

    Japanese, the source language, has none: its texts are the msgids.

    Raises
    ------
    ValueError
        If ``locale`` is not one of :data:`LOCALES`.

    Examples
    --------
    >>> translations("en").gettext("近くの居場所")
    'Gathering places near you'
    >>> translations("ja").gettext("近くの居場所")
    '近くの居場所'
    """
    _check_locale(locale)
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    path = catalogue_path(locale)
    with path.open("rb") as po_file:
        catalogue = read_po(po_file, locale=locale, domain=DOMAIN, abort_invalid=True)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)  # fuzzy and empty entries fall back
    compiled.seek(0)
    loaded = Translations(compiled, domain=DOMAIN)
    logger.info("Read %d translated texts for %r from %s",
                sum(1 for m in catalogue if m.id and m.string and not m.fuzzy), locale, path)
    return loaded


def gettext(message: str, *, locale: str = SOURCE_LOCALE) -> str:
    """
    ``message`` (a Japanese msgid) in ``locale``; the Japanese when it has no translation.

    Examples
    --------
    >>> gettext("徒歩 約{minutes}分", locale="en").format(minutes=4)
    'About 4 min on foot'
    >>> gettext("徒歩 約{minutes}分").format(minutes=4)
    '徒歩 約4分'
    """
    return translations(locale).gettext(message)


def gettext_for(locale: str) -> Callable[[str], str]:
    """
    :func:`gettext` bound to ``locale``, to be named ``_`` where a function speaks ``locale``
    (a ``ValueError`` as :func:`translations` for another locale).

    Examples
    --------
    >>> _ = gettext_for("en")
    >>> _("いまどこ？")
    'Where am I?'
    """
    return translations(locale).gettext


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """
    Mark ``message`` as a msgid without translating it (it is translated where it is shown).

    Examples
    --------
    >>> N_("総人口")
    '総人口'
    """
    return message


def install_gettext(environment: Environment, *,
                    locale: Callable[[], str] | None = None) -> None:
    """
    Give the templates of ``environment`` ``_`` and ``gettext``, in ``locale()`` (default:
    Japanese). They return plain strings, so autoescape escapes them as any other value,
    and ``{name}`` placeholders are filled with ``str.format`` in the template.
    """
    def template_gettext(message: str) -> str:
        return gettext(message, locale=locale() if locale is not None else SOURCE_LOCALE)

    environment.globals.update(_=template_gettext, gettext=template_gettext)


def placeholders(text: str) -> set[str]:
    """
    The ``{name}`` placeholders of ``text`` (format specs and conversions left out).

    Examples
    --------
    >>> sorted(placeholders("{value!r} の値 {count:,}件（{{括弧}}）"))
    ['count', 'value']
    """
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
