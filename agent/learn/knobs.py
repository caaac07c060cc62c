"""Knobs: a learner's settings declared once, as dataclass fields that carry their own help,
choices and bounds. The command line builds each flag from them (`agent.cli.common.add_knob_flags`)
and `check_knobs` refuses a value outside them, wherever the settings came from."""

from __future__ import annotations

from dataclasses import field, fields

from sim.config import check_int, check_real


def knob(default, help: str, *, choices: tuple | None = None, bounds: tuple | None = None, factory=None):
    """A field declared once: its default, its help, its choices and its (lowest, highest)
    bounds (None: unbounded); the command line builds each flag from these."""
    meta = {"help": help, "choices": choices, "bounds": bounds}
    return (
        field(default_factory=factory, metadata=meta) if factory is not None else field(default=default, metadata=meta)
    )


def check_knobs(settings) -> None:
    """Raise ValueError naming the first field of `settings` outside its choices or bounds."""
    for f in fields(settings):
        value, choices, bounds = getattr(settings, f.name), f.metadata["choices"], f.metadata["bounds"]
        if choices is not None and value not in choices:
            raise ValueError(f"{f.name}={value!r}: expected one of {', '.join(choices)}")
        if bounds is None or value is None:
            continue
        lo, hi = bounds
        if isinstance(lo, int):
            check_int(f.name, value, lo, hi)
        else:
            check_real(f.name, value, lo)
            if hi is not None and value > hi:
                raise ValueError(f"{f.name}={value}: expected a number from {lo} to {hi}")
