"""A small study area with real streets: central Nagoya (栄), for the network mode of the web map.

The streets are ``tests/data/nagoya_sakae_josm.osm`` (a real OSM extract about 0.75 km
square); districts, places, population and candidate sites are made by hand, so the numbers
stay small and known. The metric CRS is EPSG:6675 (JGD2011 plane rectangular VII, Aichi).
"""

from __future__ import annotations

import json
from pathlib import Path

OSM = Path(__file__).resolve().parent / "data" / "nagoya_sakae_josm.osm"

#: (minlon, minlat, maxlon, maxlat) of the OSM extract.
BOUNDS = (136.9041109, 35.1674938, 136.9126296, 35.1742819)
SPLIT_LON = 136.9084

#: Walking thresholds of the config (minutes).
MINUTES = (3, 5, 8)

#: A candidate name that tries to inject HTML: it must arrive as text.
EVIL_CANDIDATE = "<img src=x onerror=alert(7)>候補"

PLACES = [
    # name, category, lon, lat
    ("栄サロン", "サロン", 136.9062, 35.1700),
    ("錦の居場所", "居場所", 136.9055, 35.1725),
    ("東の集会所", "集会所", 136.9110, 35.1685),
]

CANDIDATES = [
    ("東の公民館候補", "栄三丁目", 136.9112, 35.1730),
    (EVIL_CANDIDATE, "<b>住所</b>", 136.9100, 35.1712),
    ("西の候補", "錦二丁目", 136.9047, 35.1680),
    ("北の候補", "錦三丁目", 136.9080, 35.1738),
]


def _population_rows() -> list[tuple[str, int, int, float, float]]:
    """A 5 × 5 grid of 町丁 points over the extract, with totals and 65+ counts."""
    minx, miny, maxx, maxy = BOUNDS
    rows = []
    for i in range(5):
        for j in range(5):
            lon = minx + (maxx - minx) * (i + 0.5) / 5
            lat = miny + (maxy - miny) * (j + 0.5) / 5
            total = 200 + 37 * i + 23 * j
            rows.append((f"栄{i + 1}-{j + 1}", total, total // 4, round(lon, 6), round(lat, 6)))
    return rows


def _district(name: str, minx: float, maxx: float) -> dict:
    _, miny, _, maxy = BOUNDS
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return {"type": "Feature", "properties": {"name": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


#: The ``[study_area]`` of every config on these streets.
STUDY_AREA = """
[study_area]
name = "名古屋・栄"
title = "名古屋・栄 居場所マップ（試験）"
metric_crs = "EPSG:6675"
"""


def write_districts(folder: Path) -> None:
    """``districts.geojson`` in ``folder``: 錦 west of :data:`SPLIT_LON`, 栄 east of it."""
    minx, _, maxx, _ = BOUNDS
    districts = {"type": "FeatureCollection", "features": [
        _district("錦", minx, SPLIT_LON), _district("栄", SPLIT_LON, maxx)]}
    (folder / "districts.geojson").write_text(json.dumps(districts, ensure_ascii=False),
                                              encoding="utf-8")


def write_nagoya_config(folder: Path, *, population: bool = True) -> Path:
    """
    Write the Nagoya study area (config, districts, places, population, candidates) to
    ``folder`` and return the path of its ``ibasho.toml``; ``population=False`` leaves the
    population layer out of the config (no coverage counts, no suggestions).
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_districts(folder)
    lines = ["name,category,lon,lat"] + [f"{n},{c},{lon},{lat}" for n, c, lon, lat in PLACES]
    (folder / "places.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["key_code,name,total,age65,lon,lat"] + [
        f"{k:04d},{n},{t},{a},{lon},{lat}" for k, (n, t, a, lon, lat)
        in enumerate(_population_rows())]
    (folder / "population.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    candidates = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n, "address": a},
         "geometry": {"type": "Point", "coordinates": [lon, lat]}}
        for n, a, lon, lat in CANDIDATES]}
    (folder / "candidates.geojson").write_text(json.dumps(candidates, ensure_ascii=False),
                                               encoding="utf-8")
    population_layer = """[layers.population]
path = "population.csv"
fields = { total = "total", age65 = "age65", name = "name", key_code = "key_code" }
"""
    config = folder / "ibasho.toml"
    config.write_text(f"""{STUDY_AREA}
[walking]
minutes = {list(MINUTES)}
radii_m = [200, 300, 500]

[network]
streets = "{OSM.as_posix()}"

[planning]
suggestions = 3

[layers.districts]
path = "districts.geojson"

[layers.places]
path = "places.csv"

{population_layer if population else ""}
[layers.candidates]
path = "candidates.geojson"

[attribution]
lines = ["© OpenStreetMap contributors (ODbL)"]
""", encoding="utf-8")
    return config
