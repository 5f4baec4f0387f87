"""How many people walk in to each place, and who a new site would take from full places.

Each person (a population point, weights per point) walks to the nearest place within
``radius_m`` and is counted there once (:func:`walk_in_people`): a place's walk-in population,
to compare with its capacity (定員). :func:`relieved_people` counts, for candidate sites, the
people of overloaded places who would have the new site nearer. Arrays in a metric CRS in,
arrays out; straight-line distances (a caller converts minutes to metres).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["relieved_people", "walk_in_people"]


def _nearest(place_xy: np.ndarray, people_xy: np.ndarray,
             radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Distance to and index of each person's nearest place within ``radius_m`` (inf, n)."""
    if len(place_xy) == 0 or len(people_xy) == 0:
        return np.full(len(people_xy), np.inf), np.full(len(people_xy), len(place_xy))
    # scipy's bound is strict: the next float up counts a person at exactly radius_m too
    return cKDTree(place_xy).query(people_xy, distance_upper_bound=np.nextafter(radius_m, np.inf))


def walk_in_people(place_xy: np.ndarray, people_xy: np.ndarray, weights: np.ndarray, *,
                   radius_m: float) -> np.ndarray:
    """
    People whose nearest place is each place and who live within ``radius_m`` of it.

    Examples
    --------
    >>> walk_in_people(np.array([[0, 0], [1000, 0]]), np.array([[100, 0], [900, 0], [5000, 0]]),
    ...                np.array([10.0, 20.0, 99.0]), radius_m=500).tolist()
    [10.0, 20.0]
    """
    distance, index = _nearest(np.asarray(place_xy, float), np.asarray(people_xy, float),
                               radius_m)
    reached = np.isfinite(distance)
    return np.bincount(index[reached], weights=np.asarray(weights, float)[reached],
                       minlength=len(place_xy)).astype(float)


def relieved_people(site_xy: np.ndarray, place_xy: np.ndarray, people_xy: np.ndarray,
                    weights: np.ndarray, overloaded: np.ndarray, *,
                    radius_m: float) -> np.ndarray:
    """
    For each site, the people now walking in to an ``overloaded`` place (a boolean per place)
    who live within ``radius_m`` of the site and nearer to it than to their place.

    Examples
    --------
    >>> relieved_people(np.array([[300, 0]]), np.array([[0, 0]]),
    ...                 np.array([[250, 0], [-100, 0]]), np.array([5.0, 7.0]),
    ...                 np.array([True]), radius_m=500).tolist()
    [5.0]
    """
    people_xy = np.asarray(people_xy, float)
    weights = np.asarray(weights, float)
    distance, index = _nearest(np.asarray(place_xy, float), people_xy, radius_m)
    full = np.append(np.asarray(overloaded, bool), False)  # index n: no place within reach
    crowded = np.isfinite(distance) & full[index]
    result = np.zeros(len(site_xy))
    if not crowded.any() or len(site_xy) == 0:
        return result
    who, far = people_xy[crowded], distance[crowded]
    tree = cKDTree(who)
    for number, site in enumerate(np.asarray(site_xy, float)):
        near = np.asarray(tree.query_ball_point(site, radius_m), dtype=int)
        if len(near):
            closer = np.hypot(*(who[near] - site).T) < far[near]
            result[number] = float(weights[crowded][near][closer].sum())
    return result
