"""The fields of places (and routes) that staff edit, and the checks every edit or row passes.

The messages are those of :mod:`layers.files.places` and :mod:`layers.files.points`, so a
coordinator sees the same words for a bad category whether it came from a CSV file or from
the edit form.

:data:`MAX_CHARS` and :data:`MAX_ITEMS` are the one table of limits of everything stored:
every write path (the staff forms, CSV/GeoJSON imports, the config's files seeded into the
database, the planner's JSON API, ``ibasho users``) is checked against it before anything is
written, and README's table of limits shows the same numbers.
"""

from __future__ import annotations

import difflib
import functools
import unicodedata
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import STORAGE_CRS
from layers.errors import Problem, Severity
from layers.fields.participation import check_capacity
from layers.files.points import StudyExtent, check_points_in_area

__all__ = [
    "EDITABLE_FIELDS",
    "MAX_CHARS",
    "MAX_ITEMS",
    "PLACE_COLUMNS",
    "PLACE_NUMBER_COLUMNS",
    "POSITION_QUALITIES",
    "TEXT_FIELDS",
    "WHOLE_DISTRICT",
    "check_place_fields",
    "check_route_lines",
    "duplicate_name_problems",
    "import_rows_problem",
    "point_of",
    "position_quality",
    "same_position",
    "served_area_problem",
    "served_areas",
    "text_problem",
]

#: The place, once: its columns (besides ``geometry``) as a places file is loaded
#: (:func:`layers.files.places.load_places`), as the store keeps and reads them
#: (:mod:`layers.store.places`) and as exports write them.
PLACE_COLUMNS = (
    "place_id", "name", "category", "district", "address", "schedule", "contact", "notes",
    "position_source", "position_quality", "source", "serves",
)

#: Text fields of a place that staff edit: every column but ``place_id`` (the store's) and
#: ``position_quality`` (it follows from ``position_source``, :func:`position_quality`).
TEXT_FIELDS = tuple(c for c in PLACE_COLUMNS if c not in ("place_id", "position_quality"))

#: How good a position is, from the prefix of ``position_source`` (``exact:…``, ``approx:…``).
POSITION_QUALITIES = ("exact", "approx", "unknown")

#: Keys accepted for a new or changed place: the text fields, and the position as ``lon`` +
#: ``lat`` (decimal degrees, numbers or text) or ``geometry`` (a shapely Point, or None).
EDITABLE_FIELDS = (*TEXT_FIELDS, "capacity", "lon", "lat", "geometry")

#: Columns of a stored place besides :data:`PLACE_COLUMNS`: its capacity (定員, people; None
#: when not known; :func:`layers.fields.participation.check_capacity`).
PLACE_NUMBER_COLUMNS = ("capacity",)

#: The most characters of each stored text, by table and field (a character is a Unicode
#: code point: 漢字, かな and letters count one each).
MAX_CHARS: dict[str, dict[str, int]] = {
    "places": {"name": 100, "category": 40, "district": 60, "address": 200, "schedule": 500,
               "contact": 200, "notes": 2000, "position_source": 200, "source": 300,
               "serves": 500},
    "walking_routes": {"name": 100, "kind": 40},
    "scenarios": {"name": 80, "label": 120, "district": 80},
    "users": {"name": 64},
}

#: The most items: rows of one import of places, changes (places added plus places taken
#: away) of one scenario, benches and line points of one walking route.
MAX_ITEMS: dict[str, int] = {"import_rows": 5000, "scenario_changes": 100,
                             "route_benches": 500, "route_points": 5000}

#: ``serves`` of a resource that serves its whole district (地区全域).
WHOLE_DISTRICT = "全域"

_AREA_SEPARATORS = str.maketrans({"、": ",", "，": ",", "・": ",", ";": ",", "；": ",",
                                  "\n": ","})

_LONLAT_FIELDS = {"x": "lon", "y": "lat", "x/y": "lon/lat"}


def text_problem(value: str, *, table: str, field: str, label: str,
                 row: int | None = None) -> Problem | None:
    """
    The problem with a text that cannot be stored as it is, or None.

    A text may have at most :data:`MAX_CHARS` ``[table][field]`` characters, and no NUL
    character (PostgreSQL cannot store one; it comes from copying out of some programs).
    The message gives the length found and the limit, in Japanese first (staff read it on
    the pages) and in English; ``field``, ``label`` (the file or the place) and ``row`` say
    where.

    Examples
    --------
    >>> print(text_problem("あ" * 101, table="places", field="name", label="up.csv", row=3))
    up.csv, row 3, field 'name': 101文字あります。上限は100文字です（101 characters; at most \
100）。 100文字以内に短くしてください。Shorten it to 100 characters or fewer.
    >>> text_problem("あ" * 100, table="places", field="name", label="up.csv") is None
    True
    """
    limit = MAX_CHARS[table][field]
    if len(value) > limit:
        found = len(value)
        return Problem(label, f"{found:,}文字あります。上限は{limit:,}文字です"
                              f"（{found:,} characters; at most {limit:,}）。", row=row,
                       field=field, fix=f"{limit:,}文字以内に短くしてください。Shorten it to "
                                        f"{limit:,} characters or fewer.")
    if "\x00" in value:
        return Problem(label, "NUL文字（U+0000）が含まれています（the text contains a NUL "
                              "character, which cannot be stored）。", row=row, field=field,
                       fix="その文字を消してください。Remove it (it comes from copying out of "
                           "another program).")
    return None


def served_areas(serves: str) -> tuple[str, ...]:
    """
    The areas a resource serves, from its ``serves`` text: ``()`` when it is where its point
    is, ``("全域",)`` (:data:`WHOLE_DISTRICT`) for its whole district, else the 町丁 named.

    Names are separated by 「、」, 「・」, commas or semicolons; 「地区全域」 and 「全域」
    both mean the whole district.

    Examples
    --------
    >>> served_areas("")
    ()
    >>> served_areas("地区全域")
    ('全域',)
    >>> served_areas("箕郷町西明屋、箕郷町生原 , 箕郷町生原")
    ('箕郷町西明屋', '箕郷町生原')
    """
    text = serves.strip()
    if not text:
        return ()
    names = [name.strip() for name in text.translate(_AREA_SEPARATORS).split(",")]
    if any(name in (WHOLE_DISTRICT, "地区全域") for name in names):
        return (WHOLE_DISTRICT,)
    return tuple(dict.fromkeys(name for name in names if name))


@functools.lru_cache(maxsize=8)
def _towns_by_nfkc(towns: frozenset[str]) -> dict[str, str]:
    """The 町丁 names by their NFKC form (made once per set, not once per row checked)."""
    return {unicodedata.normalize("NFKC", town): town for town in towns}


def served_area_problem(serves: str, towns: Collection[str], *, label: str,
                        row: int | None = None, field: str = "serves",
                        severity: Severity = Severity.ERROR) -> Problem | None:
    """
    The problem with the 町丁 named in ``serves`` that are not among ``towns`` (the population
    layer's names), or None. Names are compared in NFKC form (「中居町1丁目」 is
    「中居町１丁目」); with no ``towns`` there is nothing to check against (None).

    Examples
    --------
    >>> towns = ["箕郷町西明屋", "中居町１丁目"]
    >>> served_area_problem("箕郷町西明屋、中居町1丁目", towns, label="p1") is None
    True
    >>> print(served_area_problem("箕郷町西明谷", towns, label="p1").fix.split("。")[0])
    人口データの町丁名で書くか、地区全体なら「全域」と書いてください（近い名前：「箕郷町西明谷」→「箕郷町西明屋」）
    """
    named = [name for name in served_areas(serves) if name != WHOLE_DISTRICT]
    if not named or not towns:
        return None
    known = _towns_by_nfkc(frozenset(towns))
    unknown = [name for name in named if unicodedata.normalize("NFKC", name) not in known]
    if not unknown:
        return None
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(unicodedata.normalize("NFKC", name), list(known), n=1)
        if close:
            hints.append(f"「{name}」→「{known[close[0]]}」")
    near = f"（近い名前：{'、'.join(hints)}）" if hints else ""
    return Problem(
        label, f"「{'、'.join(unknown)}」という町丁は人口データにありません（serves names an "
               "area the population layer does not have）。", row=row, field=field,
        fix=f"人口データの町丁名で書くか、地区全体なら「全域」と書いてください{near}。Use the "
            "町丁 names of the population layer, separated by 、, or 全域 for the whole "
            "district.", severity=severity)


def position_quality(position_source: str, geometry: BaseGeometry | None) -> str:
    """
    How good a position is (one of :data:`POSITION_QUALITIES`): ``unknown`` without one,
    ``approx`` when ``position_source`` starts ``approx:`` (or ``unknown:``), else ``exact``
    (``exact:…``, or no note at all: the position is taken as given).

    Examples
    --------
    >>> position_quality("approx: 町の中心", shapely.Point(139, 36.3))
    'approx'
    >>> position_quality("", None)
    'unknown'
    """
    if geometry is None:
        return "unknown"
    prefix = position_source.split(":", 1)[0].strip().lower()
    return "approx" if prefix in {"approx", "unknown"} else "exact"


def check_place_fields(
    base: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    categories: Sequence[str],
    extent: StudyExtent | None,
    label: str,
    row: int | None = None,
) -> tuple[dict[str, Any], BaseGeometry | None, list[Problem]]:
    """
    A place with ``changes`` applied to ``base``, and every problem with the result.

    Parameters
    ----------
    base
        The place as it is (its text fields and ``geometry``); empty for a new place.
    changes
        Keys from :data:`EDITABLE_FIELDS`.
    categories
        The allowed categories.
    extent
        The study area, or None to accept any longitude/latitude.
    label
        Names the place or file in messages (``place p0012``, ``upload.csv``).
    row
        The row in an imported file, for messages.

    Returns
    -------
    (dict, Point or None, list of Problem)
        The text fields (stripped, ``""`` for missing) and ``capacity`` (int or None), the
        position, and the problems
        (names that are taken are checked by the store, which knows them). A changed text
        longer than :data:`MAX_CHARS` allows is a problem (:func:`text_problem`).
    """
    problems: list[Problem] = []
    record: dict[str, Any] = {name: str(base.get(name, "") or "") for name in TEXT_FIELDS}
    record["capacity"] = _stored_capacity(base.get("capacity"))
    if "capacity" in changes:
        record["capacity"], capacity_problem = check_capacity(changes["capacity"], label=label,
                                                              row=row)
        if capacity_problem is not None:
            problems.append(capacity_problem)
    geometry = base.get("geometry")
    for key in sorted(str(key) for key in changes if key not in EDITABLE_FIELDS):
        problems.append(Problem(label, "is not a field of a place.", row=row, field=key,
                                fix=f"Use: {', '.join(EDITABLE_FIELDS)}."))
    for name in TEXT_FIELDS:
        if name not in changes:
            continue
        value = changes[name]
        if value is None or (isinstance(value, float) and pd.isna(value)):
            record[name] = ""
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            record[name] = str(value).strip()
            problem = text_problem(record[name], table="places", field=name, label=label,
                                   row=row)
            if problem is not None:
                problems.append(problem)
        else:
            problems.append(Problem(label, f"must be text, got {type(value).__name__}.",
                                    row=row, field=name, fix="Give the value as text."))
    if "geometry" in changes:
        geometry = changes["geometry"]
        if geometry is not None and not isinstance(geometry, BaseGeometry):
            problems.append(Problem(label, f"expected a shapely Point or None, got "
                                    f"{type(geometry).__name__}.", row=row, field="geometry",
                                    fix="Pass lon and lat instead."))
            geometry = None
        elif geometry is not None and geometry.is_empty:
            geometry = None
    if "geometry" in changes and ("lon" in changes or "lat" in changes):
        problems.append(Problem(label, "both lon/lat and geometry are given.", row=row,
                                field="geometry", fix="Give the position one way only."))
    elif "lon" in changes or "lat" in changes:
        geometry, lonlat_problem = _lonlat_point(changes, label=label, row=row)
        if lonlat_problem is not None:
            problems.append(lonlat_problem)
    if geometry is not None:
        geometry = shapely.force_2d(geometry)  # a GPS height has no column to go in
        found = check_points_in_area(gpd.GeoSeries([geometry], crs=STORAGE_CRS), Path(label),
                                     extent=extent)
        problems += [replace(p, path=label, row=row,
                             field=_LONLAT_FIELDS.get(p.field or "", p.field)) for p in found]

    if not record["name"]:
        problems.append(Problem(label, "the name is empty.", row=row, field="name",
                                fix="Give the place its name as residents know it."))
    if record["serves"] and geometry is None and not record["district"]:
        problems.append(Problem(
            label, "an area served (serves) is given, but neither a position nor a district.",
            row=row, field="district",
            fix="地区を選んでください。Choose the district whose area it serves."))
    if "serves" in changes and extent is not None:
        problem = served_area_problem(record["serves"], extent.towns, label=label, row=row)
        if problem is not None:
            problems.append(problem)
    if record["category"] not in categories:
        problems.append(Problem(
            label, f"unknown category {record['category'] or '(empty)'}.", row=row,
            field="category", fix=f"Use one of: {', '.join(categories)} (or add it to "
                                  "[categories] in the config)."))
    return record, geometry, problems


def _stored_capacity(value: Any) -> int | None:
    """A stored capacity (int, None or a missing value of a frame) as int or None."""
    if value is None or pd.isna(value):
        return None
    return int(value)


def import_rows_problem(count: int, *, label: str) -> Problem | None:
    """
    The problem with importing ``count`` rows at once, if more than :data:`MAX_ITEMS` allows.

    Examples
    --------
    >>> print(import_rows_problem(5001, label="up.csv"))
    up.csv: 5,001行あります。一度に取り込めるのは5,000行までです（5,001 rows; at most 5,000 \
at once）。 ファイルを分けて、何回かに分けて取り込んでください。Split the file and import \
the parts one after another.
    """
    limit = MAX_ITEMS["import_rows"]
    if count <= limit:
        return None
    return Problem(label, f"{count:,}行あります。一度に取り込めるのは{limit:,}行までです"
                          f"（{count:,} rows; at most {limit:,} at once）。",
                   fix="ファイルを分けて、何回かに分けて取り込んでください。Split the file and "
                       "import the parts one after another.")


def _lonlat_point(changes: Mapping[str, Any], *, label: str,
                  row: int | None) -> tuple[BaseGeometry | None, Problem | None]:
    """The point of ``lon``/``lat``; both empty means no position."""
    values: list[float | None] = []
    for name in ("lon", "lat"):
        value = changes.get(name)
        text = "" if value is None else str(value).strip().replace("，", ".").replace("．", ".")
        if text == "" or text.lower() == "nan":
            values.append(None)
            continue
        try:
            values.append(float(text))
        except ValueError:
            return None, Problem(label, f"{value!r} is not a number.", row=row, field=name,
                                 fix="Write decimal degrees, e.g. lon 139.0046, lat 36.3219.")
    lon, lat = values
    if lon is None and lat is None:
        return None, None
    if lon is None or lat is None:
        return None, Problem(label, "only one coordinate is given.", row=row,
                             field="lon" if lon is None else "lat",
                             fix="Give both lon and lat, or neither.")
    return shapely.Point(lon, lat), None


def duplicate_name_problems(names: Sequence[str], rows: Sequence[int | None], *,
                            stored: Mapping[str, str], label: str) -> list[Problem]:
    """
    Names already used by a place in the store (``stored``: name → id), or twice in ``names``.

    Examples
    --------
    >>> [str(p) for p in duplicate_name_problems(["A", "B", "A"], [2, 3, 4],
    ...                                          stored={"B": "p0001"}, label="up.csv")]
    ... # doctest: +NORMALIZE_WHITESPACE
    ["up.csv, row 3, field 'name': 'B' is already in the store as p0001. Edit p0001 instead,
      or tell the two apart (e.g. add the 町名).",
     "up.csv, row 4, field 'name': 'A' appears again (first at row 2). Remove the duplicate,
      or tell the two apart (e.g. add the 町名)."]
    """
    counts = Counter(names)
    first_row: dict[str, int | None] = {}
    problems = []
    for row, name in zip(rows, names, strict=True):
        if not name:
            continue
        if name in stored:
            problems.append(Problem(
                label, f"{name!r} is already in the store as {stored[name]}.", row=row,
                field="name", fix=f"Edit {stored[name]} instead, or tell the two apart "
                                  "(e.g. add the 町名)."))
        elif counts[name] > 1 and name in first_row:
            problems.append(Problem(
                label, f"{name!r} appears again (first at row {first_row[name]}).", row=row,
                field="name",
                fix="Remove the duplicate, or tell the two apart (e.g. add the 町名)."))
        first_row.setdefault(name, row)
    return problems


def point_of(place: Mapping[str, Any]) -> BaseGeometry | None:
    """The point of a stored place's ``lon``/``lat`` (None without a position)."""
    if place.get("lon") is None or place.get("lat") is None:
        return None
    return shapely.Point(place["lon"], place["lat"])


def same_position(a: BaseGeometry | None, b: BaseGeometry | None) -> bool:
    """Whether two positions (or their absence) are the same."""
    if a is None or b is None:
        return a is b
    return bool(a.equals(b))


def check_route_lines(routes: gpd.GeoDataFrame, *,
                      label: str) -> tuple[list[BaseGeometry], list[Problem]]:
    """
    Every route as a 2D MultiLineString (a GPX track may have gaps), and every problem.

    A route needs a ``name`` and a (Multi)LineString; its ``name`` and ``kind`` are text
    within :data:`MAX_CHARS`; rows are numbered from 1.
    """
    problems: list[Problem] = []
    lines = []
    kinds = routes["kind"] if "kind" in routes.columns else [""] * len(routes)
    for row, (name, kind, line) in enumerate(zip(routes["name"], kinds, routes.geometry,
                                                 strict=True), start=1):
        if not str(name or "").strip():
            problems.append(Problem(label, "the route has no name.", row=row, field="name",
                                    fix="Name it as walkers know it."))
        for field, text in (("name", name), ("kind", kind)):
            problem = text_problem(str(text or "").strip(), table="walking_routes",
                                   field=field, label=label, row=row)
            if problem is not None:
                problems.append(problem)
        if line is None or line.is_empty or line.geom_type not in ("LineString",
                                                                   "MultiLineString"):
            what = "no geometry" if line is None or line.is_empty else f"a {line.geom_type}"
            problems.append(Problem(label, f"the route has {what}, not a line.", row=row,
                                    field="geometry", fix="Use a LineString or a GPX track."))
        else:  # 2D: a GPX track's heights have no column to go in
            line = shapely.force_2d(line)
            if line.geom_type == "LineString":
                line = shapely.MultiLineString([line])
        lines.append(line)
    return lines, problems
