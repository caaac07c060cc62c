"""`run_sim.py eval`: evaluate a network (or the expert) headless on unseen tracks."""

from __future__ import annotations

from agent.cli.common import (
    add_video_flags,
    add_workers_flag,
    add_world_flags,
    env_config,
    int_in,
    model_arg,
    model_meta,
    out_file,
    say_if_compiling,
)

HELP = "evaluate a network (or the expert) headless on unseen tracks"
DESCRIPTION = (
    "Drive --tracks tracks of --split (default: test, never trained on) or --track-file files, --laps laps each, all "
    "at once, at --level. Leaving the road puts the car back and counts an intervention. Prints per-episode metrics "
    "and a summary: driving score (CARLA style: 100 x share of the laps driven x 0.65 per exit from the road, with a "
    "bootstrap 95% confidence interval), lap completion rate (all laps, no intervention), autonomy percentage "
    "(PilotNet: 1 - interventions x 6 s / time), infractions and interventions per km, lateral offset, speed. --suite "
    "runs every level."
)


def add_arguments(p) -> None:
    add_world_flags(p, track=False, seed=False, split="test")
    p.add_argument(
        "--model", default=None, metavar="PATH", help="checkpoint to evaluate (default: assets/models/camera.pt)"
    )
    p.add_argument(
        "--driver",
        choices=("model", "expert", "expert-blind"),
        default="model",
        help="model (default), expert, or expert-blind (the expert following the centre line as if obstacles were not "
        "there: shows what ignoring them costs)",
    )
    p.add_argument(
        "--tracks",
        type=int_in(1, 100_000),
        default=20,
        metavar="N",
        help="number of tracks (default: 20; the README's table uses 100)",
    )
    p.add_argument(
        "--track-file",
        action="append",
        default=None,
        metavar="PATH",
        help="evaluate on this JSON track instead (repeatable)",
    )
    p.add_argument("--laps", type=int_in(1, 100), default=2, help="laps per track, 1-100 (default: 2)")
    p.add_argument(
        "--seeds",
        type=int_in(1, 100),
        default=1,
        metavar="K",
        help="drive every track K times, each with other conditions of the level (weather, speed, ...; default: 1)",
    )
    p.add_argument(
        "--suite",
        action="store_true",
        help="evaluate on every level's test split (--tracks tracks x --laps laps each) and print one row per level; "
        "--report writes the rows",
    )
    add_workers_flag(p)
    p.add_argument(
        "--report",
        type=out_file(".json"),
        default=None,
        metavar="FILE.json",
        help='write {"summary": ..., "episodes": [...], "timing": ...} (timing: per worker, the seconds its '
        "batch drove and the seconds of those in the driver)",
    )
    p.add_argument(
        "--plot",
        type=out_file(".png"),
        default=None,
        metavar="FILE.png",
        help="trajectories coloured by lateral offset over the track outlines, worst first",
    )
    add_video_flags(p, "the first episode (the one scored first, driven again) with the HUD", every=3)
    p.add_argument(
        "--video-frames", type=int_in(1), default=300, metavar="N", help="at most N frames in the video (default: 300)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


# fractions of episodes driven
EPISODES_BAR = "{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total} episodes [{elapsed}<{remaining}]"


# what eval's workers import (and the world's kernels, sim.warm), loaded by the forkserver while this
# process starts up
WORKER_MODULES = ("agent.grade.evaluate", "agent.drivers.policy", "sim.warm")


def run(args) -> int:
    if args.workers > 1:
        from agent.workers import start_early

        start_early(WORKER_MODULES)
    say_if_compiling(args.quiet)  # (after the workers' process has started: finding out imports numba)
    from tqdm import tqdm

    from agent.grade.evaluate import (
        eval_tracks,
        evaluate_parallel,
        format_suite,
        format_table,
        plot_trajectories,
        suite,
    )

    config = env_config(args)
    model = model_arg(args)
    trained_at = model_level(model)
    who = f"{model.path} (trained at level {trained_at})" if model.is_model else model.describe()
    if args.suite:
        from sim.levels import LEVELS

        if args.track_file or args.split != "test" or args.level != "school":
            raise ValueError("--suite drives every level's test split; leave out --track-file, --split and --level")
        if args.plot or args.video:
            raise ValueError(
                "--suite writes a row per level (--report); --plot and --video draw one level's episodes: run eval "
                "--level NAME for those"
            )

        print(
            f"evaluating {who} on every level's test split: {args.tracks} tracks x {args.seeds} conditions, "
            f"{args.laps} laps each"
        )
        with tqdm(
            total=len(LEVELS) * args.tracks * args.seeds, desc="suite", bar_format=EPISODES_BAR, disable=args.quiet
        ) as bar:
            rows = suite(model, config, args.tracks, args.laps, args.workers, args.seeds, bar)
        print(format_suite(rows, who))
        if args.report:
            report = {
                "driver": model.name,
                "model_level": trained_at,
                "tracks": args.tracks,
                "laps": args.laps,
                "seeds": args.seeds,
                "rows": rows,
            }
            _write(args.report, report)
        return 0
    tracks = eval_tracks(args.tracks, args.split, args.track_file or ())
    if args.track_file:  # read here first: a missing or broken file is said before the drive starts
        from sim.env import resolve_track

        for path in args.track_file:
            resolve_track(path, config.track)
    print(
        f"evaluating {who} at level {config.level.name} on {len(tracks)} "
        f"{'track files' if args.track_file else args.split + ' tracks'}"
        + (f" x {args.seeds} conditions" if args.seeds > 1 else "")
        + f", {args.laps} laps each"
    )
    with tqdm(total=len(tracks) * args.seeds, desc="eval", bar_format=EPISODES_BAR, disable=args.quiet) as bar:
        result = evaluate_parallel(model, config, tracks, args.laps, args.workers, bar, args.split, args.seeds)
    result.summary["level"] = config.level.name
    result.summary["model_level"] = trained_at
    print(format_table(result))
    if args.report:
        _write(args.report, result.to_json())
    if args.plot:
        plot_trajectories(result, args.plot)
        print(f"wrote {args.plot}")
    if args.video:
        from agent.windows.watch import replay_first_episode

        steps = int(result.episodes[0]["seconds"] / config.dt_s)
        _, frames = replay_first_episode(
            model,
            config,
            tracks[0],
            args.laps,
            args.split,
            args.video_every,
            min(steps, args.video_frames * args.video_every),
        )
        from agent.windows.video import save_video

        save_video(args.video, frames, 1 / (config.dt_s * args.video_every), args.video_width, progress=not args.quiet)
        print(f"wrote {args.video} ({len(frames)} frames of the first episode)")
    return 0


def model_level(spec) -> str | None:
    """The level a checkpoint was trained at (None for the experts); says so when its
    training judged that it learned nothing."""
    if not spec.is_model:
        return None
    from agent.drivers.policy import unlearned_warning

    meta = model_meta(spec.path)  # a .pt checkpoint or an .onnx export
    warning = unlearned_warning(meta, spec.path)
    if warning:
        print(warning)
    level = meta.get("env", {}).get("level") if isinstance(meta.get("env"), dict) else None
    return str(level.get("name", "school")) if isinstance(level, dict) else "school"


def _write(path: str, data: dict) -> None:

    from agent.grade.results import write_json

    write_json(path, data)
    print(f"wrote {path}")
