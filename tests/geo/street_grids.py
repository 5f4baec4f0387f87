"""Hand-made streets of the geo tests (exact answers are known on them), in a metric CRS."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from geo.streets.network import StreetNetwork

#: The metric CRS of the hand-made streets (any metric CRS would do).
CRS = "EPSG:6677"

#: A real JOSM extract of Nagoya's Sakae (see ``tests/data/README.md``).
NAGOYA = Path(__file__).resolve().parents[1] / "data" / "nagoya_sakae_josm.osm"


def street_grid(n: int = 6, spacing_m: float = 100.0) -> StreetNetwork:
    """An n × n street grid with ``spacing_m`` blocks; node ``i * n + j`` is at (100 i, 100 j)."""
    index = np.arange(n * n).reshape(n, n)
    x, y = np.meshgrid(np.arange(n) * spacing_m, np.arange(n) * spacing_m, indexing="ij")
    edges = np.vstack([np.column_stack([index[:-1, :].ravel(), index[1:, :].ravel()]),
                       np.column_stack([index[:, :-1].ravel(), index[:, 1:].ravel()])])
    return StreetNetwork.from_arrays(x.ravel(), y.ravel(), edges[:, 0], edges[:, 1], crs=CRS)


def river_streets(apart_m: float) -> StreetNetwork:
    """
    Two east-west streets from x = 0 to 2000 (nodes every 100 m), ``apart_m`` apart with a
    river between, joined by one bridge at x = 2000.
    """
    xs = np.arange(0, 2001, 100.0)
    n = len(xs)
    x = np.concatenate([xs, xs])
    y = np.concatenate([np.zeros(n), np.full(n, apart_m)])
    south = np.column_stack([np.arange(n - 1), np.arange(1, n)])
    edges = np.vstack([south, south + n, [[n - 1, 2 * n - 1]]])
    return StreetNetwork.from_arrays(x, y, edges[:, 0], edges[:, 1], crs=CRS)
