"""`run_sim.py lecture`: run the lecture's experiments: figures and tables for docs/lecture.md."""

from __future__ import annotations

from pathlib import Path

from agent.cli.common import out_file

HELP = "run the lecture's experiments: figures and tables for docs/lecture.md"
DESCRIPTION = (
    "Record expert data, train networks (SGD vs Adam, the two heads, an MLP neuron sweep, a ConvNet knob sweep, "
    "recovery data), evaluate them on unseen test tracks, and write CSV/JSON tables and PNG figures. About 10 "
    "minutes; --quick takes about a minute."
)


def add_arguments(p) -> None:
    p.add_argument("--out", default="docs/lecture", help="folder for the tables and figures (default: docs/lecture)")
    p.add_argument("--quick", action="store_true", help="a small version (tiny datasets, short training, 3 tracks)")
    from sim.levels import LEVELS

    p.add_argument(
        "--level",
        choices=tuple(LEVELS),
        default="school",
        help="the level every experiment records, trains and drives at (default: school)",
    )
    p.add_argument(
        "--doc",
        type=out_file(".md"),
        default=None,
        metavar="FILE.md",
        help="also write the lecture from docs/lecture.tmpl.md with these results (docs/lecture.md)",
    )


def run(args) -> int:
    import time

    from agent.docs.lecture import Lecture, markdown_table, render_doc

    start = time.perf_counter()
    results = Lecture(args.out, quick=args.quick, log=lambda m: print(m, flush=True), level=args.level).run()
    cols = ["name", "parameters", "train_s", "val_steer_error", "driving_score", "lap_completion", "autonomy_pct"]
    for name, rows in results.items():
        print(f"\n## {name}\n" + markdown_table(rows, cols))
    if args.doc:
        render_doc(
            Path(__file__).resolve().parent / "docs" / "lecture.tmpl.md",
            Path(args.out).resolve(),
            Path(args.doc).resolve(),
            (time.perf_counter() - start) / 60,
        )
        print(f"wrote {args.doc}")
    return 0
