"""Tracks: a closed centreline with a width, procedural generation from a seed, JSON files.

A Track is resampled to uniform spacing, so vertex i sits at arc length i * ds. Queries
(progress along the centreline, signed lateral offset, track heading) are vectorised.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sim import obstacles
from sim.config import MARKING_STYLES, SPLITS, TrackParams
from sim.geometry import closed_catmull_rom, wrap_angle
from sim.jit import kernel


class TrackError(ValueError):
    """A track that cannot be driven; the message is one line naming the source."""


@dataclass(frozen=True, eq=False)
class Track:
    """A closed road. Arrays are float64 and indexed by centreline vertex.

    Attributes:
        name: seed as text ("seed 17") or the file's name.
        width_m: road width [m].
        centerline: (n, 2) vertex positions [m], uniform spacing, last not repeated.
        tangent: (n, 2) unit direction of travel.
        normal: (n, 2) unit normal pointing to the left of the direction of travel.
        heading: (n,) direction of travel [rad].
        curvature: (n,) signed curvature [1/m], positive turning left.
        ds: spacing between vertices [m]; length = n * ds.
        markings: "edge/centre" line styles, each "solid", "dashed" or "none".
        obstacles: cones and parked cars on the road (sim.obstacles), sorted along it.
    """

    name: str
    width_m: float
    centerline: np.ndarray
    tangent: np.ndarray
    normal: np.ndarray
    heading: np.ndarray
    curvature: np.ndarray
    ds: float
    markings: str = "solid/dashed"
    obstacles: tuple = ()  # sim.obstacles.Obstacle, sorted by s_m

    @property
    def n(self) -> int:
        return len(self.centerline)

    @property
    def length_m(self) -> float:
        return self.n * self.ds

    @property
    def centerline_c(self) -> np.ndarray:
        """Centreline as complex numbers x + 1j*y (cached)."""
        return self._complex("centerline")

    @property
    def normal_c(self) -> np.ndarray:
        return self._complex("normal")

    def _complex(self, name: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_cache", {})
        if name not in cache:
            a = getattr(self, name)
            cache[name] = a[:, 0] + 1j * a[:, 1]
        return cache[name]

    @property
    def left_edge(self) -> np.ndarray:
        return self.centerline + self.normal * (self.width_m / 2)

    @property
    def right_edge(self) -> np.ndarray:
        return self.centerline - self.normal * (self.width_m / 2)

    @classmethod
    def from_polyline(
        cls, name: str, width_m: float, points: np.ndarray, spacing_m: float = 1.0, markings: str = "solid/dashed"
    ) -> "Track":
        """Build a track from a dense closed polyline (resampled to `spacing_m`)."""
        return cls.from_frame(
            name, width_m, _frame(np.ascontiguousarray(points, dtype=np.float64), spacing_m), markings
        )

    @classmethod
    def from_frame(cls, name: str, width_m: float, frame: tuple, markings: str = "solid/dashed") -> "Track":
        """A track from `_frame`'s resampled centreline, tangents, normals, headings, curvatures and spacing."""
        c, tangent, normal, heading, curvature, ds = frame
        for a in (c, tangent, normal, heading, curvature):
            a.setflags(write=False)
        return cls(name, float(width_m), c, tangent, normal, heading, curvature, float(ds), markings)

    # ------------------------------------------------------------------ queries
    def point_at(self, s_m):
        """Centreline position (..., 2) at arc length `s_m` (wraps around the loop)."""
        u = np.asarray(s_m, dtype=np.float64) / self.ds % self.n
        i = np.floor(u).astype(np.int64)
        f = (u - i)[..., None]
        return self.centerline[i] * (1 - f) + self.centerline[(i + 1) % self.n] * f

    def heading_at(self, s_m):
        u = np.asarray(s_m, dtype=np.float64) / self.ds % self.n
        i = np.floor(u).astype(np.int64)
        f = u - i
        return self.heading[i] + wrap_angle(self.heading[(i + 1) % self.n] - self.heading[i]) * f

    def nearest_vertex(self, xy: np.ndarray, hint: np.ndarray | None = None, window: int = 8) -> np.ndarray:
        """Index of the nearest centreline vertex for each position (m, 2).

        With `hint` (previous indices), only vertices within `window` of it are searched,
        which is what a moving car needs; without it, the whole loop is searched.
        """
        xy = np.atleast_2d(xy)
        if hint is None:
            d2 = ((xy[:, None, :] - self.centerline[None, :, :]) ** 2).sum(-1)  # (m, n)
            return d2.argmin(axis=1)
        idx = (np.asarray(hint)[:, None] + np.arange(-window, window + 1)[None, :]) % self.n  # (m, w)
        d2 = ((xy[:, None, :] - self.centerline[idx]) ** 2).sum(-1)
        return idx[np.arange(len(xy)), d2.argmin(axis=1)]

    def locate(self, x: float, y: float, hint: int, window: int = 6) -> tuple[int, float, float]:
        """One car: (nearest vertex, arc length [m], lateral offset [m]) near vertex `hint`."""
        idx = (hint + np.arange(-window, window + 1)) % self.n
        v = int(idx[np.abs(self.centerline_c[idx] - complex(x, y)).argmin()])
        cx, cy = self.centerline[v]
        tx, ty = self.tangent[v]
        rx, ry = x - cx, y - cy
        return v, (v * self.ds + rx * tx + ry * ty) % self.length_m, ry * tx - rx * ty

    # ---------------------------------------------------------------- validity
    def problems(self, min_radius_m: float, min_gap_m: float) -> list[str]:
        """What makes this track undrivable (empty when it is fine)."""
        found = []
        if not self.width_m > 0:
            found.append(f"width_m must be > 0, got {self.width_m}")
            return found
        radius = 1.0 / max(float(np.abs(self.curvature).max()), 1e-9)
        if radius < min_radius_m:
            at = int(np.abs(self.curvature).argmax()) * self.ds
            found.append(f"curve of radius {radius:.1f} m at {at:.0f} m is tighter than {min_radius_m:.1f} m")
        gap = self.closest_approach_m()
        if gap < self.width_m + min_gap_m:
            found.append(
                f"the road comes within {gap - self.width_m:.1f} m of itself (edges must stay {min_gap_m:.1f} m apart)"
            )
        return found

    def closest_approach_m(self) -> float:
        """Smallest centreline distance between parts of the loop that are far apart along it.

        Sampled every ~4 m: the closest pair's along-track offset changes the distance only
        to second order (0.1 m at the gaps that matter).
        """
        step = max(1, int(round(4.0 / self.ds)))
        return _closest_approach(self.centerline[::step], step * self.ds, self.length_m, self.width_m)


@kernel
def _closest_approach(p, spacing_m, length_m, width_m):
    """`Track.closest_approach_m` over points `p` (m, 2) spaced `spacing_m` apart along the loop.

    The smallest squared distance over the pairs far apart along the loop, found by a sweep
    along x: once two points are further apart in x than the best distance so far, no later
    point can beat it. The same pairs' same squared distances are compared, so the minimum
    is the one an all-pairs loop finds, to the last bit."""
    m = len(p)
    best = np.inf
    for i in range(m):  # a first bound: each point and the point half the loop on
        j = (i + m // 2) % m
        if _far_along(i, j, spacing_m, length_m, width_m):
            best = min(best, _d2(p, i, j))
    order = _order(p[:, 0])
    for a in range(m):
        i = order[a]
        for b in range(a + 1, m):
            j = order[b]
            dx = p[j, 0] - p[i, 0]
            if dx * dx >= best:
                break
            if _far_along(i, j, spacing_m, length_m, width_m):
                best = min(best, _d2(p, i, j))
    return math.sqrt(best)


@kernel
def _order(v):
    """Indices that sort `v` ascending (a Shell sort: np.argsort costs numba seconds to compile)."""
    order = np.arange(len(v))
    gap = 1
    while gap < len(v) // 3:
        gap = 3 * gap + 1  # Knuth's gaps
    while gap > 0:
        for i in range(gap, len(v)):
            k = order[i]
            j = i
            while j >= gap and v[order[j - gap]] > v[k]:
                order[j] = order[j - gap]
                j -= gap
            order[j] = k
        gap //= 3
    return order


@kernel
def _far_along(i, j, spacing_m, length_m, width_m):
    """Whether points i and j are far enough apart along the loop to count. Nearby points
    along the loop are close by construction; ignore them. A curve of radius R keeps chord
    >= 0.63 * arc for arcs up to pi*R, hence the 0.6 factor."""
    lo, hi = min(i, j), max(i, j)
    sep = hi * spacing_m - lo * spacing_m
    sep = min(sep, length_m - sep)
    return 0.6 * sep > width_m * 1.5


@kernel
def _d2(p, i, j):
    """Squared distance between points i and j, the lower index first."""
    lo, hi = min(i, j), max(i, j)
    return (p[lo, 0] - p[hi, 0]) ** 2 + (p[lo, 1] - p[hi, 1]) ** 2


@kernel
def _frame(points, spacing_m):
    """A closed polyline (p, 2) resampled to uniform arc length (`round(length / spacing_m)`
    points, at least 8), and each new vertex's unit tangent (central differences), normal
    (the tangent turned left), heading [rad] and signed curvature [1/m], and their spacing [m].

    The arithmetic is numpy's, step for step (`np.interp`'s slope form, `np.sum`'s pairwise
    order, norms as sqrt(x*x + y*y)), so a seed's track is the same to the last bit as when
    this was numpy calls.
    """
    p = len(points)
    s = np.empty(p + 1)  # arc length at each point of the closed loop
    s[0] = 0.0
    for i in range(p):
        j = (i + 1) % p
        dx, dy = points[j, 0] - points[i, 0], points[j, 1] - points[i, 1]
        s[i + 1] = s[i] + math.sqrt(dx * dx + dy * dy)
    n = max(int(round(s[p] / spacing_m)), 8)
    c = np.empty((n, 2))
    seg = 0
    for i in range(n):
        at = i * (s[p] / n)
        while seg < p - 1 and s[seg + 1] <= at:
            seg += 1
        j = (seg + 1) % p
        for k in range(2):
            if at == s[seg]:
                c[i, k] = points[seg, k]
            else:
                c[i, k] = (points[j, k] - points[seg, k]) / (s[seg + 1] - s[seg]) * (at - s[seg]) + points[seg, k]
    steps = np.empty(n)
    for i in range(n):
        j = (i + 1) % n
        dx, dy = c[j, 0] - c[i, 0], c[j, 1] - c[i, 1]
        steps[i] = math.sqrt(dx * dx + dy * dy)
    ds = _pairwise_sum(steps, 0, n) / n
    tangent, heading, curvature = np.empty((n, 2)), np.empty(n), np.empty(n)
    for i in range(n):
        dx = (c[(i + 1) % n, 0] - c[i - 1, 0]) / (2 * ds)
        dy = (c[(i + 1) % n, 1] - c[i - 1, 1]) / (2 * ds)
        norm = math.sqrt(dx * dx + dy * dy)
        tangent[i, 0], tangent[i, 1] = dx / norm, dy / norm
        heading[i] = math.atan2(tangent[i, 1], tangent[i, 0])
    for i in range(n):
        curvature[i] = ((heading[(i + 1) % n] - heading[i - 1] + np.pi) % (2.0 * np.pi) - np.pi) / (2 * ds)
    normal = np.empty((n, 2))  # the tangent turned a quarter left
    for i in range(n):
        normal[i, 0], normal[i, 1] = -tangent[i, 1], tangent[i, 0]
    return c, tangent, normal, heading, curvature, ds


@kernel
def _pairwise_sum(a, lo, n):
    """The sum of a[lo : lo + n] in numpy's pairwise order, so it equals `np.sum` to the
    last bit: numpy splits a run in halves (multiples of 8) down to blocks of at most 128,
    and sums a block in eight running sums. (Numba cannot cache a recursive function, so
    the halving is walked with a stack.)"""
    los, ns = np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64)  # the runs being split
    left = np.empty(64)  # each run's left half's sum, once known
    state = np.zeros(64, dtype=np.int64)  # 0: split it, 1: its left half is summed
    los[0], ns[0], top, result = lo, n, 0, 0.0
    while top >= 0:
        start, count = los[top], ns[top]
        if count <= 128:
            value = _block_sum(a, start, count)
            top -= 1
            while top >= 0 and state[top] == 1:  # finish the runs this completes
                value = left[top] + value
                top -= 1
            if top < 0:
                result = value
                break
            left[top], state[top] = value, 1  # the run's left half is done: do its right half
            half = ns[top] // 2
            half -= half % 8
            los[top + 1], ns[top + 1], state[top + 1] = los[top] + half, ns[top] - half, 0
            top += 1
            continue
        half = count // 2
        half -= half % 8
        los[top + 1], ns[top + 1], state[top + 1] = start, half, 0
        top += 1
    return result


@kernel
def _block_sum(a, lo, n):
    """numpy's sum of a run of at most 128: eight running sums, combined in pairs, then the rest."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3, r4, r5, r6, r7 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0, r1, r2, r3 = r0 + a[lo + i], r1 + a[lo + i + 1], r2 + a[lo + i + 2], r3 + a[lo + i + 3]
        r4, r5, r6, r7 = r4 + a[lo + i + 4], r5 + a[lo + i + 5], r6 + a[lo + i + 6], r7 + a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


# ---------------------------------------------------------------------- procedural tracks
def from_seed(seed: int, params: TrackParams = TrackParams()) -> Track:
    """The procedural track of a seed; the same seed always gives the same track."""
    split = next((k for k, r in SPLITS.items() if seed in r), "custom")
    markings = "solid/dashed"
    if params.max_width_m is not None or params.markings:
        # a level's per-track choices come from a stream of their own, so the layout's
        # draws (and every track of the default world) stay as they were
        dress = np.random.default_rng([seed, 1])
        if params.max_width_m is not None:
            params = replace(params, width_m=float(dress.uniform(params.width_m, params.max_width_m)), max_width_m=None)
        if params.markings:
            markings = params.markings[int(dress.integers(len(params.markings)))]
    from sim.generate import generate  # (it builds Tracks: imported here, not at the top)

    track = generate(seed, params, name=f"seed {seed} ({split})", markings=markings)
    if params.obstacle_spacing_m is not None:
        dress = np.random.default_rng([seed, 2])
        track = replace(
            track,
            obstacles=obstacles.place(
                dress, track.length_m, track.width_m, track.curvature, track.ds, params.obstacle_spacing_m
            ),
        )
    return track


# -------------------------------------------------------------------------- files
def load(path: str | Path, params: TrackParams = TrackParams()) -> Track:
    """Load `{"name": str, "width_m": float, "centerline": [[x, y], ...]}` (metres, closed loop),
    optionally with `"markings": "edge/centre"` (each "solid", "dashed" or "none"; default
    "solid/dashed") and `"obstacles": [{"kind": "cone"|"car", "s_m": float, "offset_m":
    float}, ...]` (checked: on the road, apart, and leaving a way past).

    The points may have any spacing; they are joined by a smooth curve through them.
    Raises TrackError with a one-line message naming the file and the problem.
    """
    path = Path(path)
    where = str(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise TrackError(f"{where}: no such track file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TrackError(f"{where}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or "centerline" not in data or "width_m" not in data:
        raise TrackError(f'{where}: expected {{"name": str, "width_m": float, "centerline": [[x, y], ...]}}')
    width = data["width_m"]
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not math.isfinite(width):
        raise TrackError(f"{where}: width_m must be a number, got {width!r}")
    if width <= 0:
        raise TrackError(f"{where}: width_m must be > 0, got {width}")
    pts = data["centerline"]
    if not isinstance(pts, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in p)
        for p in pts
    ):
        raise TrackError(f"{where}: centerline must be a list of [x, y] number pairs in metres")
    pts = np.asarray(pts, dtype=np.float64)
    if not np.isfinite(pts).all():
        raise TrackError(f"{where}: centerline has non-finite coordinates")
    if len(pts) < 4:
        raise TrackError(f"{where}: centerline needs at least 4 points, got {len(pts)}")
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    if (seg < 1e-6).any():
        raise TrackError(f"{where}: centerline repeats a point (index {int(np.argmax(seg < 1e-6)) + 1})")
    closing = float(np.linalg.norm(pts[-1] - pts[0]))
    if closing < 1e-6:
        raise TrackError(f"{where}: the last point repeats the first; leave it out (the loop closes itself)")
    if closing > 3 * float(np.median(seg)) and closing > width:
        raise TrackError(
            f"{where}: not a closed loop (last point is {closing:.1f} m from the first, "
            f"points are {np.median(seg):.1f} m apart)"
        )
    name = str(data.get("name") or path.stem)
    markings = data.get("markings", "solid/dashed")
    parts = markings.split("/") if isinstance(markings, str) else []
    if len(parts) != 2 or not all(p in MARKING_STYLES for p in parts):
        raise TrackError(
            f"{where}: markings must be 'edge/centre', each one of {', '.join(MARKING_STYLES)}; got {markings!r}"
        )
    dense = closed_catmull_rom(pts, samples_per_span=max(2, int(np.ceil(np.median(seg) / 0.25))))
    track = Track.from_polyline(name, float(width), dense, params.spacing_m, markings)
    # files may be tighter than procedural tracks, but never tighter than the car can turn
    problems = track.problems(min_radius_m=max(float(width) / 2 + 1.0, 6.0), min_gap_m=2.0)
    if problems:
        raise TrackError(f"{where}: {problems[0]}")
    if "obstacles" in data:
        try:
            track = replace(track, obstacles=obstacles.parse(data["obstacles"], where, track.length_m, track.width_m))
        except ValueError as e:
            raise TrackError(str(e)) from None
    return track


def save(track: Track, path: str | Path, every: int = 4) -> None:
    """Write a track in the JSON format `load` reads (every `every`-th vertex)."""
    data = {
        "name": track.name,
        "width_m": track.width_m,
        "markings": track.markings,
        **({"obstacles": [o.to_dict() for o in track.obstacles]} if track.obstacles else {}),
        "centerline": [[round(float(x), 3), round(float(y), 3)] for x, y in track.centerline[::every]],
    }
    Path(path).write_text(json.dumps(data, indent=None))
