"""Behavioural cloning by gradient descent: fit a network to recorded steering.

Read top to bottom: arguments, seeding, data (split by episode), model, the loop
(forward, loss, backward, step), validation, checkpoints and a loss curve.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from agent.data.dataset import Dataset, DatasetError, config_differences
from agent.grade.results import write_json
from agent.learn.knobs import TrainArgs  # noqa: F401  (its home is knobs; train is where it is used)
from models import checkpoint
from models.nets import DEFAULT_CAMERA_ARCH, DrivingNet, parse
from models.preprocess import input_spec_for, preprocess
from sim.config import EnvConfig
from sim.heap import TRAIN_BLOCK_MB, keep_freed_memory

PLOT_EVERY_S = 10.0  # the loss picture is redrawn at most this often during training (and always at the end)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device here; use --device auto or cpu")
    return torch.device(name)


def load_datasets(paths: list[str], fields: tuple[str, ...], warn=print, skip_bad: bool = False):
    """Load several datasets that share one env layout; episode ids are made unique."""
    if not paths:
        raise ValueError("give at least one dataset folder")
    if any(str(p).startswith("minari:") for p in paths):
        if len(paths) > 1:
            raise ValueError(
                "a minari:ID dataset trains alone; export the others to Minari too, or train on DriveLab folders"
            )
        from agent.data.formats import load_minari

        return load_minari(str(paths[0])[len("minari:") :], fields)
    sets = [Dataset(p) for p in paths]
    for d in [d for d in sets if d.frames == 0]:
        warn(f"{d.root}: 0 frames recorded, skipped")
    sets = [d for d in sets if d.frames > 0]
    if not sets:
        raise DatasetError(f"no frames to train on in {', '.join(paths)}")
    for other in sets[1:]:
        diff = config_differences(sets[0].manifest["env"], other.manifest["env"])
        if diff:
            raise DatasetError(
                f"{other.root}: recorded with a different env than {sets[0].root}: {', '.join(diff[:3])}"
            )
    parts = [d.load(fields, warn=warn, skip_bad=skip_bad) for d in sets]
    offset = 0
    for part, d in zip(parts, sets):
        part["episode"] = part["episode"] + offset
        offset += len(d.episodes)
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    identity = [{"path": str(d.root), "frames": d.frames, "episodes": len(d.episodes)} for d in sets]
    return data, sets[0].env_config, identity


VAL_BLOCK_S = 10.0  # with fewer than MIN_VAL_EPISODES episodes, blocks of this much driving are held out
VAL_GAP_S = 1.0  # driving this close to a held-out block is left out of training
MIN_VAL_EPISODES = 4  # fewer episodes than this: validation is held out in time blocks instead
VAL_SLACK = 1.5  # validation may hold at most this times val_frac of the frames


def split_by_episode(episode: np.ndarray, val_frac: float, rng: np.random.Generator, dt_s: float = EnvConfig.dt_s):
    """Boolean masks (train, val): whole episodes go to one side, neighbours never leak.

    Validation holds about `val_frac` of the frames and never more than VAL_SLACK times
    that, so training keeps most of the data and one long episode (the only clean lap of
    a short human recording) cannot be taken from it. Whole episodes are held out when
    there are at least MIN_VAL_EPISODES and some draw of them fits; otherwise (a few
    long drives) every episode is cut into blocks of VAL_BLOCK_S seconds (steps of
    `dt_s`), whole blocks are held out, and the frames within VAL_GAP_S of them are used
    by neither side.
    """
    ids, counts = np.unique(episode, return_counts=True)
    total = len(episode)
    target = val_frac * total
    cap = VAL_SLACK * target
    if len(ids) >= MIN_VAL_EPISODES:
        n_val = min(len(ids) - 1, max(1, int(round(val_frac * len(ids)))))
        chosen = rng.choice(ids, n_val, replace=False)  # equal episodes: a plain draw
        held = counts[np.searchsorted(ids, chosen)].sum()
        if not target / VAL_SLACK <= held <= cap:  # uneven episodes: fill up to the target, within the cap
            chosen, held = [], 0
            for j in rng.permutation(len(ids)):
                if held >= target or len(chosen) == len(ids) - 1:
                    break
                if held + counts[j] <= cap:
                    chosen.append(ids[j])
                    held += counts[j]
        if held >= target / VAL_SLACK:
            val = np.isin(episode, chosen)
            return ~val, val
    return _split_in_time(episode, val_frac, rng, round(VAL_BLOCK_S / dt_s), round(VAL_GAP_S / dt_s))


def _split_in_time(episode: np.ndarray, val_frac: float, rng: np.random.Generator, block_steps: int, gap_steps: int):
    """Hold out whole time blocks of every episode (see split_by_episode)."""
    starts = np.r_[0, np.flatnonzero(np.diff(episode)) + 1]
    lengths = np.diff(np.r_[starts, len(episode)])
    block = np.empty(len(episode), dtype=np.int64)
    blocks = 0
    for a, n in zip(starts, lengths):
        k = max(1, n // block_steps)
        block[a : a + n] = blocks + np.minimum(np.arange(n) // block_steps, k - 1)  # a tail joins the last block
        blocks += k
    if blocks < 2:
        raise ValueError(
            f"validation needs 2 episodes, or one of at least {2 * block_steps} frames; the data has 1 episode of "
            f"{len(episode)} frames"
        )
    sizes = np.bincount(block, minlength=blocks)
    target = val_frac * len(episode)
    chosen, held = [], 0
    for j in rng.permutation(blocks):
        if chosen and (
            held >= target - block_steps / 2 or len(chosen) == blocks - 1
        ):  # the nearest whole number of blocks
            break
        if not chosen or held + sizes[j] <= VAL_SLACK * target:
            chosen.append(j)
            held += sizes[j]
    val = np.isin(block, chosen)
    edges = np.flatnonzero(np.diff(val.astype(np.int8))) + 1  # where held-out blocks begin and end
    near = np.zeros(len(episode), dtype=bool)
    for e in edges:
        if episode[e] == episode[e - 1]:  # (across episodes nothing leaks: no gap needed)
            near[max(0, e - gap_steps) : e + gap_steps] = True
    return ~val & ~near, val


def soft_bin_targets(steer: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """(B,) steering -> (B, K) probabilities on the two nearest bins (their mean is the steering)."""
    k = len(bins)
    pos = (steer.clamp(-1, 1) + 1) / 2 * (k - 1)  # fractional bin index
    lo = pos.floor().long().clamp(max=k - 2)
    frac = pos - lo
    target = torch.zeros(len(steer), k, device=steer.device)
    target.scatter_(1, lo[:, None], (1 - frac)[:, None])
    target.scatter_add_(1, (lo + 1)[:, None], frac[:, None])
    return target


def loss_fn(model: DrivingNet, output: torch.Tensor, steer: torch.Tensor, args: TrainArgs) -> torch.Tensor:
    """Per-sample loss (B,): squared/Huber error, or log-loss (cross-entropy) over bins."""
    if model.head_kind == "classification":
        return F.cross_entropy(output, soft_bin_targets(steer, model.bins), reduction="none")
    if args.loss == "huber":
        return F.smooth_l1_loss(output, steer, beta=0.1, reduction="none")
    return (output - steer) ** 2


def augment(x: dict, steer: torch.Tensor, args: TrainArgs, gen: torch.Generator):
    """Random left-right mirror (steering negated, rays reversed) and brightness/contrast."""
    b, dev = len(steer), steer.device  # random draws on the CPU generator: the same on every device
    if args.flip:
        flip = (torch.rand(b, generator=gen) < 0.5).to(dev)
        if "camera" in x:
            x["camera"] = torch.where(flip[:, None, None, None], x["camera"].flip(3), x["camera"])
        if "sensors" in x:
            s = x["sensors"]
            mirrored = torch.cat([s[:, :-1].flip(1), s[:, -1:]], dim=1)  # rays reversed, speed stays
            x["sensors"] = torch.where(flip[:, None], mirrored, s)
        steer = torch.where(flip, -steer, steer)
    if args.jitter > 0 and "camera" in x:
        contrast = (1 + args.jitter * (2 * torch.rand(b, 1, 1, 1, generator=gen) - 1)).to(dev)
        bright = (0.5 * args.jitter * (2 * torch.rand(b, 1, 1, 1, generator=gen) - 1)).to(dev)
        x["camera"] = x["camera"] * contrast + bright
    return x, steer


def sample_weights(steer: np.ndarray, source: np.ndarray, args: TrainArgs) -> np.ndarray:
    """Sampling weight per training frame: rarer steering angles weigh more (balance)."""
    w = np.ones(len(steer))
    if args.balance:
        hist, edges = np.histogram(np.abs(steer), bins=10, range=(0, 1))
        idx = np.clip(np.digitize(np.abs(steer), edges[1:-1]), 0, 9)
        w = 1.0 / np.sqrt(np.maximum(hist[idx], 1))
    w[source == 2] *= args.takeover_weight
    return w / w.sum()


@torch.no_grad()
def evaluate(model, frames: dict, steer: torch.Tensor, spec, args, device, batch: int = 1024) -> dict:
    model.eval()
    losses, errors = [], []
    for i in range(0, len(steer), batch):
        x = preprocess({k: v[i : i + batch] for k, v in frames.items()}, spec, device)
        y = steer[i : i + batch].to(device)
        out = model(**x)
        losses.append(loss_fn(model, out, y, args).sum().item())
        errors.append((model.steering(out) - y).abs().sum().item())
    model.train()
    n = max(len(steer), 1)
    return {"loss": sum(losses) / n, "steer_mae": sum(errors) / n}


def train(args: TrainArgs, progress=True, log=print, loss_plot=True) -> dict:
    """Train, write the best checkpoint to args.out, return the summary. `loss_plot=False` skips the
    loss-curve PNG (half a second of matplotlib per run) for callers that draw their own pictures."""
    # ---- seeding: every random choice below comes from these generators
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    keep_freed_memory(TRAIN_BLOCK_MB)  # batches and activations are remade every step: keep their pages
    device = resolve_device(args.device)
    # a checkpoint to go on from is read first: a bad one is said before any data loads
    resumed = checkpoint.load(args.resume, device=str(device)) if args.resume else None

    # ---- data: one uint8 tensor of frames, batches by indexing
    keys = ("camera", "sensors") if args.model == "both" else (args.model,)
    data, env_config, identity = load_datasets(
        args.datasets, keys + ("action", "source", "off_road", "crash", "excluded"), warn=log, skip_bad=args.skip_bad
    )
    for k in keys:
        if k not in data:
            raise DatasetError(
                f"{args.datasets[0]}: has no {k} frames (recorded with observation={env_config.observation}); use "
                f"--model {'sensors' if k == 'camera' else 'camera'}"
            )
    keep = (
        ~data["off_road"] & ~data["excluded"]
    )  # frames already off the road teach nothing good; a person cut the others
    crashes = data["crash"] & keep
    if crashes.any():
        log(
            f"crash segments: {int(crashes.sum()):,} frames ({int(crashes.sum()) * env_config.dt_s:.0f} s) of the "
            "driving before exits from the road "
            + ("kept (--keep-crashes)" if args.keep_crashes else "left out (--keep-crashes keeps them)")
        )
        if not args.keep_crashes:
            keep &= ~crashes
    if data["excluded"].any():
        log(f"excluded in review: {int(data['excluded'].sum()):,} frames left out")
    if args.max_frames is not None and keep.sum() > args.max_frames:
        idx = np.flatnonzero(keep)
        keep[:] = False
        keep[np.sort(rng.choice(idx, args.max_frames, replace=False))] = True
    spec = input_spec_for(env_config, keys, args.crop_top)
    where = ", ".join(str(d) for d in args.datasets)
    if not keep.any():
        raise DatasetError(
            f"{where}: no frames left to train on: of {len(keep):,}, {int(data['off_road'].sum()):,} are off the road, "
            f"{int(data['excluded'].sum()):,} were cut in review and {int(crashes.sum()):,} are crash segments; "
            "record more driving"
        )
    if args.val_frac <= 0:
        raise ValueError(
            "--val-frac 0: validation would be empty, and it decides which epoch is kept; hold out at least a little "
            "(default 0.15)"
        )
    train_mask, val_mask = split_by_episode(data["episode"], args.val_frac, rng, env_config.dt_s)
    train_mask &= keep
    val_mask &= keep
    if not train_mask.any():
        raise DatasetError(f"{where}: no frames left to train on once validation is held out; record more episodes")
    if not val_mask.any():
        raise DatasetError(
            f"{where}: the validation set is empty: every frame of the held-out episodes was left out (cut in review, "
            "off the road or "
            "a crash segment); record more episodes or cut less"
        )
    frames = {k: torch.from_numpy(data[k]) for k in keys}  # (N, H, W, C) uint8 / (N, n) float32
    steer_all = torch.from_numpy(data["action"][:, 0].astype(np.float32))
    tr_idx = torch.from_numpy(np.flatnonzero(train_mask))
    va_idx = torch.from_numpy(np.flatnonzero(val_mask))
    val_frames = {k: v[va_idx] for k, v in frames.items()}
    val_steer = steer_all[va_idx]
    weights = torch.from_numpy(sample_weights(data["action"][train_mask, 0], data["source"][train_mask], args))
    log(describe_split(data["episode"], train_mask, val_mask, env_config.dt_s) + f"; input {spec.network_inputs()}")

    # ---- model
    camera_arch = (args.arch or DEFAULT_CAMERA_ARCH) if "camera" in keys else None
    sensor_arch = (
        (args.arch or args.sensor_arch)
        if args.model == "sensors"
        else (args.sensor_arch if "sensors" in keys else None)
    )
    for spec_text in (camera_arch, sensor_arch):
        if spec_text:
            parse(spec_text)
    model = DrivingNet(spec.network_inputs(), camera_arch, sensor_arch, args.head, args.bins).to(device)
    if resumed is not None:
        start, start_meta = resumed
        try:
            model.load_state_dict(start.state_dict())
        except RuntimeError:
            raise ValueError(
                f"--resume {args.resume}: its architecture "
                f"({start_meta.get('camera_arch') or start_meta.get('sensor_arch')}) differs from this run's"
            ) from None
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    mean_steer = steer_all[tr_idx].mean()
    baseline_mae = (val_steer - mean_steer).abs().mean().item()

    meta = {
        "camera_arch": camera_arch,
        "sensor_arch": sensor_arch,
        "head": args.head,
        "bins": args.bins,
        "input": spec.to_dict(),
        "env": env_config.to_dict(),
        "train_args": asdict(args),
        "datasets": identity,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_frames": int(len(tr_idx)),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    history = []
    best = math.inf
    stale = 0
    steps_per_epoch = max(1, len(tr_idx) // args.batch_size)
    t_start = plotted = time.perf_counter()

    # ---- the loop: forward, loss, backward, step
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = tr_idx[torch.multinomial(weights, steps_per_epoch * args.batch_size, replacement=True, generator=gen)]
        running, seen = 0.0, 0
        bar = _bar(steps_per_epoch, f"epoch {epoch}/{args.epochs}", progress)
        t_epoch = time.perf_counter()
        for b in range(steps_per_epoch):
            idx = order[b * args.batch_size : (b + 1) * args.batch_size]
            x = preprocess({k: v[idx] for k, v in frames.items()}, spec, device)  # camera: (B, C, H', W)
            y = steer_all[idx].to(device)  # (B,)
            x, y = augment(x, y, args, gen)
            loss = loss_fn(model, model(**x), y, args).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.item() * len(idx)
            seen += len(idx)
            bar.update(1)
            bar.set_postfix(loss=f"{running / seen:.4f}")
        bar.close()
        epoch_s = time.perf_counter() - t_epoch
        val = evaluate(model, val_frames, val_steer, spec, args, device)
        history.append(
            {
                "epoch": epoch,
                "train_loss": running / seen,
                "val_loss": val["loss"],
                "val_steer_mae": val["steer_mae"],
                "samples_per_s": seen / epoch_s,
            }
        )
        # the training objective on held-out data: choosing by the steering error instead was measured
        # worse (bench_controls, ramp seed 1: an underfit epoch 3 kept, 100% -> 0% laps)
        improved = val["loss"] < best
        log(
            f"epoch {epoch:3d}  train loss {running / seen:.4f}  val loss {val['loss']:.4f}  val steering error "
            f"{val['steer_mae']:.4f} (mean-steering baseline {baseline_mae:.4f})  {seen / epoch_s:,.0f} "
            f"samples/s{'  *' if improved else ''}"
        )
        if improved:
            best, stale = val["loss"], 0
            meta["metrics"] = {"epoch": epoch, **val, "baseline_steer_mae": baseline_mae}
            checkpoint.save(out, model, meta)
        else:
            stale += 1
        last = stale >= args.patience or epoch == args.epochs
        # the loss picture costs ~0.2 s: redrawn at most every PLOT_EVERY_S while training, and at the end
        plot = loss_plot and (last or time.perf_counter() - plotted >= PLOT_EVERY_S)
        summary = _write_summary(out, meta, history, baseline_mae, time.perf_counter() - t_start, plot)
        plotted = time.perf_counter() if plot else plotted
        if stale >= args.patience:
            log(f"early stop: no lower validation loss for {args.patience} epochs")
            break
    if not summary["learned"]:
        log(
            f"WARNING: the validation steering error ({meta['metrics']['steer_mae']:.4f}) is not below predicting the "
            "mean "
            f"steering ({baseline_mae:.4f}): the network learned nothing that carries over to driving it did not "
            "train on. "
            "Record more laps (clean ones, on several tracks), or look at the data with `data review`."
        )
    return summary


def describe_split(episode: np.ndarray, train_mask: np.ndarray, val_mask: np.ndarray, dt_s: float) -> str:
    """'split (whole episodes held out): training N frames (E episodes, S s); validation ...':
    which holdout `split_by_episode` used and why, and what each side holds."""

    whole = np.intersect1d(episode[train_mask], episode[val_mask]).size == 0

    def side(mask) -> str:
        k = len(np.unique(episode[mask]))
        of = "" if whole else "parts of "
        return f"{int(mask.sum()):,} frames ({of}{k} episode{'s' if k != 1 else ''}, {mask.sum() * dt_s:,.0f} s)"

    if whole:
        how = "whole episodes held out for validation"
    else:
        why = (
            f"fewer than {MIN_VAL_EPISODES} episodes"
            if len(np.unique(episode)) < MIN_VAL_EPISODES
            else "no draw of whole episodes came near the validation share"
        )
        how = (
            f"{VAL_BLOCK_S:.0f} s blocks of the episodes held out for validation ({why}), "
            f"the {VAL_GAP_S:.0f} s beside each used by neither side"
        )
    return f"split ({how}): training {side(train_mask)}; validation {side(val_mask)}"


def _bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, disable=not enabled, unit="batch")


def _write_summary(
    out: Path, meta: dict, history: list, baseline_mae: float, seconds: float, plot: bool = True
) -> dict:
    """The JSON summary (rewritten every epoch) and, with `plot`, the loss-curve PNG beside the checkpoint."""
    summary = {
        "checkpoint": str(out),
        "best": meta.get("metrics"),
        "baseline_steer_mae": baseline_mae,
        "parameters": meta["parameters"],
        "train_frames": meta["train_frames"],
        "seconds": round(seconds, 2),
        "learned": bool(meta["metrics"]["steer_mae"] < baseline_mae),  # better than predicting the mean
        "history": history,
        "train_args": meta["train_args"],
    }
    write_json(out.with_suffix(".json"), summary)
    if plot:
        plot_losses(
            history,
            out.with_suffix(".png"),
            title=f"{meta.get('camera_arch') or meta.get('sensor_arch')} ({meta['head']})",
        )
    return summary


def plot_losses(history: list, path: Path, title: str = "") -> None:

    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    ep = [h["epoch"] for h in history]
    fig = Figure(figsize=(9, 3.4))
    (a, b) = fig.subplots(1, 2)
    a.plot(ep, [h["train_loss"] for h in history], "o-", label="train")
    a.plot(ep, [h["val_loss"] for h in history], "o-", label="validation")
    a.set_xlabel("epoch")
    a.set_ylabel("loss")
    a.set_yscale("log")
    a.legend()
    a.set_title("loss (descending the mountain)")
    b.plot(ep, [h["val_steer_mae"] for h in history], "o-", color="C2")
    b.set_xlabel("epoch")
    b.set_ylabel("mean |steering error|")
    b.set_title("validation steering error")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
