"""Procedural tracks: a random closed layout of arcs and straights, from a seed.

`generate` draws a layout (hairpins, sweepers, S-bends, corners) with the generator it is
given, closes it exactly by adjusting the straights, samples it as a turtle path (compiled)
and keeps it when the road never comes near itself. `sim.track.from_seed` gives each seed
its track.
"""

from __future__ import annotations

import math

import numpy as np

from sim.config import TrackParams
from sim.jit import kernel
from sim.track import Track

_KIND_P = np.array([0.2, 0.3, 0.25, 0.25])  # hairpin, sweeper, S-bend, corner
_KIND_CDF = _KIND_P.cumsum() / _KIND_P.sum()


def _draw_layout(rng: np.random.Generator, params: TrackParams) -> list[tuple[float, float]]:
    """A shuffled list of arcs (signed angle [rad], radius [m]) whose angles sum to 2*pi.

    Features: hairpins, sweepers, S-bends and corners; balancing arcs close the turning.
    """
    r_min = params.min_radius_m
    features = []
    for _ in range(int(rng.integers(3, 8))):
        # rng.choice(4, p=_KIND_P) draws exactly this, at a tenth of the cost
        kind = int(np.searchsorted(_KIND_CDF, rng.random(), side="right"))
        sign = 1.0 if rng.random() < 0.6 else -1.0
        if kind == 0:  # hairpin
            features.append([(sign * math.radians(rng.uniform(150, 185)), rng.uniform(r_min, r_min + 10))])
        elif kind == 1:  # sweeper
            features.append([(sign * math.radians(rng.uniform(25, 80)), rng.uniform(50, 130))])
        elif kind == 2:  # S-bend: two opposite arcs back to back
            a, r = math.radians(rng.uniform(35, 75)), rng.uniform(r_min + 5, 45)
            features.append([(sign * a, r), (-sign * a * rng.uniform(0.8, 1.2), r * rng.uniform(0.8, 1.25))])
        else:  # corner
            features.append([(sign * math.radians(rng.uniform(60, 110)), rng.uniform(r_min, 35))])
    deficit = 2 * math.pi - sum(a for f in features for a, _ in f)
    while abs(deficit) > 1e-9:
        a = math.copysign(min(abs(deficit), math.radians(rng.uniform(60, 120))), deficit)
        features.append([(a, rng.uniform(25, 70))])
        deficit -= a
    return [features[i] for i in rng.permutation(len(features))]


def _close_loop(layout, straights: np.ndarray, min_straight_m: float = 3.0) -> np.ndarray | None:
    """Adjust the straight after each feature so the path ends where it began.

    The arcs fix every straight's direction; the end point is linear in the straights'
    lengths, so a least-norm correction (with lengths clamped at the minimum, active set)
    closes the loop. Returns the lengths, or None when no such correction exists.
    """
    heading, end_x, end_y, dirs = 0.0, 0.0, 0.0, []
    for feature in layout:
        for a, r in feature:  # chord of an arc of angle a and radius r
            chord = 2 * r * math.sin(abs(a) / 2)
            end_x += chord * math.cos(heading + a / 2)
            end_y += chord * math.sin(heading + a / 2)
            heading += a
        dirs.append((math.cos(heading), math.sin(heading)))
    arc_end = np.array([end_x, end_y])
    u = np.array(dirs)  # (m, 2) direction of each straight
    lengths = straights.astype(np.float64).copy()
    free = np.ones(len(lengths), dtype=bool)
    for _ in range(len(lengths) + 1):
        err = arc_end + u.T @ lengths
        if np.linalg.norm(err) < 1e-6:
            return lengths
        a = u[free].T  # (2, free)
        if a.shape[1] < 2 or abs(np.linalg.det(a @ a.T)) < 1e-9:
            return None
        lengths[free] -= a.T @ np.linalg.solve(a @ a.T, err)
        low = lengths < min_straight_m
        lengths[low] = min_straight_m
        free &= ~low
    return None


def _sample_layout(layout, lengths: np.ndarray, step_m: float) -> np.ndarray:
    """Points along arcs and straights, about `step_m` apart; (n, 2), last not repeated."""
    arcs = np.array([arc for feature in layout for arc in feature], dtype=np.float64)  # (A, 2) angle, radius
    ends = np.cumsum([len(feature) for feature in layout])  # feature f's arcs end here
    return _sample_path(arcs[:, 0].copy(), arcs[:, 1].copy(), ends, np.asarray(lengths, dtype=np.float64), step_m)


@kernel
def _sample_path(angle, radius, ends, lengths, step_m):
    """A turtle path: feature f turns through arcs (angle [rad], radius [m]) up to `ends[f]`,
    then runs straight for `lengths[f]` [m]; sampled about `step_m` apart."""
    total = 0
    for k in range(len(angle)):
        total += max(2, int(abs(angle[k]) * radius[k] / step_m))
    for f in range(len(lengths)):
        total += max(1, int(lengths[f] / step_m))
    out = np.empty((total, 2))
    heading, x, y, at, k = 0.0, 0.0, 0.0, 0, 0
    for f in range(len(lengths)):
        while k < ends[f]:
            a, r = angle[k], radius[k]
            m = max(2, int(abs(a) * r / step_m))
            side = math.copysign(r, a)
            cx, cy = x - side * math.sin(heading), y + side * math.cos(heading)  # the arc's centre
            for j in range(1, m + 1):
                h = heading + j * (a / m)
                out[at, 0] = cx + side * math.sin(h)
                out[at, 1] = cy - side * math.cos(h)
                at += 1
            x, y, heading = out[at - 1, 0], out[at - 1, 1], heading + a
            k += 1
        m = max(1, int(lengths[f] / step_m))
        for j in range(1, m + 1):
            t = j * (lengths[f] / m)
            out[at, 0] = x + t * math.cos(heading)
            out[at, 1] = y + t * math.sin(heading)
            at += 1
        x, y = out[at - 1, 0], out[at - 1, 1]
    return out


def generate(
    rng: np.random.Generator,
    params: TrackParams = TrackParams(),
    name: str = "procedural",
    markings: str = "solid/dashed",
) -> Track:
    """A random closed track: hairpins, S-bends, sweepers, corners and straights.

    The layout is drawn as a turtle path of arcs (radius >= params.min_radius_m) and
    straights, closed exactly by adjusting the straights, scaled into the length range,
    and rejected if the road would come near itself. Both turning directions occur. The
    car starts in the middle of the longest straight. All randomness comes from `rng`.
    """
    for _ in range(500):
        layout = _draw_layout(rng, params)
        lengths = _close_loop(layout, rng.uniform(5, 45, len(layout)))
        if lengths is None:
            continue
        total = sum(abs(a) * r for f in layout for a, r in f) + lengths.sum()
        scale = rng.uniform(1.0, 1.3) * params.min_length_m / total if total < params.min_length_m else 1.0
        if total > params.max_length_m:  # shrink, if the tightest curve allows it
            scale = rng.uniform(0.85, 1.0) * params.max_length_m / total
            if scale * min(r for f in layout for _, r in f) < params.min_radius_m:
                continue
        longest = int(lengths.argmax())  # rotate so the longest straight comes last
        layout = layout[longest + 1 :] + layout[: longest + 1]
        lengths = np.roll(lengths, -(longest + 1))
        pts = _sample_layout(layout, lengths, 0.5) * scale
        half = int(round(lengths[-1] * scale / 2 / 0.5))  # start halfway along it
        pts = np.roll(pts, half, axis=0)
        if rng.random() < 0.5:
            pts = pts[::-1]
        track = Track.from_polyline(name, params.width_m, pts, params.spacing_m, markings)
        if not track.problems(params.min_radius_m * 0.95, params.min_gap_m):
            return track
    raise RuntimeError("could not generate a valid track in 500 attempts; relax TrackParams")
