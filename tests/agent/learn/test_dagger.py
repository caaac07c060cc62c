import json

import numpy as np
import pytest

from agent.data.dataset import SOURCES, Dataset
from agent.data.record import RecordSettings, record_expert
from agent.learn.dagger import COLUMNS, DaggerSettings, collect, run
from agent.learn.train import TrainArgs, train
from models import checkpoint
from sim.config import EnvConfig


@pytest.fixture(scope="module")
def start(tmp_path_factory):
    root = tmp_path_factory.mktemp("dagger")
    data = root / "data"
    record_expert(data, EnvConfig(observation="camera"), RecordSettings(episodes=2, steps=150, dart_sigma=0.0))
    model = root / "start.pt"
    train(
        TrainArgs(datasets=[str(data)], arch="tiny", epochs=1, out=str(model), threads=2),
        progress=False,
        log=lambda *a: None,
    )
    return root, data, model


def test_a_quick_round_appends_marked_frames_and_a_loadable_model(start, tmp_path):
    root, data, model = start
    import shutil

    work = tmp_path / "data"
    shutil.copytree(data, work)
    before = Dataset(work).frames
    settings = DaggerSettings(
        rounds=1, episodes=2, steps=80, epochs=1, eval_tracks=2, laps=1, baseline=False, workers=1
    )
    rows = run(str(model), str(work), tmp_path / "out", settings, log=lambda *a: None)
    ds = Dataset(work)
    new = [e for e in ds.episodes if e["driver"] == "dagger"]
    assert ds.frames == before + 160 and len(new) == 2 and all(e["round"] == 1 for e in new)
    data = ds.load(("source", "round", "action"), episodes=[ds.episodes.index(e) for e in new])
    assert (data["source"] == SOURCES.index("dagger")).all() and (data["round"] == 1).all()
    net, meta = checkpoint.load(tmp_path / "out" / "dagger_round1.pt")
    assert meta["train_args"]["resume"] == str(model)
    assert [r["round"] for r in rows] == [0, 1] and set(COLUMNS) <= set(rows[0])
    table = json.loads((tmp_path / "out" / "dagger.json").read_text())["rounds"]
    assert table == rows and (tmp_path / "out" / "dagger.png").exists()


def test_beta_one_is_the_expert_driving(start, tmp_path):
    root, data, model = start
    import shutil

    work = tmp_path / "data"
    shutil.copytree(data, work)
    collect(work, model, 1.0, DaggerSettings(episodes=2, steps=120), round=1)
    ds = Dataset(work)
    idx = [i for i, e in enumerate(ds.episodes) if e["driver"] == "dagger"]
    d = ds.load(("action", "executed", "off_road"), episodes=idx)
    assert np.array_equal(d["action"], d["executed"])  # the expert's labels were what was driven
    assert not d["off_road"].any()


def test_gated_takeovers_record_only_the_takeover_frames(start, tmp_path):
    from agent.learn.dagger import collect_takeovers

    root, data, model = start
    takeovers, frames = collect_takeovers(
        model, tmp_path / "takeovers", Dataset(data).env_config, DaggerSettings(episodes=2, steps=200)
    )
    ds = Dataset(tmp_path / "takeovers")
    assert ds.frames == frames
    if frames:  # a weak network drifts and gets taken over; every recorded frame is a takeover
        d = ds.load(("source", "lateral_offset_m", "action", "executed"))
        assert takeovers >= 1 and (d["source"] == SOURCES.index("takeover")).all()
        assert (np.abs(d["lateral_offset_m"]) > 0.3).all()
        assert np.array_equal(d["action"], d["executed"])  # the stand-in person drove these
