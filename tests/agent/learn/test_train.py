import json

import numpy as np
import pytest
import torch

from agent.data.record import RecordSettings, record_expert
from agent.learn.train import TrainArgs, soft_bin_targets, split_by_episode, train
from models.nets import DrivingNet, steering_bins
from sim.config import EnvConfig


@pytest.fixture(scope="module")
def expert_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data") / "expert"
    record_expert(root, EnvConfig(), RecordSettings(episodes=6, steps=400, seed=1))
    return str(root)


@pytest.mark.parametrize("head", ["regression", "classification"])
def test_network_overfits_a_tiny_batch(head):
    torch.manual_seed(0)
    net = DrivingNet({"camera": (3, 42, 64)}, "tiny", None, head, bins=21)
    x = torch.rand(16, 3, 42, 64) - 0.5
    y = torch.linspace(-0.8, 0.8, 16)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(300):
        out = net(camera=x)
        if head == "regression":
            loss = ((out - y) ** 2).mean()
        else:
            loss = torch.nn.functional.cross_entropy(out, soft_bin_targets(y, net.bins))
        opt.zero_grad()
        loss.backward()
        opt.step()
    err = (net.steering(net(camera=x)) - y).abs().max().item()
    assert err < 0.05


def test_soft_bins_keep_the_steering_as_their_mean():
    bins = steering_bins(21)
    y = torch.tensor([-1.0, -0.33, 0.0, 0.071, 1.0])
    t = soft_bin_targets(y, bins)
    assert torch.allclose(t.sum(1), torch.ones(5)) and torch.allclose(t @ bins, y, atol=1e-6)


def test_split_is_by_whole_episode():
    ep = np.repeat(np.arange(10), 50)
    tr, va = split_by_episode(ep, 0.2, np.random.default_rng(0))
    assert not set(ep[tr]) & set(ep[va]) and len(set(ep[va])) == 2


@pytest.mark.parametrize("head", ["regression", "classification"])
def test_trained_on_expert_data_beats_the_mean(tmp_path, expert_data, head):
    s = train(
        TrainArgs(
            datasets=[expert_data],
            arch="tiny",
            head=head,
            epochs=4,
            batch_size=64,
            lr=3e-3,
            out=str(tmp_path / "m.pt"),
            threads=2,
        ),
        progress=False,
        log=lambda *a: None,
    )
    assert s["best"]["steer_mae"] < 0.4 * s["baseline_steer_mae"]
    assert (tmp_path / "m.png").exists() and json.loads((tmp_path / "m.json").read_text())["history"]


def test_same_seed_same_losses(tmp_path, expert_data):
    runs = [
        train(
            TrainArgs(datasets=[expert_data], arch="tiny", epochs=2, seed=3, out=str(tmp_path / f"m{i}.pt"), threads=2),
            progress=False,
            log=lambda *a: None,
        )
        for i in range(2)
    ]
    a, b = ([h["train_loss"] for h in r["history"]] + [h["val_loss"] for h in r["history"]] for r in runs)
    assert a == b
    c = train(
        TrainArgs(datasets=[expert_data], arch="tiny", epochs=2, seed=4, out=str(tmp_path / "m2.pt"), threads=2),
        progress=False,
        log=lambda *a: None,
    )
    assert [h["train_loss"] for h in c["history"]] != a[:2]


def test_sensors_model_and_plain_sgd(tmp_path, expert_data):
    s = train(
        TrainArgs(
            datasets=[expert_data],
            model="sensors",
            optimizer="sgd",
            lr=0.05,
            epochs=3,
            out=str(tmp_path / "s.pt"),
            threads=2,
        ),
        progress=False,
        log=lambda *a: None,
    )
    losses = [h["train_loss"] for h in s["history"]]
    assert losses[-1] < losses[0]  # gradient descent goes down the mountain


def test_resume_continues_from_weights(tmp_path, expert_data):
    first = train(
        TrainArgs(datasets=[expert_data], arch="tiny", epochs=2, out=str(tmp_path / "a.pt"), threads=2),
        progress=False,
        log=lambda *a: None,
    )
    again = train(
        TrainArgs(
            datasets=[expert_data],
            arch="tiny",
            epochs=1,
            resume=str(tmp_path / "a.pt"),
            out=str(tmp_path / "b.pt"),
            threads=2,
        ),
        progress=False,
        log=lambda *a: None,
    )
    assert again["history"][0]["val_loss"] < first["history"][0]["val_loss"]


def test_one_episode_is_split_in_time_blocks_with_a_gap():
    from agent.learn.train import VAL_BLOCK_S, VAL_GAP_S, split_by_episode

    VAL_BLOCK_FRAMES, VAL_GAP_FRAMES = round(VAL_BLOCK_S * 30), round(VAL_GAP_S * 30)  # at the default 30 steps/s

    episode = np.zeros(10 * VAL_BLOCK_FRAMES + 17, dtype=np.int32)
    train_mask, val_mask = split_by_episode(episode, 0.2, np.random.default_rng(0))
    assert not (train_mask & val_mask).any()
    assert val_mask.sum() == 2 * VAL_BLOCK_FRAMES or val_mask.sum() == 2 * VAL_BLOCK_FRAMES + 17  # two whole blocks
    val_at = np.flatnonzero(val_mask)
    train_at = np.flatnonzero(train_mask)
    gap = np.abs(train_at[:, None] - val_at[None, :]).min()
    assert gap > VAL_GAP_FRAMES  # no training frame within a second of a held-out one
    with pytest.raises(ValueError, match="one of at least"):
        split_by_episode(np.zeros(VAL_BLOCK_FRAMES, dtype=np.int32), 0.2, np.random.default_rng(0))


def test_the_kept_epoch_and_the_learned_verdict_say_what_they_measured(expert_data, tmp_path, monkeypatch, capsys):
    """Loss and steering error disagree (epoch 3 has the lowest loss, epoch 2 the lowest error):
    epoch 3 is kept, `learned` is judged on it, and the last line names both measures."""
    import agent.learn.train as trainer
    import run_sim

    scripted = iter(
        [{"loss": 0.5, "steer_mae": 0.10}, {"loss": 0.6, "steer_mae": 0.05}, {"loss": 0.4, "steer_mae": 0.08}]
    )
    monkeypatch.setattr(trainer, "evaluate", lambda *a, **k: next(scripted))
    out = tmp_path / "m.pt"
    assert (
        run_sim.main(
            ["train", expert_data, "--model", "sensors", "--arch", "mlp", "--epochs", "3", "--out", str(out), "--quiet"]
        )
        == 0
    )
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["best"]["epoch"] == 3 and summary["learned"] == (0.08 < summary["baseline_steer_mae"])
    said = capsys.readouterr().out
    assert (
        "kept epoch 3, the one with the lowest validation loss (0.4000); its validation steering error 0.0800" in said
    )
    assert ("is below predicting the mean" if summary["learned"] else "is NOT below predicting the mean") in said
