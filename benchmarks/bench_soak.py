"""Soak: 1,000,000 car-steps of the batched env with cameras; memory must not grow.

Run: python benchmarks/bench_soak.py [--steps 1000000] [--envs 64] [--json benchmarks/results/soak.json]
Prints resident memory every 10% of the run and the growth from the first report (after
warm-up) to the last.
"""

from __future__ import annotations

import resource
import time

import gymnasium as gym  # noqa: E402
import numpy as np
from common import parser, write

from sim import ENV_ID  # noqa: E402  (registers it)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--steps", type=int, default=1_000_000, help="car-steps in all")
    ap.add_argument("--envs", type=int, default=64)
    args = ap.parse_args()
    # terminate mode with short episodes: cars leave the road and autoreset onto new tracks
    venv = gym.make_vec(ENV_ID, num_envs=args.envs, max_steps=600)
    venv.reset(seed=0)
    rng = np.random.default_rng(0)
    batches = args.steps // args.envs
    reports = []
    start = time.perf_counter()
    for b in range(batches):
        venv.step(rng.uniform(-0.4, 0.4, (args.envs, 1)).astype(np.float32))
        if (b + 1) % max(1, batches // 10) == 0:
            reports.append(rss_mb())
            print(
                f"{(b + 1) * args.envs:>9,} car-steps  {time.perf_counter() - start:6.1f} s  RSS {reports[-1]:7.1f} MB",
                flush=True,
            )
    elapsed = time.perf_counter() - start
    growth = reports[-1] - reports[0]
    print(f"memory growth after the first report: {growth:+.1f} MB ({growth / reports[0] * 100:+.1f}%)")
    write(
        args.json,
        "bench_soak",
        {
            "car_steps": batches * args.envs,
            "envs": args.envs,
            "seconds": elapsed,
            "rss_mb": reports,
            "growth_mb": growth,
            "growth_pct": growth / reports[0] * 100,
        },
    )


if __name__ == "__main__":
    main()
