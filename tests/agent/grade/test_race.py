"""run_sim.py race: a folder of models graded on a suite, the leaderboard files, bad input."""

import json
import os
import pickle
from html.parser import HTMLParser
from pathlib import Path

import pytest
import torch

import run_sim
from agent.grade.race import SuiteError, load_suite
from models import checkpoint

ROOT = Path(__file__).resolve().parents[3]
SENSORS = ROOT / "assets" / "models" / "sensors.pt"


class _Evil:
    def __reduce__(self):  # unpickling this would run a shell command
        return (os.system, (f"touch {_Evil.marker}",))


def _full_left(path: Path) -> None:
    """The bundled sensors network with its output layer zeroed but the bias: full left lock, always."""
    model, meta = checkpoint.load(SENSORS)
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(5.0)
    checkpoint.save(path, model, meta)


def _slow(path: Path) -> None:
    """A valid camera network far heavier than it needs to be (random weights): it drives slowly and badly.

    Four 128-filter convolutions at full resolution: about 1 GMAC a frame, so two laps take
    well over the race's 3 s --timeout even on a fast machine (three 32-filter layers did not)."""
    _, meta = checkpoint.load(ROOT / "assets" / "models" / "camera.pt")
    meta = {**meta, "camera_arch": "conv(128,3) relu conv(128,3) relu conv(128,3) relu conv(128,3) relu fc(4) relu"}
    torch.manual_seed(0)
    model = checkpoint.build_model(meta)
    meta["parameters"] = sum(p.numel() for p in model.parameters())
    checkpoint.save(path, model, meta)


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("race")
    models = root / "class"
    (models / "alice").mkdir(parents=True)
    (models / "alice" / "sensors.pt").write_bytes(SENSORS.read_bytes())
    _full_left(models / "bob.pt")
    _slow(models / "slow.pt")
    (models / "carol.pt").write_bytes(os.urandom(3000))  # corrupt
    _Evil.marker = root / "pwned"
    (models / "<i>mallory.pt").write_bytes(
        pickle.dumps(_Evil())
    )  # a pickle that would run code, and a name that is HTML
    suite = root / "suite.json"
    suite.write_text(
        json.dumps(
            {
                "name": "unit race",
                "levels": ["school"],
                "tracks": [2000003, 2000011],
                "laps": 1,
                "description": "two hidden tracks",
            }
        )
    )
    return root, models, suite


def _race(class_folder, engine, capsys):
    root, models, suite = class_folder
    out = root / f"board_{engine}"
    assert (
        run_sim.main(
            [
                "race",
                str(models),
                "--suite",
                str(suite),
                "--out",
                str(out),
                "--engine",
                engine,
                "--workers",
                "2",
                "--timeout",
                "3",
                "--quiet",
            ]
        )
        == 0
    )
    return out, json.loads((out / "leaderboard.json").read_text()), capsys.readouterr().out


class _Table(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.imgs, self.scripts, self._row, self._in_script = [], 0, 0, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag == "img":
            self.imgs += 1
            assert dict(attrs)["src"].startswith("data:image/png;base64,")
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag == "tr":
            self.rows.append(" ".join(self._row))
            self._row = None

    def handle_data(self, data):
        if self._row is not None and data.strip():
            self._row.append(data.strip())


def test_a_race_ranks_the_class_and_survives_bad_files(class_folder, capsys):
    pytest.importorskip("ray")
    root, _, _ = class_folder
    out, board, said = _race(class_folder, "ray", capsys)
    models = {m["name"]: m for m in board["models"]}
    assert [m["name"] for m in board["models"]][:2] == ["alice/sensors.pt", "bob.pt"]
    assert models["alice/sensors.pt"]["rank"] == 1 and models["alice/sensors.pt"]["driving_score"] > 90
    assert (
        models["bob.pt"]["rank"] == 2
        and models["bob.pt"]["driving_score"] < 30
        and models["bob.pt"]["infractions_per_km"] > 1
    )
    assert models["carol.pt"]["rank"] is None and "corrupt or not a checkpoint" in models["carol.pt"]["error"]
    assert (
        models["<i>mallory.pt"]["rank"] is None and "Python objects beyond tensors" in models["<i>mallory.pt"]["error"]
    )
    assert not (root / "pwned").exists()  # weights-only loading: the pickle's command never ran
    assert (
        models["slow.pt"]["rank"] is None and models["slow.pt"]["error"] == "stopped after 3 s of grading (--timeout)"
    )
    assert board["suite"]["tracks"] == [2000003, 2000011] and board["suite"]["episodes_per_model"] == 2
    assert "2 hidden tracks" in board["suite"]["summary"]
    assert "alice/sensors.pt" in said and "corrupt" in said

    page = (out / "leaderboard.html").read_text()
    table = _Table()
    table.feed(page)
    assert table.imgs == 2 and table.scripts == 1  # a trajectory picture per graded model; the sorting script
    body = table.rows[1:]
    assert body[0].startswith("1 alice/sensors.pt") and body[1].startswith("2 bob.pt")
    assert any("carol.pt" in r and "corrupt" in r for r in body)
    assert "&lt;i&gt;mallory.pt" in page and "<i>mallory" not in page  # names are text, not markup
    assert "unit race" in page and "two hidden tracks" in page and "2 hidden tracks" in page


def test_local_processes_grade_the_same_as_ray(class_folder, capsys):
    pytest.importorskip("ray")
    _, local, _ = _race(class_folder, "local", capsys)
    ray_board = json.loads((class_folder[0] / "board_ray" / "leaderboard.json").read_text())
    strip = lambda b: [{k: v for k, v in m.items() if k not in ("grade_s",)} for m in b["models"]]  # noqa: E731
    assert strip(local) == strip(ray_board)


@pytest.mark.parametrize(
    "suite, says",
    [
        ({"levels": ["moon"]}, "levels: expected a non-empty list"),
        ({"levels": []}, "levels: expected a non-empty list"),
        ({"tracks": []}, "tracks: expected a count"),
        ({"tracks": [-1]}, "tracks: expected a count"),
        ({"tracks": ["nowhere.json"]}, "no such track file"),
        ({"laps": 0}, "laps: expected an integer from 1 to 100"),
        ({"track": 5}, "unknown field 'track'"),
    ],
)
def test_a_bad_suite_is_one_line_naming_the_file(tmp_path, suite, says):
    f = tmp_path / "suite.json"
    f.write_text(json.dumps(suite))
    with pytest.raises(SuiteError) as e:
        load_suite(f)
    assert str(e.value).startswith(str(f)) and says in str(e.value) and "\n" not in str(e.value)


def test_a_folder_without_models_is_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no models here")
    assert run_sim.main(["race", str(tmp_path), "--engine", "local"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"run_sim.py race: {tmp_path}: no checkpoints (.pt) or ONNX exports (.onnx) in it"
    assert run_sim.main(["race", str(tmp_path / "missing")]) == 2
    assert "no such folder of models" in capsys.readouterr().err


def test_the_page_sorts_in_a_real_browser(class_folder):
    """Headless Chromium opens the page sorted by parameters (the page's own script): fewest first, failures last."""
    import shutil
    import subprocess

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    page = class_folder[0] / "board_ray" / "leaderboard.html"
    if not chromium or not page.exists():
        pytest.skip("needs Chromium and the Ray race's page")
    from agent.grade.race import write_leaderboard  # noqa: F401  (the page under test is the race's own)

    board = json.loads(page.with_suffix(".json").read_text())
    bob = dict(next(m for m in board["models"] if m["name"] == "bob.pt"))
    html_text = page.read_text()
    # give bob (ranked 2nd) fewer parameters than alice so the sort has something to do
    head, _, rest = html_text.partition(">bob.pt<")
    smaller = (
        head + ">bob.pt<" + rest.replace(f'data-v="{bob["parameters"]}">{bob["parameters"]:,}<', 'data-v="7">7<', 1)
    )
    assert smaller != html_text
    variant = page.with_name("sorted.html")
    variant.write_text(smaller)
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", variant.as_uri() + "#sort=parameters"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    table = _Table()
    table.feed(dom)
    body = table.rows[1:]
    assert body[0].startswith("2 bob.pt") and body[1].startswith("1 alice/sensors.pt"), body
    assert all(any(w in r for w in ("corrupt", "Python objects", "stopped after")) for r in body[2:]), body


def test_a_suite_naming_a_broken_track_file_is_refused_before_any_model_drives(tmp_path, capsys):
    """The suite's error is the suite's: one line naming the suite and the track file, not 20 failed models."""
    (tmp_path / "broken.json").write_text(
        '{"name": "x", "width_m": -3, "centerline": [[0, 0], [10, 0], [10, 10], [0, 10]]}'
    )
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps({"tracks": ["broken.json"]}))
    models = tmp_path / "class"
    models.mkdir()
    (models / "a.pt").write_bytes(SENSORS.read_bytes())
    out = tmp_path / "board"
    assert (
        run_sim.main(["race", str(models), "--suite", str(suite), "--out", str(out), "--engine", "local", "--quiet"])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert str(suite) in err and "broken.json" in err and "width_m" in err and "\n" not in err
    assert not out.exists()
