"""Observation -> tensors: the one function that both training and driving use.

The InputSpec travels inside every checkpoint, so a model always sees its inputs the way
it was trained: the same crop, layout and scaling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class InputSpec:
    """What the network reads and how it is scaled.

    Attributes:
        keys: observation keys used, ("camera",), ("sensors",) or both.
        camera_shape: (H, W, C) of recorded frames.
        crop_top: camera rows removed from the top (the sky carries no road).
        sensor_scale: divisor per sensor value (ray ranges, then the top speed).
    """

    keys: tuple[str, ...]
    camera_shape: tuple[int, int, int] | None = None
    crop_top: int = 0
    sensor_scale: tuple[float, ...] | None = None

    @property
    def camera_input(self) -> tuple[int, int, int]:
        """(C, H, W) the network sees after the crop."""
        h, w, c = self.camera_shape
        return (c, h - self.crop_top, w)

    def network_inputs(self) -> dict:
        out = {}
        if "camera" in self.keys:
            out["camera"] = self.camera_input
        if "sensors" in self.keys:
            out["sensors"] = (len(self.sensor_scale),)
        return out

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "InputSpec":
        return cls(
            keys=tuple(d["keys"]),
            camera_shape=tuple(d["camera_shape"]) if d.get("camera_shape") else None,
            crop_top=int(d.get("crop_top", 0)),
            sensor_scale=tuple(d["sensor_scale"]) if d.get("sensor_scale") else None,
        )


def preprocess(obs: dict, spec: InputSpec, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """A batch of observations -> network inputs.

    Args:
        obs: `camera` uint8 (B, H, W, C) and/or `sensors` float32 (B, n), numpy or torch;
            a single observation (no batch axis) is accepted too.
        spec: the model's InputSpec.
    Returns:
        `camera` float32 (B, C, H - crop_top, W) in [-0.5, 0.5]; `sensors` float32 (B, n)
        scaled to about [0, 1].
    """
    out = {}
    if "camera" in spec.keys:
        x = obs["camera"] if torch.is_tensor(obs["camera"]) else torch.as_tensor(np.asarray(obs["camera"]))
        if x.dim() == 3:
            x = x.unsqueeze(0)
        x = x[:, spec.crop_top :].to(device)  # (B, H', W, C) uint8
        out["camera"] = x.permute(0, 3, 1, 2).float().mul_(1.0 / 255.0).sub_(0.5)  # (B, C, H', W)
    if "sensors" in spec.keys:
        s = (
            obs["sensors"].float()
            if torch.is_tensor(obs["sensors"])
            else torch.as_tensor(np.asarray(obs["sensors"]), dtype=torch.float32)
        )
        if s.dim() == 1:
            s = s.unsqueeze(0)
        out["sensors"] = s.to(device) / torch.as_tensor(spec.sensor_scale, dtype=torch.float32, device=device)
    return out


def input_spec_for(env_config, keys: tuple[str, ...], crop_top: int | None = None) -> InputSpec:
    """The InputSpec for data recorded with `env_config` (an EnvConfig).

    `crop_top=None` crops the dashcam's sky rows (none for the top-down camera).
    """
    cam = env_config.camera
    shape = (cam.height_px, cam.width_px, cam.channels)
    if crop_top is None:
        crop_top = sky_rows(cam) if cam.mode == "dashcam" else 0
    if not 0 <= crop_top < cam.height_px - 4:
        raise ValueError(f"crop_top={crop_top}: must leave at least 5 of {cam.height_px} rows")
    sens = env_config.sensors
    scale = (sens.max_range_m,) * sens.n_rays + (env_config.car.max_speed_mps,)
    return InputSpec(
        keys=keys,
        camera_shape=shape if "camera" in keys else None,
        crop_top=crop_top if "camera" in keys else 0,
        sensor_scale=scale if "sensors" in keys else None,
    )


def sky_rows(cam) -> int:
    """Rows of the dashcam that show only sky, from its geometry (no sim import needed)."""
    import math

    f = (cam.width_px / 2) / math.tan(math.radians(cam.fov_deg) / 2)
    horizon = cam.height_px / 2 - f * math.tan(math.radians(cam.pitch_deg))  # row of the horizon
    return max(0, int(math.floor(horizon)))
