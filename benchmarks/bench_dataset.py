"""Recording and loading speed: expert frames/s, and loading 100,000 64x64 frames.

Run: python benchmarks/bench_dataset.py [--runs 3] [--dir /tmp/drivelab-bench] [--json PATH]

After a small warm-up recording, records exactly 50,000 expert frames (target <= 30 s)
`--runs` times; then records 100,000 frames once and loads them `--runs` times, each in
a fresh process that reports the time (target <= 10 s) and its peak memory over the
arrays' size (target <= 1.5). Medians are reported.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import PEAK_RSS, ROOT, median, parser, write

LOADER = (
    PEAK_RSS
    + """
import sys, time
sys.path.insert(0, {root!r})
from agent.data.dataset import Dataset
base = peak_rss_bytes()
t = time.perf_counter()
data = Dataset({path!r}).load(("camera", "sensors", "action"))
dt = time.perf_counter() - t
raw = sum(v.nbytes for v in data.values())
peak = peak_rss_bytes() - base
print(len(data["action"]), dt, raw, peak)
"""
)
EPISODE_STEPS = 2500
TARGETS = {"record_50k_s": 30.0, "load_100k_s": 10.0, "load_peak_over_raw": 1.5}


def record(out: Path, frames: int, workers: int) -> float:
    from agent.data.record import RecordSettings, record_expert
    from sim.config import EnvConfig

    shutil.rmtree(out, ignore_errors=True)
    settings = RecordSettings(episodes=frames // EPISODE_STEPS, steps=EPISODE_STEPS, workers=workers)
    t = time.perf_counter()
    record_expert(out, EnvConfig(), settings)
    return time.perf_counter() - t


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/drivelab-bench")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    out = Path(args.dir)
    record(out, 2 * EPISODE_STEPS * args.workers, args.workers)  # warm-up: imports, worker start-up paths
    rec = [record(out, 50_000, args.workers) for _ in range(args.runs)]
    print(
        f"record  50,000 frames in {median(rec):.1f} s (median of {args.runs}; {50_000 / median(rec):,.0f} frames/s, "
        f"{args.workers} workers)   target {TARGETS['record_50k_s']:.0f} s"
    )
    record(out, 100_000, args.workers)
    loads = []
    for _ in range(args.runs):
        res = subprocess.run(
            [sys.executable, "-c", LOADER.format(root=str(ROOT), path=str(out))],
            capture_output=True,
            text=True,
            check=True,
        )
        n, load_s, raw, peak = res.stdout.split()
        loads.append((int(n), float(load_s), int(raw), int(peak)))
    n, raw = loads[0][0], loads[0][2]
    load_s = median([x[1] for x in loads])
    peak = median([x[3] for x in loads])
    print(f"load    {n:,} frames in {load_s:.2f} s (median of {args.runs})   target {TARGETS['load_100k_s']:.0f} s")
    print(
        f"memory  peak {peak / 1e6:,.0f} MB for {raw / 1e6:,.0f} MB of arrays: {peak / raw:.2f}x   target "
        f"{TARGETS['load_peak_over_raw']}x"
    )
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"disk    {size / 1e6:,.0f} MB ({size / n:,.0f} bytes/frame)")
    shutil.rmtree(out, ignore_errors=True)
    write(args.json, "bench_dataset", {
        "workers": args.workers, "runs": args.runs, "record_50k_s": median(rec),
        "record_frames_per_s": 50_000 / median(rec), "load_frames": n, "load_s": load_s,
        "load_peak_over_raw": peak / raw, "bytes_per_frame": size / n, "targets": TARGETS,
    })  # fmt: skip


if __name__ == "__main__":
    main()
