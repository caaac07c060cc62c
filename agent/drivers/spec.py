"""Who drives, parsed once: the scripted expert, the expert blind to obstacles, or a trained
network from a checkpoint (.pt) or an ONNX export (.onnx). Commands and functions pass a
`DriverSpec`, never None or a bare string, so every place that needs to know who drives
(the driver itself, the report's wording, the video, whether torch is needed) asks it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.drivers.expert import ExpertParams

EXPERT, BLIND, MODEL = "expert", "expert-blind", "model"


@dataclass(frozen=True)
class DriverSpec:
    """`kind` is "expert", "expert-blind" (following the centre line as if obstacles were
    not there) or "model" with the checkpoint's `path`."""

    kind: str
    path: str | None = None

    def __post_init__(self):
        if self.kind not in (EXPERT, BLIND, MODEL):
            raise ValueError(f"driver {self.kind!r}: expected {EXPERT}, {BLIND} or a checkpoint (.pt or .onnx)")
        if (self.kind == MODEL) != (self.path is not None):
            raise ValueError(f"driver {self.kind!r}: a path goes with a model, and only with a model")

    @classmethod
    def parse(cls, text: str | Path | DriverSpec) -> DriverSpec:
        """ "expert", "expert-blind", or a checkpoint's path."""
        if isinstance(text, DriverSpec):
            return text
        text = str(text)
        return cls(text) if text in (EXPERT, BLIND) else cls(MODEL, text)

    @classmethod
    def model(cls, path: str | Path) -> DriverSpec:
        return cls(MODEL, str(path))

    @property
    def is_model(self) -> bool:
        return self.kind == MODEL

    @property
    def expert_params(self) -> ExpertParams:
        """The expert's settings when an expert drives (the blind one ignores obstacles)."""
        return ExpertParams(avoid=self.kind != BLIND)

    @property
    def name(self) -> str:
        """What reports record as the driver: "expert", "expert-blind" or the path."""
        return self.path if self.is_model else self.kind

    def describe(self) -> str:
        return {EXPERT: "the expert", BLIND: "the expert blind to obstacles"}.get(self.kind) or str(self.path)
