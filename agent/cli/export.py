"""`run_sim.py export`: a trained policy in a standard format (ONNX)."""

from __future__ import annotations

from agent.cli.common import int_in, out_file

HELP = "export a trained network as ONNX (raw observation in, steering out)"
DESCRIPTION = (
    "Export a checkpoint as an ONNX graph that takes the raw env observation (the uint8 camera frame and/or "
    "the sensors) and returns the steering command, with the model's preprocessing (crop, channel order, "
    "scaling) inside the graph. The export is checked on --frames real observations (the expert driving "
    "at the model's level): onnxruntime must match torch within 1e-4, or nothing is written. "
    "`eval --model OUT.onnx` drives with onnxruntime. Needs the formats extra: pip install -e '.[formats]'."
)


def add_arguments(p) -> None:
    p.add_argument("model", metavar="MODEL.pt", help="the checkpoint to export")
    p.add_argument(
        "--onnx", type=out_file(".onnx"), required=True, metavar="OUT.onnx", help="where to write the ONNX graph"
    )
    p.add_argument(
        "--frames",
        type=int_in(2, 10_000),
        default=256,
        help="real observations the export is checked on (default: 256)",
    )


def run(args) -> int:
    from pathlib import Path

    if Path(args.onnx).suffix.lower() != ".onnx":
        raise ValueError(f"--onnx {args.onnx}: expected a file name ending in .onnx")
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise RuntimeError("export --onnx needs onnx and onnxruntime: pip install -e '.[formats]'") from None
    from models import checkpoint
    from models.export import export_onnx

    _, meta = checkpoint.load(args.model)
    frames = real_frames(meta, args.frames)
    report = export_onnx(args.model, args.onnx, frames)
    print(
        f"wrote {args.onnx}: inputs {', '.join(report['inputs'])} -> steering; onnxruntime matches torch on "
        f"{report['frames']} real frames (max |difference| {report['max_abs_diff']:.1e})"
    )
    return 0


def real_frames(meta: dict, n: int) -> dict:
    """n observations of the expert driving test tracks at the model's level and layout."""
    import numpy as np

    from agent.drivers.expert import ExpertDriver
    from sim.config import EnvConfig
    from sim.env import DrivingEnv

    env = DrivingEnv(config=EnvConfig.from_dict(meta["env"]), split="test", offroad="recover")
    obs, _ = env.reset(seed=0)
    driver = ExpertDriver(env)
    out: dict[str, list] = {}
    for _ in range(n):
        for k, v in obs.items():
            out.setdefault(k, []).append(v.copy())
        obs, *_ = env.step(driver.act(obs))
    env.close()
    return {k: np.stack(v) for k, v in out.items()}
