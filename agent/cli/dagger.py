"""`run_sim.py dagger`: DAgger: let the network drive, label its states with the expert, retrain."""

from __future__ import annotations

from pathlib import Path

from agent.cli.common import add_workers_flag, float_in, int_in

HELP = "DAgger: let the network drive, label its states with the expert, retrain"
DESCRIPTION = (
    "DAgger rounds: the network drives new training tracks (the expert takes each step with probability beta, "
    "decaying per round), every visited state is labelled with the expert's steering and appended to --data (source "
    "'dagger'), the network is retrained from its previous weights and evaluated on test tracks. Plain behavioural "
    "cloning on the same number of frames runs beside it."
)


def add_arguments(p) -> None:
    p.add_argument("--model", required=True, metavar="START.pt", help="the starting network (trained on --data)")
    p.add_argument("--data", required=True, metavar="DATASET", help="dataset folder the new frames are appended to")
    p.add_argument("--rounds", type=int_in(1), default=3, help="DAgger rounds (default: 3)")
    p.add_argument("--episodes", type=int_in(1), default=6, help="training tracks driven per round (default: 6)")
    p.add_argument("--steps", type=int_in(1), default=1000, help="steps per episode (default: 1000)")
    p.add_argument(
        "--beta",
        type=float_in(0.0, 1.0),
        default=0.5,
        help="chance the expert drives a step in round 1, 0-1 (default: 0.5)",
    )
    p.add_argument(
        "--beta-decay", type=float_in(0.0, 1.0), default=0.5, help="beta multiplier per round, 0-1 (default: 0.5)"
    )
    p.add_argument("--epochs", type=int_in(1), default=6, help="retraining epochs per round (default: 6)")
    p.add_argument("--tracks", type=int_in(1), default=20, help="test tracks per evaluation (default: 20)")
    p.add_argument("--laps", type=int_in(1), default=2, help="laps per test track (default: 2)")
    p.add_argument("--seed", type=int_in(0), default=0, help="seed for tracks, noise and training (default: 0)")
    add_workers_flag(p)
    from sim.levels import LEVELS

    p.add_argument(
        "--level",
        choices=tuple(LEVELS),
        default=None,
        help="level the rounds drive and are evaluated at (default: the level --data was recorded at)",
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the plain behavioural cloning comparison")
    p.add_argument(
        "--out", default="runs/dagger", help="folder for the round models and the table (default: runs/dagger)"
    )


def run(args) -> int:
    from agent.docs.lecture import markdown_table
    from agent.learn.dagger import COLUMNS, DaggerSettings, run

    settings = DaggerSettings(
        rounds=args.rounds,
        episodes=args.episodes,
        steps=args.steps,
        beta=args.beta,
        beta_decay=args.beta_decay,
        epochs=args.epochs,
        eval_tracks=args.tracks,
        laps=args.laps,
        seed=args.seed,
        baseline=not args.no_baseline,
        workers=args.workers,
        level=args.level,
    )
    rows = run(args.model, args.data, args.out, settings, log=lambda m: print(m, flush=True))
    print(markdown_table(rows, COLUMNS))
    print(f"wrote {Path(args.out) / 'dagger.csv'}, dagger.json and dagger.png")
    return 0
