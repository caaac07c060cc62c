"""Obstacles as a camera sees them: cones and parked cars drawn into camera frames.

`paint_obstacle` is the rule for one obstacle in one car's frame, compiled: a dashcam
sees an upright sprite (a cone: an orange triangle with a white band; a parked car: a box
with a glass band and dark wheels), the top-down camera a footprint. A varied lens's frames
get the same colour grade and fog as the ground (`sim.camera.grade_tables`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.config import CameraParams
from sim.jit import kernel
from sim.obstacles import CONE as IS_CONE
from sim.obstacles import COS, HALF_LEN, HALF_WID, SIN, X, Y
from sim.obstacles import HEIGHT as OB_HEIGHT

CONE = np.array([240, 110, 20], dtype=np.float32)
CONE_BAND = np.array([245, 245, 240], dtype=np.float32)
CAR_BODIES = np.array([[200, 40, 40], [40, 80, 190], [230, 230, 225], [50, 55, 60]], dtype=np.float32)
CAR_GLASS = np.array([70, 85, 100], dtype=np.float32)
CAR_DARK = np.array([25, 25, 28], dtype=np.float32)
OBSTACLE_MARGIN_M = 5.0  # a dashcam draws obstacles this far beyond the ground it draws (max_distance_m)


# a camera pose as `paint_obstacle` takes it: CameraParams' numbers, in this order
POSE_FIELDS = (
    "width_px",
    "height_px",
    "fov_deg",
    "pitch_deg",
    "height_m",
    "forward_m",
    "view_m",
    "behind_m",
    "max_distance_m",
)
WIDTH, HEIGHT, FOV, PITCH, CAM_HEIGHT, CAM_FORWARD, VIEW, BEHIND, MAX_DISTANCE = range(len(POSE_FIELDS))


def pose_row(params: CameraParams) -> np.ndarray:
    """(9,) float64: `params`' numbers in POSE_FIELDS order."""
    return np.array([float(getattr(params, f)) for f in POSE_FIELDS])


@kernel
def _sight(dashcam, pose):
    return (pose[MAX_DISTANCE] + OBSTACLE_MARGIN_M if dashcam else pose[VIEW]) + 5.0


@kernel
def paint_obstacle(img, pose, dashcam, x, y, heading, ob, colour, graded, grade, air_offset, air_fog, fog_per_m):
    """Draw obstacle `ob` (an `ObstacleTable` row) standing on the road into `img` ((H, W, 3)
    uint8), as a camera with `pose` (`pose_row`) on a car at (x, y) [m] with `heading` sees it.

    A dashcam sees a cone as an orange triangle with a white band and a parked car as a box
    with a glass band and dark wheels, as wide and tall as they project (at least a pixel);
    the top-down camera sees their footprints. `colour` picks a car's body colour. With
    `graded`, colours go through the car's look (`grade`, `air_offset`, `air_fog`) as the
    frame's did, fogged at the obstacle's distance (`fog_per_m`).
    """
    ch, sh = math.cos(heading), math.sin(heading)
    dx, dy = ob[X] - x, ob[Y] - y
    fwd, left = dx * ch + dy * sh, -dx * sh + dy * ch  # the obstacle's centre in the car's frame
    if math.hypot(fwd, left) > _sight(dashcam, pose):
        return
    hl, hw, h = ob[HALF_LEN], ob[HALF_WID], ob[OB_HEIGHT]
    reach = math.hypot(hl, hw)
    if dashcam and fwd < pose[CAM_FORWARD] - reach:  # wholly behind the camera
        return
    ax, ay = ob[COS] * ch + ob[SIN] * sh, -ob[COS] * sh + ob[SIN] * ch  # its length axis in the car's frame
    cone = ob[IS_CONE] > 0
    body = CONE if cone else CAR_BODIES[colour % len(CAR_BODIES)]
    clear = math.exp(-fog_per_m * max(fwd, 0.0)) if dashcam else 1.0
    if not dashcam:
        _paint_footprint(img, pose, fwd, left, ax, ay, hl, hw, _shade(body, graded, grade, air_offset, air_fog, clear))
    else:
        _paint_upright(img, pose, fwd, left, ax, ay, hl, hw, h, cone, body, graded, grade, air_offset, air_fog, clear)


@kernel
def _shade(c, graded, grade, offset, fog, clear):
    """A paint colour (3,) float32 as the frame shows it: through the look's grade, fogged by
    `clear` (1: clear air), plus 0.5 so that truncation rounds; clipped to 0..255."""
    if not graded:
        return c.copy()
    out = np.empty(3, dtype=np.float32)
    k, mist = np.float32(clear), np.float32(1.0 - clear)
    for j in range(3):
        v = (
            (c[0] * grade[0, j] + c[1] * grade[1, j] + c[2] * grade[2, j] + offset[j]) * k
            + fog[j] * mist
            + np.float32(0.5)
        )
        out[j] = min(max(v, np.float32(0.0)), np.float32(255.0))
    return out


@kernel
def _fill(img, r0, r1, c0, c1, colour):
    for r in range(r0, r1):
        for c in range(c0, c1):
            for j in range(3):
                img[r, c, j] = np.uint8(colour[j])


@kernel
def _project(pose, fwd, left, up):
    """Image (column, row, depth) of a point in the car's frame (up: above the ground); depth
    under 0.3 m: the point is not seen."""
    f = (pose[WIDTH] / 2) / math.tan(math.radians(pose[FOV]) / 2)
    pitch = math.radians(pose[PITCH])
    F, D = fwd - pose[CAM_FORWARD], pose[CAM_HEIGHT] - up
    depth = F * math.cos(pitch) + D * math.sin(pitch)
    col = -left * f / depth + pose[WIDTH] / 2
    row = (-F * math.sin(pitch) + D * math.cos(pitch)) * f / depth + pose[HEIGHT] / 2
    return col, row, depth


@kernel
def _paint_upright(img, pose, fwd, left, ax, ay, hl, hw, h, cone, colour, graded, grade, air_offset, air_fog, clear):
    col_lo, col_hi, bottom, near = np.inf, -np.inf, -np.inf, np.inf
    for sa in (-1.0, 1.0):
        for sb in (-1.0, 1.0):  # the footprint's corners
            col, row, depth = _project(pose, fwd + sa * hl * ax - sb * hw * ay, left + sa * hl * ay + sb * hw * ax, 0.0)
            if depth < 0.3:
                return
            col_lo, col_hi = min(col_lo, col), max(col_hi, col)
            bottom, near = max(bottom, row), min(near, depth)  # the nearest ground corner
    if _project(pose, fwd, left, h)[2] < 0.3:
        return
    f = (pose[WIDTH] / 2) / math.tan(math.radians(pose[FOV]) / 2)
    top = bottom - h * f / near * math.cos(math.radians(pose[PITCH]))  # upright height at the near face
    c0, c1 = math.floor(col_lo), math.ceil(col_hi)
    r0, r1 = math.floor(top), max(math.ceil(bottom), math.floor(top) + 1)
    if c1 <= c0:
        c1 = c0 + 1
    rows, w = img.shape[0], img.shape[1]
    lo_r, hi_r = max(r0, 0), min(r1, rows)
    lo_c, hi_c = max(c0, 0), min(c1, w)
    if lo_r >= hi_r or lo_c >= hi_c:
        return
    height_px = r1 - r0
    body = _shade(colour, graded, grade, air_offset, air_fog, clear)
    if cone:  # a triangle: narrow at the top, the base's width at the bottom, a white band
        white = _shade(CONE_BAND, graded, grade, air_offset, air_fog, clear)
        mid = (c0 + c1) / 2
        half = max((c1 - c0) / 2, 0.5)
        for r in range(lo_r, hi_r):
            frac = (r - r0 + 1) / height_px  # 0 at the tip, 1 at the base
            a = max(int(math.floor(mid - half * frac)), lo_c)
            b = min(max(int(math.ceil(mid + half * frac)), a + 1), hi_c)
            band = 0.4 <= frac <= 0.6 and height_px >= 4
            _fill(img, r, r + 1, a, b, white if band else body)
        return
    _fill(img, lo_r, hi_r, lo_c, hi_c, body)
    glass_lo, glass_hi = r0 + 0.15 * height_px, r0 + 0.45 * height_px
    dark_lo = r0 + 0.8 * height_px
    g0, g1 = max(int(glass_lo), lo_r), min(int(math.ceil(glass_hi)), hi_r)
    if height_px >= 4 and g1 > g0:
        _fill(img, g0, g1, lo_c, hi_c, _shade(CAR_GLASS, graded, grade, air_offset, air_fog, clear))
    d0 = max(int(dark_lo), lo_r)
    if height_px >= 3 and hi_r > d0:
        _fill(img, d0, hi_r, lo_c, hi_c, _shade(CAR_DARK, graded, grade, air_offset, air_fog, clear))


@kernel
def _paint_footprint(img, pose, fwd, left, ax, ay, hl, hw, colour):
    m = pose[VIEW] / max(pose[WIDTH], pose[HEIGHT])
    reach = math.hypot(hl, hw)
    height, width = int(pose[HEIGHT]), int(pose[WIDTH])
    r_lo = max(int(height - (fwd + reach + pose[BEHIND]) / m), 0)
    r_hi = min(int(math.ceil(height - (fwd - reach + pose[BEHIND]) / m)), height)
    c_lo = max(int(width / 2 - (left + reach) / m), 0)
    c_hi = min(int(math.ceil(width / 2 - (left - reach) / m)), width)
    half_len, half_wid = max(hl, m / 2), max(hw, m / 2)
    for r in range(r_lo, r_hi):
        pf = (height - r - 0.5) * m - pose[BEHIND] - fwd
        for c in range(c_lo, c_hi):
            pl = (width / 2 - c - 0.5) * m - left
            if abs(pf * ax + pl * ay) <= half_len and abs(-pf * ay + pl * ax) <= half_wid:
                for j in range(3):
                    img[r, c, j] = np.uint8(colour[j])


@kernel
def _paint_all(frames, cars, x, y, heading, obstacles, which, poses, dashcam, grade, air_offset, air_fog, fog_per_m):
    """`paint_obstacle` for every rendered car k whose `which[k]` >= 0 (the obstacle's index
    on its track, its row `obstacles[k]`); `grade` empty: frames are not graded."""
    graded = len(grade) > 0
    for k in range(len(cars)):
        if which[k] < 0:
            continue
        i = cars[k]
        if graded:
            paint_obstacle(
                frames[k],
                poses[i],
                dashcam,
                x[k],
                y[k],
                heading[k],
                obstacles[k],
                which[k],
                True,
                grade[i],
                air_offset[i],
                air_fog[i],
                fog_per_m[i],
            )
        else:
            paint_obstacle(
                frames[k],
                poses[i],
                dashcam,
                x[k],
                y[k],
                heading[k],
                obstacles[k],
                which[k],
                False,
                _NO_GRADE,
                _NO_AIR,
                _NO_AIR,
                0.0,
            )


_NO_GRADE = np.zeros((3, 3), dtype=np.float32)
_NO_AIR = np.zeros(3, dtype=np.float32)
