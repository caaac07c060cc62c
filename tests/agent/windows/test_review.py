"""`data review`: scrub, cut ranges into the manifest (chunks untouched), and train leaves them out."""

import hashlib

import numpy as np
import pygame

from agent.data.dataset import Dataset
from agent.learn.train import TrainArgs, train
from agent.windows.review import review
from tests.agent.data.test_dataset import record_random


def keys(script):
    """before_frame: post the KEYDOWN events of `script` {frame: [(key, mod), ...]}."""

    def before_frame(n):
        for key, mod in script.get(n, []):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=""))

    return before_frame


def test_cuts_go_to_the_manifest_and_train_leaves_them_out(tmp_path):
    root = tmp_path / "d"
    for seed in range(4):
        record_random(root, 150, seed=seed)
    chunks = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in root.glob("ep*/chunk*.npz")}
    shift, none = pygame.KMOD_SHIFT, pygame.KMOD_NONE
    script = {
        1: [(pygame.K_RIGHT, shift), (pygame.K_RIGHT, shift)],  # to frame 60
        2: [(pygame.K_LEFTBRACKET, none)] + [(pygame.K_RIGHT, none)] * 10,  # mark, then to frame 70
        3: [(pygame.K_RIGHTBRACKET, none)],  # cut 60..70
        4: [
            (pygame.K_DOWN, none),
            (pygame.K_END, none),
            (pygame.K_RIGHTBRACKET, none),
        ],  # episode 2: cut its last frame
        5: [(pygame.K_u, none)],  # ... and restore it
        6: [(pygame.K_f, none), (pygame.K_SPACE, none)],  # a filter, then play
    }
    state = review(root, max_frames=20, png=str(tmp_path / "review.png"), before_frame=keys(script))
    ds = Dataset(root)
    assert ds.episodes[0]["excluded"] == [[60, 71]] and "excluded" not in ds.episodes[1]
    assert state.cuts == 2 and any("restored" in m for m in state.messages)
    assert {
        p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in root.glob("ep*/chunk*.npz")
    } == chunks  # never rewritten
    assert (tmp_path / "review.png").stat().st_size > 10_000
    marks = ds.load(("action", "excluded"))
    assert marks["excluded"].sum() == 11 and (marks["frame"][marks["excluded"]] == np.arange(60, 71)).all()
    from agent.data.datainfo import summarize

    info = summarize(
        ds,
        marks["action"][:, 0],
        np.zeros(len(marks["action"]), np.uint8),
        np.zeros(len(marks["action"]), bool),
        marks["excluded"],
    )
    assert info["left_out_by_train"] == {
        "crash_frames": 0,
        "cut_frames": 11,
    }  # data info says what train will leave out
    said = []
    train(
        TrainArgs(datasets=[str(root)], model="sensors", epochs=1, out=str(tmp_path / "m.pt"), threads=1),
        progress=False,
        log=said.append,
    )
    assert any(line.startswith("excluded in review: 11 frames") for line in said)


def test_review_draws_a_networks_steering_beside_the_labels(tmp_path):
    from agent.windows.review import SIZE, Review

    root = tmp_path / "d"
    record_random(root, 120, seed=1)
    pygame.font.init()
    r = Review(root, pygame.Surface(SIZE), present=lambda: None, model="assets/models/camera.pt")
    assert r.predicted.shape == (r.n,) and np.isfinite(r.predicted).all()
    assert not np.allclose(r.predicted, r.data["action"][:, 0])  # its own view, not the labels
    r.draw()  # the trace with the network's line
