"""Videos a person can share: small GIFs and MP4s that play back every frame."""

import numpy as np
import pytest

from agent.windows.video import GIF_WIDTH_PX, save_video
from sim.env import DrivingEnv


@pytest.fixture(scope="module")
def frames():
    env = DrivingEnv(render_mode="rgb_array", track=4, offroad="recover")
    env.reset(seed=0)
    out = []
    for _ in range(300):
        env.step(np.array([0.02], np.float32))
        out.append(env.render())
    env.close()
    return out


def test_gif_is_scaled_and_small(frames, tmp_path):
    from PIL import Image

    path = save_video(tmp_path / "run.gif", frames, fps=15, progress=False)
    with Image.open(path) as im:
        assert im.size[0] == GIF_WIDTH_PX and im.n_frames == len(frames)
    # 300 frames (10 s, every frame) of a drive, small enough to share: the chase view moves
    # under every pixel of every frame, so this is ~6.9 MB; `watch --video` keeps every 2nd frame
    assert path.stat().st_size < 7.5e6


def test_mp4_keeps_every_frame(frames, tmp_path):
    import imageio.v2 as imageio

    path = save_video(tmp_path / "run.mp4", frames, fps=15, progress=False)
    with imageio.get_reader(path) as r:
        back = [f for f in r]
    assert len(back) == len(frames) and back[0].shape[:2] == (frames[0].shape[0] // 2 * 2, frames[0].shape[1] // 2 * 2)
    assert np.abs(back[150].astype(int) - frames[150].astype(int)).mean() < 12  # the same picture, lossy


def test_other_suffixes_and_no_frames_are_refused(frames, tmp_path):
    with pytest.raises(ValueError, match="must be .gif or .mp4"):
        save_video(tmp_path / "run.avi", frames, fps=15, progress=False)
    with pytest.raises(ValueError, match="no frames"):
        save_video(tmp_path / "run.gif", [], fps=15, progress=False)
