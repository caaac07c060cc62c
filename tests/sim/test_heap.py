"""Freed memory stays with the process once a World exists or training starts (glibc only)."""

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

def faults_while_churning(mb):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        blocks = [np.ones(mb * 2**20 // 8) for _ in range(4)]  # 4 blocks alive at once, as a step's arrays are
        del blocks
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

from sim.config import EnvConfig
from sim.heap import TRAIN_BLOCK_MB, keep_freed_memory
from sim.world import World
out = [faults_while_churning(3)]
World(EnvConfig(observation="sensors"), 1)
out += [faults_while_churning(3), faults_while_churning(24)]
keep_freed_memory(TRAIN_BLOCK_MB)
World(EnvConfig(observation="sensors"), 1)  # a later World does not lower training's setting
out += [faults_while_churning(24)]
print(*out)
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_a_world_keeps_freed_pages_for_the_next_step_and_training_larger_ones():
    out = subprocess.run(
        [sys.executable, "-c", CHURN.format(root=str(ROOT))], capture_output=True, text=True, check=True
    ).stdout
    plain, small, big, big_trained = map(int, out.split())
    assert plain > 4 * 20 * 3 * 2**20 // 4096 / 2  # glibc maps and unmaps 3 MB blocks every time ...
    assert small < plain / 5  # ... not once a World has raised the thresholds ...
    assert big_trained < big / 5  # ... and 24 MB blocks only once training has (a World leaves them be)
