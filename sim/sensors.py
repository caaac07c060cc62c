"""Distance sensors: rays from the car's centre to the road edge or an obstacle, plus the speed.

Each ray is marched in fixed steps to the first point off the road, judged from the
track's geometry: the point's nearest centreline vertex (followed from sample to sample,
so a step costs a vertex or two) and its offset along that vertex's normal. The crossing
is then placed exactly by interpolating that offset, which is linear along a ray near a
straight edge, so a ray across a straight road reads the exact distance. Rays need no
picture of the track. `car_rays` is the rule for one car, compiled; `read_rays` runs it
for N cars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.config import SensorParams
from sim.jit import kernel
from sim.obstacles import ray_box
from sim.trackset import TrackSet


@dataclass(frozen=True, eq=False)
class RayFan:
    """Fixed sample points of every ray in the car's frame.

    Attributes:
        angles: (r,) ray directions relative to the heading [rad], left positive.
        t_m: (k,) distances of the samples along each ray [m], starting at 0.
        cos, sin: (r,) the rays' directions in the car's frame.
    """

    params: SensorParams
    angles: np.ndarray
    t_m: np.ndarray
    cos: np.ndarray
    sin: np.ndarray


def make_rays(params: SensorParams) -> RayFan:
    if params.n_rays == 1:
        angles = np.zeros(1)
    else:
        angles = np.linspace(-params.fov_rad / 2, params.fov_rad / 2, params.n_rays)
    t = np.arange(0.0, params.max_range_m + params.step_m, params.step_m)
    return RayFan(params, angles, t, np.cos(angles), np.sin(angles))


@kernel
def nearest_vertex(centre, start, n, k, x, y, v):
    """The vertex of track slot k nearest (x, y) [m], walking from vertex `v` while the
    distance falls (a point on the road is much nearer its own stretch than any other)."""
    base, m = start[k], n[k]
    d = _dist2(centre[base + v], x, y)
    while True:
        w = v + 1 if v + 1 < m else 0
        dw = _dist2(centre[base + w], x, y)
        if dw >= d:
            w = v - 1 if v > 0 else m - 1
            dw = _dist2(centre[base + w], x, y)
            if dw >= d:
                return v
        v, d = w, dw


@kernel
def _dist2(c, x, y):
    return (c.real - x) ** 2 + (c.imag - y) ** 2


@kernel
def _lateral(centre, tangent, row, x, y):
    """Offset [m] of (x, y) from the centreline vertex at `row`, along its left normal."""
    return (y - centre[row].imag) * tangent[row].real - (x - centre[row].real) * tangent[row].imag


@kernel
def car_rays(
    out,
    k,
    x,
    y,
    heading,
    hint,
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
    noise_m,
    noise,
):
    """Car k's ray distances [m] into `out` (r,): the road edge or `obstacle`, whichever is nearer.

    Args:
        x, y, heading: the rays' origin [m] and the car's heading [rad]; hint: a vertex
            near (x, y) on track slot k, where the search for the nearest starts.
        fan_cos, fan_sin, t_m, step_m, max_range_m: the RayFan.
        centre, tangent, start, n, half_width: the TrackSet.
        obstacle: (9,) the obstacle's `ObstacleTable` row, or an empty array for none.
        noise_m, noise: the std of the sensor noise [m] and (r,) standard normal draws.
    A car whose centre is off the road reads 0 on every ray.
    """
    r_count = len(fan_cos)
    half = half_width[k]
    base = start[k]
    own = nearest_vertex(centre, start, n, k, x, y, hint)
    if abs(_lateral(centre, tangent, base + own, x, y)) > half:
        out[:r_count] = 0.0
        return
    hc, hs = math.cos(heading), math.sin(heading)
    for r in range(r_count):
        dx = hc * fan_cos[r] - hs * fan_sin[r]  # the ray's direction in the world
        dy = hs * fan_cos[r] + hc * fan_sin[r]
        dist = max_range_m
        v, last_in, last_v, last_lat, left_road = own, 0, own, 0.0, False
        for j in range(1, len(t_m)):  # march to the first sample off the road
            px, py = x + dx * t_m[j], y + dy * t_m[j]
            v = nearest_vertex(centre, start, n, k, px, py, v)
            lat = _lateral(centre, tangent, base + v, px, py)
            if abs(lat) > half:
                left_road = True
                break
            last_in, last_v, last_lat = j, v, lat
        if left_road:  # else every sample is on the road: the full range
            # Exact crossing: from the last sample on the road, the distance to the edge line
            # of its nearest vertex divided by how fast the ray approaches that edge.
            if last_in == 0:
                last_lat = _lateral(centre, tangent, base + own, x, y)
            row = base + last_v
            approach = (dy * tangent[row].real - dx * tangent[row].imag) * (
                1.0 if last_lat > 0 else (-1.0 if last_lat < 0 else 0.0)
            )
            extra = min(max((half - abs(last_lat)) / max(approach, 1e-9), 0.0), step_m)
            dist = min(t_m[last_in] + extra, max_range_m)
        if len(obstacle):
            dist = min(dist, ray_box(x, y, dx, dy, obstacle, max_range_m))
        if noise_m > 0:
            dist = min(max(dist + noise_m * noise[r], 0.0), max_range_m)
        out[r] = dist


@kernel
def _read_all(x, y, heading, hint, fan_cos, fan_sin, t_m, step_m, max_range_m, centre, tangent, start, n, half_width):
    out = np.empty((len(x), len(fan_cos)))
    none = np.empty(0)
    for k in range(len(x)):
        car_rays(
            out[k],
            k,
            x[k],
            y[k],
            heading[k],
            hint[k],
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
            none,
            0.0,
            none,
        )
    return out


def read_rays(fan: RayFan, tracks: TrackSet, x, y, heading) -> np.ndarray:
    """Distance [m] along each ray to the road edge for N cars (no obstacles, no noise).

    Car i is at (x[i], y[i]) with heading[i] ((N,) float arrays) on track i. Returns (N, r)
    float64.
    """
    p = fan.params

    def f64(v):
        return np.ascontiguousarray(v, dtype=np.float64)

    x, y = f64(x), f64(y)
    hint = np.array([t.nearest_vertex(np.array([[a, b]]))[0] for t, a, b in zip(tracks.tracks, x, y)], dtype=np.int64)
    return _read_all(
        x,
        y,
        f64(heading),
        hint,
        fan.cos,
        fan.sin,
        fan.t_m,
        p.step_m,
        p.max_range_m,
        tracks.centre,
        tracks.tangent,
        tracks.start,
        tracks.n,
        tracks.half_width,
    )
