"""DrivingVectorEnv: N cars on N tracks stepped together, Gymnasium's vector API.

`gymnasium.make_vec("DriveLab-v1", num_envs=N, ...)` returns it. Sensors and camera frames
for all cars come from single vectorised operations (one gather for all frames). Episodes
reset automatically on the step after they end (Gymnasium's next-step autoreset).
"""

from __future__ import annotations

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from sim.config import SPLITS, check_int
from sim.env import DrivingEnv, resolve_track
from sim.levels import draw_conditions
from sim.world import World


class DrivingVectorEnv(VectorEnv):
    """N DrivingEnvs in one batch; takes DrivingEnv's arguments plus `num_envs`.

    `reset(seed=s)` seeds car i with s + i, so car i drives exactly what
    `DrivingEnv(...).reset(seed=s + i)` would. `reset(options={"track": spec})` puts every
    car on one track; `{"tracks": [spec, ...]}` gives each car its own.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 8, track=None, split: str = "train", render_mode=None, **kwargs):
        check_int("num_envs", num_envs, 1, 100_000)
        if render_mode is not None:
            raise ValueError("the vector env does not render; use DrivingEnv(render_mode=...) to watch one car")
        probe = DrivingEnv(track=track, split=split, **kwargs)  # validates arguments, defines spaces
        self.config = probe.config
        self.split = split
        self.num_envs = num_envs
        self.single_observation_space = probe.observation_space
        self.single_action_space = probe.action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._track_spec = track
        self.world = World(self.config, num_envs)
        self._rngs = [seeding.np_random(None)[0] for _ in range(num_envs)]
        self._needs_reset = np.zeros(num_envs, dtype=bool)
        self._names: np.ndarray | None = None  # info["track"]

    def _pick_track(self, i: int, spec):
        if spec is None:
            seeds = SPLITS[self.split]
            spec = seeds.start + int(self._rngs[i].integers(len(seeds)))
        return resolve_track(spec, self.config.track)

    def _reset_cars(self, idx, specs) -> None:
        for i, spec in zip(idx, specs):
            track = self._pick_track(i, spec)
            self.world.set_track(i, track)
            if self._names is not None:
                if len(track.name) <= self._names.itemsize // 4:  # fits the array's strings
                    self._names[i] = track.name
                else:
                    self._names = None
            self.world.set_conditions(
                i, draw_conditions(self.config.level, self._rngs[i], self.split, self.config.camera)
            )
        self.world.reset_cars(np.asarray(idx))

    def restart(self, idx) -> None:
        """Start new episodes for cars `idx` now, on tracks of the env's choosing (the same
        draw as an autoreset): for learners whose convention is to reset within the step
        that ended an episode (Stable-Baselines3's)."""
        idx = np.asarray(idx, dtype=np.int64)
        self._reset_cars(idx, [self._track_spec] * len(idx))
        self._needs_reset[idx] = False

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            seeds = seed if isinstance(seed, (list, tuple)) else [seed + i for i in range(self.num_envs)]
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        options = options or {}
        if "tracks" in options:
            specs = list(options["tracks"])
            if len(specs) != self.num_envs:
                raise ValueError(f"options['tracks'] has {len(specs)} tracks for {self.num_envs} envs")
        else:
            specs = [options.get("track", self._track_spec)] * self.num_envs
        self._reset_cars(range(self.num_envs), specs)
        self._needs_reset[:] = False
        return self.world.observe(), self._infos()

    def step(self, actions):
        a = np.asarray(actions, dtype=np.float64).reshape(self.num_envs, -1)
        if a.shape[1] != self.single_action_space.shape[0] or not np.isfinite(a).all():
            raise ValueError(f"actions must be ({self.num_envs}, {self.single_action_space.shape[0]}) finite numbers")
        throttle = a[:, 1] if a.shape[1] == 2 else None
        reward, terminated, truncated = self.world.step(a[:, 0].copy(), throttle)
        restart = np.flatnonzero(self._needs_reset)
        if len(restart):  # next-step autoreset: these cars ended last step; this step resets them
            self._reset_cars(restart, [self._track_spec] * len(restart))
            reward[restart] = 0.0
            terminated[restart] = False
            truncated[restart] = False
        self._needs_reset = terminated | truncated
        return self.world.observe(), reward, terminated, truncated, self._infos()

    def _infos(self) -> dict:
        info = self.world.info()
        if self._names is None:  # each car's track name, kept up to date as cars reset
            self._names = np.array([t.name for t in self.world.tracks])
        info["track"] = self._names.copy()
        return info

    def close_extras(self, **kwargs):
        pass
