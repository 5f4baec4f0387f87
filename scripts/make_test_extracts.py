"""Make the small real OSM files in tests/data/ from the shared extracts (see SOURCES.md).

Writes:
- ``nagoya_sakae_josm.osm``: central Nagoya as exported from JOSM (1.3 MB), with its 580
  objects marked ``action='delete'`` kept, so tests can check they are ignored.
- ``nagoya_sakae_josm.osm.bz2``: the same, bzip2-compressed (tests the .osm.bz2 reader).
- ``monaco.osm.gz``: Monaco (GraphHopper's test file), gzip-compressed XML.

Usage: python scripts/make_test_extracts.py [SHARED_DATA_DIR]
(default: ../shared/data beside the repository). © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import bz2
import logging
import shutil
import sys
from pathlib import Path

logger = logging.getLogger("make_test_extracts")
REPO = Path(__file__).resolve().parents[1]


def main(shared: Path) -> None:
    out = REPO / "tests" / "data"
    out.mkdir(parents=True, exist_ok=True)
    nagoya = shared / "osm" / "nagoya_sakae_josm_export.osm"
    shutil.copyfile(nagoya, out / "nagoya_sakae_josm.osm")
    (out / "nagoya_sakae_josm.osm.bz2").write_bytes(bz2.compress(nagoya.read_bytes()))
    shutil.copyfile(shared / "osm" / "monaco_graphhopper.osm.gz", out / "monaco.osm.gz")
    for path in sorted(out.glob("*.osm*")):
        logger.info("%s: %.0f kB", path.name, path.stat().st_size / 1024)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data")
