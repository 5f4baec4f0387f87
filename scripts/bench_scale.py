"""Benchmark scale: a SYNTHETIC city of 1.3 million walk nodes, and the Gunma prefecture batch.

The city: the shared generator (``shared/bench/synthetic_walk_network.py``) with a grid side
of 1150 (written to /tmp, never into the repository; its figures are synthetic), and, made
here from its network with a fixed seed, 3,000 places (near random nodes), 1,000,000
population points (around random nodes) and 300 districts (Voronoi cells clipped to the
network's hull). Timed, in a process of its own as each peer's: the graph and the snap index
(once per network); the whole job as
``scripts/bench_reach.py`` does it (snap places and people, reach at 5/10/15 min, coverage
per district, 9,000 per-place isochrones and 3 merged ones), step by step; a what-if (add a
site, remove the busiest place); the next 10 sites over every node; this process's peak
memory. The same job the peers' way, each in its own process, time-boxed at 10 minutes and
reported as cut when it runs out: Pandana ``nearest_pois`` (contraction hierarchies; reach
and coverage, no polygons), and cityseer's ``compute_accessibilities`` (its Rust core; the
network built with its ``NetworkStructure``; people counted at their nearest node).

The batch: writes the 35 configs (``scripts/make_gunma_configs.py``) and the batch output under a
temporary folder (never inside the repository), runs ``ibasho batch``'s :func:`run_batch` from
scratch (``force``) on a local cluster of ``--workers`` processes, and reports the wall time
(configs, straight-line analysis of every area, the GeoPackage), the workers' peak memory and
the GeoPackage's size. Real data: ``../shared/data/gunma``.

The last line is ``RESULT {...}`` (JSON): ``nodes``, ``places``, ``people``, ``ibasho_s``,
``setup_s``, ``peak_mb``, ``what_if_ms``, ``next_sites_s``, ``pandana_s``, ``cityseer_s``
(null when cut), ``batch_gunma_s`` and ``batch_areas``.

Usage: python scripts/bench_scale.py [--workers 2] [--data ../shared/data/gunma]
       [--side 1150] [--peer-timeout 600] [--skip-city] [--skip-batch]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_gunma_configs import DEFAULT_DATA, write_configs  # noqa: E402

from geo.coverage.on_streets import People, coverage_by_district_network, district_of_points  # noqa: E402
from geo.planning.siting import node_candidates, suggest_sites, what_if  # noqa: E402
from geo.streets.isochrones import walk_isochrones  # noqa: E402
from geo.streets.network import StreetNetwork, snap_points  # noqa: E402
from geo.streets.reach import network_reach, walk_graph  # noqa: E402
from geo.streets.walking import PROFILES  # noqa: E402
from webmap.cli.batch import local_cluster, run_batch  # noqa: E402

THRESHOLDS = (5.0, 10.0, 15.0)
PROFILE = PROFILES["elderly"]
N_PLACES, N_PEOPLE, N_DISTRICTS = 3_000, 1_000_000, 300


def _peak_mb() -> float:
    """This process's peak resident memory in MB (Linux reports kB; a process started from
    this one begins with this one's peak, so the big city runs in a process of its own)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def city_arrays(shared: Path, side: int) -> Path:
    """The generator's network at ``side`` plus this benchmark's places, people and districts,
    as .npz files in /tmp (made once per side)."""
    folder = Path(f"/tmp/ibasho-synthetic-{side}")
    if not (folder / "net.npz").exists():
        subprocess.run([sys.executable, str(shared / "bench" / "synthetic_walk_network.py"),
                        str(side), str(folder)], check=True)
    if not (folder / "scaled.npz").exists():
        net = np.load(folder / "net.npz")
        x, y = net["x"], net["y"]
        rng = np.random.default_rng(1150)
        at = rng.choice(len(x), N_PLACES, replace=False)
        fx, fy = x[at] + rng.normal(0, 20, N_PLACES), y[at] + rng.normal(0, 20, N_PLACES)
        home = rng.choice(len(x), N_PEOPLE)
        px, py = x[home] + rng.normal(0, 30, N_PEOPLE), y[home] + rng.normal(0, 30, N_PEOPLE)
        weights = rng.gamma(2.0, 1.85, N_PEOPLE)
        from scipy.spatial import ConvexHull

        corners = np.column_stack([x, y])
        hull = shapely.Polygon(corners[ConvexHull(corners).vertices])
        seeds = shapely.multipoints(np.column_stack([rng.uniform(x.min(), x.max(), N_DISTRICTS),
                                                     rng.uniform(y.min(), y.max(), N_DISTRICTS)]))
        cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=hull.buffer(5000)))
        districts = shapely.intersection(cells, hull)
        districts = districts[~shapely.is_empty(districts)]
        np.savez(folder / "scaled.npz", fx=fx, fy=fy, px=px, py=py, w=weights,
                 districts=shapely.to_wkb(districts))
    return folder


def load_city(folder: Path) -> tuple:
    """(network, places xy, people xy, weights, districts) of :func:`city_arrays`."""
    net, scaled = np.load(folder / "net.npz"), np.load(folder / "scaled.npz", allow_pickle=True)
    network = StreetNetwork.from_arrays(net["x"], net["y"], net["u"], net["v"],
                                        length_m=net["length"], crs="EPSG:6677",
                                        source="SYNTHETIC")
    return (network, (scaled["fx"], scaled["fy"]), (scaled["px"], scaled["py"]), scaled["w"],
            shapely.from_wkb(scaled["districts"]))


def timed(steps: dict, name: str, function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    steps[name] = time.perf_counter() - start
    return result


def ibasho_city(folder: Path) -> dict:
    """The whole job on the scaled city, step by step, in this process."""
    network, places_xy, people_xy, weights, districts = load_city(folder)
    before_mb = _peak_mb()
    setup: dict[str, float] = {}
    graph = timed(setup, "graph", walk_graph, network, PROFILE)
    timed(setup, "snap index", snap_points, network, np.array([0.0]), np.array([0.0]))
    steps: dict[str, float] = {}
    places = timed(steps, "snap places", snap_points, network, *places_xy)
    reach = timed(steps, "reach", network_reach, graph, places, limit_minutes=max(THRESHOLDS))
    snapped = timed(steps, "snap people", snap_points, network, *people_xy)
    district = timed(steps, "districts of people", district_of_points, *people_xy, districts)
    people = People(snapped, weights, district, [f"district {i + 1}"
                                                 for i in range(len(districts))], "total")
    coverage = timed(steps, "coverage", coverage_by_district_network, reach, people, THRESHOLDS)
    isochrones = timed(steps, "isochrones", walk_isochrones, reach, THRESHOLDS)
    job_s = sum(steps.values())
    site = snap_points(network, np.array([1500.0]), np.array([-2500.0]))
    what: dict[str, float] = {}
    timed(what, "add", what_if, reach, people, THRESHOLDS, add=site, base=coverage)
    busiest = int(np.bincount(reach.nearest[reach.nearest >= 0]).argmax())
    timed(what, "remove", what_if, reach, people, THRESHOLDS, remove=busiest, base=coverage)
    sites: dict[str, float] = {}
    suggestion = timed(sites, "next 10", suggest_sites, reach, people, node_candidates(reach),
                       minutes=10.0, k=10)
    peak = _peak_mb()
    city = coverage.city.set_index("minutes")
    print(f"SYNTHETIC city: {network.n_nodes:,} nodes, {network.n_edges:,} street segments, "
          f"{len(places_xy[0]):,} places, {len(weights):,} population points, "
          f"{len(districts)} districts (data loaded: {before_mb:.0f} MB)")
    print("  setup once per network: " + ", ".join(f"{k} {v:.2f} s" for k, v in setup.items()))
    print(f"  ibasho whole job {job_s:.2f} s: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
    print(f"  {len(isochrones):,} isochrone polygons; covered within 5/10/15 min: "
          + ", ".join(f"{100 * city.loc[m, 'covered_share']:.1f} %" for m in THRESHOLDS))
    print(f"  what-if add {what['add'] * 1000:.0f} ms, remove the busiest place "
          f"{what['remove'] * 1000:.0f} ms; next 10 sites over all {network.n_nodes:,} nodes "
          f"{sites['next 10']:.1f} s (+{suggestion.table['newly_covered'].sum():,.0f} people); "
          f"peak {peak:.0f} MB")
    return {"nodes": network.n_nodes, "places": len(places_xy[0]), "people": len(weights),
            "ibasho_s": round(job_s, 2), "setup_s": round(sum(setup.values()), 2),
            "peak_mb": round(peak), "what_if_ms": round(1000 * max(what.values()), 1),
            "next_sites_s": round(sites["next 10"], 2),
            "steps_s": {k: round(v, 2) for k, v in {**setup, **steps}.items()},
            "covered_share": [round(float(city.loc[m, "covered_share"]), 4)
                              for m in THRESHOLDS]}


def pandana_city(folder: Path) -> dict:
    """Pandana's way (``bench_reach.pandana_job``: nearest_pois + coverage, no polygons)."""
    from bench_reach import pandana_job

    network, places_xy, people_xy, weights, districts = load_city(folder)
    total_s, build_s = pandana_job(network, places_xy, people_xy, weights, districts)
    return {"seconds": total_s, "build_s": build_s}


def cityseer_city(folder: Path) -> dict:
    """cityseer's way: its NetworkStructure of the streets, ``compute_accessibilities`` of the
    places at 5/10/15 min (its Rust core; nearest place per node), people at their nearest
    node, counted per district."""
    import geopandas as gpd
    import pandas as pd
    from cityseer import config, rustalgos
    from cityseer.metrics import layers
    from scipy.spatial import cKDTree

    config.QUIET_MODE = True
    network, places_xy, people_xy, weights, districts = load_city(folder)
    start = time.perf_counter()
    structure = rustalgos.graph.NetworkStructure()
    for i, (x, y) in enumerate(zip(network.x, network.y, strict=True)):
        structure.add_street_node(str(i), float(x), float(y), True, 1.0)
    for i, (u, v) in enumerate(zip(network.u, network.v, strict=True)):
        a, b = int(u), int(v)
        wkt = (f"LINESTRING ({network.x[a]} {network.y[a]}, {network.x[b]} {network.y[b]})")
        structure.add_street_edge(a, b, i, str(a), str(b), wkt, 1.0)
        structure.add_street_edge(b, a, i, str(b), str(a), wkt, 1.0)
    structure.validate()
    structure.build_edge_rtree()
    build_s = time.perf_counter() - start
    nodes = gpd.GeoDataFrame({"x": network.x, "y": network.y, "live": True, "weight": 1.0},
                             index=[str(i) for i in range(network.n_nodes)],
                             geometry=gpd.points_from_xy(network.x, network.y),
                             crs=network.crs)
    data = gpd.GeoDataFrame({"kind": "place"}, geometry=gpd.points_from_xy(*places_xy),
                            crs=network.crs, index=pd.RangeIndex(len(places_xy[0])))
    speed_m_s = PROFILE.speed_m_per_min / 60
    nodes = layers.compute_accessibilities(data, "kind", ["place"], nodes, structure,
                                           minutes=list(THRESHOLDS), speed_m_s=speed_m_s,
                                           max_netw_assign_dist=500)
    nearest_m = nodes[next(c for c in nodes.columns if "nearest_max" in c)].to_numpy(float)
    _, home = cKDTree(np.column_stack([network.x, network.y])).query(
        np.column_stack(people_xy), workers=-1)
    district = district_of_points(*people_xy, districts)
    minutes = nearest_m[home] / PROFILE.speed_m_per_min
    for limit in THRESHOLDS:
        np.bincount(district, weights=weights * (minutes <= limit))
    return {"seconds": time.perf_counter() - start, "build_s": build_s}


def run_peer(name: str, folder: Path, timeout_s: float) -> dict | None:
    """A peer's job in its own process, cut after ``timeout_s``; None when cut or failed."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, __file__, "--peer", name, "--arrays", str(folder)],
                              capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        print(f"  {name}: CUT after {timeout_s:.0f} s (time-boxed; did not finish)")
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("PEER ")]
    if done.returncode or not lines:
        print(f"  {name}: failed after {time.perf_counter() - started:.0f} s: "
              f"{done.stderr.strip().splitlines()[-1:]}")
        return None
    result = json.loads(lines[-1][5:])
    print(f"  {name}: {result['seconds']:.1f} s (building its network {result['build_s']:.1f} s)")
    return result


def city_in_own_process(folder: Path) -> dict:
    """:func:`ibasho_city` in a fresh process, as each peer's job: no threads are left there
    from the batch (so the isochrones may fork their second worker), and the peak memory is
    the job's own."""
    done = subprocess.run([sys.executable, __file__, "--peer", "ibasho", "--arrays", str(folder)],
                          stdout=subprocess.PIPE, text=True, check=True)
    result = {}
    for line in done.stdout.splitlines():
        if line.startswith("PEER "):
            result = json.loads(line[5:])
        else:
            print(line)
    return result


def batch_gunma(data: Path, workers: int) -> dict:
    """All 35 municipalities from scratch on a local cluster of ``workers``."""
    from distributed import Client

    with tempfile.TemporaryDirectory(prefix="ibasho-bench-scale-") as tmp:
        with local_cluster(workers) as cluster, Client(cluster) as client:
            started = time.perf_counter()
            configs = write_configs(Path(tmp) / "configs", data)
            report = run_batch(configs, Path(tmp) / "out", client=client, force=True)
            seconds = time.perf_counter() - started
            worker_mb = client.run(_peak_mb)
        size_mb = report.geopackage.stat().st_size / 1e6
        task_s = sum(r.seconds for r in report.done)
    print(f"Gunma batch: {len(report.done)} areas, {len(report.failed)} failed, {workers} "
          f"workers: {seconds:.1f} s wall, {task_s:.1f} s of tasks; peak per worker "
          f"{max(worker_mb.values()):.0f} MB; GeoPackage {size_mb:.1f} MB")
    for failed in report.failed:
        print(f"FAILED {failed.municipality}: {failed.error}")
    return {"batch_gunma_s": round(seconds, 2),
            "batch_areas": len(report.done) - len(report.failed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--side", type=int, default=1150)
    parser.add_argument("--peer-timeout", type=float, default=600.0)
    parser.add_argument("--skip-city", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--peer", choices=["ibasho", "pandana", "cityseer"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--arrays", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:  # one peer's job, in the process run_peer started
        job = {"ibasho": ibasho_city, "pandana": pandana_city, "cityseer": cityseer_city}[args.peer]
        print("PEER " + json.dumps(job(args.arrays)))
        return
    result: dict = {}
    folder = None if args.skip_city else city_arrays(args.shared, args.side)
    if folder is not None:  # first, on a machine the batch has not just worked hard
        result.update(city_in_own_process(folder))
    if not args.skip_batch:  # (this process stays small: a worker's peak starts from it)
        result.update(batch_gunma(args.data, args.workers))
    if folder is not None:
        for name in ("pandana", "cityseer"):
            peer = run_peer(name, folder, args.peer_timeout)
            result[f"{name}_s"] = None if peer is None else round(peer["seconds"], 1)
            if peer is not None:
                print(f"  → ibasho is {peer['seconds'] / result['ibasho_s']:.1f}× faster "
                      f"than {name}")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
