"""The view a person drives by: a camera behind and above the car at window resolution,
sampled by the world's own camera code (`sim.camera`) from a finer raster of the track,
with the obstacles and the car itself drawn by the world's sprites (`sim.sprites`).

It is for people only: the observation stays the car's own camera. Numpy and numba, no
pygame (`sim.render` shows the frames).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from sim.camera import Lens, _dashcam_rays, make_camera, render_frames
from sim.config import CameraParams, RasterParams
from sim.levels import Look
from sim.obstacles import CAR_LENGTH_M, COS, FIELDS, HALF_LEN, HALF_WID, HEIGHT, SIN, ObstacleTable, X, Y
from sim.raster import RasterSet, build
from sim.sprites import _project, paint_obstacle, pose_row

# behind and above the car, looking down a little: the car in the lower third, the road to
# the horizon beyond (ground up to `max_distance_m` is drawn where it is)
CHASE = CameraParams(
    mode="dashcam",
    width_px=640,
    height_px=480,
    fov_deg=70.0,
    height_m=4.5,
    pitch_deg=11.0,
    forward_m=-9.0,
    max_distance_m=120.0,
)
# 4x finer than the cars' cameras (a window is large), with grass far around the road
CHASE_RASTER = RasterParams(m_per_px=0.125, levels=7, margin_m=40.0)
HAZE_FROM = 0.6  # the ground fades into the horizon's haze from this share of max_distance_m to all of it
OWN_CAR = (CAR_LENGTH_M + 0.4, 1.9, 1.45)  # length, width, height [m] of the car drawn
OWN_COLOUR = 0  # index of its body colour in sim.sprites.CAR_BODIES (red)


class ChaseView:
    """Frames of one car seen from behind and above (`camera`, default `CHASE`).

    `frame(track, x, y, heading, look)` returns an (H, W, 3) uint8 picture of the car at
    (x, y) [m] with `heading` [rad] on `track` in the episode's `look` (colours, light and
    fog, as the car's own camera grades them): the road, the track's obstacles within
    sight (far ones first, so near ones cover them) and the car. A new track is rastered once (about
    0.1 s) and kept until the next.
    """

    def __init__(self, camera: CameraParams = CHASE, raster: RasterParams = CHASE_RASTER):
        self.camera = make_camera(camera)
        self.raster_params = raster
        self.pose = pose_row(camera)
        self._track = None
        self._lens = None
        self._obstacles = np.zeros((0, len(FIELDS)))
        length, width, height = OWN_CAR
        self._car = np.zeros(len(FIELDS))
        self._car[HALF_LEN], self._car[HALF_WID], self._car[HEIGHT] = length / 2, width / 2, height

    def _bind(self, track, look: Look | None) -> None:
        if self._track is not track:
            self._lens = Lens(self.camera, RasterSet.around(build(track, self.raster_params)), varied=True)
            table = ObstacleTable([track])
            self._obstacles = table.table[0, : table.count[0]].copy()
            self._track, self._look = track, None
        look = look or Look()
        if look != self._look:
            lens = self._lens
            lens.set_view(0, self.camera.params, look)
            # the far ground fades into the colour of the sky at the horizon, so ground beyond
            # max_distance_m (which the camera samples as if at that distance: a row of streaks
            # under the horizon at window size) is haze, not stretched road
            haze = _haze(self.camera.params, lens.sky.shape[1], lens.alpha.shape[1])
            horizon = lens.sky[0, -1].astype(np.float32)
            lens.alpha[0] *= 1 - haze
            lens.addend[0] = (lens.addend[0] - 0.5) * (1 - haze) + horizon[:, None] * haze + 0.5
            self._look = look

    def ahead_m(self) -> float:
        """How far ahead of the car the view shows the ground [m] (down its middle column)."""
        p = self.camera.params
        return float(p.max_distance_m + p.forward_m)

    def project(self, fwd_m: float, left_m: float) -> tuple[float, float] | None:
        """Where a point on the ground (in the car's frame [m]) appears in the frame, as
        (column, row) [px]; None when it is behind the camera."""
        col, row, depth = _project(self.pose, fwd_m, left_m, 0.0)
        return None if depth < 0.3 else (col, row)

    def frame(self, track, x: float, y: float, heading: float, look: Look | None = None) -> np.ndarray:
        self._bind(track, look)
        lens = self._lens
        img = render_frames(lens, [x], [y], [heading])[0]
        if len(self._obstacles):
            d = np.hypot(self._obstacles[:, X] - x, self._obstacles[:, Y] - y)
            for j in np.argsort(-d):  # far first
                paint_obstacle(
                    img,
                    self.pose,
                    True,
                    x,
                    y,
                    heading,
                    self._obstacles[j],
                    j,
                    True,
                    lens.grade[0],
                    lens.air_offset[0],
                    lens.air_fog[0],
                    lens.fog_per_m[0],
                )
        car = self._car
        car[X], car[Y], car[COS], car[SIN] = x, y, math.cos(heading), math.sin(heading)
        paint_obstacle(
            img,
            self.pose,
            True,
            x,
            y,
            heading,
            car,
            OWN_COLOUR,
            True,
            lens.grade[0],
            lens.air_offset[0],
            lens.air_fog[0],
            0.0,
        )
        return img


def _haze(p: CameraParams, first: int, count: int) -> np.ndarray:
    """How much of the horizon's haze each of `count` pixels from pixel `first` on shows
    (float32, 0 to 1): none up to HAZE_FROM x max_distance_m, all from max_distance_m on,
    by each pixel's true distance on the ground (the camera's rays, unclamped; sky: all)."""
    fwd, left = _dashcam_rays(replace(p, max_distance_m=math.inf))
    dist = np.hypot(fwd - p.forward_m, left).reshape(-1)[first : first + count]
    near = HAZE_FROM * p.max_distance_m
    return np.clip((np.nan_to_num(dist, nan=np.inf) - near) / (p.max_distance_m - near), 0.0, 1.0).astype(np.float32)
