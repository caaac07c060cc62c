"""The track as a picture in memory: a colour texture with mipmaps, for the camera.

It is a plain numpy array, so observations never need pygame.

Drawing is lazy, so a reset onto a new track costs little: a raster starts as grass (a
copy of a periodic tile, all mip levels precomputed), and the road is drawn in segments
of about `RasterParams.segment_m` as cars come near them (`Raster.draw_near`). Where two
segments cover one pixel, the later segment along the track owns it, whichever was drawn
first (a one-byte owner per pixel near the road remembers which), so a raster drawn in any order is
identical to one drawn whole (`Raster.draw_all`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba.typed import List

from sim.config import RasterParams
from sim.jit import kernel
from sim.road import OWNER_BLOCK, _band_blocks, _near_segments, draw_road
from sim.track import Track

GRASS = np.array([62, 128, 48], dtype=np.float32)
ASPHALT = np.array([92, 92, 98], dtype=np.float32)
LINE = np.array([240, 240, 235], dtype=np.float32)
CENTRE = np.array([250, 205, 40], dtype=np.float32)
INFO_MARGIN_M = 2.5  # the road's band is drawn this far beyond each edge (the border blends with grass)
MAX_SEGMENTS = 255  # a track's segments; a pixel's owner is segment + 1 in a byte
GRASS_TILE_PX = 256  # period of the grass texture at level 0

RGB = np.dtype("V3")  # one texel: 3 bytes R, G, B, gathered as a single item
MARKING_MODES = {"none": 0, "solid": 1, "dashed": 2}  # a line style as `draw_road` takes it


def to_rgb8(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) colours in 0..255 (any dtype) -> (..., 3) uint8, rounded and clipped."""
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _halve(level: np.ndarray) -> np.ndarray:
    """The next mip level: each pixel the rounded mean of a 2x2 block.

    `level` is (..., r, c, 3) uint8 (one image or a batch of blocks); returns (..., r//2, c//2, 3).
    """
    r, c = level.shape[-3] // 2, level.shape[-2] // 2
    block = level[..., : 2 * r, : 2 * c, :].reshape(*level.shape[:-3], r, 2, c, 2, 3)
    avg = block[..., :, 0, :, 0, :].astype(np.uint16)
    avg += block[..., :, 1, :, 0, :]
    avg += block[..., :, 0, :, 1, :]
    avg += block[..., :, 1, :, 1, :]
    avg += 2
    avg >>= 2
    return avg.astype(np.uint8)


def grass_scale(params) -> int:
    """How many texels of a raster with `params` cover one texel of the cars' (default)
    raster: a finer raster (the chase view's) draws the same grass, smoothly enlarged."""
    return max(1, round(RasterParams().m_per_px / params.m_per_px))


@lru_cache(maxsize=4)
def _grass_tiles(levels: int, scale: int = 1) -> tuple[np.ndarray, ...]:
    """A fixed, seamless grass texture and its mip levels: level k is (256 * scale >> k)^2 x 3 uint8.

    Level k of a raster that is all grass is this tile repeated, because each mip level
    averages aligned 2x2 blocks. The texture is part of the world's look, not of any
    episode, so it uses a fixed seed. With `scale` > 1 (a finer raster), the tile is the
    same grass enlarged `scale` times and smoothed, so it looks the same size in the world.
    """
    if scale > 1:
        big = np.kron(_grass_tiles(1)[0].astype(np.float32), np.ones((scale, scale, 1), np.float32))
        for axis in (0, 1):  # box-blur over one old texel (wrapping: still seamless)
            big = sum(np.roll(big, k, axis) for k in range(-(scale // 2), scale - scale // 2)) / scale
        tiles = [np.clip(big + 0.5, 0, 255).astype(np.uint8)]
        for _ in range(1, levels):
            tiles.append(_halve(tiles[-1]))
        for t in tiles:
            t.setflags(write=False)
        return tuple(tiles)
    size = GRASS_TILE_PX
    rng = np.random.default_rng(20261125)
    blotch = rng.normal(size=(size // 16, size // 16))
    blotch = np.kron(blotch, np.ones((16, 16)))
    for axis in (0, 1):  # box-blur the blotches (wrapping, so the tile is seamless)
        blotch = sum(np.roll(blotch, k, axis) for k in range(-8, 8)) / 16
    grain = rng.normal(size=(size, size))
    shade = 1.0 + 0.16 * blotch / blotch.std() + 0.07 * grain
    stripes = 1.0 + 0.05 * np.sign(np.sin(np.arange(size) * (2 * np.pi / 64)))[:, None]  # mown lanes
    tiles = [to_rgb8(GRASS[None, None, :] * (shade * stripes)[..., None])]
    for _ in range(1, levels):
        tiles.append(_halve(tiles[-1]))
    for t in tiles:
        t.setflags(write=False)
    return tuple(tiles)


def _fill_periodic(dst: np.ndarray, tile: np.ndarray) -> None:
    """Cover dst (rows, cols, 3) with `tile` repeated from its corner: the first band of
    rows tile by tile, then that band copied down (each copy a memcpy)."""
    th, tw = tile.shape[:2]
    rows, cols = dst.shape[:2]
    band = dst[: min(th, rows)]
    for x in range(0, cols, tw):
        block = band[:, x : x + tw]
        block[...] = tile[: block.shape[0], : block.shape[1]]
    for y in range(th, rows, th):
        part = dst[y : y + th]
        part[...] = band[: part.shape[0]]


@lru_cache(maxsize=32)
def _paint_table(w2: float, half: float, res: float, params: RasterParams):
    """Road coverage (q,), paint colour (4, q, 3) and the same rounded to uint8, per 1/64 m
    of |lateral offset| (cached: one table per road width; a level that draws each track's
    width anew computes one at every reset, in `_paint_rows`).

    Paint row 2 * (no edge line) + (centre line): rows 0 and 1 have the edge lines, 2 and
    3 not; rows 1 and 3 have the centre line. Coverage is the fraction of a pixel as wide
    as `res` that lies inside [a, b], which anti-aliases every line.
    """
    q = int(half * 64) + 2
    road, paint, rgb8 = np.empty(q, np.float32), np.empty((4, q, 3), np.float32), np.empty((4, q, 3), np.uint8)
    _paint_rows(w2, res, params.edge_line_m, params.centre_line_m, ASPHALT, LINE, CENTRE, road, paint, rgb8)
    return road, paint, rgb8


@kernel
def _coverage(a, b, d, res):
    """The fraction of a pixel `res` wide centred at `d` that lies inside [a, b]."""
    v = (min(b, d + res / 2) - max(a, d - res / 2)) / res
    return min(max(v, 0.0), 1.0)


@kernel
def _paint_rows(w2, res, edge_line_m, centre_line_m, asphalt, line, centre_rgb, road, paint, rgb8):
    """`_paint_table`'s tables into `road`, `paint` and `rgb8`, the arithmetic numpy's
    (float64, cast to float32; the bytes rounded half to even)."""
    for j in range(len(road)):
        d = (j + 0.5) / 64
        road[j] = np.float32(_coverage(-1.0, w2, d, res))
        edge = _coverage(w2 - 0.25 - edge_line_m, w2 - 0.25, d, res)
        mid = _coverage(-1.0, centre_line_m / 2, d, res)
        for c in range(3):
            lined = np.float64(asphalt[c]) + np.float64(line[c] - asphalt[c]) * edge
            plain = np.float64(asphalt[c])
            yellow = np.float64(centre_rgb[c] - asphalt[c]) * mid
            for k, v in enumerate((lined, lined + yellow, plain, plain + yellow)):
                f = np.float32(v)
                paint[k, j, c] = f
                rgb8[k, j, c] = np.uint8(min(max(np.rint(f), np.float32(0.0)), np.float32(255.0)))


@dataclass(frozen=True)
class Layout:
    """Where a track's raster lies and how big it is, known before drawing it."""

    origin: tuple[float, float]
    rows: int
    cols: int
    level_shape: np.ndarray  # (L, 2)
    level_offset: np.ndarray  # (L,)

    @property
    def texels(self) -> int:
        return int(self.level_shape.prod(1).sum())


def layout(track: Track, params: RasterParams = RasterParams()) -> Layout:
    """The raster's placement and size for `track` (cached on the track, per params)."""
    cache = track.__dict__.setdefault("_cache", {})
    hit = cache.get(("layout", params))
    if hit is not None:
        return hit
    res = params.m_per_px
    align = 2 ** (params.levels - 1)
    lo, hi = _extent(track.centerline, track.normal, track.width_m / 2)
    lo, hi = lo - params.margin_m, hi + params.margin_m
    rows, cols = (np.ceil((hi - lo)[::-1] / res / align).astype(int) * align).tolist()
    shapes = np.array([(rows >> k, cols >> k) for k in range(params.levels)], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(shapes.prod(1))[:-1]]).astype(np.int64)
    lay = Layout((float(lo[0]), float(lo[1])), rows, cols, shapes, offsets)
    cache[("layout", params)] = lay
    return lay


@kernel
def _extent(centre, normal, half_width):
    """The smallest and largest x and y of the road's edges, (2,) each: per vertex the
    centre minus and plus |normal * half_width| (the lower edge is the one nearer the axis)."""
    lo, hi = np.full(2, np.inf), np.full(2, -np.inf)
    for i in range(len(centre)):
        for a in range(2):
            e = abs(normal[i, a] * half_width)
            lo[a] = min(lo[a], centre[i, a] - e)
            hi[a] = max(hi[a], centre[i, a] + e)
    return lo, hi


@dataclass(frozen=True, eq=False)
class Segments:
    """The road cut into pieces of `size` vertices, each with a circle that holds its band.

    Segment j covers vertices [j * size, min((j + 1) * size, n)); everything it draws lies
    within `radius_m[j]` of `centre[j]` (complex, [m]). A track has at most MAX_SEGMENTS
    (long tracks get longer segments), so an owner of one byte tells them apart.
    """

    size: int
    centre: np.ndarray  # (S,) complex
    radius_m: np.ndarray  # (S,)

    @classmethod
    def of(cls, track: Track, params: RasterParams) -> "Segments":
        size = max(1, int(round(params.segment_m / track.ds)), -(-track.n // MAX_SEGMENTS))
        starts = np.arange(0, track.n, size)
        c = track.centerline
        lo = np.minimum.reduceat(c, starts, axis=0)
        hi = np.maximum.reduceat(c, starts, axis=0)
        centre = 0.5 * (lo + hi)
        # every vertex lies within half the box's diagonal; samples reach half a vertex
        # further along, the band reaches INFO_MARGIN_M beyond the edge, a pixel rounds outward
        reach = track.width_m / 2 + INFO_MARGIN_M + track.ds / 2 + 2 * params.m_per_px
        radius = 0.5 * np.hypot(*(hi - lo).T) + reach
        return cls(size, centre[:, 0] + 1j * centre[:, 1], radius)

    def __len__(self) -> int:
        return len(self.centre)


@dataclass(frozen=True)
class Reach:
    """How far around a car observations look, so the road there is drawn first.

    Every point an observation reads lies within `radius_m` of the car and no more than
    `behind_m` behind it. Checks are made again once the car has moved `move_m` or turned
    `turn_rad` since the last, so the region drawn also covers those.
    """

    radius_m: float
    behind_m: float
    move_m: float = 3.0
    turn_rad: float = 0.15

    def union(self, other: "Reach") -> "Reach":
        return Reach(max(self.radius_m, other.radius_m), max(self.behind_m, other.behind_m), self.move_m, self.turn_rad)

    @classmethod
    def of_points(cls, forward_m: np.ndarray, left_m: np.ndarray) -> "Reach":
        """The reach of sample points given in the car's frame [m]."""
        if len(forward_m) == 0:
            return cls(0.0, 0.0)
        return cls(float(np.hypot(forward_m, left_m).max()), max(0.0, float(-np.min(forward_m))))


_SCRATCH = np.full(
    0, -1, dtype=np.int32
)  # the vertex owning each owner pixel a draw reached, shared (drawing is sequential)


def _scratch(size: int) -> np.ndarray:
    """An int32 array of at least `size` items, all -1, that `draw_road` leaves so."""
    global _SCRATCH
    if len(_SCRATCH) < size:
        _SCRATCH = np.full(size, -1, dtype=np.int32)
    return _SCRATCH


class Raster:
    """A track drawn into arrays, its road drawn segment by segment on demand.

    Attributes:
        track: the road drawn.
        origin: world position [m] of pixel (0, 0)'s corner (x, y); rows grow with y.
        m_per_px: size of a level-0 pixel [m].
        texture: all mip levels of the colour texture, flattened and concatenated, one
            3-byte RGB texel per item (dtype RGB), so a camera pixel is one gather.
        level_shape: (levels, 2) rows and columns of each level.
        level_offset: (levels,) start of each level in `texture`.
        owner_blocks: (rows / OWNER_BLOCK, cols / OWNER_BLOCK) int32: for each block of
            level-0 pixels that a segment can reach, its row in `owner`; -1 elsewhere.
        owner: (blocks, OWNER_BLOCK**2) uint8: per pixel, 0 where no segment has drawn,
            else the segment that owns it + 1.
        segments: the pieces the road is drawn in; `drawn` (S,) bool says which are.
    """

    def __init__(self, track: Track, params: RasterParams = RasterParams(), out=None, lay: Layout | None = None):
        """Lay the raster out and fill it with grass; no road is drawn yet.

        `out`: a texture array (dtype RGB) at least the layout's size to draw into (a buffer
        a RasterSet keeps for a car); by default a new one is made. `lay`: the track's
        layout, if already known.
        """
        lay = lay or layout(track, params)
        self.track = track
        self.params = params
        self.origin = lay.origin
        self.m_per_px = params.m_per_px
        self.level_shape = lay.level_shape
        self.level_offset = lay.level_offset
        self.texture = (np.empty(lay.texels, dtype=RGB) if out is None else out)[: lay.texels]
        for k, tile in enumerate(_grass_tiles(params.levels, grass_scale(params))):
            _fill_periodic(self.level(k), tile)
        self.segments = Segments.of(track, params)
        # a vertex's samples lie within half a vertex along and the band's half width across
        reach = track.width_m / 2 + INFO_MARGIN_M + track.ds / 2
        self.owner_blocks, blocks = _band_blocks(
            track.centerline, reach, np.array(self.origin), self.m_per_px, lay.rows, lay.cols
        )
        self.owner = np.zeros((blocks, OWNER_BLOCK * OWNER_BLOCK), dtype=np.uint8)
        self._block_rows, self._block_cols = (
            a.astype(np.int32) for a in np.nonzero(self.owner_blocks >= 0)
        )  # row-major: block i is the i-th
        self.drawn = np.zeros(len(self.segments), dtype=bool)
        self.complete = False  # every segment drawn: nothing left to check

    @property
    def nbytes(self) -> int:
        return self.texture.nbytes + self.owner.nbytes + self.owner_blocks.nbytes

    def level(self, k: int) -> np.ndarray:
        """Level k of the texture as (rows, cols, 3) uint8 RGB (a view)."""
        rows, cols = self.level_shape[k]
        flat = self.texture[self.level_offset[k] : self.level_offset[k] + rows * cols]
        return flat.view(np.uint8).reshape(rows, cols, 3)

    # ---------------------------------------------------------------- drawing
    def draw_all(self) -> "Raster":
        """Draw every segment not drawn yet (a map of the whole track needs this)."""
        self.draw(np.flatnonzero(~self.drawn))
        return self

    def draw_near(self, x: float, y: float, heading: float, reach: Reach, ahead_m: float = 0.0) -> int:
        """Draw the segments that observations from pose (x, y, heading) may see before
        the car has moved `reach.move_m` or turned `reach.turn_rad`. Returns how many.

        When some are missing, those within a further `ahead_m` are drawn too: fewer,
        larger draws cost less per metre of road than many small ones.
        """
        if self.complete:
            return 0
        texel = (2 ** (self.params.levels - 1)) * self.m_per_px * 2**0.5  # a far camera pixel reads a coarse texel
        seg = self.segments
        todo = _near_segments(
            seg.centre,
            seg.radius_m,
            self.drawn,
            x,
            y,
            heading,
            reach.radius_m,
            reach.move_m + texel,
            reach.behind_m + reach.radius_m * reach.turn_rad,
            ahead_m,
        )
        if len(todo):
            self.draw(todo)
        return len(todo)

    def draw(self, segs: np.ndarray) -> None:
        """Draw the road of segments `segs` into the texture (`draw_road`)."""
        segs = np.unique(np.asarray(segs, dtype=np.int64))  # in track order: later segments win
        if len(segs) == 0:
            return
        track, params = self.track, self.params
        w2 = track.width_m / 2
        half = w2 + INFO_MARGIN_M
        styles = [MARKING_MODES[m] for m in track.markings.split("/")]
        road_lut, paint_lut, paint_rgb8 = _paint_table(w2, half, self.m_per_px, params)
        draw_road(
            segs,
            self.segments.size,
            track.centerline,
            track.normal,
            track.tangent,
            track.ds,
            w2,
            half,
            np.array(self.origin),
            self.m_per_px,
            self.owner_blocks,
            self.owner,
            styles[0],
            styles[1],
            params.dash_m,
            road_lut,
            paint_lut,
            paint_rgb8,
            _grass_tiles(params.levels, grass_scale(params))[0],
            self.texture.view(np.uint8),
            self.level_shape,
            self.level_offset,
            self._block_rows,
            self._block_cols,
            _scratch(self.owner.size),
        )
        self.drawn[segs] = True
        self.complete = bool(self.drawn.all())


def build(track: Track, params: RasterParams = RasterParams()) -> Raster:
    """A raster of `track` with its whole road drawn."""
    return Raster(track, params).draw_all()


class RasterSet:
    """One raster per car, with the tables a kernel needs to sample car i's.

    Each car keeps its own buffers; a later track that fits them is laid out in place
    (`redraw`), one that does not gets buffers GROWTH times its size, so no car's new
    track moves another's.

    Attributes (N cars, L levels): rasters: list of N Rasters; origin (N, 2) [m];
    textures: a numba typed List of N uint8 arrays, each car's texture as bytes;
    level_shape (N, L, 2); level_offset (N, L), in texels from the start of the car's texture.
    """

    GROWTH = 1.25

    def __init__(self, tracks, params: RasterParams = RasterParams()):
        """One raster per track (roads not drawn yet), in buffers of exactly their size."""
        n = len(tracks)
        self.params, self.m_per_px = params, params.m_per_px
        self.rasters: list[Raster] = [None] * n
        self.origin = np.zeros((n, 2))
        self.level_shape = np.zeros((n, params.levels, 2), dtype=np.int64)
        self.level_offset = np.zeros((n, params.levels), dtype=np.int64)
        self.textures = List([np.zeros(0, dtype=np.uint8) for _ in range(n)])
        self._buffers = [None] * n
        for i, t in enumerate(tracks):
            self.redraw(i, t)

    @classmethod
    def around(cls, raster: Raster) -> "RasterSet":
        """A one-car set over an existing raster's own arrays (no copy)."""
        rs = cls([], raster.params)
        rs.rasters = [None]
        rs.origin, rs.level_shape, rs.level_offset = (
            np.zeros((1, 2)),
            rs.level_shape[:0].copy(),
            rs.level_offset[:0].copy(),
        )
        rs.level_shape = np.zeros((1, raster.params.levels, 2), dtype=np.int64)
        rs.level_offset = np.zeros((1, raster.params.levels), dtype=np.int64)
        rs.textures = List([raster.texture.view(np.uint8)])
        rs._buffers = [raster.texture]
        rs._set_tables(0, raster)
        return rs

    def _set_tables(self, i: int, r: Raster) -> None:
        self.rasters[i] = r
        self.origin[i] = r.origin
        self.level_shape[i] = r.level_shape
        self.level_offset[i] = r.level_offset

    def redraw(self, i: int, track: Track) -> None:
        """Lay `track` out for car i: in its buffers if they hold it, else in larger ones."""
        lay = layout(track, self.params)
        buffer = self._buffers[i]
        if buffer is None or lay.texels > len(buffer):
            buffer = np.empty(int(lay.texels * (1.0 if buffer is None else self.GROWTH)), dtype=RGB)
            self._buffers[i] = buffer
            self.textures[i] = buffer.view(np.uint8)
        self._set_tables(i, Raster(track, self.params, out=buffer, lay=lay))

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in self._buffers) + sum(r.owner.nbytes + r.owner_blocks.nbytes for r in self.rasters)
