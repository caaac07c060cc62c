"""Saving a run as a video a person can share: MP4 (imageio's ffmpeg plugin) or a small GIF."""

from __future__ import annotations

from pathlib import Path

import numpy as np

GIF_WIDTH_PX = 400  # GIFs store every pixel of every frame as a palette index: keep them small
PALETTE_SAMPLES = 8  # frames the shared GIF palette is made from
GIF_COLORS = 128  # colours in that palette (a moving chase view changes every pixel of every frame)


def save_video(
    path: str | Path, frames: list[np.ndarray], fps: float, width: int | None = None, progress: bool = True
) -> Path:
    """Write (H, W, 3) uint8 `frames` to `path`: `.mp4` (H.264) or `.gif`.

    A GIF is scaled to `width` pixels (default GIF_WIDTH_PX) and drawn with one palette
    for the whole clip, so Pillow stores each frame as its difference to the last; an
    MP4 keeps the frames' size (`width` scales it too). A progress bar shows the writing.
    """
    from PIL import Image
    from tqdm import tqdm

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"{path}: a video must be .gif or .mp4")
    if not frames:
        raise ValueError(f"{path}: no frames to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    target = width or (GIF_WIDTH_PX if suffix == ".gif" else w)
    size = (target, max(2, int(round(h * target / w)))) if target != w else (w, h)
    if suffix == ".mp4":
        size = (size[0] // 2 * 2, size[1] // 2 * 2)  # H.264 wants even sides
    bar = tqdm(total=len(frames), unit="frame", desc=f"writing {path.name}", disable=not progress)
    images = (Image.fromarray(f).resize(size, Image.LANCZOS) if size != (w, h) else Image.fromarray(f) for f in frames)
    if suffix == ".mp4":
        import imageio.v2 as imageio

        with imageio.get_writer(path, fps=fps, codec="libx264", quality=7, macro_block_size=2) as out:
            for im in images:
                out.append_data(np.asarray(im))
                bar.update(1)
    else:
        sample = [
            Image.fromarray(frames[i]).resize(size)
            for i in np.linspace(0, len(frames) - 1, PALETTE_SAMPLES).astype(int)
        ]
        strip = Image.new("RGB", (size[0], size[1] * len(sample)))
        for k, im in enumerate(sample):
            strip.paste(im, (0, k * size[1]))
        palette = strip.quantize(colors=GIF_COLORS, method=Image.Quantize.MEDIANCUT)
        indexed = []
        for im in images:
            indexed.append(im.quantize(palette=palette, dither=Image.Dither.NONE))
            bar.update(1)
        indexed[0].save(
            path,
            save_all=True,
            append_images=indexed[1:],
            duration=int(round(1000 / fps)),
            loop=0,
            optimize=False,
            disposal=1,
        )
    bar.close()
    return path
