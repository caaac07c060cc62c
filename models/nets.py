"""Networks built from the lecture's knobs, written as a short spec string.

A spec lists layers in order, separated by spaces:

    conv(F, K[, S])     F features (filters) of size KxK, stride S (default 1), no padding
    pool(W[, S])        max pooling over WxW windows with stride S (default W)
    avgpool(W[, S])     average pooling (ALVINN's downsampled retina)
    relu | tanh | sigmoid
    norm                batch normalisation of the previous layer's features
    dropout(P)
    fc(N)               a fully connected layer of N neurons (flattens first)

Example, the `tiny` preset: "conv(8,5,2) relu pool(2) conv(16,3) relu pool(2) fc(32) relu".
The output layer (the head) is added after the spec: one tanh unit for regression, K
steering bins for classification, or one plain unit for `value` (reinforcement learning's
critic, which estimates the reward to come).
"""

from __future__ import annotations

import torch
from torch import nn

from models.spec import (  # noqa: F401  (the spec language, re-exported: models.nets is where networks are made)
    DEFAULT_CAMERA_ARCH,
    DEFAULT_SENSOR_ARCH,
    HEADS,
    MAX_PARAMETERS,
    PRESETS,
    Layer,
    SpecError,
    parse,
    resolve_arch,
)


def build_trunk(layers: list[Layer], in_shape: tuple[int, ...]) -> tuple[nn.Sequential, list[tuple[str, tuple, int]]]:
    """Build the layers for an input of `in_shape` ((C, H, W) or (N,)).

    Returns the module and, per layer, (description, output shape, parameters).
    """
    mods: list[nn.Module] = []
    report = []
    shape = tuple(in_shape)
    for i, layer in enumerate(layers, 1):
        k, a = layer.kind, [int(x) if float(x).is_integer() else x for x in layer.args]
        if k in ("conv", "pool", "avgpool") and len(shape) != 3:
            raise SpecError(f"layer {i} {layer}: needs an image, but the input here is a vector {shape}")
        if k == "conv":
            feats, size = a[0], a[1]
            stride = a[2] if len(a) > 2 else 1
            if size > min(shape[1:]):
                raise SpecError(f"layer {i} {layer}: {size}x{size} features do not fit a {shape[1]}x{shape[2]} input")
            m = nn.Conv2d(shape[0], feats, size, stride)
            shape = (feats, (shape[1] - size) // stride + 1, (shape[2] - size) // stride + 1)
        elif k in ("pool", "avgpool"):
            w = a[0]
            s = a[1] if len(a) > 1 else w
            if w > min(shape[1:]):
                raise SpecError(f"layer {i} {layer}: a {w}x{w} window does not fit a {shape[1]}x{shape[2]} input")
            m = nn.MaxPool2d(w, s) if k == "pool" else nn.AvgPool2d(w, s)
            shape = (shape[0], (shape[1] - w) // s + 1, (shape[2] - w) // s + 1)
        elif k == "fc":
            if len(shape) != 1:
                mods.append(nn.Flatten())
                shape = (int(torch.tensor(shape).prod()),)
            m = nn.Linear(shape[0], a[0])
            shape = (a[0],)
        elif k == "norm":
            m = nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
        elif k == "dropout":
            m = nn.Dropout(a[0])
        else:
            m = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid()}[k]
        mods.append(m)
        report.append((str(layer), shape, sum(p.numel() for p in m.parameters())))
        total = sum(r[2] for r in report)
        if total > MAX_PARAMETERS:
            raise SpecError(
                f"layer {i} {layer}: the network reaches {total:,} parameters; at most {MAX_PARAMETERS:,} train on a "
                "CPU"
            )
    if len(shape) != 1:
        mods.append(nn.Flatten())
        shape = (int(torch.tensor(shape).prod()),)
    return nn.Sequential(*mods), report


def steering_bins(k: int) -> torch.Tensor:
    """Centres of K equal bins over [-1, 1]."""
    return torch.linspace(-1.0, 1.0, k)


class DrivingNet(nn.Module):
    """Camera trunk and/or sensor trunk -> (concatenated) -> head -> steering.

    With both inputs, the camera spec's layers up to its first fc form the image trunk;
    the sensor MLP's output joins the flattened image features before the camera spec's
    fc layers (a fusion model).

    forward(camera (B, C, H, W) float, sensors (B, n) float) -> head output:
    regression: (B,) steering in [-1, 1]; classification: (B, K) logits; value: (B,) any number.
    """

    def __init__(
        self, inputs: dict, camera_arch: str | None, sensor_arch: str | None, head: str = "regression", bins: int = 21
    ):
        super().__init__()
        if head not in HEADS:
            raise SpecError(f"head={head!r}: expected one of {', '.join(HEADS)}")
        self.head_kind = head
        self.report: list[tuple[str, tuple, int]] = []
        self.camera = self.sensors = self.joint = None
        width = 0
        if "camera" in inputs:
            layers = parse(camera_arch)
            split = next((i for i, layer in enumerate(layers) if layer.kind == "fc"), len(layers))
            conv, fcs = (layers[:split], layers[split:]) if "sensors" in inputs else (layers, [])
            self.camera, rep = build_trunk(conv, tuple(inputs["camera"]))
            self.report += [("camera: " + d, s, p) for d, s, p in rep]
            width += rep[-1][1][0] if rep and len(rep[-1][1]) == 1 else _flat(rep, inputs["camera"])
        else:
            fcs = []
        if "sensors" in inputs:
            layers = parse(sensor_arch)
            self.sensors, rep = build_trunk(layers, tuple(inputs["sensors"]))
            self.report += [("sensors: " + d, s, p) for d, s, p in rep]
            width += rep[-1][1][0] if rep else inputs["sensors"][0]
        if fcs:
            self.joint, rep = build_trunk(fcs, (width,))
            self.report += [("joint: " + d, s, p) for d, s, p in rep]
            width = rep[-1][1][0]
        out = bins if head == "classification" else 1
        self.out = nn.Linear(width, out)
        self.report.append(
            (
                f"head: fc({out}){HEADS[head]}",
                (out,),
                sum(p.numel() for p in self.out.parameters()),
            )
        )
        self.register_buffer("bins", steering_bins(bins))

    def forward(self, camera: torch.Tensor | None = None, sensors: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(camera, sensors))

    def features(self, camera: torch.Tensor | None = None, sensors: torch.Tensor | None = None) -> torch.Tensor:
        """What the last hidden layer makes of the inputs (B, width): what the head's neurons vote on."""
        feats = []
        if self.camera is not None:
            feats.append(self.camera(camera))
        if self.sensors is not None:
            feats.append(self.sensors(sensors))
        x = feats[0] if len(feats) == 1 else torch.cat(feats, dim=1)
        return x if self.joint is None else self.joint(x)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """The output layer on `features`: see the class's forward."""
        y = self.out(features)
        if self.head_kind == "classification":
            return y
        return torch.tanh(y[:, 0]) if self.head_kind == "regression" else y[:, 0]

    def steering(self, output: torch.Tensor) -> torch.Tensor:
        """Head output -> steering (B,): itself, or the expected value over the bins."""
        if self.head_kind == "regression":
            return output
        return torch.softmax(output, dim=1) @ self.bins

    def summary(self) -> str:
        rows = [f"{'layer':<34} {'output shape':<16} {'params':>9}"]
        for desc, shape, params in self.report:
            rows.append(f"{desc:<34} {str(tuple(shape)):<16} {params:>9,}")
        total = sum(p.numel() for p in self.parameters())
        rows.append(f"{'total':<34} {'':<16} {total:>9,}")
        return "\n".join(rows)


def _flat(report, in_shape) -> int:
    shape = report[-1][1] if report else tuple(in_shape)
    n = 1
    for s in shape:
        n *= s
    return n
