"""Knobs: a learner's settings declared once, as dataclass fields that carry their own help,
choices and bounds. The command line builds each flag from them (`agent.cli.common.add_knob_flags`)
and `check_knobs` refuses a value outside them, wherever the settings came from.

`TrainArgs` (behavioural cloning, `train`) and `RLArgs` (learning from reward, `rl`) live
here, with no torch: the command line lists their flags without loading it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from models.spec import DEFAULT_SENSOR_ARCH
from sim.config import check_int, check_real
from sim.levels import LEVELS


def knob(default, help: str, *, choices: tuple | None = None, bounds: tuple | None = None, factory=None):
    """A field declared once: its default, its help, its choices and its (lowest, highest)
    bounds (None: unbounded); the command line builds each flag from these."""
    meta = {"help": help, "choices": choices, "bounds": bounds}
    return (
        field(default_factory=factory, metadata=meta) if factory is not None else field(default=default, metadata=meta)
    )


def check_knobs(settings) -> None:
    """Raise ValueError naming the first field of `settings` outside its choices or bounds."""
    for f in fields(settings):
        value, choices, bounds = getattr(settings, f.name), f.metadata["choices"], f.metadata["bounds"]
        if choices is not None and value not in choices:
            raise ValueError(f"{f.name}={value!r}: expected one of {', '.join(choices)}")
        if bounds is None or value is None:
            continue
        lo, hi = bounds
        if isinstance(lo, int):
            check_int(f.name, value, lo, hi)
        else:
            check_real(f.name, value, lo)
            if hi is not None and value > hi:
                raise ValueError(f"{f.name}={value}: expected a number from {lo} to {hi}")


MODEL_INPUTS = ("camera", "sensors", "both")  # what a network reads
HEADS = ("regression", "classification")
LOSSES = ("mse", "huber")
OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class TrainArgs:
    """Everything `train` takes; `run_sim.py train --FLAG` for each field (see `knob`)."""

    datasets: list[str] = knob(
        None, "dataset folders recorded with the same env layout, or one Minari dataset as minari:ID", factory=list
    )
    model: str = knob("camera", "what the network reads", choices=MODEL_INPUTS)
    arch: str | None = knob(
        None,
        "a preset (pilotnet, tiny, alvinn, mlp) or a layer spec such as 'conv(8,5,2) relu pool(2) fc(32) relu'; "
        "default pilotnet (camera) or mlp (sensors)",
    )
    sensor_arch: str = knob(DEFAULT_SENSOR_ARCH, "the sensor branch of a --model both network")
    head: str = knob(
        "regression",
        "regression (tanh output, squared error) or classification (softmax over steering bins, log-loss)",
        choices=HEADS,
    )
    bins: int = knob(21, "steering bins of the classification head", bounds=(2, 1001))
    loss: str = knob("mse", "regression loss: mse or huber", choices=LOSSES)
    epochs: int = knob(20, "passes over the training frames", bounds=(1, None))
    batch_size: int = knob(256, "frames per gradient step", bounds=(1, 1 << 20))
    lr: float = knob(1e-3, "learning rate: the size of each step down the mountain", bounds=(1e-12, 10.0))
    optimizer: str = knob("adam", "sgd (plain gradient descent: w -= lr * gradient) or adam", choices=OPTIMIZERS)
    momentum: float = knob(0.0, "sgd only: momentum (0 is plain gradient descent)", bounds=(0.0, 0.999))
    weight_decay: float = knob(0.0, "L2 penalty on the weights", bounds=(0.0, 1.0))
    seed: int = knob(0, "seeds the split, the weights and the batches", bounds=(0, None))
    val_frac: float = knob(
        0.15, "fraction of episodes held out for validation (never single frames)", bounds=(0.0, 0.9)
    )
    patience: int = knob(5, "stop after this many epochs without a lower validation loss", bounds=(1, None))
    flip: bool = knob(True, "augment: mirror frames left-right and negate the steering")
    jitter: float = knob(0.2, "augment: brightness/contrast jitter strength (0: none)", bounds=(0.0, 1.0))
    balance: bool = knob(True, "down-weight straight driving when sampling batches")
    crop_top: int | None = knob(
        None, "camera rows to crop from the top; default: the dashcam's sky rows", bounds=(0, None)
    )
    takeover_weight: float = knob(
        1.0, "weight of frames where a person took over (HG-DAgger); other frames weigh 1", bounds=(0.0, 1000.0)
    )
    resume: str | None = knob(None, "start from this checkpoint's weights (same architecture)")
    out: str = knob("runs/model.pt", "the best checkpoint; the loss curve and a JSON summary go beside it")
    device: str = knob("auto", "auto (CUDA when present), cpu or cuda", choices=DEVICES)
    threads: int | None = knob(None, "CPU threads; default: the cores there are", bounds=(1, 1024))
    max_frames: int | None = knob(
        None, "use at most this many training frames (seeded choice), for quick experiments", bounds=(1, None)
    )
    keep_crashes: bool = knob(
        False,
        "train on crash segments too (the driving before each exit from the road where a person drove; left out by "
        "default)",
    )
    skip_bad: bool = knob(
        False,
        "skip truncated or corrupt chunks (each is reported, and the frames left are counted) instead of stopping",
    )

    def __post_init__(self) -> None:
        check_knobs(self)
        if self.arch is not None and not self.arch.strip():
            raise ValueError("arch='': expected a preset (pilotnet, tiny, alvinn, mlp) or a layer spec")


REWARDS_DIR = Path(__file__).resolve().parents[2] / "assets" / "rewards"
DEFAULT_REWARD = REWARDS_DIR / "progress.py"
OBSERVATIONS = ("sensors", "camera", "both")
DEFAULT_RL_CAMERA_ARCH = "tiny"  # PPO's updates dominate a camera run: a small ConvNet (see docs/rl.md)


@dataclass
class RLArgs:
    """Everything `rl` takes; `run_sim.py rl --FLAG` for each field."""

    reward: str = knob(
        str(DEFAULT_REWARD), "a Python file defining reward(params) -> float (assets/rewards/ has seven)"
    )
    level: str = knob("school", "the level the car learns at", choices=tuple(LEVELS))
    observation: str = knob("sensors", "what the network reads", choices=OBSERVATIONS)
    arch: str | None = knob(
        None,
        "a preset (pilotnet, tiny, alvinn, mlp) or a layer spec, for the policy and the value network; default "
        f"{DEFAULT_SENSOR_ARCH} (sensors) or {DEFAULT_RL_CAMERA_ARCH} (camera)",
    )
    sensor_arch: str = knob(DEFAULT_SENSOR_ARCH, "the sensor branch of an --observation both network")
    rays: int | None = knob(
        None, "distance sensors: rays in the fan (default: 9, or the --init model's)", bounds=(1, 360)
    )
    ray_fov: float | None = knob(
        None, "the fan's width [degrees] (default: 180, or the --init model's)", bounds=(1.0, 360)
    )
    steps: int = knob(
        200_000,
        "environment steps to learn from (all cars together), rounded up to whole rollouts (--cars x --rollout)",
        bounds=(1, None),
    )
    cars: int = knob(16, "cars stepped together (PPO's parallel environments)", bounds=(1, 4096))
    seed: int = knob(0, "seeds the tracks, the network's first weights and PPO's sampling", bounds=(0, None))
    init: str | None = knob(None, "start the policy from this checkpoint (behaviour cloning, then RL)")
    out: str = knob("runs/rl", "folder for model.pt, curve.csv, curve.png, tb/ (TensorBoard) and ppo.zip")
    resume: bool = knob(False, "go on from the run in --out (its ppo.zip) for --steps more steps")
    eval_every: int = knob(
        50_000, "steps between evaluations (driving score on --eval-tracks test tracks, 2 laps)", bounds=(1, None)
    )
    eval_tracks: int = knob(10, "test tracks of each evaluation", bounds=(1, 1000))
    rollout: int = knob(128, "steps each car drives between updates (PPO's n_steps)", bounds=(2, 1 << 20))
    batch_size: int = knob(256, "samples per gradient step", bounds=(2, 1 << 20))
    epochs: int = knob(4, "passes over each rollout (PPO's n_epochs)", bounds=(1, 100))
    lr: float | None = knob(
        None,
        "learning rate (Adam); default 3e-4, or 3e-5 with --init (a cloned policy is unlearned fast)",
        bounds=(1e-12, 1.0),
    )
    lr_schedule: str = knob(
        "constant",
        "constant, or linear: the learning rate falls to 0 by the last of this run's --steps (late updates "
        "smaller, so a policy that has learned is not unlearned)",
        choices=("constant", "linear"),
    )
    gamma: float = knob(0.99, "discount: how much a reward one step later counts", bounds=(0.0, 1.0))
    critic: str = knob(
        "auto",
        "the value network: own (the policy's layers, its own weights) or shared (one neuron on the policy's last "
        "hidden layer); auto: shared for a camera from scratch, else own",
        choices=("auto", "own", "shared"),
    )
    critic_warmup: int | None = knob(
        None,
        "steps during which only the value network learns, the policy held still (default: 8,192 with --init, "
        "so a cloned policy is not moved by a critic that has not learned yet; else 0)",
        bounds=(0, None),
    )
    log_std: float | None = knob(
        None, "the steering noise's first log standard deviation (default: 0, or -1.5 with --init)", bounds=(-20.0, 2.0)
    )
    threads: int | None = knob(
        None, "torch CPU threads (default: 1 for sensors, all cores for a camera)", bounds=(1, 1024)
    )

    def __post_init__(self) -> None:
        check_knobs(self)
        if self.arch is not None and not self.arch.strip():
            raise ValueError("arch='': expected a preset (pilotnet, tiny, alvinn, mlp) or a layer spec")
