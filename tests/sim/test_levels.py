"""Levels: school is the old world exactly; harder levels vary tracks and episodes, seeded,
with train and test conditions that never overlap at `weather`."""

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import track as tracks
from sim.camera import make_camera
from sim.config import EnvConfig, Level
from sim.env import DrivingEnv
from sim.levels import BINS, LEVELS, Conditions, Look, draw_conditions, with_level
from sim.raster import CENTRE, LINE, build
from sim.world import World


def test_school_is_the_default_world_and_draws_nothing():
    assert EnvConfig().level == LEVELS["school"] and DrivingEnv().config == DrivingEnv(level="school").config
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    assert draw_conditions(LEVELS["school"], rng, "train", EnvConfig().camera) == Conditions()
    assert rng.bit_generator.state == state  # so a school episode's draws are what they always were
    a, b = DrivingEnv(), DrivingEnv(level="school")
    oa, _ = a.reset(seed=3)
    ob, _ = b.reset(seed=3)
    assert np.array_equal(oa["camera"], ob["camera"]) and a.track.width_m == 10.0 and a.track.markings == "solid/dashed"


def test_unknown_level_is_one_line_listing_the_levels():
    with pytest.raises(ValueError, match="level=.moon.: expected one of school, country, weather, cones"):
        DrivingEnv(level="moon")


def test_country_tracks_vary_within_their_ranges():
    cfg = with_level(EnvConfig(), "country")
    ts = [tracks.from_seed(s, cfg.track) for s in range(30)]
    widths = [t.width_m for t in ts]
    assert 6.0 <= min(widths) and max(widths) <= 10.0 and max(widths) - min(widths) > 2.0
    assert len({t.markings for t in ts}) >= 5
    assert min(1 / np.abs(t.curvature).max() for t in ts) < 14.0  # tighter than school allows
    assert all(1 / np.abs(t.curvature).max() >= 9.0 * 0.95 for t in ts)
    assert tracks.from_seed(7, cfg.track).width_m == tracks.from_seed(7, cfg.track).width_m  # seeded


def _has_colour(raster, colour, tol=12.0) -> bool:
    level0 = raster.level(0).reshape(-1, 3).astype(np.float32)
    return bool((np.abs(level0 - colour).max(axis=1) < tol).any())


@pytest.mark.parametrize(
    "markings, edge, centre",
    [
        ("solid/dashed", True, True),
        ("none/solid", False, True),
        ("dashed/none", True, False),
        ("none/none", False, False),
    ],
)
def test_markings_are_painted_as_named(markings, edge, centre):
    t = tracks.from_seed(3)
    t = tracks.Track.from_polyline("m", 8.0, t.centerline, markings=markings)
    r = build(t)
    assert _has_colour(r, LINE) == edge and _has_colour(r, CENTRE) == centre


def test_cruise_speed_is_drawn_per_episode_and_held():
    env = DrivingEnv(level="country", observation="sensors")
    speeds = []
    for k in range(6):
        obs, _ = env.reset(seed=k)
        for _ in range(60):
            obs, *_ = env.step([0.0])
        cruise = env.world.cruise[0]
        assert 10.0 <= cruise <= 16.0 and abs(obs["sensors"][-1] - cruise) < 0.3  # the sensors carry the speed
        speeds.append(cruise)
    assert max(speeds) - min(speeds) > 1.0


def test_same_seed_same_weather_and_frames():
    a, b = DrivingEnv(level="weather"), DrivingEnv(level="weather")
    for k in (0, 9):
        oa, _ = a.reset(seed=k)
        ob, _ = b.reset(seed=k)
        assert a.world.conditions[0] == b.world.conditions[0]
        for _ in range(20):
            oa, *_ = a.step([0.1])
            ob, *_ = b.step([0.1])
        assert np.array_equal(oa["camera"], ob["camera"]) and np.array_equal(oa["sensors"], ob["sensors"])


def test_a_neutral_look_renders_exactly_the_school_frame():
    """The graded path (every pixel sampled, colour map, fog, sky) with the default look
    and camera reproduces the plain path bit for bit."""
    school = World(EnvConfig(observation="camera"), 1)
    weather = World(with_level(EnvConfig(observation="camera"), "weather"), 1)
    t = tracks.from_seed(12)
    for w in (school, weather):
        w.set_track(0, t)
        w.set_conditions(0, Conditions())
        w.reset_cars(0)
    a, b = school.observe()["camera"], weather.observe()["camera"]
    assert weather.lens.varied and np.array_equal(a, b)


def test_the_weather_changes_the_picture_not_the_road():
    w = World(with_level(EnvConfig(observation="camera"), "weather"), 1)
    w.set_track(0, tracks.from_seed(12))
    frames = []
    for look in (Look(), Look(sun=0.0), Look(fog_per_m=0.1), Look(grass_dry=1.0, asphalt_shade=1.4)):
        w.set_conditions(0, Conditions(look=look))
        w.reset_cars(0)
        frames.append(w.observe()["camera"][0].astype(np.float32))
    noon, dusk, fog, dry = frames
    assert dusk.mean() < noon.mean() - 15  # darker
    bottom, top = slice(48, 64), slice(0, 8)
    assert fog[bottom].std() < noon[bottom].std() * 0.9 and fog[top].std() < 8  # fog washes out contrast; sky grey
    assert np.abs(dry - noon).mean() > 5


def test_camera_jitter_moves_the_horizon_a_little():
    cam = EnvConfig().camera
    w = World(with_level(EnvConfig(observation="camera"), "weather"), 1)
    w.set_track(0, tracks.from_seed(1))
    rows = []
    for pitch in (cam.pitch_deg * 0.96, cam.pitch_deg * 1.04):
        from dataclasses import replace

        w.set_conditions(0, Conditions(camera=replace(cam, pitch_deg=pitch)))
        w.reset_cars(0)
        f = w.observe()["camera"][0].astype(np.float32)
        sky_blue = f[:, :, 2] - f[:, :, 1] > 10  # sky pixels are bluer than green
        rows.append(int(sky_blue.all(axis=1).sum()))
    assert rows[0] > rows[1]  # pitched down further: less sky


def test_sensor_noise_is_seeded_and_of_the_drawn_size():
    cfg = with_level(EnvConfig(observation="sensors"), "weather")
    t = tracks.from_seed(4)
    readings = []
    for noise in (0.0, 0.3, 0.3):
        w = World(cfg, 1)
        w.set_track(0, t)
        w.set_conditions(0, Conditions(sensor_noise_m=noise, noise_seed=9))
        w.reset_cars(0)
        readings.append(w.observe()["sensors"][0, :-1])
    clean, noisy, again = readings
    assert np.array_equal(noisy, again) and 0.1 < np.std(noisy - clean) < 0.6


def test_steering_trim_pulls_the_car():
    cfg = with_level(EnvConfig(observation="sensors"), "weather")
    headings = []
    for trim in (-0.03, 0.0, 0.03):
        w = World(cfg, 1)
        w.set_track(0, tracks.from_seed(4))
        w.set_conditions(0, Conditions(steer_trim=trim))
        w.reset_cars(0)
        h0 = w.car.heading[0]
        for _ in range(20):
            w.step(np.zeros(1), None)
        headings.append(w.car.heading[0] - h0)
    assert headings[0] < headings[1] < headings[2]


EPISODE_RANGES = {  # parameter -> (low, high) of its draw at weather, as sim.levels draws them
    "sun": (0.0, 1.0),
    "grass_dry": (0.0, 1.0),
    "grass_shade": (0.75, 1.25),
    "asphalt_shade": (0.7, 1.4),
    "asphalt_tint": (-1.0, 1.0),
    "line_fade": (0.0, 0.6),
}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_train_and_test_conditions_never_overlap(seed):
    level, cam = LEVELS["weather"], EnvConfig().camera
    for split, parity in (("train", 0), ("test", 1)):
        c = draw_conditions(level, np.random.default_rng(seed), split, cam)
        for name, (lo, hi) in EPISODE_RANGES.items():
            b = int((getattr(c.look, name) - lo) / (hi - lo) * BINS)
            assert b % 2 == parity, (split, name)
        b = int((c.cruise_speed_mps - 10.0) / 6.0 * BINS)
        assert b % 2 == parity
        b = int((c.camera.pitch_deg / cam.pitch_deg - 0.96) / 0.08 * BINS)
        assert b % 2 == parity


def test_levels_are_stored_with_the_config_and_read_back():
    for name, level in LEVELS.items():
        cfg = with_level(EnvConfig(), name)
        assert EnvConfig.from_dict(cfg.to_dict()) == cfg and cfg.level == level
    assert (
        with_level(with_level(EnvConfig(), "country"), "school").track == EnvConfig().track
    )  # no level inherits another's roads
    old = EnvConfig().to_dict()
    del old["level"]  # written before levels existed
    assert EnvConfig.from_dict(old).level.name == "school"


def test_bad_level_fields_are_refused_in_one_line():
    with pytest.raises(ValueError, match="marking 'solid'"):
        Level("x", markings=("solid",))
    with pytest.raises(ValueError, match="road_width_m"):
        Level("x", road_width_m=(10.0, 6.0))
    names = {f.name for f in fields(Level)}
    assert {
        "road_width_m",
        "min_radius_m",
        "markings",
        "cruise_speed_mps",
        "weather",
        "camera_jitter",
        "sensor_noise_m",
        "steer_trim",
    } <= names


def test_jittered_cameras_share_one_pixel_layout():
    from dataclasses import replace

    cam = EnvConfig().camera
    lo = make_camera(
        replace(cam, pitch_deg=cam.pitch_deg * 0.96, fov_deg=cam.fov_deg * 1.04), all_pixels=True, skip_rows=10
    )
    hi = make_camera(
        replace(cam, pitch_deg=cam.pitch_deg * 1.04, fov_deg=cam.fov_deg * 0.96), all_pixels=True, skip_rows=10
    )
    assert lo.first_ground == hi.first_ground == 640 and len(lo.forward_m) == len(hi.forward_m) == 64 * 64 - 640
