"""What a harder level costs: the single env at each level, timed side by side in one process.

Run: python benchmarks/bench_levels.py [--rounds 7] [--json benchmarks/results/levels.json]

Each level is timed as users run it: `gymnasium.make("DriveLab-v1", level=NAME)` with its
defaults (64x64 dashcam and sensors, a new procedural track and, where the level draws
them, new conditions every reset), driven with steering drawn uniformly from +-0.2.
Every round runs one block of every level in turn (who goes first rotates), and a level's
figure is the median over rounds of its steps/s divided by school's in the same round.
The targets: `weather` at >= 90% of `school`, `cones` at >= 85% (issue 25). A level's
figure includes what it adds to every reset (new conditions, a camera pose and colour
grade, narrower roads ending episodes sooner) as well as to every step.
"""

from __future__ import annotations

import time

import gymnasium as gym  # noqa: E402
import numpy as np
from common import median, parser, write

from sim import ENV_ID  # noqa: E402  (registers it)
from sim.levels import LEVELS  # noqa: E402

TARGET_VS_SCHOOL = {"weather": 0.9, "cones": 0.85}


EPISODES: dict = {}  # per env: episodes ended


def block(env, rng, steps: int) -> float:
    acts = rng.uniform(-0.2, 0.2, (steps, 1)).astype(np.float32)
    start = time.perf_counter()
    for a in acts:
        _, _, term, trunc, _ = env.step(a)
        if term or trunc:
            env.reset()
            EPISODES[id(env)] = EPISODES.get(id(env), 0) + 1
    return steps / (time.perf_counter() - start)


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--rounds", type=int, default=7, help="rounds of blocks (median over them)")
    ap.add_argument("--steps", type=int, default=1500, help="steps per block")
    args = ap.parse_args()
    envs = {name: gym.make(ENV_ID, level=name) for name in LEVELS}
    rngs = {name: np.random.default_rng(0) for name in LEVELS}
    for name, env in envs.items():
        env.reset(seed=0)
        block(env, rngs[name], args.steps // 3)  # warm-up
    rates = {name: [] for name in LEVELS}
    names = list(LEVELS)
    for k in range(args.rounds):
        for name in names[k % len(names) :] + names[: k % len(names)]:
            rates[name].append(block(envs[name], rngs[name], args.steps))
        print(f"round {k + 1}/{args.rounds}: " + ", ".join(f"{n} {v[-1]:,.0f}" for n, v in rates.items()), flush=True)
    figures = {"rounds": args.rounds, "steps_per_block": args.steps, "levels": {}}
    for name in LEVELS:
        entry = {
            "steps_per_s": median(rates[name]),
            "vs_school": median(np.divide(rates[name], rates["school"])),
            "mean_episode_steps": (args.rounds * args.steps + args.steps // 3)
            / max(EPISODES.get(id(envs[name]), 0), 1),
        }
        if name in TARGET_VS_SCHOOL:
            entry["target_vs_school"] = TARGET_VS_SCHOOL[name]
        figures["levels"][name] = entry
        target = f"  (target >= {TARGET_VS_SCHOOL[name]:.0%})" if name in TARGET_VS_SCHOOL else ""
        print(
            f"{name:<8} {entry['steps_per_s']:8,.0f} steps/s  {entry['vs_school']:6.1%} of school{target}  (episodes "
            f"of {entry['mean_episode_steps']:.0f} steps)"
        )
    write(args.json, "bench_levels", figures)


if __name__ == "__main__":
    main()
