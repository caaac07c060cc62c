"""Evaluation speed as users run it: `run_sim.py eval` of the bundled ConvNet.

Run: python benchmarks/bench_eval.py [--runs 3] [--tracks 100] [--json PATH]

Times the whole command (start-up, loading the model, driving `--tracks` test tracks x 2
laps with the default workers, writing the report) `--runs` times and reports the median
wall time (target <= 25 s for 100 tracks on 2 cores) and the report's lap completion.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, median, parser, write

TARGET_S = 25.0


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tracks", type=int, default=100)
    args = ap.parse_args()
    times, summary = [], None
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, str(ROOT / "run_sim.py"), "eval", "--tracks", str(args.tracks), "--laps", "2", "--quiet", "--report", str(report)]
        for k in range(args.runs):
            t = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
            summary = json.loads(report.read_text())["summary"]
            print(f"run {k + 1}/{args.runs}: {times[-1]:.1f} s", flush=True)
    print(f"eval of the bundled ConvNet, {args.tracks} test tracks x 2 laps: {median(times):.1f} s (median of {args.runs})   target {TARGET_S:.0f} s")
    print(f"lap completion {summary['lap_completion_rate'] * 100:.0f}%, autonomy {summary['autonomy_pct']:.2f}%")
    write(args.json, "bench_eval", {"tracks": args.tracks, "laps": 2, "runs": args.runs, "seconds": median(times), "all_seconds": times, "target_s": TARGET_S, "summary": summary})


if __name__ == "__main__":
    main()
