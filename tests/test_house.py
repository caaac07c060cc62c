"""Rules of the house that a reading of the source can check."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = [p for d in ("sim", "agent", "models") for p in (ROOT / d).rglob("*.py")]


def test_library_code_leaves_global_state_alone():
    """Plots go through matplotlib.figure.Figure: no module switches matplotlib's backend
    or uses pyplot's global figures (a notebook that imports DriveLab keeps its own)."""
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in LIBRARY
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"matplotlib\.use\(|import matplotlib\.pyplot|from matplotlib import pyplot", line)
    ]
    assert not offenders, offenders


def test_the_env_id_is_written_once():
    """Code names the env by `sim.ENV_ID`; the literal id lives in sim/__init__.py alone."""
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in LIBRARY
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"""^[^"'`#]*\bmake(_vec)?\(["']DriveLab-v""", line)
    ]  # code, not prose
    assert not offenders, offenders


def test_ruff_finds_nothing():
    """`ruff check` (pycodestyle with long lines, pyflakes, import order) and `ruff format`
    pass on the whole project, as configured in pyproject.toml."""
    import subprocess
    import sys

    for args in (["check", "."], ["format", "--check", "."]):
        r = subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, f"ruff {' '.join(args)}:\n{r.stdout}{r.stderr}"


def test_the_architecture_picture_tells_the_truth():
    """docs/architecture.md's graph of who imports whom is the one the source has."""
    from agent.docs.architecture import DOC, current_block, imports, mermaid

    assert current_block(DOC.read_text()) == mermaid(imports()), "run python -m agent.docs.architecture"


def test_the_world_and_the_networks_stay_apart():
    """sim imports neither agent nor models (nor torch); models imports no agent."""
    from agent.docs.architecture import imports

    edges = imports()
    assert not [e for e in edges if e[0] == "sim" and e[1] != "sim"], edges
    assert not [e for e in edges if e[0] == "models" and e[1].startswith("agent")], edges


def test_one_way_to_start_worker_processes():
    """eval, record and race start their workers through agent.workers: no other module
    makes a multiprocessing context or pool of its own."""
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in LIBRARY
        if p.name != "workers.py"
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"get_context\(|\.Pool\(|set_forkserver_preload", line)
    ]
    assert not offenders, offenders
