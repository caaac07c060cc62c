"""DriveLab datasets to Minari and back: the same arrays, the same env, the same training."""

import numpy as np
import pytest

pytest.importorskip("minari")
pytest.importorskip("h5py")

from agent.data.dataset import Dataset, DatasetError  # noqa: E402
from agent.data.formats import load_minari, to_minari  # noqa: E402
from agent.data.record import RecordSettings, record_expert  # noqa: E402
from agent.learn.train import TrainArgs, train  # noqa: E402
from sim.config import EnvConfig  # noqa: E402
from sim.levels import with_level  # noqa: E402

FIELDS = ("camera", "sensors", "action", "source", "off_road", "crash", "excluded")


@pytest.fixture
def minari_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    return tmp_path / "minari"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    root = tmp_path_factory.mktemp("rec") / "d"
    record_expert(root, with_level(EnvConfig(), "weather"), RecordSettings(episodes=4, steps=120, seed=2))
    return root


def test_round_trip_keeps_every_array_and_the_env(recorded, minari_home):
    import minari

    counts = to_minari(recorded, "drivelab/rt-v0")
    assert counts == {"episodes": 4, "steps": 480, "dropped_side_frames": 0}
    back, config, identity = load_minari("drivelab/rt-v0", FIELDS)
    ds = Dataset(recorded)
    here = ds.load(FIELDS)
    for k in FIELDS + ("episode",):
        assert np.array_equal(back[k], here[k]), k
    assert config == ds.env_config and identity[0]["path"] == "minari:drivelab/rt-v0"
    env = minari.load_dataset("drivelab/rt-v0").recover_environment()
    assert env.unwrapped.config == ds.env_config and env.unwrapped.config.level.name == "weather"  # the level travels
    obs, _ = env.reset(seed=0)
    assert obs["camera"].shape == (64, 64, 3)


def test_training_on_the_export_is_training_on_the_folder(recorded, minari_home, tmp_path):
    to_minari(recorded, "drivelab/train-v0")
    runs = [
        train(
            TrainArgs(datasets=[src], arch="tiny", epochs=2, seed=1, out=str(tmp_path / f"m{i}.pt"), threads=1),
            progress=False,
            log=lambda *a: None,
        )
        for i, src in enumerate((str(recorded), "minari:drivelab/train-v0"))
    ]
    assert runs[0]["best"]["steer_mae"] == runs[1]["best"]["steer_mae"]
    assert [h["train_loss"] for h in runs[0]["history"]] == [h["train_loss"] for h in runs[1]["history"]]


@pytest.mark.filterwarnings("ignore::UserWarning")  # Minari's advice to the CartPole dataset made here
def test_bad_ids_and_foreign_datasets(recorded, minari_home):
    import gymnasium as gym
    import minari
    from minari.data_collector import EpisodeBuffer

    with pytest.raises(DatasetError, match="no such Minari dataset"):
        load_minari("drivelab/missing-v0", FIELDS)
    for bad in ("bad id", "x-vq", "", "x/a-v0"):  # (a namespace has at least two characters)
        with pytest.raises(ValueError, match="expected a Minari id"):
            to_minari(recorded, bad)
    assert not minari_home.exists() or not any(minari_home.iterdir())  # nothing written for a bad id
    env = gym.make("CartPole-v1")
    buf = EpisodeBuffer(
        id=0,
        observations=np.zeros((3, 4), np.float32),
        actions=np.zeros(2, np.int64),
        rewards=[1.0, 1.0],
        terminations=[False, True],
        truncations=[False, False],
        infos={},
    )
    minari.create_dataset_from_buffers(
        "other/cartpole-v0", [buf], env=env, eval_env=env.spec, algorithm_name="none", author="t", description="t"
    )
    with pytest.raises(DatasetError, match="not a DriveLab export") as e:
        load_minari("other/cartpole-v0", FIELDS)
    assert "minari:other/cartpole-v0" in str(e.value)
    to_minari(recorded, "drivelab/once-v0")
    with pytest.raises(ValueError, match="exists"):
        to_minari(recorded, "drivelab/once-v0")


def test_data_export_cli(recorded, minari_home, capsys):
    import run_sim

    assert run_sim.main(["data", "export", str(recorded), "--minari", "drivelab/cli-v0"]) == 0
    assert "train minari:drivelab/cli-v0" in capsys.readouterr().out
    assert run_sim.main(["train", "minari:drivelab/nope-v0", "--epochs", "1"]) == 2
    assert "no such Minari dataset" in capsys.readouterr().err
