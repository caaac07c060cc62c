"""`run_sim.py drive`: drive yourself in a window, and record."""

from __future__ import annotations

from agent.cli.common import int_in, env_kwargs, add_layout_flags, add_world_flags, has_display

HELP = "drive yourself in a window, and record"
DESCRIPTION = "Drive the car yourself. Keys: arrows/WASD steer (up/down throttle and brake with --action steer+throttle), R toggles recording, P pauses, Backspace discards the current episode, Esc or closing the window quits and saves. Holding a steering key ramps the wheel smoothly; release returns it to centre."


def add_arguments(p) -> None:
    add_world_flags(p)
    add_layout_flags(p)
    p.add_argument("--controls", choices=("keyboard", "mouse", "gamepad"), default="keyboard", help="keyboard (default), mouse (horizontal position over the map steers) or gamepad (axis 0)")
    p.add_argument("--record", default=None, metavar="DIR", help="dataset folder to record into (appends when it exists)")
    p.add_argument("--no-autostart", action="store_true", help="do not record until R is pressed")
    p.add_argument("--max-frames", type=int_in(1), default=None, metavar="N", help="stop after N steps")


def run(args) -> int:
    import gymnasium as gym

    import sim  # noqa: F401
    from agent.drive import drive
    from agent.human import HumanControls

    if not has_display():
        raise RuntimeError("drive needs a window and no display was found (set DISPLAY, or run under Xvfb)")
    env = gym.make("DriveLab-v0", render_mode="human", **env_kwargs(args))
    controls = HumanControls(mode=args.controls)
    stats = drive(env, controls, record_dir=args.record, max_frames=args.max_frames, record_from_start=not args.no_autostart, seed=args.seed)
    env.close()
    msg = f"drove {stats.steps} steps"
    if args.record:
        msg += f"; {stats.episodes_saved} episode(s) saved, {stats.episodes_discarded} discarded; {args.record} now holds {stats.recorded} frames"
    print(msg)
    return 0
