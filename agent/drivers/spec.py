"""Who drives: one protocol, and the spec that names a driver.

A driver steers every car of a `sim.world.World` at once: `steer(world, obs) -> (N,)`
steering in [-1, 1], reading the observations its `keys` name; `name` is what reports
call it. A single env is a world of one car. The drivers: `agent.drivers.expert.Expert`
(the expert, or blind to obstacles), `agent.drivers.policy.NetworkDriver` (a network from
.pt or .onnx), `agent.drivers.human.ScriptedPeople` (the scripted person, one per car) and
`agent.drivers.human.Person` (a person at the keyboard, mouse or gamepad, for a one-car
world); DAgger mixes them (`agent.learn.dagger`).

Who drives is parsed once into a `DriverSpec` (the expert, the blind expert, or a
checkpoint), never None or a bare string, and `make_driver(spec, config)` makes it.
"""

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


def make_driver(spec: DriverSpec, config):
    """The driver (`steer(world, obs) -> (N,)`) that `spec` names, bound to `config`."""
    from agent.drivers.expert import Expert

    if not spec.is_model:
        return Expert(spec.expert_params)
    from agent.drivers.policy import NetworkDriver, load_policy

    return NetworkDriver(load_policy(spec.path, config))
