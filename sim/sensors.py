"""Distance sensors: rays from the car's centre to the road edge, plus the speed.

Each ray is marched over the raster's road-info grid in fixed steps to find the first
point off the road; the crossing is then placed exactly by interpolating the signed
distance to the edge (computed from the track's geometry), which is linear along a ray
near a straight edge, so a ray across a straight road reads the exact distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import SensorParams
from sim.raster import RasterSet
from sim.trackset import TrackSet


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


def read_rays(fan: RayFan, tracks: TrackSet, rasters: RasterSet, x, y, heading) -> np.ndarray:
    """Distance [m] along each ray to the road edge for N cars, capped at max range.

    Car i is at (x[i], y[i]) with heading[i] ((N,) float arrays) on track i (raster i, whose road must be
    drawn within the rays' reach). Returns (N, r) float64. A car whose centre is off the
    road reads 0 on every ray.
    """
    res = rasters.m_per_px
    unit = np.exp(1j * heading)  # (N,)
    origin = rasters.origin_c  # (N,)
    centre = (x + 1j * y - origin) / res  # (N,) grid units
    pix = fan.offsets * (unit / res)[:, None, None] + centre[:, None, None]  # (N, r, k) column + 1j*row
    lim = rasters.info_limits  # (N, 1, 1) last column and row
    # Samples off the grid are clamped onto its margin, which is off the road: correct.
    col = np.minimum(np.maximum(pix.real, 0.0), lim.real).astype(np.int64)
    row = np.minimum(np.maximum(pix.imag, 0.0), lim.imag).astype(np.int64)
    info = np.take(rasters.info, row * rasters.info_stride + col + rasters.info_start)
    first = (info & 1).argmin(axis=2)  # (N, r) first sample off the road (0: none is, or the car is off)
    last_in = first - 1
    # (N, r) flat index of that sample; a ray that starts off the road (read as 0 below)
    # looks at its own first sample, never at the previous ray's, which may be another car's
    at = (np.arange(first.size) * info.shape[2]).reshape(first.shape) + np.maximum(last_in, 0)
    # Exact crossing: from the last sample on the road, the distance to the edge line of
    # its nearest vertex divided by how fast the ray approaches that edge (grid units).
    v = tracks.start[:, None] + np.maximum(np.take(info, at) >> 1, 0)  # (N, r) row in the track set
    n_conj = tracks.normal_conj[v]
    lateral = ((np.take(pix, at) - (tracks.centre[v] - origin[:, None]) / res) * n_conj).real
    approach = (fan.directions * unit[:, None] * n_conj).real * np.sign(lateral)  # d|lateral|/dt
    gap = tracks.half_width[:, None] / res - np.abs(lateral)
    extra = np.minimum(np.maximum(gap / np.maximum(approach, 1e-9), 0.0), fan.params.step_m / res)
    dist = np.minimum(fan.t_m[last_in] + extra * res, fan.params.max_range_m)
    own = info[:, :, 0]  # the car's own pixel (every ray's first sample)
    on_road = (own & 1) * (own >= 0)  # -1 (far from the road) has its low bit set too
    return np.where(first > 0, dist, fan.params.max_range_m) * on_road  # where no sample left the road: the full range
