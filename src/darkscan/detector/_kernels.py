"""Fused numba kernel of the fast simulation: all stages in one pass over the events.

:func:`simulate_flat` runs tracking, ECL deposits/merging/smearing, K_L clusters, beam
background, particle identification, vertexing and the trigger for flattened truth particles
in a single loop over events (one event at a time, everything in registers and small
per-event scratch buffers), drawing its random numbers inside the kernel from the
``numpy.random.Generator`` objects passed in (numba >= 0.56 supports Generator objects in
nopython mode; its draws are bit-identical to numpy's for the same state, and the Python
objects' states advance). The physics is that of the plain numpy stage functions
(:mod:`~darkscan.detector.tracking`, :mod:`~darkscan.detector.calorimeter`,
:mod:`~darkscan.detector.pid`, :mod:`~darkscan.detector.beam_background`,
:mod:`~darkscan.detector.vertexing`, :mod:`~darkscan.detector.trigger`), which stay the
readable reference; ``tests/detector/test_kernels.py`` checks one against the other.

Random draws (one Generator per stage, so changing one stage's card leaves the draws of the
others unchanged; within a stage, draws are consumed in event order, particle order):

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
    first, one uniform per event giving both Poisson counts (photons by inverse CDF, tracks
    by inverse CDF of the rescaled remainder, which is uniform and independent); then per
    extra cluster one standard exponential (energy) and one uniform split into two (region
    and cos(theta) by conditional rescaling, phi); per extra track one exponential (pT), one
    uniform split into two (cos(theta); charge and phi) and two normals (d0, z0).
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
conditional rescaling ``u/p`` (given ``u < p``) or ``(u - p)/(1 - p)`` (given ``u >= p``)
is again uniform and independent of the decision. Both are exact in distribution up to the
granularity of the remaining bits (>= 2^-24 here, below the float32 storage precision).

Kinematics are computed in float64 inside the kernel and stored in float32. To keep
libm calls off the hot path the smeared track and cluster directions are obtained by
rotating the true direction cosines by the smearing angles (:func:`cos_sin_small`: Taylor
polynomials exact to double precision) and arctan2 is the Cephes rational approximation
(:func:`fast_atan2`, branch-free, relative error ~2e-16); divisions by the same quantity
are done once as a reciprocal and multiplied; results differ from the numpy reference at the
level of a few double ulp only (invisible in the float32 outputs, up to rare last-bit
roundings). The tracking efficiency ``plateau (1 - exp(-x))`` is compared with its uniform
lazily (:func:`track_found`: same decisions, no ``expm1`` call for most tracks). The kernels
are compiled with the LLVM fast-math flag ``nnan`` only (no NaN occurs: the inputs are finite
and divisions guarded), which leaves every result bit-identical, so the compiled kernel still
equals its plain-Python execution bit for bit. The beam-background objects are generated for
blocks of 4096 events at a time (draws first, then the kinematics), in the same draw order as
event by event.

References
----------
numba documentation, "Supported NumPy features: random, Generator objects" (numba 0.56+).
S. L. Moshier, "Methods and Programs for Mathematical Functions" (1989), Cephes atan.c
(rational approximation of atan).
D. E. Knuth, TAOCP vol. 2, sec. 3.4.1 (inverse-transform sampling of discrete
distributions); L. Devroye, "Non-Uniform Random Variate Generation" (1986), ch. II.2
(inversion) and ch. I.4 (re-use of uniforms after a comparison).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "COUNTER_STAGES",
    "cos_sin_small",
    "fast_atan2",
    "poisson_cdf_table",
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
# columns of the draw counter: calls of random(), standard_normal(), standard_exponential()
_UNI, _NOR, _EXP = range(3)

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
_M_PI = 0.13957039
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


def poisson_cdf_table(mean: float) -> np.ndarray:
    """Cumulative Poisson probabilities ``P(N <= k)``, k = 0..K, for inverse-CDF sampling.

    ``K`` is the first k where ``1 - P(N <= k) < 1e-17`` (at least 1); the last entry is
    set to 1 (the truncated tail has probability below 1e-17).

    >>> [round(float(x), 6) for x in poisson_cdf_table(2.0)[:3]]
    [0.135335, 0.406006, 0.676676]
    """
    mean = float(mean)
    if mean == 0.0:
        return np.ones(1)
    k_max = int(mean + 40.0 * math.sqrt(mean) + 40.0)
    k = np.arange(k_max + 1)
    log_pmf = k * math.log(mean) - mean - np.array([math.lgamma(x + 1.0) for x in k])
    cdf = np.cumsum(np.exp(log_pmf))
    last = int(np.searchsorted(cdf, 1.0 - 1e-17))
    cdf = cdf[: min(last, k_max) + 1].copy()
    cdf[-1] = 1.0
    return cdf


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _poisson_index(u, cdf):  # pragma: no cover - numba
    """Smallest k with u < cdf[k] (k <= len(cdf) - 1): a branch-free count over the first 16
    entries of the non-decreasing table (those with cdf[j] <= u form a prefix), then a linear
    search beyond."""
    n = cdf.shape[0]
    m = min(n - 1, 16)
    k = 0
    for j in range(m):
        k += u >= cdf[j]
    if k == m:
        while k < n - 1 and u >= cdf[k]:
            k += 1
    return k


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _poisson_inverse(u, cdf):  # pragma: no cover - numba
    """Smallest k with u < cdf[k], and the rescaled remainder (uniform, independent of k)."""
    k = _poisson_index(u, cdf)
    lo = cdf[k - 1] if k > 0 else 0.0
    width = cdf[k] - lo
    rest = (u - lo) / width if width > 0.0 else 0.0
    if rest >= 1.0:
        rest = 1.0 - 2.0**-53
    elif rest < 0.0:
        rest = 0.0
    return k, rest


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _fill_normals(rng, buf, n):  # pragma: no cover - numba
    """buf[:n] = n standard normals (one call site per use keeps the inlined ziggurat code
    small)."""
    for k in range(n):
        buf[k] = rng.standard_normal()


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


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def cos_sin_small(d):  # pragma: no cover - numba
    """(cos d, sin d): Taylor polynomials to order 12/11 for |d| < 0.1 (truncation error
    below 1e-25, i.e. exact to double precision), libm otherwise.

    Used to rotate direction cosines by the small smearing angles without atan2/sin/cos
    per particle.

    >>> c, s = cos_sin_small(0.05)
    >>> abs(c - math.cos(0.05)) < 1e-16, abs(s - math.sin(0.05)) < 1e-17
    (True, True)
    """
    if abs(d) < 0.1:
        d2 = d * d
        c = 1.0 - d2 / 2.0 * (
            1.0
            - d2
            / 12.0
            * (1.0 - d2 / 30.0 * (1.0 - d2 / 56.0 * (1.0 - d2 / 90.0 * (1.0 - d2 / 132.0))))
        )
        s = d * (
            1.0
            - d2
            / 6.0
            * (1.0 - d2 / 20.0 * (1.0 - d2 / 42.0 * (1.0 - d2 / 72.0 * (1.0 - d2 / 110.0))))
        )
        return c, s
    return math.cos(d), math.sin(d)


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
    Cephes step ``atan(a) = pi/4 + atan((a - 1)/(a + 1))``; then ``pi/2 - r`` if
    ``|y| > |x|``, ``pi - r`` if ``x < 0`` and the sign of ``y``. All choices are selects, so
    the random directions of tracks and clusters cause no branch mispredictions (the
    branching version cost about 20 ns per call here).

    >>> abs(fast_atan2(1.0, -2.0) - math.atan2(1.0, -2.0)) < 1e-15
    True
    """
    if x == 0.0 or y == 0.0:
        return math.atan2(y, x)
    ax = abs(x)
    ay = abs(y)
    steep = ay > ax
    a = (ax if steep else ay) / (ay if steep else ax)
    big = a > 0.66
    t = (a - 1.0) / (a + 1.0) if big else a
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


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _logistic(x):  # pragma: no cover - numba
    """1/(1 + exp(-x)); exactly 1.0 in double precision for x > 40 (exp(-40) < 2^-54)."""
    if x > 40.0:
        return 1.0
    return 1.0 / (1.0 + math.exp(-x))


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _draw_id(prob, u):  # pragma: no cover - numba
    """Same map as :func:`darkscan.detector.pid.draw_id`."""
    if u < prob:
        return 1.0 - u / (2.0 * prob)
    if prob < 1.0:
        return (1.0 - u) / (2.0 * (1.0 - prob))
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
def _count_background(n_events, cdf_photons, cdf_tracks, rng, counter):  # pragma: no cover
    n_ph = np.empty(n_events, dtype=np.int64)
    n_tr = np.empty(n_events, dtype=np.int64)
    draw = cdf_photons.shape[0] > 1 or cdf_tracks.shape[0] > 1
    for e in range(n_events):
        if draw:
            u = rng.random()
            counter[_BKG, _UNI] += 1
            k, rest = _poisson_inverse(u, cdf_photons)
            n_ph[e] = k
            n_tr[e] = _poisson_index(rest, cdf_tracks)
        else:
            n_ph[e] = 0
            n_tr[e] = 0
    return n_ph, n_tr


@numba.njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _background_objects(
    e0, e1, n_ph, n_tr, bkg, cal, rng, counter, raw_t, raw_c, trk, charge, clu, region
):  # pragma: no cover - numba
    """Beam-background tracks and clusters of events e0..e1-1 into the scratch arrays (draws
    in event order: the tracks, then the clusters of each event), in two passes: the draws
    first, then the kinematics in a loop without calls (independent iterations overlap in
    the CPU).

    Fills float64 track columns ``trk`` (10, n: px, py, pz, E, p, pt, cosTheta, phi, d0,
    z0), int8 ``charge``, float64 cluster columns ``clu`` (4, n: E, theta, phi, cosTheta)
    and int8 ``region``.
    """
    it = 0
    ic = 0
    for e in range(e0, e1):
        for _ in range(n_tr[e]):
            raw_t[0, it] = rng.standard_exponential()
            raw_t[1, it] = rng.random()
            raw_t[2, it] = rng.standard_normal()
            raw_t[3, it] = rng.standard_normal()
            it += 1
        for _ in range(n_ph[e]):
            raw_c[0, ic] = rng.standard_exponential()
            raw_c[1, ic] = rng.random()
            ic += 1
    nt_all = it
    nc_all = ic
    counter[_BKG, _EXP] += nt_all + nc_all
    counter[_BKG, _UNI] += nt_all + nc_all
    counter[_BKG, _NOR] += 2 * nt_all
    # tracks: pT = pt_min + Exp(scale); cos(theta) uniform in the CDC acceptance (first
    # half of the split uniform); charge and phi from the second half
    bkg_c_lo = math.cos(math.radians(bkg[9]))  # tracking theta_max
    bkg_c_hi = math.cos(math.radians(bkg[8]))  # tracking theta_min
    for k in range(nt_all):
        pt_s = bkg[5] + bkg[6] * raw_t[0, k]
        ua, ub = split_uniform(raw_t[1, k])
        cos_s = bkg_c_lo + (bkg_c_hi - bkg_c_lo) * ua
        sin_s = math.sqrt(max(1.0 - cos_s * cos_s, 0.0))
        neg = ub < 0.5
        w = 2.0 * ub if neg else 2.0 * ub - 1.0
        charge[k] = -1 if neg else 1
        ph_s = _PI * (2.0 * w - 1.0)
        p_s = pt_s / sin_s
        trk[0, k] = pt_s * math.cos(ph_s)
        trk[1, k] = pt_s * math.sin(ph_s)
        trk[2, k] = pt_s * cos_s / sin_s
        trk[3, k] = math.sqrt(p_s * p_s + _M_PI * _M_PI)
        trk[4, k] = p_s
        trk[5, k] = pt_s
        trk[6, k] = cos_s
        trk[7, k] = ph_s
        trk[8, k] = bkg[10] * raw_t[2, k]
        trk[9, k] = bkg[11] * raw_t[3, k]
    # clusters: E = E_min + Exp(scale); region (forward/backward endcap with probability
    # f/2 each, barrel otherwise) and cos(theta) uniform inside it from the first half of
    # the split uniform (conditional rescaling), phi from the second half
    cos_edge = np.empty(6)
    for k in range(6):
        cos_edge[k] = math.cos(math.radians(cal[k]))
    f_end = bkg[3]
    for k in range(nc_all):
        ua, ub = split_uniform(raw_c[1, k])
        fwd = ua < 0.5 * f_end
        end = ua < f_end
        reg = 1 if fwd else (3 if end else 2)
        lo = 0.0 if fwd else (0.5 * f_end if end else f_end)
        width = 0.5 * f_end if end else 1.0 - f_end
        w = (ua - lo) / width
        c_lo = cos_edge[2 * reg - 1]
        c_hi = cos_edge[2 * reg - 2]
        cos_b = c_lo + (c_hi - c_lo) * w
        clu[0, k] = bkg[1] + bkg[2] * raw_c[0, k]
        clu[1, k] = fast_atan2(math.sqrt((1.0 - cos_b) * (1.0 + cos_b)), cos_b)
        clu[2, k] = _PI * (2.0 * ub - 1.0)
        clu[3, k] = cos_b
        region[k] = reg


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
    bkg,
    cdf_photons,
    cdf_tracks,
    vtx,
    trg,
    rng_trk,
    rng_cal,
    rng_pid,
    rng_klm,
    rng_bkg,
    rng_vtx,
    rng_trg,
    n_ph,
    n_tr,
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
    # per-event scratch, sized for the largest event
    max_p = 1
    for e in range(n_events):
        max_p = max(max_p, p_off[e + 1] - p_off[e])
    max_t = max_p + (n_tr.max() if n_events else 0) + 1
    max_c = max_p + (n_ph.max() if n_events else 0) + 1
    s_pt = np.empty(max_t)  # float64 track pT, phi, muonID (trigger), mother, charge
    s_phi = np.empty(max_t)
    s_p = np.empty(max_t)
    s_cos = np.empty(max_t)
    s_mu = np.empty(max_t, dtype=np.float32)
    s_track_of = np.empty(max_p, dtype=np.int64)  # local particle -> global track row or -1
    d_e = np.empty(max_p)  # deposits
    d_ux = np.empty(max_p)
    d_uy = np.empty(max_p)
    d_uz = np.empty(max_p)
    d_reg = np.empty(max_p, dtype=np.int64)
    d_idx = np.empty(max_p, dtype=np.int64)
    d_order = np.empty(max_p, dtype=np.int64)
    d_cl = np.empty(max_p, dtype=np.int64)
    cl_alive_e = np.empty(max_p)
    cl_alive = np.empty(max_p, dtype=np.bool_)
    s_ce = np.empty(max_c)  # float64 cluster E, theta, phi, region (trigger)
    s_cth = np.empty(max_c)
    s_cph = np.empty(max_c)
    s_creg = np.empty(max_c, dtype=np.int64)
    vm = np.empty(max_p, dtype=np.int64)  # vertexing: (mother, local track) sorted by mother
    vt = np.empty(max_p, dtype=np.int64)
    s_vdr = np.empty(max_p)
    s_vpt1 = np.empty(max_p)
    s_vpt2 = np.empty(max_p)
    gbuf = np.empty(8)
    # beam background: generated block by block (draws, then kinematics), used per event
    block = 4096
    max_bt = 1
    max_bc = 1
    for b0 in range(0, n_events, block):
        b1 = min(b0 + block, n_events)
        max_bt = max(max_bt, n_tr[b0:b1].sum())
        max_bc = max(max_bc, n_ph[b0:b1].sum())
    raw_t = np.empty((4, max_bt))
    raw_c = np.empty((2, max_bc))
    bkg_trk = np.empty((10, max_bt))
    bkg_q = np.empty(max_bt, dtype=np.int8)
    bkg_clu = np.empty((4, max_bc))
    bkg_reg = np.empty(max_bc, dtype=np.int8)

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

    nt = 0
    nc = 0
    nk = 0
    nv = 0
    ib_t = 0
    ib_c = 0
    for e in range(n_events):
        if e % block == 0:
            _background_objects(
                e, min(e + block, n_events), n_ph, n_tr, bkg, cal, rng_bkg, counter,
                raw_t, raw_c, bkg_trk, bkg_q, bkg_clu, bkg_reg,
            )  # fmt: skip
            ib_t = 0
            ib_c = 0
        p0 = p_off[e]
        p1 = p_off[e + 1]
        t_start = nt
        # ------------------------------------------------------------ tracking
        for i in range(p0, p1):
            s_track_of[i - p0] = -1
            if not is_final[i]:
                continue
            s = _species(abs(pdg[i]))
            if s < 0:
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
            counter[_TRK, _UNI] += 1
            if not track_found(rng_trk.random(), x_eff, plateau):
                continue
            # true impact parameters (straight line) and smearing, as in tracking.py
            # (reciprocals computed once and multiplied: a few double ulp from the reference)
            inv_pt = 1.0 / pt
            d0 = (x0 * pyi - y0 * pxi) * inv_pt
            z0 = np.float64(vz[i]) - (x0 * pxi + y0 * pyi) * pzi * (inv_pt * inv_pt)
            m = _SPECIES_MASS[s]
            en = math.sqrt(p2 + m * m)
            st = pt * inv_p
            inv_pb = en * (inv_p * inv_p)  # 1/(p beta) = E/p^2
            inv_beta = en * inv_p
            ms = inv_pb / (st * math.sqrt(st))
            ms_d0 = a[7] * ms
            ms_z0 = a[9] * ms * (p * inv_pt)
            sg_pt = pt * math.sqrt((a[0] * pt) ** 2 + (a[1] * inv_beta) ** 2)
            sg_th = math.sqrt(a[2] * a[2] + (a[3] * inv_pb) ** 2)
            sg_ph = math.sqrt(a[4] * a[4] + (a[5] * inv_pb) ** 2)
            sg_d0 = math.sqrt(a[6] * a[6] + ms_d0 * ms_d0)
            sg_z0 = math.sqrt(a[8] * a[8] + ms_z0 * ms_z0)
            _fill_normals(rng_trk, gbuf, 5)
            g0, g1, g2, g3, g4 = gbuf[0], gbuf[1], gbuf[2], gbuf[3], gbuf[4]
            counter[_TRK, _NOR] += 5
            pt_s = abs(pt + sg_pt * g0)
            # theta: rotate (cos, sin) by the smearing angle; the clip at 1e-6 and
            # pi - 1e-6 of the reference only matters within 0.1 rad of the beam axis
            dth = sg_th * g1
            if abs(dth) < 0.1 and st > 0.1:
                cd, sd = cos_sin_small(dth)
                cos_s = cz * cd - st * sd
                sin_s = st * cd + cz * sd
            else:
                th_s = fast_atan2(pt, pzi) + dth
                th_s = min(max(th_s, 1e-6), _PI - 1e-6)
                cos_s = math.cos(th_s)
                sin_s = math.sin(th_s)
            dph = sg_ph * g2
            ph_s = fast_atan2(pyi, pxi) + dph
            if ph_s > _PI:
                ph_s -= 2.0 * _PI
            elif ph_s < -_PI:
                ph_s += 2.0 * _PI
            cd, sd = cos_sin_small(dph)
            cph = (pxi * cd - pyi * sd) * inv_pt
            sph = (pyi * cd + pxi * sd) * inv_pt
            p_s = pt_s / sin_s
            t_f[0, nt] = pt_s * cph
            t_f[1, nt] = pt_s * sph
            t_f[2, nt] = p_s * cos_s
            t_f[3, nt] = math.sqrt(p_s * p_s + m * m)
            t_f[4, nt] = p_s
            t_f[5, nt] = pt_s
            t_f[6, nt] = cos_s
            t_f[7, nt] = ph_s
            t_f[8, nt] = d0 + sg_d0 * g3
            t_f[9, nt] = z0 + sg_z0 * g4
            t_f[14, nt] = 0.0
            t_i[0, nt] = i - p0
            t_i[1, nt] = pdg[i]
            q = _SPECIES_CHARGE_POS[s]
            t_q[nt] = q if pdg[i] > 0 else -q
            t_b[nt] = False
            s_pt[nt - t_start] = pt_s
            s_phi[nt - t_start] = ph_s
            s_p[nt - t_start] = p_s
            s_cos[nt - t_start] = cos_s
            s_track_of[i - p0] = nt
            nt += 1
        n_phys_trk = nt - t_start
        # ------------------------------------------------------------ beam-background tracks
        for _ in range(n_tr[e]):
            for f in range(10):
                t_f[f, nt] = bkg_trk[f, ib_t]
            t_f[14, nt] = 0.0
            t_i[0, nt] = -1
            t_i[1, nt] = 0
            t_q[nt] = bkg_q[ib_t]
            t_b[nt] = True
            s_pt[nt - t_start] = bkg_trk[5, ib_t]
            s_phi[nt - t_start] = bkg_trk[7, ib_t]
            s_p[nt - t_start] = bkg_trk[4, ib_t]
            s_cos[nt - t_start] = bkg_trk[6, ib_t]
            ib_t += 1
            nt += 1
        t_off[e + 1] = nt
        # ------------------------------------------------------------ PID (all tracks)
        for t in range(t_start, nt):
            sp = _species(abs(t_i[1, t])) if not t_b[t] else 2
            p_s = s_p[t - t_start]
            cos_s = s_cos[t - t_start]
            u_a, u_b = split_uniform(rng_pid.random())
            u_c, u_d = split_uniform(rng_pid.random())
            counter[_PID, _UNI] += 2
            for h in range(4):
                if cos_s <= pid_cos[h, 0] and cos_s >= pid_cos[h, 1]:
                    if sp == _HYP_SPECIES[h]:
                        prob = pid[h, 0] * _logistic((p_s - pid[h, 1]) / pid[h, 2])
                    else:
                        prob = pid[h, 5 + sp]
                else:
                    prob = 0.0
                u = u_a if h == 0 else (u_b if h == 1 else (u_c if h == 2 else u_d))
                t_f[10 + h, t] = _draw_id(prob, u)
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
            p = math.sqrt(pt2 + pzi * pzi)
            if not p > 0.0:
                continue
            inv_p = 1.0 / p
            region = _ecl_region(pzi * inv_p, cos_edge)
            if region == 0:
                continue
            if apdg != 22 and region == 2 and math.sqrt(pt2) < cal[16]:
                continue  # charged particle curls up before the barrel
            e_true = np.float64(energy[i])
            mass = 0.0
            s = _species(apdg)
            if s >= 0:
                mass = _SPECIES_MASS[s]
            kinetic = max(e_true - mass, 0.0)
            mip = is_mu
            if is_em:
                counter[_CAL, _UNI] += 1
                if not rng_cal.random() < cal[12]:
                    continue
                dep = e_true
            elif is_had:
                u = rng_cal.random()
                counter[_CAL, _UNI] += 1
                if u < cal[15]:
                    v = u / cal[15]
                    dep = min(cal[13] + v * max(kinetic - cal[13], 0.0), kinetic)
                else:
                    mip = True
            if mip:
                counter[_CAL, _NOR] += 1
                dep = min(max(cal[13] + cal[14] * rng_cal.standard_normal(), 0.0), kinetic)
            if not dep > 0.0:
                continue
            d_e[nd] = dep
            d_ux[nd] = pxi * inv_p
            d_uy[nd] = pyi * inv_p
            d_uz[nd] = pzi * inv_p
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
            for k in range(nd):
                if d_cl[k] == c:
                    dk = d_e[k]
                    e_sum += dk
                    vxs += dk * d_ux[k]
                    vys += dk * d_uy[k]
                    vzs += dk * d_uz[k]
                    if s_track_of[d_idx[k]] >= 0:
                        matched = True
                    if dk > best:
                        best = dk
                        lead = k
            ee = max(e_sum, 1e-9)
            inv_ee = 1.0 / ee
            # sigma_E/E = a/E (+) b/E^(1/4) (+) c, with (b/E^(1/4))^2 = b^2 sqrt(E)/E
            sg_e = ee * math.sqrt(
                (cal[6] * inv_ee) ** 2 + cal[7] * cal[7] * math.sqrt(ee) * inv_ee + cal[8] * cal[8]
            )
            e_reco = e_sum + sg_e * rng_cal.standard_normal()
            counter[_CAL, _NOR] += 1
            alive = e_reco > cal[11]
            cl_alive[c] = alive
            cl_alive_e[c] = e_reco
            if not alive:
                continue
            vt2 = vxs * vxs + vys * vys
            vts = math.sqrt(vt2)
            vn = math.sqrt(vt2 + vzs * vzs)
            th_true = fast_atan2(vts, vzs)
            ph_true = fast_atan2(vys, vxs)
            inv_vn = 1.0 / vn
            sin_true = vts * inv_vn
            sg_th = math.sqrt(cal[9] * cal[9] + cal[10] * cal[10] * inv_ee)
            _fill_normals(rng_cal, gbuf, 2)
            dth = sg_th * gbuf[0]
            ph_r = ph_true + sg_th / max(sin_true, 1e-3) * gbuf[1]
            counter[_CAL, _NOR] += 2
            th_r = th_true + dth
            if th_r <= 0.0:
                th_r = 0.0
                cos_r = 1.0
            elif th_r >= _PI:
                th_r = _PI
                cos_r = -1.0
            else:
                cd, sd = cos_sin_small(dth)
                cos_r = (vzs * cd - vts * sd) * inv_vn
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
        for _ in range(n_ph[e]):
            c_f[0, nc] = bkg_clu[0, ib_c]
            c_f[1, nc] = bkg_clu[0, ib_c]
            c_f[2, nc] = bkg_clu[1, ib_c]
            c_f[3, nc] = bkg_clu[2, ib_c]
            c_f[4, nc] = bkg_clu[3, ib_c]
            c_reg[nc] = bkg_reg[ib_c]
            c_match[nc] = False
            c_b[nc] = True
            c_mc[nc] = -1
            s_ce[nc - c_start] = bkg_clu[0, ib_c]
            s_cth[nc - c_start] = bkg_clu[1, ib_c]
            s_cph[nc - c_start] = bkg_clu[2, ib_c]
            s_creg[nc - c_start] = bkg_reg[ib_c]
            ib_c += 1
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
            counter[_KLM, _UNI] += 1
            if not rng_klm.random() < klm[0] / (1.0 + math.exp(-(p - klm[1]) / klm[2])):
                continue
            _fill_normals(rng_klm, gbuf, 2)
            th = min(max(theta + klm[5] * gbuf[0], 0.0), _PI)
            ph = math.atan2(pyi, pxi) + klm[5] / max(math.sin(theta), 1e-3) * gbuf[1]
            counter[_KLM, _NOR] += 2
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
                    counter[_VTX, _UNI] += 1
                    if rng_vtx.random() < eff:
                        sg = math.sqrt(vtx[5] * vtx[5] + (vtx[6] * rxy) ** 2)
                        _fill_normals(rng_vtx, gbuf, 3)
                        xr = x0 + sg * gbuf[0]
                        yr = y0 + sg * gbuf[1]
                        zr = z0 + sg * gbuf[2]
                        counter[_VTX, _NOR] += 3
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
        n_clu_ev = nc - c_start
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
                    if d > _PI:
                        d = 2.0 * _PI - d
                    if d > best:
                        best = d
            cond0 = best > trg[12]
        # single_muon
        cond1 = False
        for t in range(n_trk_ev):
            if s_pt[t] > trg[13] and s_mu[t] > trg[14]:
                cond1 = True
        # single_photon (CM energy with the first row of the lab -> CM transformation)
        cond2 = False
        for c in range(n_clu_ev):
            if trg[16] > 0.5 and s_creg[c] != 2:
                continue
            ec = s_ce[c]
            if not ec * trg[21] > trg[15]:
                continue
            st = math.sin(s_cth[c])
            e_cms = ec * (
                trg[17]
                + trg[18] * st * math.cos(s_cph[c])
                + trg[19] * st * math.sin(s_cph[c])
                + trg[20] * math.cos(s_cth[c])
            )
            if e_cms > trg[15]:
                cond2 = True
                break
        # three_photon
        n_hi = 0
        for c in range(n_clu_ev):
            if s_ce[c] > trg[23]:
                n_hi += 1
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
                counter[_TRG, _UNI] += 1
                fired = rng_trg.random() < trg[5 + line] and trg[line] > 0.5
                trig[line, e] = fired
                fired_any = fired_any or fired
        trig[5, e] = fired_any


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
    trk,
    cal,
    pid,
    klm,
    bkg,
    cdf_photons,
    cdf_tracks,
    vtx,
    trg,
    rng_trk,
    rng_cal,
    rng_pid,
    rng_klm,
    rng_bkg,
    rng_vtx,
    rng_trg,
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
    trk, cal, pid, klm, bkg, vtx, trg : numpy.ndarray of float64
        Card parameter vectors (:func:`darkscan.detector.simulate._kernel_parameters`).
    cdf_photons, cdf_tracks : numpy.ndarray
        :func:`poisson_cdf_table` of the beam-background means.
    rng_trk, rng_cal, rng_pid, rng_klm, rng_bkg, rng_vtx, rng_trg : numpy.random.Generator
        One Generator per stage (draws: see the module docstring).
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
    count = _count_background.py_func if python else _count_background
    n_ph, n_tr = count(n_events, cdf_photons, cdf_tracks, rng_bkg, counter)
    cap_trk = n_part + int(n_tr.sum())
    cap_cl = n_part + int(n_ph.sum())
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
        trk, cal, pid, klm, bkg, cdf_photons, cdf_tracks, vtx, trg,
        rng_trk, rng_cal, rng_pid, rng_klm, rng_bkg, rng_vtx, rng_trg,
        n_ph, n_tr, *out,
    )  # fmt: skip
    return out
