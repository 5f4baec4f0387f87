"""Keep the served maps in step with the database, in every process that serves it.

Any number of processes may serve one database (waitress threads, gunicorn workers, several
machines on one PostGIS). Each keeps the maps it serves in memory (:attr:`LiveSite.state`, the
:class:`~webmap.web.state.IbashoState` of the app's :class:`~webmap.web.state.AppState`), so
each must learn of every change, whoever made it:

- every committed change of places or routes adds one to the data version, a single row
  (:meth:`layers.store.site.SiteDatabase.data_version`, migration 5), in the change's own
  transaction (:meth:`layers.store.database.Database.mark_changed`);
- a process keeps the version its maps were drawn at (:attr:`LiveSite.version`) and reads the
  row again at most once every :data:`CHECK_INTERVAL_S` on the request path
  (:meth:`LiveSite.check_for_changes`, a ``before_request`` hook: a clock comparison, and when
  due one SELECT of one row by its primary key; the places are never read there). Between
  requests a watcher thread looks sooner: PostGIS tells it of each commit (``LISTEN``), and a
  GeoPackage's size and time (a ``stat``, no query) show that something was committed;
- when the version moved, one background thread draws the maps again from the database and
  swaps them in with one assignment. Requests meanwhile are served the old maps, whole, never
  half of each; nobody waits. A change shows in every process as soon as that one drawing is
  done (see README for the figures).

Edits made through this process are drawn *before* they commit: a commit check
(:meth:`layers.store.database.Database.add_commit_check`) draws the maps from the editing
transaction, which sees its own uncommitted change. If that fails for any reason the change is
rolled back and the editor gets a :class:`MapRefreshError`, a
:class:`~layers.errors.LayerError`, so the staff pages list it like any other problem of the
form; the maps served stay the last good ones. Edits are drawn one at a time (the transaction
holds the write lock; on PostGIS the version row), so each drawing includes every change
committed before it.

Rows that cannot be drawn (stored by an older ibasho, a script or by hand) never stop the
server: when the maps cannot be drawn from everything stored, the rows that break them are found
by bisection, left out of the maps with a warning in the log naming each, and listed on the
staff pages (:attr:`LiveSite.left_out`) until staff fix or retire them; other edits keep working.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from layers.errors import LayerError, Problem
from layers.store.database import DATA_VERSION_CHANNEL, PostGISDatabase, Transaction
from layers.store.site import MapLayers, MapRow, SiteDatabase
from layers.study import StudyArea

logger = logging.getLogger(__name__)
__all__ = [
    "CHECK_INTERVAL_S",
    "MAX_LEFT_OUT",
    "LeftOut",
    "LiveSite",
    "MapRefreshError",
]

#: What is drawn from the database and served (:class:`webmap.web.state.IbashoState`).
S = TypeVar("S")

#: Seconds between two reads of the data version on the request path (at most one a second).
CHECK_INTERVAL_S = 1.0

#: Seconds between two looks at a GeoPackage file's size and time (a ``stat``, no query).
WATCH_INTERVAL_S = 0.1

#: Seconds before drawing a data version again after drawing it failed.
RETRY_AFTER_S = 30.0

#: Seconds of silence after which a PostGIS listener reads the version on its connection
#: (a notice missed, or a connection dead without an error).
LISTEN_CHECK_S = 10.0

#: Rows left out before giving up: more than this many undrawable rows is not a data problem
#: but a fault of this ibasho (the search costs one drawing per halving).
MAX_LEFT_OUT = 10


class MapRefreshError(LayerError):
    """A change was rolled back: the maps cannot be drawn with it (nothing was stored)."""


@dataclass(frozen=True)
class LeftOut:
    """A stored row left out of the maps because they cannot be drawn with it."""

    row: MapRow
    reason: str

    @property
    def label(self) -> str:
        """``place p0012`` or ``route r0003``."""
        return f"{'place' if self.row.layer == 'places' else 'route'} {self.row.feature_id}"


@dataclass(frozen=True)
class _Drawn(Generic[S]):
    """Maps drawn from the database at one data version, ready to be served."""

    state: S
    version: int
    keys: frozenset[tuple[str, str, int]]
    left_out: tuple[LeftOut, ...]


def _reason(exc: BaseException) -> str:
    """An exception in one short line (for logs and the staff pages)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


class LiveSite(Generic[S]):
    """
    The database of a running app, and the maps drawn from it kept current in this process.

    Parameters
    ----------
    base_study
        The study area as loaded from the config's files (all but places and routes).
    database
        The site's database (its commit check is registered here).
    make_state
        Analyses a study area and renders its maps
        (:meth:`webmap.web.state.IbashoState.from_study`).
    watch
        Whether :meth:`check_for_changes` also (re)starts the watcher thread (:meth:`watch`).
    """

    def __init__(self, *, base_study: StudyArea, database: SiteDatabase,
                 make_state: Callable[[StudyArea], S], watch: bool = False) -> None:
        self.base_study = base_study
        self.database = database
        self._make_state = make_state
        self._watch = watch
        self._state: S | None = None
        #: The data version the served maps were drawn at (-1 before :meth:`start`).
        self.version = -1
        #: Stored rows that the served maps leave out, and why.
        self.left_out: tuple[LeftOut, ...] = ()
        #: How many times new maps were swapped in.
        self.refreshes = 0
        self._keys: frozenset[tuple[str, str, int]] = frozenset()
        self._install_lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._next_check = 0.0
        self._refreshing = False
        self._refresh_lock = threading.Lock()
        self._failed: tuple[int, float] | None = None  # (version, retry after)
        self._watcher: threading.Thread | None = None
        self._watcher_pid = 0
        self._listening = False
        self._stop = threading.Event()
        database.places.database.add_commit_check(self._check_before_commit)
        method = weakref.WeakMethod(self._after_fork)
        os.register_at_fork(after_in_child=lambda: (after := method()) and after())

    def _after_fork(self) -> None:
        """In a forked worker (gunicorn ``--preload``): no thread of the parent, fresh locks."""
        self._install_lock, self._check_lock = threading.Lock(), threading.Lock()
        self._refresh_lock, self._refreshing = threading.Lock(), False
        self._watcher, self._listening, self._next_check = None, False, 0.0

    @property
    def state(self) -> S:
        """The maps served now: replaced, in one assignment, by the next ones drawn."""
        state = self._state
        if state is None:
            raise RuntimeError("No maps are served yet: call LiveSite.start() first.")
        return state

    def start(self) -> None:
        """Draw the maps from the database and serve them (rows that break them left out)."""
        self._install(self._draw_all())

    # -- drawing -------------------------------------------------------------------------

    def _draw(self, layers: MapLayers) -> S:
        return self._make_state(self.database.study(self.base_study, layers))

    def _draw_all(self) -> _Drawn[S]:
        """The maps of everything stored, leaving out the rows they cannot be drawn with."""
        layers = self.database.map_layers()
        rows = layers.rows()
        known = {lo.row.key: lo for lo in self.left_out}
        drawable = [row for row in rows if row.key not in known]
        left_out = [known[row.key] for row in rows if row.key in known]
        while True:
            try:
                state = self._draw(layers.only(drawable))
                break
            except Exception as exc:
                if not drawable or len(left_out) >= MAX_LEFT_OUT:
                    raise
                culprit = self._culprit(layers, drawable)
                alone = self._draw_error(layers.only([culprit]))
                left_out.append(LeftOut(culprit, alone or _reason(exc)))
                drawable.remove(culprit)
                logger.warning("Left %s %s (%r, version %d) out of the maps: they cannot be "
                               "drawn with it (%s). Fix or retire it at /admin.",
                               culprit.layer, culprit.feature_id, culprit.name,
                               culprit.version, left_out[-1].reason)
        return _Drawn(state=state, version=layers.data_version,
                      keys=frozenset(row.key for row in drawable), left_out=tuple(left_out))

    def _draw_error(self, layers: MapLayers) -> str | None:
        """Why the maps cannot be drawn from ``layers`` (None when they can)."""
        try:
            self._draw(layers)
        except Exception as exc:
            return _reason(exc)
        return None

    def _culprit(self, layers: MapLayers, rows: list[MapRow]) -> MapRow:
        """One row that the maps cannot be drawn with, by halving ``rows`` (which fail)."""
        while len(rows) > 1:
            half = rows[:len(rows) // 2]
            rows = half if self._draw_error(layers.only(half)) else rows[len(rows) // 2:]
        return rows[0]

    def _install(self, drawn: _Drawn[S]) -> bool:
        """Serve ``drawn`` unless newer maps are served already; True when swapped in."""
        with self._install_lock:
            if drawn.version <= self.version:
                return False
            self.version, self._keys, self.left_out = drawn.version, drawn.keys, drawn.left_out
            self.refreshes += 1
            self._state = drawn.state  # what requests see: one assignment
        logger.info("Serving the maps of data version %d (%d rows left out)", drawn.version,
                    len(drawn.left_out))
        return True

    # -- edits made through this process -------------------------------------------------

    def _check_before_commit(self, tx: Transaction) -> None:
        """Draw the maps with the uncommitted change of ``tx``; raise to roll it back."""
        started = time.perf_counter()
        layers = self.database.map_layers()  # in ``tx``: sees the change
        rows = layers.rows()
        known = {lo.row.key: lo for lo in self.left_out}
        drawable = [row for row in rows if row.key not in known]
        try:
            state = self._draw(layers.only(drawable))
        except Exception as exc:
            changed = [row for row in drawable if row.key not in self._keys]
            logger.warning("Rolled back a change of %s: the maps cannot be drawn with it (%s)",
                           ", ".join(f"{r.layer} {r.feature_id}" for r in changed[:5])
                           or "a retirement", _reason(exc))
            raise MapRefreshError(_refused(changed, _reason(exc))) from exc
        drawn = _Drawn(state=state, version=layers.data_version,
                       keys=frozenset(row.key for row in drawable),
                       left_out=tuple(known[row.key] for row in rows if row.key in known))
        tx.after_commit(lambda: self._install(drawn))
        logger.info("Drew the maps of data version %d before its commit in %.2f s",
                    drawn.version, time.perf_counter() - started)

    def changed(self) -> None:
        """
        Make sure the served maps include every committed change (after an edit).

        An edit made here was drawn before it committed, so this normally costs one read
        of the version row; a change the commit check did not see is drawn now.
        """
        try:
            if self.database.data_version() > self.version:
                self._install(self._draw_all())
        except Exception:
            logger.exception("Could not draw the maps after a change; still serving data "
                             "version %d", self.version)

    # -- changes made by other processes -------------------------------------------------

    def check_for_changes(self) -> None:
        """
        Start drawing new maps when the data version moved (at most one read a second).

        Meant for ``before_request``: between checks it costs a clock comparison. A
        PostGIS listener that is connected makes the read unnecessary.
        """
        now = time.monotonic()
        if now < self._next_check or not self._check_lock.acquire(blocking=False):
            return
        try:
            self._next_check = now + CHECK_INTERVAL_S
            if self._watch:
                self.watch()
            if not self._listening:
                self._check_version()
        finally:
            self._check_lock.release()

    def _check_version(self, version: int | None = None) -> None:
        """Start a background refresh when ``version`` (default: read it) is newer."""
        if version is None:
            try:
                version = self.database.data_version()
            except Exception as exc:
                logger.warning("Could not read the data version (%s); serving version %d",
                               _reason(exc), self.version)
                return
        if version <= self.version:
            return
        if self._failed and self._failed[0] == version and time.monotonic() < self._failed[1]:
            return
        with self._refresh_lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self._refresh, name="ibasho-refresh", daemon=True).start()

    def _refresh(self) -> None:
        """Draw and serve the newest maps, again while the version moved meanwhile."""
        version = self.version
        try:
            while True:
                started = time.perf_counter()
                drawn = self._draw_all()
                version = drawn.version
                if self._install(drawn):
                    logger.info("Drew the maps of data version %d (changed elsewhere) in "
                                "%.2f s", version, time.perf_counter() - started)
                if self.database.data_version() <= self.version:
                    return
        except Exception:
            logger.exception("Could not draw the maps after data version %d; serving "
                             "version %d until the next change", version, self.version)
            try:
                failed = self.database.data_version()
            except Exception:
                failed = version
            self._failed = (failed, time.monotonic() + RETRY_AFTER_S)
        finally:
            with self._refresh_lock:
                self._refreshing = False

    def watch(self) -> None:
        """Start the watcher thread of this process, if not running (also after a fork)."""
        if self._watcher is not None and self._watcher.is_alive() and \
                self._watcher_pid == os.getpid():
            return
        self._watcher_pid = os.getpid()
        self._listening = False
        self._stop.clear()
        target = self._listen if isinstance(self.database.places.database,
                                            PostGISDatabase) else self._watch_file
        self._watcher = threading.Thread(target=target, name="ibasho-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """Stop the watcher thread (the maps are then checked on requests only)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _watch_file(self) -> None:
        """Read the version when the GeoPackage file changed, and once more a second later."""
        last = self.database.file_signature()
        again_at: float | None = None
        while not self._stop.wait(WATCH_INTERVAL_S):
            try:
                signature = self.database.file_signature()
                now = time.monotonic()
                if signature != last:
                    last, again_at = signature, now + CHECK_INTERVAL_S
                    self._check_version()
                elif again_at is not None and now >= again_at:
                    again_at = None  # a commit in the same clock tick leaves the time alike
                    self._check_version()
            except Exception:
                logger.exception("The database watcher failed; checking on requests only")
                return

    def _listen(self) -> None:
        """LISTEN for new data versions; reconnect (and read the version) after a failure."""
        database = self.database.places.database
        assert isinstance(database, PostGISDatabase)
        pause_s = 1.0
        while not self._stop.is_set():
            try:
                with database.connect(autocommit=True) as connection:
                    connection.execute(f"LISTEN {DATA_VERSION_CHANNEL}")
                    self._listening = True
                    pause_s = 1.0
                    self._check_version()  # what was committed before LISTEN
                    quiet_since = time.monotonic()
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=1.0):
                            quiet_since = time.monotonic()
                            self._check_version(int(notice.payload))
                        if time.monotonic() - quiet_since > LISTEN_CHECK_S:
                            quiet_since = time.monotonic()
                            row = connection.execute("SELECT version FROM data_version "
                                                     "WHERE id = 1").fetchone()
                            self._check_version(int(row[0]))
            except Exception as exc:
                self._listening = False
                logger.warning("Not listening to %s (%s); checking on requests, again in "
                               "%.0f s", database.display_name, _reason(exc), pause_s)
                self._stop.wait(pause_s)
                pause_s = min(pause_s * 2, 30.0)
        self._listening = False


def _refused(changed: list[MapRow], reason: str) -> list[Problem]:
    """The problems a rolled-back change shows the editor (Japanese first), one per row."""
    fix = ("入力を見直して、もう一度保存してください。続くときは管理者に連絡してください。"
           "Check what you entered and save again; if it persists, tell the administrator.")
    labels = [f"{'place' if r.layer == 'places' else 'route'} {r.feature_id}「{r.name}」"
              for r in changed[:5]] or ["change"]
    return [Problem(label, f"{label}: 地図に描けないため、変更を保存しませんでした"
                           f"（{reason}）。The maps cannot be drawn with this change, so "
                           "nothing was stored.", fix=fix) for label in labels]
