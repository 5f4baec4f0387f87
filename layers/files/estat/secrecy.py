"""秘匿処理: counts e-Stat hid in one area and added to another, spread back without loss.

e-Stat hides the detail of an area with very few residents (its cells read ``*``) and adds it
to a neighbour, so that no one can be recognised. Three columns say how (the table definition
of the census, e.g. 国勢調査 地域メッシュ統計 T000847/T001142):

- ``HTKSYORI`` (秘匿処理): 0 not hidden; 1 this area also carries the hidden counts of other
  areas (合算先); 2 this area's counts are hidden and carried by another (秘匿対象);
- ``HTKSAKI`` (秘匿先): for 2, the area that carries them;
- ``GASSAN`` (合算地域): for 1, the areas whose counts it carries (``;`` between codes).

Only the columns that read ``*`` are hidden. In the census files the total population is
never hidden (秘匿対象外): every area keeps its own total, and the carrier's age counts cover
the carrier and the areas merged into it. Adding a hidden area's total to its carrier would
count those people twice; dropping the hidden ages would lose them. :func:`spread_hidden_counts`
does neither: it splits the carrier's count over the group in proportion to each member's
total (published for each), so every group still adds up to exactly what e-Stat published.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.errors import Problem
from layers.files.bands import band_problems

logger = logging.getLogger(__name__)
__all__ = ["CARRIES", "HIDDEN", "NOT_HIDDEN", "SpreadCounts", "gassan_mismatches",
           "group_band_problems", "spread_hidden_counts"]

#: ``HTKSYORI`` values.
NOT_HIDDEN, CARRIES, HIDDEN = 0, 1, 2

#: A chain of carriers longer than this (area A carried by B, B by C …) is taken as a loop.
_MAX_CHAIN = 16


@dataclass(frozen=True)
class SpreadCounts:
    """Counts with every hidden value replaced by its share of what its carrier published."""

    #: Band → counts per row (fractions where spread; NaN where unknown).
    values: dict[str, np.ndarray]
    #: The row that carries each row's hidden counts (-1: none or not in the data).
    carrier: np.ndarray
    #: Band → True where a value is hidden but no row of the data carries it.
    unresolved: dict[str, np.ndarray]
    #: Band → True where the value is a share of a group's count (the carrier and its members).
    spread: dict[str, np.ndarray]


def _carriers(keys: np.ndarray, secrecy: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The row carrying each hidden row (following carriers that are hidden in turn), or -1."""
    target = pd.Index(keys).get_indexer(pd.Index(targets))
    target = np.where(secrecy == HIDDEN, target, -1)
    carrier = target.copy()
    for _ in range(_MAX_CHAIN):
        onward = np.where(carrier >= 0, target[np.clip(carrier, 0, None)], -1)
        chained = (carrier >= 0) & (onward >= 0)
        if not chained.any():
            return carrier
        carrier = np.where(chained, onward, carrier)
    looping = (carrier >= 0) & (target[np.clip(carrier, 0, None)] >= 0)
    carrier[looping] = -1  # a loop of carriers: nobody in it carries the counts
    return carrier


def spread_hidden_counts(keys: Sequence[str] | np.ndarray, secrecy: np.ndarray,
                         targets: Sequence[str] | np.ndarray,
                         counts: Mapping[str, np.ndarray], hidden: Mapping[str, np.ndarray], *,
                         weight_band: str = "total",
                         fallback_weights: np.ndarray | None = None) -> SpreadCounts:
    """
    Spread each carrier's count over itself and the rows whose hidden value it carries.

    Parameters
    ----------
    keys
        The unique code of each row (``KEY_CODE``).
    secrecy
        ``HTKSYORI`` per row (0 where the table has no such column).
    targets
        ``HTKSAKI`` per row ('' where none).
    counts
        Band → values per row, NaN where hidden.
    hidden
        Band → True where the file says ``*``.
    weight_band
        The band whose values share out the others (spread first if hidden itself).
    fallback_weights
        Weights for ``weight_band`` itself when its values are hidden (e.g. the population of
        each small area from its boundary file); equal shares when None or unknown.

    Returns
    -------
    SpreadCounts
        Per group, the shares add up to the carrier's published count, so band sums over
        the whole file are those e-Stat published.

    Examples
    --------
    Cell B (3 people) is hidden and carried by C (57 people), whose 65+ count (20) covers
    both: B gets 20 × 3/60 = 1 and C 19; A is untouched.

    >>> spread = spread_hidden_counts(
    ...     ["A", "B", "C"], np.array([0, 2, 1]), ["", "C", ""],
    ...     {"total": np.array([64.0, 3, 57]), "age65": np.array([6.0, np.nan, 20])},
    ...     {"total": np.array([False] * 3), "age65": np.array([False, True, False])})
    >>> spread.values["age65"].tolist(), spread.values["total"].tolist()
    ([6.0, 1.0, 19.0], [64.0, 3.0, 57.0])
    """
    keys = np.asarray(keys, dtype=str)
    secrecy = np.asarray(secrecy)
    carrier = _carriers(keys, secrecy, np.asarray(targets, dtype=str))
    order = [weight_band, *(b for b in counts if b != weight_band)] if weight_band in counts \
        else list(counts)
    values: dict[str, np.ndarray] = {}
    unresolved: dict[str, np.ndarray] = {}
    spread: dict[str, np.ndarray] = {}
    rows = np.arange(len(keys))
    for band in order:
        own = np.asarray(counts[band], dtype=float).copy()
        is_hidden = np.asarray(hidden[band], dtype=bool)
        merged = is_hidden & (carrier >= 0)
        unresolved[band] = is_hidden & ~merged
        in_group = merged | np.isin(rows, carrier[merged])
        spread[band] = in_group
        if merged.any():
            members = np.flatnonzero(in_group)
            group = np.where(merged, carrier, rows)[members]
            if band == weight_band:
                weights = (np.ones(len(members)) if fallback_weights is None
                           else np.asarray(fallback_weights, dtype=float)[members])
            else:
                weights = values.get(weight_band, np.ones(len(keys)))[members]
            _, position = np.unique(group, return_inverse=True)
            unknown = np.bincount(position, weights=~np.isfinite(weights)) > 0
            weights = np.where(unknown[position] | ~np.isfinite(weights), 1.0, weights)
            total = np.bincount(position, weights=weights)
            weights = np.where(total[position] > 0, weights, 1.0)  # a group of zeros: equal
            total = np.bincount(position, weights=weights)
            own[members] = own[group] * weights / total[position]
        values[band] = own
    logger.debug("Spread hidden counts of %d rows over %d carriers", int((carrier >= 0).sum()),
                 len(np.unique(carrier[carrier >= 0])))
    return SpreadCounts(values={b: values[b] for b in counts}, carrier=carrier,
                        unresolved=unresolved, spread=spread)


def gassan_mismatches(keys: np.ndarray, secrecy: np.ndarray, gassan: np.ndarray,
                      carrier: np.ndarray) -> np.ndarray:
    """
    Rows named in a carrier's ``GASSAN`` that the data says another row carries.

    ``GASSAN`` repeats, on the carrier, what ``HTKSAKI`` says on each hidden row; ibasho
    follows ``HTKSAKI`` and reports where the two disagree. Codes of ``GASSAN`` that are not
    in the data (a neighbouring file) are not mismatches.

    Returns
    -------
    numpy.ndarray
        Indices of the rows named in the ``GASSAN`` of a row that does not carry them.
    """
    is_carrier = np.flatnonzero((np.asarray(secrecy) == CARRIES)
                                & (np.asarray(gassan, dtype=str) != ""))
    if not len(is_carrier):
        return np.array([], dtype=int)
    named = pd.Series(np.asarray(gassan, dtype=str)[is_carrier], index=is_carrier)
    pairs = named.str.split(";").explode().str.strip()
    pairs = pairs[pairs != ""]
    member = pd.Index(keys).get_indexer(pd.Index(pairs.to_numpy(dtype=str)))
    carrier_of_member = np.where(member >= 0, carrier[np.clip(member, 0, None)], -2)
    wrong = (member >= 0) & (carrier_of_member != pairs.index.to_numpy())
    return np.unique(member[wrong])


def group_band_problems(values: Mapping[str, np.ndarray], carrier: np.ndarray, *,
                        paths: np.ndarray, rows: np.ndarray,
                        fields: Mapping[str, str]) -> list[Problem]:
    """
    Age bands above the band before them, a carrier checked together with what it carries.

    A carrier's published 65+ covers its own residents and those of the hidden areas, whose
    totals are published apart: the group is checked as one, and reported at the carrier's
    row with the group's sums.
    """
    members = carrier >= 0
    carriers = np.unique(carrier[members])
    checked = {}
    for band, own in values.items():
        sums = np.asarray(own, dtype=float).copy()
        if len(carriers):
            np.add.at(sums, carrier[members], sums[members])
            sums[members] = np.nan  # reported once, at the carrier
        checked[band] = sums
    note = np.where(np.isin(np.arange(len(carrier)), carriers),
                    "(its counts include the hidden areas it carries)", "")
    return band_problems(checked, paths=paths, rows=rows, fields=fields,
                         note=note.tolist())
