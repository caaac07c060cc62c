"""Many tracks in one set of arrays, so N cars on N different tracks are queried at once.

Vertex i of track k lives at row `start[k] + i` of the concatenated arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.track import Track


@dataclass(frozen=True, eq=False)
class TrackSet:
    tracks: tuple[Track, ...]
    start: np.ndarray  # (N,) first row of each track
    n: np.ndarray  # (N,) vertices per track
    ds: np.ndarray  # (N,) vertex spacing [m]
    length: np.ndarray  # (N,) [m]
    half_width: np.ndarray  # (N,) [m]
    centre: np.ndarray  # (sum n,) complex positions
    tangent: np.ndarray  # (sum n,) complex unit tangents
    heading: np.ndarray  # (sum n,) [rad]
    normal_conj: np.ndarray  # (sum n,) complex conjugate of the unit left normal
    window: np.ndarray = None  # offsets searched around the previous vertex

    @classmethod
    def of(cls, tracks) -> "TrackSet":
        tracks = tuple(tracks)
        n = np.array([t.n for t in tracks])
        return cls(
            tracks=tracks,
            start=np.concatenate([[0], np.cumsum(n)[:-1]]),
            n=n,
            ds=np.array([t.ds for t in tracks]),
            length=np.array([t.length_m for t in tracks]),
            half_width=np.array([t.width_m / 2 for t in tracks]),
            centre=np.concatenate([t.centerline_c for t in tracks]),
            tangent=np.concatenate([t.tangent[:, 0] + 1j * t.tangent[:, 1] for t in tracks]),
            heading=np.concatenate([t.heading for t in tracks]),
            normal_conj=np.concatenate([(1j * (t.tangent[:, 0] + 1j * t.tangent[:, 1])).conj() for t in tracks]),
            window=np.arange(-6, 7),
        )

    def locate(self, x, y, hint):
        """Per car: nearest vertex (local index), arc length [m], lateral offset [m, left +].

        Args:
            x, y: (N,) positions; hint: (N,) previous nearest vertices (local indices),
                searched +-6 vertices around.
        """
        local = (hint[:, None] + self.window) % self.n[:, None]  # (N, w)
        rows = self.start[:, None] + local
        p = x + 1j * y
        best = np.abs(self.centre[rows] - p[:, None]).argmin(axis=1)
        v = local[np.arange(len(local)), best]
        row = self.start + v
        # real arithmetic in Track.locate's order, so one car here equals a single env exactly
        rx, ry = x - self.centre[row].real, y - self.centre[row].imag
        tx, ty = self.tangent[row].real, self.tangent[row].imag
        return v, (v * self.ds + rx * tx + ry * ty) % self.length, ry * tx - rx * ty

    def point_at(self, s_m):
        """(N,) complex centreline positions at arc lengths `s_m` [m], one per track."""
        u = (s_m / self.ds) % self.n
        i = np.floor(u).astype(np.int64)
        f = u - i
        a = self.centre[self.start + i]
        b = self.centre[self.start + (i + 1) % self.n]
        return a * (1 - f) + b * f  # the same rounding as Track.point_at
