"""Fused numba kernel of the fast simulation: all stages in one pass over the events.

:func:`simulate_flat` runs tracking, ECL deposits/merging/smearing, K_L clusters, the
beam-background overlay, particle identification, vertexing and the trigger for flattened
truth particles in a single loop over events (one event at a time, everything in registers
and small per-event scratch buffers), except for the tracking, which runs per block of
:data:`_TRACK_BLOCK` events in two passes: the selection with the tracking draws (in the
documented order), then the smeared kinematics of all found tracks of the block in one
branch-free loop that LLVM vectorises (:func:`_smear_track`; the rare tracks outside its
range, smearing angles above 0.1 rad, near the beam axis or with px or py zero, are redone
by the general code, same formulas; the two agree bit for bit where both apply). The track
scratch has a compile-time row stride, which limits events to :data:`_TRACK_CAP` (65536)
particles (ValueError beyond). The physics is that of the plain numpy stage functions
(:mod:`~darkscan.detector.tracking`, :mod:`~darkscan.detector.calorimeter`,
:mod:`~darkscan.detector.pid`, :mod:`~darkscan.detector.beam_background`,
:mod:`~darkscan.detector.vertexing`, :mod:`~darkscan.detector.trigger`), which stay the
readable reference; ``tests/detector/test_kernels.py`` checks one against the other.

Random numbers are drawn inside the kernel from seven xoshiro256++ streams, one per stage
(:mod:`darkscan.detector._random`: uniforms from the top 53 bits, normals by the 256-layer
ziggurat; about 0.7 ns per uniform and 1.7 ns per normal, inlined, against 4.9 and 3.0 ns
through a ``numpy.random.Generator`` in numba, whose every draw is an indirect call into the
bit generator: ``benchmarks/bench_detector.py``). Each stream is seeded through SplitMix64 by one 64-bit integer drawn from
that stage's ``numpy.random.Generator`` (:func:`darkscan.detector.simulate._stage_states`), so
the numpy seeding (SeedSequence per chunk) and its reproducibility are unchanged, and changing
one stage's card leaves the draws of the other stages unchanged. Within a stage, draws are
consumed in event order, particle order:

tracking
    one uniform per track candidate (efficiency); five normals per found track (pT, theta,
    phi, d0, z0). No draws for particles outside the acceptance.
calorimeter
    per deposit candidate: photon/electron one uniform (efficiency); muon one normal (MIP
    energy); charged hadron one uniform ``u`` (shower if ``u < P_shower``; the shower
    fraction is then ``u/P_shower``, which is uniform and independent of the decision) and,
    without a shower, one normal (MIP). Per merged cluster one normal (energy) and, only if
    the cluster survives the threshold, two normals (theta, phi).
klm
    one uniform per K_L candidate; two normals per KLM cluster.
beam_background
    one uniform per run of :data:`POOL_RUN` (4096) events: the start entry in the overlay
    pool (below); nothing if the card has no beam background.
pid
    two uniforms per track, each split into two (26 and 27 significant bits: far below the
    float32 precision the ID variables are stored with), one per hypothesis.
vertexing
    one uniform per candidate pair; three normals per vertex.
trigger
    one uniform per line and event, drawn only if the line's condition holds (whether or
    not the line is enabled, so switching a line off leaves the others unchanged).

The splitting of one uniform ``u`` into two, ``a = floor(2^26 u)/2^26`` and
``b = 2^26 u - floor(2^26 u)``, gives two independent uniforms of 26 and 27 bits; the
conditional rescaling ``u/p`` (given ``u < p``) is again uniform and independent of the
decision. Both are exact in distribution up to the granularity of the remaining bits
(>= 2^-24 here, below the float32 storage precision).

Beam background is overlaid from a pool, as basf2 overlays recorded random-trigger
background events: :func:`darkscan.detector.beam_background.background_pool` generates
``POOL_SIZE = 2^18`` background events once per process and card content (with the numpy
reference functions and a fixed seed, so the same Poisson counts and spectra as the
reference path), and each simulated event copies the clusters and tracks of one entry. The
events of a run of :data:`POOL_RUN` events take consecutive entries from a random start
(cyclically): the pool (about 10 MB) does not stay in cache while the outputs stream out,
and a random entry per event cost a cache miss per event (~400 ns), consecutive entries
stream at ~30 ns per event. What is reused: the background objects (each entry serves ~4
events of a 1M-event call, and every sample simulated with the card sees the same pool), so
background-dependent quantities (veto efficiencies, extra-cluster multiplicities) carry the
pool's statistical error ``~ sqrt(p (1 - p) / 2^18)`` on top of their sampling error, and
that part is common to all samples simulated with the card. The trigger conditions of the
background clusters (single-photon flag, count above the three-photon energy) are
precomputed per entry from the same float64 values (:func:`pool_trigger_summary`), so the
decisions are those of evaluating them per event. The numpy reference path keeps generating
fresh background per event.

Kinematics are computed in float64 inside the kernel and stored in float32. To keep
libm calls off the hot path the smeared track and cluster directions are obtained by
rotating the true direction cosines by the smearing angles (:func:`cos_sin_small`: Taylor
polynomials exact to double precision) and arctan2 is the Cephes rational approximation
(:func:`fast_atan2`, branch-free, two divisions, relative error ~2e-16). A cluster made of
one deposit (the usual case) takes the deposit's direction as it is (unit vector, sin theta
from the particle's pT/p, phi from its track when it has one) and its resolutions are
computed with the deposit, off the cluster loop's dependency chain (the summed energy of a
one-deposit cluster is the deposit energy exactly); divisions by the
same quantity are done once as a reciprocal and multiplied, and the PID draws use
precomputed reciprocals of the card's probabilities (:func:`_draw_id_table`,
:func:`_draw_id_turn_on`: the same formulas without dividing per track); results differ from
the numpy reference at the level of a few double ulp only (invisible in the float32 outputs,
up to rare last-bit roundings). The tracking efficiency ``plateau (1 - exp(-x))`` is
compared with its uniform lazily (:func:`track_found`: same decisions, no ``expm1`` call for
most tracks). The kernels are compiled with the LLVM fast-math flag ``nnan`` only (no NaN
occurs: the inputs are finite and divisions guarded), which leaves every result
bit-identical, so the compiled kernel still equals its plain-Python execution bit for bit
(the random-number functions it calls are compiled in both; their own ``py_func`` equality
is tested in ``tests/detector/test_random.py``).

Note on numba's on-disk cache: the kernel inlines the generator of
:mod:`darkscan.detector._random`, but numba keys a function's cache on its own source file
only; after editing ``_random.py`` clear ``__pycache__`` (or touch this file).

References
----------
D. Blackman, S. Vigna, ACM Trans. Math. Softw. 47 (2021) 36, arXiv:1805.01407
(xoshiro256++); G. Marsaglia, W. W. Tsang, J. Stat. Softw. 5 (2000) 8 (ziggurat); see
:mod:`darkscan.detector._random`.
S. L. Moshier, "Methods and Programs for Mathematical Functions" (1989), Cephes atan.c
(rational approximation of atan).
L. Devroye, "Non-Uniform Random Variate Generation" (1986), ch. II.2 (inversion) and ch. I.4
(re-use of uniforms after a comparison).
Belle II background overlay: basf2 documentation, "Background Package" (overlay of raw hits
of random-trigger events, the default method; software.belle2.org, sphinx/background);
G. Gaudino, "Run Dependent Monte Carlo at Belle II", arXiv:2601.19728.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from darkscan.detector._random import normal as _normal
from darkscan.detector._random import uniform as _uniform

__all__ = [
    "COUNTER_STAGES",
    "cos_sin_small",
    "fast_atan2",
    "pool_trigger_summary",
    "simulate_flat",
    "split_uniform",
    "track_found",
]

#: Rows of the draw-counter array returned by :func:`simulate_flat`.
COUNTER_STAGES = (
    "tracking",
    "calorimeter",
    "pid",
    "klm",
    "beam_background",
    "vertexing",
    "trigger",
)
_TRK, _CAL, _PID, _KLM, _BKG, _VTX, _TRG = range(7)
# columns of the draw counter: uniform, normal and exponential draws
_UNI, _NOR, _EXP = range(3)  # (no exponentials since the overlay pool: column kept)

_DEG = 180.0 / np.pi
_TWO26 = 67108864.0
_PI = np.pi
# LLVM fast-math flag that leaves every result bit-identical as long as no NaN occurs (the
# truth inputs are finite and every division and square root is guarded): comparisons,
# min/max and the "not x > 0" guards compile to plain instructions (about 12% faster on
# dimuon events). Infinities may occur (exp overflow in the logistic turn-ons) and are
# allowed. No reassociation, contraction (FMA), reciprocal or approximate-function flags: the
# compiled kernel and its plain-Python execution stay bit-identical
# (tests/detector/test_kernels.py).
_FASTMATH = {"nnan"}
# lower bound of 1 - exp(-x) for x > 20 (1 - 2.06e-9, rounded down with margin)
_EFF_X20 = 1.0 - 3e-9

# tracking parameter vector (see darkscan.detector.simulate._kernel_parameters)
# 0 cos_lo, 1 cos_hi, 2 pt_min, 3 plateau, 4 pt_scale, 5 max_rxy, 6..15 resolution a/b pairs
# species tables: e, mu, pi, K, p
_SPECIES_PDG = np.array([11, 13, 211, 321, 2212], dtype=np.int64)
_SPECIES_MASS = np.array([0.51099895e-3, 0.1056583755, 0.13957039, 0.493677, 0.93827208816])
_SPECIES_CHARGE_POS = np.array([-1, -1, 1, 1, 1], dtype=np.int64)
# own species of the PID hypotheses in the order muon, electron, pion, kaon
_HYP_SPECIES = np.array([1, 0, 2, 3], dtype=np.int64)


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def split_uniform(u):  # pragma: no cover - numba
    """Two independent uniforms (26 and 27 bits) from one double uniform in [0, 1).

    >>> a, b = split_uniform(0.75 + 2.0**-27)
    >>> float(a), float(b)
    (0.75, 0.5)
    """
    x = u * _TWO26
    hi = math.floor(x)
    return hi / _TWO26, x - hi


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _species(apdg):  # pragma: no cover - numba
    for s in range(5):
        if apdg == _SPECIES_PDG[s]:
            return s
    return -1


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _wrap(phi):  # pragma: no cover - numba
    """phi mapped into [-pi, pi] (as arctan2(sin(phi), cos(phi)), up to rounding)."""
    if -_PI <= phi <= _PI:
        return phi
    if abs(phi) < 3.0 * _PI:
        return phi - 2.0 * _PI if phi > 0.0 else phi + 2.0 * _PI
    return math.atan2(math.sin(phi), math.cos(phi))


# 1/(2k)! for k = 1..6 and 1/(2k+1)! for k = 1..5 (Taylor coefficients of cos and sin)
_COS_C = (1 / 2, 1 / 24, 1 / 720, 1 / 40320, 1 / 3628800, 1 / 479001600)
_SIN_C = (1 / 6, 1 / 120, 1 / 5040, 1 / 362880, 1 / 39916800)


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def cos_sin_small(d):  # pragma: no cover - numba
    """(cos d, sin d): Taylor polynomials to order 12/11 for |d| < 0.1 (truncation error
    below 1e-22, i.e. exact to double precision), libm otherwise.

    Used to rotate direction cosines by the small smearing angles without atan2/sin/cos
    per particle. Horner form in ``d^2`` with the inverse factorials as constants: only
    multiplications (a division by a constant stays a division without fast-math
    reciprocals, and ten of them cost more than the rest of the rotation).

    >>> c, s = cos_sin_small(0.05)
    >>> abs(c - math.cos(0.05)) < 1e-16, abs(s - math.sin(0.05)) < 1e-17
    (True, True)
    """
    if abs(d) < 0.1:
        return _cos_sin_poly(d)
    return math.cos(d), math.sin(d)


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _cos_sin_poly(d):  # pragma: no cover - numba
    """The Taylor polynomials of :func:`cos_sin_small` (valid for |d| < 0.1), no branch."""
    d2 = d * d
    c = 1.0 - d2 * (
        _COS_C[0]
        - d2 * (_COS_C[1] - d2 * (_COS_C[2] - d2 * (_COS_C[3] - d2 * (_COS_C[4] - d2 * _COS_C[5]))))
    )
    s = d * (
        1.0
        - d2 * (_SIN_C[0] - d2 * (_SIN_C[1] - d2 * (_SIN_C[2] - d2 * (_SIN_C[3] - d2 * _SIN_C[4]))))
    )
    return c, s


# Cephes atan: rational approximation x + x^3 P(x^2)/Q(x^2) on |x| <= 0.66 after range
# reduction (S. L. Moshier, "Methods and Programs for Mathematical Functions", 1989; Cephes
# Math Library atan.c): relative error about 1e-16.
_ATAN_P = (
    -8.750608600031904122785e-1,
    -1.615753718733365076637e1,
    -7.500855792314704667340e1,
    -1.228866684490136173410e2,
    -6.485021904942025371773e1,
)
_ATAN_Q = (
    2.485846490142306297962e1,
    1.650270098316988542046e2,
    4.328810604912902668951e2,
    4.853903996359136964868e2,
    1.945506571482613964425e2,
)
_PIO2_LO = 6.123233995736765886130e-17  # pi/2 - double(pi/2)


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def fast_atan2(y, x):  # pragma: no cover - numba
    """atan2(y, x) with the Cephes rational approximation (relative error ~2e-16), without
    data-dependent branches; zeros handled by libm.

    Octant reduction: ``a = min(|x|, |y|) / max(|x|, |y|)`` in [0, 1]; for ``a > 0.66`` the
    Cephes step ``atan(a) = pi/4 + atan((a - 1)/(a + 1))``, with ``(a - 1)/(a + 1)``
    computed as ``(min - max)/(min + max)`` (two divisions in all: the argument and
    ``P/Q``); then ``pi/2 - r`` if ``|y| > |x|``, ``pi - r`` if ``x < 0`` and the sign of ``y``. All choices are selects, so
    the random directions of tracks and clusters cause no branch mispredictions (the
    branching version cost about 20 ns per call here).

    >>> abs(fast_atan2(1.0, -2.0) - math.atan2(1.0, -2.0)) < 1e-15
    True
    """
    if x == 0.0 or y == 0.0:
        return math.atan2(y, x)
    return _atan2_nonzero(y, x)


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _atan2_nonzero(y, x):  # pragma: no cover - numba
    """:func:`fast_atan2` for ``x != 0`` and ``y != 0`` (no branch at all)."""
    ax = abs(x)
    ay = abs(y)
    steep = ay > ax
    lo = ax if steep else ay
    hi = ay if steep else ax
    # a = lo/hi; for a > 0.66 the reduced argument (a - 1)/(a + 1) = (lo - hi)/(lo + hi):
    # one division either way
    big = lo > 0.66 * hi
    t = ((lo - hi) if big else lo) / ((lo + hi) if big else hi)
    z = t * t
    p = (((_ATAN_P[0] * z + _ATAN_P[1]) * z + _ATAN_P[2]) * z + _ATAN_P[3]) * z + _ATAN_P[4]
    q = ((((z + _ATAN_Q[0]) * z + _ATAN_Q[1]) * z + _ATAN_Q[2]) * z + _ATAN_Q[3]) * z + _ATAN_Q[4]
    r = (0.25 * _PI if big else 0.0) + (t + t * z * p / q + (0.25 * _PIO2_LO if big else 0.0))
    r = ((0.5 * _PI - r) + 0.5 * _PIO2_LO) if steep else r
    r = ((_PI - r) + _PIO2_LO + _PIO2_LO) if x < 0.0 else r
    return r if y > 0.0 else -r


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def track_found(u, x, plateau):  # pragma: no cover - numba
    """Whether ``u < plateau (1 - exp(-x))`` (tracking efficiency turn-on, ``x >= 0``), with
    the exponential evaluated only when it can matter.

    The efficiency never exceeds the plateau, and for ``x > 20`` it is at least
    ``plateau (1 - 3e-9)`` (``1 - exp(-20) = 1 - 2.06e-9``; products round monotonically), so
    ``expm1`` is only called for ``x <= 20`` or ``u`` within 3e-9 of the plateau: the same
    decision as always evaluating it, bit for bit.

    >>> bool(track_found(0.5, 30.0, 0.98)), bool(track_found(0.99, 30.0, 0.98))
    (True, False)
    """
    if not u < plateau:
        return False
    if x > 20.0 and u < plateau * _EFF_X20:
        return True
    eff = plateau if x > 40.0 else plateau * -math.expm1(-x)
    return u < eff


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _track_sigmas(pt, p2, p, inv_p, m, a, same_ang):  # pragma: no cover - numba
    """Resolutions (pT, theta, phi, d0, z0) of a track as in
    :func:`darkscan.detector.tracking.smear_tracks` (reciprocals multiplied), and sin(theta)."""
    en = math.sqrt(p2 + m * m)
    st = pt * inv_p
    inv_pb = en * (inv_p * inv_p)  # 1/(p beta) = E/p^2
    inv_beta = en * inv_p
    ms = inv_pb / (st * math.sqrt(st))
    ms_d0 = a[7] * ms
    ms_z0 = a[9] * ms * (p * (1.0 / pt))
    sg_pt = pt * math.sqrt((a[0] * pt) ** 2 + (a[1] * inv_beta) ** 2)
    sg_th = math.sqrt(a[2] * a[2] + (a[3] * inv_pb) ** 2)
    sg_ph = sg_th if same_ang else math.sqrt(a[4] * a[4] + (a[5] * inv_pb) ** 2)
    sg_d0 = math.sqrt(a[6] * a[6] + ms_d0 * ms_d0)
    sg_z0 = math.sqrt(a[8] * a[8] + ms_z0 * ms_z0)
    return sg_pt, sg_th, sg_ph, sg_d0, sg_z0, st


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _smear_track(  # pragma: no cover - numba
    pxi, pyi, pzi, x0, y0, z0v, pt, p2, p, inv_p, m, g0, g1, g2, g3, g4, a, same_ang, exact
):
    """Smeared kinematics of one found track (true momentum, production point, pT, p^2,
    p, 1/p, mass; normals ``g0..g4``; resolution parameters ``a`` as a tuple): px, py, pz,
    E, p, pt, cosTheta, phi, d0, z0 (float64), the true phi, and whether the fast path
    (``exact=False``: Taylor rotations and the branch-free atan2, valid for smearing angles
    below 0.1 rad away from the beam axis and px, py != 0) applies; where it does not, the
    caller recomputes the track with ``exact=True`` (the general code, same formulas).
    Scalars only (no arrays: no reference counting inside the vectorised loop)."""
    inv_pt = 1.0 / pt
    d0 = (x0 * pyi - y0 * pxi) * inv_pt
    z0 = z0v - (x0 * pxi + y0 * pyi) * pzi * (inv_pt * inv_pt)
    sg_pt, sg_th, sg_ph, sg_d0, sg_z0, st = _track_sigmas(pt, p2, p, inv_p, m, a, same_ang)
    cz = pzi * inv_p
    pt_s = abs(pt + sg_pt * g0)
    # theta: rotate (cos, sin) by the smearing angle; the clip at 1e-6 and pi - 1e-6 of
    # the reference only matters within 0.1 rad of the beam axis
    dth = sg_th * g1
    dph = sg_ph * g2
    small = (abs(dth) < 0.1) & (st > 0.1)
    if exact:
        if small:
            cd, sd = cos_sin_small(dth)
            cos_s = cz * cd - st * sd
            sin_s = st * cd + cz * sd
        else:
            th_s = fast_atan2(pt, pzi) + dth
            th_s = min(max(th_s, 1e-6), _PI - 1e-6)
            cos_s = math.cos(th_s)
            sin_s = math.sin(th_s)
        ph_true = fast_atan2(pyi, pxi)
        cd, sd = cos_sin_small(dph)
    else:
        cd, sd = _cos_sin_poly(dth)
        cos_s = cz * cd - st * sd
        sin_s = st * cd + cz * sd
        ph_true = _atan2_nonzero(pyi, pxi)
        cd, sd = _cos_sin_poly(dph)
    ph_s = ph_true + dph
    ph_s = ph_s - 2.0 * _PI if ph_s > _PI else ph_s
    ph_s = ph_s + 2.0 * _PI if ph_s < -_PI else ph_s
    cph = (pxi * cd - pyi * sd) * inv_pt
    sph = (pyi * cd + pxi * sd) * inv_pt
    p_s = pt_s / sin_s
    ok = small & (abs(dph) < 0.1) & (pxi != 0.0) & (pyi != 0.0)
    return (
        pt_s * cph,
        pt_s * sph,
        p_s * cos_s,
        math.sqrt(p_s * p_s + m * m),
        p_s,
        pt_s,
        cos_s,
        ph_s,
        d0 + sg_d0 * g3,
        z0 + sg_z0 * g4,
        ph_true,
        1.0 if ok else 0.0,
    )


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _cluster_sigmas(e_sum, cal):  # pragma: no cover - numba
    """Energy and angle resolutions of a cluster of summed deposit energy ``e_sum`` (GeV) as
    in :func:`darkscan.detector.calorimeter.energy_resolution` and
    :func:`~darkscan.detector.calorimeter.angle_resolution`: ``sigma_E/E = a/E (+) b/E^(1/4)
    (+) c`` and ``sigma_theta = a_theta (+) b_theta/sqrt(E)`` (E floored at 1e-9 GeV)."""
    ee = max(e_sum, 1e-9)
    inv_ee = 1.0 / ee
    # (b/E^(1/4))^2 = b^2 sqrt(E)/E
    sg_e = ee * math.sqrt(
        (cal[6] * inv_ee) ** 2 + cal[7] * cal[7] * math.sqrt(ee) * inv_ee + cal[8] * cal[8]
    )
    sg_th = math.sqrt(cal[9] * cal[9] + cal[10] * cal[10] * inv_ee)
    return sg_e, sg_th


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _draw_id_table(u, q, inv_2q, inv_2q1):  # pragma: no cover - numba
    """:func:`darkscan.detector.pid.draw_id` for a constant probability ``q`` with its
    reciprocals ``1/(2q)`` and ``1/(2(1 - q))`` precomputed: ``1 - u/(2q)`` if ``u < q``,
    else ``(1 - u)/(2(1 - q))`` (never reached for q = 1). Both values are computed and one
    selected: no branch on the random ``u``."""
    hit = 1.0 - u * inv_2q
    miss = (1.0 - u) * inv_2q1
    return hit if u < q else miss


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _draw_id_turn_on(u, x, eff, inv_2eff):  # pragma: no cover - numba
    """:func:`darkscan.detector.pid.draw_id` for ``q = eff / (1 + exp(-x))`` (the logistic
    turn-on of the own hypothesis) without dividing by ``q``: with ``w = 1 + exp(-x)``,
    ``u < q`` is ``u w < eff``, ``u/(2q) = u w/(2 eff)`` and ``(1 - u)/(2(1 - q)) =
    (1 - u) w / (2 (w - eff))``. ``exp(-x)`` is skipped above x = 40 (exactly 0 in double
    precision next to 1) and capped at exp(700) (q < 1e-304: no overflow)."""
    w = 1.0 if x > 40.0 else 1.0 + math.exp(min(-x, 700.0))
    uw = u * w
    if uw < eff:
        return 1.0 - uw * inv_2eff
    den = w - eff
    if den > 0.0:
        return (1.0 - u) * w / (2.0 * den)
    return 0.5


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _ecl_region(cos_theta, cos_edge):  # pragma: no cover - numba
    """:func:`darkscan.detector.calorimeter.ecl_region` in cos(theta): ``cos_edge`` holds the
    cosines of the six region edges (decreasing); edges inclusive."""
    # non-short-circuit comparisons and selects: no branch on the (random) direction
    fwd = (cos_theta <= cos_edge[0]) & (cos_theta >= cos_edge[1])
    brl = (cos_theta <= cos_edge[2]) & (cos_theta >= cos_edge[3])
    bwd = (cos_theta <= cos_edge[4]) & (cos_theta >= cos_edge[5])
    return 1 if fwd else (2 if brl else (3 if bwd else 0))


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _single_photon(ec, th, ph, reg, trg):  # pragma: no cover - numba
    """Whether one cluster (float64 energy, theta, phi, region) fires the single-photon line's
    condition (CM energy from the first row of the lab -> CM transformation; with the cheap
    upper bound ``E trg[21]`` checked first)."""
    if trg[16] > 0.5 and reg != 2:
        return False
    if not ec * trg[21] > trg[15]:
        return False
    st = math.sin(th)
    e_cms = ec * (
        trg[17] + trg[18] * st * math.cos(ph) + trg[19] * st * math.sin(ph) + trg[20] * math.cos(th)
    )
    return e_cms > trg[15]


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def pool_trigger_summary(c_off, energy, theta, phi, region, trg):  # pragma: no cover - numba
    """Per background-pool entry: whether one of its clusters fires the single-photon
    condition, and how many pass the three-photon energy cut (float64 values, the same
    tests the kernel applies to the event's own clusters).

    Returns int64 (2, n_pool).
    """
    n = c_off.shape[0] - 1
    out = np.zeros((2, n), dtype=np.int64)
    for j in range(n):
        for k in range(c_off[j], c_off[j + 1]):
            if _single_photon(energy[k], theta[k], phi[k], region[k], trg):
                out[0, j] = 1
            if energy[k] > trg[23]:
                out[1, j] += 1
    return out


#: Events per run of consecutive beam-background pool entries (one uniform per run).
POOL_RUN = 4096
#: Events per block of the tracking passes (selection and draws, then kinematics).
_TRACK_BLOCK = 256
# capacity (found tracks per block) and row stride of the track scratch: a compile-time
# constant stride lets LLVM prove the rows disjoint (no runtime aliasing checks, which
# otherwise stop the vectorisation); the 64-element pad keeps the rows in different
# cache sets
_TRACK_CAP = 65536
_TRACK_STRIDE = _TRACK_CAP + 64
_TRACK_ROWS = 28
_S = _TRACK_STRIDE


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _pool_indices(n_events, pool_hdr, st, counter):  # pragma: no cover - numba
    """Background-pool entry of each event: for each run of :data:`POOL_RUN` events one
    uniform gives a random start entry, and the run takes the consecutive entries from
    there (cyclically). Consecutive entries keep the pool reads sequential (a random entry
    per event costs a cache miss per event: several hundred ns). No draws if the pool is
    empty. Returns the entries and the total numbers of overlaid clusters and tracks."""
    n_pool = pool_hdr.shape[0] - 1
    idx = np.zeros(n_events, dtype=np.int64)
    n_cl = 0
    n_tr = 0
    if n_pool > 0:
        j = 0
        for e in range(n_events):
            if e % POOL_RUN == 0:
                j = min(np.int64(_uniform(st) * n_pool), n_pool - 1)
                counter[_BKG, _UNI] += 1
            idx[e] = j
            n_cl += pool_hdr[j + 1, 0] - pool_hdr[j, 0]
            n_tr += pool_hdr[j + 1, 1] - pool_hdr[j, 1]
            j += 1
            if j == n_pool:
                j = 0
    return idx, n_cl, n_tr


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _simulate_kernel(  # pragma: no cover - numba
    p_off,
    pdg,
    px,
    py,
    pz,
    energy,
    vx,
    vy,
    vz,
    is_final,
    is_invisible,
    mother,
    trk,
    cal,
    pid,
    klm,
    vtx,
    trg,
    pool_hdr,
    pool_c,
    pool_t,
    bkg_idx,
    states,
    t_off,
    t_f,
    t_i,
    t_q,
    t_b,
    c_off,
    c_f,
    c_reg,
    c_match,
    c_b,
    c_mc,
    k_off,
    k_f,
    k_mc,
    v_off,
    v_f,
    v_i,
    trig,
    counter,
):
    """Body of :func:`simulate_flat`: fills the preallocated outputs (see there)."""
    n_events = p_off.shape[0] - 1
    # one xoshiro256++ stream per stage (rows of ``states``, advanced in place)
    st_trk = states[_TRK]
    st_cal = states[_CAL]
    st_pid = states[_PID]
    st_klm = states[_KLM]
    st_vtx = states[_VTX]
    st_trg = states[_TRG]
    # per-event scratch, sized for the largest event
    max_p = 1
    for e in range(n_events):
        max_p = max(max_p, p_off[e + 1] - p_off[e])
    has_pool = pool_hdr.shape[0] > 1
    max_t = max_p + 1
    if has_pool:
        for e in range(n_events):
            jb = bkg_idx[e]
            max_t = max(max_t, max_p + pool_hdr[jb + 1, 1] - pool_hdr[jb, 1] + 1)
    max_c = max_p + 1
    # tracking runs per block of _TRACK_BLOCK events (selection and draws, then the
    # kinematics of all found tracks of the block in one branch-free loop)
    if max_p > _TRACK_CAP:
        raise ValueError("simulate_flat: an event has more than 65536 particles")
    b_ev = np.empty(_TRACK_BLOCK + 1, dtype=np.int64)  # first found track of each event
    b_i = np.empty(_TRACK_CAP, dtype=np.int64)  # particle index, species
    b_s = np.empty(_TRACK_CAP, dtype=np.int64)
    bb = np.empty(_TRACK_ROWS * _TRACK_STRIDE)  # track scratch rows (see _smear_track)
    s_pt = np.empty(max_t)  # float64 track pT, phi, muonID (trigger), mother, charge
    s_phi = np.empty(max_t)
    s_p = np.empty(max_t)
    s_cos = np.empty(max_t)
    s_mu = np.empty(max_t, dtype=np.float32)
    s_track_of = np.empty(max_p, dtype=np.int64)  # local particle -> global track row or -1
    # true p, 1/p, pT and phi of each tracked particle (reused by its ECL deposit/cluster)
    s_pp = np.empty(max_p)
    s_pinv = np.empty(max_p)
    s_ppt = np.empty(max_p)
    s_pph = np.empty(max_p)
    d_e = np.empty(max_p)  # deposits
    d_ux = np.empty(max_p)
    d_uy = np.empty(max_p)
    d_uz = np.empty(max_p)
    d_st = np.empty(max_p)  # sin(theta) of the deposit direction
    # theta, phi and the resolutions of a cluster made of this deposit alone (computed as
    # soon as the deposit is known, off the cluster loop's dependency chain)
    d_th = np.empty(max_p)
    d_ph = np.empty(max_p)
    d_sge = np.empty(max_p)
    d_sgth = np.empty(max_p)
    d_reg = np.empty(max_p, dtype=np.int64)
    d_idx = np.empty(max_p, dtype=np.int64)
    d_order = np.empty(max_p, dtype=np.int64)
    d_cl = np.empty(max_p, dtype=np.int64)
    cl_alive_e = np.empty(max_p)
    cl_alive = np.empty(max_p, dtype=np.bool_)
    s_ce = np.empty(max_c)  # float64 cluster E, theta, phi, region (trigger; own clusters)
    s_cth = np.empty(max_c)
    s_cph = np.empty(max_c)
    s_creg = np.empty(max_c, dtype=np.int64)
    vm = np.empty(max_p, dtype=np.int64)  # vertexing: (mother, local track) sorted by mother
    vt = np.empty(max_p, dtype=np.int64)
    s_vdr = np.empty(max_p)
    s_vpt1 = np.empty(max_p)
    s_vpt2 = np.empty(max_p)

    # card constants
    cos_lo, cos_hi, pt_min, plateau, pt_scale, max_rxy = (
        trk[0],
        trk[1],
        trk[2],
        trk[3],
        trk[4],
        trk[5],
    )
    a = trk[6:16]
    # theta and phi resolutions with the same parameters (as in the belle2 card): one sqrt
    same_ang = a[2] == a[4] and a[3] == a[5]
    # the same as a tuple of scalars for the track passes (loads from an array inside the
    # vectorised loop would need aliasing checks against the scratch stores)
    a_t = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9])
    cos_merge = math.cos(cal[17])
    inv_pt_scale = 1.0 / pt_scale
    cos_edge = np.empty(6)
    for k in range(6):
        cos_edge[k] = math.cos(math.radians(cal[k]))
    # PID coverage in cos(theta): theta_min <= theta <= theta_max
    pid_cos = np.empty((4, 2))
    for h in range(4):
        pid_cos[h, 0] = math.cos(math.radians(pid[h, 3]))
        pid_cos[h, 1] = math.cos(math.radians(pid[h, 4]))
    # PID reciprocals: turn-on widths and efficiencies; mis-ID probabilities q with
    # 1/(2q) and 1/(2(1-q)) (see _draw_id_table)
    pid_inv_w = np.empty(4)
    pid_inv2eff = np.empty(4)
    mis = np.zeros((3, 4, 5))
    for h in range(4):
        pid_inv_w[h] = 1.0 / pid[h, 2]
        pid_inv2eff[h] = 0.5 / pid[h, 0] if pid[h, 0] > 0.0 else 0.0
        for sp in range(5):
            q = pid[h, 5 + sp]
            mis[0, h, sp] = q
            mis[1, h, sp] = 0.5 / q if q > 0.0 else 0.0
            mis[2, h, sp] = 0.5 / (1.0 - q) if q < 1.0 else 0.0

    nt = 0
    nc = 0
    nk = 0
    nv = 0
    # draw counts (kept in registers, stored into ``counter`` at the end)
    n_trk_u = n_trk_n = n_cal_u = n_cal_n = n_pid_u = 0
    n_klm_u = n_klm_n = n_vtx_u = n_vtx_n = n_trg_u = 0
    blk_start = 0
    blk_end = 0
    for e in range(n_events):
        # beam-background overlay: pool entry of this event (none without a pool)
        jb = bkg_idx[e]
        jb_c0 = pool_hdr[jb, 0] if has_pool else 0
        jb_c1 = pool_hdr[jb + 1, 0] if has_pool else 0
        jb_t0 = pool_hdr[jb, 1] if has_pool else 0
        jb_t1 = pool_hdr[jb + 1, 1] if has_pool else 0
        p0 = p_off[e]
        p1 = p_off[e + 1]
        if e == blk_end:
            # ------------------------------------------------ tracking of the next block
            # selection and draws in event order, particle order (as documented)
            blk_start = e
            blk_end = min(e + _TRACK_BLOCK, n_events)
            nf = 0
            for eb in range(blk_start, blk_end):
                if nf + p_off[eb + 1] - p_off[eb] > _TRACK_CAP:
                    blk_end = eb  # (capacity: a shorter block)
                    break
                b_ev[eb - blk_start] = nf
                for i in range(p_off[eb], p_off[eb + 1]):
                    if not is_final[i]:
                        continue
                    sp = _species(abs(pdg[i]))
                    if sp < 0:
                        continue
                    pxi = np.float64(px[i])
                    pyi = np.float64(py[i])
                    pzi = np.float64(pz[i])
                    pt2 = pxi * pxi + pyi * pyi
                    p2 = pt2 + pzi * pzi
                    if p2 <= 0.0 or pt2 <= pt_min * pt_min:
                        continue
                    p = math.sqrt(p2)
                    inv_p = 1.0 / p
                    cz = pzi * inv_p
                    if not (cz > cos_lo and cz < cos_hi):
                        continue
                    x0 = np.float64(vx[i])
                    y0 = np.float64(vy[i])
                    if x0 * x0 + y0 * y0 >= max_rxy * max_rxy:
                        continue
                    pt = math.sqrt(pt2)
                    x_eff = (pt - pt_min) * inv_pt_scale
                    n_trk_u += 1
                    if not track_found(_uniform(st_trk), x_eff, plateau):
                        continue
                    for k in range(5):
                        bb[(10 + k) * _TRACK_STRIDE + nf] = _normal(st_trk)
                    n_trk_n += 5
                    b_i[nf] = i
                    b_s[nf] = sp
                    bb[26 * _TRACK_STRIDE + nf] = _SPECIES_MASS[sp]
                    bb[nf] = pxi
                    bb[1 * _TRACK_STRIDE + nf] = pyi
                    bb[2 * _TRACK_STRIDE + nf] = pzi
                    bb[3 * _TRACK_STRIDE + nf] = x0
                    bb[4 * _TRACK_STRIDE + nf] = y0
                    bb[5 * _TRACK_STRIDE + nf] = np.float64(vz[i])
                    bb[6 * _TRACK_STRIDE + nf] = pt
                    bb[7 * _TRACK_STRIDE + nf] = p2
                    bb[8 * _TRACK_STRIDE + nf] = p
                    bb[9 * _TRACK_STRIDE + nf] = inv_p
                    nf += 1
            b_ev[blk_end - blk_start] = nf
            # kinematics of all found tracks: no draws, no branches (vectorised by LLVM:
            # one scratch array with rows at a constant stride, so no aliasing checks)
            for j in range(nf):
                r = _smear_track(
                    bb[j], bb[_S + j], bb[2 * _S + j], bb[3 * _S + j], bb[4 * _S + j],
                    bb[5 * _S + j], bb[6 * _S + j], bb[7 * _S + j], bb[8 * _S + j],
                    bb[9 * _S + j], bb[26 * _S + j], bb[10 * _S + j], bb[11 * _S + j],
                    bb[12 * _S + j], bb[13 * _S + j], bb[14 * _S + j], a_t, same_ang, False,
                )  # fmt: skip
                bb[15 * _S + j] = r[0]
                bb[16 * _S + j] = r[1]
                bb[17 * _S + j] = r[2]
                bb[18 * _S + j] = r[3]
                bb[19 * _S + j] = r[4]
                bb[20 * _S + j] = r[5]
                bb[21 * _S + j] = r[6]
                bb[22 * _S + j] = r[7]
                bb[23 * _S + j] = r[8]
                bb[24 * _S + j] = r[9]
                bb[25 * _S + j] = r[10]
                bb[27 * _S + j] = r[11]
            for j in range(nf):
                if bb[27 * _S + j] == 0.0:
                    r = _smear_track(
                        bb[j], bb[_S + j], bb[2 * _S + j], bb[3 * _S + j], bb[4 * _S + j],
                        bb[5 * _S + j], bb[6 * _S + j], bb[7 * _S + j], bb[8 * _S + j],
                        bb[9 * _S + j], bb[26 * _S + j], bb[10 * _S + j], bb[11 * _S + j],
                        bb[12 * _S + j], bb[13 * _S + j], bb[14 * _S + j], a_t, same_ang, True,
                    )  # fmt: skip
                    # (the rare general path: a loop; the vectorised pass above spells the
                    # stores out)
                    for f in range(11):
                        bb[(15 + f) * _S + j] = r[f]
                    bb[27 * _S + j] = r[11]
        t_start = nt
        # ------------------------------------------------------------ tracking (output)
        for i in range(p0, p1):
            s_track_of[i - p0] = -1
        for j in range(b_ev[e - blk_start], b_ev[e - blk_start + 1]):
            i = b_i[j]
            for f in range(10):
                t_f[f, nt] = bb[(15 + f) * _TRACK_STRIDE + j]
            t_f[14, nt] = 0.0
            t_i[0, nt] = i - p0
            t_i[1, nt] = pdg[i]
            q = _SPECIES_CHARGE_POS[b_s[j]]
            t_q[nt] = q if pdg[i] > 0 else -q
            t_b[nt] = False
            s_pt[nt - t_start] = bb[20 * _TRACK_STRIDE + j]
            s_phi[nt - t_start] = bb[22 * _TRACK_STRIDE + j]
            s_p[nt - t_start] = bb[19 * _TRACK_STRIDE + j]
            s_cos[nt - t_start] = bb[21 * _TRACK_STRIDE + j]
            s_track_of[i - p0] = nt
            s_pp[i - p0] = bb[8 * _TRACK_STRIDE + j]
            s_pinv[i - p0] = bb[9 * _TRACK_STRIDE + j]
            s_ppt[i - p0] = bb[6 * _TRACK_STRIDE + j]
            s_pph[i - p0] = bb[25 * _TRACK_STRIDE + j]
            nt += 1
        n_phys_trk = nt - t_start
        # ------------------------------------------------------------ beam-background tracks
        for k in range(jb_t0, jb_t1):
            for f in range(10):
                t_f[f, nt] = pool_t[k, f]
            t_f[14, nt] = 0.0
            t_i[0, nt] = -1
            t_i[1, nt] = 0
            t_q[nt] = np.int8(pool_t[k, 10])
            t_b[nt] = True
            s_pt[nt - t_start] = pool_t[k, 5]
            s_phi[nt - t_start] = pool_t[k, 7]
            s_p[nt - t_start] = pool_t[k, 4]
            s_cos[nt - t_start] = pool_t[k, 6]
            nt += 1
        t_off[e + 1] = nt
        # ------------------------------------------------------------ PID (all tracks)
        for t in range(t_start, nt):
            sp = _species(abs(t_i[1, t])) if not t_b[t] else 2
            p_s = s_p[t - t_start]
            cos_s = s_cos[t - t_start]
            u_a, u_b = split_uniform(_uniform(st_pid))
            u_c, u_d = split_uniform(_uniform(st_pid))
            n_pid_u += 2
            for h in range(4):
                u = u_a if h == 0 else (u_b if h == 1 else (u_c if h == 2 else u_d))
                if not (cos_s <= pid_cos[h, 0] and cos_s >= pid_cos[h, 1]):
                    t_f[10 + h, t] = (1.0 - u) * 0.5  # probability 0
                elif sp == _HYP_SPECIES[h]:
                    t_f[10 + h, t] = _draw_id_turn_on(
                        u, (p_s - pid[h, 1]) * pid_inv_w[h], pid[h, 0], pid_inv2eff[h]
                    )
                else:
                    t_f[10 + h, t] = _draw_id_table(u, mis[0, h, sp], mis[1, h, sp], mis[2, h, sp])
            s_mu[t - t_start] = t_f[10, t]
        # ------------------------------------------------------------ ECL deposits
        nd = 0
        for i in range(p0, p1):
            if not is_final[i] or is_invisible[i]:
                continue
            apdg = abs(pdg[i])
            is_em = apdg == 22 or apdg == 11
            is_mu = apdg == 13
            is_had = apdg == 211 or apdg == 321 or apdg == 2212
            if not (is_em or is_mu or is_had):
                continue
            pxi = np.float64(px[i])
            pyi = np.float64(py[i])
            pzi = np.float64(pz[i])
            pt2 = pxi * pxi + pyi * pyi
            tr = s_track_of[i - p0]
            if tr >= 0:  # the track computed the same p and 1/p (p > 0)
                p = s_pp[i - p0]
                inv_p = s_pinv[i - p0]
            else:
                p = math.sqrt(pt2 + pzi * pzi)
                if not p > 0.0:
                    continue
                inv_p = 1.0 / p
            region = _ecl_region(pzi * inv_p, cos_edge)
            if region == 0:
                continue
            if (apdg != 22) & (region == 2) & (pt2 < cal[16] * cal[16]):
                continue  # charged particle curls up before the barrel (pT < pT_min)
            e_true = np.float64(energy[i])
            mass = 0.0
            s = _species(apdg)
            if s >= 0:
                mass = _SPECIES_MASS[s]
            kinetic = max(e_true - mass, 0.0)
            mip = is_mu
            if is_em:
                n_cal_u += 1
                if not _uniform(st_cal) < cal[12]:
                    continue
                dep = e_true
            elif is_had:
                u = _uniform(st_cal)
                n_cal_u += 1
                if u < cal[15]:
                    v = u / cal[15]
                    dep = min(cal[13] + v * max(kinetic - cal[13], 0.0), kinetic)
                else:
                    mip = True
            if mip:
                n_cal_n += 1
                dep = min(max(cal[13] + cal[14] * _normal(st_cal), 0.0), kinetic)
            if not dep > 0.0:
                continue
            d_e[nd] = dep
            d_ux[nd] = pxi * inv_p
            d_uy[nd] = pyi * inv_p
            d_uz[nd] = pzi * inv_p
            st_d = (s_ppt[i - p0] if tr >= 0 else math.sqrt(pt2)) * inv_p
            d_st[nd] = st_d
            d_th[nd] = fast_atan2(st_d, pzi * inv_p)
            d_ph[nd] = s_pph[i - p0] if tr >= 0 else fast_atan2(pyi, pxi)
            d_sge[nd], d_sgth[nd] = _cluster_sigmas(dep, cal)
            d_reg[nd] = region
            d_idx[nd] = i - p0
            d_cl[nd] = -1
            nd += 1
        # ------------------------------------------------------------ merging (as calorimeter.py)
        for k in range(nd):
            b = k
            while b > 0 and d_e[d_order[b - 1]] < d_e[k]:
                d_order[b] = d_order[b - 1]
                b -= 1
            d_order[b] = k
        n_cl_ev = 0
        for k in range(nd):
            i0 = d_order[k]
            if d_cl[i0] >= 0:
                continue
            d_cl[i0] = n_cl_ev
            for b in range(k + 1, nd):
                j = d_order[b]
                if d_cl[j] < 0 and (
                    d_ux[i0] * d_ux[j] + d_uy[i0] * d_uy[j] + d_uz[i0] * d_uz[j] >= cos_merge
                ):
                    d_cl[j] = n_cl_ev
            n_cl_ev += 1
        # sums in deposit order; the lead (seed) deposit is the highest-energy one, first on ties
        c_start = nc
        for c in range(n_cl_ev):
            e_sum = 0.0
            vxs = 0.0
            vys = 0.0
            vzs = 0.0
            matched = False
            lead = -1
            best = -1.0
            n_in = 0
            for k in range(nd):
                # selects, no branches (which deposit belongs to which cluster is random);
                # a deposit of another cluster adds exact zeros
                inc = d_cl[k] == c
                n_in += inc
                dk = d_e[k] if inc else 0.0
                e_sum += dk
                vxs += dk * d_ux[k]
                vys += dk * d_uy[k]
                vzs += dk * d_uz[k]
                matched = matched | (inc & (s_track_of[d_idx[k]] >= 0))
                upd = inc & (dk > best)
                best = dk if upd else best
                lead = k if upd else lead
            # one deposit: e_sum is its energy exactly (the others add +0.0)
            if n_in == 1:
                sg_e = d_sge[lead]
                sg_th = d_sgth[lead]
            else:
                sg_e, sg_th = _cluster_sigmas(e_sum, cal)
            e_reco = e_sum + sg_e * _normal(st_cal)
            n_cal_n += 1
            alive = e_reco > cal[11]
            cl_alive[c] = alive
            cl_alive_e[c] = e_reco
            if not alive:
                continue
            if n_in == 1:
                # one deposit: the cluster direction is the deposit direction (unit vector,
                # sin(theta) known; phi from the particle's track when it has one)
                uz = d_uz[lead]
                sin_true = d_st[lead]
                th_true = d_th[lead]
                ph_true = d_ph[lead]
            else:
                vt2 = vxs * vxs + vys * vys
                vts = math.sqrt(vt2)
                vn = math.sqrt(vt2 + vzs * vzs)
                th_true = fast_atan2(vts, vzs)
                ph_true = fast_atan2(vys, vxs)
                inv_vn = 1.0 / vn
                sin_true = vts * inv_vn
                uz = vzs * inv_vn
            g0 = _normal(st_cal)
            g1 = _normal(st_cal)
            dth = sg_th * g0
            ph_r = ph_true + sg_th / max(sin_true, 1e-3) * g1
            n_cal_n += 2
            th_r = th_true + dth
            if th_r <= 0.0:
                th_r = 0.0
                cos_r = 1.0
            elif th_r >= _PI:
                th_r = _PI
                cos_r = -1.0
            else:
                cd, sd = cos_sin_small(dth)
                cos_r = uz * cd - sin_true * sd
            c_f[0, nc] = e_reco
            c_f[1, nc] = e_reco
            c_f[2, nc] = th_r
            c_f[3, nc] = _wrap(ph_r)
            c_f[4, nc] = cos_r
            c_reg[nc] = d_reg[lead]
            c_match[nc] = matched
            c_b[nc] = False
            c_mc[nc] = d_idx[lead]
            s_ce[nc - c_start] = e_reco
            s_cth[nc - c_start] = th_r
            s_cph[nc - c_start] = c_f[3, nc]
            s_creg[nc - c_start] = d_reg[lead]
            nc += 1
        # cluster energy of each track's particle
        for k in range(nd):
            t = s_track_of[d_idx[k]]
            if t >= 0 and cl_alive[d_cl[k]]:
                t_f[14, t] = cl_alive_e[d_cl[k]]
        # ------------------------------------------------------------ beam-background clusters
        # (their trigger conditions are precomputed per pool entry: pool_c_trig)
        n_clu_ev = nc - c_start
        for k in range(jb_c0, jb_c1):
            c_f[0, nc] = pool_c[k, 0]
            c_f[1, nc] = pool_c[k, 0]
            c_f[2, nc] = pool_c[k, 1]
            c_f[3, nc] = pool_c[k, 2]
            c_f[4, nc] = pool_c[k, 3]
            c_reg[nc] = np.int8(pool_c[k, 4])
            c_match[nc] = False
            c_b[nc] = True
            c_mc[nc] = -1
            nc += 1
        c_off[e + 1] = nc
        # ------------------------------------------------------------ KLM (K_L)
        for i in range(p0, p1):
            if abs(pdg[i]) != 130 or not is_final[i]:
                continue
            pxi = np.float64(px[i])
            pyi = np.float64(py[i])
            pzi = np.float64(pz[i])
            pt = math.sqrt(pxi * pxi + pyi * pyi)
            theta = math.atan2(pt, pzi)
            th_deg = theta * _DEG
            if not (th_deg >= klm[3] and th_deg <= klm[4]):
                continue
            p = math.sqrt(pt * pt + pzi * pzi)
            n_klm_u += 1
            if not _uniform(st_klm) < klm[0] / (1.0 + math.exp(-(p - klm[1]) / klm[2])):
                continue
            g0 = _normal(st_klm)
            g1 = _normal(st_klm)
            th = min(max(theta + klm[5] * g0, 0.0), _PI)
            ph = math.atan2(pyi, pxi) + klm[5] / max(math.sin(theta), 1e-3) * g1
            n_klm_n += 2
            k_f[0, nk] = th
            k_f[1, nk] = _wrap(ph)
            k_f[2, nk] = math.cos(th)
            k_mc[nk] = i - p0
            nk += 1
        k_off[e + 1] = nk
        # ------------------------------------------------------------ vertexing
        n_cand = 0
        for t in range(t_start, t_start + n_phys_trk):
            mloc = mother[p0 + t_i[0, t]]
            if mloc < 0:
                continue
            b = n_cand
            while b > 0 and vm[b - 1] > mloc:
                vm[b] = vm[b - 1]
                vt[b] = vt[b - 1]
                b -= 1
            vm[b] = mloc
            vt[b] = t - t_start
            n_cand += 1
        n_vev = 0
        k = 0
        while k < n_cand:
            g = k
            while g < n_cand and vm[g] == vm[k]:
                g += 1
            if g - k == 2:
                ta = vt[k]
                tb = vt[k + 1]
                qa = t_q[t_start + ta]
                qb = t_q[t_start + tb]
                if qa * qb < 0:
                    first = ta if qa < 0 else tb
                    second = tb if qa < 0 else ta
                    ia = p0 + t_i[0, t_start + ta]
                    x0 = np.float64(vx[ia])
                    y0 = np.float64(vy[ia])
                    z0 = np.float64(vz[ia])
                    rxy = math.sqrt(x0 * x0 + y0 * y0)
                    if rxy > vtx[0] and rxy < vtx[1]:
                        span = max(vtx[1] - vtx[3], 1e-12)
                        frac = min(max((rxy - vtx[3]) / span, 0.0), 1.0)
                        eff = vtx[2] + frac * (vtx[4] - vtx[2])
                    else:
                        eff = 0.0
                    n_vtx_u += 1
                    if _uniform(st_vtx) < eff:
                        sg = math.sqrt(vtx[5] * vtx[5] + (vtx[6] * rxy) ** 2)
                        xr = x0 + sg * _normal(st_vtx)
                        yr = y0 + sg * _normal(st_vtx)
                        zr = z0 + sg * _normal(st_vtx)
                        n_vtx_n += 3
                        dr = math.sqrt(xr * xr + yr * yr)
                        v_f[0, nv] = xr
                        v_f[1, nv] = yr
                        v_f[2, nv] = zr
                        v_f[3, nv] = dr
                        v_i[0, nv] = first
                        v_i[1, nv] = second
                        v_i[2, nv] = vm[k]
                        s_vdr[n_vev] = dr
                        s_vpt1[n_vev] = s_pt[first]
                        s_vpt2[n_vev] = s_pt[second]
                        nv += 1
                        n_vev += 1
            k = g
        v_off[e + 1] = nv
        # ------------------------------------------------------------ trigger
        n_trk_ev = nt - t_start
        # two_track
        n_sel = 0
        best = -1.0
        for t in range(n_trk_ev):
            if s_pt[t] > trg[10]:
                n_sel += 1
        cond0 = n_sel >= trg[11]
        if cond0 and trg[11] >= 2:
            for t in range(n_trk_ev):
                if not s_pt[t] > trg[10]:
                    continue
                for t2 in range(t + 1, n_trk_ev):
                    if not s_pt[t2] > trg[10]:
                        continue
                    d = abs(s_phi[t] - s_phi[t2])  # phi in [-pi, pi]: fold into [0, pi]
                    d = min(d, 2.0 * _PI - d)  # (a select: d > pi is a coin flip for pairs)
                    best = max(best, d)
            cond0 = best > trg[12]
        # single_muon
        # (non-short-circuit & and |: no branches on the random muonID values)
        cond1 = False
        for t in range(n_trk_ev):
            cond1 = cond1 | ((s_pt[t] > trg[13]) & (s_mu[t] > trg[14]))
        # single_photon (own clusters, then the overlay entry's precomputed answer)
        cond2 = False
        for c in range(n_clu_ev):
            if _single_photon(s_ce[c], s_cth[c], s_cph[c], s_creg[c], trg):
                cond2 = True
                break
        if has_pool and pool_hdr[jb, 2] > 0:
            cond2 = True
        # three_photon
        n_hi = pool_hdr[jb, 3] if has_pool else 0
        for c in range(n_clu_ev):
            n_hi += s_ce[c] > trg[23]
        cond3 = n_hi >= trg[22]
        # displaced_vertex
        cond4 = False
        for v in range(n_vev):
            if (
                s_vdr[v] > trg[25]
                and s_vdr[v] < trg[26]
                and s_vpt1[v] > trg[24]
                and s_vpt2[v] > trg[24]
            ):
                cond4 = True
        fired_any = False
        for line in range(5):
            if line == 0:
                cond = cond0
            elif line == 1:
                cond = cond1
            elif line == 2:
                cond = cond2
            elif line == 3:
                cond = cond3
            else:
                cond = cond4
            if cond:
                n_trg_u += 1
                fired = (_uniform(st_trg) < trg[5 + line]) & (trg[line] > 0.5)
                trig[line, e] = fired
                fired_any = fired_any | fired
        trig[5, e] = fired_any
    counter[_TRK, _UNI] += n_trk_u
    counter[_TRK, _NOR] += n_trk_n
    counter[_CAL, _UNI] += n_cal_u
    counter[_CAL, _NOR] += n_cal_n
    counter[_PID, _UNI] += n_pid_u
    counter[_KLM, _UNI] += n_klm_u
    counter[_KLM, _NOR] += n_klm_n
    counter[_VTX, _UNI] += n_vtx_u
    counter[_VTX, _NOR] += n_vtx_n
    counter[_TRG, _UNI] += n_trg_u


_OUTPUT_NAMES = (
    "t_off", "t_f", "t_i", "t_q", "t_b",
    "c_off", "c_f", "c_reg", "c_match", "c_b", "c_mc",
    "k_off", "k_f", "k_mc",
    "v_off", "v_f", "v_i",
    "trig", "counter",
)  # fmt: skip


def simulate_flat(
    p_off,
    pdg,
    px,
    py,
    pz,
    energy,
    vx,
    vy,
    vz,
    is_final,
    is_invisible,
    mother,
    par,
    states,
    *,
    python: bool = False,
):
    """Simulate all stages for flat truth particles grouped into events by ``p_off``.

    Parameters
    ----------
    p_off : numpy.ndarray of int64, shape (n_events + 1,)
        Event offsets into the flat particle columns.
    pdg, px, py, pz, energy, vx, vy, vz, is_final, is_invisible, mother : numpy.ndarray
        Flat truth particle columns (int32 pdg and mother, float32 kinematics in GeV and
        vertex in cm, bool flags), lab frame.
    par : dict
        Card parameters (:func:`darkscan.detector.simulate._kernel_parameters`): float64
        vectors ``trk``, ``cal``, ``pid``, ``klm``, ``vtx``, ``trg`` and the beam-background
        overlay pool ``pool_hdr`` (int64 (n_pool + 1, 4): cluster and track offsets of
        each entry, its single-photon flag and three-photon count), ``pool_c`` (float32
        (n, 5): E, theta, phi, cosTheta, region of the pool clusters) and ``pool_t``
        (float64 (n, 11): px, py, pz, E, p, pt, cosTheta, phi, d0, z0, charge); see the
        module docstring.
    states : numpy.ndarray of uint64, shape (7, 4)
        xoshiro256++ states of the seven stage streams (rows :data:`COUNTER_STAGES`),
        advanced in place (:mod:`darkscan.detector._random`).
    python : bool
        Run the same source as plain Python (``py_func``; slow, for tests).

    Returns
    -------
    tuple of numpy.ndarray
        In the order of ``_OUTPUT_NAMES``: track offsets (n_events + 1), float32 track
        columns (15, cap: px, py, pz, E, p, pt, cosTheta, phi, d0, z0, muonID, electronID,
        pionID, kaonID, clusterE), int32 (mcIndex, mcPDG), int8 charge, bool
        isBeamBackground; cluster offsets, float32 (E, clusterE, theta, phi, cosTheta),
        int8 region, bool matched, bool background, int32 mcIndex; KLM offsets, float32
        (theta, phi, cosTheta), int32 mcIndex; vertex offsets, float32 (x, y, z, dr), int32
        (track1, track2, mcIndex); trigger bool (6, n_events); draw counter int64 (7, 3)
        (rows :data:`COUNTER_STAGES`; columns uniform, normal, exponential). Columns are
        filled up to the last offset; the arrays are allocated here with numpy (so large
        ones get transparent huge pages) rather than inside the kernel.
    """
    n_events = p_off.shape[0] - 1
    n_part = pdg.shape[0]
    counter = np.zeros((7, 3), dtype=np.int64)
    pool_hdr = par["pool_hdr"]
    pick = _pool_indices.py_func if python else _pool_indices
    bkg_idx, n_bkg_cl, n_bkg_trk = pick(n_events, pool_hdr, states[_BKG], counter)
    cap_trk = n_part + int(n_bkg_trk)
    cap_cl = n_part + int(n_bkg_cl)
    cap_v = n_part // 2 + 1
    out = (
        np.zeros(n_events + 1, dtype=np.int64),
        np.empty((15, cap_trk), dtype=np.float32),
        np.empty((2, cap_trk), dtype=np.int32),
        np.empty(cap_trk, dtype=np.int8),
        np.empty(cap_trk, dtype=np.bool_),
        np.zeros(n_events + 1, dtype=np.int64),
        np.empty((5, cap_cl), dtype=np.float32),
        np.empty(cap_cl, dtype=np.int8),
        np.empty(cap_cl, dtype=np.bool_),
        np.empty(cap_cl, dtype=np.bool_),
        np.empty(cap_cl, dtype=np.int32),
        np.zeros(n_events + 1, dtype=np.int64),
        np.empty((3, n_part), dtype=np.float32),
        np.empty(n_part, dtype=np.int32),
        np.zeros(n_events + 1, dtype=np.int64),
        np.empty((4, cap_v), dtype=np.float32),
        np.empty((3, cap_v), dtype=np.int32),
        np.zeros((6, n_events), dtype=np.bool_),
        counter,
    )
    kernel = _simulate_kernel.py_func if python else _simulate_kernel
    kernel(
        p_off, pdg, px, py, pz, energy, vx, vy, vz, is_final, is_invisible, mother,
        par["trk"], par["cal"], par["pid"], par["klm"], par["vtx"], par["trg"],
        pool_hdr, par["pool_c"], par["pool_t"], bkg_idx,
        states, *out,
    )  # fmt: skip
    return out
