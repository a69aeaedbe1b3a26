r"""Kinetically mixed dark photon A' with optional decays to dark-matter pairs chi chi.

The A' couples to the electromagnetic current with strength ``epsilon e`` and to a dark
state chi (a Dirac fermion or a complex scalar) with strength ``g_D = sqrt(4 pi alpha_dark)``.
Decays: e+e-, mu+mu-, tau+tau-, hadrons (through the R ratio of
:mod:`darkscan.models.hadronic_r`) and chi chi-bar (invisible). Production at an e+e-
collider: e+e- -> gamma A' (tree level, m_e -> 0).

All methods broadcast over ``m_aprime`` (float or array) and ``epsilon``.

Widths are first order in the mixing (``Gamma_had = eps^2 ...``). For an A' nearly
degenerate with a vector meson V this is correct only while the A'-V mass mixing
(~ eps e f_V m_V) is smaller than m_V Gamma_V (Kamada, Kuwahara, Matsumoto, Watanabe,
Watanabe, arXiv:2404.06793). Estimate with f_J/psi ~ 0.41 GeV: 0.38 eps GeV^2 against
2.9e-4 GeV^2, i.e. eps < ~7e-4 at the J/psi; for the Upsilon(1S) eps < ~2.5e-4. Within a
few widths of these narrow states and above those couplings the widths here are not reliable.

References
----------
B. Batell, M. Pospelov, A. Ritz, Phys. Rev. D 79 (2009) 115008, arXiv:0903.0363.
J. D. Bjorken, R. Essig, P. Schuster, N. Toro, Phys. Rev. D 80 (2009) 075018,
arXiv:0906.0580, Sec. II (A' decay widths to leptons and hadrons).

Equation numbers of the papers above could not be verified (2026-11 citation audit:
Bjorken et al. number their equations consecutively, eq. (19) being on p. 5, so section-style
numbers such as "(2.3)" do not exist there); the formulas are stated in full in each
docstring and verified by analytic limits in the tests.
R. Essig, J. Mardon, M. Papucci, T. Volansky, Y.-M. Zhong, JHEP 11 (2013) 167,
arXiv:1309.5084 (e+e- -> gamma A' at B factories).

Examples
--------
>>> ap = DarkPhoton(m_aprime=0.1, epsilon=1e-4)
>>> round(float(ap.branching_ratios()["e"]), 6)
1.0
>>> round(float(ap.ctau()) * 1e4, 1)  # micrometre
81.1
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from darkscan import _validate
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E, M_MU, M_TAU
from darkscan.errors import PhysicsDomainError
from darkscan.models._base import DecayingModel, Quantity
from darkscan.models.hadronic_r import SQRT_S_MAX, r_ratio

__all__ = ["BELLE2_BARREL_COS_THETA_CMS", "DarkPhoton"]

#: Photon polar-angle acceptance (cos theta in the CM frame) used for the Belle II barrel
#: calorimeter in :meth:`DarkPhoton.summary`: roughly the barrel ECL (lab 32.2-128.7 deg)
#: seen from the CM frame of the 7 x 4 GeV beams.
BELLE2_BARREL_COS_THETA_CMS = (-0.6, 0.8)

_LEPTONS = {"e": M_E, "mu": M_MU, "tau": M_TAU}


def _two_body_vector_width(coupling_alpha, mass, m_daughter) -> np.ndarray:
    """alpha m/3 (1 + 2x) sqrt(1 - 4x), x = m_f^2/m^2; zero below threshold."""
    x = np.square(m_daughter / mass)
    open_ = 1.0 - 4.0 * x
    with np.errstate(invalid="ignore"):
        return np.where(
            open_ > 0.0,
            coupling_alpha * mass / 3.0 * (1.0 + 2.0 * x) * np.sqrt(np.maximum(open_, 0.0)),
            0.0,
        )


@dataclass(frozen=True)
class DarkPhoton(DecayingModel):
    r"""A kinetically mixed dark photon.

    Parameters
    ----------
    m_aprime : float or array
        A' mass in GeV, 0 < m_aprime <= 40 (the range of the hadronic R parametrisation).
    epsilon : float or array
        Kinetic-mixing parameter, 0 < epsilon <= 1.
    m_chi : float or None
        Mass of the dark-sector state chi in GeV, or None for no invisible channel.
    alpha_dark : float
        Dark coupling g_D^2/(4 pi), 0 <= alpha_dark <= 4 pi.
    chi_spin : str
        ``"fermion"`` (Dirac) or ``"scalar"`` (complex scalar).

    Examples
    --------
    >>> ap = DarkPhoton(m_aprime=1.0, epsilon=1e-3, m_chi=0.2)
    >>> round(float(ap.invisible_branching_ratio()), 6)
    1.0
    """

    m_aprime: float | np.ndarray
    epsilon: float | np.ndarray
    m_chi: float | None = None
    alpha_dark: float = 0.5
    chi_spin: str = "fermion"

    cli_name: ClassVar[str] = "dark-photon"
    mass_field: ClassVar[str] = "m_aprime"
    coupling_field: ClassVar[str] = "epsilon"
    invisible_channels: ClassVar[tuple[str, ...]] = ("chi",)

    def __post_init__(self) -> None:
        m = _validate.in_range(
            "m_aprime", self.m_aprime, 0.0, SQRT_S_MAX, low_inclusive=False, unit="GeV"
        )
        eps = _validate.in_range("epsilon", self.epsilon, 0.0, 1.0, low_inclusive=False)
        try:
            np.broadcast_shapes(np.shape(m), np.shape(eps))
        except ValueError:
            raise PhysicsDomainError(
                f"m_aprime (shape {np.shape(m)}) and epsilon (shape {np.shape(eps)}) "
                "must broadcast against each other"
            ) from None
        object.__setattr__(self, "m_aprime", m)
        object.__setattr__(self, "epsilon", eps)
        if self.m_chi is not None:
            object.__setattr__(
                self, "m_chi", float(_validate.positive("m_chi", self.m_chi, unit="GeV"))
            )
        alpha_d = _validate.in_range("alpha_dark", self.alpha_dark, 0.0, 4.0 * math.pi)
        object.__setattr__(self, "alpha_dark", float(alpha_d))
        if self.chi_spin not in ("fermion", "scalar"):
            raise PhysicsDomainError(
                f"chi_spin = {self.chi_spin!r} is not allowed; expected 'fermion' or 'scalar'"
            )

    # -- decays ---------------------------------------------------------------------------

    def _shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(np.shape(self.m_aprime), np.shape(self.epsilon))

    def partial_widths(self) -> dict[str, np.ndarray]:
        r"""Partial widths in GeV for "e", "mu", "tau", "hadrons" and "chi".

        * ``Gamma(A' -> l+l-) = alpha eps^2 m/3 (1 + 2 m_l^2/m^2) sqrt(1 - 4 m_l^2/m^2)``
          (Bjorken et al., arXiv:0906.0580, Sec. II; Batell, Pospelov, Ritz,
          arXiv:0903.0363).
        * ``Gamma(A' -> hadrons) = (alpha eps^2 m/3) R(m)`` with R the ratio to the
          point-like muon-pair cross section (:func:`~darkscan.models.hadronic_r.r_ratio`);
          this equals Gamma(mu mu) R for m >> m_mu (Bjorken et al., Sec. II) and does not
          vanish below 2 m_mu (pi0 gamma), as it should.
        * Dirac fermion: ``Gamma(A' -> chi chi) = alpha_D m/3 (1 + 2x) sqrt(1 - 4x)``;
          complex scalar: ``alpha_D m/12 (1 - 4x)^(3/2)``, ``x = m_chi^2/m^2`` (same
          vector-current algebra; e.g. Batell, Pospelov, Ritz, arXiv:0903.0363 for the
          scalar case, and Izaguirre, Krnjaic, Schuster, Toro, arXiv:1307.6554).

        alpha is the Thomson-limit fine-structure constant.

        Returns
        -------
        dict[str, ndarray]
            Widths in GeV, each with the broadcast shape of ``m_aprime`` and ``epsilon``.

        Examples
        --------
        >>> w = DarkPhoton(m_aprime=0.5, epsilon=1e-3).partial_widths()
        >>> round(float(w["e"] / (ALPHA_EM * 1e-6 * 0.5 / 3)), 6)
        1.0
        """
        shape = self._shape()
        m = np.broadcast_to(np.asarray(self.m_aprime, dtype=float), shape)
        a_eps = ALPHA_EM * np.square(np.broadcast_to(np.asarray(self.epsilon, dtype=float), shape))
        out = {name: _two_body_vector_width(a_eps, m, ml) for name, ml in _LEPTONS.items()}
        out["hadrons"] = a_eps * m / 3.0 * np.asarray(r_ratio(m))
        if self.m_chi is None or self.alpha_dark == 0.0:
            out["chi"] = np.zeros(shape)
        elif self.chi_spin == "fermion":
            out["chi"] = _two_body_vector_width(self.alpha_dark, m, self.m_chi)
        else:
            open_ = 1.0 - 4.0 * np.square(self.m_chi / m)
            out["chi"] = self.alpha_dark * m / 12.0 * np.maximum(open_, 0.0) ** 1.5
        return out

    # -- production -----------------------------------------------------------------------

    def _kinematics(self, sqrt_s):
        sqrt_s = _validate.positive("sqrt_s", sqrt_s, unit="GeV")
        _validate.below_threshold(
            "m_aprime", self.m_aprime, sqrt_s, f"e+e- -> gamma A' at sqrt(s) = {sqrt_s:g} GeV"
        )
        s = sqrt_s * sqrt_s
        r = np.square(np.asarray(self.m_aprime, dtype=float)) / s
        norm = 2.0 * math.pi * ALPHA_EM**2 * np.square(np.asarray(self.epsilon, dtype=float)) / s
        return s, r, norm

    def differential_cross_section_gamma_aprime(self, sqrt_s: float, cos_theta) -> np.ndarray:
        r"""d sigma(e+e- -> gamma A')/d cos(theta) in fb, theta the photon angle in the CM.

        ``d sigma/d cos = (2 pi alpha^2 eps^2/s)(1 - r) [(1 + cos^2) + 4 r/(1 - r)^2] / sin^2``
        with ``r = m^2/s``, at tree level with m_e -> 0 (diverges at cos -> +-1). Obtained
        from the spin-averaged ``|M|^2 = 2 e^4 eps^2 (u/t + t/u + 2 s m^2/(t u))`` of
        e+e- -> gamma gamma*(m) (the crossed virtual Compton amplitude), with
        ``t, u = -(s - m^2)(1 -+ cos)/2`` and ``d sigma/dt = |M|^2/(16 pi s^2)``; for m -> 0 it
        is eps^2 times e+e- -> gamma gamma (Peskin & Schroeder eq. (5.105)), and it is the
        process studied for e+e- -> gamma U by Borodatchenkova, Choudhury, Drees, PRL 96
        (2006) 141802, hep-ph/0510147, and by Essig et al., arXiv:1309.5084 (their equation
        numbers not checked offline). The tests check |M|^2 against explicit Dirac traces.

        Parameters
        ----------
        sqrt_s : float
            Centre-of-mass energy in GeV (> m_aprime).
        cos_theta : float or array
            Photon cos(theta) in the CM frame, |cos_theta| < 1 (broadcast with the mass).

        Returns
        -------
        ndarray
            fb per unit cos(theta).

        Examples
        --------
        >>> ap = DarkPhoton(m_aprime=1.0, epsilon=1e-3)
        >>> round(float(ap.differential_cross_section_gamma_aprime(10.58, 0.0)), 2)
        1.2
        """
        c = _validate.in_range(
            "cos_theta", cos_theta, -1.0, 1.0, low_inclusive=False, high_inclusive=False
        )
        _s, r, norm = self._kinematics(sqrt_s)
        c = np.asarray(c, dtype=float)
        out = norm * (1.0 - r) * ((1.0 + c * c) + 4.0 * r / (1.0 - r) ** 2) / (1.0 - c * c)
        return out * GEV2_TO_FB

    def cross_section_gamma_aprime(
        self,
        sqrt_s: float,
        cos_theta_min: float = BELLE2_BARREL_COS_THETA_CMS[0],
        cos_theta_max: float = BELLE2_BARREL_COS_THETA_CMS[1],
    ) -> np.ndarray:
        r"""sigma(e+e- -> gamma A') in fb for cos_theta_min < cos(theta_gamma, CM) < cos_theta_max.

        Analytic integral of :meth:`differential_cross_section_gamma_aprime`:
        ``sigma = (2 pi alpha^2 eps^2/s)(1 - r) [-(c2 - c1) + (2 + K)(artanh c2 - artanh c1)]``,
        ``K = 4 r/(1 - r)^2``, ``r = m^2/s``.

        Parameters
        ----------
        sqrt_s : float
            Centre-of-mass energy in GeV (> m_aprime).
        cos_theta_min, cos_theta_max : float
            Photon acceptance in the CM frame, -1 < min < max < 1. Default: the Belle II
            barrel as used here, (-0.6, 0.8).

        Returns
        -------
        ndarray
            Cross section in fb (shape of the mass/epsilon broadcast).

        References
        ----------
        As :meth:`differential_cross_section_gamma_aprime`.

        Examples
        --------
        >>> ap = DarkPhoton(m_aprime=1.0, epsilon=1e-3)
        >>> round(float(ap.cross_section_gamma_aprime(10.58)), 2)
        2.59
        """
        c1 = _validate.in_range(
            "cos_theta_min", cos_theta_min, -1.0, 1.0, low_inclusive=False, high_inclusive=False
        )
        c2 = _validate.in_range(
            "cos_theta_max", cos_theta_max, c1, 1.0, low_inclusive=False, high_inclusive=False
        )
        _s, r, norm = self._kinematics(sqrt_s)
        k = 4.0 * r / (1.0 - r) ** 2
        bracket = -(c2 - c1) + (2.0 + k) * (math.atanh(c2) - math.atanh(c1))
        return norm * (1.0 - r) * bracket * GEV2_TO_FB

    def cross_section_gamma_aprime_full(self, sqrt_s: float) -> np.ndarray:
        r"""sigma(e+e- -> gamma A') in fb over the full photon solid angle (m_e-regularised).

        ``sigma = (4 pi alpha^2 eps^2/s) (1 + r^2)/(1 - r) (ln(s/m_e^2) - 1)``, ``r = m^2/s``:
        the O(alpha) initial-state-radiation radiator
        ``H(x) = (2 alpha/pi)(ln(s/m_e^2) - 1)(1 - x + x^2/2)/x`` (Bonneau, Martin, Nucl. Phys.
        B27 (1971) 381) applied to the narrow A' line ``sigma_0(s') = 4 pi^2 alpha eps^2
        delta(s' - m^2)`` at x = 1 - r. For m -> 0 it is eps^2 times twice (no identical
        photons) the textbook sigma(e+e- -> gamma gamma) = (2 pi alpha^2/s)(ln(s/m_e^2) - 1)
        (Berestetskii, Lifshitz, Pitaevskii, Quantum Electrodynamics, section 88).

        Parameters
        ----------
        sqrt_s : float
            Centre-of-mass energy in GeV (> m_aprime).

        Returns
        -------
        ndarray
            Cross section in fb.

        Examples
        --------
        >>> ap = DarkPhoton(m_aprime=1.0, epsilon=1e-3)
        >>> round(float(ap.cross_section_gamma_aprime_full(10.58)), 1)
        44.3
        """
        s, r, norm = self._kinematics(sqrt_s)
        log = math.log(s / M_E**2) - 1.0
        return 2.0 * norm * (1.0 + r * r) / (1.0 - r) * log * GEV2_TO_FB

    # -- summary --------------------------------------------------------------------------

    def summary(self, collider) -> list[Quantity]:
        r"""Widths, branching ratios, lifetime, decay length and production at a collider.

        The lab momentum is that of an A' emitted at 90 degrees to the beam in the CM frame,
        ``p_lab = sqrt(p*^2 + (beta gamma E*)^2)`` with ``p* = (s - m^2)/(2 sqrt s)``,
        ``E* = (s + m^2)/(2 sqrt s)`` (boost of the CM along the beam axis); the cross section
        is for the photon in :data:`BELLE2_BARREL_COS_THETA_CMS`.

        Parameters
        ----------
        collider
            Any object with ``sqrt_s`` (GeV) and ``beta_gamma`` (CM boost) attributes.

        Returns
        -------
        list[Quantity]
        """
        if np.size(self.m_aprime) != 1 or np.size(self.epsilon) != 1:
            raise PhysicsDomainError(
                f"summary needs a single m_aprime and epsilon, got shapes "
                f"{np.shape(self.m_aprime)} and {np.shape(self.epsilon)}"
            )
        sqrt_s = float(_validate.positive("collider.sqrt_s", collider.sqrt_s, unit="GeV"))
        beta_gamma = float(_validate.non_negative("collider.beta_gamma", collider.beta_gamma))
        m = float(np.ravel(self.m_aprime)[0])
        _validate.below_threshold(
            "m_aprime", m, sqrt_s, f"e+e- -> gamma A' at sqrt(s) = {sqrt_s:g} GeV"
        )
        widths = self.partial_widths()
        brs = self.branching_ratios()
        out = [
            Quantity(f"Gamma(A' -> {k})", float(np.ravel(v)[0]), "GeV", "partial width")
            for k, v in widths.items()
        ]
        out += [Quantity(f"BR(A' -> {k})", float(np.ravel(v)[0]), "", "") for k, v in brs.items()]
        out.append(Quantity("Gamma_total", float(np.ravel(self.total_width())[0]), "GeV", ""))
        out.append(Quantity("ctau", float(np.ravel(self.ctau())[0]), "cm", "proper decay length"))
        s = sqrt_s**2
        p_star = (s - m * m) / (2.0 * sqrt_s)
        e_star = (s + m * m) / (2.0 * sqrt_s)
        p_lab = math.hypot(p_star, beta_gamma * e_star)
        out.append(
            Quantity("p_lab", p_lab, "GeV", "A' recoiling against a photon at 90 deg in the CM")
        )
        out.append(
            Quantity(
                "decay_length",
                float(np.ravel(self.decay_length(p_lab))[0]),
                "cm",
                "beta gamma c tau at p_lab",
            )
        )
        lo, hi = BELLE2_BARREL_COS_THETA_CMS
        out.append(
            Quantity(
                "sigma(e+e- -> gamma A')",
                float(np.ravel(self.cross_section_gamma_aprime(sqrt_s, lo, hi))[0]),
                "fb",
                f"photon {lo:g} < cos(theta*) < {hi:g}, tree level",
            )
        )
        return out
