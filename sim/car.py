"""Car physics: a kinematic bicycle referenced at the car's centre, with a cruise controller.

`step` is pure: it takes a state and an action and returns a new state. Every field may be
a float or an (N,) array, so one function steps one car or a whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from sim.config import CarParams


@dataclass(frozen=True)
class CarState:
    """Position of the car's centre [m], heading [rad], speed [m/s], front-wheel angle [rad]."""

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    steer: np.ndarray


# The same formulas serve one car (Python floats) and a batch (numpy arrays). Both use
# numpy's trig functions, which give bit-identical results on scalars and arrays (math's
# tan and atan differ in the last bit), so a batch of N cars equals N single envs exactly.
_SCALAR = SimpleNamespace(
    clip=lambda v, lo, hi: min(max(v, lo), hi),
    where=lambda c, a, b: a if c else b,
    atan=lambda v: float(np.arctan(v)), tan=lambda v: float(np.tan(v)),
    sin=lambda v: float(np.sin(v)), cos=lambda v: float(np.cos(v)),
)  # fmt: skip
_ARRAY = SimpleNamespace(
    clip=lambda v, lo, hi: np.minimum(np.maximum(v, lo), hi),  # np.clip's wrapper costs ~3 us
    where=np.where, atan=np.arctan, tan=np.tan, sin=np.sin, cos=np.cos,
)  # fmt: skip


def step(state: CarState, steer_cmd, throttle_cmd, dt_s: float, params: CarParams) -> CarState:
    """Advance the car by `dt_s` seconds.

    Args:
        state: current state (floats or (N,) arrays).
        steer_cmd: desired steering in [-1, 1], +1 = full left lock. The wheel moves toward
            it no faster than `params.max_steer_rate_radps`.
        throttle_cmd: in [-1, 1] (+ accelerates, - brakes), or None to let the cruise
            controller hold `params.cruise_speed_mps`.
        dt_s: time step [s].
        params: the car.
    """
    m = _SCALAR if isinstance(state.x, float) else _ARRAY
    target = m.clip(steer_cmd, -1.0, 1.0) * params.max_steer_rad
    max_delta = params.max_steer_rate_radps * dt_s
    steer = state.steer + m.clip(target - state.steer, -max_delta, max_delta)

    if throttle_cmd is None:
        # proportional control plus drag feed-forward, so the speed settles on the target
        accel = m.clip(
            params.cruise_gain_per_s * (params.cruise_speed_mps - state.speed)
            + params.drag_per_m * state.speed * state.speed,
            -params.max_brake_mps2,
            params.max_accel_mps2,
        )
    else:
        t = m.clip(throttle_cmd, -1.0, 1.0)
        accel = m.where(t >= 0, t * params.max_accel_mps2, t * params.max_brake_mps2)
    accel = accel - params.drag_per_m * state.speed * state.speed
    speed = m.clip(state.speed + accel * dt_s, 0.0, params.max_speed_mps)

    # Kinematic bicycle at the centre of mass, half-way between the axles: the velocity
    # points at slip angle beta off the heading, and the heading turns at v*sin(beta)/l_r.
    lr = 0.5 * params.wheelbase_m
    beta = m.atan(0.5 * m.tan(steer))
    v = 0.5 * (state.speed + speed)  # trapezoidal speed over the step
    direction = state.heading + beta
    return CarState(
        x=state.x + v * m.cos(direction) * dt_s,
        y=state.y + v * m.sin(direction) * dt_s,
        heading=state.heading + v * m.sin(beta) / lr * dt_s,
        speed=speed,
        steer=steer,
    )
