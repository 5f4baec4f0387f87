"""District polygons (第2層協議体の区域): load, validate and repair.

Official district polygons may not exist as data: ``scripts/make_takasaki_districts.py``
derives approximate ones for Takasaki, and a config marks them ``approximate = true`` so that
every map labels them 概略区域.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import shapely

from layers.config import LayerConfig
from layers.errors import LayerError, Problem, Severity
from layers.files.reader import read_vector

logger = logging.getLogger(__name__)
__all__ = ["load_districts", "validate_districts"]


def load_districts(layer: LayerConfig) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """
    Load district polygons with columns ``name``, ``approximate`` and geometry.

    Invalid polygons are repaired with :func:`shapely.make_valid` and reported as warnings.

    Raises
    ------
    LayerError
        With every error: no name column, empty names, duplicate names, non-polygons.
    """
    raw = read_vector(layer.path)
    name_field = layer.source_field("name")
    if name_field not in raw.columns:
        raise LayerError.single(layer.path, f"there is no {name_field!r} column.",
                                field=name_field,
                                fix=f"Columns found: {', '.join(raw.columns.drop('geometry'))}. "
                                    "Map the district name in the config's fields.")
    districts = gpd.GeoDataFrame(
        {"name": raw[name_field].fillna("").astype(str).str.strip(),
         "approximate": bool(layer.options.get("approximate", False))},
        geometry=raw.geometry, crs=raw.crs,
    )
    problems = validate_districts(districts, layer)
    if any(p.is_error for p in problems):
        raise LayerError(problems)
    invalid = ~districts.geometry.is_valid
    if invalid.any():
        districts.loc[invalid, "geometry"] = shapely.make_valid(districts.geometry[invalid].values)
        districts["geometry"] = districts.geometry.apply(_polygonal_part)
    logger.info("Loaded %d districts from %s", len(districts), layer.path.name)
    return districts, problems


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry:
    """make_valid may return a collection with stray lines; keep only the polygons."""
    if geometry.geom_type == "GeometryCollection":
        polygons = [g for g in geometry.geoms if g.geom_type in {"Polygon", "MultiPolygon"}]
        return shapely.union_all(polygons)
    return geometry


def validate_districts(districts: gpd.GeoDataFrame, layer: LayerConfig) -> list[Problem]:
    """Problems with names and geometries; invalid polygons are warnings (they get repaired)."""
    path, field = layer.path, layer.source_field("name")
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, (name, geometry) in enumerate(zip(districts["name"], districts.geometry,
                                                 strict=True)):
        row = index + 1
        if not name:
            problems.append(Problem(path, "the district has no name.", row=row, field=field,
                                    fix="Name every district as the council calls it."))
        elif name in seen:
            problems.append(Problem(path, f"{name!r} appears again (first at row {seen[name]}).",
                                    row=row, field=field,
                                    fix="Merge the two polygons into one (dissolve by name)."))
        else:
            seen[name] = row
        if geometry is None or geometry.is_empty:
            problems.append(Problem(path, "the district has no geometry.", row=row,
                                    field="geometry", fix="Draw its polygon or remove the row."))
        elif geometry.geom_type not in {"Polygon", "MultiPolygon"}:
            problems.append(Problem(path, f"expected a polygon, got a {geometry.geom_type}.",
                                    row=row, field="geometry", fix="Use polygon features."))
        elif not geometry.is_valid:
            reason = shapely.is_valid_reason(geometry)
            problems.append(Problem(path, f"invalid polygon ({reason}); repaired automatically.",
                                    row=row, field="geometry",
                                    fix="Fix it in QGIS (Vector ▸ Geometry Tools ▸ Fix "
                                        "Geometries) to be sure the repair is right.",
                                    severity=Severity.WARNING))
    return problems
