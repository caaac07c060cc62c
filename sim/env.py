"""DrivingEnv: the Gymnasium environment `DriveLab-v0`."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sim import track as tracks
from sim.camera import Lens, bind, make_camera, render_frames
from sim.car import CarState, step as car_step
from sim.config import SPLITS, EnvConfig, TrackParams
from sim.geometry import wrap_angle
from sim.raster import Raster, RasterSet
from sim.sensors import make_rays, read_rays_one
from sim.world import raster_for

TrackSpec = "int | str | Path | tracks.Track | None"


@lru_cache(maxsize=64)
def _track_from_seed(seed: int, params: TrackParams) -> tracks.Track:
    return tracks.from_seed(seed, params)


@lru_cache(maxsize=16)
def _track_from_file(path: str, mtime: float, params: TrackParams) -> tracks.Track:
    return tracks.load(path, params)


def resolve_track(spec, params: TrackParams = TrackParams()) -> tracks.Track:
    """A Track from a seed, a JSON path or a Track (seeds and files are cached)."""
    if isinstance(spec, tracks.Track):
        return spec
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        return _track_from_seed(int(spec), params)
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            raise tracks.TrackError(f"{path}: no such track file") from None
        return _track_from_file(str(path.resolve()), mtime, params)
    raise TypeError(f"track must be a seed, a JSON path or a Track, got {type(spec).__name__}")


class DrivingEnv(gym.Env):
    """A car on a closed 2D track, seen through a camera and distance sensors.

    ## Action Space
    `action="steer"`: Box(-1, 1, (1,)) steering, +1 = full left lock; a cruise controller
    holds the target speed. `action="steer+throttle"`: Box(-1, 1, (2,)), the second value
    accelerates (+) or brakes (-). The wheel turns toward the command at a limited rate.

    ## Observation Space
    A Dict with the keys chosen by `observation`: `camera`, uint8 (H, W, C) frames from the
    `dashcam` (perspective, with a horizon) or `topdown` (ego-centred, heading up) camera;
    `sensors`, float32 (n_rays + 1,): distances to the road edge [m] along rays fanned over
    +-90 degrees, then the speed [m/s]. `both` (default) has both keys.

    ## Rewards
    Metres of progress along the centreline each step (negative when going backwards), and
    `-offroad_penalty` on the step the car leaves the road.

    ## Episode End
    `terminated` when the car's centre leaves the road with `offroad="terminate"`. With
    `offroad="recover"` the car is put back on the centreline facing along it, and
    `info["interventions"]` counts it. `truncated` after `max_steps` steps or `max_laps` laps.
    Laps count net progress, so driving backwards over the line never counts.

    ## Arguments
    `observation` ("both" | "camera" | "sensors"), `action` ("steer" | "steer+throttle"),
    `camera` ("dashcam" | "topdown"), `camera_size` (int or (width, height), default 64),
    `grayscale`, `track` (a seed, a JSON path or a Track; None draws a seed from `split`
    each reset), `split` ("train": seeds 0-999,999 | "test": seeds 1,000,000-1,999,999),
    `offroad` ("terminate" | "recover"), `max_steps`, `max_laps`, `render_mode`
    (None | "human" | "rgb_array"), and `config` (an EnvConfig, overridden by the others).
    `reset(options={"track": ...})` picks the track for one episode.

    ## Version History
    - v0: first version.
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 30}

    def __init__(
        self,
        observation: str | None = None,
        action: str | None = None,
        camera: str | None = None,
        track=None,
        split: str = "train",
        offroad: str | None = None,
        render_mode: str | None = None,
        camera_size: int | tuple[int, int] | None = None,
        grayscale: bool | None = None,
        max_steps: int | None = None,
        max_laps: int | None = None,
        config: EnvConfig | None = None,
    ):
        cfg = config or EnvConfig()
        cam = cfg.camera
        if camera is not None:
            cam = replace(cam, mode=camera)
        if camera_size is not None:
            w, h = (camera_size, camera_size) if isinstance(camera_size, int) else camera_size
            cam = replace(cam, width_px=int(w), height_px=int(h))
        if grayscale is not None:
            cam = replace(cam, grayscale=bool(grayscale))
        overrides = dict(observation=observation, action=action, offroad=offroad, max_steps=max_steps)
        cfg = replace(cfg, camera=cam, **{k: v for k, v in overrides.items() if v is not None})
        if max_laps is not None:
            cfg = replace(cfg, max_laps=max_laps)
        view = cfg.camera.view_m - cfg.camera.behind_m  # how far the top-down camera sees
        if cfg.camera.mode == "topdown" and cfg.raster.margin_m < view:
            cfg = replace(cfg, raster=replace(cfg.raster, margin_m=view))  # no clamped edge in view
        if split not in SPLITS:
            raise ValueError(f"split={split!r}: expected one of {', '.join(SPLITS)}")
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode={render_mode!r}: expected None, 'human' or 'rgb_array'")
        self.config = cfg
        self.split = split
        self.render_mode = render_mode
        self._track_spec = track
        self._camera = make_camera(cfg.camera)
        self._rays = make_rays(cfg.sensors)
        self._use_camera = cfg.observation in ("both", "camera")
        self._use_sensors = cfg.observation in ("both", "sensors")

        p = cfg.camera
        obs = {}
        if self._use_camera:
            obs["camera"] = spaces.Box(0, 255, (p.height_px, p.width_px, p.channels), np.uint8)
        if self._use_sensors:
            high = np.full(cfg.sensors.n_rays + 1, cfg.sensors.max_range_m, dtype=np.float32)
            high[-1] = cfg.car.max_speed_mps
            obs["sensors"] = spaces.Box(np.zeros_like(high), high, dtype=np.float32)
        self.observation_space = spaces.Dict(obs)
        n_act = 1 if cfg.action == "steer" else 2
        self.action_space = spaces.Box(-1.0, 1.0, (n_act,), np.float32)

        self.track: tracks.Track | None = None
        self.raster: Raster | None = None
        self._lens: Lens | None = None
        self._renderer = None
        self.car: CarState | None = None

    # ------------------------------------------------------------------ episode
    def _pick_track(self, options) -> tracks.Track:
        spec = (options or {}).get("track", self._track_spec)
        if spec is None:
            seeds = SPLITS[self.split]
            spec = seeds.start + int(self.np_random.integers(len(seeds)))
        return resolve_track(spec, self.config.track)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        track = self._pick_track(options)
        if track is not self.track:
            self.track = track
            self.raster = raster_for(track, self.config.raster)
            self._lens = bind(self._camera, RasterSet.of([self.raster])) if self._use_camera else None
        start = 0
        speed = self.config.car.cruise_speed_mps if self.config.action == "steer" else 0.0
        self.car = CarState(
            x=float(track.centerline[start, 0]),
            y=float(track.centerline[start, 1]),
            heading=float(track.heading[start]),
            speed=speed,
            steer=0.0,
        )
        self._vertex = start
        self._s = 0.0
        self._progress = 0.0
        self._lateral = 0.0
        self._steps = 0
        self._laps = 0
        self._lap_start_step = 0
        self._lap_times: list[float] = []
        self._interventions = 0
        self._off_road = False
        self._trail = [(self.car.x, self.car.y)]
        if self.render_mode == "human":
            self.render()
        return self._observe(), self._info()

    def step(self, action):
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        values = a.tolist()
        if len(values) != self.action_space.shape[0] or not all(map(math.isfinite, values)):
            raise ValueError(f"action must be {self.action_space.shape[0]} finite numbers, got {action!r}")
        cfg = self.config
        throttle = values[1] if len(values) == 2 else None
        self.car = car_step(self.car, values[0], throttle, cfg.dt_s, cfg.car)
        car, track = self.car, self.track

        self._vertex, s, lateral = track.locate(car.x, car.y, self._vertex)
        ds = (s - self._s + track.length_m / 2) % track.length_m - track.length_m / 2
        self._s, self._lateral = s, lateral
        self._progress += ds
        reward = ds
        self._steps += 1

        laps = int(math.floor(self._progress / track.length_m))
        if laps > self._laps:  # net progress only: reversing over the line never counts
            self._lap_times.append((self._steps - self._lap_start_step) * cfg.dt_s)
            self._lap_start_step = self._steps
            self._laps = laps

        self._off_road = abs(lateral) > track.width_m / 2
        terminated = False
        if self._off_road:
            reward -= cfg.offroad_penalty
            if cfg.offroad == "terminate":
                terminated = True
            else:
                self._recover()
        truncated = self._steps >= cfg.max_steps or (cfg.max_laps is not None and self._laps >= cfg.max_laps)
        if self.render_mode is not None:
            self._trail.append((self.car.x, self.car.y))
            if self.render_mode == "human":
                self.render()
        return self._observe(), reward, terminated, truncated, self._info()

    def _recover(self) -> None:
        """Put the car back on the centreline where it left, facing along the track."""
        i = self._vertex
        c = self.track.centerline[i]
        self.car = CarState(float(c[0]), float(c[1]), float(self.track.heading[i]), self.car.speed, 0.0)
        length = self.track.length_m
        new_s = i * self.track.ds
        self._progress += (new_s - self._s + length / 2) % length - length / 2
        self._s, self._lateral = new_s, 0.0
        self._interventions += 1

    # -------------------------------------------------------------- observations
    def _observe(self) -> dict:
        car = self.car
        obs = {}
        if self._use_camera:
            obs["camera"] = render_frames(self._lens, np.array([car.x]), np.array([car.y]), np.array([car.heading]))[0]
        if self._use_sensors:
            sensors = np.empty(len(self._rays.angles) + 1, dtype=np.float32)
            sensors[:-1] = read_rays_one(self._rays, self.track, self.raster, car.x, car.y, car.heading)
            sensors[-1] = car.speed
            obs["sensors"] = sensors
        return obs

    def _info(self) -> dict:
        car = self.car
        return {
            "lap": self._laps,
            "progress_m": self._progress,
            "lateral_offset_m": self._lateral,
            "heading_error_rad": float(wrap_angle(car.heading - self.track.heading[self._vertex])),
            "speed_mps": float(car.speed),
            "steer": float(car.steer / self.config.car.max_steer_rad),
            "off_road": self._off_road,
            "interventions": self._interventions,
            "track": self.track.name,
            "step": self._steps,
            "lap_times_s": list(self._lap_times),
        }

    # ----------------------------------------------------------------- rendering
    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array' or 'human'")
            return None
        if self._renderer is None:
            from sim.render import Renderer  # pygame is imported only when drawing

            self._renderer = Renderer(self.render_mode, fps=self.metadata["render_fps"])
        return self._renderer.draw(self)

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
