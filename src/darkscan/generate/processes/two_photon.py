r"""Two-photon lepton pairs, e+e- -> e+e- l+l-, in the equivalent-photon approximation.

The dominant (multiperipheral) contribution to e+e- -> e+e- mu+mu- at B factories is the
collision of two quasi-real photons radiated by the beams. The scattered e+ and e- keep
most of their energy and are deflected by angles theta ~ sqrt(Q^2)/E, mostly below a few
mrad, so they escape down the beam pipe: only the muon pair is seen, with large missing
energy and missing mass along the beams. This is the irreducible background shape of the
e+e- -> mu+mu- Z'(-> invisible) search that this generator exists for.
(Pythia 8's ``gmgm2mumu`` uses collinear photons and needs W > 1 GeV: 1.1 nb.)

Photon flux
-----------
Each beam lepton (energy E, mass m_e) radiates a photon with energy fraction y = omega/E and
virtuality Q^2 = -q^2 with the transverse equivalent-photon density

    dN / (dy dQ^2) = (alpha / pi) (1 / (y Q^2)) [ 1 - y + y^2/2 - (1 - y) Q^2_min / Q^2 ],
    Q^2_min = m_e^2 y^2 / (1 - y),

(Budnev, Ginzburg, Meledin, Serbo 1975, the equivalent-photon limit of their transverse
photon density; longitudinal photons and the Q^2 dependence of the gamma* gamma* cross
section are neglected) whose integral up to Q^2_max is the improved Weizsaecker-Williams
function of Frixione et al. (1993),

    f(y) = (alpha / 2 pi) [ (1 + (1 - y)^2) / y ln(Q^2_max / Q^2_min)
                            + 2 m_e^2 y (1 / Q^2_max - 1 / Q^2_min) ].

Q^2_max: the photon flux is only "equivalent" while Q^2 is small against the scale of the
hard process. Modes: ``q2_max="w2"`` (default for mu and tau pairs): both Q_i^2 below the
exact W^2 of the event (Q^2 proposed up to y1 y2 s and events with Q_i^2 > W^2 dropped);
``"propagator"`` (default for e pairs): both Q_i^2 below the smallest virtuality inside the
hard process, the exchanged lepton's min(|t - m^2|, |u - m^2|) = (W^2/2)(1 - beta |cos|):
the gamma gamma -> l l cross section is restricted to |cos theta| < (1 - 2 Q_max^2/W^2)/beta
(:func:`propagator_cos_max`, :func:`breit_wheeler_cross_section_central`) and the lepton
angle sampled within it; ``"kinematic"``: up to the backward-scattering limit
Q^2_min + 4 p p'; or a fixed value in GeV^2 (then the integrated flux is exactly
``photon_flux(y, q2_max)``). The kinematic limit always applies. The scattered lepton's
angle follows exactly from Q^2 = Q^2_min + 4 p p' sin^2(theta/2) (E' = (1 - y) E, Q^2_min
here the exact zero-angle value), with a uniform azimuth.

Hard process
------------
gamma gamma -> l+ l- (Breit-Wheeler) with the lepton mass m kept exactly: with
beta = sqrt(1 - 4 m^2/W^2), r = m^2/W^2 and xi = 1 - beta^2 cos^2 theta,

    d sigma / d cos theta = (pi alpha^2 beta / W^2) [ 4/xi - 2 + 16 r/xi - 64 r^2/xi^2 ],
    sigma = (2 pi alpha^2 / W^2) [ (3 - beta^4) ln((1 + beta)/(1 - beta)) - 2 beta (2 - beta^2) ],

the differential form being the crossed e+e- -> gamma gamma squared amplitude of Peskin &
Schroeder eq. (5.105) (with p.k1 = W^2 (1 - beta c)/4), the total the Breit-Wheeler
formula. Limits: sigma -> (4 pi alpha^2 / W^2) beta at threshold, sigma ->
(4 pi alpha^2 / W^2) [ln(W^2/m^2) - 1] for W >> m. theta is the l- angle to the direction of
the first photon in the gamma gamma rest frame; the cross section is evaluated at the exact
W^2 = (q1 + q2)^2 of the two (slightly virtual) photons.

Cross section and sampling
--------------------------
sigma = int dy1 dQ1^2 dy2 dQ2^2 (dN/dy1 dQ1^2)(dN/dy2 dQ2^2) sigma_gg(W) Theta(W > W_min).
Proposal: tau = y1 y2 from 1/tau^2 on [W_min^2/s, 1], y1 log-uniform in [tau, 1], each
Q^2 log-uniform in [Q^2_min, Q^2_max]; the weight is the integrand over the proposal
density. sigma is the mean weight (MC error quoted); events are unweighted by accept-reject
against 1.3 x the largest weight of a pilot run (overweight events are counted).

Comparison with the Belle II Physics Book (AAFH, W_mumu > 0.5 GeV: 18.9 +- 0.1 nb) at
sqrt(s) = 10.573 GeV: this EPA gives 19.9 nb with the default ``q2_max="w2"`` (+5 %) and
21.2 nb with the kinematic Q^2_max; the collinear two-dimensional integral
int f(y1) f(y2) sigma_BW(sqrt(y1 y2 s)) with Q^2_max = y1 y2 s gives 21.7 nb. The spread is
the leading-log ambiguity of the EPA: the Q^2 dependence of sigma(gamma* gamma* -> mu mu) and
the longitudinal photons, which the full Budnev treatment and the exact tree-level 2 -> 4
calculation of AAFH (Berends, Daverveldt, Kleiss) include, suppress photons with
Q^2 >~ m_mu^2 ... W^2; the non-multiperipheral diagrams (bremsstrahlung, conversion and
annihilation classes, included in AAFH) matter when W is a sizable fraction of sqrt(s) or
the electrons go to large angles, a small part here. No ISR, no beam-energy spread.

e+e- -> e+e- e+e- (``lepton="e"``), normalised: the Physics Book lists 39.7 +- 0.1 nb (AAFH,
W_ee > 0.5 GeV). With the same machinery and the "w2" condition the EPA gives 86.7 nb
(+118 %): gamma gamma -> e e is dominated by electrons collinear with a photon, where the
exchanged electron is off shell by only ~m_e^2 ... p_T^2, so photons with m_e^2 << Q^2 < W^2
(kept by "w2") are far from "equivalent": their virtuality cuts the collinear logarithm
ln(W^2/m_e^2) of the on-shell cross section. Requiring instead both Q_i^2 below the
propagator virtualities (the default for e, ``"propagator"``) gives 34.8 +- 0.1 nb, 12 %
below AAFH; the same condition for muons gives 16.2 nb, 14 % below the 18.9 nb. The
remaining ~13 % deficit of both is the leading-log scale ambiguity of any EPA cut (a factor
2 in the cut scale moves sigma by about that much); for e+e-e+e- additionally the
non-multiperipheral and identical-particle (exchange) diagrams of the 36-diagram process,
longitudinal photons and the interference terms are absent here, and with two identical
pairs "W_ee > 0.5 GeV" of AAFH is not exactly our cut on the produced pair. Independent
check (tests): the collinear integral int dy1 dy2 dQ1^2 dQ2^2 (Budnev densities)
sigma_central(sqrt(y1 y2 s), Q_max^2) gives 35.13 nb (e) and 16.52 nb (mu), within 1-2 % of
the exact-kinematics Monte Carlo (W^2 = (q1 + q2)^2 vs y1 y2 s).

Speed (one core, numpy, record included, 5e5 events): mu pairs 1.8e5 events/s
(``q2_max="w2"``, unweighting efficiency 18 %), 1.0e5/s with the kinematic Q^2_max (5 %),
e pairs 2.5e5/s. With the default settings 99.4 % of the e+e-mu+mu- events have both
scattered leptons outside 17-150 deg in the lab (Belle II tracking acceptance), and in 25 %
both muons are inside it.

Event record: scattered e-, scattered e+, l-, l+.

References
----------
V. M. Budnev, I. F. Ginzburg, G. V. Meledin, V. G. Serbo, "The two-photon particle production
mechanism", Phys. Rept. 15 (1975) 181 (equivalent-photon approximation).
S. Frixione, M. L. Mangano, P. Nason, G. Ridolfi, "Improving the Weizsaecker-Williams
approximation in electron-proton collisions", Phys. Lett. B319 (1993) 339, hep-ph/9310350.
G. Breit, J. A. Wheeler, Phys. Rev. 46 (1934) 1087; V. B. Berestetskii, E. M. Lifshitz,
L. P. Pitaevskii, *Quantum Electrodynamics* (2nd ed.), sec. 88 (pair production by two
photons).
M. E. Peskin, D. V. Schroeder, *An Introduction to QFT* (1995), eq. (5.105).
F. A. Berends, P. H. Daverveldt, R. Kleiss, Nucl. Phys. B253 (1985) 441; Comput. Phys.
Commun. 40 (1986) 285 (AAFH / DIAG36).
E. Kou et al. (Belle II), The Belle II Physics Book, PTEP 2019 123C01, arXiv:1808.10567,
table of SM cross sections at 10.58 GeV (e+e-mu+mu- 18.9 nb, e+e-e+e- 39.7 nb, W > 0.5 GeV).

Examples
--------
>>> round(breit_wheeler_cross_section(2.0) / 1e6, 1)  # nb, gamma gamma -> mu mu at W = 2 GeV
321.5
"""

from __future__ import annotations

import math

import numpy as np

from darkscan._validate import in_range, positive
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU, M_TAU
from darkscan.errors import ConfigError
from darkscan.generate.event_record import Sample, events_from_arrays, seed_record
from darkscan.generate.phasespace import boost, boost_to_rest_frame, rotate_from_axis

__all__ = [
    "breit_wheeler_cross_section",
    "breit_wheeler_cross_section_central",
    "d_sigma_gamma_gamma_to_leptons",
    "generate_two_photon",
    "photon_flux",
    "photon_flux_differential",
    "propagator_cos_max",
]

GENERATOR_NAME = "darkscan.generate.processes.two_photon"
_LEPTONS = {"e": (11, M_E), "mu": (13, M_MU), "tau": (15, M_TAU)}


# ---------------------------------------------------------------------- gamma gamma -> l l
def breit_wheeler_cross_section(w, lepton_mass: float = M_MU):
    """sigma(gamma gamma -> l+ l-) in fb at invariant mass ``w`` (Breit-Wheeler, exact in m).

    (2 pi alpha^2/W^2)[(3 - beta^4) ln((1+beta)/(1-beta)) - 2 beta (2 - beta^2)],
    beta = sqrt(1 - 4 m^2/W^2); zero at and below threshold.

    Parameters
    ----------
    w : float or array_like
        gamma gamma invariant mass in GeV (> 0).
    lepton_mass : float
        Lepton mass in GeV (> 0).

    Returns
    -------
    float or numpy.ndarray
        Cross section in fb.

    References
    ----------
    Breit & Wheeler, Phys. Rev. 46 (1934) 1087; Berestetskii-Lifshitz-Pitaevskii sec. 88.

    >>> breit_wheeler_cross_section(0.2)  # below 2 m_mu
    0.0
    """
    w = positive("w", w, unit="GeV")
    m = positive("lepton_mass", lepton_mass, unit="GeV")
    w2 = np.square(w)
    beta2 = np.clip(1.0 - 4.0 * m * m / w2, 0.0, None)
    beta = np.sqrt(beta2)
    with np.errstate(divide="ignore"):
        log_term = 2.0 * np.arctanh(np.minimum(beta, 1.0 - 1e-16))
    bracket = (3.0 - beta2 * beta2) * log_term - 2.0 * beta * (2.0 - beta2)
    sigma = np.where(beta > 0.0, 2.0 * math.pi * ALPHA_EM**2 / w2 * bracket, 0.0) * GEV2_TO_FB
    return float(sigma) if np.ndim(sigma) == 0 else sigma


def d_sigma_gamma_gamma_to_leptons(w, cos_theta, lepton_mass: float = M_MU):
    """d sigma(gamma gamma -> l+ l-)/d cos(theta) in fb, lepton mass exact (vectorised).

    (pi alpha^2 beta / W^2)[4/xi - 2 + 16 r/xi - 64 r^2/xi^2], r = m^2/W^2,
    xi = 1 - beta^2 cos^2(theta): the crossed e+e- -> gamma gamma amplitude (Peskin &
    Schroeder eq. 5.105); theta is the l- angle to a photon in the gamma gamma frame.

    Parameters
    ----------
    w : array_like
        Invariant mass in GeV (> 2 m).
    cos_theta : array_like
        cos(theta), in [-1, 1].
    lepton_mass : float
        Lepton mass in GeV.

    Returns
    -------
    numpy.ndarray
        fb per unit cos(theta).

    >>> round(float(d_sigma_gamma_gamma_to_leptons(2.0, 0.0)) / 1e6, 2)  # nb
    33.1
    """
    w2 = np.square(np.asarray(w, dtype=float))
    c = np.asarray(cos_theta, dtype=float)
    r = lepton_mass**2 / w2
    beta2 = np.clip(1.0 - 4.0 * r, 0.0, None)
    xi = 1.0 - beta2 * c * c
    f = 4.0 / xi - 2.0 + 16.0 * r / xi - 64.0 * r * r / (xi * xi)
    return math.pi * ALPHA_EM**2 * np.sqrt(beta2) / w2 * f * GEV2_TO_FB


def breit_wheeler_cross_section_central(w, cos_max, lepton_mass: float = M_MU):
    """sigma(gamma gamma -> l+ l-) in fb restricted to |cos theta| < ``cos_max`` (vectorised).

    The integral of :func:`d_sigma_gamma_gamma_to_leptons` over -c_max < c < c_max:

        (2 pi alpha^2 beta / W^2) [(4 + 16 r) A - 2 c_max - 64 r^2 (c_max/(2 xi) + A/2)],

    A = artanh(beta c_max)/beta, xi = 1 - beta^2 c_max^2, r = m^2/W^2 (primitives of 1/xi
    and 1/xi^2). c_max = 1 gives :func:`breit_wheeler_cross_section`.

    Parameters
    ----------
    w : array_like
        gamma gamma invariant mass in GeV.
    cos_max : array_like
        Upper limit on |cos theta| of the l- in the gamma gamma frame, clipped to [0, 1].
    lepton_mass : float
        Lepton mass in GeV.

    Returns
    -------
    numpy.ndarray
        Cross section in fb (zero below threshold).

    References
    ----------
    Peskin & Schroeder eq. (5.105) (crossed); Breit & Wheeler, Phys. Rev. 46 (1934) 1087.

    >>> round(float(breit_wheeler_cross_section_central(2.0, 1.0)) / 1e6, 1)  # nb, = total
    321.5
    """
    w2 = np.square(np.asarray(w, dtype=float))
    c = np.clip(np.asarray(cos_max, dtype=float), 0.0, 1.0)
    r = lepton_mass**2 / w2
    beta = np.sqrt(np.clip(1.0 - 4.0 * r, 0.0, None))
    bc = np.minimum(beta * c, 1.0 - 1e-16)
    xi = 1.0 - bc * bc
    big_a = np.arctanh(bc) / np.where(beta > 0.0, beta, 1.0)
    prim = (4.0 + 16.0 * r) * big_a - 2.0 * c - 64.0 * r * r * (c / (2.0 * xi) + 0.5 * big_a)
    sigma = 2.0 * math.pi * ALPHA_EM**2 * beta / w2 * prim * GEV2_TO_FB
    return np.where(beta > 0.0, sigma, 0.0)


def propagator_cos_max(w, q2, lepton_mass: float = M_MU):
    """Largest |cos theta| with both lepton-propagator virtualities above ``q2``.

    |t - m^2| = (W^2/2)(1 - beta c), |u - m^2| = (W^2/2)(1 + beta c) for on-shell photons, so
    min(|t - m^2|, |u - m^2|) > Q^2 for |c| < (1 - 2 Q^2/W^2)/beta (clipped to [0, 1]).

    Parameters
    ----------
    w : array_like
        gamma gamma invariant mass in GeV.
    q2 : array_like
        Photon virtuality (the larger of the two) in GeV^2.
    lepton_mass : float
        Lepton mass in GeV.

    Returns
    -------
    numpy.ndarray

    >>> float(propagator_cos_max(1.0, 0.25, 0.0))
    0.5
    """
    w2 = np.square(np.asarray(w, dtype=float))
    beta = np.sqrt(np.clip(1.0 - 4.0 * lepton_mass**2 / w2, 1e-300, None))
    return np.clip((1.0 - 2.0 * np.asarray(q2, dtype=float) / w2) / beta, 0.0, 1.0)


# ---------------------------------------------------------------------- photon flux
def _q2_min(y, lepton_mass):
    return lepton_mass**2 * y * y / (1.0 - y)


def photon_flux_differential(y, q2, lepton_mass: float = M_E):
    """Equivalent-photon density dN/(dy dQ^2) in GeV^-2 of a lepton (Budnev et al. 1975).

    (alpha/pi)(1/(y Q^2))[1 - y + y^2/2 - (1 - y) Q^2_min/Q^2], Q^2_min = m^2 y^2/(1 - y);
    zero outside 0 < y < 1, Q^2 >= Q^2_min.

    Parameters
    ----------
    y : array_like
        Photon energy fraction omega/E.
    q2 : array_like
        Photon virtuality Q^2 = -q^2 in GeV^2.
    lepton_mass : float
        Mass of the radiating lepton in GeV.

    Returns
    -------
    numpy.ndarray

    >>> round(float(photon_flux_differential(0.5, 1.0)), 6)
    0.002904
    """
    y = np.asarray(y, dtype=float)
    q2 = np.asarray(q2, dtype=float)
    ok = (y > 0.0) & (y < 1.0) & (q2 > 0.0)
    ys = np.where(ok, y, 0.5)
    qs = np.where(ok, q2, 1.0)
    q2min = _q2_min(ys, lepton_mass)
    value = ALPHA_EM / math.pi / (ys * qs) * (1.0 - ys + 0.5 * ys * ys - (1.0 - ys) * q2min / qs)
    return np.where(ok & (qs >= q2min), value, 0.0)


def photon_flux(y, q2_max, lepton_mass: float = M_E):
    """Equivalent-photon spectrum f(y) = int dQ^2 dN/(dy dQ^2) up to ``q2_max`` (per unit y).

    (alpha/2 pi)[(1 + (1-y)^2)/y ln(Q^2_max/Q^2_min) + 2 m^2 y (1/Q^2_max - 1/Q^2_min)]
    (improved Weizsaecker-Williams, Frixione et al. 1993); zero where Q^2_max <= Q^2_min.

    Parameters
    ----------
    y : array_like
        Photon energy fraction, 0 < y < 1.
    q2_max : array_like
        Upper virtuality in GeV^2 (> 0).
    lepton_mass : float
        Mass of the radiating lepton in GeV.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    Frixione, Mangano, Nason, Ridolfi, Phys. Lett. B319 (1993) 339, hep-ph/9310350;
    Budnev et al., Phys. Rept. 15 (1975) 181.

    >>> round(float(photon_flux(0.1, 1.0)), 4)
    0.3923
    """
    y = in_range("y", y, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    q2_max = positive("q2_max", q2_max, unit="GeV^2")
    y = np.asarray(y, dtype=float)
    q2min = _q2_min(y, lepton_mass)
    ratio = np.maximum(np.asarray(q2_max) / q2min, 1.0)
    value = (
        ALPHA_EM
        / (2.0 * math.pi)
        * (
            (1.0 + (1.0 - y) ** 2) / y * np.log(ratio)
            + 2.0 * lepton_mass**2 * y * (1.0 / (q2min * ratio) - 1.0 / q2min)
        )
    )
    return float(value) if np.ndim(value) == 0 else value


# ---------------------------------------------------------------------- generator
def _scattered_lepton(y, q2, phi, e_beam, p_beam, direction):
    """Scattered beam lepton (E', p') at the angle fixed by Q^2, and the photon q = p - p'."""
    e_out = (1.0 - y) * e_beam
    p_out = np.sqrt(np.maximum(e_out * e_out - M_E * M_E, 0.0))
    q2_min = _exact_q2_min(e_beam, p_beam, e_out, p_out)
    s2 = np.clip((q2 - q2_min) / (4.0 * p_beam * p_out), 0.0, 1.0)  # sin^2(theta/2)
    sin_t = 2.0 * np.sqrt(s2 * (1.0 - s2))
    cos_t = 1.0 - 2.0 * s2
    out = np.stack(
        [
            e_out,
            p_out * sin_t * np.cos(phi),
            p_out * sin_t * np.sin(phi),
            direction * p_out * cos_t,
        ],
        axis=-1,
    )
    beam = np.array([e_beam, 0.0, 0.0, direction * p_beam])
    return out, beam - out


def _exact_q2_min(e_beam, p_beam, e_out, p_out):
    """Q^2 at zero scattering angle, 2 (E E' - p p' - m^2), without cancellation."""
    a = M_E**2 / e_beam**2
    b = M_E**2 / np.maximum(e_out, M_E) ** 2
    delta = (a + b - a * b) / (1.0 + np.sqrt((1.0 - a) * (1.0 - b)))
    return np.maximum(2.0 * (e_beam * e_out * delta - M_E**2), 0.0)


def _propose(rng: np.random.Generator, m: int, *, s, e_beam, p_beam, tau_min, q2_mode, w_min, ml):
    """Draw m proposals; return their weights (fb) and the kinematics needed downstream."""
    tau = 1.0 / (1.0 / tau_min - rng.random(m) * (1.0 / tau_min - 1.0))
    log_tau = np.log(tau)
    y1 = np.exp(log_tau * rng.random(m))
    y2 = tau / y1
    density_y = 1.0 / (tau * tau * (1.0 / tau_min - 1.0) * (-log_tau))
    weight = 1.0 / density_y
    parts = []
    virtualities = []
    for y, direction in ((y1, 1.0), (y2, -1.0)):
        valid = y < 1.0 - M_E / e_beam
        ys = np.where(valid, y, 0.5)
        e_out = (1.0 - ys) * e_beam
        p_out = np.sqrt(e_out * e_out - M_E * M_E)
        q2_lo = _exact_q2_min(e_beam, p_beam, e_out, p_out)
        q2_lo = np.maximum(q2_lo, _q2_min(ys, M_E))
        q2_kin = _exact_q2_min(e_beam, p_beam, e_out, p_out) + 4.0 * p_beam * p_out
        if q2_mode in ("w2", "propagator"):
            q2_hi = np.minimum(tau * s, q2_kin)
        elif q2_mode == "kinematic":
            q2_hi = q2_kin
        else:
            q2_hi = np.minimum(float(q2_mode), q2_kin)
        valid &= q2_hi > q2_lo
        log_range = np.log(np.where(valid, q2_hi / q2_lo, 1.0))
        q2 = q2_lo * np.exp(log_range * rng.random(m))
        phi = rng.uniform(0.0, 2.0 * math.pi, m)
        # dN/(dy dQ^2) / (1 / (Q^2 L)) = (alpha/pi)(1/y)[...] L
        flux = photon_flux_differential(ys, q2) * q2 * log_range
        weight = weight * np.where(valid, flux, 0.0)
        scattered, photon = _scattered_lepton(ys, q2, phi, e_beam, p_beam, direction)
        parts.append((scattered, photon))
        virtualities.append(q2)
    (out1, q1), (out2, q2v) = parts
    big_p = q1 + q2v
    w2 = big_p[:, 0] ** 2 - np.sum(big_p[:, 1:] ** 2, axis=-1)
    above = w2 > w_min * w_min
    if q2_mode == "w2":  # EPA validity: both virtualities below the actual W^2
        above &= (virtualities[0] <= w2) & (virtualities[1] <= w2)
    w = np.sqrt(np.where(above, w2, w_min * w_min))
    if q2_mode == "propagator":  # EPA validity: Q_i^2 below both lepton-propagator virtualities
        cos_max = propagator_cos_max(w, np.maximum(virtualities[0], virtualities[1]), ml)
        sigma_hard = breit_wheeler_cross_section_central(w, cos_max, ml)
    else:
        cos_max = np.ones_like(w)
        sigma_hard = breit_wheeler_cross_section(w, ml)
    weight = np.where(above, weight * sigma_hard, 0.0)
    return weight, (out1, out2, q1, big_p, w, cos_max)


def _lepton_pair(rng: np.random.Generator, q1, big_p, w, ml, cos_max):
    """l- and l+ from the Breit-Wheeler angular law about the photon-1 axis in the gamma gamma
    frame, boosted back (exact accept-reject, proposal density ~ 1/(1 - beta^2 c^2))."""
    n = w.shape[0]
    r = ml * ml / (w * w)
    beta = np.sqrt(1.0 - 4.0 * r)
    cos_t = np.empty(n)
    todo = np.arange(n)
    for _ in range(200):
        if todo.size == 0:
            break
        b = beta[todo]
        rr = r[todo]
        a = np.arctanh(np.minimum(b * cos_max[todo], 1.0 - 1e-16))
        c = np.tanh(rng.uniform(-a, a)) / b
        xi = 1.0 - b * b * c * c
        accept = (
            rng.random(todo.size) * (4.0 + 16.0 * rr)
            < 4.0 - 2.0 * xi + 16.0 * rr - 64.0 * rr * rr / xi
        )
        cos_t[todo[accept]] = c[accept]
        todo = todo[~accept]
    else:  # pragma: no cover - the acceptance is above 1/2
        raise ConfigError("lepton angle sampling did not converge")
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    sin_t = np.sqrt(np.clip(1.0 - cos_t * cos_t, 0.0, None))
    local = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)
    axis = boost_to_rest_frame(q1, big_p)[:, 1:]
    p_star = 0.5 * w * beta
    p3 = p_star[:, None] * rotate_from_axis(local, axis)
    e_star = 0.5 * w
    minus = np.concatenate([e_star[:, None], p3], axis=-1)
    plus = np.concatenate([e_star[:, None], -p3], axis=-1)
    velocity = big_p[:, 1:] / big_p[:, :1]
    return boost(minus, velocity), boost(plus, velocity)


def generate_two_photon(
    collider,
    n_events: int,
    rng: np.random.Generator,
    *,
    lepton: str = "mu",
    w_min: float = 0.5,
    q2_max: str | float = "auto",
    weighted: bool = False,
    n_pilot: int = 200_000,
    safety: float = 1.3,
) -> Sample:
    """Generate e+e- -> e+e- l+l- events from gamma gamma collisions (EPA x Breit-Wheeler).

    Parameters
    ----------
    collider : darkscan.beams.Collider
        Beam set-up (nominal sqrt(s) and CM -> lab transformation; no energy spread).
    n_events : int
        Number of events (> 0).
    rng : numpy.random.Generator
        The only source of randomness.
    lepton : {"mu", "e", "tau"}
        Produced lepton pair.
    w_min : float
        Lower cut on the l+l- invariant mass W in GeV (> 2 m_l, < sqrt(s)); the Physics
        Book uses 0.5 GeV.
    q2_max : {"auto", "w2", "propagator", "kinematic"} or float
        EPA validity condition on the photon virtualities (module docstring): both below W^2
        (``"w2"``), both below the lepton-propagator virtualities min(|t - m^2|, |u - m^2|)
        (``"propagator"``), the kinematic limit, or a fixed value in GeV^2. ``"auto"``
        (default): ``"propagator"`` for ``lepton="e"``, ``"w2"`` otherwise.
    weighted : bool
        Keep the importance-sampling weights (sum = cross section) instead of unweighting.
    n_pilot : int
        Proposals of the pilot run that fixes the unweighting envelope.
    safety : float
        Factor (>= 1) on the pilot's largest weight.

    Returns
    -------
    Sample
        Events [scattered e-, scattered e+, l-, l+]; ``cross_section_fb`` is the MC
        estimate of sigma(W > w_min) with its statistical uncertainty.

    Raises
    ------
    ConfigError
        ``n_events`` not a positive integer, ``rng`` not a Generator, unknown ``lepton`` or
        ``q2_max`` mode.
    PhysicsDomainError
        ``w_min`` outside (2 m_l, sqrt(s)), a non-positive numeric ``q2_max``,
        ``safety`` < 1.
    """
    if isinstance(n_events, bool) or not isinstance(n_events, int | np.integer) or n_events <= 0:
        raise ConfigError(f"n_events = {n_events!r} must be a positive integer")
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if lepton not in _LEPTONS:
        raise ConfigError(f"lepton = {lepton!r} is not one of {sorted(_LEPTONS)}")
    pdg, ml = _LEPTONS[lepton]
    sqrt_s = float(collider.sqrt_s)
    w_min = in_range(
        "w_min", w_min, 2.0 * ml, sqrt_s, low_inclusive=False, high_inclusive=False, unit="GeV"
    )
    if isinstance(q2_max, str) and q2_max == "auto":
        q2_max = "propagator" if lepton == "e" else "w2"
    if isinstance(q2_max, str):
        if q2_max not in ("w2", "propagator", "kinematic"):
            raise ConfigError(
                f"q2_max = {q2_max!r} must be 'auto', 'w2', 'propagator', 'kinematic' or a number"
                " (GeV^2)"
            )
        q2_mode: str | float = q2_max
    else:
        q2_mode = positive("q2_max", q2_max, unit="GeV^2")
    safety = in_range("safety", safety, 1.0, unit="")
    if isinstance(n_pilot, bool) or not isinstance(n_pilot, int) or n_pilot < 1000:
        raise ConfigError(f"n_pilot = {n_pilot!r} must be an integer >= 1000")
    n = int(n_events)
    state = seed_record(rng)
    s = sqrt_s**2
    e_beam = 0.5 * sqrt_s
    p_beam = math.sqrt(e_beam**2 - M_E**2)
    kw = {
        "s": s,
        "e_beam": e_beam,
        "p_beam": p_beam,
        "tau_min": w_min**2 / s,
        "q2_mode": q2_mode,
        "w_min": w_min,
        "ml": ml,
    }
    sum_w, sum_w2, n_prop = 0.0, 0.0, 0
    max_weight = math.nan
    if not weighted:
        pilot, _ = _propose(rng, n_pilot, **kw)
        sum_w, sum_w2, n_prop = float(pilot.sum()), float(np.sum(pilot * pilot)), n_pilot
        max_weight = safety * float(pilot.max())
    kept: list[tuple] = []
    n_kept, n_over, rate = 0, 0, 0.2
    for _ in range(10_000):
        m = int(min(max(1.2 * (n - n_kept) / rate + 64, 1024), 1_000_000))
        w, kin = _propose(rng, m, **kw)
        if weighted:
            accept = w > 0.0
        else:
            accept = rng.random(m) * max_weight < w
        idx = np.flatnonzero(accept)
        if n_kept + idx.size >= n:  # stop at the n-th kept proposal: count only up to it
            idx = idx[: n - n_kept]
            m_used = int(idx[-1]) + 1
        else:
            m_used = m
        used = w[:m_used]
        sum_w += float(used.sum())
        sum_w2 += float(np.sum(used * used))
        n_prop += m_used
        n_over += int(np.sum(w[idx] > max_weight)) if not weighted else 0
        kept.append((w[idx], *(k[idx] for k in kin)))
        n_kept += idx.size
        rate = max(n_kept / max(n_prop - (0 if weighted else n_pilot), 1), 1e-4)
        if n_kept >= n:
            break
    else:  # pragma: no cover
        raise ConfigError(f"two-photon generator kept {n_kept} of {n} events")
    weight, out1, out2, q1, big_p, w, cos_max = (
        np.concatenate([k[i] for k in kept]) for i in range(7)
    )
    sigma = sum_w / n_prop
    sigma_err = math.sqrt(max(sum_w2 / n_prop - sigma * sigma, 0.0) / n_prop)
    lm, lp = _lepton_pair(rng, q1, big_p, w, ml, cos_max)
    cms_p4 = np.stack([out1, out2, lm, lp], axis=1)
    lab = collider.to_lab(cms_p4)
    # weighted: every non-zero weight drawn is kept, so sum(weight) / n_prop = sigma exactly
    event_weight = weight / n_prop if weighted else np.full(n, sigma / n)
    columns = {
        "pdg": np.broadcast_to(np.array([11, -11, pdg, -pdg], dtype=np.int32), (n, 4)),
        "E": lab[..., 0],
        "px": lab[..., 1],
        "py": lab[..., 2],
        "pz": lab[..., 3],
    }
    events = events_from_arrays(columns, event_weight)
    return Sample(
        events=events,
        process=f"e+e- -> e+e- {lepton}+{lepton}- (two-photon, EPA)",
        model_parameters={"model": "EPA (Budnev flux) x Breit-Wheeler", "lepton": lepton},
        generator=GENERATOR_NAME,
        generator_settings={
            "collider": collider.name,
            "sqrt_s": sqrt_s,
            "q2_max": q2_mode,
            "weighted": bool(weighted),
            "n_proposals": n_prop,
            "accept_reject_efficiency": n / n_prop,
            "max_weight": max_weight,
            "n_overweight": n_over,
            "isr": False,
        },
        seed=state,
        cross_section_fb=sigma,
        cross_section_uncertainty_fb=sigma_err,
        generator_cuts={"w_ll_min": w_min},
        weighted=bool(weighted),
    )
