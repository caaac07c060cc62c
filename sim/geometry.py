"""Small vector helpers shared by the world modules: angles and closed polylines."""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable


@register_jitable
def wrap_angle(angle):
    """Wrap radians into [-pi, pi). Works on floats and arrays, and inside kernels."""
    return (angle + np.pi) % (2.0 * np.pi) - np.pi


def closed_catmull_rom(points: np.ndarray, samples_per_span: int = 16) -> np.ndarray:
    """Interpolate a closed loop through `points` (n, 2) with a centripetal Catmull-Rom spline.

    Returns a dense closed polyline (n * samples_per_span, 2), last point not repeated.
    """
    p = np.asarray(points, dtype=np.float64)
    p0, p1, p2, p3 = np.roll(p, 1, 0), p, np.roll(p, -1, 0), np.roll(p, -2, 0)

    def knot(a, b):  # centripetal parameterisation avoids cusps and self-loops
        return np.maximum(np.linalg.norm(b - a, axis=1), 1e-9) ** 0.5

    t0 = np.zeros(len(p))
    t1 = t0 + knot(p0, p1)
    t2 = t1 + knot(p1, p2)
    t3 = t2 + knot(p2, p3)
    u = np.arange(samples_per_span) / samples_per_span  # (s,)
    t = t1[:, None] + (t2 - t1)[:, None] * u[None, :]  # (n, s)

    def lerp(pa, pb, ta, tb):  # points (n, 2) or (n, s, 2), blended at knots ta, tb
        w = ((tb[:, None] - t) / (tb - ta)[:, None])[..., None]
        pa = pa[:, None, :] if pa.ndim == 2 else pa
        pb = pb[:, None, :] if pb.ndim == 2 else pb
        return w * pa + (1.0 - w) * pb

    a1, a2, a3 = lerp(p0, p1, t0, t1), lerp(p1, p2, t1, t2), lerp(p2, p3, t2, t3)
    b1, b2 = lerp(a1, a2, t0, t2), lerp(a2, a3, t1, t3)
    return lerp(b1, b2, t1, t2).reshape(-1, 2)


def closed_bspline(control: np.ndarray, samples_per_span: int = 16) -> np.ndarray:
    """Sample a closed uniform cubic B-spline (curvature-continuous) over `control` (n, 2)."""
    c = np.asarray(control, dtype=np.float64)
    u = np.arange(samples_per_span) / samples_per_span
    basis = (
        np.stack([(1 - u) ** 3, 3 * u**3 - 6 * u**2 + 4, -3 * u**3 + 3 * u**2 + 3 * u + 1, u**3], axis=1) / 6.0
    )  # (s, 4)
    spans = np.stack([np.roll(c, 1, 0), c, np.roll(c, -1, 0), np.roll(c, -2, 0)], axis=1)  # (n, 4, 2)
    return np.einsum("sk,nkd->nsd", basis, spans).reshape(-1, 2)
