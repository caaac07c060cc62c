import numpy as np
import pygame
import pytest

from agent.data.dataset import Dataset
from agent.drivers.human import HumanControls, Keys
from agent.windows.drive import drive
from sim.env import DrivingEnv


def key_script(schedule):
    """Post KEYDOWN/KEYUP events at given frames; held keys are faked via get_pressed."""
    held = set()

    def before_frame(n):
        for frame, kind, key in schedule:
            if frame == n:
                pygame.event.post(pygame.event.Event(kind, key=key))
                (held.add if kind == pygame.KEYDOWN else held.discard)(key)

    return before_frame, held


@pytest.fixture
def env():
    e = DrivingEnv(render_mode="human", track="assets/tracks/oval.json")
    yield e
    e.close()


def test_scripted_keyboard_drive_records_smooth_steering(tmp_path, env, monkeypatch):
    schedule = [
        (10, pygame.KEYDOWN, pygame.K_LEFT),
        (70, pygame.KEYUP, pygame.K_LEFT),
        (90, pygame.KEYDOWN, pygame.K_d),
        (110, pygame.KEYUP, pygame.K_d),
    ]
    before_frame, held = key_script(schedule)
    monkeypatch.setattr(pygame.key, "get_pressed", lambda: Keys(*held))
    controls = HumanControls(style="ramp")
    stats = drive(env, controls, record_dir=tmp_path / "d", max_frames=150, before_frame=before_frame)
    # the car waits for the first key (frame 10) and, after leaving the road, for the next (D at 90)
    assert 0 < stats.steps == stats.recorded <= 140
    data = Dataset(tmp_path / "d").load(("action",))
    steer = data["action"][:, 0]
    same_episode = np.diff(data["episode"]) == 0  # the wheel re-centres when an episode restarts
    steps = np.abs(np.diff(steer))[same_episode]
    assert steps.max() <= controls.max_step(env.config.dt_s) + 1e-6  # never jumps
    lock = controls.lock(env.config.car.cruise_speed_mps)
    assert steer.max() > lock - 0.01 and steer.min() < -0.05  # yet reaches the lock at cruise speed and goes right
    labels = np.unique(np.round(steer, 3))
    assert len(labels) > 15  # analog, not -1/0/+1


def test_r_toggles_recording_backspace_discards_esc_saves(tmp_path, env, monkeypatch):
    # a tap of Up (no throttle here) starts the car at frame 0
    schedule = [
        (0, pygame.KEYDOWN, pygame.K_UP),
        (1, pygame.KEYUP, pygame.K_UP),
        (20, pygame.KEYDOWN, pygame.K_r),
        (30, pygame.KEYDOWN, pygame.K_r),
        (50, pygame.KEYDOWN, pygame.K_BACKSPACE),
        (70, pygame.KEYDOWN, pygame.K_ESCAPE),
    ]
    before_frame, held = key_script(schedule)
    monkeypatch.setattr(pygame.key, "get_pressed", lambda: Keys(*held))
    stats = drive(env, HumanControls(), record_dir=tmp_path / "d", max_frames=1000, before_frame=before_frame)
    # frames 0-19 recorded and saved by R; 30-49 recorded then discarded; 50-69 recorded and saved by Esc
    ds = Dataset(tmp_path / "d")
    assert stats.steps == 70 and stats.episodes_discarded == 1
    assert [e["frames"] for e in ds.episodes] == [20, 20]
    assert all(e["driver"] == "human" for e in ds.episodes)


def test_mouse_steers_from_where_the_pointer_started(monkeypatch):
    pointer = [(500, 300)]  # left far right of the window's centre before driving
    monkeypatch.setattr(pygame.mouse, "get_pos", lambda: pointer[0])
    c = HumanControls(mode="mouse", mouse_span=640)
    for _ in range(10):
        steer, _ = c.update(1 / 30, keys=Keys())
    assert steer == 0.0  # a stale pointer steers nothing
    pointer[0] = (340, 300)  # moved 160 px left: half a span's half
    for _ in range(30):
        steer, _ = c.update(1 / 30, keys=Keys())
    assert steer == pytest.approx(0.5)
    c.update(1 / 30, keys=Keys(pygame.K_SPACE))  # Space: here is the new centre
    for _ in range(30):
        steer, _ = c.update(1 / 30, keys=Keys())
    assert steer == pytest.approx(0.0)


def test_wheel_style_holds_its_angle_and_space_centres_it():
    c = HumanControls(style="wheel")
    dt = 1 / 30
    tap = [c.update(dt, Keys(pygame.K_LEFT))[0] for _ in range(2)][-1]
    assert 0 < tap < 0.05  # a tap nudges the wheel a little
    for _ in range(12):
        c.update(dt, Keys(pygame.K_LEFT))
    held = c.steer
    assert 0.3 < held < 1.0
    for _ in range(30):
        c.update(dt, Keys())
    assert c.steer == held  # released: the wheel stays where it was
    c.update(dt, Keys(pygame.K_SPACE))
    assert c.steer == 0.0
    for _ in range(60):
        c.update(dt, Keys(pygame.K_RIGHT))
    assert c.steer == -1.0 and "wheel" in c.name and "Space" in c.legend()


def test_gamepad_missing_is_a_clear_error():
    pygame.joystick.init()
    if pygame.joystick.get_count() == 0:
        with pytest.raises(ValueError, match="no gamepad found"):
            HumanControls(mode="gamepad")


def test_the_rec_badge_counts_the_dataset_as_well_as_the_episode(tmp_path, env, monkeypatch):
    """A second session into a dataset: the badge shows this episode's frames and the dataset's total."""
    before_frame, held = key_script([(0, pygame.KEYDOWN, pygame.K_UP), (1, pygame.KEYUP, pygame.K_UP)])
    monkeypatch.setattr(pygame.key, "get_pressed", lambda: Keys(*held))
    drive(env, HumanControls(), record_dir=tmp_path / "d", max_frames=60, before_frame=before_frame)
    seen = []
    before_frame, held = key_script([(0, pygame.KEYDOWN, pygame.K_UP), (1, pygame.KEYUP, pygame.K_UP)])

    def look(n):
        before_frame(n)
        seen.append(env.renderer.badge[0] if env.renderer.badge else "")

    drive(env, HumanControls(), record_dir=tmp_path / "d", max_frames=30, before_frame=look)
    last = seen[-1]
    assert "REC  episode 29 frames" in last and "dataset 89 frames" in last, last


def test_the_car_waits_for_the_person_and_keys_held_at_a_crash_do_not_steer_the_next_track(tmp_path, env, monkeypatch):
    """No key for 4 s: nothing recorded, the view asks for an arrow. Then Left is held until
    the car leaves the road: the next track waits, and Left, still down, does not start it;
    released and pressed again, it does."""
    frames_4s = round(4.0 / env.config.dt_s)
    schedule = [(frames_4s, pygame.KEYDOWN, pygame.K_LEFT)]
    before_frame, held = key_script(schedule)
    monkeypatch.setattr(pygame.key, "get_pressed", lambda: Keys(*held))
    seen = {}

    def look(n):
        before_frame(n)
        if n == frames_4s - 1:
            seen["before"] = (Dataset(tmp_path / "d").frames, env.renderer._message[0] if env.renderer._message else "")

    stats = drive(env, HumanControls(), record_dir=tmp_path / "d", max_frames=frames_4s + 90, before_frame=look)
    assert seen["before"] == (0, "press an arrow to start")  # no frames while nobody drives
    assert (
        stats.exits == 1
        and "press an arrow for the next track" in stats.messages[-1]
        and "Backspace" in stats.messages[-1]
    )
    assert stats.steps < 70  # full left leaves the road within ~1 s; Left stayed down, so the next track never started
    controls = HumanControls()
    controls.hold_until_released(Keys(pygame.K_LEFT))  # as at the crash
    assert not controls.wants_to_start(Keys(pygame.K_LEFT))  # still down: ignored
    assert not controls.wants_to_start(Keys())  # released ...
    assert controls.wants_to_start(Keys(pygame.K_LEFT))  # ... and pressed again: it starts
    assert controls.update(env.config.dt_s, Keys(pygame.K_LEFT))[0] > 0  # and steers


def test_a_tap_between_two_frames_starts_the_car(env, monkeypatch):
    """A quick press that is up again before the next frame reads the keys (a slow first
    frame, a light tap) still starts the car: the key-down event counts."""
    before_frame, held = key_script([(5, pygame.KEYDOWN, pygame.K_UP), (5, pygame.KEYUP, pygame.K_UP)])
    monkeypatch.setattr(pygame.key, "get_pressed", lambda: Keys(*held))
    stats = drive(env, HumanControls(), max_frames=30, before_frame=before_frame)
    assert stats.steps == 25  # from the tap on (it was 0: the state of the keys never showed it)
