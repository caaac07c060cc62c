"""The world: N cars, each on its own track, stepped together by compiled kernels.

`DrivingEnv` is a Gymnasium view of this with N = 1 and `DrivingVectorEnv` with
N = num_envs. Every rule of a step is written once, for one car (`sim.step.step_car`,
and the rules it calls: `sim.car.move`, `sim.trackset.locate`, `sim.obstacles.touches`;
the observation's `sim.sensors.car_rays` and `sim.camera.car_frame`), and a kernel loops
it over the cars, so a batch of cars behaves exactly like as many single envs. Python keeps
what is not per step: tracks, conditions, lap times, drawing the road lazily. Nothing
here imports pygame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.camera import Lens, make_camera, render_frames
from sim.car import CarState, constants
from sim.config import EnvConfig
from sim.geometry import wrap_angle
from sim.heap import keep_freed_memory
from sim.jit import kernel
from sim.levels import Conditions, Look
from sim.obstacles import FIELDS, ObstacleTable, seen
from sim.raster import RasterSet, Reach
from sim.sensors import make_rays
from sim.step import _stale, sense, step_cars
from sim.track import Track
from sim.trackset import TrackSet

REBUILD_SLACK = 1.5  # a rebuilt track set gives each car this much room, so new tracks rarely rebuild it
NOISE_BLOCK = 256  # sensor noise is drawn this many readings at a time
DRAW_AHEAD_M = 32.0  # a car that needs road drawn gets this much more (not on its first frame: resets stay cheap)


@dataclass(frozen=True)
class CarView:
    """A read-only snapshot of one car for viewers (the window, the HUD, the expert).

    Positions in metres, angles in radians; `steer` is the wheel's angle over full lock
    (+1 = full left); `rays_m` are the sensor distances when the observation has them.
    """

    track: Track
    x: float
    y: float
    heading: float
    speed_mps: float
    steer: float
    s_m: float
    lap: int
    progress_m: float
    lateral_offset_m: float
    interventions: int
    lap_time_s: float
    ray_angles_rad: np.ndarray
    rays_m: np.ndarray | None


class World:
    """State and rules of N cars. Arrays are indexed by car.

    Attributes:
        car: CarState of (N,) arrays.
        vertex, s, lateral: nearest centreline vertex, arc length [m], lateral offset [m].
        progress: net metres along the centreline since the episode began.
        laps, steps, interventions: per-car counters; lap_times: per-car lists [s].
        tracks, trackset, rasters: the cars' tracks, and their geometry and pictures in
            per-car slots (rasters only with a camera: the road is drawn where it can see, `reach`).
    """

    def __init__(self, config: EnvConfig, n: int):
        keep_freed_memory()  # frames and activations are remade every step: keep their pages
        self.config = config
        self.n = n
        self.use_camera = config.observation in ("both", "camera")
        self.use_sensors = config.observation in ("both", "sensors")
        self.camera = make_camera(config.camera)
        self.rays = make_rays(config.sensors)
        reach = Reach.of_points(self.camera.forward_m, self.camera.left_m) if self.use_camera else Reach(0.0, 0.0)
        level = config.level
        if level.camera_jitter:  # a jittered camera sees a little further
            reach = Reach(reach.radius_m * (1 + 2 * level.camera_jitter), reach.behind_m + 1.0)
        self.reach = reach
        self.varied_camera = self.use_camera and (level.weather or level.camera_jitter > 0)
        self.varied_car = bool(level.cruise_speed_mps or level.steer_trim)
        self.conditions: list[Conditions] = [Conditions()] * n
        self.cruise = np.full(n, config.car.cruise_speed_mps)
        self.trim = np.zeros(n)
        self.noise_m = np.zeros(n)
        self._noise_rngs: list[np.random.Generator | None] = [None] * n
        # each car's noise comes from its own generator, drawn NOISE_BLOCK readings at a time
        self._noise = np.zeros((n, NOISE_BLOCK, config.sensors.n_rays)) if level.sensor_noise_m else None
        self._noise_at = np.full(n, NOISE_BLOCK, dtype=np.int64)
        self._looks_due: set[int] = set()
        self.tracks: list[Track | None] = [None] * n
        self._with_obstacles = 0  # how many of the tracks have obstacles
        self._changed: set[int] = set()
        self.trackset: TrackSet | None = None
        self.rasters: RasterSet | None = None
        self.lens: Lens | None = None
        # pose (x, y, heading) of each car's last draw_near; NaN forces a check
        self._checked_x, self._checked_y, self._checked_h = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        self._cos_turn = float(np.cos(self.reach.turn_rad))
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
        self.collisions = np.zeros(n, dtype=np.int64)
        self.in_contact = np.zeros(n, dtype=bool)
        self.obstacles: ObstacleTable | None = None  # only while some car's track has obstacles
        self.lap_times: list[list[float]] = [[] for _ in range(n)]
        # what the kernels take in place of what is absent, made once
        self._car_p = constants(config.car)
        self._zeros = np.zeros(n)
        self._all = np.arange(n)
        self._complete = np.zeros(n, dtype=bool)  # whose raster has every segment drawn
        self._lap_time = np.zeros(n)  # [s] of the lap each car finished this step (0: none)
        self._no_obstacles = np.zeros((n, 0, len(FIELDS)))
        self._seen_rows, self._seen_which = np.empty((n, len(FIELDS))), np.empty(n, dtype=np.int64)  # see seen()
        self._no_noise = np.zeros((n, 0, config.sensors.n_rays))

    # ------------------------------------------------------------------ tracks
    def set_conditions(self, i: int, cond: Conditions) -> None:
        """What car i meets from its next reset on (see `sim.levels.draw_conditions`)."""
        self.conditions[i] = cond
        self.cruise[i] = self.config.car.cruise_speed_mps if cond.cruise_speed_mps is None else cond.cruise_speed_mps
        self.trim[i] = cond.steer_trim
        self.noise_m[i] = cond.sensor_noise_m
        self._noise_rngs[i] = np.random.default_rng(cond.noise_seed) if cond.sensor_noise_m > 0 else None
        if self._noise_rngs[i] is not None:
            self._draw_noise(i)
        self._looks_due.add(i)

    def _draw_noise(self, i: int) -> None:
        """Car i's next NOISE_BLOCK readings of standard normal noise, from its own generator."""
        self._noise[i] = self._noise_rngs[i].standard_normal(self._noise.shape[1:])
        self._noise_at[i] = 0

    def _apply_looks(self, idx) -> None:
        for i in idx:
            cond = self.conditions[i]
            self.lens.set_view(i, cond.camera or self.config.camera, cond.look or Look())

    def set_track(self, i: int, track: Track) -> None:
        old = self.tracks[i]
        if old is not track:
            self._with_obstacles += bool(track.obstacles) - bool(old is not None and old.obstacles)
            self.tracks[i] = track
            self._changed.add(i)

    def _sync(self) -> None:
        """Bring the track (and raster) slots up to date after tracks changed.

        A new track is laid out in its car's slots when it fits (no road is drawn until a
        camera looks at it); otherwise the track set is rebuilt with room to grow, and the
        car's raster gets larger buffers of its own.
        """
        if not self._changed:
            self._sync_looks()
            return
        changed = sorted(self._changed)
        if self.trackset is None:  # first build: exact sizes
            self.trackset = TrackSet(self.tracks)
        elif not all([self.trackset.put(i, self.tracks[i]) for i in changed]):
            self.trackset = TrackSet(self.tracks, slack=REBUILD_SLACK, at_least=self.trackset.capacity)
        if self.use_camera:
            self._sync_rasters(changed)
        if self._with_obstacles:  # any track has obstacles
            if self.obstacles is None:
                self.obstacles = ObstacleTable(self.tracks)
            elif not all([self.obstacles.put(i, self.tracks[i]) for i in changed]):
                self.obstacles = ObstacleTable(self.tracks, at_least=self.obstacles.table.shape[1])
        else:
            self.obstacles = None
        self._forget_checks(changed)
        self._changed.clear()
        self._sync_looks()

    def _sync_rasters(self, changed: list[int]) -> None:
        if self.rasters is None:
            self.rasters = RasterSet(self.tracks, self.config.raster)
            self.lens = Lens(self.camera, self.rasters, self.varied_camera, self.config.level.camera_jitter)
            self._looks_due.update(range(self.n))
        else:
            for i in changed:
                self.rasters.redraw(i, self.tracks[i])
        self._complete[changed] = False

    def _sync_looks(self) -> None:
        if self.varied_camera and self.lens is not None and self._looks_due:
            self._apply_looks(sorted(self._looks_due))
        self._looks_due.clear()

    def _draw_near(self, cars, x, y, heading) -> None:
        """Draw the road each of `cars` (indices) can see from (x, y, heading) before it moves on.

        A car is checked again once it has moved `reach.move_m` or turned `reach.turn_rad`
        since its last check (always after a reset or a teleport); `_stale` finds them.
        """
        todo = _stale(
            cars,
            x,
            y,
            heading,
            self._checked_x,
            self._checked_y,
            self._checked_h,
            self._complete,
            self.reach.move_m,
            self._cos_turn,
        )
        for k in todo:
            i = cars[k]
            ahead = 0.0 if np.isnan(self._checked_x[i]) else DRAW_AHEAD_M
            raster = self.rasters.rasters[i]
            raster.draw_near(x[k], y[k], heading[k], self.reach, ahead)
            self._complete[i] = raster.complete
            self._checked_x[i], self._checked_y[i], self._checked_h[i] = x[k], y[k], heading[k]

    def _forget_checks(self, idx) -> None:
        self._checked_x[idx] = self._checked_y[idx] = self._checked_h[idx] = np.nan

    # ------------------------------------------------------------------- reset
    def reset_cars(self, idx) -> None:
        """Put cars `idx` at the start of their tracks with clean counters."""
        self._sync()
        idx = np.atleast_1d(idx)
        ts = self.trackset
        start = ts.centre[ts.start[idx]]
        speed = self.cruise[idx] if self.config.action == "steer" else 0.0
        c = self.car
        for arr, val in (
            (c.x, start.real),
            (c.y, start.imag),
            (c.heading, ts.heading[ts.start[idx]]),
            (c.speed, speed),
            (c.steer, 0.0),
        ):
            arr[idx] = val
        for arr in (
            self.vertex,
            self.s,
            self.lateral,
            self.progress,
            self.laps,
            self.steps,
            self.lap_start,
            self.interventions,
            self.collisions,
        ):
            arr[idx] = 0
        self.off_road[idx] = False
        self.in_contact[idx] = False
        for i in idx:
            self.lap_times[i] = []

    def place(self, i: int, x: float, y: float, heading: float, speed: float) -> None:
        """Move car i (tests, teleports); its track position is found by a full search."""
        for arr, val in (
            (self.car.x, x),
            (self.car.y, y),
            (self.car.heading, heading),
            (self.car.speed, speed),
            (self.car.steer, 0.0),
        ):
            arr[i] = val
        track = self.tracks[i]
        v = int(track.nearest_vertex(np.array([[x, y]]))[0])
        self.vertex[i], self.s[i], self.lateral[i] = track.locate(x, y, v)
        self._forget_checks(i)

    # -------------------------------------------------------------------- step
    def step(self, steer: np.ndarray, throttle: np.ndarray | None):
        """Advance every car by one step (`step_car`). Returns (reward, terminated, truncated), each (N,)."""
        cfg, ts, c = self.config, self.trackset, self.car
        n = self.n
        reward, terminated, truncated = np.empty(n), np.empty(n, dtype=bool), np.empty(n, dtype=bool)
        ob = self.obstacles.table if self.obstacles is not None else self._no_obstacles
        lapped = step_cars(self.n)(
            np.ascontiguousarray(steer, dtype=np.float64),
            self._zeros if throttle is None else np.ascontiguousarray(throttle, dtype=np.float64),
            throttle is not None,
            self.trim,
            self.cruise,
            self._car_p,
            cfg.dt_s,
            c.x,
            c.y,
            c.heading,
            c.speed,
            c.steer,
            self.vertex,
            self.s,
            self.lateral,
            self.progress,
            self.laps,
            self.steps,
            self.lap_start,
            self.interventions,
            self.collisions,
            self.off_road,
            self.in_contact,
            ts.centre,
            ts.tangent,
            ts.heading,
            ts.start,
            ts.n,
            ts.ds,
            ts.length,
            ts.half_width,
            ts.obs_ahead,
            ob,
            cfg.offroad == "recover",
            cfg.offroad_penalty,
            cfg.collision_penalty,
            cfg.max_steps,
            cfg.max_laps or 0,
            reward,
            terminated,
            truncated,
            self._lap_time,
        )
        if lapped:
            for i in np.flatnonzero(self._lap_time > 0):
                self.lap_times[i].append(float(self._lap_time[i]))
        return reward, terminated, truncated

    # ------------------------------------------------------------ observation
    def observe(self, x=None, y=None, heading=None, speed=None, cars=None) -> dict:
        """Observations (N, ...) of the cars, or of cars at other poses (side cameras).

        With `cars` (indices), only those cars are observed: rows (len(cars), ...).
        """
        c = self.car
        x = c.x if x is None else np.ascontiguousarray(x, dtype=np.float64)
        y = c.y if y is None else np.ascontiguousarray(y, dtype=np.float64)
        heading = c.heading if heading is None else np.ascontiguousarray(heading, dtype=np.float64)
        speed = c.speed if speed is None else np.ascontiguousarray(speed, dtype=np.float64)
        if cars is None:
            cars = self._all
        else:
            cars = np.asarray(cars, dtype=np.int64)
            x, y, heading, speed = x[cars], y[cars], heading[cars], speed[cars]
        obs = {}
        if self.use_camera:
            self._draw_near(cars, x, y, heading)
            obs["camera"] = render_frames(self.lens, x, y, heading, cars, obstacles=self._obstacles_seen(cars))
        if self.use_sensors:
            sensors = np.empty((len(cars), len(self.rays.angles) + 1), dtype=np.float32)
            noise = self._no_noise if self._noise is None else self._noise
            ts, fan = self.trackset, self.rays
            ob = self.obstacles.table if self.obstacles is not None else self._no_obstacles
            spent = sense(len(cars))(
                sensors,
                cars,
                x,
                y,
                heading,
                speed,
                self.vertex,
                fan.cos,
                fan.sin,
                fan.t_m,
                fan.params.step_m,
                fan.params.max_range_m,
                ts.centre,
                ts.tangent,
                ts.start,
                ts.n,
                ts.half_width,
                ts.obs_ahead,
                ob,
                self.noise_m,
                noise,
                self._noise_at,
            )
            if spent:  # each car's noise comes from its own generator, a block at a time
                for i in np.flatnonzero((self._noise_at >= NOISE_BLOCK) & (self.noise_m > 0)):
                    self._draw_noise(i)
            obs["sensors"] = sensors
        return obs

    def _obstacles_seen(self, cars):
        """Per car of `cars`, the obstacle it is passing (what its camera draws), as
        `render_frames` takes it; None when no track has obstacles."""
        if self.obstacles is None:
            return None
        ts = self.trackset
        cars = np.asarray(cars, dtype=np.int64)
        if len(cars) > len(self._seen_which):  # (more views than cars: buffers that hold them)
            self._seen_rows, self._seen_which = np.empty((len(cars), len(FIELDS))), np.empty(len(cars), dtype=np.int64)
        rows, which = self._seen_rows[: len(cars)], self._seen_which[: len(cars)]
        seen(self.obstacles.table, ts.obs_ahead, ts.start, self.vertex, cars, rows, which)
        return rows, which

    def info(self, i: int | None = None) -> dict:
        """Per-car info arrays (copies), or car i's as Python scalars."""
        ts = self.trackset
        if i is not None:
            return {
                "lap": self.laps.item(i),
                "progress_m": self.progress.item(i),
                "lateral_offset_m": self.lateral.item(i),
                "heading_error_rad": float(
                    wrap_angle(self.car.heading.item(i) - ts.heading.item(ts.start.item(i) + self.vertex.item(i)))
                ),
                "speed_mps": self.car.speed.item(i),
                "steer": self.car.steer.item(i) / self.config.car.max_steer_rad,
                "off_road": self.off_road.item(i),
                "interventions": self.interventions.item(i),
                "collisions": self.collisions.item(i),
                "step": self.steps.item(i),
            }
        values = {
            "lap": self.laps,
            "progress_m": self.progress,
            "lateral_offset_m": self.lateral,
            "heading_error_rad": _heading_errors(self.car.heading, ts.heading, ts.start, self.vertex),
            "speed_mps": self.car.speed,
            "steer": self.car.steer / self.config.car.max_steer_rad,
            "off_road": self.off_road,
            "interventions": self.interventions,
            "collisions": self.collisions,
            "step": self.steps,
        }
        return {k: np.array(v) for k, v in values.items()}

    def view(self, i: int, rays_m: np.ndarray | None = None) -> CarView:
        """A read-only snapshot of car i (`rays_m`: its last sensor reading, if any)."""
        c = self.car
        return CarView(
            track=self.tracks[i],
            x=float(c.x[i]),
            y=float(c.y[i]),
            heading=float(c.heading[i]),
            speed_mps=float(c.speed[i]),
            steer=float(c.steer[i] / self.config.car.max_steer_rad),
            s_m=float(self.s[i]),
            lap=int(self.laps[i]),
            progress_m=float(self.progress[i]),
            lateral_offset_m=float(self.lateral[i]),
            interventions=int(self.interventions[i]),
            lap_time_s=float(self.steps[i] - self.lap_start[i]) * self.config.dt_s,
            ray_angles_rad=self.rays.angles,
            rays_m=rays_m,
        )


@kernel
def _heading_errors(heading, track_heading, start, vertex):
    """Each car's heading minus its track's at its nearest vertex, wrapped into [-pi, pi)."""
    out = np.empty(len(heading))
    for i in range(len(heading)):
        out[i] = wrap_angle(heading[i] - track_heading[start[i] + vertex[i]])
    return out
