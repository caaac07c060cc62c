"""Recording and loading speed: expert frames/s, and loading 100,000 64x64 frames.

Run: python benchmarks/bench_dataset.py [--frames 100000] [--dir /tmp/drivelab-bench]
Prints the time to record 50,000 frames (target <= 30 s), the time to load
100,000 frames (target <= 10 s) and the loader's peak memory over the raw size (target
<= 1.5), each with its ratio to the target.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LOADER = """
import resource, sys, time
sys.path.insert(0, {root!r})
from agent.dataset import Dataset
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
data = Dataset({path!r}).load(("camera", "sensors", "action"))
dt = time.perf_counter() - t
raw = sum(v.nbytes for v in data.values())
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024
print(len(data["action"]), dt, raw, peak)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--dir", default="/tmp/drivelab-bench")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from agent.record import RecordSettings, record_expert
    from sim.config import EnvConfig

    out = Path(args.dir)
    shutil.rmtree(out, ignore_errors=True)
    steps = 2500
    settings = RecordSettings(episodes=args.frames // steps, steps=steps, workers=args.workers)
    t = time.perf_counter()
    record_expert(out, EnvConfig(), settings)
    dt = time.perf_counter() - t
    per50k = dt * 50_000 / args.frames
    print(f"record  {args.frames:,} frames in {dt:.1f} s ({args.frames / dt:,.0f} frames/s, {args.workers} workers): 50,000 frames in {per50k:.1f} s   target 30 s  ratio {per50k / 30:.2f}")
    root = str(Path(__file__).resolve().parents[1])
    res = subprocess.run([sys.executable, "-c", LOADER.format(root=root, path=str(out))], capture_output=True, text=True, check=True)
    n, load_s, raw, peak = res.stdout.split()
    n, load_s, raw, peak = int(n), float(load_s), int(raw), int(peak)
    print(f"load    {n:,} frames in {load_s:.2f} s   target 10 s  ratio {load_s / 10:.2f}")
    print(f"memory  peak {peak / 1e6:,.0f} MB for {raw / 1e6:,.0f} MB of arrays: {peak / raw:.2f}x   target 1.5x")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"disk    {size / 1e6:,.0f} MB ({size / n:,.0f} bytes/frame)")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
