r"""Tau lepton decays with the spin correlations of e+e- -> gamma* -> tau+ tau-.

Decays are generated in the tau rest frame, vectorised over events. Every channel returns
the daughters' four-momenta and the *polarimeter vector* h of the decay: for a tau- with
spin direction s the decay density is proportional to (1 + h . s) times the unpolarised
density (h depends on the daughters' momenta). A tau+ decay is obtained from a tau- decay
by CP: momenta -p (parity) and charge-conjugated daughters, with the same h, so that its
density is 1 + h(-p) . s (e.g. tau+ -> pi+ nu: 1 - cos(pi+, s)).

Spin correlations (production at Born level, gamma* exchange)
-------------------------------------------------------------
In the tau-pair rest frame take axes z along the tau- momentum, x in the production plane
with the e- beam direction b = cos(theta) z - sin(theta) x, and y = z cross x; both tau rest
frames are reached by boosts along z and keep these axes. The joint decay density is

    W = 1 + sum_ij C_ij h-_i h+_j,   N = 1 + c^2 + s^2/gamma^2,
    C_xx = (1 + 1/gamma^2) s^2 / N,  C_yy = -beta^2 s^2 / N,
    C_zz = (1 + c^2 - s^2/gamma^2) / N,  C_xz = C_zx = -(2/gamma) s c / N,

(c = cos theta, s = sin theta, beta and gamma of the taus; single-tau polarisations vanish
for pure photon exchange, the Z-induced ones (~1e-3 at 10.58 GeV) are neglected). Checks:
trace C = 1 (spin triplet); at threshold C = b b^T (pair spin +-1 along the beam); for
beta -> 1 helicity conservation gives C_zz = 1 (opposite helicities). Generated exactly:
the tau- decay unpolarised (the marginal of W), then the tau+ decay from the conditional
density 1 + h+ . (C^T h-) by accept-reject with probability (1 + h+ . s)/(1 + |s|).

Channels (:data:`TAU_DECAY_CHANNELS`, PDG 2024 branching fractions)
-------------------------------------------------------------------
* tau -> e nu nu, mu nu nu: exact massive Michel spectrum with the Standard-Model V-A
  parameters rho = delta = 3/4, eta = 0, xi = 1 (:func:`michel_density`); the neutrino pair
  (invisible) decays isotropically in its own rest frame.
* tau -> pi nu, K nu: two-body, h = n_meson (analysing power 1).
* tau -> rho nu -> pi pi0 nu: Q^2 from the vector spectral function
  dGamma/dQ^2 ~ (1 - Q^2/M^2)^2 (1 + 2 Q^2/M^2) beta_pipi^3 |BW_rho(Q^2)|^2 (P-wave width);
  rho helicity from the longitudinal fraction M^2/(M^2 + 2 Q^2); exact polarimeter of the
  V-A current J = (p_pi - p_pi0) transverse to Q:
  h = M [2 (J.N) J_vec - J^2 N_vec] / [2 (J.N)(J.P) - J^2 (N.P)], N the neutrino.
* tau -> K*(892) nu -> K- pi0 / K0-bar pi- nu and tau -> K- K0 nu: the same vector-current
  treatment with the K*(892) Breit-Wigner (K pi P-wave width), resp. the rho tail (KS 1990
  rho parameters); scalar (K0*) contributions neglected. K0-bar is emitted as K_S (310) or
  K_L (130) with probability 1/2 each (CP violation neglected) and left undecayed.
* tau -> a1 nu -> 3 pi nu (pi- pi- pi+ and pi0 pi0 pi-): Kuehn-Santamaria model as in
  TAUOLA. Hadronic current J = BW_a1(Q^2) [B_rho(s13) V1 + B_rho(s23) V2] with
  V_i = (q_i - q3) transverse to Q (pions 1, 2 identical: Bose symmetric), B_rho the rho +
  rho(1450) form factor (beta = -0.145) and the a1 propagator with the energy-dependent
  width Gamma_a1 g(Q^2)/g(M_a1^2) (:func:`a1_width`). The full V-A matrix element with the
  tau spin, |M|^2 ~ omega (1 + h . s), is used (:func:`hadronic_polarimeter`, including the
  eps-tensor term of the complex current): exact polarimeter vector.
* pi- 3pi0, pi- pi- pi+ pi0, K- pi- pi+, K- K+ pi- and the remainder ``"other"``
  (K0-bar pi- pi0, K- 2pi0, 3h 2pi0, pi- 4pi0, eta and omega -> pi0 gamma modes, K0 K0-bar
  pi-, K- K0 pi0, five prongs, ...: 1 - sum of the listed modes = 1.99 %, modelled as
  pi- pi- pi+ pi0): flat phase space without spin analysing power (h = 0).

References
----------
Y.-S. Tsai, "Decay correlations of heavy leptons in e+e- -> l+l-", Phys. Rev. D 4 (1971)
2821 (spin-correlated production and leptonic/pi/rho decay distributions).
S. Jadach, J. H. Kühn, Z. Was, "TAUOLA - a library of Monte Carlo programs to simulate decays
of polarized tau leptons", Comput. Phys. Commun. 64 (1991) 275 (polarimeter vectors, V-A
hadronic currents); S. Jadach, Z. Was, R. Decker, J. H. Kühn, CPC 76 (1993) 361.
J. H. Kühn, A. Santamaria, Z. Phys. C 48 (1990) 445 (rho spectral function; the a1 -> 3 pi
current, a1 width function g(Q^2) and parameters M_a1 = 1.251, Gamma_a1 = 0.599,
M_rho = 0.773, Gamma_rho = 0.145, M_rho' = 1.370, Gamma_rho' = 0.510 GeV, beta = -0.145).
W. Bernreuther, O. Nachtmann, P. Overmann, Phys. Rev. D 48 (1993) 78 (tau-pair spin
correlations).
B. K. Bullock, K. Hagiwara, A. D. Martin, Nucl. Phys. B 395 (1993) 499 (analysing power
(m_tau^2 - 2 m^2)/(m_tau^2 + 2 m^2) of a vector meson direction).
W. Fetscher, H.-J. Gerber, PDG review "Muon decay parameters" (massive Michel spectrum
F_IS, F_AS).
S. Navas et al. (Particle Data Group), Review of Particle Physics, Phys. Rev. D 110 (2024)
030001, tau- listing (branching fractions of the constrained fit).

Examples
--------
>>> round(sum(c.branching_ratio for c in TAU_DECAY_CHANNELS), 12)
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from darkscan._validate import in_range
from darkscan.constants import M_E, M_K, M_K0, M_MU, M_PI, M_PI0, M_TAU
from darkscan.errors import ConfigError
from darkscan.generate.phasespace import rambo
from darkscan.lorentz import boost

__all__ = [
    "MAX_DAUGHTERS",
    "TAU_DECAY_CHANNELS",
    "TauDecayChannel",
    "TauDecays",
    "a1_current",
    "a1_dalitz_density",
    "a1_mass_density",
    "a1_width",
    "channel_fraction",
    "channel_indices",
    "hadronic_polarimeter",
    "michel_density",
    "sample_tau_decays",
    "sample_tau_pair_decays",
    "spin_correlation_matrix",
]

#: rho(770) mass and width in GeV (PDG 2022, e+e- / tau average 775.26, 149.1 MeV).
M_RHO, GAMMA_RHO = 0.77526, 0.1491
#: Kuehn-Santamaria (1990) a1 current parameters in GeV (as in TAUOLA, CPC 76 (1993) 361):
#: a1 mass and width, rho and rho(1450) masses and widths, rho' admixture beta.
M_A1, GAMMA_A1 = 1.251, 0.599
M_RHO_KS, GAMMA_RHO_KS = 0.773, 0.145
M_RHO_PRIME, GAMMA_RHO_PRIME, BETA_RHO_PRIME = 1.370, 0.510, -0.145
#: K*(892)- mass and width in GeV (PDG 2024: 891.67 +- 0.26 MeV, 51.4 +- 0.8 MeV).
M_KSTAR, GAMMA_KSTAR = 0.89167, 0.0514
#: Most daughters of one tau decay in this model (tau -> 4 pi nu).
MAX_DAUGHTERS = 5


@dataclass(frozen=True)
class TauDecayChannel:
    """One tau- decay channel.

    Attributes
    ----------
    name : str
    branching_ratio : float
        PDG 2024 value (the last channel, ``"other"``, takes the rest to 1).
    pdg : tuple of int
        Daughters of a tau- (the tau+ has the charge conjugates).
    model : str
        ``"lepton"``, ``"meson"``, ``"rho"``, ``"vector"`` (K*(892) -> K pi, K- K0 via the
        rho tail), ``"a1"`` or ``"phase_space"``.
    """

    name: str
    branching_ratio: float
    pdg: tuple[int, ...]
    model: str


# PDG 2024: S. Navas et al. (Particle Data Group), Phys. Rev. D 110, 030001 (2024), tau
# listing (branching fractions from the PDG constrained fit), tau- modes in per cent. The
# K, 4 pi and K K pi values were transcribed from the listing; they agree within 20 % (most
# within 3 %) with the older PDG compilation in Pythia 8.317's tau decay table
# (tests/generate/test_tau_decays.py), which rules out transcription errors but not the
# last digit: check pdgLive before precision use.
_BR = {
    "e": 0.1782,  # e- nu_e-bar nu_tau, 17.82 +- 0.04 %
    "mu": 0.1739,  # mu- nu_mu-bar nu_tau, 17.39 +- 0.04 %
    "pi": 0.1082,  # pi- nu_tau, 10.82 +- 0.05 %
    "K": 0.00696,  # K- nu_tau, 0.696 +- 0.010 %
    "rho": 0.2549,  # pi- pi0 nu_tau, 25.49 +- 0.09 %
    "a1_1prong": 0.0926,  # pi- 2pi0 nu_tau (ex. K0), 9.26 +- 0.10 %
    "a1_3prong": 0.0902,  # pi- pi- pi+ nu_tau (ex. K0), 9.02 +- 0.05 %
    "K_pi0": 0.00433,  # K- pi0 nu_tau, 0.433 +- 0.015 %
    "K0S_pi": 0.00838 / 2,  # pi- K0-bar nu_tau, 0.838 +- 0.014 %: half K_S, half K_L
    "K0L_pi": 0.00838 / 2,
    "pi_3pi0": 0.0104,  # pi- 3pi0 nu_tau (ex. K0), 1.04 +- 0.07 %
    "3pi_pi0": 0.0462,  # pi- pi- pi+ pi0 nu_tau (ex. K0), 4.62 +- 0.05 %
    "K_K0S": 0.00148 / 2,  # K- K0 nu_tau, 0.148 +- 0.005 %: half K_S, half K_L
    "K_K0L": 0.00148 / 2,
    "K_pi_pi": 0.00293,  # K- pi- pi+ nu_tau (ex. K0), 0.293 +- 0.007 %
    "K_K_pi": 0.001435,  # K- K+ pi- nu_tau, 0.1435 +- 0.0027 %
}

#: The decay channels of a tau- with their PDG 2024 branching fractions; ``"other"`` (the
#: remaining 1.99 %: K0-bar pi- pi0, K- 2pi0, 3h 2pi0, pi- 4pi0, eta and omega -> pi0 gamma
#: modes, K0 K0-bar pi-, K- K0 pi0, five prongs, ...) is a pi- pi- pi+ pi0 phase-space
#: stand-in.
TAU_DECAY_CHANNELS: tuple[TauDecayChannel, ...] = (
    TauDecayChannel("e", _BR["e"], (11, -12, 16), "lepton"),
    TauDecayChannel("mu", _BR["mu"], (13, -14, 16), "lepton"),
    TauDecayChannel("pi", _BR["pi"], (-211, 16), "meson"),
    TauDecayChannel("K", _BR["K"], (-321, 16), "meson"),
    TauDecayChannel("rho", _BR["rho"], (-211, 111, 16), "rho"),
    TauDecayChannel("a1_1prong", _BR["a1_1prong"], (111, 111, -211, 16), "a1"),
    TauDecayChannel("a1_3prong", _BR["a1_3prong"], (-211, -211, 211, 16), "a1"),
    TauDecayChannel("K_pi0", _BR["K_pi0"], (-321, 111, 16), "vector"),
    TauDecayChannel("K0S_pi", _BR["K0S_pi"], (310, -211, 16), "vector"),
    TauDecayChannel("K0L_pi", _BR["K0L_pi"], (130, -211, 16), "vector"),
    TauDecayChannel("pi_3pi0", _BR["pi_3pi0"], (-211, 111, 111, 111, 16), "phase_space"),
    TauDecayChannel("3pi_pi0", _BR["3pi_pi0"], (-211, -211, 211, 111, 16), "phase_space"),
    TauDecayChannel("K_K0S", _BR["K_K0S"], (-321, 310, 16), "vector"),
    TauDecayChannel("K_K0L", _BR["K_K0L"], (-321, 130, 16), "vector"),
    TauDecayChannel("K_pi_pi", _BR["K_pi_pi"], (-321, -211, 211, 16), "phase_space"),
    TauDecayChannel("K_K_pi", _BR["K_K_pi"], (-321, 321, -211, 16), "phase_space"),
    TauDecayChannel("other", 1.0 - sum(_BR.values()), (-211, -211, 211, 111, 16), "phase_space"),
)
_MASS = {
    11: M_E,
    13: M_MU,
    211: M_PI,
    321: M_K,
    111: M_PI0,
    310: M_K0,
    130: M_K0,
    12: 0.0,
    14: 0.0,
    16: 0.0,
}
#: Self-conjugate daughters (no sign flip for the tau+).
_SELF_CONJUGATE = (111, 310, 130)


@dataclass(frozen=True)
class TauDecays:
    """Decays of taus at rest (arrays over decays).

    Attributes
    ----------
    channel : numpy.ndarray of int (n,)
        Index into :data:`TAU_DECAY_CHANNELS`.
    p4 : numpy.ndarray (n, MAX_DAUGHTERS, 4)
        Daughter four-momenta in the tau rest frame (unused slots zero), GeV.
    pdg : numpy.ndarray of int (n, MAX_DAUGHTERS)
        Daughter PDG codes (0 in unused slots).
    polarimeter : numpy.ndarray (n, 3)
        h such that the decay density is (1 + h . s) x unpolarised for a tau- of spin s
        (for a tau+ decay: the h of the CP-mirrored tau- decay).
    """

    channel: np.ndarray
    p4: np.ndarray
    pdg: np.ndarray
    polarimeter: np.ndarray

    @property
    def n_daughters(self) -> np.ndarray:
        return np.sum(self.pdg != 0, axis=1)


# ----------------------------------------------------------------------------- helpers
def _dot(a, b):
    return a[..., 0] * b[..., 0] - np.sum(a[..., 1:] * b[..., 1:], axis=-1)


def _isotropic(rng: np.random.Generator, n: int) -> np.ndarray:
    c = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    s = np.sqrt(1.0 - c * c)
    return np.stack([s * np.cos(phi), s * np.sin(phi), c], axis=1)


def _four(e, p3):
    return np.concatenate([np.asarray(e)[:, None], p3], axis=1)


def _two_body_at_rest(rng, mass, m1, m2):
    """Isotropic two-body decay of particles at rest with masses ``mass`` (n,)."""
    n = mass.size
    p = np.sqrt(np.clip((mass**2 - (m1 + m2) ** 2) * (mass**2 - (m1 - m2) ** 2), 0.0, None)) / (
        2 * mass
    )
    d = _isotropic(rng, n) * p[:, None]
    return _four(np.sqrt(p * p + m1 * m1), d), _four(np.sqrt(p * p + m2 * m2), -d)


def _inverse_cdf_sampler(x_grid: np.ndarray, density: np.ndarray):
    """Piecewise-linear-density inverse-CDF sampler on a fine grid (returns a function)."""
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(x_grid))])
    cdf /= cdf[-1]

    def sample(rng, n):
        return np.interp(rng.random(n), cdf, x_grid)

    return sample


# ----------------------------------------------------------------------------- leptonic
def michel_density(x, cos_theta, lepton_mass: float, polarisation: float = 0.0, charge: int = -1):
    """Massive Michel spectrum d^2 Gamma / dx dcos (unnormalised) of tau -> l nu nu.

    x = E_l / W, W = (M^2 + m^2)/(2M) the largest lepton energy, x0 = m/W <= x <= 1;
    theta is the angle between the lepton and the tau spin. With rho = delta = 3/4,
    eta = 0, xi = 1 (V-A):

        sqrt(x^2 - x0^2) [F_IS(x) - q P cos(theta) F_AS(x)],
        F_IS = x (1 - x) + (1/6)(4 x^2 - 3 x - x0^2),
        F_AS = (1/3) sqrt(x^2 - x0^2) [1 - x + (1/2)(4 x - 4 + sqrt(1 - x0^2))],

    with q = -1 for tau- (and the sign chosen so that a tau- emits its lepton against its
    spin at the endpoint), q = +1 for tau+. Massless limit: x^2 [(3 - 2x) + q P cos (2x - 1)]/6.

    Parameters
    ----------
    x, cos_theta : array_like
        Scaled energy and cos(theta) in the tau rest frame.
    lepton_mass : float
        m_e or m_mu in GeV.
    polarisation : float
        Tau polarisation P along the axis theta is measured from, in [-1, 1].
    charge : int
        -1 for tau-, +1 for tau+.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    PDG review "Muon decay parameters" (Fetscher, Gerber), the d^2Gamma/dx dcos formula
    with F_IS and F_AS, applied to the tau (Tsai 1971).

    >>> round(float(michel_density(1.0, 0.0, 0.0)), 6)  # x^2 (3 - 2x)/6 at x = 1
    0.166667
    """
    x = np.asarray(x, dtype=float)
    c = np.asarray(cos_theta, dtype=float)
    in_range("polarisation", polarisation, -1.0, 1.0)
    w = (M_TAU**2 + lepton_mass**2) / (2.0 * M_TAU)
    x0 = lepton_mass / w
    root = np.sqrt(np.clip(x * x - x0 * x0, 0.0, None))
    f_is = x * (1.0 - x) + (4.0 * x * x - 3.0 * x - x0 * x0) / 6.0
    f_as = root / 3.0 * (1.0 - x + 0.5 * (4.0 * x - 4.0 + math.sqrt(1.0 - x0 * x0)))
    inside = (x >= x0) & (x <= 1.0)
    return np.where(inside, root * (f_is + charge * polarisation * c * f_as), 0.0)


def _michel_parts(x, lepton_mass):
    w = (M_TAU**2 + lepton_mass**2) / (2.0 * M_TAU)
    x0 = lepton_mass / w
    root = np.sqrt(np.clip(x * x - x0 * x0, 0.0, None))
    f_is = x * (1.0 - x) + (4.0 * x * x - 3.0 * x - x0 * x0) / 6.0
    f_as = root / 3.0 * (1.0 - x + 0.5 * (4.0 * x - 4.0 + math.sqrt(1.0 - x0 * x0)))
    return w, x0, root, f_is, f_as


@lru_cache(maxsize=4)
def _michel_max(lepton_mass: float) -> float:
    x = np.linspace(0.0, 1.0, 20001)
    return 1.02 * float(np.max(michel_density(x, 0.0, lepton_mass)))


def _leptonic(rng, n, lepton_mass):
    """tau- -> l- nu-bar nu at rest (unpolarised), polarimeter -(F_AS/F_IS) n_l."""
    w, x0, *_ = _michel_parts(np.array([1.0]), lepton_mass)
    f_max = _michel_max(lepton_mass)
    x = np.empty(n)
    pending = np.arange(n)
    while pending.size:
        xt = rng.uniform(x0, 1.0, pending.size)
        ok = rng.random(pending.size) * f_max < michel_density(xt, 0.0, lepton_mass)
        x[pending[ok]] = xt[ok]
        pending = pending[~ok]
    _, _, root, f_is, f_as = _michel_parts(x, lepton_mass)
    e_l = x * w
    p_l = w * root
    n_l = _isotropic(rng, n)
    lep = _four(e_l, p_l[:, None] * n_l)
    pair = np.zeros((n, 4))
    pair[:, 0] = M_TAU - e_l
    pair[:, 1:] = -lep[:, 1:]
    m_pair = np.sqrt(np.clip(_dot(pair, pair), 1e-18, None))
    nu1, nu2 = _two_body_at_rest(rng, m_pair, 0.0, 0.0)
    beta = pair[:, 1:] / pair[:, :1]
    nu1, nu2 = boost(nu1, beta), boost(nu2, beta)
    h = -(f_as / f_is)[:, None] * n_l
    return [lep, nu1, nu2], h


def _meson(rng, n, m_meson):
    """tau- -> P- nu at rest, h = n_P."""
    meson, nu = _two_body_at_rest(rng, np.full(n, M_TAU), m_meson, 0.0)
    h = meson[:, 1:] / np.linalg.norm(meson[:, 1:], axis=1, keepdims=True)
    return [meson, nu], h


# ----------------------------------------------------------------------------- rho
def _rho_width(q2):
    def p_pi(s):
        return np.sqrt(np.clip(s / 4.0 - M_PI**2, 0.0, None))

    return GAMMA_RHO * (M_RHO / np.sqrt(q2)) * (p_pi(q2) / p_pi(M_RHO**2)) ** 3


@lru_cache(maxsize=1)
def _rho_q2_sampler():
    lo, hi = (M_PI + M_PI0) ** 2, M_TAU**2
    q2 = np.linspace(lo, hi, 20001)
    beta3 = (
        np.clip(1.0 - (M_PI + M_PI0) ** 2 / q2, 0.0, None) ** 1.5
        * np.clip(1.0 - (M_PI - M_PI0) ** 2 / q2, 0.0, None) ** 1.5
    )
    bw = M_RHO**4 / ((q2 - M_RHO**2) ** 2 + (M_RHO * _rho_width(q2)) ** 2)
    r = q2 / M_TAU**2
    return _inverse_cdf_sampler(q2, (1.0 - r) ** 2 * (1.0 + 2.0 * r) * beta3 * bw)


def _vector_polarimeter(j, nu):
    """h = M [2 (J.N) J_vec - J^2 N_vec] / [2 (J.N)(J.P) - J^2 (N.P)] in the tau rest frame."""
    jn = _dot(j, nu)
    jj = _dot(j, j)
    omega = 2.0 * jn * (M_TAU * j[:, 0]) - jj * (M_TAU * nu[:, 0])
    return M_TAU * (2.0 * jn[:, None] * j[:, 1:] - jj[:, None] * nu[:, 1:]) / omega[:, None]


def _rho(rng, n, q2_sampler=None, m1=M_PI, m2=M_PI0):
    """tau- -> V- nu -> P1 P2 nu at rest with the exact V-A polarimeter (default: the rho,
    P1 P2 = pi- pi0; also K*(892) -> K pi and K- K0 via :func:`_vector_channel`)."""
    q2 = (q2_sampler or _rho_q2_sampler())(rng, n)
    q = np.sqrt(q2)
    rho, nu = _two_body_at_rest(rng, np.full(n, M_TAU), q, 0.0)
    # P1 angle psi to the V direction in the V frame: M^2 cos^2 + Q^2 sin^2
    cos_psi = np.empty(n)
    pending = np.arange(n)
    while pending.size:
        c = rng.uniform(-1.0, 1.0, pending.size)
        qq = q2[pending]
        ok = rng.random(pending.size) * M_TAU**2 < qq + (M_TAU**2 - qq) * c * c
        cos_psi[pending[ok]] = c[ok]
        pending = pending[~ok]
    axis = rho[:, 1:] / np.linalg.norm(rho[:, 1:], axis=1, keepdims=True)
    ref = np.where(np.abs(axis[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    ex = np.cross(ref, axis)
    ex /= np.linalg.norm(ex, axis=1, keepdims=True)
    ey = np.cross(axis, ex)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    sin_psi = np.sqrt(1.0 - cos_psi**2)
    direction = (
        (sin_psi * np.cos(phi))[:, None] * ex
        + (sin_psi * np.sin(phi))[:, None] * ey
        + cos_psi[:, None] * axis
    )
    p = np.sqrt(np.clip((q2 - (m1 + m2) ** 2) * (q2 - (m1 - m2) ** 2), 0.0, None)) / (2.0 * q)
    pi = _four(np.sqrt(p * p + m1**2), p[:, None] * direction)
    pi0 = _four(np.sqrt(p * p + m2**2), -p[:, None] * direction)
    beta = rho[:, 1:] / rho[:, :1]
    pi, pi0 = boost(pi, beta), boost(pi0, beta)
    big_q = pi + pi0
    d = pi - pi0
    j = d - (_dot(d, big_q) / _dot(big_q, big_q))[:, None] * big_q
    return [pi, pi0, nu], _vector_polarimeter(j, nu)


# ----------------------------------------------------------------------------- K*, K K
def _p_star(s, m1, m2):
    """Two-body momentum at invariant mass squared s (zero below threshold)."""
    lam = np.clip((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2), 0.0, None)
    return np.sqrt(lam / np.maximum(s, 1e-300)) / 2.0


def _p_wave_bw(s, mass, width, m1, m2):
    """Breit-Wigner M^2/(M^2 - s - i sqrt(s) Gamma(s)), Gamma(s) = Gamma (M/sqrt s)(p/p_M)^3."""
    gam = width * (mass / np.sqrt(s)) * (_p_star(s, m1, m2) / _p_star(mass**2, m1, m2)) ** 3
    return mass**2 / (mass**2 - s - 1j * np.sqrt(s) * gam)


@lru_cache(maxsize=8)
def _vector_q2_sampler(m1: float, m2: float, mass: float, width: float, wm1: float, wm2: float):
    """Q^2 of tau -> V nu -> P1 P2 nu: (1 - r)^2 (1 + 2 r) beta^3 |BW_V|^2 (as for the rho);
    the P-wave width of V runs with the momentum of its decay to (wm1, wm2)."""
    lo, hi = (m1 + m2) ** 2 * (1.0 + 1e-12), M_TAU**2
    q2 = np.linspace(lo, hi, 20001)
    beta3 = (
        np.clip(1.0 - (m1 + m2) ** 2 / q2, 0.0, None) ** 1.5
        * np.clip(1.0 - (m1 - m2) ** 2 / q2, 0.0, None) ** 1.5
    )
    bw2 = np.abs(_p_wave_bw(q2, mass, width, wm1, wm2)) ** 2
    r = q2 / M_TAU**2
    return _inverse_cdf_sampler(q2, (1.0 - r) ** 2 * (1.0 + 2.0 * r) * beta3 * bw2)


def _vector_channel(rng, n, pdg):
    """tau- -> V- nu -> P1 P2 nu for V = K*(892) (K pi) or the rho tail (K- K0)."""
    m1, m2 = _MASS[abs(pdg[0])], _MASS[abs(pdg[1])]
    if 211 in (abs(pdg[0]), abs(pdg[1])) or 111 in (abs(pdg[0]), abs(pdg[1])):
        sampler = _vector_q2_sampler(m1, m2, M_KSTAR, GAMMA_KSTAR, m1, m2)
    else:  # K- K0: isovector current, the tail of the rho (KS 1990 rho, pi pi width)
        sampler = _vector_q2_sampler(m1, m2, M_RHO_KS, GAMMA_RHO_KS, M_PI, M_PI)
    return _rho(rng, n, sampler, m1, m2)


# ----------------------------------------------------------------------------- a1 (KS)
def a1_width(q2):
    """Energy-dependent a1 width Gamma_a1 g(Q^2)/g(M_a1^2) in GeV (Kuehn-Santamaria).

    g(Q^2) = 4.1 (Q^2 - 9 m_pi^2)^3 [1 - 3.3 (Q^2 - 9 m_pi^2) + 5.8 (Q^2 - 9 m_pi^2)^2]
    for Q^2 < (m_rho + m_pi)^2 and 1.623 Q^2 + 10.38 - 9.32/Q^2 + 0.65/Q^4 above (GeV
    units): a parametrisation of the three-pion phase-space integral of the rho-dominated
    current (checked against :func:`a1_dalitz_density` integrated numerically in the tests).

    Parameters
    ----------
    q2 : array_like
        Three-pion invariant mass squared in GeV^2 (above (3 m_pi)^2).

    Returns
    -------
    numpy.ndarray
        Width in GeV.

    References
    ----------
    J. H. Kuehn, A. Santamaria, Z. Phys. C 48 (1990) 445 (a1 width function g(Q^2));
    S. Jadach, Z. Was, R. Decker, J. H. Kuehn, Comput. Phys. Commun. 76 (1993) 361 (TAUOLA).

    >>> round(float(a1_width(M_A1**2)), 3)
    0.599
    """
    q2 = np.asarray(q2, dtype=float)
    return GAMMA_A1 * _ks_g(q2) / _ks_g(np.array(M_A1**2))


def _ks_g(q2):
    x = q2 - 9.0 * M_PI**2
    low = 4.1 * np.clip(x, 0.0, None) ** 3 * (1.0 - 3.3 * x + 5.8 * x * x)
    safe = np.maximum(q2, 1e-6)
    high = 1.623 * safe + 10.38 - 9.32 / safe + 0.65 / safe**2
    return np.where(q2 > (M_RHO_KS + M_PI) ** 2, high, low)


def _rho_form_factor(s):
    """B_rho(s) = [BW_rho(s) + beta BW_rho'(s)]/(1 + beta), pion P-wave widths (KS 1990)."""
    return (
        _p_wave_bw(s, M_RHO_KS, GAMMA_RHO_KS, M_PI, M_PI)
        + BETA_RHO_PRIME * _p_wave_bw(s, M_RHO_PRIME, GAMMA_RHO_PRIME, M_PI, M_PI)
    ) / (1.0 + BETA_RHO_PRIME)


def a1_dalitz_density(q2, s13, s23, masses):
    """-V.V* of the Kuehn-Santamaria three-pion current without the a1 propagator.

    V = B_rho(s13) V1 + B_rho(s23) V2, V1 = (q1 - q3) - Q Q.(q1 - q3)/Q^2,
    V2 = (q2 - q3) - Q Q.(q2 - q3)/Q^2, Q = q1 + q2 + q3; pions 1 and 2 are the identical
    ones (pi- pi- of pi- pi- pi+, pi0 pi0 of pi- pi0 pi0: Bose symmetric), s_i3 = (q_i +
    q3)^2. Written with the invariants only (Lorentz invariant, >= 0 inside the Dalitz plot):
    it is |V|^2 in the three-pion rest frame. The full current is BW_a1(Q^2) V (up to a
    constant), BW_a1 = M^2 / (M^2 - Q^2 - i M Gamma_a1(Q^2)).

    Parameters
    ----------
    q2 : array_like
        Q^2 in GeV^2.
    s13, s23 : array_like
        Pair invariant masses squared in GeV^2 (broadcast with ``q2``).
    masses : tuple of float
        (m1, m2, m3) in GeV.

    Returns
    -------
    numpy.ndarray
        GeV^2.

    References
    ----------
    Kuehn & Santamaria, Z. Phys. C 48 (1990) 445, the 3 pi current (eqs. for J^mu with the
    rho form factor B_rho and beta = -0.145); Jadach et al., CPC 76 (1993) 361.

    >>> round(float(a1_dalitz_density(1.5, 0.6, 0.6, (M_PI, M_PI, M_PI))), 4)
    70.4993
    """
    m1, m2, m3 = masses
    q2, s13, s23 = (np.asarray(x, dtype=float) for x in (q2, s13, s23))
    s12 = q2 + m1 * m1 + m2 * m2 + m3 * m3 - s13 - s23
    qa = 0.5 * (m1 * m1 - s23 - m3 * m3 + s12)  # Q.(q1 - q3)
    qb = 0.5 * (m2 * m2 - s13 - m3 * m3 + s12)  # Q.(q2 - q3)
    aa = 2.0 * (m1 * m1 + m3 * m3) - s13
    bb = 2.0 * (m2 * m2 + m3 * m3) - s23
    # a.b = q1.q2 - q1.q3 - q2.q3 + m3^2 with 2 q_i.q_j = s_ij - m_i^2 - m_j^2
    ab = 0.5 * (s12 - m1 * m1 - m2 * m2) - 0.5 * (s13 - m1 * m1 - m3 * m3)
    ab = ab - 0.5 * (s23 - m2 * m2 - m3 * m3) + m3 * m3
    v11 = aa - qa * qa / q2
    v22 = bb - qb * qb / q2
    v12 = ab - qa * qb / q2
    b1 = _rho_form_factor(s13)
    b2 = _rho_form_factor(s23)
    return -(np.abs(b1) ** 2 * v11 + np.abs(b2) ** 2 * v22 + 2.0 * np.real(b1 * np.conj(b2)) * v12)


def _dalitz_s23_limits(q2, s13, masses):
    """Range of s23 at fixed s13 (PDG Kinematics review, Dalitz-plot boundary)."""
    m1, m2, m3 = masses
    rs = np.sqrt(s13)
    e3 = (s13 - m1 * m1 + m3 * m3) / (2.0 * rs)
    e2 = (q2 - s13 - m2 * m2) / (2.0 * rs)
    p3 = np.sqrt(np.clip(e3 * e3 - m3 * m3, 0.0, None))
    p2 = np.sqrt(np.clip(e2 * e2 - m2 * m2, 0.0, None))
    return (e2 + e3) ** 2 - (p2 + p3) ** 2, (e2 + e3) ** 2 - (p2 - p3) ** 2


@lru_cache(maxsize=4)
def _a1_tables(masses: tuple[float, float, float]):
    """Q^2 grid with the Dalitz integral I(Q^2) = int ds13 ds23 (-V.V*)/Q^2 and the envelope
    1.15 x max(-V.V* / g) of the proposal density g (midpoint rule on an 80 x 80 grid in
    s13 and the s23 fraction)."""
    m1, m2, m3 = masses
    lo = (m1 + m2 + m3) ** 2
    q2 = lo + (M_TAU**2 - lo) * np.linspace(0.0, 1.0, 161)[1:] ** 1.5
    k = 80
    t = (np.arange(k) + 0.5) / k
    s_lo = (m1 + m3) ** 2
    s_hi = (np.sqrt(q2) - m2) ** 2
    s13 = s_lo + (s_hi - s_lo)[:, None] * t[None, :]
    a, b = _dalitz_s23_limits(q2[:, None], s13, masses)
    s23 = a[..., None] + (b - a)[..., None] * t[None, None, :]
    f = a1_dalitz_density(q2[:, None, None], s13[..., None], s23, masses)
    integral = np.mean(f * (b - a)[..., None], axis=(1, 2)) * (s_hi - s_lo) / q2
    g = _dalitz_proposal_density(q2[:, None, None], s13[..., None], s23, masses)
    env = 1.15 * (f / g).max(axis=(1, 2))
    env = np.maximum(env, np.concatenate([env[1:], env[-1:]]))  # cover the next node too
    return np.concatenate([[lo], q2]), np.concatenate([[0.0], integral]), env


def a1_mass_density(q2, masses=(M_PI, M_PI, M_PI)):
    """Unnormalised dGamma/dQ^2 of tau -> a1 nu -> 3 pi nu in the Kuehn-Santamaria model.

    (1 - Q^2/M^2)^2 (1 + 2 Q^2/M^2) (M^2/Q^2) |BW_a1(Q^2)|^2 I(Q^2), with
    I(Q^2) = int dPhi_3 (-V.V*) the Dalitz integral of :func:`a1_dalitz_density` (tabulated,
    interpolated); the angular average of the V-A lepton tensor gives the factor
    (M^2 - Q^2)(M^2 + 2 Q^2)/Q^2.

    Parameters
    ----------
    q2 : array_like
        Q^2 in GeV^2.
    masses : tuple of float
        (m1, m2, m3): pi- pi- pi+ (default) or pi0 pi0 pi-.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    Kuehn & Santamaria, Z. Phys. C 48 (1990) 445; Jadach et al., CPC 76 (1993) 361.
    """
    grid, integral, _ = _a1_tables(tuple(float(m) for m in masses))
    q2 = np.asarray(q2, dtype=float)
    r = q2 / M_TAU**2
    bw2 = M_A1**4 / ((M_A1**2 - q2) ** 2 + (M_A1 * a1_width(q2)) ** 2)
    inside = (q2 > grid[0]) & (q2 < M_TAU**2)
    dens = (1.0 - r) ** 2 * (1.0 + 2.0 * r) / np.where(inside, r, 1.0) * bw2
    return np.where(inside, dens * np.interp(q2, grid, integral), 0.0)


@lru_cache(maxsize=4)
def _a1_q2_sampler(masses: tuple[float, float, float]):
    grid = _a1_tables(masses)[0]
    q2 = np.linspace(grid[0], M_TAU**2, 8001)
    return _inverse_cdf_sampler(q2, a1_mass_density(q2, masses))


def hadronic_polarimeter(current, neutrino):
    """Decay weight omega and polarimeter h of tau- -> nu + hadrons for a complex current.

    |M|^2 ~ (P - M s).Pi with, for the V-A coupling nu-bar gamma_mu (1 - gamma5) tau J^mu,

        Pi^mu = 2 Re(N.J) Re J^mu + 2 Im(N.J) Im J^mu - (J.J*) N^mu + E^mu,
        K.E = -2 eps_{abcd} N^a (Re J)^b K^c (Im J)^d   (eps_{0123} = +1),

    so that omega = P.Pi = M Pi^0 and h = Pi_vec / Pi^0 in the tau rest frame (decay
    density omega (1 + h.s)). For a real current this is the vector-meson formula of
    :func:`_vector_polarimeter`; the eps term (Im parts: rho-rho interference of the a1
    current) is checked against an explicit Dirac-matrix trace in the tests.

    Parameters
    ----------
    current : numpy.ndarray (n, 4), complex
        Hadronic current J^mu in the tau rest frame (GeV).
    neutrino : numpy.ndarray (n, 4)
        Neutrino four-momentum in the tau rest frame (GeV).

    Returns
    -------
    omega : numpy.ndarray (n,)
        Unpolarised weight P.Pi (GeV^3 times the units of J^2).
    h : numpy.ndarray (n, 3)

    References
    ----------
    Jadach, Kuehn, Was, CPC 64 (1991) 275 (omega, h and the Pi, Pi5 vectors); Jadach, Was,
    Decker, Kuehn, CPC 76 (1993) 361.

    >>> p = (M_TAU**2 - M_PI**2) / (2 * M_TAU)  # tau- -> pi- nu, J = p_pi: h = n_pi
    >>> pion = np.array([[math.hypot(p, M_PI), 0.0, 0.0, p]])
    >>> nu = np.array([[p, 0.0, 0.0, -p]])
    >>> np.round(hadronic_polarimeter(pion.astype(complex), nu)[1], 12) + 0.0
    array([[0., 0., 1.]])
    """
    re, im = np.real(current), np.imag(current)
    nj_re, nj_im = _dot(neutrino, re), _dot(neutrino, im)
    jj = _dot(re, re) + _dot(im, im)
    pi = 2.0 * nj_re[:, None] * re + 2.0 * nj_im[:, None] * im - jj[:, None] * neutrino
    # e_c = eps_{a b c d} N^a R^b I^d = (-1)^c det3([N; R; I] without column c)
    rows = np.stack([neutrino, re, im], axis=1)  # (n, 3, 4)
    e_cov = np.empty_like(neutrino)
    for c in range(4):
        cols = [k for k in range(4) if k != c]
        e_cov[:, c] = (-1) ** c * _det3(rows[:, :, cols])
    pi[:, 0] -= 2.0 * e_cov[:, 0]
    pi[:, 1:] += 2.0 * e_cov[:, 1:]
    return M_TAU * pi[:, 0], pi[:, 1:] / pi[:, :1]


def _det3(m):
    return (
        m[:, 0, 0] * (m[:, 1, 1] * m[:, 2, 2] - m[:, 1, 2] * m[:, 2, 1])
        - m[:, 0, 1] * (m[:, 1, 0] * m[:, 2, 2] - m[:, 1, 2] * m[:, 2, 0])
        + m[:, 0, 2] * (m[:, 1, 0] * m[:, 2, 1] - m[:, 1, 1] * m[:, 2, 0])
    )


def a1_current(q1, q2, q3):
    """Kuehn-Santamaria current BW_a1(Q^2) [B_rho(s13) V1 + B_rho(s23) V2] (complex, (n, 4)).

    Pions 1 and 2 are the identical ones; V1, V2 as in :func:`a1_dalitz_density`. The
    normalisation constant (f_pi, G_F, V_ud) is dropped.

    Parameters
    ----------
    q1, q2, q3 : numpy.ndarray (n, 4)
        Pion four-momenta (any frame), GeV.

    Returns
    -------
    numpy.ndarray (n, 4), complex

    References
    ----------
    Kuehn & Santamaria, Z. Phys. C 48 (1990) 445; Jadach et al., CPC 76 (1993) 361.
    """
    big_q = q1 + q2 + q3
    qq = _dot(big_q, big_q)
    a, b = q1 - q3, q2 - q3
    v1 = a - (_dot(big_q, a) / qq)[:, None] * big_q
    v2 = b - (_dot(big_q, b) / qq)[:, None] * big_q
    s13, s23 = _dot(q1 + q3, q1 + q3), _dot(q2 + q3, q2 + q3)
    bw = M_A1**2 / (M_A1**2 - qq - 1j * M_A1 * a1_width(qq))
    return bw[:, None] * (_rho_form_factor(s13)[:, None] * v1 + _rho_form_factor(s23)[:, None] * v2)


def _random_rotations(rng, n):
    """Uniformly distributed rotation matrices (n, 3, 3) from unit quaternions."""
    q = rng.standard_normal((n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=1,
    )


@lru_cache(maxsize=1)
def _rho_form_factor_table():
    """B_rho(s) on a fine grid over the pion-pair range of tau decays (for fast lookup)."""
    s = np.linspace(4.0 * M_PI0**2, (M_TAU - M_PI0) ** 2, 6001)
    b = _rho_form_factor(s)
    return s, np.ascontiguousarray(b.real), np.ascontiguousarray(b.imag)


def _rho_form_factor_fast(s):
    """Linear interpolation of :func:`_rho_form_factor` (uniform grid, spacing 5e-4 GeV^2)."""
    grid, re, im = _rho_form_factor_table()
    x = (s - grid[0]) / (grid[1] - grid[0])
    i = np.clip(x.astype(np.int64), 0, grid.size - 2)
    f = x - i
    return (re[i] + f * (re[i + 1] - re[i])) + 1j * (im[i] + f * (im[i + 1] - im[i]))


def _cauchy_bounds(lo, hi):
    """Angles of the rho Cauchy proposal s = M^2 + M Gamma tan(theta) on [lo, hi]."""
    mg = M_RHO_KS * GAMMA_RHO_KS
    return np.arctan((lo - M_RHO_KS**2) / mg), np.arctan((hi - M_RHO_KS**2) / mg)


def _dalitz_proposal_density(q2, a, b, masses):
    """Proposal density of (s13, s23) on the box: (c(s13) u(s23) + u(s13) c(s23))/2, c the
    rho Cauchy density truncated to the box, u uniform."""
    m1, m2, m3 = masses
    q = np.sqrt(q2)
    lo_a, hi_a = (m1 + m3) ** 2, (q - m2) ** 2
    lo_b, hi_b = (m2 + m3) ** 2, (q - m1) ** 2
    mg = M_RHO_KS * GAMMA_RHO_KS

    def cauchy(x, lo, hi):
        t_lo, t_hi = _cauchy_bounds(lo, hi)
        return 1.0 / (mg * (t_hi - t_lo) * (1.0 + ((x - M_RHO_KS**2) / mg) ** 2))

    return 0.5 * (cauchy(a, lo_a, hi_a) / (hi_b - lo_b) + cauchy(b, lo_b, hi_b) / (hi_a - lo_a))


def _a1(rng, n, pdg):
    """tau- -> a1- nu -> 3 pi nu with the Kuehn-Santamaria current and the exact V-A matrix
    element with the tau spin (module docstring).

    Q^2 from :func:`a1_mass_density`; the Dalitz point (s13, s23) by accept-reject on
    -V.V* (:func:`a1_dalitz_density`; proposal: one pair mass from the rho Cauchy law, the
    other uniform); in the three-pion rest frame the
    neutrino direction u is drawn uniformly and accepted with the probability
    omega / [|V|^2 |n| (2 |n| + 2 Q)], where
    omega = 2 |n|^2 |u.V|^2 + Q |n| |V|^2 - 2 Q |n| u.(Re V x Im V) >= 0 is P.Pi of
    :func:`hadronic_polarimeter` in that frame (|n| = (M^2 - Q^2)/(2 Q)); the whole decay is
    then rotated uniformly (the unpolarised density is isotropic) and h computed in the tau
    rest frame."""
    masses = tuple(_MASS[abs(c)] for c in pdg[:3])
    m1, m2, m3 = masses
    grid, _, env_table = _a1_tables(masses)
    q2 = _a1_q2_sampler(masses)(rng, n)
    env = np.interp(q2, grid[1:], env_table)
    q = np.sqrt(q2)
    # ---- Dalitz point (s13, s23) by accept-reject on -V.V*
    s13 = np.empty(n)
    s23 = np.empty(n)
    pending = np.arange(n)
    for _ in range(10_000):
        qq, qp = q2[pending], q[pending]
        k = pending.size
        lo_a, hi_a = (m1 + m3) ** 2, (qp - m2) ** 2
        lo_b, hi_b = (m2 + m3) ** 2, (qp - m1) ** 2
        first = rng.random(k) < 0.5  # which of s13, s23 follows the rho Cauchy law
        c_lo, c_hi = np.where(first, lo_a, lo_b), np.where(first, hi_a, hi_b)
        t_lo, t_hi = _cauchy_bounds(c_lo, c_hi)
        c = M_RHO_KS**2 + M_RHO_KS * GAMMA_RHO_KS * np.tan(t_lo + (t_hi - t_lo) * rng.random(k))
        w = rng.random(k)
        a = np.where(first, c, lo_a + (hi_a - lo_a) * w)
        b = np.where(first, lo_b + (hi_b - lo_b) * w, c)
        lo, hi = _dalitz_s23_limits(qq, a, masses)
        inside = (b > lo) & (b < hi)
        f = _dalitz_fast(qq, a, b, masses) / _dalitz_proposal_density(qq, a, b, masses)
        ok = inside & (rng.random(pending.size) * env[pending] < f)
        s13[pending[ok]] = a[ok]
        s23[pending[ok]] = b[ok]
        pending = pending[~ok]
        if pending.size == 0:
            break
    # ---- pion momenta in the 3 pi rest frame: 1 along z, 2 in the xz plane
    s12 = q2 + m1 * m1 + m2 * m2 + m3 * m3 - s13 - s23
    e1 = (q2 + m1 * m1 - s23) / (2.0 * q)
    e2 = (q2 + m2 * m2 - s13) / (2.0 * q)
    p1 = np.sqrt(np.clip(e1 * e1 - m1 * m1, 0.0, None))
    p2 = np.sqrt(np.clip(e2 * e2 - m2 * m2, 0.0, None))
    c12 = np.clip((e1 * e2 - 0.5 * (s12 - m1 * m1 - m2 * m2)) / np.maximum(p1 * p2, 1e-300), -1, 1)
    x2 = p2 * np.sqrt(1.0 - c12 * c12)
    z2 = p2 * c12
    # current V (spatial, complex) in this frame: B13 (q1 - q3) + B23 (q2 - q3), J^0 = 0
    b13 = _rho_form_factor_fast(s13)
    b23 = _rho_form_factor_fast(s23)
    d1 = np.stack([x2, np.zeros(n), z2 + 2.0 * p1], axis=1)  # q1 - q3 = 2 q1 + q2
    d2 = np.stack([2.0 * x2, np.zeros(n), 2.0 * z2 + p1], axis=1)  # q2 - q3 = q1 + 2 q2
    v = b13[:, None] * d1 + b23[:, None] * d2
    v_re, v_im = v.real, v.imag
    v2 = np.sum(v_re * v_re + v_im * v_im, axis=1)
    cross = np.cross(v_re, v_im)
    n_mom = (M_TAU**2 - q2) / (2.0 * q)
    u = np.empty((n, 3))
    pending = np.arange(n)
    for _ in range(10_000):
        k = pending.size
        ut = _isotropic(rng, k)
        nm, qp = n_mom[pending], q[pending]
        omega = _a1_frame_omega(ut, v_re[pending], v_im[pending], cross[pending], nm, qp)
        bound = v2[pending] * nm * (2.0 * nm + 2.0 * qp)
        ok = rng.random(k) * bound < omega
        u[pending[ok]] = ut[ok]
        pending = pending[~ok]
        if pending.size == 0:
            break
    # ---- to the tau rest frame (tau moves along u in the 3 pi frame), random orientation
    body = np.zeros((n, 4, 4))  # pi1, pi2, pi3, nu in the 3 pi frame
    body[:, 0] = np.stack([e1, np.zeros(n), np.zeros(n), p1], axis=1)
    body[:, 1] = np.stack([e2, x2, np.zeros(n), z2], axis=1)
    body[:, 2, 0] = q - e1 - e2
    body[:, 2, 1:] = -body[:, 0, 1:] - body[:, 1, 1:]
    body[:, 3, 0] = n_mom
    body[:, 3, 1:] = n_mom[:, None] * u
    beta_tau = n_mom[:, None] * u / (q + n_mom)[:, None]
    rot = _random_rotations(rng, n)
    out = []
    for i in range(4):
        p = boost(body[:, i], -beta_tau)
        p[:, 1:] = np.einsum("nij,nj->ni", rot, p[:, 1:])
        out.append(p)
    _, h = hadronic_polarimeter(a1_current(out[0], out[1], out[2]), out[3])
    return out, h


def _a1_frame_omega(u, v_re, v_im, cross, n_mom, q):
    """P.Pi of :func:`hadronic_polarimeter` in the hadron rest frame for J = (0, V):
    2 |n|^2 |u.V|^2 + Q |n| |V|^2 - 2 Q |n| u.(Re V x Im V), neutrino |n| u."""
    uv_re = np.sum(u * v_re, axis=1)
    uv_im = np.sum(u * v_im, axis=1)
    v2 = np.sum(v_re * v_re + v_im * v_im, axis=1)
    return (
        2.0 * n_mom * n_mom * (uv_re * uv_re + uv_im * uv_im)
        + q * n_mom * v2
        - 2.0 * q * n_mom * np.sum(u * cross, axis=1)
    )


def _dalitz_fast(q2, s13, s23, masses):
    """:func:`a1_dalitz_density` with the tabulated rho form factor (generator speed)."""
    m1, m2, m3 = masses
    s12 = q2 + m1 * m1 + m2 * m2 + m3 * m3 - s13 - s23
    qa = 0.5 * (m1 * m1 - s23 - m3 * m3 + s12)
    qb = 0.5 * (m2 * m2 - s13 - m3 * m3 + s12)
    ab = 0.5 * (s12 - s13 - s23) + 2.0 * m3 * m3  # (q1 - q3).(q2 - q3)
    v11 = 2.0 * (m1 * m1 + m3 * m3) - s13 - qa * qa / q2
    v22 = 2.0 * (m2 * m2 + m3 * m3) - s23 - qb * qb / q2
    v12 = ab - qa * qb / q2
    b1 = _rho_form_factor_fast(s13)
    b2 = _rho_form_factor_fast(s23)
    b1r, b1i, b2r, b2i = b1.real, b1.imag, b2.real, b2.imag
    return -(
        (b1r * b1r + b1i * b1i) * v11
        + (b2r * b2r + b2i * b2i) * v22
        + 2.0 * (b1r * b2r + b1i * b2i) * v12
    )


@lru_cache(maxsize=4)
def _rambo_max_weight(masses: tuple[float, ...]) -> float:
    """1.3 x the largest RAMBO weight of a fixed-seed pilot run (deterministic envelope)."""
    _, w = rambo(np.random.default_rng(7), 100_000, M_TAU, list(masses))
    return 1.3 * float(w.max())


def _phase_space(rng, n, pdg):
    """Flat n-body phase space (RAMBO, unweighted against a cached envelope), h = 0."""
    masses = tuple(_MASS[abs(c)] for c in pdg)
    w_max = _rambo_max_weight(masses)
    parts, n_have = [], 0
    while n_have < n:
        k = 2 * (n - n_have) + 16
        p, w = rambo(rng, k, M_TAU, list(masses))
        keep = rng.random(k) * w_max < w
        parts.append(p[keep])
        n_have += int(keep.sum())
    p = np.concatenate(parts)[:n]
    return [p[:, i] for i in range(len(pdg))], np.zeros((n, 3))


# ----------------------------------------------------------------------------- public
def channel_indices(names) -> np.ndarray:
    """Indices into :data:`TAU_DECAY_CHANNELS` of the channels called ``names`` (sorted,
    without repeats); an unknown or empty list is a one-line :class:`ConfigError`.

    >>> channel_indices(["pi", "mu"]).tolist()
    [1, 2]
    """
    known = [c.name for c in TAU_DECAY_CHANNELS]
    names = list(names)
    if not names:
        raise ConfigError(f"tau decay channels: the list is empty; allowed names: {known}")
    bad = [nm for nm in names if nm not in known]
    if bad:
        raise ConfigError(f"tau decay channels {bad} unknown; allowed names: {known}")
    return np.array(sorted({known.index(nm) for nm in names}), dtype=np.int64)


def channel_fraction(names) -> float:
    """Sum of the branching fractions of the channels called ``names``.

    >>> round(channel_fraction(["mu"]), 4)
    0.1739
    """
    return float(sum(TAU_DECAY_CHANNELS[i].branching_ratio for i in channel_indices(names)))


def sample_tau_decays(rng: np.random.Generator, n: int, channel=None, allowed=None) -> TauDecays:
    """Unpolarised tau- decays at rest with their polarimeter vectors.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of decays.
    channel : array_like of int (n,), optional
        Channel indices into :data:`TAU_DECAY_CHANNELS`; default: drawn from the
        branching fractions.
    allowed : array_like of int, optional
        Draw only among these channel indices (branching fractions renormalised to their
        sum); default all. Ignored when ``channel`` is given.

    Returns
    -------
    TauDecays
    """
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    brs = np.array([c.branching_ratio for c in TAU_DECAY_CHANNELS])
    if channel is None and allowed is not None:
        sub = np.asarray(allowed, dtype=np.int64)
        k = np.searchsorted(np.cumsum(brs[sub]), rng.random(n) * brs[sub].sum(), side="right")
        channel = sub[np.minimum(k, sub.size - 1)]
    if channel is None:
        channel = np.searchsorted(np.cumsum(brs), rng.random(n) * brs.sum(), side="right")
        channel = np.minimum(channel, len(brs) - 1)
    channel = np.asarray(channel, dtype=np.int64)
    p4 = np.zeros((n, MAX_DAUGHTERS, 4))
    pdg = np.zeros((n, MAX_DAUGHTERS), dtype=np.int32)
    h = np.zeros((n, 3))
    for ic, ch in enumerate(TAU_DECAY_CHANNELS):
        idx = np.flatnonzero(channel == ic)
        k = idx.size
        if k == 0:
            continue
        if ch.model == "lepton":
            parts, hh = _leptonic(rng, k, _MASS[ch.pdg[0]])
        elif ch.model == "meson":
            parts, hh = _meson(rng, k, _MASS[abs(ch.pdg[0])])
        elif ch.model == "rho":
            parts, hh = _rho(rng, k)
        elif ch.model == "vector":
            parts, hh = _vector_channel(rng, k, ch.pdg)
        elif ch.model == "a1":
            parts, hh = _a1(rng, k, ch.pdg)
        else:
            parts, hh = _phase_space(rng, k, ch.pdg)
        for j, part in enumerate(parts):
            p4[idx, j] = part
        pdg[idx, : len(ch.pdg)] = ch.pdg
        h[idx] = hh
    return TauDecays(channel=channel, p4=p4, pdg=pdg, polarimeter=h)


def spin_correlation_matrix(cos_theta, beta) -> np.ndarray:
    """Tau-pair spin-correlation matrix C_ij (..., 3, 3) of e+e- -> gamma* -> tau+ tau-.

    Axes and formulas in the module docstring (Tsai 1971; Bernreuther, Nachtmann,
    Overmann 1993). trace C = 1.

    Parameters
    ----------
    cos_theta : array_like
        cos of the tau- angle to the e- beam in the pair rest frame.
    beta : array_like
        Tau velocity in the pair rest frame.

    Returns
    -------
    numpy.ndarray

    >>> c = spin_correlation_matrix(0.3, 0.94)
    >>> round(float(np.trace(c)), 12)
    1.0
    """
    c = np.asarray(cos_theta, dtype=float)
    b = np.asarray(beta, dtype=float)
    c, b = np.broadcast_arrays(c, b)
    s2 = 1.0 - c * c
    s = np.sqrt(s2)
    inv_g2 = 1.0 - b * b
    norm = 1.0 + c * c + s2 * inv_g2
    out = np.zeros((*c.shape, 3, 3))
    out[..., 0, 0] = (1.0 + inv_g2) * s2 / norm
    out[..., 1, 1] = -b * b * s2 / norm
    out[..., 2, 2] = (1.0 + c * c - s2 * inv_g2) / norm
    out[..., 0, 2] = out[..., 2, 0] = -2.0 * np.sqrt(inv_g2) * s * c / norm
    return out


def sample_tau_pair_decays(
    rng: np.random.Generator,
    cos_theta,
    beta,
    *,
    spin_correlations: bool = True,
    channels=None,
) -> tuple[TauDecays, TauDecays, dict]:
    """Decays of tau- and tau+ at rest with Born-level spin correlations.

    Both decays are given in the common axes of the module docstring (z along the tau-
    momentum in the pair frame); the tau+ decay is the CP mirror of a tau- decay
    (momenta -p, charge-conjugate PDG codes, same h). The joint density 1 + h-^T C h+ is
    generated exactly as an unpolarised tau- decay (its marginal) times the conditional
    tau+ density 1 + h+ . (C^T h-), by accept-reject of tau+ decays (channels included).

    With ``channels`` both taus decay only into those channels. This is exact: the
    polarimeter vector of every channel averages to zero over its unpolarised phase space
    (the density 1 + h . s is normalised for every spin s), so the correlation term drops
    out of the channel probabilities: both taus fall in the subset with probability
    f^2, f the sum of its branching fractions, the tau- then decays unpolarised with the
    renormalised branching fractions and the tau+ follows from the same conditional
    density restricted to the subset. The caller weights the events by f^2.

    Parameters
    ----------
    rng : numpy.random.Generator
    cos_theta, beta : array_like (n,)
        Production angle of the tau- and tau velocity in the pair rest frame.
    spin_correlations : bool
        False: independent unpolarised decays.
    channels : array_like of int, optional
        Indices into :data:`TAU_DECAY_CHANNELS` (:func:`channel_indices`); default all.

    Returns
    -------
    minus, plus : TauDecays
    info : dict
        ``{"spin_efficiency": n / (tau+ decays proposed)}``.
    """
    cos_theta = np.asarray(cos_theta, dtype=float)
    n = cos_theta.size
    minus = sample_tau_decays(rng, n, allowed=channels)
    plus = sample_tau_decays(rng, n, allowed=channels)
    n_prop = n
    if spin_correlations:
        # tau+ from its conditional density given the tau- decay: 1 + h+ . s with
        # s = C^T h- (|s| <= 1), accepted with probability (1 + h+ . s)/(1 + |s|)
        corr = spin_correlation_matrix(cos_theta, beta)
        s_eff = np.einsum("ni,nij->nj", minus.polarimeter, corr)
        bound = 1.0 + np.linalg.norm(s_eff, axis=1)
        pending = np.arange(n)
        cand = plus
        for _ in range(1000):
            w = 1.0 + np.einsum("ni,ni->n", cand.polarimeter, s_eff[pending])
            if np.any(w > bound[pending] + 1e-9) or np.any(w < -1e-9):
                raise ConfigError(f"spin-correlation weight {w.max():g} outside [0, 2]")
            ok = rng.random(pending.size) * bound[pending] < w
            if cand is not plus:
                take = pending[ok]
                plus.channel[take] = cand.channel[ok]
                plus.p4[take] = cand.p4[ok]
                plus.pdg[take] = cand.pdg[ok]
                plus.polarimeter[take] = cand.polarimeter[ok]
            pending = pending[~ok]
            if pending.size == 0:
                break
            cand = sample_tau_decays(rng, pending.size, allowed=channels)
            n_prop += pending.size
        else:  # pragma: no cover
            raise ConfigError("spin-correlation accept-reject did not converge")
    # CP mirror for the tau+: parity-flipped momenta, charge-conjugate codes, same h
    plus_p4 = plus.p4.copy()
    plus_p4[..., 1:] *= -1.0
    plus = TauDecays(
        channel=plus.channel,
        p4=plus_p4,
        pdg=_charge_conjugate(plus.pdg),
        polarimeter=plus.polarimeter,
    )
    return minus, plus, {"spin_efficiency": n / n_prop}


def _charge_conjugate(pdg: np.ndarray) -> np.ndarray:
    """Antiparticle codes; pi0, K_S, K_L are self-conjugate, 0 marks an empty slot."""
    return np.where(np.isin(pdg, _SELF_CONJUGATE), pdg, -pdg).astype(np.int32)
