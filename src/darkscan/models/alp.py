"""Axion-like particle (ALP) coupled to photons: e+e- -> gamma a, a -> gamma gamma.

The ALP ``a`` of mass ``m_a`` couples to photons through
``L = -(g_agg / 4) a F Fdual``; ``g_agg`` is in GeV^-1. At an e+e- collider it is produced
by photon-ALP-photon fusion in s-channel photon exchange, ``e+e- -> gamma* -> gamma a``,
and decays to two photons.

References
----------
M. J. Dolan, T. Ferber, C. Hearty, F. Kahlhoefer, K. Schmidt-Hoberg, "Revised constraints
and Belle II sensitivity for visible and invisible axion-like particles", JHEP 12 (2017) 094,
arXiv:1709.00009, Sec. 2 (production cross section and decay width).
Belle II Collaboration, "Search for axion-like particles produced in e+e- collisions at
Belle II", Phys. Rev. Lett. 125 (2020) 161806, arXiv:2007.13071.

Citation audit (2026-11): the section numbers of arXiv:1709.00009 quoted below (Sec. 2,
2.1, 3) and its equation numbers could not be verified; no equation number is quoted. The
formulas are stated in full and tested against analytic limits.

Examples
--------
>>> alp = AxionLikeParticle(m_a=1.0, g_agg=1e-3)
>>> round(float(alp.cross_section(10.58)), 2)  # fb
115.25
>>> round(float(alp.ctau()) * 1e6, 3)  # 1e-6 cm
3.967
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from darkscan import _validate
from darkscan.constants import ALPHA_EM, GEV2_TO_FB
from darkscan.errors import PhysicsDomainError
from darkscan.models._base import DecayingModel, Quantity

__all__ = ["AxionLikeParticle", "alp_angular_distribution", "alp_cms_momentum"]


def alp_cms_momentum(m_a, sqrt_s) -> np.ndarray:
    """CM-frame momentum of the ALP in e+e- -> gamma a, p* = (s - m_a^2) / (2 sqrt(s)) in GeV.

    Parameters
    ----------
    m_a : float or array
        ALP mass in GeV (below ``sqrt_s``).
    sqrt_s : float
        Centre-of-mass energy in GeV.

    Returns
    -------
    numpy.ndarray
        Momentum of the ALP (and of the recoil photon) in the CM frame, GeV.

    References
    ----------
    Two-body kinematics with a massless recoil, PDG Review "Kinematics", Sec. "Two-body decays".

    Examples
    --------
    >>> round(float(alp_cms_momentum(0.0, 10.58)), 2)
    5.29
    """
    m = np.asarray(m_a, dtype=float)
    s = float(sqrt_s) ** 2
    return (s - m**2) / (2.0 * math.sqrt(s))


def alp_angular_distribution(cos_theta) -> np.ndarray:
    """Normalised polar-angle distribution of e+e- -> gamma a in the CM frame.

    ``(1/sigma) dsigma/dcos(theta) = (3/8) (1 + cos^2 theta)``, the same for every ALP mass,
    with theta the angle between the photon (or ALP) and the beam axis.

    Parameters
    ----------
    cos_theta : float or array
        Cosine of the CM polar angle, in [-1, 1].

    Returns
    -------
    numpy.ndarray
        Probability density in cos(theta); integrates to one over [-1, 1].

    References
    ----------
    Dolan et al., arXiv:1709.00009, Sec. 2.1: the photon-fusion amplitude has the angular
    dependence of a vector current, dsigma/dcos(theta) proportional to 1 + cos^2(theta);
    Belle II, arXiv:2007.13071 (signal generated with this distribution).

    Examples
    --------
    >>> float(alp_angular_distribution(0.0))
    0.375
    """
    c = _validate.in_range("cos_theta", cos_theta, -1.0, 1.0)
    return 0.375 * (1.0 + np.asarray(c) ** 2)


@dataclass(frozen=True)
class AxionLikeParticle(DecayingModel):
    """ALP with a photon coupling only.

    Parameters
    ----------
    m_a : float or array
        ALP mass in GeV (> 0).
    g_agg : float or array
        ALP-photon coupling in GeV^-1 (>= 0).
    """

    m_a: float | np.ndarray
    g_agg: float | np.ndarray

    cli_name: ClassVar[str] = "alp"
    mass_field: ClassVar[str] = "m_a"
    coupling_field: ClassVar[str] = "g_agg"

    def __post_init__(self) -> None:
        object.__setattr__(self, "m_a", _validate.positive("m_a", self.m_a, unit="GeV"))
        object.__setattr__(
            self, "g_agg", _validate.non_negative("g_agg", self.g_agg, unit="GeV^-1")
        )

    # ------------------------------------------------------------------ decays
    def width_gamma_gamma(self) -> np.ndarray:
        """Width of a -> gamma gamma in GeV, Gamma = g_agg^2 m_a^3 / (64 pi).

        References
        ----------
        Dolan et al., arXiv:1709.00009, Sec. 2 (the only decay for a photon-coupled ALP).

        Examples
        --------
        >>> round(float(AxionLikeParticle(1.0, 1e-3).width_gamma_gamma()) * 1e9, 4)  # 1e-9 GeV
        4.9736
        """
        g = np.asarray(self.g_agg, dtype=float)
        m = np.asarray(self.m_a, dtype=float)
        return np.broadcast_to(g**2 * m**3 / (64.0 * math.pi), np.broadcast(g, m).shape) * 1.0

    def partial_widths(self) -> dict[str, np.ndarray]:
        """Partial widths in GeV: only ``"gamma_gamma"`` for a photon-coupled ALP."""
        return {"gamma_gamma": self.width_gamma_gamma()}

    # -------------------------------------------------------------- production
    def cross_section(self, sqrt_s) -> np.ndarray:
        """Cross section of e+e- -> gamma a in fb.

        ``sigma = g_agg^2 alpha / 24 (1 - m_a^2 / s)^3`` (GeV^-2, converted to fb), tree level,
        electron mass neglected; independent of s in the limit m_a -> 0.

        Parameters
        ----------
        sqrt_s : float
            Centre-of-mass energy in GeV; ``m_a`` must be below it.

        Returns
        -------
        numpy.ndarray
            Cross section in fb, broadcast over the mass and coupling.

        References
        ----------
        Dolan et al., arXiv:1709.00009, Sec. 2.1 (photon-coupling production cross section);
        Belle II, PRL 125 (2020) 161806, arXiv:2007.13071.

        Examples
        --------
        >>> round(float(AxionLikeParticle(1e-3, 1e-3).cross_section(10.58)), 2)  # m -> 0 limit
        118.39
        """
        sqrt_s = _validate.positive("sqrt_s", sqrt_s, unit="GeV")
        _validate.below_threshold(
            "m_a", self.m_a, sqrt_s, f"e+e- -> gamma a at sqrt(s) = {sqrt_s:g} GeV"
        )
        m = np.asarray(self.m_a, dtype=float)
        g = np.asarray(self.g_agg, dtype=float)
        return g**2 * ALPHA_EM / 24.0 * (1.0 - m**2 / sqrt_s**2) ** 3 * GEV2_TO_FB

    def differential_cross_section(self, sqrt_s, cos_theta) -> np.ndarray:
        """dsigma/dcos(theta) of e+e- -> gamma a in the CM frame, fb per unit cos(theta).

        The product of :meth:`cross_section` and :func:`alp_angular_distribution`
        (``3/8 (1 + cos^2 theta)``; Dolan et al., arXiv:1709.00009, Sec. 2.1).
        """
        return self.cross_section(sqrt_s) * alp_angular_distribution(cos_theta)

    # ------------------------------------------------------------- kinematics
    def lab_momentum(self, sqrt_s, beta_gamma, cos_theta_cms=0.0) -> tuple[np.ndarray, np.ndarray]:
        """Lab momentum (GeV) and lab polar angle (rad) of the ALP from e+e- -> gamma a.

        The CM frame moves along +z with ``beta_gamma``; the ALP leaves the collision at CM
        polar angle ``theta*`` (``cos_theta_cms``) with energy E* = (s + m^2) / (2 sqrt(s))
        and momentum p* = (s - m^2) / (2 sqrt(s)):
        ``p_z = gamma p* cos(theta*) + beta_gamma E*``, ``p_T = p* sin(theta*)``.

        Parameters
        ----------
        sqrt_s : float
            CM energy in GeV.
        beta_gamma : float
            Boost of the CM frame in the lab along +z (0.28 at SuperKEKB).
        cos_theta_cms : float or array
            Cosine of the ALP polar angle in the CM frame.

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Lab momentum in GeV and lab polar angle in rad.

        References
        ----------
        Lorentz boost along z, PDG Review "Kinematics", Sec. "Lorentz transformations".
        """
        sqrt_s = _validate.positive("sqrt_s", sqrt_s, unit="GeV")
        bg = _validate.non_negative("beta_gamma", beta_gamma)
        c = np.asarray(_validate.in_range("cos_theta_cms", cos_theta_cms, -1.0, 1.0))
        _validate.below_threshold(
            "m_a", self.m_a, sqrt_s, f"e+e- -> gamma a at sqrt(s) = {sqrt_s:g} GeV"
        )
        m = np.asarray(self.m_a, dtype=float)
        p_star = alp_cms_momentum(m, sqrt_s)
        e_star = (sqrt_s**2 + m**2) / (2.0 * sqrt_s)
        gamma = math.sqrt(1.0 + bg**2)
        p_z = gamma * p_star * c + bg * e_star
        p_t = p_star * np.sqrt(1.0 - c**2)
        return np.hypot(p_z, p_t), np.arctan2(p_t, p_z)

    def lab_decay_length(self, sqrt_s, beta_gamma, cos_theta_cms=0.0) -> np.ndarray:
        """Mean lab-frame decay length (cm) of the ALP from e+e- -> gamma a.

        ``L = (p_lab / m_a) c tau`` with ``p_lab`` from :meth:`lab_momentum`.
        """
        p_lab, _ = self.lab_momentum(sqrt_s, beta_gamma, cos_theta_cms)
        return self.decay_length(p_lab)

    def decay_probability(self, r_min, r_max, momentum, theta=None) -> np.ndarray:
        """Probability that the ALP decays between two distances from the production point.

        ``P = exp(-d_min / L) - exp(-d_max / L)`` with ``L = (p / m_a) c tau`` the mean lab
        decay length. Without ``theta`` the distances are path lengths along the flight
        direction (a sphere of radii ``r_min``, ``r_max``). With the lab polar angle ``theta``
        of the flight direction, ``r_min`` and ``r_max`` are transverse radii of coaxial
        cylinders around the beam axis (infinitely long) and the path lengths are
        ``d = r / sin(theta)``. ``r_max = inf`` gives the probability to decay beyond
        ``r_min``; ``r_min = 0`` the probability to decay inside ``r_max``.

        Parameters
        ----------
        r_min, r_max : float or array
            Inner and outer distance (or transverse radius) in cm, 0 <= r_min <= r_max.
        momentum : float or array
            ALP lab momentum in GeV.
        theta : float or array, optional
            Lab polar angle of the flight direction in rad, in (0, pi).

        Returns
        -------
        numpy.ndarray
            Decay probability in [0, 1].

        References
        ----------
        Exponential decay law, PDG Review "Kinematics"; used this way for displaced ALP
        decays in Dolan et al., arXiv:1709.00009, Sec. 3.

        Examples
        --------
        >>> alp = AxionLikeParticle(0.1, 1e-4)
        >>> float(alp.decay_probability(0.0, np.inf, 1.0))
        1.0
        """
        r_lo = np.asarray(_validate.non_negative("r_min", r_min, unit="cm"), dtype=float)
        r_hi = np.asarray(r_max, dtype=float)
        if np.any(np.isnan(r_hi)) or np.any(r_hi < r_lo):
            raise PhysicsDomainError(
                f"r_max = {r_max} cm must be >= r_min = {r_min} cm (allowed: r_min <= r_max <= inf)"
            )
        p = _validate.positive("momentum", momentum, unit="GeV")
        if theta is not None:
            th = np.asarray(
                _validate.in_range(
                    "theta", theta, 0.0, math.pi, low_inclusive=False, high_inclusive=False
                )
            )
            sin_t = np.sin(th)
            r_lo, r_hi = r_lo / sin_t, r_hi / sin_t
        length = self.decay_length(p)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(np.isfinite(length), 1.0 / length, 0.0)
            near = np.exp(-np.where(r_lo > 0, r_lo * inv, 0.0))
            far = np.exp(-np.where(np.isinf(r_hi), np.inf, r_hi * inv))
            far = np.where(np.isinf(r_hi) & (inv == 0), 1.0, far)  # stable and infinite radius
        return near - far

    # ----------------------------------------------------------------- summary
    def summary(self, collider) -> list[Quantity]:
        """Key numbers for a scalar mass at ``collider`` (uses ``sqrt_s`` and ``beta_gamma``)."""
        if np.ndim(self.m_a) or np.ndim(self.g_agg):
            raise PhysicsDomainError(
                f"summary needs a scalar m_a and g_agg, got shape {np.shape(self.m_a)}"
            )
        sqrt_s, bg = float(collider.sqrt_s), float(collider.beta_gamma)
        out = [
            Quantity("m_a", float(self.m_a), "GeV", "ALP mass"),
            Quantity("g_agg", float(self.g_agg), "GeV^-1", "ALP-photon coupling"),
            Quantity("Gamma(a -> gamma gamma)", float(self.width_gamma_gamma()), "GeV"),
            Quantity("c tau", float(self.ctau()), "cm"),
        ]
        if self.m_a < sqrt_s:
            out += [
                Quantity(
                    "sigma(e+e- -> gamma a)",
                    float(self.cross_section(sqrt_s)),
                    "fb",
                    f"sqrt(s) = {sqrt_s:g} GeV",
                ),
                Quantity("p*(a)", float(alp_cms_momentum(self.m_a, sqrt_s)), "GeV", "CM momentum"),
                Quantity(
                    "lab decay length",
                    float(self.lab_decay_length(sqrt_s, bg, 0.0)),
                    "cm",
                    f"cos(theta*) = 0, beta*gamma(CM) = {bg:g}",
                ),
            ]
        else:
            out.append(Quantity("sigma(e+e- -> gamma a)", 0.0, "fb", "above threshold"))
        return out
