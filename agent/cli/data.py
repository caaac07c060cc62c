"""`run_sim.py data`: inspect datasets: data info DIR."""

from __future__ import annotations

import sys
from pathlib import Path


HELP = "inspect datasets: data info DIR"
DESCRIPTION = "Inspect recorded datasets."


def add_arguments(p) -> None:
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    q = dsub.add_parser("info", help="episodes, frames, drivers, tracks; a steering histogram and a contact sheet as PNGs; label warnings")
    q.add_argument("dir", help="dataset folder")
    q.add_argument("--out", default=None, help="folder for the PNGs (default: DIR/info)")
    q.add_argument("--skip-bad", action="store_true", help="report truncated or corrupt chunks and read the rest")
    q.add_argument("--json", action="store_true", help="also print the summary as one JSON line")
    q.set_defaults(func=run)


def run(args) -> int:
    import json

    from agent.datainfo import label_warnings, save_pictures, summarize
    from agent.dataset import Dataset

    ds = Dataset(args.dir)
    if ds.frames == 0:
        print(f"{ds.root}: 0 episodes, 0 frames (nothing recorded yet)")
        if args.json:
            print(json.dumps({"episodes": 0, "frames": 0}))
        return 0
    fields = ("action", "source") + (("camera",) if ds.env_config.observation != "sensors" else ())
    data = ds.load(fields, skip_bad=args.skip_bad, warn=lambda m: print(f"warning: {m}", file=sys.stderr))
    summary = summarize(ds, data["action"][:, 0], data["source"])
    width = max(len(k) for k in summary)
    for k, v in summary.items():
        print(f"{k:<{width}}  {v}")
    cam = ds.env_config.camera
    print(f"{'camera':<{width}}  {cam.mode} {cam.width_px}x{cam.height_px}{' gray' if cam.grayscale else ''}; observation {ds.env_config.observation}; action {ds.env_config.action}")
    for w in label_warnings(data["action"][:, 0]):
        print(f"warning: {w}")
    out = Path(args.out) if args.out else ds.root / "info"
    for path in save_pictures(ds, data, out):
        print(f"wrote {path}")
    if args.json:
        print(json.dumps(summary))
    return 0
