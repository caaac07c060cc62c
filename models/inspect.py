"""Looking inside a network: first-layer feature maps, learned filters, and saliency.

"ConvNets match pieces of the image": the first convolution's feature maps show where
each learned filter matches the frame. Saliency shows which pixels the steering depends
on most (the gradient of the output with respect to the input).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from models.nets import DrivingNet


def first_conv(model: DrivingNet) -> nn.Conv2d | None:
    if model.camera is None:
        return None
    return next((m for m in model.camera if isinstance(m, nn.Conv2d)), None)


@torch.no_grad()
def feature_maps(model: DrivingNet, camera: torch.Tensor) -> np.ndarray | None:
    """First-layer feature maps after ReLU for one preprocessed frame (1, C, H, W) -> (F, H', W')."""
    conv = first_conv(model)
    if conv is None:
        return None
    return torch.relu(conv(camera))[0].cpu().numpy()


def tile(maps: np.ndarray, cols: int | None = None, pad: int = 1) -> np.ndarray:
    """(F, H, W) maps -> one (rows*(H+pad), cols*(W+pad), 3) uint8 grid, each map scaled to 0..255."""
    f, h, w = maps.shape
    cols = cols or int(np.ceil(np.sqrt(f)))
    rows = -(-f // cols)
    out = np.full((rows * (h + pad), cols * (w + pad)), 40, np.uint8)
    for k in range(f):
        m = maps[k]
        lo, hi = float(m.min()), float(m.max())
        img = (m - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(m)
        r, c = divmod(k, cols)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = img.astype(np.uint8)
    return np.repeat(out[..., None], 3, axis=2)


def filters(model: DrivingNet) -> np.ndarray | None:
    """First-layer filters (F, k, k, C) scaled to 0..255 each, for showing as images."""
    conv = first_conv(model)
    if conv is None:
        return None
    w = conv.weight.detach().cpu().numpy().transpose(0, 2, 3, 1)  # (F, k, k, C)
    lo = w.min(axis=(1, 2, 3), keepdims=True)
    hi = w.max(axis=(1, 2, 3), keepdims=True)
    return ((w - lo) / np.maximum(hi - lo, 1e-9) * 255).astype(np.uint8)


def saliency(model: DrivingNet, inputs: dict) -> np.ndarray | None:
    """|d steering / d pixel|, max over colour channels, scaled to [0, 1]: (H', W')."""
    if "camera" not in inputs:
        return None
    cam = inputs["camera"].detach().clone().requires_grad_(True)
    others = {k: v for k, v in inputs.items() if k != "camera"}
    with torch.enable_grad():
        steer = model.steering(model(camera=cam, **others))
        steer.sum().backward()
    g = cam.grad[0].abs().amax(dim=0).cpu().numpy()
    return g / max(float(g.max()), 1e-12)
