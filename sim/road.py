"""Drawing a track's road into its raster: the compiled rules `sim.raster.Raster` calls.

`draw_road` samples the road's band and colours the pixels it covers; `_band_blocks`
finds the blocks of pixels the band can reach (where pixel owners are kept);
`_near_segments` picks the segments a camera pose may see; `_halve_block` recomputes a
block's mip levels.
"""

from __future__ import annotations

import math

import numpy as np

from sim.jit import kernel

OWNER_BLOCK = 8  # owners are kept in blocks of this many pixels square, only where segments can draw
ALONG_STEP_PX = 0.4  # road samples along the centreline, in pixels (the outside of a curve stretches them)
ACROSS_STEP_PX = 0.65  # and across it: under a pixel, so every covered pixel gets a sample


@kernel
def _near_segments(centre, radius_m, drawn, x, y, heading, reach_m, margin_m, behind_m, ahead_m):
    """Segments not drawn yet that may be seen from (x, y, heading): within `reach_m` plus
    `margin_m` plus their own radius, and no further than `behind_m` (plus the same) behind;
    when there are any, those a further `ahead_m` away too."""
    c, s = math.cos(heading), math.sin(heading)
    out = np.empty(len(centre), dtype=np.int64)
    for extra in (0.0, ahead_m):
        m = 0
        for j in range(len(centre)):
            if drawn[j]:
                continue
            dx, dy = centre[j].real - x, centre[j].imag - y
            margin = margin_m + radius_m[j]
            if math.hypot(dx, dy) <= reach_m + margin + extra and dx * c + dy * s >= -(behind_m + margin):
                out[m] = j
                m += 1
        if m == 0 or ahead_m <= 0:
            break
    return out[:m]


@kernel
def draw_road(
    segs,
    size,
    centerline,
    normal,
    tangent,
    ds,
    w2,
    half,
    origin,
    m_per_px,
    owner_blocks,
    owner,
    edge_mode,
    centre_mode,
    dash_m,
    road_lut,
    paint_lut,
    paint_rgb8,
    tile,
    texels,
    level_shape,
    level_offset,
    block_rows,
    block_cols,
    scratch,
):
    """Draw segments `segs` (ascending) of a track's road into its texture.

    Samples spaced under a pixel along the centreline (vertex v's span is v - 0.5 to
    v + 0.5) and across it (the road and INFO_MARGIN_M beyond each edge) mark the pixels
    the band covers. A pixel belongs to the vertex of the last sample that reaches it,
    unless a later segment along the track drew it already (`owner`), so any drawing order
    gives one picture. Then each pixel drawn is coloured once, exactly at its centre, from
    |lateral offset| through the paint tables (1/64 m steps), blended with the grass tile
    at the road's border, so lines are anti-aliased. Every mip level is then recomputed
    over the touched blocks.

    Args: centerline, normal, tangent (n, 2), ds [m], w2 = half the width and `half` the
        band's half width [m]; origin (2,) [m]; owner_blocks, owner: the Raster's; edge_mode,
        centre_mode: MARKING_MODES; road_lut, paint_lut, paint_rgb8: `_paint_table`;
        tile: the grass tile's level 0; texels: the texture as bytes; level_shape (L, 2),
        level_offset (L,); block_rows, block_cols: (blocks,) where each owner block lies;
        scratch: int32, one per owner pixel, all -1 (left so).
    """
    n = len(centerline)
    rows, cols = level_shape[0, 0], level_shape[0, 1]
    per_vertex = int(np.ceil(1.0 / (ALONG_STEP_PX * m_per_px / ds)))
    step = ACROSS_STEP_PX * m_per_px
    count = int(np.ceil((2 * half + 1e-9) / step))  # np.arange(-half, half + 1e-9, step)'s length
    across = np.empty(count, dtype=np.float32)
    for b in range(count):
        across[b] = np.float32((-half + b * step) / m_per_px)
    drawn = np.empty(len(segs) * size * per_vertex * count, dtype=np.int64)  # pixels, each once
    m = 0
    for seg in segs:
        mark = np.uint8(seg + 1)
        for vertex in range(seg * size, min((seg + 1) * size, n)):
            for a in range(per_vertex):
                u = vertex + ((a + 0.5) / per_vertex - 0.5)
                i = int(np.floor(u))
                f = u - i
                i %= n
                j = (i + 1) % n
                cx = np.float32((centerline[i, 0] * (1 - f) + centerline[j, 0] * f - origin[0]) / m_per_px)
                cy = np.float32((centerline[i, 1] * (1 - f) + centerline[j, 1] * f - origin[1]) / m_per_px)
                mx = np.float32(normal[i, 0] * (1 - f) + normal[j, 0] * f)
                my = np.float32(normal[i, 1] * (1 - f) + normal[j, 1] * f)
                for b in range(count):
                    px, py = int(cx + across[b] * mx), int(cy + across[b] * my)
                    block = owner_blocks[py // OWNER_BLOCK, px // OWNER_BLOCK]
                    at = (py % OWNER_BLOCK) * OWNER_BLOCK + px % OWNER_BLOCK
                    if owner[block, at] > mark:
                        continue  # a later segment's pixel
                    owner[block, at] = mark
                    pixel = block * OWNER_BLOCK * OWNER_BLOCK + at
                    if scratch[pixel] < 0:
                        drawn[m] = pixel
                        m += 1
                    scratch[pixel] = vertex
    levels = len(level_shape)
    blk = 2 ** (levels - 1)
    bcols = cols // blk
    touched = np.zeros((rows // blk) * bcols, dtype=np.bool_)
    q_max = int(half * 64) + 1
    for k in range(m):
        pixel = drawn[k]
        vertex = scratch[pixel]
        scratch[pixel] = -1
        block, at = pixel // (OWNER_BLOCK * OWNER_BLOCK), pixel % (OWNER_BLOCK * OWNER_BLOCK)
        py, px = block_rows[block] * OWNER_BLOCK + at // OWNER_BLOCK, block_cols[block] * OWNER_BLOCK + at % OWNER_BLOCK
        flat = py * cols + px
        rel_x = np.float32((px + 0.5) * m_per_px + origin[0] - centerline[vertex, 0])
        rel_y = np.float32((py + 0.5) * m_per_px + origin[1] - centerline[vertex, 1])
        ad = abs(rel_x * np.float32(normal[vertex, 0]) + rel_y * np.float32(normal[vertex, 1]))  # |lateral| [m]
        along = vertex * ds + rel_x * np.float32(tangent[vertex, 0]) + rel_y * np.float32(tangent[vertex, 1])  # [m]
        q = min(int(ad * np.float32(64)), q_max)
        dash = 1 if np.floor(along / dash_m) % 2 == 0 else 0
        centre_on = dash if centre_mode == 2 else centre_mode
        edge_off = 1 - dash if edge_mode == 2 else 1 - edge_mode
        style = 2 * edge_off + centre_on
        t = 3 * flat  # level 0 starts the texture
        mix = road_lut[q]
        for ch in range(3):
            if mix < 1.0:  # the border: blend with the grass tile
                grass = np.float32(tile[py % tile.shape[0], px % tile.shape[1], ch])
                v = np.rint(grass + (paint_lut[style, q, ch] - grass) * mix)
                texels[t + ch] = np.uint8(min(max(v, 0.0), 255.0))
            else:
                texels[t + ch] = paint_rgb8[style, q, ch]
        touched[(py // blk) * bcols + px // blk] = True
    for block in np.flatnonzero(touched):
        _halve_block(texels, block // bcols, block % bcols, blk, level_shape, level_offset)


@kernel
def _band_blocks(centerline, reach_m, origin, m_per_px, rows, cols):
    """The owner blocks the road's band can reach: every block that meets the bounding
    square of radius `reach_m` [m] around a centreline vertex (centerline (n, 2) [m]).
    Returns the (rows / OWNER_BLOCK, cols / OWNER_BLOCK) int32 table of their rows in an
    owner array, -1 elsewhere, and how many there are."""
    b_rows, b_cols = -(-rows // OWNER_BLOCK), -(-cols // OWNER_BLOCK)
    table = np.full((b_rows, b_cols), -1, dtype=np.int32)
    r = reach_m / m_per_px + 1.0  # [px], a pixel more for rounding
    for v in range(len(centerline)):
        cx, cy = (centerline[v, 0] - origin[0]) / m_per_px, (centerline[v, 1] - origin[1]) / m_per_px
        c0, c1 = max(int(cx - r) // OWNER_BLOCK, 0), min(int(cx + r) // OWNER_BLOCK, b_cols - 1)
        r0, r1 = max(int(cy - r) // OWNER_BLOCK, 0), min(int(cy + r) // OWNER_BLOCK, b_rows - 1)
        for br in range(r0, r1 + 1):
            for bc in range(c0, c1 + 1):
                table[br, bc] = 0
    count = 0
    for br in range(b_rows):
        for bc in range(b_cols):
            if table[br, bc] == 0:
                table[br, bc] = count
                count += 1
    return table, count


@kernel
def _halve_block(texels, by, bx, blk, level_shape, level_offset):
    """Recompute mip levels 1.. of one aligned block of level-0 pixels: each pixel the
    rounded mean of the 2x2 pixels below it (as `_halve`)."""
    for k in range(1, len(level_shape)):
        h = blk >> k  # the block's side at level k
        src_cols, dst_cols = level_shape[k - 1, 1], level_shape[k, 1]
        for r in range(by * h, by * h + h):
            for c in range(bx * h, bx * h + h):
                dst = 3 * (level_offset[k] + r * dst_cols + c)
                a = 3 * (level_offset[k - 1] + (2 * r) * src_cols + 2 * c)
                b = a + 3 * src_cols
                for ch in range(3):
                    total = np.uint16(texels[a + ch]) + texels[a + 3 + ch] + texels[b + ch] + texels[b + 3 + ch] + 2
                    texels[dst + ch] = np.uint8(total >> 2)
