"""Ego camera frames sampled from a track's raster with numpy (no pygame).

Every camera pixel sees a fixed point of the ground in the car's frame (a pinhole
projection for `dashcam`, a grid for `topdown`) and a fixed mip level chosen from how much
ground the pixel covers. A frame is then one rotation, one index computation and one
3-byte gather per pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from sim.config import CameraParams
from sim.jit import kernel
from sim.levels import Look
from sim.raster import ASPHALT, CENTRE, GRASS, LINE, RGB, Raster, RasterSet, to_rgb8
from sim.sprites import _paint_all, pose_row

SKY_TOP = np.array([96, 150, 220], dtype=np.float32)
SKY_HORIZON = np.array([200, 222, 240], dtype=np.float32)
GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
DUSK_TOP = np.array([40, 52, 115], dtype=np.float32)
DUSK_HORIZON = np.array([245, 150, 90], dtype=np.float32)
FOG = np.array([196, 198, 204], dtype=np.float32)
DRY_GRASS = np.array([150, 138, 70], dtype=np.float32)
SKY_DISTANCE_M = 150.0  # fog covers the sky as it covers ground this far away


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
        distance_m: (g,) distance from the camera to each pixel's ground point [m] (0 for
            `topdown` and for sky pixels).
        sky_frac: only for an `all_pixels` model, (H * W,): for sky pixels, how far down
            the sky the pixel's row lies (0 top, 1 horizon); -1 for ground pixels.
    """

    params: CameraParams
    first_ground: int
    forward_m: np.ndarray
    left_m: np.ndarray
    footprint_m: np.ndarray
    sky: np.ndarray
    distance_m: np.ndarray
    sky_frac: np.ndarray


def _dashcam_rays(p: CameraParams):
    """Ground point (forward, left) for every pixel (H, W) [m], and NaN where the pixel sees sky."""
    f = (p.width_px / 2) / math.tan(math.radians(p.fov_deg) / 2)  # focal length [px]
    pitch = math.radians(p.pitch_deg)
    return _ray_grid(
        p.width_px,
        p.height_px,
        f * math.sin(pitch),
        f * math.cos(pitch),
        math.sin(pitch),
        math.cos(pitch),
        p.height_m,
        p.max_distance_m,
        p.forward_m,
    )


@kernel
def _ray_grid(w, h, f_sin, f_cos, sin_p, cos_p, height_m, max_distance_m, forward_m):
    """`_dashcam_rays` of a camera `w` x `h` pixels whose focal length times the pitch's sine
    and cosine are `f_sin`, `f_cos`: each pixel's ray meets the ground `height_m` below;
    ground further than `max_distance_m` is seen as if that near (a camera level a reset
    draws a pose, so this is compiled)."""
    fwd, left = np.empty((h, w)), np.empty((h, w))
    for r in range(h):
        yc = (r + 0.5) - h / 2  # below centre [px]
        down = f_sin + yc * cos_p  # downward component of the row's rays
        t = height_m / down if down > 1e-6 else np.nan
        ahead = f_cos - yc * sin_p
        for k in range(w):
            xc = (k + 0.5) - w / 2  # right of centre [px]
            fx, lx = t * ahead, -t * xc
            dist = math.hypot(fx, lx)
            clamp = max_distance_m / dist if dist > max_distance_m else 1.0  # far ground: as if nearer
            fwd[r, k], left[r, k] = fx * clamp + forward_m, lx * clamp
    return fwd, left


def _topdown_grid(p: CameraParams):
    m = p.view_m / max(p.width_px, p.height_px)  # [m/px]
    rows = np.arange(p.height_px)[:, None]
    cols = np.arange(p.width_px)[None, :]
    fwd = (p.height_px - rows - 0.5) * m - p.behind_m + 0.0 * cols
    left = (p.width_px / 2 - cols - 0.5) * m + 0.0 * rows
    return fwd, left


def _pose(params: CameraParams, fwd: np.ndarray, left: np.ndarray, skip: int):
    """An all-pixels camera's ground points from pixel `skip` on (sky pixels: under the
    car), their distances, and every pixel's place in the sky (-1: ground)."""
    fwd_g, left_g, dist_g, sky_frac, first = _pose_tables(
        np.ascontiguousarray(fwd, dtype=np.float64),
        np.ascontiguousarray(left, dtype=np.float64),
        skip,
        params.mode == "dashcam",
        params.forward_m,
    )
    if skip > first:
        raise ValueError(f"camera: ground within the top {skip // params.width_px} rows")
    return fwd_g, left_g, dist_g, sky_frac


@kernel
def _pose_tables(fwd, left, skip, dashcam, forward_m):
    """`_pose`'s tables from (H, W) ground points (NaN: sky), and the first ground pixel
    (H * W if none). A dashcam's distances are from the lens, `forward_m` ahead."""
    h, w = fwd.shape
    n = h * w
    fwd_f, left_f = fwd.reshape(-1), left.reshape(-1)
    first = n
    for p in range(n):
        if not np.isnan(fwd_f[p]):
            first = p
            break
    rows_sky = max(first // w + (1 if first % w > 0 else 0), 1)
    out_f, out_l, out_d, sky_frac = np.zeros(n - skip), np.zeros(n - skip), np.zeros(n - skip), np.empty(n)
    for r in range(h):
        for p in range(r * w, (r + 1) * w):
            ground = not np.isnan(fwd_f[p])
            sky_frac[p] = -1.0 if ground else (r + 0.5) / rows_sky
            if ground and p >= skip:
                out_f[p - skip], out_l[p - skip] = fwd_f[p], left_f[p]
                if dashcam:
                    out_d[p - skip] = math.hypot(fwd_f[p] - forward_m, left_f[p])
    return out_f, out_l, out_d, sky_frac, first


def pose(params: CameraParams, skip: int):
    """`_pose` of a camera with `params` (one whose sky starts after pixel `skip`)."""
    return _pose(params, *(_dashcam_rays(params) if params.mode == "dashcam" else _topdown_grid(params)), skip)


def make_camera(params: CameraParams, all_pixels: bool = False, skip_rows: int = 0) -> CameraModel:
    """Precompute what every pixel of this camera sees.

    By default only ground pixels are sampled (the sky is a fixed picture). With
    `all_pixels`, every pixel below the top `skip_rows` rows is (sky pixels read the
    ground under the car, to be painted over by a `Look`), so cameras of different poses
    whose top `skip_rows` rows all see sky share one pixel layout.
    """
    fwd, left = _dashcam_rays(params) if params.mode == "dashcam" else _topdown_grid(params)
    ground = ~np.isnan(fwd)
    first = int(np.argmax(ground.ravel())) if ground.any() else fwd.size
    if not ground.ravel()[first:].all():
        raise ValueError("camera: sky below the ground; check pitch_deg and fov_deg")
    distance = np.hypot(fwd - params.forward_m, left) if params.mode == "dashcam" else np.zeros_like(fwd)
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
    if all_pixels:
        skip = skip_rows * params.width_px
        fwd_g, left_g, dist_g, sky_frac = _pose(params, fwd, left, skip)
        # a sky pixel may see far ground in a pose pitched up a little: give it the far
        # ground's mip level
        far = float(footprint[ground].max()) if ground.any() else 0.0
        return CameraModel(
            params=params,
            first_ground=skip,
            forward_m=fwd_g,
            left_m=left_g,
            footprint_m=np.where(ground, footprint, far).ravel()[skip:],
            sky=sky[:0],
            distance_m=dist_g,
            sky_frac=sky_frac,
        )
    return CameraModel(
        params=params,
        first_ground=first,
        forward_m=fwd.ravel()[sel].astype(np.float64),
        left_m=left.ravel()[sel].astype(np.float64),
        footprint_m=footprint.ravel()[sel],
        sky=sky,
        distance_m=distance.ravel()[sel],
        sky_frac=np.full(int(sel.sum()), -1.0),
    )


class Lens:
    """A camera bound to the N rasters of a RasterSet: per-pixel constants that make frames cheap.

    For pixel p at mip level k (scale 1 / (m_per_px * 2**k)), car i's texel column is
    `(x_i - x0_i) * scale[p] + fwd_s[p] * cos(h_i) - left_s[p] * sin(h_i)`, clamped to
    its level's grid (read from the RasterSet's tables at each frame, so a raster laid out
    anew needs nothing here), and likewise the row.

    A `varied` lens gives each car its own camera pose and `Look` (`set_view`): every
    pixel is sampled, the per-pixel tables are (N, g), and each frame is graded after
    the gather: `rgb @ grade[i] * alpha[i, p] + addend[i, :, p]` (colours, sun and fog;
    sky pixels have alpha 0 and the sky's colour as addend).

    Attributes: camera; rasters; varied; level, scale: (g,) per ground pixel; runs (R, 3):
    start, end and level of consecutive pixels at one level (a dashcam's rows); fwd_s,
    left_s: (1, g) ((N, g) when varied); sky (1, first ground pixel, 3) uint8 ((N, ...)
    when varied); grade (N, 3, 3), alpha (N, g) and addend (N, 3, g) (a plane per colour)
    float32 when varied (empty otherwise).
    """

    def __init__(self, camera: CameraModel, rasters: RasterSet, varied: bool = False, jitter: float = 0.0):
        n = len(rasters.origin)
        self.rasters = rasters
        self.varied = varied
        if varied:
            self.sky_rows = common_sky_rows(camera.params, jitter)
            camera = make_camera(camera.params, all_pixels=True, skip_rows=self.sky_rows)
        self.camera = camera
        level, scale, fwd_s, left_s = self._pixels(camera)
        g = len(level)
        # (N, g) when varied, else (1, g): every pose keeps the nominal camera's mip levels
        # (jitter changes footprints by a few %)
        fwd_s, left_s = (np.repeat(a[None], n if varied else 1, axis=0) for a in (fwd_s, left_s))
        self.level, self.scale, self.fwd_s, self.left_s = level, scale, fwd_s, left_s
        starts = np.flatnonzero(np.r_[True, level[1:] != level[:-1]])
        self.runs = np.stack([starts, np.r_[starts[1:], len(level)], level[starts]], axis=1)  # (R, 3) start, end, level
        self.poses = np.repeat(
            pose_row(camera.params)[None], n, axis=0
        )  # (N, 9) each car's camera (for drawing obstacles)
        if varied:
            self.sky = np.zeros((n, camera.first_ground, 3), dtype=np.uint8)  # the rows every pose sees as sky
            self.grade = np.zeros((n, 3, 3), dtype=np.float32)
            # per car, for obstacles: the grade's offset, the fog's colour and density [1/m]
            self.air_offset, self.air_fog, self.fog_per_m = (
                np.zeros((n, 3), np.float32),
                np.zeros((n, 3), np.float32),
                np.zeros(n),
            )
            self.alpha = np.zeros((n, g), dtype=np.float32)
            self.addend = np.zeros((n, 3, g), dtype=np.float32)
            for i in range(n):
                self.set_view(i, camera.params, Look())
        else:  # one sky for every car, no grading
            self.sky = camera.sky.view(np.uint8).reshape(1, -1, 3)
            self.grade, self.alpha, self.addend = (
                np.zeros((0, 3, 3), np.float32),
                np.zeros((0, g), np.float32),
                np.zeros((0, 3, g), np.float32),
            )
            self.air_offset = self.air_fog = np.zeros((0, 3), np.float32)
            self.fog_per_m = np.zeros(0)

    def _pixels(self, camera: CameraModel):
        """Mip level, scale and scaled ground offsets of each sampled pixel of `camera`."""
        levels = self.rasters.level_shape.shape[1]
        ratio = np.maximum(camera.footprint_m / self.rasters.m_per_px, 1.0)
        level = np.clip(np.floor(np.log2(ratio) + 0.25), 0, levels - 1).astype(np.int64)
        scale = 1.0 / (self.rasters.m_per_px * 2.0**level)
        return (
            level,
            scale.astype(np.float32),
            (camera.forward_m * scale).astype(np.float32),
            (camera.left_m * scale).astype(np.float32),
        )

    def set_view(self, i: int, params: CameraParams, look: Look) -> None:
        """Car i sees through a camera with `params` (a pose near this lens's) with `look`."""
        c = self.camera
        self.poses[i] = pose_row(params)
        if params == c.params:
            fwd, left, distance, sky_frac = c.forward_m, c.left_m, c.distance_m, c.sky_frac
        else:
            fwd, left, distance, sky_frac = pose(params, c.first_ground)
        self.fwd_s[i] = fwd * self.scale
        self.left_s[i] = left * self.scale
        self.sky[i], self.grade[i], self.alpha[i], self.addend[i], air = grade_tables(
            sky_frac, distance, c.first_ground, look, c.params.width_px
        )
        self.air_offset[i], self.air_fog[i], self.fog_per_m[i] = air


def bind(camera: CameraModel, rasters: RasterSet | Raster) -> Lens:
    """The per-pixel constants of `camera` on every raster of `rasters` (or one Raster)."""
    if isinstance(rasters, Raster):
        rasters = RasterSet.around(rasters)
    return Lens(camera, rasters)


@kernel
def car_frame(
    out,
    i,
    x,
    y,
    heading,
    origin,
    level_shape,
    level_offset,
    runs,
    scale,
    fwd_s,
    left_s,
    texels,
    sky,
    grade,
    alpha,
    addend,
    idx,
    rgb,
    planes,
):
    """Car i's camera frame into `out` ((H * W, 3) uint8, row-major pixels).

    The car is at (x, y) [m] with `heading` [rad] on raster i (`origin`, `level_shape`,
    `level_offset`: the RasterSet's; `texels`: its texture as bytes; the rest the Lens's,
    whose `fwd_s`, `left_s` and `sky` have one row for all cars unless the lens is varied;
    `runs`: (start, end, level) of consecutive ground pixels at one mip level). Sky pixels
    come first and are copied; each later pixel is one texel of its mip level, at the
    ground point the pixel sees. A varied lens then grades it:
    `rgb @ grade[i] * alpha[i, p] + addend[i, :, p]` (colours, sun and fog; `addend` holds
    +0.5, so truncation rounds). `idx`, `rgb`, `planes`: scratch, (g,) int32, (3, g)
    float32 and (3, g) uint8: colours a plane each, so the grade is vectorised.
    """
    varied = len(grade) > 0
    row = i if varied else 0
    first = sky.shape[1]
    flat = out.reshape(-1)
    sky_flat = sky[row].reshape(-1)
    for q in range(3 * first):  # (a loop: numba compiles a slice assignment for seconds)
        flat[q] = sky_flat[q]
    # where each ground pixel samples the raster: idx[p], the texel's index in the texture,
    # a run of pixels at one mip level at a time, its level's constants hoisted; a pixel
    # beyond the raster reads the grass at its edge
    c, s = np.float32(math.cos(heading)), np.float32(math.sin(heading))
    px, py = np.float32(x - origin[i, 0]), np.float32(y - origin[i, 1])
    zero = np.float32(0.0)
    for j in range(len(runs)):
        lo, hi, k = runs[j, 0], runs[j, 1], runs[j, 2]
        max_row, max_col = np.float32(level_shape[i, k, 0] - 1), np.float32(level_shape[i, k, 1] - 1)
        cols, start = np.int32(level_shape[i, k, 1]), np.int32(level_offset[i, k])
        x0, y0 = px * scale[lo], py * scale[lo]
        ahead, side, at = fwd_s[row, lo:hi], left_s[row, lo:hi], idx[lo:hi]
        for p in range(hi - lo):  # clamps written as selects, so the loop is vectorised
            col = x0 + ahead[p] * c - side[p] * s
            col = col if col > zero else zero
            col = col if col < max_col else max_col
            r = y0 + ahead[p] * s + side[p] * c
            r = r if r > zero else zero
            r = r if r < max_row else max_row
            at[p] = np.int32(r) * cols + np.int32(col) + start
    ground = flat[3 * first :]
    if not varied:
        for p in range(len(idx)):
            t, q = 3 * np.int64(idx[p]), 3 * p
            ground[q], ground[q + 1], ground[q + 2] = texels[t], texels[t + 1], texels[t + 2]
        return
    red, green, blue = rgb[0], rgb[1], rgb[2]
    for p in range(len(idx)):  # the gather alone, into a plane per colour
        t = 3 * np.int64(idx[p])
        red[p], green[p], blue[p] = texels[t], texels[t + 1], texels[t + 2]
    top = np.float32(255.0)
    a = alpha[i]
    for ch in range(3):  # then the grade, a colour at a time
        g0, g1, g2 = grade[i, 0, ch], grade[i, 1, ch], grade[i, 2, ch]
        b, plane = addend[i, ch], planes[ch]
        for p in range(len(idx)):
            v = (red[p] * g0 + green[p] * g1 + blue[p] * g2) * a[p] + b[p]
            v = v if v > zero else zero
            v = v if v < top else top
            plane[p] = np.uint8(v)
    for p in range(len(idx)):  # and back to the frame's interleaved pixels
        q = 3 * p
        ground[q], ground[q + 1], ground[q + 2] = planes[0, p], planes[1, p], planes[2, p]


@kernel
def _frames(
    out,
    cars,
    x,
    y,
    heading,
    origin,
    level_shape,
    level_offset,
    runs,
    scale,
    fwd_s,
    left_s,
    textures,
    sky,
    grade,
    alpha,
    addend,
):
    idx = np.empty(fwd_s.shape[1], dtype=np.int32)
    rgb = np.empty((3, fwd_s.shape[1] if len(grade) else 0), dtype=np.float32)
    planes = np.empty(rgb.shape, dtype=np.uint8)
    for k in range(len(cars)):
        car_frame(
            out[k],
            cars[k],
            x[k],
            y[k],
            heading[k],
            origin,
            level_shape,
            level_offset,
            runs,
            scale,
            fwd_s,
            left_s,
            textures[cars[k]],
            sky,
            grade,
            alpha,
            addend,
            idx,
            rgb,
            planes,
        )


def render_frames(lens: Lens, x, y, heading, cars=None, obstacles=None) -> np.ndarray:
    """Camera frames of N cars, car i at (x[i], y[i]) [m] with heading[i] [rad] on raster i.

    With `cars` (indices into the lens's rasters), x, y and heading are for those cars only.
    `obstacles`: None, or per rendered car the obstacle to draw standing on the road, as
    (rows (n, 9) of an `ObstacleTable`, which (n,): its index on the track, -1 for none).
    Returns:
        (N, H, W, C) uint8, C = 3 (RGB) or 1 (grayscale).
    """
    p = lens.camera.params
    cars = np.arange(len(lens.rasters.origin)) if cars is None else np.asarray(cars, dtype=np.int64)
    x, y, heading = (np.ascontiguousarray(v, dtype=np.float64) for v in (x, y, heading))
    out = np.empty((len(cars), p.height_px * p.width_px, 3), dtype=np.uint8)
    rs = lens.rasters
    _frames(
        out,
        cars,
        x,
        y,
        heading,
        rs.origin,
        rs.level_shape,
        rs.level_offset,
        lens.runs,
        lens.scale,
        lens.fwd_s,
        lens.left_s,
        rs.textures,
        lens.sky,
        lens.grade,
        lens.alpha,
        lens.addend,
    )
    rgb = out.reshape(len(cars), p.height_px, p.width_px, 3)
    if obstacles is not None:
        rows, which = obstacles
        _paint_all(
            rgb,
            cars,
            x,
            y,
            heading,
            rows,
            which,
            lens.poses,
            p.mode == "dashcam",
            lens.grade,
            lens.air_offset,
            lens.air_fog,
            lens.fog_per_m,
        )
    if p.grayscale:
        return (rgb @ GRAY_WEIGHTS + 0.5).astype(np.uint8)[..., None]
    return rgb


def common_sky_rows(params: CameraParams, jitter: float) -> int:
    """Top rows that see sky whatever the pitch and field of view within +-`jitter` (a fraction)."""
    if params.mode != "dashcam":
        return 0
    rows = params.height_px
    for pitch in (1 - jitter, 1 + jitter):
        for fov in (1 - jitter, 1 + jitter):
            cam = make_camera(replace(params, pitch_deg=params.pitch_deg * pitch, fov_deg=params.fov_deg * fov))
            rows = min(rows, cam.first_ground // params.width_px)
    return rows


@kernel
def _grade_pixels(frac, clear, row_rgb, offset, fog, width, sky, alpha, addend):
    """`grade_tables`' per-pixel tables, in float32 as numpy works them out: the sky's first
    rows (`sky`, rounded to bytes), then from pixel len(sky) on, `alpha` (0 for sky, else
    `clear`) and `addend` (the sky's colour, else the grade's offset faded toward `fog`;
    +0.5). `frac`: each pixel's place in the sky (float32; < 0: ground); `row_rgb` (H, 3)."""
    first = len(sky)
    zero, one, half, top = np.float32(0.0), np.float32(1.0), np.float32(0.5), np.float32(255.0)
    for p in range(first):
        for ch in range(3):
            v = np.rint(row_rgb[p // width, ch])
            sky[p, ch] = np.uint8(min(max(v, zero), top))
    for q in range(len(clear)):
        p = first + q
        if frac[p] >= 0:
            alpha[q] = zero
            for ch in range(3):
                addend[ch, q] = row_rgb[p // width, ch] + half
        else:
            c = clear[q]
            alpha[q] = c
            for ch in range(3):
                addend[ch, q] = offset[ch] * c + fog[ch] * (one - c) + half


def grade_tables(sky_frac: np.ndarray, distance_m: np.ndarray, first: int, look: Look, width: int):
    """The colour grade of `look` for an all-pixels camera (`sky_frac` (H * W,),
    `distance_m` (g,) from pixel `first` on, `width` pixels a row): (sky (first, 3) uint8, grade (3, 3), alpha
    (g,), addend (3, g) (a plane per colour), (offset (3,), fog colour (3,), fog_per_m)),
    sampled pixel p's colour being rgb @ grade * alpha[p] + addend[:, p] - 0.5.

    The grade is the one affine colour map that takes the raster's four paints (grass,
    asphalt, edge line, centre line) to this look's, so blends between them (line edges,
    mip levels) stay blends; then the sun scales and warms it, and fog mixes each pixel
    toward the fog colour by 1 - exp(-fog_per_m * distance).
    """
    asphalt = ASPHALT * look.asphalt_shade + look.asphalt_tint * np.array([10.0, 3.0, -10.0])
    grass = (GRASS + (DRY_GRASS - GRASS) * look.grass_dry) * look.grass_shade
    line = LINE + (asphalt - LINE) * look.line_fade
    centre = CENTRE + (asphalt - CENTRE) * look.line_fade
    src = np.column_stack([np.stack([GRASS, ASPHALT, LINE, CENTRE]), np.ones(4)])  # (4, 4)
    affine = np.linalg.solve(
        src.astype(np.float64), np.stack([grass, asphalt, line, centre]).astype(np.float64)
    )  # (4, 3)
    dusk = 1.0 - look.sun
    light = (0.55 + 0.45 * look.sun) * np.array([1 + 0.12 * dusk, 1 - 0.05 * dusk, 1 - 0.35 * dusk])
    grade = affine[:3] * light
    offset = affine[3] * light
    top = DUSK_TOP + (SKY_TOP - DUSK_TOP) * look.sun
    horizon = DUSK_HORIZON + (SKY_HORIZON - DUSK_HORIZON) * look.sun
    fog = FOG * (0.5 + 0.5 * (0.55 + 0.45 * look.sun))
    w_sky = 1.0 - np.exp(-look.fog_per_m * SKY_DISTANCE_M)
    top, horizon, fog, offset = (np.asarray(v, dtype=np.float32) for v in (top, horizon, fog, offset))
    # the sky's colour depends on the row alone: work it out per row (H, 3), then per pixel
    frac = sky_frac.astype(np.float32)
    row_frac = frac.reshape(-1, width).max(axis=1)  # a row's sky pixels share its value; ground is -1
    row_rgb = (top + (horizon - top) * np.clip(row_frac, 0, 1)[:, None] ** 1.5) * np.float32(
        1 - w_sky
    ) + fog * np.float32(w_sky)
    clear = np.exp(-look.fog_per_m * distance_m.astype(np.float32))  # (g,): 1 - fog weight
    sky, alpha, addend = (
        np.empty((first, 3), np.uint8),
        np.empty(len(clear), np.float32),
        np.empty((3, len(clear)), np.float32),
    )
    _grade_pixels(frac, clear, row_rgb, offset, fog, width, sky, alpha, addend)
    return (
        sky,
        grade.astype(np.float32),
        alpha,
        addend,
        (offset, fog, look.fog_per_m),
    )
