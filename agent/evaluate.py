"""Closed-loop evaluation: drive many unseen tracks at once and measure how well.

Every track gets one car in a batched World (offroad="recover": leaving the road puts the
car back and counts an intervention, so one mistake does not end the run). The driver
acts for all cars at once: the expert through batched pure pursuit, a network through one
batched forward pass per step.

Metrics per episode: laps, whether all laps were done with no intervention, autonomy
(PilotNet: 1 - interventions * 6 s / elapsed time), interventions per km, mean and max
|lateral offset|, mean speed, steering jerk (mean |change of the steering command| per
second).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from agent.expert import ExpertParams, expert_steer
from sim.config import SPLITS, EnvConfig
from sim.env import resolve_track
from sim.world import World

SUMMARY_KEYS = ("episodes", "lap_completion_rate", "autonomy_pct", "interventions", "interventions_per_km", "mean_abs_offset_m", "mean_speed_mps")
INTERVENTION_PENALTY_S = 6.0  # PilotNet's autonomy metric counts 6 s per intervention


@dataclass
class EvalResult:
    summary: dict
    episodes: list[dict]
    trajectories: list[np.ndarray]  # per episode (steps, 3): x, y, lateral offset
    tracks: list

    def to_json(self) -> dict:
        return {"summary": self.summary, "episodes": self.episodes}


def eval_tracks(n: int, split: str = "test", files=()) -> list:
    """Track specs: the first n seeds of a split (the same every run), or the given files."""
    if files:
        return list(files)
    seeds = SPLITS[split]
    return [seeds.start + k for k in range(n)]


class ExpertBatch:
    """The expert acting for every car of a World."""

    name = "expert"
    keys = ("sensors",)  # it reads privileged geometry; the cheapest observation will do

    def __init__(self, params: ExpertParams = ExpertParams()):
        self.params = params

    def steer(self, world: World, obs) -> np.ndarray:
        c = world.car
        return expert_steer(world.trackset, c.x, c.y, c.heading, c.speed, world.s, world.config.car, self.params)


class PolicyBatch:
    """A NeuralPolicy acting for every car of a World (one forward pass per step)."""

    def __init__(self, policy):
        self.policy = policy
        self.name = policy.path
        self.keys = policy.spec.keys

    def steer(self, world: World, obs) -> np.ndarray:
        return self.policy.steer_batch({k: obs[k] for k in self.policy.spec.keys})


def evaluate(driver, config: EnvConfig, tracks: list, laps: int = 2, max_steps: int | None = None, bar=None) -> EvalResult:
    """Drive `laps` laps on every track at once; returns per-episode metrics and a summary."""
    keys = set(driver.keys)  # observe only what the driver reads
    config = replace(config, offroad="recover", observation="both" if len(keys) == 2 else next(iter(keys)))
    track_objs = [resolve_track(t, config.track) for t in tracks]
    n = len(track_objs)
    world = World(config, n)
    for i, t in enumerate(track_objs):
        world.set_track(i, t)
    world.reset_cars(np.arange(n))
    if max_steps is None:  # generous: twice the time the laps take at cruise speed
        max_steps = int(2 * laps * max(t.length_m for t in track_objs) / config.car.cruise_speed_mps / config.dt_s) + 300
    active = np.ones(n, dtype=bool)
    elapsed = np.zeros(n, dtype=np.int64)
    interventions = np.zeros(n, dtype=np.int64)
    abs_offset_sum = np.zeros(n)
    abs_offset_max = np.zeros(n)
    speed_sum = np.zeros(n)
    jerk_sum = np.zeros(n)
    last_steer = np.zeros(n)
    traj = np.zeros((max_steps, 3, n), dtype=np.float32)  # x, y, lateral offset per step
    throttle = None if config.action == "steer" else np.zeros(n)
    camera_only = keys == {"camera"}
    obs = world.observe()
    for step in range(max_steps):
        if camera_only and not active.all():  # finished cars need no frames or inference
            cars = np.flatnonzero(active)
            steer = np.zeros(n)
            steer[cars] = driver.steer(world, world.observe(cars=cars))
        else:
            steer = np.asarray(driver.steer(world, obs if step == 0 else world.observe()), dtype=np.float64)
        if throttle is not None:
            throttle = np.clip(0.5 * (config.car.cruise_speed_mps - world.car.speed), -1, 1)
        world.step(steer, throttle)
        # cars that finished keep driving (the batch stays whole) but stop counting
        a = active
        elapsed += a
        interventions = np.where(a, world.interventions, interventions)
        off = np.abs(world.lateral)
        abs_offset_sum += np.where(a, off, 0.0)
        abs_offset_max = np.where(a, np.maximum(abs_offset_max, off), abs_offset_max)
        speed_sum += np.where(a, world.car.speed, 0.0)
        if step > 0:
            jerk_sum += np.where(a, np.abs(steer - last_steer), 0.0)
        last_steer = steer
        traj[step, 0], traj[step, 1], traj[step, 2] = world.car.x, world.car.y, world.lateral
        active = a & (world.laps < laps)
        if bar is not None:
            bar.update(1)
        if not active.any():
            break
    episodes = []
    for i, t in enumerate(track_objs):
        seconds = elapsed[i] * config.dt_s
        km = max(float(world.progress[i]), 1e-9) / 1000
        episodes.append(
            {
                "track": t.name,
                "length_m": round(t.length_m, 1),
                "laps": int(min(world.laps[i], laps)),
                "completed": bool(world.laps[i] >= laps and interventions[i] == 0),
                "interventions": int(interventions[i]),
                "autonomy_pct": round(float(100 * max(0.0, 1 - interventions[i] * INTERVENTION_PENALTY_S / max(seconds, 1e-9))), 3),
                "interventions_per_km": round(interventions[i] / km, 4),
                "mean_abs_offset_m": round(abs_offset_sum[i] / max(elapsed[i], 1), 4),
                "max_abs_offset_m": round(float(abs_offset_max[i]), 4),
                "mean_speed_mps": round(speed_sum[i] / max(elapsed[i], 1), 3),
                "steering_jerk_per_s": round(jerk_sum[i] / max(seconds, 1e-9), 4),
                "seconds": round(seconds, 2),
            }
        )
    return EvalResult(summarize(episodes), episodes, [traj[: elapsed[i], :, i] for i in range(n)], track_objs)


def summarize(episodes: list[dict]) -> dict:
    total_km = sum(e["interventions"] / e["interventions_per_km"] for e in episodes if e["interventions_per_km"] > 0)
    total_km += sum(e["laps"] * e["length_m"] / 1000 for e in episodes if e["interventions_per_km"] == 0)
    interventions = sum(e["interventions"] for e in episodes)
    total_s = sum(e["seconds"] for e in episodes)
    return {
        "episodes": len(episodes),
        "lap_completion_rate": round(float(np.mean([e["completed"] for e in episodes])), 4),
        "autonomy_pct": round(float(100 * max(0.0, 1 - interventions * INTERVENTION_PENALTY_S / max(total_s, 1e-9))), 3),
        "interventions": int(interventions),
        "interventions_per_km": round(interventions / max(total_km, 1e-9), 4),
        "mean_abs_offset_m": round(float(np.mean([e["mean_abs_offset_m"] for e in episodes])), 4),
        "max_abs_offset_m": round(float(np.max([e["max_abs_offset_m"] for e in episodes])), 4),
        "mean_speed_mps": round(float(np.mean([e["mean_speed_mps"] for e in episodes])), 3),
        "steering_jerk_per_s": round(float(np.mean([e["steering_jerk_per_s"] for e in episodes])), 4),
    }


def format_table(result: EvalResult, limit: int = 20) -> str:
    rows = [f"{'track':<24} {'laps':>4} {'done':>5} {'interv':>6} {'autonomy%':>9} {'|off| m':>8} {'max m':>6} {'km/h':>6}"]
    for e in result.episodes[:limit]:
        rows.append(f"{e['track'][:24]:<24} {e['laps']:>4} {'yes' if e['completed'] else 'NO':>5} {e['interventions']:>6} {e['autonomy_pct']:>9.2f} {e['mean_abs_offset_m']:>8.2f} {e['max_abs_offset_m']:>6.2f} {e['mean_speed_mps'] * 3.6:>6.1f}")
    if len(result.episodes) > limit:
        rows.append(f"... {len(result.episodes) - limit} more episodes in the report")
    s = result.summary
    rows.append("")
    rows.append(
        f"{s['episodes']} episodes: lap completion {100 * s['lap_completion_rate']:.1f}%, autonomy {s['autonomy_pct']:.2f}%, "
        f"{s['interventions']} interventions ({s['interventions_per_km']:.3f}/km), mean |offset| {s['mean_abs_offset_m']:.2f} m, "
        f"mean speed {s['mean_speed_mps'] * 3.6:.1f} km/h"
    )
    return "\n".join(rows)


def plot_trajectories(result: EvalResult, path, max_tracks: int = 12) -> None:
    """Trajectories coloured by |lateral offset| over the track outlines; worst episodes first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = sorted(range(len(result.episodes)), key=lambda i: (-result.episodes[i]["interventions"], -result.episodes[i]["max_abs_offset_m"]))[:max_tracks]
    cols = min(4, len(order))
    rows = -(-len(order) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, order):
        t, e, tr = result.tracks[i], result.episodes[i], result.trajectories[i]
        ax.plot(*np.vstack([t.left_edge, t.left_edge[:1]]).T, color="0.4", lw=0.8)
        ax.plot(*np.vstack([t.right_edge, t.right_edge[:1]]).T, color="0.4", lw=0.8)
        if len(tr):
            sc = ax.scatter(tr[:, 0], tr[:, 1], c=np.abs(tr[:, 2]), s=1.5, cmap="turbo", vmin=0, vmax=t.width_m / 2)
            jumps = np.flatnonzero(np.abs(np.diff(tr[:, 2])) > 2.0)  # recoveries: where it went wrong
            ax.scatter(tr[jumps, 0], tr[jumps, 1], marker="x", color="red", s=60, zorder=3)
        ax.set_aspect("equal")
        ax.set_title(f"{e['track']}\n{e['interventions']} interventions, max |offset| {e['max_abs_offset_m']:.1f} m", fontsize=8)
    fig.colorbar(sc, ax=axes.ravel().tolist(), shrink=0.6, label="|lateral offset| [m] (red x: intervention)")
    fig.savefig(path, dpi=80)
    plt.close(fig)


def make_driver(model: str | None, config: EnvConfig):
    """The batched driver for `--driver expert` (model None) or a checkpoint path."""
    if model is None:
        return ExpertBatch()
    from agent.policy import NeuralPolicy

    return PolicyBatch(NeuralPolicy(model, config))


def _eval_chunk(args):
    model, config, tracks, laps = args
    if model is not None:
        import torch

        torch.set_num_threads(1)  # one core per worker process
    return evaluate(make_driver(model, config), config, tracks, laps)


def evaluate_parallel(model: str | None, config: EnvConfig, tracks: list, laps: int = 2, workers: int = 1, bar=None) -> EvalResult:
    """`evaluate` with the tracks split over `workers` processes (each a batch of its own).

    The bar advances by episodes as chunks finish.
    """
    make_driver(model, config)  # fail fast (bad checkpoint, env mismatch) before forking
    if workers <= 1 or len(tracks) < 2:
        result = evaluate(make_driver(model, config), config, tracks, laps)
        if bar is not None:
            bar.update(len(tracks))
        return result
    import multiprocessing as mp

    n_chunks = min(len(tracks), workers * 4)
    chunks = [tracks[k::n_chunks] for k in range(n_chunks)]  # interleaved: similar lengths per chunk
    # forkserver: workers start from a clean process, never from one whose torch threads
    # are running (forking those can deadlock)
    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    parts: dict[int, EvalResult] = {}
    with ctx.Pool(workers) as pool:
        for k, part in pool.imap_unordered(_indexed_chunk, [(k, (model, config, c, laps)) for k, c in enumerate(chunks)]):
            parts[k] = part
            if bar is not None:
                bar.update(len(part.episodes))
    episodes, trajs, objs = [None] * len(tracks), [None] * len(tracks), [None] * len(tracks)
    for k, part in parts.items():  # chunk k holds tracks k, k + n_chunks, k + 2 * n_chunks, ...
        for j in range(len(part.episodes)):
            i = k + j * n_chunks
            episodes[i], trajs[i], objs[i] = part.episodes[j], part.trajectories[j], part.tracks[j]
    return EvalResult(summarize(episodes), episodes, trajs, objs)


def _indexed_chunk(item):
    k, args = item
    return k, _eval_chunk(args)
