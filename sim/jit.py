"""How the world's rules are compiled: numba's `njit`, cached on disk, one place to change it.

Every per-car rule (the car's motion, locating it on its track, the rays, the camera
frame, contacts with obstacles) is a plain Python function written for one car and
compiled by numba; a kernel loops it over the N cars. To step through a rule in a
debugger, run with `NUMBA_DISABLE_JIT=1` (numba's own switch): the same functions then
run as ordinary Python.

Compiled code is cached beside the sources (or under `NUMBA_CACHE_DIR`), so only the
first run after an install pays for compiling; where no cache can be written, numba
compiles in memory each run.
"""

from __future__ import annotations

INSTALL = 'pip install -c constraints.txt "numba>=0.60"'

try:
    import numba
except Exception as e:  # a broken or missing install: one line, naming the fix
    raise ImportError(f"numba could not be imported ({type(e).__name__}: {e}); DriveLab's world is compiled with it: {INSTALL}") from None


def kernel(fn):
    """Compile `fn` with numba (no Python objects inside; cached on disk; releases the GIL).

    Arithmetic follows IEEE rules exactly (no fastmath), so the same inputs give the same
    bits in every process and in every batch size.
    """
    return numba.njit(cache=True, nogil=True)(fn)
