"""Worker pools: results come back, and the workers share the cores instead of each taking all."""

import os

from agent.workers import run_pool


def numba_threads(job):
    import numba

    return job, numba.get_num_threads()


def test_pool_workers_take_a_share_of_the_cores_for_the_world():
    got = dict(run_pool(numba_threads, range(4), workers=2))
    assert sorted(got) == [0, 1, 2, 3]
    assert set(got.values()) == {max(1, (os.cpu_count() or 1) // 2)}
