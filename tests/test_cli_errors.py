"""Bad input on the command line: one line naming the flag or file, exit code 2, no traceback."""

import json
import re

import pytest

import run_sim

BAD = [
    ("data review d --max-frames 0", "--max-frames"),
    ("record --driver human-model --side-cameras", "--side-cameras"),
    ("record --driver person", "--driver"),
    ("drive --style joystick", "--style"),
    ("watch --view heatmap", "--view"),
    ("eval --tracks 0", "--tracks"),
    ("eval --tracks -3", "--tracks"),
    ("eval --laps 0", "--laps"),
    ("eval --laps -1", "--laps"),
    ("eval --workers 0", "--workers"),
    ("eval --camera-size 100000", "--camera-size"),
    ("eval --camera-size 4", "--camera-size"),
    ("eval --video-every 0", "--video-every"),
    ("eval --video-frames 0", "--video-frames"),
    ("eval --split val", "--split"),
    ("eval --track 5", "--track"),  # eval takes --tracks N or --track-file PATH
    ("eval --track-file nope.json", "nope.json"),  # said before the drive starts
    ("eval --seed 9", "--seed"),  # eval draws no random choices
    ("dagger --model m.pt --data d --tracks 0", "--tracks"),
    ("dagger --model m.pt --data d --beta 1.5", "--beta"),
    ("record --dart nan", "--dart"),
    ("record --dart -1", "--dart"),
    ("record --episodes 0", "--episodes"),
    ("record --steps 0", "--steps"),
    ("record --track 5", "--track"),  # record draws its tracks from --split
    ("drive --max-frames 0", "--max-frames"),
    ("drive --seed -1", "--seed"),
    ("watch --video-every 0", "--video-every"),
    ("watch --track -5", "--track"),
    ("watch --max-frames 0", "--max-frames"),
    ("snapshot --steps -1", "--steps"),
    ("train d --epochs 0", "--epochs"),
    ("sweep s.json --samples 0", "--samples"),
    ("sweep s.json --tracks 0", "--tracks"),
    ("sweep s.json --laps 0", "--laps"),
    ("sweep s.json --cpus-per-trial 0", "--cpus-per-trial"),
    ("sweep s.json --cpus -1", "--cpus"),
    ("race d --workers 0", "--workers"),
    ("race d --timeout 0", "--timeout"),
    ("race d --timeout nan", "--timeout"),
    ("race d --engine slurm", "--engine"),
    ("train d --epochs -1", "--epochs"),
    ("train d --batch-size 0", "--batch-size"),
    ("train d --bins 1", "--bins"),
    ("train d --lr nan", "--lr"),
    ("train d --lr 0", "--lr"),
    ("train d --val-frac 2", "--val-frac"),
    ("train d --threads 0", "--threads"),
    ("train d --momentum -0.5", "--momentum"),
    ("record --rays 0", "--rays"),
    ("data review d --png view", "--png"),
    ("eval --plot where.jpg", "--plot"),
    ("eval --video clip.avi", "--video"),
    ("eval --report out.txt", "--report"),
    ("watch --video clip", "--video"),
    ("export m.pt --onnx m.pt", "--onnx"),
    ("snapshot --out world", "--out"),
    ("eval --suite --plot p.png", "--plot"),
    ("eval --suite --video v.mp4", "--video"),
    ("record --rays 1000", "--rays"),
    ("eval --ray-fov nan", "--ray-fov"),
    ("watch --ray-fov 0", "--ray-fov"),
    ("snapshot --ray-fov 400", "--ray-fov"),
]


def run(argv, capsys):
    try:
        code = run_sim.main(argv)
    except SystemExit as e:  # argparse refuses the flag before the command runs
        code = e.code
    out = capsys.readouterr()
    run.out = out.out
    return code, out.err.strip()


@pytest.mark.parametrize("line, named", BAD, ids=[b[0] for b in BAD])
def test_bad_flag_is_one_line_naming_it(line, named, capsys):
    code, err = run(line.split(), capsys)
    assert code == 2
    assert "\n" not in err and "Traceback" not in err
    assert named in err


def test_a_misspelt_flag_is_named_by_its_command_with_the_nearest_it_has(capsys):
    code, err = run(["eval", "--lap", "3"], capsys)
    assert code == 2 and err.startswith("run_sim.py eval: unrecognized arguments: --lap 3; did you mean --laps?")
    code, err = run(["rl", "--step=5", "--quiet"], capsys)
    assert code == 2 and "did you mean --steps?" in err and "\n" not in err


def test_empty_arch_names_it(capsys):
    code, err = run(["train", "d", "--arch", ""], capsys)
    assert code == 2 and "arch" in err and "\n" not in err


def test_checkpoint_files_that_are_empty_nan_or_foreign(tmp_path, capsys):
    import torch

    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    payload = torch.load("assets/models/camera.pt", weights_only=True)
    state = dict(payload["state_dict"])
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name] = state[name] * float("nan")
    torch.save({**payload, "state_dict": state}, tmp_path / "nan.pt")
    torch.save({"x": object()}, tmp_path / "pickle.pt")
    import json

    meta = json.loads(payload["meta"])
    torch.save(
        {**payload, "meta": json.dumps({**meta, "camera_arch": "tiny"})}, tmp_path / "shape.pt"
    )  # weights of another network
    (tmp_path / "text.pt").write_text("x\n")
    (tmp_path / "folder.pt").mkdir()
    cases = (
        (empty, "corrupt or not a checkpoint"),
        (tmp_path / "text.pt", "not a file torch.save wrote"),
        (tmp_path / "folder.pt", "is a folder; expected a checkpoint file"),
        (tmp_path / "nan.pt", f"not finite (NaN or inf in {name}"),
        (tmp_path / "pickle.pt", "safe loading refuses"),
        (tmp_path / "shape.pt", '"camera.'),
    )
    for path, words in cases:
        code, err = run(["eval", "--model", str(path), "--tracks", "1", "--workers", "1", "--quiet"], capsys)
        assert code == 2 and str(path) in err and words in err and "\n" not in err, err


def test_empty_dataset_says_zero_and_train_skips_it(tmp_path, capsys):
    from agent.data.dataset import DatasetWriter
    from sim.config import EnvConfig

    empty = tmp_path / "empty"
    DatasetWriter(empty, EnvConfig())
    code, _ = run(["data", "info", str(empty)], capsys)
    assert code == 0 and "0 episodes, 0 frames" in run.out
    code, err = run(["train", str(empty), "--epochs", "1", "--quiet"], capsys)
    assert code == 2 and "no frames to train on" in err


def test_eval_help_states_its_real_defaults(capsys):
    with pytest.raises(SystemExit):
        run_sim.main(["eval", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: test)" in text and "%%" not in text and "--track " not in text
    assert re.search(r"--seed\b", text) is None  # eval has --seeds (conditions per track), no --seed


def test_resume_from_nan_weights_stops_and_writes_nothing(tmp_path, capsys):
    import torch

    from agent.data.record import RecordSettings, record_expert
    from sim.config import EnvConfig

    data = tmp_path / "d"
    record_expert(data, EnvConfig(), RecordSettings(episodes=2, steps=40, workers=1))
    payload = torch.load("assets/models/camera.pt", weights_only=True)
    state = {k: (v * float("nan") if v.is_floating_point() else v) for k, v in payload["state_dict"].items()}
    torch.save({**payload, "state_dict": state}, tmp_path / "nan.pt")
    out = tmp_path / "m.pt"
    code, err = run(
        ["train", str(data), "--resume", str(tmp_path / "nan.pt"), "--epochs", "1", "--quiet", "--out", str(out)],
        capsys,
    )
    assert code == 2 and "not finite" in err and "\n" not in err and not out.exists()


def test_suite_refuses_flags_it_would_ignore(capsys):
    code, err = run(["eval", "--suite", "--track-file", "assets/tracks/oval.json"], capsys)
    assert code == 2 and "--suite drives every level's test split" in err and "\n" not in err


def test_review_refuses_what_is_not_a_dataset_or_holds_bad_cuts(tmp_path, capsys):
    import json

    from tests.agent.data.test_dataset import record_random

    (tmp_path / "empty").mkdir()
    code, err = run(["data", "review", str(tmp_path / "empty"), "--max-frames", "1"], capsys)
    assert code == 2 and "dataset.json" in err and "\n" not in err
    record_random(tmp_path / "d", 30)
    manifest = json.loads((tmp_path / "d" / "dataset.json").read_text())
    manifest["episodes"][0]["excluded"] = [[5, "x"]]
    (tmp_path / "d" / "dataset.json").write_text(json.dumps(manifest))
    for line in (
        ["data", "review", str(tmp_path / "d"), "--max-frames", "1"],
        ["train", str(tmp_path / "d"), "--epochs", "1"],
    ):
        code, err = run(line, capsys)
        assert code == 2 and "cuts are [first, end)" in err and "\n" not in err and "Traceback" not in err


def test_train_refuses_an_empty_validation_set_and_a_dataset_with_nothing_left(tmp_path, capsys):
    """No "validation error 0.0000 (mean: nan)" summaries: what cannot be measured is refused in one line."""
    from agent.data.dataset import Dataset, set_excluded

    data = tmp_path / "d"
    code, _ = run(
        [
            "record",
            "--driver",
            "expert",
            "--episodes",
            "4",
            "--steps",
            "120",
            "--observation",
            "sensors",
            "--out",
            str(data),
            "--quiet",
            "--workers",
            "1",
        ],
        capsys,
    )
    assert code == 0
    out = tmp_path / "m.pt"
    code, err = run(
        [
            "train",
            str(data),
            "--model",
            "sensors",
            "--arch",
            "mlp",
            "--epochs",
            "1",
            "--val-frac",
            "0",
            "--out",
            str(out),
            "--quiet",
        ],
        capsys,
    )
    assert code == 2 and "--val-frac" in err and "\n" not in err
    for e in Dataset(data).manifest["episodes"]:  # every frame cut in review
        set_excluded(data, e["id"], [(0, e["frames"])])
    code, err = run(
        ["train", str(data), "--model", "sensors", "--arch", "mlp", "--epochs", "1", "--out", str(out), "--quiet"],
        capsys,
    )
    assert code == 2 and "no frames left to train on" in err and "cut in review" in err and "\n" not in err
    episodes = Dataset(data).manifest["episodes"]
    for e in episodes:
        set_excluded(data, e["id"], [])
    for e in episodes[:3]:  # what validation holds out (one of four episodes) may be any: cut all but one
        set_excluded(data, e["id"], [(0, e["frames"])])
    code, err = run(
        ["train", str(data), "--model", "sensors", "--arch", "mlp", "--epochs", "1", "--out", str(out), "--quiet"],
        capsys,
    )
    assert code == 2 and ("validation set is empty" in err or "once validation is held out" in err) and "\n" not in err
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_results_with_nan_are_refused_where_they_are_written(tmp_path):
    from agent.grade.results import write_json

    target = tmp_path / "report.json"
    with pytest.raises(ValueError, match=r"report.json: not written: summary.driving_score = nan"):
        write_json(target, {"summary": {"driving_score": float("nan"), "laps": 2}, "episodes": [{"x": 1.0}]})
    with pytest.raises(ValueError, match=r"episodes\[1\].x = inf"):
        write_json(target, {"episodes": [{"x": 1.0}, {"x": float("inf")}]})
    assert not target.exists() and list(tmp_path.iterdir()) == []
    write_json(target, {"summary": {"driving_score": 96.8}})
    assert json.loads(target.read_text())["summary"]["driving_score"] == 96.8


def test_an_output_that_cannot_be_written_is_refused_before_the_work(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    (tmp_path / "shelf.png").mkdir()
    for flag, path, words in (
        ("--report", blocker / "r.json", "cannot create the folder"),
        ("--plot", tmp_path / "shelf.png", "is a folder"),
    ):
        code, err = run(["eval", "--tracks", "1", "--quiet", flag, str(path)], capsys)
        assert code == 2 and flag in err and str(path) in err and words in err and "\n" not in err, err
        assert "evaluating" not in run.out  # refused before any driving
    kept = tmp_path / "kept.json"
    kept.write_text("an earlier report")
    code, _ = run(["eval", "--report", str(kept), "--tracks", "0"], capsys)
    assert code == 2 and kept.read_text() == "an earlier report"  # checked, not touched
    fresh = tmp_path / "new" / "r.json"
    code, _ = run(["eval", "--report", str(fresh), "--tracks", "0"], capsys)
    assert code == 2 and fresh.parent.is_dir() and not fresh.exists()  # checked, and no empty file left behind
    code, err = run(["rl", "--out", str(blocker), "--quiet"], capsys)
    assert code == 2 and f"--out {blocker}: is a file" in err and "\n" not in err
    code, err = run(["lecture", "--out", str(blocker), "--quick"], capsys)  # a folder output where a file is
    assert code == 2 and f"{blocker}: is a file; expected a folder" in err and "\n" not in err
