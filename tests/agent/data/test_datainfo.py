import numpy as np

from agent.data.datainfo import label_warnings


def test_bang_bang_and_straight_and_one_sided_warnings():
    rng = np.random.default_rng(0)
    bang = rng.choice([-1.0, 0.0, 1.0], size=1000, p=[0.2, 0.6, 0.2])
    assert any("bang-bang" in w for w in label_warnings(bang))
    straight = np.concatenate([np.zeros(900), rng.uniform(-0.5, 0.5, 100)])
    assert any("straight driving dominates" in w for w in label_warnings(straight))
    one_sided = np.abs(rng.normal(0.3, 0.1, 1000))
    assert any("one-sided" in w for w in label_warnings(one_sided))
    good = np.clip(rng.normal(0, 0.25, 1000), -1, 1)
    assert label_warnings(good) == []
