"""`run_sim.py watch`: watch a network (or the expert) drive, with a HUD; take over with the arrows."""

from __future__ import annotations

from agent.cli.common import add_video_flags, add_world_flags, env_kwargs, has_display, int_in, model_arg

HELP = "watch a network (or the expert) drive, with a HUD; take over with the arrows"
DESCRIPTION = (
    "Watch a trained network drive (the bundled camera model by default) or the expert (--driver expert). The HUD "
    "shows the network's input, its steering beside the expert's, the votes of a classification head; F shows the "
    "first layer's feature maps, S a saliency map. Hold the arrow keys to take over; each takeover counts as an "
    "intervention and, with --record, is recorded. Esc or closing the window quits."
)


def add_arguments(p) -> None:
    add_world_flags(p)
    p.add_argument(
        "--model", default=None, metavar="PATH", help="checkpoint to drive with (default: assets/models/camera.pt)"
    )
    p.add_argument("--driver", choices=("model", "expert"), default="model", help="model (default) or expert")
    p.add_argument(
        "--view",
        choices=("camera", "features", "saliency"),
        default="camera",
        help="what the HUD shows at the start: the camera (default), the first layer's feature maps (F) or a saliency "
        "map (S)",
    )
    p.add_argument("--record", default=None, metavar="DIR", help="record takeover frames to this dataset folder")
    p.add_argument(
        "--max-frames",
        type=int_in(1),
        default=None,
        metavar="N",
        help="stop after N steps (default: until closed); headless when there is no display",
    )
    add_video_flags(p, "the run (needs --max-frames)", every=2)


def run(args) -> int:
    if args.video and args.max_frames is None:
        raise ValueError("--video needs --max-frames N")
    import gymnasium as gym

    from agent.windows.watch import watch
    from sim import ENV_ID  # registers it

    if not has_display() and args.max_frames is None:
        raise RuntimeError("no display found; run headless with --max-frames N (and --video FILE.gif to see it)")
    mode = "rgb_array" if (args.video or not has_display()) else "human"
    env = gym.make(ENV_ID, render_mode=mode, offroad="recover", **env_kwargs(args))
    policy = None
    spec = model_arg(args)
    if spec.is_model:
        model = spec.path
        import torch

        from agent.drivers.policy import NeuralPolicy

        # one frame at a time: a second thread only waits on the first (measured 5 ms vs 250 ms per
        # saliency frame on a busy 2-core machine; benchmarks/bench_watch.py)
        torch.set_num_threads(1)
        if str(model).lower().endswith(".onnx"):
            raise ValueError(
                f"--model {model}: watch needs the .pt checkpoint (its HUD shows the layers an ONNX graph hides); "
                "eval drives an .onnx"
            )
        policy = NeuralPolicy(model, env.unwrapped.config)
        from agent.drivers.policy import unlearned_warning

        warning = unlearned_warning(policy.meta, model)
        if warning:
            print(warning)
    try:
        stats, frames = watch(
            env,
            policy,
            max_frames=args.max_frames,
            record_dir=args.record,
            frame_every=args.video_every if args.video else 0,
            seed=args.seed,
            view=args.view,
        )
    except KeyboardInterrupt:
        stats, frames = None, []
    finally:
        env.close()
    if stats is not None:
        who = "the expert" if policy is None else model
        print(
            f"{stats.steps} steps by {who}: {stats.laps} laps, {stats.recoveries} off-road recoveries, "
            f"{stats.takeovers} takeovers, autonomy {stats.autonomy_pct(env.unwrapped.config.dt_s):.1f}%"
        )
        if args.record:
            print(f"recorded {stats.recorded} takeover frames to {args.record}")
    if args.video and frames:
        from agent.windows.video import save_video

        save_video(args.video, frames, 1 / (env.unwrapped.config.dt_s * args.video_every), args.video_width)
        print(f"wrote {args.video} ({len(frames)} frames)")
    return 0
