r"""The hadronic R ratio, R(sqrt s) = sigma(e+e- -> hadrons) / sigma_pt(e+e- -> mu+mu-).

``sigma_pt = 4 pi alpha^2 / (3 s)`` is the point-like (massless-muon, lowest-order) muon-pair
cross section, as in the PDG definition of R. R is what a kinetically mixed dark photon of
mass m = sqrt(s) needs: Gamma(A' -> hadrons) = (alpha eps^2 m / 3) R(m) (see
:mod:`darkscan.models.dark_photon`). Everything is vectorised over ``sqrt_s`` (GeV).

Parametrisation
---------------
1. **sqrt(s) < 1.1 GeV: vector-meson dominance.**

   * pi+ pi-: ``R = beta_pi^3 |F_pi(s)|^2 / 4`` with the Kuehn-Santamaria form factor
     ``F_pi = [BW_rho (1 + delta s/M_omega^2 BW_omega) + beta' BW_rho'] / (1 + beta')``,
     rho and rho' as Gounaris-Sakurai propagators (energy-dependent P-wave width),
     rho(770) mass and width from PDG (``particle``), rho' = (1.37 GeV, 0.51 GeV,
     beta' = -0.145) from Kuehn-Santamaria, and the rho-omega mixing |delta| derived from
     the PDG B(omega -> pi pi) and B(omega -> e e) (phase set to 0; gives 1.6e-3, the
     order of magnitude found in published Gounaris-Sakurai fits, e.g. BaBar
     arXiv:1205.2228). The rho' is used here with a Gounaris-Sakurai propagator too.
   * omega(782) -> pi+ pi- pi0, pi0 gamma and phi(1020) -> K+K-, K_L K_S, 3 pi, eta gamma:
     relativistic Breit-Wigners ``sigma_f = 12 pi Gamma_ee Gamma_f(s) / ((s-M^2)^2 +
     M^2 Gamma(s)^2)`` with PDG masses, widths (``particle``) and branching fractions (PDG
     2022 listings), energy-dependent partial widths: (p/p_M)^3 M^2/s for two-body P-wave
     channels, the ratio of three-body phase-space volumes for 3 pi.

2. **sqrt(s) > 1.6 GeV: perturbative QCD.**
   ``R = 3 sum_q Q_q^2 f_q (1 + a + c2 a^2 + c3 a^3) - 1.2395 (sum Q_q)^2 a^3``,
   ``a = alpha_s(sqrt s)/pi`` with the massless MS-bar coefficients (PDG review "Quantum
   Chromodynamics", eqs. 9.7-9.8) and alpha_s from the exact two-loop renormalisation-group
   equation (:func:`alpha_s`). f_q = 1 for u, d, s; for c and b f_q carries the Born
   threshold factor ``v = beta (3 - beta^2)/2`` and Schwinger's O(alpha_s) mass correction,
   with ``beta`` computed at the *meson-pair* thresholds 2 M_D0 = 3.730 GeV and
   2 M_B0 = 10.559 GeV (so that no charm continuum appears below open charm). The Coulomb
   term pi/(2 beta) of that correction is switched on over 0.3 GeV above threshold: it stands
   for the average of the broad psi(3770)-psi(4415) (resp. Upsilon(4S)-(11020)) states that
   are not modelled individually.

3. **1.1-1.6 GeV:** a C^1 smooth step interpolates ``(1-T) R_VMD + T R_pQCD``. The real data
   in this window are built of 4 pi, 5 pi, 6 pi, K K pi, eta pi pi and the rho(1450),
   omega(1420), rho(1700), phi(1680) states, which are not modelled.

4. **Narrow resonances** J/psi, psi(2S), Upsilon(1S), Upsilon(2S), Upsilon(3S) are added on
   top as constant-width Breit-Wigners with PDG masses, total widths (``particle``), PDG 2022
   leptonic widths and B_had = 1 - sum_l B_ll. Their integral is the narrow-width result
   ``int sigma_had d sqrt(s) = 6 pi^2 Gamma_ee B_had/M^2``. Upsilon(4S) is added with a
   P-wave B Bbar width (zero below 2 M_B). Broad charmonia (psi(3770), psi(4040), psi(4160),
   psi(4415)) are not included individually (see 2.).

Accuracy (compared with the PDG compilation, review "Plots of cross sections and related
quantities", figure of R(s), and the measurements quoted in the tests)
------------------------------------------------------------------------------------------
* rho peak: |F_pi|^2 = 45.6 at 0.77 GeV before the omega interference (which raises it to
  ~50 just below the omega); this is close to e+e- data, but the parameters are not fitted
  to them here: expect ~10% deviations in the rho region. omega and phi peaks follow from
  the PDG inputs (few %). Below 2 m_pi the R ratio is only the omega -> pi0 gamma tail
  (R < 1e-6 at 0.2 GeV).
* 1.1-1.6 GeV: the smooth interpolation misses the resonance structure; expect 20-30%
  local deviations. Treat dark-photon widths there as indicative.
* 1.6-3.7 GeV: pQCD gives R = 2.22-2.15, falling slowly (the PDG compilation, BES and KEDR
  data are 2.1-2.3 with 3-5% errors).
* 3.73-4.6 GeV: the charm threshold region with its broad psi states is replaced by a
  smooth rise (2.2 at 3.73 GeV, 3.5 at 4.0 GeV, 3.6 at 4.5 GeV); local deviations up to
  ~30% (the data show the psi(3770), psi(4040), psi(4160), psi(4415) peaks and dips).
* 5 GeV: model 3.64, in the 3.6-3.9 band read off the PDG compilation plot.
* 10.52 GeV: model 3.56 vs CLEO 3.56 +- 0.07. The massive correction for charm is O(alpha_s)
  only; missing higher orders are ~1-2% there.
* Z exchange and photon vacuum polarisation are neglected (R uses the point cross section).

References
----------
G. J. Gounaris, J. J. Sakurai, Phys. Rev. Lett. 21 (1968) 244.
J. H. Kuehn, A. Santamaria, Z. Phys. C48 (1990) 445 (form factor with rho' and its
parameters).
Equation and table numbers are not quoted where they could not be checked offline.
R. L. Workman et al. (PDG), PTEP 2022, 083C01: review "Quantum Chromodynamics" (eqs. 9.3,
9.7, 9.8), review "Plots of cross sections and related quantities" (R(s) compilation),
particle listings for omega, phi, J/psi, psi(2S), Upsilon(nS).
CLEO Collaboration, R. Ammar et al., Phys. Rev. D 57 (1998) 1350, hep-ex/9707018.

Examples
--------
>>> round(float(r_ratio(10.52)), 2)
3.56
>>> round(float(alpha_s(91.1876)), 4)
0.118
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from particle import Particle
from scipy.integrate import solve_ivp

from darkscan import _validate
from darkscan.constants import ALPHA_EM, M_ETA, M_K, M_PI, M_PI0, M_Z, pdg_mass

__all__ = [
    "NARROW_RESONANCES",
    "VectorResonance",
    "alpha_s",
    "pion_form_factor",
    "r_perturbative",
    "r_ratio",
    "r_vector_meson_dominance",
    "resonance_cross_section",
]

#: Highest sqrt(s) in GeV where the parametrisation is used (Z exchange neglected).
SQRT_S_MAX = 40.0
#: alpha_s(M_Z), PDG 2022 world average 0.1179 +- 0.0009 (rounded to 0.118).
ALPHA_S_MZ = 0.118
#: MS-bar quark masses used as flavour thresholds in the running of alpha_s (PDG 2022), GeV.
M_CHARM_MSBAR = 1.27
M_BOTTOM_MSBAR = 4.18
#: Window (GeV) of the smooth transition from vector-meson dominance to perturbative QCD.
TRANSITION = (1.1, 1.6)
#: Energy range (GeV) above an open-flavour threshold over which the Coulomb term of the
#: O(alpha_s) heavy-quark correction is switched on.
COULOMB_TURN_ON = 0.3
_MU_MAX = 100.0

_M_K0 = pdg_mass(310)  # K_S (= K_L) mass
_M_D0 = pdg_mass(421)
_M_B0 = pdg_mass(511)
_M_BP = pdg_mass(521)
_SIGMA_PT_COEFF = 4.0 * math.pi * ALPHA_EM**2 / 3.0  # sigma_pt * s


def _pdg(pdgid: int) -> tuple[float, float]:
    """(mass, total width) in GeV from the ``particle`` package (MeV there)."""
    p = Particle.from_pdgid(pdgid)
    return p.mass / 1000.0, p.width / 1000.0


@dataclass(frozen=True)
class VectorResonance:
    """A J^PC = 1-- resonance seen in e+e- -> hadrons.

    Attributes
    ----------
    name : str
    mass, width : float
        Mass and total width in GeV.
    gamma_ee : float
        Leptonic width Gamma(V -> e+e-) in GeV.
    b_had : float
        Hadronic branching fraction.
    p_wave_daughter_mass : float or None
        If set, the hadronic width is that of a P-wave decay to two particles of this mass
        (GeV), Gamma_had(s) = Gamma_had (p/p_M)^3 M^2/s, vanishing below their threshold
        (used for Upsilon(4S) -> B Bbar); otherwise the width is constant.
    """

    name: str
    mass: float
    width: float
    gamma_ee: float
    b_had: float
    p_wave_daughter_mass: float | None = None


def _narrow(
    name: str, pdgid: int, gamma_ee_kev: float, b_ll: tuple[float, ...], p_wave=None
) -> VectorResonance:
    m, w = _pdg(pdgid)
    return VectorResonance(name, m, w, gamma_ee_kev * 1e-6, 1.0 - sum(b_ll), p_wave)


#: Quarkonia: Gamma_ee and leptonic branching fractions (e, mu, tau) from the PDG 2022
#: listings; masses and widths from ``particle``. The first five are narrow (below open
#: flavour); Upsilon(4S) (20.5 MeV) decays to B Bbar in a P wave.
NARROW_RESONANCES: tuple[VectorResonance, ...] = (
    _narrow("J/psi", 443, 5.53, (0.05971, 0.05961)),
    _narrow("psi(2S)", 100443, 2.33, (7.93e-3, 8.0e-3, 3.1e-3)),
    _narrow("Upsilon(1S)", 553, 1.340, (0.0238, 0.0248, 0.0260)),
    _narrow("Upsilon(2S)", 100553, 0.612, (0.0191, 0.0193, 0.0200)),
    _narrow("Upsilon(3S)", 200553, 0.443, (0.0218, 0.0218, 0.0229)),
    _narrow("Upsilon(4S)", 300553, 0.272, (1.57e-5,), p_wave=0.5 * (_M_B0 + _M_BP)),
)

# ---------------------------------------------------------------------------------------
# alpha_s


@lru_cache(maxsize=1)
def _alpha_s_table() -> tuple[np.ndarray, np.ndarray]:
    """ln(mu^2) grid and alpha_s on it from the two-loop RGE with flavour thresholds."""

    def beta(nf: int):
        b0 = (33.0 - 2.0 * nf) / (12.0 * math.pi)
        b1 = (153.0 - 19.0 * nf) / (24.0 * math.pi**2)
        return lambda _t, a: -(b0 * a**2 + b1 * a**3)

    def run(a0: float, mu0: float, mu1: float, nf: int, n: int):
        t = np.linspace(2 * math.log(mu0), 2 * math.log(mu1), n)
        sol = solve_ivp(beta(nf), (t[0], t[-1]), [a0], t_eval=t, rtol=1e-11, atol=1e-13)
        return t, sol.y[0]

    t_up, a_up = run(ALPHA_S_MZ, M_Z, _MU_MAX * 1.001, 5, 40)
    t5, a5 = run(ALPHA_S_MZ, M_Z, M_BOTTOM_MSBAR, 5, 400)
    t4, a4 = run(a5[-1], M_BOTTOM_MSBAR, M_CHARM_MSBAR, 4, 400)
    t3, a3 = run(a4[-1], M_CHARM_MSBAR, 0.9, 3, 200)
    t = np.concatenate([t3[::-1], t4[::-1][1:], t5[::-1][1:], t_up[1:]])
    a = np.concatenate([a3[::-1], a4[::-1][1:], a5[::-1][1:], a_up[1:]])
    return t, a


def _n_flavours(mu) -> np.ndarray:
    mu = np.asarray(mu, dtype=float)
    return 3 + (mu >= M_CHARM_MSBAR).astype(int) + (mu >= M_BOTTOM_MSBAR).astype(int)


def alpha_s(mu) -> float | np.ndarray:
    r"""Strong coupling alpha_s(mu) in the MS-bar scheme, two-loop running.

    Solves ``mu^2 d alpha_s / d mu^2 = -(b0 alpha_s^2 + b1 alpha_s^3)`` numerically from
    alpha_s(M_Z) = 0.118 with nf = 5, 4, 3 below the MS-bar masses m_b = 4.18 GeV and
    m_c = 1.27 GeV (continuous matching at mu = m_q, exact to this order).

    Parameters
    ----------
    mu : float or array
        Renormalisation scale in GeV, 0.9 <= mu <= 100.

    Returns
    -------
    float or ndarray
        alpha_s(mu), same shape as ``mu``.

    References
    ----------
    PDG 2022, review "Quantum Chromodynamics", eq. (9.3) with b0 = (33 - 2 nf)/(12 pi),
    b1 = (153 - 19 nf)/(24 pi^2), and section 9.2.2 (flavour thresholds).

    Examples
    --------
    >>> round(float(alpha_s(10.52)), 3)
    0.176
    """
    mu = _validate.in_range("mu", mu, 0.9, _MU_MAX, unit="GeV")
    t, a = _alpha_s_table()
    out = np.interp(2 * np.log(mu), t, a)
    return float(out) if np.ndim(out) == 0 else out


# ---------------------------------------------------------------------------------------
# Perturbative QCD


def _velocity(sqrt_s: np.ndarray, threshold: float) -> np.ndarray:
    """Velocity beta = sqrt(1 - threshold^2/s) above ``threshold`` (GeV), else 0."""
    return np.sqrt(np.clip(1.0 - threshold**2 / np.square(sqrt_s), 0.0, 1.0))


def _heavy_quark_factor(sqrt_s: np.ndarray, threshold: float, a: np.ndarray) -> np.ndarray:
    """v(beta) [1 + (4 pi/3) a X(beta)] / (1 + a): Born factor and O(alpha_s) mass effects.

    X is Schwinger's interpolation ``pi/(2 beta) - (3 + beta)/4 (pi/2 - 3/(4 pi))`` with its
    Coulomb term ``pi/(2 beta)`` switched on smoothly over ``COULOMB_TURN_ON`` GeV above the
    meson-pair threshold (replaced by pi/2 right at threshold): the Coulomb singularity is
    the remnant of the bound states and of the broad resonances just above threshold, which
    are not modelled individually, so only their average is kept (local duality).
    """
    beta = _velocity(sqrt_s, threshold)
    v = beta * (3.0 - beta**2) / 2.0
    x = np.clip((sqrt_s - threshold) / COULOMB_TURN_ON, 0.0, 1.0)
    w = x * x * (3.0 - 2.0 * x)
    with np.errstate(divide="ignore", invalid="ignore"):
        coulomb_v = np.where(beta > 0, v * math.pi / (2.0 * np.where(beta > 0, beta, 1.0)), 0.0)
    rest = (3.0 + beta) / 4.0 * (math.pi / 2.0 - 3.0 / (4.0 * math.pi))
    x_v = w * coulomb_v + (1.0 - w) * v * math.pi / 2.0 - v * rest
    return (v + 4.0 * math.pi / 3.0 * a * x_v) / (1.0 + a)


def r_perturbative(sqrt_s) -> float | np.ndarray:
    r"""R from perturbative QCD with open-charm and open-bottom threshold factors.

    Z exchange and QED corrections are not included.

    ``R = 3 sum_q Q_q^2 f_q (1 + a + c2 a^2 + c3 a^3) - 1.2395 (sum_q Q_q)^2 a^3`` with
    ``a = alpha_s(sqrt s)/pi``, ``c2 = 1.9857 - 0.1152 nf``,
    ``c3 = -6.63694 - 1.20013 nf - 0.00518 nf^2`` (nf active flavours in alpha_s).
    f_q = 1 for u, d, s; for c and b
    ``f_q = v [1 + (4/3) alpha_s X(beta)] / (1 + a)``, ``v = beta (3 - beta^2)/2``,
    ``X = pi/(2 beta) - (3 + beta)/4 (pi/2 - 3/(4 pi))`` (Schwinger's interpolation of the
    O(alpha_s) massive correction; X -> 3/(4 pi) for beta -> 1, i.e. the massless a), with
    beta at the open-flavour threshold (2 M_D0 for charm, 2 M_B0 for bottom) and the
    Coulomb term pi/(2 beta) switched on over :data:`COULOMB_TURN_ON` above threshold.

    Parameters
    ----------
    sqrt_s : float or array
        Centre-of-mass energy in GeV, 1.1 <= sqrt_s <= 40 (alpha_s is evaluated at
        max(sqrt_s, 1.1 GeV) so that callers may pass lower values in blended regions).

    Returns
    -------
    float or ndarray
        R_pQCD.

    References
    ----------
    PDG 2022, review "Quantum Chromodynamics", eqs. (9.7)-(9.8) (massless coefficients,
    Gorishny, Kataev, Larin, Phys. Lett. B259 (1991) 144; Surguladze, Samuel, PRL 66 (1991)
    560); massive O(alpha_s) factor: J. Schwinger, Particles, Sources and Fields, Vol. II
    (1973), as used e.g. in Chetyrkin, Kuehn, Steinhauser, Nucl. Phys. B482 (1996) 213,
    hep-ph/9606230 (equation number not checked here); its limits (massless a and the
    Sommerfeld factor 1 + C_F pi alpha_s/(2 beta) at threshold) are checked in the tests.

    Examples
    --------
    >>> round(float(r_perturbative(2.5)), 2)
    2.2
    """
    sqrt_s = _validate.in_range("sqrt_s", sqrt_s, 0.0, SQRT_S_MAX, low_inclusive=False, unit="GeV")
    e = np.maximum(np.asarray(sqrt_s, dtype=float), TRANSITION[0])
    a = np.asarray(alpha_s(e)) / math.pi
    nf = _n_flavours(e)
    c2 = 1.9857 - 0.1152 * nf
    c3 = -6.63694 - 1.20013 * nf - 0.00518 * nf**2
    f_c = _heavy_quark_factor(e, 2 * _M_D0, a)
    f_b = _heavy_quark_factor(e, 2 * _M_B0, a)
    v_c = np.where(e > 2 * _M_D0, 1.0, 0.0)  # singlet term: flavour open or not
    v_b = np.where(e > 2 * _M_B0, 1.0, 0.0)
    sum_q2 = 6.0 / 9.0 + 4.0 / 9.0 * f_c + 1.0 / 9.0 * f_b
    sum_q = 2.0 / 3.0 * v_c - 1.0 / 3.0 * v_b  # u + d + s = 0
    out = 3.0 * sum_q2 * (1.0 + a + c2 * a**2 + c3 * a**3) - 1.2395 * sum_q**2 * a**3
    return float(out) if np.ndim(out) == 0 else out


# ---------------------------------------------------------------------------------------
# Vector-meson dominance below ~1.1 GeV

_M_RHO, _W_RHO = _pdg(113)
_M_OMEGA, _W_OMEGA = _pdg(223)
_M_PHI, _W_PHI = _pdg(333)
#: rho' of the Kuehn-Santamaria fit (Z. Phys. C48 (1990) 445): mass, width (GeV),
#: relative coupling beta'.
_M_RHOP, _W_RHOP, _BETA_RHOP = 1.370, 0.510, -0.145

#: PDG 2022 branching fractions (omega, phi listings).
_B_OMEGA_EE = 7.38e-5
_B_OMEGA_PIPI = 1.53e-2
_B_OMEGA = {"3pi": 0.892, "pi0gamma": 0.0835}
_B_PHI_EE = 2.974e-4
_B_PHI = {"K+K-": 0.491, "KLKS": 0.339, "3pi": 0.1524, "etagamma": 0.01303}


def _k(s: np.ndarray, m: float) -> np.ndarray:
    """Momentum of each of two particles of mass m in the rest frame of mass sqrt(s)."""
    return 0.5 * np.sqrt(np.maximum(s - 4.0 * m * m, 0.0))


def _gs_propagator(s: np.ndarray, mass: float, width: float) -> np.ndarray:
    r"""Gounaris-Sakurai propagator normalised to 1 at s = 0 (for s >= 4 m_pi^2).

    ``BW(s) = M^2 (1 + d Gamma/M) / (M^2 - s + f(s) - i M Gamma(s))`` with
    ``Gamma(s) = Gamma (M/sqrt s)(k/k_M)^3`` and f, d, h as in Gounaris-Sakurai,
    PRL 21 (1968) 244 (also written out in BaBar, PRD 86 (2012) 032013, arXiv:1205.2228).
    The derivative h'(M^2) is checked numerically in the tests.
    """
    m = M_PI
    m2 = mass * mass
    k_m = _k(m2, m)
    sqs = np.sqrt(s)
    k = _k(s, m)

    def h(kk, rs):
        return 2.0 / math.pi * kk / rs * np.log((rs + 2.0 * kk) / (2.0 * m))

    h_m = h(k_m, mass)
    dh_m = h_m * (1.0 / (8.0 * k_m**2) - 1.0 / (2.0 * m2)) + 1.0 / (2.0 * math.pi * m2)
    f = width * m2 / k_m**3 * (k**2 * (h(k, sqs) - h_m) + (m2 - s) * k_m**2 * dh_m)
    d = (
        3.0 / math.pi * m**2 / k_m**2 * math.log((mass + 2.0 * k_m) / (2.0 * m))
        + mass / (2.0 * math.pi * k_m)
        - m**2 * mass / (math.pi * k_m**3)
    )
    width_s = width * (mass / sqs) * (k / k_m) ** 3
    return m2 * (1.0 + d * width / mass) / (m2 - s + f - 1j * mass * width_s)


def _omega_propagator(s: np.ndarray) -> np.ndarray:
    return _M_OMEGA**2 / (_M_OMEGA**2 - s - 1j * _M_OMEGA * _omega_width(s))


@lru_cache(maxsize=1)
def _rho_omega_delta() -> float:
    """|delta| fixed so that the omega term alone reproduces B(omega->pi pi) at the peak.

    At s = M_omega^2 the pure omega contribution to R is 9 B_ee B_pipi / alpha^2 (peak of
    a Breit-Wigner, see :func:`resonance_cross_section`); with R_pipi = beta^3 |F|^2/4 this
    fixes |F_omega(M_omega^2)| and hence |delta|.
    """
    s = np.array(_M_OMEGA**2)
    beta3 = (1.0 - 4.0 * M_PI**2 / s) ** 1.5
    f_omega = math.sqrt(36.0 * _B_OMEGA_EE * _B_OMEGA_PIPI / (ALPHA_EM**2 * beta3))
    term = abs(_gs_propagator(s, _M_RHO, _W_RHO) * _omega_propagator(s)) / abs(1.0 + _BETA_RHOP)
    return float(f_omega / term)


def pion_form_factor(sqrt_s) -> complex | np.ndarray:
    r"""Time-like pion electromagnetic form factor F_pi(s) (complex), for sqrt_s >= 2 m_pi.

    ``F = [BW_rho^GS (1 + delta s/M_w^2 BW_w) + beta' BW_rho'^GS] / (1 + beta')``.

    Parameters
    ----------
    sqrt_s : float or array
        Centre-of-mass energy in GeV (values below 2 m_pi are clipped to threshold).

    Returns
    -------
    complex or ndarray of complex

    References
    ----------
    J. H. Kuehn, A. Santamaria, Z. Phys. C48 (1990) 445 (form and rho' parameters);
    Gounaris-Sakurai propagator: PRL 21 (1968) 244.

    Examples
    --------
    >>> round(abs(pion_form_factor(0.5)) ** 2, 1)
    3.6
    """
    e = np.maximum(np.asarray(sqrt_s, dtype=float), 2.0 * M_PI * (1 + 1e-9))
    s = e * e
    delta = _rho_omega_delta()
    rho = _gs_propagator(s, _M_RHO, _W_RHO)
    rhop = _gs_propagator(s, _M_RHOP, _W_RHOP)
    out = (rho * (1.0 + delta * s / _M_OMEGA**2 * _omega_propagator(s)) + _BETA_RHOP * rhop) / (
        1.0 + _BETA_RHOP
    )
    return complex(out) if np.ndim(out) == 0 else out


@lru_cache(maxsize=1)
def _three_body_nodes() -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(48)


def _three_body_phase_space(sqrt_s: np.ndarray, m1: float, m2: float, m3: float) -> np.ndarray:
    """Three-body phase-space volume (up to a constant): int ds12 lambda^1/2 lambda^1/2/(s s12)."""
    e = np.asarray(sqrt_s, dtype=float)
    x, w = _three_body_nodes()
    lo = (m1 + m2) ** 2
    hi = np.maximum(e - m3, m1 + m2) ** 2
    s12 = lo + (hi - lo)[..., None] * (x + 1.0) / 2.0
    s = (e * e)[..., None]

    def lam(a, b, c):
        return np.maximum(a * a + b * b + c * c - 2 * (a * b + a * c + b * c), 0.0)

    integrand = np.sqrt(lam(s12, m1**2, m2**2)) / s12 * np.sqrt(lam(s, s12, m3**2)) / s
    return (hi - lo) / 2.0 * np.sum(w * integrand, axis=-1)


def _two_body_p_wave(s: np.ndarray, mass: float, m1: float, m2: float) -> np.ndarray:
    """(p/p_M)^3 M^2/s for V -> P1 P2 (or P gamma with m2 = 0): constant-coupling P wave."""

    def p(ss):
        lam = (ss - (m1 + m2) ** 2) * (ss - (m1 - m2) ** 2)
        above = ss > (m1 + m2) ** 2
        return np.where(above, np.sqrt(np.maximum(lam, 0.0)), 0.0) / (2.0 * np.sqrt(ss))

    return (p(s) / p(mass * mass)) ** 3 * mass * mass / s


def _omega_channels(s: np.ndarray) -> dict[str, np.ndarray]:
    e = np.sqrt(s)
    ps = _three_body_phase_space(e, M_PI, M_PI, M_PI0)
    ps_m = _three_body_phase_space(np.array(_M_OMEGA), M_PI, M_PI, M_PI0)
    return {
        "3pi": _W_OMEGA * _B_OMEGA["3pi"] * ps / ps_m,
        "pi0gamma": _W_OMEGA * _B_OMEGA["pi0gamma"] * _two_body_p_wave(s, _M_OMEGA, M_PI0, 0.0),
    }


def _omega_width(s: np.ndarray) -> np.ndarray:
    rest = _W_OMEGA * (1.0 - sum(_B_OMEGA.values()))
    return sum(_omega_channels(s).values()) + rest


def _phi_channels(s: np.ndarray) -> dict[str, np.ndarray]:
    e = np.sqrt(s)
    ps = _three_body_phase_space(e, M_PI, M_PI, M_PI0)
    ps_m = _three_body_phase_space(np.array(_M_PHI), M_PI, M_PI, M_PI0)
    return {
        "K+K-": _W_PHI * _B_PHI["K+K-"] * _two_body_p_wave(s, _M_PHI, M_K, M_K),
        "KLKS": _W_PHI * _B_PHI["KLKS"] * _two_body_p_wave(s, _M_PHI, _M_K0, _M_K0),
        "3pi": _W_PHI * _B_PHI["3pi"] * ps / ps_m,
        "etagamma": _W_PHI * _B_PHI["etagamma"] * _two_body_p_wave(s, _M_PHI, M_ETA, 0.0),
    }


def _bw_r(s: np.ndarray, mass: float, gamma_ee: float, partial: np.ndarray, total: np.ndarray):
    """R of e+e- -> V -> f: sigma_f / sigma_pt with sigma_f = 12 pi G_ee G_f/((s-M^2)^2+M^2 G^2)."""
    sigma = 12.0 * math.pi * gamma_ee * partial / ((s - mass**2) ** 2 + mass**2 * total**2)
    return sigma * s / _SIGMA_PT_COEFF


def r_vector_meson_dominance(sqrt_s) -> float | np.ndarray:
    r"""R from the rho, omega and phi (vector-meson dominance), meant for sqrt_s < 1.1 GeV.

    ``R = beta_pi^3 |F_pi|^2/4 + sum_{f in omega} R_f + sum_{f in phi} R_f`` with
    ``R_f = 12 pi Gamma_ee Gamma_f(s) / ((s - M^2)^2 + M^2 Gamma(s)^2) / sigma_pt`` and
    ``sigma_pt = 4 pi alpha^2/(3 s)``.

    Parameters
    ----------
    sqrt_s : float or array
        Centre-of-mass energy in GeV (> 0).

    Returns
    -------
    float or ndarray
        R_VMD (>= 0).

    References
    ----------
    Form factor: see :func:`pion_form_factor`. Breit-Wigner cross section with leptonic
    width: PDG 2022 review "Resonances" (relativistic form). Branching fractions:
    PDG 2022 omega(782) and phi(1020) listings.

    Examples
    --------
    >>> round(float(r_vector_meson_dominance(0.2)), 6)
    0.0
    """
    e = _validate.positive("sqrt_s", sqrt_s, unit="GeV")
    e = np.asarray(e, dtype=float)
    s = e * e
    beta2 = np.clip(1.0 - 4.0 * M_PI**2 / s, 0.0, 1.0)
    r = np.where(beta2 > 0, beta2**1.5 * np.abs(pion_form_factor(e)) ** 2 / 4.0, 0.0)
    w_om = _omega_channels(s)
    w_om_tot = _omega_width(s)
    for name in ("3pi", "pi0gamma"):
        r = r + _bw_r(s, _M_OMEGA, _W_OMEGA * _B_OMEGA_EE, w_om[name], w_om_tot)
    w_phi = _phi_channels(s)
    w_phi_tot = sum(w_phi.values()) + _W_PHI * (1.0 - sum(_B_PHI.values()))
    for name in w_phi:
        r = r + _bw_r(s, _M_PHI, _W_PHI * _B_PHI_EE, w_phi[name], w_phi_tot)
    return float(r) if np.ndim(r) == 0 else r


# ---------------------------------------------------------------------------------------
# Narrow resonances and the full R


def resonance_cross_section(sqrt_s, resonance: VectorResonance) -> float | np.ndarray:
    r"""sigma(e+e- -> V -> hadrons) in GeV^-2 for a narrow vector resonance.

    ``sigma = 12 pi Gamma_ee Gamma B_had / ((s - M^2)^2 + M^2 Gamma^2)`` (constant width;
    P-wave energy-dependent hadronic width if ``resonance.p_wave_daughter_mass`` is set).
    Its integral over sqrt(s) is ``6 pi^2 Gamma_ee B_had / M^2`` in the narrow-width limit
    (ds = 2 M d sqrt s, int ds/((s-M^2)^2 + M^2 Gamma^2) = pi/(M Gamma)).

    Parameters
    ----------
    sqrt_s : float or array
        Centre-of-mass energy in GeV.
    resonance : VectorResonance
        One of :data:`NARROW_RESONANCES`.

    Returns
    -------
    float or ndarray
        Cross section in GeV^-2 (multiply by GEV2_TO_FB for fb).

    References
    ----------
    PDG 2022 review "Resonances" (relativistic Breit-Wigner with partial widths).

    Examples
    --------
    >>> jpsi = NARROW_RESONANCES[0]
    >>> round(float(resonance_cross_section(jpsi.mass, jpsi)), 3)  # 12 pi B_ee B_had/M^2
    0.207
    """
    e = np.asarray(_validate.positive("sqrt_s", sqrt_s, unit="GeV"), dtype=float)
    s = e * e
    v = resonance
    width_had = np.full_like(s, v.width * v.b_had)
    if v.p_wave_daughter_mass is not None:
        md = v.p_wave_daughter_mass
        width_had = width_had * _two_body_p_wave(s, v.mass, md, md)
    width = width_had + v.width * (1.0 - v.b_had)
    out = 12.0 * math.pi * v.gamma_ee * width_had / ((s - v.mass**2) ** 2 + v.mass**2 * width**2)
    return float(out) if np.ndim(out) == 0 else out


def _smoothstep(sqrt_s: np.ndarray) -> np.ndarray:
    lo, hi = TRANSITION
    x = np.clip((sqrt_s - lo) / (hi - lo), 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def r_ratio(sqrt_s) -> float | np.ndarray:
    r"""The hadronic R ratio sigma(e+e- -> hadrons)/sigma_pt(e+e- -> mu+mu-).

    ``R = (1 - T) R_VMD + T R_pQCD + sum_V sigma_V / sigma_pt`` with the smooth step T from
    0 at 1.1 GeV to 1 at 1.6 GeV; see the module docstring for the parametrisation and its
    accuracy.

    Parameters
    ----------
    sqrt_s : float or array
        Centre-of-mass energy in GeV, 0 < sqrt_s <= 40.

    Returns
    -------
    float or ndarray
        R (>= 0), same shape as ``sqrt_s``.

    References
    ----------
    See the module docstring.

    Examples
    --------
    >>> round(float(r_ratio(0.5)), 3) > 0
    True
    """
    e = _validate.in_range("sqrt_s", sqrt_s, 0.0, SQRT_S_MAX, low_inclusive=False, unit="GeV")
    e = np.asarray(e, dtype=float)
    t = _smoothstep(e)
    r_low = np.where(t < 1.0, r_vector_meson_dominance(np.minimum(e, TRANSITION[1])), 0.0)
    r_high = np.where(t > 0.0, r_perturbative(np.maximum(e, TRANSITION[0])), 0.0)
    r = (1.0 - t) * r_low + t * r_high
    s = e * e
    for v in NARROW_RESONANCES:
        r = r + np.asarray(resonance_cross_section(e, v)) * s / _SIGMA_PT_COEFF
    return float(r) if np.ndim(r) == 0 else r
