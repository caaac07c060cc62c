"""Headless expert recording with recovery data built in.

- DART noise injection: the car executes the expert's steering plus seeded, temporally
  correlated noise, while the label stays the expert's clean steering at that state, so
  the data shows how to get back to the centre.
- Side cameras (PilotNet): extra frames from the car shifted sideways and turned, each
  labelled with the steering the expert would use from there.

Episodes run in `workers` processes; each writes its chunks itself and reports them to
the parent, the only writer of the manifest.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from dataclasses import dataclass, replace

import numpy as np

from agent.dataset import DatasetWriter, EpisodeWriter
from agent.expert import ExpertDriver, pure_pursuit
from sim.config import SPLITS, EnvConfig


@dataclass(frozen=True)
class RecordSettings:
    episodes: int = 10
    steps: int = 1500  # per episode
    split: str = "train"
    seed: int = 0
    dart_sigma: float = 0.15  # std of the steering noise added to what the car executes
    dart_corr_s: float = 0.4  # correlation time of that noise [s]
    side_cameras: bool = False
    side_shift_m: float = 1.5
    side_max_yaw_deg: float = 8.0
    workers: int = 1


def episode_plan(settings: RecordSettings) -> list[tuple[int, int]]:
    """(track seed, noise seed) per episode, drawn from one generator seeded by settings.seed."""
    rng = np.random.default_rng(settings.seed)
    seeds = SPLITS[settings.split]
    tracks = rng.choice(len(seeds), size=settings.episodes, replace=False) + seeds.start
    return [(int(t), int(rng.integers(2**31))) for t in tracks]


def record_episode(config: EnvConfig, track_seed: int, noise_seed: int, settings: RecordSettings, writer: EpisodeWriter, progress=None) -> int:
    """Drive one episode with the noisy expert and write it through `writer`."""
    from sim.env import DrivingEnv

    env = DrivingEnv(config=replace(config, offroad="recover", max_steps=settings.steps), track=track_seed)
    expert = ExpertDriver(env)
    rng = np.random.default_rng(noise_seed)
    rho = math.exp(-config.dt_s / settings.dart_corr_s)
    noise = 0.0
    obs, info = env.reset(seed=noise_seed)
    for _ in range(settings.steps):
        label = expert.act(obs)
        noise = rho * noise + settings.dart_sigma * math.sqrt(1 - rho * rho) * rng.standard_normal()
        executed = label.copy()
        executed[0] = np.clip(label[0] + noise, -1.0, 1.0)
        writer.add(obs, label, executed, info, "expert")
        if settings.side_cameras:
            _add_side_frames(env, info, label, rng, settings, writer)
        obs, _, terminated, truncated, info = env.step(executed)
        if progress is not None:
            progress(1)
        if terminated or truncated:
            break
    writer.flush()
    return writer.frames


def _add_side_frames(env, info, label, rng, settings: RecordSettings, writer: EpisodeWriter) -> None:
    """Frames from the car moved `side_shift_m` left and right (and turned a little),
    labelled with the expert's steering from those poses."""
    car, track = env.car, env.track
    nx, ny = -math.sin(car.heading), math.cos(car.heading)  # the car's left
    for side in (1.0, -1.0):
        shift = side * settings.side_shift_m
        yaw = math.radians(rng.uniform(-settings.side_max_yaw_deg, settings.side_max_yaw_deg))
        x, y, h = car.x + shift * nx, car.y + shift * ny, car.heading + yaw
        v, s, lateral = track.locate(x, y, env._vertex)
        if abs(lateral) > track.width_m / 2 - 1.0:
            continue  # too close to the edge to be a useful view
        steer = float(pure_pursuit(track, x, y, h, car.speed, s, env.config.car, ExpertDriver(env).params))
        side_label = label.copy()
        side_label[0] = steer
        writer.add(env.observe_pose(x, y, h, car.speed), side_label, side_label, {**info, "lateral_offset_m": lateral}, "expert", camera_shift_m=shift)


# ----------------------------------------------------------------------- workers
def _worker(args):
    config, root, episode_id, track_seed, noise_seed, settings, queue = args
    from pathlib import Path

    writer = EpisodeWriter(Path(root), episode_id, lambda *chunk: queue.put(("chunk", episode_id, chunk)))
    steps = [0]

    def progress(n: int) -> None:  # report steps in batches: a queue message costs ~100 us
        steps[0] += n
        if steps[0] >= 100:
            queue.put(("steps", episode_id, steps[0]))
            steps[0] = 0

    record_episode(config, track_seed, noise_seed, settings, writer, progress=progress)
    queue.put(("steps", episode_id, steps[0]))
    return episode_id


def record_expert(out, config: EnvConfig, settings: RecordSettings, bar=None) -> DatasetWriter:
    """Record `settings.episodes` expert episodes into the dataset at `out` (appending).

    `bar` (a tqdm-like object with update(n)) shows progress in steps.
    """
    dataset = DatasetWriter(out, config)
    plan = episode_plan(settings)
    meta = {"dart_sigma": settings.dart_sigma, "side_cameras": settings.side_cameras}
    entries = {}
    tasks = []
    for track_seed, noise_seed in plan:
        entry = dataset.new_episode(f"seed {track_seed}", "expert", **meta)
        entries[entry["id"]] = entry
        tasks.append((entry["id"], track_seed, noise_seed))
    update = bar.update if bar is not None else (lambda n: None)
    if settings.workers <= 1:
        for eid, track_seed, noise_seed in tasks:
            entry = entries[eid]
            writer = EpisodeWriter(dataset.root, eid, lambda *chunk, entry=entry: dataset.add_chunk(entry, *chunk))
            record_episode(config, track_seed, noise_seed, settings, writer, progress=update)
            dataset.finish(entry)
        return dataset
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Manager() as manager, ctx.Pool(settings.workers) as pool:
        queue = manager.Queue()
        pending = pool.imap_unordered(_worker, [(config, str(dataset.root), eid, t, n, settings, queue) for eid, t, n in tasks])
        done = 0

        def drain(block_s: float) -> None:
            import queue as q

            try:
                while True:
                    kind, eid, payload = queue.get(timeout=block_s)
                    if kind == "chunk":
                        dataset.add_chunk(entries[eid], *payload)
                    else:
                        update(payload)
                    block_s = 0.0
            except q.Empty:
                pass

        while done < len(tasks):
            try:
                eid = pending.next(timeout=0.2)
            except mp.TimeoutError:
                drain(0.0)
                continue
            drain(0.05)
            dataset.finish(entries[eid])
            done += 1
        drain(0.1)
    return dataset
