"""Benchmark reading an e-Stat 250 m mesh file of a prefecture (target: ≤ 2 s for ~50,000 rows).

The file is SYNTHETIC: written to a temporary folder (never into the repository) in the exact
layout e-Stat serves (``tblT001142Q….txt`` zipped: CP932, CRLF, a code row, a label row, the
秘匿処理 columns HTKSYORI/HTKSAKI/GASSAN, 50 count columns, ``*`` in about 2 % of cells hidden
into a neighbour), with made-up counts over Gunma's extent. Its figures are synthetic.

Timed (best of ``--repeat`` runs, each a fresh read):

- ``read_s``: ``load_population`` with ``format = "estat_mesh"`` clipped to Takasaki (decode,
  parse, check every row, spread the hidden counts, cells, keep those in the study area);
- ``read_all_s``: the same without a study area (every cell becomes a polygon);
- ``baseline_s``: the naive pandas way: ``pd.read_csv(encoding="cp932", skiprows=[1])`` of
  every column, ``*`` and ``-`` replaced, then one ``shapely.box`` per row from a Python
  function decoding the code digit by digit (no checks, no 秘匿処理).

The last line is ``RESULT {...}`` (JSON).

Usage: python scripts/bench_estat.py [--rows 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from data import get_path  # noqa: E402
from geo.mesh import mesh_code_at  # noqa: E402
from layers.config import LayerConfig, load_config  # noqa: E402
from layers.files.points import StudyExtent  # noqa: E402
from layers.files.population import load_population  # noqa: E402
from layers.study import study_outline  # noqa: E402

logger = logging.getLogger("bench_estat")

#: Gunma's extent (lon/lat): where the synthetic cells are.
GUNMA_BBOX = (138.40, 35.98, 139.70, 37.06)
N_COLUMNS = 50


def write_synthetic_file(folder: Path, n_rows: int, seed: int = 0) -> Path:
    """A zipped 250 m table of ``n_rows`` populated cells, in e-Stat's layout (made-up counts)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = GUNMA_BBOX
    codes: np.ndarray = np.array([], dtype=str)
    while len(codes) < n_rows:
        lon = rng.uniform(west, east, n_rows * 2)
        lat = rng.uniform(south, north, n_rows * 2)
        codes = np.unique(np.concatenate([codes, mesh_code_at(lon, lat, digits=10)]))
    codes = np.sort(rng.choice(codes, n_rows, replace=False))
    total = rng.integers(1, 400, n_rows)
    age65 = (total * rng.uniform(0.15, 0.45, n_rows)).astype(int)
    age75 = age65 // 2
    age85 = age75 // 3
    counts = np.column_stack([total, *(rng.integers(0, 50, (N_COLUMNS - 1, n_rows)))]).astype(
        object)
    counts[:, 18], counts[:, 21], counts[:, 24] = age65, age75, age85
    secrecy = np.zeros(n_rows, dtype=int)
    target = np.full(n_rows, "", dtype=object)
    gassan = np.full(n_rows, "", dtype=object)
    hidden = rng.choice(np.arange(1, n_rows, 2), n_rows // 50, replace=False)
    for member in hidden:  # hidden into the cell listed before it
        carrier = member - 1
        if secrecy[carrier]:
            continue
        secrecy[member], secrecy[carrier] = 2, 1
        target[member], gassan[carrier] = codes[carrier], codes[member]
        counts[carrier, 3:] = counts[carrier, 3:] + counts[member, 3:]
        counts[member, 3:] = "*"
    counts[counts == 0] = "-"
    columns = [f"T001142{i:03d}" for i in range(1, N_COLUMNS + 1)]
    lines = [",".join(["KEY_CODE", "HTKSYORI", "HTKSAKI", "GASSAN", *columns]),
             ",".join(["", "", "", "", "　人口（総数）", *(f"　項目{i}" for i in range(2, 19)),
                       "　６５歳以上人口　総数", "　項目20", "　項目21", "　７５歳以上人口　総数",
                       "　項目23", "　項目24", "　８５歳以上人口　総数",
                       *(f"　項目{i}" for i in range(26, N_COLUMNS + 1))])]
    for i in range(n_rows):
        lines.append(",".join([codes[i], str(secrecy[i]), target[i], gassan[i],
                               *map(str, counts[i])]))
    path = folder / "synthetic_tblT001142Q10.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.comment = b"SYNTHETIC numbers for a benchmark, not census data"
        archive.writestr("tblT001142Q10.txt", ("\r\n".join(lines) + "\r\n").encode("cp932"))
    return path


def naive_read(path: Path):
    """The way one might do it by hand: every column through pandas, a box per row in Python."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    with zipfile.ZipFile(path) as archive:
        data = archive.read(archive.namelist()[0])
    frame = pd.read_csv(io.BytesIO(data), encoding="cp932", skiprows=[1], dtype=str)
    for column in frame.columns[4:]:
        frame[column] = pd.to_numeric(frame[column].replace({"*": None, "-": "0"}))

    def cell(code: str):
        lat = int(code[:2]) / 1.5 + int(code[4]) / 12 + int(code[6]) / 120
        lon = 100 + int(code[2:4]) + int(code[5]) / 8 + int(code[7]) / 80
        for digit, size in ((code[8], 1 / 240), (code[9], 1 / 480)):
            quarter = int(digit) - 1
            lat += (quarter // 2) * size
            lon += (quarter % 2) * size * 1.5
        return shapely.box(lon, lat, lon + 1 / 320, lat + 1 / 480)

    return gpd.GeoDataFrame(frame, geometry=[cell(c) for c in frame["KEY_CODE"]], crs=4326)


def best_of(repeat: int, job) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="cells in the synthetic file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (best is kept)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = load_config(get_path("takasaki"))
    extent = StudyExtent(study_outline(config), metric_crs=config.metric_crs)
    with tempfile.TemporaryDirectory(prefix="ibasho-bench-estat-") as folder:
        path = write_synthetic_file(Path(folder), args.rows)
        print(f"SYNTHETIC 250 m mesh file, e-Stat layout: {path.name} "
              f"({path.stat().st_size / 1e6:.1f} MB zipped, {args.rows:,} rows)")
        layer = LayerConfig("population", path, {}, {"format": "estat_mesh"})
        read_s, (population, _) = best_of(args.repeat, lambda: load_population(layer,
                                                                               extent=extent))
        read_all_s, (everything, _) = best_of(args.repeat, lambda: load_population(layer))
        baseline_s, naive = best_of(args.repeat, lambda: naive_read(path))
    result = {"rows": args.rows, "cells_in_takasaki": len(population),
              "read_s": round(read_s, 3), "read_all_s": round(read_all_s, 3),
              "baseline_s": round(baseline_s, 3), "target_s": 2.0,
              "met": read_s <= 2.0 and read_all_s <= 2.0,
              "people_all": float(everything["total"].sum()),
              "people_baseline": float(naive["T001142001"].sum()), "synthetic": True}
    print(f"ibasho  (clipped to Takasaki, {len(population):,} cells): {read_s:.2f} s")
    print(f"ibasho  (all {len(everything):,} cells):               {read_all_s:.2f} s")
    print(f"pandas  (naive, no checks, no 秘匿処理):            {baseline_s:.2f} s")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
