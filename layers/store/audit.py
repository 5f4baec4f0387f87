"""The audit log: every change to an editable layer, with who, when, and before and after.

Entries are written in the same transaction as the change they describe, so there is never
a change without its entry, nor an entry for a change that was rolled back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from layers.store.database import Database, Transaction

__all__ = ["AUDIT_ACTIONS", "read_audit", "record_change", "to_json"]

#: ``action`` of an audit entry.
AUDIT_ACTIONS = ("create", "update", "retire", "import")


def to_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """
    A feature as JSON: timestamps as ISO 8601 text (``Z`` for UTC), geometries as GeoJSON.

    A number that JSON cannot hold (infinity or NaN, in a row stored by hand) is kept as its
    text, so the change that fixes such a row can still be recorded.

    Examples
    --------
    >>> to_json({"name": "A", "geometry": shapely.Point(139, 36)})
    {'name': 'A', 'geometry': {'type': 'Point', 'coordinates': (139.0, 36.0)}}
    >>> to_json({"lon": float("inf")})
    {'lon': 'inf'}
    """
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat().replace("+00:00", "Z")
        elif isinstance(value, BaseGeometry):
            out[key] = _finite(shapely.geometry.mapping(value))
        else:
            out[key] = _finite(value)
    return out


def _finite(value: Any) -> Any:
    """``value`` with every infinite or NaN float (also in tuples, lists, dicts) as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, tuple | list):
        return type(value)(_finite(item) for item in value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value


def record_change(database: Database, tx: Transaction, *, action: str, layer: str,
                  feature_id: str, before: Mapping[str, Any] | None,
                  after: Mapping[str, Any] | None, user: str, at: datetime) -> None:
    """
    Add one entry to ``audit_log`` within the transaction ``tx``.

    Raises
    ------
    ValueError
        If ``action`` is not one of :data:`AUDIT_ACTIONS`.
    """
    if action not in AUDIT_ACTIONS:
        msg = f"Unknown audit action {action!r}; use one of: {', '.join(AUDIT_ACTIONS)}."
        raise ValueError(msg)
    tx.execute("INSERT INTO audit_log (changed_at, user_name, action, layer, feature_id, "
               "before_json, after_json) VALUES (:at, :user, :action, :layer, :feature_id, "
               ":before, :after)",
               {"at": database.timestamp_param(at), "user": user, "action": action,
                "layer": layer, "feature_id": feature_id,
                "before": database.json_param(None if before is None else to_json(before)),
                "after": database.json_param(None if after is None else to_json(after))})


def read_audit(database: Database, tx: Transaction, *, layer: str | None = None,
               feature_id: str | None = None) -> list[dict[str, Any]]:
    """
    Entries, oldest first, optionally of one layer and one feature.

    Returns
    -------
    list of dict
        ``id``, ``at`` (aware UTC datetime), ``user``, ``action``, ``layer``, ``feature_id``,
        ``before`` and ``after`` (dicts, or None: ``before`` of a new feature).
    """
    clauses = [clause for clause, value in (("layer = :layer", layer),
                                            ("feature_id = :feature_id", feature_id))
               if value is not None]
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = tx.rows("SELECT fid, changed_at, user_name, action, layer, feature_id, before_json, "
                   f"after_json FROM audit_log{where} ORDER BY fid",
                   {"layer": layer, "feature_id": feature_id})
    return [{"id": row["fid"], "at": database.timestamp_value(row["changed_at"]),
             "user": row["user_name"], "action": row["action"], "layer": row["layer"],
             "feature_id": row["feature_id"], "before": database.json_value(row["before_json"]),
             "after": database.json_value(row["after_json"])} for row in rows]
