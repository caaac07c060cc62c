"""Knob sweeps on Ray Tune: every combination of the lecture's knobs, data sizes and levels.

A search space is a small JSON or YAML file naming knobs and the values to try:

    {"arch": ["tiny", "pilotnet"], "episodes": [4, 8, 16], "level": ["weather"]}

`plan` turns it into trials: every combination (grid), or `samples` random draws, each
knob picked uniformly from its list by a seeded generator (the same plan every run). A
knob left out keeps the lecture's value (`DEFAULTS`). Each trial records expert data (or
reuses the recording another trial with the same data knobs made), trains, evaluates on
the test split and reports to Tune: driving score, lap completion, validation error,
parameters, training frames and time.

A trial with `learner: rl` learns by PPO from its `reward` file instead (`run_sim.py rl`, the
`rl` extra): no recording; `rl_steps` environment steps on `cars` cars.

Ray only schedules: what a trial does is `run_trial`, the same code as `run_sim.py record`,
`train` and `eval`, so a sweep's row equals the row of the same three commands by hand
(same seeds).

Where things run and land (one laptop or a cluster):
- the driver (this process) writes the plan, records the datasets the trials will share
  into OUT/data, starts Tune and writes the results table and plot into OUT;
- each trial runs in a Ray worker with `cpus_per_trial` cores (its torch threads); it
  reads its recording from OUT/data (recording it there itself, under a lock, if the
  folder is missing, as on a node that does not share OUT's disk);
- the trained checkpoint is reported to Tune as a Tune Checkpoint, which Tune copies into
  its storage (OUT/tune/TRIAL/checkpoint_000000); the driver collects them into OUT/models.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agent.grade.results import write_json
from agent.workers import connect, require_ray  # noqa: F401  (require_ray: for the command line)

# the lecture's budget (agent.docs.lecture.Budget, full): a sweep row with these values is a lecture row
DEFAULTS = {
    "level": "school",
    "episodes": 24,
    "steps": 1000,
    "dart": 0.15,
    "model": "camera",
    "arch": "tiny",
    "epochs": 8,
    "lr": 1e-3,
    "batch_size": 256,
    "optimizer": "adam",
    "head": "regression",
    "seed": 0,
    "max_frames": None,
    "learner": "bc",
    "reward": "assets/rewards/progress.py",
    "rl_steps": 100_000,
    "cars": 16,
}
RL_KNOBS = ("reward", "rl_steps", "cars")  # only rl trials read these; bc trials read the rest
RECORD_SEED = 7  # the lecture's recordings
DATA_KNOBS = ("level", "episodes", "steps", "dart")  # what decides the recording a trial trains on
UNFINISHED = "not finished (the sweep was stopped)"


class SpaceError(ValueError):
    """A search space that cannot be swept; the message is one line naming the file."""


@dataclass(frozen=True)
class Knob:
    kind: type  # int, float or str
    what: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()

    def check(self, value) -> str | None:
        """Why `value` is not a valid setting (None: it is)."""
        if self.kind is str:
            if not isinstance(value, str) or not value.strip():
                return f"expected {self.what}, got {value!r}"
            if self.choices and value not in self.choices:
                return f"expected one of {', '.join(self.choices)}, got {value!r}"
            return None
        bad = f"expected {self.what} from {self.lo:g} to {self.hi:g}, got {value!r}"
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return bad
        if isinstance(value, float) and not (math.isfinite(value) and (self.kind is float or value.is_integer())):
            return bad  # (an int of any size compares with the bounds as it is)
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            return bad
        return None


def _levels() -> tuple:
    from sim.levels import LEVELS

    return tuple(LEVELS)


KNOBS = {
    "level": Knob(str, "a level", choices=_levels()),
    "episodes": Knob(int, "an integer number of recorded expert episodes", 1, 10_000),
    "steps": Knob(int, "an integer number of steps per episode", 50, 100_000),
    "dart": Knob(float, "a DART noise level", 0.0, 1.0),
    "model": Knob(str, "what the network reads", choices=("camera", "sensors")),
    "arch": Knob(str, "a preset (tiny, pilotnet, alvinn, mlp) or a layer spec"),
    "epochs": Knob(int, "an integer number of epochs", 1, 1000),
    "lr": Knob(float, "a learning rate", 1e-12, 10.0),
    "batch_size": Knob(int, "an integer batch size", 1, 1 << 20),
    "optimizer": Knob(str, "an optimizer", choices=("adam", "sgd")),
    "head": Knob(str, "a head", choices=("regression", "classification")),
    "seed": Knob(int, "an integer training seed", 0, 2**31 - 1),
    "max_frames": Knob(int, "an integer number of training frames", 1, 10**9),
    "learner": Knob(str, "how it learns", choices=("bc", "rl")),
    "reward": Knob(str, "a reward file (for learner rl)"),
    "rl_steps": Knob(int, "an integer number of environment steps (for learner rl)", 1, 10**10),
    "cars": Knob(int, "an integer number of cars (for learner rl)", 1, 4096),
}


def load_space(path) -> dict[str, list]:
    """The knobs and values of a search-space file (.json, .yaml or .yml), checked."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise SpaceError(f"{path}: cannot read the search space ({e.strerror or e})") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            space = yaml.safe_load(text)
        else:
            space = json.loads(text)
    except Exception as e:  # json and yaml raise their own types; one line is what a person needs
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SpaceError(
            f"{path}: not valid {'YAML' if path.suffix.lower() in ('.yaml', '.yml') else 'JSON'} ({first})"
        ) from None
    if not isinstance(space, dict) or not space:
        raise SpaceError(
            f'{path}: expected an object of knobs and value lists, e.g. {{"arch": ["tiny", "pilotnet"], "episodes": '
            "[4, 8]}"
        )
    out = {}
    for name, values in space.items():
        if name not in KNOBS:
            raise SpaceError(f"{path}: unknown knob {name!r}; knobs are {', '.join(KNOBS)}")
        values = values if isinstance(values, list) else [values]  # a single value fixes the knob
        if not values:
            raise SpaceError(f"{path}: knob {name!r} has an empty list; give at least one value")
        for i, v in enumerate(values):
            problem = KNOBS[name].check(v)
            if problem is None and name == "arch":
                problem = _arch_problem(v)
            if problem is None and name == "reward":
                problem = _reward_problem(v)
            if problem:
                raise SpaceError(f"{path}: {name}[{i}]: {problem}")
        if len(set(map(json.dumps, values))) < len(values):
            raise SpaceError(f"{path}: knob {name!r} lists a value twice")
        out[name] = [int(v) if KNOBS[name].kind is int else v for v in values]
    for model in out.get("model", [DEFAULTS["model"]]):  # a combination every trial of the grid may meet
        for arch in out.get("arch", [DEFAULTS["arch"]]):
            problem = _pair_problem(model, arch)
            if problem:
                raise SpaceError(f"{path}: {problem}")
    return out


def _pair_problem(model: str, arch: str) -> str | None:
    """Why a network with `arch` cannot read `model`'s input (None: it can)."""
    from models.nets import parse

    spatial = [layer.kind for layer in parse(arch) if layer.kind in ("conv", "pool", "avgpool")]
    if model == "sensors" and spatial:
        return (
            f"model 'sensors' reads a vector of rays, but arch {arch!r} has {spatial[0]} layers (for camera frames); "
            "give the sensors trials an MLP arch (e.g. \"mlp\") or sweep model 'camera' only"
        )
    return None


def _reward_problem(path: str) -> str | None:
    from agent.learn.reward import RewardError, load_reward

    try:
        load_reward(path)
    except RewardError as e:
        return str(e)
    return None


def _arch_problem(spec: str) -> str | None:
    from models.nets import SpecError, parse, resolve_arch

    try:
        parse(resolve_arch(spec))
    except SpecError as e:
        return str(e)
    return None


def plan(space: dict[str, list], samples: int | None = None, seed: int = 0) -> list[dict]:
    """Trials (complete knob settings): the grid, or `samples` seeded random draws."""
    names = list(space)
    if samples is None:
        combos = [dict(zip(names, values)) for values in itertools.product(*(space[n] for n in names))]
    else:
        rng = np.random.default_rng(seed)
        combos = [{n: space[n][int(rng.integers(len(space[n])))] for n in names} for _ in range(samples)]
    trials = []
    for k, combo in enumerate(combos):
        trial = {**DEFAULTS, **combo}
        trial["name"] = (
            f"{k:03d} " + " ".join(f"{n}={_short(trial[n])}" for n in names if len(space[n]) > 1 or samples is not None)
            or f"{k:03d}"
        )
        trials.append(trial)
    return trials


def _short(value) -> str:
    from models.nets import PRESETS

    if isinstance(value, str):
        named = {v: k for k, v in PRESETS.items()}.get(value.strip())
        if value.endswith(".py"):  # a reward file: its name
            return Path(value).stem
        return named or value.replace(" ", "_")
    return f"{value:g}" if isinstance(value, float) else str(value)


# ----------------------------------------------------------------------------- a trial
def recording_dir(root, trial: dict) -> Path:
    """Where the recording for `trial`'s data knobs lives (shared by trials with the same ones)."""
    return Path(root) / "data" / f"{trial['level']}_e{trial['episodes']}_s{trial['steps']}_dart{trial['dart']:g}"


def env_config_for(trial: dict):
    from sim.config import EnvConfig
    from sim.levels import with_level

    return with_level(EnvConfig(), trial["level"])


def ensure_recording(root, trial: dict, workers: int = 1) -> Path:
    """The trial's recording, recorded now if absent (one process records; others wait for it)."""
    import fcntl

    from agent.data.record import RecordSettings, record_expert

    path = recording_dir(root, trial)
    done = path / "complete"
    if done.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            if path.exists():  # a recording cut short: start it again
                shutil.rmtree(path)
            settings = RecordSettings(
                episodes=trial["episodes"],
                steps=trial["steps"],
                seed=RECORD_SEED,
                dart_sigma=trial["dart"],
                workers=workers,
            )
            record_expert(path, env_config_for(trial), settings)
            done.write_text("")
    return path


def run_trial(trial: dict, root, tracks: int, laps: int, threads: int = 1, out_model=None) -> dict:
    """Record (or reuse), train, evaluate: the row a sweep reports for one trial."""
    import torch

    from agent.drivers.spec import DriverSpec
    from agent.grade.evaluate import eval_tracks, evaluate, make_driver
    from agent.learn.train import TrainArgs, train
    from sim.jit import cap_threads

    torch.set_num_threads(threads)
    cap_threads(threads)  # the world's large batches too: a trial keeps to its cores
    out_model = Path(out_model or Path(root) / "models" / "model.pt")
    if trial.get("learner", "bc") == "rl":
        return _rl_trial(trial, tracks, laps, threads, out_model)
    data = ensure_recording(root, trial, workers=threads)
    args = TrainArgs(
        datasets=[str(data)], out=str(out_model), model=trial["model"], arch=trial["arch"],
        epochs=trial["epochs"], patience=trial["epochs"], lr=trial["lr"], batch_size=trial["batch_size"],
        optimizer=trial["optimizer"], head=trial["head"], seed=trial["seed"], max_frames=trial["max_frames"],
        threads=threads,
    )  # fmt: skip
    start = time.perf_counter()
    summary = train(args, progress=False, log=lambda *a: None)
    train_s = time.perf_counter() - start
    config = env_config_for(trial)
    start = time.perf_counter()
    drive = evaluate(
        make_driver(DriverSpec.model(out_model), config), config, eval_tracks(tracks, "test"), laps
    ).summary
    return {
        "driving_score": drive["driving_score"],
        "driving_score_ci95": drive["driving_score_ci95"],
        "lap_completion": drive["lap_completion_rate"],
        "infractions_per_km": drive["infractions_per_km"],
        "val_steer_error": round(summary["best"]["steer_mae"], 4),
        "baseline_steer_error": round(summary["baseline_steer_mae"], 4),
        "parameters": summary["parameters"],
        "train_frames": summary["train_frames"],
        "epochs_run": len(summary["history"]),
        "train_s": round(train_s, 1),
        "eval_s": round(time.perf_counter() - start, 1),
    }


def _rl_trial(trial: dict, tracks: int, laps: int, threads: int, out_model: Path) -> dict:
    """PPO from the trial's reward file (`run_sim.py rl`), evaluated like a bc trial. Its
    `train_frames` are environment steps; it has no validation error."""
    from agent.drivers.spec import DriverSpec
    from agent.grade.evaluate import eval_tracks, evaluate, make_driver
    from agent.learn.reward import require_sb3
    from agent.learn.rl import RLArgs, train_rl

    require_sb3()
    arch = None if trial["arch"] == DEFAULTS["arch"] and trial["model"] == "sensors" else trial["arch"]
    args = RLArgs(
        reward=trial["reward"], level=trial["level"], observation=trial["model"], arch=arch, steps=trial["rl_steps"],
        cars=trial["cars"], seed=trial["seed"], out=str(out_model.parent / "rl"), eval_every=10**12, eval_tracks=1,
        threads=threads,
    )  # fmt: skip
    start = time.perf_counter()
    result = train_rl(args, progress=False, log=lambda *a: None)
    train_s = time.perf_counter() - start
    shutil.copyfile(result["model"], out_model)
    shutil.rmtree(out_model.parent / "rl")
    config = env_config_for(trial)
    start = time.perf_counter()
    drive = evaluate(make_driver(DriverSpec.model(out_model), config), config, eval_tracks(tracks, "test"), laps)
    drive = drive.summary
    return {
        "driving_score": drive["driving_score"],
        "driving_score_ci95": drive["driving_score_ci95"],
        "lap_completion": drive["lap_completion_rate"],
        "infractions_per_km": drive["infractions_per_km"],
        "val_steer_error": None,
        "baseline_steer_error": None,
        "parameters": sum(p.numel() for p in checkpoint_model(out_model).parameters()),
        "train_frames": result["steps"],
        "epochs_run": None,
        "train_s": round(train_s, 1),
        "eval_s": round(time.perf_counter() - start, 1),
    }


def checkpoint_model(path):
    from models import checkpoint

    return checkpoint.load(path)[0]


def _tune_trial(config: dict, root: str, tracks: int, laps: int, threads: int) -> None:
    """What a Ray worker runs: one trial, its metrics and checkpoint reported to Tune."""
    from ray import tune

    trial = config["knobs"]
    with tempfile.TemporaryDirectory() as tmp:
        metrics = run_trial(trial, root, tracks, laps, threads, Path(tmp) / "model.pt")
        for f in Path(tmp).glob("model.*.tmp"):
            f.unlink()
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(tmp))


# ----------------------------------------------------------------------------- the sweep
def saved_plan(out) -> dict:
    """The plan a sweep in OUT was started with (OUT/plan.json): its trials, tracks, laps and
    cores per trial; a one-line error when OUT holds no sweep."""
    out = Path(out).resolve()
    path = out / "plan.json"
    if not path.exists():
        raise RuntimeError(f"--resume: {out} holds no sweep to resume (no plan.json)")
    try:
        plan = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise RuntimeError(
            f"--resume: {path}: unreadable ({str(e).splitlines()[0]}); start the sweep again in another --out"
        ) from None
    shape = {"trials": list, "tracks": int, "laps": int, "cpus_per_trial": int}
    wrong = [
        k
        for k, kind in shape.items()
        if not isinstance(plan, dict) or not isinstance(plan.get(k), kind) or isinstance(plan.get(k), bool)
    ]
    if (
        wrong
        or not plan["trials"]
        or not all(isinstance(t, dict) and isinstance(t.get("name"), str) for t in plan["trials"])
    ):
        raise RuntimeError(
            f"--resume: {path}: not a sweep plan (expected {', '.join(shape)}; {wrong[0] if wrong else 'trials'} is "
            "missing or wrong); "
            "start the sweep again in another --out"
        )
    return plan


def finished(out, trials: list[dict]) -> int:
    """How many of the trials have a checkpoint in OUT (they are kept on --resume)."""
    return sum((Path(out) / "tune" / slug(t["name"]) / "checkpoint_000000").exists() for t in trials)


def run_sweep(
    trials: list[dict] | None,
    out,
    tracks: int = 20,
    laps: int = 2,
    cpus_per_trial: int = 1,
    resume: bool = False,
    address: str | None = None,
    cpus: int | None = None,
    log=print,
    bar=None,
) -> list[dict]:
    """Run (or `resume`) the trials with Ray Tune; returns one row per trial and writes
    OUT/results.csv, OUT/results.json and OUT/sweep.png."""
    out = Path(out).resolve()
    plan_file = out / "plan.json"
    if resume:
        saved = saved_plan(out)
        trials, tracks, laps, cpus_per_trial = saved["trials"], saved["tracks"], saved["laps"], saved["cpus_per_trial"]
    elif (out / "tune").exists():
        raise RuntimeError(f"--out {out}: already holds a sweep; --resume continues it, or choose another --out")
    connect(address, cpus)  # before anything is written: an unreachable cluster leaves no half-made sweep
    if not resume:
        write_json(plan_file, {"trials": trials, "tracks": tracks, "laps": laps, "cpus_per_trial": cpus_per_trial})
    import ray

    try:
        return _tune(ray, trials, out, tracks, laps, cpus_per_trial, resume, address, log, bar)
    finally:
        ray.shutdown()  # a command's Ray ends with it (its idle workers would hold memory and cores)


def _tune(
    ray, trials, out: Path, tracks: int, laps: int, cpus_per_trial: int, resume: bool, address, log, bar
) -> list[dict]:
    from ray import tune

    if not address:  # on one machine, record what the trials share first, with all cores
        for key, trial in {recording_dir(out, t): t for t in trials if t.get("learner", "bc") == "bc"}.items():
            if not (key / "complete").exists():
                log(f"recording {trial['episodes']} expert episodes at {trial['level']} ({key.name})")
                ensure_recording(out, trial, workers=max(1, int(ray.cluster_resources().get("CPU", 1))))
    trainable = tune.with_resources(
        tune.with_parameters(_tune_trial, root=str(out), tracks=tracks, laps=laps, threads=cpus_per_trial),
        {"cpu": cpus_per_trial},
    )
    _SINK.update(bar=bar, log=log)
    if resume:  # Tune keeps the RunConfig (our _Progress callback included) in the experiment folder
        tuner = tune.Tuner.restore(str(out / "tune"), trainable, restart_errored=True)
    else:
        tuner = tune.Tuner(
            trainable,
            param_space={"knobs": tune.grid_search(trials)},
            tune_config=tune.TuneConfig(metric="driving_score", mode="max", trial_dirname_creator=_trial_dir),
            run_config=tune.RunConfig(
                name="tune",
                storage_path=str(out),
                verbose=0,
                callbacks=[_Progress()],
                failure_config=tune.FailureConfig(max_failures=0),
            ),
        )
    grid = tuner.fit()
    rows = collect(grid, out, trials)
    write_results(rows, out)
    return rows


def slug(name: str) -> str:
    """A trial's name as a file name: "003 arch=conv(8,3)_relu" -> "003_arch=conv8,3_relu"."""
    return name.replace("(", "").replace(")", "").replace(" ", "_").replace("/", "-")[:120]


def _trial_dir(trial) -> str:
    """A trial's folder under OUT/tune: its number and the knobs that vary ("003_arch=tiny_episodes=8")."""
    return slug(trial.config["knobs"]["name"])


try:  # a Tune callback when Ray is there; plain object otherwise (sweep then fails on connect)
    from ray.tune import Callback as _TuneCallback
except ImportError:  # pragma: no cover - only without the extra
    _TuneCallback = object


_SINK: dict = {"bar": None, "log": print}  # where _Progress reports (set by run_sweep, also after a restore)


class _Progress(_TuneCallback):
    """A progress bar over trials and one line per finished trial.

    It holds no state: Tune pickles it with the experiment, and a resumed sweep unpickles it.
    """

    def on_trial_complete(self, iteration, trials, trial, **info):
        r = trial.last_result or {}
        if "driving_score" in r:
            err = r.get("val_steer_error")
            _SINK["log"](
                f"{trial.config['knobs']['name']}: driving score {r['driving_score']:.1f}, val error {_err(err)}, "
                f"{r['parameters']:,} parameters, trained in {r['train_s']:.0f} s"
            )
        if _SINK["bar"] is not None:
            _SINK["bar"].update(1)

    def on_trial_error(self, iteration, trials, trial, **info):
        _SINK["log"](f"{trial.config['knobs']['name']}: FAILED (see {trial.local_path})")
        if _SINK["bar"] is not None:
            _SINK["bar"].update(1)


def collect(grid, out: Path, trials: list[dict]) -> list[dict]:
    """One row per planned trial from Tune's results; each checkpoint copied to OUT/models/NAME.pt."""
    results = {r.config["knobs"]["name"]: r for r in grid if r.config}  # a trial never started has no config
    rows = []
    (out / "models").mkdir(exist_ok=True)
    for trial in trials:
        knobs = dict(trial)
        row = {"trial": knobs.pop("name"), **knobs}
        result = results.get(row["trial"])
        if result is not None and result.error is not None:
            rows.append({**row, "error": (str(result.error).strip().splitlines() or ["failed"])[-1][:200]})
            continue
        if result is None or result.checkpoint is None:  # stopped (Ctrl+C) before it reported
            rows.append({**row, "error": UNFINISHED})
            continue
        metrics = {
            k: result.metrics[k]
            for k in (
                "driving_score",
                "driving_score_ci95",
                "lap_completion",
                "infractions_per_km",
                "val_steer_error",
                "baseline_steer_error",
                "parameters",
                "train_frames",
                "epochs_run",
                "train_s",
                "eval_s",
            )
        }
        model = out / "models" / (slug(row["trial"]) + ".pt")
        with result.checkpoint.as_directory() as d:
            shutil.copyfile(Path(d) / "model.pt", model)
        rows.append({**row, **metrics, "model_path": str(model.relative_to(out))})
    return rows


def write_results(rows: list[dict], out: Path) -> None:
    out = Path(out)
    write_json(out / "results.json", rows)
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows([{k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows])
    plot(rows, out / "sweep.png")


def plot(rows: list[dict], path: Path) -> None:
    """Driving score against parameters and against training frames, and the validation
    error against training frames (it separates networks that all drive every lap); one
    colour per arch."""
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    ok = [r for r in rows if "driving_score" in r]
    fig = Figure(figsize=(14, 3.8))
    ax = fig.subplots(1, 3)
    archs = list(dict.fromkeys(_short(r["arch"]) for r in ok))
    colors = matplotlib.colormaps["tab10"]
    panels = (("parameters", "driving_score"), ("train_frames", "driving_score"), ("train_frames", "val_steer_error"))
    for k, arch in enumerate(archs):
        mine = [r for r in ok if _short(r["arch"]) == arch]
        for a, (x, y) in zip(ax, panels):
            have = [r for r in mine if r.get(y) is not None]  # rl trials have no validation error
            a.scatter([r[x] for r in have], [r[y] for r in have], color=colors(k % 10), label=arch[:40], s=30)
    ax[0].set(
        xscale="log",
        xlabel="parameters",
        ylabel="driving score (test tracks)",
        title="score against network size",
        ylim=(-2, 102),
    )
    ax[1].set(
        xscale="log",
        xlabel="training frames (rl: environment steps)",
        ylabel="driving score (test tracks)",
        title="score against data",
        ylim=(-2, 102),
    )
    ax[2].set(
        xscale="log",
        yscale="log",
        xlabel="training frames",
        ylabel="validation |steering error|",
        title="error against data",
    )
    if archs:
        ax[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def format_rows(rows: list[dict]) -> str:
    head = f"{'trial':<40} {'score':>6} {'laps':>5} {'val err':>8} {'params':>8} {'frames':>7} {'train s':>7}"
    lines = [head]
    for r in sorted(rows, key=lambda r: -r.get("driving_score", -1)):
        if "error" in r:
            lines.append(f"{r['trial'][:40]:<40} FAILED: {r['error'][:80]}")
        else:
            lines.append(
                f"{r['trial'][:40]:<40} {r['driving_score']:>6.1f} {100 * r['lap_completion']:>4.0f}% "
                f"{_err(r['val_steer_error']):>8} {r['parameters']:>8,} {r['train_frames']:>7,} {r['train_s']:>7.0f}"
            )
    return "\n".join(lines)


def _err(value) -> str:
    return "-" if value is None else f"{value:.4f}"
