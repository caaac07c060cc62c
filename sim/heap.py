"""Keep freed memory in the process, so a step does not page-fault its arrays back in.

glibc's malloc hands blocks over 128 KiB out as fresh mappings and gives freed memory at
the top of the heap back to the OS. A batch of camera frames or a ConvNet's activations
(a few MB) is made and freed every step, so every step paid for mapping those pages
again: in `eval` with the bundled ConvNet, about a million minor page faults and a fifth
of the CPU time for 25 tracks. Raising both thresholds keeps the memory for the next step.
"""

from __future__ import annotations

import ctypes
import platform

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 64 << 20  # blocks up to this size come from the heap ...
TRIM_THRESHOLD_BYTES = 128 << 20  # ... and up to this much free memory stays with the process

_done = False


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (once). True if set.

    Elsewhere (macOS, Windows, musl) this does nothing: their allocators differ.
    """
    global _done
    if _done:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    return _done
