"""A class race: 20 models x 20 test tracks x 2 laps on this machine, with the leaderboard page.

Run: python benchmarks/bench_race.py [--json benchmarks/results/race.json] [--sweep runs/bench_sweep/sweep/models]

What a teacher runs: `run_sim.py race DIR` on a folder of 20 models, with two suites: the
default (the first 20 test tracks at `school`, 2 laps each) and the same tracks at
`weather` (where the page and the ranking come from: at `school` every one of these models
drives every lap, and the page would rank 20 ties), each timed as a whole command (start-up,
Ray, grading and the page). The 20 models are the bundled ones (6) and, for the rest, those
that benchmarks/bench_sweep.py trained (run it first). The race runs with Ray tasks and with
local processes (`--engine local`), alternating, `--rounds` times each; figures are
medians. With headless Chromium installed, the page is also photographed into
docs/images/leaderboard.png.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, median, parser, write

BUNDLED = sorted((ROOT / "assets" / "models").glob("*.pt"))


SUITES = {
    "school": None,  # the default suite
    "weather": {
        "name": "weather, test split",
        "description": "The 6 bundled models and 14 networks from the sweep benchmark.",
        "levels": ["weather"],
        "tracks": 20,
        "laps": 2,
    },
}


def race(folder: Path, out: Path, engine: str, suite: Path | None) -> float:
    start = time.perf_counter()
    extra = ["--suite", str(suite)] if suite else []
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "run_sim.py"),
            "race",
            str(folder),
            *extra,
            "--out",
            str(out),
            "--engine",
            engine,
            "--quiet",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def screenshot(page: Path, png: Path) -> bool:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        return False
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1300,1100",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return png.exists()


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument(
        "--sweep",
        default=str(ROOT / "runs" / "bench_sweep"),
        help="benchmarks/bench_sweep.py's work folder (its models)",
    )
    ap.add_argument("--models", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    swept = sorted(Path(args.sweep).glob("sweep/models/*.pt")) + sorted(
        Path(args.sweep).glob("lecture_check/models/*.pt")
    )
    need = args.models - len(BUNDLED)
    if len(swept) < need:
        sys.exit(f"{args.sweep}: expected {need} models of benchmarks/bench_sweep.py; run it first")
    times = {f"{level}, {engine}": [] for level in SUITES for engine in ("ray", "local")}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        for p in BUNDLED + swept[:need]:
            shutil.copyfile(p, folder / (("bundled_" if p in BUNDLED else f"{p.parents[1].name}_") + p.name))
        models = len(list(folder.glob("*.pt")))
        files = {}
        for level, suite in SUITES.items():
            files[level] = None
            if suite:
                files[level] = Path(tmp) / f"{level}.json"
                files[level].write_text(json.dumps(suite))
        for _ in range(args.rounds):
            for key in times:
                level, engine = key.split(", ")
                times[key].append(race(folder, Path(tmp) / level / engine, engine, files[level]))
                print(f"{key}: {times[key][-1]:.0f} s")
        board = json.loads((Path(tmp) / "weather" / "ray" / "leaderboard.json").read_text())
        school = json.loads((Path(tmp) / "school" / "ray" / "leaderboard.json").read_text())
        photographed = screenshot(
            Path(tmp) / "weather" / "ray" / "leaderboard.html", ROOT / "docs" / "images" / "leaderboard.png"
        )
    ranking = [
        {
            k: m.get(k)
            for k in ("rank", "name", "driving_score", "driving_score_ci95", "lap_completion", "parameters", "grade_s")
        }
        for m in board["models"]
    ]
    figures = {
        "models": models,
        "suite": board["suite"]["summary"],
        "school_suite": school["suite"]["summary"],
        "school_all_laps": all(m.get("lap_completion") == 1.0 for m in school["models"]),
        "episodes_per_model": board["suite"]["episodes_per_model"],
        "seconds": {key: round(median(t), 1) for key, t in times.items()},
        "rounds": args.rounds,
        "target_s": 180,
        "ranking": ranking,
        "failed": sum(1 for m in board["models"] if m.get("error")),
        "screenshot": photographed,
    }
    print(json.dumps(figures, indent=1))
    write(args.json, "race", figures)


if __name__ == "__main__":
    main()
