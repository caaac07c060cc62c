import math

import numpy as np
import pytest

from sim.config import SensorParams
from sim.sensors import make_rays, read_rays
from sim.track import from_seed
from sim.trackset import TrackSet
from tests.helpers import stadium

TRACK = stadium()
FAN = make_rays(SensorParams())  # 9 rays: -90, -67.5, ..., +90 degrees


def read_rays_one(fan, track, x, y, heading):
    """The rays of one car, (r,)."""
    return read_rays(fan, TrackSet([track]), np.array([x]), np.array([y]), np.array([heading]))[0]


@pytest.mark.parametrize("x", [-100.0, -3.7, 0.0, 42.25, 99.0])
def test_perpendicular_rays_read_half_width_from_centre(x):
    d = read_rays_one(FAN, TRACK, x, -60.0, 0.0)  # lower straight, heading +x
    assert d[0] == pytest.approx(5.0, abs=1e-6)  # right
    assert d[-1] == pytest.approx(5.0, abs=1e-6)  # left


def test_offset_and_diagonal_rays_match_geometry():
    d = read_rays_one(FAN, TRACK, 0.0, -60.0 + 2.0, 0.0)  # 2 m left of centre
    assert d[-1] == pytest.approx(3.0, abs=1e-6)
    assert d[0] == pytest.approx(7.0, abs=1e-6)
    diag = FAN.angles[-2]  # +67.5 degrees
    assert d[-2] == pytest.approx(3.0 / math.sin(diag), abs=1e-6)
    assert d[4] == pytest.approx(50.0)  # straight ahead: nothing within range


def test_off_road_reads_zero():
    d = read_rays_one(FAN, TRACK, 0.0, -60.0 - 7.0, 0.0)
    assert np.all(d == 0.0)


def test_far_off_road_reads_zero_even_facing_the_road():
    # 10 m outside the lower straight's edge, facing the road
    d = read_rays_one(FAN, TRACK, 0.0, -60.0 - 5.0 - 10.0, math.pi / 2)
    assert np.all(d == 0.0)


def test_batched_rays_equal_single_car_rays():
    tracks = [TRACK, from_seed(5), from_seed(1_000_007)]
    rng = np.random.default_rng(0)
    idx = [int(rng.integers(t.n)) for t in tracks]
    x = np.array([t.centerline[i, 0] + rng.uniform(-3, 3) for t, i in zip(tracks, idx)])
    y = np.array([t.centerline[i, 1] + rng.uniform(-3, 3) for t, i in zip(tracks, idx)])
    h = np.array([t.heading[i] + rng.uniform(-0.3, 0.3) for t, i in zip(tracks, idx)])
    batch = read_rays(FAN, TrackSet(tracks), x, y, h)
    for k in range(3):
        one = read_rays_one(FAN, tracks[k], x[k], y[k], h[k])
        assert np.allclose(batch[k], one, atol=1e-9)


def test_a_car_off_its_road_beside_one_on_a_longer_track_reads_zero():
    """The last car of a batch is off its (short) road while the car before it sees its own
    (long) road at a vertex past the short track's end: the off-road car must read zeros,
    not look up the other car's vertex in its own rows (it once raised IndexError)."""
    long, short = TRACK, from_seed(11)
    assert long.n > short.n + 100
    v = long.n - 10  # a vertex the short track does not have
    heading = long.heading[v]
    last = heading + FAN.angles[-1]  # the batch's last sample before the off-road car's is this ray's farthest
    x0 = long.centerline[v, 0] - FAN.t_m[-1] * math.cos(last)
    y0 = long.centerline[v, 1] - FAN.t_m[-1] * math.sin(last)
    x1, y1 = short.centerline.min(0) - 30.0  # far off its road
    d = read_rays(FAN, TrackSet([long, short]), np.array([x0, x1]), np.array([y0, y1]), np.array([heading, 0.0]))
    assert np.all(d[1] == 0.0)
    assert np.array_equal(d[0], read_rays_one(FAN, long, x0, y0, heading))
