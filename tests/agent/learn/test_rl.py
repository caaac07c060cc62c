"""Learning from reward: the cars as SB3's VecEnv, PPO that learns to drive, and its checkpoint."""

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

import sim
from agent.learn.reward import RewardError, load_reward
from agent.learn.rl import RLArgs, train_rl
from models import checkpoint

ppo = pytest.importorskip("agent.learn.ppo")  # the `rl` extra (the README's test command installs it)
ROOT = Path(__file__).resolve().parents[3]


def _reward(tmp_path, body="    return 0.25", name="r.py"):
    p = tmp_path / name
    p.write_text("def reward(params):\n" + body + "\n")
    return str(p)


def test_cars_restart_within_the_step_that_ended_them(tmp_path):
    venv = gym.make_vec(sim.ENV_ID, num_envs=3, vectorization_mode="vector_entry_point", max_steps=45).unwrapped
    cars = ppo.CarsVecEnv(venv, load_reward(_reward(tmp_path)))
    cars.seed(7)
    obs = cars.reset()
    assert obs["camera"].shape == (3, 3, 64, 64)  # channels first, as SB3 takes images
    assert np.array_equal(obs["camera"], np.transpose(venv.world.observe()["camera"], (0, 3, 1, 2)))
    ends, began = {}, np.zeros(3, dtype=int)
    for step in range(1, 46):
        cars.step_async(np.array([[0.0], [1.0], [0.0]]))  # car 1 at full lock leaves the road
        obs, rewards, dones, infos = cars.step_wait()
        assert np.all(rewards == 0.25)  # the reward file's, not the env's
        for i in np.flatnonzero(dones):
            ends.setdefault(i, (step, infos[i]))
            assert venv.world.steps[i] == 0  # already restarted: this step's observation is the new episode's
            assert infos[i]["terminal_observation"]["camera"].shape == (3, 64, 64)
            length = step - began[i]
            assert infos[i]["episode"]["l"] == length and infos[i]["episode"]["r"] == pytest.approx(0.25 * length)
            began[i] = step
    step1, info1 = ends[1]
    assert step1 < 45 and not info1["TimeLimit.truncated"]  # off the road: the episode ended for good
    step0, info0 = ends[0]
    assert step0 == 45 and info0["TimeLimit.truncated"]  # out of time: PPO bootstraps from the last observation
    fresh = venv.world.observe(cars=[0])
    assert np.array_equal(obs["sensors"][0], fresh["sensors"][0])


def test_ppo_learns_to_drive_from_the_default_reward(tmp_path):
    s = train_rl(RLArgs(steps=16_384, cars=8, eval_every=10**9, eval_tracks=6, out=str(tmp_path)), progress=False)
    with open(tmp_path / "curve.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["steps"] == "0" and float(rows[0]["lap_completion_rate"]) < 0.3  # a random network
    assert s["metrics"]["lap_completion_rate"] >= 0.7 and s["metrics"]["driving_score"] >= 80
    model, meta = checkpoint.load(tmp_path / "model.pt")  # a DriveLab checkpoint like any other
    assert meta["rl"]["reward_sha256"] == load_reward(meta["rl"]["reward_file"]).sha256
    assert meta["rl"]["steps"] == s["steps"] >= 16_384 and meta["rl"]["level"] == "school"
    assert (tmp_path / "curve.png").stat().st_size > 5000 and any((tmp_path / "tb").rglob("events.*"))


def _short(out, **kw):
    args = dict(steps=512, cars=4, rollout=64, batch_size=64, eval_every=10**9, eval_tracks=1, out=str(out))
    return train_rl(RLArgs(**{**args, **kw}), progress=False, log=lambda *a: None)


def test_the_same_seed_learns_the_same_policy_and_resume_goes_on(tmp_path):
    _short(tmp_path / "a")
    _short(tmp_path / "b")
    assert _last_lr(tmp_path / "a") == pytest.approx(3e-4)  # the default schedule: constant
    a, _ = checkpoint.load(tmp_path / "a" / "model.pt")
    b, _ = checkpoint.load(tmp_path / "b" / "model.pt")
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y), name
    with pytest.raises(ValueError, match="already holds a run"):
        _short(tmp_path / "a")
    s = _short(tmp_path / "a", resume=True)
    assert s["steps"] == 1024 and checkpoint.load(tmp_path / "a" / "model.pt")[1]["rl"]["steps"] == 1024
    with open(tmp_path / "a" / "curve.csv") as f:
        assert [r["steps"] for r in csv.DictReader(f)] == ["0", "512", "1024"]
    with pytest.raises(ValueError, match="learned from .* not from"):
        _short(tmp_path / "a", resume=True, reward=_reward(tmp_path))


def test_each_evaluation_is_of_the_policy_that_learned_from_its_steps(tmp_path):
    # 4 cars x 64 steps: an update every 256 steps; an evaluation every 256, then one at the end
    _short(tmp_path / "run", steps=1024, eval_every=256)
    with open(tmp_path / "run" / "curve.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["steps"] for r in rows] == ["0", "256", "512", "768", "1024"]  # once each, none twice


def _last_lr(out) -> float:
    """The learning rate of the last update, from the run's ppo.zip (SB3's optimizer state)."""
    with zipfile.ZipFile(out / "ppo.zip") as z:
        state = torch.load(io.BytesIO(z.read("policy.optimizer.pth")), map_location="cpu")
    return state["param_groups"][0]["lr"]


def test_a_linear_schedule_ends_with_the_learning_rate_near_zero(tmp_path):
    _short(tmp_path / "linear", steps=1024, lr_schedule="linear")
    assert _last_lr(tmp_path / "linear") < 0.3 * 3e-4  # four updates: 3e-4 * (3/4, 2/4, 1/4, 0)


def test_a_reward_that_fails_mid_run_keeps_the_checkpoint(tmp_path):
    bad = _reward(tmp_path, "    if params['steps'] > 40:\n        return params['nope']\n    return 1.0")
    with pytest.raises(RewardError) as e:
        _short(tmp_path / "run", reward=bad)
    msg = str(e.value)
    assert msg.startswith(bad) and "line 3" in msg and "KeyError: 'nope'" in msg and "steps=41" in msg
    assert "the checkpoint so far is kept in" in msg and "\n" not in msg
    checkpoint.load(tmp_path / "run" / "model.pt")


def _same_weights(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_init_starts_from_a_cloned_policy_and_refuses_one_that_does_not_fit(tmp_path):
    bc = ROOT / "assets/models/sensors.pt"
    s = _short(tmp_path / "bc", init=str(bc), eval_tracks=5, critic_warmup=256)  # one rollout of warm-up
    with open(tmp_path / "bc" / "curve.csv") as f:
        start = next(csv.DictReader(f))
    assert float(start["driving_score"]) >= 90  # step 0 drives like the bundled BC model
    assert s["metrics"]["driving_score"] >= 80
    cloned = checkpoint.load(bc)[0]
    assert not _same_weights(checkpoint.load(tmp_path / "bc" / "model.pt")[0], cloned)  # then the policy learned
    _short(tmp_path / "warm", init=str(bc), critic_warmup=512)  # warm-up all the way: only the critic learns
    assert _same_weights(checkpoint.load(tmp_path / "warm" / "model.pt")[0], cloned)
    with pytest.raises(checkpoint.CheckpointError) as e:
        _short(tmp_path / "x", init=str(ROOT / "assets/models/camera.pt"))
    assert "the model reads camera but --observation is sensors" in str(e.value)


def test_rl_command_errors_are_one_line(tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), "rl", "--reward", str(tmp_path / "none.py")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "none.py: no such reward file" in r.stderr
    code = "import sys; sys.modules['stable_baselines3'] = None; import run_sim; sys.exit(run_sim.main(['rl']))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and 'pip install -c constraints.txt -e ".[rl]"' in r.stderr
    assert r.stderr.count("\n") == 1
    meta = json.loads(json.dumps(RLArgs().__dict__))  # the settings survive JSON (checkpoint metadata)
    assert meta["reward"].endswith("progress.py")
