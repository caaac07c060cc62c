"""run_sim.py sweep: search spaces, plans, a real 2-trial Ray Tune sweep stopped and resumed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import run_sim
from agent.learn.sweep import DEFAULTS, SpaceError, load_space, plan, slug

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "text, says",
    [
        ('{"arch": ["tiny"', "not valid JSON"),
        ('["tiny"]', "expected an object"),
        ('{"archs": ["tiny"]}', "unknown knob 'archs'"),
        ('{"episodes": []}', "knob 'episodes' has an empty list"),
        ('{"episodes": [4, -2]}', "episodes[1]: expected an integer number of recorded expert episodes from 1"),
        ('{"episodes": [4.5]}', "episodes[0]"),
        ('{"level": ["moon"]}', "level[0]: expected one of school"),
        ('{"arch": ["conv(8,5) pool(0)"]}', "arch[0]"),
        ('{"arch": ["tiny", "tiny"]}', "lists a value twice"),
        ('{"lr": [true]}', "lr[0]"),
        ('{"episodes": [99999999999999999999999999]}', "episodes[0]"),
        ('{"lr": [1e400]}', "lr[0]"),
        ('{"model": ["sensors"]}', "model 'sensors' reads a vector of rays, but arch 'tiny'"),
        ('{"model": ["camera", "sensors"], "arch": ["mlp", "pilotnet"]}', "arch 'pilotnet' has conv layers"),
        ('{"learner": ["rl"], "reward": ["nope.py"]}', "reward[0]: nope.py: no such reward file"),
        ('{"learner": ["dagger"]}', "learner[0]: expected one of bc, rl"),
    ],
)
def test_a_bad_search_space_is_one_line_naming_the_file_and_knob(tmp_path, text, says):
    f = tmp_path / "space.json"
    f.write_text(text)
    with pytest.raises(SpaceError) as e:
        load_space(f)
    assert str(f) in str(e.value) and says in str(e.value) and "\n" not in str(e.value)


def test_yaml_spaces_and_single_values(tmp_path):
    pytest.importorskip("yaml")
    f = tmp_path / "space.yaml"
    f.write_text("arch: [tiny, pilotnet]\nepisodes: 4\n")
    assert load_space(f) == {"arch": ["tiny", "pilotnet"], "episodes": [4]}


def test_the_grid_and_seeded_random_draws():
    space = {"arch": ["tiny", "pilotnet"], "episodes": [4, 8, 16], "level": ["weather"]}
    grid = plan(space)
    assert len(grid) == 6 and len({(t["arch"], t["episodes"]) for t in grid}) == 6
    assert all(
        t["level"] == "weather" and t["epochs"] == DEFAULTS["epochs"] for t in grid
    )  # knobs left out keep the lecture's values
    assert grid[0]["name"] == "000 arch=tiny episodes=4"  # the knobs that vary name the trial
    draws = plan(space, samples=5, seed=3)
    assert draws == plan(space, samples=5, seed=3) and len(draws) == 5
    assert draws != plan(space, samples=5, seed=4)


def test_without_ray_sweep_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    f = tmp_path / "space.json"
    f.write_text('{"arch": ["tiny"]}')
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    assert run_sim.main(["sweep", str(f), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "pip install -c constraints.txt -e '.[scale]'" in err
    assert not (tmp_path / "o").exists()  # nothing written


def test_an_unreachable_cluster_is_one_line(tmp_path, capsys):
    pytest.importorskip("ray")
    f = tmp_path / "space.json"
    f.write_text('{"arch": ["tiny"]}')
    assert run_sim.main(["sweep", str(f), "--out", str(tmp_path / "o"), "--address", "127.0.0.1:9", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("run_sim.py sweep: --address 127.0.0.1:9: no Ray cluster answers there") and "\n" not in err


def test_a_sweep_stopped_with_ctrl_c_resumes_keeping_finished_trials(tmp_path):
    """Two trials one after another (1 core), Ctrl+C after the first, then --resume."""
    pytest.importorskip("ray")
    space = tmp_path / "space.json"
    space.write_text(
        json.dumps(
            {"arch": ["fc(4) relu", "fc(16) relu"], "model": "sensors", "episodes": 2, "steps": 150, "epochs": 2}
        )
    )  # MLPs: quick to train and drive
    out = tmp_path / "sweep"
    cmd = [
        sys.executable,
        str(ROOT / "run_sim.py"),
        "sweep",
        str(space),
        "--out",
        str(out),
        "--tracks",
        "1",
        "--laps",
        "1",
        "--cpus",
        "1",
        "--quiet",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:  # wait for the first trial's result, then stop the sweep like a person would
        lines.append(line)
        if "driving score" in line or time.monotonic() > deadline:
            proc.send_signal(signal.SIGINT)
            break
    rest, _ = proc.communicate(timeout=120)
    said = "".join(lines) + rest
    assert proc.returncode == 130, said
    assert "interrupted: 1 trials not finished" in said and "--resume" in said
    first = json.loads((out / "results.json").read_text())
    done = [r for r in first if "driving_score" in r]
    assert len(done) == 1
    kept = out / done[0]["model_path"]
    stamp = kept.stat().st_mtime_ns
    finished_trial = out / "tune" / slug(done[0]["trial"]) / "checkpoint_000000"
    trial_stamp = finished_trial.stat().st_mtime_ns

    again = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), "sweep", "--resume", "--out", str(out), "--cpus", "1", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"sweep: resuming {out}: 1 of 2 trials finished and kept" in again.stdout
    rows = json.loads((out / "results.json").read_text())
    assert [r["arch"] for r in rows] == ["fc(4) relu", "fc(16) relu"] and all("driving_score" in r for r in rows)
    assert finished_trial.stat().st_mtime_ns == trial_stamp  # the finished trial was not run again
    assert len(list(out.glob("data/*/dataset.json"))) == 1  # both trials trained on one shared recording
    assert (out / "sweep.png").stat().st_size > 5000 and len((out / "results.csv").read_text().splitlines()) == 3
    for r in rows:
        assert r["train_frames"] > 0 and r["parameters"] > 0 and 0 <= r["driving_score"] <= 100
    assert (out / done[0]["model_path"]).stat().st_mtime_ns >= stamp

    # the sweep's row is what `train` gives on the same recording with the same seed
    from agent.learn.train import TrainArgs, train

    data = next(out.glob("data/*/dataset.json")).parent
    by_hand = train(
        TrainArgs(
            datasets=[str(data)],
            model="sensors",
            arch="fc(16) relu",
            epochs=2,
            patience=2,
            seed=0,
            threads=1,
            out=str(tmp_path / "hand.pt"),
        ),
        progress=False,
        log=lambda *a: None,
    )
    assert round(by_hand["best"]["steer_mae"], 4) == rows[1]["val_steer_error"]


def test_sweep_command_line_mistakes_are_one_line(tmp_path, capsys):
    cases = [
        (["sweep", str(tmp_path / "missing.json")], "missing.json: cannot read the search space"),
        (["sweep"], "SPACE: give a search-space file"),
        (["sweep", "--resume"], "--resume: give --out DIR"),
        (["sweep", "--resume", "--out", str(tmp_path)], "holds no sweep to resume"),
    ]
    for argv, says in cases:
        assert run_sim.main(argv + ["--quiet"]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert says in err and "\n" not in err, err


@pytest.mark.parametrize(
    "plan_text, says",
    [
        ("{}", "not a sweep plan"),
        ("{not json", "unreadable"),
        ('{"trials": [], "tracks": 2, "laps": 1, "cpus_per_trial": 1}', "not a sweep plan"),
    ],
)
def test_resume_from_a_broken_plan_is_one_line_naming_it(tmp_path, capsys, plan_text, says):
    out = tmp_path / "o"
    out.mkdir()
    (out / "plan.json").write_text(plan_text)
    assert run_sim.main(["sweep", "--resume", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert str(out / "plan.json") in err and says in err and "\n" not in err


def test_an_unreachable_cluster_leaves_nothing_to_resume(tmp_path, capsys):
    pytest.importorskip("ray")
    f = tmp_path / "space.json"
    f.write_text('{"arch": ["tiny"]}')
    assert run_sim.main(["sweep", str(f), "--out", str(tmp_path / "o"), "--address", "127.0.0.1:9", "--quiet"]) == 2
    capsys.readouterr()
    assert not (tmp_path / "o" / "plan.json").exists()


def test_an_rl_trial_learns_from_its_reward_file_with_no_recording(tmp_path):
    pytest.importorskip("stable_baselines3")
    from agent.learn.sweep import format_rows, run_trial

    space = tmp_path / "space.json"
    space.write_text(
        json.dumps({"learner": "rl", "model": "sensors", "arch": "mlp", "rl_steps": 8192, "cars": 8,
                    "reward": [str(ROOT / "assets/rewards/progress.py"), str(ROOT / "assets/rewards/borders.py")]})
    )  # fmt: skip
    trials = plan(load_space(space))
    assert [t["name"].split()[-1] for t in trials] == ["reward=progress", "reward=borders"]
    row = run_trial(trials[0], tmp_path, tracks=5, laps=1, out_model=tmp_path / "m.pt")
    assert not (tmp_path / "data").exists()  # no expert, no recording
    assert row["train_frames"] >= 8192 and row["val_steer_error"] is None and row["driving_score"] > 0
    assert "reward=progress" in format_rows([{"trial": trials[0]["name"], **trials[0], **row}])
