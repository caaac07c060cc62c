"""The documentation's performance figures come from the benchmarks' JSON, and the benchmarks write it."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_module():
    spec = importlib.util.spec_from_file_location("bench_readme", ROOT / "benchmarks" / "readme.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_performance_blocks_are_rendered_from_the_committed_results():
    mod = _readme_module()
    names = set()
    for page in mod.pages():
        text = page.read_text()
        names |= set(mod.blocks(text))
        assert mod.rendered(text) == text, f"{page.name} is stale: run python benchmarks/readme.py"
    assert {"env", "eval", "dataset", "train", "soak", "levels", "suite", "controls"} <= names
    for name in names - {"suite"}:
        source = mod.SOURCE.get(name, name)
        assert (ROOT / "benchmarks" / "results" / f"{source}.json").exists(), f"no results for the block {name}"
    suites = {p.stem for p in (ROOT / "assets" / "models").glob("suite_*.json")}
    assert {"suite_expert", "suite_camera", "suite_camera_weather"} <= suites  # the suite table's reports


def test_bench_levels_writes_its_figures(tmp_path):
    out = tmp_path / "levels.json"
    subprocess.run(
        [sys.executable, "benchmarks/bench_levels.py", "--rounds", "1", "--steps", "60", "--json", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    levels = json.loads(out.read_text())["figures"]["levels"]
    assert set(levels) >= {"school", "weather", "cones"} and levels["school"]["vs_school"] == 1.0
    assert "`weather`" in _readme_module().render_levels(json.loads(out.read_text()))


def test_bench_env_writes_its_figures(tmp_path):
    out = tmp_path / "env.json"
    subprocess.run(
        [sys.executable, "benchmarks/bench_env.py", "--rounds", "1", "--block-scale", "0.02", "--json", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    figures = json.loads(out.read_text())["figures"]
    assert figures["speed"]["single, 64x64 dashcam + sensors"]["car_steps_per_s"] > 0
    assert figures["reset"]["both"]["new_track_ms"] > figures["reset"]["both"]["seen_track_ms"] > 0
    assert 50 < figures["peak_mb_256_cars"] < 5000
    rendered = _readme_module().render_env(json.loads(out.read_text()))
    assert "single, sensors only" in rendered and "reset onto a new procedural track" in rendered
