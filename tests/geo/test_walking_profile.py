"""The walking profile: one place that converts minutes and metres and picks thresholds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from geo.streets.walking import PROFILES, WalkProfile


def test_conversions_use_the_profiles_speed_and_detour() -> None:
    cane = PROFILES["cane"]
    assert cane.metres(10) == 420
    assert cane.minutes(420.0) == pytest.approx(10)
    assert cane.straight_minutes(420.0) == pytest.approx(13)
    minutes = PROFILES["elderly"].straight_minutes(np.array([600.0, 0.0]))
    assert minutes.tolist() == pytest.approx([13.0, 0.0])
    assert cane.furthest_metres(10) == 420
    tobler = dataclasses.replace(cane, downhill_speedup=True)
    assert tobler.furthest_metres(10) == pytest.approx(420 * np.exp(0.175))


def test_bad_speed_or_detour_is_refused() -> None:
    with pytest.raises(ValueError, match="speed"):
        WalkProfile("x", 0.0, "x")
    with pytest.raises(ValueError, match="detour"):
        WalkProfile("x", 60.0, "x", detour_factor=0.9)


def test_default_threshold_is_one_rule() -> None:
    profile = WalkProfile("x", 60.0, "x", radii_m=(200.0, 500.0, 800.0, 1000.0),
                          network_minutes=(5.0, 10.0, 15.0))
    assert profile.default_radius_m == 800
    assert profile.default_threshold("straight") == 800
    assert profile.default_minutes == profile.default_threshold("network") == 10
    chosen = dataclasses.replace(profile, default_radius=500.0, default_network_minutes=5.0)
    assert chosen.default_threshold("straight") == 500
    assert chosen.default_threshold("network") == 5
    with pytest.raises(ValueError, match="default_radius"):
        dataclasses.replace(profile, default_radius=300.0)
