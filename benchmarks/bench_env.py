"""Env speed: single env and batched (vector) env, reset times, and memory.

Run: python benchmarks/bench_env.py [--steps N]
Prints steps/s for `sensors` and for `both` (64x64 dashcam) in one env, car-steps/s for
a batch of 64 cars, reset times, and peak memory of a batch of 256 cars with cameras; each
with its ratio to the target. With gymnasium[box2d] installed (the `bench` extra) it also
measures CarRacing-v3 in the same process and prints every figure's ratio to it.
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
from sim import world as world_module  # noqa: E402

TARGETS = {"sensors": 17_000, "both": 8_500}
CARRACING_REF = 170  # CarRacing-v3 steps/s measured on this machine when the targets were set


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
            world_module._RASTERS.clear()
        t = time.perf_counter()
        env.reset(options={"track": seed})
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def batched_car_steps_per_s(observation: str, n: int, steps: int = 200) -> float:
    venv = gym.make_vec("DriveLab-v0", num_envs=n, observation=observation, offroad="recover")
    venv.reset(seed=0)
    action = np.zeros((n, 1), np.float32)
    for _ in range(10):
        venv.step(action)
    start = time.perf_counter()
    for _ in range(steps):
        venv.step(action)
    return n * steps / (time.perf_counter() - start)


MEMORY = """
import resource, sys, numpy as np, gymnasium as gym
sys.path.insert(0, {root!r})
import sim
venv = gym.make_vec("DriveLab-v0", num_envs=256, offroad="recover")
venv.reset(seed=0)
for _ in range(50):
    venv.step(np.zeros((256, 1), np.float32))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=20_000)
    args = ap.parse_args()
    results = {}
    for obs in ("sensors", "both"):
        env = gym.make("DriveLab-v0", observation=obs, track=3)
        steps_per_s(env, 500)  # warm-up
        results[obs] = float(np.median([steps_per_s(env, args.steps) for _ in range(3)]))  # median of 3
        print(f"single env, {obs:8s} {results[obs]:9,.0f} steps/s       target {TARGETS[obs]:,}  ratio {results[obs] / TARGETS[obs]:.2f}")
    for obs, target in (("sensors", 500 * CARRACING_REF), ("both", 100 * CARRACING_REF)):
        results[f"batch {obs}"] = r = float(np.median([batched_car_steps_per_s(obs, 64) for _ in range(3)]))
        print(f"batch of 64, {obs:8s} {r:9,.0f} car-steps/s   target {target:,}  ratio {r / target:.2f}")
    new, seen = reset_ms(True), reset_ms(False)
    print(f"reset onto a new procedural track  {new:6.2f} ms   target 14 ms  ratio {new / 14:.2f}")
    print(f"reset onto a track already seen    {seen:6.3f} ms   ({new / seen:.0f}x faster)")
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    peak = int(subprocess.run([sys.executable, "-c", MEMORY.format(root=root)], capture_output=True, text=True, check=True).stdout)
    print(f"peak memory, 256 cars with 64x64 cameras: {peak / 1e6:,.0f} MB   target 500 MB  ratio {peak / 500e6:.2f}")
    try:
        racing = gym.make("CarRacing-v3")
    except Exception as e:  # optional: pip install -e .[bench]
        print(f"CarRacing-v3 not measured ({type(e).__name__}); targets above assume its {CARRACING_REF} steps/s; install the 'bench' extra to compare")
        return
    steps_per_s(racing, 100)
    cr = float(np.median([steps_per_s(racing, 1000) for _ in range(3)]))
    print(f"CarRacing-v3 {cr:9,.0f} steps/s (same process)")
    print(f"  single env with dashcam / CarRacing: {results['both'] / cr:6.0f}x   target 50x")
    print(f"  batch of 64 with cameras / CarRacing: {results['batch both'] / cr:6.0f}x   target 100x")
    print(f"  batch of 64 sensors only / CarRacing: {results['batch sensors'] / cr:6.0f}x   target 500x")


if __name__ == "__main__":
    main()
