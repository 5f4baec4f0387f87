"""Street networks from real OSM files: JOSM deletions, the pedestrian filter, formats, caches."""

from __future__ import annotations

import bz2
import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from layers.errors import LayerError
from layers.files.streets import (
    clean_josm_xml,
    is_walkable,
    load_streets,
    places_far_from_streets,
)

DATA = Path(__file__).resolve().parents[2] / "data"
NAGOYA = DATA / "nagoya_sakae_josm.osm"
MONACO = DATA / "monaco.osm.gz"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
ANDORRA = SHARED / "osm" / "andorra_graphhopper.osm.pbf"
NAGOYA_CRS = "EPSG:6675"  # JGD2011 plane rectangular VII (Aichi)


def _walkable_xml_counts(path: Path) -> tuple[int, int]:
    """Nodes and segments of walkable ways, counted with a plain XML parser, deletions skipped."""
    root = ET.parse(path).getroot()
    live = [e for e in root if e.get("action") != "delete"]
    nodes, segments = set(), 0
    for way in (e for e in live if e.tag == "way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if not is_walkable(tags):
            continue
        refs = [nd.get("ref") for nd in way.iter("nd")]
        nodes.update(refs)
        segments += sum(1 for a, b in itertools.pairwise(refs) if a != b)
    return len(nodes), segments


def test_josm_deleted_objects_are_ignored(tmp_path: Path) -> None:
    text = NAGOYA.read_text(encoding="utf-8")
    assert text.count("action='delete'") == 580
    skipped = clean_josm_xml(NAGOYA, tmp_path / "clean.osm")
    assert skipped == 580
    clean = ET.parse(tmp_path / "clean.osm").getroot()
    assert sum(e.tag == "node" for e in clean) == 4949 - 579
    assert sum(e.tag == "way" for e in clean) == 767 - 1
    assert "action=" not in (tmp_path / "clean.osm").read_text(encoding="utf-8")


def test_nagoya_network_matches_a_plain_xml_count() -> None:
    network = load_streets(NAGOYA, metric_crs=NAGOYA_CRS, min_component_m=0)
    n_nodes, n_segments = _walkable_xml_counts(NAGOYA)
    assert (network.n_nodes, network.n_edges) == (n_nodes, n_segments)
    assert {"footway", "steps", "tertiary"} <= set(network.kind)
    assert "trunk" not in set(network.kind)  # Nagoya's trunks have no foot/sidewalk tags
    assert network.length_m.sum() == pytest.approx(np.hypot(
        network.x[network.v] - network.x[network.u],
        network.y[network.v] - network.y[network.u]).sum())


def test_bz2_reads_like_plain_xml() -> None:
    plain = load_streets(NAGOYA, metric_crs=NAGOYA_CRS)
    packed = load_streets(DATA / "nagoya_sakae_josm.osm.bz2", metric_crs=NAGOYA_CRS)
    assert (packed.n_nodes, packed.n_edges) == (plain.n_nodes, plain.n_edges)
    assert packed.length_m.sum() == pytest.approx(plain.length_m.sum())


def test_monaco_gz() -> None:
    network = load_streets(MONACO, metric_crs="EPSG:32632")
    assert network.n_edges > 1000
    assert 5 < network.length_m.sum() / 1000 < 500  # km of walkable street
    assert network.crs == "EPSG:32632"


@pytest.mark.skipif(not ANDORRA.exists(), reason="shared/ data not beside the repository")
def test_andorra_pbf() -> None:
    network = load_streets(ANDORRA, metric_crs="EPSG:32631")
    assert network.n_nodes > 10_000
    assert (network.kind == "steps").any() and (network.kind == "track").any()


JOSM_TEMPLATE = """<?xml version='1.0' encoding='UTF-8'?>
<osm version='0.6' generator='JOSM'>
{nodes}
{ways}
</osm>
"""


def _josm_file(path: Path, ways: dict[str, dict[str, str]],
               deleted: frozenset[str] = frozenset()) -> Path:
    """One way per entry, each a 300 m line at its own latitude near Nagoya."""
    nodes, way_xml = [], []
    for i, (name, tags) in enumerate(ways.items()):
        ids = [f"{-(10 * i + j + 1)}" for j in range(4)]
        for j, node_id in enumerate(ids):
            nodes.append(f"  <node id='{node_id}' lat='{35.17 + 0.0001 * i}' "
                         f"lon='{136.90 + 0.001 * j}' version='1' />")
        action = " action='delete'" if name in deleted else ""
        refs = "".join(f"<nd ref='{node_id}' />" for node_id in ids)
        tag_xml = "".join(f"<tag k='{k}' v='{v}' />" for k, v in {**tags, "name": name}.items())
        way_xml.append(f"  <way id='{-(1000 + i)}'{action} version='1'>{refs}{tag_xml}</way>")
    path.write_text(JOSM_TEMPLATE.format(nodes="\n".join(nodes), ways="\n".join(way_xml)),
                    encoding="utf-8")
    return path


def test_pedestrian_filter(tmp_path: Path) -> None:
    ways = {
        "residential": {"highway": "residential"},
        "deleted_footway": {"highway": "footway"},
        "motorway": {"highway": "motorway"},
        "foot_no": {"highway": "residential", "foot": "no"},
        "cycleway": {"highway": "cycleway"},
        "cycleway_foot": {"highway": "cycleway", "foot": "designated"},
        "private": {"highway": "service", "access": "private"},
        "private_foot": {"highway": "service", "access": "private", "foot": "yes"},
        "trunk": {"highway": "trunk"},
        "trunk_sidewalk": {"highway": "trunk", "sidewalk": "both"},
        "plaza": {"highway": "pedestrian", "area": "yes"},
        "railway": {"railway": "rail"},
    }
    path = _josm_file(tmp_path / "filter.osm", ways, deleted={"deleted_footway"})
    network = load_streets(path, metric_crs=NAGOYA_CRS, min_component_m=0)
    # three segments per kept way: residential, cycleway_foot, private_foot, trunk_sidewalk, plaza
    assert network.n_edges == 5 * 3
    assert sorted(set(network.kind)) == ["cycleway", "pedestrian", "residential", "service",
                                         "trunk"]


@pytest.mark.parametrize(("ways", "area", "match"), [
    ({"rail": {"railway": "rail"}, "motorway": {"highway": "motorway"}}, None,
     "no walkable ways"),
    ({"street": {"highway": "residential"}}, shapely.box(139.0, 36.3, 139.1, 36.4),
     "does not overlap the study area"),
])
def test_bad_extracts(tmp_path: Path, ways, area, match: str) -> None:
    path = _josm_file(tmp_path / "bad.osm", ways)
    with pytest.raises(LayerError, match=match) as caught:
        load_streets(path, area=area, metric_crs=NAGOYA_CRS)
    assert "bad.osm" in str(caught.value)


def test_missing_and_wrong_files(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="does not exist"):
        load_streets(tmp_path / "none.osm.pbf")
    (tmp_path / "streets.geojson").write_text("{}", encoding="utf-8")
    with pytest.raises(LayerError, match="not an OpenStreetMap file"):
        load_streets(tmp_path / "streets.geojson")
    (tmp_path / "broken.osm").write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(LayerError, match="broken.osm"):
        load_streets(tmp_path / "broken.osm")


def test_clip_to_area() -> None:
    whole = load_streets(NAGOYA, metric_crs=NAGOYA_CRS)
    west = shapely.box(136.9041, 35.1675, 136.9080, 35.1743)
    clipped = load_streets(NAGOYA, area=west, metric_crs=NAGOYA_CRS)
    assert 0 < clipped.n_edges < whole.n_edges


def test_cache_is_used_and_rebuilt_for_another_version(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "nagoya.osm"
    source.write_bytes(NAGOYA.read_bytes())
    cache_dir = tmp_path / ".ibasho-cache"
    first = load_streets(source, metric_crs=NAGOYA_CRS, cache_dir=cache_dir)
    caches = list(cache_dir.glob("streets-*.npz"))
    assert len(caches) == 1 and len(caches[0].stem) == len("streets-") + 16

    import layers.files.streets as streets

    def no_build(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(streets, "_build", no_build)
    cached = load_streets(source, metric_crs=NAGOYA_CRS, cache_dir=cache_dir)
    assert (cached.n_nodes, cached.n_edges) == (first.n_nodes, first.n_edges)
    assert np.array_equal(cached.kind, first.kind)
    monkeypatch.undo()

    # a new version of the file: its cache is made afresh, never taken from the old one
    text = source.read_text(encoding="utf-8").replace("k='highway' v='footway'",
                                                      "k='highway' v='construction'")
    source.write_text(text, encoding="utf-8")
    # plant the old cache under the new file's name: it must be detected and rebuilt
    import hashlib

    new_name = f"streets-{hashlib.sha256(source.read_bytes()).hexdigest()[:16]}.npz"
    (cache_dir / new_name).write_bytes(caches[0].read_bytes())
    rebuilt = load_streets(source, metric_crs=NAGOYA_CRS, cache_dir=cache_dir)
    assert "footway" not in set(rebuilt.kind)
    assert rebuilt.n_edges < first.n_edges


def test_place_far_from_streets_is_reported() -> None:
    network = load_streets(NAGOYA, metric_crs=NAGOYA_CRS)
    places = gpd.GeoDataFrame(
        {"name": ["栄の集会所", "遠い公民館"]},
        geometry=[shapely.Point(136.9083, 35.1708), shapely.Point(136.9083, 35.1708 + 0.018)],
        crs="EPSG:4326")
    problems = places_far_from_streets(places, network, path="places.csv")
    assert len(problems) == 1
    text = str(problems[0])
    assert "places.csv" in text and "row 3" in text and "遠い公民館" in text
    assert " m from the nearest walkable street" in text


def test_bz2_helper_roundtrip(tmp_path: Path) -> None:
    packed = tmp_path / "x.osm.bz2"
    packed.write_bytes(bz2.compress(NAGOYA.read_bytes()))
    assert clean_josm_xml(packed, tmp_path / "y.osm") == 580
