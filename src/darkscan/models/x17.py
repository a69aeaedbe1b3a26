"""X17: a 17 MeV vector boson coupled to electrons, produced resonantly on a fixed target.

The X boson (mass ``m_x``) couples to electrons through ``g_ve X_mu ebar gamma^mu e``
(``g_ve = eps e`` for a dark photon). A positron beam of energy ``E_beam`` on electrons at
rest has ``s = 2 m_e^2 + 2 m_e E_beam``; PADME scanned E_beam = 262-296 MeV, i.e.
sqrt(s) = 16.4-17.4 MeV, for e+e- -> X -> e+e-. The signal is a Breit-Wigner of width
Gamma(X -> e+e-) (~ eV), far narrower than the beam-energy spread (~0.25%), so the observed
line shape is the beam-energy distribution scaled by the narrow-width integral.

The motion of the atomic target electrons (Arias-Aragon et al., arXiv:2403.15387) is **not**
included: electrons are at rest.

References
----------
E. Nardi, C. D. R. Carvajal, A. Ghoshal, D. Meloni, M. Raggi, "Resonant production of dark
photons in positron beam dump experiments", Phys. Rev. D 97 (2018) 095004,
arXiv:1802.04756 (resonant cross section, sigma_res = (pi g_ve^2 / 2 m_e) delta(E - E_res)).
L. Darme, M. Mancini, E. Nardi, M. Raggi, "Resonant search for the X17 boson at PADME",
Phys. Rev. D 106 (2022) 115036, arXiv:2209.09261.
PADME Collaboration, "Search for a new 17 MeV resonance via e+e- annihilation with the PADME
experiment", arXiv:2505.24797 (normalised yield g_R(s) = 1 + S eps_sig / B).

Examples
--------
>>> x = X17(m_x=0.0169, g_ve=5e-4)
>>> round(float(x.resonance_beam_energy()) * 1e3, 1)  # MeV
279.0
>>> round(float(x.width_ee()) * 1e9, 4)  # eV
0.1121
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import voigt_profile

from darkscan import _validate
from darkscan.constants import ALPHA_EM, GEV2_TO_FB, M_E
from darkscan.errors import ConfigError, PhysicsDomainError
from darkscan.models._base import DecayingModel, Quantity

__all__ = [
    "X17",
    "beam_energy_for_sqrt_s",
    "bhabha_cross_section",
    "bhabha_differential_cross_section",
    "sqrt_s_fixed_target",
    "vector_decay_acceptance",
]

_N_NODES = 96
_X, _W = np.polynomial.legendre.leggauss(_N_NODES)


def sqrt_s_fixed_target(e_beam) -> np.ndarray:
    """CM energy sqrt(2 m_e^2 + 2 m_e E_beam) in GeV of a positron of energy E_beam on e- at rest.

    Examples
    --------
    >>> round(float(sqrt_s_fixed_target(0.282)) * 1e3, 2)  # MeV
    16.99
    """
    e = _validate.in_range("e_beam", e_beam, M_E, math.inf, unit="GeV")
    return np.sqrt(2.0 * M_E**2 + 2.0 * M_E * np.asarray(e, dtype=float))


def beam_energy_for_sqrt_s(sqrt_s) -> np.ndarray:
    """Positron beam energy (GeV) giving CM energy ``sqrt_s`` on electrons at rest.

    Examples
    --------
    >>> round(float(beam_energy_for_sqrt_s(0.017)), 4)
    0.2823
    """
    rs = _validate.in_range("sqrt_s", sqrt_s, 2 * M_E, math.inf, unit="GeV")
    return (np.asarray(rs, dtype=float) ** 2 - 2.0 * M_E**2) / (2.0 * M_E)


def bhabha_differential_cross_section(sqrt_s, cos_theta) -> np.ndarray:
    """Tree-level Bhabha dsigma/dcos(theta*) in fb (s- and t-channel photon, m_e neglected).

    ``dsigma/dOmega = alpha^2 / (2 s) [(1 + cos^4(theta/2)) / sin^4(theta/2)
    - 2 cos^4(theta/2) / sin^2(theta/2) + (1 + cos^2 theta) / 2]``,
    theta the CM angle between outgoing and incoming electron.

    References
    ----------
    H. J. Bhabha, Proc. R. Soc. A 154 (1936) 195; M. E. Peskin, D. V. Schroeder, "An
    Introduction to Quantum Field Theory", Problem 5.2. Tested against the independent
    Mandelstam form dsigma/dt = 2 pi alpha^2 / s^2 [(s^2+u^2)/t^2 + 2u^2/(st) + (t^2+u^2)/s^2].

    Examples
    --------
    >>> round(float(bhabha_differential_cross_section(0.017, 0.0)) / 1e12, 4)  # mb, 90 deg
    1.0143
    """
    rs = _validate.positive("sqrt_s", sqrt_s, unit="GeV")
    c = np.asarray(_validate.in_range("cos_theta", cos_theta, -1.0, 1.0, high_inclusive=False))
    s = np.asarray(rs, dtype=float) ** 2
    half_sin2 = 0.5 * (1.0 - c)  # sin^2(theta/2)
    half_cos2 = 0.5 * (1.0 + c)  # cos^2(theta/2)
    bracket = (
        (1.0 + half_cos2**2) / half_sin2**2 - 2.0 * half_cos2**2 / half_sin2 + 0.5 * (1.0 + c**2)
    )
    return 2.0 * math.pi * ALPHA_EM**2 / (2.0 * s) * bracket * GEV2_TO_FB


def bhabha_cross_section(sqrt_s, cos_min, cos_max) -> np.ndarray:
    """Tree-level Bhabha cross section (fb) for the electron CM polar angle in [cos_min, cos_max].

    Integral of :func:`bhabha_differential_cross_section` (Gauss-Legendre in ln(1 - cos),
    which absorbs the t-channel 1/(1 - cos)^2 peak); vectorised over all arguments.

    Parameters
    ----------
    sqrt_s : float or array
        CM energy in GeV.
    cos_min, cos_max : float or array
        Acceptance in cos(theta*) of the outgoing electron, -1 <= cos_min < cos_max < 1.

    Returns
    -------
    numpy.ndarray
        Cross section in fb.

    References
    ----------
    Bhabha, Proc. R. Soc. A 154 (1936) 195; Peskin & Schroeder, Problem 5.2.

    Examples
    --------
    >>> round(float(bhabha_cross_section(0.017, -0.5, 0.5)) / 1e12, 3)  # 1e12 fb = 1 mb
    1.447
    """
    lo = np.asarray(_validate.in_range("cos_min", cos_min, -1.0, 1.0, high_inclusive=False))
    hi = np.asarray(_validate.in_range("cos_max", cos_max, -1.0, 1.0, high_inclusive=False))
    if np.any(lo >= hi):
        raise PhysicsDomainError(f"cos_min = {cos_min} must be below cos_max = {cos_max}")
    y_lo, y_hi = np.log1p(-hi), np.log1p(-lo)  # y = ln(1 - cos), increasing as cos decreases
    half = 0.5 * (y_hi - y_lo)
    y = 0.5 * (y_hi + y_lo)[..., None] + half[..., None] * _X
    c = -np.expm1(y)
    rs = np.asarray(sqrt_s, dtype=float)[..., None]
    integrand = bhabha_differential_cross_section(rs, c) * np.exp(y)  # dcos = (1 - cos) dy
    return np.sum(integrand * _W, axis=-1) * half


def vector_decay_acceptance(cos_min, cos_max) -> np.ndarray:
    """Fraction of e+e- -> X -> e+e- events with the electron at cos(theta*) in [cos_min, cos_max].

    The angular distribution of a vector resonance formed by (massless) e+e- annihilation
    and decaying to e+e- is (3/8)(1 + cos^2 theta), so the fraction is
    ``3/8 [c + c^3/3]`` between the limits.

    References
    ----------
    Same distribution as e+e- -> gamma* -> mu+mu- (Peskin & Schroeder, Sec. 5.1); for the
    X17 signal, Darme et al., arXiv:2209.09261.

    Examples
    --------
    >>> float(vector_decay_acceptance(-1.0, 1.0))
    1.0
    """
    lo = np.asarray(_validate.in_range("cos_min", cos_min, -1.0, 1.0))
    hi = np.asarray(_validate.in_range("cos_max", cos_max, -1.0, 1.0))
    if np.any(lo > hi):
        raise PhysicsDomainError(f"cos_min = {cos_min} must not exceed cos_max = {cos_max}")
    return 0.375 * ((hi + hi**3 / 3.0) - (lo + lo**3 / 3.0))


@dataclass(frozen=True)
class X17(DecayingModel):
    """Vector boson X with a vector coupling ``g_ve`` to electrons only.

    Parameters
    ----------
    m_x : float or array
        X mass in GeV (> 2 m_e).
    g_ve : float or array
        Vector coupling to electrons (dimensionless, >= 0); g_ve = eps e for a dark photon.
    """

    m_x: float | np.ndarray
    g_ve: float | np.ndarray

    cli_name: ClassVar[str] = "x17"
    mass_field: ClassVar[str] = "m_x"
    coupling_field: ClassVar[str] = "g_ve"

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "m_x",
            _validate.in_range("m_x", self.m_x, 2 * M_E, math.inf, low_inclusive=False, unit="GeV"),
        )
        object.__setattr__(self, "g_ve", _validate.non_negative("g_ve", self.g_ve))

    # ------------------------------------------------------------------ decays
    def width_ee(self) -> np.ndarray:
        """Width of X -> e+e- in GeV, ``g^2 m_x / (12 pi) (1 + 2 r) sqrt(1 - 4 r)``.

        Here r = m_e^2 / m_x^2.

        References
        ----------
        J. L. Feng et al., "Protophobic fifth-force interpretation of the observed anomaly in
        8Be nuclear transitions", Phys. Rev. Lett. 117 (2016) 071803, arXiv:1604.07411;
        Darme et al., arXiv:2209.09261. Same as the dark-photon width with g = eps e.
        """
        m = np.asarray(self.m_x, dtype=float)
        g = np.asarray(self.g_ve, dtype=float)
        r = M_E**2 / m**2
        return g**2 * m / (12.0 * math.pi) * (1.0 + 2.0 * r) * np.sqrt(1.0 - 4.0 * r)

    def partial_widths(self) -> dict[str, np.ndarray]:
        """Partial widths in GeV: ``"e_e"`` (the only channel; X -> 3 gamma is negligible)."""
        return {"e_e": self.width_ee()}

    # -------------------------------------------------------- resonant production
    def resonance_beam_energy(self) -> np.ndarray:
        """Positron beam energy (GeV) on e- at rest at resonance, (m_x^2 - 2 m_e^2) / (2 m_e)."""
        return beam_energy_for_sqrt_s(self.m_x)

    def _k2(self, sqrt_s) -> np.ndarray:
        """Squared CM momentum of the e+e- initial state in GeV^2."""
        return np.asarray(sqrt_s, dtype=float) ** 2 / 4.0 - M_E**2

    def cross_section(self, sqrt_s) -> np.ndarray:
        """Unsmeared e+e- -> X -> e+e- cross section in fb (Breit-Wigner).

        ``sigma = (2J+1)/((2s1+1)(2s2+1)) 4 pi / k^2 (Gamma^2/4) / ((sqrt(s) - m_x)^2 + Gamma^2/4)
        B_ee^2`` with J = 1, s1 = s2 = 1/2, k the CM momentum, B_ee = 1.

        References
        ----------
        PDG Review "Cross-section formulae for specific processes", Sec. "Resonances"
        (Breit-Wigner cross section); Nardi et al., arXiv:1802.04756; Darme et al.,
        arXiv:2209.09261.
        """
        rs = np.asarray(
            _validate.in_range("sqrt_s", sqrt_s, 2 * M_E, math.inf, low_inclusive=False)
        )
        m = np.asarray(self.m_x, dtype=float)
        gamma = self.total_width()
        bw = (gamma**2 / 4.0) / ((rs - m) ** 2 + gamma**2 / 4.0)
        return 0.75 * 4.0 * math.pi / self._k2(rs) * bw * GEV2_TO_FB

    def peak_cross_section(self) -> np.ndarray:
        """Unsmeared peak cross section 3 pi / k^2 at sqrt(s) = m_x, in fb (~ 12 pi / m_x^2)."""
        return (
            3.0
            * math.pi
            / self._k2(self.m_x)
            * np.ones_like(np.asarray(self.g_ve, dtype=float))
            * GEV2_TO_FB
        )

    def integrated_cross_section(self) -> np.ndarray:
        """Narrow-width integral of sigma over the beam energy, in fb GeV.

        ``int sigma dE_beam = (dE/dsqrt(s)) * (3 pi / k^2) * pi Gamma / 2
        = 3 pi^2 Gamma m_x / (2 k^2 m_e)``, which for m_e << m_x is
        ``pi g_ve^2 / (2 m_e)`` (Nardi et al., arXiv:1802.04756; Darme et al.,
        arXiv:2209.09261: sigma_res = pi g_ve^2 / (2 m_e) delta(E_beam - E_res)).

        Examples
        --------
        >>> x = X17(0.017, 5e-4)
        >>> massless = math.pi * 25e-8 / (2 * M_E) * GEV2_TO_FB
        >>> round(float(x.integrated_cross_section()) / massless, 4)  # (1 + 2r) / sqrt(1 - 4r)
        1.0036
        """
        m = np.asarray(self.m_x, dtype=float)
        return 3.0 * math.pi**2 * self.total_width() * m / (2.0 * self._k2(m) * M_E) * GEV2_TO_FB

    def cross_section_smeared(self, e_beam, e_spread) -> np.ndarray:
        """Cross section (fb) averaged over a Gaussian beam-energy spread (electrons at rest).

        The Breit-Wigner, linearised in the beam energy around E_res (a Lorentzian of
        half-width ``Gamma m_x / (2 m_e)`` in E_beam), is convolved with a Gaussian of width
        ``e_spread``:
        ``sigma = [int sigma dE] * Voigt(E_beam - E_res; e_spread, Gamma m_x / (2 m_e))``.
        For Gamma << e_spread the peak is ``int sigma dE / (sqrt(2 pi) e_spread)``.

        Parameters
        ----------
        e_beam : float or array
            Nominal positron beam energy in GeV.
        e_spread : float or array
            Gaussian r.m.s. of the beam energy in GeV (e.g. 0.25% x E_beam for PADME Run III;
            arXiv:2405.07203), >= 0 (0 gives the unsmeared line shape).

        Returns
        -------
        numpy.ndarray
            Cross section in fb.

        References
        ----------
        Darme et al., arXiv:2209.09261 (signal yield with the beam-energy spread); PADME,
        arXiv:2505.24797.
        """
        e = np.asarray(_validate.in_range("e_beam", e_beam, M_E, math.inf, unit="GeV"), dtype=float)
        spread = np.asarray(_validate.non_negative("e_spread", e_spread, unit="GeV"), dtype=float)
        m = np.asarray(self.m_x, dtype=float)
        hwhm = self.total_width() * m / (2.0 * M_E)
        return self.integrated_cross_section() * voigt_profile(
            e - self.resonance_beam_energy(), spread, hwhm
        )

    def normalised_yield(
        self,
        e_beam,
        e_spread,
        *,
        cos_theta_cms=None,
        signal_acceptance=None,
        background=None,
    ) -> np.ndarray:
        """PADME normalised yield g_R(s) = 1 + S(s) eps_sig(s) / B(s).

        ``S`` is :meth:`cross_section_smeared`; ``eps_sig`` the signal acceptance and ``B`` the
        background cross section in the acceptance (fb). Defaults, if ``cos_theta_cms =
        (cos_min, cos_max)`` is given: ``eps_sig`` from :func:`vector_decay_acceptance` and
        ``B`` the tree-level Bhabha (s + t) cross section :func:`bhabha_cross_section`.

        Parameters
        ----------
        e_beam, e_spread : float or array
            Beam energy and its Gaussian spread in GeV.
        cos_theta_cms : (float, float), optional
            CM polar-angle acceptance of the electron.
        signal_acceptance : float or array, optional
            Signal efficiency times acceptance, in [0, 1].
        background : float or array, optional
            Background cross section in the acceptance, fb (> 0).

        Returns
        -------
        numpy.ndarray
            g_R (1 without signal).

        References
        ----------
        PADME, arXiv:2505.24797 (definition of g_R(s)); Darme et al., arXiv:2209.09261.
        """
        if cos_theta_cms is None and (signal_acceptance is None or background is None):
            raise ConfigError(
                "normalised_yield needs cos_theta_cms=(cos_min, cos_max) unless both "
                "signal_acceptance and background are given"
            )
        if signal_acceptance is None:
            signal_acceptance = vector_decay_acceptance(*cos_theta_cms)
        eps_sig = _validate.in_range("signal_acceptance", signal_acceptance, 0.0, 1.0)
        if background is None:
            background = bhabha_cross_section(sqrt_s_fixed_target(e_beam), *cos_theta_cms)
        bkg = _validate.positive("background", background, unit="fb")
        return 1.0 + self.cross_section_smeared(e_beam, e_spread) * np.asarray(
            eps_sig
        ) / np.asarray(bkg)

    # ----------------------------------------------------------------- summary
    def summary(self, collider) -> list[Quantity]:
        """Key numbers for a scalar mass; ``collider.sqrt_s`` gives the (off-peak) sigma there."""
        if np.ndim(self.m_x) or np.ndim(self.g_ve):
            raise PhysicsDomainError("summary needs a scalar m_x and g_ve")
        sqrt_s = float(collider.sqrt_s)
        e_res = float(self.resonance_beam_energy())
        p_res = math.sqrt(e_res**2 - M_E**2)  # X carries the positron momentum
        return [
            Quantity("m_x", float(self.m_x), "GeV"),
            Quantity("g_ve", float(self.g_ve), "", "vector coupling to electrons"),
            Quantity("Gamma(X -> e+e-)", float(self.width_ee()), "GeV"),
            Quantity("c tau", float(self.ctau()), "cm"),
            Quantity("E_beam(resonance)", e_res, "GeV", "positron on e- at rest"),
            Quantity(
                "int sigma dE_beam",
                float(self.integrated_cross_section()),
                "fb GeV",
                "narrow width",
            ),
            Quantity(
                "lab decay length",
                float(self.decay_length(p_res)),
                "cm",
                "at resonance, fixed target",
            ),
            Quantity(
                "sigma(e+e- -> X -> e+e-)",
                float(self.cross_section(sqrt_s)),
                "fb",
                f"unsmeared, sqrt(s) = {sqrt_s:g} GeV",
            ),
        ]
