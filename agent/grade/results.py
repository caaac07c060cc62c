"""Writing the results people read (training summaries, eval reports, leaderboards, sweep
tables): atomically, and never with a NaN or an infinity in them.

A result that is not a real number is a failure to report, not a figure: `write_json`
refuses it in one line naming the file and the field, and writes nothing.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from pathlib import Path


def non_finite(data, where: str = "") -> list[str]:
    """Where in `data` (nested dicts, lists, numbers) a float is NaN or infinite."""
    if isinstance(data, float):
        return [] if math.isfinite(data) else [f"{where or 'the value'} = {data}"]
    if isinstance(data, dict):
        return [bad for k, v in data.items() for bad in non_finite(v, f"{where}.{k}" if where else str(k))]
    if isinstance(data, (list, tuple)):
        return [bad for i, v in enumerate(data) for bad in non_finite(v, f"{where}[{i}]")]
    return []


def check_finite(data, path) -> None:
    """Raise a one-line ValueError naming `path` and the first field that is not a real number."""
    bad = non_finite(data)
    if bad:
        raise ValueError(
            f"{path}: not written: {bad[0]} is not a number a result can hold"
            + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else "")
        )


def write_json(path, data, indent: int | None = 1) -> None:
    """Write `data` as JSON to `path` through a temporary file (a reader never sees half a
    file), after `check_finite`; the folder is made if missing."""
    path = Path(path)
    check_finite(data, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(data, indent=indent, allow_nan=False))
    os.replace(tmp, path)
