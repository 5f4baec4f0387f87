"""Gathering places (居場所, サロン, 公民館, 集会所, 長寿センター …): load and validate.

Places come from CSV (UTF-8, UTF-8 with BOM or CP932, as Excel saves them) or from a vector
file (GeoJSON, GeoPackage, Shapefile). A place without coordinates is kept and listed with a
warning, never dropped: the coordinators know it exists even if nobody has put it on a map.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import replace

import geopandas as gpd
import pandas as pd

from geo.crs import STORAGE_CRS
from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.fields.participation import check_capacity
from layers.fields.schema import TEXT_FIELDS, position_quality, served_area_problem, text_problem
from layers.files.points import StudyExtent, read_points

logger = logging.getLogger(__name__)
__all__ = ["load_places", "read_places", "served_area_problems", "validate_places"]

# the text fields besides the two every place needs
_TEXT_FIELDS = tuple(name for name in TEXT_FIELDS if name not in ("name", "category"))


def load_places(
    layer: LayerConfig,
    *,
    categories: Sequence[str],
    extent: StudyExtent | None = None,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load the places layer, checking every row.

    Parameters
    ----------
    layer
        The config's ``[layers.places]``; ``fields`` maps ibasho's names (``name``,
        ``category``, ``lon``, ``lat``, ``address``, ``schedule`` …) to the file's columns.
    categories
        Allowed categories; any other is an error that lists these.
    extent
        The study area; points outside it (or inside only when lon/lat are swapped) are errors.

    Returns
    -------
    (GeoDataFrame, list of Problem)
        Places in ``STORAGE_CRS`` with :data:`layers.fields.schema.PLACE_COLUMNS` (geometry
        None where unknown), and the warnings (errors raise).

    Raises
    ------
    LayerError
        With every error found in the file.
    """
    places, problems = read_places(layer, extent=extent)
    problems += validate_places(places, layer, categories=categories)
    errors = [p for p in problems if p.is_error]
    if errors:
        raise LayerError(problems)
    located = places.geometry.notna().sum()
    logger.info("Loaded %d places from %s (%d with a position)", len(places), layer.path.name,
                located)
    return places, problems


def read_places(layer: LayerConfig, *,
                extent: StudyExtent | None) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Read a places file into the place columns, with the problems of its rows.

    Unlike :func:`load_places` it neither checks the categories nor raises for the errors
    of rows, so that an import preview can list them; a file without a name column raises
    :class:`LayerError`.
    """
    path = layer.path
    raw, geometries, problems, row_offset = read_points(layer, extent=extent)

    name_field = layer.source_field("name")
    if name_field not in raw.columns:
        problems.append(Problem(path, f"there is no {name_field!r} column.", field=name_field,
                                fix="Every place needs a name; map the column in the config."))
        raise LayerError(problems)

    places = pd.DataFrame({"name": layer.text_column(raw, "name"),
                           "category": layer.text_column(raw, "category")})
    for name in _TEXT_FIELDS:
        places[name] = layer.text_column(raw, name)
    if layer.source_field("capacity") in raw.columns:  # 定員: optional, a column of its own
        places["capacity"] = layer.text_column(raw, "capacity")
    places.insert(0, "place_id", [f"p{i + 1:04d}" for i in range(len(raw))])
    places["row"] = range(row_offset, row_offset + len(raw))
    places["position_quality"] = [
        position_quality(source, geometry)
        for source, geometry in zip(places["position_source"], geometries, strict=True)
    ]
    frame = gpd.GeoDataFrame(places, geometry=gpd.GeoSeries(geometries, crs=STORAGE_CRS,
                                                             index=places.index))
    for row, quality, name in zip(frame["row"], frame["position_quality"], frame["name"],
                                  strict=True):
        if quality == "approx":
            problems.append(Problem(path, f"the position of {name!r} is approximate.", row=row,
                                    field=layer.source_field("position_source"),
                                    fix="Shown with a note on the map; replace it with the "
                                        "building's position when known.",
                                    severity=Severity.WARNING))
    return frame, problems


def validate_places(places: gpd.GeoDataFrame, layer: LayerConfig, *,
                    categories: Sequence[str], towns: Collection[str] = (),
                    towns_severity: Severity = Severity.ERROR) -> list[Problem]:
    """
    Problems with names, categories, capacities (定員), texts too long to store (positions
    are checked while reading; the limits are :data:`layers.fields.schema.MAX_CHARS`) and,
    given ``towns`` (the population layer's 町丁), areas served that are none of them.
    """
    path = layer.path
    problems: list[Problem] = []
    for name in ("name", "category", *_TEXT_FIELDS):
        for row, value in zip(places["row"], places[name], strict=True):
            problem = text_problem(value, table="places", field=name, label=str(path), row=row)
            if problem is not None:
                problems.append(replace(problem, path=path, field=layer.source_field(name)))
    if "capacity" in places.columns:
        for row, value in zip(places["row"], places["capacity"], strict=True):
            _, problem = check_capacity(value, label=str(path), row=row)
            if problem is not None:
                problems.append(replace(problem, path=path,
                                        field=layer.source_field("capacity")))
    name_field, category_field = layer.source_field("name"), layer.source_field("category")
    allowed = set(categories)
    counts = Counter(places["name"])
    first_row: dict[str, int] = {}
    for row, name, category in zip(places["row"], places["name"], places["category"],
                                   strict=True):
        if not name:
            problems.append(Problem(path, "the name is empty.", row=row, field=name_field,
                                    fix="Give the place its name as residents know it."))
        elif counts[name] > 1:
            if name in first_row:
                problems.append(Problem(
                    path, f"{name!r} appears again (first at row {first_row[name]}).", row=row,
                    field=name_field,
                    fix="Remove the duplicate, or tell the two apart (e.g. add the 町名)."))
            else:
                first_row[name] = row
        if category not in allowed:
            shown = category or "(empty)"
            problems.append(Problem(
                path, f"unknown category {shown}.", row=row, field=category_field,
                fix=f"Use one of: {', '.join(categories)} (or add it to [categories] in the "
                    "config)."))
    unplaced = places["serves"].ne("") & places["district"].eq("") & places.geometry.isna()
    for row in places.loc[unplaced, "row"]:
        problems.append(Problem(
            path, "an area served (serves) is given, but neither a position nor a district.",
            row=row, field=layer.source_field("district"),
            fix="地区を書いてください。Give the district whose area it serves."))
    return problems + served_area_problems(places, layer, towns=towns, severity=towns_severity)


def served_area_problems(places: gpd.GeoDataFrame, layer: LayerConfig, *,
                         towns: Collection[str],
                         severity: Severity = Severity.WARNING) -> list[Problem]:
    """
    The rows whose ``serves`` names a 町丁 that is not in ``towns`` (the population layer's
    names), with the nearest name as a hint (:func:`layers.fields.schema.served_area_problem`):
    errors on an import, warnings when the config's own files are loaded.
    """
    towns = frozenset(towns)  # hashed once: the names' NFKC forms are kept per set
    found = (served_area_problem(serves, towns, label=str(layer.path), row=row,
                                 field=layer.source_field("serves"), severity=severity)
             for row, serves in zip(places["row"], places["serves"], strict=True))
    return [replace(problem, path=layer.path) for problem in found if problem is not None]
