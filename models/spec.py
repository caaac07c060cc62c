"""The spec language of `models.nets`: layers as a short string, the presets, and the parser.

No torch here: the command line checks `--arch` and lists the presets without loading it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRESETS = {
    # NVIDIA PilotNet's pattern (5 convolutions, then 100-50-10 neurons), scaled to 64x64
    "pilotnet": "conv(24,5,2) relu conv(36,5,2) relu conv(48,3,2) relu conv(64,3) relu "
    "fc(100) relu fc(50) relu fc(10) relu",
    # fast enough to train in seconds on a laptop
    "tiny": "conv(8,5,2) relu pool(2) conv(16,3) relu pool(2) fc(32) relu",
    # ALVINN (Pomerleau 1989): a downsampled retina and one hidden layer
    "alvinn": "avgpool(2) fc(29) sigmoid",
    # for the sensor vector
    "mlp": "fc(64) relu fc(64) relu",
}
HEADS = {"regression": " tanh", "classification": " softmax", "value": ""}  # kind -> what follows the last fc
DEFAULT_CAMERA_ARCH = "pilotnet"
DEFAULT_SENSOR_ARCH = "mlp"
_TOKEN = re.compile(r"([a-z]+)(?:\(([^)]*)\))?")
_ARITY = {
    "conv": (2, 3),
    "pool": (1, 2),
    "avgpool": (1, 2),
    "fc": (1, 1),
    "dropout": (1, 1),
    "relu": (0, 0),
    "tanh": (0, 0),
    "sigmoid": (0, 0),
    "norm": (0, 0),
}


class SpecError(ValueError):
    """A spec that cannot be built; the message says which layer and why."""


@dataclass(frozen=True)
class Layer:
    kind: str
    args: tuple

    def __str__(self) -> str:
        if not self.args:
            return self.kind
        return f"{self.kind}({','.join(_fmt(a) for a in self.args)})"


def _fmt(a) -> str:
    return str(int(a)) if float(a).is_integer() else str(a)


def resolve_arch(arch: str) -> str:
    """A preset name or a spec string -> the spec string."""
    return PRESETS.get(arch.strip(), arch)


MAX_PARAMETERS = 20_000_000  # PilotNet has ~100k; far more would take days per epoch on a laptop
MAX_SIZE = 4096  # features, neurons, kernel sizes and strides above this are surely typos (and would exhaust memory)


def parse(spec: str) -> list[Layer]:
    """Parse a spec string (or preset name) into layers; raises SpecError with the position."""
    spec = resolve_arch(spec)
    layers = []
    text = spec.strip()
    for m in re.finditer(r"\S+\([^)]*\)|\S+", text):
        tok = m.group(0)
        t = _TOKEN.fullmatch(tok.replace(" ", ""))
        if not t or t.group(1) not in _ARITY:
            raise SpecError(f"layer {len(layers) + 1} {tok!r}: unknown; expected one of {', '.join(_ARITY)}")
        kind, raw = t.group(1), t.group(2)
        try:
            args = tuple(float(a) for a in raw.split(",")) if raw else ()
        except ValueError:
            raise SpecError(f"layer {len(layers) + 1} {tok!r}: arguments must be numbers") from None
        lo, hi = _ARITY[kind]
        if not lo <= len(args) <= hi:
            raise SpecError(
                f"layer {len(layers) + 1} {tok!r}: {kind} takes {lo}{'-' + str(hi) if hi != lo else ''} arguments"
            )
        if kind != "dropout" and any(a <= 0 or not float(a).is_integer() for a in args):
            raise SpecError(f"layer {len(layers) + 1} {tok!r}: sizes must be positive whole numbers")
        if kind != "dropout" and any(a > MAX_SIZE for a in args):
            raise SpecError(f"layer {len(layers) + 1} {tok!r}: sizes above {MAX_SIZE} are not supported")
        if kind == "dropout" and not 0 <= args[0] < 1:
            raise SpecError(f"layer {len(layers) + 1} {tok!r}: dropout probability must be in [0, 1)")
        layers.append(Layer(kind, args))
    if not layers:
        raise SpecError("empty spec: give a preset name or layers such as 'conv(8,5,2) relu fc(32) relu'")
    return layers
