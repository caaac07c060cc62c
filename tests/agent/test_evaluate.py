from pathlib import Path

import numpy as np
import pytest

from agent.evaluate import SUMMARY_KEYS, ExpertBatch, eval_tracks, evaluate, evaluate_parallel, plot_trajectories
from agent.policy import NeuralPolicy
from models.checkpoint import CheckpointError
from sim.config import CameraParams, EnvConfig

BUNDLED = Path("assets/models/camera.pt")


def test_expert_eval_completes_every_lap_and_reports_keys(tmp_path):
    result = evaluate(ExpertBatch(), EnvConfig(), eval_tracks(5), laps=2)
    s = result.summary
    assert set(SUMMARY_KEYS) <= set(s)
    assert s["episodes"] == 5 and s["lap_completion_rate"] == 1.0 and s["autonomy_pct"] == 100.0 and s["interventions"] == 0
    assert all(e["laps"] == 2 and e["completed"] for e in result.episodes)
    assert 11.5 < s["mean_speed_mps"] < 12.5 and s["mean_abs_offset_m"] < 1.0
    plot_trajectories(result, tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 10_000


def test_bad_driver_is_counted_not_fatal():
    class Wobbly:
        keys = ("sensors",)

        def steer(self, world, obs):
            return np.ones(world.n)  # full left forever: leaves the road again and again

    r = evaluate(Wobbly(), EnvConfig(), eval_tracks(2), laps=1, max_steps=600)
    assert r.summary["interventions"] > 2 and r.summary["lap_completion_rate"] == 0.0 and r.summary["autonomy_pct"] < 90


def test_parallel_equals_serial():
    a = evaluate_parallel(None, EnvConfig(), eval_tracks(4), 1, workers=1)
    b = evaluate_parallel(None, EnvConfig(), eval_tracks(4), 1, workers=2)
    assert a.episodes == b.episodes


@pytest.mark.skipif(not BUNDLED.exists(), reason="bundled model not built")
def test_bundled_camera_model_meets_the_bar_on_test_tracks():
    result = evaluate_parallel(str(BUNDLED), EnvConfig(), eval_tracks(6), laps=2, workers=2)
    assert result.summary["lap_completion_rate"] >= 5 / 6
    assert result.summary["autonomy_pct"] >= 99.5


@pytest.mark.skipif(not BUNDLED.exists(), reason="bundled model not built")
def test_checkpoint_for_another_camera_or_layout_is_refused():
    with pytest.raises(CheckpointError) as e:
        NeuralPolicy(BUNDLED, EnvConfig(camera=CameraParams(width_px=96, height_px=96)))
    assert "camera.width_px 64 (model) vs 96 (env)" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(CheckpointError, match="reads camera but the env observes sensors"):
        NeuralPolicy(BUNDLED, EnvConfig(observation="sensors"))
