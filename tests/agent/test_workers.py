"""Worker pools: results come back, and the workers share the cores instead of each taking all."""

import os

from agent.workers import run_pool


def numba_threads(job):
    import gymnasium as gym
    import numba
    import numpy as np

    from sim import ENV_ID
    from sim.jit import PARALLEL_MIN_CARS
    from sim.step import step_cars

    venv = gym.make_vec(ENV_ID, num_envs=PARALLEL_MIN_CARS, observation="sensors")  # a batch for numba's threads
    venv.reset(seed=job)
    venv.step(np.zeros((PARALLEL_MIN_CARS, 1), np.float32))
    return job, step_cars(PARALLEL_MIN_CARS) is step_cars.serial, numba.get_num_threads()


def test_pool_workers_take_a_share_of_the_cores_for_the_world():
    share = max(1, (os.cpu_count() or 1) // 2)
    got = {job: rest for job, *rest in run_pool(numba_threads, range(4), workers=2)}
    assert sorted(got) == [0, 1, 2, 3]
    for serial, threads in got.values():
        assert serial == (share < 2)  # a worker with one core's share loops on one thread
        assert threads == share or serial
