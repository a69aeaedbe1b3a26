"""Initial-state radiation (ISR) with the electron structure function.

Each beam lepton keeps a fraction ``x`` of its energy after radiating collinear photons; the
fraction is distributed according to the electron structure function ``D(x, s)``, and a
cross section with ISR is the convolution

    sigma(s) = int dx1 dx2 D(x1, s) D(x2, s) sigma_hat(x1 x2 s).

We implement the Kuraev-Fadin structure function with the soft-photon part exponentiated
and the hard part kept to first order in beta:

    D(x, s) = beta/2 (1 - x)^(beta/2 - 1) (1 + 3 beta / 8) - beta/4 (1 + x),
    beta    = 2 alpha / pi (ln(s / m_e^2) - 1),

i.e. Kuraev-Fadin's result truncated at O(beta) outside the exponentiated soft factor (the
O(beta^2) hard terms and the (9/8 - pi^2/3) beta^2/16 soft constant are dropped). With this
truncation int_0^1 D dx = 1 exactly: (1 + 3 beta/8) - (beta/4)(3/2) = 1.

References
----------
E. A. Kuraev, V. S. Fadin, "On radiative corrections to e+e- single photon annihilation at
high energy", Sov. J. Nucl. Phys. 41 (1985) 466 [Yad. Fiz. 41 (1985) 733], structure
function with beta = 2 alpha/pi (L - 1).
O. Nicrosini, L. Trentadue, Phys. Lett. B 196 (1987) 551 (structure functions in QED).
G. Montagna, O. Nicrosini, F. Piccinini, Riv. Nuovo Cim. 21N9 (1998) 1, arXiv:hep-ph/9802302,
sec. 3 (the same O(beta) form).

Examples
--------
>>> round(isr_beta(10.58**2), 5)
0.0877
>>> round(structure_function_cdf(1.0, 10.58**2), 12)  # normalised to one
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from darkscan._validate import in_range, positive
from darkscan.constants import ALPHA_EM, M_E
from darkscan.errors import PhysicsDomainError
from darkscan.generate.phasespace import sample_accept_reject

__all__ = [
    "PartonicCollisions",
    "convolve_isr",
    "hard_isr_photon_angle_cdf",
    "hard_isr_photon_factor",
    "isr_beta",
    "isr_photon_angle_cdf",
    "isr_photons",
    "isr_photons_with_angles",
    "sample_energy_fraction",
    "sample_hard_isr_photon_cos_theta",
    "sample_isr_fractions",
    "sample_isr_photon_cos_theta",
    "sample_partonic_collisions",
    "structure_function",
    "structure_function_cdf",
]


def isr_beta(s):
    """ISR exponent beta = 2 alpha/pi (ln(s/m_e^2) - 1) (Kuraev-Fadin 1985).

    Parameters
    ----------
    s : float or array_like
        Squared centre-of-mass energy in GeV^2 (> 4 m_e^2 e).

    Returns
    -------
    float or numpy.ndarray
    """
    s = positive("s", s, unit="GeV^2")
    if np.any(np.asarray(s) <= math.e * M_E**2):
        raise PhysicsDomainError(
            f"s = {float(np.min(s)):g} GeV^2 is outside the allowed range (e m_e^2, inf) for ISR"
        )
    out = 2.0 * ALPHA_EM / math.pi * (np.log(np.asarray(s) / M_E**2) - 1.0)
    return float(out) if np.ndim(out) == 0 else out


def structure_function(x, s):
    """Electron structure function D(x, s) at O(beta) with exponentiated soft part (per beam).

    D(x) = beta/2 (1-x)^(beta/2-1) (1 + 3 beta/8) - beta/4 (1+x)  (Kuraev-Fadin 1985; see
    the module docstring). Integrable singularity at x -> 1; positive on [0, 1).

    Parameters
    ----------
    x : float or array_like
        Energy fraction kept by the beam lepton, 0 <= x < 1.
    s : float
        Squared centre-of-mass energy in GeV^2.

    Returns
    -------
    float or numpy.ndarray
        D(x, s) (dimensionless density in x).

    >>> round(structure_function(0.5, 10.58**2), 6)
    0.05498
    """
    beta = isr_beta(s)
    x = in_range("x", x, 0.0, 1.0, high_inclusive=False)
    b = beta / 2.0
    out = b * (1.0 - np.asarray(x)) ** (b - 1.0) * (1.0 + 3.0 * beta / 8.0) - beta / 4.0 * (
        1.0 + np.asarray(x)
    )
    return float(out) if np.ndim(out) == 0 else out


def structure_function_cdf(x, s):
    """Integral of D from 0 to x: (1 + 3 beta/8)(1 - (1-x)^(beta/2)) - beta/4 (x + x^2/2).

    Parameters
    ----------
    x : float or array_like
        Upper limit, 0 <= x <= 1.
    s : float
        Squared centre-of-mass energy in GeV^2.

    Returns
    -------
    float or numpy.ndarray
    """
    beta = isr_beta(s)
    x = np.asarray(in_range("x", x, 0.0, 1.0))
    out = (1.0 + 3.0 * beta / 8.0) * (1.0 - (1.0 - x) ** (beta / 2.0)) - beta / 4.0 * (
        x + 0.5 * x * x
    )
    return float(out) if np.ndim(out) == 0 else out


def sample_energy_fraction(rng: np.random.Generator, n: int, s) -> np.ndarray:
    """Draw energy fractions x from D(x, s), exactly, with importance sampling.

    The singular part is sampled by inversion: y = 1 - x = u^(2/beta) has density
    (beta/2) y^(beta/2-1); the proposal is then accepted with probability
    D(x) / [(1 + 3 beta/8) (beta/2) y^(beta/2-1)] = 1 - beta/4 (1+x) y^(1-beta/2) /
    [(beta/2)(1 + 3 beta/8)], which lies in (0, 1]; the efficiency is 1/(1 + 3 beta/8).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of values (> 0).
    s : float
        Squared centre-of-mass energy in GeV^2.

    Returns
    -------
    numpy.ndarray (n,)
        Energy fractions in [0, 1] (x == 1 where the radiated energy underflows double
        precision, a fraction below 1e-16: no radiation).
    """
    beta = isr_beta(s)
    b = beta / 2.0
    norm = 1.0 + 3.0 * beta / 8.0

    def propose(r: np.random.Generator, m: int):
        y = r.random(m) ** (1.0 / b)
        return (y,)

    def accept(y):
        return 1.0 - beta / 4.0 * (2.0 - y) * y ** (1.0 - b) / (b * norm)

    (y,), _ = sample_accept_reject(rng, n, propose, accept)
    return 1.0 - y


def sample_isr_fractions(rng: np.random.Generator, n: int, s) -> tuple[np.ndarray, np.ndarray]:
    """Energy fractions (x1, x2) of the e- and e+ beams, independent draws from D(x, s).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of events.
    s : float
        Nominal squared centre-of-mass energy in GeV^2.

    Returns
    -------
    x1, x2 : numpy.ndarray (n,)
        The reduced squared energy is s' = x1 x2 s; the photons carry (1 - x_i) E_beam,i
        along the beam directions.
    """
    x1 = sample_energy_fraction(rng, n, s)
    x2 = sample_energy_fraction(rng, n, s)
    return x1, x2


def _d_nodes(a, beta: float, n: int, *, scale=None, pole: float | None = None):
    """Nodes and weights for int_a^1 D(x) f(x) dx, vectorised over lower limits ``a``.

    Two parts, each with ``n`` Gauss-Legendre nodes. Upper part [x_s, 1] in
    t = (1-x)^(beta/2), where D dx becomes the smooth
    [(1 + 3 beta/8) - beta/4 (1+x)(1-x)^(1-beta/2) / (beta/2)] dt. Lower part [a, x_s]:
    without ``pole`` in x with x_s = max(a, 0.9); with a ``pole`` (f(x) proportional to
    1/(x * scale - pole), steep at x = a) in u = ln(x * scale - pole) with x_s = (1 + a)/2.
    """
    b = beta / 2.0
    gl_x, gl_w = np.polynomial.legendre.leggauss(n)
    a = np.asarray(a, dtype=float)[..., None]
    lo_x = np.maximum(a, 0.9) if pole is None else 0.5 * (1.0 + a)
    # upper part in t
    t_hi = (1.0 - lo_x) ** b
    t = 0.5 * t_hi * (gl_x + 1.0)
    w_t = 0.5 * t_hi * gl_w
    x_t = 1.0 - t ** (1.0 / b)
    w_t = w_t * ((1.0 + 3.0 * beta / 8.0) - beta / 4.0 * (1.0 + x_t) * (1.0 - x_t) ** (1.0 - b) / b)
    # lower part
    if pole is None:
        x_h = a + 0.5 * (lo_x - a) * (gl_x + 1.0)
        w_h = 0.5 * (lo_x - a) * gl_w
    else:
        big_a = np.asarray(scale, dtype=float)[..., None]
        q0 = a * big_a - pole
        u_hi = np.log((lo_x * big_a - pole) / q0)
        u = 0.5 * u_hi * (gl_x + 1.0)
        x_h = (pole + q0 * np.exp(u)) / big_a
        w_h = 0.5 * u_hi * gl_w * (x_h - pole / big_a)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_h = b * (1.0 - x_h) ** (b - 1.0) * (1.0 + 3.0 * beta / 8.0) - beta / 4.0 * (1.0 + x_h)
        w_h = np.where(w_h != 0.0, w_h * d_h, 0.0)  # empty lower part when a -> 1
    return np.concatenate([x_h, x_t], axis=-1), np.concatenate([w_h, w_t], axis=-1)


def convolve_isr(
    sigma_hat: Callable[[np.ndarray], np.ndarray],
    s: float,
    s_min: float = 0.0,
    *,
    s_hat_pole: float | None = None,
    n_nodes: int = 96,
) -> float:
    """Cross section with ISR: int dx1 dx2 D(x1) D(x2) sigma_hat(x1 x2 s) over x1 x2 s > s_min.

    Nested Gauss-Legendre quadrature; the x -> 1 singularity of D is removed by the
    substitution t = (1 - x)^(beta/2) (see :func:`_d_nodes`). For a ``sigma_hat`` rising like
    1/(s' - s_hat_pole) towards ``s_min`` (a soft recoil photon), pass ``s_hat_pole``
    (< ``s_min``): the lower x ranges are then mapped to ln(x1 x2 s - s_hat_pole).

    Parameters
    ----------
    sigma_hat : callable
        Cross section without ISR as a function of s' (GeV^2, numpy array), any unit.
    s : float
        Nominal squared centre-of-mass energy in GeV^2.
    s_min : float
        Lower cut on s' in GeV^2 (e.g. the production threshold), 0 <= s_min < s.
    s_hat_pole : float, optional
        Position (GeV^2) of a pole of ``sigma_hat`` below ``s_min``.
    n_nodes : int
        Gauss-Legendre nodes per sub-interval.

    Returns
    -------
    float
        sigma(s) in the unit of ``sigma_hat``.

    References
    ----------
    Kuraev & Fadin, Sov. J. Nucl. Phys. 41 (1985) 466 (convolution formula).

    >>> round(convolve_isr(lambda sp: np.ones_like(sp), 10.58**2), 9)  # int D = 1
    1.0
    """
    s = positive("s", s, unit="GeV^2")
    s_min = in_range("s_min", s_min, 0.0, s, high_inclusive=False, unit="GeV^2")
    if s_hat_pole is not None and not s_hat_pole < s_min:
        raise PhysicsDomainError(
            f"s_hat_pole = {s_hat_pole:g} GeV^2 must be below s_min = {s_min:g} GeV^2"
        )
    beta = isr_beta(s)
    z_min = s_min / s
    x1, w1 = _d_nodes(np.array(z_min), beta, n_nodes, scale=s, pole=s_hat_pole)  # (2n,)
    x2, w2 = _d_nodes(z_min / x1, beta, n_nodes, scale=x1 * s, pole=s_hat_pole)  # (2n, 2n)
    values = np.asarray(sigma_hat(x1[:, None] * x2 * s), dtype=float)
    return float(np.sum(w1[:, None] * w2 * values))


def isr_photons(x1, x2, sqrt_s) -> tuple[np.ndarray, np.ndarray]:
    """Collinear ISR photons and the velocity of the reduced e+e- system in the CM frame.

    The e- (along +z) keeps x1 sqrt(s)/2 and the e+ (along -z) keeps x2 sqrt(s)/2 (beam
    masses neglected); the photons carry the rest along the beam directions. The reduced
    system has mass sqrt(x1 x2 s) and moves along z with beta = (x1 - x2) / (x1 + x2).

    Parameters
    ----------
    x1, x2 : array_like (n,)
        Energy fractions kept by the e- and e+.
    sqrt_s : float or array_like (n,)
        Centre-of-mass energy in GeV.

    Returns
    -------
    photons : numpy.ndarray, shape (n, 2, 4)
        Four-momenta (E, px, py, pz) of the photons from the e- and the e+, GeV.
    beta_z : numpy.ndarray (n,)
        Velocity of the reduced system along +z.
    """
    x1 = np.asarray(x1, dtype=float)
    x2 = np.asarray(x2, dtype=float)
    e_beam = 0.5 * np.broadcast_to(np.asarray(sqrt_s, dtype=float), x1.shape)
    photons = np.zeros((*x1.shape, 2, 4))
    photons[..., 0, 0] = (1.0 - x1) * e_beam
    photons[..., 0, 3] = (1.0 - x1) * e_beam
    photons[..., 1, 0] = (1.0 - x2) * e_beam
    photons[..., 1, 3] = -(1.0 - x2) * e_beam
    return photons, (x1 - x2) / (x1 + x2)


def _beam_velocity(sqrt_s):
    """Velocity of each beam lepton in the CM frame, sqrt(1 - 4 m_e^2/s) (with its 1 - beta^2)."""
    one_minus_b2 = 4.0 * M_E**2 / np.asarray(sqrt_s, dtype=float) ** 2
    return np.sqrt(1.0 - one_minus_b2), one_minus_b2


def isr_photon_angle_cdf(cos_theta, sqrt_s):
    """Unnormalised CDF F(c) of the ISR photon polar-angle density (CM frame, +z = e- beam).

    A soft photon of momentum k radiated by the colliding e+e- pair follows the eikonal
    factor |p1/(p1.k) - p2/(p2.k)|^2 (Peskin & Schroeder, *An Introduction to Quantum Field
    Theory*, eq. 6.17; Jackson, *Classical Electrodynamics*, 3rd ed., eq. 15.2 for the
    classical current). For back-to-back beams of velocity b in the CM frame,
    p1.k = E w (1 - b c), p2.k = E w (1 + b c), p1.p2 = E^2 (1 + b^2), and the factor
    reduces to

        |J|^2 = 4 b^2 (1 - c^2) / (E w (1 - b^2 c^2))^2,

    the density f(c) = (1 - c^2) / (1 - b^2 c^2)^2 in c = cos(theta). Its integral is

        F(c) = [ (1 + b^2)/(2 b) artanh(b c) - (1 - b^2) c / (2 (1 - b^2 c^2)) ] / b^2,

    and (2 alpha/pi) (F(1) - F(-1)) = (2 alpha/pi) [(1 + b^2)/(2 b) ln((1+b)/(1-b)) - 1],
    which tends to the structure-function exponent 2 alpha/pi (ln(s/m_e^2) - 1)
    (:func:`isr_beta`, the sum of the two beams' exponents beta/2) at high energy: the angles
    sampled here belong to the same photons whose energies :func:`sample_isr_fractions` draws.

    Parameters
    ----------
    cos_theta : array_like
        cos of the photon polar angle in the CM frame, -1 <= c <= 1.
    sqrt_s : float
        Centre-of-mass energy in GeV.

    Returns
    -------
    numpy.ndarray or float

    >>> s = 10.58**2
    >>> total = isr_photon_angle_cdf(1.0, 10.58) - isr_photon_angle_cdf(-1.0, 10.58)
    >>> round(float(2 * ALPHA_EM / math.pi * total) / isr_beta(s), 6)
    1.0
    """
    c = np.asarray(in_range("cos_theta", cos_theta, -1.0, 1.0), dtype=float)
    b, one_minus_b2 = _beam_velocity(positive("sqrt_s", sqrt_s, unit="GeV"))
    den = one_minus_b2 + b * b * (1.0 - c * c)  # 1 - b^2 c^2 without cancellation
    out = ((1.0 + b * b) / (2.0 * b) * np.arctanh(b * c) - one_minus_b2 * c / (2.0 * den)) / (b * b)
    return float(out) if np.ndim(out) == 0 else out


def sample_isr_photon_cos_theta(rng: np.random.Generator, n: int, sqrt_s) -> np.ndarray:
    """Draw cos(theta) of ISR photons from f(c) = (1 - c^2)/(1 - b^2 c^2)^2 (CM frame).

    The density is the eikonal (soft-photon) angular factor of the e+e- pair derived in
    :func:`isr_photon_angle_cdf`. Sampling is exact: c is drawn from the envelope
    g(c) = 1/(1 - b^2 c^2) by inversion (artanh(b c) uniform) and accepted with probability
    f/g = (1 - c^2)/(1 - b^2 c^2) <= 1; the acceptance is about 0.95 at 10.58 GeV. The sign of
    c is symmetric: callers fold photons radiated by the e- into c > 0 and by the e+ into c < 0.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of photons.
    sqrt_s : float
        Centre-of-mass energy in GeV (sets the beam velocity b = sqrt(1 - 4 m_e^2/s)).

    Returns
    -------
    numpy.ndarray (n,)
        cos(theta) in [-1, 1].
    """
    if int(n) != n or n < 0:
        raise PhysicsDomainError(f"n = {n} is outside the allowed range [0, inf) (integer)")
    n = int(n)
    b, one_minus_b2 = _beam_velocity(positive("sqrt_s", float(sqrt_s), unit="GeV"))
    w_max = math.atanh(b)
    out = np.empty(n)
    filled = 0
    while filled < n:
        m = max(64, int(1.1 * (n - filled)) + 16)
        c = np.tanh(w_max * (2.0 * rng.random(m) - 1.0)) / b
        one_minus_c2 = (1.0 - c) * (1.0 + c)
        accept = rng.random(m) * (one_minus_b2 + b * b * one_minus_c2) < one_minus_c2
        take = c[accept][: n - filled]
        out[filled : filled + take.size] = take
        filled += take.size
    return out


def hard_isr_photon_angle_cdf(cos_theta, x_gamma, sqrt_s):
    r"""Unnormalised CDF in cos(theta) of an ISR photon of energy fraction x at O(alpha).

    The photon of e+e- -> gamma + gamma*(Q^2) (the final state X produced through one
    virtual photon, integrated over the decay angles of X) has, at fixed
    x = 2 E_gamma / sqrt(s) = 1 - Q^2/s, the massless angular law

        dN/dc  ~  (s^2 + Q^4) / (s (s - Q^2)) / (1 - c^2) - (s - Q^2) / (2 s)
               =  [(2 - x)^2 + x^2 c^2] / (2 x (1 - c^2))

    (S. Binner, J. H. Kuehn, K. Melnikov, Phys. Lett. B 459 (1999) 279, hep-ph/9902399,
    eq. 2; the leading order of G. Rodrigo, H. Czyz, J. H. Kuehn, M. Szopa, Eur. Phys. J. C
    24 (2002) 71, hep-ph/0112184; it is u/t + t/u + 2 s Q^2/(u t) of e+e- -> gamma gamma*).
    Compared with the soft-photon (eikonal) law of :func:`isr_photon_angle_cdf` the hard
    photon has a negative constant term: at x = 1 the density at 90 degrees is half the
    eikonal one. The collinear region is regularised with the electron mass as in the
    eikonal factor,

        f(c | x) = (1 - c^2) / (1 - b^2 c^2)^2 [(2 - x)^2 + x^2 b^2 c^2],

    positive, four times the eikonal density as x -> 0, and the massless law for
    1 - c^2 >> m_e^2/s. Its integral is, with F_E = isr_photon_angle_cdf,

        F(c | x) = (2 - x)^2 F_E(c) + x^2 [F_E(c) - c/b^2 + (1 - b^2) artanh(b c) / b^3].

    The mass terms inside the collinear cone theta < ~m_e/E are not the exact O(alpha)
    ones: they change the share of photons outside the cone by O(1/ln(s/m_e^2)) ~ 5 % for
    x -> 1 and not at all for soft photons.

    Parameters
    ----------
    cos_theta : array_like
        cos of the photon polar angle in the CM frame, -1 <= c <= 1.
    x_gamma : array_like
        Photon energy over the beam energy, 0 <= x <= 1 (broadcast against ``cos_theta``).
    sqrt_s : float
        Centre-of-mass energy in GeV.

    Returns
    -------
    numpy.ndarray or float

    >>> soft = hard_isr_photon_angle_cdf(0.5, 0.0, 10.58) / isr_photon_angle_cdf(0.5, 10.58)
    >>> round(float(soft), 12)  # soft limit: 4 x the eikonal CDF
    4.0
    """
    c = np.asarray(in_range("cos_theta", cos_theta, -1.0, 1.0), dtype=float)
    x = np.asarray(in_range("x_gamma", x_gamma, 0.0, 1.0), dtype=float)
    b, one_minus_b2 = _beam_velocity(positive("sqrt_s", sqrt_s, unit="GeV"))
    f_e = np.asarray(isr_photon_angle_cdf(c, sqrt_s), dtype=float)
    g = c / (b * b) - one_minus_b2 * np.arctanh(b * c) / (b * b * b)
    out = (2.0 - x) ** 2 * f_e + x * x * (f_e - g)
    return float(out) if np.ndim(out) == 0 else out


def hard_isr_photon_factor(x_gamma, cos_theta, sqrt_s):
    """Ratio r = f_hard / (4 f_eikonal) normalised to <= 1: the accept probability.

    r(c | x) = [(2 - x)^2 + x^2 b^2 c^2] / [(2 - x)^2 + x^2], between 1/2 (x = 1, c = 0)
    and 1; r -> 1 for soft (x -> 0) or collinear photons. Accepting eikonal proposals with
    probability r samples the hard-photon law of :func:`hard_isr_photon_angle_cdf` exactly.
    (For massless electrons r = 1 - x^2 sin^2(theta) / (2 (1 + (1 - x)^2)), the form in
    which Binner-Kuehn-Melnikov's law reads (1 + (1 - x)^2)/x / sin^2(theta) - x/2.)

    >>> round(float(hard_isr_photon_factor(1.0, 0.0, 10.58)), 12)
    0.5
    """
    x = np.asarray(x_gamma, dtype=float)
    c = np.asarray(cos_theta, dtype=float)
    b, _ = _beam_velocity(float(sqrt_s))
    a = (2.0 - x) ** 2
    return (a + x * x * b * b * c * c) / (a + x * x)


def sample_hard_isr_photon_cos_theta(rng: np.random.Generator, x_gamma, sqrt_s) -> np.ndarray:
    """Draw cos(theta) of ISR photons of energy fractions ``x_gamma`` from the O(alpha) law.

    Eikonal proposals (:func:`sample_isr_photon_cos_theta`) are accepted with
    :func:`hard_isr_photon_factor` (>= 1/2) and redrawn otherwise, so the result follows
    :func:`hard_isr_photon_angle_cdf` at each photon's own x; the energy fractions, hence the
    structure-function spectrum and cross sections, are untouched.

    Parameters
    ----------
    rng : numpy.random.Generator
    x_gamma : array_like (n,)
        Photon energy over the beam energy, 0 <= x <= 1.
    sqrt_s : float
        Centre-of-mass energy in GeV.

    Returns
    -------
    numpy.ndarray (n,)
    """
    x_gamma = np.asarray(in_range("x_gamma", x_gamma, 0.0, 1.0), dtype=float).ravel()
    out = np.empty(x_gamma.size)
    pending = np.arange(x_gamma.size)
    while pending.size:  # acceptance >= 1/2 per round
        c = sample_isr_photon_cos_theta(rng, pending.size, sqrt_s)
        ok = rng.random(pending.size) < hard_isr_photon_factor(x_gamma[pending], c, sqrt_s)
        out[pending[ok]] = c[ok]
        pending = pending[~ok]
    return out


def isr_photons_with_angles(
    rng: np.random.Generator, x1, x2, sqrt_s, *, hard_law: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """ISR photons with polar angles, and the velocity of the hard system (CM frame).

    The structure functions fix the energy each beam radiates, (1 - x_i) sqrt(s)/2
    (:func:`sample_isr_fractions`); here that energy is carried by one photon per beam whose
    direction follows the eikonal angular law of :func:`sample_isr_photon_cos_theta` (the
    e- photon in the +z hemisphere, the e+ photon in -z, azimuths uniform). This is the
    leading-logarithmic picture of e.g. S. Jadach, B. F. L. Ward, Z. Was, Comput. Phys.
    Commun. 130 (2000) 260, hep-ph/9912214 (KKMC), where the photon angles factorise from the
    energies: photons at large angle are rare per unit of angle but collectively matter
    (dN/dtheta ~ 1/theta), which collinear photons miss.

    Momentum is conserved exactly and the hard system keeps its mass sqrt(x1 x2 s): both
    photon energies are scaled by one factor lambda <= 1 solving
    (2E - lambda A)^2 - lambda^2 |B|^2 = x1 x2 s with A = w1 + w2, B = w1 k1 + w2 k2; lambda
    is exactly 1 for collinear photons and for a single photon. The hard system's velocity
    is then -lambda B / (2E - lambda A).

    Parameters
    ----------
    rng : numpy.random.Generator
    x1, x2 : array_like (n,)
        Energy fractions kept by the e- and e+ (0 < x <= 1).
    sqrt_s : float or array_like (n,)
        Centre-of-mass energy in GeV.
    hard_law : bool
        Draw each photon's angle from the O(alpha) law at its energy fraction
        (:func:`sample_hard_isr_photon_cos_theta`) instead of the soft (eikonal) law; the two
        agree for soft photons and differ by up to 2x at large angle for x -> 1 (radiative
        return).

    Returns
    -------
    photons : numpy.ndarray, shape (n, 2, 4)
        Four-momenta (E, px, py, pz) of the photons from the e- and the e+, GeV (zero
        energy where a beam did not radiate).
    beta : numpy.ndarray, shape (n, 3)
        Velocity of the hard (reduced) system; boost its rest-frame products with
        :func:`darkscan.lorentz.boost`. Its z component equals (x1 - x2)/(x1 + x2) for
        collinear photons.
    """
    x1 = np.asarray(x1, dtype=float)
    x2 = np.asarray(x2, dtype=float)
    n = x1.shape[0]
    root = np.broadcast_to(np.asarray(sqrt_s, dtype=float), x1.shape)
    e_beam = 0.5 * root
    dirs = np.empty((n, 2, 3))
    root_mean = float(np.mean(root)) if n else 1.0
    for j, (sign, x) in enumerate(((1.0, x1), (-1.0, x2))):
        if hard_law:
            c = sample_hard_isr_photon_cos_theta(rng, np.clip(1.0 - x, 0.0, 1.0), root_mean)
        else:
            c = sample_isr_photon_cos_theta(rng, n, root_mean)
        c = sign * np.abs(c)
        phi = 2.0 * math.pi * rng.random(n)
        sin_t = np.sqrt((1.0 - c) * (1.0 + c))
        dirs[:, j, 0] = sin_t * np.cos(phi)
        dirs[:, j, 1] = sin_t * np.sin(phi)
        dirs[:, j, 2] = c
    y1, y2 = 1.0 - x1, 1.0 - x2
    w = np.stack([y1 * e_beam, y2 * e_beam], axis=-1)
    a = w.sum(axis=-1)
    b_vec = np.einsum("nj,njk->nk", w, dirs)
    quad = 2.0 * w[:, 0] * w[:, 1] * (1.0 - np.einsum("nk,nk->n", dirs[:, 0], dirs[:, 1]))
    const = 4.0 * e_beam * e_beam * (y1 + y2 - y1 * y2)  # 4E^2 - x1 x2 s without cancellation
    disc = np.sqrt(np.maximum(16.0 * e_beam * e_beam * a * a - 4.0 * quad * const, 0.0))
    den = 4.0 * e_beam * a + disc
    lam = np.divide(2.0 * const, den, out=np.ones_like(a), where=den > 0.0)
    photons = np.zeros((n, 2, 4))
    photons[..., 0] = lam[:, None] * w
    photons[..., 1:] = (lam[:, None] * w)[..., None] * dirs
    beta = -lam[:, None] * b_vec / (2.0 * e_beam - lam * a)[:, None]
    return photons, beta


@dataclass(frozen=True)
class PartonicCollisions:
    """Output of :func:`sample_partonic_collisions` (arrays of length n).

    Attributes
    ----------
    sqrt_s : numpy.ndarray
        Nominal-frame collision energy per event (beam-energy spread applied), GeV.
    x1, x2 : numpy.ndarray
        Energy fractions kept by the e- and e+ after ISR (1 without ISR).
    s_hat : numpy.ndarray
        Squared energy of the hard collision, x1 x2 sqrt_s^2, GeV^2.
    cos_theta : numpy.ndarray
        Polar angle of the first outgoing particle in the hard-collision frame w.r.t. +z.
    weight : numpy.ndarray
        Relative event weights (all 1 for unweighted sampling), mean 1.
    efficiency : float
        Acceptance of the accept-reject step (weighted: fraction above ``s_hat_min``).
    max_weight : float
        Envelope used for accept-reject (analytic, or pilot maximum times safety factor).
    n_overweight : int
        Accepted events whose weight exceeded ``max_weight`` (0 with an analytic envelope).
    """

    sqrt_s: np.ndarray
    x1: np.ndarray
    x2: np.ndarray
    s_hat: np.ndarray
    cos_theta: np.ndarray
    weight: np.ndarray
    efficiency: float
    max_weight: float = math.nan
    n_overweight: int = 0


def _d_over(h, y, beta):
    """h / D(x) with y = 1 - x, returning 0 where D is infinite (y == 0)."""
    b = beta / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        d = b * y ** (b - 1.0) * (1.0 + 3.0 * beta / 8.0) - beta / 4.0 * (2.0 - y)
        return np.where(y > 0.0, h / d, 0.0)


def sample_partonic_collisions(
    rng: np.random.Generator,
    n: int,
    *,
    sqrt_s: float,
    d_sigma: Callable[[np.ndarray, np.ndarray], np.ndarray],
    cos_proposal: tuple[Callable[[np.random.Generator, int], np.ndarray], Callable],
    envelope: float,
    s_hat_min: float,
    isr: bool = False,
    sqrt_s_sampler: Callable[[np.random.Generator, int], np.ndarray] | None = None,
    weighted: bool = False,
    s_hat_pole: float | None = None,
    pole_fraction: float = 0.5,
    safety: float = 1.5,
    n_pilot: int = 50_000,
) -> PartonicCollisions:
    """Draw hard 2 -> 2 collisions (s_hat, cos theta) with optional ISR and energy spread.

    The joint density is D(x1) D(x2) dsigma/dcos(theta)(s_hat, cos theta) with
    s_hat = x1 x2 s (Kuraev-Fadin convolution, see the module docstring), restricted to
    s_hat >= ``s_hat_min``. Proposals: s from ``sqrt_s_sampler`` (beam-energy spread) or
    fixed, cos(theta) from the process's proposal density g, and x_i from D
    (:func:`sample_energy_fraction`, exact). The weight of a proposal is
    f / q = D D dsigma / (q_x g).

    Hard processes whose cross section grows like 1/(s_hat - m^2) towards threshold (a soft
    recoil photon, e+e- -> gamma A') make the D x D proposal inefficient. With ISR and
    ``s_hat_pole = m^2`` the x proposal becomes the mixture
    q_x = (1 - lambda) D(x1) D(x2) + lambda/2 [D(x2) h(x1|x2) + D(x1) h(x2|x1)] / P, where
    one beam keeps x_o ~ D (truncated to x_o s > s_hat_min, probability P) and the other
    x_h ~ h(x_h|x_o), proportional to 1/(x_h x_o s - m^2) on x_h x_o s >= s_hat_min (drawn by
    inversion). The envelope is then the largest weight of a pilot run times ``safety``;
    proposals above it are accepted with probability 1 and counted in ``n_overweight``.

    Unweighted: each proposal is accepted with probability min(1, (f/q) / envelope);
    weighted: proposals below ``s_hat_min`` are redrawn and the weight is f/q, normalised to
    mean 1.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of collisions.
    sqrt_s : float
        Nominal centre-of-mass energy in GeV.
    d_sigma : callable (s_hat, cos_theta) -> array
        Differential cross section of the hard process (any unit, vectorised).
    cos_proposal : (sample, pdf)
        ``sample(rng, m)`` draws m values of cos(theta) inside the generator-level cut,
        ``pdf(c)`` is their normalised density.
    envelope : float
        Upper bound of d_sigma(s_hat, c) / pdf(c) over the allowed (s_hat, c) (not used
        with ``isr`` and ``s_hat_pole``).
    s_hat_min : float
        Lower limit of s_hat in GeV^2 (production threshold or photon-energy cut).
    isr : bool
        Radiate initial-state photons.
    sqrt_s_sampler : callable (rng, m) -> array, optional
        Draws per-event sqrt(s) (beam-energy spread), e.g. ``collider.sample_sqrt_s``.
    weighted : bool
        Return weighted instead of unweighted collisions.
    s_hat_pole : float, optional
        m^2 (GeV^2) of a 1/(s_hat - m^2) rise of the cross section below ``s_hat_min``.
    pole_fraction : float
        Mixture fraction lambda of the pole proposal.
    safety : float
        Safety factor on the pilot maximum weight.
    n_pilot : int
        Pilot proposals used to estimate the maximum weight.

    Returns
    -------
    PartonicCollisions
    """
    s_nominal = float(sqrt_s) ** 2
    sample_cos, pdf_cos = cos_proposal
    beta = isr_beta(s_nominal)
    use_pole = bool(isr) and s_hat_pole is not None
    if use_pole:
        pole = float(s_hat_pole)
        if not pole < s_hat_min < s_nominal:
            raise PhysicsDomainError(
                f"s_hat_pole = {pole:g} GeV^2 must lie below s_hat_min = {s_hat_min:g} GeV^2 "
                f"< s = {s_nominal:g} GeV^2"
            )
        z_min = s_hat_min / s_nominal
        p_trunc = 1.0 - structure_function_cdf(z_min, s_nominal)
        lam = in_range("pole_fraction", pole_fraction, 0.0, 1.0, low_inclusive=False)

    def draw_truncated(r: np.random.Generator, m: int) -> np.ndarray:
        (x,), _ = sample_accept_reject(
            r,
            m,
            lambda rr, k: (sample_energy_fraction(rr, k, s_nominal),),
            lambda x: (x > z_min) * 1.0,
        )
        return x

    def h_density(x_h, x_o):
        a = x_o * s_nominal
        ok = (a > s_hat_min) & (x_h * a >= s_hat_min)
        a_safe = np.where(ok, a, 2.0 * s_hat_min)
        log_r = np.log((a_safe - pole) / (s_hat_min - pole))
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = a_safe / ((x_h * a_safe - pole) * log_r)
        return np.where(ok, dens, 0.0)

    def propose(r: np.random.Generator, m: int):
        if sqrt_s_sampler is None:
            roots = np.full(m, float(sqrt_s))
        else:
            roots = np.asarray(sqrt_s_sampler(r, m), dtype=float)
        if not isr:
            x1 = np.ones(m)
            x2 = np.ones(m)
        else:
            x1 = sample_energy_fraction(r, m, s_nominal)
            x2 = sample_energy_fraction(r, m, s_nominal)
            if use_pole:
                from_pole = r.random(m) < lam
                k = int(from_pole.sum())
                x_o = draw_truncated(r, k) if k else np.empty(0)
                a = x_o * s_nominal
                ratio_r = (a - pole) / (s_hat_min - pole)
                x_h = (pole + (s_hat_min - pole) * ratio_r ** r.random(k)) / a
                x_h = np.minimum(x_h, 1.0)
                first = r.random(k) < 0.5  # which beam radiates hard
                idx = np.flatnonzero(from_pole)
                x1[idx] = np.where(first, x_h, x_o)
                x2[idx] = np.where(first, x_o, x_h)
        c = sample_cos(r, m)
        return roots, x1, x2, c

    def ratio(roots, x1, x2, c):
        s_hat = x1 * x2 * roots * roots
        above = s_hat >= s_hat_min
        safe = np.where(above, s_hat, s_hat_min)
        value = np.where(above, d_sigma(safe, c) / pdf_cos(c), 0.0)
        if use_pole:
            y1, y2 = 1.0 - x1, 1.0 - x2
            extra = _d_over(h_density(x1, x2), y1, beta) + _d_over(h_density(x2, x1), y2, beta)
            value = value / ((1.0 - lam) + lam / (2.0 * p_trunc) * extra)
        return value

    max_weight = float(envelope)
    if use_pole and not weighted:
        pilot = ratio(*propose(rng, int(n_pilot)))
        max_weight = float(safety * pilot.max())
    if weighted:
        # proposals below the threshold are dropped (resampled), the rest carry f / q
        (roots, x1, x2, c), efficiency = sample_accept_reject(
            rng, n, propose, lambda roots, x1, x2, c: (x1 * x2 * roots**2 >= s_hat_min) * 1.0
        )
        w = ratio(roots, x1, x2, c)
        w = w / w.mean()
        n_over = 0
    else:
        clip = use_pole  # pilot envelope: overweight proposals possible
        (roots, x1, x2, c), efficiency = sample_accept_reject(
            rng,
            n,
            propose,
            lambda *a: np.minimum(ratio(*a) / max_weight, 1.0) if clip else ratio(*a) / max_weight,
        )
        w = np.ones(n)
        n_over = int(np.sum(ratio(roots, x1, x2, c) > max_weight)) if clip else 0
    return PartonicCollisions(
        sqrt_s=roots,
        x1=x1,
        x2=x2,
        s_hat=x1 * x2 * roots * roots,
        cos_theta=c,
        weight=w,
        efficiency=float(efficiency),
        max_weight=max_weight,
        n_overweight=n_over,
    )
