"""Cross-section upper limits to coupling upper limits, per model, and back.

A search measures (a limit on) the rate of its signature, sigma(e+e- -> X + mediator) x
BR(mediator -> observed final state). When the mediator is produced on shell with one
coupling vertex (narrow width) and its branching ratio does not depend on the coupling,
the rate scales as coupling^2 and

    g_UL = g_ref sqrt(sigma_UL / sigma_ref),

with sigma_ref the rate at a reference coupling g_ref (:func:`coupling_limit`, general
power n: g_UL = g_ref (sigma_UL / sigma_ref)^(1/n)). Models:

- L_mu - L_tau Z' (:func:`zprime_g_prime_limit`): sigma(e+e- -> mu+ mu- Z') x
  BR(Z' -> invisible) ~ g'^2 (Belle II, PRL 124, 141801 (2020), arXiv:1912.11276, and
  arXiv:2212.03066). BR(Z' -> nu nu) does not depend on g' because
  all partial widths scale as g'^2; likewise with a dark fermion of charge 1 (g_chi = g').
- dark photon (:func:`dark_photon_epsilon_limit`): sigma(e+e- -> gamma A') ~ epsilon^2.
- photon-coupled ALP (:func:`alp_g_agg_limit`): sigma(e+e- -> gamma a) ~ g_agg^2.

When the simple scaling fails
-----------------------------
1. The branching ratio depends on the coupling: a dark state whose coupling is held
   fixed (Z' with a fixed ``g_chi``; dark photon with a fixed alpha_D) has a partial width
   independent of g' (epsilon) while the Standard-Model widths scale as g'^2. With
   Gamma_inv = x A + C and Gamma_tot = x B + C (x = (g/g_ref)^2; A, B the coupling-scaled
   widths at g_ref, C the fixed width) the rate sigma_ref x (x A + C)/(x B + C) = sigma_UL is
   a quadratic in x, solved exactly here (:func:`solve_rate_for_coupling_squared`). If
   A = 0 (dark photon) the rate saturates at sigma_ref C/B as x -> infinity, and a
   sigma_UL above that gives no limit (``inf``).
2. The width is not negligible: for Gamma/m of order 10 % the narrow-width (on-shell)
   approximation and sigma ~ g^2 break down (off-shell production, interference with the
   continuum, mass resolution no longer dominating the signal shape). For the Z',
   Gamma/m ~ g'^2 / (4 pi) (1/3 per lepton flavour, 1/6 per neutrino), i.e. ~ 5 % at
   g' = 1: limits near g' ~ 1 are only indicative.
3. The acceptance depends on the coupling: a long-lived mediator (small coupling, large
   boost) that decays visibly outside the detector counts as invisible; a short-lived one
   decaying visibly is vetoed. Then the signal efficiency, not only sigma x BR, depends on
   g and the limit must be recomputed with a lifetime-dependent efficiency (relevant for
   the ALP -> gamma gamma and for Z' -> mu mu at tiny g').
4. Interference with a Standard-Model amplitude of the same final state (e.g. a visible
   resonance on a continuum) adds a term linear in g.

References
----------
Belle II, PRL 124, 141801 (2020), arXiv:1912.11276; Belle II, arXiv:2212.03066
(Z' -> invisible: limits on sigma x BR translated to g').
Belle II Physics Book, E. Kou et al., PTEP 2019, 123C01, arXiv:1808.10567, ch. 16
(dark photon and ALP rates).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from darkscan import _validate
from darkscan.constants import M_MU
from darkscan.errors import PhysicsDomainError

__all__ = [
    "alp_g_agg_limit",
    "coupling_limit",
    "cross_section_at_coupling",
    "dark_photon_epsilon_limit",
    "solve_rate_for_coupling_squared",
    "zprime_g_prime_limit",
    "zprime_reference_cross_section",
    "zprime_signal_rate",
]


def coupling_limit(sigma_upper, sigma_at_reference_coupling, reference_coupling, power=2):
    """Coupling upper limit g_UL = g_ref (sigma_UL / sigma_ref)^(1/power).

    Valid when the rate scales as g^power (see the module docstring for when it does not).

    Parameters
    ----------
    sigma_upper : float or array
        Upper limit on the rate (sigma x BR) in fb (>= 0).
    sigma_at_reference_coupling : float or array
        The rate predicted at ``reference_coupling`` in fb (> 0).
    reference_coupling : float or array
        The coupling at which ``sigma_at_reference_coupling`` was computed (> 0).
    power : float
        Exponent n of sigma ~ g^n (> 0); 2 for one production vertex.

    Returns
    -------
    numpy.ndarray or float
        Coupling upper limit (broadcast shape).

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276 (g' limits from sigma limits).

    Examples
    --------
    >>> round(float(coupling_limit(4.0, 100.0, 1e-2)), 12)  # 1e-2 * sqrt(0.04)
    0.002
    """
    s_ul = _validate.non_negative("sigma_upper", sigma_upper, unit="fb")
    s_ref = _validate.positive(
        "sigma_at_reference_coupling", sigma_at_reference_coupling, unit="fb"
    )
    g_ref = _validate.positive("reference_coupling", reference_coupling)
    n = _validate.positive("power", power)
    return g_ref * (np.asarray(s_ul) / s_ref) ** (1.0 / n)


def cross_section_at_coupling(coupling, sigma_at_reference_coupling, reference_coupling, power=2):
    """The rate at ``coupling``: sigma_ref (g / g_ref)^power (inverse of :func:`coupling_limit`).

    Examples
    --------
    >>> round(float(cross_section_at_coupling(2e-3, 100.0, 1e-2)), 12)
    4.0
    """
    g = _validate.non_negative("coupling", coupling)
    s_ref = _validate.positive(
        "sigma_at_reference_coupling", sigma_at_reference_coupling, unit="fb"
    )
    g_ref = _validate.positive("reference_coupling", reference_coupling)
    n = _validate.positive("power", power)
    return s_ref * (np.asarray(g) / g_ref) ** n


def solve_rate_for_coupling_squared(
    sigma_upper, sigma_reference, width_invisible_scaled, width_total_scaled, width_fixed
):
    """x = (g/g_ref)^2 at which sigma_ref x (x A + C)/(x B + C) equals sigma_UL.

    The rate of a mediator whose production and Standard-Model widths scale as g^2 while
    an invisible width C does not (fixed dark coupling). The positive root of
    sigma_ref A x^2 + (sigma_ref C - sigma_UL B) x - sigma_UL C = 0 is taken in the
    cancellation-free form. With C = 0 this is sigma_UL / (sigma_ref A/B), the simple
    scaling; with A = 0 and sigma_UL >= sigma_ref C/B there is no solution (``inf``).

    Parameters
    ----------
    sigma_upper : array_like
        Rate limit in fb (>= 0).
    sigma_reference : array_like
        Production cross section at g_ref in fb (> 0).
    width_invisible_scaled, width_total_scaled : array_like
        A and B: the coupling-scaled invisible and total widths at g_ref in GeV
        (0 <= A <= B).
    width_fixed : array_like
        C: the coupling-independent invisible width in GeV (>= 0).

    Returns
    -------
    numpy.ndarray
        x (>= 0, or inf).

    Examples
    --------
    >>> float(solve_rate_for_coupling_squared(1.0, 4.0, 1.0, 2.0, 0.0))  # BR = 1/2
    0.5
    """
    s_ul = np.asarray(_validate.non_negative("sigma_upper", sigma_upper, unit="fb"), float)
    s_ref = np.asarray(_validate.positive("sigma_reference", sigma_reference, unit="fb"), float)
    a = np.asarray(_validate.non_negative("width_invisible_scaled", width_invisible_scaled), float)
    b = np.asarray(_validate.non_negative("width_total_scaled", width_total_scaled), float)
    c = np.asarray(_validate.non_negative("width_fixed", width_fixed), float)
    if np.any(a > b * (1 + 1e-12)):
        raise PhysicsDomainError("width_invisible_scaled must not exceed width_total_scaled")
    qa = s_ref * a
    qb = s_ref * c - s_ul * b
    qc = s_ul * c
    disc = np.sqrt(qb * qb + 4.0 * qa * qc)
    with np.errstate(divide="ignore", invalid="ignore"):
        root_pos_b = np.where(qb + disc > 0, 2.0 * qc / (qb + disc), 0.0)
        root_neg_b = np.where(qa > 0, (disc - qb) / (2.0 * qa), np.inf)
    x = np.where(qb > 0, root_pos_b, root_neg_b)
    # no coupling-scaled invisible width and a limit at or above the saturation value
    x = np.where((qa == 0) & (qb <= 0) & (qc > 0), np.inf, x)
    return x


# ------------------------------------------------------------------------------ Z'
def _zprime_masses(masses, collider) -> np.ndarray:
    m = np.asarray(_validate.positive("m_zprime", masses, unit="GeV"), dtype=float)
    threshold = float(collider.sqrt_s) - 2.0 * M_MU
    _validate.below_threshold(
        "m_zprime", m, threshold, f"e+e- -> mu+ mu- Z' at sqrt(s) = {collider.sqrt_s:g} GeV"
    )
    return m


def zprime_reference_cross_section(
    masses,
    collider,
    cuts: Callable | None = None,
    *,
    rng: np.random.Generator,
    reference_g_prime: float = 1.0,
    n_points: int = 20_000,
    n_iterations: int = 8,
) -> np.ndarray:
    """sigma(e+e- -> mu+ mu- Z') in fb at ``reference_g_prime``, one VEGAS integral per mass.

    Uses :meth:`darkscan.models.LmuLtauZprime.cross_section_mumu_zprime` (exact tree-level
    |M|^2, on-shell Z'), optionally within CM-frame ``cuts`` (e.g.
    ``darkscan.models.lmu_ltau.muon_polar_angle_cut(0.8)``).

    Parameters
    ----------
    masses : array_like
        Z' masses in GeV (0 < m < sqrt(s) - 2 m_mu).
    collider : darkscan.beams.Collider
        Gives sqrt(s).
    cuts : callable, optional
        CM-frame generator-level acceptance.
    rng : numpy.random.Generator
        Random numbers for VEGAS.
    reference_g_prime : float
        g' of the computation (> 0).
    n_points, n_iterations : int
        VEGAS settings.

    Returns
    -------
    numpy.ndarray
        Cross section in fb, shape of ``masses``.

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276.
    """
    from darkscan.models import LmuLtauZprime

    m = _zprime_masses(masses, collider)
    g_ref = float(_validate.positive("reference_g_prime", reference_g_prime))
    sigma, _err = LmuLtauZprime(m_zprime=np.atleast_1d(m), g_prime=g_ref).cross_section_mumu_zprime(
        float(collider.sqrt_s), rng=rng, n_points=n_points, n_iterations=n_iterations, cuts=cuts
    )
    return np.asarray(sigma, dtype=float).reshape(np.shape(m))


def _zprime_widths(m, g_ref, m_chi, g_chi):
    """(A, B, C): invisible and total g'-scaled widths at g_ref, fixed chi width (GeV)."""
    from darkscan.models import LmuLtauZprime
    from darkscan.models.lmu_ltau import vector_width

    widths = LmuLtauZprime(m_zprime=m, g_prime=g_ref).partial_widths()
    scaled_inv = widths["nu_mu"] + widths["nu_tau"]
    scaled_tot = widths["mu"] + widths["tau"] + scaled_inv
    if m_chi is None:
        return scaled_inv, scaled_tot, np.zeros_like(scaled_inv)
    m_chi = float(_validate.non_negative("m_chi", m_chi, unit="GeV"))
    if g_chi is None:
        # unit charge: g_chi = g', the chi width scales with g'^2 as well
        chi = vector_width(m, g_ref, m_chi)
        return scaled_inv + chi, scaled_tot + chi, np.zeros_like(scaled_inv)
    g_chi = float(_validate.as_finite("g_chi", g_chi))
    return scaled_inv, scaled_tot, vector_width(m, g_chi, m_chi)


def zprime_g_prime_limit(
    masses,
    sigma_upper,
    collider,
    cuts: Callable | None = None,
    *,
    rng: np.random.Generator | None = None,
    sigma_reference=None,
    reference_g_prime: float = 1.0,
    m_chi: float | None = None,
    g_chi: float | None = None,
    n_points: int = 20_000,
    n_iterations: int = 8,
) -> np.ndarray:
    """Upper limit on g' of the L_mu - L_tau Z' from a limit on sigma(mu mu Z') x BR(inv).

    g'_UL = g_ref sqrt(sigma_UL / (sigma_ref(m) BR_inv(m))) when BR_inv does not depend on
    g' (no chi, or chi with g_chi = g'); with a fixed ``g_chi`` the exact solution of
    :func:`solve_rate_for_coupling_squared` is used.

    Parameters
    ----------
    masses : array_like
        Z' masses in GeV.
    sigma_upper : array_like
        Upper limits on sigma(e+e- -> mu+ mu- Z') x BR(Z' -> invisible) in fb, same shape
        (or broadcastable).
    collider : darkscan.beams.Collider
        Gives sqrt(s).
    cuts : callable, optional
        Generator-level CM acceptance for the reference cross section (must match the one
        the limit refers to; None = full phase space).
    rng : numpy.random.Generator
        Random numbers for VEGAS (required unless ``sigma_reference`` is given).
    sigma_reference : array_like, optional
        Precomputed sigma(e+e- -> mu+ mu- Z') in fb at ``reference_g_prime`` (skips VEGAS).
    reference_g_prime : float
        Coupling of the reference cross section.
    m_chi, g_chi : float, optional
        Dark fermion mass (GeV) and a fixed Z'-chi coupling (None: g_chi = g').
    n_points, n_iterations : int
        VEGAS settings.

    Returns
    -------
    numpy.ndarray
        g'_UL, shape of the broadcast of ``masses`` and ``sigma_upper``.

    References
    ----------
    Belle II, PRL 124, 141801 (2020), arXiv:1912.11276; Belle II, arXiv:2212.03066.
    """
    m = _zprime_masses(masses, collider)
    g_ref = float(_validate.positive("reference_g_prime", reference_g_prime))
    if sigma_reference is None:
        if rng is None:
            raise PhysicsDomainError(
                "zprime_g_prime_limit needs rng (a numpy Generator) or sigma_reference"
            )
        sigma_reference = zprime_reference_cross_section(
            m,
            collider,
            cuts,
            rng=rng,
            reference_g_prime=g_ref,
            n_points=n_points,
            n_iterations=n_iterations,
        )
    a, b, c = _zprime_widths(m, g_ref, m_chi, g_chi)
    x = solve_rate_for_coupling_squared(sigma_upper, sigma_reference, a, b, c)
    return g_ref * np.sqrt(x)


def zprime_signal_rate(
    masses,
    g_prime,
    collider,
    cuts: Callable | None = None,
    *,
    rng: np.random.Generator | None = None,
    sigma_reference=None,
    reference_g_prime: float = 1.0,
    m_chi: float | None = None,
    g_chi: float | None = None,
    n_points: int = 20_000,
    n_iterations: int = 8,
) -> np.ndarray:
    """sigma(e+e- -> mu+ mu- Z') x BR(Z' -> invisible) in fb at ``g_prime`` (the inverse).

    sigma_ref (g'/g_ref)^2 x BR_inv(g'); arguments as :func:`zprime_g_prime_limit`.
    """
    m = _zprime_masses(masses, collider)
    g_ref = float(_validate.positive("reference_g_prime", reference_g_prime))
    g = np.asarray(_validate.non_negative("g_prime", g_prime), dtype=float)
    if sigma_reference is None:
        if rng is None:
            raise PhysicsDomainError(
                "zprime_signal_rate needs rng (a numpy Generator) or sigma_reference"
            )
        sigma_reference = zprime_reference_cross_section(
            m,
            collider,
            cuts,
            rng=rng,
            reference_g_prime=g_ref,
            n_points=n_points,
            n_iterations=n_iterations,
        )
    a, b, c = _zprime_widths(m, g_ref, m_chi, g_chi)
    x = (g / g_ref) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        br = np.where(x * b + c > 0, (x * a + c) / (x * b + c), 0.0)
        br = np.where(x == 0, np.where(c > 0, 1.0, a / b), br)
    return np.asarray(sigma_reference, dtype=float) * x * br


# ------------------------------------------------------------------- dark photon, ALP
def dark_photon_epsilon_limit(
    masses,
    sigma_upper,
    collider,
    *,
    m_chi: float | None = None,
    alpha_dark: float = 0.5,
    chi_spin: str = "fermion",
    cos_theta_range: tuple[float, float] = (-0.6, 0.8),
) -> np.ndarray:
    """Upper limit on epsilon from a limit on sigma(e+e- -> gamma A') x BR(A' -> invisible).

    sigma ~ epsilon^2 (:meth:`darkscan.models.DarkPhoton.cross_section_gamma_aprime`, photon
    within ``cos_theta_range`` in the CM). Without ``m_chi`` the A' is taken as fully
    invisible (BR = 1, pure epsilon^2 scaling); with ``m_chi``, Gamma(A' -> chi chi) is
    fixed by alpha_D while the visible widths scale as epsilon^2, and the exact solution of
    :func:`solve_rate_for_coupling_squared` is used (inf where no epsilon reaches the limit).

    Returns
    -------
    numpy.ndarray
        epsilon_UL in the broadcast shape of ``masses`` and ``sigma_upper``.

    References
    ----------
    Belle II Physics Book, arXiv:1808.10567, ch. 16; Belle II, PRL 124, 141801 (2020)
    for the analogous Z' translation.
    """
    from darkscan.models import DarkPhoton

    m = np.asarray(_validate.positive("m_aprime", masses, unit="GeV"), dtype=float)
    sqrt_s = float(collider.sqrt_s)
    unit = DarkPhoton(
        m_aprime=m, epsilon=1.0, m_chi=m_chi, alpha_dark=alpha_dark, chi_spin=chi_spin
    )
    sigma_unit = unit.cross_section_gamma_aprime(sqrt_s, *cos_theta_range)
    if m_chi is None:
        return coupling_limit(sigma_upper, sigma_unit, 1.0)
    widths = unit.partial_widths()
    fixed = widths["chi"]
    scaled_total = sum(w for k, w in widths.items() if k != "chi")
    x = solve_rate_for_coupling_squared(
        sigma_upper, sigma_unit, np.zeros_like(fixed), scaled_total, fixed
    )
    return np.sqrt(x)


def alp_g_agg_limit(masses, sigma_upper, collider) -> np.ndarray:
    """Upper limit on g_agg (GeV^-1) from a limit on sigma(e+e- -> gamma a), a -> gamma gamma.

    sigma ~ g_agg^2 and BR(a -> gamma gamma) = 1 for a photon-coupled ALP, so
    g_UL = sqrt(sigma_UL / sigma(g = 1 GeV^-1)). The detection efficiency depends on the
    ALP decay length (hence on g_agg) for long-lived ALPs: valid only where the limit
    already includes the efficiency at that coupling (module docstring, item 3).

    References
    ----------
    Dolan et al., arXiv:1709.00009, Sec. 2.1; Belle II, PRL 125, 161806 (2020),
    arXiv:2007.13071.

    Examples
    --------
    >>> from darkscan.beams import symmetric
    >>> g = alp_g_agg_limit(1e-3, 118.39 * 1e-6, symmetric(10.58))
    >>> round(float(g) * 1e6, 2)   # sigma(1e-3 GeV^-1) = 118.39 fb -> 1e-6 at 118.39e-6 fb
    1.0
    """
    from darkscan.models import AxionLikeParticle

    m = np.asarray(_validate.positive("m_a", masses, unit="GeV"), dtype=float)
    sigma_unit = AxionLikeParticle(m_a=m, g_agg=1.0).cross_section(float(collider.sqrt_s))
    return coupling_limit(sigma_upper, sigma_unit, 1.0)
