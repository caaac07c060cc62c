"""Static obstacles on the road: traffic cones and parked cars, part of a track.

An obstacle stands at arc length `s_m` along the centreline, `offset_m` to the left (+)
or right (-) of it, aligned with the road. Each is an upright box (a cone's box holds the
cone) that the ray sensors hit, the camera sees and the car can touch. Placement leaves
at least `PASS_GAP_M` of road free beside every obstacle, so there is always a way past.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.config import MIN_APART_M  # also placement's smallest spacing
from sim.jit import kernel

# kind: (length, width, height) [m]
SIZES = {
    "cone": (0.7, 0.7, 1.0),
    "car": (4.5, 2.0, 1.5),
}  # a large traffic cone: a pixel tall at 25 m in a 64x64 dashcam
KINDS = tuple(SIZES)
PASS_GAP_M = 2.2  # free road beside an obstacle that a car (1.8 m wide) can pass through
INNER_EDGE_M = 0.3  # a placed obstacle's inner side lies this far from the centre line: a car on the line hits it
CLEAR_START_M = 50.0  # placement puts no obstacle this close ahead of the start line ...
CLEAR_BEHIND_START_M = 15.0  # ... or this close behind it
START_GAP_M = 10.0  # a track file's obstacle leaves at least this much road between it and the car at the start
CAR_RADIUS_M = 0.9  # the car's body: two circles this wide ...
CAR_CIRCLES_M = (-1.3, 1.3)  # ... this far ahead of and behind its centre
CAR_LENGTH_M = 2 * (CAR_CIRCLES_M[1] + CAR_RADIUS_M)  # the body's length


@dataclass(frozen=True)
class Obstacle:
    kind: str  # "cone" or "car"
    s_m: float  # arc length of its centre along the centreline [m]
    offset_m: float  # its centre's lateral offset, left + [m]

    @property
    def size(self) -> tuple[float, float, float]:
        return SIZES[self.kind]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "s_m": round(self.s_m, 3), "offset_m": round(self.offset_m, 3)}


def place(
    rng: np.random.Generator,
    length_m: float,
    width_m: float,
    curvature: np.ndarray,
    ds: float,
    spacing_m: tuple[float, float],
) -> tuple[Obstacle, ...]:
    """Obstacles about every `spacing_m` metres (uniform in the range) along a track.

    Each sits on one half of the road (side drawn at random, 60% cones), its inner side
    `INNER_EDGE_M` from the centre line, so a car that keeps to the line hits it and one
    that moves to the other half passes; spots in curves tighter than 20 m radius are
    skipped, so passing never needs more than a gentle swerve.
    """
    if not MIN_APART_M <= spacing_m[0] <= spacing_m[1]:
        raise ValueError(
            f"obstacle_spacing_m={tuple(spacing_m)}: expected (low, high) with {MIN_APART_M:g} <= low <= high (a car "
            "needs room to change sides)"
        )
    out = []
    s = CLEAR_START_M + float(rng.uniform(*spacing_m)) / 2
    while s < length_m - max(spacing_m[0] / 2, CLEAR_BEHIND_START_M):
        kind = "cone" if rng.random() < 0.6 else "car"
        side = 1.0 if rng.random() < 0.5 else -1.0
        _, wid, _ = SIZES[kind]
        v = int(s / ds) % len(curvature)
        window = curvature[np.arange(v - 12, v + 13) % len(curvature)]
        if np.abs(window).max() < 1 / 20.0 and INNER_EDGE_M + wid <= width_m / 2:
            out.append(Obstacle(kind, float(s), side * (INNER_EDGE_M + wid / 2)))
        s += float(rng.uniform(*spacing_m))
    return tuple(out)


def problems(obstacles, length_m: float, width_m: float) -> list[str]:
    """What is wrong with a track's obstacles (empty when nothing): off the road, overlapping,
    where the car starts, or leaving no way past: too little free road beside one, or two on
    opposite halves closer than MIN_APART_M, with no room to change sides between them. The
    obstacles `place` makes keep every rule by construction."""
    found = []
    half = width_m / 2
    for k, o in enumerate(obstacles):
        name = f"obstacle {k} ({o.kind} at {o.s_m:.1f} m)"
        ln, wid, _ = o.size
        if not 0 <= o.s_m < length_m:
            found.append(f"{name}: s_m must be in [0, {length_m:.1f}) (the track's length)")
            continue
        if abs(o.offset_m) + wid / 2 > half:
            found.append(
                f"{name}: lies off the road (|offset_m| + half its width {wid / 2:.2f} m > half the road {half:.2f} m)"
            )
            continue
        free = max(half - (o.offset_m + wid / 2), (o.offset_m - wid / 2) + half)  # the wider side's free road
        if free < PASS_GAP_M:
            found.append(f"{name}: blocks the road ({free:.1f} m free beside it; a car needs {PASS_GAP_M:.1f} m)")
        from_start = min(o.s_m, length_m - o.s_m)
        if from_start < ln / 2 + CAR_LENGTH_M / 2 + START_GAP_M:
            found.append(
                f"{name}: too near the start line, where the car starts (keep its centre "
                f"{ln / 2 + CAR_LENGTH_M / 2 + START_GAP_M:.1f} m from it)"
            )
        for j in range(k):
            p = obstacles[j]
            apart = abs(o.s_m - p.s_m)
            apart = min(apart, length_m - apart)
            if apart < (o.size[0] + p.size[0]) / 2 + 1.0:
                found.append(f"{name}: overlaps obstacle {j} ({p.kind} at {p.s_m:.1f} m)")
            elif apart < MIN_APART_M and (o.offset_m > 0) != (p.offset_m > 0):
                found.append(
                    f"{name}: leaves no way past with obstacle {j} ({p.kind} at {p.s_m:.1f} m) on the other half "
                    f"{apart:.1f} m away "
                    f"(a car needs {MIN_APART_M:g} m to change sides)"
                )
    return found


def parse(items, where: str, length_m: float, width_m: float) -> tuple[Obstacle, ...]:
    """Obstacles from a track file's `"obstacles"` list; a ValueError names the entry."""
    if not isinstance(items, list):
        raise ValueError(
            f'{where}: obstacles must be a list of {{"kind": "cone"|"car", "s_m": float, "offset_m": float}}'
        )
    out = []
    for k, item in enumerate(items):
        ok = isinstance(item, dict) and item.get("kind") in KINDS
        ok = ok and all(
            isinstance(item.get(f), (int, float)) and not isinstance(item.get(f), bool) and math.isfinite(item.get(f))
            for f in ("s_m", "offset_m")
        )
        if not ok:
            raise ValueError(
                f'{where}: obstacle {k} must be {{"kind": "cone"|"car", "s_m": number, "offset_m": number}}, got '
                f"{item!r}"
            )
        out.append(Obstacle(item["kind"], float(item["s_m"]), float(item["offset_m"])))
    out.sort(key=lambda o: o.s_m)
    bad = problems(out, length_m, width_m)
    if bad:
        raise ValueError(f"{where}: {bad[0]}")
    return tuple(out)


def avoidance_offsets(
    obstacles, n: int, ds: float, width_m: float, before_m: float = 7.0, after_m: float = 12.0, lead_m: float = 2.5
) -> np.ndarray:
    """(n,) the lateral offset [m] at each vertex of a path that passes every obstacle on
    its free side: in the middle of where the car's centre may be beside it, from `lead_m`
    before its near end to 6 m past its far end (the car's tail and a pursuer that cuts
    corners need the room), eased in over `before_m` and out over `after_m` with a cosine,
    so steering never jumps.

    The swerve starts late (the path leaves the centre line 9.5 m before the obstacle's near
    end; pure pursuit turns about 9 m before that at 12 m/s), where a 64x64 camera shows the
    obstacle a few pixels tall and fog (25 m visibility at worst) has let it through, so a
    network that copies the expert reacts to what it can see. Earlier swerves taught
    networks less: trained on 60 episodes, a network scored 45.6 at `cones` when the path
    left the line 25 m before, 59.2 at 15 m and 65.4 at 7.5 m (issue 12). But at 7.5 m the
    fastest cars clip the obstacle: the expert touched one in 5 of 300 training episodes
    (100 tracks x 3 draws of the conditions); at 9.5 m, in none."""
    out = np.zeros(n)
    s = np.arange(n) * ds
    length = n * ds
    half = width_m / 2
    for o in obstacles:
        ln, wid, _ = o.size
        # the car's centre may go from the far road edge to where its side clears the
        # obstacle by 0.4 m: aim at the middle of that range
        clear = o.offset_m - math.copysign(wid / 2 + CAR_RADIUS_M + 0.4, o.offset_m)
        far_edge = -math.copysign(half, o.offset_m)
        target = (clear + far_edge) / 2
        d = (s - o.s_m + length / 2) % length - length / 2  # signed distance along the road [m]
        near, far = -(ln / 2 + lead_m), ln / 2 + 6.0
        hold = (d >= near) & (d <= far)
        ramp_in = (d < near) & (d > near - before_m)
        ramp_out = (d > far) & (d < far + after_m)
        w = np.zeros(n)
        w[hold] = 1.0
        w[ramp_in] = 0.5 - 0.5 * np.cos(np.pi * (d[ramp_in] - near + before_m) / before_m)
        w[ramp_out] = 0.5 + 0.5 * np.cos(np.pi * (d[ramp_out] - far) / after_m)
        out = np.where(np.abs(w * target) > np.abs(out), w * target, out)
    return out


# columns of an ObstacleTable's `table`: centre, axis, half sizes and height [m], arc length [m], 1.0 for a cone
X, Y, COS, SIN, HALF_LEN, HALF_WID, HEIGHT, S, CONE = range(9)
FIELDS = ("x", "y", "cos", "sin", "half_len", "half_wid", "height", "s", "cone")


class ObstacleTable:
    """The obstacles of N cars' tracks as one (N, K, 9) float64 array (K: the most on any
    track), columns named by the constants above, so a kernel takes them in one argument.

    Attributes: table (N, K, 9); count (N,); x, y, cos, sin, half_len, half_wid, height, s
    (N, K) views of its columns [m]; cone (N, K) bool.
    """

    def __init__(self, tracks, at_least: int = 1):
        """Room for the most obstacles on any of `tracks`, and at least `at_least` (a rebuilt
        table keeps the room it had, so it settles instead of rebuilding)."""
        n = len(tracks)
        k = max([len(t.obstacles) for t in tracks] + [at_least])
        self.count = np.zeros(n, dtype=np.int64)
        self.table = np.zeros((n, k, len(FIELDS)))
        self.table[:, :, COS] = 1.0
        for i, t in enumerate(tracks):
            self.put(i, t)

    def __getattr__(self, name: str):
        if name in FIELDS:
            column = self.table[:, :, FIELDS.index(name)]
            return column > 0 if name == "cone" else column
        raise AttributeError(name)

    def put(self, i: int, track) -> bool:
        """Car i's row for `track`; False if it has more obstacles than the table holds."""
        obs = track.obstacles
        if len(obs) > self.table.shape[1]:
            return False
        self.count[i] = len(obs)
        self.table[i] = 0.0
        self.table[i, :, COS] = 1.0
        s = np.array([o.s_m for o in obs])
        points, headings = track.point_at(s), track.heading_at(s)  # (each element as a lone call gives it)
        for j, o in enumerate(obs):
            ln, wid, h = o.size
            (px, py), heading = points[j], float(headings[j])
            nx, ny = -math.sin(heading), math.cos(heading)
            row = self.table[i, j]
            row[X], row[Y] = px + nx * o.offset_m, py + ny * o.offset_m
            row[COS], row[SIN] = math.cos(heading), math.sin(heading)
            row[HALF_LEN], row[HALF_WID], row[HEIGHT] = ln / 2, wid / 2, h
            row[S], row[CONE] = o.s_m, float(o.kind == "cone")
        return True


def ahead_index(track) -> np.ndarray:
    """(n,) per vertex: the obstacle a car there should watch (the first whose far end is
    more than 3 m behind it... i.e. not yet passed), or -1 for none on the track (cached)."""
    cache = track.__dict__.setdefault("_cache", {})
    if "obstacle_ahead" in cache:
        return cache["obstacle_ahead"]
    n = track.n
    out = np.full(n, -1, dtype=np.int64)
    obs = track.obstacles
    if obs:
        s = np.arange(n) * track.ds
        ends = np.array([o.s_m + o.size[0] / 2 + 3.0 for o in obs])  # passed once the car is this far along
        idx = np.searchsorted(ends, s, side="right")
        out = np.where(idx < len(obs), idx, 0)  # past the last one: the first, round the loop
    out.setflags(write=False)
    cache["obstacle_ahead"] = out
    return out


@kernel
def box_distance(px, py, box):
    """Distance [m] from the point (px, py) to an obstacle's box (a `table` row), 0 inside."""
    dx, dy = px - box[X], py - box[Y]
    u = abs(dx * box[COS] + dy * box[SIN]) - box[HALF_LEN]
    v = abs(-dx * box[SIN] + dy * box[COS]) - box[HALF_WID]
    return math.hypot(max(u, 0.0), max(v, 0.0))


@kernel
def touches(x, y, heading, box):
    """Whether a car at (x, y) [m] with `heading` [rad] touches the box: its body is two
    circles of CAR_RADIUS_M at CAR_CIRCLES_M along its axis."""
    c, s = math.cos(heading), math.sin(heading)
    for along in CAR_CIRCLES_M:
        if box_distance(x + c * along, y + s * along, box) < CAR_RADIUS_M:
            return True
    return False


@kernel
def ray_box(ox, oy, dx, dy, box, max_range):
    """Distance along a ray (origin ox, oy [m]; unit direction dx, dy) to the box, or
    `max_range` [m] where it misses (the slab method)."""
    rx, ry = ox - box[X], oy - box[Y]
    c, s, hl, hw = box[COS], box[SIN], box[HALF_LEN], box[HALF_WID]
    lo_x = rx * c + ry * s  # the origin in the box's frame
    lo_y = -rx * s + ry * c
    d_x = dx * c + dy * s
    d_y = -dx * s + dy * c
    t_in, t_out = -np.inf, np.inf
    for lo, d, half in ((lo_x, d_x, hl), (lo_y, d_y, hw)):
        if d == 0.0:  # parallel to this slab: inside it or never
            if abs(lo) > half:
                return max_range
            continue
        t1, t2 = (-half - lo) / d, (half - lo) / d
        t_in, t_out = max(t_in, min(t1, t2)), min(t_out, max(t1, t2))
    if t_out >= max(t_in, 0.0) and t_out >= 0:
        return min(max(t_in, 0.0), max_range)
    return max_range


@kernel
def seen(table, obs_ahead, start, vertex, cars, rows, which):
    """Per car of `cars`: the obstacle it is passing, into `rows` ((n, 9): its row of
    `table`) and `which` ((n,): its index on the track, -1 for none), from a TrackSet's
    `obs_ahead` and `start` and the cars' nearest `vertex`."""
    for k in range(len(cars)):
        i = cars[k]
        which[k] = obs_ahead[start[i] + vertex[i]]
        rows[k] = table[i, max(which[k], 0)]
