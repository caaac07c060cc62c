"""The scripted expert: pure pursuit on the track's centreline, using privileged geometry.

It steers toward the centreline point a lookahead distance ahead of the car's own
projection; the lookahead grows with speed. Where the track has obstacles, it aims at a
path moved sideways to the free half of the road before each one and back after it
(`sim.obstacles.avoidance_offsets`, eased with cosines). One rule (`expert_steer`) for N
cars of a World; a single env is a world of one car.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import CarParams, EnvConfig


@dataclass(frozen=True)
class ExpertParams:
    lookahead_s: float = 0.45  # lookahead time [s]: distance = min + speed * this
    min_lookahead_m: float = 4.0
    max_lookahead_m: float = 20.0
    avoid: bool = True  # aim at the path past obstacles; False: the centre line, as if blind to them


def lookahead_m(speed, params: ExpertParams):
    """How far ahead along the centreline the expert aims [m]: grows with speed."""
    return np.clip(
        params.min_lookahead_m + params.lookahead_s * np.asarray(speed), params.min_lookahead_m, params.max_lookahead_m
    )


def expert_steer(
    trackset, x, y, heading, speed, s_m, car: CarParams = CarParams(), params: ExpertParams = ExpertParams()
):
    """Pure pursuit for N cars on the N tracks of a TrackSet (arrays (N,)): the steering
    in [-1, 1] toward the point `lookahead_m` ahead along each car's path (the centre line,
    moved past obstacles when `params.avoid`). `s_m`: each car's arc length [m]."""
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


CRUISE_THROTTLE_PER_MPS = 0.5  # a driver that controls the throttle holds the cruise speed with this gain


def cruise_throttle(target_mps, speed_mps):
    """The throttle in [-1, 1] that holds `target_mps` (floats or arrays)."""
    return np.clip(CRUISE_THROTTLE_PER_MPS * (np.asarray(target_mps) - np.asarray(speed_mps)), -1.0, 1.0)


class Expert:
    """The expert as a driver (`agent.drivers.spec`): steering for every car of a world."""

    keys = ("sensors",)  # it reads privileged geometry; the cheapest observation will do

    def __init__(self, params: ExpertParams = ExpertParams()):
        self.params = params
        self.name = "expert" if params.avoid else "expert-blind"

    def steer(self, world, obs=None) -> np.ndarray:
        c = world.car
        return expert_steer(world.trackset, c.x, c.y, c.heading, c.speed, world.s, world.config.car, self.params)


class ExpertDriver:
    """The expert on a DrivingEnv: the env is a world of one car, `act(obs)` its action."""

    name = "expert"

    def __init__(self, env, params: ExpertParams = ExpertParams()):
        self.env = env.unwrapped
        self.params = params
        self.driver = Expert(params)

    def reset(self) -> None:
        pass

    def act(self, obs=None) -> np.ndarray:
        w = self.env.world
        c = w.car
        steer = float(self.driver.steer(w)[0])
        if w.config.action == "steer":
            return np.array([steer], dtype=np.float32)
        return np.array([steer, float(cruise_throttle(w.cruise[0], c.speed[0]))], dtype=np.float32)


def expert_laps(
    tracks, laps: int, dt_s: float = EnvConfig.dt_s, car: CarParams = CarParams(), params: ExpertParams = ExpertParams()
):
    """Drive `laps` laps with the expert on every track at once: one car per track in a
    World (the env's own rules), sensing nothing.

    Returns (laps completed (N,) int, max |lateral offset| (N,) [m]); a car stops counting
    at its first exit from the road.
    """
    from sim.world import World

    world = World(EnvConfig(observation="sensors", dt_s=dt_s, car=car, offroad="recover", max_steps=10**9), len(tracks))
    for i, t in enumerate(tracks):
        world.set_track(i, t)
    world.reset_cars(np.arange(len(tracks)))
    ts, c = world.trackset, world.car
    worst = np.zeros(len(tracks))
    done = np.zeros(len(tracks), dtype=np.int64)
    alive = np.ones(len(tracks), dtype=bool)
    steps = int(laps * ts.length.max() / car.cruise_speed_mps / dt_s * 1.3) + 100
    for _ in range(steps):
        world.step(expert_steer(ts, c.x, c.y, c.heading, c.speed, world.s, car, params), None)
        alive &= ~world.off_road
        worst = np.where(alive, np.maximum(worst, np.abs(world.lateral)), worst)
        done = np.where(alive, np.minimum(world.laps, laps), done)
        if not (alive & (done < laps)).any():
            break
    return done.astype(int), worst
