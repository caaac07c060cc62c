"""Drawing the world and a HUD with pygame; the only module of `sim` that imports pygame.

The window's main view is a chase view (`sim.chase`: the world's camera code behind and
above the car, at window resolution), with a map of the whole track and a dashboard under
it, and a panel beside it: the network's own 64x64 input, the HUD and callers' widgets.
Rendering is for people: it never produces the observation (the camera is numpy).
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

VIEW_PX = 640  # side of the driving column: the chase view, and the map and dashboard under it
CHASE_H = 480  # height of the chase view (sim.chase.CHASE's frames)
MINIMAP_PX = VIEW_PX - CHASE_H  # side of the map of the whole track, under the chase view
PANEL_W = 300  # the panel on the right: the network's input and the HUD
BG = (24, 26, 30)
TEXT = (230, 232, 236)
DIM = (150, 155, 165)
CAR = (220, 40, 40)
TRAIL = (255, 140, 0)
RAY = (80, 200, 255)
REC = (225, 30, 30)
OFFSCREEN_DRIVERS = ("offscreen", "dummy")  # SDL video drivers that show nothing


SCREEN_FILL = 0.92  # a window may take this share of the desktop's width and height


def open_window(size: tuple[int, int], caption: str):
    """Open a window for a layout of `size` pixels; returns (surface to draw on, present()).

    The layout is drawn at its own size; on a desktop too small for it, the window is
    made to fit (SCREEN_FILL of the desktop) and `present()` scales the picture into it.
    Refuses (RuntimeError, one line) when SDL can only draw offscreen: a window nobody sees.
    """
    try:
        pygame.display.init()
        pygame.display.set_caption(caption)
        desktop = (pygame.display.get_desktop_sizes() or [size])[0]
        k = min(1.0, SCREEN_FILL * desktop[0] / size[0], SCREEN_FILL * desktop[1] / size[1])
        shown = (max(1, int(size[0] * k)), max(1, int(size[1] * k)))
        window = pygame.display.set_mode(shown)
    except pygame.error as e:
        raise RuntimeError(
            f"cannot open a window ({e}); without a display, run headless with --max-frames N "
            "(and --video FILE to see it)"
        ) from None
    driver = pygame.display.get_driver()
    if driver in OFFSCREEN_DRIVERS and os.environ.get("SDL_VIDEODRIVER") != driver:
        pygame.display.quit()  # SDL fell back to drawing nowhere: nobody would see the road
        raise RuntimeError(
            f"cannot open a window: SDL fell back to its {driver!r} video driver, so nothing would be shown "
            f"(DISPLAY={os.environ.get('DISPLAY', '')!r}); check DISPLAY, or run headless with --max-frames N"
        )
    if shown == tuple(size):
        return window, pygame.display.flip
    canvas = pygame.Surface(size)

    def present() -> None:
        pygame.transform.smoothscale(canvas, shown, window)
        pygame.display.flip()

    return canvas, present


class Renderer:
    """Draws an env: the chase view with the sensor rays on the road, a map of the whole
    track with the car and its trail, a dashboard, the network's input as an inset and a
    HUD. `human` shows a window; `rgb_array` returns the same picture.

    Extra panels (a network's view, its votes) can be added by callers through `extra`,
    a function `(surface, rect)` drawn under the HUD.
    """

    def __init__(self, mode: str, fps: int = 30, size: tuple[int, int] = (VIEW_PX + PANEL_W, VIEW_PX)):
        """`size` wider than the map plus one panel adds a second column for `extra`."""
        self.mode = mode
        self.fps = fps
        self.size = size
        pygame.font.init()  # not pygame.init(): no audio device is needed (or present headless)
        if mode == "human":
            self.screen, self.present = open_window(size, "DriveLab")
            self._splash()
        else:  # an off-screen surface: needs no display at all
            self.screen = pygame.Surface(size)
            self.present = None
        self.clock = pygame.time.Clock()
        self.font = pygame.font.Font(None, 22)
        self.big = pygame.font.Font(None, 30)
        self.huge = pygame.font.Font(None, 84)
        self._chase = None  # sim.chase.ChaseView, made at the first draw
        self._map_for = None
        self._map = None
        self.extra = None  # callable(surface, rect): more widgets (second column if there is one)
        self.lines: list[str] = []  # extra HUD lines set by callers
        self.view = None  # (H, W, 3) uint8 image and caption shown instead of the camera frame
        self.frame_is_input = True  # False: whoever drives does not read the camera (a sensors-only network)
        self.quit_requested = False  # the window's close button was pressed
        self.badge: tuple[str, tuple] | None = None  # (text, colour) at the view's top left: REC
        self._message: tuple[str, float] | None = None  # (text, until when) across the view
        self.show_fps = mode == "human"

    def _splash(self) -> None:
        """A first picture while the world loads its compiled kernels (a second or two): not a black window."""
        self.screen.fill(BG)
        img = pygame.font.Font(None, 30).render("DriveLab: starting the world ...", True, TEXT)
        self.screen.blit(img, ((self.size[0] - img.get_width()) // 2, (self.size[1] - img.get_height()) // 2))
        self.present()
        pygame.event.pump()

    def flash(self, text: str, seconds: float = 3.0) -> None:
        """Show `text` (lines split at newlines) across the top of the view for `seconds`."""
        import time

        self._message = (text, time.monotonic() + seconds)

    # --------------------------------------------------------------- the world
    def _minimap(self, track, params):
        """The whole track scaled into MINIMAP_PX square (kept per track), obstacles drawn on it."""
        if self._map_for is track:
            return self._map
        from sim.raster import build  # numpy only

        raster = build(track, params)
        k = 0
        while k + 1 < len(raster.level_shape) and min(raster.level_shape[k + 1]) >= MINIMAP_PX:
            k += 1
        img = raster.level(k)[::-1]  # rows grow with y in the world, downward on screen
        surf = pygame.surfarray.make_surface(np.ascontiguousarray(img.transpose(1, 0, 2)))
        rows, cols = raster.level_shape[0]
        side = MINIMAP_PX - 8
        self._scale = side / (max(rows, cols) * raster.m_per_px)  # screen px per metre
        w, h = max(1, int(cols * raster.m_per_px * self._scale)), max(1, int(rows * raster.m_per_px * self._scale))
        self._map = pygame.transform.smoothscale(surf, (w, h))
        self._map_for = track
        self._origin = raster.origin
        self._map_h = h
        self._map_at = (4 + (side - w) // 2, CHASE_H + 4 + (side - h) // 2)  # its top left in the window
        self._draw_obstacles(track)
        return self._map

    def _draw_obstacles(self, track) -> None:
        """Cones (orange dots) and parked cars (filled boxes) onto the cached map."""
        from sim.obstacles import ObstacleTable
        from sim.sprites import CAR_BODIES, CONE

        if not track.obstacles:
            return
        table = ObstacleTable([track])
        for j, o in enumerate(track.obstacles):
            x, y, c, s = table.x[0, j], table.y[0, j], table.cos[0, j], table.sin[0, j]
            hl, hw = table.half_len[0, j], table.half_wid[0, j]
            if o.kind == "cone":
                pygame.draw.circle(self._map, tuple(int(v) for v in CONE), self._to_map(x, y), 2)
                continue
            corners = [
                self._to_map(x + a * hl * c - b * hw * s, y + a * hl * s + b * hw * c)
                for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))
            ]
            pygame.draw.polygon(self._map, tuple(int(v) for v in CAR_BODIES[j % len(CAR_BODIES)]), corners)

    def _to_map(self, x: float, y: float) -> tuple[int, int]:
        """World metres -> pixels on the cached map surface."""
        return (
            int((x - self._origin[0]) * self._scale),
            int(self._map_h - (y - self._origin[1]) * self._scale),
        )

    def to_screen(self, x: float, y: float) -> tuple[int, int]:
        """World metres -> window pixels on the map under the chase view."""
        mx, my = self._to_map(x, y)
        return mx + self._map_at[0], my + self._map_at[1]

    def draw(self, snap):
        """Draw a `sim.env.Snapshot` (the env's read-only picture: car, trail, observation,
        info, config). Returns an (H, W, 3) uint8 array in rgb_array mode."""
        if self.mode == "human":
            pygame.event.pump()  # keep the window responsive; events stay queued for the app
            self.quit_requested = self.quit_requested or pygame.event.peek(pygame.QUIT)
        view = snap.car
        screen = self.screen
        screen.fill(BG)
        self._draw_chase(view, snap.look)
        world = self._minimap(view.track, snap.config.raster)
        screen.set_clip(pygame.Rect(0, CHASE_H, MINIMAP_PX, MINIMAP_PX))  # the map's drawings stay in the map's box
        screen.blit(world, self._map_at)
        trail = snap.trail[::3] + snap.trail[-1:]  # every third point is plenty at this scale
        if len(trail) > 1:
            pygame.draw.lines(screen, TRAIL, False, [self.to_screen(px, py) for px, py in trail], 1)
        self._draw_arrow(view)
        screen.set_clip(None)
        self._draw_dashboard(view)
        self._draw_overlays()
        self._draw_panel(view, snap.observation.get("camera"), snap.config.level.name, snap.config.sensors.max_range_m)
        if self.mode == "human":
            self.present()
            self.clock.tick(self.fps)
            return None
        return np.ascontiguousarray(pygame.surfarray.pixels3d(screen).transpose(1, 0, 2))

    def _draw_chase(self, view, look) -> None:
        """The chase view (the world's camera behind the car) and the sensor rays on its ground."""
        if self._chase is None:
            from sim.chase import ChaseView  # numpy and numba only

            self._chase = ChaseView()
        img = self._chase.frame(view.track, view.x, view.y, view.heading, look)
        self.screen.blit(pygame.surfarray.make_surface(np.ascontiguousarray(img.transpose(1, 0, 2))), (0, 0))
        if view.rays_m is not None:
            self.screen.set_clip(pygame.Rect(0, 0, VIEW_PX, CHASE_H))
            nose = self._chase.project(2.2, 0.0)
            for ang, d in zip(view.ray_angles_rad, view.rays_m):
                end = self._chase.project(2.2 + d * math.cos(ang), d * math.sin(ang))
                if nose is not None and end is not None:
                    pygame.draw.line(self.screen, RAY, nose, end, 1)
            self.screen.set_clip(None)

    def _draw_arrow(self, car) -> None:
        """The car on the map: an arrow along its heading, large enough to read its direction."""
        c, s = math.cos(car.heading), math.sin(car.heading)
        x, y = self.to_screen(car.x, car.y)
        tip, back, half = 9.0, 5.0, 5.0  # [px]
        pts = [
            (x + tip * c, y - tip * s),
            (x - back * c - half * s, y + back * s - half * c),
            (x - 2 * c, y + 2 * s),
            (x - back * c + half * s, y + back * s + half * c),
        ]
        pygame.draw.polygon(self.screen, CAR, pts)
        pygame.draw.polygon(self.screen, (255, 255, 255), pts, 1)

    def _draw_dashboard(self, view) -> None:
        """Speed, lap and offset in large type beside the map."""
        x0, y0 = MINIMAP_PX + 24, CHASE_H + 14
        self.screen.blit(self.huge.render(f"{view.speed_mps * 3.6:3.0f}", True, TEXT), (x0, y0))
        self.screen.blit(self.font.render("km/h", True, DIM), (x0 + 4, y0 + 62))
        col = x0 + 150
        for k, line in enumerate(
            (
                f"lap {view.lap}   {view.lap_time_s:5.1f} s",
                f"progress {view.progress_m:5.0f} m",
                f"offset {view.lateral_offset_m:+.2f} m",
            )
        ):
            self.screen.blit(self.big.render(line, True, TEXT), (col, y0 + 6 + 34 * k))

    def _draw_overlays(self) -> None:
        """The badge (REC) at the view's top left and a flashed message across its top."""
        import time

        if self.badge is not None:
            text, colour = self.badge
            img = self.big.render(text, True, (255, 255, 255))
            box = pygame.Rect(8, 8, img.get_width() + 34, img.get_height() + 10)
            pygame.draw.rect(self.screen, colour, box, border_radius=6)
            if colour == REC:
                pygame.draw.circle(self.screen, (255, 255, 255), (box.x + 14, box.centery), 6)
            self.screen.blit(img, (box.x + 26, box.y + 5))
        if self._message is not None:
            text, until = self._message
            if time.monotonic() > until:
                self._message = None
                return
            imgs = [self.big.render(line, True, (255, 255, 255)) for line in text.split("\n")]
            box = pygame.Rect(0, 0, max(i.get_width() for i in imgs) + 24, sum(i.get_height() for i in imgs) + 14)
            box.midtop = (VIEW_PX // 2, 56)
            box.clamp_ip(pygame.Rect(0, 0, VIEW_PX, CHASE_H))
            pygame.draw.rect(self.screen, (20, 20, 24), box, border_radius=6)
            pygame.draw.rect(self.screen, (255, 200, 60), box, 2, border_radius=6)
            y = box.y + 7
            for img in imgs:
                self.screen.blit(img, (box.centerx - img.get_width() // 2, y))
                y += img.get_height()

    # ----------------------------------------------------------------- the HUD
    def _draw_panel(self, view, frame, level: str = "school", ray_range_m: float = 50.0) -> None:
        x0 = VIEW_PX + 20
        screen = self.screen
        caption = "network input"
        if self.view is not None:
            frame, caption = self.view
        elif frame is not None:
            size = f"{frame.shape[1]}x{frame.shape[0]}"
            caption = f"network input {size}" if self.frame_is_input else f"camera {size}, not read"
        elif view.rays_m is not None:
            caption = f"network input: {len(view.rays_m)} rays"
        screen.blit(self.big.render(caption, True, TEXT), (x0 - 8, 12))
        y = 42
        if frame is not None:
            if frame.shape[2] == 1:
                frame = np.repeat(frame, 3, axis=2)
            img = pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
            side = PANEL_W - 40
            h = int(side * frame.shape[0] / frame.shape[1])
            screen.blit(pygame.transform.scale(img, (side, h)), (x0, y))
            pygame.draw.rect(screen, DIM, (x0, y, side, h), 1)
            y += h + 12
        elif view.rays_m is not None:  # sensors only: each ray's reading, left to right as the car sees them
            self.columns((x0, y, PANEL_W - 40, 90), np.asarray(view.rays_m)[::-1] / ray_range_m, RAY)
            self.text(f"each ray, left to right: 0-{ray_range_m:.0f} m", (x0, y + 94), DIM)
            y += 124
        steer = view.steer
        lines = [
            f"interventions {view.interventions}",
            f"track  {view.track.name}",
            f"level  {level}",
            *([f"fps    {self.clock.get_fps():4.0f}"] if self.show_fps else []),
            *self.lines,
        ]
        for line in lines:
            screen.blit(self.font.render(line, True, TEXT), (x0, y))
            y += 20
        # steering bar: centre tick, filled to the wheel's angle
        bar_w = PANEL_W - 40
        pygame.draw.rect(screen, DIM, (x0, y + 6, bar_w, 14), 1)
        mid = x0 + bar_w // 2
        fill = int(-steer * bar_w / 2)  # steering left (+) fills to the left
        pygame.draw.rect(screen, TRAIL, (min(mid, mid + fill), y + 7, abs(fill), 12))
        pygame.draw.line(screen, TEXT, (mid, y + 3), (mid, y + 22), 1)
        screen.blit(self.font.render("L", True, DIM), (x0, y + 24))
        right = self.font.render("R", True, DIM)
        screen.blit(right, (x0 + bar_w - right.get_width(), y + 24))
        label = self.font.render("steering", True, DIM)
        screen.blit(label, (mid - label.get_width() // 2, y + 24))
        y += 48
        if self.extra is not None:
            if self.size[0] > VIEW_PX + PANEL_W:  # a second column
                self.extra(
                    screen,
                    pygame.Rect(VIEW_PX + PANEL_W + 10, 12, self.size[0] - VIEW_PX - PANEL_W - 20, self.size[1] - 24),
                )
            else:
                self.extra(screen, pygame.Rect(x0, y, bar_w, self.size[1] - y - 10))

    def image(self, img: np.ndarray, rect, smooth: bool = False) -> None:
        """Blit an (H, W, 3) uint8 image scaled into rect (x, y, w, h)."""
        surf = pygame.surfarray.make_surface(np.ascontiguousarray(img.transpose(1, 0, 2)))
        scale = pygame.transform.smoothscale if smooth else pygame.transform.scale
        self.screen.blit(scale(surf, (rect[2], rect[3])), (rect[0], rect[1]))
        pygame.draw.rect(self.screen, DIM, rect, 1)

    def text(self, text: str, pos, color=TEXT, big: bool = False) -> None:
        self.screen.blit((self.big if big else self.font).render(text, True, color), pos)

    def bar(self, rect, value: float, color=TRAIL, label: str = "") -> None:
        """A centred bar for a value in [-1, 1] (+ fills to the left, as steering does)."""
        x, y, w, h = rect
        pygame.draw.rect(self.screen, DIM, rect, 1)
        mid = x + w // 2
        fill = int(-max(-1.0, min(1.0, value)) * w / 2)
        pygame.draw.rect(self.screen, color, (min(mid, mid + fill), y + 1, abs(fill), h - 2))
        pygame.draw.line(self.screen, TEXT, (mid, y - 2), (mid, y + h + 1), 1)
        if label:
            self.text(label, (x, y + h + 2), DIM)

    def columns(self, rect, values, color=TRAIL, highlight: int | None = None) -> None:
        """A bar chart of values in [0, 1] across rect (the classification head's votes)."""
        x, y, w, h = rect
        pygame.draw.rect(self.screen, DIM, rect, 1)
        n = len(values)
        bw = w / n
        for i, v in enumerate(values):
            bh = int(max(0.0, min(1.0, float(v))) * (h - 2))
            col = (255, 220, 80) if i == highlight else color
            pygame.draw.rect(self.screen, col, (int(x + i * bw) + 1, y + h - 1 - bh, max(1, int(bw) - 2), bh))

    def close(self) -> None:
        if self.mode == "human":
            pygame.display.quit()
