"""Many tracks in one set of arrays, so N cars on N different tracks are queried at once.

Car k's track lives in a slot of the concatenated arrays: vertex i at row `start[k] + i`.
A slot holds up to `capacity[k]` vertices, so a car that resets onto a new track that fits
rewrites its slot in place (`put`) instead of rebuilding every car's arrays.
"""

from __future__ import annotations

import numpy as np

from sim.jit import kernel
from sim.obstacles import ahead_index, avoidance_offsets
from sim.track import Track

WINDOW = 6  # vertices searched either side of the previous nearest one


def avoidance(track: Track) -> np.ndarray:
    """(n,) the lateral offset [m] of a path past the track's obstacles (cached on the track)."""
    cache = track.__dict__.setdefault("_cache", {})
    if "avoid" not in cache:
        cache["avoid"] = avoidance_offsets(track.obstacles, track.n, track.ds, track.width_m)
    return cache["avoid"]


_NONE_AHEAD = np.zeros(0, dtype=np.int64)  # `_fill_rows`' "no obstacles on this track"


@kernel
def _fill_rows(centre, tangent, heading, obs_ahead, first, xy, txy, track_heading, ahead):
    """Rows first.. of the set's arrays from one track's (n, 2) centreline and tangents and
    (n,) headings; `ahead` its obstacle per vertex, empty for none (-1). One pass, where
    numpy took seven calls and two temporary arrays (a reset onto a new track does this)."""
    for i in range(len(xy)):
        r = first + i
        centre[r] = complex(xy[i, 0], xy[i, 1])
        tangent[r] = complex(txy[i, 0], txy[i, 1])
        heading[r] = track_heading[i]
        obs_ahead[r] = ahead[i] if len(ahead) else -1


class TrackSet:
    """Attributes (N cars, R rows in all):
    tracks: list of N Tracks; start, n, capacity: (N,) first row, vertices, slot size;
    ds, length, half_width: (N,) vertex spacing [m], length [m], half the road width [m];
    centre, tangent: (R,) complex positions and unit tangents; heading: (R,) [rad];
    avoid: (R,) lateral offset of a path past the obstacles [m] (worked out when first
    asked for); obs_ahead: (R,) the obstacle (index on its track) a car there is
    passing, -1: none.
    """

    def __init__(self, tracks, slack: float = 1.0, at_least: np.ndarray | None = None):
        """Slots of `slack` times each track's size, and never smaller than `at_least` (a
        rebuilt set keeps the room its slots had, so it settles instead of rebuilding)."""
        tracks = list(tracks)
        n = np.array([t.n for t in tracks], dtype=np.int64)
        self.capacity = np.maximum((n * slack).astype(np.int64), n)
        if at_least is not None:
            self.capacity = np.maximum(self.capacity, at_least)
        self.start = np.concatenate([[0], np.cumsum(self.capacity)[:-1]]).astype(np.int64)
        rows = int(self.capacity.sum())
        self.tracks = [None] * len(tracks)
        self.n = np.zeros(len(tracks), dtype=np.int64)
        self.ds = np.zeros(len(tracks))
        self.length = np.zeros(len(tracks))
        self.half_width = np.zeros(len(tracks))
        self.centre = np.zeros(rows, dtype=complex)
        self.tangent = np.zeros(rows, dtype=complex)
        self.heading = np.zeros(rows)
        self._avoid = np.zeros(rows)  # the expert's lateral offset past obstacles [m], filled when asked for
        self._avoid_due: set[int] = set()  # slots whose `avoid` rows wait for their track's
        self.obs_ahead = np.full(rows, -1, dtype=np.int64)  # the obstacle a car at this vertex is passing
        for k, t in enumerate(tracks):
            self.put(k, t)

    @classmethod
    def of(cls, tracks) -> "TrackSet":
        return cls(tracks)

    def put(self, k: int, track: Track) -> bool:
        """Put `track` in car k's slot; False (nothing changed) if it does not fit."""
        if track.n > self.capacity[k]:
            return False
        ahead = ahead_index(track) if track.obstacles else _NONE_AHEAD
        rows = (self.centre, self.tangent, self.heading, self.obs_ahead)
        _fill_rows(*rows, self.start[k], track.centerline, track.tangent, track.heading, ahead)
        self._avoid_due.add(k)
        self.tracks[k] = track
        self.n[k], self.ds[k], self.length[k], self.half_width[k] = track.n, track.ds, track.length_m, track.width_m / 2
        return True

    @property
    def avoid(self) -> np.ndarray:
        """(R,) the expert's lateral offset past the obstacles [m], worked out for a track the
        first time it is asked for (only the expert asks: a learner's resets skip it)."""
        for k in sorted(self._avoid_due):
            self._avoid[self.start[k] : self.start[k] + self.n[k]] = avoidance(self.tracks[k])
        self._avoid_due.clear()
        return self._avoid

    def locate(self, x, y, hint):
        """Per car: nearest vertex (local index), arc length [m], lateral offset [m, left +].

        Args:
            x, y: (N,) positions; hint: (N,) previous nearest vertices (local indices),
                searched +-6 vertices around.
        """
        return _locate_all(
            self.centre,
            self.tangent,
            self.start,
            self.n,
            self.ds,
            self.length,
            np.asarray(x, dtype=np.float64),
            np.asarray(y, dtype=np.float64),
            np.asarray(hint, dtype=np.int64),
        )

    def point_at(self, s_m):
        """(N,) complex centreline positions at arc lengths `s_m` [m], one per track."""
        u = (s_m / self.ds) % self.n
        i = np.floor(u).astype(np.int64)
        f = u - i
        a = self.centre[self.start + i]
        b = self.centre[self.start + (i + 1) % self.n]
        return a * (1 - f) + b * f  # the same rounding as Track.point_at


@kernel
def locate(centre, tangent, start, n, ds, length, k, x, y, hint):
    """Car on track slot k at (x, y) [m]: (nearest vertex, arc length [m], lateral offset
    [m, left +]), the vertex searched within WINDOW of vertex `hint`.

    `centre`, `tangent`: a TrackSet's (R,) complex rows; `start`, `n`, `ds`, `length`: its (N,) slots.
    """
    here = complex(x, y)
    best, best_d = 0, np.inf
    for w in range(-WINDOW, WINDOW + 1):
        v = (hint + w) % n[k]
        d = abs(centre[start[k] + v] - here)
        if d < best_d:  # the first of equals, as argmin
            best, best_d = v, d
    row = start[k] + best
    rx, ry = x - centre[row].real, y - centre[row].imag
    tx, ty = tangent[row].real, tangent[row].imag
    return best, (best * ds[k] + rx * tx + ry * ty) % length[k], ry * tx - rx * ty


@kernel
def _locate_all(centre, tangent, start, n, ds, length, x, y, hint):
    v = np.empty(len(x), dtype=np.int64)
    s, lateral = np.empty(len(x)), np.empty(len(x))
    for k in range(len(x)):
        v[k], s[k], lateral[k] = locate(centre, tangent, start, n, ds, length, k, x[k], y[k], hint[k])
    return v, s, lateral
