"""The one way DriveLab runs work in other processes: `eval`, `record` and `race` share it.

Workers start from `process_context()`: a forkserver (a clean process that has imported
what `preload` names but run nothing), or spawn where there is none. A child is never
forked from a process whose torch threads are running (that can deadlock), and a child of
a forkserver starts in milliseconds. `run_pool` maps a function over jobs in a pool of such
workers and yields results as they finish, calling `while_waiting` between polls (to move
progress bars and drain queues).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache


@lru_cache(maxsize=None)
def process_context(preload: tuple[str, ...] = ()):
    """The multiprocessing context for DriveLab's workers. There is one forkserver per
    process: `preload` counts if given before its first worker starts (later, the server
    already runs and children import what they need themselves)."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        if preload:
            ctx.set_forkserver_preload(list(preload))
        return ctx
    return mp.get_context("spawn")


def run_pool(
    fn: Callable,
    jobs: Iterable,
    workers: int,
    *,
    initializer: Callable | None = None,
    initargs: tuple = (),
    while_waiting: Callable[[], None] | None = None,
    poll_s: float = 0.5,
    ctx=None,
) -> Iterator:
    """`fn(job)` for every job in `workers` processes of `ctx` (default `process_context()`),
    yielded in the order they finish; `while_waiting()` runs at least every `poll_s`."""
    ctx = ctx or process_context()
    jobs = list(jobs)
    with ctx.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        results = pool.imap_unordered(fn, jobs)
        for _ in range(len(jobs)):
            while True:
                try:
                    result = results.next(timeout=poll_s)
                    break
                except mp.TimeoutError:
                    if while_waiting is not None:
                        while_waiting()
            if while_waiting is not None:
                while_waiting()
            yield result
