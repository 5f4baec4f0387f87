"""The street network a pedestrian can use, read from an OpenStreetMap file and cached.

Reads ``.osm.pbf``, ``.osm``, ``.osm.gz`` and ``.osm.bz2`` with pyosmium (libosmium). Which
ways count is decided by :func:`is_walkable`. Files edited in JOSM may keep deleted objects,
marked ``action='delete'``: libosmium reads them as if they were live, so XML files that have
such marks are first copied without them by a streaming parser (which also renumbers JOSM's
new objects: libosmium cannot place nodes with negative ids).

The graph is cached beside the config (``<config dir>/.ibasho-cache/streets-<sha256[:16]>.npz``)
under the source file's hash: a cache made from another version of the file, another study area
or another CRS is rebuilt, never used.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import logging
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import shapely
from pyproj import Transformer

from geo.crs import METRIC_CRS, ensure_metric_crs
from geo.streets.network import StreetNetwork, drop_small_components, snap_points
from geo.streets.reach import MAX_SNAP_DISTANCE_M, points_xy
from layers.errors import LayerError, Problem, Severity
from layers.files.atomic import atomic_path

if TYPE_CHECKING:
    from osmium.osm import TagList

logger = logging.getLogger(__name__)
__all__ = [
    "CACHE_DIR_NAME",
    "MIN_COMPONENT_LENGTH_M",
    "WALKABLE_HIGHWAYS",
    "clean_josm_xml",
    "is_walkable",
    "load_streets",
    "places_far_from_streets",
]

#: ``highway`` values walked on without further tags. (``*_link`` roads of these too.)
WALKABLE_HIGHWAYS = frozenset({
    "footway", "path", "pedestrian", "steps", "living_street", "residential", "service",
    "unclassified", "tertiary", "secondary", "primary", "track", "road", "bridleway",
    "corridor", "primary_link", "secondary_link", "tertiary_link",
})
#: Walked on only when tagged for pedestrians (``foot=yes``/``designated``/``permissive``);
#: ``trunk`` also when it has a sidewalk (``sidewalk=both/left/right/yes``), as many Japanese
#: national roads (国道) do.
CONDITIONAL_HIGHWAYS = frozenset({"cycleway", "trunk", "trunk_link", "motorway", "motorway_link"})
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
_FOOT_FORBIDDEN = frozenset({"no", "use_sidepath"})
_ACCESS_FORBIDDEN = frozenset({"no", "private"})
_SIDEWALK_PRESENT = frozenset({"both", "left", "right", "yes"})

#: Connected pieces of street shorter than this in total are dropped (the largest stays).
MIN_COMPONENT_LENGTH_M = 500.0
CACHE_DIR_NAME = ".ibasho-cache"
#: Objects new in JOSM (negative ids) are renumbered from here (OSM ids are below 10¹¹).
NEW_OBJECT_ID_OFFSET = 10**12
#: Bump when the filter or the graph layout changes, so old caches are rebuilt.
_CACHE_FORMAT = 1
_XML_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".xml")
_SUFFIXES = (*_XML_SUFFIXES, ".osm.pbf", ".pbf")


def is_walkable(tags: Mapping[str, str] | TagList) -> bool:
    """
    Whether an OSM way with these tags can be walked by a pedestrian.

    Closed ways tagged ``area=yes`` (a station square, a pedestrian plaza) are kept as their
    outline: people walk around and into them, so they connect the streets that meet them.

    Examples
    --------
    >>> is_walkable({"highway": "residential"}), is_walkable({"highway": "motorway"})
    (True, False)
    >>> is_walkable({"highway": "cycleway", "foot": "yes"})
    True
    >>> is_walkable({"highway": "path", "access": "private"})
    False
    """
    highway = tags.get("highway")
    foot = tags.get("foot", "")
    if highway is None or foot in _FOOT_FORBIDDEN:
        return False
    if tags.get("access", "") in _ACCESS_FORBIDDEN and foot not in _FOOT_ALLOWED:
        return False
    if highway in WALKABLE_HIGHWAYS:
        return True
    if highway in CONDITIONAL_HIGHWAYS:
        if foot in _FOOT_ALLOWED:
            return True
        return highway.startswith("trunk") and tags.get("sidewalk", "") in _SIDEWALK_PRESENT
    return False


def load_streets(path: str | Path, *, area: shapely.Geometry | None = None,
                 metric_crs: str = METRIC_CRS, cache_dir: str | Path | None = None,
                 min_component_m: float = MIN_COMPONENT_LENGTH_M) -> StreetNetwork:
    """
    The walkable street network from an OSM file, clipped to the study area.

    Parameters
    ----------
    path
        ``.osm.pbf``, ``.osm``, ``.osm.gz`` or ``.osm.bz2``.
    area
        The study area in EPSG:4326 (lon/lat); street segments touching it are kept whole.
    metric_crs
        Projected CRS in metres for the network.
    cache_dir
        Where to cache the graph (usually ``<config dir>/.ibasho-cache``); None: no cache.
    min_component_m
        Isolated street pieces shorter than this are dropped.

    Raises
    ------
    LayerError
        The file is missing or unreadable, has no walkable ways, or does not overlap ``area``.

    Examples
    --------
    >>> net = load_streets("/work/shared/data/osm/monaco_graphhopper.osm.gz",
    ...                    metric_crs="EPSG:32631")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise LayerError.single(path, "The street network file does not exist.",
                                fix="Correct the path in the config.")
    if not path.name.lower().endswith(_SUFFIXES):
        raise LayerError.single(path, "This is not an OpenStreetMap file.",
                                fix=f"Use one of: {', '.join(_SUFFIXES)}.")
    ensure_metric_crs(metric_crs)
    digest = _sha256(path)
    key = {"format": _CACHE_FORMAT, "sha256": digest, "metric_crs": str(metric_crs),
           "area": hashlib.sha256(shapely.to_wkb(area)).hexdigest() if area is not None else None,
           "min_component_m": float(min_component_m)}
    cache_path = Path(cache_dir) / f"streets-{digest[:16]}.npz" if cache_dir is not None else None
    if cache_path is not None:
        cached = _read_cache(cache_path, key)
        if cached is not None:
            logger.info("Read street network from cache %s: %d nodes, %d edges",
                        cache_path.name, cached.n_nodes, cached.n_edges)
            return cached
    network = _build(path, area=area, metric_crs=metric_crs, min_component_m=min_component_m,
                     source=f"{path.name} sha256:{digest[:16]}")
    if cache_path is not None:
        _write_cache(cache_path, network, key)
    return network


def places_far_from_streets(places, network: StreetNetwork, *, path: str | Path,
                            max_distance_m: float = MAX_SNAP_DISTANCE_M,
                            name_field: str = "name") -> list[Problem]:
    """
    A warning for every place farther than ``max_distance_m`` from any walkable street.

    Such places are left out of network reach (:func:`geo.streets.reach.network_reach`) rather than
    snapped to a far street. ``path`` is the places file, named in the message; rows are
    counted as in a spreadsheet (header = row 1).
    """
    snapped = snap_points(network, *points_xy(places, network.crs))
    problems = []
    for position in np.flatnonzero(snapped.distance_m > max_distance_m):
        name = places[name_field].iloc[position] if name_field in places else f"#{position + 1}"
        problems.append(Problem(
            path, f"{name!r} is {snapped.distance_m[position]:,.0f} m from the nearest walkable "
            f"street (more than {max_distance_m:.0f} m), so it is left out of walking reach.",
            row=int(places["row"].iloc[position]) if "row" in places else int(position) + 2,
            field="geometry",
            fix="Check its position (lon/lat swapped?), or use a street extract that covers it.",
            severity=Severity.WARNING))
    return problems


def clean_josm_xml(path: Path, out_path: Path) -> int:
    """
    Copy an OSM XML file without the objects JOSM marks ``action='delete'``.

    Objects new in JOSM have negative ids, which libosmium cannot locate; they are renumbered
    to :data:`NEW_OBJECT_ID_OFFSET` + |id|. Streams (``iterparse``), so memory stays flat for
    large files. Returns how many objects were left out.
    """
    skipped = 0
    with _open_xml(path) as source, open(out_path, "wb") as out:
        out.write(b"<?xml version='1.0' encoding='UTF-8'?>\n")
        out.write(b"<osm version='0.6' generator='ibasho'>\n")
        depth = 0
        for event, element in ET.iterparse(source, events=("start", "end")):
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth != 1:
                continue
            if element.get("action") == "delete":
                skipped += 1
            else:
                element.attrib.pop("action", None)
                for item in (element, *element):
                    for key in ("id", "ref"):
                        value = item.get(key)
                        if value is not None and value.startswith("-"):
                            item.set(key, str(NEW_OBJECT_ID_OFFSET + int(value[1:])))
                out.write(ET.tostring(element, encoding="utf-8", xml_declaration=False))
            element.clear()
        out.write(b"</osm>\n")
    return skipped


def _open_xml(path: Path):
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def _needs_cleaning(path: Path) -> bool:
    """Whether an XML file has JOSM deletions or new (negative-id) objects."""
    marks = (b"action='delete'", b'action="delete"', b"id='-", b'id="-', b"ref='-", b'ref="-')
    tail = b""
    with _open_xml(path) as source:
        while chunk := source.read(1 << 20):
            if any(mark in tail + chunk for mark in marks):
                return True
            tail = chunk[-20:]
    return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read_ways(path: Path) -> tuple[list[np.ndarray], list[np.ndarray], list[str], int]:
    """Node ids and lon/lat per walkable way (split at missing nodes), kinds, # highway ways."""
    import osmium

    reader_path = path
    with tempfile.TemporaryDirectory(prefix="ibasho-osm-") as tmp:
        if path.name.lower().endswith(_XML_SUFFIXES) and _needs_cleaning(path):
            reader_path = Path(tmp) / "cleaned.osm"
            skipped = clean_josm_xml(path, reader_path)
            logger.info("Ignored %d objects marked action='delete' in %s", skipped, path.name)
        node_ids, lonlats, kinds = [], [], []
        n_highway = 0
        try:
            processor = (osmium.FileProcessor(str(reader_path), osmium.osm.NODE | osmium.osm.WAY)
                         .with_locations()
                         .with_filter(osmium.filter.KeyFilter("highway"))
                         .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)))
            for entity in processor:
                way = cast(osmium.osm.Way, entity)  # EntityFilter(WAY) lets only ways through
                n_highway += 1
                if not way.visible or not is_walkable(way.tags):
                    continue
                ids, coords = [], []
                for node in way.nodes:
                    if node.location.valid():
                        ids.append(node.ref)
                        coords.append((node.location.lon, node.location.lat))
                        continue
                    if len(ids) > 1:  # a node outside the extract: keep the part before it
                        node_ids.append(np.array(ids))
                        lonlats.append(np.array(coords))
                        kinds.append(way.tags["highway"])
                    ids, coords = [], []
                if len(ids) > 1:
                    node_ids.append(np.array(ids))
                    lonlats.append(np.array(coords))
                    kinds.append(way.tags["highway"])
        except RuntimeError as exc:  # libosmium's parse errors
            raise LayerError.single(
                path, f"pyosmium cannot read this file: {exc}.",
                fix="Check that it is a complete OSM XML or PBF file.") from None
    return node_ids, lonlats, kinds, n_highway


def _build(path: Path, *, area, metric_crs: str, min_component_m: float,
           source: str) -> StreetNetwork:
    way_nodes, way_lonlats, way_kinds, n_highway = _read_ways(path)
    if not way_nodes:
        raise LayerError.single(
            path, f"The file has no walkable ways ({n_highway} ways have a highway tag, "
            "none of them a street or path a pedestrian may use).",
            fix="Use an extract that contains the area's streets (highway=residential, "
                "footway, ...), e.g. cut from a Geofabrik Japan file with osmium extract.")
    lengths = np.array([len(ids) for ids in way_nodes])
    all_ids = np.concatenate(way_nodes)
    all_lonlat = np.concatenate(way_lonlats)
    _, first, node_of = np.unique(all_ids, return_index=True, return_inverse=True)
    # consecutive nodes of a way form an edge; skip the pair that straddles two ways
    starts = np.arange(len(all_ids) - 1)
    last_of_way = np.cumsum(lengths) - 1
    starts = np.setdiff1d(starts, last_of_way, assume_unique=True)
    u, v = node_of[starts], node_of[starts + 1]
    kind = np.repeat(np.array(way_kinds, dtype="<U16"), lengths - 1)
    lon, lat = all_lonlat[first, 0], all_lonlat[first, 1]
    if area is not None:
        segments = shapely.linestrings(np.stack([np.column_stack([lon[u], lat[u]]),
                                                 np.column_stack([lon[v], lat[v]])], axis=1))
        shapely.prepare(area)
        inside = shapely.intersects(area, segments)
        if not inside.any():
            minx, miny, maxx, maxy = area.bounds
            raise LayerError.single(
                path, f"The extract (lon {lon.min():.4f}–{lon.max():.4f}, lat {lat.min():.4f}–"
                f"{lat.max():.4f}) does not overlap the study area (lon {minx:.4f}–{maxx:.4f}, "
                f"lat {miny:.4f}–{maxy:.4f}).",
                fix="Use an OSM extract of the study area.")
        u, v, kind = u[inside], v[inside], kind[inside]
    to_metric = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    x, y = to_metric.transform(lon, lat)
    loops = u == v  # a way that visits the same node twice in a row
    network = StreetNetwork.from_arrays(x, y, u[~loops], v[~loops], kind=kind[~loops],
                                        crs=str(metric_crs), source=source)
    network = network.subset(np.ones(network.n_edges, dtype=bool))  # drop unused nodes
    network = drop_small_components(network, min_length_m=min_component_m)
    logger.info("Read %s: %d walkable ways → %d nodes, %d street segments, %.1f km",
                path.name, len(way_nodes), network.n_nodes, network.n_edges,
                network.length_m.sum() / 1000)
    return network


def _read_cache(cache_path: Path, key: dict) -> StreetNetwork | None:
    if not cache_path.exists():
        return None
    try:
        with np.load(cache_path, allow_pickle=False) as stored:
            stored_key = json.loads(str(stored["key"]))
            if stored_key != key:
                logger.info("Cache %s was made from another file version or settings; "
                            "rebuilding", cache_path.name)
                return None
            return StreetNetwork(stored["x"], stored["y"], stored["u"], stored["v"],
                                 stored["length_m"], stored["kind"], str(stored["crs"]),
                                 str(stored["source"]))
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("Cache %s is unreadable (%s); rebuilding", cache_path.name, exc)
        return None


def _write_cache(cache_path: Path, network: StreetNetwork, key: dict) -> None:
    with atomic_path(cache_path) as tmp, open(tmp, "wb") as out:
        np.savez(out, x=network.x, y=network.y, u=network.u, v=network.v,
                 length_m=network.length_m, kind=network.kind.astype("<U16"),
                 crs=network.crs, source=network.source, key=json.dumps(key))
    logger.info("Cached the street network in %s", cache_path)
