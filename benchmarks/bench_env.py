"""Env speed: steps/s for `sensors` and for `both` (64x64 dashcam), and reset times.

Run: python benchmarks/bench_env.py [--steps N]
Prints each figure and its ratio to the issue's target, plus, when gymnasium[box2d] is
installed, CarRacing-v3 measured in the same process and the ratio to it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym  # noqa: E402

import sim  # noqa: E402,F401
from sim import env as env_module  # noqa: E402

TARGETS = {"sensors": 17_000, "both": 8_500}


def steps_per_s(env, steps: int) -> float:
    env.reset(seed=0)
    action = np.zeros(env.action_space.shape, np.float32)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, term, trunc, _ = env.step(action)
        if term or trunc:
            env.reset()
    return steps / (time.perf_counter() - start)


def reset_ms(new_tracks: bool, n: int = 30) -> float:
    env = gym.make("DriveLab-v0")
    env.reset(seed=0, options={"track": 0})
    times = []
    for i in range(n):
        seed = 500_000 + i if new_tracks else 0
        if new_tracks:  # make sure nothing is cached
            env_module._track_from_seed.cache_clear()
            env_module._raster.cache_clear()
        t = time.perf_counter()
        env.reset(options={"track": seed})
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20_000)
    args = ap.parse_args()
    results = {}
    for obs in ("sensors", "both"):
        env = gym.make("DriveLab-v0", observation=obs, track=3)
        steps_per_s(env, 500)  # warm-up
        results[obs] = float(np.median([steps_per_s(env, args.steps) for _ in range(3)]))  # median of 3
        print(f"{obs:8s} {results[obs]:9,.0f} steps/s   target {TARGETS[obs]:,}  ratio {results[obs] / TARGETS[obs]:.2f}")
    new, seen = reset_ms(True), reset_ms(False)
    print(f"reset onto a new procedural track  {new:6.2f} ms   target 14 ms  ratio {new / 14:.2f}")
    print(f"reset onto a track already seen    {seen:6.3f} ms   ({new / seen:.0f}x faster)")
    try:
        racing = gym.make("CarRacing-v3")
    except Exception as e:  # optional: pip install -e .[bench]
        print(f"CarRacing-v3 not measured ({type(e).__name__}); install the 'bench' extra to compare")
        return
    cr = steps_per_s(racing, 1000)
    print(f"CarRacing-v3 {cr:9,.0f} steps/s   DriveLab both / CarRacing = {results['both'] / cr:.0f}x")


if __name__ == "__main__":
    main()
