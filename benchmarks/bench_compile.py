"""What the first run after an install costs: compiling the world's kernels.

Run: python benchmarks/bench_compile.py [--runs 2] [--json benchmarks/results/compile.json]

The README's main command (`python run_sim.py eval`, its defaults: the bundled ConvNet on
20 test tracks x 2 laps with 2 workers) is timed as a whole process in a fresh clone of
this repository's HEAD, twice in a row: the first run finds no compiled kernels (numba
compiles them and caches them beside the sources), the second loads them. Their
difference is what the first run costs a user (target <= 20 s). Repeated `--runs` times,
each in a clone of its own; the figures are medians. Commit before running it: a clone
holds what is committed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, median, parser, write

TARGET_S = 20.0
COMMAND = ["run_sim.py", "eval", "--quiet"]


def timed(cwd: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}  # the cache beside the clone's sources
    start = time.perf_counter()
    subprocess.run([sys.executable, *COMMAND], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--runs", type=int, default=2, help="fresh clones to time (median over them)")
    args = ap.parse_args()
    cold, warm = [], []
    for k in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            clone = Path(tmp) / "drivelab"
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
            cold.append(timed(clone))
            warm.append(timed(clone))
        print(f"clone {k + 1}/{args.runs}: first run {cold[-1]:.1f} s, second run {warm[-1]:.1f} s", flush=True)
    extra = [c - w for c, w in zip(cold, warm)]
    print(
        f"`python {' '.join(COMMAND[:2])}` from a fresh clone: first run {median(cold):.1f} s, then "
        f"{median(warm):.1f} s: compiling costs {median(extra):.1f} s once (target <= {TARGET_S:.0f} s)"
    )
    write(
        args.json,
        "bench_compile",
        {
            "command": "python " + " ".join(COMMAND[:2]),
            "runs": args.runs,
            "first_s": median(cold),
            "second_s": median(warm),
            "compile_s": median(extra),
            "all_first_s": cold,
            "all_second_s": warm,
            "target_s": TARGET_S,
        },
    )


if __name__ == "__main__":
    main()
