"""Saved what-if scenarios (計画案) of the planner page: named sets of planned and closed places.

A scenario is what a council tried on the planner page: new places at points on the map
(``add``, each with a label such as the candidate's name) and existing places taken away
(``remove``, by ``place_id``), with the district and walking threshold it was looked at for.
Only the changes are stored, never the coverage they give: that is computed again from the
current data whenever a scenario is shown (:func:`layers.analysis.what_if_many`), so a saved
scenario never shows stale numbers.

Scenarios live in the ``scenarios`` table of the places database (migration 2), through the
same :class:`~layers.store.database.Database` adapter as the places, so they work on a GeoPackage
and on PostGIS alike. Every write is one transaction, checked before anything is stored.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from layers.fields.schema import MAX_CHARS, MAX_ITEMS
from layers.store.database import open_database
from layers.store.features import next_ids, utc_now
from layers.store.migrations import MigratedStore

logger = logging.getLogger(__name__)
__all__ = [
    "MAX_NAME_CHARS",
    "MAX_SCENARIO_CHANGES",
    "PAYLOAD_VERSION",
    "DuplicateScenarioError",
    "ScenarioError",
    "ScenarioNotFoundError",
    "ScenarioStore",
    "check_changes",
    "check_name",
    "open_scenarios",
]

#: The longest scenario name (characters; :data:`layers.fields.schema.MAX_CHARS`).
MAX_NAME_CHARS = MAX_CHARS["scenarios"]["name"]
#: The most changes (places added plus places removed) one scenario may hold.
MAX_SCENARIO_CHANGES = MAX_ITEMS["scenario_changes"]
#: The longest label of a planned place (characters).
MAX_LABEL_CHARS = MAX_CHARS["scenarios"]["label"]
#: The version of the stored ``payload_json`` layout.
PAYLOAD_VERSION = 1

_PLACE_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class ScenarioError(ValueError):
    """A scenario cannot be saved as given; the message lists every problem and a fix."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("The scenario cannot be saved: " + " ".join(problems))


class DuplicateScenarioError(ScenarioError):
    """A scenario of this name is already saved."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__([f"a scenario named {name!r} is already saved; choose another name "
                          "or delete the saved one first."])


class ScenarioNotFoundError(LookupError):
    """No saved scenario has this id."""

    def __init__(self, scenario_id: str) -> None:
        self.scenario_id = scenario_id
        super().__init__(f"There is no saved scenario {scenario_id!r}; it may have been "
                         "deleted. See the list of saved scenarios for the ids.")


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


def check_name(name: Any) -> str:
    """
    A scenario name, stripped: 1 to :data:`MAX_NAME_CHARS` characters, no control characters.

    Examples
    --------
    >>> check_name("  案A：駅前に1か所 ")
    '案A：駅前に1か所'

    Raises
    ------
    ScenarioError
        Empty, too long, not text, or with control characters (newlines, tabs …).
    """
    if not isinstance(name, str):
        raise ScenarioError([f"the name must be text, got {type(name).__name__}."])
    name = name.strip()
    if not name:
        raise ScenarioError(["the name is empty; give the scenario a name, e.g. 案A."])
    if len(name) > MAX_NAME_CHARS:
        raise ScenarioError([f"the name has {len(name):,} characters; shorten it to at most "
                             f"{MAX_NAME_CHARS}."])
    if _has_control_characters(name):
        raise ScenarioError(["the name contains control characters (line breaks, tabs); "
                             "write it on one line."])
    return name


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _check_add(index: int, item: Any, problems: list[str]) -> dict[str, Any] | None:
    where = f"add[{index}]"
    if not isinstance(item, Mapping):
        problems.append(f'{where} must be an object {{"lonlat": [lon, lat], "label": "..."}}, '
                        f"got {item!r}.")
        return None
    lonlat = item.get("lonlat")
    lon, lat = ((_number(lonlat[0]), _number(lonlat[1])) if isinstance(lonlat, list | tuple)
                and len(lonlat) == 2 else (None, None))
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(f"{where}.lonlat must be [lon, lat] in degrees, got {lonlat!r}.")
        return None
    label = item.get("label", "")
    if not isinstance(label, str) or _has_control_characters(label):
        problems.append(f"{where}.label must be text of at most {MAX_LABEL_CHARS} characters "
                        "on one line.")
        return None
    if len(label) > MAX_LABEL_CHARS:
        problems.append(f"{where}.label has {len(label):,} characters; shorten it to at most "
                        f"{MAX_LABEL_CHARS}.")
        return None
    return {"lonlat": [lon, lat], "label": label.strip()}


def check_changes(changes: Any) -> dict[str, Any]:
    """
    The changes of a scenario, checked and normalised into the stored layout.

    Parameters
    ----------
    changes
        ``{"add": [{"lonlat": [lon, lat], "label": "..."}, ...], "remove": ["p0012", ...],
        "threshold": 500}``; ``add`` and ``remove`` may be empty (not both), ``threshold``
        (the walking threshold looked at, metres or minutes) may be left out.

    Returns
    -------
    dict
        ``{"version", "add", "remove", "threshold"}`` (removals each once, in order);
        checking it again gives it back unchanged.

    Raises
    ------
    ScenarioError
        Listing every problem found.

    Examples
    --------
    >>> check_changes({"add": [{"lonlat": [139.0, 36.3]}], "remove": ["p0012", "p0012"]})
    {'version': 1, 'add': [{'lonlat': [139.0, 36.3], 'label': ''}], 'remove': ['p0012'], \
'threshold': None}
    """
    if not isinstance(changes, Mapping):
        raise ScenarioError([f"the changes must be an object with add and remove, got "
                             f"{type(changes).__name__}."])
    problems: list[str] = []
    unknown = sorted(set(changes) - {"add", "remove", "threshold", "version"})
    if unknown:
        problems.append(f"unknown field(s): {', '.join(map(repr, unknown))}; use add, remove "
                        "and threshold.")
    if changes.get("version", PAYLOAD_VERSION) != PAYLOAD_VERSION:
        problems.append(f"version {changes['version']!r} is not {PAYLOAD_VERSION}, the only "
                        "layout this ibasho reads.")
    add, remove = changes.get("add") or [], changes.get("remove") or []
    if not isinstance(add, list):
        problems.append(f"add must be a list, got {add!r}.")
        add = []
    if not isinstance(remove, list):
        problems.append(f"remove must be a list of place ids, got {remove!r}.")
        remove = []
    added = [_check_add(i, item, problems) for i, item in enumerate(add)]
    bad_ids = [place_id for place_id in remove
               if not isinstance(place_id, str) or not _PLACE_ID.fullmatch(place_id)]
    if bad_ids:
        problems.append(f"remove must list place ids such as 'p0012'; not ids: {bad_ids!r}.")
    removed = list(dict.fromkeys(p for p in remove if p not in bad_ids))
    if not add and not remove:
        problems.append("there is nothing to save: add or remove at least one place first.")
    if len(add) + len(removed) > MAX_SCENARIO_CHANGES:
        problems.append(f"{len(add) + len(removed)} changes are more than the "
                        f"{MAX_SCENARIO_CHANGES} a scenario may hold.")
    threshold = changes.get("threshold")
    if threshold is not None and (_number(threshold) is None or threshold <= 0):
        problems.append(f"threshold must be a number > 0 (metres or minutes), got "
                        f"{threshold!r}.")
    if problems:
        raise ScenarioError(problems)
    return {"version": PAYLOAD_VERSION, "add": [a for a in added if a is not None],
            "remove": removed, "threshold": None if threshold is None else float(threshold)}


def open_scenarios(url_or_path: str | Path) -> ScenarioStore:
    """
    The saved scenarios of a places database (a GeoPackage path or a PostGIS URL).

    The database must be migrated (:meth:`ScenarioStore.migrate` or
    :meth:`layers.store.places.PlaceStore.migrate`).
    """
    return ScenarioStore(open_database(url_or_path))


class ScenarioStore(MigratedStore):
    """
    Named what-if scenarios in the places database; every method is one transaction.

    Examples
    --------
    >>> import tempfile
    >>> scenarios = open_scenarios(Path(tempfile.mkdtemp()) / "ibasho.gpkg")
    >>> _ = scenarios.migrate()
    >>> saved = scenarios.save("案A", {"remove": ["p0012"]}, user="tanaka")
    >>> saved["scenario_id"], [s["name"] for s in scenarios.scenarios()]
    ('s0001', ['案A'])
    """

    # the scenarios table came with version 2
    min_version = 2
    purpose = "saving scenarios"

    def _record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        payload = self.database.json_value(row["payload_json"]) or {}
        return {"scenario_id": str(row["id"]), "name": str(row["name"]),
                "district": str(row["district"] or ""), "created_by": str(row["created_by"]),
                "created_at": self.database.timestamp_value(row["created_at"]),
                "add": list(payload.get("add", [])), "remove": list(payload.get("remove", [])),
                "threshold": payload.get("threshold")}

    _SELECT = "SELECT id, name, district, created_by, created_at, payload_json FROM scenarios"

    def scenarios(self) -> list[dict[str, Any]]:
        """
        Every saved scenario, oldest first: ``scenario_id``, ``name``, ``district`` ('' for
        the whole city), ``created_by``, ``created_at`` (aware UTC), ``add``, ``remove`` and
        ``threshold``.
        """
        with self.database.transaction(write=False) as tx:
            self.check_schema(tx)
            rows = tx.rows(f"{self._SELECT} ORDER BY fid")
        return [self._record(row) for row in rows]

    def scenario(self, scenario_id: str) -> dict[str, Any]:
        """
        One saved scenario (see :meth:`scenarios`).

        Raises
        ------
        ScenarioNotFoundError
            If no scenario has this id.
        """
        with self.database.transaction(write=False) as tx:
            self.check_schema(tx)
            row = tx.one(f"{self._SELECT} WHERE id = :id", {"id": scenario_id})
        if row is None:
            raise ScenarioNotFoundError(scenario_id)
        return self._record(row)

    def save(self, name: str, changes: Mapping[str, Any], *, user: str,
             district: str = "") -> dict[str, Any]:
        """
        Save ``changes`` (see :func:`check_changes`) under ``name``; returns the saved scenario.

        Raises
        ------
        ScenarioError
            For a bad name or bad changes (every problem listed).
        DuplicateScenarioError
            If a scenario of this name is already saved.
        ValueError
            If ``user`` is empty.
        """
        if not isinstance(user, str) or not user.strip():
            msg = f"`user` must name who saves the scenario (a login), got {user!r}."
            raise ValueError(msg)
        name = check_name(name)
        payload = check_changes(changes)
        if not isinstance(district, str) or len(district) > MAX_CHARS["scenarios"]["district"]:
            raise ScenarioError([f"district must be a district name or '', got {district!r}."])
        database = self.database
        with database.transaction() as tx:
            self.check_schema(tx)
            database.lock_table(tx, "scenarios")
            if tx.one("SELECT id FROM scenarios WHERE name = :name", {"name": name}):
                raise DuplicateScenarioError(name)
            (scenario_id,) = next_ids(tx, "scenarios", "s", 1)
            tx.execute("INSERT INTO scenarios (id, name, district, created_by, created_at, "
                       "payload_json) VALUES (:id, :name, :district, :user, :now, :payload)",
                       {"id": scenario_id, "name": name, "district": district.strip(),
                        "user": user.strip(), "now": database.timestamp_param(utc_now()),
                        "payload": database.json_param(payload)})
            database.mark_changed(tx, "scenarios")
            row = tx.one(f"{self._SELECT} WHERE id = :id", {"id": scenario_id})
        assert row is not None  # inserted in the same transaction
        logger.info("%s saved scenario %s (%d added, %d removed)", user.strip(), scenario_id,
                    len(payload["add"]), len(payload["remove"]))
        return self._record(row)

    def delete(self, scenario_id: str, *, user: str) -> None:
        """
        Delete a saved scenario.

        Raises
        ------
        ScenarioNotFoundError
            If no scenario has this id (it may have been deleted already).
        """
        database = self.database
        with database.transaction() as tx:
            self.check_schema(tx)
            if tx.execute("DELETE FROM scenarios WHERE id = :id", {"id": scenario_id}) < 1:
                raise ScenarioNotFoundError(scenario_id)
            database.mark_changed(tx, "scenarios")
        logger.info("%s deleted scenario %s", user, scenario_id)
