"""Checkpoints: weights plus everything needed to drive, loaded without running pickled code.

A checkpoint is a torch file holding only tensors and a JSON string (read back with
`torch.load(weights_only=True)`): the architecture specs, head and bins, the InputSpec,
the env layout it was trained for, the training arguments, the datasets, and metrics.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import torch

from models.nets import DrivingNet
from models.preprocess import InputSpec

FORMAT = "drivelab-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message is one line naming the file."""


def save(path: str | Path, model: DrivingNet, meta: dict) -> None:
    """Write atomically: a temporary file, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "meta": json.dumps(meta),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def build_model(meta: dict) -> DrivingNet:
    spec = InputSpec.from_dict(meta["input"])
    return DrivingNet(
        spec.network_inputs(), meta.get("camera_arch"), meta.get("sensor_arch"), meta["head"], meta.get("bins", 21)
    )


def _reason(e: Exception, limit: int = 100) -> str:
    """An exception as a short clause: its type and first line, cut at a word."""
    lines = [line.strip() for line in str(e).strip().splitlines() if line.strip()] or [""]
    # load_state_dict's first line is a header; the next names the weight ("size mismatch for camera.0.weight: ...")
    text = lines[1] if lines[0].startswith("Error(s) in loading state_dict") and len(lines) > 1 else lines[0]
    text = text.replace("copying a param with shape torch.Size(", "checkpoint ").replace(
        "from checkpoint, the shape in current model is torch.Size(", "vs network "
    )
    if "weights_only" in str(e) or "Weights only load failed" in text:
        text = "it holds Python objects beyond tensors, which safe loading refuses"
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " ..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _is_pickle(path: Path) -> bool:
    """Whether the file starts as a pickle does (protocol 2 or later): torch's old format,
    or any pickle, which safe loading then refuses unless it holds only tensors."""
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


def load(path: str | Path, device: str = "cpu") -> tuple[DrivingNet, dict]:
    """(model in eval mode, meta); raises CheckpointError for missing, foreign or corrupt files."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder; expected a checkpoint file (.pt)")
    if not zipfile.is_zipfile(path) and not _is_pickle(path):  # torch.save writes a zip (once, a bare pickle)
        raise CheckpointError(f"{path}: corrupt or not a checkpoint (not a file torch.save wrote)")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # torch raises many types for damaged files
        raise CheckpointError(f"{path}: corrupt or not a checkpoint ({_reason(e)})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a DriveLab checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {payload.get('version')} (this DriveLab reads {VERSION})")
    try:
        meta = json.loads(payload["meta"])
        model = build_model(meta)
        model.load_state_dict(payload["state_dict"])
    except Exception as e:
        raise CheckpointError(f"{path}: damaged checkpoint ({_reason(e)})") from None
    bad = [name for name, t in model.state_dict().items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise CheckpointError(
            f"{path}: weights are not finite (NaN or inf in {bad[0]}{' and more' if len(bad) > 1 else ''}); it cannot "
            "drive or be trained further"
        )
    model.to(device).eval()
    # frames arrive as (B, H, W, C) bytes, so NHWC convolutions avoid a layout change (faster on CPUs)
    model.to(memory_format=torch.channels_last)
    return model, meta


def env_mismatches(meta: dict, env_config: dict) -> list[str]:
    """What stops a model trained for `meta["env"]` from driving an env with `env_config`.

    Both are EnvConfig dicts; only what changes the model's inputs or outputs matters.
    """
    trained = meta["env"]
    keys = InputSpec.from_dict(meta["input"]).keys
    out = []
    have = {"both": {"camera", "sensors"}, "camera": {"camera"}, "sensors": {"sensors"}}[env_config["observation"]]
    missing = set(keys) - have
    if missing:
        out.append(f"the model reads {', '.join(sorted(missing))} but the env observes {env_config['observation']}")
    if "camera" in keys:
        for f in ("mode", "width_px", "height_px", "grayscale", "fov_deg", "pitch_deg", "height_m"):
            if trained["camera"][f] != env_config["camera"][f]:
                out.append(f"camera.{f} {trained['camera'][f]!r} (model) vs {env_config['camera'][f]!r} (env)")
    if "sensors" in keys:
        for f in ("n_rays", "fov_rad", "max_range_m"):
            if trained["sensors"][f] != env_config["sensors"][f]:
                out.append(f"sensors.{f} {trained['sensors'][f]!r} (model) vs {env_config['sensors'][f]!r} (env)")
    return out
