"""`run_sim.py sweep`: the lecture's knobs, data sizes and levels as a Ray Tune experiment."""

from __future__ import annotations

from pathlib import Path

from agent.cli.common import int_in

HELP = "sweep knobs, data sizes and levels as a Ray Tune experiment (extra: scale)"
DESCRIPTION = (
    "Every combination of the knobs in SPACE (a JSON or YAML file such as "
    '{"arch": ["tiny", "pilotnet"], "episodes": [4, 8, 16], "level": ["weather"]}), or --samples random draws, '
    "each recording expert data (shared by trials with the same level, episodes, steps and dart), training and "
    "evaluating on --tracks test tracks. Knobs: level, episodes, steps, dart, model, arch, epochs, lr, batch_size, "
    "optimizer, head, seed, max_frames; and learner: bc (the above) or rl, whose trials learn by PPO from a reward "
    "file (`run_sim.py rl`) with the knobs reward, rl_steps, cars, model, arch, level and seed, no recording "
    "(assets/sweeps/class_rewards.json trains five of the shipped rewards side by side). A knob left out keeps the "
    "lecture's value. Runs on this machine's cores "
    "(no set-up beyond the extra) or joins a cluster with --address. Writes OUT/results.csv, OUT/results.json, "
    "OUT/sweep.png (score against parameters and against training frames) and OUT/models/*.pt, which "
    "`run_sim.py race OUT/models` can grade. Ctrl+C stops it; --resume continues."
)


def add_arguments(p) -> None:
    p.add_argument(
        "space",
        nargs="?",
        default=None,
        metavar="SPACE",
        help="search-space file (.json, .yaml or .yml); not needed with --resume",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="experiment folder (default: runs/sweep/NAME, NAME from the space file)",
    )
    p.add_argument(
        "--samples",
        type=int_in(1, 10_000),
        default=None,
        metavar="N",
        help="N random combinations instead of the whole grid",
    )
    p.add_argument("--seed", type=int_in(0), default=0, help="seed of the --samples draws (default: 0)")
    p.add_argument(
        "--tracks",
        type=int_in(1, 10_000),
        default=20,
        metavar="N",
        help="test tracks each trial is evaluated on (default: 20)",
    )
    p.add_argument("--laps", type=int_in(1, 100), default=2, help="laps per test track (default: 2)")
    p.add_argument(
        "--cpus-per-trial",
        type=int_in(1, 1024),
        default=1,
        metavar="N",
        help="cores (torch threads) per trial; trials run side by side on the cores left (default: 1)",
    )
    p.add_argument(
        "--cpus",
        type=int_in(1, 4096),
        default=None,
        metavar="N",
        help="cores Ray may use on this machine (default: all; ignored with --address)",
    )
    p.add_argument(
        "--address",
        default=None,
        metavar="HOST:PORT",
        help="join an existing Ray cluster (or 'auto' for one started on this machine with `ray start`); default: "
        "start Ray here",
    )
    p.add_argument(
        "--resume", action="store_true", help="continue the interrupted sweep in --out (finished trials are kept)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from tqdm import tqdm

    from agent.learn.sweep import (
        UNFINISHED,
        finished,
        format_rows,
        load_space,
        plan,
        require_ray,
        run_sweep,
        saved_plan,
    )

    if args.resume:
        if args.out is None:
            raise ValueError("--resume: give --out DIR, the folder of the sweep to continue")
        trials = None
    else:
        if args.space is None:
            raise ValueError("SPACE: give a search-space file (or --resume --out DIR)")
        trials = plan(load_space(args.space), args.samples, args.seed)
    require_ray()  # before anything is printed or written
    out = Path(args.out or Path("runs") / "sweep" / Path(args.space).stem)
    if trials is not None:
        total = len(trials)
        print(
            f"sweep: {total} trials ({'random draws' if args.samples else 'the grid'} of {args.space}), each "
            f"evaluated on {args.tracks} test tracks x {args.laps} laps; results in {out}"
        )
    else:
        planned = saved_plan(out)["trials"]
        done, total = finished(out, planned), len(planned)
        print(f"sweep: resuming {out}: {done} of {total} trials finished and kept")
    with tqdm(
        total=total, initial=0 if trials is not None else done, unit="trial", desc="sweep", disable=args.quiet
    ) as bar:
        rows = run_sweep(
            trials,
            out,
            args.tracks,
            args.laps,
            args.cpus_per_trial,
            args.resume,
            args.address,
            args.cpus,
            log=tqdm.write if not args.quiet else print,
            bar=bar,
        )
    print(format_rows(rows))
    print(
        f"wrote {out / 'results.csv'}, {out / 'results.json'}, {out / 'sweep.png'} and "
        f"{len([r for r in rows if 'model_path' in r])} models in {out / 'models'}"
    )
    unfinished = [r for r in rows if r.get("error") == UNFINISHED]
    failed = [r for r in rows if "error" in r and r not in unfinished]
    if unfinished:
        print(
            f"interrupted: {len(unfinished)} trials not finished; run_sim.py sweep --resume --out {out} continues "
            "(finished trials are kept)"
        )
    if failed:
        print(f"{len(failed)} trials failed; run_sim.py sweep --resume --out {out} runs them again")
    return 130 if unfinished else 1 if failed else 0
