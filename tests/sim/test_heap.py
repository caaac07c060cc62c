"""Freed memory stays with the process once a World exists (glibc only)."""

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHURN = """
import resource, sys
import numpy as np
sys.path.insert(0, {root!r})

def faults_while_churning():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(50):
        frames = [np.ones(400_000) for _ in range(4)]  # 4 x 3.2 MB alive at once, as a step's arrays are
        del frames
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

plain = faults_while_churning()
from sim.config import EnvConfig
from sim.world import World
World(EnvConfig(observation="sensors"), 1)
print(plain, faults_while_churning())
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_a_world_keeps_freed_pages_for_the_next_step():
    out = subprocess.run([sys.executable, "-c", CHURN.format(root=str(ROOT))], capture_output=True, text=True, check=True).stdout
    plain, kept = map(int, out.split())
    assert plain > 50 * 1000  # glibc maps and unmaps these blocks every time ...
    assert kept < plain / 10  # ... until the thresholds are raised
