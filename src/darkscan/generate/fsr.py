r"""Exponentiated multi-photon final-state radiation (FSR) off a charged-lepton pair.

A lepton pair l- l+ produced by a virtual photon of mass sqrt(s) (the "hard frame": the rest
frame of l- + l+ + FSR photons) radiates any number of photons. The algorithm is the
soft-photon exponentiation of Yennie-Frautschi-Suura (YFS) in the form used by KKMC and
PHOTOS, with the hardest photon corrected to the exact O(alpha) matrix element:

1. **Multiplicity.** Soft photons are emitted independently (YFS 1961; Jadach-Ward-Was
   hep-ph/9912214) with the eikonal density of the final l+l- dipole,

       dN = (alpha / 4 pi^2) |q-/(q-.k) - q+/(q+.k)|^2 d^3k / omega
          = (alpha / pi^2) beta^2 (1 - c^2) / (1 - beta^2 c^2)^2  d omega / omega  d Omega,

   for back-to-back leptons of velocity beta in the hard frame (c: cosine of the photon angle
   to the l- direction; the same algebra as :func:`darkscan.generate.isr.isr_photon_angle_cdf`,
   Peskin-Schroeder eq. 6.17). Integrated over angles it is gamma(beta) d omega / omega with
   the dipole exponent (:func:`dipole_exponent`)

       gamma(beta) = (2 alpha/pi) [ (1 + beta^2)/(2 beta) ln((1 + beta)/(1 - beta)) - 1 ],

   -> (2 alpha/pi)(ln(s/m^2) - 1) for m -> 0 (the YFS final-state exponent, e.g.
   Jadach-Ward-Was hep-ph/9912214; equation numbers not quoted: derived here from the
   current above and checked against its numerical angular integral in the tests). Photons above
   ``e_min`` (hard-frame energy) are generated: their number is Poisson with mean
   nu = gamma(beta) ln(omega_max / e_min), omega_max = (s - 4 m^2)/(2 sqrt(s)) the
   single-photon endpoint (:func:`mean_photon_multiplicity`); energies are distributed as
   d omega/omega and directions as the exact massive dipole law (:func:`sample_dipole_cos_theta`),
   uniform azimuth around the lepton axis. Photons below ``e_min`` are not generated: their
   emission and the virtual correction cancel in the total (Bloch-Nordsieck), so the total
   cross section is that of the hard process times the inclusive factor fixed elsewhere
   (the generators book it analytically) and does not depend on ``e_min``.
2. **Kinematics** (exact four-momentum conservation). The photons are placed in the hard
   frame; the leptons recoil as a pair: P_ll = (sqrt(s) - K^0, -K) with K the sum of the
   photon momenta, M_ll^2 = P_ll^2. In the pair rest frame the leptons are back-to-back along
   the Born axis n (the l- direction drawn from the Born angular distribution), with momentum
   sqrt(M_ll^2/4 - m^2); they are boosted to the hard frame with the pair velocity
   -K/(sqrt(s) - K^0) (:func:`reconstruct_leptons`). For one photon this is the sequential
   two-body phase space d Phi_3 = omega d omega d Omega_gamma beta* d Omega* / (512 pi^5)
   (PDG review "Kinematics", recursive n-body phase space) used by the single-photon
   generator :func:`darkscan.generate.processes.mumu_gamma._propose_fsr`; a photon
   collinear with a lepton recoils that lepton along its own direction. Configurations with
   M_ll < 2 m (two or more photons together above the endpoint; ~1e-4 of the muon events)
   are redrawn.
3. **Hardest-photon matrix-element correction.** The hardest photon is given, with the
   leptons reconstructed as if it were alone, the weight (:func:`hardest_photon_weight`)

       w = |M_1|^2 d Phi_3 / (2 s)  /  [ d sigma_Born/d Omega* x (alpha/pi^2) beta^2 W(c)/omega ]
         = |M_1|^2 omega^2 beta* / (16 pi alpha |M_0|^2 beta^3 W(c)),

   |M_1|^2 the exact e+e- -> l+l- gamma FSR matrix element (:func:`fsr_matrix_element`,
   Berends-Kleiss), |M_0|^2 = 2 e^4 (t0^2 + u0^2)/s^2 its soft limit divided by the radiator,
   i.e. the Born in the same CALKUL form at the unradiated momenta (for muons equal to the
   massive QED Born e^4 [1 + c*^2 + (1 - beta^2)(1 - c*^2)], Peskin-Schroeder eq. 5.12, to
   O(m^2/s); for taus the CALKUL form misses O(m^2/s) terms, and taking the ratio within one
   form keeps w -> 1 exactly in the soft limit), W(c) = (1 - c^2)/(1 - beta^2 c^2)^2.
   w -> 1 for soft photons, (1 + z^2)/2 for hard collinear ones, and w <= 1 everywhere
   (:data:`FSR_MAX_WEIGHT`). Each configuration
   (including those without photons, w = 1) is accepted with probability w / ``max_weight``,
   otherwise redrawn at the same s and Born axis (unitarity: the FSR step does not change
   the s' or Born-angle distribution, nor the total). As in PHOTOS with the matrix-element
   kernel (Golonka-Was hep-ph/0506026), a single hard photon is thereby distributed
   exactly at O(alpha), while the softer photons keep the eikonal law; the Sudakov
   (no-emission) factor exp(-nu) makes the soft end of the spectrum exponentiated.

Limitations: no interference of initial- and final-state radiation (a charge asymmetry of
O(alpha/pi)); the photons besides the hardest use the eikonal (soft) density; the dipole law
is that of the Born leptons (velocity at s), not of the recoiled ones; the weight uses the
QED Born (the event's vacuum-polarisation and Z factors multiply both numerator and
denominator).

References
----------
D. R. Yennie, S. C. Frautschi, H. Suura, Ann. Phys. 13 (1961) 379 (exponentiation).
S. Jadach, B. F. L. Ward, Z. Was, Comput. Phys. Commun. 130 (2000) 260, hep-ph/9912214
(KKMC: YFS FSR photons in the final-fermion frame, Poisson multiplicity, kinematic mapping).
E. Barberio, Z. Was, Comput. Phys. Commun. 79 (1994) 291 (PHOTOS); P. Golonka, Z. Was,
Eur. Phys. J. C 45 (2006) 97, hep-ph/0506026 (exponentiated PHOTOS, matrix-element kernel
for gamma*/Z -> l+l-).
F. A. Berends, R. Kleiss et al., Phys. Lett. B103 (1981) 124 and Nucl. Phys. B206 (1982) 61
(CALKUL |M|^2 of e+e- -> mu+mu- gamma); F. A. Berends, R. Kleiss, S. Jadach, Comput. Phys.
Commun. 29 (1983) 185 (lepton-mass terms of the radiator).
M. E. Peskin, D. V. Schroeder, *An Introduction to Quantum Field Theory* (1995), eqs. 5.12
and 6.17.

Examples
--------
>>> from darkscan.constants import M_MU
>>> round(float(dipole_exponent(math.sqrt(1 - 4 * M_MU**2 / 10.58**2))), 4)  # mu+mu- at 10.58 GeV
0.0382
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from darkscan._validate import non_negative, positive
from darkscan.constants import ALPHA_EM
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.lorentz import boost, minkowski_dot, orthonormal_triad

__all__ = [
    "FSR_MAX_PHOTONS",
    "FSR_MAX_WEIGHT",
    "FsrEvents",
    "dipole_angular_density",
    "dipole_exponent",
    "fsr_matrix_element",
    "generate_fsr",
    "hardest_photon_weight",
    "max_photon_energy",
    "mean_photon_multiplicity",
    "reconstruct_leptons",
    "sample_dipole_cos_theta",
    "sample_fsr_photons",
]

#: Largest number of FSR photons kept per event (Poisson tail above it is cut: with
#: nu ~ 0.24 for muons at 10.58 GeV and e_min = 10 MeV, P(n > 8) ~ 1e-11).
FSR_MAX_PHOTONS = 8
#: Envelope of the hardest-photon weight w (accept with probability w / FSR_MAX_WEIGHT).
#: w <= 1 everywhere: the exact |M|^2 never exceeds its eikonal approximation with this
#: phase-space mapping (largest w - 1 seen in 2e6 configurations each for muon and tau pairs
#: at s' = (10.58 GeV)^2 with photons down to 0.1 MeV: -2e-5; near threshold w <~ 0.99;
#: ``tests/generate/test_fsr.py`` checks it), so configurations without a photon, w = 1,
#: are always accepted and the efficiency is <w> ~ 0.97.
FSR_MAX_WEIGHT = 1.0


def _velocity(s, m) -> tuple[np.ndarray, np.ndarray]:
    """Lepton velocity beta = sqrt(1 - 4 m^2/s) in the pair frame and 1 - beta^2 (exact)."""
    one_minus_b2 = np.clip(4.0 * m * m / np.asarray(s, dtype=float), 0.0, 1.0)
    return np.sqrt(1.0 - one_minus_b2), one_minus_b2


def dipole_exponent(beta):
    """Eikonal FSR exponent gamma(beta): mean photon number per unit ln(omega) of a pair.

    gamma = (2 alpha/pi) [(1 + beta^2)/(2 beta) ln((1 + beta)/(1 - beta)) - 1] for two
    back-to-back leptons of velocity beta (the angular integral of the dipole density, module
    docstring); -> (2 alpha/pi)(ln(s/m^2) - 1) for beta -> 1 and (2 alpha/pi)(4/3) beta^2 for
    beta -> 0 (dipole radiation of a slow pair).

    Parameters
    ----------
    beta : array_like
        Lepton velocity in the pair (hard) frame, 0 <= beta < 1.

    Returns
    -------
    numpy.ndarray or float

    References
    ----------
    Yennie-Frautschi-Suura, Ann. Phys. 13 (1961) 379; Jadach-Ward-Was hep-ph/9912214 (YFS
    form factor of the final-state dipole); the closed form is the angular integral of the
    eikonal current (module docstring), checked numerically in ``tests/generate/test_fsr.py``.

    >>> round(float(dipole_exponent(1e-4) / (2 * ALPHA_EM / math.pi * 4 / 3 * 1e-8)), 6)
    1.0
    """
    b = np.asarray(beta, dtype=float)
    if np.any((b < 0.0) | (b >= 1.0)) or not np.all(np.isfinite(b)):
        raise PhysicsDomainError(
            f"beta = {float(np.max(b)):g} is outside the allowed range [0, 1) (lepton velocity)"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = (1.0 + b * b) * np.arctanh(b) / b - 1.0
    series = 4.0 * b * b / 3.0 + 8.0 * b**4 / 15.0
    out = 2.0 * ALPHA_EM / math.pi * np.where(b < 1e-3, series, exact)
    return float(out) if np.ndim(out) == 0 else out


def dipole_angular_density(cos_theta, beta):
    """Normalised density of c = cos(photon, l-) of the eikonal dipole, pair frame.

    f(c) = beta^2 (1 - c^2) / (1 - beta^2 c^2)^2 / [(1 + beta^2)/(2 beta) ln((1+beta)/(1-beta)) - 1]
    on [-1, 1] (module docstring; the integral is that of
    :func:`darkscan.generate.isr.isr_photon_angle_cdf`).

    Parameters
    ----------
    cos_theta : array_like
        c in [-1, 1].
    beta : array_like
        Lepton velocity, 0 < beta < 1.

    Returns
    -------
    numpy.ndarray

    >>> round(float(dipole_angular_density(0.0, 1e-4)), 6)  # slow pair: 3/4 (1 - c^2)
    0.75
    """
    c = np.asarray(cos_theta, dtype=float)
    b = np.asarray(beta, dtype=float)
    norm = dipole_exponent(b) / (2.0 * ALPHA_EM / math.pi)
    return b * b * (1.0 - c * c) / (1.0 - b * b * c * c) ** 2 / norm


def sample_dipole_cos_theta(rng: np.random.Generator, beta, one_minus_beta2=None) -> np.ndarray:
    """Draw c = cos(photon, l-) from the dipole law (1 - c^2)/(1 - beta^2 c^2)^2, exactly.

    Envelope g(c) = 1/(1 - beta^2 c^2), sampled by inversion (artanh(beta c) uniform on
    (-artanh beta, artanh beta)); accepted with f/g = (1 - c^2)/((1 - beta^2) + beta^2 (1 - c^2))
    <= 1 (efficiency about 0.9 for muons, 2/3 for a slow pair). Same construction as
    :func:`darkscan.generate.isr.sample_isr_photon_cos_theta`, one velocity per value.

    Parameters
    ----------
    rng : numpy.random.Generator
    beta : array_like (n,)
        Lepton velocity per photon, 0 < beta < 1 (values below 1e-6 are raised to 1e-6).
    one_minus_beta2 : array_like (n,), optional
        1 - beta^2 computed without cancellation (e.g. 4 m^2/s); default from ``beta``.

    Returns
    -------
    numpy.ndarray (n,)

    References
    ----------
    Peskin-Schroeder eq. 6.17 (eikonal current); Jackson, *Classical Electrodynamics*, 3rd
    ed., eq. 15.2.
    """
    b = np.clip(np.atleast_1d(np.asarray(beta, dtype=float)), 1e-6, None)
    omb = 1.0 - b * b if one_minus_beta2 is None else np.broadcast_to(one_minus_beta2, b.shape)
    n = b.size
    out = np.empty(n)
    pending = np.arange(n)
    for _ in range(200):
        bb = b[pending]
        c = np.tanh(np.arctanh(bb) * (2.0 * rng.random(pending.size) - 1.0)) / bb
        one_minus_c2 = (1.0 - c) * (1.0 + c)
        ok = rng.random(pending.size) * (omb[pending] + bb * bb * one_minus_c2) < one_minus_c2
        out[pending[ok]] = c[ok]
        pending = pending[~ok]
        if pending.size == 0:
            return out
    raise ConfigError(
        f"dipole angle sampling did not converge ({pending.size} left)"
    )  # pragma: no cover


def max_photon_energy(s, lepton_mass: float):
    """Single-photon endpoint omega_max = (s - 4 m^2)/(2 sqrt(s)) in the hard frame, GeV.

    >>> round(float(max_photon_energy(10.58**2, 0.1056583755)), 4)
    5.2879
    """
    s = np.asarray(s, dtype=float)
    return (s - 4.0 * lepton_mass**2) / (2.0 * np.sqrt(s))


def mean_photon_multiplicity(s, lepton_mass: float, e_min: float):
    """Mean number nu of eikonal FSR photons above ``e_min`` (hard frame).

    nu = gamma(beta) ln(omega_max / e_min) (module docstring, step 1), zero where
    omega_max <= e_min. This is the multiplicity of the crude (eikonal) emission before the
    hardest-photon correction.

    Parameters
    ----------
    s : array_like
        Squared mass of the hard system (l+ l- + photons), GeV^2.
    lepton_mass : float
        GeV.
    e_min : float
        Lowest photon energy in the hard frame, GeV (> 0).

    Returns
    -------
    numpy.ndarray or float

    >>> round(float(mean_photon_multiplicity(10.58**2, 0.1056583755, 0.01)), 4)
    0.2392
    """
    e_min = positive("e_min", e_min, unit="GeV")
    s = np.asarray(s, dtype=float)
    beta, _ = _velocity(s, lepton_mass)
    w_max = max_photon_energy(s, lepton_mass)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(
            w_max > e_min,
            dipole_exponent(np.minimum(beta, 1.0 - 1e-16))
            * np.log(np.maximum(w_max, e_min) / e_min),
            0.0,
        )
    return float(out) if np.ndim(out) == 0 else out


def sample_fsr_photons(
    rng: np.random.Generator, s, lepton_mass: float, axis, e_min: float
) -> tuple[np.ndarray, np.ndarray]:
    """Crude (eikonal) FSR photons in the hard frame: Poisson number, d omega/omega, dipole.

    Parameters
    ----------
    rng : numpy.random.Generator
    s : array_like (n,)
        Squared mass of the hard system, GeV^2.
    lepton_mass : float
        GeV.
    axis : array_like (n, 3)
        Unit vector of the Born l- direction (the dipole axis) in the hard frame.
    e_min : float
        Lowest photon energy, GeV.

    Returns
    -------
    photons : numpy.ndarray (n, k, 4)
        Four-momenta in the hard frame, hardest first; zero rows where absent;
        k = max(1, largest multiplicity) <= FSR_MAX_PHOTONS.
    n_photons : numpy.ndarray of int (n,)
    """
    s = np.asarray(s, dtype=float)
    axis = np.asarray(axis, dtype=float)
    n = s.shape[0]
    nu = mean_photon_multiplicity(s, lepton_mass, e_min)
    n_ph = np.minimum(rng.poisson(nu), FSR_MAX_PHOTONS)
    photons = np.zeros((n, max(int(n_ph.max(initial=0)), 1), 4))
    total = int(n_ph.sum())
    if total == 0:
        return photons, n_ph
    ev = np.repeat(np.arange(n), n_ph)
    slot = np.arange(total) - np.repeat(np.cumsum(n_ph) - n_ph, n_ph)
    w_max = max_photon_energy(s[ev], lepton_mass)
    omega = e_min * (w_max / e_min) ** rng.random(total)
    beta, omb = _velocity(s[ev], lepton_mass)
    c = sample_dipole_cos_theta(rng, beta, omb)
    phi = 2.0 * math.pi * rng.random(total)
    sin_t = np.sqrt((1.0 - c) * (1.0 + c))
    x, y, z = orthonormal_triad(axis[ev])
    direction = (
        (sin_t * np.cos(phi))[:, None] * x + (sin_t * np.sin(phi))[:, None] * y + c[:, None] * z
    )
    photons[ev, slot, 0] = omega
    photons[ev, slot, 1:] = omega[:, None] * direction
    # hardest first (absent photons have E = 0 and sort last); only rows with >= 2 photons
    multi = np.flatnonzero(n_ph > 1)
    if multi.size:
        rows = photons[multi]
        order = np.argsort(-rows[..., 0], axis=1, kind="stable")
        photons[multi] = np.take_along_axis(rows, order[..., None], axis=1)
    return photons, n_ph


def reconstruct_leptons(s, lepton_mass: float, axis, photons):
    """Leptons recoiling against the photons, exact four-momentum conservation (hard frame).

    P_ll = (sqrt(s) - K^0, -K); in the pair rest frame l-, l+ are back-to-back along ``axis``
    with momentum sqrt(M_ll^2/4 - m^2); boosted with velocity -K/(sqrt(s) - K^0) (module
    docstring, step 2). l- + l+ + sum(photons) = (sqrt(s), 0, 0, 0) exactly.

    Parameters
    ----------
    s : array_like (n,)
        Squared mass of the hard system, GeV^2.
    lepton_mass : float
        GeV.
    axis : array_like (n, 3)
        Unit Born l- direction (pair rest frame).
    photons : array_like (n, k, 4)
        Photon four-momenta in the hard frame, GeV.

    Returns
    -------
    l_minus, l_plus : numpy.ndarray (n, 4)
        Hard-frame four-momenta, GeV.
    valid : numpy.ndarray of bool (n,)
        M_ll > 2 m (otherwise the leptons are returned at rest in the pair frame).
    """
    s = np.asarray(s, dtype=float)
    axis = np.asarray(axis, dtype=float)
    k = np.asarray(photons, dtype=float).sum(axis=1)
    e_ll = np.sqrt(s) - k[:, 0]
    m2 = e_ll * e_ll - np.sum(k[:, 1:] ** 2, axis=1)
    m = float(lepton_mass)
    valid = (e_ll > 0.0) & (m2 > 4.0 * m * m * (1.0 + 1e-12))
    m2 = np.where(valid, m2, 4.0 * m * m)
    e_safe = np.where(valid, e_ll, np.sqrt(m2))
    p_star = np.sqrt(np.clip(0.25 * m2 - m * m, 0.0, None))
    half = 0.5 * np.sqrt(m2)
    lm = np.concatenate([half[:, None], p_star[:, None] * axis], axis=1)
    lp = np.concatenate([half[:, None], -p_star[:, None] * axis], axis=1)
    beta = np.where(valid[:, None], -k[:, 1:] / e_safe[:, None], 0.0)
    return boost(lm, beta), boost(lp, beta), valid


def fsr_matrix_element(p_minus, p_plus, q_minus, q_plus, k, lepton_mass: float):
    """Spin-averaged |M|^2 (GeV^-2) of final-state radiation in e+e- -> l+l- gamma.

    |M|^2 = e^6 (t^2 + t'^2 + u^2 + u'^2) / (s s')
            x [2 q+.q- / ((q+.k)(q-.k)) - m^2/(q+.k)^2 - m^2/(q-.k)^2],

    s = (p+ + p-)^2, s' = (q+ + q-)^2, t = (p+ - q+)^2, t' = (p- - q-)^2, u = (p+ - q-)^2,
    u' = (p- - q+)^2, e^2 = 4 pi alpha. Massless electrons; the massless part is the exact
    CALKUL result (Berends et al., PLB 103 (1981) 124), the -m^2/(q.k)^2 terms are the
    lepton-mass terms of the radiator (Berends-Kleiss-Jadach, CPC 29 (1983) 185). Soft
    limit: e^2 (eikonal) |M_Born|^2; collinear limit: e^2 (1 + z^2)/((1 - z) q.k) |M_Born|^2.
    Checked against the exact massive |M|^2 from Dirac traces
    (``tests/generate/processes/test_mumu_gamma.py``): equal for m = 0; with the muon mass
    the median deviation is 7e-4, a few per cent in the quasi-collinear region q.k ~ m^2 and
    up to ~12 % near the endpoint m(l l) -> 2m.

    Parameters
    ----------
    p_minus, p_plus, q_minus, q_plus, k : array_like (..., 4)
        Four-momenta (E, px, py, pz) in GeV of e-, e+, l-, l+, photon.
    lepton_mass : float
        l mass in GeV.

    Returns
    -------
    numpy.ndarray
    """
    pm, pp, qm, qp, kk = (np.asarray(v, dtype=float) for v in (p_minus, p_plus, q_minus, q_plus, k))
    m2 = lepton_mass**2
    s = 2.0 * minkowski_dot(pp, pm)
    s_prime = 2.0 * m2 + 2.0 * minkowski_dot(qp, qm)
    t = m2 - 2.0 * minkowski_dot(pp, qp)
    t_p = m2 - 2.0 * minkowski_dot(pm, qm)
    u = m2 - 2.0 * minkowski_dot(pp, qm)
    u_p = m2 - 2.0 * minkowski_dot(pm, qp)
    kp = minkowski_dot(qp, kk)
    km = minkowski_dot(qm, kk)
    radiator = 2.0 * minkowski_dot(qp, qm) / (kp * km) - m2 / (kp * kp) - m2 / (km * km)
    e6 = (4.0 * math.pi * ALPHA_EM) ** 3
    return e6 * (t * t + t_p * t_p + u * u + u_p * u_p) / (s * s_prime) * radiator


def hardest_photon_weight(s, lepton_mass: float, axis, photon) -> np.ndarray:
    """Exact / eikonal ratio w of the single-photon density (module docstring, step 3).

    w = |M_1|^2 omega^2 beta* / (16 pi alpha |M_0|^2 beta^3 W(c)), evaluated with the leptons
    reconstructed against ``photon`` alone; beams along +-z in the hard frame (e- along +z).

    Parameters
    ----------
    s : array_like (n,)
        Squared mass of the hard system, GeV^2.
    lepton_mass : float
        GeV.
    axis : array_like (n, 3)
        Unit Born l- direction.
    photon : array_like (n, 4)
        The (hardest) photon in the hard frame, GeV (energy > 0).

    Returns
    -------
    numpy.ndarray (n,)
        w (-> 1 for soft photons).

    References
    ----------
    Golonka-Was hep-ph/0506026 (matrix-element weight of the PHOTOS kernel);
    Berends-Kleiss (CALKUL) for |M_1|^2; Peskin-Schroeder eq. 5.12 for |M_0|^2.
    """
    s = np.asarray(s, dtype=float)
    axis = np.asarray(axis, dtype=float)
    k = np.asarray(photon, dtype=float)
    m = float(lepton_mass)
    lm, lp, valid = reconstruct_leptons(s, m, axis, k[:, None])
    root = np.sqrt(s)
    half = 0.5 * root
    zeros = np.zeros_like(s)
    pm = np.stack([half, zeros, zeros, half], axis=1)
    pp = np.stack([half, zeros, zeros, -half], axis=1)
    me1 = fsr_matrix_element(pm, pp, lm, lp, k, m)
    beta, omb = _velocity(s, m)
    # Born |M_0|^2 in the same (CALKUL) form as |M_1|^2, at the unradiated momenta
    # q0 = (sqrt(s)/2)(1, +-beta n): |M_1|^2 -> e^2 (radiator) |M_0|^2 exactly for soft photons,
    # also for massive leptons where the CALKUL factor is not the exact massive Born
    p_star = (half * beta)[:, None] * axis
    q0m = np.concatenate([half[:, None], p_star], axis=1)
    q0p = np.concatenate([half[:, None], -p_star], axis=1)
    t0 = m * m - 2.0 * minkowski_dot(pp, q0p)
    u0 = m * m - 2.0 * minkowski_dot(pp, q0m)
    me0 = (4.0 * math.pi * ALPHA_EM) ** 2 * 2.0 * (t0 * t0 + u0 * u0) / (s * s)
    omega = k[:, 0]
    c = np.sum(k[:, 1:] * axis, axis=1) / omega
    one_minus_c2 = np.clip((1.0 - c) * (1.0 + c), 1e-300, None)
    w_dipole = one_minus_c2 / (omb + beta * beta * one_minus_c2) ** 2
    m_ll2 = s - 2.0 * root * omega
    beta_star = np.sqrt(np.clip(1.0 - 4.0 * m * m / np.where(valid, m_ll2, np.inf), 0.0, None))
    w = me1 * omega**2 * beta_star / (16.0 * math.pi * ALPHA_EM * me0 * beta**3 * w_dipole)
    return np.where(valid, w, 0.0)


@dataclass(frozen=True)
class FsrEvents:
    """Output of :func:`generate_fsr` (hard frame, arrays over events).

    Attributes
    ----------
    l_minus, l_plus : numpy.ndarray (n, 4)
        Lepton four-momenta, GeV.
    photons : numpy.ndarray (n, k, 4)
        FSR photons in the hard frame, hardest first, zero rows where absent
        (k = max(1, largest multiplicity) <= FSR_MAX_PHOTONS).
    n_photons : numpy.ndarray of int (n,)
    info : dict
        ``fsr_efficiency`` (accepted / proposed configurations), ``fsr_n_overweight``
        (weights above the envelope, accepted with probability 1), ``fsr_n_kinematic_veto``
        (configurations with M_ll < 2 m, redrawn), ``fsr_max_weight_seen``.
    """

    l_minus: np.ndarray
    l_plus: np.ndarray
    photons: np.ndarray
    n_photons: np.ndarray
    info: dict


def generate_fsr(
    rng: np.random.Generator,
    s,
    lepton_mass: float,
    axis,
    e_min: float,
    *,
    matrix_element_correction: bool = True,
    max_weight: float = FSR_MAX_WEIGHT,
) -> FsrEvents:
    """Multi-photon FSR for l+l- pairs at rest in the hard frame (module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator
    s : array_like (n,)
        Squared mass of each hard system (l+l- + photons), GeV^2 (> 4 m^2).
    lepton_mass : float
        GeV.
    axis : array_like (n, 3)
        Unit Born l- direction in the hard frame (beams along +-z).
    e_min : float
        Lowest photon energy in the hard frame, GeV (> 0).
    matrix_element_correction : bool
        Correct the hardest photon to the exact O(alpha) matrix element (else pure eikonal).
    max_weight : float
        Envelope of the hardest-photon weight.

    Returns
    -------
    FsrEvents
    """
    e_min = float(non_negative("e_min", e_min, unit="GeV"))
    if e_min <= 0.0:
        raise PhysicsDomainError(f"e_min = {e_min:g} GeV is outside the allowed range (0, inf) GeV")
    s = np.asarray(s, dtype=float)
    axis = np.asarray(axis, dtype=float)
    m = float(lepton_mass)
    n = s.shape[0]
    if np.any(s <= 4.0 * m * m):
        raise PhysicsDomainError(
            f"s = {float(np.min(s)):g} GeV^2 is below the l+l- threshold {4 * m * m:g} GeV^2"
        )
    # Born leptons (kept where no photon is emitted)
    beta, _ = _velocity(s, m)
    half = 0.5 * np.sqrt(s)
    lm = np.concatenate([half[:, None], (half * beta)[:, None] * axis], axis=1)
    lp = np.concatenate([half[:, None], -(half * beta)[:, None] * axis], axis=1)
    n_ph = np.zeros(n, dtype=np.int64)
    kept: list[tuple[np.ndarray, np.ndarray]] = []  # (events, photons) accepted per pass
    w_env = float(max_weight) if matrix_element_correction else 1.0
    pending = np.arange(n)
    n_prop = n_over = n_veto = 0
    w_seen = 0.0
    for _ in range(10_000):
        if pending.size == 0:
            break
        n_prop += pending.size
        ph, cnt = sample_fsr_photons(rng, s[pending], m, axis[pending], e_min)
        has = np.flatnonzero(cnt > 0)
        w = np.ones(pending.size)
        valid = np.ones(pending.size, dtype=bool)
        if has.size:
            idx = pending[has]
            qm, qp, valid[has] = reconstruct_leptons(s[idx], m, axis[idx], ph[has])
            if matrix_element_correction:
                w[has] = hardest_photon_weight(s[idx], m, axis[idx], ph[has, 0])
                w_seen = max(w_seen, float(np.max(w[has])))
        n_over += int(np.sum(valid & (w > w_env)))
        n_veto += int(np.sum(~valid))
        accept = valid & (rng.random(pending.size) * w_env < w)
        if has.size:
            ok = accept[has]
            idx = pending[has][ok]
            lm[idx] = qm[ok]
            lp[idx] = qp[ok]
            kept.append((idx, ph[has][ok]))
            n_ph[idx] = cnt[has][ok]
        pending = pending[~accept]
    else:  # pragma: no cover - safety net
        raise ConfigError(f"FSR accept-reject did not converge ({pending.size} events left)")
    photons = np.zeros((n, max(int(n_ph.max(initial=0)), 1), 4))
    for idx, ph in kept:
        width = min(ph.shape[1], photons.shape[1])  # slots beyond the kept maximum are empty
        photons[idx, :width] = ph[:, :width]
    info = {
        "fsr_efficiency": n / max(n_prop, 1),
        "fsr_n_overweight": n_over,
        "fsr_n_kinematic_veto": n_veto,
        "fsr_max_weight_seen": w_seen,
    }
    return FsrEvents(l_minus=lm, l_plus=lp, photons=photons, n_photons=n_ph, info=info)
