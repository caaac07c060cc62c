import math

import numpy as np
import pytest

from sim.car import CarState, step
from sim.config import CarParams

P = CarParams()


def drive(state, steer, throttle, seconds, dt=1 / 30, params=P):
    for _ in range(int(round(seconds / dt))):
        state = step(state, steer, throttle, dt, params)
    return state


def test_straight_at_cruise_covers_v_times_t():
    s = drive(CarState(0.0, 0.0, 0.3, P.cruise_speed_mps, 0.0), 0.0, None, 5.0)
    assert math.hypot(s.x, s.y) == pytest.approx(P.cruise_speed_mps * 5.0, rel=1e-3)
    assert math.atan2(s.y, s.x) == pytest.approx(0.3, abs=1e-9)


def test_cruise_control_reaches_target_speed_from_rest():
    s = drive(CarState(0.0, 0.0, 0.0, 0.0, 0.0), 0.0, None, 10.0)
    assert s.speed == pytest.approx(P.cruise_speed_mps, abs=0.3)


def test_steering_rate_is_limited_and_reaches_full_lock():
    s = step(CarState(0.0, 0.0, 0.0, 10.0, 0.0), 1.0, None, 1 / 30, P)
    assert s.steer == pytest.approx(P.max_steer_rate_radps / 30)
    s = drive(s, 1.0, None, 1.0)
    assert s.steer == pytest.approx(P.max_steer_rad)


def test_constant_steer_drives_a_circle_of_the_bicycle_radius():
    steer = 0.5 * P.max_steer_rad
    radius = (P.wheelbase_m / 2) / math.sin(math.atan(0.5 * math.tan(steer)))
    s = CarState(0.0, 0.0, 0.0, P.cruise_speed_mps, steer)
    xs, ys = [], []
    for _ in range(600):
        s = step(s, 0.5, None, 1 / 60, P)
        xs.append(s.x)
        ys.append(s.y)
    xs, ys = np.array(xs), np.array(ys)
    cx, cy = (xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2
    assert np.hypot(xs - cx, ys - cy).mean() == pytest.approx(radius, rel=0.01)


def test_brake_stops_and_speed_never_negative():
    s = drive(CarState(0.0, 0.0, 0.0, 10.0, 0.0), 0.0, -1.0, 3.0)
    assert s.speed == 0.0


def test_batch_equals_single():
    states = [CarState(float(i), 0.0, 0.1 * i, 5.0 + i, 0.0) for i in range(4)]
    steer = [0.2, -0.5, 1.0, 0.0]
    batch = CarState(*(np.array([getattr(s, f) for s in states]) for f in ("x", "y", "heading", "speed", "steer")))
    out = step(batch, np.array(steer), None, 0.05, P)
    for i, s in enumerate(states):
        one = step(s, steer[i], None, 0.05, P)
        assert one.x == pytest.approx(out.x[i]) and one.heading == pytest.approx(out.heading[i])
