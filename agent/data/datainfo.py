"""`data info`: what a dataset holds, pictures of it, and warnings about bad labels."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from agent.data.dataset import SOURCES, Dataset


def _frames_per_level(episodes: list[dict]) -> dict:
    """Frames recorded at each level (episodes from before levels existed were at school)."""
    out: Counter = Counter()
    for e in episodes:
        out[e.get("level", "school")] += e["frames"]
    return dict(out)


def summarize(
    ds: Dataset,
    steer: np.ndarray,
    source: np.ndarray,
    crash: np.ndarray | None = None,
    excluded: np.ndarray | None = None,
) -> dict:
    """What `data info` prints; with the `crash` and `excluded` marks, also what train leaves out."""
    eps = ds.episodes
    marks = {}
    if crash is not None and excluded is not None:
        marks["left_out_by_train"] = {"crash_frames": int((crash & ~excluded).sum()), "cut_frames": int(excluded.sum())}
    return {
        "episodes": len(eps),
        "frames": int(len(steer)),
        "minutes": round(sum(e["duration_s"] for e in eps) / 60, 2),
        "drivers": dict(Counter(e["driver"] for e in eps)),
        "frames_per_level": _frames_per_level(eps),
        "sources": {SOURCES[k]: int(v) for k, v in zip(*np.unique(source, return_counts=True))},
        "tracks": len({e["track"] for e in eps}),
        "incomplete_episodes": sum(not e.get("complete", False) for e in eps),
        "steering_mean": round(float(steer.mean()), 3) if len(steer) else 0.0,
        "steering_std": round(float(steer.std()), 3) if len(steer) else 0.0,
        **marks,
    }


def label_warnings(steer: np.ndarray) -> list[str]:
    """Warnings about steering labels that spoil behavioural cloning."""
    out = []
    if len(steer) == 0:
        return ["the dataset has no frames"]
    extreme = np.isclose(np.abs(steer), 1.0) | np.isclose(steer, 0.0)
    if extreme.mean() > 0.8:
        out.append(
            f"steering looks bang-bang: {extreme.mean():.0%} of labels are exactly -1, 0 or +1 (use the keyboard "
            "ramp, mouse or gamepad)"
        )
    straight = np.abs(steer) < 0.03
    if straight.mean() > 0.7:
        out.append(
            f"straight driving dominates: {straight.mean():.0%} of labels are near 0 (train weighs rarer steering up "
            "by default: keep --balance on)"
        )
    left, right = (steer > 0.05).mean(), (steer < -0.05).mean()
    if max(left, right) > 0.05 and min(left, right) < 0.15 * max(left, right):
        side = "left" if left > right else "right"
        out.append(
            f"steering is one-sided: {max(left, right):.0%} {side} vs {min(left, right):.0%} the other way (drive "
            "both directions or use flip augmentation)"
        )
    return out


def save_pictures(ds: Dataset, data: dict, out_dir: Path, seed: int = 0) -> list[Path]:
    """A steering histogram and a contact sheet of sample camera frames, as PNGs."""
    import imageio.v3 as iio
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    steer = data["action"][:, 0]
    fig = Figure(figsize=(6, 3.2))
    ax = fig.subplots()
    ax.hist(steer, bins=41, range=(-1, 1), color="#f08c00")
    ax.set_xlabel("steering label (+1 = full left)")
    ax.set_ylabel("frames")
    ax.set_title(f"{ds.root.name}: {len(steer):,} frames")
    fig.tight_layout()
    path = out_dir / "steering_hist.png"
    fig.savefig(path, dpi=100)
    written.append(path)
    if "camera" in data and len(data["camera"]):
        rng = np.random.default_rng(seed)
        n = min(48, len(data["camera"]))
        pick = np.sort(rng.choice(len(data["camera"]), n, replace=False))
        frames = data["camera"][pick]
        if frames.shape[-1] == 1:
            frames = np.repeat(frames, 3, axis=-1)
        cols = 8
        rows = -(-n // cols)
        h, w = frames.shape[1:3]
        sheet = np.full((rows * (h + 2), cols * (w + 2), 3), 255, np.uint8)
        for k, f in enumerate(frames):
            r, c = divmod(k, cols)
            sheet[r * (h + 2) : r * (h + 2) + h, c * (w + 2) : c * (w + 2) + w] = f
        path = out_dir / "contact_sheet.png"
        iio.imwrite(path, np.kron(sheet, np.ones((2, 2, 1), np.uint8)))
        written.append(path)
    return written
