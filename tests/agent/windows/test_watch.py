import pygame
import pytest

from agent.data.dataset import Dataset
from agent.drivers.human import HumanControls, Keys
from agent.drivers.policy import NeuralPolicy
from agent.windows.watch import watch
from models import checkpoint
from models.preprocess import input_spec_for
from sim.config import EnvConfig
from sim.env import DrivingEnv


@pytest.fixture
def classifier(tmp_path):
    env = EnvConfig()
    meta = {
        "camera_arch": "tiny",
        "sensor_arch": None,
        "head": "classification",
        "bins": 15,
        "input": input_spec_for(env, ("camera",)).to_dict(),
        "env": env.to_dict(),
    }
    path = tmp_path / "cls.pt"
    checkpoint.save(path, checkpoint.build_model(meta), meta)  # untrained is fine for the HUD
    return path


def test_watch_runs_frames_with_every_hud_toggle(tmp_path, classifier, monkeypatch):
    pygame.display.init()  # the dummy video driver (tests set SDL_VIDEODRIVER=dummy)
    env = DrivingEnv(render_mode="rgb_array", offroad="recover", track=2)
    policy = NeuralPolicy(classifier, env.config)
    views = []

    def before_frame(n):
        if n in (5, 15, 25):
            key = {5: pygame.K_f, 15: pygame.K_s, 25: pygame.K_s}[n]
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))
        views.append(env._renderer.view[1] if env._renderer and env._renderer.view else None)

    monkeypatch.setattr(pygame.key, "get_pressed", lambda: Keys())
    stats, frames = watch(env, policy, max_frames=30, frame_every=10, before_frame=before_frame)
    assert stats.steps == 30 and len(frames) == 3 and frames[0].shape[1] > 900
    assert any(v and "feature maps" in v for v in views) and any(v and "Saliency" in v for v in views)
    assert views[-1] is None  # S pressed twice: back to the camera view
    env.close()


def test_takeover_is_counted_and_recorded(tmp_path, monkeypatch):
    pygame.display.init()
    env = DrivingEnv(render_mode="rgb_array", offroad="recover", track=4)
    held = set()

    def before_frame(n):
        # one correction: left for 1 s, a 0.5 s pause, left again; then, 2 s later, a second one to the right
        for at, key, down in (
            (10, pygame.K_LEFT, True),
            (40, pygame.K_LEFT, False),
            (55, pygame.K_LEFT, True),
            (60, pygame.K_LEFT, False),
            (120, pygame.K_d, True),
            (150, pygame.K_d, False),
        ):
            if n == at:
                (held.add if down else held.discard)(key)

    monkeypatch.setattr(pygame.key, "get_pressed", lambda: Keys(*held))
    stats, _ = watch(
        env,
        None,
        max_frames=160,
        record_dir=tmp_path / "takeovers",
        before_frame=before_frame,
        controls=HumanControls(style="ramp"),
    )
    assert stats.takeovers == 2 and stats.takeover_steps == 65
    ds = Dataset(tmp_path / "takeovers")
    data = ds.load(("action", "source", "camera"))
    assert len(data["action"]) == 65 and (data["source"] == 2).all()
    assert data["action"][:35, 0].max() > 0.3 and data["action"][35:, 0].min() < -0.3  # left, then right
    assert stats.autonomy_pct(env.config.dt_s) < 100
    env.close()


def test_the_window_holds_the_network_column_even_after_an_earlier_render():
    """A reset in human mode makes a one-column window; watch() must widen it (the
    network's input and decision were cut off before)."""
    from sim.render import PANEL_W, VIEW_PX

    env = DrivingEnv(render_mode="human", observation="camera")
    env.reset(seed=1)  # renders the plain, narrow window
    assert env._renderer.size[0] == VIEW_PX + PANEL_W
    watch(env, NeuralPolicy("assets/models/camera.pt", env.config), max_frames=2, seed=1)
    r = env.renderer
    assert r.size[0] > VIEW_PX + PANEL_W and r.screen.get_width() == r.size[0]  # the layout is drawn whole
    window = pygame.display.get_surface().get_size()
    desktop = pygame.display.get_desktop_sizes()[0]
    assert window[0] <= desktop[0] and window[1] <= desktop[1]  # ... and shown in a window the desktop holds
    assert abs(window[0] / window[1] - r.size[0] / r.size[1]) < 0.01  # scaled, not cropped
    env.close()


@pytest.mark.parametrize("model, caption", [("sensors.pt", "camera 64x64, not read"), ("camera.pt", "network input")])
def test_the_camera_picture_is_called_the_input_only_when_the_network_reads_it(model, caption):
    """A sensors-only network driving a world that also renders a camera: the picture in
    the panel is the car's camera, not what the network reads (its rays are in its column)."""
    env = DrivingEnv(render_mode="rgb_array")
    watch(env, NeuralPolicy(f"assets/models/{model}", env.config), max_frames=1, seed=1)
    renderer, said = env.unwrapped.renderer, []
    renderer.big = _Recorder(renderer.big, said)
    env.render()
    assert any(t.startswith(caption) for t in said), said


class _Recorder:
    """A font that notes what it is asked to write."""

    def __init__(self, font, said):
        self.font, self.said = font, said

    def render(self, text, *a, **k):
        self.said.append(text)
        return self.font.render(text, *a, **k)

    def __getattr__(self, name):
        return getattr(self.font, name)
