"""`run_sim.py rl`: learn to drive from a reward the student writes (PPO, Stable-Baselines3)."""

from __future__ import annotations

HELP = "learn to drive from a reward function you write (reinforcement learning, PPO)"
DESCRIPTION = (
    "Reinforcement learning: no expert, no recordings. The car drives, a Python file you write says how good each "
    "step was (reward(params) -> float; assets/rewards/ has seven to start from, DeepRacer's names in params), and "
    "PPO (Stable-Baselines3) adjusts the same networks `train` uses to earn more of it. Every --eval-every steps the "
    "policy drives --eval-tracks test tracks; the driving score goes to OUT/curve.csv and OUT/curve.png, SB3's logs to "
    "OUT/tb (tensorboard --logdir OUT/tb). OUT/model.pt is a DriveLab checkpoint: watch, eval, race, export and "
    "dagger take it. Needs the `rl` extra."
)


def add_arguments(p) -> None:
    from agent.cli.common import add_knob_flags
    from agent.learn.knobs import RLArgs

    add_knob_flags(p, RLArgs)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from dataclasses import fields

    from agent.learn.knobs import RLArgs
    from agent.learn.reward import load_reward, require_sb3

    rargs = RLArgs(**{f.name: getattr(args, f.name) for f in fields(RLArgs)})
    load_reward(rargs.reward)  # a mistake in the reward file is said at once, before torch and SB3 load
    require_sb3()
    from agent.learn.rl import train_rl

    train_rl(rargs, progress=not args.quiet)
    return 0
