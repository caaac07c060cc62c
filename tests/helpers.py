"""Known-answer worlds for tests."""

import platform

import numpy as np
import pytest

from sim.track import Track


def stadium(straight_m: float = 300.0, radius_m: float = 60.0, width_m: float = 10.0) -> Track:
    """A stadium loop: two long straights along x joined by half circles; starts on the lower straight."""
    pts = [(x, -radius_m) for x in np.arange(-straight_m / 2, straight_m / 2, 0.5)]
    pts += [
        (straight_m / 2 + radius_m * np.cos(a), radius_m * np.sin(a))
        for a in np.arange(-np.pi / 2, np.pi / 2, 0.5 / radius_m)
    ]
    pts += [(x, radius_m) for x in np.arange(straight_m / 2, -straight_m / 2, -0.5)]
    pts += [
        (-straight_m / 2 + radius_m * np.cos(a), radius_m * np.sin(a))
        for a in np.arange(np.pi / 2, 1.5 * np.pi, 0.5 / radius_m)
    ]
    return Track.from_polyline("stadium", width_m, np.array(pts), 1.0)


# a test that compares digests of floating-point results taken on this kind of machine:
# libm's sin, cos and hypot differ in the last bit elsewhere
LIBM_DIGESTS = pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() != "x86_64",
    reason="the digests were taken with glibc's libm (sin, cos, hypot) on x86_64",
)
