"""The `drive` session: a person drives in the pygame window, optionally recording.

Keys: arrows/WASD steer (and throttle/brake with action="steer+throttle"), R toggles
recording, P pauses, Backspace discards the current episode's recording, Esc or closing
the window quits and saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pygame

from agent.dataset import DatasetWriter
from agent.human import HumanControls

LEGEND = ("arrows/WASD steer", "R record  P pause", "Backspace discard", "Esc quit & save")


@dataclass
class DriveStats:
    steps: int = 0
    recorded: int = 0
    episodes_saved: int = 0
    episodes_discarded: int = 0
    laps: int = 0
    messages: list = field(default_factory=list)


def drive(env, controls: HumanControls, record_dir=None, max_frames: int | None = None, record_from_start: bool = True, before_frame=None, say=print, seed: int | None = None) -> DriveStats:
    """Run the drive loop until Esc, window close, or `max_frames` steps.

    Args:
        env: a DrivingEnv (unwrapped or not) with render_mode "human" or "rgb_array".
        controls: the input mapping.
        record_dir: dataset folder to append to, or None not to record.
        record_from_start: start recording immediately (R toggles it).
        before_frame: called with the frame number before input is read (tests inject
            pygame events here).
    """
    u = env.unwrapped
    writer = DatasetWriter(record_dir, u.config) if record_dir is not None else None
    stats = DriveStats()
    recording = writer is not None and record_from_start
    paused = False
    episode = None
    obs, info = env.reset(seed=seed)  # later episodes continue the seeded sequence of tracks
    controls.reset()

    def close_episode(save: bool) -> None:
        nonlocal episode
        if episode is None:
            return
        if save:
            frames = episode.frames
            episode.close()
            if frames:
                stats.episodes_saved += 1
        else:
            episode.discard()
            stats.episodes_discarded += 1
        episode = None

    try:
        running = True
        while running and (max_frames is None or stats.steps < max_frames):
            if before_frame is not None:
                before_frame(stats.steps)
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
                    running = False
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_r and writer is not None:
                    recording = not recording
                    if not recording:
                        close_episode(save=True)
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_p:
                    paused = not paused
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_BACKSPACE:
                    close_episode(save=False)
                    say("discarded the current episode")
            if not running:
                break
            if paused:
                _show(u, recording, episode, stats, paused=True)
                continue
            steer, throttle = controls.update(u.config.dt_s)
            action = np.array([steer] if u.config.action == "steer" else [steer, throttle], dtype=np.float32)
            if recording:
                if episode is None:
                    episode = writer.episode(track=u.track.name, driver="human", controls=controls.mode)
                episode.add(obs, action, action, info, "human")
            obs, reward, terminated, truncated, info = env.step(action)
            stats.steps += 1
            stats.laps = max(stats.laps, info["lap"])
            _show(u, recording, episode, stats, paused=False)
            if terminated or truncated:
                close_episode(save=True)
                obs, info = env.reset()
                controls.reset()
    finally:  # Esc, window closed, Ctrl-C or an error: what was recorded is saved
        close_episode(save=True)
        if writer is not None:
            stats.recorded = sum(e["frames"] for e in writer.manifest["episodes"])
    return stats


def _show(u, recording, episode, stats, paused: bool) -> None:
    r = u._renderer
    if r is None:
        return
    frames = episode.frames if episode is not None else 0
    r.lines = [
        ("REC " if recording else "not recording ") + f"{frames} frames this episode",
        "PAUSED (P)" if paused else "",
        *LEGEND,
    ]
    if paused:
        u.render()
