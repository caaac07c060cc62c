"""Ego camera frames sampled from a track's raster with numpy (no pygame).

Every camera pixel sees a fixed point of the ground in the car's frame (a pinhole
projection for `dashcam`, a grid for `topdown`) and a fixed mip level chosen from how much
ground the pixel covers. A frame is then one rotation, one index computation and one
3-byte gather per pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.config import CameraParams
from sim.raster import RGB, Raster, RasterSet, to_rgb8

SKY_TOP = np.array([96, 150, 220], dtype=np.float32)
SKY_HORIZON = np.array([200, 222, 240], dtype=np.float32)
GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True, eq=False)
class CameraModel:
    """What each pixel sees, fixed by the camera's parameters.

    Attributes:
        params: the camera.
        first_ground: index (row-major) of the first pixel that sees the ground; pixels
            before it see the sky, and every pixel from it on sees the ground.
        forward_m, left_m: (g,) ground point of each ground pixel in the car's frame [m].
        footprint_m: (g,) size of the ground patch each ground pixel covers [m].
        sky: (first_ground,) RGB texels of the sky pixels.
    """

    params: CameraParams
    first_ground: int
    forward_m: np.ndarray
    left_m: np.ndarray
    footprint_m: np.ndarray
    sky: np.ndarray


def _dashcam_rays(p: CameraParams):
    """Ground point (forward, left) for every pixel, and NaN where the pixel sees sky."""
    w, h = p.width_px, p.height_px
    f = (w / 2) / math.tan(math.radians(p.fov_deg) / 2)  # focal length [px]
    pitch = math.radians(p.pitch_deg)
    xc = np.arange(w) + 0.5 - w / 2  # right of centre [px]
    yc = np.arange(h) + 0.5 - h / 2  # below centre [px]
    xc, yc = np.meshgrid(xc, yc)
    down = f * math.sin(pitch) + yc * math.cos(pitch)  # downward component of each ray
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(down > 1e-6, p.height_m / down, np.nan)
    fwd = t * (f * math.cos(pitch) - yc * math.sin(pitch))
    left = -t * xc
    dist = np.hypot(fwd, left)
    clamp = np.where(dist > p.max_distance_m, p.max_distance_m / dist, 1.0)  # far ground: as if nearer
    return fwd * clamp + p.forward_m, left * clamp


def _topdown_grid(p: CameraParams):
    m = p.view_m / max(p.width_px, p.height_px)  # [m/px]
    rows = np.arange(p.height_px)[:, None]
    cols = np.arange(p.width_px)[None, :]
    fwd = (p.height_px - rows - 0.5) * m - p.behind_m + 0.0 * cols
    left = (p.width_px / 2 - cols - 0.5) * m + 0.0 * rows
    return fwd, left


def make_camera(params: CameraParams) -> CameraModel:
    """Precompute what every pixel of this camera sees."""
    fwd, left = _dashcam_rays(params) if params.mode == "dashcam" else _topdown_grid(params)
    ground = ~np.isnan(fwd)
    first = int(np.argmax(ground.ravel())) if ground.any() else fwd.size
    if not ground.ravel()[first:].all():
        raise ValueError("camera: sky below the ground; check pitch_deg and fov_deg")
    # ground covered by a pixel: the larger of the steps to its right and lower neighbours
    gx = np.nan_to_num(np.abs(np.diff(np.stack([fwd, left]), axis=2, append=np.nan)), nan=np.inf)
    gy = np.nan_to_num(np.abs(np.diff(np.stack([fwd, left]), axis=1, prepend=np.nan)), nan=np.inf)
    step_x = np.hypot(gx[0], gx[1])
    step_y = np.hypot(gy[0], gy[1])
    step_x = np.where(np.isfinite(step_x), step_x, np.roll(step_x, 1, axis=1))
    step_y = np.where(np.isfinite(step_y), step_y, np.roll(step_y, -1, axis=0))
    footprint = np.sqrt(step_x * np.minimum(step_y, 4 * step_x))  # geometric mean, limited anisotropy
    rows_sky = first // params.width_px + (first % params.width_px > 0)
    frac = (np.arange(rows_sky) + 0.5) / max(rows_sky, 1)
    sky_rows = SKY_TOP + (SKY_HORIZON - SKY_TOP) * frac[:, None] ** 1.5
    sky = np.repeat(to_rgb8(sky_rows), params.width_px, axis=0)[:first].copy().view(RGB).ravel()
    sel = ground.ravel()
    return CameraModel(
        params=params,
        first_ground=first,
        forward_m=fwd.ravel()[sel].astype(np.float64),
        left_m=left.ravel()[sel].astype(np.float64),
        footprint_m=footprint.ravel()[sel],
        sky=sky,
    )


class Lens:
    """A camera bound to the N rasters of a RasterSet: per-pixel constants that make frames cheap.

    For pixel p at mip level k (scale 1 / (m_per_px * 2**k)), car i's texel column is
    `(x_i - x0_i) * scale[p] + fwd_s[p] * cos(h_i) - left_s[p] * sin(h_i)`, clamped to
    its level's grid, and likewise the row. When car i's raster changes, `update(i)`
    refreshes its row of the (N, g) tables.

    Attributes: camera; rasters; level, scale, fwd_s, left_s: (g,) per ground pixel;
    row_stride, offset: (N, g) columns of the pixel's level and its start in the texture;
    max_col, max_row: (N, g) float32 last column and row of the pixel's level.
    """

    def __init__(self, camera: CameraModel, rasters: RasterSet):
        levels = rasters.level_shape.shape[1]
        ratio = np.maximum(camera.footprint_m / rasters.m_per_px, 1.0)
        self.camera = camera
        self.rasters = rasters
        self.level = np.clip(np.floor(np.log2(ratio) + 0.25), 0, levels - 1).astype(np.int64)
        scale = 1.0 / (rasters.m_per_px * 2.0**self.level)
        self.scale = scale.astype(np.float32)
        self.fwd_s = (camera.forward_m * scale).astype(np.float32)
        self.left_s = (camera.left_m * scale).astype(np.float32)
        n, g = len(rasters.origin), len(self.level)
        self.row_stride = np.zeros((n, g), dtype=np.int32)
        self.offset = np.zeros((n, g), dtype=np.int32 if len(rasters.texture) < 2**31 else np.int64)
        self.max_col = np.zeros((n, g), dtype=np.float32)
        self.max_row = np.zeros((n, g), dtype=np.float32)
        for i in range(n):
            self.update(i)

    def update(self, i: int) -> None:
        """Refresh car i's tables from its raster's layout."""
        shape = self.rasters.level_shape[i, self.level]  # (g, 2)
        self.row_stride[i] = shape[:, 1]
        self.offset[i] = self.rasters.level_offset[i, self.level]
        self.max_col[i] = shape[:, 1] - 1
        self.max_row[i] = shape[:, 0] - 1


def bind(camera: CameraModel, rasters: RasterSet | Raster) -> Lens:
    """The per-pixel constants of `camera` on every raster of `rasters` (or one Raster,
    which must have colour: the lens reads its texture)."""
    if isinstance(rasters, Raster):
        rasters = RasterSet.around(rasters)
    return Lens(camera, rasters)


def render_frames(lens: Lens, x, y, heading, cars=None) -> np.ndarray:
    """Camera frames of N cars, car i at (x[i], y[i]) [m] with heading[i] [rad] on raster i.

    With `cars` (indices into the lens's rasters), x, y and heading are for those cars only.
    Returns:
        (N, H, W, C) uint8, C = 3 (RGB) or 1 (grayscale).
    """
    p = lens.camera.params
    sel = slice(None) if cars is None else cars
    origin = lens.rasters.origin[sel]
    c = np.cos(heading).astype(np.float32)[:, None]
    s = np.sin(heading).astype(np.float32)[:, None]
    px = (np.asarray(x, dtype=np.float64) - origin[:, 0]).astype(np.float32)[:, None]
    py = (np.asarray(y, dtype=np.float64) - origin[:, 1]).astype(np.float32)[:, None]
    col = px * lens.scale + lens.fwd_s * c - lens.left_s * s  # (N, g) texel column
    row = py * lens.scale + lens.fwd_s * s + lens.left_s * c
    # ground beyond the raster's grass margin shows the margin's edge (far away, blurred)
    np.minimum(np.maximum(col, 0, out=col), lens.max_col[sel], out=col)
    np.minimum(np.maximum(row, 0, out=row), lens.max_row[sel], out=row)
    idx = row.astype(np.int32) * lens.row_stride[sel] + col.astype(np.int32) + lens.offset[sel]
    n = len(col)
    texels = np.empty((n, p.height_px * p.width_px), dtype=RGB)
    texels[:, : lens.camera.first_ground] = lens.camera.sky
    texels[:, lens.camera.first_ground :] = np.take(lens.rasters.texture, idx)
    rgb = texels.view(np.uint8).reshape(n, p.height_px, p.width_px, 3)
    if p.grayscale:
        return (rgb @ GRAY_WEIGHTS + 0.5).astype(np.uint8)[..., None]
    return rgb
