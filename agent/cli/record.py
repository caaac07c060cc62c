"""`run_sim.py record`: record expert demonstrations headless."""

from __future__ import annotations

from agent.cli.common import (
    DEFAULT_WORKERS,
    add_layout_flags,
    add_workers_flag,
    add_world_flags,
    env_config,
    float_in,
    int_in,
)
from agent.drivers.styles import DEFAULT_STYLE, STYLES

# measured here: 10 x 1000 steps take 3.5 s in one process and 4.3 s in two, 40 x 1000 7.4 s and 5.9 s
SMALL_RECORDING_STEPS = 20_000
HELP = "record demonstrations headless (the expert, or a scripted person)"
DESCRIPTION = (
    "Record demonstrations headless. --driver expert (the default): the scripted expert, with DART noise injection "
    "(the car executes noisy steering, the label is the expert's clean steering) and optional side cameras. "
    "--driver human-model: a scripted person on a keyboard (reaction delay 0.25 s, presses and releases of uneven "
    "length through the same controls as `drive`, overshoot, now and then a glance away); the label is what it "
    "steered, "
    "as a person's is, so the human path can be tried end to end without a person."
)


def add_arguments(p) -> None:
    add_world_flags(p, track=False)
    add_layout_flags(p)
    p.add_argument(
        "--driver",
        choices=("expert", "human-model"),
        default="expert",
        help="who drives: expert (default) or human-model (a scripted person on the keyboard)",
    )
    p.add_argument(
        "--style",
        choices=STYLES,
        default=DEFAULT_STYLE,
        help=f"human-model: the keyboard steering style (default: {DEFAULT_STYLE}; see drive --help)",
    )
    p.add_argument(
        "--preview",
        type=float_in(0.0, 0.25),
        default=0.1,
        metavar="S",
        help="human-model: how much sooner than its 0.25 s reaction the person steers into a curve it sees coming, "
        "0-0.25 s (default: 0.1, for drive's chase view; 0: a person who sees only a map of the track)",
    )
    p.add_argument(
        "--episodes", type=int_in(1), default=20, help="episodes, each on its own track of --split (default: 20)"
    )
    p.add_argument("--steps", type=int_in(1), default=1500, help="steps per episode (default: 1500 = 50 s)")
    p.add_argument(
        "--out",
        default="data/expert",
        metavar="DIR",
        help="dataset folder (appends when it exists; default: data/expert)",
    )
    add_workers_flag(
        p,
        default=0,
        help=f"processes (default: 1 below {SMALL_RECORDING_STEPS:,} steps in all, where starting a second costs "
        "more than it saves; else 2 or the cores there are)",
    )
    p.add_argument(
        "--dart",
        type=float_in(0.0, 2.0),
        default=0.15,
        metavar="SIGMA",
        help="std of the steering noise injected, 0-2 (0: none; default: 0.15)",
    )
    p.add_argument(
        "--side-cameras",
        action="store_true",
        help="add left/right shifted camera frames labelled with the recovering steering",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from tqdm import tqdm

    from agent.data.dataset import Dataset
    from agent.data.record import RecordSettings, record_expert

    if args.driver != "human-model" and (args.style != DEFAULT_STYLE or args.preview != 0.1):
        raise ValueError("--style and --preview: only with --driver human-model (they describe the scripted person)")
    if args.driver == "human-model" and args.side_cameras:
        raise ValueError("--side-cameras: only with --driver expert (a side frame's label is the expert's steering)")
    config = env_config(args)
    small = args.episodes * args.steps < SMALL_RECORDING_STEPS
    settings = RecordSettings(
        episodes=args.episodes,
        steps=args.steps,
        split=args.split,
        seed=args.seed,
        dart_sigma=args.dart,
        side_cameras=args.side_cameras,
        workers=args.workers or (1 if small else DEFAULT_WORKERS),
        driver=args.driver,
        style=args.style,
        preview_s=args.preview,
    )
    from agent.data.dataset import DatasetWriter

    # refuses a mismatched dataset before any work starts; waits while another process records into it
    writer = DatasetWriter(args.out, config, wait=True)
    mine = len(writer.manifest["episodes"])
    with tqdm(total=args.episodes * args.steps, unit="step", desc="recording", disable=args.quiet) as bar:
        record_expert(writer, config, settings, bar)
    written = sum(e["frames"] for e in writer.manifest["episodes"][mine:])
    writer.close()
    print(
        f"wrote {written} frames in {args.episodes} episodes to {args.out} ({Dataset(args.out).frames} frames in all)"
    )
    return 0
