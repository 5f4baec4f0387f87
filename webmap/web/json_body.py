"""The one reader of JSON request bodies: every JSON endpoint reads its body through it.

:func:`read_json_object` turns any body into either a checked ``dict`` or an HTTP error that
the app's error handlers answer in the one JSON shape ``{"ok": false, "error": …,
"status": N}`` (:func:`webmap.web.base.json_error`; the planner's JSON routes in
:mod:`webmap.web.planner.views`):

- more than :data:`MAX_JSON_BYTES` → 413;
- not UTF-8, not JSON, ``NaN``/``Infinity``, a number too large for a float, an integer of
  more than :data:`MAX_INT_DIGITS` digits, nesting deeper than :data:`MAX_JSON_DEPTH` (however
  deep: a ``RecursionError`` of the parser is caught too), text with an unpaired surrogate
  (``"\\ud800"``, which cannot be written back as UTF-8) → 400;
- not an object, an unknown field, or a field of the wrong type → 400, naming the field,
  the type given and what to send.

The body is parsed as data only (:func:`json.loads`); nothing of it is ever evaluated.
"""

from __future__ import annotations

import json
import logging
import math
import reprlib
from collections.abc import Mapping
from typing import Any, NoReturn

from flask import request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

logger = logging.getLogger(__name__)
__all__ = ["MAX_INT_DIGITS", "MAX_JSON_BYTES", "MAX_JSON_DEPTH", "brief", "read_json_object"]

#: The largest JSON body read (a what-if or a saved scenario of 100 changes is under 10 KB).
MAX_JSON_BYTES = 64 * 1024

#: The deepest nesting of arrays and objects (the bodies we read need 3).
MAX_JSON_DEPTH = 16

#: Integers with more digits are refused (2**53, the largest exact float integer, has 16).
MAX_INT_DIGITS = 20

_JSON_TYPE_NAMES = {dict: "an object", list: "a list", str: "text", int: "a number",
                    float: "a number", bool: "true or false", type(None): "null"}

_brief = reprlib.Repr()
_brief.maxstring = 60
_brief.maxother = 60
_brief.maxlist = 4
_brief.maxdict = 4
_brief.maxlevel = 2


def brief(value: Any) -> str:
    """
    A short ``repr`` of a value from a request, for error messages (long text and lists cut).

    Examples
    --------
    >>> brief([[[[1]]]]), brief("x" * 100)[:12]
    ('[[[...]]]', "'xxxxxxxxxxx")
    """
    return _brief.repr(value)


def _type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


class _RefusedError(ValueError):
    """A value the parser met that the body may not hold (raised from the parse hooks)."""


def _refuse_constant(name: str) -> NoReturn:
    raise _RefusedError(f"{name} is not a number JSON allows; send a finite number")


def _checked_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        digits = len(text.lstrip("-"))
        raise _RefusedError(f"an integer of {digits} digits is too large (at most "
                            f"{MAX_INT_DIGITS})")
    return int(text)


def _checked_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _RefusedError(f"{brief(text)} is too large for a number")
    return value


def _bad(message: str, usage: str) -> NoReturn:
    raise BadRequest(description=f"{message} {usage}".strip())


def _check_values(body: Any, usage: str) -> None:
    """Depth and text of every value, walked without recursion (so no depth can crash it)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value, usage)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            _bad(f"The body is nested more than {MAX_JSON_DEPTH} levels deep.", usage)
        if isinstance(value, dict):
            for key in value:
                _check_text(key, usage)
            values = value.values()
        else:
            values = value
        stack.extend((item, depth + 1) for item in values)


def _check_text(text: str, usage: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        _bad(f"The body's text {brief(text)} holds an unpaired surrogate "
             f"({text[exc.start]!r}), which is not a character; send UTF-8 text.", usage)


def read_json_object(*, fields: Mapping[str, type | tuple[type, ...]], usage: str,
                     max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """
    The request's body as a JSON object with only ``fields``, each of its type; else 400/413.

    Parameters
    ----------
    fields
        The fields the endpoint reads and the Python type(s) each may have (``int`` allows
        ``float`` too, as JSON has one kind of number; ``true``/``false`` are never numbers).
        ``null`` is accepted for every field and means "not given".
    usage
        What to send, appended to every error message (e.g. ``Send a JSON object {...}``).
    max_bytes
        The largest body read; a longer one is refused with 413 without being parsed.

    Returns
    -------
    dict
        The parsed object: only known fields, of the right types, finite numbers, at most
        :data:`MAX_JSON_DEPTH` levels deep.

    Raises
    ------
    werkzeug.exceptions.BadRequest
        (400) For every body that is not such an object; the message says what is wrong.
    werkzeug.exceptions.RequestEntityTooLarge
        (413) For a body over ``max_bytes``.
    """
    length = request.content_length
    too_large = (f"The body is larger than {max_bytes:,} bytes; send fewer changes at once. "
                 f"{usage}").strip()
    if length is not None and length > max_bytes:
        raise RequestEntityTooLarge(description=too_large)
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RequestEntityTooLarge(description=too_large)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _bad(f"The body is not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}).", usage)
    if not text.strip():
        _bad("The body is empty.", usage)
    try:
        body = json.loads(text, parse_constant=_refuse_constant, parse_int=_checked_int,
                          parse_float=_checked_float)
    except _RefusedError as exc:
        _bad(f"The body cannot be read: {exc}.", usage)
    except json.JSONDecodeError as exc:
        _bad(f"The body is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
             usage)
    except RecursionError:
        _bad(f"The body is nested more than {MAX_JSON_DEPTH} levels deep.", usage)
    except ValueError as exc:  # e.g. Python's own limit on the digits of an integer
        _bad(f"The body cannot be read: {exc}.", usage)
    if not isinstance(body, dict):
        _bad(f"The body must be a JSON object, got {_type_name(body)}.", usage)
    _check_values(body, usage)
    unknown = sorted(set(body) - set(fields))
    if unknown:
        names = ", ".join(brief(name) for name in unknown)
        _bad(f"The body has unknown field(s) {names}; the fields are {', '.join(fields)}.",
             usage)
    for name, value in body.items():
        allowed = fields[name] if isinstance(fields[name], tuple) else (fields[name],)
        if int in allowed:
            allowed = (*allowed, float)
        if value is None:
            continue
        if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
            wanted = " or ".join(dict.fromkeys(_JSON_TYPE_NAMES.get(t, t.__name__)
                                               for t in allowed))
            _bad(f'"{name}" must be {wanted}, got {_type_name(value)} {brief(value)}.', usage)
    return body
