"""What every benchmark shares: the machine it ran on, medians, and JSON results.

Each benchmark prints its figures and, with `--json PATH`, writes them with the machine's
description, so the README's tables (`benchmarks/readme.py`) come from a file, not a hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parser(doc: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", metavar="PATH", help="also write the figures to this JSON file")
    return ap


def machine() -> dict:
    import gymnasium

    info = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gymnasium": gymnasium.__version__,
        "processor": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return info


def median(values) -> float:
    return float(np.median(np.asarray(values, dtype=float)))


def write(path: str | None, name: str, figures: dict) -> None:
    """Write `figures` (with the machine's description) to `path`, if given."""
    if not path:
        return
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": name, "machine": machine(), "figures": figures}, indent=1) + "\n")
    print(f"wrote {out}")


PEAK_RSS = '''
def peak_rss_bytes():
    """This process's peak resident memory [bytes].

    Read from /proc/self/status (VmHWM), not ru_maxrss: Linux carries the parent's peak
    over a fork and exec into ru_maxrss, so a child started by a big benchmark process
    would report the parent's size.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
'''  # prepended to the code of benchmarks that measure memory in a fresh process
