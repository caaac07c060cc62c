"""Stable-Baselines3's side of `rl`: the batched world as SB3's VecEnv, and DriveLab's networks
as SB3's policy. Importing this needs the `rl` extra (`agent.learn.reward.require_sb3`)."""

from __future__ import annotations

import time

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.distributions import DiagGaussianDistribution
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.vec_env import VecEnv
from torch import nn

from agent.learn.reward import RewardFn, RewardParams
from models.nets import DrivingNet
from models.preprocess import InputSpec, preprocess


class CarsVecEnv(VecEnv):
    """Every car of one batched world (`gymnasium.make_vec(...).unwrapped`, a DrivingVectorEnv)
    as SB3's parallel environments, stepped in one call.

    Observations are the env's, camera frames channels-first (C, H, W) as SB3 expects
    of images. An ended episode restarts within its step, its last observation in
    `info["terminal_observation"]`; `info["episode"]` carries its return, length,
    laps and net progress.
    """

    def __init__(self, venv, reward_fn: RewardFn):
        self.venv, self.world, self.reward_fn = venv, venv.world, reward_fn
        single = venv.single_observation_space
        obs_spaces = {}
        for k, space in single.spaces.items():
            if k == "camera":
                h, w, c = space.shape
                space = spaces.Box(0, 255, (c, h, w), np.uint8)
            obs_spaces[k] = space
        action = spaces.Box(-1.0, 1.0, (1,), np.float32)
        super().__init__(venv.num_envs, spaces.Dict(obs_spaces), action)
        self.params = RewardParams(self.world, venv.config.level.name)
        n = venv.num_envs
        self._last_progress, self._last_collisions = np.zeros(n), np.zeros(n, dtype=np.int64)
        self._return, self._length = np.zeros(n), np.zeros(n, dtype=np.int64)
        self._t0 = time.perf_counter()
        self._actions = np.zeros((n, 1))

    @staticmethod
    def _chw(obs: dict) -> dict:
        return {k: (np.transpose(v, (0, 3, 1, 2)) if k == "camera" else v) for k, v in obs.items()}

    def reset(self):
        seeds = None if self._seeds[0] is None else [int(s) for s in self._seeds]
        obs, _ = self.venv.reset(seed=seeds)
        self._reset_seeds()
        self._last_progress[:] = 0
        self._last_collisions[:] = 0
        self._return[:] = 0
        self._length[:] = 0
        return self._chw(obs)

    def step_async(self, actions):
        self._actions = actions

    def step_wait(self):
        w, n = self.world, self.num_envs
        steer = np.clip(np.asarray(self._actions, dtype=np.float64).reshape(n, -1)[:, 0], -1.0, 1.0)
        _, terminated, truncated = w.step(steer, None)
        rows = self.params.rows(w.progress - self._last_progress, w.collisions > self._last_collisions)
        rewards = np.fromiter((self.reward_fn(p) for p in rows), dtype=np.float64, count=n)
        obs = w.observe()
        self._return += rewards
        self._length += 1
        dones = terminated | truncated
        infos = [{} for _ in range(n)]
        ended = np.flatnonzero(dones)
        if len(ended):
            now = round(time.perf_counter() - self._t0, 3)
            for i in ended:
                infos[i]["terminal_observation"] = {
                    k: (np.transpose(v[i], (2, 0, 1)) if k == "camera" else v[i]).copy() for k, v in obs.items()
                }
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                infos[i]["episode"] = {
                    "r": float(self._return[i]),
                    "l": int(self._length[i]),
                    "t": now,
                    "laps": int(w.laps[i]),
                    "progress_m": float(w.progress[i]),
                }
            self.venv.restart(ended)
            fresh = w.observe(cars=ended)
            for k in obs:
                obs[k][ended] = fresh[k]
            self._return[ended] = 0
            self._length[ended] = 0
        self._last_progress = w.progress.copy()
        self._last_collisions = w.collisions.copy()
        return self._chw(obs), rewards.astype(np.float32), dones, infos

    def close(self):
        self.venv.close()

    def get_attr(self, attr_name, indices=None):
        return [getattr(self.venv, attr_name)] * len(list(self._get_indices(indices)))

    def set_attr(self, attr_name, value, indices=None):
        setattr(self.venv, attr_name, value)

    def env_method(self, method_name, *method_args, indices=None, **method_kwargs):
        return [getattr(self.venv, method_name)(*method_args, **method_kwargs)]

    def env_is_wrapped(self, wrapper_class, indices=None):
        return [False] * len(list(self._get_indices(indices)))


# ----------------------------------------------------------------------------------------- the policy


class DrivingPolicy(BasePolicy):
    """SB3's policy: a DrivingNet actor (the Gaussian's mean steering) with a learned spread,
    and a critic: a DrivingNet of the same layers with its own weights, or with `shared`,
    one more neuron on the actor's last hidden layer (SB3's way for images: the trunk's
    forward and backward passes are done once for both)."""

    def __init__(
        self,
        observation_space,
        action_space,
        lr_schedule,
        input_spec: dict,
        camera_arch: str | None,
        sensor_arch: str | None,
        log_std_init: float = 0.0,
        shared: bool = False,
        use_sde: bool = False,
        **kwargs,
    ):
        super().__init__(observation_space, action_space, normalize_images=False, squash_output=False)
        self.input_spec, self.camera_arch, self.sensor_arch = input_spec, camera_arch, sensor_arch
        self.log_std_init, self.shared = log_std_init, shared
        self.spec = InputSpec.from_dict(input_spec)
        inputs = self.spec.network_inputs()
        self.actor = DrivingNet(inputs, camera_arch, sensor_arch, "regression")
        if shared:
            self.critic = nn.Linear(self.actor.out.in_features, 1)
        else:
            self.critic = DrivingNet(inputs, camera_arch, sensor_arch, "value")
        self.log_std = nn.Parameter(torch.full((1,), float(log_std_init)))
        self.dist = DiagGaussianDistribution(1)
        self.optimizer = torch.optim.Adam(self.parameters(), lr=lr_schedule(1))

    def _get_constructor_parameters(self) -> dict:
        data = super()._get_constructor_parameters()
        data.update(
            input_spec=self.input_spec,
            camera_arch=self.camera_arch,
            sensor_arch=self.sensor_arch,
            log_std_init=self.log_std_init,
            shared=self.shared,
        )
        return data

    def _inputs(self, obs: dict) -> dict:
        # SB3 hands images channels-first; `preprocess` (the one function training and
        # driving share) takes them as the env gives them, (B, H, W, C)
        obs = {k: (v.permute(0, 2, 3, 1) if k == "camera" else v) for k, v in obs.items() if k in self.spec.keys}
        return preprocess(obs, self.spec, self.device)

    def _heads(self, obs, value: bool = True):
        """(Gaussian over the steering, value (B, 1) or None)."""
        x = self._inputs(obs)
        if self.shared:
            feats = self.actor.features(**x)
            mean, v = self.actor.head(feats), (self.critic(feats) if value else None)
        else:
            mean, v = self.actor(**x), (self.critic(**x).unsqueeze(1) if value else None)
        return self.dist.proba_distribution(mean.unsqueeze(1), self.log_std), v

    def forward(self, obs, deterministic: bool = False):
        dist, values = self._heads(obs)
        actions = dist.get_actions(deterministic=deterministic)
        return actions, values, dist.log_prob(actions)

    def evaluate_actions(self, obs, actions):
        dist, values = self._heads(obs)
        return values, dist.log_prob(actions), dist.entropy()

    def get_distribution(self, obs):
        return self._heads(obs, value=False)[0]

    def predict_values(self, obs):
        if self.shared:
            return self.critic(self.actor.features(**self._inputs(obs)))
        return self.critic(**self._inputs(obs)).unsqueeze(1)

    def _predict(self, observation, deterministic: bool = False):
        return self.get_distribution(observation).get_actions(deterministic=deterministic)
