"""`run_sim.py drive`: drive yourself in a window, and record."""

from __future__ import annotations

from agent.cli.common import add_layout_flags, add_world_flags, env_kwargs, has_display, int_in
from agent.drivers.styles import DEFAULT_STYLE, MODES, STYLES

HELP = "drive yourself in a window, and record"
DESCRIPTION = (
    "Drive the car yourself. Keys: arrows/WASD steer (up/down throttle and brake with --action steer+throttle), "
    "R pauses/resumes recording, P pauses, Backspace discards an episode, Esc or closing the window quits and saves. "
    "The car waits, with 'press an arrow to start' over the view, until you first steer; with --record DIR, "
    "recording starts then (a red REC badge counts this episode and the dataset; --no-autostart waits for R). "
    "Keyboard styles: ramp (the default) - holding a key turns the steering slowly at first, then faster, toward "
    "a lock that shrinks as speed rises (a tap is a small correction, a held key takes the tightest curve), and "
    "releasing returns it to centre; wheel - the arrows turn a wheel that holds its angle, Space centres it; "
    "arcade - the old ramp, full lock in 0.35 s at any speed (twitchy at cruise). "
    "Leaving the road stops the car on a new track until the next key press (keys still down from the crash are "
    "ignored until released); the last 1.5 s before it is marked as a crash and left out of training "
    "(train --keep-crashes keeps it), and Backspace before you drive on (or within 2 s) discards that whole episode."
)


def add_arguments(p) -> None:
    add_world_flags(p)
    add_layout_flags(p)
    p.add_argument(
        "--controls",
        choices=MODES,
        default="keyboard",
        help="keyboard (default), mouse (moving sideways from where the pointer starts steers; Space re-centres) or "
        "gamepad (axis 0)",
    )
    p.add_argument(
        "--style",
        choices=STYLES,
        default=DEFAULT_STYLE,
        help=f"keyboard steering (default {DEFAULT_STYLE}, chosen by benchmarks/bench_controls.py): ramp turns slowly "
        "at first and reaches less lock as speed rises; wheel holds its angle when the keys are up (Space "
        "centres it); arcade is the old twitchy ramp",
    )
    p.add_argument(
        "--record", default=None, metavar="DIR", help="dataset folder to record into (appends when it exists)"
    )
    p.add_argument("--no-autostart", action="store_true", help="do not record until R is pressed")
    p.add_argument("--max-frames", type=int_in(1), default=None, metavar="N", help="stop after N steps")


def run(args) -> int:
    import gymnasium as gym

    from agent.drivers.human import HumanControls
    from agent.windows.drive import drive
    from sim import ENV_ID  # registers it

    if not has_display():
        raise RuntimeError("drive needs a window and no display was found (set DISPLAY, or run under Xvfb)")
    env = gym.make(ENV_ID, render_mode="human", **env_kwargs(args))
    controls = HumanControls(mode=args.controls, style=args.style)
    stats = drive(
        env,
        controls,
        record_dir=args.record,
        max_frames=args.max_frames,
        record_from_start=not args.no_autostart,
        seed=args.seed,
    )
    env.close()
    msg = f"drove {stats.steps} steps"
    if args.record:
        msg += (
            f"; {stats.episodes_saved} episode(s) saved, {stats.episodes_discarded} discarded; {args.record} now "
            f"holds {stats.recorded} frames"
        )
    print(msg)
    return 0
