"""Places between the store and files: preview and import an upload, seed from the config, export.

The file work (reading and checking a file, writing one atomically) is
:mod:`layers.files.place_files`; this module brings it to a :class:`~layers.store.places.PlaceStore`
(its categories, extent and stored names) and stores or reads the places. Nothing is stored
unless the whole file passes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from layers.config import StudyConfig
from layers.errors import LayerError
from layers.files.geopackage import write_geopackage
from layers.files.place_files import (
    EXPORT_FORMATS,
    ImportPreview,
    check_places_file,
    write_places_file,
)
from layers.files.places import load_places
from layers.files.points import StudyExtent
from layers.files.routes import load_walking_routes
from layers.store.places import PlaceStore
from layers.store.routes import import_walking_routes, walking_routes

logger = logging.getLogger(__name__)
__all__ = ["export_places", "import_file", "preview_import", "seed_store"]


def preview_import(store: PlaceStore, path: str | Path, *,
                   fields: Mapping[str, str] | None = None,
                   name: str | None = None, today: dt.date | None = None) -> ImportPreview:
    """
    Read an uploaded file of places and list every problem in it; store nothing.

    Parameters
    ----------
    store
        The store the places would go into (its categories, extent and names).
    path, fields, name
        The file, how its columns map to ibasho's names, and its name as its sender knows
        it (see :func:`layers.files.place_files.check_places_file`).

    today
        The day schedules' periods are compared with (default: today in Japan).

    Notes
    -----
    The checks are :func:`layers.files.place_files.check_places_file`'s, with a name already
    in the store counted as a problem. Every schedule that will not be shown as dates
    (declined, irregular, or read without its hours) is listed as a warning with the reason.
    """
    stored = store.places()
    return check_places_file(path, fields=fields, name=name, extent=store.extent,
                             categories=store.categories,
                             stored=dict(zip(stored["name"], stored["place_id"], strict=True)),
                             today=today)


def import_file(store: PlaceStore, path: str | Path, *, user: str,
                fields: Mapping[str, str] | None = None,
                name: str | None = None) -> list[str]:
    """
    Import an uploaded file of places: all its rows, or none. Messages name the file
    ``name`` (an upload's own name, default ``path.name``), never the server's path.

    Returns
    -------
    list of str
        The new places' ids.

    Raises
    ------
    LayerError
        With every problem that :func:`preview_import` lists; nothing is stored then.
    """
    preview = preview_import(store, path, fields=fields, name=name)
    if not preview.ok or preview.places is None:
        raise LayerError(preview.problems)
    return store.import_places(preview.places, user=user, source=preview.source)


def seed_store(store: PlaceStore, config: StudyConfig, *, user: str,
               extent: StudyExtent | None = None) -> dict[str, int]:
    """
    Import the config's places (and walking routes) into a store that has no places yet.

    Returns
    -------
    dict
        How many features were imported per layer (all 0 when the store had places).

    Raises
    ------
    LayerError
        With every problem in the config's files (nothing is stored).
    """
    counts = {"places": 0, "walking_routes": 0}
    if len(store.places(include_retired=True)):
        logger.info("%s already has places; nothing imported", store.database.display_name)
        return counts
    layer = config.layer("places")
    if layer is None:  # no list of 居場所: staff add them one by one
        return counts
    places, _ = load_places(layer, categories=config.all_categories, extent=extent)
    routes_layer = config.layer("walking_routes")
    routes = None
    if routes_layer is not None:  # read before storing anything: a bad file stores nothing
        routes, _ = load_walking_routes(routes_layer, profile=config.walking,
                                        metric_crs=config.metric_crs)
    counts["places"] = len(store.import_places(places, user=user, source=layer.path.name))
    if routes is not None and routes_layer is not None:
        counts["walking_routes"] = len(import_walking_routes(
            store, routes, user=user, source=routes_layer.path.name))
    return counts


def export_places(store: PlaceStore, fmt: str, out: str | Path, *,
                  include_retired: bool = False) -> Path:
    """
    Write the store's places to a file, atomically (a half-written file never replaces ``out``).

    Parameters
    ----------
    store
        The store to export.
    fmt
        ``csv`` (UTF-8 with BOM so that Excel reads the Japanese, CRLF, ``lon``/``lat``
        columns; a text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
        gets a leading ``'`` so that no spreadsheet runs it,
        :func:`layers.files.place_files.spreadsheet_cell`), ``geojson``, or ``gpkg`` (with the
        walking routes as a second layer).
    out
        The file to write (replaced if it exists).
    include_retired
        Also write retired places, with their ``retired_at``.

    Raises
    ------
    ValueError
        For another ``fmt`` (lists the allowed), or ``out`` being the store's own file.
    """
    if fmt not in EXPORT_FORMATS:
        msg = f"Unknown export format {fmt!r}; use one of: {', '.join(EXPORT_FORMATS)}."
        raise ValueError(msg)
    out = Path(out)
    own = getattr(store.database, "path", None)
    if own is not None and out.resolve() == Path(own).resolve():
        msg = f"Cannot export over the store itself ({out}); choose another file name."
        raise ValueError(msg)
    places = store.places(include_retired=include_retired).drop(columns="row")
    if not include_retired:
        places = places.drop(columns="retired_at")
    if fmt == "gpkg":
        routes = walking_routes(store, include_retired=include_retired)
        write_geopackage({"places": places, "walking_routes": routes if len(routes) else None},
                         out)
    else:
        for column in ("updated_at", "retired_at"):
            if column in places.columns:
                places[column] = places[column].map(
                    lambda t: "" if pd.isna(t) else t.isoformat().replace("+00:00", "Z"))
        write_places_file(places, out, fmt=fmt)
    logger.info("Exported %d places as %s to %s", len(places), fmt, out)
    return out
