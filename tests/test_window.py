"""`drive` and `watch` in a real X11 window (Xvfb), as a person meets them: the window's
size is read from the X server, keys are sent with xdotool, and a screenshot of the window
is checked panel by panel. Skipped where Xvfb, xdotool, xwininfo or ImageMagick are missing
(`.ci/run` installs them where it can)."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from agent.data.dataset import Dataset
from sim.render import BG, PANEL_W, VIEW_PX

TOOLS = ("Xvfb", "xdotool", "xwininfo", "import")
pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in TOOLS), reason="needs Xvfb, xdotool, xwininfo and ImageMagick"
)
ROOT = Path(__file__).resolve().parents[1]
SCREEN = (1600, 1000)


def xserver(width: int, height: int):
    """Start a private X server of that size; returns (process, environment for programs on it)."""
    for n in range(150, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    server = subprocess.Popen(
        ["Xvfb", f":{n}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = f":{n}"
    deadline = time.monotonic() + 20
    while subprocess.run(["xwininfo", "-root"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.2)
    return server, env


@pytest.fixture(scope="module")
def display():
    server, env = xserver(*SCREEN)
    yield env
    server.terminate()
    server.wait(10)


def start(env, *args):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run_sim.py"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def window(env, proc, timeout_s: float = 90.0):
    """(id, width, height, x, y) of the DriveLab window, once it is mapped."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True).stdout
        m = re.search(r'(0x[0-9a-f]+) "DriveLab[^"]*".*?(\d+)x(\d+)\+(-?\d+)\+(-?\d+)', tree)
        if m:
            wid = m.group(1)
            while time.monotonic() < deadline:  # until the layout is drawn (the world loads its kernels first)
                time.sleep(0.5)
                shot = subprocess.run(["import", "-window", wid, "png:-"], env=env, capture_output=True).stdout
                img = iio.imread(shot)
                if img.ndim == 3 and drawn(img[..., :3].astype(int), 0, 0, img.shape[1], img.shape[0]) > 0.1:
                    break
            time.sleep(1.0)  # a few frames more
            return wid, *(int(v) for v in m.groups()[1:])
        time.sleep(0.3)
    pytest.fail("no DriveLab window appeared")


def screenshot(env, wid: str, path: Path) -> np.ndarray:
    subprocess.run(["import", "-window", wid, str(path)], env=env, check=True, capture_output=True)
    return iio.imread(path)[..., :3].astype(int)


def xdotool(env, *args) -> None:
    subprocess.run(["xdotool", *args], env=env, check=True)


def finish(env, proc) -> str:
    xdotool(env, "key", "Escape")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def drawn(img: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> float:
    """Share of pixels in the box that differ from the background colour."""
    return float((np.abs(img[y0:y1, x0:x1] - np.array(BG)).sum(-1) > 30).mean())


def test_drive_window_shows_every_panel_and_records_the_keys(display, tmp_path):
    proc = start(display, "drive", "--record", str(tmp_path / "mine"), "--seed", "3", "--max-frames", "3000")
    wid, w, h, x, y = window(display, proc)
    assert (w, h) == (VIEW_PX + PANEL_W, VIEW_PX) and 0 <= x and x + w <= SCREEN[0] and 0 <= y and y + h <= SCREEN[1]
    xdotool(display, "mousemove", str(x + w // 2), str(y + h // 2))
    xdotool(display, "keydown", "Left")
    time.sleep(0.4)
    xdotool(display, "keyup", "Left")
    img = screenshot(display, wid, tmp_path / "drive.png")
    out = finish(display, proc)
    assert img.shape[:2] == (h, w)
    badge = img[8:40, 8:200]
    assert ((badge[..., 0] > 180) & (badge[..., 1] < 80)).mean() > 0.3  # the red REC badge
    assert drawn(img, VIEW_PX + 20, 42, VIEW_PX + PANEL_W - 20, 300) > 0.9  # the camera inset
    assert drawn(img, VIEW_PX + 20, 310, VIEW_PX + PANEL_W - 20, 600) > 0.02  # the HUD's text
    assert drawn(img, VIEW_PX + PANEL_W - 12, 0, w, h) < 0.01  # nothing runs off the panel's right edge
    steer = Dataset(tmp_path / "mine").load(("action",))["action"][:, 0]
    assert steer.max() > 0.02 and len(np.unique(steer)) > 5, out  # the key turned the wheel, a little (a tap), analog


def test_watch_window_holds_the_network_column(display, tmp_path):
    proc = start(display, "watch", "--seed", "3")
    wid, w, h, _, _ = window(display, proc)
    img = screenshot(display, wid, tmp_path / "watch.png")
    finish(display, proc)
    assert (w, h) == (VIEW_PX + PANEL_W + 300, VIEW_PX) and img.shape[:2] == (h, w)
    column = VIEW_PX + PANEL_W + 10
    assert drawn(img, column, 42, w - 10, 220) > 0.8  # what the network sees
    assert drawn(img, column, 220, w - 10, 420) > 0.02  # what it decides: bars and captions


def test_drive_refuses_a_display_that_shows_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":4987"  # no X server there
    r = subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), "drive", "--record", str(tmp_path / "ghost"), "--max-frames", "30"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0 and "Traceback" not in r.stderr
    ours = [line for line in r.stderr.splitlines() if line.startswith("run_sim.py")]  # (SDL may add a line of its own)
    assert len(ours) == 1 and "cannot open a window" in ours[0] and "offscreen" in ours[0]
    assert not (tmp_path / "ghost").exists() or Dataset(tmp_path / "ghost").frames == 0


def test_data_review_window_scrubs_and_cuts(display, tmp_path):
    from tests.agent.data.test_dataset import record_random

    record_random(tmp_path / "d", 300, seed=2)
    proc = start(display, "data", "review", str(tmp_path / "d"))
    wid, w, h, x, y = window(display, proc)
    xdotool(display, "mousemove", str(x + w // 2), str(y + 100))
    for key in ("shift+Right", "bracketleft", "shift+Right", "bracketright"):
        xdotool(display, "key", key)
        time.sleep(0.2)
    time.sleep(0.5)
    img = screenshot(display, wid, tmp_path / "review.png")
    out = finish(display, proc)
    from agent.windows.review import FRAME_PX, SIZE, TRACE

    assert (w, h) == SIZE and img.shape[:2] == (h, w)
    assert drawn(img, 20, 50, 20 + FRAME_PX, 50 + FRAME_PX) > 0.9  # the frame
    assert drawn(img, TRACE.x, TRACE.y, TRACE.right, TRACE.bottom) > 0.5  # the trace
    assert Dataset(tmp_path / "d").episodes[0]["excluded"] == [[30, 61]], out


def test_a_small_screen_gets_the_whole_layout_scaled_into_it(tmp_path):
    server, env = xserver(1024, 600)
    try:
        proc = start(env, "watch", "--seed", "3")
        wid, w, h, x, y = window(env, proc)
        img = screenshot(env, wid, tmp_path / "small.png")
        finish(env, proc)
    finally:
        server.terminate()
        server.wait(10)
    full = (VIEW_PX + PANEL_W + 300, VIEW_PX)
    assert x + w <= 1024 and y + h <= 600 and w < full[0]  # it fits the screen
    assert abs(w / h - full[0] / full[1]) < 0.01  # scaled as a whole, not cropped
    k = w / full[0]
    column = int((VIEW_PX + PANEL_W + 10) * k)
    assert drawn(img, column, int(42 * k), w - 5, int(420 * k)) > 0.02  # the network's column is still there
