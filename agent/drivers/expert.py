"""The scripted expert: pure pursuit on the track's centreline, using privileged geometry.

It steers toward the centreline point a lookahead distance ahead of the car's own
projection; the lookahead grows with speed. Where the track has obstacles, it aims at a
path moved sideways to the free half of the road before each one and back after it
(`sim.obstacles.avoidance_offsets`, eased with cosines). Works on one car or a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import CarParams, EnvConfig
from sim.track import Track


@dataclass(frozen=True)
class ExpertParams:
    lookahead_s: float = 0.45  # lookahead time [s]: distance = min + speed * this
    min_lookahead_m: float = 4.0
    max_lookahead_m: float = 20.0
    avoid: bool = True  # aim at the path past obstacles; False: the centre line, as if blind to them


def pure_pursuit(
    track: Track, x, y, heading, speed, s_m, car: CarParams = CarParams(), params: ExpertParams = ExpertParams()
):
    """Steering command in [-1, 1] that follows the centreline.

    Args:
        track: the road.
        x, y, heading, speed: car state [m, m, rad, m/s] (floats or (N,) arrays).
        s_m: the car's arc length along the centreline [m].
    """
    at = np.asarray(s_m) + lookahead_m(speed, params)
    target = track.point_at(at)  # (..., 2)
    if params.avoid and track.obstacles:
        from sim.trackset import avoidance

        u = at / track.ds % track.n
        i = np.floor(u).astype(np.int64)
        f = u - i
        off = avoidance(track)
        off = off[i] * (1 - f) + off[(i + 1) % track.n] * f
        h = track.heading_at(at)
        target = target + np.stack([-np.sin(h) * off, np.cos(h) * off], axis=-1)
    return _steer_towards(target[..., 0] - x, target[..., 1] - y, heading, car)


def lookahead_m(speed, params: ExpertParams):
    """How far ahead along the centreline the expert aims [m]: grows with speed."""
    return np.clip(
        params.min_lookahead_m + params.lookahead_s * np.asarray(speed), params.min_lookahead_m, params.max_lookahead_m
    )


def expert_steer(
    trackset, x, y, heading, speed, s_m, car: CarParams = CarParams(), params: ExpertParams = ExpertParams()
):
    """`pure_pursuit` for N cars on the N tracks of a TrackSet (arrays (N,))."""
    at = s_m + lookahead_m(speed, params)
    target = trackset.point_at(at)
    if params.avoid:  # the path past obstacles: the centre line moved sideways (0 where there are none)
        u = (at / trackset.ds) % trackset.n
        i = np.floor(u).astype(np.int64)
        f = u - i
        a = trackset.start + i
        b = trackset.start + (i + 1) % trackset.n
        off = trackset.avoid[a] * (1 - f) + trackset.avoid[b] * f
        target = target + 1j * trackset.tangent[a] * off
    return _steer_towards(target.real - x, target.imag - y, heading, car)


def _steer_towards(dx, dy, heading, car: CarParams):
    """Steering in [-1, 1] that puts the car on the arc through a target (dx, dy) away."""
    local_left = -np.sin(heading) * dx + np.cos(heading) * dy
    dist2 = np.maximum(dx * dx + dy * dy, 1e-6)
    curvature = 2.0 * local_left / dist2  # of the arc through the target [1/m]
    # CG-referenced bicycle: curvature = sin(beta) / l_r with tan(beta) = tan(steer) / 2
    sin_beta = np.clip(curvature * car.wheelbase_m / 2, -0.99, 0.99)
    steer = np.arctan(2.0 * np.tan(np.arcsin(sin_beta)))
    return np.clip(steer / car.max_steer_rad, -1.0, 1.0)


class ExpertDriver:
    """Drives a DrivingEnv with pure pursuit, reading the car and track from the env."""

    name = "expert"

    def __init__(self, env, params: ExpertParams = ExpertParams()):
        self.env = env.unwrapped
        self.params = params

    def reset(self) -> None:
        pass

    def act(self, obs=None) -> np.ndarray:
        env = self.env
        v = env.view()
        steer = float(pure_pursuit(v.track, v.x, v.y, v.heading, v.speed_mps, v.s_m, env.config.car, self.params))
        if env.config.action == "steer":
            return np.array([steer], dtype=np.float32)
        # with throttle: hold the cruise speed
        target = env.config.car.cruise_speed_mps
        throttle = float(np.clip(0.5 * (target - v.speed_mps), -1.0, 1.0))
        return np.array([steer, throttle], dtype=np.float32)


def expert_laps(
    tracks, laps: int, dt_s: float = EnvConfig.dt_s, car: CarParams = CarParams(), params: ExpertParams = ExpertParams()
):
    """Drive `laps` laps with the expert on every track at once, using only physics and
    geometry (no observations): one car per track, stepped as a batch.

    Returns (laps completed (N,) int, max |lateral offset| (N,) [m]); a car stops counting
    at its first exit from the road.
    """
    from sim.car import CarState, step
    from sim.trackset import TrackSet

    ts = TrackSet.of(tracks)
    start = ts.centre[ts.start]
    state = CarState(
        start.real.copy(),
        start.imag.copy(),
        ts.heading[ts.start].copy(),
        np.full(len(ts.n), car.cruise_speed_mps),
        np.zeros(len(ts.n)),
    )
    v = np.zeros(len(ts.n), dtype=np.int64)
    s = np.zeros(len(ts.n))
    progress = np.zeros(len(ts.n))
    worst = np.zeros(len(ts.n))
    alive = np.ones(len(ts.n), dtype=bool)
    steps = int(laps * ts.length.max() / car.cruise_speed_mps / dt_s * 1.3) + 100
    for _ in range(steps):
        steer = expert_steer(ts, state.x, state.y, state.heading, state.speed, s, car, params)
        state = step(state, steer, None, dt_s, car)
        v, s_new, lateral = ts.locate(state.x, state.y, v)
        progress += np.where(alive, (s_new - s + ts.length / 2) % ts.length - ts.length / 2, 0.0)
        s = s_new
        worst = np.where(alive, np.maximum(worst, np.abs(lateral)), worst)
        alive &= (np.abs(lateral) <= ts.half_width) & (progress < laps * ts.length)
        if not alive.any():
            break
    return (progress // ts.length).astype(int), worst
