"""Benchmark the prefecture batch: all 35 municipalities of Gunma on a local Dask cluster.

Writes the 35 configs (``scripts/make_gunma_configs.py``) and the batch output under a
temporary folder (never inside the repository), runs ``ibasho batch``'s :func:`run_batch` from
scratch (``force``) on a local cluster of ``--workers`` processes, and reports the wall time
(configs, straight-line analysis of every area, the GeoPackage), the workers' peak memory and
the GeoPackage's size. Real data: ``../shared/data/gunma``.

The last line is ``RESULT {...}`` (JSON) with ``batch_gunma_s`` and ``batch_areas``.

Usage: python scripts/bench_scale.py [--workers 2] [--data ../shared/data/gunma]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_gunma_configs import DEFAULT_DATA, write_configs  # noqa: E402

from webmap.cli.batch import run_batch  # noqa: E402


def _peak_mb() -> float:
    """This process's peak resident memory in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory(prefix="ibasho-bench-scale-") as tmp:
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            started = time.perf_counter()
            configs = write_configs(Path(tmp) / "configs", args.data)
            report = run_batch(configs, Path(tmp) / "out", client=client, force=True)
            seconds = time.perf_counter() - started
            worker_mb = client.run(_peak_mb)
        size_mb = report.geopackage.stat().st_size / 1e6
        task_s = sum(r.seconds for r in report.done)
    print(f"{len(report.done)} areas, {len(report.failed)} failed, {args.workers} workers: "
          f"{seconds:.1f} s wall, {task_s:.1f} s of tasks (CPU-bound, one thread each); "
          f"peak per worker {max(worker_mb.values()):.0f} MB; GeoPackage {size_mb:.1f} MB")
    for failed in report.failed:
        print(f"FAILED {failed.municipality}: {failed.error}")
    print("RESULT " + json.dumps({"batch_gunma_s": round(seconds, 2),
                                  "batch_areas": len(report.done) - len(report.failed)}))


if __name__ == "__main__":
    main()
