"""Closed-loop evaluation: drive many unseen tracks at once and measure how well.

Every track gets one car in a batched World (offroad="recover": leaving the road puts the
car back, and hitting an obstacle puts it past the obstacle, each counting an
intervention, so one mistake does not end the run). The driver
acts for all cars at once: the expert through batched pure pursuit, a network through one
batched forward pass per step.

Metrics per episode: laps, whether all laps were done with no intervention, autonomy
(PilotNet: 1 - interventions * 6 s / elapsed time), interventions per km, mean and max
|lateral offset|, mean speed, steering jerk (mean |change of the steering command| per
second), and a driving score in the style of the CARLA leaderboard:

    driving score = 100 * route completion * 0.65 ** (times off the road) * 0.6 ** (collisions)

where route completion is the share of the requested laps driven (net progress). The
penalties are CARLA's for the nearest infractions (0.65 for a collision with a static
object, 0.6 for one with a vehicle): leaving the road here is as bad as hitting a wall.
At levels that draw conditions per episode, episode k of a track meets the conditions of
a generator seeded by (track, k), the same every run.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from agent.drivers.expert import cruise_throttle
from agent.drivers.spec import DriverSpec, make_driver  # noqa: F401  (make_driver: also for callers of this module)
from agent.workers import process_context, run_pool
from sim.config import SPLITS, EnvConfig
from sim.env import resolve_track
from sim.levels import draw_conditions
from sim.world import World

SUMMARY_KEYS = (
    "episodes",
    "lap_completion_rate",
    "autonomy_pct",
    "interventions",
    "interventions_per_km",
    "mean_abs_offset_m",
    "mean_speed_mps",
    "driving_score",
    "driving_score_ci95",
    "infractions_per_km",
    "collisions",
    "collisions_per_km",
)
INTERVENTION_PENALTY_S = 6.0  # PilotNet's autonomy metric counts 6 s per intervention


def autonomy_pct(interventions: int, seconds: float) -> float:
    """PilotNet's autonomy: the share of the time driven [%] left after charging each
    intervention (a reset onto the road, a person's takeover) INTERVENTION_PENALTY_S."""
    return float(100 * max(0.0, 1 - interventions * INTERVENTION_PENALTY_S / max(seconds, 1e-9)))


OFFROAD_PENALTY = 0.65  # driving score factor per exit from the road
COLLISION_PENALTY = 0.6  # and per collision with an obstacle
BOOTSTRAP_SAMPLES = 2000


@dataclass
class EvalResult:
    summary: dict
    episodes: list[dict]
    trajectories: list[np.ndarray]  # per episode (steps, 3): x, y, lateral offset
    tracks: list
    # per batch of cars (one per worker process): seconds of driving it took, and of those the
    # seconds in the driver (the network's forward passes, preprocessing included)
    timing: dict = field(default_factory=lambda: {"batch_s": [], "driver_s": []})

    def to_json(self) -> dict:
        return {"summary": self.summary, "episodes": self.episodes, "timing": self.timing}


def eval_tracks(n: int, split: str = "test", files=()) -> list:
    """Track specs: the first n seeds of a split (the same every run), or the given files."""
    if files:
        return list(files)
    seeds = SPLITS[split]
    return [seeds.start + k for k in range(n)]


def episode_rng(spec, variant: int) -> np.random.Generator:
    """The generator of episode `variant` on track `spec` (a seed or a file): its conditions."""
    key = int(spec) if isinstance(spec, (int, np.integer)) else zlib.crc32(str(spec).encode())
    return np.random.default_rng([key, variant, 11])


PROGRESS_S = 1.0  # how often `evaluate` tells its bar [s of driving]
WORKER_BATCHES = 1  # batches per worker process: one, so every step's forward pass and
# world step serve as many cars as possible (at 4 batches per worker, 20 tracks ran in
# batches of 2-3 cars and took 1.6x as long)


def evaluate(
    driver,
    config: EnvConfig,
    tracks: list,
    laps: int = 2,
    max_steps: int | None = None,
    bar=None,
    split: str = "test",
    variants: list[int] | None = None,
    deadline: float | None = None,
) -> EvalResult:
    """Drive `laps` laps on every track at once; returns per-episode metrics and a summary.

    `variants[i]` (default 0) picks episode i's conditions (`episode_rng`) from `split`'s
    range, at levels that draw any. Past `deadline` (a time.monotonic() value) it raises
    TimeoutError: a race's limit on one model.
    `bar` (anything with `update(k)`, such as tqdm) advances by episodes, in fractions: the
    share of each episode's laps driven so far, every `PROGRESS_S` of driving.
    """
    keys = set(driver.keys)  # observe only what the driver reads
    config = replace(config, offroad="recover", observation="both" if len(keys) == 2 else next(iter(keys)))
    track_objs = [resolve_track(t, config.track) for t in tracks]
    variants = [0] * len(tracks) if variants is None else list(variants)
    n = len(track_objs)
    world = World(config, n)
    for i, t in enumerate(track_objs):
        world.set_track(i, t)
        world.set_conditions(
            i, draw_conditions(config.level, episode_rng(tracks[i], variants[i]), split, config.camera)
        )
    world.reset_cars(np.arange(n))
    if max_steps is None:  # generous: twice the time the laps take at the slowest cruise speed
        max_steps = int((2 * laps * max(t.length_m for t in track_objs) / world.cruise.min() + 10.0) / config.dt_s)
    progress_steps = max(1, round(PROGRESS_S / config.dt_s))
    active = np.ones(n, dtype=bool)
    elapsed = np.zeros(n, dtype=np.int64)
    interventions = np.zeros(n, dtype=np.int64)
    collisions = np.zeros(n, dtype=np.int64)
    abs_offset_sum = np.zeros(n)
    abs_offset_max = np.zeros(n)
    speed_sum = np.zeros(n)
    jerk_sum = np.zeros(n)
    last_steer = np.zeros(n)
    progress = np.zeros(n)  # net progress while counting [m]
    traj = np.zeros((max_steps, 3, n), dtype=np.float32)  # x, y, lateral offset per step
    throttle = None if config.action == "steer" else np.zeros(n)
    camera_only = keys == {"camera"}
    lap_m = laps * np.array([t.length_m for t in track_objs])  # each episode's route [m]
    shown = 0.0  # episodes the bar has been told of
    started, driver_s = time.perf_counter(), 0.0
    obs = world.observe()
    for step in range(max_steps):
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("the time for driving ran out")
        if camera_only and not active.all():  # finished cars need no frames or inference
            cars = np.flatnonzero(active)
            steer = np.zeros(n)
            seen = world.observe(cars=cars)
            t = time.perf_counter()
            steer[cars] = driver.steer(world, seen)
        else:
            seen = obs if step == 0 else world.observe()
            t = time.perf_counter()
            steer = np.asarray(driver.steer(world, seen), dtype=np.float64)
        driver_s += time.perf_counter() - t
        if throttle is not None:
            throttle = cruise_throttle(world.cruise, world.car.speed)
        world.step(steer, throttle)
        # cars that finished keep driving (the batch stays whole) but stop counting
        a = active
        elapsed += a
        interventions = np.where(a, world.interventions, interventions)
        collisions = np.where(a, world.collisions, collisions)
        progress = np.where(a, world.progress, progress)
        off = np.abs(world.lateral)
        abs_offset_sum += np.where(a, off, 0.0)
        abs_offset_max = np.where(a, np.maximum(abs_offset_max, off), abs_offset_max)
        speed_sum += np.where(a, world.car.speed, 0.0)
        if step > 0:
            jerk_sum += np.where(a, np.abs(steer - last_steer), 0.0)
        last_steer = steer
        traj[step, 0], traj[step, 1], traj[step, 2] = world.car.x, world.car.y, world.lateral
        active = a & (world.laps < laps)
        if bar is not None and step % progress_steps == 0:
            done = float(np.where(active, np.clip(progress / lap_m, 0.0, 1.0), 1.0).sum())
            bar.update(done - shown)
            shown = done
        if not active.any():
            break
    if bar is not None:
        bar.update(n - shown)
    episodes = []
    for i, t in enumerate(track_objs):
        seconds = elapsed[i] * config.dt_s
        km = max(float(world.progress[i]), 1e-9) / 1000
        completion = float(np.clip(progress[i] / lap_m[i], 0.0, 1.0))
        exits = int(
            interventions[i] - collisions[i]
        )  # every collision is also an intervention (the car is put past it)
        episodes.append(
            {
                "track": t.name,
                "variant": variants[i],
                "route_completion": round(completion, 4),
                "driving_score": round(
                    100 * completion * OFFROAD_PENALTY**exits * COLLISION_PENALTY ** int(collisions[i]), 3
                ),
                "collisions": int(collisions[i]),
                "off_road": exits,
                "length_m": round(t.length_m, 1),
                "laps": int(min(world.laps[i], laps)),
                "completed": bool(world.laps[i] >= laps and interventions[i] == 0),
                "interventions": int(interventions[i]),
                "autonomy_pct": round(autonomy_pct(int(interventions[i]), seconds), 3),
                "interventions_per_km": round(interventions[i] / km, 4),
                "mean_abs_offset_m": round(abs_offset_sum[i] / max(elapsed[i], 1), 4),
                "max_abs_offset_m": round(float(abs_offset_max[i]), 4),
                "mean_speed_mps": round(speed_sum[i] / max(elapsed[i], 1), 3),
                "steering_jerk_per_s": round(jerk_sum[i] / max(seconds, 1e-9), 4),
                "seconds": round(seconds, 2),
            }
        )
    timing = {"batch_s": [round(time.perf_counter() - started, 3)], "driver_s": [round(driver_s, 3)]}
    return EvalResult(summarize(episodes), episodes, [traj[: elapsed[i], :, i] for i in range(n)], track_objs, timing)


def summarize(episodes: list[dict]) -> dict:
    total_km = sum(e["interventions"] / e["interventions_per_km"] for e in episodes if e["interventions_per_km"] > 0)
    total_km += sum(e["laps"] * e["length_m"] / 1000 for e in episodes if e["interventions_per_km"] == 0)
    interventions = sum(e["interventions"] for e in episodes)
    total_s = sum(e["seconds"] for e in episodes)
    scores = np.array([e["driving_score"] for e in episodes])
    boot = np.random.default_rng(0).integers(
        len(scores), size=(BOOTSTRAP_SAMPLES, len(scores))
    )  # fixed: the same report every run
    means = scores[boot].mean(axis=1)
    infractions = interventions  # each exit from the road and each collision is one intervention
    collisions = sum(e.get("collisions", 0) for e in episodes)
    return {
        "episodes": len(episodes),
        "driving_score": round(float(scores.mean()), 2),
        "driving_score_ci95": [round(float(np.percentile(means, 2.5)), 2), round(float(np.percentile(means, 97.5)), 2)],
        "infractions_per_km": round(infractions / max(total_km, 1e-9), 4),
        "collisions": int(collisions),
        "collisions_per_km": round(collisions / max(total_km, 1e-9), 4),
        "route_completion": round(float(np.mean([e["route_completion"] for e in episodes])), 4),
        "lap_completion_rate": round(float(np.mean([e["completed"] for e in episodes])), 4),
        "autonomy_pct": round(autonomy_pct(interventions, total_s), 3),
        "interventions": int(interventions),
        "interventions_per_km": round(interventions / max(total_km, 1e-9), 4),
        "mean_abs_offset_m": round(float(np.mean([e["mean_abs_offset_m"] for e in episodes])), 4),
        "max_abs_offset_m": round(float(np.max([e["max_abs_offset_m"] for e in episodes])), 4),
        "mean_speed_mps": round(float(np.mean([e["mean_speed_mps"] for e in episodes])), 3),
        "steering_jerk_per_s": round(float(np.mean([e["steering_jerk_per_s"] for e in episodes])), 4),
    }


def format_table(result: EvalResult, limit: int = 20) -> str:
    rows = [
        f"{'track':<24} {'laps':>4} {'done':>5} {'interv':>6} {'autonomy%':>9} {'score':>6} {'|off| m':>8} "
        f"{'max m':>6} {'km/h':>6}"
    ]
    for e in result.episodes[:limit]:
        rows.append(
            f"{e['track'][:24]:<24} {e['laps']:>4} {'yes' if e['completed'] else 'NO':>5} {e['interventions']:>6} "
            f"{e['autonomy_pct']:>9.2f} {e['driving_score']:>6.1f} {e['mean_abs_offset_m']:>8.2f} "
            f"{e['max_abs_offset_m']:>6.2f} {e['mean_speed_mps'] * 3.6:>6.1f}"
        )
    if len(result.episodes) > limit:
        rows.append(f"... {len(result.episodes) - limit} more episodes in the report")
    s = result.summary
    rows.append("")
    rows.append(
        f"{s['episodes']} episodes: driving score {s['driving_score']:.1f} (95% CI "
        f"{s['driving_score_ci95'][0]:.1f}-{s['driving_score_ci95'][1]:.1f}), "
        f"lap completion {100 * s['lap_completion_rate']:.1f}%, autonomy {s['autonomy_pct']:.2f}%, "
        f"{s['interventions']} interventions ({s['interventions_per_km']:.3f}/km)"
        + (f", {s['collisions']} collisions ({s['collisions_per_km']:.3f}/km)" if s.get("collisions") else "")
        + f", mean |offset| {s['mean_abs_offset_m']:.2f} m, "
        f"mean speed {s['mean_speed_mps'] * 3.6:.1f} km/h"
    )
    return "\n".join(rows)


def draw_trajectory(
    ax, track, traj: np.ndarray, dot: float = 1.5, cross: float = 60, edge_lw: float = 0.8, edge_color: str = "0.4"
):
    """One episode on a matplotlib axis: the track's edges, the path (steps, 3) coloured by
    |lateral offset|, red crosses where the car was put back; returns the path's scatter (None if empty)."""
    for edge in (track.left_edge, track.right_edge):
        ax.plot(*np.vstack([edge, edge[:1]]).T, color=edge_color, lw=edge_lw)
    sc = None
    if len(traj):
        sc = ax.scatter(
            traj[:, 0], traj[:, 1], c=np.abs(traj[:, 2]), s=dot, cmap="turbo", vmin=0, vmax=track.width_m / 2
        )
        jumps = np.flatnonzero(np.abs(np.diff(traj[:, 2])) > 2.0)  # recoveries: where it went wrong
        ax.scatter(traj[jumps, 0], traj[jumps, 1], marker="x", color="red", s=cross, zorder=3)
    ax.set_aspect("equal")
    return sc


def plot_trajectories(result: EvalResult, path, max_tracks: int = 12) -> None:
    """Trajectories coloured by |lateral offset| over the track outlines; worst episodes first."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    order = sorted(
        range(len(result.episodes)),
        key=lambda i: (-result.episodes[i]["interventions"], -result.episodes[i]["max_abs_offset_m"]),
    )[:max_tracks]
    cols = min(4, len(order))
    rows = -(-len(order) // cols)
    fig = Figure(figsize=(4 * cols, 4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    sc = None
    for ax, i in zip(axes.flat, order):
        e = result.episodes[i]
        sc = draw_trajectory(ax, result.tracks[i], result.trajectories[i]) or sc
        ax.set_title(
            f"{e['track']}\n{e['interventions']} interventions, max |offset| {e['max_abs_offset_m']:.1f} m", fontsize=8
        )
    fig.colorbar(sc, ax=axes.ravel().tolist(), shrink=0.6, label="|lateral offset| [m] (red x: intervention)")
    fig.savefig(path, dpi=80)


_DONE = None  # in a worker process: the shared episodes-done array, one slot per chunk


def _share_progress(done) -> None:
    global _DONE
    _DONE = done


class _ChunkBar:
    """A worker's bar: its chunk's episodes done, written to the shared array."""

    def __init__(self, slot: int):
        self.slot, self.n = slot, 0.0

    def update(self, k: float) -> None:
        self.n += k
        if _DONE is not None:
            _DONE[self.slot] = self.n


def _eval_chunk(args, slot: int | None = None):
    model, config, tracks, laps, split, variants = args
    if model.is_model:
        import torch

        torch.set_num_threads(1)  # one core per worker process
    bar = None if slot is None else _ChunkBar(slot)
    return evaluate(make_driver(model, config), config, tracks, laps, bar=bar, split=split, variants=variants)


def evaluate_parallel(
    model: DriverSpec,
    config: EnvConfig,
    tracks: list,
    laps: int = 2,
    workers: int = 1,
    bar=None,
    split: str = "test",
    seeds: int = 1,
) -> EvalResult:
    """`evaluate` of every track with `seeds` variants of the conditions (episodes track by
    track), split over `workers` processes (each a batch of its own).

    Each worker drives its tracks as one batch; the bar advances by episodes, in fractions
    (`evaluate`'s), summed over the workers through shared memory.
    """
    make_driver(model, config)  # fail fast (bad checkpoint, env mismatch) before forking
    variants = [k for _ in tracks for k in range(seeds)]
    tracks = [t for t in tracks for _ in range(seeds)]
    if workers <= 1 or len(tracks) < 2:
        return evaluate(make_driver(model, config), config, tracks, laps, bar=bar, split=split, variants=variants)

    n_chunks = min(len(tracks), workers * WORKER_BATCHES)
    chunks = [tracks[k::n_chunks] for k in range(n_chunks)]  # interleaved: similar lengths per chunk
    done = process_context().Array("d", n_chunks, lock=False)  # episodes done per chunk, written by its worker
    shown = [0.0]

    def tell_bar() -> None:
        if bar is not None:
            now = float(sum(done))
            bar.update(now - shown[0])
            shown[0] = now

    jobs = [(k, (model, config, c, laps, split, variants[k::n_chunks])) for k, c in enumerate(chunks)]
    parts: dict[int, EvalResult] = dict(
        run_pool(_indexed_chunk, jobs, workers, initializer=_share_progress, initargs=(done,), while_waiting=tell_bar)
    )
    episodes, trajs, objs = [None] * len(tracks), [None] * len(tracks), [None] * len(tracks)
    timing = {key: [t for k in sorted(parts) for t in parts[k].timing[key]] for key in ("batch_s", "driver_s")}
    for k, part in parts.items():  # chunk k holds tracks k, k + n_chunks, k + 2 * n_chunks, ...
        for j in range(len(part.episodes)):
            i = k + j * n_chunks
            episodes[i], trajs[i], objs[i] = part.episodes[j], part.trajectories[j], part.tracks[j]
    return EvalResult(summarize(episodes), episodes, trajs, objs, timing)


def _indexed_chunk(item):
    k, args = item
    return k, _eval_chunk(args, k)


def suite(
    model: DriverSpec, config: EnvConfig, n_tracks: int = 20, laps: int = 2, workers: int = 1, seeds: int = 1, bar=None
) -> list[dict]:
    """Every level on its test split: one summary row per level (the table a student quotes)."""
    from sim.levels import LEVELS, with_level

    rows = []
    for name in LEVELS:
        result = evaluate_parallel(
            model, with_level(config, name), eval_tracks(n_tracks, "test"), laps, workers, bar, "test", seeds
        )
        rows.append({"level": name, **result.summary})
    return rows


def format_suite(rows: list[dict], who: str) -> str:
    out = [
        f"{who}",
        f"{'level':<9} {'episodes':>8} {'laps done':>9} {'autonomy':>9} {'driving score (95% CI)':>24} "
        f"{'infractions/km':>14} {'collisions/km':>13}",
    ]
    for r in rows:
        ci = r["driving_score_ci95"]
        out.append(
            f"{r['level']:<9} {r['episodes']:>8} {100 * r['lap_completion_rate']:>8.1f}% {r['autonomy_pct']:>8.2f}% "
            f"{r['driving_score']:>9.1f} ({ci[0]:5.1f}-{ci[1]:5.1f}) {r['infractions_per_km']:>14.3f} "
            f"{r.get('collisions_per_km', 0.0):>13.3f}"
        )
    return "\n".join(out)
