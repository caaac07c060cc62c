"""The `watch` session: a driver (network or expert) drives in the window, and a HUD
shows what the network sees and decides. A person can take over at any time.

HUD: the network's input image enlarged; its steering beside the expert's for the same
state; for a classification head, the vote over steering bins; F shows the first
convolution layer's feature maps live; S overlays a saliency map on the camera image;
speed, lap time, autonomy %. Arrow keys (or A/D) take over: while a key is held the
person drives. One continuous correction is one takeover (it ends when the keys have been
up for TAKEOVER_RELEASE_S), each counts as an intervention, and with a recording folder
the takeover frames are recorded with source "takeover", except those after the car left
the road during the takeover.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pygame

from agent.data.dataset import DatasetWriter
from agent.drivers.expert import ExpertDriver, ExpertParams
from agent.drivers.human import LEFT_KEYS, RIGHT_KEYS, HumanControls
from agent.drivers.spec import DriverSpec
from models.inspect import feature_maps, saliency, tile
from models.preprocess import preprocess

LEGEND = ("F feature maps   S saliency", "arrows: take over   Esc: quit")
TAKEOVER_RELEASE_S = 1.0  # keys up this long ends a takeover; pressing sooner continues it


@dataclass
class WatchStats:
    steps: int = 0
    takeovers: int = 0
    takeover_steps: int = 0
    recorded: int = 0
    laps: int = 0
    recoveries: int = 0
    collisions: int = 0  # in the episode now driven
    lap_times_s: list = field(default_factory=list)  # of the episode now driven

    def autonomy_pct(self, dt_s: float) -> float:
        from agent.grade.evaluate import autonomy_pct

        return autonomy_pct(self.takeovers + self.recoveries, self.steps * dt_s)


class NetworkPanel:
    """Draws the network's view and decision in the Renderer's second column."""

    def __init__(self, policy, renderer):
        self.policy = policy
        self.r = renderer
        self.show_features = False
        self.show_saliency = False
        self.expert_steer = 0.0
        self.net_steer = 0.0
        self.inputs = None
        self.frame = None

    def update(self, obs: dict, net_steer: float, expert_steer: float) -> None:
        self.net_steer, self.expert_steer = net_steer, expert_steer
        if self.policy is None:
            return
        self.inputs = preprocess(obs, self.policy.spec)
        if self.policy.model is None:  # an ONNX policy (eval --video): no layers to show
            return
        self.frame = obs.get("camera")
        model = self.policy.model
        self.r.view = None
        if self.show_features and "camera" in self.inputs:
            maps = feature_maps(model, self.inputs["camera"])
            if maps is not None:
                self.r.view = (tile(maps), f"Layer 1: {len(maps)} feature maps")
        elif self.show_saliency and self.frame is not None:
            sal = saliency(model, self.inputs)
            frame = self.frame if self.frame.shape[2] == 3 else np.repeat(self.frame, 3, axis=2)
            heat = np.zeros(frame.shape[:2])
            heat[self.policy.spec.crop_top :] = sal
            over = frame.astype(np.float32)
            over[..., 0] = over[..., 0] * (1 - heat) + 255 * heat
            over[..., 1:] *= (1 - 0.6 * heat)[..., None]
            self.r.view = (over.astype(np.uint8), "Saliency: what steers")

    def draw(self, screen, rect) -> None:
        r = self.r
        x, y, w = rect.x, rect.y, rect.w
        r.text("What the network sees", (x, y), big=True)
        y += 30
        if self.policy is not None and self.inputs is not None and "camera" in self.inputs:
            img = ((self.inputs["camera"][0].permute(1, 2, 0).cpu().numpy() + 0.5) * 255).clip(0, 255).astype(np.uint8)
            if img.shape[2] == 1:
                img = np.repeat(img, 3, axis=2)
            h = int(w * img.shape[0] / img.shape[1])
            r.image(img, (x, y, w, h))
            r.text(f"input {tuple(self.inputs['camera'].shape[1:])} after the crop", (x, y + h + 2), (150, 155, 165))
            y += h + 26
        elif self.policy is not None and self.inputs is not None:
            r.text("sensor readings (scaled):", (x, y))
            y += 20
            for v in self.inputs["sensors"][0].tolist():
                r.bar((x, y, w, 8), 2 * v - 1, (80, 200, 255))
                y += 11
            y += 10
        r.text("What it decides", (x, y), big=True)
        y += 30
        r.bar((x, y, w, 16), self.net_steer, label=f"network steering {self.net_steer:+.2f}")
        y += 40
        r.bar(
            (x, y, w, 16),
            self.expert_steer,
            (120, 200, 120),
            label=f"expert steering {self.expert_steer:+.2f} (to compare)",
        )
        y += 44
        out = self.policy.last_output if self.policy is not None else None
        if out is not None and self.policy.model is not None and self.policy.model.head_kind == "classification":
            probs = torch_softmax(out)
            r.text(f"votes over {len(probs)} bins (L ... R)", (x, y))
            y += 20
            r.columns(
                (x, y, w, 70), probs[::-1] / max(probs.max(), 1e-9), highlight=len(probs) - 1 - int(probs.argmax())
            )
            y += 80


def torch_softmax(out) -> np.ndarray:
    import torch

    return torch.softmax(out[0], dim=0).cpu().numpy()


def watch(
    env,
    policy=None,
    max_frames: int | None = None,
    record_dir=None,
    frame_every: int = 0,
    before_frame=None,
    controls: HumanControls | None = None,
    seed: int | None = None,
    view: str = "camera",
    options: dict | None = None,
    expert: ExpertParams = ExpertParams(),
    until_done: bool = False,
) -> tuple[WatchStats, list]:
    """Run the watch loop. `policy` None lets the expert (with `expert`'s settings) drive;
    `seed` and `options` go to the first reset (a track, its conditions); `view` is what
    the panel starts with: "camera", "features" (F) or "saliency" (S); `until_done`: stop
    when the first episode ends instead of driving on.

    Returns the stats and, with `frame_every` > 0, every k-th rendered frame (for videos).
    """
    from sim.render import PANEL_W, VIEW_PX, Renderer

    u = env.unwrapped
    # the layout from what is shown: the map, the HUD, and a column for the network if one drives
    size = (VIEW_PX + PANEL_W + (300 if policy is not None else 0), VIEW_PX)
    if u.renderer is None or tuple(u.renderer.size) != size:  # one made by an earlier render() has another layout
        u.renderer = None
        u.renderer = Renderer(u.render_mode, fps=u.metadata["render_fps"], size=size)
    renderer = u.renderer
    who = "network" if policy is not None else ("expert" if expert.avoid else "expert (blind to obstacles)")
    expert = ExpertDriver(env, expert)
    panel = NetworkPanel(policy, renderer)
    renderer.extra = panel.draw if policy is not None else None  # the expert: the HUD's steering bar says it all
    # a network that reads only the rays: the camera picture beside it is not its input
    renderer.frame_is_input = policy is None or "camera" in policy.spec.keys
    panel.show_features, panel.show_saliency = view == "features", view == "saliency"
    controls = controls or HumanControls()
    episode = None
    stats = WatchStats()
    frames = []
    obs, info = env.reset(seed=seed, options=options)  # opens the window: a display that fails leaves no dataset behind
    writer = DatasetWriter(record_dir, u.config) if record_dir is not None else None
    human = False
    release_steps = round(TAKEOVER_RELEASE_S / u.config.dt_s)
    since_keys = release_steps + 1  # steps since a steering key was last down
    crashed = False  # this takeover has left the road
    try:
        while max_frames is None or stats.steps < max_frames:
            if before_frame is not None:
                before_frame(stats.steps)
            quit_ = False
            interactive = pygame.display.get_init()  # headless recordings have no keyboard
            for event in pygame.event.get() if interactive else ():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
                    quit_ = True
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_f:
                    panel.show_features, panel.show_saliency = not panel.show_features, False
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_s:
                    panel.show_saliency, panel.show_features = not panel.show_saliency, False
            if quit_:
                break
            expert_action = expert.act(obs)
            net_action = policy.act(obs) if policy is not None else None
            action = net_action if net_action is not None else expert_action
            keys = pygame.key.get_pressed() if interactive else None
            steering_keys = interactive and any(keys[k] for k in LEFT_KEYS + RIGHT_KEYS)
            if steering_keys:
                if since_keys > release_steps:  # a takeover begins: the wheel starts where the driver had it
                    stats.takeovers += 1
                    controls.start_at(float(action[0]), float(info["speed_mps"]))
                    crashed = False
                since_keys = 0
            else:
                since_keys += 1
            human = steering_keys
            if human:
                steer, throttle = controls.update(u.config.dt_s, keys, float(info["speed_mps"]))
                action = np.array([steer] if u.config.action == "steer" else [steer, throttle], dtype=np.float32)
                stats.takeover_steps += 1
                crashed = crashed or bool(info["off_road"])
                if (
                    writer is not None and not crashed
                ):  # after leaving the road, the rest of this takeover is not a lesson
                    if episode is None:
                        episode = writer.episode(track=u.track.name, driver="takeover")
                    episode.add(obs, action, action, info, "takeover")
            panel.update(
                obs, float((net_action if net_action is not None else expert_action)[0]), float(expert_action[0])
            )
            renderer.lines = [
                f"driver  {'YOU (takeover)' if human else who}",
                f"autonomy {stats.autonomy_pct(u.config.dt_s):5.1f}%  takeovers {stats.takeovers}",
                *LEGEND,
            ]
            obs, reward, terminated, truncated, info = env.step(action)
            stats.steps += 1
            stats.laps = max(stats.laps, info["lap"])
            stats.recoveries = info["interventions"]
            stats.collisions, stats.lap_times_s = info["collisions"], list(info["lap_times_s"])
            if u.render_mode == "rgb_array" and (frame_every and stats.steps % frame_every == 0):
                frames.append(env.render())
            elif u.render_mode == "rgb_array" and before_frame is not None:
                env.render()  # tests exercise the HUD without saving frames
            if renderer.quit_requested:
                break
            if terminated or truncated:
                if until_done:
                    break
                obs, info = env.reset()
    finally:
        if episode is not None:
            stats.recorded = episode.frames
            episode.close()
    return stats, frames


def replay_first_episode(
    model: DriverSpec,
    config,
    track,
    laps: int,
    split: str = "test",
    frame_every: int = 3,
    max_frames: int | None = None,
):
    """The episode `agent.grade.evaluate.evaluate` drove first on `track` (the same conditions,
    from `episode_rng(track, 0)`, and the same driver, `model`), driven again with the
    window's picture kept every `frame_every` steps. Returns (WatchStats, frames).
    """
    from dataclasses import replace

    from agent.drivers.policy import load_policy
    from agent.grade.evaluate import episode_rng
    from sim.env import DrivingEnv
    from sim.levels import draw_conditions

    env = DrivingEnv(render_mode="rgb_array", config=replace(config, offroad="recover", max_laps=laps))
    u = env.unwrapped
    policy = load_policy(model.path, u.config) if model.is_model else None
    cond = draw_conditions(u.config.level, episode_rng(track, 0), split, u.config.camera)
    try:
        return watch(
            env,
            policy,
            max_frames=max_frames,
            frame_every=frame_every,
            options={"track": track, "conditions": cond},
            expert=model.expert_params,
            until_done=True,
        )
    finally:
        env.close()
