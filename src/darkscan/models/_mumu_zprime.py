"""Tree-level matrix element and phase space of e+ e- -> gamma* -> mu+ mu- Z'.

The Z' of the L_mu - L_tau model couples with a vector coupling ``g_prime`` to the muon and
not to the electron, so at tree level it is radiated from either final-state muon of
e+ e- -> gamma* -> mu+ mu- (two diagrams). The amplitude is

    M = (e^2 g' / s) [vbar(p+) gamma^mu u(p-)]
        ubar(k-) [ eps*slash (k-slash + q-slash + m) gamma_mu / D- +
                   gamma_mu (-k+slash - q-slash + m) eps*slash / D+ ] v(k+),

with D- = 2 k-.q + m_Z'^2 and D+ = 2 k+.q + m_Z'^2, all fermion masses kept.

Implementation choice: the amplitude is evaluated *numerically* from explicit Dirac spinors
and gamma matrices (Dirac representation, spin quantised along z), vectorised over events with
``numpy.einsum``, rather than from a trace formula. This gives every helicity amplitude for an
arbitrary Z' polarisation vector, so gauge invariance (replacing the polarisation by the Z'
momentum gives zero: the Z' couples to the conserved vector current of the muon) is a direct
numerical check, and the unpolarised |M|^2 is the exact spin and polarisation sum with the
massive-vector sum -g + q q / m_Z'^2 (its q q part vanishes by current conservation; it is
kept anyway). The Z(0) exchange is neglected (sqrt(s) << m_Z).

The phase space is sampled by sequential two-body decays, e+e- -> Z' + (mu mu), then
(mu mu) -> mu+ mu- in its rest frame with angles measured from its flight direction, so that
the soft and collinear peaks lie along single integration axes (good for VEGAS).

References
----------
M. E. Peskin and D. V. Schroeder, *An Introduction to Quantum Field Theory* (1995),
sec. 3.4 (Dirac spinors), sec. 5.1 (e+e- -> mu+mu-).
PDG Review "Kinematics", R. L. Workman et al., PTEP 2022, 083C01 (two-body phase space and
the recursive factorisation of n-body phase space).
W. Altmannshofer, S. Gori, M. Pospelov, I. Yavin, Phys. Rev. D 89, 095033 (2014),
arXiv:1403.1269 (L_mu - L_tau Z' couplings).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import vegas

from darkscan import _validate
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU
from darkscan.lorentz import boost, kallen, minkowski_dot

__all__ = [
    "amplitude_tensor",
    "boost",
    "cross_section",
    "dirac_u",
    "dirac_v",
    "helicity_amplitudes",
    "matrix_element_squared",
    "minkowski_dot",
    "sample_phase_space",
    "weighted_events",
]

#: Events per block in :func:`matrix_element_squared` (memory bound, ~5 kB per event).
_CHUNK = 50_000

#: Minkowski metric diag(+1, -1, -1, -1).
METRIC = np.diag([1.0, -1.0, -1.0, -1.0])

_SIGMA = np.array(
    [
        [[0, 1], [1, 0]],
        [[0, -1j], [1j, 0]],
        [[1, 0], [0, -1]],
    ],
    dtype=complex,
)
_I2 = np.eye(2, dtype=complex)
_Z2 = np.zeros((2, 2), dtype=complex)
#: Dirac matrices gamma^mu (upper index) in the Dirac representation, shape (4, 4, 4).
GAMMA = np.array(
    [np.block([[_I2, _Z2], [_Z2, -_I2]])]
    + [np.block([[_Z2, _SIGMA[i]], [-_SIGMA[i], _Z2]]) for i in range(3)]
)


def _slash(p: np.ndarray) -> np.ndarray:
    """p-slash = gamma^mu p_mu for momenta (N, 4): returns (N, 4, 4)."""
    p_lower = p * np.diag(METRIC)
    return np.einsum("nm,mij->nij", p_lower.astype(complex), GAMMA)


def _two_spinors(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pauli two-spinors chi_s (spin up/down along z) and sigma.p chi_s, shapes (N, 2, 2)."""
    n = p.shape[0]
    chi = np.broadcast_to(_I2, (n, 2, 2))  # [event, spin s, component]
    sigma_p = np.einsum("nk,kab->nab", p[:, 1:].astype(complex), _SIGMA)
    sp_chi = np.einsum("nab,nsb->nsa", sigma_p, chi)
    return chi, sp_chi


def dirac_u(p, mass: float) -> np.ndarray:
    """Positive-energy Dirac spinors u(p, s), s = up/down along z, shape (N, 2, 4).

    Dirac representation, normalised to ubar u = 2 m, so that sum_s u ubar = p-slash + m.

    Parameters
    ----------
    p : array (N, 4)
        On-shell four-momenta (E, px, py, pz) in GeV.
    mass : float
        Fermion mass in GeV.

    References
    ----------
    Peskin & Schroeder (1995), sec. 3.4 (here in the Dirac instead of the chiral basis).
    """
    p = np.atleast_2d(np.asarray(p, dtype=float))
    norm = np.sqrt(p[:, 0] + mass)[:, None, None]
    chi, sp_chi = _two_spinors(p)
    return norm * np.concatenate([chi, sp_chi / (p[:, 0] + mass)[:, None, None]], axis=-1)


def dirac_v(p, mass: float) -> np.ndarray:
    """Negative-energy Dirac spinors v(p, s), shape (N, 2, 4); sum_s v vbar = p-slash - m.

    Parameters
    ----------
    p : array (N, 4)
        On-shell four-momenta (E, px, py, pz) in GeV of the antifermion.
    mass : float
        Fermion mass in GeV.

    References
    ----------
    Peskin & Schroeder (1995), sec. 3.4 (spinors and completeness relations).
    """
    p = np.atleast_2d(np.asarray(p, dtype=float))
    norm = np.sqrt(p[:, 0] + mass)[:, None, None]
    chi, sp_chi = _two_spinors(p)
    return norm * np.concatenate([sp_chi / (p[:, 0] + mass)[:, None, None], chi], axis=-1)


def _bar(spinor: np.ndarray) -> np.ndarray:
    """Dirac adjoint psi^dagger gamma^0 of spinors (..., 4)."""
    return np.conj(spinor) @ GAMMA[0]


def amplitude_tensor(
    p_electron,
    p_positron,
    p_mu_minus,
    p_mu_plus,
    p_zprime,
    *,
    g_prime: float = 1.0,
    m_mu: float = M_MU,
    m_e: float = M_E,
    alpha: float = ALPHA_EM,
) -> np.ndarray:
    """Amplitude A^rho of e+e- -> mu+mu- Z' before contraction with the Z' polarisation.

    The helicity amplitude for a polarisation vector eps is A^rho eps*_rho (see
    :func:`helicity_amplitudes`).

    Parameters
    ----------
    p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime : array (N, 4)
        Four-momenta (E, px, py, pz) in GeV of the incoming e-, e+ and the outgoing mu-,
        mu+, Z'. Momentum conservation is assumed, not checked.
    g_prime : float
        Z' coupling to the muon vector current (dimensionless).
    m_mu, m_e : float
        Muon and electron masses in GeV.
    alpha : float
        Fine-structure constant used for the photon couplings.

    Returns
    -------
    numpy.ndarray, complex, shape (N, 2, 2, 2, 2, 4)
        Indices [event, s(e-), s(e+), s(mu-), s(mu+), rho] with rho an upper Lorentz index.

    References
    ----------
    Feynman rules of QED (Peskin & Schroeder (1995) sec. 4.8 and sec. 5.1 for
    e+e- -> mu+mu-), with a vector of coupling g_prime radiated from the final-state muon line.
    """
    p1 = np.atleast_2d(np.asarray(p_electron, dtype=float))
    p2 = np.atleast_2d(np.asarray(p_positron, dtype=float))
    k1 = np.atleast_2d(np.asarray(p_mu_minus, dtype=float))
    k2 = np.atleast_2d(np.asarray(p_mu_plus, dtype=float))
    q = np.atleast_2d(np.asarray(p_zprime, dtype=float))
    q2 = minkowski_dot(q, q)
    s = minkowski_dot(p1 + p2, p1 + p2)

    # Electron current J^mu[s1, s2] = vbar(p2, s2) gamma^mu u(p1, s1).
    u_e = dirac_u(p1, m_e)
    vbar_e = _bar(dirac_v(p2, m_e))
    current = np.einsum("nbi,mij,naj->nabm", vbar_e, GAMMA, u_e)
    current_lower = current * np.diag(METRIC)

    # Muon line: ubar(k1) [gamma^rho S1 gamma^nu + gamma^nu S2 gamma^rho] v(k2).
    eye = np.eye(4)
    d1 = 2.0 * minkowski_dot(k1, q) + q2
    d2 = 2.0 * minkowski_dot(k2, q) + q2
    s1 = (_slash(k1 + q) + m_mu * eye) / d1[:, None, None]
    s2 = (-_slash(k2 + q) + m_mu * eye) / d2[:, None, None]
    ubar_mu = _bar(dirac_u(k1, m_mu))
    v_mu = dirac_v(k2, m_mu)
    ubar_gamma = np.einsum("nri,mij->nrmj", ubar_mu, GAMMA)  # [n, r, index, spinor]
    gamma_v = np.einsum("mij,nsj->nsmi", GAMMA, v_mu)  # [n, s, index, spinor]
    # T[n, r, s, nu, rho]
    n = k1.shape[0]
    left1 = ubar_gamma @ s1[:, None]  # ubar gamma^rho S1, [n, r, rho, spinor]
    left2 = ubar_gamma @ s2[:, None]  # ubar gamma^nu S2, [n, r, nu, spinor]
    right = gamma_v.reshape(n, 8, 4).transpose(0, 2, 1)  # [n, spinor, (s, index)]
    # batched matrix products instead of einsum (several times faster)
    t1 = (left1.reshape(n, 8, 4) @ right).reshape(n, 2, 4, 2, 4)  # [n, r, rho, s, nu]
    t2 = (left2.reshape(n, 8, 4) @ right).reshape(n, 2, 4, 2, 4)  # [n, r, nu, s, rho]
    muon_tensor = t1.transpose(0, 4, 1, 3, 2) + t2.transpose(0, 2, 1, 3, 4)  # [n, nu, r, s, rho]

    e2 = 4.0 * np.pi * alpha
    amp = current_lower.reshape(n, 4, 4) @ muon_tensor.reshape(n, 4, 16)  # [n, (a, b), (r, s, rho)]
    return (e2 * g_prime / s)[:, None, None, None, None, None] * amp.reshape(n, 2, 2, 2, 2, 4)


def helicity_amplitudes(
    p_electron,
    p_positron,
    p_mu_minus,
    p_mu_plus,
    p_zprime,
    polarization,
    **kwargs,
) -> np.ndarray:
    """Amplitudes of e+e- -> mu+mu- Z' for a given Z' polarisation vector eps (upper index).

    Parameters
    ----------
    p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime : array (N, 4)
        Four-momenta in GeV (see :func:`amplitude_tensor`).
    polarization : array (N, 4) or (4,), complex
        Polarisation vector eps^mu of the outgoing Z'; the amplitude uses eps*.
    **kwargs
        Passed to :func:`amplitude_tensor` (``g_prime``, ``m_mu``, ``m_e``, ``alpha``).

    Returns
    -------
    numpy.ndarray, complex, shape (N, 2, 2, 2, 2)
        Indices [event, s(e-), s(e+), s(mu-), s(mu+)].
    """
    tensor = amplitude_tensor(p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime, **kwargs)
    eps = np.broadcast_to(np.asarray(polarization, dtype=complex), (tensor.shape[0], 4))
    eps_lower_conj = np.conj(eps) * np.diag(METRIC)
    return np.einsum("nabrsp,np->nabrs", tensor, eps_lower_conj)


def matrix_element_squared(
    p_electron,
    p_positron,
    p_mu_minus,
    p_mu_plus,
    p_zprime,
    **kwargs,
) -> np.ndarray:
    """Spin-averaged |M|^2 of e+e- -> gamma* -> mu+mu- Z' at tree level, all masses kept.

    Averaged over the e+ and e- spins (factor 1/4), summed over muon spins and the three Z'
    polarisations with sum eps_rho eps*_sigma = -g_rho,sigma + q_rho q_sigma / m_Z'^2
    (the second term vanishes by current conservation; it is dropped for q^2 = 0).

    Parameters
    ----------
    p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime : array (N, 4)
        Four-momenta in GeV (E, px, py, pz); the Z' mass is taken from p_zprime.
    **kwargs
        Passed to :func:`amplitude_tensor` (``g_prime``, ``m_mu``, ``m_e``, ``alpha``).

    Returns
    -------
    numpy.ndarray, shape (N,)
        Dimensionless |M|^2.

    References
    ----------
    Completeness relation of the polarisation vectors of a massive (Proca) vector field;
    amplitude as in :func:`amplitude_tensor`. Checked against an explicit sum over
    helicity states and an independent Dirac-trace evaluation in the tests.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> ps = sample_phase_space(10.58, 1.0, rng.random((3, 5)))
    >>> m2 = matrix_element_squared(ps["p_electron"], ps["p_positron"], ps["p_mu_minus"],
    ...                             ps["p_mu_plus"], ps["p_zprime"], g_prime=0.1)
    >>> bool(np.all(m2 > 0))
    True
    """
    momenta = [
        np.atleast_2d(np.asarray(p, dtype=float))
        for p in (p_electron, p_positron, p_mu_minus, p_mu_plus, p_zprime)
    ]
    n_events = momenta[0].shape[0]
    if n_events > _CHUNK:  # bound the memory of the (N, 2, 2, 2, 2, 4) intermediates
        return np.concatenate(
            [
                matrix_element_squared(*(p[i : i + _CHUNK] for p in momenta), **kwargs)
                for i in range(0, n_events, _CHUNK)
            ]
        )
    tensor = amplitude_tensor(*momenta, **kwargs)
    q = momenta[4]
    q2 = minkowski_dot(q, q)
    # -g_{rho sigma} A^rho A^sigma*  = -(A^0 A^0* - sum_i A^i A^i*)
    n = tensor.shape[0]
    flat = tensor.reshape(n, 16, 4)
    abs2 = flat.real**2 + flat.imag**2
    minus_g = -(abs2 @ np.diag(METRIC)).sum(axis=1)
    q_lower = q * np.diag(METRIC)
    qa = (flat @ q_lower[:, :, None].astype(complex))[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        longitudinal = np.where(
            q2 > 0, np.sum(np.abs(qa) ** 2, axis=1) / np.where(q2 > 0, q2, 1.0), 0.0
        )
    return 0.25 * (minus_g + longitudinal)


def _daughter_momentum(m_parent2, m_a, m_b):
    """Daughter momentum for a parent of squared mass ``m_parent2`` (no checks: hot path)."""
    lam = np.clip(kallen(m_parent2, m_a * m_a, m_b * m_b), 0.0, None)
    return np.sqrt(lam) / (2.0 * np.sqrt(m_parent2))


def _orthonormal_frame(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to the unit vectors ``axis`` (N, 3) and to each other."""
    helper = np.where(np.abs(axis[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1, axis=-1, keepdims=True)
    e2 = np.cross(axis, e1)
    return e1, e2


def sample_phase_space(sqrt_s: float, m_zprime: float, x, *, m_mu: float = M_MU, m_e: float = M_E):
    """Map unit-hypercube points to e+e- -> mu- mu+ Z' three-body phase space in the CM frame.

    Sequential two-body decays: e+e- (sqrt(s)) -> Z' + X with X the mu+mu- system of mass
    M, then X -> mu- mu+ isotropically parametrised in the X rest frame with the polar angle
    measured from the X flight direction. Coordinates:

    * ``x[:, 0]`` -> u = M_max^2 - M^2 (with M_max = sqrt(s) - m_Z', u = 2 sqrt(s)(E_Z' - m_Z')),
      mapped as u = a[(1 + u_max/a)^x - 1], a = 2 sqrt(s) m_Z' (logarithmic in the Z' kinetic
      energy above the scale a, where the soft-emission spectrum goes like dE/E);
    * ``x[:, 1]``, ``x[:, 2]`` -> cos(theta), phi of the Z' in the CM frame;
    * ``x[:, 3]``, ``x[:, 4]`` -> cos(theta*), phi* of the mu- in the X rest frame.

    The weight is the Lorentz-invariant phase-space density
    dPhi_3 = prod d^3p/((2 pi)^3 2E) (2 pi)^4 delta^4 per unit hypercube volume, from
    dPhi_3 = dPhi_2(s; m_Z', M) dM^2/(2 pi) dPhi_2(M^2; m_mu, m_mu) and
    dPhi_2 = |p*| / (16 pi^2 sqrt(s)) dOmega.

    Parameters
    ----------
    sqrt_s : float
        Centre-of-mass energy in GeV. The e- beam moves along +z.
    m_zprime : float
        Z' mass in GeV, 0 < m_Z' < sqrt(s) - 2 m_mu.
    x : array (N, 5)
        Points in the unit hypercube (e.g. ``rng.random((N, 5))`` or VEGAS points).
    m_mu, m_e : float
        Muon and electron masses in GeV.

    Returns
    -------
    dict
        ``p_electron``, ``p_positron``, ``p_mu_minus``, ``p_mu_plus``, ``p_zprime`` (each (N, 4),
        GeV) and ``weight`` ((N,), GeV^0: dPhi_3 is dimensionless) such that the mean of
        ``weight * f`` over uniform x estimates the integral of f dPhi_3.

    References
    ----------
    PDG Review "Kinematics", PTEP 2022, 083C01 (two-body and recursive n-body phase space).

    Examples
    --------
    >>> import numpy as np
    >>> ps = sample_phase_space(10.58, 1.0, np.random.default_rng(0).random((4, 5)))
    >>> total = ps["p_mu_minus"] + ps["p_mu_plus"] + ps["p_zprime"]
    >>> bool(np.allclose(total, [10.58, 0, 0, 0]))
    True
    """
    sqrt_s = float(_validate.positive("sqrt_s", sqrt_s, unit="GeV"))
    m_zprime = float(_validate.positive("m_zprime", m_zprime, unit="GeV"))
    _validate.below_threshold(
        "m_zprime", m_zprime, sqrt_s - 2.0 * m_mu, f"e+e- -> mu+mu- Z' at sqrt(s) = {sqrt_s:g} GeV"
    )
    x = np.atleast_2d(np.asarray(x, dtype=float))
    s = sqrt_s**2
    m_max2 = (sqrt_s - m_zprime) ** 2
    u_max = m_max2 - 4.0 * m_mu**2
    a = max(2.0 * sqrt_s * m_zprime, 1e-12 * u_max)
    log_range = np.log1p(u_max / a)
    u = a * np.expm1(x[:, 0] * log_range)
    jac_u = (u + a) * log_range
    m_x2 = np.clip(m_max2 - u, 4.0 * m_mu**2, None)
    m_x = np.sqrt(m_x2)

    # e+e- -> Z' X in the CM frame
    p_star = _daughter_momentum(s, m_zprime, m_x)
    cos_t = 2.0 * x[:, 1] - 1.0
    sin_t = np.sqrt(np.clip(1.0 - cos_t**2, 0.0, None))
    phi = 2.0 * np.pi * x[:, 2]
    n_z = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)
    p_zprime = np.concatenate(
        [np.sqrt(p_star**2 + m_zprime**2)[:, None], p_star[:, None] * n_z], axis=-1
    )
    e_x = np.sqrt(p_star**2 + m_x2)

    # X -> mu- mu+ in the X rest frame, polar axis = X flight direction (-n_z)
    axis = -n_z
    e1, e2 = _orthonormal_frame(axis)
    k_star = _daughter_momentum(m_x2, m_mu, m_mu)
    cos_d = 2.0 * x[:, 3] - 1.0
    sin_d = np.sqrt(np.clip(1.0 - cos_d**2, 0.0, None))
    phi_d = 2.0 * np.pi * x[:, 4]
    direction = (
        sin_d[:, None] * np.cos(phi_d)[:, None] * e1
        + sin_d[:, None] * np.sin(phi_d)[:, None] * e2
        + cos_d[:, None] * axis
    )
    e_mu = np.sqrt(k_star**2 + m_mu**2)
    mu_minus_rest = np.concatenate([e_mu[:, None], k_star[:, None] * direction], axis=-1)
    mu_plus_rest = np.concatenate([e_mu[:, None], -k_star[:, None] * direction], axis=-1)
    beta_x = (p_star / e_x)[:, None] * axis
    p_mu_minus = boost(mu_minus_rest, beta_x)
    p_mu_plus = boost(mu_plus_rest, beta_x)

    dphi2_prod = p_star / (16.0 * np.pi**2 * sqrt_s) * 4.0 * np.pi
    dphi2_dec = k_star / (16.0 * np.pi**2 * m_x) * 4.0 * np.pi
    weight = dphi2_prod * jac_u / (2.0 * np.pi) * dphi2_dec

    n = x.shape[0]
    p_beam = np.sqrt(s / 4.0 - m_e**2)
    p_electron = np.tile([sqrt_s / 2.0, 0.0, 0.0, p_beam], (n, 1))
    p_positron = np.tile([sqrt_s / 2.0, 0.0, 0.0, -p_beam], (n, 1))
    return {
        "p_electron": p_electron,
        "p_positron": p_positron,
        "p_mu_minus": p_mu_minus,
        "p_mu_plus": p_mu_plus,
        "p_zprime": p_zprime,
        "weight": weight,
    }


def cross_section(
    sqrt_s: float,
    m_zprime: float,
    *,
    rng: np.random.Generator,
    g_prime: float = 1.0,
    n_points: int = 20_000,
    n_iterations: int = 8,
    cuts: Callable[[dict], np.ndarray] | None = None,
    m_mu: float = M_MU,
    m_e: float = M_E,
    alpha: float = ALPHA_EM,
) -> tuple[float, float]:
    """Total cross section of e+e- -> gamma* -> mu+mu- Z' by VEGAS integration, in fb.

    sigma = 1/(4 sqrt((p1.p2)^2 - m_e^4)) int |M|^2 dPhi_3, with |M|^2 from
    :func:`matrix_element_squared` and dPhi_3 from :func:`sample_phase_space`. VEGAS first
    adapts its grid for ``n_iterations`` iterations (discarded), then the result is the
    weighted average of ``n_iterations`` further iterations.

    Parameters
    ----------
    sqrt_s : float
        Centre-of-mass energy in GeV.
    m_zprime : float
        Z' mass in GeV, 0 < m_Z' < sqrt(s) - 2 m_mu.
    rng : numpy.random.Generator
        Source of all random numbers (fed to VEGAS).
    g_prime : float
        Z'-muon coupling; sigma scales as g_prime^2.
    n_points : int
        Integrand evaluations per VEGAS iteration.
    n_iterations : int
        Number of adaptation iterations and of measurement iterations.
    cuts : callable, optional
        ``cuts(event) -> bool array`` with ``event`` the dict of :func:`sample_phase_space`
        (CM-frame momenta); only events where it is True are counted.
    m_mu, m_e, alpha : float
        Masses in GeV and the fine-structure constant.

    Returns
    -------
    (float, float)
        Cross section and its statistical (VEGAS) uncertainty in fb.

    References
    ----------
    PDG Review "Kinematics", PTEP 2022, 083C01 (cross-section formula, flux factor).
    """
    g_prime = float(_validate.as_finite("g_prime", g_prime))
    integrand = _cross_section_integrand(sqrt_s, m_zprime, cuts, m_mu=m_mu, m_e=m_e, alpha=alpha)
    integrator = vegas.Integrator(5 * [[0.0, 1.0]], ran_array_generator=rng.random)
    integrator(integrand, nitn=n_iterations, neval=n_points)
    result = integrator(integrand, nitn=n_iterations, neval=n_points)
    scale = g_prime**2
    return float(result.mean) * scale, float(result.sdev) * scale


def _cross_section_integrand(sqrt_s, m_zprime, cuts, *, m_mu, m_e, alpha):
    """VEGAS batch integrand on the unit hypercube: d sigma (fb, g' = 1) per unit volume."""
    sqrt_s = float(_validate.positive("sqrt_s", sqrt_s, unit="GeV"))
    s = sqrt_s**2
    p1p2 = s / 2.0 - m_e**2
    flux = 4.0 * np.sqrt(p1p2**2 - m_e**4)
    # validate m_zprime once (raises PhysicsDomainError above threshold)
    sample_phase_space(sqrt_s, m_zprime, np.full((1, 5), 0.5), m_mu=m_mu, m_e=m_e)

    def density(x, return_events=False):
        ev = sample_phase_space(sqrt_s, m_zprime, x, m_mu=m_mu, m_e=m_e)
        m2 = matrix_element_squared(
            ev["p_electron"],
            ev["p_positron"],
            ev["p_mu_minus"],
            ev["p_mu_plus"],
            ev["p_zprime"],
            g_prime=1.0,
            m_mu=m_mu,
            m_e=m_e,
            alpha=alpha,
        )
        value = m2 * ev["weight"] / flux * GEV2_TO_FB
        if cuts is not None:
            value = np.where(np.asarray(cuts(ev), dtype=bool), value, 0.0)
        return (value, ev) if return_events else value

    return vegas.lbatchintegrand(density)


def weighted_events(
    sqrt_s: float,
    m_zprime: float,
    n_events: int,
    *,
    rng: np.random.Generator,
    g_prime: float = 1.0,
    n_points: int = 20_000,
    n_iterations: int = 8,
    cuts: Callable[[dict], np.ndarray] | None = None,
    m_mu: float = M_MU,
    m_e: float = M_E,
    alpha: float = ALPHA_EM,
) -> dict:
    """Weighted e+e- -> mu- mu+ Z' events (CM frame) drawn from a VEGAS-adapted map.

    VEGAS is first trained on the integrand of :func:`cross_section`; then ``n_events``
    points are drawn from the adapted map. Each event's weight is d sigma / d(map volume)
    divided by ``n_events``, so the weights sum to an unbiased estimate of sigma (fb) and
    events can be unweighted by hit-or-miss against the largest weight.

    Parameters
    ----------
    sqrt_s : float
        Centre-of-mass energy in GeV.
    m_zprime : float
        Z' mass in GeV.
    n_events : int
        Number of events to draw.
    rng : numpy.random.Generator
        Source of all random numbers (VEGAS training and event drawing).
    g_prime : float
        Z'-muon coupling (weights scale as g_prime^2).
    n_points, n_iterations : int
        VEGAS training: evaluations per iteration and number of iterations.
    cuts : callable, optional
        Generator-level selection ``cuts(event) -> bool array``; failing events get weight 0.
    m_mu, m_e, alpha : float
        Masses in GeV and the fine-structure constant.

    Returns
    -------
    dict
        The momenta of :func:`sample_phase_space` (each (n_events, 4), GeV) and ``weight``
        ((n_events,), fb).

    References
    ----------
    G. P. Lepage, J. Comput. Phys. 27 (1978) 192 (VEGAS); amplitude and phase space as in
    :func:`matrix_element_squared` and :func:`sample_phase_space`.
    """
    g_prime = float(_validate.as_finite("g_prime", g_prime))
    integrand = _cross_section_integrand(sqrt_s, m_zprime, cuts, m_mu=m_mu, m_e=m_e, alpha=alpha)
    integrator = vegas.Integrator(5 * [[0.0, 1.0]], ran_array_generator=rng.random)
    integrator(integrand, nitn=n_iterations, neval=n_points)
    y = rng.random((int(n_events), 5))
    x = np.empty_like(y)
    jac = np.empty(y.shape[0])
    integrator.map.map(y, x, jac)
    value, events = integrand(x, return_events=True)
    events["weight"] = g_prime**2 * value * jac / y.shape[0]
    return events
