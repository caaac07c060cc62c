"""The track as pictures in memory: a colour texture (with mipmaps) and a road-info grid.

The camera samples the texture; the sensors march over the info grid. Both are plain
numpy arrays built once per track, so observations never need pygame.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from sim.config import RasterParams
from sim.track import Track

GRASS = np.array([62, 128, 48], dtype=np.float32)
ASPHALT = np.array([92, 92, 98], dtype=np.float32)
LINE = np.array([240, 240, 235], dtype=np.float32)
CENTRE = np.array([250, 205, 40], dtype=np.float32)
INFO_MARGIN_M = 2.5  # the info grid knows the nearest vertex this far beyond the edge


RGB = np.dtype("V3")  # one texel: 3 bytes R, G, B, gathered as a single item


def to_rgb8(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) colours in 0..255 (any dtype) -> (..., 3) uint8, rounded and clipped."""
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


@lru_cache(maxsize=4)
def _grass_tile(size: int = 256) -> np.ndarray:
    """A fixed, seamless grass texture (size, size, 3) uint8: blotches plus fine grain.

    The texture is part of the world's look, not of any episode, so it uses a fixed seed.
    """
    rng = np.random.default_rng(20261125)
    blotch = rng.normal(size=(size // 16, size // 16))
    blotch = np.kron(blotch, np.ones((16, 16)))
    for axis in (0, 1):  # box-blur the blotches (wrapping, so the tile is seamless)
        blotch = sum(np.roll(blotch, k, axis) for k in range(-8, 8)) / 16
    grain = rng.normal(size=(size, size))
    shade = 1.0 + 0.16 * blotch / blotch.std() + 0.07 * grain
    stripes = 1.0 + 0.05 * np.sign(np.sin(np.arange(size) * (2 * np.pi / 64)))[:, None]  # mown lanes
    return to_rgb8(GRASS[None, None, :] * (shade * stripes)[..., None])


@dataclass(frozen=True, eq=False)
class Raster:
    """A track drawn into arrays.

    Attributes:
        origin: world position [m] of pixel (0, 0)'s corner (x, y); rows grow with y.
        m_per_px: size of a level-0 pixel [m].
        texture: all mip levels of the colour texture, flattened and concatenated, one
            3-byte RGB texel per item (dtype RGB), so a camera pixel is one gather.
        level_shape: (levels, 2) rows and columns of each level.
        level_offset: (levels,) start of each level in `texture`.
        info: (rows, cols) int16 (int32 for tracks over ~16 km) at level 0: -1 far from
            the road, else 2 * nearest vertex + 1 if the pixel centre is on the road.
    """

    origin: tuple[float, float]
    m_per_px: float
    texture: np.ndarray
    level_shape: np.ndarray
    level_offset: np.ndarray
    info: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.texture.nbytes + self.info.nbytes

    def level(self, k: int) -> np.ndarray:
        """Level k of the texture as (rows, cols, 3) uint8 RGB (a view)."""
        rows, cols = self.level_shape[k]
        flat = self.texture[self.level_offset[k] : self.level_offset[k] + rows * cols]
        return flat.view(np.uint8).reshape(rows, cols, 3)


def _paint_table(w2: float, half: float, res: float, params: RasterParams):
    """Road coverage (q,) and paint colour (2, q, 3) per 1/64 m of |lateral offset|.

    Row 0 of the paint has no centre dash, row 1 has one. Coverage is the fraction of a
    pixel as wide as `res` that lies inside [a, b], which anti-aliases every line.
    """
    ad = (np.arange(int(half * 64) + 2) + 0.5) / 64

    def coverage(a, b):
        return np.clip((np.minimum(b, ad + res / 2) - np.maximum(a, ad - res / 2)) / res, 0.0, 1.0)[:, None]

    road = coverage(-1.0, w2)[:, 0]
    edge = coverage(w2 - 0.25 - params.edge_line_m, w2 - 0.25)
    centre = coverage(-1.0, params.centre_line_m / 2)
    plain = ASPHALT + (LINE - ASPHALT) * edge
    return road.astype(np.float32), np.stack([plain, plain + (CENTRE - ASPHALT) * centre]).astype(np.float32)


@dataclass(frozen=True)
class Layout:
    """Where a track's raster lies and how big it is, known before drawing it."""

    origin: tuple[float, float]
    rows: int
    cols: int
    level_shape: np.ndarray  # (L, 2)
    level_offset: np.ndarray  # (L,)
    info_dtype: type

    @property
    def texels(self) -> int:
        return int(self.level_shape.prod(1).sum())


def layout(track: Track, params: RasterParams = RasterParams()) -> Layout:
    res = params.m_per_px
    align = 2 ** (params.levels - 1)
    lo = np.minimum(track.left_edge.min(0), track.right_edge.min(0)) - params.margin_m
    hi = np.maximum(track.left_edge.max(0), track.right_edge.max(0)) + params.margin_m
    rows, cols = (np.ceil((hi - lo)[::-1] / res / align).astype(int) * align).tolist()
    shapes = np.array([(rows >> k, cols >> k) for k in range(params.levels)], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(shapes.prod(1))[:-1]]).astype(np.int64)
    dtype = np.int32 if 2 * track.n + 1 > np.iinfo(np.int16).max else np.int16
    return Layout((float(lo[0]), float(lo[1])), rows, cols, shapes, offsets, dtype)


def build(track: Track, params: RasterParams = RasterParams(), out: tuple[np.ndarray, np.ndarray] | None = None) -> Raster:
    """Draw `track`: grass, asphalt, white edge lines, a dashed yellow centre line.

    `out` (texture, info) are flat arrays of at least the layout's sizes to draw into (a
    slot of a RasterSet's pool); by default new arrays are made.
    """
    res = params.m_per_px
    lay = layout(track, params)
    lo = np.array(lay.origin)
    rows, cols, shapes, offsets = lay.rows, lay.cols, lay.level_shape, lay.level_offset
    if out is None:
        texture = np.empty(lay.texels, dtype=RGB)  # every level, one array
        info = np.full((rows, cols), -1, dtype=lay.info_dtype)
    else:
        texture = out[0][: lay.texels]
        info = out[1][: rows * cols].reshape(rows, cols)
        info.fill(-1)
    texels = texture.view(np.uint8).reshape(-1, 3)
    levels = [texels[o : o + r * c].reshape(r, c, 3) for o, (r, c) in zip(offsets, shapes)]
    base = levels[0]
    tile = _grass_tile()
    for y in range(0, rows, tile.shape[0]):
        for x in range(0, cols, tile.shape[1]):
            block = base[y : y + tile.shape[0], x : x + tile.shape[1]]
            block[...] = tile[: block.shape[0], : block.shape[1]]
    base_flat = base.reshape(-1, 3)

    # Splat the road band: samples spaced under half a pixel along the centreline (the
    # outside of a curve stretches them) and across it mark the pixels the road covers.
    # One sample per pixel survives, and the pixel's colour is computed exactly at its
    # centre, so lines are anti-aliased whatever the resolution.
    half = track.width_m / 2 + INFO_MARGIN_M
    u = np.arange(0.0, track.length_m, 0.4 * res, dtype=np.float64) / track.ds  # vertex units
    i = np.floor(u).astype(np.int64)
    f = (u - i)[:, None]
    i %= track.n
    j = (i + 1) % track.n
    c = (track.centerline[i] * (1 - f) + track.centerline[j] * f - lo) / res  # (a, 2) pixels
    nrm = (track.normal[i] * (1 - f) + track.normal[j] * f).astype(np.float32)
    across = (np.arange(-half, half + 1e-9, 0.65 * res) / res).astype(np.float32)  # (b,) pixels
    ix = (c[:, None, 0].astype(np.float32) + across * nrm[:, None, 0]).astype(np.int32).ravel()
    iy = (c[:, None, 1].astype(np.float32) + across * nrm[:, None, 1]).astype(np.int32).ravel()
    flat = iy * cols + ix
    scratch = np.empty(rows * cols, dtype=np.int32)
    scratch[flat] = np.arange(len(flat), dtype=np.int32)  # last writer wins ...
    keep = np.flatnonzero(scratch[flat] == np.arange(len(flat), dtype=np.int32))
    flat = flat[keep]  # ... one sample per covered pixel
    vertex = np.rint(u).astype(np.int64)[keep // len(across)] % track.n
    rel_x = ((ix[keep] + 0.5) * res + lo[0] - track.centerline[vertex, 0]).astype(np.float32)
    rel_y = ((iy[keep] + 0.5) * res + lo[1] - track.centerline[vertex, 1]).astype(np.float32)
    nv, tv = track.normal[vertex].astype(np.float32), track.tangent[vertex].astype(np.float32)
    ad = np.abs(rel_x * nv[:, 0] + rel_y * nv[:, 1])  # |lateral| [m]
    along = vertex * track.ds + rel_x * tv[:, 0] + rel_y * tv[:, 1]  # [m]
    w2 = track.width_m / 2
    info.fill(-1)
    info.ravel()[flat] = 2 * vertex + (ad <= w2)

    # Colours depend only on |lateral| and on whether a dash is painted there: look them
    # up in a table over |lateral| (1/64 m steps), then blend the few border pixels.
    q = np.minimum((ad * 64).astype(np.int32), int(half * 64) + 1)
    dash = (np.floor(along / params.dash_m) % 2 == 0).astype(np.int32)
    road_lut, paint_lut = _paint_table(w2, half, res, params)
    border = np.flatnonzero(road_lut[q] < 1.0)
    colour = to_rgb8(paint_lut)[dash, q]  # (m, 3)
    grass = base_flat[flat[border]]
    mix = road_lut[q[border], None]
    colour[border] = to_rgb8(grass + (paint_lut[dash[border], q[border]] - grass) * mix)
    base_flat[flat] = colour

    for k in range(1, params.levels):  # each mip level averages 2x2 pixels of the one before
        prev = levels[k - 1].reshape(shapes[k][0], 2, shapes[k][1], 2, 3)
        avg = prev[:, 0, :, 0].astype(np.uint16)
        avg += prev[:, 1, :, 0]
        avg += prev[:, 0, :, 1]
        avg += prev[:, 1, :, 1]
        avg += 2
        avg >>= 2
        levels[k][...] = avg
    if out is None:
        texture.setflags(write=False)
        info.setflags(write=False)
    return Raster(lay.origin, res, texture, shapes, offsets, info)


@dataclass(eq=False)
class RasterSet:
    """Several rasters in single arrays, so one gather serves N cars on N tracks.

    Texel k of car i's level l lives at `texture[level_offset[i, l] + row * cols + col]`
    and its info at `info[info_base[i] + row * info_shape[i, 1] + col]`.
    """

    rasters: tuple
    m_per_px: float
    origin: np.ndarray  # (N, 2) [m]
    texture: np.ndarray  # (T,) RGB texels of every level of every raster
    level_shape: np.ndarray  # (N, L, 2)
    level_offset: np.ndarray  # (N, L) start of each level in `texture`
    info: np.ndarray  # (I,) every info grid, flattened
    info_base: np.ndarray  # (N,)
    info_shape: np.ndarray  # (N, 2)

    @classmethod
    def of(cls, rasters) -> "RasterSet":
        """Join existing rasters (one raster is used as it is, without a copy)."""
        rasters = tuple(rasters)
        if len({r.m_per_px for r in rasters}) != 1:
            raise ValueError("rasters of one set must share m_per_px")
        tex_sizes = np.array([len(r.texture) for r in rasters], dtype=np.int64)
        info_sizes = np.array([r.info.size for r in rasters], dtype=np.int64)
        dtype = np.result_type(*[r.info.dtype for r in rasters])
        single = len(rasters) == 1
        texture = rasters[0].texture if single else np.concatenate([r.texture for r in rasters])
        info = rasters[0].info.ravel() if single else np.concatenate([r.info.ravel().astype(dtype) for r in rasters])
        starts = [np.concatenate([[0], np.cumsum(sizes)[:-1]]) for sizes in (tex_sizes, info_sizes)]
        return cls._tables(rasters, texture, info, starts[0], starts[1], tex_sizes, info_sizes)

    @classmethod
    def pooled(cls, tracks, params: RasterParams, reuse: dict | None = None, slack: float = 1.0) -> "RasterSet":
        """Draw every track straight into one pool (no second copy of the textures).

        Each car gets a slot `slack` times the size its track needs, so a later track that
        fits can be drawn in place (`redraw`). `reuse` maps id(track) -> an existing Raster
        to copy instead of drawing again.
        """
        lays = [layout(t, params) for t in tracks]
        tex_cap = np.array([int(l.texels * slack) for l in lays], dtype=np.int64)
        info_cap = np.array([int(l.rows * l.cols * slack) for l in lays], dtype=np.int64)
        dtype = np.int32 if any(l.info_dtype == np.int32 for l in lays) else np.int16
        texture = np.empty(int(tex_cap.sum()), dtype=RGB)
        info = np.empty(int(info_cap.sum()), dtype=dtype)
        tex_base = np.concatenate([[0], np.cumsum(tex_cap)[:-1]])
        info_base = np.concatenate([[0], np.cumsum(info_cap)[:-1]])
        rasters = []
        for i, (t, lay) in enumerate(zip(tracks, lays)):
            slot = (texture[tex_base[i] : tex_base[i] + tex_cap[i]], info[info_base[i] : info_base[i] + info_cap[i]])
            old = (reuse or {}).get(id(t))
            if old is not None and old.texture.shape[0] == lay.texels:
                slot[0][: lay.texels] = old.texture
                slot[1][: lay.rows * lay.cols] = old.info.ravel()
                rasters.append(Raster(old.origin, old.m_per_px, slot[0][: lay.texels], old.level_shape, old.level_offset, slot[1][: lay.rows * lay.cols].reshape(lay.rows, lay.cols)))
            else:
                rasters.append(build(t, params, out=slot))
        return cls._tables(rasters, texture, info, tex_base, info_base, tex_cap, info_cap)

    @classmethod
    def _tables(cls, rasters, texture, info, tex_base, info_base, tex_cap, info_cap) -> "RasterSet":
        rs = cls(
            rasters=tuple(rasters),
            m_per_px=rasters[0].m_per_px,
            origin=np.array([r.origin for r in rasters]),
            texture=texture,
            level_shape=np.stack([r.level_shape for r in rasters]),
            level_offset=np.stack([r.level_offset for r in rasters]) + tex_base[:, None],
            info=info,
            info_base=info_base,
            info_shape=np.array([r.info.shape for r in rasters]),
        )
        rs.slots = (tex_base, info_base, tex_cap, info_cap)
        return rs

    def redraw(self, i: int, track: Track, params: RasterParams) -> "RasterSet | None":
        """Draw `track` into car i's slot if it fits; returns the updated set, else None."""
        tex_base, info_base, tex_cap, info_cap = self.slots
        lay = layout(track, params)
        if lay.texels > tex_cap[i] or lay.rows * lay.cols > info_cap[i] or np.dtype(lay.info_dtype).itemsize > self.info.itemsize:
            return None
        slot = (self.texture[tex_base[i] : tex_base[i] + tex_cap[i]], self.info[info_base[i] : info_base[i] + info_cap[i]])
        rasters = list(self.rasters)
        rasters[i] = build(track, params, out=slot)
        return RasterSet._tables(rasters, self.texture, self.info, tex_base, info_base, tex_cap, info_cap)

    @property
    def nbytes(self) -> int:
        return self.texture.nbytes + self.info.nbytes

    @cached_property
    def info_limits(self) -> np.ndarray:
        """(N, 1, 1) complex: last column + 1j * last row of each info grid."""
        return ((self.info_shape[:, 1] - 1) + 1j * (self.info_shape[:, 0] - 1))[:, None, None]

    @cached_property
    def info_stride(self) -> np.ndarray:
        return self.info_shape[:, 1, None, None]

    @cached_property
    def info_start(self) -> np.ndarray:
        return self.info_base[:, None, None]
