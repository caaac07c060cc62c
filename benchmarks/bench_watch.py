"""How fast `watch` draws with the saliency view on, and why it uses one torch thread.

Run: python benchmarks/bench_watch.py [--rounds 5] [--frames 150] [--json benchmarks/results/watch.json]

What users run: `watch` with the bundled camera model at `school`, the saliency view on
(S), drawing every frame of the full window (map, HUD, the network's column) as the
window does, minus the wait for the display's 30 FPS clock. Each round times one block
with torch on 1 thread (what `watch` sets) and one on all cores (torch's default), in
turn, on a quiet machine and on a busy one (another process keeps one core at work, as a
browser or a recording does); figures are medians over rounds. The target of issue 13:
>= 25 FPS on 2 cores.
"""

from __future__ import annotations

import multiprocessing as mp
import time

import torch  # noqa: E402
from common import median, parser, write

from agent.drivers.policy import NeuralPolicy  # noqa: E402
from agent.windows.watch import watch  # noqa: E402
from sim.env import DrivingEnv  # noqa: E402

MODEL = "assets/models/camera.pt"


def block(frames: int, threads: int) -> float:
    torch.set_num_threads(threads)
    env = DrivingEnv(render_mode="rgb_array", offroad="recover")
    policy = NeuralPolicy(MODEL, env.config)
    start = time.perf_counter()
    watch(
        env, policy, max_frames=frames, seed=3, view="saliency", before_frame=lambda n: None
    )  # before_frame: draw every frame
    fps = frames / (time.perf_counter() - start)
    env.close()
    return fps


def _spin(stop) -> None:
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x += i


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--frames", type=int, default=150)
    args = ap.parse_args()
    cores = torch.get_num_threads()
    block(30, 1)  # warm-up
    names = {1: "1 thread", cores: f"{cores} threads"}
    fps = {f"{names[t]}, {load}": [] for load in ("quiet", "busy") for t in (1, cores)}
    for r in range(args.rounds):
        order = [1, cores] if r % 2 == 0 else [cores, 1]
        for load in ("quiet", "busy"):
            stop = mp.Event()
            burner = mp.Process(target=_spin, args=(stop,)) if load == "busy" else None
            if burner:
                burner.start()
            for threads in order:
                fps[f"{names[threads]}, {load}"].append(block(args.frames, threads))
            if burner:
                stop.set()
                burner.join()
        print({k: round(v[-1], 1) for k, v in fps.items()}, flush=True)
    figures = {
        "fps": {k: median(v) for k, v in fps.items()},
        "rounds": args.rounds,
        "frames": args.frames,
        "target_fps": 25,
    }
    print(figures)
    write(args.json, "watch", figures)


if __name__ == "__main__":
    main()
