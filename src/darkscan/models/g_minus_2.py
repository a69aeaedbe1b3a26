"""One-loop contribution of a new light mediator to the muon anomalous magnetic moment.

A boson of mass M coupling to the muon with a vector (g_V mu-bar gamma^mu mu V_mu), scalar
(g_S mu-bar mu S) or pseudoscalar (i g_P mu-bar gamma_5 mu P) coupling shifts a_mu by

    vector:       Delta a = g^2/(4 pi^2) int_0^1 dz z (1-z)^2      / D(z),
    scalar:       Delta a = g^2/(8 pi^2) int_0^1 dz (1-z)^2 (1+z)  / D(z),
    pseudoscalar: Delta a = -g^2/(8 pi^2) int_0^1 dz (1-z)^3       / D(z),

with D(z) = (1-z)^2 + z r^2 and r = M / m_mu. Limits: for M << m_mu, g^2/(8 pi^2),
3 g^2/(16 pi^2), -g^2/(16 pi^2); for M >> m_mu, g^2 m^2/(12 pi^2 M^2),
g^2 m^2/(8 pi^2 M^2) [ln(M^2/m^2) - 7/6], -g^2 m^2/(8 pi^2 M^2) [ln(M^2/m^2) - 11/6].
The integrals are evaluated with a fixed composite Gauss-Legendre rule on geometrically
graded sub-intervals near both end points (vectorised over mass, relative accuracy
better than 1e-10 for 1e-6 < r < 1e6).

References
----------
J. P. Leveille, Nucl. Phys. B137 (1978) 63, "The second-order weak correction to (g-2) of
the muon in arbitrary gauge models" (general one-loop formulae; journal, page 63 and title
checked against the reference list of the public NMSSMTools sources).
F. Jegerlehner and A. Nyffeler, Phys. Rept. 477 (2009) 1, arXiv:0902.3360, section on
new-physics contributions (scalar, pseudoscalar and vector exchange).
M. Pospelov, Phys. Rev. D 80, 095002 (2009), arXiv:0811.1030 (vector: dark photon).

Equation and section numbers of these papers are not quoted: they could not be verified
in the 2026-11 citation audit. The integrals above are stated in full; the tests check
them against their analytic light- and heavy-mediator limits.
"""

from __future__ import annotations

import numpy as np

from darkscan import _validate
from darkscan.constants import M_MU
from darkscan.errors import PhysicsDomainError

__all__ = [
    "DELTA_A_MU_2021",
    "DELTA_A_MU_2025",
    "coupling_for_delta_a_mu",
    "delta_a_mu_pseudoscalar",
    "delta_a_mu_scalar",
    "delta_a_mu_vector",
    "lmu_ltau_g_minus_2_band",
]

#: a_mu(exp) - a_mu(SM) = (251 +- 59) x 1e-11: Muon g-2 Collaboration, PRL 126, 141801 (2021),
#: arXiv:2104.03281 (exp. average 116 592 061(41)e-11) against the 2020 White Paper SM value
#: 116 591 810(43)e-11 (T. Aoyama et al., Phys. Rept. 887 (2020) 1, arXiv:2006.04822).
DELTA_A_MU_2021 = (251e-11, 59e-11)
#: a_mu(exp) - a_mu(SM) = (38 +- 63) x 1e-11: world average 116 592 071.5(14.5)e-11 including the
#: Muon g-2 final result (arXiv:2506.03069, PRL 135, 101802 (2025)) against the 2025 Theory
#: Initiative White Paper SM value 116 592 033(62)e-11 (R. Aliberti et al., arXiv:2505.21476).
#: Unrounded: 38.5 +- 63.7 (uncertainties added in quadrature); both inputs checked in the
#: 2026-11 citation audit (WP25 abstract; world average as quoted in arXiv:2602.24190).
DELTA_A_MU_2025 = (38e-11, 63e-11)

_KINDS = ("vector", "scalar", "pseudoscalar")


def _quadrature_rule(
    n_graded: int = 45, n_gauss: int = 12
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes z, 1 - z (computed without cancellation) and weights on [0, 1].

    Sub-intervals are graded geometrically from 1e-22 to 1/2 towards both ends, where the
    integrands vary on scales 1/r^2 (heavy mediator, z -> 0) and r (light mediator, z -> 1).
    """
    x, w = np.polynomial.legendre.leggauss(n_gauss)
    edges = np.concatenate([[0.0], np.geomspace(1e-22, 0.5, n_graded)])
    lo, hi = edges[:-1, None], edges[1:, None]
    half = 0.5 * (hi - lo)
    t = lo + half * (x + 1.0)  # nodes in (0, 1/2], distance from the nearer end
    wt = half * w
    t, wt = t.ravel(), wt.ravel()
    z = np.concatenate([t, 1.0 - t])
    one_minus_z = np.concatenate([1.0 - t, t])
    weights = np.concatenate([wt, wt])
    return z, one_minus_z, weights


_Z, _OMZ, _W = _quadrature_rule()


def _integral(kind: str, r: np.ndarray) -> np.ndarray:
    """int_0^1 dz N(z)/((1-z)^2 + z r^2) for the numerator N of ``kind``, vectorised over r."""
    r2 = np.asarray(r, dtype=float)[..., None] ** 2
    z, omz = _Z, _OMZ
    denominator = omz**2 + z * r2
    if kind == "vector":
        numerator = z * omz**2
    elif kind == "scalar":
        numerator = omz**2 * (1.0 + z)
    else:
        numerator = -(omz**3)
    return np.sum(_W * numerator / denominator, axis=-1)


def _delta(kind: str, mass, coupling, m_lepton: float) -> np.ndarray:
    mass = _validate.positive("mass", mass, unit="GeV")
    coupling = _validate.as_finite("coupling", coupling)
    r = np.asarray(mass, dtype=float) / m_lepton
    prefactor = 1.0 / (4.0 * np.pi**2) if kind == "vector" else 1.0 / (8.0 * np.pi**2)
    return np.asarray(coupling, dtype=float) ** 2 * prefactor * _integral(kind, r)


def delta_a_mu_vector(mass, coupling, *, m_lepton: float = M_MU) -> np.ndarray:
    """Delta a_mu from a vector boson with vector coupling g to the muon (positive).

    Delta a = g^2/(4 pi^2) int_0^1 dz z (1-z)^2 / ((1-z)^2 + z M^2/m_mu^2); for M << m_mu it
    is g^2/(8 pi^2) = alpha'/(2 pi), for M >> m_mu g^2 m_mu^2/(12 pi^2 M^2).

    Parameters
    ----------
    mass : float or array
        Vector mass M in GeV (> 0).
    coupling : float or array
        Vector coupling g (e.g. g' of L_mu - L_tau, or epsilon * e for a dark photon).
    m_lepton : float
        Lepton mass in GeV (default the muon mass).

    Returns
    -------
    numpy.ndarray
        Delta a_mu (dimensionless), broadcast over mass and coupling.

    References
    ----------
    Leveille, Nucl. Phys. B137 (1978) 63; Pospelov, arXiv:0811.1030;
    Jegerlehner & Nyffeler, Phys. Rept. 477 (2009) 1, arXiv:0902.3360.

    Examples
    --------
    >>> round(float(delta_a_mu_vector(1e-6, 1.0) * 8 * np.pi**2), 6)  # light: g^2/(8 pi^2)
    1.0
    """
    return _delta("vector", mass, coupling, m_lepton)


def delta_a_mu_scalar(mass, coupling, *, m_lepton: float = M_MU) -> np.ndarray:
    """Delta a_mu from a scalar with Yukawa coupling g to the muon (positive).

    Delta a = g^2/(8 pi^2) int_0^1 dz (1-z)^2 (1+z) / ((1-z)^2 + z M^2/m_mu^2); light limit
    3 g^2/(16 pi^2), heavy limit g^2 m^2/(8 pi^2 M^2) [ln(M^2/m^2) - 7/6].

    Parameters
    ----------
    mass : float or array
        Scalar mass M in GeV (> 0).
    coupling : float or array
        Yukawa coupling g.
    m_lepton : float
        Lepton mass in GeV.

    Returns
    -------
    numpy.ndarray
        Delta a_mu (dimensionless).

    References
    ----------
    Leveille, Nucl. Phys. B137 (1978) 63; Jegerlehner & Nyffeler, arXiv:0902.3360.

    Examples
    --------
    >>> round(float(delta_a_mu_scalar(1e-6, 1.0) * 16 * np.pi**2 / 3), 6)
    1.0
    """
    return _delta("scalar", mass, coupling, m_lepton)


def delta_a_mu_pseudoscalar(mass, coupling, *, m_lepton: float = M_MU) -> np.ndarray:
    """Delta a_mu from a pseudoscalar with coupling i g mu-bar gamma_5 mu (negative).

    Delta a = -g^2/(8 pi^2) int_0^1 dz (1-z)^3 / ((1-z)^2 + z M^2/m_mu^2); light limit
    -g^2/(16 pi^2), heavy limit -g^2 m^2/(8 pi^2 M^2) [ln(M^2/m^2) - 11/6].

    Parameters
    ----------
    mass : float or array
        Pseudoscalar mass M in GeV (> 0).
    coupling : float or array
        Coupling g.
    m_lepton : float
        Lepton mass in GeV.

    Returns
    -------
    numpy.ndarray
        Delta a_mu (dimensionless, <= 0).

    References
    ----------
    Leveille, Nucl. Phys. B137 (1978) 63; Jegerlehner & Nyffeler, arXiv:0902.3360.

    Examples
    --------
    >>> round(float(delta_a_mu_pseudoscalar(1e-6, 1.0) * 16 * np.pi**2), 6)
    -1.0
    """
    return _delta("pseudoscalar", mass, coupling, m_lepton)


def coupling_for_delta_a_mu(kind: str, mass, delta_a_mu, *, m_lepton: float = M_MU) -> np.ndarray:
    """Coupling |g| for which a mediator of ``kind`` and ``mass`` gives ``delta_a_mu``.

    Uses Delta a proportional to g^2: g = sqrt(delta_a_mu / Delta a(g = 1)).

    Parameters
    ----------
    kind : {"vector", "scalar", "pseudoscalar"}
        Mediator type.
    mass : float or array
        Mediator mass in GeV.
    delta_a_mu : float or array
        Target shift; must have the sign of the contribution (>= 0 for vector and scalar,
        <= 0 for pseudoscalar).
    m_lepton : float
        Lepton mass in GeV.

    Returns
    -------
    numpy.ndarray
        Coupling g >= 0.

    Examples
    --------
    >>> round(float(coupling_for_delta_a_mu("vector", 1e-6, 1.0 / (8 * np.pi**2))), 6)
    1.0
    """
    if kind not in _KINDS:
        raise PhysicsDomainError(f"kind = {kind!r} is not one of {', '.join(_KINDS)}")
    delta = np.asarray(_validate.as_finite("delta_a_mu", delta_a_mu), dtype=float)
    sign = -1.0 if kind == "pseudoscalar" else 1.0
    if np.any(sign * delta < 0):
        allowed = "(-inf, 0]" if sign < 0 else "[0, inf)"
        raise PhysicsDomainError(
            f"delta_a_mu = {_validate._describe(delta[sign * delta < 0] if delta.ndim else delta)} "
            f"has the wrong sign for a {kind} mediator: allowed range {allowed}"
        )
    unit = _delta(kind, mass, 1.0, m_lepton)
    return np.sqrt(delta / unit)


def lmu_ltau_g_minus_2_band(
    m_zprime, *, delta_a_mu: tuple[float, float] = DELTA_A_MU_2021, n_sigma: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Couplings g'(m_Z') of the L_mu - L_tau Z' that explain Delta a_mu within n_sigma.

    The Z' couples to the muon vector current with g', so Delta a_mu = delta_a_mu_vector.

    Parameters
    ----------
    m_zprime : float or array
        Z' mass in GeV.
    delta_a_mu : (float, float)
        Central value and 1-sigma uncertainty, e.g. :data:`DELTA_A_MU_2021`.
    n_sigma : float
        Half-width of the band in standard deviations.

    Returns
    -------
    (g_low, g_central, g_high)
        Couplings giving Delta a = central - n sigma (0 if that is negative), central (0 if
        negative) and central + n sigma.

    References
    ----------
    Altmannshofer, Gori, Pospelov, Yavin, arXiv:1406.2332 (the g-2 band of L_mu - L_tau).

    Examples
    --------
    >>> lo, mid, hi = lmu_ltau_g_minus_2_band(0.01)
    >>> round(float(mid) * 1e4, 1)
    5.0
    """
    central, sigma = (float(v) for v in delta_a_mu)
    n_sigma = float(_validate.non_negative("n_sigma", n_sigma))
    targets = [
        max(central - n_sigma * sigma, 0.0),
        max(central, 0.0),
        max(central + n_sigma * sigma, 0.0),
    ]
    lo, mid, hi = (coupling_for_delta_a_mu("vector", m_zprime, t) for t in targets)
    return lo, mid, hi
