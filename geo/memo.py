"""Results remembered per frame: what depends on fixed layers alone is computed once.

A server analyses its study area again after every edit of the places, with the same
district, stop and population frames each time. :func:`remembered` keeps a value computed
from such frames while they live, so only the places' part is done again.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)
__all__ = ["remembered"]

#: What :func:`remembered` keeps: the frames it was computed from (weakly), and the value.
_REMEMBERED: dict[tuple, tuple[tuple[weakref.ref, ...], Any]] = {}


def remembered(frames: tuple[Any, ...], params: tuple[Any, ...],
               compute: Callable[[], Any]) -> Any:
    """
    ``compute()``, once per identity of ``frames`` (None allowed) and ``params``.

    The value is kept while every frame lives (a frame that dies takes its entries with it),
    and only for the very same objects, never for equal copies. A frame changed in place
    anyway (rows, bounds, columns, ``attrs`` or the sums of its numbers) is computed again.
    """
    live = tuple(frame for frame in frames if frame is not None)
    key = (tuple(None if frame is None else (id(frame), _fingerprint(frame))
                 for frame in frames), params)
    hit = _REMEMBERED.get(key)
    if hit is not None and all(ref() is frame for ref, frame in zip(hit[0], live, strict=True)):
        return hit[1]
    value = compute()
    _REMEMBERED[key] = (tuple(weakref.ref(frame) for frame in live), value)
    for frame in live:
        weakref.finalize(frame, _REMEMBERED.pop, key, None)
    return value


def _fingerprint(frame: pd.DataFrame) -> tuple:
    """What changes when a frame is edited in place (cheap: no geometry is compared)."""
    numbers = frame.select_dtypes("number")
    bounds = tuple(frame.total_bounds) if len(frame) and hasattr(frame, "total_bounds") else ()
    return (len(frame), tuple(frame.columns), bounds,
            repr(sorted(frame.attrs.items())), tuple(numbers.sum().round(6)))
