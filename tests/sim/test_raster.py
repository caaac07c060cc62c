"""The lazily drawn raster: any drawing order gives the whole-track picture, and what
observations read is always drawn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import ENV_ID  # registers it
from sim.camera import bind, render_frames
from sim.env import DrivingEnv
from sim.raster import Raster, RasterSet, build
from sim.sensors import read_rays
from sim.track import from_seed, load
from sim.trackset import TrackSet

TRACKS = [from_seed(3), from_seed(1_000_011), load("assets/tracks/hairpins.json")]
WHOLE = [build(t) for t in TRACKS]


@settings(max_examples=25, deadline=None)
@given(k=st.integers(0, len(TRACKS) - 1), order_seed=st.integers(0, 2**32 - 1), chunks=st.integers(1, 12))
def test_any_drawing_order_gives_the_whole_track_picture(k, order_seed, chunks):
    lazy = Raster(TRACKS[k])
    order = np.random.default_rng(order_seed).permutation(len(lazy.segments))
    for part in np.array_split(order, chunks):
        lazy.draw(part)
    assert lazy.drawn.all()
    assert np.array_equal(lazy.owner, WHOLE[k].owner)
    assert np.array_equal(lazy.texture.view(np.uint8), WHOLE[k].texture.view(np.uint8))


def test_a_reset_draws_only_the_road_near_the_car():
    env = DrivingEnv(track=TRACKS[0])
    env.reset(seed=0)
    drawn = env.world.rasters.rasters[0].drawn
    assert 0 < drawn.sum() < 0.5 * len(drawn)


def test_sensors_only_worlds_keep_no_raster():
    """Rays read the track's geometry: a world without a camera draws nothing."""
    env = DrivingEnv(observation="sensors", track=TRACKS[0])
    obs, _ = env.reset(seed=0)
    assert env.world.rasters is None and obs["sensors"][:-1].max() > 0


def _whole_track_observation(world, full, x, y, heading):
    """What car 0 would see at (x, y, heading) on `full`, a fully drawn copy of its raster."""
    pose = np.array([x]), np.array([y]), np.array([heading])
    obs = {}
    if world.use_camera:
        obs["camera"] = render_frames(bind(world.camera, full), *pose)[0]
    if world.use_sensors:
        obs["rays"] = read_rays(world.rays, TrackSet([world.tracks[0]]), *pose)[0]
    return obs


@pytest.mark.parametrize("camera", ["dashcam", "topdown"])
def test_observations_on_a_lazy_raster_equal_those_on_the_whole_track(camera):
    """An expert lap with wobbles and side-camera poses: every frame and every ray reading
    equals the one taken on a raster drawn whole beforehand."""
    from agent.drivers.expert import ExpertDriver

    env = DrivingEnv(camera=camera, track=TRACKS[2], max_laps=1)
    obs, _ = env.reset(seed=0)
    driver = ExpertDriver(env)
    rng = np.random.default_rng(0)
    w = env.world
    full = build(w.tracks[0], w.config.raster)
    for step in range(3000):
        if step % 7 == 0:  # compare what the env returned with the whole-track picture
            c = env.car
            ref = _whole_track_observation(w, full, c.x, c.y, c.heading)
            assert np.array_equal(obs["camera"], ref["camera"])
            assert np.allclose(obs["sensors"][:-1], ref["rays"], atol=1e-9)
        if step % 50 == 0:  # a side camera 1.5 m off and turned, as recording does
            c = env.car
            x, y, h = c.x - 1.5 * np.sin(c.heading), c.y + 1.5 * np.cos(c.heading), c.heading + 0.14
            side = w.observe(np.array([x]), np.array([y]), np.array([h]), np.array([c.speed]))
            assert np.array_equal(side["camera"][0], _whole_track_observation(w, full, x, y, h)["camera"])
        action = driver.act(obs) + rng.normal(0, 0.15)
        obs, _, term, trunc, _ = env.step(np.clip(action, -1, 1).astype(np.float32))
        if term or trunc:
            break
    assert trunc and not term  # the lap was driven
    assert w.rasters.rasters[0].drawn.all()  # by the end of a lap every segment was needed


def test_a_batch_redraws_in_place_and_matches_fresh_rasters():
    """Cars that reset onto new tracks reuse their buffers when they fit; what they see equals a fresh env."""
    import gymnasium as gym

    venv = gym.make_vec(ENV_ID, num_envs=3, max_steps=40)
    obs, _ = venv.reset(seed=5)
    for _ in range(200):  # five episodes each: resets onto new tracks
        obs, *_ = venv.step(np.full((3, 1), 0.02, np.float32))
    w = venv.world
    for i in range(3):
        fresh = DrivingEnv(track=w.tracks[i])
        fresh.reset(seed=0)
        fresh.world.place(0, w.car.x[i], w.car.y[i], w.car.heading[i], w.car.speed[i])
        ref = fresh.world.observe()
        assert np.array_equal(ref["camera"][0], obs["camera"][i])


def test_a_car_keeps_its_buffers_for_a_track_that_fits_and_grows_them_for_one_that_does_not():
    from sim.env import resolve_track
    from sim.raster import layout

    tracks = sorted((resolve_track(s) for s in range(20, 30)), key=lambda t: layout(t).texels)
    small, big = tracks[0], tracks[-1]
    pool = RasterSet([tracks[5]])
    before = pool.textures[0]
    pool.redraw(0, small)  # fits: drawn in place
    assert pool.textures[0] is before or np.shares_memory(pool.textures[0], before)
    pool.redraw(0, big)  # does not fit: larger buffers, with room to grow
    assert not np.shares_memory(pool.textures[0], before)
    assert len(pool.textures[0]) >= 3 * layout(big).texels * RasterSet.GROWTH - 3
    pool.rasters[0].draw_all()
    assert np.array_equal(pool.rasters[0].texture.view(np.uint8), build(big).texture.view(np.uint8))
