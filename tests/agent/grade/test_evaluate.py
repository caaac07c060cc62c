from pathlib import Path

import numpy as np
import pytest

from agent.drivers.expert import Expert
from agent.drivers.policy import NeuralPolicy
from agent.drivers.spec import DriverSpec
from agent.grade.evaluate import (
    SUMMARY_KEYS,
    eval_tracks,
    evaluate,
    evaluate_parallel,
    make_driver,
    plot_trajectories,
)
from models.checkpoint import CheckpointError
from sim.config import CameraParams, EnvConfig
from sim.levels import with_level

EXPERT, BLIND = DriverSpec("expert"), DriverSpec("expert-blind")
BUNDLED = Path("assets/models/camera.pt")


def test_expert_eval_completes_every_lap_and_reports_keys(tmp_path):
    result = evaluate(Expert(), EnvConfig(), eval_tracks(5), laps=2)
    s = result.summary
    assert set(SUMMARY_KEYS) <= set(s)
    assert (
        s["episodes"] == 5
        and s["lap_completion_rate"] == 1.0
        and s["autonomy_pct"] == 100.0
        and s["interventions"] == 0
    )
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
    for e in r.episodes:  # CARLA-style: route completion times 0.65 per exit from the road
        assert e["driving_score"] == pytest.approx(100 * e["route_completion"] * 0.65 ** e["interventions"], abs=1e-3)
    assert r.summary["driving_score"] < 5 and r.summary["infractions_per_km"] > 1


def test_driving_score_summary_and_its_confidence_interval():
    class Sometimes:  # the expert, but full left on odd tracks: half the episodes go wrong
        keys = ("sensors",)

        def steer(self, world, obs):
            s = Expert().steer(world, obs)
            s[1::2] = 1.0
            return s

    r = evaluate(Sometimes(), EnvConfig(), eval_tracks(6), laps=1)
    scores = [e["driving_score"] for e in r.episodes]
    assert scores[0::2] == [100.0] * 3 and max(scores[1::2]) < 20
    lo, hi = r.summary["driving_score_ci95"]
    assert (
        r.summary["driving_score"] == pytest.approx(np.mean(scores), abs=0.01) and lo < r.summary["driving_score"] < hi
    )
    assert lo > 0 and hi <= 100 and hi - lo > 20  # six episodes, half of them bad: a wide interval


def test_seeds_repeat_each_track_with_other_conditions():
    cfg = with_level(EnvConfig(), "weather")
    r = evaluate_parallel(EXPERT, cfg, eval_tracks(2), 1, workers=1, seeds=3)
    assert [e["track"] for e in r.episodes] == [r.episodes[0]["track"]] * 3 + [r.episodes[3]["track"]] * 3
    assert [e["variant"] for e in r.episodes] == [0, 1, 2, 0, 1, 2]
    assert len({e["mean_speed_mps"] for e in r.episodes[:3]}) == 3  # each variant its own cruise speed
    assert r.summary["lap_completion_rate"] == 1.0  # the expert drives any weather
    again = evaluate_parallel(EXPERT, cfg, eval_tracks(2), 1, workers=2, seeds=3)
    assert again.episodes == r.episodes  # the same conditions however the work is split


class Bar:
    """Records what a progress bar is told."""

    def __init__(self):
        self.seen = [0.0]

    def update(self, k):
        assert k >= -1e-9  # a bar never goes back
        self.seen.append(self.seen[-1] + k)


def test_parallel_equals_serial_and_the_bar_follows_the_driving():
    bars = Bar(), Bar()
    a = evaluate_parallel(EXPERT, EnvConfig(), eval_tracks(4), 1, workers=1, bar=bars[0])
    b = evaluate_parallel(EXPERT, EnvConfig(), eval_tracks(4), 1, workers=2, bar=bars[1])
    assert a.episodes == b.episodes
    for bar in bars:  # both end at the episodes driven
        assert bar.seen[-1] == pytest.approx(4.0)
    steps = max(round(e["seconds"] / EnvConfig().dt_s) for e in a.episodes)
    middle = [v for v in bars[0].seen if 0.5 < v < 3.5]
    assert (
        len(bars[0].seen) >= steps // 30 and len(middle) > steps // 60
    )  # a second of driving at a time, not episode by episode


@pytest.mark.skipif(not BUNDLED.exists(), reason="bundled model not built")
def test_bundled_camera_model_meets_the_bar_on_test_tracks():
    result = evaluate_parallel(DriverSpec.model(BUNDLED), EnvConfig(), eval_tracks(6), laps=2, workers=2)
    assert result.summary["lap_completion_rate"] >= 5 / 6
    assert result.summary["autonomy_pct"] >= 99.5
    # the report says where each worker's time went: most of it in the network
    t = result.to_json()["timing"]
    assert len(t["batch_s"]) == len(t["driver_s"]) == 2
    assert all(0.3 * b < d < b for b, d in zip(t["batch_s"], t["driver_s"]))


@pytest.mark.skipif(not BUNDLED.exists(), reason="bundled model not built")
def test_checkpoint_for_another_camera_or_layout_is_refused():
    with pytest.raises(CheckpointError) as e:
        NeuralPolicy(BUNDLED, EnvConfig(camera=CameraParams(width_px=96, height_px=96)))
    assert "camera.width_px 64 (model) vs 96 (env)" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(CheckpointError, match="reads camera but the env observes sensors"):
        NeuralPolicy(BUNDLED, EnvConfig(observation="sensors"))


WEATHER = Path("assets/models/camera_weather.pt")


@pytest.mark.skipif(not WEATHER.exists(), reason="bundled model not built")
def test_bundled_weather_model_drives_new_conditions():
    cfg = with_level(EnvConfig(), "weather")
    result = evaluate_parallel(DriverSpec.model(WEATHER), cfg, eval_tracks(4), laps=1, workers=2)
    assert result.summary["driving_score"] >= 90 and result.summary["lap_completion_rate"] >= 3 / 4


def test_the_video_replays_the_scored_episode():
    """`eval --video` shows the episode that was scored: the same driver (the blind expert
    hits what the seeing one passes) and the same conditions (at `weather`, the cruise
    speed and steering trim drawn for episode 0 set its lap time)."""
    from agent.windows.watch import replay_first_episode
    from sim.levels import with_level

    cones = with_level(EnvConfig(observation="sensors"), "cones")
    track = 1_000_004
    scored = evaluate(make_driver(BLIND, cones), cones, [track], laps=1)
    stats, _ = replay_first_episode(BLIND, cones, track, laps=1, frame_every=0)
    assert scored.episodes[0]["collisions"] > 0 and stats.collisions == scored.episodes[0]["collisions"]
    weather = with_level(EnvConfig(observation="sensors"), "weather")
    scored = evaluate(make_driver(EXPERT, weather), weather, [track], laps=1)
    stats, _ = replay_first_episode(EXPERT, weather, track, laps=1, frame_every=0)
    assert stats.lap_times_s and abs(stats.steps * weather.dt_s - scored.episodes[0]["seconds"]) < 0.1
