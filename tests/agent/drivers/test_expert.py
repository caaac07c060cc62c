from pathlib import Path

import numpy as np
import pytest

from agent.drivers.expert import ExpertDriver, expert_laps
from sim.env import DrivingEnv
from sim.track import from_seed, load


def test_expert_three_laps_on_200_seeds_from_both_splits():
    seeds = list(range(100)) + list(range(1_000_000, 1_000_100))
    laps, worst = expert_laps([from_seed(s) for s in seeds], 3)
    assert (laps >= 3).mean() >= 0.99
    assert np.median(worst) < 2.0


def test_expert_on_every_bundled_track():
    tracks = [load(f) for f in sorted(Path("assets/tracks").glob("*.json"))]
    laps, _ = expert_laps(tracks, 3)
    assert (laps >= 3).all()


@pytest.mark.parametrize("action", ["steer", "steer+throttle"])
def test_expert_drives_the_env_with_observations(action):
    env = DrivingEnv(track=1_000_003, action=action, max_laps=1)
    d = ExpertDriver(env)
    obs, info = env.reset(seed=0)
    while True:
        obs, r, term, trunc, info = env.step(d.act(obs))
        if term or trunc:
            break
    assert not term and info["lap"] == 1 and info["interventions"] == 0
