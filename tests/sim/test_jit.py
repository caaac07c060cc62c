"""The compiled world when numba's cache cannot be used, or numba itself cannot."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
# a sensors-only world at cones (sensor noise) on a track file: fewer kernels to compile than
# with a camera or a track generated from a seed
STEP = (
    "from sim.env import DrivingEnv; import numpy as np; "
    f"e = DrivingEnv(level='cones', observation='sensors', track={str(ROOT / 'assets/tracks/oval.json')!r}); "
    "e.reset(seed=3); o = e.step(np.zeros(1))[0]; print(repr(o['sensors'].tolist()))"
)


def _run(code: str, cwd: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def reference():
    """What the cached world observes (this process compiles or loads the kernels)."""
    out = _run(STEP, ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_no_writable_cache_compiles_in_memory_after_one_line(tmp_path, reference):
    """A read-only install (here: __pycache__ cannot be made) with an unusable
    NUMBA_CACHE_DIR and home: numba alone raises; the world compiles in memory instead."""
    shutil.copytree(ROOT / "sim", tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "sim" / "__pycache__").write_text("not a folder")
    out = _run(STEP, tmp_path, NUMBA_CACHE_DIR="/dev/null/cache", HOME="/dev/null/home", XDG_CACHE_HOME="/dev/null/xdg")
    assert out.returncode == 0, out.stderr
    assert out.stdout == reference  # the same observation
    said = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(said) == 1 and "NUMBA_CACHE_DIR" in said[0]


def test_a_corrupt_cache_is_rebuilt(tmp_path, reference):
    shutil.copytree(ROOT / "sim", tmp_path / "sim")  # with the cache the reference run left (times kept: it is valid)
    cache = tmp_path / "sim" / "__pycache__"
    garbage = {}
    for f in sorted(cache.rglob("*.nb*")):  # a crash mid-write, a bad disk
        garbage[f] = os.urandom(64)
        f.write_bytes(garbage[f])
    assert garbage
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    again = subprocess.run(
        [sys.executable, "-c", STEP], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == reference
    rebuilt = [f for f in garbage if f.suffix == ".nbi" and f.exists() and f.read_bytes() != garbage[f]]
    assert len(rebuilt) >= 5  # the kernels this step uses saved their caches anew (others are left for their turn)


def test_a_broken_numba_ends_the_command_in_one_line(tmp_path):
    fake = tmp_path / "numba"
    fake.mkdir()
    (fake / "__init__.py").write_text('raise ImportError("numba needs numpy < 2.5")')
    out = subprocess.run(
        [sys.executable, "run_sim.py", "eval", "--tracks", "1"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "numba" in lines[0] and "pip install" in lines[0] and "Traceback" not in out.stderr


def test_a_kernel_that_does_not_compile_ends_the_command_in_one_line(monkeypatch, capsys):
    from numba.core.errors import TypingError

    import run_sim
    from agent.cli import levels

    def broken(args):
        raise TypingError(
            "No implementation of function Function(<built-in function atan>) found for signature:\n more lines"
        )

    monkeypatch.setattr(levels, "run", broken)
    assert run_sim.main(["levels"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "numba could not compile" in err[0] and "pip install" in err[0]


def test_kernels_run_as_python_with_the_jit_off():
    """NUMBA_DISABLE_JIT=1 (for a debugger) runs the same rules as plain Python: same result."""
    code = (
        "from sim.env import DrivingEnv; import numpy as np; e = DrivingEnv(observation='sensors', track=3); "
        "e.reset(seed=0); print([e.step(np.array([0.1]))[0]['sensors'].tolist() for _ in range(3)])"
    )
    jit = _run(code, ROOT)
    plain = _run(code, ROOT, NUMBA_DISABLE_JIT="1")
    assert jit.returncode == 0 and plain.returncode == 0, plain.stderr
    assert np.allclose(eval(jit.stdout), eval(plain.stdout), atol=1e-4)


def test_warming_loads_kernels_from_the_cache_but_never_compiles(tmp_path, reference):
    """sim.warm (a forkserver's preload) steps a world only when numba's cache holds its kernels."""
    code = "import sim.warm, sim.step; print(sim.warm.cached(), len(sim.step.step_cars.serial.signatures))"
    cold = _run(code, ROOT, NUMBA_CACHE_DIR=str(tmp_path))  # an empty cache: nothing compiled, nothing stepped
    warm = _run(code, ROOT)  # this checkout's cache, which `reference` filled
    assert cold.returncode == 0 and warm.returncode == 0, cold.stderr + warm.stderr
    assert cold.stdout.split() == ["False", "0"]
    assert warm.stdout.split() == ["True", "1"]
