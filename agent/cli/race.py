"""`run_sim.py race MODELS_DIR`: grade a folder of models on a suite, write a leaderboard page."""

from __future__ import annotations

import os
from pathlib import Path

from agent.cli.common import float_in, int_in

HELP = "grade every model in a folder on a (hidden) suite; leaderboard.json and leaderboard.html"
DESCRIPTION = (
    "Every checkpoint (.pt) and ONNX export (.onnx) under MODELS_DIR drives the suite: --suite FILE, a JSON file "
    'the teacher keeps, such as {"name": "spring race", "levels": ["school", "weather"], "tracks": [2000017, 2000342], '
    '"laps": 2, "seeds": 1}, where tracks is a count (the first tracks of the test split), a list of seeds (2,000,000 '
    "and up lie in no split) or a list of JSON track files. Default: 20 test tracks at school, 2 laps. Models are "
    "graded in parallel, as Ray tasks when Ray is installed, else in local processes. Checkpoints load weights-only; "
    "one that is corrupt, fails or grades longer than --timeout is listed with its error and the race goes on. Writes "
    "OUT/leaderboard.json and "
    "OUT/leaderboard.html (a sortable table with each model's trajectories)."
)


def add_arguments(p) -> None:
    p.add_argument("models", metavar="MODELS_DIR", help="folder with the models to grade (searched recursively)")
    p.add_argument(
        "--suite", default=None, metavar="FILE.json", help="the suite (default: 20 test tracks at school, 2 laps)"
    )
    p.add_argument("--out", default=None, metavar="DIR", help="where the leaderboard goes (default: MODELS_DIR)")
    p.add_argument(
        "--workers",
        type=int_in(1, 1024),
        default=os.cpu_count() or 1,
        metavar="N",
        help="models graded at once on this machine (default: the cores there are)",
    )
    p.add_argument(
        "--engine",
        choices=("auto", "ray", "local"),
        default="auto",
        help="ray tasks or local processes (default: auto, Ray when installed)",
    )
    p.add_argument(
        "--address",
        default=None,
        metavar="HOST:PORT",
        help="grade on an existing Ray cluster (or 'auto' for one started here with `ray start`)",
    )
    p.add_argument(
        "--timeout",
        type=float_in(1.0),
        default=900.0,
        metavar="S",
        help="stop grading a model after S seconds and list it with that error (default: 900; a camera ConvNet needs "
        "about 30 s per 20 tracks x 2 laps on one core)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from tqdm import tqdm

    from agent.grade.race import find_models, load_suite, race, write_leaderboard

    suite = load_suite(args.suite)
    models = find_models(args.models)
    if args.engine == "local" and args.address:
        raise ValueError("--address needs --engine ray (or auto)")
    engine = "ray" if args.address else args.engine
    print(f"race: {len(models)} models on {suite.describe()} ({suite.episodes} episodes each)")
    with tqdm(total=len(models), unit="model", desc="race", disable=args.quiet) as bar:
        rows = race(models, suite, engine, args.workers, args.address, bar, args.timeout)
    out = Path(args.out or args.models)
    j, h = write_leaderboard(rows, suite, out, args.models)
    print(f"{'rank':>4}  {'model':<36} {'score':>6} {'95% CI':>12} {'laps':>5} {'infr/km':>8} {'params':>9}")
    for r in rows:
        if "error" in r:
            print(f"{'-':>4}  {r['name'][:36]:<36} {r['error'][:100]}")
        else:
            ci = r["driving_score_ci95"]
            print(
                f"{r['rank']:>4}  {r['name'][:36]:<36} {r['driving_score']:>6.1f} {ci[0]:>5.1f}-{ci[1]:<6.1f} "
                f"{100 * r['lap_completion']:>4.0f}% {r['infractions_per_km']:>8.2f} {r['parameters'] or 0:>9,}"
            )
    print(f"wrote {j} and {h}")
    return 0
