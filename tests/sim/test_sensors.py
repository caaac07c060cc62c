import math

import numpy as np
import pytest

from sim.config import RasterParams, SensorParams
from sim.raster import build
from sim.sensors import make_rays, read_rays
from tests.helpers import stadium

TRACK = stadium()
RASTER = build(TRACK, RasterParams())
FAN = make_rays(SensorParams())  # 9 rays: -90, -67.5, ..., +90 degrees


@pytest.mark.parametrize("x", [-100.0, -3.7, 0.0, 42.25, 99.0])
def test_perpendicular_rays_read_half_width_from_centre(x):
    d = read_rays(FAN, TRACK, RASTER, x, -60.0, 0.0)  # lower straight, heading +x
    assert d[0] == pytest.approx(5.0, abs=1e-6)  # right
    assert d[-1] == pytest.approx(5.0, abs=1e-6)  # left


def test_offset_and_diagonal_rays_match_geometry():
    d = read_rays(FAN, TRACK, RASTER, 0.0, -60.0 + 2.0, 0.0)  # 2 m left of centre
    assert d[-1] == pytest.approx(3.0, abs=1e-6)
    assert d[0] == pytest.approx(7.0, abs=1e-6)
    diag = FAN.angles[-2]  # +67.5 degrees
    assert d[-2] == pytest.approx(3.0 / math.sin(diag), abs=1e-6)
    assert d[4] == pytest.approx(50.0)  # straight ahead: nothing within range


def test_off_road_reads_zero():
    d = read_rays(FAN, TRACK, RASTER, 0.0, -60.0 - 7.0, 0.0)
    assert np.all(d == 0.0)
