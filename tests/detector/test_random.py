"""Tests of the inline random-number generator of the kernels (darkscan.detector._random).

* reference vectors of SplitMix64 and xoshiro256++ (published outputs of the reference C
  implementations) and an independent pure-Python transcription of the ziggurat;
* compiled == ``py_func`` bit for bit;
* the samplers on state words (``uniform_s``, ``normal_s``) == the array samplers bit for bit;
* the ziggurat tables against the published constants of Marsaglia & Tsang (2000);
* statistics of uniforms, normals and exponentials with stated tolerances (n-sigma bounds
  from the sampling error of each statistic, or KS / chi2 p-values with fixed seeds).
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from scipy import stats

from darkscan.detector import _random as R
from darkscan.errors import ConfigError

MASK = (1 << 64) - 1
N_SIGMA = 4.5


# --------------------------------------------------------------------------- reference vectors


def test_splitmix64_reference_vector():
    # Vigna's splitmix64.c started at 0 (the published test vector, e.g. quoted by the
    # xoshiro authors' ports): 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f,
    # 0xf88bb8a8724c81ec
    x, out = 0, []
    for _ in range(4):
        x, z = R.splitmix64(x)
        out.append(z)
    assert out == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC]
    assert R.seed_state(0).tolist() == out


def test_xoshiro256pp_reference_vector():
    # outputs of the reference implementation xoshiro256plusplus.c from the state {1, 2, 3, 4}
    # (test vector of rust-random/rngs, rand_xoshiro/src/xoshiro256plusplus.rs)
    expected = [
        41943041,
        58720359,
        3588806011781223,
        3591011842654386,
        9228616714210784205,
        9973669472204895162,
        14011001112246962877,
        12406186145184390807,
        15849039046786891736,
        10450023813501588000,
    ]
    s = np.array([1, 2, 3, 4], dtype=np.uint64)
    assert [int(R.next_u64(s)) for _ in range(10)] == expected


def test_seed_validation():
    with pytest.raises(ConfigError, match=r"seed must be an integer in \[0, 2\^64\), got -1"):
        R.seed_state(-1)
    with pytest.raises(ConfigError, match="got 18446744073709551616"):
        R.seed_state(2**64)
    assert R.seed_states([1, 2]).shape == (2, 4)


class _PyXoshiro:
    """Independent transcription of xoshiro256plusplus.c (Blackman & Vigna 2021, Fig. 1) with
    Python integers."""

    def __init__(self, state):
        self.s = [int(x) for x in state]

    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK  # noqa: E731
        result = (rotl((s[0] + s[3]) & MASK, 23) + s[0]) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0**-53


def _py_normal(g, tab):
    """Marsaglia & Tsang's ziggurat written out plainly (same bit layout as the module)."""
    x_edge, f = tab["x"], tab["f"]
    r = tab["r"]
    while True:
        u64 = g.next()
        i, negative, m = u64 & 255, (u64 >> 8) & 1, u64 >> 11
        x = m * (x_edge[i] * 2.0**-53)
        if m < int(tab["k"][i]):
            return -x if negative else x
        if i == 0:
            while True:
                xt = -math.log1p(-g.uniform()) / r
                y = -math.log1p(-g.uniform())
                if y + y > xt * xt:
                    return -(r + xt) if negative else r + xt
        if f[i] + g.uniform() * (f[i + 1] - f[i]) < math.exp(-0.5 * x * x):
            return -x if negative else x


def _py_exponential(g, tab):
    x_edge, f = tab["x"], tab["f"]
    while True:
        u64 = g.next()
        i, m = u64 & 255, u64 >> 11
        x = m * (x_edge[i] * 2.0**-53)
        if m < int(tab["k"][i]):
            return x
        if i == 0:
            return tab["r"] - math.log1p(-g.uniform())
        if f[i] + g.uniform() * (f[i + 1] - f[i]) < math.exp(-x):
            return x


def test_compiled_equals_independent_python_transcription():
    """Bit for bit over 200k draws of each kind (the normal tail path, probability 2.6e-4
    per draw, is taken ~50 times). The reference divides by r where the module multiplies
    by a rounded 1/r, so tail values may differ in the last bit: compared to 1 ulp."""
    n = 200_000
    for kind, fill, ref in (
        ("uniform", R.fill_uniform, lambda g: g.uniform()),
        ("normal", R.fill_normal, lambda g: _py_normal(g, R.NORMAL_TABLES)),
        ("exponential", R.fill_exponential, lambda g: _py_exponential(g, R.EXPONENTIAL_TABLES)),
    ):
        state = R.seed_state(2026)
        fast = fill(state.copy(), n)
        g = _PyXoshiro(state)
        slow = np.array([ref(g) for _ in range(n)])
        tail = np.abs(fast) > R.NORMAL_CUTOFF_256 if kind == "normal" else np.zeros(n, bool)
        assert np.array_equal(fast[~tail], slow[~tail]), kind
        np.testing.assert_array_max_ulp(fast[tail], slow[tail], maxulp=1)
        if kind == "normal":
            assert tail.sum() > 20


def test_compiled_equals_py_func():
    """The numba functions and their plain-Python execution (py_func) draw the same numbers
    and leave the same state."""
    a, b = R.seed_state(99), R.seed_state(99)
    with np.errstate(over="ignore"):
        for _ in range(3000):
            for fn in (R.uniform, R.normal, R.exponential):
                assert fn(a) == fn.py_func(b)
        assert R.next_u64(a) == R.next_u64.py_func(b)
    assert np.array_equal(a, b)
    # the slow paths too: a state whose next normal goes through the tail
    s = R.seed_state(5)
    z = R.fill_normal(s.copy(), 100_000)
    k = int(np.argmax(np.abs(z) > R.NORMAL_CUTOFF_256))
    R.fill_normal(s, k)
    with np.errstate(over="ignore"):
        assert R.normal.py_func(s.copy()) == R.normal(s) == z[k]


# --------------------------------------------------------------------------- tables


def test_ziggurat_cutoffs_reproduce_published_constants():
    # Marsaglia & Tsang (2000), J. Stat. Softw. 5(8), code of zigset(): normal with 128
    # layers dn = 3.442619855899, vn = 9.91256303526217e-3; exponential with 256 layers
    # de = 7.697117470131487, ve = 3.949659822581572e-3
    assert R.ziggurat_cutoff("normal", 128) == pytest.approx(3.442619855899, abs=1e-11)
    assert R.ziggurat_tables("normal", 3.442619855899, 128)["v"] == pytest.approx(
        9.91256303526217e-3, rel=1e-10
    )
    r_exp = R.ziggurat_cutoff("exponential", 256)
    assert r_exp == pytest.approx(7.697117470131487, abs=1e-12)
    assert R.EXPONENTIAL_TABLES["v"] == pytest.approx(3.949659822581572e-3, rel=1e-12)
    # 256-layer normal: r = 3.6541528853610088, v = 4.92867323399e-3 (numpy's
    # ziggurat_constants.h; Marsaglia & Tsang's construction with 256 layers)
    assert R.ziggurat_cutoff("normal", 256) == pytest.approx(R.NORMAL_CUTOFF_256, abs=1e-12)
    assert R.NORMAL_TABLES["v"] == pytest.approx(4.92867323399e-3, rel=1e-11)


@pytest.mark.parametrize("tab", [R.NORMAL_TABLES, R.EXPONENTIAL_TABLES], ids=["nor", "exp"])
def test_ziggurat_layers_have_equal_area_and_close_at_the_top(tab):
    x, f, v = tab["x"], tab["f"], tab["v"]
    n = x.size - 1
    areas = x[:n] * np.diff(f)  # layer i: width x_i, height f(x_{i+1}) - f(x_i)
    areas[0] = x[0] * f[1]  # base layer: width v/f(r), height f(r)
    np.testing.assert_allclose(areas, v, rtol=1e-9)
    assert x[n] == 0.0 and f[n] == 1.0 and np.all(np.diff(x[1:]) < 0)
    # inner-rectangle thresholds: k_i / 2^53 = x_{i+1} / x_i
    np.testing.assert_allclose(tab["k"].astype(float) * 2.0**-53, x[1:] / x[:n], atol=2e-16)


# --------------------------------------------------------------------------- statistics


def _within(value, expected, sigma):
    return abs(value - expected) <= N_SIGMA * sigma


def test_uniform_equidistribution_and_range():
    n = 1_000_000
    u = R.fill_uniform(R.seed_state(11), n)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert np.all(u * 2.0**53 == np.floor(u * 2.0**53))  # on the 2^-53 grid
    counts = np.bincount((u * 1000).astype(int), minlength=1000)
    assert stats.chisquare(counts).pvalue > 1e-3  # fixed seed
    pairs = np.bincount(
        (u[0::2] * 32).astype(int) * 32 + (u[1::2] * 32).astype(int), minlength=1024
    )
    assert stats.chisquare(pairs).pvalue > 1e-3  # 2-d equidistribution of successive pairs
    assert _within(u.mean(), 0.5, math.sqrt(1 / 12 / n))


def test_normal_moments_ks_and_tails():
    n = 4_000_000
    z = R.fill_normal(R.seed_state(12), n)
    # sampling errors of the moments of a standard normal: mean 1/sqrt(n), variance
    # sqrt(2/n), skewness sqrt(6/n), excess kurtosis sqrt(24/n)
    assert _within(z.mean(), 0.0, math.sqrt(1 / n))
    assert _within(z.var(), 1.0, math.sqrt(2 / n))
    assert _within(stats.skew(z), 0.0, math.sqrt(6 / n))
    assert _within(stats.kurtosis(z), 0.0, math.sqrt(24 / n))
    assert stats.kstest(z[:1_000_000], "norm").pvalue > 1e-3
    # tails: P(|z| > 3) = erfc(3/sqrt 2) = 2.6998e-3, P(|z| > 4) = 6.3342e-5 (exact)
    for c in (3.0, 4.0, R.NORMAL_CUTOFF_256):
        p = math.erfc(c / math.sqrt(2.0))
        k = int(np.sum(np.abs(z) > c))
        assert _within(k, n * p, math.sqrt(n * p)), c
    # the tail sampler: |z| beyond r follows the normal truncated at r (KS)
    t = np.abs(z[np.abs(z) > R.NORMAL_CUTOFF_256])
    assert t.size > 500
    assert stats.kstest(t, stats.truncnorm(R.NORMAL_CUTOFF_256, np.inf).cdf).pvalue > 1e-3
    # symmetric: as many negative as positive values
    assert _within(int(np.sum(z < 0)), n / 2, math.sqrt(n / 4))


def test_exponential_mean_ks_and_tail():
    n = 2_000_000
    x = R.fill_exponential(R.seed_state(13), n)
    assert x.min() >= 0.0
    assert _within(x.mean(), 1.0, math.sqrt(1 / n))
    assert _within(x.var(), 1.0, math.sqrt(8 / n))  # var of s^2 for Exp(1): (mu4 - 1)/n = 8/n
    assert stats.kstest(x[:1_000_000], "expon").pvalue > 1e-3
    for c in (3.0, R.EXPONENTIAL_CUTOFF_256, 10.0):  # P(x > c) = exp(-c)
        p = math.exp(-c)
        assert _within(int(np.sum(x > c)), n * p, math.sqrt(n * p)), c


def test_streams_from_different_seeds_are_independent():
    n = 500_000
    se = 1 / math.sqrt(n)  # sampling error of a correlation coefficient of independent data
    a = R.fill_normal(R.seed_state(1), n)
    b = R.fill_normal(R.seed_state(2), n)  # adjacent seeds: SplitMix64 decorrelates them
    assert _within(np.corrcoef(a, b)[0, 1], 0.0, se)
    assert _within(np.corrcoef(a[:-1], a[1:])[0, 1], 0.0, se)  # lag-1 within a stream
    u = R.fill_uniform(R.seed_state(3), n)
    v = R.fill_uniform(R.seed_state(4), n)
    assert _within(np.corrcoef(u, v)[0, 1], 0.0, se)
    assert not np.array_equal(R.seed_state(1), R.seed_state(2))


# --------------------------------------------------------------------------- state in registers


@numba.njit(cache=True)
def _draws_on_words(state, n, kind):  # pragma: no cover - numba
    """``n`` draws of uniform_s (kind 0) or normal_s (kind 1) on the words of ``state``
    (compiled, as the kernels call them), next to the array samplers on a copy: values of
    both and the states after every draw."""
    s = state.copy()
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    out = np.empty((2, n))
    words = np.empty((2, n, 4), dtype=np.uint64)
    for k in range(n):
        if kind == 0:
            x, s0, s1, s2, s3 = R.uniform_s(s0, s1, s2, s3)
            out[1, k] = R.uniform(s)
        else:
            x, s0, s1, s2, s3 = R.normal_s(s0, s1, s2, s3)
            out[1, k] = R.normal(s)
        out[0, k] = x
        words[0, k, 0], words[0, k, 1], words[0, k, 2], words[0, k, 3] = s0, s1, s2, s3
        words[1, k] = s
    return out, words


@pytest.mark.parametrize("kind", [0, 1], ids=["uniform_s", "normal_s"])
def test_samplers_on_state_words_equal_array_samplers(kind):
    """uniform_s / normal_s (state in four words) give the numbers and new states of
    uniform / normal (state array) bit for bit, draw after draw: compiled over 300k draws
    (the normal's wedge and tail paths are taken ~4500 and ~80 times; each draw that does
    not accept the first point advances the stream by more than one step), and as plain
    Python (as the kernel's py_func runs them) over 3000 draws from a state whose normal
    goes through the tail."""
    n = 300_000
    state = R.seed_state(2027)
    out, words = _draws_on_words(state, n, kind)
    assert np.array_equal(out[0], out[1]) and np.array_equal(words[0], words[1])
    if kind == 1:
        # draws that took the slow path: the state moved by more than one xoshiro step
        prev = np.vstack([state[None, :], words[1, :-1]])
        one_step = np.array([R.xoshiro_step(*w)[1:] for w in prev[:20_000]], dtype=np.uint64)
        slow = np.any(one_step != words[1, :20_000], axis=1)
        assert 150 < slow.sum() < 600  # 1.5 % of 20k draws (Marsaglia & Tsang 2000)
        assert np.sum(np.abs(out[0]) > R.NORMAL_CUTOFF_256) > 40  # tail: P = 2.6e-4
    # plain Python execution (register_jitable functions called from Python)
    s = R.seed_state(5)
    z = R.fill_normal(s.copy(), 100_000)
    k = int(np.argmax(np.abs(z) > R.NORMAL_CUTOFF_256))  # a tail draw within reach
    a = s.copy()
    words_py = [np.uint64(w) for w in s]
    fn, ref = (R.uniform_s, R.uniform) if kind == 0 else (R.normal_s, R.normal)
    with np.errstate(over="ignore"):
        for _ in range(max(k + 10, 3000)):
            x, *words_py = fn(*words_py)
            assert x == ref(a)
            assert [int(w) for w in words_py] == [int(w) for w in a]
