"""Car physics: a kinematic bicycle referenced at the car's centre, with a cruise controller.

`move` is the rule for one car, compiled (see `sim.jit`); the world's step kernel calls
it for each of its N cars. `step` is the same rule for a `CarState` of floats or of (N,)
arrays, for code outside the world (tests, the expert's own rollouts).
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass

import numpy as np

from sim.config import CarParams
from sim.jit import kernel


@dataclass(frozen=True)
class CarState:
    """Position of the car's centre [m], heading [rad], speed [m/s], front-wheel angle [rad]."""

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    speed: np.ndarray
    steer: np.ndarray


# CarParams as the float64 vector a kernel takes: index constants in CarParams' field order
WHEELBASE, MAX_STEER, STEER_RATE, MAX_ACCEL, MAX_BRAKE, DRAG, MAX_SPEED, CRUISE, CRUISE_GAIN = range(9)


def constants(params: CarParams) -> np.ndarray:
    """(9,) float64: `params`' fields in order (see the index constants above)."""
    return np.array(astuple(params), dtype=np.float64)


@kernel
def _clip(v, lo, hi):
    return min(max(v, lo), hi)


@kernel
def move(x, y, heading, speed, steer, steer_cmd, throttle, use_throttle, cruise_mps, dt_s, p):
    """One car, `dt_s` seconds on. Returns (x, y, heading, speed, steer) [m, m, rad, m/s, rad].

    Args:
        x, y, heading, speed, steer: the car now (steer: the front wheels' angle [rad]).
        steer_cmd: desired steering in [-1, 1], +1 = full left lock. The wheel moves toward
            it no faster than the steering rate.
        throttle: in [-1, 1] (+ accelerates, - brakes), used when `use_throttle`; else the
            cruise controller holds `cruise_mps`.
        p: `constants(CarParams)`.
    """
    max_delta = p[STEER_RATE] * dt_s
    target = _clip(steer_cmd, -1.0, 1.0) * p[MAX_STEER]
    new_steer = steer + _clip(target - steer, -max_delta, max_delta)

    drag = p[DRAG] * speed * speed
    if use_throttle:
        t = _clip(throttle, -1.0, 1.0)
        accel = t * (p[MAX_ACCEL] if t >= 0 else p[MAX_BRAKE])
    else:  # proportional control plus drag feed-forward, so the speed settles on the target
        accel = _clip(p[CRUISE_GAIN] * (cruise_mps - speed) + drag, -p[MAX_BRAKE], p[MAX_ACCEL])
    new_speed = _clip(speed + (accel - drag) * dt_s, 0.0, p[MAX_SPEED])

    # Kinematic bicycle at the centre of mass, half-way between the axles: the velocity
    # points at slip angle beta off the heading, and the heading turns at v*sin(beta)/l_r.
    beta = math.atan(0.5 * math.tan(new_steer))
    travel = (0.5 * dt_s) * (speed + new_speed)  # trapezoidal speed over the step [m]
    direction = heading + beta
    return (
        x + travel * math.cos(direction),
        y + travel * math.sin(direction),
        heading + travel * math.sin(beta) / (0.5 * p[WHEELBASE]),
        new_speed,
        new_steer,
    )


@kernel
def _move_all(x, y, heading, speed, steer, steer_cmd, throttle, use_throttle, cruise_mps, dt_s, p):
    out = np.empty((5, len(x)))
    for i in range(len(x)):
        out[0, i], out[1, i], out[2, i], out[3, i], out[4, i] = move(
            x[i], y[i], heading[i], speed[i], steer[i], steer_cmd[i], throttle[i], use_throttle, cruise_mps[i], dt_s, p
        )
    return out


def step(state: CarState, steer_cmd, throttle_cmd, dt_s: float, params: CarParams, cruise_mps=None) -> CarState:
    """`move` for a CarState of floats (one car) or of (N,) arrays (N cars).

    `throttle_cmd` None lets the cruise controller hold `cruise_mps` (None: the params').
    """
    p = constants(params)
    cruise = params.cruise_speed_mps if cruise_mps is None else cruise_mps
    use_throttle = throttle_cmd is not None
    if np.ndim(state.x) == 0:
        return CarState(
            *move(
                float(state.x),
                float(state.y),
                float(state.heading),
                float(state.speed),
                float(state.steer),
                float(steer_cmd),
                float(throttle_cmd) if use_throttle else 0.0,
                use_throttle,
                float(cruise),
                dt_s,
                p,
            )
        )
    n = len(state.x)

    def each(v):
        return np.ascontiguousarray(np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)))

    out = _move_all(
        *(each(v) for v in astuple(state)),
        each(steer_cmd),
        each(throttle_cmd if use_throttle else 0.0),
        use_throttle,
        each(cruise),
        dt_s,
        p,
    )
    return CarState(*out)
