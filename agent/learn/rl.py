"""Learning from reward: PPO (Stable-Baselines3) on a batch of cars, from the student's reward file.

The policy is a DrivingNet, the same network `train` fits by imitation: its tanh output is
the mean of a Gaussian over the steering, whose spread (`log_std`) PPO learns too. The
critic, which estimates the reward to come, is a second DrivingNet of the same layers with
a plain output (sensors), or one more neuron on the actor's last hidden layer (a camera:
the ConvNet's passes are then shared, as SB3 does for images). The actor alone is saved
as a DriveLab checkpoint, so `watch`, `eval`, `race`, `export` and `dagger` take it like
any other; its deterministic (mean) action drives.

`CarsVecEnv` gives SB3 every car of one batched world (`gymnasium.make_vec`) in one call,
restarting a car within the step that ended its episode (SB3's convention). It calls the
reward file once per car per step (`agent.learn.reward`).

Stable-Baselines3 is the `rl` extra; `agent.learn.ppo` holds what needs it (the adapter and
the policy), imported only when training starts.
"""

from __future__ import annotations

import csv
import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from agent.learn.knobs import DEFAULT_RL_CAMERA_ARCH, RLArgs
from agent.learn.reward import RewardError, RewardFn, load_reward
from models import checkpoint
from models.nets import parse
from models.preprocess import InputSpec, input_spec_for

STATE = "ppo.zip"  # SB3's whole state (critic, optimiser, step count), for --resume
MODEL = "model.pt"  # the actor as a DriveLab checkpoint


def env_kwargs(args: RLArgs, fan: tuple[int, float] | None = None) -> dict:
    """DrivingEnv arguments for training: the level, what is observed, the fan; two laps an episode."""
    rays, fov = args.rays, args.ray_fov
    if fan is not None:
        rays, fov = rays or fan[0], fov or fan[1]
    return dict(level=args.level, observation=args.observation, rays=rays, ray_fov_deg=fov, max_laps=2, split="train")


# ------------------------------------------------------------------------------------------- training


def _archs(args: RLArgs, init_meta: dict | None) -> tuple[str | None, str | None]:
    if init_meta is not None:  # the checkpoint's layers
        return init_meta.get("camera_arch"), init_meta.get("sensor_arch")
    keys = ("camera", "sensors") if args.observation == "both" else (args.observation,)
    camera = (args.arch or DEFAULT_RL_CAMERA_ARCH) if "camera" in keys else None
    sensors = (
        (args.arch or args.sensor_arch)
        if args.observation == "sensors"
        else (args.sensor_arch if "sensors" in keys else None)
    )
    for spec in (camera, sensors):
        if spec:
            parse(spec)
    return camera, sensors


def _checked_init(path: str, config) -> tuple:
    """The --init checkpoint (model, meta), refused when its layout does not fit `config`."""
    model, meta = checkpoint.load(path)
    problems = checkpoint.env_mismatches(meta, config.to_dict())
    keys = set(InputSpec.from_dict(meta["input"]).keys)
    wanted = {"both": {"camera", "sensors"}}.get(config.observation, {config.observation})
    if keys != wanted:
        problems.insert(0, f"the model reads {', '.join(sorted(keys))} but --observation is {config.observation}")
    if meta.get("head") != "regression":
        problems.append(f"head {meta.get('head')!r} (model) vs 'regression' (a policy's mean steering)")
    if problems:
        raise checkpoint.CheckpointError(f"--init {path}: does not fit this run: {'; '.join(problems)}")
    return model, meta


def checkpoint_meta(args: RLArgs, policy, config, reward_fn: RewardFn, steps: int, metrics: dict | None) -> dict:
    """The actor's checkpoint metadata: what any DriveLab checkpoint holds, and the run's reward."""
    return {
        "camera_arch": policy.camera_arch,
        "sensor_arch": policy.sensor_arch,
        "head": "regression",
        "bins": 21,
        "input": policy.input_spec,
        "env": config.to_dict(),
        "train_args": asdict(args),
        "parameters": sum(p.numel() for p in policy.actor.parameters()),
        "rl": {
            "algorithm": "PPO (Stable-Baselines3)",
            "reward_file": reward_fn.path,
            "reward_text": reward_fn.text,
            "reward_sha256": reward_fn.sha256,
            "steps": int(steps),
            "level": config.level.name,
            "init": args.init,
        },
        "metrics": metrics or {},
    }


CURVE_FIELDS = (
    "steps",
    "wall_s",
    "train_s",
    "driving_score",
    "lap_completion_rate",
    "collisions_per_km",
    "mean_abs_offset_m",
    "episode_return",
)


def plot_curve(csv_path: Path, png_path: Path, title: str) -> None:
    """Driving score against steps, with the wall clock on a second axis."""
    from matplotlib.figure import Figure

    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    steps = np.array([float(r["steps"]) for r in rows])
    wall = np.array([float(r["wall_s"]) for r in rows])
    fig = Figure(figsize=(7, 4), dpi=100)
    ax = fig.add_subplot()
    ax.plot(steps, [float(r["driving_score"]) for r in rows], "o-", label="driving score")
    ax.plot(steps, [100 * float(r["lap_completion_rate"]) for r in rows], "s--", label="laps completed %")
    ax.set_xlabel("environment steps (all cars)")
    ax.set_ylabel("score / %")
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_xlim(0, max(steps.max(), 1))
    s0, w0 = (steps, wall) if steps[0] == 0 else (np.concatenate([[0.0], steps]), np.concatenate([[0.0], wall]))
    if len(s0) > 1 and np.all(np.diff(s0) > 0) and np.all(np.diff(w0) > 0):
        unit, per = ("min", 60.0) if wall[-1] >= 120 else ("s", 1.0)
        top = ax.secondary_xaxis(
            "top",
            functions=(
                lambda s: np.interp(s, s0, w0) / per,
                lambda t: np.interp(np.asarray(t) * per, w0, s0),
            ),
        )
        top.set_xlabel(f"wall clock [{unit}]")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(png_path)


def _k(steps: int) -> str:
    """Steps as the bar writes them: 0, 800, 51k, 1.2M."""
    if steps < 1000:
        return str(steps)
    return f"{steps / 1000:.0f}k" if steps < 1_000_000 else f"{steps / 1e6:.1f}M"


def _bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="step", unit_scale=True, disable=not enabled, dynamic_ncols=True)


def _linear(lr: float):
    """SB3's learning-rate schedule falling from `lr` to 0 as the run goes on."""

    def schedule(progress_remaining: float) -> float:
        return lr * progress_remaining

    return schedule


def train_rl(args: RLArgs, progress: bool = True, log=print) -> dict:
    """Run PPO as `args` says; returns the last evaluation's summary and where things went."""
    import gymnasium as gym
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    import sim
    from agent.drivers.policy import NetworkDriver, NeuralPolicy
    from agent.grade.evaluate import eval_tracks, evaluate
    from agent.learn.ppo import CarsVecEnv, DrivingPolicy

    reward_fn = load_reward(args.reward)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: is a file; expected a folder for model.pt, curve.csv and the rest")
    state = out / STATE
    if args.resume and not state.is_file():
        raise ValueError(f"--resume: {out} holds no run to go on from (no {STATE}); leave out --resume to start one")
    if not args.resume and state.is_file():
        raise ValueError(
            f"--out {out} already holds a run ({STATE}); add --resume to go on with it, or pick another --out"
        )
    init_model = init_meta = None
    fan = None
    if args.init:
        probe_meta = checkpoint.load(args.init)[1]  # its fan decides the env's sensors
        s = probe_meta["env"]["sensors"]
        fan = (int(s["n_rays"]), math.degrees(s["fov_rad"]))
    venv = gym.make_vec(
        sim.ENV_ID, num_envs=args.cars, vectorization_mode="vector_entry_point", **env_kwargs(args, fan)
    )
    base = venv.unwrapped
    config = base.config
    if config.action != "steer":
        raise ValueError("rl learns steering with cruise control (action steer)")
    if args.init:
        init_model, init_meta = _checked_init(args.init, config)
    camera_arch, sensor_arch = _archs(args, init_meta)
    keys = ("camera", "sensors") if args.observation == "both" else (args.observation,)
    spec = InputSpec.from_dict(init_meta["input"]) if init_meta else input_spec_for(config, keys)
    threads = args.threads or (1 if args.observation == "sensors" else None)
    if threads:
        torch.set_num_threads(threads)
    cars = CarsVecEnv(base, reward_fn)
    out.mkdir(parents=True, exist_ok=True)
    run_file = out / "run.json"
    if args.resume:
        saved = json.loads(run_file.read_text())
        if saved.get("reward_sha256") != reward_fn.sha256:
            raise ValueError(
                f"--resume: {out} learned from {saved.get('reward_file')} "
                f"(sha256 {saved.get('reward_sha256', '?')[:12]}), not from {args.reward} as it is now; "
                "use a new --out for a new reward"
            )
        model = PPO.load(state, env=cars, device="cpu")
        done_before = model.num_timesteps
    else:
        # from a cloned policy: less noise and smaller steps (measured in bench_rl: at 3e-4 and -1,
        # camera_cones.pt fell from 100 to 27 on 20 test tracks in 32,768 steps; at 3e-5 and -1.5, to 89)
        log_std = args.log_std if args.log_std is not None else (-1.5 if args.init else 0.0)
        lr = args.lr if args.lr is not None else (3e-5 if args.init else 3e-4)
        model = PPO(
            DrivingPolicy,
            cars,
            learning_rate=lr if args.lr_schedule == "constant" else _linear(lr),
            n_steps=args.rollout,
            batch_size=args.batch_size,
            n_epochs=args.epochs,
            gamma=args.gamma,
            seed=args.seed,
            device="cpu",
            tensorboard_log=str(out / "tb"),
            policy_kwargs=dict(
                input_spec=spec.to_dict(),
                camera_arch=camera_arch,
                sensor_arch=sensor_arch,
                log_std_init=log_std,
                # a cloned actor keeps its trunk to itself: the critic's first, large errors would rewrite it
                shared=args.critic == "shared" or (args.critic == "auto" and "camera" in keys and not args.init),
            ),
        )
        if init_model is not None:
            model.policy.actor.load_state_dict(init_model.state_dict())
        done_before = 0
        run_file.write_text(
            json.dumps(
                {"reward_file": reward_fn.path, "reward_sha256": reward_fn.sha256, "args": asdict(args)}, indent=1
            )
        )
    policy = model.policy
    curve_csv, curve_png, model_path = out / "curve.csv", out / "curve.png", out / MODEL
    if not curve_csv.exists() or not args.resume:
        with open(curve_csv, "w", newline="") as f:
            csv.writer(f).writerow(CURVE_FIELDS)
    wall_before = train_before = 0.0
    if args.resume:
        with open(curve_csv) as f:
            rows = list(csv.DictReader(f))
        if rows:
            wall_before, train_before = float(rows[-1]["wall_s"]), float(rows[-1]["train_s"])
    tracks = eval_tracks(args.eval_tracks, "test")
    t0 = time.perf_counter()
    last = {"metrics": None, "eval_s": 0.0}
    title = f"PPO, {Path(reward_fn.path).name}, {args.level}, {args.observation}, {args.cars} cars, seed {args.seed}"

    def save(steps: int, metrics: dict | None) -> None:
        checkpoint.save(model_path, policy.actor, checkpoint_meta(args, policy, config, reward_fn, steps, metrics))

    def evaluation(steps: int) -> dict:
        t_eval = time.perf_counter()
        save(steps, last["metrics"])
        driver = NetworkDriver(NeuralPolicy(model_path, config))
        summary = evaluate(driver, config, tracks, laps=2).summary
        episodes = [e["r"] for e in model.ep_info_buffer] if model.ep_info_buffer else []
        row = {
            "steps": steps,
            "wall_s": round(wall_before + time.perf_counter() - t0, 2),
            "train_s": round(train_before + t_eval - t0 - last["eval_s"], 2),  # the time evaluations took left out
            "driving_score": summary["driving_score"],
            "lap_completion_rate": summary["lap_completion_rate"],
            "collisions_per_km": summary["collisions_per_km"],
            "mean_abs_offset_m": summary["mean_abs_offset_m"],
            "episode_return": round(float(np.mean(episodes)), 3) if episodes else "",
        }
        with open(curve_csv, "a", newline="") as f:
            csv.writer(f).writerow([row[k] for k in CURVE_FIELDS])
        plot_curve(curve_csv, curve_png, title)
        metrics = {**summary, "steps": steps, "eval_tracks": len(tracks)}
        last["metrics"] = metrics
        save(steps, metrics)
        last["eval_s"] += time.perf_counter() - t_eval
        return metrics

    if not args.resume:
        evaluation(0)  # where it starts: a random network, or the --init checkpoint
    per_update = args.rollout * args.cars
    warmup = args.critic_warmup if args.critic_warmup is not None else (8_192 if args.init else 0)
    warm_until = 0 if args.resume else warmup  # (a resumed run's critic has learned already)
    bar = _bar(-(-args.steps // per_update) * per_update, progress)  # PPO collects whole rollouts

    class Watch(BaseCallback):
        """The bar (steps/s, episode return, laps per episode) and an evaluation every --eval-every steps.

        An evaluation runs as a rollout starts, after the update that learned from the steps
        so far, so each row of the curve is the policy that learned from its `steps`."""

        def __init__(self):
            super().__init__()
            self.next_eval = done_before + args.eval_every
            self.last_steps = done_before

        def _on_rollout_start(self) -> None:
            steps = self.model.num_timesteps
            if steps >= self.next_eval:
                while self.next_eval <= steps:
                    self.next_eval += args.eval_every
                evaluation(steps)

        def _on_rollout_end(self) -> None:
            # the update after this rollout: the policy learns too once the warm-up is over
            learns = self.model.num_timesteps > warm_until
            for p in [*policy.actor.parameters(), policy.log_std]:
                p.requires_grad_(learns)

        def _on_step(self) -> bool:
            steps = self.model.num_timesteps
            bar.update(steps - self.last_steps)
            self.last_steps = steps
            buf = self.model.ep_info_buffer
            if buf and self.n_calls % 20 == 0:
                bar.set_postfix(
                    ret=f"{np.mean([e['r'] for e in buf]):.1f}",
                    laps=f"{np.mean([e.get('laps', 0) for e in buf]):.2f}",
                    # the last evaluation's driving score, and after how many steps ("87@50k")
                    score=f"{last['metrics']['driving_score']:.0f}@{_k(last['metrics']['steps'])}"
                    if last["metrics"]
                    else "-",
                    refresh=False,
                )
            return True

    try:
        model.learn(
            total_timesteps=args.steps,
            callback=Watch(),
            reset_num_timesteps=not args.resume,
            tb_log_name="ppo",
            progress_bar=False,
        )
    except RewardError as e:
        bar.close()
        save(model.num_timesteps, last["metrics"])
        model.save(state)
        raise RewardError(f"{e}; the checkpoint so far is kept in {model_path}") from None
    finally:
        bar.close()
    steps = model.num_timesteps
    metrics = evaluation(steps)
    model.save(state)
    elapsed = time.perf_counter() - t0
    log(
        f"learned from {steps - done_before:,} steps in {elapsed:.0f} s "
        f"({(steps - done_before) / elapsed:,.0f} steps/s); "
        f"driving score {metrics['driving_score']:.1f}, laps completed {100 * metrics['lap_completion_rate']:.0f}% on "
        f"{len(tracks)} test tracks; wrote {model_path}, {curve_csv}, {curve_png}, {out / 'tb'}"
    )
    return {"metrics": metrics, "model": str(model_path), "steps": steps, "seconds": elapsed}
