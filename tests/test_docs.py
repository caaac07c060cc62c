"""The documentation is a site that builds without a dead link, the README stays short,
and the quickstart notebook runs top to bottom through the Python API."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebooks" / "quickstart.ipynb"


def test_the_site_builds_strictly(tmp_path):
    """`mkdocs build --strict`: a dead link, a missing picture or a broken docstring fails."""
    pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    site = tmp_path / "site"
    for page in (
        "index.html",
        "dataset/index.html",
        "api/index.html",
        "notebooks/quickstart/index.html",
        "lecture/index.html",
    ):
        assert (site / page).exists(), page
    assert "<table" in (site / "dataset" / "index.html").read_text()  # the format, from agent.data.dataset's docstring
    assert "doc-heading" in (site / "api" / "index.html").read_text()  # the API, from the docstrings


def test_the_readme_is_a_first_screen():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) < 200
    setup = [line for line in lines if line.startswith("    pip install")]
    assert len(setup) == 2 and setup[1].rstrip().endswith("python -m pytest")  # the two set-up commands


def test_the_quickstart_notebook_runs():
    """Executed top to bottom (nbclient) in a fresh kernel: no cell fails, it shows a camera
    frame and a GIF of the trained network driving, and its network learned to drive."""
    nbformat = pytest.importorskip("nbformat", reason="the docs extra")
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    # run from the repository (as a user who cloned it would); the notebook writes only to a temporary folder
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = {k for o in outputs if o.output_type in ("display_data", "execute_result") for k in o.data}
    assert {"image/png", "image/gif"} <= kinds
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    score = float(text.split("driving score ")[1].split(",")[0])
    assert score >= 80, text  # ten unseen tracks after a few seconds of training


def test_the_committed_notebook_has_its_outputs():
    """The site shows the notebook as committed: it must have been run (a cell without its
    output would show nothing)."""
    import json

    cells = [c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    assert cells and all(c["outputs"] for c in cells)
