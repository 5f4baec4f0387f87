"""Bus route lines and walking routes (ウォーキングコース, 歴史探訪) with lengths in metres."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from geo.crs import METRIC_CRS, STORAGE_CRS, to_metric
from geo.streets.walking import WalkProfile
from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.files.reader import keep_rows, read_vector
from layers.files.timetable import read_html_table

logger = logging.getLogger(__name__)
__all__ = [
    "BUS_ROUTE_COLUMNS",
    "DEFAULT_ROUTE_COLOR",
    "DEFAULT_WALKING_KIND",
    "WALKING_ROUTE_COLUMNS",
    "load_bus_routes",
    "load_walking_routes",
    "parse_route_stops_html",
]

#: Columns of the frame :func:`load_bus_routes` returns, in order.
BUS_ROUTE_COLUMNS = ("route_id", "name", "operator", "stops", "color", "geometry")

#: Columns of the frame :func:`load_walking_routes` returns, in order.
WALKING_ROUTE_COLUMNS = ("name", "kind", "length_m", "walk_minutes", "geometry")

#: Colour of a route whose file gives none (or an unreadable one): Leaflet's default blue.
DEFAULT_ROUTE_COLOR = "#3388FF"

#: ``kind`` of a walking route when neither the file nor the config says.
DEFAULT_WALKING_KIND = "ウォーキングコース"

_LINE_TYPES = ("LineString", "MultiLineString")
# "#RRGGBB" or "#RRGGBBAA" (the ぐるりん file writes "#FF0000FF"), "#" optional.
_HEX_COLOR = re.compile(r"^#?([0-9A-Fa-f]{6})([0-9A-Fa-f]{2})?$")


def parse_route_stops_html(html: str | None) -> list[str]:
    """
    The ordered stop names of a route, from an HTML table with one stop per row.

    Examples
    --------
    >>> parse_route_stops_html("<table><tr><td>高崎駅西口</td></tr><tr><td>市役所</td></tr>")
    ['高崎駅西口', '市役所']
    """
    names = (" ".join(" ".join(row).split()) for row in read_html_table(html))
    return [name for name in names if name]


def load_bus_routes(layer: LayerConfig) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load bus route lines.

    Parameters
    ----------
    layer
        The ``bus_routes`` layer, a vector file of (Multi)LineStrings whose fields map onto
        ``route_stops_html`` (an HTML table of stop names, ``経路`` in the ぐるりん file),
        ``color`` (``#RRGGBB`` or ``#RRGGBBAA``), ``operator`` and optionally ``name`` and
        ``route_id``.

    Returns
    -------
    (GeoDataFrame, list of Problem)
        Columns :data:`BUS_ROUTE_COLUMNS` in ``STORAGE_CRS``, and the warnings found. ``name``
        is the file's name, else "first stop→last stop"; ``route_id`` is the file's id, else
        the 1-based feature number; ``color`` is ``#RRGGBB``.

    Raises
    ------
    LayerError
        With every error: a missing or non-line geometry, a missing mapped field.
    """
    path = Path(layer.path)
    frame = keep_rows(read_vector(path), layer.options.get("keep"), path)
    problems: list[Problem] = []
    stops_html = _column(frame, layer, "route_stops_html", path, problems)
    colors = _column(frame, layer, "color", path, problems)
    operators = _column(frame, layer, "operator", path, problems)
    names = _column(frame, layer, "name", path, problems)
    ids = _column(frame, layer, "route_id", path, problems)

    records: list[dict[str, Any]] = []
    for position, geometry in enumerate(frame.geometry):
        row = position + 1
        problems += _check_line(path, row, geometry, what="route")
        stops = parse_route_stops_html(_text(stops_html, position))
        if stops_html is not None and not stops:
            problems.append(Problem(path, "the route lists no stops.", row=row,
                                    field=layer.source_field("route_stops_html"),
                                    fix="List the stops in order, one table row each.",
                                    severity=Severity.WARNING))
        name = _text(names, position)
        if not name:
            name = f"{stops[0]}→{stops[-1]}" if stops else f"路線{row}"
        records.append({
            "route_id": _text(ids, position) or str(row),
            "name": name,
            "operator": _text(operators, position),
            "stops": stops,
            "color": _route_color(_text(colors, position), path=path, row=row,
                                  field=layer.source_field("color"), problems=problems),
            "geometry": geometry,
        })
    _raise_or_log(problems)
    routes = gpd.GeoDataFrame(pd.DataFrame(records, columns=list(BUS_ROUTE_COLUMNS)),
                              geometry="geometry", crs=STORAGE_CRS)
    logger.info("Loaded %d bus routes from %s (%d warnings)", len(routes), path.name,
                len(problems))
    return routes, problems


def load_walking_routes(
    layer: LayerConfig,
    *,
    profile: WalkProfile,
    metric_crs: str | CRS = METRIC_CRS,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load walking routes and measure them.

    Parameters
    ----------
    layer
        The ``walking_routes`` layer: GeoJSON, GeoPackage, Shapefile or GPX (its tracks, or
        its routes when it has no tracks). Fields map onto ``name`` and ``kind``; a missing
        ``kind`` comes from ``layer.options["kind"]``, else :data:`DEFAULT_WALKING_KIND`.
    profile
        How people walk: ``walk_minutes`` is :meth:`geo.streets.walking.WalkProfile.minutes`.
    metric_crs
        The projected CRS in metres in which lengths are measured.

    Returns
    -------
    (GeoDataFrame, list of Problem)
        Columns :data:`WALKING_ROUTE_COLUMNS` in ``STORAGE_CRS``; ``length_m`` is measured in
        ``metric_crs`` and ``walk_minutes = profile.minutes(length_m)``.

    Raises
    ------
    ValueError
        If ``metric_crs`` is not in metres.
    LayerError
        With every error: a missing geometry, a point or polygon instead of a line.
    """
    path = Path(layer.path)
    frame = _read_walking_file(path)
    problems: list[Problem] = []
    names = _column(frame, layer, "name", path, problems)
    kinds = _column(frame, layer, "kind", path, problems)
    default_kind = str(layer.options.get("kind", DEFAULT_WALKING_KIND))

    records: list[dict[str, Any]] = []
    for position, geometry in enumerate(frame.geometry):
        row = position + 1
        problems += _check_line(path, row, geometry, what="walking route")
        kind = _text(kinds, position) or default_kind
        records.append({"name": _text(names, position) or f"{kind} {row}", "kind": kind,
                        "geometry": geometry})
    _raise_or_log(problems)

    routes = gpd.GeoDataFrame(pd.DataFrame(records, columns=["name", "kind", "geometry"]),
                              geometry="geometry", crs=STORAGE_CRS)
    routes["length_m"] = to_metric(routes, metric_crs).length.to_numpy()
    routes["walk_minutes"] = profile.minutes(routes["length_m"])
    routes = routes[list(WALKING_ROUTE_COLUMNS)]
    logger.info("Loaded %d walking routes from %s: %.1f km in all, %.0f min at %.0f m/min",
                len(routes), path.name, routes["length_m"].sum() / 1000,
                routes["walk_minutes"].sum(), profile.speed_m_per_min)
    return routes, problems


def _read_walking_file(path: Path) -> gpd.GeoDataFrame:
    """Read a walking-route file; a GPX file without tracks falls back to its routes."""
    if path.suffix.lower() != ".gpx":
        return read_vector(path)
    try:
        return read_vector(path, layer="tracks")
    except LayerError as tracks_error:
        try:
            routes = read_vector(path, layer="routes")
        except LayerError:
            raise LayerError.single(
                path, "the GPX file has neither tracks (<trk>) nor routes (<rte>).",
                fix="Export the walk as a track or a route, not only as waypoints.",
            ) from tracks_error
        logger.info("%s has no tracks; using its %d routes", path.name, len(routes))
        return routes


def _column(frame: pd.DataFrame, layer: LayerConfig, canonical: str, path: Path,
            problems: list[Problem]) -> pd.Series | None:
    """The source column for ``canonical``; a mapped but missing column is a warning."""
    source = layer.source_field(canonical)
    if source in frame.columns:
        return frame[source]
    if canonical in layer.fields:
        fields = ", ".join(str(column) for column in frame.columns if column != "geometry")
        problems.append(Problem(
            path, f"there is no field {source!r} (for {canonical}); the fields are {fields}.",
            field=source, fix=f'Correct [layers.{layer.name}.fields] {canonical} = "..." '
                              "in the config; the values are left empty for now.",
            severity=Severity.WARNING))
    return None


def _check_line(path: Path, row: int, geometry: BaseGeometry | None, *, what: str) -> list[Problem]:
    if geometry is None or geometry.is_empty:
        return [Problem(path, f"the {what} has no geometry.", row=row, field="geometry",
                        fix="Draw the line, or delete the feature.")]
    if geometry.geom_type not in _LINE_TYPES:
        return [Problem(path, f"the {what} is a {geometry.geom_type}, not a line.", row=row,
                        field="geometry",
                        fix="Use a LineString or MultiLineString (a GPX track or route).")]
    return []


def _route_color(value: str, *, path: Path, row: int, field: str,
                 problems: list[Problem]) -> str:
    if not value:
        return DEFAULT_ROUTE_COLOR
    match = _HEX_COLOR.match(value)
    if match is None:
        problems.append(Problem(path, f"{value!r} is not a colour.", row=row, field=field,
                                fix=f"Use #RRGGBB, e.g. #FF0000; drawn in {DEFAULT_ROUTE_COLOR} "
                                    "for now.", severity=Severity.WARNING))
        return DEFAULT_ROUTE_COLOR
    return f"#{match.group(1).upper()}"


def _raise_or_log(problems: list[Problem]) -> None:
    if any(problem.is_error for problem in problems):
        raise LayerError(problems)
    for problem in problems:
        logger.debug("%s", problem)


def _text(column: pd.Series | None, position: int) -> str:
    """The cell at ``position`` as stripped text; a missing column or value gives ''."""
    if column is None:
        return ""
    value = column.iloc[position]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()
