"""Results kept for the very frames they were computed from, by whoever owns the frames.

A server analyses its study area again after every edit of the places, with the same
district, stop and population frames each time. A :class:`FrameMemo` keeps what depends on
such frames alone, so only the places' part is done again. Its owner passes it to the
functions that take ``memo`` (a study area owns one, :attr:`layers.study.StudyArea.memo`,
shared by its copies with other places); without one they compute each time. Nothing is
kept at module level.

An entry holds its frames, so it is found again only for those very objects (compared with
``is``), never for equal copies nor for other frames at a reused address; a frame changed in
place anyway (rows, bounds, columns, ``attrs`` or the sums of its numbers) is computed again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

__all__ = ["FrameMemo", "remembered"]

T = TypeVar("T")


class FrameMemo:
    """Values computed from frames, kept for those frames (of more than :attr:`size`, the
    least recently used go first)."""

    #: How many values are kept (a study area's analyses in each of four age bands, and
    #: the places' part of the last few edits).
    size = 32

    def __init__(self) -> None:
        self._entries: list[tuple[tuple[Any, ...], tuple, Any]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FrameMemo({len(self._entries)} kept)"

    def __getstate__(self) -> dict:
        return {}  # a copy (pickled for another process, or deep) starts empty

    def __setstate__(self, state: dict) -> None:
        self.__init__()  # type: ignore[misc]

    def get(self, frames: tuple[Any, ...], params: tuple[Any, ...],
            compute: Callable[[], T]) -> T:
        """``compute()``, once per ``frames`` (the same objects; None allowed) and ``params``."""
        key = (tuple(None if frame is None else _fingerprint(frame) for frame in frames),
               params)
        with self._lock:
            for index, (held, held_key, value) in enumerate(self._entries):
                if held_key == key and all(a is b for a, b in zip(held, frames, strict=True)):
                    # the latest used go last, so what every version uses (the buses, the
                    # walks to the stops) outlives the versions of the places
                    entries = self._entries
                    self._entries = [*entries[:index], *entries[index + 1:], entries[index]]
                    return value
        value = compute()
        with self._lock:
            self._entries = [*self._entries, (frames, key, value)][-self.size:]
        return value


def remembered(memo: FrameMemo | None, frames: tuple[Any, ...], params: tuple[Any, ...],
               compute: Callable[[], T]) -> T:
    """``compute()`` kept in ``memo`` for ``frames`` and ``params``; computed when None."""
    return compute() if memo is None else memo.get(frames, params, compute)


def _fingerprint(frame: pd.DataFrame) -> tuple:
    """What changes when a frame is edited in place (cheap: no geometry is compared)."""
    numbers = frame.select_dtypes("number")
    bounds = tuple(frame.total_bounds) if len(frame) and hasattr(frame, "total_bounds") else ()
    return (len(frame), tuple(frame.columns), bounds,
            repr(sorted(frame.attrs.items())), tuple(numbers.sum().round(6)))
