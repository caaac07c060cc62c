"""`data review DIR`: scrub a dataset's episodes frame by frame and cut out bad driving.

The window shows the frame the network will see, its label and what the car did, the
episode's steering trace over time (coloured by source, with off-road marks, crash
segments and excluded ranges shaded), and where you are. Cutting out a range writes it to
the manifest (`excluded` on the episode); chunks are never rewritten, and `train` leaves
those frames out. DonkeyCar's tub manager is the model.

Keys: Left/Right one frame (Shift: one second), Up/Down the previous/next episode,
Home/End, Space play/pause, [ marks where a cut starts, ] cuts from the mark to here,
U restores the cut under the cursor, F cycles the filter (every frame, one source, or
|steering| > 0.5; Left/Right then jump between matching frames), click on the trace to
jump, Esc or Q quits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from agent.data.dataset import CRASH_S, SOURCES, Dataset, set_excluded  # noqa: E402

SIZE = (1100, 720)
FRAME_PX = 384
TRACE = pygame.Rect(20, 490, 1060, 200)
BG, TEXT, DIM = (24, 26, 30), (230, 232, 236), (150, 155, 165)
SOURCE_COLOURS = {
    "human": (90, 170, 255),
    "expert": (120, 210, 120),
    "takeover": (255, 210, 60),
    "dagger": (200, 130, 255),
}
CRASH, CUT, OFF = (255, 140, 0), (110, 110, 120), (230, 40, 40)
FILTERS = ("every frame", *(f"source {s}" for s in SOURCES), "|steering| > 0.5")


@dataclass
class ReviewState:
    episode: int = 0
    frame: int = 0
    playing: bool = False
    mark: int | None = None
    filter: int = 0
    cuts: int = 0
    messages: list = field(default_factory=list)


class Review:
    """One dataset in the review window; `run()` is the loop."""

    def __init__(self, root: str | Path, screen: pygame.Surface, present=pygame.display.flip, model: str | None = None):
        self.root = Path(root)
        self.ds = Dataset(self.root)
        if not self.ds.episodes:
            raise ValueError(f"{self.root}: no episodes to review")
        self.screen = screen
        self.present = present  # shows the drawn picture (scaled into a small desktop's window)
        self.font = pygame.font.Font(None, 22)
        self.big = pygame.font.Font(None, 30)
        self.state = ReviewState()
        self.clock = pygame.time.Clock()
        self.policy = None
        if model is not None:  # its steering is drawn beside the labels (DonkeyCar's labels-vs-predictions plot)
            from agent.drivers.policy import load_policy

            self.policy = load_policy(model, self.ds.env_config)
        self._load(0)

    # ------------------------------------------------------------------ data
    def _load(self, i: int) -> None:
        self.ds = Dataset(self.root)  # re-read: the manifest holds the cuts
        fields = ("action", "executed", "source", "off_road", "lateral_offset_m", "crash", "excluded")
        fields += tuple(k for k in ("camera", "sensors") if self.ds.env_config.observation in (k, "both"))
        self.data = self.ds.load(fields, episodes=[i])
        self.n = len(self.data["action"])
        self.predicted = None
        if self.policy is not None and self.n:
            obs = {k: self.data[k] for k in self.policy.spec.keys}
            self.predicted = np.concatenate(
                [self.policy.steer_batch({k: v[a : a + 512] for k, v in obs.items()}) for a in range(0, self.n, 512)]
            )
        self.state.episode = i
        self.state.frame = min(self.state.frame, max(self.n - 1, 0))

    def matches(self) -> np.ndarray:
        """Frames the current filter lets through."""
        f = self.state.filter
        if f == 0:
            return np.ones(self.n, dtype=bool)
        if f <= len(SOURCES):
            return self.data["source"] == f - 1
        return np.abs(self.data["action"][:, 0]) > 0.5

    def move(self, frames: int) -> None:
        """Move by `frames` (to the next matching frame in that direction under a filter)."""
        s = self.state
        target = int(np.clip(s.frame + frames, 0, self.n - 1))
        ok = self.matches()
        if s.filter and not ok[target]:
            hits = np.flatnonzero(ok[target:]) + target if frames > 0 else np.flatnonzero(ok[: target + 1])
            if len(hits):
                target = int(hits[0] if frames > 0 else hits[-1])
            else:
                self.say(f"no more frames with {FILTERS[s.filter]} this way")
                return
        s.frame = target

    def cut(self, first: int, last: int) -> None:
        """Exclude frames first..last (inclusive) of this episode, in the manifest."""
        a, b = sorted((first, last))
        entry = self.ds.episodes[self.state.episode]
        set_excluded(self.root, entry["id"], [*entry.get("excluded", []), (a, b + 1)])
        self.state.cuts += 1
        self.say(
            f"cut frames {a + 1}-{b + 1} of {entry['id']} ({(b - a + 1) * self.ds.env_config.dt_s:.1f} s)"
        )  # counted from 1, as the window shows them
        self._load(self.state.episode)

    def restore(self) -> None:
        """Remove the cut under the cursor."""
        entry = self.ds.episodes[self.state.episode]
        f = self.state.frame
        kept = [r for r in entry.get("excluded", []) if not r[0] <= f < r[1]]
        if len(kept) == len(entry.get("excluded", [])):
            self.say("no cut here")
            return
        set_excluded(self.root, entry["id"], kept)
        self.say(f"restored the cut at frame {f + 1}")
        self._load(self.state.episode)

    def say(self, text: str) -> None:
        self.state.messages.append(text)

    # ----------------------------------------------------------------- input
    def handle(self, event) -> bool:
        """Apply one event; False when it asks to quit."""
        s = self.state
        if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q)):
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and TRACE.collidepoint(event.pos):
            s.frame = int(np.clip((event.pos[0] - TRACE.x) / TRACE.w * self.n, 0, self.n - 1))
        if event.type != pygame.KEYDOWN:
            return True
        step = 30 if event.mod & pygame.KMOD_SHIFT else 1
        k = event.key
        if k == pygame.K_RIGHT:
            self.move(step)
        elif k == pygame.K_LEFT:
            self.move(-step)
        elif k in (pygame.K_DOWN, pygame.K_PAGEDOWN) and s.episode + 1 < len(self.ds.episodes):
            s.frame, s.mark = 0, None
            self._load(s.episode + 1)
        elif k in (pygame.K_UP, pygame.K_PAGEUP) and s.episode > 0:
            s.frame, s.mark = 0, None
            self._load(s.episode - 1)
        elif k == pygame.K_HOME:
            s.frame = 0
        elif k == pygame.K_END:
            s.frame = self.n - 1
        elif k == pygame.K_SPACE:
            s.playing = not s.playing
        elif k == pygame.K_LEFTBRACKET:
            s.mark = s.frame
            self.say(f"cut starts at frame {s.frame + 1}; ] cuts to where you stop")
        elif k == pygame.K_RIGHTBRACKET:
            self.cut(s.mark if s.mark is not None else s.frame, s.frame)
            s.mark = None
        elif k == pygame.K_u:
            self.restore()
        elif k == pygame.K_f:
            s.filter = (s.filter + 1) % len(FILTERS)
            self.say(f"filter: {FILTERS[s.filter]} ({int(self.matches().sum())} frames in this episode)")
        return True

    # ------------------------------------------------------------------ draw
    def draw(self) -> None:
        sc, s, d = self.screen, self.state, self.data
        sc.fill(BG)
        entry = self.ds.episodes[s.episode]
        i = s.frame
        if "camera" in d:
            img = d["camera"][i]
            img = np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img
            surf = pygame.surfarray.make_surface(np.ascontiguousarray(img.transpose(1, 0, 2)))
            sc.blit(pygame.transform.scale(surf, (FRAME_PX, FRAME_PX)), (20, 50))
        else:
            for k, v in enumerate(d["sensors"][i][:-1]):
                w = int(FRAME_PX * min(1.0, v / max(float(d["sensors"][:, :-1].max()), 1e-6)))
                pygame.draw.rect(sc, (80, 200, 255), (20, 50 + k * 24, w, 18))
        pygame.draw.rect(sc, DIM, (20, 50, FRAME_PX, FRAME_PX), 1)
        if d["excluded"][i] or d["crash"][i]:
            tag, colour = ("CUT", CUT) if d["excluded"][i] else ("CRASH (left out)", CRASH)
            pygame.draw.rect(sc, colour, (20, 50, FRAME_PX, FRAME_PX), 4)
            self._text(tag, (30, 60), colour, big=True)
        self._text(
            f"{self.root.name}: episode {s.episode + 1}/{len(self.ds.episodes)}  ({entry['id']})", (20, 14), big=True
        )
        x = 430
        steer = float(d["action"][i, 0])
        lines = [
            f"frame {i + 1}/{self.n}   {i * self.ds.env_config.dt_s:6.1f} s",
            f"driver {entry.get('driver', '?')}  {entry.get('controls', '')}",
            f"track {entry.get('track', '?')}   level {entry.get('level', 'school')}",
            f"ended {entry.get('end', '-')}",
            f"source {SOURCES[int(d['source'][i])]}",
            f"label steering {steer:+.3f}   executed {float(d['executed'][i, 0]):+.3f}"
            + (f"   network {float(self.predicted[i]):+.3f}" if self.predicted is not None else ""),
            f"offset {float(d['lateral_offset_m'][i]):+.2f} m   "
            f"{'OFF THE ROAD' if d['off_road'][i] else 'on the road'}",
            f"cut ranges {entry.get('excluded', [])}"[:70],
            f"filter: {FILTERS[s.filter]}",
            f"mark: {s.mark if s.mark is not None else '-'}",
        ]
        y = 50
        for line in lines:
            self._text(line, (x, y))
            y += 24
        # the label as a bar, + (left) filling to the left
        bar = pygame.Rect(x, y + 6, 400, 18)
        pygame.draw.rect(sc, DIM, bar, 1)
        fill = int(-steer * bar.w / 2)
        pygame.draw.rect(
            sc,
            SOURCE_COLOURS[SOURCES[int(d["source"][i])]],
            (min(bar.centerx, bar.centerx + fill), bar.y + 1, abs(fill), bar.h - 2),
        )
        pygame.draw.line(sc, TEXT, (bar.centerx, bar.y - 3), (bar.centerx, bar.bottom + 2))
        y += 40
        for line in (
            "Left/Right frame (Shift: 1 s)  Up/Down episode",
            "Space play  [ mark  ] cut to here  U restore",
            "F filter  click the trace  Esc quit",
        ):
            self._text(line, (x, y), DIM)
            y += 22
        if s.messages:
            self._text(s.messages[-1], (x, y + 8), (255, 200, 60))
        self._trace()

    def _trace(self) -> None:
        sc, d, n = self.screen, self.data, self.n
        r = TRACE
        pygame.draw.rect(sc, (34, 36, 42), r)

        def px(k: float) -> int:
            return int(r.x + k / max(n, 1) * r.w)

        for mask, colour in ((d["crash"], CRASH), (d["excluded"], CUT)):
            edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
            for a, b in zip(edges[::2], edges[1::2]):
                pygame.draw.rect(sc, colour, (px(a), r.y, max(1, px(b) - px(a)), r.h))
        for k in np.flatnonzero(d["off_road"]):
            pygame.draw.line(sc, OFF, (px(k), r.bottom - 12), (px(k), r.bottom))
        pygame.draw.line(sc, DIM, (r.x, r.centery), (r.right, r.centery))
        points = np.stack(
            [r.x + np.arange(n) / max(n, 1) * r.w, r.centery - d["action"][:, 0] * (r.h / 2 - 4)], axis=1
        ).tolist()
        src = d["source"]
        runs = np.flatnonzero(
            np.diff(np.r_[-1, src.astype(np.int64), -1])
        )  # where the source changes: one line per run
        for a, b in zip(runs[:-1], runs[1:]):
            if b - a >= 1:
                pts = points[a : min(b + 1, n)]
                colour = SOURCE_COLOURS[SOURCES[int(src[a])]]
                pygame.draw.lines(sc, colour, False, pts, 2) if len(pts) > 1 else pygame.draw.circle(
                    sc, colour, pts[0], 1
                )
        if self.predicted is not None:  # the network's steering, thin and white, over the labels
            net = np.stack(
                [r.x + np.arange(n) / max(n, 1) * r.w, r.centery - self.predicted * (r.h / 2 - 4)], axis=1
            ).tolist()
            if len(net) > 1:
                pygame.draw.lines(sc, (245, 245, 245), False, net, 1)
        if self.state.mark is not None:
            pygame.draw.line(sc, (80, 230, 230), (px(self.state.mark), r.y), (px(self.state.mark), r.bottom), 2)
        pygame.draw.line(sc, TEXT, (px(self.state.frame), r.y - 6), (px(self.state.frame), r.bottom + 6), 2)
        net = "; white: the network" if self.predicted is not None else ""
        self._text(
            f"steering over the episode (+ left); orange: crashes ({CRASH_S} s before leaving the road), grey: cut, "
            f"red: off the road{net}",
            (r.x, r.bottom + 6),
            DIM,
        )

    def _text(self, text: str, pos, colour=TEXT, big: bool = False) -> None:
        self.screen.blit((self.big if big else self.font).render(text, True, colour), pos)

    # ------------------------------------------------------------------ loop
    def run(self, max_frames: int | None = None, before_frame=None, fps: int = 30) -> ReviewState:
        shown = 0
        while max_frames is None or shown < max_frames:
            if before_frame is not None:
                before_frame(shown)
            if not all(self.handle(e) for e in pygame.event.get()):
                break
            if self.state.playing:
                if self.state.frame + 1 >= self.n:
                    self.state.playing = False
                else:
                    self.move(1)
            self.draw()
            self.present()
            self.clock.tick(fps)
            shown += 1
        return self.state


def review(
    root: str | Path, max_frames: int | None = None, png: str | None = None, before_frame=None, model: str | None = None
) -> ReviewState:
    """Open the review window on the dataset at `root`; with `png`, save the last view;
    with `model`, draw that network's steering beside the labels."""
    from sim.render import open_window

    pygame.font.init()
    screen, present = open_window(SIZE, "DriveLab review")
    try:
        state = Review(root, screen, present, model).run(max_frames, before_frame)
        if png:
            pygame.image.save(screen, png)
    finally:
        pygame.display.quit()
    return state
