"""How fast older residents walk: profiles, slopes (Tobler's hiking function) and steps.

Defaults
--------
- ``elderly`` (高齢者): 60 m/min = 1.0 m/s, the pace Japanese barrier-free guidelines use for
  older people (the 80 m/min of property adverts is for the young).
- ``cane`` (杖・シニアカー): 42 m/min = 0.7 m/s, people walking with a stick or riding a
  mobility scooter.

Slopes follow Tobler's hiking function ``6·exp(-3.5·|s + 0.05|)`` km/h, scaled so that flat
ground gives the profile's speed: the factor is ``exp(-3.5·(|s + 0.05| - 0.05))``. Tobler's
walkers are fastest on a gentle descent (×1.19 at s = -5 %); older walkers are not (knees,
fear of falling), so the elderly variant caps the factor at 1: descents never speed them up,
steep descents still slow them, and climbs slow them exactly as in Tobler. Slopes are rise
over run along each street segment, clipped to ±100 % (steeper values are DEM noise on short
segments). Steps are not walked by slope: their flat time is multiplied by the profile's
``steps_factor`` (2 for ``elderly``; 4 for ``cane``; ``inf`` avoids steps altogether).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import overload

import numpy as np

from geo.streets.network import StreetNetwork

logger = logging.getLogger(__name__)
__all__ = [
    "DEFAULT_PROFILE",
    "ELDERLY_WALK_SPEED_M_PER_MIN",
    "MAX_ABS_SLOPE",
    "MAX_DOWNHILL_FACTOR",
    "PROFILES",
    "STREET_DETOUR_FACTOR",
    "EdgeMinutes",
    "WalkProfile",
    "edge_minutes",
    "metres_to_minutes",
    "minutes_to_metres",
    "slope_speed_factor",
]

#: Slopes beyond this (rise/run) are clipped: on a 5 m segment, 1 m of DEM error is 20 %.
MAX_ABS_SLOPE = 1.0

#: Tobler's fastest pace relative to flat ground (at a 5 % descent): ``exp(3.5 · 0.05)``.
MAX_DOWNHILL_FACTOR = math.exp(0.175)

#: Older walkers' pace: 1.0 m/s = 60 m/min (the pace Japanese barrier-free guidelines use
#: for older people; the usual 80 m/min of property adverts is for the young).
ELDERLY_WALK_SPEED_M_PER_MIN = 60.0

#: Without a street network, walking distance ≈ straight-line distance × this factor
#: (1.3 is the ratio commonly measured on Japanese urban street grids).
STREET_DETOUR_FACTOR = 1.3


@dataclass(frozen=True)
class WalkProfile:
    """
    How a study area's residents walk, and the thresholds its maps and analyses use.

    Built once from the config (``layers.config.load_config``) and passed down: every
    conversion between minutes and metres goes through :meth:`metres`, :meth:`minutes` and
    :meth:`straight_minutes`, and every "threshold shown first" is :attr:`default_radius_m`
    or :attr:`default_minutes`.
    """

    #: Key used in configs, e.g. ``"elderly"``.
    name: str
    #: Speed on flat ground, m/min (> 0).
    speed_m_per_min: float
    #: Label for maps and tables (Japanese).
    label: str
    #: Steps take this many times their flat walking time (≥ 1; ``inf`` = never use steps).
    steps_factor: float = 2.0
    #: Whether gentle descents speed the walker up (Tobler) or not (older walkers).
    downhill_speedup: bool = False
    #: Walking distance ≈ straight-line distance × this factor (≥ 1) without streets.
    detour_factor: float = STREET_DETOUR_FACTOR
    #: Straight-line radii, metres, ascending (empty: none configured).
    radii_m: tuple[float, ...] = ()
    #: Network thresholds, minutes, ascending (empty: none configured).
    network_minutes: tuple[float, ...] = ()
    #: The radius shown first and used for suggestions (one of ``radii_m``; None: the middle).
    default_radius: float | None = None
    #: The network threshold shown first and used for suggestions (None: the middle).
    default_network_minutes: float | None = None

    def __post_init__(self) -> None:
        if not self.speed_m_per_min > 0 or not math.isfinite(self.speed_m_per_min):
            msg = f"`speed_m_per_min` must be a number > 0, got {self.speed_m_per_min!r}."
            raise ValueError(msg)
        if not self.steps_factor >= 1:
            msg = f"`steps_factor` must be ≥ 1 (or inf), got {self.steps_factor!r}."
            raise ValueError(msg)
        if not self.detour_factor >= 1:
            msg = f"`detour_factor` must be ≥ 1, got {self.detour_factor!r}."
            raise ValueError(msg)
        if self.default_radius is not None and self.default_radius not in self.radii_m:
            msg = f"`default_radius` {self.default_radius!r} is not one of {self.radii_m}."
            raise ValueError(msg)
        if (self.default_network_minutes is not None
                and self.default_network_minutes not in self.network_minutes):
            msg = (f"`default_network_minutes` {self.default_network_minutes!r} is not one "
                   f"of {self.network_minutes}.")
            raise ValueError(msg)

    @overload
    def metres(self, minutes: float) -> float: ...

    @overload
    def metres(self, minutes: np.ndarray) -> np.ndarray: ...

    def metres(self, minutes: float | np.ndarray) -> float | np.ndarray:
        """
        Distance walked on flat ground in ``minutes``.

        Examples
        --------
        >>> PROFILES["cane"].metres(10)
        420.0
        """
        return minutes * self.speed_m_per_min

    @overload
    def minutes(self, distance_m: float) -> float: ...

    @overload
    def minutes(self, distance_m: np.ndarray) -> np.ndarray: ...

    def minutes(self, distance_m: float | np.ndarray) -> float | np.ndarray:
        """
        Minutes to walk ``distance_m`` along the streets on flat ground.

        Examples
        --------
        >>> PROFILES["elderly"].minutes(600.0)
        10.0
        """
        return distance_m / self.speed_m_per_min

    @overload
    def straight_minutes(self, distance_m: float) -> float: ...

    @overload
    def straight_minutes(self, distance_m: np.ndarray) -> np.ndarray: ...

    def straight_minutes(self, distance_m: float | np.ndarray) -> float | np.ndarray:
        """
        Estimated minutes to walk a straight-line distance (× :attr:`detour_factor`).

        Examples
        --------
        >>> PROFILES["elderly"].straight_minutes(500.0)
        10.833333333333334
        """
        return self.minutes(distance_m * self.detour_factor)

    def furthest_metres(self, minutes: float) -> float:
        """The furthest anyone with this profile can get in ``minutes`` (fastest descent)."""
        factor = MAX_DOWNHILL_FACTOR if self.downhill_speedup else 1.0
        return float(self.metres(minutes)) * factor

    @property
    def default_radius_m(self) -> float:
        """The straight-line radius shown first and used for suggestions."""
        return _shown_first(self.radii_m, self.default_radius, what="straight-line radii")

    @property
    def default_minutes(self) -> float:
        """The network threshold (minutes) shown first and used for suggestions."""
        return _shown_first(self.network_minutes, self.default_network_minutes,
                            what="network thresholds")

    def default_threshold(self, method: str) -> float:
        """:attr:`default_minutes` for ``method="network"``, else :attr:`default_radius_m`."""
        return self.default_minutes if method == "network" else self.default_radius_m


def _shown_first(thresholds: tuple[float, ...], chosen: float | None, *, what: str) -> float:
    """The threshold chosen to be shown first, else the middle one (the one rule of both)."""
    if chosen is not None:
        return chosen
    if not thresholds:
        msg = f"This walking profile has no {what}."
        raise ValueError(msg)
    return float(sorted(thresholds)[len(thresholds) // 2])


#: The profiles offered out of the box (a config may add its own ``WalkProfile``).
PROFILES: dict[str, WalkProfile] = {
    "elderly": WalkProfile("elderly", ELDERLY_WALK_SPEED_M_PER_MIN, "高齢者（毎分60 m）",
                           steps_factor=2.0),
    "cane": WalkProfile("cane", 42.0, "杖・シニアカー（毎分42 m）", steps_factor=4.0),
}
#: The profile a config gets when it names none.
DEFAULT_PROFILE = PROFILES["elderly"]


@dataclass(frozen=True)
class EdgeMinutes:
    """Minutes to walk each edge of a network, in each direction."""

    #: From ``u`` to ``v``.
    forward: np.ndarray
    #: From ``v`` to ``u``.
    backward: np.ndarray
    #: The profile used.
    profile: WalkProfile
    #: True when times follow the terrain; False means flat ground was assumed.
    slope_aware: bool


def slope_speed_factor(slope: np.ndarray, *, downhill_speedup: bool = False) -> np.ndarray:
    """
    Speed relative to flat ground on a slope (rise/run; positive = uphill).

    Examples
    --------
    >>> float(slope_speed_factor(np.array(0.0)))
    1.0
    >>> round(float(slope_speed_factor(np.array(0.10))), 3)
    0.705
    >>> float(slope_speed_factor(np.array(-0.05)))
    1.0
    """
    slope = np.clip(np.asarray(slope, dtype=float), -MAX_ABS_SLOPE, MAX_ABS_SLOPE)
    factor = np.exp(-3.5 * (np.abs(slope + 0.05) - 0.05))
    return factor if downhill_speedup else np.minimum(factor, 1.0)


def edge_minutes(network: StreetNetwork, profile: WalkProfile, *,
                 elevation_m: np.ndarray | None = None) -> EdgeMinutes:
    """
    Walking minutes along every edge, both ways.

    Parameters
    ----------
    network
        The streets.
    profile
        Walking pace (see :data:`PROFILES`).
    elevation_m
        Height of every node in metres (e.g. from :func:`geo.streets.elevation.sample_elevation`);
        without it, flat ground is assumed and the result says so (``slope_aware=False``).

    Returns
    -------
    EdgeMinutes
        ``forward`` (u → v) and ``backward`` (v → u) minutes; they differ only on slopes.
    """
    flat = profile.minutes(network.length_m)
    steps = network.kind == "steps"
    if elevation_m is None:
        forward = flat.copy()
        backward = flat.copy()
        logger.info("Walking times for %s on flat ground (no elevation data)", profile.name)
    else:
        elevation_m = np.asarray(elevation_m, dtype=float)
        if elevation_m.shape != (network.n_nodes,):
            msg = (f"`elevation_m` needs one value per node ({network.n_nodes}), "
                   f"got shape {elevation_m.shape}.")
            raise ValueError(msg)
        if not np.isfinite(elevation_m).all():
            msg = "`elevation_m` has missing values; fill or refuse them when loading the DEM."
            raise ValueError(msg)
        rise_m = elevation_m[network.v] - elevation_m[network.u]
        run_m = np.maximum(network.length_m, 1e-9)
        slope = np.where(network.length_m > 0, rise_m / run_m, 0.0)
        forward = flat / slope_speed_factor(slope, downhill_speedup=profile.downhill_speedup)
        backward = flat / slope_speed_factor(-slope, downhill_speedup=profile.downhill_speedup)
        logger.info("Walking times for %s follow the terrain (median |slope| %.1f %%)",
                    profile.name, 100 * float(np.median(np.abs(slope))) if len(slope) else 0.0)
    forward[steps] = flat[steps] * profile.steps_factor
    backward[steps] = flat[steps] * profile.steps_factor
    return EdgeMinutes(forward, backward, profile, slope_aware=elevation_m is not None)


def minutes_to_metres(minutes: float, profile: WalkProfile) -> float:
    """Flat-ground distance walked in ``minutes`` (e.g. for the straight-line comparison)."""
    if not minutes > 0:
        msg = f"`minutes` must be > 0, got {minutes!r}."
        raise ValueError(msg)
    return float(profile.metres(minutes))


def metres_to_minutes(distance_m: float, profile: WalkProfile) -> float:
    """Minutes to walk ``distance_m`` on flat ground: for thresholds given in metres."""
    if not distance_m > 0:
        msg = f"`distance_m` must be > 0, got {distance_m!r}."
        raise ValueError(msg)
    return float(profile.minutes(distance_m))
