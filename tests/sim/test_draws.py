"""sim.draws: numpy's default generator as kernels gives numpy's draws, bit for bit."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import draws
from sim.generate import generate

SEEDS = st.integers(0, 2**64 - 1)
RAW, HALF, RANDOM, UNIFORM, INTEGER, PERMUTATION = range(6)


@numba.njit
def _draw(bits, what):
    """One draw, compiled as the kernels that call sim.draws are (returned as floats)."""
    if what == RAW:
        v = draws.next_uint64(bits)
        return np.array([np.float64(v >> np.uint64(32)), np.float64(v & np.uint64(0xFFFFFFFF))])
    if what == HALF:
        return np.array([np.float64(draws.integer(bits, 0, 2**32 - 1))])
    if what == RANDOM:
        return np.array([draws.random(bits)])
    if what == UNIFORM:
        return np.array([draws.uniform(bits, -3.5, 7.25)])
    if what == INTEGER:
        return np.array([np.float64(draws.integer(bits, 3, 8))])
    return draws.permutation(bits, 11).astype(np.float64)


def _state(bits):
    w = [int(v) for v in bits]
    return w[0] << 64 | w[1], w[2] << 64 | w[3], w[4], w[5]


@settings(max_examples=200, deadline=None)
@given(SEEDS)
def test_a_seed_gives_default_rngs_state(seed):
    s = np.random.default_rng(seed).bit_generator.state
    assert _state(draws.seeded(seed)) == (s["state"]["state"], s["state"]["inc"], s["has_uint32"], s["uinteger"])


@settings(max_examples=50, deadline=None)
@given(SEEDS, st.lists(st.integers(RAW, PERMUTATION), max_size=60))
def test_every_draw_is_numpys(seed, calls):
    """Any sequence of draws, 64- and 32-bit ones mixed (numpy keeps half a draw for the next)."""
    bits, rng = draws.seeded(seed), np.random.default_rng(seed)
    for what in calls:
        got = _draw(bits, what).tolist()
        if what == RAW:
            raw = int(rng.bit_generator.random_raw())
            assert got == [raw >> 32, raw & 0xFFFFFFFF]
        elif what == HALF:  # a 32-bit draw: what integers() below 2**32 uses
            assert got == [rng.integers(0, 2**32 - 1)]
        elif what == RANDOM:
            assert got == [rng.random()]
        elif what == UNIFORM:
            assert got == [rng.uniform(-3.5, 7.25)]
        elif what == INTEGER:
            assert got == [rng.integers(3, 8)]
        else:
            assert got == rng.permutation(11).tolist()
    assert _state(bits) == _state(draws.bits_of(rng))


@numba.njit
def _uniforms(bits, low, high, n):
    return draws.uniforms(bits, low, high, n)


def test_many_draws_in_a_row_and_a_generators_state_in_and_out():
    rng = np.random.default_rng(2024)
    rng.random(3)
    rng.integers(0, 9)  # half a 64-bit draw kept
    bits = draws.bits_of(rng)
    expect = np.random.default_rng(2024)
    expect.random(3)
    expect.integers(0, 9)
    got = _uniforms(bits, 5.0, 45.0, 5000)
    assert np.array_equal(got, expect.uniform(5.0, 45.0, 5000))
    draws.put_back(bits, rng)
    assert rng.random() == expect.random()


def test_generating_from_a_seed_or_its_generator_is_the_same_and_moves_the_generator_on():
    rng = np.random.default_rng(7)
    a, b = generate(7), generate(rng)
    assert np.array_equal(a.centerline, b.centerline)
    assert rng.random() != np.random.default_rng(7).random()  # the draws were taken from it


@pytest.mark.parametrize("bad", [-1, 2**64])
def test_seeds_out_of_range_are_refused(bad):
    with pytest.raises(ValueError, match=r"2\*\*64"):
        draws.seeded(bad)
