"""`run_sim.py levels`: the levels, what each changes, and contact sheets of what the camera sees."""

from __future__ import annotations

from pathlib import Path

from agent.cli.common import int_in

HELP = "list the levels (how hard the world is) with every parameter; --sheets draws their first frames"
DESCRIPTION = (
    "Levels are named presets of the world, easiest first. Pass one to any command that makes a world with --level "
    "NAME (or gym.make('DriveLab-v1', level=NAME)); datasets and checkpoints remember it. --sheets DIR writes one PNG "
    "per level (and per split where the splits' conditions differ) of the first camera frame of --frames episodes."
)


def add_arguments(p) -> None:
    p.add_argument("--sheets", default=None, metavar="DIR", help="write DIR/LEVEL.png contact sheets of first frames")
    p.add_argument(
        "--frames", type=int_in(1, 400), default=40, metavar="N", help="episodes per contact sheet (default: 40)"
    )
    p.add_argument(
        "--camera-size",
        type=int_in(8, 1024),
        default=64,
        metavar="PX",
        help="camera size of the sheets (default: 64, what networks see)",
    )


def run(args) -> int:
    from sim.levels import ABOUT, LEVELS, describe

    for name, level in LEVELS.items():
        print(f"{name}: {ABOUT[name]}")
        for line in describe(level):
            print(f"    {line}")
    if args.sheets:
        out = Path(args.sheets)
        out.mkdir(parents=True, exist_ok=True)
        for name, level in LEVELS.items():
            for split in ("train", "test") if level.disjoint_splits else ("train",):
                path = out / (f"{name}.png" if split == "train" else f"{name}-{split}.png")
                contact_sheet(name, split, args.frames, args.camera_size, path)
                print(f"wrote {path}")
    return 0


def contact_sheet(level: str, split: str, n: int, size: int, path: Path, cols: int = 8) -> None:
    """The first camera frame of episodes 0..n-1 (reset seeds) at `level` (at levels with
    obstacles, the view from 12 m before the first one), in a grid."""
    import numpy as np
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    from sim.env import DrivingEnv

    env = DrivingEnv(level=level, split=split, observation="camera", camera_size=size)
    frames = []
    for k in range(n):
        obs, _ = env.reset(seed=k)
        if env.track.obstacles:  # show the first obstacle, from 12 m before it
            s = env.track.obstacles[0].s_m - 12.0
            (x, y), h = env.track.point_at(s), float(env.track.heading_at(s))
            env.world.place(0, x, y, h, env.world.cruise[0])
            obs = env.world.observe()
            obs = {key: v[0] for key, v in obs.items()}
        frames.append(obs["camera"])
    what = "12 m before the first obstacle" if env.track.obstacles else "first frame"
    rows = -(-n // cols)
    grid = np.full((rows * (size + 2), cols * (size + 2), 3), 255, dtype=np.uint8)
    for k, f in enumerate(frames):
        r, c = divmod(k, cols)
        grid[r * (size + 2) : r * (size + 2) + size, c * (size + 2) : c * (size + 2) + size] = f
    fig = Figure(figsize=(cols * 1.1, rows * 1.1 + 0.5))
    ax = fig.subplots()
    ax.imshow(grid, interpolation="nearest")
    ax.axis("off")
    ax.set_title(
        f"level {level}, {split} split: {what} of {n} episodes ({size}x{size}, what the network sees)", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
