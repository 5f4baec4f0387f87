"""
Which language a request is answered in: Flask-Babel selects it, the catalogue translates.

The resident page ``/near`` and its API speak every language of :data:`webmap.i18n.LOCALES`
(``?lang=en``); every other page (maps, planner, print, staff) is Japanese. Flask-Babel only
selects the language here: the words come from :mod:`webmap.i18n`, which maps and sheets
built outside a request use directly, and templates get its ``_`` (plain strings, escaped by
autoescape), not Flask-Babel's Jinja extension (whose strings are markup).
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale

from webmap.i18n import LOCALES, SOURCE_LOCALE, install_gettext

__all__ = ["MULTILINGUAL_BLUEPRINTS", "init_language", "request_locale", "select_locale"]

#: The blueprints whose pages and answers follow ``?lang=`` (the resident page).
MULTILINGUAL_BLUEPRINTS = frozenset({"near"})


def select_locale() -> str:
    """
    Flask-Babel's locale selector: ``?lang=`` on the blueprints of
    :data:`MULTILINGUAL_BLUEPRINTS` when it is one of :data:`webmap.i18n.LOCALES`, else
    Japanese.
    """
    if has_request_context() and request.blueprint in MULTILINGUAL_BLUEPRINTS:
        lang = request.args.get("lang")
        if lang in LOCALES:
            return lang
    return SOURCE_LOCALE


def request_locale() -> str:
    """The language of this request, as :func:`select_locale` chose it; Japanese outside one."""
    if not has_request_context():
        return SOURCE_LOCALE
    return str(get_locale() or SOURCE_LOCALE)


def init_language(app: Flask) -> None:
    """Let Flask-Babel select each request's language and give templates ``_`` in it."""
    Babel(app, locale_selector=select_locale, default_locale=SOURCE_LOCALE,
          configure_jinja=False)
    install_gettext(app.jinja_env, locale=request_locale)
