r"""Generator for Bhabha scattering e+e- -> e+e-(gamma): exact tree-level QED, ISR and FSR.

Pythia 8 has no Bhabha process with the s-t interference (:mod:`darkscan.generate.pythia`),
so darkscan generates it here.

Hard process
------------
Tree-level s- and t-channel photon exchange with their interference, electron mass neglected
in the matrix element. With t = -s (1 - c)/2, u = -s (1 + c)/2 and c = cos(theta) the angle
of the outgoing e- to the incoming e- (the +z axis), the spin-averaged squared amplitude is
|M|^2 = 2 e^4 [(s^2 + u^2)/t^2 + 2 u^2/(s t) + (t^2 + u^2)/s^2], hence

    d sigma / d cos theta = (pi alpha^2 / s) [ (s^2 + u^2)/t^2 + 2 u^2/(s t) + (t^2 + u^2)/s^2 ]
                          = (pi alpha^2 / 2 s) [ 2 (1 + cos^4(theta/2)) / sin^4(theta/2)
                            - 4 cos^4(theta/2) / sin^2(theta/2) + (1 + cos^2 theta) ]

(H. J. Bhabha, Proc. R. Soc. Lond. A154 (1936) 195; Peskin & Schroeder problem 5.2). In
y = 1 - c the bracket of the first line is B(y) = 8/y^2 - 8/y + 6 - 2y + y^2/2, whose primitive
-8/y - 8 ln y + 6y - y^2 + y^3/6 gives the cross section in any angular range in closed form.
The t-channel pole 8/y^2 makes an angular acceptance mandatory.

Vacuum polarisation (``vacuum_polarisation=True``, default): each photon propagator carries
A(q^2) = 1/(1 - Delta alpha(q^2)), so the three terms of the bracket get A_t^2, A_t Re A_s
and |A_s|^2. Delta alpha(t) (spacelike, real) is the one-loop e, mu, tau contribution with
masses plus the hadronic dispersion integral of the R ratio of
:mod:`darkscan.models.hadronic_r` (:func:`delta_alpha_spacelike`); Delta alpha(s)
(timelike, complex) is :func:`darkscan.generate.processes.mumu_gamma.delta_alpha`. At the
typical |t| ~ 1-2 GeV^2 of the acceptance Delta alpha ~ 0.017-0.019, raising the t-channel
dominated cross section by 3.5-4 % (6-7 % at large angles).

The Z exchange is neglected. Its interference with photon exchange is of relative size
~ 2 g^2 |q^2| / M_Z^2 with g^2 = g_L^2/(sin^2 theta_W cos^2 theta_W) ~ 0.4 and q^2 the
momentum transfer of the channel: ~ 1e-4 for the forward-peaked bulk of the cross section
(|t| ~ 1 GeV^2), up to ~ 1e-2 only at the largest angles and in the s-channel part (whose
forward-backward asymmetry is ~ -1 % at 10.58 GeV); on the cross section in 10-170 deg it
is below 1e-3, well below the radiative corrections not included here.

Sampling: y = 1 - c is drawn from the density proportional to 1/y^2 by inversion and accepted
with B(y) y^2 / 8 = 1 - y + 3y^2/4 - y^3/4 + y^4/16, which lies in [9/16, 1] on [0, 2]
(its derivative is (y - 1)(y^2 - 2y + 4)/4), so the envelope 8/y^2 is exact.

Radiation
---------
* ISR: Kuraev-Fadin structure function per beam (:mod:`darkscan.generate.isr`); each beam
  radiates its energy loss as one photon at a polar angle drawn from the eikonal
  (soft-photon) law of the e+e- pair, (1 - c^2)/(1 - b^2 c^2)^2
  (:func:`darkscan.generate.isr.isr_photons_with_angles`: exact four-momentum conservation,
  the hard system keeps the mass sqrt(x1 x2 s)). The hard process is evaluated at
  s' = x1 x2 s in its own frame and boosted with the recoil velocity (transverse components
  included). Photons are confined to the cone of half-angle theta_e (the hard-frame
  scattering angle of the e-) around their beam: the soft radiation of a charge deflected
  by theta_e is coherent and, azimuthally averaged, fills only this cone (angular ordering,
  R. K. Ellis, W. J. Stirling, B. R. Webber, *QCD and Collider Physics* (1996), sec. 5.5;
  the eikonal integral up to theta_e is ln(|t|/m_e^2), the t-channel log). Without the
  cone, hard ISR photons at large angle with a t-channel pair at low s' (sigma_hat ~ 1/s')
  raised the Physics Book cross section below to 320 nb; with it, 301 nb. The angles are
  eikonal (soft-photon) ones; the exact hard-photon angular law of Bhabha scattering is
  not modelled. The large log is ln(s/m_e^2), appropriate for the s channel;
  for the t-channel dominated small-angle region the proper scale is |t| (leading-log
  parton-shower generators such as BabaYaga use it), so ISR is slightly overestimated there.
* FSR (optional): each final lepton keeps a light-cone fraction z drawn from the same
  structure function D(z, s) (leading-log collinear final-state radiation, Montagna,
  Nicrosini, Piccinini, Riv. Nuovo Cim. 21N9 (1998) 1, hep-ph/9802302, sec. 3) and emits the
  rest as one photon collinear with it. Since int D = 1 the total cross section is
  unchanged (KLN); energy cuts see the reduced lepton energy. Exact kinematics: the hard
  process produces two "jets" of masses m_e/sqrt(z_i) (the invariant mass of a lepton with
  light-cone fraction z plus a collinear photon) back to back at the Born angle; each jet
  splits into the lepton (p+ = z P+, p- = P-) and the photon ((1 - z) P+), so four-momentum
  is conserved and the lepton stays on shell; z is bounded below by 1e-4.
* No ISR-FSR interference, no virtual/soft corrections beyond the structure functions and
  the running alpha (the Physics Book value from BabaYaga@NLO has them at O(alpha) with
  matched parton showers).

Cross section
-------------
sigma = int dx1 dx2 D(x1) D(x2) sigma_hat(x1 x2 s; hard-frame angle cut) over
s' > ``sqrt_s_hat_min``^2 (:func:`darkscan.generate.isr.convolve_isr`), times the fraction
of events passing optional CM-frame cuts (``cms_cuts``: both leptons in a cos(theta*) range,
E* above a minimum), binomial error. At sqrt(s) = 10.573 GeV with the Physics Book cuts
(10 deg < theta*_e < 170 deg, E*_e > 0.15 GeV) the Born value is 287.0 nb, 298.3 nb with
vacuum polarisation; with ISR (hard-frame cut 8 deg < theta < 172 deg,
``cms_cuts=PHYSICS_BOOK_CUTS``) it is 301.0 +- 0.4 nb with the ISR photon angles (298.7 nb
with collinear photons): ISR lowers s' (raising sigma ~ 1/s') but boosts events out of the
acceptance, and the two nearly cancel. The Physics Book quotes 300 +- 3 nb from
BabaYaga@NLO; the remaining difference (within its error) is the non-logarithmic
O(alpha) part (virtual and soft corrections beyond the structure function, non-collinear
hard photons) and the |t| rather than s scale of the t-channel ISR log.

Speed (one core, numpy, record included, 5e5 events, running alpha on): Born 1.0e6 events/s,
with ISR 4.4e5/s, with ISR + FSR + Physics Book CM cuts (hard-frame 8-172 deg, half of the
events kept) 1.8e5/s. The first call builds the vacuum-polarisation tables (~1 s).

Event record: e-, e+, then with ISR the photons from the e- and e+ beams, then with FSR
the photons from the final e- and e+ (fixed multiplicity; photons of zero energy are kept).

References
----------
M. E. Peskin, D. V. Schroeder, *An Introduction to Quantum Field Theory* (1995), problem 5.2.
H. J. Bhabha, Proc. R. Soc. Lond. A154 (1936) 195 (e+e- scattering, s and t channel).
E. A. Kuraev, V. S. Fadin, Sov. J. Nucl. Phys. 41 (1985) 466 (structure function).
G. Montagna, O. Nicrosini, F. Piccinini, Riv. Nuovo Cim. 21N9 (1998) 1, hep-ph/9802302.
G. Balossini et al., Nucl. Phys. B758 (2006) 227, hep-ph/0607181 (BabaYaga@NLO).
F. Jegerlehner, *The anomalous magnetic moment of the muon* (Springer, 2017), ch. 2
(vacuum polarisation).
E. Kou et al. (Belle II), The Belle II Physics Book, PTEP 2019 123C01, arXiv:1808.10567
(e+e-(gamma): 300 +- 3 nb).

Examples
--------
>>> round(float(sigma_hat_bhabha(10.58**2, -0.9848, 0.9848)) / 1e6, 1)  # nb, 10-170 deg
286.6
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from darkscan._validate import in_range, non_negative
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU, M_TAU
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.generate.event_record import (
    Sample,
    check_generator_arguments,
    events_from_arrays,
    seed_record,
)
from darkscan.generate.isr import (
    convolve_isr,
    isr_photons_with_angles,
    sample_energy_fraction,
    sample_partonic_collisions,
)
from darkscan.generate.phasespace import boost

__all__ = [
    "PHYSICS_BOOK_CUTS",
    "d_sigma_bhabha",
    "delta_alpha_spacelike",
    "generate_bhabha",
    "sigma_hat_bhabha",
]

GENERATOR_NAME = "darkscan.generate.processes.bhabha"
_COS_10_DEG = math.cos(math.radians(10.0))
#: Smallest light-cone fraction kept by a lepton after FSR (jet mass <= 51 MeV for e).
_Z_MIN = 1e-4
#: CM-frame cuts of the Belle II Physics Book e+e-(gamma) and gamma gamma(gamma) rows:
#: 10 deg < theta* < 170 deg and E* > 0.15 GeV for both final-state particles.
PHYSICS_BOOK_CUTS = {"cos_theta": (-_COS_10_DEG, _COS_10_DEG), "e_min": 0.15}


def _bracket(y):
    """B(y) = 8/y^2 - 8/y + 6 - 2y + y^2/2 with y = 1 - cos(theta) (module docstring)."""
    return 8.0 / (y * y) - 8.0 / y + 6.0 - 2.0 * y + 0.5 * y * y


def _bracket_primitive(y):
    """Primitive of B in y: -8/y - 8 ln y + 6y - y^2 + y^3/6."""
    return -8.0 / y - 8.0 * np.log(y) + 6.0 * y - y * y + y**3 / 6.0


def _delta_alpha_lepton_spacelike(q2_abs, mass: float):
    """One-loop Delta alpha of one lepton at spacelike q^2 = -Q^2 (real).

    (alpha/3 pi)[-8/3 + b^2 + b (3 - b^2)/2 ln((b + 1)/(b - 1))], b = sqrt(1 + 4 m^2/Q^2):
    the analytic continuation of the timelike form (Jegerlehner 2017, ch. 2); tends to
    (alpha/3 pi)(ln(Q^2/m^2) - 5/3) for Q^2 >> m^2 and alpha Q^2/(15 pi m^2) for Q^2 << m^2
    (series used below Q^2 = 1e-3 m^2).
    """
    q2 = np.asarray(q2_abs, dtype=float)
    x = q2 / (mass * mass)
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    b2 = 1.0 + 4.0 / xs
    b = np.sqrt(b2)
    full = -8.0 / 3.0 + b2 + b * (3.0 - b2) / 2.0 * np.log((b + 1.0) / (b - 1.0))
    series = x / 5.0 - x * x / 70.0
    return ALPHA_EM / (3.0 * math.pi) * np.where(small, series, full)


@lru_cache(maxsize=1)
def _hadronic_spacelike_table() -> tuple[np.ndarray, np.ndarray]:
    """ln Q^2 grid (1e-5 ... 1e4 GeV^2) and Delta alpha_had(-Q^2) from the R ratio (cached).

    Delta alpha_had(-Q^2) = (alpha Q^2 / 3 pi) int_{4 m_pi^2} R(s) ds / (s (s + Q^2)) with the
    continuum R of :func:`darkscan.models.hadronic_r.r_ratio` (narrow resonances removed;
    their contribution is below 1e-4 here), R constant above 40 GeV (analytic tail).
    """
    from darkscan.constants import M_PI
    from darkscan.models import hadronic_r

    s0 = 4.0 * M_PI**2
    lam = hadronic_r.SQRT_S_MAX**2
    u = np.linspace(math.log(s0), math.log(lam), 20001)
    sp = np.exp(u)
    root = np.sqrt(sp)
    r = np.asarray(hadronic_r.r_ratio(root), dtype=float)
    for res in hadronic_r.NARROW_RESONANCES:
        r = r - np.asarray(hadronic_r.resonance_cross_section(root, res)) * sp / (
            4.0 * math.pi * ALPHA_EM**2 / 3.0
        )
    r = np.clip(r, 0.0, None)
    ln_q2 = np.linspace(math.log(1e-5), math.log(1e4), 361)
    q2 = np.exp(ln_q2)[:, None]
    f = r / (sp + q2)  # ds / s = du
    du = u[1] - u[0]
    integral = du * (np.sum(f, axis=1) - 0.5 * (f[:, 0] + f[:, -1]))
    tail = r[-1] / q2[:, 0] * np.log((lam + q2[:, 0]) / lam)
    return ln_q2, ALPHA_EM * q2[:, 0] / (3.0 * math.pi) * (integral + tail)


def delta_alpha_spacelike(q2_abs):
    """Vacuum polarisation Delta alpha(q^2) at spacelike q^2 = -Q^2 (leptons + hadrons).

    alpha(q^2) = alpha / (1 - Delta alpha); leptons e, mu, tau at one loop with masses,
    hadrons from the dispersion integral of the R ratio (see the private helpers).

    Parameters
    ----------
    q2_abs : array_like
        Q^2 = -q^2 in GeV^2, within [1e-5, 1e4].

    Returns
    -------
    numpy.ndarray or float
        Delta alpha (real).

    References
    ----------
    F. Jegerlehner, *The anomalous magnetic moment of the muon* (Springer, 2017), ch. 2
    (one-loop lepton Pi(q^2), dispersion relation for the hadronic part).

    >>> round(float((1.0 - delta_alpha_spacelike(1.0)) / ALPHA_EM), 1)  # 1/alpha(-1 GeV^2)
    134.8
    """
    q2 = np.asarray(in_range("Q^2", q2_abs, 1e-5, 1e4, unit="GeV^2"), dtype=float)
    out = sum(_delta_alpha_lepton_spacelike(q2, m) for m in (M_E, M_MU, M_TAU))
    ln_q2, had = _hadronic_spacelike_table()
    out = out + np.interp(np.log(q2), ln_q2, had)
    return float(out) if np.ndim(out) == 0 else out


@lru_cache(maxsize=1)
def _vp_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cached grids for fast interpolation in the event loop.

    Returns ln Q^2 (1e-5 ... 1e4 GeV^2) with A_t = 1/(1 - Delta alpha(-Q^2)), and ln s
    (1e-3 ... 200 GeV^2) with Re A_s and |A_s|^2, A_s = 1/(1 - Delta alpha(s)) from
    :func:`darkscan.generate.processes.mumu_gamma.delta_alpha`. Linear interpolation in ln q^2
    (4001 spacelike, 40001 timelike points) is accurate to < 1e-7 for A_t and < 3e-4 for A_s
    (near the phi and the tau-pair threshold; A_s enters only the ~1 % s-channel part).
    """
    from darkscan.generate.processes.mumu_gamma import delta_alpha

    q2 = np.geomspace(1e-5, 1e4, 4001)
    a_t = 1.0 / (1.0 - delta_alpha_spacelike(q2))
    s = np.geomspace(1e-3, 200.0, 40001)  # fine: resolves the phi and threshold structure
    a_s = 1.0 / (1.0 - delta_alpha(s))
    return np.log(q2), a_t, np.log(s), a_s.real, np.abs(a_s) ** 2


def _uniform_interp(x, grid: np.ndarray, *tables: np.ndarray) -> list[np.ndarray]:
    """Linear interpolation on a uniform ``grid`` (index arithmetic, no search), clamped."""
    step = grid[1] - grid[0]
    pos = np.clip((np.asarray(x, dtype=float) - grid[0]) / step, 0.0, grid.size - 1.000001)
    idx = pos.astype(np.intp)
    frac = pos - idx
    return [tab[idx] + frac * (tab[idx + 1] - tab[idx]) for tab in tables]


def _vp_factors(s, y):
    """(A_t, Re A_s, |A_s|^2) by interpolation; q^2 outside the grids is clamped to its ends
    (Delta alpha changes by < 1e-4 below 1e-5 GeV^2 and 1e-3 GeV^2 respectively)."""
    ln_q2, a_t, ln_s, re_a_s, abs2_a_s = _vp_tables()
    s = np.asarray(s, dtype=float)
    (at,) = _uniform_interp(np.log(s * y / 2.0), ln_q2, a_t)
    re_as, abs2_as = _uniform_interp(np.log(s), ln_s, re_a_s, abs2_a_s)
    return at, re_as, abs2_as


def d_sigma_bhabha(s_hat, cos_theta, *, vacuum_polarisation: bool = False):
    """d sigma(e+e- -> e+e-)/d cos(theta) in fb, tree-level QED, s + t channel (vectorised).

    (pi alpha^2/s) [(s^2 + u^2)/t^2 + 2 u^2/(s t) + (t^2 + u^2)/s^2] with theta the e- angle
    to the incoming e- (Peskin & Schroeder problem 5.2; module docstring). With
    ``vacuum_polarisation`` each photon propagator carries A(q^2) = 1/(1 - Delta alpha(q^2)):
    A_t^2 (s^2 + u^2)/t^2 + 2 A_t Re(A_s) u^2/(s t) + |A_s|^2 (t^2 + u^2)/s^2 (as in
    BabaYaga, Balossini et al. 2006, sec. 2).

    Parameters
    ----------
    s_hat : array_like
        Squared centre-of-mass energy in GeV^2 (> 0).
    cos_theta : array_like
        cos(theta) of the outgoing e-, -1 <= c < 1.
    vacuum_polarisation : bool
        Running alpha in both channels (:func:`delta_alpha_spacelike`, and
        :func:`darkscan.generate.processes.mumu_gamma.delta_alpha` for the s channel).

    Returns
    -------
    numpy.ndarray
        fb per unit cos(theta).

    >>> round(float(d_sigma_bhabha(10.58**2, 0.0)) / 1e6, 3)  # nb at 90 deg
    2.619
    """
    s = np.asarray(s_hat, dtype=float)
    y = 1.0 - np.asarray(cos_theta, dtype=float)
    if not vacuum_polarisation:
        return math.pi * ALPHA_EM**2 / s * _bracket(y) * GEV2_TO_FB
    a_t, re_a_s, abs2_a_s = _vp_factors(s, y)
    # in y: (s^2+u^2)/t^2 = (8 - 4y + y^2)/y^2, 2u^2/(st) = -(2-y)^2/y, (t^2+u^2)/s^2 = ...
    t_part = (8.0 - 4.0 * y + y * y) / (y * y)
    st_part = -((2.0 - y) ** 2) / y
    s_part = 1.0 - y + 0.5 * y * y
    bracket = a_t * a_t * t_part + a_t * re_a_s * st_part + abs2_a_s * s_part
    return math.pi * ALPHA_EM**2 / s * bracket * GEV2_TO_FB


def sigma_hat_bhabha(s_hat, cos_theta_min, cos_theta_max, *, vacuum_polarisation: bool = False):
    """sigma(e+e- -> e+e-) in fb with the e- cos(theta) in [min, max].

    Born: closed form from the primitive of B(y), y = 1 - c (module docstring). With
    ``vacuum_polarisation``: 64-point Gauss-Legendre quadrature in v = 1/y, in which the
    integrand y^2 B(y) A(t)^2 ... is smooth (relative accuracy < 1e-7). Vectorised over
    ``s_hat``.

    Parameters
    ----------
    s_hat : array_like
        Squared centre-of-mass energy in GeV^2.
    cos_theta_min, cos_theta_max : float
        Angular range of the outgoing e-, -1 <= min < max < 1.
    vacuum_polarisation : bool
        See :func:`d_sigma_bhabha`.

    Returns
    -------
    numpy.ndarray or float
        Cross section in fb.

    >>> round(float(sigma_hat_bhabha(10.58**2, -0.5, 0.5)) / 1e6, 3)
    3.736
    """
    s = np.asarray(s_hat, dtype=float)
    y_lo, y_hi = 1.0 - cos_theta_max, 1.0 - cos_theta_min
    if not vacuum_polarisation:
        integral = _bracket_primitive(y_hi) - _bracket_primitive(y_lo)
        return math.pi * ALPHA_EM**2 / s * integral * GEV2_TO_FB
    x, w = np.polynomial.legendre.leggauss(64)
    v_lo, v_hi = 1.0 / y_hi, 1.0 / y_lo
    v = 0.5 * (v_hi - v_lo) * (x + 1.0) + v_lo
    weights = 0.5 * (v_hi - v_lo) * w / (v * v)  # dy = dv / v^2
    cos_nodes = 1.0 - 1.0 / v
    values = d_sigma_bhabha(s[..., None], cos_nodes, vacuum_polarisation=True)
    out = np.sum(values * weights, axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def _check_cms_cuts(cms_cuts) -> tuple[float, float, float] | None:
    """Validate ``cms_cuts`` -> (cos_lo, cos_hi, e_min) or None."""
    if cms_cuts is None:
        return None
    if not isinstance(cms_cuts, dict):
        raise ConfigError(f"cms_cuts must be a dict or None, got {type(cms_cuts).__name__}")
    unknown = set(cms_cuts) - {"cos_theta", "e_min"}
    if unknown:
        raise ConfigError(f"unknown cms_cuts key(s) {sorted(unknown)}; allowed: cos_theta, e_min")
    lo, hi = (float(c) for c in cms_cuts.get("cos_theta", (-1.0, 1.0)))
    lo = in_range("cms_cuts['cos_theta'][0]", lo, -1.0, 1.0)
    hi = in_range("cms_cuts['cos_theta'][1]", hi, -1.0, 1.0)
    if not lo < hi:
        raise PhysicsDomainError(f"cms_cuts['cos_theta'] = ({lo:g}, {hi:g}) must have low < high")
    e_min = non_negative("cms_cuts['e_min']", cms_cuts.get("e_min", 0.0), unit="GeV")
    return lo, hi, float(e_min)


def _collinear_fsr_split(jet: np.ndarray, z: np.ndarray):
    """Split a jet of mass m/sqrt(z) into a lepton of mass m and a collinear massless photon.

    With light-cone components P+- = E -+ |p| along the jet direction, the lepton takes
    p+ = z P+ and all of P- (= m^2 / (z P+)), the photon (1 - z) P+: exact four-momentum
    conservation and on-shell masses (module docstring).
    """
    p_abs = np.linalg.norm(jet[:, 1:], axis=-1)
    unit = jet[:, 1:] / np.where(p_abs > 0, p_abs, 1.0)[:, None]
    plus = jet[:, 0] + p_abs
    minus = jet[:, 0] - p_abs
    e_l = 0.5 * (z * plus + minus)
    p_l = 0.5 * (z * plus - minus)
    k = 0.5 * (1.0 - z) * plus
    lepton = np.concatenate([e_l[:, None], p_l[:, None] * unit], axis=-1)
    photon = np.concatenate([k[:, None], k[:, None] * unit], axis=-1)
    return lepton, photon


def _isr_photons_in_cone(rng: np.random.Generator, x1, x2, sqrt_s, cone=None):
    """ISR photons with eikonal angles (:func:`isr_photons_with_angles`), optionally each
    within ``cone`` (rad, per event) of its own beam: events with a photon outside are
    redrawn (both photons), so the angles follow the eikonal law truncated to the cone and
    the energies (x1, x2) are unchanged. Returns photons (n, 2, 4) and the hard-system
    velocity (n, 3), CM frame.
    """
    photons, beta = isr_photons_with_angles(rng, x1, x2, sqrt_s)
    if cone is None:
        return photons, beta
    cos_cone = np.cos(np.asarray(cone, dtype=float))
    roots = np.broadcast_to(np.asarray(sqrt_s, dtype=float), np.shape(x1))

    def outside(ph, cc):
        e = ph[..., 0]
        c = np.divide(ph[..., 3], e, out=np.zeros_like(e), where=e > 0.0)
        c = c * np.array([1.0, -1.0])  # angle to the own beam
        return np.any((e > 0.0) & (c < cc[:, None]), axis=1)

    bad = np.flatnonzero(outside(photons, cos_cone))
    for _ in range(1000):
        if bad.size == 0:
            break
        ph, b = isr_photons_with_angles(rng, x1[bad], x2[bad], roots[bad])
        photons[bad], beta[bad] = ph, b
        bad = bad[outside(ph, cos_cone[bad])]
    else:  # pragma: no cover - the cone holds > 80 % of the eikonal photons above 10 deg
        raise ConfigError(f"{bad.size} ISR photons found no direction inside their cone")
    return photons, beta


def _generate_qed_pair(
    collider,
    n: int,
    rng: np.random.Generator,
    *,
    d_sigma: Callable,
    sigma_hat: Callable,
    cos_proposal: tuple[Callable, Callable],
    envelope_per_inverse_s: float,
    masses: tuple[float, float],
    pdg: tuple[int, int],
    isr: bool,
    fsr: bool,
    weighted: bool,
    energy_spread: bool,
    s_hat_min: float,
    cms: tuple[float, float, float] | None,
    isr_cone: bool = False,
) -> dict:
    """Shared 2 -> 2 QED machinery of the Bhabha and gamma gamma generators.

    Draws the hard collision (angle of the first particle, ISR fractions) with
    :func:`sample_partonic_collisions` (1/s' rise handled by ``s_hat_pole = 0``), builds the
    two final-state four-momenta in the hard frame, optional collinear FSR, boosts to the CM
    frame and applies the CM-frame cuts, repeating in rounds until ``n`` events pass; finally
    transforms to the lab. ``d_sigma / pdf`` must be bounded by ``envelope_per_inverse_s / s``.

    ISR photons get eikonal polar angles (:func:`_isr_photons_in_cone`); with ``isr_cone``
    each is confined to the cone of half-angle theta (the hard-frame angle between the
    incoming and outgoing e-) around its beam (t-channel coherence, see the module docstring).

    Returns a dict with the lab four-momenta (n, k, 4), pdg codes (k,), relative weights,
    the booked cross section and its uncertainty (fb) and bookkeeping numbers.
    """
    sqrt_s = float(collider.sqrt_s)
    s_nominal = sqrt_s**2
    spread = float(collider.sqrt_s_spread) if energy_spread else 0.0
    s_env = s_hat_min if isr else max(s_hat_min, (sqrt_s - 8.0 * spread) ** 2)
    envelope = envelope_per_inverse_s / s_env
    m1, m2 = masses
    blocks: list[tuple[np.ndarray, np.ndarray]] = []
    n_kept, n_tried, w_kept, w_tried = 0, 0, 0.0, 0.0
    efficiencies, max_weights, n_over = [], [], 0
    for _ in range(1000):
        remaining = n - n_kept
        pass_rate = n_kept / n_tried if n_tried else 1.0
        m = int(min(max(1.1 * remaining / max(pass_rate, 1e-3) + 64, 256), 2_000_000))
        coll = sample_partonic_collisions(
            rng,
            m,
            sqrt_s=sqrt_s,
            d_sigma=d_sigma,
            cos_proposal=cos_proposal,
            envelope=envelope,
            s_hat_min=s_hat_min,
            isr=isr,
            sqrt_s_sampler=(lambda r, k: collider.sample_sqrt_s(r, k)) if energy_spread else None,
            weighted=weighted,
            s_hat_pole=0.0 if isr else None,
            n_pilot=20_000,
        )
        efficiencies.append(coll.efficiency)
        max_weights.append(coll.max_weight)
        n_over += coll.n_overweight
        # hard frame: first particle at theta, the second back to back
        root = np.sqrt(coll.s_hat)
        if fsr:  # each final lepton first becomes a "jet" of mass m / sqrt(z)
            z1 = np.maximum(sample_energy_fraction(rng, m, s_nominal), _Z_MIN)
            z2 = np.maximum(sample_energy_fraction(rng, m, s_nominal), _Z_MIN)
            mass1_sq, mass2_sq = m1 * m1 / z1, m2 * m2 / z2
        else:
            mass1_sq, mass2_sq = m1 * m1, m2 * m2
        e1 = (coll.s_hat + mass1_sq - mass2_sq) / (2.0 * root)
        p = np.sqrt(np.maximum(e1 * e1 - mass1_sq, 0.0))
        phi = rng.uniform(0.0, 2.0 * math.pi, m)
        c = coll.cos_theta
        sin_t = np.sqrt(1.0 - c * c)
        p3 = p[:, None] * np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), c], axis=-1)
        first = np.concatenate([e1[:, None], p3], axis=-1)
        second = np.concatenate([(root - e1)[:, None], -p3], axis=-1)
        parts = [first, second]
        if fsr:
            first, photon1 = _collinear_fsr_split(first, z1)
            second, photon2 = _collinear_fsr_split(second, z2)
            parts = [first, second, photon1, photon2]
        hard = np.stack(parts, axis=1)
        # one ISR photon per beam at an eikonal polar angle; the hard system recoils
        cone = np.arccos(np.clip(c, -1.0, 1.0)) if isr_cone else None
        photons_isr, beta = _isr_photons_in_cone(rng, coll.x1, coll.x2, coll.sqrt_s, cone)
        cms_p4 = boost(hard, beta[:, None, :])
        if isr:
            cms_p4 = np.concatenate([cms_p4[:, :2], photons_isr, cms_p4[:, 2:]], axis=1)
        if cms is None:
            keep = np.ones(m, dtype=bool)
        else:
            lo, hi, e_min = cms
            two = cms_p4[:, :2]
            cos_cms = two[..., 3] / np.maximum(np.linalg.norm(two[..., 1:], axis=-1), 1e-300)
            keep = np.all((cos_cms >= lo) & (cos_cms <= hi) & (two[..., 0] >= e_min), axis=1)
        n_tried += m
        w_tried += float(coll.weight.sum())
        w_kept += float(coll.weight[keep].sum())
        take = np.flatnonzero(keep)[:remaining]
        blocks.append((cms_p4[take], coll.weight[take]))
        n_kept += take.size
        if n_kept >= n:
            break
    else:
        raise ConfigError(f"generator kept {n_kept} of {n} events after 1000 rounds of cuts")
    cms_p4 = np.concatenate([b[0] for b in blocks])
    weight = np.concatenate([b[1] for b in blocks])
    # normalisation: ISR-convolved cross section in the hard-frame cut, times the CM-cut
    # fraction (estimated from the weights of all events drawn)
    if isr:
        sigma0 = convolve_isr(sigma_hat, s_nominal, s_hat_min, s_hat_pole=0.0)
        coarse = convolve_isr(sigma_hat, s_nominal, s_hat_min, s_hat_pole=0.0, n_nodes=48)
        sigma0_err = abs(sigma0 - coarse)
    else:
        sigma0 = float(sigma_hat(s_nominal))
        sigma0_err = 0.0
    fraction = w_kept / w_tried
    fraction_err = math.sqrt(max(fraction * (1.0 - fraction), 0.0) / n_tried)
    sigma = sigma0 * fraction
    sigma_err = math.hypot(sigma0_err * fraction, sigma0 * fraction_err)
    lab = collider.to_lab(cms_p4)
    k = lab.shape[1]
    pdg_row = list(pdg) + [22] * (k - 2)
    return {
        "p4": lab,
        "pdg": np.array(pdg_row, dtype=np.int32),
        "weight": sigma * weight / weight.sum(),
        "sigma": sigma,
        "sigma_err": sigma_err,
        "sigma_hard_cut": sigma0,
        "cms_cut_fraction": fraction,
        "efficiency": float(np.mean(efficiencies)),
        "max_weight": float(max(max_weights)),
        "n_overweight": int(n_over),
    }


def _columns(p4: np.ndarray, pdg_row: np.ndarray) -> dict:
    n, k = p4.shape[:2]
    return {
        "pdg": np.broadcast_to(pdg_row, (n, k)),
        "E": p4[..., 0],
        "px": p4[..., 1],
        "py": p4[..., 2],
        "pz": p4[..., 3],
    }


def generate_bhabha(
    collider,
    n_events: int,
    rng: np.random.Generator,
    *,
    cos_theta_range: tuple[float, float] = (-_COS_10_DEG, _COS_10_DEG),
    isr: bool = True,
    fsr: bool = False,
    weighted: bool = False,
    energy_spread: bool = False,
    sqrt_s_hat_min: float = 1.0,
    cms_cuts: dict | None = None,
    vacuum_polarisation: bool = True,
) -> Sample:
    """Generate e+e- -> e+e-(gamma) events: tree-level s + t channel Bhabha, ISR, FSR.

    Parameters
    ----------
    collider : darkscan.beams.Collider
        Beam set-up (sqrt(s), CM -> lab transformation, energy spread).
    n_events : int
        Number of events (> 0) after all cuts.
    rng : numpy.random.Generator
        The only source of randomness.
    cos_theta_range : (float, float)
        Cut on cos(theta) of the outgoing e- in the hard-collision frame (the CM frame
        without ISR), inside (-1, 1): mandatory, it regulates the t-channel pole. Default
        10 deg < theta < 170 deg.
    isr : bool
        Initial-state radiation (structure function; one photon per beam with an eikonal
        polar angle in the record).
    fsr : bool
        Leading-log collinear final-state radiation (one photon per lepton in the record).
    weighted : bool
        Weighted ISR sampling (weights sum to the cross section) instead of unweighted.
    energy_spread : bool
        Smear sqrt(s) per event with ``collider.sample_sqrt_s`` (cross section quoted at
        the nominal sqrt(s)).
    sqrt_s_hat_min : float
        Lowest invariant mass of the hard e+e- system after ISR, GeV (regulates the
        radiative-return tail; > 2 m_e).
    cms_cuts : dict, optional
        CM-frame cuts on both leptons: ``"cos_theta": (lo, hi)``, ``"e_min"`` (GeV); e.g.
        :data:`PHYSICS_BOOK_CUTS`. The booked cross section is sigma times the accepted
        fraction (binomial error). Widen ``cos_theta_range`` beyond them when using ISR so
        that boosted events migrating into the acceptance are generated.
    vacuum_polarisation : bool
        Running alpha in the t- and s-channel photon propagators (:func:`d_sigma_bhabha`).

    Returns
    -------
    Sample
        ``cross_section_fb`` within all cuts (ISR-convolved if ``isr``).

    Raises
    ------
    ConfigError
        ``n_events`` not a positive integer, ``rng`` not a Generator, bad ``cms_cuts`` keys.
    PhysicsDomainError
        An angular range outside (-1, 1) or empty, ``sqrt_s_hat_min`` outside
        (2 m_e, sqrt(s)), a negative energy cut.

    References
    ----------
    Peskin & Schroeder problem 5.2; Kuraev & Fadin (1985); see the module docstring.
    """
    n, lo, hi, _ = check_generator_arguments(n_events, rng, cos_theta_range, 0.0)
    cms = _check_cms_cuts(cms_cuts)
    sqrt_s = float(collider.sqrt_s)
    root_min = in_range(
        "sqrt_s_hat_min",
        sqrt_s_hat_min,
        2.0 * M_E,
        sqrt_s,
        low_inclusive=False,
        high_inclusive=False,
        unit="GeV",
    )
    state = seed_record(rng)
    y_lo, y_hi = 1.0 - hi, 1.0 - lo
    inv_area = 1.0 / y_lo - 1.0 / y_hi  # int dy / y^2

    def sample_cos(r: np.random.Generator, k: int) -> np.ndarray:
        u = r.random(k)
        return 1.0 - 1.0 / (1.0 / y_lo - u * inv_area)

    def pdf_cos(c):
        y = 1.0 - c
        return 1.0 / (y * y * inv_area)

    vp = bool(vacuum_polarisation)
    # d_sigma / pdf = (pi alpha^2 / s) B(y) y^2 area <= 8 (pi alpha^2 / s) area (Born); with
    # running alpha times the largest ratio of the brackets, found on a fine grid at the
    # highest s (Delta alpha grows with |q^2|), with a 2 % margin
    vp_bound = 1.0
    if vp:
        s_top = (sqrt_s + 8.0 * float(collider.sqrt_s_spread)) ** 2
        c_grid = np.linspace(lo, hi, 4001)
        ratio = d_sigma_bhabha(s_top, c_grid, vacuum_polarisation=True) / d_sigma_bhabha(
            s_top, c_grid
        )
        vp_bound = 1.02 * max(float(ratio.max()), 1.0)
    out = _generate_qed_pair(
        collider,
        n,
        rng,
        d_sigma=lambda s, c: d_sigma_bhabha(s, c, vacuum_polarisation=vp),
        sigma_hat=lambda s: sigma_hat_bhabha(s, lo, hi, vacuum_polarisation=vp),
        cos_proposal=(sample_cos, pdf_cos),
        envelope_per_inverse_s=vp_bound * 8.0 * math.pi * ALPHA_EM**2 * inv_area * GEV2_TO_FB,
        masses=(M_E, M_E),
        pdg=(11, -11),
        isr=isr,
        fsr=fsr,
        weighted=weighted,
        energy_spread=energy_spread,
        s_hat_min=root_min**2,
        cms=cms,
        isr_cone=True,
    )
    events = events_from_arrays(_columns(out["p4"], out["pdg"]), out["weight"])
    cuts = {"cos_theta_e_minus_hard_frame": [lo, hi], "sqrt_s_hat_min": root_min}
    if cms is not None:
        cuts.update({"cos_theta_e_cms": [cms[0], cms[1]], "e_cms_min": cms[2]})
    return Sample(
        events=events,
        process="e+e- -> e+e-(gamma)",
        model_parameters={
            "model": "QED Bhabha (s + t channel, tree level)",
            "vacuum_polarisation": vp,
        },
        generator=GENERATOR_NAME,
        generator_settings={
            "collider": collider.name,
            "sqrt_s": sqrt_s,
            "isr": bool(isr),
            "fsr": bool(fsr),
            "energy_spread": bool(energy_spread),
            "weighted": bool(weighted),
            "isr_photons": "ISR photons with eikonal angles (cone: e- scattering angle)"
            if isr
            else "none",
            "accept_reject_efficiency": out["efficiency"],
            "max_weight": out["max_weight"],
            "n_overweight": out["n_overweight"],
            "sigma_hard_cut_fb": out["sigma_hard_cut"],
            "cms_cut_fraction": out["cms_cut_fraction"],
        },
        seed=state,
        cross_section_fb=out["sigma"],
        cross_section_uncertainty_fb=out["sigma_err"],
        generator_cuts=cuts,
        weighted=bool(weighted),
    )
