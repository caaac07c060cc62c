"""`run_sim.py train`: fit a ConvNet or MLP to recorded driving by gradient descent."""

from __future__ import annotations

from pathlib import Path

from agent.cli.common import add_knob_flags

HELP = "fit a ConvNet or MLP to recorded driving by gradient descent"
DESCRIPTION = (
    "Behavioural cloning: fit a network to the steering recorded in DATASET folders. Validation holds out whole "
    "episodes (about --val-frac of the frames, never more than 1.5 times that), or 10 s time blocks of the episodes "
    "when there are fewer than 4 or no draw of whole ones comes near that share; the split is printed, and a "
    "warning says when the network does no better than "
    "predicting the mean steering. Left out: frames off the road, ranges cut in `data review`, and crash segments "
    "(the 1.5 s of a person's driving before each exit from the road; --keep-crashes keeps them). Writes the best "
    "checkpoint to --out, a loss-curve PNG and a JSON summary beside it."
)


def add_arguments(p) -> None:
    p.add_argument("datasets", nargs="*", metavar="DATASET", help="dataset folders (same env layout)")
    from agent.learn.knobs import TrainArgs

    add_knob_flags(p, TrainArgs, skip=("datasets",))
    p.add_argument(
        "--summary",
        action="store_true",
        help="print the network's layers, output shapes and parameter counts, and exit",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args) -> int:
    from dataclasses import fields

    from agent.learn.train import TrainArgs, train

    targs = TrainArgs(**{f.name: getattr(args, f.name) for f in fields(TrainArgs) if hasattr(args, f.name)})
    if args.summary:
        from agent.data.dataset import Dataset
        from models.nets import DEFAULT_CAMERA_ARCH, DrivingNet
        from models.preprocess import input_spec_for
        from sim.config import EnvConfig

        env = Dataset(args.datasets[0]).env_config if args.datasets else EnvConfig()
        keys = ("camera", "sensors") if args.model == "both" else (args.model,)
        spec = input_spec_for(env, keys, args.crop_top)
        cam = (args.arch or DEFAULT_CAMERA_ARCH) if "camera" in keys else None
        sens = (
            (args.arch or args.sensor_arch)
            if args.model == "sensors"
            else (args.sensor_arch if "sensors" in keys else None)
        )
        net = DrivingNet(spec.network_inputs(), cam, sens, args.head, args.bins)
        print(f"input {spec.network_inputs()} (camera rows cropped from the top: {spec.crop_top})")
        print(net.summary())
        return 0
    summary = train(targs, progress=not args.quiet)
    best = summary["best"] or {}
    print(
        f"kept epoch {best.get('epoch')}, the one with the lowest validation loss "
        f"({best.get('loss', float('nan')):.4f}); its validation steering error "
        f"{best.get('steer_mae', float('nan')):.4f} {'is below' if summary['learned'] else 'is NOT below'} predicting "
        f"the mean ({summary['baseline_steer_mae']:.4f}); wrote {targs.out}, {Path(targs.out).with_suffix('.png')}, "
        f"{Path(targs.out).with_suffix('.json')}"
    )
    return 0
