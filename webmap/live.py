"""Keep the served maps in step with the database: recompute once after every change.

After staff add, edit, retire or import, the view that made the change calls
:func:`data_changed`. The study area is read back from the database, the coverage and the plan
are recomputed and the city map is rendered again, once, under a lock, and then the new
:class:`~webmap.app.IbashoState` replaces the old one in ``app.extensions["ibasho"]`` in one
assignment, so a request sees either the old maps or the new ones, never half of each.
Changes that arrive while a refresh runs are folded into the next one (a burst of edits costs
one or two refreshes, not one each).

Other parts of the app that keep something derived from the state register a callback with
:meth:`LiveSite.on_refresh` (``app.extensions["ibasho_live"]``); it is called with the app and
the new state after each refresh (the 近くの居場所 index is rebuilt this way).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app

from layers.site_database import SiteDatabase
from layers.study import StudyArea

logger = logging.getLogger(__name__)
__all__ = ["LIVE_KEY", "LiveSite", "data_changed"]

#: Key of the :class:`LiveSite` in ``app.extensions``.
LIVE_KEY = "ibasho_live"

RefreshCallback = Callable[[Flask, object], None]


class LiveSite:
    """The database of a running app and the refresh of its state after changes."""

    def __init__(self, app: Flask, *, base_study: StudyArea, database: SiteDatabase,
                 make_state: Callable[[StudyArea], object]) -> None:
        self.app = app
        self.base_study = base_study
        self.database = database
        self._make_state = make_state
        self._callbacks: list[RefreshCallback] = []
        self._refresh_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._changes = 0
        self._refreshed = 0
        self.refreshes = 0

    def on_refresh(self, callback: RefreshCallback) -> None:
        """Call ``callback(app, state)`` after every refresh."""
        self._callbacks.append(callback)

    def changed(self) -> None:
        """
        Note a committed change and bring the served state up to date before returning.

        Called after the change is committed, so the refresh that covers it reads it.
        """
        with self._count_lock:
            self._changes += 1
            ticket = self._changes
        with self._refresh_lock:
            if self._refreshed >= ticket:
                return  # a refresh that started after this change already covered it
            with self._count_lock:
                target = self._changes
            self._refresh()
            self._refreshed = target

    def _refresh(self) -> None:
        started = time.perf_counter()
        study = self.database.study(self.base_study)
        state = self._make_state(study)
        self.app.extensions["ibasho"] = state
        for callback in self._callbacks:
            callback(self.app, state)
        self.refreshes += 1
        logger.info("Recomputed coverage and maps after a change (%d places) in %.2f s",
                    len(study.places), time.perf_counter() - started)


def data_changed() -> None:
    """Refresh the current app's maps after a change (see :meth:`LiveSite.changed`)."""
    live: LiveSite | None = current_app.extensions.get(LIVE_KEY)
    if live is not None:
        live.changed()
