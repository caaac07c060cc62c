"""`run_sim.py data`: inspect datasets: data info DIR."""

from __future__ import annotations

import sys
from pathlib import Path

from agent.cli.common import int_in, out_file

HELP = "inspect datasets: data info DIR, data review DIR, data export DIR --minari ID"
DESCRIPTION = (
    "Inspect recorded datasets: `data info` summarises one, `data review` opens a window to scrub its episodes and "
    "cut out bad driving."
)


def add_arguments(p) -> None:
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    q = dsub.add_parser(
        "info",
        help="episodes, frames, drivers, tracks; a steering histogram and a contact sheet as PNGs; label warnings",
    )
    q.add_argument("dir", help="dataset folder")
    q.add_argument("--out", default=None, help="folder for the PNGs (default: DIR/info)")
    q.add_argument("--skip-bad", action="store_true", help="report truncated or corrupt chunks and read the rest")
    q.add_argument("--json", action="store_true", help="also print the summary as one JSON line")
    q.set_defaults(func=run)
    r = dsub.add_parser(
        "review",
        help="a window to scrub episodes frame by frame and cut out bad driving (stored in the manifest; train leaves "
        "it out)",
        description=(
            "Scrub a dataset's episodes frame by frame: the frame, its label, the steering trace over the episode "
            "(coloured by source; crash segments orange, cuts grey, off-road red). Keys: Left/Right one frame "
            "(Shift: one second), Up/Down episode, Home/End, Space play, [ marks a cut's start, ] cuts to here, "
            "U restores the cut under the cursor, F cycles the filter (a source, or |steering| > 0.5), click the "
            "trace to jump, Esc quits. Cuts go to the manifest; chunks are never rewritten."
        ),
    )
    r.add_argument("dir", help="dataset folder")
    r.add_argument(
        "--max-frames", type=int_in(1), default=None, metavar="N", help="close after N drawn frames (for scripts)"
    )
    r.add_argument(
        "--model",
        default=None,
        metavar="PATH",
        help="also draw this network's steering over the labels (.pt or .onnx): where it disagrees with the data",
    )
    r.add_argument(
        "--png",
        type=out_file(".png"),
        default=None,
        metavar="FILE.png",
        help="save the last view as a PNG when the window closes",
    )
    r.set_defaults(func=run_review)
    e = dsub.add_parser(
        "export",
        help="write a dataset in a standard format: --minari ID (needs the formats extra)",
        description=(
            "Write a DriveLab dataset as a Minari dataset (Farama's offline-data format, read by d3rlpy, TorchRL and "
            "others): one Minari episode per DriveLab episode, the labels as actions, progress per step as rewards, "
            "and progress, lateral offset, off-road, source, executed action, crash and excluded marks as infos. "
            "Side-camera frames are dropped. minari.load_dataset(ID).recover_environment() makes the env it was "
            "recorded in, level included; `train minari:ID` trains on it. Minari keeps datasets under "
            "~/.minari/datasets (or MINARI_DATASETS_PATH)."
        ),
    )
    e.add_argument("dir", help="dataset folder")
    e.add_argument("--minari", required=True, metavar="ID", help="the Minari dataset id, e.g. drivelab/mine-v0")
    e.add_argument("--author", default=None, help="author recorded in the Minari metadata (default: DriveLab)")
    e.set_defaults(func=run_export)


def run_export(args) -> int:
    from agent.data.formats import to_minari

    counts = to_minari(args.dir, args.minari, author=args.author)
    dropped = f"; {counts['dropped_side_frames']} side-camera frames dropped" if counts["dropped_side_frames"] else ""
    print(
        f"wrote Minari dataset {args.minari}: {counts['episodes']} episodes, {counts['steps']} steps{dropped}; train "
        f"on it with: run_sim.py train minari:{args.minari}"
    )
    return 0


def run_review(args) -> int:
    from agent.cli.common import has_display
    from agent.windows.review import review

    if not has_display():
        raise RuntimeError("data review needs a window and no display was found (set DISPLAY, or run under Xvfb)")
    state = review(args.dir, max_frames=args.max_frames, png=args.png, model=args.model)
    print(f"reviewed {args.dir}: {state.cuts} cut(s) made" + (f"; wrote {args.png}" if args.png else ""))
    return 0


def run(args) -> int:
    import json

    from agent.data.datainfo import label_warnings, save_pictures, summarize
    from agent.data.dataset import Dataset

    ds = Dataset(args.dir)
    if ds.frames == 0:
        print(f"{ds.root}: 0 episodes, 0 frames (nothing recorded yet)")
        if args.json:
            print(json.dumps({"episodes": 0, "frames": 0}))
        return 0
    fields = ("action", "source", "crash", "excluded") + (("camera",) if ds.env_config.observation != "sensors" else ())
    data = ds.load(fields, skip_bad=args.skip_bad, warn=lambda m: print(f"warning: {m}", file=sys.stderr))
    summary = summarize(ds, data["action"][:, 0], data["source"], data["crash"], data["excluded"])
    width = max(len(k) for k in summary)
    for k, v in summary.items():
        print(f"{k:<{width}}  {v}")
    cam = ds.env_config.camera
    print(
        f"{'camera':<{width}}  {cam.mode} {cam.width_px}x{cam.height_px}{' gray' if cam.grayscale else ''}; "
        f"observation {ds.env_config.observation}; action {ds.env_config.action}"
    )
    for w in label_warnings(data["action"][:, 0]):
        print(f"warning: {w}")
    out = Path(args.out) if args.out else ds.root / "info"
    for path in save_pictures(ds, data, out):
        print(f"wrote {path}")
    if args.json:
        print(json.dumps(summary))
    return 0
