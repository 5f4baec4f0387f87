"""Districts for a study area that has no district polygons, and the empty places layer.

Many municipalities publish no 第2層協議体 district polygons, and many have no list of 居場所.
A config then says so, and the study area still works:

- no ``[layers.districts]``: the whole study area is one district, named after it;
- ``[districts] from_population = "COLUMN"``: the census areas are grouped by the values of
  that column of the population file (one district per value), each district being the cells
  of its census points (Voronoi cells clipped to the outline). Such districts are approximate
  (概略区域) and are labelled so;
- no ``[layers.places]``: no place is known; the pages measure reach to public buildings and
  bus stops instead, and say so.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import STORAGE_CRS
from layers.config import StudyConfig
from layers.errors import LayerError
from layers.fields.schema import PLACE_COLUMNS
from layers.files.reader import TABLE_SUFFIXES, keep_rows, read_table, read_vector

logger = logging.getLogger(__name__)
__all__ = ["DISTRICT_SOURCES", "derived_districts", "no_places"]

#: How each value of :attr:`layers.config.StudyConfig.districts_source` is told on the pages.
DISTRICT_SOURCES = {
    "layer": "地区の区域ファイル",
    "census": "国勢調査の小地域をまとめた概略区域",
    "whole": "市町村全体を一つの区域として集計",
}


def no_places() -> gpd.GeoDataFrame:
    """An empty places layer with every column of a loaded one (no list of 居場所 exists)."""
    columns: dict[str, pd.Series] = {c: pd.Series([], dtype=object) for c in PLACE_COLUMNS}
    columns["row"] = pd.Series([], dtype=int)
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=STORAGE_CRS))


def derived_districts(config: StudyConfig, boundary: gpd.GeoDataFrame | None,
                      population: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """
    The districts of a config without ``[layers.districts]`` (``name``, ``approximate``).

    Parameters
    ----------
    config
        Its ``districts_source`` is ``"whole"`` or ``"census"``.
    boundary
        The study area's outline (STORAGE_CRS).
    population
        The loaded population points, in the order of the population file's kept rows.

    Raises
    ------
    LayerError
        No outline; or the grouping column is missing, or a census point has no group.
    """
    if boundary is None:
        raise LayerError.single(config.path, "without districts the study area needs an outline.",
                                field="study_area.boundary",
                                fix='Add boundary = "outline.geojson" to [study_area].')
    outline = shapely.union_all(boundary.to_crs(STORAGE_CRS).geometry.make_valid().values)
    if config.districts_source != "census" or population is None:
        return gpd.GeoDataFrame({"name": [config.name], "approximate": [False]},
                                geometry=[outline], crs=STORAGE_CRS)
    column = str(config.districts_from_population)
    groups = _group_column(config, column)
    if len(groups) != len(population):
        raise LayerError.single(config.layers["population"].path,
                                "the population rows could not be matched to their groups.",
                                field=column, fix="Check the population layer's keep = table.")
    empty = [i for i, value in enumerate(groups) if not value]
    if empty:
        raise LayerError.single(config.layers["population"].path,
                                f"{len(empty)} census areas have no {column!r} (first: row "
                                f"{empty[0] + 2}).", row=empty[0] + 2, field=column,
                                fix="Give every census area the district it belongs to.")
    metric = config.metric_crs
    outline_m = gpd.GeoSeries([outline], crs=STORAGE_CRS).to_crs(metric).iloc[0]
    points_m = population.geometry.to_crs(metric).representative_point()
    cells = gpd.GeoDataFrame(geometry=list(shapely.voronoi_polygons(
        shapely.multipoints(points_m.values), extend_to=outline_m).geoms), crs=metric)
    # each cell holds one distinct census point: the cell takes that point's group
    points = gpd.GeoDataFrame({"group": groups}, geometry=points_m.values, crs=metric)
    joined = gpd.sjoin_nearest(cells.set_geometry(cells.representative_point()), points,
                               how="left").groupby(level=0)["group"].first()
    cells["name"] = joined.reindex(cells.index).to_numpy()
    cells["geometry"] = shapely.intersection(cells.geometry.values, outline_m)
    frame = cells[~cells.geometry.is_empty].dissolve("name", as_index=False, sort=False)
    frame["approximate"] = True
    logger.info("Made %d districts from the census areas' %r", len(frame), column)
    return frame[["name", "approximate", "geometry"]].to_crs(STORAGE_CRS)


def _group_column(config: StudyConfig, column: str) -> list[str]:
    """The grouping column of the population file's kept rows, as text."""
    layer = config.layers["population"]
    path = layer.path
    raw = read_table(path) if path.suffix.lower() in TABLE_SUFFIXES else read_vector(path)
    raw = keep_rows(raw, layer.options.get("keep"), path)
    if column not in raw.columns:
        raise LayerError.single(
            config.path, f"the population file has no column {column!r}.",
            field="districts.from_population",
            fix=f"Columns found: {', '.join(map(str, raw.columns))}.")
    return raw[column].fillna("").astype(str).str.strip().tolist()
