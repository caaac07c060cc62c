"""Env speed where users run it, measured beside Gymnasium's CarRacing-v3 in one process.

Run: python benchmarks/bench_env.py [--rounds 7] [--json benchmarks/results/env.json]

The headline is `gymnasium.make("DriveLab-v1")` as it comes (a new procedural track at
every reset) driven with small random steering (uniform +-0.2, as an RL agent starts), so
episodes end every ~150 steps and resets onto new tracks are part of the time. Beside it:
the same on one fixed track, and batches of 64 cars (`make_vec`, autoresets on).

Every config is timed in rounds: each round runs one block of every config in turn,
CarRacing-v3 included (the `bench` extra installs it), so a load that comes and goes
touches all of them alike. Figures are medians over rounds; a ratio to CarRacing-v3 is
the median of the per-round ratios. Also measured: a reset onto a new procedural track
(generating it plus the first observation; a few in every round, so they meet the same
load as the steps) and the peak memory of 256 cars with cameras.

Ceilings, timed in the same rounds, show how close the world is to the limit: a null
Gymnasium env (a fixed observation, nothing computed) stepped through `gymnasium.make`'s
wrappers, the most any single env can do here; and a plain numpy gather of one 64x64x3
frame from a track-sized texture, what a camera frame costs with nothing else around it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import gymnasium as gym  # noqa: E402
import numpy as np
from common import PEAK_RSS, ROOT, median, parser, write

from sim import ENV_ID  # noqa: E402  (registers it)
from sim.env import DrivingEnv, _track_from_seed, resolve_track  # noqa: E402

TARGETS = {  # ratios to CarRacing-v3, and absolute figures (issue 25)
    "single, 64x64 dashcam + sensors": 100,
    "single, sensors only": 300,
    "64 cars, 64x64 dashcams + sensors": 300,
    "64 cars, sensors only": 2000,
    "reset_ms": {"both": 1.0, "sensors": 0.3},  # onto a given new track: lay it out and observe
    "peak_mb_256_cars": 500,
}


class NullEnv(gym.Env):
    """The ceiling: an env that computes nothing (the same spaces as DriveLab's sensors)."""

    observation_space = gym.spaces.Dict({"sensors": gym.spaces.Box(0.0, 50.0, (10,), np.float32)})
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self):
        self._obs = {"sensors": np.zeros(10, np.float32)}
        self._t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._t = 0
        return self._obs, {}

    def step(self, action):
        self._t += 1
        return self._obs, 0.0, False, self._t >= 150, {}


class Gather:
    """The ceiling of a camera frame: one numpy gather of 64x64 3-byte texels from a
    texture the size of a track's (about a million texels), at indices as scattered as a
    dashcam's (rows of neighbouring texels)."""

    name = "numpy gather of one 64x64x3 frame"

    def __init__(self, block: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.texture = rng.integers(0, 256, (1_000_000, 3), dtype=np.uint8).view(np.dtype("V3")).ravel()
        rows = rng.integers(0, 900, 64)[:, None] * 1000 + rng.integers(0, 900, 64)[:, None] + np.arange(64)  # (64, 64)
        self.idx = rows.ravel()
        self.block = block

    def run_block(self) -> float:
        start = time.perf_counter()
        for _ in range(self.block):
            np.take(self.texture, self.idx).view(np.uint8).reshape(64, 64, 3)
        return self.block / (time.perf_counter() - start)


class Runner:
    """One env, stepped in blocks with seeded random steering; resets as a user would."""

    def __init__(self, name: str, env, cars: int, block: int, actions, seed: int = 0):
        self.name, self.env, self.cars, self.block = name, env, cars, block
        self.actions = actions  # rng -> (block, ...) actions
        self.rng = np.random.default_rng(seed)
        self.episodes = 0
        self.steps = 0
        env.reset(seed=seed)

    def run_block(self) -> float:
        """Car-steps per second over one block."""
        acts = self.actions(self.rng, self.block)
        env, single = self.env, self.cars == 1
        episodes = 0
        start = time.perf_counter()
        for a in acts:
            _, _, term, trunc, _ = env.step(a)
            if single:
                if term or trunc:
                    env.reset()
                    episodes += 1
            else:
                episodes += int(np.count_nonzero(term | trunc))
        elapsed = time.perf_counter() - start
        self.episodes += episodes
        self.steps += self.block * self.cars
        return self.block * self.cars / elapsed


def steering(n: int | None):
    shape = (lambda k: (k, 1)) if n is None else (lambda k: (k, n, 1))
    return lambda rng, k: rng.uniform(-0.2, 0.2, shape(k)).astype(np.float32)


def carracing_actions(rng, k):
    a = np.zeros((k, 3), np.float32)
    a[:, 0] = rng.uniform(-0.2, 0.2, k)
    a[:, 1] = 0.3  # some gas, no brake
    return a


def runners(block_scale: float) -> list[Runner]:
    def b(n):
        return max(1, int(n * block_scale))

    out = []
    try:
        out.append(Runner("CarRacing-v3", gym.make("CarRacing-v3"), 1, b(150), carracing_actions))
    except Exception as e:  # the bench extra is optional
        print(f"CarRacing-v3 not available ({type(e).__name__}: {e}); install the 'bench' extra to compare")
    if "DriveLab-null" not in gym.registry:
        gym.register("DriveLab-null", entry_point=NullEnv)
    out += [
        Runner("ceiling: a null env through gym.make", gym.make("DriveLab-null"), 1, b(20000), steering(None)),
        Gather(b(20000)),
        Runner("single, 64x64 dashcam + sensors", gym.make(ENV_ID), 1, b(1500), steering(None)),
        Runner("single, sensors only", gym.make(ENV_ID, observation="sensors"), 1, b(2500), steering(None)),
        Runner("single, 64x64 dashcam + sensors, one track", gym.make(ENV_ID, track=3), 1, b(1500), steering(None)),
        Runner(
            "single, sensors only, one track",
            gym.make(ENV_ID, observation="sensors", track=3),
            1,
            b(2500),
            steering(None),
        ),
        Runner("64 cars, 64x64 dashcams + sensors", gym.make_vec(ENV_ID, num_envs=64), 64, b(60), steering(64)),
        Runner(
            "64 cars, sensors only", gym.make_vec(ENV_ID, num_envs=64, observation="sensors"), 64, b(150), steering(64)
        ),
    ]
    return out


def reset_times(first_seed: int, seeds: int) -> dict:
    """Times [s] of resets onto tracks the process has not seen, per observation: generating
    each from its seed, then `reset(options={"track": track})` (laying it out and the first
    observation), and resets onto the last track again."""
    out = {}
    for obs in ("both", "sensors"):
        env = DrivingEnv(observation=obs)
        env.reset(seed=0)
        gen, first, seen = [], [], []
        for i in range(first_seed, first_seed + seeds):
            _track_from_seed.cache_clear()
            t0 = time.perf_counter()
            track = resolve_track(1_500_000 + i, env.config.track)
            t1 = time.perf_counter()
            env.reset(options={"track": track})
            t2 = time.perf_counter()
            gen.append(t1 - t0)
            first.append(t2 - t1)
        for _ in range(seeds):
            t = time.perf_counter()
            env.reset(options={"track": track})
            seen.append(time.perf_counter() - t)
        out[obs] = {"generate": gen, "first": first, "seen": seen}
    return out


def reset_figures(times: list[dict]) -> dict:
    """Median times [ms] over `reset_times` results (one per round, so the resets share the
    rounds' spread of the machine's speed, as the steps do)."""
    out = {}
    for obs in ("both", "sensors"):
        gen, first, seen = ([t for r in times for t in r[obs][key]] for key in ("generate", "first", "seen"))
        out[obs] = {
            "generate_ms": 1000 * median(gen),
            "layout_and_first_observation_ms": 1000 * median(first),
            "new_track_ms": 1000 * median(np.add(gen, first)),
            "seen_track_ms": 1000 * median(seen),
            "target_ms": TARGETS["reset_ms"][obs],
        }
    return out


RESET_SEEDS = 60  # resets onto new tracks per observation, spread over the rounds


MEMORY = (
    PEAK_RSS
    + """
import sys, numpy as np, gymnasium as gym
sys.path.insert(0, {root!r})
from sim import ENV_ID
venv = gym.make_vec(ENV_ID, num_envs=256, offroad="recover")
venv.reset(seed=0)
for _ in range(50):
    venv.step(np.zeros((256, 1), np.float32))
print(peak_rss_bytes())
"""
)


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--rounds", type=int, default=7, help="rounds of blocks (median over them)")
    ap.add_argument(
        "--block-scale", type=float, default=1.0, help="scale every block's length (shorter: quicker, noisier)"
    )
    args = ap.parse_args()
    rs = runners(args.block_scale)
    for r in rs:  # warm-up block, not counted
        r.run_block()
    rates = {r.name: [] for r in rs}
    per_round = -(-RESET_SEEDS // args.rounds)
    reset_rounds = []
    for k in range(args.rounds):
        order = rs[k % len(rs) :] + rs[: k % len(rs)]  # rotate who goes first
        for r in order:
            rates[r.name].append(r.run_block())
        reset_rounds.append(reset_times(k * per_round, per_round))
        print(f"round {k + 1}/{args.rounds}: " + ", ".join(f"{n} {v[-1]:,.0f}" for n, v in rates.items()), flush=True)
    base = rates.get("CarRacing-v3")
    speed = {}
    for r in rs:
        if isinstance(r, Gather):
            speed[r.name] = {"frames_per_s": median(rates[r.name])}
            continue
        entry = {
            "car_steps_per_s": median(rates[r.name]),
            "episodes": r.episodes,
            "mean_episode_steps": r.steps / r.cars / max(r.episodes, 1)
            if r.cars == 1
            else r.steps / max(r.episodes, 1),
        }
        if base and r.name != "CarRacing-v3":
            entry["vs_carracing"] = median(np.divide(rates[r.name], base))
            if r.name in TARGETS:
                entry["target_vs_carracing"] = TARGETS[r.name]
        speed[r.name] = entry
    print()
    for name, e in speed.items():
        if "frames_per_s" in e:
            print(f"{name:45s} {e['frames_per_s']:10,.0f} frames/s")
            continue
        extra = f"  {e['vs_carracing']:6.1f}x CarRacing" if "vs_carracing" in e else ""
        target = f"  (target {e['target_vs_carracing']}x)" if "target_vs_carracing" in e else ""
        print(f"{name:45s} {e['car_steps_per_s']:10,.0f} car-steps/s{extra}{target}")
    resets = reset_figures(reset_rounds)
    for obs, e in resets.items():
        print(
            f"reset onto a new track ({obs}): generate {e['generate_ms']:.2f} ms + layout and first observation "
            f"{e['layout_and_first_observation_ms']:.2f} ms (target {e['target_ms']} ms) = {e['new_track_ms']:.2f} "
            f"ms; onto a seen track {e['seen_track_ms']:.3f} ms"
        )
    res = subprocess.run(
        [sys.executable, "-c", MEMORY.format(root=str(ROOT))], capture_output=True, text=True, check=True
    )
    peak_mb = int(res.stdout) / 1e6
    print(f"peak memory, 256 cars with 64x64 cameras: {peak_mb:,.0f} MB (target {TARGETS['peak_mb_256_cars']} MB)")
    write(
        args.json,
        "bench_env",
        {
            "rounds": args.rounds,
            "speed": speed,
            "reset": resets,
            "peak_mb_256_cars": peak_mb,
            "peak_target_mb": TARGETS["peak_mb_256_cars"],
        },
    )


if __name__ == "__main__":
    main()
