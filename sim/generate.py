"""Procedural tracks: a random closed layout of arcs and straights, from a seed.

`generate` draws a layout (hairpins, sweepers, S-bends, corners) with the generator it is
given, closes it exactly by adjusting the straights, samples it as a turtle path and keeps
it when the road never comes near itself. All of it but the last check is one kernel,
`_draw_path`, drawing from numpy's default generator as numpy would (`sim.draws`), so
every seed keeps the track it had when this was numpy calls. `sim.track.from_seed` gives
each seed its track.
"""

from __future__ import annotations

import math

import numpy as np

from sim import draws
from sim.config import TrackParams
from sim.jit import fma, kernel
from sim.track import Track, _frame, _pairwise_sum

_KIND_P = np.array([0.2, 0.3, 0.25, 0.25])  # hairpin, sweeper, S-bend, corner
_KIND_CDF = _KIND_P.cumsum() / _KIND_P.sum()
MAX_FEATURES = 64  # 3-7 features, then balancing arcs of at least 60 degrees: at most ~35


@kernel
def _draw_path(bits, seed, fresh, kind_cdf, min_radius_m, min_length_m, max_length_m, step_m, attempts):
    """Draw layouts with generator `bits` (`sim.draws`; with `fresh`, first seeded with
    `seed`) until one closes and fits the length range; return its points (n, 2) (about
    `step_m` apart, starting halfway along the longest straight, in either direction) and
    the attempts it took, or an empty array after `attempts`.

    The arithmetic repeats what these steps did as numpy and Python calls, draw for draw
    and bit for bit (Python's left-to-right sums, numpy's pairwise sum, and OpenBLAS's
    order and fused multiply-adds in the closing's small products), so every seed keeps
    its track.
    """
    if fresh:
        draws.seed_into(bits, seed)
    angle = np.empty(2 * MAX_FEATURES)  # the arcs: signed angle [rad], radius [m]
    radius = np.empty(2 * MAX_FEATURES)
    count = np.empty(MAX_FEATURES, dtype=np.int64)  # arcs per feature (1, or 2 for an S-bend)
    for attempt in range(1, attempts + 1):
        # ---- the layout: features, then arcs that close the turning to 2 pi
        nf, na = 0, 0
        for _ in range(draws.integer(bits, 3, 8)):
            u = draws.random(bits)
            kind = 0
            while kind < len(kind_cdf) and kind_cdf[kind] <= u:
                kind += 1
            sign = 1.0 if draws.random(bits) < 0.6 else -1.0
            if kind == 0:  # hairpin
                angle[na] = sign * math.radians(draws.uniform(bits, 150.0, 185.0))
                radius[na] = draws.uniform(bits, min_radius_m, min_radius_m + 10.0)
                count[nf] = 1
            elif kind == 1:  # sweeper
                angle[na] = sign * math.radians(draws.uniform(bits, 25.0, 80.0))
                radius[na] = draws.uniform(bits, 50.0, 130.0)
                count[nf] = 1
            elif kind == 2:  # S-bend: two opposite arcs back to back
                a = math.radians(draws.uniform(bits, 35.0, 75.0))
                r = draws.uniform(bits, min_radius_m + 5.0, 45.0)
                angle[na], radius[na] = sign * a, r
                angle[na + 1] = -sign * a * draws.uniform(bits, 0.8, 1.2)
                radius[na + 1] = r * draws.uniform(bits, 0.8, 1.25)
                count[nf] = 2
            else:  # corner
                angle[na] = sign * math.radians(draws.uniform(bits, 60.0, 110.0))
                radius[na] = draws.uniform(bits, min_radius_m, 35.0)
                count[nf] = 1
            na += count[nf]
            nf += 1
        turned = 0.0
        for k in range(na):
            turned += angle[k]
        deficit = 2 * math.pi - turned
        while abs(deficit) > 1e-9:
            a = math.copysign(min(abs(deficit), math.radians(draws.uniform(bits, 60.0, 120.0))), deficit)
            angle[na], radius[na], count[nf] = a, draws.uniform(bits, 25.0, 70.0), 1
            na += 1
            nf += 1
            deficit -= a
        order = draws.permutation(bits, nf)
        first = np.empty(nf, dtype=np.int64)  # where each feature's arcs start, as drawn
        at = 0
        for f in range(nf):
            first[f] = at
            at += count[f]
        arc_a, arc_r, ends = np.empty(na), np.empty(na), np.empty(nf, dtype=np.int64)
        at = 0
        for f in range(nf):  # the features in their shuffled order
            for j in range(count[order[f]]):
                arc_a[at], arc_r[at] = angle[first[order[f]] + j], radius[first[order[f]] + j]
                at += 1
            ends[f] = at
        # ---- straights after each feature, closed exactly
        lengths = _close_loop(arc_a, arc_r, ends, draws.uniforms(bits, 5.0, 45.0, nf), 3.0)
        if lengths.size == 0:
            continue
        total = 0.0
        for k in range(na):
            total += abs(arc_a[k]) * arc_r[k]
        total = total + _pairwise_sum(lengths, 0, nf)
        scale = draws.uniform(bits, 1.0, 1.3) * min_length_m / total if total < min_length_m else 1.0
        if total > max_length_m:  # shrink, if the tightest curve allows it
            scale = draws.uniform(bits, 0.85, 1.0) * max_length_m / total
            if scale * arc_r.min() < min_radius_m:
                continue
        # ---- rotate so the longest straight comes last, sample, start halfway along it
        longest = int(lengths.argmax())
        shift = longest + 1
        ra, rr, re, rl = np.empty(na), np.empty(na), np.empty(nf, dtype=np.int64), np.empty(nf)
        skip = ends[longest]  # arcs of the features that move to the back
        for k in range(na):
            ra[k], rr[k] = arc_a[(k + skip) % na], arc_r[(k + skip) % na]
        for f in range(nf):
            g = (f + shift) % nf
            rl[f] = lengths[g]
            re[f] = (ends[g] - skip) % na if ends[g] != skip else na
        pts = _sample_path(ra, rr, re, rl, step_m)
        n = len(pts)
        half = round(rl[nf - 1] * scale / 2 / step_m)
        out = np.empty_like(pts)
        backwards = draws.random(bits) < 0.5
        for i in range(n):
            j = (i + half) % n
            if backwards:
                j = n - 1 - j
            out[j, 0], out[j, 1] = pts[i, 0] * scale, pts[i, 1] * scale
        return out, attempt
    return np.empty((0, 2)), attempts


@kernel
def _close_loop(angle, radius, ends, straights, min_straight_m):
    """The lengths of the straight after each feature (arcs `angle`, `radius` up to
    `ends[f]`) that make the path end where it began, or an empty array when none exists.

    The arcs fix every straight's direction; the end point is linear in the lengths, so a
    least-norm correction (lengths clamped at the minimum, an active set) closes the loop.
    """
    m = len(ends)
    heading, end_x, end_y = 0.0, 0.0, 0.0
    ux, uy = np.empty(m), np.empty(m)  # each straight's direction
    k = 0
    for f in range(m):
        while k < ends[f]:
            a, r = angle[k], radius[k]
            chord = 2 * r * math.sin(abs(a) / 2)
            end_x += chord * math.cos(heading + a / 2)
            end_y += chord * math.sin(heading + a / 2)
            heading += a
            k += 1
        ux[f], uy[f] = math.cos(heading), math.sin(heading)
    lengths = straights.copy()
    free = np.ones(m, dtype=np.bool_)
    for _ in range(m + 1):
        # where the path ends: OpenBLAS's gemv, four straights at a time, two by two
        sx, sy, i = 0.0, 0.0, 0
        while i + 4 <= m:
            sx += ux[i] * lengths[i] + ux[i + 1] * lengths[i + 1]
            sy += uy[i] * lengths[i] + uy[i + 1] * lengths[i + 1]
            sx += ux[i + 2] * lengths[i + 2] + ux[i + 3] * lengths[i + 3]
            sy += uy[i + 2] * lengths[i + 2] + uy[i + 3] * lengths[i + 3]
            i += 4
        while i < m:
            sx += ux[i] * lengths[i]
            sy += uy[i] * lengths[i]
            i += 1
        ex, ey = end_x + sx, end_y + sy
        if math.sqrt(ex * ex + ey * ey) < 1e-6:
            return lengths
        # the normal equations of the free straights (OpenBLAS's syrk: fused, in order)
        s00, s01, s11, nfree = 0.0, 0.0, 0.0, 0
        for i in range(m):
            if free[i]:
                s00, s01, s11 = fma(ux[i], ux[i], s00), fma(ux[i], uy[i], s01), fma(uy[i], uy[i], s11)
                nfree += 1
        if nfree < 2:
            break
        # LAPACK's LU with partial pivoting (the pivot's reciprocal scales the column)
        if abs(s01) > abs(s00):
            p0, p1, q0, q1, b0, b1 = s01, s11, s00, s01, ey, ex
        else:
            p0, p1, q0, q1, b0, b1 = s00, s01, s01, s11, ex, ey
        low = q0 * (1.0 / p0)
        u11 = q1 - low * p1
        if abs(p0 * u11) < 1e-9:  # (the determinant, up to its sign)
            break
        x1 = (b1 - low * b0) / u11
        x0 = (b0 - p1 * x1) / p0
        for i in range(m):
            if free[i]:
                lengths[i] -= fma(ux[i], x0, uy[i] * x1)
        for i in range(m):
            if lengths[i] < min_straight_m:
                lengths[i] = min_straight_m
                free[i] = False
    return np.empty(0)


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
    rng: np.random.Generator | int,
    params: TrackParams = TrackParams(),
    name: str = "procedural",
    markings: str = "solid/dashed",
) -> Track:
    """A random closed track: hairpins, S-bends, sweepers, corners and straights.

    The layout is drawn as a turtle path of arcs (radius >= params.min_radius_m) and
    straights, closed exactly by adjusting the straights, scaled into the length range,
    and rejected if the road would come near itself. Both turning directions occur. The
    car starts in the middle of the longest straight. All randomness comes from `rng`: a
    numpy Generator on PCG64 (left where the draws end), or a seed, drawn from as
    `np.random.default_rng(seed)` would be without building one (`sim.draws`).
    """
    fresh = isinstance(rng, (int, np.integer))  # then the kernel seeds the generator itself
    bits = np.empty(draws.SIZE, dtype=np.uint64) if fresh else draws.bits_of(rng)
    seed = draws.checked_seed(int(rng)) if fresh else np.uint64(0)
    # kernels called one after another, not one kernel calling them: numba would optimise a
    # caller with its callees inlined again, which doubled the first run's compile time
    left = 500
    try:
        while left > 0:
            pts, used = _draw_path(
                bits, seed, fresh, _KIND_CDF, params.min_radius_m, params.min_length_m, params.max_length_m, 0.5, left
            )
            fresh = False
            left -= used
            if len(pts) == 0:
                break
            track = Track.from_frame(name, params.width_m, _frame(pts, params.spacing_m), markings)
            if not track.problems(params.min_radius_m * 0.95, params.min_gap_m):
                return track
    finally:
        if isinstance(rng, np.random.Generator):
            draws.put_back(bits, rng)
    raise RuntimeError("could not generate a valid track in 500 attempts; relax TrackParams")
