"""Importing this module loads the world's compiled kernels, by driving a small world a step.

numba loads each kernel from its cache the first time it is called, about a second for a
world's worth in every new process. A forkserver that preloads this module
(`agent.workers.start_early`) does that once, while the command that started it is still
starting up itself, and every worker it forks begins with the kernels loaded.

Only when they are in the cache: the first run after an install leaves compiling to the
workers, which compile what they use (this would compile a camera's and the sensors'
kernels, whichever the workers need, on one core). It runs no thread (two cars are
stepped on one), so forking after it is safe. It never fails: an error here (numba
broken) would take the forkserver down with a traceback, while each worker meeting it
says so in one line.
"""

from __future__ import annotations

import numpy as np

from sim.config import EnvConfig
from sim.track import from_seed
from sim.world import World


def cached() -> bool:
    """Whether numba's cache holds the world's kernels (a run before this one compiled them)."""
    from sim.jit import compiled_before
    from sim.step import step_cars

    return compiled_before(step_cars.serial)


def warm(cars: int = 2) -> None:
    """Step a world of `cars` cars with a camera and sensors once, and observe it."""
    world = World(EnvConfig(observation="both"), cars)
    for i in range(cars):
        world.set_track(i, from_seed(i))
    world.reset_cars(np.arange(cars))
    world.step(np.zeros(cars), None)
    world.observe()
    world.observe(cars=np.arange(1))


try:
    if cached():
        warm()
except Exception:  # (a broken numba install: each worker then meets it, and says so in one line)
    pass
