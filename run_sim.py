"""DriveLab command line: a thin layer over `sim` and `agent`.

    python run_sim.py watch --driver expert      the expert drives in a window
    python run_sim.py snapshot --out world.png   a rendered frame and camera views, headless
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _track_arg(text: str):
    """A track flag: an integer seed or a path to a JSON track file."""
    try:
        return int(text)
    except ValueError:
        return text


def _env_kwargs(args) -> dict:
    kw = dict(camera=args.camera, camera_size=args.camera_size, split=args.split)
    if args.track is not None:
        kw["track"] = args.track
    return kw


def _add_world_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--track", type=_track_arg, default=None, help="a seed (int) or a JSON track file; default: a random track of --split")
    p.add_argument("--split", choices=("train", "test"), default="train", help="seed range for random tracks (default: train)")
    p.add_argument("--camera", choices=("dashcam", "topdown"), default="dashcam", help="camera mode (default: dashcam)")
    p.add_argument("--camera-size", type=int, default=64, metavar="PX", help="camera width and height in pixels (default: 64)")
    p.add_argument("--seed", type=int, default=0, help="seed for the env's random choices (default: 0)")


def cmd_watch(args) -> int:
    import gymnasium as gym
    import numpy as np

    import sim  # noqa: F401  (registers DriveLab-v0)
    from agent.expert import ExpertDriver

    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("SDL_VIDEODRIVER")) or sys.platform in ("win32", "darwin")
    if not has_display and args.max_frames is None:
        raise RuntimeError("no display found; run headless with --max-frames N (and --video FILE.gif to see it)")
    mode = "rgb_array" if (args.video or not has_display) else "human"
    env = gym.make("DriveLab-v0", render_mode=mode, offroad="recover", **_env_kwargs(args))
    driver = ExpertDriver(env)
    obs, info = env.reset(seed=args.seed)
    frames = []
    n = 0
    try:
        while args.max_frames is None or n < args.max_frames:
            obs, reward, terminated, truncated, info = env.step(driver.act(obs))
            n += 1
            if mode == "rgb_array" and args.video and n % args.video_every == 0:
                frames.append(env.render())
            if terminated or truncated:
                obs, info = env.reset()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        env.close()
    print(f"{n} steps, lap {info['lap']}, {info['progress_m']:.0f} m, {info['interventions']} interventions on {info['track']}")
    if args.video and frames:
        import imageio.v3 as iio

        iio.imwrite(args.video, np.stack(frames), duration=1000 * args.video_every / 30, loop=0)
        print(f"wrote {args.video} ({len(frames)} frames)")
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
    from dataclasses import replace

    views = []
    for mode in ("dashcam", "topdown"):
        lens = bind(make_camera(replace(u.config.camera, mode=mode)), u.raster)
        frame = render_frames(lens, np.array([u.car.x]), np.array([u.car.y]), np.array([u.car.heading]))[0]
        views.append(np.kron(frame, np.ones((4, 4, 1), dtype=np.uint8)))
    cams = out.with_name(out.stem + "_camera.png")
    iio.imwrite(cams, np.concatenate([views[0], np.full((views[0].shape[0], 8, 3), 255, np.uint8), views[1]], axis=1))
    env.close()
    print(f"wrote {out} and {cams}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_sim.py",
        description="DriveLab: teach a car to drive with deep learning. Each command has its own --help.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("watch", help="watch a driver in a pygame window", description="Watch a driver on a track in a pygame window. Esc or closing the window quits.")
    _add_world_flags(p)
    p.add_argument("--driver", choices=("expert",), default="expert", help="who drives (default: expert)")
    p.add_argument("--max-frames", type=int, default=None, metavar="N", help="stop after N steps (default: run until closed); headless when there is no display")
    p.add_argument("--video", default=None, metavar="FILE", help="save a GIF of the run (needs --max-frames)")
    p.add_argument("--video-every", type=int, default=2, metavar="K", help="keep every K-th frame in the video (default: 2)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("snapshot", help="save a rendered frame and the camera views as PNG (headless)", description="Drive the expert for --steps steps, then save the window picture and the dashcam/top-down camera views.")
    _add_world_flags(p)
    p.add_argument("--out", default="snapshot.png", help="PNG file for the window picture; the camera views go beside it as *_camera.png")
    p.add_argument("--steps", type=int, default=90, help="steps the expert drives before the picture (default: 90)")
    p.set_defaults(func=cmd_snapshot)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "video", None) and args.max_frames is None:
        print("run_sim.py watch: --video needs --max-frames N", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ValueError, OSError, RuntimeError) as e:  # bad input: one line, no traceback
        print(f"run_sim.py {args.command}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
