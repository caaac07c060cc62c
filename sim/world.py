"""The batched world: N cars, each on its own track, stepped together in numpy.

`DrivingEnv` is this with N = 1 and `DrivingVectorEnv` with N = num_envs, so a batch of
cars behaves exactly like as many single envs. Nothing here imports pygame.
"""

from __future__ import annotations

import numpy as np

from sim.camera import bind, make_camera, render_frames
from sim.car import CarState, step as car_step
from sim.config import EnvConfig
from sim.geometry import wrap_angle
from sim.raster import Raster, RasterSet, build as build_raster
from sim.sensors import grid_centreline, make_rays, read_rays
from sim.track import Track
from sim.trackset import TrackSet

_RASTERS: dict = {}  # (track, RasterParams) -> Raster, a small per-process cache
_RASTER_CACHE_SIZE = 16


def raster_for(track: Track, params) -> Raster:
    key = (id(track), params)
    hit = _RASTERS.get(key)
    if hit is not None and hit[0] is track:
        return hit[1]
    raster = build_raster(track, params)
    if len(_RASTERS) >= _RASTER_CACHE_SIZE:
        _RASTERS.pop(next(iter(_RASTERS)))
    _RASTERS[key] = (track, raster)
    return raster


class World:
    """State and rules of N cars. Arrays are indexed by car.

    Attributes:
        car: CarState of (N,) arrays.
        vertex, s, lateral: nearest centreline vertex, arc length [m], lateral offset [m].
        progress: net metres along the centreline since the episode began.
        laps, steps, interventions: per-car counters; lap_times: per-car lists [s].
    """

    def __init__(self, config: EnvConfig, n: int):
        self.config = config
        self.n = n
        self.camera = make_camera(config.camera)
        self.rays = make_rays(config.sensors)
        self.use_camera = config.observation in ("both", "camera")
        self.use_sensors = config.observation in ("both", "sensors")
        self.tracks: list[Track | None] = [None] * n
        self._changed: set[int] = set()
        self.rasters: RasterSet | None = None
        self.pool_rebuilds = 0
        zeros = np.zeros(n)
        self.car = CarState(zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy())
        self.vertex = np.zeros(n, dtype=np.int64)
        self.s = zeros.copy()
        self.lateral = zeros.copy()
        self.progress = zeros.copy()
        self.laps = np.zeros(n, dtype=np.int64)
        self.steps = np.zeros(n, dtype=np.int64)
        self.lap_start = np.zeros(n, dtype=np.int64)
        self.interventions = np.zeros(n, dtype=np.int64)
        self.off_road = np.zeros(n, dtype=bool)
        self.lap_times: list[list[float]] = [[] for _ in range(n)]

    # ------------------------------------------------------------------ tracks
    def set_track(self, i: int, track: Track) -> None:
        if self.tracks[i] is not track:
            self.tracks[i] = track
            self._changed.add(i)

    def _sync(self) -> None:
        """Bring the joint track and raster arrays up to date after tracks changed.

        A new track is drawn into its car's slot of the raster pool when it fits; otherwise
        the pool is rebuilt (copying the unchanged rasters) with 50% slack per slot, so
        episodes that autoreset onto new tracks rarely rebuild it.
        """
        if not self._changed:
            return
        params = self.config.raster
        if self.rasters is None:  # first build: exact sizes
            self.rasters = RasterSet.pooled(self.tracks, params)
        else:
            for i in sorted(self._changed):
                updated = self.rasters.redraw(i, self.tracks[i], params)
                if updated is None:
                    reuse = {id(t): r for t, r in zip(self.trackset.tracks, self.rasters.rasters)}
                    self.rasters = RasterSet.pooled(self.tracks, params, reuse=reuse, slack=1.5)
                    self.pool_rebuilds += 1
                    break
                self.rasters = updated
        self.trackset = TrackSet.of(self.tracks)
        self.lens = bind(self.camera, self.rasters) if self.use_camera else None
        self.grid_centre = grid_centreline(self.trackset, self.rasters)
        self._changed.clear()

    # ------------------------------------------------------------------- reset
    def reset_cars(self, idx) -> None:
        """Put cars `idx` at the start of their tracks with clean counters."""
        self._sync()
        idx = np.atleast_1d(idx)
        ts = self.trackset
        start = ts.centre[ts.start[idx]]
        speed = self.config.car.cruise_speed_mps if self.config.action == "steer" else 0.0
        c = self.car
        for arr, val in ((c.x, start.real), (c.y, start.imag), (c.heading, ts.heading[ts.start[idx]]), (c.speed, speed), (c.steer, 0.0)):
            arr[idx] = val
        for arr in (self.vertex, self.s, self.lateral, self.progress, self.laps, self.steps, self.lap_start, self.interventions):
            arr[idx] = 0
        self.off_road[idx] = False
        for i in idx:
            self.lap_times[i] = []

    def place(self, i: int, x: float, y: float, heading: float, speed: float) -> None:
        """Move car i (tests, teleports); its track position is found by a full search."""
        for arr, val in ((self.car.x, x), (self.car.y, y), (self.car.heading, heading), (self.car.speed, speed), (self.car.steer, 0.0)):
            arr[i] = val
        track = self.tracks[i]
        v = int(track.nearest_vertex(np.array([[x, y]]))[0])
        self.vertex[i], self.s[i], self.lateral[i] = track.locate(x, y, v)

    # -------------------------------------------------------------------- step
    def step(self, steer: np.ndarray, throttle: np.ndarray | None):
        """Advance every car by one step. Returns (reward, terminated, truncated), each (N,)."""
        cfg = self.config
        ts = self.trackset
        self.car = car_step(self.car, steer, throttle, cfg.dt_s, cfg.car)
        self.vertex, s, self.lateral = ts.locate(self.car.x, self.car.y, self.vertex)
        ds = (s - self.s + ts.length / 2) % ts.length - ts.length / 2
        self.s = s
        self.progress += ds
        reward = ds.copy()
        self.steps += 1
        laps = np.floor(self.progress / ts.length).astype(np.int64)
        for i in np.flatnonzero(laps > self.laps):  # net progress only: reversing never counts
            self.lap_times[i].append(float(self.steps[i] - self.lap_start[i]) * cfg.dt_s)
            self.lap_start[i] = self.steps[i]
            self.laps[i] = laps[i]
        self.off_road = np.abs(self.lateral) > ts.half_width
        reward -= cfg.offroad_penalty * self.off_road
        if cfg.offroad == "terminate":
            terminated = self.off_road.copy()
        else:
            terminated = np.zeros(self.n, dtype=bool)
            if self.off_road.any():
                self._recover(np.flatnonzero(self.off_road))
        truncated = self.steps >= cfg.max_steps
        if cfg.max_laps is not None:
            truncated |= self.laps >= cfg.max_laps
        return reward, terminated, truncated

    def _recover(self, idx: np.ndarray) -> None:
        """Put cars back on the centreline where they left, facing along the track."""
        ts = self.trackset
        row = ts.start[idx] + self.vertex[idx]
        c = self.car
        c.x[idx], c.y[idx] = ts.centre[row].real, ts.centre[row].imag
        c.heading[idx] = ts.heading[row]
        c.steer[idx] = 0.0
        new_s = self.vertex[idx] * ts.ds[idx]
        length = ts.length[idx]
        self.progress[idx] += (new_s - self.s[idx] + length / 2) % length - length / 2
        self.s[idx] = new_s
        self.lateral[idx] = 0.0
        self.interventions[idx] += 1

    # ------------------------------------------------------------ observation
    def observe(self, x=None, y=None, heading=None, speed=None, cars=None) -> dict:
        """Observations (N, ...) of the cars, or of cars at other poses (side cameras).

        With `cars` (indices), only those cars' camera frames are rendered (sensors need
        every car).
        """
        c = self.car
        x = c.x if x is None else x
        y = c.y if y is None else y
        heading = c.heading if heading is None else heading
        speed = c.speed if speed is None else speed
        obs = {}
        if self.use_camera:
            if cars is None:
                obs["camera"] = render_frames(self.lens, x, y, heading)
            else:
                obs["camera"] = render_frames(self.lens, x[cars], y[cars], heading[cars], cars)
        if self.use_sensors:
            rays = read_rays(self.rays, self.trackset, self.rasters, x, y, heading, self.grid_centre)
            obs["sensors"] = np.concatenate([rays, np.asarray(speed, dtype=np.float64)[:, None]], axis=1).astype(np.float32)
        return obs

    def info(self) -> dict:
        """Per-car info arrays."""
        ts = self.trackset
        return {
            "lap": self.laps.copy(),
            "progress_m": self.progress.copy(),
            "lateral_offset_m": self.lateral.copy(),
            "heading_error_rad": wrap_angle(self.car.heading - ts.heading[ts.start + self.vertex]),
            "speed_mps": self.car.speed.copy(),
            "steer": self.car.steer / self.config.car.max_steer_rad,
            "off_road": self.off_road.copy(),
            "interventions": self.interventions.copy(),
            "step": self.steps.copy(),
        }
