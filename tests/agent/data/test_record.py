import numpy as np
import pytest

from agent.data.dataset import Dataset
from agent.data.record import RecordSettings, record_expert
from sim.config import EnvConfig


def test_dart_labels_are_clean_expert_steering_at_the_recorded_state(tmp_path):
    settings = RecordSettings(episodes=2, steps=200, dart_sigma=0.15, seed=3)
    record_expert(tmp_path / "d", EnvConfig(), settings)
    ds = Dataset(tmp_path / "d")
    data = ds.load(("action", "executed", "progress_m", "lateral_offset_m", "heading_error_rad", "speed_mps"))
    label, executed = data["action"][:, 0], data["executed"][:, 0]
    noise = executed - label
    assert 0.08 < noise.std() < 0.25 and abs(noise.mean()) < 0.1
    assert np.corrcoef(noise[:-1], noise[1:])[0, 1] > 0.5  # temporally correlated
    # replay the executed actions: at every state the car really visited, the expert's
    # output must be exactly the stored label
    from dataclasses import replace

    from agent.drivers.expert import ExpertDriver
    from sim.env import DrivingEnv

    ep0 = data["episode"] == 0
    seed = int(ds.episodes[0]["track"].split()[1])
    env = DrivingEnv(config=replace(ds.env_config, offroad="recover"), track=seed)
    expert = ExpertDriver(env)
    obs, _ = env.reset()
    for lab, ex in zip(data["action"][ep0], data["executed"][ep0]):
        assert np.array_equal(expert.act(obs), lab)
        obs, *_ = env.step(ex)


def test_side_cameras_label_the_way_back(tmp_path):
    settings = RecordSettings(episodes=1, steps=150, dart_sigma=0.0, side_cameras=True)
    record_expert(tmp_path / "d", EnvConfig(), settings)
    ds = Dataset(tmp_path / "d")
    data = ds.load(("action", "camera_shift_m", "camera"))
    shift, steer = data["camera_shift_m"], data["action"][:, 0]
    centre = shift == 0
    assert centre.sum() == 150 and (shift > 0).sum() > 100 and (shift < 0).sum() > 100
    assert ds.episodes[0]["duration_s"] == pytest.approx(5.0, abs=0.05)  # side frames take no time
    # shifted left -> steer right (negative) relative to the centre frame, and vice versa
    assert steer[shift > 0].mean() < steer[centre].mean() - 0.1
    assert steer[shift < 0].mean() > steer[centre].mean() + 0.1


def test_workers_record_the_same_as_one_process(tmp_path):
    s1 = RecordSettings(episodes=3, steps=120, workers=1, seed=5)
    s2 = RecordSettings(episodes=3, steps=120, workers=2, seed=5)
    record_expert(tmp_path / "a", EnvConfig(observation="sensors"), s1)
    record_expert(tmp_path / "b", EnvConfig(observation="sensors"), s2)
    a, b = Dataset(tmp_path / "a"), Dataset(tmp_path / "b")
    assert [e["track"] for e in a.episodes] == [e["track"] for e in b.episodes]
    da, db = a.load(("sensors", "action")), b.load(("sensors", "action"))
    assert np.array_equal(da["sensors"], db["sensors"]) and np.array_equal(da["action"], db["action"])


def test_levels_mix_in_one_dataset_but_layouts_do_not(tmp_path):
    from agent.data.datainfo import summarize
    from agent.data.dataset import DatasetError
    from sim.config import CameraParams
    from sim.levels import with_level

    out = tmp_path / "d"
    settings = RecordSettings(episodes=2, steps=40, seed=3)
    record_expert(out, EnvConfig(), settings)
    record_expert(out, with_level(EnvConfig(), "weather"), settings)  # a curriculum: allowed
    ds = Dataset(out)
    data = ds.load(("action", "source", "camera"))
    assert summarize(ds, data["action"][:, 0], data["source"])["frames_per_level"] == {"school": 80, "weather": 80}
    school, weather = data["camera"][:80].astype(float), data["camera"][80:].astype(float)
    assert (
        abs(school.mean() - weather.mean()) > 3 or abs(school.std() - weather.std()) > 3
    )  # other light, other colours
    with pytest.raises(DatasetError, match="camera.width_px"):
        record_expert(out, with_level(EnvConfig(camera=CameraParams(width_px=32, height_px=32)), "weather"), settings)
