"""小地域（町丁・字等）of the census: the 境界 shapefile joined with the age table, by KEY_CODE.

Two downloads of one census from e-Stat 統計GIS:

- the boundary (境界データ, 小地域, Shapefile), a zip as served (e.g.
  ``A002005212020DDSWC10202.zip`` holding ``r2ka10202.shp`` …): Shift_JIS attributes without
  a ``.cpg``; ``KEY_CODE`` (prefecture + municipality + area code), ``HCODE``, the name
  (``S_NAME``, or ``MOJI`` in 2015), ``JINKO`` (people), ``SETAI`` (households) …;
- optionally the age table of the same census (``table = "…"`` in the config, e.g.
  ``tblT001082C10.txt`` or its zip; :mod:`layers.files.estat.table`).

An area drawn in several pieces (飛び地, ``KIGO_E`` E1, E2 …) has one ``KEY_CODE`` on each: the
pieces are joined into one (multi)polygon and their people summed, never counted twice.
``HCODE`` says what a piece is: 8101 an ordinary 町丁・字, 8154 a 水面調査区 (a survey area on
water: a lake, a river, a bay). Water pieces are left out of the polygons so that no one is
drawn or spread onto water; an area of water alone is kept only if people are counted in it.

The table has a row per area and also rows that add areas up (the municipality, HYOSYO 1; a
町 with 丁目, HYOSYO 2): a row whose key begins another row's key is such a sum and is not
joined. Keys found on one side only are reported.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import STORAGE_CRS
from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.files.bands import COUNT_COLUMNS, capped
from layers.files.estat.secrecy import group_band_problems, spread_hidden_counts
from layers.files.estat.table import column_names, read_counts
from layers.files.points import StudyExtent
from layers.files.reader import keep_rows, read_vector

logger = logging.getLogger(__name__)
__all__ = ["HCODE_LAND", "HCODE_WATER", "load_small_area_population"]

#: ``HCODE`` of an ordinary small area (町丁・字等).
HCODE_LAND = 8101
#: ``HCODE`` of a survey area on water (水面調査区).
HCODE_WATER = 8154

#: The boundary's fields a config may map, beside the counts.
_BOUNDARY_FIELDS = ("key_code", "name", "hcode")
#: Names the area's name has in e-Stat's boundaries (2020, then 2015).
_NAME_COLUMNS = ("S_NAME", "MOJI")
#: Above this share of areas whose boundary JINKO and table total disagree, the two files are
#: taken to be of different censuses.
_MISMATCH_SHARE = 0.5


def _read_boundary(path: Path) -> gpd.GeoDataFrame:
    """The boundary features, their text decoded as a ``.cpg`` says, else UTF-8 or CP932."""
    encodings: tuple[str | None, ...] = (None,)
    if path.suffix.lower() in (".zip", ".shp"):
        if path.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(path) as archive:
                    names = archive.namelist()
            except zipfile.BadZipFile:
                raise LayerError.single(path, "this is not a readable zip file.",
                                        fix="Download the boundary again.") from None
            shapes = [n for n in names if n.lower().endswith(".shp")]
            if len(shapes) > 1:
                raise LayerError.single(
                    path, f"the zip holds {len(shapes)} Shapefiles ({', '.join(shapes)}).",
                    fix="Give each boundary its own zip, as e-Stat serves them.")
            has_cpg = any(n.lower().endswith(".cpg") for n in names)
        else:
            has_cpg = path.with_suffix(".cpg").exists()
        encodings = (None,) if has_cpg else ("utf-8", "cp932")
    for encoding in encodings:
        try:
            return read_vector(path, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise LayerError.single(path, "the attributes are neither UTF-8 nor Shift_JIS (CP932) text.",
                            fix="Download the boundary again, or add a .cpg naming the encoding.")


def _column(frame: pd.DataFrame, layer: LayerConfig, canonical: str,
            defaults: tuple[str, ...], problems: list[Problem], *, required: bool) -> str | None:
    """The boundary column holding ``canonical``: as ``fields`` maps it, else the first default."""
    if canonical in layer.fields:
        name = str(layer.fields[canonical])
        if name in frame.columns:
            return name
        problems.append(Problem(layer.path, f"there is no column {name!r} (fields.{canonical} "
                                            "in the config).", field=name,
                                fix=f"Columns found: {', '.join(map(str, frame.columns))}."))
        return None
    found = next((c for c in defaults if c in frame.columns), None)
    if found is None and required:
        problems.append(Problem(layer.path, f"there is no {defaults[0]} column.",
                                field=defaults[0],
                                fix=f"Map it: fields = {{ {canonical} = \"…\" }}. Columns found: "
                                    f"{', '.join(map(str, frame.columns))}."))
    return found


def _pieces(layer: LayerConfig, problems: list[Problem]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The boundary's pieces: key, name, HCODE, people, geometry, feature number."""
    path = layer.path
    boundary = _read_boundary(path)
    boundary["feature"] = np.arange(1, len(boundary) + 1)
    boundary = keep_rows(boundary, layer.options.get("keep"), path)
    key = _column(boundary, layer, "key_code", ("KEY_CODE",), problems, required=True)
    name = _column(boundary, layer, "name", _NAME_COLUMNS, problems, required=False)
    hcode = _column(boundary, layer, "hcode", ("HCODE",), problems, required=False)
    if layer.options.get("table") is None:  # the boundary's own count is the total
        people = _column(boundary, layer, "total", ("JINKO",), problems, required=True)
    else:  # the table's counts; JINKO (if any) to compare and to share out hidden totals
        people = "JINKO" if "JINKO" in boundary.columns else None
    if problems or key is None:
        raise LayerError(problems)
    pieces = pd.DataFrame({
        "key_code": boundary[key].map(_key_text),
        "name": boundary[name].fillna("").astype(str).str.strip() if name else "",
        "hcode": pd.to_numeric(boundary[hcode], errors="coerce") if hcode else HCODE_LAND,
        "people": pd.to_numeric(boundary[people], errors="coerce") if people else np.nan,
        "feature": boundary["feature"].to_numpy(),
        "geometry": boundary.geometry.to_numpy(),
    })
    return pieces, {"key": key, "people": people, "hcode": hcode}


def _key_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _check_pieces(pieces: pd.DataFrame, path: Path, columns: dict[str, Any],
                  problems: list[Problem], warnings: list[Problem]) -> pd.DataFrame:
    """Errors for keys and shapes that cannot be used; warnings for odd HCODEs and water."""
    def each(mask: Any, message: Any, field: str, fix: str,
             severity: Severity = Severity.ERROR) -> list[Problem]:
        return capped([Problem(path, message(i), row=int(pieces["feature"].iloc[i]), field=field,
                               fix=fix, severity=severity) for i in np.flatnonzero(mask)])

    key = columns["key"]
    problems += each(~pieces["key_code"].str.fullmatch(r"\d+").to_numpy(),
                     lambda i: f"{pieces['key_code'].iloc[i]!r} is not a KEY_CODE.", key,
                     "KEY_CODE is the area's code (prefecture, municipality, area); use the "
                     "boundary as e-Stat serves it.")
    geometry = pieces["geometry"].to_numpy()
    not_area = np.array([g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon")
                         for g in geometry])
    problems += each(not_area, lambda i: "the feature has no polygon.", "geometry",
                     "A small area is a polygon; use the boundary as e-Stat serves it.")
    if columns["people"]:
        people = pieces["people"].to_numpy(dtype=float)
        problems += each(~np.isfinite(people) | (people < 0) | (people % 1 != 0),
                         lambda i: f"{pieces['people'].iloc[i]!r} is not a count of people.",
                         columns["people"], "Use the boundary as e-Stat serves it.")
    hcode = pieces["hcode"].to_numpy(dtype=float)
    odd = ~np.isin(hcode, (HCODE_LAND, HCODE_WATER))
    for value in pd.unique(hcode[odd]):
        first = np.flatnonzero(odd & ((hcode == value) | (np.isnan(hcode) & np.isnan(value))))
        warnings.append(Problem(path, f"HCODE {value:g} is neither {HCODE_LAND} (町丁・字) nor "
                                      f"{HCODE_WATER} (水面調査区), in {len(first)} features; "
                                      "they are taken as land.",
                                row=int(pieces["feature"].iloc[first[0]]),
                                field=columns["hcode"] or "HCODE",
                                fix="Check that the file is an e-Stat 小地域 boundary.",
                                severity=Severity.WARNING))
    if problems:
        raise LayerError(problems)
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        pieces.loc[invalid, "geometry"] = shapely.make_valid(geometry[invalid])
    return pieces


def _dissolve(pieces: pd.DataFrame, path: Path, people_field: str | None,
              warnings: list[Problem]) -> pd.DataFrame:
    """One row per KEY_CODE: land pieces joined, people summed, water left out."""
    water = pieces["hcode"].to_numpy() == HCODE_WATER
    pieces = pieces.assign(land=~water)
    has_land = pieces.groupby("key_code")["land"].transform("any").to_numpy(dtype=bool)
    wet_people = water & (pieces["people"].fillna(0).to_numpy() > 0)
    warnings += capped([Problem(
        path, f"a water piece (HCODE {HCODE_WATER}) has {pieces['people'].iloc[i]:.0f} people"
              + ("; they are counted in the area's land pieces." if has_land[i]
                 else " and the area has no land piece: they are drawn on the water."),
        row=int(pieces["feature"].iloc[i]), field=people_field or "JINKO",
        fix="Check the boundary file.", severity=Severity.WARNING)
        for i in np.flatnonzero(wet_people)])
    by_key = pieces.groupby("key_code", sort=False)
    drawn = pieces[~water | ~has_land]
    size = drawn.groupby("key_code", sort=False)["geometry"].transform("size").to_numpy()
    shapes = pd.concat([
        drawn.loc[size == 1].set_index("key_code")["geometry"],
        drawn.loc[size > 1].groupby("key_code", sort=False)["geometry"].agg(
            lambda g: shapely.union_all(g.to_numpy()))])
    named = pieces[pieces["name"] != ""].groupby("key_code", sort=False)["name"].first()
    areas = pd.DataFrame({"geometry": shapes})
    areas["name"] = named.reindex(areas.index).fillna("")
    areas["feature"] = by_key["feature"].min()
    areas["pieces"] = by_key["feature"].size()
    areas["people"] = by_key["people"].sum(min_count=1)
    areas["water_only"] = ~by_key["land"].any()
    order = pd.Index(pieces["key_code"]).unique()  # as the file lists them
    return areas.reindex(order).rename_axis("key_code").reset_index()


def _table_counts(layer: LayerConfig, areas: pd.DataFrame, problems: list[Problem],
                  warnings: list[Problem]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The age table's areas (and its sums), with counts spread over hidden areas."""
    counts_fields = {k: v for k, v in layer.fields.items() if k in COUNT_COLUMNS}
    table, found = read_counts(Path(layer.options["table"]), counts_fields, extra=("NAME",))
    problems += [p for p in found if p.is_error]
    warnings += [p for p in found if not p.is_error]
    columns = column_names(table.columns)
    paths, rows = table.paths, table.rows
    keys = table.cells["KEY_CODE"]
    bad_key = ~keys.str.fullmatch(r"\d+").to_numpy()
    problems += capped([Problem(paths[i], f"{keys.iloc[i]!r} is not a KEY_CODE.",
                                row=int(rows[i]), field="KEY_CODE",
                                fix="Use the table as e-Stat serves it.")
                        for i in np.flatnonzero(bad_key).tolist()])
    repeated = keys.duplicated().to_numpy()
    problems += capped([Problem(paths[i], f"KEY_CODE {keys.iloc[i]} comes twice in the table.",
                                row=int(rows[i]), field="KEY_CODE",
                                fix="Remove the copy of the file, or the file repeating it.")
                        for i in np.flatnonzero(repeated & ~bad_key).tolist()])
    if any(p.is_error for p in problems):
        raise LayerError(problems)
    people = areas.set_index("key_code")["people"]
    spread = spread_hidden_counts(
        keys.to_numpy(dtype=str), table.cells["HTKSYORI"].to_numpy(dtype=int),
        table.cells["HTKSAKI"].to_numpy(dtype=str), table.values, table.hidden,
        fallback_weights=keys.map(people).to_numpy(dtype=float))
    problems += group_band_problems(spread.values, spread.carrier, paths=paths, rows=rows,
                                    fields=columns)
    result = pd.DataFrame({"key_code": keys, "table_name": table.cells["NAME"], "path": paths,
                           "row": rows, "sum_row": _sum_rows(keys.to_numpy(dtype=str)),
                           **{band: spread.values[band] for band in columns},
                           **{f"{band}_lost": spread.unresolved[band] for band in columns}})
    return result, columns


def _sum_rows(keys: np.ndarray) -> np.ndarray:
    """True for keys that begin another key: rows adding up areas (市区町村, 町 of 丁目)."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.zeros(len(keys), dtype=bool)
    if len(keys) > 1:
        following = ordered[1:]
        starts[:-1] = (np.char.startswith(following, ordered[:-1])
                       & (np.char.str_len(following) > np.char.str_len(ordered[:-1])))
    result = np.zeros(len(keys), dtype=bool)
    result[order] = starts
    return result


def _in_area(areas: pd.DataFrame, extent: StudyExtent | None) -> np.ndarray:
    """True for areas whose inner point lies in the study area's outline."""
    if extent is None:
        return np.ones(len(areas), dtype=bool)
    outline = extent.outline
    shapely.prepare(outline)
    return shapely.contains(outline, shapely.point_on_surface(areas["geometry"].to_numpy()))


def load_small_area_population(layer: LayerConfig, *, extent: StudyExtent | None = None,
                               ) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load census 小地域 polygons with ``total`` and the age bands of the table, if given.

    ``layer.path`` is the boundary (the zip as downloaded, or a Shapefile, GeoPackage …);
    ``layer.options["table"]`` the age table (optional: without it, ``total`` is the
    boundary's ``JINKO``). ``fields`` may map ``key_code``, ``name``, ``hcode`` (boundary
    columns) and ``total``, ``age65``, ``age75``, ``age85`` (table columns, found by their
    e-Stat labels otherwise); ``keep`` keeps boundary rows by value (e.g. ``{ CITY = "202" }``).

    Returns
    -------
    (GeoDataFrame, list of Problem)
        One row per area (KEY_CODE) whose inner point lies in the study area: ``name``,
        ``key_code``, ``total``, ``age65``, ``age75``, ``age85`` (NaN where not given), its
        polygon without water (EPSG:4326); and warnings: keys on one side only, totals that
        differ between the two files, water pieces with people, hidden counts no area carries.

    Raises
    ------
    LayerError
        With every error of both files, or if the two disagree on most totals (different
        censuses), or no area lies in the study area.
    """
    allowed = (*COUNT_COLUMNS, *_BOUNDARY_FIELDS)
    unknown = sorted(set(layer.fields) - set(allowed))
    if unknown:
        raise LayerError.single(
            layer.path, f"fields names {', '.join(unknown)}, which ibasho does not know for a "
                        "small-area layer.", field=f"fields.{unknown[0]}",
            fix=f"Use: {', '.join(allowed)}.")
    problems: list[Problem] = []
    warnings: list[Problem] = []
    pieces, columns = _pieces(layer, problems)
    pieces = _check_pieces(pieces, layer.path, columns, problems, warnings)
    areas = _dissolve(pieces, layer.path, columns["people"], warnings)
    keep = _in_area(areas, extent)
    if not keep.any():
        raise LayerError.single(
            layer.path, f"none of the {len(areas):,} areas lies in the study area.",
            field=columns["key"], fix="Is it the boundary of another municipality? Download "
                                      "the study area's, or keep its rows with keep = "
                                      "{ CITY = \"…\" }.")
    drawn_keys = set(areas["key_code"])  # in the boundary, whether in the study area or not
    areas = areas[keep].reset_index(drop=True)
    bands: dict[str, str] = {}
    if layer.options.get("table") is None:
        areas["total"] = areas["people"]
    else:
        table, bands = _table_counts(layer, areas, problems, warnings)
        table = table[~table["key_code"].isin(drawn_keys - set(areas["key_code"]))]
        areas = _join(areas, table, bands, layer, columns, problems, warnings)
    if any(p.is_error for p in problems):
        raise LayerError(problems)
    areas = areas[~(areas["water_only"] & (areas["total"].fillna(0) == 0))]
    population = gpd.GeoDataFrame(
        {"name": areas["name"].to_numpy(), "key_code": areas["key_code"].to_numpy(),
         **{band: areas[band].to_numpy(dtype=float) if band in areas else np.nan
            for band in COUNT_COLUMNS}},
        geometry=gpd.GeoSeries(areas["geometry"].to_numpy(), crs=STORAGE_CRS))
    logger.info("Read %d small areas of %s (%d pieces): %.0f people; table columns %s",
                len(population), layer.path.name, int(areas["pieces"].sum()),
                population["total"].sum(), bands or "none (JINKO)")
    return population, warnings


def _join(areas: pd.DataFrame, table: pd.DataFrame, bands: dict[str, str], layer: LayerConfig,
          columns: dict[str, Any], problems: list[Problem],
          warnings: list[Problem]) -> pd.DataFrame:
    """The areas with the table's counts; keys on one side only and totals that differ."""
    cities = set(areas["key_code"].str[:5])
    leaves = table[~table["sum_row"] & table["key_code"].str[:5].isin(cities)]
    joined = areas.merge(leaves, on="key_code", how="left", indicator=True)
    no_polygon = leaves[~leaves["key_code"].isin(areas["key_code"])]
    warnings += capped([Problem(
        row.path, f"KEY_CODE {row.key_code} ({row.table_name or 'no name'}) has no polygon in "
                  f"{layer.path.name}: its {row.total:.0f} people are not on the map.",
        row=int(row.row), field="KEY_CODE",
        fix="Use the boundary and the table of the same census (and the same keep =).",
        severity=Severity.WARNING) for row in no_polygon.itertuples()])
    missing = (joined["_merge"] == "left_only").to_numpy()
    people = joined["people"].to_numpy(dtype=float)
    nobody = missing & (np.nan_to_num(people) == 0)
    warnings += capped([Problem(
        layer.path, f"KEY_CODE {joined['key_code'].iloc[i]} ({joined['name'].iloc[i]}) has no row "
                    f"in {Path(layer.options['table']).name}: its {people[i]:.0f} people "
                    "(JINKO) are counted without ages.",
        row=int(joined["feature"].iloc[i]), field=columns["key"],
        fix="Use the boundary and the table of the same census.", severity=Severity.WARNING)
        for i in np.flatnonzero(missing & ~nobody)])
    for band in bands:
        values = joined[band].to_numpy(dtype=float, copy=True)
        values[nobody] = 0.0  # an area with no one has no one of any age
        if band == "total":
            values[missing & ~nobody] = people[missing & ~nobody]
        joined[band] = values
        lost = joined[f"{band}_lost"].fillna(False).to_numpy(dtype=bool)
        warnings += capped([Problem(
            joined["path"].iloc[i], f"the value is hidden but no area of the table carries it: "
                                    f"{joined['key_code'].iloc[i]}'s {band} is unknown.",
            row=int(joined["row"].iloc[i]), field=bands[band],
            fix="Use the table of the whole municipality or prefecture.",
            severity=Severity.WARNING) for i in np.flatnonzero(lost)])
    if columns["people"]:
        _compare_totals(joined, missing, layer, columns, problems, warnings)
    return joined


def _compare_totals(joined: pd.DataFrame, missing: np.ndarray, layer: LayerConfig,
                    columns: dict[str, Any], problems: list[Problem],
                    warnings: list[Problem]) -> None:
    """Warnings where the boundary's JINKO and the table's total differ; an error if most do."""
    people = joined["people"].to_numpy(dtype=float)
    total = joined["total"].to_numpy(dtype=float)
    both = ~missing & np.isfinite(people) & np.isfinite(total)
    differ = both & (np.abs(people - total) > 0.5)
    if both.sum() and differ.sum() > _MISMATCH_SHARE * both.sum():
        problems.append(Problem(
            layer.path, f"the boundary's {columns['people']} and the table's total differ in "
                        f"{int(differ.sum())} of {int(both.sum())} areas: the two files seem "
                        "to be of different censuses.", field=columns["people"],
            fix="Download the boundary and the age table of the same census year."))
        return
    warnings += capped([Problem(
        layer.path, f"KEY_CODE {joined['key_code'].iloc[i]}: {columns['people']} says "
                    f"{people[i]:.0f} people, the table {total[i]:.0f}; the table is used.",
        row=int(joined["feature"].iloc[i]), field=columns["people"],
        fix="Check that both files are of the same census.", severity=Severity.WARNING)
        for i in np.flatnonzero(differ)])
