"""The world: N cars, each on its own track, stepped together in numpy.

`DrivingEnv` is a Gymnasium view of this with N = 1 and `DrivingVectorEnv` with
N = num_envs: there is one implementation of reset, step, recovery and observation, so a
batch of cars behaves exactly like as many single envs. Nothing here imports pygame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.camera import Lens, make_camera, render_frames, sight_m
from sim.car import CarState, step as car_step
from sim.config import EnvConfig
from sim.geometry import wrap_angle
from sim.heap import keep_freed_memory
from sim.levels import Conditions, Look
from sim.obstacles import CAR_CIRCLES_M, CAR_RADIUS_M, ObstacleTable, box_distance, ray_box
from sim.raster import RasterSet, Reach
from sim.sensors import make_rays, read_rays
from sim.track import Track
from sim.trackset import TrackSet

REBUILD_SLACK = 1.5  # a rebuilt pool gives each car this much room, so new tracks rarely rebuild it
BOX_FIELDS = ("x", "y", "cos", "sin", "half_len", "half_wid")  # an obstacle's box (ObstacleTable columns)
SPRITE_FIELDS = BOX_FIELDS + ("height", "cone")  # and what the camera needs to draw it
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
            per-car slots; the road is drawn where observations can see it (`reach`).
    """

    def __init__(self, config: EnvConfig, n: int):
        keep_freed_memory()  # frames and activations are remade every step: keep their pages
        self.config = config
        self.n = n
        self.use_camera = config.observation in ("both", "camera")
        self.use_sensors = config.observation in ("both", "sensors")
        self.camera = make_camera(config.camera)
        self.rays = make_rays(config.sensors)
        reach = Reach(0.0, 0.0)
        if self.use_camera:
            reach = reach.union(Reach.of_points(self.camera.forward_m, self.camera.left_m))
        if self.use_sensors:
            reach = reach.union(Reach.of_points(self.rays.offsets.real.ravel(), self.rays.offsets.imag.ravel()))
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
        self._noise_at = np.full(n, NOISE_BLOCK)
        self._looks_due: set[int] = set()
        self.tracks: list[Track | None] = [None] * n
        self._changed: set[int] = set()
        self.trackset: TrackSet | None = None
        self.rasters: RasterSet | None = None
        self.lens: Lens | None = None
        self.pool_rebuilds = 0
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
        self._near_pose = None  # the pose `_nearest_obstacle` last answered for, and its answer
        self._near = (-1, math.inf)
        self.lap_times: list[list[float]] = [[] for _ in range(n)]

    # ------------------------------------------------------------------ tracks
    def set_conditions(self, i: int, cond: Conditions) -> None:
        """What car i meets from its next reset on (see `sim.levels.draw_conditions`)."""
        self.conditions[i] = cond
        self.cruise[i] = self.config.car.cruise_speed_mps if cond.cruise_speed_mps is None else cond.cruise_speed_mps
        self.trim[i] = cond.steer_trim
        self.noise_m[i] = cond.sensor_noise_m
        self._noise_rngs[i] = np.random.default_rng(cond.noise_seed) if cond.sensor_noise_m > 0 else None
        self._noise_at[i] = NOISE_BLOCK
        self._looks_due.add(i)

    def _apply_looks(self, idx) -> None:
        for i in idx:
            cond = self.conditions[i]
            self.lens.set_view(i, cond.camera or self.config.camera, cond.look or Look())

    def set_track(self, i: int, track: Track) -> None:
        if self.tracks[i] is not track:
            self.tracks[i] = track
            self._changed.add(i)

    def _sync(self) -> None:
        """Bring the track and raster slots up to date after tracks changed.

        A new track is laid out in its car's slots when it fits (no road is drawn until a
        car looks at it); otherwise that pool is rebuilt with room to grow.
        """
        if not self._changed:
            self._sync_looks()
            return
        changed = sorted(self._changed)
        if self.rasters is None:  # first build: exact sizes
            self.trackset = TrackSet(self.tracks)
            self.rasters = RasterSet(self.tracks, self.config.raster, colour=self.use_camera)
            self.lens = Lens(self.camera, self.rasters, self.varied_camera, self.config.level.camera_jitter) if self.use_camera else None
            self._looks_due.update(range(self.n))
        else:
            if not all([self.trackset.put(i, self.tracks[i]) for i in changed]):
                self.trackset = TrackSet(self.tracks, slack=REBUILD_SLACK)
            if all([self.rasters.redraw(i, self.tracks[i]) for i in changed]):
                if self.lens is not None:
                    for i in changed:
                        self.lens.update(i)
            else:
                self.rasters = self.rasters.rebuilt(self.tracks, slack=REBUILD_SLACK)
                self.lens = Lens(self.camera, self.rasters, self.varied_camera, self.config.level.camera_jitter) if self.use_camera else None
                self._looks_due.update(range(self.n))
                self.pool_rebuilds += 1
        if any(t.obstacles for t in self.tracks):
            if self.obstacles is None or not all([self.obstacles.put(i, self.tracks[i]) for i in changed]):
                self.obstacles = ObstacleTable(self.tracks)
        else:
            self.obstacles = None
        self._near_pose = None  # new tracks: new obstacles
        self._forget_checks(changed)
        self._changed.clear()
        self._sync_looks()

    def _sync_looks(self) -> None:
        if self.varied_camera and self.lens is not None and self._looks_due:
            self._apply_looks(sorted(self._looks_due))
        self._looks_due.clear()

    def _draw_near(self, cars, x, y, heading) -> None:
        """Draw the road each of `cars` can see from (x, y, heading) before it moves on.

        A car is checked again once it has moved `reach.move_m` or turned `reach.turn_rad`
        since its last check (always after a reset or a teleport). This runs every step,
        so the common case is a handful of array operations.
        """
        if self.n == 1:  # one car: float arithmetic, ~10x cheaper than numpy on 1-element arrays
            if self.rasters.rasters[0].complete:
                return
            dx, dy = float(x[0]) - self._checked_x[0], float(y[0]) - self._checked_y[0]
            if dx * dx + dy * dy <= self.reach.move_m**2 and math.cos(float(heading[0]) - self._checked_h[0]) >= self._cos_turn:
                return
            near = np.zeros(1, dtype=bool)
        else:
            dx = x - self._checked_x[cars]
            dy = y - self._checked_y[cars]
            near = dx * dx + dy * dy <= self.reach.move_m**2
            near &= np.cos(heading - self._checked_h[cars]) >= self._cos_turn
            if near.all():
                return
        index = np.arange(self.n)[cars]  # car of each pose
        for k in np.flatnonzero(~near):
            i = index[k]
            ahead = 0.0 if np.isnan(self._checked_x[i]) else DRAW_AHEAD_M
            self.rasters.rasters[i].draw_near(x[k], y[k], heading[k], self.reach, ahead)
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
        for arr, val in ((c.x, start.real), (c.y, start.imag), (c.heading, ts.heading[ts.start[idx]]), (c.speed, speed), (c.steer, 0.0)):
            arr[idx] = val
        for arr in (self.vertex, self.s, self.lateral, self.progress, self.laps, self.steps, self.lap_start, self.interventions, self.collisions):
            arr[idx] = 0
        self.off_road[idx] = False
        self.in_contact[idx] = False
        for i in idx:
            self.lap_times[i] = []

    def place(self, i: int, x: float, y: float, heading: float, speed: float) -> None:
        """Move car i (tests, teleports); its track position is found by a full search."""
        for arr, val in ((self.car.x, x), (self.car.y, y), (self.car.heading, heading), (self.car.speed, speed), (self.car.steer, 0.0)):
            arr[i] = val
        track = self.tracks[i]
        v = int(track.nearest_vertex(np.array([[x, y]]))[0])
        self.vertex[i], self.s[i], self.lateral[i] = track.locate(x, y, v)
        self._forget_checks(i)

    # -------------------------------------------------------------------- step
    def step(self, steer: np.ndarray, throttle: np.ndarray | None):
        """Advance every car by one step. Returns (reward, terminated, truncated), each (N,)."""
        if self.n == 1:
            return self._step_one(float(steer[0]), None if throttle is None else float(throttle[0]))
        cfg = self.config
        ts = self.trackset
        if self.varied_car:
            self.car = car_step(self.car, steer + self.trim, throttle, cfg.dt_s, cfg.car, self.cruise)
        else:
            self.car = car_step(self.car, steer, throttle, cfg.dt_s, cfg.car)
        self.vertex, s, self.lateral = ts.locate(self.car.x, self.car.y, self.vertex)
        ds = s - self.s
        ds -= ts.length * np.rint(ds / ts.length)  # across the start line: the short way round
        self.s = s
        self.progress += ds
        self.steps += 1
        if (self.progress >= (self.laps + 1) * ts.length).any():  # net progress only: reversing never counts
            self._count_laps()
        self.off_road = np.abs(self.lateral) > ts.half_width
        reward = ds - cfg.offroad_penalty * self.off_road
        hit = np.zeros(self.n, dtype=bool)
        if self.obstacles is not None:
            touching = self._contacts()
            hit = touching & ~self.in_contact  # a collision is the start of a contact
            self.in_contact = touching
            self.collisions += hit
            reward -= cfg.collision_penalty * hit
        if cfg.offroad == "terminate":
            terminated = self.off_road | hit
        else:
            terminated = np.zeros(self.n, dtype=bool)
            if hit.any():
                self._recover_past_obstacle(np.flatnonzero(hit))
            if self.off_road.any():
                self._recover(np.flatnonzero(self.off_road & ~hit))
        truncated = self.steps >= cfg.max_steps
        if cfg.max_laps is not None:
            truncated |= self.laps >= cfg.max_laps
        return reward, terminated, truncated

    def _step_one(self, steer: float, throttle: float | None):
        """`step` for a world of one car, on Python floats.

        Why it exists: with one car, each numpy call costs ~1 us whatever the array size,
        and `step` makes ~40 of them, which made the single env half as fast as a scalar
        one. These are the same rules in the same order (the car's own `step` on floats,
        `Track.locate`, whose arithmetic `TrackSet.locate` repeats), so one car here equals
        one car of a batch bit for bit (tests/sim/test_vector.py checks it).
        """
        cfg, c = self.config, self.car
        state = CarState(float(c.x[0]), float(c.y[0]), float(c.heading[0]), float(c.speed[0]), float(c.steer[0]))
        if self.varied_car:
            car = car_step(state, steer + float(self.trim[0]), throttle, cfg.dt_s, cfg.car, float(self.cruise[0]))
        else:
            car = car_step(state, steer, throttle, cfg.dt_s, cfg.car)
        track = self.tracks[0]
        vertex, s, lateral = track.locate(car.x, car.y, int(self.vertex[0]))
        length = self.trackset.length[0]
        ds = s - self.s[0]
        ds -= length * np.rint(ds / length)  # across the start line: the short way round
        c.x[0], c.y[0], c.heading[0], c.speed[0], c.steer[0] = car.x, car.y, car.heading, car.speed, car.steer
        self.vertex[0], self.s[0], self.lateral[0] = vertex, s, lateral
        self.progress[0] += ds
        self.steps[0] += 1
        if self.progress[0] >= (self.laps[0] + 1) * length:
            self._count_laps()
        off = abs(lateral) > track.width_m / 2
        self.off_road[0] = off
        reward = ds - cfg.offroad_penalty * off
        hit = False
        if self.obstacles is not None:
            touching = bool(self._contacts()[0])
            hit = touching and not self.in_contact[0]
            self.in_contact[0] = touching
            self.collisions[0] += hit
            reward -= cfg.collision_penalty * hit
        terminated = (off or hit) and cfg.offroad == "terminate"
        if hit and not terminated:
            self._recover_past_obstacle(np.zeros(1, dtype=np.int64))
        elif off and not terminated:
            self._recover(np.zeros(1, dtype=np.int64))
        truncated = self.steps[0] >= cfg.max_steps or (cfg.max_laps is not None and self.laps[0] >= cfg.max_laps)
        return np.array([reward]), np.array([terminated]), np.array([truncated])

    def _count_laps(self) -> None:
        laps = np.floor(self.progress / self.trackset.length).astype(np.int64)
        for i in np.flatnonzero(laps > self.laps):
            self.lap_times[i].append(float(self.steps[i] - self.lap_start[i]) * self.config.dt_s)
            self.lap_start[i] = self.steps[i]
            self.laps[i] = laps[i]

    def _nearest_obstacle(self) -> tuple[int, float]:
        """One car: the obstacle it is passing (-1: none), and its distance [m] (inf: none).
        Remembered for the car's pose: a step asks three times (contact, camera, rays)."""
        ts, ob, c = self.trackset, self.obstacles, self.car
        pose = (c.x.item(0), c.y.item(0), self.vertex.item(0))  # (new tracks forget it: see _sync)
        if self._near_pose == pose:
            return self._near
        k = int(ts.obs_ahead[ts.start.item(0) + pose[2]])
        near = (k, math.inf) if k < 0 else (k, math.hypot(ob.x.item(0, k) - pose[0], ob.y.item(0, k) - pose[1]))
        self._near_pose, self._near = pose, near
        return near

    def _passing(self, *fields: str):
        """Per car: the index of the obstacle it is passing (-1: none), and those fields of it ((N,) each)."""
        if self.n == 1:  # slices, not fancy indexing
            k = self._nearest_obstacle()[0]
            j = max(k, 0)
            return np.array([k]), [getattr(self.obstacles, f)[0, j : j + 1] for f in fields]
        k = self.trackset.obs_ahead[self.trackset.start + self.vertex]
        j, cars = np.maximum(k, 0), np.arange(self.n)
        return k, [getattr(self.obstacles, f)[cars, j] for f in fields]

    def _contacts(self) -> np.ndarray:
        """(N,) whether each car's body (two circles) touches the obstacle it is passing."""
        ob, c = self.obstacles, self.car
        if self.n == 1:  # most steps no obstacle is near: skip the arithmetic
            k, dist = self._nearest_obstacle()
            if dist > ob.half_len.item(0, k) + ob.half_wid.item(0, k) + max(CAR_CIRCLES_M) + CAR_RADIUS_M:
                return np.zeros(1, dtype=bool)
        k, (x, y, co, si, hl, hw) = self._passing(*BOX_FIELDS)
        hc, hs = np.cos(c.heading), np.sin(c.heading)
        near = np.zeros(self.n, dtype=bool)
        for along in CAR_CIRCLES_M:
            near |= box_distance(c.x + hc * along, c.y + hs * along, x, y, co, si, hl, hw) < CAR_RADIUS_M
        return near & (k >= 0)

    def _recover_past_obstacle(self, idx: np.ndarray) -> None:
        """Put cars that hit an obstacle back on the centreline 4 m past its far end."""
        ts, ob = self.trackset, self.obstacles
        k = ts.obs_ahead[ts.start[idx] + self.vertex[idx]]
        past = ob.s[idx, k] + ob.half_len[idx, k] + 4.0
        self.vertex[idx] = np.floor(past / ts.ds[idx]).astype(np.int64) % ts.n[idx]
        self._recover(idx)
        self.in_contact[idx] = False

    def _recover(self, idx: np.ndarray) -> None:
        """Put cars back on the centreline at their nearest vertex, facing along the track."""
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
            seen = self._obstacles_seen() if self.obstacles is not None else None
            if cars is None:
                self._draw_near(slice(None), x, y, heading)
                obs["camera"] = render_frames(self.lens, x, y, heading, obstacles=seen)
            else:
                self._draw_near(cars, x[cars], y[cars], heading[cars])
                seen = None if seen is None else {k: v[cars] for k, v in seen.items()}
                obs["camera"] = render_frames(self.lens, x[cars], y[cars], heading[cars], cars, obstacles=seen)
        if self.use_sensors:
            if cars is not None or not self.use_camera:  # else the camera's check covered every car
                self._draw_near(slice(None), x, y, heading)
            sensors = np.empty((len(x), len(self.rays.angles) + 1), dtype=np.float32)
            sensors[:, :-1] = read_rays(self.rays, self.trackset, self.rasters, x, y, heading)
            if self.obstacles is not None:
                hits = self._rays_to_obstacles(x, y, heading)
                if hits is not None:
                    np.minimum(sensors[:, :-1], hits, out=sensors[:, :-1])
            if self._noise is not None:
                self._add_noise(sensors)
            sensors[:, -1] = speed
            obs["sensors"] = sensors
        return obs

    def _obstacles_seen(self) -> dict | None:
        """Per car, the obstacle it is passing (what its camera draws), as `paint_obstacles` takes it."""
        ob = self.obstacles
        if self.n == 1:  # one car: slices, not fancy indexing; nothing when the obstacle is beyond sight
            k, dist = self._nearest_obstacle()
            if dist > sight_m(self.config.camera):
                return None
            out = {name: getattr(ob, name)[0, k : k + 1] for name in SPRITE_FIELDS}
            out["colour"] = np.array([k])
            out["valid"] = np.ones(1, dtype=bool)
            return out
        k, values = self._passing(*SPRITE_FIELDS)
        out = dict(zip(SPRITE_FIELDS, values))
        out["colour"] = np.maximum(k, 0)
        out["valid"] = k >= 0
        return out

    def _rays_to_obstacles(self, x, y, heading) -> np.ndarray | None:
        """(N, r) distance along each ray to the obstacle each car is passing (max range if
        none); None when one car has no obstacle within the rays' reach."""
        far = self.rays.params.max_range_m
        if self.n == 1 and len(x) == 1:
            k, dist = self._nearest_obstacle()
            ob = self.obstacles
            r = math.hypot(ob.half_len.item(0, k), ob.half_wid.item(0, k))  # the obstacle's bounding circle
            if dist > far + r + 2.0:  # (+2 m: a side camera's shift)
                return None
            ox, oy = ob.x.item(0, k) - float(x[0]), ob.y.item(0, k) - float(y[0])  # from the rays' origin
            d0 = math.hypot(ox, oy)
            if d0 > r:  # no ray points within the angle the obstacle's bounding circle spans: none can hit it
                off = np.abs((self.rays.angles - (math.atan2(oy, ox) - float(heading[0])) + math.pi) % (2 * math.pi) - math.pi)
                if off.min() > math.asin(r / d0):
                    return None
        k, values = self._passing(*BOX_FIELDS)
        ox, oy, co, si, hl, hw = (v[:, None] for v in values)
        ang = np.asarray(heading)[:, None] + self.rays.angles
        d = ray_box(np.asarray(x)[:, None], np.asarray(y)[:, None], np.cos(ang), np.sin(ang), ox, oy, co, si, hl, hw, far)
        return np.where((k >= 0)[:, None], d, far)

    def _add_noise(self, sensors: np.ndarray) -> None:
        """Add each car's sensor noise to its rays (each car's own generator, so a batch
        reads what as many single cars would)."""
        if self.n == 1:  # one car: plain indexing, ~10x cheaper than the fancy indexing below
            if self.noise_m[0] == 0:
                return
            if self._noise_at[0] >= NOISE_BLOCK:
                self._noise[0] = self._noise_rngs[0].standard_normal(self._noise.shape[1:])
                self._noise_at[0] = 0
            rays = sensors[0, :-1]
            rays += self.noise_m[0] * self._noise[0, self._noise_at[0]]
            np.clip(rays, 0.0, self.rays.params.max_range_m, out=rays)
            self._noise_at[0] += 1
            return
        noisy = np.flatnonzero(self.noise_m)
        if len(noisy) == 0:
            return
        for i in noisy[self._noise_at[noisy] >= NOISE_BLOCK]:
            self._noise[i] = self._noise_rngs[i].standard_normal(self._noise.shape[1:])
            self._noise_at[i] = 0
        rays = sensors[noisy, :-1] + self.noise_m[noisy, None] * self._noise[noisy, self._noise_at[noisy]]
        sensors[noisy, :-1] = np.clip(rays, 0.0, self.rays.params.max_range_m)
        self._noise_at[noisy] += 1

    def info(self, i: int | None = None) -> dict:
        """Per-car info arrays (copies), or car i's as Python scalars."""
        ts = self.trackset
        if i is not None:
            return {
                "lap": self.laps.item(i),
                "progress_m": self.progress.item(i),
                "lateral_offset_m": self.lateral.item(i),
                "heading_error_rad": float(wrap_angle(self.car.heading.item(i) - ts.heading.item(ts.start.item(i) + self.vertex.item(i)))),
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
            "heading_error_rad": wrap_angle(self.car.heading - ts.heading[ts.start + self.vertex]),
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
