"""Inline random numbers for the numba kernels: xoshiro256++ with ziggurat normals and exponentials.

The fused fast-simulation kernel (:mod:`darkscan.detector._kernels`) draws about 30 numbers
per event. Drawing them from a ``numpy.random.Generator`` inside numba goes through an
indirect call into the bit generator per draw (about 3.6 ns each); the functions here keep
the whole generator in a few lines of integer arithmetic that the compiler inlines into the
kernel (about 1 ns per uniform or normal).

Generator
    xoshiro256++ (Blackman & Vigna 2021): 256 bits of state in a ``uint64`` array of length 4
    (one array per independent stream), period 2^256 - 1, equidistributed in 4 dimensions,
    passing BigCrush and PractRand. :func:`next_u64` is the reference ``next()`` of the
    paper, step for step.
Seeding
    :func:`seed_state` fills the four words with four consecutive outputs of SplitMix64
    (Steele, Lea & Flood 2014) started at one 64-bit integer, as Blackman & Vigna recommend
    (SplitMix64 is a bijection of its counter, so the state is never all zero, and nearby
    seeds give unrelated states). In the fast simulation each stage's integer is drawn from
    that stage's ``numpy.random.Generator``, so the numpy seeding (``SeedSequence``,
    chunking, reproducibility) is unchanged.
Uniform
    :func:`uniform`: the top 53 bits times 2^-53, a double in [0, 1) on the grid k 2^-53.
Normal
    :func:`normal`: the ziggurat of Marsaglia & Tsang (2000) with 256 layers of equal area
    ``v`` under ``f(x) = exp(-x^2/2)``: one 64-bit output gives the layer (bits 0-7), the sign
    (bit 8) and a 53-bit fraction (bits 11-63), so layer, sign and abscissa are independent
    (the flaw of the original code, where the layer came from the same bits as the abscissa,
    pointed out by Leong et al. 2005, does not arise). In 98.5% of the draws the point
    falls inside the layer's inner rectangle and one integer comparison accepts it; otherwise
    the wedge is tested against ``f`` with a second uniform, and the base layer's tail
    ``|x| > r`` is sampled exactly by Marsaglia's method (1964): ``x = -ln(U1)/r``,
    ``y = -ln(U2)`` until ``2y > x^2``, giving ``r + x``.
Exponential
    :func:`exponential`: the same ziggurat under ``f(x) = exp(-x)`` (256 layers, no sign
    bit; 97.8% of the draws accepted by the integer comparison); the tail beyond ``r`` is ``r``
    plus a fresh standard exponential (memorylessness), drawn by inversion ``-log1p(-u)``.

Tables: the layer edges ``x_i`` follow from the published recurrence (Marsaglia & Tsang 2000,
sec. 2): with ``x_1 = r`` and the common area ``v = r f(r) + int_r^inf f``, the base layer has
width ``x_0 = v / f(r)`` and ``f(x_{i+1}) = f(x_i) + v / x_i``, ``x_256 = 0``. They are computed
at import in float64 from ``r`` (:func:`ziggurat_tables`); ``r`` is the root that makes the top
layer close at ``f = 1`` (:func:`ziggurat_cutoff`; for 256 layers r = 3.6541528853610088 for the
normal, the value numpy's ziggurat uses, and r = 7.697117470131487 for the exponential, as in
Marsaglia & Tsang's code; the tests reproduce these and their 128-layer normal). Per layer the kernels keep ``k_i = floor(2^53 x_{i+1} / x_i)`` (inner
rectangle test on the integer fraction), ``w_i = x_i 2^-53`` (the abscissa ``m w_i``) and
``f_i = f(x_i)`` (wedge test).

All functions are numba-compiled; their ``py_func`` is the plain-Python execution of the same
source on numpy ``uint64`` scalars (run it under ``numpy.errstate(over="ignore")``: the 64-bit
additions and multiplications wrap by design), and gives the same numbers bit for bit
(``tests/detector/test_random.py``).

References
----------
D. Blackman, S. Vigna, "Scrambled linear pseudorandom number generators", ACM Trans. Math.
Softw. 47 (2021) 36, arXiv:1805.01407 (xoshiro256++, sec. 10 and Fig. 1; seeding with
SplitMix64, sec. 11).
G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom number generators", OOPSLA
2014, doi:10.1145/2660193.2660195 (SplitMix64).
G. Marsaglia, W. W. Tsang, "The ziggurat method for generating random variables", J. Stat.
Softw. 5 (2000) 8, doi:10.18637/jss.v005.i08 (ziggurat, tables, tail).
G. Marsaglia, "Generating a variable from the tail of the normal distribution",
Technometrics 6 (1964) 101 (tail method).
P. H. W. Leong, G. Zhang, D.-U. Lee, W. Luk, J. D. Villasenor, "A comment on the
implementation of the ziggurat method", J. Stat. Softw. 12 (2005) 7 (independent bits for
layer and abscissa).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba.extending import register_jitable

from darkscan.errors import ConfigError

__all__ = [
    "EXPONENTIAL_TABLES",
    "JIT_OPTIONS",
    "NORMAL_TABLES",
    "exponential",
    "fill_exponential",
    "fill_normal",
    "fill_uniform",
    "next_u64",
    "normal",
    "normal_s",
    "seed_state",
    "seed_states",
    "splitmix64",
    "uniform",
    "uniform_s",
    "xoshiro_step",
    "ziggurat_cutoff",
    "ziggurat_tables",
]

_MASK64 = (1 << 64) - 1
_N_LAYERS = 256
_TWO53 = 9007199254740992.0
_TWO_M53 = 1.0 / _TWO53

#: published 256-layer cutoffs (Marsaglia & Tsang 2000; numpy's ziggurat_constants.h)
NORMAL_CUTOFF_256 = 3.6541528853610088
EXPONENTIAL_CUTOFF_256 = 7.697117470131487

# uint64 constants: numba keeps global numpy scalars as typed constants, so every operation
# below stays in uint64 (mixing a Python int would promote to float64 or int64)
_U1 = np.uint64(1)
_U8 = np.uint64(8)
_U11 = np.uint64(11)
_U17 = np.uint64(17)
_U23 = np.uint64(23)
_U41 = np.uint64(41)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_U255 = np.uint64(255)


# --------------------------------------------------------------------------- seeding


def splitmix64(x: int) -> tuple[int, int]:
    """One SplitMix64 step: the next counter and its 64-bit output (Python integers).

    Steele, Lea & Flood (2014); constants as in Vigna's reference ``splitmix64.c``.

    >>> hex(splitmix64(0)[1])
    '0xe220a8397b1dcdaf'
    """
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x, z ^ (z >> 31)


def seed_state(seed: int) -> np.ndarray:
    """xoshiro256++ state (uint64 array of 4) from one integer in [0, 2^64) via SplitMix64.

    >>> seed_state(0)[0] == np.uint64(0xE220A8397B1DCDAF)
    np.True_
    """
    x = int(seed)
    if not 0 <= x <= _MASK64:
        raise ConfigError(f"xoshiro256++ seed must be an integer in [0, 2^64), got {seed}")
    out = np.empty(4, dtype=np.uint64)
    for k in range(4):
        x, out[k] = splitmix64(x)
    return out


def seed_states(seeds) -> np.ndarray:
    """States (uint64 array (n, 4)) of ``n`` independent streams, one per integer seed."""
    seeds = list(seeds)
    out = np.empty((len(seeds), 4), dtype=np.uint64)
    for i, s in enumerate(seeds):
        out[i] = seed_state(s)
    return out


# --------------------------------------------------------------------------- xoshiro256++
# The samplers are compiled without the numba runtime (``_nrt=False``): they never allocate,
# and with the runtime numba brackets every call that takes the state array by an atomic
# reference-count increment and decrement (about 10 ns, ten times the draw itself).
# ``_nrt`` is an option of numba's CPU target (numba.core.cpu.CPUTargetOptions) that is not
# part of the documented API: used where that target knows it, left out (slower, same
# numbers) where a numba version does not.
#: numba options of the samplers (``cache``, ``error_model`` and, where numba's CPU target
#: knows it, ``_nrt=False``); the kernels' block passes reuse the ``_nrt`` setting.
JIT_OPTIONS = {"cache": True, "error_model": "numpy"}
try:
    from numba.core.cpu import CPUTargetOptions as _CPUTargetOptions

    if hasattr(_CPUTargetOptions, "_nrt"):
        JIT_OPTIONS["_nrt"] = False
except ImportError:  # pragma: no cover - numba layouts without numba.core.cpu
    pass


@numba.njit(**JIT_OPTIONS)
def xoshiro_step(s0, s1, s2, s3):  # pragma: no cover - numba
    """One xoshiro256++ step on the state words: (output, new s0, s1, s2, s3).

    Blackman & Vigna (2021), Fig. 1 (``next()``), with ``rotl(x, k) = (x << k) | (x >> (64 -
    k))``; all words uint64, additions modulo 2^64.
    """
    a = s0 + s3
    result = ((a << _U23) | (a >> _U41)) + s0  # rotl(s0 + s3, 23) + s0
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)  # rotl(s3, 45)
    return result, s0, s1, s2, s3


@numba.njit(**JIT_OPTIONS)
def next_u64(s):  # pragma: no cover - numba
    """Next 64-bit output of the xoshiro256++ stream with state ``s`` (advances ``s``).

    >>> s = np.array([1, 2, 3, 4], dtype=np.uint64)   # reference vector of xoshiro256plusplus.c
    >>> [int(next_u64(s)) for _ in range(3)]
    [41943041, 58720359, 3588806011781223]
    """
    r, s[0], s[1], s[2], s[3] = xoshiro_step(s[0], s[1], s[2], s[3])
    return r


@numba.njit(**JIT_OPTIONS)
def uniform(s):  # pragma: no cover - numba
    """Uniform double in [0, 1): the top 53 bits of :func:`next_u64` times 2^-53.

    >>> s = seed_state(7)
    >>> 0.0 <= uniform(s) < 1.0
    True
    """
    r, s[0], s[1], s[2], s[3] = xoshiro_step(s[0], s[1], s[2], s[3])
    return np.float64(r >> _U11) * _TWO_M53


# --------------------------------------------------------------------------- ziggurat tables


def _normal_f(x):
    return math.exp(-0.5 * x * x)


def _normal_f_inv(y):
    return math.sqrt(-2.0 * math.log(y))


def _normal_tail(r):
    return math.sqrt(0.5 * math.pi) * math.erfc(r / math.sqrt(2.0))


def _exponential_f(x):
    return math.exp(-x)


def _exponential_f_inv(y):
    return -math.log(y)


def _exponential_tail(r):
    return math.exp(-r)


_DENSITIES = {
    "normal": (_normal_f, _normal_f_inv, _normal_tail),
    "exponential": (_exponential_f, _exponential_f_inv, _exponential_tail),
}


def _edges(density: str, r: float, n: int) -> tuple[np.ndarray, float, float]:
    """Layer edges x_0..x_n from the recurrence (x_n not yet set), the area v and the
    closure residual f(x_{n-1}) + v/x_{n-1} - 1 (positive: r too small)."""
    f, f_inv, tail = _DENSITIES[density]
    v = r * f(r) + tail(r)
    x = np.zeros(n + 1)
    x[0] = v / f(r)
    x[1] = r
    for i in range(1, n - 1):
        y = f(x[i]) + v / x[i]
        if y >= 1.0:  # the layers close below the top: r too small
            return x, v, 1.0 + (n - 1 - i)
        x[i + 1] = f_inv(y)
    return x, v, f(x[n - 1]) + v / x[n - 1] - 1.0


def ziggurat_cutoff(density: str = "normal", n: int = _N_LAYERS) -> float:
    """Cutoff ``r`` of the base layer that closes an ``n``-layer ziggurat at ``f = 1``.

    Solved by bisection of the recurrence of Marsaglia & Tsang (2000), sec. 2 (the closure
    residual decreases with ``r``).

    >>> round(ziggurat_cutoff("normal", 128), 9)   # Marsaglia & Tsang (2000): 3.442619855899
    3.442619856
    """
    lo, hi = (1.0, 10.0) if density == "normal" else (1.0, 20.0)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if _edges(density, mid, n)[2] > 0.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def ziggurat_tables(density: str, r: float, n: int = _N_LAYERS) -> dict:
    """Ziggurat tables for ``density`` in {"normal", "exponential"} with cutoff ``r``.

    Returns
    -------
    dict
        ``x`` (n + 1 layer edges, ``x[0] = v/f(r)``, ``x[1] = r``, ``x[n] = 0``), ``v``
        (layer area), ``r``, ``k`` (uint64 ``floor(2^53 x_{i+1}/x_i)``), ``w``
        (``x_i 2^-53``), ``f`` (``f(x_i)``, n + 1 entries, ``f[n] = 1``).

    >>> t = ziggurat_tables("normal", NORMAL_CUTOFF_256)
    >>> round(t["v"], 12)   # Marsaglia & Tsang (2000): v = 4.92867323399e-3 for 256 layers
    0.004928673234
    """
    f = _DENSITIES[density][0]
    x, v, _ = _edges(density, r, n)
    x[n] = 0.0
    fx = np.array([f(xi) for xi in x])
    fx[n] = 1.0
    k = np.array([math.floor(_TWO53 * x[i + 1] / x[i]) for i in range(n)], dtype=np.uint64)
    w = x[:n] * _TWO_M53
    return {"x": x, "v": v, "r": r, "k": k, "w": w, "f": fx}


#: Tables of the 256-layer normal and exponential ziggurats (see the module docstring).
NORMAL_TABLES = ziggurat_tables("normal", NORMAL_CUTOFF_256)
EXPONENTIAL_TABLES = ziggurat_tables("exponential", EXPONENTIAL_CUTOFF_256)
for _t in (NORMAL_TABLES, EXPONENTIAL_TABLES):
    for _a in _t.values():
        if isinstance(_a, np.ndarray):
            _a.flags.writeable = False
_NOR_K = NORMAL_TABLES["k"]
_NOR_W = NORMAL_TABLES["w"]
_NOR_F = NORMAL_TABLES["f"]
_NOR_R = NORMAL_CUTOFF_256
_NOR_INV_R = 1.0 / NORMAL_CUTOFF_256
_EXP_K = EXPONENTIAL_TABLES["k"]
_EXP_W = EXPONENTIAL_TABLES["w"]
_EXP_F = EXPONENTIAL_TABLES["f"]
_EXP_R = EXPONENTIAL_CUTOFF_256


# --------------------------------------------------------------------------- samplers


@numba.njit(**JIT_OPTIONS)
def _u53(r):  # pragma: no cover - numba
    return np.float64(r >> _U11) * _TWO_M53


@numba.njit(**JIT_OPTIONS)
def _normal_rest(s0, s1, s2, s3, i, m, negative):  # pragma: no cover - numba
    """The ziggurat after a first point (layer ``i``, fraction ``m``, sign) fell outside
    its layer's inner rectangle: wedge test, tail, and new points until one is accepted.
    Returns (value, s0, s1, s2, s3)."""
    while True:
        if i == 0:
            # tail |x| > r (Marsaglia 1964): x = -ln(U1)/r, y = -ln(U2) until 2y > x^2
            while True:
                r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
                x = -math.log1p(-_u53(r)) * _NOR_INV_R
                r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
                y = -math.log1p(-_u53(r))
                if y + y > x * x:
                    z = _NOR_R + x
                    return (-z if negative else z), s0, s1, s2, s3
        # wedge of layer i: accept x if a uniform height in [f(x_i), f(x_{i+1})] lies below f
        x = np.float64(m) * _NOR_W[i]
        r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        if _NOR_F[i] + _u53(r) * (_NOR_F[i + 1] - _NOR_F[i]) < math.exp(-0.5 * x * x):
            return (-x if negative else x), s0, s1, s2, s3
        # rejected: a new point
        r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        i = np.intp(r & _U255)
        m = r >> _U11
        negative = ((r >> _U8) & _U1) != 0
        if m < _NOR_K[i]:
            x = np.float64(m) * _NOR_W[i]
            return (-x if negative else x), s0, s1, s2, s3


@numba.njit(**JIT_OPTIONS)
def normal(s):  # pragma: no cover - numba
    """Standard normal by the 256-layer ziggurat (Marsaglia & Tsang 2000; see the module
    docstring): layer from bits 0-7, sign from bit 8, 53-bit fraction from bits 11-63.

    The common case (a point inside its layer's inner rectangle: one integer comparison)
    is kept short so that the compiler inlines it; the rest is :func:`_normal_rest`.

    >>> x = fill_normal(seed_state(3), 100_000)
    >>> abs(float(x.mean())) < 0.02, abs(float(x.std()) - 1.0) < 0.01
    (True, True)
    """
    r, s0, s1, s2, s3 = xoshiro_step(s[0], s[1], s[2], s[3])
    i = np.intp(r & _U255)
    m = r >> _U11
    negative = ((r >> _U8) & _U1) != 0
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    if m < _NOR_K[i]:
        x = np.float64(m) * _NOR_W[i]
        return -x if negative else x
    z, s[0], s[1], s[2], s[3] = _normal_rest(s[0], s[1], s[2], s[3], i, m, negative)
    return z


@numba.njit(**JIT_OPTIONS)
def _exponential_rest(s0, s1, s2, s3, i, m):  # pragma: no cover - numba
    """As :func:`_normal_rest` for the exponential ziggurat; the tail beyond ``r`` is ``r``
    plus a standard exponential by inversion (memorylessness)."""
    while True:
        if i == 0:
            r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
            return _EXP_R - math.log1p(-_u53(r)), s0, s1, s2, s3
        x = np.float64(m) * _EXP_W[i]
        r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        if _EXP_F[i] + _u53(r) * (_EXP_F[i + 1] - _EXP_F[i]) < math.exp(-x):
            return x, s0, s1, s2, s3
        r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        i = np.intp(r & _U255)
        m = r >> _U11
        if m < _EXP_K[i]:
            return np.float64(m) * _EXP_W[i], s0, s1, s2, s3


@numba.njit(**JIT_OPTIONS)
def exponential(s):  # pragma: no cover - numba
    """Standard exponential by the 256-layer ziggurat (Marsaglia & Tsang 2000): layer from
    bits 0-7, 53-bit fraction from bits 11-63.

    >>> x = fill_exponential(seed_state(4), 100_000)
    >>> abs(float(x.mean()) - 1.0) < 0.02
    True
    """
    r, s0, s1, s2, s3 = xoshiro_step(s[0], s[1], s[2], s[3])
    i = np.intp(r & _U255)
    m = r >> _U11
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    if m < _EXP_K[i]:
        return np.float64(m) * _EXP_W[i]
    z, s[0], s[1], s[2], s[3] = _exponential_rest(s[0], s[1], s[2], s[3], i, m)
    return z


# --------------------------------------------------------------------------- state in registers
# The samplers above on a state held in four uint64 variables instead of the state array:
# a kernel that draws many numbers between stores loads a stream's state once, keeps it in
# registers and stores it back at the end. With the array, every draw reloads the state
# after the kernel's stores (which the compiler must assume may alias it): a store-to-load
# round trip on the stream's serial dependency chain per draw. ``register_jitable``:
# compiled and inlined where a jitted function calls them, plain Python where the caller
# runs as Python; the ``np.uint64`` conversions, no-ops when compiled, keep the words uint64
# there (compiled functions such as :func:`xoshiro_step` return Python ints to Python).


@register_jitable
def uniform_s(s0, s1, s2, s3):  # pragma: no cover - numba
    """:func:`uniform` on the four state words: (u, s0, s1, s2, s3), the same number and
    the same new state as :func:`uniform` on the array ``[s0, s1, s2, s3]``.

    >>> s = seed_state(7)
    >>> u, *words = uniform_s(*s)
    >>> bool(u == uniform(s)), [int(w) for w in words] == [int(w) for w in s]
    (True, True)
    """
    r, s0, s1, s2, s3 = xoshiro_step(np.uint64(s0), np.uint64(s1), np.uint64(s2), np.uint64(s3))
    return np.float64(np.uint64(r) >> _U11) * _TWO_M53, s0, s1, s2, s3


@register_jitable
def normal_s(s0, s1, s2, s3):  # pragma: no cover - numba
    """:func:`normal` on the four state words: (x, s0, s1, s2, s3), the same number and the
    same new state as :func:`normal` on the array ``[s0, s1, s2, s3]`` (ziggurat inner
    rectangle inline, the rest by :func:`_normal_rest`).

    >>> s = seed_state(8)
    >>> x, *words = normal_s(*s)
    >>> bool(x == normal(s)), [int(w) for w in words] == [int(w) for w in s]
    (True, True)
    """
    r, s0, s1, s2, s3 = xoshiro_step(np.uint64(s0), np.uint64(s1), np.uint64(s2), np.uint64(s3))
    r = np.uint64(r)
    i = np.intp(r & _U255)
    m = r >> _U11
    negative = ((r >> _U8) & _U1) != 0
    if m < _NOR_K[i]:
        x = np.float64(m) * _NOR_W[i]
        z = -x if negative else x
    else:
        s0, s1, s2, s3 = np.uint64(s0), np.uint64(s1), np.uint64(s2), np.uint64(s3)
        z, s0, s1, s2, s3 = _normal_rest(s0, s1, s2, s3, i, m, negative)
    return z, s0, s1, s2, s3


# --------------------------------------------------------------------------- bulk helpers


@numba.njit(cache=True)
def fill_uniform(s, n):  # pragma: no cover - numba
    """``n`` draws of :func:`uniform` (float64 array), in order."""
    out = np.empty(n)
    for k in range(n):
        out[k] = uniform(s)
    return out


@numba.njit(cache=True)
def fill_normal(s, n):  # pragma: no cover - numba
    """``n`` draws of :func:`normal` (float64 array), in order."""
    out = np.empty(n)
    for k in range(n):
        out[k] = normal(s)
    return out


@numba.njit(cache=True)
def fill_exponential(s, n):  # pragma: no cover - numba
    """``n`` draws of :func:`exponential` (float64 array), in order."""
    out = np.empty(n)
    for k in range(n):
        out[k] = exponential(s)
    return out
