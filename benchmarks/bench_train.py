"""Training speed: samples/s (forward + backward + optimizer step) for each preset.

Run: python benchmarks/bench_train.py [--batches 20] [--json benchmarks/results/train.json]
Uses the trainer's own path: a uint8 frame tensor, batches by indexing, the shared
preprocessing and augmentation. Prints each preset and the default camera model's ratio
to the 3,000 samples/s target.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch  # noqa: E402
from common import parser, write

from agent.learn.train import TrainArgs, augment, loss_fn  # noqa: E402
from models.nets import DEFAULT_CAMERA_ARCH, PRESETS, DrivingNet  # noqa: E402
from models.preprocess import input_spec_for, preprocess  # noqa: E402
from sim.config import EnvConfig  # noqa: E402
from sim.heap import TRAIN_BLOCK_MB, keep_freed_memory  # noqa: E402

TARGET = 3000


def samples_per_s(keys, arch, sensor_arch, batches: int, batch_size: int = 256) -> float:
    env = EnvConfig()
    spec = input_spec_for(env, keys)
    gen = torch.Generator().manual_seed(0)
    n = 4096
    frames = {}
    if "camera" in keys:
        frames["camera"] = torch.randint(0, 256, (n, 64, 64, 3), dtype=torch.uint8, generator=gen)
    if "sensors" in keys:
        frames["sensors"] = torch.rand(n, 10, generator=gen) * 50
    steer = torch.rand(n, generator=gen) * 2 - 1
    model = DrivingNet(spec.network_inputs(), arch if "camera" in keys else None, sensor_arch, "regression")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    args = TrainArgs()
    times = []
    for b in range(batches + 3):
        idx = torch.randint(0, n, (batch_size,), generator=gen)
        t = time.perf_counter()
        x = preprocess({k: v[idx] for k, v in frames.items()}, spec)
        x, y = augment(x, steer[idx], args, gen)
        loss = loss_fn(model, model(**x), y, args).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if b >= 3:  # warm-up first
            times.append(time.perf_counter() - t)
    return batch_size / float(np.median(times))


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--batches", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    keep_freed_memory(TRAIN_BLOCK_MB)  # as `train` does
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch 256, 64x64 dashcam cropped to 42x64")
    figures = {}
    for name in PRESETS:
        keys = ("sensors",) if name == "mlp" else ("camera",)
        figures[name] = sps = samples_per_s(keys, name, "mlp" if name == "mlp" else None, args.batches)
        note = (
            f"   target {TARGET:,}  ratio {sps / TARGET:.2f}  (default camera model)"
            if name == DEFAULT_CAMERA_ARCH
            else ""
        )
        print(f"{name:10s} {sps:10,.0f} samples/s{note}")
    figures["fusion"] = sps = samples_per_s(("camera", "sensors"), DEFAULT_CAMERA_ARCH, "mlp", args.batches)
    print(f"{'fusion':10s} {sps:10,.0f} samples/s   ({DEFAULT_CAMERA_ARCH} + mlp)")
    write(
        args.json,
        "bench_train",
        {
            "samples_per_s": figures,
            "default_camera_arch": DEFAULT_CAMERA_ARCH,
            "target_samples_per_s": TARGET,
            "batch": 256,
        },
    )


if __name__ == "__main__":
    main()
