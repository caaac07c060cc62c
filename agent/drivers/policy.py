"""NeuralPolicy: a checkpoint that drives.

It checks the checkpoint against the env it is asked to drive, applies the model's own
preprocessing, and outputs the action. Networks predict steering; with
action="steer+throttle" a simple speed controller supplies the throttle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from models import checkpoint
from models.preprocess import InputSpec, preprocess
from sim.config import EnvConfig


class NeuralPolicy:
    """Drives from observations with a trained network.

    Args:
        path: checkpoint file.
        env_config: the EnvConfig of the env it will drive; a mismatch raises
            CheckpointError with a one-line message naming it.
    """

    name = "model"

    def __init__(self, path: str | Path, env_config: EnvConfig | None = None, device: str = "cpu"):
        self.model, meta = checkpoint.load(path, device=device)
        self._bind(path, meta, InputSpec.from_dict(meta["input"]), env_config, device)

    def _bind(self, path, meta: dict, spec: InputSpec, env_config, device: str) -> None:
        """Keep what driving needs; refuse (one line naming the file) an env the model does not fit."""
        self.path, self.meta, self.spec, self.device, self.env_config = str(path), meta, spec, device, env_config
        if env_config is not None:
            problems = checkpoint.env_mismatches(meta, env_config.to_dict())
            if problems:
                raise checkpoint.CheckpointError(f"{path}: does not fit this env: {'; '.join(problems)}")
        self.last_output = None  # the head's raw output for the HUD (logits for classification)

    def reset(self) -> None:
        pass

    @torch.no_grad()
    def steer_batch(self, obs: dict) -> np.ndarray:
        """(B,) steering for a batch of observations (dict of (B, ...) arrays)."""
        x = preprocess(obs, self.spec, self.device)
        out = self.model(**x)
        self.last_output = out
        steer = self.model.steering(out).cpu().numpy()
        if not np.isfinite(steer).all():
            raise ValueError(
                f"{self.path}: the network's steering is not a finite number (NaN or inf); retrain it or use another "
                "model"
            )
        return steer

    def act(self, obs: dict) -> np.ndarray:
        steer = float(self.steer_batch(obs)[0])
        if self.env_config is None or self.env_config.action == "steer":
            return np.array([steer], dtype=np.float32)
        from agent.drivers.expert import cruise_throttle

        speed = float(obs["sensors"][-1]) if "sensors" in obs else self.env_config.car.cruise_speed_mps
        return np.array([steer, float(cruise_throttle(self.env_config.car.cruise_speed_mps, speed))], dtype=np.float32)


class OnnxPolicy(NeuralPolicy):
    """A policy exported with `run_sim.py export --onnx`, driven by onnxruntime.

    The graph holds the preprocessing, so observations go in as the env gives them.
    """

    name = "onnx"

    def __init__(self, path, env_config=None, device: str = "cpu"):
        from models.export import OnnxDriver

        self.runner = OnnxDriver(path)
        self.model = None  # no torch network: the HUD's feature maps and saliency need the .pt
        self._bind(path, self.runner.meta, self.runner.spec, env_config, device)

    def steer_batch(self, obs: dict) -> np.ndarray:
        steer = self.runner.steering(obs)
        if not np.isfinite(steer).all():
            raise ValueError(f"{self.path}: the network's steering is not a finite number (NaN or inf)")
        return steer


class NetworkDriver:
    """A network as a driver (`agent.drivers.spec`): one forward pass steers every car of a world."""

    def __init__(self, policy: NeuralPolicy):
        self.policy = policy
        self.name = str(policy.path)
        self.keys = policy.spec.keys

    def steer(self, world, obs) -> np.ndarray:
        return self.policy.steer_batch({k: obs[k] for k in self.policy.spec.keys})


def unlearned_warning(meta: dict, path) -> str | None:
    """A line saying so when a checkpoint's training judged it to have learned nothing (its
    validation steering error not below predicting the mean steering); None otherwise."""
    m = meta.get("metrics") or {}
    err, mean = m.get("steer_mae"), m.get("baseline_steer_mae")
    if isinstance(err, (int, float)) and isinstance(mean, (int, float)) and not err < mean:
        return (
            f"warning: {path} learned nothing that carries over: its validation steering error ({err:.4f}) is not "
            "below "
            f"predicting the mean steering ({mean:.4f}); expect it to drive like a constant"
        )
    return None


def load_policy(path, env_config=None):
    """A NeuralPolicy for a .pt checkpoint, an OnnxPolicy for an .onnx export."""
    return OnnxPolicy(path, env_config) if str(path).lower().endswith(".onnx") else NeuralPolicy(path, env_config)
