"""Keep freed memory in the process, so a step does not page-fault its arrays back in.

glibc's malloc hands blocks over 128 KiB out as fresh mappings and gives freed memory at
the top of the heap back to the OS. A batch of camera frames or a ConvNet's activations
(a few MB) is made and freed every step, so every step paid for mapping those pages
again: in `eval` with the bundled ConvNet, about 1.9 million minor page faults and a
third of the CPU time for 50 tracks. Raising both thresholds keeps the memory for the
next step. They are raised no higher than the blocks need: memory kept free is still
resident (64-car worlds grew from about 210 MB to 280-430 MB with 64 MB blocks).
"""

from __future__ import annotations

import ctypes
import platform

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
WORLD_BLOCK_MB = 8  # a World's per-step arrays: frames, pixel tables, a batch's activations in eval
TRAIN_BLOCK_MB = 64  # a training step's activations and gradients at the default batch

_block_mb = 0  # what this process has set so far


def keep_freed_memory(block_mb: int = WORLD_BLOCK_MB) -> bool:
    """Let blocks up to `block_mb` MB come from the heap and keep up to twice that free.

    Never lowers what an earlier call set. True if glibc took the setting; elsewhere
    (macOS, Windows, musl) this does nothing: their allocators differ.
    """
    global _block_mb
    if block_mb <= _block_mb:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    if mallopt(M_MMAP_THRESHOLD, block_mb << 20) and mallopt(M_TRIM_THRESHOLD, 2 * block_mb << 20):
        _block_mb = block_mb
        return True
    return False
