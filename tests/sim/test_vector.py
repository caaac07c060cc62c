import gymnasium as gym
import numpy as np
import pytest

from sim import ENV_ID  # registers it
from sim.env import DrivingEnv
from sim.jit import PARALLEL_MIN_CARS
from sim.vector import DrivingVectorEnv


def test_make_vec_returns_the_batched_env():
    venv = gym.make_vec(ENV_ID, num_envs=3, observation="sensors")
    assert isinstance(venv, DrivingVectorEnv)
    obs, info = venv.reset(seed=0)
    assert obs["sensors"].shape == (3, 10) and venv.action_space.shape == (3, 1)
    assert len(set(info["track"])) == 3  # each car on its own track


@pytest.mark.parametrize(
    "offroad, level, n, observation",
    [
        ("terminate", "school", 4, "both"),
        ("recover", "school", 4, "both"),
        ("terminate", "weather", 4, "both"),
        ("recover", "cones", 4, "both"),
        ("recover", "cones", PARALLEL_MIN_CARS, "sensors"),  # a batch stepped on numba's threads
    ],
)
def test_identical_to_single_envs_with_the_same_seeds(offroad, level, n, observation):
    kw = dict(offroad=offroad, max_steps=250, level=level, observation=observation)
    venv = gym.make_vec(ENV_ID, num_envs=n, **kw)
    obs, info = venv.reset(seed=21)
    singles = [DrivingEnv(**kw) for _ in range(n)]
    for i, e in enumerate(singles):
        o, _ = e.reset(seed=21 + i)
        assert all(np.array_equal(o[k], obs[k][i]) for k in o)
    rng = np.random.default_rng(1)
    ended = np.zeros(n, dtype=bool)
    episodes = 0
    for _ in range(400):
        a = rng.uniform(-0.6, 0.6, (n, 1)).astype(np.float32)  # wide enough to leave the road
        obs, r, term, trunc, info = venv.step(a)
        for i, e in enumerate(singles):
            if ended[i]:  # next-step autoreset: the vector env resets this car now
                o, _ = e.reset()
                ri, ti, tri = 0.0, False, False
                episodes += 1
            else:
                o, ri, ti, tri, single_info = e.step(a[i])
                assert single_info["heading_error_rad"] == info["heading_error_rad"][i]
            assert all(np.array_equal(o[k], obs[k][i]) for k in o)
            assert ri == pytest.approx(r[i], abs=1e-9) and ti == term[i] and tri == trunc[i]
            assert e.car.x == venv.world.car.x[i] and e.car.heading == venv.world.car.heading[i]
            assert e.world.interventions[0] == info["interventions"][i]
            assert info["track"][i] == e.track.name  # kept up to date as cars reset
        ended = term | trunc
    assert episodes >= n  # the autoreset path was exercised


def test_many_single_envs_in_one_process_do_not_interfere():
    envs = [DrivingEnv(track=s, observation="sensors") for s in range(6)]
    alone = DrivingEnv(track=3, observation="sensors")
    for e in envs + [alone]:
        e.reset(seed=0)
    for _ in range(100):
        outs = [e.step(np.array([0.05], np.float32))[0]["sensors"] for e in envs]
        ref = alone.step(np.array([0.05], np.float32))[0]["sensors"]
    assert np.array_equal(outs[3], ref)


def test_per_car_tracks_option():
    venv = DrivingVectorEnv(num_envs=2, observation="sensors")
    _, info = venv.reset(options={"tracks": [5, "assets/tracks/oval.json"]})
    assert info["track"][0].startswith("seed 5") and info["track"][1] == "Oval"
