"""The bundled camera model as ONNX: does it drive the same, and is onnxruntime as fast as torch?

Run: python benchmarks/bench_export.py [--rounds 7] [--tracks 20] [--json benchmarks/results/export.json]

What users run: `run_sim.py export assets/models/camera.pt --onnx OUT.onnx`, then
`eval --model OUT.onnx` against `eval --model assets/models/camera.pt` on the first 20
test tracks (2 laps each): every episode's laps and interventions must be identical.
Speed is single-frame inference as a driving loop calls it (one observation, batch of
1, one thread each, as `watch` and eval workers run): each round times a block of
torch's `NeuralPolicy.steer_batch` and a block of onnxruntime's, in alternating order,
on 256 real frames; figures are medians over rounds.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch  # noqa: E402
from common import median, parser, write

from agent.cli.export import real_frames  # noqa: E402
from agent.drivers.policy import NeuralPolicy, OnnxPolicy  # noqa: E402
from agent.grade.evaluate import eval_tracks, evaluate, make_driver  # noqa: E402
from models import checkpoint  # noqa: E402
from models.export import export_onnx  # noqa: E402
from sim.config import EnvConfig  # noqa: E402

MODEL = "assets/models/camera.pt"


def per_frame_us(policy, frames) -> float:
    start = time.perf_counter()
    for f in frames:
        policy.steer_batch({"camera": f})
    return (time.perf_counter() - start) / len(frames) * 1e6


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--tracks", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    _, meta = checkpoint.load(MODEL)
    frames = real_frames(meta, 256)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "camera.onnx"
        check = export_onnx(MODEL, path, frames)
        config = EnvConfig()
        tracks = eval_tracks(args.tracks)
        runs = {
            name: evaluate(make_driver(m, config), config, tracks, laps=2)
            for name, m in (("pt", MODEL), ("onnx", str(path)))
        }
        same = [(e["laps"], e["interventions"]) for e in runs["pt"].episodes] == [
            (e["laps"], e["interventions"]) for e in runs["onnx"].episodes
        ]
        policies = {"torch": NeuralPolicy(MODEL, config), "onnxruntime": OnnxPolicy(path, config)}
        cams = list(frames["camera"])
        for p in policies.values():
            per_frame_us(p, cams[:32])  # warm-up
        times = {name: [] for name in policies}
        for r in range(args.rounds):
            for name in list(policies)[:: 1 if r % 2 == 0 else -1]:
                times[name].append(per_frame_us(policies[name], cams))
    figures = {
        "max_abs_diff": check["max_abs_diff"],
        "check_frames": check["frames"],
        "tracks": args.tracks,
        "identical_laps_and_interventions": same,
        "lap_completion": {k: v.summary["lap_completion_rate"] for k, v in runs.items()},
        "interventions": {k: v.summary["interventions"] for k, v in runs.items()},
        "us_per_frame": {k: median(v) for k, v in times.items()},
        "rounds": args.rounds,
    }
    print(figures)
    write(args.json, "export", figures)


if __name__ == "__main__":
    main()
