"""`run_sim.py snapshot`: save a rendered frame and the camera views as PNG (headless)."""

from __future__ import annotations

from pathlib import Path

from agent.cli.common import add_world_flags, env_kwargs, int_in, out_file

HELP = "save a rendered frame and the camera views as PNG (headless)"
DESCRIPTION = "Drive the expert for --steps steps, then save the window picture and the dashcam/top-down camera views."


def add_arguments(p) -> None:
    add_world_flags(p)
    p.add_argument(
        "--out",
        type=out_file(".png"),
        default="snapshot.png",
        help="PNG file for the window picture; the camera views go beside it as *_camera.png",
    )
    p.add_argument(
        "--steps", type=int_in(0), default=90, help="steps the expert drives before the picture (default: 90)"
    )


def run(args) -> int:
    import gymnasium as gym
    import imageio.v3 as iio
    import numpy as np

    from agent.drivers.expert import ExpertDriver
    from sim import ENV_ID  # registers it

    env = gym.make(ENV_ID, render_mode="rgb_array", **env_kwargs(args))
    driver = ExpertDriver(env)
    obs, _ = env.reset(seed=args.seed)
    for _ in range(args.steps):
        obs, _, terminated, truncated, _ = env.step(driver.act(obs))
        if terminated or truncated:
            break
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(out, env.render())
    # the camera views, enlarged with nearest-neighbour so pixels stay visible
    u = env.unwrapped
    from dataclasses import replace

    from sim.camera import bind, make_camera, render_frames
    from sim.raster import build

    views = []
    cam = u.config.camera
    raster = build(
        u.track, replace(u.config.raster, margin_m=max(u.config.raster.margin_m, cam.view_m - cam.behind_m))
    )  # the top-down view sees this far
    for mode in ("dashcam", "topdown"):
        lens = bind(make_camera(replace(u.config.camera, mode=mode)), raster)
        frame = render_frames(lens, np.array([u.car.x]), np.array([u.car.y]), np.array([u.car.heading]))[0]
        views.append(np.kron(frame, np.ones((4, 4, 1), dtype=np.uint8)))
    cams = out.with_name(out.stem + "_camera.png")
    iio.imwrite(cams, np.concatenate([views[0], np.full((views[0].shape[0], 8, 3), 255, np.uint8), views[1]], axis=1))
    env.close()
    print(f"wrote {out} and {cams}")
    return 0
