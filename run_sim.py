"""DriveLab command line: a thin layer over `sim` and `agent`.

    python run_sim.py drive --record data/mine   drive yourself and record
    python run_sim.py record --driver expert     record expert demonstrations, headless
    python run_sim.py data info data/mine        what a dataset holds, with pictures
    python run_sim.py watch --driver expert      the expert drives in a window
    python run_sim.py snapshot --out world.png   a rendered frame and camera views, headless
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the command, the flag and what was expected."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _int(lo: int, hi: int | None = None):
    """An argparse type: an integer in [lo, hi]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected {lo} to {hi}, got {value}" if hi is not None else f"expected at least {lo}, got {value}")
        return value

    return parse


def _float(lo: float, hi: float | None = None):
    """An argparse type: a finite number in [lo, hi]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected a number from {lo} to {hi}, got {text}" if hi is not None else f"expected a number >= {lo}, got {text}")
        return value

    return parse


def _track_arg(text: str):
    """A track flag: a seed (an integer >= 0) or a path to a JSON track file."""
    try:
        seed = int(text)
    except ValueError:
        return text
    if seed < 0:
        raise argparse.ArgumentTypeError(f"expected a seed >= 0 or a JSON track file, got {seed}")
    return seed


def _env_kwargs(args) -> dict:
    kw = dict(camera=args.camera, camera_size=args.camera_size, split=args.split)
    if getattr(args, "track", None) is not None:
        kw["track"] = args.track
    for name in ("observation", "action", "grayscale"):
        if getattr(args, name, None) is not None:
            kw[name] = getattr(args, name)
    return kw


def _env_config(args):
    """The EnvConfig the flags describe (what datasets store)."""
    from sim.env import DrivingEnv

    kw = _env_kwargs(args)
    kw.pop("track", None)
    return DrivingEnv(**kw).config


def _add_layout_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--observation", choices=("both", "camera", "sensors"), default="both", help="what is recorded (default: both)")
    p.add_argument("--action", choices=("steer", "steer+throttle"), default="steer", help="steering only (cruise control) or steering and throttle (default: steer)")
    p.add_argument("--grayscale", action="store_true", default=None, help="grayscale camera frames")


def cmd_drive(args) -> int:
    import gymnasium as gym

    import sim  # noqa: F401
    from agent.drive import drive
    from agent.human import HumanControls

    if not _has_display():
        raise RuntimeError("drive needs a window and no display was found (set DISPLAY, or run under Xvfb)")
    env = gym.make("DriveLab-v0", render_mode="human", **_env_kwargs(args))
    controls = HumanControls(mode=args.controls)
    stats = drive(env, controls, record_dir=args.record, max_frames=args.max_frames, record_from_start=not args.no_autostart, seed=args.seed)
    env.close()
    msg = f"drove {stats.steps} steps"
    if args.record:
        msg += f"; {stats.episodes_saved} episode(s) saved, {stats.episodes_discarded} discarded; {args.record} now holds {stats.recorded} frames"
    print(msg)
    return 0


def cmd_record(args) -> int:
    from tqdm import tqdm

    from agent.dataset import Dataset
    from agent.record import RecordSettings, record_expert

    config = _env_config(args)
    settings = RecordSettings(
        episodes=args.episodes,
        steps=args.steps,
        split=args.split,
        seed=args.seed,
        dart_sigma=args.dart,
        side_cameras=args.side_cameras,
        workers=args.workers,
    )
    from agent.dataset import DatasetWriter

    DatasetWriter(args.out, config)  # refuses a mismatched dataset before any work starts
    before = Dataset(args.out).frames
    with tqdm(total=args.episodes * args.steps, unit="step", desc="recording", disable=args.quiet) as bar:
        record_expert(args.out, config, settings, bar)
    after = Dataset(args.out).frames
    print(f"wrote {after - before} frames in {args.episodes} episodes to {args.out} ({after} frames in all)")
    return 0


def cmd_data_info(args) -> int:
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


def _add_world_flags(p: argparse.ArgumentParser, track: bool = True, seed: bool = True, split: str = "train") -> None:
    """The flags that shape the world; `track` and `seed` only for commands that use them."""
    if track:
        p.add_argument("--track", type=_track_arg, default=None, help="a seed (integer >= 0) or a JSON track file; default: a random track of --split")
    p.add_argument("--split", choices=("train", "test"), default=split, help=f"seed range for random tracks (default: {split})")
    p.add_argument("--camera", choices=("dashcam", "topdown"), default="dashcam", help="camera mode (default: dashcam)")
    p.add_argument("--camera-size", type=_int(8, 1024), default=64, metavar="PX", help="camera width and height in pixels, 8-1024 (default: 64)")
    if seed:
        p.add_argument("--seed", type=_int(0), default=0, help="seed for the env's random choices (default: 0)")


BUNDLED_CAMERA_MODEL = Path(__file__).resolve().parent / "assets" / "models" / "camera.pt"


def _model_arg(args):
    """The checkpoint to drive with: --model, else the bundled camera model; None: the expert."""
    if getattr(args, "driver", None) == "expert" and args.model is None:
        return None
    return args.model or str(BUNDLED_CAMERA_MODEL)


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("SDL_VIDEODRIVER")) or sys.platform in ("win32", "darwin")


def cmd_watch(args) -> int:
    import gymnasium as gym

    import sim  # noqa: F401  (registers DriveLab-v0)
    from agent.watch import watch

    if not _has_display() and args.max_frames is None:
        raise RuntimeError("no display found; run headless with --max-frames N (and --video FILE.gif to see it)")
    mode = "rgb_array" if (args.video or not _has_display()) else "human"
    env = gym.make("DriveLab-v0", render_mode=mode, offroad="recover", **_env_kwargs(args))
    policy = None
    model = _model_arg(args)
    if model is not None:
        from agent.policy import NeuralPolicy

        policy = NeuralPolicy(model, env.unwrapped.config)
    env.reset(seed=args.seed)
    try:
        stats, frames = watch(env, policy, max_frames=args.max_frames, record_dir=args.record, frame_every=args.video_every if args.video else 0)
    except KeyboardInterrupt:
        stats, frames = None, []
    finally:
        env.close()
    if stats is not None:
        who = "the expert" if policy is None else model
        print(f"{stats.steps} steps by {who}: {stats.laps} laps, {stats.recoveries} off-road recoveries, {stats.takeovers} takeovers, autonomy {stats.autonomy_pct(env.unwrapped.config.dt_s):.1f}%")
        if args.record:
            print(f"recorded {stats.recorded} takeover frames to {args.record}")
    if args.video and frames:
        from agent.video import save_video

        save_video(args.video, frames, 30 / args.video_every, args.video_width)
        print(f"wrote {args.video} ({len(frames)} frames)")
    return 0


def cmd_eval(args) -> int:
    import json

    from tqdm import tqdm

    from agent.evaluate import eval_tracks, evaluate_parallel, format_table, plot_trajectories

    config = _env_config(args)
    model = _model_arg(args)
    tracks = eval_tracks(args.tracks, args.split, args.track_file or ())
    who = "the expert" if model is None else model
    print(f"evaluating {who} on {len(tracks)} {'track files' if args.track_file else args.split + ' tracks'}, {args.laps} laps each")
    with tqdm(total=len(tracks), unit="episode", desc="eval", disable=args.quiet) as bar:
        result = evaluate_parallel(model, config, tracks, args.laps, args.workers, bar)
    print(format_table(result))
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(result.to_json(), indent=1))
        print(f"wrote {args.report}")
    if args.plot:
        plot_trajectories(result, args.plot)
        print(f"wrote {args.plot}")
    if args.video:
        import gymnasium as gym

        import sim  # noqa: F401
        from agent.policy import NeuralPolicy
        from agent.watch import watch

        env = gym.make("DriveLab-v0", render_mode="rgb_array", offroad="recover", max_laps=args.laps, track=tracks[0], **{k: v for k, v in _env_kwargs(args).items() if k != "track"})
        policy = NeuralPolicy(model, env.unwrapped.config) if model else None
        steps = int(result.episodes[0]["seconds"] / env.unwrapped.config.dt_s)
        _, frames = watch(env, policy, max_frames=min(steps, args.video_frames * args.video_every), frame_every=args.video_every)
        env.close()
        from agent.video import save_video

        save_video(args.video, frames, 30 / args.video_every, args.video_width, progress=not args.quiet)
        print(f"wrote {args.video} ({len(frames)} frames of the first episode)")
    return 0


def cmd_snapshot(args) -> int:
    import gymnasium as gym
    import imageio.v3 as iio
    import numpy as np

    import sim  # noqa: F401
    from agent.expert import ExpertDriver

    env = gym.make("DriveLab-v0", render_mode="rgb_array", **_env_kwargs(args))
    driver = ExpertDriver(env)
    obs, _ = env.reset(seed=args.seed)
    for _ in range(args.steps):
        obs, _, terminated, truncated, _ = env.step(driver.act(obs))
        if terminated or truncated:
            break
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(out, env.render())
    # the camera views, enlarged with nearest-neighbour so pixels stay visible
    u = env.unwrapped
    from sim.camera import bind, make_camera, render_frames
    from sim.raster import build
    from dataclasses import replace

    views = []
    raster = build(u.track, u.config.raster)
    for mode in ("dashcam", "topdown"):
        lens = bind(make_camera(replace(u.config.camera, mode=mode)), raster)
        frame = render_frames(lens, np.array([u.car.x]), np.array([u.car.y]), np.array([u.car.heading]))[0]
        views.append(np.kron(frame, np.ones((4, 4, 1), dtype=np.uint8)))
    cams = out.with_name(out.stem + "_camera.png")
    iio.imwrite(cams, np.concatenate([views[0], np.full((views[0].shape[0], 8, 3), 255, np.uint8), views[1]], axis=1))
    env.close()
    print(f"wrote {out} and {cams}")
    return 0


def cmd_train(args) -> int:
    from dataclasses import fields

    from agent.train import TrainArgs, train

    targs = TrainArgs(**{f.name: getattr(args, f.name) for f in fields(TrainArgs) if hasattr(args, f.name)})
    if args.summary:
        from agent.dataset import Dataset
        from models.nets import DEFAULT_CAMERA_ARCH, DrivingNet
        from models.preprocess import input_spec_for
        from sim.config import EnvConfig

        env = Dataset(args.datasets[0]).env_config if args.datasets else EnvConfig()
        keys = ("camera", "sensors") if args.model == "both" else (args.model,)
        spec = input_spec_for(env, keys, args.crop_top)
        cam = (args.arch or DEFAULT_CAMERA_ARCH) if "camera" in keys else None
        sens = (args.arch or args.sensor_arch) if args.model == "sensors" else (args.sensor_arch if "sensors" in keys else None)
        net = DrivingNet(spec.network_inputs(), cam, sens, args.head, args.bins)
        print(f"input {spec.network_inputs()} (camera rows cropped from the top: {spec.crop_top})")
        print(net.summary())
        return 0
    summary = train(targs, progress=not args.quiet)
    best = summary["best"] or {}
    print(f"best epoch {best.get('epoch')}: validation steering error {best.get('steer_mae', float('nan')):.4f} (predicting the mean: {summary['baseline_steer_mae']:.4f}); wrote {targs.out}, {Path(targs.out).with_suffix('.png')}, {Path(targs.out).with_suffix('.json')}")
    return 0


def _add_train_flags(p: argparse.ArgumentParser) -> None:
    """One flag per TrainArgs field, its docstring as the help."""
    import ast
    import inspect
    from dataclasses import MISSING, fields

    from agent.train import TrainArgs

    docs = {}
    body = ast.parse(inspect.getsource(TrainArgs)).body[0].body
    for node, nxt in zip(body, body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
            docs[node.target.id] = nxt.value.value
    choices = {"model": ("camera", "sensors", "both"), "head": ("regression", "classification"), "loss": ("mse", "huber"), "optimizer": ("sgd", "adam"), "device": ("auto", "cpu", "cuda")}
    for f in fields(TrainArgs):
        if f.name == "datasets":
            continue
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not MISSING else None
        help_text = (docs.get(f.name, "") + f" (default: {default})").strip()
        if isinstance(default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)
        else:
            kind = {"int": int, "float": float}.get(str(f.type).split(" ")[0].replace("None", "").strip("| "), str)
            if f.name in ("crop_top", "threads", "max_frames"):
                kind = int
            if f.name in TrainArgs.RANGES:  # checked where the flag enters
                lo, hi = TrainArgs.RANGES[f.name]
                kind = _int(lo, hi) if kind is int else _float(lo, hi)
            p.add_argument(flag, type=kind, default=default, choices=choices.get(f.name), help=help_text)


def cmd_lecture(args) -> int:
    from agent.lecture import Lecture, markdown_table, render_doc

    import time

    start = time.perf_counter()
    results = Lecture(args.out, quick=args.quick, log=lambda m: print(m, flush=True)).run()
    cols = ["name", "parameters", "train_s", "val_steer_error", "lap_completion", "autonomy_pct"]
    for name, rows in results.items():
        print(f"\n## {name}\n" + markdown_table(rows, cols))
    if args.doc:
        render_doc(Path(__file__).resolve().parent / "docs" / "lecture.tmpl.md", Path(args.out).resolve(), Path(args.doc).resolve(), (time.perf_counter() - start) / 60)
        print(f"wrote {args.doc}")
    return 0


def cmd_dagger(args) -> int:
    from agent.dagger import COLUMNS, DaggerSettings, run
    from agent.lecture import markdown_table

    settings = DaggerSettings(rounds=args.rounds, episodes=args.episodes, steps=args.steps, beta=args.beta, beta_decay=args.beta_decay, epochs=args.epochs, eval_tracks=args.tracks, laps=args.laps, seed=args.seed, baseline=not args.no_baseline, workers=args.workers)
    rows = run(args.model, args.data, args.out, settings, log=lambda m: print(m, flush=True))
    print(markdown_table(rows, COLUMNS))
    print(f"wrote {Path(args.out) / 'dagger.csv'}, dagger.json and dagger.png")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="run_sim.py",
        description="DriveLab: teach a car to drive with deep learning. Each command has its own --help.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("drive", help="drive yourself in a window, and record", description="Drive the car yourself. Keys: arrows/WASD steer (up/down throttle and brake with --action steer+throttle), R toggles recording, P pauses, Backspace discards the current episode, Esc or closing the window quits and saves. Holding a steering key ramps the wheel smoothly; release returns it to centre.")
    _add_world_flags(p)
    _add_layout_flags(p)
    p.add_argument("--controls", choices=("keyboard", "mouse", "gamepad"), default="keyboard", help="keyboard (default), mouse (horizontal position over the map steers) or gamepad (axis 0)")
    p.add_argument("--record", default=None, metavar="DIR", help="dataset folder to record into (appends when it exists)")
    p.add_argument("--no-autostart", action="store_true", help="do not record until R is pressed")
    p.add_argument("--max-frames", type=_int(1), default=None, metavar="N", help="stop after N steps")
    p.set_defaults(func=cmd_drive)

    p = sub.add_parser("record", help="record expert demonstrations headless", description="Record demonstrations by the scripted expert, with DART noise injection (the car executes noisy steering, the label is the expert's clean steering) and optional side cameras.")
    _add_world_flags(p, track=False)
    _add_layout_flags(p)
    p.add_argument("--driver", choices=("expert",), default="expert", help="who drives (default: expert)")
    p.add_argument("--episodes", type=_int(1), default=20, help="episodes, each on its own track of --split (default: 20)")
    p.add_argument("--steps", type=_int(1), default=1500, help="steps per episode (default: 1500 = 50 s)")
    p.add_argument("--out", default="data/expert", metavar="DIR", help="dataset folder (appends when it exists; default: data/expert)")
    p.add_argument("--workers", type=_int(1, 64), default=min(2, os.cpu_count() or 1), help="processes (default: 2 or the cores there are)")
    p.add_argument("--dart", type=_float(0.0, 2.0), default=0.15, metavar="SIGMA", help="std of the steering noise injected, 0-2 (0: none; default: 0.15)")
    p.add_argument("--side-cameras", action="store_true", help="add left/right shifted camera frames labelled with the recovering steering")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("data", help="inspect datasets: data info DIR", description="Inspect recorded datasets.")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    q = dsub.add_parser("info", help="episodes, frames, drivers, tracks; a steering histogram and a contact sheet as PNGs; label warnings")
    q.add_argument("dir", help="dataset folder")
    q.add_argument("--out", default=None, help="folder for the PNGs (default: DIR/info)")
    q.add_argument("--skip-bad", action="store_true", help="report truncated or corrupt chunks and read the rest")
    q.add_argument("--json", action="store_true", help="also print the summary as one JSON line")
    q.set_defaults(func=cmd_data_info)

    p = sub.add_parser("train", help="fit a ConvNet or MLP to recorded driving by gradient descent", description="Behavioural cloning: fit a network to the steering recorded in DATASET folders. Validation holds out whole episodes. Writes the best checkpoint to --out, a loss-curve PNG and a JSON summary beside it.")
    p.add_argument("datasets", nargs="*", metavar="DATASET", help="dataset folders (same env layout)")
    _add_train_flags(p)
    p.add_argument("--summary", action="store_true", help="print the network's layers, output shapes and parameter counts, and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("dagger", help="DAgger: let the network drive, label its states with the expert, retrain", description="DAgger rounds: the network drives new training tracks (the expert takes each step with probability beta, decaying per round), every visited state is labelled with the expert's steering and appended to --data (source 'dagger'), the network is retrained from its previous weights and evaluated on test tracks. Plain behavioural cloning on the same number of frames runs beside it.")
    p.add_argument("--model", required=True, metavar="START.pt", help="the starting network (trained on --data)")
    p.add_argument("--data", required=True, metavar="DATASET", help="dataset folder the new frames are appended to")
    p.add_argument("--rounds", type=_int(1), default=3, help="DAgger rounds (default: 3)")
    p.add_argument("--episodes", type=_int(1), default=6, help="training tracks driven per round (default: 6)")
    p.add_argument("--steps", type=_int(1), default=1000, help="steps per episode (default: 1000)")
    p.add_argument("--beta", type=_float(0.0, 1.0), default=0.5, help="chance the expert drives a step in round 1, 0-1 (default: 0.5)")
    p.add_argument("--beta-decay", type=_float(0.0, 1.0), default=0.5, help="beta multiplier per round, 0-1 (default: 0.5)")
    p.add_argument("--epochs", type=_int(1), default=6, help="retraining epochs per round (default: 6)")
    p.add_argument("--tracks", type=_int(1), default=20, help="test tracks per evaluation (default: 20)")
    p.add_argument("--laps", type=_int(1), default=2, help="laps per test track (default: 2)")
    p.add_argument("--seed", type=_int(0), default=0, help="seed for tracks, noise and training (default: 0)")
    p.add_argument("--workers", type=_int(1, 64), default=min(2, os.cpu_count() or 1), help="processes (default: 2 or the cores there are)")
    p.add_argument("--no-baseline", action="store_true", help="skip the plain behavioural cloning comparison")
    p.add_argument("--out", default="runs/dagger", help="folder for the round models and the table (default: runs/dagger)")
    p.set_defaults(func=cmd_dagger)

    p = sub.add_parser("lecture", help="run the lecture's experiments: figures and tables for docs/lecture.md", description="Record expert data, train networks (SGD vs Adam, the two heads, an MLP neuron sweep, a ConvNet knob sweep, recovery data), evaluate them on unseen test tracks, and write CSV/JSON tables and PNG figures. About 10 minutes; --quick takes about a minute.")
    p.add_argument("--out", default="docs/lecture", help="folder for the tables and figures (default: docs/lecture)")
    p.add_argument("--quick", action="store_true", help="a small version (tiny datasets, short training, 3 tracks)")
    p.add_argument("--doc", default=None, metavar="FILE.md", help="also write the lecture from docs/lecture.tmpl.md with these results (docs/lecture.md)")
    p.set_defaults(func=cmd_lecture)

    p = sub.add_parser("watch", help="watch a network (or the expert) drive, with a HUD; take over with the arrows", description="Watch a trained network drive (the bundled camera model by default) or the expert (--driver expert). The HUD shows the network's input, its steering beside the expert's, the votes of a classification head; F shows the first layer's feature maps, S a saliency map. Hold the arrow keys to take over; each takeover counts as an intervention and, with --record, is recorded. Esc or closing the window quits.")
    _add_world_flags(p)
    p.add_argument("--model", default=None, metavar="PATH", help="checkpoint to drive with (default: assets/models/camera.pt)")
    p.add_argument("--driver", choices=("model", "expert"), default="model", help="model (default) or expert")
    p.add_argument("--record", default=None, metavar="DIR", help="record takeover frames to this dataset folder")
    p.add_argument("--max-frames", type=_int(1), default=None, metavar="N", help="stop after N steps (default: until closed); headless when there is no display")
    p.add_argument("--video", default=None, metavar="FILE", help="save an MP4 (.mp4) or GIF (.gif) of the run (needs --max-frames)")
    p.add_argument("--video-every", type=_int(1), default=2, metavar="K", help="keep every K-th frame in the video (default: 2)")
    p.add_argument("--video-width", type=_int(64, 4096), default=None, metavar="PX", help="video width in pixels, 64-4096 (default: 480 for a GIF, full size for an MP4)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("eval", help="evaluate a network (or the expert) headless on unseen tracks", description="Drive --tracks tracks of --split (default: test, never trained on) or --track-file files, --laps laps each, all at once. Leaving the road puts the car back and counts an intervention. Prints per-episode metrics and a summary: lap completion rate (all laps, no intervention), autonomy percentage (PilotNet: 1 - interventions x 6 s / time), interventions per km, lateral offset, speed.")
    _add_world_flags(p, track=False, seed=False, split="test")
    p.add_argument("--model", default=None, metavar="PATH", help="checkpoint to evaluate (default: assets/models/camera.pt)")
    p.add_argument("--driver", choices=("model", "expert"), default="model", help="model (default) or expert")
    p.add_argument("--tracks", type=_int(1, 100_000), default=20, metavar="N", help="number of tracks (default: 20; the README's table uses 100)")
    p.add_argument("--track-file", action="append", default=None, metavar="PATH", help="evaluate on this JSON track instead (repeatable)")
    p.add_argument("--laps", type=_int(1, 100), default=2, help="laps per track, 1-100 (default: 2)")
    p.add_argument("--workers", type=_int(1, 64), default=min(2, os.cpu_count() or 1), help="processes (default: 2 or the cores there are)")
    p.add_argument("--report", default=None, metavar="FILE.json", help='write {"summary": ..., "episodes": [...]}')
    p.add_argument("--plot", default=None, metavar="FILE.png", help="trajectories coloured by lateral offset over the track outlines, worst first")
    p.add_argument("--video", default=None, metavar="FILE", help="MP4 (.mp4) or GIF (.gif) of the first episode with the HUD")
    p.add_argument("--video-every", type=_int(1), default=3, metavar="K", help="keep every K-th frame (default: 3)")
    p.add_argument("--video-frames", type=_int(1), default=300, metavar="N", help="at most N frames in the video (default: 300)")
    p.add_argument("--video-width", type=_int(64, 4096), default=None, metavar="PX", help="video width in pixels, 64-4096 (default: 480 for a GIF, full size for an MP4)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("snapshot", help="save a rendered frame and the camera views as PNG (headless)", description="Drive the expert for --steps steps, then save the window picture and the dashcam/top-down camera views.")
    _add_world_flags(p)
    p.add_argument("--out", default="snapshot.png", help="PNG file for the window picture; the camera views go beside it as *_camera.png")
    p.add_argument("--steps", type=_int(0), default=90, help="steps the expert drives before the picture (default: 90)")
    p.set_defaults(func=cmd_snapshot)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "watch" and args.video and args.max_frames is None:
        print("run_sim.py watch: --video needs --max-frames N", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ValueError, OSError, RuntimeError) as e:  # bad input: one line, no traceback
        print(f"run_sim.py {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # recordings are saved chunk by chunk; nothing more to do
        print(f"run_sim.py {args.command}: interrupted; what was recorded is saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
