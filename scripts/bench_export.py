"""Benchmark printed sheets: an A4 300 dpi PNG of a district and of the city, then every district,
then every district's guidebook (PDF).

Usage::

    .venv/bin/python scripts/bench_export.py [--district 箕郷] [--workers 2] [--out DIR]

The last line is ``RESULT {"district_png_s": …, "city_png_s": …, "batch_s": …,
"guidebooks_s": …, "peak_mb": …}`` (seconds; peak resident memory of this process and its
workers, in MB). ``guidebooks_s`` is every district's guidebook as an A4 PDF, written by
``--workers`` processes (:func:`webmap.prints.guidebook_files.export_guidebooks`).
The district sheet is
timed first and includes projecting the layers, which later sheets reuse.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data import get_path
from layers.fields.schedule import japan_today
from layers.study import analyse_study_area, load_study_area
from webmap.prints.guidebook_files import export_guidebooks
from webmap.prints.sheet import SheetOptions, export_all_districts, export_sheet

#: What the benchmark prints: A4 portrait PNG at 300 dpi.
A4_PNG = SheetOptions(paper="A4", dpi=300, fmt="png")


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # ru_maxrss is in kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(get_path("takasaki")),
                        help="study-area config (default: the embedded Takasaki one)")
    parser.add_argument("--district", default="箕郷", help="the district of the single sheet")
    parser.add_argument("--workers", type=int, default=2, help="processes for the batch")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep the sheets here (default: a temporary folder)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    start = time.perf_counter()
    study = load_study_area(args.config)
    coverage = analyse_study_area(study)
    print(f"load+analyse: {time.perf_counter() - start:.2f} s", file=sys.stderr)

    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        export_sheet(study, coverage, district=args.district, out=out / "district.png",
                     options=A4_PNG)
        district_s = time.perf_counter() - start
        print(f"district A4 300 dpi PNG: {district_s:.2f} s", file=sys.stderr)

        start = time.perf_counter()
        export_sheet(study, coverage, out=out / "city.png", options=A4_PNG)
        city_s = time.perf_counter() - start
        print(f"city A4 300 dpi PNG: {city_s:.2f} s", file=sys.stderr)

        start = time.perf_counter()
        paths = export_all_districts(study, coverage, out_dir=out / "districts", options=A4_PNG,
                                     workers=args.workers)
        batch_s = time.perf_counter() - start
        print(f"{len(paths)} district sheets, {args.workers} workers: {batch_s:.2f} s "
              f"({batch_s / len(paths):.2f} s per sheet)", file=sys.stderr)

        start = time.perf_counter()
        books = export_guidebooks(study, coverage, out=out / "guidebooks", today=japan_today(),
                                  near_url="https://example.org/near", workers=args.workers)
        guidebooks_s = time.perf_counter() - start
        print(f"{len(books)} district guidebooks (A4 PDF), {args.workers} workers: "
              f"{guidebooks_s:.2f} s", file=sys.stderr)

    result = {"district_png_s": round(district_s, 2), "city_png_s": round(city_s, 2),
              "batch_s": round(batch_s, 2), "guidebooks_s": round(guidebooks_s, 2),
              "peak_mb": round(_peak_mb(), 1)}
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
