"""Car physics: a kinematic bicycle referenced at the car's centre, with a cruise controller.

`step` is pure: it takes a state and an action and returns a new state. Every field may be
a float or an (N,) array, so one function steps one car or a whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def _clip(v, lo: float, hi: float):
    """min(max(v, lo), hi) for a float (builtins: ~20x cheaper) or an array (np.clip's
    wrapper costs ~3 us a call); both round identically."""
    if isinstance(v, float):
        return min(max(v, lo), hi)
    return np.minimum(np.maximum(v, lo), hi)


def step(state: CarState, steer_cmd, throttle_cmd, dt_s: float, params: CarParams, cruise_mps=None) -> CarState:
    """Advance the car by `dt_s` seconds.

    One car (floats) or a batch ((N,) arrays) go through the same formulas: arithmetic
    and numpy's trig functions round alike on both, so a batch equals as many single cars.

    Args:
        state: current state (floats or (N,) arrays).
        steer_cmd: desired steering in [-1, 1], +1 = full left lock. The wheel moves toward
            it no faster than `params.max_steer_rate_radps`.
        throttle_cmd: in [-1, 1] (+ accelerates, - brakes), or None to let the cruise
            controller hold `params.cruise_speed_mps`.
        dt_s: time step [s].
        params: the car.
        cruise_mps: the cruise controller's target (a float or (N,)); None: params'.
    """
    max_delta = params.max_steer_rate_radps * dt_s
    target = _clip(steer_cmd, -1.0, 1.0) * params.max_steer_rad
    steer = state.steer + _clip(target - state.steer, -max_delta, max_delta)

    drag = params.drag_per_m * state.speed * state.speed
    if throttle_cmd is None:
        # proportional control plus drag feed-forward, so the speed settles on the target
        cruise = params.cruise_speed_mps if cruise_mps is None else cruise_mps
        accel = _clip(params.cruise_gain_per_s * (cruise - state.speed) + drag, -params.max_brake_mps2, params.max_accel_mps2)
    else:
        t = _clip(throttle_cmd, -1.0, 1.0)
        accel = t * np.where(t >= 0, params.max_accel_mps2, params.max_brake_mps2)
    speed = _clip(state.speed + (accel - drag) * dt_s, 0.0, params.max_speed_mps)

    # Kinematic bicycle at the centre of mass, half-way between the axles: the velocity
    # points at slip angle beta off the heading, and the heading turns at v*sin(beta)/l_r.
    beta = np.arctan(0.5 * np.tan(steer))
    travel = (0.5 * dt_s) * (state.speed + speed)  # trapezoidal speed over the step [m]
    direction = state.heading + beta
    return CarState(
        x=state.x + travel * np.cos(direction),
        y=state.y + travel * np.sin(direction),
        heading=state.heading + travel * np.sin(beta) / (0.5 * params.wheelbase_m),
        speed=speed,
        steer=steer,
    )
