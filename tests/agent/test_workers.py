"""Worker pools: results come back, and the workers share the cores instead of each taking all."""

import os

from agent.workers import run_pool


def numba_threads(job):
    import gymnasium as gym
    import numba
    import numpy as np

    from sim import ENV_ID
    from sim.jit import PARALLEL_MIN_CARS

    venv = gym.make_vec(ENV_ID, num_envs=PARALLEL_MIN_CARS, observation="sensors")  # a batch on numba's threads
    venv.reset(seed=job)
    venv.step(np.zeros((PARALLEL_MIN_CARS, 1), np.float32))
    return job, numba.get_num_threads()


def test_pool_workers_take_a_share_of_the_cores_for_the_world():
    got = dict(run_pool(numba_threads, range(4), workers=2))
    assert sorted(got) == [0, 1, 2, 3]
    assert set(got.values()) == {max(1, (os.cpu_count() or 1) // 2)}
