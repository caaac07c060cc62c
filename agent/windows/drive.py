"""The `drive` session: a person drives in the pygame window, optionally recording.

Keys: arrows/WASD steer (and throttle/brake with action="steer+throttle"), Space
re-centres the wheel, R pauses/resumes recording, P pauses, Backspace discards an episode,
Esc or closing the window quits and saves.

- The car waits, with "press an arrow to start" over the view, until the person first
  steers; driving and recording start then (`--no-autostart` leaves recording for R); a
  red REC badge shows the frames and seconds of this episode and of the whole dataset.
- Leaving the road ends the episode. The car stops on the next track and the view says
  what happened and what Backspace does; it starts on the next key press, and keys that
  were down at the crash steer nothing until released. The episode's manifest entry says
  `end: "off_road"`, so the trainer leaves out its last 1.5 s (the crash segment, see
  `agent.data.dataset.crash_frames`).
- Backspace discards the episode that just ended (off the road, or out of time) when the
  new one is under UNDO_WINDOW_S old: the crash you just had. Otherwise it discards the
  episode being recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pygame

from agent.data.dataset import DatasetWriter
from agent.drivers.human import LEFT_KEYS, RIGHT_KEYS, UP_KEYS, HumanControls, Person
from sim.render import REC

UNDO_WINDOW_S = 2.0  # Backspace this soon after an episode ended discards that episode
START_TEXT = "press an arrow to start"  # over the view until the person first steers
START_KEYS = LEFT_KEYS + RIGHT_KEYS + UP_KEYS  # a press of any of these starts the car


@dataclass
class DriveStats:
    steps: int = 0
    recorded: int = 0
    episodes_saved: int = 0
    episodes_discarded: int = 0
    laps: int = 0
    exits: int = 0
    messages: list = field(default_factory=list)


def drive(
    env,
    controls: HumanControls,
    record_dir=None,
    max_frames: int | None = None,
    record_from_start: bool = True,
    before_frame=None,
    say=print,
    seed: int | None = None,
) -> DriveStats:
    """Run the drive loop until Esc, window close, or `max_frames` window frames (waiting included).

    Args:
        env: a DrivingEnv (unwrapped or not) with render_mode "human" or "rgb_array".
        controls: the input mapping.
        record_dir: dataset folder to append to, or None not to record.
        record_from_start: start recording immediately (R toggles it).
        before_frame: called with the window frame's number before input is read (tests
            inject pygame events here).
        say: where messages go besides the window (one line each).
    """
    u = env.unwrapped
    stats = DriveStats()
    paused = False
    episode = None  # the RecordedEpisode being written
    ended = None  # the last saved episode's entry, while it can still be undone
    episode_steps = 0  # steps since the current episode (track) began
    undo_steps = round(UNDO_WINDOW_S / u.config.dt_s)
    obs, info = env.reset(seed=seed)  # later episodes continue the seeded sequence of tracks
    # after the window opened: a display that fails leaves no dataset behind
    writer = DatasetWriter(record_dir, u.config) if record_dir is not None else None
    recording = writer is not None and record_from_start
    controls.reset()
    person = Person(controls, u.config.dt_s)  # the driver: a person at this window, the env a one-car world

    def tell(text: str) -> None:
        stats.messages.append(text)
        say(text.replace("\n", "; "))
        if u.renderer is not None:
            u.renderer.flash(text)

    def close_episode(save: bool, end: str | None = None) -> None:
        nonlocal episode, ended
        if episode is None:
            return
        if save:
            frames = episode.frames
            if end is not None:
                episode.entry["end"] = end
            episode.close()
            if frames:
                stats.episodes_saved += 1
            ended = episode.entry if frames and end in ("off_road", "collision", "time") else None
        else:
            episode.discard()
            stats.episodes_discarded += 1
        episode = None

    def backspace() -> None:
        nonlocal ended
        if ended is not None and episode_steps < undo_steps and ended in writer.manifest["episodes"]:
            writer.discard(ended)
            stats.episodes_saved -= 1
            stats.episodes_discarded += 1
            tell(f"discarded the episode that just ended ({ended['frames']} frames)")
            ended = None
        elif episode is not None:
            frames = episode.frames
            close_episode(save=False)
            tell(f"discarded this episode ({frames} frames)")
        else:
            tell("nothing to discard")

    waiting = START_TEXT  # what the view says while the car waits for the person (None: driving)
    frame = 0
    try:
        running = True
        while running and (max_frames is None or frame < max_frames):
            if before_frame is not None:
                before_frame(frame)
            frame += 1
            tapped = False  # a steering key went down since the last frame (a tap between two frames counts)
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
                    running = False
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_r:
                    if writer is None:
                        tell("not recording: start with --record DIR")
                        continue
                    recording = not recording
                    if not recording:
                        close_episode(save=True, end="stopped")
                    tell("recording" if recording else "recording paused (R resumes)")
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_p:
                    paused = not paused
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_BACKSPACE and writer is not None:
                    backspace()
                elif event.type == pygame.KEYDOWN and event.key in START_KEYS:
                    tapped = True
            if not running:
                break
            if paused:
                _show(u, controls, recording, writer, episode, paused=True)
                continue
            if waiting is not None:
                if not (tapped or controls.wants_to_start()):
                    _show(u, controls, recording, writer, episode, paused=False, waiting=True)
                    if u.renderer is not None:
                        u.renderer.flash(waiting, 0.5)
                        u.render()  # keeps the window drawn (and its clock ticking) while the car waits
                    continue
                waiting = None
            steer, throttle = float(person.steer(u.world)[0]), person.throttle
            action = np.array([steer] if u.config.action == "steer" else [steer, throttle], dtype=np.float32)
            if recording:
                if episode is None:
                    episode = writer.episode(track=u.track.name, driver="human", controls=controls.name)
                episode.add(obs, action, action, info, "human")
            obs, reward, terminated, truncated, info = env.step(action)
            stats.steps += 1
            episode_steps += 1
            if info["lap"] > stats.laps:
                tell(f"lap {info['lap']} in {info['lap_times_s'][-1]:.1f} s")
            stats.laps = max(stats.laps, info["lap"])
            _show(u, controls, recording, writer, episode, paused=False)
            if terminated or truncated:
                end = "off_road" if info["off_road"] else ("collision" if terminated else "time")
                close_episode(save=True, end=end)
                obs, info = env.reset()
                controls.reset()
                episode_steps = 0
                if terminated:  # the car stops: the person starts the next track
                    stats.exits += 1
                    what = "off the road" if end == "off_road" else "hit an obstacle"
                    waiting = (
                        f"{what}\n"
                        + (
                            "last 1.5 s marked as a crash; Backspace discards that episode\n"
                            if writer is not None
                            else ""
                        )
                        + "press an arrow for the next track"
                    )
                    say(waiting.replace("\n", "; "))
                    stats.messages.append(waiting)
                    controls.hold_until_released()
    finally:  # Esc, window closed, Ctrl-C or an error: what was recorded is saved
        close_episode(save=True, end="quit")
        if writer is not None:
            stats.recorded = sum(e["frames"] for e in writer.manifest["episodes"])
    return stats


def _show(u, controls, recording, writer, episode, paused: bool, waiting: bool = False) -> None:
    r = u.renderer
    if r is None:
        return
    frames = episode.frames if episode is not None else 0
    if recording and waiting:
        r.badge = ("REC starts when you drive", (150, 60, 60))
    elif recording:
        saved = sum(e["frames"] for e in writer.manifest["episodes"] if episode is None or e is not episode.entry)
        total = saved + frames  # what the dataset holds, this episode included
        r.badge = (
            f"REC  episode {frames} frames {frames * u.config.dt_s:.0f} s   dataset {total:,} frames "
            f"{total * u.config.dt_s / 60:.1f} min",
            REC,
        )
    elif writer is not None:
        r.badge = ("not recording (R)", (90, 90, 96))
    else:
        r.badge = ("not recording (no --record)", (90, 90, 96))
    r.lines = [
        f"controls {controls.name}",
        "PAUSED (P)" if paused else "",
        controls.legend(),
        "R rec on/off  P pause",
        "Backspace discard  Esc quit",
    ]
    if paused:
        u.render()
