"""Fused numba kernel of the fast simulation: all stages in one pass over the events.

:func:`simulate_flat` runs tracking, ECL deposits/merging/smearing, K_L clusters, the
beam-background overlay, particle identification, vertexing and the trigger for flattened
truth particles in a single loop over events (one event at a time, everything in registers
and small per-event scratch buffers), except for tracking, PID and the ECL, which run per
block of :data:`_TRACK_BLOCK` events (at most :data:`_TRACK_CAP` particles) before the
block's events are written out, each in two passes: first a sequential pass that makes the
decisions and all random draws of the stage in the documented order (event order, particle
order) and stores the inputs of the arithmetic in a scratch array with rows at a constant
stride; then one branch-free loop over all objects of the block that LLVM vectorises (eight
objects per AVX-512 instruction, no runtime aliasing checks thanks to the constant stride):
the smeared track kinematics (:func:`_track_block`, :func:`_smear_track`), the four PID
variables per track (:func:`_pid_block`, :func:`_pid_hyp`) and the energy and angles of
every one-deposit ECL cluster (:func:`_ecl_block`, :func:`_ecl_cluster`). The rare objects
outside a fast path's range (smearing angles above 0.1 rad, directions near the beam axis or
with px or py zero, a PID turn-on needing ``exp``) are redone by the general code, same
formulas; the two agree bit for bit where both apply. The conditions of the trigger lines
two_track, single_muon, single_photon and three_photon are evaluated per block too, from the
block's scratch, without draws (:func:`_trigger_block`); the event loop adds the
displaced-vertex condition and draws the trigger uniforms in event order. The block passes
are functions of their own (called once per block), compiled apart from the event loop
(whose code, register allocation and inlining stay as they were). The KLM and vertexing
loops are skipped for calls without K_L or particles with a mother (dimuon samples: nothing
to find, nothing drawn). The track scratch has a compile-time row stride, which limits
events to :data:`_TRACK_CAP` (65536) particles (ValueError beyond). The physics is that of
the plain numpy stage functions (:mod:`~darkscan.detector.tracking`,
:mod:`~darkscan.detector.calorimeter`, :mod:`~darkscan.detector.pid`,
:mod:`~darkscan.detector.beam_background`, :mod:`~darkscan.detector.vertexing`,
:mod:`~darkscan.detector.trigger`), which stay the readable reference;
``tests/detector/test_kernels.py`` checks one against the other.

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
decisions are those of evaluating them per event; so is what the PID of each pool track
needs of its fixed momentum and direction (coverage, and the turn-on's ``1 + exp(-x)`` per
hypothesis: :func:`pool_pid_turn_on`, computed once per pool and PID card), so the overlaid
tracks' ID variables take no ``exp`` per event, with the same values bit for bit. The numpy
reference path keeps generating fresh background per event.

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
is tested in ``tests/detector/test_random.py``; so are the block functions
:func:`_track_block`, :func:`_pid_block` and :func:`_ecl_block`, whose vectorised loops are
tested against the general code instead).

A few more things keep the serial passes short. Where a pass draws many numbers between
stores (the tracking selection, the ECL and PID passes) the stage's xoshiro256++ state is
held in four local variables (:func:`darkscan.detector._random.uniform_s` and
:func:`~darkscan.detector._random.normal_s`: the samplers on state words) instead of being
reloaded from the state array after every store, which the compiler must assume may alias
it (about 13 ns per dimuon event in the tracking selection). And no table is
written through an index just loaded and read back soon after (a particle's track is found
by a cursor over the event's tracks, which are in particle order): such a store-then-load
through a computed address stalls the pipeline when the load is issued before the store's
address is known. The tracking acceptance in cos(theta) is decided from pz^2 and p^2 with a
margin, the exact ``pz (1/p)`` only near the edges (:func:`_track_block`), and the ECL
threshold of a one-deposit cluster from a bound on its resolution (:func:`_ecl_block`): same
decisions, no waiting for square roots and divisions. And the hot loads and stores index
with unsigned integers (``np.uint64``): numba maps a negative signed index to the end of the
array, which costs a few instructions per access wherever the compiler cannot prove the
index non-negative (output rows, scratch rows at a running count).

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

from darkscan.detector._random import JIT_OPTIONS as _random_jit_options
from darkscan.detector._random import normal as _normal
from darkscan.detector._random import normal_s as _normal_s
from darkscan.detector._random import uniform as _uniform
from darkscan.detector._random import uniform_s as _uniform_s

__all__ = [
    "COUNTER_STAGES",
    "cos_sin_small",
    "fast_atan2",
    "pool_pid_turn_on",
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


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _cluster_sigmas(e_sum, reg, cal):  # pragma: no cover - numba
    """Energy and angle resolutions of a cluster of summed deposit energy ``e_sum`` (GeV) in
    ECL region ``reg`` as in :func:`darkscan.detector.calorimeter.energy_resolution` and
    :func:`~darkscan.detector.calorimeter.angle_resolution`: ``sigma_E/E = a/E (+) b/E^(1/4)
    (+) c`` and ``sigma_theta = a_theta (+) b_theta/sqrt(E)`` (E floored at 1e-9 GeV) with
    the region's parameters (``cal[18:23]`` forward, ``cal[23:28]`` backward, ``cal[6:11]``
    barrel and otherwise; selects, no branches, so the cluster pass vectorises)."""
    fwd = reg == 1
    bwd = reg == 3
    ra = cal[18] if fwd else (cal[23] if bwd else cal[6])
    rb = cal[19] if fwd else (cal[24] if bwd else cal[7])
    rc = cal[20] if fwd else (cal[25] if bwd else cal[8])
    ta = cal[21] if fwd else (cal[26] if bwd else cal[9])
    tb = cal[22] if fwd else (cal[27] if bwd else cal[10])
    ee = max(e_sum, 1e-9)
    inv_ee = 1.0 / ee
    # (b/E^(1/4))^2 = b^2 sqrt(E)/E
    sg_e = ee * math.sqrt((ra * inv_ee) ** 2 + rb * rb * math.sqrt(ee) * inv_ee + rc * rc)
    sg_th = math.sqrt(ta * ta + tb * tb * inv_ee)
    return sg_e, sg_th


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _ecl_cluster(
    dep, g, g0, g1, st, cz, px, py, ph_trk, has_trk, reg, c, exact
):  # pragma: no cover
    """Reconstructed energy, theta, phi (wrapped into [-pi, pi]) and cos(theta) of a cluster
    made of one deposit (deposit energy, normals ``g`` (energy), ``g0``, ``g1`` (angles; 0
    for a cluster below threshold), sin and cos of the deposit's theta, true px, py (for phi
    when the particle has no track) or the track's true phi; the ECL region ``reg``; ``c``
    the calorimeter parameters as a tuple), and whether the fast path (``exact=False``: Taylor rotation,
    branch-free atan2 and clipping, valid for smearing angles below 0.1 rad, cos(theta) and
    px, py nonzero, |phi| < 3 pi) applies; the caller redoes the others with ``exact=True``
    (the general code of the cluster loop, same formulas, bit for bit where both apply).
    Scalars only, so the block pass over clusters vectorises."""
    sg_e, sg_th = _cluster_sigmas(dep, reg, c)
    e_reco = dep + sg_e * g
    if exact:
        th_true = fast_atan2(st, cz)
        ph_true = ph_trk if has_trk else fast_atan2(py, px)
    else:
        th_true = _atan2_nonzero(st, cz)
        ph_true = ph_trk if has_trk else _atan2_nonzero(py, px)
    dth = sg_th * g0
    ph_r = ph_true + sg_th / max(st, 1e-3) * g1
    th_r = th_true + dth
    if exact:
        if th_r <= 0.0:
            th_r = 0.0
            cos_r = 1.0
        elif th_r >= _PI:
            th_r = _PI
            cos_r = -1.0
        else:
            cd, sd = cos_sin_small(dth)
            cos_r = cz * cd - st * sd
        ph_w = _wrap(ph_r)
    else:
        cd, sd = _cos_sin_poly(dth)
        cos_r = cz * cd - st * sd
        cos_r = 1.0 if th_r <= 0.0 else (-1.0 if th_r >= _PI else cos_r)
        th_r = 0.0 if th_r <= 0.0 else (_PI if th_r >= _PI else th_r)
        ph_w = ph_r - 2.0 * _PI if ph_r > _PI else (ph_r + 2.0 * _PI if ph_r < -_PI else ph_r)
    ok = (abs(dth) < 0.1) & (cz != 0.0) & (has_trk | ((px != 0.0) & (py != 0.0)))
    ok = ok & (abs(ph_r) < 3.0 * _PI)
    return e_reco, th_r, ph_w, cos_r, 1.0 if ok else 0.0


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
    return _draw_id_w(u, _turn_on_w(x), eff, inv_2eff)


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _turn_on_w(x):  # pragma: no cover - numba
    """``w = 1 + exp(-x)`` of :func:`_draw_id_turn_on`: 1 above x = 40, exp capped at
    exp(700)."""
    return 1.0 if x > 40.0 else 1.0 + math.exp(min(-x, 700.0))


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _draw_id_w(u, w, eff, inv_2eff):  # pragma: no cover - numba
    """:func:`_draw_id_turn_on` given ``w = 1 + exp(-x)`` (:func:`_turn_on_w`)."""
    uw = u * w
    if uw < eff:
        return 1.0 - uw * inv_2eff
    den = w - eff
    if den > 0.0:
        return (1.0 - u) * w / (2.0 * den)
    return 0.5


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _pid_value(u, h, p_s, cos_s, sp, pid, pid_cos, pid_inv_w, pid_inv2eff, mis):  # pragma: no cover
    """ID variable of hypothesis ``h`` for a track of species index ``sp`` (smeared p and
    cos theta) from its uniform ``u`` (the general code: :func:`_draw_id_turn_on` for the
    own hypothesis and for the others, whose mis-ID rate rises with the same turn-on
    (:mod:`darkscan.detector.pid`); above ``x = 40``, where the turn-on is exactly 1,
    :func:`_draw_id_table` for the others, as the fast path :func:`_pid_hyp` computes it;
    probability 0 outside the hypothesis' coverage)."""
    if not (cos_s <= pid_cos[h, 0] and cos_s >= pid_cos[h, 1]):
        return (1.0 - u) * 0.5  # probability 0
    x = (p_s - pid[h, 1]) * pid_inv_w[h]
    if sp == _HYP_SPECIES[h]:
        return _draw_id_turn_on(u, x, pid[h, 0], pid_inv2eff[h])
    if x > 40.0:
        return _draw_id_table(u, mis[0, h, sp], mis[1, h, sp], mis[2, h, sp])
    return _draw_id_turn_on(u, x, mis[0, h, sp], mis[1, h, sp])


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _pid_track(
    u1, u2, p_s, cos_s, sp, pid, pid_cos, pid_inv_w, pid_inv2eff, mis
):  # pragma: no cover
    """muonID, electronID, pionID, kaonID of one track from its two PID uniforms, each split
    into two (:func:`split_uniform`; :func:`_pid_value`)."""
    u_a, u_b = split_uniform(u1)
    u_c, u_d = split_uniform(u2)
    return (
        _pid_value(u_a, 0, p_s, cos_s, sp, pid, pid_cos, pid_inv_w, pid_inv2eff, mis),
        _pid_value(u_b, 1, p_s, cos_s, sp, pid, pid_cos, pid_inv_w, pid_inv2eff, mis),
        _pid_value(u_c, 2, p_s, cos_s, sp, pid, pid_cos, pid_inv_w, pid_inv2eff, mis),
        _pid_value(u_d, 3, p_s, cos_s, sp, pid, pid_cos, pid_inv_w, pid_inv2eff, mis),
    )


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def pool_pid_turn_on(pool_t, pid):  # pragma: no cover - numba
    """Per background-pool track and PID hypothesis: what :func:`_pid_value` needs of the
    track's fixed momentum and direction (the pool tracks are pions, species index 2), so
    that the kernel does not evaluate the turn-on's ``exp`` per overlaid track: -1 outside
    the hypothesis' coverage, 0 where the mis-ID table applies (``x > 40``, not the own
    hypothesis), else ``w = 1 + exp(-x)`` (:func:`_turn_on_w`, >= 1). Computed once per
    pool and PID card (:func:`simulate_flat` keeps it), with the same formulas as
    :func:`_pid_value`, so the ID variables are the same bit for bit.

    Returns float64 (n_pool_tracks, 4) and the constants (5, 4) of the pion rows:
    efficiency or mis-ID rate of the turn-on, its 1/(2 eff), and the mis-ID table's q,
    1/(2q), 1/(2(1 - q)).
    """
    pid_cos, pid_inv_w, pid_inv2eff, mis = _pid_tables(pid)
    n = pool_t.shape[0]
    out = np.empty((n, 4))
    sp = 2
    for k in range(n):
        p_s = pool_t[k, 4]
        cos_s = pool_t[k, 6]
        for h in range(4):
            if not (cos_s <= pid_cos[h, 0] and cos_s >= pid_cos[h, 1]):
                out[k, h] = -1.0
                continue
            x = (p_s - pid[h, 1]) * pid_inv_w[h]
            if sp != _HYP_SPECIES[h] and x > 40.0:
                out[k, h] = 0.0
            else:
                out[k, h] = _turn_on_w(x)
    par = np.empty((5, 4))
    for h in range(4):
        own = sp == _HYP_SPECIES[h]
        par[0, h] = pid[h, 0] if own else mis[0, h, sp]
        par[1, h] = pid_inv2eff[h] if own else mis[1, h, sp]
        for r in range(3):
            par[2 + r, h] = mis[r, h, sp]
    return out, par


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _pid_value_pool(u, w, h, par):  # pragma: no cover - numba
    """:func:`_pid_value` of hypothesis ``h`` for a background-pool track from its entry
    ``w`` of :func:`pool_pid_turn_on` (constants ``par``)."""
    if w < 0.0:
        return (1.0 - u) * 0.5  # probability 0
    if w == 0.0:
        return _draw_id_table(u, par[2, h], par[3, h], par[4, h])
    return _draw_id_w(u, w, par[0, h], par[1, h])


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _pid_track_pool(u1, u2, pool_w, k, par):  # pragma: no cover - numba
    """:func:`_pid_track` of background-pool track ``k`` (:func:`pool_pid_turn_on`)."""
    u_a, u_b = split_uniform(u1)
    u_c, u_d = split_uniform(u2)
    return (
        _pid_value_pool(u_a, pool_w[k, 0], 0, par),
        _pid_value_pool(u_b, pool_w[k, 1], 1, par),
        _pid_value_pool(u_c, pool_w[k, 2], 2, par),
        _pid_value_pool(u_d, pool_w[k, 3], 3, par),
    )


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _pid_tables(pid):  # pragma: no cover - numba
    """Derived PID tables of the card's parameter array ``pid`` (4, 10): coverage in
    cos(theta) (``theta_min <= theta <= theta_max``), 1/width of the turn-ons,
    1/(2 efficiency), and the mis-ID probabilities q with 1/(2q) and 1/(2(1-q)) (3, 4, 5)
    (see :func:`_draw_id_table`)."""
    pid_cos = np.empty((4, 2))
    for h in range(4):
        pid_cos[h, 0] = math.cos(math.radians(pid[h, 3]))
        pid_cos[h, 1] = math.cos(math.radians(pid[h, 4]))
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
    return pid_cos, pid_inv_w, pid_inv2eff, mis


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _pid_constants(h, pid, pid_cos, pid_inv_w, pid_inv2eff, mis):  # pragma: no cover - numba
    """The card constants of PID hypothesis ``h`` as a tuple for :func:`_pid_hyp`: coverage
    in cos theta, turn-on momentum, 1/width, efficiency, 1/(2 eff), then per species q,
    1/(2q) and 1/(2(1 - q)) of the mis-ID table."""
    return (
        pid_cos[h, 0], pid_cos[h, 1], pid[h, 1], pid_inv_w[h], pid[h, 0], pid_inv2eff[h],
        mis[0, h, 0], mis[0, h, 1], mis[0, h, 2], mis[0, h, 3], mis[0, h, 4],
        mis[1, h, 0], mis[1, h, 1], mis[1, h, 2], mis[1, h, 3], mis[1, h, 4],
        mis[2, h, 0], mis[2, h, 1], mis[2, h, 2], mis[2, h, 3], mis[2, h, 4],
    )  # fmt: skip


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _pick5(spf, t0, t1, t2, t3, t4):  # pragma: no cover - numba
    """``(t0, ..., t4)[spf]`` for a species index held as a float (selects, no branch)."""
    return (
        t0
        if spf == 0.0
        else (t1 if spf == 1.0 else (t2 if spf == 2.0 else (t3 if spf == 3.0 else t4)))
    )


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _pid_hyp(u, p_s, cos_s, spf, own_sp, c):  # pragma: no cover - numba
    """ID variable of one hypothesis (constants ``c`` from :func:`_pid_constants`, own
    species ``own_sp``) as in :func:`_pid_track`, branch-free, and whether this fast path
    applies: it takes the turn-on's ``exp(-x)`` as 0, i.e. ``w = 1``, as
    :func:`_draw_id_turn_on` does for ``x > 40`` (own species and mis-ID alike); the other
    tracks inside the coverage are redone by the general code."""
    in_range = (cos_s <= c[0]) & (cos_s >= c[1])
    own = spf == own_sp
    x = (p_s - c[2]) * c[3]
    w = 1.0
    uw = u * w
    den = w - c[4]
    miss = (1.0 - u) * w / (2.0 * den)
    turn = (1.0 - uw * c[5]) if uw < c[4] else (miss if den > 0.0 else 0.5)
    q = _pick5(spf, c[6], c[7], c[8], c[9], c[10])
    inv_2q = _pick5(spf, c[11], c[12], c[13], c[14], c[15])
    inv_2q1 = _pick5(spf, c[16], c[17], c[18], c[19], c[20])
    hit_t = 1.0 - u * inv_2q
    miss_t = (1.0 - u) * inv_2q1
    table = hit_t if u < q else miss_t
    val = (turn if own else table) if in_range else (1.0 - u) * 0.5
    return val, (x > 40.0) | (not in_range)


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
def _single_photon(ec, th, ph, trg):  # pragma: no cover - numba
    """Whether one cluster (float64 energy, theta, phi) fires the single-photon line's
    condition: inside one of the ``trg[16]`` polar-angle regions (from ``trg[27]``: theta
    window in rad and CM threshold) with a CM energy above that region's threshold (CM energy
    from the first row of the lab -> CM transformation; the cheap upper bound ``E trg[21]``
    against the lowest threshold ``trg[15]`` checked first)."""
    if not ec * trg[21] > trg[15]:
        return False
    st = math.sin(th)
    e_cms = ec * (
        trg[17] + trg[18] * st * math.cos(ph) + trg[19] * st * math.sin(ph) + trg[20] * math.cos(th)
    )
    for k in range(int(trg[16])):
        b = 27 + 3 * k
        if th > trg[b] and th < trg[b + 1] and e_cms > trg[b + 2]:
            return True
    return False


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def pool_trigger_summary(c_off, energy, theta, phi, trg):  # pragma: no cover - numba
    """Per background-pool entry: whether one of its clusters fires the single-photon
    condition, and how many pass the three-photon energy cut (float64 values, the same
    tests the kernel applies to the event's own clusters).

    Returns int64 (2, n_pool).
    """
    n = c_off.shape[0] - 1
    out = np.zeros((2, n), dtype=np.int64)
    for j in range(n):
        for k in range(c_off[j], c_off[j + 1]):
            if _single_photon(energy[k], theta[k], phi[k], trg):
                out[0, j] = 1
            if energy[k] > trg[23]:
                out[1, j] += 1
    return out


#: Events per run of consecutive beam-background pool entries (one uniform per run).
POOL_RUN = 4096
#: Events per block of the tracking, PID and ECL passes (draws, then vectorised arithmetic).
_TRACK_BLOCK = 256
# capacity (particles, hence tracks, deposits and clusters, per block) and row stride of the
# track and cluster scratch: a compile-time constant stride lets LLVM prove the rows disjoint
# (no runtime aliasing checks, which otherwise stop the vectorisation); the 64-element pad
# keeps the rows in different cache sets
_TRACK_CAP = 65536
_TRACK_STRIDE = _TRACK_CAP + 64
# rows of the track scratch: inputs 0-14 and results 15-27 of _smear_track, PID uniforms
# 28-29, species 30, ID variables 31-34 and fast-path flag 35 (_pid_block)
_TRACK_ROWS = 36
_S = _TRACK_STRIDE
# rows of the ECL cluster scratch of a block (same stride): inputs 0-9 (deposit energy, the
# energy and two angle normals, sin and cos theta, px, py, track phi, has-track flag), results
# 10-14 (energy, theta, phi, cos theta, fast-path flag) of _ecl_cluster, input 15 (region)
_ECL_ROWS = 16


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


# The block passes below are compiled as functions of their own (called once per block of
# events): kept out of the event loop's function, they leave LLVM's inlining and register
# allocation of the event loop as they were. Without the numba runtime (they never allocate;
# see darkscan.detector._random): no reference counting of their array arguments per call.
_JIT_BLOCK = {"cache": True, "error_model": "numpy", "fastmath": _FASTMATH}
if "_nrt" in _random_jit_options:
    _JIT_BLOCK["_nrt"] = _random_jit_options["_nrt"]


@numba.njit(**_JIT_BLOCK)
def _track_block(  # pragma: no cover - numba
    blk_start, blk_end, p_off, pdg, px, py, pz, vx, vy, vz, is_final, b_ev, b_i, b_s, bb,
    trk_t, a_t, same_ang, st_trk,
):  # fmt: skip
    """Tracking of a block of events ``blk_start..blk_end`` (shortened so that the block
    holds at most :data:`_TRACK_CAP` particles), in two passes: the selection with the
    tracking draws in event order, particle order (as documented), storing the inputs of
    every found track in the track scratch ``bb``; then the smeared kinematics of all found
    tracks of the block in one branch-free loop (vectorised by LLVM: one scratch array with
    rows at a constant stride, so no aliasing checks; :func:`_smear_track`), the rare tracks
    outside its range redone by the general code. Returns the block's end and the numbers
    of uniforms and normals drawn."""
    cos_lo, cos_hi, pt_min, plateau, max_rxy, inv_pt_scale = trk_t
    # The acceptance cos_lo < cz < cos_hi (cz = pz (1/p) as computed) without waiting for
    # the square root and the division: cz is within 1e-15 of pz/sqrt(p^2), so with a margin
    # of 1e-9 the particle is surely inside if pz^2 < p^2 (cos_hi - 1e-9)^2 (pz > 0) or
    # pz^2 < p^2 (cos_lo + 1e-9)^2 (pz <= 0), surely outside if pz^2 exceeds p^2 (cos_hi +
    # 1e-9)^2 or p^2 (cos_lo - 1e-9)^2; in between cz decides, as it always does for an
    # acceptance not containing 90 degrees (bounds -1 and inf: never sure). The same
    # decisions, with the branch no longer waiting for the sqrt-and-divide latency.
    fast = cos_hi - 1e-9 > 0.0 and cos_lo + 1e-9 < 0.0
    in2_hi = (cos_hi - 1e-9) * (cos_hi - 1e-9) if fast else -1.0
    in2_lo = (cos_lo + 1e-9) * (cos_lo + 1e-9) if fast else -1.0
    out2_hi = (cos_hi + 1e-9) * (cos_hi + 1e-9) if fast else math.inf
    out2_lo = (cos_lo - 1e-9) * (cos_lo - 1e-9) if fast else math.inf
    n_trk_u = 0
    n_trk_n = 0
    nf = 0
    n_blk_p = 0
    r0 = st_trk[0]  # the stream's state in registers through the pass (normal_s)
    r1 = st_trk[1]
    r2 = st_trk[2]
    r3 = st_trk[3]
    for eb in range(blk_start, blk_end):
        # (capacity of the track and ECL scratch: a shorter block)
        if n_blk_p + p_off[eb + 1] - p_off[eb] > _TRACK_CAP:
            blk_end = eb
            break
        n_blk_p += p_off[eb + 1] - p_off[eb]
        b_ev[eb - blk_start] = nf
        for i in range(p_off[eb], p_off[eb + 1]):
            ui = np.uint64(i)  # (unsigned index: no wraparound arithmetic)
            if not is_final[ui]:
                continue
            sp = _species(abs(pdg[ui]))
            if sp < 0:
                continue
            pxi = np.float64(px[ui])
            pyi = np.float64(py[ui])
            pzi = np.float64(pz[ui])
            pt2 = pxi * pxi + pyi * pyi
            p2 = pt2 + pzi * pzi
            if p2 <= 0.0 or pt2 <= pt_min * pt_min:
                continue
            # acceptance in cos(theta) = pz/p: from pz^2 and p^2 where they are clear of
            # the edges (see below), else from cz = pz (1/p) itself
            a2 = pzi * pzi
            if not a2 < p2 * (in2_hi if pzi > 0.0 else in2_lo):
                if a2 > p2 * (out2_hi if pzi > 0.0 else out2_lo):
                    continue
                cz = pzi * (1.0 / math.sqrt(p2))
                if not (cz > cos_lo and cz < cos_hi):
                    continue
            p = math.sqrt(p2)
            inv_p = 1.0 / p
            x0 = np.float64(vx[ui])
            y0 = np.float64(vy[ui])
            if x0 * x0 + y0 * y0 >= max_rxy * max_rxy:
                continue
            pt = math.sqrt(pt2)
            x_eff = (pt - pt_min) * inv_pt_scale
            n_trk_u += 1
            u, r0, r1, r2, r3 = _uniform_s(r0, r1, r2, r3)
            if not track_found(u, x_eff, plateau):
                continue
            # (scratch rows indexed unsigned: no negative-index wraparound per store)
            uf = np.uint64(nf)
            for k in range(5):
                g, r0, r1, r2, r3 = _normal_s(r0, r1, r2, r3)
                bb[np.uint64((10 + k) * _S) + uf] = g
            n_trk_n += 5
            b_i[uf] = i
            b_s[uf] = sp
            bb[np.uint64(30 * _S) + uf] = np.float64(sp)
            bb[np.uint64(26 * _S) + uf] = _SPECIES_MASS[sp]
            bb[uf] = pxi
            bb[np.uint64(_S) + uf] = pyi
            bb[np.uint64(2 * _S) + uf] = pzi
            bb[np.uint64(3 * _S) + uf] = x0
            bb[np.uint64(4 * _S) + uf] = y0
            bb[np.uint64(5 * _S) + uf] = np.float64(vz[ui])
            bb[np.uint64(6 * _S) + uf] = pt
            bb[np.uint64(7 * _S) + uf] = p2
            bb[np.uint64(8 * _S) + uf] = p
            bb[np.uint64(9 * _S) + uf] = inv_p
            nf += 1
    b_ev[blk_end - blk_start] = nf
    st_trk[0] = r0
    st_trk[1] = r1
    st_trk[2] = r2
    st_trk[3] = r3
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
    return blk_end, n_trk_u, n_trk_n


@numba.njit(**_JIT_BLOCK)
def _pid_block(  # pragma: no cover - numba
    blk_start, blk_end, b_ev, b_s, bb, b_bid, b_bev, bkg_idx, pool_hdr, pool_w, pool_wpar,
    st_pid, pc0, pc1, pc2, pc3, pid, pid_cos, pid_inv_w, pid_inv2eff, mis,
):  # fmt: skip
    """PID of a block of events: the PID draws in the documented order (two uniforms per
    track, the event's found tracks then its background tracks; the background tracks'
    ID variables from the pool table (:func:`_pid_track_pool`, the general code with the
    turn-ons of :func:`pool_pid_turn_on`) into ``b_bid``, four per
    track, first track of each event in ``b_bev``), then the ID variables of
    all found tracks of the block (track scratch rows 31-34) in one branch-free loop,
    vectorised by LLVM (the four hypotheses' selects for eight tracks at once instead of
    branches on random uniforms); tracks whose own-hypothesis turn-on needs ``exp(-x)`` are
    redone by the general code. Returns the number of uniforms drawn."""
    has_pool = pool_hdr.shape[0] > 1
    nf = b_ev[blk_end - blk_start]
    nbt = 0
    c0 = st_pid[0]  # the stream's state in registers (see normal_s)
    c1 = st_pid[1]
    c2 = st_pid[2]
    c3 = st_pid[3]
    for eb in range(blk_start, blk_end):
        el = eb - blk_start
        for j in range(b_ev[el], b_ev[el + 1]):
            u1, c0, c1, c2, c3 = _uniform_s(c0, c1, c2, c3)
            u2, c0, c1, c2, c3 = _uniform_s(c0, c1, c2, c3)
            bb[np.uint64(28 * _S + j)] = u1  # (unsigned index: no wraparound arithmetic)
            bb[np.uint64(29 * _S + j)] = u2
        b_bev[el] = nbt
        if has_pool:
            jb = bkg_idx[eb]
            for k in range(pool_hdr[jb, 1], pool_hdr[jb + 1, 1]):
                u1, c0, c1, c2, c3 = _uniform_s(c0, c1, c2, c3)
                u2, c0, c1, c2, c3 = _uniform_s(c0, c1, c2, c3)
                r = _pid_track_pool(u1, u2, pool_w, k, pool_wpar)
                for h in range(4):
                    b_bid[4 * nbt + h] = r[h]
                nbt += 1
    st_pid[0] = c0
    st_pid[1] = c1
    st_pid[2] = c2
    st_pid[3] = c3
    for j in range(nf):
        u_a, u_b = split_uniform(bb[28 * _S + j])
        u_c, u_d = split_uniform(bb[29 * _S + j])
        p_s = bb[19 * _S + j]
        cos_s = bb[21 * _S + j]
        spf = bb[30 * _S + j]
        r0, ok0 = _pid_hyp(u_a, p_s, cos_s, spf, 1.0, pc0)
        r1, ok1 = _pid_hyp(u_b, p_s, cos_s, spf, 0.0, pc1)
        r2, ok2 = _pid_hyp(u_c, p_s, cos_s, spf, 2.0, pc2)
        r3, ok3 = _pid_hyp(u_d, p_s, cos_s, spf, 3.0, pc3)
        bb[31 * _S + j] = r0
        bb[32 * _S + j] = r1
        bb[33 * _S + j] = r2
        bb[34 * _S + j] = r3
        bb[35 * _S + j] = 1.0 if ok0 & ok1 & ok2 & ok3 else 0.0
    for j in range(nf):
        if bb[35 * _S + j] == 0.0:
            r = _pid_track(
                bb[28 * _S + j], bb[29 * _S + j], bb[19 * _S + j], bb[21 * _S + j], b_s[j],
                pid, pid_cos, pid_inv_w, pid_inv2eff, mis,
            )  # fmt: skip
            for h in range(4):
                bb[(31 + h) * _S + j] = r[h]
    return 2 * (nf + nbt)


@numba.njit(**_JIT_BLOCK)
def _ecl_block(  # pragma: no cover - numba
    blk_start, blk_end, p_off, pdg, px, py, pz, energy, is_final, is_invisible,
    b_ev, b_i, bb, bc, b_cev, b_pev, b_calive, b_creg, b_cmc, b_cmatch, b_pj, b_pc,
    b_mc, b_mv, d_e, d_ux, d_uy, d_uz, d_st, d_px, d_py, d_trk, d_reg,
    d_idx, d_order, d_cl, cal, cal_t, cos_edge, cos_merge, st_cal,
):  # fmt: skip
    """ECL of a block of events (deposits, merging, smearing; outputs in the cluster scratch
    ``bc`` and the per-cluster arrays, read by the event loop), in two passes.

    Pass 1, in event order: deposits, merging and every calorimeter draw in the documented
    order (deposit candidates, then per cluster the energy normal and, above threshold, the
    two angle normals); the inputs of the one-deposit clusters go to the cluster scratch,
    clusters of several deposits are done here (the general code). The threshold decision
    of a one-deposit cluster needs its sigma_E only when a cheap bound does not settle it.

    Pass 2: energy, angles and their smearing of all one-deposit clusters of the block in
    one branch-free loop (no draws; vectorised by LLVM like the track pass: the resolutions'
    square roots and divisions and the atan2 of eight clusters at once instead of one
    dependent chain per cluster); the rare clusters outside the fast path are redone by the
    general code, then the results of the clusters of several deposits are put in.

    Returns the numbers of uniforms and normals drawn.
    """
    # (the largest of the three regions' parameters: the bound holds in every region)
    sg_a = max(abs(cal[6]), abs(cal[18]), abs(cal[23]))
    sg_b = max(abs(cal[7]), abs(cal[19]), abs(cal[24]))
    sg_c = max(abs(cal[8]), abs(cal[20]), abs(cal[25]))
    n_cal_u = 0
    n_cal_n = 0
    jt_cap = b_i.shape[0] - 1
    c0 = st_cal[0]  # the stream's state in registers (see normal_s)
    c1 = st_cal[1]
    c2 = st_cal[2]
    c3 = st_cal[3]
    ncb = 0
    npb = 0
    nmb = 0
    # pass 1
    for eb in range(blk_start, blk_end):
        el = eb - blk_start
        b_cev[el] = ncb
        b_pev[el] = npb
        q0 = p_off[eb]
        q1 = p_off[eb + 1]
        # the event's found tracks are in particle order: a cursor gives each particle's
        # track (no particle -> track table, whose scattered stores and reloads stall)
        jt = b_ev[el]
        jt_end = b_ev[el + 1]
        nd = 0
        for i in range(q0, q1):
            is_tr = (jt < jt_end) & (b_i[min(jt, jt_cap)] == i)
            tr = jt if is_tr else -1
            jt += is_tr
            ui = np.uint64(i)  # (unsigned index: no wraparound arithmetic)
            if not is_final[ui] or is_invisible[ui]:
                continue
            apdg = abs(pdg[ui])
            is_em = apdg == 22 or apdg == 11
            is_mu = apdg == 13
            is_had = apdg == 211 or apdg == 321 or apdg == 2212
            if not (is_em or is_mu or is_had):
                continue
            pxi = np.float64(px[ui])
            pyi = np.float64(py[ui])
            pzi = np.float64(pz[ui])
            pt2 = pxi * pxi + pyi * pyi
            if tr >= 0:  # the track computed the same p and 1/p (p > 0)
                p = bb[np.uint64(8 * _S + tr)]
                inv_p = bb[np.uint64(9 * _S + tr)]
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
            e_true = np.float64(energy[ui])
            mass = 0.0
            s = _species(apdg)
            if s >= 0:
                mass = _SPECIES_MASS[s]
            kinetic = max(e_true - mass, 0.0)
            mip = is_mu
            if is_em:
                n_cal_u += 1
                u, c0, c1, c2, c3 = _uniform_s(c0, c1, c2, c3)
                if not u < cal[12]:
                    continue
                dep = e_true
            elif is_had:
                u, c0, c1, c2, c3 = _uniform_s(c0, c1, c2, c3)
                n_cal_u += 1
                if u < cal[15]:
                    v = u / cal[15]
                    dep = min(cal[13] + v * max(kinetic - cal[13], 0.0), kinetic)
                else:
                    mip = True
            if mip:
                n_cal_n += 1
                g, c0, c1, c2, c3 = _normal_s(c0, c1, c2, c3)
                dep = min(max(cal[13] + cal[14] * g, 0.0), kinetic)
            if not dep > 0.0:
                continue
            ud = np.uint64(nd)  # (unsigned index: no negative-index wraparound per store)
            d_e[ud] = dep
            d_ux[ud] = pxi * inv_p
            d_uy[ud] = pyi * inv_p
            d_uz[ud] = pzi * inv_p
            d_st[ud] = (bb[np.uint64(6 * _S + tr)] if tr >= 0 else math.sqrt(pt2)) * inv_p
            d_px[ud] = pxi
            d_py[ud] = pyi
            d_trk[ud] = tr
            d_reg[ud] = region
            d_idx[ud] = i - q0
            d_cl[ud] = -1
            nd += 1
        # merging (as calorimeter.py): deposits by decreasing energy (stable), each
        # not yet merged one seeds a cluster of the later ones within the angle;
        # two deposits (as in dimuon events) with selects instead of the sort and
        # the loops, whose branches on the random energies mispredict
        if nd == 2:
            # (integer arithmetic on the comparisons: the compiler turned the selects on
            # the random energy order into a branch; the lead seeds cluster 0, stored at
            # fixed addresses rather than through d_order)
            swap = np.int64(d_e[0] < d_e[1])
            apart = np.int64(d_ux[0] * d_ux[1] + d_uy[0] * d_uy[1] + d_uz[0] * d_uz[1] < cos_merge)
            d_order[0] = swap
            d_order[1] = 1 - swap
            d_cl[0] = swap * apart
            d_cl[1] = (1 - swap) * apart
            n_cl_ev = 1 + apart
            nd_gen = 0
        else:
            nd_gen = nd
        for k in range(nd_gen):
            b = k
            while b > 0 and d_e[d_order[b - 1]] < d_e[k]:
                d_order[b] = d_order[b - 1]
                b -= 1
            d_order[b] = k
        if nd != 2:
            n_cl_ev = 0
        for k in range(nd_gen):
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
        # sums in deposit order; the lead (seed) deposit is the highest-energy one,
        # first on ties. Without any merging (each cluster one deposit, the usual case)
        # the cluster's deposit is looked up instead of summed over all deposits.
        # (then cluster c is the deposit d_order[c], the c-th seed)
        all_single = n_cl_ev == nd
        for c in range(n_cl_ev):
            e_sum = 0.0
            vxs = 0.0
            vys = 0.0
            vzs = 0.0
            matched = False
            lead = -1
            best = -1.0
            n_in = 0
            if all_single:
                lead = d_order[c]
                n_in = 1
                matched = d_trk[lead] >= 0
            for k in range(0 if all_single else nd):
                # selects, no branches (which deposit belongs to which cluster is
                # random); a deposit of another cluster adds exact zeros
                inc = d_cl[k] == c
                n_in += inc
                dk = d_e[k] if inc else 0.0
                e_sum += dk
                vxs += dk * d_ux[k]
                vys += dk * d_uy[k]
                vzs += dk * d_uz[k]
                matched = matched | (inc & (d_trk[k] >= 0))
                upd = inc & (dk > best)
                best = dk if upd else best
                lead = k if upd else lead
            ul = np.uint64(lead)  # (unsigned index, as ud; lead >= 0 here)
            cb = ncb + c
            ucb = np.uint64(cb)  # (unsigned index, as ud)
            g, c0, c1, c2, c3 = _normal_s(c0, c1, c2, c3)
            n_cal_n += 1
            g0 = 0.0
            g1 = 0.0
            if n_in == 1:
                # one deposit: e_sum is its energy exactly (the others add +0.0).
                # Above threshold (e_reco = dep + sigma_E g > threshold) for sure if
                # g >= 0 and dep > threshold, or if g < 0 and dep + W g > threshold
                # with W >= sigma_E: sigma_E = sqrt(a^2 + b^2 E^1.5 + c^2 E^2) <=
                # a + b max(E, 1) + c E (times 1 + 1e-7 for rounding; the products
                # and sums round monotonically), i.e. if dep + min(W g, 0) >
                # threshold (a select: no branch on the sign of g). Otherwise
                # sigma_E decides, as in the general code. The energy itself is
                # computed in pass 2.
                dep = d_e[ul]
                ee = max(dep, 1e-9)
                w_bound = (sg_a + sg_b * max(ee, 1.0) + sg_c * ee) * 1.0000001
                alive = dep + min(w_bound * g, 0.0) > cal[11]
                if not alive:
                    sg_e, _ = _cluster_sigmas(dep, d_reg[ul], cal)
                    alive = dep + sg_e * g > cal[11]
                if alive:
                    g0, c0, c1, c2, c3 = _normal_s(c0, c1, c2, c3)
                    g1, c0, c1, c2, c3 = _normal_s(c0, c1, c2, c3)
                    n_cal_n += 2
                tr = d_trk[ul]
                bc[ucb] = dep
                bc[np.uint64(1 * _S) + ucb] = g
                bc[np.uint64(2 * _S) + ucb] = g0
                bc[np.uint64(3 * _S) + ucb] = g1
                bc[np.uint64(4 * _S) + ucb] = d_st[ul]
                bc[np.uint64(5 * _S) + ucb] = d_uz[ul]
                bc[np.uint64(6 * _S) + ucb] = d_px[ul] if tr < 0 else 1.0
                bc[np.uint64(7 * _S) + ucb] = d_py[ul] if tr < 0 else 1.0
                bc[np.uint64(8 * _S) + ucb] = bb[np.uint64(25 * _S + tr)] if tr >= 0 else 0.0
                bc[np.uint64(9 * _S) + ucb] = 1.0 if tr >= 0 else 0.0
                bc[np.uint64(15 * _S) + ucb] = d_reg[ul]
            else:
                sg_e, sg_th = _cluster_sigmas(e_sum, d_reg[ul], cal)
                e_reco = e_sum + sg_e * g
                alive = e_reco > cal[11]
                if alive:
                    vt2 = vxs * vxs + vys * vys
                    vts = math.sqrt(vt2)
                    vn = math.sqrt(vt2 + vzs * vzs)
                    th_true = fast_atan2(vts, vzs)
                    ph_true = fast_atan2(vys, vxs)
                    inv_vn = 1.0 / vn
                    sin_true = vts * inv_vn
                    uz = vzs * inv_vn
                    g0, c0, c1, c2, c3 = _normal_s(c0, c1, c2, c3)
                    g1, c0, c1, c2, c3 = _normal_s(c0, c1, c2, c3)
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
                    b_mc[nmb] = cb
                    b_mv[nmb, 0] = e_reco
                    b_mv[nmb, 1] = th_r
                    b_mv[nmb, 2] = _wrap(ph_r)
                    b_mv[nmb, 3] = cos_r
                    nmb += 1
                # (harmless inputs for pass 2, whose results are replaced)
                bc[ucb] = 1.0
                for f in range(1, 4):
                    bc[np.uint64(f * _S) + ucb] = 0.0
                for f in range(4, 10):
                    bc[np.uint64(f * _S) + ucb] = 0.5
                bc[np.uint64(15 * _S) + ucb] = 2.0
            b_calive[ucb] = alive
            b_creg[ucb] = d_reg[ul]
            b_cmc[ucb] = d_idx[ul]
            b_cmatch[ucb] = matched
        # (track, cluster) of each tracked deposit (cluster energy of the track)
        for k in range(nd):
            if d_trk[k] >= 0:
                b_pj[npb] = d_trk[k]
                b_pc[npb] = ncb + d_cl[k]
                npb += 1
        ncb += n_cl_ev
    b_cev[blk_end - blk_start] = ncb
    b_pev[blk_end - blk_start] = npb
    # pass 2 (see the docstring)
    for c in range(ncb):
        r = _ecl_cluster(
            bc[c], bc[_S + c], bc[2 * _S + c], bc[3 * _S + c], bc[4 * _S + c],
            bc[5 * _S + c], bc[6 * _S + c], bc[7 * _S + c], bc[8 * _S + c],
            bc[9 * _S + c] != 0.0, bc[15 * _S + c], cal_t, False,
        )  # fmt: skip
        bc[10 * _S + c] = r[0]
        bc[11 * _S + c] = r[1]
        bc[12 * _S + c] = r[2]
        bc[13 * _S + c] = r[3]
        bc[14 * _S + c] = r[4]
    for c in range(ncb):
        if bc[14 * _S + c] == 0.0:
            r = _ecl_cluster(
                bc[c], bc[_S + c], bc[2 * _S + c], bc[3 * _S + c], bc[4 * _S + c],
                bc[5 * _S + c], bc[6 * _S + c], bc[7 * _S + c], bc[8 * _S + c],
                bc[9 * _S + c] != 0.0, bc[15 * _S + c], cal_t, True,
            )  # fmt: skip
            for f in range(4):
                bc[(10 + f) * _S + c] = r[f]
    for m in range(nmb):
        for f in range(4):
            bc[(10 + f) * _S + b_mc[m]] = b_mv[m, f]
    st_cal[0] = c0
    st_cal[1] = c1
    st_cal[2] = c2
    st_cal[3] = c3
    return n_cal_u, n_cal_n


@numba.njit(**_JIT_BLOCK)
def _trigger_block(  # pragma: no cover - numba
    blk_start, blk_end, b_ev, bb, b_bid, b_bev, bkg_idx, pool_hdr, pool_t, bc, b_cev, b_calive,
    trg, b_trg, s_pt, s_phi, s_mu,
):  # fmt: skip
    """Conditions of the trigger lines two_track, single_muon, single_photon and three_photon
    (bits 0-3 of ``b_trg``) of every event of a block, from the block's found tracks (track
    scratch: pT, phi, muonID), its background tracks (pool; muonID from the PID pass) and its
    clusters (cluster scratch: energy, theta, phi; the pool entry's precomputed
    summary): the tests of :func:`darkscan.detector.trigger.trigger_decisions` as the event
    loop applied them, on the same float64 values (phi and muonID as stored, in float32).
    No draws: the event loop adds the displaced-vertex condition (vertices are made there)
    and draws the trigger uniforms in event order, line order, as documented."""
    has_pool = pool_hdr.shape[0] > 1
    pt_sel = trg[10]
    pt_mu = trg[13]
    mu_min = trg[14]
    for eb in range(blk_start, blk_end):
        el = eb - blk_start
        # tracks of the event (found tracks, then background tracks): pT and phi of those
        # above the two-track pT cut, the single-muon condition on the way (non-short-
        # circuit & and |, selects: no branches on the random values)
        n_sel = 0
        cond1 = False
        for j in range(b_ev[el], b_ev[el + 1]):
            uj = np.uint64(j)
            pt = bb[np.uint64(20 * _S) + uj]
            mu = np.float32(bb[np.uint64(31 * _S) + uj])
            s_pt[n_sel] = pt
            s_phi[n_sel] = bb[np.uint64(22 * _S) + uj]
            n_sel += pt > pt_sel
            cond1 = cond1 | ((pt > pt_mu) & (mu > mu_min))
        jb = bkg_idx[eb]
        if has_pool:
            kb = 4 * b_bev[el]
            for k in range(pool_hdr[jb, 1], pool_hdr[jb + 1, 1]):
                pt = pool_t[k, 5]
                mu = np.float32(b_bid[kb])
                s_pt[n_sel] = pt
                s_phi[n_sel] = pool_t[k, 7]
                n_sel += pt > pt_sel
                cond1 = cond1 | ((pt > pt_mu) & (mu > mu_min))
                kb += 4
        # two_track: the largest opening angle in phi of the selected tracks (kept in
        # s_pt, s_phi in track order: a track's slot is overwritten unless it passes)
        cond0 = n_sel >= trg[11]
        if cond0 and trg[11] >= 2:
            best = -1.0
            for t in range(n_sel):
                for t2 in range(t + 1, n_sel):
                    d = abs(s_phi[t] - s_phi[t2])  # phi in [-pi, pi]: fold into [0, pi]
                    d = min(d, 2.0 * _PI - d)  # (a select: d > pi is a coin flip for pairs)
                    best = max(best, d)
            cond0 = best > trg[12]
        # single_photon and three_photon: the event's clusters above threshold, then the
        # overlay entry's precomputed answers
        cond2 = has_pool and pool_hdr[jb, 2] > 0
        n_hi = pool_hdr[jb, 3] if has_pool else 0
        # (the cheap bound of _single_photon first, with the count: one rare branch)
        for cb in range(b_cev[el], b_cev[el + 1]):
            ucb = np.uint64(cb)
            alive = b_calive[ucb]
            ec = bc[np.uint64(10 * _S) + ucb]
            n_hi += alive & (ec > trg[23])
            if alive & (ec * trg[21] > trg[15]) & (not cond2):
                ph = np.float64(np.float32(bc[np.uint64(12 * _S) + ucb]))
                cond2 = _single_photon(ec, bc[np.uint64(11 * _S) + ucb], ph, trg)
        cond3 = n_hi >= trg[22]
        b_trg[el] = (
            np.int64(cond0)
            | (np.int64(cond1) << 1)
            | (np.int64(cond2) << 2)
            | (np.int64(cond3) << 3)
        )


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
    pool_w,
    pool_wpar,
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
    # whether any particle is a K_L or has a mother: the KLM and vertexing loops are skipped
    # for samples without (they would find nothing to do, and draw nothing)
    any_klong = False
    any_mother = False
    for i in range(pdg.shape[0]):
        any_klong = any_klong | (abs(pdg[i]) == 130)
        any_mother = any_mother | (mother[i] >= 0)
    # per-event scratch, sized for the largest event
    max_p = 1
    for e in range(n_events):
        max_p = max(max_p, p_off[e + 1] - p_off[e])
    has_pool = pool_hdr.shape[0] > 1
    max_t = max_p + 1
    max_bt = 0  # background tracks of an event
    if has_pool:
        for e in range(n_events):
            jb = bkg_idx[e]
            max_t = max(max_t, max_p + pool_hdr[jb + 1, 1] - pool_hdr[jb, 1] + 1)
            max_bt = max(max_bt, pool_hdr[jb + 1, 1] - pool_hdr[jb, 1])
    # tracking, PID and ECL run per block of _TRACK_BLOCK events (selection and draws, then
    # the arithmetic of all found tracks or clusters of the block in one branch-free loop)
    if max_p > _TRACK_CAP:
        raise ValueError("simulate_flat: an event has more than 65536 particles")
    b_ev = np.empty(_TRACK_BLOCK + 1, dtype=np.int64)  # first found track of each event
    b_i = np.empty(_TRACK_CAP, dtype=np.int64)  # particle index, species
    b_s = np.empty(_TRACK_CAP, dtype=np.int64)
    bb = np.empty(_TRACK_ROWS * _TRACK_STRIDE)  # track scratch rows (see _smear_track)
    # PID of the background tracks of a block, first one of each event
    b_bid = np.empty(4 * _TRACK_BLOCK * max_bt + 4)
    b_bev = np.empty(_TRACK_BLOCK + 1, dtype=np.int64)
    s_pt = np.empty(max_t)  # float64 track pT, phi, float32 muonID (_trigger_block)
    s_phi = np.empty(max_t)
    s_mu = np.empty(max_t, dtype=np.float32)
    d_e = np.empty(max_p)  # deposits of one event
    d_ux = np.empty(max_p)
    d_uy = np.empty(max_p)
    d_uz = np.empty(max_p)
    d_st = np.empty(max_p)  # sin(theta) of the deposit direction
    d_px = np.empty(max_p)
    d_py = np.empty(max_p)
    d_trk = np.empty(max_p, dtype=np.int64)  # found track of the block or -1
    d_reg = np.empty(max_p, dtype=np.int64)
    d_idx = np.empty(max_p, dtype=np.int64)
    d_order = np.empty(max_p, dtype=np.int64)
    d_cl = np.empty(max_p, dtype=np.int64)
    # ECL clusters of a block (see the ECL passes): float rows at the track stride, first
    # cluster and first (track, cluster) pair of each event, per cluster: above threshold,
    # region, truth index, track-matched; (track, cluster) pairs of the tracked deposits;
    # the clusters of several deposits (index, energy, theta, phi, cos theta)
    bc = np.empty(_ECL_ROWS * _TRACK_STRIDE)
    b_cev = np.empty(_TRACK_BLOCK + 1, dtype=np.int64)
    b_pev = np.empty(_TRACK_BLOCK + 1, dtype=np.int64)
    b_calive = np.empty(_TRACK_CAP, dtype=np.bool_)
    b_creg = np.empty(_TRACK_CAP, dtype=np.int64)
    b_cmc = np.empty(_TRACK_CAP, dtype=np.int64)
    b_cmatch = np.empty(_TRACK_CAP, dtype=np.bool_)
    b_pj = np.empty(_TRACK_CAP, dtype=np.int64)
    b_pc = np.empty(_TRACK_CAP, dtype=np.int64)
    b_mc = np.empty(_TRACK_CAP, dtype=np.int64)
    b_mv = np.empty((_TRACK_CAP, 4))
    b_trg = np.empty(_TRACK_BLOCK, dtype=np.int64)  # trigger conditions (_trigger_block)
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
    # calorimeter parameters as a tuple of scalars (for the vectorised cluster pass)
    cal_t = (
        cal[0], cal[1], cal[2], cal[3], cal[4], cal[5], cal[6], cal[7], cal[8], cal[9],
        cal[10], cal[11], cal[12], cal[13], cal[14], cal[15], cal[16], cal[17], cal[18],
        cal[19], cal[20], cal[21], cal[22], cal[23], cal[24], cal[25], cal[26], cal[27],
    )  # fmt: skip
    inv_pt_scale = 1.0 / pt_scale
    trk_t = (cos_lo, cos_hi, pt_min, plateau, max_rxy, inv_pt_scale)
    cos_edge = np.empty(6)
    for k in range(6):
        cos_edge[k] = math.cos(math.radians(cal[k]))
    pid_cos, pid_inv_w, pid_inv2eff, mis = _pid_tables(pid)
    # the same per hypothesis as tuples of scalars (for the vectorised PID pass)
    pc0 = _pid_constants(0, pid, pid_cos, pid_inv_w, pid_inv2eff, mis)
    pc1 = _pid_constants(1, pid, pid_cos, pid_inv_w, pid_inv2eff, mis)
    pc2 = _pid_constants(2, pid, pid_cos, pid_inv_w, pid_inv2eff, mis)
    pc3 = _pid_constants(3, pid, pid_cos, pid_inv_w, pid_inv2eff, mis)

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
            blk_start = e
            blk_end, n_u, n_n = _track_block(
                e, min(e + _TRACK_BLOCK, n_events), p_off, pdg, px, py, pz, vx, vy, vz,
                is_final, b_ev, b_i, b_s, bb, trk_t, a_t, same_ang, st_trk,
            )  # fmt: skip
            n_trk_u += n_u
            n_trk_n += n_n
            # ------------------------------------------------ PID of the block
            n_pid_u += _pid_block(
                blk_start, blk_end, b_ev, b_s, bb, b_bid, b_bev, bkg_idx, pool_hdr, pool_w,
                pool_wpar, st_pid, pc0, pc1, pc2, pc3, pid, pid_cos, pid_inv_w, pid_inv2eff, mis,
            )  # fmt: skip
            # ------------------------------------------------ ECL of the block
            n_u, n_n = _ecl_block(
                blk_start, blk_end, p_off, pdg, px, py, pz, energy, is_final, is_invisible,
                b_ev, b_i, bb, bc, b_cev, b_pev, b_calive, b_creg, b_cmc, b_cmatch, b_pj, b_pc,
                b_mc, b_mv, d_e, d_ux, d_uy, d_uz, d_st, d_px, d_py, d_trk, d_reg,
                d_idx, d_order, d_cl, cal, cal_t, cos_edge, cos_merge, st_cal,
            )  # fmt: skip
            n_cal_u += n_u
            n_cal_n += n_n
            # ------------------------------------------------ trigger conditions of the block
            _trigger_block(
                blk_start, blk_end, b_ev, bb, b_bid, b_bev, bkg_idx, pool_hdr, pool_t, bc, b_cev,
                b_calive, trg, b_trg, s_pt, s_phi, s_mu,
            )  # fmt: skip
        t_start = nt
        # ------------------------------------------------------------ tracking (output)
        # (output rows indexed unsigned, ``ut``: no negative-index wraparound arithmetic
        # on every store, as for the signed counter)
        for j in range(b_ev[e - blk_start], b_ev[e - blk_start + 1]):
            uj = np.uint64(j)
            i = b_i[uj]
            ut = np.uint64(nt)
            for f in range(10):
                t_f[f, ut] = bb[np.uint64((15 + f) * _S) + uj]
            t_f[14, ut] = 0.0
            t_i[0, ut] = i - p0
            t_i[1, ut] = pdg[i]
            q = _SPECIES_CHARGE_POS[b_s[uj]]
            t_q[ut] = q if pdg[i] > 0 else -q
            t_b[ut] = False
            for h in range(4):
                t_f[10 + h, ut] = bb[np.uint64((31 + h) * _S) + uj]
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
            kb = 4 * (b_bev[e - blk_start] + k - jb_t0)  # PID from the block pass
            for h in range(4):
                t_f[10 + h, nt] = b_bid[kb + h]
            nt += 1
        t_off[e + 1] = nt
        # ------------------------------------------------------------ ECL (output)
        # the clusters above threshold of this event from the block's ECL passes
        el = e - blk_start
        for cb in range(b_cev[el], b_cev[el + 1]):
            ucb = np.uint64(cb)
            if not b_calive[ucb]:
                continue
            e_reco = bc[np.uint64(10 * _S) + ucb]
            th_r = bc[np.uint64(11 * _S) + ucb]
            uc = np.uint64(nc)
            c_f[0, uc] = e_reco  # (E; clusterE is the same column)
            c_f[1, uc] = th_r
            c_f[2, uc] = bc[np.uint64(12 * _S) + ucb]
            c_f[3, uc] = bc[np.uint64(13 * _S) + ucb]
            c_reg[uc] = b_creg[ucb]
            c_match[uc] = b_cmatch[ucb]
            c_b[uc] = False
            c_mc[uc] = b_cmc[ucb]
            nc += 1
        # cluster energy of each track's particle
        t_first = b_ev[el]
        for k in range(b_pev[el], b_pev[el + 1]):
            uk = np.uint64(k)
            ucb = np.uint64(b_pc[uk])
            if b_calive[ucb]:
                t_f[14, np.uint64(t_start + b_pj[uk] - t_first)] = bc[np.uint64(10 * _S) + ucb]
        # ------------------------------------------------------------ beam-background clusters
        # (their trigger conditions are precomputed per pool entry: pool_trigger_summary)
        for k in range(jb_c0, jb_c1):
            uc = np.uint64(nc)
            uk = np.uint64(k)
            c_f[0, uc] = pool_c[uk, 0]
            c_f[1, uc] = pool_c[uk, 1]
            c_f[2, uc] = pool_c[uk, 2]
            c_f[3, uc] = pool_c[uk, 3]
            c_reg[uc] = np.int8(pool_c[uk, 4])
            c_match[uc] = False
            c_b[uc] = True
            c_mc[uc] = -1
            nc += 1
        c_off[e + 1] = nc
        # ------------------------------------------------------------ KLM (K_L)
        for i in range(p0, p1 if any_klong else p0):
            ui = np.uint64(i)  # (unsigned index: no wraparound arithmetic)
            if abs(pdg[ui]) != 130 or not is_final[ui]:
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
        for t in range(t_start, t_start + n_phys_trk if any_mother else t_start):
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
                        # (pT of the found tracks: track scratch row 20)
                        s_vpt1[n_vev] = bb[np.uint64(20 * _S + b_ev[el] + first)]
                        s_vpt2[n_vev] = bb[np.uint64(20 * _S + b_ev[el] + second)]
                        nv += 1
                        n_vev += 1
            k = g
        v_off[e + 1] = nv
        # ------------------------------------------------------------ trigger
        # two_track, single_muon, single_photon, three_photon from the block pass
        # (_trigger_block); displaced_vertex from this event's vertices
        m_trg = b_trg[el]
        cond0 = (m_trg & 1) != 0
        cond1 = (m_trg & 2) != 0
        cond2 = (m_trg & 4) != 0
        cond3 = (m_trg & 8) != 0
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


# pool_pid_turn_on of the pools in use, by (id(pool_t), PID parameters): (pool_t, result)
_POOL_PID = {}


def _pool_pid(pool_t, pid):
    """:func:`pool_pid_turn_on` for this pool and PID card, computed once (the pool and the
    card's parameter arrays are cached per card content by the caller)."""
    key = (id(pool_t), pid.tobytes())
    hit = _POOL_PID.get(key)
    if hit is None or hit[0] is not pool_t:
        if len(_POOL_PID) >= 8:
            _POOL_PID.pop(next(iter(_POOL_PID)))
        hit = (pool_t, pool_pid_turn_on(pool_t, pid))
        _POOL_PID[key] = hit
    return hit[1]


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
    arena=None,
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
    arena : darkscan.detector._buffers.OutputArena, optional
        Where the output arrays come from (reused memory: no page zeroing by the operating
        system per call); default: new numpy arrays.

    Returns
    -------
    tuple of numpy.ndarray
        In the order of ``_OUTPUT_NAMES``: track offsets (n_events + 1), float32 track
        columns (15, cap: px, py, pz, E, p, pt, cosTheta, phi, d0, z0, muonID, electronID,
        pionID, kaonID, clusterE), int32 (mcIndex, mcPDG), int8 charge, bool
        isBeamBackground; cluster offsets, float32 (E = clusterE, theta, phi, cosTheta),
        int8 region, bool matched, bool background, int32 mcIndex; KLM offsets, float32
        (theta, phi, cosTheta), int32 mcIndex; vertex offsets, float32 (x, y, z, dr), int32
        (track1, track2, mcIndex); trigger bool (6, n_events); draw counter int64 (7, 3)
        (rows :data:`COUNTER_STAGES`; columns uniform, normal, exponential). Columns are
        filled up to the last offset; the arrays are allocated here (numpy or ``arena``)
        rather than inside the kernel.
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
    i8, i32, f32, b1 = np.int64, np.int32, np.float32, np.bool_
    offsets = ((n_events + 1,), i8, False)  # (entry 0 set below, the kernel writes the rest)
    specs = [
        offsets, ((15, cap_trk), f32, False), ((2, cap_trk), i32, False),
        ((cap_trk,), np.int8, False), ((cap_trk,), b1, False),
        offsets, ((4, cap_cl), f32, False), ((cap_cl,), np.int8, False), ((cap_cl,), b1, False),
        ((cap_cl,), b1, False), ((cap_cl,), i32, False),
        offsets, ((3, n_part), f32, False), ((n_part,), i32, False),
        offsets, ((4, cap_v), f32, False), ((3, cap_v), i32, False),
        ((6, n_events), b1, True),
    ]  # fmt: skip
    if arena is None:
        out = [
            np.zeros(shape, dtype) if zero else np.empty(shape, dtype)
            for shape, dtype, zero in specs
        ]
    else:
        out = arena.allocate(specs)
    for k in (0, 5, 11, 14):
        out[k][0] = 0
    out = (*out, counter)
    kernel = _simulate_kernel.py_func if python else _simulate_kernel
    kernel(
        p_off, pdg, px, py, pz, energy, vx, vy, vz, is_final, is_invisible, mother,
        par["trk"], par["cal"], par["pid"], par["klm"], par["vtx"], par["trg"],
        pool_hdr, par["pool_c"], par["pool_t"], *_pool_pid(par["pool_t"], par["pid"]), bkg_idx,
        states, *out,
    )  # fmt: skip
    return out
