"""DAgger (Ross, Gordon and Bagnell 2011): label the states the policy itself visits.

Behavioural cloning only sees the expert's states, so a small error takes the car where
it has no data. Each DAgger round lets the current network drive (mixed with the
expert with probability beta, decaying per round), labels every visited state with the
expert's steering, appends those frames to the dataset (source "dagger", round kept),
retrains from the previous weights and evaluates on test tracks. Plain behavioural
cloning given the same number of frames runs beside it for comparison.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from agent.data.dataset import Dataset, DatasetWriter, EpisodeWriter
from agent.data.record import RecordSettings, record_episodes, record_expert
from agent.drivers.expert import Expert
from agent.drivers.policy import NetworkDriver
from agent.drivers.spec import DriverSpec
from agent.grade.evaluate import eval_tracks, evaluate_parallel
from agent.grade.results import write_json
from agent.learn.train import TrainArgs, train
from models import checkpoint
from sim.config import SPLITS
from sim.levels import with_level

COLUMNS = [
    "round",
    "method",
    "beta",
    "frames",
    "val_steer_error",
    "lap_completion",
    "autonomy_pct",
    "interventions_per_km",
]


@dataclass(frozen=True)
class DaggerSettings:
    rounds: int = 3
    episodes: int = 6  # new training tracks driven per round
    steps: int = 1000  # per episode
    beta: float = 0.5  # chance the expert drives a step in round 1; beta = 1 is pure expert
    beta_decay: float = 0.5  # beta is multiplied by this each round
    epochs: int = 6  # retraining epochs per round
    eval_tracks: int = 20
    laps: int = 2
    seed: int = 0
    baseline: bool = True  # train plain behavioural cloning on as many frames each round
    workers: int = 2
    level: str | None = None  # where the rounds drive and are evaluated; None: the dataset's level


class MixedDriver:
    """A driver (`agent.drivers.spec`): each step and car, the expert's steering with
    probability beta, else the network's."""

    def __init__(self, policy, beta: float, rng: np.random.Generator):
        self.network, self.expert = NetworkDriver(policy), Expert()
        self.beta, self.rng = beta, rng
        self.keys, self.name = self.network.keys, f"dagger (beta {beta:.3f})"

    def steer(self, world, obs) -> np.ndarray:
        steer = self.network.steer(world, obs)
        return np.where(self.rng.random(world.n) < self.beta, self.expert.steer(world), steer)


def _drive_new_tracks(
    out: str | Path,
    config,
    settings: DaggerSettings,
    round: int,
    driver_for,
    source: str,
    salt: int = 0,
    keep=None,
    **meta,
) -> int:
    """Drive `settings.episodes` new training tracks with `driver_for(rng)`, labelling
    with the expert, and append the recorded frames to the dataset at `out`; returns the
    frames added."""
    ds = DatasetWriter(out, config)
    rng = np.random.default_rng([settings.seed, salt + round])
    seeds = SPLITS["train"]
    tracks = rng.choice(len(seeds), size=settings.episodes, replace=False) + seeds.start
    tasks = [(int(t), int(rng.integers(2**31))) for t in tracks]
    entries = [ds.new_episode(f"seed {t}", source, round=round, **meta) for t, _ in tasks]
    writers = [
        EpisodeWriter(ds.root, e["id"], lambda *chunk, e=e: ds.add_chunk(e, *chunk), config.dt_s) for e in entries
    ]
    record_episodes(
        config,
        tasks,
        RecordSettings(steps=settings.steps),
        writers,
        driver=driver_for(rng),
        source=source,
        round=round,
        keep=keep,
    )
    for e in entries:
        ds.finish(e)
    return sum(w.frames for w in writers)


def collect(data: str | Path, model: str | Path, beta: float, settings: DaggerSettings, round: int) -> int:
    """One DAgger round's driving: appends the labelled frames to `data`; returns frames added."""
    from agent.drivers.policy import NeuralPolicy

    config = dataset_config(data, settings)
    policy = NeuralPolicy(model, config)
    return _drive_new_tracks(
        data, config, settings, round, lambda rng: MixedDriver(policy, beta, rng), "dagger", beta=beta
    )


def dataset_config(data: str | Path, settings: DaggerSettings):
    """The env of the dataset's recordings, at `settings.level` if one is given."""
    config = Dataset(data).env_config
    return config if settings.level is None else with_level(config, settings.level)


def _model_kind(meta: dict) -> tuple[str, str | None]:
    keys = tuple(meta["input"]["keys"])
    kind = "both" if len(keys) == 2 else keys[0]
    return kind, meta["camera_arch"] if kind != "sensors" else meta["sensor_arch"]


def run(model: str, data: str, out: str | Path, settings: DaggerSettings, log=print) -> list[dict]:
    """The DAgger loop from `model` (trained on `data`); returns the per-round table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _, meta = checkpoint.load(model)
    kind, arch = _model_kind(meta)
    config = dataset_config(data, settings)
    tracks = eval_tracks(settings.eval_tracks, "test")

    def drive(path) -> dict:
        return evaluate_parallel(
            DriverSpec.model(path), config, tracks, settings.laps, workers=settings.workers
        ).summary

    def row(round_, method, beta, frames, val, summary) -> dict:
        r = {
            "round": round_,
            "method": method,
            "beta": round(beta, 3),
            "frames": frames,
            "val_steer_error": round(val, 4),
            "lap_completion": summary["lap_completion_rate"],
            "autonomy_pct": summary["autonomy_pct"],
            "interventions_per_km": summary["interventions_per_km"],
        }
        log(" ".join(f"{k}={v}" for k, v in r.items()))
        return r

    start_frames = Dataset(data).frames
    base_val = meta.get("metrics", {}).get("steer_mae", float("nan"))
    first = drive(model)
    rows = [row(0, "dagger", 1.0, start_frames, base_val, first)]
    if settings.baseline:
        rows.append(row(0, "bc", 1.0, start_frames, base_val, first))
        bc_data = out / "bc_data"
        if not (bc_data / "dataset.json").exists():
            import shutil

            shutil.copytree(data, bc_data)
    current = model
    import time

    start = time.perf_counter()

    def say(what: str) -> None:  # a round takes minutes: say what it is doing
        log(f"[{time.perf_counter() - start:6.0f} s] {what}")

    for r in range(1, settings.rounds + 1):
        beta = settings.beta * settings.beta_decay ** (r - 1)
        say(
            f"round {r}/{settings.rounds}: the network drives {settings.episodes} tracks (expert at beta={beta:.3f}), "
            "the expert labels"
        )
        collect(data, current, beta, settings, r)
        say(f"round {r}/{settings.rounds}: retraining for {settings.epochs} epochs, then {len(tracks)} test tracks")
        args = TrainArgs(
            datasets=[str(data)],
            model=kind,
            arch=arch,
            resume=str(current),
            epochs=settings.epochs,
            seed=settings.seed,
            out=str(out / f"dagger_round{r}.pt"),
            patience=settings.epochs,
        )
        summary = train(args, progress=False, log=lambda *a: None)
        current = args.out
        rows.append(row(r, "dagger", beta, Dataset(data).frames, summary["best"]["steer_mae"], drive(current)))
        if settings.baseline:  # as many new frames of plain expert driving, from scratch
            say(f"round {r}/{settings.rounds}: behavioural cloning on as many frames, for comparison")
            record_expert(
                bc_data,
                config,
                RecordSettings(
                    episodes=settings.episodes,
                    steps=settings.steps,
                    seed=settings.seed * 1000 + r,
                    dart_sigma=0.0,
                    workers=settings.workers,
                ),
            )
            bc = TrainArgs(
                datasets=[str(bc_data)],
                model=kind,
                arch=arch,
                epochs=settings.epochs * 2,
                seed=settings.seed,
                out=str(out / f"bc_round{r}.pt"),
                patience=settings.epochs * 2,
            )
            s = train(bc, progress=False, log=lambda *a: None)
            rows.append(row(r, "bc", 1.0, Dataset(bc_data).frames, s["best"]["steer_mae"], drive(bc.out)))
    write_results(rows, out, settings)
    return rows


def write_results(rows: list[dict], out: Path, settings: DaggerSettings) -> None:
    import csv

    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    with open(out / "dagger.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    write_json(out / "dagger.json", {"settings": asdict(settings), "rounds": rows})
    fig = Figure(figsize=(10, 3.6))
    ax = fig.subplots(1, 2)
    for method, style in (("dagger", "o-"), ("bc", "s--")):
        rs = [r for r in rows if r["method"] == method]
        if not rs:
            continue
        label = "DAgger" if method == "dagger" else "behavioural cloning (same frames)"
        ax[0].plot([r["frames"] for r in rs], [r["autonomy_pct"] for r in rs], style, label=label)
        ax[1].plot([r["frames"] for r in rs], [r["interventions_per_km"] for r in rs], style, label=label)
    ax[0].set(xlabel="training frames", ylabel="autonomy %", title="autonomy on unseen test tracks")
    ax[1].set(xlabel="training frames", ylabel="interventions per km", title="interventions")
    ax[0].legend()
    fig.tight_layout()
    fig.savefig(out / "dagger.png", dpi=90)


# ------------------------------------------------------------------------ HG-DAgger
class GatedTakeover:
    """A driver (`agent.drivers.spec`): the expert standing in for a person watching the
    network drive, taking over when the car is more than `take_m` off the centre line and
    handing back within `back_m`."""

    def __init__(self, policy, n: int, take_m: float = 1.5, back_m: float = 0.3):
        self.network, self.expert = NetworkDriver(policy), Expert()
        self.keys, self.name = self.network.keys, "takeover"
        self.take_m, self.back_m = take_m, back_m
        self.active = np.zeros(n, dtype=bool)
        self.takeovers = 0

    def steer(self, world, obs) -> np.ndarray:
        steer = self.network.steer(world, obs)
        off = np.abs(world.lateral)
        now = np.where(self.active, off > self.back_m, off > self.take_m)
        self.takeovers += int((now & ~self.active).sum())
        self.active = now
        return np.where(now, self.expert.steer(world), steer)

    def keep(self) -> np.ndarray:
        return self.active.copy()


def collect_takeovers(
    model: str | Path, out: str | Path, config, settings: DaggerSettings, round: int = 1
) -> tuple[int, int]:
    """Let the network drive new training tracks; record only the takeovers (source
    "takeover") into the dataset at `out`. Returns (takeovers, frames recorded)."""
    from agent.drivers.policy import NeuralPolicy

    gate = GatedTakeover(NeuralPolicy(model, config), settings.episodes)
    frames = _drive_new_tracks(out, config, settings, round, lambda rng: gate, "takeover", salt=1000, keep=gate.keep)
    return gate.takeovers, frames
