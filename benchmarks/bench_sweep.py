"""A 12-trial sweep on Ray Tune against the same 12 trainings run one after another by hand.

Run: python benchmarks/bench_sweep.py [--json benchmarks/results/sweep.json] [--work runs/bench_sweep]

What users run. The sweep: `run_sim.py sweep SPACE` over 4 of the lecture's ConvNets
(tiny, 4 features, feature size 3, pool window 3 stride 2) x 3 data sizes (6, 12, 24
expert episodes of 1000 steps) at `school`, each trial evaluated on 20 test tracks x 2
laps (Ray on this machine's cores, one core per trial). By hand: the same recordings with
`run_sim.py record`, then for each of the 12 rows `run_sim.py train` and `run_sim.py eval
--tracks 20`, one command after another, each with the default threads and workers (all
cores). Both include their recordings. The two arms run one after the other (by hand
first), in one process. The rows are compared: same seeds, so the validation errors
should agree to 2 significant digits.

Then the lecture check: a sweep of the same 4 ConvNets on 24 episodes at `weather` (the
level of docs/lecture) against the validation errors in docs/lecture/knobs.json, with 2
cores per trial: the lecture trained with 2 torch threads, and torch's sums (so the
last digits of every weight, and after 8 epochs the second digit of the error) depend on
the thread count.

"Agree to 2 significant digits": they differ by less than half a unit of the second
significant digit (0.0115 and 0.0116 agree; 0.0327 and 0.0347 do not).

`--part timing` or `--part lecture` runs one part and keeps the other's figures in the JSON.

The 12 sweep models land in WORK/sweep/models; benchmarks/bench_race.py races them. The
sweep's picture (OUT/sweep.png) becomes docs/images/sweep.png.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, parser, write

from agent.docs.lecture import KNOBS  # noqa: E402

ARCHS = {
    name: spec
    for name, spec in KNOBS
    if name in ("baseline (tiny)", "4 features", "feature size 3", "pool window 3, stride 2")
}
EPISODES = [6, 12, 24]
TRACKS = 20


def sh(*args: str) -> float:
    """Run `python run_sim.py ARGS`; its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def by_hand(work: Path) -> tuple[float, dict]:
    """record x 3, then train + eval x 12: the rows and the total wall time."""
    rows, total = {}, 0.0
    for e in EPISODES:
        total += sh(
            "record",
            "--out",
            str(work / f"data_e{e}"),
            "--episodes",
            str(e),
            "--steps",
            "1000",
            "--seed",
            "7",
            "--dart",
            "0.15",
            "--quiet",
        )
    for name, spec in ARCHS.items():
        for e in EPISODES:
            model = work / f"{len(rows):02d}.pt"
            report = work / f"{len(rows):02d}_eval.json"
            total += sh(
                "train",
                str(work / f"data_e{e}"),
                "--arch",
                spec,
                "--epochs",
                "8",
                "--patience",
                "8",
                "--seed",
                "0",
                "--out",
                str(model),
                "--quiet",
            )
            total += sh("eval", "--model", str(model), "--tracks", str(TRACKS), "--report", str(report), "--quiet")
            summary = json.loads(model.with_suffix(".json").read_text())
            drive = json.loads(report.read_text())["summary"]
            rows[f"{name}, {e} episodes"] = {
                "val_steer_error": round(summary["best"]["steer_mae"], 4),
                "driving_score": drive["driving_score"],
                "train_s": summary["seconds"],
            }
    return total, rows


def sweep(work: Path, space: dict, name: str, *flags: str) -> tuple[float, list[dict]]:
    f = work / f"{name}.json"
    f.write_text(json.dumps(space))
    shutil.rmtree(work / name, ignore_errors=True)
    seconds = sh("sweep", str(f), "--out", str(work / name), "--tracks", str(TRACKS), "--quiet", *flags)
    return seconds, json.loads((work / name / "results.json").read_text())


def same_to_2_digits(a: float, b: float) -> bool:
    """Less than half a unit of the second significant digit apart."""
    import math

    unit = 10 ** (math.floor(math.log10(max(abs(a), abs(b)))) - 1)
    return abs(a - b) < unit / 2


def timing(work: Path) -> dict:
    names = {spec: name for name, spec in ARCHS.items()}
    shutil.rmtree(work / "hand", ignore_errors=True)
    (work / "hand").mkdir(parents=True)
    hand_s, hand = by_hand(work / "hand")
    print(f"by hand: {hand_s:.0f} s")
    sweep_s, rows = sweep(work, {"arch": list(ARCHS.values()), "episodes": EPISODES, "level": ["school"]}, "sweep")
    shutil.copyfile(work / "sweep" / "sweep.png", ROOT / "docs" / "images" / "sweep.png")  # the README's picture
    print(f"sweep: {sweep_s:.0f} s ({sweep_s / hand_s:.2f}x by hand)")
    compared = []
    for r in rows:
        key = f"{names[r['arch']]}, {r['episodes']} episodes"
        compared.append(
            {
                "row": key,
                "sweep_val": r["val_steer_error"],
                "hand_val": hand[key]["val_steer_error"],
                "sweep_score": r["driving_score"],
                "hand_score": hand[key]["driving_score"],
                "parameters": r["parameters"],
                "train_frames": r["train_frames"],
                "same_2_digits": same_to_2_digits(r["val_steer_error"], hand[key]["val_steer_error"]),
            }
        )
    return {
        "trials": len(rows),
        "tracks": TRACKS,
        "sweep_s": round(sweep_s, 1),
        "by_hand_s": round(hand_s, 1),
        "ratio": round(sweep_s / hand_s, 3),
        "target_ratio": 1.3,
        "rows": compared,
        "all_same_2_digits": all(c["same_2_digits"] for c in compared),
        "models": str((work / "sweep" / "models").relative_to(ROOT))
        if work.is_relative_to(ROOT)
        else str(work / "sweep" / "models"),
        "date": time.strftime("%Y-%m-%d"),
    }


def lecture_check(work: Path) -> dict:
    names = {spec: name for name, spec in ARCHS.items()}
    lecture = {r["name"]: r for r in json.loads((ROOT / "docs" / "lecture" / "knobs.json").read_text())}
    level = json.loads((ROOT / "docs" / "lecture" / "budget.json").read_text())["level"]
    seconds, rows = sweep(
        work,
        {"arch": list(ARCHS.values()), "episodes": [24], "level": [level]},
        "lecture_check",
        "--cpus-per-trial",
        "2",
    )
    compared = [
        {
            "row": names[r["arch"]],
            "sweep_val": r["val_steer_error"],
            "lecture_val": lecture[names[r["arch"]]]["val_steer_error"],
            "same_2_digits": same_to_2_digits(r["val_steer_error"], lecture[names[r["arch"]]]["val_steer_error"]),
        }
        for r in rows
    ]
    return {
        "lecture_level": level,
        "lecture_check_s": round(seconds, 1),
        "lecture_cpus_per_trial": 2,
        "lecture_rows": compared,
        "lecture_all_same_2_digits": all(c["same_2_digits"] for c in compared),
        "lecture_date": time.strftime("%Y-%m-%d"),
    }


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--work", default=str(ROOT / "runs" / "bench_sweep"), help="scratch folder")
    ap.add_argument("--part", choices=("all", "timing", "lecture"), default="all")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    figures = {}
    if args.part != "all" and args.json and Path(args.json).exists():
        figures = json.loads(Path(args.json).read_text())["figures"]  # the other part's figures stay
    if args.part in ("all", "timing"):
        figures.update(timing(work))
    if args.part in ("all", "lecture"):
        figures.update(lecture_check(work))
    for c in figures.get("rows", []) + figures.get("lecture_rows", []):
        print(c)
    write(args.json, "sweep", figures)


if __name__ == "__main__":
    main()
