"""Headless expert recording with recovery data built in.

- DART noise injection: the car executes the expert's steering plus seeded, temporally
  correlated noise, while the label stays the expert's clean steering at that state, so
  the data shows how to get back to the centre.
- Side cameras (PilotNet): extra frames from the car shifted sideways and turned, each
  labelled with the steering the expert would use from there.

Episodes run as one batch (a batched World, one car per episode) in each of `workers`
processes; each writes its chunks itself and reports them to the parent, the only writer
of the manifest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from agent.data.dataset import DatasetWriter, EpisodeWriter
from agent.drivers.expert import ExpertParams, expert_steer
from agent.drivers.styles import DEFAULT_STYLE
from agent.workers import process_context, run_pool
from sim.config import SPLITS, EnvConfig
from sim.env import resolve_track
from sim.levels import draw_conditions
from sim.world import World


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
    # or "human-model": the scripted person of agent.drivers.human drives, its steering is the label
    driver: str = "expert"
    style: str = DEFAULT_STYLE  # human-model: the keyboard style it steers with
    # human-model: how much sooner than its reaction it steers into a curve it sees (agent.drivers.human.PersonParams)
    preview_s: float = 0.1


def episode_plan(settings: RecordSettings) -> list[tuple[int, int]]:
    """(track seed, noise seed) per episode, drawn from one generator seeded by settings.seed."""
    rng = np.random.default_rng(settings.seed)
    seeds = SPLITS[settings.split]
    tracks = rng.choice(len(seeds), size=settings.episodes, replace=False) + seeds.start
    return [(int(t), int(rng.integers(2**31))) for t in tracks]


def record_episodes(
    config: EnvConfig,
    tasks: list[tuple[int, int]],
    settings: RecordSettings,
    writers: list[EpisodeWriter],
    progress=None,
    driver=None,
    source: str = "expert",
    round: int = 0,
    keep=None,
) -> None:
    """Drive several episodes at once (one car each, a batched World) and record them.

    Every recorded label is the expert's steering at the visited state (a person's: what
    they steered). Who drives: by default the expert plus DART noise; with `driver` (any
    `agent.drivers.spec` driver: `steer(world, obs) -> (N,)`), someone else (the scripted
    people of `settings.driver == "human-model"`, DAgger's network mixed with the expert).

    Args:
        tasks: (track seed, noise seed) per episode.
        writers: one EpisodeWriter per episode.
        keep: optional `keep() -> (N,) bool`, called after `driver`: record only those
            cars' frames this step (HG-DAgger records only the takeovers).
    """
    n = len(tasks)
    world = World(replace(config, offroad="recover", max_steps=settings.steps), n)
    for i, (track_seed, noise_seed) in enumerate(tasks):
        world.set_track(i, resolve_track(track_seed, config.track))
        # the level's conditions (weather, speed, ...) from a stream of their own: the DART noise stays as it was
        world.set_conditions(
            i, draw_conditions(config.level, np.random.default_rng([noise_seed, 2]), settings.split, config.camera)
        )
    world.reset_cars(np.arange(n))
    rngs = [np.random.default_rng(noise_seed) for _, noise_seed in tasks]
    expert = ExpertParams()
    if driver is None and settings.driver == "human-model":
        from agent.drivers.human import PersonParams, ScriptedPeople

        seeds = [noise_seed for _, noise_seed in tasks]
        driver = ScriptedPeople(settings.style, config.dt_s, seeds, PersonParams(preview_s=settings.preview_s))
        source = "human"
    labels_driven = settings.driver == "human-model"  # a person's label is what they did
    rho = math.exp(-config.dt_s / settings.dart_corr_s)
    noise = np.zeros(n)
    obs, info = world.observe(), world.info()
    for _ in range(settings.steps):
        c = world.car
        label = expert_steer(world.trackset, c.x, c.y, c.heading, c.speed, world.s, config.car, expert)
        if driver is None:
            # each car's generator draws in a fixed order: the noise, then the side-camera yaws
            eps = np.array([rng.standard_normal() for rng in rngs])
            noise = rho * noise + settings.dart_sigma * math.sqrt(1 - rho * rho) * eps
            steer = label + noise
        else:
            steer = driver.steer(world, obs)
        executed = np.clip(steer, -1.0, 1.0).astype(np.float32)  # as stored, so as driven
        recorded = range(n) if keep is None else np.flatnonzero(keep())
        if labels_driven:
            label = executed
        for i in recorded:
            writers[i].add(
                {k: v[i] for k, v in obs.items()},
                label[i : i + 1],
                executed[i : i + 1],
                {k: info[k][i] for k in INFO_FIELDS},
                source,
                round=round,
            )
        if settings.side_cameras:
            _add_side_frames(world, info, rngs, settings, expert, writers)
        world.step(executed.astype(np.float64), None)
        obs, info = world.observe(), world.info()
        if progress is not None:
            progress(n)
    for w in writers:
        w.flush()


INFO_FIELDS = ("off_road", "progress_m", "lateral_offset_m", "heading_error_rad", "speed_mps")


def _add_side_frames(world: World, info: dict, rngs, settings: RecordSettings, expert: ExpertParams, writers) -> None:
    """Frames from every car moved `side_shift_m` left and right (and turned a little),
    labelled with the expert's steering from those poses."""
    c, ts = world.car, world.trackset
    yaw = np.radians(
        [[rng.uniform(-settings.side_max_yaw_deg, settings.side_max_yaw_deg) for rng in rngs] for _ in (0, 1)]
    )
    for k, side in enumerate((1.0, -1.0)):
        shift = side * settings.side_shift_m
        x = c.x - np.sin(c.heading) * shift  # along the car's left normal
        y = c.y + np.cos(c.heading) * shift
        h = c.heading + yaw[k]
        _, s, lateral = ts.locate(x, y, world.vertex)
        steer = expert_steer(ts, x, y, h, c.speed, s, world.config.car, expert)
        obs = world.observe(x, y, h, c.speed)
        for i in np.flatnonzero(np.abs(lateral) <= ts.half_width - 1.0):  # not too close to the edge
            label = steer[i : i + 1]
            row = {**{f: info[f][i] for f in INFO_FIELDS}, "lateral_offset_m": lateral[i]}
            writers[i].add({key: v[i] for key, v in obs.items()}, label, label, row, "expert", camera_shift_m=shift)


# ----------------------------------------------------------------------- workers
def _worker(args):
    config, root, tasks, settings, queue = args
    from pathlib import Path

    writers = [
        EpisodeWriter(Path(root), eid, lambda *chunk, eid=eid: queue.put(("chunk", eid, chunk)), config.dt_s)
        for eid, _, _ in tasks
    ]
    steps = [0]

    def progress(n: int) -> None:  # report steps in batches: a queue message costs ~100 us
        steps[0] += n
        if steps[0] >= 200:
            queue.put(("steps", None, steps[0]))
            steps[0] = 0

    record_episodes(config, [(t, s) for _, t, s in tasks], settings, writers, progress)
    queue.put(("steps", None, steps[0]))
    return [eid for eid, _, _ in tasks]


def record_expert(out, config: EnvConfig, settings: RecordSettings, bar=None) -> DatasetWriter:
    """Record `settings.episodes` expert episodes into the dataset at `out` (a folder, or
    the DatasetWriter already holding it), appending.

    `bar` (a tqdm-like object with update(n)) shows progress in steps.
    """
    dataset = out if isinstance(out, DatasetWriter) else DatasetWriter(out, config)
    plan = episode_plan(settings)
    if settings.driver == "human-model":
        meta = {"controls": f"keyboard ({settings.style})", "preview_s": settings.preview_s}
    else:
        meta = {"dart_sigma": settings.dart_sigma, "side_cameras": settings.side_cameras}
    entries = {}
    tasks = []
    for track_seed, noise_seed in plan:
        entry = dataset.new_episode(f"seed {track_seed}", settings.driver, **meta)
        entries[entry["id"]] = entry
        tasks.append((entry["id"], track_seed, noise_seed))
    update = bar.update if bar is not None else (lambda n: None)
    if settings.workers <= 1:
        writers = [
            EpisodeWriter(
                dataset.root, eid, lambda *chunk, entry=entries[eid]: dataset.add_chunk(entry, *chunk), config.dt_s
            )
            for eid, _, _ in tasks
        ]
        record_episodes(config, [(t, s) for _, t, s in tasks], settings, writers, update)
        for eid, _, _ in tasks:
            dataset.finish(entries[eid])
        return dataset
    # each worker drives an interleaved share of the episodes as one batch
    shares = [tasks[k :: settings.workers] for k in range(settings.workers) if tasks[k :: settings.workers]]
    with process_context().Manager() as manager:
        queue = manager.Queue()

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

        jobs = [(config, str(dataset.root), share, settings, queue) for share in shares]
        for finished in run_pool(_worker, jobs, len(shares), while_waiting=lambda: drain(0.0), poll_s=0.2):
            drain(0.05)
            for eid in finished:
                dataset.finish(entries[eid])
        drain(0.1)
    return dataset
