r"""Fast vectorised e+e- -> mu+mu-(gamma) generator: Born, vacuum polarisation, ISR and FSR.

This is the in-house generator for the dimuon background of the Z' -> invisible search
(e+e- -> mu+mu- Z', recoil mass against the dimuon): full-luminosity samples (~1e8 events at
79.7 fb^-1) have to be cheap. Pythia 8 (:mod:`darkscan.generate.pythia`) is the reference
(``benchmarks/validate_backgrounds_vs_pythia.py``). The lepton mass is a parameter, so
:mod:`darkscan.generate.processes.tautau` reuses the same machinery for tau pairs.

Physics content
---------------
* **Born** e+e- -> gamma* -> l+l- with the lepton mass kept exactly (electron mass
  neglected),

      d sigma / d cos = (pi alpha^2 / 2 s) beta [1 + c^2 + (1 - beta^2)(1 - c^2)]
                        x (1 + 2 v_e v_l Re chi) + (pi alpha^2 / 2 s) beta^2 2 c (2 a_e a_l Re chi),

  (Peskin-Schroeder eq. 5.12 for the QED part; gamma-Z interference e.g. PDG review
  "Cross-section formulae for specific processes", e+e- -> f fbar), with
  chi = s / (s - M_Z^2 + i M_Z Gamma_Z) / (4 sin^2 theta_W cos^2 theta_W), a = -1/2,
  v = -1/2 + 2 sin^2 theta_W. The |chi|^2 terms (relative 1e-4) are dropped. The
  interference gives the forward-backward asymmetry A_FB = 3 a_e a_l Re chi / 2 ~ -0.7 % at
  10.58 GeV (muon emitted preferentially along the e+ direction).
* **Vacuum polarisation**: alpha -> alpha / |1 - Delta alpha(s')| with the exact one-loop
  leptonic Delta alpha (e, mu, tau with masses, real and imaginary part) and the hadronic
  part from the dispersion integral of the continuum R ratio of
  :func:`darkscan.models.hadronic_r.r_ratio` (narrow resonances J/psi ... Upsilon(4S) are
  left out: no radiative return into them is generated). Raises sigma by ~6 % at 10.58 GeV.
* **ISR**: Kuraev-Fadin structure function per beam (:mod:`darkscan.generate.isr`) for the
  energy each beam radiates, shared by two photons per beam: in the leading-log
  exponentiated (Yennie-Frautschi-Suura) picture the photons are independent emissions with
  the soft density (beta/2) dz/z, so given their sum the energy fractions follow the
  Poisson-Dirichlet(beta/2) law; its stick-breaking form gives the harder-ranked photon the
  share V ~ Beta(1, beta/2) (mean 1 - 0.042) and the other photon the rest (Kingman 1975).
  Each photon gets its own polar angle from the exact eikonal law of the e+e- pair,
  (1 - c^2)/(1 - b^2 c^2)^2 (:func:`darkscan.generate.isr.sample_isr_photon_cos_theta`,
  Peskin-Schroeder eq. 6.17; drawn outside the numba kernel), folded into its beam's
  hemisphere, uniform azimuth: about 20 % of the photons are beyond 17 deg (the ECL forward
  edge), which is what lets an ISR photon escape through the calorimeter gaps. Hard photons
  are corrected to the exact lowest-order law (1 + (1 - x)^2)/x / sin^2 - x/2 by
  accept-reject at their energy fraction x
  (:func:`darkscan.generate.isr.sample_hard_isr_photon_cos_theta`; ~20 % fewer
  hard photons at wide angles than the soft law), and the Born axis of the leptons is the
  e- or the (reversed) e+ direction in the hard frame with weights E_-^2 : E_+^2, which
  makes the lepton-photon correlation exact for one ISR photon (massless QED Born part;
  :func:`_hard_frame_kernel`). Independent angles for the photons of one beam are the
  YFS/KKMC picture (Jadach-Ward-Was
  hep-ph/9912214), and give the photon system (the recoil against the dimuon) a mass even
  when only one beam radiates. Momentum conservation: the photons of one beam, chosen at
  random per event, keep their energies; the other beam's photons keep their directions and
  sharing and are scaled by the factor that gives the dilepton system exactly
  s' = x1 x2 s (:func:`_hard_frame_kernel`; O(theta^2) from 1). This differs from
  :func:`darkscan.generate.isr.isr_photons_with_angles` (one photon per beam, both scaled by
  a common factor) only at O(theta^2) in the photon energies; choosing the unscaled beam at
  random keeps either beam's D(x) unbiased on average, and s' (hence the Born cross section
  the event was drawn with) is exact in both. With all angles zero the kinematics is that
  of :func:`darkscan.generate.isr.isr_photons` (tested).
* **FSR**: exponentiated multi-photon radiation off the l+l- dipole
  (:mod:`darkscan.generate.fsr`, in the spirit of YFS/KKMC and PHOTOS): a Poisson number of
  photons above ``min_photon_energy`` (hard-frame energy, default 1 MeV) with the eikonal
  density gamma(beta) d omega/omega and the exact massive dipole angular law, exact
  four-momentum conservation by recoil of the lepton pair in its rest frame, and the hardest
  photon corrected by accept-reject to the exact O(alpha) matrix element of
  e+e- -> l+l- gamma (massless CALKUL form, which factorises as
  (t^2 + t'^2 + u^2 + u'^2)/(s s') times the eikonal radiator, with the lepton-mass terms
  -m^2/(q.k)^2 of the radiator, Berends-Kleiss-Jadach; :func:`fsr_matrix_element`). The
  FSR step acts at fixed s' and Born axis and is unitary (every event keeps its s', only its
  final state is dressed), so the total is sigma_Born (1 + 3 alpha/4 pi), the exact
  inclusive O(alpha) FSR factor of a vector current (Schwinger; massless limit), independent
  of the photon cut. About 0.25 photons per event above 1 MeV (muons at 10.58 GeV); two
  FSR photons at different angles give a recoil mass above 0.5 GeV in 0.47 % of the events
  (Pythia's shower: 0.44 %). No ISR-FSR interference (a charge asymmetry of O(alpha/pi)).
  :func:`hard_fsr_probability` gives the exact O(alpha) rate of a photon above a cut (the
  hard-photon normalisation the generator reproduces, tested).

Cross section
-------------
sigma = int dx1 dx2 D(x1) D(x2) sigma_Born(x1 x2 s) |1/(1 - Delta alpha)|^2 (1 + 3 alpha/4 pi)
over s' > (2 m)^2 (:func:`darkscan.generate.isr.convolve_isr`). At sqrt(s) = 10.58 GeV the
Born value is 0.776 nb; ISR (dominantly the 1/s' radiative-return tail down to the
dimuon threshold: +38 %, 26 % of the events have s' < s/2) and vacuum polarisation
(1/alpha(10.58 GeV) = 132.4: +6 %) raise it to 1.144 nb, to be compared with the Belle II
Physics Book mu+mu-(gamma) 1.148 nb from KKMC (O(alpha^2) exponentiated ISR+FSR with
initial-final interference and the full electroweak/vacuum-polarisation library; the table
quotes no generator cut, and our total down to the dimuon threshold matches it: the 0.4 %
difference is of the size of the O(alpha^2) non-log and interference terms we leave out) and with Pythia 8 (1.146 +- 0.001 nb,
``benchmarks/validate_backgrounds_vs_pythia.py``). With ``cuts`` the booked cross section
is sigma times the accepted fraction (binomial error).

Validation against Pythia 8 (``benchmarks/validate_backgrounds_vs_pythia.py``)
------------------------------------------------------------------------------
1e6 events here vs 2e5 Pythia events at Belle II (truth level, unit-area shapes, chi^2/ndf
with both samples' statistical errors; in brackets before the multi-photon FSR and the ISR
angle laws): sigma 1.144 vs 1.146 +- 0.001 nb; muon CM momentum 9.4 (12.1), muon polar
angle 9.3 (5.1), leading photon energy 4.7 (46; the step at the old 10 MeV single-photon
cut is gone), recoil mass against the dimuon above 0.5 GeV (the Z' search region) 0.83
(1.29); events with a hard (> 1 GeV) photon inside the ECL 7.55 % vs 7.41 % (8.1 %); the
fraction of events with a recoil mass above 0.5 GeV is 12.4 % vs 11.7 %.
Split by radiation type: with FSR only, muon momentum, angle and photon energy agree
(chi^2/ndf 1.1, 1.0, 1.0 at 4e4 Pythia events) and multi-photon FSR gives a recoil mass
above 0.5 GeV in 0.47 % of the events vs Pythia's 0.44 % (before: none). The remaining
differences come from ISR: this generator has more radiative-return events (muon momenta
1.5-3.5 GeV up to +15 %, muons within 18 deg of the beams +7 %, which drives the angle
chi^2). ``benchmarks/validate_radiative_return.py`` settles it: our s' spectrum equals the
structure-function convolution computed by quadrature in every bin, while Pythia generates
no pair below m(mu mu) = 2 m_mu + 0.1 GeV (1.9 % of sigma, muons of ~2.6 GeV along the
beam); removing those events from our sample removes the +7 % and most of the momentum
excess. Further differences: 13 % more events with an ISR-only recoil mass above 0.5 GeV (9.3 % vs 8.2 %), and
one-beam photon masses above 0.5 GeV in 1.6 % vs 1.2 % of the events (Pythia's backward
shower leaves the unresolved part of the radiated energy in one collinear photon per beam).
With collinear ISR photons the muon-angle chi^2/ndf of the ISR-only sample would be 16 and
no hard ISR photon would reach the ECL. Signed recoil masses within +-0.1 GeV are decided by
sub-MeV photons and the float32 record (Pythia radiates down to pT ~ 1e-6 GeV) and carry no
physics (chi^2/ndf 1.2 above 0.1 GeV). Treat the tail normalisation as known to ~10 %.

Speed
-----
Everything is vectorised numpy; the per-event kinematics after sampling (ISR photon
construction, boosts, lab transformation and packing) runs in numba kernels, the FSR step
(:mod:`darkscan.generate.fsr`) in numpy over the ~25 % of events with a photon. About
5.5e5 events per CPU-second with the full awkward record on the development machine (a
2-core VM; 8e5 before multi-photon FSR; ``benchmarks/bench_generators.py``).

References
----------
F. A. Berends, R. Kleiss, P. De Causmaecker, R. Gastmans, W. Troost, T. T. Wu,
"Multiple bremsstrahlung in gauge theories at high energies (I)", Nucl. Phys. B206 (1982) 61,
and Phys. Lett. B103 (1981) 124 (CALKUL: factorised e+e- -> mu+mu- gamma |M|^2).
F. A. Berends, R. Kleiss, S. Jadach, "Radiative corrections to muon pair and quark pair
production in electron-positron collisions in the Z0 region", Nucl. Phys. B202 (1982) 63;
Comput. Phys. Commun. 29 (1983) 185 (MUSTRAAL: mass terms of the radiator).
E. A. Kuraev, V. S. Fadin, Sov. J. Nucl. Phys. 41 (1985) 466 (structure function).
G. Montagna, O. Nicrosini, F. Piccinini, Riv. Nuovo Cim. 21N9 (1998) 1, hep-ph/9802302, and
C. M. Carloni Calame et al., Nucl. Phys. B584 (2000) 459, hep-ph/0003268 (photon angles of
structure-function/parton-shower photons from the eikonal factor 1/(p.k)).
D. R. Yennie, S. C. Frautschi, H. Suura, Ann. Phys. 13 (1961) 379 (independent soft-photon
emission); J. F. C. Kingman, J. R. Stat. Soc. B 37 (1975) 1 (Poisson-Dirichlet law of the
normalised jumps of a process with Levy density theta e^-z/z; stick-breaking Beta(1, theta)).
J. Schwinger, *Particles, Sources and Fields* vol. 2 (1973) (3 alpha/4 pi for a vector
current).
F. Jegerlehner, "The anomalous magnetic moment of the muon" (Springer, 2017), ch. 2
(one-loop leptonic Delta alpha and the dispersion relation for the hadronic part).
S. Jadach, B. F. L. Ward, Z. Was, Comput. Phys. Commun. 130 (2000) 260, hep-ph/9912214 (KKMC).
E. Kou et al. (Belle II), The Belle II Physics Book, arXiv:1808.10567 (1.148 nb).

Examples
--------
>>> round(sigma_born_dilepton(10.58**2, M_MU, z_interference=False) / 1e6, 4)
0.7759
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from darkscan._validate import in_range, non_negative
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU, M_PI, M_TAU, M_Z, SIN2_THETA_W
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.event_record import (
    Sample,
    check_generator_arguments,
    events_from_flat,
    seed_record,
)
from darkscan.generate.fsr import fsr_matrix_element, generate_fsr
from darkscan.generate.isr import (
    convolve_isr,
    isr_beta,
    sample_energy_fraction,
    sample_hard_isr_photon_cos_theta,
)
from darkscan.lorentz import boost, minkowski_dot, orthonormal_triad

__all__ = [
    "DileptonEvents",
    "d_sigma_born_dilepton",
    "delta_alpha",
    "fsr_matrix_element",
    "generate_dilepton_kinematics",
    "generate_mumu_gamma",
    "hard_fsr_probability",
    "sigma_born_dilepton",
    "sigma_dilepton_isr",
]

GENERATOR_NAME = "darkscan.generate.processes.mumu_gamma"
#: Z width in GeV (PDG 2022).
GAMMA_Z = 2.4955
#: Default lower FSR photon energy in the hard (dilepton + photons) frame, GeV (1 MeV: below
#: calorimeter thresholds; Pythia's QED shower radiates down to pT ~ 1e-6 GeV, and a 10 MeV
#: cut leaves a visible step in the soft photon spectrum, benchmarks/validate_backgrounds_vs_pythia.py).
MIN_PHOTON_ENERGY = 0.001
#: Allowed keys of the ``cuts`` dict (CM-frame quantities).
CUT_KEYS = ("cos_theta_mu_cms", "p_mu_cms_min", "mumu_mass_min", "pt_mumu_cms_min")


# ----------------------------------------------------------------------------- kinematics
def _direction(cos_t: np.ndarray, phi: np.ndarray) -> np.ndarray:
    sin_t = np.sqrt(np.clip(1.0 - cos_t * cos_t, 0.0, None))
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)


# ----------------------------------------------------------------------------- Born
def _re_chi(s):
    """Re chi(s) of the Z propagator normalised to the photon one (module docstring)."""
    kappa = 1.0 / (4.0 * SIN2_THETA_W * (1.0 - SIN2_THETA_W))
    d = s - M_Z**2
    return kappa * s * d / (d * d + (M_Z * GAMMA_Z) ** 2)


def d_sigma_born_dilepton(s_hat, cos_theta, lepton_mass: float, *, z_interference: bool = True):
    """Born d sigma(e+e- -> l+l-)/d cos(theta) in fb, lepton mass exact, alpha(0).

    theta is the angle between the l- and the e- beam in the l+l- rest frame. With
    ``z_interference`` the gamma-Z interference is added (module docstring).

    Parameters
    ----------
    s_hat : array_like
        Squared energy of the hard collision in GeV^2 (above (2 m)^2).
    cos_theta : array_like
        cos(theta), broadcast against ``s_hat``.
    lepton_mass : float
        Final-state lepton mass in GeV.
    z_interference : bool
        Include the gamma-Z interference (vector and axial-vector part).

    Returns
    -------
    numpy.ndarray
        fb per unit cos(theta).

    References
    ----------
    Peskin & Schroeder, *An Introduction to QFT*, eq. (5.12) (massive final state); PDG
    review "Cross-section formulae for specific processes" (gamma-Z interference).

    >>> round(float(d_sigma_born_dilepton(10.58**2, 0.0, 0.0, z_interference=False)), 0)
    290973.0
    """
    s = np.asarray(s_hat, dtype=float)
    c = np.asarray(cos_theta, dtype=float)
    beta2 = np.clip(1.0 - 4.0 * lepton_mass**2 / s, 0.0, None)
    beta = np.sqrt(beta2)
    sym = 1.0 + c * c + (1.0 - beta2) * (1.0 - c * c)
    norm = math.pi * ALPHA_EM**2 / (2.0 * s) * GEV2_TO_FB
    if not z_interference:
        return norm * beta * sym
    re_chi = _re_chi(s)
    v = -0.5 + 2.0 * SIN2_THETA_W
    a = -0.5
    return norm * (
        beta * sym * (1.0 + 2.0 * v * v * re_chi) + beta2 * 2.0 * c * 2.0 * a * a * re_chi
    )


def sigma_born_dilepton(s_hat, lepton_mass: float, *, z_interference: bool = True):
    """Born sigma(e+e- -> l+l-) in fb (integral of :func:`d_sigma_born_dilepton`).

    sigma = (4 pi alpha^2 / 3 s) beta (3 - beta^2)/2 (1 + 2 v_e v_l Re chi); zero below
    threshold. The axial interference term is odd in cos(theta) and integrates to zero.
    """
    s = np.asarray(s_hat, dtype=float)
    beta2 = np.clip(1.0 - 4.0 * lepton_mass**2 / s, 0.0, None)
    beta = np.sqrt(beta2)
    out = 4.0 * math.pi * ALPHA_EM**2 / (3.0 * s) * beta * (3.0 - beta2) / 2.0 * GEV2_TO_FB
    if z_interference:
        v = -0.5 + 2.0 * SIN2_THETA_W
        out = out * (1.0 + 2.0 * v * v * _re_chi(s))
    return float(out) if np.ndim(out) == 0 else out


# ----------------------------------------------------------------------------- vacuum pol.
def _delta_alpha_lepton(s: np.ndarray, m: float) -> tuple[np.ndarray, np.ndarray]:
    """One-loop Delta alpha of one lepton (real, imaginary part), timelike s > 0.

    Re = (alpha/3 pi)[-8/3 + beta^2 + beta (3 - beta^2)/2 ln((1 + beta)/(1 - beta))] above
    threshold, [-8/3 - b^2 + b (3 + b^2) arctan(1/b)] with b^2 = 4m^2/s - 1 below;
    Im = (alpha/3) beta (3 - beta^2)/2 (Jegerlehner 2017, ch. 2).
    """
    r = 4.0 * m * m / s
    above = r < 1.0
    beta = np.sqrt(np.where(above, 1.0 - r, 0.5))
    b = np.sqrt(np.where(above, 1.0, r - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        re_above = (
            -8.0 / 3.0
            + beta**2
            + beta * (3.0 - beta**2) / 2.0 * np.log((1.0 + beta) / (1.0 - beta))
        )
        re_below = -8.0 / 3.0 - b * b + b * (3.0 + b * b) * np.arctan(1.0 / b)
    re = ALPHA_EM / (3.0 * math.pi) * np.where(above, re_above, re_below)
    im = np.where(above, ALPHA_EM / 3.0 * beta * (3.0 - beta**2) / 2.0, 0.0)
    return re, im


@lru_cache(maxsize=1)
def _hadronic_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln s grid with Re and Im Delta alpha_had from the continuum R ratio (cached).

    Re Delta alpha_had(s) = -(alpha s / 3 pi) PV int_{4 m_pi^2} R(s') ds' / (s'(s' - s)),
    evaluated with the subtraction R(s') -> R(s') - R(s) and the analytic principal value
    of the subtracted term; R constant above 40 GeV. Im = alpha R(s) / 3.
    """
    from darkscan.models import hadronic_r

    def r_continuum(sqrt_s):
        r = np.asarray(hadronic_r.r_ratio(sqrt_s), dtype=float)
        for res in hadronic_r.NARROW_RESONANCES:
            r = r - np.asarray(hadronic_r.resonance_cross_section(sqrt_s, res)) * sqrt_s**2 / (
                4.0 * math.pi * ALPHA_EM**2 / 3.0
            )
        return np.clip(r, 0.0, None)

    s0 = 4.0 * M_PI**2
    lam = hadronic_r.SQRT_S_MAX**2
    u = np.linspace(math.log(s0), math.log(lam), 20001)
    sp = np.exp(u)
    r_sp = r_continuum(np.sqrt(sp))
    r_inf = float(r_sp[-1])
    s_eval = np.exp(np.linspace(math.log(1e-3), math.log(200.0), 400))
    r_s = np.where(s_eval > s0, r_continuum(np.sqrt(np.clip(s_eval, s0, lam))), 0.0)
    re = np.empty_like(s_eval)
    du = u[1] - u[0]
    for i, s in enumerate(s_eval):  # 400 grid points, each a vectorised integral
        with np.errstate(divide="ignore", invalid="ignore"):
            f = (r_sp - r_s[i]) / (sp - s)  # ds'/s' = du
        f = np.where(np.isfinite(f), f, 0.0)
        integral = du * (np.sum(f) - 0.5 * (f[0] + f[-1]))
        pv = (math.log((lam - s) / lam) - math.log(abs(s0 - s) / s0)) / s
        tail = r_inf / s * math.log(lam / (lam - s))
        re[i] = -ALPHA_EM * s / (3.0 * math.pi) * (integral + r_s[i] * pv + tail)
    return np.log(s_eval), re, ALPHA_EM / 3.0 * r_s


def delta_alpha(s) -> np.ndarray:
    """Complex vacuum polarisation Delta alpha(s) = Delta alpha_lep + Delta alpha_had.

    alpha(s) = alpha / (1 - Delta alpha(s)); the leptonic part is the exact one-loop result
    with masses, the hadronic part the dispersion integral of the continuum R ratio
    (module docstring). Valid for 1e-3 < s < 200 GeV^2.

    Parameters
    ----------
    s : array_like
        Squared energy in GeV^2 (timelike).

    Returns
    -------
    numpy.ndarray of complex

    References
    ----------
    Jegerlehner (2017), ch. 2 (one-loop Pi(s) of a lepton; dispersion relation).

    >>> round(float(1.0 / (ALPHA_EM / abs(1.0 - delta_alpha(10.58**2)))), 1)
    132.4
    """
    s = np.asarray(in_range("s", s, 1e-3, 200.0, unit="GeV^2"), dtype=float)
    re = np.zeros_like(s)
    im = np.zeros_like(s)
    for m in (M_E, M_MU, M_TAU):
        r, i = _delta_alpha_lepton(s, m)
        re = re + r
        im = im + i
    ln_s, re_h, im_h = _hadronic_table()
    re = re + np.interp(np.log(s), ln_s, re_h)
    im = im + np.interp(np.log(s), ln_s, im_h)
    return re + 1j * im


@lru_cache(maxsize=1)
def _vp_table() -> tuple[np.ndarray, np.ndarray]:
    ln_s = np.linspace(math.log(1e-3), math.log(200.0), 8001)
    return ln_s, 1.0 / np.abs(1.0 - delta_alpha(np.exp(ln_s))) ** 2


def _vp_factor(s) -> np.ndarray:
    """|1 / (1 - Delta alpha(s))|^2 (interpolated in ln s on a fine cached grid)."""
    ln_s, table = _vp_table()
    return np.interp(np.log(s), ln_s, table)


@lru_cache(maxsize=64)
def sigma_dilepton_isr(
    sqrt_s: float,
    lepton_mass: float,
    *,
    isr: bool = True,
    fsr: bool = True,
    vacuum_polarisation: bool = True,
    z_interference: bool = True,
) -> tuple[float, float]:
    """Total sigma(e+e- -> l+l-(gamma)) in fb and its quadrature uncertainty.

    sigma = int D D sigma_Born(s') |1/(1 - Delta alpha(s'))|^2 (1 + 3 alpha/4 pi) over
    s' > (2m)^2 (factors switched by the flags; module docstring).

    >>> round(sigma_dilepton_isr(10.58, M_MU, isr=False, fsr=False,
    ...       vacuum_polarisation=False, z_interference=False)[0] / 1e6, 4)
    0.7759
    """
    s = float(sqrt_s) ** 2
    k_fsr = 1.0 + 3.0 * ALPHA_EM / (4.0 * math.pi) if fsr else 1.0

    def sigma_hat(sp):
        out = sigma_born_dilepton(sp, lepton_mass, z_interference=z_interference)
        if vacuum_polarisation:
            out = out * _vp_factor(sp)
        return np.asarray(out) * k_fsr

    if not isr:
        return float(sigma_hat(np.array(s))), 0.0
    s_min = 4.0 * lepton_mass**2
    fine = convolve_isr(sigma_hat, s, s_min, s_hat_pole=0.0, n_nodes=128)
    coarse = convolve_isr(sigma_hat, s, s_min, s_hat_pole=0.0, n_nodes=64)
    return fine, abs(fine - coarse)


# ----------------------------------------------------------------------------- FSR
def _propose_fsr(rng: np.random.Generator, s: np.ndarray, m: float, e_min: float):
    """Proposal for hard-FSR kinematics in the hard frame, with weight d sigma / g in fb.

    g: photon energy ~ 1/E on [e_min, E_max], photon direction isotropic, lepton direction
    in the dilepton rest frame from [1/(1 - b c) + 1/(1 + b c)] around the photon axis.
    d sigma = |M|^2 / (2 s) dPhi_3, dPhi_3 = E_gamma dE_gamma dOmega_gamma beta* dOmega* /
    (512 pi^5) (PDG Kinematics review, sequential two-body phase space).

    Returns (l-, l+, gamma) four-momenta (n, 4) each and the weight (n,) in fb
    (0 where E_max <= e_min).
    """
    n = s.shape[0]
    root = np.sqrt(s)
    e_max = (s - 4.0 * m * m) / (2.0 * root)
    ok = e_max > e_min
    e_hi = np.where(ok, e_max, 2.0 * e_min)
    log_range = np.log(e_hi / e_min)
    e_g = e_min * np.exp(rng.random(n) * log_range)
    e_g = np.where(ok, e_g, 0.5 * e_max)  # below the cut: any valid point, weight set to 0
    k_dir = _direction(rng.uniform(-1.0, 1.0, n), rng.uniform(0.0, 2.0 * math.pi, n))
    q2 = s - 2.0 * root * e_g
    q_mass = np.sqrt(np.clip(q2, 4.0 * m * m, None))
    p_star = np.sqrt(np.clip(q2 / 4.0 - m * m, 0.0, None))
    beta_star = 2.0 * p_star / q_mass
    # lepton direction in the dilepton frame relative to the photon axis
    bs = np.clip(beta_star, 1e-12, 1.0 - 1e-15)
    ratio = (1.0 - bs) / (1.0 + bs)
    c = (1.0 - (1.0 + bs) * ratio ** rng.random(n)) / bs
    c = np.where(rng.random(n) < 0.5, c, -c)
    c = np.clip(c, -1.0, 1.0)
    local = _direction(c, rng.uniform(0.0, 2.0 * math.pi, n))
    x, y, z = orthonormal_triad(k_dir)
    n_dir = local[:, :1] * x + local[:, 1:2] * y + local[:, 2:3] * z
    e_l = q_mass / 2.0
    lm = np.concatenate([e_l[:, None], p_star[:, None] * n_dir], axis=1)
    lp = np.concatenate([e_l[:, None], -p_star[:, None] * n_dir], axis=1)
    beta_q = -(e_g / (root - e_g))[:, None] * k_dir  # Q = P - k moves against the photon
    lm = boost(lm, beta_q)
    lp = boost(lp, beta_q)
    k = np.concatenate([e_g[:, None], e_g[:, None] * k_dir], axis=1)
    half = 0.5 * root
    zeros = np.zeros(n)
    pm = np.stack([half, zeros, zeros, half], axis=1)
    pp = np.stack([half, zeros, zeros, -half], axis=1)
    me2 = fsr_matrix_element(pm, pp, lm, lp, k, m)
    g_c = (1.0 / (1.0 - bs * c) + 1.0 / (1.0 + bs * c)) / (
        2.0 * np.log((1.0 + bs) / (1.0 - bs)) / bs
    )
    g = 1.0 / (e_g * log_range) / (4.0 * math.pi) * g_c / (2.0 * math.pi)
    d_phi3 = e_g * beta_star / (512.0 * math.pi**5)
    w = np.where(ok, me2 / (2.0 * s) * d_phi3 / g * GEV2_TO_FB, 0.0)
    return lm, lp, k, w


@dataclass(frozen=True)
class _FsrTable:
    ln_s: np.ndarray
    probability: np.ndarray
    max_ratio: np.ndarray


@lru_cache(maxsize=16)
def _fsr_table(m: float, e_min: float, s_max: float, z_interference: bool) -> _FsrTable:
    """P_hard(s') on a grid in ln s' by Monte Carlo (fixed internal seed: deterministic).

    Also the largest weight / sigma_Born(s') seen, for the accept-reject envelope.
    """
    rng = np.random.default_rng(20261126)
    s_lo = 4.0 * m * m * 1.0001
    ln_s = np.linspace(math.log(s_lo), math.log(s_max * 1.02), 40)
    n = 20_000
    prob = np.zeros_like(ln_s)
    max_ratio = np.zeros_like(ln_s)
    k_fsr = 1.0 + 3.0 * ALPHA_EM / (4.0 * math.pi)
    for i, lns in enumerate(ln_s):
        s = np.full(n, math.exp(lns))
        *_, w = _propose_fsr(rng, s, m, e_min)
        born = sigma_born_dilepton(s[0], m, z_interference=False)
        if born <= 0:
            continue
        prob[i] = float(np.mean(w)) / (born * k_fsr)
        max_ratio[i] = float(np.max(w)) / born
    if np.any(prob >= 1.0):
        raise PhysicsDomainError(
            f"min_photon_energy = {e_min:g} GeV is too small: the hard-FSR probability "
            f"{prob.max():.3g} reaches 1 (allowed: a cut leaving P_hard < 1)"
        )
    # envelope: 1.5 x the largest weight at this and the neighbouring grid points
    env = np.maximum(max_ratio, np.maximum(np.roll(max_ratio, 1), np.roll(max_ratio, -1)))
    env[0], env[-1] = max(max_ratio[:2]), max(max_ratio[-2:])
    return _FsrTable(ln_s=ln_s, probability=prob, max_ratio=1.5 * env)


def hard_fsr_probability(s_prime, lepton_mass: float, min_photon_energy: float = MIN_PHOTON_ENERGY):
    """Probability of an FSR photon above ``min_photon_energy`` (hard frame) at s'.

    P = sigma_hard(s') / (sigma_Born(s') (1 + 3 alpha/4 pi)), sigma_hard from
    :func:`fsr_matrix_element` integrated by Monte Carlo on a grid (module docstring).
    Leading-log estimate: (2 alpha/pi)(ln(s'/m^2) - 1) ln(E_max/E_min). This is the exact
    O(alpha) rate the multi-photon generator reproduces for muons (tested); it is no longer
    used to generate events. For taus it is ~15 % low: the massless CALKUL factor of
    :func:`fsr_matrix_element` is normalised here to the exact massive Born, which differs
    from it by O(4 m^2/s) = 11 % (the generator takes the ratio within the CALKUL form).

    >>> p = float(hard_fsr_probability(10.58**2, M_MU, 0.01))
    >>> 0.2 < p < 0.3
    True
    """
    s_prime = np.asarray(s_prime, dtype=float)
    table = _fsr_table(float(lepton_mass), float(min_photon_energy), float(np.max(s_prime)), False)
    return np.interp(np.log(s_prime), table.ln_s, table.probability, left=0.0)


# ----------------------------------------------------------------------------- generation
@dataclass(frozen=True)
class DileptonEvents:
    """CM-frame kinematics of e+e- -> l+l-(gamma) events (arrays over events).

    Attributes
    ----------
    l_minus, l_plus : numpy.ndarray (n, 4)
        Four-momenta in the (nominal) CM frame, GeV.
    fsr_photons : numpy.ndarray (n, k, 4)
        FSR photons in the CM frame, hardest (in the hard frame) first, zero rows where
        absent (k = max(1, largest multiplicity)); :attr:`fsr_photon` is the hardest.
    isr_photons : numpy.ndarray (n, 4, 4)
        ISR photons, two from the e- then two from the e+ (CM frame), zero energy if none.
    hard_p4 : numpy.ndarray (n, 4)
        Four-momentum of the hard (l+l- + FSR photon) system in the CM frame.
    s_hat : numpy.ndarray (n,)
        s' = x1 x2 s of the hard collision, GeV^2.
    cos_theta_hard : numpy.ndarray (n,)
        cos of the l- angle to the e- beam in the l+l- rest frame (Born events) or in the
        hard frame (FSR events).
    has_fsr : numpy.ndarray of bool (n,)
        At least one FSR photon above ``min_photon_energy``.
    weight : numpy.ndarray (n,)
        Relative weights, mean 1 (all 1 unweighted).
    info : dict
        Efficiencies and envelopes.
    """

    l_minus: np.ndarray
    l_plus: np.ndarray
    fsr_photons: np.ndarray
    isr_photons: np.ndarray
    hard_p4: np.ndarray
    s_hat: np.ndarray
    cos_theta_hard: np.ndarray
    has_fsr: np.ndarray
    weight: np.ndarray
    info: dict

    @property
    def fsr_photon(self) -> np.ndarray:
        """The hardest FSR photon (n, 4) (zero where there is none)."""
        return self.fsr_photons[:, 0]


@dataclass(frozen=True)
class _Coll:
    s_hat: np.ndarray
    cos_theta: np.ndarray
    weight: np.ndarray


def _phi_born(s_prime, m, vacuum_polarisation, z_interference):
    """sigma_hat(s') s' / (4 pi alpha^2/3): the Born cross section without its 1/s' (<~ 1.1)."""
    out = sigma_born_dilepton(s_prime, m, z_interference=z_interference) * s_prime
    out = out / (4.0 * math.pi * ALPHA_EM**2 / 3.0 * GEV2_TO_FB)
    return out * _vp_factor(s_prime) if vacuum_polarisation else out


@lru_cache(maxsize=16)
def _phi_table(m: float, s_high: float, vp: bool, z_int: bool) -> tuple[np.ndarray, np.ndarray]:
    """phi(s') of :func:`_phi_born` tabulated in ln s' (dense near the threshold (2m)^2)."""
    lo = math.log(4.0 * m * m * (1.0 + 1e-9))
    hi = math.log(s_high * 1.001)
    near = lo + (math.log(1.01) * np.linspace(0.0, 1.0, 2001) ** 2)
    ln_s = np.unique(np.concatenate([near, np.linspace(lo + math.log(1.01), hi, 20001)]))
    return ln_s, _phi_born(np.exp(ln_s), m, vp, z_int)


def _structure_function(x, beta):
    """Kuraev-Fadin D(x) as in :func:`darkscan.generate.isr.structure_function` (no checks)."""
    b = beta / 2.0
    with np.errstate(divide="ignore"):
        return b * (1.0 - x) ** (b - 1.0) * (1.0 + 3.0 * beta / 8.0) - beta / 4.0 * (1.0 + x)


_POLE_FRACTION = 0.15


@lru_cache(maxsize=16)
def _isr_envelope(s_low: float, s_high: float, m: float, vp: bool, z_int: bool) -> tuple:
    """(z0, ln(1/z0), beta, max of the per-beam weight, max of phi) for the ISR sampler."""
    beta = isr_beta(s_high)
    z0 = 4.0 * m * m / s_high
    big_l = math.log(1.0 / z0)
    lam = _POLE_FRACTION
    x = np.concatenate(
        [np.exp(np.linspace(math.log(z0), 0.0, 4000)), 1.0 - np.logspace(-300, -0.3, 4000)]
    )
    d = _structure_function(np.clip(x, 0.0, 1.0), beta)
    with np.errstate(divide="ignore"):
        w = 1.0 / ((1.0 - lam) * x + lam / (big_l * d))
    s_grid = np.exp(np.linspace(math.log(4.0 * m * m * (1.0 + 1e-9)), math.log(s_high), 4000))
    phi = _phi_born(s_grid, m, vp, z_int)
    return z0, big_l, beta, float(np.max(w[np.isfinite(w)])), float(np.max(phi))


def _sample_hard_collisions(
    rng, n, collider, m, *, isr, vacuum_polarisation, z_interference, energy_spread, weighted
):
    """Draw (sqrt s, x1, x2, cos theta) for e+e- -> l+l- with ISR, vectorised.

    Target density D(x1) D(x2) sigma_Born(x1 x2 s) on x1 x2 s > (2m)^2; sigma_Born =
    (4 pi alpha^2/3 s') phi(s') with phi <~ 1. Proposal per beam: the mixture
    q(x) = (1 - lam) D(x) + lam / (x ln(1/z0)) on [z0, 1] (D sampled exactly, the second
    part log-uniform), so that the weight D(x)/x / q(x) = 1/((1 - lam) x + lam/(L D(x))) is
    bounded; the event weight w(x1) w(x2) phi(x1 x2 s) is then unweighted against its
    (grid) maximum. cos theta is drawn from 1 + c^2 exactly and corrected by accept-reject
    to the massive Born + interference shape at the event's s'.
    """
    sqrt_s = float(collider.sqrt_s)
    spread = float(collider.sqrt_s_spread) if energy_spread else 0.0
    s_nom = sqrt_s**2
    s_high = (sqrt_s + 6.0 * spread) ** 2
    s_min = 4.0 * m * m * (1.0 + 1e-9)
    info: dict = {}

    def roots_of(k):
        return collider.sample_sqrt_s(rng, k) if energy_spread else np.full(k, sqrt_s)

    if isr:
        z0, big_l, beta, w_max, phi_max = _isr_envelope(
            s_nom, s_high, m, vacuum_polarisation, z_interference
        )
        lam = _POLE_FRACTION
        env = 1.01 * w_max * w_max * phi_max
        phi_ln_s, phi_table = _phi_table(m, s_high, vacuum_polarisation, z_interference)

        def phi_of(s_prime):
            # phi(s') on a fine ln s' grid (relative interpolation error < 2e-4, from the
            # grid of the vacuum-polarisation factor; denser grid near the threshold)
            return np.interp(np.log(s_prime), phi_ln_s, phi_table)

        def propose(k):
            xs = []
            for _ in range(2):
                x_d = sample_energy_fraction(rng, k, s_nom)
                x_g = z0 ** rng.random(k)
                xs.append(np.where(rng.random(k) < lam, x_g, x_d))
            r = roots_of(k)
            x1, x2 = xs
            s_p = x1 * x2 * r * r
            ok = (s_p > s_min) & (x1 >= z0) & (x2 >= z0)
            s_safe = np.where(ok, s_p, s_nom)
            w = np.ones(k)
            for x in (x1, x2):
                with np.errstate(divide="ignore"):
                    w = w / ((1.0 - lam) * x + lam / (big_l * _structure_function(x, beta)))
            w = np.where(ok, w * phi_of(s_safe), 0.0)
            return r, x1, x2, w * (s_nom / (r * r))

        if weighted:
            parts, n_have, n_prop = [], 0, 0
            while n_have < n:
                r, x1, x2, w = propose(int(1.1 * (n - n_have)) + 16)
                keep = w > 0
                n_prop += w.size
                parts.append((r[keep], x1[keep], x2[keep], w[keep]))
                n_have += int(keep.sum())
            roots, x1, x2, weight = (np.concatenate([p[i] for p in parts])[:n] for i in range(4))
            weight = weight / weight.mean()
            info["isr_efficiency"] = n_have / n_prop
        else:
            parts, n_have, n_prop, n_over, eff = [], 0, 0, 0, 0.6
            while n_have < n:
                k = int(min(1.1 * (n - n_have) / eff + 64, 5_000_000))
                r, x1, x2, w = propose(k)
                n_over += int(np.sum(w > env))
                keep = rng.random(k) * env < w
                n_prop += k
                parts.append((r[keep], x1[keep], x2[keep]))
                n_have += int(keep.sum())
                eff = max(n_have / n_prop, 0.01)
            roots, x1, x2 = (np.concatenate([p[i] for p in parts])[:n] for i in range(3))
            weight = np.ones(n)
            info.update(isr_efficiency=n_have / n_prop, isr_max_weight=env, isr_n_overweight=n_over)
    else:
        roots, x1, x2, weight = roots_of(n), np.ones(n), np.ones(n), np.ones(n)
    # ---- Born angle at the event's s': 1 + c^2 exactly, then the massive/interference shape
    s_p = x1 * x2 * roots * roots
    beta2 = np.clip(1.0 - 4.0 * m * m / s_p, 0.0, None)
    asym = np.zeros(n)
    if z_interference:
        v = -0.5 + 2.0 * SIN2_THETA_W
        asym = (
            beta2 * 2.0 * 0.5 * _re_chi(s_p) / (np.sqrt(beta2) * (1.0 + 2.0 * v * v * _re_chi(s_p)))
        )
    bound = 1.0 + (1.0 - beta2) + np.abs(asym)
    cos_theta = np.empty(n)
    pending = np.arange(n)
    for _ in range(1000):
        c = _sample_one_plus_cos2(rng, pending.size)
        b2 = beta2[pending]
        shape = (1.0 + c * c + (1.0 - b2) * (1.0 - c * c) + asym[pending] * c) / (1.0 + c * c)
        ok = rng.random(pending.size) * bound[pending] < shape
        cos_theta[pending[ok]] = c[ok]
        pending = pending[~ok]
        if pending.size == 0:
            break
    return roots, x1, x2, cos_theta, weight, info


def _isr_energy_share(rng: np.random.Generator, n: int, beta: float) -> np.ndarray:
    """Share V of a beam's radiated energy taken by its harder-ranked photon, (n, 2).

    In the leading-log exponentiated picture the photons of one beam are independent
    emissions with the soft density (beta/2) dz/z (Yennie-Frautschi-Suura); given their sum
    (drawn from D(x)), the energy fractions follow the Poisson-Dirichlet(beta/2) law, whose
    size-biased order is stick-breaking with V ~ Beta(1, beta/2) (Kingman 1975). Two photons
    per beam: V and 1 - V (the rest of the sticks, ~0.2 % of the energy, joins the second).
    V = 1 - U^(2/beta).
    """
    return 1.0 - rng.random((n, 2)) ** (2.0 / beta)


@numba.njit(cache=True)
def _hard_frame_kernel(
    roots, x1, x2, share, one_minus, phi_isr, first_e_minus, cos_l, phi_l, u_axis, m, s_min
):  # pragma: no cover - numba
    """ISR photons with angles (keeping s' = x1 x2 s exactly) and the Born two-body decay.

    Each beam radiates two photons (slots 2b and 2b + 1 for beam b = 0 (e-), 1 (e+)) that
    share its radiated energy in the fractions ``share[i, b]`` and 1 - share, each with its
    own angle (``one_minus`` = 1 - cos to its beam, azimuth ``phi_isr``). The photons of
    one beam (``first_e_minus`` chooses which, at random, so that neither is preferred)
    carry (1 - x) sqrt(s)/2; the system left, P' = P - K, has mass^2 x s + K^2. The
    other beam's photons, with fixed directions and sharing, are scaled by the lambda that
    makes (P' - lambda K_hat)^2 = x1 x2 s (the smaller root of the quadratic; for one
    photon along the beam lambda = (1 - x) sqrt(s)/2).

    The Born angle ``cos_l`` (azimuth ``phi_l``) of the l- is measured from an axis chosen
    per event (``u_axis`` uniform): the e- beam direction in the hard frame with probability
    E_-^2 / (E_-^2 + E_+^2), else minus the e+ direction (E_+- the beam energies in the hard
    frame). For one ISR photon this is exact for the QED Born part: the CALKUL factor
    t^2 + t'^2 + u^2 + u'^2 = 8 E_l^2 [E_+^2 (1 + c_+^2) + E_-^2 (1 + c_-^2)] in the l+l- frame,
    c_-+ the cosines of the l- to the e- and to minus the e+ (Berends et al., Nucl. Phys.
    B206 (1982) 61; the same mixture as the ISR Born frame of Berends-Kleiss-Jadach). For
    collinear photons both axes are +z.

    Returns the ISR photons (n, 4, 4) and the hard system (n, 4) in the CM frame, and the
    l-, l+ four-momenta (n, 4) in the hard frame.
    """
    n = roots.size
    isr = np.empty((n, 4, 4))
    hard = np.empty((n, 4))
    lm = np.empty((n, 4))
    lp = np.empty((n, 4))
    d = np.empty((4, 3))
    kh = np.empty((2, 4))  # unit-energy photon sums per beam
    ax = np.empty((2, 3))  # Born-axis candidates in the hard frame
    for i in range(n):
        e_beam = 0.5 * roots[i]
        for q in range(4):
            om = one_minus[i, q]
            st = math.sqrt(max(om * (2.0 - om), 0.0))
            sign = 1.0 if q < 2 else -1.0
            d[q, 0] = st * math.cos(phi_isr[i, q])
            d[q, 1] = st * math.sin(phi_isr[i, q])
            d[q, 2] = sign * (1.0 - om)
        for b in range(2):
            v = share[i, b]
            kh[b, 0] = 1.0
            for j in range(3):
                kh[b, j + 1] = v * d[2 * b, j] + (1.0 - v) * d[2 * b + 1, j]
        f = 0 if first_e_minus[i] else 1
        o = 1 - f
        x_first = x1[i] if f == 0 else x2[i]
        e1 = (1.0 - x_first) * e_beam
        # P' = P - e1 kh[f]
        r0 = roots[i] - e1
        rx, ry, rz = -e1 * kh[f, 1], -e1 * kh[f, 2], -e1 * kh[f, 3]
        m2_rest = r0 * r0 - rx * rx - ry * ry - rz * rz
        target = x1[i] * x2[i] * roots[i] * roots[i]
        a = kh[o, 0] ** 2 - kh[o, 1] ** 2 - kh[o, 2] ** 2 - kh[o, 3] ** 2
        bq = r0 * kh[o, 0] - rx * kh[o, 1] - ry * kh[o, 2] - rz * kh[o, 3]
        cq = m2_rest - target
        # smaller root of a lam^2 - 2 bq lam + cq = 0 in the cancellation-free form
        lam = cq / (bq + math.sqrt(max(bq * bq - a * cq, 0.0)))
        lam = max(lam, 0.0)  # -1e-16 rounding when that beam did not radiate
        for b, e_tot in ((f, e1), (o, lam)):
            v = share[i, b]
            for s_, frac in ((2 * b, v), (2 * b + 1, 1.0 - v)):
                e = e_tot * frac
                isr[i, s_, 0] = e
                for j in range(3):
                    isr[i, s_, j + 1] = e * d[s_, j]
        hard[i, 0] = roots[i] - e1 - lam
        for j in range(3):
            hard[i, j + 1] = -(
                isr[i, 0, j + 1] + isr[i, 1, j + 1] + isr[i, 2, j + 1] + isr[i, 3, j + 1]
            )
        s_act = hard[i, 0] ** 2 - hard[i, 1] ** 2 - hard[i, 2] ** 2 - hard[i, 3] ** 2
        s_act = max(s_act, s_min)
        p_star = math.sqrt(max(0.25 * s_act - m * m, 0.0))
        # Born axis: the e- direction or minus the e+ direction in the hard frame, chosen
        # with probability E_-^2 : E_+^2 (beam energies in the hard frame); both are +z for
        # collinear photons (see the docstring)
        e0 = hard[i, 0]
        bx, by, bz = -hard[i, 1] / e0, -hard[i, 2] / e0, -hard[i, 3] / e0
        g = 1.0 / math.sqrt(max(1.0 - (bx * bx + by * by + bz * bz), 1e-300))
        e_beam_h = np.empty(2)
        for k in range(2):
            pz0 = e_beam if k == 0 else -e_beam
            bp = bz * pz0
            e_beam_h[k] = g * (e_beam + bp)
            c = g * g / (1.0 + g) * bp + g * e_beam
            ax[k, 0] = c * bx
            ax[k, 1] = c * by
            ax[k, 2] = pz0 + c * bz
            norm = math.sqrt(ax[k, 0] ** 2 + ax[k, 1] ** 2 + ax[k, 2] ** 2)
            sgn = 1.0 if k == 0 else -1.0  # the e+ axis points against the e+
            for j in range(3):
                ax[k, j] = sgn * ax[k, j] / norm
        w_minus = e_beam_h[0] ** 2
        k_axis = 0 if u_axis[i] * (w_minus + e_beam_h[1] ** 2) < w_minus else 1
        zx, zy, zz = ax[k_axis, 0], ax[k_axis, 1], ax[k_axis, 2]
        # orthonormal frame (x', y', z') around the axis
        if abs(zz) < 0.9:
            rx, ry, rz = 0.0, 0.0, 1.0
        else:
            rx, ry, rz = 1.0, 0.0, 0.0
        xx, xy, xz = ry * zz - rz * zy, rz * zx - rx * zz, rx * zy - ry * zx
        nx = math.sqrt(xx * xx + xy * xy + xz * xz)
        xx, xy, xz = xx / nx, xy / nx, xz / nx
        yx, yy, yz = zy * xz - zz * xy, zz * xx - zx * xz, zx * xy - zy * xx
        st = math.sqrt(max(1.0 - cos_l[i] ** 2, 0.0))
        lx = st * math.cos(phi_l[i])
        ly = st * math.sin(phi_l[i])
        lz = cos_l[i]
        px = p_star * (lx * xx + ly * yx + lz * zx)
        py = p_star * (lx * xy + ly * yy + lz * zy)
        pz = p_star * (lx * xz + ly * yz + lz * zz)
        e = 0.5 * math.sqrt(s_act)
        lm[i, 0] = e
        lm[i, 1] = px
        lm[i, 2] = py
        lm[i, 3] = pz
        lp[i, 0] = e
        lp[i, 1] = -px
        lp[i, 2] = -py
        lp[i, 3] = -pz
    return isr, hard, lm, lp


@numba.njit(cache=True)
def _boost_rows_kernel(p4, hard):  # pragma: no cover - numba
    """Boost (n, 4) hard-frame vectors in place with the velocity of ``hard`` (n, 4)."""
    for i in range(p4.shape[0]):
        e0 = hard[i, 0]
        bx, by, bz = hard[i, 1] / e0, hard[i, 2] / e0, hard[i, 3] / e0
        b2 = bx * bx + by * by + bz * bz
        g = 1.0 / math.sqrt(1.0 - b2)
        bp = bx * p4[i, 1] + by * p4[i, 2] + bz * p4[i, 3]
        c = g * g / (1.0 + g) * bp + g * p4[i, 0]
        p4[i, 0] = g * (p4[i, 0] + bp)
        p4[i, 1] += c * bx
        p4[i, 2] += c * by
        p4[i, 3] += c * bz


@numba.njit(cache=True)
def _boost_photons_kernel(p4, hard):  # pragma: no cover - numba
    """Boost (n, k, 4) hard-frame photons in place with the velocity of ``hard``; E = 0 rows stay."""
    for i in range(p4.shape[0]):
        e0 = hard[i, 0]
        bx, by, bz = hard[i, 1] / e0, hard[i, 2] / e0, hard[i, 3] / e0
        b2 = bx * bx + by * by + bz * bz
        g = 1.0 / math.sqrt(1.0 - b2)
        for k in range(p4.shape[1]):
            if p4[i, k, 0] <= 0.0:
                continue
            bp = bx * p4[i, k, 1] + by * p4[i, k, 2] + bz * p4[i, k, 3]
            c = g * g / (1.0 + g) * bp + g * p4[i, k, 0]
            p4[i, k, 0] = g * (p4[i, k, 0] + bp)
            p4[i, k, 1] += c * bx
            p4[i, k, 2] += c * by
            p4[i, k, 3] += c * bz


@numba.njit(cache=True)
def _to_lab_flat_kernel(parts, rows, offsets, pdg, out, pdg_out):  # pragma: no cover - numba
    """Flat lab-frame record: l-, l+ always, then every photon of ``parts[2:]`` with E > 0.

    ``out`` (4, n_total) receives (E, px, py, pz) in float32, ``pdg_out`` the codes
    (``pdg``, ``-pdg``, 22); ``offsets`` (n + 1) are the first slot of each event.
    """
    n = offsets.size - 1
    for i in range(n):
        pos = offsets[i]
        for k in range(len(parts)):
            p = parts[k]
            if k >= 2 and p[i, 0] <= 0.0:
                continue
            for j in range(4):
                out[j, pos] = (
                    p[i, 0] * rows[0, j]
                    + p[i, 1] * rows[1, j]
                    + p[i, 2] * rows[2, j]
                    + p[i, 3] * rows[3, j]
                )
            pdg_out[pos] = pdg if k == 0 else (-pdg if k == 1 else 22)
            pos += 1


@numba.njit(cache=True)
def _to_lab_pack_kernel(parts, rows, out):  # pragma: no cover - numba
    """out[i, k, :] (float32) = lab four-vector of parts[k][i] (CM frame), via ``rows``."""
    n = out.shape[0]
    for k in range(len(parts)):
        p = parts[k]
        for i in range(n):
            for j in range(4):
                out[i, k, j] = (
                    p[i, 0] * rows[0, j]
                    + p[i, 1] * rows[1, j]
                    + p[i, 2] * rows[2, j]
                    + p[i, 3] * rows[3, j]
                )


def generate_dilepton_kinematics(
    rng: np.random.Generator,
    n: int,
    collider,
    lepton_mass: float,
    *,
    isr: bool = True,
    fsr: bool = True,
    min_photon_energy: float = MIN_PHOTON_ENERGY,
    vacuum_polarisation: bool = True,
    z_interference: bool = True,
    energy_spread: bool = False,
    weighted: bool = False,
) -> DileptonEvents:
    """Draw e+e- -> l+l-(gamma) kinematics in the CM frame (module docstring for physics).

    Parameters are those of :func:`generate_mumu_gamma` plus the lepton mass (GeV).

    Returns
    -------
    DileptonEvents
    """
    m = float(lepton_mass)
    sqrt_s = float(collider.sqrt_s)
    s_nom = sqrt_s**2
    s_min = 4.0 * m * m * (1.0 + 1e-9)
    if s_min >= s_nom:
        raise PhysicsDomainError(
            f"sqrt(s) = {sqrt_s:g} GeV is below the l+l- threshold {2 * m:g} GeV (allowed: above)"
        )
    roots, x1, x2, cos_theta, weight, info = _sample_hard_collisions(
        rng,
        n,
        collider,
        m,
        isr=isr,
        vacuum_polarisation=vacuum_polarisation,
        z_interference=z_interference,
        energy_spread=energy_spread,
        weighted=weighted,
    )
    s_hat = x1 * x2 * roots * roots
    if isr:
        share = _isr_energy_share(rng, n, isr_beta(float(collider.s)))
        # each of the four photons (two per beam) gets its own polar angle: the exact eikonal
        # law of the e+e- pair corrected to the O(alpha) hard-photon law at its energy
        # fraction, folded into its beam's hemisphere
        x_gamma = np.empty((n, 4))
        for b, x_b in enumerate((x1, x2)):
            x_gamma[:, 2 * b] = (1.0 - x_b) * share[:, b]
            x_gamma[:, 2 * b + 1] = (1.0 - x_b) * (1.0 - share[:, b])
        c_isr = sample_hard_isr_photon_cos_theta(rng, x_gamma.ravel(), sqrt_s).reshape(n, 4)
        one_minus = 1.0 - np.abs(c_isr)
        phi_isr = rng.uniform(0.0, 2.0 * math.pi, (n, 4))
        first_e_minus = rng.random(n) < 0.5
    else:
        one_minus = np.zeros((n, 4))
        phi_isr = np.zeros((n, 4))
        first_e_minus = np.ones(n, dtype=bool)
        share = np.ones((n, 2))
    phi_l = rng.uniform(0.0, 2.0 * math.pi, n)
    u_axis = rng.random(n)
    isr_ph, hard, lm, lp = _hard_frame_kernel(
        roots,
        x1,
        x2,
        share,
        one_minus,
        phi_isr,
        first_e_minus,
        cos_theta,
        phi_l,
        u_axis,
        m,
        s_min,
    )
    s_act = np.clip(hard[:, 0] ** 2 - np.sum(hard[:, 1:] ** 2, axis=1), s_min, None)
    coll = _Coll(s_hat=s_hat, cos_theta=cos_theta, weight=weight)
    cos_hard = coll.cos_theta.copy()
    has_fsr = np.zeros(n, dtype=bool)
    photons = np.zeros((n, 1, 4))
    if fsr:
        e_min = non_negative("min_photon_energy", min_photon_energy, unit="GeV")
        if e_min <= 0.0:
            raise PhysicsDomainError(
                "min_photon_energy = 0 GeV is outside the allowed range (0, inf) GeV"
            )
        axis = lm[:, 1:] / np.linalg.norm(lm[:, 1:], axis=1, keepdims=True)
        res = generate_fsr(rng, s_act, m, axis, float(e_min))
        lm, lp, photons = res.l_minus, res.l_plus, np.ascontiguousarray(res.photons)
        has_fsr = res.n_photons > 0
        cos_hard[has_fsr] = lm[has_fsr, 3] / np.linalg.norm(lm[has_fsr, 1:], axis=1)
        info.update(
            res.info,
            fsr_fraction=float(has_fsr.mean()),
            fsr_mean_multiplicity=float(res.n_photons.mean()),
        )
    for vec in (lm, lp):
        _boost_rows_kernel(vec, hard)
    _boost_photons_kernel(photons, hard)
    return DileptonEvents(
        l_minus=lm,
        l_plus=lp,
        fsr_photons=photons,
        isr_photons=isr_ph,
        hard_p4=hard,
        s_hat=coll.s_hat,
        cos_theta_hard=cos_hard,
        has_fsr=has_fsr,
        weight=coll.weight,
        info=info,
    )


def _sample_one_plus_cos2(rng: np.random.Generator, n: int) -> np.ndarray:
    """cos(theta) from the density 3/8 (1 + c^2) on [-1, 1] by exact inversion.

    The CDF condition c + c^3/3 = y, y = (8u - 4)/3, is the depressed cubic
    c^3 + 3c - 3y = 0 with the single real root (Cardano)
    c = cbrt(3y/2 + sqrt(9y^2/4 + 1)) + cbrt(3y/2 - sqrt(9y^2/4 + 1)).
    """
    y = (8.0 * rng.random(n) - 4.0) / 3.0
    h = 1.5 * y
    root = np.sqrt(h * h + 1.0)
    return np.clip(np.cbrt(h + root) + np.cbrt(h - root), -1.0, 1.0)


def _check_cuts(cuts) -> dict:
    if cuts is None:
        return {}
    if not isinstance(cuts, dict):
        raise ConfigError(f"cuts must be a dict or None, got {type(cuts).__name__}")
    unknown = set(cuts) - set(CUT_KEYS)
    if unknown:
        raise ConfigError(f"unknown cut(s) {sorted(unknown)}; allowed: {list(CUT_KEYS)}")
    out = dict(cuts)
    if "cos_theta_mu_cms" in out:
        lo, hi = (float(c) for c in out["cos_theta_mu_cms"])
        in_range("cuts['cos_theta_mu_cms'][0]", lo, -1.0, 1.0)
        in_range("cuts['cos_theta_mu_cms'][1]", hi, -1.0, 1.0)
        if not lo < hi:
            raise PhysicsDomainError(
                f"cuts['cos_theta_mu_cms'] = ({lo:g}, {hi:g}) must have low < high"
            )
        out["cos_theta_mu_cms"] = [lo, hi]
    for key in ("p_mu_cms_min", "mumu_mass_min", "pt_mumu_cms_min"):
        if key in out:
            out[key] = float(non_negative(f"cuts[{key!r}]", out[key], unit="GeV"))
    return out


def _pass_cuts(ev: DileptonEvents, cuts: dict) -> np.ndarray:
    keep = np.ones(ev.l_minus.shape[0], dtype=bool)
    if "cos_theta_mu_cms" in cuts:
        lo, hi = cuts["cos_theta_mu_cms"]
        for p in (ev.l_minus, ev.l_plus):
            c = p[:, 3] / np.linalg.norm(p[:, 1:], axis=1)
            keep &= (c >= lo) & (c <= hi)
    if "p_mu_cms_min" in cuts:
        for p in (ev.l_minus, ev.l_plus):
            keep &= np.linalg.norm(p[:, 1:], axis=1) >= cuts["p_mu_cms_min"]
    if "mumu_mass_min" in cuts:
        q = ev.l_minus + ev.l_plus
        keep &= np.sqrt(np.clip(minkowski_dot(q, q), 0.0, None)) >= cuts["mumu_mass_min"]
    if "pt_mumu_cms_min" in cuts:
        # transverse momentum of the lepton pair to the CM beam axis: the photons' p_T
        q = ev.l_minus + ev.l_plus
        keep &= np.hypot(q[:, 1], q[:, 2]) >= cuts["pt_mumu_cms_min"]
    return keep


def _select(ev: DileptonEvents, idx: np.ndarray) -> DileptonEvents:
    return DileptonEvents(
        **{
            f: getattr(ev, f)[idx]
            for f in (
                "l_minus",
                "l_plus",
                "fsr_photons",
                "isr_photons",
                "hard_p4",
                "s_hat",
                "cos_theta_hard",
                "has_fsr",
                "weight",
            )
        },
        info=ev.info,
    )


def _concat(parts: list[DileptonEvents]) -> DileptonEvents:
    if len(parts) == 1:
        return parts[0]
    fields = (
        "l_minus",
        "l_plus",
        "fsr_photons",
        "isr_photons",
        "hard_p4",
        "s_hat",
        "cos_theta_hard",
        "has_fsr",
        "weight",
    )
    width = max(p.fsr_photons.shape[1] for p in parts)

    def padded(a):
        return np.concatenate([a, np.zeros((a.shape[0], width - a.shape[1], 4))], axis=1)

    cat = {f: np.concatenate([getattr(p, f) for p in parts]) for f in fields if f != "fsr_photons"}
    cat["fsr_photons"] = np.concatenate([padded(p.fsr_photons) for p in parts])
    return DileptonEvents(**cat, info=parts[0].info)


def generate_with_cuts(
    rng, n, collider, lepton_mass, cuts, **kwargs
) -> tuple[DileptonEvents, float, int]:
    """Generate until ``n`` events pass ``cuts``; return events, accepted fraction, n generated."""
    if not cuts:
        return generate_dilepton_kinematics(rng, n, collider, lepton_mass, **kwargs), 1.0, n
    parts: list[DileptonEvents] = []
    n_gen = n_pass = 0
    eff = 0.5
    for _ in range(1000):
        m_try = int(min(max(1.1 * (n - n_pass) / eff + 100, 1000), 5_000_000))
        ev = generate_dilepton_kinematics(rng, m_try, collider, lepton_mass, **kwargs)
        keep = np.flatnonzero(_pass_cuts(ev, cuts))
        n_gen += m_try
        parts.append(_select(ev, keep))
        n_pass += keep.size
        eff = max(n_pass / n_gen, 1e-4)
        if n_pass >= n:
            break
    else:
        raise ConfigError(f"generator cuts {cuts} accepted only {n_pass} of {n_gen} events")
    # the last batch is cut at the n-th accepted event: count only what was needed
    ev = _concat(parts)
    excess = n_pass - n
    n_gen_eff = n_gen - round(excess / eff) if excess else n_gen
    return _select(ev, np.arange(n)), n / max(n_gen_eff, n), max(n_gen_eff, n)


def dilepton_sample_with_cuts(rng, n, collider, lepton_mass, cuts, **kwargs):
    """Kinematics of ``n`` accepted dilepton events and the cross section within ``cuts``.

    Returns ``(events, sigma, sigma_err, sigma_total, n_generated)`` in fb: sigma is the total
    (ISR/FSR/VP-corrected, :func:`sigma_dilepton_isr`) times the accepted fraction, and its
    error adds the binomial error of that fraction in quadrature when cuts are applied.
    Shared by the mu+mu-(gamma) and tau+tau-(gamma) generators.
    """
    ev, fraction, n_gen = generate_with_cuts(rng, n, collider, lepton_mass, cuts, **kwargs)
    sigma_tot, sigma_err = sigma_dilepton_isr(
        collider.sqrt_s,
        lepton_mass,
        isr=kwargs.get("isr", True),
        fsr=kwargs.get("fsr", True),
        vacuum_polarisation=kwargs.get("vacuum_polarisation", True),
        z_interference=kwargs.get("z_interference", True),
    )
    sigma = sigma_tot * fraction
    if cuts:
        binom = math.sqrt(fraction * (1.0 - fraction) / n_gen) * sigma_tot
        sigma_err = math.hypot(sigma_err * fraction, binom)
    return ev, sigma, sigma_err, sigma_tot, n_gen


def generate_mumu_gamma(
    collider,
    n_events: int,
    rng: np.random.Generator,
    *,
    isr: bool = True,
    fsr: bool = True,
    min_photon_energy: float = MIN_PHOTON_ENERGY,
    cuts: dict | None = None,
    weighted: bool = False,
    vacuum_polarisation: bool = True,
    z_interference: bool = True,
    energy_spread: bool = False,
) -> Sample:
    """Generate e+e- -> mu+mu-(gamma) events (Born + VP + ISR with angles + multi-photon FSR).

    Parameters
    ----------
    collider : darkscan.beams.Collider
        Beam set-up (sqrt(s), CM -> lab transformation, energy spread).
    n_events : int
        Number of events (> 0) after ``cuts``.
    rng : numpy.random.Generator
        The only source of randomness.
    isr : bool
        Initial-state radiation (structure function, photons with angles; in the record).
    fsr : bool
        Final-state radiation: exponentiated multi-photon emission above
        ``min_photon_energy``, hardest photon exact at O(alpha) (:mod:`darkscan.generate.fsr`).
    min_photon_energy : float
        Lowest FSR photon energy in the hard (mu mu + photons) frame, GeV (> 0; default
        1 MeV). The total cross section does not depend on it (module docstring).
    cuts : dict, optional
        Generator-level cuts on CM-frame quantities: ``"cos_theta_mu_cms": (lo, hi)`` (both
        muons), ``"p_mu_cms_min"`` (GeV, both muons), ``"mumu_mass_min"`` (GeV),
        ``"pt_mumu_cms_min"`` (GeV, transverse momentum of the muon pair to the beam axis:
        keeps the radiative events a recoil search can select; about 21 % of the events
        within |cos theta| < 0.9 have p_T > 0.1 GeV). The booked cross section is sigma
        times the accepted fraction.
    weighted : bool
        Weighted ISR sampling (weights sum to the cross section) instead of unweighted.
    vacuum_polarisation, z_interference : bool
        Running alpha(s') and the gamma-Z interference (A_FB ~ -0.7 %).
    energy_spread : bool
        Smear sqrt(s) per event with ``collider.sample_sqrt_s``.

    Returns
    -------
    Sample
        Record per event: mu-, mu+, then the FSR photons (hardest first) and the ISR photons
        (two per beam, e- side first); photons of zero energy are left out. Lab frame.

    Raises
    ------
    ConfigError
        Bad ``n_events``, ``rng`` or unknown cut names.
    PhysicsDomainError
        Bad cut values or ``min_photon_energy`` <= 0.
    """
    return _generate_sample(
        collider,
        n_events,
        rng,
        lepton_mass=M_MU,
        pdg=13,
        process="e+e- -> mu+mu-(gamma)",
        isr=isr,
        fsr=fsr,
        min_photon_energy=min_photon_energy,
        cuts=cuts,
        weighted=weighted,
        vacuum_polarisation=vacuum_polarisation,
        z_interference=z_interference,
        energy_spread=energy_spread,
    )


def _generate_sample(
    collider,
    n_events,
    rng,
    *,
    lepton_mass,
    pdg,
    process,
    isr,
    fsr,
    min_photon_energy,
    cuts,
    weighted,
    vacuum_polarisation,
    z_interference,
    energy_spread,
) -> Sample:
    n, *_ = check_generator_arguments(n_events, rng, (-0.5, 0.5), 0.0)
    cuts = _check_cuts(cuts)
    state = seed_record(rng)
    kwargs = dict(
        isr=isr,
        fsr=fsr,
        min_photon_energy=min_photon_energy,
        vacuum_polarisation=vacuum_polarisation,
        z_interference=z_interference,
        energy_spread=energy_spread,
        weighted=weighted,
    )
    ev, sigma, sigma_err, sigma_tot, n_gen = dilepton_sample_with_cuts(
        rng, n, collider, lepton_mass, cuts, **kwargs
    )
    # ---- record: [l-, l+, FSR gamma, ISR gammas (e-, e-, e+, e+)], zero photons dropped
    parts = numba.typed.List(
        [np.ascontiguousarray(a) for a in (ev.l_minus, ev.l_plus)]
        + [np.ascontiguousarray(ev.fsr_photons[:, j]) for j in range(ev.fsr_photons.shape[1])]
        + [np.ascontiguousarray(ev.isr_photons[:, j]) for j in range(ev.isr_photons.shape[1])]
    )
    counts = (
        2
        + np.sum(ev.fsr_photons[:, :, 0] > 0.0, axis=1)
        + np.sum(ev.isr_photons[:, :, 0] > 0.0, axis=1)
    )
    offsets = np.concatenate([[0], np.cumsum(counts)])
    out = np.empty((4, int(offsets[-1])), dtype=np.float32)
    pdg_flat = np.empty(int(offsets[-1]), dtype=np.int32)
    _to_lab_flat_kernel(parts, collider.to_lab(np.eye(4)), offsets, pdg, out, pdg_flat)
    flat = {"pdg": pdg_flat, "E": out[0], "px": out[1], "py": out[2], "pz": out[3]}
    weight = sigma * ev.weight / ev.weight.sum()
    events = events_from_flat(flat, counts, weight)
    return Sample(
        events=events,
        process=process,
        model_parameters={"lepton_mass": lepton_mass},
        generator=GENERATOR_NAME,
        generator_settings={
            "collider": collider.name,
            "sqrt_s": float(collider.sqrt_s),
            **kwargs,
            "n_generated": n_gen,
            "cross_section_total_fb": sigma_tot,
            **ev.info,
        },
        seed=state,
        cross_section_fb=sigma,
        cross_section_uncertainty_fb=sigma_err,
        generator_cuts={"s_hat_min": 4.0 * lepton_mass**2, **cuts},
        weighted=bool(weighted),
    )
