"""Derive approximate 第2層協議体 district polygons for Takasaki, reproducibly.

No official polygons of the 26 districts are available as open data. As described in
``data/README.md``: each 町丁 (2015 census small area) goes to the district of its nearest
elementary school, except the 町丁 of the merged towns (吉井町…, 箕郷町…, 倉渕町…, 新町…),
which go to their own district; the 町丁 representative points' Voronoi cells, clipped to the
city outline, are dissolved by district. Maps label the result 概略区域 (approximate).

Usage: python scripts/make_takasaki_districts.py [OUT]   (default: data/takasaki/districts.geojson)
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.coverage.districts import assign_nearest, voronoi_districts
from layers.files.atomic import atomic_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "takasaki"

#: 町丁 whose names start with these go to the district of the same merged town.
METHOD = "概略区域：町丁代表点を最寄り小学校の地区に割当て、ボロノイ分割を市域で切り抜き"

PREFIX_DISTRICTS = {"吉井町": "吉井", "箕郷町": "箕郷", "倉渕町": "倉淵", "新町": "新町"}


def main(out: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    areas = pd.read_csv(DATA / "population" / "chocho_2015.csv", dtype={"key_code": str})
    areas = gpd.GeoDataFrame(areas, geometry=gpd.points_from_xy(areas.lon, areas.lat),
                             crs="EPSG:4326")
    schools = pd.read_csv(DATA / "districts" / "district_schools.csv")
    schools = gpd.GeoDataFrame(schools, geometry=gpd.points_from_xy(schools.lon, schools.lat),
                               crs="EPSG:4326")
    outline = gpd.read_file(DATA / "boundary" / "takasaki_city.geojson")

    areas["district"] = assign_nearest(areas, schools, label="district")
    for prefix, district in PREFIX_DISTRICTS.items():
        areas.loc[areas["name"].str.startswith(prefix), "district"] = district
    districts = voronoi_districts(areas, outline, by="district")
    districts["method"] = METHOD
    missing = sorted(set(schools["district"]) - set(districts["name"]))
    if missing:
        logging.warning("Districts with no 町丁 assigned: %s", ", ".join(missing))
    with atomic_path(out, create=False) as tmp:  # GDAL creates the file itself
        districts.to_file(tmp, driver="GeoJSON", COORDINATE_PRECISION=6)
    logging.info("Wrote %d districts to %s", len(districts), out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DATA / "districts.geojson")
