"""numpy's default random generator as kernels, draw for draw and bit for bit.

`np.random.default_rng(seed)` hashes the seed with a SeedSequence into the 128-bit state
and increment of a PCG64 bit generator; each 64-bit draw steps the state (state x MULT +
inc, mod 2**128) and outputs the new state's XSL-RR mix. Track generation draws a few
hundred numbers per track, and building numpy's objects for that (the SeedSequence, the
Generator, and numba reading the Generator when a kernel is called) cost more than the
draws: here a generator is a small uint64 array a kernel steps itself.

`seeded(seed)` is `default_rng(seed)`'s bit generator for a seed of 0 to 2**64 - 1
(`seed_into` makes one inside a kernel); `bits_of(rng)` and `put_back(bits, rng)` carry a
numpy Generator's state in and out. The methods below repeat numpy's C code on it
(`random`, `uniform`, `integers` below 2**32, `permutation`). numba has no 128-bit integer
type, so the state is kept as two uint64 halves (`sim.jit.muladd128` multiplies them as
one 128-bit number). They are compiled into the kernels that call them
(`register_jitable`), not as kernels of their own: each kernel costs compile time on a
first run. tests/sim/test_draws.py compares thousands of draws with numpy's.
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from sim.jit import kernel, muladd128

# a generator: PCG64's state (high, low half), its increment (high, low), whether half a 64-bit
# draw is kept for the next 32-bit one, and that half (numpy's has_uint32 and uinteger)
STATE_HI, STATE_LO, INC_HI, INC_LO, HAS_HALF, HALF = range(6)
SIZE = 6

_M32 = np.uint64(0xFFFFFFFF)
_MULT_HI = np.uint64(2549297995355413924)  # PCG's 128-bit multiplier
_MULT_LO = np.uint64(4865540595714422341)
# SeedSequence's hash constants (numpy/random/bit_generator.pyx)
_INIT_A, _MULT_A = np.uint64(0x43B0D7E5), np.uint64(0x931E8875)
_INIT_B, _MULT_B = np.uint64(0x8B51F9DD), np.uint64(0x58F38DED)
_MIX_L, _MIX_R = np.uint64(0xCA01F9DD), np.uint64(0x4973F715)
_POOL = 4


@register_jitable
def _step(bits):
    """state = state x MULT + inc (mod 2**128)."""
    bits[STATE_HI], bits[STATE_LO] = muladd128(
        bits[STATE_HI], bits[STATE_LO], _MULT_HI, _MULT_LO, bits[INC_HI], bits[INC_LO]
    )


@register_jitable
def next_uint64(bits):
    """PCG64's next 64 bits: step, then XSL-RR of the new state."""
    _step(bits)
    hi = bits[STATE_HI]
    x = hi ^ bits[STATE_LO]
    rot = hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@register_jitable
def next_uint32(bits):
    """The next 32 bits: half a 64-bit draw, the other half kept for the next call (as numpy)."""
    if bits[HAS_HALF]:
        bits[HAS_HALF] = 0
        return bits[HALF]
    raw = next_uint64(bits)
    bits[HAS_HALF], bits[HALF] = 1, raw >> np.uint64(32)
    return raw & _M32


@register_jitable
def next_double(bits):
    """A float64 in [0, 1) from the next 53 bits (`Generator.random`)."""
    return np.float64(next_uint64(bits) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@register_jitable
def _hashmix(value, hash_const):
    """SeedSequence's hashmix on 32-bit words (kept in uint64s); returns (value, hash_const)."""
    value ^= hash_const
    hash_const = (hash_const * _MULT_A) & _M32
    value = (value * hash_const) & _M32
    return value ^ (value >> np.uint64(16)), hash_const


@register_jitable
def _mix(x, y):
    result = (((_MIX_L * x) & _M32) + np.uint64(0x100000000) - ((_MIX_R * y) & _M32)) & _M32
    return result ^ (result >> np.uint64(16))


@register_jitable
def seed_into(bits, seed):
    """`bits` = default_rng(seed)'s bit generator: SeedSequence(seed).generate_state(4, uint64)
    as PCG64's initial state and increment, then PCG64's seeding."""
    # SeedSequence's pool of 4 words, kept in bits[0:4] until PCG64's state takes their place
    # (no arrays to allocate: compiling allocations costs the first run time)
    h = _INIT_A
    for i in range(_POOL):  # the seed's 32-bit words, least significant first, padded with 0
        word = seed & _M32 if i == 0 else (seed >> np.uint64(32) if i == 1 else np.uint64(0))
        bits[i], h = _hashmix(word, h)
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                mixed, h = _hashmix(bits[src], h)
                bits[dst] = _mix(bits[dst], mixed)
    # generate_state(4, uint64): 8 words from the pool, paired into 64-bit values (little-endian)
    init_hi, init_lo, seq_hi, seq_lo = np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0)
    h = _INIT_B
    for i in range(8):
        value = bits[i % _POOL] ^ h
        h = (h * _MULT_B) & _M32
        value = (value * h) & _M32
        word = (value ^ (value >> np.uint64(16))) << np.uint64(32 * (i % 2))
        if i < 2:
            init_hi |= word
        elif i < 4:
            init_lo |= word
        elif i < 6:
            seq_hi |= word
        else:
            seq_lo |= word
    # PCG64's seeding: inc = initseq << 1 | 1; step from 0; add initstate; step
    bits[INC_HI] = (seq_hi << np.uint64(1)) | (seq_lo >> np.uint64(63))
    bits[INC_LO] = (seq_lo << np.uint64(1)) | np.uint64(1)
    bits[STATE_HI], bits[STATE_LO] = 0, 0
    _step(bits)
    one, zero = np.uint64(1), np.uint64(0)
    bits[STATE_HI], bits[STATE_LO] = muladd128(bits[STATE_HI], bits[STATE_LO], zero, one, init_hi, init_lo)
    _step(bits)
    bits[HAS_HALF], bits[HALF] = 0, 0


def checked_seed(seed: int) -> np.uint64:
    """`seed` as a uint64, or a ValueError saying what a seed can be."""
    if not 0 <= seed < 1 << 64:
        raise ValueError(f"seed {seed}: expected 0 to 2**64 - 1")
    return np.uint64(seed)


@kernel
def _seeded(bits, seed):
    seed_into(bits, seed)


def seeded(seed: int) -> np.ndarray:
    """The bit generator of `np.random.default_rng(seed)`, for a seed of 0 to 2**64 - 1. (A
    kernel that draws from a seed can seed it itself, `seed_into`, and save compiling this.)"""
    bits = np.empty(SIZE, dtype=np.uint64)
    _seeded(bits, checked_seed(seed))
    return bits


def bits_of(rng: np.random.Generator) -> np.ndarray:
    """A copy of numpy Generator `rng`'s PCG64 state, to draw from in kernels."""
    st = rng.bit_generator.state
    if st["bit_generator"] != "PCG64":
        raise ValueError(f"expected a Generator on PCG64 (np.random.default_rng), not one on {st['bit_generator']}")
    state, inc, mask = st["state"]["state"], st["state"]["inc"], (1 << 64) - 1
    words = (state >> 64, state & mask, inc >> 64, inc & mask, st["has_uint32"], st["uinteger"])
    return np.array(words, dtype=np.uint64)


def put_back(bits: np.ndarray, rng: np.random.Generator) -> None:
    """Leave `rng` where the draws from `bits` (taken by `bits_of(rng)`) ended."""
    w = [int(v) for v in bits]
    rng.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": w[STATE_HI] << 64 | w[STATE_LO], "inc": w[INC_HI] << 64 | w[INC_LO]},
        "has_uint32": w[HAS_HALF],
        "uinteger": w[HALF],
    }


# ---------------------------------------------------------------------- numpy's methods
# numpy's Generator methods as numpy's C code writes them: the same bits give the same draws,
# and compiling these takes a fraction of numba's own (rng.permutation alone compiles for ten
# seconds).


@register_jitable
def random(bits):
    """`rng.random()`."""
    return next_double(bits)


@register_jitable
def uniform(bits, low, high):
    """`rng.uniform(low, high)`."""
    return low + (high - low) * next_double(bits)


@register_jitable
def integer(bits, low, high):
    """`rng.integers(low, high)` for a range below 2**32: Lemire's bounded draw."""
    span = np.uint64(high - low)  # the values there are
    m = next_uint32(bits) * span
    leftover = m & _M32
    if leftover < span:
        threshold = (_M32 - (span - np.uint64(1))) % span
        while leftover < threshold:
            m = next_uint32(bits) * span
            leftover = m & _M32
    return low + np.int64(m >> np.uint64(32))


@register_jitable
def uniforms(bits, low, high, n):
    """`rng.uniform(low, high, n)`."""
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(bits, low, high)
    return out


@register_jitable
def permutation(bits, n):
    """`rng.permutation(n)`: a Fisher-Yates shuffle of 0..n-1 from the end."""
    out = np.arange(n)
    for i in range(n - 1, 0, -1):
        mask = np.uint64(i)
        for shift in (1, 2, 4, 8, 16, 32):
            mask |= mask >> np.uint64(shift)
        j = next_uint32(bits) & mask
        while j > np.uint64(i):
            j = next_uint32(bits) & mask
        out[i], out[j] = out[j], out[i]
    return out
