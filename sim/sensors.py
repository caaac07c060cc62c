"""Distance sensors: rays from the car's centre to the road edge, plus the speed.

Each ray is marched over the raster's road-info grid in fixed steps to find the first
point off the road; the crossing is then placed exactly by interpolating the signed
distance to the edge (computed from the track's geometry), which is linear along a ray
near a straight edge, so a ray across a straight road reads the exact distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.config import SensorParams
from sim.raster import Raster
from sim.track import Track


@dataclass(frozen=True, eq=False)
class RayFan:
    """Fixed sample points of every ray in the car's frame.

    Attributes:
        angles: (r,) ray directions relative to the heading [rad], left positive.
        t_m: (k,) distances of the samples along each ray [m], starting at 0.
    """

    params: SensorParams
    angles: np.ndarray
    t_m: np.ndarray
    offsets: np.ndarray  # (r, k) complex: sample positions in the car's frame, forward + 1j*left [m]
    directions: np.ndarray  # (r,) complex unit direction of each ray in the car's frame


def make_rays(params: SensorParams) -> RayFan:
    if params.n_rays == 1:
        angles = np.zeros(1)
    else:
        angles = np.linspace(-params.fov_rad / 2, params.fov_rad / 2, params.n_rays)
    t = np.arange(0.0, params.max_range_m + params.step_m, params.step_m)
    directions = np.exp(1j * angles)
    return RayFan(params, angles, t, directions[:, None] * t, directions)


def read_rays(fan: RayFan, track: Track, raster: Raster, x: float, y: float, heading: float) -> np.ndarray:
    """Distance [m] along each ray to the road edge, capped at max range; (r,) float64.

    A car whose centre is off the road reads 0 on every ray.
    """
    inv = 1.0 / raster.m_per_px
    unit = complex(math.cos(heading), math.sin(heading))
    centre = complex(x - raster.origin[0], y - raster.origin[1]) * inv
    pix = fan.offsets * (unit * inv) + centre  # (r, k) grid position, column + 1j*row
    info = np.take(raster.info, pix.imag.astype(np.int64) * raster.info.shape[1] + pix.real.astype(np.int64), mode="clip")
    # Out-of-grid samples clip onto the grid's margin, which is off the road: correct.
    first = (info & 1).argmin(axis=1)  # first sample off the road (0: none is, or the car is off)
    last_in = first - 1
    rays = np.arange(len(first))
    # Exact crossing: from the last sample on the road, the distance to the edge line of
    # its nearest vertex divided by how fast the ray approaches that edge.
    v = np.maximum(info[rays, last_in] >> 1, 0)
    rel = (pix[rays, last_in] - centre) * raster.m_per_px + complex(x, y) - track.centerline_c[v]  # [m]
    n_conj = track.normal_c[v].conj()
    lateral = (rel * n_conj).real
    approach = (fan.directions * unit * n_conj).real * np.sign(lateral)  # d|lateral|/dt along the ray
    gap = track.width_m / 2 - np.abs(lateral)
    extra = np.clip(gap / np.maximum(approach, 1e-9), 0.0, fan.params.step_m)
    dist = np.minimum(fan.t_m[last_in] + extra, fan.params.max_range_m)
    on_road = info[:, 0] & 1 == 1
    return np.where(first > 0, dist, np.where(on_road, fan.params.max_range_m, 0.0))
