"""The one way DriveLab runs work in other processes: `eval`, `record` and `race` share it.

Workers start from `process_context()`: a forkserver (a clean process that has imported
what `preload` names but run nothing), or spawn where there is none. A child is never
forked from a process whose torch threads are running (that can deadlock), and a child of
a forkserver starts in milliseconds. `run_pool` maps a function over jobs in a pool of such
workers and yields results as they finish, calling `while_waiting` between polls (to move
progress bars and drain queues). Work that runs on Ray (sweeps, races) joins a cluster,
or starts Ray here, through `connect`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path

INSTALL_HINT = "Ray is not installed; pip install -c constraints.txt -e '.[scale]' adds it"


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


def start_early(preload: tuple[str, ...]) -> None:
    """Start the forkserver now, importing `preload`, so that it loads them while this process
    goes on with its own start-up (on two cores, at the same time); the workers a pool starts
    later fork from it with those modules loaded. Does nothing where there is no forkserver,
    or once one runs."""
    ctx = process_context(preload)
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


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
    threads = max(1, (os.cpu_count() or 1) // max(workers, 1))  # the world's threads per worker: a core's share
    with ctx.Pool(workers, initializer=_start_worker, initargs=(threads, initializer, initargs)) as pool:
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


def _start_worker(threads: int, initializer: Callable | None, initargs: tuple) -> None:
    """A pool worker's start: the world's large batches (`sim.jit.batched`) use at most
    `threads` of numba's threads, so the workers together do not oversubscribe the cores."""
    from sim.jit import cap_threads

    cap_threads(threads)
    if initializer is not None:
        initializer(*initargs)


def require_ray() -> None:
    """One line saying how to install Ray, when it is missing."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise RuntimeError(INSTALL_HINT) from None


def connect(address: str | None, cpus: int | None = None) -> None:
    """ray.init on this machine (address None) or an existing cluster; one-line errors."""
    require_ray()
    import ray

    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # no Tune status tables: the bar and our lines say it
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    if address and address != "auto":
        _check_reachable(address)
    kw = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR", ignore_reinit_error=True)
    if address:
        here = Path(__file__).resolve().parents[1]  # ship the code to the cluster's workers
        kw["runtime_env"] = {
            "working_dir": str(here),
            "excludes": ["runs/", "data/", ".git/", "docs/", "*.pt", "*.onnx", "benchmarks/results/"],
        }
    else:
        kw["num_cpus"] = cpus
    try:
        ray.init(address=address, **kw)
    except ConnectionError as e:
        raise RuntimeError(
            f"--address {address}: no Ray cluster answers there ({str(e).strip().splitlines()[0][:120]})"
        ) from None


def _check_reachable(address: str) -> None:
    import socket

    host, _, port = address.replace("ray://", "").rpartition(":")
    if not host or not port.isdigit():
        raise RuntimeError(f"--address {address!r}: expected HOST:PORT of a Ray cluster's head (or 'auto')")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as e:
        raise RuntimeError(f"--address {address}: no Ray cluster answers there ({e.strerror or e})") from None
