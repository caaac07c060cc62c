import subprocess
import sys

import imageio.v3 as iio


def run(*args):
    return subprocess.run([sys.executable, "run_sim.py", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_commands():
    r = run("--help")
    assert r.returncode == 0 and "watch" in r.stdout and "snapshot" in r.stdout


def test_snapshot_writes_pictures(tmp_path):
    out = tmp_path / "world.png"
    r = run("snapshot", "--out", str(out), "--track", "3")
    assert r.returncode == 0, r.stderr
    img = iio.imread(out)
    cams = iio.imread(tmp_path / "world_camera.png")
    assert img.shape[0] >= 480 and img.std() > 20 and cams.std() > 20


def test_watch_headless_runs_frames():
    r = run("watch", "--driver", "expert", "--max-frames", "60", "--track", "assets/tracks/oval.json")
    assert r.returncode == 0, r.stderr
    assert "60 steps" in r.stdout


def test_bad_track_file_is_one_line_error(tmp_path):
    bad = tmp_path / "t.json"
    bad.write_text('{"name": "x", "width_m": -1, "centerline": [[0,0],[1,0],[1,1],[0,1]]}')
    r = run("snapshot", "--out", str(tmp_path / "a.png"), "--track", str(bad))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and str(bad) in r.stderr and "width_m" in r.stderr


def test_record_then_data_info(tmp_path):
    out = tmp_path / "d"
    r = run("record", "--episodes", "2", "--steps", "100", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    assert "wrote 200 frames" in r.stdout
    r = run("data", "info", str(out))
    assert r.returncode == 0, r.stderr
    assert (
        "episodes" in r.stdout
        and (out / "info" / "steering_hist.png").exists()
        and (out / "info" / "contact_sheet.png").exists()
    )
    sheet = iio.imread(out / "info" / "contact_sheet.png")
    assert sheet.std() > 20
    r = run("record", "--episodes", "1", "--steps", "10", "--out", str(out), "--camera-size", "96", "--quiet")
    assert r.returncode == 2 and "camera.width_px" in r.stderr and r.stderr.strip().count("\n") == 0


def test_data_info_missing_folder_is_one_line(tmp_path):
    r = run("data", "info", str(tmp_path / "nope"))
    assert r.returncode == 2 and "no such dataset folder" in r.stderr and r.stderr.strip().count("\n") == 0


def test_train_summary_and_a_short_training_run(tmp_path):
    r = run("train", "--summary", "--arch", "conv(4,5,2) relu pool(2) fc(8) relu")
    assert r.returncode == 0 and "pool(2)" in r.stdout and "total" in r.stdout
    data = tmp_path / "d"
    assert run("record", "--episodes", "3", "--steps", "150", "--out", str(data), "--quiet").returncode == 0
    out = tmp_path / "m.pt"
    r = run("train", str(data), "--arch", "tiny", "--epochs", "2", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    assert out.exists() and out.with_suffix(".png").exists() and "validation steering error" in r.stdout
    r = run("train", str(data), "--arch", "conv(8,99) relu", "--epochs", "1", "--out", str(out), "--quiet")
    assert r.returncode == 2 and "do not fit" in r.stderr and r.stderr.strip().count("\n") == 0


def test_eval_expert_writes_report_and_plot(tmp_path):
    import json

    r = run(
        "eval",
        "--driver",
        "expert",
        "--tracks",
        "3",
        "--laps",
        "1",
        "--report",
        str(tmp_path / "r.json"),
        "--plot",
        str(tmp_path / "p.png"),
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert (
        report["summary"]["episodes"] == 3
        and report["summary"]["lap_completion_rate"] == 1.0
        and len(report["episodes"]) == 3
    )
    assert "lap completion 100.0%" in r.stdout


def test_eval_missing_model_is_one_line(tmp_path):
    r = run("eval", "--model", str(tmp_path / "none.pt"), "--tracks", "1", "--quiet")
    assert r.returncode == 2 and "no such checkpoint" in r.stderr and r.stderr.strip().count("\n") == 0


def test_levels_lists_every_level_and_draws_sheets(tmp_path):
    r = run("levels", "--sheets", str(tmp_path), "--frames", "8")
    assert r.returncode == 0, r.stderr
    for name in ("school:", "country:", "weather:", "road width [m], per track", "6-10"):
        assert name in r.stdout
    sheet = iio.imread(tmp_path / "weather-test.png")
    assert sheet.shape[0] > 100 and sheet[..., :3].std() > 20


def test_eval_suite_has_a_row_per_level_and_names_the_levels(tmp_path):
    import json

    r = run(
        "eval",
        "--suite",
        "--driver",
        "expert",
        "--tracks",
        "2",
        "--laps",
        "1",
        "--report",
        str(tmp_path / "s.json"),
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    rows = json.loads((tmp_path / "s.json").read_text())["rows"]
    assert [row["level"] for row in rows] == ["school", "country", "weather", "cones"]
    assert all(row["driving_score"] == 100.0 and row["episodes"] == 2 for row in rows)
    r = run(
        "eval", "--level", "country", "--tracks", "1", "--laps", "1", "--report", str(tmp_path / "e.json"), "--quiet"
    )
    summary = json.loads((tmp_path / "e.json").read_text())["summary"]
    assert r.returncode == 0 and summary["level"] == "country" and summary["model_level"] == "school"
    assert "trained at level school" in r.stdout and "at level country" in r.stdout


def test_a_denser_sensor_fan_is_recorded_trained_and_driven_with(tmp_path, capsys):
    """--rays and --ray-fov shape the world; the dataset and the checkpoint keep the fan, eval
    takes the model's fan by default and refuses another one in one line."""
    import json

    import run_sim

    data, model = tmp_path / "d", tmp_path / "m.pt"
    assert (
        run_sim.main(
            [
                "record",
                "--driver",
                "expert",
                "--episodes",
                "2",
                "--steps",
                "150",
                "--rays",
                "21",
                "--ray-fov",
                "120",
                "--observation",
                "sensors",
                "--out",
                str(data),
                "--quiet",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    sensors = json.loads((data / "dataset.json").read_text())["env"]["sensors"]
    assert sensors["n_rays"] == 21 and abs(sensors["fov_rad"] - 2.0943951) < 1e-6
    assert (
        run_sim.main(
            ["train", str(data), "--model", "sensors", "--arch", "mlp", "--epochs", "1", "--out", str(model), "--quiet"]
        )
        == 0
    )
    assert (
        run_sim.main(["eval", "--model", str(model), "--tracks", "1", "--laps", "1", "--workers", "1", "--quiet"]) == 0
    )
    capsys.readouterr()
    assert (
        run_sim.main(
            ["eval", "--model", str(model), "--tracks", "1", "--laps", "1", "--workers", "1", "--rays", "9", "--quiet"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sensors.n_rays 21 (model) vs 9 (env)" in err


def test_a_window_that_cannot_open_leaves_no_dataset(tmp_path):
    """drive --record and watch --record on a DISPLAY with no server behind it: refused, and nothing on disk."""
    import os

    env = {**os.environ, "DISPLAY": ":97", "SDL_VIDEODRIVER": ""}
    env.pop("SDL_VIDEODRIVER")
    for argv in (
        ["drive", "--record", str(tmp_path / "d")],
        ["watch", "--driver", "expert", "--record", str(tmp_path / "w")],
    ):
        r = subprocess.run([sys.executable, "run_sim.py", *argv], capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 2, r.stderr
        assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_eval_and_watch_warn_about_a_checkpoint_that_learned_nothing(tmp_path, capsys):
    import run_sim
    from models import checkpoint

    model, meta = checkpoint.load("assets/models/sensors.pt")
    meta = {**meta, "metrics": {**meta["metrics"], "steer_mae": 0.2, "baseline_steer_mae": 0.1}}
    path = tmp_path / "flat.pt"
    checkpoint.save(path, model, meta)
    for argv in (
        ["eval", "--model", str(path), "--tracks", "1", "--laps", "1", "--workers", "1", "--quiet"],
        ["watch", "--model", str(path), "--max-frames", "5"],
    ):
        assert run_sim.main(argv) == 0
        assert f"warning: {path} learned nothing that carries over" in capsys.readouterr().out
    assert (
        run_sim.main(
            ["eval", "--model", "assets/models/sensors.pt", "--tracks", "1", "--laps", "1", "--workers", "1", "--quiet"]
        )
        == 0
    )
    assert "learned nothing" not in capsys.readouterr().out


def test_the_first_run_after_an_install_says_that_the_world_is_compiling(monkeypatch, capsys):
    import sim.jit
    from agent.cli.common import SAY_COMPILING, say_if_compiling
    from sim.step import step_cars

    assert sim.jit.compiled_before(step_cars.serial)  # this suite's runs compiled it, into numba's cache
    assert {"drive", "record", "watch", "rl"} <= SAY_COMPILING and "train" not in SAY_COMPILING  # train makes no world
    for quiet, cached, says in (
        (False, False, True),
        (True, False, False),  # --quiet: nothing but what was asked for
        (False, True, False),  # the cache holds the world: nothing to say
    ):
        monkeypatch.setattr(sim.jit, "compiled_before", lambda _k, c=cached: c)
        say_if_compiling(quiet)
        assert ("numba compiles DriveLab's world" in capsys.readouterr().out) == says, (quiet, cached)
