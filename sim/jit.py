"""How the world's rules are compiled: numba's `njit`, cached on disk, one place to change it.

Every per-car rule (the car's motion, locating it on its track, the rays, the camera
frame, contacts with obstacles) is a plain Python function written for one car and
compiled by numba; a kernel loops it over the N cars. To step through a rule in a
debugger, run with `NUMBA_DISABLE_JIT=1` (numba's own switch): the same functions then
run as ordinary Python.

Compiled code is cached beside the sources (or under `NUMBA_CACHE_DIR`), so only the
first run after an install pays for compiling. Where no cache can be written (a
read-only install and no writable `NUMBA_CACHE_DIR`), the kernels are compiled in memory
each run, after one line saying so.
"""

from __future__ import annotations

import os
import sys
import threading
import types

import numpy as np

INSTALL = 'pip install -c constraints.txt "numba>=0.60"'

try:
    import numba
except Exception as e:  # a broken or missing install: one line, naming the fix
    raise ImportError(
        f"numba could not be imported ({type(e).__name__}: {e}); DriveLab's world is compiled with it: {INSTALL}"
    ) from None


_told = False  # whether the no-cache line was printed


def kernel(fn, parallel: bool = False):
    """Compile `fn` with numba (no Python objects inside; cached on disk; releases the GIL).

    Arithmetic follows IEEE rules exactly (no fastmath), so the same inputs give the same
    bits in every process and in every batch size. With `parallel`, the iterations of its
    `numba.prange` loops run on numba's threads (`prange` is a plain `range` otherwise).
    """
    global _told
    try:
        compiled = numba.njit(cache=True, nogil=True, parallel=parallel)(fn)
        if hasattr(compiled, "_cache"):  # (with NUMBA_DISABLE_JIT=1 it is the plain function)
            _survive_a_corrupt_cache(compiled._cache)
        return compiled
    except RuntimeError as e:  # numba found no writable place for its cache
        if "cannot cache" not in str(e):
            raise
        if not _told:
            print(
                "DriveLab: no writable cache for numba (set NUMBA_CACHE_DIR to a writable folder); compiling the "
                "world in memory, each run",
                file=sys.stderr,
            )
            _told = True
        return numba.njit(nogil=True, parallel=parallel)(fn)


def compiled_before(compiled) -> bool:
    """Whether numba's cache on disk holds kernel `compiled` (an earlier run compiled it).
    (Reads the cache's index path from numba's cache object, pinned in constraints.txt.)"""
    cache_file = getattr(getattr(compiled, "_cache", None), "_cache_file", None)
    return cache_file is not None and os.path.exists(cache_file._index_path)


_thread_cap: int | None = None  # set by cap_threads: at most this many of numba's threads


def cap_threads(threads: int) -> None:
    """Let this process's batched kernels use at most `threads` of numba's threads (a worker
    of a pool takes its share of the cores; with one, they loop on one thread: idle threads
    of several workers would spin on the same cores). Starts no thread itself."""
    global _thread_cap
    _thread_cap = max(1, int(threads))


PARALLEL_MIN_CARS = 32  # a batch this large steps its cars on numba's threads (measured: 64 cars, sensors
# only, 1.2x on 2 cores); smaller ones loop on one thread, where waking the threads would cost more


def _renamed(fn, suffix: str):
    """A copy of function `fn` named with `suffix`: numba's cache tells compilations of one
    function apart by signature and machine only, not by flags, so the threaded compilation
    of a kernel needs a name (and cache file) of its own."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + suffix, fn.__defaults__, fn.__closure__)
    copy.__qualname__ = fn.__qualname__ + suffix
    copy.__module__, copy.__doc__ = fn.__module__, fn.__doc__
    return copy


_set_here = threading.local()  # the thread count this Python thread last gave numba (asking costs 6 us)


def batched(fn):
    """`fn` (a kernel whose loop over the cars is a `numba.prange`) compiled twice: a loop on
    one thread, and one on numba's threads for batches of PARALLEL_MIN_CARS or more (compiled
    the first time such a batch comes). Returns `pick(cars)`, the one for that many cars.
    Both run the same per-car rule, so they give the same bits."""
    serial = kernel(fn)
    parallel = []

    def pick(cars: int):
        threads = min(_thread_cap or numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS)
        if cars < PARALLEL_MIN_CARS or threads < 2 or numba.config.DISABLE_JIT:
            return serial  # (one thread: a pool's worker on its core, or a one-core machine)
        if not parallel:
            parallel.append(kernel(_renamed(fn, "_threads"), parallel=True))
        if getattr(_set_here, "threads", None) != threads:  # (first time in this thread, or a cap set since)
            numba.set_num_threads(threads)  # (numba starts its threads here; the setting is per Python thread)
            _set_here.threads = threads
        return parallel[0]

    pick.serial = serial
    return pick


def _survive_a_corrupt_cache(cache) -> None:
    """Let a cache whose files are corrupt (a crash mid-write, a disk error) be rebuilt: numba
    itself raises on them. The unreadable index is removed and the kernel compiled anew,
    then saved again. (Reaches into numba's cache object, pinned in constraints.txt.)"""
    load = cache.load_overload

    def load_or_forget(sig, target_context):
        try:
            return load(sig, target_context)
        except Exception:
            try:
                os.remove(cache._cache_file._index_path)
            except OSError:
                pass
            return None

    cache.load_overload = load_or_forget


# ------------------------------------- fused multiply-add; 128-bit multiply-add

if numba.config.DISABLE_JIT:

    def fma(a, b, c):
        """a * b + c rounded once (as plain Python: exact rational arithmetic, then one rounding)."""
        from fractions import Fraction

        return float(Fraction(a) * Fraction(b) + Fraction(c))

    def muladd128(a_hi, a_lo, b_hi, b_lo, c_hi, c_lo):
        """a x b + c mod 2**128, each number as its uint64 halves (high, low); returns (high, low)."""
        a, b, c = (int(a_hi) << 64 | int(a_lo)), (int(b_hi) << 64 | int(b_lo)), (int(c_hi) << 64 | int(c_lo))
        r = (a * b + c) & ((1 << 128) - 1)
        return np.uint64(r >> 64), np.uint64(r & ((1 << 64) - 1))

else:
    from llvmlite import ir
    from numba.extending import intrinsic

    @intrinsic
    def muladd128(typingctx, a_hi, a_lo, b_hi, b_lo, c_hi, c_lo):
        """a x b + c mod 2**128, each number as its uint64 halves (high, low); returns (high,
        low). One 128-bit multiply and add in LLVM: numba has no 128-bit integer type."""
        u64 = numba.types.uint64
        sig = numba.types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

        def codegen(context, builder, signature, args):
            i128, i64 = ir.IntType(128), ir.IntType(64)

            def join(h, low):
                return builder.or_(builder.shl(builder.zext(h, i128), ir.Constant(i128, 64)), builder.zext(low, i128))

            r = builder.add(builder.mul(join(*args[0:2]), join(*args[2:4])), join(*args[4:6]))
            high = builder.trunc(builder.lshr(r, ir.Constant(i128, 64)), i64)
            return context.make_tuple(builder, signature.return_type, [high, builder.trunc(r, i64)])

        return sig, codegen

    @intrinsic
    def fma(typingctx, a, b, c):
        """a * b + c rounded once (LLVM's fma: the hardware instruction, or libm's where there is
        none). Kernels that repeat a BLAS routine's arithmetic to the bit need it: OpenBLAS
        fuses some products into sums."""
        sig = numba.types.float64(numba.types.float64, numba.types.float64, numba.types.float64)

        def codegen(context, builder, signature, args):
            return builder.fma(*args)

        return sig, codegen
