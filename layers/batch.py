"""Many study areas analysed alike, and their results gathered in one GeoPackage.

:func:`summarise_study_area` runs one study area's analysis and returns plain frames tagged
with the ``municipality`` (it is what a batch sends to a worker: it needs only the config's
path, and its result pickles). :func:`write_batch` writes every area's frames as one layer per
result, atomically: a temporary file beside the target is renamed over it, so a reader never
sees a half result. :func:`input_hash` tells whether an area's inputs changed since the last
run, so that a rerun skips it.

What is measured where a municipality has no list of 居場所 is said in each row (``target``):
reach to 居場所 only when the config has places; reach to public buildings (公共施設: the
candidate sites, e.g. designated shelters), never called 居場所; and reach to bus stops with
service on a weekday (departures per day from the stops' timetables).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.coverage.by_distance import coverage_by_district
from geo.crs import STORAGE_CRS
from layers.config import load_config
from layers.files.atomic import atomic_path
from layers.files.derived_districts import DISTRICT_SOURCES
from layers.study import StudyArea, load_study_area

logger = logging.getLogger(__name__)
__all__ = ["BATCH_VERSION", "RESULT_LAYERS", "AreaResult", "input_hash", "read_batch",
           "summarise_study_area", "unchanged_areas", "write_batch"]

#: Changes when what a batch computes changes: every area's hash includes it.
BATCH_VERSION = "2"

#: The GeoPackage's layers, in the order they are written.
RESULT_LAYERS = ("municipalities", "coverage", "gaps", "stops", "public_buildings", "batch_runs")

#: What each coverage row measures reach to.
TARGET_PLACES, TARGET_PUBLIC, TARGET_STOPS = "居場所", "公共施設", "運行のあるバス停"

#: A weekday (Wednesday) whose departures count as "per day".
_WEEKDAY = 2


@dataclass
class AreaResult:
    """One study area's result frames (each with ``municipality``), or why it failed."""

    municipality: str
    config: str
    input_hash: str
    frames: dict[str, gpd.GeoDataFrame | pd.DataFrame] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    #: Workers that died while analysing it (the batch retries such an area once).
    workers_lost: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


def input_hash(config_path: str | Path) -> str:
    """
    SHA-256 of the config, every file it names and :data:`BATCH_VERSION`.

    A config that does not load hashes its own bytes only (it is tried again on every run).
    """
    path = Path(config_path).resolve()
    digest = hashlib.sha256(BATCH_VERSION.encode())
    digest.update(path.read_bytes() if path.exists() else b"")
    try:
        config = load_config(path)
    except Exception:  # the batch reports the config's problems itself
        return digest.hexdigest()
    files = [config.boundary, config.streets, config.elevation,
             *(layer.path for layer in config.layers.values())]
    for file in sorted({str(f) for f in files if f is not None}):
        digest.update(file.encode())
        digest.update(_file_hash(Path(file)).encode())
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    """A file's SHA-256, remembered by path, size and modification time within a process."""
    stat = path.stat()
    return _hash_of(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _hash_of(path: str, size: int, mtime_ns: int) -> str:
    """The SHA-256 of ``path`` (a folder: of its files in order) as it was at ``size`` and
    ``mtime_ns`` (the key of the cache: a changed file is hashed again)."""
    digest = hashlib.sha256()
    folder = Path(path)
    if folder.is_dir():
        for child in sorted(folder.rglob("*")):
            if child.is_file():
                digest.update(child.read_bytes())
    else:
        with folder.open("rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def summarise_study_area(config_path: str | Path) -> AreaResult:
    """
    Analyse one study area for a batch; a data problem is returned as the result's error.

    Returns
    -------
    AreaResult
        ``frames``: ``municipalities`` (its outline and totals), ``coverage`` (per district,
        target and radius), ``gaps`` (what no public building, or place, reaches) and
        ``stops`` (with ``departures_per_day``), ``public_buildings`` (the candidates).
    """
    started = time.perf_counter()
    path = Path(config_path).resolve()
    digest = input_hash(path)
    try:
        study = load_study_area(path)
        frames = _frames(study)
    except Exception as exc:  # one failing area never stops the batch
        logger.warning("%s failed: %s", path, exc)
        return AreaResult(path.parent.name, str(path), digest, error=f"{exc}".strip(),
                          seconds=time.perf_counter() - started)
    return AreaResult(study.config.name, str(path), digest, frames,
                      seconds=time.perf_counter() - started)


def _frames(study: StudyArea) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    config = study.config
    name = config.name
    stops = _stops_per_day(study)
    served = stops[stops["departures_per_day"] > 0] if len(stops) else stops
    targets: list[tuple[str, gpd.GeoDataFrame | None]] = [
        (TARGET_PLACES, study.places if config.places_known else None),
        (TARGET_PUBLIC, study.candidates),
        (TARGET_STOPS, served if study.stops is not None else None),
    ]
    tables, gaps = [], []
    for target, points in targets:
        if points is None:
            continue
        result = coverage_by_district(
            study.districts, points[["geometry"]].copy(), radii_m=config.radii_m,
            population=study.population, profile=config.walking, metric_crs=config.metric_crs,
            memo=study.memo)
        table = result.table[["district", "radius_m", "walk_minutes", "population", "covered",
                              "uncovered", "covered_share"]].copy()
        table.insert(0, "target", target)
        tables.append(table)
        if target != TARGET_STOPS:
            gap = result.gaps[["district", "radius_m", "population", "geometry"]].copy()
            gap.insert(0, "target", target)
            gaps.append(gap)
    coverage = pd.concat(tables, ignore_index=True)
    coverage.insert(0, "municipality", name)
    coverage["basis"] = study.population.attrs.get("basis", "total") \
        if study.population is not None else None
    outline = shapely.union_all(study.boundary.to_crs(STORAGE_CRS).geometry.make_valid().values)
    people = float(study.population["total"].sum()) if study.population is not None else np.nan
    row: dict[str, object] = {
        "municipality": name,
        "districts": len(study.districts),
        "districts_source": DISTRICT_SOURCES[config.districts_source],
        "places_known": bool(config.places_known),
        "places": len(study.places) if config.places_known else None,
        "public_buildings": 0 if study.candidates is None else len(study.candidates),
        "stops": len(stops),
        "stops_with_service": len(served),
        "population": people,
    }
    for target, column in ((TARGET_PLACES, "places"), (TARGET_PUBLIC, "public"),
                           (TARGET_STOPS, "stops")):
        for radius in config.radii_m:
            part = coverage[(coverage["target"] == target) & (coverage["radius_m"] == radius)]
            covered = float(part["covered"].sum()) if len(part) else np.nan
            row[f"{column}_covered_{radius:g}m"] = covered
            row[f"{column}_uncovered_share_{radius:g}m"] = (
                1 - covered / people if people and not np.isnan(covered) else np.nan)
    municipalities = gpd.GeoDataFrame([row], geometry=[outline], crs=STORAGE_CRS)
    gap_frame = (gpd.GeoDataFrame(pd.concat(gaps, ignore_index=True), crs=STORAGE_CRS)
                 if gaps else gpd.GeoDataFrame({"target": []}, geometry=[], crs=STORAGE_CRS))
    gap_frame.insert(0, "municipality", name)
    stops.insert(0, "municipality", name)
    public = (study.candidates[["name", "address", "geometry"]].copy()
              if study.candidates is not None
              else gpd.GeoDataFrame({"name": [], "address": []}, geometry=[], crs=STORAGE_CRS))
    public.insert(0, "municipality", name)
    municipalities["folder"] = Path(config.path).parent.name
    return {"municipalities": municipalities, "coverage": coverage, "gaps": gap_frame,
            "stops": stops, "public_buildings": public}


def _stops_per_day(study: StudyArea) -> gpd.GeoDataFrame:
    """The study's stops with ``departures_per_day`` (a weekday's departures)."""
    if study.stops is None or not len(study.stops):
        return gpd.GeoDataFrame({"stop_id": [], "name": [], "operator": [],
                                 "departures_per_day": []}, geometry=[], crs=STORAGE_CRS)
    stops = study.stops
    per_day = [sum(_WEEKDAY in d.get("weekdays", ()) for d in departures)
               for departures in stops["departures"]]
    return gpd.GeoDataFrame(
        {"stop_id": stops["stop_id"].astype(str), "name": stops["name"].astype(str),
         "operator": stops["operator"].astype(str), "departures_per_day": per_day},
        geometry=stops.geometry.to_crs(STORAGE_CRS).values, crs=STORAGE_CRS)


def read_batch(path: str | Path) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """Every result layer of a batch GeoPackage (an absent file: no layer)."""
    path = Path(path)
    if not path.exists():
        return {}
    present = {name for name, _ in pyogrio.list_layers(path)}
    return {name: pyogrio.read_dataframe(path, layer=name)
            for name in RESULT_LAYERS if name in present}


def write_batch(path: str | Path, results: Sequence[AreaResult],
                kept: dict[str, gpd.GeoDataFrame | pd.DataFrame] | None = None,
                kept_areas: Iterable[str] = ()) -> Path:
    """
    Write the results (and the kept rows of unchanged areas) into one GeoPackage, atomically.

    Parameters
    ----------
    path
        The GeoPackage to (re)place.
    results
        This run's areas; failed ones contribute only their ``batch_runs`` row.
    kept
        The previous file's layers (:func:`read_batch`).
    kept_areas
        Municipalities whose previous rows (and run record) are kept as they are.
    """
    path = Path(path)
    keep = set(kept_areas)
    kept = kept or {}
    runs = pd.DataFrame([{
        "municipality": r.municipality, "config": r.config, "input_hash": r.input_hash,
        "status": "ok" if r.ok else "error", "error": r.error or "",
        "seconds": round(r.seconds, 3), "workers_lost": r.workers_lost} for r in results])
    layers: dict[str, list] = {name: [] for name in RESULT_LAYERS}
    for name in RESULT_LAYERS:
        previous = kept.get(name)
        if previous is not None and keep:
            layers[name].append(previous[previous["municipality"].isin(keep)])
    layers["batch_runs"].append(runs)
    for result in sorted((r for r in results if r.ok), key=lambda r: r.municipality):
        for name, frame in result.frames.items():
            layers[name].append(frame)
    with atomic_path(path, create=False) as tmp:  # GDAL creates the file itself
        for name in RESULT_LAYERS:
            frames = [f for f in layers[name] if len(f)]
            if not frames:
                continue
            frame = pd.concat(frames, ignore_index=True)
            if "geometry" in frame.columns:
                frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
    logger.info("Wrote %s: %d areas this run, %d kept", path, len(results), len(keep))
    return path


def unchanged_areas(previous: dict[str, gpd.GeoDataFrame | pd.DataFrame],
                    hashes: dict[str, str]) -> dict[str, str]:
    """Config path → municipality of the areas whose last run succeeded with these hashes."""
    runs = previous.get("batch_runs")
    if runs is None:
        return {}
    done = runs[runs["status"] == "ok"]
    return {config: municipality for config, digest, municipality in
            zip(done["config"], done["input_hash"], done["municipality"], strict=True)
            if hashes.get(config) == digest}

