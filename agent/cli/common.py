"""What the commands share: one-line argument errors, range-checked flag types, the world flags.

Each command lives in its own module of `agent.cli` with `add_arguments(parser)` and
`run(args)` side by side; `run_sim.py` only dispatches.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import sys
from functools import lru_cache
from pathlib import Path


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the command, the flag and what was expected.

    Flags must be spelled out: an abbreviation (`--seed` for `--seeds`) is an error, not a guess.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def parse_known_args(self, args=None, namespace=None):
        """A command's parser (`is_command`) names the flags it does not know itself, with the
        nearest it has (`--lap`: did you mean --laps?), rather than leaving them to run_sim.py's."""
        known, extras = super().parse_known_args(args, namespace)
        if extras and getattr(self, "is_command", False):
            options = [o for a in self._actions for o in a.option_strings]
            hints = {
                m[0]
                for x in extras
                if x.startswith("-")
                for m in [difflib.get_close_matches(x.split("=")[0], options, 1)]
                if m
            }
            hint = f"; did you mean {' or '.join(sorted(hints))}?" if hints else ""
            self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
        return known, extras


# the commands for which run_sim.py says so before they start; eval says it itself, once its
# workers' process has started (finding out imports numba, which would hold that start up)
SAY_COMPILING = {"drive", "record", "dagger", "rl", "lecture", "sweep", "watch", "race", "snapshot"}


def say_if_compiling(quiet: bool = False) -> None:
    """On the first run after an install, say why the first step takes a while: numba compiles
    the world's kernels for this machine (later runs load them from its cache)."""
    if quiet:
        return
    from sim.jit import compiled_before
    from sim.step import step_cars

    if not compiled_before(step_cars.serial):
        print("first run here: numba compiles DriveLab's world for this machine (once; later runs start at once)")


def _bounded(kind: type, what: str, lo, hi):
    """An argparse type: a finite `kind` (int or float) in [lo, hi] (hi None: no upper bound)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not math.isfinite(value) or value < lo or (hi is not None and value > hi):
            span = f"from {lo} to {hi}" if hi is not None else f">= {lo}"
            raise argparse.ArgumentTypeError(f"expected {what} {span}, got {text}")
        return value

    return parse


def int_in(lo: int, hi: int | None = None):
    """An argparse type: an integer in [lo, hi]."""
    return _bounded(int, "an integer", lo, hi)


def float_in(lo: float, hi: float | None = None):
    """An argparse type: a finite number in [lo, hi]."""
    return _bounded(float, "a number", lo, hi)


def out_file(*suffixes: str):
    """An argparse type: an output file path ending in one of `suffixes` (any case), so a
    misnamed output is refused before any work, not written in a format nobody asked for."""

    def parse(text: str) -> str:
        path = Path(text)
        if path.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(f"expected a file name ending in {' or '.join(suffixes)}, got {text!r}")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text} is a folder; expected a file name")
        try:  # its folder now, so a path that cannot be written is refused before the work, not after
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise argparse.ArgumentTypeError(
                f"cannot create the folder {path.parent} for {text} ({(e.strerror or str(e)).lower()})"
            ) from None
        existed = path.exists()
        try:  # opened to add nothing: a file there is left as it is, a new one removed again
            with open(path, "ab"):
                pass
        except OSError as e:
            raise argparse.ArgumentTypeError(f"cannot write {text} ({(e.strerror or str(e)).lower()})") from None
        if not existed:
            path.unlink(missing_ok=True)
        return text

    return parse


def track_arg(text: str):
    """A track flag: a seed (an integer >= 0) or a path to a JSON track file."""
    try:
        seed = int(text)
    except ValueError:
        return text
    if seed < 0:
        raise argparse.ArgumentTypeError(f"expected a seed >= 0 or a JSON track file, got {seed}")
    return seed


def env_kwargs(args) -> dict:
    kw = dict(camera=args.camera, camera_size=args.camera_size, split=args.split, level=args.level)
    if getattr(args, "track", None) is not None:
        kw["track"] = args.track
    for name in ("observation", "action", "grayscale"):
        if getattr(args, name, None) is not None:
            kw[name] = getattr(args, name)
    kw["rays"], kw["ray_fov_deg"] = getattr(args, "rays", None), getattr(args, "ray_fov", None)
    if None in (kw["rays"], kw["ray_fov_deg"]) and hasattr(args, "model"):  # the fan the network was trained with
        fan = model_fan(model_arg(args))
        if fan is not None:
            kw["rays"] = fan[0] if kw["rays"] is None else kw["rays"]
            kw["ray_fov_deg"] = fan[1] if kw["ray_fov_deg"] is None else kw["ray_fov_deg"]
    return kw


def model_meta(model: str) -> dict:
    """A checkpoint's (or ONNX export's) metadata, read once per command however many flags
    ask (and again when the file changes)."""
    try:
        stamp = os.stat(model).st_mtime_ns
    except OSError:
        stamp = None  # load_policy says what is wrong with the path
    return _meta(str(model), stamp)


@lru_cache(maxsize=8)
def _meta(model: str, stamp) -> dict:
    from agent.drivers.policy import load_policy

    return load_policy(model).meta


def model_fan(spec) -> tuple[int, float] | None:
    """(rays, fan width [deg]) of the sensors a checkpoint was trained with; None for the
    experts or a model that reads no sensors."""
    if not spec.is_model:
        return None
    meta = model_meta(spec.path)
    if "sensors" not in meta.get("input", {}).get("keys", ()):
        return None
    sensors = meta["env"]["sensors"]
    return int(sensors["n_rays"]), math.degrees(sensors["fov_rad"])


def env_config(args):
    """The EnvConfig the flags describe (what datasets store)."""
    from sim.env import DrivingEnv

    kw = env_kwargs(args)
    kw.pop("track", None)
    return DrivingEnv(**kw).config


def add_layout_flags(p: argparse.ArgumentParser) -> None:
    from sim.config import ACTIONS, OBSERVATIONS

    p.add_argument("--observation", choices=OBSERVATIONS, default="both", help="what is recorded (default: both)")
    p.add_argument(
        "--action",
        choices=ACTIONS,
        default="steer",
        help="steering only (cruise control) or steering and throttle (default: steer)",
    )
    p.add_argument("--grayscale", action="store_true", default=None, help="grayscale camera frames")


def add_world_flags(p: argparse.ArgumentParser, track: bool = True, seed: bool = True, split: str = "train") -> None:
    """The flags that shape the world; `track` and `seed` only for commands that use them."""
    if track:
        p.add_argument(
            "--track",
            type=track_arg,
            default=None,
            help="a seed (integer >= 0) or a JSON track file; default: a random track of --split",
        )
    from sim.config import CAMERA_MODES, SPLITS
    from sim.levels import LEVELS

    p.add_argument(
        "--level",
        choices=tuple(LEVELS),
        default="school",
        help="how hard the world is: "
        + "; ".join(LEVELS)
        + " (default: school; `run_sim.py levels` lists what each changes)",
    )
    p.add_argument(
        "--split",
        choices=tuple(SPLITS),
        default=split,
        help="seed range for random tracks, and at levels with disjoint splits the range of conditions (default: "
        f"{split})",
    )
    p.add_argument("--camera", choices=CAMERA_MODES, default="dashcam", help="camera mode (default: dashcam)")
    p.add_argument(
        "--camera-size",
        type=int_in(8, 1024),
        default=64,
        metavar="PX",
        help="camera width and height in pixels, 8-1024 (default: 64)",
    )
    p.add_argument(
        "--rays",
        type=int_in(1, 360),
        default=None,
        metavar="N",
        help="distance sensors: N rays, 1-360 (default: 9, or the model's)",
    )
    p.add_argument(
        "--ray-fov",
        type=float_in(1, 360),
        default=None,
        metavar="DEG",
        help="the rays fan evenly over DEG degrees, 1-360 (default: 180, or the model's)",
    )
    if seed:
        p.add_argument("--seed", type=int_in(0), default=0, help="seed for the env's random choices (default: 0)")


BUNDLED_CAMERA_MODEL = Path(__file__).resolve().parents[2] / "assets" / "models" / "camera.pt"


DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def add_workers_flag(p: argparse.ArgumentParser, default: int | None = None, help: str | None = None) -> None:
    """--workers: the processes a command spreads its driving over (agent.workers)."""
    p.add_argument(
        "--workers",
        type=int_in(1, 64),
        default=DEFAULT_WORKERS if default is None else default,
        help=help or "processes (default: 2 or the cores there are)",
    )


def add_video_flags(p: argparse.ArgumentParser, what: str, every: int) -> None:
    """--video FILE, --video-every K and --video-width PX (`agent.windows.video.save_video`)."""
    p.add_argument(
        "--video",
        type=out_file(".mp4", ".gif"),
        default=None,
        metavar="FILE",
        help=f"MP4 (.mp4) or GIF (.gif) of {what}",
    )
    p.add_argument(
        "--video-every", type=int_in(1), default=every, metavar="K", help=f"keep every K-th frame (default: {every})"
    )
    p.add_argument(
        "--video-width",
        type=int_in(64, 4096),
        default=None,
        metavar="PX",
        help="video width in pixels, 64-4096 (default: 400 for a GIF, full size for an MP4)",
    )


def model_arg(args):
    """Who drives (an `agent.drivers.spec.DriverSpec`): --driver expert or expert-blind, else
    the checkpoint --model names, else the bundled camera model."""
    from agent.drivers.spec import DriverSpec

    driver = getattr(args, "driver", None)
    if driver in ("expert", "expert-blind") and args.model is None:
        return DriverSpec(driver)
    return DriverSpec.model(args.model or BUNDLED_CAMERA_MODEL)


def has_display() -> bool:
    return bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("SDL_VIDEODRIVER")
    ) or sys.platform in ("win32", "darwin")


def add_knob_flags(p: argparse.ArgumentParser, settings: type, skip: tuple[str, ...] = ()) -> None:
    """One flag per field of a knob dataclass (`agent.learn.knobs.knob`), from what the field
    declares: its help, choices and bounds."""
    from dataclasses import MISSING, fields

    for f in fields(settings):
        if f.name in skip:
            continue
        flag, meta = "--" + f.name.replace("_", "-"), f.metadata
        default = f.default if f.default is not MISSING else None
        help_text = meta["help"] + ("" if default is None else f" (default: {default})")
        if isinstance(default, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)
            continue
        kind = {"int": int, "float": float}.get(str(f.type).split(" ")[0].replace("None", "").strip("| "), str)
        if meta["bounds"] is not None:  # checked where the flag enters
            lo, hi = meta["bounds"]
            kind = int_in(lo, hi) if kind is int else float_in(lo, hi)
        p.add_argument(flag, type=kind, default=default, choices=meta["choices"], help=help_text)
