"""DrivingEnv: the Gymnasium environment `DriveLab-v1`, a view of a one-car `World`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sim import track as tracks
from sim.car import CarState
from sim.config import SPLITS, EnvConfig, Level, TrackParams, check_real
from sim.levels import Conditions, Look, draw_conditions, with_level
from sim.world import CarView, World

TrackSpec = "int | str | Path | tracks.Track | None"


@dataclass(frozen=True)
class Snapshot:
    """A read-only picture of a single env for viewers (the Renderer draws only this)."""

    car: CarView  # pose, speed, steering, lap, rays
    trail: tuple  # the car's (x, y) path this episode, the last 3,000 points
    observation: Mapping  # the last observation; its arrays are read-only
    info: Mapping  # what step() returned as info
    config: EnvConfig
    look: Look | None = None  # the colours, light and fog of this episode (None: school's)


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
        if spec < 0:
            raise tracks.TrackError(
                f"track seed {spec}: expected a seed >= 0 (train 0-999,999, test 1,000,000-1,999,999) or a JSON file"
            )
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
    `sensors`, float32 (n_rays + 1,): distances to the road edge or an obstacle [m] along
    `rays` rays (default 9) fanned evenly over `ray_fov_deg` (default 180 degrees), then
    the speed [m/s]. `both` (default) has both keys.

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
    `grayscale`, `rays` and `ray_fov_deg` (the sensor fan), `track` (a seed, a JSON path or a
    Track; None draws a seed from `split` each reset), `split` ("train": seeds 0-999,999 |
    "test": seeds 1,000,000-1,999,999),
    `offroad` ("terminate" | "recover"), `max_steps`, `max_laps`, `render_mode`
    (None | "human" | "rgb_array"), `level` ("school" (default) | "country" | "weather",
    see `sim.levels`: with `split`, it also picks the conditions drawn each episode), and
    `config` (an EnvConfig, overridden by the others).
    `reset(options={"track": ...})` picks the track for one episode, and
    `reset(options={"conditions": Conditions(...)})` what it meets (default: drawn from the level).

    ## Version History
    - v1 (2026-12-07): the world is compiled (numba) and takes `rays` and `ray_fov_deg`; the
      rays read the track's geometry instead of a 0.5 m grid (a reading near the road's
      edge can differ from v0's: 1.6% of readings by over 0.5 m on a test rollout), and a
      car far off its road reads 0 on every ray. Tracks, dynamics and camera frames are
      v0's. `reset(options={"conditions": ...})` sets what an episode meets.
    - v0: first version. Since 2026-11-25 the env is a view of `sim.world.World` with one
      car and draws the road lazily; camera frames may differ from earlier builds in the
      rounding of a few pixels along the road. The same seed still gives the same rollout.
      Since 2026-11-26 it takes `level`; the default, `school`, is the world as it was.
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
        rays: int | None = None,
        ray_fov_deg: float | None = None,
        max_steps: int | None = None,
        max_laps: int | None = None,
        level: str | Level | None = None,
        config: EnvConfig | dict | None = None,
    ):
        if isinstance(config, dict):  # as an EnvSpec stores it (a Minari dataset's recover_environment)
            try:
                config = EnvConfig.from_dict(config)
            except (TypeError, AttributeError, KeyError) as e:
                raise ValueError(f"config: not an EnvConfig dict ({type(e).__name__}: {e})") from None
        if config is not None and not isinstance(config, EnvConfig):
            raise ValueError(f"config={type(config).__name__}: expected an EnvConfig")
        cfg = config or EnvConfig()
        if level is not None:
            cfg = with_level(cfg, level)
        cam = cfg.camera
        if camera is not None:
            cam = replace(cam, mode=camera)
        if camera_size is not None:
            pair = (
                camera_size
                if isinstance(camera_size, (tuple, list)) and len(camera_size) == 2
                else (camera_size, camera_size)
            )
            cam = replace(cam, width_px=pair[0], height_px=pair[1])  # checked by EnvConfig
        if grayscale is not None:
            cam = replace(cam, grayscale=grayscale)
        fan = cfg.sensors
        if rays is not None:
            fan = replace(fan, n_rays=rays)  # checked by EnvConfig
        if ray_fov_deg is not None:
            check_real("ray_fov_deg", ray_fov_deg, 0.0, positive=True)
            fan = replace(fan, fov_rad=math.radians(ray_fov_deg))
        overrides = dict(observation=observation, action=action, offroad=offroad, max_steps=max_steps)
        cfg = replace(cfg, camera=cam, sensors=fan, **{k: v for k, v in overrides.items() if v is not None})
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
        self.world = World(cfg, 1)

        p = cfg.camera
        obs = {}
        if self.world.use_camera:
            obs["camera"] = spaces.Box(0, 255, (p.height_px, p.width_px, p.channels), np.uint8)
        if self.world.use_sensors:
            high = np.full(cfg.sensors.n_rays + 1, cfg.sensors.max_range_m, dtype=np.float32)
            high[-1] = cfg.car.max_speed_mps
            obs["sensors"] = spaces.Box(np.zeros_like(high), high, dtype=np.float32)
        self.observation_space = spaces.Dict(obs)
        n_act = 1 if cfg.action == "steer" else 2
        self.action_space = spaces.Box(-1.0, 1.0, (n_act,), np.float32)

        self.trail: list[tuple[float, float]] = []  # the car's path this episode, kept while rendering
        self.last_obs: dict | None = None
        self._renderer = None

    @property
    def track(self) -> tracks.Track | None:
        return self.world.tracks[0]

    @property
    def car(self) -> CarState:
        """The car's state as Python floats (a copy)."""
        c = self.world.car
        return CarState(float(c.x[0]), float(c.y[0]), float(c.heading[0]), float(c.speed[0]), float(c.steer[0]))

    def view(self) -> CarView:
        """A read-only snapshot of the car for viewers."""
        rays = self.last_obs["sensors"][:-1] if self.last_obs and "sensors" in self.last_obs else None
        return self.world.view(0, rays)

    # ------------------------------------------------------------------ episode
    def _pick_track(self, options) -> tracks.Track:
        spec = (options or {}).get("track", self._track_spec)
        if spec is None:
            seeds = SPLITS[self.split]
            spec = seeds.start + int(self.np_random.integers(len(seeds)))
        return resolve_track(spec, self.config.track)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.world.set_track(0, self._pick_track(options))
        cond = (options or {}).get("conditions")
        if cond is not None and not isinstance(cond, Conditions):
            raise ValueError(
                f"reset(options={{'conditions': ...}}): expected a sim.levels.Conditions, got {type(cond).__name__}"
            )
        self.world.set_conditions(
            0, cond or draw_conditions(self.config.level, self.np_random, self.split, self.config.camera)
        )
        self.world.reset_cars(0)
        car = self.world.car
        self.trail = [(float(car.x[0]), float(car.y[0]))]
        obs = self._observe()
        if self.render_mode == "human":
            self.render()
        return obs, self._info()

    def step(self, action):
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape[0] != self.action_space.shape[0] or not all(
            map(math.isfinite, a)
        ):  # (1-2 numbers: cheaper than np.isfinite)
            raise ValueError(f"action must be {self.action_space.shape[0]} finite numbers, got {action!r}")
        reward, terminated, truncated = self.world.step(a[:1], a[1:] if len(a) == 2 else None)
        obs = self._observe()
        if self.render_mode is not None:
            car = self.world.car
            self.trail.append((float(car.x[0]), float(car.y[0])))
            if self.render_mode == "human":
                self.render()
        return obs, float(reward[0]), bool(terminated[0]), bool(truncated[0]), self._info()

    def _observe(self) -> dict:
        self.last_obs = {k: v[0] for k, v in self.world.observe().items()}
        return self.last_obs

    def _info(self) -> dict:
        w = self.world
        info = w.info(0)
        info["track"] = self.track.name
        info["level"] = self.config.level.name
        info["lap_times_s"] = list(w.lap_times[0])
        return info

    def snapshot(self) -> Snapshot:
        """What a viewer may see, read-only: the car, its trail, the last observation
        (arrays that cannot be written), the info, and the config."""
        obs = {}
        for k, v in (self.last_obs or {}).items():
            v = v.view()
            v.flags.writeable = False
            obs[k] = v
        return Snapshot(
            car=self.view(),
            trail=tuple(self.trail[-3000:]),
            observation=MappingProxyType(obs),
            info=MappingProxyType(self._info()),
            config=self.config,
            look=self.world.conditions[0].look,
        )

    # ----------------------------------------------------------------- rendering
    @property
    def renderer(self):
        """The Renderer drawing this env (None before the first render)."""
        return self._renderer

    @renderer.setter
    def renderer(self, renderer) -> None:
        """Draw with another Renderer (a wider layout); the old one is closed."""
        if self._renderer is not None and self._renderer is not renderer:
            self._renderer.close()
        self._renderer = renderer

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array' or 'human'")
            return None
        if self._renderer is None:
            from sim.render import Renderer  # pygame is imported only when drawing

            self._renderer = Renderer(self.render_mode, fps=self.metadata["render_fps"])
        return self._renderer.draw(self.snapshot())

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
