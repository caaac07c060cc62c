"""The rules of one step for one car, and the kernels that loop them over a World's cars.

`step_car` moves a car, locates it on its track, counts its progress and laps, and
decides whether it left the road or hit an obstacle (and, with recovery, puts it back);
`_sense` reads every car's sensors; `_stale` finds the cars whose drawn road may not
cover what their camera can see. `sim.world.World` holds the arrays they work on.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.car import move
from sim.jit import batched, kernel
from sim.obstacles import HALF_LEN, S, touches
from sim.sensors import car_rays
from sim.trackset import locate

RECOVER_PAST_M = 4.0  # a car that hits an obstacle is put back this far past its far end


@kernel
def step_car(
    i,
    steer_cmd,
    throttle,
    use_throttle,
    trim,
    cruise,
    car_p,
    dt_s,
    x,
    y,
    heading,
    speed,
    steer,
    vertex,
    s,
    lateral,
    progress,
    laps,
    steps,
    lap_start,
    interventions,
    collisions,
    off_road,
    in_contact,
    centre,
    tangent,
    track_heading,
    start,
    n,
    ds,
    length,
    half_width,
    obs_ahead,
    obstacles,
    recover,
    offroad_penalty,
    collision_penalty,
    max_steps,
    max_laps,
    reward,
    terminated,
    truncated,
    lap_time,
):
    """The rules of one step for car i: it moves, is located on its track, counts progress
    and laps (net progress only: reversing never counts), and may leave the road or hit
    the obstacle it is passing. With `recover`, such a car is put back on the centreline
    (past the obstacle it hit); else the episode ends. Writes row i of every array.

    Args (arrays are (N,) unless said): steer_cmd, throttle, trim, cruise: the command in
        [-1, 1], the level's trim added to it, and the cruise speed [m/s]; car_p: (9,)
        `sim.car.constants`; x ... in_contact: the World's state; centre ... obs_ahead:
        the TrackSet's (R,) rows and (N,) slots; obstacles: (N, K, 9) `ObstacleTable.table`
        (K = 0: none); max_laps: 0 for no limit. lap_time [s]: the lap finished, or 0.
    """
    x[i], y[i], heading[i], speed[i], steer[i] = move(
        x[i],
        y[i],
        heading[i],
        speed[i],
        steer[i],
        steer_cmd[i] + trim[i],
        throttle[i],
        use_throttle,
        cruise[i],
        dt_s,
        car_p,
    )
    v, s_new, lat = locate(centre, tangent, start, n, ds, length, i, x[i], y[i], vertex[i])
    moved = s_new - s[i]
    moved -= length[i] * np.rint(moved / length[i])  # across the start line: the short way round
    vertex[i], s[i], lateral[i] = v, s_new, lat
    progress[i] += moved
    steps[i] += 1
    lap_time[i] = 0.0
    if progress[i] >= (laps[i] + 1) * length[i]:
        done = int(np.floor(progress[i] / length[i]))
        if done > laps[i]:
            lap_time[i] = (steps[i] - lap_start[i]) * dt_s
            lap_start[i] = steps[i]
            laps[i] = done
    off = abs(lat) > half_width[i]
    off_road[i] = off
    r = moved - offroad_penalty * off
    hit = False
    k = obs_ahead[start[i] + v] if obstacles.shape[1] > 0 else -1
    if k >= 0:
        touching = touches(x[i], y[i], heading[i], obstacles[i, k])
        hit = touching and not in_contact[i]  # a collision is the start of a contact
        in_contact[i] = touching
        collisions[i] += hit
        r -= collision_penalty * hit
    reward[i] = r
    terminated[i] = (off or hit) and not recover
    if recover and hit:  # back on the centreline, past the obstacle's far end
        past = obstacles[i, k, S] + obstacles[i, k, HALF_LEN] + RECOVER_PAST_M
        vertex[i] = int(np.floor(past / ds[i])) % n[i]
        in_contact[i] = False
    if recover and (hit or off):  # back on the centreline at its vertex, facing along the track
        row = start[i] + vertex[i]
        x[i], y[i], heading[i], steer[i] = centre[row].real, centre[row].imag, track_heading[row], 0.0
        new_s = vertex[i] * ds[i]
        progress[i] += (new_s - s[i] + length[i] / 2) % length[i] - length[i] / 2
        s[i], lateral[i] = new_s, 0.0
        interventions[i] += 1
    truncated[i] = steps[i] >= max_steps or (max_laps > 0 and laps[i] >= max_laps)


def _step_cars(
    steer_cmd,
    throttle,
    use_throttle,
    trim,
    cruise,
    car_p,
    dt_s,
    x,
    y,
    heading,
    speed,
    steer,
    vertex,
    s,
    lateral,
    progress,
    laps,
    steps,
    lap_start,
    interventions,
    collisions,
    off_road,
    in_contact,
    centre,
    tangent,
    track_heading,
    start,
    n,
    ds,
    length,
    half_width,
    obs_ahead,
    obstacles,
    recover,
    offroad_penalty,
    collision_penalty,
    max_steps,
    max_laps,
    reward,
    terminated,
    truncated,
    lap_time,
):
    """`step_car` for every car (`step_cars`); returns how many finished a lap."""
    lapped = 0
    for i in numba.prange(len(x)):
        step_car(
            i,
            steer_cmd,
            throttle,
            use_throttle,
            trim,
            cruise,
            car_p,
            dt_s,
            x,
            y,
            heading,
            speed,
            steer,
            vertex,
            s,
            lateral,
            progress,
            laps,
            steps,
            lap_start,
            interventions,
            collisions,
            off_road,
            in_contact,
            centre,
            tangent,
            track_heading,
            start,
            n,
            ds,
            length,
            half_width,
            obs_ahead,
            obstacles,
            recover,
            offroad_penalty,
            collision_penalty,
            max_steps,
            max_laps,
            reward,
            terminated,
            truncated,
            lap_time,
        )
        lapped += 1 if lap_time[i] > 0 else 0
    return lapped


step_cars = batched(_step_cars)  # step_cars(n) is the compiled loop for n cars


@kernel
def _stale(cars, x, y, heading, checked_x, checked_y, checked_h, complete, move_m, cos_turn):
    """Positions k (into `cars`) of the cars whose drawn road may not cover what they can see:
    moved more than `move_m` [m] or turned more than acos(cos_turn) since their last check
    (NaN: never checked), unless their raster is complete."""
    out = np.empty(len(cars), dtype=np.int64)
    m = 0
    for k in range(len(cars)):
        i = cars[k]
        if complete[i]:
            continue
        dx, dy = x[k] - checked_x[i], y[k] - checked_y[i]
        if not (dx * dx + dy * dy <= move_m * move_m and math.cos(heading[k] - checked_h[i]) >= cos_turn):
            out[m] = k
            m += 1
    return out[:m]


def _sense(
    sensors,
    cars,
    x,
    y,
    heading,
    speed,
    vertex,
    fan_cos,
    fan_sin,
    t_m,
    step_m,
    max_range_m,
    centre,
    tangent,
    start,
    n,
    half_width,
    obs_ahead,
    obstacles,
    noise_m,
    noise,
    noise_at,
):
    """Row k of `sensors` for car `cars[k]` at pose (x, y, heading)[k]: `car_rays` to the road
    edge and the obstacle it is passing, with its noise (the next of its drawn block), then
    its speed (`sense`). Returns how many cars have used up their block of noise."""
    none = np.empty(0)
    r_count = len(fan_cos)
    spent = 0
    for j in numba.prange(len(cars)):
        i = cars[j]
        k = obs_ahead[start[i] + vertex[i]] if obstacles.shape[1] > 0 else -1
        obstacle = obstacles[i, k] if k >= 0 else none
        draws = none
        if noise_m[i] > 0 and noise.shape[1] > 0:
            draws = noise[i, noise_at[i]]
            noise_at[i] += 1
            spent += 1 if noise_at[i] >= noise.shape[1] else 0
        car_rays(
            sensors[j],
            i,
            x[j],
            y[j],
            heading[j],
            vertex[i],
            fan_cos,
            fan_sin,
            t_m,
            step_m,
            max_range_m,
            centre,
            tangent,
            start,
            n,
            half_width,
            obstacle,
            noise_m[i] if len(draws) else 0.0,
            draws,
        )
        sensors[j, r_count] = speed[j]
    return spent


sense = batched(_sense)  # sense(n) is the compiled loop for n cars
