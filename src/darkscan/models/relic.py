"""Thermal freeze-out targets for light dark matter chi coupled to a dark photon A'.

Dark matter of mass ``m_chi`` annihilates through an off-shell dark photon,
chi chi -> A'* -> f fbar (m_A' = ratio * m_chi > 2 m_chi), into Standard-Model pairs
with the photon's couplings times the kinetic mixing epsilon. The relic abundance depends
on the couplings through the dimensionless combination

    y = epsilon^2 alpha_D (m_chi / m_A')^4,

so the "thermal target" is the curve y(m_chi) giving Omega h^2 = 0.120 (Planck 2018,
arXiv:1807.06209, Table 2: Omega_c h^2 = 0.120 +- 0.001).

Dark-matter kinds (``kind``):

* ``"complex-scalar"``: chi chi* -> f fbar is p-wave; g_chi = 2, not self-conjugate.
* ``"majorana"``: L = (g_D/2) chi-bar gamma^mu gamma^5 chi A'_mu; p-wave; g_chi = 2,
  self-conjugate.
* ``"pseudo-dirac"``: two Majorana states chi_1, chi_2 (m_2 = m_1 (1 + splitting)) with an
  off-diagonal vector coupling; chi_1 chi_2 -> f fbar is s-wave. Treated as co-annihilation
  in the Griest-Seckel approximation (Phys. Rev. D43 (1991) 3191): sigma_eff = 2 r_1 r_2
  <sigma_12 v>, r_i the equilibrium fractions, with <sigma_12 v> approximated by the
  Dirac-fermion thermal average at m_chi (splitting neglected in the kinematics). For
  splitting -> 0 this is the Dirac fermion (``"dirac"``, also offered, g_chi = 4).

Method: the Gondolo-Gelmini thermal average (Nucl. Phys. B360 (1991) 145) of the
exact tree-level cross section, the Boltzmann equation for Y = n/s in the Edsjo-Gondolo form
(hep-ph/9704361, Sec. 3) with g_eff(T), h_eff(T) from the lattice tabulation of
Borsanyi et al. (arXiv:1606.07494, Table S2; shipped as ``darkscan/data/relic_gstar.csv``),
solved with an implicit (backward-Euler, closed-form quadratic) step on a fine grid in
x = m/T plus Richardson extrapolation, vectorised over all mass points. A test checks it
against scipy's Radau solver (agreement ~1e-4).

Hadronic final states are weighted by R(sqrt s) = sigma(e+e- -> hadrons)/sigma(e+e- -> mu mu).
:func:`darkscan.models.hadronic_r.r_ratio` (the same R the dark-photon widths use), frozen
above its 40 GeV range.

Neglected: Z-A' mass mixing (fine for m_A' << m_Z; masses are limited to m_chi <= 10 GeV),
Bose/Fermi statistics in the thermal average, kinetic decoupling, the epsilon^2 part of the
A' width, and late-time effects (CMB bounds on s-wave annihilation are not applied).

Examples
--------
>>> y = thermal_target_y(0.1, "complex-scalar")  # alpha_D = 0.5, m_A' = 3 m_chi
>>> print(f"{float(y):.1e}")
1.7e-09
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from particle import Particle
from scipy.interpolate import PchipInterpolator
from scipy.special import kve

from darkscan._validate import in_range, positive
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU, M_PI, M_TAU, pdg_mass
from darkscan.errors import ConfigError
from darkscan.models.hadronic_r import r_ratio

__all__ = [
    "KINDS",
    "OMEGA_DM_H2",
    "annihilation_cross_section",
    "effective_degrees_of_freedom",
    "epsilon_for_thermal_target",
    "relic_abundance",
    "relic_abundance_constant_cross_section",
    "thermal_target_y",
    "thermally_averaged_cross_section",
]

#: Dark-matter relic density Omega_c h^2 (Planck 2018, arXiv:1807.06209, Table 2).
OMEGA_DM_H2 = 0.120
#: Planck mass in GeV (PDG astrophysical constants, 1.220890e19 GeV).
M_PLANCK = 1.220890e19
#: Present entropy density s_0 in cm^-3 (PDG astrophysical constants, T_0 = 2.7255 K).
ENTROPY_TODAY = 2891.2
#: Critical density over h^2 in GeV cm^-3 (PDG astrophysical constants).
RHO_CRIT_OVER_H2 = 1.05371e-5
#: GeV^-2 -> cm^3/s for sigma*v: (hbar c)^2 * c.
GEV2_TO_CM3_PER_S = GEV2_TO_FB * 1e-39 * 2.99792458e10

#: Dark-matter kinds understood by this module.
KINDS = ("complex-scalar", "majorana", "pseudo-dirac", "dirac")
#: Internal degrees of freedom of each kind (n counts particles and antiparticles).
_G_CHI = {"complex-scalar": 2.0, "majorana": 2.0, "pseudo-dirac": 4.0, "dirac": 4.0}

MIN_MASS = 0.01
MAX_MASS = 10.0

_R_MAX_ENERGY = 40.0  # R is frozen above this energy (hadronic_r.SQRT_S_MAX; Z neglected)


def pdg_width(pdgid: int) -> float:
    """PDG total width in GeV from the ``particle`` package (MeV there)."""
    return Particle.from_pdgid(pdgid).width / 1000.0


# ----------------------------------------------------------------------------- g_*(T)
@lru_cache(maxsize=1)
def _gstar_interpolators():
    text = (Path(__file__).resolve().parent.parent / "data" / "relic_gstar.csv").read_text()
    rows = [line for line in text.splitlines() if line and not line.startswith("#")][1:]
    table = np.array([[float(v) for v in r.split(",")] for r in rows])
    log_t = table[:, 0] - 3.0  # log10(T/GeV)
    g_rho = table[:, 1]
    g_s = table[:, 1] / table[:, 2]
    # below 1 MeV: after e+e- annihilation g_rho = 3.36, g_s = 3.91 (PDG "Big-Bang
    # cosmology" review); anchored at T = 10 keV. Only matters for m_chi < ~20 MeV.
    log_t = np.concatenate([[-5.0], log_t])
    g_rho = np.concatenate([[3.36], g_rho])
    g_s = np.concatenate([[3.91], g_s])
    return (
        PchipInterpolator(log_t, g_rho, extrapolate=False),
        PchipInterpolator(log_t, g_s, extrapolate=False),
        PchipInterpolator(log_t, np.log(g_s), extrapolate=False).derivative(),
        (log_t[0], log_t[-1]),
    )


def effective_degrees_of_freedom(temperature) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """g_eff(T), h_eff(T) and g_*^(1/2)(T) of the Standard-Model plasma.

    Parameters
    ----------
    temperature : float or array
        Photon temperature in GeV (clamped to 10 keV - 282 GeV). Below the first table
        point (1 MeV) the values are interpolated to the post-e+e--annihilation limits
        g_rho = 3.36, g_s = 3.91 (PDG review "Big-Bang cosmology") placed at 10 keV: a
        rough treatment of neutrino decoupling and e+e- annihilation that only matters for
        freeze-out of m_chi below ~20 MeV.

    Returns
    -------
    (g_rho, g_s, g_star_half) : tuple of numpy.ndarray
        Energy and entropy degrees of freedom, and
        g_*^(1/2) = h_eff / sqrt(g_eff) * (1 + (1/3) d ln h_eff / d ln T)
        (Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145; Edsjo & Gondolo,
        hep-ph/9704361, Sec. 3).

    References
    ----------
    Borsanyi et al., Nature 539 (2016) 69, arXiv:1606.07494, Supplementary Table S2.

    Examples
    --------
    >>> g, h, _ = effective_degrees_of_freedom(0.01)
    >>> round(float(g), 2), round(float(h), 2)
    (10.76, 10.75)
    """
    g_rho_i, g_s_i, dlng_s_i, (lo, hi) = _gstar_interpolators()
    lt = np.clip(np.log10(np.asarray(temperature, dtype=float)), lo, hi)
    g_rho = g_rho_i(lt)
    g_s = g_s_i(lt)
    dln = dlng_s_i(lt) / math.log(10.0)  # d ln g_s / d ln T
    return g_rho, g_s, g_s / np.sqrt(g_rho) * (1.0 + dln / 3.0)


# ----------------------------------------------------------------------------- R ratio
def _r_ratio(sqrt_s) -> np.ndarray:
    """R(sqrt s) from :mod:`darkscan.models.hadronic_r`, frozen above its range, 0 below 2 m_pi."""
    e = np.asarray(sqrt_s, dtype=float)
    out = np.asarray(r_ratio(np.clip(e, 2.0 * M_PI, _R_MAX_ENERGY)), dtype=float)
    return np.where(e > 2.0 * M_PI, out, 0.0)


@lru_cache(maxsize=1)
def _r_cumulative_table() -> tuple[np.ndarray, np.ndarray, float]:
    """Table of C(E) = int_{2 m_pi}^E R dE' on a grid refined around the narrow resonances.

    Lets the thermal average use the exact cell integral of R, so that J/psi, psi(2S) and
    Upsilon peaks (widths 20-300 keV) contribute their full area whatever the quadrature.
    """
    e_min = 2.0 * M_PI
    grid = [np.geomspace(e_min, _R_MAX_ENERGY, 40000)]
    for pdgid in (223, 333, 443, 100443, 553, 100553, 200553):
        mass, width = pdg_mass(pdgid), pdg_width(pdgid)
        if e_min < mass < _R_MAX_ENERGY:
            grid.append(mass + width * np.linspace(-200.0, 200.0, 4001))
    e = np.unique(np.clip(np.concatenate(grid), e_min, _R_MAX_ENERGY))
    r = _r_ratio(e)
    c = np.concatenate([[0.0], np.cumsum(0.5 * (r[1:] + r[:-1]) * np.diff(e))])
    return e, c, float(r[-1])


def _r_cell_average(e_lo, e_hi) -> np.ndarray:
    """Mean of R over [e_lo, e_hi] (GeV) from the cumulative table (constant R above the table)."""
    e_tab, c_tab, r_last = _r_cumulative_table()

    def cumulative(e):
        return np.interp(e, e_tab, c_tab) + r_last * np.clip(e - e_tab[-1], 0.0, None)

    width = e_hi - e_lo
    return (cumulative(e_hi) - cumulative(e_lo)) / width


def _lepton_sum(sqrt_s) -> np.ndarray:
    """sum_l beta_l (3 - beta_l^2)/2 over e, mu, tau: lepton pairs in units of sigma_pt."""
    e = np.asarray(sqrt_s, dtype=float)
    total = np.zeros_like(e)
    for ml in (M_E, M_MU, M_TAU):
        beta = np.sqrt(np.clip(1.0 - 4.0 * ml**2 / e**2, 0.0, None))
        total = total + beta * (3.0 - beta**2) / 2.0
    return total


# ----------------------------------------------------------------------------- cross sections
def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ConfigError(f"kind = {kind!r} is not one of {', '.join(KINDS)}")
    return kind


def _aprime_width_dark(m_aprime, m_chi, alpha_dark, kind):
    """A' -> chi chi width in GeV (the epsilon^2 SM part is neglected).

    complex scalar: alpha_D m_A beta^3 / 12; Dirac / pseudo-Dirac (vector):
    alpha_D m_A (1 + 2 m^2/m_A^2) beta / 3; Majorana (axial, g_D/2 normalisation):
    alpha_D m_A beta^3 / 6 (e.g. Berlin et al. arXiv:1807.01730, App. A).
    """
    beta = np.sqrt(np.clip(1.0 - 4.0 * m_chi**2 / m_aprime**2, 0.0, None))
    if kind == "complex-scalar":
        return alpha_dark * m_aprime * beta**3 / 12.0
    if kind == "majorana":
        return alpha_dark * m_aprime * beta**3 / 6.0
    return alpha_dark * m_aprime * (1.0 + 2.0 * m_chi**2 / m_aprime**2) * beta / 3.0


def _dark_shape(beta, kind):
    """F(beta): beta for scalar and Majorana, (3 - beta^2)/(2 beta) for (pseudo-)Dirac."""
    if kind in ("complex-scalar", "majorana"):
        return beta
    return (3.0 - beta**2) / (2.0 * np.maximum(beta, 1e-300))


def _sigma_gev2(sqrt_s, m_chi, kind, eps2_alpha_dark, m_aprime, alpha_dark):
    """sigma(chi chi -> A'* -> SM) in GeV^-2 (see :func:`annihilation_cross_section`)."""
    s = sqrt_s**2
    beta = np.sqrt(np.clip(1.0 - 4.0 * m_chi**2 / s, 0.0, None))
    width = _aprime_width_dark(m_aprime, m_chi, alpha_dark, kind)
    prop = s / ((s - m_aprime**2) ** 2 + m_aprime**2 * width**2)
    sm = _lepton_sum(sqrt_s) + _r_ratio(sqrt_s)
    return 4.0 * math.pi / 3.0 * ALPHA_EM * eps2_alpha_dark * prop * _dark_shape(beta, kind) * sm


def annihilation_cross_section(
    sqrt_s, m_chi, kind, epsilon, m_aprime, alpha_dark=0.5
) -> np.ndarray:
    """Cross section sigma(chi chi -> A'* -> SM) in fb, summed over SM final states.

    sigma = (4 pi / 3) eps^2 alpha alpha_D s / [(s - m_A^2)^2 + m_A^2 Gamma_A^2] F(beta) S(sqrt s)

    with beta the chi velocity in the CM frame, F = beta for the complex scalar and the
    Majorana fermion, F = (3 - beta^2) / (2 beta) for the (pseudo-)Dirac fermion, and
    S = sum_l beta_l (3 - beta_l^2)/2 + R(sqrt s). Obtained from e+e- -> mu mu / phi phi* /
    chi chi-bar by crossing (detailed balance); non-relativistically sigma v_rel reduces to
    8 pi eps^2 alpha alpha_D m^2 v^2 / (3 (m_A^2 - 4 m^2)^2) (scalar) and
    16 pi eps^2 alpha alpha_D m^2 / (m_A^2 - 4 m^2)^2 (Dirac), as in Izaguirre, Krnjaic,
    Schuster, Toro, arXiv:1505.00011, and Berlin et al. arXiv:1807.01730, App. A.

    Parameters
    ----------
    sqrt_s : float or array
        Centre-of-mass energy in GeV (> 2 m_chi).
    m_chi : float or array
        Dark-matter mass in GeV.
    kind : str
        One of :data:`KINDS`.
    epsilon : float or array
        Kinetic mixing.
    m_aprime : float or array
        Dark-photon mass in GeV.
    alpha_dark : float or array
        Dark fine-structure constant g_D^2 / (4 pi).

    Returns
    -------
    numpy.ndarray
        sigma in fb; zero below threshold.

    Examples
    --------
    >>> round(float(annihilation_cross_section(0.25, 0.1, "dirac", 1e-3, 0.3, 0.5)), 1)
    1497081.4
    """
    _check_kind(kind)
    sqrt_s = positive("sqrt_s", sqrt_s, unit="GeV")
    m_chi = positive("m_chi", m_chi, unit="GeV")
    epsilon = in_range("epsilon", epsilon, -1.0, 1.0)
    m_aprime = positive("m_aprime", m_aprime, unit="GeV")
    alpha_dark = in_range("alpha_dark", alpha_dark, 0.0, 4.0 * math.pi, low_inclusive=False)
    sqrt_s, m_chi = np.broadcast_arrays(np.asarray(sqrt_s, float), np.asarray(m_chi, float))
    open_ = sqrt_s > 2.0 * m_chi
    safe = np.where(open_, sqrt_s, 3.0 * m_chi)
    sig = _sigma_gev2(safe, m_chi, kind, epsilon**2 * alpha_dark, m_aprime, alpha_dark)
    return np.where(open_, sig * GEV2_TO_FB, 0.0)


# Quadrature for the thermal average: sqrt(s) = m (2 + w^2 / x), midpoint rule in w on
# [0, W_MAX] with cell-averaged R and A' propagator (narrow peaks keep their full area).
_W_MAX = math.sqrt(70.0)
_N_W = 600


def _thermal_average_gev2(m_chi, x, kind, ratio, alpha_dark) -> np.ndarray:
    """<sigma v> / (eps^2 alpha_D) in GeV^-2 for m_chi (n,) and x (k,): shape (n, k).

    Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145 (single-integral formula), rewritten
    with sqrt(s) = E = 2m + T u, u = w^2, and exponentially scaled Bessel functions:
    <sigma v> = 1/(4 m^4 K2e(x)^2) int_0^inf sigma E^2 (E^2 - 4 m^2) K1e(E/T) e^(-u) du.
    """
    m = np.asarray(m_chi, dtype=float)[:, None, None]
    xx = np.asarray(x, dtype=float)[None, :, None]
    r = np.asarray(ratio, dtype=float)[:, None, None]
    ad = np.asarray(alpha_dark, dtype=float)[:, None, None]
    dw = _W_MAX / _N_W
    w = (np.arange(_N_W) + 0.5)[None, None, :] * dw
    energy = m * (2.0 + w**2 / xx)
    e_lo = m * (2.0 + (w - 0.5 * dw) ** 2 / xx)
    e_hi = m * (2.0 + (w + 0.5 * dw) ** 2 / xx)
    s = energy**2
    m_a = r * m
    gam = _aprime_width_dark(m_a, m, ad, kind)
    mg = m_a * gam
    # cell average of the Breit-Wigner 1/((s - M^2)^2 + M^2 G^2) over [s_lo, s_hi], times s
    bw = (np.arctan((e_hi**2 - m_a**2) / mg) - np.arctan((e_lo**2 - m_a**2) / mg)) / (
        mg * (e_hi**2 - e_lo**2)
    )
    beta = np.sqrt(np.clip(1.0 - 4.0 * m**2 / s, 0.0, None))
    sm = _lepton_sum(energy) + _r_cell_average(e_lo, e_hi)
    sig = 4.0 * math.pi / 3.0 * ALPHA_EM * s * bw * _dark_shape(beta, kind) * sm
    integrand = sig * s * (s - 4.0 * m**2) * kve(1, energy * xx / m) * np.exp(-(w**2)) * 2.0 * w
    integral = integrand.sum(axis=-1) * dw
    return integral / (4.0 * m[:, :, 0] ** 4 * kve(2, xx[:, :, 0]) ** 2)


def thermally_averaged_cross_section(m_chi, x, kind, y, ratio=3.0, alpha_dark=0.5) -> np.ndarray:
    """<sigma v> (Gondolo-Gelmini thermal average, Moller velocity) in cm^3/s.

    Parameters
    ----------
    m_chi : float or array
        Dark-matter mass in GeV, shape (n,) or scalar.
    x : float or array
        m_chi / T, shape (k,) or scalar.
    kind : str
        One of :data:`KINDS` (``"pseudo-dirac"`` gives the chi_1 chi_2 cross section).
    y : float or array
        eps^2 alpha_D (m_chi/m_A')^4, broadcast with m_chi.
    ratio, alpha_dark : float or array
        m_A'/m_chi and alpha_D.

    Returns
    -------
    numpy.ndarray
        <sigma v> in cm^3/s, shape (n, k) (squeezed for scalar input).

    References
    ----------
    Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145.

    Examples
    --------
    >>> sv = thermally_averaged_cross_section(0.1, 20.0, "complex-scalar", 1e-10)
    >>> round(float(sv) * 1e26, 2)
    1.14
    """
    _check_kind(kind)
    m, r, ad, yy = _points(m_chi, ratio, alpha_dark, y)
    xs = np.atleast_1d(positive("x", x))
    eps2ad = yy * r**4
    out = _thermal_average_gev2(m, xs, kind, r, ad) * eps2ad[:, None] * GEV2_TO_CM3_PER_S
    shape = np.broadcast(
        np.asarray(m_chi), np.asarray(ratio), np.asarray(alpha_dark), np.asarray(y)
    ).shape
    return out.reshape(shape + np.shape(np.asarray(x))) if shape or np.ndim(x) else out.reshape(())


def _points(m_chi, ratio, alpha_dark, y=1.0):
    m_chi = in_range("m_chi", m_chi, MIN_MASS, MAX_MASS, unit="GeV")
    ratio = in_range("ratio", ratio, 2.5, 100.0)
    alpha_dark = in_range("alpha_dark", alpha_dark, 1e-3, 4.0 * math.pi)
    y = positive("y", y)
    m, r, ad, yy = (
        np.ravel(a).astype(float) for a in np.broadcast_arrays(m_chi, ratio, alpha_dark, y)
    )
    return m, r, ad, yy


# ----------------------------------------------------------------------------- Boltzmann
_X_START = 1.5
_X_END = 1000.0
_N_STEPS = 2501  # odd: the every-other-point grid keeps the end point
_N_AVG = 60


def _y_equilibrium(x, g_chi, h_eff):
    """Maxwell-Boltzmann Y_eq = 45 g / (4 pi^4 h_eff) x^2 K2(x) (Gondolo & Gelmini 1991)."""
    return 45.0 * g_chi / (4.0 * math.pi**4 * h_eff) * x**2 * kve(2, x) * np.exp(-x)


def _solve_yield(m, x_grid, sigma_eff_gev2, g_eq):
    """Integrate dY/dx = -lambda(x) (Y^2 - Y_eq^2) from Y = Y_eq at x_grid[0] to x_grid[-1].

    lambda = sqrt(pi/45) M_Pl g_*^(1/2) m / x^2 <sigma v>_eff (Edsjo & Gondolo,
    hep-ph/9704361, Sec. 3); implicit Euler steps solved exactly as a quadratic, with
    Richardson extrapolation from the grid and its every-other-point subgrid (second order).
    m: (n,), x_grid: (k,), sigma_eff_gev2 and g_eq: (n, k). Returns Y at the last x, (n,).
    """
    temp = m[:, None] / x_grid[None, :]
    _, h_eff, g_half = effective_degrees_of_freedom(temp)
    lam = (
        math.sqrt(math.pi / 45.0)
        * M_PLANCK
        * g_half
        * m[:, None]
        / x_grid[None, :] ** 2
        * sigma_eff_gev2
    )
    y_eq = _y_equilibrium(x_grid[None, :], g_eq, h_eff)
    fine = _implicit_euler(x_grid, lam, y_eq)
    coarse = _implicit_euler(x_grid[::2], lam[:, ::2], y_eq[:, ::2])
    return 2.0 * fine - coarse  # Richardson extrapolation of the first-order scheme


def _implicit_euler(x_grid, lam, y_eq):
    """Backward-Euler steps for dY/dx = -lam (Y^2 - Y_eq^2), each an exact quadratic solve."""
    y = y_eq[:, 0].copy()
    dx = np.diff(x_grid)
    for i in range(1, x_grid.size):
        hl = dx[i - 1] * lam[:, i]
        c = y + hl * y_eq[:, i] ** 2
        y = 2.0 * c / (1.0 + np.sqrt(1.0 + 4.0 * hl * c))
    return y


def _omega_h2(m, y_inf):
    """Omega h^2 = m Y_0 s_0 / (rho_c / h^2)."""
    return m * y_inf * ENTROPY_TODAY / RHO_CRIT_OVER_H2


def _x_grid():
    return np.geomspace(_X_START, _X_END, _N_STEPS)


def _sigma_eff_per_y(m, kind, r, ad, splitting, x_grid):
    """<sigma v>_eff / y in GeV^-2 on the fine grid and the equilibrium dof g_eq(x)."""
    x_avg = np.geomspace(_X_START, _X_END, _N_AVG)
    base_kind = "dirac" if kind == "pseudo-dirac" else kind
    avg = _thermal_average_gev2(m, x_avg, base_kind, r, ad) * (r**4)[:, None]
    log_avg = np.log(np.maximum(avg, 1e-300))
    fine = np.exp(
        np.stack([np.interp(np.log(x_grid), np.log(x_avg), row) for row in log_avg])
    )  # loop over mass points only (cheap)
    g_chi = _G_CHI[kind]
    g_eq = np.full((m.size, x_grid.size), g_chi)
    if kind in ("complex-scalar", "dirac"):
        fine = fine / 2.0  # n counts particles and antiparticles
    elif kind == "pseudo-dirac":
        boltz = (1.0 + splitting) ** 1.5 * np.exp(-splitting * x_grid)[None, :]
        r1 = 1.0 / (1.0 + boltz)
        r2 = boltz / (1.0 + boltz)
        fine = fine * 2.0 * r1 * r2  # Griest-Seckel sigma_eff = sum_ij sigma_ij r_i r_j
        g_eq = 2.0 * (1.0 + boltz) * np.ones((m.size, 1))
    return fine, g_eq


def relic_abundance(m_chi, y, kind, ratio=3.0, alpha_dark=0.5, splitting=0.0) -> np.ndarray:
    """Relic density Omega h^2 of dark-photon-mediated dark matter from the Boltzmann equation.

    Parameters
    ----------
    m_chi : float or array
        Dark-matter mass in GeV, 0.01-10 GeV.
    y : float or array
        eps^2 alpha_D (m_chi/m_A')^4.
    kind : str
        One of :data:`KINDS`.
    ratio : float or array
        m_A' / m_chi, in [2.5, 100] (the narrow resonance near 2 is not resolved).
    alpha_dark : float or array
        alpha_D.
    splitting : float
        (m_2 - m_1)/m_1 for ``"pseudo-dirac"`` (ignored otherwise), >= 0.

    Returns
    -------
    numpy.ndarray
        Omega h^2, broadcast shape of the inputs.

    References
    ----------
    Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145; Edsjo & Gondolo, hep-ph/9704361;
    Griest & Seckel, Phys. Rev. D43 (1991) 3191.

    Examples
    --------
    >>> round(float(relic_abundance(0.1, 1.7e-9, "complex-scalar")), 2)
    0.12
    """
    _check_kind(kind)
    splitting = in_range("splitting", splitting, 0.0, 1.0)
    m, r, ad, yy = _points(m_chi, ratio, alpha_dark, y)
    shape = np.broadcast(
        np.asarray(m_chi), np.asarray(ratio), np.asarray(alpha_dark), np.asarray(y)
    ).shape
    xg = _x_grid()
    per_y, g_eq = _sigma_eff_per_y(m, kind, r, ad, splitting, xg)
    y_inf = _solve_yield(m, xg, per_y * yy[:, None], g_eq)
    return _omega_h2(m, y_inf).reshape(shape)


def relic_abundance_constant_cross_section(
    m_chi, sigma_v, g_chi=2.0, self_conjugate=True
) -> np.ndarray:
    """Omega h^2 for a velocity-independent <sigma v> (s-wave), e.g. a generic WIMP.

    Parameters
    ----------
    m_chi : float or array
        Mass in GeV, 0.01 GeV - 10 TeV.
    sigma_v : float or array
        <sigma v> in cm^3/s (for self-conjugate DM; for particle + antiparticle the
        chi chi-bar cross section, entering as <sigma v>/2 for n = n_chi + n_chibar).
    g_chi : float
        Internal degrees of freedom counted in n (2 Majorana, 4 Dirac).
    self_conjugate : bool
        Whether chi is its own antiparticle.

    Returns
    -------
    numpy.ndarray
        Omega h^2.

    Examples
    --------
    >>> round(float(relic_abundance_constant_cross_section(100.0, 2.2e-26)), 3)
    0.115
    """
    m = in_range("m_chi", m_chi, MIN_MASS, 1e4, unit="GeV")
    sv = positive("sigma_v", sigma_v, unit="cm^3/s")
    g_chi = positive("g_chi", g_chi)
    m_b, sv_b = np.broadcast_arrays(np.asarray(m, float), np.asarray(sv, float))
    shape = m_b.shape
    m1, sv1 = m_b.ravel(), sv_b.ravel()
    xg = _x_grid()
    sig = np.broadcast_to((sv1 / GEV2_TO_CM3_PER_S)[:, None], (m1.size, xg.size))
    if not self_conjugate:
        sig = sig / 2.0
    y_inf = _solve_yield(m1, xg, sig, np.full((m1.size, xg.size), float(g_chi)))
    return _omega_h2(m1, y_inf).reshape(shape)


def thermal_target_y(
    m_chi, kind, ratio=3.0, alpha_dark=0.5, splitting=0.0, omega_h2=OMEGA_DM_H2
) -> np.ndarray:
    """The thermal target y = eps^2 alpha_D (m_chi/m_A')^4 giving Omega h^2 = 0.120.

    Solves relic_abundance(m_chi, y) = omega_h2 for y by fixed-point iteration on
    y -> y Omega(y)/omega_h2 (Omega ~ 1/y up to logarithms; converges in a few steps).
    <sigma v> is proportional to y at fixed ratio and alpha_D, so the thermal averages are
    computed once.

    Parameters
    ----------
    m_chi : float or array
        Dark-matter mass in GeV (0.01-10 GeV).
    kind : str
        One of :data:`KINDS`.
    ratio : float or array
        m_A'/m_chi (default 3).
    alpha_dark : float or array
        alpha_D (default 0.5).
    splitting : float
        Fractional mass splitting for ``"pseudo-dirac"``.
    omega_h2 : float
        Target density (Planck 2018: 0.120).

    Returns
    -------
    numpy.ndarray
        y, broadcast shape of m_chi, ratio and alpha_dark.

    References
    ----------
    Izaguirre, Krnjaic, Schuster, Toro, arXiv:1505.00011; Planck 2018, arXiv:1807.06209.

    Examples
    --------
    >>> y = thermal_target_y([0.01, 0.1, 1.0], "majorana")
    >>> bool(np.all(np.diff(y) > 0))
    True
    """
    _check_kind(kind)
    splitting = in_range("splitting", splitting, 0.0, 1.0)
    omega_h2 = positive("omega_h2", omega_h2)
    m, r, ad, _ = _points(m_chi, ratio, alpha_dark)
    shape = np.broadcast(np.asarray(m_chi), np.asarray(ratio), np.asarray(alpha_dark)).shape
    xg = _x_grid()
    per_y, g_eq = _sigma_eff_per_y(m, kind, r, ad, splitting, xg)
    # start from <sigma v>_eff(x=20) = 3e-26 cm^3/s, then secant steps in (ln y, ln Omega)
    i20 = np.searchsorted(xg, 20.0)
    log_y = np.log(3e-26 / GEV2_TO_CM3_PER_S / per_y[:, i20])
    slope = np.full(m.size, -1.0)
    prev = None
    for _ in range(20):
        log_omega = np.log(_omega_h2(m, _solve_yield(m, xg, per_y * np.exp(log_y)[:, None], g_eq)))
        if prev is not None:
            d_log_y = log_y - prev[0]
            ok = np.abs(d_log_y) > 1e-12
            slope = np.where(ok, (log_omega - prev[1]) / np.where(ok, d_log_y, 1.0), slope)
            slope = np.clip(slope, -2.0, -0.5)
        miss = math.log(omega_h2) - log_omega
        if np.all(np.abs(miss) < 1e-6):
            break
        prev = (log_y, log_omega)
        log_y = log_y + miss / slope
    y = np.exp(log_y)
    return y.reshape(shape)


def epsilon_for_thermal_target(
    m_chi, m_aprime, alpha_dark=0.5, kind="complex-scalar", splitting=0.0
) -> np.ndarray:
    """Kinetic mixing epsilon on the thermal target: eps = sqrt(y (m_A'/m_chi)^4 / alpha_D).

    Parameters
    ----------
    m_chi, m_aprime : float or array
        Dark-matter and dark-photon masses in GeV (m_aprime / m_chi in [2.5, 100]).
    alpha_dark : float or array
        alpha_D.
    kind : str
        One of :data:`KINDS`.
    splitting : float
        Fractional splitting for ``"pseudo-dirac"``.

    Returns
    -------
    numpy.ndarray
        epsilon, broadcast shape of the inputs.

    Examples
    --------
    >>> eps = epsilon_for_thermal_target(0.1, 0.3, 0.5)
    >>> 1e-5 < float(eps) < 1e-3
    True
    """
    m_chi = in_range("m_chi", m_chi, MIN_MASS, MAX_MASS, unit="GeV")
    m_aprime = positive("m_aprime", m_aprime, unit="GeV")
    ratio = np.asarray(m_aprime, float) / np.asarray(m_chi, float)
    y = thermal_target_y(m_chi, kind, ratio=ratio, alpha_dark=alpha_dark, splitting=splitting)
    return np.sqrt(y * ratio**4 / np.asarray(alpha_dark, float))
